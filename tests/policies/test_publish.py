"""The published pack runs the code it uploads (review finding 15): `python -m eksplatform.policies.publish`
stages one folder with the packages, pinned requirements and a virtualenv of its own."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from google.protobuf import empty_pb2

from eksplatform.policies.publish import PACKAGE, PublishError, main, pinned_requirements, stage, version
from eksplatform.preflight.analyze import running_pack


def test_the_staged_folder_holds_everything_the_pack_runs(tmp_path: Path) -> None:
    staged = stage(tmp_path / "pack")
    package = staged / PACKAGE
    for subpackage in ("components", "policies", "policies/rules", "capacity", "cost", "preflight"):
        assert (package / subpackage / "__init__.py").is_file(), subpackage
        assert not (package / subpackage).is_symlink(), subpackage
    assert (package / "policies" / "config" / "prod.json").is_file()  # the stack files travel too
    assert (staged / "__main__.py").read_text().count("from eksplatform.policies.pack import serve") == 1
    assert not list(staged.rglob("__pycache__"))
    manifest = yaml.safe_load((staged / "PulumiPolicy.yaml").read_text())
    assert manifest["version"] == version() == "0.1.0"
    assert manifest["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": "venv"}}
    requirements = (staged / "requirements.txt").read_text().splitlines()
    assert requirements == pinned_requirements()
    assert all("==" in line for line in requirements) and not any("eksplatform" in r for r in requirements)


def test_the_staged_pack_imports_its_own_copy(tmp_path: Path) -> None:
    """Started as the CLI starts an installed pack, it serves the staged code, not an installed one."""
    staged = stage(tmp_path / "pack")
    rules = staged / PACKAGE / "policies" / "rules" / "encryption.py"
    rules.write_text(rules.read_text().replace('"RDS instances and Aurora clusters', '"STAGED RDS instances', 1))
    with running_pack(staged) as analyzer:
        info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    described = {policy.name: policy.description for policy in info.policies}
    assert described["encryption-rds-storage-cmk"].startswith("STAGED RDS instances")


def test_staging_refuses_a_folder_in_use(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "keep.txt").write_text("x")
    with pytest.raises(PublishError, match="is not empty"):
        stage(tmp_path)
    assert main([str(tmp_path)]) == 2
    assert "is not empty; give a new folder" in capsys.readouterr().err


def test_staging_from_an_installed_package_says_it_needs_a_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import eksplatform.policies.publish as publish

    monkeypatch.setattr(publish, "ROOT", tmp_path / "site-packages" / "eksplatform")
    with pytest.raises(PublishError, match="is not a checkout of the repository"):
        stage(tmp_path / "pack")
    assert not (tmp_path / "pack").exists()

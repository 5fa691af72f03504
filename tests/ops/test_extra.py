"""boto3 is the `[ops]` extra: without it `eksplatform-ops` says how to install it, in one line."""

from __future__ import annotations

import subprocess
import sys
import tomllib

import pytest

from eksplatform.ops import extra
from eksplatform.preflight.synth import PROJECT_ROOT

# The interpreter as a fresh venv without the extra would be: boto3 and botocore not importable.
WITHOUT_BOTO3 = "import sys; sys.modules['boto3'] = None; sys.modules['botocore'] = None; "


@pytest.mark.parametrize(
    "entry",
    [
        # the console script's entry point (pyproject.toml [project.scripts])
        "sys.argv = ['eksplatform-ops', 'audit', 'outputs.json']; from eksplatform.ops.__main__ import main; main()",
        # python -m eksplatform.ops
        "import runpy; sys.argv = ['x', 'audit', 'o.json']; runpy.run_module('eksplatform.ops', run_name='__main__')",
    ],
)
def test_without_boto3_ops_exits_2_naming_the_extra(entry: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_BOTO3 + entry], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120
    )
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr == f"error: {extra.HINT}\n"
    assert "pip install 'eksplatform[ops]'" in result.stderr


def test_with_boto3_nothing_is_missing() -> None:
    assert extra.missing() == []


def test_boto3_is_the_ops_extra_and_the_console_script_is_the_guarded_module() -> None:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    assert any(requirement.startswith("boto3") for requirement in project["optional-dependencies"]["ops"])
    assert not any(requirement.startswith(("boto3", "botocore", "moto")) for requirement in project["dependencies"])
    assert project["scripts"]["eksplatform-ops"] == "eksplatform.ops.__main__:main"
    assert (
        "eksplatform.ops"
        in tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    )

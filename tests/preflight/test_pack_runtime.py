"""preflight says when the Pulumi CLI could not run the pack as it does (review finding 23): the
checkout used to go on PYTHONPATH unconditionally, hiding a missing or wrong virtualenv."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from eksplatform.preflight.analyze import running_pack, runtime_problem
from eksplatform.preflight.synth import PROJECT_ROOT

PACK = PROJECT_ROOT / "policies"


def _fake_python(folder: Path, environment: str = "", flags: str = "") -> Path:
    """A virtualenv's bin/python standing in for a real one: our interpreter under other settings."""
    python = folder / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f'#!/bin/sh\n{environment} exec "{sys.executable}" {flags} "$@"\n')
    python.chmod(0o755)
    return python


def test_a_missing_virtualenv_is_named(tmp_path: Path) -> None:
    pack = tmp_path / "pack"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text("runtime:\n  name: python\n  options:\n    virtualenv: ../venv\n")
    problem = runtime_problem(pack)
    assert problem is not None and f"its virtualenv {tmp_path / 'venv'} does not exist" in problem


def test_a_virtualenv_without_the_sdk_is_named(tmp_path: Path) -> None:
    python = _fake_python(tmp_path / "venv", flags="-S")  # no site-packages: no pulumi_policy
    problem = runtime_problem(PACK, python)
    assert problem is not None and "cannot import the pack (ModuleNotFoundError" in problem


def test_a_virtualenv_that_imports_other_rules_is_named(tmp_path: Path) -> None:
    other = tmp_path / "elsewhere"
    (other / "eksplatform" / "policies").mkdir(parents=True)
    (other / "eksplatform" / "__init__.py").write_text("")
    (other / "eksplatform" / "policies" / "__init__.py").write_text("")
    python = _fake_python(tmp_path / "venv", environment=f'PYTHONPATH="{other}"')
    problem = runtime_problem(PACK, python)
    rules = other / "eksplatform" / "policies" / "__init__.py"
    assert problem is not None and f"imports the rules from {rules}" in problem


def test_a_virtualenv_that_imports_this_checkout_is_fine(tmp_path: Path) -> None:
    python = _fake_python(tmp_path / "venv", environment=f'PYTHONPATH="{PROJECT_ROOT}"')
    assert runtime_problem(PACK, python) is None


def test_the_projects_own_install_imports_this_checkouts_rules() -> None:
    """The project's virtualenv (`pip install -e .`, as `make` and CI build it) serves the pack
    the CLI starts in policies/: `eksplatform.policies` found from the pack's folder is this
    checkout's, so `pulumi up --policy-pack policies` runs the code in front of it."""
    assert runtime_problem(PACK, Path(sys.executable)) is None


def test_the_pack_still_runs_and_the_problem_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    warnings: list[str] = []
    monkeypatch.setitem(os.environ, "PYTHONPATH", "")
    with running_pack(PACK, warnings):
        pass
    problem = runtime_problem(PACK)  # asked once: each check starts a python
    assert warnings == ([] if problem is None else [problem])

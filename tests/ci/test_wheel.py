"""CI's wheel check (.ci/wheel.sh), cheaply: its shape and the file-list rules, not a build.

The script itself builds and installs a wheel (about a minute); .ci/run and the workflow run it.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import yaml

from eksplatform.preflight.synth import PROJECT_ROOT

CI = PROJECT_ROOT / ".ci"
SCRIPT = (CI / "wheel.sh").read_text()


def _checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_wheel", CI / "check_wheel.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_wheel"] = module
    spec.loader.exec_module(module)
    return module


def test_ci_run_and_the_workflow_run_the_wheel_check() -> None:
    run = (CI / "run").read_text()
    assert "steps=(install test lint workflows preflight wheel)" in run
    assert re.search(r'^\s+wheel\)\n\s+PYTHON="\$bin/python" \.ci/wheel\.sh$', run, re.MULTILINE)
    # and on the newer Pythons requires-python admits, each one missing said, not skipped silently
    assert "for version in 3.12 3.13; do" in run and 'PYTHON="$other" .ci/wheel.sh' in run
    assert "not tried" in run
    workflow = yaml.safe_load((PROJECT_ROOT / ".github" / "workflows" / "preflight.yml").read_text())
    runs = [step.get("run", "") for step in workflow["jobs"]["test"]["steps"]]
    assert "PYTHON=.venv/bin/python .ci/wheel.sh" in runs


def test_the_script_installs_the_wheel_outside_the_checkout_and_runs_what_a_user_runs() -> None:
    assert "set -euo pipefail" in SCRIPT
    assert 'mktemp -d "${TMPDIR:-/tmp}/' in SCRIPT  # outside the checkout
    assert "WHEEL_WORK must lie outside the checkout" in SCRIPT
    assert '-m venv "$work/venv"' in SCRIPT
    assert '"${wheel}[policy]"' in SCRIPT and '-c "$work/constraints.txt"' in SCRIPT
    assert "unset PYTHONPATH" in SCRIPT and 'cd "$work/run"' in SCRIPT
    assert "from eksplatform.public import PUBLIC_COMPONENTS" in SCRIPT
    assert '"$bin/eksplatform-preflight" --project-dir consumer' in SCRIPT
    assert '"$bin/python" -m pytest -q -p no:cacheprovider consumer/tests' in SCRIPT
    assert ".ci/check_wheel.py" in SCRIPT
    # the import check refuses a checkout that leaked onto the path
    assert "venv = Path(sys.argv[1]).resolve()" in SCRIPT and "is_relative_to(venv)" in SCRIPT


def _wheel(tmp_path: Path, names: list[str]) -> Path:
    wheel = tmp_path / "eksplatform-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name in names:
            archive.writestr(name, "")
        archive.writestr(
            "eksplatform-0.1.0.dist-info/entry_points.txt",
            "[console_scripts]\n" + "\n".join(_checker().SCRIPTS) + "\n",
        )
        archive.writestr("eksplatform-0.1.0.dist-info/METADATA", "Provides-Extra: policy\nProvides-Extra: ops\n")
    return wheel


def _complete() -> list[str]:
    names = [
        "eksplatform/__init__.py",
        "eksplatform/py.typed",
        "eksplatform/public.py",
        "eksplatform/pulumi_internals.py",
        "eksplatform/policies/PulumiPolicy.yaml",
        "eksplatform/policies/__main__.py",
        "eksplatform/ops/__main__.py",
        "eksplatform/preflight/__main__.py",
    ]
    names += _checker()._modules(PROJECT_ROOT / "eksplatform")
    names += [f"eksplatform/policies/config/{path.name}" for path in (PROJECT_ROOT / "policies/config").glob("*.json")]
    return sorted(set(names))


def test_a_complete_wheel_passes(tmp_path: Path) -> None:
    assert _checker().problems(_wheel(tmp_path, _complete()), PROJECT_ROOT) == []


def test_a_top_level_package_or_a_missing_file_is_named(tmp_path: Path) -> None:
    # A per-stack config, and a whole sub-package as if pyproject.toml's `packages` left it out.
    names = [
        name
        for name in _complete()
        if name != "eksplatform/policies/config/prod.json" and not name.startswith("eksplatform/stack/")
    ]
    names += ["components/vpc.py", "policies/__init__.py", "tests/conftest.py"]
    found = _checker().problems(_wheel(tmp_path, names), PROJECT_ROOT)
    assert "missing eksplatform/policies/config/prod.json" in found
    assert "missing eksplatform/stack/region.py" in found and "missing eksplatform/components/vpc.py" not in found
    assert "a top-level components package" in found
    assert "a top-level policies package" in found
    assert "a top-level tests package" in found


def _run(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(CI / "wheel.sh")], capture_output=True, text=True, env={**os.environ, **env}, timeout=120
    )


def test_a_work_folder_inside_the_checkout_is_refused_before_anything_is_made() -> None:
    inside = PROJECT_ROOT / "wheel-work-test"
    done = _run(WHEEL_WORK=str(inside))
    assert done.returncode == 2 and "WHEEL_WORK must lie outside the checkout" in done.stderr
    assert not inside.exists()


def test_a_failing_step_is_named_with_its_exit_code(tmp_path: Path) -> None:
    done = _run(PYTHON="/bin/false", WHEEL_WORK=str(tmp_path / "work"))
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == "wheel: building the wheel failed (exit 1)"


def _newer_python(version: str, path: str, pyenv_root: Path) -> str:
    function = re.search(r"^newer_python\(\) \{\n.*?^\}\n", (CI / "run").read_text(), re.MULTILINE | re.DOTALL)
    assert function is not None
    done = subprocess.run(
        ["bash", "-c", f'{function.group(0)}\nnewer_python "$1"', "bash", version],
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": path, "PYENV_ROOT": str(pyenv_root)},
        check=True,
    )
    return done.stdout.strip()


def test_ci_finds_an_interpreter_of_the_version_asked_or_says_none(tmp_path: Path) -> None:
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    bin_dir = str(Path(sys.executable).parent)
    found = _newer_python(here, f"{bin_dir}:/usr/bin:/bin", tmp_path)
    assert found and subprocess.run(
        [found, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True, check=True
    ).stdout.strip() == str(sys.version_info[:2])
    # A pyenv folder of that version whose python is another version does not count.
    fake = tmp_path / "versions" / "3.99.0" / "bin"
    fake.mkdir(parents=True)
    (fake / "python").symlink_to(sys.executable)
    assert _newer_python("3.99", "/usr/bin:/bin", tmp_path) == ""

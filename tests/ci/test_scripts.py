"""The CI scripts that .ci/run and the GitHub workflow share: exit codes kept distinct end to end,
and the suite's behaviour without ../shared."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from eksplatform.preflight.synth import PROJECT_ROOT
from tests import shared
from tests.preflight.test_cli import bad_state

CI = PROJECT_ROOT / ".ci"


def script(*argv: str | Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PLATFORM_")}
    environment.update(env)
    return subprocess.run(
        [str(a) for a in argv], cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True, timeout=900
    )


@pytest.fixture(scope="module")
def ci_preflight(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    """`.ci/run preflight` over a missing stack and dev, once for the tests that read its run:
    each run of dev is a real preflight (synth, the pack), the suite's costliest subprocess.
    CI_VENV: this interpreter's environment instead of a fresh one."""
    out = tmp_path_factory.mktemp("ci-out")
    done = script(CI / "run", "preflight", CI_VENV=sys.prefix, CI_STACKS="no-such-stack dev", CI_OUT=str(out))
    return done, out


def test_ci_run_fails_with_exit_2_when_preflight_has_an_input_error(
    ci_preflight: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    # A stack with no stack file is an input error (exit 2), which must not pass and must not read
    # as a policy violation, even when the next stack (dev) passes.
    done, _ = ci_preflight
    assert done.returncode == 2, done.stderr
    assert "preflight no-such-stack: input error (exit 2), not a policy verdict" in done.stderr
    assert "CI: green" not in done.stderr + done.stdout


def _fake_venv(tmp_path: Path) -> Path:
    """A virtual environment make takes as installed, whose python is this interpreter."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    python = venv / "bin" / "python"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    (venv / ".installed").touch()  # newer than requirements*.txt: make installs nothing
    return venv


def test_ci_run_test_exits_with_pytests_failure_code_not_makes(tmp_path: Path) -> None:
    # make exits 2 for any failing recipe; .ci/run must report pytest's 1 (tests failed).
    failing = tmp_path / "test_fails.py"
    failing.write_text("def test_fails() -> None:\n    assert False\n")
    done = script(
        CI / "run",
        "test",
        CI_VENV=str(_fake_venv(tmp_path)),
        PYTEST_ADDOPTS=f"-p no:cacheprovider --rootdir {tmp_path} {failing}",
        # make test's `-n auto` as on a one-core runner: one worker process, not one per core,
        # for the one test (each worker is a Python with pytest's plugins, 0.2 s of CPU).
        PYTEST_XDIST_AUTO_NUM_WORKERS="1",
    )
    assert done.returncode == 1, done.stderr[-2000:]
    assert "CI: tests failed (exit 1)" in done.stderr
    assert "1 failed" in done.stdout


def test_make_test_runs_the_test_script_in_parallel() -> None:
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    recipe = re.search(r"^test: .*\n\t(.*)$", makefile, re.MULTILINE)
    assert recipe is not None
    # Files in collection order, not xdist's most-tests-first (which ends on the slow files of few tests).
    assert recipe.group(1).startswith("PYTHON=$(BIN)/python .ci/test.sh -n auto --dist loadfile --no-loadscope-reorder")


def test_ci_run_runs_every_stack_and_exits_with_the_first_failure(
    ci_preflight: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    done, _ = ci_preflight
    assert done.returncode == 2, done.stderr
    assert "preflight dev: passed" in done.stderr  # the stack after the failing one still ran


def test_ci_run_refuses_an_unknown_step() -> None:
    done = script(CI / "run", "deploy", CI_VENV=sys.prefix)
    assert done.returncode == 2 and "unknown step deploy" in done.stderr


def test_preflight_script_keeps_exit_1_and_names_the_policies_that_broke(tmp_path: Path) -> None:
    state = tmp_path / "legacy.json"
    state.write_text(json.dumps(bad_state()))
    out = tmp_path / "out"
    done = script(CI / "preflight.sh", "legacy", "--state", str(state), PYTHON=sys.executable, OUT=str(out))
    assert done.returncode == 1, done.stderr
    assert (out / "status").read_text().strip() == "1"
    assert "preflight legacy: mandatory policy violation(s) (exit 1):" in done.stderr
    assert "  [encryption-rds-storage-cmk] urn:pulumi:legacy::shop::" in done.stderr
    assert {p.name for p in out.iterdir()} >= {"report.md", "report.json", "report.sarif", "status", "stderr.txt"}


def test_preflight_script_passes_a_stack_and_writes_every_report_of_one_run(
    ci_preflight: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    # .ci/run ran .ci/preflight.sh for dev with OUT=<CI_OUT>/preflight-dev.
    done, ci_out = ci_preflight
    out = ci_out / "preflight-dev"
    assert (out / "status").read_text().strip() == "0", done.stderr
    assert "preflight dev: passed" in done.stderr
    sarif = json.loads((out / "report.sarif").read_text())
    summary = json.loads((out / "report.json").read_text())["summary"]
    assert summary["passed"] and len(sarif["runs"][0]["results"]) == len(
        json.loads((out / "report.json").read_text())["violations"]
    )
    assert json.loads((out / "export.json").read_text())["version"] == 3


def test_the_test_script_turns_no_tests_collected_into_a_failure(tmp_path: Path) -> None:
    status = tmp_path / "status"
    # A test file with no test, outside the project (its own rootdir): pytest exits 5 without
    # importing the project's conftest and SDKs first.
    empty = tmp_path / "test_nothing.py"
    empty.write_text('"""No test here."""\n')
    done = script(
        CI / "test.sh",
        "--rootdir",
        str(tmp_path),
        str(empty),
        "-p",
        "no:cacheprovider",
        PYTHON=sys.executable,
        CI_TEST_STATUS=str(status),
    )
    assert done.returncode == 1, done.stdout[-500:]
    assert "pytest collected no tests (exit 5)" in done.stderr
    assert status.read_text().strip() == "1"


def test_the_test_script_lets_python_write_bytecode(tmp_path: Path) -> None:
    # Where the environment forbids it, each pytest process compiled the project and rewrote every
    # test module again (benchmarks/README.md, "Test suite").
    seen = tmp_path / "seen"
    python = tmp_path / "python"
    python.write_text(f'#!/bin/sh\necho "${{PYTHONDONTWRITEBYTECODE-unset}} $*" > "{seen}"\n')
    python.chmod(0o755)
    done = script(CI / "test.sh", "-q", PYTHON=str(python), PYTHONDONTWRITEBYTECODE="1")
    assert done.returncode == 0, done.stderr
    assert seen.read_text().split() == ["unset", "-m", "pytest", "-q"]


SHARED_READERS = [
    "tests/components/test_ingress.py",
    "tests/policies/test_pod_security.py",
    "tests/policies/test_stacks.py",
    "tests/preflight/test_cli.py",
    "tests/preflight/test_base.py",
    "tests/preflight/test_sarif.py",
]


def test_without_shared_the_tests_that_read_it_skip_and_say_why(tmp_path: Path) -> None:
    missing = tmp_path / "no-shared"
    done = script(
        sys.executable,
        "-m",
        "pytest",
        "-m",
        shared.MARKER,
        "-p",
        "no:cacheprovider",
        "-q",
        "-rs",
        *SHARED_READERS,
        PLATFORM_SHARED_DIR=str(missing),
    )
    assert done.returncode == 0, done.stdout[-2000:]
    summary = done.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"(\d+) skipped, \d+ deselected in .*", summary), summary
    assert int(summary.split()[0]) >= 13
    assert f"shared fixture {missing}/fixtures/helm/traefik-41.3.0 is absent" in done.stdout


def test_with_shared_required_its_absence_fails(tmp_path: Path) -> None:
    done = script(
        sys.executable,
        "-m",
        "pytest",
        "-m",
        shared.MARKER,
        "-p",
        "no:cacheprovider",
        "-q",
        "tests/policies/test_pod_security.py",
        PLATFORM_SHARED_DIR=str(tmp_path / "no-shared"),
        PLATFORM_REQUIRE_SHARED="1",
    )
    assert done.returncode == 1, done.stdout[-2000:]
    assert "PLATFORM_REQUIRE_SHARED=1 requires it" in done.stdout


def test_ci_run_requires_the_shared_fixtures() -> None:
    assert re.search(r"^export PLATFORM_REQUIRE_SHARED=1$", (CI / "run").read_text(), re.MULTILINE)


@pytest.mark.shared("fixtures")
def test_the_shared_fixtures_are_where_the_suite_looks() -> None:
    assert shared.shared_path("fixtures").is_dir()


def test_preflight_script_does_not_take_a_crash_for_a_verdict(tmp_path: Path) -> None:
    # Python exits 1 on an uncaught exception, as preflight does on a mandatory violation.
    crashing = tmp_path / "python"
    crashing.write_text("#!/bin/sh\necho 'Traceback (most recent call last):' >&2\nexit 1\n")
    crashing.chmod(0o755)
    out = tmp_path / "out"
    done = script(CI / "preflight.sh", "dev", PYTHON=str(crashing), OUT=str(out))
    assert done.returncode == 3
    assert (out / "status").read_text().strip() == "3"
    assert "preflight dev: crashed (exit 3), no verdict" in done.stderr


@pytest.mark.parametrize(
    ("full_name", "env", "message"),
    [
        ("dev", {"PULUMI_BACKEND_URL": "s3://state"}, "is not <org>/platform/dev"),
        ("acme/platform/dev", {}, "no backend"),
        # A self-managed backend names its stacks organization/<project>/<stack>, literally.
        ("acme/platform/dev", {"PULUMI_BACKEND_URL": "s3://state"}, "must be organization/platform/dev"),
        # PULUMI_ORG unset gives an empty organization; one with a '/' is not an organization.
        ("/platform/dev", {"PULUMI_ACCESS_TOKEN": "x"}, "is not <org>/platform/dev"),
        ("a/b/platform/dev", {"PULUMI_ACCESS_TOKEN": "x"}, "the organization holds a '/'"),
    ],
)
def test_the_real_preview_refuses_its_own_bad_inputs_with_a_code_the_cli_does_not_use(
    tmp_path: Path, full_name: str, env: dict[str, str], message: str
) -> None:
    settings = {"PULUMI_ACCESS_TOKEN": "", "PULUMI_BACKEND_URL": "", "OUT": str(tmp_path), **env}
    done = script(CI / "pulumi-preview.sh", "dev", full_name, **settings)
    # 64, not 2: the CLI's own exit 2 is a configuration error of the stack.
    assert done.returncode == 64 and message in done.stderr, done.stderr
    assert (tmp_path / "status").read_text().strip() == "64"


@pytest.mark.parametrize(("code", "message"), [(5, "a policy pack blocked it (exit 5)"), (3, "CLI failed (exit 3)")])
def test_the_real_preview_keeps_the_clis_exit_code(tmp_path: Path, code: int, message: str) -> None:
    fake = tmp_path / "bin" / "pulumi"
    fake.parent.mkdir()
    fake.write_text(f"#!/bin/sh\necho 'error: preview failed'\nexit {code}\n")
    fake.chmod(0o755)
    out = tmp_path / "out"
    done = script(
        CI / "pulumi-preview.sh",
        "dev",
        "organization/platform/dev",
        PATH=f"{fake.parent}:{os.environ['PATH']}",
        PULUMI_BACKEND_URL="s3://state",
        OUT=str(out),
    )
    assert done.returncode == code and message in done.stderr
    assert (out / "status").read_text().strip() == str(code)
    assert "error: preview failed" in (out / "preview.txt").read_text()


MARKER_LINE = "<!-- platform-preflight-sticky-comment -->"
OTHERS = [
    {"id": 1, "user": {"login": "mallory"}, "body": f"{MARKER_LINE}\nnot ours"},  # a person copying the marker
    {"id": 2, "user": {"login": "github-actions[bot]"}, "body": "another workflow's comment"},
]
OURS = {"id": 42, "user": {"login": "github-actions[bot]"}, "body": f"{MARKER_LINE}\n### Preflight"}


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed (GitHub's runners have it)")
@pytest.mark.parametrize(
    ("comments", "method", "path"),
    [(OTHERS, "POST", "issues/7/comments"), ([*OTHERS, OURS], "PATCH", "issues/comments/42")],
)
def test_the_sticky_comment_is_updated_when_found_and_created_otherwise(
    tmp_path: Path, comments: list[dict[str, object]], method: str, path: str
) -> None:
    # A stand-in for the GitHub CLI: the listing applies the script's own --jq filter (with jq) to
    # the comments of the pull request; every other call is recorded.
    calls, listing = tmp_path / "calls", tmp_path / "comments.json"
    listing.write_text(json.dumps(comments))
    fake = tmp_path / "bin" / "gh"
    fake.parent.mkdir()
    fake.write_text(
        "#!/bin/sh\n"
        'case "$*" in *--paginate*)\n'
        '  prev=""; for a in "$@"; do [ "$prev" = --jq ] && filter="$a"; prev="$a"; done\n'
        '  exec jq -r "$filter" "$LISTING" ;;\n'
        "esac\n"
        'echo "$*" >> "$CALLS"\n'
    )
    fake.chmod(0o755)
    body = tmp_path / "comment.md"
    body.write_text(f"{MARKER_LINE}\n### Preflight\n")
    done = script(
        CI / "sticky-comment.sh",
        body,
        PATH=f"{fake.parent}:{os.environ['PATH']}",
        LISTING=str(listing),
        CALLS=str(calls),
        REPO="acme/platform",
        PR_NUMBER="7",
    )
    assert done.returncode == 0, done.stderr
    (call,) = calls.read_text().splitlines()
    assert call == f"api --method {method} repos/acme/platform/{path} -F body=@{body} --jq .html_url"


def test_the_sticky_comment_refuses_a_body_without_the_marker(tmp_path: Path) -> None:
    body = tmp_path / "comment.md"
    body.write_text("### no marker\n")
    done = script(CI / "sticky-comment.sh", body, REPO="acme/platform", PR_NUMBER="7")
    assert done.returncode == 2 and "does not start with the marker" in done.stderr

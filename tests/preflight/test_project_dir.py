"""`eksplatform-preflight --project-dir DIR <stack>`: any Python program, not only this checkout's.

The consumer example's own tests run it end to end (examples/consumer/tests); here: the usage
errors, where the pack runs from when installed, stack references from files, and the example's
fixture kept equal to a fresh synth of the platform's dev stack.
"""

from __future__ import annotations

import json
import sys
import sysconfig
from pathlib import Path

import pytest

from eksplatform.policies import pack as policy_pack
from eksplatform.policies.servicer import STACK_NAME_SENT
from eksplatform.preflight import analyze
from eksplatform.preflight.__main__ import DEFAULT_PACK
from eksplatform.preflight.export_format import SECRET_SIG, SECRET_VALUE
from eksplatform.preflight.stack_reference import StackReferenceError, outputs_document, outputs_of, parse
from eksplatform.preflight.synth import PROJECT_ROOT, StackOutput
from tests.conftest import synthesized
from tests.preflight.test_cli import run

CONSUMER = PROJECT_ROOT / "examples" / "consumer"
FIXTURE = CONSUMER / "platform-dev.json"


def _project(root: Path, manifest: str = "name: shop\nruntime: python\n", program: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "Pulumi.yaml").write_text(manifest)
    (root / "Pulumi.dev.yaml").write_text("config: {}\n")
    (root / "__main__.py").write_text(program)
    return root


def test_the_consumer_fixture_is_the_platform_dev_stacks_outputs() -> None:
    """examples/consumer/platform-dev.json is what a synth of dev exports now, secrets marked."""
    expected = outputs_document(synthesized("dev").outputs, "platform", "dev")
    assert json.loads(FIXTURE.read_text()) == expected, (
        "examples/consumer/platform-dev.json is stale; rewrite it with "
        "`PYTHONPATH=$PWD python -m tests.preflight.test_project_dir`"
    )
    outputs = parse(f"acme/platform/dev={FIXTURE}")[1]
    assert outputs["kubeconfigs"].secret and isinstance(outputs["kubeconfigs"].value, dict)
    assert not outputs["networks"].secret


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        ("missing", "--project-dir {root}: no such folder"),
        ("no-manifest", "--project-dir {root}: no Pulumi.yaml; give the folder of a Pulumi project"),
        ("no-stack", "no stack file Pulumi.qa.yaml"),
        ("nodejs", "runtime 'nodejs'; preflight runs Python programs"),
        ("no-program", "no program __main__.py to run"),
    ],
)
def test_a_bad_project_dir_is_one_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setup: str, message: str
) -> None:
    root = tmp_path / "project"
    stack = "dev"
    if setup == "no-manifest":
        root.mkdir()
    elif setup == "no-stack":
        _project(root)
        stack = "qa"
    elif setup == "nodejs":
        _project(root, "name: shop\nruntime: nodejs\n")
    elif setup == "no-program":
        _project(root)
        (root / "__main__.py").unlink()
    status, out, err = run(capsys, "--project-dir", str(root), stack)
    assert status == 2 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert message.format(root=root.resolve()) in err


def test_pulumi_yaml_main_names_the_program_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _project(tmp_path / "project", "name: shop\nruntime: python\nmain: app/\n")
    (root / "app").mkdir()
    (root / "app" / "__main__.py").write_text("import pulumi\npulumi.export('greeting', 'hello')\n")
    status, out, err = run(capsys, "--project-dir", str(root), "dev", "--format", "json")
    assert status == 0, err
    report = json.loads(out)
    assert report["project"] == "shop" and report["outputs"]["greeting"] == "hello"


def test_a_stack_reference_without_outputs_names_the_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _project(
        tmp_path / "project",
        program="import pulumi\npulumi.export('vpc', pulumi.StackReference('acme/net/dev').get_output('vpcId'))\n",
    )
    status, out, err = run(capsys, "--project-dir", str(root), "dev")
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and "give --stack-reference acme/net/dev=FILE" in err

    outputs = tmp_path / "net.json"
    outputs.write_text(json.dumps({"vpcId": "vpc-0123"}))  # `pulumi stack output --json` form
    status, out, err = run(
        capsys, "--project-dir", str(root), "--stack-reference", f"acme/net/dev={outputs}", "dev", "--format", "json"
    )
    assert status == 0, err
    assert json.loads(out)["outputs"]["vpc"] == "vpc-0123"


def test_config_file_replaces_the_projects_stack_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _project(
        tmp_path / "project", program="import pulumi\npulumi.export('who', pulumi.Config().require('who'))\n"
    )
    (root / "Pulumi.dev.yaml").unlink()
    other = tmp_path / "elsewhere.yaml"
    other.write_text("config:\n  shop:who: carol\n")
    status, out, err = run(capsys, "--project-dir", str(root), "--config-file", str(other), "dev", "--format", "json")
    assert status == 0, err
    assert json.loads(out)["outputs"]["who"] == "carol"


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("acme/net/dev", "give NAME=FILE"),
        ("acme/net/dev=/nonexistent.json", "--stack-reference acme/net/dev: cannot read /nonexistent.json as JSON"),
    ],
)
def test_a_bad_stack_reference_option_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, message: str
) -> None:
    root = _project(tmp_path / "project")
    status, _, err = run(capsys, "--project-dir", str(root), "--stack-reference", option, "dev")
    assert status == 2 and message in err


def test_stack_reference_files_export_form_keeps_secrets_and_names_withheld_ones() -> None:
    document = {
        "version": 3,
        "deployment": {
            "resources": [
                {
                    "urn": "urn:pulumi:dev::net::pulumi:pulumi:Stack::net-dev",
                    "type": "pulumi:pulumi:Stack",
                    "outputs": {
                        "vpcId": "vpc-1",
                        # `pulumi stack export --show-secrets`: the value as JSON text
                        "token": {SECRET_SIG: SECRET_VALUE, "plaintext": json.dumps({"a": 1})},
                        "key": {SECRET_SIG: SECRET_VALUE, "ciphertext": "AAAA"},
                    },
                }
            ]
        },
    }
    outputs = outputs_of(document, "net.json")
    assert outputs["vpcId"] == StackOutput("vpc-1", False)
    assert outputs["token"] == StackOutput({"a": 1}, True)
    assert outputs["key"] == StackOutput(None, True)
    with pytest.raises(StackReferenceError, match="no pulumi:pulumi:Stack resource"):
        outputs_of({"version": 3, "deployment": {"resources": []}}, "empty.json")


def test_an_installed_pack_runs_with_this_interpreter_not_a_checkout_venv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a wheel the pack is site-packages/eksplatform/policies; its PulumiPolicy.yaml names the
    checkout's ../.venv, which does not exist there. The interpreter running preflight has
    eksplatform and pulumi-policy (the [policy] extra): the pack runs with it, with no warning."""
    site = tmp_path / "site-packages"
    pack = site / "eksplatform" / "policies"
    pack.mkdir(parents=True)
    (pack / "PulumiPolicy.yaml").write_text((DEFAULT_PACK / "PulumiPolicy.yaml").read_text())
    assert not analyze.installed(pack)
    assert analyze.runtime_problem(pack) is not None  # ../.venv is missing: the CLI could not run it
    monkeypatch.setattr(sysconfig, "get_paths", lambda: {"purelib": str(site), "platlib": str(site)})
    assert analyze.installed(pack)
    assert analyze.pack_command(pack)[0] == sys.executable
    assert analyze.runtime_problem(pack) is None


def test_a_user_or_target_install_of_the_pack_is_installed_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`pip install --user`/`--target` put eksplatform outside site-packages: the pack this
    interpreter imports, outside a checkout, still runs with this interpreter; a checkout's not."""
    target = tmp_path / "target" / "eksplatform" / "policies"
    target.mkdir(parents=True)
    (target / "__init__.py").write_text("")
    import eksplatform.policies

    monkeypatch.setattr(eksplatform.policies, "__file__", str(target / "__init__.py"))
    assert analyze.installed(target)
    assert not analyze.installed(DEFAULT_PACK)  # this checkout's policies/, beside pyproject.toml


def test_the_default_pack_is_the_installed_package_folder() -> None:
    import eksplatform.policies

    assert Path(eksplatform.policies.__file__).resolve().parent == DEFAULT_PACK
    assert (DEFAULT_PACK / "PulumiPolicy.yaml").is_file()


@pytest.mark.parametrize(("project", "applied"), [("platform", True), ("", True), ("platform-consumer", False)])
def test_the_packs_stack_files_are_only_for_the_platform_project(
    monkeypatch: pytest.MonkeyPatch, project: str, applied: bool
) -> None:
    monkeypatch.setitem(STACK_NAME_SENT, "project", project)
    assert (policy_pack.stack_file("dev") is not None) is applied


if __name__ == "__main__":
    # Rewrites the consumer example's fixture from a fresh synth of the platform's dev stack.
    from eksplatform.preflight.synth import synth

    document = outputs_document(synth("dev").outputs, "platform", "dev")
    FIXTURE.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")


PROVIDER = 'import pulumi\nimport pulumi_aws as aws\np = aws.Provider("p", region="us-east-1")\n'


@pytest.mark.parametrize(
    ("program", "expected"),
    [
        # The program's own bug: exit 3 (not 1, a policy verdict), one line with where it happened.
        ("x = 1\nraise ValueError('boom')\n", "error: the program failed: ValueError: boom (at __main__.py, line 2)"),
        # The program refused its input (pulumi.RunError): an input error, exit 2.
        ("import pulumi\nraise pulumi.RunError('region: not given')\n", "error: the program refused its input: region"),
        # A component's Args refused theirs: exit 2 with the field's path.
        (
            PROVIDER + "from eksplatform.components.registry import ImageRegistry, ImageRegistryArgs\n"
            "ImageRegistry('r', ImageRegistryArgs(repositories=['BAD NAME']), "
            "opts=pulumi.ResourceOptions(provider=p))\n",
            "error: the program refused its input: args.repositories[0]: 'BAD NAME' is not an ECR repository name",
        ),
    ],
    ids=["crash", "run-error", "bad-args"],
)
def test_a_failing_program_gets_one_line_and_its_own_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], program: str, expected: str
) -> None:
    project = _project(tmp_path, program=program)
    status, out, err = run(capsys, "--project-dir", str(project), "dev")
    assert status == (3 if "failed" in expected else 2)
    assert err.strip().splitlines()[-1].startswith(expected), err
    assert "Traceback" not in err + out


def test_without_the_policy_extra_preflight_says_which_to_install_before_running_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import eksplatform.preflight.__main__ as preflight_main

    monkeypatch.setattr(preflight_main, "installed", lambda pack: True)  # as from a wheel
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *rest: None if name == "pulumi_policy" else real_find_spec(name, *rest),
    )
    project = _project(tmp_path, program="raise SystemExit('the program must not run')\n")
    status, _, err = run(capsys, "--project-dir", str(project), "dev")
    assert status == 2
    assert err.strip() == (
        "error: preflight runs the policy pack, which needs the `policy` extra: pip install 'eksplatform[policy]'"
    )

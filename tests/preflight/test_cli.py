"""`eksplatform-preflight`: synth, analysis through the real pack over gRPC, reports and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from eksplatform.preflight.__main__ import main
from eksplatform.preflight.export_format import SECRET_SIG
from eksplatform.preflight.synth import PROJECT_ROOT
from tests.conftest import synthesized
from tests.helpers import plaintext_leaks
from tests.shared import shared_path

# Repeated analyses of one state are answered once per session (tests/pack_answers.py).
pytestmark = pytest.mark.usefixtures("shared_analyses")

SARIF_SCHEMA_FIXTURE = "schemas/sarif-schema-2.1.0.json"
SARIF_SCHEMA = shared_path(SARIF_SCHEMA_FIXTURE)
STACK = "urn:pulumi:legacy::shop::"
PROVIDER_URN = STACK + "pulumi:providers:aws::default_7_0_0"
TAGS = {"environment": "prod", "owner": "o", "cost-center": "c", "managed-by": "pulumi"}


def bad_state() -> dict[str, Any]:
    """Another program's export: an unencrypted database, a privileged pod, 5432 open to the world."""

    def resource(type_token: str, name: str, inputs: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {
            "urn": f"{STACK}{type_token}::{name}",
            "custom": True,
            "id": name,
            "type": type_token,
            "inputs": inputs,
            "parent": STACK + "pulumi:pulumi:Stack::shop-legacy",
            "provider": f"{PROVIDER_URN}::0000",
            **extra,
        }

    return {
        "version": 3,
        "deployment": {
            "manifest": {"version": "v3.200.0"},
            "resources": [
                {"urn": STACK + "pulumi:pulumi:Stack::shop-legacy", "custom": False, "type": "pulumi:pulumi:Stack"},
                {
                    "urn": PROVIDER_URN,
                    "custom": True,
                    "id": "0000",
                    "type": "pulumi:providers:aws",
                    "inputs": {"region": "us-east-1", "defaultTags": json.dumps({"tags": TAGS})},
                },
                resource(
                    "aws:rds/instance:Instance",
                    "orders-db",
                    {
                        "instanceClass": "db.t4g.micro",
                        "storageEncrypted": False,
                        "backupRetentionPeriod": 7,
                        "deletionProtection": True,
                        "skipFinalSnapshot": False,
                        "finalSnapshotIdentifier": "orders-final",
                        "password": {SECRET_SIG: "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "v1:abc"},
                    },
                ),
                resource(
                    "kubernetes:core/v1:Pod",
                    "debug-pod",
                    {
                        "metadata": {"name": "debug", "namespace": "tools"},
                        "spec": {
                            "containers": [
                                {
                                    "name": "shell",
                                    "image": "public.ecr.aws/docker/library/busybox:1.36",
                                    "securityContext": {"privileged": True},
                                }
                            ]
                        },
                    },
                ),
                resource(
                    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
                    "db-from-anywhere",
                    {
                        "securityGroupId": "sg-1",
                        "ipProtocol": "tcp",
                        "fromPort": 5432,
                        "toPort": 5432,
                        "cidrIpv4": "0.0.0.0/0",
                    },
                ),
            ],
        },
    }


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture(scope="module")
def prod_json(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    output = tmp_path_factory.mktemp("prod") / "report.json"
    assert main(["prod", "--format", "json", "--output", str(output)]) == 0
    document: dict[str, Any] = json.loads(output.read_text())
    return document


def test_prod_prints_the_tree_the_counts_and_the_policy_result(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "prod")
    assert status == 0
    assert " + " in out and "└─ platform:index:Region" in out
    assert "to create in total" in out
    # Advisory only: the global database's master secrets and the cache users' secrets, which AWS's
    # rotation functions can rotate, do not rotate yet (docs/policies.md); AUTH tokens cannot. And
    # the node groups at their maxSize would cost more than the budget (docs/cost.md, the budget gate).
    assert "platform@" in out and "Policy check passed: 0 mandatory, 7 advisory violation(s)." in out
    assert "with every node group at its maxSize the estimate is" in out


def test_a_bad_state_fails_and_names_every_resource_and_policy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "legacy.json"
    state.write_text(json.dumps(bad_state()))
    status, out, _ = run(capsys, "--state", str(state))
    assert status == 1
    for urn, policy in (
        (STACK + "aws:rds/instance:Instance::orders-db", "encryption-rds-storage-cmk"),
        (STACK + "kubernetes:core/v1:Pod::debug-pod", "noroot-kubernetes-pod-security-restricted"),
        (
            STACK + "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule::db-from-anywhere",
            "exposure-security-group-no-world-ingress",
        ),
    ):
        assert f"[{policy}] {urn}" in out
    assert "Policy check FAILED" in out


def test_the_json_report_lists_every_resource_and_violation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = tmp_path / "legacy.json"
    state.write_text(json.dumps(bad_state()))
    status, out, _ = run(capsys, "--state", str(state), "--format", "json")
    report = json.loads(out)
    assert status == 1 and report["stack"] == "legacy"
    assert len(report["resources"]) == 4  # the provider and the three resources
    policies = {v["policyName"] for v in report["violations"]}
    assert {"encryption-rds-storage-cmk", "noroot-kubernetes-pod-security-restricted"} <= policies
    assert all(
        set(v) >= {"policyPackName", "policyName", "enforcementLevel", "urn", "message"} for v in report["violations"]
    )
    assert report["summary"]["violations"]["mandatory"] == len(
        [v for v in report["violations"] if v["enforcementLevel"] == "mandatory"]
    )
    assert report["summary"]["passed"] is False


def test_prod_json_covers_every_resource(prod_json: dict[str, Any]) -> None:
    graph = synthesized("prod")
    assert {r["urn"] for r in prod_json["resources"]} == {r.urn for r in graph.resources}
    assert prod_json["summary"]["passed"] is True
    advisory = prod_json["violations"]
    assert {v["policyName"] for v in advisory} == {
        "data-secretsmanager-rotation",
        "cost-stack-monthly-budget-at-max-size",
    }
    assert all(v["enforcementLevel"] == "advisory" for v in advisory)
    secrets = [v for v in advisory if v["policyName"] == "data-secretsmanager-rotation"]
    assert all("aws:secretsmanager/secret:Secret" in v["urn"] for v in secrets)


@pytest.mark.shared(SARIF_SCHEMA_FIXTURE)
def test_the_sarif_report_validates_against_the_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = tmp_path / "legacy.json"
    state.write_text(json.dumps(bad_state()))
    _, out, _ = run(capsys, "--state", str(state), "--format", "sarif")
    sarif = json.loads(out)
    schema = json.loads(SARIF_SCHEMA.read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(sarif)
    results = sarif["runs"][0]["results"]
    assert results and all(r["level"] in ("error", "warning") for r in results)
    rules = {rule["id"] for rule in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert {r["ruleId"] for r in results} == rules


def test_the_markdown_report_is_a_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = tmp_path / "legacy.json"
    state.write_text(json.dumps(bad_state()))
    _, out, _ = run(capsys, "--state", str(state), "--format", "markdown")
    lines = out.splitlines()
    header = lines.index("| Level | Policy | Resource | Message |")
    assert lines[header + 1] == "| --- | --- | --- | --- |"
    assert any(line.startswith("| mandatory | `encryption-rds-storage-cmk` |") for line in lines)
    assert "❌ failed" in lines[0]


def test_export_is_a_stack_export_document_without_secrets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = tmp_path / "dev.json"
    status, _, _ = run(capsys, "dev", "--export", str(export))
    assert status == 0
    document = json.loads(export.read_text())
    assert document["version"] == 3
    resources = document["deployment"]["resources"]
    assert resources[0]["type"] == "pulumi:pulumi:Stack"
    keys = {
        "urn",
        "custom",
        "type",
        "inputs",
        "parent",
        "provider",
        "dependencies",
        "propertyDependencies",
        "protect",
        "retainOnDelete",
    }
    database = next(r for r in resources if r["type"] == "aws:rds/instance:Instance")
    assert keys <= set(database)
    graph = synthesized("dev")
    for password in (p.outputs["result"] for p in graph.by_type("random:index/randomPassword:RandomPassword")):
        assert password not in export.read_text()
    assert plaintext_leaks(graph, "never-a-password") == []
    # The export analyzes like the synth it came from.
    status, out, _ = run(capsys, "--state", str(export))
    assert status == 0 and "Policy check passed" in out


def test_a_policy_config_override_is_applied(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stricter = tmp_path / "stricter.json"
    stricter.write_text(json.dumps({"data-rds-backup-retention": {"minBackupRetentionDays": 30}}))
    status, out, _ = run(capsys, "dev", "--policy-config", str(stricter))
    assert status == 1
    assert "[data-rds-backup-retention]" in out and "at least 30 days (it is 7)" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "give a stack name, or --state FILE"),
        (["qa"], "no stack file"),
        (["--state", "/nonexistent.json"], "cannot read a JSON state document"),
        (["dev", "--policy-pack", "/tmp"], "no PulumiPolicy.yaml"),
    ],
)
def test_usage_errors_exit_2_with_a_message(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    status, _, err = run(capsys, *argv)
    assert status == 2
    assert message in err


# Each broken stack file: the text to replace in Pulumi.dev.yaml, and what the one error line says.
BROKEN_STACK_FILES = {
    "yaml syntax": (
        "platform:owner: platform-team",
        "platform:owner: [platform-team",
        "line 5, column 22: did not find expected ',' or ']'",
    ),
    "a tab": (
        "  platform:owner",
        "\tplatform:owner",
        "line 4, column 1: found a tab character that violates indentation (YAML does not allow tabs for "
        "indentation; use spaces)",
    ),
    "a duplicate key": (
        "  platform:owner: platform-team",
        "  platform:owner: platform-team\n  platform:owner: someone-else",
        "line 5: duplicate key 'platform:owner' (first at line 4)",
    ),
    "a mistyped namespace": (
        "  platform:costCenter",
        "  plaform:costCenter",
        "plaform:costCenter: unknown namespace 'plaform'; did you mean 'platform:costCenter'?",
    ),
    "a version YAML reads as a number": (
        'kubernetesVersion: "1.35"',
        "kubernetesVersion: 1.30",
        "kubernetesVersion: 1.3 is a number; write the version as text in quotes",
    ),
    "a CIDR with host bits set": (
        "cidr: 10.10.0.0/16",
        "cidr: 10.10.0.1/16",
        "regions[0].vpc.cidr: 10.10.0.1/16 has host bits set; the network is 10.10.0.0/16",
    ),
    "a CIDR YAML reads as a boolean": (  # YAML 1.1's `yes`: pydantic alone would read 0.0.0.1/32
        "cidr: 10.10.0.0/16",
        "cidr: yes",
        "regions[0].vpc.cidr: write the CIDR as text, e.g. '10.10.0.0/16' (YAML read True, not text)",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN_STACK_FILES))
def test_a_broken_stack_file_is_one_message_and_exit_2(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new, message = BROKEN_STACK_FILES[case]
    text = (PROJECT_ROOT / "Pulumi.dev.yaml").read_text()
    assert old in text
    broken = tmp_path / "Pulumi.dev.yaml"
    broken.write_text(text.replace(old, new, 1))
    status, out, err = run(capsys, "dev", "--config-file", str(broken))
    assert status == 2, err
    assert message in err
    assert "Traceback" not in err and out == ""


@pytest.mark.parametrize("option", ["--output", "--diagram", "--export"])
def test_an_output_file_in_a_missing_folder_is_one_message_and_exit_2(
    option: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "missing" / "file.txt"
    status, out, err = run(capsys, "dev", option, str(target))
    assert status == 2
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert errors == [f"error: cannot write {option} {target}: No such file or directory"]
    assert "Traceback" not in err
    assert out == ""


def test_a_document_that_is_not_an_export_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = tmp_path / "not-export.json"
    state.write_text(json.dumps({"resources": []}))
    status, _, err = run(capsys, "--state", str(state))
    assert status == 2 and '"version": 3' in err


SECOND_PACK = """
from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy


def ingress_needs_ticket(args, report_violation):
    if args.resource_type == "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule":
        report_violation("team rule: every ingress rule needs a ticket number in its description")


PolicyPack(
    name="team-extras",
    policies=[
        ResourceValidationPolicy(
            name="team-ingress-ticket",
            description="Ingress rules carry a ticket number.",
            validate=ingress_needs_ticket,
            enforcement_level=EnforcementLevel.ADVISORY,
        )
    ],
)
"""


def test_more_packs_can_be_run_side_by_side(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pack = tmp_path / "team-pack"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (pack / "__main__.py").write_text(SECOND_PACK)
    state = tmp_path / "legacy.json"
    state.write_text(json.dumps(bad_state()))
    status, out, _ = run(
        capsys,
        "--state",
        str(state),
        "--format",
        "json",
        "--policy-pack",
        str(PROJECT_ROOT / "policies"),
        "--policy-pack",
        str(pack),
    )
    report = json.loads(out)
    assert status == 1
    assert [p["name"] for p in report["policyPacks"]] == ["platform", "team-extras"]
    extra = [v for v in report["violations"] if v["policyPackName"] == "team-extras"]
    assert [(v["policyName"], v["enforcementLevel"]) for v in extra] == [("team-ingress-ticket", "advisory")]
    assert extra[0]["urn"].endswith("SecurityGroupIngressRule::db-from-anywhere")


def test_a_node_pack_is_started_with_node(tmp_path: Path) -> None:
    from eksplatform.preflight.analyze import pack_command

    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: nodejs\n")
    assert pack_command(tmp_path) == ["node", str(tmp_path)]
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime:\n  name: go\n")
    with pytest.raises(Exception, match="runtime 'go' is not supported"):
        pack_command(tmp_path)


def test_the_json_report_carries_the_cost_estimate(prod_json: dict[str, Any]) -> None:
    cost = prod_json["cost"]
    assert cost["currency"] == "USD"
    assert cost["monthlyTotal"] == pytest.approx(sum(line["monthly"] for line in cost["lines"]), abs=0.01)
    assert cost["monthlyTotal"] == pytest.approx(sum(row["monthly"] for row in cost["byRegionAndComponent"]), abs=0.01)
    assert {row["region"] for row in cost["byRegionAndComponent"]} == {"us-east-1", "eu-west-1", "ap-southeast-1"}
    assert cost["unpriced"] == []
    assert all(line["source"].startswith("https://aws.amazon.com/") and line["read"] for line in cost["lines"])
    assert {a["name"] for a in cost["assumptions"]} >= {"hours-per-month", "spot-price-factor", "replication-gb"}
    eks = [line for line in cost["lines"] if line["what"] == "EKS control plane"]
    assert [line["monthly"] for line in eks] == [73.0, 73.0, 73.0]


def test_every_format_shows_the_cost_and_what_has_no_price(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = bad_state()
    database = next(r for r in document["deployment"]["resources"] if r["type"] == "aws:rds/instance:Instance")
    database["inputs"]["allocatedStorage"] = 20
    bucket = dict(document["deployment"]["resources"][2], urn=STACK + "aws:s3/bucket:Bucket::assets")
    document["deployment"]["resources"].append({**bucket, "type": "aws:s3/bucket:Bucket", "inputs": {"bucket": "a"}})
    state = tmp_path / "legacy.json"
    state.write_text(json.dumps(document))

    _, text, _ = run(capsys, "--state", str(state))
    assert "Estimated monthly cost (USD" in text
    assert f"no price for aws:s3/bucket:Bucket ({STACK}aws:s3/bucket:Bucket::assets)" in text
    # What has no price comes first, and the total is a lower bound with no upper one.
    assert "1 resource(s) have no price, so the total is only a lower bound" in text
    assert text.index("no price for aws:s3/bucket:Bucket") < text.index("    (stack)")
    assert "at least $" in text and "no upper bound" in text
    # The database: db.t4g.micro Single-AZ and its storage, priced in the provider's region.
    assert "(stack)" in text and "us-east-1" in text

    _, out, _ = run(capsys, "--state", str(state), "--format", "json")
    cost = json.loads(out)["cost"]
    assert [u["type"] for u in cost["unpriced"]] == ["aws:s3/bucket:Bucket"]
    assert cost["complete"] is False and cost["range"]["high"] is None
    assert cost["lines"][0]["what"] == "db.t4g.micro Single-AZ" and cost["lines"][0]["monthly"] == 11.68

    _, out, _ = run(capsys, "--state", str(state), "--format", "markdown")
    assert "| Region | Component | Monthly |" in out.splitlines()
    assert "- no price for aws:s3/bucket:Bucket" in out

    _, out, _ = run(capsys, "--state", str(state), "--format", "sarif")
    assert json.loads(out)["runs"][0]["properties"]["cost"]["monthlyTotal"] == cost["monthlyTotal"]


def test_a_stack_over_its_budget_fails_when_the_budget_is_mandatory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tight = tmp_path / "tight.json"
    budget = {"enforcementLevel": "mandatory", "monthlyBudgetUsd": 100}
    tight.write_text(json.dumps({"cost-stack-monthly-budget": budget}))
    status, out, _ = run(capsys, "dev", "--policy-config", str(tight))
    assert status == 1
    assert "[cost-stack-monthly-budget] (stack)" in out
    assert "over the budget $100.00" in out and "EKS control plane in us-east-1 $73.00" in out


# --- #22: strict config, the config named, initialConfig, relative packs, remediation ------


def _legacy(tmp_path: Path) -> Path:
    state = tmp_path / "legacy.json"
    state.write_text(json.dumps(bad_state()))
    return state


def test_a_config_typo_stops_preflight_naming_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    typo = tmp_path / "typo.json"
    typo.write_text(json.dumps({"data-rds-backup-retention": {"minBackupRetentionDay": 30}}))
    status, _, err = run(capsys, "dev", "--policy-config", str(typo))
    assert status == 2
    assert "data-rds-backup-retention: unknown setting 'minBackupRetentionDay'" in err
    misnamed = tmp_path / "misnamed.json"
    misnamed.write_text(json.dumps({"data-rds-backup-retenton": "mandatory"}))
    status, _, err = run(capsys, "dev", "--policy-config", str(misnamed))
    assert status == 2 and "names policies no pack has: data-rds-backup-retenton" in err


def test_preflight_names_the_config_it_applied_or_warns_without_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(capsys, "--state", str(_legacy(tmp_path)))
    assert status == 1
    assert "warning: stack 'legacy' has no policy config (policies/config/legacy.json)" in err
    assert "config: none (every policy at its default)" in out
    status, out, err = run(capsys, "dev")
    assert "policy config: policies/config/dev.json" in err and "config: policies/config/dev.json" in out


INITIAL_CONFIG_PACK = """
from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy


def no_pods(args, report_violation):
    if args.resource_type == "kubernetes:core/v1:Pod":
        report_violation("no bare pods")


PolicyPack(
    name="guard",
    enforcement_level=EnforcementLevel.ADVISORY,
    initial_config={"all": EnforcementLevel.MANDATORY},
    policies=[ResourceValidationPolicy(name="guard-no-pods", description="No bare pods.", validate=no_pods)],
)
"""


def test_a_packs_initial_config_is_honoured(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pack = tmp_path / "guard"
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text("runtime: python\n")
    (pack / "__main__.py").write_text(INITIAL_CONFIG_PACK)
    state = _legacy(tmp_path)
    monkeypatch.chdir(tmp_path)  # the pack given by a relative path
    status, out, _ = run(capsys, "--state", str(state), "--format", "json", "--policy-pack", "guard")
    report = json.loads(out)
    guard = [v for v in report["violations"] if v["policyPackName"] == "guard"]
    assert [(v["policyName"], v["enforcementLevel"]) for v in guard] == [("guard-no-pods", "mandatory")]
    assert status == 1


def test_preflight_reports_what_would_be_remediated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = bad_state()
    key = dict(document["deployment"]["resources"][-1])
    key.update(
        urn=STACK + "aws:kms/key:Key::orders-key", type="aws:kms/key:Key", id="k", inputs={"enableKeyRotation": False}
    )
    document["deployment"]["resources"].append(key)
    state = tmp_path / "legacy.json"
    state.write_text(json.dumps(document))
    config = tmp_path / "remediate.json"
    config.write_text(json.dumps({"encryption-kms-key-rotation": "remediate"}))
    status, markdown, _ = run(capsys, "--state", str(state), "--policy-config", str(config), "--format", "markdown")
    # Markdown shows the short name in the table and the URN in a details block below it.
    assert "| `encryption-kms-key-rotation` | `orders-key` | enableKeyRotation |" in markdown
    assert "- `orders-key`: `" + STACK + "aws:kms/key:Key::orders-key`" in markdown
    status, out, _ = run(capsys, "--state", str(state), "--policy-config", str(config), "--format", "json")
    assert status == 1  # remediation is reported, the violations stay (bad_state has mandatory ones)
    fixes = json.loads(out)["remediations"]
    assert fixes == [
        {
            "policyPackName": "platform",
            "policyName": "encryption-kms-key-rotation",
            "urn": STACK + "aws:kms/key:Key::orders-key",
            "changed": ["enableKeyRotation"],
        }
    ]


def test_the_stacks_usage_file_is_read_and_a_bad_one_stops_the_run_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    usage_dir = tmp_path / "usage"  # the project's usage/ folder (--project-dir)
    usage_dir.mkdir()
    state = tmp_path / "legacy.json"
    state.write_text(json.dumps(bad_state()))  # the stack is "legacy": usage/legacy.yaml

    (usage_dir / "legacy.yaml").write_text("resources:\n  no-such-resource:\n    natGbPerGateway: 10\n")
    _, out, err = run(capsys, "--state", str(state), "--project-dir", str(tmp_path))
    assert "usage: usage/legacy.yaml" in err
    assert "  Usage: usage/legacy.yaml" in out
    assert "warning: the usage file names no-such-resource, which this stack does not have" in out

    (usage_dir / "legacy.yaml").write_text("defaults:\n  natGb: 10\n")
    status, out, err = run(capsys, "--state", str(state), "--project-dir", str(tmp_path))
    assert status == 2 and out == ""
    assert "error: usage/legacy.yaml: defaults.natGb: not a usage key" in err


def test_preflight_imports_the_stack_layer_only_for_a_synth(tmp_path: Path) -> None:
    # Every component and pulumi_aws module (0.7 s): not for `--state`, nor for a refusal before a synth.
    state = tmp_path / "state.json"
    state.write_text("{}")
    probe = (
        "import sys; from eksplatform.preflight import __main__ as cli, synth\n"
        "loaded = lambda: 'eksplatform.stack.loading' in sys.modules\n"
        "print(loaded())\n"
        f"print(cli.main(['no-such-stack', '--project-dir', {str(tmp_path)!r}]), loaded())\n"
        f"print(cli.main(['--state', {str(state)!r}]), loaded())\n"
        "synth.import_stack_layer(); print(loaded())\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120)
    assert done.stdout.split() == ["False", "2", "False", "2", "False", "True"], done.stderr

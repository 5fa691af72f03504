"""`eksplatform-preflight dev --base FILE`: the changes against a mutated base export in every format,
a bad base, and `--state` on an export (its wording and its stack outputs)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from eksplatform.preflight.__main__ import main
from eksplatform.preflight.export import read_state
from eksplatform.preflight.export_format import SECRET_SIG
from eksplatform.preflight.synth import PROJECT_ROOT
from tests.conftest import synthesized
from tests.preflight.test_cli import SARIF_SCHEMA, SARIF_SCHEMA_FIXTURE, run

# Repeated analyses of one state are answered once per session (tests/pack_answers.py).
pytestmark = pytest.mark.usefixtures("shared_analyses")

PREFIX = "urn:pulumi:dev::platform::"
DB = PREFIX + "platform:index:ManagedPostgres$aws:rds/instance:Instance::us-east-1-postgres-db"
LOGS = PREFIX + "platform:index:Cluster$aws:cloudwatch/logGroup:LogGroup::us-east-1-cluster-control-plane-logs"
BUCKET = PREFIX + "platform:index:ManagedPostgres$aws:s3/bucket:Bucket::us-east-1-postgres-exports"
OLD_KEY = PREFIX + "platform:index:ManagedPostgres$aws:kms/key:Key::us-east-1-postgres-old-key"


@pytest.fixture(scope="module")
def dev_export(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("dev") / "dev.json"
    assert main(["dev", "--export", str(path), "--output", str(path.with_suffix(".txt"))]) == 0
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def _count(document: dict[str, Any]) -> int:
    """The resources preflight analyzes in an export (as `--state` counts them)."""
    return sum(1 for r in read_state(document, "export").resources if r.type != "pulumi:pulumi:Stack")


def _by_urn(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["urn"]: r for r in document["deployment"]["resources"]}


@pytest.fixture(scope="module")
def mutated_base(dev_export: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The main branch as this change finds it: each difference is one of the four actions."""
    base = copy.deepcopy(dev_export)
    resources = base["deployment"]["resources"]
    by_urn = _by_urn(base)
    alarm = next(r for r in resources if r["type"] == "aws:cloudwatch/metricAlarm:MetricAlarm")
    resources.remove(alarm)  # the branch creates it
    by_urn[LOGS]["inputs"]["retentionInDays"] = 7.0  # the branch keeps logs 14 days: an update
    database = by_urn[DB]["inputs"]
    database["instanceClass"] = "db.t4g.medium"  # the branch downsizes: an update, and a cheaper month
    database["storageEncrypted"] = False  # ForceNew: the branch replaces the database
    template = {k: v for k, v in by_urn[DB].items() if k in ("custom", "parent", "provider")}
    bucket = {"urn": BUCKET, "type": "aws:s3/bucket:Bucket", "id": "exports", "inputs": {"bucket": "exports"}}
    key = {"urn": OLD_KEY, "type": "aws:kms/key:Key", "id": "k-1", "inputs": {"enableKeyRotation": True}}
    resources += [template | bucket | {"retainOnDelete": True}, template | key]  # the branch deletes both
    path = tmp_path_factory.mktemp("base") / "main.json"
    path.write_text(json.dumps(base))
    return path


def test_text_lists_each_change_with_the_data_at_risk_first(
    mutated_base: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = run(capsys, "dev", "--base", str(mutated_base))
    assert status == 0, err  # the diff informs; the policies decide the exit status
    lines = out.splitlines()
    risk = lines.index("DATA AT RISK: 3 stateful resource(s) would be replaced or deleted:")
    assert risk < next(i for i, line in enumerate(lines) if line.lstrip().startswith("Type "))
    assert lines[risk + 1].startswith(
        "    replace database us-east-1-postgres-db: storageEncrypted forces it "
        "(hashicorp/terraform-provider-aws internal/service/rds/instance.go)"
    )
    assert lines[risk + 2] == "    delete key us-east-1-postgres-old-key"
    assert lines[risk + 3] == (
        "    delete bucket us-east-1-postgres-exports; retainOnDelete: the old one leaves the stack but stays in AWS"
    )
    # The base has the branch's resources but the created alarm, plus the bucket and key it deletes.
    total = _count(json.loads(mutated_base.read_text()))
    assert f"Changes against {mutated_base} (platform/dev, {total} resources): 1 to create, 3 to update, " in out
    assert f"1 to replace, 2 to delete, {total - 6} unchanged" in out
    assert " +- aws:rds/instance:Instance us-east-1-postgres-db (replace)" in lines
    assert '        instanceClass: "db.t4g.medium" → "db.t4g.micro"' in lines
    assert (
        "        storageEncrypted: false → true  [forces replacement: hashicorp/terraform-provider-aws "
        "internal/service/rds/instance.go]"
    ) in lines
    assert "        retentionInDays: 7 → 14" in lines
    # The alarms on the replaced database read its identifier: known only once it is created again.
    assert lines.count('        dimensions: {"DBInstanceIdentifier": "platform-dev-use1"} → (known after apply)') == 2
    assert "  - aws:s3/bucket:Bucket us-east-1-postgres-exports (delete)" in lines
    assert "Updates of types without known replacement rules" not in out  # alarms and log groups have rules
    assert "Policy check passed" in out


def test_json_carries_the_changes_and_the_cost_before_and_after(
    mutated_base: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = run(capsys, "dev", "--base", str(mutated_base), "--format", "json")
    found = json.loads(out)["diff"]
    same = _count(json.loads(mutated_base.read_text())) - 6
    assert found["summary"] == {"create": 1, "update": 3, "replace": 1, "delete": 2, "same": same}
    assert [(r["urn"], r["action"], r["stateful"]) for r in found["dataAtRisk"]] == [
        (DB, "replace", "database"),
        (OLD_KEY, "delete", "key"),
        (BUCKET, "delete", "bucket"),
    ]
    database = next(c for c in found["changes"] if c["urn"] == DB)
    assert database["inputs"] == [
        {
            "path": "instanceClass",
            "old": "db.t4g.medium",
            "new": "db.t4g.micro",
            "computed": False,
            "reordered": False,
            "forcesReplacement": False,
            "replacementRule": None,
        },
        {
            "path": "storageEncrypted",
            "old": False,
            "new": True,
            "computed": False,
            "reordered": False,
            "forcesReplacement": True,
            "replacementRule": "hashicorp/terraform-provider-aws internal/service/rds/instance.go",
        },
    ]
    # db.t4g.medium to db.t4g.micro: the instance hours get cheaper, the storage stays.
    assert database["monthlyBefore"] > database["monthlyAfter"] > 0
    cost = found["cost"]
    # The deleted bucket is priced by usage: what its deletion saves is unknown, so is the total's change.
    assert BUCKET in cost["unpricedBefore"] and cost["monthlyChange"] is None
    assert cost["monthlyAfter"] == json.loads(out)["cost"]["monthlyTotal"]
    by_urn = {row["urn"]: row for row in cost["byResource"]}
    assert by_urn[DB]["change"] == pytest.approx(database["monthlyAfter"] - database["monthlyBefore"], abs=0.01)
    created = next(c for c in found["changes"] if c["action"] == "create")
    assert by_urn[created["urn"]]["before"] is None and by_urn[created["urn"]]["after"] > 0  # an alarm
    # A rotating key at the default age (730 days): $1 for the key and $1 for each of two rotations.
    assert by_urn[OLD_KEY] == {
        "urn": OLD_KEY,
        "type": "aws:kms/key:Key",
        "before": 3.0,
        "after": None,
        "change": -3.0,
        "pricedBefore": True,
        "pricedAfter": True,
    }
    assert by_urn[BUCKET]["change"] is None and not by_urn[BUCKET]["pricedBefore"]
    priced = sum(row["change"] for row in cost["byResource"] if row["change"] is not None)
    assert priced == pytest.approx(cost["monthlyAfter"] - cost["monthlyBefore"], abs=0.01)


def test_markdown_calls_out_the_data_at_risk_and_shows_short_names(
    mutated_base: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = run(capsys, "dev", "--base", str(mutated_base), "--format", "markdown")
    lines = out.splitlines()
    assert lines[2] == "> [!CAUTION]"  # right under the title
    assert lines[3].startswith("> **3 stateful resource(s) would be replaced or deleted**")
    row = next(line for line in lines if line.startswith("| 🔁 replace |"))
    assert row.startswith(
        "| 🔁 replace | `us-east-1-postgres-db` | `aws:rds/instance:Instance` | "
        "`instanceClass`, `storageEncrypted` (replaces) |"
    )
    assert f"- `us-east-1-postgres-db`: `{DB}`" in lines  # the URN, in the details block
    details = lines.index("<details><summary>URNs and input changes</summary>")
    assert lines.index(f"- `us-east-1-postgres-db`: `{DB}`") > details
    assert not any(DB in line for line in lines[:details])
    assert any(line.startswith("**Monthly cost: $") for line in lines)
    assert "| Resource | Before | After | Change |" in lines


def test_sarif_is_unaffected_by_the_base(mutated_base: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, with_base, _ = run(capsys, "dev", "--base", str(mutated_base), "--format", "sarif")
    _, without, _ = run(capsys, "dev", "--format", "sarif")
    assert with_base == without


@pytest.mark.shared(SARIF_SCHEMA_FIXTURE)
def test_sarif_with_a_base_validates_against_the_schema(mutated_base: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, with_base, _ = run(capsys, "dev", "--base", str(mutated_base), "--format", "sarif")
    schema = json.loads(SARIF_SCHEMA.read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(json.loads(with_base))


def test_the_branchs_own_export_as_base_changes_nothing(
    dev_export: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = tmp_path / "same.json"
    base.write_text(json.dumps(dev_export))
    status, out, _ = run(capsys, "dev", "--base", str(base))
    assert status == 0
    assert f"0 to create, 0 to update, 0 to replace, 0 to delete, {_count(dev_export)} unchanged" in out
    assert "DATA AT RISK" not in out


def test_a_real_export_as_base_compares_provider_made_values_by_their_source(
    dev_export: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    real = copy.deepcopy(dev_export)
    real["deployment"]["manifest"] = {"magic": "abc", "version": "v3.200.0"}
    database = _by_urn(real)[DB]
    database["inputs"]["kmsKeyId"] = "arn:aws:kms:us-east-1:123456789012:key/real-key-id"  # AWS's, not the mocks'
    base = tmp_path / "real.json"
    base.write_text(json.dumps(real))
    _, out, _ = run(capsys, "dev", "--base", str(base), "--format", "json")
    assert json.loads(out)["diff"]["summary"]["replace"] == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read a JSON state document"),
        ("{not json", "cannot read a JSON state document"),
        (json.dumps({"version": 2}), 'expected a `pulumi stack export` document with "version": 3'),
        (
            json.dumps(
                {
                    "version": 3,
                    "deployment": {
                        "resources": [{"urn": "urn:pulumi:prod::platform::pulumi:pulumi:Stack::p", "type": "x"}]
                    },
                }
            ),
            "an export of platform/prod, not of platform/dev; every URN would differ",
        ),
    ],
)
def test_a_bad_base_is_one_message_naming_the_file_and_exit_2(
    content: str | None, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = tmp_path / "base.json"
    if content is not None:
        base.write_text(content)
    status, out, err = run(capsys, "dev", "--base", str(base))
    assert status == 2 and out == ""
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(f"error: --base {base}") and message in errors[0]
    assert "Traceback" not in err


def test_state_says_what_it_analyzed_and_keeps_the_stack_outputs(
    dev_export: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "dev.json"
    export.write_text(json.dumps(dev_export))
    status, out, _ = run(capsys, "--state", str(export))
    assert status == 0
    assert out.startswith(f"Analyzing {export}: stack platform/dev (a `pulumi stack export`):")
    assert f"analyzed: {export}, {_count(dev_export)} resources" in out and "to create" not in out
    assert "    kubeconfigs: [secret]" in out and '    environment: "dev"' in out
    _, out, _ = run(capsys, "--state", str(export), "--format", "json")
    report = json.loads(out)
    assert report["kind"] == "state"
    graph = synthesized("dev")
    assert report["outputs"] == {
        name: "[secret]" if output.secret else output.value for name, output in graph.outputs.items()
    }
    _, out, _ = run(capsys, "--state", str(export), "--format", "markdown")
    assert out.splitlines()[2].startswith(f"analyzed: {export}, {_count(dev_export)} resources;")


def test_the_export_carries_the_stack_outputs_without_secret_values(dev_export: dict[str, Any]) -> None:
    stack = dev_export["deployment"]["resources"][0]
    assert stack["type"] == "pulumi:pulumi:Stack"
    graph = synthesized("dev")
    assert set(stack["outputs"]) == set(graph.outputs) and graph.outputs
    for name, output in graph.outputs.items():
        if output.secret:
            assert SECRET_SIG in stack["outputs"][name]
            assert json.dumps(output.value) not in json.dumps(stack["outputs"][name])
        else:
            assert stack["outputs"][name] == json.loads(json.dumps(output.value))


def test_the_docs_document_base() -> None:
    readme = (PROJECT_ROOT / "docs" / "preflight.md").read_text()
    assert "--base FILE" in readme and "SARIF" in readme
    # The limits a reviewer has to know (issue #24 item 3).
    assert "`replaceOnChanges` resource options are not modelled" in readme
    assert '"known after apply" even when the new value' in readme and 'shows "no price" (not $0)' in readme


def test_two_exports_compare_without_a_synth(
    dev_export: dict[str, Any], mutated_base: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "dev.json"
    export.write_text(json.dumps(dev_export))
    status, out, _ = run(capsys, "--state", str(export), "--base", str(mutated_base), "--format", "json")
    assert status == 0
    same = _count(json.loads(mutated_base.read_text())) - 6
    assert json.loads(out)["diff"]["summary"] == {"create": 1, "update": 3, "replace": 1, "delete": 2, "same": same}


MALFORMED = [
    ("deployment", None, [1], "deployment must be an object"),
    ("inputs", 1, "oops", "deployment.resources[1].inputs must be an object"),
    ("outputs", 1, ["x"], "deployment.resources[1].outputs must be an object"),
    ("propertyDependencies", 1, ["x"], "deployment.resources[1].propertyDependencies must be an object"),
    ("propertyDependencies", 1, {"a": "urn:x"}, "deployment.resources[1].propertyDependencies.a must be a list"),
    ("provider", 1, {"urn": "x"}, "deployment.resources[1].provider must be a string"),
    ("parent", 1, 7, "deployment.resources[1].parent must be a string"),
    ("type", 1, None, "deployment.resources[1].type must be a string"),
    ("urn", 1, 5, "deployment.resources[1].urn must be a string"),
    ("ignoreChanges", 1, "tags", "deployment.resources[1].ignoreChanges must be a list of strings"),
    ("dependencies", 1, [3], "deployment.resources[1].dependencies must be a list of strings"),
]


@pytest.mark.parametrize("option", ["--state", "--base"])
@pytest.mark.parametrize(("field", "index", "value", "message"), MALFORMED)
def test_a_malformed_export_is_one_message_naming_the_field_and_exit_2(
    dev_export: dict[str, Any],
    option: str,
    field: str,
    index: int | None,
    value: Any,
    message: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    document = copy.deepcopy(dev_export)
    if index is None:
        document[field] = value
    else:
        document["deployment"]["resources"][index][field] = value
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document))
    argv = ["--state", str(path)] if option == "--state" else ["dev", "--base", str(path)]
    status, out, err = run(capsys, *argv)
    assert status == 2 and out == "", err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0] and str(path) in errors[0]
    assert "Traceback" not in err


@pytest.mark.parametrize("secret", [{"plaintext": '"hunter2"'}, {"ciphertext": "v1:hunter2-ciphertext"}])
@pytest.mark.parametrize("output_format", ["text", "json", "markdown"])
def test_a_secret_nested_in_a_base_value_is_never_shown(
    dev_export: dict[str, Any],
    secret: dict[str, str],
    output_format: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A `--show-secrets` export holds the plaintext, a normal one the ciphertext: neither is shown."""
    base = copy.deepcopy(dev_export)
    hidden = {SECRET_SIG: "1b47061264138c4ac30d75fd1eb44270"} | secret
    _by_urn(base)[DB]["inputs"]["connection"] = {"user": "app", "password": hidden}  # the branch drops it
    stack = next(r for r in base["deployment"]["resources"] if r["type"] == "pulumi:pulumi:Stack")
    stack["outputs"]["legacyConnection"] = {"user": "app", "password": hidden}
    path = tmp_path / "secrets.json"
    path.write_text(json.dumps(base))
    status, out, err = run(capsys, "dev", "--base", str(path), "--format", output_format)
    assert status == 0, err
    assert "hunter2" not in out
    if output_format == "json":
        found = json.loads(out)["diff"]
        (database,) = [c for c in found["changes"] if c["urn"] == DB]
        assert database["inputs"][0]["old"] == {"user": "app", "password": "[secret]"}
        (output,) = [o for o in found["outputs"] if o["name"] == "legacyConnection"]
        assert output["old"] == {"user": "app", "password": "[secret]"}
    else:
        assert '{"password": "[secret]", "user": "app"}' in out
        assert "legacyConnection" in out


@pytest.mark.parametrize("output_format", ["text", "json", "markdown"])
def test_an_unpriced_base_resource_is_no_price_not_zero(
    dev_export: dict[str, Any], output_format: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = copy.deepcopy(dev_export)
    _by_urn(base)[DB]["inputs"]["instanceClass"] = "db.x99.unpriced"  # no list price: unknown, not $0
    path = tmp_path / "unpriced.json"
    path.write_text(json.dumps(base))
    status, out, err = run(capsys, "dev", "--base", str(path), "--format", output_format)
    assert status == 0, err
    if output_format == "json":
        cost = json.loads(out)["diff"]["cost"]
        assert DB in cost["unpricedBefore"] and DB not in cost["unpricedAfter"]
        assert cost["monthlyChange"] is None
        (row,) = [c for c in cost["byResource"] if c["urn"] == DB]
        assert row["before"] is None and row["after"] > 0 and row["change"] is None and not row["pricedBefore"]
        return
    assert "change unknown: us-east-1-postgres-db changed and has no price" in out
    assert "No price in the base (left out of its total): " in out and "us-east-1-postgres-db" in out
    row = next(line for line in out.splitlines() if "us-east-1-postgres-db" in line and "no price" in line)
    assert "unknown" in row or output_format == "markdown"
    assert not any(
        line.lstrip().startswith(("us-east-1-postgres-db", "| `us-east-1-postgres-db`")) and " - " in line
        for line in out.splitlines()
    )

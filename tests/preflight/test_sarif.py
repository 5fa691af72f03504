"""SARIF for code scanning: where each result is located, its fingerprint, its rule's metadata."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from eksplatform.preflight import sarif
from eksplatform.preflight.analyze import Violation
from eksplatform.preflight.export import State, StateResource
from eksplatform.preflight.synth import PROJECT_ROOT
from tests.preflight.test_cli import SARIF_SCHEMA, SARIF_SCHEMA_FIXTURE, run

# Repeated analyses of one state are answered once per session (tests/pack_answers.py).
pytestmark = pytest.mark.usefixtures("shared_analyses")

STACK_URN = "urn:pulumi:dev::platform::pulumi:pulumi:Stack::platform-dev"
REDIS_URN = "urn:pulumi:dev::platform::platform:index:RedisCluster::us-east-1-redis-cache"
SECRET_URN = (
    "urn:pulumi:dev::platform::platform:index:RedisCluster$aws:secretsmanager/secret:Secret::us-east-1-redis-cache-auth"
)
LOOSE_URN = "urn:pulumi:dev::platform::aws:s3/bucket:Bucket::loose"


def line_of(path: Path, fragment: str) -> int:
    (number,) = [n for n, text in enumerate(path.read_text().splitlines(), start=1) if fragment in text]
    return number


def state(*extra: StateResource) -> State:
    resources = [
        StateResource(STACK_URN, "pulumi:pulumi:Stack", custom=False, inputs={}),
        StateResource(REDIS_URN, "platform:index:RedisCluster", custom=False, inputs={}, parent=STACK_URN),
        StateResource(SECRET_URN, "aws:secretsmanager/secret:Secret", custom=True, inputs={}, parent=REDIS_URN),
        StateResource(LOOSE_URN, "aws:s3/bucket:Bucket", custom=True, inputs={}, parent=STACK_URN),
        *extra,
    ]
    return State(stack="dev", project="platform", resources=resources)


def violation(urn: str, policy: str = "data-secretsmanager-rotation", **changes: Any) -> Violation:
    fields: dict[str, Any] = {
        "policy_pack": "platform",
        "policy_name": policy,
        "enforcement_level": "mandatory",
        "urn": urn,
        "message": "rotate it",
        "severity": "high",
        "description": "Secrets rotate.",
        "remediation": "Set rotationRules.automaticallyAfterDays.",
        "reference": "AWS FSBP SecretsManager.1",
    }
    fields.update(changes)
    return Violation(**fields)


def rendered(found: list[Violation], the_state: State | None = None, analyzed: bool = False) -> dict[str, Any]:
    source = "legacy.json" if analyzed else "Pulumi.dev.yaml"
    document: dict[str, Any] = json.loads(
        sarif.render(the_state or state(), found, source, PROJECT_ROOT, analyzed, {"cost": {}})
    )
    return document


def location(result: dict[str, Any]) -> tuple[str, int]:
    physical = result["locations"][0]["physicalLocation"]
    return physical["artifactLocation"]["uri"], physical["region"]["startLine"]


def test_a_components_child_is_located_at_the_line_that_names_it() -> None:
    (result,) = rendered([violation(SECRET_URN)])["runs"][0]["results"]
    assert location(result) == ("components/redis.py", line_of(PROJECT_ROOT / "components/redis.py", 'f"{name}-auth"'))


def test_a_component_is_located_at_its_class() -> None:
    (result,) = rendered([violation(REDIS_URN)])["runs"][0]["results"]
    redis = PROJECT_ROOT / "components/redis.py"
    assert location(result) == ("components/redis.py", line_of(redis, "class RedisCluster("))


def test_a_stack_violation_is_located_at_the_config_key_it_names() -> None:
    found = violation("", "cost-stack-monthly-budget", message="the estimate exceeds platform:monthlyBudget (200)")
    (result,) = rendered([found])["runs"][0]["results"]
    assert location(result) == ("Pulumi.dev.yaml", line_of(PROJECT_ROOT / "Pulumi.dev.yaml", "platform:monthlyBudget:"))


def test_a_resource_outside_every_component_falls_back_to_the_config_section() -> None:
    (result,) = rendered([violation(LOOSE_URN, message="no key named here")])["runs"][0]["results"]
    assert location(result) == ("Pulumi.dev.yaml", line_of(PROJECT_ROOT / "Pulumi.dev.yaml", "config:"))


def test_an_analyzed_export_is_located_in_that_file() -> None:
    (result,) = rendered([violation(SECRET_URN)], analyzed=True)["runs"][0]["results"]
    assert location(result) == ("legacy.json", 1)


def test_config_key_lines_and_the_key_a_message_names() -> None:
    text = "# top\nconfig:\n  platform:regions:\n    - name: a\n  platform:owner: me\n"
    lines = sarif.config_key_lines(text)
    assert lines == {"config": 2, "platform:regions": 3, "platform:owner": 5}
    assert sarif.config_line("set owner to a team", lines) == 5
    assert sarif.config_line("platform:regions has two primaries", lines) == 3
    assert sarif.config_line("nothing of ours", lines) == 2
    assert sarif.config_key_lines("config: [unclosed") == {}


def test_fingerprints_are_stable_and_tell_every_finding_apart() -> None:
    buckets = [
        StateResource(urn=f"{LOOSE_URN}-{i}", type="aws:s3/bucket:Bucket", custom=True, inputs={}, parent=STACK_URN)
        for i in range(320)
    ]
    found = [violation(b.urn, "encryption-s3") for b in buckets] + [violation(buckets[0].urn, "encryption-s3")]
    first = rendered(found, state(*buckets))["runs"][0]["results"]
    again = rendered(list(found), state(*buckets))["runs"][0]["results"]
    # GitHub matches alerts by primaryLocationLineHash alone (and upload-sarif keeps one that is
    # there): it must be ours, or findings located on one line would collapse into one alert.
    prints = [r["partialFingerprints"]["primaryLocationLineHash"] for r in first]
    assert prints == [r["partialFingerprints"]["primaryLocationLineHash"] for r in again]
    assert len({(r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in first}) < len(found)
    assert len(set(prints)) == len(found)  # a second message on one resource is a finding of its own
    assert prints == [r["partialFingerprints"][sarif.FINGERPRINT_KEY] for r in first]
    # Another stack's copy of the same finding is another alert.
    other = sarif.fingerprint("platform", "prod", "encryption-s3", buckets[0].urn)
    assert other not in prints and sarif.fingerprint("platform", "dev", "encryption-s3", buckets[0].urn) == prints[0]


def test_every_rule_carries_its_descriptions_help_and_security_severity() -> None:
    found = [
        violation(SECRET_URN, severity="critical"),
        violation(LOOSE_URN, "cost-x", severity="low", enforcement_level="advisory", remediation="", reference=""),
    ]
    run = rendered(found)["runs"][0]
    rules = {rule["id"]: rule for rule in run["tool"]["driver"]["rules"]}
    secret, cost = rules["data-secretsmanager-rotation"], rules["cost-x"]
    assert secret["fullDescription"]["text"] == "Secrets rotate."
    assert secret["help"]["text"] == "Set rotationRules.automaticallyAfterDays."
    assert "AWS FSBP SecretsManager.1" in secret["help"]["markdown"]
    assert (secret["properties"]["security-severity"], cost["properties"]["security-severity"]) == ("9.5", "3.0")
    assert "security" in secret["properties"]["tags"]
    assert cost["help"]["text"].startswith("Change the stack so that it satisfies")
    assert [r["level"] for r in run["results"]] == ["error", "warning"]
    assert [r["ruleIndex"] for r in run["results"]] == [0, 1]


def test_the_security_severities_fall_in_githubs_bands() -> None:
    bands = {"low": (0.1, 3.9), "medium": (4.0, 6.9), "high": (7.0, 8.9), "critical": (9.0, 10.0)}
    for severity, score in sarif.SECURITY_SEVERITY.items():
        low, high = bands[severity]
        assert low <= float(score) <= high, severity


def test_components_declare_their_type_where_the_index_finds_it() -> None:
    index = sarif.component_lines(PROJECT_ROOT)
    assert index["platform:index:RedisCluster"] == sarif.Location(
        "components/redis.py", line_of(PROJECT_ROOT / "components/redis.py", "class RedisCluster(")
    )
    assert len(index) >= 10


def test_the_real_dev_report_locates_every_result_on_a_line_of_a_repository_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "dev.sarif"
    status, _, _ = run(capsys, "dev", "--format", "sarif", "--output", str(output))
    assert status == 0
    results = json.loads(output.read_text())["runs"][0]["results"]
    assert results
    for result in results:
        uri, line = location(result)
        lines = (PROJECT_ROOT / uri).read_text().splitlines()
        assert 1 <= line <= len(lines), (uri, line)
        if uri.startswith("components/"):
            suffix = result["properties"]["urn"].rsplit("-", 1)[-1]
            assert suffix in lines[line - 1], (uri, line, suffix)


@pytest.mark.shared(SARIF_SCHEMA_FIXTURE)
def test_the_located_report_validates_against_the_sarif_schema() -> None:
    found = [violation(SECRET_URN), violation("", "cost-stack-monthly-budget", message="platform:monthlyBudget")]
    schema = json.loads(SARIF_SCHEMA.read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(rendered(found))

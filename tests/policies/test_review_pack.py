"""The pack-level findings of the policy review, through the pack process over gRPC as the CLI
drives it: secrets through remediation (4), unknowns judged per field (12), strict and shared
settings (14), the stack's own config when the CLI sends only defaults (23)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from eksplatform.policies.catalog import ALL_RULES
from eksplatform.policies.pack import rewrapped
from eksplatform.preflight.analyze import running_pack
from eksplatform.preflight.synth import PROJECT_ROOT

SECRET_SIG = "4dabf18193072939515e22adb298388d"
SECRET = "1b47061264138c4ac30d75fd1eb44270"
UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
LEVELS = {"advisory": analyzer_pb2.ADVISORY, "mandatory": analyzer_pb2.MANDATORY}


@pytest.fixture(scope="module")
def analyzer() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    with running_pack(PROJECT_ROOT / "policies") as stub:
        yield stub


def _struct(values: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(values)
    return message


def _cli_defaults(**overrides: dict[str, Any]) -> dict[str, analyzer_pb2.PolicyConfig]:
    """What the CLI sends without --policy-pack-config: every policy at its own level, every knob at
    its schema default (pulumi ReconcilePolicyPackConfig), with `overrides` on top."""
    wire = {}
    for rule in ALL_RULES:
        knobs = {**rule.defaults(), **overrides.get(rule.name, {})}
        wire[rule.name] = analyzer_pb2.PolicyConfig(
            enforcementLevel=LEVELS[rule.enforcement], properties=_struct(knobs) if knobs else None
        )
    return wire


def _configure(analyzer: analyzer_pb2_grpc.AnalyzerStub, stack: str, **overrides: dict[str, Any]) -> None:
    analyzer.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig=_cli_defaults(**overrides)))
    analyzer.ConfigureStack(analyzer_pb2.AnalyzerStackConfigureRequest(stack=stack, project="platform"))


def _messages(
    analyzer: analyzer_pb2_grpc.AnalyzerStub, resource_type: str, props: dict[str, Any]
) -> dict[str, list[str]]:
    request = analyzer_pb2.AnalyzeRequest(
        type=resource_type, name="x", urn=f"urn:pulumi:prod::platform::{resource_type}::x", properties=_struct(props)
    )
    found: dict[str, list[str]] = {}
    for diagnostic in analyzer.Analyze(request).diagnostics:
        found.setdefault(diagnostic.policyName, []).append(diagnostic.message.split("\n", 1)[-1])
    return found


DB = {"storageEncrypted": True, "kmsKeyId": "arn:aws:kms:us-east-1:1:key/1", "backupRetentionPeriod": 7}


def test_without_a_policy_config_the_stacks_own_file_applies(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    """#22 review finding 23: `pulumi up --policy-pack policies` alone ran prod with 7-day backups."""
    _configure(analyzer, "prod")
    found = _messages(analyzer, "aws:rds/instance:Instance", DB)
    assert any("at least 30 days (it is 7)" in m for m in found["data-rds-backup-retention"])
    # A stack without a file keeps the pack's defaults; a config that says something is obeyed.
    _configure(analyzer, "qa")
    assert "data-rds-backup-retention" not in _messages(analyzer, "aws:rds/instance:Instance", DB)
    _configure(analyzer, "prod", **{"data-rds-backup-retention": {"minBackupRetentionDays": 10}})
    found = _messages(analyzer, "aws:rds/instance:Instance", DB)
    assert any("at least 10 days (it is 7)" in m for m in found["data-rds-backup-retention"])


def test_either_order_of_configure_and_configure_stack_ends_the_same(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    analyzer.ConfigureStack(analyzer_pb2.AnalyzerStackConfigureRequest(stack="prod", project="platform"))
    analyzer.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig=_cli_defaults()))
    found = _messages(analyzer, "aws:rds/instance:Instance", DB)
    assert any("at least 30 days" in m for m in found["data-rds-backup-retention"])


@pytest.mark.parametrize(
    ("policy", "knobs", "named"),
    [
        ("limits-kubernetes-container-resources", {"maxCpu": "2 cores"}, "maxCpu: '2 cores' does not match"),
        ("limits-kubernetes-container-resources", {"maxMemory": "4GB"}, "maxMemory: '4GB' does not match"),
        (
            "noroot-kubernetes-no-service-account-token",
            {"untrustedNamespaces": []},
            "untrustedNamespaces: [] should be non-empty",
        ),
        (
            "images-kubernetes-allowed-registries",
            {"allowedRegistries": []},
            "allowedRegistries: [] should be non-empty",
        ),
        ("limits-kubernetes-hpa-max-replicas", {"maxReplicas": 100000}, "maxReplicas: 100000"),
    ],
)
def test_values_that_would_switch_a_rule_off_are_refused(
    analyzer: analyzer_pb2_grpc.AnalyzerStub, policy: str, knobs: dict[str, Any], named: str
) -> None:
    """#22 review finding 14: these passed the schema and the cap (or the rule) stopped applying."""
    with pytest.raises(grpc.RpcError) as refused:
        analyzer.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig=_cli_defaults(**{policy: knobs})))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert named in (refused.value.details() or "").replace(".0", "")


def test_untrusted_namespaces_is_one_setting_for_the_pack(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    """Given on one policy, it applies to every policy that reads it; two values are refused."""
    jobs = ["sandbox", "jobs"]
    _configure(analyzer, "qa", **{"noroot-kubernetes-no-service-account-token": {"untrustedNamespaces": jobs}})
    pod = {"containers": [{"name": "c", "image": "i:1.0.0", "securityContext": {"readOnlyRootFilesystem": False}}]}
    deployment = {"metadata": {"namespace": "jobs"}, "spec": {"template": {"spec": pod}}}
    found = _messages(analyzer, "kubernetes:apps/v1:Deployment", deployment)
    assert "noroot-kubernetes-read-only-root-filesystem" in found  # a policy the setting was not given on
    with pytest.raises(grpc.RpcError) as refused:
        _configure(
            analyzer,
            "qa",
            **{
                "noroot-kubernetes-no-service-account-token": {"untrustedNamespaces": jobs},
                "noroot-kubernetes-read-only-root-filesystem": {"untrustedNamespaces": ["other"]},
            },
        )
    assert "untrustedNamespaces is one setting for the whole pack" in (refused.value.details() or "")


def test_an_unknown_field_does_not_hide_a_definite_violation(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    """#22 review finding 12: unknown kmsKeyId with storageEncrypted false gave only "can't run"."""
    _configure(analyzer, "qa")
    found = _messages(analyzer, "aws:rds/cluster:Cluster", {"kmsKeyId": UNKNOWN_STRING, "storageEncrypted": False})
    assert found["encryption-rds-storage-cmk"] == ["set storageEncrypted: true"]
    # The unknown key alone is not judged yet; a known AWS-managed key still is.
    found = _messages(analyzer, "aws:rds/cluster:Cluster", {"kmsKeyId": UNKNOWN_STRING, "storageEncrypted": True})
    assert "encryption-rds-storage-cmk" not in found
    found = _messages(
        analyzer, "aws:rds/cluster:Cluster", {"kmsKeyId": "alias/aws/rds", "storageEncrypted": UNKNOWN_STRING}
    )
    assert any("alias/aws/rds is an AWS-managed key" in m for m in found["encryption-rds-storage-cmk"])


def test_remediation_keeps_secrets_secret(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    """#22 review finding 4: a Deployment's secret env value came back from Remediate in plaintext."""
    policy = "noroot-kubernetes-pod-security-restricted"
    analyzer.Configure(
        analyzer_pb2.ConfigureAnalyzerRequest(
            policyConfig={policy: analyzer_pb2.PolicyConfig(enforcementLevel=analyzer_pb2.REMEDIATE)}
        )
    )
    env = [{"name": "DB_PASSWORD", "value": {SECRET_SIG: SECRET, "value": "hunter2"}}, {"name": "MODE", "value": "x"}]
    container = {"name": "c", "image": "333333333333.dkr.ecr.us-east-1.amazonaws.com/a:1.0.0", "env": env}
    props = {"metadata": {"namespace": "sandbox"}, "spec": {"template": {"spec": {"containers": [container]}}}}
    request = analyzer_pb2.AnalyzeRequest(
        type="kubernetes:apps/v1:Deployment",
        name="x",
        urn="urn:pulumi:prod::p::kubernetes:apps/v1:Deployment::x",
        properties=_struct(props),
    )
    (remediation,) = analyzer.Remediate(request).remediations
    assert remediation.policyName == policy
    fixed = json_format.MessageToDict(remediation.properties)
    spec = fixed["spec"]["template"]["spec"]
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}  # the fix was made
    assert spec["containers"][0]["env"] == [
        {"name": "DB_PASSWORD", "value": {SECRET_SIG: SECRET, "value": "hunter2"}},
        {"name": "MODE", "value": "x"},
    ]


def test_rewrapping_marks_secrets_at_their_place_and_nothing_else() -> None:
    from pulumi_policy import Secret

    original = {"a": Secret("s"), "b": [1, Secret({"k": "v"})], "c": "plain"}
    fixed = rewrapped({"a": "s", "b": [1, {"k": "v", "added": True}, 3], "c": "plain", "d": 4}, original)
    assert isinstance(fixed["a"], Secret) and fixed["a"].value == "s"
    assert isinstance(fixed["b"][1], Secret) and fixed["b"][1].value == {"k": "v", "added": True}
    assert fixed["b"][2] == 3 and fixed["c"] == "plain" and fixed["d"] == 4

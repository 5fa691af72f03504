"""The pack process, driven over the Analyzer gRPC protocol the way the Pulumi CLI drives it."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from policies.catalog import ALL_RULES, PACK_NAME
from preflight.synth import PROJECT_ROOT


@pytest.fixture(scope="module")
def analyzer() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    # -u: the SDK writes the port to stdout without flushing it.
    process = subprocess.Popen(
        [sys.executable, "-u", str(PROJECT_ROOT / "policies" / "__main__.py")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert line.isdigit(), f"the pack printed {line!r}; stderr: {process.stderr.read() if process.stderr else ''}"
        channel = grpc.insecure_channel(f"127.0.0.1:{line}")
        grpc.channel_ready_future(channel).result(timeout=30)
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()
    finally:
        process.kill()
        process.wait(timeout=30)


def test_the_pack_describes_every_policy(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == PACK_NAME
    described = {policy.name: policy for policy in info.policies}
    assert set(described) == {rule.name for rule in ALL_RULES}
    cmk = described["encryption-rds-storage-cmk"]
    assert cmk.enforcementLevel == analyzer_pb2.MANDATORY
    assert cmk.description.startswith("RDS instances and Aurora clusters")
    backups = described["data-rds-backup-retention"]
    assert "minBackupRetentionDays" in backups.configSchema.properties


def _struct(values: dict[str, object]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(values)
    return message


def test_the_pack_reports_a_violation_with_its_message(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    analyzer.Configure(
        analyzer_pb2.ConfigureAnalyzerRequest(
            policyConfig={
                "data-rds-backup-retention": analyzer_pb2.PolicyConfig(
                    enforcementLevel=analyzer_pb2.MANDATORY,
                    properties=_struct({"minBackupRetentionDays": 30}),
                )
            }
        )
    )
    request = analyzer_pb2.AnalyzeRequest(
        type="aws:rds/instance:Instance",
        name="db",
        urn="urn:pulumi:prod::platform::aws:rds/instance:Instance::db",
        properties=_struct({"storageEncrypted": False, "backupRetentionPeriod": 7, "publiclyAccessible": True}),
    )
    diagnostics = list(analyzer.Analyze(request).diagnostics)
    messages: dict[str, list[str]] = {}
    for diagnostic in diagnostics:
        messages.setdefault(diagnostic.policyName, []).append(diagnostic.message)
        assert diagnostic.enforcementLevel == analyzer_pb2.MANDATORY
        assert diagnostic.urn == request.urn or diagnostic.urn == ""
    assert any("set storageEncrypted: true" in m for m in messages["encryption-rds-storage-cmk"])
    assert any("set kmsKeyId" in m for m in messages["encryption-rds-storage-cmk"])
    assert any("at least 30 days (it is 7)" in m for m in messages["data-rds-backup-retention"])
    assert any("set publiclyAccessible: false" in m for m in messages["exposure-rds-not-public"])


def test_a_compliant_resource_gets_no_diagnostic(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    request = analyzer_pb2.AnalyzeRequest(
        type="aws:sns/topic:Topic",
        name="alarms",
        urn="urn:pulumi:prod::platform::aws:sns/topic:Topic::alarms",
        properties=_struct(
            {
                "kmsMasterKeyId": "arn:aws:kms:us-east-1:111111111111:key/1",
                "tags": {"environment": "prod", "owner": "o", "cost-center": "c", "managed-by": "pulumi"},
            }
        ),
    )
    assert list(analyzer.Analyze(request).diagnostics) == []


def test_unknown_values_during_preview_do_not_crash_the_pack(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    # During a preview the engine sends values it cannot know yet as sentinels.
    unknown_bool = "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7"
    unknown_string = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    request = analyzer_pb2.AnalyzeRequest(
        type="aws:rds/instance:Instance",
        name="db",
        urn="urn:pulumi:prod::platform::aws:rds/instance:Instance::db",
        properties=_struct({"storageEncrypted": unknown_bool, "kmsKeyId": unknown_string, "publiclyAccessible": False}),
    )
    diagnostics = list(analyzer.Analyze(request).diagnostics)
    by_policy = {d.policyName: d.message for d in diagnostics}
    assert "during preview" in by_policy["encryption-rds-storage-cmk"]
    assert "exposure-rds-not-public" not in by_policy  # known values are still checked, and pass
    # The pack still answers afterwards.
    assert analyzer.GetAnalyzerInfo(empty_pb2.Empty()).name == PACK_NAME

"""The pack process, driven over the Analyzer gRPC protocol the way the Pulumi CLI drives it."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from eksplatform.policies.catalog import ALL_RULES, PACK_NAME
from eksplatform.policies.publish import pinned_requirements
from eksplatform.preflight.analyze import pack_command, running_pack
from eksplatform.preflight.synth import PROJECT_ROOT


@pytest.fixture(scope="module")
def analyzer() -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    """The pack started as the CLI starts it (`python -u -m pulumi.policy <engine> policies`)."""
    with running_pack(PROJECT_ROOT / "policies") as stub:
        yield stub


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
    # Each field is judged on its own (review finding 12): both unknown, nothing is definitely wrong yet.
    assert "encryption-rds-storage-cmk" not in by_policy
    assert "exposure-rds-not-public" not in by_policy  # known values are still checked, and pass
    # The pack still answers afterwards.
    assert analyzer.GetAnalyzerInfo(empty_pb2.Empty()).name == PACK_NAME


def test_every_policy_carries_its_control_reference(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    described = {policy.name: policy for policy in analyzer.GetAnalyzerInfo(empty_pb2.Empty()).policies}
    assert described["encryption-kms-key-rotation"].framework.reference == "AWS FSBP KMS.4"
    assert described["access-iam-no-full-admin"].framework.reference == "AWS FSBP IAM.1"


def _stack_resource(resource_type: str, name: str, props: dict[str, object]) -> analyzer_pb2.AnalyzerResource:
    return analyzer_pb2.AnalyzerResource(
        type=resource_type,
        name=name,
        urn=f"urn:pulumi:prod::platform::{resource_type}::{name}",
        properties=_struct(props),
    )


def test_one_unknown_value_does_not_silence_a_stack_policy(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    unknown_string = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
    sse = {"rule": {"applyServerSideEncryptionByDefault": {"sseAlgorithm": unknown_string}}}
    pending = _stack_resource(
        "aws:s3/bucket:Bucket", "pending", {"bucket": unknown_string, "serverSideEncryptionConfiguration": sse}
    )
    bare = _stack_resource("aws:s3/bucket:Bucket", "bare", {"bucket": "bare"})
    response = analyzer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=[pending, bare]))
    found = [d for d in response.diagnostics if d.policyName == "encryption-s3-bucket-kms-and-private"]
    assert all("during preview" not in d.message for d in found)
    encryption = {d.urn for d in found if "server-side encryption" in d.message}
    assert encryption == {bare.urn}, "judged per bucket: bare has none, pending's algorithm is not known yet"


def test_a_policy_at_remediate_returns_the_fixed_props(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    analyzer.Configure(
        analyzer_pb2.ConfigureAnalyzerRequest(
            policyConfig={
                "encryption-kms-key-rotation": analyzer_pb2.PolicyConfig(enforcementLevel=analyzer_pb2.REMEDIATE)
            }
        )
    )
    request = analyzer_pb2.AnalyzeRequest(
        type="aws:kms/key:Key",
        name="key",
        urn="urn:pulumi:prod::platform::aws:kms/key:Key::key",
        properties=_struct({"enableKeyRotation": False, "description": "k"}),
    )
    (remediation,) = analyzer.Remediate(request).remediations
    assert remediation.policyName == "encryption-kms-key-rotation"
    assert dict(remediation.properties) == {"enableKeyRotation": True, "description": "k"}
    compliant = analyzer_pb2.AnalyzeRequest(
        type="aws:kms/key:Key", name="key", urn=request.urn, properties=_struct({"enableKeyRotation": True})
    )
    assert list(analyzer.Remediate(compliant).remediations) == []


def test_a_config_typo_is_refused_by_the_pack(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    typo = analyzer_pb2.PolicyConfig(
        enforcementLevel=analyzer_pb2.MANDATORY, properties=_struct({"minBackupRetentionDay": 30})
    )
    with pytest.raises(grpc.RpcError) as refused:
        analyzer.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig={"data-rds-backup-retention": typo}))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "unknown setting 'minBackupRetentionDay'" in (refused.value.details() or "")
    analyzer.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig={}))  # the pack keeps serving


def test_the_budget_comes_from_the_stack_config(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    analyzer.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig={}))
    cluster = _stack_resource("aws:eks/cluster:Cluster", "eks", {"name": "c"})
    cluster.provider.CopyFrom(
        analyzer_pb2.AnalyzerProviderResource(
            type="pulumi:providers:aws",
            name="use1",
            urn="urn:pulumi:dev::platform::pulumi:providers:aws::use1",
            properties=_struct({"region": "us-east-1"}),
        )
    )
    request = analyzer_pb2.AnalyzeStackRequest(resources=[cluster])

    def budget_messages(budget: str) -> list[str]:
        analyzer.ConfigureStack(
            analyzer_pb2.AnalyzerStackConfigureRequest(
                stack="dev", project="platform", config={"platform:monthlyBudget": budget}
            )
        )
        diagnostics = analyzer.AnalyzeStack(request).diagnostics
        return [d.message for d in diagnostics if d.policyName == "cost-stack-monthly-budget"]

    assert budget_messages("1000") == []
    (message,) = budget_messages("10")
    assert "over the budget $10.00" in message


def test_the_pack_runs_without_sys_path_edits_from_the_projects_install() -> None:
    """#22 item 5: the CLI runs the folder with the project's virtualenv, which requirements.txt
    fills with pulumi-policy and this checkout (`-e .`); the package list covers every module."""
    main = (PROJECT_ROOT / "policies" / "__main__.py").read_text()
    assert (
        "sys.path" not in main.replace("Nothing edits sys.path", "")
        and "from eksplatform.policies.pack import serve" in main
    )
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    packages = set(project["tool"]["setuptools"]["packages"])
    folders = {
        ".".join(("eksplatform", *init.parent.relative_to(PROJECT_ROOT).parts))
        for init in (PROJECT_ROOT / "policies").rglob("__init__.py")
    }
    assert folders <= packages
    runtime = (PROJECT_ROOT / "requirements.txt").read_text().splitlines()
    assert {"pulumi-policy==1.21.0", "jsonschema==4.26.0", "-e ."} <= set(runtime)
    assert project["project"]["optional-dependencies"]["policy"]
    published = (PROJECT_ROOT / "policies" / "requirements.txt").read_text().splitlines()
    assert [line for line in published if line and not line.startswith("#")] == pinned_requirements()
    command = pack_command(PROJECT_ROOT / "policies")
    assert command[1:4] == ["-u", "-m", "pulumi.policy"] and command[-1] == str(PROJECT_ROOT / "policies")


def test_configure_stack_picks_the_usage_file_the_budget_names(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    """ConfigureStack's stack name -> usage/<stack>.yaml -> the budget's figure and message, through
    the pack process as the CLI drives it."""
    analyzer.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig={}))
    nat = _stack_resource("aws:ec2/natGateway:NatGateway", "us-east-1-network-nat-az1", {})
    nat.provider.CopyFrom(
        analyzer_pb2.AnalyzerProviderResource(
            type="pulumi:providers:aws",
            name="use1",
            urn="urn:pulumi:prod::platform::pulumi:providers:aws::use1",
            properties=_struct({"region": "us-east-1"}),
        )
    )

    def budget_message(stack: str) -> str:
        analyzer.ConfigureStack(
            analyzer_pb2.AnalyzerStackConfigureRequest(
                stack=stack, project="platform", config={"platform:monthlyBudget": "1"}
            )
        )
        diagnostics = analyzer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=[nat])).diagnostics
        (message,) = [str(d.message) for d in diagnostics if d.policyName == "cost-stack-monthly-budget"]
        return message

    assert "usage from usage/prod.yaml" in budget_message("prod")
    assert "usage from the documented defaults (no usage/nosuchstack.yaml)" in budget_message("nosuchstack")

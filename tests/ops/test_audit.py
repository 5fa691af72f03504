"""`eksplatform-ops audit` end to end against moto, with resources made to match a stack's outputs."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import boto3
import moto.kms.models
import pytest
from moto.kms.utils import AbstractPrivateKey, generate_private_key

from eksplatform.ops.__main__ import main

REGION = "us-east-1"
AWS_SERVICES = ("ec2", "eks", "elasticache", "kms", "rds")  # loaded before the first test (conftest.py)


@functools.cache
def _one_key_pair(key_spec: str) -> AbstractPrivateKey:
    return generate_private_key(key_spec)


@pytest.fixture(autouse=True)
def one_key_pair_per_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto makes a new key pair for every KMS key, an RSA-2048 one even for a symmetric key
    (moto.kms.models.Key): 20 to 60 ms of CPU each, for material the audit never reads (it asks
    for the key's rotation only). The keys share one pair per key spec; a key pair is immutable."""
    monkeypatch.setattr(moto.kms.models, "generate_private_key", _one_key_pair)


def build_stack(**drift: Any) -> dict[str, Any]:
    """Live resources as the platform leaves them (or drifted as asked), and the stack's outputs."""
    kms = boto3.client("kms", region_name=REGION)
    key = kms.create_key(Description="platform")["KeyMetadata"]["Arn"]
    if not drift.get("rotation_off"):
        kms.enable_key_rotation(KeyId=key)

    ec2 = boto3.client("ec2", region_name=REGION)
    vpc_id = ec2.create_vpc(CidrBlock="10.100.0.0/16")["Vpc"]["VpcId"]
    if not drift.get("no_flow_logs"):
        ec2.create_flow_logs(
            ResourceIds=[vpc_id],
            ResourceType="VPC",
            TrafficType="ALL",
            LogDestinationType="cloud-watch-logs",
            LogGroupName="/platform/flow-logs",
            DeliverLogsPermissionArn="arn:aws:iam::123456789012:role/flow-logs",
        )
    (default,) = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"]
    # The platform empties the default group (aws.ec2.DefaultSecurityGroup with no rules).
    if default.get("IpPermissions"):
        ec2.revoke_security_group_ingress(GroupId=default["GroupId"], IpPermissions=default["IpPermissions"])
    if default.get("IpPermissionsEgress"):
        ec2.revoke_security_group_egress(GroupId=default["GroupId"], IpPermissions=default["IpPermissionsEgress"])
    if drift.get("default_group_rule"):
        ec2.authorize_security_group_ingress(
            GroupId=default["GroupId"],
            IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
        )

    rds = boto3.client("rds", region_name=REGION)
    cluster = rds.create_db_cluster(
        DBClusterIdentifier="platform-prod-use1",
        Engine="aurora-postgresql",
        EngineVersion="17.6",
        MasterUsername="platform_admin",
        MasterUserPassword="not-a-real-password-1",
        DatabaseName="platform",
        StorageEncrypted=not drift.get("unencrypted"),
        KmsKeyId=key,
        DeletionProtection=not drift.get("deletion_protection_off"),
        BackupRetentionPeriod=drift.get("backup_days", 30),
    )["DBCluster"]

    elasticache = boto3.client("elasticache", region_name=REGION)
    redis: dict[str, Any] = {}
    for purpose in ("cache", "queue"):
        group_id = f"platform-prod-use1-{purpose}"
        elasticache.create_replication_group(
            ReplicationGroupId=group_id,
            ReplicationGroupDescription=purpose,
            CacheNodeType="cache.m7g.large",
            Engine="valkey",
            AtRestEncryptionEnabled=True,
            KmsKeyId=key,
            TransitEncryptionEnabled=not (purpose == "cache" and drift.get("plain_text_cache")),
            SnapshotRetentionLimit=0 if purpose == "queue" and drift.get("queue_without_snapshots") else 1,
        )
        redis[purpose] = {"replicationGroupId": group_id, "endpoint": f"{group_id}.cache.amazonaws.com"}

    eks = boto3.client("eks", region_name=REGION)
    eks.create_cluster(
        name="platform-prod-us-east-1",
        roleArn="arn:aws:iam::123456789012:role/eks",
        resourcesVpcConfig={
            "subnetIds": ["subnet-1"],
            "endpointPublicAccess": bool(drift.get("public_endpoint")),
            "endpointPrivateAccess": True,
        },
        encryptionConfig=[{"resources": ["secrets"], "provider": {"keyArn": key}}],
        logging={
            "clusterLogging": [{"types": drift.get("log_types", ["api", "audit", "authenticator"]), "enabled": True}]
        },
    )
    return {
        "environment": "prod",
        "regions": [REGION],
        "networks": {REGION: {"vpcId": vpc_id}},
        "clusters": {REGION: {"name": "platform-prod-us-east-1"}},
        "databases": {REGION: {"identifier": cluster["DBClusterIdentifier"], "arn": cluster["DBClusterArn"]}},
        "redis": {REGION: redis},
    }


def run_audit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], outputs: dict[str, Any], *extra: str
) -> tuple[int, str, str]:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    status = main(["audit", str(path), "--min-backup-days", "30", *extra])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_a_stack_as_deployed_has_no_drift(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run_audit(tmp_path, capsys, build_stack(), "--format", "json")
    report = json.loads(out)
    assert (status, report["drift"], report["errors"]) == (0, [], [])
    assert report["checked"] >= 15


@pytest.mark.parametrize(
    ("drift", "expected"),
    [
        (
            {"deletion_protection_off": True},
            "Aurora cluster platform-prod-use1: deletion protection: expected true, found False",
        ),
        ({"backup_days": 7}, "backup retention: expected >= 30 days, found 7 days"),
        ({"unencrypted": True}, "storage encrypted: expected true, found False"),
        ({"rotation_off": True}, "rotation: expected on, found off"),
        ({"no_flow_logs": True}, "flow logs: expected on, found off"),
        ({"default_group_rule": True}, "no rules: expected 0 rules, found 1 rules"),
        (
            {"plain_text_cache": True},
            "ElastiCache platform-prod-use1-cache: TLS in transit: expected true, found False",
        ),
        (
            {"queue_without_snapshots": True},
            "ElastiCache platform-prod-use1-queue: queue snapshots: expected >= 1 day, found 0 days",
        ),
        (
            {"public_endpoint": True},
            "EKS platform-prod-us-east-1: API endpoint private: expected private, found public",
        ),
        (
            {"log_types": ["api"]},
            "control-plane logs: expected api, audit, authenticator, found missing audit, authenticator",
        ),
    ],
)
def test_each_drift_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], drift: dict[str, Any], expected: str
) -> None:
    status, out, _ = run_audit(tmp_path, capsys, build_stack(**drift))
    assert status == 1
    assert expected in out, out


def test_a_public_endpoint_may_be_allowed_but_not_open_to_the_world(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run_audit(tmp_path, capsys, build_stack(public_endpoint=True), "--allow-public-endpoint")
    assert status == 1
    assert "API not open to the world: expected limited CIDRs, found 0.0.0.0/0" in out
    assert "API endpoint private" not in out


def test_a_missing_resource_is_reported_plainly_and_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outputs = build_stack(deletion_protection_off=True)
    outputs["redis"][REGION]["cache"]["replicationGroupId"] = "platform-prod-gone"
    status, out, _ = run_audit(tmp_path, capsys, outputs)
    assert status == 3  # an incomplete audit, even with drift found elsewhere
    assert "DRIFT  us-east-1 Aurora cluster platform-prod-use1: deletion protection" in out
    assert "ERROR  us-east-1 redis cache: ReplicationGroupNotFoundFault" in out


def test_a_missing_database_is_reported_plainly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outputs = build_stack()
    outputs["databases"][REGION]["identifier"] = "platform-prod-gone"
    status, out, _ = run_audit(tmp_path, capsys, outputs)
    assert status == 3
    assert "ERROR  us-east-1 database platform-prod-gone: DBClusterNotFoundFault" in out


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda o: o.pop("databases"), "the stack outputs lack 'databases'"),
        (lambda o: o["redis"].pop(REGION), "the stack outputs lack 'redis.us-east-1'"),
        (lambda o: o.pop("regions"), "the stack outputs lack 'regions'"),
    ],
)
def test_outputs_without_a_needed_key_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: Any, message: str
) -> None:
    outputs = build_stack()
    change(outputs)
    status, _, err = run_audit(tmp_path, capsys, outputs)
    assert status == 2 and message in err


def test_unreadable_outputs_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "outputs.json"
    path.write_text("not json")
    assert main(["audit", str(path)]) == 2
    assert "use `pulumi stack output --json`" in capsys.readouterr().err

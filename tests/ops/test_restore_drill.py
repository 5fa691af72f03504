"""`python -m ops restore-drill` end to end against moto: restore, check, delete, report."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from ops import clients as ops_clients
from ops.__main__ import main

REGION = "us-east-1"
KEY = "arn:aws:kms:us-east-1:123456789012:key/platform"


def aurora_stack(snapshot: bool = True) -> dict[str, Any]:
    rds = boto3.client("rds", region_name=REGION)
    cluster = rds.create_db_cluster(
        DBClusterIdentifier="platform-prod-use1",
        Engine="aurora-postgresql",
        EngineVersion="17.6",
        MasterUsername="platform_admin",
        MasterUserPassword="not-a-real-password-1",
        StorageEncrypted=True,
        KmsKeyId=KEY,
        VpcSecurityGroupIds=["sg-0database"],
        DeletionProtection=True,
    )["DBCluster"]
    if snapshot:
        rds.create_db_cluster_snapshot(DBClusterSnapshotIdentifier="nightly", DBClusterIdentifier="platform-prod-use1")
    return {
        "regions": [REGION],
        "databases": {REGION: {"identifier": "platform-prod-use1", "arn": cluster["DBClusterArn"]}},
    }


def run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], outputs: dict[str, Any], *argv: str
) -> tuple[int, str, str]:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    status = main(["restore-drill", str(path), "--poll-seconds", "0", "--timeout", "5", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def clusters() -> dict[str, dict[str, Any]]:
    found = boto3.client("rds", region_name=REGION).describe_db_clusters()["DBClusters"]
    return {c["DBClusterIdentifier"]: c for c in found}


def test_the_newest_snapshot_is_restored_checked_and_deleted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outputs = aurora_stack()
    before = clusters()["platform-prod-use1"]
    status, out, err = run(tmp_path, capsys, outputs, "--region", REGION)
    assert status == 0, err
    assert "Restored platform-prod-use1 into platform-prod-use1-drill-" in out
    assert "within the RTO of 60 min" in out and "within the RPO of 15 min" in out
    after = clusters()
    assert list(after) == ["platform-prod-use1"]  # the copy is gone
    assert {k: after["platform-prod-use1"][k] for k in ("Status", "DeletionProtection", "KmsKeyId")} == {
        k: before[k] for k in ("Status", "DeletionProtection", "KmsKeyId")
    }


def test_a_point_in_time_can_be_restored(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outputs = aurora_stack(snapshot=False)
    point = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    status, out, err = run(tmp_path, capsys, outputs, "--region", REGION, "--point-in-time", point)
    assert status == 0, err
    assert "min old, within the RPO" in out


def test_an_old_recovery_point_fails_the_rpo(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outputs = aurora_stack(snapshot=False)
    point = (datetime.now(UTC) - timedelta(hours=3)).isoformat()
    status, out, _ = run(tmp_path, capsys, outputs, "--region", REGION, "--point-in-time", point)
    assert status == 1
    assert "180 min old, OVER the RPO of 15 min" in out


def test_no_snapshot_is_a_clear_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    outputs = aurora_stack(snapshot=False)
    real = ops_clients.default_client

    class NoSnapshots:
        """A cluster too new to have a snapshot (moto always takes one at creation)."""

        def __init__(self) -> None:
            self.rds = real("rds", REGION)

        def describe_db_cluster_snapshots(self, **params: Any) -> Any:
            return {"DBClusterSnapshots": []}

        def __getattr__(self, name: str) -> Any:
            return getattr(self.rds, name)

    monkeypatch.setattr(ops_clients, "default_client", lambda service, region: NoSnapshots())
    status, _, err = run(tmp_path, capsys, outputs, "--region", REGION)
    assert status == 1 and "platform-prod-use1 has no available snapshot to restore" in err
    assert list(clusters()) == ["platform-prod-use1"]


def test_the_copy_is_deleted_when_the_check_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    outputs = aurora_stack()
    real = ops_clients.default_client

    class WrongGroups:
        """The restored copy comes up with another security group (a drifted restore)."""

        def __init__(self) -> None:
            self.rds = real("rds", REGION)

        def describe_db_clusters(self, **params: Any) -> Any:
            answer = self.rds.describe_db_clusters(**params)
            if "drill" in params.get("DBClusterIdentifier", ""):
                answer["DBClusters"][0]["VpcSecurityGroups"] = [{"VpcSecurityGroupId": "sg-0wrong"}]
            return answer

        def __getattr__(self, name: str) -> Any:
            return getattr(self.rds, name)

    monkeypatch.setattr(ops_clients, "default_client", lambda service, region: WrongGroups())
    status, _, err = run(tmp_path, capsys, outputs, "--region", REGION)
    assert status == 1
    assert "came up with security groups ['sg-0wrong'], not the source's ['sg-0database']" in err
    assert list(clusters()) == ["platform-prod-use1"]  # cleaned up after the failure


def test_a_region_the_stack_does_not_have(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(tmp_path, capsys, aurora_stack(), "--region", "eu-west-1")
    assert status == 2 and "region 'eu-west-1' is not one of this stack's regions" in err


def test_an_rds_instance_is_drilled_the_same_way(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rds = boto3.client("rds", region_name=REGION)
    instance = rds.create_db_instance(
        DBInstanceIdentifier="platform-dev-use1",
        DBInstanceClass="db.t4g.micro",
        Engine="postgres",
        MasterUsername="platform_admin",
        MasterUserPassword="not-a-real-password-1",
        AllocatedStorage=20,
        StorageEncrypted=True,
        KmsKeyId=KEY,
        VpcSecurityGroupIds=["sg-0database"],
    )["DBInstance"]
    rds.create_db_snapshot(DBSnapshotIdentifier="nightly", DBInstanceIdentifier="platform-dev-use1")
    outputs = {
        "regions": [REGION],
        "databases": {REGION: {"identifier": "platform-dev-use1", "arn": instance["DBInstanceArn"]}},
    }
    status, out, err = run(tmp_path, capsys, outputs, "--region", REGION)
    assert status == 0, err
    assert "Restored platform-dev-use1 into platform-dev-use1-drill-" in out
    remaining = [i["DBInstanceIdentifier"] for i in rds.describe_db_instances()["DBInstances"]]
    assert remaining == ["platform-dev-use1"]


class Recording:
    """Moto's RDS client, recording the restore call and optionally changing the copy's key."""

    def __init__(self, real: Any, wrong_key: bool = False) -> None:
        self.rds = real("rds", REGION)
        self.wrong_key = wrong_key
        self.restored_from: list[str] = []

    def restore_db_cluster_from_snapshot(self, **params: Any) -> Any:
        self.restored_from.append(params["SnapshotIdentifier"])
        return self.rds.restore_db_cluster_from_snapshot(**params)

    def describe_db_clusters(self, **params: Any) -> Any:
        answer = self.rds.describe_db_clusters(**params)
        if self.wrong_key and "drill" in params.get("DBClusterIdentifier", ""):
            answer["DBClusters"][0]["KmsKeyId"] = "arn:aws:kms:us-east-1:123456789012:key/other"
        return answer

    def __getattr__(self, name: str) -> Any:
        return getattr(self.rds, name)


def test_the_newest_snapshot_is_the_one_restored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    outputs = aurora_stack()  # moto's automated snapshot first, then "nightly"
    recording = Recording(ops_clients.default_client)
    monkeypatch.setattr(ops_clients, "default_client", lambda service, region: recording)
    status, _, err = run(tmp_path, capsys, outputs, "--region", REGION)
    assert status == 0, err
    assert recording.restored_from == ["nightly"]


def test_a_copy_under_another_key_fails_the_drill(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    outputs = aurora_stack()
    recording = Recording(ops_clients.default_client, wrong_key=True)
    monkeypatch.setattr(ops_clients, "default_client", lambda service, region: recording)
    status, _, err = run(tmp_path, capsys, outputs, "--region", REGION)
    assert status == 1 and f"is not encrypted with the source's key {KEY}" in err
    assert list(clusters()) == ["platform-prod-use1"]

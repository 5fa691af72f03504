"""`restore-drill`: prove a database can be restored, and how long it takes.

Restores the newest snapshot (or a point in time) of a region's database into a temporary
cluster or instance with the source's subnet group, security groups and KMS key, waits until it
is available, checks it, deletes it, and reports the measured restore time against the RTO and
the recovery point's age against the RPO. The source is only read, never changed; the temporary
copy is deleted even when the drill fails.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ops.clients import ClientFactory
from ops.outputs import StackOutputs

DRILL_TAG = {"Key": "purpose", "Value": "restore-drill"}


class DrillError(RuntimeError):
    """The drill could not restore or check the copy; the message says what happened."""


@dataclass(frozen=True)
class DrillReport:
    source: str
    copy: str
    recovery_point: datetime
    restore_seconds: float
    rto_minutes: int
    rpo_minutes: int
    started: datetime

    @property
    def recovery_point_age_minutes(self) -> float:
        return (self.started - self.recovery_point).total_seconds() / 60

    @property
    def within_rto(self) -> bool:
        return self.restore_seconds <= self.rto_minutes * 60

    @property
    def within_rpo(self) -> bool:
        return self.recovery_point_age_minutes <= self.rpo_minutes

    def render(self) -> Iterator[str]:
        yield f"Restored {self.source} into {self.copy} (deleted again)."
        verdict = "within" if self.within_rto else "OVER"
        yield f"Restore time: {self.restore_seconds / 60:.1f} min, {verdict} the RTO of {self.rto_minutes} min."
        verdict = "within" if self.within_rpo else "OVER"
        yield (
            f"Recovery point: {self.recovery_point:%Y-%m-%d %H:%M} UTC, {self.recovery_point_age_minutes:.0f} min old, "
            f"{verdict} the RPO of {self.rpo_minutes} min."
        )


@dataclass(frozen=True)
class _Source:
    kind: str  # "cluster" or "instance"
    identifier: str
    engine: str
    subnet_group: str
    security_groups: list[str]
    kms_key: str


def _source(rds: Any, identifier: str, arn: str) -> _Source:
    if ":cluster:" in arn:
        found = rds.describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"][0]
        groups = [g["VpcSecurityGroupId"] for g in found.get("VpcSecurityGroups", [])]
        return _Source(
            "cluster", identifier, found["Engine"], found.get("DBSubnetGroup", ""), groups, found.get("KmsKeyId", "")
        )
    found = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
    groups = [g["VpcSecurityGroupId"] for g in found.get("VpcSecurityGroups", [])]
    subnets = found.get("DBSubnetGroup", {}).get("DBSubnetGroupName", "")
    return _Source("instance", identifier, found["Engine"], subnets, groups, found.get("KmsKeyId", ""))


def _newest_snapshot(rds: Any, source: _Source) -> tuple[str, datetime]:
    if source.kind == "cluster":
        snapshots = rds.describe_db_cluster_snapshots(DBClusterIdentifier=source.identifier)["DBClusterSnapshots"]
        key = "DBClusterSnapshotIdentifier"
    else:
        snapshots = rds.describe_db_snapshots(DBInstanceIdentifier=source.identifier)["DBSnapshots"]
        key = "DBSnapshotIdentifier"
    ready = [s for s in snapshots if s.get("Status", "available") == "available" and s.get("SnapshotCreateTime")]
    if not ready:
        raise DrillError(f"{source.identifier} has no available snapshot to restore")
    newest = max(ready, key=lambda s: s["SnapshotCreateTime"])
    return str(newest[key]), newest["SnapshotCreateTime"].astimezone(UTC)


def _restore(rds: Any, source: _Source, copy: str, snapshot: str | None, point_in_time: datetime | None) -> None:
    shared: dict[str, Any] = {
        "VpcSecurityGroupIds": source.security_groups,
        "Tags": [DRILL_TAG],
        "DeletionProtection": False,
    }
    if source.kind == "cluster":
        shared.update(DBClusterIdentifier=copy, DBSubnetGroupName=source.subnet_group, KmsKeyId=source.kms_key)
        if snapshot is not None:
            rds.restore_db_cluster_from_snapshot(SnapshotIdentifier=snapshot, Engine=source.engine, **shared)
        else:
            rds.restore_db_cluster_to_point_in_time(
                SourceDBClusterIdentifier=source.identifier, RestoreToTime=point_in_time, **shared
            )
        return
    shared.update(DBInstanceIdentifier=copy, DBSubnetGroupName=source.subnet_group)
    if snapshot is not None:
        rds.restore_db_instance_from_db_snapshot(DBSnapshotIdentifier=snapshot, **shared)
    else:
        rds.restore_db_instance_to_point_in_time(
            SourceDBInstanceIdentifier=source.identifier,
            TargetDBInstanceIdentifier=copy,
            RestoreTime=point_in_time,
            **{k: v for k, v in shared.items() if k != "DBInstanceIdentifier"},
        )


def _describe(rds: Any, source: _Source, copy: str) -> dict[str, Any]:
    if source.kind == "cluster":
        found: dict[str, Any] = rds.describe_db_clusters(DBClusterIdentifier=copy)["DBClusters"][0]
    else:
        found = rds.describe_db_instances(DBInstanceIdentifier=copy)["DBInstances"][0]
    return found


def _delete(rds: Any, source: _Source, copy: str) -> None:
    """Delete the copy; protection is turned off first in case the restore carried it over."""
    if source.kind == "cluster":
        rds.modify_db_cluster(DBClusterIdentifier=copy, DeletionProtection=False, ApplyImmediately=True)
        rds.delete_db_cluster(DBClusterIdentifier=copy, SkipFinalSnapshot=True)
    else:
        rds.modify_db_instance(DBInstanceIdentifier=copy, DeletionProtection=False, ApplyImmediately=True)
        rds.delete_db_instance(DBInstanceIdentifier=copy, SkipFinalSnapshot=True, DeleteAutomatedBackups=True)


def restore_drill(
    outputs: StackOutputs,
    region: str,
    *,
    client: ClientFactory,
    point_in_time: datetime | None = None,
    rto_minutes: int = 60,
    rpo_minutes: int = 15,
    timeout_seconds: float = 3600,
    poll_seconds: float = 30,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> DrillReport:
    outputs.region(region)
    entry = outputs.require("databases", region)
    rds = client("rds", region)
    source = _source(rds, str(entry["identifier"]), str(entry.get("arn", "")))
    started = now()
    copy = f"{source.identifier}-drill-{started:%Y%m%d%H%M}"
    snapshot: str | None = None
    if point_in_time is not None:
        recovery_point = point_in_time.astimezone(UTC)
    else:
        snapshot, recovery_point = _newest_snapshot(rds, source)
    clock = time.monotonic()
    _restore(rds, source, copy, snapshot, point_in_time)
    try:
        deadline = clock + timeout_seconds
        found = _describe(rds, source, copy)
        while found.get("Status", found.get("DBInstanceStatus")) != "available":
            if time.monotonic() > deadline:
                raise DrillError(f"{copy} was not available within {timeout_seconds:g} s")
            sleep(poll_seconds)
            found = _describe(rds, source, copy)
        restore_seconds = time.monotonic() - clock
        groups = sorted(g["VpcSecurityGroupId"] for g in found.get("VpcSecurityGroups", []))
        if groups != sorted(source.security_groups):
            raise DrillError(f"{copy} came up with security groups {groups}, not the source's {source.security_groups}")
        if found.get("StorageEncrypted") is not True or found.get("KmsKeyId") != source.kms_key:
            raise DrillError(f"{copy} is not encrypted with the source's key {source.kms_key}")
    finally:
        _delete(rds, source, copy)
    return DrillReport(
        source=source.identifier,
        copy=copy,
        recovery_point=recovery_point,
        restore_seconds=restore_seconds,
        rto_minutes=rto_minutes,
        rpo_minutes=rpo_minutes,
        started=started,
    )

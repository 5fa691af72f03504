"""`restore-drill`: prove a database can be restored, and how long each step takes.

By default it restores the region's database to its latest restorable time (point-in-time
recovery, the restore an incident would use), or to `--point-in-time`, or from `--snapshot`.
Aurora: the cluster, then one instance like the source's writer (a cluster without an instance
serves nothing). RDS: the instance. The copy gets the source's subnet group, security groups,
parameter groups and KMS key, never a public address, and tags naming this run. The drill
waits with boto3's waiters (one look at a time, under a monotonic deadline),
checks the copy's groups and key, gives it a master password of its own (the drill never reads
the source's secret), runs `SELECT 1` through the engine, and deletes the copy. Each step is
timed; the restore time (the steps an incident restore also takes) is compared with the RTO and
the recovery point's age with the RPO. The source is only read, never changed.

Cleanup touches only what AWS accepted to create for this run, only while it still carries this
run's tags, and only in a state RDS lets it delete; anything else (a copy still `creating` after
a timeout) is left, named, with the command that deletes it, and the real error is reported,
never hidden by the cleanup (exit 5 when something is left, whatever the error).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Literal

from botocore.exceptions import BotoCoreError, ClientError, WaiterError

from eksplatform.environments import DEFAULT_RPO_MINUTES
from eksplatform.ops.clients import ClientFactory
from eksplatform.ops.exits import Exit, FailedError, InputError
from eksplatform.ops.outputs import StackOutputs
from eksplatform.ops.query import Connect, Endpoint, NotRunError, Query

DRILL_TAG = {"Key": "purpose", "Value": "restore-drill"}
RUN_TAG = "restore-drill-run"
"""The tag whose value is the run id: the cleanup and the password change act only on a copy with both."""

# DB identifiers: 1-63 letters, digits or hyphens, first a letter, no trailing or double hyphen
# (RDS API, CreateDBInstance / RestoreDBClusterToPointInTime DBClusterIdentifier). The copy's
# suffix is "-drill-YYYYmmddHHMMSS-<run id>" and the Aurora instance adds "-1".
IDENTIFIER_MAX = 63
RUN_ID_BYTES = 3  # 6 lowercase hex digits: two drills started in the same second still differ
SUFFIX_LENGTH = len("-drill-20260101000000-") + 2 * RUN_ID_BYTES + len("-1")

# ModifyDBCluster / ModifyDBInstance MasterUserPassword: 8 to 41 characters (Aurora), printable
# ASCII except '/', '"' and '@'. token_urlsafe(30) gives 40 characters of [A-Za-z0-9_-].
PASSWORD_BYTES = 30

# RDS deletes a copy that is available, or, with SkipFinalSnapshot, one in these failure states
# (DeleteDBInstance API reference). Anything in transition is left alone.
DELETABLE = frozenset({"available", "failed", "incompatible-restore", "incompatible-network"})


class DrillError(FailedError):
    """The drill could not restore or prove the copy; the message says what happened (exit 5)."""


@dataclass(frozen=True)
class Step:
    name: str
    seconds: float
    restore: bool
    """Part of the restore an incident would also go through (counted against the RTO)."""


@dataclass(frozen=True)
class QueryOutcome:
    status: Literal["answered", "skipped", "not run"]
    detail: str


@dataclass(frozen=True)
class DrillReport:
    source: str
    copy: str
    recovery_point: datetime
    recovery_kind: str
    steps: list[Step]
    query: QueryOutcome
    leftovers: list[str]
    rto_minutes: int
    rpo_minutes: int
    started: datetime

    @property
    def restore_seconds(self) -> float:
        return sum(step.seconds for step in self.steps if step.restore)

    @property
    def recovery_point_age_minutes(self) -> float:
        return (self.started - self.recovery_point).total_seconds() / 60

    @property
    def within_rto(self) -> bool:
        return self.restore_seconds <= self.rto_minutes * 60

    @property
    def within_rpo(self) -> bool:
        return self.recovery_point_age_minutes <= self.rpo_minutes

    @property
    def exit(self) -> Exit:
        """The first that applies: a copy left behind, a query not run, a target missed."""
        if self.leftovers:
            return Exit.FAILED
        if self.query.status == "not run":
            return Exit.QUERY_NOT_RUN
        if not (self.within_rto and self.within_rpo):
            return Exit.TARGET_MISSED
        return Exit.OK

    def render(self) -> Iterator[str]:
        yield f"Restore drill of {self.source} into {self.copy}:"
        yield from render_steps(self.steps)
        verdict = "within" if self.within_rto else "OVER"
        yield (
            f"Restore time (steps marked *): {self.restore_seconds / 60:.1f} min, "
            f"{verdict} the RTO of {self.rto_minutes} min."
        )
        verdict = "within" if self.within_rpo else "OVER"
        yield (
            f"Recovery point: {self.recovery_point:%Y-%m-%d %H:%M:%S} UTC ({self.recovery_kind}), "
            f"{self.recovery_point_age_minutes:.0f} min old, {verdict} the RPO of {self.rpo_minutes} min."
        )
        yield {
            "answered": f"Query: {self.query.detail}",
            "skipped": f"Query: skipped ({self.query.detail})",
            "not run": (
                f"Query: NOT RUN: {self.query.detail}; "
                "run the drill inside the VPC (docs/operations.md) or --skip-query"
            ),
        }[self.query.status]
        if self.leftovers:
            yield "Cleanup: LEFT BEHIND:"
            yield from (f"  {line}" for line in self.leftovers)
        else:
            yield "Cleanup: the copy is deleted."


def render_steps(steps: list[Step]) -> Iterator[str]:
    for step in steps:
        yield f"  {step.seconds:8.1f} s  {'*' if step.restore else ' '} {step.name}"


@dataclass(frozen=True)
class _Snapshot:
    name: str
    created: datetime
    engine_version: str
    """The snapshot's own: restored without it, AWS picks the Region's default version, and refuses
    one older than the snapshot's (RestoreDBClusterFromSnapshot, EngineVersion)."""


@dataclass(frozen=True)
class _Source:
    kind: Literal["cluster", "instance"]
    identifier: str
    engine: str
    subnet_group: str
    security_groups: list[str]
    kms_key: str
    parameter_group: str
    earliest: datetime | None
    latest: datetime | None
    instance_class: str
    """Aurora: the writer's class, which the copy's instance gets."""
    instance_parameter_group: str
    secret_arn: str = ""
    """The source's RDS-managed master secret, if any: the drill must never unmanage that one."""


def _source(rds: Any, identifier: str, arn: str) -> _Source:
    if ":cluster:" in arn:
        found = rds.describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"][0]
        writers = [m for m in found.get("DBClusterMembers", []) if m.get("IsClusterWriter")]
        instance: dict[str, Any] = {}
        if writers:
            instance = rds.describe_db_instances(DBInstanceIdentifier=writers[0]["DBInstanceIdentifier"])[
                "DBInstances"
            ][0]
        return _Source(
            kind="cluster",
            identifier=identifier,
            engine=found["Engine"],
            subnet_group=str(found.get("DBSubnetGroup") or ""),
            security_groups=[g["VpcSecurityGroupId"] for g in found.get("VpcSecurityGroups", [])],
            kms_key=str(found.get("KmsKeyId") or ""),
            parameter_group=str(found.get("DBClusterParameterGroup") or ""),
            earliest=found.get("EarliestRestorableTime"),
            latest=found.get("LatestRestorableTime"),
            instance_class=str(instance.get("DBInstanceClass") or ""),
            instance_parameter_group=_parameter_group(instance),
            secret_arn=_secret_arn(found),
        )
    found = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
    earliest, latest = _instance_window(rds, found)
    return _Source(
        kind="instance",
        identifier=identifier,
        engine=found["Engine"],
        subnet_group=str((found.get("DBSubnetGroup") or {}).get("DBSubnetGroupName") or ""),
        security_groups=[g["VpcSecurityGroupId"] for g in found.get("VpcSecurityGroups", [])],
        kms_key=str(found.get("KmsKeyId") or ""),
        parameter_group=_parameter_group(found),
        earliest=earliest,
        latest=latest,
        instance_class=str(found.get("DBInstanceClass") or ""),
        instance_parameter_group=_parameter_group(found),
        secret_arn=_secret_arn(found),
    )


def _instance_window(rds: Any, found: dict[str, Any]) -> tuple[datetime | None, datetime | None]:
    """An instance's restorable window: its automated backups' RestoreWindow (the instance itself
    has only LatestRestorableTime; DescribeDBInstanceAutomatedBackups, RestoreWindow.EarliestTime)."""
    identifier = found["DBInstanceIdentifier"]
    backups = rds.describe_db_instance_automated_backups(DBInstanceIdentifier=identifier)["DBInstanceAutomatedBackups"]
    # A retained backup of an earlier instance of the same name has another DbiResourceId.
    resource = found.get("DbiResourceId")
    own = [b for b in backups if b.get("DbiResourceId", resource) == resource and b.get("Status") == "active"]
    window: dict[str, Any] = (own[0].get("RestoreWindow") or {}) if own else {}
    return window.get("EarliestTime"), found.get("LatestRestorableTime") or window.get("LatestTime")


def _secret_arn(found: dict[str, Any]) -> str:
    return str((found.get("MasterUserSecret") or {}).get("SecretArn") or "")


def _parameter_group(instance: dict[str, Any]) -> str:
    groups = instance.get("DBParameterGroups") or []
    return str(groups[0].get("DBParameterGroupName") or "") if groups else ""


def _pages(call: Callable[..., dict[str, Any]], key: str, **params: Any) -> Iterator[dict[str, Any]]:
    """Every item of a Describe call, page after page (RDS answers at most 100 a page, with a Marker)."""
    marker: str | None = None
    while True:
        answer = call(**params, **({"Marker": marker} if marker else {}))
        yield from answer.get(key, [])
        marker = answer.get("Marker")
        if not marker:
            return


def _newest_snapshot(rds: Any, source: _Source, wanted: str) -> _Snapshot:
    if source.kind == "cluster":
        snapshots = list(
            _pages(rds.describe_db_cluster_snapshots, "DBClusterSnapshots", DBClusterIdentifier=source.identifier)
        )
        key = "DBClusterSnapshotIdentifier"
    else:
        snapshots = list(_pages(rds.describe_db_snapshots, "DBSnapshots", DBInstanceIdentifier=source.identifier))
        key = "DBSnapshotIdentifier"
    ready = [s for s in snapshots if s.get("Status", "available") == "available" and s.get("SnapshotCreateTime")]
    if wanted != "latest":
        ready = [s for s in ready if s[key] == wanted]
        if not ready:
            raise InputError(f"--snapshot {wanted}: no available snapshot of {source.identifier} has that name")
    if not ready:
        raise DrillError(f"{source.identifier} has no available snapshot to restore")
    newest = max(ready, key=lambda s: s["SnapshotCreateTime"])
    return _Snapshot(
        str(newest[key]), newest["SnapshotCreateTime"].astimezone(UTC), str(newest.get("EngineVersion") or "")
    )


def _copy_name(source: str, started: datetime, run_id: str) -> str:
    stem = source[: IDENTIFIER_MAX - SUFFIX_LENGTH].rstrip("-")
    return f"{stem}-drill-{started:%Y%m%d%H%M%S}-{run_id}"


class _Drill:
    """One drill's state: what it created (for the cleanup) and how long each step took."""

    def __init__(
        self,
        rds: Any,
        source: _Source,
        copy: str,
        run_id: str,
        timeout: float,
        poll: float,
        log: Callable[[str], None],
    ):
        self.rds, self.source, self.copy, self.run_id = rds, source, copy, run_id
        self.timeout, self.poll, self.log = timeout, poll, log
        self.instance = f"{copy}-1" if source.kind == "cluster" else copy
        self.tags = [DRILL_TAG, {"Key": RUN_TAG, "Value": run_id}]
        self.created: list[tuple[Literal["cluster", "instance"], str]] = []
        self.steps: list[Step] = []

    @contextmanager
    def step(self, name: str, *, restore: bool) -> Iterator[None]:
        self.log(f"... {name}")
        started = time.monotonic()
        yield
        self.steps.append(Step(name, time.monotonic() - started, restore))

    def create(
        self, kind: Literal["cluster", "instance"], identifier: str, call: Callable[..., Any], **params: Any
    ) -> None:
        """Call a create or restore; record `identifier` for the cleanup once AWS has accepted it."""
        try:
            call(**params)
        except ClientError:
            raise  # AWS refused: nothing was created (the name may even be another's copy)
        except BaseException:
            # No answer (a dropped connection): it may exist; the cleanup acts only if it carries this run's tags.
            self.created.append((kind, identifier))
            raise
        self.created.append((kind, identifier))

    def owned(self, found: dict[str, Any]) -> bool:
        """Whether a copy carries both of this run's tags (DescribeDBClusters/DescribeDBInstances TagList)."""
        tags = {str(tag.get("Key")): str(tag.get("Value")) for tag in found.get("TagList") or []}
        return tags.get(DRILL_TAG["Key"]) == DRILL_TAG["Value"] and tags.get(RUN_TAG) == self.run_id

    def _pause(self, deadline: float) -> None:
        time.sleep(max(0.0, min(self.poll, deadline - time.monotonic())))

    def wait(self, waiter_name: str, kind: str, identifier: str, **params: Any) -> None:
        """boto3's waiter (its acceptors), one look at a time, until a monotonic deadline.

        An AWS error the waiter does not expect (AccessDenied...) is that error, not a state of the
        copy: it is raised as the ClientError it is (exit 3). A failure state is a DrillError (exit 5).
        """
        waiter = self.rds.get_waiter(waiter_name)
        operation = "DescribeDBClusters" if kind == "cluster" else "DescribeDBInstances"
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                waiter.wait(**params, WaiterConfig={"Delay": 1, "MaxAttempts": 1})
                return
            except WaiterError as error:
                response, reason = error.last_response, str(error.kwargs.get("reason", ""))
                status = _last_status(response)
                if "Max attempts exceeded" not in reason:
                    if isinstance(response, dict) and "Error" in response and "terminal failure" not in reason:
                        raise ClientError(response, operation) from None
                    raise DrillError(f"{kind} {identifier} stopped in status {status}: {reason}") from None
            if time.monotonic() >= deadline:
                raise DrillError(
                    f"{kind} {identifier} did not get there within {self.timeout:g} s (last status: {status})"
                )
            self._pause(deadline)

    # -- restore ----------------------------------------------------------------------------

    def restore(self, snapshot: _Snapshot | None, point_in_time: datetime | None) -> None:
        source = self.source
        shared: dict[str, Any] = {
            "VpcSecurityGroupIds": source.security_groups,
            "Tags": self.tags,
            "DeletionProtection": False,  # the copy must be deletable by the cleanup
        }
        if source.subnet_group:
            shared["DBSubnetGroupName"] = source.subnet_group
        # Without Use/RestoreToTime the restore would not know its point (RDS API: one of the two).
        when: dict[str, Any] = {"UseLatestRestorableTime": True} if point_in_time is None else {}
        if source.kind == "cluster":
            self._restore_cluster(shared, snapshot, point_in_time, when)
        else:
            self._restore_instance(shared, snapshot, point_in_time, when)

    def _restore_cluster(
        self, shared: dict[str, Any], snapshot: _Snapshot | None, point_in_time: datetime | None, when: dict[str, Any]
    ) -> None:
        source, rds = self.source, self.rds
        shared = {**shared, "DBClusterIdentifier": self.copy}
        if source.kms_key:
            shared["KmsKeyId"] = source.kms_key
        if source.parameter_group:
            # Omitted, the copy would get the engine's default group (without rds.force_ssl etc.).
            shared["DBClusterParameterGroupName"] = source.parameter_group
        with self.step(f"restore cluster {self.copy} and wait until available", restore=True):
            if snapshot is not None:
                version = {"EngineVersion": snapshot.engine_version} if snapshot.engine_version else {}
                self.create(
                    "cluster",
                    self.copy,
                    rds.restore_db_cluster_from_snapshot,
                    SnapshotIdentifier=snapshot.name,
                    Engine=source.engine,
                    **version,
                    **shared,
                )
            else:
                # RestoreType defaults to full-copy: a copy-on-write clone would be faster than a real restore.
                at = {"RestoreToTime": point_in_time} if point_in_time is not None else when
                self.create(
                    "cluster",
                    self.copy,
                    rds.restore_db_cluster_to_point_in_time,
                    SourceDBClusterIdentifier=source.identifier,
                    **at,
                    **shared,
                )
            self.wait("db_cluster_available", "cluster", self.copy, DBClusterIdentifier=self.copy)
        instance: dict[str, Any] = {
            "DBInstanceIdentifier": self.instance,
            "DBClusterIdentifier": self.copy,
            "Engine": source.engine,
            "DBInstanceClass": source.instance_class,
            # Stated, not left to the subnet group's default (CreateDBInstance PubliclyAccessible).
            "PubliclyAccessible": False,
            "Tags": self.tags,
        }
        if source.instance_parameter_group:
            instance["DBParameterGroupName"] = source.instance_parameter_group
        with self.step(
            f"create instance {self.instance} ({source.instance_class}) and wait until available", restore=True
        ):
            self.create("instance", self.instance, rds.create_db_instance, **instance)
            self.wait("db_instance_available", "instance", self.instance, DBInstanceIdentifier=self.instance)

    def _restore_instance(
        self, shared: dict[str, Any], snapshot: _Snapshot | None, point_in_time: datetime | None, when: dict[str, Any]
    ) -> None:
        source, rds = self.source, self.rds
        shared = {**shared, "PubliclyAccessible": False}
        if source.parameter_group:
            shared["DBParameterGroupName"] = source.parameter_group
        with self.step(f"restore instance {self.copy} and wait until available", restore=True):
            if snapshot is not None:
                # No EngineVersion here: RestoreDBInstanceFromDBSnapshot takes the snapshot's.
                self.create(
                    "instance",
                    self.copy,
                    rds.restore_db_instance_from_db_snapshot,
                    DBSnapshotIdentifier=snapshot.name,
                    DBInstanceIdentifier=self.copy,
                    **shared,
                )
            else:
                at = {"RestoreTime": point_in_time} if point_in_time is not None else when
                self.create(
                    "instance",
                    self.copy,
                    rds.restore_db_instance_to_point_in_time,
                    SourceDBInstanceIdentifier=source.identifier,
                    TargetDBInstanceIdentifier=self.copy,
                    **at,
                    **shared,
                )
            self.wait("db_instance_available", "instance", self.copy, DBInstanceIdentifier=self.copy)

    # -- checks -----------------------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        if self.source.kind == "cluster":
            found: dict[str, Any] = self.rds.describe_db_clusters(DBClusterIdentifier=self.copy)["DBClusters"][0]
        else:
            found = self.rds.describe_db_instances(DBInstanceIdentifier=self.copy)["DBInstances"][0]
        return found

    def check(self) -> dict[str, Any]:
        found = self.describe()
        source = self.source
        groups = sorted(g["VpcSecurityGroupId"] for g in found.get("VpcSecurityGroups", []))
        if groups != sorted(source.security_groups):
            raise DrillError(
                f"{self.copy} came up with security groups {groups}, not the source's {source.security_groups}"
            )
        if found.get("StorageEncrypted") is not True or found.get("KmsKeyId") != source.kms_key:
            raise DrillError(f"{self.copy} is not encrypted with the source's key {source.kms_key}")
        return found

    # -- query ------------------------------------------------------------------------------

    def set_password(self, found: dict[str, Any]) -> str:
        """A master password of the drill's own: the source's secret is never read."""
        if not self.owned(found):
            raise DrillError(f"{self.copy} does not carry this run's tags ({RUN_TAG}={self.run_id}); not changed")
        password = secrets.token_urlsafe(PASSWORD_BYTES)
        change: dict[str, Any] = {"MasterUserPassword": password, "ApplyImmediately": True}
        if found.get("MasterUserSecret"):
            # A password managed in Secrets Manager must be unmanaged to be set, and RDS then deletes
            # that secret (ModifyDBCluster, ManageMasterUserPassword): never the source's.
            if self.source.secret_arn and _secret_arn(found) == self.source.secret_arn:
                raise DrillError(
                    f"{self.copy} shares the source's master secret {self.source.secret_arn}; the drill will not "
                    "unmanage it (RDS would delete it): rerun with --skip-query"
                )
            change["ManageMasterUserPassword"] = False
        with self.step("set a drill-only master password on the copy", restore=False):
            if self.source.kind == "cluster":
                self.rds.modify_db_cluster(DBClusterIdentifier=self.copy, **change)
            else:
                self.rds.modify_db_instance(DBInstanceIdentifier=self.copy, **change)
            self._wait_password_applied()
        return password

    def _wait_password_applied(self) -> None:
        """Until the copy is available with no MasterUserPassword pending (PendingModifiedValues).

        A waiter alone could pass on the `available` it sees before the change begins.
        """
        deadline = time.monotonic() + self.timeout
        while True:
            found = self.describe()
            status = found.get("Status", found.get("DBInstanceStatus"))
            pending = found.get("PendingModifiedValues") or {}
            if status == "available" and "MasterUserPassword" not in pending:
                return
            if time.monotonic() >= deadline:
                raise DrillError(f"{self.copy}'s new master password was not applied within {self.timeout:g} s")
            self._pause(deadline)

    def query(self, found: dict[str, Any], password: str, connect: Connect, query: Query, timeout: float) -> str:
        if self.source.kind == "cluster":
            host, port = str(found.get("Endpoint", "")), int(found.get("Port") or 5432)
            database = str(found.get("DatabaseName") or "postgres")
        else:
            address = found.get("Endpoint") or {}
            host, port = str(address.get("Address", "")), int(address.get("Port") or 5432)
            database = str(found.get("DBName") or "postgres")
        endpoint = Endpoint(host, port, database, str(found.get("MasterUsername", "")), password)
        with self.step(f"SELECT 1 through {host}:{port}", restore=True):
            answer = query(endpoint, connect(endpoint, timeout), timeout)
        if answer != 1:
            raise DrillError(f"SELECT 1 on {host} answered {answer!r}")
        return f"SELECT 1 answered 1 through {host}:{port} (database {database}, user {endpoint.user}, TLS)"

    # -- cleanup ----------------------------------------------------------------------------

    def cleanup(self) -> list[str]:
        """Delete what the drill created, newest first; never raises (the drill's own error wins)."""
        left: list[str] = []
        blocked = False
        for kind, identifier in reversed(self.created):
            if kind == "cluster" and blocked:
                left.append(
                    f"cluster {identifier}: still holds instance {self.instance}; {_delete_command(kind, identifier)}"
                )
                continue
            try:
                note = self._delete(kind, identifier)
            except (ClientError, BotoCoreError, DrillError) as error:
                note = f"{kind} {identifier}: {_message(error)}; {_delete_command(kind, identifier)}"
            if note:
                left.append(note)
                blocked = blocked or kind == "instance"
        return left

    def _delete(self, kind: str, identifier: str) -> str | None:
        try:
            if kind == "cluster":
                found = self.rds.describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"][0]
            else:
                found = self.rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("DBClusterNotFoundFault", "DBInstanceNotFound"):
                return None  # never created, or already gone
            raise
        if not self.owned(found):
            return (
                f"{kind} {identifier} does not carry this run's tags (purpose=restore-drill, {RUN_TAG}={self.run_id}): "
                "not the drill's to delete, left alone; check whose it is"
            )
        status = str(found.get("Status", found.get("DBInstanceStatus")))
        if status not in DELETABLE:
            return f"{kind} {identifier} is {status}, left alone; once available: {_delete_command(kind, identifier)}"
        with self.step(f"delete {kind} {identifier} and wait until gone", restore=False):
            if found.get("DeletionProtection") and status == "available":
                # Asked off at the restore; should the copy still carry it, it cannot be deleted.
                if kind == "cluster":
                    self.rds.modify_db_cluster(
                        DBClusterIdentifier=identifier, DeletionProtection=False, ApplyImmediately=True
                    )
                else:
                    self.rds.modify_db_instance(
                        DBInstanceIdentifier=identifier, DeletionProtection=False, ApplyImmediately=True
                    )
            if kind == "cluster":
                # Without DeleteAutomatedBackups the copy's backups would outlive it (DeleteDBCluster).
                self.rds.delete_db_cluster(
                    DBClusterIdentifier=identifier, SkipFinalSnapshot=True, DeleteAutomatedBackups=True
                )
                self.wait("db_cluster_deleted", kind, identifier, DBClusterIdentifier=identifier)
            elif self.source.kind == "cluster":
                self.rds.delete_db_instance(DBInstanceIdentifier=identifier, SkipFinalSnapshot=True)
                self.wait("db_instance_deleted", kind, identifier, DBInstanceIdentifier=identifier)
            else:
                self.rds.delete_db_instance(
                    DBInstanceIdentifier=identifier, SkipFinalSnapshot=True, DeleteAutomatedBackups=True
                )
                self.wait("db_instance_deleted", kind, identifier, DBInstanceIdentifier=identifier)
        return None


def _last_status(response: Any) -> str:
    if not isinstance(response, dict):
        return "unknown"
    for key, status in (("DBClusters", "Status"), ("DBInstances", "DBInstanceStatus")):
        items = response.get(key) or []
        if items:
            return str(items[0].get(status, "unknown"))
    error = response.get("Error", {})
    return str(error.get("Code", "unknown"))


def _message(error: Exception) -> str:
    if isinstance(error, ClientError):
        info = error.response.get("Error", {})
        return f"{info.get('Code', 'error')}: {info.get('Message', str(error))}"
    return str(error)


def _delete_command(kind: str, identifier: str) -> str:
    if kind == "cluster":
        return (
            f"aws rds delete-db-cluster --db-cluster-identifier {identifier} --skip-final-snapshot "
            "--delete-automated-backups"
        )
    return f"aws rds delete-db-instance --db-instance-identifier {identifier} --skip-final-snapshot"


def _recovery_point(
    rds: Any, source: _Source, snapshot: str | None, point_in_time: datetime | None
) -> tuple[_Snapshot | None, datetime, str]:
    """What will be restored: (snapshot or None, the recovery point, how it was chosen)."""
    if snapshot is not None:
        chosen = _newest_snapshot(rds, source, snapshot)
        return chosen, chosen.created, f"snapshot {chosen.name}"
    if point_in_time is not None:
        point = point_in_time.astimezone(UTC)
        if (source.latest and point > source.latest) or (source.earliest and point < source.earliest):
            window = f"{_utc(source.earliest)} to {_utc(source.latest)}"
            raise InputError(
                f"--point-in-time {point:%Y-%m-%dT%H:%M:%SZ} is outside the restorable window of "
                f"{source.identifier} ({window})"
            )
        return None, point, "--point-in-time"
    if source.latest is None:
        raise DrillError(f"{source.identifier} has no latest restorable time: are its automated backups off?")
    # The restore uses the latest time as of the call, at or after this one: the age is an upper bound.
    return None, source.latest.astimezone(UTC), "latest restorable time"


def _utc(moment: datetime | None) -> str:
    return "unknown" if moment is None else f"{moment.astimezone(UTC):%Y-%m-%dT%H:%M:%SZ}"


def restore_drill(
    outputs: StackOutputs,
    region: str,
    *,
    client: ClientFactory,
    connect: Connect,
    query: Query,
    point_in_time: datetime | None = None,
    snapshot: str | None = None,
    instance_class: str | None = None,
    skip_query: bool = False,
    rto_minutes: int = 60,
    rpo_minutes: int = DEFAULT_RPO_MINUTES,
    timeout_seconds: float = 3600,
    poll_seconds: float = 30,
    connect_timeout: float = 10,
    log: Callable[[str], None] = lambda line: None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    run_id: str | None = None,
) -> DrillReport:
    if point_in_time is not None and snapshot is not None:
        raise InputError("--point-in-time and --snapshot exclude each other: restore one or the other")
    outputs.region(region)
    entry = outputs.require("databases", region)
    identifier = entry.get("identifier") if isinstance(entry, dict) else None
    if not identifier:
        raise InputError(f"the stack outputs lack 'databases.{region}.identifier'")
    rds = client("rds", region)
    source = _source(rds, str(identifier), str(entry.get("arn", "")))
    if instance_class:
        source = replace(source, instance_class=instance_class)
    if source.kind == "cluster" and not source.instance_class:
        raise InputError(f"{source.identifier} has no writer instance to copy the class of: pass --instance-class")
    started = now()
    chosen, recovery_point, kind = _recovery_point(rds, source, snapshot, point_in_time)
    run = run_id or secrets.token_hex(RUN_ID_BYTES)
    copy = _copy_name(source.identifier, started, run)
    drill = _Drill(rds, source, copy, run, timeout_seconds, poll_seconds, log)
    outcome = QueryOutcome("skipped", "--skip-query")
    try:
        drill.restore(chosen, point_in_time)
        found = drill.check()
        if not skip_query:
            password = drill.set_password(found)
            try:
                outcome = QueryOutcome(
                    "answered", drill.query(drill.describe(), password, connect, query, connect_timeout)
                )
            except NotRunError as error:
                outcome = QueryOutcome("not run", str(error))
    except BaseException as error:
        leftovers = drill.cleanup()
        log(f"Restore drill of {source.identifier} into {copy} stopped; the steps before:")
        for line in [*render_steps(drill.steps), *(f"LEFT BEHIND: {line}" for line in leftovers)]:
            log(line)
        if leftovers and isinstance(error, Exception) and not isinstance(error, FailedError):
            # A copy left behind is exit 5 whatever stopped the drill; the error is still named.
            raise DrillError(f"{_message(error)}; and the drill left a copy behind (LEFT BEHIND above)") from error
        raise
    leftovers = drill.cleanup()
    for line in leftovers:
        log(f"LEFT BEHIND: {line}")
    return DrillReport(
        source=source.identifier,
        copy=drill.copy,
        recovery_point=recovery_point,
        recovery_kind=kind,
        steps=drill.steps,
        query=outcome,
        leftovers=leftovers,
        rto_minutes=rto_minutes,
        rpo_minutes=rpo_minutes,
        started=started,
    )

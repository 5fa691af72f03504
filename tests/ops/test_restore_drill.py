"""`eksplatform-ops restore-drill` end to end against moto: restore, instance, query, cleanup, report.

moto answers the RDS calls (its copies are `available` at once); a recording wrapper keeps every
call and can change what the drill sees: a copy in another state, a password change pending, an
AWS error, another run's tags, snapshots over several pages, an instance's restore window. The
SELECT 1 goes to a stand-in for the engine (moto has none): it records the endpoint and
credentials it was given and answers as told.
"""

from __future__ import annotations

import json
import re
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError, NoCredentialsError

from eksplatform.ops import __main__ as ops_main
from eksplatform.ops import clients as ops_clients
from eksplatform.ops import query as ops_query
from eksplatform.ops.__main__ import main
from eksplatform.ops.exits import Exit
from eksplatform.ops.query import Endpoint, NotRunError
from eksplatform.ops.restore_drill import DrillReport, QueryOutcome, Step

REGION = "us-east-1"
AWS_SERVICES = ("rds",)  # loaded before the first test (conftest.py)
KEY = "arn:aws:kms:us-east-1:123456789012:key/platform"
SOURCE = "platform-prod-use1"


def aurora_stack(snapshot: bool = False) -> dict[str, Any]:
    rds = boto3.client("rds", region_name=REGION)
    cluster = rds.create_db_cluster(
        DBClusterIdentifier=SOURCE,
        Engine="aurora-postgresql",
        EngineVersion="17.6",
        DatabaseName="platform",
        MasterUsername="platform_admin",
        MasterUserPassword="not-a-real-password-1",
        StorageEncrypted=True,
        KmsKeyId=KEY,
        VpcSecurityGroupIds=["sg-0database"],
        DeletionProtection=True,
        BackupRetentionPeriod=30,
    )["DBCluster"]
    rds.create_db_instance(
        DBInstanceIdentifier=f"{SOURCE}-1",
        DBClusterIdentifier=SOURCE,
        Engine="aurora-postgresql",
        DBInstanceClass="db.r7g.large",
    )
    if snapshot:
        rds.create_db_cluster_snapshot(DBClusterSnapshotIdentifier="nightly", DBClusterIdentifier=SOURCE)
    return {"regions": [REGION], "databases": {REGION: {"identifier": SOURCE, "arn": cluster["DBClusterArn"]}}}


class Recording:
    """moto's RDS client, keeping every call; it can change what the drill sees of its copy."""

    def __init__(self, **change: Any) -> None:
        self.rds = boto3.client("rds", region_name=REGION)
        self.change = change
        self.calls: list[tuple[str, dict[str, Any]]] = []
        pending = change.get("pending_password", 0)
        self.pending_left = pending if isinstance(pending, int) else 0
        self.denials_left = int(change.get("deny_copy", 0))

    def __getattr__(self, name: str) -> Any:
        real = getattr(self.rds, name)
        if name == "get_waiter":
            return lambda waiter: Waiter(self, real(waiter))

        def call(**params: Any) -> Any:
            self.calls.append((name, params))
            self._refuse(name, params)
            if name == "describe_db_cluster_snapshots" and self.change.get("snapshot_pages"):
                return self._page(real, params)
            answer = real(**params)
            if name == "describe_db_clusters":
                self._adjust(answer["DBClusters"], params.get("DBClusterIdentifier", ""))
            if name == "describe_db_instances":
                self._adjust_instances(answer["DBInstances"], params.get("DBInstanceIdentifier", ""))
            if name == "describe_db_cluster_snapshots" and self.change.get("no_snapshots"):
                answer["DBClusterSnapshots"] = []
            if name == "describe_db_instance_automated_backups" and "window" in self.change:
                for backup in answer["DBInstanceAutomatedBackups"]:
                    backup["RestoreWindow"] = self.change["window"]
            return answer

        return call

    def _refuse(self, name: str, params: dict[str, Any]) -> None:
        """AWS errors: AccessDenied on looking at the copy (the first `deny_copy` looks), a taken name."""
        looked_at = params.get("DBClusterIdentifier", params.get("DBInstanceIdentifier", ""))
        if name.startswith("describe_db_") and "drill" in looked_at and self.denials_left:
            self.denials_left -= 1
            raise ClientError(
                {"Error": {"Code": "AccessDenied", "Message": f"not authorized to perform: rds:{name}"}}, name
            )
        if name == "restore_db_cluster_to_point_in_time" and self.change.get("name_taken"):
            raise ClientError(
                {"Error": {"Code": "DBClusterAlreadyExistsFault", "Message": "DB Cluster already exists"}}, name
            )

    def _page(self, real: Any, params: dict[str, Any]) -> Any:
        """One snapshot a page, oldest first, each page naming the next with a Marker (as RDS does)."""
        everything = sorted(real(**params)["DBClusterSnapshots"], key=lambda s: s["SnapshotCreateTime"])
        index = int(params.get("Marker", "0"))
        page: dict[str, Any] = {"DBClusterSnapshots": everything[index : index + 1]}
        if index + 1 < len(everything):
            page["Marker"] = str(index + 1)
        return page

    def _adjust_instances(self, instances: list[dict[str, Any]], identifier: str) -> None:
        for instance in instances:
            if "drill" in identifier and "instance_status" in self.change:
                instance["DBInstanceStatus"] = self.change["instance_status"]

    def _adjust(self, clusters: list[dict[str, Any]], identifier: str) -> None:
        for cluster in clusters:
            changed = any(name == "modify_db_cluster" for name, _ in self.calls)
            pending = self.pending_left or self.change.get("pending_password") == "always"
            if "drill" in identifier and changed and pending:
                self.pending_left = max(0, self.pending_left - 1)
                cluster["PendingModifiedValues"] = {"MasterUserPassword": "****"}
            if "drill" in identifier and self.change.get("foreign_tags"):
                cluster["TagList"] = [
                    {"Key": "purpose", "Value": "restore-drill"},
                    {"Key": "restore-drill-run", "Value": "0ther1"},
                ]
            if "drill" in identifier:
                if "copy_status" in self.change:
                    cluster["Status"] = self.change["copy_status"]
                if self.change.get("wrong_key"):
                    cluster["KmsKeyId"] = "arn:aws:kms:us-east-1:123456789012:key/other"
                if self.change.get("wrong_groups"):
                    cluster["VpcSecurityGroups"] = [{"VpcSecurityGroupId": "sg-0wrong"}]
            if "secrets" in self.change:
                cluster["MasterUserSecret"] = {"SecretArn": self.change["secrets"]["drill" in identifier]}
            if "earliest" in self.change and "drill" not in identifier:
                cluster["EarliestRestorableTime"] = self.change["earliest"]

    def named(self, name: str) -> list[dict[str, Any]]:
        return [params for called, params in self.calls if called == name]


class Waiter:
    """A real boto3 waiter whose describe calls go through the recording client."""

    def __init__(self, recording: Recording, waiter: Any) -> None:
        self.recording, self.waiter = recording, waiter

    def wait(self, **params: Any) -> None:
        self.recording.calls.append((f"wait:{self.waiter.name}", params))
        original = self.waiter._operation_method
        self.waiter._operation_method = self.describe
        try:
            self.waiter.wait(**params)
        finally:
            self.waiter._operation_method = original

    def describe(self, **params: Any) -> Any:
        """As botocore's waiters call it: an AWS error is an answer the acceptors match, not raised."""
        name = "describe_db_clusters" if "Cluster" in self.waiter.name else "describe_db_instances"
        try:
            return getattr(self.recording, name)(**params)
        except ClientError as error:
            return error.response


@dataclass
class Engine:
    """The stand-in for PostgreSQL behind the copy's endpoint."""

    answer: Any = 1
    no_route: bool = False
    seen: list[Endpoint] = field(default_factory=list)
    on_query: Callable[[], None] = lambda: None
    error: Exception | None = None


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    stand_in = Engine()

    def connect(endpoint: Endpoint, timeout: float) -> Any:
        if stand_in.no_route:
            raise NotRunError(f"no route to {endpoint.host}:{endpoint.port} from here (timed out)")
        return object()

    def select_one(context: ssl.SSLContext | None) -> Any:
        def run(endpoint: Endpoint, sock: Any, timeout: float) -> Any:
            stand_in.seen.append(endpoint)
            stand_in.on_query()
            if stand_in.error is not None:
                raise stand_in.error
            return stand_in.answer

        return run

    monkeypatch.setattr(ops_query, "tcp_connect", connect)
    monkeypatch.setattr(ops_query, "pg8000_select_one", select_one)
    yield stand_in


@pytest.fixture
def recording(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """Set `change` before the run; the Recording is made on first use."""
    holder: dict[str, Any] = {"change": {}}

    def factory(service: str, region: str) -> Any:
        if "client" not in holder:
            holder["client"] = Recording(**holder["change"])
        return holder["client"]

    monkeypatch.setattr(ops_clients, "default_client", factory)
    yield holder


def run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], outputs: dict[str, Any], *argv: str, poll: str = "0"
) -> tuple[int, str, str]:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    status = main(["restore-drill", str(path), "--region", REGION, "--poll-seconds", poll, "--timeout", "0.5", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# For a copy that never gets there: a look every 0.1 s until the 0.5 s deadline, not hundreds of
# looks back to back (each one CPU spent in moto). The deadline, not the number of looks, ends the wait.
UNTIL_THE_DEADLINE = "0.1"


def left() -> tuple[list[str], list[str]]:
    rds = boto3.client("rds", region_name=REGION)
    return (
        [c["DBClusterIdentifier"] for c in rds.describe_db_clusters()["DBClusters"]],
        [i["DBInstanceIdentifier"] for i in rds.describe_db_instances()["DBInstances"]],
    )


def test_the_default_drill_restores_the_latest_point_creates_an_instance_queries_and_cleans_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], engine: Engine, recording: dict[str, Any]
) -> None:
    outputs = aurora_stack()
    status, out, err = run(tmp_path, capsys, outputs)
    assert status == Exit.OK, out + err
    calls: Recording = recording["client"]
    (restore,) = calls.named("restore_db_cluster_to_point_in_time")
    copy = restore["DBClusterIdentifier"]
    # Unique to the second and to the run: another drill's copy never has this name.
    named = re.fullmatch(rf"{SOURCE}-drill-(\d{{14}})-([0-9a-f]{{6}})", copy)
    assert named is not None and len(f"{copy}-1") <= 63
    run_tags = [{"Key": "purpose", "Value": "restore-drill"}, {"Key": "restore-drill-run", "Value": named[2]}]
    assert restore["Tags"] == run_tags
    assert restore["UseLatestRestorableTime"] is True and "RestoreToTime" not in restore
    assert (restore["VpcSecurityGroupIds"], restore["KmsKeyId"], restore["DeletionProtection"]) == (
        ["sg-0database"],
        KEY,
        False,
    )
    assert restore["DBClusterParameterGroupName"]  # the source's, not the engine default
    (instance,) = calls.named("create_db_instance")
    assert instance == {
        "DBInstanceIdentifier": f"{copy}-1",
        "DBClusterIdentifier": copy,
        "Engine": "aurora-postgresql",
        "DBInstanceClass": "db.r7g.large",
        "PubliclyAccessible": False,
        "Tags": run_tags,
        "DBParameterGroupName": "default.aurora-postgresql17",
    }
    # The real waiters, in order: the cluster, its instance, and the deletions.
    waits = [name for name, _ in calls.calls if name.startswith("wait:")]
    assert waits == [
        "wait:DBClusterAvailable",
        "wait:DBInstanceAvailable",
        "wait:DBInstanceDeleted",
        "wait:DBClusterDeleted",
    ]
    # A password of the drill's own, then SELECT 1 through the copy's endpoint with it.
    (change,) = calls.named("modify_db_cluster")
    assert change["DBClusterIdentifier"] == copy and change["ApplyImmediately"] is True
    assert 8 <= len(change["MasterUserPassword"]) <= 41 and not set('/"@') & set(change["MasterUserPassword"])
    (seen,) = engine.seen
    assert seen.host.startswith(f"{copy}.cluster-") and seen.port == 5432
    assert (seen.database, seen.user, seen.password) == ("platform", "platform_admin", change["MasterUserPassword"])
    # Every step is timed; the restore steps are marked, and the report says so.
    assert f"* restore cluster {copy} and wait until available" in out
    assert f"* create instance {copy}-1 (db.r7g.large) and wait until available" in out
    assert f"* SELECT 1 through {seen.host}:5432" in out
    assert "  set a drill-only master password on the copy" in out
    assert "within the RTO of 60 min" in out and "(latest restorable time)" in out and "within the RPO" in out
    assert f"Query: SELECT 1 answered 1 through {seen.host}:5432 (database platform, user platform_admin, TLS)" in out
    assert "Cleanup: the copy is deleted." in out
    assert left() == ([SOURCE], [f"{SOURCE}-1"])
    assert not calls.named("modify_db_instance")  # the source is only read
    # The copy's automated backups go with it (DeleteDBCluster DeleteAutomatedBackups).
    assert calls.named("delete_db_cluster") == [
        {"DBClusterIdentifier": copy, "SkipFinalSnapshot": True, "DeleteAutomatedBackups": True}
    ]


def test_a_snapshot_restore_takes_the_newest_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], engine: Engine, recording: dict[str, Any]
) -> None:
    outputs = aurora_stack(snapshot=True)  # moto's automated snapshot first, then "nightly"
    status, out, err = run(tmp_path, capsys, outputs, "--snapshot", "latest")
    assert status == Exit.OK, out + err
    (restore,) = recording["client"].named("restore_db_cluster_from_snapshot")
    assert restore["SnapshotIdentifier"] == "nightly" and restore["Engine"] == "aurora-postgresql"
    # The snapshot's version, not the Region's default (which AWS refuses when older than the snapshot's).
    assert restore["EngineVersion"] == "17.6"
    assert "(snapshot nightly)" in out
    assert left() == ([SOURCE], [f"{SOURCE}-1"])


def test_the_newest_snapshot_is_found_on_a_later_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], engine: Engine, recording: dict[str, Any]
) -> None:
    outputs = aurora_stack(snapshot=True)
    recording["change"] = {"snapshot_pages": True}  # one snapshot a page: "nightly" is on the second
    status, out, err = run(tmp_path, capsys, outputs, "--snapshot", "latest")
    assert status == Exit.OK, out + err
    calls: Recording = recording["client"]
    assert [page.get("Marker") for page in calls.named("describe_db_cluster_snapshots")] == [None, "1"]
    assert calls.named("restore_db_cluster_from_snapshot")[0]["SnapshotIdentifier"] == "nightly"


def test_a_point_in_time_inside_the_window_is_restored_and_judged_against_the_rpo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], engine: Engine, recording: dict[str, Any]
) -> None:
    outputs = aurora_stack()
    recording["change"] = {"earliest": datetime.now(UTC) - timedelta(days=7)}
    point = datetime.now(UTC) - timedelta(hours=3)
    status, out, _ = run(tmp_path, capsys, outputs, "--point-in-time", point.isoformat())
    assert status == Exit.TARGET_MISSED
    (restore,) = recording["client"].named("restore_db_cluster_to_point_in_time")
    assert restore["RestoreToTime"] == point and "UseLatestRestorableTime" not in restore
    assert "180 min old, OVER the RPO of 15 min" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--point-in-time", "2026-01-31T12:00:00"], "has no UTC offset"),
        (["--point-in-time", "yesterday"], "is not an ISO time"),
        (["--point-in-time", "2026-01-31T12:00:00+00:00", "--snapshot", "latest"], "not allowed with argument"),
        (["--point-in-time", "2020-01-31T12:00:00+00:00"], "is outside the restorable window of platform-prod-use1"),
        (["--snapshot", "weekly"], "--snapshot weekly: no available snapshot of platform-prod-use1 has that name"),
    ],
)
def test_bad_recovery_points_exit_2_before_anything_is_restored(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    engine: Engine,
    recording: dict[str, Any],
    argv: list[str],
    message: str,
) -> None:
    outputs = aurora_stack()
    try:
        status, _, err = run(tmp_path, capsys, outputs, *argv)
    except SystemExit as usage:  # argparse's own refusal
        status, err = int(str(usage.code)), capsys.readouterr().err
    assert status == Exit.BAD_INPUT and message in err
    assert left() == ([SOURCE], [f"{SOURCE}-1"])


def test_a_timeout_leaves_the_creating_copy_alone_and_reports_the_real_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], engine: Engine, recording: dict[str, Any]
) -> None:
    outputs = aurora_stack()
    recording["change"] = {"copy_status": "creating"}
    status, out, err = run(tmp_path, capsys, outputs, poll=UNTIL_THE_DEADLINE)
    assert status == Exit.FAILED
    calls: Recording = recording["client"]
    copy = calls.named("restore_db_cluster_to_point_in_time")[0]["DBClusterIdentifier"]
    assert f"failed: cluster {copy} did not get there within 0.5 s (last status: creating)" in err
    # Nothing is done to a cluster that is still being created, and no instance was started.
    assert not calls.named("modify_db_cluster") and not calls.named("delete_db_cluster")
    assert not calls.named("create_db_instance")
    assert f"LEFT BEHIND: cluster {copy} is creating, left alone; once available: aws rds delete-db-cluster" in out


def test_with_no_route_the_drill_says_so_and_still_cleans_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], engine: Engine, recording: dict[str, Any]
) -> None:
    outputs = aurora_stack()
    engine.no_route = True
    status, out, _ = run(tmp_path, capsys, outputs)
    assert status == Exit.QUERY_NOT_RUN
    assert "Query: NOT RUN: no route to " in out and "run the drill inside the VPC (docs/operations.md)" in out
    assert left() == ([SOURCE], [f"{SOURCE}-1"])


def test_skip_query_sets_no_password_and_runs_no_query(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], engine: Engine, recording: dict[str, Any]
) -> None:
    outputs = aurora_stack()
    status, out, _ = run(tmp_path, capsys, outputs, "--skip-query")
    assert status == Exit.OK
    assert "Query: skipped (--skip-query)" in out
    assert not recording["client"].named("modify_db_cluster") and engine.seen == []


@pytest.mark.parametrize(
    ("change", "answer", "message"),
    [
        ({"wrong_key": True}, 1, f"is not encrypted with the source's key {KEY}"),
        ({"wrong_groups": True}, 1, "came up with security groups ['sg-0wrong'], not the source's ['sg-0database']"),
        ({}, None, "answered None"),
    ],
)
def test_a_copy_that_is_wrong_fails_the_drill_and_is_deleted(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    engine: Engine,
    recording: dict[str, Any],
    change: dict[str, Any],
    answer: Any,
    message: str,
) -> None:
    outputs = aurora_stack()
    recording["change"] = change
    engine.answer = answer
    status, _, err = run(tmp_path, capsys, outputs)
    assert status == Exit.FAILED and message in err
    assert left() == ([SOURCE], [f"{SOURCE}-1"])


def test_a_managed_secret_of_the_copy_is_unmanaged_for_the_drill_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], engine: Engine, recording: dict[str, Any]
) -> None:
    outputs = aurora_stack()
    recording["change"] = {"secrets": {False: "arn:secret:source", True: "arn:secret:copy"}}
    status, _, err = run(tmp_path, capsys, outputs)
    assert status == Exit.OK, err
    (change,) = recording["client"].named("modify_db_cluster")
    assert change["ManageMasterUserPassword"] is False and change["MasterUserPassword"]


def test_the_sources_managed_secret_is_never_unmanaged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], engine: Engine, recording: dict[str, Any]
) -> None:
    outputs = aurora_stack()
    recording["change"] = {"secrets": {False: "arn:secret:source", True: "arn:secret:source"}}
    status, _, err = run(tmp_path, capsys, outputs)
    assert status == Exit.FAILED and "shares the source's master secret arn:secret:source" in err
    assert not recording["client"].named("modify_db_cluster") and engine.seen == []
    assert left() == ([SOURCE], [f"{SOURCE}-1"])


def test_no_snapshot_is_a_failed_drill(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], engine: Engine, recording: dict[str, Any]
) -> None:
    outputs = aurora_stack()
    recording["change"] = {"no_snapshots": True}
    status, _, err = run(tmp_path, capsys, outputs, "--snapshot", "latest")
    assert status == Exit.FAILED and "platform-prod-use1 has no available snapshot to restore" in err


def test_an_rds_instance_is_restored_to_its_latest_point_queried_and_deleted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], engine: Engine, recording: dict[str, Any]
) -> None:
    rds = boto3.client("rds", region_name=REGION)
    instance = rds.create_db_instance(
        DBInstanceIdentifier="platform-dev-use1",
        Engine="postgres",
        DBInstanceClass="db.t4g.micro",
        DBName="platform",
        MasterUsername="platform_admin",
        MasterUserPassword="not-a-real-password-1",
        AllocatedStorage=20,
        StorageEncrypted=True,
        KmsKeyId=KEY,
        VpcSecurityGroupIds=["sg-0database"],
        BackupRetentionPeriod=7,
    )["DBInstance"]
    outputs = {
        "regions": [REGION],
        "databases": {REGION: {"identifier": "platform-dev-use1", "arn": instance["DBInstanceArn"]}},
    }
    status, out, err = run(tmp_path, capsys, outputs)
    assert status == Exit.OK, err
    calls: Recording = recording["client"]
    (restore,) = calls.named("restore_db_instance_to_point_in_time")
    assert restore["UseLatestRestorableTime"] is True and restore["PubliclyAccessible"] is False
    (change,) = calls.named("modify_db_instance")
    assert change["DBInstanceIdentifier"] == restore["TargetDBInstanceIdentifier"]
    assert engine.seen[0].host.startswith(restore["TargetDBInstanceIdentifier"])
    assert not calls.named("create_db_instance")
    assert left() == ([], ["platform-dev-use1"])
    assert "Cleanup: the copy is deleted." in out


def test_missing_credentials_exit_3_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    outputs = aurora_stack()

    class NoCredentials:
        def __getattr__(self, name: str) -> Any:
            def call(**params: Any) -> Any:
                raise NoCredentialsError()

            return call

    monkeypatch.setattr(ops_clients, "default_client", lambda service, region: NoCredentials())
    status, _, err = run(tmp_path, capsys, outputs)
    assert status == Exit.AWS_ERROR
    assert err.strip() == "error: no AWS credentials: set AWS_PROFILE or sign in (aws sso login)"


def report(
    *, restore_seconds: float, age_minutes: float, query: str = "answered", left: list[str] | None = None
) -> DrillReport:
    started = datetime(2026, 1, 31, 12, 0, tzinfo=UTC)
    return DrillReport(
        source=SOURCE,
        copy=f"{SOURCE}-drill-202601311200",
        recovery_point=started - timedelta(minutes=age_minutes),
        recovery_kind="latest restorable time",
        steps=[Step("restore", restore_seconds, True), Step("delete", 10_000, False)],
        query=QueryOutcome(query, "detail"),  # type: ignore[arg-type]
        leftovers=left or [],
        rto_minutes=60,
        rpo_minutes=15,
        started=started,
    )


@pytest.mark.parametrize(
    ("built", "expected"),
    [
        (report(restore_seconds=3599, age_minutes=5), Exit.OK),
        (report(restore_seconds=3601, age_minutes=5), Exit.TARGET_MISSED),  # the cleanup does not count
        (report(restore_seconds=60, age_minutes=16), Exit.TARGET_MISSED),
        (report(restore_seconds=3601, age_minutes=5, query="not run"), Exit.QUERY_NOT_RUN),
        (report(restore_seconds=60, age_minutes=5, query="not run", left=["cluster x"]), Exit.FAILED),
        (report(restore_seconds=60, age_minutes=5, query="skipped"), Exit.OK),
    ],
)
def test_the_exit_code_follows_the_report(built: DrillReport, expected: Exit) -> None:
    assert built.exit == expected


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--timeout", "0"], "argument --timeout: 0 is not above 0"),
        (["--poll-seconds", "0"], "argument --poll-seconds: 0 is below 1 s"),
        (["--poll-seconds", "0.2"], "argument --poll-seconds: 0.2 is below 1 s"),
        (["--rto-minutes", "1.5"], "argument --rto-minutes: 1.5 is not a whole number of minutes"),
        (["--rpo-minutes", "soon"], "argument --rpo-minutes: 'soon' is not a number"),
    ],
)
def test_bad_numbers_are_usage_errors(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, argv: list[str], message: str
) -> None:
    monkeypatch.setattr(ops_main, "MIN_POLL_SECONDS", 1.0)  # the CLI's own floor, which the other tests lower
    with pytest.raises(SystemExit) as usage:
        main(["restore-drill", "outputs.json", "--region", REGION, *argv])
    assert usage.value.code == Exit.BAD_INPUT and message in capsys.readouterr().err


def test_a_malformed_databases_entry_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], engine: Engine
) -> None:
    status, _, err = run(tmp_path, capsys, {"regions": [REGION], "databases": {REGION: "platform-prod-use1"}})
    assert status == Exit.BAD_INPUT and "the stack outputs lack 'databases.us-east-1.identifier'" in err


def copy_of(calls: Recording) -> str:
    restored = calls.named("restore_db_cluster_to_point_in_time") or calls.named("restore_db_cluster_from_snapshot")
    return str(restored[0]["DBClusterIdentifier"])


@pytest.mark.parametrize(
    ("name", "content"), [("missing.pem", None), ("notes.pem", "not a certificate\n")], ids=["missing", "not PEM"]
)
def test_a_bad_ca_bundle_exits_2_before_anything_is_restored(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    engine: Engine,
    recording: dict[str, Any],
    name: str,
    content: str | None,
) -> None:
    outputs = aurora_stack()
    bundle = tmp_path / name
    if content is not None:
        bundle.write_text(content)
    with pytest.raises(SystemExit) as usage:
        run(tmp_path, capsys, outputs, "--ca-bundle", str(bundle))
    assert usage.value.code == Exit.BAD_INPUT
    assert f"argument --ca-bundle: {bundle}: not a readable PEM CA bundle" in capsys.readouterr().err
    assert "client" not in recording and left() == ([SOURCE], [f"{SOURCE}-1"])  # AWS was never called


@pytest.mark.parametrize(
    ("error", "line"),
    [
        (PermissionError(13, "Permission denied"), "error: [Errno 13] Permission denied"),
        (KeyError("Endpoint"), "error: unexpected KeyError: 'Endpoint'"),
    ],
    ids=["local error", "bug"],
)
def test_an_unexpected_error_exits_7_never_1_and_the_copy_is_still_deleted(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    engine: Engine,
    recording: dict[str, Any],
    error: Exception,
    line: str,
) -> None:
    outputs = aurora_stack()
    engine.error = error
    status, _, err = run(tmp_path, capsys, outputs)
    assert status == Exit.UNEXPECTED and err.strip().splitlines()[-1] == line
    assert left() == ([SOURCE], [f"{SOURCE}-1"])


def test_an_aws_error_during_a_wait_is_that_error_not_a_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], engine: Engine, recording: dict[str, Any]
) -> None:
    outputs = aurora_stack()
    recording["change"] = {"deny_copy": 1}  # the waiter's first look at the copy is refused, later ones are not
    status, out, err = run(tmp_path, capsys, outputs)
    assert status == Exit.AWS_ERROR, out + err
    assert "error: AccessDenied: not authorized to perform: rds:describe_db_clusters" in err
    assert "stopped in status" not in err
    assert left() == ([SOURCE], [f"{SOURCE}-1"])  # the cleanup could look, and deleted the copy


def test_an_aws_error_that_leaves_the_copy_behind_exits_5_and_names_both(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], engine: Engine, recording: dict[str, Any]
) -> None:
    outputs = aurora_stack()
    recording["change"] = {"deny_copy": 1000}  # the copy can never be looked at: not by the cleanup either
    status, out, err = run(tmp_path, capsys, outputs)
    assert status == Exit.FAILED
    copy = copy_of(recording["client"])
    assert "failed: AccessDenied: not authorized to perform: rds:describe_db_clusters; and the drill left a copy" in err
    assert f"LEFT BEHIND: cluster {copy}: AccessDenied" in out
    assert not recording["client"].named("delete_db_cluster")


def test_an_instance_left_creating_blocks_the_deletion_of_its_cluster(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], engine: Engine, recording: dict[str, Any]
) -> None:
    outputs = aurora_stack()
    recording["change"] = {"instance_status": "creating"}
    status, out, err = run(tmp_path, capsys, outputs, poll=UNTIL_THE_DEADLINE)
    calls: Recording = recording["client"]
    copy = copy_of(calls)
    assert status == Exit.FAILED
    assert f"failed: instance {copy}-1 did not get there within 0.5 s (last status: creating)" in err
    assert not calls.named("delete_db_instance") and not calls.named("delete_db_cluster")
    assert f"LEFT BEHIND: instance {copy}-1 is creating, left alone" in out
    assert (
        f"LEFT BEHIND: cluster {copy}: still holds instance {copy}-1; aws rds delete-db-cluster "
        f"--db-cluster-identifier {copy} --skip-final-snapshot --delete-automated-backups" in out
    )
    # The steps that finished are printed with their durations, though the drill failed.
    stopped = out.index(f"Restore drill of {SOURCE} into {copy} stopped; the steps before:")
    assert re.search(rf"\d+\.\d s  \* restore cluster {copy} and wait until available", out[stopped:])
    assert f"{SOURCE}-drill" in " ".join(left()[0])  # both still there, as reported


def test_the_query_waits_until_the_password_change_is_applied(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], engine: Engine, recording: dict[str, Any]
) -> None:
    outputs = aurora_stack()
    recording["change"] = {"pending_password": 3}  # three looks still show the change pending
    pending_at_query: list[int] = []
    engine.on_query = lambda: pending_at_query.append(recording["client"].pending_left)
    status, out, err = run(tmp_path, capsys, outputs)
    assert status == Exit.OK, out + err
    assert pending_at_query == [0]  # SELECT 1 ran only once no change was pending


def test_a_password_change_never_applied_fails_and_the_copy_is_deleted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], engine: Engine, recording: dict[str, Any]
) -> None:
    outputs = aurora_stack()
    recording["change"] = {"pending_password": "always"}
    status, _, err = run(tmp_path, capsys, outputs, poll=UNTIL_THE_DEADLINE)
    copy = copy_of(recording["client"])
    assert status == Exit.FAILED and f"failed: {copy}'s new master password was not applied within 0.5 s" in err
    assert engine.seen == [] and left() == ([SOURCE], [f"{SOURCE}-1"])


def test_a_copy_without_this_runs_tags_is_neither_changed_nor_deleted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], engine: Engine, recording: dict[str, Any]
) -> None:
    outputs = aurora_stack()
    recording["change"] = {"foreign_tags": True}  # the copy's name answers with another run's tags
    status, out, err = run(tmp_path, capsys, outputs)
    calls: Recording = recording["client"]
    copy = copy_of(calls)
    assert status == Exit.FAILED and f"{copy} does not carry this run's tags" in err
    assert not calls.named("modify_db_cluster") and not calls.named("delete_db_cluster")
    assert f"LEFT BEHIND: cluster {copy} does not carry this run's tags" in out


def test_a_refused_restore_is_not_cleaned_up(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], engine: Engine, recording: dict[str, Any]
) -> None:
    outputs = aurora_stack()
    recording["change"] = {"name_taken": True}  # AWS refuses the create: the name is someone else's
    status, _, err = run(tmp_path, capsys, outputs)
    calls: Recording = recording["client"]
    copy = copy_of(calls)
    assert status == Exit.AWS_ERROR and "error: DBClusterAlreadyExistsFault: DB Cluster already exists" in err
    # The cleanup never looks at (let alone deletes) a name it did not get from AWS.
    assert not [c for c in calls.named("describe_db_clusters") if c.get("DBClusterIdentifier") == copy]


def rds_stack(rds: Any) -> dict[str, Any]:
    instance = rds.create_db_instance(
        DBInstanceIdentifier="platform-dev-use1",
        Engine="postgres",
        DBInstanceClass="db.t4g.micro",
        DBName="platform",
        MasterUsername="platform_admin",
        MasterUserPassword="not-a-real-password-1",
        AllocatedStorage=20,
        StorageEncrypted=True,
        KmsKeyId=KEY,
        VpcSecurityGroupIds=["sg-0database"],
        BackupRetentionPeriod=7,
    )["DBInstance"]
    return {
        "regions": [REGION],
        "databases": {REGION: {"identifier": "platform-dev-use1", "arn": instance["DBInstanceArn"]}},
    }


def test_an_rds_instance_is_restored_from_its_newest_snapshot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], engine: Engine, recording: dict[str, Any]
) -> None:
    rds = boto3.client("rds", region_name=REGION)
    outputs = rds_stack(rds)
    rds.create_db_snapshot(DBSnapshotIdentifier="nightly-dev", DBInstanceIdentifier="platform-dev-use1")
    status, out, err = run(tmp_path, capsys, outputs, "--snapshot", "latest")
    assert status == Exit.OK, out + err
    calls: Recording = recording["client"]
    (restore,) = calls.named("restore_db_instance_from_db_snapshot")
    copy = restore["DBInstanceIdentifier"]
    assert restore["DBSnapshotIdentifier"] == "nightly-dev" and copy.startswith("platform-dev-use1-drill-")
    assert (restore["PubliclyAccessible"], restore["VpcSecurityGroupIds"], restore["DeletionProtection"]) == (
        False,
        ["sg-0database"],
        False,
    )
    assert restore["Tags"][0] == {"Key": "purpose", "Value": "restore-drill"}
    assert "EngineVersion" not in restore  # this API restores the snapshot's version
    assert not calls.named("restore_db_instance_to_point_in_time") and not calls.named("create_db_instance")
    assert calls.named("delete_db_instance") == [
        {"DBInstanceIdentifier": copy, "SkipFinalSnapshot": True, "DeleteAutomatedBackups": True}
    ]
    assert "(snapshot nightly-dev)" in out and left() == ([], ["platform-dev-use1"])


def test_an_instance_point_outside_its_backup_window_exits_2_before_restoring(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], engine: Engine, recording: dict[str, Any]
) -> None:
    outputs = rds_stack(boto3.client("rds", region_name=REGION))
    earliest = datetime.now(UTC) - timedelta(days=1)
    recording["change"] = {"window": {"EarliestTime": earliest, "LatestTime": datetime.now(UTC)}}
    point = datetime.now(UTC) - timedelta(days=3)
    status, _, err = run(tmp_path, capsys, outputs, "--point-in-time", point.isoformat())
    assert status == Exit.BAD_INPUT
    assert f"is outside the restorable window of platform-dev-use1 ({earliest:%Y-%m-%dT%H:%M:%SZ} to " in err
    calls: Recording = recording["client"]
    assert calls.named("describe_db_instance_automated_backups") == [{"DBInstanceIdentifier": "platform-dev-use1"}]
    assert not calls.named("restore_db_instance_to_point_in_time") and left() == ([], ["platform-dev-use1"])

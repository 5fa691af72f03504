"""`python -m ops failover` end to end against moto.

moto has no SwitchoverGlobalCluster or FailoverGlobalCluster, and its RemoveFromGlobalCluster
leaves the member in place: those three calls are answered by botocore's Stubber (which also
checks the parameters), and their effect on the global cluster (the target writes, or is no
longer a member) is applied to the next DescribeGlobalClusters answer. Everything else (the
global cluster and its clusters, CloudWatch lag) is moto's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from ops import clients as ops_clients
from ops.__main__ import main

PRIMARY, SECONDARY = "us-east-1", "eu-west-1"
GLOBAL = "platform-prod"


class StubbedGlobalActions:
    """An RDS client: moto for everything, Stubber for the calls moto lacks."""

    def __init__(self, region: str, calls: list[str]) -> None:
        self.moto = boto3.client("rds", region_name=region)
        self.stubbed = boto3.client("rds", region_name=region)
        self.stubber = Stubber(self.stubbed)
        self.calls = calls
        self.new_writer: str | None = None
        self.detached: str | None = None
        self.polls_after_action = 0

    def expect(self, operation: str, params: dict[str, Any]) -> None:
        answer = {"GlobalCluster": {"GlobalClusterIdentifier": GLOBAL}}
        self.stubber.add_response(operation, answer, params)
        self.stubber.activate()

    def switchover_global_cluster(self, **params: Any) -> Any:
        return self._act("switchover_global_cluster", params)

    def failover_global_cluster(self, **params: Any) -> Any:
        return self._act("failover_global_cluster", params)

    def remove_from_global_cluster(self, **params: Any) -> Any:
        return self._act("remove_from_global_cluster", params)

    def _act(self, operation: str, params: dict[str, Any]) -> Any:
        self.calls.append(operation)
        answer = getattr(self.stubbed, operation)(**params)
        self.stubber.assert_no_pending_responses()
        if operation == "remove_from_global_cluster":
            self.detached = params["DbClusterIdentifier"]
        else:
            self.new_writer = params["TargetDbClusterIdentifier"]
        return answer

    def describe_global_clusters(self, **params: Any) -> Any:
        answer = self.moto.describe_global_clusters(**params)
        members = answer["GlobalClusters"][0]["GlobalClusterMembers"]
        if self.new_writer is None and self.detached is None:
            return answer
        # The action takes a while: the first two looks after it still show the old state.
        self.polls_after_action += 1
        if self.polls_after_action <= 2:
            return answer
        if self.new_writer is not None:
            for member in members:
                member["IsWriter"] = member["DBClusterArn"] == self.new_writer
        answer["GlobalClusters"][0]["GlobalClusterMembers"] = [
            member for member in members if member["DBClusterArn"] != self.detached
        ]
        return answer

    def __getattr__(self, name: str) -> Any:
        return getattr(self.moto, name)


def build(lag_seconds: float | None = 2.0) -> tuple[dict[str, Any], dict[str, str]]:
    east, west = boto3.client("rds", region_name=PRIMARY), boto3.client("rds", region_name=SECONDARY)
    east.create_global_cluster(GlobalClusterIdentifier=GLOBAL, Engine="aurora-postgresql", EngineVersion="17.6")
    arns = {}
    for client, region, identifier in ((east, PRIMARY, "platform-prod-use1"), (west, SECONDARY, "platform-prod-euw1")):
        extra = (
            {"MasterUsername": "platform_admin", "MasterUserPassword": "not-a-real-password-1"}
            if region == PRIMARY
            else {}
        )
        cluster = client.create_db_cluster(
            DBClusterIdentifier=identifier,
            Engine="aurora-postgresql",
            EngineVersion="17.6",
            GlobalClusterIdentifier=GLOBAL,
            StorageEncrypted=True,
            **extra,
        )["DBCluster"]
        arns[region] = cluster["DBClusterArn"]
    if lag_seconds is not None:
        boto3.client("cloudwatch", region_name=SECONDARY).put_metric_data(
            Namespace="AWS/RDS",
            MetricData=[
                {
                    "MetricName": "AuroraGlobalDBReplicationLag",
                    "Dimensions": [{"Name": "DBClusterIdentifier", "Value": "platform-prod-euw1"}],
                    # CloudWatch publishes each minute's figure after that minute.
                    "Timestamp": datetime.now(UTC) - timedelta(minutes=1),
                    "Value": lag_seconds * 1000,
                    "Unit": "Milliseconds",
                }
            ],
        )
    outputs = {
        "regions": [PRIMARY, SECONDARY],
        "globalDatabase": {
            "identifier": GLOBAL,
            "primaryRegion": PRIMARY,
            "members": {
                PRIMARY: {"clusterArn": arns[PRIMARY], "clusterIdentifier": "platform-prod-use1"},
                SECONDARY: {"clusterArn": arns[SECONDARY], "clusterIdentifier": "platform-prod-euw1"},
            },
        },
    }
    return outputs, arns


@pytest.fixture
def rds_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[list[str], dict[str, StubbedGlobalActions]]]:
    calls: list[str] = []
    clients: dict[str, StubbedGlobalActions] = {}

    def factory(service: str, region: str) -> Any:
        if service != "rds":
            return boto3.client(service, region_name=region)
        return clients.setdefault(region, StubbedGlobalActions(region, calls))

    monkeypatch.setattr(ops_clients, "default_client", factory)
    yield calls, clients


def run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], outputs: dict[str, Any], *argv: str
) -> tuple[int, str, str]:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    status = main(["failover", str(path), "--timeout", "5", "--poll-seconds", "0.1", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_a_planned_switchover_moves_the_writer_within_the_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rds_calls: Any
) -> None:
    calls, clients = rds_calls
    outputs, arns = build()
    clients.setdefault(SECONDARY, StubbedGlobalActions(SECONDARY, calls)).expect(
        "switchover_global_cluster", {"GlobalClusterIdentifier": GLOBAL, "TargetDbClusterIdentifier": arns[SECONDARY]}
    )
    status, out, err = run(tmp_path, capsys, outputs, "--to", SECONDARY)
    assert status == 0, err
    assert calls == ["switchover_global_cluster"]
    assert f"Global database {GLOBAL}: writer in {PRIMARY}" in out
    assert clients[SECONDARY].polls_after_action == 3  # it waited until the target wrote
    assert "Replication lag of the target: 2 s; RPO 900 s" in out
    assert "platform-prod-euw1 is the writer" in out and "verified: platform-prod-euw1 available" in out
    assert "within the 120 s target" in out


def test_dry_run_changes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str], rds_calls: Any) -> None:
    calls, _ = rds_calls
    outputs, _ = build()
    status, out, _ = run(tmp_path, capsys, outputs, "--to", SECONDARY, "--dry-run")
    assert (status, calls) == (0, [])
    assert "Action: SwitchoverGlobalCluster" in out and "Dry run: nothing changed." in out


def test_lag_above_the_rpo_is_refused_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rds_calls: Any
) -> None:
    calls, clients = rds_calls
    outputs, arns = build(lag_seconds=20 * 60)
    status, _, err = run(tmp_path, capsys, outputs, "--to", SECONDARY)
    assert (status, calls) == (1, [])
    assert "lag of platform-prod-euw1 is 1200 s, above the RPO of 900 s" in err
    clients[SECONDARY].expect(
        "switchover_global_cluster", {"GlobalClusterIdentifier": GLOBAL, "TargetDbClusterIdentifier": arns[SECONDARY]}
    )
    status, _, _ = run(tmp_path, capsys, outputs, "--to", SECONDARY, "--force")
    assert status == 0 and calls == ["switchover_global_cluster"]


def test_an_unknown_lag_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], rds_calls: Any) -> None:
    outputs, _ = build(lag_seconds=None)
    status, _, err = run(tmp_path, capsys, outputs, "--to", SECONDARY)
    assert status == 1 and "replication lag of platform-prod-euw1 is unknown" in err


def test_unplanned_failover_allows_data_loss(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rds_calls: Any
) -> None:
    calls, clients = rds_calls
    outputs, arns = build()
    clients.setdefault(SECONDARY, StubbedGlobalActions(SECONDARY, calls)).expect(
        "failover_global_cluster",
        {"GlobalClusterIdentifier": GLOBAL, "TargetDbClusterIdentifier": arns[SECONDARY], "AllowDataLoss": True},
    )
    status, out, _ = run(tmp_path, capsys, outputs, "--to", SECONDARY, "--unplanned")
    assert status == 0 and calls == ["failover_global_cluster"]
    assert "FailoverGlobalCluster with AllowDataLoss" in out


def test_with_the_primary_gone_the_target_is_detached_and_promoted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rds_calls: Any
) -> None:
    calls, clients = rds_calls
    outputs, arns = build()
    clients.setdefault(SECONDARY, StubbedGlobalActions(SECONDARY, calls)).expect(
        "remove_from_global_cluster", {"GlobalClusterIdentifier": GLOBAL, "DbClusterIdentifier": arns[SECONDARY]}
    )
    status, out, err = run(tmp_path, capsys, outputs, "--to", SECONDARY, "--unplanned", "--primary-gone")
    assert status == 0, err
    assert calls == ["remove_from_global_cluster"]
    assert "RemoveFromGlobalCluster on the target" in out
    assert clients[SECONDARY].polls_after_action == 3  # it waited until the target stood alone
    assert "platform-prod-euw1 is the writer" in out


@pytest.mark.parametrize(
    ("argv", "message", "code"),
    [
        (["--to", "ap-southeast-1"], "region 'ap-southeast-1' is not one of this stack's regions", 2),
        (["--to", PRIMARY], "us-east-1 already writes for platform-prod", 1),
        (["--to", SECONDARY, "--primary-gone"], "--primary-gone needs --unplanned", 2),
    ],
)
def test_bad_requests_say_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rds_calls: Any, argv: list[str], message: str, code: int
) -> None:
    outputs, _ = build()
    status, _, err = run(tmp_path, capsys, outputs, *argv)
    assert status == code and message in err


def test_a_stack_without_a_global_database_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rds_calls: Any
) -> None:
    status, _, err = run(tmp_path, capsys, {"regions": [PRIMARY, SECONDARY]}, "--to", SECONDARY)
    assert status == 2 and "the stack outputs lack 'globalDatabase'" in err


def test_missing_permissions_are_shown_plainly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rds_calls: Any
) -> None:
    calls, clients = rds_calls
    outputs, _ = build()
    stubbed = clients.setdefault(SECONDARY, StubbedGlobalActions(SECONDARY, calls))
    stubbed.stubber.add_client_error(
        "switchover_global_cluster",
        service_error_code="AccessDenied",
        service_message="User is not authorized to perform: rds:SwitchoverGlobalCluster",
        http_status_code=403,
    )
    stubbed.stubber.activate()
    status, _, err = run(tmp_path, capsys, outputs, "--to", SECONDARY)
    assert status == 1
    assert "error: AccessDenied: User is not authorized to perform: rds:SwitchoverGlobalCluster" in err


def test_a_cluster_outside_the_global_database_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rds_calls: Any
) -> None:
    outputs, _ = build()
    lone = boto3.client("rds", region_name=SECONDARY).create_db_cluster(
        DBClusterIdentifier="lone",
        Engine="aurora-postgresql",
        EngineVersion="17.6",
        MasterUsername="platform_admin",
        MasterUserPassword="not-a-real-password-1",
    )["DBCluster"]
    outputs["globalDatabase"]["members"][SECONDARY] = {"clusterArn": lone["DBClusterArn"], "clusterIdentifier": "lone"}
    status, _, err = run(tmp_path, capsys, outputs, "--to", SECONDARY)
    assert status == 1 and "is not a member of the global database platform-prod" in err

"""`eksplatform-ops failover` end to end against moto.

moto has no SwitchoverGlobalCluster or FailoverGlobalCluster, and its RemoveFromGlobalCluster
leaves the member in place: those three calls are answered by botocore's Stubber (which also
checks the parameters), and their effect on the global cluster (the target writes, or is no
longer a member) is applied to later DescribeGlobalClusters answers, with the Status and
FailoverState AWS reports while a switchover runs (see World). Everything else (the global
cluster and its clusters, CloudWatch lag) is moto's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import NoCredentialsError
from botocore.stub import Stubber

from eksplatform.ops import __main__ as ops_main
from eksplatform.ops import clients as ops_clients
from eksplatform.ops.__main__ import main
from eksplatform.ops.exits import Exit
from eksplatform.ops.failover import TARGET_SECONDS, Timeline

PRIMARY, SECONDARY, THIRD = "us-east-1", "eu-west-1", "ap-southeast-1"
AWS_SERVICES = ("cloudwatch", "rds", "route53")  # loaded before the first test (conftest.py)
GLOBAL = "platform-prod"
IDENTIFIERS = {PRIMARY: "platform-prod-use1", SECONDARY: "platform-prod-euw1", THIRD: "platform-prod-apse1"}


@dataclass
class World:
    """What AWS does after an action, shared by every region's client.

    After a switchover or failover: two looks show the old writer with the action pending, the
    third shows the target writing while the global cluster is still switching over, the fourth
    and later show it settled (available, no FailoverState). With `rolls_back`, the fourth and
    later show the old primary writing again, available, no FailoverState: what a rollback looks
    like once over. A detached cluster is gone from the members from the third look after its
    request on.
    """

    calls: list[str] = field(default_factory=list)
    new_writer: str | None = None
    detached: dict[str, int] = field(default_factory=dict)
    polls_after_action: int = 0
    settles: bool = True
    cancels: bool = False
    rolls_back: bool = False


class StubbedGlobalActions:
    """An RDS client: moto for everything, Stubber for the calls moto lacks."""

    def __init__(self, region: str, world: World) -> None:
        self.moto = boto3.client("rds", region_name=region)
        self.stubbed = boto3.client("rds", region_name=region)
        self.stubber = Stubber(self.stubbed)
        self.world = world

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
        self.world.calls.append(operation)
        answer = getattr(self.stubbed, operation)(**params)
        self.stubber.assert_no_pending_responses()
        if operation == "remove_from_global_cluster":
            self.world.detached[params["DbClusterIdentifier"]] = self.world.polls_after_action
        else:
            self.world.new_writer = params["TargetDbClusterIdentifier"]
        return answer

    def describe_global_clusters(self, **params: Any) -> Any:
        world = self.world
        answer = self.moto.describe_global_clusters(**params)
        found = answer["GlobalClusters"][0]
        if world.new_writer is None and not world.detached:
            return answer
        world.polls_after_action += 1
        polls = world.polls_after_action
        found["GlobalClusterMembers"] = [
            member
            for member in found["GlobalClusterMembers"]
            if polls - world.detached.get(member["DBClusterArn"], polls) < 3
        ]
        if world.new_writer is None:
            return answer
        if world.cancels:
            found["Status"], found["FailoverState"] = "available", {"Status": "cancelling"}
            return answer
        if polls >= 3 and not (world.rolls_back and polls >= 4):  # moto's answer: the old primary writes
            for member in found["GlobalClusterMembers"]:
                member["IsWriter"] = member["DBClusterArn"] == world.new_writer
        if polls < 4 or not world.settles:
            found["Status"] = "switching-over"
            found["FailoverState"] = {
                "Status": "pending" if polls < 3 else "switching-over",
                "ToDbClusterArn": world.new_writer,
            }
        return answer

    def __getattr__(self, name: str) -> Any:
        return getattr(self.moto, name)


def build(
    lag_seconds: float | None = 2.0, regions: tuple[str, ...] = (PRIMARY, SECONDARY)
) -> tuple[dict[str, Any], dict[str, str]]:
    rds = {region: boto3.client("rds", region_name=region) for region in regions}
    rds[PRIMARY].create_global_cluster(GlobalClusterIdentifier=GLOBAL, Engine="aurora-postgresql", EngineVersion="17.6")
    arns = {}
    for region in regions:
        extra = (
            {"MasterUsername": "platform_admin", "MasterUserPassword": "not-a-real-password-1"}
            if region == PRIMARY
            else {}
        )
        cluster = rds[region].create_db_cluster(
            DBClusterIdentifier=IDENTIFIERS[region],
            Engine="aurora-postgresql",
            EngineVersion="17.6",
            GlobalClusterIdentifier=GLOBAL,
            StorageEncrypted=True,
            **extra,
        )["DBCluster"]
        arns[region] = cluster["DBClusterArn"]
        if lag_seconds is not None and region != PRIMARY:
            boto3.client("cloudwatch", region_name=region).put_metric_data(
                Namespace="AWS/RDS",
                MetricData=[
                    {
                        "MetricName": "AuroraGlobalDBReplicationLag",
                        "Dimensions": [{"Name": "DBClusterIdentifier", "Value": IDENTIFIERS[region]}],
                        # CloudWatch publishes each minute's figure after that minute.
                        "Timestamp": datetime.now(UTC) - timedelta(minutes=1),
                        "Value": lag_seconds * 1000,
                        "Unit": "Milliseconds",
                    }
                ],
            )
    outputs = {
        "regions": list(regions),
        "globalDatabase": {
            "identifier": GLOBAL,
            "primaryRegion": PRIMARY,
            "members": {
                region: {"clusterArn": arns[region], "clusterIdentifier": IDENTIFIERS[region]} for region in regions
            },
        },
    }
    return outputs, arns


@pytest.fixture
def rds_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[World, dict[str, StubbedGlobalActions]]]:
    world = World()
    clients: dict[str, StubbedGlobalActions] = {}

    def factory(service: str, region: str) -> Any:
        if service != "rds":
            return boto3.client(service, region_name=region)
        return stub(clients, world, region)

    monkeypatch.setattr(ops_clients, "default_client", factory)
    yield world, clients


def stub(clients: dict[str, StubbedGlobalActions], world: World, region: str) -> StubbedGlobalActions:
    """The region's one stand-in for the test, made on first use (two clients: made only when missing)."""
    if region not in clients:
        clients[region] = StubbedGlobalActions(region, world)
    return clients[region]


def run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], outputs: dict[str, Any], *argv: str
) -> tuple[int, str, str]:
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps(outputs))
    # The stand-in world moves on at each look, not with time: no pause between looks (quick_polls).
    status = main(["failover", str(path), "--timeout", "5", "--poll-seconds", "0", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def switchover(arns: dict[str, str]) -> dict[str, Any]:
    return {"GlobalClusterIdentifier": GLOBAL, "TargetDbClusterIdentifier": arns[SECONDARY]}


def test_a_planned_switchover_ends_when_the_global_cluster_has_settled(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rds_calls: Any
) -> None:
    world, clients = rds_calls
    outputs, arns = build()
    stub(clients, world, SECONDARY).expect("switchover_global_cluster", switchover(arns))
    status, out, err = run(tmp_path, capsys, outputs, "--to", SECONDARY)
    assert status == Exit.OK, err
    assert world.calls == ["switchover_global_cluster"]
    assert f"Global database {GLOBAL}: writer in {PRIMARY}" in out
    assert "Replication lag of the target: 2 s; RPO 900 s" in out
    # The target wrote at the third look, but AWS said the switchover ended only at the fourth.
    assert world.polls_after_action == 4
    endpoint = clients[SECONDARY].moto.describe_db_clusters(DBClusterIdentifier="platform-prod-euw1")["DBClusters"][0]
    events = [line.split(" s  ", 1)[1] for line in out.splitlines() if line.startswith("  ") and " s  " in line]
    assert events == [
        "switchover requested",
        "platform-prod-euw1 is the writer",
        f"{GLOBAL} is available, no switchover in progress",
        f"verified: platform-prod-euw1 available at {endpoint['Endpoint']}",
    ]
    assert re.search(r"Failover took \d+\.\d s to a verified writer: within the 120 s target\.", out)
    assert f"Now writing: {SECONDARY} (platform-prod-euw1) for {GLOBAL}." in out
    assert (
        f"The stack config names {PRIMARY} as primary: leave it so, and switch back with "
        f"`eksplatform-ops failover <outputs> --to {PRIMARY}`" in out
    )
    assert "global writer endpoint" not in out  # not exported by this stack: not mentioned


def test_the_global_writer_endpoint_is_named_when_the_stack_exports_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rds_calls: Any
) -> None:
    world, clients = rds_calls
    outputs, arns = build()
    outputs["globalDatabase"]["writerEndpoint"] = "platform-prod.global-abc.global.rds.amazonaws.com"
    stub(clients, world, SECONDARY).expect("switchover_global_cluster", switchover(arns))
    status, out, _ = run(tmp_path, capsys, outputs, "--to", SECONDARY)
    assert status == Exit.OK
    assert "The global writer endpoint platform-prod.global-abc.global.rds.amazonaws.com follows the new writer." in out


def test_the_writer_name_is_said_to_follow_when_the_stack_exports_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rds_calls: Any
) -> None:
    world, clients = rds_calls
    outputs, arns = build()
    outputs["dns"] = {"failoverName": "primary.run.example.com", "writerHealthCheckIds": {SECONDARY: "hc-euw1"}}
    stub(clients, world, SECONDARY).expect("switchover_global_cluster", switchover(arns))
    status, out, _ = run(tmp_path, capsys, outputs, "--to", SECONDARY)
    assert status == Exit.OK
    assert (
        f"primary.run.example.com follows the writer to {SECONDARY} by itself within about 3 minutes, "
        "once Route 53 sees the writer alarm there as OK (health check hc-euw1); nothing to change in DNS."
    ) in out


def test_a_switchover_that_does_not_settle_in_time_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rds_calls: Any
) -> None:
    world, clients = rds_calls
    world.settles = False
    outputs, arns = build()
    stub(clients, world, SECONDARY).expect("switchover_global_cluster", switchover(arns))
    # Looks 50 ms apart until the deadline, rather than as fast as the CPU allows.
    status, _, err = run(tmp_path, capsys, outputs, "--to", SECONDARY, "--timeout", "0.3", "--poll-seconds", "0.05")
    assert status == Exit.FAILED
    assert (
        f"failed: the switchover of {GLOBAL} did not end within 0.3 s "
        "(status switching-over, failover state switching-over)" in err
    )


@pytest.mark.parametrize("mode", [(), ("--unplanned",)], ids=["switchover", "failover"])
def test_a_rolled_back_action_is_a_failure_not_a_success(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rds_calls: Any, mode: tuple[str, ...]
) -> None:
    world, clients = rds_calls
    world.rolls_back = True  # the target writes at the third look, the old primary again from the fourth
    outputs, arns = build()
    operation = "failover_global_cluster" if mode else "switchover_global_cluster"
    params = {**switchover(arns), "AllowDataLoss": True} if mode else switchover(arns)
    stub(clients, world, SECONDARY).expect(operation, params)
    status, out, err = run(tmp_path, capsys, outputs, "--to", SECONDARY, *mode)
    assert status == Exit.FAILED and world.polls_after_action == 4
    action = "failover" if mode else "switchover"
    assert (
        f"failed: platform-prod-euw1 wrote, then stopped: {arns[PRIMARY]} writes for {GLOBAL} now "
        f"(AWS rolled the {action} back)" in err
    )
    assert "platform-prod-euw1 is the writer" in out  # the timeline so far is printed
    assert "The target was not verified as the writer." in out and "Now writing" not in out


def test_a_cancelled_switchover_fails_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rds_calls: Any
) -> None:
    world, clients = rds_calls
    world.cancels = True
    outputs, arns = build()
    stub(clients, world, SECONDARY).expect("switchover_global_cluster", switchover(arns))
    status, _, err = run(tmp_path, capsys, outputs, "--to", SECONDARY)
    assert status == Exit.FAILED and world.polls_after_action == 1
    assert f"AWS is cancelling the switchover of {GLOBAL}: the writer stays in {PRIMARY}" in err


def test_dry_run_changes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str], rds_calls: Any) -> None:
    world, _ = rds_calls
    outputs, _ = build()
    status, out, _ = run(tmp_path, capsys, outputs, "--to", SECONDARY, "--dry-run")
    assert (status, world.calls) == (Exit.OK, [])
    assert "Action: SwitchoverGlobalCluster" in out and "Dry run: nothing changed." in out


def test_lag_above_the_rpo_is_refused_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rds_calls: Any
) -> None:
    world, clients = rds_calls
    outputs, arns = build(lag_seconds=20 * 60)
    status, _, err = run(tmp_path, capsys, outputs, "--to", SECONDARY)
    assert (status, world.calls) == (Exit.REFUSED, [])
    assert "lag of platform-prod-euw1 is 1200 s, above the RPO of 900 s" in err
    stub(clients, world, SECONDARY).expect("switchover_global_cluster", switchover(arns))
    status, _, _ = run(tmp_path, capsys, outputs, "--to", SECONDARY, "--force")
    assert status == Exit.OK and world.calls == ["switchover_global_cluster"]


def test_an_unknown_lag_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], rds_calls: Any) -> None:
    outputs, _ = build(lag_seconds=None)
    status, _, err = run(tmp_path, capsys, outputs, "--to", SECONDARY)
    assert status == Exit.REFUSED and "replication lag of platform-prod-euw1 is unknown" in err


def test_unplanned_failover_allows_data_loss(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rds_calls: Any
) -> None:
    world, clients = rds_calls
    outputs, arns = build()
    stub(clients, world, SECONDARY).expect("failover_global_cluster", {**switchover(arns), "AllowDataLoss": True})
    status, out, _ = run(tmp_path, capsys, outputs, "--to", SECONDARY, "--unplanned")
    assert status == Exit.OK and world.calls == ["failover_global_cluster"]
    assert "FailoverGlobalCluster with AllowDataLoss" in out
    assert f"{GLOBAL} is available, no failover in progress" in out and world.polls_after_action == 4


def remove(arns: dict[str, str], region: str) -> dict[str, Any]:
    return {"GlobalClusterIdentifier": GLOBAL, "DbClusterIdentifier": arns[region]}


def test_with_the_primary_gone_the_target_is_detached_and_promoted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rds_calls: Any
) -> None:
    world, clients = rds_calls
    outputs, arns = build()
    stub(clients, world, SECONDARY).expect("remove_from_global_cluster", remove(arns, SECONDARY))
    status, out, err = run(tmp_path, capsys, outputs, "--to", SECONDARY, "--unplanned", "--primary-gone")
    assert status == Exit.OK, err
    assert world.calls == ["remove_from_global_cluster"]
    assert "RemoveFromGlobalCluster on the target" in out
    assert world.polls_after_action == 3  # it waited until the target stood alone
    assert f"platform-prod-euw1 left {GLOBAL} and is the writer" in out
    assert f"Now writing: {SECONDARY} (platform-prod-euw1), alone, outside {GLOBAL}." in out
    assert "Follow docs/operations.md, 'After a failover', detach-and-promote, before the next `pulumi up`." in out


def test_after_detach_and_promote_the_old_writer_must_be_stopped_before_its_region_returns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rds_calls: Any
) -> None:
    world, clients = rds_calls
    outputs, arns = build()
    outputs["dns"] = {"failoverName": "primary.run.example.com", "writerHealthCheckIds": {}}
    stub(clients, world, SECONDARY).expect("remove_from_global_cluster", remove(arns, SECONDARY))
    status, out, err = run(tmp_path, capsys, outputs, "--to", SECONDARY, "--unplanned", "--primary-gone")
    assert status == Exit.OK, err
    assert f"primary.run.example.com follows the writer to {SECONDARY} by itself" in out
    assert "(health check" not in out  # none exported for the target: none named
    assert (
        f"When {PRIMARY} returns, its old cluster still writes and primary.run.example.com would answer "
        "with it too: stop that writer first (docs/public-entry.md, step 5)."
    ) in out


def test_detach_and_promote_fences_the_old_regions_writer_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rds_calls: Any
) -> None:
    # #19 entry review finding 5: the old region's stale writer would pass its check again.
    world, clients = rds_calls
    outputs, arns = build()
    route53 = boto3.client("route53", region_name=PRIMARY)
    checks = {
        region: route53.create_health_check(
            CallerReference=region,
            HealthCheckConfig={
                "Type": "CLOUDWATCH_METRIC",
                "AlarmIdentifier": {"Region": region, "Name": f"{region}-database-writer"},
                "InsufficientDataHealthStatus": "Unhealthy",
            },
        )["HealthCheck"]["Id"]
        for region in (PRIMARY, SECONDARY)
    }
    outputs["dns"] = {"failoverName": "primary.run.example.com", "writerHealthCheckIds": checks}
    stub(clients, world, SECONDARY).expect("remove_from_global_cluster", remove(arns, SECONDARY))
    status, out, err = run(tmp_path, capsys, outputs, "--to", SECONDARY, "--unplanned", "--primary-gone")
    assert status == Exit.OK, err

    def config(region: str) -> dict[str, Any]:
        found: dict[str, Any] = route53.get_health_check(HealthCheckId=checks[region])["HealthCheck"][
            "HealthCheckConfig"
        ]
        return found

    # Disabled is always healthy; inverted on top, always unhealthy (UpdateHealthCheck).
    assert (config(PRIMARY)["Disabled"], config(PRIMARY)["Inverted"]) == (True, True)
    assert (config(SECONDARY)["Disabled"], config(SECONDARY)["Inverted"]) == (False, False)
    assert f"fenced: writer health check {checks[PRIMARY]} of {PRIMARY} always unhealthy" in out
    assert f"primary.run.example.com is fenced from {PRIMARY}" in out


def test_a_switchover_fences_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str], rds_calls: Any) -> None:
    world, clients = rds_calls
    outputs, arns = build()
    route53 = boto3.client("route53", region_name=PRIMARY)
    check = route53.create_health_check(
        CallerReference="old",
        HealthCheckConfig={
            "Type": "CLOUDWATCH_METRIC",
            "AlarmIdentifier": {"Region": PRIMARY, "Name": "writer"},
            "InsufficientDataHealthStatus": "Unhealthy",
        },
    )["HealthCheck"]["Id"]
    outputs["dns"] = {"failoverName": "primary.run.example.com", "writerHealthCheckIds": {PRIMARY: check}}
    stub(clients, world, SECONDARY).expect("switchover_global_cluster", switchover(arns))
    status, _, err = run(tmp_path, capsys, outputs, "--to", SECONDARY)
    assert status == Exit.OK, err
    # Aurora made the old primary a secondary (readers only): its alarm stays in ALARM by itself.
    assert route53.get_health_check(HealthCheckId=check)["HealthCheck"]["HealthCheckConfig"]["Inverted"] is False


def test_detach_and_promote_with_other_secondaries_needs_a_choice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rds_calls: Any
) -> None:
    world, _ = rds_calls
    outputs, _ = build(regions=(PRIMARY, SECONDARY, THIRD))
    status, out, err = run(tmp_path, capsys, outputs, "--to", SECONDARY, "--unplanned", "--primary-gone")
    assert (status, world.calls) == (Exit.REFUSED, [])
    assert f"Other secondary: {THIRD} (platform-prod-apse1), replication lag 2 s" in out
    assert f"refused: {THIRD} (platform-prod-apse1) cannot follow the detached platform-prod-euw1" in err
    assert "pass --others detach (recommended: the Aurora user guide" in err and "against a split brain" in err
    assert "or --others keep" in err


def test_detach_and_promote_can_detach_the_other_secondaries(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rds_calls: Any
) -> None:
    world, clients = rds_calls
    outputs, arns = build(regions=(PRIMARY, SECONDARY, THIRD))
    stub(clients, world, SECONDARY).expect("remove_from_global_cluster", remove(arns, SECONDARY))
    stub(clients, world, THIRD).expect("remove_from_global_cluster", remove(arns, THIRD))
    argv = ("--to", SECONDARY, "--unplanned", "--primary-gone", "--others", "detach")
    status, out, err = run(tmp_path, capsys, outputs, *argv)
    assert status == Exit.OK, err
    assert world.calls == ["remove_from_global_cluster", "remove_from_global_cluster"]
    assert f"Then: RemoveFromGlobalCluster on {THIRD} (--others detach)" in out
    assert f"platform-prod-apse1 ({THIRD}) left {GLOBAL}: a frozen standalone copy" in out
    # Each detach was waited for: the target's from look 1 to 3, the other's from 3 to 6 (polled in its region).
    assert world.polls_after_action == 6
    # The target is judged when it is verified as the writer; the others' detach comes after and is not counted.
    events = [line.split(" s  ", 1)[1] for line in out.splitlines() if line.startswith("  ") and " s  " in line]
    assert events[2].startswith("verified: platform-prod-euw1 available at ")
    assert events[3:] == [
        f"platform-prod-apse1 ({THIRD}): detach requested",
        f"platform-prod-apse1 ({THIRD}) left {GLOBAL}: a frozen standalone copy",
    ]


def test_a_failed_detach_of_another_secondary_still_prints_the_timeline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rds_calls: Any
) -> None:
    world, clients = rds_calls
    outputs, arns = build(regions=(PRIMARY, SECONDARY, THIRD))
    stub(clients, world, SECONDARY).expect("remove_from_global_cluster", remove(arns, SECONDARY))
    third = stub(clients, world, THIRD)
    third.stubber.add_client_error(
        "remove_from_global_cluster",
        service_error_code="InvalidGlobalClusterStateFault",
        service_message="The global cluster is not in a valid state",
    )
    third.stubber.activate()
    argv = ("--to", SECONDARY, "--unplanned", "--primary-gone", "--others", "detach")
    status, out, err = run(tmp_path, capsys, outputs, *argv)
    assert status == Exit.AWS_ERROR
    assert "error: InvalidGlobalClusterStateFault: The global cluster is not in a valid state" in err
    # The writer was up before the error: the timeline says so, judged at that moment.
    assert f"platform-prod-euw1 left {GLOBAL} and is the writer" in out
    assert "verified: platform-prod-euw1 available at " in out
    assert re.search(r"Failover took \d+\.\d s to a verified writer: within the 120 s target\.", out)


def test_the_timeline_is_judged_at_the_verified_writer_not_at_its_last_event() -> None:
    ticks = iter([0.0, 5.0, 100.0, 110.0, 500.0])
    timeline = Timeline(clock=lambda: next(ticks))
    timeline.mark("detach-and-promote requested")
    timeline.mark("left and is the writer")
    timeline.mark("verified: available", judge=True)
    timeline.mark("other secondary left")  # 500 s after the start: the writer was up long before
    assert timeline.within_target and timeline.judged == (110.0, "verified: available")
    assert (
        list(timeline.render())[-1]
        == f"Failover took 110.0 s to a verified writer: within the {TARGET_SECONDS} s target."
    )
    late = Timeline(clock=iter([0.0, 121.0]).__next__)
    late.mark("verified: available", judge=True)
    assert not late.within_target and "OVER the 120 s target" in list(late.render())[-1]
    assert not Timeline().within_target  # nothing verified: never within


def test_polling_faster_than_once_a_second_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ops_main, "MIN_POLL_SECONDS", 1.0)  # the CLI's own floor, which the other tests lower
    with pytest.raises(SystemExit) as usage:
        main(["failover", "outputs.json", "--to", SECONDARY, "--poll-seconds", "0"])
    assert usage.value.code == Exit.BAD_INPUT
    assert "argument --poll-seconds: 0 is below 1 s" in capsys.readouterr().err


def test_detach_and_promote_can_keep_the_other_secondaries(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rds_calls: Any
) -> None:
    world, clients = rds_calls
    outputs, arns = build(regions=(PRIMARY, SECONDARY, THIRD))
    stub(clients, world, SECONDARY).expect("remove_from_global_cluster", remove(arns, SECONDARY))
    argv = ("--to", SECONDARY, "--unplanned", "--primary-gone", "--others", "keep")
    status, out, err = run(tmp_path, capsys, outputs, *argv)
    assert status == Exit.OK, err
    assert world.calls == ["remove_from_global_cluster"]
    assert f"Kept in {GLOBAL}: {THIRD} (platform-prod-apse1), read-only, not fed by the new writer." in out


@pytest.mark.parametrize(
    ("argv", "message", "code"),
    [
        (["--to", "ap-southeast-2"], "region 'ap-southeast-2' is not one of this stack's regions", Exit.BAD_INPUT),
        (["--to", PRIMARY], "us-east-1 already writes for platform-prod", Exit.REFUSED),
        (["--to", SECONDARY, "--primary-gone"], "--primary-gone needs --unplanned", Exit.BAD_INPUT),
        (["--to", SECONDARY, "--others", "keep"], "--others applies to --primary-gone only", Exit.BAD_INPUT),
    ],
)
def test_bad_requests_say_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rds_calls: Any, argv: list[str], message: str, code: int
) -> None:
    outputs, _ = build()
    status, _, err = run(tmp_path, capsys, outputs, *argv)
    assert status == code and message in err


def test_a_stack_without_a_global_database_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rds_calls: Any
) -> None:
    status, _, err = run(tmp_path, capsys, {"regions": [PRIMARY, SECONDARY]}, "--to", SECONDARY)
    assert status == Exit.BAD_INPUT and "the stack outputs lack 'globalDatabase'" in err


def test_missing_permissions_are_shown_plainly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], rds_calls: Any
) -> None:
    world, clients = rds_calls
    outputs, _ = build()
    stubbed = stub(clients, world, SECONDARY)
    stubbed.stubber.add_client_error(
        "switchover_global_cluster",
        service_error_code="AccessDenied",
        service_message="User is not authorized to perform: rds:SwitchoverGlobalCluster",
        http_status_code=403,
    )
    stubbed.stubber.activate()
    status, _, err = run(tmp_path, capsys, outputs, "--to", SECONDARY)
    assert status == Exit.AWS_ERROR
    assert "error: AccessDenied: User is not authorized to perform: rds:SwitchoverGlobalCluster" in err


def test_missing_credentials_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    outputs, _ = build()

    class NoCredentials:
        def __getattr__(self, name: str) -> Any:
            def call(**params: Any) -> Any:
                raise NoCredentialsError()

            return call

    monkeypatch.setattr(ops_clients, "default_client", lambda service, region: NoCredentials())
    status, _, err = run(tmp_path, capsys, outputs, "--to", SECONDARY)
    assert status == Exit.AWS_ERROR
    assert err.strip() == "error: no AWS credentials: set AWS_PROFILE or sign in (aws sso login)"


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
    assert status == Exit.REFUSED and "is not a member of the global database platform-prod" in err


def test_a_malformed_member_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str], rds_calls: Any) -> None:
    outputs, _ = build()
    outputs["globalDatabase"]["members"][SECONDARY] = "platform-prod-euw1"
    status, _, err = run(tmp_path, capsys, outputs, "--to", SECONDARY)
    assert status == Exit.BAD_INPUT and "the stack outputs lack 'globalDatabase.members.eu-west-1.clusterArn'" in err

"""`failover --to <region>`: move the Aurora Global Database's writer to another region.

- planned (default): `SwitchoverGlobalCluster`, which waits for the secondary to catch up, so
  no data is lost;
- `--unplanned`: `FailoverGlobalCluster` with `AllowDataLoss` (the primary is impaired);
- `--unplanned --primary-gone`: detach the target from the global cluster and let it stand
  alone as a writer (the primary region's API is unreachable).

Before acting it reads the target's replication lag (CloudWatch `AuroraGlobalDBReplicationLag`,
the last 5 minutes) and refuses when the lag is above the RPO or unknown, unless `--force`. It
then waits for the new writer, checks it is available, and prints a timeline against the
2-minute target. `--dry-run` prints the plan and changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from ops.clients import ClientFactory
from ops.outputs import OutputsError, StackOutputs

TARGET_SECONDS = 120
LAG_WINDOW = timedelta(minutes=5)
Mode = Literal["switchover", "failover", "detach-and-promote"]


class FailoverRefusedError(RuntimeError):
    """The runbook will not act; the message says why and how to override."""


@dataclass(frozen=True)
class Plan:
    global_cluster: str
    writer_region: str
    writer_arn: str
    target_region: str
    target_arn: str
    target_identifier: str
    mode: Mode
    lag_ms: float | None
    rpo_ms: float

    def describe(self) -> Iterator[str]:
        lag = "unknown" if self.lag_ms is None else f"{self.lag_ms / 1000:g} s"
        yield f"Global database {self.global_cluster}: writer in {self.writer_region} ({self.writer_arn})"
        yield f"Target: {self.target_region} ({self.target_arn})"
        yield f"Replication lag of the target: {lag}; RPO {self.rpo_ms / 1000:g} s"
        action = {
            "switchover": "SwitchoverGlobalCluster (planned: waits for the target to catch up, no data loss)",
            "failover": "FailoverGlobalCluster with AllowDataLoss (unplanned: the primary is impaired)",
            "detach-and-promote": "RemoveFromGlobalCluster on the target (the primary region is gone)",
        }[self.mode]
        yield f"Action: {action}"


@dataclass
class Timeline:
    started: float = field(default_factory=time.monotonic)
    events: list[tuple[float, str]] = field(default_factory=list)

    def mark(self, event: str) -> None:
        self.events.append((time.monotonic() - self.started, event))

    @property
    def total(self) -> float:
        return self.events[-1][0] if self.events else 0.0

    def render(self) -> Iterator[str]:
        for seconds, event in self.events:
            yield f"  {seconds:7.1f} s  {event}"
        verdict = "within" if self.total <= TARGET_SECONDS else "OVER"
        yield f"Failover took {self.total:.1f} s: {verdict} the {TARGET_SECONDS} s target."


def _member_region(arn: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 else ""


def _global_members(rds: Any, global_cluster: str) -> list[dict[str, Any]]:
    clusters = rds.describe_global_clusters(GlobalClusterIdentifier=global_cluster)["GlobalClusters"]
    if not clusters:
        raise FailoverRefusedError(f"global cluster {global_cluster} does not exist")
    members: list[dict[str, Any]] = clusters[0].get("GlobalClusterMembers", [])
    return members


def make_plan(
    outputs: StackOutputs,
    target_region: str,
    *,
    client: ClientFactory,
    mode: Mode,
    rpo_minutes: int,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Plan:
    outputs.region(target_region)
    global_cluster = str(outputs.require("globalDatabase", "identifier"))
    members = outputs.require("globalDatabase", "members")
    if target_region not in members:
        raise OutputsError(f"region {target_region!r} has no member of the global database {global_cluster}")
    target = members[target_region]
    target_arn, target_identifier = str(target["clusterArn"]), str(target["clusterIdentifier"])
    live = _global_members(client("rds", target_region), global_cluster)
    writers = [m for m in live if m.get("IsWriter")]
    if not any(m.get("DBClusterArn") == target_arn for m in live) and mode != "detach-and-promote":
        raise FailoverRefusedError(f"{target_arn} is not a member of the global database {global_cluster}")
    if writers and writers[0]["DBClusterArn"] == target_arn:
        raise FailoverRefusedError(f"{target_region} already writes for {global_cluster}; nothing to do")
    writer_arn = writers[0]["DBClusterArn"] if writers else ""
    return Plan(
        global_cluster=global_cluster,
        writer_region=_member_region(writer_arn) or "unknown",
        writer_arn=writer_arn or "unknown",
        target_region=target_region,
        target_arn=target_arn,
        target_identifier=target_identifier,
        mode=mode,
        lag_ms=_lag_ms(client("cloudwatch", target_region), target_identifier, now()),
        rpo_ms=rpo_minutes * 60 * 1000.0,
    )


def _lag_ms(cloudwatch: Any, identifier: str, now: datetime) -> float | None:
    points = cloudwatch.get_metric_statistics(
        Namespace="AWS/RDS",
        MetricName="AuroraGlobalDBReplicationLag",
        Dimensions=[{"Name": "DBClusterIdentifier", "Value": identifier}],
        StartTime=now - LAG_WINDOW,
        EndTime=now,
        Period=60,
        Statistics=["Maximum"],
    )["Datapoints"]
    return max((float(point["Maximum"]) for point in points), default=None)


def check_rpo(plan: Plan, *, force: bool) -> None:
    if force:
        return
    if plan.lag_ms is None:
        raise FailoverRefusedError(
            f"the replication lag of {plan.target_identifier} is unknown (no AuroraGlobalDBReplicationLag in the last "
            "5 minutes); check it, or pass --force to accept an unknown data loss"
        )
    if plan.lag_ms > plan.rpo_ms:
        raise FailoverRefusedError(
            f"the replication lag of {plan.target_identifier} is {plan.lag_ms / 1000:g} s, above the RPO of "
            f"{plan.rpo_ms / 1000:g} s; wait for it to catch up, or pass --force to lose more than the RPO"
        )


def execute(
    plan: Plan,
    *,
    client: ClientFactory,
    timeout_seconds: float = 900,
    poll_seconds: float = 5,
    sleep: Callable[[float], None] = time.sleep,
) -> Timeline:
    rds = client("rds", plan.target_region)
    timeline = Timeline()
    if plan.mode == "switchover":
        rds.switchover_global_cluster(
            GlobalClusterIdentifier=plan.global_cluster, TargetDbClusterIdentifier=plan.target_arn
        )
    elif plan.mode == "failover":
        rds.failover_global_cluster(
            GlobalClusterIdentifier=plan.global_cluster, TargetDbClusterIdentifier=plan.target_arn, AllowDataLoss=True
        )
    else:
        rds.remove_from_global_cluster(GlobalClusterIdentifier=plan.global_cluster, DbClusterIdentifier=plan.target_arn)
    timeline.mark(f"{plan.mode} requested")

    deadline = time.monotonic() + timeout_seconds
    while True:
        if _target_writes(rds, plan):
            timeline.mark(f"{plan.target_identifier} is the writer")
            break
        if time.monotonic() > deadline:
            raise FailoverRefusedError(
                f"{plan.target_identifier} did not become the writer within {timeout_seconds:g} s"
            )
        sleep(poll_seconds)

    cluster = rds.describe_db_clusters(DBClusterIdentifier=plan.target_identifier)["DBClusters"][0]
    if cluster.get("Status") != "available":
        raise FailoverRefusedError(
            f"{plan.target_identifier} writes but is {cluster.get('Status')}; check it before use"
        )
    timeline.mark(f"verified: {plan.target_identifier} available at {cluster.get('Endpoint')}")
    return timeline


def _target_writes(rds: Any, plan: Plan) -> bool:
    members = _global_members(rds, plan.global_cluster)
    if plan.mode == "detach-and-promote":
        # Out of the global cluster, the target is a standalone cluster that accepts writes.
        cluster = rds.describe_db_clusters(DBClusterIdentifier=plan.target_identifier)["DBClusters"][0]
        detached = all(m.get("DBClusterArn") != plan.target_arn for m in members)
        return detached and cluster.get("Status") == "available"
    return any(m.get("DBClusterArn") == plan.target_arn and m.get("IsWriter") for m in members)

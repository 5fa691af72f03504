"""`failover --to <region>`: move the Aurora Global Database's writer to another region.

- planned (default): `SwitchoverGlobalCluster`, which waits for the secondary to catch up, so
  no data is lost;
- `--unplanned`: `FailoverGlobalCluster` with `AllowDataLoss` (the primary is impaired);
- `--unplanned --primary-gone`: detach the target from the global cluster and let it stand
  alone as a writer (the primary region's API is unreachable), then fence the old region's
  writer health check (disabled and inverted: always unhealthy), since its stale cluster still
  reports a writer when the region returns. The other secondaries cannot
  follow the detached target: `--others detach` detaches them too (standalone copies frozen at
  the outage; what the Aurora user guide advises, against a split brain), `--others keep` leaves
  them in the old global database (read-only, following the old primary if it returns); with
  other secondaries, one of the two must be chosen.

Before acting it reads the target's replication lag (CloudWatch `AuroraGlobalDBReplicationLag`,
the last 5 minutes) and refuses when the lag is above the RPO or unknown, unless `--force`.
A switchover or failover has ended when AWS says so: the target is the writer, the global
cluster is `available` and its `FailoverState` shows nothing in progress (DescribeGlobalClusters);
then the target cluster is checked `available`. It prints a timeline, judged against the
2-minute target at the moment the target is verified as the writer, and what the stack config
now says against what AWS has. `--dry-run` prints the plan
and changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from eksplatform.ops.clients import ClientFactory
from eksplatform.ops.exits import FailedError, RefusedError
from eksplatform.ops.outputs import OutputsError, StackOutputs

TARGET_SECONDS = 120
LAG_WINDOW = timedelta(minutes=5)
Mode = Literal["switchover", "failover", "detach-and-promote"]
Others = Literal["detach", "keep"]

# FailoverState.Status while a switchover or failover runs (DescribeGlobalClusters, FailoverState;
# the API reference lists pending, failing-over, cancelling, and switching-over for switchovers).
IN_PROGRESS = frozenset({"pending", "failing-over", "switching-over", "cancelling"})


class FailoverRefusedError(RefusedError):
    """The runbook will not act; the message says why and how to override (exit 4)."""


class FailoverIncompleteError(FailedError):
    """The action was requested and did not end as it should in time (exit 5)."""


@dataclass(frozen=True)
class Member:
    region: str
    arn: str
    identifier: str
    lag_ms: float | None

    @property
    def lag(self) -> str:
        return "unknown" if self.lag_ms is None else f"{self.lag_ms / 1000:g} s"


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
    others: tuple[Member, ...] = ()
    """Secondaries other than the target."""
    others_action: Others | None = None
    config_primary: str | None = None
    """The region the stack config calls primary (outputs' globalDatabase.primaryRegion)."""
    global_writer_endpoint: str | None = None
    writer_name: str | None = None
    """`primary.<domain>` (outputs' dns.failoverName): Route 53 answers it with the writer's region."""
    writer_check_id: str | None = None
    """The target region's writer health check (outputs' dns.writerHealthCheckIds)."""
    stale_check_id: str | None = None
    """The old writer region's writer health check: fenced after a detach-and-promote."""

    def describe(self) -> Iterator[str]:
        lag = "unknown" if self.lag_ms is None else f"{self.lag_ms / 1000:g} s"
        yield f"Global database {self.global_cluster}: writer in {self.writer_region} ({self.writer_arn})"
        yield f"Target: {self.target_region} ({self.target_arn})"
        yield f"Replication lag of the target: {lag}; RPO {self.rpo_ms / 1000:g} s"
        for other in self.others:
            yield f"Other secondary: {other.region} ({other.identifier}), replication lag {other.lag}"
        action = {
            "switchover": "SwitchoverGlobalCluster (planned: waits for the target to catch up, no data loss)",
            "failover": "FailoverGlobalCluster with AllowDataLoss (unplanned: the primary is impaired)",
            "detach-and-promote": "RemoveFromGlobalCluster on the target (the primary region is gone)",
        }[self.mode]
        yield f"Action: {action}"
        if self.mode == "detach-and-promote" and self.stale_check_id:
            yield (
                f"Then: fence the old writer's DNS: health check {self.stale_check_id} disabled and inverted "
                "(always unhealthy), so primary.<domain> never answers with the old region's stale writer"
            )
        if self.mode == "detach-and-promote" and self.others:
            names = ", ".join(other.region for other in self.others)
            if self.others_action == "detach":
                yield f"Then: RemoveFromGlobalCluster on {names} (--others detach)"
            elif self.others_action == "keep":
                yield (
                    f"Then: {names} stay in {self.global_cluster}, read-only, behind the old primary (--others keep; "
                    "AWS advises detaching them, against a split brain)"
                )


@dataclass
class Timeline:
    """What happened when, and the moment judged against the 2-minute target: the target verified
    as the writer. Steps after it (detaching the other secondaries) are shown but not counted."""

    clock: Callable[[], float] = time.monotonic
    events: list[tuple[float, str]] = field(default_factory=list)
    judged: tuple[float, str] | None = None
    started: float = field(init=False)

    def __post_init__(self) -> None:
        self.started = self.clock()

    def mark(self, event: str, *, judge: bool = False) -> None:
        self.events.append((self.clock() - self.started, event))
        if judge:
            self.judged = self.events[-1]

    @property
    def within_target(self) -> bool:
        return self.judged is not None and self.judged[0] <= TARGET_SECONDS

    def render(self) -> Iterator[str]:
        for seconds, event in self.events:
            yield f"  {seconds:7.1f} s  {event}"
        if self.judged is None:
            yield "The target was not verified as the writer."
            return
        verdict = "within" if self.within_target else "OVER"
        yield f"Failover took {self.judged[0]:.1f} s to a verified writer: {verdict} the {TARGET_SECONDS} s target."


def _member_region(arn: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 else ""


def _member_identifier(arn: str) -> str:
    return arn.rsplit(":", 1)[-1]


def _global(rds: Any, global_cluster: str) -> dict[str, Any]:
    clusters = rds.describe_global_clusters(GlobalClusterIdentifier=global_cluster)["GlobalClusters"]
    if not clusters:
        raise FailoverRefusedError(f"global cluster {global_cluster} does not exist")
    found: dict[str, Any] = clusters[0]
    return found


def _global_members(rds: Any, global_cluster: str) -> list[dict[str, Any]]:
    members: list[dict[str, Any]] = _global(rds, global_cluster).get("GlobalClusterMembers", [])
    return members


def make_plan(
    outputs: StackOutputs,
    target_region: str,
    *,
    client: ClientFactory,
    mode: Mode,
    rpo_minutes: int,
    others_action: Others | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Plan:
    outputs.region(target_region)
    global_cluster = str(outputs.require("globalDatabase", "identifier"))
    members = outputs.require("globalDatabase", "members")
    if not isinstance(members, dict) or target_region not in members:
        raise OutputsError(f"region {target_region!r} has no member of the global database {global_cluster}")
    target_arn = str(outputs.require("globalDatabase", "members", target_region, "clusterArn"))
    target_identifier = str(outputs.require("globalDatabase", "members", target_region, "clusterIdentifier"))
    live = _global_members(client("rds", target_region), global_cluster)
    writers = [m for m in live if m.get("IsWriter")]
    if not any(m.get("DBClusterArn") == target_arn for m in live) and mode != "detach-and-promote":
        raise FailoverRefusedError(f"{target_arn} is not a member of the global database {global_cluster}")
    if writers and writers[0]["DBClusterArn"] == target_arn:
        raise FailoverRefusedError(f"{target_region} already writes for {global_cluster}; nothing to do")
    writer_arn = writers[0]["DBClusterArn"] if writers else ""
    moment = now()
    others = tuple(
        Member(region, arn, identifier, _lag_ms(client("cloudwatch", region), identifier, moment))
        for arn in (str(m.get("DBClusterArn", "")) for m in live if not m.get("IsWriter"))
        if arn != target_arn
        for region, identifier in [(_member_region(arn), _identifier_of(members, arn))]
    )
    config_primary = outputs.optional("globalDatabase", "primaryRegion") or outputs.optional("primaryRegion")
    writer_endpoint = outputs.optional("globalDatabase", "writerEndpoint")
    writer_name = outputs.optional("dns", "failoverName")
    writer_check = outputs.optional("dns", "writerHealthCheckIds", target_region)
    # The region that wrote before: from AWS if its answer names it, else the config's primary.
    old_writer_region = _member_region(writer_arn) or (str(config_primary) if config_primary else "")
    stale_check = (
        outputs.optional("dns", "writerHealthCheckIds", old_writer_region)
        if old_writer_region and old_writer_region != target_region
        else None
    )
    return Plan(
        global_cluster=global_cluster,
        writer_region=_member_region(writer_arn) or "unknown",
        writer_arn=writer_arn or "unknown",
        target_region=target_region,
        target_arn=target_arn,
        target_identifier=target_identifier,
        mode=mode,
        lag_ms=_lag_ms(client("cloudwatch", target_region), target_identifier, moment),
        rpo_ms=rpo_minutes * 60 * 1000.0,
        others=others,
        others_action=others_action,
        config_primary=str(config_primary) if config_primary else None,
        global_writer_endpoint=str(writer_endpoint) if writer_endpoint else None,
        writer_name=str(writer_name) if writer_name else None,
        writer_check_id=str(writer_check) if writer_check else None,
        stale_check_id=str(stale_check) if stale_check else None,
    )


def _identifier_of(members: Any, arn: str) -> str:
    """The member's identifier from the outputs, else the last part of its ARN."""
    if isinstance(members, dict):
        for entry in members.values():
            if isinstance(entry, dict) and entry.get("clusterArn") == arn and entry.get("clusterIdentifier"):
                return str(entry["clusterIdentifier"])
    return _member_identifier(arn)


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


def check_others(plan: Plan) -> None:
    """Detach-and-promote leaves the other secondaries behind: the operator must say what becomes of them."""
    if plan.mode != "detach-and-promote" or not plan.others or plan.others_action is not None:
        return
    names = ", ".join(f"{other.region} ({other.identifier})" for other in plan.others)
    raise FailoverRefusedError(
        f"{names} cannot follow the detached {plan.target_identifier}; pass --others detach (recommended: the Aurora "
        "user guide on recovering from an unplanned outage advises removing the other secondaries, against a split "
        "brain; they become standalone copies frozen at the outage) or --others keep (they stay read-only in the old "
        "global database and follow the old primary if it returns); docs/operations.md, 'After a failover'"
    )


def execute(
    plan: Plan,
    *,
    client: ClientFactory,
    timeout_seconds: float = 900,
    poll_seconds: float = 5,
    sleep: Callable[[float], None] = time.sleep,
    timeline: Timeline | None = None,
) -> Timeline:
    """Act, wait until AWS says it ended, verify the target; pass `timeline` to keep it on an error."""
    rds = client("rds", plan.target_region)
    timeline = Timeline() if timeline is None else timeline
    deadline = time.monotonic() + timeout_seconds
    if plan.mode == "detach-and-promote":
        rds.remove_from_global_cluster(GlobalClusterIdentifier=plan.global_cluster, DbClusterIdentifier=plan.target_arn)
        timeline.mark("detach-and-promote requested")
        _wait_detached(rds, plan, plan.target_arn, plan.target_identifier, deadline, sleep, poll_seconds)
        timeline.mark(f"{plan.target_identifier} left {plan.global_cluster} and is the writer")
    else:
        if plan.mode == "switchover":
            rds.switchover_global_cluster(
                GlobalClusterIdentifier=plan.global_cluster, TargetDbClusterIdentifier=plan.target_arn
            )
        else:
            rds.failover_global_cluster(
                GlobalClusterIdentifier=plan.global_cluster,
                TargetDbClusterIdentifier=plan.target_arn,
                AllowDataLoss=True,
            )
        timeline.mark(f"{plan.mode} requested")
        _wait_settled(rds, plan, timeline, deadline, sleep, poll_seconds, timeout_seconds)

    cluster = _cluster(rds, plan.target_identifier)
    if cluster.get("Status") != "available":
        raise FailoverIncompleteError(
            f"{plan.target_identifier} writes but is {cluster.get('Status')}; check it before use"
        )
    # The writer is up: this is the moment the 2-minute target is about (the others' detach is not).
    timeline.mark(f"verified: {plan.target_identifier} available at {cluster.get('Endpoint')}", judge=True)
    if plan.mode == "detach-and-promote" and plan.stale_check_id:
        fence_writer_check(client("route53", plan.target_region), plan.stale_check_id)
        timeline.mark(f"fenced: writer health check {plan.stale_check_id} of {plan.writer_region} always unhealthy")
    if plan.mode == "detach-and-promote" and plan.others_action == "detach":
        for other in plan.others:
            other_rds = client("rds", other.region)
            other_rds.remove_from_global_cluster(
                GlobalClusterIdentifier=plan.global_cluster, DbClusterIdentifier=other.arn
            )
            timeline.mark(f"{other.identifier} ({other.region}): detach requested")
            _wait_detached(other_rds, plan, other.arn, other.identifier, deadline, sleep, poll_seconds)
            timeline.mark(f"{other.identifier} ({other.region}) left {plan.global_cluster}: a frozen standalone copy")
    return timeline


def fence_writer_check(route53: Any, health_check_id: str) -> None:
    """Make a writer health check unhealthy for good, whatever its alarm says.

    After a detach-and-promote the old region's cluster still holds a writer when the region
    returns, so its alarm goes OK and `primary.<domain>` would answer with both regions. A
    disabled check is always healthy; inverted, always unhealthy (Route 53 API reference,
    UpdateHealthCheck `Disabled`: "If you want to stop routing traffic to a resource, change the
    value of Inverted"). `pulumi up` sets both back once the stack describes the new topology.
    """
    route53.update_health_check(HealthCheckId=health_check_id, Disabled=True, Inverted=True)


def _cluster(rds: Any, identifier: str) -> dict[str, Any]:
    found: dict[str, Any] = rds.describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"][0]
    return found


def _wait_settled(
    rds: Any,
    plan: Plan,
    timeline: Timeline,
    deadline: float,
    sleep: Callable[[float], None],
    poll_seconds: float,
    timeout_seconds: float,
) -> None:
    """Until one answer shows the target writing, the global cluster available, no failover in progress.

    FailoverState is empty unless a switchover or failover is scheduled or running
    (DescribeGlobalClusters), so "available, no FailoverState" says nothing about which way it
    went: only the same answer's IsWriter does. A target that wrote and then stopped means AWS
    rolled the action back.
    """
    writes = False
    while True:
        found = _global(rds, plan.global_cluster)
        state = str((found.get("FailoverState") or {}).get("Status") or "")
        if state == "cancelling":
            raise FailoverIncompleteError(
                f"AWS is cancelling the {plan.mode} of {plan.global_cluster}: the writer stays in {plan.writer_region}"
            )
        members = found.get("GlobalClusterMembers", [])
        target_writes = any(m.get("DBClusterArn") == plan.target_arn and m.get("IsWriter") for m in members)
        if target_writes and not writes:
            writes = True
            timeline.mark(f"{plan.target_identifier} is the writer")
        elif writes and not target_writes:
            writer = next((str(m.get("DBClusterArn")) for m in members if m.get("IsWriter")), "no member")
            raise FailoverIncompleteError(
                f"{plan.target_identifier} wrote, then stopped: {writer} writes for {plan.global_cluster} now "
                f"(AWS rolled the {plan.mode} back); check the global database before sending writes anywhere"
            )
        status = str(found.get("Status", ""))
        if target_writes and status == "available" and state not in IN_PROGRESS:
            timeline.mark(f"{plan.global_cluster} is available, no {plan.mode} in progress")
            return
        if time.monotonic() > deadline:
            missing = (
                "the target is not the writer"
                if not target_writes
                else f"status {status}, failover state {state or 'none'}"
            )
            raise FailoverIncompleteError(
                f"the {plan.mode} of {plan.global_cluster} did not end within {timeout_seconds:g} s ({missing})"
            )
        sleep(max(0.0, min(poll_seconds, deadline - time.monotonic())))  # never past the deadline


def _wait_detached(
    rds: Any,
    plan: Plan,
    arn: str,
    identifier: str,
    deadline: float,
    sleep: Callable[[float], None],
    poll_seconds: float,
) -> None:
    """Until the cluster is out of the global cluster and available on its own (it then accepts writes)."""
    while True:
        members = _global_members(rds, plan.global_cluster)
        detached = all(m.get("DBClusterArn") != arn for m in members)
        if detached and _cluster(rds, identifier).get("Status") == "available":
            return
        if time.monotonic() > deadline:
            raise FailoverIncompleteError(
                f"{identifier} did not leave {plan.global_cluster} and become available in time"
            )
        sleep(max(0.0, min(poll_seconds, deadline - time.monotonic())))  # never past the deadline


def _dns_follows(plan: Plan) -> Iterator[str]:
    """Where `primary.<domain>` goes: nothing to flip, Route 53 reads the writer alarms (components/dns.py)."""
    if not plan.writer_name:
        return
    check = f" (health check {plan.writer_check_id})" if plan.writer_check_id else ""
    yield (
        f"{plan.writer_name} follows the writer to {plan.target_region} by itself within about 3 minutes, "
        f"once Route 53 sees the writer alarm there as OK{check}; nothing to change in DNS."
    )


def aftermath(plan: Plan) -> Iterator[str]:
    """Where the writer is now, against what the stack config says (docs/operations.md, 'After a failover')."""
    primary = plan.config_primary or "unknown"
    if plan.mode == "detach-and-promote":
        yield f"Now writing: {plan.target_region} ({plan.target_identifier}), alone, outside {plan.global_cluster}."
        if plan.others_action == "keep":
            for other in plan.others:
                yield (
                    f"Kept in {plan.global_cluster}: {other.region} ({other.identifier}), read-only, "
                    "not fed by the new writer."
                )
        yield from _dns_follows(plan)
        if plan.writer_name and plan.stale_check_id:
            yield (
                f"{plan.writer_name} is fenced from {plan.writer_region}: its writer health check "
                f"{plan.stale_check_id} is disabled and inverted (always unhealthy). When {plan.writer_region} "
                "returns, its old cluster still writes: stop that writer (docs/public-entry.md, step 5), and do not "
                "`pulumi up` before the stack describes the new writer (it would undo the fence)."
            )
        elif plan.writer_name:
            yield (
                f"When {plan.writer_region} returns, its old cluster still writes and {plan.writer_name} "
                "would answer with it too: stop that writer first (docs/public-entry.md, step 5)."
            )
        yield (
            f"The stack still describes {plan.global_cluster} written from {primary}: AWS no longer matches it. "
            "Follow docs/operations.md, 'After a failover', detach-and-promote, before the next `pulumi up`."
        )
        return
    yield f"Now writing: {plan.target_region} ({plan.target_identifier}) for {plan.global_cluster}."
    if plan.global_writer_endpoint:
        yield f"The global writer endpoint {plan.global_writer_endpoint} follows the new writer."
    yield from _dns_follows(plan)
    if primary != plan.target_region:
        yield (
            f"The stack config names {primary} as primary: leave it so, and switch back with "
            f"`eksplatform-ops failover <outputs> --to {primary}` once {primary} is healthy "
            "(docs/operations.md, 'After a failover')."
        )

"""Where the database writes: a CloudWatch alarm per region that Route 53 can read.

An Aurora cluster publishes its instances' metrics aggregated by role (dimensions
`DBClusterIdentifier`, `Role`; the Aurora user guide, "Amazon CloudWatch dimensions for Aurora",
and "Creating CloudWatch alarms to monitor Amazon Aurora": alarm on `WRITER`/`READER` role
metrics, since instances change roles). A cluster has `Role=WRITER` data only while it holds
the writer: a secondary of a global database has readers only. So in each region an alarm on
the cluster's `WRITER` sample count, with missing data breaching, is OK exactly where the
writer is and in ALARM everywhere else, and it follows a switchover or failover by itself.

Route 53 reads such an alarm in a CLOUDWATCH_METRIC health check (components/dns.py). Route 53
accepts only alarms on standard-resolution metrics with the statistics Average, Minimum, Maximum,
Sum or SampleCount (Route 53 API reference, AlarmIdentifier); RDS metrics are 1-minute standard
resolution, and this alarm uses SampleCount.

Route 53 does not follow the alarm: it copies the alarm's settings when the health check is
created or its alarm changes (`CloudWatchAlarmConfiguration`: namespace, metric, dimensions,
statistic, comparison, threshold, period, evaluation periods; no TreatMissingData) and evaluates
the metric itself (Route 53 developer guide, "Updating health checks when you change CloudWatch
alarm settings"). So a secondary's missing WRITER data is "insufficient data" to Route 53, and the
health check's `insufficientDataHealthStatus: Unhealthy` makes it "not the writer"; and a change
to the alarm's settings reaches Route 53 only through a new alarm: the alarm's name ends in a
hash of its settings, so a change replaces the alarm and updates the health check's alarm name.
"""

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from eksplatform.components.facts import region_name_problem
from eksplatform.components.inputs import ArgsError

NAMESPACE = "AWS/RDS"
# Every Aurora instance reports CPUUtilization each minute; any per-instance metric would do.
METRIC = "CPUUtilization"
STATISTIC = "SampleCount"
PERIOD_SECONDS = 60
# Two minutes without a writer sample before the region stops taking writes: one late data point
# (CloudWatch evaluates on the points it has when the newest are late) does not move the writes.
EVALUATION_PERIODS = 2


# Every setting Route 53 copies or the alarm evaluates with: the alarm's name follows them.
SETTINGS: dict[str, Any] = {
    "namespace": NAMESPACE,
    "metric_name": METRIC,
    "statistic": STATISTIC,
    "comparison_operator": "LessThanThreshold",
    "threshold": 1,
    "period": PERIOD_SECONDS,
    "evaluation_periods": EVALUATION_PERIODS,
    "datapoints_to_alarm": EVALUATION_PERIODS,
    # No writer metrics at all is the normal state of a secondary: that is "not the writer".
    "treat_missing_data": "breaching",
}


def alarm_name(prefix: str, settings: dict[str, Any]) -> str:
    """`<prefix>-<8 hex of the settings>`: changed settings are a new name (a replaced alarm,
    ForceNew in the provider), which makes Route 53 copy them again."""
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:8]
    return f"{prefix}-{digest}"


@dataclass(frozen=True)
class WriterAlarm:
    """The alarm Route 53 reads for one region: OK while that region's cluster holds the writer."""

    name: pulumi.Input[str]
    """The CloudWatch alarm's name."""
    region: str
    """The region the alarm is in (the region of its Aurora cluster)."""


def writer_alarm(
    name: str,
    *,
    cluster_identifier: pulumi.Input[str],
    region: str,
    alarm_prefix: str,
    opts: pulumi.ResourceOptions,
) -> tuple[aws.cloudwatch.MetricAlarm, WriterAlarm]:
    """The alarm GlobalDns reads for `region` (docs/components/global-dns.md, "The writer alarms"):
    SampleCount of the Aurora cluster `cluster_identifier`'s `Role=WRITER` metric, missing data
    breaching, so it is OK only while that cluster holds the writer. Returns the alarm and the
    `WriterAlarm` to pass in `GlobalDnsArgs.writer_alarms[region]`.

    `opts` must give `region`'s AWS provider. `alarm_prefix` is the alarm's name before the hash of
    its settings (the platform passes `StackNames.alarm`, components/naming.py)."""
    problem = region_name_problem(region)
    if problem:
        raise ArgsError(f"region: {problem}")
    alarm = aws.cloudwatch.MetricAlarm(
        name,
        name=alarm_name(alarm_prefix, SETTINGS),
        alarm_description=pulumi.Output.concat(
            "OK while Aurora cluster ",
            cluster_identifier,
            " holds the writer; Route 53 sends primary.<domain> to this region only then",
        ),
        dimensions={"DBClusterIdentifier": cluster_identifier, "Role": "WRITER"},
        **SETTINGS,
        # A routing signal, not a page: the data stores' own alarms notify people.
        actions_enabled=False,
        opts=opts,
    )
    return alarm, WriterAlarm(name=alarm.name, region=region)

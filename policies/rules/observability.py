"""Observability: every cluster alerts on the required thresholds, and logs are kept long enough.

The alert rules are read from the AMP rule group namespace's Prometheus rule file (`data`): each
rule names the alert it is (`labels.platform_alert`), its `labels.severity` and the number in its
expression (`annotations.threshold`, components/alert_rules.py). The database alerts are
CloudWatch alarms tagged `platform-alert`. Resources belong to a cluster's region when they share
its AWS provider.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import yaml

from components.alert_rules import DATA_STORE_ALERTS, DATABASE_ALERTS, REQUIRED_ALERTS
from policies.rule import Resource, StackRule, at, each, is_unknown, mapping, schema, sequence, tags_of

EKS_CLUSTER = "aws:eks/cluster:Cluster"
EKS_NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
RULE_GROUPS = "aws:amp/ruleGroupNamespace:RuleGroupNamespace"
ALERT_MANAGER = "aws:amp/alertManagerDefinition:AlertManagerDefinition"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
METRIC_FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
SUBSCRIPTION = "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter"
FIREHOSE = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
LIFECYCLE = (
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
)
NODE_GROUP_LABEL = "platform/node-group"

# The required thresholds (the platform's requirements), in the units the expressions use.
# "at most": the alert fires at this value or earlier; disk space fires below a free share, so
# its bound is "at least".
DEFAULT_THRESHOLDS: dict[str, float] = {
    "error-rate/critical": 0.01,
    "p95-latency/critical": 0.5,
    "service-unavailable/critical": 0,
    "disk-space/critical": 0.10,
    "database-connection-failures/critical": 1,
    "error-rate/warning": 0.005,
    "p95-latency/warning": 0.25,
    "memory/warning": 0.8,
    "cpu/warning": 0.9,
    "slow-queries/warning": 5,
    "pods-not-ready/warning": 0,
    "hpa-at-maximum/warning": 1,
}
AT_LEAST = ("disk-space/critical",)
_SLOW_MS = re.compile(r"milliseconds\s*>=\s*(\d+(?:\.\d+)?)")


def _same_region(resource: Resource, cluster: Resource) -> bool:
    return resource.provider == cluster.provider


def _prometheus_rules(groups: Sequence[Resource]) -> list[Mapping[str, Any]] | None:
    """Every rule in the namespaces' rule files; None when one is unknown (a preview)."""
    rules: list[Mapping[str, Any]] = []
    for namespace in groups:
        data = namespace.props.get("data")
        if is_unknown(data):
            return None
        try:
            document = yaml.safe_load(str(data or ""))
        except yaml.YAMLError:
            continue  # AMP refuses it; nothing here alerts
        for group in sequence(mapping(document).get("groups")):
            rules += [mapping(rule) for rule in sequence(mapping(group).get("rules")) if mapping(rule).get("alert")]
    return rules


def _threshold(rule: Mapping[str, Any]) -> float | None:
    try:
        return float(at(rule, "annotations", "threshold"))
    except (TypeError, ValueError):
        return None


def _within(key: str, value: float | None, bound: float) -> bool:
    if value is None:
        return False
    return value >= bound if key in AT_LEAST else value <= bound


def _alerting(resources: Sequence[Resource], config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Each EKS cluster's region alerts on every required threshold, routed by severity."""
    bounds = {**DEFAULT_THRESHOLDS, **mapping(config.get("thresholds"))}
    for cluster in each(resources, EKS_CLUSTER):
        where = f"cluster {cluster.name}"
        rules = _prometheus_rules([r for r in each(resources, RULE_GROUPS) if _same_region(r, cluster)])
        if rules is None:
            continue
        found: dict[str, list[Mapping[str, Any]]] = {}
        for rule in rules:
            labels = mapping(rule.get("labels"))
            found.setdefault(f"{labels.get('platform_alert')}/{labels.get('severity')}", []).append(rule)
        for alert, severity in REQUIRED_ALERTS:
            key = f"{alert}/{severity}"
            if alert in (*DATABASE_ALERTS, *DATA_STORE_ALERTS) or alert == "node-group-at-maximum":
                continue
            matching = found.get(key, [])
            if not matching:
                yield f"{where}: no {severity} alert rule on {alert} (labels platform_alert, severity)", cluster.urn
            elif not any(_within(key, _threshold(rule), bounds[key]) for rule in matching):
                shown = ", ".join(str(at(rule, "annotations", "threshold")) for rule in matching)
                direction = "at least" if key in AT_LEAST else "at most"
                yield (
                    f"{where}: the {severity} {alert} alert's threshold ({shown}) must be {direction} {bounds[key]:g}",
                    cluster.urn,
                )
        yield from _node_groups(resources, cluster, found.get("node-group-at-maximum/warning", []))
        yield from _database_alarms(resources, cluster, bounds)
        yield from _replication_lag(resources, cluster)
        yield from _routing(resources, cluster)


def _node_groups(
    resources: Sequence[Resource], cluster: Resource, rules: Sequence[Mapping[str, Any]]
) -> Iterator[tuple[str, str]]:
    by_group = {str(at(rule, "labels", "node_group")): _threshold(rule) for rule in rules}
    for group in each(resources, EKS_NODE_GROUP):
        if not _same_region(group, cluster):
            continue
        name = mapping(group.props.get("labels")).get(NODE_GROUP_LABEL)
        maximum = at(group.props, "scalingConfig", "maxSize")
        if not isinstance(name, str) or not isinstance(maximum, (int, float)):
            continue
        threshold = by_group.get(name)
        if threshold is None or threshold > maximum:
            yield (
                f"cluster {cluster.name}: no warning alert on node group {name} reaching its maxSize {maximum:g}",
                group.urn,
            )


def _database_alarms(
    resources: Sequence[Resource], cluster: Resource, bounds: Mapping[str, float]
) -> Iterator[tuple[str, str]]:
    alarms = {
        str(tags_of(alarm).get("platform-alert")): alarm
        for alarm in each(resources, METRIC_ALARM)
        if _same_region(alarm, cluster)
    }
    failures = alarms.get("database-connection-failures")
    threshold = failures.props.get("threshold") if failures else None
    if failures is None or not (
        isinstance(threshold, (int, float)) and threshold <= bounds["database-connection-failures/critical"]
    ):
        yield (
            f"cluster {cluster.name}: no alarm (tag platform-alert: database-connection-failures) at "
            f"{bounds['database-connection-failures/critical']:g} failed connection(s) or fewer",
            cluster.urn,
        )
    slow = alarms.get("slow-queries")
    patterns = [
        str(f.props.get("pattern"))
        for f in each(resources, METRIC_FILTER)
        if _same_region(f, cluster) and at(f.props, "metricTransformation", "name") == "SlowQueries"
    ]
    limits = [float(match.group(1)) / 1000 for pattern in patterns if (match := _SLOW_MS.search(pattern))]
    if slow is None or not any(limit <= bounds["slow-queries/warning"] for limit in limits):
        yield (
            f"cluster {cluster.name}: no alarm (tag platform-alert: slow-queries) on statements slower than "
            f"{bounds['slow-queries/warning']:g} s (a SlowQueries metric filter with milliseconds>=N)",
            cluster.urn,
        )


def _actions(alarm: Resource) -> set[str]:
    """What an alarm notifies: the URNs its alarmActions came from and the ARNs typed in."""
    typed = {str(arn) for arn in sequence(alarm.props.get("alarmActions")) if isinstance(arn, str)}
    return set(alarm.sources("alarmActions")) | typed


def _is_lag(alarm: Resource) -> bool:
    """A replication-lag alarm: tagged so, or on a metric whose name says lag (ReplicaLag,
    AuroraGlobalDBReplicationLag, GlobalDatastoreReplicationLag), plain or in a query."""
    if tags_of(alarm).get("platform-alert") == "replication-lag":
        return True
    names = [str(alarm.props.get("metricName") or "")]
    for query in sequence(alarm.props.get("metricQueries")):
        names += [str(mapping(query).get("expression") or ""), str(at(query, "metric", "metricName") or "")]
    return any("Lag" in name for name in names)


def _replication_lag(resources: Sequence[Resource], cluster: Resource) -> Iterator[tuple[str, str]]:
    """Replication lag above the RPO pages someone: every lag alarm of the region notifies the
    critical topic (the one the critical database alarm notifies)."""
    alarms = [alarm for alarm in each(resources, METRIC_ALARM) if _same_region(alarm, cluster)]
    critical = [
        alarm
        for alarm in alarms
        if tags_of(alarm).get("platform-alert") == "database-connection-failures"
        and tags_of(alarm).get("severity") == "critical"
    ]
    critical_topics = set().union(*(_actions(alarm) for alarm in critical)) if critical else set()
    for alarm in alarms:
        if not _is_lag(alarm) or is_unknown(alarm.props.get("alarmActions")):
            continue
        if alarm.props.get("actionsEnabled") is False or not (_actions(alarm) & critical_topics):
            yield (
                f"cluster {cluster.name}: replication-lag alarm {alarm.name} does not notify the critical alert "
                "topic (set the data store's alarm_topic_arn to it)",
                alarm.urn,
            )


def _routing(resources: Sequence[Resource], cluster: Resource) -> Iterator[tuple[str, str]]:
    definitions = [d for d in each(resources, ALERT_MANAGER) if _same_region(d, cluster)]
    if not definitions:
        yield f"cluster {cluster.name}: no AMP alert manager definition routes the alerts", cluster.urn
        return
    for definition in definitions:
        text = definition.props.get("definition")
        if is_unknown(text):
            continue
        try:
            inner = yaml.safe_load(str(at(yaml.safe_load(str(text)), "alertmanager_config") or ""))
        except (yaml.YAMLError, AttributeError):
            inner = None
        routes = sequence(at(inner, "route", "routes"))
        matchers = {str(m) for route in routes for m in sequence(mapping(route).get("matchers"))}
        missing = [s for s in ("critical", "warning") if f'severity="{s}"' not in matchers]
        if missing:
            yield (
                f"cluster {cluster.name}: the alert manager has no route for severity {', '.join(missing)}",
                definition.urn,
            )


# --- log retention ------------------------------------------------------------------------------


def _archive_days(group: Resource, resources: Sequence[Resource]) -> float | None:
    """How long the group's events are kept in an S3 archive it is subscribed to: the shortest
    expiration of the bucket's enabled lifecycle rules (inf without one); None without an archive."""
    kept: list[float] = []
    for subscription in each(resources, SUBSCRIPTION):
        if not subscription.refers_to("logGroup", group, "name"):
            continue
        streams = [s for s in each(resources, FIREHOSE) if s.urn in subscription.sources("destinationArn")]
        for stream in streams:
            for bucket in each(resources, *BUCKETS):
                if bucket.urn not in stream.sources("extendedS3Configuration"):
                    continue
                expirations = [
                    at(rule, "expiration", "days")
                    for lifecycle in each(resources, *LIFECYCLE)
                    if bucket.urn in lifecycle.sources("bucket")
                    for rule in sequence(lifecycle.props.get("rules"))
                    if mapping(rule).get("status") == "Enabled" and at(rule, "expiration", "days") is not None
                ]
                numbers = [float(days) for days in expirations if isinstance(days, (int, float))]
                kept.append(min(numbers) if numbers else float("inf"))
    return max(kept) if kept else None


def _log_retention(resources: Sequence[Resource], config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """A log group keeps events the minimum itself, or an S3 archive it is subscribed to does."""
    minimum = config["minRetentionDays"]
    for group in each(resources, LOG_GROUP):
        days = group.props.get("retentionInDays")
        # Unset or 0 keeps events forever (CloudWatch Logs PutRetentionPolicy).
        if not (isinstance(days, (int, float)) and 0 < days < minimum):
            continue
        archived = _archive_days(group, resources)
        if archived is not None and archived >= minimum:
            continue
        if archived is None:
            advice = "or archive it (a subscription filter to a Firehose stream into S3)"
        else:
            advice = f"or keep its archive at least as long (the bucket expires objects after {archived:g} days)"
        yield (
            f"log group {group.name}: set retentionInDays to at least {minimum} (it is {days:g}), or leave it unset "
            f"to keep events forever, {advice}",
            group.urn,
        )


OBSERVABILITY_STACK_RULES = (
    StackRule(
        name="observability-required-alerts",
        description="Every EKS cluster's region alerts on the required thresholds (error rate, p95 latency, "
        "availability, disk, memory, CPU, database connections and slow queries, pods, HPAs, node groups), "
        "routed by severity.",
        severity="high",
        enforcement="mandatory",
        check=_alerting,
        config_schema={
            "thresholds": schema(
                "object",
                DEFAULT_THRESHOLDS,
                "the loosest allowed threshold per <platform_alert>/<severity>, in the expressions' units",
            )
        },
        remediation="Set `platform:observability` in the stack config (docs/observability.md); keep thresholds "
        "at the required values or stricter.",
        reference="Platform requirement (monitoring: alert thresholds)",
    ),
    StackRule(
        name="data-cloudwatch-log-retention",
        description="CloudWatch log groups keep events at least the stack's minimum (prod a year), in the group "
        "or in an S3 archive the group is subscribed to.",
        severity="medium",
        enforcement="mandatory",
        check=_log_retention,
        config_schema={
            "minRetentionDays": schema("integer", 365, "shortest retention in days", minimum=1, maximum=3653)
        },
        reference="AWS FSBP CloudWatch.16",
    ),
)

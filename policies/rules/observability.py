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
from functools import lru_cache
from typing import Any

import yaml

from eksplatform.components.alert_rules import DATA_STORE_ALERTS, DATABASE_ALERTS, META_ALERTS, REQUIRED_ALERTS
from eksplatform.policies.alert_expressions import comparison, duration_seconds
from eksplatform.policies.rule import Resource, StackRule, at, each, is_unknown, mapping, schema, sequence, tags_of

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
        rules += _alert_rules(str(data or ""))
    return rules


# Parsed once per rule file in a process (every cluster of the region, every analysis), by
# PyYAML's own safe loader: libyaml's reads some texts PyYAML refuses (a tab before a comment),
# which would change verdicts. The rules are shared between callers: they only read them.
@lru_cache(maxsize=64)
def _alert_rules(text: str) -> tuple[Mapping[str, Any], ...]:
    """The alerting rules of one rule file; none when it does not parse (AMP refuses it)."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError:
        return ()
    return tuple(
        mapping(rule)
        for group in sequence(mapping(document).get("groups"))
        for rule in sequence(mapping(group).get("rules"))
        if mapping(rule).get("alert")
    )


# The metric each required alert must watch on its compared side (components/alert_rules.py): a
# rule on another metric, or on none (`vector(0) > 1`), alerts on nothing.
ALERT_METRICS: dict[str, str] = {
    "error-rate": "traefik_service_requests_total",
    "p95-latency": "traefik_service_request_duration_seconds_bucket",
    "service-unavailable": "kube_deployment_status_replicas_available",
    "disk-space": "node_filesystem_avail_bytes",
    "memory": "container_memory_working_set_bytes",
    "cpu": "container_cpu_usage_seconds_total",
    "pods-not-ready": "kube_pod_status_ready",
    "hpa-at-maximum": "kube_horizontalpodautoscaler_status_current_replicas",
    "node-group-at-maximum": "up",
}
# The longest `for` a required alert may wait before it fires (the longest the rules use).
MAX_FOR_SECONDS = 900


def _threshold(rule: Mapping[str, Any]) -> float | None:
    """The number the rule's expression compares with, from its parse tree (None: no filtering comparison)."""
    found = comparison(str(rule.get("expr") or ""))
    return found.threshold if found is not None else None


def _within(key: str, rule: Mapping[str, Any], bound: float) -> bool:
    """The rule fires at `bound` or earlier: the right operator, the number on the right side of it,
    the required metric on the left."""
    found = comparison(str(rule.get("expr") or ""))
    if found is None or ALERT_METRICS.get(key.split("/")[0], "") not in found.metrics:
        return False
    if key == "service-unavailable/critical":  # no replica available: `== 0` (or `< 1`)
        return (found.op in ("==", "<=") and found.threshold == bound) or (
            found.op == "<" and bound < found.threshold <= bound + 1
        )
    if key in AT_LEAST:
        return found.op in ("<", "<=") and found.threshold >= bound
    return found.op in (">", ">=") and found.threshold <= bound


def _waits_too_long(rule: Mapping[str, Any], limit: float) -> bool:
    seconds = duration_seconds(rule.get("for"))
    return seconds is None or seconds > limit


def _alerting(resources: Sequence[Resource], config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Each EKS cluster's region alerts on every required threshold, routed by severity."""
    bounds = {**DEFAULT_THRESHOLDS, **mapping(config.get("thresholds"))}
    limit = float(config.get("maxForSeconds", MAX_FOR_SECONDS))
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
                continue
            if not any(_within(key, rule, bounds[key]) for rule in matching):
                shown = ", ".join(str(rule.get("expr")) for rule in matching)
                direction = "at least" if key in AT_LEAST else "at most"
                yield (
                    f"{where}: the {severity} {alert} alert must compare {ALERT_METRICS[alert]} with a threshold "
                    f"{direction} {bounds[key]:g} (expression: {shown})",
                    cluster.urn,
                )
            elif not any(_within(key, rule, bounds[key]) and not _waits_too_long(rule, limit) for rule in matching):
                shown = ", ".join(str(rule.get("for")) for rule in matching)
                yield (
                    f"{where}: the {severity} {alert} alert waits too long to fire (for: {shown}; at most {limit:g} s)",
                    cluster.urn,
                )
        for alert, severity in META_ALERTS:
            # Metrics that stop arriving, and alerting itself: present, PromQL, not waiting too long.
            if not any(
                comparison(str(rule.get("expr") or "")) is not None and not _waits_too_long(rule, limit)
                for rule in found.get(f"{alert}/{severity}", [])
            ):
                yield (
                    f"{where}: no {severity} alert rule on {alert} (labels platform_alert, severity): "
                    "nothing would say that metrics stopped arriving or that alerting broke",
                    cluster.urn,
                )
        yield from _node_groups(resources, cluster, found.get("node-group-at-maximum/warning", []), limit)
        yield from _database_alarms(resources, cluster, bounds)
        yield from _replication_lag(resources, cluster)
        yield from _routing(resources, cluster)


def _node_groups(
    resources: Sequence[Resource], cluster: Resource, rules: Sequence[Mapping[str, Any]], limit: float
) -> Iterator[tuple[str, str]]:
    key = "node-group-at-maximum/warning"
    by_group: dict[str, list[Mapping[str, Any]]] = {}
    for rule in rules:
        by_group.setdefault(str(at(rule, "labels", "node_group")), []).append(rule)
    for group in each(resources, EKS_NODE_GROUP):
        if not _same_region(group, cluster):
            continue
        name = mapping(group.props.get("labels")).get(NODE_GROUP_LABEL)
        maximum = at(group.props, "scalingConfig", "maxSize")
        if not isinstance(maximum, (int, float)):
            continue  # unknown in a preview
        if not isinstance(name, str):
            # The rules count a group's nodes by this label: a group without it is watched by none.
            yield (
                f"cluster {cluster.name}: node group {group.name} has no {NODE_GROUP_LABEL} label, so no alert "
                f"can see it reach its maxSize {maximum:g}",
                group.urn,
            )
            continue
        fitting = [
            rule
            for rule in by_group.get(name, [])
            if _within(key, rule, maximum) and not _waits_too_long(rule, limit) and name in str(rule.get("expr"))
        ]
        if not fitting:
            yield (
                f"cluster {cluster.name}: no warning alert on node group {name} reaching its maxSize {maximum:g}",
                group.urn,
            )


def _notifies(alarm: Resource) -> bool:
    """The alarm has somewhere to go: actions set and enabled (an unknown list in a preview counts)."""
    actions = alarm.props.get("alarmActions")
    if is_unknown(actions):
        return True
    return alarm.props.get("actionsEnabled") is not False and bool(sequence(actions))


def _filter_of(resources: Sequence[Resource], cluster: Resource, metric: str) -> list[Resource]:
    return [
        f
        for f in each(resources, METRIC_FILTER)
        if _same_region(f, cluster) and at(f.props, "metricTransformation", "name") == metric
    ]


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
    if (
        failures is None
        or not (isinstance(threshold, (int, float)) and threshold <= bounds["database-connection-failures/critical"])
        or not _notifies(failures)
        # The alarm reads the metric a filter on the database's log writes; no filter, no data.
        or not _filter_of(resources, cluster, str(failures.props.get("metricName")))
    ):
        yield (
            f"cluster {cluster.name}: no alarm (tag platform-alert: database-connection-failures) at "
            f"{bounds['database-connection-failures/critical']:g} failed connection(s) or fewer, with alarm "
            "actions, on the metric a log metric filter writes",
            cluster.urn,
        )
    slow = alarms.get("slow-queries")
    patterns = [
        str(f.props.get("pattern"))
        for f in _filter_of(resources, cluster, str(slow.props.get("metricName") if slow else "SlowQueries"))
    ]
    limits = [float(match.group(1)) / 1000 for pattern in patterns if (match := _SLOW_MS.search(pattern))]
    if slow is None or not _notifies(slow) or not any(limit <= bounds["slow-queries/warning"] for limit in limits):
        yield (
            f"cluster {cluster.name}: no alarm (tag platform-alert: slow-queries, with alarm actions) on statements "
            f"slower than {bounds['slow-queries/warning']:g} s (a metric filter with milliseconds>=N)",
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


def _receiver_topics(inner: Any, severity: str) -> set[str]:
    """The SNS topics the route for `severity` ends at (its receiver's sns_configs)."""
    names = [
        str(mapping(route).get("receiver"))
        for route in sequence(at(inner, "route", "routes"))
        if f'severity="{severity}"' in [str(m) for m in sequence(mapping(route).get("matchers"))]
    ]
    topics: set[str] = set()
    for receiver in sequence(mapping(inner).get("receivers")):
        if str(mapping(receiver).get("name")) in names[:1]:  # the first matching route wins (continue: false)
            topics |= {
                str(at(c, "topic_arn")) for c in sequence(mapping(receiver).get("sns_configs")) if at(c, "topic_arn")
            }
    return topics


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
        topics = {severity: _receiver_topics(inner, severity) for severity in ("critical", "warning")}
        missing = [severity for severity, arns in topics.items() if not arns]
        if missing:
            yield (
                f"cluster {cluster.name}: the alert manager has no route for severity {', '.join(missing)} "
                "to a receiver with an SNS topic",
                definition.urn,
            )
        elif topics["critical"] & topics["warning"]:
            yield (
                f"cluster {cluster.name}: critical and warning alerts go to the same SNS topic; they must page "
                "differently (two topics)",
                definition.urn,
            )


# --- log retention ------------------------------------------------------------------------------


def _applies(rule: Mapping[str, Any], object_prefix: str) -> bool:
    """Does an S3 lifecycle rule cover the archive's objects (written under `object_prefix`)? A rule
    filtered by prefix covers them when its prefix starts theirs; a rule filtered by tag or size
    covers only some objects (Firehose tags none), so it is not counted either way."""
    where = mapping(rule.get("filter"))
    if where.get("tag") or where.get("and") or where.get("objectSizeGreaterThan") or where.get("objectSizeLessThan"):
        return False
    prefix = str(where.get("prefix") or rule.get("prefix") or "")
    return object_prefix.startswith(prefix)


def _kept_days(rule: Mapping[str, Any]) -> float | None:
    """How long an enabled rule keeps objects: its expiration in days; an expiration on a `date`
    removes everything on that day, so it keeps nothing for sure (0); None when it expires nothing."""
    expiration = mapping(rule.get("expiration"))
    days = expiration.get("days")
    if isinstance(days, (int, float)) and days > 0:
        return float(days)
    if expiration.get("date"):
        return 0.0
    return None


def _archive_days(group: Resource, resources: Sequence[Resource]) -> float | None:
    """How long the group's events are kept in an S3 archive it is subscribed to whole (an empty
    filter pattern: a narrower one archives only what matches): the shortest expiration among the
    bucket's enabled lifecycle rules that cover the stream's prefix (inf without one); None without
    such an archive."""
    kept: list[float] = []
    for subscription in each(resources, SUBSCRIPTION):
        if not subscription.refers_to("logGroup", group, "name"):
            continue
        if str(subscription.props.get("filterPattern") or "").strip():
            continue  # only the matching events reach the archive
        streams = [s for s in each(resources, FIREHOSE) if s.urn in subscription.sources("destinationArn")]
        for stream in streams:
            object_prefix = str(at(stream.props, "extendedS3Configuration", "prefix") or "")
            for bucket in each(resources, *BUCKETS):
                if bucket.urn not in stream.sources("extendedS3Configuration"):
                    continue
                expirations = [
                    days
                    for lifecycle in each(resources, *LIFECYCLE)
                    if bucket.urn in lifecycle.sources("bucket")
                    for rule in sequence(lifecycle.props.get("rules"))
                    if mapping(rule).get("status") == "Enabled"
                    and _applies(mapping(rule), object_prefix)
                    and (days := _kept_days(mapping(rule))) is not None
                ]
                kept.append(min(expirations) if expirations else float("inf"))
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
            ),
            "maxForSeconds": schema(
                "integer", MAX_FOR_SECONDS, "the longest `for` a required alert may wait", minimum=0, maximum=3600
            ),
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

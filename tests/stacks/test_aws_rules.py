"""Rules AWS and the provider apply that the mocks would never enforce, checked on every stack."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from eksplatform.preflight.mocks import Registration
from eksplatform.preflight.synth import Graph
from tests.conftest import synthesized, synthesized_again

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_preview_after_the_first_up_shows_no_change(stack: str) -> None:
    """Every plain input of a second synth equals what the first left in the state.

    The mocks read values back as the provider does where it rewrites them (a global cluster
    stores the full engine version AWS runs, eksplatform/preflight/mocks.py `_global_cluster`); a difference
    here is a change, or an upgrade call, on every `pulumi up` after the first.
    """
    first, second = synthesized(stack), synthesized_again(stack)  # two runs of the program
    changed = [
        (registration.name, key, value, first.get(registration.urn).outputs.get(key))
        for registration in second
        if registration.custom and not registration.is_provider
        for key, value in registration.inputs.items()
        if (not isinstance(value, dict | list) or key in SETS_READ_BACK)
        and _comparable(first.get(registration.urn).outputs.get(key)) != _comparable(value)
    ]
    assert changed == []


# List inputs the provider reads back as sets of blocks (order does not matter): parameter groups.
SETS_READ_BACK = {"parameters"}


def _comparable(value: Any) -> Any:
    if isinstance(value, list):
        return sorted(json.dumps(item, sort_keys=True) for item in value)
    return value


# What CloudWatch publishes, by namespace and metric: the dimensions an alarm must name, the unit
# (so the threshold is in the right one) and which resources publish it. Sources: RDS User Guide
# "Amazon CloudWatch metrics for Amazon RDS"; Aurora User Guide "Amazon CloudWatch metrics for
# Amazon Aurora" (instance- and cluster-level); ElastiCache guide "Metrics for Valkey and Redis OSS"
# (engine metrics per node, dimension CacheClusterId).
INSTANCES = frozenset({"rds instance", "rds read replica", "aurora instance"})
CACHE_NODES = frozenset({"cache node", "global datastore secondary node"})
METRICS: dict[tuple[str, str], tuple[frozenset[str], str, frozenset[str]]] = {
    ("AWS/RDS", "CPUUtilization"): (frozenset({"DBInstanceIdentifier"}), "Percent", INSTANCES),
    ("AWS/RDS", "DatabaseConnections"): (frozenset({"DBInstanceIdentifier"}), "Count", INSTANCES),
    ("AWS/RDS", "FreeStorageSpace"): (
        frozenset({"DBInstanceIdentifier"}),
        "Bytes",
        frozenset({"rds instance", "rds read replica"}),
    ),
    # Aurora's cluster volume grows on its own; an instance has local (temporary) storage.
    ("AWS/RDS", "FreeLocalStorage"): (frozenset({"DBInstanceIdentifier"}), "Bytes", frozenset({"aurora instance"})),
    ("AWS/RDS", "ReplicaLag"): (frozenset({"DBInstanceIdentifier"}), "Seconds", frozenset({"rds read replica"})),
    # Published in the secondary's region, for the secondary cluster; it may also carry
    # SourceRegion (the console groups it under "SourceRegion"), so the alarm queries it with
    # Metrics Insights by DBClusterIdentifier alone.
    ("AWS/RDS", "AuroraGlobalDBReplicationLag"): (
        frozenset({"DBClusterIdentifier", "SourceRegion"}),
        "Milliseconds",
        frozenset({"aurora secondary cluster"}),
    ),
    ("AWS/ElastiCache", "EngineCPUUtilization"): (frozenset({"CacheClusterId"}), "Percent", CACHE_NODES),
    ("AWS/ElastiCache", "DatabaseMemoryUsagePercentage"): (frozenset({"CacheClusterId"}), "Percent", CACHE_NODES),
    ("AWS/ElastiCache", "Evictions"): (frozenset({"CacheClusterId"}), "Count", CACHE_NODES),
    ("AWS/ElastiCache", "GlobalDatastoreReplicationLag"): (
        frozenset({"CacheClusterId"}),
        "Seconds",
        frozenset({"global datastore secondary node"}),
    ),
}
LAG_METRICS = {"ReplicaLag", "AuroraGlobalDBReplicationLag", "GlobalDatastoreReplicationLag"}
# Aurora also publishes instance metrics aggregated by role per cluster (Aurora user guide, "Amazon
# CloudWatch dimensions for Aurora": DBClusterIdentifier, Role); the writer alarms read them.
ROLE_METRICS: dict[tuple[str, str], tuple[frozenset[str], str, frozenset[str]]] = {
    ("AWS/RDS", "CPUUtilization"): (
        frozenset({"DBClusterIdentifier", "Role"}),
        "Percent",
        frozenset({"aurora cluster", "aurora secondary cluster"}),
    ),
}


# A Metrics Insights query over one metric, filtered by dimension values.
_INSIGHTS = re.compile(r"^SELECT MAX\((\w+)\) FROM \"([\w/]+)\" WHERE (.+)$")
_FILTER = re.compile(r"^(\w+) = '([^']*)'$")


def _watched(alarm: Registration) -> list[tuple[str, str, dict[str, Any], bool]]:
    """(namespace, metric, dimensions, exact) of each series an alarm reads.

    `exact` is False for a Metrics Insights query, whose WHERE names some dimensions and matches
    every series that carries them.
    """
    if "metricQueries" not in alarm.inputs:
        return [(alarm.inputs["namespace"], alarm.inputs["metricName"], alarm.inputs.get("dimensions", {}), True)]
    found = []
    for query in alarm.inputs["metricQueries"]:
        if "metric" in query:
            metric = query["metric"]
            found.append((metric["namespace"], metric["metricName"], metric["dimensions"], True))
        elif (insights := _INSIGHTS.match(query.get("expression", ""))) is not None:
            name, namespace, where = insights.groups()
            filters = [_FILTER.match(part.strip()) for part in where.split(" AND ")]
            assert all(filters), query["expression"]
            found.append((namespace, name, {f.group(1): f.group(2) for f in filters if f}, False))
            assert query["period"] == 60 and query["returnData"] is True
    return found


def _publisher(graph: Graph, dimensions: dict[str, Any]) -> str:
    """What kind of resource the dimension value names in this stack."""
    if "DBInstanceIdentifier" in dimensions:
        name = dimensions["DBInstanceIdentifier"]
        for instance in graph.by_type("aws:rds/instance:Instance"):
            if instance.outputs["identifier"] == name:
                return "rds read replica" if "replicateSourceDb" in instance.inputs else "rds instance"
        for instance in graph.by_type("aws:rds/clusterInstance:ClusterInstance"):
            if instance.outputs["identifier"] == name:
                return "aurora instance"
    if "DBClusterIdentifier" in dimensions:
        for cluster in graph.by_type("aws:rds/cluster:Cluster"):
            if cluster.outputs["clusterIdentifier"] == dimensions["DBClusterIdentifier"]:
                secondary = "globalClusterIdentifier" in cluster.inputs and "masterUsername" not in cluster.inputs
                return "aurora secondary cluster" if secondary else "aurora cluster"
    if "CacheClusterId" in dimensions:
        node = dimensions["CacheClusterId"]
        for group in graph.by_type("aws:elasticache/replicationGroup:ReplicationGroup"):
            if node.startswith(f"{group.outputs['replicationGroupId']}-"):
                secondary = "globalReplicationGroupId" in group.inputs
                return "global datastore secondary node" if secondary else "cache node"
    return "nothing in this stack"


def _from_log_filters(graph: Graph) -> set[tuple[str, str]]:
    """(namespace, metric) that the stack's log metric filters publish (no dimensions)."""
    return {
        (f.inputs["metricTransformation"]["namespace"], f.inputs["metricTransformation"]["name"])
        for f in graph.by_type("aws:cloudwatch/logMetricFilter:LogMetricFilter")
    }


def test_every_alarm_watches_a_metric_its_resource_publishes(stack_graph: Graph) -> None:
    rpo_seconds = 15 * 60
    from_logs = _from_log_filters(stack_graph)
    for alarm in stack_graph.by_type(ALARM):
        watched = _watched(alarm)
        if all((namespace, metric) in from_logs for namespace, metric, _, _ in watched):
            # A count of log lines (components/observability.py): no line means nothing happened.
            assert all(dimensions == {} for _, _, dimensions, _ in watched), alarm.name
            assert alarm.inputs["treatMissingData"] == "notBreaching", alarm.name
            continue
        for namespace, metric, dimensions, exact in watched:
            table = ROLE_METRICS if "Role" in dimensions else METRICS
            assert (namespace, metric) in table, alarm.name
            keys, unit, publishers = table[(namespace, metric)]
            assert set(dimensions) == keys if exact else set(dimensions) <= keys, alarm.name
            publisher = _publisher(stack_graph, dimensions)
            assert publisher in publishers, (alarm.name, publisher)
            if metric in LAG_METRICS:
                expected = rpo_seconds * 1000 if unit == "Milliseconds" else rpo_seconds
                assert alarm.inputs["threshold"] == expected, alarm.name
        # Lag that stops being reported is a detached replica or a lost region: it alarms.
        lag = {metric for _, metric, _, _ in _watched(alarm)} & LAG_METRICS
        # So is a cluster without writer data: it is not the writer (components/writer_health.py).
        writer = any(dimensions.get("Role") == "WRITER" for _, _, dimensions, _ in _watched(alarm))
        assert alarm.inputs["treatMissingData"] == ("breaching" if lag or writer else "missing"), alarm.name
        if lag:
            assert alarm.inputs["insufficientDataActions"] == alarm.inputs["alarmActions"], alarm.name
            # Two of three minutes over the threshold or silent: one late datapoint pages nobody.
            assert (alarm.inputs["evaluationPeriods"], alarm.inputs["datapointsToAlarm"]) == (3, 2), alarm.name


def test_prod_watches_the_lag_of_every_secondary() -> None:
    graph = synthesized("prod")
    watched = {
        (metric, str(next(iter(dimensions.values()))))
        for alarm in graph.by_type(ALARM)
        for _, metric, dimensions, _ in _watched(alarm)
        if metric in LAG_METRICS
    }
    assert {value for metric, value in watched if metric == "AuroraGlobalDBReplicationLag"} == {
        "platform-prod-euw1",
        "platform-prod-apse1",
    }
    assert {value for metric, value in watched if metric == "GlobalDatastoreReplicationLag"} == {
        f"platform-prod-{region}-queue-0001-{node:03d}" for region in ("euw1", "apse1") for node in (1, 2)
    }

"""CloudWatch dashboard bodies: one per region and one global, as plain JSON-ready data.

The body follows the CloudWatch API reference "Dashboard Body Structure and Syntax": a `widgets`
array; each widget has `type` (metric, log, text), `x`/`y` on a 24-column grid, `width` (1-24),
`height` (1-1000) and `properties`. A metric widget names its `region` and its `metrics` (here
SEARCH expressions, each with an `id`); a log widget is a CloudWatch Logs Insights `query` that
starts with `SOURCE '<log group>'`, with its `region` and `view`. tests/components/test_dashboards.py
checks every body against that shape.

Sources: request rate, p95 latency and error rate per service come from Traefik's JSON access log
(Fluent Bit parses it into `log_processed`: Traefik access-log fields `ServiceName`,
`DownstreamStatus`, `Duration` in nanoseconds); CPU, memory and the language-service pool from
Container Insights (namespace `ContainerInsights`); the databases from AWS/RDS and the slow-query
metric this platform extracts from the PostgreSQL log; the caches from AWS/ElastiCache.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

WIDTH = 12
HEIGHT = 6
PERIOD_SECONDS = 300
# The metric the slow-query filter writes (components/observability.py).
DATABASE_METRICS_NAMESPACE = "Platform/Database"
SLOW_QUERIES_METRIC = "SlowQueries"
CONNECTION_FAILURES_METRIC = "ConnectionFailures"


@dataclass(frozen=True)
class RegionView:
    """The names one region's dashboard reads (all known before deployment)."""

    region: str
    cluster_name: str
    application_log_group: str
    ingress_namespace: str
    sandbox_namespace: str
    database_identifier: str
    cache_groups: Sequence[str]


def _search(namespace_dims: str, metric: str, terms: str, stat: str, label: str, expression_id: str) -> dict[str, Any]:
    return {
        "expression": f"SEARCH('{{{namespace_dims}}} MetricName=\"{metric}\"{' ' + terms if terms else ''}', "
        f"'{stat}', {PERIOD_SECONDS})",
        "id": expression_id,
        "label": label,
    }


def _metric_widget(title: str, region: str, metrics: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {
        "type": "metric",
        "width": WIDTH,
        "height": HEIGHT,
        "properties": {
            "title": title,
            "region": region,
            "view": "timeSeries",
            "stacked": False,
            "period": PERIOD_SECONDS,
            "metrics": [[dict(metric)] for metric in metrics],
        },
    }


def _log_widget(title: str, region: str, log_group: str, query: str) -> dict[str, Any]:
    return {
        "type": "log",
        "width": WIDTH,
        "height": HEIGHT,
        "properties": {
            "title": title,
            "region": region,
            "view": "timeSeries",
            "query": f"SOURCE '{log_group}' | {query}",
        },
    }


def _traffic_widgets(view: RegionView, prefix: str = "") -> list[dict[str, Any]]:
    entry = f"filter kubernetes.namespace_name = '{view.ingress_namespace}' and ispresent(log_processed.ServiceName)"
    service = "log_processed.ServiceName"
    return [
        _log_widget(
            f"{prefix}Requests per service",
            view.region,
            view.application_log_group,
            f"{entry} | stats count(*) as requests by bin(5m), {service}",
        ),
        _log_widget(
            f"{prefix}p95 latency per service (ns, Traefik Duration)",
            view.region,
            view.application_log_group,
            f"{entry} | stats pct(log_processed.Duration, 95) as p95_ns by bin(5m), {service}",
        ),
        _log_widget(
            f"{prefix}Errors (5xx) per service",
            view.region,
            view.application_log_group,
            f"{entry} and log_processed.DownstreamStatus >= 500 | stats count(*) as errors by bin(5m), {service}",
        ),
    ]


def _pod_widgets(view: RegionView, prefix: str = "") -> list[dict[str, Any]]:
    dims = "ContainerInsights,ClusterName,Namespace,Service"
    cluster = f'ClusterName="{view.cluster_name}"'
    return [
        _metric_widget(
            f"{prefix}CPU per service (% of limit)",
            view.region,
            [_search(dims, "pod_cpu_utilization_over_pod_limit", cluster, "Average", "CPU", "cpu")],
        ),
        _metric_widget(
            f"{prefix}Memory per service (% of limit)",
            view.region,
            [_search(dims, "pod_memory_utilization_over_pod_limit", cluster, "Average", "memory", "memory")],
        ),
        _metric_widget(
            f"{prefix}Language-service pool (running pods per service)",
            view.region,
            [
                _search(
                    dims,
                    "service_number_of_running_pods",
                    f'{cluster} Namespace="{view.sandbox_namespace}"',
                    "Average",
                    "pods",
                    "pool",
                )
            ],
        ),
    ]


def _data_widgets(view: RegionView, prefix: str = "") -> list[dict[str, Any]]:
    database = view.database_identifier
    cache_terms = " OR ".join(f'"{group}"' for group in view.cache_groups)
    return [
        _metric_widget(
            f"{prefix}Database connections",
            view.region,
            [_search("AWS/RDS,DBInstanceIdentifier", "DatabaseConnections", f'"{database}"', "Maximum", "conn", "db")],
        ),
        _metric_widget(
            f"{prefix}Slow queries and connection failures",
            view.region,
            [
                # One database per region, so the metrics carry no dimension.
                _search(DATABASE_METRICS_NAMESPACE, SLOW_QUERIES_METRIC, "", "Sum", "slow", "slow"),
                _search(DATABASE_METRICS_NAMESPACE, CONNECTION_FAILURES_METRIC, "", "Sum", "failed", "failed"),
            ],
        ),
        _metric_widget(
            f"{prefix}Cache hit rate",
            view.region,
            [_search("AWS/ElastiCache,CacheClusterId", "CacheHitRate", f"({cache_terms})", "Average", "hit", "hits")],
        ),
        _metric_widget(
            f"{prefix}Cache memory used (%)",
            view.region,
            [
                _search(
                    "AWS/ElastiCache,CacheClusterId",
                    "DatabaseMemoryUsagePercentage",
                    f"({cache_terms})",
                    "Maximum",
                    "memory",
                    "cachemem",
                )
            ],
        ),
    ]


def _placed(widgets: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Two widgets a row, top to bottom."""
    return [{**widget, "x": (index % 2) * WIDTH, "y": (index // 2) * HEIGHT} for index, widget in enumerate(widgets)]


def region_dashboard(view: RegionView) -> dict[str, Any]:
    """One region: traffic, pods, the language-service pool, databases and caches."""
    return {"widgets": _placed([*_traffic_widgets(view), *_pod_widgets(view), *_data_widgets(view)])}


def global_dashboard(views: Sequence[RegionView]) -> dict[str, Any]:
    """Every region side by side: each widget reads its own region's metrics or logs."""
    widgets: list[dict[str, Any]] = []
    for view in views:
        prefix = f"{view.region}: "
        widgets += [*_traffic_widgets(view, prefix), *_pod_widgets(view, prefix), *_data_widgets(view, prefix)]
    return {"widgets": _placed(widgets)}

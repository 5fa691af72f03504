"""The platform's alert rules, as Prometheus rule-file data and an Alertmanager routing.

Every rule carries two labels the pack reads (policies/rules/observability.py): `severity`
(critical or warning: Alertmanager routes on it) and `platform_alert` (which required alert it
is), and the annotation `threshold` (the number in its expression). Tests parse each expression
with a PromQL parser and check that number against config.

Where the metrics come from (scraped by the AMP managed collector, components/observability.py):
- Traefik (the public entry): `traefik_service_requests_total` and
  `traefik_service_request_duration_seconds_bucket`, per Traefik `service` (Traefik v3 metrics,
  Prometheus exporter on the chart's `metrics` entry point, port 9100);
- kube-state-metrics (EKS community add-on): Deployments, pods, HPAs, resource limits;
- cAdvisor through the kubelet: container CPU and memory;
- prometheus-node-exporter (EKS community add-on): node filesystems;
- the kubelet job's `up`, labelled with the node's `platform/node-group` (label map of node labels).
Database connection failures and slow queries are in PostgreSQL's log in CloudWatch, not in
Prometheus: they are CloudWatch alarms (components/observability.py), in `DATABASE_ALERTS`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from eksplatform.components.yaml_text import yaml_text

Severity = Literal["critical", "warning"]
SEVERITIES: tuple[Severity, ...] = ("critical", "warning")
# The alert topics: one per severity, and the heartbeat a dead man's switch listens to (the
# Watchdog alert fires always; its notifications stopping means alerting itself is broken).
TopicKind = Literal["critical", "warning", "heartbeat"]
TOPIC_KINDS: tuple[TopicKind, ...] = ("critical", "warning", "heartbeat")
WATCHDOG = "Watchdog"
HEARTBEAT_REPEAT = "5m"

# What the platform must alert on (the list): (platform_alert, severity).
REQUIRED_ALERTS: tuple[tuple[str, Severity], ...] = (
    ("error-rate", "critical"),
    ("p95-latency", "critical"),
    ("service-unavailable", "critical"),
    ("database-connection-failures", "critical"),
    ("disk-space", "critical"),
    ("error-rate", "warning"),
    ("p95-latency", "warning"),
    ("memory", "warning"),
    ("cpu", "warning"),
    ("slow-queries", "warning"),
    ("pods-not-ready", "warning"),
    ("hpa-at-maximum", "warning"),
    ("node-group-at-maximum", "warning"),
    ("replication-lag", "critical"),
)
# Alerts made as CloudWatch alarms (their data is in CloudWatch Logs), not Prometheus rules.
DATABASE_ALERTS = ("database-connection-failures", "slow-queries")
# Made by the data stores themselves (components/alarms.py lag_alarm), on the critical topic.
DATA_STORE_ALERTS = ("replication-lag",)
# The label on the kubelet job's series that holds the node's group (node label `platform/node-group`
# through Prometheus' labelmap, which turns every character outside [a-zA-Z0-9_] into `_`).
NODE_GROUP_SERIES_LABEL = "platform_node_group"
KUBELET_JOB = "kubelet"
# The collector's scrape jobs (components/observability.py scrape_configuration).
SCRAPE_JOBS = ("kubernetes-apiservers", KUBELET_JOB, "cadvisor", "kube-state-metrics", "node-exporter", "traefik")
# Series the required alerts read; their absence means those alerts are blind, not quiet.
KEY_SERIES = (
    "kube_deployment_status_replicas_available",
    "node_filesystem_avail_bytes",
    "container_memory_working_set_bytes",
)
# Alerts on the alerting itself (kube-prometheus-stack's TargetDown, absent() checks, Watchdog):
# (platform_alert, severity). The pack requires them too.
META_ALERTS: tuple[tuple[str, Severity], ...] = (
    ("target-down", "warning"),
    ("metrics-absent", "critical"),
    ("watchdog", "warning"),
)
RATE_WINDOW = "5m"


@dataclass(frozen=True)
class AlertRule:
    """One Prometheus alerting rule."""

    alert: str
    """The alert's name (Prometheus `alert`)."""
    platform_alert: str
    severity: Severity
    expression: str
    threshold: float
    """The number the expression compares with (as the expression has it: a ratio, seconds, a count)."""
    duration: str
    """How long the condition holds before the alert fires (`for`)."""
    summary: str
    labels: Mapping[str, str] = field(default_factory=dict)
    """Extra labels (a node group's name: one alert name, one rule per group)."""

    def as_rule(self) -> dict[str, Any]:
        return {
            "alert": self.alert,
            "expr": self.expression,
            "for": self.duration,
            "labels": {**self.labels, "severity": self.severity, "platform_alert": self.platform_alert},
            "annotations": {"summary": self.summary, "threshold": f"{self.threshold:g}"},
        }


@dataclass(frozen=True)
class RuleScope:
    """What the rules of one cluster watch."""

    sandbox_namespace: str
    """The language services' namespace."""
    service_namespaces: Sequence[str]
    """Namespaces whose Deployments must never be down to zero available replicas."""
    node_group_max_sizes: Mapping[str, int]
    """Each node group's maxSize."""


@dataclass(frozen=True)
class CriticalLevels:
    """Page someone: the platform is failing its users (the issue #25 values are the defaults)."""

    error_rate_percent: float = 1.0
    p95_latency_ms: float = 500.0
    disk_free_percent: float = 10.0
    database_connection_failures: int = 1


@dataclass(frozen=True)
class WarningLevels:
    """Look soon: the platform is drifting towards trouble (the issue #25 values are the defaults)."""

    error_rate_percent: float = 0.5
    p95_latency_ms: float = 250.0
    memory_percent: float = 80.0
    cpu_percent: float = 90.0
    slow_query_seconds: float = 5.0


@dataclass(frozen=True)
class Thresholds:
    """Every alert threshold, resolved (the Observability Args' `thresholds` with defaults filled in)."""

    critical: CriticalLevels = field(default_factory=CriticalLevels)
    warning: WarningLevels = field(default_factory=WarningLevels)


# An error rate needs traffic to mean anything: one failed request of three is 33 %. The error-rate
# alerts fire only for a service above this many requests a second (30 in the 5-minute window).
MIN_REQUEST_RATE = 0.1


def _error_rate(threshold_percent: float) -> str:
    requests = "traefik_service_requests_total"
    return (
        f'sum by (service) (rate({requests}{{code=~"5.."}}[{RATE_WINDOW}])) '
        f"/ sum by (service) (rate({requests}[{RATE_WINDOW}])) > {threshold_percent / 100:g} "
        f"and on (service) sum by (service) (rate({requests}[{RATE_WINDOW}])) > {MIN_REQUEST_RATE:g}"
    )


def _p95(threshold_ms: float) -> str:
    buckets = "traefik_service_request_duration_seconds_bucket"
    return f"histogram_quantile(0.95, sum by (service, le) (rate({buckets}[{RATE_WINDOW}]))) > {threshold_ms / 1000:g}"


def _usage_of_limit(usage: str, resource: str, threshold_percent: float) -> str:
    limits = f'kube_pod_container_resource_limits{{resource="{resource}"}}'
    return (
        f"max by (namespace, pod) (sum by (namespace, pod, container) ({usage}) "
        f"/ sum by (namespace, pod, container) ({limits})) > {threshold_percent / 100:g}"
    )


def _regex(values: Sequence[str]) -> str:
    return "|".join(values)


def alert_rules(thresholds: Thresholds, scope: RuleScope) -> list[AlertRule]:
    """Every Prometheus alert of one cluster, critical first."""
    critical, warning = thresholds.critical, thresholds.warning
    containers = 'container!="", container!="POD"'
    root = 'mountpoint="/", fstype!~"tmpfs|overlay"'
    namespaces = _regex(scope.service_namespaces)
    sandbox = scope.sandbox_namespace
    rules = [
        AlertRule(
            "ErrorRateCritical",
            "error-rate",
            "critical",
            _error_rate(critical.error_rate_percent),
            critical.error_rate_percent / 100,
            "5m",
            f"{{{{ $labels.service }}}}: over {critical.error_rate_percent:g}% of requests fail (5xx)",
        ),
        AlertRule(
            "LatencyP95Critical",
            "p95-latency",
            "critical",
            _p95(critical.p95_latency_ms),
            critical.p95_latency_ms / 1000,
            "5m",
            f"{{{{ $labels.service }}}}: p95 latency over {critical.p95_latency_ms:g} ms",
        ),
        AlertRule(
            "ServiceUnavailable",
            "service-unavailable",
            "critical",
            f'kube_deployment_status_replicas_available{{namespace=~"{namespaces}"}} == 0 '
            f'and on (namespace, deployment) kube_deployment_spec_replicas{{namespace=~"{namespaces}"}} > 0',
            0,
            "2m",
            "{{ $labels.namespace }}/{{ $labels.deployment }}: no replica available",
        ),
        AlertRule(
            "NodeDiskSpaceLow",
            "disk-space",
            "critical",
            f"min by (instance) (node_filesystem_avail_bytes{{{root}}} / node_filesystem_size_bytes{{{root}}}) "
            f"< {critical.disk_free_percent / 100:g}",
            critical.disk_free_percent / 100,
            "5m",
            f"{{{{ $labels.instance }}}}: under {critical.disk_free_percent:g}% of the root disk free",
        ),
        AlertRule(
            "ErrorRateWarning",
            "error-rate",
            "warning",
            _error_rate(warning.error_rate_percent),
            warning.error_rate_percent / 100,
            "10m",
            f"{{{{ $labels.service }}}}: over {warning.error_rate_percent:g}% of requests fail (5xx)",
        ),
        AlertRule(
            "LatencyP95Warning",
            "p95-latency",
            "warning",
            _p95(warning.p95_latency_ms),
            warning.p95_latency_ms / 1000,
            "10m",
            f"{{{{ $labels.service }}}}: p95 latency over {warning.p95_latency_ms:g} ms",
        ),
        AlertRule(
            "PodMemoryHigh",
            "memory",
            "warning",
            _usage_of_limit(f"container_memory_working_set_bytes{{{containers}}}", "memory", warning.memory_percent),
            warning.memory_percent / 100,
            "10m",
            f"{{{{ $labels.namespace }}}}/{{{{ $labels.pod }}}}: memory over {warning.memory_percent:g}% of its limit",
        ),
        AlertRule(
            "PodCpuHigh",
            "cpu",
            "warning",
            _usage_of_limit(
                f"rate(container_cpu_usage_seconds_total{{{containers}}}[{RATE_WINDOW}])", "cpu", warning.cpu_percent
            ),
            warning.cpu_percent / 100,
            "10m",
            f"{{{{ $labels.namespace }}}}/{{{{ $labels.pod }}}}: CPU over {warning.cpu_percent:g}% of its limit",
        ),
        AlertRule(
            "LanguageServicePodsNotReady",
            "pods-not-ready",
            "warning",
            # A finished pod (a Job's, phase Succeeded) is not ready and is not a problem.
            f'sum by (namespace, pod) (kube_pod_status_ready{{namespace="{sandbox}", condition="false"}}) > 0 '
            f'unless on (namespace, pod) kube_pod_status_phase{{phase="Succeeded"}} == 1',
            0,
            "5m",
            "{{ $labels.pod }}: a language-service pod is not ready",
        ),
        AlertRule(
            "HpaAtMaximum",
            "hpa-at-maximum",
            "warning",
            # Any HPA in the cluster (the "HPA at its maximum"), not only the sandbox's.
            "kube_horizontalpodautoscaler_status_current_replicas "
            "/ kube_horizontalpodautoscaler_spec_max_replicas >= 1",
            1,
            "15m",
            "{{ $labels.namespace }}/{{ $labels.horizontalpodautoscaler }}: at its maximum replicas",
        ),
    ]
    for group, max_size in sorted(scope.node_group_max_sizes.items()):
        rules.append(
            AlertRule(
                "NodeGroupAtMaximum",
                "node-group-at-maximum",
                "warning",
                f'count(up{{job="{KUBELET_JOB}", {NODE_GROUP_SERIES_LABEL}="{group}"}}) >= {max_size}',
                max_size,
                "15m",
                f"node group {group}: {max_size} nodes, its maxSize",
                labels={"node_group": group},
            )
        )
    rules += meta_rules()
    return rules


def meta_rules() -> list[AlertRule]:
    """Metrics that stop arriving alert too: a target down (`up == 0`) per job, a job or a key series
    gone entirely (`absent`: no series at all, which `up == 0` cannot see), and the Watchdog."""
    rules = [
        AlertRule(
            "MetricsTargetDown",
            "target-down",
            "warning",
            f'up{{job="{job}"}} == 0',
            0,
            "10m",
            f"{{{{ $labels.instance }}}}: the {job} target cannot be scraped",
            labels={"job": job},
        )
        for job in SCRAPE_JOBS
    ]
    rules += [
        AlertRule(
            "MetricsAbsent",
            "metrics-absent",
            "critical",
            f"absent({series}) == 1",
            1,
            "10m",
            f"no {series.split('{')[0]} series: the alerts that read it are blind",
            labels={"series": series},
        )
        for series in (*(f'up{{job="{job}"}}' for job in SCRAPE_JOBS), *KEY_SERIES)
    ]
    rules.append(
        AlertRule(
            WATCHDOG,
            "watchdog",
            "warning",
            "vector(1) > 0",
            0,
            "0s",
            "always firing: alerting works while the heartbeat topic hears this",
        )
    )
    return rules


def rule_file(rules: Sequence[AlertRule]) -> str:
    """A Prometheus rule file (the AMP rule group namespace's `data`): one group per severity."""
    groups = [
        {"name": f"platform-{severity}", "rules": [rule.as_rule() for rule in rules if rule.severity == severity]}
        for severity in SEVERITIES
    ]
    return yaml_text({"groups": [group for group in groups if group["rules"]]})


def alertmanager_definition(topic_arns: Mapping[TopicKind, str], region: str) -> str:
    """AMP's alert manager definition: critical and warning alerts to their own SNS topics.

    AMP user guide, "Configure alert manager to send messages to your Amazon SNS topic": SNS is the
    receiver, `sigv4.region` is required, `api_url` and `http_config` are refused. The subject is
    set because the default (every label) can pass SNS's 100-character limit.
    """
    config = {
        "route": {
            "receiver": "warning",
            "group_by": ["alertname", "service", "namespace"],
            "routes": [
                # First: the Watchdog goes to the heartbeat only, again every few minutes.
                {
                    "matchers": [f'alertname="{WATCHDOG}"'],
                    "receiver": "heartbeat",
                    "group_wait": "0s",
                    "repeat_interval": HEARTBEAT_REPEAT,
                },
                *({"matchers": [f'severity="{severity}"'], "receiver": severity} for severity in SEVERITIES),
            ],
        },
        "receivers": [
            {
                "name": severity,
                "sns_configs": [
                    {
                        "topic_arn": topic_arns[severity],
                        "sigv4": {"region": region},
                        "subject": f"[{severity}] {{{{ .GroupLabels.alertname }}}}",
                    }
                ],
            }
            for severity in TOPIC_KINDS
        ],
    }
    # The definition file wraps Alertmanager's own config as text under `alertmanager_config`.
    text = yaml_text(config)
    return "alertmanager_config: |\n" + "".join(f"  {line}\n" for line in text.splitlines())

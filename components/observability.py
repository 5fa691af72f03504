"""Observability of one region: metrics, alerts, logs kept 30 days and archived a year, a dashboard.

- Metrics: an Amazon Managed Service for Prometheus workspace (CMK) and AWS's managed collector
  (no in-cluster agent), scraping the kubelet and cAdvisor through the API server, the API server,
  kube-state-metrics and prometheus-node-exporter (EKS community add-ons) and Traefik. The
  collector reaches the cluster as the Kubernetes user `aps-collector-user`, through an access
  entry for its service-linked role and a read-only ClusterRole (AMP user guide, "Configuring your
  Amazon EKS cluster"); its network interfaces sit in the cluster's private subnets with the EKS
  cluster security group, which the nodes and the control plane admit.
- Alerts: Prometheus rules (components/alert_rules.py) in a rule group namespace; AMP's alert
  manager routes critical and warning to two CMK-encrypted SNS topics (AlertTopics, passed in as
  ARNs; the topic policies are set here). PostgreSQL connection failures and slow queries are
  metric filters on the database's log group and CloudWatch alarms to the same topics.
- Logs: the `amazon-cloudwatch-observability` add-on (Fluent Bit: every container's stdout and
  stderr, JSON logs parsed into `log_processed`; the CloudWatch agent: Container Insights). Its
  log groups are made here first, with the names the add-on writes to, the configured retention
  (30 days) and a CMK. A subscription filter sends them, and the control-plane log group, through
  Firehose to an S3 archive: CMK, TLS only, public access blocked, Glacier after
  `archive_transition_days`, expired after `archive_days` (365).
- A CloudWatch dashboard (components/dashboards.py).

`ObservabilitySettings` holds what a person chooses (add-on versions, thresholds, retention,
scrape interval, protection), plain and typed with secure defaults; `ObservabilityArgs` extends it
with the wiring (cluster, network, data stores, topics, namespaces). Both validate (errors name the
field); the cluster's Kubernetes provider comes in `opts.providers` and what must exist first
(cluster, database) in `opts.depends_on`. The stack file's adapter is
eksplatform/stack/observability_args.py. No `from __future__ import annotations`: Pulumi's
component analyzer reads the annotations as they are (docs/other-languages.md).
"""

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
from pulumi_aws.iam import GetPolicyDocumentStatementArgs as Statement
from pulumi_aws.iam import GetPolicyDocumentStatementConditionArgs as Condition
from pulumi_aws.iam import GetPolicyDocumentStatementPrincipalArgs as Principal

from eksplatform.components import iam
from eksplatform.components.alert_rules import (
    KUBELET_JOB,
    TOPIC_KINDS,
    AlertRule,
    CriticalLevels,
    RuleScope,
    Severity,
    Thresholds,
    TopicKind,
    WarningLevels,
    alert_rules,
    alertmanager_definition,
    rule_file,
)
from eksplatform.components.aws_context import AwsContext
from eksplatform.components.dashboards import (
    CONNECTION_FAILURES_METRIC,
    DATABASE_METRICS_NAMESPACE,
    SLOW_QUERIES_METRIC,
    RegionView,
    region_dashboard,
)
from eksplatform.components.eks_rules import ADDON_VERSION, CLUSTER_NAME
from eksplatform.components.facts import (
    LATENCY_BUCKETS_SECONDS,
    OBSERVABILITY_ADDONS,
    log_retention_problem,
    region_name_problem,
)
from eksplatform.components.inputs import ArgsError, check_fields, to_args
from eksplatform.components.kms import customer_managed_key
from eksplatform.components.kubernetes_names import dns_label_problem
from eksplatform.components.log_groups import encrypted_log_groups
from eksplatform.components.network_policy_peers import DNS_PORTS, KUBE_DNS, api_server
from eksplatform.components.yaml_text import yaml_text
from eksplatform.environments import profile

# Every group the add-on can write to (chart's Fluent Bit config, `log_group_name`, with
# `auto_create_group true`, which would make a missing one unencrypted and kept forever): Fluent
# Bit writes container logs to `application`, the aws-node and kube-proxy containers' logs (it
# tails /var/log/containers/aws-node* and kube-proxy*) and the kubelet's journal to `dataplane`,
# host logs to `host`; the CloudWatch agent writes Container Insights' performance events to
# `performance`. All four are made here, encrypted, at the configured retention.
CONTAINER_INSIGHTS_GROUPS = ("application", "dataplane", "host", "performance")
# Every group is archived a year.
ARCHIVED_GROUPS = CONTAINER_INSIGHTS_GROUPS
# Where the add-on runs its agents, and the service account whose role writes logs and metrics.
CLOUDWATCH_NAMESPACE = "amazon-cloudwatch"
CLOUDWATCH_SERVICE_ACCOUNT = "cloudwatch-agent"
# Traefik's Prometheus metrics entry point (chart 41.3.0 values: ports.metrics.port 9100).
TRAEFIK_METRICS_PORT = 9100
# Where each add-on installs its pods: EKS community add-ons into a namespace named after the
# add-on (EKS user guide, "Community add-ons"), the CloudWatch add-on into amazon-cloudwatch.
ADDON_NAMESPACES: dict[str, str] = {
    "kube-state-metrics": "kube-state-metrics",
    "prometheus-node-exporter": "prometheus-node-exporter",
    "amazon-cloudwatch-observability": CLOUDWATCH_NAMESPACE,
}
# kube-state-metrics chart: metrics on 8080 (`http`), its own telemetry and readiness on 8081.
KUBE_STATE_METRICS_PORTS = (8080, 8081)
NODE_EXPORTER_PORT = 9100  # prometheus-node-exporter chart `service.port`
# The CloudWatch agent operator (amazon-cloudwatch-observability chart, controller-manager
# Deployment): admission webhook on containerPort 9443 `webhook-server`, probes on 8081.
OPERATOR_WEBHOOK_PORT = 9443
OPERATOR_PROBE_PORT = 8081
# The Kubernetes user the collector acts as (AMP user guide, "Configuring your Amazon EKS cluster").
COLLECTOR_USER = "aps-collector-user"
COLLECTOR_CLUSTER_ROLE = "aps-collector-role"
# Firehose buffering: 5 minutes or 5 MiB, whichever comes first (CreateDeliveryStream BufferingHints).
FIREHOSE_BUFFER_SECONDS = 300
FIREHOSE_BUFFER_MIB = 5
# Slow statements: RDS PostgreSQL logs `duration: <ms> ms` for statements over
# log_min_duration_statement (1 s here, components/postgres.py); a space-delimited filter compares
# the number after `duration:` (CloudWatch Logs "Filter pattern syntax", space-delimited events).
# The RDS default log_line_prefix `%t:%r:%u@%d:[%p]:` puts date, time and the rest before it.
SLOW_QUERY_PATTERN = '[date, time, prefix, label="duration:", milliseconds>={ms}, unit="ms", ...]'
# Connection attempts PostgreSQL refuses (its FATAL messages for authentication, pg_hba and
# connection slots); log_connections is on (components/postgres.py).
CONNECTION_FAILURE_PATTERN = (
    '?"password authentication failed" ?"no pg_hba.conf entry" ?"too many clients" '
    '?"remaining connection slots are reserved" ?"PAM authentication failed"'
)


# The defaults (the alert thresholds are in components/alert_rules.py); ranges and rules below.
DEFAULT_LOG_RETENTION_DAYS = 30
DEFAULT_ARCHIVE_TRANSITION_DAYS = 30
# A year: the production minimum retention of a log (policy data-cloudwatch-log-retention).
DEFAULT_ARCHIVE_DAYS = profile("prod").min_log_retention_days
DEFAULT_SCRAPE_INTERVAL_SECONDS = 60
# S3 lifecycle: Glacier Flexible Retrieval bills 90 days at least (S3 user guide, "Constraints").
GLACIER_MINIMUM_DAYS = 90
MAX_ARCHIVE_DAYS = 3650
SCRAPE_INTERVAL_RANGE = (10, 300)  # alerts read 5-minute rates: at least a few samples per window


class ObservabilityArgsError(ArgsError):
    """Bad Observability arguments; the message starts with the field (`args.thresholds.warning.cpu_percent`)."""


def _given(value: object) -> dict[str, Any]:
    """The fields of a dataclass that are set (not None): the rest take the defaults."""
    return {f.name: getattr(value, f.name) for f in fields(value) if getattr(value, f.name) is not None}  # type: ignore[arg-type]


@dataclass(frozen=True, kw_only=True)
class CriticalAlertThresholds:
    """Critical alerts page someone: the platform is failing its users."""

    error_rate_percent: float | None = None
    """A service's share of 5xx responses over 5 minutes, in percent (above 0, below 100). Default: 1."""
    p95_latency_ms: float | None = None
    """A service's 95th percentile request latency, in ms; an edge of Traefik's histogram buckets
    (50, 100, 250, 500, 1000, 2500, 5000), since p95 between edges is interpolated. Default: 500."""
    disk_free_percent: float | None = None
    """Free space on a node's root filesystem below which to page, in percent (above 0, below 100). Default: 10."""
    database_connection_failures: int | None = None
    """Refused PostgreSQL connection attempts in 5 minutes (from its log) that page; at least 1. Default: 1."""

    def resolved(self) -> CriticalLevels:
        return CriticalLevels(**_given(self))


@dataclass(frozen=True, kw_only=True)
class WarningAlertThresholds:
    """Warnings: the platform is drifting towards trouble; each stays below its critical threshold."""

    error_rate_percent: float | None = None
    """A service's share of 5xx responses over 10 minutes, in percent; below the critical one. Default: 0.5."""
    p95_latency_ms: float | None = None
    """A service's 95th percentile request latency, in ms; a histogram bucket edge below the critical one.
    Default: 250."""
    memory_percent: float | None = None
    """A pod's memory working set as a share of its limit, in percent (above 0, at most 100). Default: 80."""
    cpu_percent: float | None = None
    """A pod's CPU use as a share of its limit, in percent (above 0, at most 100). Default: 90."""
    slow_query_seconds: float | None = None
    """A PostgreSQL statement slower than this many seconds warns (at least 0.001). Default: 5."""

    def resolved(self) -> WarningLevels:
        return WarningLevels(**_given(self))


@dataclass(frozen=True, kw_only=True)
class AlertThresholds:
    """Alert thresholds by severity."""

    critical: CriticalAlertThresholds | None = None
    """What pages someone. Default: error rate 1 %, p95 latency 500 ms, disk free 10 %, one refused
    database connection in 5 minutes."""
    warning: WarningAlertThresholds | None = None
    """What warns. Default: error rate 0.5 %, p95 latency 250 ms, memory 80 %, CPU 90 %, statements
    slower than 5 s."""

    def resolved(self) -> Thresholds:
        return Thresholds(
            critical=(self.critical or CriticalAlertThresholds()).resolved(),
            warning=(self.warning or WarningAlertThresholds()).resolved(),
        )


Problem = tuple[str, str]
"""(field path below the Args, snake_case and dotted; message) of one broken rule."""


def _percent(path: str, value: float, *, at_most_100: bool = False) -> list[Problem]:
    if value <= 0 or value > 100 or (value == 100 and not at_most_100):
        bound = "at most 100" if at_most_100 else "below 100"
        return [(path, f"{value:g} is not a percentage above 0 and {bound}")]
    return []


def threshold_problems(thresholds: Thresholds, name: Callable[[str], str] = str) -> list[Problem]:
    """Every rule the thresholds break, as `(thresholds.<severity>.<field>, message)`.

    The one copy of these rules: the Args check them, and so does the stack file's model (with
    `name` turning field names into its camelCase keys).
    """
    critical, warning = thresholds.critical, thresholds.warning
    problems: list[Problem] = []
    for severity, levels in (("critical", critical), ("warning", warning)):
        at = f"thresholds.{severity}."
        problems += _percent(at + "error_rate_percent", levels.error_rate_percent)
        if levels.p95_latency_ms / 1000 not in LATENCY_BUCKETS_SECONDS:
            edges = ", ".join(f"{edge * 1000:g}" for edge in LATENCY_BUCKETS_SECONDS)
            problems.append(
                (
                    at + "p95_latency_ms",
                    f"{levels.p95_latency_ms:g} is not a latency histogram bucket edge (ms: {edges}); "
                    "p95 between edges is interpolated",
                )
            )
    problems += _percent("thresholds.critical.disk_free_percent", critical.disk_free_percent)
    if critical.database_connection_failures < 1:
        problems.append(
            ("thresholds.critical.database_connection_failures", f"{critical.database_connection_failures} is below 1")
        )
    problems += _percent("thresholds.warning.memory_percent", warning.memory_percent, at_most_100=True)
    problems += _percent("thresholds.warning.cpu_percent", warning.cpu_percent, at_most_100=True)
    if warning.slow_query_seconds < 0.001:  # the log filter compares whole milliseconds
        problems.append(("thresholds.warning.slow_query_seconds", f"{warning.slow_query_seconds:g} is under 1 ms"))
    # A warning that fires after the critical alert warns nobody.
    for key in ("error_rate_percent", "p95_latency_ms"):
        below, above = getattr(warning, key), getattr(critical, key)
        if below >= above:
            problems.append((f"thresholds.warning.{key}", f"{below:g} is not below critical.{name(key)} {above:g}"))
    return problems


def retention_problems(
    *,
    log_retention_days: int,
    archive_days: int,
    archive_transition_days: int,
    scrape_interval_seconds: int,
    addon_versions: Mapping[str, str],
    name: Callable[[str], str] = str,
) -> list[Problem]:
    """Every rule the log, archive, scrape and add-on settings break (shared with the stack file's model)."""
    problems: list[Problem] = []
    if (retention := log_retention_problem(log_retention_days)) is not None:
        problems.append(("log_retention_days", retention))
    if not 1 <= archive_days <= MAX_ARCHIVE_DAYS:
        problems.append(("archive_days", f"{archive_days} is not between 1 and {MAX_ARCHIVE_DAYS}"))
    if archive_transition_days < 0:
        problems.append(("archive_transition_days", f"{archive_transition_days} is below 0"))
    elif archive_transition_days + GLACIER_MINIMUM_DAYS > archive_days:
        # An expiry sooner than 90 days after the transition pays for days it does not keep.
        problems.append(
            (
                "archive_transition_days",
                f"{archive_transition_days} leaves under {GLACIER_MINIMUM_DAYS} days in Glacier before expiry at "
                f"{name('archive_days')} {archive_days} (Glacier bills {GLACIER_MINIMUM_DAYS} days at least)",
            )
        )
    if archive_days <= log_retention_days:
        problems.append(("archive_days", f"{archive_days} is not longer than {name('log_retention_days')}"))
    low, high = SCRAPE_INTERVAL_RANGE
    if not low <= scrape_interval_seconds <= high:
        problems.append(("scrape_interval_seconds", f"{scrape_interval_seconds} is not between {low} and {high}"))
    missing = [addon for addon in OBSERVABILITY_ADDONS if addon not in addon_versions]
    if missing:
        problems.append(("addon_versions", f"pin every observability add-on's version; missing {missing}"))
    for addon, version in addon_versions.items():
        if addon not in OBSERVABILITY_ADDONS:
            problems.append(
                (f"addon_versions.{addon}", f"not an add-on this component installs {list(OBSERVABILITY_ADDONS)}")
            )
        elif not ADDON_VERSION.fullmatch(version):
            problems.append(
                (f"addon_versions.{addon}", f"{version!r} is not an EKS add-on version (v1.2.3-eksbuild.4)")
            )
    return problems


@dataclass(frozen=True, kw_only=True)
class ObservabilitySettings:
    """What a person chooses for a region's observability: add-on versions, alert thresholds, how long
    logs are kept and archived, how often metrics are scraped, and protection. `ObservabilityArgs`
    adds what the stack wires in (cluster, network, data stores, topics, namespaces).
    """

    addon_versions: Mapping[str, str]
    """The version of each add-on installed (`amazon-cloudwatch-observability`, `kube-state-metrics`,
    `prometheus-node-exporter`), e.g. `v2.14.0-eksbuild.1` (aws eks describe-addon-versions)."""
    thresholds: AlertThresholds | None = None
    """Alert thresholds by severity. Default: critical at error rate 1 %, p95 latency 500 ms, disk free
    10 %, one refused database connection; warning at error rate 0.5 %, p95 latency 250 ms, memory 80 %,
    CPU 90 %, statements slower than 5 s."""
    log_retention_days: int | None = None
    """Days the container logs stay searchable in CloudWatch Logs (a CloudWatch retention period). Default: 30."""
    archive_days: int | None = None
    """Days the S3 archive keeps every log (then expired); longer than `log_retention_days`.
    Default: 365 (the production minimum log retention, eksplatform/environments.py)."""
    archive_transition_days: int | None = None
    """Days in S3 Standard before the archive moves to Glacier Flexible Retrieval; at least 90 days
    before expiry (Glacier bills 90). Default: 30."""
    scrape_interval_seconds: int | None = None
    """How often the collector scrapes, 10-300 seconds (alerts read 5-minute rates). Default: 60."""
    protect: bool | None = None
    """Pulumi `protect` on the workspace, the archive bucket and their keys; an unprotected bucket is
    also emptied on delete (`force_destroy`). Default: true (production)."""

    def __post_init__(self) -> None:
        check_fields(self, ObservabilityArgsError)  # an Output or wrong type, named (an Args' wiring too)
        problems = threshold_problems(self.alert_thresholds) + retention_problems(
            log_retention_days=self.retention_days,
            archive_days=self.archive_kept_days,
            archive_transition_days=self.archive_after_days,
            scrape_interval_seconds=self.scrape_interval,
            addon_versions=self.addon_versions,
        )
        if problems:
            path, message = problems[0]
            raise ObservabilityArgsError(f"args.{path}: {message}")

    # --- the defaults, resolved in one place ---------------------------------------------------

    @property
    def alert_thresholds(self) -> Thresholds:
        return (self.thresholds or AlertThresholds()).resolved()

    @property
    def retention_days(self) -> int:
        return DEFAULT_LOG_RETENTION_DAYS if self.log_retention_days is None else self.log_retention_days

    @property
    def archive_kept_days(self) -> int:
        return DEFAULT_ARCHIVE_DAYS if self.archive_days is None else self.archive_days

    @property
    def archive_after_days(self) -> int:
        return DEFAULT_ARCHIVE_TRANSITION_DAYS if self.archive_transition_days is None else self.archive_transition_days

    @property
    def scrape_interval(self) -> int:
        return DEFAULT_SCRAPE_INTERVAL_SECONDS if self.scrape_interval_seconds is None else self.scrape_interval_seconds

    @property
    def protected(self) -> bool:
        return profile("prod").protect_resources if self.protect is None else self.protect


@dataclass(frozen=True, kw_only=True)
class ObservabilityArgs(ObservabilitySettings):
    """One region's cluster, network and data stores, the alert topics (the wiring), and its
    `ObservabilitySettings` (add-on versions, thresholds, how long logs are kept).

    The cluster's Kubernetes provider comes in `opts.providers`; the cluster and the database in
    `opts.depends_on` (the add-ons, the collector and the filters on their log groups wait for them).
    """

    cluster_name: str
    """The EKS cluster: names the Prometheus workspace, the collector, the log groups and the dashboard."""
    region: str
    """The cluster's AWS region (the alert manager signs its SNS calls for it; the dashboard reads it)."""
    cluster_arn: pulumi.Input[str]
    """The EKS cluster's ARN: the managed collector's source."""
    cluster_security_group_id: pulumi.Input[str]
    """The EKS cluster security group: nodes and control plane admit it (the collector's ENIs carry it)."""
    private_subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """The cluster's private subnets (two zones at least): the collector's ENIs sit there."""
    private_subnet_cidrs: Sequence[pulumi.Input[str]]
    """Their ranges: the collector and the kubelet's probes come from them (network policies admit them)."""
    vpc_cidr: pulumi.Input[str]
    """The cluster VPC's range: the control plane's ENIs (webhook calls, the API server) sit in it."""
    oidc_provider_arn: pulumi.Input[str]
    """The cluster's IAM OIDC provider: the CloudWatch agent's role trusts its service account through it."""
    oidc_issuer_url: pulumi.Input[str]
    """The cluster's OIDC issuer URL (with or without `https://`)."""
    control_plane_log_group: pulumi.Input[str]
    """The EKS control-plane log group's name (made by the Cluster): archived with the container logs."""
    database_identifier: str
    """The PostgreSQL cluster or instance identifier (alarm descriptions, the dashboard)."""
    database_log_group: str
    """The PostgreSQL log group (`/aws/rds/{cluster|instance}/<id>/postgresql`): slow and refused connections."""
    cache_groups: Sequence[str]
    """The ElastiCache replication group ids the dashboard shows."""
    sandbox_namespace: str
    """The language services' namespace (pods-not-ready alert)."""
    service_namespaces: Sequence[str]
    """Namespaces whose Deployments must never be down to zero available replicas."""
    ingress_namespace: str
    """Traefik's namespace: scraped for request metrics; its metrics port is opened to the collector."""
    ingress_pod_labels: Mapping[str, str]
    """The labels of Traefik's pods (the metrics network policy selects them)."""
    node_group_max_sizes: Mapping[str, int]
    """Each node group's maximum size: a group at its maximum warns."""
    critical_topic_arn: pulumi.Input[str]
    """The SNS topic critical alerts go to (AlertTopics); this component sets its topic policy."""
    warning_topic_arn: pulumi.Input[str]
    """The SNS topic warnings go to (AlertTopics); this component sets its topic policy."""
    heartbeat_topic_arn: pulumi.Input[str]
    """The SNS topic the always-firing Watchdog goes to (AlertTopics); this component sets its topic policy."""

    def __post_init__(self) -> None:
        super().__post_init__()  # every field's type, then the settings' rules
        if not CLUSTER_NAME.fullmatch(self.cluster_name):
            raise ObservabilityArgsError(
                f"args.cluster_name: {self.cluster_name!r} is not an EKS cluster name (1-100 letters, digits, "
                "'-' and '_', a letter or digit first)"
            )
        problem = region_name_problem(self.region)
        if problem:
            raise ObservabilityArgsError(f"args.region: {problem}")
        for field_name in ("sandbox_namespace", "ingress_namespace"):
            self._namespace(field_name, getattr(self, field_name))
        if not self.service_namespaces:
            raise ObservabilityArgsError("args.service_namespaces: name at least one namespace")
        for index, namespace in enumerate(self.service_namespaces):
            self._namespace(f"service_namespaces[{index}]", namespace)
        if not self.ingress_pod_labels:
            raise ObservabilityArgsError("args.ingress_pod_labels: an empty selector would open every pod's port")
        if not self.private_subnet_cidrs:
            raise ObservabilityArgsError("args.private_subnet_cidrs: name the private subnets' ranges")
        for group, size in self.node_group_max_sizes.items():
            if size < 1:
                raise ObservabilityArgsError(f"args.node_group_max_sizes.{group}: {size} is below 1")
        if not self.database_log_group.startswith("/aws/rds/"):
            raise ObservabilityArgsError(
                f"args.database_log_group: {self.database_log_group!r} is not an RDS log group "
                "(/aws/rds/{cluster|instance}/<id>/postgresql)"
            )

    @staticmethod
    def _namespace(path: str, value: str) -> None:
        problem = dns_label_problem(value)
        if problem:
            raise ObservabilityArgsError(f"args.{path}: {problem} (a Kubernetes namespace name)")

    # --- derived -------------------------------------------------------------------------------

    @property
    def topic_arns(self) -> dict[TopicKind, pulumi.Input[str]]:
        return {
            "critical": self.critical_topic_arn,
            "warning": self.warning_topic_arn,
            "heartbeat": self.heartbeat_topic_arn,
        }

    @property
    def log_group_names(self) -> dict[str, str]:
        return {kind: f"/aws/containerinsights/{self.cluster_name}/{kind}" for kind in CONTAINER_INSIGHTS_GROUPS}

    @property
    def rule_scope(self) -> RuleScope:
        return RuleScope(
            sandbox_namespace=self.sandbox_namespace,
            service_namespaces=self.service_namespaces,
            node_group_max_sizes=self.node_group_max_sizes,
        )

    @property
    def view(self) -> RegionView:
        return RegionView(
            region=self.region,
            cluster_name=self.cluster_name,
            application_log_group=self.log_group_names["application"],
            ingress_namespace=self.ingress_namespace,
            sandbox_namespace=self.sandbox_namespace,
            database_identifier=self.database_identifier,
            cache_groups=self.cache_groups,
        )


def _depends_on(opts: pulumi.ResourceOptions | None) -> list[pulumi.Input[pulumi.Resource]]:
    """The resources in `opts.depends_on`, as a list the children's own depends_on can hold."""
    given = opts.depends_on if opts is not None else None
    if given is None:
        return []
    if isinstance(given, pulumi.Resource):
        return [given]
    if isinstance(given, Sequence):
        return list(given)
    raise ObservabilityArgsError("opts.depends_on: a resource or a list of resources (not an Output of a list)")


def _has_kubernetes_provider(opts: pulumi.ResourceOptions | None) -> bool:
    """Whether the children on the cluster get a Kubernetes provider: from opts or the parent's providers."""
    if opts is None:
        return False
    providers = opts.providers
    packages = set(providers) if isinstance(providers, Mapping) else {p.package for p in providers or ()}
    if opts.provider is not None:
        packages.add(opts.provider.package)
    inherited = opts.parent is not None and opts.parent.get_provider("kubernetes:core/v1:Namespace") is not None
    return "kubernetes" in packages or inherited


class Observability(pulumi.ComponentResource):
    """Metrics, alerts, logs and a dashboard for one region's cluster and data stores."""

    workspace_arn: pulumi.Output[str]
    """The AMP workspace."""
    critical_topic_arn: pulumi.Output[str]
    """The SNS topic critical alerts go to (as given)."""
    warning_topic_arn: pulumi.Output[str]
    """The SNS topic warnings go to (as given)."""
    archive_bucket: pulumi.Output[str]
    """The S3 bucket that keeps the logs a year."""

    def __init__(self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        args = to_args(ObservabilityArgs, args)  # other languages pass a dict (docs/other-languages.md)
        if not _has_kubernetes_provider(opts):
            raise ObservabilityArgsError(
                "opts.providers: give the cluster's Kubernetes provider (the add-on namespaces, their network "
                "policies and the collector's RBAC are made on the cluster)"
            )
        depends_on = _depends_on(opts)
        super().__init__("platform:index:Observability", name, None, opts)
        self._name = name
        self._args = args
        # The cluster and the database: the children that need them wait for them (a component's
        # own depends_on does not reach its children).
        self._depends_on = depends_on
        self._context = context = AwsContext.of(self)
        protect = args.protected

        # --- metrics -------------------------------------------------------------------------
        metrics_key = customer_managed_key(
            f"{name}-metrics-key",
            description=f"Encrypts the Prometheus workspace of {args.cluster_name}",
            context=context,
            parent=self,
            protect=protect,
        )
        self.workspace = aws.amp.Workspace(
            f"{name}-metrics",
            alias=args.cluster_name,
            kms_key_arn=metrics_key.arn,  # ForceNew (terraform-provider-aws amp/workspace.go)
            # The collector tags its workspace; declaring the tag keeps it from showing as a diff
            # (provider docs for aws_prometheus_scraper, "Ignoring changes to Prometheus Workspace").
            tags={"AMPAgentlessScraper": ""},
            opts=pulumi.ResourceOptions(parent=self, protect=protect),
        )
        # The topics come from AlertTopics (made before the data stores, whose alarms use them).
        self._topic_policies = [self._topic_policy(kind, args.topic_arns[kind]) for kind in TOPIC_KINDS]
        self._rules = alert_rules(args.alert_thresholds, args.rule_scope)
        self.rule_groups = aws.amp.RuleGroupNamespace(
            f"{name}-alert-rules",
            name="platform",
            workspace_id=self.workspace.id,
            data=rule_file(self._rules),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.alert_manager = aws.amp.AlertManagerDefinition(
            f"{name}-alert-manager",
            workspace_id=self.workspace.id,
            definition=pulumi.Output.all(*(args.topic_arns[kind] for kind in TOPIC_KINDS)).apply(
                lambda arns: alertmanager_definition(dict(zip(TOPIC_KINDS, arns, strict=True)), args.region)
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(self._topic_policies)),
        )
        # Strict network-policy mode leaves a pod no policy selects deny-all: every add-on's
        # namespace gets its policy before the add-on's pods start.
        self.addon_policies = self._addon_network_policies()
        self.addons = self._metric_addons()
        self.scraper = self._collector()

        # --- logs ----------------------------------------------------------------------------
        self.log_groups = encrypted_log_groups(
            f"{name}-logs-key",
            {f"{name}-{kind}-logs": group for kind, group in args.log_group_names.items()},
            retention_days=args.retention_days,
            description=f"the container logs and Container Insights of {args.cluster_name}",
            context=context,
            parent=self,
        )
        self.addons["amazon-cloudwatch-observability"] = self._logs_addon()
        self.archive = self._archive(protect)
        self._database_alarms()

        self.dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=f"{args.cluster_name}",
            dashboard_body=json.dumps(region_dashboard(args.view)),
            opts=pulumi.ResourceOptions(parent=self),
        )

        self.workspace_arn = self.workspace.arn
        self.critical_topic_arn = pulumi.Output.from_input(args.critical_topic_arn)
        self.warning_topic_arn = pulumi.Output.from_input(args.warning_topic_arn)
        self.archive_bucket = self.archive.bucket
        self.register_outputs(
            {
                "workspaceArn": self.workspace_arn,
                "criticalTopicArn": self.critical_topic_arn,
                "warningTopicArn": self.warning_topic_arn,
                "archiveBucket": self.archive_bucket,
            }
        )

    @property
    def rules(self) -> list[AlertRule]:
        """The Prometheus alert rules, as registered."""
        return self._rules

    @property
    def view(self) -> RegionView:
        """What the region's dashboard reads; the global dashboard reads every region's."""
        return self._args.view

    # --- alerts ------------------------------------------------------------------------------

    def _topic_policy(self, severity: TopicKind, topic_arn: pulumi.Input[str]) -> aws.sns.TopicPolicy:
        """Who may publish to a topic (made by AlertTopics): AMP's alert manager from this workspace only."""
        name, context = f"{self._name}-{severity}", self._context
        same_account = Condition(test="StringEquals", variable="aws:SourceAccount", values=[context.account])
        policy = aws.iam.get_policy_document_output(
            statements=[
                Statement(
                    sid="AccountOwns",
                    actions=[
                        "sns:GetTopicAttributes",
                        "sns:SetTopicAttributes",
                        "sns:AddPermission",
                        "sns:RemovePermission",
                        "sns:DeleteTopic",
                        "sns:Subscribe",
                        "sns:ListSubscriptionsByTopic",
                        "sns:Publish",
                    ],
                    resources=[topic_arn],
                    principals=[Principal(type="AWS", identifiers=[context.account_root])],
                ),
                # AMP user guide, "Giving Amazon Managed Service for Prometheus permission to send alert
                # messages to your Amazon SNS topic": Publish and GetTopicAttributes, from this workspace.
                Statement(
                    sid="AlertManagerPublishes",
                    actions=["sns:Publish", "sns:GetTopicAttributes"],
                    resources=[topic_arn],
                    principals=[Principal(type="Service", identifiers=["aps.amazonaws.com"])],
                    conditions=[
                        same_account,
                        Condition(test="ArnEquals", variable="aws:SourceArn", values=[self.workspace.arn]),
                    ],
                ),
                Statement(
                    sid="CloudWatchAlarmsPublish",
                    actions=["sns:Publish"],
                    resources=[topic_arn],
                    principals=[Principal(type="Service", identifiers=["cloudwatch.amazonaws.com"])],
                    conditions=[same_account],
                ),
            ],
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        return aws.sns.TopicPolicy(
            f"{name}-policy", arn=topic_arn, policy=policy.json, opts=pulumi.ResourceOptions(parent=self)
        )

    def _alarm(
        self, suffix: str, *, metric: str, threshold: float, severity: Severity, description: str
    ) -> aws.cloudwatch.MetricAlarm:
        topic = self._args.topic_arns[severity]
        return aws.cloudwatch.MetricAlarm(
            f"{self._name}-{suffix}",
            alarm_description=description,
            namespace=DATABASE_METRICS_NAMESPACE,
            metric_name=metric,
            statistic="Sum",
            period=300,
            evaluation_periods=1,
            comparison_operator="GreaterThanOrEqualToThreshold",
            threshold=threshold,
            # No log line means nothing happened.
            treat_missing_data="notBreaching",
            alarm_actions=[topic],
            ok_actions=[topic],
            tags={"platform-alert": suffix, "severity": severity},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _database_alarms(self) -> None:
        """Connection failures (critical) and slow statements (warning) from PostgreSQL's log."""
        args = self._args
        thresholds = args.alert_thresholds
        after_database = pulumi.ResourceOptions(parent=self, depends_on=list(self._depends_on))
        self.slow_query_filter = aws.cloudwatch.LogMetricFilter(
            f"{self._name}-slow-queries",
            log_group_name=args.database_log_group,
            pattern=SLOW_QUERY_PATTERN.format(ms=int(thresholds.warning.slow_query_seconds * 1000)),
            metric_transformation=aws.cloudwatch.LogMetricFilterMetricTransformationArgs(
                namespace=DATABASE_METRICS_NAMESPACE, name=SLOW_QUERIES_METRIC, value="1", default_value="0"
            ),
            opts=after_database,
        )
        self.connection_failure_filter = aws.cloudwatch.LogMetricFilter(
            f"{self._name}-connection-failures",
            log_group_name=args.database_log_group,
            pattern=CONNECTION_FAILURE_PATTERN,
            metric_transformation=aws.cloudwatch.LogMetricFilterMetricTransformationArgs(
                namespace=DATABASE_METRICS_NAMESPACE, name=CONNECTION_FAILURES_METRIC, value="1", default_value="0"
            ),
            opts=after_database,
        )
        self.database_alarms = {
            "database-connection-failures": self._alarm(
                "database-connection-failures",
                metric=CONNECTION_FAILURES_METRIC,
                threshold=thresholds.critical.database_connection_failures,
                severity="critical",
                description=f"{args.database_identifier}: refused connections in 5 minutes",
            ),
            "slow-queries": self._alarm(
                "slow-queries",
                metric=SLOW_QUERIES_METRIC,
                threshold=1,
                severity="warning",
                description=f"{args.database_identifier}: statements slower than "
                f"{thresholds.warning.slow_query_seconds:g} s",
            ),
        }

    # --- metrics -----------------------------------------------------------------------------

    def _addon(self, addon: str) -> aws.eks.Addon:
        return aws.eks.Addon(
            f"{self._name}-{addon}",
            cluster_name=self._args.cluster_name,
            addon_name=addon,
            addon_version=self._args.addon_versions[addon],
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            # The namespace is ours (created first, with its NetworkPolicy): deleting or replacing the
            # add-on must not take it, and the policy, with it (aws_eks_addon `preserve`).
            preserve=True,
            # Add-ons run as pods: after the cluster's nodes, and after their namespace's policy.
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[self.addon_policies[ADDON_NAMESPACES[addon]], *self._depends_on]
            ),
        )

    def _addon_network_policies(self) -> dict[str, k8s.networking.v1.NetworkPolicy]:
        """Each add-on's namespace, made here first, with the one policy its pods need (per namespace)."""
        # The Kubernetes provider comes from opts.providers, through the parent.
        on_cluster = pulumi.ResourceOptions(parent=self)
        policies: dict[str, k8s.networking.v1.NetworkPolicy] = {}
        for namespace, spec in addon_network_policies(self._args).items():
            # The add-on adopts the namespace (resolve_conflicts OVERWRITE); made here so the policy
            # can exist before the add-on's first pod.
            created = k8s.core.v1.Namespace(f"{self._name}-{namespace}", metadata={"name": namespace}, opts=on_cluster)
            policies[namespace] = k8s.networking.v1.NetworkPolicy(
                f"{self._name}-{namespace}-policy",
                metadata={"name": "platform-addon", "namespace": namespace},
                spec=spec,
                opts=pulumi.ResourceOptions.merge(on_cluster, pulumi.ResourceOptions(depends_on=[created])),
            )
        return policies

    def _metric_addons(self) -> dict[str, aws.eks.Addon]:
        """kube-state-metrics and the node exporter, as EKS community add-ons (their chart defaults)."""
        metric_addons = ("kube-state-metrics", "prometheus-node-exporter")
        return {addon: self._addon(addon) for addon in metric_addons}

    def _collector(self) -> aws.amp.Scraper:
        args = self._args
        scraper = aws.amp.Scraper(
            f"{self._name}-collector",
            alias=args.cluster_name,
            source=aws.amp.ScraperSourceArgs(
                eks=aws.amp.ScraperSourceEksArgs(
                    cluster_arn=args.cluster_arn,
                    # AMP user guide: at least two subnets in two zones, the cluster's; the cluster's groups.
                    subnet_ids=args.private_subnet_ids,
                    security_group_ids=[args.cluster_security_group_id],
                )
            ),
            destination=aws.amp.ScraperDestinationArgs(
                amp=aws.amp.ScraperDestinationAmpArgs(workspace_arn=self.workspace.arn)
            ),
            scrape_configuration=scrape_configuration(self._args),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*self.addons.values(), *self._depends_on]),
        )
        on_cluster = pulumi.ResourceOptions(parent=self)  # the Kubernetes provider through the parent
        role = k8s.rbac.v1.ClusterRole(
            f"{self._name}-collector-role",
            metadata={"name": COLLECTOR_CLUSTER_ROLE},
            rules=[
                {
                    "apiGroups": [""],
                    "resources": ["nodes", "nodes/proxy", "nodes/metrics", "services", "endpoints", "pods"],
                    "verbs": ["get", "list", "watch"],
                },
                {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": ["get", "list", "watch"]},
                {"nonResourceURLs": ["/metrics"], "verbs": ["get"]},
            ],
            opts=on_cluster,
        )
        k8s.rbac.v1.ClusterRoleBinding(
            f"{self._name}-collector-binding",
            metadata={"name": f"{COLLECTOR_USER}-role-binding"},
            role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": COLLECTOR_CLUSTER_ROLE},
            subjects=[{"kind": "User", "name": COLLECTOR_USER, "apiGroup": "rbac.authorization.k8s.io"}],
            opts=pulumi.ResourceOptions.merge(on_cluster, pulumi.ResourceOptions(depends_on=[role])),
        )
        # The collector's service-linked role maps to the user the ClusterRoleBinding names.
        aws.eks.AccessEntry(
            f"{self._name}-collector-access",
            cluster_name=args.cluster_name,
            principal_arn=scraper.role_arn,
            user_name=COLLECTOR_USER,
            type="STANDARD",
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(self._depends_on)),
        )
        # Traefik's namespace denies all ingress but the NLB's; this opens its metrics port (only)
        # to the private subnets: the collector's ENIs, but also every node and every pod there
        # (the VPC CNI gives pods addresses in those subnets). The ENIs' own addresses are not
        # known before the collector exists, so nothing narrower can be written here.
        k8s.networking.v1.NetworkPolicy(
            f"{self._name}-traefik-metrics",
            metadata={"name": "allow-metrics-collector", "namespace": args.ingress_namespace},
            spec={
                "podSelector": {"matchLabels": dict(args.ingress_pod_labels)},
                "policyTypes": ["Ingress"],
                "ingress": [
                    {
                        "from": [{"ipBlock": {"cidr": cidr}} for cidr in args.private_subnet_cidrs],
                        "ports": [{"protocol": "TCP", "port": TRAEFIK_METRICS_PORT}],
                    }
                ],
            },
            opts=on_cluster,
        )
        return scraper

    # --- logs --------------------------------------------------------------------------------

    def _logs_addon(self) -> aws.eks.Addon:
        args = self._args
        role = iam.role(
            f"{self._name}-cloudwatch-agent-role",
            description=f"CloudWatch agent and Fluent Bit of {args.cluster_name} "
            f"(service account {CLOUDWATCH_NAMESPACE}/{CLOUDWATCH_SERVICE_ACCOUNT})",
            trust=iam.service_account_trust(
                oidc_provider_arn=args.oidc_provider_arn,
                oidc_issuer_url=args.oidc_issuer_url,
                namespace=CLOUDWATCH_NAMESPACE,
                service_account=CLOUDWATCH_SERVICE_ACCOUNT,
                parent=self,
            ),
            # CloudWatch user guide, add-on quick start: the agent's role gets CloudWatchAgentServerPolicy.
            managed_policies={"agent": self._context.managed_policy("CloudWatchAgentServerPolicy")},
            parent=self,
        )
        configuration = {
            # Container Insights only: no Application Signals (no auto-instrumentation, no traces).
            "agent": {"config": {"logs": {"metrics_collected": {"kubernetes": {"enhanced_container_insights": True}}}}},
            "containerLogs": {"enabled": True},
        }
        return aws.eks.Addon(
            f"{self._name}-amazon-cloudwatch-observability",
            cluster_name=args.cluster_name,
            addon_name="amazon-cloudwatch-observability",
            addon_version=args.addon_versions["amazon-cloudwatch-observability"],
            service_account_role_arn=role.arn,
            configuration_values=json.dumps(configuration),
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            # The namespace is ours (created first, with its NetworkPolicy): deleting or replacing the
            # add-on must not take it, and the policy, with it (aws_eks_addon `preserve`).
            preserve=True,
            # Its groups exist first, so Fluent Bit's auto_create_group never makes an unencrypted one.
            opts=pulumi.ResourceOptions(
                parent=self,
                depends_on=[
                    *role.ready,
                    *self.log_groups.values(),
                    self.addon_policies[CLOUDWATCH_NAMESPACE],
                    *self._depends_on,
                ],
            ),
        )

    def _archive(self, protect: bool) -> aws.s3.Bucket:
        """S3 (CMK, TLS only, private; Glacier, then expired) fed by Firehose from the log groups."""
        args, name, context = self._args, self._name, self._context
        key = customer_managed_key(
            f"{name}-archive-key",
            description=f"Encrypts the log archive of {args.cluster_name}",
            context=context,
            parent=self,
            protect=protect,
        )
        bucket = aws.s3.Bucket(
            f"{name}-log-archive",
            force_destroy=not protect,
            opts=pulumi.ResourceOptions(parent=self, protect=protect),
        )
        child = pulumi.ResourceOptions(parent=self)
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-log-archive-encryption",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                        sse_algorithm="aws:kms", kms_master_key_id=key.arn
                    ),
                    bucket_key_enabled=True,  # fewer KMS calls for many small objects
                )
            ],
            opts=child,
        )
        block = aws.s3.BucketPublicAccessBlock(
            f"{name}-log-archive-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-log-archive-lifecycle",
            bucket=bucket.id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="archive-then-expire",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    transitions=[
                        aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(
                            days=args.archive_after_days, storage_class="GLACIER"
                        )
                    ],
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=args.archive_kept_days),
                    abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=7
                    ),
                )
            ],
            opts=child,
        )
        tls_only = aws.iam.get_policy_document_output(
            statements=[
                Statement(
                    sid="TlsOnly",
                    effect="Deny",
                    actions=["s3:*"],
                    resources=[bucket.arn, pulumi.Output.concat(bucket.arn, "/*")],
                    principals=[Principal(type="*", identifiers=["*"])],
                    conditions=[Condition(test="Bool", variable="aws:SecureTransport", values=["false"])],
                )
            ],
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        aws.s3.BucketPolicy(
            f"{name}-log-archive-policy",
            bucket=bucket.id,
            policy=tls_only.json,
            # S3 refuses a bucket policy while the public access block is being set up.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[block]),
        )
        firehose_role = iam.role(
            f"{name}-archive-delivery-role",
            description=f"Firehose writes the log archive of {args.cluster_name}",
            trust=iam.trust_policy(
                principal_type="Service",
                identifiers=["firehose.amazonaws.com"],
                conditions=[Condition(test="StringEquals", variable="sts:ExternalId", values=[context.account])],
                parent=self,
            ),
            parent=self,
        )
        # Firehose developer guide, "Grant Firehose access to an Amazon S3 destination".
        delivery_policy = aws.iam.get_policy_document_output(
            statements=[
                Statement(
                    sid="WriteArchive",
                    actions=[
                        "s3:AbortMultipartUpload",
                        "s3:GetBucketLocation",
                        "s3:GetObject",
                        "s3:ListBucket",
                        "s3:ListBucketMultipartUploads",
                        "s3:PutObject",
                    ],
                    resources=[bucket.arn, pulumi.Output.concat(bucket.arn, "/*")],
                ),
                Statement(
                    sid="EncryptArchive",
                    actions=["kms:Decrypt", "kms:GenerateDataKey"],
                    resources=[key.arn],
                    conditions=[
                        Condition(
                            test="StringEquals",
                            variable="kms:ViaService",
                            values=[context.service_principal("s3")],
                        ),
                    ],
                ),
            ],
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        delivery_access = aws.iam.RolePolicy(
            f"{name}-archive-delivery-access",
            role=firehose_role.resource.id,
            policy=delivery_policy.json,
            opts=child,
        )
        stream = aws.kinesis.FirehoseDeliveryStream(
            f"{name}-archive-stream",
            destination="extended_s3",
            server_side_encryption=aws.kinesis.FirehoseDeliveryStreamServerSideEncryptionArgs(
                enabled=True, key_type="CUSTOMER_MANAGED_CMK", key_arn=key.arn
            ),
            extended_s3_configuration=aws.kinesis.FirehoseDeliveryStreamExtendedS3ConfigurationArgs(
                role_arn=firehose_role.arn,
                bucket_arn=bucket.arn,
                # CloudWatch Logs sends gzip batches already (subscription filter to Firehose).
                compression_format="UNCOMPRESSED",
                buffering_interval=FIREHOSE_BUFFER_SECONDS,
                buffering_size=FIREHOSE_BUFFER_MIB,
                prefix="logs/!{timestamp:yyyy/MM/dd}/",
                error_output_prefix="errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/",
                kms_key_arn=key.arn,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*firehose_role.ready, delivery_access]),
        )
        logs_role = iam.role(
            f"{name}-archive-subscription-role",
            description=f"CloudWatch Logs sends the logs of {args.cluster_name} to the archive stream",
            trust=iam.trust_policy(
                principal_type="Service",
                identifiers=[context.service_principal("logs")],
                conditions=[
                    Condition(
                        test="ArnLike",
                        variable="aws:SourceArn",
                        values=[context.arn("logs", "log-group:*")],
                    )
                ],
                parent=self,
            ),
            parent=self,
        )
        # CloudWatch Logs user guide, "Subscription filters with Amazon Data Firehose".
        put_records = iam.inline_policy(
            f"{name}-archive-subscription-put",
            role=logs_role,
            sid="PutRecords",
            actions=["firehose:PutRecord", "firehose:PutRecordBatch"],
            resources=[stream.arn],
            parent=self,
        )
        archived = {
            **{kind: args.log_group_names[kind] for kind in ARCHIVED_GROUPS},
            "control-plane": args.control_plane_log_group,
        }
        groups = [self.log_groups[f"{name}-{kind}-logs"] for kind in ARCHIVED_GROUPS]
        self.subscriptions = {
            kind: aws.cloudwatch.LogSubscriptionFilter(
                f"{name}-archive-{kind}",
                log_group=group,
                filter_pattern="",  # everything
                destination_arn=stream.arn,
                role_arn=logs_role.arn,
                distribution="ByLogStream",
                opts=pulumi.ResourceOptions(
                    parent=self, depends_on=[*logs_role.ready, put_records, *groups, *self._depends_on]
                ),
            )
            for kind, group in archived.items()
        }
        return bucket


# Per scrape job, the only metrics kept (a `keep` on `__name__` in metric_relabel_configs, applied
# after the scrape and before ingestion: Prometheus configuration, <metric_relabel_configs>): what
# the alert rules read (tests check every metric a rule reads is kept), plus a few for dashboards
# and capacity. Everything else a target exposes is dropped, so it costs no ingestion. `up` and
# the scrape_* series are made by the scraper and always kept.
KEPT_METRICS: dict[str, tuple[str, ...]] = {
    "kubernetes-apiservers": ("apiserver_request_total", "apiserver_current_inflight_requests"),
    KUBELET_JOB: (
        "kubelet_running_pods",
        "kubelet_volume_stats_available_bytes",
        "kubelet_volume_stats_capacity_bytes",
    ),
    "cadvisor": ("container_cpu_usage_seconds_total", "container_memory_working_set_bytes"),
    "kube-state-metrics": (
        "kube_deployment_spec_replicas",
        "kube_deployment_status_replicas_available",
        "kube_horizontalpodautoscaler_spec_max_replicas",
        "kube_horizontalpodautoscaler_status_current_replicas",
        "kube_pod_container_resource_limits",
        "kube_pod_status_phase",
        "kube_pod_status_ready",
    ),
    "node-exporter": ("node_filesystem_avail_bytes", "node_filesystem_size_bytes"),
    "traefik": ("traefik_service_requests_total", "traefik_service_request_duration_seconds_bucket"),
}


def _keep(job: str) -> list[dict[str, object]]:
    return [{"action": "keep", "source_labels": ["__name__"], "regex": "|".join(KEPT_METRICS[job])}]


def _tcp(*ports: int) -> list[dict[str, object]]:
    return [{"protocol": "TCP", "port": port} for port in ports]


def addon_network_policies(args: ObservabilityArgs) -> dict[str, dict[str, Any]]:
    """Per add-on namespace, the NetworkPolicy spec of all its pods (strict mode: nothing else is open).

    - kube-state-metrics reads the API server; the collector (ENIs in the private subnets) and the
      kubelet's probes (node addresses, private subnets too) reach its two ports.
    - the node exporter runs on the host network (chart default `hostNetwork: true`), which network
      policies do not cover; its policy still names its one port, should that default change.
    - amazon-cloudwatch: the operator's webhook is called by the control plane (ENIs in the VPC),
      its probes come from the kubelet, and it and the agents talk HTTPS to the API server and to
      the CloudWatch, Logs and STS endpoints (through NAT). Fluent Bit and the agent are host-network.
    """
    from_private = [{"ipBlock": {"cidr": cidr}} for cidr in args.private_subnet_cidrs]
    dns = {"to": [KUBE_DNS], "ports": DNS_PORTS}
    return {
        ADDON_NAMESPACES["kube-state-metrics"]: {
            "podSelector": {},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": from_private, "ports": _tcp(*KUBE_STATE_METRICS_PORTS)}],
            "egress": [dns, api_server(args.vpc_cidr)],
        },
        ADDON_NAMESPACES["prometheus-node-exporter"]: {
            "podSelector": {},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": from_private, "ports": _tcp(NODE_EXPORTER_PORT)}],
        },
        ADDON_NAMESPACES["amazon-cloudwatch-observability"]: {
            "podSelector": {},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [
                {"from": [{"ipBlock": {"cidr": args.vpc_cidr}}], "ports": _tcp(OPERATOR_WEBHOOK_PORT)},
                {"from": from_private, "ports": _tcp(OPERATOR_PROBE_PORT)},
            ],
            "egress": [dns, {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": _tcp(443)}],
        },
    }


def scrape_configuration(args: ObservabilityArgs) -> str:
    """The collector's Prometheus scrape config (AMP user guide, "Scraper configuration")."""
    # API-proxied jobs as AWS documents them for the managed collector (terraform-provider-aws
    # docs, aws_prometheus_scraper example, from the AMP user guide's scraper configuration):
    # `scheme: https`, the service-account token file, the address kubernetes.default.svc:443, and
    # no `tls_config`: the collector, not a pod, holds the cluster's CA and token at those paths.
    # Not verified against GetDefaultScraperConfiguration itself (docs/observability.md).
    api = "kubernetes.default.svc:443"
    token = {"credentials_file": "/var/run/secrets/kubernetes.io/serviceaccount/token"}

    def through_api(job: str, path: str) -> dict[str, object]:
        return {
            "job_name": job,
            "scheme": "https",
            "authorization": token,
            "kubernetes_sd_configs": [{"role": "node"}],
            "relabel_configs": [
                # Node labels (platform/node-group among them) on every series of the job.
                {"action": "labelmap", "regex": "__meta_kubernetes_node_label_(.+)"},
                {"target_label": "__address__", "replacement": api},
                {
                    "source_labels": ["__meta_kubernetes_node_name"],
                    "regex": "(.+)",
                    "target_label": "__metrics_path__",
                    "replacement": f"/api/v1/nodes/$1/proxy/{path}",
                },
            ],
        }

    def endpoints(job: str, namespace: str, port: str | None = None) -> dict[str, object]:
        keep: dict[str, object] = {
            "action": "keep",
            "source_labels": ["__meta_kubernetes_namespace"],
            "regex": namespace,
        }
        relabel: list[dict[str, object]] = [keep]
        if port is not None:
            relabel.append({"action": "keep", "source_labels": ["__meta_kubernetes_endpoint_port_name"], "regex": port})
        return {
            "job_name": job,
            "kubernetes_sd_configs": [{"role": "endpoints", "namespaces": {"names": [namespace]}}],
            "relabel_configs": [
                *relabel,
                {"source_labels": ["__meta_kubernetes_pod_node_name"], "target_label": "node"},
            ],
        }

    traefik: dict[str, object] = {
        "job_name": "traefik",
        "kubernetes_sd_configs": [{"role": "pod", "namespaces": {"names": [args.ingress_namespace]}}],
        "relabel_configs": [
            {
                "action": "keep",
                "source_labels": ["__meta_kubernetes_pod_label_app_kubernetes_io_name"],
                "regex": "traefik",
            },
            {"action": "keep", "source_labels": ["__meta_kubernetes_pod_container_port_name"], "regex": "metrics"},
        ],
    }
    jobs: list[dict[str, object]] = [
        {
            "job_name": "kubernetes-apiservers",
            "scheme": "https",
            "authorization": token,
            "kubernetes_sd_configs": [{"role": "endpoints"}],
            "relabel_configs": [
                {
                    "action": "keep",
                    "regex": "default;kubernetes;https",
                    "source_labels": [
                        "__meta_kubernetes_namespace",
                        "__meta_kubernetes_service_name",
                        "__meta_kubernetes_endpoint_port_name",
                    ],
                }
            ],
        },
        through_api(KUBELET_JOB, "metrics"),
        through_api("cadvisor", "metrics/cadvisor"),
        endpoints("kube-state-metrics", ADDON_NAMESPACES["kube-state-metrics"]),
        endpoints("node-exporter", ADDON_NAMESPACES["prometheus-node-exporter"]),
        traefik,
    ]
    config = {
        "global": {"scrape_interval": f"{args.scrape_interval}s"},
        "scrape_configs": [{**job, "metric_relabel_configs": _keep(str(job["job_name"]))} for job in jobs],
    }
    return yaml_text(config)

"""Observability of one region: metrics, alerts, logs kept 30 days and archived a year, a dashboard.

- Metrics: an Amazon Managed Service for Prometheus workspace (CMK) and AWS's managed collector
  (no in-cluster agent), scraping the kubelet and cAdvisor through the API server, the API server,
  kube-state-metrics and prometheus-node-exporter (EKS community add-ons) and Traefik. The
  collector reaches the cluster as the Kubernetes user `aps-collector-user`, through an access
  entry for its service-linked role and a read-only ClusterRole (AMP user guide, "Configuring your
  Amazon EKS cluster"); its network interfaces sit in the cluster's private subnets with the EKS
  cluster security group, which the nodes and the control plane admit.
- Alerts: Prometheus rules (components/alert_rules.py) in a rule group namespace; AMP's alert
  manager routes critical and warning to two CMK-encrypted SNS topics, with subscriptions from
  config. PostgreSQL connection failures and slow queries are metric filters on the database's
  log group and CloudWatch alarms to the same topics.
- Logs: the `amazon-cloudwatch-observability` add-on (Fluent Bit: every container's stdout and
  stderr, JSON logs parsed into `log_processed`; the CloudWatch agent: Container Insights). Its
  log groups are made here first, with the names the add-on writes to, the configured retention
  (30 days) and a CMK. A subscription filter sends them, and the control-plane log group, through
  Firehose to an S3 archive: CMK, TLS only, public access blocked, Glacier after
  `archiveTransitionDays`, expired after `archiveDays` (365).
- A CloudWatch dashboard (components/dashboards.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import yaml
from pulumi_aws.iam import GetPolicyDocumentStatementArgs as Statement
from pulumi_aws.iam import GetPolicyDocumentStatementConditionArgs as Condition
from pulumi_aws.iam import GetPolicyDocumentStatementPrincipalArgs as Principal

from eksplatform.components import iam
from eksplatform.components.alert_rules import (
    KUBELET_JOB,
    TOPIC_KINDS,
    AlertRule,
    RuleScope,
    Severity,
    TopicKind,
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
from eksplatform.components.facts import ObservabilityAddon
from eksplatform.components.kms import customer_managed_key
from eksplatform.components.log_groups import encrypted_log_groups
from eksplatform.components.network_policy_peers import DNS_PORTS, KUBE_DNS, api_server
from eksplatform.environments import profile
from eksplatform.stack.config import ObservabilityConfig

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


@dataclass(frozen=True)
class ObservabilityArgs:
    config: ObservabilityConfig
    environment: str
    region: str
    cluster_name: str
    cluster_arn: pulumi.Input[str]
    cluster_security_group_id: pulumi.Input[str]
    """The EKS cluster security group: nodes and control plane admit it (the collector's ENIs carry it)."""
    private_subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    private_subnet_cidrs: Sequence[pulumi.Input[str]]
    vpc_cidr: pulumi.Input[str]
    """The cluster VPC's range: the control plane's ENIs (webhook calls, the API server) sit in it."""
    oidc_provider_arn: pulumi.Input[str]
    oidc_issuer_url: pulumi.Input[str]
    kubernetes_provider: k8s.Provider
    control_plane_log_group: pulumi.Input[str]
    """The EKS control-plane log group's name (made by the Cluster)."""
    database_identifier: str
    database_log_group: str
    """The PostgreSQL log group (`/aws/rds/{cluster|instance}/<id>/postgresql`)."""
    cache_groups: Sequence[str]
    sandbox_namespace: str
    service_namespaces: Sequence[str]
    ingress_namespace: str
    ingress_pod_labels: Mapping[str, str]
    node_group_max_sizes: Mapping[str, int]
    topics: Mapping[TopicKind, aws.sns.Topic]
    """The critical, warning and heartbeat topics (components/alert_topics.py)."""
    depends_on: Sequence[pulumi.Resource] = field(default_factory=list)
    """The cluster and the database: add-ons, the collector and the filters on their log groups wait for them."""

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


class Observability(pulumi.ComponentResource):
    """Metrics, alerts, logs and a dashboard for one region's cluster and data stores."""

    workspace_arn: pulumi.Output[str]
    """The AMP workspace."""
    topic_arns: dict[TopicKind, pulumi.Output[str]]
    """The SNS topics critical and warning alerts go to."""
    archive_bucket: pulumi.Output[str]
    """The S3 bucket that keeps the logs a year."""
    rules: list[AlertRule]
    """The Prometheus alert rules, as registered."""
    view: RegionView
    """What the region's dashboard reads; the global dashboard reads every region's."""

    def __init__(self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:index:Observability", name, None, opts)
        self._name = name
        self._args = args
        self._context = context = AwsContext.of(self)
        protect = profile(args.environment).protect_resources

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
        self.topics = dict(args.topics)
        self._topic_policies = [self._topic_policy(kind, self.topics[kind]) for kind in TOPIC_KINDS]
        self.rules = alert_rules(args.config.thresholds, args.rule_scope)
        self.rule_groups = aws.amp.RuleGroupNamespace(
            f"{name}-alert-rules",
            name="platform",
            workspace_id=self.workspace.id,
            data=rule_file(self.rules),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.alert_manager = aws.amp.AlertManagerDefinition(
            f"{name}-alert-manager",
            workspace_id=self.workspace.id,
            definition=pulumi.Output.all(*(self.topics[kind].arn for kind in TOPIC_KINDS)).apply(
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
            retention_days=args.config.log_retention_days,
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

        self.view = args.view
        self.workspace_arn = self.workspace.arn
        self.topic_arns = {severity: topic.arn for severity, topic in self.topics.items()}
        self.archive_bucket = self.archive.bucket
        self.register_outputs(
            {
                "workspaceArn": self.workspace_arn,
                "criticalTopicArn": self.topic_arns["critical"],
                "warningTopicArn": self.topic_arns["warning"],
                "archiveBucket": self.archive_bucket,
            }
        )

    # --- alerts ------------------------------------------------------------------------------

    def _topic_policy(self, severity: TopicKind, topic: aws.sns.Topic) -> aws.sns.TopicPolicy:
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
                    resources=[topic.arn],
                    principals=[Principal(type="AWS", identifiers=[context.account_root])],
                ),
                # AMP user guide, "Giving Amazon Managed Service for Prometheus permission to send alert
                # messages to your Amazon SNS topic": Publish and GetTopicAttributes, from this workspace.
                Statement(
                    sid="AlertManagerPublishes",
                    actions=["sns:Publish", "sns:GetTopicAttributes"],
                    resources=[topic.arn],
                    principals=[Principal(type="Service", identifiers=["aps.amazonaws.com"])],
                    conditions=[
                        same_account,
                        Condition(test="ArnEquals", variable="aws:SourceArn", values=[self.workspace.arn]),
                    ],
                ),
                Statement(
                    sid="CloudWatchAlarmsPublish",
                    actions=["sns:Publish"],
                    resources=[topic.arn],
                    principals=[Principal(type="Service", identifiers=["cloudwatch.amazonaws.com"])],
                    conditions=[same_account],
                ),
            ],
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        return aws.sns.TopicPolicy(
            f"{name}-policy", arn=topic.arn, policy=policy.json, opts=pulumi.ResourceOptions(parent=self)
        )

    def _alarm(
        self, suffix: str, *, metric: str, threshold: float, severity: Severity, description: str
    ) -> aws.cloudwatch.MetricAlarm:
        topic = self.topics[severity].arn
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
        thresholds = args.config.thresholds
        after_database = pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on))
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

    def _addon(self, addon: ObservabilityAddon) -> aws.eks.Addon:
        return aws.eks.Addon(
            f"{self._name}-{addon}",
            cluster_name=self._args.cluster_name,
            addon_name=addon,
            addon_version=self._args.config.addon_versions[addon],
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            # The namespace is ours (created first, with its NetworkPolicy): deleting or replacing the
            # add-on must not take it, and the policy, with it (aws_eks_addon `preserve`).
            preserve=True,
            # Add-ons run as pods: after the cluster's nodes, and after their namespace's policy.
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[self.addon_policies[ADDON_NAMESPACES[addon]], *self._args.depends_on]
            ),
        )

    def _addon_network_policies(self) -> dict[str, k8s.networking.v1.NetworkPolicy]:
        """Each add-on's namespace, made here first, with the one policy its pods need (per namespace)."""
        on_cluster = pulumi.ResourceOptions(parent=self, provider=self._args.kubernetes_provider)
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
        metric_addons: tuple[ObservabilityAddon, ...] = ("kube-state-metrics", "prometheus-node-exporter")
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
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*self.addons.values(), *args.depends_on]),
        )
        on_cluster = pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider)
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
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on)),
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
            addon_version=args.config.addon_versions["amazon-cloudwatch-observability"],
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
                    *args.depends_on,
                ],
            ),
        )

    def _archive(self, protect: bool) -> aws.s3.Bucket:
        """S3 (CMK, TLS only, private; Glacier, then expired) fed by Firehose from the log groups."""
        args, name, context, config = self._args, self._name, self._context, self._config
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
                            days=config.archive_transition_days, storage_class="GLACIER"
                        )
                    ],
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=config.archive_days),
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
                    parent=self, depends_on=[*logs_role.ready, put_records, *groups, *args.depends_on]
                ),
            )
            for kind, group in archived.items()
        }
        return bucket

    @property
    def _config(self) -> ObservabilityConfig:
        return self._args.config


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
        "global": {"scrape_interval": f"{args.config.scrape_interval_seconds}s"},
        "scrape_configs": [{**job, "metric_relabel_configs": _keep(str(job["job_name"]))} for job in jobs],
    }
    return yaml.safe_dump(config, sort_keys=False)

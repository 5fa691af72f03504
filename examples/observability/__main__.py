"""Observability on its own: alert topics, metrics, alerts, logs and a dashboard for an existing cluster.

Everything about the cluster and the database comes from config (an EKS cluster and an Aurora
PostgreSQL cluster made elsewhere); the providers are explicit, as default providers are off.
"""

import pulumi
import pulumi_kubernetes as k8s

from eksplatform.components.alert_topics import AlertSubscription, AlertTopics, AlertTopicsArgs, NotificationProtocol
from eksplatform.components.observability import (
    AlertThresholds,
    Observability,
    ObservabilityArgs,
    WarningAlertThresholds,
)
from eksplatform.components.providers import regional_aws_provider

config = pulumi.Config()
region = config.require("region")
cluster_name = config.require("clusterName")
database = config.require("databaseIdentifier")

aws_provider = regional_aws_provider(
    f"aws-{region}",
    region=region,
    tags={"owner": "shop-team", "cost-center": "cc-shop", "managed-by": "pulumi", "environment": pulumi.get_stack()},
)
cluster = k8s.Provider("cluster", kubeconfig=config.require_secret("kubeconfig"), enable_server_side_apply=True)

topics = AlertTopics(
    "alerts",
    AlertTopicsArgs(
        cluster_name=cluster_name,
        critical_subscriptions=[
            AlertSubscription(protocol=NotificationProtocol.EMAIL, endpoint=config.require("oncallEmail"))
        ],
    ),
    opts=pulumi.ResourceOptions(provider=aws_provider),
)
observability = Observability(
    "observability",
    ObservabilityArgs(
        region=region,
        cluster_name=cluster_name,
        cluster_arn=config.require("clusterArn"),
        cluster_security_group_id=config.require("clusterSecurityGroupId"),
        private_subnet_ids=config.require_object("privateSubnetIds"),
        private_subnet_cidrs=config.require_object("privateSubnetCidrs"),
        vpc_cidr=config.require("vpcCidr"),
        oidc_provider_arn=config.require("oidcProviderArn"),
        oidc_issuer_url=config.require("oidcIssuerUrl"),
        # EKS writes the control-plane log here; RDS exports the PostgreSQL log here.
        control_plane_log_group=f"/aws/eks/{cluster_name}/cluster",
        database_identifier=database,
        database_log_group=f"/aws/rds/cluster/{database}/postgresql",
        cache_groups=[],
        sandbox_namespace="apps",
        service_namespaces=["apps", "traefik"],
        ingress_namespace="traefik",
        ingress_pod_labels={"app.kubernetes.io/name": "traefik"},
        node_group_max_sizes={"system": 6},
        critical_topic_arn=topics.critical_topic_arn,
        warning_topic_arn=topics.warning_topic_arn,
        heartbeat_topic_arn=topics.heartbeat_topic_arn,
        addon_versions={
            "amazon-cloudwatch-observability": "v4.7.0-eksbuild.1",
            "kube-state-metrics": "v2.14.0-eksbuild.1",
            "prometheus-node-exporter": "v1.9.1-eksbuild.2",
        },
        # Warn on pods at 70 % of their CPU limit; every other threshold keeps its default.
        thresholds=AlertThresholds(warning=WarningAlertThresholds(cpu_percent=70)),
        # A dev cluster: its workspace and archive may be deleted with the stack.
        protect=False,
    ),
    # The Kubernetes parts go to the cluster; the AWS parts to the region.
    opts=pulumi.ResourceOptions(providers=[aws_provider, cluster]),
)

pulumi.export("workspaceArn", observability.workspace_arn)
pulumi.export("criticalTopicArn", topics.critical_topic_arn)
pulumi.export("archiveBucket", observability.archive_bucket)

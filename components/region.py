"""Region: everything the platform runs in one AWS region, built with that region's provider.

Vpc -> Cluster -> ManagedPostgres, RedisCluster `cache` and `queue` (each reachable only from
the cluster's node security group), LanguageServicePool and PublicIngress on the cluster's
Kubernetes provider. The region's `aws.Provider` is a child of the Region, so nothing in it can
fall back to another region's (or a default) provider.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi

from components.cluster import Cluster, ClusterArgs
from components.config import RegionConfig, StackConfig
from components.ingress import PublicIngress, PublicIngressArgs
from components.language_services import LanguageServicePool, LanguageServicePoolArgs
from components.postgres import GlobalDatabasePrimary, GlobalDatabaseSecondary, ManagedPostgres, ManagedPostgresArgs
from components.providers import regional_aws_provider
from components.redis import GlobalDatastorePrimary, GlobalDatastoreSecondary, Purpose, RedisCluster, RedisClusterArgs
from components.vpc import Vpc, VpcArgs

PURPOSES: tuple[Purpose, ...] = ("cache", "queue")


@dataclass(frozen=True)
class RegionArgs:
    config: RegionConfig
    environment: str
    tags: Mapping[str, str]
    """Default tags of every resource (environment, owner, cost-center, managed-by)."""
    allowed_account_ids: Sequence[str]
    rpo_minutes: int
    random_provider: pulumi.ProviderResource
    """For generated passwords; one per program."""
    global_database: GlobalDatabasePrimary | GlobalDatabaseSecondary | None = None
    global_queue: GlobalDatastorePrimary | GlobalDatastoreSecondary | None = None

    @classmethod
    def from_stack(
        cls,
        stack: StackConfig,
        region: RegionConfig,
        random_provider: pulumi.ProviderResource,
        *,
        global_database: GlobalDatabasePrimary | GlobalDatabaseSecondary | None = None,
        global_queue: GlobalDatastorePrimary | GlobalDatastoreSecondary | None = None,
    ) -> RegionArgs:
        return cls(
            config=region,
            environment=stack.environment,
            tags=stack.tags,
            allowed_account_ids=stack.allowed_account_ids,
            rpo_minutes=stack.rpo_minutes,
            random_provider=random_provider,
            global_database=global_database,
            global_queue=global_queue,
        )


class Region(pulumi.ComponentResource):
    """One region of the platform; its name is the AWS region (`us-east-1`)."""

    provider: pulumi.ProviderResource
    network: Vpc
    cluster: Cluster
    database: ManagedPostgres
    redis: dict[Purpose, RedisCluster]
    language_services: LanguageServicePool
    ingress: PublicIngress
    kubernetes_version: str

    def __init__(self, name: str, args: RegionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:index:Region", name, None, opts)
        config = args.config
        self.kubernetes_version = config.cluster.kubernetes_version
        self.provider = regional_aws_provider(
            f"aws-{config.name}",
            region=config.name,
            tags=args.tags,
            allowed_account_ids=args.allowed_account_ids,
            parent=self,
        )
        in_region = pulumi.ResourceOptions(parent=self, providers=[self.provider, args.random_provider])
        cluster_name = f"platform-{args.environment}-{config.name}"
        self.network = Vpc(f"{name}-network", VpcArgs.from_config(config, cluster_name=cluster_name), opts=in_region)
        self.cluster = Cluster(
            f"{name}-cluster",
            ClusterArgs.from_config(
                config.cluster,
                cluster_name=cluster_name,
                vpc=self.network,
                instance_tags=args.tags,
                environment=args.environment,
            ),
            opts=in_region,
        )
        # Data stores admit the cluster's nodes and nothing else.
        from_nodes = {"eks-nodes": self.cluster.node_security_group_id}
        self.database = ManagedPostgres(
            f"{name}-postgres",
            ManagedPostgresArgs.from_config(
                config.postgres,
                environment=args.environment,
                region=config.name,
                vpc=self.network,
                allowed_security_groups=from_nodes,
                rpo_minutes=args.rpo_minutes,
                global_database=args.global_database,
            ),
            opts=in_region,
        )
        self.redis = {
            purpose: RedisCluster(
                f"{name}-redis-{purpose}",
                RedisClusterArgs.from_config(
                    purpose,
                    getattr(config.redis, purpose),
                    environment=args.environment,
                    region=config.name,
                    vpc=self.network,
                    allowed_security_groups=from_nodes,
                    global_datastore=args.global_queue if purpose == "queue" else None,
                    rpo_minutes=args.rpo_minutes,
                ),
                opts=in_region,
            )
            for purpose in PURPOSES
        }
        on_cluster = pulumi.ResourceOptions(parent=self)
        self.language_services = LanguageServicePool(
            f"{name}-language-services",
            LanguageServicePoolArgs(
                config.language_services,
                kubernetes_provider=self.cluster.kubernetes_provider,
                kubernetes_version=config.cluster.kubernetes_version,
            ),
            opts=on_cluster,
        )
        self.ingress = PublicIngress(
            f"{name}-ingress",
            PublicIngressArgs(self.cluster.kubernetes_provider, kubernetes_version=config.cluster.kubernetes_version),
            opts=on_cluster,
        )
        self.register_outputs(
            {
                "vpcId": self.network.vpc_id,
                "clusterName": self.cluster.cluster_name,
                "databaseWriterEndpoint": self.database.writer_endpoint,
                "ingressHostname": self.ingress.hostname,
            }
        )

"""The platform program: read the stack config, build every region, export the outputs.

Region and Platform components (issue #8) will take over the per-region wiring below.
"""

import pulumi

from components.cluster import Cluster, ClusterArgs
from components.config import stack_config_from_pulumi
from components.language_services import LanguageServicePool, LanguageServicePoolArgs
from components.postgres import GlobalDatabasePrimary, GlobalDatabaseSecondary, ManagedPostgres, ManagedPostgresArgs
from components.providers import random_provider, regional_aws_provider
from components.redis import GlobalDatastorePrimary, GlobalDatastoreSecondary, RedisCluster, RedisClusterArgs
from components.vpc import Vpc, VpcArgs

config = stack_config_from_pulumi()
passwords = random_provider()

vpcs: dict[str, Vpc] = {}
clusters: dict[str, Cluster] = {}
caches: dict[str, dict[str, RedisCluster]] = {}
databases: dict[str, ManagedPostgres] = {}
pools: dict[str, LanguageServicePool] = {}
global_queue: RedisCluster | None = None
global_database: ManagedPostgres | None = None
# The primary region first: secondaries join what it creates (the global database, the queue's
# Global Datastore).
for region in sorted(config.regions, key=lambda region: not region.primary):
    provider = regional_aws_provider(
        f"aws-{region.name}",
        region=region.name,
        tags=config.tags,
        allowed_account_ids=config.allowed_account_ids,
    )
    in_region = pulumi.ResourceOptions(providers=[provider, passwords])
    cluster_name = f"platform-{config.environment}-{region.name}"
    vpc = vpcs[region.name] = Vpc(
        f"{region.name}-network", VpcArgs.from_config(region, cluster_name=cluster_name), opts=in_region
    )
    clusters[region.name] = Cluster(
        f"{region.name}-cluster",
        ClusterArgs.from_config(
            region.cluster,
            cluster_name=cluster_name,
            vpc=vpc,
            instance_tags=config.tags,
            environment=config.environment,
        ),
        opts=in_region,
    )
    pools[region.name] = LanguageServicePool(
        f"{region.name}-language-services",
        LanguageServicePoolArgs(
            region.language_services,
            kubernetes_provider=clusters[region.name].kubernetes_provider,
            kubernetes_version=region.cluster.kubernetes_version,
        ),
    )
    # Several regions share one Aurora Global Database, written in the primary region.
    membership: GlobalDatabasePrimary | GlobalDatabaseSecondary | None = None
    if len(config.regions) > 1:
        membership = (
            GlobalDatabasePrimary(f"platform-{config.environment}")
            if global_database is None
            else global_database.membership()
        )
    database = databases[region.name] = ManagedPostgres(
        f"{region.name}-postgres",
        ManagedPostgresArgs.from_config(
            region.postgres,
            environment=config.environment,
            region=region.name,
            vpc=vpc,
            allowed_security_groups={"eks-nodes": clusters[region.name].node_security_group_id},
            rpo_minutes=config.rpo_minutes,
            global_database=membership,
        ),
        opts=in_region,
    )
    if isinstance(membership, GlobalDatabasePrimary):
        global_database = database
    caches[region.name] = {}
    for purpose in ("cache", "queue"):
        settings = getattr(region.redis, purpose)
        joins: GlobalDatastorePrimary | GlobalDatastoreSecondary | None = None
        if purpose == "queue" and settings.global_datastore:
            if global_queue is None:
                joins = GlobalDatastorePrimary(suffix=f"platform-{config.environment}-queue")
            else:
                assert global_queue.global_replication_group_id is not None and global_queue.auth_token is not None
                joins = GlobalDatastoreSecondary(global_queue.global_replication_group_id, global_queue.auth_token)
        redis = caches[region.name][purpose] = RedisCluster(
            f"{region.name}-redis-{purpose}",
            RedisClusterArgs.from_config(
                purpose,
                settings,
                environment=config.environment,
                region=region.name,
                vpc=vpc,
                allowed_security_groups={"eks-nodes": clusters[region.name].node_security_group_id},
                global_datastore=joins,
            ),
            opts=in_region,
        )
        if isinstance(joins, GlobalDatastorePrimary):
            global_queue = redis

pulumi.export("environment", config.environment)
pulumi.export("primaryRegion", config.primary_region.name)
pulumi.export("regions", [region.name for region in config.regions])
pulumi.export(
    "networks",
    {
        name: {
            "vpcId": vpc.vpc_id,
            "publicSubnetIds": vpc.public_subnet_ids,
            "privateSubnetIds": vpc.private_subnet_ids,
            "databaseSubnetIds": vpc.database_subnet_ids,
        }
        for name, vpc in vpcs.items()
    },
)
pulumi.export(
    "clusters",
    {
        name: {
            "name": cluster.cluster_name,
            "endpoint": cluster.endpoint,
            "oidcProviderArn": cluster.oidc_provider_arn,
            "nodeSecurityGroupId": cluster.node_security_group_id,
        }
        for name, cluster in clusters.items()
    },
)
pulumi.export(
    "databases",
    {
        name: {
            "writerEndpoint": database.writer_endpoint,
            "readerEndpoint": database.reader_endpoint,
            "port": database.port,
            "secretArn": database.secret_arn,
            "securityGroupId": database.security_group_id,
            "identifier": database.identifier,
            "arn": database.arn,
            "proxyEndpoint": database.proxy_endpoint,
            "proxyReaderEndpoint": database.proxy_reader_endpoint,
        }
        for name, database in databases.items()
    },
)
if global_database is not None:
    # What the failover runbook needs: the global cluster and every member by region.
    pulumi.export(
        "globalDatabase",
        {
            "identifier": global_database.global_cluster_identifier,
            "primaryRegion": config.primary_region.name,
            "members": {
                name: {
                    "clusterArn": database.arn,
                    "clusterIdentifier": database.identifier,
                    "writerEndpoint": database.writer_endpoint,
                    "readerEndpoint": database.reader_endpoint,
                }
                for name, database in databases.items()
            },
        },
    )
pulumi.export(
    "languageServices",
    {name: {"namespace": pool.namespace, "endpoints": pool.endpoints} for name, pool in pools.items()},
)
pulumi.export(
    "redis",
    {
        name: {
            purpose: {
                "endpoint": redis.endpoint,
                "readerEndpoint": redis.reader_endpoint,
                "port": redis.port,
                "authSecretArn": redis.auth_secret_arn,
            }
            for purpose, redis in by_purpose.items()
        }
        for name, by_purpose in caches.items()
    },
)
pulumi.export("kubeconfigs", {name: cluster.kubeconfig for name, cluster in clusters.items()})

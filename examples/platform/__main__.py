"""The smallest multi-region Platform, built from plain PlatformArgs.

Two regions, us-east-1 (the primary: it writes) and eu-west-1. The Platform builds the primary
Region first, then the other, which joins what the primary made: one Aurora PostgreSQL Global
Database spans both (so both regions run Aurora), the primary's ECR replicates every image to
the other region, the two VPCs are peered, and GlobalDns names the entries: `api.<domain>`
(latency-routed, health-checked) and `primary.<domain>` (the region of the database's writer).

Each region is the dev shape of examples/region (environment `dev`: nothing protected or kept),
except the database: a global database needs memory-optimized instances and a pinned full version.
"""

import pulumi

from eksplatform.components.alert_topics import AlertSubscription, AlertTopicsSettings, NotificationProtocol
from eksplatform.components.cluster import ClusterNodeGroup, ClusterSettings, NodeCapacityType, NodeGroupKind
from eksplatform.components.language_catalog import CATALOG
from eksplatform.components.language_services import LanguageServicesSettings, SandboxedService, ServiceArchitecture
from eksplatform.components.observability import ObservabilitySettings
from eksplatform.components.postgres import PostgresEngine, PostgresSettings
from eksplatform.components.redis import RedisSettings
from eksplatform.components.vpc import NatStrategy, VpcSettings
from eksplatform.stack.platform import Platform, PlatformArgs, PlatformDns
from eksplatform.stack.region import EnvironmentName, RegionSettings

config = pulumi.Config()
account = config.require("accountId")
DEV_LOG_RETENTION_DAYS = 14  # a CloudWatch retention period, and the dev policy's minimum


def catalog_service(registry: str, name: str) -> SandboxedService:
    """A language service of the catalog (components/language_catalog.py): its pinned image and sizes."""
    entry = CATALOG[name]
    return SandboxedService(
        name=name,
        image=f"{registry}/{entry.repository}:{entry.tag}",
        min_replicas=1,
        max_replicas=3,
        cpu_request=entry.cpu_request,
        cpu_limit=entry.cpu_limit,
        memory_request=entry.memory_request,
        memory_limit=entry.memory_limit,
        tmp_size=entry.tmp_size,
        architecture=None if entry.architecture is None else ServiceArchitecture(entry.architecture),
    )


def region_settings(region: str, cidr: str) -> RegionSettings:
    """One region's settings; only the region and its VPC's CIDR differ (peered VPCs may not overlap)."""
    # Each region pulls from its own ECR; the primary's replicates every push there.
    registry = f"{account}.dkr.ecr.{region}.amazonaws.com/platform-example"
    return RegionSettings(
        region=region,
        vpc=VpcSettings(
            cidr=cidr,
            az_count=2,  # EKS needs subnets in at least two zones
            nat_strategy=NatStrategy.SINGLE,  # one NAT gateway: cheaper; production has one per zone
            flow_log_retention_days=DEV_LOG_RETENTION_DAYS,
        ),
        cluster=ClusterSettings(
            kubernetes_version="1.35",  # EKS standard support until 2027-03-27
            node_groups=[
                ClusterNodeGroup(
                    name="system",
                    instance_types=["t4g.medium"],  # Graviton: the add-ons and Traefik ship arm64 images
                    min_size=2,
                    desired_size=2,
                    max_size=3,
                    disk_size_gib=20,  # the AL2023 EKS AMI needs 20 GiB
                ),
                ClusterNodeGroup(
                    name="sandbox",
                    kind=NodeGroupKind.SANDBOX,
                    capacity_type=NodeCapacityType.SPOT,
                    instance_types=["t3a.xlarge", "t3.xlarge"],
                    min_size=1,
                    desired_size=1,
                    max_size=3,
                    disk_size_gib=20,
                ),
            ],
            # Pinned, never AWS's default: `aws eks describe-addon-versions --kubernetes-version 1.35`.
            addon_versions={
                "vpc-cni": "v1.20.4-eksbuild.2",
                "kube-proxy": "v1.35.3-eksbuild.13",
                "coredns": "v1.14.2-eksbuild.4",
                "eks-pod-identity-agent": "v1.3.9-eksbuild.3",
                "aws-ebs-csi-driver": "v1.51.1-eksbuild.1",
                "metrics-server": "v0.8.0-eksbuild.2",
            },
            log_retention_days=DEV_LOG_RETENTION_DAYS,
            deletion_protection=False,  # dev
        ),
        postgres=PostgresSettings(
            engine=PostgresEngine.AURORA,  # several regions share one Aurora Global Database
            # A global database needs memory-optimized classes (Aurora user guide, "Configuration
            # requirements of an Amazon Aurora global database": db.r5 or higher).
            instance_class="db.r7g.large",
            engine_version="17.5",  # a global database pins the full version
            readers=0,  # dev: the writer alone (the other region holds a copy)
            backup_retention_days=7,
            log_retention_days=DEV_LOG_RETENTION_DAYS,
            deletion_protection=False,
            final_snapshot=False,
            keep_data=False,
        ),
        cache=RedisSettings(
            node_type="cache.t4g.micro",
            replicas_per_shard=0,
            snapshot_retention_days=0,  # a cache can be rebuilt: no snapshots
            log_retention_days=DEV_LOG_RETENTION_DAYS,
            keep_data=False,
        ),
        # Two regions keep the queue in one Global Datastore (PlatformArgs' global_queue, by default),
        # which takes only some node families (ElastiCache, "Global datastores: prerequisites").
        queue=RedisSettings(
            node_type="cache.m7g.large",
            replicas_per_shard=0,
            snapshot_retention_days=1,  # a queue keeps at least one day of snapshots
            log_retention_days=DEV_LOG_RETENTION_DAYS,
            keep_data=False,
        ),
        language_services=LanguageServicesSettings(
            services=[catalog_service(registry, "python"), catalog_service(registry, "c")]
        ),
        image_registry=registry,  # the system images beside the services': the pack admits only the account's ECR
    )


args = PlatformArgs(
    environment=EnvironmentName.DEV,
    # The policy pack requires environment, owner and cost-center on every AWS resource.
    tags={"environment": "dev", "owner": "platform-team", "cost-center": "cc-platform-dev", "managed-by": "pulumi"},
    regions=[region_settings("us-east-1", "10.10.0.0/16"), region_settings("eu-west-1", "10.11.0.0/16")],
    primary_region="us-east-1",  # the writer, built first (required with several regions)
    dns=PlatformDns(domain=config.require("domain"), hosted_zone_id=config.require("zoneId")),
    allowed_account_ids=[account],
    observability=ObservabilitySettings(
        # Pinned: `aws eks describe-addon-versions --kubernetes-version 1.35 --addon-name <name>`.
        addon_versions={
            "amazon-cloudwatch-observability": "v4.7.0-eksbuild.1",
            "kube-state-metrics": "v2.14.0-eksbuild.1",
            "prometheus-node-exporter": "v1.9.1-eksbuild.2",
        },
        protect=False,  # dev
    ),
    alerts=AlertTopicsSettings(
        critical_subscriptions=[
            AlertSubscription(protocol=NotificationProtocol.EMAIL, endpoint=config.require("alertEmail"))
        ]
    ),
    # The first run creates only the repositories and the replication (push the images to the primary
    # region, wait for the copies, then run again without it; docs/upgrades.md).
    registries_only=config.get_bool("registriesOnly") or False,
)

platform = Platform("example", args)

for name, value in platform.stack_outputs().items():
    pulumi.export(name, value)

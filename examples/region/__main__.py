"""One Region of the platform on its own, built from plain settings.

`Region` composes the building blocks: a Vpc, a Cluster (a system and a gVisor sandbox node group),
ManagedPostgres, the `cache` and `queue` RedisClusters, a LanguageServicePool and the PublicIngress,
plus the ImageRegistry of the images kept in this region's ECR. It makes its own AWS provider
(`aws-<region>`, with the default tags and the allowed account) and a random provider for the
generated passwords, so this program makes none.

The values are the dev stack's (Pulumi.dev.yaml at the repository root): the cheapest shape that
still passes every mandatory policy of the `dev` environment. What is not set keeps the
component's default, which is production's (eksplatform/environments.py).
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
from eksplatform.stack.region import EnvironmentName, Region, RegionArgs, RegionDns

config = pulumi.Config()
region = config.require("region")
account = config.require("accountId")
# The images live in this region's ECR under a path of this example's own (repository names are
# unique per account and region): the Region creates a repository for each of them.
registry = f"{account}.dkr.ecr.{region}.amazonaws.com/region-example"


def catalog_service(name: str, *, min_replicas: int, max_replicas: int) -> SandboxedService:
    """A language service of the catalog (components/language_catalog.py): its pinned image and sizes."""
    entry = CATALOG[name]
    return SandboxedService(
        name=name,
        image=f"{registry}/{entry.repository}:{entry.tag}",
        min_replicas=min_replicas,
        max_replicas=max_replicas,
        cpu_request=entry.cpu_request,
        cpu_limit=entry.cpu_limit,
        memory_request=entry.memory_request,
        memory_limit=entry.memory_limit,
        tmp_size=entry.tmp_size,
        architecture=None if entry.architecture is None else ServiceArchitecture(entry.architecture),
    )


# Dev: small, and disposable (no deletion protection, no final snapshots, nothing kept); the dev
# environment's profile allows each of these, production's would refuse them.
DEV_LOG_RETENTION_DAYS = 14  # a CloudWatch retention period, and the dev policy's minimum

args = RegionArgs(
    region=region,
    environment=EnvironmentName.DEV,
    # The policy pack requires environment, owner and cost-center on every AWS resource.
    tags={"environment": "dev", "owner": "platform-team", "cost-center": "cc-platform-dev", "managed-by": "pulumi"},
    allowed_account_ids=[account],
    dns=RegionDns(domain=config.require("domain"), zone_id=config.require("zoneId")),
    vpc=VpcSettings(
        cidr="10.10.0.0/16",
        az_count=2,  # EKS needs subnets in at least two zones
        nat_strategy=NatStrategy.SINGLE,  # one NAT gateway: cheaper; production has one per zone
        flow_log_retention_days=DEV_LOG_RETENTION_DAYS,
    ),
    cluster=ClusterSettings(
        kubernetes_version="1.35",  # EKS standard support until 2027-03-27
        node_groups=[
            # The add-ons, CoreDNS, Traefik and the cluster-autoscaler; Graviton, since they ship
            # arm64 images. Two: one t4g.medium holds 17 pods, too few for them all with headroom.
            ClusterNodeGroup(
                name="system",
                instance_types=["t4g.medium"],
                min_size=2,
                desired_size=2,
                max_size=3,
                disk_size_gib=20,  # the AL2023 EKS AMI needs 20 GiB
            ),
            # Untrusted code: tainted, gVisor, its own role and security group. Spot, with two
            # instance types of one architecture (a group runs one AMI).
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
        deletion_protection=False,  # dev: `pulumi destroy` may remove the cluster
        # The API endpoint stays private (the default): see the README for where `pulumi up` runs.
    ),
    postgres=PostgresSettings(
        engine=PostgresEngine.RDS,
        instance_class="db.t4g.micro",
        major_version=17,
        allocated_storage_gib=20,  # gp3's smallest size
        max_allocated_storage_gib=50,  # autoscaling cap: at least 1.1x the allocated storage
        multi_az=False,  # dev: no standby
        backup_retention_days=7,  # 1-35 days; the dev policy's minimum is 7
        log_retention_days=DEV_LOG_RETENTION_DAYS,
        deletion_protection=False,
        final_snapshot=False,
        keep_data=False,
    ),
    # Valkey (the default engine), no replica: dev accepts losing a node's data.
    cache=RedisSettings(
        node_type="cache.t4g.micro",
        replicas_per_shard=0,
        snapshot_retention_days=0,  # a cache can be rebuilt: no snapshots
        log_retention_days=DEV_LOG_RETENTION_DAYS,
        keep_data=False,
    ),
    queue=RedisSettings(
        node_type="cache.t4g.micro",
        replicas_per_shard=0,
        snapshot_retention_days=1,  # a queue keeps at least one day of snapshots
        log_retention_days=DEV_LOG_RETENTION_DAYS,
        keep_data=False,
    ),
    language_services=LanguageServicesSettings(
        services=[
            catalog_service("python", min_replicas=1, max_replicas=3),
            catalog_service("c", min_replicas=1, max_replicas=3),
        ],
        # Everything else keeps its secure default: gVisor, no egress (DNS included), only the
        # `backend` namespace's backend pods may call in, pods on the tainted sandbox nodes.
    ),
    # The system images (cluster-autoscaler, Traefik, the load balancer controller) beside the
    # services': the policy pack admits only the account's own ECR.
    image_registry=registry,
    # Metrics, alert rules, logs and a dashboard: the policy pack requires the alerts in every environment.
    observability=ObservabilitySettings(
        # Pinned: `aws eks describe-addon-versions --kubernetes-version 1.35 --addon-name <name>`.
        addon_versions={
            "amazon-cloudwatch-observability": "v4.7.0-eksbuild.1",
            "kube-state-metrics": "v2.14.0-eksbuild.1",
            "prometheus-node-exporter": "v1.9.1-eksbuild.2",
        },
        protect=False,  # dev: the workspace, the log archive and their keys may be destroyed
    ),
    # SNS mails a confirmation link first; nobody is paged until it is followed.
    alerts=AlertTopicsSettings(
        critical_subscriptions=[
            AlertSubscription(protocol=NotificationProtocol.EMAIL, endpoint=config.require("alertEmail"))
        ]
    ),
    # The first run creates only the repositories (push the images, then run again without it):
    # the Deployments wait for pods that need their images (docs/upgrades.md, "Images").
    registries_only=config.get_bool("registriesOnly") or False,
)

example = Region("example", args)

pulumi.export("repositoryUrls", example.repository_urls)  # where to push the images, set in the first step too
if not args.registries_only:
    pulumi.export("vpcId", example.vpc_id)
    pulumi.export("clusterName", example.cluster_name)
    pulumi.export("clusterEndpoint", example.cluster_endpoint)
    pulumi.export("kubeconfig", example.kubeconfig)  # a secret
    pulumi.export("databaseWriterEndpoint", example.database_writer_endpoint)
    pulumi.export("cacheEndpoint", example.cache_endpoint)
    pulumi.export("queueEndpoint", example.queue_endpoint)
    pulumi.export("ingressHostname", example.ingress_hostname)

"""Region: everything the platform runs in one AWS region, built with that region's provider.

Vpc -> Cluster -> ManagedPostgres, RedisCluster `cache` and `queue` (each reachable only from
the cluster's node security group), LanguageServicePool and PublicIngress on the cluster's
Kubernetes provider. The region's `aws.Provider` is a child of the Region, so nothing in it can
fall back to another region's (or a default) provider.

The primary region also makes the stack's Route 53 zone (unless config names an existing one),
and delegates it from the parent zone config names: every region's entry validates its
certificate there through public DNS, so it must exist and resolve before any entry. In a
global database, each region has a writer alarm that Route 53 reads (components/writer_health.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import pulumi
import pulumi_aws as aws

from eksplatform.components.alert_topics import AlertTopics
from eksplatform.components.cluster import SYSTEM_GROUP, Cluster, DeployerAccess
from eksplatform.components.cluster_autoscaler import NAME as AUTOSCALER_NAME
from eksplatform.components.cluster_autoscaler import image_tag
from eksplatform.components.deployer import DeployerSide, PeerSide, VpcPeering, VpcPeeringArgs
from eksplatform.components.ingress import RELEASE_NAME as INGRESS_RELEASE
from eksplatform.components.ingress import PublicIngress, entry_images
from eksplatform.components.inputs import args_from_settings
from eksplatform.components.language_services import LanguageServicePool
from eksplatform.components.naming import StackNames
from eksplatform.components.observability import Observability, ObservabilityArgs
from eksplatform.components.offline import OfflineRegion
from eksplatform.components.postgres import ManagedPostgres, PostgresGlobalDatabase
from eksplatform.components.providers import regional_aws_provider
from eksplatform.components.redis import RedisCluster, RedisGlobalDatastore
from eksplatform.components.registry import ImageRegistry, ecr_repository, repository_arn
from eksplatform.components.vpc import Vpc
from eksplatform.components.writer_health import WriterAlarm, writer_alarm
from eksplatform.environments import profile
from eksplatform.stack.cluster_args import cluster_args
from eksplatform.stack.config import ObservabilityConfig, RegionConfig, StackConfig
from eksplatform.stack.data_args import postgres_args, redis_args, vpc_args
from eksplatform.stack.observability_args import alert_topics_args, observability_settings
from eksplatform.stack.services_args import (
    INGRESS_NAMESPACE,
    image_registry_args,
    language_service_pool_args,
    public_ingress_args,
)

PURPOSES: tuple[str, ...] = ("cache", "queue")
# The NS delegation of a zone made here: two days, the TTL Route 53 gives a new zone's own NS record.
DELEGATION_TTL_SECONDS = 172800


@dataclass(frozen=True)
class RegionDns:
    """The stack's public DNS as one region sees it."""

    domain: str
    zone_id: pulumi.Input[str] | None
    """The Route 53 zone of `domain`; None: this region creates it (the primary, without a given zone)."""
    health_path: str
    """The path the backends answer on the entry for Route 53's health checks."""
    parent_zone_id: str | None = None
    """Where a zone made here is delegated (NS record); required when `zone_id` is None."""


@dataclass(frozen=True)
class RegionArgs:
    config: RegionConfig
    environment: str
    names: StackNames
    """The stack's AWS physical names (components/naming.py): from the project and stack, not `environment`."""
    tags: Mapping[str, str]
    """Default tags of every resource (environment, owner, cost-center, managed-by)."""
    allowed_account_ids: Sequence[str]
    rpo_minutes: int
    random_provider: pulumi.ProviderResource
    """For generated passwords; one per program."""
    dns: RegionDns
    global_database: PostgresGlobalDatabase | None = None
    global_queue: RedisGlobalDatastore | None = None
    shared_repositories: Sequence[str] = ()
    registries_only: bool = False
    """Build only the provider and the image registry (config `registriesOnly`)."""
    deployer: DeployerSide | None = None
    """Where `pulumi up` runs: this region's VPC is peered with it before anything uses the cluster."""
    observability: ObservabilityConfig | None = None
    """Metrics, alerts, logs and a dashboard (config `observability`); None: none are built."""
    unreachable: OfflineRegion | None = None
    """Set when the region's AWS API is down (config `unreachableRegions`): no lookups, no checks."""
    peer_private_cidrs: Mapping[str, str] = field(default_factory=dict)
    """The other regions' private subnets (nodes; sandbox nodes too), keyed `<region>-private-<n>`:
    the data stores admit them on their port, for the services' cross-region calls over the mesh."""
    """Every region's own repository names (`own_repositories`): made here too, so each region has
    every repository the primary replicates, and the primary replicates every one a region uses."""

    @classmethod
    def from_stack(
        cls,
        stack: StackConfig,
        region: RegionConfig,
        random_provider: pulumi.ProviderResource,
        *,
        names: StackNames,
        dns: RegionDns,
        global_database: PostgresGlobalDatabase | None = None,
        global_queue: RedisGlobalDatastore | None = None,
        deployer: DeployerSide | None = None,
    ) -> RegionArgs:
        return cls(
            config=region,
            environment=stack.environment,
            names=names,
            tags=stack.tags,
            allowed_account_ids=stack.allowed_account_ids,
            rpo_minutes=stack.rpo_minutes,
            random_provider=random_provider,
            dns=dns,
            global_database=global_database,
            global_queue=global_queue,
            shared_repositories=stack_repositories(stack) if len(stack.regions) > 1 else (),
            registries_only=stack.registries_only,
            deployer=deployer,
            observability=stack.observability,
            unreachable=OfflineRegion(
                region=region.name,
                account=(stack.allowed_account_ids or [stack.deployer.account_id if stack.deployer else ""])[0],
                zone_ids=region.vpc.availability_zone_ids,
                sts_region=next(
                    (other.name for other in stack.regions if other.name not in stack.unreachable_regions),
                    stack.deployer.deployer_region if stack.deployer else region.name,
                ),
            )
            if region.name in stack.unreachable_regions
            else None,
            peer_private_cidrs={
                f"{other.name}-private-{index + 1}": cidr
                for other in stack.regions
                if other.name != region.name
                for index, cidr in enumerate(private_subnet_cidrs(other))
            },
        )


class Region(pulumi.ComponentResource):
    """One region of the platform; its name is the AWS region (`us-east-1`)."""

    provider: pulumi.ProviderResource
    network: Vpc
    cluster: Cluster
    database: ManagedPostgres
    redis: dict[str, RedisCluster]
    language_services: LanguageServicePool
    ingress: PublicIngress
    kubernetes_version: str
    registry: ImageRegistry | None
    """This region's ECR repositories (None when no image comes from this region's ECR)."""
    zone_id: pulumi.Output[str]
    """The stack's Route 53 zone (made here in the primary region, or the one config names)."""
    name_servers: pulumi.Output[list[str]] | None
    """The created zone's name servers (delegate the domain to them); None where no zone was made here."""
    deployer_peering: VpcPeering | None
    """The peering with the deployer network (None without a deployer in config)."""
    writer_alarm: WriterAlarm | None
    """In a global database: the alarm that is OK only while this region's cluster holds the writer."""
    alert_topics: AlertTopics | None
    """The critical and warning topics (with config `observability`): the data stores' alarms go to critical."""
    observability: Observability | None
    """Metrics, alerts, logs and the region's dashboard (None without config `observability`)."""

    def __init__(self, name: str, args: RegionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:index:Region", name, None, opts)
        config = args.config
        self._config = config
        self._region_name = config.name
        self.kubernetes_version = config.cluster.kubernetes_version
        self.provider = regional_aws_provider(
            f"aws-{config.name}",
            region=config.name,
            tags=args.tags,
            allowed_account_ids=args.allowed_account_ids,
            parent=self,
            unreachable=args.unreachable is not None,
            sts_region=args.unreachable.sts_region if args.unreachable is not None else None,
        )
        in_region = pulumi.ResourceOptions(parent=self, providers=[self.provider, args.random_provider])
        names = args.names
        cluster_name = names.eks_cluster(config.name)
        autoscaler_image = own_autoscaler_image(config)
        sandbox_repositories, system_repositories = own_repositories(config)
        # A region that keeps images in its ECR also creates the other regions' repositories: the
        # primary's replication filters are its own repository names, so a repository only a
        # secondary uses would get no images (ECR user guide, "Private image replication").
        shared = [r for r in args.shared_repositories if r not in (*sandbox_repositories, *system_repositories)]
        own = [*sandbox_repositories, *system_repositories]
        self.repositories = [*own, *shared] if own else []
        # The repositories are shared by the stacks of an account (docs/naming.md): the
        # environment's own stack creates them, any other stack only pulls from them.
        self.registry = (
            ImageRegistry(
                f"{name}-registry",
                image_registry_args(self.repositories, environment=args.environment),
                opts=in_region,
            )
            if self.repositories and names.owns_shared
            else None
        )
        if args.registries_only:
            # The first deployment's first step (docs/upgrades.md): repositories to push to, nothing
            # that waits for images. The same names and parents as a full run, so nothing moves later.
            self.register_outputs({})
            return
        self.name_servers = None
        if args.dns.zone_id is None:
            if args.dns.parent_zone_id is None:
                # ACM validates through public DNS: an undelegated zone stalls `pulumi up` for 75 min.
                raise pulumi.RunError("dns.parentZoneId: a zone made here must be delegated; name the parent zone")
            zone = aws.route53.Zone(
                f"{name}-zone",
                name=args.dns.domain,
                comment="platform: the public entry points",
                # A new zone gets new name servers, and the parent domain's delegation breaks.
                opts=pulumi.ResourceOptions.merge(
                    in_region, pulumi.ResourceOptions(protect=profile(args.environment).protect_resources)
                ),
            )
            # The delegation in the parent zone, before anything uses the zone: ACM resolves the
            # validation records from the public DNS root down (docs/public-entry.md, "Bootstrap").
            delegation = aws.route53.Record(
                f"{name}-zone-delegation",
                zone_id=args.dns.parent_zone_id,
                name=args.dns.domain,
                type="NS",
                ttl=DELEGATION_TTL_SECONDS,
                records=zone.name_servers,
                opts=in_region,
            )
            self.zone_id = pulumi.Output.all(zone.zone_id, delegation.fqdn).apply(lambda ids: str(ids[0]))
            self.name_servers = zone.name_servers
        else:
            self.zone_id = pulumi.Output.from_input(args.dns.zone_id)
        self.network = Vpc(
            f"{name}-network",
            vpc_args(
                config.vpc,
                region=config.name,
                cluster_name=cluster_name,
                flow_log_group=names.flow_log_group(f"{name}-network"),
            ),
            opts=in_region,
        )
        self.deployer_peering = None
        deployer_access: DeployerAccess | None = None
        if args.deployer is not None:
            self.deployer_peering = VpcPeering(
                f"{name}-deployer-peering",
                VpcPeeringArgs(
                    requester=self.peer_side(),
                    accepter=args.deployer.side,
                    description=f"platform {args.environment} {config.name} <-> the deployer network",
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            deployer_access = DeployerAccess(
                cidr=args.deployer.side.cidr, runner_role_arn=args.deployer.runner_role_arn
            )
        arns: Mapping[str, pulumi.Input[str]] = (
            self.registry.repository_arns if self.registry is not None else shared_repository_arns(config)
        )
        self.cluster = Cluster(
            f"{name}-cluster",
            cluster_args(
                config.cluster,
                cluster_name=cluster_name,
                environment=args.environment,
                vpc_id=self.network.vpc_id,
                subnet_ids=self.network.private_subnet_ids,
                instance_tags=args.tags,
                system_image_repository_arns=[arns[repository] for repository in system_repositories],
                sandbox_image_repository_arns=[arns[repository] for repository in sandbox_repositories],
                autoscaler_image=autoscaler_image,
                deployer=deployer_access,
            ),
            opts=in_region,
            deployer_path=self.deployer_peering.ready if self.deployer_peering is not None else (),
        )
        # Data stores admit the system nodes and nothing else: never the sandbox nodes' group.
        from_nodes = {"eks-nodes": self.cluster.node_security_group_id}
        # With observability, the data stores' alarms (replication lag above the RPO among them) go
        # to the critical topic, whose subscriptions page someone; the topics exist before them.
        self.alert_topics = None
        critical_topic_arn: pulumi.Output[str] | None = None
        if args.observability is not None:
            self.alert_topics = AlertTopics(
                f"{name}-observability",
                alert_topics_args(args.observability, cluster_name=cluster_name),
                opts=in_region,
            )
            critical_topic_arn = self.alert_topics.critical_topic_arn
        database_args = postgres_args(
            config.postgres,
            environment=args.environment,
            identifier=names.database(config.name),
            vpc_id=self.network.vpc_id,
            subnet_ids=self.network.database_subnet_ids,
            availability_zones=self.network.availability_zones,
            allowed_security_groups=from_nodes,
            allowed_cidrs=args.peer_private_cidrs,
            rpo_minutes=args.rpo_minutes,
            alarm_topic_arn=critical_topic_arn,
            global_database=args.global_database,
        )
        self.database = ManagedPostgres(f"{name}-postgres", database_args, opts=in_region)
        self.writer_alarm = None
        if args.global_database is not None:
            _, self.writer_alarm = writer_alarm(
                f"{name}-database-writer",
                cluster_identifier=self.database.identifier,
                region=config.name,
                alarm_prefix=names.alarm(f"{name}-database-writer"),
                opts=in_region,
            )
        redis_by_purpose = {
            purpose: redis_args(
                purpose,
                getattr(config.redis, purpose),
                environment=args.environment,
                replication_group_id=names.cache(config.name, purpose),
                vpc_id=self.network.vpc_id,
                subnet_ids=self.network.database_subnet_ids,
                allowed_security_groups=from_nodes,
                allowed_cidrs=args.peer_private_cidrs,
                global_datastore=args.global_queue if purpose == "queue" else None,
                rpo_minutes=args.rpo_minutes,
                alarm_topic_arn=critical_topic_arn,
            )
            for purpose in PURPOSES
        }
        self.redis = {
            purpose: RedisCluster(f"{name}-redis-{purpose}", redis_by_purpose[purpose], opts=in_region)
            for purpose in PURPOSES
        }
        # The language services and the entry get the cluster's Kubernetes provider (and the entry the
        # region's AWS provider) through `providers`; their children inherit them.
        kubernetes = self.cluster.kubernetes_provider
        self.language_services = LanguageServicePool(
            f"{name}-language-services",
            language_service_pool_args(
                config.language_services,
                kubernetes_version=config.cluster.kubernetes_version,
                # An output of the RuntimeClass: the pods wait for it (admission refuses them before).
                runtime_class_name=self.cluster.sandbox_runtime_class.metadata.apply(lambda m: str(m["name"])),
            ),
            opts=pulumi.ResourceOptions(parent=self, providers=[kubernetes]),
        )
        self.ingress = PublicIngress(
            f"{name}-ingress",
            public_ingress_args(
                kubernetes_version=config.cluster.kubernetes_version,
                cluster_name=self.cluster.cluster_name,
                vpc_id=self.network.vpc_id,
                vpc_cidr=self.network.cidr_block,
                public_subnet_ids=self.network.public_subnet_ids,
                public_subnet_cidrs=[subnet.cidr_block for subnet in self.network.subnets["public"]],
                oidc_provider_arn=self.cluster.oidc_provider_arn,
                oidc_provider_url=self.cluster.oidc_provider_url,
                domain=args.dns.domain,
                zone_id=self.zone_id,
                tags=args.tags,
                health_path=args.dns.health_path,
                system_nodes_min=config.cluster.node_groups[SYSTEM_GROUP].min_size,
                language_services=config.language_services,
                # The entry's images live beside the autoscaler's, in this region's ECR when it has one.
                image_registry=config.language_services.image_registry if autoscaler_image is not None else None,
            ),
            opts=pulumi.ResourceOptions(parent=self, providers=[self.provider, args.random_provider, kubernetes]),
        )
        self.observability = None
        if args.observability is not None and self.alert_topics is not None:
            kind = "cluster" if config.postgres.engine == "aurora" else "instance"
            ingress_namespace = INGRESS_NAMESPACE
            self.observability = Observability(
                f"{name}-observability",
                args_from_settings(
                    ObservabilityArgs,
                    observability_settings(args.observability, environment=args.environment),
                    region=config.name,
                    cluster_name=cluster_name,
                    cluster_arn=self.cluster.cluster_arn,
                    cluster_security_group_id=self.cluster.cluster_security_group_id,
                    private_subnet_ids=self.network.private_subnet_ids,
                    private_subnet_cidrs=[subnet.cidr_block for subnet in self.network.subnets["private"]],
                    vpc_cidr=self.network.cidr_block,
                    oidc_provider_arn=self.cluster.oidc_provider_arn,
                    oidc_issuer_url=self.cluster.oidc_provider_url,
                    control_plane_log_group=self.cluster.log_group.name,
                    database_identifier=database_args.identifier,
                    # The log group RDS exports the PostgreSQL log to (components/postgres.py).
                    database_log_group=f"/aws/rds/{kind}/{database_args.identifier}/postgresql",
                    cache_groups=[redis_by_purpose[purpose].replication_group_id for purpose in PURPOSES],
                    sandbox_namespace=config.language_services.namespace,
                    service_namespaces=[
                        config.language_services.namespace,
                        config.language_services.backend_namespace,
                        ingress_namespace,
                    ],
                    ingress_namespace=ingress_namespace,
                    ingress_pod_labels={
                        "app.kubernetes.io/name": "traefik",
                        "app.kubernetes.io/instance": f"{INGRESS_RELEASE}-{ingress_namespace}",
                    },
                    node_group_max_sizes={
                        group: settings.max_size for group, settings in config.cluster.node_groups.items()
                    },
                    critical_topic_arn=self.alert_topics.critical_topic_arn,
                    warning_topic_arn=self.alert_topics.warning_topic_arn,
                    heartbeat_topic_arn=self.alert_topics.heartbeat_topic_arn,
                ),
                # The add-ons, the collector and the filters on the database's log group wait for
                # the cluster and the database.
                opts=pulumi.ResourceOptions.merge(
                    in_region,
                    pulumi.ResourceOptions(
                        providers=[self.cluster.kubernetes_provider], depends_on=[self.cluster, self.database]
                    ),
                ),
            )
        self.register_outputs(
            {
                "vpcId": self.network.vpc_id,
                "repositories": self.repositories,
                "clusterName": self.cluster.cluster_name,
                "databaseWriterEndpoint": self.database.writer_endpoint,
                "ingressHostname": self.ingress.hostname,
            }
        )

    def mesh_side(self) -> PeerSide:
        """This region's VPC as one side of a region-to-region peering: the private route tables and
        the database route table (Aurora and Valkey answer the other regions' services from there)."""
        side = self.peer_side()
        tables = {**side.route_table_ids, "database": self.network.route_tables["database"][0].id}
        return replace(side, route_table_ids=tables)

    def peer_side(self) -> PeerSide:
        """This region's VPC as one side of a peering: its private route tables (nodes, pods and the
        control plane's network interfaces) get the route to the other side."""
        return PeerSide(
            vpc_id=self.network.vpc_id,
            region=self._region_name,
            cidr=str(self._config.vpc.cidr),
            route_table_ids={key: table.id for key, table in self.network.private_route_tables.items()},
            provider=self.provider,
        )


def private_subnet_cidrs(region: RegionConfig) -> list[str]:
    """A region's private subnet CIDRs in AZ order, planned from config as its Vpc plans them."""
    plan = vpc_args(region.vpc, region=region.name).plan()
    return [str(planned.cidr) for planned in plan if planned.tier == "private"]


def own_autoscaler_image(config: RegionConfig) -> str | None:
    """The cluster-autoscaler image in the region's own ECR registry, when its registry is an ECR one."""
    registry = config.language_services.image_registry
    if registry is None or ecr_repository(f"{registry}/x:1") is None:
        return None
    return f"{registry}/{AUTOSCALER_NAME}:{image_tag(config.cluster.kubernetes_version)}"


def shared_repository_arns(config: RegionConfig) -> dict[str, str]:
    """By repository name, the ARNs of this region's ECR repositories another stack created.

    From the image references themselves: `<account>.dkr.ecr.<region>.amazonaws.com` is the
    `aws` partition (China's registries end in `.amazonaws.com.cn`, which `ecr_repository` does
    not accept)."""
    services = [service.image for service in config.language_services.resolved_services().values()]
    registry = config.language_services.image_registry
    system = [*entry_images(registry).values(), own_autoscaler_image(config) or ""] if registry else []
    arns: dict[str, str] = {}
    for image in (*services, *system):
        parsed = ecr_repository(image)
        if parsed is not None and parsed[1] == config.name:
            account, region, repository = parsed
            arns[repository] = repository_arn("aws", region, account, repository)
    return arns


def _in_region(region: str, images: Sequence[str]) -> list[str]:
    names: list[str] = []
    for image in images:
        parsed = ecr_repository(image)
        if parsed is not None and parsed[1] == region and parsed[2] not in names:
            names.append(parsed[2])
    return names


def own_repositories(config: RegionConfig) -> tuple[list[str], list[str]]:
    """Repository names of the images that live in this region's ECR: (sandbox's, system's)."""
    services = [service.image for service in config.language_services.resolved_services().values()]
    autoscaler = own_autoscaler_image(config)
    # The entry's images (Traefik, the load balancer controller) live beside the autoscaler's.
    system = [autoscaler, *entry_images(config.language_services.image_registry).values()] if autoscaler else []
    return _in_region(config.name, services), _in_region(config.name, system)


def stack_repositories(stack: StackConfig) -> list[str]:
    """The union of every region's own repository names, in config order."""
    names: list[str] = []
    for region in stack.regions:
        sandbox, system = own_repositories(region)
        names += [name for name in (*sandbox, *system) if name not in names]
    return names

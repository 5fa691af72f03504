"""Region: everything the platform runs in one AWS region, built with that region's provider.

Vpc -> Cluster -> ManagedPostgres, RedisCluster `cache` and `queue` (each reachable only from
the cluster's node security group), LanguageServicePool and PublicIngress on the cluster's
Kubernetes provider. The region's `aws.Provider` is a child of the Region, so nothing in it can
fall back to another region's (or a default) provider.

Its Args compose the building blocks' settings (`RegionSettings`: `VpcSettings`,
`ClusterSettings`, `PostgresSettings`, ...; each component's Args extends its settings with the
wiring the Region fills in: ids, names, ARNs, subnets) with what the region shares with the rest of
the platform (`RegionArgs`: environment, tags, accounts, DNS, the deployer network, global
memberships, observability). Plain types, so Pulumi's component host serves the Region to every
language (docs/other-languages.md): no `from __future__ import annotations` here.

The primary region also makes the stack's Route 53 zone (unless config names an existing one),
and delegates it from the parent zone config names: every region's entry validates its
certificate there through public DNS, so it must exist and resolve before any entry. In a
global database, each region has a writer alarm that Route 53 reads (components/writer_health.py).
"""

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

import pulumi
import pulumi_aws as aws

from eksplatform.components.alert_topics import AlertTopics, AlertTopicsArgs, AlertTopicsSettings
from eksplatform.components.cluster import Cluster, ClusterArgs, ClusterSettings, DeployerAccess, NodeGroupKind
from eksplatform.components.cluster_autoscaler import NAME as AUTOSCALER_NAME
from eksplatform.components.cluster_autoscaler import image_tag
from eksplatform.components.data_rules import (
    DataRuleError,
    check_global_datastore_node_type,
    check_queue_snapshots,
)
from eksplatform.components.deployer import PeerSide, VpcPeering, VpcPeeringArgs
from eksplatform.components.dns import DEFAULT_HEALTH_PATH, certificate_domain_problem, health_path_problem
from eksplatform.components.ingress import RELEASE_NAME as INGRESS_RELEASE
from eksplatform.components.ingress import PublicIngress, PublicIngressArgs, entry_images, registry_prefix_problem
from eksplatform.components.inputs import ArgsError, args_from_settings, check_fields, placed, to_args
from eksplatform.components.language_services import (
    LanguageServicePool,
    LanguageServicePoolArgs,
    LanguageServicesSettings,
)
from eksplatform.components.naming import StackNames
from eksplatform.components.observability import Observability, ObservabilityArgs, ObservabilitySettings
from eksplatform.components.offline import OfflineRegion, offline
from eksplatform.components.postgres import (
    ManagedPostgres,
    ManagedPostgresArgs,
    PostgresEngine,
    PostgresGlobalDatabase,
    PostgresSettings,
    check_global_database,
)
from eksplatform.components.providers import random_provider, regional_aws_provider
from eksplatform.components.redis import (
    RedisCluster,
    RedisClusterArgs,
    RedisGlobalDatastore,
    RedisPurpose,
    RedisSettings,
    check_datastore_membership,
)
from eksplatform.components.registry import ImageRegistry, ecr_repository, repository_arn
from eksplatform.components.vpc import Vpc, VpcArgs, VpcSettings
from eksplatform.components.writer_health import WriterAlarm, writer_alarm
from eksplatform.environments import DEFAULT_RPO_MINUTES, profile
from eksplatform.stack.deployer_connection import (
    DeployerNetwork,
    deployer_region_provider,
    deployer_side,
    runner_boundary,
)
from eksplatform.stack.region_rules import (
    check_alerts,
    check_deployer,
    check_environment,
    check_platform_node_groups,
    check_region_network,
    check_registry_account,
    check_registry_region,
    check_stack_values,
    check_zone_delegation,
    hosted_zone_id_problem,
    known_region_problem,
    subnet_slots,
)
from eksplatform.stack.services_args import INGRESS_NAMESPACE, image_registry_args

PURPOSES: tuple[str, ...] = ("cache", "queue")
# A building block's wiring field named otherwise in RegionArgs, for errors (components/inputs.py
# `placed`): the queue's Global Datastore membership is the Region's `global_queue`.
WIRING_FROM_ARGS = {"global_datastore": "global_queue"}
# The NS delegation of a zone made here: two days, the TTL Route 53 gives a new zone's own NS record.
DELEGATION_TTL_SECONDS = 172800


class RegionArgsError(ArgsError):
    """Bad Region or Platform arguments; the message starts with the field (`args.dns.domain`)."""


class EnvironmentName(StrEnum):  # the profiles' names (tests/stacks/test_region_args.py compares them)
    """The environment a stack belongs to: its profile (eksplatform/environments.py) decides what is
    protected and kept, and it becomes the `environment` tag."""

    DEV = "dev"
    """Cheap and disposable: nothing protected, no final snapshots."""
    STAGING = "staging"
    """Production's shape at a smaller size."""
    PROD = "prod"
    """Deletion protection, final snapshots, data and keys kept, resources protected."""


@dataclass(frozen=True, kw_only=True)
class RegionSettings:
    """What a person chooses for one region of the platform."""

    region: str
    """The AWS region (`us-east-1`); the Region's resources and its provider are made there."""
    vpc: VpcSettings
    """The region's network: CIDR, zones, NAT, subnet layout, flow logs, endpoints."""
    cluster: ClusterSettings
    """The EKS cluster: Kubernetes version, node groups (a system group; a sandbox group for the
    language services), add-ons, API endpoint access."""
    postgres: PostgresSettings
    """The PostgreSQL database (RDS or Aurora): class, version, storage, backups, windows."""
    cache: RedisSettings
    """The `cache` Valkey replication group: node type, shards, replicas, snapshots."""
    queue: RedisSettings
    """The `queue` Valkey replication group (in a multi-region platform, optionally one Global Datastore)."""
    language_services: LanguageServicesSettings
    """The sandboxed language services: images, replicas, resources, namespaces."""
    image_registry: str | None = None
    """This region's ECR registry, `<account>.dkr.ecr.<region>.amazonaws.com[/<path>]`: the system
    images (cluster-autoscaler, Traefik, the load balancer controller) are pulled from there, and the
    Region creates the repositories of every image that lives there (the services' too), in the
    stack named after its environment (the other stacks of an account pull from them). Another
    registry leaves the system images on their public registries. Default: the public registries."""

    def __post_init__(self) -> None:
        check_fields(self, RegionArgsError)
        problem = known_region_problem(self.region)
        if problem is not None:
            raise RegionArgsError(f"args.region: {problem}")
        try:
            self._check_region_rules()
        except DataRuleError as violation:
            raise RegionArgsError(f"args.{violation.field}: {violation.message}") from None
        if self.vpc.subnet_slots is None:
            # Every AZ the region has gets a subnet slot, as the stack file's VPCs do: the same
            # subnets from either path, and a zone added later moves none of them.
            try:
                vpc = replace(self.vpc, subnet_slots=subnet_slots(self.region))
            except ArgsError as error:  # the layout does not fit the region's slots: named under `vpc`
                raise RegionArgsError(str(error).replace("args.", "args.vpc.", 1)) from None
            object.__setattr__(self, "vpc", vpc)

    def _check_region_rules(self) -> None:
        """The platform's rules of one region, the stack file's own (eksplatform/stack/region_rules.py):
        refused here, before anything is registered."""
        if self.image_registry is not None:
            # The entry's images are pulled from there (PublicIngress; the stack file's rule too).
            problem = registry_prefix_problem(self.image_registry)
            if problem is not None:
                raise DataRuleError("image_registry", problem)
        check_platform_node_groups(group.resolved_kind for group in self.cluster.node_groups)
        check_region_network(
            self.region,
            cidr=self.vpc.cidr,
            az_count=self.vpc.resolved_az_count,
            zone_ids=self.vpc.availability_zone_ids,
            nat_strategy=self.vpc.resolved_nat_strategy,
        )
        check_registry_region(self.region, self.image_registry)
        with named_under("queue."):
            check_queue_snapshots(self.queue.resolved_snapshot_retention_days)


def check_public_dns(
    domain: str, *, zone_field: str, zone: object, parent_zone_id: str | None, health_path: str
) -> None:
    """The public DNS of a Region (its zone `zone_id`, which may be another region's output) or of a
    Platform (`hosted_zone_id`): the certificate's domain, zone ids Route 53 takes, a delegated zone
    (the stack file's rule, region_rules.check_zone_delegation) and the health path."""
    # The entry's certificate names the domain (PublicIngress): refused here, before the zone is made.
    problem = certificate_domain_problem(domain)
    if problem is not None:
        raise RegionArgsError(f"args.domain: {problem}")
    # A zone id known only at deployment (another region's output) is checked by Route 53 then.
    for field, value in ((zone_field, zone), ("parent_zone_id", parent_zone_id)):
        problem = hosted_zone_id_problem(value) if isinstance(value, str) else None
        if problem is not None:
            raise RegionArgsError(f"args.{field}: {problem}")
    try:
        # Only whether a zone is given matters to the rule (it may be an output).
        check_zone_delegation(
            domain,
            hosted_zone_id=None if zone is None else "given",
            parent_zone_id=parent_zone_id,
            spell=lambda field: zone_field if field == "hosted_zone_id" else field,
        )
    except DataRuleError as violation:
        field = zone_field if violation.field == "hosted_zone_id" else violation.field
        raise RegionArgsError(f"args.{field}: {violation.message}") from None
    problem = health_path_problem(health_path)
    if problem is not None:
        raise RegionArgsError(f"args.health_path: {problem}")


@dataclass(frozen=True, kw_only=True)
class RegionDns:
    """The platform's public DNS as one region sees it."""

    domain: str
    """The public domain the entry serves (`api.<domain>`, its certificate's names)."""
    zone_id: pulumi.Input[str] | None = None
    """The Route 53 zone of `domain`, already delegated. Default: the Region creates it (then
    `parent_zone_id` is required)."""
    parent_zone_id: str | None = None
    """Where a zone the Region creates is delegated (an NS record): ACM validates the certificate
    through public DNS, so the zone must resolve first. Only without `zone_id` (both are refused)."""
    health_path: str | None = None
    """The path the backends answer on the entry, for the load balancer's and Route 53's health
    checks. Default: `/healthz`."""

    def __post_init__(self) -> None:
        check_fields(self, RegionArgsError)
        check_public_dns(
            self.domain,
            zone_field="zone_id",
            zone=self.zone_id,
            parent_zone_id=self.parent_zone_id,
            health_path=self.resolved_health_path,
        )

    @property
    def resolved_health_path(self) -> str:
        return DEFAULT_HEALTH_PATH if self.health_path is None else self.health_path


@dataclass(frozen=True, kw_only=True)
class RegionArgs(RegionSettings):
    """One region of the platform: its settings and what it shares with the other regions."""

    environment: EnvironmentName
    """`dev`, `staging` or `prod`: its profile (eksplatform/environments.py) protects the zone and the
    registry, and fills the protection settings the building blocks leave unset (deletion
    protection, final snapshots, kept data); physical names carry the Pulumi project and stack."""
    tags: Mapping[str, str]
    """Default tags of every AWS resource (the policy pack requires environment, owner, cost-center)."""
    dns: RegionDns
    """The public domain and its Route 53 zone."""
    allowed_account_ids: Sequence[str] | None = None
    """AWS accounts the region's provider may act in; any other is refused. Default: any."""
    rpo_minutes: int | None = None
    """Recovery point objective: the data stores alarm when replication lags longer. Default: 15."""
    global_database: PostgresGlobalDatabase | None = None
    """Membership of an Aurora Global Database: the Platform sets it (its primary region creates the
    global database, the others join it with the primary's outputs); a program in another language
    composes several regions with Platform. Default: none."""
    global_queue: RedisGlobalDatastore | None = None
    """Membership of the queue's ElastiCache Global Datastore, which the Platform sets. Default: none."""
    shared_repositories: Sequence[str] | None = None
    """The other regions' repository names, created here too: the primary replicates every
    repository a region uses (ECR user guide, "Private image replication"). Default: none."""
    deployer: DeployerNetwork | None = None
    """The deployer network: the VPC is peered with it, its runner administers the cluster. Default:
    none (`pulumi up` must then reach the private API some other way)."""
    observability: ObservabilitySettings | None = None
    """Metrics, alerts, logs and a dashboard (Amazon Managed Prometheus, CloudWatch). Default: none built."""
    alerts: AlertTopicsSettings | None = None
    """Who the alert topics notify (with `observability`). Default: no subscriptions."""
    peer_private_cidrs: Mapping[str, str] | None = None
    """The other regions' private subnets, keyed `<region>-private-<n>`: the data stores admit them
    on their port for the services' calls over the region-to-region peering. Default: none."""
    registries_only: bool | None = None
    """The first deployment's first step (docs/upgrades.md): build only the provider and the image
    registry, so the images can be pushed before anything waits for them; the next run, without it,
    adds the rest around them (the same names and parents). Its outputs are unset meanwhile. Default: false."""

    def __post_init__(self) -> None:
        super().__post_init__()
        try:
            check_stack_values(self.rpo_minutes, self.allowed_account_ids)
            check_region_environment(self, str(self.environment))
            self._check_shared_rules()
        except DataRuleError as violation:
            raise RegionArgsError(f"args.{violation.field}: {violation.message}") from None

    def _check_shared_rules(self) -> None:
        """The rules of what the region shares with the stack: its accounts, the deployer, the global
        memberships, the alerts (eksplatform/stack/region_rules.py, components/data_rules.py)."""
        check_registry_account(self.image_registry, self.allowed_account_ids)
        if self.deployer is not None:
            check_deployer(
                deployer_cidr=self.deployer.deployer_cidr,
                runner_project_name=self.deployer.runner_project_name,
                account_id=self.deployer.account_id,
                environment=str(self.environment),
                allowed_account_ids=self.allowed_account_ids,
                networks=[("args.vpc.cidr", self.vpc.cidr)],
            )
        if self.global_database is not None:
            # The component's rule (components/postgres.py); its settings' fields named within the region.
            with named_under("postgres.", keep="global_database"):
                check_global_database(
                    self.global_database,
                    engine=self.postgres.engine,
                    engine_version=self.postgres.engine_version,
                    instance_class=self.postgres.instance_class,
                )
        if self.global_queue is not None:
            with named_under("queue."):
                check_global_datastore_node_type(self.queue.node_type)
            try:
                check_datastore_membership(self.global_queue)  # components/redis.py's rule
            except DataRuleError as violation:
                # The component's `global_datastore` is the region's `global_queue`.
                field = violation.field.replace("global_datastore", "global_queue", 1)
                raise DataRuleError(field, violation.message) from None
        check_alerts(self.alerts is not None, self.observability is not None)

    @property
    def resolved_rpo_minutes(self) -> int:
        return DEFAULT_RPO_MINUTES if self.rpo_minutes is None else self.rpo_minutes


@contextlib.contextmanager
def named_under(prefix: str, *, keep: str = "") -> Iterator[None]:
    """A building block's rule (its fields named within the block) named within the region; a field
    starting with `keep` is the region's own (the membership, a field of RegionArgs itself)."""
    try:
        yield
    except DataRuleError as violation:
        field = violation.field if keep and violation.field.startswith(keep) else prefix + violation.field
        raise DataRuleError(field, violation.message) from None


def check_region_environment(settings: RegionSettings, environment: str) -> None:
    """What `environment` requires of a region's settings (region_rules.check_environment), on the values
    the Region builds with: unset protection settings as environment_defaults fills them."""
    postgres = settings.postgres
    check_environment(
        environment,
        endpoint_public_access=bool(settings.cluster.endpoint_public_access),
        replicas_per_shard=[(purpose, getattr(settings, purpose).resolved_replicas_per_shard) for purpose in PURPOSES],
        backup_retention_days=postgres.resolved_backup_retention_days,
        deletion_protection=postgres.deletion_protection,
        engine=postgres.resolved_engine,
        readers=postgres.resolved_readers,
        multi_az=postgres.resolved_multi_az,
    )


class Region(pulumi.ComponentResource):
    """One region of the platform: a VPC, an EKS cluster, PostgreSQL, two Valkey groups, the sandboxed
    language services and the public entry, built with a provider of the region's own."""

    vpc_id: pulumi.Output[str]
    """The region's VPC."""
    cluster_name: pulumi.Output[str]
    """The EKS cluster's name."""
    cluster_endpoint: pulumi.Output[str]
    """The EKS API endpoint (private unless the cluster settings open it)."""
    kubeconfig: pulumi.Output[str]
    """A kubeconfig for the cluster (a secret): `aws eks get-token` with the caller's credentials."""
    database_writer_endpoint: pulumi.Output[str]
    """Where the services write to PostgreSQL (in a global database, the global writer endpoint)."""
    database_secret_arn: pulumi.Output[str]
    """The Secrets Manager secret holding the database's master credentials."""
    cache_endpoint: pulumi.Output[str]
    """The `cache` Valkey group's primary endpoint."""
    queue_endpoint: pulumi.Output[str]
    """The `queue` Valkey group's primary endpoint."""
    ingress_hostname: pulumi.Output[str]
    """The public entry's load balancer hostname (the DNS records point at it)."""
    zone_id: pulumi.Output[str]
    """The Route 53 zone of the domain (made here, or the one `dns.zone_id` names)."""
    repository_urls: pulumi.Output[dict[str, str]]
    """The ECR repositories this Region created (where the images it runs are pushed), URL by
    repository name; empty where it created none (no image in this region's ECR, or a stack that
    is not its environment's own). Set in the `registries_only` step too."""

    # Python callers also get the building blocks themselves: `provider` (the region's AWS
    # provider), `network`, `cluster`, `database`, `redis` (by purpose), `language_services`,
    # `ingress`, `registry` (None when no image lives in this region's ECR), `repositories`,
    # `name_servers` (the created zone's, else None), `deployer_peering`, `writer_alarm` (in a global
    # database), `alert_topics` and `observability` (with `args.observability`, else None).

    def __init__(
        self,
        name: str,
        args: RegionArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        random_provider: pulumi.ProviderResource | None = None,
        deployer_provider: pulumi.ProviderResource | None = None,
        unreachable: OfflineRegion | None = None,
    ) -> None:
        """The keywords are the Platform's (Python only): one random provider and one deployer-region
        provider for every region; `unreachable`, a region whose AWS API is down (config
        `unreachableRegions`: no lookups, the provider skips its checks)."""
        from_host = not isinstance(args, RegionArgs)
        args = environment_defaults(to_args(RegionArgs, args))
        check_registries_only(args.registries_only, StackNames.of_current_stack(args.environment))
        try:
            with runner_boundary(args.deployer), offline(unreachable):
                self._build(name, args, opts, random_provider, deployer_provider, unreachable)
        except ArgsError as error:
            # A rule only a building block's Args can check, named where the caller set it.
            raise placed(error, args, RegionArgs if from_host else None, renamed=WIRING_FROM_ARGS) from None

    def _build(
        self,
        name: str,
        args: RegionArgs,
        opts: pulumi.ResourceOptions | None,
        passwords: pulumi.ProviderResource | None,
        deployer_provider: pulumi.ProviderResource | None,
        unreachable: OfflineRegion | None,
    ) -> None:
        super().__init__("platform:index:Region", name, None, opts)
        self._args = args
        region = args.region
        self.kubernetes_version = args.cluster.kubernetes_version
        self.provider = regional_aws_provider(
            f"aws-{region}",
            region=region,
            tags=args.tags,
            allowed_account_ids=list(args.allowed_account_ids or ()),
            parent=self,
            unreachable=unreachable is not None,
            sts_region=unreachable.sts_region if unreachable is not None else None,
        )
        if passwords is None:
            passwords = random_provider(f"{name}-random", parent=self)
        in_region = pulumi.ResourceOptions(parent=self, providers=[self.provider, passwords])
        names = StackNames.of_current_stack(args.environment)
        cluster_name = names.eks_cluster(region)
        autoscaler_image = own_autoscaler_image(args)
        sandbox_repositories, system_repositories = own_repositories(args)
        # A region that keeps images in its ECR also creates the other regions' repositories: the
        # primary's replication filters are its own repository names, so a repository only a
        # secondary uses would get no images (ECR user guide, "Private image replication").
        own = [*sandbox_repositories, *system_repositories]
        shared = [r for r in args.shared_repositories or () if r not in own]
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
        self.repository_urls = repository_urls(self.registry)
        if args.registries_only:
            # The first deployment's first step (docs/upgrades.md): repositories to push to, nothing
            # that waits for images. The same names and parents as a full run, so nothing moves later.
            self.register_outputs({})
            return
        self.name_servers: pulumi.Output[list[str]] | None = None
        dns = args.dns
        if dns.zone_id is None:
            zone = aws.route53.Zone(
                f"{name}-zone",
                name=dns.domain,
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
                zone_id=str(dns.parent_zone_id),  # RegionDns requires it without a zone_id
                name=dns.domain,
                type="NS",
                ttl=DELEGATION_TTL_SECONDS,
                records=zone.name_servers,
                opts=in_region,
            )
            self.zone_id = pulumi.Output.all(zone.zone_id, delegation.fqdn).apply(lambda ids: str(ids[0]))
            self.name_servers = zone.name_servers
        else:
            self.zone_id = pulumi.Output.from_input(dns.zone_id)
        self.network = Vpc(
            f"{name}-network",
            args_from_settings(
                VpcArgs, args.vpc, cluster_name=cluster_name, flow_log_group=names.flow_log_group(f"{name}-network")
            ),
            opts=in_region,
        )
        self.deployer_peering: VpcPeering | None = None
        deployer_access: DeployerAccess | None = None
        if args.deployer is not None:
            if deployer_provider is None:
                # The deployer's side (the acceptance and its routes) is made in its region and account.
                deployer_provider = deployer_region_provider(f"{name}-deployer", args.deployer, args.tags, parent=self)
            side = deployer_side(args.deployer, deployer_provider)
            self.deployer_peering = VpcPeering(
                f"{name}-deployer-peering",
                VpcPeeringArgs(
                    requester=self.peer_side(),
                    accepter=side.side,
                    description=f"platform {args.environment} {region} <-> the deployer network",
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            deployer_access = DeployerAccess(cidr=side.side.cidr, runner_role_arn=side.runner_role_arn)
        arns: Mapping[str, pulumi.Input[str]] = (
            self.registry.repository_arns if self.registry is not None else shared_repository_arns(args)
        )
        self.cluster = Cluster(
            f"{name}-cluster",
            args_from_settings(
                ClusterArgs,
                args.cluster,
                cluster_name=cluster_name,
                vpc_id=self.network.vpc_id,
                subnet_ids=self.network.private_subnet_ids,
                instance_tags=dict(args.tags),
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
        self.alert_topics: AlertTopics | None = None
        critical_topic_arn: pulumi.Output[str] | None = None
        if args.observability is not None:
            self.alert_topics = AlertTopics(
                f"{name}-observability",
                args_from_settings(AlertTopicsArgs, args.alerts or AlertTopicsSettings(), cluster_name=cluster_name),
                opts=in_region,
            )
            critical_topic_arn = self.alert_topics.critical_topic_arn
        rpo_seconds = args.resolved_rpo_minutes * 60
        peers = dict(args.peer_private_cidrs or {})
        database_args = args_from_settings(
            ManagedPostgresArgs,
            args.postgres,
            identifier=names.database(region),
            vpc_id=self.network.vpc_id,
            subnet_ids=self.network.database_subnet_ids,
            availability_zones=self.network.availability_zones,
            allowed_security_groups=from_nodes,
            allowed_cidrs=peers,
            alarm_topic_arn=critical_topic_arn,
            global_database=args.global_database,
            rpo_seconds=rpo_seconds,
        )
        self.database = ManagedPostgres(f"{name}-postgres", database_args, opts=in_region)
        self.writer_alarm: WriterAlarm | None = None
        if args.global_database is not None:
            _, self.writer_alarm = writer_alarm(
                f"{name}-database-writer",
                cluster_identifier=self.database.identifier,
                region=region,
                alarm_prefix=names.alarm(f"{name}-database-writer"),
                opts=in_region,
            )
        redis_by_purpose = {
            purpose: args_from_settings(
                RedisClusterArgs,
                getattr(args, purpose),
                replication_group_id=names.cache(region, purpose),
                purpose=RedisPurpose(purpose),
                vpc_id=self.network.vpc_id,
                subnet_ids=self.network.database_subnet_ids,
                allowed_security_groups=from_nodes,
                allowed_cidrs=peers,
                alarm_topic_arn=critical_topic_arn,
                global_datastore=args.global_queue if purpose == "queue" else None,
                rpo_seconds=rpo_seconds,
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
        services = args.language_services
        self.language_services = LanguageServicePool(
            f"{name}-language-services",
            args_from_settings(
                LanguageServicePoolArgs,
                services,
                kubernetes_version=args.cluster.kubernetes_version,
                # An output of the RuntimeClass: the pods wait for it (admission refuses them before).
                runtime_class_name=None
                if services.host_kernel
                else self.cluster.sandbox_runtime_class.metadata.apply(lambda m: str(m["name"])),
            ),
            opts=pulumi.ResourceOptions(parent=self, providers=[kubernetes]),
        )
        # Two entry pods (and controllers) each, one where the system nodes start with one.
        replicas = max(1, min(2, system_nodes_min(args)))
        self.ingress = PublicIngress(
            f"{name}-ingress",
            PublicIngressArgs(
                kubernetes_version=args.cluster.kubernetes_version,
                cluster_name=self.cluster.cluster_name,
                vpc_id=self.network.vpc_id,
                vpc_cidr=self.network.cidr_block,
                public_subnet_ids=self.network.public_subnet_ids,
                public_subnet_cidrs=[subnet.cidr_block for subnet in self.network.subnets["public"]],
                oidc_provider_arn=self.cluster.oidc_provider_arn,
                oidc_provider_url=self.cluster.oidc_provider_url,
                domain=dns.domain,
                zone_id=self.zone_id,
                tags=dict(args.tags),
                health_path=dns.resolved_health_path,
                namespace=INGRESS_NAMESPACE,
                replicas=replicas,
                controller_replicas=replicas,
                backend_namespaces=[services.resolved_backend_namespace],
                # The entry's images live beside the autoscaler's, in this region's ECR when it has one.
                image_registry=args.image_registry if autoscaler_image is not None else None,
            ),
            opts=pulumi.ResourceOptions(parent=self, providers=[self.provider, passwords, kubernetes]),
        )
        self.observability: Observability | None = None
        if args.observability is not None and self.alert_topics is not None:
            kind = "cluster" if args.postgres.engine == PostgresEngine.AURORA else "instance"
            ingress_namespace = INGRESS_NAMESPACE
            self.observability = Observability(
                f"{name}-observability",
                args_from_settings(
                    ObservabilityArgs,
                    args.observability,
                    region=region,
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
                    sandbox_namespace=services.resolved_namespace,
                    service_namespaces=[
                        services.resolved_namespace,
                        services.resolved_backend_namespace,
                        ingress_namespace,
                    ],
                    ingress_namespace=ingress_namespace,
                    ingress_pod_labels={
                        "app.kubernetes.io/name": "traefik",
                        "app.kubernetes.io/instance": f"{INGRESS_RELEASE}-{ingress_namespace}",
                    },
                    node_group_max_sizes={group.name: group.max_size for group in args.cluster.node_groups},
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
        self.vpc_id = self.network.vpc_id
        self.cluster_name = self.cluster.cluster_name
        self.cluster_endpoint = self.cluster.endpoint
        self.kubeconfig = pulumi.Output.secret(self.cluster.kubeconfig)
        self.database_writer_endpoint = self.database.writer_endpoint
        self.database_secret_arn = self.database.secret_arn
        self.cache_endpoint = self.redis["cache"].endpoint
        self.queue_endpoint = self.redis["queue"].endpoint
        self.ingress_hostname = self.ingress.hostname
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
            region=self._args.region,
            cidr=self._args.vpc.cidr,
            route_table_ids={key: table.id for key, table in self.network.private_route_tables.items()},
            provider=self.provider,
        )


def check_registries_only(registries_only: bool | None, names: StackNames) -> None:
    """Refuse the first deployment's first step in a stack that creates no repository: the ECR
    repositories are shared by the stacks of an account, and only the stack named after its
    environment creates them (docs/naming.md)."""
    if registries_only and not names.owns_shared:
        raise RegionArgsError(
            f"args.registries_only (registriesOnly): stack {names.stack!r} uses the ECR repositories of stack "
            f"{str(names.environment)!r} and creates none; run it there"
        )


def repository_urls(registry: ImageRegistry | None) -> pulumi.Output[dict[str, str]]:
    """A registry's repository URLs by name, as one output (empty without a registry)."""
    urls = registry.repository_urls if registry is not None else {}
    if not urls:  # Output.all() of nothing is a list
        return pulumi.Output.from_input({})
    return pulumi.Output.all(**urls).apply(lambda values: {name: str(url) for name, url in values.items()})


def environment_defaults(args: RegionArgs) -> RegionArgs:
    """`args` with the protection settings it leaves unset taken from its environment's profile
    (eksplatform/environments.py): deletion protection, final snapshots and kept data in prod, none
    of them in dev. The building blocks alone default to production's; the stack file's adapters set
    every one of them explicitly, so this changes nothing a stack file builds."""
    rules = profile(args.environment)

    def unset(value: bool | None, default: bool) -> bool:
        return default if value is None else value

    postgres = args.postgres
    return replace(
        args,
        cluster=replace(
            args.cluster, deletion_protection=unset(args.cluster.deletion_protection, rules.eks_deletion_protection)
        ),
        postgres=replace(
            postgres,
            deletion_protection=unset(postgres.deletion_protection, rules.database_deletion_protection),
            final_snapshot=unset(postgres.final_snapshot, rules.final_snapshot),
            keep_data=unset(postgres.keep_data, rules.keep_data),
        ),
        cache=replace(args.cache, keep_data=unset(args.cache.keep_data, rules.keep_data)),
        queue=replace(args.queue, keep_data=unset(args.queue.keep_data, rules.keep_data)),
        observability=None
        if args.observability is None
        else replace(args.observability, protect=unset(args.observability.protect, rules.protect_resources)),
    )


def system_nodes_min(settings: RegionSettings) -> int:
    """The least number of nodes the system group(s) start with (the first system group's minimum)."""
    groups = [group for group in settings.cluster.node_groups if group.resolved_kind is NodeGroupKind.SYSTEM]
    return groups[0].min_size if groups else 1


def private_subnet_cidrs(vpc: VpcSettings) -> list[str]:
    """A region's private subnet CIDRs in AZ order, planned from its settings as its Vpc plans them."""
    return [str(planned.cidr) for planned in vpc.plan() if planned.tier == "private"]


def own_autoscaler_image(settings: RegionSettings) -> str | None:
    """The cluster-autoscaler image in the region's own ECR registry, when its registry is an ECR one."""
    registry = settings.image_registry
    if registry is None or ecr_repository(f"{registry}/x:1") is None:
        return None
    return f"{registry}/{AUTOSCALER_NAME}:{image_tag(settings.cluster.kubernetes_version)}"


def shared_repository_arns(settings: RegionSettings) -> dict[str, str]:
    """By repository name, the ARNs of this region's ECR repositories another stack created.

    From the image references themselves: `<account>.dkr.ecr.<region>.amazonaws.com` is the
    `aws` partition (China's registries end in `.amazonaws.com.cn`, which `ecr_repository` does
    not accept)."""
    services = [service.image for service in settings.language_services.services]
    registry = settings.image_registry
    system = [*entry_images(registry).values(), own_autoscaler_image(settings) or ""] if registry else []
    arns: dict[str, str] = {}
    for image in (*services, *system):
        parsed = ecr_repository(image)
        if parsed is not None and parsed[1] == settings.region:
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


def own_repositories(settings: RegionSettings) -> tuple[list[str], list[str]]:
    """Repository names of the images that live in this region's ECR: (sandbox's, system's)."""
    services = [service.image for service in settings.language_services.services]
    autoscaler = own_autoscaler_image(settings)
    # The entry's images (Traefik, the load balancer controller) live beside the autoscaler's.
    system = [autoscaler, *entry_images(settings.image_registry).values()] if autoscaler else []
    return _in_region(settings.region, services), _in_region(settings.region, system)


def repositories_of(regions: Sequence[RegionSettings]) -> list[str]:
    """The union of every region's own repository names, in the regions' order."""
    names: list[str] = []
    for settings in regions:
        sandbox, system = own_repositories(settings)
        names += [name for name in (*sandbox, *system) if name not in names]
    return names

"""Platform: every configured Region, and what spans them.

The primary region is built first: secondaries join what it creates (the Aurora Global
Database, the queue's Global Datastore when its Args ask for one, and the Route 53 zone every
entry's certificate is validated in). GlobalDns then names the entries: `api.<domain>` and
`primary.<domain>`; with several regions, health-checked latency records and records that follow
the database writer. `stack_outputs()` is the documented contract other stacks read with a
StackReference (docs/stacks.md, "Outputs").

`PlatformArgs` lists each region's settings (`RegionSettings`) and the stack-wide values; the
stack file becomes PlatformArgs in eksplatform/stack/platform_args.py. Plain types, so Pulumi's
component host serves the Platform to every language: no `from __future__ import annotations` here.
"""

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from eksplatform.components.alert_topics import AlertTopicsSettings
from eksplatform.components.dashboards import global_dashboard
from eksplatform.components.data_rules import DataRuleError, check_global_datastore_node_type
from eksplatform.components.deployer import VpcPeering, VpcPeeringArgs, mesh_pairs
from eksplatform.components.dns import (
    DEFAULT_HEALTH_PATH,
    GlobalDns,
    GlobalDnsArgs,
)
from eksplatform.components.facts import MAX_GLOBAL_DATASTORE_REGIONS
from eksplatform.components.global_role import GlobalRole
from eksplatform.components.inputs import ArgsError, args_from_settings, check_fields, placed, to_args
from eksplatform.components.naming import StackNames
from eksplatform.components.observability import ObservabilitySettings
from eksplatform.components.offline import OfflineRegion
from eksplatform.components.postgres import PostgresGlobalDatabase
from eksplatform.components.providers import random_provider
from eksplatform.components.redis import RedisGlobalDatastore
from eksplatform.components.registry import replicate
from eksplatform.stack.cross_region import DatabaseMember, global_queue_everywhere, one_global_database, vpc_overlaps
from eksplatform.stack.deployer_connection import DeployerConnection, DeployerNetwork, runner_boundary
from eksplatform.stack.region import (
    EnvironmentName,
    Region,
    RegionArgs,
    RegionArgsError,
    RegionDns,
    RegionSettings,
    check_public_dns,
    check_region_environment,
    check_registries_only,
    named_under,
    private_subnet_cidrs,
    repositories_of,
)
from eksplatform.stack.region_rules import (
    check_alerts,
    check_deployer,
    check_registry_account,
    check_stack_values,
    check_unreachable_regions,
)


@dataclass(frozen=True, kw_only=True)
class PlatformDns:
    """The platform's public domain and where its Route 53 zone comes from."""

    domain: str
    """The domain: the entry is `api.<domain>`, the writer's region `primary.<domain>`."""
    hosted_zone_id: str | None = None
    """An existing Route 53 zone of `domain`, already delegated. Default: the primary region creates
    one (then `parent_zone_id` is required)."""
    parent_zone_id: str | None = None
    """The parent domain's zone, where a zone the platform creates is delegated (an NS record)."""
    health_path: str | None = None
    """The path the backends answer, for the load balancers' and Route 53's health checks. Default: `/healthz`."""

    def __post_init__(self) -> None:
        check_fields(self, RegionArgsError)
        check_public_dns(
            self.domain,
            zone_field="hosted_zone_id",
            zone=self.hosted_zone_id,
            parent_zone_id=self.parent_zone_id,
            health_path=self.resolved_health_path,
        )

    @property
    def resolved_health_path(self) -> str:
        return DEFAULT_HEALTH_PATH if self.health_path is None else self.health_path


@dataclass(frozen=True, kw_only=True)
class PlatformArgs:
    """Every region's settings and what the regions share."""

    environment: EnvironmentName
    """`dev`, `staging` or `prod`: its profile decides what is protected and kept; it becomes the
    `environment` tag."""
    tags: Mapping[str, str]
    """Default tags of every AWS resource (the policy pack requires environment, owner, cost-center)."""
    regions: Sequence[RegionSettings]
    """The regions, each with its own settings; with several, one Aurora Global Database spans them
    and their VPCs are peered with each other."""
    dns: PlatformDns
    """The public domain and its Route 53 zone."""
    primary_region: str | None = None
    """The region that writes (the database's and the queue's primary; the zone is made there).
    Required with several regions, so that reordering `regions` never moves the writer (and replaces
    the global database). Default with one region: that region."""
    global_queue: bool | None = None
    """Put every region's `queue` in one ElastiCache Global Datastore (two or three regions). Required
    with more than three regions (false: each region keeps a regional queue), so that adding a fourth
    region never silently replaces every queue. Default: false with one region, true with two or three
    (the stack file's rule: a multi-region queue loses a lost region's jobs back to its last snapshot)."""
    allowed_account_ids: Sequence[str] | None = None
    """AWS accounts the providers may act in; any other is refused. Default: any."""
    rpo_minutes: int | None = None
    """Recovery point objective: the data stores alarm when replication lags longer. Default: 15."""
    deployer: DeployerNetwork | None = None
    """The deployer network every region's VPC is peered with (docs/deploying.md). Default: none."""
    observability: ObservabilitySettings | None = None
    """Metrics, alerts, logs and dashboards in every region. Default: none built."""
    alerts: AlertTopicsSettings | None = None
    """Who the alert topics notify (with `observability`). Default: no subscriptions."""
    unreachable_regions: Sequence[str] | None = None
    """Regions whose AWS API is down: built without lookups, for a `pulumi up` that excludes them
    (docs/deploying.md, "A region is down"). Default: none."""
    registries_only: bool | None = None
    """The first deployment's first step (docs/upgrades.md): every region builds only its provider and
    image registry (and the primary replicates to the others), so the images can be pushed before
    anything waits for them; the next run, without it, adds the rest around them. Only the
    environment's own stack (stack name = environment) may run it. Its outputs are unset meanwhile.
    Default: false."""

    def __post_init__(self) -> None:
        check_fields(self, RegionArgsError)
        names = [region.region for region in self.regions]
        if not names:
            raise RegionArgsError("args.regions: name at least one region")
        for index, name in enumerate(names):
            if name in names[:index]:
                raise RegionArgsError(f"args.regions[{index}].region: {name} appears twice")
        if self.primary_region is None and len(names) > 1:
            # The primary is built first and creates the global database: taken from the order of
            # `regions`, reordering them would move the writer and replace the global database.
            raise RegionArgsError(f"args.primary_region: name the region that writes, one of {names}")
        if self.primary_region is not None and self.primary_region not in names:
            raise RegionArgsError(f"args.primary_region: {self.primary_region} is not one of {names}")
        if self.global_queue is None and len(names) > MAX_GLOBAL_DATASTORE_REGIONS:
            # Unset, the queue is global with two or three regions: a fourth would silently turn every
            # queue regional, replacing them (a Global Datastore membership is ForceNew).
            raise RegionArgsError(
                f"args.global_queue: with more than {MAX_GLOBAL_DATASTORE_REGIONS} regions, set it to false (each "
                "region keeps a regional queue; a Global Datastore spans at most "
                f"{MAX_GLOBAL_DATASTORE_REGIONS})"
            )
        try:
            self._check_platform_rules(names)
        except DataRuleError as violation:
            raise RegionArgsError(f"args.{violation.field}: {violation.message}") from None

    def _check_platform_rules(self, names: list[str]) -> None:
        """The stack file's rules across regions and of what they share (eksplatform/stack/cross_region.py,
        region_rules.py): refused here, before anything is registered."""
        check_stack_values(self.rpo_minutes, self.allowed_account_ids)
        for index, region in enumerate(self.regions):
            with named_under(f"regions[{index}]."):
                check_region_environment(region, str(self.environment))
        allowed = list(self.allowed_account_ids or ())
        check_unreachable_regions(
            list(self.unreachable_regions or ()), names, accounts_known=bool(allowed) or self.deployer is not None
        )
        primary = names.index(self.primary.region)
        one_global_database(
            [
                DatabaseMember(
                    engine=region.postgres.engine,
                    major_version=region.postgres.resolved_major_version,
                    engine_version=region.postgres.engine_version,
                    instance_class=region.postgres.instance_class,
                )
                for region in self.regions
            ],
            primary,
        )
        if self.resolved_global_queue and len(names) > 1:  # one region: the rule below names global_queue
            for index, region in enumerate(self.regions):
                with named_under(f"regions[{index}].queue."):
                    check_global_datastore_node_type(region.queue.node_type)
        global_queue_everywhere(
            [self.resolved_global_queue] * len(names),
            field=lambda index: "global_queue",
            choice="global_queue: true (or leave it unset)",
            shapes=[
                {
                    "engine": str(region.queue.resolved_engine),
                    "engine_version": region.queue.resolved_engine_version,
                    "node_type": region.queue.node_type,
                    "cluster_mode": region.queue.resolved_cluster_mode,
                    "shards": region.queue.resolved_shards,
                }
                for region in self.regions
            ],
            primary=primary,
        )
        if self.deployer is not None:
            check_deployer(
                deployer_cidr=self.deployer.deployer_cidr,
                runner_project_name=self.deployer.runner_project_name,
                account_id=self.deployer.account_id,
                environment=str(self.environment),
                allowed_account_ids=allowed,
                networks=[
                    (f"args.regions[{index}].vpc.cidr", region.vpc.cidr) for index, region in enumerate(self.regions)
                ],
            )
        for index, region in enumerate(self.regions):
            with named_under(f"regions[{index}]."):
                check_registry_account(region.image_registry, allowed)
        check_alerts(self.alerts is not None, self.observability is not None)
        # The regions' VPCs are peered with each other, so they may not overlap (the stack file's rule).
        overlaps = vpc_overlaps([region.vpc.cidr for region in self.regions], lambda field: f"args.{field}")
        if overlaps:
            raise overlaps[0]

    @property
    def resolved_global_queue(self) -> bool:
        """`global_queue`, or by default what the stack file requires: the queue in one Global
        Datastore when there are two or three regions (MAX_GLOBAL_DATASTORE_REGIONS), else none."""
        if self.global_queue is not None:
            return self.global_queue
        return 2 <= len(self.regions) <= MAX_GLOBAL_DATASTORE_REGIONS

    @property
    def primary(self) -> RegionSettings:
        """The primary region's settings."""
        name = self.primary_region or self.regions[0].region  # one region: that one (__post_init__)
        return next(region for region in self.regions if region.region == name)

    def offline(self, region: RegionSettings) -> OfflineRegion | None:
        """What a region whose API is down answers in place of lookups (None: it is reachable)."""
        unreachable = list(self.unreachable_regions or ())
        if region.region not in unreachable:
            return None
        deployer = self.deployer
        return OfflineRegion(
            region=region.region,
            account=(list(self.allowed_account_ids or ()) or [deployer.account_id if deployer else ""])[0],
            zone_ids=region.vpc.availability_zone_ids,
            sts_region=next(
                (other.region for other in self.regions if other.region not in unreachable),
                deployer.deployer_region if deployer else region.region,
            ),
        )

    def peers_of(self, region: RegionSettings) -> dict[str, str]:
        """The other regions' private subnets, keyed `<region>-private-<n>`."""
        return {
            f"{other.region}-private-{index + 1}": cidr
            for other in self.regions
            if other.region != region.region
            for index, cidr in enumerate(private_subnet_cidrs(other.vpc))
        }


class Platform(pulumi.ComponentResource):
    """The whole platform: every region (the primary first), the peerings between them and with the
    deployer, the image replication, the global DNS names and a dashboard of every region."""

    primary_region: str
    """The region that writes (the database's and the queue's primary)."""
    region_names: list[str]
    """Every region, in the Args' order."""
    zone_id: pulumi.Output[str]
    """The Route 53 zone of the domain."""
    latency_name: str
    """`api.<domain>`: the nearest healthy region's entry."""
    writer_name: str
    """`primary.<domain>`: the entry of the region that holds the database writer."""
    database_writer_endpoint: pulumi.Output[str]
    """Where the services write to PostgreSQL (in a global database, the global writer endpoint)."""
    vpc_ids: pulumi.Output[dict[str, str]]
    """Each region's VPC, by region name."""
    cluster_names: pulumi.Output[dict[str, str]]
    """Each region's EKS cluster name, by region name."""
    cluster_endpoints: pulumi.Output[dict[str, str]]
    """Each region's EKS API endpoint (private unless its cluster settings open it), by region name."""
    kubeconfigs: pulumi.Output[dict[str, str]]
    """Each region's kubeconfig (`aws eks get-token` with the caller's credentials), by region name; a secret."""
    database_secret_arns: pulumi.Output[dict[str, str]]
    """Each region's Secrets Manager secret of the database's master credentials, by region name."""
    cache_endpoints: pulumi.Output[dict[str, str]]
    """Each region's `cache` Valkey primary endpoint, by region name."""
    queue_endpoints: pulumi.Output[dict[str, str]]
    """Each region's `queue` Valkey primary endpoint (in a Global Datastore, only the primary
    region's takes writes), by region name."""
    ingress_hostnames: pulumi.Output[dict[str, str]]
    """Each region's public entry (load balancer hostname), by region name."""
    repository_urls: pulumi.Output[dict[str, dict[str, str]]]
    """Each region's ECR repositories the platform created, URL by repository name, by region name
    (push the images to the primary region's; the others are replicas). Set in the
    `registries_only` step too."""

    # Python callers also get `regions` (each Region by name, the primary first), `primary`, `dns`
    # (the GlobalDns), `deployer` (the DeployerConnection, else None), `region_peerings` (by
    # `<first>-<second>`, names sorted; the first requests), `image_replication`, `dashboard`
    # (with `args.observability`) and `stack_outputs()`.

    def __init__(self, name: str, args: PlatformArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        if type(args).__name__ == "StackConfig":  # the Python API before PlatformArgs
            raise RegionArgsError(
                "args: Platform takes PlatformArgs; build it from a stack file with "
                "eksplatform.stack.platform_args.platform_from_stack(name, config)"
            )
        from_host = not isinstance(args, PlatformArgs)
        args = to_args(PlatformArgs, args)
        # Physical names from the project and stack (components/naming.py); tags keep `environment`.
        names = StackNames.of_current_stack(args.environment)
        check_registries_only(args.registries_only, names)
        try:
            with runner_boundary(args.deployer):
                self._build(name, args, names, opts)
        except ArgsError as error:
            # A rule only a building block's Args can check, named where the caller set it: a
            # Region's error (its `settings` the RegionArgs) under that region's place in `regions`.
            if isinstance(error.settings, RegionSettings):
                region = error.settings.region
                error.settings = next((settings for settings in args.regions if settings.region == region), None)
            raise placed(error, args, PlatformArgs if from_host else None) from None

    def _build(self, name: str, args: PlatformArgs, names: StackNames, opts: pulumi.ResourceOptions | None) -> None:
        super().__init__("platform:index:Platform", name, None, opts)
        self._name = name
        self._args = args
        passwords = random_provider(f"{name}-random", parent=self)
        self.regions: dict[str, Region] = {}
        self.deployer: DeployerConnection | None = None
        self.region_peerings: dict[str, VpcPeering] = {}
        # The primary first: the others join what it creates.
        ordered = [args.primary, *(region for region in args.regions if region is not args.primary)]
        shared = repositories_of(args.regions) if len(args.regions) > 1 else []
        if args.registries_only:
            for settings in ordered:
                self.regions[settings.region] = Region(
                    settings.region,
                    self._region_args(settings, zone_id=args.dns.hosted_zone_id, shared=shared),
                    opts=pulumi.ResourceOptions(parent=self),
                    random_provider=passwords,
                    unreachable=args.offline(settings),
                )
            self.primary = self.regions[args.primary.region]
            self.image_replication = self._replicate_images()
            self._known_outputs(args)
            self.register_outputs({"primaryRegion": args.primary.region, "regions": list(self.regions)})
            return
        self.deployer = (
            DeployerConnection(f"{name}-deployer", deployer, tags=args.tags, opts=pulumi.ResourceOptions(parent=self))
            if (deployer := args.deployer) is not None
            else None
        )
        global_database: Region | None = None
        global_queue: Region | None = None
        # The primary (built first) makes the zone unless the Args name one; the others use it.
        zone_id: pulumi.Input[str] | None = args.dns.hosted_zone_id
        for settings in ordered:
            database_membership: PostgresGlobalDatabase | None = None
            if len(args.regions) > 1:
                database_membership = (
                    PostgresGlobalDatabase(role=GlobalRole.PRIMARY, global_cluster_identifier=names.global_database())
                    if global_database is None
                    else global_database.database.membership()
                )
            queue_membership: RedisGlobalDatastore | None = None
            if args.resolved_global_queue:
                queue_membership = (
                    RedisGlobalDatastore(role=GlobalRole.PRIMARY, suffix=names.global_datastore_suffix("queue"))
                    if global_queue is None
                    else global_queue.redis["queue"].membership()
                )
            built = self.regions[settings.region] = Region(
                settings.region,
                self._region_args(
                    settings,
                    zone_id=zone_id,
                    shared=shared,
                    global_database=database_membership,
                    global_queue=queue_membership,
                ),
                opts=pulumi.ResourceOptions(parent=self),
                random_provider=passwords,
                deployer_provider=self.deployer.provider if self.deployer is not None else None,
                unreachable=args.offline(settings),
            )
            zone_id = built.zone_id
            global_database = global_database or (built if database_membership else None)
            global_queue = global_queue or (built if queue_membership else None)
        self.primary = self.regions[args.primary.region]
        self.image_replication = self._replicate_images()
        # Sorted: the peerings' names (and which side requests) do not follow the Args' order.
        self.region_peerings = self._mesh(sorted(self.regions))

        self.dns = GlobalDns(
            f"{name}-dns",
            GlobalDnsArgs(
                domain=args.dns.domain,
                zone_id=self.primary.zone_id,
                endpoints={region_name: region.ingress.hostname for region_name, region in self.regions.items()},
                primary_region=args.primary.region,
                health_path=args.dns.resolved_health_path,
                writer_alarms={
                    region_name: region.writer_alarm
                    for region_name, region in self.regions.items()
                    if region.writer_alarm is not None
                },
            ),
            # Route53 is global; the primary region's provider carries the stack's account and tags.
            opts=pulumi.ResourceOptions(parent=self, provider=self.primary.provider),
        )
        self.dashboard: aws.cloudwatch.Dashboard | None = None
        views = [region.observability.view for region in self.regions.values() if region.observability is not None]
        if views:
            self.dashboard = aws.cloudwatch.Dashboard(
                f"{name}-dashboard",
                dashboard_name=names.dashboard("global"),
                dashboard_body=json.dumps(global_dashboard(views)),
                # Dashboards are global; each widget names the region it reads.
                opts=pulumi.ResourceOptions(parent=self, provider=self.primary.provider),
            )
        self._known_outputs(args)
        self.zone_id = self.primary.zone_id
        self.latency_name = self.dns.latency_name
        self.writer_name = self.dns.writer_name
        self.database_writer_endpoint = self.primary.database.writer_endpoint
        self.vpc_ids = by_region(self.regions, lambda region: region.vpc_id)
        self.cluster_names = by_region(self.regions, lambda region: region.cluster_name)
        self.cluster_endpoints = by_region(self.regions, lambda region: region.cluster_endpoint)
        self.kubeconfigs = pulumi.Output.secret(by_region(self.regions, lambda region: region.kubeconfig))
        self.database_secret_arns = by_region(self.regions, lambda region: region.database_secret_arn)
        self.cache_endpoints = by_region(self.regions, lambda region: region.cache_endpoint)
        self.queue_endpoints = by_region(self.regions, lambda region: region.queue_endpoint)
        self.ingress_hostnames = by_region(self.regions, lambda region: region.ingress_hostname)
        self.register_outputs({"primaryRegion": args.primary.region, "regions": list(self.regions)})

    def _known_outputs(self, args: PlatformArgs) -> None:
        """The outputs set in the `registries_only` step too: what is known before the regions' rest."""
        self.primary_region = args.primary.region
        self.region_names = [region.region for region in args.regions]
        self.repository_urls = pulumi.Output.all(
            **{name: region.repository_urls for name, region in self.regions.items()}
        ).apply(lambda urls: {name: dict(urls[name]) for name in self.regions})

    def _region_args(
        self,
        settings: RegionSettings,
        *,
        zone_id: pulumi.Input[str] | None,
        shared: Sequence[str],
        global_database: PostgresGlobalDatabase | None = None,
        global_queue: RedisGlobalDatastore | None = None,
    ) -> RegionArgs:
        """One region's Args: its settings, and what it shares with the others."""
        args = self._args
        return args_from_settings(
            RegionArgs,
            settings,
            environment=args.environment,
            tags=dict(args.tags),
            dns=RegionDns(
                domain=args.dns.domain,
                zone_id=zone_id,
                # Only the region that makes the zone delegates it (RegionDns takes one of the two).
                parent_zone_id=args.dns.parent_zone_id if zone_id is None else None,
                health_path=args.dns.resolved_health_path,
            ),
            allowed_account_ids=list(args.allowed_account_ids or ()),
            rpo_minutes=args.rpo_minutes,
            global_database=global_database,
            global_queue=global_queue,
            shared_repositories=list(shared),
            deployer=args.deployer,
            observability=args.observability,
            alerts=args.alerts,
            peer_private_cidrs=args.peers_of(settings),
            registries_only=args.registries_only,
        )

    def _mesh(self, names: list[str]) -> dict[str, VpcPeering]:
        """Every pair of regional VPCs peered, with routes both ways: the services' cross-region calls."""
        peerings: dict[str, VpcPeering] = {}
        for first, second in mesh_pairs(names):
            key = f"{first}-{second}"
            peerings[key] = VpcPeering(
                f"{self._name}-{key}-peering",
                VpcPeeringArgs(
                    requester=self.regions[first].mesh_side(),
                    accepter=self.regions[second].mesh_side(),
                    description=f"platform {self._args.environment} {first} <-> {second}",
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
        return peerings

    def _replicate_images(self) -> aws.ecr.ReplicationConfiguration | None:
        """Images pushed to the primary region's repositories are copied to every other region."""
        primary = self.primary.registry
        others = [name for name, region in self.regions.items() if region is not self.primary and region.registry]
        if primary is None or not others:
            return None
        account: pulumi.Output[str] = next(iter(primary.repositories.values())).registry_id
        replication: aws.ecr.ReplicationConfiguration = replicate(
            f"{self._name}-image-replication",
            repositories=self.primary.repositories,
            replica_regions=others,
            account=account,
            registries=[region.registry for region in self.regions.values() if region.registry is not None],
            # One replication configuration per account, in the primary region.
            opts=pulumi.ResourceOptions(parent=self, provider=self.primary.provider),
        )
        return replication

    def stack_outputs(self) -> dict[str, Any]:
        """The stack outputs, by name: what other stacks may rely on (docs/stacks.md, "Outputs")."""
        regions = self.regions
        if self._args.registries_only:
            return {
                "registriesOnly": True,
                "repositories": {
                    name: region.registry.repository_urls if region.registry is not None else {}
                    for name, region in regions.items()
                },
            }
        outputs: dict[str, Any] = {
            "environment": str(self._args.environment),
            "primaryRegion": self._args.primary.region,
            "regions": [region.region for region in self._args.regions],
            "networks": {
                name: {
                    "vpcId": region.network.vpc_id,
                    "publicSubnetIds": region.network.public_subnet_ids,
                    "privateSubnetIds": region.network.private_subnet_ids,
                    "databaseSubnetIds": region.network.database_subnet_ids,
                }
                for name, region in regions.items()
            },
            "clusters": {
                name: {
                    "name": region.cluster.cluster_name,
                    "endpoint": region.cluster.endpoint,
                    "oidcProviderArn": region.cluster.oidc_provider_arn,
                    "nodeSecurityGroupId": region.cluster.node_security_group_id,
                    "kubernetesVersion": region.kubernetes_version,
                }
                for name, region in regions.items()
            },
            "kubeconfigs": pulumi.Output.secret({name: region.cluster.kubeconfig for name, region in regions.items()}),
            "databases": {
                name: {
                    # In a global database: the global writer endpoint, the same in every region.
                    "writerEndpoint": region.database.writer_endpoint,
                    "clusterEndpoint": region.database.cluster_endpoint,
                    "readerEndpoint": region.database.reader_endpoint,
                    "port": region.database.port,
                    "secretArn": region.database.secret_arn,
                    "securityGroupId": region.database.security_group_id,
                    "identifier": region.database.identifier,
                    "arn": region.database.arn,
                    "proxyEndpoint": region.database.proxy_endpoint,
                    "proxyReaderEndpoint": region.database.proxy_reader_endpoint,
                }
                for name, region in regions.items()
            },
            "redis": {
                name: {
                    purpose: {
                        "endpoint": redis.endpoint,
                        "readerEndpoint": redis.reader_endpoint,
                        "port": redis.port,
                        "authSecretArn": redis.auth_secret_arn,
                        "securityGroupId": redis.security_group_id,
                        "replicationGroupId": redis.replication_group_id,
                    }
                    for purpose, redis in region.redis.items()
                }
                for name, region in regions.items()
            },
            "languageServices": {
                name: {"namespace": region.language_services.namespace, "endpoints": region.language_services.endpoints}
                for name, region in regions.items()
            },
            "ingress": {
                name: {"hostname": region.ingress.hostname, "healthPath": region.ingress.health_path}
                for name, region in regions.items()
            },
        }
        if self.primary.database.global_cluster_identifier is not None:
            outputs["globalDatabase"] = {
                "identifier": self.primary.database.global_cluster_identifier,
                # Always the current primary's writer, through switchovers and failovers.
                "writerEndpoint": self.primary.database.writer_endpoint,
                "primaryRegion": self._args.primary.region,
                "members": {
                    name: {
                        "clusterArn": region.database.arn,
                        "clusterIdentifier": region.database.identifier,
                        "clusterEndpoint": region.database.cluster_endpoint,
                        "readerEndpoint": region.database.reader_endpoint,
                    }
                    for name, region in regions.items()
                },
            }
        queue = self.primary.redis["queue"]
        if queue.global_replication_group_id is not None:
            # Only the primary region's queue takes writes; the others are read-only copies until a
            # Global Datastore failover promotes one ("Replication across AWS Regions using global
            # datastores"): producers and consumers write here.
            outputs["globalQueue"] = {
                "globalReplicationGroupId": queue.global_replication_group_id,
                "primaryRegion": self._args.primary.region,
                "writerEndpoint": queue.endpoint,
                "port": queue.port,
            }
        outputs["dns"] = {
            "zoneId": self.primary.zone_id,
            "nameServers": self.primary.name_servers,
            "latencyName": self.dns.latency_name,
            # The name that follows the database writer (with one region, that region's entry).
            "failoverName": self.dns.writer_name,
            "healthCheckIds": self.dns.health_check_ids,
            "writerHealthCheckIds": self.dns.writer_health_check_ids,
        }
        return outputs


def by_region(
    regions: Mapping[str, Region], value: Callable[[Region], pulumi.Output[str]]
) -> pulumi.Output[dict[str, str]]:
    """One output of every region, as a map by region name (the primary first)."""
    return pulumi.Output.all(**{name: value(region) for name, region in regions.items()}).apply(
        lambda values: {name: str(values[name]) for name in regions}
    )

"""Platform: every configured Region, and what spans them.

The primary region is built first: secondaries join what it creates (the Aurora Global
Database, the queue's Global Datastore when config asks for one, and the Route 53 zone every
entry's certificate is validated in). GlobalDns then names the entries: `api.<domain>` and
`primary.<domain>`; with several regions, health-checked latency records and records that follow
the database writer. `stack_outputs()` is the documented contract other stacks read with a
StackReference (docs/stacks.md, "Outputs").
"""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws

from eksplatform.components.dashboards import global_dashboard
from eksplatform.components.deployer import VpcPeering, VpcPeeringArgs, mesh_pairs
from eksplatform.components.dns import GlobalDns, GlobalDnsArgs
from eksplatform.components.global_role import GlobalRole
from eksplatform.components.iam import deployer_boundary_arn, permissions_boundary
from eksplatform.components.naming import StackNames
from eksplatform.components.offline import offline
from eksplatform.components.postgres import PostgresGlobalDatabase
from eksplatform.components.providers import random_provider
from eksplatform.components.redis import RedisGlobalDatastore
from eksplatform.components.registry import replicate
from eksplatform.stack.config import StackConfig
from eksplatform.stack.deployer_connection import DeployerConnection
from eksplatform.stack.region import Region, RegionArgs, RegionDns


class Platform(pulumi.ComponentResource):
    regions: dict[str, Region]
    """By region name, the primary first."""
    primary: Region
    dns: GlobalDns
    deployer: DeployerConnection | None
    """The deployer network every region is peered with (None without `deployer` in config)."""
    region_peerings: dict[str, VpcPeering]
    """Between every pair of regions, by `<first>-<second>` (names sorted; the first requests)."""
    dashboard: aws.cloudwatch.Dashboard | None
    """Every region's key widgets on one page (with config `observability`)."""

    def __init__(self, name: str, config: StackConfig, opts: pulumi.ResourceOptions | None = None) -> None:
        deployer = config.deployer
        boundary = deployer_boundary_arn(deployer.account_id, deployer.runner_project_name) if deployer else None
        # Every role carries the runner's boundary: the runner may create no other (bootstrap/runner.py).
        with permissions_boundary(boundary):
            self._build(name, config, opts)

    def _build(self, name: str, config: StackConfig, opts: pulumi.ResourceOptions | None) -> None:
        super().__init__("platform:index:Platform", name, None, opts)
        self._name = name
        self._config = config
        if config.dns is None:  # StackConfig refuses this; a hand-built config may not
            raise pulumi.RunError("dns: the public entry needs dns.domain for its certificate and names")
        dns_config = config.dns
        # Physical names from the project and stack (components/naming.py); tags keep `environment`.
        names = StackNames.of_current_stack(config.environment)
        passwords = random_provider(f"{name}-random", parent=self)
        self.regions = {}
        global_database: Region | None = None
        global_queue: Region | None = None
        # The primary (built first) makes the zone unless config names one; the others use it.
        zone_id: pulumi.Input[str] | None = dns_config.hosted_zone_id
        self.deployer = None
        self.region_peerings = {}
        if config.registries_only:
            self._registries_only(config, passwords, names)
            return
        self.deployer = (
            DeployerConnection(
                f"{name}-deployer", config.deployer, tags=config.tags, opts=pulumi.ResourceOptions(parent=self)
            )
            if config.deployer is not None
            else None
        )
        for region in sorted(config.regions, key=lambda region: not region.primary):
            database_membership: PostgresGlobalDatabase | None = None
            if len(config.regions) > 1:
                database_membership = (
                    PostgresGlobalDatabase(role=GlobalRole.PRIMARY, global_cluster_identifier=names.global_database())
                    if global_database is None
                    else global_database.database.membership()
                )
            queue_membership: RedisGlobalDatastore | None = None
            if region.redis.queue.global_datastore:
                queue_membership = (
                    RedisGlobalDatastore(role=GlobalRole.PRIMARY, suffix=names.global_datastore_suffix("queue"))
                    if global_queue is None
                    else global_queue.redis["queue"].membership()
                )
            built = self.regions[region.name] = _region(
                region.name,
                RegionArgs.from_stack(
                    config,
                    region,
                    passwords,
                    names=names,
                    dns=RegionDns(
                        domain=dns_config.domain,
                        zone_id=zone_id,
                        health_path=dns_config.health_path,
                        parent_zone_id=dns_config.parent_zone_id,
                    ),
                    global_database=database_membership,
                    global_queue=queue_membership,
                    deployer=self.deployer.side() if self.deployer is not None else None,
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            zone_id = built.zone_id
            global_database = global_database or (built if database_membership else None)
            global_queue = global_queue or (built if queue_membership else None)
        self.primary = self.regions[config.primary_region.name]
        self.image_replication = self._replicate_images()
        # Sorted: the peerings' names (and which side requests) do not follow the config's order.
        self.region_peerings = self._mesh(sorted(region.name for region in config.regions))

        self.dns = GlobalDns(
            f"{name}-dns",
            GlobalDnsArgs(
                domain=dns_config.domain,
                zone_id=self.primary.zone_id,
                endpoints={region_name: region.ingress.hostname for region_name, region in self.regions.items()},
                primary_region=config.primary_region.name,
                health_path=dns_config.health_path,
                writer_alarms={
                    region_name: region.writer_alarm
                    for region_name, region in self.regions.items()
                    if region.writer_alarm is not None
                },
            ),
            # Route53 is global; the primary region's provider carries the stack's account and tags.
            opts=pulumi.ResourceOptions(parent=self, provider=self.primary.provider),
        )
        self.dashboard = None
        views = [region.observability.view for region in self.regions.values() if region.observability is not None]
        if views:
            self.dashboard = aws.cloudwatch.Dashboard(
                f"{name}-dashboard",
                dashboard_name=names.dashboard("global"),
                dashboard_body=json.dumps(global_dashboard(views)),
                # Dashboards are global; each widget names the region it reads.
                opts=pulumi.ResourceOptions(parent=self, provider=self.primary.provider),
            )
        self.register_outputs({"primaryRegion": config.primary_region.name, "regions": list(self.regions)})

    def _registries_only(self, config: StackConfig, passwords: pulumi.ProviderResource, names: StackNames) -> None:
        """Each Region with only its provider and registry, and the replication: the same URNs as a
        full run, so the next `pulumi up` (without registriesOnly) adds the rest around them."""
        if not names.owns_shared:
            # Only the environment's own stack creates the shared repositories (docs/naming.md).
            raise pulumi.RunError(
                f"registriesOnly: stack {names.stack!r} uses the ECR repositories of stack "
                f"{config.environment!r} and creates none; run registriesOnly there"
            )
        dns = RegionDns(domain=config.dns.domain if config.dns else "", zone_id=None, health_path="")
        for region in sorted(config.regions, key=lambda region: not region.primary):
            self.regions[region.name] = _region(
                region.name,
                RegionArgs.from_stack(config, region, passwords, names=names, dns=dns),
                opts=pulumi.ResourceOptions(parent=self),
            )
        self.primary = self.regions[config.primary_region.name]
        self.image_replication = self._replicate_images()
        self.register_outputs({"primaryRegion": config.primary_region.name, "regions": list(self.regions)})

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
                    description=f"platform {self._config.environment} {first} <-> {second}",
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
        if self._config.registries_only:
            return {
                "registriesOnly": True,
                "repositories": {
                    name: region.registry.repository_urls if region.registry is not None else {}
                    for name, region in regions.items()
                },
            }
        outputs: dict[str, Any] = {
            "environment": self._config.environment,
            "primaryRegion": self._config.primary_region.name,
            "regions": [region.name for region in self._config.regions],
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
                "primaryRegion": self._config.primary_region.name,
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
                "primaryRegion": self._config.primary_region.name,
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


def _region(name: str, args: RegionArgs, opts: pulumi.ResourceOptions) -> Region:
    """A Region; one whose AWS API is down (config `unreachableRegions`) is built without lookups."""
    with offline(args.unreachable):
        return Region(name, args, opts=opts)

"""The stack file as PlatformArgs: the adapter between the stack layer and the Platform.

The stack file's models (eksplatform/stack/config.py) have already checked the platform's own rules
(priced regions and instance types, what each environment requires, the cross-region rules); this
module maps them, with the environment's profile, onto each building block's settings through the
per-area adapters (data_args, cluster_args, services_args, observability_args).
"""

import pulumi

from eksplatform.stack.cluster_args import cluster_settings
from eksplatform.stack.config import DeployerConfig, RegionConfig, StackConfig
from eksplatform.stack.data_args import postgres_settings, redis_settings, vpc_settings
from eksplatform.stack.deployer_connection import DeployerNetwork
from eksplatform.stack.observability_args import alert_topics_settings, observability_settings
from eksplatform.stack.platform import Platform, PlatformArgs, PlatformDns
from eksplatform.stack.region import EnvironmentName, RegionSettings
from eksplatform.stack.services_args import language_services_settings


def platform_args(config: StackConfig) -> PlatformArgs:
    """Every region's settings and the stack-wide values of one stack file."""
    if config.dns is None:  # StackConfig refuses this; a hand-built config may not
        raise ValueError("dns: the public entry needs dns.domain for its certificate and names")
    observability = config.observability
    return PlatformArgs(
        environment=EnvironmentName(config.environment),
        tags=config.tags,
        regions=[region_settings(region, environment=config.environment) for region in config.regions],
        dns=PlatformDns(
            domain=config.dns.domain,
            hosted_zone_id=config.dns.hosted_zone_id,
            parent_zone_id=config.dns.parent_zone_id,
            health_path=config.dns.health_path,
        ),
        primary_region=config.primary_region.name,
        global_queue=any(region.redis.queue.global_datastore for region in config.regions),
        allowed_account_ids=list(config.allowed_account_ids),
        rpo_minutes=config.rpo_minutes,
        deployer=deployer_network(config.deployer) if config.deployer is not None else None,
        observability=observability_settings(observability, environment=config.environment) if observability else None,
        alerts=alert_topics_settings(observability) if observability else None,
        unreachable_regions=list(config.unreachable_regions),
        registries_only=config.registries_only,
    )


def region_settings(region: RegionConfig, *, environment: str) -> RegionSettings:
    """One region of the stack file as the settings of its building blocks."""
    return RegionSettings(
        region=region.name,
        vpc=vpc_settings(region.vpc, region=region.name),
        cluster=cluster_settings(region.cluster, environment=environment),
        postgres=postgres_settings(region.postgres, environment=environment),
        cache=redis_settings(region.redis.cache, environment=environment),
        queue=redis_settings(region.redis.queue, environment=environment),
        language_services=language_services_settings(region.language_services),
        image_registry=region.language_services.image_registry,
    )


def deployer_network(config: DeployerConfig) -> DeployerNetwork:
    """The stack file's `deployer` (the bootstrap's outputs)."""
    return DeployerNetwork(
        deployer_region=config.deployer_region,
        deployer_vpc_id=config.deployer_vpc_id,
        deployer_cidr=str(config.deployer_cidr),
        deployer_route_table_ids=list(config.deployer_route_table_ids),
        runner_role_arn=config.runner_role_arn,
        runner_project_name=config.runner_project_name,
        account_id=config.account_id,
    )


def platform_from_stack(name: str, config: StackConfig, opts: pulumi.ResourceOptions | None = None) -> Platform:
    """The Platform of a stack file (`__main__.py`)."""
    return Platform(name, platform_args(config), opts)

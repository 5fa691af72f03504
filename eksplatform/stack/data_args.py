"""The stack layer's adapters for the network and the data stores: stack config -> component settings.

`vpc_settings`, `postgres_settings` and `redis_settings` map one region's config model
(eksplatform/stack/models_network.py, models_data.py) and the environment's profile
(eksplatform/environments.py) to what a person chooses for Vpc, ManagedPostgres or RedisCluster
(their `*Settings`); the Region (eksplatform/stack/region.py) adds the names and network inputs it
has (the wiring) with `args_from_settings`, the one builder of their Args. Every value is passed
explicitly, so what a stack registers does not depend on the Args' defaults; settings the config
file leaves out keep the config model's defaults.
"""

from eksplatform.components.postgres import (
    PostgresEngine,
    PostgresSettings,
)
from eksplatform.components.redis import (
    RedisEngine,
    RedisSettings,
)
from eksplatform.components.vpc import NatStrategy, VpcSettings, VpcSubnets, VpcSubnetTier
from eksplatform.environments import profile
from eksplatform.stack.models_data import PostgresConfig, RedisClusterConfig
from eksplatform.stack.models_network import SubnetsConfig, SubnetTierConfig, VpcConfig
from eksplatform.stack.region_rules import subnet_slots

# The settings that only one PostgreSQL engine takes (the others stay None).
_RDS_ONLY = ("allocated_storage_gib", "max_allocated_storage_gib", "multi_az", "read_replicas")
_AURORA_ONLY = ("readers",)


def vpc_settings(vpc: VpcConfig, *, region: str) -> VpcSettings:
    """A region's `vpc` config as VpcSettings; every AZ the region has gets a subnet slot."""
    return VpcSettings(
        cidr=str(vpc.cidr),
        az_count=vpc.az_count,
        availability_zone_ids=list(vpc.availability_zone_ids) if vpc.availability_zone_ids is not None else None,
        nat_strategy=NatStrategy(vpc.nat_strategy),
        subnets=_subnets(vpc.subnets),
        subnet_slots=subnet_slots(region),
        flow_log_retention_days=vpc.flow_log_retention_days,
        interface_endpoints=vpc.interface_endpoints,
    )


def _subnets(subnets: SubnetsConfig) -> VpcSubnets:
    def tier(config: SubnetTierConfig) -> VpcSubnetTier:
        cidrs = [str(cidr) for cidr in config.cidrs] if config.cidrs is not None else None
        return VpcSubnetTier(prefix_length=config.prefix_length, cidrs=cidrs)

    return VpcSubnets(public=tier(subnets.public), private=tier(subnets.private), database=tier(subnets.database))


def postgres_settings(config: PostgresConfig, *, environment: str) -> PostgresSettings:
    """Per environment (eksplatform/environments.py): deletion protection and final snapshots outside
    dev, data kept in prod."""
    rules = profile(environment)
    protected = (
        config.deletion_protection if config.deletion_protection is not None else rules.database_deletion_protection
    )
    engine = PostgresEngine(config.engine)
    by_engine = {name: getattr(config, name) for name in (_RDS_ONLY if engine is PostgresEngine.RDS else _AURORA_ONLY)}
    return PostgresSettings(
        engine=engine,
        instance_class=config.instance_class,
        major_version=config.major_version,
        engine_version=config.engine_version,
        backup_retention_days=config.backup_retention_days,
        backup_window=config.backup_window,
        maintenance_window=config.maintenance_window,
        proxy=config.proxy,
        log_retention_days=config.log_retention_days,
        deletion_protection=protected,
        final_snapshot=rules.final_snapshot,
        keep_data=rules.keep_data,
        **by_engine,
    )


def redis_settings(config: RedisClusterConfig, *, environment: str) -> RedisSettings:
    """One of a region's `redis` groups (`cache` or `queue`); data kept in prod."""
    return RedisSettings(
        node_type=config.node_type,
        engine=RedisEngine(config.engine),
        engine_version=config.engine_version,
        cluster_mode=config.cluster_mode,
        shards=config.shards,
        replicas_per_shard=config.replicas_per_shard,
        snapshot_retention_days=config.snapshot_retention_days,
        snapshot_window=config.snapshot_window,
        maintenance_window=config.maintenance_window,
        log_retention_days=config.log_retention_days,
        keep_data=profile(environment).keep_data,
    )

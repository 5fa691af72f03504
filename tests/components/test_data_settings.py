"""The settings of Vpc, ManagedPostgres and RedisCluster (what a person chooses) apart from their wiring
(what the Region fills in): each Args extends its settings, settings-only rules fail at the settings,
rules that need the wiring stay in the Args, and the stack adapters' settings hold the stack file's values."""

import asyncio
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
import pytest

from eksplatform.components.global_role import GlobalRole
from eksplatform.components.inputs import ArgsError, args_from_settings, to_args
from eksplatform.components.postgres import (
    ManagedPostgresArgs,
    PostgresArgsError,
    PostgresEngine,
    PostgresGlobalDatabase,
    PostgresSettings,
)
from eksplatform.components.redis import (
    RedisArgsError,
    RedisClusterArgs,
    RedisEngine,
    RedisGlobalDatastore,
    RedisPurpose,
    RedisSettings,
)
from eksplatform.components.vpc import NatStrategy, VpcArgs, VpcArgsError, VpcSettings
from eksplatform.environments import profile
from eksplatform.stack.data_args import postgres_settings, redis_settings, vpc_settings
from eksplatform.stack.loading import load_stack_file, read_stack_file
from tests.components.test_platform import prod_without_deployer_and_an_rpo_of_7_minutes

ROOT = Path(__file__).resolve().parents[2]
ENVIRONMENTS = ("dev", "staging", "prod")

# The split the Region composes from (the settings) and fills in itself (the wiring).
SPLIT: dict[type, tuple[type, list[str], list[str]]] = {
    VpcArgs: (
        VpcSettings,
        [
            "cidr",
            "az_count",
            "availability_zone_ids",
            "nat_strategy",
            "subnets",
            "subnet_slots",
            "flow_log_retention_days",
            "interface_endpoints",
        ],
        ["cluster_name", "flow_log_group"],
    ),
    ManagedPostgresArgs: (
        PostgresSettings,
        [
            "engine",
            "instance_class",
            "major_version",
            "engine_version",
            "allocated_storage_gib",
            "max_allocated_storage_gib",
            "multi_az",
            "read_replicas",
            "readers",
            "backup_retention_days",
            "backup_window",
            "maintenance_window",
            "proxy",
            "log_retention_days",
            "deletion_protection",
            "final_snapshot",
            "keep_data",
        ],
        [
            "identifier",
            "vpc_id",
            "subnet_ids",
            "availability_zones",
            "allowed_security_groups",
            "allowed_cidrs",
            "alarm_topic_arn",
            "global_database",
            "rpo_seconds",
        ],
    ),
    RedisClusterArgs: (
        RedisSettings,
        [
            "node_type",
            "engine",
            "engine_version",
            "cluster_mode",
            "shards",
            "replicas_per_shard",
            "snapshot_retention_days",
            "snapshot_window",
            "maintenance_window",
            "log_retention_days",
            "keep_data",
        ],
        [
            "replication_group_id",
            "purpose",
            "vpc_id",
            "subnet_ids",
            "allowed_security_groups",
            "allowed_cidrs",
            "alarm_topic_arn",
            "global_datastore",
            "rpo_seconds",
        ],
    ),
}

POSTGRES_WIRING: dict[str, Any] = {
    "identifier": "orders-db",
    "vpc_id": "vpc-1",
    "subnet_ids": ["subnet-1", "subnet-2"],
    "availability_zones": ["us-east-1a", "us-east-1b"],
}
REDIS_WIRING: dict[str, Any] = {
    "replication_group_id": "orders-queue",
    "purpose": RedisPurpose.QUEUE,
    "vpc_id": "vpc-1",
    "subnet_ids": ["subnet-1", "subnet-2"],
}


def names(cls: type) -> list[str]:
    return [field.name for field in dataclasses.fields(cls) if field.init]


# --- the split --------------------------------------------------------------------------------


@pytest.mark.parametrize("args_type", list(SPLIT), ids=lambda cls: cls.__name__)
def test_the_args_extend_their_settings_with_exactly_the_wiring(args_type: type) -> None:
    settings_type, settings, wiring = SPLIT[args_type]
    assert args_type.__mro__[1] is settings_type
    assert names(settings_type) == settings
    assert names(args_type) == settings + wiring, "settings first, then the wiring"
    assert settings_type.__dataclass_params__.frozen  # type: ignore[attr-defined]
    assert all(field.kw_only for field in dataclasses.fields(settings_type))


@pytest.mark.parametrize("args_type", list(SPLIT), ids=lambda cls: cls.__name__)
def test_every_field_keeps_its_own_docstring_in_the_class_that_declares_it(args_type: type) -> None:
    # The analyzer reads a field's description from the source of the class that declares it
    # (eksplatform/pulumi_internals.py walks the bases); each must still have one.
    from pulumi.provider.experimental.analyzer import Analyzer

    from eksplatform.pulumi_internals import field_docs_from_base_classes

    field_docs_from_base_classes()
    settings_type, settings, wiring = SPLIT[args_type]
    analyzer = Analyzer("test")
    for name in settings:
        assert analyzer.get_docstring(settings_type, name), f"{settings_type.__name__}.{name}"
    for name in settings + wiring:
        assert analyzer.get_docstring(args_type, name), f"{args_type.__name__}.{name}"


# --- settings-only rules fail at the settings, naming the field ------------------------------


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: VpcSettings(cidr="10.0.0.0/8"), VpcArgsError, r"^args\.cidr: 10\.0\.0\.0/8 has prefix /8"),
        (lambda: VpcSettings(cidr="10.0.0.0/16", az_count=7), VpcArgsError, r"^args\.az_count: 7 must be 1 to 6"),
        (
            lambda: VpcSettings(cidr="10.0.0.0/16", az_count=3, subnet_slots=2),
            VpcArgsError,
            r"^args\.subnet_slots: 2 must be az_count \(3\) to 6",
        ),
        (
            lambda: VpcSettings(cidr="10.0.0.0/16", flow_log_retention_days=2),
            VpcArgsError,
            r"^args\.flow_log_retention_days: 2 is not a CloudWatch retention period",
        ),
        (
            lambda: PostgresSettings(engine=PostgresEngine.RDS, instance_class="db.t4g.micro", readers=1),
            PostgresArgsError,
            r"^args\.readers: not for engine rds",
        ),
        (
            lambda: PostgresSettings(engine=PostgresEngine.AURORA, instance_class="db.t4g.micro"),
            PostgresArgsError,
            r"^args\.instance_class: ",
        ),
        (
            lambda: PostgresSettings(
                engine=PostgresEngine.AURORA, instance_class="db.r7g.large", backup_retention_days=36
            ),
            PostgresArgsError,
            r"^args\.backup_retention_days: 36 is outside 1-35",
        ),
        (
            lambda: RedisSettings(node_type="cache.t4g.small", shards=2),
            RedisArgsError,
            r"^args\.shards: 2 shards need cluster_mode",
        ),
        (
            lambda: RedisSettings(node_type="cache.t4g.small", log_retention_days=2),
            RedisArgsError,
            r"^args\.log_retention_days: 2 is not a CloudWatch retention period",
        ),
        (
            lambda: RedisSettings(node_type="cache.t4g.small", engine="memcached"),  # type: ignore[arg-type]
            RedisArgsError,
            r"^args\.engine: 'memcached' is not one of",
        ),
    ],
)
def test_a_settings_rule_fails_when_the_settings_are_built(build: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        build()


@pytest.fixture
def output() -> Iterator[pulumi.Output[str]]:
    """An Output needs an event loop to be made in; the host runs the component inside one."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield pulumi.Output.from_input("10.0.0.0/16")
    asyncio.set_event_loop(None)
    loop.close()


def test_the_settings_check_their_fields_types_like_the_args(output: pulumi.Output[str]) -> None:
    with pytest.raises(VpcArgsError, match=r"^args\.cidr: must be a plain value known before deployment"):
        VpcSettings(cidr=output)  # type: ignore[arg-type]
    with pytest.raises(RedisArgsError, match=r"^args\.shards: expected int, got str"):
        RedisSettings(node_type="cache.t4g.small", shards="2")  # type: ignore[arg-type]
    # The Args' wiring fields are type-checked too (the settings' check walks the Args' fields).
    with pytest.raises(VpcArgsError, match=r"^args\.cluster_name: expected str, got int"):
        VpcArgs(cidr="10.0.0.0/16", cluster_name=3)  # type: ignore[arg-type]


def test_rules_that_need_the_wiring_stay_in_the_args() -> None:
    # A queue keeps a snapshot, a cache need not: the settings alone cannot tell.
    cache_like = RedisSettings(node_type="cache.t4g.small", snapshot_retention_days=0)
    with pytest.raises(RedisArgsError, match=r"^args\.snapshot_retention_days: "):
        args_from_settings(RedisClusterArgs, cache_like, **REDIS_WIRING)
    assert args_from_settings(RedisClusterArgs, cache_like, **{**REDIS_WIRING, "purpose": RedisPurpose.CACHE})
    # A global database needs a full engine version: the membership is wiring.
    bare = PostgresSettings(engine=PostgresEngine.AURORA, instance_class="db.r7g.large")
    member = PostgresGlobalDatabase(role=GlobalRole.PRIMARY, global_cluster_identifier="orders")
    with pytest.raises(PostgresArgsError, match=r"^args\.engine_version: an Aurora Global Database needs"):
        args_from_settings(ManagedPostgresArgs, bare, **POSTGRES_WIRING, global_database=member)
    # The wiring's own rules.
    with pytest.raises(VpcArgsError, match=r"^args\.cluster_name: 'no spaces' is not an EKS cluster name"):
        args_from_settings(VpcArgs, VpcSettings(cidr="10.0.0.0/16"), cluster_name="no spaces")
    with pytest.raises(PostgresArgsError, match=r"^args\.identifier: 'Orders': use 2-52 lowercase"):
        args_from_settings(ManagedPostgresArgs, bare, **{**POSTGRES_WIRING, "identifier": "Orders"})
    with pytest.raises(RedisArgsError, match=r"^args\.rpo_seconds: 0: must be at least 1"):
        args_from_settings(RedisClusterArgs, cache_like, **{**REDIS_WIRING, "purpose": "cache", "rpo_seconds": 0})


def test_the_settings_resolve_their_defaults_without_the_wiring() -> None:
    # The Region reads these from another region's settings: same answers as the Args give.
    network = VpcSettings(cidr="10.20.0.0/16", nat_strategy=NatStrategy.SINGLE)
    assert network.plan() == args_from_settings(VpcArgs, network, cluster_name="c").plan()
    assert [subnet.tier for subnet in network.plan()].count("private") == 3
    assert network.resolved_nat_strategy is NatStrategy.SINGLE and network.resolved_subnet_slots == 6
    database = PostgresSettings(engine=PostgresEngine.RDS, instance_class="db.t4g.micro")
    assert database.resolved_engine_version == "17"
    assert database.resolved_multi_az is profile("prod").rds_multi_az is True
    assert database.resolved_deletion_protection and database.resolved_keep_data
    assert database.instance_count == 1 and "db.t4g.micro" in database.instance_classes
    cache = RedisSettings(node_type="cache.t4g.small", engine=RedisEngine.REDIS)
    assert cache.resolved_engine_version == "7.1"
    assert cache.resolved_replicas_per_shard == 1 and cache.resolved_keep_data


# --- the stack adapters: config -> settings, + wiring -> the Args the stack used --------------


def regions(environment: str) -> list[Any]:
    return list(load_stack_file(ROOT / f"Pulumi.{environment}.yaml").regions)


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_settings_hold_the_stack_files_values_and_the_environments_rules(environment: str) -> None:
    rules = profile(environment)
    for region in regions(environment):
        network = vpc_settings(region.vpc, region=region.name)
        assert type(network) is VpcSettings
        assert (network.cidr, network.az_count, network.nat_strategy) == (
            str(region.vpc.cidr),
            region.vpc.az_count,
            NatStrategy(region.vpc.nat_strategy),
        )
        assert network.flow_log_retention_days == region.vpc.flow_log_retention_days
        assert network.interface_endpoints == region.vpc.interface_endpoints

        database = postgres_settings(region.postgres, environment=environment)
        assert type(database) is PostgresSettings
        for name in ("instance_class", "major_version", "engine_version", "backup_retention_days", "proxy"):
            assert getattr(database, name) == getattr(region.postgres, name), name
        assert database.engine is PostgresEngine(region.postgres.engine)
        assert (database.final_snapshot, database.keep_data) == (rules.final_snapshot, rules.keep_data)
        if region.postgres.deletion_protection is None:
            assert database.deletion_protection is rules.database_deletion_protection

        for purpose in ("cache", "queue"):
            config = getattr(region.redis, purpose)
            redis = redis_settings(config, environment=environment)
            assert type(redis) is RedisSettings
            for name in ("node_type", "shards", "replicas_per_shard", "snapshot_retention_days", "maintenance_window"):
                assert getattr(redis, name) == getattr(config, name), name
            assert redis.keep_data is rules.keep_data


def test_the_region_wires_the_stacks_rpo_into_the_data_stores_args() -> None:
    # What the Region registers: it builds each data store's Args from the stack's settings with
    # `rpo_seconds` = the stack's rpoMinutes * 60, which every secondary's lag alarm compares with.
    # 7 minutes, not the default 15, so a Region that dropped the wiring would fail here. (The
    # run's other edit, no deployer, changes no alarm.)
    config = load_stack_file(ROOT / "Pulumi.prod.yaml")
    assert "platform:rpoMinutes" not in read_stack_file(ROOT / "Pulumi.prod.yaml")  # prod keeps the default
    alarms = prod_without_deployer_and_an_rpo_of_7_minutes().by_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    lag = {alarm.name: alarm.inputs["threshold"] for alarm in alarms if alarm.name.endswith("-global-lag")}
    secondaries = [region.name for region in config.regions if not region.primary]
    assert len(secondaries) >= 1
    assert lag == {
        **{f"{name}-postgres-global-lag": 420 * 1000 for name in secondaries},  # milliseconds
        **{f"{name}-redis-queue-global-lag": 420 for name in secondaries},
    }


# --- the provider host's dicts ------------------------------------------------------------------


def test_to_args_builds_each_args_from_a_mapped_dict_of_settings_and_wiring() -> None:
    network = to_args(VpcArgs, {"cidr": "10.1.0.0/16", "nat_strategy": "none", "cluster_name": "platform-eu"})
    assert network == VpcArgs(cidr="10.1.0.0/16", nat_strategy=NatStrategy.NONE, cluster_name="platform-eu")
    mapped = {**POSTGRES_WIRING, "engine": "rds", "instance_class": "db.t4g.micro", "read_replicas": 1.0}
    database = to_args(ManagedPostgresArgs, mapped)
    assert database.engine is PostgresEngine.RDS and database.read_replicas == 1 and database.identifier == "orders-db"
    redis = to_args(
        RedisClusterArgs,
        {
            **REDIS_WIRING,
            "purpose": "queue",
            "node_type": "cache.r7g.large",
            "global_datastore": {"role": "primary", "suffix": "orders"},
        },
    )
    assert redis.resolved_purpose is RedisPurpose.QUEUE
    assert redis.global_datastore == RedisGlobalDatastore(role=GlobalRole.PRIMARY, suffix="orders")


def test_a_settings_error_from_a_mapped_dict_uses_the_schemas_names() -> None:
    with pytest.raises(PostgresArgsError, match=r"^args\.backupRetentionDays: 40 is outside 1-35"):
        to_args(
            ManagedPostgresArgs,
            {**POSTGRES_WIRING, "engine": "aurora", "instance_class": "db.r7g.large", "backup_retention_days": 40},
        )


@dataclass(frozen=True, kw_only=True)
class OuterArgs:
    """A composition like RegionArgs: each building block's settings at a field of its own."""

    network: VpcSettings
    postgres: PostgresSettings
    queue: RedisSettings


def outer(**changes: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "network": {"cidr": "10.0.0.0/16"},
        "postgres": {"engine": "aurora", "instance_class": "db.r7g.large"},
        "queue": {"node_type": "cache.r7g.large"},
    }
    value.update(changes)
    return value


def test_settings_nested_in_an_outer_args_are_built_from_dicts() -> None:
    built = to_args(OuterArgs, outer())
    assert built.network == VpcSettings(cidr="10.0.0.0/16")
    assert built.postgres.resolved_engine is PostgresEngine.AURORA
    assert built.queue.resolved_engine == "valkey"


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"network": {"cidr": "10.0.0.0/8"}}, VpcArgsError, r"^args\.network\.cidr: 10\.0\.0\.0/8 has prefix /8"),
        (
            {"postgres": {"engine": "rds", "instance_class": "db.t4g.micro", "readers": 1}},
            PostgresArgsError,
            r"^args\.postgres\.readers: not for engine rds",
        ),
        (
            {"postgres": {"engine": "aurora", "instance_class": "db.r7g.large", "log_retention_days": 2}},
            PostgresArgsError,
            r"^args\.postgres\.logRetentionDays: 2 is not a CloudWatch retention period",
        ),
        (
            {"queue": {"node_type": "cache.t4g.small", "shards": 2}},
            RedisArgsError,
            r"^args\.queue\.shards: 2 shards need cluster_mode",
        ),
        ({"queue": {"node_type": "cache.t4g.small", "purpose": "queue"}}, ArgsError, r"^args\.queue\.purpose: unknown"),
    ],
)
def test_a_nested_settings_error_is_named_under_the_outer_field(
    changes: dict[str, Any], error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        to_args(OuterArgs, outer(**changes))

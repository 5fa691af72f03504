"""The public Args of Vpc, ManagedPostgres and RedisCluster: secure defaults, one error per AWS rule
naming the field, the provider host's dicts, and no dependency on the stack layer."""

import ast
from pathlib import Path
from typing import Any

import pytest

from eksplatform.components.data_rules import POSTGRES_MAJOR_VERSIONS
from eksplatform.components.global_role import GlobalRole
from eksplatform.components.inputs import ArgsError, args_from_settings, to_args
from eksplatform.components.postgres import (
    ManagedPostgresArgs,
    PostgresArgsError,
    PostgresEngine,
    PostgresGlobalDatabase,
)
from eksplatform.components.redis import (
    RedisArgsError,
    RedisClusterArgs,
    RedisEngine,
    RedisGlobalDatastore,
    RedisPurpose,
)
from eksplatform.components.vpc import NatStrategy, VpcArgs, VpcSubnetTier
from eksplatform.environments import PROFILES
from eksplatform.stack.data_args import postgres_settings, redis_settings, vpc_settings
from eksplatform.stack.errors import KeyedValueError
from eksplatform.stack.loading import load_stack_file
from eksplatform.stack.models_data import PostgresConfig, RedisClusterConfig

ROOT = Path(__file__).resolve().parents[2]
PROD = PROFILES["prod"]


def aurora(**changes: Any) -> ManagedPostgresArgs:
    settings: dict[str, Any] = {
        "identifier": "orders-db",
        "engine": PostgresEngine.AURORA,
        "instance_class": "db.r7g.large",
        "vpc_id": "vpc-1",
        "subnet_ids": ["subnet-1", "subnet-2"],
        "availability_zones": ["us-east-1a", "us-east-1b"],
    }
    settings.update(changes)
    return ManagedPostgresArgs(**settings)


def rds(**changes: Any) -> ManagedPostgresArgs:
    return aurora(**{"engine": PostgresEngine.RDS, "instance_class": "db.t4g.micro", **changes})


def queue(**changes: Any) -> RedisClusterArgs:
    settings: dict[str, Any] = {
        "replication_group_id": "orders-queue",
        "purpose": RedisPurpose.QUEUE,
        "node_type": "cache.r7g.large",
        "vpc_id": "vpc-1",
        "subnet_ids": ["subnet-1", "subnet-2"],
    }
    settings.update(changes)
    return RedisClusterArgs(**settings)


def primary() -> PostgresGlobalDatabase:
    return PostgresGlobalDatabase(role=GlobalRole.PRIMARY, global_cluster_identifier="orders")


# --- secure defaults -------------------------------------------------------------------------


def test_vpc_defaults_are_the_production_network() -> None:
    args = VpcArgs(cidr="10.0.0.0/16")
    assert args.resolved_az_count == 3
    assert args.resolved_nat_strategy is NatStrategy.ONE_PER_AZ
    assert args.resolved_subnet_slots == 6
    assert args.resolved_flow_log_retention_days == PROD.min_log_retention_days == 365
    assert not args.interface_endpoints


def test_postgres_defaults_protect_and_keep_the_data_as_production_does() -> None:
    args = rds()
    assert args.resolved_deletion_protection is PROD.database_deletion_protection is True
    assert args.resolved_final_snapshot is PROD.final_snapshot is True
    assert args.resolved_keep_data is PROD.keep_data is True
    assert args.resolved_multi_az is PROD.rds_multi_az is True
    assert args.resolved_backup_retention_days == PROD.min_backup_retention_days == 30
    assert args.resolved_log_retention_days == PROD.min_log_retention_days
    assert args.resolved_major_version == max(POSTGRES_MAJOR_VERSIONS)
    assert aurora().resolved_readers == 1 and PROD.aurora_standby
    assert aurora().instance_count == 2


def test_redis_defaults_are_multi_az_and_kept() -> None:
    args = queue()
    assert args.resolved_engine == "valkey"
    assert args.resolved_replicas_per_shard == 1 and PROD.redis_multi_az
    assert args.resolved_keep_data is PROD.keep_data is True
    assert args.resolved_log_retention_days == PROD.min_log_retention_days
    assert args.resolved_snapshot_retention_days >= 1


# --- every AWS rule, named by its field --------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: aurora(instance_class="db.t4g.micro"), r"^args\.instance_class: Aurora PostgreSQL does not offer"),
        (lambda: rds(instance_class="db.r7g.huge"), r"^args\.instance_class: RDS for PostgreSQL does not offer"),
        (lambda: aurora(major_version=15), r"^args\.major_version: 15 is not one of \(16, 17\)"),
        (lambda: aurora(engine_version="17"), r"^args\.engine_version: '17' is not a full version"),
        (lambda: aurora(engine_version="16.4"), r"^args\.engine_version: '16\.4' is not a version of major_version 17"),
        (lambda: aurora(read_replicas=1), r"^args\.read_replicas: not for engine aurora"),
        (lambda: aurora(multi_az=True), r"^args\.multi_az: not for engine aurora"),
        (
            lambda: rds(readers=1),
            r"^args\.readers: not for engine rds: an rds instance scales reads with read_replicas",
        ),
        (lambda: rds(allocated_storage_gib=10), r"^args\.allocated_storage_gib: 10 is outside 20-65536"),
        (
            lambda: rds(allocated_storage_gib=100, max_allocated_storage_gib=50),
            r"^args\.max_allocated_storage_gib: 50 must be at least 1\.1x allocated_storage_gib 100, i\.e\. 110 GiB",
        ),
        # The cap applies to the resolved storage (20 GiB when not given): AWS needs it above the storage.
        (lambda: rds(max_allocated_storage_gib=20), r"^args\.max_allocated_storage_gib: 20 must be at least 1\.1x"),
        (
            lambda: rds(allocated_storage_gib=100, max_allocated_storage_gib=105),
            r"^args\.max_allocated_storage_gib: 105 .*storage autoscaling grows it by at least 10 %",
        ),
        (lambda: aurora(backup_window="03:00-03:29"), r"^args\.backup_window: '03:00-03:29' lasts 29 minutes; RDS"),
        (
            lambda: aurora(maintenance_window="sun:04:30-sun:04:45"),
            r"^args\.maintenance_window: 'sun:04:30-sun:04:45' lasts 15 minutes; RDS needs at least 30",
        ),
        # The default maintenance window (sun:04:30-sun:05:30) against a given backup window.
        (lambda: aurora(backup_window="05:00-06:00"), r"^args\.backup_window: '05:00-06:00' overlaps maintenance_win"),
        # A backup window across midnight against a maintenance window across the week's end.
        (
            lambda: rds(backup_window="23:30-00:30", maintenance_window="sun:23:00-mon:00:00"),
            r"^args\.backup_window: '23:30-00:30' overlaps maintenance_window 'sun:23:00-mon:00:00'",
        ),
        (lambda: rds(read_replicas=16), r"^args\.read_replicas: 16 is outside 0-15"),
        (lambda: aurora(backup_retention_days=0), r"^args\.backup_retention_days: 0 is outside 1-35"),
        (lambda: aurora(backup_window="3:00-4:00"), r"^args\.backup_window: '3:00-4:00' is not a UTC window"),
        (lambda: aurora(maintenance_window="sun:25:00-sun:26:00"), r"^args\.maintenance_window: "),
        (lambda: aurora(log_retention_days=31), r"^args\.log_retention_days: 31 is not a CloudWatch retention"),
        (lambda: aurora(allowed_cidrs={"peer": "10.0.0.0/33"}), r"^args\.allowed_cidrs\.peer: '10\.0\.0\.0/33'"),
        (lambda: aurora(engine="mysql"), r"^args\.engine: 'mysql' is not one of 'rds', 'aurora'"),
        (lambda: aurora(global_database=primary()), r"^args\.engine_version: an Aurora Global Database needs a full"),
        # An Aurora global database requires memory-optimized classes (Aurora user guide, "Configuration
        # requirements of an Amazon Aurora global database"); a burstable one is fine outside it.
        (
            lambda: aurora(instance_class="db.t4g.medium", engine_version="17.5", global_database=primary()),
            r"^args\.instance_class: db\.t4g\.medium is burstable; an Aurora global database needs a memory-optimized",
        ),
        (
            lambda: aurora(
                engine_version="17.5",
                global_database=PostgresGlobalDatabase(role=GlobalRole.PRIMARY, global_cluster_identifier="-bad"),
            ),
            r"^args\.global_database\.global_cluster_identifier: '-bad': a primary names",
        ),
        (
            lambda: aurora(
                engine_version="17.5",
                global_database=PostgresGlobalDatabase(role=GlobalRole.PRIMARY, global_cluster_identifier="Orders"),
            ),
            r"^args\.global_database\.global_cluster_identifier: 'Orders': a primary names .* lowercase",
        ),
        (
            lambda: aurora(
                engine_version="17.5",
                global_database=PostgresGlobalDatabase(
                    role=GlobalRole.PRIMARY, global_cluster_identifier="orders", writer_endpoint="w"
                ),
            ),
            r"^args\.global_database\.writer_endpoint: only a secondary takes it",
        ),
        (
            lambda: aurora(
                engine_version="17.5",
                global_database=PostgresGlobalDatabase(
                    role=GlobalRole.SECONDARY, global_cluster_identifier="orders", writer_endpoint="w"
                ),
            ),
            r"^args\.global_database\.master_password: a secondary needs it",
        ),
    ],
)
def test_each_postgres_rule_names_its_field(build: Any, message: str) -> None:
    with pytest.raises(PostgresArgsError, match=message):
        build()


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: queue(node_type="cache.x9.large"), r"^args\.node_type: 'cache\.x9\.large' is not an ElastiCache node"),
        (lambda: queue(engine_version="6.2"), r"^args\.engine_version: valkey offers"),
        (
            lambda: queue(engine=RedisEngine.REDIS, engine_version="8.0"),
            r"^args\.engine_version: redis offers \('7\.0', '7\.1'\), not '8\.0'",
        ),
        (lambda: queue(shards=2), r"^args\.shards: 2 shards need cluster_mode: true"),
        (lambda: queue(cluster_mode=True, shards=200, replicas_per_shard=5), r"^args\.shards: .* at most 500"),
        (lambda: queue(replicas_per_shard=6), r"^args\.replicas_per_shard: 6 is outside 0-5"),
        (lambda: queue(snapshot_retention_days=0), r"^args\.snapshot_retention_days: the queue keeps snapshots"),
        (lambda: queue(snapshot_window="03:00"), r"^args\.snapshot_window: '03:00' is not a UTC window"),
        (
            lambda: queue(maintenance_window="sun:05:00-sun:05:59"),
            r"^args\.maintenance_window: 'sun:05:00-sun:05:59' lasts 59 minutes; ElastiCache needs at least 60",
        ),
        (lambda: queue(log_retention_days=2), r"^args\.log_retention_days: 2 is not a CloudWatch retention"),
        (lambda: queue(purpose="stream"), r"^args\.purpose: 'stream' is not one of 'cache', 'queue'"),
        (
            lambda: queue(global_datastore=RedisGlobalDatastore(role=GlobalRole.PRIMARY)),
            r"^args\.global_datastore\.suffix: None: a primary names its datastore",
        ),
        (
            lambda: queue(global_datastore=RedisGlobalDatastore(role=GlobalRole.SECONDARY, auth_token="t")),
            r"^args\.global_datastore\.global_replication_group_id: a secondary needs it",
        ),
        (
            lambda: queue(
                global_datastore=RedisGlobalDatastore(
                    role=GlobalRole.SECONDARY, suffix="q", global_replication_group_id="g", auth_token="t"
                )
            ),
            r"^args\.global_datastore\.suffix: only a primary takes it",
        ),
    ],
)
def test_each_redis_rule_names_its_field(build: Any, message: str) -> None:
    with pytest.raises(RedisArgsError, match=message):
        build()


def test_the_cache_may_skip_snapshots_but_not_go_global() -> None:
    assert queue(purpose=RedisPurpose.CACHE, snapshot_retention_days=0).resolved_snapshot_retention_days == 0
    with pytest.raises(RedisArgsError, match=r"^args\.global_datastore: only the queue is global"):
        queue(purpose=RedisPurpose.CACHE, global_datastore=RedisGlobalDatastore(role=GlobalRole.PRIMARY, suffix="q"))


# --- one place per rule: the stack config reports the Args' own rule at its key ---------------


def test_the_stack_config_reports_the_same_rules_at_its_camel_case_keys() -> None:
    with pytest.raises(
        ValueError, match=r"readers: not for engine rds: an rds instance scales reads with readReplicas"
    ):
        PostgresConfig.model_validate({"engine": "rds", "instanceClass": "db.t4g.micro", "readers": 1})
    with pytest.raises(ValueError, match=r"shards: 2 shards need clusterMode: true"):
        RedisClusterConfig.model_validate({"nodeType": "cache.t4g.small", "shards": 2})
    with pytest.raises(ValueError, match=r"engineVersion: '16\.4' is not a version of majorVersion 17"):
        PostgresConfig.model_validate({"engine": "aurora", "instanceClass": "db.r7g.large", "engineVersion": "16.4"})
    assert issubclass(KeyedValueError, ValueError)


# --- the provider host's dicts ----------------------------------------------------------------


def test_to_args_rebuilds_nested_membership_and_enums_from_a_mapped_dict() -> None:
    args = to_args(
        ManagedPostgresArgs,
        {
            "identifier": "orders-db",
            "engine": "aurora",
            "instance_class": "db.r7g.large",
            "engine_version": "17.5",
            "vpc_id": "vpc-1",
            "subnet_ids": ["subnet-1"],
            "availability_zones": ["us-east-1a"],
            "readers": 2.0,
            "global_database": {
                "role": "secondary",
                "global_cluster_identifier": "orders",
                "master_password": "p",
                "writer_endpoint": "w",
            },
        },
    )
    assert args.engine is PostgresEngine.AURORA and args.readers == 2
    assert isinstance(args.global_database, PostgresGlobalDatabase)
    assert args.global_role is GlobalRole.SECONDARY
    vpc = to_args(
        VpcArgs, {"cidr": "10.1.0.0/16", "nat_strategy": "single", "subnets": {"public": {"prefix_length": 26}}}
    )
    assert vpc.resolved_nat_strategy is NatStrategy.SINGLE
    assert vpc.subnets is not None and vpc.subnets.public == VpcSubnetTier(prefix_length=26)
    redis = to_args(RedisClusterArgs, {**queue().__dict__, "purpose": "cache", "global_datastore": None})
    assert redis.purpose is RedisPurpose.CACHE


def test_a_bad_value_in_a_mapped_dict_names_its_path() -> None:
    with pytest.raises(ArgsError, match=r"^args\.globalDatabase\.role: 'tertiary' is not one of"):
        to_args(
            ManagedPostgresArgs,
            {
                **aurora(engine_version="17.5").__dict__,
                "global_database": {"role": "tertiary", "global_cluster_identifier": "g"},
            },
        )


# --- layering -----------------------------------------------------------------------------------


@pytest.mark.parametrize("module", ["vpc", "postgres", "redis", "data_rules", "global_role"])
def test_the_component_module_imports_nothing_from_the_stack_layer(module: str) -> None:
    tree = ast.parse((ROOT / "components" / f"{module}.py").read_text())
    imported = [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)] + [
        alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    ]
    assert not [name for name in imported if name.startswith(("eksplatform.stack", "stack"))]
    assert "from __future__ import annotations" not in (ROOT / "components" / f"{module}.py").read_text()


# --- the stack adapters pass every value, so no stack depends on the Args' defaults ------------


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_the_stack_adapters_pass_every_setting_explicitly(environment: str) -> None:
    # The Args as the Region builds them: the stack's settings plus wiring (eksplatform/stack/region.py).
    config = load_stack_file(ROOT / f"Pulumi.{environment}.yaml")
    for region in config.regions:
        vpc = args_from_settings(VpcArgs, vpc_settings(region.vpc, region=region.name))
        assert [name for name, value in vars(vpc).items() if value is None] == [
            name for name in ("availability_zone_ids", "cluster_name", "flow_log_group") if getattr(vpc, name) is None
        ]
        postgres = args_from_settings(
            ManagedPostgresArgs,
            postgres_settings(region.postgres, environment=environment),
            identifier="platform-test",
            vpc_id="vpc-1",
            subnet_ids=["subnet-1"],
            availability_zones=["a"],
            allowed_security_groups={},
            allowed_cidrs={},
            rpo_seconds=900,
        )
        other_engine = (
            {"readers"}
            if postgres.engine is PostgresEngine.RDS
            else {"allocated_storage_gib", "max_allocated_storage_gib", "multi_az", "read_replicas"}
        )
        optional = {"engine_version", "max_allocated_storage_gib", "alarm_topic_arn", "global_database"}
        assert {name for name, value in vars(postgres).items() if value is None} <= other_engine | optional
        for purpose in ("cache", "queue"):
            redis = args_from_settings(
                RedisClusterArgs,
                redis_settings(getattr(region.redis, purpose), environment=environment),
                replication_group_id=f"platform-test-{purpose}",
                purpose=RedisPurpose(purpose),
                vpc_id="vpc-1",
                subnet_ids=["subnet-1"],
                allowed_security_groups={},
                allowed_cidrs={},
                rpo_seconds=900,
            )
            assert {name for name, value in vars(redis).items() if value is None} <= {
                "engine_version",
                "alarm_topic_arn",
                "global_datastore",
            }


def test_windows_and_storage_at_aws_limits_are_accepted() -> None:
    # 30-minute RDS windows that touch but do not overlap; a cap of exactly 1.1x the storage.
    database = rds(
        allocated_storage_gib=100,
        max_allocated_storage_gib=110,
        backup_window="04:00-04:30",
        maintenance_window="sun:04:30-sun:05:00",
    )
    assert database.max_allocated_storage_gib == 110
    # A one-hour ElastiCache maintenance window, and a one-letter replication group id (AWS: 1-40).
    assert queue(maintenance_window="sat:23:30-sun:00:30").resolved_maintenance_window == "sat:23:30-sun:00:30"
    assert queue(replication_group_id="q").replication_group_id == "q"


def test_every_args_error_is_an_args_error() -> None:
    # One error family (components/inputs.py): a RunError that Pulumi prints without a traceback.
    from eksplatform.components.cluster import ClusterArgsError
    from eksplatform.components.vpc import VpcArgsError

    for error_type in (VpcArgsError, PostgresArgsError, RedisArgsError, ClusterArgsError):
        assert issubclass(error_type, ArgsError), error_type


def test_a_burstable_class_is_refused_only_in_a_global_database() -> None:
    # The rule is the global database's (components/data_rules.py check_global_database_class).
    assert aurora(instance_class="db.t4g.medium").instance_class == "db.t4g.medium"
    assert aurora(instance_class="db.r7g.large", engine_version="17.5", global_database=primary())

"""A data store's Args as the Region builds them (eksplatform/stack/region.py): a stack's settings
(`postgres_settings`, `redis_settings`) plus explicit wiring, through `args_from_settings`, the one
builder of a building block's Args. The Region passes the peers' CIDRs as a dict (none: empty) and
the RPO in seconds; these helpers do the same (no peers, no alarm topic), so a component test builds
what a stack would."""

from collections.abc import Mapping, Sequence

import pulumi

from eksplatform.components.inputs import args_from_settings
from eksplatform.components.postgres import ManagedPostgresArgs, PostgresGlobalDatabase, PostgresSettings
from eksplatform.components.redis import RedisClusterArgs, RedisGlobalDatastore, RedisPurpose, RedisSettings


def postgres_args(
    settings: PostgresSettings,
    *,
    identifier: str,
    vpc_id: pulumi.Input[str],
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]],
    availability_zones: pulumi.Input[Sequence[str]],
    allowed_security_groups: Mapping[str, pulumi.Input[str]],
    global_database: PostgresGlobalDatabase | None = None,
    rpo_minutes: int = 15,
) -> ManagedPostgresArgs:
    """ManagedPostgresArgs from `settings` and the wiring, as the Region fills it in."""
    return args_from_settings(
        ManagedPostgresArgs,
        settings,
        identifier=identifier,
        vpc_id=vpc_id,
        subnet_ids=subnet_ids,
        availability_zones=availability_zones,
        allowed_security_groups=dict(allowed_security_groups),
        allowed_cidrs={},
        alarm_topic_arn=None,
        global_database=global_database,
        rpo_seconds=rpo_minutes * 60,
    )


def redis_args(
    purpose: str,
    settings: RedisSettings,
    *,
    replication_group_id: str,
    vpc_id: pulumi.Input[str],
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]],
    allowed_security_groups: Mapping[str, pulumi.Input[str]],
    global_datastore: RedisGlobalDatastore | None = None,
    rpo_minutes: int = 15,
) -> RedisClusterArgs:
    """RedisClusterArgs of the `cache` or `queue` group from `settings` and the wiring, as the Region fills it in."""
    return args_from_settings(
        RedisClusterArgs,
        settings,
        replication_group_id=replication_group_id,
        purpose=RedisPurpose(purpose),
        vpc_id=vpc_id,
        subnet_ids=subnet_ids,
        allowed_security_groups=dict(allowed_security_groups),
        allowed_cidrs={},
        alarm_topic_arn=None,
        global_datastore=global_datastore,
        rpo_seconds=rpo_minutes * 60,
    )

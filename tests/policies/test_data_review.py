"""The data findings of the policy review (#22 follow-up): cache users by the ACL rule that wins,
serverless caches, Aurora standbys by zone, retention on global secondaries, rotation only where
AWS can rotate and by the schedule's real interval, snapshots on every Valkey/Redis cache, EKS
deletion protection, and the control references."""

from __future__ import annotations

import math
from typing import Any

import pytest

from eksplatform.policies.rule import UNKNOWN, Resource
from eksplatform.policies.rules.data import _schedule_days
from tests.policies.builders import make, rule, urns

PASSWORD = "urn:pulumi:prod::platform::random:index/randomPassword:RandomPassword::"


# --- finding 11: cache users and serverless caches -------------------------------------------------

CACHE_AUTH = rule("exposure-elasticache-auth")


def _users(access: str) -> list[Resource]:
    group = make("aws:elasticache/userGroup:UserGroup", "users", {"userGroupId": "g", "userIds": ["g-default"]})
    default = make(
        "aws:elasticache/user:User",
        "default",
        {"userId": "g-default", "authenticationMode": {"type": "no-password-required"}, "accessString": access},
    )
    return [group, default]


@pytest.mark.parametrize("access", ["off ~* +@all on", "off on", "OFF -@all ON", "~* +@all", "on"])
def test_a_passwordless_user_enabled_by_its_last_on_is_open(access: str) -> None:
    cache = make("aws:elasticache/replicationGroup:ReplicationGroup", "cache", {"userGroupIds": ["g"]})
    group, default = _users(access)
    assert urns(CACHE_AUTH.violations([cache, group, default])) == [default.urn]


@pytest.mark.parametrize("access", ["off -@all", "on ~* +@all off", "off"])
def test_a_passwordless_user_whose_last_state_is_off_is_closed(access: str) -> None:
    cache = make("aws:elasticache/replicationGroup:ReplicationGroup", "cache", {"userGroupIds": ["g"]})
    assert CACHE_AUTH.violations([cache, *_users(access)]) == []


def test_a_serverless_cache_needs_a_user_group() -> None:
    serverless = "aws:elasticache/serverlessCache:ServerlessCache"
    bare = make(serverless, "open", {"engine": "valkey", "name": "open"})
    assert CACHE_AUTH.violations([bare]) == [
        ("cache open: set userGroupId (RBAC); it admits anyone on its network", bare.urn)
    ]
    grouped = make(serverless, "closed", {"engine": "valkey", "userGroupId": "g"})
    assert CACHE_AUTH.violations([grouped, *_users("off -@all")]) == []
    group, default = _users("on ~* +@all")
    assert urns(CACHE_AUTH.violations([grouped, group, default])) == [default.urn]
    assert CACHE_AUTH.violations([make(serverless, "memcached", {"engine": "memcached"})]) == []
    assert CACHE_AUTH.violations([make(serverless, "pending", {"engine": "valkey", "userGroupId": UNKNOWN})]) == []


# --- finding 13: Aurora readers in another zone, retention on global secondaries --------------------

STANDBY = rule("data-rds-aurora-standby")
BACKUPS = rule("data-rds-backup-retention")


def _aurora(*zones: Any) -> list[Resource]:
    cluster = make("aws:rds/cluster:Cluster", "db", {"engine": "aurora-postgresql"})
    members = [
        make(
            "aws:rds/clusterInstance:ClusterInstance",
            f"db-{index}",
            {} if zone is None else {"availabilityZone": zone},
            property_dependencies={"clusterIdentifier": [cluster.urn]},
        )
        for index, zone in enumerate(zones)
    ]
    return [cluster, *members]


def test_a_reader_pinned_to_the_writers_zone_is_no_standby() -> None:
    resources = _aurora("eu-west-1a", "eu-west-1a")
    assert STANDBY.violations(resources, {"requireMultiAz": True}) == [
        (
            "Aurora cluster db: every instance is in eu-west-1a; put a reader in another availabilityZone",
            resources[0].urn,
        )
    ]
    assert STANDBY.violations(resources) == []  # not required by default


@pytest.mark.parametrize(
    "zones",
    [("eu-west-1a", "eu-west-1b"), ("eu-west-1a", "eu-west-1a", "eu-west-1b"), (None, None), ("eu-west-1a", None)],
)
def test_readers_in_other_or_unpinned_zones_pass(zones: tuple[Any, ...]) -> None:
    assert STANDBY.violations(_aurora(*zones), {"requireMultiAz": True}) == []


def test_an_unknown_zone_is_left_for_the_update() -> None:
    assert STANDBY.violations(_aurora("eu-west-1a", "eu-west-1a", UNKNOWN), {"requireMultiAz": True}) == []


def test_a_global_secondary_keeps_the_minimum_retention() -> None:
    secondary = {"globalClusterIdentifier": "platform-prod", "backupRetentionPeriod": 1, "deletionProtection": True}
    found = BACKUPS.violations(make("aws:rds/cluster:Cluster", "euw1", secondary), {"minBackupRetentionDays": 30})
    assert found == ["set backupRetentionPeriod to at least 30 days (it is 1)"]
    replica = {"replicateSourceDb": "platform-prod-use1", "backupRetentionPeriod": 0}
    assert BACKUPS.violations(make("aws:rds/instance:Instance", "replica", replica)) == []


# --- finding 21: rotation where AWS can rotate, by the schedule's interval ---------------------------

ROTATION = rule("data-secretsmanager-rotation")


def _secret(name: str, consumer_type: str | None, field: str = "") -> list[Resource]:
    secret = make("aws:secretsmanager/secret:Secret", name, {})
    password = PASSWORD + name
    value = make(
        "aws:secretsmanager/secretVersion:SecretVersion",
        f"{name}-value",
        {},
        property_dependencies={"secretString": [password], "secretId": [secret.urn]},
    )
    if consumer_type is None:
        return [secret, value]
    consumer = make(consumer_type, f"{name}-consumer", {}, property_dependencies={field: [password]})
    return [secret, value, consumer]


def test_only_secrets_aws_can_rotate_are_asked_to_rotate() -> None:
    database = _secret("db", "aws:rds/cluster:Cluster", "masterPassword")
    instance = _secret("pg", "aws:rds/instance:Instance", "password")
    user = _secret("cache", "aws:elasticache/user:User", "authenticationMode")
    token = _secret("queue", "aws:elasticache/replicationGroup:ReplicationGroup", "authToken")
    api_key = _secret("api", None)
    found = ROTATION.violations([*database, *instance, *user, *token, *api_key])
    assert urns(found) == [database[0].urn, instance[0].urn, user[0].urn]
    assert found[0][0] == (
        "secret db holds RDS/Aurora credentials, which AWS's rotation functions rotate; add an "
        "aws.secretsmanager.SecretRotation for it"
    )
    assert "ElastiCache user credentials" in found[2][0]


def _rotated(rules: dict[str, Any]) -> list[Resource]:
    resources = _secret("db", "aws:rds/cluster:Cluster", "masterPassword")
    rotation = make(
        "aws:secretsmanager/secretRotation:SecretRotation",
        "db-rotation",
        {"rotationRules": rules},
        property_dependencies={"secretId": [resources[0].urn]},
    )
    return [*resources, rotation]


@pytest.mark.parametrize(
    "rules",
    [
        {"scheduleExpression": "rate(1000 days)"},
        {"scheduleExpression": "cron(0 16 1 1 ? *)"},  # once a year
        {"scheduleExpression": "cron(0 16 1 1,7 ? *)"},  # twice a year
        {"scheduleExpression": "cron(0 16 1 */4 ? *)"},  # every four months
        {"scheduleExpression": "cron(0 16 1 * ? 2030)"},  # only in 2030
        {"automaticallyAfterDays": 120},
    ],
)
def test_a_schedule_longer_than_the_maximum_is_caught(rules: dict[str, Any]) -> None:
    resources = _rotated(rules)
    found = ROTATION.violations(resources)
    assert urns(found) == [resources[0].urn] and "rotate within 90 days" in found[0][0]


@pytest.mark.parametrize(
    "rules",
    [
        {"scheduleExpression": "rate(30 days)"},
        {"scheduleExpression": "rate(4 hours)"},
        {"scheduleExpression": "cron(0 16 1,15 * ? *)"},
        {"scheduleExpression": "cron(0 8 ? * MON *)"},
        {"scheduleExpression": "cron(0 16 1 1,4,7,10 ? *)"},  # quarterly: at most 3 x 31 days
        {"automaticallyAfterDays": 30},
    ],
)
def test_a_schedule_within_the_maximum_passes(rules: dict[str, Any]) -> None:
    assert ROTATION.violations(_rotated(rules), {"maxDays": 100}) == []


def test_an_unreadable_schedule_is_named() -> None:
    resources = _rotated({"scheduleExpression": "every month"})
    assert ROTATION.violations(resources) == [
        (
            "secret db: scheduleExpression 'every month' is not rate(N days), rate(N hours) or a six-field cron(); "
            "write one of those",
            resources[0].urn,
        )
    ]


def test_schedule_intervals() -> None:
    assert _schedule_days("rate(10 days)") == 10
    assert _schedule_days("rate(12 hours)") == 0.5
    assert _schedule_days("cron(0 16 1,15 * ? *)") == 17
    assert _schedule_days("cron(0 16 1 1 ? *)") == 372
    assert _schedule_days("cron(0 16 1 1 ? 2030)") == math.inf
    assert _schedule_days("cron(0 16 * * ? *)") == 1
    assert _schedule_days("cron(0 16 L * ? *)") == 31
    assert _schedule_days("rate(ten days)") is None


# --- ElastiCache.1 on every Valkey/Redis cache; EKS deletion protection -------------------------------

SNAPSHOTS = rule("data-elasticache-snapshots")
GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"


def test_every_valkey_or_redis_cache_keeps_snapshots() -> None:
    cache = make(GROUP, "cache", {"replicationGroupId": "platform-prod-use1-cache", "snapshotRetentionLimit": 0})
    assert SNAPSHOTS.violations(cache) == [
        "set snapshotRetentionLimit to 1 or more (it is 0) so the cache keeps daily snapshots"
    ]
    # Renaming a queue no longer escapes; a cache that is not a queue is covered too.
    renamed = make(GROUP, "jobs", {"replicationGroupId": "jobs", "engine": "valkey"})
    assert SNAPSHOTS.violations(renamed) == [
        "set snapshotRetentionLimit to 1 or more (it is unset) so the cache keeps daily snapshots"
    ]
    serverless = make("aws:elasticache/serverlessCache:ServerlessCache", "s", {"engine": "redis"})
    assert SNAPSHOTS.violations(serverless)
    standalone = make("aws:elasticache/cluster:Cluster", "c", {"engine": "redis", "snapshotRetentionLimit": 0})
    assert SNAPSHOTS.violations(standalone)
    member = make("aws:elasticache/cluster:Cluster", "m", {"replicationGroupId": "cache"})
    assert SNAPSHOTS.violations(member) == []  # the group's setting applies
    memcached = make("aws:elasticache/cluster:Cluster", "mc", {"engine": "memcached"})
    assert SNAPSHOTS.violations(memcached) == []


def test_dev_asks_snapshots_of_queues_only() -> None:
    dev = {"queuesOnly": True}
    cache = make(GROUP, "cache", {"replicationGroupId": "platform-dev-use1-cache", "snapshotRetentionLimit": 0})
    assert SNAPSHOTS.violations(cache, dev) == []
    queue = make(GROUP, "queue", {"replicationGroupId": "platform-dev-use1-queue", "snapshotRetentionLimit": 0})
    assert SNAPSHOTS.violations(queue, dev)
    tagged = make(GROUP, "jobs", {"replicationGroupId": "jobs", "tags": {"purpose": "queue"}})
    assert SNAPSHOTS.violations(tagged, dev)


EKS_DELETION = rule("data-eks-deletion-protection")


def test_eks_clusters_keep_deletion_protection_where_required() -> None:
    cluster = make("aws:eks/cluster:Cluster", "eks", {"version": "1.34"})
    assert EKS_DELETION.violations(cluster) == [
        "set deletionProtection: true (the cluster's workloads and add-ons go with it)"
    ]
    assert EKS_DELETION.violations(make("aws:eks/cluster:Cluster", "eks", {"deletionProtection": "true"}))
    assert EKS_DELETION.violations(make("aws:eks/cluster:Cluster", "eks", {"deletionProtection": True})) == []
    assert EKS_DELETION.violations(cluster, {"requireDeletionProtection": False}) == []


# --- finding 17: control references of the data rules ------------------------------------------------


def test_the_data_rules_cite_the_controls_they_implement() -> None:
    # RDS.26 is "protected by a backup plan" (AWS Backup); cluster retention is RDS.50.
    assert rule("data-rds-backup-retention").reference == "AWS FSBP RDS.11, RDS.50"
    # ElastiCache.6 covers AUTH on engines before 6.0 only; 6.0+ caches use RBAC.
    assert rule("exposure-elasticache-auth").reference.startswith("AWS FSBP ElastiCache.6 (AUTH, engines before 6.0)")
    assert rule("data-elasticache-snapshots").reference == "AWS FSBP ElastiCache.1"

"""RedisCluster: assert on the registered replication group, auth, network, alarms, per purpose and engine."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from eksplatform.components.credentials import ELASTICACHE_PASSWORD_SPECIALS
from eksplatform.components.global_role import GlobalRole
from eksplatform.components.naming import StackNames
from eksplatform.components.providers import random_provider, regional_aws_provider
from eksplatform.components.redis import (
    APP_ACCESS_STRING,
    DISABLED_ACCESS_STRING,
    SECONDARY_CONFLICTS,
    RedisArgsError,
    RedisCluster,
    RedisClusterArgs,
    RedisGlobalDatastore,
    RedisPurpose,
)
from eksplatform.components.vpc import Vpc, VpcArgs
from eksplatform.preflight.synth import Graph
from eksplatform.stack.config import RedisClusterConfig
from eksplatform.stack.data_args import redis_settings
from tests.conftest import Harness
from tests.helpers import out, plaintext_leaks, policy
from tests.region_wiring import redis_args

TAGS = {"environment": "prod", "owner": "o", "cost-center": "c", "managed-by": "pulumi"}
RG = "aws:elasticache/replicationGroup:ReplicationGroup"
USER = "aws:elasticache/user:User"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
SHARED_TOKEN = "shared-token-from-the-primary-0123456789"


def redis_config(**changes: Any) -> RedisClusterConfig:
    raw: dict[str, Any] = {"nodeType": "cache.m7g.large", "clusterMode": True, "shards": 2, "replicasPerShard": 1}
    raw.update(changes)
    return RedisClusterConfig.model_validate(raw)


def build(
    harness: Harness,
    purpose: str = "queue",
    config: RedisClusterConfig | None = None,
    *,
    environment: str = "prod",
    global_datastore: RedisGlobalDatastore | None = None,
) -> Graph:
    def program() -> None:
        provider = regional_aws_provider("aws-eu-west-1", region="eu-west-1", tags=TAGS)
        opts = pulumi.ResourceOptions(providers=[provider, random_provider()])
        vpc = Vpc("net", VpcArgs(cidr="10.30.0.0/16", az_count=3), opts=opts)
        args = redis_args(
            purpose,
            redis_settings(config or redis_config(), environment=environment),
            replication_group_id=StackNames("platform", environment, environment).cache("eu-west-1", purpose),
            vpc_id=vpc.vpc_id,
            subnet_ids=vpc.database_subnet_ids,
            allowed_security_groups={"eks-nodes": "sg-0nodes", "jobs": "sg-0jobs"},
            global_datastore=global_datastore,
        )
        redis = RedisCluster(purpose, args, opts=opts)
        pulumi.export("database", vpc.database_subnet_ids)
        pulumi.export("endpoint", redis.endpoint)
        pulumi.export("reader", redis.reader_endpoint)
        pulumi.export("port", redis.port)
        pulumi.export("secretArn", redis.auth_secret_arn)
        pulumi.export("sg", redis.security_group_id)
        pulumi.export("globalId", redis.global_replication_group_id)

    return harness.run(program)


_runs: dict[tuple[str, str, str, RedisGlobalDatastore | None], Graph] = {}


def shared_build(
    purpose: str = "queue",
    config: RedisClusterConfig | None = None,
    *,
    environment: str = "prod",
    global_datastore: RedisGlobalDatastore | None = None,
) -> Graph:
    """`build`, run once per test run for each distinct input, for the tests that only read the
    graph: several read the same group (the default queue is five tests' input), and each run is a
    synth of its own. The inputs are plain values (the config by its JSON, the frozen membership of
    strings), so equal inputs are the same run."""
    settings = config or redis_config()
    key = (purpose, settings.model_dump_json(), environment, global_datastore)
    if key not in _runs:
        _runs[key] = build(Harness(), purpose, settings, environment=environment, global_datastore=global_datastore)
    return _runs[key]


@pytest.fixture
def queue() -> Graph:
    return shared_build("queue")


@pytest.fixture
def cache() -> Graph:
    return shared_build("cache", redis_config(clusterMode=False, shards=1, replicasPerShard=1))


PASSWORD = "random:index/randomPassword:RandomPassword"


def password_of(graph: Graph, user: str = "auth") -> str:
    """The generated password of the `app` user or auth token (`auth`), or of the `default-user`."""
    (generated,) = [p for p in graph.by_type(PASSWORD) if p.name.endswith(f"-{user}-password")]
    result: str = generated.outputs["result"]
    return result


# --- engine, shape and purpose -----------------------------------------------------------


@pytest.mark.parametrize("purpose", ["cache", "queue"])
@pytest.mark.parametrize(("engine", "version", "family"), [("valkey", "8.0", "valkey8"), ("redis", "7.1", "redis7")])
def test_engine_shape_and_parameters_follow_purpose(purpose: str, engine: str, version: str, family: str) -> None:
    graph = shared_build(purpose, redis_config(engine=engine))
    group = graph.one(RG)
    assert group.inputs["replicationGroupId"] == f"platform-prod-euw1-{purpose}"
    assert (group.inputs["engine"], group.inputs["engineVersion"]) == (engine, version)
    assert group.inputs["nodeType"] == "cache.m7g.large"
    assert group.inputs["clusterMode"] == "enabled"
    assert (group.inputs["numNodeGroups"], group.inputs["replicasPerNodeGroup"]) == (2, 1)
    parameters = graph.one("aws:elasticache/parameterGroup:ParameterGroup")
    assert group.inputs["parameterGroupName"] == parameters.outputs["name"]
    assert parameters.inputs["family"] == family
    assert {p["name"]: p["value"] for p in parameters.inputs["parameters"]} == {
        "maxmemory-policy": "allkeys-lru" if purpose == "cache" else "noeviction",
        "cluster-enabled": "yes",
    }
    users = graph.by_type(USER)
    assert {user.inputs["engine"] for user in users} == {engine}


def test_cluster_mode_off_uses_cache_clusters(cache: Graph) -> None:
    group = cache.one(RG)
    assert group.inputs["clusterMode"] == "disabled"
    assert group.inputs["numCacheClusters"] == 2
    assert "numNodeGroups" not in group.inputs
    parameters = cache.one("aws:elasticache/parameterGroup:ParameterGroup")
    assert {p["name"]: p["value"] for p in parameters.inputs["parameters"]}["cluster-enabled"] == "no"
    assert out(cache, "endpoint") == group.outputs["primaryEndpointAddress"]
    assert out(cache, "reader") == group.outputs["readerEndpointAddress"]


def test_queue_keeps_its_data_and_cache_does_not_need_to(queue: Graph, cache: Graph) -> None:
    queue_group, cache_group = queue.one(RG), cache.one(RG)
    assert queue_group.inputs["finalSnapshotIdentifier"] == "platform-prod-euw1-queue-final"
    assert "finalSnapshotIdentifier" not in cache_group.inputs
    assert queue_group.protect and queue_group.retain_on_delete
    assert cache_group.protect and not cache_group.retain_on_delete
    assert queue.one("aws:kms/key:Key", "queue-key").protect


def test_dev_does_not_protect() -> None:
    graph = shared_build("queue", environment="dev")
    assert not graph.one(RG).protect and not graph.one(RG).retain_on_delete


# --- encryption and auth -----------------------------------------------------------------


def test_encrypted_at_rest_with_a_cmk_and_tls_only(queue: Graph) -> None:
    group = queue.one(RG)
    key = queue.one("aws:kms/key:Key", "queue-key")
    assert group.inputs["atRestEncryptionEnabled"] is True
    assert group.inputs["kmsKeyId"] == key.outputs["arn"]
    assert group.inputs["transitEncryptionEnabled"] is True
    assert group.inputs["transitEncryptionMode"] == "required"
    assert key.inputs["enableKeyRotation"] is True
    assert policy(key, "policy")["Statement"][0]["Action"] == "kms:*"  # the account keeps control


def test_default_user_disabled_and_app_user_in_a_user_group(queue: Graph) -> None:
    users = {user.inputs["userName"]: user for user in queue.by_type(USER)}
    assert set(users) == {"default", "app"}
    assert users["default"].inputs["accessString"] == DISABLED_ACCESS_STRING
    assert users["app"].inputs["accessString"] == APP_ACCESS_STRING
    assert users["app"].inputs["authenticationMode"] == {"type": "password", "passwords": [password_of(queue)]}
    assert users["default"].inputs["authenticationMode"] == {
        "type": "password",
        "passwords": [password_of(queue, "default-user")],
    }
    user_group = queue.one("aws:elasticache/userGroup:UserGroup")
    assert user_group.inputs["userIds"] == [users["default"].id, users["app"].id]
    group = queue.one(RG)
    assert group.inputs["userGroupIds"] == [user_group.id]
    assert "authToken" not in group.inputs


# ElastiCache RBAC guide, "Role-Based Access Control (RBAC)": a user group for the VALKEY engine
# can only contain users that authenticate with a password or IAM. ("no-password-required" is
# what the first version used for `default`, and AWS refuses it in a Valkey group.)
RBAC_AUTHENTICATION_A_VALKEY_GROUP_ACCEPTS = {"password", "iam"}


@pytest.mark.parametrize("engine", ["valkey", "redis"])
def test_every_user_in_the_group_authenticates_as_a_valkey_group_requires(engine: str) -> None:
    graph = shared_build("queue", redis_config(engine=engine))
    user_group = graph.one("aws:elasticache/userGroup:UserGroup")
    assert user_group.inputs["engine"] == engine
    members = [user for user in graph.by_type(USER) if user.outputs["userId"] in user_group.inputs["userIds"]]
    assert {user.inputs["userName"] for user in members} == {"default", "app"}  # a group must hold `default`
    for user in members:
        assert user.inputs["engine"] == engine
        mode = user.inputs["authenticationMode"]
        assert mode["type"] in RBAC_AUTHENTICATION_A_VALKEY_GROUP_ACCEPTS, user.name
        assert mode["type"] != "password" or mode["passwords"], user.name
        assert not user.inputs.get("noPasswordRequired"), user.name
    # The default user's password opens nothing (`off`) and is stored nowhere but in the user.
    default_password = password_of(graph, "default-user")
    assert default_password != password_of(graph)
    assert plaintext_leaks(graph, default_password) == []
    assert not any(
        default_password in str(version.inputs["secretString"])
        for version in graph.by_type("aws:secretsmanager/secretVersion:SecretVersion")
    )


# ElastiCache API reference, CreateReplicationGroup AuthToken (and the AUTH guide): 16-128
# printable characters; the only permitted special characters are ! & # $ ^ < > -.
AUTH_TOKEN_SPECIALS = set("!&#$^<>-")


@pytest.mark.parametrize(
    "global_datastore",
    [None, RedisGlobalDatastore(role=GlobalRole.PRIMARY, suffix="platform-prod-queue")],
    ids=["rbac", "auth-token"],
)
def test_generated_passwords_use_only_characters_elasticache_accepts(
    global_datastore: RedisGlobalDatastore | None,
) -> None:
    # The mocks return letters only, so the generator's settings are what is checked.
    graph = shared_build("queue", global_datastore=global_datastore)
    generated = graph.by_type(PASSWORD)
    assert generated
    for password in generated:
        assert password.inputs["special"] is True
        assert set(password.inputs["overrideSpecial"]) <= AUTH_TOKEN_SPECIALS, password.name
        assert 16 <= password.inputs["length"] <= 128
    assert set(ELASTICACHE_PASSWORD_SPECIALS) == AUTH_TOKEN_SPECIALS


# Valkey's command table (valkey-io/valkey src/commands/*.json, acl_categories), for the commands
# a queue and a cache use and the ones the app user must not have.
COMMAND_CATEGORIES: dict[str, set[str]] = {
    "get": {"read", "string", "fast"},
    "set": {"write", "string", "slow"},
    "expire": {"keyspace", "write", "fast"},
    "scan": {"keyspace", "read", "slow"},
    "lpush": {"write", "list", "fast"},
    "blmove": {"write", "list", "slow", "blocking"},
    "zadd": {"write", "sortedset", "fast"},
    "xadd": {"write", "stream", "fast"},
    "xreadgroup": {"write", "stream", "slow", "blocking"},
    "evalsha": {"slow", "scripting"},
    "publish": {"pubsub", "fast"},
    "subscribe": {"pubsub", "slow"},
    "cluster|slots": {"slow"},
    "cluster|shards": {"slow"},
    "info": {"slow", "dangerous"},
    "flushall": {"keyspace", "write", "slow", "dangerous"},
    "flushdb": {"keyspace", "write", "slow", "dangerous"},
    "keys": {"keyspace", "read", "slow", "dangerous"},
    "config|set": {"admin", "slow", "dangerous"},
    "debug": {"admin", "slow", "dangerous"},
    "monitor": {"admin", "slow", "dangerous"},
    "sort": {"write", "set", "sortedset", "list", "slow", "dangerous"},
}


def acl_allows(access_string: str, command: str) -> bool:
    """Whether a Valkey ACL rule list lets `command` run: rules apply left to right (valkey.io/topics/acl)."""
    rules = access_string.split()
    if "on" not in rules:
        return False
    allowed = False
    for rule in rules:
        sign, target = rule[:1], rule[1:]
        if sign not in "+-" or not target:
            continue  # on/off, key (~) and channel (&) patterns
        if target.startswith("@"):
            matches = target == "@all" or target[1:] in COMMAND_CATEGORIES[command]
        else:
            matches = target == command or command.startswith(f"{target}|")
        if matches:
            allowed = sign == "+"
    return allowed


def test_app_user_runs_what_a_queue_and_a_cache_need_and_nothing_dangerous() -> None:
    assert APP_ACCESS_STRING.split()[:3] == ["on", "~*", "&*"]  # every key and channel
    needed = ["get", "set", "expire", "scan", "lpush", "blmove", "zadd", "xadd", "xreadgroup", "evalsha"]
    needed += ["publish", "subscribe", "cluster|slots", "cluster|shards", "info"]
    refused = ["flushall", "flushdb", "keys", "config|set", "debug", "monitor", "sort"]
    assert [command for command in needed if not acl_allows(APP_ACCESS_STRING, command)] == []
    assert [command for command in refused if acl_allows(APP_ACCESS_STRING, command)] == []
    assert not any(acl_allows(DISABLED_ACCESS_STRING, command) for command in COMMAND_CATEGORIES)
    assert acl_allows("on ~* &* +@all", "info")  # the evaluator itself: +@all admits everything
    assert acl_allows("on ~* &* +@all", "flushall")


def test_password_lives_in_secrets_manager_under_the_cmk(queue: Graph) -> None:
    secret = queue.one("aws:secretsmanager/secret:Secret")
    version = queue.one("aws:secretsmanager/secretVersion:SecretVersion")
    assert secret.inputs["kmsKeyId"] == queue.one("aws:kms/key:Key", "queue-key").outputs["arn"]
    assert version.inputs["secretId"] == secret.id
    assert json.loads(version.inputs["secretString"]) == {
        "username": "app",
        "port": 6379,
        "password": password_of(queue),
    }
    assert out(queue, "secretArn") == secret.outputs["arn"]


@pytest.mark.parametrize("purpose", ["cache", "queue"])
def test_no_password_in_plain_text(purpose: str) -> None:
    graph = shared_build(purpose)
    password = password_of(graph)
    assert len(password) == 40
    assert plaintext_leaks(graph, password) == []


# --- availability and network ------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "failover", "multi_az"),
    [
        ({"clusterMode": False, "shards": 1, "replicasPerShard": 0}, False, False),
        ({"clusterMode": False, "shards": 1, "replicasPerShard": 2}, True, True),
        ({"clusterMode": True, "shards": 3, "replicasPerShard": 0}, True, False),
        ({"clusterMode": True, "shards": 3, "replicasPerShard": 1}, True, True),
    ],
)
def test_failover_and_multi_az_whenever_there_are_replicas(
    changes: dict[str, Any], failover: bool, multi_az: bool
) -> None:
    group = shared_build("cache", redis_config(**changes), environment="dev").one(RG)
    assert group.inputs["automaticFailoverEnabled"] is failover
    assert group.inputs["multiAzEnabled"] is multi_az


def test_reachable_only_from_the_allowed_groups_in_database_subnets(queue: Graph) -> None:
    group = queue.one(RG)
    security_group = queue.one("aws:ec2/securityGroup:SecurityGroup", "queue-sg")
    assert group.inputs["securityGroupIds"] == [security_group.id] == [out(queue, "sg")]
    subnets = queue.one("aws:elasticache/subnetGroup:SubnetGroup")
    assert subnets.inputs["subnetIds"] == out(queue, "database")
    assert group.inputs["subnetGroupName"] == subnets.outputs["name"]
    rules = [
        rule
        for rule in queue.by_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if rule.inputs["securityGroupId"] == security_group.id
    ]
    assert {rule.name: rule.inputs["referencedSecurityGroupId"] for rule in rules} == {
        "queue-from-eks-nodes": "sg-0nodes",
        "queue-from-jobs": "sg-0jobs",
    }
    for rule in rules:
        assert (rule.inputs["fromPort"], rule.inputs["toPort"], rule.inputs["ipProtocol"]) == (6379, 6379, "tcp")
        assert "cidrIpv4" not in rule.inputs
    assert "ingress" not in security_group.inputs


# --- operations and alarms ---------------------------------------------------------------


def test_snapshots_maintenance_and_logs(queue: Graph) -> None:
    group = queue.one(RG)
    assert group.inputs["snapshotRetentionLimit"] == 1
    assert group.inputs["snapshotWindow"] == "03:00-04:00"
    assert group.inputs["maintenanceWindow"] == "sun:05:00-sun:06:00"
    assert group.inputs["autoMinorVersionUpgrade"] is True
    logs = {
        g.inputs["name"]: g
        for g in queue.by_type("aws:cloudwatch/logGroup:LogGroup")
        if g.inputs["name"].startswith("/platform/elasticache/")
    }
    key = queue.one("aws:kms/key:Key", "queue-logs-key")
    assert set(logs) == {
        "/platform/elasticache/platform-prod-euw1-queue/slow-log",
        "/platform/elasticache/platform-prod-euw1-queue/engine-log",
    }
    assert all(g.inputs["kmsKeyId"] == key.outputs["arn"] and g.inputs["retentionInDays"] == 30 for g in logs.values())
    deliveries = {d["logType"]: d for d in group.inputs["logDeliveryConfigurations"]}
    assert set(deliveries) == {"slow-log", "engine-log"}
    for kind, delivery in deliveries.items():
        assert delivery["destinationType"] == "cloudwatch-logs"
        assert delivery["destination"] == f"/platform/elasticache/platform-prod-euw1-queue/{kind}"


def test_alarms_per_node_to_an_encrypted_topic(queue: Graph, cache: Graph) -> None:
    topic = queue.one("aws:sns/topic:Topic")
    assert topic.inputs["kmsMasterKeyId"] == queue.one("aws:kms/key:Key", "queue-alarms-key").outputs["arn"]
    alarms = queue.by_type(ALARM)
    nodes = [f"platform-prod-euw1-queue-{shard:04d}-{node:03d}" for shard in (1, 2) for node in (1, 2)]
    by_metric: dict[str, dict[str, Any]] = {}
    for alarm in alarms:
        by_metric.setdefault(alarm.inputs["metricName"], {})[alarm.inputs["dimensions"]["CacheClusterId"]] = alarm
        assert alarm.inputs["alarmActions"] == [topic.outputs["arn"]] == alarm.inputs["okActions"]
        assert alarm.inputs["namespace"] == "AWS/ElastiCache"
    assert {metric: sorted(found) for metric, found in by_metric.items()} == {
        "EngineCPUUtilization": nodes,
        "DatabaseMemoryUsagePercentage": nodes,
        "Evictions": nodes,
    }
    cpu = next(iter(by_metric["EngineCPUUtilization"].values()))
    memory = next(iter(by_metric["DatabaseMemoryUsagePercentage"].values()))
    evictions = next(iter(by_metric["Evictions"].values()))
    assert (cpu.inputs["threshold"], cpu.inputs["comparisonOperator"]) == (90, "GreaterThanThreshold")
    assert memory.inputs["threshold"] == 80
    assert (evictions.inputs["threshold"], evictions.inputs["statistic"]) == (0, "Sum")
    # A cache may evict: that is its job.
    assert {a.inputs["metricName"] for a in cache.by_type(ALARM)} == {
        "EngineCPUUtilization",
        "DatabaseMemoryUsagePercentage",
    }
    assert sorted(a.inputs["dimensions"]["CacheClusterId"] for a in cache.by_type(ALARM))[:2] == [
        "platform-prod-euw1-cache-001",
        "platform-prod-euw1-cache-001",
    ]


# --- Global Datastore --------------------------------------------------------------------


def test_global_primary_uses_an_auth_token_and_creates_the_datastore() -> None:
    graph = shared_build(
        "queue", global_datastore=RedisGlobalDatastore(role=GlobalRole.PRIMARY, suffix="platform-prod-queue")
    )
    group = graph.one(RG)
    global_group = graph.one("aws:elasticache/globalReplicationGroup:GlobalReplicationGroup")
    assert global_group.inputs["primaryReplicationGroupId"] == group.id
    assert global_group.inputs["globalReplicationGroupIdSuffix"] == "platform-prod-queue"
    assert out(graph, "globalId") == global_group.outputs["globalReplicationGroupId"]
    assert group.inputs["authToken"] == password_of(graph)
    assert "userGroupIds" not in group.inputs and not graph.by_type(USER)
    assert plaintext_leaks(graph, password_of(graph)) == []
    # The primary carries the encryption every member inherits.
    assert group.inputs["atRestEncryptionEnabled"] is True
    assert (group.inputs["transitEncryptionEnabled"], group.inputs["transitEncryptionMode"]) == (True, "required")
    # Only a secondary has a lag to watch.
    assert not [a for a in graph.by_type(ALARM) if "lag" in a.name]
    # primary_replication_group_id is ForceNew and reads back as whichever member is primary now:
    # after a failover it would replace the (protected) datastore.
    assert global_group.ignore_changes == ["primaryReplicationGroupId"]
    assert group.ignore_changes == []


def test_global_secondary_joins_and_inherits_the_engine() -> None:
    # Passed as plain text on purpose: the component must make it secret everywhere itself.
    secondary = RedisGlobalDatastore(
        role=GlobalRole.SECONDARY, global_replication_group_id="ldgnf-platform-prod-queue", auth_token=SHARED_TOKEN
    )
    graph = shared_build("queue", global_datastore=secondary)
    group = graph.one(RG)
    assert group.inputs["globalReplicationGroupId"] == "ldgnf-platform-prod-queue"
    # Everything the provider refuses beside global_replication_group_id (ConflictsWith in
    # terraform-provider-aws elasticache/replication_group.go) is inherited, so never set.
    assert [key for key in SECONDARY_CONFLICTS if key in group.inputs] == []
    assert {"engine", "atRestEncryptionEnabled", "transitEncryptionEnabled"} <= set(SECONDARY_CONFLICTS)
    assert group.inputs["kmsKeyId"] == graph.one("aws:kms/key:Key", "queue-key").outputs["arn"]
    # ForceNew, and what AWS reports for a member's key is not documented: never a replacement.
    assert group.ignore_changes == ["kmsKeyId"]
    assert group.inputs["replicasPerNodeGroup"] == 1
    assert group.inputs["authToken"] == SHARED_TOKEN
    assert not graph.by_type("random:index/randomPassword:RandomPassword")
    assert json.loads(graph.one("aws:secretsmanager/secretVersion:SecretVersion").inputs["secretString"])[
        "password"
    ] == (SHARED_TOKEN)
    assert plaintext_leaks(graph, SHARED_TOKEN) == []


def test_secondary_alarms_on_lag_above_the_rpo_and_on_silence() -> None:
    secondary = RedisGlobalDatastore(
        role=GlobalRole.SECONDARY, global_replication_group_id="ldgnf-platform-prod-queue", auth_token=SHARED_TOKEN
    )
    graph = shared_build("queue", global_datastore=secondary)
    (lag,) = [a for a in graph.by_type(ALARM) if a.name == "queue-global-lag"]
    topic = graph.one("aws:sns/topic:Topic")
    # A detached member or a lost region stops reporting lag: that must alarm, not go quiet.
    assert lag.inputs["treatMissingData"] == "breaching"
    assert lag.inputs["insufficientDataActions"] == [topic.outputs["arn"]] == lag.inputs["alarmActions"]
    assert (lag.inputs["threshold"], lag.inputs["comparisonOperator"]) == (900, "GreaterThanThreshold")
    queries = {query["id"]: query for query in lag.inputs["metricQueries"]}
    # The first shard's nodes (whichever is primary reports the lag); seconds, the metric's unit.
    assert queries["lag"] == {
        "id": "lag",
        "expression": "MAX([m0, m1])",
        "label": "GlobalDatastoreReplicationLag (max)",
        "returnData": True,
    }
    for query_id, node in (("m0", "0001-001"), ("m1", "0001-002")):
        metric = queries[query_id]["metric"]
        assert queries[query_id]["returnData"] is False
        assert (metric["namespace"], metric["metricName"], metric["stat"]) == (
            "AWS/ElastiCache",
            "GlobalDatastoreReplicationLag",
            "Maximum",
        )
        assert metric["dimensions"] == {"CacheClusterId": f"platform-prod-euw1-queue-{node}"}
    # A metric-math alarm names no metric of its own (the provider's ConflictsWith).
    assert not {"metricName", "namespace", "period", "statistic", "dimensions"} & set(lag.inputs)


# --- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("purpose", "node_type", "message"),
    [
        ("cache", "cache.r7g.large", r"^args\.global_datastore: only the queue is global"),
        ("queue", "cache.t4g.small", r"^args\.global_datastore: node type cache\.t4g\.small cannot"),
    ],
)
def test_bad_global_setups_name_the_argument(purpose: str, node_type: str, message: str) -> None:
    with pytest.raises(RedisArgsError, match=message):
        RedisClusterArgs(
            purpose=RedisPurpose(purpose),
            replication_group_id="platform-prod-use1-queue",
            node_type=node_type,
            vpc_id="vpc-1",
            subnet_ids=["subnet-1"],
            global_datastore=RedisGlobalDatastore(role=GlobalRole.PRIMARY, suffix="x"),
        )


@pytest.mark.parametrize("group_id", ["Platform-Queue", "9queue", "a--b", "x" * 41, "queue-"])
def test_bad_replication_group_id(group_id: str) -> None:
    with pytest.raises(RedisArgsError, match=r"^args\.replication_group_id: "):
        RedisClusterArgs(
            purpose=RedisPurpose.QUEUE,
            replication_group_id=group_id,
            node_type="cache.t4g.small",
            vpc_id="v",
            subnet_ids=[],
        )


def test_every_child_is_parented_and_uses_the_region_provider(queue: Graph) -> None:
    component = queue.one("platform:index:RedisCluster")
    providers = {"aws": queue.one("pulumi:providers:aws").urn, "random": queue.one("pulumi:providers:random").urn}
    children = queue.children(component)
    assert len(children) > 20
    for child in children:
        if child.custom:
            assert child.provider_urn == providers[child.type.split(":")[0]], child.urn
    assert set(component.outputs) >= {"endpoint", "readerEndpoint", "port", "authSecretArn", "securityGroupId"}
    assert out(queue, "port") == 6379
    assert out(queue, "endpoint") == queue.one(RG).outputs["configurationEndpointAddress"]

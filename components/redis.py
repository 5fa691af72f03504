"""RedisCluster: an ElastiCache (Valkey or Redis OSS) replication group for one purpose.

The platform keeps separate Redis for caching and for queues, so the component takes a
`purpose`:
- `cache`: `allkeys-lru` (evicts when full), snapshots optional;
- `queue`: `noeviction` (a full queue refuses writes instead of losing jobs), snapshots kept,
  a final snapshot on delete, and an alarm on any eviction.

Secure defaults: encryption at rest with its own customer-managed key, TLS required in transit,
the `default` user switched off (`off -@all`, behind a generated password it never uses: a Valkey
user group admits only users with a password or IAM) and an `app` user with a generated password
and every command but `@dangerous` in an RBAC user group (an auth token for Global Datastore
members instead), the password in Secrets Manager under the same key, Multi-AZ with automatic
failover whenever there are replicas, a security group that admits the port only from the groups
passed in, slow and engine logs to KMS-encrypted log groups, and CPU and memory alarms to an
encrypted SNS topic; a Global Datastore secondary also alarms when its replication lag passes the
stack's RPO or stops being reported.

Global Datastore: the primary sets engine, version, node type, parameters, shards and encryption;
a secondary inherits all of them, and the provider refuses them beside
`global_replication_group_id` (terraform-provider-aws, elasticache/replication_group.go,
ConflictsWith). The queue's recovery point in a multi-region stack is the datastore's replication
lag (typically under a second, AWS "Replication across AWS Regions using global datastores"),
alarmed at the stack's RPO; a regional queue's recovery point is its last daily snapshot.

Pass the region's provider in `opts`; every child inherits it through `parent=self`.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pulumi
import pulumi_aws as aws

from eksplatform.components.alarms import MetricSeries, encrypted_alarm_topic, lag_alarm, threshold_alarm
from eksplatform.components.aws_context import AwsContext
from eksplatform.components.credentials import ELASTICACHE_PASSWORD_SPECIALS, generated_password, stored_password
from eksplatform.components.data_rules import (
    DataRuleError,
    check_access_and_rpo,
    check_global_datastore_node_type,
    check_log_retention,
    check_queue_snapshots,
    check_range,
    check_redis,
    check_redis_windows,
)
from eksplatform.components.facts import REDIS_DEFAULT_ENGINE_VERSION
from eksplatform.components.global_role import GlobalRole
from eksplatform.components.inputs import ArgsError, check_fields, to_args
from eksplatform.components.kms import customer_managed_key
from eksplatform.components.log_groups import encrypted_log_groups
from eksplatform.components.security_groups import port_only_from_groups
from eksplatform.environments import DEFAULT_RPO_MINUTES, PROFILES


class RedisPurpose(StrEnum):
    """What the cluster is for: the platform keeps caching and queues apart."""

    CACHE = "cache"
    """Evicts least recently used keys when full (`allkeys-lru`); snapshots optional."""
    QUEUE = "queue"
    """Never evicts (`noeviction`: a full queue refuses writes instead of losing jobs); snapshots kept,
    a final snapshot on delete, an alarm on any eviction."""


class RedisEngine(StrEnum):
    """The ElastiCache engine."""

    VALKEY = "valkey"
    """Valkey (the open-source fork of Redis OSS 7.2)."""
    REDIS = "redis"
    """Redis OSS."""


PORT = 6379
EVICTION_POLICY: dict[RedisPurpose, str] = {RedisPurpose.CACHE: "allkeys-lru", RedisPurpose.QUEUE: "noeviction"}
# The production profile (eksplatform/environments.py) gives the defaults a production cluster needs.
PRODUCTION = PROFILES["prod"]
DEFAULT_SNAPSHOT_RETENTION_DAYS = 1
DEFAULT_SNAPSHOT_WINDOW = "03:00-04:00"
DEFAULT_MAINTENANCE_WINDOW = "sun:05:00-sun:06:00"
DEFAULT_RPO_SECONDS = DEFAULT_RPO_MINUTES * 60
APP_USER = "app"
# Every key and channel, every command but the @dangerous ones (FLUSHALL, FLUSHDB, KEYS, CONFIG,
# DEBUG, MONITOR, SORT, ...); INFO is @dangerous too, but queue and cache clients read the server's
# version and role from it (BullMQ, Sidekiq, cluster clients). Valkey ACL rules apply left to right
# (valkey.io/topics/acl); the cluster topology commands clients need (CLUSTER SLOTS, SHARDS,
# NODES) are not @dangerous.
APP_ACCESS_STRING = "on ~* &* +@all -@dangerous +info"
# The `default` user every user group must hold, switched off: no command, no key.
DISABLED_ACCESS_STRING = "off -@all"
PASSWORD_LENGTH = 40  # ElastiCache accepts 16-128 characters
# The required thresholds.
CPU_ALARM_PERCENT = 90.0
MEMORY_ALARM_PERCENT = 80.0

# Inputs the provider refuses beside `global_replication_group_id` (a secondary inherits them):
# terraform-provider-aws internal/service/elasticache/replication_group.go, ConflictsWith.
SECONDARY_CONFLICTS = (
    "numNodeGroups",
    "parameterGroupName",
    "engine",
    "engineVersion",
    "nodeType",
    "securityGroupNames",
    "transitEncryptionEnabled",
    "transitEncryptionMode",
    "atRestEncryptionEnabled",
    "snapshotArns",
    "snapshotName",
)

_GROUP_ID = re.compile(r"^[a-z](?!.*--)([a-z0-9-]{0,38}[a-z0-9])?$")


class RedisArgsError(ArgsError):
    """Bad RedisCluster arguments; the message starts with the field (`args.node_type: ...`).

    A `RunError`, so `pulumi up` prints the message without a traceback.
    """


@dataclass(frozen=True, kw_only=True)
class RedisGlobalDatastore:
    """Membership of an ElastiCache Global Datastore: this cluster writes it (primary) or copies it (secondary)."""

    role: GlobalRole
    """primary: this cluster creates the Global Datastore and writes; secondary: a read-only member."""
    suffix: str | None = None
    """Primary only, required: the datastore's name suffix (AWS prefixes it): lowercase letters, digits
    and hyphens."""
    global_replication_group_id: pulumi.Input[str] | None = None
    """Secondary only, required: the Global Datastore to join (the primary's `globalReplicationGroupId`)."""
    auth_token: pulumi.Input[str] | None = None
    """Secondary only, required: the primary's auth token (its `authToken` output, a secret); members
    of one datastore share it."""


_SUFFIX = re.compile(r"^[a-z0-9](?!.*--)[a-z0-9-]{0,38}[a-z0-9]$|^[a-z0-9]$")


@dataclass(frozen=True, kw_only=True)
class RedisSettings:
    """What a person chooses for an ElastiCache replication group: node type, engine, shards, replicas,
    snapshots, windows, log retention and protection; validated when built, each error naming its
    field. `RedisClusterArgs` adds what the stack wires in (group id, purpose, network, access, alarms,
    Global Datastore membership)."""

    node_type: str
    """The node type, e.g. `cache.r7g.large` (components/instance_types.py ELASTICACHE_NODE_TYPES)."""
    engine: RedisEngine | None = None
    """valkey or redis. Default: valkey."""
    engine_version: str | None = None
    """An engine version ElastiCache offers (valkey 7.2, 8.0, 8.1; redis 7.0, 7.1). Default: valkey 8.0,
    redis 7.1."""
    cluster_mode: bool | None = None
    """Sharded (cluster mode enabled). Default: false."""
    shards: int | None = None
    """Node groups, 1-500; more than one needs `cluster_mode`. Default: 1."""
    replicas_per_shard: int | None = None
    """Replicas per node group, 0-5; at least one gives Multi-AZ with automatic failover. Default: 1
    (production)."""
    snapshot_retention_days: int | None = None
    """Days of daily snapshots, 0-35 (0: none; a queue keeps at least 1). Default: 1."""
    snapshot_window: str | None = None
    """Daily snapshot window, UTC (`hh:mm-hh:mm`). Default: 03:00-04:00."""
    maintenance_window: str | None = None
    """Weekly maintenance window, UTC (`ddd:hh:mm-ddd:hh:mm`), at least 60 minutes. Default: sun:05:00-sun:06:00."""
    log_retention_days: int | None = None
    """Days CloudWatch keeps the slow and engine logs (a CloudWatch retention period). Default: 365
    (production)."""
    keep_data: bool | None = None
    """`protect` the replication group and its key, and retain a queue on delete. Default: true (production)."""

    def __post_init__(self) -> None:
        # An Output or wrong type, named; on a RedisClusterArgs this checks its wiring fields' types too.
        check_fields(self, RedisArgsError)
        try:
            self._check_settings()
        except DataRuleError as violation:
            raise RedisArgsError(f"args.{violation.field}: {violation.message}") from None

    def _check_settings(self) -> None:
        check_redis(
            engine=self.resolved_engine,
            engine_version=self.engine_version,
            node_type=self.node_type,
            cluster_mode=self.resolved_cluster_mode,
            shards=self.resolved_shards,
            replicas_per_shard=self.resolved_replicas_per_shard,
        )
        check_range("snapshot_retention_days", self.snapshot_retention_days)
        check_redis_windows(self.resolved_snapshot_window, self.resolved_maintenance_window)
        check_log_retention("log_retention_days", self.resolved_log_retention_days)

    # -- resolved values (None means the default) ---------------------------------------------

    @property
    def resolved_engine(self) -> str:
        return RedisEngine(self.engine).value if self.engine is not None else RedisEngine.VALKEY.value

    @property
    def resolved_engine_version(self) -> str:
        return self.engine_version or REDIS_DEFAULT_ENGINE_VERSION[self.resolved_engine]

    @property
    def resolved_cluster_mode(self) -> bool:
        return bool(self.cluster_mode)

    @property
    def resolved_shards(self) -> int:
        return self.shards if self.shards is not None else 1

    @property
    def resolved_replicas_per_shard(self) -> int:
        if self.replicas_per_shard is None:
            return int(PRODUCTION.redis_multi_az)
        return self.replicas_per_shard

    @property
    def resolved_snapshot_retention_days(self) -> int:
        if self.snapshot_retention_days is None:
            return DEFAULT_SNAPSHOT_RETENTION_DAYS
        return self.snapshot_retention_days

    @property
    def resolved_snapshot_window(self) -> str:
        return self.snapshot_window or DEFAULT_SNAPSHOT_WINDOW

    @property
    def resolved_maintenance_window(self) -> str:
        return self.maintenance_window or DEFAULT_MAINTENANCE_WINDOW

    @property
    def resolved_log_retention_days(self) -> int:
        return self.log_retention_days if self.log_retention_days is not None else PRODUCTION.min_log_retention_days

    @property
    def resolved_keep_data(self) -> bool:
        return self.keep_data if self.keep_data is not None else PRODUCTION.keep_data


@dataclass(frozen=True, kw_only=True)
class RedisClusterArgs(RedisSettings):
    """One ElastiCache replication group for one purpose: its `RedisSettings` plus group id, purpose,
    network, access and Global Datastore membership; validated when built."""

    replication_group_id: str
    """1-40 lowercase letters, digits and single hyphens, starting with a letter; also prefixes node and
    user ids."""
    purpose: RedisPurpose
    """cache or queue: the eviction policy, snapshots and alarms follow from it."""
    vpc_id: pulumi.Input[str]
    """The VPC of the cluster's security group."""
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """The database subnets (a Vpc's `databaseSubnetIds`)."""
    allowed_security_groups: Mapping[str, pulumi.Input[str]] | None = None
    """Security groups allowed to connect on 6379, keyed by a stable name (e.g. `eks-nodes`). Default: none."""
    allowed_cidrs: Mapping[str, str] | None = None
    """CIDRs allowed to connect on 6379 (e.g. peered regions' private subnets), keyed by a stable name.
    Default: none."""
    alarm_topic_arn: pulumi.Input[str] | None = None
    """The SNS topic alarms go to. Default: an encrypted topic of its own."""
    global_datastore: RedisGlobalDatastore | None = None
    """Membership of a Global Datastore (a queue on a node family that supports it). Default: regional."""
    rpo_seconds: int | None = None
    """A Global Datastore secondary alarms when its replication lag passes this (the recovery point
    objective). Default: 900."""

    def __post_init__(self) -> None:
        super().__post_init__()  # the fields' types and the settings' rules
        try:
            self._check_wiring()
        except DataRuleError as violation:
            raise RedisArgsError(f"args.{violation.field}: {violation.message}") from None

    def _check_wiring(self) -> None:
        if not _GROUP_ID.fullmatch(self.replication_group_id):
            raise DataRuleError(
                "replication_group_id",
                f"{self.replication_group_id!r}: use 1-40 lowercase letters, digits and single hyphens, "
                "starting with a letter",
            )
        purpose = self.resolved_purpose
        if purpose is RedisPurpose.QUEUE:
            check_queue_snapshots(self.resolved_snapshot_retention_days)
        check_access_and_rpo(self.allowed_cidrs, self.rpo_seconds)
        if self.global_datastore is not None:
            self._check_global(purpose)

    def _check_global(self, purpose: RedisPurpose) -> None:
        member = self.global_datastore
        assert member is not None
        if purpose is not RedisPurpose.QUEUE:
            raise DataRuleError("global_datastore", "only the queue is global; caches stay regional")
        try:
            check_global_datastore_node_type(self.node_type)
        except DataRuleError as violation:
            raise DataRuleError(
                "global_datastore", f"node type {self.node_type} cannot join one: {violation.message}"
            ) from None
        check_datastore_membership(member)

    # -- resolved values (None means the default) ---------------------------------------------

    @property
    def resolved_purpose(self) -> RedisPurpose:
        return RedisPurpose(self.purpose)

    @property
    def resolved_rpo_seconds(self) -> int:
        return self.rpo_seconds if self.rpo_seconds is not None else DEFAULT_RPO_SECONDS

    @property
    def global_role(self) -> GlobalRole | None:
        return GlobalRole(self.global_datastore.role) if self.global_datastore is not None else None


def check_datastore_membership(member: RedisGlobalDatastore) -> None:
    """A Global Datastore membership as the provider takes it: a primary names the datastore, a
    secondary joins with the primary's outputs. RedisClusterArgs' rule, and RegionArgs'
    (eksplatform/stack/region.py)."""
    role = GlobalRole(member.role)  # the caller's check_fields has refused any other value
    if role is GlobalRole.PRIMARY:
        if member.suffix is None or not _SUFFIX.fullmatch(member.suffix):
            raise DataRuleError(
                "global_datastore.suffix",
                f"{member.suffix!r}: a primary names its datastore with lowercase letters, digits and single hyphens",
            )
        for name in ("global_replication_group_id", "auth_token"):
            if getattr(member, name) is not None:
                raise DataRuleError(f"global_datastore.{name}", "only a secondary takes it")
    else:
        if member.suffix is not None:
            raise DataRuleError("global_datastore.suffix", "only a primary takes it")
        for name in ("global_replication_group_id", "auth_token"):
            if getattr(member, name) is None:
                raise DataRuleError(f"global_datastore.{name}", "a secondary needs it (the primary's output)")


class RedisCluster(pulumi.ComponentResource):
    """An encrypted, authenticated ElastiCache replication group for caching or for queues."""

    endpoint: pulumi.Output[str]
    """Configuration endpoint (cluster mode) or primary endpoint: where clients connect."""
    reader_endpoint: pulumi.Output[str]
    """Reader endpoint (cluster mode: the configuration endpoint; reads go to replicas with READONLY)."""
    port: pulumi.Output[int]
    """The TLS port."""
    auth_secret_arn: pulumi.Output[str]
    """Secrets Manager secret with `username`, `password`, `host`, `port`."""
    security_group_id: pulumi.Output[str]
    """The cluster's security group."""
    replication_group_id: pulumi.Output[str]
    """The replication group's id."""
    global_replication_group_id: pulumi.Output[str] | None
    """The Global Datastore's id (primary only)."""
    auth_token: pulumi.Output[str] | None
    """The auth token for Global Datastore members (secret; None with RBAC)."""

    def __init__(self, name: str, args: RedisClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        args = to_args(RedisClusterArgs, args)  # other languages pass a dict (docs/other-languages.md)
        super().__init__("platform:index:RedisCluster", name, None, opts)
        self._name = name
        self._args = args
        purpose = args.resolved_purpose.value
        group_id = args.replication_group_id
        context = AwsContext.of(self)
        secondary = args.global_datastore if args.global_role is GlobalRole.SECONDARY else None

        self.key = customer_managed_key(
            f"{name}-key",
            description=f"Encrypts ElastiCache {group_id} at rest and its auth secret",
            context=context,
            parent=self,
            alias=f"{group_id}/elasticache",
            protect=args.resolved_keep_data,
        )
        self.security_group = port_only_from_groups(
            name,
            vpc_id=args.vpc_id,
            port=PORT,
            what=f"ElastiCache {group_id}",
            allowed=args.allowed_security_groups or {},
            allowed_cidrs=args.allowed_cidrs or {},
            tag_name=f"{group_id}-redis",
            parent=self,
        )
        subnet_group = aws.elasticache.SubnetGroup(
            f"{name}-subnets",
            name=group_id,
            description=f"Database subnets of {group_id}",
            subnet_ids=args.subnet_ids,
            opts=self._child(),
        )
        log_groups = encrypted_log_groups(
            f"{name}-logs-key",
            {f"{name}-{kind}": f"/platform/elasticache/{group_id}/{kind}" for kind in ("slow-log", "engine-log")},
            retention_days=args.resolved_log_retention_days,
            description=f"the logs of ElastiCache {group_id}",
            context=context,
            parent=self,
        )

        # RBAC where it applies; members of a Global Datastore share one auth token instead.
        uses_auth_token = args.global_datastore is not None
        credentials = stored_password(
            f"{name}-auth",
            description=f"{'Auth token' if uses_auth_token else 'User ' + APP_USER} of ElastiCache {group_id}",
            kms_key_arn=self.key.arn,
            fields={"username": "default" if uses_auth_token else APP_USER, "port": PORT},
            given=secondary.auth_token if secondary else None,
            parent=self,
            length=PASSWORD_LENGTH,
            specials=ELASTICACHE_PASSWORD_SPECIALS,
        )
        user_group = None if uses_auth_token else self._user_group(credentials.password)

        failover = args.resolved_replicas_per_shard >= 1 or args.resolved_cluster_mode
        replication_group = aws.elasticache.ReplicationGroup(
            f"{name}-rg",
            replication_group_id=group_id,
            description=f"{purpose} for the platform ({args.resolved_engine})",
            port=PORT,
            subnet_group_name=subnet_group.name,
            security_group_ids=[self.security_group.id],
            # A secondary's own key encrypts its region's copy; encryption itself is the primary's.
            kms_key_id=self.key.arn,
            user_group_ids=[user_group.id] if user_group else None,
            auth_token=credentials.password if uses_auth_token else None,
            automatic_failover_enabled=failover,
            multi_az_enabled=args.resolved_replicas_per_shard >= 1,
            snapshot_retention_limit=args.resolved_snapshot_retention_days,
            snapshot_window=args.resolved_snapshot_window,
            maintenance_window=args.resolved_maintenance_window,
            auto_minor_version_upgrade=True,
            apply_immediately=False,  # changes wait for the maintenance window
            final_snapshot_identifier=f"{group_id}-final" if purpose == "queue" else None,
            log_delivery_configurations=[
                aws.elasticache.ReplicationGroupLogDeliveryConfigurationArgs(
                    destination=log_groups[f"{name}-{kind}"].name,
                    destination_type="cloudwatch-logs",
                    log_format="json",
                    log_type=kind,
                )
                for kind in ("slow-log", "engine-log")
            ],
            tags={"Name": group_id, "purpose": purpose},
            **(self._secondary_shape(secondary) if secondary else self._primary_shape()),
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.resolved_keep_data,
                # A queue's data outlives the stack; a cache can be rebuilt.
                retain_on_delete=args.resolved_keep_data and purpose == "queue",
                # kms_key_id is ForceNew; what AWS reports for a datastore member's key is not
                # documented, and a replaced member would lose its region's copy.
                ignore_changes=["kmsKeyId"] if secondary else None,
            ),
        )

        self.global_replication_group_id = None
        if args.global_datastore is not None and args.global_role is GlobalRole.PRIMARY:
            global_group = aws.elasticache.GlobalReplicationGroup(
                f"{name}-global",
                global_replication_group_id_suffix=args.global_datastore.suffix,
                global_replication_group_description=f"Global Datastore of {group_id}",
                primary_replication_group_id=replication_group.id,
                opts=pulumi.ResourceOptions(
                    parent=self,
                    protect=args.resolved_keep_data,
                    # ForceNew, and read back as whichever member is primary now: after a
                    # failover it would replace the datastore (terraform-provider-aws
                    # elasticache/global_replication_group.go).
                    ignore_changes=["primaryReplicationGroupId"],
                ),
            )
            self.global_replication_group_id = global_group.global_replication_group_id
        self.auth_token = credentials.password if uses_auth_token else None

        topic_arn = args.alarm_topic_arn
        if topic_arn is None:
            topic_arn = encrypted_alarm_topic(
                f"{name}-alarms", description=f"ElastiCache {group_id}", context=context, parent=self
            ).arn
        self._alarms(replication_group, topic_arn)

        self.endpoint = (
            replication_group.configuration_endpoint_address
            if args.resolved_cluster_mode
            else replication_group.primary_endpoint_address
        )
        self.reader_endpoint = (
            replication_group.configuration_endpoint_address
            if args.resolved_cluster_mode
            else replication_group.reader_endpoint_address
        )
        self.port = replication_group.port
        self.auth_secret_arn = credentials.secret.arn
        self.security_group_id = self.security_group.id
        self.replication_group_id = replication_group.replication_group_id
        self.register_outputs(
            {
                "endpoint": self.endpoint,
                "readerEndpoint": self.reader_endpoint,
                "port": self.port,
                "authSecretArn": self.auth_secret_arn,
                "securityGroupId": self.security_group_id,
                "replicationGroupId": self.replication_group_id,
                "globalReplicationGroupId": self.global_replication_group_id,
            }
        )

    def membership(self) -> RedisGlobalDatastore:
        """What another region's queue needs to join this primary's Global Datastore."""
        if self.global_replication_group_id is None or self.auth_token is None:
            raise RedisArgsError(f"{self._name} is not a Global Datastore primary; it has no membership to give")
        return RedisGlobalDatastore(
            role=GlobalRole.SECONDARY,
            global_replication_group_id=self.global_replication_group_id,
            auth_token=self.auth_token,
        )

    # -- helpers ------------------------------------------------------------------------------

    def _child(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self)

    def _user_group(self, password: pulumi.Output[str]) -> aws.elasticache.UserGroup:
        """RBAC: the mandatory `default` user switched off, and the application's user."""
        group_id = self._args.replication_group_id
        engine = self._args.resolved_engine
        # A VALKEY user group admits only users with a password or IAM authentication (ElastiCache
        # user guide, "Role-Based Access Control (RBAC)"), so the switched-off default user gets a
        # password that is generated, never stored and never used.
        unused_password = generated_password(
            f"{self._name}-default-user-password",
            length=PASSWORD_LENGTH,
            specials=ELASTICACHE_PASSWORD_SPECIALS,
            parent=self,
        )
        default_user = aws.elasticache.User(
            f"{self._name}-default-user",
            user_id=f"{group_id}-default",
            user_name="default",
            engine=engine,
            access_string=DISABLED_ACCESS_STRING,
            authentication_mode=aws.elasticache.UserAuthenticationModeArgs(
                type="password", passwords=[unused_password]
            ),
            opts=self._child(),
        )
        app_user = aws.elasticache.User(
            f"{self._name}-app-user",
            user_id=f"{group_id}-{APP_USER}",
            user_name=APP_USER,
            engine=engine,
            access_string=APP_ACCESS_STRING,
            authentication_mode=aws.elasticache.UserAuthenticationModeArgs(type="password", passwords=[password]),
            opts=self._child(),
        )
        return aws.elasticache.UserGroup(
            f"{self._name}-users",
            user_group_id=group_id,
            engine=engine,
            user_ids=[default_user.user_id, app_user.user_id],
            opts=self._child(),
        )

    def _parameter_group(self) -> aws.elasticache.ParameterGroup:
        args = self._args
        version = args.resolved_engine_version
        purpose = args.resolved_purpose
        return aws.elasticache.ParameterGroup(
            f"{self._name}-params",
            family=f"{args.resolved_engine}{version.split('.')[0]}",
            description=f"{purpose.value}: {EVICTION_POLICY[purpose]}, "
            f"cluster mode {'on' if args.resolved_cluster_mode else 'off'}",
            parameters=[
                aws.elasticache.ParameterGroupParameterArgs(name="maxmemory-policy", value=EVICTION_POLICY[purpose]),
                aws.elasticache.ParameterGroupParameterArgs(
                    name="cluster-enabled", value="yes" if args.resolved_cluster_mode else "no"
                ),
            ],
            opts=self._child(),
        )

    def _primary_shape(self) -> dict[str, Any]:
        """Engine, size and layout: set on a regional cluster or a Global Datastore's primary."""
        args = self._args
        shape: dict[str, Any] = {
            "engine": args.resolved_engine,
            "engine_version": args.resolved_engine_version,
            "node_type": args.node_type,
            "parameter_group_name": self._parameter_group().name,
            "cluster_mode": "enabled" if args.resolved_cluster_mode else "disabled",
            "at_rest_encryption_enabled": True,
            "transit_encryption_enabled": True,
            "transit_encryption_mode": "required",
        }
        if args.resolved_cluster_mode:
            shape.update(num_node_groups=args.resolved_shards, replicas_per_node_group=args.resolved_replicas_per_shard)
        else:
            shape["num_cache_clusters"] = 1 + args.resolved_replicas_per_shard
        return shape

    def _secondary_shape(self, secondary: RedisGlobalDatastore) -> dict[str, Any]:
        """A member inherits engine, node type, parameters, shards and encryption from its Global Datastore.

        The provider refuses each of those beside `global_replication_group_id`
        (SECONDARY_CONFLICTS); only replica counts and this region's own settings remain.
        """
        args = self._args
        shape: dict[str, Any] = {"global_replication_group_id": secondary.global_replication_group_id}
        if args.resolved_cluster_mode:
            shape["replicas_per_node_group"] = args.resolved_replicas_per_shard
        else:
            shape["num_cache_clusters"] = 1 + args.resolved_replicas_per_shard
        return shape

    def node_ids(self) -> list[str]:
        """Cache node ids ElastiCache derives from the group id: `<id>-0001-001` or `<id>-001`."""
        args = self._args
        group_id = args.replication_group_id
        nodes_per_shard = 1 + args.resolved_replicas_per_shard
        if args.resolved_cluster_mode:
            return [
                f"{group_id}-{shard:04d}-{node:03d}"
                for shard in range(1, args.resolved_shards + 1)
                for node in range(1, nodes_per_shard + 1)
            ]
        return [f"{group_id}-{node:03d}" for node in range(1, nodes_per_shard + 1)]

    def _alarms(self, replication_group: aws.elasticache.ReplicationGroup, topic_arn: pulumi.Input[str]) -> None:
        """Per node (ElastiCache reports these per node): CPU, memory, and evictions for a queue."""
        group_id = self._args.replication_group_id
        for node_id in self.node_ids():
            # Derived from the group's id so each alarm waits for (and follows) the group.
            dimensions = {"CacheClusterId": replication_group.id.apply(lambda _, node=node_id: node)}
            suffix = node_id.removeprefix(f"{group_id}-")
            for kind, metric, threshold, what in (
                ("cpu", "EngineCPUUtilization", CPU_ALARM_PERCENT, "engine CPU"),
                ("memory", "DatabaseMemoryUsagePercentage", MEMORY_ALARM_PERCENT, "memory"),
            ):
                threshold_alarm(
                    f"{self._name}-{kind}-{suffix}",
                    description=f"{node_id}: {what} above {threshold:g}% for 5 minutes",
                    namespace="AWS/ElastiCache",
                    metric=metric,
                    dimensions=dimensions,
                    threshold=threshold,
                    topic_arn=topic_arn,
                    parent=self,
                )
            if self._args.resolved_purpose is RedisPurpose.QUEUE:
                threshold_alarm(
                    f"{self._name}-evictions-{suffix}",
                    description=f"{node_id}: a queue evicted keys (jobs lost); it must never evict",
                    namespace="AWS/ElastiCache",
                    metric="Evictions",
                    dimensions=dimensions,
                    threshold=0,
                    statistic="Sum",
                    evaluation_periods=1,
                    topic_arn=topic_arn,
                    parent=self,
                )
        if self._args.global_role is GlobalRole.SECONDARY:
            self._replication_lag_alarm(replication_group, topic_arn)

    def _replication_lag_alarm(
        self, replication_group: aws.elasticache.ReplicationGroup, topic_arn: pulumi.Input[str]
    ) -> None:
        """The secondary's lag behind the primary region, against the RPO; silence counts as lag.

        GlobalDatastoreReplicationLag (seconds) comes from the secondary's primary node; in cluster
        mode it is the largest delay among the shards (ElastiCache, "Metrics for Valkey and Redis
        OSS"). Which node is primary moves with failovers, so the alarm takes the maximum over the
        first shard's nodes.
        """
        group_id = self._args.replication_group_id
        nodes_per_shard = 1 + self._args.resolved_replicas_per_shard
        first_shard = self.node_ids()[:nodes_per_shard]
        lag_alarm(
            f"{self._name}-global-lag",
            description=f"{group_id}: Global Datastore replication lag above the RPO "
            f"({self._args.resolved_rpo_seconds} seconds), or no lag reported (replication stopped or region lost)",
            series=MetricSeries(
                "AWS/ElastiCache",
                "GlobalDatastoreReplicationLag",
                [
                    {"CacheClusterId": replication_group.id.apply(lambda _, node=node_id: node)}
                    for node_id in first_shard
                ],
            ),
            threshold=self._args.resolved_rpo_seconds,
            topic_arn=topic_arn,
            parent=self,
        )

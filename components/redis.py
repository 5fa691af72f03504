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

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from eksplatform.components.alarms import MetricSeries, encrypted_alarm_topic, lag_alarm, threshold_alarm
from eksplatform.components.aws_context import AwsContext
from eksplatform.components.credentials import ELASTICACHE_PASSWORD_SPECIALS, generated_password, stored_password
from eksplatform.components.instance_types import GLOBAL_DATASTORE_FAMILIES
from eksplatform.components.kms import customer_managed_key
from eksplatform.components.log_groups import encrypted_log_groups
from eksplatform.components.security_groups import port_only_from_groups
from eksplatform.components.vpc import Vpc
from eksplatform.environments import profile
from eksplatform.stack.config import RedisClusterConfig

Purpose = Literal["cache", "queue"]

PORT = 6379
EVICTION_POLICY: dict[Purpose, str] = {"cache": "allkeys-lru", "queue": "noeviction"}
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

_GROUP_ID = re.compile(r"^[a-z](?!.*--)[a-z0-9-]{0,38}[a-z0-9]$")


class RedisArgsError(pulumi.RunError, ValueError):
    """Bad RedisCluster arguments; the message names the argument.

    A `RunError`, so `pulumi up` prints the message without a traceback.
    """


@dataclass(frozen=True)
class GlobalDatastorePrimary:
    """This cluster writes; a Global Datastore named `<AWS prefix>-<suffix>` replicates it."""

    suffix: str


@dataclass(frozen=True)
class GlobalDatastoreSecondary:
    """This cluster is a read-only member of the given Global Datastore."""

    global_replication_group_id: pulumi.Input[str]
    auth_token: pulumi.Input[str]
    """The primary's auth token (a secret): members of one datastore share it."""


@dataclass(frozen=True)
class RedisClusterArgs:
    purpose: Purpose
    replication_group_id: str
    """1-40 lowercase letters, digits and single hyphens; also prefixes node ids and user ids."""
    config: RedisClusterConfig
    vpc_id: pulumi.Input[str]
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """The database subnets."""
    allowed_security_groups: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    """Security groups allowed to connect, keyed by a stable name (e.g. `eks-nodes`)."""
    allowed_cidrs: Mapping[str, str] = field(default_factory=dict)
    """CIDRs allowed to connect (the peered regions' private subnets), keyed by a stable name."""
    keep_data: bool = False
    """Prod: `protect` the replication group and its key (and retain a queue on delete)."""
    alarm_topic_arn: pulumi.Input[str] | None = None
    """Where alarms go; default: an encrypted topic of its own."""
    global_datastore: GlobalDatastorePrimary | GlobalDatastoreSecondary | None = None
    rpo_seconds: int = 900
    """A Global Datastore secondary alarms when its replication lag passes this (the stack's RPO)."""

    def __post_init__(self) -> None:
        if self.rpo_seconds < 1:
            raise RedisArgsError(f"rpo_seconds {self.rpo_seconds}: must be at least 1")
        if not _GROUP_ID.fullmatch(self.replication_group_id):
            raise RedisArgsError(
                f"replication_group_id {self.replication_group_id!r}: use 2-40 lowercase letters, digits and "
                "single hyphens, starting with a letter"
            )
        if self.purpose not in EVICTION_POLICY:
            raise RedisArgsError(f"purpose {self.purpose!r}: use 'cache' or 'queue'")
        if self.global_datastore is not None:
            if self.purpose != "queue":
                raise RedisArgsError("global_datastore: only the queue is global; caches stay regional")
            family = self.config.node_type.rsplit(".", 1)[0]
            if family not in GLOBAL_DATASTORE_FAMILIES:
                raise RedisArgsError(
                    f"global_datastore: node type {self.config.node_type} cannot join one; "
                    f"use one of {GLOBAL_DATASTORE_FAMILIES}"
                )

    @classmethod
    def from_config(
        cls,
        purpose: Purpose,
        config: RedisClusterConfig,
        *,
        environment: str,
        replication_group_id: str,
        vpc: Vpc,
        allowed_security_groups: Mapping[str, pulumi.Input[str]],
        allowed_cidrs: Mapping[str, str] | None = None,
        alarm_topic_arn: pulumi.Input[str] | None = None,
        global_datastore: GlobalDatastorePrimary | GlobalDatastoreSecondary | None = None,
        rpo_minutes: int = 15,
    ) -> RedisClusterArgs:
        return cls(
            purpose=purpose,
            replication_group_id=replication_group_id,
            config=config,
            vpc_id=vpc.vpc_id,
            subnet_ids=vpc.database_subnet_ids,
            allowed_security_groups=allowed_security_groups,
            allowed_cidrs=dict(allowed_cidrs or {}),
            keep_data=profile(environment).keep_data,
            alarm_topic_arn=alarm_topic_arn,
            global_datastore=global_datastore,
            rpo_seconds=rpo_minutes * 60,
        )


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
        super().__init__("platform:index:RedisCluster", name, None, opts)
        self._name = name
        self._args = args
        config = args.config
        group_id = args.replication_group_id
        context = AwsContext.of(self)
        secondary = args.global_datastore if isinstance(args.global_datastore, GlobalDatastoreSecondary) else None

        self.key = customer_managed_key(
            f"{name}-key",
            description=f"Encrypts ElastiCache {group_id} at rest and its auth secret",
            context=context,
            parent=self,
            alias=f"{group_id}/elasticache",
            protect=args.keep_data,
        )
        self.security_group = port_only_from_groups(
            name,
            vpc_id=args.vpc_id,
            port=PORT,
            what=f"ElastiCache {group_id}",
            allowed=args.allowed_security_groups,
            allowed_cidrs=args.allowed_cidrs,
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
            retention_days=config.log_retention_days,
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

        failover = config.replicas_per_shard >= 1 or config.cluster_mode
        replication_group = aws.elasticache.ReplicationGroup(
            f"{name}-rg",
            replication_group_id=group_id,
            description=f"{args.purpose} for the platform ({config.engine})",
            port=PORT,
            subnet_group_name=subnet_group.name,
            security_group_ids=[self.security_group.id],
            # A secondary's own key encrypts its region's copy; encryption itself is the primary's.
            kms_key_id=self.key.arn,
            user_group_ids=[user_group.id] if user_group else None,
            auth_token=credentials.password if uses_auth_token else None,
            automatic_failover_enabled=failover,
            multi_az_enabled=config.replicas_per_shard >= 1,
            snapshot_retention_limit=config.snapshot_retention_days,
            snapshot_window=config.snapshot_window,
            maintenance_window=config.maintenance_window,
            auto_minor_version_upgrade=True,
            apply_immediately=False,  # changes wait for the maintenance window
            final_snapshot_identifier=f"{group_id}-final" if args.purpose == "queue" else None,
            log_delivery_configurations=[
                aws.elasticache.ReplicationGroupLogDeliveryConfigurationArgs(
                    destination=log_groups[f"{name}-{kind}"].name,
                    destination_type="cloudwatch-logs",
                    log_format="json",
                    log_type=kind,
                )
                for kind in ("slow-log", "engine-log")
            ],
            tags={"Name": group_id, "purpose": args.purpose},
            **(self._secondary_shape(secondary) if secondary else self._primary_shape()),
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=args.keep_data,
                # A queue's data outlives the stack; a cache can be rebuilt.
                retain_on_delete=args.keep_data and args.purpose == "queue",
                # kms_key_id is ForceNew; what AWS reports for a datastore member's key is not
                # documented, and a replaced member would lose its region's copy.
                ignore_changes=["kmsKeyId"] if secondary else None,
            ),
        )

        self.global_replication_group_id = None
        if isinstance(args.global_datastore, GlobalDatastorePrimary):
            global_group = aws.elasticache.GlobalReplicationGroup(
                f"{name}-global",
                global_replication_group_id_suffix=args.global_datastore.suffix,
                global_replication_group_description=f"Global Datastore of {group_id}",
                primary_replication_group_id=replication_group.id,
                opts=pulumi.ResourceOptions(
                    parent=self,
                    protect=args.keep_data,
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
            if config.cluster_mode
            else replication_group.primary_endpoint_address
        )
        self.reader_endpoint = (
            replication_group.configuration_endpoint_address
            if config.cluster_mode
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

    def membership(self) -> GlobalDatastoreSecondary:
        """What another region's queue needs to join this primary's Global Datastore."""
        if self.global_replication_group_id is None or self.auth_token is None:
            raise RedisArgsError(f"{self._name} is not a Global Datastore primary; it has no membership to give")
        return GlobalDatastoreSecondary(self.global_replication_group_id, self.auth_token)

    # -- helpers ------------------------------------------------------------------------------

    def _child(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self)

    def _user_group(self, password: pulumi.Output[str]) -> aws.elasticache.UserGroup:
        """RBAC: the mandatory `default` user switched off, and the application's user."""
        group_id = self._args.replication_group_id
        engine = self._args.config.engine
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
        config = self._args.config
        version = config.resolved_engine_version
        return aws.elasticache.ParameterGroup(
            f"{self._name}-params",
            family=f"{config.engine}{version.split('.')[0]}",
            description=f"{self._args.purpose}: {EVICTION_POLICY[self._args.purpose]}, "
            f"cluster mode {'on' if config.cluster_mode else 'off'}",
            parameters=[
                aws.elasticache.ParameterGroupParameterArgs(
                    name="maxmemory-policy", value=EVICTION_POLICY[self._args.purpose]
                ),
                aws.elasticache.ParameterGroupParameterArgs(
                    name="cluster-enabled", value="yes" if config.cluster_mode else "no"
                ),
            ],
            opts=self._child(),
        )

    def _primary_shape(self) -> dict[str, Any]:
        """Engine, size and layout: set on a regional cluster or a Global Datastore's primary."""
        config = self._args.config
        shape: dict[str, Any] = {
            "engine": config.engine,
            "engine_version": config.resolved_engine_version,
            "node_type": config.node_type,
            "parameter_group_name": self._parameter_group().name,
            "cluster_mode": "enabled" if config.cluster_mode else "disabled",
            "at_rest_encryption_enabled": True,
            "transit_encryption_enabled": True,
            "transit_encryption_mode": "required",
        }
        if config.cluster_mode:
            shape.update(num_node_groups=config.shards, replicas_per_node_group=config.replicas_per_shard)
        else:
            shape["num_cache_clusters"] = 1 + config.replicas_per_shard
        return shape

    def _secondary_shape(self, secondary: GlobalDatastoreSecondary) -> dict[str, Any]:
        """A member inherits engine, node type, parameters, shards and encryption from its Global Datastore.

        The provider refuses each of those beside `global_replication_group_id`
        (SECONDARY_CONFLICTS); only replica counts and this region's own settings remain.
        """
        config = self._args.config
        shape: dict[str, Any] = {"global_replication_group_id": secondary.global_replication_group_id}
        if config.cluster_mode:
            shape["replicas_per_node_group"] = config.replicas_per_shard
        else:
            shape["num_cache_clusters"] = 1 + config.replicas_per_shard
        return shape

    def node_ids(self) -> list[str]:
        """Cache node ids ElastiCache derives from the group id: `<id>-0001-001` or `<id>-001`."""
        config = self._args.config
        group_id = self._args.replication_group_id
        nodes_per_shard = 1 + config.replicas_per_shard
        if config.cluster_mode:
            return [
                f"{group_id}-{shard:04d}-{node:03d}"
                for shard in range(1, config.shards + 1)
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
            if self._args.purpose == "queue":
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
        if isinstance(self._args.global_datastore, GlobalDatastoreSecondary):
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
        nodes_per_shard = 1 + self._args.config.replicas_per_shard
        first_shard = self.node_ids()[:nodes_per_shard]
        lag_alarm(
            f"{self._name}-global-lag",
            description=f"{group_id}: Global Datastore replication lag above the RPO "
            f"({self._args.rpo_seconds} seconds), or no lag reported (replication stopped or region lost)",
            series=MetricSeries(
                "AWS/ElastiCache",
                "GlobalDatastoreReplicationLag",
                [
                    {"CacheClusterId": replication_group.id.apply(lambda _, node=node_id: node)}
                    for node_id in first_shard
                ],
            ),
            threshold=self._args.rpo_seconds,
            topic_arn=topic_arn,
            parent=self,
        )

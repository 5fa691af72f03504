"""The stack file's data stores: one region's PostgreSQL and its two Redis (Valkey) groups."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from eksplatform.components.facts import REDIS_DEFAULT_ENGINE_VERSION, REDIS_ENGINE_VERSIONS, REDIS_MAX_NODES
from eksplatform.components.instance_types import (
    AURORA_POSTGRES_CLASS_MEMORY_GIB,
    ELASTICACHE_NODE_TYPES,
    GLOBAL_DATASTORE_FAMILIES,
    RDS_POSTGRES_CLASS_MEMORY_GIB,
    db_class_families,
)
from eksplatform.cost.prices import priced_everywhere
from eksplatform.stack.errors import KeyedValueError
from eksplatform.stack.models_base import StackModel, WeeklyWindow, Window, check_order, log_retention, unpriced

# --- data stores ---------------------------------------------------------------------------


class PostgresConfig(StackModel):
    """One region's managed PostgreSQL (RDS instance or Aurora cluster)."""

    engine: Literal["rds", "aurora"] = Field(description="rds (dev) or aurora (staging, prod)")
    major_version: Literal[16, 17] = Field(default=17, description="PostgreSQL major version")
    engine_version: str | None = Field(
        default=None,
        pattern=r"^\d+\.\d+$",
        description="full engine version, e.g. '17.5' (required for an Aurora Global Database; "
        "list them with `aws rds describe-db-engine-versions --engine aurora-postgresql`)",
    )
    instance_class: str = Field(
        description="e.g. db.r7g.large; see components/instance_types.py; only classes with a price for the engine "
        "in every admitted region (docs/cost.md, 'What is admitted')"
    )
    allocated_storage_gib: int = Field(default=20, ge=20, le=65536, description="rds only (gp3)")
    max_allocated_storage_gib: int | None = Field(default=None, le=65536, description="rds only: autoscaling cap")
    multi_az: bool = Field(default=False, description="rds only: a standby in a second AZ")
    read_replicas: int = Field(default=0, ge=0, le=15, description="rds only: read replicas")
    readers: int = Field(default=1, ge=0, le=15, description="aurora only: reader instances across AZs")
    backup_retention_days: int = Field(default=7, ge=1, le=35, description="automated backups kept (prod: 30)")
    backup_window: Window = Field(default="03:00-04:00", description="UTC")
    maintenance_window: WeeklyWindow = Field(default="sun:04:30-sun:05:30", description="UTC")
    deletion_protection: bool | None = Field(default=None, description="default: on outside dev")
    proxy: bool = Field(default=False, description="RDS Proxy for connection pooling")
    log_retention_days: int = Field(default=30, description="PostgreSQL log retention in CloudWatch")

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, days: int) -> int:
        return log_retention(days)

    @property
    def resolved_engine_version(self) -> str:
        """The pinned full version, or the major version (AWS then picks its default minor)."""
        return self.engine_version or str(self.major_version)

    @property
    def instance_classes(self) -> dict[str, float]:
        """The classes this engine offers (name -> memory in GiB)."""
        return AURORA_POSTGRES_CLASS_MEMORY_GIB if self.engine == "aurora" else RDS_POSTGRES_CLASS_MEMORY_GIB

    @property
    def instance_count(self) -> int:
        """DB instances that serve traffic: the writer plus replicas or readers."""
        return 1 + (self.readers if self.engine == "aurora" else self.read_replicas)

    @model_validator(mode="after")
    def _fits_engine(self) -> PostgresConfig:
        product = "Aurora PostgreSQL" if self.engine == "aurora" else "RDS for PostgreSQL"
        if self.instance_class not in self.instance_classes:
            raise KeyedValueError(
                "instanceClass",
                f"{product} does not offer {self.instance_class!r}; "
                f"families: {', '.join(db_class_families(self.instance_classes))}",
            )
        if not priced_everywhere(f"{self.engine if self.engine == 'aurora' else 'rds'}.postgres.{self.instance_class}"):
            raise KeyedValueError("instanceClass", unpriced(f"{product} {self.instance_class}"))
        if self.engine_version is not None and self.engine_version.split(".")[0] != str(self.major_version):
            raise KeyedValueError(
                "engineVersion", f"{self.engine_version!r} is not a version of majorVersion {self.major_version}"
            )
        other_engine_keys = _AURORA_ONLY if self.engine == "rds" else _RDS_ONLY
        for field_name, (key, hint) in other_engine_keys.items():
            if field_name in self.model_fields_set:
                raise KeyedValueError(key, f"not for engine {self.engine}: {hint}")
        check_order(
            [
                (
                    "allocatedStorageGib",
                    self.allocated_storage_gib,
                    "maxAllocatedStorageGib",
                    self.max_allocated_storage_gib,
                )
            ]
        )
        return self


# Settings that only one engine has, with what to use on the other.
_RDS_ONLY = {
    "read_replicas": ("readReplicas", "Aurora scales reads with readers"),
    "allocated_storage_gib": ("allocatedStorageGib", "Aurora storage grows on its own"),
    "max_allocated_storage_gib": ("maxAllocatedStorageGib", "Aurora storage grows on its own"),
    "multi_az": ("multiAz", "Aurora is Multi-AZ through readers in other zones"),
}
_AURORA_ONLY = {"readers": ("readers", "an rds instance scales reads with readReplicas")}


class RedisClusterConfig(StackModel):
    """One ElastiCache replication group (the platform runs a `cache` and a `queue`)."""

    engine: Literal["valkey", "redis"] = Field(default="valkey", description="ElastiCache engine")
    engine_version: str | None = Field(
        default=None,
        description="; ".join(
            f"{engine}: {', '.join(versions)} (default {REDIS_DEFAULT_ENGINE_VERSION[engine]})"
            for engine, versions in REDIS_ENGINE_VERSIONS.items()
        ),
    )
    node_type: str = Field(
        description="e.g. cache.t4g.small; see ELASTICACHE_NODE_TYPES; only node types with a price for the engine "
        "in every admitted region (docs/cost.md, 'What is admitted')"
    )
    cluster_mode: bool = Field(default=False, description="sharded (cluster mode enabled)")
    shards: int = Field(default=1, ge=1, le=500, description="node groups; more than 1 turns on cluster mode")
    replicas_per_shard: int = Field(default=1, ge=0, le=5, description=">= 1 for Multi-AZ failover (prod)")
    snapshot_retention_days: int = Field(default=1, ge=0, le=35, description="0: no snapshots (cache only)")
    snapshot_window: Window = Field(default="03:00-04:00", description="UTC")
    maintenance_window: WeeklyWindow = Field(default="sun:05:00-sun:06:00", description="UTC")
    log_retention_days: int = Field(default=30, description="slow-log and engine-log retention")
    global_datastore: bool = Field(default=False, description="queue only: Global Datastore across regions")

    @field_validator("node_type")
    @classmethod
    def _known_node_type(cls, node_type: str) -> str:
        if node_type not in ELASTICACHE_NODE_TYPES:
            families = sorted({known.rsplit(".", 1)[0] for known in ELASTICACHE_NODE_TYPES})
            raise ValueError(f"{node_type!r} is not an ElastiCache node type; families: {', '.join(families)}")
        return node_type

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, days: int) -> int:
        return log_retention(days)

    @model_validator(mode="after")
    def _engine_and_shards(self) -> RedisClusterConfig:
        if not priced_everywhere(f"elasticache.{self.engine}.{self.node_type}"):
            raise KeyedValueError("nodeType", unpriced(f"{self.node_type} ({self.engine})"))
        versions = REDIS_ENGINE_VERSIONS[self.engine]
        if self.engine_version is not None and self.engine_version not in versions:
            raise KeyedValueError("engineVersion", f"{self.engine} offers {versions}, not {self.engine_version!r}")
        if self.shards > 1 and not self.cluster_mode:
            raise KeyedValueError("shards", f"{self.shards} shards need clusterMode: true")
        nodes = self.shards * (1 + self.replicas_per_shard)
        if nodes > REDIS_MAX_NODES:
            raise KeyedValueError(
                "shards",
                f"{self.shards} shards x {1 + self.replicas_per_shard} nodes is {nodes}; at most {REDIS_MAX_NODES}",
            )
        return self

    @property
    def resolved_engine_version(self) -> str:
        return self.engine_version or REDIS_DEFAULT_ENGINE_VERSION[self.engine]


class RedisConfig(StackModel):
    """Separate Redis for caching and for queues, as the requirements ask."""

    cache: RedisClusterConfig
    queue: RedisClusterConfig

    @model_validator(mode="after")
    def _purposes(self) -> RedisConfig:
        if self.cache.global_datastore:
            raise KeyedValueError("cache.globalDatastore", "only the queue uses a Global Datastore")
        if self.queue.snapshot_retention_days < 1:
            raise KeyedValueError("queue.snapshotRetentionDays", "the queue keeps snapshots; use 1 or more days")
        if self.queue.global_datastore and self.queue.node_type.rsplit(".", 1)[0] not in GLOBAL_DATASTORE_FAMILIES:
            raise KeyedValueError(
                "queue.nodeType",
                f"a Global Datastore needs one of {GLOBAL_DATASTORE_FAMILIES}, not {self.queue.node_type}",
            )
        return self

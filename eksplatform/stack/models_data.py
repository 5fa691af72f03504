"""The stack file's data stores: one region's PostgreSQL and its two Redis (Valkey) groups."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from pydantic import Field, field_validator, model_validator

from eksplatform.components.data_rules import (
    FULL_POSTGRES_VERSION,
    RANGES,
    DataRuleError,
    check_global_datastore_node_type,
    check_postgres,
    check_postgres_windows,
    check_queue_snapshots,
    check_redis,
    check_redis_windows,
    postgres_classes,
    postgres_product,
)
from eksplatform.components.facts import REDIS_DEFAULT_ENGINE_VERSION, REDIS_ENGINE_VERSIONS
from eksplatform.cost.prices import priced_everywhere
from eksplatform.stack.errors import KeyedValueError
from eksplatform.stack.models_base import StackModel, WeeklyWindow, Window, log_retention, unpriced


def camel(name: str) -> str:
    """A Python field name as the stack file spells it: `max_allocated_storage_gib` -> `maxAllocatedStorageGib`."""
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


@contextmanager
def keyed(prefix: str = "") -> Iterator[None]:
    """A data store rule's violation (components/data_rules.py) reported at its stack file key."""
    try:
        yield
    except DataRuleError as violation:
        raise KeyedValueError(prefix + camel(violation.field), violation.message) from None


# --- data stores ---------------------------------------------------------------------------


class PostgresConfig(StackModel):
    """One region's managed PostgreSQL (RDS instance or Aurora cluster)."""

    engine: Literal["rds", "aurora"] = Field(description="rds (dev) or aurora (staging, prod)")
    major_version: Literal[16, 17] = Field(default=17, description="PostgreSQL major version")
    engine_version: str | None = Field(
        default=None,
        pattern=FULL_POSTGRES_VERSION.pattern,
        description="full engine version, e.g. '17.5' (required for an Aurora Global Database; "
        "list them with `aws rds describe-db-engine-versions --engine aurora-postgresql`)",
    )
    instance_class: str = Field(
        description="e.g. db.r7g.large; see components/instance_types.py; only classes with a price for the engine "
        "in every admitted region (docs/cost.md, 'What is admitted')"
    )
    allocated_storage_gib: int = Field(
        default=20,
        ge=RANGES["allocated_storage_gib"][0],
        le=RANGES["allocated_storage_gib"][1],
        description="rds only (gp3)",
    )
    max_allocated_storage_gib: int | None = Field(
        default=None, le=RANGES["max_allocated_storage_gib"][1], description="rds only: autoscaling cap"
    )
    multi_az: bool = Field(default=False, description="rds only: a standby in a second AZ")
    read_replicas: int = Field(
        default=0, ge=RANGES["read_replicas"][0], le=RANGES["read_replicas"][1], description="rds only: read replicas"
    )
    readers: int = Field(
        default=1,
        ge=RANGES["readers"][0],
        le=RANGES["readers"][1],
        description="aurora only: reader instances across AZs",
    )
    backup_retention_days: int = Field(
        default=7,
        ge=RANGES["backup_retention_days"][0],
        le=RANGES["backup_retention_days"][1],
        description="automated backups kept (prod: 30)",
    )
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
        return postgres_classes(self.engine)

    @property
    def instance_count(self) -> int:
        """DB instances that serve traffic: the writer plus replicas or readers."""
        return 1 + (self.readers if self.engine == "aurora" else self.read_replicas)

    @model_validator(mode="after")
    def _fits_engine(self) -> PostgresConfig:
        # The AWS rules are the ManagedPostgres args' own (components/data_rules.py).
        with keyed():
            check_postgres(
                engine=self.engine,
                instance_class=self.instance_class,
                major_version=self.major_version,
                engine_version=self.engine_version,
                allocated_storage_gib=self.allocated_storage_gib,
                max_allocated_storage_gib=self.max_allocated_storage_gib,
                given=self.model_fields_set,
                spell=camel,
            )
            check_postgres_windows(self.backup_window, self.maintenance_window, spell=camel)
        product = postgres_product(self.engine)
        if not priced_everywhere(f"{self.engine if self.engine == 'aurora' else 'rds'}.postgres.{self.instance_class}"):
            raise KeyedValueError("instanceClass", unpriced(f"{product} {self.instance_class}"))
        return self


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
    shards: int = Field(
        default=1,
        ge=RANGES["shards"][0],
        le=RANGES["shards"][1],
        description="node groups; more than 1 turns on cluster mode",
    )
    replicas_per_shard: int = Field(
        default=1,
        ge=RANGES["replicas_per_shard"][0],
        le=RANGES["replicas_per_shard"][1],
        description=">= 1 for Multi-AZ failover (prod)",
    )
    snapshot_retention_days: int = Field(
        default=1,
        ge=RANGES["snapshot_retention_days"][0],
        le=RANGES["snapshot_retention_days"][1],
        description="0: no snapshots (cache only)",
    )
    snapshot_window: Window = Field(default="03:00-04:00", description="UTC")
    maintenance_window: WeeklyWindow = Field(default="sun:05:00-sun:06:00", description="UTC")
    log_retention_days: int = Field(default=30, description="slow-log and engine-log retention")
    global_datastore: bool = Field(default=False, description="queue only: Global Datastore across regions")

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, days: int) -> int:
        return log_retention(days)

    @model_validator(mode="after")
    def _engine_and_shards(self) -> RedisClusterConfig:
        # The AWS rules are the RedisCluster args' own (components/data_rules.py).
        with keyed():
            check_redis(
                engine=self.engine,
                engine_version=self.engine_version,
                node_type=self.node_type,
                cluster_mode=self.cluster_mode,
                shards=self.shards,
                replicas_per_shard=self.replicas_per_shard,
                spell=camel,
            )
            check_redis_windows(self.snapshot_window, self.maintenance_window)
        if not priced_everywhere(f"elasticache.{self.engine}.{self.node_type}"):
            raise KeyedValueError("nodeType", unpriced(f"{self.node_type} ({self.engine})"))
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
        with keyed("queue."):
            check_queue_snapshots(self.queue.snapshot_retention_days)
            if self.queue.global_datastore:
                check_global_datastore_node_type(self.queue.node_type)
        return self

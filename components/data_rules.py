"""AWS rules of the data stores' settings: RDS/Aurora PostgreSQL and ElastiCache (Valkey, Redis OSS).

Pure functions on plain values, called by the components' Args (components/postgres.py,
components/redis.py) and by the stack config (eksplatform/stack/models_data.py), so each rule
lives here once. A broken rule raises `DataRuleError(field, message)`: `field` is the Python
field name (snake_case); each caller reports it its own way (`args.instance_class`, or the
stack file's `instanceClass`), and `spell` turns the other field names a message mentions into
the caller's spelling.

Platform rules (a price in every admitted region, what prod requires) are not here: they belong
to the stack layer.
"""

import ipaddress
import math
import re
from collections.abc import Callable, Iterable, Mapping

from eksplatform.components.facts import REDIS_ENGINE_VERSIONS, REDIS_MAX_NODES, log_retention_problem
from eksplatform.components.instance_types import (
    AURORA_POSTGRES_CLASS_MEMORY_GIB,
    ELASTICACHE_NODE_TYPES,
    GLOBAL_DATASTORE_FAMILIES,
    RDS_POSTGRES_CLASS_MEMORY_GIB,
    db_class_families,
)

Spell = Callable[[str], str]

# The PostgreSQL major versions the platform's parameters are written for (both offered by RDS
# and Aurora PostgreSQL; `aws rds describe-db-engine-versions`).
POSTGRES_MAJOR_VERSIONS = (16, 17)
# Inclusive ranges, from the RDS API reference (CreateDBInstance, CreateDBCluster): gp3 storage
# 20-65536 GiB, up to 15 read replicas or Aurora replicas, 1-35 days of automated backups
# (0 would switch backups off); and from ElastiCache's (CreateReplicationGroup): 1-500 node
# groups, 0-5 replicas per node group, 0-35 days of snapshots.
RANGES: dict[str, tuple[int, int]] = {
    "allocated_storage_gib": (20, 65536),
    "max_allocated_storage_gib": (20, 65536),
    "read_replicas": (0, 15),
    "readers": (0, 15),
    "backup_retention_days": (1, 35),
    "shards": (1, 500),
    "replicas_per_shard": (0, 5),
    "snapshot_retention_days": (0, 35),
}
# RDS and ElastiCache windows: `hh:mm-hh:mm` (UTC) for backups and snapshots, `ddd:hh:mm-ddd:hh:mm`
# for maintenance (CreateDBInstance PreferredBackupWindow/PreferredMaintenanceWindow).
DAILY_WINDOW = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")
WEEKLY_WINDOW = re.compile(
    r"^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):[0-5]\d$"
)
FULL_POSTGRES_VERSION = re.compile(r"^\d+\.\d+$")

# Settings only one PostgreSQL engine has, with what to use on the other.
RDS_ONLY = {
    "read_replicas": "Aurora scales reads with readers",
    "allocated_storage_gib": "Aurora storage grows on its own",
    "max_allocated_storage_gib": "Aurora storage grows on its own",
    "multi_az": "Aurora is Multi-AZ through readers in other zones",
}
AURORA_ONLY = {"readers": "an rds instance scales reads with {read_replicas}"}


class DataRuleError(ValueError):
    """A setting AWS would refuse; `field` is its Python name, `message` says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def same(name: str) -> str:
    return name


def check_access_and_rpo(allowed_cidrs: Mapping[str, str] | None, rpo_seconds: int | None) -> None:
    """A data store's network and recovery settings: each admitted CIDR an IPv4 network, the RPO
    (its replication-lag alarm's threshold) at least a second."""
    for key, cidr in (allowed_cidrs or {}).items():
        try:
            ipaddress.IPv4Network(cidr)
        except ValueError as error:
            raise DataRuleError(f"allowed_cidrs.{key}", f"{cidr!r} is not an IPv4 network ({error})") from None
    if rpo_seconds is not None and rpo_seconds < 1:
        raise DataRuleError("rpo_seconds", f"{rpo_seconds}: must be at least 1")


def check_range(field: str, value: int | None) -> None:
    """`value` within the field's RANGES entry (None: not given, nothing to check)."""
    low, high = RANGES[field]
    if value is not None and not low <= value <= high:
        raise DataRuleError(field, f"{value} is outside {low}-{high}")


def check_log_retention(field: str, days: int) -> None:
    if (problem := log_retention_problem(days)) is not None:
        raise DataRuleError(field, problem)


def check_windows(daily: tuple[str, str | None], weekly: tuple[str, str | None]) -> None:
    """A `(field, value)` daily window (`03:00-04:00`) and a weekly one (`sun:04:30-sun:05:30`), in UTC."""
    for (field, value), pattern, example in (
        (daily, DAILY_WINDOW, "03:00-04:00"),
        (weekly, WEEKLY_WINDOW, "sun:04:30-sun:05:30"),
    ):
        if value is not None and not pattern.fullmatch(value):
            raise DataRuleError(field, f"{value!r} is not a UTC window like {example!r}")


# Shortest windows: RDS backup and maintenance windows "Must be at least 30 minutes" (CreateDBInstance,
# CreateDBCluster: PreferredBackupWindow, PreferredMaintenanceWindow); "The minimum maintenance window
# is a 60 minute period" (ElastiCache CreateReplicationGroup, PreferredMaintenanceWindow).
MIN_RDS_WINDOW_MINUTES = 30
MIN_ELASTICACHE_MAINTENANCE_MINUTES = 60
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MINUTES_A_DAY = 24 * 60
_MINUTES_A_WEEK = 7 * _MINUTES_A_DAY


def _minute(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def _daily_minutes(window: str) -> set[int]:
    """The minutes of the week a daily window covers (it may cross midnight: `23:30-00:30`)."""
    start, end = (_minute(clock) for clock in window.split("-"))
    length = (end - start) % _MINUTES_A_DAY
    return {(day * _MINUTES_A_DAY + start + minute) % _MINUTES_A_WEEK for day in range(7) for minute in range(length)}


def _weekly_minutes(window: str) -> set[int]:
    """The minutes of the week a weekly window covers (it may cross the week's end: `sun:23:00-mon:01:00`)."""
    start, end = (
        _DAYS.index(day) * _MINUTES_A_DAY + _minute(clock)
        for day, clock in (point.split(":", 1) for point in window.split("-"))
    )
    return {(start + minute) % _MINUTES_A_WEEK for minute in range((end - start) % _MINUTES_A_WEEK)}


def _at_least(field: str, window: str, minutes: int, covered: int, source: str) -> None:
    if covered < minutes:
        raise DataRuleError(field, f"{window!r} lasts {covered} minutes; {source} needs at least {minutes}")


def check_postgres_windows(backup_window: str, maintenance_window: str, spell: Spell = same) -> None:
    """RDS/Aurora's resolved windows: each well-formed and at least 30 minutes, and the daily backup
    window clear of the weekly maintenance window ("Must not conflict with the preferred maintenance
    window", PreferredBackupWindow)."""
    check_windows(("backup_window", backup_window), ("maintenance_window", maintenance_window))
    backup, maintenance = _daily_minutes(backup_window), _weekly_minutes(maintenance_window)
    _at_least("backup_window", backup_window, MIN_RDS_WINDOW_MINUTES, len(backup) // 7, "RDS")
    _at_least("maintenance_window", maintenance_window, MIN_RDS_WINDOW_MINUTES, len(maintenance), "RDS")
    if backup & maintenance:
        raise DataRuleError(
            "backup_window",
            f"{backup_window!r} overlaps {spell('maintenance_window')} {maintenance_window!r}; RDS needs them apart",
        )


def check_redis_windows(snapshot_window: str, maintenance_window: str) -> None:
    """ElastiCache's resolved windows: well-formed, and a maintenance window of at least 60 minutes."""
    check_windows(("snapshot_window", snapshot_window), ("maintenance_window", maintenance_window))
    covered = len(_weekly_minutes(maintenance_window))
    _at_least("maintenance_window", maintenance_window, MIN_ELASTICACHE_MAINTENANCE_MINUTES, covered, "ElastiCache")


# Storage autoscaling: AWS refuses a cap not above the storage ("Max storage size must be greater
# than storage size") and grows storage by at least 10 % at a time, so the cap needs that headroom.
STORAGE_AUTOSCALING_HEADROOM_PERCENT = 10


def check_storage(allocated_storage_gib: int, max_allocated_storage_gib: int | None, spell: Spell = same) -> None:
    """The resolved storage and its autoscaling cap (None: no autoscaling): the cap at least 1.1x the storage."""
    if max_allocated_storage_gib is None:
        return
    lowest = math.ceil(allocated_storage_gib * (100 + STORAGE_AUTOSCALING_HEADROOM_PERCENT) / 100)
    if max_allocated_storage_gib < lowest:
        raise DataRuleError(
            "max_allocated_storage_gib",
            f"{max_allocated_storage_gib} must be at least 1.1x {spell('allocated_storage_gib')} "
            f"{allocated_storage_gib}, i.e. {lowest} GiB: AWS needs the cap above the storage, and storage "
            f"autoscaling grows it by at least {STORAGE_AUTOSCALING_HEADROOM_PERCENT} %",
        )


# --- PostgreSQL ------------------------------------------------------------------------------


def postgres_classes(engine: str) -> dict[str, float]:
    """The DB instance classes an engine (`rds` or `aurora`) offers: name -> memory in GiB."""
    return AURORA_POSTGRES_CLASS_MEMORY_GIB if engine == "aurora" else RDS_POSTGRES_CLASS_MEMORY_GIB


def postgres_product(engine: str) -> str:
    return "Aurora PostgreSQL" if engine == "aurora" else "RDS for PostgreSQL"


def check_postgres(
    *,
    engine: str,
    instance_class: str,
    major_version: int,
    engine_version: str | None,
    allocated_storage_gib: int | None,
    max_allocated_storage_gib: int | None,
    given: Iterable[str],
    spell: Spell = same,
) -> None:
    """The engine, class, version and storage rules of one PostgreSQL; `given` names the fields set."""
    classes = postgres_classes(engine)
    if instance_class not in classes:
        raise DataRuleError(
            "instance_class",
            f"{postgres_product(engine)} does not offer {instance_class!r}; "
            f"families: {', '.join(db_class_families(classes))}",
        )
    if major_version not in POSTGRES_MAJOR_VERSIONS:
        raise DataRuleError("major_version", f"{major_version} is not one of {POSTGRES_MAJOR_VERSIONS}")
    if engine_version is not None:
        if not FULL_POSTGRES_VERSION.fullmatch(engine_version):
            raise DataRuleError("engine_version", f"{engine_version!r} is not a full version like '17.5'")
        if engine_version.split(".")[0] != str(major_version):
            raise DataRuleError(
                "engine_version", f"{engine_version!r} is not a version of {spell('major_version')} {major_version}"
            )
    other_engine = AURORA_ONLY if engine == "rds" else RDS_ONLY
    given = set(given)
    for field, hint in other_engine.items():
        if field in given:
            raise DataRuleError(field, f"not for engine {engine}: {hint.format(read_replicas=spell('read_replicas'))}")
    check_range("allocated_storage_gib", allocated_storage_gib)
    check_range("max_allocated_storage_gib", max_allocated_storage_gib)
    if allocated_storage_gib is not None:
        check_storage(allocated_storage_gib, max_allocated_storage_gib, spell)


# An Aurora global database "requires DB instance classes that are optimized for memory-intensive
# applications" (Aurora user guide, "Configuration requirements of an Amazon Aurora global
# database"): the burstable db.t* families are refused.
BURSTABLE_DB_CLASS = re.compile(r"^db\.t\d")


def check_global_database_class(instance_class: str) -> None:
    """A member of an Aurora global database runs on a memory-optimized class, never a burstable one."""
    if BURSTABLE_DB_CLASS.match(instance_class):
        raise DataRuleError(
            "instance_class",
            f"{instance_class} is burstable; an Aurora global database needs a memory-optimized class "
            "(e.g. db.r7g.large)",
        )


# --- ElastiCache -----------------------------------------------------------------------------


def check_redis(
    *,
    engine: str,
    engine_version: str | None,
    node_type: str,
    cluster_mode: bool,
    shards: int,
    replicas_per_shard: int,
    spell: Spell = same,
) -> None:
    """The node type, engine version and shard rules of one replication group."""
    if node_type not in ELASTICACHE_NODE_TYPES:
        families = sorted({known.rsplit(".", 1)[0] for known in ELASTICACHE_NODE_TYPES})
        raise DataRuleError(
            "node_type", f"{node_type!r} is not an ElastiCache node type; families: {', '.join(families)}"
        )
    versions = REDIS_ENGINE_VERSIONS.get(engine)
    if versions is None:
        raise DataRuleError("engine", f"{engine!r} is not one of {', '.join(REDIS_ENGINE_VERSIONS)}")
    if engine_version is not None and engine_version not in versions:
        raise DataRuleError("engine_version", f"{engine} offers {versions}, not {engine_version!r}")
    check_range("shards", shards)
    check_range("replicas_per_shard", replicas_per_shard)
    if shards > 1 and not cluster_mode:
        raise DataRuleError("shards", f"{shards} shards need {spell('cluster_mode')}: true")
    nodes = shards * (1 + replicas_per_shard)
    if nodes > REDIS_MAX_NODES:
        raise DataRuleError(
            "shards", f"{shards} shards x {1 + replicas_per_shard} nodes is {nodes}; at most {REDIS_MAX_NODES}"
        )


def check_global_datastore_node_type(node_type: str) -> None:
    """Only some node families can join a Global Datastore (ElastiCache, "Global datastores: prerequisites")."""
    if node_type.rsplit(".", 1)[0] not in GLOBAL_DATASTORE_FAMILIES:
        raise DataRuleError(
            "node_type", f"a Global Datastore needs one of {GLOBAL_DATASTORE_FAMILIES}, not {node_type}"
        )


def check_queue_snapshots(days: int) -> None:
    """A queue's data is its jobs: it keeps daily snapshots (its recovery point outside a Global Datastore)."""
    if days < 1:
        raise DataRuleError("snapshot_retention_days", "the queue keeps snapshots; use 1 or more days")

"""What an EC2 instance type name says about the machine.

`m7g.large`: family letter(s) `m`, generation `7`, attributes `g`. Graviton (arm64) types carry
`g` among the attributes (m7g, c7gn, r6gd, t4g, x2gd, im4gn, hpc7g); GPU families such as
g5 or g4dn start with `g` but are x86_64, which is why the attributes are read, not the name.
"""

from __future__ import annotations

import re
from typing import Literal

Architecture = Literal["x86_64", "arm64"]

_FAMILY = re.compile(r"^(?P<kind>[a-z]+)(?P<generation>\d+)(?P<attributes>[a-z]*)(-[a-z0-9]+)?\.")


def architecture(instance_type: str) -> Architecture:
    """The CPU architecture of an instance type (x86_64 when the name does not say arm64)."""
    if instance_type.startswith("a1."):
        return "arm64"  # the first Graviton generation predates the naming scheme
    match = _FAMILY.match(instance_type)
    if match and "g" in match.group("attributes"):
        return "arm64"
    return "x86_64"


def _sizes(families: tuple[str, ...], sizes: tuple[str, ...]) -> frozenset[str]:
    return frozenset(f"{family}.{size}" for family in families for size in sizes)


_GRAVITON_SIZES = ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")

# ElastiCache node types for Valkey and Redis OSS (current generations; data-tiering r6gd types are
# left out because they need data tiering on). Source: the ElastiCache "Supported node types" page.
ELASTICACHE_NODE_TYPES: frozenset[str] = (
    _sizes(("cache.t4g", "cache.t3"), ("micro", "small", "medium"))
    | _sizes(("cache.m7g", "cache.m6g", "cache.r7g", "cache.r6g", "cache.c7gn"), _GRAVITON_SIZES)
    | _sizes(("cache.m5", "cache.r5"), ("large", "xlarge", "2xlarge", "4xlarge", "12xlarge", "24xlarge"))
)

# Node families a Global Datastore accepts (no burstable t-types).
GLOBAL_DATASTORE_FAMILIES = ("cache.m5", "cache.m6g", "cache.m7g", "cache.r5", "cache.r6g", "cache.r7g")

# --- RDS and Aurora PostgreSQL DB instance classes, with their memory in GiB ---------------------
# Source: the RDS and Aurora "Supported DB engines for DB instance classes" pages (current
# generations only). Memory decides PostgreSQL's default max_connections, hence the alarms.

_DB_SIZES_VCPUS = {"large": 2, "xlarge": 4, "2xlarge": 8, "4xlarge": 16, "8xlarge": 32, "12xlarge": 48, "16xlarge": 64}
_DB_INTEL_SIZES_VCPUS = {**_DB_SIZES_VCPUS, "24xlarge": 96}
_BURSTABLE_MEMORY_GIB = {"micro": 1, "small": 2, "medium": 4, "large": 8, "xlarge": 16, "2xlarge": 32}


def _db_classes(families: tuple[str, ...], sizes_vcpus: dict[str, int], gib_per_vcpu: int) -> dict[str, float]:
    return {f"{family}.{size}": vcpus * gib_per_vcpu for family in families for size, vcpus in sizes_vcpus.items()}


_MEMORY_OPTIMIZED = {
    **_db_classes(("db.r6g", "db.r7g", "db.r8g"), _DB_SIZES_VCPUS, 8),
    **_db_classes(("db.r5", "db.r6i", "db.r7i"), _DB_INTEL_SIZES_VCPUS, 8),
}

RDS_POSTGRES_CLASS_MEMORY_GIB: dict[str, float] = {
    **{f"{family}.{size}": gib for family in ("db.t3", "db.t4g") for size, gib in _BURSTABLE_MEMORY_GIB.items()},
    **_db_classes(("db.m6g", "db.m7g", "db.m8g"), _DB_SIZES_VCPUS, 4),
    **_db_classes(("db.m5", "db.m6i", "db.m7i"), _DB_INTEL_SIZES_VCPUS, 4),
    **_MEMORY_OPTIMIZED,
}
"""RDS for PostgreSQL: burstable (t), general purpose (m) and memory optimized (r) classes."""

AURORA_POSTGRES_CLASS_MEMORY_GIB: dict[str, float] = {
    **{
        f"{family}.{size}": _BURSTABLE_MEMORY_GIB[size]
        for family in ("db.t3", "db.t4g")
        for size in ("medium", "large")
    },
    **_MEMORY_OPTIMIZED,
    **_db_classes(("db.x2g",), _DB_SIZES_VCPUS, 16),
}
"""Aurora PostgreSQL: no m classes and no burstable class below medium."""

# PostgreSQL's default max_connections on RDS and Aurora: LEAST(DBInstanceClassMemory/9531392, 5000).
_BYTES_PER_CONNECTION = 9531392
_MAX_DEFAULT_CONNECTIONS = 5000


def default_max_connections(memory_gib: float) -> int:
    """The default `max_connections` for a DB instance class with this much memory."""
    return min(int(memory_gib * 1024**3 // _BYTES_PER_CONNECTION), _MAX_DEFAULT_CONNECTIONS)


def db_class_families(classes: dict[str, float]) -> list[str]:
    """`db.r7g` and the like: for error messages that list what is offered."""
    return sorted({name.rsplit(".", 1)[0] for name in classes})

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

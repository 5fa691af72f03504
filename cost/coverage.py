"""Which prices the config admits, and which of them the table lacks.

A stack may name any region in `components.config.REGION_AZ_COUNTS`, any EC2 type in
`components.node_capacity.EC2_INSTANCE_TYPES`, any RDS or Aurora PostgreSQL class in
`components.instance_types` (Aurora in both storage configurations) and any ElastiCache node type
in `ELASTICACHE_NODE_TYPES` with either engine; the per-stack policy allowlists only narrow these.
Every stack also pays for the services below in each of its regions. `gaps()` is every admitted
(item, region) without a price: tests/cost/test_coverage.py lists the known ones explicitly, and a
stack that uses one gets a mandatory violation from the budget policy instead of a silent $0.
"""

from __future__ import annotations

from components.config import REGION_AZ_COUNTS
from components.instance_types import (
    AURORA_POSTGRES_CLASS_MEMORY_GIB,
    ELASTICACHE_NODE_TYPES,
    RDS_POSTGRES_CLASS_MEMORY_GIB,
)
from components.node_capacity import EC2_INSTANCE_TYPES
from cost.prices import price

# Prices every stack needs in each of its regions, whatever its sizes.
SERVICES = (
    "eks.cluster",
    "eks.cluster.extended-support",
    "ebs.gp3",
    "vpc.nat-gateway",
    "vpc.nat-gateway.data",
    "vpc.public-ipv4",
    "vpc.interface-endpoint",
    "elb.nlb",
    "elb.nlb.lcu",
    "transfer.inter-region",
    "transfer.internet",
    "transfer.cross-az",
    "rds.storage.gp3",
    "aurora.storage",
    "aurora-iopt.storage",
    "aurora.io",
    "aurora.replicated-write-io",
    "rds.proxy",
    "ecr.storage",
    "kms.key",
    "kms.key.rotation",
    "secretsmanager.secret",
    "logs.ingestion",
    "logs.storage",
    "cloudwatch.alarm",
    "route53.zone",
    "route53.health-check",
    "route53.health-check.feature",
    "route53.latency-queries",
)


def regions() -> tuple[str, ...]:
    return tuple(sorted(REGION_AZ_COUNTS))


def admitted_items() -> dict[str, tuple[str, ...]]:
    """Price-table items the config admits, by kind."""
    return {
        "service": SERVICES,
        "ec2": tuple(f"ec2.{name}" for name in sorted(EC2_INSTANCE_TYPES)),
        "rds": tuple(f"rds.postgres.{name}" for name in sorted(RDS_POSTGRES_CLASS_MEMORY_GIB)),
        "aurora": tuple(
            f"{storage}.postgres.{name}"
            for storage in ("aurora", "aurora-iopt")
            for name in sorted(AURORA_POSTGRES_CLASS_MEMORY_GIB)
        ),
        "elasticache": tuple(
            f"elasticache.{engine}.{name}" for engine in ("valkey", "redis") for name in sorted(ELASTICACHE_NODE_TYPES)
        ),
    }


def gaps() -> set[tuple[str, str]]:
    """Every admitted (item, region) the table has no price for."""
    return {
        (item, region)
        for items in admitted_items().values()
        for item in items
        for region in regions()
        if price(item, region) is None
    }


def priced_regions() -> tuple[str, ...]:
    """Regions where every service of SERVICES has a price."""
    return tuple(region for region in regions() if all(price(item, region) is not None for item in SERVICES))

"""What the config and the policy allowlists admit, walked value by value, and its prices.

The admitted set is narrowed to what is priced (docs/cost.md, "What is admitted"): a stack's
regions come from `cost.prices.ADMITTED_REGIONS`, and the config refuses an instance type, DB
class or cache node type without a price in each of them; the policy allowlists refuse the same.
This module asks the real validators and rules (not a copy of their logic) which values of the
fact tables they admit, so a gate that stops checking prices shows up as a gap. `gaps()` is every
admitted (item, region) without a price; tests/cost/test_coverage.py requires it to be empty.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from eksplatform.components.instance_types import (
    AURORA_POSTGRES_CLASS_MEMORY_GIB,
    ELASTICACHE_NODE_TYPES,
    RDS_POSTGRES_CLASS_MEMORY_GIB,
)
from eksplatform.components.node_capacity import EC2_INSTANCE_TYPES
from eksplatform.cost.prices import ADMITTED_REGIONS, price
from eksplatform.policies.rule import Resource, Rule
from eksplatform.policies.rules.capacity import CAPACITY_RULES
from eksplatform.stack.config import NodeGroupConfig, PostgresConfig, RedisClusterConfig

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
    return ADMITTED_REGIONS


def _valid(model: Any, data: Mapping[str, Any]) -> bool:
    try:
        model.model_validate(data)
    except ValidationError:
        return False
    return True


def config_admitted() -> set[str]:
    """Price items of every fact-table value the config's own models accept."""
    admitted = {
        f"ec2.{name}"
        for name in EC2_INSTANCE_TYPES
        if _valid(NodeGroupConfig, {"instanceTypes": [name], "minSize": 1, "desiredSize": 1, "maxSize": 1})
    }
    for engine, classes in (("rds", RDS_POSTGRES_CLASS_MEMORY_GIB), ("aurora", AURORA_POSTGRES_CLASS_MEMORY_GIB)):
        for name in classes:
            if _valid(PostgresConfig, {"engine": engine, "instanceClass": name}):
                # Aurora clusters are priced as Standard or I/O-Optimized (eksplatform/cost/estimate.py).
                kinds = ("aurora", "aurora-iopt") if engine == "aurora" else ("rds",)
                admitted |= {f"{kind}.postgres.{name}" for kind in kinds}
    for engine in ("valkey", "redis"):
        for name in ELASTICACHE_NODE_TYPES:
            if _valid(RedisClusterConfig, {"engine": engine, "nodeType": name}):
                admitted.add(f"elasticache.{engine}.{name}")
    return admitted


def _rule(name: str) -> Rule:
    return next(rule for rule in CAPACITY_RULES if isinstance(rule, Rule) and rule.name == name)


def _passes(rule: Rule, resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any]) -> bool:
    resource = Resource(type=resource_type, name="probe", urn=f"urn:pulumi:s::p::{resource_type}::probe", props=props)
    return not rule.violations(resource, config)


def policy_admitted(config: Mapping[str, Mapping[str, Any]]) -> set[str]:
    """Price items of every fact-table value the allowlist rules pass under one stack's policy
    config (policies/config/<stack>.json; `{}` for the rules' defaults)."""
    ec2, classes, nodes = (
        _rule("limits-ec2-instance-type-allowed"),
        _rule("limits-rds-instance-class-allowed"),
        _rule("limits-elasticache-node-type-allowed"),
    )
    admitted = {
        f"ec2.{name}"
        for name in EC2_INSTANCE_TYPES
        if _passes(ec2, "aws:eks/nodeGroup:NodeGroup", {"instanceTypes": [name]}, config.get(ec2.name, {}))
    }
    for resource_type, kinds, known in (
        ("aws:rds/instance:Instance", ("rds",), RDS_POSTGRES_CLASS_MEMORY_GIB),
        ("aws:rds/clusterInstance:ClusterInstance", ("aurora", "aurora-iopt"), AURORA_POSTGRES_CLASS_MEMORY_GIB),
    ):
        for name in known:
            if _passes(classes, resource_type, {"instanceClass": name}, config.get(classes.name, {})):
                admitted |= {f"{kind}.postgres.{name}" for kind in kinds}
    for engine in ("valkey", "redis"):
        for name in ELASTICACHE_NODE_TYPES:
            props = {"nodeType": name, "engine": engine}
            if _passes(nodes, "aws:elasticache/replicationGroup:ReplicationGroup", props, config.get(nodes.name, {})):
                admitted.add(f"elasticache.{engine}.{name}")
    return admitted


def gaps(items: Iterable[str], in_regions: Iterable[str] = ADMITTED_REGIONS) -> set[tuple[str, str]]:
    """Every (item, region) of these without a price."""
    wanted = tuple(in_regions)
    return {(item, region) for item in items for region in wanted if price(item, region) is None}

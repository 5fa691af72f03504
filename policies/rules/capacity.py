"""AWS limits and tags: sizes from a per-stack allowlist, caps on growth, and the required tags.

Also the capacity check (eksplatform/capacity/fit.py) as two stack policies: the pods a stack must run fit its
node groups at their minimum and during a rolling update (mandatory), and every HPA's maximum
fits the groups at their maximum (advisory); the advisory one also names each workload or group
the check did not count (unknown during preview, a chart whose pods it does not know), so nothing
passes silently. Messages name config keys as config errors do (`regions[0].cluster...`), from
the stack's own `platform:regions` that the engine sends with ConfigureStack.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from eksplatform.capacity.fit import MANDATORY_SCENARIOS, CapacityReport, check, region_indexes, uncounted, violations
from eksplatform.capacity.workloads import Item
from eksplatform.components.instance_types import (
    AURORA_POSTGRES_CLASS_MEMORY_GIB,
    ELASTICACHE_NODE_TYPES,
    RDS_POSTGRES_CLASS_MEMORY_GIB,
)
from eksplatform.components.node_capacity import EC2_INSTANCE_TYPES, unknown_instance_type
from eksplatform.cost.estimate import provider_region
from eksplatform.cost.prices import HOW_TO_ADD_A_PRICE, priced_everywhere
from eksplatform.policies.rule import Resource, Rule, StackRule, mapping, schema, sequence, tags_of
from eksplatform.policies.stack_snapshot import per_snapshot

# The allowlists admit only what the price table prices (docs/cost.md, "What is admitted"): an
# allowed family admits its priced sizes, an allowed class or node type only its priced engines.
DEFAULT_EC2_FAMILIES = sorted({name.split(".")[0] for name in EC2_INSTANCE_TYPES if priced_everywhere(f"ec2.{name}")})
DEFAULT_DB_CLASSES = sorted(
    name
    for name in {*RDS_POSTGRES_CLASS_MEMORY_GIB, *AURORA_POSTGRES_CLASS_MEMORY_GIB}
    if priced_everywhere(f"rds.postgres.{name}") or priced_everywhere(f"aurora.postgres.{name}")
)
DEFAULT_NODE_TYPES = sorted(
    name
    for name in ELASTICACHE_NODE_TYPES
    if priced_everywhere(f"elasticache.valkey.{name}") or priced_everywhere(f"elasticache.redis.{name}")
)


def price_item(resource: Resource, value: str) -> str | None:
    """The price-table item of a resource's class, node type or instance type; None if not sized here."""
    if resource.type == "aws:rds/instance:Instance":
        return f"rds.postgres.{value}"
    if resource.type == "aws:rds/clusterInstance:ClusterInstance":
        return f"aurora.postgres.{value}"
    if resource.type.startswith("aws:elasticache/"):
        engine = resource.props.get("engine")
        return f"elasticache.{engine if isinstance(engine, str) else 'redis'}.{value}"
    if resource.type in (
        "aws:eks/nodeGroup:NodeGroup",
        "aws:ec2/launchTemplate:LaunchTemplate",
        "aws:ec2/instance:Instance",
    ):
        return f"ec2.{value}"
    return None


def _unpriced(resource: Resource, field: str, value: str) -> Iterator[str]:
    item = price_item(resource, value)
    if item is not None and not priced_everywhere(item):
        yield f"{field} {value} has no price ({item}), so the budget cannot count it; {HOW_TO_ADD_A_PRICE}"


def _allowed(field: str, config_key: str) -> Any:
    def check(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
        value = resource.props.get(field)
        allowed = [str(item) for item in sequence(config[config_key])]
        if isinstance(value, str) and value not in allowed:
            yield f"{field} {value} is not allowed in this stack; use one of {', '.join(allowed)}"
        elif isinstance(value, str):
            yield from _unpriced(resource, field, value)

    return check


def _ec2_types(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    families = [str(family) for family in sequence(config["allowedFamilies"])]
    found = sequence(resource.props.get("instanceTypes")) or [resource.props.get("instanceType")]
    for instance_type in found:
        if not isinstance(instance_type, str):
            continue
        if instance_type.split(".")[0] not in families:
            yield f"instance type {instance_type} is not allowed in this stack; families: {', '.join(families)}"
        elif resource.type == "aws:eks/nodeGroup:NodeGroup" and instance_type not in EC2_INSTANCE_TYPES:
            # The capacity check cannot size a node it does not know (components/node_capacity.py).
            yield unknown_instance_type(instance_type)
        else:
            yield from _unpriced(resource, "instance type", instance_type)


def _node_group_max(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    maximum = mapping(resource.props.get("scalingConfig")).get("maxSize")
    if isinstance(maximum, (int, float)) and maximum > config["maxNodes"]:
        yield f"scalingConfig.maxSize {int(maximum)} is above the cap {config['maxNodes']}"


def _storage(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    for field in ("allocatedStorage", "maxAllocatedStorage"):
        value = resource.props.get(field)
        if isinstance(value, (int, float)) and value > config["maxStorageGib"]:
            yield f"{field} {int(value)} GiB is above the cap {config['maxStorageGib']} GiB"


def _required_tags(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    taggable = "tags" in resource.props or resource.type.split(":")[-1] in sequence(config["taggableTypes"])
    if not resource.type.startswith("aws:") or not taggable:
        return
    tags = tags_of(resource)
    missing = [key for key in sequence(config["requiredTags"]) if not tags.get(key)]
    if missing:
        yield f"tag {', '.join(missing)} (set them as the provider's default tags so every resource gets them)"


CAPACITY_RULES = (
    Rule(
        name="limits-rds-instance-class-allowed",
        description="RDS and Aurora instance classes come from the stack's allowlist.",
        severity="medium",
        enforcement="mandatory",
        check=_allowed("instanceClass", "allowedInstanceClasses"),
        resource_types=("aws:rds/instance:Instance", "aws:rds/clusterInstance:ClusterInstance"),
        config_schema={
            "allowedInstanceClasses": schema(
                "array",
                DEFAULT_DB_CLASSES,
                "instance classes this stack may run",
                items={"type": "string"},
            )
        },
    ),
    Rule(
        name="limits-elasticache-node-type-allowed",
        description="ElastiCache node types come from the stack's allowlist.",
        severity="medium",
        enforcement="mandatory",
        check=_allowed("nodeType", "allowedNodeTypes"),
        # Stand-alone cache clusters size their nodes with the same field (#22: sibling types).
        resource_types=("aws:elasticache/replicationGroup:ReplicationGroup", "aws:elasticache/cluster:Cluster"),
        config_schema={
            "allowedNodeTypes": schema(
                "array", DEFAULT_NODE_TYPES, "node types this stack may run", items={"type": "string"}
            )
        },
    ),
    Rule(
        name="limits-ec2-instance-type-allowed",
        description="EC2 instance types (node groups, launch templates, instances) come from allowed families.",
        severity="medium",
        enforcement="mandatory",
        check=_ec2_types,
        resource_types=(
            "aws:eks/nodeGroup:NodeGroup",
            "aws:ec2/launchTemplate:LaunchTemplate",
            "aws:ec2/instance:Instance",
        ),
        config_schema={
            "allowedFamilies": schema(
                "array", DEFAULT_EC2_FAMILIES, "instance families this stack may run", items={"type": "string"}
            )
        },
    ),
    Rule(
        name="limits-eks-node-group-max-size",
        description="EKS node groups cannot grow past the cap.",
        severity="medium",
        enforcement="mandatory",
        check=_node_group_max,
        resource_types=("aws:eks/nodeGroup:NodeGroup",),
        config_schema={"maxNodes": schema("integer", 50, "largest scalingConfig.maxSize")},
    ),
    Rule(
        name="limits-rds-storage-cap",
        description="Database storage, and its autoscaling ceiling, stay within the cap.",
        severity="medium",
        enforcement="mandatory",
        check=_storage,
        resource_types=("aws:rds/instance:Instance",),
        config_schema={"maxStorageGib": schema("integer", 1000, "largest allocated or autoscaled storage")},
    ),
    Rule(
        name="tags-aws-required",
        description="Every taggable AWS resource carries environment, owner, cost-center and managed-by "
        "(the provider's default tags count).",
        severity="low",
        enforcement="mandatory",
        check=_required_tags,
        config_schema={
            "requiredTags": schema(
                "array",
                ["environment", "owner", "cost-center", "managed-by"],
                "tags every resource needs",
                items={"type": "string"},
            ),
            "taggableTypes": schema(
                "array",
                ["Vpc", "Subnet", "Instance", "Cluster", "NodeGroup", "Key", "LogGroup", "Secret", "Topic", "Bucket"],
                "resource classes that take tags even when a program sets none",
                items={"type": "string"},
            ),
        },
    ),
)


# --- capacity: do the pods fit? ----------------------------------------------------------------


def capacity_items(resources: Sequence[Resource]) -> list[Item]:
    """The resources a stack policy receives, as the capacity check reads them."""
    return [
        Item(
            urn=resource.urn,
            type=resource.type,
            props=resource.props,
            parent=resource.parent,
            provider=resource.provider,
            region=provider_region(resource.provider_props),
        )
        for resource in resources
    ]


def _capacity_report(resources: Sequence[Resource]) -> CapacityReport:
    return check(capacity_items(resources))


# Both capacity policies read the same report of a request: checked once (policies/stack_snapshot.py).
_request_report = per_snapshot(_capacity_report)


STACK_REGIONS = "stackRegions"
"""The knob the stack's `platform:regions` arrives in (not a policy setting: see stack_config_keys)."""


def _pods_fit(resources: Sequence[Resource], config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    indexes = region_indexes(config.get(STACK_REGIONS))
    yield from violations(_request_report(resources), MANDATORY_SCENARIOS, indexes)


def _maximum_fits(resources: Sequence[Resource], config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    report = _request_report(resources)
    yield from violations(report, ("maximum",), region_indexes(config.get(STACK_REGIONS)))
    yield from uncounted(report)


CAPACITY_STACK_RULES = (
    StackRule(
        name="limits-eks-pods-fit-node-groups",
        description="The pods each cluster must run (Deployments at their minimum, add-ons, DaemonSets on every "
        "node) fit its node groups at their minSize, also during a rolling update's surge.",
        severity="high",
        enforcement="mandatory",
        check=_pods_fit,
        stack_config_keys={STACK_REGIONS: "platform:regions"},
        remediation="Run `eksplatform-preflight <stack>` for the capacity table per node group, then raise the "
        "group's minSize or instance type, or lower the services' minReplicas or requests.",
    ),
    StackRule(
        name="limits-eks-hpa-max-fits-node-groups",
        description="Every Deployment at its HPA maximum fits the node groups at their maxSize, so autoscaling "
        "can reach what the config promises; and each workload or node group the capacity check could not count.",
        severity="medium",
        enforcement="advisory",
        check=_maximum_fits,
        stack_config_keys={STACK_REGIONS: "platform:regions"},
        remediation="Raise the group's maxSize or instance type, or lower the services' maxReplicas; for what was "
        "not counted, check its capacity by hand or make its sizing known before the preview.",
    ),
)

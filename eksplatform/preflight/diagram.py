"""A Mermaid diagram of a stack: regions, components, their main resources and their links.

Components (ComponentResources) are the boxes, grouped by the Region they belong to; each box
lists its main resources (what a reader would look for: the VPC, the EKS cluster, the database,
...). An arrow A --> B means something in A depends on something in B. GitHub renders the
result in Markdown (a ```mermaid block) or as a `.mmd` file.
"""

from __future__ import annotations

import re
from collections import Counter

from eksplatform.preflight.export import State, StateResource

# The resources worth naming inside a component's box.
MAIN_TYPES = {
    "aws:ec2/vpc:Vpc": "VPC",
    "aws:ec2/natGateway:NatGateway": "NAT gateway",
    "aws:eks/cluster:Cluster": "EKS cluster",
    "aws:eks/nodeGroup:NodeGroup": "node group",
    "aws:rds/instance:Instance": "RDS instance",
    "aws:rds/cluster:Cluster": "Aurora cluster",
    "aws:rds/clusterInstance:ClusterInstance": "Aurora instance",
    "aws:rds/globalCluster:GlobalCluster": "global database",
    "aws:rds/proxy:Proxy": "RDS Proxy",
    "aws:elasticache/replicationGroup:ReplicationGroup": "replication group",
    "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup": "Global Datastore",
    "kubernetes:apps/v1:Deployment": "deployment",
    "kubernetes:helm.sh/v3:Release": "Helm release",
    "kubernetes:core/v1:Service": "service",
    "aws:route53/zone:Zone": "hosted zone",
    "aws:route53/healthCheck:HealthCheck": "health check",
    "aws:route53/record:Record": "DNS record",
}
COMPONENT_PREFIX = "platform:index:"
SKIPPED_COMPONENTS = {"platform:index:Platform", "platform:index:Region"}


def _node_id(urn: str) -> str:
    return "n" + re.sub(r"[^A-Za-z0-9]", "_", urn.rsplit("::", 1)[-1])


def _label(text: str) -> str:
    return text.replace('"', "'")


def render_mermaid(state: State) -> str:
    by_urn = {resource.urn: resource for resource in state.resources}

    def owner(resource: StateResource) -> StateResource | None:
        """The nearest component (not Platform or Region) a resource belongs to."""
        node: StateResource | None = resource
        while node is not None:
            if node.type.startswith(COMPONENT_PREFIX) and node.type not in SKIPPED_COMPONENTS:
                return node
            node = by_urn.get(node.parent)
        return None

    def region_of(resource: StateResource) -> str:
        node: StateResource | None = resource
        while node is not None:
            if node.type == "platform:index:Region":
                return node.name
            node = by_urn.get(node.parent)
        return ""

    components = [
        r for r in state.resources if r.type.startswith(COMPONENT_PREFIX) and r.type not in SKIPPED_COMPONENTS
    ]
    contents: dict[str, Counter[str]] = {component.urn: Counter() for component in components}
    edges: set[tuple[str, str]] = set()
    for resource in state.resources:
        home = owner(resource)
        if home is None:
            continue
        if resource.type in MAIN_TYPES:
            contents[home.urn][MAIN_TYPES[resource.type]] += 1
        # A resource depends on what it names, and on the component that made its provider
        # (the Kubernetes objects run on the Cluster's provider).
        for dependency in [*resource.dependencies, resource.provider_urn]:
            target = by_urn.get(dependency)
            other = owner(target) if target is not None else None
            if other is not None and other.urn != home.urn:
                edges.add((home.urn, other.urn))

    lines = ["graph LR"]
    regions: dict[str, list[StateResource]] = {}
    for component in components:
        regions.setdefault(region_of(component), []).append(component)
    for region, members in regions.items():
        indent = "    "
        if region:
            lines.append(f'    subgraph {_node_id("region-" + region)}["{_label(region)}"]')
            indent = "        "
        for component in members:
            kind = component.type.removeprefix(COMPONENT_PREFIX)
            parts = [
                f"{count} {name}{'s' if count > 1 else ''}" for name, count in sorted(contents[component.urn].items())
            ]
            label = f"<b>{kind}</b> {component.name}" + ("<br/>" + ", ".join(parts) if parts else "")
            lines.append(f'{indent}{_node_id(component.urn)}["{_label(label)}"]')
        if region:
            lines.append("    end")
    for from_urn, to_urn in sorted(edges):
        lines.append(f"    {_node_id(from_urn)} --> {_node_id(to_urn)}")
    return "\n".join(lines) + "\n"

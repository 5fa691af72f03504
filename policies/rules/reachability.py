"""The deployer reaches every cluster: the reachability check (policies/reachability.py)
as a mandatory stack policy, so `pulumi preview --policy-pack` refuses a stack whose `pulumi up`
could create a cluster and then not reach it.

The deployer's network and runner role come from the stack's own `platform:deployer` (the
bootstrap's outputs), which the engine sends with ConfigureStack.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from eksplatform.policies.reachability import Node, check
from eksplatform.policies.rule import Resource, StackRule, mapping

STACK_DEPLOYER = "stackDeployer"
"""The knob the stack's `platform:deployer` arrives in (not a policy setting: see stack_config_keys)."""
STACK_REGIONS = "stackRegions"
"""The stack's `platform:regions`: present whenever the engine sent the stack's config."""


def nodes(resources: Sequence[Resource]) -> list[Node]:
    """The resources a stack policy receives, as the reachability check reads them."""
    return [
        Node(
            urn=resource.urn,
            type=resource.type,
            props=resource.props,
            dependencies=tuple(resource.dependencies),
            property_dependencies=resource.property_dependencies,
        )
        for resource in resources
    ]


def _reachable(resources: Sequence[Resource], config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    if STACK_DEPLOYER not in config and STACK_REGIONS not in config:
        # No stack config at all (an export analyzed alone, `preflight --state`): nothing to check
        # the path against. The engine always sends a stack's config, and preflight's report still
        # proves the path from the export's DeployerConnection.
        return
    # A stack without platform:deployer fails every cluster, naming the missing deployer.
    deployer = mapping(config.get(STACK_DEPLOYER)) or {}
    for path in check(nodes(resources), deployer):
        if path.missing is not None:
            cluster = path.cluster or path.provider_name
            yield (
                f"the deployer cannot reach {cluster} through {path.provider_name}; first missing hop: {path.missing}",
                path.provider,
            )


REACHABILITY_STACK_RULES = (
    StackRule(
        name="access-deployer-reaches-clusters",
        description="Every Kubernetes provider's cluster is reachable from the deployer network: peering accepted, "
        "routes both ways, 443 from the deployer on the cluster security group, an access entry with cluster-admin "
        "for the runner's role, and the provider depending on all of them.",
        severity="high",
        enforcement="mandatory",
        check=_reachable,
        stack_config_keys={STACK_DEPLOYER: "platform:deployer", STACK_REGIONS: "platform:regions"},
        # The endpoint stays private (FSBP EKS.1) and yet reachable from where deployments run.
        reference="AWS FSBP EKS.1",
        remediation="Set platform:deployer to the bootstrap's outputs (docs/deploying.md); run `eksplatform-preflight "
        "<stack>` for the path hop by hop.",
    ),
)

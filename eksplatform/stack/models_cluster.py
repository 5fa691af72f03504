"""The stack file's EKS settings: one region's cluster and its node groups."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from eksplatform.components import eks_rules
from eksplatform.components.data_rules import DataRuleError
from eksplatform.components.facts import SUPPORTED_KUBERNETES_VERSIONS, EksAddon
from eksplatform.cost.prices import priced_everywhere
from eksplatform.stack.errors import KeyedValueError
from eksplatform.stack.models_base import (
    Cidr,
    Ec2InstanceType,
    NodeGroupName,
    NodeLabelMap,
    StackModel,
    check_order,
    log_retention,
    unpriced,
)
from eksplatform.stack.region_rules import check_platform_node_groups

# --- cluster -------------------------------------------------------------------------------

# Platform caps, stricter than EKS's (which ClusterArgs checks, components/eks_rules.py): a group
# of at most 1,000 nodes (the capacity plan and the subnets' addresses are sized for it), and an
# AMI roll that takes at most half a group's nodes at once (above, most capacity goes at once).
PLATFORM_MAX_GROUP_NODES = 1000
PLATFORM_MAX_UNAVAILABLE_PERCENT = 50


class NodeGroupConfig(StackModel):
    """One EKS managed node group; its name is its key in `nodeGroups`."""

    instance_types: list[Ec2InstanceType] = Field(
        min_length=1,
        description="e.g. [m7i.large]; only types with a price in every admitted region "
        "(docs/cost.md, 'What is admitted'; add one with `python -m eksplatform.cost.offer_file`)",
    )
    capacity_type: Literal["ON_DEMAND", "SPOT"] = Field(
        default="ON_DEMAND", description="ON_DEMAND, or SPOT for interruptible groups (never `system`)"
    )
    min_size: int = Field(
        ge=0, le=PLATFORM_MAX_GROUP_NODES, description="fewest nodes; the cluster-autoscaler never goes below"
    )
    desired_size: int = Field(
        ge=0,
        le=PLATFORM_MAX_GROUP_NODES,
        description="nodes at creation; afterwards the cluster-autoscaler owns the count",
    )
    max_size: int = Field(ge=1, le=PLATFORM_MAX_GROUP_NODES, description="most nodes the cluster-autoscaler may add")
    disk_size_gib: int = Field(
        default=50, ge=eks_rules.MIN_DISK_GIB, le=eks_rules.MAX_DISK_GIB, description="encrypted gp3 root volume"
    )
    labels: NodeLabelMap = Field(
        default_factory=dict, description="extra Kubernetes node labels (keys and values of 1-63 characters)"
    )
    max_unavailable_percentage: int = Field(
        default=25,
        ge=eks_rules.MIN_UNAVAILABLE_PERCENT,
        le=PLATFORM_MAX_UNAVAILABLE_PERCENT,
        description="share of nodes a rolling update may take down at once",
    )

    @field_validator("instance_types")
    @classmethod
    def _one_architecture(cls, types: list[str]) -> list[str]:
        # EKS and capacity rules (components/eks_rules.py, shared with ClusterArgs), then the platform's own:
        # the budget gate needs a price for every node (docs/cost.md, "What is admitted").
        problem = eks_rules.instance_types_problem(types)
        if problem is not None:
            index, message = problem
            if index is None:
                raise ValueError(message)
            raise KeyedValueError(f"[{index}]", message)
        for index, instance_type in enumerate(types):
            if not priced_everywhere(f"ec2.{instance_type}"):
                raise KeyedValueError(f"[{index}]", unpriced(instance_type))
        return types

    @model_validator(mode="after")
    def _sizes_ordered(self) -> NodeGroupConfig:
        check_order(
            [
                ("minSize", self.min_size, "maxSize", self.max_size),
                ("minSize", self.min_size, "desiredSize", self.desired_size),
                ("desiredSize", self.desired_size, "maxSize", self.max_size),
            ]
        )
        return self


class ClusterConfig(StackModel):
    """One region's EKS cluster."""

    kubernetes_version: str = Field(
        description=f"one of {', '.join(SUPPORTED_KUBERNETES_VERSIONS)}; a version past standard support needs "
        "`supportType: EXTENDED`"
    )
    endpoint_public_access: bool = Field(default=False, description="off by default; needs publicAccessCidrs when on")
    public_access_cidrs: list[Cidr] = Field(
        default_factory=list, description="public API endpoint allowlist (never 0.0.0.0/0; no public endpoint in prod)"
    )
    admin_role_arn: str | None = Field(
        default=None,
        pattern=eks_rules.ROLE_ARN.pattern,
        description="IAM role given cluster-admin through an EKS access entry",
    )
    log_retention_days: int = Field(default=90, description="control-plane log retention")
    node_groups: dict[NodeGroupName, NodeGroupConfig] = Field(
        description="managed node groups by name; `system` and `sandbox` are required"
    )
    addon_versions: dict[EksAddon, Annotated[str, StringConstraints(pattern=eks_rules.ADDON_VERSION.pattern)]] = Field(
        description="the version of every EKS add-on, e.g. {vpc-cni: v1.20.4-eksbuild.2}; list the "
        "versions for a Kubernetes version with `aws eks describe-addon-versions --kubernetes-version "
        "<v> --addon-name <name>` (docs/upgrades.md)",
    )
    support_type: Literal["STANDARD", "EXTENDED"] = Field(
        default="STANDARD",
        description="STANDARD: EKS upgrades the control plane when standard support ends; EXTENDED: "
        "12 more months on the version at the extended-support price",
    )

    @field_validator("kubernetes_version", mode="before")
    @classmethod
    def _version(cls, version: Any) -> Any:
        if isinstance(version, float):
            # YAML reads an unquoted 1.30 as the number 1.3.
            raise ValueError(f"{version!r} is a number; write the version as text in quotes, e.g. '1.30' or '1.34'")
        text = str(version) if isinstance(version, (int, str)) else version
        if isinstance(text, str) and (problem := eks_rules.unsupported_version(text)) is not None:
            raise ValueError(problem)
        return text

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, days: int) -> int:
        return log_retention(days)

    @field_validator("node_groups")
    @classmethod
    def _required_groups(cls, groups: dict[str, NodeGroupConfig]) -> dict[str, NodeGroupConfig]:
        try:
            check_platform_node_groups(groups)  # the names are the kinds (eksplatform/stack/cluster_args.py)
        except DataRuleError as violation:
            raise ValueError(violation.message) from None
        if groups["system"].capacity_type != "ON_DEMAND":
            # Spot reclaims would take CoreDNS and the add-ons' controllers down with them.
            raise KeyedValueError("system.capacityType", "the system group runs cluster add-ons; use ON_DEMAND")
        return groups

    @model_validator(mode="after")
    def _upgrade_on_our_calendar(self) -> ClusterConfig:
        ended = eks_rules.standard_support_ended(
            self.kubernetes_version, self.support_type == "EXTENDED", support_type_name="supportType"
        )
        if ended is not None:
            raise KeyedValueError("kubernetesVersion", ended)
        return self

    @model_validator(mode="after")
    def _addons_pinned(self) -> ClusterConfig:
        problem = eks_rules.addon_versions_problem(
            {str(addon): version for addon, version in self.addon_versions.items()}, self.kubernetes_version
        )
        if problem is not None:
            addon, message = problem
            raise KeyedValueError(f"addonVersions.{addon}" if addon else "addonVersions", message)
        return self

    @model_validator(mode="after")
    def _public_endpoint(self) -> ClusterConfig:
        # The EKS rules are ClusterArgs' own (eks_rules.public_access_problem).
        problem = eks_rules.public_access_problem(
            self.endpoint_public_access, self.public_access_cidrs, enabled_name="endpointPublicAccess"
        )
        if problem is not None:
            index, message = problem
            raise KeyedValueError("publicAccessCidrs" if index is None else f"publicAccessCidrs[{index}]", message)
        return self

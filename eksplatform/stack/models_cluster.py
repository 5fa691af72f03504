"""The stack file's EKS settings: one region's cluster and its node groups."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from eksplatform.components.facts import (
    EKS_ADDONS,
    END_OF_STANDARD_SUPPORT,
    SUPPORTED_KUBERNETES_VERSIONS,
    EksAddon,
    in_standard_support,
)
from eksplatform.components.instance_types import architecture
from eksplatform.components.node_capacity import EC2_INSTANCE_TYPES, unknown_instance_type
from eksplatform.cost.prices import priced_everywhere
from eksplatform.stack.errors import KeyedValueError
from eksplatform.stack.models_base import (
    Ec2InstanceType,
    LabelMap,
    NodeGroupName,
    StackModel,
    check_order,
    log_retention,
    unpriced,
)

# --- cluster -------------------------------------------------------------------------------


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
    min_size: int = Field(ge=0, le=1000, description="fewest nodes; the cluster-autoscaler never goes below")
    desired_size: int = Field(
        ge=0, le=1000, description="nodes at creation; afterwards the cluster-autoscaler owns the count"
    )
    max_size: int = Field(ge=1, le=1000, description="most nodes the cluster-autoscaler may add")
    disk_size_gib: int = Field(default=50, ge=20, le=16384, description="encrypted gp3 root volume")
    labels: LabelMap = Field(default_factory=dict, description="extra Kubernetes node labels")
    max_unavailable_percentage: int = Field(
        default=25, ge=1, le=50, description="share of nodes a rolling update may take down at once"
    )

    @field_validator("instance_types")
    @classmethod
    def _one_architecture(cls, types: list[str]) -> list[str]:
        # The capacity check needs each type's vCPUs, memory and max pods (components/node_capacity.py).
        for index, instance_type in enumerate(types):
            if instance_type not in EC2_INSTANCE_TYPES:
                raise KeyedValueError(f"[{index}]", unknown_instance_type(instance_type))
            # The budget gate needs a price for every node (docs/cost.md, "What is admitted").
            if not priced_everywhere(f"ec2.{instance_type}"):
                raise KeyedValueError(f"[{index}]", unpriced(instance_type))
        # One node group runs one AMI, so its instance types must share a CPU architecture.
        kinds = {architecture(instance_type): instance_type for instance_type in types}
        if len(kinds) > 1:
            raise ValueError(
                f"mixes arm64 ({kinds['arm64']}) and x86_64 ({kinds['x86_64']}) types; one group runs one AMI"
            )
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
    public_access_cidrs: list[ipaddress.IPv4Network] = Field(
        default_factory=list, description="public API endpoint allowlist (never 0.0.0.0/0; no public endpoint in prod)"
    )
    admin_role_arn: str | None = Field(
        default=None,
        pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$",
        description="IAM role given cluster-admin through an EKS access entry",
    )
    log_retention_days: int = Field(default=90, description="control-plane log retention")
    node_groups: dict[NodeGroupName, NodeGroupConfig] = Field(
        description="managed node groups by name; `system` and `sandbox` are required"
    )
    addon_versions: dict[EksAddon, Annotated[str, StringConstraints(pattern=r"^v\d+\.\d+\.\d+-eksbuild\.\d+$")]] = (
        Field(
            description="the version of every EKS add-on, e.g. {vpc-cni: v1.20.4-eksbuild.2}; list the "
            "versions for a Kubernetes version with `aws eks describe-addon-versions --kubernetes-version "
            "<v> --addon-name <name>` (docs/upgrades.md)",
        )
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
        if text not in SUPPORTED_KUBERNETES_VERSIONS:
            raise ValueError(f"{version!r} is not a supported EKS version; use one of {SUPPORTED_KUBERNETES_VERSIONS}")
        return text

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, days: int) -> int:
        return log_retention(days)

    @field_validator("node_groups")
    @classmethod
    def _required_groups(cls, groups: dict[str, NodeGroupConfig]) -> dict[str, NodeGroupConfig]:
        missing = sorted({"system", "sandbox"} - set(groups))
        if missing:
            raise ValueError(f"missing node group(s) {missing}: the platform needs `system` and `sandbox`")
        if groups["system"].capacity_type != "ON_DEMAND":
            # Spot reclaims would take CoreDNS and the add-ons' controllers down with them.
            raise KeyedValueError("system.capacityType", "the system group runs cluster add-ons; use ON_DEMAND")
        return groups

    @model_validator(mode="after")
    def _upgrade_on_our_calendar(self) -> ClusterConfig:
        if self.support_type == "STANDARD" and not in_standard_support(self.kubernetes_version):
            raise KeyedValueError(
                "kubernetesVersion",
                f"standard support for {self.kubernetes_version} ended on "
                f"{END_OF_STANDARD_SUPPORT[self.kubernetes_version]}: with supportType STANDARD, EKS would upgrade "
                "the control plane on its own and leave the nodes and add-ons behind; upgrade (docs/upgrades.md) "
                "or set supportType: EXTENDED",
            )
        return self

    @model_validator(mode="after")
    def _addons_pinned(self) -> ClusterConfig:
        missing = [addon for addon in EKS_ADDONS if addon not in self.addon_versions]
        if missing:
            raise KeyedValueError(
                "addonVersions",
                f"pin every add-on's version; missing {missing} (list them with `aws eks describe-addon-versions "
                f"--kubernetes-version {self.kubernetes_version} --addon-name <name>`)",
            )
        # kube-proxy runs the cluster's own minor version (EKS user guide, "Manage kube-proxy"):
        # a control-plane upgrade without it leaves the add-on behind.
        proxy = self.addon_versions["kube-proxy"]
        if not proxy.startswith(f"v{self.kubernetes_version}."):
            raise KeyedValueError(
                "addonVersions.kube-proxy",
                f"{proxy} is not a {self.kubernetes_version} build; kube-proxy follows the cluster's minor "
                f"version (v{self.kubernetes_version}.x-eksbuild.y)",
            )
        return self

    @model_validator(mode="after")
    def _public_endpoint(self) -> ClusterConfig:
        if self.endpoint_public_access and not self.public_access_cidrs:
            raise KeyedValueError(
                "publicAccessCidrs", "endpointPublicAccess is true, so list the CIDRs allowed to reach it"
            )
        for index, cidr in enumerate(self.public_access_cidrs):
            if cidr.prefixlen == 0:
                raise KeyedValueError(
                    f"publicAccessCidrs[{index}]", f"{cidr} opens the API endpoint to the world; list your own CIDRs"
                )
        return self

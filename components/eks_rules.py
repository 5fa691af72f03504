"""EKS rules a cluster's settings must satisfy, shared by `ClusterArgs` and the stack file's model.

Each check returns None or a message without the setting's name: the caller prefixes the name in
its own spelling (`args.node_groups[1].max_size` for ClusterArgs, `nodeGroups.system.maxSize` in a
stack file), so each rule has one implementation and both layers report it where the user wrote it.
A leaf module: it imports facts and Kubernetes' name rules only.
"""

import ipaddress
import re
from collections.abc import Mapping, Sequence

from eksplatform.components.facts import (
    EKS_ADDONS,
    EKS_SERVICE_IPV4_CIDR,
    END_OF_STANDARD_SUPPORT,
    SUPPORTED_KUBERNETES_VERSIONS,
    in_standard_support,
)
from eksplatform.components.instance_types import architecture
from eksplatform.components.kubernetes_names import label_key_problem, label_value_problem
from eksplatform.components.node_capacity import EC2_INSTANCE_TYPES, unknown_instance_type

# EKS CreateCluster `name`: 1-100 characters, alphanumeric first, then letters, digits, - and _.
CLUSTER_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$")
# EKS CreateNodegroup `nodegroupName`: 1-63 characters, [0-9A-Za-z][A-Za-z0-9\-_]*. The name also
# becomes the nodes' `platform/node-group` label value, so it must end alphanumeric as well
# (node_group_name_problem). The stack layer keeps its own stricter platform pattern.
NODE_GROUP_NAME = re.compile(r"^[0-9A-Za-z][A-Za-z0-9_-]{0,62}$")
# An add-on version as `aws eks describe-addon-versions` lists it, e.g. v1.20.4-eksbuild.2.
ADDON_VERSION = re.compile(r"^v\d+\.\d+\.\d+-eksbuild\.\d+$")
# An IAM role ARN in any partition (IAM user guide, "IAM identifiers").
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
# EKS managed node group scaling config: minSize >= 0, maxSize >= 1 (CreateNodegroup,
# NodegroupScalingConfig; terraform-provider-aws eks/node_group.go: IntAtLeast(0) and (1)).
MIN_GROUP_NODES, MIN_GROUP_MAX_NODES = 0, 1
# Root volume: the AL2023 EKS AMI needs 20 GiB; gp3 volumes go up to 16 TiB (EBS user guide).
MIN_DISK_GIB, MAX_DISK_GIB = 20, 16384
# NodegroupUpdateConfig.maxUnavailablePercentage: 1-100 (terraform-provider-aws eks/node_group.go,
# IntBetween(1, 100)); the stack layer caps it lower for the platform.
MIN_UNAVAILABLE_PERCENT, MAX_UNAVAILABLE_PERCENT = 1, 100
# EKS node-group labels (UpdateLabelsPayload, addOrUpdateLabels): keys and values of 1-63
# characters, on top of Kubernetes' label syntax (components/kubernetes_names.py).
MAX_NODE_LABEL_LENGTH = 63


def unsupported_version(version: str) -> str | None:
    """A Kubernetes version EKS does not offer (facts.SUPPORTED_KUBERNETES_VERSIONS)."""
    if version not in SUPPORTED_KUBERNETES_VERSIONS:
        return f"{version!r} is not a supported EKS version; use one of {SUPPORTED_KUBERNETES_VERSIONS}"
    return None


def standard_support_ended(version: str, extended: bool, support_type_name: str) -> str | None:
    """A version past standard support with STANDARD support: EKS would upgrade the control plane alone."""
    if not extended and not in_standard_support(version):
        return (
            f"standard support for {version} ended on {END_OF_STANDARD_SUPPORT[version]}: with "
            f"{support_type_name} STANDARD, EKS would upgrade the control plane on its own and leave the nodes "
            f"and add-ons behind; upgrade (docs/upgrades.md) or set {support_type_name}: EXTENDED"
        )
    return None


def addon_versions_problem(versions: Mapping[str, str], kubernetes_version: str) -> tuple[str, str] | None:
    """(the add-on's key, or "" for the whole map; message) for the first wrong pin, else None.

    Every add-on is pinned: an AWS default that moves would show as a change on a later preview.
    """
    unknown = sorted(set(versions) - set(EKS_ADDONS))
    if unknown:
        return unknown[0], f"not an add-on this cluster runs; the add-ons are {list(EKS_ADDONS)}"
    for name, version in versions.items():
        if not ADDON_VERSION.fullmatch(version):
            return name, f"{version!r} is not an add-on version such as v1.20.4-eksbuild.2"
    missing = [addon for addon in EKS_ADDONS if addon not in versions]
    if missing:
        return "", (
            f"pin every add-on's version; missing {missing} (list them with `aws eks describe-addon-versions "
            f"--kubernetes-version {kubernetes_version} --addon-name <name>`)"
        )
    # kube-proxy runs the cluster's own minor version (EKS user guide, "Manage kube-proxy"): a
    # control-plane upgrade without it leaves the add-on behind.
    proxy = versions["kube-proxy"]
    if not proxy.startswith(f"v{kubernetes_version}."):
        return "kube-proxy", (
            f"{proxy} is not a {kubernetes_version} build; kube-proxy follows the cluster's minor "
            f"version (v{kubernetes_version}.x-eksbuild.y)"
        )
    return None


def public_access_problem(
    enabled: bool, cidrs: Sequence[ipaddress.IPv4Network], enabled_name: str
) -> tuple[int | None, str] | None:
    """(index of the bad CIDR, or None for the list; message) for a public endpoint without a tight allowlist."""
    if cidrs and not enabled:
        # Without the public endpoint the allowlist would do nothing: refuse it rather than drop it.
        return None, f"listed without {enabled_name}: true; set both, or neither for a private-only API"
    if enabled and not cidrs:
        # An empty publicAccessCidrs means AWS's default, 0.0.0.0/0 (EKS UpdateClusterConfig).
        return None, f"{enabled_name} is true, so list the CIDRs allowed to reach it"
    for index, cidr in enumerate(cidrs):
        if cidr.prefixlen == 0:
            return index, f"{cidr} opens the API endpoint to the world; list your own CIDRs"
    return None


def instance_types_problem(types: Sequence[str]) -> tuple[int | None, str] | None:
    """(index of the bad type, or None for the list; message) for an empty, unknown or mixed list."""
    if not types:
        return None, "name at least one instance type"
    for index, instance_type in enumerate(types):
        # The capacity check needs each type's vCPUs, memory and max pods (components/node_capacity.py).
        if instance_type not in EC2_INSTANCE_TYPES:
            return index, unknown_instance_type(instance_type)
    # One node group runs one AMI, so its instance types must share a CPU architecture.
    kinds = {architecture(instance_type): instance_type for instance_type in types}
    if len(kinds) > 1:
        return None, f"mixes arm64 ({kinds['arm64']}) and x86_64 ({kinds['x86_64']}) types; one group runs one AMI"
    return None


def node_group_name_problem(name: str) -> str | None:
    """A node-group name EKS would refuse, or one that cannot be the nodes' label value."""
    if not NODE_GROUP_NAME.fullmatch(name) or label_value_problem(name) is not None:
        return f"{name!r}: use 1-63 letters, digits, '-' or '_', alphanumeric at both ends"
    return None


def label_problem(key: str, value: str) -> str | None:
    """A node label Kubernetes or EKS would refuse: Kubernetes' label syntax (kubernetes_names),
    and EKS's node-group limits, keys and values of 1-63 characters (UpdateLabelsPayload)."""
    if (problem := label_key_problem(key) or label_value_problem(value)) is not None:
        return problem
    for what, text in (("key", key), ("value", value)):
        if not 1 <= len(text) <= MAX_NODE_LABEL_LENGTH:
            return f"label {what} {text!r}: EKS node labels take 1-{MAX_NODE_LABEL_LENGTH} characters"
    return None


def service_cidr_problem(vpc_cidr: str) -> str | None:
    """Why a cluster's VPC cannot hold the clusters' Service range (components/cluster.py sets
    `service_ipv4_cidr`; EKS requires it outside the VPC's CIDR, CreateCluster
    `kubernetesNetworkConfig.serviceIpv4Cidr`), or None."""
    network = ipaddress.IPv4Network(vpc_cidr)
    if network.overlaps(EKS_SERVICE_IPV4_CIDR):
        return f"{network} overlaps {EKS_SERVICE_IPV4_CIDR}, the clusters' Service range"
    return None

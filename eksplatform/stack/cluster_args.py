"""The stack file's cluster settings → `ClusterSettings`: the adapter between the stack layer and
Cluster (the Region adds its wiring with `args_from_settings`, the one builder of `ClusterArgs`).

The platform's own rules stay in the stack layer (ClusterConfig checks them when the file is read):
a `system` group on-demand and a `sandbox` group, instance types with a price in every admitted
region, and what each environment requires (eksplatform/environments.py). The EKS rules both share
live in components/eks_rules.py; ClusterSettings checks them again, which costs nothing.
"""

from eksplatform.components.cluster import (
    SANDBOX_GROUP,
    SYSTEM_GROUP,
    ClusterNodeGroup,
    ClusterSettings,
    EksSupportType,
    NodeCapacityType,
    NodeGroupKind,
)
from eksplatform.environments import profile
from eksplatform.stack.config import ClusterConfig, NodeGroupConfig


def node_group_args(name: str, config: NodeGroupConfig) -> ClusterNodeGroup:
    """One stack-file group; the `sandbox` group is the sandbox kind, every other group a system one."""
    return ClusterNodeGroup(
        name=name,
        kind=NodeGroupKind.SANDBOX if name == SANDBOX_GROUP else NodeGroupKind.SYSTEM,
        instance_types=list(config.instance_types),
        capacity_type=NodeCapacityType(config.capacity_type),
        min_size=config.min_size,
        desired_size=config.desired_size,
        max_size=config.max_size,
        disk_size_gib=config.disk_size_gib,
        labels=dict(config.labels),
        max_unavailable_percentage=config.max_unavailable_percentage,
    )


def cluster_settings(config: ClusterConfig, *, environment: str) -> ClusterSettings:
    """What the stack file and the environment's profile decide for one region's cluster, every
    setting explicit (the environment's deletion protection from its profile)."""
    # The `system` group first: Cluster creates the first system group before the others.
    names = [SYSTEM_GROUP, *(name for name in config.node_groups if name != SYSTEM_GROUP)]
    return ClusterSettings(
        kubernetes_version=config.kubernetes_version,
        node_groups=[node_group_args(name, config.node_groups[name]) for name in names],
        addon_versions={str(addon): version for addon, version in config.addon_versions.items()},
        endpoint_public_access=config.endpoint_public_access,
        public_access_cidrs=[str(cidr) for cidr in config.public_access_cidrs],
        admin_role_arn=config.admin_role_arn,
        log_retention_days=config.log_retention_days,
        support_type=EksSupportType(config.support_type),
        deletion_protection=profile(environment).eks_deletion_protection,
    )

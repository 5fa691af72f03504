"""ClusterSettings (what a person chooses for a cluster) and ClusterArgs (the settings plus the wiring):
the split, where each rule is checked, the stack adapter, and the dict another language sends."""

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from eksplatform.components.cluster import (
    ClusterArgs,
    ClusterArgsError,
    ClusterNodeGroup,
    ClusterSettings,
    DeployerAccess,
    EksSupportType,
    NodeCapacityType,
    NodeGroupKind,
)
from eksplatform.components.inputs import ArgsError, args_from_settings, to_args
from eksplatform.environments import profile
from eksplatform.stack.cluster_args import cluster_settings, node_group_args
from eksplatform.stack.config import ClusterConfig
from eksplatform.stack.loading import load_stack_file
from tests.helpers import ADDON_VERSIONS

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = (
    "kubernetes_version",
    "node_groups",
    "addon_versions",
    "endpoint_public_access",
    "public_access_cidrs",
    "admin_role_arn",
    "log_retention_days",
    "support_type",
    "deletion_protection",
)
WIRING = (
    "cluster_name",
    "vpc_id",
    "subnet_ids",
    "instance_tags",
    "system_image_repository_arns",
    "sandbox_image_repository_arns",
    "autoscaler_image",
    "deployer",
)
GROUP: dict[str, Any] = {
    "name": "general",
    "instance_types": ["m7i.large"],
    "min_size": 2,
    "desired_size": 2,
    "max_size": 4,
}
WIRED: dict[str, Any] = {"cluster_name": "shop", "vpc_id": "vpc-1", "subnet_ids": ["subnet-1", "subnet-2"]}


def settings(**changes: Any) -> ClusterSettings:
    fields: dict[str, Any] = {
        "kubernetes_version": "1.35",
        "node_groups": [ClusterNodeGroup(**GROUP)],
        "addon_versions": ADDON_VERSIONS,
    }
    return ClusterSettings(**fields | changes)


# --- the split --------------------------------------------------------------------------------------


def test_the_args_extend_the_settings_with_the_wiring_only() -> None:
    assert issubclass(ClusterArgs, ClusterSettings)
    assert tuple(field.name for field in dataclasses.fields(ClusterSettings)) == SETTINGS
    # Settings first, then the wiring: the Args' public fields are the same as before the split.
    assert tuple(field.name for field in dataclasses.fields(ClusterArgs)) == SETTINGS + WIRING


def test_every_field_keeps_its_default_and_its_description() -> None:
    required = {field.name for field in dataclasses.fields(ClusterArgs) if field.default is dataclasses.MISSING}
    assert required == {"kubernetes_version", "node_groups", "addon_versions", "cluster_name", "vpc_id", "subnet_ids"}
    from docgen.args_reference import field_docs

    described = field_docs(ClusterArgs)
    assert set(described) == set(SETTINGS + WIRING) and all(described.values())


def test_the_settings_resolve_their_defaults_without_the_wiring() -> None:
    # Region reads the resolved values from the settings before any wiring exists.
    chosen = settings(
        node_groups=[ClusterNodeGroup(**GROUP), ClusterNodeGroup(**GROUP | {"name": "s", "kind": "sandbox"})]
    )
    assert chosen.resolved_log_retention_days == 365 == profile("prod").min_log_retention_days
    assert chosen.resolved_deletion_protection is True
    assert chosen.resolved_support_type is EksSupportType.STANDARD
    assert chosen.system_group.name == "general" and chosen.sandbox_group is not None
    assert chosen.sandbox_group.name == "s"


# --- each rule in one place ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kubernetes_version": "1.20"}, "args.kubernetes_version: "),
        ({"node_groups": [ClusterNodeGroup(**GROUP | {"max_size": 1})]}, "args.node_groups[0].min_size: 2 is greater"),
        (
            {"node_groups": [ClusterNodeGroup(**GROUP | {"kind": NodeGroupKind.SANDBOX})]},
            "args.node_groups: add a group",
        ),
        ({"addon_versions": {}}, "args.addon_versions"),
        ({"endpoint_public_access": True}, "args.public_access_cidrs"),
        ({"public_access_cidrs": ["10.0.0.0/33"]}, "args.public_access_cidrs[0]: '10.0.0.0/33' is not an IPv4 CIDR"),
        ({"admin_role_arn": "admin"}, "args.admin_role_arn: 'admin' is not an IAM role ARN"),
        ({"log_retention_days": 42}, "args.log_retention_days: 42 is not a CloudWatch retention period"),
        ({"support_type": "FOREVER"}, "args.support_type: 'FOREVER' is not one of"),
        ({"deletion_protection": "yes"}, "args.deletion_protection: expected bool"),
    ],
)
def test_a_settings_rule_is_checked_by_the_settings_and_named_the_same_in_the_args(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ClusterArgsError, match="^" + re.escape(message)):
        settings(**changes)
    with pytest.raises(ClusterArgsError, match="^" + re.escape(message)):
        ClusterArgs(
            **WIRED
            | {"kubernetes_version": "1.35", "node_groups": [ClusterNodeGroup(**GROUP)]}
            | {"addon_versions": ADDON_VERSIONS}
            | changes
        )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"cluster_name": "bad name!"}, "args.cluster_name: 'bad name!'"),
        ({"deployer": DeployerAccess(cidr="nowhere", runner_role_arn="arn:aws:iam::1:role/r")}, "args.deployer.cidr"),
        (
            {"deployer": DeployerAccess(cidr="10.0.0.0/24", runner_role_arn="runner")},
            "args.deployer.runner_role_arn: 'runner'",
        ),
    ],
)
def test_the_wiring_is_checked_by_the_args(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ClusterArgsError, match="^" + re.escape(message)):
        args_from_settings(ClusterArgs, settings(), **WIRED | changes)


def test_the_settings_check_the_types_of_the_args_wiring_too() -> None:
    # check_fields runs once, in the settings' __post_init__, over every field of the Args.
    with pytest.raises(ClusterArgsError, match=r"^args\.autoscaler_image: expected str, got int 3"):
        args_from_settings(ClusterArgs, settings(), **WIRED, autoscaler_image=3)


# --- the stack adapter ------------------------------------------------------------------------------


def _before_the_split(config: ClusterConfig, environment: str, wiring: dict[str, Any]) -> ClusterArgs:
    """The Args as eksplatform/stack/cluster_args.py built them before ClusterSettings, field by field."""
    names = ["system", *(name for name in config.node_groups if name != "system")]
    return ClusterArgs(
        cluster_name=wiring["cluster_name"],
        kubernetes_version=config.kubernetes_version,
        vpc_id=wiring["vpc_id"],
        subnet_ids=wiring["subnet_ids"],
        node_groups=[node_group_args(name, config.node_groups[name]) for name in names],
        addon_versions={str(addon): version for addon, version in config.addon_versions.items()},
        endpoint_public_access=config.endpoint_public_access,
        public_access_cidrs=[str(cidr) for cidr in config.public_access_cidrs],
        admin_role_arn=config.admin_role_arn,
        log_retention_days=config.log_retention_days,
        support_type=EksSupportType(config.support_type),
        deletion_protection=profile(environment).eks_deletion_protection,
        instance_tags=dict(wiring["instance_tags"]),
        system_image_repository_arns=list(wiring["system_image_repository_arns"]),
        sandbox_image_repository_arns=list(wiring["sandbox_image_repository_arns"]),
        autoscaler_image=wiring["autoscaler_image"],
        deployer=wiring["deployer"],
    )


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_the_stacks_settings_and_wiring_give_the_args_the_stack_used_before(environment: str) -> None:
    config = load_stack_file(ROOT / f"Pulumi.{environment}.yaml")
    wiring: dict[str, Any] = {
        "cluster_name": f"platform-{environment}",
        "vpc_id": "vpc-1",
        "subnet_ids": ["subnet-1", "subnet-2"],
        "instance_tags": {"environment": environment},
        "system_image_repository_arns": ["arn:aws:ecr:us-east-1:111111111111:repository/platform/backend"],
        "sandbox_image_repository_arns": ["arn:aws:ecr:us-east-1:111111111111:repository/platform/lang-c"],
        "autoscaler_image": "registry.k8s.io/autoscaling/cluster-autoscaler:v1.35.0",
        "deployer": DeployerAccess(cidr="10.250.0.0/24", runner_role_arn="arn:aws:iam::111111111111:role/runner"),
    }
    for region in config.regions:
        chosen = cluster_settings(region.cluster, environment=environment)
        assert type(chosen) is ClusterSettings
        # Every setting explicit: the stack file and the environment decide, not the Args' defaults.
        assert {name for name in SETTINGS if getattr(chosen, name) is None} <= {"admin_role_arn"}
        assert chosen.deletion_protection is profile(environment).eks_deletion_protection
        expected = _before_the_split(region.cluster, environment, wiring)
        assert args_from_settings(ClusterArgs, chosen, **wiring) == expected


# --- another language's dict ------------------------------------------------------------------------


def test_to_args_builds_the_args_and_the_settings_from_a_mapped_dict() -> None:
    raw: dict[str, Any] = {
        "kubernetes_version": "1.35",
        "node_groups": [GROUP, GROUP | {"name": "untrusted", "kind": "sandbox", "capacity_type": "SPOT"}],
        "addon_versions": ADDON_VERSIONS,
        "log_retention_days": 90.0,  # numbers cross the wire as floats
    }
    chosen = to_args(ClusterSettings, raw)
    assert isinstance(chosen, ClusterSettings) and chosen.log_retention_days == 90
    assert chosen.node_groups[1].capacity_type is NodeCapacityType.SPOT
    args = to_args(ClusterArgs, raw | WIRED)
    assert args == args_from_settings(ClusterArgs, chosen, **WIRED)
    with pytest.raises(ArgsError, match=r"^args\.clusterName: missing required field of ClusterArgs"):
        to_args(ClusterArgs, raw)


@dataclasses.dataclass(frozen=True, kw_only=True)
class RegionLike:
    """A composition that takes a cluster's settings, as RegionArgs will."""

    cluster: ClusterSettings


def test_a_settings_error_nested_in_an_outer_args_is_named_from_there() -> None:
    raw: dict[str, Any] = {
        "cluster": {
            "kubernetes_version": "1.35",
            "node_groups": [GROUP | {"desired_size": 7}],
            "addon_versions": ADDON_VERSIONS,
        }
    }
    with pytest.raises(ClusterArgsError, match=r"^args\.cluster\.nodeGroups\[0\]\.desiredSize: 7 is not between"):
        to_args(RegionLike, raw)
    raw["cluster"]["node_groups"] = [GROUP]
    raw["cluster"]["log_retention_days"] = 42
    with pytest.raises(ClusterArgsError, match=r"^args\.cluster\.logRetentionDays: 42 is not a CloudWatch"):
        to_args(RegionLike, raw)

"""ClusterArgs: plain fields, secure defaults, each EKS rule with the field it names, the dict another
language sends, and the stack adapter's settings (eksplatform/stack/cluster_args.py); the platform's
rules stay in the stack layer."""

import ast
import re
from pathlib import Path
from typing import Any

import pulumi
import pytest

from eksplatform.components.cluster import (
    NODE_GROUP_LABEL,
    ClusterArgs,
    ClusterArgsError,
    ClusterNodeGroup,
    DeployerAccess,
    EksSupportType,
    NodeCapacityType,
    NodeGroupKind,
)
from eksplatform.components.inputs import ArgsError, to_args
from eksplatform.components.providers import regional_aws_provider
from eksplatform.environments import profile
from eksplatform.stack.cluster_args import cluster_settings
from eksplatform.stack.config import ClusterConfig
from tests.conftest import Harness
from tests.helpers import ADDON_VERSIONS

ROOT = Path(__file__).resolve().parents[2]
GROUP: dict[str, Any] = {
    "name": "general",
    "instance_types": ["m7i.large"],
    "min_size": 2,
    "desired_size": 2,
    "max_size": 4,
}


def minimal(**changes: Any) -> ClusterArgs:
    """Only the required fields: what a user must say to get a production cluster."""
    fields: dict[str, Any] = {
        "cluster_name": "shop",
        "kubernetes_version": "1.35",
        "vpc_id": "vpc-1",
        "subnet_ids": ["subnet-1", "subnet-2"],
        "node_groups": [ClusterNodeGroup(**GROUP)],
        "addon_versions": ADDON_VERSIONS,
    }
    return ClusterArgs(**fields | changes)


def group(**changes: Any) -> ClusterNodeGroup:
    return ClusterNodeGroup(**GROUP | changes)


# --- secure defaults -----------------------------------------------------------------------------


def test_unset_fields_resolve_to_the_production_choice() -> None:
    args = minimal()
    assert args.resolved_deletion_protection is True
    assert args.resolved_deletion_protection == profile("prod").eks_deletion_protection
    assert not args.endpoint_public_access and not args.public_access_cidrs
    assert args.resolved_log_retention_days == profile("prod").min_log_retention_days == 365
    assert args.resolved_support_type is EksSupportType.STANDARD
    (only,) = args.node_groups
    assert only.resolved_kind is NodeGroupKind.SYSTEM
    assert only.resolved_capacity_type is NodeCapacityType.ON_DEMAND
    assert only.resolved_disk_size_gib == 50
    assert only.resolved_max_unavailable_percentage == 25


def test_a_plain_cluster_registers_the_secure_settings_and_no_sandbox(harness: Harness) -> None:
    from eksplatform.components.cluster import Cluster

    clusters: list[Cluster] = []

    def program() -> None:
        provider = regional_aws_provider("aws-eu-west-1", region="eu-west-1", tags={"owner": "o"})
        clusters.append(Cluster("shop", minimal(), opts=pulumi.ResourceOptions(provider=provider)))

    graph = harness.run(program)
    cluster = graph.one("aws:eks/cluster:Cluster")
    assert cluster.inputs["deletionProtection"] is True
    assert cluster.inputs["vpcConfig"]["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in cluster.inputs["vpcConfig"]
    assert cluster.inputs["upgradePolicy"] == {"supportType": "STANDARD"}
    logs = graph.one("aws:cloudwatch/logGroup:LogGroup", "shop-control-plane-logs")
    assert logs.inputs["retentionInDays"] == 365
    (node_group,) = graph.by_type("aws:eks/nodeGroup:NodeGroup")
    assert node_group.inputs["capacityType"] == "ON_DEMAND"
    assert node_group.inputs["labels"] == {NODE_GROUP_LABEL: "general"}
    assert "taints" not in node_group.inputs
    template = graph.one("aws:ec2/launchTemplate:LaunchTemplate")
    assert template.inputs["blockDeviceMappings"][0]["ebs"]["volumeSize"] == 50
    assert "userData" not in template.inputs  # gVisor only on sandbox nodes
    # No sandbox group: no gVisor RuntimeClass, and the autoscaler runs on the group that exists.
    assert not graph.by_type("kubernetes:node.k8s.io/v1:RuntimeClass")
    (autoscaler,) = graph.by_type("kubernetes:apps/v1:Deployment")
    assert autoscaler.inputs["spec"]["template"]["spec"]["nodeSelector"] == {NODE_GROUP_LABEL: "general"}
    with pytest.raises(ClusterArgsError, match=r"^args\.node_groups: this cluster has no `sandbox` group"):
        _ = clusters[0].sandbox_runtime_class


# --- validation: each rule names its field -------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"cluster_name": "-shop"}, "args.cluster_name: '-shop': use 1-100 letters"),
        ({"cluster_name": "s" * 101}, "args.cluster_name: "),
        ({"kubernetes_version": "1.29"}, "args.kubernetes_version: '1.29' is not a supported EKS version"),
        ({"support_type": "LONG"}, "args.support_type: 'LONG' is not one of 'STANDARD', 'EXTENDED'"),
        ({"node_groups": [group(kind="gpu")]}, "args.node_groups[0].kind: 'gpu' is not one of 'system', 'sandbox'"),
        ({"node_groups": [group(capacity_type="spot")]}, "args.node_groups[0].capacity_type: 'spot' is not one of"),
        ({"node_groups": []}, "args.node_groups: add a group of kind `system`"),
        (
            {"node_groups": [group(kind=NodeGroupKind.SANDBOX)]},
            "args.node_groups: add a group of kind `system`: the add-ons cannot run on tainted sandbox nodes",
        ),
        (
            {"node_groups": [group(), group(name="a", kind="sandbox"), group(name="b", kind=NodeGroupKind.SANDBOX)]},
            "args.node_groups[2].kind: one `sandbox` group at most",
        ),
        ({"node_groups": [group(), group()]}, "args.node_groups[1].name: 'general' names two groups"),
        ({"node_groups": [group(name="-general")]}, "args.node_groups[0].name: '-general': use 1-63 letters"),
        # EKS allows a trailing '-', the nodes' platform/node-group label value does not.
        ({"node_groups": [group(name="general-")]}, "args.node_groups[0].name: 'general-': use 1-63 letters"),
        ({"node_groups": [group(name="g" * 64)]}, "args.node_groups[0].name: "),
        ({"node_groups": [group(instance_types=[])]}, "args.node_groups[0].instance_types: name at least one"),
        (
            {"node_groups": [group(instance_types=["m7i.large", "m7i.huge"])]},
            "args.node_groups[0].instance_types[1]: 'm7i.huge' is not an EC2 instance type",
        ),
        (
            {"node_groups": [group(instance_types=["m7g.large", "m7i.large"])]},
            "args.node_groups[0].instance_types: mixes arm64 (m7g.large) and x86_64 (m7i.large)",
        ),
        ({"node_groups": [group(min_size=-1)]}, "args.node_groups[0].min_size: -1: EKS needs at least 0"),
        (
            {"node_groups": [group(max_size=0, min_size=0, desired_size=0)]},
            "args.node_groups[0].max_size: 0: EKS needs at least 1",
        ),
        ({"node_groups": [group(min_size=5)]}, "args.node_groups[0].min_size: 5 is greater than max_size 4"),
        (
            {"node_groups": [group(desired_size=9)]},
            "args.node_groups[0].desired_size: 9 is not between min_size 2 and max_size 4",
        ),
        ({"node_groups": [group(disk_size_gib=10)]}, "args.node_groups[0].disk_size_gib: 10 is outside 20-16384 GiB"),
        (
            {"node_groups": [group(max_unavailable_percentage=101)]},
            "args.node_groups[0].max_unavailable_percentage: 101 is outside 1-100",
        ),
        (
            {"node_groups": [group(labels={NODE_GROUP_LABEL: "x"})]},
            f"args.node_groups[0].labels.{NODE_GROUP_LABEL}: the cluster sets this label",
        ),
        ({"node_groups": [group(labels={"a b": "x"})]}, "args.node_groups[0].labels.a b: label key 'a b'"),
        ({"node_groups": [group(labels={"team-": "x"})]}, "args.node_groups[0].labels.team-: label key 'team-'"),
        (
            {"node_groups": [group(labels={"team": "bad value!"})]},
            "args.node_groups[0].labels.team: label value 'bad value!'",
        ),
        (
            # Kubernetes allows a 253-character prefix; EKS's node-group labels take 63 characters in all.
            {"node_groups": [group(labels={"example.com/" + "k" * 59: "x"})]},
            f"args.node_groups[0].labels.example.com/{'k' * 59}: label key ",
        ),
        ({"node_groups": [group(labels={"team": ""})]}, "args.node_groups[0].labels.team: label value ''"),
        (
            {"public_access_cidrs": ["203.0.113.0/24"]},
            "args.public_access_cidrs: listed without endpoint_public_access: true",
        ),
        ({"addon_versions": {**ADDON_VERSIONS, "traefik": "v1.0.0-eksbuild.1"}}, "args.addon_versions.traefik: not"),
        ({"addon_versions": {**ADDON_VERSIONS, "coredns": "1.11"}}, "args.addon_versions.coredns: '1.11' is not an"),
        ({"admin_role_arn": "arn:aws:iam::123:user/x"}, "args.admin_role_arn: 'arn:aws:iam::123:user/x' is not an IAM"),
        ({"log_retention_days": 42}, "args.log_retention_days: 42 is not a CloudWatch retention period"),
        (
            {"deployer": DeployerAccess(cidr="10.250.0.0/33", runner_role_arn="arn:aws:iam::123456789012:role/r")},
            "args.deployer.cidr: '10.250.0.0/33' is not an IPv4 CIDR",
        ),
        (
            {"deployer": DeployerAccess(cidr="10.250.0.0/24", runner_role_arn="runner")},
            "args.deployer.runner_role_arn: 'runner' is not an IAM role ARN",
        ),
    ],
)
def test_each_rule_names_the_field(changes: dict[str, Any], expected: str) -> None:
    with pytest.raises(ClusterArgsError, match="^" + re.escape(expected)):
        minimal(**changes)


def test_an_error_is_a_run_error_so_pulumi_prints_no_traceback() -> None:
    with pytest.raises(pulumi.RunError):
        minimal(cluster_name="")


def test_bad_args_register_nothing(harness: Harness) -> None:
    from eksplatform.components.cluster import Cluster

    errors: list[str] = []

    def program() -> None:
        try:
            Cluster("shop", {**_host_dict(), "kubernetes_version": "1.29"})  # type: ignore[arg-type]
        except ClusterArgsError as error:
            errors.append(str(error))

    graph = harness.run(program)
    assert errors and errors[0].startswith("args.kubernetesVersion: '1.29'")  # the host's (schema) name
    assert not [r for r in graph.registrations if r.type != "pulumi:pulumi:Stack"]


# --- the dict another language sends -----------------------------------------------------------


def _host_dict() -> dict[str, Any]:
    """What Pulumi's provider host passes: snake_case field names, nested types and enums as plain values."""
    return {
        "cluster_name": "shop",
        "kubernetes_version": "1.35",
        "vpc_id": "vpc-1",
        "subnet_ids": ["subnet-1"],
        "node_groups": [
            {"name": "general", "instance_types": ["m7i.large"], "min_size": 1.0, "desired_size": 1.0, "max_size": 3.0},
            {
                "name": "untrusted",
                "kind": "sandbox",
                "capacity_type": "SPOT",
                "instance_types": ["m7i.xlarge"],
                "min_size": 0,
                "desired_size": 0,
                "max_size": 5,
                "labels": {"team": "a"},
            },
        ],
        "addon_versions": ADDON_VERSIONS,
        "support_type": "EXTENDED",
        "deployer": {"cidr": "10.250.0.0/24", "runner_role_arn": "arn:aws:iam::123456789012:role/runner"},
    }


def test_to_args_rebuilds_the_nested_groups_enums_and_deployer() -> None:
    args = to_args(ClusterArgs, _host_dict())
    general, untrusted = args.node_groups
    assert isinstance(general, ClusterNodeGroup) and general.max_size == 3 and isinstance(general.max_size, int)
    assert untrusted.kind is NodeGroupKind.SANDBOX and untrusted.capacity_type is NodeCapacityType.SPOT
    assert args.sandbox_group is untrusted and args.system_group is general
    assert args.support_type is EksSupportType.EXTENDED
    assert args.deployer == DeployerAccess(
        cidr="10.250.0.0/24", runner_role_arn="arn:aws:iam::123456789012:role/runner"
    )


def test_to_args_names_a_bad_nested_value_by_its_path() -> None:
    raw = _host_dict()
    raw["node_groups"][1]["kind"] = "gpu"
    with pytest.raises(ArgsError, match=r"^args\.nodeGroups\[1\]\.kind: 'gpu' is not one of 'system', 'sandbox'"):
        to_args(ClusterArgs, raw)
    raw = _host_dict()
    raw["node_groups"][0]["desired_size"] = 7
    with pytest.raises(ClusterArgsError, match=r"^args\.nodeGroups\[0\]\.desiredSize: 7 is not between"):
        to_args(ClusterArgs, raw)


# --- the module stands on its own ---------------------------------------------------------------


@pytest.mark.parametrize("module", ["components/cluster.py", "components/eks_rules.py"])
def test_the_component_imports_nothing_from_the_stack_layer(module: str) -> None:
    tree = ast.parse((ROOT / module).read_text())
    imported = [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    imported += [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    assert not [name for name in imported if name.startswith("eksplatform.stack")]
    assert "__future__" not in imported, "the analyzer reads annotations unevaluated"


# --- the stack adapter --------------------------------------------------------------------------


def _config(**changes: Any) -> ClusterConfig:
    raw: dict[str, Any] = {
        "kubernetesVersion": "1.35",
        "addonVersions": ADDON_VERSIONS,
        "nodeGroups": {
            "sandbox": {
                "instanceTypes": ["m7i.xlarge"],
                "capacityType": "SPOT",
                "minSize": 1,
                "desiredSize": 1,
                "maxSize": 9,
            },
            "batch": {"instanceTypes": ["m7i.large"], "minSize": 0, "desiredSize": 0, "maxSize": 3},
            "system": {"instanceTypes": ["m7i.large"], "minSize": 2, "desiredSize": 2, "maxSize": 4},
        },
    }
    return ClusterConfig.model_validate(raw | changes)


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_the_adapter_passes_every_setting_and_the_environments_protection(environment: str) -> None:
    settings = cluster_settings(_config(), environment=environment)
    # `system` first (Cluster creates the first system group before the others), then file order.
    assert [g.name for g in settings.node_groups] == ["system", "sandbox", "batch"]
    assert [g.resolved_kind for g in settings.node_groups] == [
        NodeGroupKind.SYSTEM,
        NodeGroupKind.SANDBOX,
        NodeGroupKind.SYSTEM,
    ]
    assert settings.node_groups[1].capacity_type is NodeCapacityType.SPOT
    assert settings.deletion_protection is profile(environment).eks_deletion_protection
    assert settings.log_retention_days == 90  # the stack file's default, passed explicitly
    assert settings.endpoint_public_access is False and settings.support_type is EksSupportType.STANDARD


def test_the_platform_rules_stay_in_the_stack_layer() -> None:
    # ClusterArgs takes a cluster without `sandbox`; the stack file may not.
    minimal()
    with pytest.raises(ValueError, match=re.escape("the platform needs `system` and `sandbox`")):
        _config(nodeGroups={"system": {"instanceTypes": ["m7i.large"], "minSize": 1, "desiredSize": 1, "maxSize": 2}})


def test_the_args_take_what_eks_takes_and_leave_platform_caps_to_the_stack_layer() -> None:
    # EKS: node-group names of 1-63 characters with '_' and capitals, any number of nodes, and up to
    # 100 % unavailable in a roll (terraform-provider-aws eks/node_group.go). The platform's own caps
    # (31-character lower-case names, 1000 nodes, 50 %) live in eksplatform/stack/models_*.py.
    name = "General_" + "x" * 54 + "1"
    wide = group(name=name, max_size=2000, desired_size=2, max_unavailable_percentage=100)
    args = minimal(node_groups=[wide])
    assert args.node_groups[0].name == name and len(name) == 63
    assert args.node_groups[0].resolved_max_unavailable_percentage == 100
    # A 63-character prefixed label key and value are EKS's longest.
    labelled = minimal(node_groups=[group(labels={"example.com/" + "k" * 51: "v" * 63})])
    assert labelled.node_groups[0].labels


def test_the_allowlist_with_the_public_endpoint_is_kept() -> None:
    args = minimal(endpoint_public_access=True, public_access_cidrs=["203.0.113.0/24"])
    assert list(args.public_access_cidrs or ()) == ["203.0.113.0/24"]

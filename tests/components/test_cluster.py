"""Cluster: assert on the registered EKS cluster, its IAM, node groups, add-ons and provider."""

import json
import re
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest
from pulumi.runtime import rpc

from eksplatform.components.cluster import (
    ADDONS,
    CONTROL_PLANE_LOG_TYPES,
    NODE_GROUP_LABEL,
    SANDBOX_TAINT_KEY,
    Cluster,
    ClusterArgs,
    ClusterArgsError,
    ClusterNodeGroup,
    EksSupportType,
    NodeCapacityType,
    NodeGroupKind,
)
from eksplatform.components.facts import EKS_ADDONS
from eksplatform.components.providers import regional_aws_provider
from eksplatform.components.vpc import Vpc, VpcArgs
from eksplatform.preflight.export import holds_secret
from eksplatform.preflight.mocks import Registration
from eksplatform.preflight.synth import Graph
from tests.conftest import Harness
from tests.helpers import ADDON_VERSIONS, out, policy

TAGS = {"environment": "prod", "owner": "o", "cost-center": "c", "managed-by": "pulumi"}
ADMIN_ROLE = "arn:aws:iam::123456789012:role/platform-admin"
CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
ADDON = "aws:eks/addon:Addon"
ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
KEY = "aws:kms/key:Key"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def system_group(**changes: Any) -> ClusterNodeGroup:
    fields: dict[str, Any] = {"name": "system", "instance_types": ["m7i.large"], "min_size": 3, "desired_size": 3}
    return ClusterNodeGroup(**fields | {"max_size": 6} | changes)


def sandbox_group(**changes: Any) -> ClusterNodeGroup:
    fields: dict[str, Any] = {
        "name": "sandbox",
        "kind": NodeGroupKind.SANDBOX,
        "instance_types": ["m7i.xlarge", "m6i.xlarge"],
        "capacity_type": NodeCapacityType.SPOT,
        "min_size": 3,
        "desired_size": 3,
        "max_size": 30,
        "disk_size_gib": 80,
        "labels": {"workload": "untrusted"},
    }
    return ClusterNodeGroup(**fields | changes)


def cluster_args(**changes: Any) -> ClusterArgs:
    """The prod shape, built from plain fields; `changes` override fields."""
    fields: dict[str, Any] = {
        "cluster_name": "platform-prod-eu",
        "kubernetes_version": "1.35",
        "vpc_id": "vpc-1",
        "subnet_ids": ["subnet-1", "subnet-2"],
        "node_groups": [system_group(), sandbox_group()],
        "addon_versions": ADDON_VERSIONS,
        "admin_role_arn": ADMIN_ROLE,
        "log_retention_days": 90,
        "instance_tags": TAGS,
        "system_image_repository_arns": [SYSTEM_REPOSITORY],
        "sandbox_image_repository_arns": [SANDBOX_REPOSITORY],
        "autoscaler_image": AUTOSCALER_IMAGE,
    }
    return ClusterArgs(**fields | changes)


SANDBOX_REPOSITORY = "arn:aws:ecr:eu-west-1:123456789012:repository/platform/lang-python"
SYSTEM_REPOSITORY = "arn:aws:ecr:eu-west-1:123456789012:repository/platform/cluster-autoscaler"
AUTOSCALER_IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/platform/cluster-autoscaler:v1.35.2"


def build(harness: Harness, **changes: Any) -> Graph:
    """The cluster of `cluster_args(**changes)` in a real Vpc's private subnets."""

    def program() -> None:
        provider = regional_aws_provider("aws-eu-west-1", region="eu-west-1", tags=TAGS)
        opts = pulumi.ResourceOptions(provider=provider)
        vpc = Vpc("net", VpcArgs(cidr="10.30.0.0/16", az_count=3, cluster_name="platform-prod-eu"), opts=opts)
        args = cluster_args(vpc_id=vpc.vpc_id, subnet_ids=vpc.private_subnet_ids, **changes)
        cluster = Cluster("eks", args, opts=opts)
        # Something built on the cluster's provider, as LanguageServicePool will be.
        k8s.core.v1.Namespace("probe", opts=pulumi.ResourceOptions(provider=cluster.kubernetes_provider))
        pulumi.export("private", vpc.private_subnet_ids)
        pulumi.export("kubeconfig", cluster.kubeconfig)
        pulumi.export("clusterName", cluster.cluster_name)
        pulumi.export("endpoint", cluster.endpoint)
        pulumi.export("ca", cluster.certificate_authority_data)
        pulumi.export("oidcArn", cluster.oidc_provider_arn)
        pulumi.export("oidcUrl", cluster.oidc_provider_url)
        pulumi.export("nodeSg", cluster.node_security_group_id)
        pulumi.export("clusterSg", cluster.cluster_security_group_id)
        pulumi.export("nodeRole", cluster.node_role_arn)
        pulumi.export("sandboxSg", cluster.sandbox_security_group_id)
        pulumi.export("sandboxRole", cluster.sandbox_node_role_arn)

    return harness.run(program)


@pytest.fixture(scope="module")
def prod() -> Graph:
    """The prod-shaped cluster, built once for the read-only assertions below."""
    return build(Harness())


@pytest.fixture(scope="module")
def without_admin_role() -> Graph:
    """The prod-shaped cluster without an admin role, built once for the two tests that read it."""
    return build(Harness(), admin_role_arn=None)


SMALL = {"min_size": 1, "desired_size": 1, "max_size": 2}


@pytest.fixture(scope="module")
def graviton_system() -> Graph:
    """A Graviton system group beside an x86 sandbox group, built once for the two tests that read it."""
    groups = [system_group(instance_types=["m7g.large"], **SMALL), sandbox_group(instance_types=["m7i.large"], **SMALL)]
    return build(Harness(), node_groups=groups)


def by_name(graph: Graph, type_token: str) -> dict[str, Registration]:
    return {registration.name: registration for registration in graph.by_type(type_token)}


def attached_policies(graph: Graph, role: Registration) -> set[str]:
    return {a.inputs["policyArn"] for a in graph.by_type(ATTACHMENT) if a.inputs["role"] == role.outputs["name"]}


# --- control plane -----------------------------------------------------------------------


def test_secrets_are_encrypted_with_a_rotating_cmk(prod: Graph) -> None:
    cluster = prod.one(CLUSTER)
    key = prod.one(KEY, "eks-secrets-key")
    encryption = cluster.inputs["encryptionConfig"]
    assert encryption["resources"] == ["secrets"]
    assert encryption["provider"]["keyArn"] == key.outputs["arn"]
    assert key.inputs["enableKeyRotation"] is True
    # Administrators are never locked out: the account root keeps kms:* on the key.
    admin = policy(key, "policy")["Statement"][0]
    assert admin["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"} and admin["Action"] == "kms:*"
    # The control plane may use this key and nothing broader.
    grant = prod.one("aws:iam/rolePolicy:RolePolicy", "eks-cluster-role-secrets-key")
    (statement,) = policy(grant, "policy")["Statement"]
    assert statement["Resource"] == key.outputs["arn"]
    assert grant.inputs["role"] == prod.one(ROLE, "eks-cluster-role").id
    alias = prod.one("aws:kms/alias:Alias")
    assert alias.inputs == {"name": "alias/platform-prod-eu/eks-secrets", "targetKeyId": key.outputs["keyId"]}


def test_prod_endpoint_is_private(prod: Graph) -> None:
    vpc_config = prod.one(CLUSTER).inputs["vpcConfig"]
    assert vpc_config["endpointPrivateAccess"] is True
    assert vpc_config["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in vpc_config
    assert prod.one(CLUSTER).inputs["deletionProtection"] is True


def test_public_endpoint_only_for_the_allowlist(harness: Harness) -> None:
    graph = build(harness, endpoint_public_access=True, public_access_cidrs=["203.0.113.0/24", "198.51.100.7/32"])
    vpc_config = graph.one(CLUSTER).inputs["vpcConfig"]
    assert vpc_config["endpointPublicAccess"] is True
    assert vpc_config["publicAccessCidrs"] == ["203.0.113.0/24", "198.51.100.7/32"]


@pytest.mark.parametrize(
    ("cidrs", "expected"),
    [
        (["10.0.0.0/8", "0.0.0.0/0"], "args.public_access_cidrs[1]: 0.0.0.0/0 opens the API endpoint to the world"),
        ([], "args.public_access_cidrs: endpoint_public_access is true, so list the CIDRs"),
        (["10.0.0.1/8"], "args.public_access_cidrs[0]: '10.0.0.1/8' is not an IPv4 CIDR"),
    ],
)
def test_world_open_or_missing_allowlist_is_rejected(cidrs: list[str], expected: str) -> None:
    with pytest.raises(ClusterArgsError, match="^" + re.escape(expected)):
        cluster_args(endpoint_public_access=True, public_access_cidrs=cidrs)


def test_bad_cluster_name_names_the_argument() -> None:
    with pytest.raises(ClusterArgsError, match=r"^args\.cluster_name: 'bad name!'"):
        cluster_args(cluster_name="bad name!")


def test_control_plane_logs_go_to_an_encrypted_group(prod: Graph) -> None:
    cluster = prod.one(CLUSTER)
    group = prod.one("aws:cloudwatch/logGroup:LogGroup", "eks-control-plane-logs")
    key = prod.one(KEY, "eks-control-plane-logs-key")
    assert cluster.inputs["enabledClusterLogTypes"] == list(CONTROL_PLANE_LOG_TYPES)
    assert set(CONTROL_PLANE_LOG_TYPES) == {"api", "audit", "authenticator", "controllerManager", "scheduler"}
    assert group.inputs["name"] == "/aws/eks/platform-prod-eu/cluster"  # where EKS writes
    assert group.inputs["retentionInDays"] == 90
    assert group.inputs["kmsKeyId"] == key.outputs["arn"]
    assert key.inputs["enableKeyRotation"] is True
    # The group exists first, or EKS would create an unencrypted one that never expires.
    assert group.urn in cluster.dependencies


def test_access_is_through_access_entries_only(prod: Graph) -> None:
    cluster = prod.one(CLUSTER)
    assert cluster.inputs["accessConfig"] == {
        "authenticationMode": "API",
        "bootstrapClusterCreatorAdminPermissions": False,
    }
    entry = prod.one("aws:eks/accessEntry:AccessEntry")
    association = prod.one("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    assert entry.inputs["principalArn"] == association.inputs["principalArn"] == ADMIN_ROLE
    assert entry.inputs["clusterName"] == association.inputs["clusterName"] == "platform-prod-eu"
    assert association.inputs["policyArn"] == "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    assert association.inputs["accessScope"] == {"type": "cluster"}
    assert not [r for r in prod.by_type("kubernetes:core/v1:ConfigMap") if r.name == "aws-auth"]


def test_without_an_admin_role_the_deployers_role_gets_an_access_entry(without_admin_role: Graph) -> None:
    graph = without_admin_role
    assert graph.one(CLUSTER).inputs["accessConfig"]["bootstrapClusterCreatorAdminPermissions"] is False
    entry = graph.one("aws:eks/accessEntry:AccessEntry")
    # The mocks' caller is assumed-role/platform-deployer/preflight: the entry names the role behind it.
    assert entry.inputs["principalArn"] == "arn:aws:iam::123456789012:role/platform-deployer"
    association = graph.one("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    assert association.inputs["principalArn"] == entry.inputs["principalArn"]
    assert "--role-arn" not in out(graph, "kubeconfig")


def test_adding_or_removing_the_admin_role_never_replaces_the_cluster(prod: Graph, without_admin_role: Graph) -> None:
    # bootstrapClusterCreatorAdminPermissions is ForceNew (terraform-provider-aws eks/cluster.go):
    # the cluster's inputs must not depend on adminRoleArn at all.
    entries = "aws:eks/accessEntry:AccessEntry"
    assert ADMIN_ROLE in {e.inputs["principalArn"] for e in prod.by_type(entries)}
    assert ADMIN_ROLE not in {e.inputs["principalArn"] for e in without_admin_role.by_type(entries)}
    with_admin = prod.one(CLUSTER).inputs
    without_admin = without_admin_role.one(CLUSTER).inputs
    assert with_admin == without_admin


def test_cluster_settings_that_avoid_surprises(prod: Graph) -> None:
    cluster = prod.one(CLUSTER)
    assert cluster.inputs["name"] == "platform-prod-eu"
    assert cluster.inputs["version"] == "1.35"
    assert cluster.inputs["upgradePolicy"] == {"supportType": "STANDARD"}
    assert cluster.inputs["bootstrapSelfManagedAddons"] is False
    assert cluster.inputs["kubernetesNetworkConfig"] == {"ipFamily": "ipv4", "serviceIpv4Cidr": "172.20.0.0/16"}
    assert cluster.inputs["vpcConfig"]["subnetIds"] == out(prod, "private")


# --- IAM ---------------------------------------------------------------------------------


def test_roles_carry_only_what_they_need(prod: Graph) -> None:
    roles = by_name(prod, ROLE)
    cluster_role, node_role = roles["eks-cluster-role"], roles["eks-node-role"]
    assert policy(cluster_role, "assumeRolePolicy")["Statement"][0]["Principal"] == {"Service": "eks.amazonaws.com"}
    assert policy(node_role, "assumeRolePolicy")["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    assert attached_policies(prod, cluster_role) == {"arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"}
    # No CNI or EBS policy on a node role: those add-ons have their own roles. No managed ECR
    # policy either: it allows every repository in every account.
    for role in (node_role, roles["eks-sandbox-node-role"]):
        assert policy(role, "assumeRolePolicy")["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
        assert attached_policies(prod, role) == {"arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"}
    assert prod.one(CLUSTER).inputs["roleArn"] == cluster_role.outputs["arn"]
    assert out(prod, "nodeRole") == node_role.outputs["arn"]
    assert out(prod, "sandboxRole") == roles["eks-sandbox-node-role"].outputs["arn"]


@pytest.mark.parametrize(
    ("role", "repository"), [("node-role", SYSTEM_REPOSITORY), ("sandbox-node-role", SANDBOX_REPOSITORY)]
)
def test_nodes_pull_only_from_their_own_repositories(prod: Graph, role: str, repository: str) -> None:
    grant = prod.one("aws:iam/rolePolicy:RolePolicy", f"eks-{role}-ecr-pull")
    assert grant.inputs["role"] == prod.one(ROLE, f"eks-{role}").id
    login, pull = policy(grant, "policy")["Statement"]
    assert login == {"Sid": "RegistryLogin", "Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"}
    assert pull["Action"] == sorted(
        ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    )
    # Its own repositories, and the EKS add-on images (VPC CNI, kube-proxy, ... on every node).
    assert pull["Resource"] == sorted([repository, "arn:aws:ecr:eu-west-1:602401143452:repository/*"])


@pytest.mark.parametrize(
    ("addon", "service_account", "managed_policy"),
    [
        ("vpc-cni", "aws-node", "AmazonEKS_CNI_Policy"),
        ("aws-ebs-csi-driver", "ebs-csi-controller-sa", "service-role/AmazonEBSCSIDriverPolicy"),
    ],
)
def test_aws_calling_addons_get_their_own_irsa_role(
    prod: Graph, addon: str, service_account: str, managed_policy: str
) -> None:
    role = prod.one(ROLE, f"eks-{addon}-role")
    oidc = prod.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    issuer_host = oidc.inputs["url"].removeprefix("https://")
    (trust,) = policy(role, "assumeRolePolicy")["Statement"]
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert trust["Principal"] == {"Federated": oidc.outputs["arn"]}
    assert trust["Condition"] == {
        "StringEquals": {
            f"{issuer_host}:sub": f"system:serviceaccount:kube-system:{service_account}",
            f"{issuer_host}:aud": "sts.amazonaws.com",
        }
    }
    assert attached_policies(prod, role) == {f"arn:aws:iam::aws:policy/{managed_policy}"}
    assert by_name(prod, ADDON)[f"eks-{addon}"].inputs["serviceAccountRoleArn"] == role.outputs["arn"]


def test_oidc_provider_for_irsa(prod: Graph) -> None:
    oidc = prod.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    issuer = prod.one(CLUSTER).outputs["identities"][0]["oidcs"][0]["issuer"]
    assert oidc.inputs["url"] == issuer == out(prod, "oidcUrl")
    assert oidc.inputs["clientIdLists"] == ["sts.amazonaws.com"]
    assert out(prod, "oidcArn") == oidc.outputs["arn"]


# --- nodes -------------------------------------------------------------------------------


def test_launch_templates_lock_down_metadata_and_encrypt_volumes(prod: Graph) -> None:
    templates = by_name(prod, LAUNCH_TEMPLATE)
    assert set(templates) == {"eks-system-lt", "eks-sandbox-lt"}
    cluster_sg = prod.one(CLUSTER).outputs["vpcConfig"]["clusterSecurityGroupId"]
    for group, template in (("system", templates["eks-system-lt"]), ("sandbox", templates["eks-sandbox-lt"])):
        metadata = template.inputs["metadataOptions"]
        assert metadata["httpTokens"] == "required"
        assert metadata["httpPutResponseHopLimit"] == 1
        assert metadata["httpEndpoint"] == "enabled"
        (disk,) = template.inputs["blockDeviceMappings"]
        assert disk["deviceName"] == "/dev/xvda"
        assert disk["ebs"]["encrypted"] == "true"
        assert disk["ebs"]["volumeType"] == "gp3"
        assert disk["ebs"]["volumeSize"] == (80 if group == "sandbox" else 50)
        expected = [out(prod, "sandboxSg")] if group == "sandbox" else [cluster_sg, out(prod, "nodeSg")]
        assert template.inputs["vpcSecurityGroupIds"] == expected
        kinds = {spec["resourceType"]: spec["tags"] for spec in template.inputs["tagSpecifications"]}
        assert set(kinds) == {"instance", "volume", "network-interface"}
        assert kinds["instance"]["cost-center"] == "c" and kinds["instance"][NODE_GROUP_LABEL] == group


def test_node_groups_run_in_private_subnets_from_their_templates(prod: Graph) -> None:
    groups = by_name(prod, NODE_GROUP)
    templates = by_name(prod, LAUNCH_TEMPLATE)
    assert set(groups) == {"eks-system", "eks-sandbox"}
    for name, group in groups.items():
        assert group.inputs["subnetIds"] == out(prod, "private")
        assert group.inputs["clusterName"] == "platform-prod-eu"
        assert group.inputs["version"] == "1.35"
        assert group.inputs["amiType"] == "AL2023_x86_64_STANDARD"
        # AWS's recommended AMI release, read from its public SSM parameter (the mocks' value).
        assert group.inputs["releaseVersion"] == "1.35.0-20261101"
        role = "eks-sandbox-node-role" if name == "eks-sandbox" else "eks-node-role"
        assert group.inputs["nodeRoleArn"] == prod.one(ROLE, role).outputs["arn"]
        assert group.inputs["launchTemplate"] == {"id": templates[f"{name}-lt"].id, "version": "1"}
        assert "diskSize" not in group.inputs  # the template owns the disk
        assert group.inputs["updateConfig"] == {"maxUnavailablePercentage": 25}
        assert group.inputs["nodeRepairConfig"] == {"enabled": True}
        assert group.ignore_changes == ["scalingConfig.desiredSize"]


def test_sandbox_group_is_tainted_and_labelled_and_system_is_on_demand(prod: Graph) -> None:
    groups = by_name(prod, NODE_GROUP)
    system, sandbox = groups["eks-system"], groups["eks-sandbox"]
    assert sandbox.inputs["taints"] == [{"key": SANDBOX_TAINT_KEY, "value": "true", "effect": "NO_SCHEDULE"}]
    assert sandbox.inputs["labels"] == {"workload": "untrusted", NODE_GROUP_LABEL: "sandbox"}
    assert sandbox.inputs["capacityType"] == "SPOT"
    assert sandbox.inputs["instanceTypes"] == ["m7i.xlarge", "m6i.xlarge"]
    assert sandbox.inputs["scalingConfig"] == {"minSize": 3, "desiredSize": 3, "maxSize": 30}
    assert "taints" not in system.inputs
    assert system.inputs["labels"] == {NODE_GROUP_LABEL: "system"}
    assert system.inputs["capacityType"] == "ON_DEMAND"


def test_release_versions_come_from_the_recommended_ami_parameter(graviton_system: Graph) -> None:
    graph = graviton_system
    names = {call.args["name"] for call in graph.invokes if call.token == "aws:ssm/getParameter:getParameter"}
    prefix = "/aws/service/eks/optimized-ami/1.35/amazon-linux-2023"
    assert names == {
        f"{prefix}/arm64/standard/recommended/release_version",
        f"{prefix}/x86_64/standard/recommended/release_version",
    }
    # The launch templates set no image: EKS accepts releaseVersion only then.
    assert all("imageId" not in template.inputs for template in graph.by_type(LAUNCH_TEMPLATE))


def test_graviton_groups_get_the_arm_ami(graviton_system: Graph) -> None:
    registered = by_name(graviton_system, NODE_GROUP)
    assert registered["eks-system"].inputs["amiType"] == "AL2023_ARM_64_STANDARD"
    assert registered["eks-sandbox"].inputs["amiType"] == "AL2023_x86_64_STANDARD"


def test_node_security_group_is_an_identity_without_rules(prod: Graph) -> None:
    group = prod.one("aws:ec2/securityGroup:SecurityGroup", "eks-nodes-sg")
    assert out(prod, "nodeSg") == group.id
    assert "ingress" not in group.inputs or group.inputs["ingress"] == []
    assert not any(key.startswith("kubernetes.io/cluster/") for key in group.inputs["tags"])


def rules(graph: Graph) -> list[dict[str, Any]]:
    found = []
    for kind in ("ingress", "egress"):
        token = f"aws:vpc/securityGroup{kind.title()}Rule:SecurityGroup{kind.title()}Rule"
        found += [{"kind": kind, **rule.inputs} for rule in graph.by_type(token)]
    return found


def test_sandbox_nodes_have_a_network_of_their_own(prod: Graph) -> None:
    sandbox, system = out(prod, "sandboxSg"), out(prod, "nodeSg")
    cluster_sg = prod.one(CLUSTER).outputs["vpcConfig"]["clusterSecurityGroupId"]
    control_plane = prod.one("aws:ec2/securityGroup:SecurityGroup", "eks-control-plane-sg").id
    assert sandbox not in (system, cluster_sg)
    shape = {
        (
            rule["kind"],
            rule["securityGroupId"],
            rule["ipProtocol"],
            rule.get("fromPort"),
            rule.get("referencedSecurityGroupId"),
            rule.get("cidrIpv4"),
        )
        for rule in rules(prod)
    }
    assert shape == {
        # The control plane and the system nodes may call sandbox nodes (kubelet, webhooks, services).
        ("ingress", sandbox, "-1", None, cluster_sg, None),
        ("ingress", sandbox, "-1", None, system, None),
        # Sandbox nodes may reach HTTPS (API server, ECR, S3, STS) and CoreDNS; nothing else.
        ("egress", sandbox, "tcp", 443, None, "0.0.0.0/0"),
        ("egress", sandbox, "udp", 53, system, None),
        ("egress", sandbox, "tcp", 53, system, None),
        ("ingress", system, "udp", 53, sandbox, None),
        ("ingress", system, "tcp", 53, sandbox, None),
        # The API server, on the control plane's own group: not on the cluster group that every
        # system node and pod carries.
        ("ingress", control_plane, "tcp", 443, sandbox, None),
    }
    assert not [rule for rule in rules(prod) if rule["securityGroupId"] == cluster_sg]


def test_the_control_plane_has_a_group_of_its_own(prod: Graph) -> None:
    group = prod.one("aws:ec2/securityGroup:SecurityGroup", "eks-control-plane-sg")
    # vpcConfig.securityGroupIds: attached to the control plane's network interfaces only.
    assert prod.one(CLUSTER).inputs["vpcConfig"]["securityGroupIds"] == [group.id]
    # No node carries it: neither launch template lists it.
    for template in prod.by_type(LAUNCH_TEMPLATE):
        assert group.id not in template.inputs["vpcSecurityGroupIds"]
    assert "ingress" not in group.inputs or group.inputs["ingress"] == []


def test_node_groups_wait_for_their_network_and_roll_one_after_the_other(prod: Graph) -> None:
    groups = by_name(prod, NODE_GROUP)
    network = {
        rule.urn
        for token in ("Ingress", "Egress")
        for rule in prod.by_type(f"aws:vpc/securityGroup{token}Rule:SecurityGroup{token}Rule")
    }
    assert network
    for group in groups.values():
        assert network <= set(group.dependencies), group.name
    # A new AMI release rolls the system nodes first, then the sandbox's, never both at once.
    assert groups["eks-system"].urn in groups["eks-sandbox"].dependencies
    assert groups["eks-sandbox"].urn not in groups["eks-system"].dependencies


def test_the_ami_release_a_group_rolls_to_shows_in_the_diff(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    # The provider marks the data source's `value` secret (Sensitive), `insecure_value` not; the
    # mocks do not, so this fake answers as the provider does.
    real = aws.ssm.get_parameter_output

    class Answer:
        def __init__(self, result: Any) -> None:
            self.value = result.value.apply(lambda v: pulumi.Output.secret(v))
            self.insecure_value = result.insecure_value

    monkeypatch.setattr(aws.ssm, "get_parameter_output", lambda *a, **k: Answer(real(*a, **k)))
    for group in build(harness).by_type(NODE_GROUP):
        assert group.inputs["releaseVersion"] == "1.35.0-20261101"
        assert not holds_secret(group.inputs_with_secrets["releaseVersion"]), group.name


# --- add-ons -----------------------------------------------------------------------------


def test_every_addon_is_installed(prod: Graph) -> None:
    addons = {a.inputs["addonName"]: a for a in prod.by_type(ADDON)}
    assert set(addons) == set(EKS_ADDONS) == {spec.name for spec in ADDONS}
    for addon in addons.values():
        assert addon.inputs["clusterName"] == "platform-prod-eu"
        assert addon.inputs["addonVersion"].startswith("v")
        assert addon.inputs["resolveConflictsOnUpdate"] == "OVERWRITE"
    assert json.loads(addons["vpc-cni"].inputs["configurationValues"]) == {
        "enableNetworkPolicy": "true",
        "env": {"NETWORK_POLICY_ENFORCING_MODE": "strict"},  # new pods start deny-all (docs/sandbox.md)
    }


def test_every_addon_version_is_the_pinned_one(prod: Graph) -> None:
    addons = {a.inputs["addonName"]: a.inputs["addonVersion"] for a in prod.by_type(ADDON)}
    assert addons == ADDON_VERSIONS
    # Nothing looked up: an AWS default that moves would show as a change on a later preview.
    assert not [call for call in prod.invokes if call.token == "aws:eks/getAddonVersion:getAddonVersion"]


@pytest.mark.parametrize(
    ("versions", "message"),
    [
        (
            {k: v for k, v in ADDON_VERSIONS.items() if k != "coredns"},
            "args.addon_versions: pin every add-on's version; missing ['coredns']",
        ),
        (
            {**ADDON_VERSIONS, "kube-proxy": "v1.34.0-eksbuild.5"},
            "args.addon_versions.kube-proxy: v1.34.0-eksbuild.5 is not a 1.35 build",
        ),
    ],
)
def test_addon_versions_must_all_be_pinned_and_match_the_cluster(versions: dict[str, str], message: str) -> None:
    with pytest.raises(ClusterArgsError, match="^" + re.escape(message)):
        cluster_args(addon_versions=versions)


def test_addons_are_ordered_around_the_nodes(prod: Graph) -> None:
    addons = {a.inputs["addonName"]: a for a in prod.by_type(ADDON)}
    groups = [g.urn for g in prod.by_type(NODE_GROUP)]
    for group in prod.by_type(NODE_GROUP):
        for early in ("vpc-cni", "kube-proxy", "eks-pod-identity-agent"):
            assert addons[early].urn in group.dependencies, f"{group.name} must wait for {early}"
    for late in ("coredns", "aws-ebs-csi-driver", "metrics-server"):
        assert set(groups) <= set(addons[late].dependencies), f"{late} needs nodes to run on"


# --- Kubernetes access -------------------------------------------------------------------


def test_kubeconfig_is_a_secret_that_uses_aws_eks_get_token(prod: Graph) -> None:
    output = prod.outputs["kubeconfig"]
    assert output.secret is True
    kubeconfig = json.loads(output.value)
    cluster = prod.one(CLUSTER)
    (entry,) = kubeconfig["clusters"]
    assert entry["cluster"]["server"] == cluster.outputs["endpoint"] == out(prod, "endpoint")
    assert entry["cluster"]["certificate-authority-data"] == cluster.outputs["certificateAuthority"]["data"]
    assert out(prod, "ca") == cluster.outputs["certificateAuthority"]["data"]
    (user,) = kubeconfig["users"]
    exec_config = user["user"]["exec"]
    assert exec_config["command"] == "aws"
    assert exec_config["args"][:4] == ["eks", "get-token", "--cluster-name", "platform-prod-eu"]
    assert exec_config["args"][-2:] == ["--role-arn", ADMIN_ROLE]
    assert "--region" in exec_config["args"] and "eu-west-1" in exec_config["args"]


def test_kubernetes_provider_is_parented_and_used(prod: Graph) -> None:
    component = prod.one("platform:index:Cluster")
    provider = prod.one("pulumi:providers:kubernetes", "eks-kubernetes")
    assert provider.parent == component.urn
    assert provider.inputs["kubeconfig"] == out(prod, "kubeconfig")
    assert rpc.is_rpc_secret(provider.inputs_with_secrets["kubeconfig"])  # secret in state, too
    namespace = prod.one("kubernetes:core/v1:Namespace", "probe")
    assert namespace.provider_urn == provider.urn
    # The provider waits for admin access, every node group and add-on.
    waits_for = {prod.get(urn).type for urn in provider.dependencies}
    assert {"aws:eks/accessPolicyAssociation:AccessPolicyAssociation", NODE_GROUP, ADDON} <= waits_for


def test_every_aws_child_is_parented_and_uses_the_region_provider(prod: Graph) -> None:
    component = prod.one("platform:index:Cluster")
    aws_provider = prod.one("pulumi:providers:aws")
    children = prod.children(component)
    assert children
    for child in children:
        if child.type.startswith("aws:"):
            assert child.provider_urn == aws_provider.urn, child.urn


def test_outputs(prod: Graph) -> None:
    cluster = prod.one(CLUSTER)
    assert out(prod, "clusterName") == "platform-prod-eu"
    assert out(prod, "clusterSg") == cluster.outputs["vpcConfig"]["clusterSecurityGroupId"]
    component = prod.one("platform:index:Cluster")
    assert component.outputs.keys() >= {
        "clusterName",
        "clusterArn",
        "endpoint",
        "certificateAuthorityData",
        "oidcProviderArn",
        "oidcProviderUrl",
        "nodeSecurityGroupId",
        "sandboxSecurityGroupId",
        "clusterSecurityGroupId",
        "nodeRoleArn",
        "sandboxNodeRoleArn",
        "kubeconfig",
    }


# --- autoscaling -------------------------------------------------------------------------


def test_cluster_autoscaler_runs_on_the_system_nodes_with_its_own_role(prod: Graph) -> None:
    deployment = prod.one("kubernetes:apps/v1:Deployment")
    assert deployment.provider_urn == prod.one("pulumi:providers:kubernetes", "eks-kubernetes").urn
    assert deployment.inputs["metadata"]["namespace"] == "cluster-autoscaler"
    pod = deployment.inputs["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == AUTOSCALER_IMAGE  # the cluster's minor version, from our ECR
    assert pod["nodeSelector"] == {NODE_GROUP_LABEL: "system"}
    assert "--cloud-provider=aws" in container["command"]
    assert (
        "--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,"
        "k8s.io/cluster-autoscaler/platform-prod-eu" in container["command"]
    )
    assert container["resources"] == {
        "requests": {"cpu": "100m", "memory": "600Mi"},
        "limits": {"cpu": "100m", "memory": "600Mi"},
    }
    (account,) = [a for a in prod.by_type("kubernetes:core/v1:ServiceAccount") if a.name == "eks-autoscaler-sa"]
    role = prod.one(ROLE, "eks-autoscaler-role")
    assert account.inputs["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": role.outputs["arn"]}
    issuer_host = prod.one("aws:iam/openIdConnectProvider:OpenIdConnectProvider").inputs["url"].removeprefix("https://")
    (trust,) = policy(role, "assumeRolePolicy")["Statement"]
    assert (
        trust["Condition"]["StringEquals"][f"{issuer_host}:sub"]
        == "system:serviceaccount:cluster-autoscaler:cluster-autoscaler"
    )
    discover, scale = policy(prod.one("aws:iam/rolePolicy:RolePolicy", "eks-autoscaler-role-scaling"), "policy")[
        "Statement"
    ]
    assert "eks:DescribeNodegroup" in discover["Action"]  # labels and taints of a group at size zero
    # It may resize only this cluster's groups.
    assert scale["Action"] == ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"]
    assert scale["Condition"] == {
        "StringEquals": {"aws:ResourceTag/k8s.io/cluster-autoscaler/platform-prod-eu": "owned"}
    }


def test_without_an_own_registry_the_autoscaler_is_the_upstream_release(harness: Harness) -> None:
    graph = build(harness, autoscaler_image=None)
    (container,) = graph.one("kubernetes:apps/v1:Deployment").inputs["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "registry.k8s.io/autoscaling/cluster-autoscaler:v1.35.2"


def test_cluster_autoscaler_namespace_is_restricted_and_denies_by_default(prod: Graph) -> None:
    namespace = prod.one("kubernetes:core/v1:Namespace", "eks-autoscaler-namespace")
    assert namespace.inputs["metadata"]["name"] == "cluster-autoscaler"
    assert namespace.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert namespace.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce-version"] == "v1.35"
    policies = {p.inputs["metadata"]["name"]: p.inputs["spec"] for p in prod.by_type(NETWORK_POLICY)}
    assert policies["default-deny-all"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    egress = policies["allow-dns-and-https-egress"]["egress"]
    assert [rule["ports"] for rule in egress] == [
        [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
        [{"protocol": "TCP", "port": 443}],
    ]


def test_a_version_past_standard_support_runs_only_under_the_extended_policy(harness: Harness) -> None:
    old = {**ADDON_VERSIONS, "kube-proxy": "v1.33.3-eksbuild.11"}
    ended = "args.kubernetes_version: standard support for 1.33 ended on 2026-07-29: with support_type STANDARD"
    with pytest.raises(ClusterArgsError, match="^" + re.escape(ended)):
        cluster_args(kubernetes_version="1.33", addon_versions=old)
    graph = build(harness, kubernetes_version="1.33", addon_versions=old, support_type=EksSupportType.EXTENDED)
    assert graph.one(CLUSTER).inputs["upgradePolicy"] == {"supportType": "EXTENDED"}

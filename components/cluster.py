"""Cluster: a hardened EKS cluster with managed node groups and a Kubernetes provider.

Secure defaults beyond a bare `aws.eks.Cluster`:
- the API endpoint is private; a public endpoint needs an explicit CIDR allowlist (ClusterArgs
  rejects 0.0.0.0/0; the stack layer keeps prod's private);
- Kubernetes secrets are envelope-encrypted with the cluster's own customer-managed key;
- all five control-plane log types go to a KMS-encrypted log group with a set retention;
- access is through EKS access entries only (no aws-auth ConfigMap); `admin_role_arn` gets
  cluster-admin, and the Kubernetes provider authenticates as that role;
- nodes run from launch templates that require IMDSv2 with hop limit 1, so pods cannot read
  the node's credentials, on encrypted gp3 root volumes;
- the node roles have only what a node needs, and pull images only from the platform's own ECR
  repositories and EKS's add-on registry; add-ons that call AWS (VPC CNI, EBS CSI) get their
  own roles through IRSA, never a node role;
- node groups have a kind (NodeGroupKind): a `sandbox` group is tainted so only pods that
  tolerate the taint (the language services) run on it; groups are on-demand unless told;
- sandbox nodes boot with gVisor (containerd handler `runsc`, RuntimeClass `gvisor`), a per-pod
  PID limit, single-process OOM kills and a host firewall against pod-to-node connections, all
  from their launch template's user data (components/sandbox_node.py, docs/sandbox.md);
- the VPC CNI enforces NetworkPolicies in strict mode: a new pod is deny-all until its policies
  apply;
- untrusted code is kept apart from the data: sandbox nodes have their own IAM role and their
  own security group, and do not carry the EKS cluster security group or the system nodes'
  group, which are the groups the data stores and the system nodes admit;
- nodes patch and scale themselves: each group's AMI release follows AWS's recommended release
  (an SSM public parameter), and the cluster-autoscaler resizes groups between min and max;
- the cluster creator gets no implicit admin (`bootstrapClusterCreatorAdminPermissions` is
  ForceNew, so it is always false); an access entry grants cluster-admin instead, so changing
  who is admin never replaces the cluster.

Pass the region's provider in `opts`; every child inherits it through `parent=self`. Build it
from `ClusterArgs` (plain fields, validated with errors that name the field): the `ClusterSettings`
a person chooses (version, node groups, add-ons, access, protection) plus the wiring a caller fills
in (name, network, image repositories, deployer). The platform's stack file is mapped onto the
settings by eksplatform/stack/cluster_args.py, which also holds the platform's own rules (a
`system` and a `sandbox` group, prod's private endpoint).
"""

import ipaddress
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NoReturn

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from eksplatform.components import eks_rules, iam
from eksplatform.components.aws_context import AwsContext
from eksplatform.components.cluster_autoscaler import (
    UPSTREAM_REPOSITORY,
    ClusterAutoscaler,
    ClusterAutoscalerArgs,
    image_tag,
)
from eksplatform.components.facts import EKS_ADDONS, EKS_SERVICE_IPV4_CIDR, EksAddon, log_retention_problem
from eksplatform.components.inputs import ArgsError, check_fields, to_args
from eksplatform.components.instance_types import architecture
from eksplatform.components.kms import customer_managed_key
from eksplatform.components.log_groups import encrypted_log_group
from eksplatform.components.offline import current
from eksplatform.components.sandbox_node import RUNTIME_CLASS, RUNTIME_HANDLER, RUNTIME_OVERHEAD, user_data_base64
from eksplatform.environments import profile

# The platform's two group names (its stack layer requires both): the other components select
# the platform's nodes by them.
SYSTEM_GROUP = "system"
SANDBOX_GROUP = "sandbox"
# Every node carries its group's name under this label; workloads select a group with it.
NODE_GROUP_LABEL = "platform/node-group"
# Only pods that tolerate this taint (the language services) are scheduled on sandbox nodes.
SANDBOX_TAINT_KEY = "platform/sandbox"
SANDBOX_TAINT_VALUE = "true"
SANDBOX_TOLERATION = {
    "key": SANDBOX_TAINT_KEY,
    "operator": "Equal",
    "value": SANDBOX_TAINT_VALUE,
    "effect": "NoSchedule",
}
# Under strict network-policy enforcement a pod no policy selects is deny-all. The EKS add-ons in
# kube-system (CoreDNS, metrics-server, the EBS CSI driver) bring no policies, so this one keeps
# their namespace as open as standard mode left it; it must exist before they start.
KUBE_SYSTEM_ALLOW: dict[str, Any] = {
    "metadata": {"name": "allow-all-kube-system", "namespace": "kube-system"},
    "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"], "ingress": [{}], "egress": [{}]},
}

CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
AMI_TYPES = {"x86_64": "AL2023_x86_64_STANDARD", "arm64": "AL2023_ARM_64_STANDARD"}
CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"
# AWS's recommended AL2023 EKS AMI release per Kubernetes version and architecture (EKS user
# guide, "Retrieve recommended Amazon Linux AMI IDs"): a public SSM parameter.
RELEASE_VERSION_PARAMETER = (
    "/aws/service/eks/optimized-ami/{version}/amazon-linux-2023/{arch}/standard/recommended/release_version"
)
# The account whose ECR hosts the EKS add-on images (VPC CNI, kube-proxy, CoreDNS, EBS CSI, Pod
# Identity Agent) in every region of config.REGION_AZ_COUNTS (EKS user guide, "View Amazon
# container image registries for Amazon EKS add-ons"); a few opt-in regions use another account.
EKS_ADDON_REGISTRY_ACCOUNT = "602401143452"
# Image pulls: GetAuthorizationToken takes no resource (ECR user guide, "Private registry
# authentication"); the layer and manifest reads are scoped to repositories.
ECR_PULL_ACTIONS = ("ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")

# The control-plane logs' default retention: the longest any environment requires (prod's).
DEFAULT_LOG_RETENTION_DAYS = profile("prod").min_log_retention_days


@dataclass(frozen=True)
class AddonSpec:
    """How the cluster runs one EKS add-on."""

    name: EksAddon
    before_nodes: bool
    """Installed before node groups: nodes cannot become Ready without it."""
    service_account: str | None = None
    """kube-system service account that assumes the add-on's own IAM role (IRSA)."""
    managed_policy: str | None = None
    """AWS-managed policy for that role."""
    configuration: Mapping[str, Any] = field(default_factory=dict)


ADDONS: tuple[AddonSpec, ...] = (
    # Network policy enforcement on, in strict mode: a new pod starts deny-all until its policies
    # apply, instead of allow-all (EKS user guide, "Restrict Pod network traffic with Kubernetes
    # network policies"; the add-on's configuration schema: env.NETWORK_POLICY_ENFORCING_MODE,
    # standard | strict). Pods no policy selects stay deny-all too: KUBE_SYSTEM_ALLOW keeps the
    # add-ons' namespace open as before; every namespace the stack manages has its own policies.
    AddonSpec(
        "vpc-cni",
        True,
        "aws-node",
        "AmazonEKS_CNI_Policy",
        {"enableNetworkPolicy": "true", "env": {"NETWORK_POLICY_ENFORCING_MODE": "strict"}},
    ),
    AddonSpec("kube-proxy", True),
    AddonSpec("eks-pod-identity-agent", True),
    AddonSpec("coredns", False),
    AddonSpec("aws-ebs-csi-driver", False, "ebs-csi-controller-sa", "service-role/AmazonEBSCSIDriverPolicy"),
    AddonSpec("metrics-server", False),  # the language services' HPAs read its metrics
)
assert {spec.name for spec in ADDONS} == set(EKS_ADDONS), "every add-on in config.EKS_ADDONS needs an AddonSpec"


class ClusterArgsError(ArgsError):
    """Bad Cluster arguments; the message starts with the argument's path, e.g. `args.node_groups[1].max_size`.

    A `RunError`, so `pulumi up` prints the message without a traceback.
    """


class NodeGroupKind(StrEnum):
    """What a node group runs, which decides its role, security group, taint and runtime."""

    SYSTEM = "system"
    """Trusted workloads and the add-ons: the system node role and security group, which data stores admit."""
    SANDBOX = "sandbox"
    """Untrusted code: tainted, gVisor (`runsc`), a host firewall, its own role and security group."""


class NodeCapacityType(StrEnum):
    """How EC2 bills a group's instances (EKS CreateNodegroup, capacityType)."""

    ON_DEMAND = "ON_DEMAND"
    """On-demand instances: never reclaimed."""
    SPOT = "SPOT"
    """Spot instances: cheaper, and reclaimed with two minutes' notice."""


class EksSupportType(StrEnum):
    """What EKS does when the cluster's version leaves standard support (UpgradePolicy.supportType)."""

    STANDARD = "STANDARD"
    """EKS upgrades the control plane itself when standard support ends."""
    EXTENDED = "EXTENDED"
    """12 more months on the version, at the extended-support price."""


DEFAULT_DISK_SIZE_GIB = 50
DEFAULT_MAX_UNAVAILABLE_PERCENTAGE = 25


@dataclass(frozen=True, kw_only=True)
class ClusterNodeGroup:
    """One EKS managed node group (ClusterArgs.node_groups)."""

    name: str
    """The group's name: 1-63 letters, digits, '-' or '_', alphanumeric at both ends (EKS, and the nodes' label
    `platform/node-group` carries it)."""
    instance_types: Sequence[str]
    """EC2 instance types, e.g. [m7i.large]; all of one CPU architecture (one group runs one AMI)."""
    min_size: int
    """Fewest nodes, 0 or more; the cluster-autoscaler never goes below."""
    desired_size: int
    """Nodes at creation, between min_size and max_size; afterwards the cluster-autoscaler owns the count."""
    max_size: int
    """Most nodes the cluster-autoscaler may add, 1 or more."""
    kind: NodeGroupKind | None = None
    """`system` or `sandbox` (gVisor, tainted, its own role and security group). Default: system."""
    capacity_type: NodeCapacityType | None = None
    """ON_DEMAND or SPOT (reclaimed at two minutes' notice). Default: ON_DEMAND."""
    disk_size_gib: int | None = None
    """Size of the encrypted gp3 root volume in GiB (20-16384). Default: 50."""
    labels: Mapping[str, str] | None = None
    """Extra Kubernetes node labels; keys and values of 1-63 characters (EKS). Default: none."""
    max_unavailable_percentage: int | None = None
    """Share of nodes a rolling update (e.g. a new AMI release) may take down at once (1-100). Default: 25."""

    @property
    def resolved_kind(self) -> NodeGroupKind:
        return NodeGroupKind.SYSTEM if self.kind is None else NodeGroupKind(self.kind)  # a plain str too

    @property
    def resolved_capacity_type(self) -> NodeCapacityType:
        return NodeCapacityType.ON_DEMAND if self.capacity_type is None else NodeCapacityType(self.capacity_type)

    @property
    def resolved_disk_size_gib(self) -> int:
        return DEFAULT_DISK_SIZE_GIB if self.disk_size_gib is None else self.disk_size_gib

    @property
    def resolved_max_unavailable_percentage(self) -> int:
        if self.max_unavailable_percentage is None:
            return DEFAULT_MAX_UNAVAILABLE_PERCENTAGE
        return self.max_unavailable_percentage

    def check(self, path: str) -> None:
        """Raise ClusterArgsError naming `path.<field>` for the first EKS rule this group breaks (the
        settings' check_fields has already refused a kind or capacity_type that is not a member)."""

        def fail(name: str, message: str) -> NoReturn:
            raise ClusterArgsError(f"{path}.{name}: {message}")

        if (name_problem := eks_rules.node_group_name_problem(self.name)) is not None:
            fail("name", name_problem)
        if (problem := eks_rules.instance_types_problem(self.instance_types)) is not None:
            index, message = problem
            fail("instance_types" if index is None else f"instance_types[{index}]", message)
        for field_name, value, low in (
            ("min_size", self.min_size, eks_rules.MIN_GROUP_NODES),
            ("max_size", self.max_size, eks_rules.MIN_GROUP_MAX_NODES),
        ):
            if value < low:
                fail(field_name, f"{value}: EKS needs at least {low}")
        if self.min_size > self.max_size:
            fail("min_size", f"{self.min_size} is greater than max_size {self.max_size}")
        if not self.min_size <= self.desired_size <= self.max_size:
            fail(
                "desired_size",
                f"{self.desired_size} is not between min_size {self.min_size} and max_size {self.max_size}",
            )
        disk, low_disk, high_disk = self.resolved_disk_size_gib, eks_rules.MIN_DISK_GIB, eks_rules.MAX_DISK_GIB
        if not low_disk <= disk <= high_disk:
            fail("disk_size_gib", f"{disk} is outside {low_disk}-{high_disk} GiB")
        unavailable = self.resolved_max_unavailable_percentage
        low_share, high_share = eks_rules.MIN_UNAVAILABLE_PERCENT, eks_rules.MAX_UNAVAILABLE_PERCENT
        if not low_share <= unavailable <= high_share:
            fail("max_unavailable_percentage", f"{unavailable} is outside {low_share}-{high_share}")
        for key, label in (self.labels or {}).items():
            if key == NODE_GROUP_LABEL:
                fail(f"labels.{key}", "the cluster sets this label to the group's name")
            if (label_problem := eks_rules.label_problem(key, label)) is not None:
                fail(f"labels.{key}", label_problem)


@dataclass(frozen=True, kw_only=True)
class DeployerAccess:
    """How the deployer's runner reaches and administers the cluster (components/deployer.py)."""

    cidr: str
    """The deployer network: admitted on 443 by the control plane's security group."""
    runner_role_arn: str
    """The runner's IAM role: gets an access entry with cluster-admin."""


@dataclass(frozen=True, kw_only=True)
class ClusterSettings:
    """What a person chooses for an EKS cluster: its version, node groups, add-ons, access and
    protection. `ClusterArgs` adds the wiring (name, network, image repositories, deployer)."""

    # A setting with a default is typed `X | None = None` (None: the default): Pulumi's component
    # analyzer marks an input optional only when its type admits None (docs/other-languages.md).
    kubernetes_version: str
    """The Kubernetes minor version, e.g. "1.35"; one EKS supports."""
    node_groups: Sequence[ClusterNodeGroup]
    """Managed node groups: at least one of kind `system` (the add-ons run there), at most one `sandbox`."""
    addon_versions: Mapping[str, str]
    """Every EKS add-on's version by name, e.g. {"vpc-cni": "v1.20.4-eksbuild.2"}: pinned, never AWS's default."""
    endpoint_public_access: bool | None = None
    """Also serve the API on a public endpoint, for public_access_cidrs only. Default: false (private only)."""
    public_access_cidrs: Sequence[str] | None = None
    """IPv4 CIDRs allowed to reach the public endpoint; required with it, never 0.0.0.0/0. Default: none."""
    admin_role_arn: str | None = None
    """IAM role given cluster-admin by an access entry. Default: the deployer's runner role, else the caller's."""
    log_retention_days: int | None = None
    """Retention of the control-plane logs in days, a CloudWatch retention period. Default: 365 (prod's minimum)."""
    support_type: EksSupportType | None = None
    """What EKS does when the version leaves standard support. Default: STANDARD."""
    deletion_protection: bool | None = None
    """EKS refuses to delete the cluster while on. Default: true (prod's setting)."""

    def __post_init__(self) -> None:
        check_fields(self, ClusterArgsError)  # an Output or wrong type, named (the Args' wiring too)

        def fail(name: str, message: str) -> NoReturn:
            raise ClusterArgsError(f"args.{name}: {message}")

        if (problem := eks_rules.unsupported_version(self.kubernetes_version)) is not None:
            fail("kubernetes_version", problem)
        extended = self.resolved_support_type is EksSupportType.EXTENDED
        if (ended := eks_rules.standard_support_ended(self.kubernetes_version, extended, "support_type")) is not None:
            fail("kubernetes_version", ended)
        self._check_node_groups()
        addons = eks_rules.addon_versions_problem(self.addon_versions, self.kubernetes_version)
        if addons is not None:
            addon, message = addons
            fail(f"addon_versions.{addon}" if addon else "addon_versions", message)
        cidrs: list[ipaddress.IPv4Network] = []
        for index, cidr in enumerate(self.public_access_cidrs or ()):
            try:
                cidrs.append(ipaddress.IPv4Network(cidr))
            except ValueError as error:
                fail(f"public_access_cidrs[{index}]", f"{cidr!r} is not an IPv4 CIDR ({error})")
        public = eks_rules.public_access_problem(bool(self.endpoint_public_access), cidrs, "endpoint_public_access")
        if public is not None:
            position, reason = public
            fail("public_access_cidrs" if position is None else f"public_access_cidrs[{position}]", reason)
        if self.admin_role_arn is not None and not eks_rules.ROLE_ARN.fullmatch(self.admin_role_arn):
            fail(
                "admin_role_arn", f"{self.admin_role_arn!r} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)"
            )
        if (retention := log_retention_problem(self.resolved_log_retention_days)) is not None:
            fail("log_retention_days", retention)

    def _check_node_groups(self) -> None:
        for index, group in enumerate(self.node_groups):
            group.check(f"args.node_groups[{index}]")
        names = [group.name for group in self.node_groups]
        for index, name in enumerate(names):
            if name in names[:index]:
                raise ClusterArgsError(f"args.node_groups[{index}].name: {name!r} names two groups")
        kinds = [group.resolved_kind for group in self.node_groups]
        if NodeGroupKind.SYSTEM not in kinds:
            # Sandbox nodes are tainted: CoreDNS, metrics-server, the EBS CSI controller and the
            # autoscaler would have nowhere to run, and the cluster would never become usable.
            raise ClusterArgsError(
                "args.node_groups: add a group of kind `system`: the add-ons cannot run on tainted sandbox nodes"
            )
        sandboxes = [index for index, kind in enumerate(kinds) if kind is NodeGroupKind.SANDBOX]
        if len(sandboxes) > 1:
            raise ClusterArgsError(
                f"args.node_groups[{sandboxes[1]}].kind: one `sandbox` group at most: the `{RUNTIME_CLASS}` "
                "RuntimeClass schedules its pods onto one group's nodes"
            )

    @property
    def resolved_support_type(self) -> EksSupportType:
        return EksSupportType.STANDARD if self.support_type is None else EksSupportType(self.support_type)

    @property
    def resolved_log_retention_days(self) -> int:
        return self.log_retention_days if self.log_retention_days is not None else DEFAULT_LOG_RETENTION_DAYS

    @property
    def resolved_deletion_protection(self) -> bool:
        if self.deletion_protection is None:
            return profile("prod").eks_deletion_protection
        return self.deletion_protection

    @property
    def system_group(self) -> ClusterNodeGroup:
        """The first `system` group: created first, and where the cluster-autoscaler runs."""
        return next(group for group in self.node_groups if group.resolved_kind is NodeGroupKind.SYSTEM)

    @property
    def sandbox_group(self) -> ClusterNodeGroup | None:
        """The `sandbox` group, if any."""
        return next((group for group in self.node_groups if group.resolved_kind is NodeGroupKind.SANDBOX), None)


@dataclass(frozen=True, kw_only=True)
class ClusterArgs(ClusterSettings):
    """A private, encrypted EKS cluster: its settings (ClusterSettings), and its name, network and access."""

    cluster_name: str
    """The EKS cluster's name: 1-100 letters, digits, '-' or '_', starting alphanumeric."""
    vpc_id: pulumi.Input[str]
    """The VPC of the cluster's security groups."""
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """Private subnets: the control plane's network interfaces and every node group."""
    instance_tags: Mapping[str, str] | None = None
    """Tags for the nodes' instances and volumes (provider default tags miss them). Default: none."""
    system_image_repository_arns: Sequence[pulumi.Input[str]] | None = None
    """ECR repositories the system nodes may pull from, besides EKS's add-on registry. Default: none."""
    sandbox_image_repository_arns: Sequence[pulumi.Input[str]] | None = None
    """ECR repositories the sandbox nodes may pull from, besides EKS's add-on registry. Default: none."""
    autoscaler_image: str | None = None
    """The cluster-autoscaler image. Default: the upstream release matching kubernetes_version."""
    deployer: DeployerAccess | None = None
    """Where `pulumi up` runs from outside this VPC: its CIDR reaches the API, its role is admin. Default: none."""

    def __post_init__(self) -> None:
        super().__post_init__()  # the settings' rules (and every field's type) first

        def fail(name: str, message: str) -> NoReturn:
            raise ClusterArgsError(f"args.{name}: {message}")

        if not eks_rules.CLUSTER_NAME.fullmatch(self.cluster_name):
            fail(
                "cluster_name",
                f"{self.cluster_name!r}: use 1-100 letters, digits, '-' or '_', starting alphanumeric",
            )
        if self.deployer is not None:
            try:
                ipaddress.IPv4Network(self.deployer.cidr)
            except ValueError as error:
                fail("deployer.cidr", f"{self.deployer.cidr!r} is not an IPv4 CIDR ({error})")
            if not eks_rules.ROLE_ARN.fullmatch(self.deployer.runner_role_arn):
                fail("deployer.runner_role_arn", f"{self.deployer.runner_role_arn!r} is not an IAM role ARN")


class Cluster(pulumi.ComponentResource):
    """A private, encrypted EKS cluster with managed node groups, add-ons and a Kubernetes provider."""

    cluster_name: pulumi.Output[str]
    """The EKS cluster's name."""
    cluster_arn: pulumi.Output[str]
    """The EKS cluster's ARN."""
    endpoint: pulumi.Output[str]
    """The Kubernetes API server URL."""
    certificate_authority_data: pulumi.Output[str]
    """Base64 CA bundle of the API server."""
    oidc_provider_arn: pulumi.Output[str]
    """IAM OIDC provider for IRSA roles of workloads."""
    oidc_provider_url: pulumi.Output[str]
    """The cluster's OIDC issuer URL."""
    node_security_group_id: pulumi.Output[str]
    """Security group of the system nodes (never the sandbox's); databases and Redis admit it."""
    sandbox_security_group_id: pulumi.Output[str]
    """Security group of the sandbox nodes: nothing that holds data admits it."""
    cluster_security_group_id: pulumi.Output[str]
    """The EKS-managed cluster security group (control plane and nodes)."""
    node_role_arn: pulumi.Output[str]
    """IAM role of the system nodes."""
    sandbox_node_role_arn: pulumi.Output[str]
    """IAM role of the sandbox nodes."""
    kubeconfig: pulumi.Output[str]
    """Secret kubeconfig (JSON) that authenticates with `aws eks get-token`."""
    # Python callers also get `kubernetes_provider` (the cluster's Kubernetes provider) and
    # `sandbox_runtime_class` (set in __init__): resources, not schema outputs; another language
    # builds its own Kubernetes provider from `kubeconfig`.

    def __init__(
        self,
        name: str,
        args: ClusterArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        deployer_path: Sequence[pulumi.Resource] = (),
    ) -> None:
        """`deployer_path`: the resources that connect the deployer's network to this VPC (peering,
        routes); the Kubernetes providers wait for them. A resource option in spirit, so not in `args`."""
        args = to_args(ClusterArgs, args)  # other languages pass a dict (docs/other-languages.md)
        super().__init__("platform:index:Cluster", name, None, opts)
        self._name = name
        self._args = args
        self._deployer_path = list(deployer_path)
        self._context = AwsContext.of(self)

        self.cluster_role = self._cluster_role()
        self.node_role, node_pull = self._node_role(
            "node-role", "system nodes", args.system_image_repository_arns or ()
        )
        self.sandbox_node_role, sandbox_pull = self._node_role(
            "sandbox-node-role", "sandbox nodes (untrusted code)", args.sandbox_image_repository_arns or ()
        )
        self._image_pulls = {NodeGroupKind.SYSTEM: node_pull, NodeGroupKind.SANDBOX: sandbox_pull}
        self.secrets_key = customer_managed_key(
            f"{name}-secrets-key",
            description=f"Encrypts the Kubernetes secrets of EKS cluster {args.cluster_name}",
            context=self._context,
            parent=self,
            alias=f"{args.cluster_name}/eks-secrets",
        )
        secrets_key_use = self._let_cluster_use_secrets_key()
        self.log_group = encrypted_log_group(
            f"{name}-control-plane-logs",
            group_name=f"/aws/eks/{args.cluster_name}/cluster",  # the name EKS writes to
            retention_days=args.resolved_log_retention_days,
            description=f"the control-plane logs of EKS cluster {args.cluster_name}",
            context=self._context,
            parent=self,
        )

        # Attached only to the control plane's network interfaces (EKS user guide, "View Amazon EKS
        # security group requirements for clusters": the groups in vpcConfig.securityGroupIds go on
        # the cross-account ENIs EKS creates, never on nodes). The sandbox is admitted to the API
        # server here, not on the EKS cluster security group, which every system node and pod
        # carries. securityGroupIds is updatable in place (not ForceNew in terraform-provider-aws
        # internal/service/eks/cluster.go; EKS UpdateClusterConfig).
        self.control_plane_security_group = aws.ec2.SecurityGroup(
            f"{name}-control-plane-sg",
            vpc_id=args.vpc_id,
            description=f"EKS control plane of {args.cluster_name} only: admits the sandbox nodes on 443",
            tags={"Name": f"{args.cluster_name}-control-plane"},
            opts=self._child(),
        )
        self.cluster = aws.eks.Cluster(
            f"{name}-eks",
            name=args.cluster_name,
            version=args.kubernetes_version,
            role_arn=self.cluster_role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=args.subnet_ids,
                security_group_ids=[self.control_plane_security_group.id],
                endpoint_private_access=True,
                endpoint_public_access=bool(args.endpoint_public_access),
                # An empty list would mean AWS's default, 0.0.0.0/0; send none when the endpoint is private.
                public_access_cidrs=[str(ipaddress.IPv4Network(cidr)) for cidr in args.public_access_cidrs or ()]
                if args.endpoint_public_access
                else None,
            ),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                resources=["secrets"],
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=self.secrets_key.arn),
            ),
            enabled_cluster_log_types=list(CONTROL_PLANE_LOG_TYPES),
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API",
                # ForceNew in the provider (eks/cluster.go): a value that followed adminRoleArn would
                # replace the cluster when the role is added or removed. Admins come from access
                # entries only (_admin_access), which change in place.
                bootstrap_cluster_creator_admin_permissions=False,
            ),
            kubernetes_network_config=aws.eks.ClusterKubernetesNetworkConfigArgs(
                ip_family="ipv4", service_ipv4_cidr=str(EKS_SERVICE_IPV4_CIDR)
            ),
            # Managed add-ons below replace the self-managed defaults, so nothing runs unmanaged.
            bootstrap_self_managed_addons=False,
            # STANDARD: EKS upgrades the control plane itself when standard support ends; EXTENDED
            # keeps the version 12 more months at extended-support prices (docs/upgrades.md).
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type=args.resolved_support_type.value),
            zonal_shift_config=aws.eks.ClusterZonalShiftConfigArgs(enabled=True),
            deletion_protection=args.resolved_deletion_protection,
            tags={"Name": args.cluster_name},
            opts=self._child(depends_on=[*self.cluster_role.ready, secrets_key_use, self.log_group]),
        )
        self.cluster_security_group_id = self.cluster.vpc_config.apply(lambda vpc: vpc.cluster_security_group_id)
        self.certificate_authority_data = self.cluster.certificate_authority.apply(lambda ca: ca.data)
        self.node_security_group = aws.ec2.SecurityGroup(
            f"{name}-nodes-sg",
            vpc_id=args.vpc_id,
            # System nodes also carry the EKS cluster security group, which EKS keeps open between
            # the control plane and them. This group is their identity: data stores admit it.
            # Not tagged kubernetes.io/cluster/*: load balancer controllers expect one such group.
            description=f"EKS system nodes of {args.cluster_name}; databases and caches allow this group",
            tags={"Name": f"{args.cluster_name}-nodes"},
            opts=self._child(),
        )
        self._network_rules: list[pulumi.Resource] = []
        self.sandbox_security_group = self._sandbox_network()
        issuer: pulumi.Output[str] = self.cluster.identities.apply(lambda ids: ids[0].oidcs[0].issuer)
        self.oidc_provider = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc",
            url=issuer,
            client_id_lists=["sts.amazonaws.com"],
            tags={"Name": f"{args.cluster_name}-oidc"},
            opts=self._child(),
        )
        self._issuer = issuer
        admin_access = self._admin_access()

        self.addons: dict[EksAddon, aws.eks.Addon] = {}
        for spec in ADDONS:
            if spec.before_nodes:
                self.addons[spec.name] = self._addon(spec, depends_on=[])
        early_addons = list(self.addons.values())
        # The first system group first, then the others after it: a new AMI release rolls one group
        # at a time, so the system nodes (CoreDNS, the autoscaler, ingress) are never replaced
        # alongside the sandbox's.
        first = args.system_group
        system = self._node_group(first, depends_on=early_addons)
        self.node_groups: dict[str, aws.eks.NodeGroup] = {first.name: system}
        for group in args.node_groups:
            if group is not first:
                self.node_groups[group.name] = self._node_group(group, depends_on=[*early_addons, system])

        self.kubeconfig = self._kubeconfig(args.admin_role_arn)
        deployer_access = self._deployer_access(admin_access)
        # With a deployer, `pulumi up` runs as the runner's role (or an admin over the VPN), each with
        # an access entry of its own: the providers sign as the caller, assuming nothing.
        provider_kubeconfig = self._kubeconfig(None) if args.deployer is not None else self.kubeconfig
        # The add-ons below run in kube-system, which strict enforcement leaves deny-all until a
        # policy selects its pods: this provider exists only to open it before they start.
        self.bootstrap_kubernetes_provider = k8s.Provider(
            f"{name}-kubernetes-bootstrap",
            kubeconfig=provider_kubeconfig,
            enable_server_side_apply=True,
            opts=self._child(depends_on=[*admin_access, *deployer_access, *self.node_groups.values()]),
        )
        self.kube_system_policy = k8s.networking.v1.NetworkPolicy(
            f"{name}-kube-system-allow",
            **KUBE_SYSTEM_ALLOW,
            opts=pulumi.ResourceOptions(parent=self, provider=self.bootstrap_kubernetes_provider),
        )
        for spec in ADDONS:
            if not spec.before_nodes:  # these run as pods, so they wait for nodes
                self.addons[spec.name] = self._addon(
                    spec, depends_on=[*self.node_groups.values(), self.kube_system_policy]
                )

        self.kubernetes_provider = k8s.Provider(
            f"{name}-kubernetes",
            kubeconfig=provider_kubeconfig,
            enable_server_side_apply=True,
            # Kubernetes resources wait until someone may administer the cluster and pods can run, and
            # until the deployer can reach the endpoint (peering, routes both ways, the 443 rule).
            opts=self._child(
                depends_on=[
                    *admin_access,
                    *deployer_access,
                    *self.node_groups.values(),
                    *self.addons.values(),
                ]
            ),
        )
        self.autoscaler = ClusterAutoscaler(
            f"{name}-autoscaler",
            ClusterAutoscalerArgs(
                cluster_name=args.cluster_name,
                kubernetes_provider=self.kubernetes_provider,
                oidc_provider_arn=self.oidc_provider.arn,
                oidc_issuer_url=issuer,
                kubernetes_version=args.kubernetes_version,
                image=args.autoscaler_image or f"{UPSTREAM_REPOSITORY}:{image_tag(args.kubernetes_version)}",
                node_selector={NODE_GROUP_LABEL: first.name},
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # The sandbox nodes' gVisor handler (installed by their launch template's user data) under
        # the name the pods use. Scheduling keeps every pod that names it on those nodes: other
        # nodes have no `runsc` handler (Kubernetes RuntimeClass: scheduling.nodeSelector is merged
        # into the pod's; overhead.podFixed is added to its requests).
        sandbox = args.sandbox_group
        self._sandbox_runtime_class = (
            k8s.node.v1.RuntimeClass(
                f"{name}-sandbox-runtime",
                metadata={"name": RUNTIME_CLASS},
                handler=RUNTIME_HANDLER,
                overhead={"podFixed": dict(RUNTIME_OVERHEAD)},
                scheduling={
                    "nodeSelector": {NODE_GROUP_LABEL: sandbox.name},
                    "tolerations": [dict(SANDBOX_TOLERATION)],
                },
                opts=pulumi.ResourceOptions(parent=self, provider=self.kubernetes_provider),
            )
            if sandbox is not None
            else None
        )

        self.cluster_name = self.cluster.name
        self.cluster_arn = self.cluster.arn
        self.endpoint = self.cluster.endpoint
        self.oidc_provider_arn = self.oidc_provider.arn
        self.oidc_provider_url = issuer
        self.node_security_group_id = self.node_security_group.id
        self.sandbox_security_group_id = self.sandbox_security_group.id
        self.node_role_arn = self.node_role.arn
        self.sandbox_node_role_arn = self.sandbox_node_role.arn
        self.register_outputs(
            {
                "clusterName": self.cluster_name,
                "clusterArn": self.cluster_arn,
                "endpoint": self.endpoint,
                "certificateAuthorityData": self.certificate_authority_data,
                "oidcProviderArn": self.oidc_provider_arn,
                "oidcProviderUrl": self.oidc_provider_url,
                "nodeSecurityGroupId": self.node_security_group_id,
                "sandboxSecurityGroupId": self.sandbox_security_group_id,
                "clusterSecurityGroupId": self.cluster_security_group_id,
                "nodeRoleArn": self.node_role_arn,
                "sandboxNodeRoleArn": self.sandbox_node_role_arn,
                "kubeconfig": self.kubeconfig,
            }
        )

    @property
    def sandbox_runtime_class(self) -> k8s.node.v1.RuntimeClass:
        """The RuntimeClass (`gvisor`) the sandbox nodes' `runsc` handler serves; pods naming it wait for it."""
        if self._sandbox_runtime_class is None:
            raise ClusterArgsError("args.node_groups: this cluster has no `sandbox` group, so no gVisor RuntimeClass")
        return self._sandbox_runtime_class

    # -- helpers ------------------------------------------------------------------------------

    def _child(self, depends_on: Sequence[pulumi.Resource] = ()) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, depends_on=list(depends_on))

    def _cluster_role(self) -> iam.Role:
        return iam.role(
            f"{self._name}-cluster-role",
            description=f"EKS control plane of {self._args.cluster_name}",
            trust=iam.trust_policy(principal_type="Service", identifiers=["eks.amazonaws.com"], parent=self),
            managed_policies={"cluster": self._context.managed_policy("AmazonEKSClusterPolicy")},
            parent=self,
        )

    def _node_role(
        self, suffix: str, who: str, repository_arns: Sequence[pulumi.Input[str]]
    ) -> tuple[iam.Role, aws.iam.RolePolicy]:
        """A node role: join the cluster, and pull from the given repositories and EKS's add-on registry."""
        role = iam.role(
            f"{self._name}-{suffix}",
            description=f"EKS {who} of {self._args.cluster_name}: join the cluster and pull images, nothing else",
            trust=iam.trust_policy(principal_type="Service", identifiers=["ec2.amazonaws.com"], parent=self),
            managed_policies={"worker": self._context.managed_policy("AmazonEKSWorkerNodePolicy")},
            parent=self,
        )
        addon_images = pulumi.Output.format(
            "arn:{0}:ecr:{1}:{2}:repository/*",
            self._context.partition,
            self._context.region,
            EKS_ADDON_REGISTRY_ACCOUNT,
        )
        document = aws.iam.get_policy_document_output(
            statements=[
                aws.iam.GetPolicyDocumentStatementArgs(
                    sid="RegistryLogin", actions=["ecr:GetAuthorizationToken"], resources=["*"]
                ),
                aws.iam.GetPolicyDocumentStatementArgs(
                    sid="PullOwnImages", actions=list(ECR_PULL_ACTIONS), resources=[*repository_arns, addon_images]
                ),
            ],
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        pull = aws.iam.RolePolicy(
            f"{self._name}-{suffix}-ecr-pull", role=role.resource.id, policy=document.json, opts=self._child()
        )
        return role, pull

    def _rule(
        self,
        name: str,
        direction: str,
        group: pulumi.Input[str],
        description: str,
        *,
        protocol: str = "-1",
        port: int | None = None,
        peer: pulumi.Input[str] | None = None,
        cidr: str | None = None,
    ) -> None:
        kind = aws.vpc.SecurityGroupIngressRule if direction == "ingress" else aws.vpc.SecurityGroupEgressRule
        rule = kind(
            f"{self._name}-{name}",
            security_group_id=group,
            description=description,
            ip_protocol=protocol,
            from_port=port,
            to_port=port,
            referenced_security_group_id=peer,
            cidr_ipv4=cidr,
            opts=self._child(),
        )
        self._network_rules.append(rule)

    def _sandbox_network(self) -> aws.ec2.SecurityGroup:
        """The sandbox nodes' own group and the few paths it needs (EKS user guide, "View Amazon EKS
        security group requirements for clusters": nodes need the API server on 443, and the control
        plane needs the nodes' kubelet and webhook ports)."""
        name = self._args.cluster_name
        group = aws.ec2.SecurityGroup(
            f"{self._name}-sandbox-nodes-sg",
            vpc_id=self._args.vpc_id,
            description=f"EKS sandbox nodes of {name} (untrusted code); no data store admits this group",
            tags={"Name": f"{name}-sandbox-nodes"},
            opts=self._child(),
        )
        cluster_group, system = self.cluster_security_group_id, self.node_security_group.id
        control_plane = self.control_plane_security_group.id
        # In: the control plane (kubelet, exec, webhooks) and the system nodes (the backends and
        # ingress calling the services, metrics-server reading the kubelet).
        self._rule("sandbox-from-control-plane", "ingress", group.id, "Control plane to kubelet", peer=cluster_group)
        self._rule("sandbox-from-system", "ingress", group.id, "System nodes to sandbox pods", peer=system)
        # Out: HTTPS (the API server, ECR, S3, STS) and DNS to CoreDNS on the system nodes; nothing else.
        self._rule("sandbox-https-out", "egress", group.id, "HTTPS out", protocol="tcp", port=443, cidr="0.0.0.0/0")
        for protocol in ("udp", "tcp"):
            self._rule(
                f"sandbox-dns-{protocol}-out",
                "egress",
                group.id,
                "DNS to CoreDNS",
                protocol=protocol,
                port=53,
                peer=system,
            )
            self._rule(
                f"system-dns-{protocol}-from-sandbox",
                "ingress",
                system,
                "DNS from sandbox nodes",
                protocol=protocol,
                port=53,
                peer=group.id,
            )
        self._rule(
            "control-plane-from-sandbox",
            "ingress",
            control_plane,
            "Sandbox nodes to the API server",
            protocol="tcp",
            port=443,
            peer=group.id,
        )
        return group

    def _let_cluster_use_secrets_key(self) -> aws.iam.RolePolicy:
        """The control plane encrypts secrets with the key; nothing else gets this grant."""
        return iam.inline_policy(
            f"{self._name}-cluster-role-secrets-key",
            role=self.cluster_role,
            sid="EncryptKubernetesSecrets",
            actions=["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"],
            resources=[self.secrets_key.arn],
            parent=self,
        )

    def _admin_access(self) -> list[pulumi.Resource]:
        """An access entry with cluster-admin for the configured role, else the runner's, else the caller's."""
        admin_role_arn: pulumi.Input[str]
        if self._args.admin_role_arn is not None:
            admin_role_arn = self._args.admin_role_arn
        elif self._args.deployer is not None:
            # Not the caller: that is the runner on one run and an administrator on the next, which
            # would replace the entry each time, and a second entry for the runner's role would
            # fail (EKS CreateAccessEntry: ResourceInUseException, one entry per principal).
            admin_role_arn = self._args.deployer.runner_role_arn
        elif (unreachable := current()) is not None:
            # The region is down: no STS call; the entry is excluded from the update anyway.
            admin_role_arn = f"arn:aws:iam::{unreachable.account}:role/unreachable-region-caller"
        else:
            # The role behind the deployer's session (an assumed-role ARN is not a valid principal).
            caller = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self))
            admin_role_arn = aws.iam.get_session_context_output(
                arn=caller.arn, opts=pulumi.InvokeOutputOptions(parent=self)
            ).issuer_arn
        entry = aws.eks.AccessEntry(
            f"{self._name}-admin-access",
            cluster_name=self.cluster.name,
            principal_arn=admin_role_arn,
            type="STANDARD",
            opts=self._child(),
        )
        association = aws.eks.AccessPolicyAssociation(
            f"{self._name}-admin-cluster-admin",
            cluster_name=self.cluster.name,
            principal_arn=admin_role_arn,
            policy_arn=pulumi.Output.format(
                "arn:{0}:eks::aws:cluster-access-policy/{1}", self._context.partition, CLUSTER_ADMIN_POLICY
            ),
            access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
            opts=self._child(depends_on=[entry]),
        )
        return [entry, association]

    def _deployer_access(self, admin_access: Sequence[pulumi.Resource]) -> list[pulumi.Resource]:
        """The deployer's runner reaches the API server (443 from its CIDR) and administers the cluster."""
        deployer = self._args.deployer
        if deployer is None:
            return []
        # On the control plane's own group (vpcConfig.securityGroupIds): EKS puts the additional
        # groups on the control plane's network interfaces only (EKS user guide, "View Amazon EKS
        # security group requirements for clusters"). Not the EKS-made cluster group: the system
        # nodes carry that one too, and the rule would open every node to the deployer network.
        https = aws.vpc.SecurityGroupIngressRule(
            f"{self._name}-api-from-deployer",
            security_group_id=self.control_plane_security_group.id,
            description="Deployer network to the Kubernetes API server",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4=deployer.cidr,
            opts=self._child(),
        )
        if deployer.runner_role_arn == (self._args.admin_role_arn or deployer.runner_role_arn):
            # One access entry per principal (EKS CreateAccessEntry: ResourceInUseException): the
            # admin's entry already makes the runner cluster-admin.
            return [*self._deployer_path, https, *admin_access]
        entry = aws.eks.AccessEntry(
            f"{self._name}-deployer-access",
            cluster_name=self.cluster.name,
            principal_arn=deployer.runner_role_arn,
            type="STANDARD",
            opts=self._child(),
        )
        association = aws.eks.AccessPolicyAssociation(
            f"{self._name}-deployer-cluster-admin",
            cluster_name=self.cluster.name,
            principal_arn=deployer.runner_role_arn,
            policy_arn=pulumi.Output.format(
                "arn:{0}:eks::aws:cluster-access-policy/{1}", self._context.partition, CLUSTER_ADMIN_POLICY
            ),
            # The runner creates namespaces and cluster-scoped objects, so the scope is the cluster.
            access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
            opts=self._child(depends_on=[entry]),
        )
        return [*self._deployer_path, https, entry, association]

    def _irsa_role(self, spec: AddonSpec) -> iam.Role:
        """A role only the add-on's own service account can assume, through the cluster's OIDC issuer."""
        assert spec.service_account is not None and spec.managed_policy is not None
        trust = iam.service_account_trust(
            oidc_provider_arn=self.oidc_provider.arn,
            oidc_issuer_url=self._issuer,
            namespace="kube-system",
            service_account=spec.service_account,
            parent=self,
        )
        return iam.role(
            f"{self._name}-{spec.name}-role",
            description=f"{spec.name} add-on of {self._args.cluster_name} (service account {spec.service_account})",
            trust=trust,
            managed_policies={"policy": self._context.managed_policy(spec.managed_policy)},
            parent=self,
        )

    def _addon(self, spec: AddonSpec, depends_on: Sequence[pulumi.Resource]) -> aws.eks.Addon:
        # Pinned per stack (ClusterConfig requires every one): an AWS default that moves would
        # show as an add-on change on a later preview, or leave add-ons behind an upgrade.
        version = self._args.addon_versions[spec.name]
        role = self._irsa_role(spec) if spec.service_account else None
        return aws.eks.Addon(
            f"{self._name}-{spec.name}",
            cluster_name=self.cluster.name,
            addon_name=spec.name,
            addon_version=version,
            service_account_role_arn=role.arn if role else None,
            configuration_values=json.dumps(dict(spec.configuration)) if spec.configuration else None,
            # Pulumi is the source of truth for add-on settings, on create and on update.
            resolve_conflicts_on_create="OVERWRITE",
            resolve_conflicts_on_update="OVERWRITE",
            opts=self._child(depends_on=[*depends_on, *(role.ready if role else [])]),
        )

    def _launch_template(self, settings: ClusterNodeGroup) -> aws.ec2.LaunchTemplate:
        group = settings.name
        node_name = f"{self._args.cluster_name}-{group}"
        instance_tags = {**(self._args.instance_tags or {}), "Name": node_name, NODE_GROUP_LABEL: group}
        # Sandbox nodes: gVisor, the kubelet's PID and OOM limits and the host firewall
        # (components/sandbox_node.py). The template sets no image ID, so EKS merges its own
        # bootstrap part into this MIME document (EKS user guide, "Customize managed nodes with
        # launch templates").
        sandbox = settings.resolved_kind is NodeGroupKind.SANDBOX
        user_data = user_data_base64(architecture(settings.instance_types[0])) if sandbox else None
        return aws.ec2.LaunchTemplate(
            f"{self._name}-{group}-lt",
            description=f"Nodes of group {group} in EKS cluster {self._args.cluster_name}",
            update_default_version=True,
            user_data=user_data,
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens="required",  # IMDSv2 only
                http_put_response_hop_limit=1,  # one hop: the node itself, not its pods
                instance_metadata_tags="disabled",
            ),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name="/dev/xvda",  # the AL2023 root volume
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=settings.resolved_disk_size_gib,
                        volume_type="gp3",
                        encrypted="true",
                        delete_on_termination="true",
                    ),
                )
            ],
            # Security groups in a launch template replace the ones EKS would attach, the cluster
            # security group included (EKS user guide, "Customize managed nodes with launch
            # templates"). System nodes: the cluster group (control plane <-> node) and their own.
            # Sandbox nodes: only theirs, so they share no group that anything admits.
            vpc_security_group_ids=[self.sandbox_security_group.id]
            if sandbox
            else [self.cluster_security_group_id, self.node_security_group.id],
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=instance_tags)
                for kind in ("instance", "volume", "network-interface")
            ],
            tags={"Name": f"{node_name}-lt"},
            opts=self._child(),
        )

    def _node_group(self, settings: ClusterNodeGroup, depends_on: Sequence[pulumi.Resource]) -> aws.eks.NodeGroup:
        group, kind = settings.name, settings.resolved_kind
        template = self._launch_template(settings)
        taints = (
            [aws.eks.NodeGroupTaintArgs(key=SANDBOX_TAINT_KEY, value=SANDBOX_TAINT_VALUE, effect="NO_SCHEDULE")]
            if kind is NodeGroupKind.SANDBOX
            else None
        )
        arch = architecture(settings.instance_types[0])
        kubernetes_version = self._args.kubernetes_version
        # The newest AMI AWS recommends for this version: a new release rolls the group on the next
        # `pulumi up` (update_config bounds how many nodes at a time). The launch template sets no
        # image ID, which the EKS API requires with releaseVersion (CreateNodegroup, releaseVersion).
        # insecure_value: `value` is marked secret (the data source's value is Sensitive in the
        # provider), which hides the release in every diff; a public parameter's value is not secret,
        # and `insecure_value` shows what the group rolls to (terraform-provider-aws
        # internal/service/ssm/parameter_data_source.go).
        unreachable = current()
        release: pulumi.Input[str] = (
            unreachable.release_version(kubernetes_version)
            if unreachable is not None  # the region is down (config unreachableRegions): no SSM read
            else aws.ssm.get_parameter_output(
                name=RELEASE_VERSION_PARAMETER.format(version=kubernetes_version, arch=arch),
                opts=pulumi.InvokeOutputOptions(parent=self),
            ).insecure_value
        )
        role = self.sandbox_node_role if kind is NodeGroupKind.SANDBOX else self.node_role
        pull = self._image_pulls[kind]
        return aws.eks.NodeGroup(
            f"{self._name}-{group}",
            cluster_name=self.cluster.name,
            node_role_arn=role.arn,
            subnet_ids=self._args.subnet_ids,
            version=self.cluster.version,
            release_version=release,
            ami_type=AMI_TYPES[arch],
            capacity_type=settings.resolved_capacity_type.value,
            instance_types=list(settings.instance_types),
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=settings.min_size, desired_size=settings.desired_size, max_size=settings.max_size
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(
                max_unavailable_percentage=settings.resolved_max_unavailable_percentage
            ),
            labels={**(settings.labels or {}), NODE_GROUP_LABEL: group},
            taints=taints,
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)
            ),
            node_repair_config=aws.eks.NodeGroupNodeRepairConfigArgs(enabled=True),
            tags={"Name": f"{self._args.cluster_name}-{group}"},
            opts=pulumi.ResourceOptions(
                parent=self,
                # The security group rules too: nodes that start before them cannot reach the API server.
                depends_on=[*role.ready, pull, *self._network_rules, *depends_on],
                # The cluster-autoscaler owns the current size between deployments; config owns min
                # and max (raising minSize above the current size: docs/upgrades.md).
                ignore_changes=["scalingConfig.desiredSize"],
            ),
        )

    def _kubeconfig(self, admin_role_arn: str | None) -> pulumi.Output[str]:

        def render(values: list[Any]) -> str:
            name, endpoint, ca_data, region = values
            token_args = ["eks", "get-token", "--cluster-name", name, "--region", region, "--output", "json"]
            if admin_role_arn is not None:
                token_args += ["--role-arn", admin_role_arn]  # the role that has the admin access entry
            return json.dumps(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [
                        {"name": name, "cluster": {"server": endpoint, "certificate-authority-data": ca_data}}
                    ],
                    "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
                    "current-context": name,
                    "users": [
                        {
                            "name": name,
                            "user": {
                                "exec": {
                                    "apiVersion": "client.authentication.k8s.io/v1beta1",
                                    "command": "aws",
                                    "args": token_args,
                                    "interactiveMode": "Never",
                                }
                            },
                        }
                    ],
                },
                indent=2,
            )

        rendered = pulumi.Output.all(
            self.cluster.name, self.cluster.endpoint, self.certificate_authority_data, self._context.region
        ).apply(render)
        return pulumi.Output.secret(rendered)

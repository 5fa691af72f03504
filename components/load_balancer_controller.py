"""AwsLoadBalancerController: the controller that turns the entry's Service into an NLB.

EKS's in-tree cloud provider still answers `type: LoadBalancer` Services, but only with its
legacy code path; AWS's supported controller is the AWS Load Balancer Controller (EKS user guide,
"Route internet traffic with AWS Load Balancer Controller"). It is installed from its chart in a
namespace of its own that enforces Pod Security `restricted`, and calls AWS with a role of its
own (IRSA) carrying the policy its installation guide documents
(components/load_balancer_controller_policy.py), never the node role. Its pods keep the chart's
`priorityClassName: system-cluster-critical`, which Kubernetes allows outside kube-system since
1.17 (charts set it there from then on, e.g. cilium/cilium#12151).

The chart (aws/eks-charts `stable/aws-load-balancer-controller`) ships no values schema; the
values below are keys of its `values.yaml` at 3.5.0, which tests/components/test_ingress.py
checks them against.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from eksplatform.components import iam
from eksplatform.components.aws_context import AwsContext
from eksplatform.components.cluster import NODE_GROUP_LABEL, SYSTEM_GROUP
from eksplatform.components.load_balancer_controller_policy import CONTROLLER_VERSION, iam_policy_document
from eksplatform.components.network_policy_peers import DNS_PORTS, KUBE_DNS, default_deny
from eksplatform.components.pod_security_labels import restricted_namespace_labels

CHART = "aws-load-balancer-controller"
CHART_VERSION = "3.5.0"  # controller v3.5.0 (aws/eks-charts 5239609, 2026-08-03)
CHART_REPOSITORY = "https://aws.github.io/eks-charts"
RELEASE_NAME = "aws-load-balancer-controller"
NAMESPACE = "aws-load-balancer-controller"
SERVICE_ACCOUNT = "aws-load-balancer-controller"
# The annotation EKS's pod identity webhook reads to give the pods the role's credentials (IRSA).
ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"
UPSTREAM_REPOSITORY = "public.ecr.aws/eks/aws-load-balancer-controller"  # the chart's default image.repository
assert f"v{CHART_VERSION}" == CONTROLLER_VERSION, "the IAM policy must be the chart's controller version's"


class ControllerArgsError(pulumi.RunError, ValueError):
    """Bad AwsLoadBalancerController arguments; the message names the argument."""


@dataclass(frozen=True)
class AwsLoadBalancerControllerArgs:
    kubernetes_provider: pulumi.ProviderResource
    kubernetes_version: str
    """The cluster's minor version: Pod Security is pinned to it."""
    cluster_name: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    vpc_cidr: pulumi.Input[str]
    """Where the control plane calls the webhook from (its ENIs in the cluster's VPC)."""
    oidc_provider_arn: pulumi.Input[str]
    """The cluster's IAM OIDC provider (`Cluster.oidc_provider_arn`)."""
    oidc_provider_url: pulumi.Input[str]
    """Its issuer URL (`Cluster.oidc_provider_url`)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags for the load balancers, target groups and security groups the controller creates
    (the provider's default tags do not reach what the controller makes)."""
    replicas: int = 2
    image: str = f"{UPSTREAM_REPOSITORY}:{CONTROLLER_VERSION}"
    """`<repository>:<tag>`; the platform passes its region's ECR copy (components/ingress.py)."""

    def __post_init__(self) -> None:
        if self.replicas < 1:
            raise ControllerArgsError(f"replicas {self.replicas}: at least 1")
        repository, _, tag = self.image.rpartition(":")
        if not repository or "/" in tag or "@" in self.image:
            raise ControllerArgsError(f"image {self.image!r}: `<repository>:<tag>` (the chart takes no digest)")


def chart_values(
    args: AwsLoadBalancerControllerArgs, *, region: pulumi.Input[str], role_arn: pulumi.Input[str]
) -> dict[str, Any]:
    """Values for the chart; every key is one its values.yaml documents."""
    return {
        "clusterName": args.cluster_name,
        # The nodes allow one IMDS hop (components/cluster.py), so the pods cannot look these up.
        "region": region,
        "vpcId": args.vpc_id,
        "replicaCount": args.replicas,
        # values.yaml `image.repository` / `image.tag` (the chart renders `repository:tag`).
        "image": {"repository": args.image.rpartition(":")[0], "tag": args.image.rpartition(":")[2]},
        "podDisruptionBudget": {"maxUnavailable": 1},
        # Replace pods one at a time without a surge pod: while one restarts, the NLB keeps serving;
        # only reconciling pauses, and the system nodes need no room for an extra pod.
        "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}},
        "serviceAccount": {
            "create": True,
            "name": SERVICE_ACCOUNT,
            "annotations": {ROLE_ANNOTATION: role_arn},
        },
        # Only Services that ask for it (`aws-load-balancer-type: external`) get an NLB: no webhook
        # that claims every LoadBalancer Service and fails their creation while the controller is down.
        "enableServiceMutatorWebhook": False,
        # No ALB IngressClass: nothing here may create an ALB through an Ingress.
        "createIngressClassResource": False,
        "ingressClassParams": {"create": False},
        # Its Ingress webhook checks every Ingress (failurePolicy Fail): the backends' Traefik
        # Ingresses would fail while the controller is down. No ALB Ingress exists to validate.
        "webhookConfig": {"disableIngressValidation": True},
        "defaultTags": dict(args.tags),
        # Keep the webhook's TLS secret across upgrades (values.yaml `keepTLSSecret`): a new one on
        # every `helm upgrade` changes the webhook's CA bundle while old pods still serve the old one.
        "keepTLSSecret": True,
        "nodeSelector": {NODE_GROUP_LABEL: SYSTEM_GROUP},
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}},
        # Pod Security `restricted`: the chart's defaults lack the seccomp profile and dropped capabilities.
        "podSecurityContext": {"runAsNonRoot": True, "fsGroup": 65534, "seccompProfile": {"type": "RuntimeDefault"}},
        "securityContext": {
            "runAsNonRoot": True,
            "readOnlyRootFilesystem": True,
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
        },
    }


WEBHOOK_PORT = 9443  # the chart's `webhookBindPort` default: the container port its webhook Service targets


def network_policies(args: AwsLoadBalancerControllerArgs) -> dict[str, dict[str, Any]]:
    """Deny everything, then the webhook in from the control plane (its ENIs in the VPC), and out
    DNS and HTTPS (the API server and the AWS APIs: ELB, EC2, ACM, WAF, Shield, through NAT)."""
    return {
        "default-deny-all": default_deny(),
        "controller": {
            "podSelector": {},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [
                {"from": [{"ipBlock": {"cidr": args.vpc_cidr}}], "ports": [{"protocol": "TCP", "port": WEBHOOK_PORT}]}
            ],
            "egress": [
                {"to": [KUBE_DNS], "ports": DNS_PORTS},
                {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"protocol": "TCP", "port": 443}]},
            ],
        },
    }


class AwsLoadBalancerController(pulumi.ComponentResource):
    """The controller's namespace, IAM policy and IRSA role, and its Helm release."""

    release: k8s.helm.v3.Release
    role_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: AwsLoadBalancerControllerArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("platform:index:AwsLoadBalancerController", name, None, opts)
        context = AwsContext.of(self)
        controller_policy = aws.iam.Policy(
            f"{name}-policy",
            description=f"AWS Load Balancer Controller {CONTROLLER_VERSION}: the policy its install guide documents",
            policy=context.partition.apply(lambda partition: json.dumps(iam_policy_document(partition))),
            opts=pulumi.ResourceOptions(parent=self),
        )
        role = self._role(name, args, controller_policy.arn)
        on_cluster = pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider)
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={"name": NAMESPACE, "labels": restricted_namespace_labels(args.kubernetes_version)},
            opts=on_cluster,
        )
        in_namespace = pulumi.ResourceOptions.merge(on_cluster, pulumi.ResourceOptions(depends_on=[namespace]))
        policies = [
            k8s.networking.v1.NetworkPolicy(
                f"{name}-{policy_name}",
                metadata={"name": policy_name, "namespace": NAMESPACE},
                spec=spec,
                opts=in_namespace,
            )
            for policy_name, spec in network_policies(args).items()
        ]
        self.release = k8s.helm.v3.Release(
            f"{name}-release",
            name=RELEASE_NAME,
            chart=CHART,
            version=CHART_VERSION,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=CHART_REPOSITORY),
            namespace=NAMESPACE,
            values=chart_values(args, region=context.region, role_arn=role.arn),
            atomic=True,
            cleanup_on_fail=True,
            timeout=600,
            opts=pulumi.ResourceOptions.merge(
                on_cluster, pulumi.ResourceOptions(depends_on=[namespace, *policies, *role.ready])
            ),
        )
        self.role_arn = role.arn
        self.register_outputs({"roleArn": self.role_arn})

    def _role(self, name: str, args: AwsLoadBalancerControllerArgs, policy_arn: pulumi.Input[str]) -> iam.Role:
        """A role only the controller's service account can assume, through the cluster's OIDC issuer."""
        trust = iam.service_account_trust(
            oidc_provider_arn=args.oidc_provider_arn,
            oidc_issuer_url=args.oidc_provider_url,
            namespace=NAMESPACE,
            service_account=SERVICE_ACCOUNT,
            parent=self,
        )
        return iam.role(
            f"{name}-role",
            description=f"AWS Load Balancer Controller (service account {NAMESPACE}/{SERVICE_ACCOUNT})",
            trust=trust,
            managed_policies={"policy": policy_arn},
            parent=self,
        )

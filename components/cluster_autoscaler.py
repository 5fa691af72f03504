"""ClusterAutoscaler: scales the EKS managed node groups between their min and max sizes.

Plain Kubernetes objects, not a Helm release, so the policy pack and the capacity check see
every one of them. They follow kubernetes/autoscaler `cluster-autoscaler/cloudprovider/aws/
examples/cluster-autoscaler-autodiscover.yaml` and the AWS provider README
(`cluster-autoscaler/cloudprovider/aws/README.md`, read 2026-11):

- node groups are found by auto-discovery on the two tags EKS puts on every managed node group's
  Auto Scaling group (`k8s.io/cluster-autoscaler/enabled` and `k8s.io/cluster-autoscaler/<cluster>`;
  EKS user guide, "Managed node groups": "Amazon EKS tags managed node group resources so that
  they are configured to use the Kubernetes Cluster Autoscaler");
- `eks:DescribeNodegroup` lets it read a group's labels and taints, so it can scale a group up
  from zero knowing which pods fit (the sandbox taint);
- its IAM role (IRSA, this service account only) may change the size only of Auto Scaling
  groups tagged as this cluster's (`aws:ResourceTag/k8s.io/cluster-autoscaler/<cluster>` =
  `owned`), and describe the rest;
- its minor version matches the cluster's ("use the Cluster Autoscaler release that matches the
  Kubernetes minor version", README, "Releases");
- the example's requests and limits, 100m CPU and 600Mi memory, on the system nodes;
- its own namespace instead of the example's kube-system: Pod Security `restricted` enforced,
  a default-deny NetworkPolicy, and egress only to DNS and HTTPS (the API server, AWS APIs).

The node groups ignore `scalingConfig.desiredSize` (components/cluster.py): the autoscaler owns
the current size, config owns min and max.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from eksplatform.components import iam
from eksplatform.components.images import image_problem
from eksplatform.components.pod_security_labels import restricted_namespace_labels

NAMESPACE = "cluster-autoscaler"
NAME = "cluster-autoscaler"
UPSTREAM_REPOSITORY = "registry.k8s.io/autoscaling/cluster-autoscaler"
CPU = "100m"
MEMORY = "600Mi"
RUN_AS = 65534  # the image's nobody user, as the chart's securityContext sets it
LABELS = {"app.kubernetes.io/name": NAME, "app.kubernetes.io/managed-by": "pulumi"}


class ClusterAutoscalerError(pulumi.RunError, ValueError):
    """Bad ClusterAutoscaler arguments; the message names the argument."""


# The newest cluster-autoscaler patch release per Kubernetes minor version: the newest
# `cluster-autoscaler-<x.y.z>` tag of kubernetes/autoscaler (read 2026-11; each tag is published
# as registry.k8s.io/autoscaling/cluster-autoscaler:v<x.y.z>).
RELEASES = {
    "1.32": "v1.32.7",
    "1.33": "v1.33.6",
    "1.34": "v1.34.5",
    "1.35": "v1.35.2",
    "1.36": "v1.36.1",
}
# Its liveness endpoint: `/health-check` on the `--address` port, 8085 by default (kubernetes/
# autoscaler cluster-autoscaler/FAQ.md, "How can I monitor Cluster Autoscaler?"; main.go).
HEALTH_PORT = 8085
HEALTH_PATH = "/health-check"


def image_tag(kubernetes_version: str) -> str:
    """The autoscaler release for a cluster minor version: `1.35` -> `v1.35.2`."""
    try:
        return RELEASES[kubernetes_version]
    except KeyError:
        raise ClusterAutoscalerError(
            f"kubernetes_version {kubernetes_version!r}: no cluster-autoscaler release is known for it; "
            f"add it to cluster_autoscaler.RELEASES (known: {sorted(RELEASES)})"
        ) from None


@dataclass(frozen=True)
class ClusterAutoscalerArgs:
    cluster_name: str
    kubernetes_provider: pulumi.ProviderResource
    oidc_provider_arn: pulumi.Input[str]
    oidc_issuer_url: pulumi.Input[str]
    kubernetes_version: str
    """The cluster's minor version: Pod Security of the namespace is pinned to it."""
    image: str
    """A pinned image of the release matching the cluster (`image_tag`)."""
    node_selector: dict[str, str]
    """Where it runs: the system nodes."""
    depends_on: Sequence[pulumi.Resource] = ()

    def __post_init__(self) -> None:
        problem = image_problem(self.image)
        if problem is not None:
            raise ClusterAutoscalerError(f"image: {problem}")


def autoscaler_policy_statements(cluster_name: str) -> list[dict[str, Any]]:
    """The IAM statements of the README's recommended policy, scoped to this cluster's groups."""
    return [
        {
            "Sid": "Discover",
            "Effect": "Allow",
            "Action": [
                "autoscaling:DescribeAutoScalingGroups",
                "autoscaling:DescribeAutoScalingInstances",
                "autoscaling:DescribeLaunchConfigurations",
                "autoscaling:DescribeScalingActivities",
                "autoscaling:DescribeTags",
                "ec2:DescribeImages",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeLaunchTemplateVersions",
                "ec2:GetInstanceTypesFromInstanceRequirements",
                "eks:DescribeNodegroup",
            ],
            "Resource": "*",  # Describe* calls take no resource-level permissions
        },
        {
            "Sid": "ScaleOwnGroups",
            "Effect": "Allow",
            "Action": ["autoscaling:SetDesiredCapacity", "autoscaling:TerminateInstanceInAutoScalingGroup"],
            "Resource": "*",
            "Condition": {"StringEquals": {f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster_name}": "owned"}},
        },
    ]


def command(cluster_name: str) -> list[str]:
    return [
        "./cluster-autoscaler",
        "--cloud-provider=aws",
        f"--namespace={NAMESPACE}",
        f"--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/{cluster_name}",
        # Splits a scale-up between node groups with the same instance shape and labels; it does
        # not balance zones (each managed node group spans all its subnets' zones).
        "--balance-similar-node-groups",
        "--expander=least-waste",
        "--skip-nodes-with-local-storage=false",  # the language services' /tmp is an emptyDir
        "--skip-nodes-with-system-pods=false",
        "--logtostderr=true",
        "--v=2",
    ]


def pod_spec(args: ClusterAutoscalerArgs) -> dict[str, Any]:
    return {
        "serviceAccountName": NAME,
        "priorityClassName": "system-cluster-critical",
        "nodeSelector": dict(args.node_selector),
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": RUN_AS,
            "runAsGroup": RUN_AS,
            "fsGroup": RUN_AS,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [
            {
                "name": NAME,
                "image": args.image,
                "imagePullPolicy": "IfNotPresent",
                "command": command(args.cluster_name),
                "resources": {"requests": {"cpu": CPU, "memory": MEMORY}, "limits": {"cpu": CPU, "memory": MEMORY}},
                "ports": [{"name": "http", "containerPort": HEALTH_PORT, "protocol": "TCP"}],
                # 500 once the main loop has been inactive for --max-inactivity (10 min) or without a
                # successful run for --max-failing-time (15 min), so the kubelet restarts a stuck
                # autoscaler. It answers 200 until the loop has started (metrics/liveness.go
                # StartMonitoring), so it cannot see a hang while informers sync (the DRA rule below).
                "livenessProbe": {
                    "httpGet": {"path": HEALTH_PATH, "port": HEALTH_PORT, "scheme": "HTTP"},
                    "initialDelaySeconds": 30,
                    "periodSeconds": 30,
                    "timeoutSeconds": 5,
                    "failureThreshold": 3,
                },
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "readOnlyRootFilesystem": True,
                    "runAsNonRoot": True,
                    "capabilities": {"drop": ["ALL"]},
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
                # No hostPath mount of the node's CA bundle, unlike the example: the image is
                # distroless/static, which carries its own, and Pod Security restricted forbids it.
            }
        ],
    }


# RBAC as in the example manifest (ClusterRole `cluster-autoscaler`, Role for its status
# ConfigMap and lease); tests/components/test_cluster_autoscaler.py compares them with it.
CLUSTER_RULES: list[dict[str, Any]] = [
    {"apiGroups": [""], "resources": ["events", "endpoints"], "verbs": ["create", "patch"]},
    {"apiGroups": [""], "resources": ["pods/eviction"], "verbs": ["create"]},
    {"apiGroups": [""], "resources": ["pods/status"], "verbs": ["update"]},
    {"apiGroups": [""], "resources": ["endpoints"], "resourceNames": [NAME], "verbs": ["get", "update"]},
    {"apiGroups": [""], "resources": ["nodes"], "verbs": ["watch", "list", "get", "update"]},
    {
        "apiGroups": [""],
        "resources": [
            "namespaces",
            "pods",
            "services",
            "replicationcontrollers",
            "persistentvolumeclaims",
            "persistentvolumes",
        ],
        "verbs": ["watch", "list", "get"],
    },
    {"apiGroups": ["extensions"], "resources": ["replicasets", "daemonsets"], "verbs": ["watch", "list", "get"]},
    {"apiGroups": ["policy"], "resources": ["poddisruptionbudgets"], "verbs": ["watch", "list"]},
    {
        "apiGroups": ["apps"],
        "resources": ["statefulsets", "replicasets", "daemonsets"],
        "verbs": ["watch", "list", "get"],
    },
    # Dynamic Resource Allocation is locked on since 1.35 (config/flags/flags.go,
    # --enable-dynamic-resource-allocation "locked to true"): the autoscaler always starts these
    # informers and blocks until they sync (main.go WaitForCacheSync), so without this rule it
    # never starts scaling. Upstream's example added it on master (commit 71612d6887, 2026-04).
    {
        "apiGroups": ["resource.k8s.io"],
        "resources": ["deviceclasses", "resourceslices", "resourceclaims"],
        "verbs": ["watch", "list", "get"],
    },
    {
        "apiGroups": ["storage.k8s.io"],
        "resources": ["storageclasses", "csinodes", "csidrivers", "csistoragecapacities", "volumeattachments"],
        "verbs": ["watch", "list", "get"],
    },
    {"apiGroups": ["batch", "extensions"], "resources": ["jobs"], "verbs": ["get", "list", "watch", "patch"]},
    {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create"]},
    {
        "apiGroups": ["coordination.k8s.io"],
        "resourceNames": [NAME],
        "resources": ["leases"],
        "verbs": ["get", "update"],
    },
]
NAMESPACE_RULES: list[dict[str, Any]] = [
    {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["create", "list", "watch"]},
    {
        "apiGroups": [""],
        "resources": ["configmaps"],
        "resourceNames": ["cluster-autoscaler-status", "cluster-autoscaler-priority-expander"],
        "verbs": ["delete", "get", "update", "watch"],
    },
]


def network_policies() -> dict[str, dict[str, Any]]:
    """Deny everything, then DNS to kube-dns and HTTPS anywhere (the API server and AWS's APIs)."""
    kube_dns = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
    }
    return {
        "default-deny-all": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
        "allow-dns-and-https-egress": {
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": NAME}},
            "policyTypes": ["Egress"],
            "egress": [
                {"to": [kube_dns], "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
                {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"protocol": "TCP", "port": 443}]},
            ],
        },
    }


class ClusterAutoscaler(pulumi.ComponentResource):
    """cluster-autoscaler in kube-system, with its own IRSA role."""

    role_arn: pulumi.Output[str]
    """The IAM role its service account assumes."""

    def __init__(self, name: str, args: ClusterAutoscalerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:index:ClusterAutoscaler", name, None, opts)
        trust = iam.service_account_trust(
            oidc_provider_arn=args.oidc_provider_arn,
            oidc_issuer_url=args.oidc_issuer_url,
            namespace=NAMESPACE,
            service_account=NAME,
            parent=self,
        )
        self.role = iam.role(
            f"{name}-role",
            description=f"cluster-autoscaler of {args.cluster_name}: resize this cluster's node groups only",
            trust=trust,
            parent=self,
        )
        self.policy = aws.iam.RolePolicy(
            f"{name}-role-scaling",
            role=self.role.resource.id,
            policy=json.dumps({"Version": "2012-10-17", "Statement": autoscaler_policy_statements(args.cluster_name)}),
            opts=pulumi.ResourceOptions(parent=self),
        )
        on_cluster = pulumi.ResourceOptions(
            parent=self, provider=args.kubernetes_provider, depends_on=[*args.depends_on]
        )
        self.namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={"name": NAMESPACE, "labels": restricted_namespace_labels(args.kubernetes_version)},
            opts=on_cluster,
        )
        in_namespace = pulumi.ResourceOptions.merge(on_cluster, pulumi.ResourceOptions(depends_on=[self.namespace]))
        for policy_name, spec in network_policies().items():
            k8s.networking.v1.NetworkPolicy(
                f"{name}-{policy_name}",
                metadata={"name": policy_name, "namespace": NAMESPACE, "labels": LABELS},
                spec=spec,
                opts=in_namespace,
            )
        metadata = {"name": NAME, "namespace": NAMESPACE, "labels": LABELS}
        self.service_account = k8s.core.v1.ServiceAccount(
            f"{name}-sa",
            metadata={**metadata, "annotations": {"eks.amazonaws.com/role-arn": self.role.arn}},
            opts=in_namespace,
        )
        cluster_role = k8s.rbac.v1.ClusterRole(
            f"{name}-clusterrole", metadata={"name": NAME, "labels": LABELS}, rules=CLUSTER_RULES, opts=on_cluster
        )
        k8s.rbac.v1.ClusterRoleBinding(
            f"{name}-clusterrolebinding",
            metadata={"name": NAME, "labels": LABELS},
            role_ref={
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": cluster_role.metadata.name,
            },
            subjects=[{"kind": "ServiceAccount", "name": NAME, "namespace": NAMESPACE}],
            opts=on_cluster,
        )
        role = k8s.rbac.v1.Role(f"{name}-role-k8s", metadata=metadata, rules=NAMESPACE_RULES, opts=in_namespace)
        k8s.rbac.v1.RoleBinding(
            f"{name}-rolebinding",
            metadata=metadata,
            role_ref={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role.metadata.name},
            subjects=[{"kind": "ServiceAccount", "name": NAME, "namespace": NAMESPACE}],
            opts=in_namespace,
        )
        self.deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=metadata,
            spec={
                "replicas": 1,  # one active instance; it elects a leader anyway
                "selector": {"matchLabels": {"app.kubernetes.io/name": NAME}},
                "template": {"metadata": {"labels": LABELS}, "spec": pod_spec(args)},
            },
            opts=pulumi.ResourceOptions.merge(
                in_namespace, pulumi.ResourceOptions(depends_on=[self.service_account, *self.role.ready, self.policy])
            ),
        )
        self.role_arn = self.role.arn
        self.register_outputs({"roleArn": self.role_arn})

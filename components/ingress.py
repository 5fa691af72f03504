"""PublicIngress: a region's public entry, Traefik behind an AWS Network Load Balancer.

Why Traefik: ingress-nginx was retired by the Kubernetes project in 2026 (no more security
fixes), and Traefik's chart already runs under the Pod Security `restricted` profile (non-root,
read-only root filesystem, no capabilities; it listens on 8000/8443, so it needs no
NET_BIND_SERVICE). The chart is pinned.

The NLB is a Service of type LoadBalancer that Pulumi creates itself (the chart's own Service is
off), so the hostname is an output Pulumi waits for: Route53 health-checks it. Only 443 is
exposed; `GET /ping` on it answers 200 from Traefik itself, the target of the health checks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.cluster import NODE_GROUP_LABEL, SYSTEM_GROUP
from components.pod_security_labels import restricted_namespace_labels

CHART = "traefik"
CHART_VERSION = "41.5.0"  # Traefik v3.7.13 (2026-09)
CHART_REPOSITORY = "https://traefik.github.io/charts"
RELEASE_NAME = "traefik"
HEALTH_PATH = "/ping"
HTTPS_PORT = 443
# The chart names its pods' HTTPS port `websecure` (container port 8443).
TARGET_PORT = "websecure"
# What the in-tree AWS load balancer integration of EKS reads (no extra controller needed).
NLB_ANNOTATIONS = {
    "service.beta.kubernetes.io/aws-load-balancer-type": "nlb",
    "service.beta.kubernetes.io/aws-load-balancer-cross-zone-load-balancing-enabled": "true",
}


class IngressArgsError(pulumi.RunError, ValueError):
    """Bad PublicIngress arguments; the message names the argument."""


@dataclass(frozen=True)
class PublicIngressArgs:
    kubernetes_provider: pulumi.ProviderResource
    kubernetes_version: str
    """The cluster's minor version: Pod Security is pinned to it."""
    namespace: str = "ingress"
    replicas: int = 2
    """Controller pods, spread over zones; a disruption budget keeps all but one up."""

    def __post_init__(self) -> None:
        if self.replicas < 1:
            raise IngressArgsError(f"replicas {self.replicas}: at least 1")


def chart_values(args: PublicIngressArgs) -> dict[str, Any]:
    """Hardened values for the Traefik chart."""
    instance = {"app.kubernetes.io/name": "traefik", "app.kubernetes.io/instance": f"{RELEASE_NAME}-{args.namespace}"}
    return {
        "deployment": {"replicas": args.replicas},
        "podDisruptionBudget": {"enabled": args.replicas > 1, "maxUnavailable": 1},
        "ingressClass": {"enabled": True, "isDefaultClass": True, "name": "traefik"},
        "service": {"enabled": False},  # the NLB Service is created by the component
        "providers": {
            "kubernetesIngress": {"publishedService": {"enabled": True, "pathOverride": f"{args.namespace}/public"}}
        },
        # No dashboard or API on any entry point; version checks and usage reports off.
        "api": {"dashboard": False},
        "globalArguments": ["--global.checknewversion=false", "--global.sendanonymoususage=false"],
        # The health check target: /ping answered on the public HTTPS entry point.
        "ingressRoute": {
            "healthcheck": {"enabled": True, "entryPoints": ["websecure"], "matchRule": f"Path(`{HEALTH_PATH}`)"}
        },
        "logs": {"access": {"enabled": True}},
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "256Mi"}},
        "nodeSelector": {NODE_GROUP_LABEL: SYSTEM_GROUP},
        "topologySpreadConstraints": [
            {
                "maxSkew": 1,
                "topologyKey": "topology.kubernetes.io/zone",
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": {"matchLabels": instance},
            }
        ],
        "podSecurityContext": {
            "runAsNonRoot": True,
            "runAsUser": 65532,
            "runAsGroup": 65532,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }


class PublicIngress(pulumi.ComponentResource):
    """Traefik and the NLB in front of it."""

    hostname: pulumi.Output[str]
    """The NLB's DNS name: the region's public endpoint."""
    health_path: str = HEALTH_PATH

    def __init__(self, name: str, args: PublicIngressArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:index:PublicIngress", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=args.kubernetes_provider)
        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace",
            metadata={"name": args.namespace, "labels": restricted_namespace_labels(args.kubernetes_version)},
            opts=child,
        )
        self.release = k8s.helm.v3.Release(
            f"{name}-traefik",
            name=RELEASE_NAME,
            chart=CHART,
            version=CHART_VERSION,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=CHART_REPOSITORY),
            namespace=args.namespace,
            values=chart_values(args),
            atomic=True,  # a failed upgrade rolls back instead of leaving a half-applied release
            cleanup_on_fail=True,
            timeout=600,
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[namespace])),
        )
        instance = f"{RELEASE_NAME}-{args.namespace}"
        self.service = k8s.core.v1.Service(
            f"{name}-nlb",
            metadata={"name": "public", "namespace": args.namespace, "annotations": NLB_ANNOTATIONS},
            spec={
                "type": "LoadBalancer",
                # Client addresses reach Traefik unchanged; nodes without a Traefik pod fail
                # the NLB's health check and get no traffic.
                "externalTrafficPolicy": "Local",
                "selector": {"app.kubernetes.io/name": "traefik", "app.kubernetes.io/instance": instance},
                "ports": [{"name": "https", "port": HTTPS_PORT, "targetPort": TARGET_PORT, "protocol": "TCP"}],
            },
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[self.release])),
        )
        self.hostname = self.service.status.apply(lambda status: str(status.load_balancer.ingress[0].hostname))
        self.register_outputs({"hostname": self.hostname})

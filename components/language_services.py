"""LanguageServicePool: the sandboxed language services (C, Python, Haskell, ...) on Kubernetes.

They run untrusted code, so everything defaults to the tightest setting that still works:

- a namespace that enforces Pod Security `restricted` (pinned to the cluster's version), with a
  ResourceQuota sized for every service at its maximum and a LimitRange;
- per service: a ServiceAccount without an API token, a Deployment whose pods run under gVisor
  (RuntimeClass `gvisor`, installed on the sandbox nodes by the Cluster) as a fixed non-root user
  with a read-only root filesystem, no capabilities, no privilege escalation, seccomp, a
  memory-backed /tmp of fixed size, per-run limits below the container's, probes on
  `GET /capabilities`, spread over zones, on the tainted `sandbox` nodes; a ClusterIP Service,
  an HPA on CPU and (with 2+ replicas) a PDB that never blocks a drain on a broken pod;
- NetworkPolicies: deny everything, then the backend's pods may reach each service's port. No
  egress at all, DNS included, unless `allowDns` (docs/sandbox.md has the threat model).

The manifests themselves are in `components/language_manifests.py`; this module registers them
with the Kubernetes provider it is given (the `Cluster`'s, or any other cluster's).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from eksplatform.components import language_manifests as manifests
from eksplatform.components.cluster import NODE_GROUP_LABEL, SANDBOX_GROUP, SANDBOX_TOLERATION
from eksplatform.components.facts import SUPPORTED_KUBERNETES_VERSIONS
from eksplatform.components.language_catalog import LanguageService
from eksplatform.stack.config import LanguageServicesConfig

SANDBOX_SCHEDULING = manifests.Scheduling(
    node_selector={NODE_GROUP_LABEL: SANDBOX_GROUP},
    tolerations=[SANDBOX_TOLERATION],
)


class LanguageServiceArgsError(pulumi.RunError, ValueError):
    """Bad LanguageServicePool arguments; the message names the argument."""


@dataclass(frozen=True)
class LanguageServicePoolArgs:
    config: LanguageServicesConfig
    """The region's `languageServices` config (catalog defaults merged in `resolved_services`)."""
    kubernetes_provider: pulumi.ProviderResource
    """The cluster to run on: `Cluster.kubernetes_provider`, or any Kubernetes provider."""
    kubernetes_version: str
    """The cluster's minor version (`1.34`): Pod Security is pinned to it."""
    scheduling: manifests.Scheduling = field(default_factory=lambda: SANDBOX_SCHEDULING)
    """Where pods run; default: the platform cluster's tainted `sandbox` node group."""
    runtime_class: pulumi.Resource | None = None
    """The RuntimeClass the pods name (`Cluster.sandbox_runtime_class`): pods wait for it, since
    admission rejects a pod whose RuntimeClass does not exist."""

    def __post_init__(self) -> None:
        if self.kubernetes_version not in SUPPORTED_KUBERNETES_VERSIONS:
            raise LanguageServiceArgsError(
                f"kubernetes_version {self.kubernetes_version!r}: use one of {SUPPORTED_KUBERNETES_VERSIONS}"
            )


@dataclass
class ServiceObjects:
    """What one language service registered."""

    service_account: k8s.core.v1.ServiceAccount
    deployment: k8s.apps.v1.Deployment
    service: k8s.core.v1.Service
    autoscaler: k8s.autoscaling.v2.HorizontalPodAutoscaler
    network_policy: k8s.networking.v1.NetworkPolicy
    disruption_budget: k8s.policy.v1.PodDisruptionBudget | None


class LanguageServicePool(pulumi.ComponentResource):
    """The sandboxed language services of one cluster."""

    namespace: pulumi.Output[str]
    """The namespace the services run in."""
    endpoints: dict[str, pulumi.Output[str]]
    """Per service, its in-cluster URL (`http://lang-<name>.<namespace>.svc.cluster.local:8080`)."""
    services: dict[str, LanguageService]
    """The services as resolved from the catalog and the config."""

    def __init__(self, name: str, args: LanguageServicePoolArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:index:LanguageServicePool", name, None, opts)
        self._name = name
        self._provider = args.kubernetes_provider
        config = args.config
        self.services = config.resolved_services()
        if not self.services:
            raise LanguageServiceArgsError(f"{name}: every language service is disabled; enable at least one")

        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace", **manifests.namespace(config, args.kubernetes_version), opts=self._child()
        )
        # Everything else waits for the namespace (and its Pod Security labels) to exist.
        inside = self._child(depends_on=[namespace])
        guards: list[pulumi.Resource] = [
            k8s.core.v1.ResourceQuota(f"{name}-quota", **manifests.resource_quota(config, self.services), opts=inside),
            k8s.core.v1.LimitRange(f"{name}-limits", **manifests.limit_range(config, self.services), opts=inside),
            k8s.networking.v1.NetworkPolicy(f"{name}-default-deny", **manifests.default_deny(config), opts=inside),
        ]
        if config.allow_dns:
            guards.append(
                k8s.networking.v1.NetworkPolicy(f"{name}-allow-dns", **manifests.allow_dns(config), opts=inside)
            )
        # Pods start only once the quota, limits and deny-all policy are in place.
        runtime = [args.runtime_class] if args.runtime_class is not None else []
        guarded = self._child(depends_on=[namespace, *guards, *runtime])
        self.objects = {
            service_name: self._service(service, config, args.scheduling, inside, guarded)
            for service_name, service in self.services.items()
        }

        self.namespace = namespace.metadata.apply(lambda metadata: str(metadata["name"]))
        self.endpoints = {
            service_name: pulumi.Output.concat(
                "http://",
                manifests.object_name(service_name),
                ".",
                self.namespace,
                ".svc.cluster.local:",
                str(manifests.PORT),
            )
            for service_name in self.services
        }
        self.register_outputs({"namespace": self.namespace, "endpoints": self.endpoints})

    def _child(self, **options: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, provider=self._provider, **options)

    def _service(
        self,
        service: LanguageService,
        config: LanguageServicesConfig,
        scheduling: manifests.Scheduling,
        inside: pulumi.ResourceOptions,
        guarded: pulumi.ResourceOptions,
    ) -> ServiceObjects:
        prefix = f"{self._name}-{service.name}"
        account_manifest = manifests.service_account(config, service)
        account = k8s.core.v1.ServiceAccount(
            f"{prefix}-account",
            metadata=account_manifest["metadata"],
            automount_service_account_token=account_manifest["automountServiceAccountToken"],
            opts=inside,
        )
        deployment = k8s.apps.v1.Deployment(
            f"{prefix}-deployment",
            **manifests.deployment(config, service, scheduling),
            # The HPA owns the replica count once the pre-spawned pool is up.
            opts=pulumi.ResourceOptions.merge(
                guarded, pulumi.ResourceOptions(depends_on=[account], ignore_changes=["spec.replicas"])
            ),
        )
        budget_manifest = manifests.disruption_budget(config, service)
        return ServiceObjects(
            service_account=account,
            deployment=deployment,
            service=k8s.core.v1.Service(f"{prefix}-service", **manifests.cluster_service(config, service), opts=inside),
            autoscaler=k8s.autoscaling.v2.HorizontalPodAutoscaler(
                f"{prefix}-hpa",
                **manifests.autoscaler(config, service),
                opts=self._child(depends_on=[deployment]),
            ),
            network_policy=k8s.networking.v1.NetworkPolicy(
                f"{prefix}-from-backend", **manifests.allow_backend(config, service), opts=inside
            ),
            disruption_budget=(
                k8s.policy.v1.PodDisruptionBudget(f"{prefix}-pdb", **budget_manifest, opts=inside)
                if budget_manifest is not None
                else None
            ),
        )

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
  egress at all, DNS included, unless `allow_dns` (docs/sandbox.md has the threat model).

The manifests themselves are in `components/language_manifests.py`; this module registers them
with the Kubernetes provider in its `opts.providers` (the `Cluster`'s, or any other cluster's).
`LanguageServicePoolArgs` is the `LanguageServicesSettings` a person chooses (the services as a
list of `SandboxedService`, namespace, egress, callers, nodes) plus the cluster's wiring (its
Kubernetes version and RuntimeClass); the platform's stack layer fills the settings from the
catalog and the stack file (eksplatform/stack/services_args.py).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, NoReturn

import pulumi
import pulumi_kubernetes as k8s

from eksplatform.components import language_manifests as manifests
from eksplatform.components.cluster import NODE_GROUP_LABEL, SANDBOX_GROUP, SANDBOX_TOLERATION
from eksplatform.components.facts import SUPPORTED_KUBERNETES_VERSIONS
from eksplatform.components.images import image_problem
from eksplatform.components.inputs import ArgsError, check_fields, enum_member, to_args
from eksplatform.components.kubernetes_names import dns_label_problem, labels_problem
from eksplatform.components.language_catalog import (
    EXTRA_SERVICE_DEFAULTS,
    LanguageService,
    service_name_problem,
    service_problems,
)
from eksplatform.components.sandbox_node import RUNTIME_CLASS

DEFAULT_NAMESPACE = "sandbox"
DEFAULT_MIN_REPLICAS = 2
DEFAULT_MAX_REPLICAS = 10
DEFAULT_BACKEND_NAMESPACE = "backend"
DEFAULT_BACKEND_SELECTOR = {"app.kubernetes.io/name": "backend"}
DEFAULT_NODE_SELECTOR = {NODE_GROUP_LABEL: SANDBOX_GROUP}
DEFAULT_TOLERATIONS = (SANDBOX_TOLERATION,)
# Kubernetes Toleration (core/v1 validation, ValidateTolerations): these keys only; operator Equal
# or Exists; effect empty (all) or one of three; an empty key needs operator Exists (it matches every
# taint), and operator Exists takes no value.
_TOLERATION_KEYS = {"key", "operator", "value", "effect"}
_TOLERATION_OPERATORS = {"Equal", "Exists"}
_TAINT_EFFECTS = {"", "NoSchedule", "PreferNoSchedule", "NoExecute"}


class LanguageServiceArgsError(ArgsError):
    """Bad LanguageServicePool arguments; the message starts with the field (`args.services[2].image`)."""


class ServiceArchitecture(StrEnum):
    """A node architecture (the Kubernetes `kubernetes.io/arch` label of the nodes EKS runs)."""

    AMD64 = "amd64"
    """x86-64."""
    ARM64 = "arm64"
    """Graviton (64-bit Arm)."""


@dataclass(frozen=True, kw_only=True)
class SandboxedService:
    """One language service of the pool: its image, replicas and resources."""

    name: str
    """The service's name (`python`): its objects are `lang-<name>`, its URL
    `http://lang-<name>.<namespace>.svc.cluster.local:8080`. Lowercase letters, digits and '-', at most 40."""
    image: str
    """The container image, pinned: `repository:tag` (not `latest`) or `repository@sha256:<digest>`."""
    min_replicas: int | None = None
    """Pre-spawned pods, the autoscaler's minimum. Default: 2 (one pod lost leaves one warm)."""
    max_replicas: int | None = None
    """The autoscaler's maximum. Default: 10."""
    cpu_request: str | None = None
    """CPU the scheduler reserves per pod, a Kubernetes quantity. Default: 250m."""
    cpu_limit: str | None = None
    """CPU a pod may use (throttled above it). Default: 500m."""
    memory_request: str | None = None
    """Memory reserved per pod, not counting /tmp. Default: 256Mi."""
    memory_limit: str | None = None
    """Memory a pod may use before it is killed, not counting /tmp (added on top). Default: 256Mi."""
    tmp_size: str | None = None
    """Size of the writable /tmp, a memory-backed volume (the root filesystem is read-only). Default: 64Mi."""
    architecture: ServiceArchitecture | None = None
    """The node architecture the image needs (`amd64` or `arm64`). Default: any."""

    def __post_init__(self) -> None:
        if self.architecture is not None:
            architecture = enum_member(
                ServiceArchitecture, self.architecture, "SandboxedService.architecture", LanguageServiceArgsError
            )
            object.__setattr__(self, "architecture", architecture)

    def resolved(self) -> LanguageService:
        """The service with every default filled in, as the manifests read it."""
        base = EXTRA_SERVICE_DEFAULTS
        return LanguageService(
            name=self.name,
            title=self.name,
            image=self.image,
            min_replicas=DEFAULT_MIN_REPLICAS if self.min_replicas is None else self.min_replicas,
            max_replicas=DEFAULT_MAX_REPLICAS if self.max_replicas is None else self.max_replicas,
            cpu_request=self.cpu_request or base.cpu_request,
            cpu_limit=self.cpu_limit or base.cpu_limit,
            memory_request=self.memory_request or base.memory_request,
            memory_limit=self.memory_limit or base.memory_limit,
            tmp_size=self.tmp_size or base.tmp_size,
            architecture=None if self.architecture is None else ServiceArchitecture(self.architecture).value,
        )


@dataclass(frozen=True, kw_only=True)
class LanguageServicesSettings:
    """What a person chooses for a pool: its services, namespace, egress, callers and nodes.
    `LanguageServicePoolArgs` adds the wiring (the cluster's version and RuntimeClass)."""

    services: Sequence[SandboxedService]
    """The language services, at least one, each name once (the platform passes its catalog's eight)."""
    namespace: str | None = None
    """The pool's namespace, created here with Pod Security `restricted` enforced. Default: sandbox."""
    allow_dns: bool | None = None
    """Allow DNS egress to kube-dns; DNS is a way out for untrusted code (docs/sandbox.md), and the
    policy pack refuses it unless the VPC has a DNS Firewall. Default: false (no egress at all)."""
    host_kernel: bool | None = None
    """Run the pods without a RuntimeClass, on the node's kernel (runc); the policy pack refuses it.
    Default: false."""
    backend_namespace: str | None = None
    """The namespace of the pods that call the services. Default: backend."""
    backend_selector: Mapping[str, str] | None = None
    """Labels of the pods (in `backend_namespace`) allowed to call the services.
    Default: {app.kubernetes.io/name: backend}."""
    node_selector: Mapping[str, str] | None = None
    """Node labels the pods must run on. Default: {platform/node-group: sandbox}, the platform
    cluster's sandbox nodes."""
    tolerations: Sequence[Mapping[str, str]] | None = None
    """Taints the pods tolerate (Kubernetes Toleration: key, operator, value, effect). Default: the
    sandbox nodes' taint platform/sandbox=true:NoSchedule."""

    def __post_init__(self) -> None:
        check_fields(self, LanguageServiceArgsError)  # an Output or wrong type, named (the Args' wiring too)
        for setting in ("namespace", "backend_namespace"):
            problem = dns_label_problem(getattr(self, f"resolved_{setting}"))
            if problem:
                self._fail(setting, problem)
        if not self.services:
            self._fail("services", "list at least one language service")
        seen: set[str] = set()
        for index, service in enumerate(self.services):
            if service.name in seen:
                self._fail(f"services[{index}].name", f"{service.name!r} is listed twice")
            seen.add(service.name)
            self._check_service(index, service)
        if not self.resolved_backend_selector:
            self._fail("backend_selector", "name at least one label: an empty selector admits every pod")
        for setting in ("backend_selector", "node_selector"):
            problem = labels_problem(dict(getattr(self, f"resolved_{setting}")))
            if problem:
                self._fail(setting, problem)
        for index, toleration in enumerate(self.resolved_tolerations):
            self._check_toleration(index, toleration)

    @staticmethod
    def _fail(field: str, message: str) -> NoReturn:
        raise LanguageServiceArgsError(f"args.{field}: {message}")

    def _check_service(self, index: int, service: SandboxedService) -> None:
        path = f"services[{index}]"
        problem = service_name_problem(service.name)
        if problem:
            self._fail(f"{path}.name", problem)
        problem = image_problem(service.image)
        if problem:
            self._fail(f"{path}.image", problem)
        for field, problem in service_problems(service.resolved()):
            self._fail(f"{path}.{field}", problem)

    def _check_toleration(self, index: int, toleration: Mapping[str, str]) -> None:
        path = f"tolerations[{index}]"
        unknown = set(toleration) - _TOLERATION_KEYS
        if unknown:
            self._fail(path, f"unknown keys {sorted(unknown)}; a toleration has {sorted(_TOLERATION_KEYS)}")
        if toleration.get("operator", "Equal") not in _TOLERATION_OPERATORS:
            self._fail(f"{path}.operator", f"{toleration['operator']!r}: one of {sorted(_TOLERATION_OPERATORS)}")
        if toleration.get("effect", "") not in _TAINT_EFFECTS:
            self._fail(f"{path}.effect", f"{toleration['effect']!r}: one of {sorted(_TAINT_EFFECTS - {''})}")
        operator = toleration.get("operator", "Equal")
        if operator == "Exists" and toleration.get("value", ""):
            self._fail(f"{path}.value", f"{toleration['value']!r}: operator Exists takes no value (leave it empty)")
        if not toleration.get("key", "") and operator != "Exists":
            self._fail(f"{path}.operator", "an empty key (every taint) needs operator Exists")

    @property
    def resolved_namespace(self) -> str:
        return self.namespace or DEFAULT_NAMESPACE

    @property
    def resolved_backend_namespace(self) -> str:
        return self.backend_namespace or DEFAULT_BACKEND_NAMESPACE

    @property
    def resolved_backend_selector(self) -> Mapping[str, str]:
        return DEFAULT_BACKEND_SELECTOR if self.backend_selector is None else self.backend_selector

    @property
    def resolved_node_selector(self) -> Mapping[str, str]:
        return DEFAULT_NODE_SELECTOR if self.node_selector is None else self.node_selector

    @property
    def resolved_tolerations(self) -> Sequence[Mapping[str, str]]:
        return DEFAULT_TOLERATIONS if self.tolerations is None else self.tolerations

    def scheduling(self) -> manifests.Scheduling:
        return manifests.Scheduling(
            node_selector=dict(self.resolved_node_selector),
            tolerations=[dict(toleration) for toleration in self.resolved_tolerations],
        )


@dataclass(frozen=True, kw_only=True)
class LanguageServicePoolArgs(LanguageServicesSettings):
    """The services of one pool (LanguageServicesSettings) and the cluster they run on (its version and
    RuntimeClass here; its provider comes in `opts.providers`)."""

    kubernetes_version: str
    """The cluster's minor version (`1.34`): the namespace's Pod Security level is pinned to it."""
    runtime_class_name: pulumi.Input[str] | None = None
    """The RuntimeClass every pod runs under; pass the RuntimeClass's name output (the `Cluster`'s
    gVisor one) so the pods wait for it: admission rejects a pod naming a missing class. Default: gvisor."""

    def __post_init__(self) -> None:
        super().__post_init__()  # the settings' rules (and every field's type) first
        if self.kubernetes_version not in SUPPORTED_KUBERNETES_VERSIONS:
            self._fail("kubernetes_version", f"{self.kubernetes_version!r}: use one of {SUPPORTED_KUBERNETES_VERSIONS}")
        if self.host_kernel and self.runtime_class_name is not None:
            self._fail("host_kernel", "true runs the pods without a RuntimeClass; leave runtime_class_name unset")

    def pool(self) -> manifests.Pool:
        """The pool-wide settings with their defaults, as the manifests read them."""
        runtime: pulumi.Input[str] | None = None
        if not self.host_kernel:
            runtime = RUNTIME_CLASS if self.runtime_class_name is None else self.runtime_class_name
        return manifests.Pool(
            namespace=self.resolved_namespace,
            backend_namespace=self.resolved_backend_namespace,
            backend_selector=dict(self.resolved_backend_selector),
            runtime_class_name=runtime,
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
    """The sandboxed language services of one cluster, each hardened for untrusted code.

    The cluster comes as the Kubernetes provider in `opts.providers` (every child inherits it)."""

    namespace: pulumi.Output[str]
    """The namespace the services run in."""
    endpoints: dict[str, pulumi.Output[str]]
    """Per service, its in-cluster URL (`http://lang-<name>.<namespace>.svc.cluster.local:8080`)."""

    def __init__(self, name: str, args: LanguageServicePoolArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        args = to_args(LanguageServicePoolArgs, args)  # other languages pass a dict (docs/other-languages.md)
        super().__init__("platform:index:LanguageServicePool", name, None, opts)
        if self.get_provider("kubernetes::") is None:
            # Without one the children would use the default provider, which our stacks disable.
            raise LanguageServiceArgsError(
                "opts.providers: give the cluster's Kubernetes provider (providers=[kubernetes_provider])"
            )
        self._name = name
        pool = args.pool()
        scheduling = args.scheduling()
        self._services = {service.name: service.resolved() for service in args.services}

        namespace = k8s.core.v1.Namespace(
            f"{name}-namespace", **manifests.namespace(pool, args.kubernetes_version), opts=self._child()
        )
        # Everything else waits for the namespace (and its Pod Security labels) to exist.
        inside = self._child(depends_on=[namespace])
        guards: list[pulumi.Resource] = [
            k8s.core.v1.ResourceQuota(f"{name}-quota", **manifests.resource_quota(pool, self._services), opts=inside),
            k8s.core.v1.LimitRange(f"{name}-limits", **manifests.limit_range(pool, self._services), opts=inside),
            k8s.networking.v1.NetworkPolicy(f"{name}-default-deny", **manifests.default_deny(pool), opts=inside),
        ]
        if args.allow_dns:
            guards.append(
                k8s.networking.v1.NetworkPolicy(f"{name}-allow-dns", **manifests.allow_dns(pool), opts=inside)
            )
        # Pods start only once the quota, limits and deny-all policy are in place (and the
        # RuntimeClass, when its name is another resource's output: the pod spec depends on it).
        guarded = self._child(depends_on=[namespace, *guards])
        self._objects = {
            service_name: self._service(service, pool, scheduling, inside, guarded)
            for service_name, service in self._services.items()
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
            for service_name in self._services
        }
        self.register_outputs({"namespace": self.namespace, "endpoints": self.endpoints})

    def _child(self, **options: Any) -> pulumi.ResourceOptions:
        # The Kubernetes provider comes from this component's providers (opts.providers).
        return pulumi.ResourceOptions(parent=self, **options)

    def _service(
        self,
        service: LanguageService,
        pool: manifests.Pool,
        scheduling: manifests.Scheduling,
        inside: pulumi.ResourceOptions,
        guarded: pulumi.ResourceOptions,
    ) -> ServiceObjects:
        prefix = f"{self._name}-{service.name}"
        account_manifest = manifests.service_account(pool, service)
        account = k8s.core.v1.ServiceAccount(
            f"{prefix}-account",
            metadata=account_manifest["metadata"],
            automount_service_account_token=account_manifest["automountServiceAccountToken"],
            opts=inside,
        )
        deployment = k8s.apps.v1.Deployment(
            f"{prefix}-deployment",
            **manifests.deployment(pool, service, scheduling),
            # The HPA owns the replica count once the pre-spawned pool is up.
            opts=pulumi.ResourceOptions.merge(
                guarded, pulumi.ResourceOptions(depends_on=[account], ignore_changes=["spec.replicas"])
            ),
        )
        budget_manifest = manifests.disruption_budget(pool, service)
        return ServiceObjects(
            service_account=account,
            deployment=deployment,
            service=k8s.core.v1.Service(f"{prefix}-service", **manifests.cluster_service(pool, service), opts=inside),
            autoscaler=k8s.autoscaling.v2.HorizontalPodAutoscaler(
                f"{prefix}-hpa",
                **manifests.autoscaler(pool, service),
                opts=self._child(depends_on=[deployment]),
            ),
            network_policy=k8s.networking.v1.NetworkPolicy(
                f"{prefix}-from-backend", **manifests.allow_backend(pool, service), opts=inside
            ),
            disruption_budget=(
                k8s.policy.v1.PodDisruptionBudget(f"{prefix}-pdb", **budget_manifest, opts=inside)
                if budget_manifest is not None
                else None
            ),
        )

"""The Kubernetes objects of the language-service pool, as plain manifests (camelCase dicts).

Pure functions of the resolved Args (`Pool` and each `LanguageService`): `LanguageServicePool`
registers them, and tests can read them without Pulumi. Everything a pod of untrusted code gets
is decided here, in one place.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from eksplatform.components.language_catalog import LanguageService
from eksplatform.components.pod_security_labels import MANAGED_BY, restricted_namespace_labels
from eksplatform.components.quantity import parse_quantity

PORT = 8080
PORT_NAME = "http"
HEALTH_PATH = "/capabilities"
# The requirements: probes every 30 s.
PROBE_PERIOD_SECONDS = 30
# Startup probe: up to 5 s x 36 = 3 minutes for slow starters (the JVM, GHC's runtime).
STARTUP_PERIOD_SECONDS = 5
STARTUP_FAILURE_THRESHOLD = 36
MAX_SURGE = "25%"
MAX_UNAVAILABLE = "25%"
# The HPA scales on CPU only: memory is requested at its limit and runtimes keep their heaps, so
# a memory target would hold replicas up (or be held up by hostile code) without any load.
HPA_CPU_UTILIZATION = 70
# A fixed unprivileged identity (the distroless "nonroot" user); never 0.
RUN_AS_USER = 65532
RUN_AS_GROUP = 65532
FS_GROUP = 65532
# The pod's only disk: container logs (/tmp is memory, counted in the memory limit).
LOG_STORAGE = "256Mi"
# Per-run caps the server applies to each submission inside the pod (docs/sandbox.md): below the
# container's, so one run over its cap is killed alone and the server and the pod survive.
RUN_MEMORY_SHARE = Decimal("0.75")
RUN_CPU_SHARE = Decimal("0.8")
RUN_MAX_PROCESSES = 64
RUN_CONCURRENCY = 1  # one run at a time per pod: no run shares the pod with another stranger's
ZONE_KEY = "topology.kubernetes.io/zone"
HOSTNAME_KEY = "kubernetes.io/hostname"
MIB = 2**20


@dataclass(frozen=True)
class Scheduling:
    """Where sandbox pods may run: the cluster's `sandbox` node group, which is tainted."""

    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: Sequence[Mapping[str, str]] = ()


@dataclass(frozen=True)
class Pool:
    """The pool-wide settings the manifests read (resolved from `LanguageServicePoolArgs`)."""

    namespace: str
    backend_namespace: str
    backend_selector: Mapping[str, str]
    runtime_class_name: Any
    """A `pulumi.Input[str]` naming the RuntimeClass (an Output carries the dependency); None: runc."""


def object_name(service: str) -> str:
    """Every object of one service is named `lang-<service>`."""
    return f"lang-{service}"


def selector_labels(service: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": object_name(service), "app.kubernetes.io/component": "language-service"}


def _labels(service: str) -> dict[str, str]:
    return {**selector_labels(service), **MANAGED_BY, "platform/language": service}


def _metadata(name: str, namespace: str, labels: Mapping[str, str]) -> dict[str, Any]:
    return {"name": name, "namespace": namespace, "labels": dict(labels)}


def _mebibytes(amount: Decimal) -> str:
    return f"{math.ceil(amount / MIB)}Mi"


# --- namespace -----------------------------------------------------------------------------


def namespace(pool: Pool, kubernetes_version: str) -> dict[str, Any]:
    """The namespace enforces Pod Security `restricted`, pinned to the cluster's version."""
    return {"metadata": {"name": pool.namespace, "labels": restricted_namespace_labels(kubernetes_version)}}


def _pods_at_most(service: LanguageService) -> int:
    """Pods one service can have at once: its maximum plus a rolling update's surge."""
    surge = math.ceil(service.max_replicas * int(MAX_SURGE.rstrip("%")) / 100)
    return service.max_replicas + surge


def resource_quota(pool: Pool, services: Mapping[str, LanguageService]) -> dict[str, Any]:
    """Room for every service at its maximum during a rolling update, and nothing more."""
    totals = {"requests.cpu": Decimal(0), "limits.cpu": Decimal(0), "requests.memory": Decimal(0)}
    totals["limits.memory"] = Decimal(0)
    storage = Decimal(0)
    pods = 0
    for service in services.values():
        count = _pods_at_most(service)
        pods += count
        totals["requests.cpu"] += count * parse_quantity(service.cpu_request)
        totals["limits.cpu"] += count * parse_quantity(service.cpu_limit)
        totals["requests.memory"] += count * container_memory(service, service.memory_request)
        totals["limits.memory"] += count * container_memory(service, service.memory_limit)
        storage += count * _ephemeral_limit(service)
    hard = {
        "pods": str(pods),
        "services": str(len(services)),
        # No way out of the cluster network from this namespace.
        "services.loadbalancers": "0",
        "services.nodeports": "0",
        "requests.cpu": f"{math.ceil(totals['requests.cpu'] * 1000)}m",
        "limits.cpu": f"{math.ceil(totals['limits.cpu'] * 1000)}m",
        "requests.memory": _mebibytes(totals["requests.memory"]),
        "limits.memory": _mebibytes(totals["limits.memory"]),
        "limits.ephemeral-storage": _mebibytes(storage),
    }
    return {"metadata": _metadata("language-services", pool.namespace, MANAGED_BY), "spec": {"hard": hard}}


def limit_range(pool: Pool, services: Mapping[str, LanguageService]) -> dict[str, Any]:
    """Defaults for a container that names no resources, and a ceiling no container may pass."""
    cpu_max = max(parse_quantity(s.cpu_limit) for s in services.values())
    memory_max = max(container_memory(s, s.memory_limit) for s in services.values())
    return {
        "metadata": _metadata("language-services", pool.namespace, MANAGED_BY),
        "spec": {
            "limits": [
                {
                    "type": "Container",
                    "default": {"cpu": "500m", "memory": "256Mi", "ephemeral-storage": "512Mi"},
                    "defaultRequest": {"cpu": "250m", "memory": "256Mi", "ephemeral-storage": "256Mi"},
                    "max": {"cpu": f"{math.ceil(cpu_max * 1000)}m", "memory": _mebibytes(memory_max)},
                }
            ]
        },
    }


# --- per service ---------------------------------------------------------------------------


def service_account(pool: Pool, service: LanguageService) -> dict[str, Any]:
    """An identity of its own with no API token: untrusted code must not reach the Kubernetes API."""
    return {
        "metadata": _metadata(object_name(service.name), pool.namespace, _labels(service.name)),
        "automountServiceAccountToken": False,
    }


def _ephemeral_limit(service: LanguageService) -> Decimal:
    return parse_quantity(LOG_STORAGE)


def container_memory(service: LanguageService, amount: str) -> Decimal:
    """A memory request or limit of the container: the service's amount plus its /tmp, since a
    memory-backed emptyDir's pages count against the container's memory (Kubernetes "Volumes",
    emptyDir: medium Memory)."""
    return parse_quantity(amount) + parse_quantity(service.tmp_size)


def run_limits(service: LanguageService) -> dict[str, str]:
    """What the server gives one run: memory and CPU below the container's, a process cap, /tmp."""
    memory = parse_quantity(service.memory_limit) * RUN_MEMORY_SHARE
    cpu = parse_quantity(service.cpu_limit) * RUN_CPU_SHARE
    return {
        "RUN_MEMORY_LIMIT_BYTES": str(math.floor(memory)),
        "RUN_CPU_LIMIT_MILLICORES": str(math.floor(cpu * 1000)),
        "RUN_MAX_PROCESSES": str(RUN_MAX_PROCESSES),
        "RUN_TMP_LIMIT_BYTES": str(math.floor(parse_quantity(service.tmp_size))),
        "RUN_CONCURRENCY": str(RUN_CONCURRENCY),
    }


def _probe(period: int, failure_threshold: int, timeout: int = 5) -> dict[str, Any]:
    return {
        "httpGet": {"path": HEALTH_PATH, "port": PORT_NAME, "scheme": "HTTP"},
        "periodSeconds": period,
        "timeoutSeconds": timeout,
        "failureThreshold": failure_threshold,
    }


def _seccomp() -> dict[str, str]:
    # RuntimeDefault: a Localhost profile would have to exist on every node, or the pod fails to
    # start (Kubernetes "Restrict a container's syscalls with seccomp"); gVisor filters syscalls.
    return {"type": "RuntimeDefault"}


def pod_spec(pool: Pool, service: LanguageService, scheduling: Scheduling) -> dict[str, Any]:
    """The pod of one service: the Pod Security `restricted` profile and then some."""
    container = {
        "name": service.name,
        "image": service.image,
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": PORT_NAME, "containerPort": PORT, "protocol": "TCP"}],
        "env": [
            {"name": "PORT", "value": str(PORT)},
            {"name": "TMPDIR", "value": "/tmp"},
            *({"name": key, "value": value} for key, value in run_limits(service).items()),
        ],
        "resources": {
            "requests": {
                "cpu": service.cpu_request,
                "memory": _mebibytes(container_memory(service, service.memory_request)),
                "ephemeral-storage": LOG_STORAGE,
            },
            "limits": {
                "cpu": service.cpu_limit,
                "memory": _mebibytes(container_memory(service, service.memory_limit)),
                "ephemeral-storage": _mebibytes(_ephemeral_limit(service)),
            },
        },
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "privileged": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "runAsUser": RUN_AS_USER,
            "runAsGroup": RUN_AS_GROUP,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": _seccomp(),
        },
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
        "startupProbe": _probe(STARTUP_PERIOD_SECONDS, STARTUP_FAILURE_THRESHOLD),
        "livenessProbe": _probe(PROBE_PERIOD_SECONDS, 3),
        "readinessProbe": _probe(PROBE_PERIOD_SECONDS, 2),
    }
    node_selector = dict(scheduling.node_selector)
    if service.architecture:
        node_selector["kubernetes.io/arch"] = service.architecture
    spread = [
        {
            "maxSkew": 1,
            "topologyKey": key,
            # ScheduleAnyway: losing a zone (or spot capacity in it) must not stop scaling.
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": selector_labels(service.name)},
        }
        for key in (ZONE_KEY, HOSTNAME_KEY)
    ]
    spec: dict[str, Any] = {
        "serviceAccountName": object_name(service.name),
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,  # no environment variables describing other services
        "hostNetwork": False,
        "hostPID": False,
        "hostIPC": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": RUN_AS_USER,
            "runAsGroup": RUN_AS_GROUP,
            "fsGroup": FS_GROUP,
            "seccompProfile": _seccomp(),
        },
        "containers": [container],
        # tmpfs: nothing a run writes reaches the node's disk, and the size is a hard limit.
        "volumes": [{"name": "tmp", "emptyDir": {"medium": "Memory", "sizeLimit": service.tmp_size}}],
        "nodeSelector": node_selector,
        "tolerations": [dict(toleration) for toleration in scheduling.tolerations],
        "topologySpreadConstraints": spread,
        "terminationGracePeriodSeconds": 30,
    }
    if pool.runtime_class_name is not None:
        spec["runtimeClassName"] = pool.runtime_class_name
    return spec


def deployment(pool: Pool, service: LanguageService, scheduling: Scheduling) -> dict[str, Any]:
    name = object_name(service.name)
    return {
        "metadata": _metadata(name, pool.namespace, _labels(service.name)),
        "spec": {
            # The pre-spawned pool; the HPA owns the count afterwards (the component ignores it).
            "replicas": service.min_replicas,
            "selector": {"matchLabels": selector_labels(service.name)},
            "revisionHistoryLimit": 5,
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxUnavailable": MAX_UNAVAILABLE, "maxSurge": MAX_SURGE},
            },
            "template": {
                "metadata": {"labels": _labels(service.name)},
                "spec": pod_spec(pool, service, scheduling),
            },
        },
    }


def cluster_service(pool: Pool, service: LanguageService) -> dict[str, Any]:
    return {
        "metadata": _metadata(object_name(service.name), pool.namespace, _labels(service.name)),
        "spec": {
            "type": "ClusterIP",
            "selector": selector_labels(service.name),
            "ports": [{"name": PORT_NAME, "port": PORT, "targetPort": PORT_NAME, "protocol": "TCP"}],
        },
    }


def autoscaler(pool: Pool, service: LanguageService) -> dict[str, Any]:
    def utilization(resource: str, percent: int) -> dict[str, Any]:
        return {
            "type": "Resource",
            "resource": {"name": resource, "target": {"type": "Utilization", "averageUtilization": percent}},
        }

    return {
        "metadata": _metadata(object_name(service.name), pool.namespace, _labels(service.name)),
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": object_name(service.name)},
            "minReplicas": service.min_replicas,
            "maxReplicas": service.max_replicas,
            "metrics": [utilization("cpu", HPA_CPU_UTILIZATION)],
            # Scale up at once for bursts of submissions; scale down slowly to keep the pool warm.
            "behavior": {
                "scaleUp": {"stabilizationWindowSeconds": 0},
                "scaleDown": {"stabilizationWindowSeconds": 300},
            },
        },
    }


def disruption_budget(pool: Pool, service: LanguageService) -> dict[str, Any] | None:
    """With 2 or more replicas possible, a drain takes at most one pod at a time; None otherwise."""
    if service.max_replicas < 2:
        return None
    return {
        "metadata": _metadata(object_name(service.name), pool.namespace, _labels(service.name)),
        "spec": {
            "maxUnavailable": 1,
            "selector": {"matchLabels": selector_labels(service.name)},
            # A crash-looping pod (one a hostile run broke) never blocks a drain (Kubernetes
            # PodDisruptionBudget: unhealthyPodEvictionPolicy, GA in 1.31).
            "unhealthyPodEvictionPolicy": "AlwaysAllow",
        },
    }


# --- network policies ----------------------------------------------------------------------


def default_deny(pool: Pool) -> dict[str, Any]:
    """Nothing in or out of the namespace unless another policy allows it."""
    return {
        "metadata": _metadata("default-deny-all", pool.namespace, MANAGED_BY),
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    }


def allow_dns(pool: Pool) -> dict[str, Any]:
    """Name lookups through the cluster's DNS, and nothing else."""
    kube_dns = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
    }
    return {
        "metadata": _metadata("allow-dns-egress", pool.namespace, MANAGED_BY),
        "spec": {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [
                {
                    "to": [kube_dns],
                    "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                }
            ],
        },
    }


def allow_backend(pool: Pool, service: LanguageService) -> dict[str, Any]:
    """The service's port, from the backend's pods only."""
    backend = {
        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": pool.backend_namespace}},
        "podSelector": {"matchLabels": dict(pool.backend_selector)},
    }
    return {
        "metadata": _metadata(f"{object_name(service.name)}-from-backend", pool.namespace, _labels(service.name)),
        "spec": {
            "podSelector": {"matchLabels": selector_labels(service.name)},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [backend], "ports": [{"protocol": "TCP", "port": PORT}]}],
        },
    }

"""Kubernetes workloads: no-root (the whole Pod Security `restricted` profile), limits, images.

Every workload kind is read through its pod template (`policies/pod_security.py`), and every
container list of it: containers, init containers and ephemeral containers.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from components.images import image_problem
from components.quantity import parse_quantity
from policies.pod_security import containers, pod_template, violations
from policies.rule import Resource, Rule, at, mapping, schema, sequence

WORKLOAD_TYPES: dict[str, str] = {
    "kubernetes:core/v1:Pod": "Pod",
    "kubernetes:core/v1:PodTemplate": "PodTemplate",
    "kubernetes:core/v1:ReplicationController": "ReplicationController",
    "kubernetes:apps/v1:Deployment": "Deployment",
    "kubernetes:apps/v1:StatefulSet": "StatefulSet",
    "kubernetes:apps/v1:DaemonSet": "DaemonSet",
    "kubernetes:apps/v1:ReplicaSet": "ReplicaSet",
    "kubernetes:batch/v1:Job": "Job",
    "kubernetes:batch/v1:CronJob": "CronJob",
}
WORKLOADS = tuple(WORKLOAD_TYPES)
HPA_TYPES = ("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "kubernetes:autoscaling/v1:HorizontalPodAutoscaler")


def pod_of(resource: Resource) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    template = pod_template(WORKLOAD_TYPES[resource.type], resource.props)
    return template if template is not None else ({}, {})


def namespace_of(resource: Resource) -> str:
    return str(at(resource.props, "metadata", "namespace") or "default")


# --- no-root ---------------------------------------------------------------------------------


def _restricted(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    metadata, spec = pod_of(resource)
    for violation in violations(metadata, spec, level="restricted"):
        yield f"Pod Security restricted, {violation}"


def _read_only_root(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if namespace_of(resource) not in config["untrustedNamespaces"]:
        return
    for label, container in containers(pod_of(resource)[1]):
        if at(container, "securityContext", "readOnlyRootFilesystem") is not True:
            yield f"{label}: set securityContext.readOnlyRootFilesystem to true (mount an emptyDir where it writes)"


def _no_token(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if namespace_of(resource) not in config["untrustedNamespaces"]:
        return
    if resource.type == "kubernetes:core/v1:ServiceAccount":
        if resource.props.get("automountServiceAccountToken") is not False:
            yield "set automountServiceAccountToken: false on the service account"
    elif pod_of(resource)[1].get("automountServiceAccountToken") is not False:
        yield "set the pod's automountServiceAccountToken to false: untrusted code must not get an API token"


UNTRUSTED = {
    "untrustedNamespaces": schema("array", ["sandbox"], "namespaces that run untrusted code", items={"type": "string"})
}

NO_ROOT_RULES = (
    Rule(
        name="noroot-kubernetes-pod-security-restricted",
        description="Every workload's pod passes the Kubernetes Pod Security Standards restricted profile "
        "(baseline checks included), on every container, init and ephemeral ones too.",
        severity="critical",
        enforcement="mandatory",
        check=_restricted,
        resource_types=WORKLOADS,
        remediation="Run as non-root with seccomp RuntimeDefault, drop ALL capabilities, forbid privilege "
        "escalation, and use no host namespaces, ports or paths.",
    ),
    Rule(
        name="noroot-kubernetes-read-only-root-filesystem",
        description="Containers in untrusted-code namespaces have a read-only root filesystem.",
        severity="high",
        enforcement="mandatory",
        check=_read_only_root,
        resource_types=WORKLOADS,
        config_schema=UNTRUSTED,
    ),
    Rule(
        name="noroot-kubernetes-no-service-account-token",
        description="Pods and service accounts in untrusted-code namespaces do not mount an API token.",
        severity="high",
        enforcement="mandatory",
        check=_no_token,
        resource_types=(*WORKLOADS, "kubernetes:core/v1:ServiceAccount"),
        config_schema=UNTRUSTED,
    ),
)


# --- limits ----------------------------------------------------------------------------------


def _amount(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        return parse_quantity(value)
    except (ValueError, TypeError):
        return None


def _container_resources(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    caps = {"cpu": _amount(config["maxCpu"]), "memory": _amount(config["maxMemory"])}
    for label, container in containers(pod_of(resource)[1]):
        resources = mapping(container.get("resources"))
        for kind in ("requests", "limits"):
            missing = [name for name in ("cpu", "memory") if mapping(resources.get(kind)).get(name) is None]
            if missing:
                yield f"{label}: set resources.{kind} for {' and '.join(missing)}"
        for name in ("cpu", "memory"):
            request = _amount(at(resources, "requests", name))
            limit = _amount(at(resources, "limits", name))
            cap = caps[name]
            if limit is not None and cap is not None and limit > cap:
                cap_text = config["max" + name.capitalize()]
                yield f"{label}: limits.{name} {at(resources, 'limits', name)} is above the cap {cap_text}"
            if limit is not None and request is not None and limit < request:
                yield f"{label}: limits.{name} is below requests.{name}; raise the limit or lower the request"


def _hpa_max(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    maximum = at(resource.props, "spec", "maxReplicas")
    if isinstance(maximum, (int, float)) and maximum > config["maxReplicas"]:
        yield f"spec.maxReplicas {int(maximum)} is above the cap {config['maxReplicas']}"


LIMIT_RULES = (
    Rule(
        name="limits-kubernetes-container-resources",
        description="Every container sets cpu and memory requests and limits, limits within the caps and "
        "not below requests.",
        severity="high",
        enforcement="mandatory",
        check=_container_resources,
        resource_types=WORKLOADS,
        config_schema={
            "maxCpu": schema("string", "4", "largest cpu limit of one container"),
            "maxMemory": schema("string", "8Gi", "largest memory limit of one container"),
        },
    ),
    Rule(
        name="limits-kubernetes-hpa-max-replicas",
        description="A HorizontalPodAutoscaler's maxReplicas stays within the cap.",
        severity="medium",
        enforcement="mandatory",
        check=_hpa_max,
        resource_types=HPA_TYPES,
        config_schema={"maxReplicas": schema("integer", 50, "largest maxReplicas")},
    ),
)


# --- images ----------------------------------------------------------------------------------


def _images(resource: Resource) -> Iterator[tuple[str, str]]:
    for label, container in containers(pod_of(resource)[1]):
        image = container.get("image")
        if isinstance(image, str):
            yield label, image


def _pinned(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    for label, image in _images(resource):
        problem = image_problem(image)
        if problem is not None:
            yield f"{label}: {problem}"


def _allowed_registry(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    patterns = [str(pattern) for pattern in sequence(config["allowedRegistries"])]
    for label, image in _images(resource):
        if not any(fnmatch.fnmatchcase(image, pattern) for pattern in patterns):
            yield f"{label}: image {image!r} is not from an allowed registry ({', '.join(patterns)})"


IMAGE_RULES = (
    Rule(
        name="images-kubernetes-pinned",
        description="Container images are pinned: a version tag other than latest, or a digest.",
        severity="high",
        enforcement="mandatory",
        check=_pinned,
        resource_types=WORKLOADS,
    ),
    Rule(
        name="images-kubernetes-allowed-registries",
        description="Container images come from an allowed registry.",
        severity="high",
        enforcement="mandatory",
        check=_allowed_registry,
        resource_types=WORKLOADS,
        config_schema={
            "allowedRegistries": schema(
                "array",
                ["*.dkr.ecr.*.amazonaws.com/*", "public.ecr.aws/*", "registry.k8s.io/*"],
                "image patterns (shell-style) that may run",
                items={"type": "string"},
            )
        },
    ),
)

"""Kubernetes workloads: no-root (the whole Pod Security `restricted` profile), limits, images.

Every workload kind is read through its pod template (`policies/pod_security.py`), and every
container list of it: containers, init containers and ephemeral containers.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from eksplatform.components.images import image_problem
from eksplatform.components.quantity import parse_quantity
from eksplatform.policies.pod_security import POD_TEMPLATE_PATHS, containers, pod_template, violations
from eksplatform.policies.rule import UNKNOWN, Resource, Rule, StackRule, at, is_unknown, mapping, schema, sequence

FULL_WORKLOAD_TYPES: dict[str, str] = {
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
# Server-side apply patches (pulumi-kubernetes `<Kind>Patch`) change a workload Pulumi may not own:
# what they set is judged like a workload's, what they leave out is the target's own business.
PATCH_TYPES: dict[str, str] = {f"{token}Patch": kind for token, kind in FULL_WORKLOAD_TYPES.items()}
WORKLOAD_TYPES: dict[str, str] = {**FULL_WORKLOAD_TYPES, **PATCH_TYPES}
WORKLOADS = tuple(WORKLOAD_TYPES)
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
NAMESPACE = "kubernetes:core/v1:Namespace"
NAMESPACE_PATCH = "kubernetes:core/v1:NamespacePatch"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
ENFORCE_LABEL = "pod-security.kubernetes.io/enforce"
HPA_TYPES = ("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "kubernetes:autoscaling/v1:HorizontalPodAutoscaler")
CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")

# What a patch leaves out, filled with compliant values so that only what it sets can fail a rule.
_PATCH_POD_DEFAULTS: dict[str, Any] = {
    "automountServiceAccountToken": False,
    "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
}
_PATCH_CONTAINER_DEFAULTS: dict[str, Any] = {
    "securityContext": {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "capabilities": {"drop": ["ALL"]},
    },
}


def _merged(default: Any, given: Any) -> Any:
    if isinstance(default, Mapping) and isinstance(given, Mapping):
        return {**default, **{key: _merged(default.get(key), value) for key, value in given.items()}}
    return given if given is not None else default


def _patched_container(container: Any) -> Any:
    if not isinstance(container, Mapping):
        return container
    filled = _merged(_PATCH_CONTAINER_DEFAULTS, container)
    resources = mapping(container.get("resources"))
    requests, limits = mapping(resources.get("requests")), mapping(resources.get("limits"))
    # Unset amounts stay the target's: a request stands in for its missing limit, zero otherwise.
    filled["resources"] = {
        "requests": {name: requests.get(name, "0") for name in ("cpu", "memory")},
        "limits": {name: limits.get(name, requests.get(name, "0")) for name in ("cpu", "memory")},
    }
    return filled


def _patched_pod(spec: Mapping[str, Any]) -> dict[str, Any]:
    filled: dict[str, Any] = _merged(_PATCH_POD_DEFAULTS, spec)
    for key in CONTAINER_LISTS:
        if sequence(spec.get(key)):  # a list, or the SDK's list proxy
            filled[key] = [_patched_container(container) for container in sequence(spec[key])]
    return filled


def pod_of(resource: Resource) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    template = pod_template(WORKLOAD_TYPES[resource.type], resource.props)
    if template is None:
        return {}, {}
    if resource.type in PATCH_TYPES:
        return template[0], _patched_pod(template[1])
    return template


def namespace_of(resource: Resource) -> str:
    """metadata.namespace, else the namespace of the object's provider (pulumi-kubernetes applies
    its `namespace` input to objects that name none), else `default`."""
    namespace = at(resource.props, "metadata", "namespace")
    if resource.type == HELM_RELEASE:
        namespace = resource.props.get("namespace")
    return str(namespace or resource.provider_props.get("namespace") or "default")


def cluster_namespace(resource: Resource) -> tuple[str, str]:
    """Which cluster (the Kubernetes provider's URN) and namespace an object lives in: namespace
    names repeat across clusters and regions, so neither alone identifies one."""
    return resource.provider, namespace_of(resource)


# --- no-root ---------------------------------------------------------------------------------


def _restricted(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    metadata, spec = pod_of(resource)
    for violation in violations(metadata, spec, level="restricted"):
        yield f"Pod Security restricted, {violation}"


def _restrict(resource: Resource, config: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The restricted fields that have one safe value: seccomp RuntimeDefault where none (or
    Unconfined) is set, capabilities drop ALL, allowPrivilegeEscalation false (not on privileged
    containers, which the API refuses). runAsNonRoot is left alone: the image decides if it can."""
    if str(at(pod_of(resource)[1], "os", "name")).lower() == "windows":
        return None  # seccomp, capabilities and allowPrivilegeEscalation are Linux-only fields
    props = copy.deepcopy(dict(resource.props))
    spec = _spec_path(resource, props)
    if spec is None:
        return None
    pod_context = spec.setdefault("securityContext", {})
    if mapping(pod_context.get("seccompProfile")).get("type") in (None, "Unconfined"):
        pod_context["seccompProfile"] = {"type": "RuntimeDefault"}
    for key in ("containers", "initContainers", "ephemeralContainers"):
        for container in spec.get(key) or []:
            context = container.setdefault("securityContext", {})
            if mapping(context.get("seccompProfile")).get("type") == "Unconfined":
                context.pop("seccompProfile")
            capabilities = context.setdefault("capabilities", {})
            drop = list(capabilities.get("drop") or [])
            if "ALL" not in drop:
                capabilities["drop"] = [*drop, "ALL"]
            if context.get("privileged") is not True:
                context["allowPrivilegeEscalation"] = False
    return props


def _spec_path(resource: Resource, props: dict[str, Any]) -> dict[str, Any] | None:
    """The mutable pod spec inside a copy of a workload's props."""
    paths = POD_TEMPLATE_PATHS.get(WORKLOAD_TYPES.get(resource.type, ""))
    if paths is None:
        return None
    node: Any = props
    for key in paths[1]:
        if not isinstance(node, dict):
            return None
        node = node.setdefault(key, {})
    return node if isinstance(node, dict) else None


def _read_only_root(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if namespace_of(resource) not in config["untrustedNamespaces"]:
        return
    for label, container in containers(pod_of(resource)[1]):
        if at(container, "securityContext", "readOnlyRootFilesystem") is not True:
            yield f"{label}: set securityContext.readOnlyRootFilesystem to true (mount an emptyDir where it writes)"


def _no_token(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """Service accounts of untrusted namespaces disable the token; no pod there asks for one.
    A pod that leaves the field unset follows its service account (token-not-mounted checks it)."""
    if namespace_of(resource) not in config["untrustedNamespaces"]:
        return
    if resource.type == SERVICE_ACCOUNT:
        if resource.props.get("automountServiceAccountToken") is not False:
            yield "set automountServiceAccountToken: false on the service account"
    elif pod_of(resource)[1].get("automountServiceAccountToken") is True:
        yield "set the pod's automountServiceAccountToken to false: untrusted code must not get an API token"


def _disable_token(resource: Resource, config: Mapping[str, Any]) -> Mapping[str, Any] | None:
    if namespace_of(resource) not in config["untrustedNamespaces"]:
        return None
    if resource.type == SERVICE_ACCOUNT:
        return {**resource.props, "automountServiceAccountToken": False}
    props = copy.deepcopy(dict(resource.props))
    spec = _spec_path(resource, props)
    if spec is None:
        return None
    spec["automountServiceAccountToken"] = False
    return props


def _token_not_mounted(resources: Sequence[Resource], config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Every pod in an untrusted namespace ends up without a token: its own field false, or unset
    with its service account (same cluster and namespace) disabling it (Kubernetes: the pod's
    setting wins over the service account's)."""
    untrusted = set(sequence(config["untrustedNamespaces"]))
    accounts = {
        (*cluster_namespace(account), str(at(account.props, "metadata", "name"))): account
        for account in resources
        if account.type == SERVICE_ACCOUNT
    }
    for workload in (r for r in resources if r.type in WORKLOAD_TYPES):
        cluster, namespace = cluster_namespace(workload)
        if namespace not in untrusted:
            continue
        spec = pod_of(workload)[1]
        own = spec.get("automountServiceAccountToken")
        if own is False or is_unknown(own):
            continue
        if own is None:
            name = str(spec.get("serviceAccountName") or spec.get("serviceAccount") or "default")
            account = accounts.get((cluster, namespace, name))
            setting = account.props.get("automountServiceAccountToken") if account is not None else None
            if setting is False or is_unknown(setting):
                continue
            why = (
                f"its service account {name!r} does not disable the token"
                if account
                else (f"its service account {name!r} is not managed here")
            )
        else:
            why = "it sets automountServiceAccountToken: true"
        yield (
            f"{workload.name} in namespace {namespace!r} gets an API token ({why}); set the pod's "
            "automountServiceAccountToken to false",
            workload.urn,
        )


def _namespace_restricted(resources: Sequence[Resource], config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Untrusted namespaces, in every cluster that runs them, enforce Pod Security restricted."""
    untrusted = set(sequence(config["untrustedNamespaces"]))
    labelled: dict[tuple[str, str], Resource] = {}
    for namespace in (r for r in resources if r.type == NAMESPACE):
        name = at(namespace.props, "metadata", "name")
        if name in untrusted:
            labelled[(namespace.provider, str(name))] = namespace
    for key, namespace in labelled.items():
        labels = mapping(at(namespace.props, "metadata", "labels"))
        level = labels.get(ENFORCE_LABEL)
        if level != "restricted" and not is_unknown(level):
            yield (
                f"namespace {key[1]!r} runs untrusted code: label it {ENFORCE_LABEL}: restricted (it is {level!r})",
                namespace.urn,
            )
    for patch in (r for r in resources if r.type == NAMESPACE_PATCH):
        name, labels = at(patch.props, "metadata", "name"), at(patch.props, "metadata", "labels")
        if name not in untrusted or (not is_unknown(labels) and ENFORCE_LABEL not in mapping(labels)):
            continue
        level = UNKNOWN if is_unknown(labels) else mapping(labels)[ENFORCE_LABEL]
        if level != "restricted" and not is_unknown(level):
            yield (
                f"{patch.name} patches namespace {name!r}, which runs untrusted code, to {ENFORCE_LABEL}: "
                f"{level!r}; it must stay restricted",
                patch.urn,
            )
    reported: set[tuple[str, str]] = set()
    for workload in (r for r in resources if r.type in WORKLOAD_TYPES):
        key = cluster_namespace(workload)
        if key[1] in untrusted and key not in labelled and key not in reported:
            reported.add(key)
            yield (
                f"namespace {key[1]!r} runs untrusted code but is not managed here, so nothing enforces Pod "
                f"Security: create it with the label {ENFORCE_LABEL}: restricted",
                workload.urn,
            )


# One setting for every policy that reads it: config_check.SHARED_KNOBS applies a value given on
# any of them to all of them, and refuses two different values.
UNTRUSTED = {
    "untrustedNamespaces": schema(
        "array",
        ["sandbox"],
        "namespaces that run untrusted code (one value for the whole pack)",
        items={"type": "string", "pattern": "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"},
        minItems=1,
        uniqueItems=True,
    )
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
        reference="Kubernetes Pod Security Standards: restricted (policy 1.36)",
        remediation="Run as non-root with seccomp RuntimeDefault, drop ALL capabilities, forbid privilege "
        "escalation, and use no host namespaces, ports or paths. Remediation sets seccomp RuntimeDefault, "
        "drop ALL and allowPrivilegeEscalation false.",
        remedy=_restrict,
    ),
    Rule(
        name="noroot-kubernetes-read-only-root-filesystem",
        description="Containers in untrusted-code namespaces have a read-only root filesystem.",
        severity="high",
        enforcement="mandatory",
        check=_read_only_root,
        resource_types=WORKLOADS,
        config_schema=UNTRUSTED,
        reference="CIS Kubernetes Benchmark 5.7.3 (security context); NSA/CISA Kubernetes hardening",
    ),
    Rule(
        name="noroot-kubernetes-no-service-account-token",
        description="Service accounts in untrusted-code namespaces disable the API token, and no pod there "
        "asks for one.",
        severity="high",
        enforcement="mandatory",
        check=_no_token,
        resource_types=(*WORKLOADS, SERVICE_ACCOUNT),
        config_schema=UNTRUSTED,
        reference="CIS Amazon EKS Benchmark 4.1.6",
        remediation="Set automountServiceAccountToken: false on the service account and the pod.",
        remedy=_disable_token,
    ),
)

NO_ROOT_STACK_RULES = (
    StackRule(
        name="noroot-kubernetes-token-not-mounted",
        description="Every pod in an untrusted-code namespace runs without an API token (its own setting, or "
        "its service account's in the same cluster).",
        severity="high",
        enforcement="mandatory",
        check=_token_not_mounted,
        config_schema=UNTRUSTED,
        reference="CIS Amazon EKS Benchmark 4.1.6",
    ),
    StackRule(
        name="noroot-kubernetes-namespace-restricted",
        description="Namespaces of untrusted workloads exist in the stack, in every cluster, labelled to enforce "
        "Pod Security restricted.",
        severity="high",
        enforcement="mandatory",
        check=_namespace_restricted,
        config_schema=UNTRUSTED,
        reference="Kubernetes Pod Security Admission; CIS Amazon EKS Benchmark 4.2",
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
    for name, cap in caps.items():
        if cap is None:  # the config check refuses this; never let a bad cap switch the check off
            yield f"the cap max{name.capitalize()} {config['max' + name.capitalize()]!r} is not a quantity"
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
            # Kubernetes quantities (apimachinery resource.Quantity): cores or millicores; bytes with
            # a decimal or binary suffix. "2 cores" or "4GB" are refused, not read as "no cap".
            "maxCpu": schema(
                "string", "4", "largest cpu limit of one container", pattern=r"^([0-9]+(\.[0-9]+)?|[0-9]+m)$"
            ),
            "maxMemory": schema(
                "string",
                "8Gi",
                "largest memory limit of one container",
                pattern=r"^[0-9]+(\.[0-9]+)?(k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$",
            ),
        },
    ),
    Rule(
        name="limits-kubernetes-hpa-max-replicas",
        description="A HorizontalPodAutoscaler's maxReplicas stays within the cap.",
        severity="medium",
        enforcement="mandatory",
        check=_hpa_max,
        resource_types=HPA_TYPES,
        config_schema={"maxReplicas": schema("integer", 50, "largest maxReplicas", minimum=1, maximum=1000)},
    ),
)


# --- images ----------------------------------------------------------------------------------


def _images(resource: Resource) -> Iterator[tuple[str, str]]:
    for label, container in containers(pod_of(resource)[1]):
        image = container.get("image")
        if isinstance(image, str):
            yield label, image


# A release version: three numeric parts (1.2.3, gcc-14.2.0, 3.13.1-alpine). Branch and channel
# tags (main, stable, lts) and partial versions (3, 3.13) move to new images as they are pushed.
RELEASE_VERSION = re.compile(r"(?<![0-9.])v?[0-9]+\.[0-9]+\.[0-9]+(?![0-9])")


def pin_problem(image: str) -> str | None:
    """Why `image` is not pinned, or None: pinned is a digest, or a tag naming a full release
    version (the platform's rule; a tag is only as immutable as the registry keeps it, which is why
    a digest is better still)."""
    problem = image_problem(image)
    if problem is not None or "@" in image:
        return problem
    tag = image.rpartition(":")[2]
    if RELEASE_VERSION.search(tag) is None:
        return (
            f"{image!r}: tag {tag!r} names no release version (major.minor.patch) and can move; pin a release "
            "version or a digest (repository@sha256:...)"
        )
    return None


def _pinned(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    for label, image in _images(resource):
        problem = pin_problem(image)
        if problem is not None:
            yield f"{label}: {problem}"


EXACT_VERSION = re.compile(r"^v?[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$")


def chart_of(release: Mapping[str, Any]) -> Any:
    """A Helm release's chart as one string: an OCI or URL reference as given, else the repository
    URL and the chart name (`https://traefik.github.io/charts/traefik`); UNKNOWN while not known."""
    chart, repository = release.get("chart"), at(release, "repositoryOpts", "repo")
    if is_unknown(chart) or is_unknown(repository) or is_unknown(release.get("repositoryOpts")):
        return UNKNOWN
    chart = str(chart or "").strip()
    if "://" in chart or not repository:
        return chart.rstrip("/")
    return f"{str(repository).rstrip('/')}/{chart}"


def _helm_release(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """A Helm release is opaque to every pod rule (its manifests are rendered by the provider), so
    what it may install is decided here: an allowlisted chart at an exact version, never into a
    namespace of untrusted code."""
    props = resource.props
    namespace = props.get("namespace")
    if not is_unknown(namespace) and namespace_of(resource) in set(sequence(config["untrustedNamespaces"])):
        yield f"a Helm release in namespace {namespace_of(resource)!r}, which runs untrusted code; install it elsewhere"
    chart = chart_of(props)
    allowed = [str(pattern) for pattern in sequence(config["allowedCharts"])]
    if not is_unknown(chart) and chart not in allowed:
        yield f"chart {chart!r} is not allowed ({', '.join(allowed)}); add it to allowedCharts after review"
    version = props.get("version")
    if not is_unknown(version) and not (isinstance(version, str) and EXACT_VERSION.match(version.strip())):
        yield f"pin the chart to an exact version (it is {version!r}); a range or none installs whatever is newest"


DOCKER_HUB = "docker.io"


def _reference(image: str) -> tuple[str, str]:
    """(registry host, the rest) of an image reference; a first part without `.` or `:` (and not
    localhost) is a Docker Hub repository (distribution/reference, normalize.go)."""
    first, _, rest = image.partition("/")
    if not rest or ("." not in first and ":" not in first and first != "localhost"):
        return DOCKER_HUB, image if rest else f"library/{image}"
    return first.lower(), rest


def _pattern(pattern: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """A registry pattern as two regular expressions. In the host, `*` is one DNS label (no dots):
    `111111111111.dkr.ecr.*.amazonaws.com` admits a region, never another host. In the path, `*`
    stays inside one segment and a final `/*` admits every repository below the prefix."""
    host, rest = _reference(pattern)
    host_re = re.escape(host).replace(r"\*", "[a-z0-9-]+")
    if rest == "*" or rest.endswith("/*"):
        prefix = rest[:-1]
        rest_re = re.escape(prefix).replace(r"\*", "[^/]+") + ".+"
    else:
        rest_re = re.escape(rest).replace(r"\*", "[^/]*")
    return re.compile(host_re), re.compile(rest_re)


def _allowed_registry(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    patterns = [str(pattern) for pattern in sequence(config["allowedRegistries"])]
    compiled = [_pattern(pattern) for pattern in patterns]
    for label, image in _images(resource):
        host, rest = _reference(image)
        if not any(h.fullmatch(host) and r.fullmatch(rest) for h, r in compiled):
            yield f"{label}: image {image!r} is not from an allowed registry ({', '.join(patterns)})"


IMAGE_RULES = (
    Rule(
        name="images-kubernetes-pinned",
        description="Container images are pinned: a digest, or a tag naming a full release version "
        "(major.minor.patch); branch tags such as main or latest are not.",
        severity="high",
        enforcement="mandatory",
        check=_pinned,
        resource_types=WORKLOADS,
        reference="NSA/CISA Kubernetes Hardening Guide: image provenance; platform requirement",
    ),
    Rule(
        name="images-kubernetes-allowed-registries",
        description="Container images come from an allowed registry.",
        severity="high",
        enforcement="mandatory",
        check=_allowed_registry,
        resource_types=WORKLOADS,
        reference="CIS Amazon EKS Benchmark 5.1.4 (approved container registries only); platform requirement",
        config_schema={
            "allowedRegistries": schema(
                "array",
                ["*.dkr.ecr.*.amazonaws.com/*", "public.ecr.aws/*", "registry.k8s.io/*"],
                "image patterns (shell-style) that may run",
                items={"type": "string", "minLength": 1},
                minItems=1,
            )
        },
    ),
    Rule(
        name="images-kubernetes-helm-release-allowed",
        description="Helm releases install an allowlisted chart at an exact version, never into an untrusted "
        "namespace.",
        severity="high",
        enforcement="mandatory",
        check=_helm_release,
        resource_types=(HELM_RELEASE,),
        reference="CIS Amazon EKS Benchmark 5.1.4 (approved sources only); platform requirement",
        config_schema={
            "allowedCharts": schema(
                "array",
                [
                    "https://traefik.github.io/charts/traefik",
                    "https://aws.github.io/eks-charts/aws-load-balancer-controller",
                ],
                "charts that may be installed: repository URL/chart name, or an oci:// reference",
                items={"type": "string", "minLength": 1},
                minItems=1,
            ),
            **UNTRUSTED,
        },
        judges_unknowns=True,
    ),
)

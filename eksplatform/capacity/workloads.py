"""Read node groups and the pods they must hold from a stack's resources (inputs, camelCase).

The same reading serves preflight (an export document) and the policy pack (what AnalyzeStack
sends), so it works on plain mappings only. Where a value is missing, Kubernetes' own default is
used: 1 replica, strategy RollingUpdate with 25 % surge and 25 % unavailable, HPA minReplicas 1,
a container's request equal to its limit when only the limit is set, else the namespace
LimitRange's defaultRequest (the API server's LimitRanger admission plugin applies it).

During a preview the pack sees `UNKNOWN` (policies/rule.py) where a value is not known yet. A
stack policy judges only what it knows: a node group or workload whose sizing is unknown is not
counted, and a note says so, instead of reading the unknown as 0.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from eksplatform.capacity.addons import ADDON_PODS, CHART_PODS, ChartPods, replicas
from eksplatform.components.node_capacity import EC2_INSTANCE_TYPES, InstanceType, unknown_instance_type
from eksplatform.components.quantity import parse_quantity
from eksplatform.properties import is_unknown

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ADDON = "aws:eks/addon:Addon"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
STATEFUL_SET = "kubernetes:apps/v1:StatefulSet"
DAEMON_SET = "kubernetes:apps/v1:DaemonSet"
REPLICA_SET = "kubernetes:apps/v1:ReplicaSet"
POD = "kubernetes:core/v1:Pod"
LIMIT_RANGE = "kubernetes:core/v1:LimitRange"
RUNTIME_CLASS = "kubernetes:node.k8s.io/v1:RuntimeClass"
HPAS = ("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "kubernetes:autoscaling/v1:HorizontalPodAutoscaler")
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
LANGUAGE_POOL = "platform:index:LanguageServicePool"

# The label every platform node carries with its group's name (components/cluster.py).
NODE_GROUP_LABEL = "platform/node-group"
# components/cluster.py names a cluster's Kubernetes provider `<cluster component>-kubernetes`;
# a policy pack may see the provider's URN but not the provider, so the name links the two.
KUBERNETES_PROVIDER_SUFFIX = "-kubernetes"
# EKS managed node group taint effects, as the Kubernetes API spells them.
TAINT_EFFECTS = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute", "PREFER_NO_SCHEDULE": "PreferNoSchedule"}

MIB = Decimal(2**20)


@dataclass(frozen=True)
class Item:
    """One resource: its inputs and where it sits (parent, provider URN, region)."""

    urn: str
    type: str
    props: Mapping[str, Any]
    parent: str = ""
    provider: str = ""
    """The URN of its provider (without the `::id`), "" when none or unknown."""
    region: str | None = None


@dataclass(frozen=True)
class Taint:
    key: str
    value: str
    effect: str


@dataclass(frozen=True)
class NodeShape:
    """What any node of a group offers: the minimum over its instance types, per dimension.

    A managed node group may launch any of its listed types, so each of CPU, memory and pods is
    the smallest the types offer (not all taken from the type with the least CPU).
    """

    types: tuple[InstanceType, ...]

    @property
    def name(self) -> str:
        return "/".join(t.name for t in self.types)

    @property
    def allocatable_cpu_millis(self) -> int:
        return min(t.allocatable_cpu_millis for t in self.types)

    @property
    def allocatable_memory_mib(self) -> int:
        return min(t.allocatable_memory_mib for t in self.types)

    @property
    def max_pods(self) -> int:
        return min(t.max_pods for t in self.types)


@dataclass(frozen=True)
class NodeGroup:
    """One managed node group as the scheduler sees its nodes."""

    cluster: str
    name: str
    """The platform/node-group label (the config key), else the resource's name."""
    urn: str
    region: str | None
    instance_types: tuple[str, ...]
    instance: NodeShape | None
    """Any node of the group, at the least each dimension offers over its types."""
    min_size: int
    max_size: int
    labels: Mapping[str, str]
    taints: tuple[Taint, ...]
    problem: str = ""
    """Why the group cannot be modelled (an unknown instance type), or ""."""
    capacity_type: str = "ON_DEMAND"
    """The eks.amazonaws.com/capacityType label of its nodes."""
    aws_name: str | None = None
    """The EKS node group name (the eks.amazonaws.com/nodegroup label), None when auto-named."""


@dataclass(frozen=True)
class SelectorTerm:
    """One required node affinity term: all its expressions and field requirements must hold.

    An empty term (neither) matches no node (Kubernetes, NodeSelectorTerm).
    """

    expressions: tuple[Mapping[str, Any], ...] = ()
    fields: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class Pod:
    """What one pod of a workload asks of a node."""

    owner: str
    """`Deployment sandbox/lang-python`, `add-on coredns`, ..."""
    cpu_millis: int
    memory_mib: int
    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: tuple[Mapping[str, Any], ...] = ()
    node_affinity: tuple[SelectorTerm, ...] = ()
    """Required node affinity: any term; none admits every node."""


@dataclass(frozen=True)
class Workload:
    """A controller's pods: how many at the minimum, at full scale and in a rolling update."""

    pod: Pod
    kind: str
    urn: str
    cluster: str
    minimum: int = 1
    maximum: int = 1
    surge: int = 0
    """Extra pods a rolling update starts before it stops any (maxUnavailable rounds to 0)."""
    hint: str = ""
    """The config key (a prefix) that sizes it, e.g. `languageServices.services.java`."""

    @property
    def daemon(self) -> bool:
        return self.kind == "DaemonSet"


@dataclass(frozen=True)
class Note:
    """Something the check did not count or cannot judge, on the resource it concerns."""

    text: str
    urn: str = ""

    def __str__(self) -> str:
        return self.text


@dataclass
class Inventory:
    """Per cluster (keyed by the cluster component's URN), its node groups and workloads."""

    node_groups: dict[str, list[NodeGroup]] = field(default_factory=dict)
    workloads: dict[str, list[Workload]] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    """What was not counted and why (a chart whose pods are unknown, an unlinked provider)."""
    unjudged: set[str] = field(default_factory=set)
    """Clusters with a node group whose sizing is unknown during a preview: not placed at all."""


# --- small readers ---------------------------------------------------------------------------


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, Sequence) and not isinstance(value, (str, bytes)) else []


def _int(value: Any, default: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return default
    return int(value)


def _quantity(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        return parse_quantity(value)
    except (ValueError, TypeError):
        return None


def urn_name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def unknown_at(value: Any, path: str = "") -> str | None:
    """The path of the first value a preview does not know yet inside `value`, or None."""
    if is_unknown(value):
        return path or "(the value)"
    if isinstance(value, Mapping):
        for key, item in value.items():
            found = unknown_at(item, f"{path}.{key}" if path else str(key))
            if found is not None:
                return found
    elif isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        for index, item in enumerate(value):
            found = unknown_at(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def _scaled(value: Any, replicas: int, round_up: bool, default: str) -> int:
    """A rolling update's maxSurge (rounded up) or maxUnavailable (rounded down) as a pod count."""
    if value is None:
        value = default
    if isinstance(value, str) and value.endswith("%"):
        try:
            share = Decimal(value[:-1]) * replicas / 100
        except ArithmeticError:
            return 0
        return math.ceil(share) if round_up else math.floor(share)
    return max(_int(value, 0), 0)


def rollout_surge(strategy: Mapping[str, Any], replicas: int) -> int:
    """Pods above `replicas` a Deployment's rolling update needs room for.

    Only when maxUnavailable rounds to 0 must new pods start before old ones stop; otherwise
    the update can make room itself. Recreate never surges.
    """
    if strategy.get("type") == "Recreate" or replicas < 1:
        return 0
    rolling = _map(strategy.get("rollingUpdate"))
    if _scaled(rolling.get("maxUnavailable"), replicas, round_up=False, default="25%") > 0:
        return 0
    return _scaled(rolling.get("maxSurge"), replicas, round_up=True, default="25%")


# --- pods ------------------------------------------------------------------------------------


def _container_requests(container: Mapping[str, Any], defaults: Mapping[str, Any]) -> tuple[Decimal, Decimal]:
    resources = _map(container.get("resources"))
    requests, limits = _map(resources.get("requests")), _map(resources.get("limits"))
    found = []
    for resource in ("cpu", "memory"):
        value = _quantity(requests.get(resource))
        if value is None:
            value = _quantity(limits.get(resource))  # the API server copies the limit
        if value is None:
            value = _quantity(defaults.get(resource))  # LimitRange defaultRequest
        found.append(value or Decimal(0))
    return found[0], found[1]


def _pod_level(spec: Mapping[str, Any], resource: str) -> Decimal | None:
    """Pod-level spec.resources (PodLevelResources, beta in 1.34): the request, else the limit."""
    resources = _map(spec.get("resources"))
    value = _quantity(_map(resources.get("requests")).get(resource))
    return value if value is not None else _quantity(_map(resources.get("limits")).get(resource))


@dataclass(frozen=True)
class RuntimeClass:
    """What a RuntimeClass adds to each pod that names it (the RuntimeClass admission plugin)."""

    cpu: Decimal = Decimal(0)
    memory: Decimal = Decimal(0)
    node_selector: Mapping[str, str] = field(default_factory=dict)
    tolerations: tuple[Mapping[str, Any], ...] = ()


def pod_of(
    owner: str,
    spec: Mapping[str, Any],
    defaults: Mapping[str, Any],
    runtime_class: RuntimeClass | None = None,
) -> Pod:
    """A pod spec's effective requests, as the scheduler computes them.

    k8s.io/component-helpers `resource.PodRequests`: the containers' sum plus every sidecar (an
    init container with restartPolicy Always runs beside them), or the largest init step if
    higher, where an init container's step also holds the sidecars started before it; pod-level
    requests replace the sum where set; a RuntimeClass's overhead is added on top.
    """
    cpu = memory = Decimal(0)
    for container in _list(spec.get("containers")):
        container_cpu, container_memory = _container_requests(_map(container), defaults)
        cpu += container_cpu
        memory += container_memory
    sidecar_cpu = sidecar_memory = init_cpu = init_memory = Decimal(0)
    for raw in _list(spec.get("initContainers")):
        container = _map(raw)
        step_cpu, step_memory = _container_requests(container, defaults)
        if container.get("restartPolicy") == "Always":
            cpu, memory = cpu + step_cpu, memory + step_memory
            sidecar_cpu, sidecar_memory = sidecar_cpu + step_cpu, sidecar_memory + step_memory
            step_cpu, step_memory = sidecar_cpu, sidecar_memory
        else:
            step_cpu, step_memory = step_cpu + sidecar_cpu, step_memory + sidecar_memory
        init_cpu, init_memory = max(init_cpu, step_cpu), max(init_memory, step_memory)
    cpu, memory = max(cpu, init_cpu), max(memory, init_memory)
    pod_cpu, pod_memory = _pod_level(spec, "cpu"), _pod_level(spec, "memory")
    cpu = pod_cpu if pod_cpu is not None else cpu
    memory = pod_memory if pod_memory is not None else memory
    runtime = runtime_class or RuntimeClass()
    cpu, memory = cpu + runtime.cpu, memory + runtime.memory
    affinity = _map(
        _map(_map(spec.get("affinity")).get("nodeAffinity")).get("requiredDuringSchedulingIgnoredDuringExecution")
    )
    terms = tuple(
        SelectorTerm(
            tuple(_map(expression) for expression in _list(_map(term).get("matchExpressions"))),
            tuple(_map(requirement) for requirement in _list(_map(term).get("matchFields"))),
        )
        for term in _list(affinity.get("nodeSelectorTerms"))
    )
    selector = {str(k): str(v) for k, v in _map(spec.get("nodeSelector")).items()}
    return Pod(
        owner=owner,
        cpu_millis=math.ceil(cpu * 1000),
        memory_mib=math.ceil(memory / MIB),
        node_selector={**runtime.node_selector, **selector},
        tolerations=tuple(_map(t) for t in _list(spec.get("tolerations"))) + runtime.tolerations,
        node_affinity=terms,
    )


# --- the inventory ---------------------------------------------------------------------------


def _node_group(item: Item, cluster: str) -> NodeGroup:
    props = item.props
    labels = {str(k): str(v) for k, v in _map(props.get("labels")).items()}
    types = tuple(str(t) for t in _list(props.get("instanceTypes")))
    scaling = _map(props.get("scalingConfig"))
    taints = tuple(
        Taint(
            str(_map(t).get("key", "")),
            str(_map(t).get("value") or ""),
            TAINT_EFFECTS.get(str(_map(t).get("effect")), ""),
        )
        for t in _list(props.get("taints"))
    )
    unknown = [t for t in types if t not in EC2_INSTANCE_TYPES]
    known = tuple(EC2_INSTANCE_TYPES[t] for t in types if t in EC2_INSTANCE_TYPES)
    problem = unknown_instance_type(unknown[0]) if unknown else ("" if known else "no instanceTypes")
    instance = NodeShape(known) if known else None
    name = props.get("nodeGroupName")
    return NodeGroup(
        cluster=cluster,
        name=labels.get(NODE_GROUP_LABEL) or urn_name(item.urn),
        urn=item.urn,
        region=item.region,
        instance_types=types,
        instance=None if problem else instance,
        min_size=_int(scaling.get("minSize"), 0),
        max_size=_int(scaling.get("maxSize"), 0),
        labels=labels,
        taints=taints,
        problem=problem,
        capacity_type=str(props.get("capacityType") or "ON_DEMAND"),  # the EKS API's default
        aws_name=name if isinstance(name, str) and name else None,
    )


def _owning_cluster(item: Item, suffix: str) -> str:
    """The cluster a node group or add-on belongs to: its parent, the Cluster component.

    A policy pack is sent no components, so there the parent is unknown; components/cluster.py
    names these children `<cluster>-<group>` and `<cluster>-<add-on>`, so the name tells.
    """
    if item.parent:
        return item.parent
    name = urn_name(item.urn)
    return name.removesuffix(f"-{suffix}") if suffix else name


def _cluster_of(item: Item, providers: Mapping[str, str], clusters: Sequence[str]) -> str | None:
    """The cluster (component URN) whose Kubernetes provider the item uses."""
    if item.provider in providers:
        parent = providers[item.provider]
        if parent in clusters:
            return parent
    if item.provider:
        by_name = {urn_name(cluster) + KUBERNETES_PROVIDER_SUFFIX: cluster for cluster in clusters}
        if urn_name(item.provider) in by_name:
            return by_name[urn_name(item.provider)]
    return clusters[0] if len(clusters) == 1 else None


def _namespace(props: Mapping[str, Any]) -> str:
    return str(_map(props.get("metadata")).get("namespace") or "default")


def _name(props: Mapping[str, Any], item: Item) -> str:
    return str(_map(props.get("metadata")).get("name") or urn_name(item.urn))


def default_request(limit: Mapping[str, Any]) -> dict[str, Any]:
    """A Container LimitRange item's defaultRequest after the API server's defaulting.

    Kubernetes `SetDefaults_LimitRangeItem`: default falls back to max; defaultRequest falls back
    to default, then to min; per resource.
    """
    default = {**_map(limit.get("max")), **_map(limit.get("default"))}
    return {**_map(limit.get("min")), **default, **_map(limit.get("defaultRequest"))}


def _limit_defaults(items: Iterable[Item]) -> dict[str, dict[str, Any]]:
    """Per namespace, the Container defaultRequest of its LimitRange."""
    defaults: dict[str, dict[str, Any]] = {}
    for item in items:
        if item.type != LIMIT_RANGE:
            continue
        for limit in _list(_map(item.props.get("spec")).get("limits")):
            if _map(limit).get("type") == "Container":
                defaults.setdefault(_namespace(item.props), {}).update(default_request(_map(limit)))
    return defaults


def _runtime_classes(items: Iterable[Item]) -> dict[str, RuntimeClass]:
    """Each RuntimeClass in the graph by name: its podFixed overhead and scheduling."""
    found = {}
    for item in items:
        if item.type != RUNTIME_CLASS:
            continue
        fixed = _map(_map(item.props.get("overhead")).get("podFixed"))
        scheduling = _map(item.props.get("scheduling"))
        found[_name(item.props, item)] = RuntimeClass(
            cpu=_quantity(fixed.get("cpu")) or Decimal(0),
            memory=_quantity(fixed.get("memory")) or Decimal(0),
            node_selector={str(k): str(v) for k, v in _map(scheduling.get("nodeSelector")).items()},
            tolerations=tuple(_map(t) for t in _list(scheduling.get("tolerations"))),
        )
    return found


def _hpa_ranges(items: Iterable[Item], notes: list[Note]) -> dict[tuple[str, str, str], tuple[int, int]]:
    """(namespace, kind, name) of each HPA's target -> (minReplicas, maxReplicas)."""
    ranges = {}
    for item in items:
        if item.type not in HPAS:
            continue
        spec = _map(item.props.get("spec"))
        target = _map(spec.get("scaleTargetRef"))
        unknown = unknown_at({"metadata": _map(item.props.get("metadata")), "spec": spec})
        if unknown is not None:
            notes.append(
                Note(
                    f"HPA {urn_name(item.urn)}: {unknown} is unknown during preview; its target counts its replicas",
                    item.urn,
                )
            )
            continue
        minimum = _int(spec.get("minReplicas"), 1)
        ranges[(_namespace(item.props), str(target.get("kind")), str(target.get("name")))] = (
            minimum,
            _int(spec.get("maxReplicas"), minimum),
        )
    return ranges


def _sizing(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of a pod spec that decide its requests and where it may run."""
    containers = {
        key: [{"resources": _map(c).get("resources"), "restartPolicy": _map(c).get("restartPolicy")} for c in _list(v)]
        for key, v in (("containers", spec.get("containers")), ("initContainers", spec.get("initContainers")))
    }
    keys = ("resources", "nodeSelector", "affinity", "tolerations", "runtimeClassName")
    return {**containers, **{key: spec.get(key) for key in keys}}


def _language_hint(item: Item, props: Mapping[str, Any]) -> str:
    labels = _map(_map(props.get("metadata")).get("labels"))
    language = labels.get("platform/language")
    return f"languageServices.services.{language}" if LANGUAGE_POOL in item.urn and language else ""


def _controller(
    item: Item,
    cluster: str,
    defaults: Mapping[str, Mapping[str, Any]],
    hpas: Mapping[Any, Any],
    runtimes: Mapping[str, RuntimeClass],
) -> tuple[Workload | None, list[Note]]:
    """The workload of a controller or bare pod, or None (with a note) when its sizing is unknown."""
    props = item.props
    kind = item.type.rsplit(":", 1)[-1]
    spec = _map(props.get("spec"))
    template = _map(spec.get("template")) if kind != "Pod" else {"spec": spec}
    pod_spec = _map(template.get("spec"))
    scaling = {"replicas": spec.get("replicas"), "strategy": spec.get("strategy")} if kind != "Pod" else {}
    unknown = unknown_at({"metadata": _map(props.get("metadata")), **scaling, "pod": _sizing(pod_spec)})
    if unknown is not None:
        text = f"{kind} {urn_name(item.urn)}: {unknown} is unknown during preview; its pods are not counted"
        return None, [Note(text, item.urn)]
    namespace, name = _namespace(props), _name(props, item)
    owner = f"{kind} {namespace}/{name}"
    notes = []
    runtime_name = pod_spec.get("runtimeClassName")
    runtime = runtimes.get(str(runtime_name)) if runtime_name else None
    if runtime_name and runtime is None:
        # The RuntimeClass admission plugin adds its overhead.podFixed to each pod's requests.
        notes.append(
            Note(
                f"{owner}: runtimeClassName {runtime_name} is not in the stack; its pod overhead and "
                "scheduling are not counted",
                item.urn,
            )
        )
    pod = pod_of(owner, pod_spec, defaults.get(namespace, {}), runtime)
    if kind == "DaemonSet":
        return Workload(pod, kind, item.urn, cluster), notes
    count = _int(spec.get("replicas"), 1) if kind != "Pod" else 1
    hpa_min, hpa_max = hpas.get((namespace, kind, name), (count, count))
    minimum = max(count, hpa_min)
    surge = rollout_surge(_map(spec.get("strategy")), minimum) if kind == "Deployment" else 0
    workload = Workload(
        pod, kind, item.urn, cluster, minimum, max(minimum, hpa_max), surge, hint=_language_hint(item, props)
    )
    return workload, notes


def _chart(item: Item, cluster: str, chart: ChartPods) -> Workload | Note:
    values = _map(item.props.get("values"))
    keys = ("resources", "nodeSelector", "tolerations", "affinity", "updateStrategy")
    count_value: Any = values
    for key in chart.replicas_path:
        count_value = _map(count_value).get(key)
    unknown = unknown_at({".".join(chart.replicas_path): count_value, **{k: values.get(k) for k in keys}})
    if unknown is not None:
        return Note(f"Helm release {urn_name(item.urn)}: values.{unknown} is unknown during preview; not counted")
    count = _int(count_value, chart.default_replicas)
    rolling = dict(chart.default_rolling_update)
    rolling.update(_map(_map(values.get("updateStrategy")).get("rollingUpdate")))
    spec = {
        "containers": [{"resources": _map(values.get("resources"))}],
        "nodeSelector": _map(values.get("nodeSelector")),
        "tolerations": _list(values.get("tolerations")),
        "affinity": _map(values.get("affinity")),
    }
    namespace = str(item.props.get("namespace") or "default")
    name = item.props.get("name") or urn_name(item.urn)
    pod = pod_of(f"Deployment {namespace}/{name} (chart {item.props.get('chart')})", spec, {})
    surge = rollout_surge({"rollingUpdate": rolling}, count)
    return Workload(pod, "Deployment", item.urn, cluster, count, count, surge, hint="")


def _addon(item: Item, cluster: str) -> list[Workload] | Note:
    name = str(item.props.get("addonName"))
    configuration = item.props.get("configurationValues")
    if is_unknown(configuration):
        return Note(f"add-on {name}: configurationValues is unknown during preview; its pods are not counted")
    try:
        settings = _map(json.loads(configuration)) if isinstance(configuration, str) else {}
    except ValueError:
        settings = {}
    workloads = []
    for pods in ADDON_PODS.get(name, ()):
        pod = Pod(f"add-on {name} ({pods.name})", pods.cpu_millis, pods.memory_mib, {}, pods.tolerations)
        count = replicas(pods, settings) if pods.kind == "Deployment" else 1
        workloads.append(Workload(pod, pods.kind, item.urn, cluster, count, count, 0))
    return workloads


_GROUP_SIZING = ("instanceTypes", "scalingConfig", "labels", "taints", "capacityType")


def inventory(items: Sequence[Item]) -> Inventory:
    """Node groups and workloads per cluster, as far as the resources tell."""
    found = Inventory()
    for item in items:
        if item.type == NODE_GROUP:
            label = _map(item.props.get("labels")).get(NODE_GROUP_LABEL)
            cluster = _owning_cluster(item, str(label or ""))
            unknown = unknown_at({key: item.props.get(key) for key in _GROUP_SIZING})
            if unknown is not None:
                # Pods could land on it: the cluster cannot be judged until the value is known.
                found.unjudged.add(cluster)
                found.notes.append(
                    Note(
                        f"node group {urn_name(item.urn)}: {unknown} is unknown during preview; cluster "
                        f"{urn_name(cluster)} is not judged",
                        item.urn,
                    )
                )
                found.node_groups.setdefault(cluster, [])
                continue
            found.node_groups.setdefault(cluster, []).append(_node_group(item, cluster))
    clusters = list(found.node_groups)
    providers = {item.urn: item.parent for item in items if item.type.startswith("pulumi:providers:")}
    # An add-on made outside the Cluster component (the Observability component's) names its EKS
    # cluster as the node groups do.
    by_eks_name = {
        str(item.props.get("clusterName")): _owning_cluster(
            item, str(_map(item.props.get("labels")).get(NODE_GROUP_LABEL) or "")
        )
        for item in items
        if item.type == NODE_GROUP and isinstance(item.props.get("clusterName"), str)
    }
    for item in items:
        if item.type != ADDON:
            continue
        cluster = _owning_cluster(item, str(item.props.get("addonName")))
        if cluster not in clusters:
            cluster = by_eks_name.get(str(item.props.get("clusterName")), cluster)
        if cluster in clusters:
            addon = _addon(item, cluster)
            if isinstance(addon, Note):
                found.notes.append(dataclasses.replace(addon, urn=item.urn))
                continue
            found.workloads.setdefault(cluster, []).extend(addon)
            if str(item.props.get("addonName")) not in ADDON_PODS:
                found.notes.append(
                    Note(f"add-on {item.props.get('addonName')}: its pods are unknown and not counted", item.urn)
                )
    defaults = _limit_defaults(items)
    hpas = _hpa_ranges(items, found.notes)
    runtimes = _runtime_classes(items)
    for item in items:
        kind = item.type
        if kind not in (DEPLOYMENT, STATEFUL_SET, DAEMON_SET, REPLICA_SET, POD, HELM_RELEASE):
            continue
        owner = _cluster_of(item, providers, clusters)
        if owner is None:
            found.notes.append(Note(f"{urn_name(item.urn)}: no node group's cluster runs it; not counted", item.urn))
            continue
        cluster = owner
        if kind == HELM_RELEASE:
            chart = CHART_PODS.get(str(item.props.get("chart")))
            if chart is not None:
                release = _chart(item, cluster, chart)
                if isinstance(release, Note):
                    found.notes.append(dataclasses.replace(release, urn=item.urn))
                else:
                    found.workloads.setdefault(cluster, []).append(release)
            else:
                found.notes.append(
                    Note(f"Helm release {urn_name(item.urn)} (chart {item.props.get('chart')}): pods unknown", item.urn)
                )
            continue
        workload, notes = _controller(item, cluster, defaults, hpas, runtimes)
        found.notes += notes
        if workload is not None:
            found.workloads.setdefault(cluster, []).append(workload)
    return found

"""Place the pods a stack must run on its node groups, the way the scheduler's filters would.

For every cluster, three scenarios:

- `minimum`: each group at its minSize; Deployments at their replicas or HPA minimum (whichever is
  higher), the add-ons' pods, and every admitted DaemonSet once per node.
- `rolling update`: the minimum plus each Deployment's surge (the pods a rolling update must start
  before stopping any, when maxUnavailable rounds to 0), all at once: one `pulumi up` that changes
  a shared setting rolls every service together.
- `maximum`: each group at its maxSize, each HPA at its maximum (advisory: the cluster-autoscaler
  grows a group only up to its maxSize, so this says whether autoscaling can reach what the
  config promises).

A pod may go to a node whose labels match its nodeSelector and required node affinity and whose
NoSchedule/NoExecute taints it tolerates. Node labels are the group's labels plus those every
managed node carries (kubernetes.io/arch and os, node.kubernetes.io/instance-type, their beta.*
twins, eks.amazonaws.com/capacityType and nodegroup, topology.kubernetes.io/region). Where a label
differs per node or is only known once the node exists (hostname, zone, the AMI, one type of a
mixed group), a selector on it cannot be judged offline: the pod is noted, not refused.
Preferred affinity and ScheduleAnyway spread do not filter.

Each scenario is placed twice. First-fit-decreasing (largest CPU request first, first node with
room) shows that a packing exists. The default scheduler does not pack: it places one pod at a
time in arrival order and scores nodes least-allocated first, so it spreads. The second pass is
that scheduler at its worst: smallest pods first, each on the least-loaded node that admits it. A
group fits only when both passes place every pod.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from eksplatform.capacity.workloads import (
    Inventory,
    Item,
    NodeGroup,
    Note,
    Pod,
    SelectorTerm,
    Taint,
    Workload,
    inventory,
    urn_name,
)

Scenario = Literal["minimum", "rolling update", "maximum"]
SCENARIOS: tuple[Scenario, ...] = ("minimum", "rolling update", "maximum")
MANDATORY_SCENARIOS: tuple[Scenario, ...] = ("minimum", "rolling update")
BLOCKING_EFFECTS = ("NoSchedule", "NoExecute")

# Labels every managed node carries whose value differs per node or is only known once the node
# exists (the kubelet, the AWS cloud controller manager and EKS set them).
PER_NODE_LABELS = (
    "kubernetes.io/hostname",
    "topology.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/zone",
    "topology.k8s.aws/zone-id",
    "eks.amazonaws.com/nodegroup-image",
    "eks.amazonaws.com/sourceLaunchTemplateId",
    "eks.amazonaws.com/sourceLaunchTemplateVersion",
    "k8s.io/cloud-provider-aws",
)
SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt")

Values = frozenset[str] | None
"""The values a label may have on a group's nodes; None: present, value not known offline."""
Verdict = bool | None
"""True: the nodes admit the pod; False: they refuse it; None: cannot be judged offline."""


# --- the scheduler's filters -------------------------------------------------------------------


def node_labels(group: NodeGroup) -> dict[str, Values]:
    """Each label key of the group's nodes with the values it may take."""
    labels: dict[str, Values] = {key: frozenset({value}) for key, value in group.labels.items()}

    def add(key: str, values: Values) -> None:
        labels.setdefault(key, values)

    if group.instance is not None:
        # A mixed group's node is any one of its types (EKS picks per node).
        arch = frozenset(t.kubernetes_arch for t in group.instance.types)
        names = frozenset(t.name for t in group.instance.types)
        for prefix in ("kubernetes.io", "beta.kubernetes.io"):
            add(f"{prefix}/arch", arch)
            add(f"{prefix}/os", frozenset({"linux"}))
        add("node.kubernetes.io/instance-type", names)
        add("beta.kubernetes.io/instance-type", names)
    add("eks.amazonaws.com/capacityType", frozenset({group.capacity_type}))
    add("eks.amazonaws.com/nodegroup", frozenset({group.aws_name}) if group.aws_name else None)
    region = frozenset({group.region}) if group.region else None
    add("topology.kubernetes.io/region", region)
    add("failure-domain.beta.kubernetes.io/region", region)
    for key in PER_NODE_LABELS:
        add(key, None)
    return labels


def tolerates(tolerations: Sequence[Mapping[str, Any]], taint: Taint) -> bool:
    """Kubernetes' ToleratesTaint: effect and key match (or are empty), then the operator decides:
    Equal (or empty) compares values, Exists matches any, any other operator matches nothing."""
    for toleration in tolerations:
        effect = toleration.get("effect") or ""
        if effect and effect != taint.effect:
            continue
        key = toleration.get("key") or ""
        if key and key != taint.key:
            continue
        operator = toleration.get("operator") or "Equal"
        if operator == "Exists" or (operator == "Equal" and str(toleration.get("value") or "") == taint.value):
            return True
    return False


def _evaluate(value: str | None, operator: Any, values: Sequence[str]) -> bool:
    """One requirement on one node's label value (None: the label is absent); k8s labels.Requirement."""
    if operator == "In":
        return value is not None and value in values
    if operator == "NotIn":
        return value is None or value not in values
    if operator == "Exists":
        return value is not None
    if operator == "DoesNotExist":
        return value is None
    if operator in ("Gt", "Lt") and value is not None and len(values) == 1:
        try:
            number, bound = int(value), int(values[0])
        except ValueError:
            return False
        return number > bound if operator == "Gt" else number < bound
    return False  # an unknown operator matches nothing


def _requirement(labels: Mapping[str, Values], key: str, operator: Any, values: Sequence[str]) -> Verdict:
    if key not in labels:
        return _evaluate(None, operator, values)
    possible = labels[key]
    if possible is None:
        if operator in ("Exists", "DoesNotExist") or operator not in SELECTOR_OPERATORS:
            return _evaluate("?", operator, values)  # decided by presence alone
        return None
    outcomes = {_evaluate(value, operator, values) for value in possible}
    return outcomes.pop() if len(outcomes) == 1 else None


def _all(verdicts: Sequence[Verdict]) -> Verdict:
    if False in verdicts:
        return False
    return None if None in verdicts else True


def _term(term: SelectorTerm, labels: Mapping[str, Values]) -> Verdict:
    """A NodeSelectorTerm: an empty one matches nothing; matchFields may only name metadata.name,
    which differs per node (Kubernetes NodeSelectorRequirement, matchFields)."""
    if not term.expressions and not term.fields:
        return False
    verdicts: list[Verdict] = [
        _requirement(labels, str(e.get("key")), e.get("operator"), [str(v) for v in e.get("values") or []])
        for e in term.expressions
    ]
    for requirement in term.fields:
        valid = requirement.get("key") == "metadata.name" and requirement.get("operator") in ("In", "NotIn")
        verdicts.append(None if valid else False)
    return _all(verdicts)


def _affinity(terms: Sequence[SelectorTerm], labels: Mapping[str, Values]) -> Verdict:
    verdicts = [_term(term, labels) for term in terms]
    if True in verdicts:
        return True
    return None if None in verdicts else False


@dataclass(frozen=True)
class Judgement:
    admits: Verdict
    reason: str = ""
    """Why the nodes refuse the pod, or why it cannot be judged; "" when they admit it."""


def judge(group: NodeGroup, pod: Pod) -> Judgement:
    """Whether the group's nodes admit the pod, as far as can be known before they exist."""
    if group.instance is None:
        return Judgement(False, f"node group {group.name} cannot be modelled ({group.problem})")
    labels = node_labels(group)
    undecided = ""
    for key, value in pod.node_selector.items():
        verdict = _requirement(labels, key, "In", [value])
        if verdict is False:
            have = labels.get(key)
            shown = f"{key}={'|'.join(sorted(have))}" if have else f"no {key}"
            return Judgement(False, f"nodeSelector {key}={value}, but {group.name}'s nodes have {shown}")
        if verdict is None and not undecided:
            undecided = f"nodeSelector {key}={value} depends on which node ({key} differs per node of {group.name})"
    if pod.node_affinity:
        verdict = _affinity(pod.node_affinity, labels)
        if verdict is False:
            return Judgement(False, f"its required node affinity matches no node of {group.name}")
        if verdict is None and not undecided:
            undecided = f"its required node affinity depends on per-node labels or names of {group.name}'s nodes"
    for taint in group.taints:
        if taint.effect in BLOCKING_EFFECTS and not tolerates(pod.tolerations, taint):
            return Judgement(False, f"{group.name}'s taint {taint.key}={taint.value}:{taint.effect} is not tolerated")
    return Judgement(None, undecided) if undecided else Judgement(True)


def refusal(group: NodeGroup, pod: Pod) -> str:
    """Why the group's nodes cannot run the pod, or "" when they can (or it cannot be judged)."""
    judgement = judge(group, pod)
    return judgement.reason if judgement.admits is False else ""


# --- placement ---------------------------------------------------------------------------------


@dataclass
class _Node:
    group: NodeGroup
    cpu: int
    memory: int
    pods: int
    total_cpu: int
    total_memory: int

    def room(self, pod: Pod) -> bool:
        return pod.cpu_millis <= self.cpu and pod.memory_mib <= self.memory and self.pods >= 1

    def take(self, pod: Pod) -> bool:
        if self.room(pod):
            self.cpu -= pod.cpu_millis
            self.memory -= pod.memory_mib
            self.pods -= 1
            return True
        return False

    def free_share(self) -> float:
        """The scheduler's LeastAllocated score: the free share of CPU and memory, weighted equally."""
        return (self.cpu / max(self.total_cpu, 1) + self.memory / max(self.total_memory, 1)) / 2


@dataclass
class GroupFit:
    """One node group in one scenario: what it must hold against what it offers."""

    cluster: str
    group: NodeGroup
    scenario: Scenario
    nodes: int
    allocatable_cpu: int = 0
    allocatable_memory: int = 0
    allocatable_pods: int = 0
    requested_cpu: int = 0
    requested_memory: int = 0
    requested_pods: int = 0
    unplaced: list[Workload] = field(default_factory=list)
    """Workloads (one entry per pod) that found no node with room, largest first."""
    spread_unplaced: list[Workload] = field(default_factory=list)
    """Pods left Pending when the scheduler spreads the smallest pods first (empty if `unplaced` is not)."""
    node_free: tuple[int, int, int] = (0, 0, 0)
    """CPU, memory and pods one node keeps after its DaemonSet pods."""
    alternatives: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """For an unplaced pod's owner, the other groups that admit it (none had room either)."""

    @property
    def fits(self) -> bool:
        return not self.unplaced and not self.spread_unplaced and self.group.instance is not None

    @property
    def first_unplaced(self) -> Workload | None:
        found = self.unplaced or self.spread_unplaced
        return found[0] if found else None

    @property
    def headroom_cpu(self) -> int:
        return self.allocatable_cpu - self.requested_cpu

    @property
    def headroom_memory(self) -> int:
        return self.allocatable_memory - self.requested_memory

    @property
    def headroom_pods(self) -> int:
        return self.allocatable_pods - self.requested_pods

    @property
    def headroom_share(self) -> float:
        """The tightest dimension's free share of allocatable (negative when short)."""
        shares = [
            (allocatable - requested) / allocatable
            for allocatable, requested in (
                (self.allocatable_cpu, self.requested_cpu),
                (self.allocatable_memory, self.requested_memory),
                (self.allocatable_pods, self.requested_pods),
            )
            if allocatable > 0
        ]
        return min(shares) if shares else -1.0

    def holds_alone(self, pod: Pod) -> bool:
        """Whether one node of the group, with only its DaemonSet pods, has room for the pod."""
        cpu, memory, pods = self.node_free
        return pod.cpu_millis <= cpu and pod.memory_mib <= memory and pods >= 1


@dataclass(frozen=True)
class Unschedulable:
    """A pod that no node group of its cluster admits, with each group's reason."""

    cluster: str
    workload: Workload
    reasons: tuple[str, ...]


@dataclass
class CapacityReport:
    fits: list[GroupFit] = field(default_factory=list)
    unschedulable: list[Unschedulable] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    def groups(self, scenario: Scenario) -> list[GroupFit]:
        return [fit for fit in self.fits if fit.scenario == scenario]

    @property
    def ok(self) -> bool:
        """Everything fits at the minimum and in a rolling update, and every pod has a group."""
        return not self.unschedulable and all(fit.fits for fit in self.fits if fit.scenario in MANDATORY_SCENARIOS)


def _count(workload: Workload, scenario: Scenario) -> int:
    if scenario == "maximum":
        return workload.maximum
    return workload.minimum + (workload.surge if scenario == "rolling update" else 0)


def _nodes(groups: Sequence[NodeGroup], scenario: Scenario) -> list[_Node]:
    nodes = []
    for group in groups:
        if group.instance is None:
            continue
        count = group.max_size if scenario == "maximum" else group.min_size
        cpu, memory = group.instance.allocatable_cpu_millis, group.instance.allocatable_memory_mib
        pods = group.instance.max_pods
        nodes += [_Node(group, cpu, memory, pods, cpu, memory) for _ in range(count)]
    return nodes


Judged = dict[tuple[int, str], Judgement]
"""judge(group, workload.pod) by (id(workload), group.urn), worked out once per cluster."""


def judgements(groups: Sequence[NodeGroup], workloads: Sequence[Workload]) -> Judged:
    return {(id(w), g.urn): judge(g, w.pod) for w in workloads for g in groups}


def _place_daemons(
    nodes: Sequence[_Node], workloads: Sequence[Workload], judged: Judged
) -> list[tuple[_Node, Workload]]:
    """DaemonSet pods on every node that admits them; those without room."""
    short = []
    for workload in (w for w in workloads if w.daemon):
        for node in nodes:
            if judged[(id(workload), node.group.urn)].admits is True and not node.take(workload.pod):
                short.append((node, workload))
    return short


def place(
    cluster: str,
    groups: Sequence[NodeGroup],
    workloads: Sequence[Workload],
    scenario: Scenario,
    judged: Judged | None = None,
) -> list[GroupFit]:
    """One cluster's pods in one scenario: first-fit-decreasing, then the scheduler spreading."""
    judged = judged if judged is not None else judgements(groups, workloads)
    fits: dict[str, GroupFit] = {}
    for group in groups:
        count = group.max_size if scenario == "maximum" else group.min_size
        fit = fits[group.urn] = GroupFit(cluster, group, scenario, count)
        if group.instance is not None:
            fit.allocatable_cpu = group.instance.allocatable_cpu_millis * count
            fit.allocatable_memory = group.instance.allocatable_memory_mib * count
            fit.allocatable_pods = group.instance.max_pods * count
    admitting = {id(w): [g for g in groups if judged[(id(w), g.urn)].admits is True] for w in workloads}

    # Packing: largest first, each on the first node with room.
    nodes = _nodes(groups, scenario)
    for node, workload in _place_daemons(nodes, workloads, judged):
        fits[node.group.urn].unplaced.append(workload)
    for workload in (w for w in workloads if w.daemon):
        for group in admitting[id(workload)]:
            fit = fits[group.urn]
            fit.requested_cpu += workload.pod.cpu_millis * fit.nodes
            fit.requested_memory += workload.pod.memory_mib * fit.nodes
            fit.requested_pods += fit.nodes
    for group in groups:
        if group.instance is not None:
            # One node's room after its DaemonSet pods (every node of a group runs the same ones).
            daemons = [w.pod for w in workloads if w.daemon and group in admitting[id(w)]]
            fits[group.urn].node_free = (
                group.instance.allocatable_cpu_millis - sum(p.cpu_millis for p in daemons),
                group.instance.allocatable_memory_mib - sum(p.memory_mib for p in daemons),
                group.instance.max_pods - len(daemons),
            )
    pods = [(w, _count(w, scenario)) for w in workloads if not w.daemon and admitting[id(w)]]
    pods.sort(key=lambda entry: (-entry[0].pod.cpu_millis, -entry[0].pod.memory_mib, entry[0].pod.owner))
    for workload, count in pods:
        candidates = admitting[id(workload)]
        # A pod no node of any candidate could hold goes to the first; else to the first where it could.
        target = next((g for g in candidates if fits[g.urn].holds_alone(workload.pod)), candidates[0])
        for _ in range(count):
            placed = next((n for n in nodes if n.group in candidates and n.take(workload.pod)), None)
            fit = fits[placed.group.urn if placed is not None else target.urn]
            fit.requested_cpu += workload.pod.cpu_millis
            fit.requested_memory += workload.pod.memory_mib
            fit.requested_pods += 1
            if placed is None:
                fit.unplaced.append(workload)
                others = tuple(g.name for g in candidates if g is not target)
                if others:
                    fit.alternatives[workload.pod.owner] = others

    # The scheduler at its worst: smallest first, each on the least-loaded node that admits it.
    if all(not fit.unplaced for fit in fits.values()):
        nodes = _nodes(groups, scenario)
        _place_daemons(nodes, workloads, judged)
        for workload, count in sorted(
            pods, key=lambda entry: (entry[0].pod.cpu_millis, entry[0].pod.memory_mib, entry[0].pod.owner)
        ):
            candidates = admitting[id(workload)]
            for _ in range(count):
                open_nodes = [n for n in nodes if n.group in candidates and n.room(workload.pod)]
                if open_nodes:
                    max(open_nodes, key=_Node.free_share).take(workload.pod)
                    continue
                target = next((g for g in candidates if fits[g.urn].holds_alone(workload.pod)), candidates[0])
                fits[target.urn].spread_unplaced.append(workload)
    return list(fits.values())


def check_inventory(found: Inventory) -> CapacityReport:
    report = CapacityReport(notes=list(found.notes))
    for cluster, groups in found.node_groups.items():
        if cluster in found.unjudged:
            continue  # a group's sizing is unknown during preview (noted)
        workloads = found.workloads.get(cluster, [])
        judged = judgements(groups, workloads)
        for scenario in SCENARIOS:
            report.fits += place(cluster, groups, workloads, scenario, judged)
        for workload in workloads:
            verdicts = [judged[(id(workload), group.urn)] for group in groups]
            undecided = [(g, j) for g, j in zip(groups, verdicts, strict=True) if j.admits is None]
            if undecided:
                counted = "counted on the groups that admit it" if any(j.admits for j in verdicts) else "not counted"
                names = ", ".join(g.name for g, _ in undecided)
                report.notes.append(
                    Note(
                        f"{workload.pod.owner}: whether node group {names} admits it cannot be judged offline "
                        f"({undecided[0][1].reason}); {counted}",
                        workload.urn,
                    )
                )
                continue
            # A group that cannot be modelled is reported on its own; its refusal proves nothing.
            if (
                not workload.daemon
                and all(j.admits is False for j in verdicts)
                and all(group.instance for group in groups)
            ):
                report.unschedulable.append(Unschedulable(cluster, workload, tuple(j.reason for j in verdicts)))
    return report


def check(items: Sequence[Item]) -> CapacityReport:
    """The capacity report of a stack's resources."""
    return check_inventory(inventory(items))


# --- messages ------------------------------------------------------------------------------------

AUTOSCALER_LIMIT = (
    "The cluster-autoscaler (components/cluster_autoscaler.py) adds nodes to a group only up to its maxSize, "
    "so at full scale these pods would stay Pending"
)


def region_indexes(regions: Any) -> dict[str, int]:
    """Region name -> its index in the stack's `platform:regions` (as config errors name keys)."""
    if not isinstance(regions, Sequence) or isinstance(regions, (str, bytes)):
        return {}
    return {
        str(region["name"]): index
        for index, region in enumerate(regions)
        if isinstance(region, Mapping) and isinstance(region.get("name"), str)
    }


def _region_key(group: NodeGroup, indexes: Mapping[str, int]) -> str:
    if group.region is not None and group.region in indexes:
        return f"regions[{indexes[group.region]}]"
    return f"regions[<index of {group.region or 'its region'}>]"


def _where(fit: GroupFit) -> str:
    region = f" in {fit.group.region}" if fit.group.region else ""
    return f"node group {fit.group.name} of cluster {urn_name(fit.cluster)}{region}"


def _pod_text(workload: Workload) -> str:
    return f"{workload.pod.owner} ({workload.pod.cpu_millis}m CPU, {workload.pod.memory_mib}Mi)"


def shortfall(fit: GroupFit) -> str:
    short = [
        f"{name} by {amount}{unit}"
        for name, amount, unit in (
            ("CPU", -fit.headroom_cpu, "m"),
            ("memory", -fit.headroom_memory, "Mi"),
            ("pods", -fit.headroom_pods, ""),
        )
        if amount > 0
    ]
    return (
        "short of " + ", ".join(short) if short else "no single node has room left (the totals fit, the pieces do not)"
    )


def violation(fit: GroupFit, indexes: Mapping[str, int] | None = None) -> str:
    """The message for a group whose pods do not fit, naming the keys that change it."""
    group = fit.group
    if group.instance is None:
        return f"{_where(fit)}: {group.problem}; the capacity check cannot place its pods"
    region = _region_key(group, indexes or {})
    prefix = f"{region}.cluster.nodeGroups.{group.name}"
    size_key = "maxSize" if fit.scenario == "maximum" else "minSize"
    first = fit.first_unplaced
    assert first is not None  # a group with a known type that does not fit left a pod Pending
    what = {
        "minimum": "the pods that must run at the minimum",
        "rolling update": "the minimum plus every rolling update's surge pods",
        "maximum": "every Deployment at its HPA maximum",
    }[fit.scenario]
    fields = "maxReplicas" if fit.scenario == "maximum" else "{minReplicas, cpuRequest, memoryRequest}"
    lower = f", or lower {region}.{first.hint}.{fields}" if first.hint else ""
    requests = f", or lower {region}.{first.hint}.{{cpuRequest, memoryRequest}}" if first.hint else ""
    cpu, memory, _ = fit.node_free
    if first.daemon:
        advice = (
            f"every node runs one {first.pod.owner} pod, so more nodes do not help: choose a larger "
            f"{prefix}.instanceTypes"
        )
    elif not fit.holds_alone(first.pod):
        advice = (
            f"no {group.instance.name} node can hold it even empty ({cpu}m CPU, {memory}Mi free after its "
            f"DaemonSet pods), so more nodes do not help: choose a larger {prefix}.instanceTypes{requests}"
        )
    else:
        advice = f"Raise {prefix}.{size_key} (now {fit.nodes}) or {prefix}.instanceTypes{lower}"
    others = fit.alternatives.get(first.pod.owner)
    also = f" (node group {', '.join(others)} also admits it, without room either)" if others else ""
    if fit.unplaced:
        pending = f"{shortfall(fit)}; {len(fit.unplaced)} pod(s) left Pending, the first {_pod_text(first)}{also}"
    else:
        pending = (
            "a packing exists (largest pods first), but the scheduler places one pod at a time and spreads "
            "them over the least-loaded nodes: when the smaller pods arrive first, "
            f"{len(fit.spread_unplaced)} pod(s) find no node with room, the first {_pod_text(first)}{also}"
        )
    message = (
        f"{_where(fit)}: {fit.nodes} x {group.instance.name} ({size_key}) cannot hold {what}: "
        f"requested {fit.requested_cpu}m CPU, {fit.requested_memory}Mi memory, {fit.requested_pods} pods; "
        f"allocatable {fit.allocatable_cpu}m, {fit.allocatable_memory}Mi, {fit.allocatable_pods} pods; "
        f"{pending}. {advice[0].upper()}{advice[1:]}"
    )
    return f"{message}. {AUTOSCALER_LIMIT}" if fit.scenario == "maximum" else message


def unschedulable_message(entry: Unschedulable) -> str:
    return (
        f"{_pod_text(entry.workload)} in cluster {urn_name(entry.cluster)} fits no node group: "
        + "; ".join(entry.reasons)
        + ". Add a node group that admits it or change its nodeSelector/tolerations"
    )


def violations(
    report: CapacityReport, scenarios: Sequence[Scenario], indexes: Mapping[str, int] | None = None
) -> Iterator[tuple[str, str]]:
    """(message, urn) for each group that does not fit in these scenarios, and each pod without a group."""
    for fit in report.fits:
        if fit.group.instance is None and fit.scenario != scenarios[0]:
            continue  # a group that cannot be modelled is reported once
        if fit.scenario in scenarios and not fit.fits:
            yield violation(fit, indexes), fit.group.urn
    if any(scenario in MANDATORY_SCENARIOS for scenario in scenarios):
        for entry in report.unschedulable:
            yield unschedulable_message(entry), entry.workload.urn


def uncounted(report: CapacityReport) -> Iterator[tuple[str, str]]:
    """(message, urn) for each thing the check did not count or could not judge."""
    for note in report.notes:
        yield f"the capacity check did not count this: {note.text}", note.urn

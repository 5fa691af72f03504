"""Place the pods a stack must run on its node groups, the way the scheduler's filters would.

For every cluster, three scenarios:

- `minimum`: each group at its minSize; Deployments at their replicas or HPA minimum (whichever is
  higher), the add-ons' pods, and every admitted DaemonSet once per node.
- `rolling update`: the minimum plus each Deployment's surge (the pods a rolling update must start
  before stopping any, when maxUnavailable rounds to 0), all at once: one `pulumi up` that changes
  a shared setting rolls every service together.
- `maximum`: each group at its maxSize, each HPA at its maximum (advisory: it needs something
  that scales the nodes).

A pod may go to a node whose labels match its nodeSelector and required node affinity and whose
NoSchedule/NoExecute taints it tolerates; it is placed first-fit-decreasing (largest CPU request
first) on the first node with room for its CPU, memory and one more pod. Node labels are the
group's labels plus the well-known ones the kubelet sets (kubernetes.io/arch, kubernetes.io/os,
node.kubernetes.io/instance-type). Preferred affinity and ScheduleAnyway spread do not filter.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from capacity.workloads import Inventory, Item, NodeGroup, Pod, Taint, Workload, inventory, urn_name

Scenario = Literal["minimum", "rolling update", "maximum"]
SCENARIOS: tuple[Scenario, ...] = ("minimum", "rolling update", "maximum")
MANDATORY_SCENARIOS: tuple[Scenario, ...] = ("minimum", "rolling update")
BLOCKING_EFFECTS = ("NoSchedule", "NoExecute")


# --- the scheduler's filters -------------------------------------------------------------------


def node_labels(group: NodeGroup) -> dict[str, str]:
    labels = dict(group.labels)
    if group.instance is not None:
        labels.setdefault("kubernetes.io/arch", group.instance.kubernetes_arch)
        labels.setdefault("kubernetes.io/os", "linux")
        labels.setdefault("node.kubernetes.io/instance-type", group.instance.name)
    return labels


def tolerates(tolerations: Sequence[Mapping[str, Any]], taint: Taint) -> bool:
    """Kubernetes' ToleratesTaint: effect matches (or is empty), then Exists or Equal on key and value."""
    for toleration in tolerations:
        effect = toleration.get("effect") or ""
        if effect and effect != taint.effect:
            continue
        key = toleration.get("key") or ""
        if toleration.get("operator") == "Exists":
            if not key or key == taint.key:
                return True
        elif key == taint.key and str(toleration.get("value") or "") == taint.value:
            return True
    return False


def _expression_matches(expression: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    key, operator = str(expression.get("key")), expression.get("operator")
    values = [str(v) for v in expression.get("values") or []]
    present = key in labels
    if operator == "In":
        return present and labels[key] in values
    if operator == "NotIn":
        return not present or labels[key] not in values
    if operator == "Exists":
        return present
    if operator == "DoesNotExist":
        return not present
    if operator in ("Gt", "Lt") and present and values:
        try:
            number, bound = int(labels[key]), int(values[0])
        except ValueError:
            return False
        return number > bound if operator == "Gt" else number < bound
    return False


def refusal(group: NodeGroup, pod: Pod) -> str:
    """Why the group's nodes cannot run the pod, or "" when they can."""
    if group.instance is None:
        return f"node group {group.name} cannot be modelled ({group.problem})"
    labels = node_labels(group)
    for key, value in pod.node_selector.items():
        if labels.get(key) != value:
            have = labels.get(key)
            return (
                f"nodeSelector {key}={value}, but {group.name}'s nodes have {f'{key}={have}' if have else 'no ' + key}"
            )
    if pod.node_affinity and not any(
        all(_expression_matches(expression, labels) for expression in term) for term in pod.node_affinity
    ):
        return f"its required node affinity matches no node of {group.name}"
    for taint in group.taints:
        if taint.effect in BLOCKING_EFFECTS and not tolerates(pod.tolerations, taint):
            return f"{group.name}'s taint {taint.key}={taint.value}:{taint.effect} is not tolerated"
    return ""


# --- placement ---------------------------------------------------------------------------------


@dataclass
class _Node:
    group: NodeGroup
    cpu: int
    memory: int
    pods: int

    def take(self, pod: Pod) -> bool:
        if pod.cpu_millis <= self.cpu and pod.memory_mib <= self.memory and self.pods >= 1:
            self.cpu -= pod.cpu_millis
            self.memory -= pod.memory_mib
            self.pods -= 1
            return True
        return False


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

    @property
    def fits(self) -> bool:
        return not self.unplaced and self.group.instance is not None

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
    notes: list[str] = field(default_factory=list)

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


def place(
    cluster: str, groups: Sequence[NodeGroup], workloads: Sequence[Workload], scenario: Scenario
) -> list[GroupFit]:
    """First-fit-decreasing placement of one cluster's pods in one scenario."""
    fits: dict[str, GroupFit] = {}
    nodes: list[_Node] = []
    for group in groups:
        count = group.max_size if scenario == "maximum" else group.min_size
        fit = GroupFit(cluster, group, scenario, count)
        fits[group.urn] = fit
        if group.instance is None:
            continue
        instance = group.instance
        fit.allocatable_cpu = instance.allocatable_cpu_millis * count
        fit.allocatable_memory = instance.allocatable_memory_mib * count
        fit.allocatable_pods = instance.max_pods * count
        nodes += [
            _Node(group, instance.allocatable_cpu_millis, instance.allocatable_memory_mib, instance.max_pods)
            for _ in range(count)
        ]
    for workload in (w for w in workloads if w.daemon):
        for node in nodes:
            if refusal(node.group, workload.pod):
                continue
            fit = fits[node.group.urn]
            fit.requested_cpu += workload.pod.cpu_millis
            fit.requested_memory += workload.pod.memory_mib
            fit.requested_pods += 1
            if not node.take(workload.pod):
                fit.unplaced.append(workload)
    pods = [(w, _count(w, scenario)) for w in workloads if not w.daemon]
    pods.sort(key=lambda entry: (-entry[0].pod.cpu_millis, -entry[0].pod.memory_mib, entry[0].pod.owner))
    for workload, count in pods:
        admitting = [g for g in groups if not refusal(g, workload.pod)]
        for _ in range(count):
            placed = next((n for n in nodes if n.group in admitting and n.take(workload.pod)), None)
            target = placed.group if placed is not None else (admitting[0] if admitting else None)
            if target is None:
                break  # reported once as unschedulable by `check`
            fit = fits[target.urn]
            fit.requested_cpu += workload.pod.cpu_millis
            fit.requested_memory += workload.pod.memory_mib
            fit.requested_pods += 1
            if placed is None:
                fit.unplaced.append(workload)
    return list(fits.values())


def check_inventory(found: Inventory) -> CapacityReport:
    report = CapacityReport(notes=list(found.notes))
    for cluster, groups in found.node_groups.items():
        workloads = found.workloads.get(cluster, [])
        for scenario in SCENARIOS:
            report.fits += place(cluster, groups, workloads, scenario)
        for workload in workloads:
            reasons = tuple(refusal(group, workload.pod) for group in groups)
            # A group that cannot be modelled is reported on its own; its refusal proves nothing.
            if not workload.daemon and all(reasons) and all(group.instance for group in groups):
                report.unschedulable.append(Unschedulable(cluster, workload, reasons))
    return report


def check(items: Sequence[Item]) -> CapacityReport:
    """The capacity report of a stack's resources."""
    return check_inventory(inventory(items))


# --- messages ------------------------------------------------------------------------------------


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


def violation(fit: GroupFit) -> str:
    """The message for a group whose pods do not fit, naming the keys that change it."""
    group = fit.group
    if group.instance is None:
        return f"{_where(fit)}: {group.problem}; the capacity check cannot place its pods"
    size_key = "maxSize" if fit.scenario == "maximum" else "minSize"
    first = fit.unplaced[0]
    keys = (
        f"cluster.nodeGroups.{group.name}.{size_key} (now {fit.nodes}) or cluster.nodeGroups.{group.name}.instanceTypes"
    )
    fields = "maxReplicas" if fit.scenario == "maximum" else "{minReplicas, cpuRequest, memoryRequest}"
    lower = f", or lower {first.hint}.{fields}" if first.hint else ""
    what = {
        "minimum": "the pods that must run at the minimum",
        "rolling update": "the minimum plus every rolling update's surge pods",
        "maximum": "every Deployment at its HPA maximum",
    }[fit.scenario]
    return (
        f"{_where(fit)}: {fit.nodes} x {group.instance.name} ({size_key}) cannot hold {what}: "
        f"requested {fit.requested_cpu}m CPU, {fit.requested_memory}Mi memory, {fit.requested_pods} pods; "
        f"allocatable {fit.allocatable_cpu}m, {fit.allocatable_memory}Mi, {fit.allocatable_pods} pods; "
        f"{shortfall(fit)}; {len(fit.unplaced)} pod(s) left Pending, the first {_pod_text(first)}. "
        f"Raise {keys}{lower}"
    )


def unschedulable_message(entry: Unschedulable) -> str:
    return (
        f"{_pod_text(entry.workload)} in cluster {urn_name(entry.cluster)} fits no node group: "
        + "; ".join(entry.reasons)
        + ". Add a node group that admits it or change its nodeSelector/tolerations"
    )


def violations(report: CapacityReport, scenarios: Sequence[Scenario]) -> Iterator[tuple[str, str]]:
    """(message, urn) for each group that does not fit in these scenarios, and each pod without a group."""
    for fit in report.fits:
        if fit.group.instance is None and fit.scenario != scenarios[0]:
            continue  # a group that cannot be modelled is reported once
        if fit.scenario in scenarios and not fit.fits:
            yield violation(fit), fit.group.urn
    if any(scenario in MANDATORY_SCENARIOS for scenario in scenarios):
        for entry in report.unschedulable:
            yield unschedulable_message(entry), entry.workload.urn

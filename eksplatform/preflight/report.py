"""Reports of a preflight run: text (like `pulumi preview`), JSON, Markdown and SARIF 2.1.0."""

from __future__ import annotations

import functools
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eksplatform.capacity import workloads
from eksplatform.capacity.fit import CapacityReport, GroupFit, check
from eksplatform.cost.estimate import CURRENCY, Estimate, Item, estimate, provider_region
from eksplatform.cost.prices import ASSUMPTIONS
from eksplatform.cost.usage import DEFAULT_USAGE, Usage
from eksplatform.policies import reachability
from eksplatform.preflight import sarif
from eksplatform.preflight.analyze import Analysis, Violation
from eksplatform.preflight.diff import SYMBOLS
from eksplatform.preflight.export import State, StateResource
from eksplatform.preflight.report_diff import (
    Comparison,
    changes_markdown,
    changes_text,
    compare,
    comparison_json,
    risk_markdown,
    risk_text,
    urn_details,
)
from eksplatform.preflight.synth import PROJECT_ROOT, StackOutput

LEVEL_ORDER = ("mandatory", "advisory", "disabled")


@dataclass(frozen=True)
class Run:
    """Everything a report shows."""

    state: State
    analysis: Analysis
    outputs: Mapping[str, StackOutput] = field(default_factory=dict)
    source: str = ""
    """Where the stack came from: the stack file, or the state document given."""
    policy_config: str = ""
    """The policy config file applied ("" when the stack has none: the policies' defaults)."""
    analyzed: bool = False
    """The stack is an export given with --state (it exists, or existed): nothing here is created."""
    base: State | None = None
    """The export to compare with (--base), or None."""
    base_source: str = ""
    usage: Usage = DEFAULT_USAGE
    """The stack's usage file (usage/<stack>.yaml), or the documented defaults."""
    project_dir: Path = PROJECT_ROOT
    """The project the run synthesized: SARIF locations are relative to it."""

    @functools.cached_property
    def comparison(self) -> Comparison | None:
        if self.base is None:
            return None
        return compare(self.base, self.state, self.base_source, estimate_state(self.base, self.usage), self.cost)

    def symbol(self, urn: str) -> str:
        """The tree's mark for a resource: what the base comparison does to it, or + for a preview."""
        if self.comparison is not None:
            return SYMBOLS[self.comparison.diff.action_of(urn)]
        return " " if self.analyzed else "+"

    def headline(self) -> str:
        """What the run looked at, in a few words."""
        if self.analyzed:
            return f"analyzed: {self.source}, {len(self.resources)} resources"
        return f"{len(self.resources)} resources" + ("" if self.base else " to create")

    @property
    def resources(self) -> list[StateResource]:
        return [r for r in self.state.resources if r.type != "pulumi:pulumi:Stack"]

    @functools.cached_property
    def cost(self) -> Estimate:
        return estimate_state(self.state, self.usage)

    @functools.cached_property
    def capacity(self) -> CapacityReport:
        return capacity_state(self.state)

    @functools.cached_property
    def reachability(self) -> list[reachability.Path]:
        return reachability_state(self.state)

    def counts_by_type(self) -> dict[str, int]:
        return dict(sorted(Counter(r.type for r in self.resources).items()))

    def violation_counts(self) -> dict[str, int]:
        counts = Counter(v.enforcement_level for v in self.analysis.violations)
        return {level: counts.get(level, 0) for level in ("mandatory", "advisory")}

    def by_level(self) -> list[tuple[str, list[Violation]]]:
        grouped: dict[str, list[Violation]] = {}
        for violation in self.analysis.violations:
            grouped.setdefault(violation.enforcement_level, []).append(violation)
        return [(level, grouped[level]) for level in LEVEL_ORDER if level in grouped]


def estimate_state(state: State, usage: Usage = DEFAULT_USAGE) -> Estimate:
    """The cost estimate of an export: each resource priced in its provider's region."""
    regions = {r.urn: provider_region(r.inputs) for r in state.resources if r.type.startswith("pulumi:providers:")}
    return estimate(
        (
            Item(
                urn=r.urn,
                type=r.type,
                props=r.inputs,
                region=regions.get(r.provider_urn),
                parent=r.parent,
                dependencies=r.dependencies,
            )
            for r in state.resources
            if r.custom  # components cost nothing themselves; providers are free in the estimate
        ),
        usage,
    )


def capacity_state(state: State) -> CapacityReport:
    """The capacity check of an export: node groups and the pods they must hold, per cluster."""
    regions = {r.urn: provider_region(r.inputs) for r in state.resources if r.type.startswith("pulumi:providers:")}
    return check(
        [
            workloads.Item(
                urn=r.urn,
                type=r.type,
                props=r.inputs,
                parent=r.parent,
                provider=r.provider_urn,
                region=regions.get(r.provider_urn),
            )
            for r in state.resources
            if r.custom
        ]
    )


def reachability_state(state: State) -> list[reachability.Path]:
    """The path from the deployer to every Kubernetes provider's cluster (policies/reachability.py)."""
    return reachability.check(
        reachability.Node(
            urn=r.urn,
            type=r.type,
            props=r.inputs,
            dependencies=tuple(r.dependencies),
            property_dependencies=r.property_dependencies,
        )
        for r in state.resources
    )


def _reachability_text(paths: list[reachability.Path]) -> list[str]:
    if not paths:
        return []
    lines = ["", f"Reachability ({reachability.summary(paths)}; offline, from the registered resources):"]
    for path in paths:
        if path.ok:
            lines.append(f"    {path.cluster} via {path.provider_name}: reachable")
        else:
            lines.append(f"    {path.cluster or '?'} via {path.provider_name}: NOT reachable")
            lines.append(f"        first missing hop: {path.missing}")
        lines += [f"        - {hop.label}" for hop in path.hops]
    return lines


def _reachability_json(paths: list[reachability.Path]) -> list[dict[str, Any]]:
    return [
        {
            "provider": path.provider,
            "cluster": path.cluster,
            "reachable": path.ok,
            "missing": path.missing,
            "hops": [{"label": hop.label, "urns": list(hop.urns)} for hop in path.hops],
        }
        for path in paths
    ]


def _reachability_markdown(paths: list[reachability.Path]) -> list[str]:
    if not paths:
        return []
    verdict = "every cluster reachable" if all(path.ok for path in paths) else "**a cluster is unreachable**"
    lines = [f"**Reachability from the deployer: {verdict}** ({reachability.summary(paths)})", ""]
    lines += ["| Cluster | Provider | Reachable | First missing hop |", "| --- | --- | --- | --- |"]
    lines += [
        f"| `{_cell(path.cluster or '?')}` | `{_cell(path.provider_name)}` | {'yes' if path.ok else 'no'} | "
        f"{_cell(path.missing or '—')} |"
        for path in paths
    ]
    lines.append("")
    return lines


_CAPACITY_HEADER = ("cluster", "group", "scenario", "nodes", "CPU req/alloc", "memory req/alloc", "pods", "headroom")


def _capacity_rows(report: CapacityReport) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for fit in report.fits:
        instance = fit.group.instance.name if fit.group.instance else "?"
        rows.append(
            (
                workloads.urn_name(fit.cluster),
                fit.group.name,
                fit.scenario,
                f"{fit.nodes} x {instance}",
                f"{fit.requested_cpu}m/{fit.allocatable_cpu}m",
                f"{fit.requested_memory}Mi/{fit.allocatable_memory}Mi",
                f"{fit.requested_pods}/{fit.allocatable_pods}",
                f"{fit.headroom_share:.0%}" if fit.fits else "does not fit",
            )
        )
    return rows


def _capacity_problems(report: CapacityReport) -> list[str]:
    """One line per group and scenario that does not fit, and per pod that no group admits."""
    lines = [
        f"{workloads.urn_name(fit.cluster)}/{fit.group.name} ({fit.scenario}): " + _first_unplaced_text(fit)
        for fit in report.fits
        if not fit.fits
    ]
    lines += [
        f"{workloads.urn_name(u.cluster)}: {u.workload.pod.owner} fits no node group ({'; '.join(u.reasons)})"
        for u in report.unschedulable
    ]
    return lines


def _first_unplaced_text(fit: GroupFit) -> str:
    first = fit.first_unplaced
    if first is None:
        return fit.group.problem
    text = f"first pod that does not fit: {first.pod.owner} ({first.pod.cpu_millis}m, {first.pod.memory_mib}Mi), "
    if fit.unplaced:
        return text + f"{len(fit.unplaced)} pod(s) in all"
    return text + (
        f"{len(fit.spread_unplaced)} pod(s) in all when the scheduler spreads the smaller pods first "
        "(a largest-first packing would fit)"
    )


def _fit_json(fit: GroupFit) -> dict[str, Any]:
    first_workload = fit.first_unplaced
    first = first_workload.pod if first_workload is not None else None
    return {
        "cluster": fit.cluster,
        "group": fit.group.name,
        "urn": fit.group.urn,
        "region": fit.group.region,
        "scenario": fit.scenario,
        "instanceType": fit.group.instance.name if fit.group.instance else None,
        "instanceTypes": list(fit.group.instance_types),
        "nodes": fit.nodes,
        "allocatable": {
            "cpuMillis": fit.allocatable_cpu,
            "memoryMiB": fit.allocatable_memory,
            "pods": fit.allocatable_pods,
        },
        "requested": {"cpuMillis": fit.requested_cpu, "memoryMiB": fit.requested_memory, "pods": fit.requested_pods},
        "headroom": {
            "cpuMillis": fit.headroom_cpu,
            "memoryMiB": fit.headroom_memory,
            "pods": fit.headroom_pods,
            "share": round(fit.headroom_share, 4),
        },
        "fits": fit.fits,
        "problem": fit.group.problem or None,
        "unplacedPods": len(fit.unplaced),
        "unplacedWhenSpread": len(fit.spread_unplaced),
        "firstUnplaced": (
            {"owner": first.owner, "cpuMillis": first.cpu_millis, "memoryMiB": first.memory_mib} if first else None
        ),
    }


def _capacity_json(report: CapacityReport) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "groups": [_fit_json(fit) for fit in report.fits],
        "unschedulable": [
            {"cluster": u.cluster, "owner": u.workload.pod.owner, "urn": u.workload.urn, "reasons": list(u.reasons)}
            for u in report.unschedulable
        ],
        "notes": [{"message": note.text, "urn": note.urn or None} for note in report.notes],
    }


def _usd(amount: float) -> str:
    return f"${amount:,.2f}"


def _cost_rows(cost: Estimate) -> list[tuple[str, str, str]]:
    """(region, component, monthly) rows, then the total."""
    rows = [(region, component, _usd(usd)) for (region, component), usd in cost.by_region_and_component().items()]
    return [*rows, ("", "total", _usd(cost.monthly_usd))]


def _assumption_texts(cost: Estimate) -> list[str]:
    return [f"{name}: {ASSUMPTIONS[name].text}" for name in sorted(cost.assumptions)]


def _headline(cost: Estimate) -> str:
    """The total, and its range: node groups at min and max size, open-ended when anything is unpriced."""
    total = f"{_usd(cost.monthly_usd)} at desired size" if not cost.unpriced else f"at least {_usd(cost.monthly_usd)}"
    return f"{total} (range {cost.range_text()})"


def _usage_texts(cost: Estimate) -> list[str]:
    """The usage file's overrides in effect, and its resource names that match nothing."""
    texts = [f"{key} set for {name}" for name, key in sorted(cost.overrides)]
    texts += [
        f"warning: the usage file names {name}, which this stack does not have" for name in cost.unmatched_overrides
    ]
    texts += [
        f"warning: the usage file sets {key}, which no cost of that resource reads" for key in cost.unused_overrides
    ]
    texts += [f"unknown until apply: {u.urn.rsplit('::', 1)[-1]}: {u.reason}" for u in cost.pending]
    return texts


# --- text ------------------------------------------------------------------------------------


def render_text(run: Run) -> str:
    state = run.state
    if run.analyzed:
        lines = [f"Analyzing {run.source}: stack {state.project}/{state.stack} (a `pulumi stack export`):", ""]
    else:
        lines = [f"Previewing stack {state.project}/{state.stack} (offline, under Pulumi mocks):", ""]
    if run.comparison is not None:
        lines += risk_text(run.comparison)
    lines.append("     Type                                                  Name")
    children: dict[str, list[StateResource]] = {}
    for resource in state.resources:
        children.setdefault(resource.parent, []).append(resource)

    def walk(resource: StateResource, depth: int) -> None:
        indent = "   " * depth + (" └─ " if depth else " ")
        lines.append(
            f"{run.symbol(resource.urn):>2} {indent}{resource.type:<{max(1, 54 - len(indent))}} {resource.name}"
        )
        for child in children.get(resource.urn, []):
            walk(child, depth + 1)

    for root in children.get("", []):
        walk(root, 0)

    lines += ["", "Resources by type:"]
    counts = run.counts_by_type()
    for type_token, count in counts.items():
        lines.append(f"    {count:>4}  {type_token}")
    lines.append(
        f"    {sum(counts.values()):>4}  " + ("in total" if run.analyzed or run.base else "to create in total")
    )
    if run.analyzed:
        lines.append(f"    {run.headline()}")
    if run.comparison is not None:
        lines += changes_text(run.comparison)

    if run.outputs:
        lines += ["", "Outputs:"]
        for name, output in run.outputs.items():
            lines.append(f"    {name}: {'[secret]' if output.secret else json.dumps(output.value)}")

    cost = run.cost
    lines += ["", f"Estimated monthly cost ({CURRENCY}, on-demand list prices): {_headline(cost)}"]
    if cost.unpriced:
        lines.append(f"  {len(cost.unpriced)} resource(s) have no price, so the total is only a lower bound:")
        lines += [f"    {unpriced.reason} ({unpriced.urn})" for unpriced in cost.unpriced]
    for region, component, monthly in _cost_rows(cost):
        lines.append(f"    {region:<16} {component:<32} {monthly:>12}")
    lines.append(f"  Usage: {cost.usage_source}")
    lines += [f"    {text}" for text in _usage_texts(cost)]
    lines.append("  Assumptions:")
    lines += [f"    {text}" for text in _assumption_texts(cost)]

    capacity = run.capacity
    if capacity.fits:
        lines += ["", "Capacity (pods vs node groups; minimum and rolling update at minSize, maximum at maxSize):"]
        widths = [max(len(row[i]) for row in [_CAPACITY_HEADER, *_capacity_rows(capacity)]) for i in range(8)]
        for row in [_CAPACITY_HEADER, *_capacity_rows(capacity)]:
            lines.append(
                "    " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            )
        lines += [f"    {problem}" for problem in _capacity_problems(capacity)]
        lines += [f"    note: {note.text}" for note in capacity.notes]

    lines += _reachability_text(run.reachability)

    lines += ["", "Policies:"]
    for pack in run.analysis.packs:
        lines.append(f"    {pack.name}@{pack.version}: {len(pack.policies)} policies")
    lines.append(f"    config: {run.policy_config or 'none (every policy at its default)'}")
    if run.analysis.remediations:
        lines += ["", f"Would remediate ({len(run.analysis.remediations)}):"]
        for fix in run.analysis.remediations:
            lines.append(f"    [{fix.policy_name}] {fix.urn}: {', '.join(fix.changed) or 'no visible change'}")
    for level, violations in run.by_level():
        lines += ["", f"{level.capitalize()} violations ({len(violations)}):"]
        for violation in violations:
            lines.append(f"    [{violation.policy_name}] {violation.urn or '(stack)'}")
            lines.append(f"        {violation.message}")
    counts_by_level = run.violation_counts()
    verdict = "FAILED" if counts_by_level["mandatory"] else "passed"
    lines += [
        "",
        f"Policy check {verdict}: {counts_by_level['mandatory']} mandatory, "
        f"{counts_by_level['advisory']} advisory violation(s).",
    ]
    return "\n".join(lines)


# --- JSON ------------------------------------------------------------------------------------


def _violation_json(violation: Violation) -> dict[str, str]:
    return {
        "policyPackName": violation.policy_pack,
        "policyName": violation.policy_name,
        "enforcementLevel": violation.enforcement_level,
        "severity": violation.severity,
        "urn": violation.urn,
        "message": violation.message,
    }


def _cost_json(cost: Estimate) -> dict[str, Any]:
    return {
        "currency": CURRENCY,
        "monthlyTotal": cost.monthly_usd,
        "complete": not cost.unpriced,
        "range": {"low": cost.monthly_low_usd, "high": cost.monthly_high_usd},
        "usage": {
            "source": cost.usage_source,
            "overrides": [{"resource": name, "key": key} for name, key in sorted(cost.overrides)],
            "unmatched": cost.unmatched_overrides,
            "unused": cost.unused_overrides,
        },
        "unknownUntilApply": [{"urn": u.urn, "reason": u.reason} for u in cost.pending],
        "byRegionAndComponent": [
            {"region": region, "component": component, "monthly": usd}
            for (region, component), usd in cost.by_region_and_component().items()
        ],
        "lines": [
            {
                "urn": line.urn,
                "region": line.region,
                "component": line.component,
                "what": line.what,
                "quantity": line.quantity,
                "unit": line.unit,
                "unitPrice": line.unit_usd,
                "monthly": line.monthly_usd,
                "source": line.source,
                "read": line.read,
            }
            for line in cost.lines
        ],
        "unpriced": [{"urn": u.urn, "type": u.type, "reason": u.reason} for u in cost.unpriced],
        "assumptions": [
            {
                "name": name,
                "value": ASSUMPTIONS[name].value,
                "unit": ASSUMPTIONS[name].unit,
                "text": ASSUMPTIONS[name].text,
            }
            for name in sorted(cost.assumptions)
        ],
    }


def render_json(run: Run) -> str:
    document = {
        "stack": run.state.stack,
        "project": run.state.project,
        "source": run.source,
        "kind": "state" if run.analyzed else "preview",
        "resources": [{"urn": r.urn, "type": r.type, "parent": r.parent} for r in run.resources],
        "outputs": {name: "[secret]" if output.secret else output.value for name, output in run.outputs.items()},
        "diff": comparison_json(run.comparison) if run.comparison is not None else None,
        "policyPacks": [
            {"name": pack.name, "version": pack.version, "policies": list(pack.policies)} for pack in run.analysis.packs
        ],
        "policyConfig": run.policy_config or None,
        "violations": [_violation_json(v) for v in run.analysis.violations],
        "remediations": [
            {
                "policyPackName": fix.policy_pack,
                "policyName": fix.policy_name,
                "urn": fix.urn,
                "changed": list(fix.changed),
            }
            for fix in run.analysis.remediations
        ],
        "cost": _cost_json(run.cost),
        "capacity": _capacity_json(run.capacity),
        "reachability": _reachability_json(run.reachability),
        "summary": {
            "resources": len(run.resources),
            "byType": run.counts_by_type(),
            "violations": run.violation_counts(),
            "passed": run.violation_counts()["mandatory"] == 0,
        },
    }
    return json.dumps(document, indent=2)


# --- Markdown --------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _short(urn: str) -> str:
    """A resource's name, for a table; the URN goes in a details block below it."""
    return urn.rsplit("::", 1)[-1] if urn else ""


def render_markdown(run: Run) -> str:
    counts = run.violation_counts()
    verdict = "❌ failed" if counts["mandatory"] else "✅ passed"
    lines = [
        f"### preflight: `{run.state.project}/{run.state.stack}` {verdict}",
        "",
    ]
    if run.comparison is not None:
        lines += risk_markdown(run.comparison)
    lines += [
        f"{run.headline()}; {counts['mandatory']} mandatory and {counts['advisory']} advisory policy violation(s).",
        "",
    ]
    if run.comparison is not None:
        lines += changes_markdown(run.comparison)
    if run.analysis.violations:
        lines += ["| Level | Policy | Resource | Message |", "| --- | --- | --- | --- |"]
        for level, violations in run.by_level():
            for violation in violations:
                lines.append(
                    f"| {level} | `{violation.policy_name}` | `{_cell(_short(violation.urn) or '(stack)')}` | "
                    f"{_cell(violation.message)} |"
                )
        lines.append("")
        lines += urn_details(((_short(v.urn), v.urn) for v in run.analysis.violations if v.urn), "Resource URNs")
    capacity = run.capacity
    if capacity.fits:
        verdict_text = "the pods fit" if capacity.ok else "**the pods do not fit**"
        lines += [f"**Capacity: {verdict_text}** (minimum and rolling update at minSize, maximum at maxSize)", ""]
        lines += ["| " + " | ".join(_CAPACITY_HEADER) + " |", "| --- | --- | --- | --- | ---: | ---: | ---: | ---: |"]
        lines += ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in _capacity_rows(capacity)]
        lines.append("")
        lines += [f"- {_cell(problem)}" for problem in _capacity_problems(capacity)]
        lines += [f"- note: {_cell(note.text)}" for note in capacity.notes]
        if _capacity_problems(capacity) or capacity.notes:
            lines.append("")
    lines += _reachability_markdown(run.reachability)
    if run.analysis.remediations:
        lines += ["| Would remediate | Resource | Changes |", "| --- | --- | --- |"]
        lines += [
            f"| `{fix.policy_name}` | `{_cell(_short(fix.urn))}` | {_cell(', '.join(fix.changed))} |"
            for fix in run.analysis.remediations
        ]
        lines.append("")
        lines += urn_details(((_short(fix.urn), fix.urn) for fix in run.analysis.remediations), "Remediated URNs")
    lines.append(f"Policy config: `{run.policy_config}`" if run.policy_config else "Policy config: none (defaults)")
    lines.append("")
    cost = run.cost
    lines += [f"**Estimated monthly cost: {_cell(_headline(cost))}** ({CURRENCY}, on-demand list prices)", ""]
    if cost.unpriced:
        lines += [f"{len(cost.unpriced)} resource(s) have no price, so the total is only a lower bound:", ""]
        lines += [f"- {_cell(u.reason)} (`{_cell(u.urn)}`)" for u in cost.unpriced]
        lines.append("")
    lines += ["| Region | Component | Monthly |", "| --- | --- | ---: |"]
    lines += [f"| {region} | {_cell(component)} | {monthly} |" for region, component, monthly in _cost_rows(cost)]
    lines.append("")
    if cost.overrides or cost.unmatched_overrides or cost.unused_overrides or cost.pending:
        lines += [f"Usage ({_cell(cost.usage_source)}):", ""]
        lines += [f"- {_cell(text)}" for text in _usage_texts(cost)]
        lines.append("")
    lines += ["<details><summary>Cost assumptions</summary>", ""]
    lines += [f"- {_cell(text)}" for text in _assumption_texts(cost)]
    lines += ["", "</details>", ""]
    lines += ["<details><summary>Resources by type</summary>", "", "| Type | Count |", "| --- | ---: |"]
    lines += [f"| `{type_token}` | {count} |" for type_token, count in run.counts_by_type().items()]
    lines += ["", "</details>"]
    return "\n".join(lines)


# --- SARIF -----------------------------------------------------------------------------------


def render_sarif(run: Run) -> str:
    return sarif.render(
        run.state, run.analysis.violations, run.source, run.project_dir, run.analyzed, {"cost": _cost_json(run.cost)}
    )


RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown, "sarif": render_sarif}

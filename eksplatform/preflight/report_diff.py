"""The `--base` part of a report: what would change against a base export, and what it would cost.

eksplatform/preflight/diff.py finds the changes; this module prices both sides with the cost estimate and
renders the comparison for the text, JSON and Markdown reports (SARIF carries policy results
only). A replacement or deletion of a resource that holds data comes first in every format.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from eksplatform.cost.estimate import CURRENCY, Estimate
from eksplatform.preflight.diff import (
    ABSENT,
    AFTER_APPLY,
    SYMBOLS,
    Change,
    CostChange,
    Diff,
    InputChange,
    cost_changes,
    diff,
    redact,
    show,
)
from eksplatform.preflight.export import State

NO_PRICE = "no price"
VERBS = {"create": "to create", "update": "to update", "replace": "to replace", "delete": "to delete"}


@dataclass(frozen=True)
class Comparison:
    """A stack against its base: the changes and both cost estimates."""

    base: State
    base_source: str
    diff: Diff
    cost_before: Estimate
    cost_after: Estimate

    @functools.cached_property
    def _before(self) -> dict[str, float]:
        return _monthly_by_urn(self.cost_before)

    @functools.cached_property
    def _after(self) -> dict[str, float]:
        return _monthly_by_urn(self.cost_after)

    @functools.cached_property
    def costs(self) -> list[CostChange]:
        types = {r.urn: r.type for r in self.base.resources}
        types.update({change.urn: change.type for change in self.diff.changes})
        return cost_changes(self._before, self._after, types, self.unpriced_before, self.unpriced_after)

    @functools.cached_property
    def unpriced_before(self) -> set[str]:
        """URNs of the base that have no price (their cost is unknown, not zero)."""
        return {item.urn for item in self.cost_before.unpriced}

    @functools.cached_property
    def unpriced_after(self) -> set[str]:
        return {item.urn for item in self.cost_after.unpriced}

    def monthly(self, urn: str) -> tuple[float | None, float | None]:
        """(before, after) monthly USD of one resource; None where it is absent or has no price."""
        return self._before.get(urn), self._after.get(urn)

    def prices(self, urn: str) -> tuple[str, str]:
        """(before, after) monthly cost of one resource as shown: "-" where absent, "no price" where unpriced."""
        before, after = self.monthly(urn)
        return (
            NO_PRICE if urn in self.unpriced_before else _usd(before),
            NO_PRICE if urn in self.unpriced_after else _usd(after),
        )

    @property
    def unpriced_changed(self) -> list[str]:
        """Changed resources without a price on one side: the total change is then unknown."""
        unpriced = self.unpriced_before | self.unpriced_after
        return sorted({change.urn for change in self.diff.changes if change.urn in unpriced})

    @property
    def base_count(self) -> int:
        return sum(1 for r in self.base.resources if r.type != "pulumi:pulumi:Stack")

    @property
    def monthly_change(self) -> float | None:
        """The priced total's change; None when a changed resource has no price (the sign is unknown)."""
        if self.unpriced_changed:
            return None
        return round(self.cost_after.monthly_usd - self.cost_before.monthly_usd, 2)

    def total_line(self) -> str:
        """`$a → $b` of the priced resources, with the change or why it is unknown."""
        before, after = self.cost_before.monthly_usd, self.cost_after.monthly_usd
        change = self.monthly_change
        if change is None:
            names = ", ".join(urn.rsplit("::", 1)[-1] for urn in self.unpriced_changed)
            return f"{_usd(before)} → {_usd(after)} a month (change unknown: {names} changed and has no price)"
        return f"{_usd(before)} → {_usd(after)} a month ({_signed(change)}{_percent(before, after)})"

    def unpriced_lines(self) -> list[str]:
        """Each side's resources without a price (left out of its total)."""
        lines = []
        for side, urns in (("base", self.unpriced_before), ("branch", self.unpriced_after)):
            if urns:
                names = ", ".join(sorted(urn.rsplit("::", 1)[-1] for urn in urns))
                lines.append(f"No price in the {side} (left out of its total): {names}")
        return lines

    def summary(self) -> str:
        counts = self.diff.counts()
        parts = [f"{counts[action]} {verb}" for action, verb in VERBS.items()]
        return ", ".join(parts) + f", {counts['same']} unchanged"


def compare(base: State, head: State, base_source: str, cost_before: Estimate, cost_after: Estimate) -> Comparison:
    def outputs(state: State) -> dict[str, tuple[Any, bool]]:
        return {name: (output.value, output.secret) for name, output in state.outputs.items()}

    found = diff(
        base.resources,
        head.resources,
        # The mocks' IDs and ARNs compare with the mocks' ones only.
        compare_values=base.synthesized and head.synthesized,
        base_outputs=outputs(base),
        head_outputs=outputs(head),
    )
    return Comparison(base, base_source, found, cost_before, cost_after)


def _monthly_by_urn(cost: Estimate) -> dict[str, float]:
    totals: dict[str, float] = {}
    for line in cost.lines:
        totals[line.urn] = round(totals.get(line.urn, 0.0) + line.monthly_usd, 2)
    return totals


def _usd(amount: float | None) -> str:
    return "-" if amount is None else f"${amount:,.2f}"


def _signed(amount: float) -> str:
    return f"{'+' if amount >= 0 else '-'}${abs(amount):,.2f}"


def _delta(amount: float | None) -> str:
    return "unknown" if amount is None else _signed(amount)


def _percent(before: float, after: float) -> str:
    return f", {(after - before) / before:+.0%}" if before else ""


def risk_reason(change: Change) -> str:
    """Why a data-holding resource is at risk, and what stands in the way."""
    if change.action == "replace":
        reason = f"replace {change.stateful} {change.name}: " + _replaced_by(change)
    else:
        reason = f"delete {change.stateful} {change.name}"
    if change.protect:
        reason += "; protected: `pulumi up` stops until `protect` is lifted"
    if change.retain_on_delete:
        reason += "; retainOnDelete: the old one leaves the stack but stays in AWS"
    return reason


def _replaced_by(change: Change) -> str:
    forcing = [c for c in change.inputs if c.replaces]
    if not forcing:
        return "its kind changed (component and custom resource)"
    return "; ".join(f"{c.path} forces it ({c.replaces})" for c in forcing)


def _no_rule_note(found: Diff) -> list[str]:
    types = sorted({change.type for change in found.changes if change.no_rule})
    if not types:
        return []
    return [f"Updates of types without known replacement rules (they may be replacements): {', '.join(types)}"]


def _input_line(change: InputChange) -> str:
    line = f"{change.path}: {show(change.old)} → {show(change.new)}" + (
        " (same items, new order)" if change.reordered else ""
    )
    return line + (f"  [forces replacement: {change.replaces}]" if change.replaces else "")


# --- text --------------------------------------------------------------------------------------


def risk_text(comparison: Comparison) -> list[str]:
    """The first lines of the text report: replacements and deletions that lose data."""
    risky = comparison.diff.data_at_risk
    if not risky:
        return []
    lines = [f"DATA AT RISK: {len(risky)} stateful resource(s) would be replaced or deleted:"]
    lines += [f"    {risk_reason(change)}" for change in risky]
    return [*lines, ""]


def changes_text(comparison: Comparison) -> list[str]:
    found = comparison.diff
    lines = [
        "",
        f"Changes against {comparison.base_source} ({comparison.base.project}/{comparison.base.stack}, "
        f"{comparison.base_count} resources): {comparison.summary()}",
    ]
    for change in found.changes:
        lines.append(f" {SYMBOLS[change.action]:>2} {change.type} {change.name} ({change.action})")
        lines += [f"        {_input_line(c)}" for c in change.inputs]
    lines += [f"    {note}" for note in _no_rule_note(found)]
    if found.outputs:
        lines.append("  Outputs:")
        lines += [f" {SYMBOLS[o.action]:>2} {o.name}: {show(o.old)} → {show(o.new)}" for o in found.outputs]
    lines += ["", f"Monthly cost ({CURRENCY}) against the base:"]
    lines.append(f"    {comparison.total_line()}")
    lines += [f"    {line}" for line in comparison.unpriced_lines()]
    rows = [("resource", "before", "after", "change")] + [
        (c.name, *comparison.prices(c.urn), _delta(c.delta)) for c in comparison.costs
    ]
    if len(rows) > 1:
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        for row in rows:
            lines.append(
                f"    {row[0]:<{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]:>{widths[2]}}  {row[3]:>{widths[3]}}"
            )
    return lines


# --- JSON --------------------------------------------------------------------------------------


def _json_value(value: Any) -> Any:
    if value is AFTER_APPLY:
        return "(known after apply)"
    return redact(value)


def _input_json(change: InputChange) -> dict[str, Any]:
    entry: dict[str, Any] = {"path": change.path}
    if change.old is not ABSENT:
        entry["old"] = _json_value(change.old)
    if change.new is not ABSENT:
        entry["new"] = _json_value(change.new)
    entry["computed"] = change.new is AFTER_APPLY
    entry["reordered"] = change.reordered
    entry["forcesReplacement"] = bool(change.replaces)
    entry["replacementRule"] = change.replaces or None
    return entry


def _change_json(comparison: Comparison, change: Change) -> dict[str, Any]:
    before, after = comparison.monthly(change.urn)
    return {
        "urn": change.urn,
        "name": change.name,
        "type": change.type,
        "action": change.action,
        "stateful": change.stateful or None,
        "protect": change.protect,
        "retainOnDelete": change.retain_on_delete,
        "replacementRulesKnown": not change.no_rule,
        "inputs": [_input_json(c) for c in change.inputs],
        "monthlyBefore": before,
        "monthlyAfter": after,
    }


def comparison_json(comparison: Comparison) -> dict[str, Any]:
    found = comparison.diff
    return {
        "base": comparison.base_source,
        "baseStack": f"{comparison.base.project}/{comparison.base.stack}",
        "summary": found.counts(),
        "dataAtRisk": [
            {"urn": c.urn, "type": c.type, "action": c.action, "stateful": c.stateful, "reason": risk_reason(c)}
            for c in found.data_at_risk
        ],
        "changes": [_change_json(comparison, change) for change in found.changes],
        "outputs": [
            {"name": o.name, "action": o.action}
            | ({} if o.old is ABSENT else {"old": _json_value(o.old)})
            | ({} if o.new is ABSENT else {"new": _json_value(o.new)})
            for o in found.outputs
        ],
        "cost": {
            "currency": CURRENCY,
            "monthlyBefore": comparison.cost_before.monthly_usd,
            "monthlyAfter": comparison.cost_after.monthly_usd,
            "monthlyChange": comparison.monthly_change,
            "unpricedBefore": sorted(comparison.unpriced_before),
            "unpricedAfter": sorted(comparison.unpriced_after),
            "byResource": [
                {
                    "urn": c.urn,
                    "type": c.type,
                    "before": c.before,
                    "after": c.after,
                    "change": c.delta,
                    "pricedBefore": not c.unpriced_before,
                    "pricedAfter": not c.unpriced_after,
                }
                for c in comparison.costs
            ],
        },
    }


# --- Markdown ----------------------------------------------------------------------------------


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def risk_markdown(comparison: Comparison) -> list[str]:
    risky = comparison.diff.data_at_risk
    if not risky:
        return []
    lines = [
        "> [!CAUTION]",
        f"> **{len(risky)} stateful resource(s) would be replaced or deleted** (their data goes with them):",
    ]
    lines += [f"> - {_cell(risk_reason(change))}" for change in risky]
    return [*lines, ""]


_ICONS = {"create": "➕ create", "update": "✏️ update", "replace": "🔁 replace", "delete": "🗑️ delete"}


def changes_markdown(comparison: Comparison) -> list[str]:
    found = comparison.diff
    lines = [
        f"**Changes against `{_cell(comparison.base_source)}`** "
        f"(`{comparison.base.project}/{comparison.base.stack}`): {comparison.summary()}.",
        "",
    ]
    if found.changes:
        lines += [
            "| Action | Resource | Type | Changed inputs | Monthly before | Monthly after |",
            "| --- | --- | --- | --- | ---: | ---: |",
        ]
        for change in found.changes:
            before, after = comparison.prices(change.urn)
            inputs = ", ".join(f"`{c.path}`" + (" (replaces)" if c.replaces else "") for c in change.inputs)
            lines.append(
                f"| {_ICONS[change.action]} | `{_cell(change.name)}` | `{change.type}` | {_cell(inputs) or '-'} | "
                f"{before} | {after} |"
            )
        lines += ["", "<details><summary>URNs and input changes</summary>", ""]
        for change in found.changes:
            lines.append(f"- `{_cell(change.name)}`: `{_cell(change.urn)}`")
            lines += [f"  - `{_cell(_input_line(c))}`" for c in change.inputs]
        lines += ["", "</details>", ""]
        lines += [f"_{note}_" for note in _no_rule_note(found)] + ([""] if _no_rule_note(found) else [])
    if found.outputs:
        lines += ["| Output | Action | Before | After |", "| --- | --- | --- | --- |"]
        lines += [
            f"| `{o.name}` | {o.action} | `{_cell(show(o.old))}` | `{_cell(show(o.new))}` |" for o in found.outputs
        ]
        lines.append("")
    lines += [f"**Monthly cost: {comparison.total_line()}** ({CURRENCY}, on-demand list prices)", ""]
    lines += [f"_{_cell(line)}_" for line in comparison.unpriced_lines()]
    lines += [""] if comparison.unpriced_lines() else []
    if comparison.costs:
        lines += ["| Resource | Before | After | Change |", "| --- | ---: | ---: | ---: |"]
        lines += [
            f"| `{_cell(c.name)}` | {' | '.join(comparison.prices(c.urn))} | {_delta(c.delta)} |"
            for c in comparison.costs
        ]
        lines.append("")
    return lines


def urn_details(names_and_urns: Iterable[tuple[str, str]], summary: str = "URNs") -> list[str]:
    """A collapsed list of the URNs behind the short names a table shows."""
    pairs = sorted(set(names_and_urns))
    if not pairs:
        return []
    lines = [f"<details><summary>{summary}</summary>", ""]
    lines += [f"- `{_cell(name)}`: `{_cell(urn)}`" for name, urn in pairs]
    return [*lines, "", "</details>", ""]

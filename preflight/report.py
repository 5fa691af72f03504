"""Reports of a preflight run: text (like `pulumi preview`), JSON, Markdown and SARIF 2.1.0."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from preflight.analyze import Analysis, Violation
from preflight.export import State, StateResource
from preflight.synth import StackOutput

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL_ORDER = ("mandatory", "advisory", "disabled")


@dataclass(frozen=True)
class Run:
    """Everything a report shows."""

    state: State
    analysis: Analysis
    outputs: Mapping[str, StackOutput] = field(default_factory=dict)
    source: str = ""
    """Where the stack came from: the stack file, or the state document given."""

    @property
    def resources(self) -> list[StateResource]:
        return [r for r in self.state.resources if r.type != "pulumi:pulumi:Stack"]

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


# --- text ------------------------------------------------------------------------------------


def render_text(run: Run) -> str:
    state = run.state
    lines = [f"Previewing stack {state.project}/{state.stack} (offline, under Pulumi mocks):", ""]
    lines.append("     Type                                                  Name")
    children: dict[str, list[StateResource]] = {}
    for resource in state.resources:
        children.setdefault(resource.parent, []).append(resource)

    def walk(resource: StateResource, depth: int) -> None:
        indent = "   " * depth + (" └─ " if depth else " ")
        lines.append(f" + {indent}{resource.type:<{max(1, 54 - len(indent))}} {resource.name}")
        for child in children.get(resource.urn, []):
            walk(child, depth + 1)

    for root in children.get("", []):
        walk(root, 0)

    lines += ["", "Resources by type:"]
    counts = run.counts_by_type()
    for type_token, count in counts.items():
        lines.append(f"    {count:>4}  {type_token}")
    lines.append(f"    {sum(counts.values()):>4}  to create in total")

    if run.outputs:
        lines += ["", "Outputs:"]
        for name, output in run.outputs.items():
            lines.append(f"    {name}: {'[secret]' if output.secret else json.dumps(output.value)}")

    lines += ["", "Policies:"]
    for pack in run.analysis.packs:
        lines.append(f"    {pack.name}@{pack.version}: {len(pack.policies)} policies")
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


def render_json(run: Run) -> str:
    document = {
        "stack": run.state.stack,
        "project": run.state.project,
        "source": run.source,
        "resources": [{"urn": r.urn, "type": r.type, "parent": r.parent} for r in run.resources],
        "policyPacks": [
            {"name": pack.name, "version": pack.version, "policies": list(pack.policies)} for pack in run.analysis.packs
        ],
        "violations": [_violation_json(v) for v in run.analysis.violations],
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


def render_markdown(run: Run) -> str:
    counts = run.violation_counts()
    verdict = "❌ failed" if counts["mandatory"] else "✅ passed"
    lines = [
        f"### preflight: `{run.state.project}/{run.state.stack}` {verdict}",
        "",
        f"{len(run.resources)} resources to create; {counts['mandatory']} mandatory and "
        f"{counts['advisory']} advisory policy violation(s).",
        "",
    ]
    if run.analysis.violations:
        lines += ["| Level | Policy | Resource | Message |", "| --- | --- | --- | --- |"]
        for level, violations in run.by_level():
            for violation in violations:
                lines.append(
                    f"| {level} | `{violation.policy_name}` | `{_cell(violation.urn or '(stack)')}` | "
                    f"{_cell(violation.message)} |"
                )
        lines.append("")
    lines += ["<details><summary>Resources by type</summary>", "", "| Type | Count |", "| --- | ---: |"]
    lines += [f"| `{type_token}` | {count} |" for type_token, count in run.counts_by_type().items()]
    lines += ["", "</details>"]
    return "\n".join(lines)


# --- SARIF -----------------------------------------------------------------------------------


def render_sarif(run: Run) -> str:
    rules: dict[str, dict[str, Any]] = {}
    for violation in run.analysis.violations:
        rules.setdefault(
            violation.policy_name,
            {
                "id": violation.policy_name,
                "name": violation.policy_name,
                "shortDescription": {"text": violation.description or violation.policy_name},
                "properties": {"policyPack": violation.policy_pack, "severity": violation.severity},
            },
        )
    artifact = run.source or f"Pulumi.{run.state.stack}.yaml"
    results = [
        {
            "ruleId": violation.policy_name,
            "ruleIndex": list(rules).index(violation.policy_name),
            "level": "error" if violation.enforcement_level == "mandatory" else "warning",
            "message": {"text": f"{violation.urn or 'stack'}: {violation.message}"},
            "locations": [
                {
                    "physicalLocation": {"artifactLocation": {"uri": artifact}, "region": {"startLine": 1}},
                    "logicalLocations": [{"fullyQualifiedName": violation.urn or run.state.stack, "kind": "resource"}],
                }
            ],
        }
        for violation in run.analysis.violations
    ]
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "preflight",
                        "informationUri": "https://www.pulumi.com/docs/iac/using-pulumi/crossguard/",
                        "rules": list(rules.values()),
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2)


RENDERERS = {"text": render_text, "json": render_json, "markdown": render_markdown, "sarif": render_sarif}

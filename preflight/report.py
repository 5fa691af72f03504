"""Text rendering of a synthesized stack, in the spirit of `pulumi preview`."""

from __future__ import annotations

import json

from preflight.mocks import Registration
from preflight.synth import Graph


def render_text(graph: Graph) -> str:
    lines = [f"Previewing stack {graph.project}/{graph.stack} (offline, under Pulumi mocks):", ""]
    lines.append("     Type                                                  Name")
    children: dict[str, list[Registration]] = {}
    for registration in graph.registrations:
        children.setdefault(registration.parent, []).append(registration)

    def walk(registration: Registration, depth: int) -> None:
        indent = "   " * depth + (" └─ " if depth else " ")
        lines.append(f" + {indent}{registration.type:<{max(1, 54 - len(indent))}} {registration.name}")
        for child in children.get(registration.urn, []):
            walk(child, depth + 1)

    for root in children.get("", []):
        walk(root, 0)

    lines += ["", "Resources by type:"]
    counts = graph.counts_by_type()
    for type_token, count in counts.items():
        lines.append(f"    {count:>4}  {type_token}")
    lines.append(f"    {sum(counts.values()):>4}  to create in total")

    if graph.outputs:
        lines += ["", "Outputs:"]
        for name, output in graph.outputs.items():
            shown = "[secret]" if output.secret else json.dumps(output.value)
            lines.append(f"    {name}: {shown}")
    return "\n".join(lines)

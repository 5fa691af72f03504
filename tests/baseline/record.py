"""The default stacks' resources as recorded before the package refactor (#23), to compare against.

A resource's identity in a real stack is its URN; what `pulumi up` would change is its inputs,
provider, parent and options. `fingerprint(graph)` keeps, per URN, the type, parent, provider
URN, protection and a SHA-256 of the canonical JSON of the inputs (secrets unwrapped), so a
refactor that renames a type token, moves a parent or changes one input shows up by URN.

Record again only for an intended change, and say why in the commit:
    python -m tests.baseline.record            # writes tests/baseline/<stack>.json
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

BASELINE_DIR = Path(__file__).resolve().parent
STACKS = ("dev", "staging", "prod")


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def fingerprint(registrations: Any) -> dict[str, dict[str, Any]]:
    """URN → what a stack update compares, for every registration (the stack itself included)."""
    result: dict[str, dict[str, Any]] = {}
    for registration in registrations:
        result[registration.urn] = {
            "type": registration.type,
            "parent": registration.parent,
            "provider": registration.provider_urn,
            "protect": registration.protect,
            "retainOnDelete": registration.retain_on_delete,
            "deleteBeforeReplace": registration.delete_before_replace,
            "ignoreChanges": sorted(registration.ignore_changes),
            "inputs": hashlib.sha256(_canonical(registration.inputs).encode()).hexdigest(),
        }
    return dict(sorted(result.items()))


def dump(fingerprints: dict[str, dict[str, Any]]) -> str:
    """One URN per line, so a diff of the file shows resources, not fields."""
    lines = [f"  {json.dumps(urn)}: {json.dumps(entry, sort_keys=True)}" for urn, entry in fingerprints.items()]
    return "{\n" + ",\n".join(lines) + "\n}\n"


def load(stack: str) -> dict[str, dict[str, Any]]:
    recorded: dict[str, dict[str, Any]] = json.loads(baseline_path(stack).read_text())
    return recorded


def baseline_path(stack: str) -> Path:
    return BASELINE_DIR / f"{stack}.json"


def main() -> None:
    from eksplatform.preflight.synth import synth

    for stack in STACKS:
        path = baseline_path(stack)
        path.write_text(dump(fingerprint(synth(stack))))
        print(f"wrote {path}")


if __name__ == "__main__":
    main()

"""Per-stack policy config: `policies/config/<stack>.json`, the format of `--policy-pack-config`.

Each key is a policy name; its value is an enforcement level (`"advisory"`) or an object with an
optional `enforcementLevel` and the policy's knobs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CONFIG_DIR = Path(__file__).resolve().parent / "config"


def read(path: Path) -> dict[str, Any]:
    """A policy config file, checked strictly against the catalog (a typo is an error, not a default)."""
    from policies.catalog import ALL_RULES
    from policies.config_check import document_problems

    document = json.loads(path.read_text())
    if not isinstance(document, dict):
        raise ValueError(f"{path}: a policy config is a JSON object keyed by policy name")
    problems = document_problems(document, ALL_RULES)
    if problems:
        raise ValueError(f"{path}: " + "; ".join(problems))
    return document


def knobs(document: dict[str, Any], policy_name: str) -> dict[str, Any]:
    """The knobs of one policy (its enforcement level left out)."""
    entry = document.get(policy_name, {})
    if not isinstance(entry, dict):
        return {}
    return {key: value for key, value in entry.items() if key != "enforcementLevel"}


def for_stack(stack: str) -> dict[str, Any]:
    return read(CONFIG_DIR / f"{stack}.json")

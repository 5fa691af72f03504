"""Per-stack policy config: `policies/config/<stack>.json`, the format of `--policy-pack-config`.

Each key is a policy name; its value is an enforcement level (`"advisory"`) or an object with an
optional `enforcementLevel` and the policy's knobs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CONFIG_DIR = Path(__file__).resolve().parent / "config"
PLATFORM_PROJECT = "platform"
"""The project whose stacks config/<stack>.json are for (Pulumi.yaml's name at the repository root)."""


def read(path: Path) -> dict[str, Any]:
    """A policy config file, checked strictly against the catalog (a typo is an error, not a default)."""
    from eksplatform.policies.catalog import ALL_RULES
    from eksplatform.policies.config_check import document_problems

    document = json.loads(path.read_text())
    if not isinstance(document, dict):
        raise ValueError(f"{path}: a policy config is a JSON object keyed by policy name")
    problems = document_problems(document, ALL_RULES)
    if problems:
        raise ValueError(f"{path}: " + "; ".join(problems))
    return document


def own_knobs(document: dict[str, Any], policy_name: str) -> dict[str, Any]:
    """The knobs one policy's entry gives (its enforcement level left out)."""
    entry = document.get(policy_name, {})
    if not isinstance(entry, dict):
        return {}
    return {key: value for key, value in entry.items() if key != "enforcementLevel"}


def knobs(document: dict[str, Any], policy_name: str) -> dict[str, Any]:
    """The knobs of one policy: its own, and the pack-wide ones (config_check.SHARED_KNOBS) given
    on any policy."""
    from eksplatform.policies.catalog import ALL_RULES
    from eksplatform.policies.config_check import with_shared

    settings = {name: own_knobs(document, name) for name in document}
    return with_shared(settings, ALL_RULES).get(policy_name, {})


def level(document: dict[str, Any], policy_name: str) -> str | None:
    """The enforcement level one policy's entry gives, or None."""
    entry = document.get(policy_name)
    if isinstance(entry, str):
        return entry
    if isinstance(entry, dict) and isinstance(entry.get("enforcementLevel"), str):
        return str(entry["enforcementLevel"])
    return None


def path_for(stack: str) -> Path:
    return CONFIG_DIR / f"{stack}.json"


def for_stack(stack: str) -> dict[str, Any]:
    return read(path_for(stack))

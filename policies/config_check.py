"""Strict policy config: unknown policies, unknown knobs and values outside a knob's schema are
errors that name the policy and the key, never a silent fall back to the default (a typo
`minBackupRetentionDay` used to leave the 7-day default in force)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from jsonschema import Draft7Validator

from policies.rule import Rule, StackRule

LEVELS = ("advisory", "mandatory", "remediate", "disabled")


def _hint(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def knob_problems(rule: Rule | StackRule, knobs: Mapping[str, Any]) -> list[str]:
    """What is wrong with one policy's knobs, each naming the policy and the key."""
    schema = {"type": "object", "properties": dict(rule.config_schema), "additionalProperties": False}
    problems = []
    for key in knobs:
        if key not in rule.config_schema:
            known = ", ".join(rule.config_schema) or "none"
            problems.append(f"{rule.name}: unknown setting {key!r}{_hint(key, rule.config_schema)}; known: {known}")
    for error in Draft7Validator(schema).iter_errors(dict(knobs)):
        if error.validator == "additionalProperties":
            continue  # named above, with a hint
        where = ".".join(str(part) for part in error.absolute_path)
        problems.append(f"{rule.name}: {where}: {error.message}")
    return problems


def document_problems(document: Mapping[str, Any], rules: Iterable[Rule | StackRule]) -> list[str]:
    """Every problem of a `--policy-pack-config` document against these rules."""
    by_name = {rule.name: rule for rule in rules}
    problems = []
    for name, entry in document.items():
        rule = by_name.get(name)
        if rule is None:
            problems.append(f"{name}: no such policy{_hint(name, by_name)}")
            continue
        if isinstance(entry, str):
            entry = {"enforcementLevel": entry}
        if not isinstance(entry, Mapping):
            problems.append(f"{name}: give an enforcement level or an object of settings")
            continue
        level = entry.get("enforcementLevel")
        if level is not None and level not in LEVELS:
            problems.append(f"{name}: enforcementLevel {level!r} is not one of {', '.join(LEVELS)}")
        if level == "remediate" and not (isinstance(rule, Rule) and rule.remedy is not None):
            problems.append(f"{name}: has no remediation; use advisory or mandatory")
        problems += knob_problems(rule, {key: value for key, value in entry.items() if key != "enforcementLevel"})
    return problems

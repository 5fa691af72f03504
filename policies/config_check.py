"""Strict policy config: unknown policies, unknown knobs and values outside a knob's schema are
errors that name the policy and the key, never a silent fall back to the default (a typo
`minBackupRetentionDay` used to leave the 7-day default in force)."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from jsonschema import Draft7Validator

from eksplatform.policies.rule import Rule, StackRule

LEVELS = ("advisory", "mandatory", "remediate", "disabled")
SHARED_KNOBS = ("untrustedNamespaces", "sandboxNodeLabels", "runtimeHandlers")
"""Settings that mean one thing for the whole pack: a value given on any policy that has the knob
applies to every policy that has it, and two different values are an error (a single source)."""


def _hint(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def knob_problems(rule: Rule | StackRule, knobs: Mapping[str, Any]) -> list[str]:
    """What is wrong with one policy's knobs, each naming the policy and the key."""
    # An empty list would switch a rule off (no registries, no namespaces): refused unless the knob
    # says an empty list means something (minItems 0); disable the policy instead.
    properties = {
        key: {**knob, "minItems": knob.get("minItems", 1)} if knob.get("type") == "array" else dict(knob)
        for key, knob in rule.config_schema.items()
    }
    schema = {"type": "object", "properties": properties, "additionalProperties": False}
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


def _given(rule: Rule | StackRule, knob: str, settings: Mapping[str, Any]) -> Any:
    """The value `settings` give `knob`, or None when absent or the default (the CLI fills every
    knob with its schema default, so a default says nothing)."""
    if knob not in settings or settings[knob] == rule.defaults().get(knob):
        return None
    return settings[knob]


def shared_problems(settings: Mapping[str, Mapping[str, Any]], rules: Iterable[Rule | StackRule]) -> list[str]:
    """Two policies that give a shared knob different values."""
    by_name = {rule.name: rule for rule in rules}
    problems = []
    for knob in SHARED_KNOBS:
        given = {
            name: value
            for name, knobs in settings.items()
            if name in by_name
            and knob in by_name[name].config_schema
            and (value := _given(by_name[name], knob, knobs)) is not None
        }
        if len({json.dumps(value, sort_keys=True) for value in given.values()}) > 1:
            shown = "; ".join(f"{name} says {value}" for name, value in sorted(given.items()))
            problems.append(f"{knob} is one setting for the whole pack; give it once or the same everywhere ({shown})")
    return problems


def with_shared(
    settings: Mapping[str, Mapping[str, Any]], rules: Iterable[Rule | StackRule]
) -> dict[str, dict[str, Any]]:
    """Each policy's settings with every shared knob given anywhere applied to every policy that has it."""
    rules = list(rules)
    by_name = {rule.name: rule for rule in rules}
    resolved = {name: dict(knobs) for name, knobs in settings.items()}
    for knob in SHARED_KNOBS:
        given = [
            value
            for name, knobs in settings.items()
            if name in by_name
            and knob in by_name[name].config_schema
            and (value := _given(by_name[name], knob, knobs)) is not None
        ]
        if not given:
            continue
        for rule in rules:
            if knob in rule.config_schema:
                resolved.setdefault(rule.name, {})[knob] = given[0]
    return resolved


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
    settings = {
        name: {key: value for key, value in entry.items() if key != "enforcementLevel"}
        for name, entry in document.items()
        if isinstance(entry, Mapping)
    }
    return problems + shared_problems(settings, by_name.values())

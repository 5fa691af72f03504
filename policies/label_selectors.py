"""Kubernetes label selectors: what a NetworkPolicy's podSelector or namespaceSelector selects.

The semantics of `metav1.LabelSelector` (Kubernetes API, "Labels and Selectors"): every
`matchLabels` pair and every `matchExpressions` requirement must hold (AND); an empty selector
selects everything. `In` needs the key with one of the values, `NotIn` the key absent or with
another value, `Exists` the key, `DoesNotExist` no such key. A selector of only `NotIn` and
`DoesNotExist` requirements selects every pod without those labels: in practice every pod.

Answers are True, False, or None when a preview does not know the selector or the labels yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from eksplatform.policies.rule import is_unknown, mapping, sequence


def _holds(requirement: Any, labels: Mapping[str, Any]) -> bool | None:
    requirement = mapping(requirement)
    key, operator, values = requirement.get("key"), requirement.get("operator"), requirement.get("values")
    if any(is_unknown(part) for part in (key, operator, values)) or any(is_unknown(v) for v in sequence(values)):
        return None
    present = key in labels
    if present and is_unknown(labels[key]):
        return None
    allowed = {str(value) for value in sequence(values)}
    if operator == "In":
        return present and str(labels[key]) in allowed
    if operator == "NotIn":
        return not present or str(labels[key]) not in allowed
    if operator == "Exists":
        return present
    if operator == "DoesNotExist":
        return not present
    return None  # an operator the API refuses; nothing can be said


def matches(selector: Any, labels: Any) -> bool | None:
    """Does `selector` select an object with these labels?"""
    if is_unknown(selector) or is_unknown(labels):
        return None
    selector, labels = mapping(selector), mapping(labels)
    match_labels, expressions = selector.get("matchLabels"), selector.get("matchExpressions")
    if is_unknown(match_labels) or is_unknown(expressions):
        return None
    verdicts: list[bool | None] = []
    for key, value in mapping(match_labels).items():
        actual = labels.get(key)
        verdicts.append(None if is_unknown(value) or is_unknown(actual) else (key in labels and actual == value))
    verdicts += [_holds(requirement, labels) for requirement in sequence(expressions)]
    if False in verdicts:
        return False
    return None if None in verdicts else True


def selects_everything(selector: Any) -> bool | None:
    """The empty selector (`{}`, or empty matchLabels and matchExpressions): every object, now and later."""
    if is_unknown(selector):
        return None
    selector = mapping(selector)
    match_labels, expressions = selector.get("matchLabels"), selector.get("matchExpressions")
    if is_unknown(match_labels) or is_unknown(expressions):
        return None
    return not mapping(match_labels) and not sequence(expressions)


def selects_any_object(selector: Any) -> bool | None:
    """Does the selector select an object with no labels at all (so, in practice, every object)?"""
    return matches(selector, {})

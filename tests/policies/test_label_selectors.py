"""Label selectors as the Kubernetes API evaluates them (metav1.LabelSelector)."""

from __future__ import annotations

import pytest

from eksplatform.policies.label_selectors import matches, selects_any_object, selects_everything
from eksplatform.policies.rule import UNKNOWN

LABELS = {"app": "lang-c", "tier": "sandbox"}


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ({}, True),
        ({"matchLabels": {"app": "lang-c"}}, True),
        ({"matchLabels": {"app": "lang-java"}}, False),
        ({"matchExpressions": [{"key": "app", "operator": "In", "values": ["lang-c", "x"]}]}, True),
        ({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["lang-c"]}]}, False),
        ({"matchExpressions": [{"key": "gpu", "operator": "NotIn", "values": ["yes"]}]}, True),
        ({"matchExpressions": [{"key": "tier", "operator": "Exists"}]}, True),
        ({"matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}, False),
        ({"matchLabels": {"app": "lang-c"}, "matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}, False),
        ({"matchExpressions": [{"key": "app", "operator": "Sideways"}]}, None),
        (UNKNOWN, None),
        ({"matchLabels": {"app": UNKNOWN}}, None),
        ({"matchLabels": {"app": UNKNOWN, "tier": "other"}}, False),  # one known mismatch decides
    ],
)
def test_matches(selector: object, expected: bool | None) -> None:
    assert matches(selector, LABELS) is expected


def test_what_selects_everything_and_what_selects_any_pod() -> None:
    assert selects_everything({}) and selects_everything({"matchLabels": {}, "matchExpressions": []})
    every_unlabelled = {"matchExpressions": [{"key": "no-such-label", "operator": "DoesNotExist"}]}
    assert selects_everything(every_unlabelled) is False  # a later pod with the label escapes a deny
    assert selects_any_object(every_unlabelled) is True  # but as an allow it admits every pod
    assert selects_any_object({"matchLabels": {"app": "backend"}}) is False
    assert selects_everything(UNKNOWN) is None

"""What two stack policies derive from one request is computed once (policies/stack_snapshot.py),
and only for the pack's own snapshot of that request: the verdicts are the same either way."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest
from pulumi_policy import PolicyResource, PolicyResourceOptions
from pulumi_policy.policy import PolicyCustomTimeouts

import eksplatform.policies.rules.capacity as capacity_rules
import eksplatform.policies.rules.cost as cost_rules
from eksplatform.policies.pack import _views
from eksplatform.policies.rule import Resource
from eksplatform.policies.rules.capacity import CAPACITY_STACK_RULES
from eksplatform.policies.rules.cost import COST_STACK_RULES
from eksplatform.policies.stack_snapshot import StackSnapshot, per_snapshot
from tests.conftest import synthesized
from tests.policies.views import resources_of


def _counted(calls: list[int]) -> Callable[..., int]:
    def compute(resources: Sequence[Resource], factor: int = 1) -> int:
        calls.append(factor)
        return len(resources) * factor

    return compute


def test_one_snapshot_is_computed_once_for_the_same_arguments() -> None:
    calls: list[int] = []
    shared = per_snapshot(_counted(calls))
    snapshot = StackSnapshot(resources_of(synthesized("dev"))[:3])
    assert shared(snapshot) == shared(snapshot) == 3
    assert calls == [1]
    assert shared(snapshot, 2) == 6  # other arguments: computed
    assert shared(snapshot, 2) == 6 and calls == [1, 2]
    # Another request's snapshot is computed, even with the same resources in it.
    assert shared(StackSnapshot(snapshot), 2) == 6 and calls == [1, 2, 2]


def test_any_other_sequence_is_computed_every_time() -> None:
    calls: list[int] = []
    shared = per_snapshot(_counted(calls))
    resources = resources_of(synthesized("dev"))[:3]
    assert shared(resources) == 3
    resources.pop()  # a caller's own list may change between calls
    assert shared(resources) == 2 and calls == [1, 1]


def _counting(monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> list[int]:
    calls: list[int] = []
    original = getattr(module, name)

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


@pytest.mark.parametrize(
    ("rules", "module", "name", "config"),
    [
        (COST_STACK_RULES, cost_rules, "estimate", {"monthlyBudgetUsd": 1}),
        (CAPACITY_STACK_RULES, capacity_rules, "check", {}),
    ],
)
def test_the_pair_of_policies_computes_one_figure_per_request_with_the_same_verdicts(
    rules: Sequence[Any], module: Any, name: str, config: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    resources = resources_of(synthesized("prod"))
    calls = _counting(monkeypatch, module, name)
    alone = [rule.violations(resources, config) for rule in rules]
    assert len(calls) == len(rules) == 2  # a plain list: each policy computes its own
    shared = [rule.violations(StackSnapshot(resources), config) for rule in rules]  # two requests
    assert len(calls) == 4
    snapshot = StackSnapshot(resources)
    together = [rule.violations(snapshot, config) for rule in rules]  # one request
    assert len(calls) == 5
    assert alone == shared == together
    if module is cost_rules:
        assert together[0] and together[1]  # over a $1 budget: both policies speak


def _policy_resource(urn: str) -> PolicyResource:
    options = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)
    return PolicyResource("aws:sns/topic:Topic", {}, urn, urn, options, None, None, [], {})


def test_the_pack_hands_every_stack_policy_of_a_request_one_snapshot() -> None:
    request = [_policy_resource("urn:a"), _policy_resource("urn:b")]
    views = _views(request)
    assert isinstance(views, StackSnapshot) and [view.urn for view in views] == ["urn:a", "urn:b"]
    assert _views(request) is views  # the next policy of the same request
    following = [_policy_resource("urn:a")]
    assert [view.urn for view in _views(following)] == ["urn:a"] and _views(following) is not views

"""The synth benchmark's baselines register exactly what the platform registered.

A baseline that registers a different graph (lost parents, lost dependencies) measures something
else, so both replays are checked against the recorded graph resource by resource.
"""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.replay import parents_first, replay_program
from eksplatform.preflight.mocks import Registration
from eksplatform.preflight.synth import run_program
from tests.conftest import synthesized


def _shape(resource: Registration) -> tuple[Any, ...]:
    return (
        resource.type,
        resource.parent,
        resource.provider_urn,
        resource.inputs,
        sorted(resource.dependencies),
        {key: sorted(urns) for key, urns in resource.property_dependencies.items()},
        resource.protect,
        resource.retain_on_delete,
        sorted(resource.ignore_changes),
    )


@pytest.mark.parametrize("typed", [True, False], ids=["provider-classes", "plain-sdk"])
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_a_replay_registers_the_recorded_graph(stack: str, typed: bool) -> None:
    recorded = synthesized(stack)
    replayed = run_program(replay_program(recorded, typed=typed), project="platform", stack=stack)

    expected = {r.urn: _shape(r) for r in recorded.resources}
    got = {r.urn: _shape(r) for r in replayed.resources}
    assert set(got) == set(expected)
    differing = [urn for urn in expected if got[urn] != expected[urn]]
    assert differing == []
    # The wiring is really there: most resources hang under components and many depend on others.
    assert sum(1 for r in replayed.resources if r.property_dependencies and any(r.property_dependencies.values())) > 50


def test_parents_providers_and_dependencies_come_first() -> None:
    resources = synthesized("dev").resources
    ordered = parents_first(list(reversed(resources)))
    position = {r.urn: index for index, r in enumerate(ordered)}

    assert len(ordered) == len(resources)
    for resource in ordered:
        for before in (resource.parent, resource.provider_urn, *resource.dependencies):
            if before in position:
                assert position[before] < position[resource.urn], (before, resource.urn)

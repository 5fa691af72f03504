"""The default stacks register exactly what they registered before the package refactor (#23).

Same URNs, types, parents, providers, options and inputs mean a real stack updated with this
code would see no creates, deletes or replacements. tests/baseline/record.py says how and when
to record again.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from tests.baseline.record import STACKS, fingerprint, load
from tests.conftest import synthesized


def differences(recorded: Mapping[str, Mapping[str, object]], now: Mapping[str, Mapping[str, object]]) -> list[str]:
    found = [f"new: {urn}" for urn in now.keys() - recorded.keys()]
    found += [f"gone: {urn}" for urn in recorded.keys() - now.keys()]
    for urn in recorded.keys() & now.keys():
        changed = sorted(
            key for key in recorded[urn].keys() | now[urn].keys() if recorded[urn].get(key) != now[urn].get(key)
        )
        if changed:
            found.append(f"changed {', '.join(changed)}: {urn}")
    return sorted(found)


@pytest.mark.parametrize("stack", STACKS)
def test_default_stack_matches_its_recorded_baseline(stack: str) -> None:
    found = differences(load(stack), fingerprint(synthesized(stack)))
    assert not found, f"{len(found)} differences from tests/baseline/{stack}.json:\n" + "\n".join(found[:40])


def test_a_changed_input_a_new_and_a_gone_resource_are_each_reported() -> None:
    recorded = {"urn:a": {"inputs": "1", "provider": "p"}, "urn:b": {"inputs": "2", "provider": "p"}}
    now = {"urn:a": {"inputs": "9", "provider": "p"}, "urn:c": {"inputs": "3", "provider": "p"}}
    assert differences(recorded, now) == ["changed inputs: urn:a", "gone: urn:b", "new: urn:c"]

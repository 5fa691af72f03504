"""Physical names come from the stack: the default stacks keep theirs, a copy of one shares none.

`default_stack_names.json` was recorded from main before names moved from `environment` to the
stack (tests/stacks/physical_names.py): a changed name or URN there would be a replacement on a
real stack.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import synthesized
from tests.stacks.physical_names import physical_names

RECORDED = Path(__file__).with_name("default_stack_names.json")


def _recorded() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(RECORDED.read_text(encoding="utf-8"))
    return document


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_default_stacks_keep_their_urns(stack: str) -> None:
    assert sorted(r.urn for r in synthesized(stack).resources) == _recorded()[stack]["urns"]


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_default_stacks_keep_their_physical_names(stack: str) -> None:
    assert physical_names(synthesized(stack)) == _recorded()[stack]["physicalNames"]

"""docs/cost.md: every assumption and price row is on the page, and its estimates are today's."""

from __future__ import annotations

import pytest

from eksplatform.cost.prices import ASSUMPTIONS, rows
from eksplatform.cost.usage import USAGE_KEYS, usage_for_stack
from eksplatform.policies.rules.cost import stack_estimate
from eksplatform.preflight.synth import PROJECT_ROOT
from tests.conftest import synthesized
from tests.policies.views import resources_of

PAGE = (PROJECT_ROOT / "docs" / "cost.md").read_text()


def test_every_assumption_usage_key_and_price_row_is_documented() -> None:
    for name, assumption in ASSUMPTIONS.items():
        assert f"| `{name}` |" in PAGE and assumption.text in PAGE, name
    for key in USAGE_KEYS:
        assert f"`{key}`" in PAGE, key
    for item, _, _, source, read in rows():
        if not item.startswith("aurora-iopt."):  # derived in the region, described in prose
            assert f"| `{item}` |" in PAGE and f"| {source} | {read} |" in PAGE, item


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_pages_estimates_are_what_the_stacks_estimate_today(stack: str) -> None:
    found = stack_estimate(resources_of(synthesized(stack)), usage_for_stack(stack))
    high = found.monthly_high_usd
    assert high is not None
    row = f"| ${found.monthly_usd:,.2f} | ${found.monthly_low_usd:,.2f} – ${high:,.2f} |"
    assert row in PAGE, f"docs/cost.md: the {stack} row should read {row}"

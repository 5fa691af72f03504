"""The policy table of docs/policies.md is the catalog's (policies/docs.py); a stale copy fails here."""

from __future__ import annotations

import pytest

from eksplatform.policies.catalog import ALL_RULES
from eksplatform.policies.docs import PAGE, START, rendered, table


def test_the_policy_table_is_current() -> None:
    text = PAGE.read_text()
    assert text == rendered(text), "the policy table is stale: run `python -m eksplatform.policies.docs`"


def test_the_table_has_a_row_per_policy_with_its_control_and_levels() -> None:
    rows = table().splitlines()[2:]
    assert len(rows) == len(ALL_RULES)
    by_name = {row.split("`")[1]: row for row in rows}
    assert by_name["encryption-kms-key-rotation"] == (
        "| `encryption-kms-key-rotation` | Symmetric KMS keys rotate at least yearly. | AWS FSBP KMS.4 | medium "
        "| mandatory | mandatory | mandatory | yes "
        "| `maxRotationPeriodDays` |"
    )
    assert "| advisory | advisory | mandatory |" in by_name["cost-stack-monthly-budget"]
    assert START in PAGE.read_text()


def test_a_page_without_the_end_marker_is_refused_not_truncated() -> None:
    with pytest.raises(ValueError, match="needs both markers"):
        rendered(f"intro\n{START}\nold table, and the rest of the page\n")

"""The slow-statement metric filter against realistic RDS PostgreSQL log lines.

CloudWatch Logs evaluates a space-delimited pattern by splitting the event on spaces (text in
double quotes or square brackets is one field), then matching each named field in order; `...`
matches the rest ("Filter pattern syntax for metric filters", space-delimited log events). This
emulates those rules, reading runs of spaces as one separator: PostgreSQL writes two spaces after
`LOG:` and after the unit, which this assumes CloudWatch does not turn into empty fields (not
verified against the service; docs/observability.md).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable

import pytest

from eksplatform.components.observability import SLOW_QUERY_PATTERN

# RDS's default log_line_prefix `%t:%r:%u@%d:[%p]:`; %t is `YYYY-MM-DD HH:MM:SS UTC`.
SLOW = "2026-11-29 01:02:03 UTC:10.0.1.5(52341):app@platform:[4567]:LOG:  duration: 6012.345 ms  statement: SELECT 1"
FAST = "2026-11-29 01:02:04 UTC:10.0.1.5(52341):app@platform:[4567]:LOG:  duration: 1500.002 ms  statement: SELECT 2"
EXACT = "2026-11-29 01:02:05 UTC:10.0.1.5(52342):app@platform:[4568]:LOG:  duration: 5000.000 ms  execute s1: SELECT 3"
OTHER = (
    '2026-11-29 01:02:06 UTC:10.0.1.5(52343):app@platform:[4569]:FATAL:  password authentication failed for user "app"'
)
CONNECT = "2026-11-29 01:02:07 UTC:10.0.1.5(52344):[unknown]@[unknown]:[4570]:LOG:  connection received: host=10.0.1.5"


COMPARE: dict[str, Callable[[float, float], bool]] = {
    "=": operator.eq,
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
}


def fields(event: str) -> list[str]:
    return re.findall(r'"[^"]*"|\[[^\]]*\]\S*|\S+', event)


def matches(pattern: str, event: str) -> bool:
    specs = [spec.strip() for spec in pattern.strip()[1:-1].split(",")]
    values = fields(event)
    for index, spec in enumerate(specs):
        if spec == "...":
            return True
        if index >= len(values):
            return False
        value = values[index]
        found = re.fullmatch(r'(\w+)\s*(=|>=|<=|>|<)\s*(".*"|[\d.]+)', spec)
        if found is None:
            continue  # a bare name matches any field
        _, op, expected = found.groups()
        if expected.startswith('"'):
            if value != expected.strip('"'):
                return False
            continue
        try:
            number = float(value)
        except ValueError:
            return False
        if not COMPARE[op](number, float(expected)):
            return False
    return len(values) == len(specs)


@pytest.mark.parametrize(
    ("event", "slow"), [(SLOW, True), (EXACT, True), (FAST, False), (OTHER, False), (CONNECT, False)]
)
def test_the_slow_statement_filter_counts_only_statements_over_the_threshold(event: str, slow: bool) -> None:
    assert matches(SLOW_QUERY_PATTERN.format(ms=5000), event) is slow


def test_the_fields_are_where_the_pattern_expects_them() -> None:
    assert fields(SLOW)[:6] == [
        "2026-11-29",
        "01:02:03",
        "UTC:10.0.1.5(52341):app@platform:[4567]:LOG:",
        "duration:",
        "6012.345",
        "ms",
    ]

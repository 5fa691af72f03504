"""What an alert rule's PromQL compares, read from its parse tree (not from labels or annotations).

An alerting rule fires for every series its expression returns (Prometheus docs, "Alerting
rules"); a filtering comparison (`>`, `<`, ... without `bool`) is what drops the series under the
threshold. So the alert's threshold is the number on the right of the outermost comparison, after
set operators (`and`, `or`, `unless`) whose left side carries the condition; the metrics it
watches are the selectors on the comparison's left.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import promql_parser

SET_OPERATORS = ("and", "or", "unless")
COMPARISONS = (">", "<", ">=", "<=", "==", "!=")


@dataclass(frozen=True)
class Comparison:
    op: str
    threshold: float
    metrics: frozenset[str]
    """Metric names selected on the compared side."""


def _children(node: object) -> Iterator[object]:
    for attribute in ("lhs", "rhs", "expr", "param", "vector_selector"):
        child = getattr(node, attribute, None)
        if child is not None:
            yield child
    yield from getattr(node, "args", None) or ()


def metric_names(node: object) -> set[str]:
    """Every metric name a (sub)expression selects."""
    names: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, promql_parser.VectorSelector) and current.name:
            names.add(str(current.name))
        stack.extend(_children(current))
    return names


# A pure function of the text with an immutable answer: the stack's rules are parsed once per
# process, not once per policy, cluster and analysis.
@lru_cache(maxsize=1024)
def comparison(expression: str) -> Comparison | None:
    """The outermost filtering comparison of `expression` against a number; None when it does not
    parse, has none, compares with `bool` (which never filters: it always returns a series), or
    compares with something else than a number literal."""
    try:
        tree: object = promql_parser.parse(expression)
    except (ValueError, TypeError):
        return None
    while True:
        while isinstance(tree, promql_parser.ParenExpr):
            tree = tree.expr
        if isinstance(tree, promql_parser.BinaryExpr) and str(tree.op) in SET_OPERATORS:
            tree = tree.lhs
            continue
        break
    if not isinstance(tree, promql_parser.BinaryExpr) or str(tree.op) not in COMPARISONS:
        return None
    if tree.modifier is not None and tree.modifier.return_bool:
        return None
    rhs: object = tree.rhs
    while isinstance(rhs, promql_parser.ParenExpr):
        rhs = rhs.expr
    if not isinstance(rhs, promql_parser.NumberLiteral):
        return None
    return Comparison(str(tree.op), float(rhs.val), frozenset(metric_names(tree.lhs)))


def duration_seconds(text: object) -> float | None:
    """A rule's `for` in seconds (absent: 0, the rule fires at once); None when it is not a duration."""
    if text is None or re.fullmatch(r"0*(ms|s|m|h|d|w|y)?", str(text).strip()):
        return 0.0  # the parser refuses a zero duration; Prometheus reads it as "at once"
    try:
        return float(promql_parser.parse_duration(str(text)).total_seconds())
    except (ValueError, TypeError):
        return None

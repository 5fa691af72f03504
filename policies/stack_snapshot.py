"""One stack request's resources, and what several stack policies derive from them, computed once.

Two budget policies price the same resources with the same usage, and two capacity policies
check the same pods against the same node groups: each pair used to compute its figure twice per
`AnalyzeStack`. The pack hands every stack policy of a request one immutable `StackSnapshot`
(policies/pack.py); a function wrapped in `per_snapshot` answers the next policy with the result
it computed for the first one. Any other sequence (a test calling a rule with its own list) is
computed every time, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Concatenate, ParamSpec, TypeVar

from eksplatform.policies.rule import Resource

P = ParamSpec("P")
R = TypeVar("R")


class StackSnapshot(tuple[Resource, ...]):
    """The resources of one AnalyzeStack request as every stack policy of it receives them."""

    __slots__ = ()


Derived = Callable[Concatenate[Sequence[Resource], P], R]


def per_snapshot(compute: Derived[P, R]) -> Derived[P, R]:
    """`compute`, remembering its last result for one snapshot and equal further arguments.

    Only the last snapshot is kept (a request's policies run one after another), and the entry is
    replaced as a whole, so a reader never sees one request's resources with another's result.
    Callers only read the result: it is the same object for every policy of the request."""
    last: list[tuple[Any, Any, Any]] = [(None, None, None)]

    def shared(resources: Sequence[Resource], /, *args: P.args, **kwargs: P.kwargs) -> R:
        if not isinstance(resources, StackSnapshot):
            return compute(resources, *args, **kwargs)
        key = (args, kwargs)
        snapshot, found_key, found = last[0]
        if snapshot is resources and found_key == key:
            result: R = found
            return result
        result = compute(resources, *args, **kwargs)
        last[0] = (resources, key, result)
        return result

    return shared

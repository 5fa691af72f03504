"""Readers of registered resource inputs, shared by the policy rules, the cost estimate and the
capacity check. A leaf module: it imports nothing of the package, so every layer may use it.

Inputs arrive as the engine sends them: camelCase keys, objects sometimes as JSON text, a list
sometimes as the policy SDK's proxy, and, in a preview, `UNKNOWN` where a value is not known yet.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any


class _Unknown:
    """A value a preview does not know yet (stack policies only); never equal to a real value."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<unknown during preview>"

    def __bool__(self) -> bool:
        return False


UNKNOWN = _Unknown()


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN


def mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def sequence(value: Any) -> list[Any]:
    """A list from a list or the SDK's list proxy; anything else is empty."""
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return list(value)
    return []


def at(document: Any, *path: str) -> Any:
    """`document[path[0]][path[1]]...`, or None where a step is missing."""
    node = document
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


def decoded(value: Any) -> Any:
    """Provider inputs holding objects arrive as JSON text; other values as they are."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def truthy(value: Any) -> bool:
    """True, or the provider's string form of it (launch template fields are strings)."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")

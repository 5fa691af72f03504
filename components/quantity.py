"""Kubernetes resource quantities ("500m", "0.5", "256Mi", "1Gi") as plain numbers.

Config validation compares requests with limits, and the policy pack compares limits with
caps, so both need the same reading of a quantity string. Only the suffixes Kubernetes
accepts for cpu and memory are understood; anything else is a ValueError that names the text.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_BINARY_SUFFIXES = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL_SUFFIXES = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal(10**3),
    "M": Decimal(10**6),
    "G": Decimal(10**9),
    "T": Decimal(10**12),
    "P": Decimal(10**15),
    "E": Decimal(10**18),
}
_QUANTITY = re.compile(r"^(?P<number>[0-9]+(\.[0-9]+)?|\.[0-9]+)(?P<suffix>[a-zA-Z]*)$")


def parse_quantity(text: str | int | float) -> Decimal:
    """The quantity's value in base units (cores for cpu, bytes for memory)."""
    if isinstance(text, bool):
        raise ValueError(f"{text!r} is not a Kubernetes quantity")
    if isinstance(text, (int, float)):
        return Decimal(str(text))
    match = _QUANTITY.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not a Kubernetes quantity (for example 500m, 0.5, 256Mi)")
    try:
        number = Decimal(match["number"])
    except InvalidOperation as error:  # pragma: no cover - the regex admits only decimals
        raise ValueError(f"{text!r} is not a Kubernetes quantity") from error
    suffix = match["suffix"]
    if suffix in _BINARY_SUFFIXES:
        return number * _BINARY_SUFFIXES[suffix]
    if suffix in _DECIMAL_SUFFIXES:
        return number * _DECIMAL_SUFFIXES[suffix]
    raise ValueError(f"{text!r} has an unknown suffix {suffix!r} (use m, Ki, Mi, Gi, k, M, G)")

"""What a price list cannot know about a stack: its usage file, `usage/<stack>.yaml`.

Every figure the estimate assumes (traffic, log volume, I/O, the spot discount, a key's age) has a
documented default in `cost.prices.ASSUMPTIONS`. A stack's usage file overrides a default for the
whole stack (`defaults:`) or for one resource, by its Pulumi resource name (`resources:`):

    defaults:
      natGbPerGateway: 400
    resources:
      us-east-1-postgres:          # the Aurora cluster's resource name
        auroraIoMillions: 300

Keys are the assumptions' names in camelCase. The file is checked strictly: an unknown key, a
value that is not a number, or a number out of range is a `UsageError` naming the key, so a typo
never silently falls back to a default. Preflight and the pack's budget policy read the same file.
"""

from __future__ import annotations

import difflib
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from eksplatform.cost.prices import ASSUMPTIONS, USAGE_ASSUMPTIONS

USAGE_ENV = "EKSPLATFORM_USAGE_DIR"
"""Where the pack finds a project's usage files: preflight sets it to `<project>/usage` when it
starts the pack, since an installed pack has no project beside it."""
USAGE_DIR = Path(os.environ.get(USAGE_ENV) or Path(__file__).resolve().parents[2] / "usage")
"""`usage/` of this checkout (absent in an installed wheel: the documented defaults apply), unless
EKSPLATFORM_USAGE_DIR names another folder."""

# Assumptions that are not usage: fixed by the calendar or the pricing method.
_NOT_USAGE = frozenset(
    {
        "hours-per-month",
        "node-group-first-type",
        "backup-storage",
        "replicated-writes-io-optimized",
        "io-optimized-factors",
    }
)
# Bounds beyond "not negative", per key.
_FRACTIONS = frozenset({"spot-price-factor", "aurora-write-share"})
_WHOLE_NUMBERS = frozenset({"kms-key-age-days"})


def camel(name: str) -> str:
    """`nat-gb-per-gateway` -> `natGbPerGateway`: an assumption's key in a usage file."""
    head, *rest = name.split("-")
    return head + "".join(part.capitalize() for part in rest)


USAGE_KEYS: dict[str, str] = {camel(name): name for name in USAGE_ASSUMPTIONS if name not in _NOT_USAGE}
"""Usage-file key -> assumption name."""


class UsageError(ValueError):
    """A usage file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Usage:
    """Stack-wide values and per-resource overrides, by assumption name."""

    defaults: Mapping[str, float] = field(default_factory=dict)
    resources: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    source: str = "the documented defaults"

    def value(self, resource: str, name: str) -> tuple[float, bool]:
        """(value, overridden?) of assumption `name` for the resource named `resource`."""
        own = self.resources.get(resource, {})
        if name in own:
            return own[name], True
        if name in self.defaults:
            return self.defaults[name], True
        return ASSUMPTIONS[name].value, False


DEFAULT_USAGE = Usage()


def _number(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UsageError(f"{key}: {value!r} is not a number")
    if not math.isfinite(value):  # YAML's .nan and .inf are floats
        raise UsageError(f"{key}: {value} is not a finite number")
    name = USAGE_KEYS[key.rsplit(".", 1)[-1]]
    if value < 0:
        raise UsageError(f"{key}: {value} is negative")
    if name in _FRACTIONS and not 0 < value <= 1:
        raise UsageError(f"{key}: {value} is not a fraction in (0, 1]")
    if name in _WHOLE_NUMBERS and value != int(value):
        raise UsageError(f"{key}: {value} is not a whole number of days")
    return float(value)


def _values(document: Any, where: str) -> dict[str, float]:
    if document is None:
        return {}
    if not isinstance(document, Mapping):
        raise UsageError(f"{where}: a mapping of usage keys to numbers, not {type(document).__name__}")
    values: dict[str, float] = {}
    for key, value in document.items():
        if key not in USAGE_KEYS:
            close = difflib.get_close_matches(str(key), USAGE_KEYS, n=1)
            hint = f"; did you mean {close[0]}?" if close else f"; keys: {', '.join(sorted(USAGE_KEYS))}"
            raise UsageError(f"{where}.{key}: not a usage key{hint}")
        values[USAGE_KEYS[key]] = _number(value, f"{where}.{key}")
    return values


_RESOURCE_NAME = re.compile(r"^[A-Za-z0-9_.:-]+$")


def parse_usage(document: Any, source: str = "usage") -> Usage:
    """A usage file's content, checked; `UsageError` names the first bad key."""
    if document is None:
        return Usage(source=source)
    if not isinstance(document, Mapping):
        raise UsageError(f"{source}: a mapping with `defaults` and `resources`, not {type(document).__name__}")
    unknown = set(document) - {"defaults", "resources"}
    if unknown:
        raise UsageError(f"{source}: {', '.join(sorted(map(str, unknown)))}: only `defaults` and `resources` are read")
    resources = document.get("resources") or {}
    if not isinstance(resources, Mapping):
        raise UsageError(f"{source}: resources: a mapping of resource names to usage keys")
    per_resource: dict[str, dict[str, float]] = {}
    for name, values in resources.items():
        if not isinstance(name, str) or not _RESOURCE_NAME.match(name):
            raise UsageError(f"{source}: resources.{name}: not a Pulumi resource name")
        per_resource[name] = _values(values, f"resources.{name}")
    return Usage(_values(document.get("defaults"), "defaults"), per_resource, source)


def load_usage(path: Path) -> Usage:
    """The usage file at `path` (the documented defaults when there is none), shown relative to
    the project that holds its `usage/` folder."""
    project = path.parent.parent.resolve()
    resolved = path.resolve()
    shown = str(resolved.relative_to(project)) if resolved.is_relative_to(project) else str(path)
    if not path.is_file():
        return Usage(source=f"the documented defaults (no {shown})")
    try:
        document = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise UsageError(f"{shown}: not YAML ({error})") from None
    try:
        return parse_usage(document, shown)
    except UsageError as error:
        raise UsageError(f"{shown}: {error}") from None


def usage_path(stack: str, directory: Path | None = None) -> Path:
    return (directory or USAGE_DIR) / f"{stack}.yaml"


def usage_for_stack(stack: str, directory: Path | None = None) -> Usage:
    """`usage/<stack>.yaml` beside the stack files (`directory`, default USAGE_DIR), or the defaults."""
    if not stack or not _RESOURCE_NAME.match(stack):
        return Usage(source="the documented defaults (no stack name to find usage/<stack>.yaml by)")
    return load_usage(usage_path(stack, directory))

"""A deployed stack's outputs (`pulumi stack output --json`), read with errors that name what is missing."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eksplatform.ops.exits import InputError


class OutputsError(InputError):
    """Outputs that lack what a runbook needs; the message names the key."""


@dataclass(frozen=True)
class StackOutputs:
    values: Mapping[str, Any]

    @classmethod
    def load(cls, path: Path) -> StackOutputs:
        try:
            document = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            raise OutputsError(
                f"{path}: cannot read stack outputs ({error}); use `pulumi stack output --json`"
            ) from None
        if not isinstance(document, dict):
            raise OutputsError(f"{path}: stack outputs are a JSON object (`pulumi stack output --json`)")
        return cls(document)

    def require(self, *path: str) -> Any:
        """The value at `path`, e.g. require("databases", "us-east-1", "arn")."""
        node: Any = self.values
        for depth, key in enumerate(path):
            if not isinstance(node, Mapping) or key not in node:
                where = ".".join(path[: depth + 1])
                raise OutputsError(f"the stack outputs lack {where!r}; is this a platform stack's output?")
            node = node[key]
        return node

    def optional(self, *path: str) -> Any:
        """The value at `path`, or None where the stack does not export it (older stacks)."""
        try:
            return self.require(*path)
        except OutputsError:
            return None

    @property
    def regions(self) -> list[str]:
        regions = self.require("regions")
        if not isinstance(regions, list) or not all(isinstance(region, str) for region in regions):
            raise OutputsError("the stack outputs' 'regions' is not a list of region names")
        return regions

    def region(self, name: str) -> str:
        if name not in self.regions:
            raise OutputsError(f"region {name!r} is not one of this stack's regions: {', '.join(self.regions)}")
        return name

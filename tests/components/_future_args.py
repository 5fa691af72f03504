"""An Args module with string annotations, for tests/components/test_inputs.py."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi


@dataclass(frozen=True)
class FutureArgs:
    zone_id: pulumi.Input[str]
    sizes: list[int]

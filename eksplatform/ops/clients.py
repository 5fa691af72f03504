"""How the runbooks reach AWS: a client per service and region (tests pass their own)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3

ClientFactory = Callable[[str, str], Any]


def default_client(service: str, region: str) -> Any:
    return boto3.client(service, region_name=region)

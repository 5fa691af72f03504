"""A region whose AWS API is unreachable (config `platform:unreachableRegions`): no lookups there.

A stack is one program across its regions, and Pulumi runs the whole program even for a targeted
update (`--exclude`; pulumi/pulumi#3251: targeted updates run the program as normal). Every data
source the program reads goes to the region's provider: the zones (components/vpc.py), the node
AMI release (components/cluster.py), the account, region and partition (components/aws_context.py),
the caller (components/cluster.py). With the region down, any of them fails the run. So while a
region is listed as unreachable, its components take those values from config or fixed values
(below), and its provider skips the calls it makes when configured. The region's resources are all
excluded from the update (`python -m eksplatform.preflight.dead_region`), so these values never reach AWS.

The Region sets `offline(...)` around its construction; the components ask `current()`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from eksplatform.components.aws_context import short_region

# The lookups stand-ins: the commercial partition (every region this project knows is in it).
PARTITION = "aws"
# terraform-provider-aws provider arguments for a dead region: skip the region-name check, and send
# STS (credential validation, the account ID) to a healthy region through `sts_region`. The checks
# themselves stay on: with `skip_requesting_account_id` the account ID is empty and
# `allowed_account_ids` refuses it (aws-sdk-go-base VerifyAccountIDAllowed), and `pulumi up
# --exclude` still configures providers (pulumi/pulumi step_generator.go, providers are always
# targeted), so skipping the account lookup would fail the very run that must go through.
SKIP_PROVIDER_CALLS = {
    "skip_region_validation": True,
}


@dataclass(frozen=True)
class OfflineRegion:
    """What a lookup would have answered in `region`, from config."""

    region: str
    account: str
    """The stack's first `allowedAccountIds` entry (or the deployer's account)."""
    zone_ids: Sequence[str] | None = None
    """The VPC's pinned `availabilityZoneIds`, when set."""
    sts_region: str = "us-east-1"
    """A reachable region that answers the provider's STS calls (the first healthy region of the stack)."""

    def zones(self, count: int) -> list[tuple[str, str]]:
        """`(zone ID, zone name)` per AZ: the pinned IDs, else `<short>-az<n>`; names `<region>a, b, ...`.

        Stand-ins: the real name of a zone ID differs per account, and nothing here is sent to AWS.
        """
        ids = list(self.zone_ids) if self.zone_ids else [f"{short_region(self.region)}-az{n + 1}" for n in range(count)]
        return [(zone_id, f"{self.region}{chr(ord('a') + index)}") for index, zone_id in enumerate(ids[:count])]

    def release_version(self, kubernetes_version: str) -> str:
        """A node AMI release of the right shape (the SSM parameter cannot be read)."""
        return f"{kubernetes_version}.0-unreachable"


_current: ContextVar[OfflineRegion | None] = ContextVar("offline_region", default=None)


@contextmanager
def offline(region: OfflineRegion | None) -> Iterator[None]:
    """Within the block, components look nothing up (when `region` is not None)."""
    token = _current.set(region)
    try:
        yield
    finally:
        _current.reset(token)


def current() -> OfflineRegion | None:
    return _current.get()

"""Availability zones by zone ID: which ones EKS accepts, and how a VPC picks its zones stably.

Facts, each with its source:

- Zone names (`us-east-1a`) are mapped to physical zones per account; zone IDs (`use1-az1`) are
  the same physical zone in every account (AWS RAM user guide, "Availability Zone IDs for your AWS
  resources"). So a stack pins zones by ID, and subnets are created with `availability_zone_id`.
- EKS refuses cluster subnets in some zones with UnsupportedAvailabilityZoneException ("At least
  one of your specified cluster subnets is in an Availability Zone that does not support Amazon
  EKS", EKS API reference): us-east-1 `use1-az3`, us-west-1 `usw1-az2`, ca-central-1 `cac1-az3`
  (EKS user guide, "View Amazon EKS networking requirements for VPC and subnets").
- `DescribeAvailabilityZones` lists zones in every state; filtering on `state = available` (what
  the Vpc did before) drops an `impaired` zone, which shifts every later zone by one and replaces
  their subnets. Zones are therefore chosen from all of the region's enabled zones, sorted by ID.

Config validation and the Vpc component share it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import pulumi

EKS_UNSUPPORTED_ZONE_IDS: Mapping[str, tuple[str, ...]] = {
    "us-east-1": ("use1-az3",),
    "us-west-1": ("usw1-az2",),
    "ca-central-1": ("cac1-az3",),
}
"""Zone IDs whose subnets EKS refuses, per region."""

_DIRECTIONS = {
    "east": "e",
    "west": "w",
    "north": "n",
    "south": "s",
    "central": "c",
    "northeast": "ne",
    "northwest": "nw",
    "southeast": "se",
    "southwest": "sw",
}
_REGION = re.compile(r"^(?P<country>[a-z]{2})-(?P<direction>[a-z]+)-(?P<number>\d+)$")
ZONE_ID = re.compile(r"^[a-z]{3,6}\d+-az\d+$")


class ZoneError(pulumi.RunError, ValueError):
    """A zone choice that cannot work; the message names the zone and why.

    A `RunError`, so `pulumi up` prints the message without a traceback.
    """


def zone_id_prefix(region: str) -> str:
    """`us-east-1` -> `use1`, `ap-southeast-1` -> `apse1`: how AWS spells a region in zone IDs."""
    match = _REGION.fullmatch(region)
    if match is None or match["direction"] not in _DIRECTIONS:
        raise ZoneError(f"{region!r} is not a region name AWS spells zone IDs for")
    return f"{match['country']}{_DIRECTIONS[match['direction']]}{match['number']}"


def unsupported_zone_ids(region: str) -> tuple[str, ...]:
    return EKS_UNSUPPORTED_ZONE_IDS.get(region, ())


def _zone_number(zone_id: str) -> tuple[str, int]:
    prefix, _, number = zone_id.rpartition("-az")
    return prefix, int(number) if number.isdigit() else 0


def zone_id_problem(region: str, zone_id: str) -> str | None:
    """Why `zone_id` cannot hold this region's EKS subnets, or None."""
    if not ZONE_ID.fullmatch(zone_id):
        return f"{zone_id!r} is not a zone ID (e.g. {zone_id_prefix(region)}-az1); pin zones by ID, not by name"
    if not zone_id.startswith(zone_id_prefix(region) + "-"):
        return f"{zone_id!r} is not a zone of {region} (its zone IDs start with {zone_id_prefix(region)}-)"
    if zone_id in unsupported_zone_ids(region):
        return f"EKS does not accept subnets in {zone_id} (UnsupportedAvailabilityZoneException); pick another zone"
    return None


def check_pinned_zones(pinned: Sequence[str], count: int) -> None:
    """Pinned zone IDs: exactly `count` of them, none twice (the Vpc args and the stack config both ask)."""
    if len(pinned) != count:
        raise ZoneError(f"lists {len(pinned)} zones but az_count is {count}")
    if len(set(pinned)) != len(pinned):
        raise ZoneError(f"{list(pinned)} names a zone twice")


def check_one_region(pinned: Sequence[str]) -> None:
    """Pinned zone IDs of one region, before the region is known (the Vpc args; the stack layer checks
    each ID against its region, zone_id_problem). One region's zone IDs share its prefix (`use1-`)."""
    for zone_id in pinned:
        if not ZONE_ID.fullmatch(zone_id):
            raise ZoneError(f"{zone_id!r} is not a zone ID (e.g. use1-az1); pin zones by ID, not by name")
    prefixes = sorted({_zone_number(zone_id)[0] for zone_id in pinned})
    if len(prefixes) > 1:
        raise ZoneError(f"{list(pinned)} mixes the zones of several regions ({', '.join(prefixes)}); a VPC has one")


def choose_zones(
    region: str,
    names: Sequence[str],
    zone_ids: Sequence[str],
    count: int,
    pinned: Sequence[str] | None = None,
) -> list[tuple[str, str]]:
    """`(zone ID, zone name)` for each zone the VPC uses, in AZ order.

    `names` and `zone_ids` are DescribeAvailabilityZones' parallel lists for this account. Pinned
    IDs are used as given (each must exist here); otherwise the first `count` IDs in sorted order,
    skipping the ones EKS refuses, so neither an impaired zone nor a renamed one moves the list.
    """
    by_id = dict(zip(zone_ids, names, strict=True))
    if pinned is not None:
        missing = [zone_id for zone_id in pinned if zone_id not in by_id]
        if missing:
            raise ZoneError(f"zone IDs {missing} are not enabled in {region} for this account; it has {sorted(by_id)}")
        for zone_id in pinned:
            problem = zone_id_problem(region, zone_id)
            if problem:
                raise ZoneError(problem)
        return [(zone_id, by_id[zone_id]) for zone_id in pinned]
    refused = set(unsupported_zone_ids(region))
    usable = sorted((zone_id for zone_id in by_id if zone_id not in refused), key=_zone_number)
    if len(usable) < count:
        raise ZoneError(
            f"az_count is {count} but {region} offers {len(usable)} zones EKS accepts ({usable}); lower azCount"
        )
    return [(zone_id, by_id[zone_id]) for zone_id in usable[:count]]

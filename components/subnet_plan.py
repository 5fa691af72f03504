"""Where each subnet of a VPC goes: one per tier per AZ, inside the VPC CIDR, never overlapping.

Pure functions on plain values, so the layout is decided (and validated) before any resource
exists, and a hypothesis test can check it over thousands of shapes.

Allocation: tiers in the order private, public, database; each tier gets one contiguous block
with a slot per AZ the region could ever have (`slots`), and the subnet of AZ number i sits in
slot i. Adding an AZ therefore fills an empty slot and moves no existing subnet, so no subnet is
replaced. Subnet CIDRs may also be given explicitly per tier; they are validated the same way.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import pulumi

Tier = Literal["public", "private", "database"]
TIERS: tuple[Tier, ...] = ("private", "public", "database")  # allocation order: largest first

# Default prefix length of each tier, relative to the VPC's: a /16 VPC gets /19 private subnets
# (room for EKS pod IPs) and /24 public and database subnets.
DEFAULT_PREFIX_OFFSET: Mapping[Tier, int] = {"private": 3, "public": 8, "database": 8}
SMALLEST_SUBNET_PREFIX = 28  # AWS's smallest subnet


class SubnetPlanError(pulumi.RunError, ValueError):
    """A subnet layout that cannot work; the message names the tier and the AZ.

    `field` is the layout setting at fault, as `<tier>.prefix_length` or `<tier>.cidrs[<i>]` (None:
    the VPC's size as a whole), so the Vpc args can name it. A `RunError`, so `pulumi up` prints the
    message without a traceback.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class TierLayout:
    """How one tier is laid out: a prefix length to allocate with, or explicit CIDRs in AZ order."""

    prefix_length: int | None = None
    cidrs: tuple[ipaddress.IPv4Network, ...] | None = None


@dataclass(frozen=True)
class PlannedSubnet:
    tier: Tier
    az_index: int  # position of the AZ, 0-based; the subnet's name uses az_index + 1
    cidr: ipaddress.IPv4Network


def plan_subnets(
    vpc_cidr: ipaddress.IPv4Network,
    az_count: int,
    layouts: Mapping[Tier, TierLayout] | None = None,
    slots: int | None = None,
) -> list[PlannedSubnet]:
    """One subnet per tier per AZ, validated: inside the VPC, pairwise disjoint, enough room."""
    if az_count < 1:
        raise SubnetPlanError(f"azCount must be at least 1, got {az_count}")
    slots = max(slots or az_count, az_count)
    layouts = layouts or {}
    planned: list[PlannedSubnet] = []
    next_free = int(vpc_cidr.network_address)
    for tier in TIERS:
        layout = layouts.get(tier, TierLayout())
        if layout.cidrs is not None:
            planned += _explicit(tier, layout.cidrs, vpc_cidr, az_count)
            continue
        prefix = layout.prefix_length or min(vpc_cidr.prefixlen + DEFAULT_PREFIX_OFFSET[tier], SMALLEST_SUBNET_PREFIX)
        # A given prefix length is the setting at fault; a default one, the VPC's size.
        field = f"{tier}.prefix_length" if layout.prefix_length is not None else None
        if not vpc_cidr.prefixlen <= prefix <= SMALLEST_SUBNET_PREFIX:
            raise SubnetPlanError(
                f"{tier} subnets: prefix length /{prefix} must be between the VPC's /{vpc_cidr.prefixlen} "
                f"and /{SMALLEST_SUBNET_PREFIX}",
                field,
            )
        size = 2 ** (32 - prefix)
        next_free = -(-next_free // size) * size  # align the tier's block to its subnet size
        for index in range(az_count):
            start = next_free + index * size
            cidr = ipaddress.IPv4Network((start, prefix))
            if not cidr.subnet_of(vpc_cidr):
                raise SubnetPlanError(
                    f"{tier} subnet of AZ {index + 1} ({cidr}) falls outside the VPC {vpc_cidr}: "
                    f"{slots} slots of /{prefix} per tier do not fit; use a longer prefix length or a larger VPC",
                    field,
                )
            planned.append(PlannedSubnet(tier=tier, az_index=index, cidr=cidr))
        next_free += slots * size
    _check_disjoint(planned, {tier for tier, layout in layouts.items() if layout.cidrs is not None})
    return planned


def _explicit(
    tier: Tier,
    cidrs: Sequence[ipaddress.IPv4Network],
    vpc_cidr: ipaddress.IPv4Network,
    az_count: int,
) -> list[PlannedSubnet]:
    if len(cidrs) < az_count:
        raise SubnetPlanError(f"{tier} subnets: {len(cidrs)} CIDRs given for {az_count} AZs", f"{tier}.cidrs")
    planned = []
    for index, cidr in enumerate(cidrs[:az_count]):
        if not cidr.subnet_of(vpc_cidr):
            raise SubnetPlanError(
                f"{tier} subnet of AZ {index + 1} ({cidr}) is not inside the VPC {vpc_cidr}", f"{tier}.cidrs[{index}]"
            )
        if cidr.prefixlen > SMALLEST_SUBNET_PREFIX:
            raise SubnetPlanError(
                f"{tier} subnet of AZ {index + 1} ({cidr}) is smaller than AWS's /28 minimum", f"{tier}.cidrs[{index}]"
            )
        planned.append(PlannedSubnet(tier=tier, az_index=index, cidr=cidr))
    return planned


def _check_disjoint(planned: Sequence[PlannedSubnet], explicit: set[Tier]) -> None:
    for position, subnet in enumerate(planned):
        for other in planned[:position]:
            if subnet.cidr.overlaps(other.cidr):
                # Only given CIDRs can overlap: name one of them.
                given = subnet if subnet.tier in explicit else other
                raise SubnetPlanError(
                    f"{subnet.tier} subnet of AZ {subnet.az_index + 1} ({subnet.cidr}) overlaps "
                    f"the {other.tier} subnet of AZ {other.az_index + 1} ({other.cidr})",
                    f"{given.tier}.cidrs[{given.az_index}]",
                )

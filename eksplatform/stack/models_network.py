"""The stack file's network settings: one region's VPC and its subnet tiers."""

from __future__ import annotations

import ipaddress
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from eksplatform.components.subnet_plan import TIERS, Tier, TierLayout
from eksplatform.components.zones import ZoneError, check_pinned_zones
from eksplatform.stack.errors import KeyedValueError
from eksplatform.stack.models_base import Cidr, StackModel, log_retention

# --- network -------------------------------------------------------------------------------


class SubnetTierConfig(StackModel):
    """Layout of one subnet tier: a prefix length to allocate with, or explicit CIDRs in AZ order."""

    prefix_length: int | None = Field(default=None, ge=16, le=28, description="default: /19 private, /24 others")
    cidrs: list[Cidr] | None = Field(default=None, description="one per AZ, in AZ order")


class SubnetsConfig(StackModel):
    """Per-tier subnet layout; see components/subnet_plan.py for how CIDRs are allocated."""

    public: SubnetTierConfig = Field(default_factory=SubnetTierConfig)
    private: SubnetTierConfig = Field(default_factory=SubnetTierConfig)
    database: SubnetTierConfig = Field(default_factory=SubnetTierConfig)


class VpcConfig(StackModel):
    """One region's VPC."""

    cidr: Cidr = Field(description="VPC CIDR, /16 to /24, e.g. 10.10.0.0/16")
    az_count: int = Field(default=3, ge=2, le=6, description="AZs to spread subnets over (EKS needs 2)")
    availability_zone_ids: list[str] | None = Field(
        default=None,
        description="Pinned zone IDs (e.g. use1-az1), in AZ order; default: the first azCount zone IDs EKS "
        "accepts. By ID because zone names map to different zones in each account",
    )
    nat_strategy: Literal["none", "single", "one-per-az"] = Field(
        default="one-per-az",
        description="single (dev) | one-per-az (prod); none is refused: the sandbox nodes download gVisor at boot",
    )
    flow_log_retention_days: int = Field(default=30, description="CloudWatch retention of flow logs")
    interface_endpoints: bool = Field(
        default=False, description="ECR, STS, Logs and Secrets Manager interface endpoints"
    )
    subnets: SubnetsConfig = Field(default_factory=SubnetsConfig)

    @field_validator("cidr", mode="before")
    @classmethod
    def _network_address(cls, cidr: Any) -> Any:
        if isinstance(cidr, str) and "/" in cidr:
            try:
                network = ipaddress.IPv4Network(cidr, strict=False)
            except ValueError:
                return cidr  # not a network at all: pydantic says so
            if network.network_address != ipaddress.IPv4Address(cidr.split("/")[0].strip()):
                raise ValueError(f"{cidr} has host bits set; the network is {network}")
        return cidr

    @field_validator("cidr")
    @classmethod
    def _cidr_size(cls, cidr: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
        if not 16 <= cidr.prefixlen <= 24:
            raise ValueError(f"{cidr} has prefix /{cidr.prefixlen}; a VPC needs /16 to /24")
        if not cidr.is_private:
            raise ValueError(f"{cidr} is not a private (RFC 1918) range")
        return cidr

    @field_validator("flow_log_retention_days")
    @classmethod
    def _retention(cls, days: int) -> int:
        return log_retention(days)

    @model_validator(mode="after")
    def _zones_match_count(self) -> VpcConfig:
        # The Vpc's own rule (components/zones.py), reported at this key.
        if self.availability_zone_ids is not None:
            try:
                check_pinned_zones(self.availability_zone_ids, self.az_count)
            except ZoneError as error:
                raise KeyedValueError("availabilityZoneIds", str(error).replace("az_count", "azCount")) from None
        return self


def subnet_layouts(subnets: SubnetsConfig) -> dict[Tier, TierLayout]:
    """The config's per-tier layout in the form `plan_subnets` takes."""
    layouts: dict[Tier, TierLayout] = {}
    for tier in TIERS:
        tier_config: SubnetTierConfig = getattr(subnets, tier)
        cidrs = tuple(tier_config.cidrs) if tier_config.cidrs is not None else None
        layouts[tier] = TierLayout(prefix_length=tier_config.prefix_length, cidrs=cidrs)
    return layouts

"""What a set of CIDR blocks means: how much of the internet it admits.

A rule that looks for the literal `0.0.0.0/0` is walked around by `0.0.0.0/1` + `128.0.0.0/1`,
or by one `0.0.0.0/1`. Here the blocks a rule admits are merged and the public addresses among
them counted; more than a /16 of public space (65,536 addresses; an organisation's egress ranges
are far smaller) counts as open to the internet. Private ranges (RFC 1918, RFC 6598 shared space,
IPv6 ULA fc00::/7, link-local) do not count.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from eksplatform.policies.rule import sequence

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

PRIVATE: tuple[IPNetwork, ...] = (
    ipaddress.ip_network("10.0.0.0/8"),
    ipaddress.ip_network("172.16.0.0/12"),
    ipaddress.ip_network("192.168.0.0/16"),
    ipaddress.ip_network("100.64.0.0/10"),
    ipaddress.ip_network("127.0.0.0/8"),
    ipaddress.ip_network("169.254.0.0/16"),
    ipaddress.ip_network("fc00::/7"),
    ipaddress.ip_network("fe80::/10"),
    ipaddress.ip_network("::1/128"),
)
# More public addresses than this is "the internet": a /16 for IPv4, a /48 site for IPv6.
MAX_PUBLIC = {4: 2**16, 6: 2**80}


def networks(values: Iterable[Any]) -> list[IPNetwork]:
    """The valid CIDR blocks among `values` (strings); anything else is left out."""
    found: list[IPNetwork] = []
    for value in values:
        if isinstance(value, str):
            try:
                found.append(ipaddress.ip_network(value.strip(), strict=False))
            except ValueError:
                continue
    return found


def _public_addresses(network: IPNetwork) -> int:
    private = 0
    for block in PRIVATE:
        if block.version != network.version:
            continue
        if network.subnet_of(block):  # type: ignore[arg-type]
            return 0
        if block.subnet_of(network):  # type: ignore[arg-type]
            private += block.num_addresses
    return network.num_addresses - private


def _without(found: list[IPNetwork], excluded: list[IPNetwork]) -> list[IPNetwork]:
    """`found` with the `excluded` blocks cut out (a NetworkPolicy ipBlock's `except`)."""
    remaining = list(found)
    for cut in excluded:
        kept: list[IPNetwork] = []
        for block in remaining:
            if block.version != cut.version or not block.overlaps(cut):
                kept.append(block)
            elif not block.subnet_of(cut):  # type: ignore[arg-type]
                kept += block.address_exclude(cut)  # type: ignore[arg-type]
        remaining = kept
    return remaining


def open_to_internet(values: Iterable[Any], excluded: Iterable[Any] = ()) -> bool:
    """Do these CIDR blocks together, less the `excluded` ones, admit more public space than
    MAX_PUBLIC?"""
    found = _without(networks(values), networks(excluded))
    v4 = ipaddress.collapse_addresses([n for n in found if isinstance(n, ipaddress.IPv4Network)])
    v6 = ipaddress.collapse_addresses([n for n in found if isinstance(n, ipaddress.IPv6Network)])
    return (
        sum(_public_addresses(n) for n in v4) > MAX_PUBLIC[4] or sum(_public_addresses(n) for n in v6) > MAX_PUBLIC[6]
    )


def cidr_values(*values: Any) -> list[str]:
    """CIDR strings from inputs that are a string or a list of strings."""
    found: list[str] = []
    for value in values:
        found += [value] if isinstance(value, str) else [item for item in sequence(value) if isinstance(item, str)]
    return found

"""`python -m eksplatform.preflight.dead_region <export.json> <region>`: update a stack while one region is down.

A multi-region stack is one Pulumi program: with a region's AWS API (or its cluster) unreachable,
a whole-stack `pulumi up` fails at that region's first refresh or call, which is exactly when a
failover needs a deploy. Pulumi's targeted updates leave resources out (`--exclude`, with
`--exclude-dependents` for what depends on them). This lists what to leave out, from the stack's
own export (`pulumi stack export`): the dead region's AWS provider and every resource it makes,
every Kubernetes provider whose cluster is there and every object in that cluster, and,
transitively, everything that depends on any of them (the deployer's routes to that region, the
other regions' peering routes to it, DNS records naming its entry). It prints the `pulumi up`
arguments; docs/deploying.md, "A region is down", is the procedure around it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

from eksplatform.preflight.export import State, StateError, StateResource, load_state

AWS_PROVIDER = "pulumi:providers:aws"
KUBERNETES_PROVIDER = "pulumi:providers:kubernetes"


def _waits_for(resource: StateResource) -> set[str]:
    """The URNs a resource cannot be updated without: its provider, dependencies and inputs' sources."""
    found = {*resource.dependencies, *(urn for urns in resource.property_dependencies.values() for urn in urns)}
    if resource.provider_urn:
        found.add(resource.provider_urn)
    return found


def excluded(state: State, region: str) -> list[str]:
    """The URNs to exclude while `region` is unreachable, in the export's order."""
    regions = {
        r.urn: r.inputs.get("region") for r in state.resources if r.type == AWS_PROVIDER and r.inputs.get("region")
    }
    if region not in regions.values():
        known = ", ".join(sorted({str(name) for name in regions.values()}))
        raise StateError(f"no AWS provider of region {region!r} in the stack (its regions: {known})")
    out = {urn for urn, name in regions.items() if name == region}
    changed = True
    while changed:  # to the fixed point: a provider whose cluster is out takes its objects with it
        changed = False
        for resource in state.resources:
            if resource.urn not in out and resource.custom and _waits_for(resource) & out:
                out.add(resource.urn)
                changed = True
    return [r.urn for r in state.resources if r.urn in out]


def arguments(urns: Iterable[str]) -> list[str]:
    """`pulumi up` arguments: no refresh (Pulumi.yaml refreshes always, and a dead region cannot
    be read), every URN excluded, and their dependents too in case the program gained some."""
    return ["--refresh=false", *(f"--exclude={urn}" for urn in urns), "--exclude-dependents"]


def config_commands(stack: str, region: str) -> list[str]:
    """The config switch that makes the program look nothing up in `region` (components/offline.py),
    set before the update and removed after it."""
    key = "platform:unreachableRegions"
    return [
        f"pulumi config set --path -s {stack} '{key}[0]' {region}",
        f"pulumi config rm -s {stack} {key}    # after the update, once the region is back",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m eksplatform.preflight.dead_region", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument("state", type=Path, help="`pulumi stack export` of the stack")
    parser.add_argument("region", help="the unreachable region, e.g. eu-west-1")
    parser.add_argument("--stack", default="prod", help="the stack's name for the printed commands (default prod)")
    args = parser.parse_args(argv)
    try:
        urns = excluded(load_state(args.state), args.region)
    except StateError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    set_switch, remove_switch = config_commands(args.stack, args.region)
    print(f"# 1. no lookups in {args.region} (its zones, AMI release and account come from config):")
    print(set_switch)
    print(f"# 2. update everything else ({len(urns)} resource(s) left out while {args.region} is down):")
    print(" \\\n  ".join(["pulumi up", f"-s {args.stack}", *(f"'{argument}'" for argument in arguments(urns))]))
    print("# 3.")
    print(remove_switch)
    return 0


if __name__ == "__main__":
    sys.exit(main())

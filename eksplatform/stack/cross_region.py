"""Rules across a stack's regions, on plain values: the stack file's models (config.py) and
PlatformArgs (platform.py) call the same functions. A broken rule raises `DataRuleError(field,
message)` (components/data_rules.py) with `field` the Python path within PlatformArgs
(`regions[1].postgres.engine_version`, `regions[0].queue.node_type`); each caller spells it its
own way (`args.regions[1].postgres.engine_version`, the stack file's `regions[1].postgres.engineVersion`),
and `spell` turns the other fields a message mentions into the caller's spelling."""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eksplatform.components.data_rules import DataRuleError, Spell, check_global_database_class, same
from eksplatform.components.facts import MAX_GLOBAL_DATASTORE_REGIONS
from eksplatform.stack.errors import ConfigIssue

# What every member of a Global Datastore shares (ElastiCache user guide, Global Datastore
# "Prerequisites and limitations": same node type, engine version, number of shards), by field.
GLOBAL_QUEUE_SHAPE = ("engine", "engine_version", "node_type", "cluster_mode", "shards")


@dataclass(frozen=True, kw_only=True)
class DatabaseMember:
    """One region's PostgreSQL as the global database rules read it (resolved values)."""

    engine: str
    major_version: int
    engine_version: str | None
    instance_class: str


def same_queue_shape(shapes: Sequence[Mapping[str, object]], primary: int, spell: Spell = same) -> None:
    """Every region's queue has the primary's shape (`shapes`: GLOBAL_QUEUE_SHAPE's resolved values);
    a secondary would otherwise silently take the primary's."""
    first = shapes[primary]
    for index, shape in enumerate(shapes):
        for field in GLOBAL_QUEUE_SHAPE:
            if shape[field] != first[field]:
                raise DataRuleError(
                    f"regions[{index}].queue.{field}",
                    f"every member of the queue's Global Datastore has the primary's {spell(field)} ({first[field]!r})",
                )


def one_global_database(members: Sequence[DatabaseMember], primary: int, spell: Spell = same) -> None:
    """Several regions share one Aurora Global Database: Aurora everywhere, one pinned version, and
    memory-optimized classes."""
    if len(members) < 2:
        return
    first = members[primary]
    for index, member in enumerate(members):
        field = f"regions[{index}].postgres."
        if str(member.engine) != "aurora":
            raise DataRuleError(
                field + "engine",
                f"a multi-region stack runs one Aurora Global Database; use {spell('engine')}: aurora in every region",
            )
        if member.major_version != first.major_version:
            raise DataRuleError(
                field + "major_version",
                f"every member of the global database runs the primary's version {first.major_version}",
            )
        # The global cluster stores the full version AWS reports; a bare major version would
        # show a change (an upgrade call) on every preview after the first.
        if member.engine_version is None:
            raise DataRuleError(
                field + "engine_version", "a global database pins a full engine version (e.g. '17.5') in every region"
            )
        if member.engine_version != first.engine_version:
            raise DataRuleError(
                field + "engine_version",
                f"every member of the global database runs the primary's {first.engine_version!r}",
            )
        try:
            check_global_database_class(member.instance_class)
        except DataRuleError as violation:
            raise DataRuleError(field + violation.field, violation.message) from None


def global_queue_everywhere(
    wanted: Sequence[bool],
    *,
    field: Callable[[int], str],
    choice: str,
    shapes: Sequence[Mapping[str, object]],
    primary: int,
    spell: Spell = same,
) -> None:
    """The queue is in one Global Datastore in every region of a multi-region stack, or in none.

    `wanted[i]`: whether region i's queue is global, set at `field(i)`; `choice` is how the caller
    writes that setting in a message (`globalDatastore: true in every region`)."""
    # One Global Datastore spans every region, so each region's queue is in it or none is; and
    # a multi-region stack needs it: a regional queue loses a lost region's jobs back to its
    # last daily snapshot, far beyond the RPO.
    if len(wanted) > MAX_GLOBAL_DATASTORE_REGIONS:
        # A Global Datastore replicates to at most two other regions; beyond that each region
        # keeps a regional queue, whose recovery point is its last snapshot.
        if any(wanted):
            raise DataRuleError(
                field(list(wanted).index(True)),
                f"a Global Datastore spans at most {MAX_GLOBAL_DATASTORE_REGIONS} regions, not "
                f"{len(wanted)}; keep regional queues (RPO: the last snapshot) or split the stack",
            )
        return
    if len(wanted) > 1 and not all(wanted):
        raise DataRuleError(
            field(list(wanted).index(False)),
            f"a multi-region stack keeps its queue in a Global Datastore (the RPO); set {choice}",
        )
    if any(wanted) and len(wanted) < 2:
        raise DataRuleError(field(0), "a Global Datastore needs two or more regions")
    if len(wanted) > 1:
        same_queue_shape(shapes, primary, spell)


def vpc_overlaps(cidrs: Sequence[object], spell: Spell = same) -> list[DataRuleError]:
    """Every region's VPC CIDR that overlaps an earlier region's, at `regions[i].vpc.cidr`: the
    regions' VPCs are peered with each other, and peered VPCs may not overlap (VPC peering guide,
    "VPC peering limitations"). A value that is not an IPv4 network is skipped: the field's own
    check reports it."""
    networks: list[tuple[int, ipaddress.IPv4Network]] = []
    for index, cidr in enumerate(cidrs):
        with contextlib.suppress(ValueError, TypeError):
            networks.append((index, ipaddress.IPv4Network(str(cidr))))
    violations: list[DataRuleError] = []
    for position, (index, network) in enumerate(networks):
        for other_index, other in networks[:position]:
            if network.overlaps(other):
                violations.append(
                    DataRuleError(
                        f"regions[{index}].vpc.cidr",
                        f"{network} overlaps {spell(f'regions[{other_index}].vpc.cidr')} {other}",
                    )
                )
    return violations


class CrossRegionError(ValueError):
    """Raised by StackConfig's own check; `parse_stack_config` reports these issues itself."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        super().__init__("; ".join(str(issue) for issue in issues))
        self.issues = issues


def cross_region_issues(data: Any) -> list[ConfigIssue]:
    """Checks across regions, on raw data so they run even when other keys are invalid.

    A region appears once; exactly one is primary; VPC CIDRs do not overlap. Entries that are
    not yet well-formed are skipped here: field validation reports them.
    """
    regions = data.get("regions") if isinstance(data, Mapping) else None
    if not isinstance(regions, list):
        return []
    issues: list[ConfigIssue] = []
    first_seen: dict[str, int] = {}
    primaries: list[int] = []
    cidrs: list[object] = []
    for index, region in enumerate(regions):
        vpc = region.get("vpc") if isinstance(region, Mapping) else None
        cidrs.append(vpc.get("cidr") if isinstance(vpc, Mapping) else None)
        if not isinstance(region, Mapping):
            continue
        name = region.get("name")
        if isinstance(name, str):
            if name in first_seen:
                issues.append(
                    ConfigIssue(
                        path=f"regions[{index}].name",
                        message=f"{name} appears again (first at regions[{first_seen[name]}].name); "
                        "a region appears once",
                    )
                )
            else:
                first_seen[name] = index
        if region.get("primary") is True:
            primaries.append(index)
    if regions and not primaries:
        issues.append(ConfigIssue(path="regions", message="no region sets primary: true; exactly one must"))
    for index in primaries[1:]:
        issues.append(
            ConfigIssue(
                path=f"regions[{index}].primary",
                message=f"regions[{primaries[0]}] is already primary; exactly one region may be",
            )
        )
    issues += [ConfigIssue(path=violation.field, message=violation.message) for violation in vpc_overlaps(cidrs)]
    return issues

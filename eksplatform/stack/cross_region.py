"""Rules across a stack's regions."""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from eksplatform.components.facts import MAX_GLOBAL_DATASTORE_REGIONS
from eksplatform.stack.errors import ConfigIssue, KeyedValueError

if TYPE_CHECKING:  # config.py imports this module to run these rules
    from eksplatform.stack.config import RegionConfig

# What every member of a Global Datastore shares (ElastiCache user guide, Global Datastore
# "Prerequisites and limitations": same node type, engine version, number of shards).
GLOBAL_QUEUE_SHAPE = {
    "engine": "engine",
    "resolved_engine_version": "engineVersion",
    "node_type": "nodeType",
    "cluster_mode": "clusterMode",
    "shards": "shards",
}


def same_queue_shape(regions: Sequence[RegionConfig]) -> None:
    primary = next((region for region in regions if region.primary), regions[0]).redis.queue
    for index, region in enumerate(regions):
        for attribute, key in GLOBAL_QUEUE_SHAPE.items():
            if getattr(region.redis.queue, attribute) != getattr(primary, attribute):
                raise KeyedValueError(
                    f"regions[{index}].redis.queue.{key}",
                    f"every member of the queue's Global Datastore has the primary's {key} "
                    f"({getattr(primary, attribute)!r})",
                )


def one_global_database(regions: Sequence[RegionConfig]) -> None:
    """Several regions share one Aurora Global Database: Aurora everywhere, one pinned version."""
    if len(regions) < 2:
        return
    # cross_region_issues reports a missing primary; compare with the first region then.
    primary = next((region for region in regions if region.primary), regions[0]).postgres
    for index, region in enumerate(regions):
        if region.postgres.engine != "aurora":
            raise KeyedValueError(
                f"regions[{index}].postgres.engine",
                "a multi-region stack runs one Aurora Global Database; use engine: aurora in every region",
            )
        if region.postgres.major_version != primary.major_version:
            raise KeyedValueError(
                f"regions[{index}].postgres.majorVersion",
                f"every member of the global database runs the primary's version {primary.major_version}",
            )
        # The global cluster stores the full version AWS reports; a bare major version would
        # show a change (an upgrade call) on every preview after the first.
        if region.postgres.engine_version is None:
            raise KeyedValueError(
                f"regions[{index}].postgres.engineVersion",
                "a global database pins a full engine version (e.g. '17.5') in every region",
            )
        if region.postgres.engine_version != primary.engine_version:
            raise KeyedValueError(
                f"regions[{index}].postgres.engineVersion",
                f"every member of the global database runs the primary's {primary.engine_version!r}",
            )
    return


def global_queue_everywhere(regions: Sequence[RegionConfig]) -> None:
    """The queue is in one Global Datastore in every region of a multi-region stack, or in none."""
    # One Global Datastore spans every region, so each region's queue is in it or none is; and
    # a multi-region stack needs it: a regional queue loses a lost region's jobs back to its
    # last daily snapshot, far beyond the RPO.
    wanted = [region.redis.queue.global_datastore for region in regions]
    if len(regions) > MAX_GLOBAL_DATASTORE_REGIONS:
        # A Global Datastore replicates to at most two other regions; beyond that each region
        # keeps a regional queue, whose recovery point is its last snapshot.
        if any(wanted):
            index = wanted.index(True)
            raise KeyedValueError(
                f"regions[{index}].redis.queue.globalDatastore",
                f"a Global Datastore spans at most {MAX_GLOBAL_DATASTORE_REGIONS} regions, not "
                f"{len(regions)}; keep regional queues (RPO: the last snapshot) or split the stack",
            )
        return
    if len(regions) > 1 and not all(wanted):
        index = wanted.index(False)
        raise KeyedValueError(
            f"regions[{index}].redis.queue.globalDatastore",
            "a multi-region stack keeps its queue in a Global Datastore (the RPO); set globalDatastore: true "
            "in every region",
        )
    if any(wanted) and len(regions) < 2:
        raise KeyedValueError("regions[0].redis.queue.globalDatastore", "a Global Datastore needs two or more regions")
    if len(regions) > 1:
        same_queue_shape(regions)
    return


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
    networks: list[tuple[int, ipaddress.IPv4Network]] = []
    for index, region in enumerate(regions):
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
        vpc = region.get("vpc")
        if isinstance(vpc, Mapping):
            with contextlib.suppress(ValueError):
                networks.append((index, ipaddress.IPv4Network(str(vpc.get("cidr")))))
    if regions and not primaries:
        issues.append(ConfigIssue(path="regions", message="no region sets primary: true; exactly one must"))
    for index in primaries[1:]:
        issues.append(
            ConfigIssue(
                path=f"regions[{index}].primary",
                message=f"regions[{primaries[0]}] is already primary; exactly one region may be",
            )
        )
    for position, (index, network) in enumerate(networks):
        for other_index, other in networks[:position]:
            if network.overlaps(other):
                issues.append(
                    ConfigIssue(
                        path=f"regions[{index}].vpc.cidr",
                        message=f"{network} overlaps regions[{other_index}].vpc.cidr {other}",
                    )
                )
    return issues

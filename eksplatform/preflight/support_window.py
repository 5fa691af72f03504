"""EKS standard support, measured against today's date: warn before EKS upgrades a cluster itself.

Config validation (eksplatform/stack, calendar in components/facts.py) measures support against the
fixed day the calendar was read, so it answers the same every day. This check uses the date of
the run: under the
`STANDARD` upgrade policy EKS upgrades a control plane on its own when the version's standard
support ends, leaving node groups and add-ons behind (EKS user guide, "Understand the Kubernetes
version lifecycle on EKS"; docs/upgrades.md). So:

- within `WARN_DAYS` of that date, a warning names the region, the version and the date;
- on or after it, an error, unless the region sets `supportType: EXTENDED`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from eksplatform.components.facts import END_OF_STANDARD_SUPPORT

# A quarter: time for the upgrade procedure (docs/upgrades.md) in every stack, one region at a time.
WARN_DAYS = 90


@dataclass(frozen=True)
class SupportFinding:
    level: Literal["warning", "error"]
    key: str
    """The stack setting, e.g. `regions[0].cluster.kubernetesVersion`."""
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


def today() -> date:
    """The date of the run (a function, so tests can set it)."""
    return date.today()


def check(stack_values: Mapping[str, Any], on: date) -> list[SupportFinding]:
    """Findings for every region of a stack file's `config:` mapping (`read_stack_file`), on `on`."""
    regions = stack_values.get("platform:regions")
    if not isinstance(regions, list):
        return []
    findings: list[SupportFinding] = []
    for index, region in enumerate(regions):
        cluster = region.get("cluster") if isinstance(region, Mapping) else None
        if not isinstance(cluster, Mapping):
            continue
        version = str(cluster.get("kubernetesVersion", ""))
        end_text = END_OF_STANDARD_SUPPORT.get(version)
        if end_text is None:
            continue
        end = date.fromisoformat(end_text)
        key = f"regions[{index}].cluster.kubernetesVersion"
        name = region.get("name", f"region {index}")
        extended = cluster.get("supportType", "STANDARD") == "EXTENDED"
        if on >= end and not extended:
            findings.append(
                SupportFinding(
                    "error",
                    key,
                    f"{name}: standard support for {version} ended on {end_text}; under supportType STANDARD "
                    "EKS upgrades the control plane on its own and leaves the nodes and add-ons behind. Upgrade "
                    "(docs/upgrades.md) or set supportType: EXTENDED",
                )
            )
        elif on >= end - timedelta(days=WARN_DAYS) and on < end:
            findings.append(
                SupportFinding(
                    "warning",
                    key,
                    f"{name}: standard support for {version} ends on {end_text} ({(end - on).days} days)"
                    + (
                        "; supportType EXTENDED keeps it at the extended-support price"
                        if extended
                        else "; EKS then upgrades the control plane itself: upgrade first (docs/upgrades.md)"
                    ),
                )
            )
    return findings

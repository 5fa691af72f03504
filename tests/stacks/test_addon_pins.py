"""The add-on builds the stack files pin are the ones docs/cluster-constraints.md records, with their sources."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from eksplatform.components.facts import EKS_ADDONS

ROOT = Path(__file__).resolve().parents[2]
HEADER = "| add-on | Kubernetes | version | source | listed for 1.35 |"


def documented() -> dict[tuple[str, str], tuple[str, str]]:
    """(add-on, Kubernetes version) -> (version, listed) from the docs table."""
    lines = (ROOT / "docs" / "cluster-constraints.md").read_text(encoding="utf-8").splitlines()
    start = lines.index(HEADER) + 2
    rows: dict[tuple[str, str], tuple[str, str]] = {}
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        addon, kubernetes, version, source, listed = (cell.strip() for cell in line.strip("|").split("|"))
        assert source, f"{addon}: every pin names where it was read"
        rows[(addon, kubernetes)] = (version, listed)
    return rows


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_pinned_addon_is_the_documented_build(stack: str) -> None:
    config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text(encoding="utf-8"))["config"]
    table = documented()
    for region in config["platform:regions"]:
        cluster = region["cluster"]
        version = str(cluster["kubernetesVersion"])
        assert set(cluster["addonVersions"]) == set(EKS_ADDONS)
        for addon, pinned in cluster["addonVersions"].items():
            assert (addon, version) in table, f"{stack} {region['name']}: {addon} for {version} is not documented"
            assert pinned == table[(addon, version)][0], f"{stack} {region['name']}: {addon}"


def test_the_versions_aws_lists_for_135_are_the_ones_pinned() -> None:
    # EKS user guide version tables, row 1.35 (read 2026-11): CoreDNS v1.14.x, kube-proxy v1.35.3.
    table = documented()
    assert table[("coredns", "1.35")] == ("v1.14.2-eksbuild.4", "yes")
    assert table[("kube-proxy", "1.35")] == ("v1.35.3-eksbuild.13", "yes")

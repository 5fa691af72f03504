"""`preflight.dead_region`: what a `pulumi up` leaves out while one region is unreachable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eksplatform.preflight.dead_region import _waits_for, arguments, excluded, main
from eksplatform.preflight.export import State, StateError, export_document, read_state
from tests.conftest import synthesized

WEST = "eu-west-1"


def _prod() -> State:
    return read_state(export_document(synthesized("prod")), "synth")


def _provider_region(state: State, urn: str) -> str | None:
    provider = state.get(urn)
    return provider.inputs.get("region") if provider is not None else None


def test_the_dead_regions_resources_and_their_dependents_are_left_out() -> None:
    state = _prod()
    out = set(excluded(state, WEST))
    for resource in state.resources:
        if not resource.custom:
            continue
        if _provider_region(state, resource.provider_urn) == WEST or resource.name == f"aws-{WEST}":
            assert resource.urn in out, resource.urn
    kubernetes = {r.urn for r in state.resources if r.provider_urn.endswith(f"::{WEST}-cluster-kubernetes")}
    assert kubernetes and kubernetes <= out
    names = {urn.rsplit("::", 1)[-1] for urn in out}
    # The deployer's route to the dead VPC and the healthy regions' routes to it go too ...
    assert f"{WEST}-deployer-peering-peer-rtb-0c3d4e5f607182930-route" in names
    assert f"platform-{WEST}-us-east-1-peering-peer-private-az1-route" in names
    # ... but nothing that only the healthy regions need.
    for kept in (
        "us-east-1-cluster-eks",
        "us-east-1-cluster-kubernetes",
        "ap-southeast-1-cluster-api-from-deployer",
        "us-east-1-deployer-peering-connection",
        "platform-ap-southeast-1-us-east-1-peering-connection",
        "aws-deployer",
    ):
        assert kept not in names, kept


def test_what_is_left_in_waits_for_nothing_left_out() -> None:
    state = _prod()
    out = set(excluded(state, WEST))
    for resource in state.resources:
        if resource.custom and resource.urn not in out:
            assert not (_waits_for(resource) & out), resource.urn


def test_the_deployers_region_down_takes_every_cluster_with_it() -> None:
    state = _prod()
    names = {urn.rsplit("::", 1)[-1] for urn in excluded(state, "us-east-1")}
    # The deployer (us-east-1) reaches no cluster: every Kubernetes provider waits for its routes.
    assert {f"{region}-cluster-kubernetes" for region in ("us-east-1", WEST, "ap-southeast-1")} <= names
    assert f"{WEST}-cluster-eks" not in names  # the AWS side of the other regions still updates


def test_an_unknown_region_is_refused_naming_the_stacks_regions() -> None:
    with pytest.raises(StateError, match=r"no AWS provider of region 'eu-north-1'.*eu-west-1"):
        excluded(_prod(), "eu-north-1")


def test_the_command_turns_refresh_off_and_excludes_dependents() -> None:
    assert arguments(["urn:a", "urn:b"]) == [
        "--refresh=false",
        "--exclude=urn:a",
        "--exclude=urn:b",
        "--exclude-dependents",
    ]


def test_the_cli_prints_the_pulumi_up_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = tmp_path / "prod.json"
    export.write_text(json.dumps(export_document(synthesized("prod"))))
    assert main([str(export), WEST]) == 0
    printed = capsys.readouterr()
    lines = printed.out.splitlines()
    # The config switch first (no lookups in the dead region), then the update, then the switch off.
    switch = f"pulumi config set --path -s prod 'platform:unreachableRegions[0]' {WEST}"
    assert lines[1] == switch
    update = printed.out.split("pulumi up", 1)[1].split("# 3.", 1)[0]
    assert update.startswith(" \\\n  -s prod \\\n  '--refresh=false'")
    assert f"::{WEST}-cluster-eks'" in update and update.rstrip().endswith("'--exclude-dependents'")
    assert printed.out.index(switch) < printed.out.index("pulumi up")
    assert lines[-1].startswith("pulumi config rm -s prod platform:unreachableRegions")
    assert f"left out while {WEST} is down" in printed.out
    assert main([str(export), "mars-1"]) == 2
    assert "error: no AWS provider of region 'mars-1'" in capsys.readouterr().err

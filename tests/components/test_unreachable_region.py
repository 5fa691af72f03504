"""A region whose AWS API is down (config `platform:unreachableRegions`): the program still runs.

Pulumi runs the whole program for a targeted update, so every lookup against the dead region's
provider would fail it. Under mocks that refuse every such invoke (but the provider-local policy
documents), the other regions still register, and the dead region's provider skips its checks.
"""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.runtime.mocks import MockCallArgs

from eksplatform.preflight.mocks import PlatformMocks
from eksplatform.stack.errors import ConfigError
from eksplatform.stack.loading import parse_stack_config
from eksplatform.stack.platform_args import platform_from_stack
from tests.components.test_platform import prod_with
from tests.conftest import Harness

DEAD = "eu-west-1"
# Computed by the provider itself, no AWS call (terraform-provider-aws iam/policy_document_data_source.go).
LOCAL_INVOKES = {"aws:iam/getPolicyDocument:getPolicyDocument"}


@pytest.fixture
def dead_region(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    refused: list[str] = []
    answer = PlatformMocks.call

    def call(self: PlatformMocks, args: MockCallArgs) -> dict[str, Any]:
        if self.region_of(args.provider) == DEAD and args.token not in LOCAL_INVOKES:
            refused.append(args.token)
            raise ConnectionError(f"{DEAD} is unreachable: {args.token}")
        return answer(self, args)

    monkeypatch.setattr(PlatformMocks, "call", call)
    return refused


def test_without_the_switch_a_dead_region_fails_the_run(harness: Harness, dead_region: list[str]) -> None:
    # A healthy primary and the dead secondary are all a failing run needs: prod without its third
    # region (still a valid prod, its Global Datastore and global database over two regions) fails
    # as prod does, in two thirds of the CPU.
    data = prod_with()
    data["regions"] = [region for region in data["regions"] if region["name"] in ("us-east-1", DEAD)]
    assert len(data["regions"]) == 2
    with pytest.raises(Exception, match="unreachable"):
        harness.run(lambda: platform_from_stack("platform", parse_stack_config(data)), stack="prod")
    assert dead_region, "the program looks things up in every region"


def test_an_unreachable_region_looks_nothing_up_and_the_others_register(
    harness: Harness, dead_region: list[str]
) -> None:
    data = prod_with()
    data["unreachableRegions"] = [DEAD]
    graph = harness.run(lambda: platform_from_stack("platform", parse_stack_config(data)), stack="prod")
    assert dead_region == []
    for region in ("us-east-1", "ap-southeast-1", DEAD):
        graph.one("aws:eks/cluster:Cluster", f"{region}-cluster-eks")
        assert len([g for g in graph.by_type("aws:eks/nodeGroup:NodeGroup") if g.name.startswith(region)]) == 2
    providers = {p.name: p for p in graph.by_type("pulumi:providers:aws")}
    dead = providers[f"aws-{DEAD}"].inputs
    assert dead.get("skipRegionValidation") in (True, "true")
    # STS goes to a healthy region, and the account checks stay on: with skipRequestingAccountId
    # the account ID is empty and allowedAccountIds would refuse it (aws-sdk-go-base
    # VerifyAccountIDAllowed), and `pulumi up --exclude` still configures every provider.
    assert dead.get("stsRegion") == "us-east-1"
    assert dead.get("allowedAccountIds")
    for flag in ("skipCredentialsValidation", "skipRequestingAccountId"):
        assert all(p.inputs.get(flag) not in (True, "true") for p in providers.values()), flag
    for name in ("aws-us-east-1", "aws-ap-southeast-1"):
        assert "stsRegion" not in providers[name].inputs, name
    # The dead region's zones are the documented stand-ins (IDs `euw1-az<n>`, names `eu-west-1a..`);
    # the healthy regions' come from the (mocked) lookup.
    zones = {v.name: v.outputs["availabilityZoneIds"] for v in graph.by_type("platform:index:Vpc")}
    assert zones[f"{DEAD}-network"] == ["euw1-az1", "euw1-az2", "euw1-az3"]
    dead_vpc = graph.one("platform:index:Vpc", f"{DEAD}-network")
    assert dead_vpc.outputs["availabilityZones"] == [f"{DEAD}a", f"{DEAD}b", f"{DEAD}c"]


def test_an_unknown_unreachable_region_is_refused_naming_the_key() -> None:
    data = prod_with()
    data["unreachableRegions"] = ["us-west-2"]
    with pytest.raises(ConfigError) as raised:
        parse_stack_config(data)
    assert any(issue.path == "unreachableRegions[0]" for issue in raised.value.issues), raised.value

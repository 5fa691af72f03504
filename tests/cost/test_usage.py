"""The usage file: strict validation naming the key, defaults, and overrides per resource."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from eksplatform.cost.estimate import Item, estimate
from eksplatform.cost.prices import ASSUMPTIONS
from eksplatform.cost.usage import USAGE_DIR, USAGE_KEYS, UsageError, load_usage, parse_usage, usage_for_stack


def _nat(name: str = "nat-a") -> Item:
    return Item(
        f"urn:pulumi:s::p::aws:ec2/natGateway:NatGateway::{name}", "aws:ec2/natGateway:NatGateway", {}, "us-east-1"
    )


def _nat_data_usd(found: Any) -> list[float]:
    return [line.monthly_usd for line in found.lines if line.what.startswith("NAT data")]


def test_the_defaults_are_the_documented_assumptions() -> None:
    found = estimate([_nat()])
    assert _nat_data_usd(found) == [round(ASSUMPTIONS["nat-gb-per-gateway"].value * 0.045, 2)] == [4.5]
    assert "nat-gb-per-gateway" in found.assumptions and found.overrides == set()


def test_a_stack_default_and_a_resource_override_change_the_figures_they_should() -> None:
    usage = parse_usage({"defaults": {"natGbPerGateway": 400}, "resources": {"nat-b": {"natGbPerGateway": 1000}}})
    found = estimate([_nat("nat-a"), _nat("nat-b")], usage)
    # nat-a: the stack's 400 GB; nat-b: its own 1,000 GB; both at $0.045 per GB.
    assert _nat_data_usd(found) == [18.0, 45.0]
    assert found.overrides == {("nat-a", "natGbPerGateway"), ("nat-b", "natGbPerGateway")}
    assert "nat-gb-per-gateway" not in found.assumptions  # no line used the default


def test_the_spot_factor_is_a_usage_value_too() -> None:
    group = Item(
        "urn:pulumi:s::p::aws:eks/nodeGroup:NodeGroup::sandbox",
        "aws:eks/nodeGroup:NodeGroup",
        {"instanceTypes": ["m7i.large"], "capacityType": "SPOT", "scalingConfig": {"desiredSize": 1}, "diskSize": 20},
        "us-east-1",
    )
    at_half = estimate([group], parse_usage({"resources": {"sandbox": {"spotPriceFactor": 0.5}}}))
    assert at_half.lines[0].monthly_usd == round(730 * 0.1008 * 0.5, 2)


def test_override_names_that_match_no_resource_are_reported() -> None:
    found = estimate([_nat("nat-a")], parse_usage({"resources": {"nat-typo": {"natGbPerGateway": 1}}}))
    assert found.unmatched_overrides == ["nat-typo"]


def test_a_per_resource_key_no_cost_of_that_resource_reads_is_reported() -> None:
    # natGbPerGateway on a node group: nothing of the group reads it (it used to be ignored silently).
    group = Item(
        "urn:pulumi:s::p::aws:eks/nodeGroup:NodeGroup::sandbox",
        "aws:eks/nodeGroup:NodeGroup",
        {"instanceTypes": ["m7i.large"], "scalingConfig": {"desiredSize": 1}, "diskSize": 20},
        "us-east-1",
    )
    usage = parse_usage(
        {"resources": {"sandbox": {"natGbPerGateway": 400, "crossAzGb": 10}, "nat-a": {"natGbPerGateway": 1}}}
    )
    found = estimate([group, _nat("nat-a")], usage)
    assert found.unused_overrides == ["sandbox.natGbPerGateway"]
    assert ("sandbox", "crossAzGb") in found.overrides


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"defaults": {"natGbPerGateways": 1}},
            "defaults.natGbPerGateways: not a usage key; did you mean natGbPerGateway?",
        ),
        ({"defaults": {"natGbPerGateway": "lots"}}, "defaults.natGbPerGateway: 'lots' is not a number"),
        ({"defaults": {"natGbPerGateway": True}}, "defaults.natGbPerGateway: True is not a number"),
        ({"defaults": {"natGbPerGateway": -1}}, "defaults.natGbPerGateway: -1 is negative"),
        ({"defaults": {"spotPriceFactor": 1.5}}, "defaults.spotPriceFactor: 1.5 is not a fraction in (0, 1]"),
        ({"defaults": {"kmsKeyAgeDays": 1.5}}, "defaults.kmsKeyAgeDays: 1.5 is not a whole number of days"),
        # YAML's .nan and .inf: floats, but no figure (.inf used to crash preflight with OverflowError).
        ({"defaults": {"natGbPerGateway": float("nan")}}, "defaults.natGbPerGateway: nan is not a finite number"),
        ({"defaults": {"kmsKeyAgeDays": float("inf")}}, "defaults.kmsKeyAgeDays: inf is not a finite number"),
        ({"resources": {"nat-a": {"nlbLcus": 2}}}, "resources.nat-a.nlbLcus: not a usage key; did you mean nlbLcu?"),
        ({"resources": {"nat-a": 3}}, "resources.nat-a: a mapping of usage keys to numbers, not int"),
        ({"resources": ["nat-a"]}, "resources: a mapping of resource names to usage keys"),
        ({"default": {}}, "default: only `defaults` and `resources` are read"),
        (["natGbPerGateway"], "a mapping with `defaults` and `resources`, not list"),
    ],
)
def test_a_bad_usage_file_is_an_error_naming_the_key(document: Any, message: str) -> None:
    with pytest.raises(UsageError) as raised:
        parse_usage(document)
    assert message in str(raised.value)


def test_a_usage_file_is_read_from_disk_and_named_in_errors(tmp_path: Path) -> None:
    path = tmp_path / "prod.yaml"
    assert load_usage(path).defaults == {}  # no file: the defaults
    path.write_text("defaults:\n  internetEgressGb: 500\n")
    assert load_usage(path).defaults == {"internet-egress-gb": 500.0}
    path.write_text("defaults: [\n")
    with pytest.raises(UsageError, match=r"prod\.yaml: not YAML"):
        load_usage(path)
    path.write_text("defaults:\n  egress: 1\n")
    with pytest.raises(UsageError, match=r"prod\.yaml: defaults\.egress: not a usage key"):
        load_usage(path)


def test_every_usage_key_names_a_documented_assumption_and_the_stacks_files_are_valid() -> None:
    assert all(name in ASSUMPTIONS for name in USAGE_KEYS.values())
    for stack in ("dev", "staging", "prod"):
        usage = usage_for_stack(stack)  # raises on a bad file
        assert usage.source == f"usage/{stack}.yaml"
        # Each stack's file documents every key with its default (it is where people look).
        text = (USAGE_DIR / f"{stack}.yaml").read_text()
        assert all(f"#   {key} ({ASSUMPTIONS[name].value:g} " in text for key, name in USAGE_KEYS.items())
    # Never a path outside usage/; the source says why the defaults are used.
    assert (
        usage_for_stack("../etc/passwd").source
        == "the documented defaults (no stack name to find usage/<stack>.yaml by)"
    )
    assert usage_for_stack("nosuchstack").source == "the documented defaults (no usage/nosuchstack.yaml)"

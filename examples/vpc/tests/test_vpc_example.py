"""The Vpc example, run under the mocks: what it would register."""

import ipaddress
from pathlib import Path

import pytest

from eksplatform.preflight.synth import Graph, synth
from eksplatform.stack.loading import read_stack_file

EXAMPLE = Path(__file__).resolve().parents[1]
CONFIG = read_stack_file(EXAMPLE / "Pulumi.dev.yaml")


@pytest.fixture(scope="module")
def graph() -> Graph:
    return synth("dev", project_dir=EXAMPLE)


def test_two_azs_of_three_tiers_with_the_database_tier_at_its_prefix(graph: Graph) -> None:
    subnets = {s.name: s.inputs for s in graph.by_type("aws:ec2/subnet:Subnet")}
    assert sorted(subnets) == [f"example-{tier}-az{n}" for tier in ("database", "private", "public") for n in (1, 2)]
    vpc = ipaddress.IPv4Network(CONFIG["platform-vpc-example:cidr"])
    for inputs in subnets.values():
        assert ipaddress.IPv4Network(inputs["cidrBlock"]).subnet_of(vpc)
        assert inputs["mapPublicIpOnLaunch"] is False
    assert ipaddress.IPv4Network(subnets["example-database-az1"]["cidrBlock"]).prefixlen == 26


def test_one_nat_gateway_and_no_internet_route_from_the_database_tier(graph: Graph) -> None:
    assert [g.name for g in graph.by_type("aws:ec2/natGateway:NatGateway")] == ["example-nat-az1"]
    routes = {r.name: r.inputs for r in graph.by_type("aws:ec2/route:Route")}
    assert set(routes) == {"example-public-default-route", "example-private-default-route"}


def test_flow_logs_keep_the_secure_default_retention(graph: Graph) -> None:
    group = graph.one("aws:cloudwatch/logGroup:LogGroup")
    assert group.inputs["retentionInDays"] == 365
    assert group.inputs["kmsKeyId"]
    assert graph.one("aws:ec2/flowLog:FlowLog").inputs["trafficType"] == "ALL"


def test_every_resource_uses_the_explicit_provider(graph: Graph) -> None:
    provider = graph.one("pulumi:providers:aws")
    for registration in graph:
        if registration.custom and registration.type.startswith("aws:"):
            assert registration.provider_urn == provider.urn, registration.urn
    assert graph.outputs["vpcId"].value == graph.one("aws:ec2/vpc:Vpc").id

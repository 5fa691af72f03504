"""Vpc: assert on the registered network, per NAT strategy, and on the subnet planner."""

from __future__ import annotations

import functools
import ipaddress
from dataclasses import replace
from typing import Any

import pulumi
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eksplatform.components.inputs import args_from_settings
from eksplatform.components.providers import regional_aws_provider
from eksplatform.components.subnet_plan import TIERS, SubnetPlanError, TierLayout, plan_subnets
from eksplatform.components.vpc import (
    INTERFACE_ENDPOINT_SERVICES,
    NatStrategy,
    Vpc,
    VpcArgs,
    VpcArgsError,
    VpcSubnets,
    VpcSubnetTier,
)
from eksplatform.preflight.mocks import Registration
from eksplatform.preflight.synth import Graph
from eksplatform.stack.config import RegionConfig
from eksplatform.stack.data_args import vpc_settings
from tests.conftest import Harness
from tests.helpers import ADDON_VERSIONS, out, policy

TAGS = {"environment": "dev", "owner": "o", "cost-center": "c", "managed-by": "pulumi"}
BASE = VpcArgs(cidr="10.20.0.0/16", az_count=3, nat_strategy=NatStrategy.ONE_PER_AZ, cluster_name="platform-dev")

ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
SUBNET = "aws:ec2/subnet:Subnet"


def build(harness: Harness, args: VpcArgs = BASE, region: str = "eu-west-1") -> Graph:
    def program() -> None:
        provider = regional_aws_provider(f"aws-{region}", region=region, tags=TAGS)
        vpc = Vpc("net", args, opts=pulumi.ResourceOptions(provider=provider))
        pulumi.export("zones", vpc.availability_zones)
        pulumi.export("zoneIds", vpc.availability_zone_ids)
        pulumi.export("public", vpc.public_subnet_ids)
        pulumi.export("private", vpc.private_subnet_ids)
        pulumi.export("database", vpc.database_subnet_ids)
        pulumi.export("privateRouteTables", vpc.private_route_table_ids)
        pulumi.export("databaseRouteTables", vpc.database_route_table_ids)
        pulumi.export("nats", vpc.nat_gateway_ids)
        pulumi.export("flowLogGroup", vpc.flow_log_group_name)

    return harness.run(program)


def shared_network(args: VpcArgs = BASE) -> Graph:
    """`build` of `args` in eu-west-1, run once per test run: most tests here only read the default
    network or one NAT strategy's, and each run is a synth of its own. VpcArgs is frozen, so equal
    args are the same network; a test that compares two runs of its own calls `build`. The graph
    is shared: read it, never change it."""
    return _network(args)


@functools.cache
def _network(args: VpcArgs) -> Graph:
    # Keyed by the args themselves: `shared_network()` and `shared_network(BASE)` are one run.
    return build(Harness(), args)


def subnets_by_tier(graph: Graph) -> dict[str, list[Registration]]:
    tiers: dict[str, list[Registration]] = {tier: [] for tier in TIERS}
    for subnet in graph.by_type(SUBNET):
        tiers[subnet.inputs["tags"]["tier"]].append(subnet)
    return {tier: sorted(found, key=lambda s: s.name) for tier, found in tiers.items()}


# --- tiers and subnets -------------------------------------------------------------------


def test_one_subnet_per_tier_per_az_inside_the_vpc() -> None:
    graph = shared_network()
    vpc = graph.one("aws:ec2/vpc:Vpc")
    assert vpc.inputs["cidrBlock"] == "10.20.0.0/16"
    assert vpc.inputs["enableDnsHostnames"] is True and vpc.inputs["enableDnsSupport"] is True
    tiers = subnets_by_tier(graph)
    network = ipaddress.IPv4Network("10.20.0.0/16")
    for tier, subnets in tiers.items():
        assert [s.name for s in subnets] == [f"net-{tier}-az{i}" for i in (1, 2, 3)]
        # By zone ID, the first three in ID order; never by name (names differ per account).
        assert [s.inputs["availabilityZoneId"] for s in subnets] == ["euw1-az1", "euw1-az2", "euw1-az3"]
        assert all("availabilityZone" not in s.inputs for s in subnets)
        for subnet in subnets:
            assert subnet.inputs["vpcId"] == vpc.id
            assert ipaddress.IPv4Network(subnet.inputs["cidrBlock"]).subnet_of(network)
            assert subnet.inputs["mapPublicIpOnLaunch"] is False
    assert [s.inputs["cidrBlock"] for s in tiers["private"]] == ["10.20.0.0/19", "10.20.32.0/19", "10.20.64.0/19"]
    assert out(graph, "zoneIds") == ["euw1-az1", "euw1-az2", "euw1-az3"]
    assert sorted(out(graph, "zones")) == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    for tier in TIERS:
        assert out(graph, tier) == [s.id for s in tiers[tier]]


def test_eks_discovery_tags() -> None:
    tiers = subnets_by_tier(shared_network())
    cluster_tag = "kubernetes.io/cluster/platform-dev"
    assert all(s.inputs["tags"]["kubernetes.io/role/elb"] == "1" for s in tiers["public"])
    assert all(s.inputs["tags"]["kubernetes.io/role/internal-elb"] == "1" for s in tiers["private"])
    assert all(s.inputs["tags"][cluster_tag] == "shared" for s in tiers["public"] + tiers["private"])
    assert all(not any(key.startswith("kubernetes.io/") for key in s.inputs["tags"]) for s in tiers["database"])


def test_no_cluster_tag_without_a_cluster_name(harness: Harness) -> None:
    tiers = subnets_by_tier(build(harness, replace(BASE, cluster_name=None)))
    assert not any(key.startswith("kubernetes.io/cluster/") for s in tiers["private"] for key in s.inputs["tags"])


def test_explicit_zones_and_cidrs(harness: Harness) -> None:
    args = replace(
        BASE,
        az_count=2,
        availability_zone_ids=["euw1-az3", "euw1-az1"],
        subnets=VpcSubnets(database=VpcSubnetTier(cidrs=["10.20.250.0/26", "10.20.250.64/26"])),
    )
    tiers = subnets_by_tier(build(harness, args))
    assert [s.inputs["availabilityZoneId"] for s in tiers["private"]] == ["euw1-az3", "euw1-az1"]
    assert [s.inputs["cidrBlock"] for s in tiers["database"]] == ["10.20.250.0/26", "10.20.250.64/26"]


# --- zones --------------------------------------------------------------------------------


def zone_lookups(graph: Graph) -> list[Any]:
    return [call for call in graph.invokes if call.token == "aws:index/getAvailabilityZones:getAvailabilityZones"]


def test_zones_skip_the_one_eks_refuses(harness: Harness) -> None:
    graph = build(harness, replace(BASE, az_count=5), region="us-east-1")
    private = subnets_by_tier(graph)["private"]
    # use1-az3 exists in every us-east-1 account, and EKS refuses subnets there.
    assert [s.inputs["availabilityZoneId"] for s in private] == [
        "use1-az1",
        "use1-az2",
        "use1-az4",
        "use1-az5",
        "use1-az6",
    ]


def test_an_impaired_zone_cannot_move_the_list() -> None:
    (lookup,) = zone_lookups(shared_network())
    # No state filter: an impaired zone stays listed, so the zones after it keep their subnets.
    assert "state" not in lookup.args
    assert lookup.args["filters"] == [{"name": "zone-type", "values": ["availability-zone"]}]


def test_names_follow_the_account_but_zone_ids_do_not(harness: Harness) -> None:
    def zones(account: str) -> tuple[list[str], list[str]]:
        def program() -> None:
            provider = regional_aws_provider(
                "aws-eu-west-1", region="eu-west-1", tags=TAGS, allowed_account_ids=[account]
            )
            vpc = Vpc("net", BASE, opts=pulumi.ResourceOptions(provider=provider))
            pulumi.export("zones", vpc.availability_zones)
            pulumi.export("zoneIds", vpc.availability_zone_ids)

        graph = harness.run(program)
        return out(graph, "zones"), out(graph, "zoneIds")

    names = {account: zones(account) for account in ("111111111111", "222222222222", "333333333333")}
    assert {tuple(ids) for _, ids in names.values()} == {("euw1-az1", "euw1-az2", "euw1-az3")}
    assert len({tuple(found) for found, _ in names.values()}) > 1  # the same IDs, other names


@pytest.mark.parametrize(
    ("region", "pinned", "message"),
    [
        ("us-east-1", ["use1-az1", "use1-az3"], "EKS does not accept subnets in use1-az3"),
        ("us-west-1", ["usw1-az1", "usw1-az2"], r"zone IDs \['usw1-az2'\] are not enabled in us-west-1"),
        ("eu-west-1", ["euw1-az1", "euw1-az9"], r"zone IDs \['euw1-az9'\] are not enabled"),
    ],
)
def test_pinned_zones_must_exist_and_be_accepted(
    harness: Harness, region: str, pinned: list[str], message: str
) -> None:
    with pytest.raises(ValueError, match=f"Vpc net: {message}"):
        build(harness, replace(BASE, az_count=2, availability_zone_ids=pinned), region=region)


# --- NAT and routing ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("strategy", "nats", "private_tables"),
    [("none", 0, 1), ("single", 1, 1), ("one-per-az", 3, 3)],
)
def test_nat_strategy(strategy: str, nats: int, private_tables: int) -> None:
    graph = shared_network(replace(BASE, nat_strategy=NatStrategy(strategy)))
    gateways = graph.by_type("aws:ec2/natGateway:NatGateway")
    eips = graph.by_type("aws:ec2/eip:Eip")
    assert len(gateways) == len(eips) == nats
    public_ids = out(graph, "public")
    assert {g.inputs["subnetId"] for g in gateways} <= set(public_ids)
    assert {g.inputs["allocationId"] for g in gateways} == {e.id for e in eips}
    assert all(e.inputs["domain"] == "vpc" for e in eips)
    assert sorted(out(graph, "nats")) == sorted(g.id for g in gateways)

    private_table_ids = out(graph, "privateRouteTables")
    assert len(private_table_ids) == private_tables
    private_routes = [r for r in graph.by_type(ROUTE) if r.inputs["routeTableId"] in private_table_ids]
    assert len(private_routes) == (private_tables if nats else 0)
    assert all(r.inputs["destinationCidrBlock"] == "0.0.0.0/0" for r in private_routes)
    if strategy == "one-per-az":
        # Each AZ leaves through its own NAT, so one AZ's outage does not cut the others off.
        by_table = {r.inputs["routeTableId"]: r.inputs["natGatewayId"] for r in private_routes}
        nat_by_subnet = {g.inputs["subnetId"]: g.id for g in gateways}
        assert [by_table[t] for t in private_table_ids] == [nat_by_subnet[s] for s in public_ids]

    (public_route,) = [r for r in graph.by_type(ROUTE) if "gatewayId" in r.inputs]
    assert public_route.inputs["gatewayId"] == graph.one("aws:ec2/internetGateway:InternetGateway").id
    associations = graph.by_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
    assert sorted(a.inputs["subnetId"] for a in associations) == sorted(s.id for s in graph.by_type(SUBNET))


@pytest.mark.parametrize("strategy", ["none", "single", "one-per-az"])
def test_database_tier_has_no_route_out(strategy: str) -> None:
    graph = shared_network(replace(BASE, nat_strategy=NatStrategy(strategy)))
    (database_table,) = out(graph, "databaseRouteTables")
    table = next(t for t in graph.by_type(ROUTE_TABLE) if t.id == database_table)
    assert not table.inputs.get("routes")
    assert [r for r in graph.by_type(ROUTE) if r.inputs["routeTableId"] == database_table] == []
    database_subnets = set(out(graph, "database"))
    for association in graph.by_type("aws:ec2/routeTableAssociation:RouteTableAssociation"):
        if association.inputs["subnetId"] in database_subnets:
            assert association.inputs["routeTableId"] == database_table


# --- hardening ---------------------------------------------------------------------------


def test_default_security_group_has_no_rules() -> None:
    graph = shared_network()
    group = graph.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert group.inputs["vpcId"] == graph.one("aws:ec2/vpc:Vpc").id
    assert group.inputs["ingress"] == [] and group.inputs["egress"] == []


def test_flow_logs_go_to_an_encrypted_group_through_a_scoped_role(harness: Harness) -> None:
    graph = build(harness, replace(BASE, flow_log_retention_days=90))
    flow_log = graph.one("aws:ec2/flowLog:FlowLog")
    group = graph.one("aws:cloudwatch/logGroup:LogGroup")
    key = graph.one("aws:kms/key:Key")
    role = graph.one("aws:iam/role:Role")

    assert flow_log.inputs["vpcId"] == graph.one("aws:ec2/vpc:Vpc").id
    assert flow_log.inputs["trafficType"] == "ALL"
    assert flow_log.inputs["logDestinationType"] == "cloud-watch-logs"
    assert flow_log.inputs["logDestination"] == group.outputs["arn"]
    assert flow_log.inputs["iamRoleArn"] == role.outputs["arn"]
    assert group.inputs["kmsKeyId"] == key.outputs["arn"]
    assert group.inputs["retentionInDays"] == 90
    assert out(graph, "flowLogGroup") == group.inputs["name"] == "/platform/vpc/net/flow-logs"
    assert key.inputs["enableKeyRotation"] is True

    key_policy = policy(key, "policy")["Statement"]
    admin, logs = key_policy
    assert admin["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"} and admin["Action"] == "kms:*"
    assert logs["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"}
    assert logs["Condition"] == {"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": group.outputs["arn"]}}

    trust = policy(role, "assumeRolePolicy")["Statement"][0]
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    write = graph.one("aws:iam/rolePolicy:RolePolicy")
    assert write.inputs["role"] == role.id
    (statement,) = policy(write, "policy")["Statement"]
    assert statement["Resource"] == sorted([group.outputs["arn"], group.outputs["arn"] + ":*"])
    assert "*" not in statement["Resource"]


def test_gateway_endpoints_serve_private_and_database_tables() -> None:
    graph = shared_network()
    tables = set(out(graph, "privateRouteTables") + out(graph, "databaseRouteTables"))
    endpoints = {e.inputs["serviceName"]: e for e in graph.by_type("aws:ec2/vpcEndpoint:VpcEndpoint")}
    assert set(endpoints) == {"com.amazonaws.eu-west-1.s3", "com.amazonaws.eu-west-1.dynamodb"}
    for endpoint in endpoints.values():
        assert endpoint.inputs["vpcEndpointType"] == "Gateway"
        assert set(endpoint.inputs["routeTableIds"]) == tables


def test_interface_endpoints_only_accept_https_from_the_vpc() -> None:
    graph = shared_network(replace(BASE, interface_endpoints=True))
    interface = [
        e for e in graph.by_type("aws:ec2/vpcEndpoint:VpcEndpoint") if e.inputs["vpcEndpointType"] == "Interface"
    ]
    assert sorted(e.inputs["serviceName"] for e in interface) == sorted(
        f"com.amazonaws.eu-west-1.{service}" for service in INTERFACE_ENDPOINT_SERVICES
    )
    group = graph.one("aws:ec2/securityGroup:SecurityGroup")
    assert not group.inputs.get("ingress") and not group.inputs.get("egress")
    (rule,) = graph.by_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert rule.inputs["securityGroupId"] == group.id
    assert (rule.inputs["fromPort"], rule.inputs["toPort"], rule.inputs["ipProtocol"]) == (443, 443, "tcp")
    assert rule.inputs["cidrIpv4"] == "10.20.0.0/16"
    for endpoint in interface:
        assert endpoint.inputs["subnetIds"] == out(graph, "private")
        assert endpoint.inputs["securityGroupIds"] == [group.id]
        assert endpoint.inputs["privateDnsEnabled"] is True


def test_no_interface_endpoints_unless_asked() -> None:
    graph = shared_network()
    assert graph.by_type("aws:ec2/securityGroup:SecurityGroup") == []
    assert all(e.inputs["vpcEndpointType"] == "Gateway" for e in graph.by_type("aws:ec2/vpcEndpoint:VpcEndpoint"))


def test_every_child_uses_the_regional_provider_and_parents_to_the_vpc() -> None:
    graph = shared_network(replace(BASE, interface_endpoints=True))
    provider = graph.one("pulumi:providers:aws")
    component = graph.one("platform:index:Vpc")
    children = [r for r in graph.resources if r.custom and not r.is_provider]
    assert len(children) > 40
    for child in children:
        assert child.provider_urn == provider.urn, child.urn
        assert child.parent == component.urn, child.urn


# --- stability and bad input -------------------------------------------------------------


def test_adding_an_az_keeps_every_existing_subnet() -> None:
    two = {s.name: s.inputs["cidrBlock"] for s in shared_network(replace(BASE, az_count=2)).by_type(SUBNET)}
    three = {s.name: s.inputs["cidrBlock"] for s in shared_network(BASE).by_type(SUBNET)}
    assert len(two) == 6 and len(three) == 9
    assert {name: three[name] for name in two} == two


def test_config_key_order_does_not_change_the_network(harness: Harness) -> None:
    region: dict[str, Any] = {
        "name": "eu-west-1",
        "primary": True,
        "vpc": {"cidr": "10.20.0.0/16", "azCount": 3, "natStrategy": "single", "interfaceEndpoints": True},
        "cluster": {
            "kubernetesVersion": "1.35",
            "addonVersions": ADDON_VERSIONS,
            "nodeGroups": {
                "system": {"instanceTypes": ["m7i.large"], "minSize": 1, "desiredSize": 1, "maxSize": 2},
                "sandbox": {"instanceTypes": ["m7i.large"], "minSize": 1, "desiredSize": 1, "maxSize": 2},
            },
        },
        "postgres": {"engine": "rds", "instanceClass": "db.t4g.micro"},
        "redis": {"cache": {"nodeType": "cache.t4g.micro"}, "queue": {"nodeType": "cache.t4g.micro"}},
        "languageServices": {"imageRegistry": "registry.example.com/platform"},
    }
    reordered = {key: region[key] for key in reversed(list(region))}
    reordered["vpc"] = {key: region["vpc"][key] for key in reversed(list(region["vpc"]))}
    first_config, second_config = RegionConfig.model_validate(region), RegionConfig.model_validate(reordered)
    first = build(harness, args_from_settings(VpcArgs, vpc_settings(first_config.vpc, region=first_config.name)))
    second = build(harness, args_from_settings(VpcArgs, vpc_settings(second_config.vpc, region=second_config.name)))
    assert [(r.urn, r.inputs) for r in first] == [(r.urn, r.inputs) for r in second]


def _database_cidrs(cidr: str) -> VpcSubnets:
    return VpcSubnets(database=VpcSubnetTier(cidrs=[cidr] * 3))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"cidr": "10.20.0.0/33"}, r"^args\.cidr: '10\.20\.0\.0/33' is not an IPv4 network"),
        ({"cidr": "10.20.0.1/16"}, r"^args\.cidr: '10\.20\.0\.1/16' is not an IPv4 network address .*host bits"),
        ({"cidr": "10.0.0.0/8"}, r"^args\.cidr: 10\.0\.0\.0/8 has prefix /8; AWS allows /16 to /28"),
        ({"cidr": "10.20.0.0/24"}, r"^args\.cidr: database subnet of AZ 1 \(10.20.1.32/28\) falls outside"),
        ({"az_count": 0}, r"^args\.az_count: 0 must be 1 to 6"),
        ({"az_count": 7}, r"^args\.az_count: 7 must be 1 to 6"),
        ({"subnet_slots": 2}, r"^args\.subnet_slots: 2 must be az_count \(3\) to 6"),
        ({"flow_log_retention_days": 31}, r"^args\.flow_log_retention_days: 31 is not a CloudWatch retention"),
        ({"nat_strategy": "two"}, r"^args\.nat_strategy: 'two' is not one of 'none', 'single', 'one-per-az'"),
        (
            {"subnets": VpcSubnets(public=VpcSubnetTier(prefix_length=17))},
            r"^args\.subnets\.public\.prefix_length: public subnet of AZ 1 .* falls outside the VPC",
        ),
        (
            {"subnets": VpcSubnets(public=VpcSubnetTier(prefix_length=24, cidrs=["10.20.0.0/24"] * 3))},
            r"^args\.subnets\.public: give prefix_length or cidrs, not both",
        ),
        (
            {"subnets": VpcSubnets(private=VpcSubnetTier(cidrs=["10.20.0.0/19", "nope", "10.20.64.0/19"]))},
            r"^args\.subnets\.private\.cidrs\[1\]: 'nope' is not a network",
        ),
        (
            {"subnets": _database_cidrs("10.99.0.0/24")},
            r"^args\.subnets\.database\.cidrs\[0\]: database subnet of AZ 1 .* is not inside",
        ),
        (
            {"subnets": _database_cidrs("10.20.0.0/24")},
            r"^args\.subnets\.database\.cidrs\[0\]: database subnet of AZ 1 .* overlaps the private subnet of AZ 1",
        ),
        ({"availability_zone_ids": ["euw1-az1"]}, r"^args\.availability_zone_ids: lists 1 zones but az_count is 3"),
        (
            {"availability_zone_ids": ["euw1-az1", "euw1-az1", "euw1-az2"]},
            r"^args\.availability_zone_ids: .* names a zone twice",
        ),
        (
            {"availability_zone_ids": ["use1-az1", "use2-az3", "use1-az2"]},
            r"^args\.availability_zone_ids: .* mixes the zones of several regions \(use1, use2\)",
        ),
        (
            {"availability_zone_ids": ["us-east-1a", "us-east-1b", "us-east-1c"]},
            r"^args\.availability_zone_ids: 'us-east-1a' is not a zone ID",
        ),
        ({"az_count": None, "subnet_slots": 2}, r"^args\.subnet_slots: 2 must be az_count \(3\) to 6"),
        (
            {"subnets": VpcSubnets(private=VpcSubnetTier(prefix_length=30))},
            r"^args\.subnets\.private\.prefix_length: private subnets: prefix length /30",
        ),
        (
            {"subnets": VpcSubnets(public=VpcSubnetTier(cidrs=["10.20.250.0/24"]))},
            r"^args\.subnets\.public\.cidrs: public subnets: 1 CIDRs given for 3 AZs",
        ),
        ({"flow_log_group": "/platform/vpc flow logs"}, r"^args\.flow_log_group: '/platform/vpc flow logs' is not"),
        ({"flow_log_group": ""}, r"^args\.flow_log_group: '' is not a CloudWatch log group name"),
        ({"flow_log_group": "g" * 513}, r"^args\.flow_log_group: "),
        ({"cluster_name": "-shop"}, r"^args\.cluster_name: '-shop' is not an EKS cluster name"),
        ({"cluster_name": "s" * 101}, r"^args\.cluster_name: "),
    ],
)
def test_bad_args_are_refused_naming_the_field_before_anything_registers(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(VpcArgsError, match=message):
        replace(BASE, **changes)


@settings(max_examples=400, deadline=None)
@given(
    vpc_prefix=st.integers(16, 24),
    base=st.integers(0, 255),
    az_count=st.integers(1, 6),
    slots=st.integers(1, 6),
    prefixes=st.fixed_dictionaries({tier: st.none() | st.integers(14, 30) for tier in TIERS}),
)
def test_planned_subnets_are_inside_and_disjoint_or_a_clear_error(
    vpc_prefix: int, base: int, az_count: int, slots: int, prefixes: dict[str, int | None]
) -> None:
    vpc = ipaddress.IPv4Network(f"10.{base}.0.0/{vpc_prefix}", strict=False)
    layouts = {tier: TierLayout(prefix_length=prefix) for tier, prefix in prefixes.items()}
    try:
        planned = plan_subnets(vpc, az_count, layouts, slots=slots)  # type: ignore[arg-type]
    except SubnetPlanError as error:
        assert any(tier in str(error) for tier in TIERS)
        return
    assert len(planned) == 3 * az_count
    for subnet in planned:
        assert subnet.cidr.subnet_of(vpc)
    for i, subnet in enumerate(planned):
        assert all(not subnet.cidr.overlaps(other.cidr) for other in planned[:i])


def test_names_at_aws_limits_are_accepted() -> None:
    args = replace(BASE, flow_log_group="/a#b.c-d_e/" + "g" * 501, cluster_name="Shop_1-" + "x" * 93)
    assert len(args.flow_log_group or "") == 512 and len(args.cluster_name or "") == 100

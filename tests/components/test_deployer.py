"""The path from the deployer to every cluster, and between the regions, as every default stack registers it."""

from __future__ import annotations

import copy
import json

import pytest
import yaml

from eksplatform.components.deployer import PeerSide, VpcPeering, VpcPeeringArgs, mesh_pairs
from eksplatform.preflight.mocks import Registration
from eksplatform.preflight.synth import PROJECT_ROOT, Graph
from eksplatform.stack.deployer_connection import DEPLOYER_PROVIDER_NAME
from eksplatform.stack.errors import ConfigError
from eksplatform.stack.loading import load_stack_file, parse_stack_config
from eksplatform.stack.platform_args import platform_from_stack
from tests.components.test_config import namespace_values
from tests.components.test_platform import (
    prod_in_reverse_order,
    prod_with,
    prod_with_own_zone_secondary_image_and_no_admin_roles,
    prod_without_deployer_and_an_rpo_of_7_minutes,
)
from tests.conftest import Harness, synthesized

PEERING = "aws:ec2/vpcPeeringConnection:VpcPeeringConnection"
ACCEPTER = "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter"
ROUTE = "aws:ec2/route:Route"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
ENTRY = "aws:eks/accessEntry:AccessEntry"
ASSOCIATION = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
STACKS = ("dev", "staging", "prod")


def _provider(graph: Graph, registration: Registration) -> Registration:
    return graph.get(registration.provider_urn)


def _region_vpc(graph: Graph, region: str) -> Registration:
    return graph.one("aws:ec2/vpc:Vpc", f"{region}-network-vpc")


def _private_tables(graph: Graph, region: str) -> list[Registration]:
    prefix = f"{region}-network-private"
    return [t for t in graph.by_type("aws:ec2/routeTable:RouteTable") if t.name.startswith(prefix)]


def _routes_via(graph: Graph, peering: Registration) -> list[Registration]:
    """Routes whose target is this peering (its ID, or its accepter's, which is the same ID)."""
    accepters = [a for a in graph.by_type(ACCEPTER) if peering.urn in a.property_dependencies["vpcPeeringConnectionId"]]
    via = {peering.urn, *(a.urn for a in accepters)}
    return [r for r in graph.by_type(ROUTE) if via & set(r.property_dependencies.get("vpcPeeringConnectionId", []))]


@pytest.mark.parametrize("stack", STACKS)
def test_each_region_is_peered_with_the_deployer_and_routes_both_ways(stack: str) -> None:
    graph = synthesized(stack)
    config = load_stack_file(PROJECT_ROOT / f"Pulumi.{stack}.yaml")
    deployer = config.deployer
    assert deployer is not None
    for region in config.regions:
        vpc = _region_vpc(graph, region.name)
        peering = graph.one(PEERING, f"{region.name}-deployer-peering-connection")
        assert peering.property_dependencies["vpcId"] == [vpc.urn]
        assert peering.inputs["peerVpcId"] == deployer.deployer_vpc_id
        assert peering.inputs["peerOwnerId"] == deployer.account_id
        assert _provider(graph, peering).name == f"aws-{region.name}"
        accepters = [a for a in graph.by_type(ACCEPTER) if a.name == f"{region.name}-deployer-peering-accepter"]
        if region.name == deployer.deployer_region:
            # One region: the requester accepts (no peerRegion, which cannot go with autoAccept).
            assert peering.inputs["autoAccept"] is True and "peerRegion" not in peering.inputs
            assert accepters == []
        else:
            assert peering.inputs["peerRegion"] == deployer.deployer_region and "autoAccept" not in peering.inputs
            (accepter,) = accepters
            assert accepter.inputs["autoAccept"] is True
            assert accepter.property_dependencies["vpcPeeringConnectionId"] == [peering.urn]
            assert _provider(graph, accepter).name == DEPLOYER_PROVIDER_NAME
        routes = _routes_via(graph, peering)
        regional = {r.inputs["routeTableId"]: r for r in routes if r.inputs["destinationCidrBlock"] == "10.250.0.0/16"}
        assert set(regional) == {t.id for t in _private_tables(graph, region.name)}
        assert {_provider(graph, r).name for r in regional.values()} == {f"aws-{region.name}"}
        back = {r.inputs["routeTableId"]: r for r in routes if r.inputs["destinationCidrBlock"] == str(region.vpc.cidr)}
        assert set(back) == set(deployer.deployer_route_table_ids)
        assert {_provider(graph, r).name for r in back.values()} == {DEPLOYER_PROVIDER_NAME}
        assert len(routes) == len(regional) + len(back)


@pytest.mark.parametrize("stack", STACKS)
def test_each_cluster_admits_the_deployer_and_its_runner(stack: str) -> None:
    graph = synthesized(stack)
    deployer = load_stack_file(PROJECT_ROOT / f"Pulumi.{stack}.yaml").deployer
    assert deployer is not None
    for cluster in graph.by_type("aws:eks/cluster:Cluster"):
        region = cluster.name.removesuffix("-cluster-eks")
        rule = graph.one(INGRESS, f"{region}-cluster-api-from-deployer")
        # On the control plane's own group (vpcConfig.securityGroupIds), 443 from the deployer.
        assert [rule.inputs["securityGroupId"]] == cluster.inputs["vpcConfig"]["securityGroupIds"]
        (group,) = [
            g for g in graph.by_type("aws:ec2/securityGroup:SecurityGroup") if g.id == rule.inputs["securityGroupId"]
        ]
        assert rule.property_dependencies["securityGroupId"] == [group.urn]
        assert (rule.inputs["ipProtocol"], rule.inputs["fromPort"], rule.inputs["toPort"]) == ("tcp", 443, 443)
        assert rule.inputs["cidrIpv4"] == str(deployer.deployer_cidr)
        entry = graph.one(ENTRY, f"{region}-cluster-deployer-access")
        assert entry.inputs["principalArn"] == deployer.runner_role_arn
        assert entry.inputs["type"] == "STANDARD"
        assert entry.property_dependencies["clusterName"] == [cluster.urn]
        admin = graph.one(ASSOCIATION, f"{region}-cluster-deployer-cluster-admin")
        assert admin.inputs["principalArn"] == deployer.runner_role_arn
        assert admin.inputs["policyArn"] == "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
        assert admin.inputs["accessScope"] == {"type": "cluster"}
        assert entry.urn in admin.dependencies


@pytest.mark.parametrize("stack", STACKS)
def test_every_kubernetes_provider_waits_for_the_whole_path(stack: str) -> None:
    graph = synthesized(stack)
    for provider in graph.by_type("pulumi:providers:kubernetes"):
        region = provider.name.split("-cluster-kubernetes")[0]  # the main and the bootstrap provider
        peering = graph.one(PEERING, f"{region}-deployer-peering-connection")
        accepted = [a for a in graph.by_type(ACCEPTER) if a.name == f"{region}-deployer-peering-accepter"] or [peering]
        path = [
            *accepted,
            *_routes_via(graph, peering),
            graph.one(INGRESS, f"{region}-cluster-api-from-deployer"),
            graph.one(ENTRY, f"{region}-cluster-deployer-access"),
            graph.one(ASSOCIATION, f"{region}-cluster-deployer-cluster-admin"),
        ]
        missing = [hop.name for hop in path if hop.urn not in provider.dependencies]
        assert missing == [], provider.name
        # It signs as the caller (the runner's role, or an admin over the VPN), assuming no other role.
        kubeconfig = json.loads(provider.inputs["kubeconfig"])
        assert "--role-arn" not in kubeconfig["users"][0]["user"]["exec"]["args"]


def test_prod_peers_every_pair_of_regions_with_routes_both_ways() -> None:
    graph = synthesized("prod")
    config = load_stack_file(PROJECT_ROOT / "Pulumi.prod.yaml")
    cidrs = {region.name: str(region.vpc.cidr) for region in config.regions}
    pairs = mesh_pairs(sorted(cidrs))
    assert len(pairs) == 3
    for first, second in pairs:
        peering = graph.one(PEERING, f"platform-{first}-{second}-peering-connection")
        assert peering.property_dependencies["vpcId"] == [_region_vpc(graph, first).urn]
        assert peering.inputs["peerVpcId"] == _region_vpc(graph, second).id
        assert peering.inputs["peerRegion"] == second
        assert _provider(graph, peering).name == f"aws-{first}"
        (accepter,) = [a for a in graph.by_type(ACCEPTER) if a.name == f"platform-{first}-{second}-peering-accepter"]
        assert _provider(graph, accepter).name == f"aws-{second}"
        routes = _routes_via(graph, peering)
        for side, other in ((first, second), (second, first)):
            tables = {r.inputs["routeTableId"] for r in routes if r.inputs["destinationCidrBlock"] == cidrs[other]}
            # The private tables (nodes) and the database table (Aurora, Valkey answer from there).
            database = graph.one("aws:ec2/routeTable:RouteTable", f"{side}-network-database-rt")
            assert tables == {t.id for t in _private_tables(graph, side)} | {database.id}, (side, other)
            providers = {_provider(graph, r).name for r in routes if r.inputs["destinationCidrBlock"] == cidrs[other]}
            assert providers == {f"aws-{side}"}


def test_one_region_has_no_mesh() -> None:
    graph = synthesized("dev")
    assert [p.name for p in graph.by_type(PEERING)] == ["us-east-1-deployer-peering-connection"]


def test_the_mesh_follows_region_names_not_config_order() -> None:
    graph = prod_in_reverse_order()
    assert {p.name for p in graph.by_type(PEERING)} == {p.name for p in synthesized("prod").by_type(PEERING)}


def test_a_runner_that_is_the_admin_gets_no_second_access_entry(harness: Harness) -> None:
    # One cluster's entries are the subject: staging (one region, us-east-1, with a deployer and an
    # admin role, as each of prod's regions has) shows them in a third of prod's synth time.
    data = copy.deepcopy(namespace_values("staging"))
    admin = data["regions"][0]["cluster"]["adminRoleArn"]
    data["deployer"] = {**data["deployer"], "runnerRoleArn": admin}
    graph = harness.run(lambda: platform_from_stack("platform", parse_stack_config(data)), stack="staging")
    # (The observability collector has an access entry of its own, for another principal.)
    entries = [e for e in graph.by_type(ENTRY) if e.name.startswith("us-east-1-") and e.inputs["principalArn"] == admin]
    assert [e.name for e in entries] == ["us-east-1-cluster-admin-access"]
    provider = graph.one("pulumi:providers:kubernetes", "us-east-1-cluster-kubernetes")
    assert entries[0].urn in provider.dependencies


def test_without_an_admin_role_the_runner_is_the_admin_with_one_entry() -> None:
    """Not the caller's role: that would be a second entry for the runner's (ResourceInUseException)."""
    # No region names an adminRoleArn in this run (its other edits, the DNS zone and a secondary's
    # image, make no access entry). prod's own admin roles are another principal than the runner,
    # so an unedited prod fails below.
    graph = prod_with_own_zone_secondary_image_and_no_admin_roles()
    runner = prod_with()["deployer"]["runnerRoleArn"]
    assert all(region["cluster"]["adminRoleArn"] != runner for region in prod_with()["regions"])
    for region in ("us-east-1", "eu-west-1", "ap-southeast-1"):
        entries = [e for e in graph.by_type(ENTRY) if e.name.startswith(f"{region}-cluster-")]
        assert [(e.name, e.inputs["principalArn"]) for e in entries] == [(f"{region}-cluster-admin-access", runner)]
        principals = [e.inputs["principalArn"] for e in graph.by_type(ENTRY) if e.name.startswith(f"{region}-")]
        assert len(principals) == len(set(principals)), principals


@pytest.fixture
def prod_without_deployer() -> Graph:
    """prod without its `deployer`, run once for the tests below, which only read the graph (its
    other edit, the RPO, changes only the data stores' lag alarms)."""
    return prod_without_deployer_and_an_rpo_of_7_minutes()


def test_without_a_deployer_no_path_is_built(prod_without_deployer: Graph) -> None:
    graph = prod_without_deployer
    assert not [p for p in graph.by_type(PEERING) if "deployer" in p.name]
    assert not [r for r in graph.by_type(INGRESS) if r.name.endswith("api-from-deployer")]
    assert len(graph.by_type(PEERING)) == 3  # the regions are still peered with each other


@pytest.mark.parametrize(
    ("change", "key", "message"),
    [
        ({"deployerCidr": "10.100.0.0/16"}, "deployer.deployerCidr", "overlaps regions[0].vpc.cidr"),
        ({"deployerCidr": "10.0.0.0/8"}, "deployer.deployerCidr", "overlaps"),
        ({"accountId": "444444444444"}, "deployer.accountId", "not in allowedAccountIds"),
        ({"deployerVpcId": "vpc-12"}, "deployer.deployerVpcId", "pattern"),
        ({"deployerRouteTableIds": []}, "deployer.deployerRouteTableIds", "at least 1"),
        ({"deployerRegion": "mars-north-1"}, "deployer.deployerRegion", "not a known AWS region"),
        ({"runnerRoleArn": "platform-deployer-runner"}, "deployer.runnerRoleArn", "pattern"),
        # Another account's runner (or the shared old name) would answer this stack's jobs.
        ({"runnerProjectName": "platform-deployer"}, "deployer.runnerProjectName", "not this environment's runner"),
        ({"runnerProjectName": "platform-deployer-dev"}, "deployer.runnerProjectName", "platform-deployer-prod"),
    ],
)
def test_a_bad_deployer_is_refused_naming_the_key(change: dict[str, object], key: str, message: str) -> None:
    data = prod_with()
    data["deployer"] = {**data["deployer"], **change}
    with pytest.raises(ConfigError) as raised:
        parse_stack_config(data)
    assert any(issue.path == key and message in issue.message for issue in raised.value.issues), raised.value


def test_a_peering_of_overlapping_networks_is_refused(harness: Harness) -> None:
    def program() -> None:
        import pulumi_aws as aws

        provider = aws.Provider("aws-us-east-1", region="us-east-1")
        side = PeerSide(vpc_id="vpc-1", region="us-east-1", cidr="10.0.0.0/16", route_table_ids={}, provider=provider)
        other = PeerSide(
            vpc_id="vpc-2", region="us-east-1", cidr="10.0.128.0/17", route_table_ids={}, provider=provider
        )
        VpcPeering("clash", VpcPeeringArgs(requester=side, accepter=other, description="x"))

    with pytest.raises(Exception, match="overlap; peered VPCs cannot"):
        harness.run(program)


def test_every_default_stack_names_its_own_accounts_runner() -> None:
    """One repository, three runners: each label must start a build in one account only (B1)."""
    names = {}
    for stack in STACKS:
        deployer = load_stack_file(PROJECT_ROOT / f"Pulumi.{stack}.yaml").deployer
        assert deployer is not None
        names[stack] = deployer.runner_project_name
        bootstrap = yaml.safe_load((PROJECT_ROOT / "bootstrap" / f"Pulumi.deployer-{stack}.yaml").read_text())
        config = bootstrap["config"]
        assert config["platform-bootstrap:environment"] == stack
        assert config["platform-bootstrap:projectName"] == deployer.runner_project_name == f"platform-deployer-{stack}"
        assert config["platform-bootstrap:accountId"] == deployer.account_id
        assert deployer.runner_role_arn == f"arn:aws:iam::{deployer.account_id}:role/platform-deployer-{stack}-runner"
    assert len(set(names.values())) == len(STACKS)


def test_the_data_stores_are_reachable_from_the_other_regions_private_subnets() -> None:
    """Mesh routes in the database route tables, and CIDR ingress on 5432/6379 from the peer regions'
    private subnets only: security groups cannot be referenced across an inter-region peering (M6)."""
    graph = synthesized("prod")
    regions = ("us-east-1", "eu-west-1", "ap-southeast-1")
    cidrs = {region: _region_vpc(graph, region).inputs["cidrBlock"] for region in regions}
    private = {
        region: {
            s.inputs["cidrBlock"]
            for s in graph.by_type("aws:ec2/subnet:Subnet")
            if f"{region}-network-private" in s.name
        }
        for region in regions
    }
    for region in regions:
        (database_table,) = [
            t for t in graph.by_type("aws:ec2/routeTable:RouteTable") if t.name == f"{region}-network-database-rt"
        ]
        routed = {
            r.inputs["destinationCidrBlock"]
            for r in graph.by_type(ROUTE)
            if r.inputs["routeTableId"] == database_table.id
        }
        assert routed == {cidrs[other] for other in regions if other != region}, region
        peers = set().union(*(private[other] for other in regions if other != region))
        groups = {
            g.id: g.name
            for g in graph.by_type("aws:ec2/securityGroup:SecurityGroup")
            if g.name.startswith(f"{region}-postgres") or g.name.startswith(f"{region}-redis")
        }
        assert len(groups) >= 3, groups  # the database, the cache, the queue (and a proxy)
        for group_id, group_name in groups.items():
            rules = [
                r
                for r in graph.by_type(INGRESS)
                if r.inputs["securityGroupId"] == group_id and r.inputs.get("cidrIpv4")
            ]
            port = 5432 if "postgres" in group_name else 6379
            assert {r.inputs["cidrIpv4"] for r in rules} == peers, group_name
            assert {(r.inputs["fromPort"], r.inputs["toPort"]) for r in rules} == {(port, port)}, group_name
            # Never the whole VPC (public subnets, load balancers), never the own region's CIDR.
            assert not {r.inputs["cidrIpv4"] for r in rules} & {*cidrs.values()}


def test_one_region_admits_no_cidr_into_its_data_stores() -> None:
    graph = synthesized("dev")
    stores = {
        g.id
        for g in graph.by_type("aws:ec2/securityGroup:SecurityGroup")
        if "-postgres" in g.name or "-redis" in g.name
    }
    assert not [r for r in graph.by_type(INGRESS) if r.inputs["securityGroupId"] in stores and r.inputs.get("cidrIpv4")]


@pytest.mark.parametrize("stack", STACKS)
def test_every_role_carries_the_runners_permissions_boundary(stack: str) -> None:
    """The runner may create a role only with its boundary (bootstrap/runner.py): all of them have it."""
    graph = synthesized(stack)
    deployer = load_stack_file(PROJECT_ROOT / f"Pulumi.{stack}.yaml").deployer
    assert deployer is not None
    boundary = f"arn:aws:iam::{deployer.account_id}:policy/platform-deployer-{stack}-boundary"
    roles = graph.by_type("aws:iam/role:Role")
    assert roles
    assert {r.name: r.inputs.get("permissionsBoundary") for r in roles} == {r.name: boundary for r in roles}


def test_without_a_deployer_roles_have_no_boundary(prod_without_deployer: Graph) -> None:
    graph = prod_without_deployer
    assert not [r.name for r in graph.by_type("aws:iam/role:Role") if r.inputs.get("permissionsBoundary")]


def test_the_api_rule_opens_the_control_plane_only_not_the_nodes() -> None:
    """Minor 8: the system nodes carry the EKS cluster group, so the rule sits on the control plane's."""
    graph = synthesized("prod")
    for cluster in graph.by_type("platform:index:Cluster"):
        region = cluster.name.removesuffix("-cluster")
        rule = graph.one(INGRESS, f"{region}-cluster-api-from-deployer")
        eks = graph.one("aws:eks/cluster:Cluster", f"{region}-cluster-eks")
        assert [rule.inputs["securityGroupId"]] == eks.inputs["vpcConfig"]["securityGroupIds"]
        templates = [t for t in graph.by_type("aws:ec2/launchTemplate:LaunchTemplate") if t.name.startswith(region)]
        assert templates
        for template in templates:
            assert rule.inputs["securityGroupId"] not in template.inputs["vpcSecurityGroupIds"], template.name

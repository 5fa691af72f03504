"""Can the deployer reach every cluster? An offline proof over the stack's resources.

For every Kubernetes provider, the path from the deployer network (bootstrap/, described in the
stack by `platform:index:DeployerConnection`) to the cluster's private API endpoint, hop by hop:

0. the endpoint: private access on and public access off. With public access on, a peered VPC
   resolves the endpoint's name to its public IPs (the private zone is the cluster VPC's only;
   EKS user guide, "Cluster API server endpoint"), so the runner would leave through its NAT;
   the kubeconfig of the provider signs as the caller (no `--role-arn`), so the runner's own
   access entry is the one that counts;
1. the VPC peering between the cluster's VPC and the deployer VPC, in the deployer's region and
   account, and its acceptance (across regions an accepter resource in the peer region; in one
   region `autoAccept` on the requester);
2. in every deployer route table, a route to the cluster VPC's CIDR through that peering;
3. in the route table of every subnet the control plane sits in, a route back to the deployer's
   CIDR through that peering;
4. on a security group of the control plane, ingress on 443 from the deployer's CIDR;
5. an EKS access entry (type STANDARD) for the runner's role, with AmazonEKSClusterAdminPolicy at
   cluster scope;
6. the provider depending on every one of them, so `pulumi up` creates the path before it calls
   the cluster.

The first missing hop is named. AWS's Reachability Analyzer answers the same question only for
deployed resources; this answers it before anything exists. Resources are matched through the
values they were built from (property dependencies), which a preview knows even when IDs do not
exist yet, or through equal known values for IDs typed into config. Pure: no Pulumi import and no
import of the package, so the pack (policies/rules/reachability.py) and preflight's report
(eksplatform/preflight/report.py) run the same check.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

PROVIDER = "pulumi:providers:kubernetes"
DEPLOYER = "platform:index:DeployerConnection"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
SUBNET = "aws:ec2/subnet:Subnet"
VPC = "aws:ec2/vpc:Vpc"
PEERING = "aws:ec2/vpcPeeringConnection:VpcPeeringConnection"
ACCEPTER = "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter"
ROUTE = "aws:ec2/route:Route"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
ACCESS_POLICY = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
CLUSTER_ADMIN_POLICY = "AmazonEKSClusterAdminPolicy"
API_PORT = 443


@dataclass(frozen=True)
class Node:
    """One resource as the check reads it: its inputs and what they came from."""

    urn: str
    type: str
    props: Mapping[str, Any]
    dependencies: Sequence[str] = ()
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]

    def sources(self, prop: str) -> Sequence[str]:
        return self.property_dependencies.get(prop, ()) or ()

    def text(self, prop: str) -> str | None:
        return _text(self.props, prop)


@dataclass(frozen=True)
class Hop:
    """One proven step of the path, and the resources that make it."""

    label: str
    urns: tuple[str, ...]


@dataclass(frozen=True)
class Path:
    """The path from the deployer to one Kubernetes provider's cluster, or where it breaks."""

    provider: str
    """The Kubernetes provider's URN."""
    cluster: str
    """The EKS cluster's name (resource name) behind it, or '' when it cannot be told."""
    hops: tuple[Hop, ...]
    missing: str | None = None
    """The first missing hop, by name; None when the path is complete."""

    @property
    def ok(self) -> bool:
        return self.missing is None

    @property
    def provider_name(self) -> str:
        return self.provider.rsplit("::", 1)[-1]


class _MissingHopError(Exception):
    """The first hop that is not there (the message names it)."""


def _covers(destination: Any, cidr: Any) -> bool:
    """Does a route or rule for `destination` include every address of `cidr`?"""
    if not isinstance(destination, str) or not isinstance(cidr, str):
        return False
    try:
        outer, inner = ipaddress.IPv4Network(destination), ipaddress.IPv4Network(cidr)
    except ValueError:
        return False
    return inner.subnet_of(outer)


def _port_443(rule: Node) -> bool:
    protocol = str(rule.props.get("ipProtocol", "")).lower()
    if protocol in ("-1", "all"):
        return True
    if protocol not in ("tcp", "6"):
        return False
    low, high = rule.props.get("fromPort"), rule.props.get("toPort")
    return isinstance(low, (int, float)) and isinstance(high, (int, float)) and low <= API_PORT <= high


class _Graph:
    def __init__(self, nodes: Iterable[Node]) -> None:
        self.nodes = list(nodes)
        self.by_urn = {node.urn: node for node in self.nodes}

    def of_type(self, type_token: str) -> list[Node]:
        return [node for node in self.nodes if node.type == type_token]

    def sources_of_type(self, node: Node, prop: str, type_token: str) -> list[Node]:
        found = [self.by_urn.get(urn) for urn in node.sources(prop)]
        return [source for source in found if source is not None and source.type == type_token]

    def closure(self, node: Node) -> set[str]:
        """Every URN `node` waits for: its dependencies and property dependencies, transitively."""
        seen: set[str] = set()
        stack = [*node.dependencies, *(urn for urns in node.property_dependencies.values() for urn in urns)]
        while stack:
            urn = stack.pop()
            if urn in seen:
                continue
            seen.add(urn)
            other = self.by_urn.get(urn)
            if other is not None:
                stack += [*other.dependencies, *(u for urns in other.property_dependencies.values() for u in urns)]
        return seen


def check(nodes: Iterable[Node], deployer: Mapping[str, Any] | None = None) -> list[Path]:
    """The path to every Kubernetes provider's cluster, in the order the providers appear.

    `deployer`: the bootstrap's outputs (the stack's `platform:deployer`); by default the inputs of
    the stack's DeployerConnection component, which carries the same keys.
    """
    graph = _Graph(nodes)
    if deployer is None:
        components = graph.of_type(DEPLOYER)
        deployer = components[0].props if components else None
    return [_path(graph, provider, deployer) for provider in graph.of_type(PROVIDER)]


def _path(graph: _Graph, provider: Node, deployer: Mapping[str, Any] | None) -> Path:
    hops: list[Hop] = []
    clusters = graph.sources_of_type(provider, "kubeconfig", EKS_CLUSTER)
    cluster = clusters[0] if clusters else None
    try:
        if cluster is None:
            raise _MissingHopError(f"the EKS cluster behind {provider.name}: its kubeconfig is not built from one")
        if not deployer:
            raise _MissingHopError(
                "the deployer network: the stack names none (set platform:deployer, docs/deploying.md)"
            )
        _walk(graph, provider, cluster, deployer, hops)
    except _MissingHopError as missing:
        return Path(provider.urn, cluster.name if cluster else "", tuple(hops), str(missing))
    return Path(provider.urn, cluster.name, tuple(hops))


def _text(props: Mapping[str, Any], key: str) -> str | None:
    value = props.get(key)
    return value if isinstance(value, str) and value else None


def _walk(graph: _Graph, provider: Node, cluster: Node, deployer: Mapping[str, Any], hops: list[Hop]) -> None:
    deployer_cidr = _text(deployer, "deployerCidr")
    deployer_vpc = _text(deployer, "deployerVpcId")
    runner_role = _text(deployer, "runnerRoleArn")
    deployer_tables = _texts(deployer.get("deployerRouteTableIds"))
    for key, value in (
        ("deployerCidr", deployer_cidr),
        ("deployerVpcId", deployer_vpc),
        ("runnerRoleArn", runner_role),
        ("deployerRouteTableIds", deployer_tables),
    ):
        if not value:
            raise _MissingHopError(f"the deployer's {key} (platform:deployer.{key})")
    assert deployer_cidr is not None and deployer_vpc is not None and runner_role is not None

    # 0. a private-only endpoint, reached as the caller
    endpoint = _mapping(cluster.props.get("vpcConfig"))
    if endpoint.get("endpointPrivateAccess") is not True:
        raise _MissingHopError(f"the private endpoint of {cluster.name} (vpcConfig.endpointPrivateAccess true)")
    if endpoint.get("endpointPublicAccess") is True:
        raise _MissingHopError(
            f"a private-only endpoint on {cluster.name}: with endpointPublicAccess on, the deployer's VPC resolves "
            "its name to public IPs and reaches it through its NAT, not the peering (set endpointPublicAccess false)"
        )
    kubeconfig = provider.props.get("kubeconfig")
    if isinstance(kubeconfig, str) and "--role-arn" in kubeconfig:
        raise _MissingHopError(
            f"a kubeconfig on {provider.name} that signs as the caller (no --role-arn): the runner's own access "
            "entry must be the one used"
        )
    hops.append(Hop(f"private-only endpoint of {cluster.name}, signed as the caller", (cluster.urn,)))

    subnets = graph.sources_of_type(cluster, "vpcConfig", SUBNET)
    if not subnets:
        raise _MissingHopError(f"the subnets of {cluster.name} (vpcConfig.subnetIds built from subnets of the stack)")
    vpcs = graph.sources_of_type(subnets[0], "vpcId", VPC)
    if not vpcs:
        raise _MissingHopError(f"the VPC of subnet {subnets[0].name}")
    vpc = vpcs[0]
    vpc_cidr = vpc.text("cidrBlock")

    # 1. the peering, accepted
    peering = next(
        (
            node
            for node in graph.of_type(PEERING)
            if vpc.urn in node.sources("vpcId") and node.props.get("peerVpcId") == deployer_vpc
        ),
        None,
    )
    if peering is None:
        raise _MissingHopError(f"a VPC peering between {vpc.name} and the deployer VPC {deployer_vpc}")
    deployer_region, deployer_account = _text(deployer, "deployerRegion"), _text(deployer, "accountId")
    peer_region = _text(peering.props, "peerRegion")
    if peer_region is not None and deployer_region is not None and peer_region != deployer_region:
        raise _MissingHopError(
            f"peering {peering.name} to the deployer's region {deployer_region} (its peerRegion is {peer_region})"
        )
    peer_owner = _text(peering.props, "peerOwnerId")
    if deployer_account is not None and peer_owner != deployer_account:
        raise _MissingHopError(
            f"peering {peering.name} to the deployer's account {deployer_account} (its peerOwnerId is {peer_owner})"
        )
    via = {peering.urn}
    if peering.props.get("autoAccept") is True and not peering.props.get("peerRegion"):
        hops.append(Hop(f"peering {peering.name} (accepted by its requester, one region)", (peering.urn,)))
    else:
        accepter = next(
            (
                node
                for node in graph.of_type(ACCEPTER)
                if peering.urn in node.sources("vpcPeeringConnectionId") and node.props.get("autoAccept") is True
            ),
            None,
        )
        if accepter is None:
            region = peering.props.get("peerRegion") or "the deployer's region"
            raise _MissingHopError(
                f"the acceptance of peering {peering.name} in {region} (a VpcPeeringConnectionAccepter)"
            )
        via.add(accepter.urn)
        hops.append(Hop(f"peering {peering.name}, accepted by {accepter.name}", (peering.urn, accepter.urn)))

    def route(table_matches: Any, destination: str | None) -> Node | None:
        return next(
            (
                node
                for node in graph.of_type(ROUTE)
                if table_matches(node)
                and _covers(node.props.get("destinationCidrBlock"), destination)
                and via & set(node.sources("vpcPeeringConnectionId"))
            ),
            None,
        )

    # 2. deployer -> cluster VPC
    for table_id in deployer_tables:
        found = route(lambda node, table_id=table_id: node.props.get("routeTableId") == table_id, vpc_cidr)
        if found is None:
            raise _MissingHopError(f"a route in deployer route table {table_id} to {vpc_cidr} through {peering.name}")
        hops.append(Hop(f"deployer route table {table_id} -> {vpc_cidr}: {found.name}", (found.urn,)))

    # 3. cluster subnets -> deployer
    for subnet in subnets:
        associations = [node for node in graph.of_type(ASSOCIATION) if subnet.urn in node.sources("subnetId")]
        tables = [urn for association in associations for urn in association.sources("routeTableId")]
        if not tables:
            raise _MissingHopError(f"the route table of subnet {subnet.name} (where {cluster.name}'s endpoint sits)")
        for table in sorted(tables):
            found = route(lambda node, table=table: table in node.sources("routeTableId"), deployer_cidr)
            if found is None:
                name = table.rsplit("::", 1)[-1]
                raise _MissingHopError(
                    f"a route in route table {name} to the deployer's {deployer_cidr} through {peering.name}"
                )
            hop = Hop(f"route table {table.rsplit('::', 1)[-1]} -> {deployer_cidr}: {found.name}", (found.urn,))
            if hop not in hops:
                hops.append(hop)

    # 4. 443 from the deployer on a security group of the control plane
    groups = {cluster.urn, *(node.urn for node in graph.sources_of_type(cluster, "vpcConfig", SECURITY_GROUP))}
    rule = next(
        (
            node
            for node in graph.of_type(INGRESS_RULE)
            if groups & set(node.sources("securityGroupId"))
            and _port_443(node)
            and _covers(node.props.get("cidrIpv4"), deployer_cidr)
        ),
        None,
    )
    if rule is None:
        raise _MissingHopError(f"ingress on 443 from {deployer_cidr} on the security group of {cluster.name}")
    hops.append(Hop(f"443 from {deployer_cidr}: {rule.name}", (rule.urn,)))

    # 5. the runner may administer the cluster
    def on_cluster(node: Node) -> bool:
        return cluster.urn in node.sources("clusterName") and node.props.get("principalArn") == runner_role

    # EKS CreateAccessEntry: only a STANDARD entry can have access policies associated.
    entry = next(
        (
            node
            for node in graph.of_type(ACCESS_ENTRY)
            if on_cluster(node) and node.props.get("type", "STANDARD") == "STANDARD"
        ),
        None,
    )
    if entry is None:
        raise _MissingHopError(f"an EKS access entry (STANDARD) for the runner role {runner_role} on {cluster.name}")
    admin = next(
        (
            node
            for node in graph.of_type(ACCESS_POLICY)
            if on_cluster(node)
            and str(node.props.get("policyArn", "")).endswith(f"/{CLUSTER_ADMIN_POLICY}")
            and _mapping(node.props.get("accessScope")).get("type") == "cluster"
        ),
        None,
    )
    if admin is None:
        raise _MissingHopError(f"{CLUSTER_ADMIN_POLICY} at cluster scope for the runner role on {cluster.name}")
    hops.append(Hop(f"access entry {entry.name} with {CLUSTER_ADMIN_POLICY}: {admin.name}", (entry.urn, admin.urn)))

    # 6. the provider waits for every hop
    waits_for = graph.closure(provider)
    for hop in list(hops):
        for urn in hop.urns:
            if urn not in waits_for:
                raise _MissingHopError(f"{provider.name} depending on {urn.rsplit('::', 1)[-1]} (dependsOn)")
    hops.append(Hop(f"{provider.name} depends on every hop", (provider.urn,)))


def _texts(value: Any) -> list[str]:
    """Texts from a list (or the policy SDK's list proxy); anything else is empty."""
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [item for item in value if isinstance(item, str) and item]
    return []


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def summary(paths: Sequence[Path]) -> str:
    """One line: how many clusters the deployer reaches (a cluster counts when every Kubernetes
    provider of it, the main one and the bootstrap one, has its path)."""
    clusters: dict[str, bool] = {}
    for path in paths:
        clusters[path.cluster] = clusters.get(path.cluster, True) and path.ok
    reached = sum(1 for ok in clusters.values() if ok)
    return f"{reached} of {len(clusters)} cluster(s) reachable from the deployer ({len(paths)} Kubernetes providers)"

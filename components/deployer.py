"""The network path from the deployer (bootstrap/) to every region, and between the regions.

Every cluster's API endpoint is private, and one `pulumi up` creates Kubernetes objects in every
region's cluster. It runs on the deployer's runner (bootstrap/: a VPC and a CodeBuild-hosted
GitHub Actions runner), so each region is peered with the deployer VPC, with routes on both
sides; the cluster admits 443 from the deployer CIDR and gives the runner's role an access entry
(components/cluster.py), and every Kubernetes provider waits for all of it. The regions are also
peered with each other (full mesh) for the services' cross-region calls.

- DeployerConnection (eksplatform/stack/deployer_connection.py, the stack layer: it reads the
  stack file's `deployer`): the deployer as this stack knows it and the provider of its region.
- VpcPeering: one peering between two VPCs, in one region or two, with routes on both sides.

EKS advertises a private-only endpoint's private IPs through its public DNS name (EKS user guide,
"Cluster API server endpoint"; AWS knowledge center "eks-private-cluster-endpoint-vpc"), so a
peered VPC needs no DNS forwarding to reach it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class PeerSide:
    """One VPC of a peering: where it is and which route tables lead to the other side."""

    vpc_id: pulumi.Input[str]
    region: str
    cidr: str
    route_table_ids: Mapping[str, pulumi.Input[str]]
    """Route tables that get a route to the other VPC, by a stable key (their resource names use it)."""
    provider: pulumi.ProviderResource
    """The AWS provider of this side's region."""
    account_id: str | None = None
    """The VPC's account (the peering's `peer_owner_id` when this side accepts)."""


@dataclass(frozen=True)
class VpcPeeringArgs:
    requester: PeerSide
    accepter: PeerSide
    description: str


class VpcPeering(pulumi.ComponentResource):
    """A VPC peering connection, accepted, with a route to the other VPC's CIDR on both sides."""

    connection: aws.ec2.VpcPeeringConnection
    accepter: aws.ec2.VpcPeeringConnectionAccepter | None
    """The accepter's side (only across regions; in one region the requester accepts itself)."""
    peering_id: pulumi.Output[str]
    """The peering connection's ID, once accepted (routes use it, so they wait for the acceptance)."""
    routes: list[aws.ec2.Route]
    ready: list[pulumi.Resource]
    """What must exist before traffic can flow: the acceptance and every route."""

    def __init__(self, name: str, args: VpcPeeringArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:index:VpcPeering", name, None, opts)
        requester, accepter = args.requester, args.accepter
        if _overlap(requester.cidr, accepter.cidr):
            # VPC peering guide, "VPC peering limitations": no peering between overlapping CIDRs.
            raise pulumi.RunError(f"{name}: {requester.cidr} and {accepter.cidr} overlap; peered VPCs cannot")
        cross_region = requester.region != accepter.region
        self.connection = aws.ec2.VpcPeeringConnection(
            f"{name}-connection",
            vpc_id=requester.vpc_id,
            peer_vpc_id=accepter.vpc_id,
            peer_owner_id=accepter.account_id,
            # terraform-provider-aws ec2/vpc_peering_connection.go: "peer_region cannot be set whilst
            # auto_accept is true"; across regions the accepter resource below accepts instead.
            peer_region=accepter.region if cross_region else None,
            auto_accept=None if cross_region else True,
            tags={"Name": name, "Description": args.description},
            opts=pulumi.ResourceOptions(parent=self, provider=requester.provider),
        )
        self.accepter = None
        accepted: pulumi.Resource = self.connection
        self.peering_id = self.connection.id
        if cross_region:
            # The peer region's side of an inter-region peering, with that region's provider.
            self.accepter = aws.ec2.VpcPeeringConnectionAccepter(
                f"{name}-accepter",
                vpc_peering_connection_id=self.connection.id,
                auto_accept=True,
                tags={"Name": name, "Description": args.description},
                opts=pulumi.ResourceOptions(parent=self, provider=accepter.provider),
            )
            accepted = self.accepter
            self.peering_id = self.accepter.id
        self.routes = [
            *self._routes(name, "", requester, accepter.cidr),
            *self._routes(name, "peer-", accepter, requester.cidr),
        ]
        self.ready = [accepted, *self.routes]
        self.register_outputs({"peeringId": self.peering_id})

    def _routes(self, name: str, prefix: str, side: PeerSide, destination: str) -> list[aws.ec2.Route]:
        return [
            aws.ec2.Route(
                f"{name}-{prefix}{key}-route",
                route_table_id=table_id,
                destination_cidr_block=destination,
                vpc_peering_connection_id=self.peering_id,
                opts=pulumi.ResourceOptions(parent=self, provider=side.provider),
            )
            for key, table_id in sorted(side.route_table_ids.items())
        ]


def _overlap(first: str, second: str) -> bool:
    return ipaddress.IPv4Network(first).overlaps(ipaddress.IPv4Network(second))


@dataclass(frozen=True)
class DeployerSide:
    """What a Region needs to connect to the deployer."""

    side: PeerSide
    runner_role_arn: str


def mesh_pairs(names: Sequence[str]) -> list[tuple[str, str]]:
    """Every pair of `names` once, the earlier one requesting."""
    return [(first, second) for index, first in enumerate(names) for second in names[index + 1 :]]

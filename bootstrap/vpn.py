"""AdminVpn: AWS Client VPN into the deployer VPC for administrators, and on through its peerings.

Mutual (certificate) authentication; split tunnel, so only the deployer and platform CIDRs go
through it. Traffic leaves the endpoint from its associated subnet's addresses (Client VPN
administrator guide, "Access to a peered VPC"), so the platform clusters see the deployer's CIDR,
which their security groups admit on 443. One subnet association: each association is billed by
the hour, and administrators can wait out a zone's outage.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from eksplatform.components.aws_context import AwsContext
from eksplatform.components.log_groups import encrypted_log_group


@dataclass(frozen=True)
class AdminVpnArgs:
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    subnet_id: pulumi.Input[str]
    """The one associated subnet (a private subnet of the deployer VPC)."""
    server_certificate_arn: str
    client_root_certificate_arn: str
    client_cidr: str
    routed_cidrs: Sequence[str]
    log_retention_days: int


class AdminVpn(pulumi.ComponentResource):
    endpoint: aws.ec2clientvpn.Endpoint

    def __init__(self, name: str, args: AdminVpnArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:index:AdminVpn", name, None, opts)
        context = AwsContext.of(self)
        child = pulumi.ResourceOptions(parent=self)
        log_group = encrypted_log_group(
            f"{name}-logs",
            group_name=f"/aws/clientvpn/{name}",
            retention_days=args.log_retention_days,
            description="the connections of the administrators' Client VPN",
            context=context,
            parent=self,
        )
        stream = aws.cloudwatch.LogStream(f"{name}-connections", log_group_name=log_group.name, opts=child)
        group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description="Client VPN: administrators to the deployer and platform VPCs on 443",
            tags={"Name": f"{name}-client-vpn"},
            opts=child,
        )
        for index, cidr in enumerate([args.vpc_cidr, *args.routed_cidrs]):
            aws.vpc.SecurityGroupEgressRule(
                f"{name}-https-{index}",
                security_group_id=group.id,
                description=f"HTTPS to {cidr}",
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                cidr_ipv4=cidr,
                opts=child,
            )
        self.endpoint = aws.ec2clientvpn.Endpoint(
            f"{name}-endpoint",
            description="platform administrators",
            server_certificate_arn=args.server_certificate_arn,
            # EC2 CreateClientVpnEndpoint: /12 to /22, overlapping neither the VPC nor the routes
            # (bootstrap/config.py checks both).
            client_cidr_block=args.client_cidr,
            authentication_options=[
                aws.ec2clientvpn.EndpointAuthenticationOptionArgs(
                    type="certificate-authentication", root_certificate_chain_arn=args.client_root_certificate_arn
                )
            ],
            connection_log_options=aws.ec2clientvpn.EndpointConnectionLogOptionsArgs(
                enabled=True, cloudwatch_log_group=log_group.name, cloudwatch_log_stream=stream.name
            ),
            split_tunnel=True,
            transport_protocol="udp",
            vpc_id=args.vpc_id,
            security_group_ids=[group.id],
            tags={"Name": name},
            opts=child,
        )
        association = aws.ec2clientvpn.NetworkAssociation(
            f"{name}-association",
            client_vpn_endpoint_id=self.endpoint.id,
            subnet_id=args.subnet_id,
            opts=child,
        )
        for index, cidr in enumerate([args.vpc_cidr, *args.routed_cidrs]):
            aws.ec2clientvpn.AuthorizationRule(
                f"{name}-authorize-{index}",
                client_vpn_endpoint_id=self.endpoint.id,
                target_network_cidr=cidr,
                authorize_all_groups=True,  # certificate authentication has no groups
                description=f"administrators to {cidr}",
                opts=child,
            )
        for index, cidr in enumerate(args.routed_cidrs):
            # The deployer VPC's own CIDR is routed by the association itself; the peered VPCs need a route.
            aws.ec2clientvpn.Route(
                f"{name}-route-{index}",
                client_vpn_endpoint_id=self.endpoint.id,
                destination_cidr_block=cidr,
                target_vpc_subnet_id=association.subnet_id,
                description=f"to {cidr} through the deployer's peering",
                opts=child,
            )
        self.register_outputs({"endpointId": self.endpoint.id})

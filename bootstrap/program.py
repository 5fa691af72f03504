"""The bootstrap program: the deployer network, its runner, and the optional administrators' VPN."""

from __future__ import annotations

from typing import Any

import pulumi

from bootstrap.config import BootstrapConfig
from bootstrap.runner import Runner, RunnerArgs, pulumi_cli_version
from bootstrap.vpn import AdminVpn, AdminVpnArgs
from eksplatform.components.facts import REGION_AZ_COUNTS
from eksplatform.components.providers import regional_aws_provider
from eksplatform.components.vpc import NatStrategy, Vpc, VpcArgs


class Deployer(pulumi.ComponentResource):
    """Where deployments run: a VPC (one NAT gateway), the runner in its private subnets, a VPN."""

    network: Vpc
    runner: Runner
    vpn: AdminVpn | None

    def __init__(self, name: str, config: BootstrapConfig, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:index:Deployer", name, None, opts)
        self.config = config
        self.provider = regional_aws_provider(
            f"aws-{config.region}",
            region=config.region,
            tags=config.tags,
            allowed_account_ids=[config.account_id],
            parent=self,
        )
        in_region = pulumi.ResourceOptions(parent=self, providers=[self.provider])
        self.network = Vpc(
            f"{name}-network",
            VpcArgs(
                cidr=str(config.cidr),
                az_count=config.az_count,
                # One NAT gateway: the runner needs the internet (GitHub, Pulumi Cloud), not zone redundancy.
                nat_strategy=NatStrategy.SINGLE,
                subnet_slots=REGION_AZ_COUNTS[config.region],
                flow_log_retention_days=config.log_retention_days,
            ),
            opts=in_region,
        )
        self.runner = Runner(
            f"{name}-runner",
            RunnerArgs(
                project_name=config.project_name,
                github_repository=config.github_repository,
                vpc_id=self.network.vpc_id,
                subnet_ids=[subnet.id for subnet in self.network.subnets["private"]],
                compute_type=config.compute_type,
                build_timeout_minutes=config.build_timeout_minutes,
                log_retention_days=config.log_retention_days,
                connection_authorized=config.connection_authorized,
                allowed_actor_ids=config.allowed_actor_ids,
                pulumi_version=pulumi_cli_version(),
            ),
            opts=in_region,
        )
        self.vpn = None
        if config.client_vpn is not None:
            vpn = config.client_vpn
            self.vpn = AdminVpn(
                f"{name}-vpn",
                AdminVpnArgs(
                    vpc_id=self.network.vpc_id,
                    vpc_cidr=str(config.cidr),
                    subnet_id=self.network.subnets["private"][0].id,
                    server_certificate_arn=vpn.server_certificate_arn,
                    client_root_certificate_arn=vpn.client_root_certificate_arn,
                    client_cidr=str(vpn.client_cidr),
                    routed_cidrs=[str(cidr) for cidr in vpn.routed_cidrs],
                    log_retention_days=config.log_retention_days,
                ),
                opts=in_region,
            )
        self.register_outputs({})

    def outputs(self) -> dict[str, Any]:
        """The stack outputs: each platform stack's `platform:deployer` holds the first seven."""
        return {
            "deployerRegion": self.config.region,
            "deployerVpcId": self.network.vpc_id,
            "deployerCidr": str(self.config.cidr),
            "deployerRouteTableIds": [table.id for table in self.network.private_route_tables.values()],
            "runnerRoleArn": self.runner.role.arn,
            "runnerProjectName": self.runner.project.name,
            "accountId": self.config.account_id,
            "pulumiVersion": pulumi_cli_version(),
            "githubConnectionArn": self.runner.connection.arn,
            "permissionsBoundaryArn": self.runner.boundary.arn,
            "clientVpnEndpointId": self.vpn.endpoint.id if self.vpn is not None else None,
        }

"""The deployer network as a stack knows it: the bootstrap's outputs from the stack file's
`deployer` (DeployerConfig), and the provider of the deployer's region, which makes the
deployer's side of every peering (components/deployer.py builds the peerings)."""

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from eksplatform.components.deployer import DeployerSide, PeerSide
from eksplatform.components.providers import regional_aws_provider
from eksplatform.stack.config import DeployerConfig

DEPLOYER_PROVIDER_NAME = "aws-deployer"


class DeployerConnection(pulumi.ComponentResource):
    """The deployer network as this stack knows it, and the provider of its region.

    Its inputs are the bootstrap's outputs, so the reachability check (policies/reachability.py)
    finds the deployer's CIDR, route tables and runner role in the stack's own resources.
    """

    provider: aws.Provider
    config: DeployerConfig

    def __init__(
        self,
        name: str,
        config: DeployerConfig,
        *,
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            "platform:index:DeployerConnection",
            name,
            {
                "deployerRegion": config.deployer_region,
                "deployerVpcId": config.deployer_vpc_id,
                "deployerCidr": str(config.deployer_cidr),
                "deployerRouteTableIds": list(config.deployer_route_table_ids),
                "runnerRoleArn": config.runner_role_arn,
                "runnerProjectName": config.runner_project_name,
                "accountId": config.account_id,
            },
            opts,
        )
        self.config = config
        # The deployer's side of every peering (the acceptance and its routes) is made in its region
        # and account, by a provider of its own: the stack may have no region there.
        self.provider = regional_aws_provider(
            DEPLOYER_PROVIDER_NAME,
            region=config.deployer_region,
            tags=tags,
            allowed_account_ids=[config.account_id],
            parent=self,
        )
        self.register_outputs({})

    def side(self) -> DeployerSide:
        config = self.config
        return DeployerSide(
            side=PeerSide(
                vpc_id=config.deployer_vpc_id,
                region=config.deployer_region,
                cidr=str(config.deployer_cidr),
                # Keyed by ID: the deployer's tables are not this stack's, and their IDs do not move.
                route_table_ids={table_id: table_id for table_id in config.deployer_route_table_ids},
                provider=self.provider,
                account_id=config.account_id,
            ),
            runner_role_arn=config.runner_role_arn,
        )

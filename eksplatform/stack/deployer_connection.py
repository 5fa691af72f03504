"""The deployer network as a stack knows it: the bootstrap's outputs (`DeployerNetwork`, from the
stack file's `deployer`), and the provider of the deployer's region, which makes the deployer's
side of every peering (components/deployer.py builds the peerings).

`DeployerNetwork` is a field of RegionArgs and PlatformArgs, served to other languages: no
`from __future__ import annotations` here.
"""

import contextlib
import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from eksplatform.components.data_rules import DataRuleError
from eksplatform.components.deployer import DeployerSide, PeerSide
from eksplatform.components.iam import deployer_boundary_arn, permissions_boundary
from eksplatform.components.inputs import ArgsError, check_fields
from eksplatform.components.providers import regional_aws_provider
from eksplatform.stack.region_rules import account_id_problem, check_deployer_ids, known_region_problem


class DeployerNetworkError(ArgsError):
    """A bad deployer network; the message names the field (`args.deployer_cidr`)."""


@dataclass(frozen=True, kw_only=True)
class DeployerNetwork:
    """The deployer network where `pulumi up` runs (the bootstrap program's outputs, docs/deploying.md):
    every region's VPC is peered with it, and its runner role administers the clusters."""

    deployer_region: str
    """The region of the deployer VPC (bootstrap output `deployerRegion`)."""
    deployer_vpc_id: str
    """The deployer VPC (bootstrap output `deployerVpcId`)."""
    deployer_cidr: str
    """The deployer VPC's CIDR (bootstrap output `deployerCidr`); it overlaps no region's VPC."""
    deployer_route_table_ids: Sequence[str]
    """The deployer's route tables (bootstrap output `deployerRouteTableIds`): each gets a route to every region."""
    runner_role_arn: str
    """The runner's IAM role (bootstrap output `runnerRoleArn`): cluster-admin on every cluster."""
    runner_project_name: str
    """The runner's CodeBuild project (bootstrap output `runnerProjectName`): every role the platform
    creates carries its permissions boundary."""
    account_id: str
    """The deployer's account (bootstrap output `accountId`)."""

    def __post_init__(self) -> None:
        check_fields(self, DeployerNetworkError)
        problem = known_region_problem(self.deployer_region)
        if problem is not None:
            raise DeployerNetworkError(f"args.deployer_region: {problem}")
        try:
            ipaddress.IPv4Network(self.deployer_cidr)
        except ValueError as error:
            raise DeployerNetworkError(f"args.deployer_cidr: {error}") from None
        problem = account_id_problem(self.account_id)
        if problem is not None:
            raise DeployerNetworkError(f"args.account_id: {problem}")
        try:
            # The stack file's patterns (eksplatform/stack/region_rules.py), checked before any peering.
            check_deployer_ids(
                vpc_id=self.deployer_vpc_id,
                route_table_ids=list(self.deployer_route_table_ids),
                runner_role_arn=self.runner_role_arn,
                runner_project_name=self.runner_project_name,
            )
        except DataRuleError as violation:
            raise DeployerNetworkError(f"args.{violation.field}: {violation.message}") from None


DEPLOYER_PROVIDER_NAME = "aws-deployer"


class DeployerConnection(pulumi.ComponentResource):
    """The deployer network as this stack knows it, and the provider of its region.

    Its inputs are the bootstrap's outputs, so the reachability check (policies/reachability.py)
    finds the deployer's CIDR, route tables and runner role in the stack's own resources.
    """

    provider: aws.Provider
    network: DeployerNetwork

    def __init__(
        self,
        name: str,
        network: DeployerNetwork,
        *,
        tags: Mapping[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__(
            "platform:index:DeployerConnection",
            name,
            {
                "deployerRegion": network.deployer_region,
                "deployerVpcId": network.deployer_vpc_id,
                "deployerCidr": network.deployer_cidr,
                "deployerRouteTableIds": list(network.deployer_route_table_ids),
                "runnerRoleArn": network.runner_role_arn,
                "runnerProjectName": network.runner_project_name,
                "accountId": network.account_id,
            },
            opts,
        )
        self.network = network
        # The deployer's side of every peering (the acceptance and its routes) is made in its region
        # and account, by a provider of its own: the stack may have no region there.
        self.provider = deployer_region_provider(DEPLOYER_PROVIDER_NAME, network, tags, parent=self)
        self.register_outputs({})


def runner_boundary(network: DeployerNetwork | None) -> contextlib.AbstractContextManager[None]:
    """Within the block every role carries the runner's permissions boundary: the runner may create
    no other role (bootstrap/runner.py, `iam:PermissionsBoundary` on `iam:CreateRole`); none without
    a deployer."""
    arn = deployer_boundary_arn(network.account_id, network.runner_project_name) if network is not None else None
    return permissions_boundary(arn)


def deployer_region_provider(
    name: str, network: DeployerNetwork, tags: Mapping[str, str], *, parent: pulumi.Resource
) -> aws.Provider:
    """The AWS provider of the deployer's region and account: it makes the deployer's side of a peering."""
    return regional_aws_provider(
        name, region=network.deployer_region, tags=tags, allowed_account_ids=[network.account_id], parent=parent
    )


def deployer_side(network: DeployerNetwork, provider: pulumi.ProviderResource) -> DeployerSide:
    """The deployer network as the accepting side of a region's peering."""
    return DeployerSide(
        side=PeerSide(
            vpc_id=network.deployer_vpc_id,
            region=network.deployer_region,
            cidr=network.deployer_cidr,
            # Keyed by ID: the deployer's tables are not this stack's, and their IDs do not move.
            route_table_ids={table_id: table_id for table_id in network.deployer_route_table_ids},
            provider=provider,
            account_id=network.account_id,
        ),
        runner_role_arn=network.runner_role_arn,
    )

"""The Vpc component on its own: a two-AZ network with one NAT gateway and a pinned database tier.

Everything not set here keeps the component's secure default (flow logs for all traffic, kept
365 days in a KMS-encrypted group; the default security group locked; no public IPs by default).
"""

import pulumi

from eksplatform.components.providers import regional_aws_provider
from eksplatform.components.vpc import NatStrategy, Vpc, VpcArgs, VpcSubnets, VpcSubnetTier

config = pulumi.Config()
region = config.require("region")
cidr = config.get("cidr") or "10.60.0.0/16"

# The stack disables default providers: every resource gets this explicit one through `parent`.
aws_provider = regional_aws_provider(
    f"aws-{region}",
    region=region,
    tags={"owner": "network-team", "managed-by": "pulumi", "environment": pulumi.get_stack()},
)

network = Vpc(
    "example",
    VpcArgs(
        cidr=cidr,
        az_count=2,
        nat_strategy=NatStrategy.SINGLE,  # one NAT gateway: cheaper; production keeps one per AZ
        subnets=VpcSubnets(database=VpcSubnetTier(prefix_length=26)),
        interface_endpoints=False,
    ),
    opts=pulumi.ResourceOptions(provider=aws_provider),
)

pulumi.export("vpcId", network.vpc_id)
pulumi.export("availabilityZones", network.availability_zones)
pulumi.export("privateSubnetIds", network.private_subnet_ids)
pulumi.export("databaseSubnetIds", network.database_subnet_ids)
pulumi.export("flowLogGroupName", network.flow_log_group_name)

"""The platform program: read the stack config, build every region, export the outputs."""

import pulumi

from components.config import stack_config_from_pulumi
from components.providers import regional_aws_provider
from components.vpc import Vpc, VpcArgs

config = stack_config_from_pulumi()

vpcs = {}
for region in config.regions:
    provider = regional_aws_provider(
        f"aws-{region.name}",
        region=region.name,
        tags=config.tags,
        allowed_account_ids=config.allowed_account_ids,
    )
    vpcs[region.name] = Vpc(
        f"{region.name}-network",
        VpcArgs.from_config(region, cluster_name=f"platform-{config.environment}-{region.name}"),
        opts=pulumi.ResourceOptions(provider=provider),
    )

pulumi.export("environment", config.environment)
pulumi.export("primaryRegion", config.primary_region.name)
pulumi.export("regions", [region.name for region in config.regions])
pulumi.export(
    "networks",
    {
        name: {
            "vpcId": vpc.vpc_id,
            "publicSubnetIds": vpc.public_subnet_ids,
            "privateSubnetIds": vpc.private_subnet_ids,
            "databaseSubnetIds": vpc.database_subnet_ids,
        }
        for name, vpc in vpcs.items()
    },
)

"""The platform program: read the stack config, build every region, export the outputs."""

import pulumi

from components.config import stack_config_from_pulumi
from components.providers import regional_aws_provider

config = stack_config_from_pulumi()

providers = {
    region.name: regional_aws_provider(
        f"aws-{region.name}",
        region=region.name,
        tags=config.tags,
        allowed_account_ids=config.allowed_account_ids,
    )
    for region in config.regions
}

pulumi.export("environment", config.environment)
pulumi.export("primaryRegion", config.primary_region.name)
pulumi.export("regions", [region.name for region in config.regions])

"""An ImageRegistry on its own: ECR repositories for a region, with the region's provider."""

import pulumi

from eksplatform.components.providers import regional_aws_provider
from eksplatform.components.registry import ImageRegistry, ImageRegistryArgs

config = pulumi.Config()
region = config.require("region")

aws_provider = regional_aws_provider(
    f"aws-{region}",
    region=region,
    tags={
        "owner": "images-team",
        "cost-center": "cc-images",
        "managed-by": "pulumi",
        "environment": pulumi.get_stack(),
    },
)
images = ImageRegistry(
    "images",
    ImageRegistryArgs(
        repositories=config.require_object("repositories"),
        keep_images=30,
        # None keeps the secure default (protected); the dev stack sets false.
        protect=config.get_bool("protect"),
    ),
    opts=pulumi.ResourceOptions(providers=[aws_provider]),
)

pulumi.export("repositoryUrls", images.repository_urls)
pulumi.export("keyArn", images.key_arn)

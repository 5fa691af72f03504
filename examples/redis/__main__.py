"""The RedisCluster component on its own: a Valkey job queue in an existing VPC.

The network comes from config (a VPC id and its database subnets), so the example shows one
component. Everything not set here keeps the component's secure default: one replica with
Multi-AZ failover, encryption at rest (its own key) and TLS required, the `default` user off and
an `app` user with a generated password in Secrets Manager, `protect` on the data.
"""

import pulumi

from eksplatform.components.providers import random_provider, regional_aws_provider
from eksplatform.components.redis import RedisCluster, RedisClusterArgs, RedisPurpose

config = pulumi.Config()
region = config.require("region")

# The stack disables default providers: AWS for ElastiCache, random for the generated passwords.
aws_provider = regional_aws_provider(
    f"aws-{region}",
    region=region,
    tags={"owner": "orders-team", "managed-by": "pulumi", "environment": pulumi.get_stack()},
)

jobs = RedisCluster(
    "jobs",
    RedisClusterArgs(
        replication_group_id=f"orders-{pulumi.get_stack()}-jobs",
        purpose=RedisPurpose.QUEUE,  # noeviction, snapshots kept, a final snapshot, an eviction alarm
        node_type="cache.t4g.small",
        snapshot_retention_days=7,
        vpc_id=config.require("vpcId"),
        subnet_ids=config.require_object("subnetIds"),
        allowed_security_groups={"app": config.require("appSecurityGroupId")},
    ),
    opts=pulumi.ResourceOptions(providers=[aws_provider, random_provider()]),
)

pulumi.export("endpoint", jobs.endpoint)
pulumi.export("port", jobs.port)
pulumi.export("authSecretArn", jobs.auth_secret_arn)

"""The ManagedPostgres component on its own: an Aurora PostgreSQL cluster in an existing VPC.

The network comes from config (a VPC id, its database subnets and their zones), so the example
shows one component. Everything not set here keeps the component's secure default: deletion
protection, a final snapshot, `protect` on the data, 30 days of backups, TLS only, a
customer-managed key, IAM authentication, the master password managed in Secrets Manager.
"""

import pulumi

from eksplatform.components.postgres import ManagedPostgres, ManagedPostgresArgs, PostgresEngine
from eksplatform.components.providers import regional_aws_provider

config = pulumi.Config()
region = config.require("region")

# The stack disables default providers: every resource gets this explicit one through `parent`.
aws_provider = regional_aws_provider(
    f"aws-{region}",
    region=region,
    tags={"owner": "orders-team", "managed-by": "pulumi", "environment": pulumi.get_stack()},
)

database = ManagedPostgres(
    "orders",
    ManagedPostgresArgs(
        identifier=f"orders-{pulumi.get_stack()}",
        engine=PostgresEngine.AURORA,
        instance_class="db.r7g.large",
        engine_version="17.5",
        readers=1,  # the writer's failover target, in another zone
        vpc_id=config.require("vpcId"),
        subnet_ids=config.require_object("subnetIds"),
        availability_zones=config.require_object("availabilityZones"),
        allowed_security_groups={"app": config.require("appSecurityGroupId")},
    ),
    opts=pulumi.ResourceOptions(provider=aws_provider),
)

pulumi.export("writerEndpoint", database.writer_endpoint)
pulumi.export("readerEndpoint", database.reader_endpoint)
pulumi.export("secretArn", database.secret_arn)

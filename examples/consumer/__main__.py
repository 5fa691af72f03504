"""A consumer of the platform: everything it needs comes from the platform stack's outputs.

- its own Redis queue (`RedisCluster`) in the platform's VPC and database subnets, reachable
  only from the platform cluster's nodes;
- one more language service (OCaml) on the platform's cluster, in a namespace of its own, with
  every hardening of the platform's own pool (`LanguageServicePool` with one service).
"""

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from eksplatform.components.language_services import LanguageServicePool, LanguageServicePoolArgs, SandboxedService
from eksplatform.components.providers import random_provider, regional_aws_provider
from eksplatform.components.redis import RedisCluster, RedisClusterArgs, RedisPurpose

config = pulumi.Config()
region = config.require("region")
platform_stack = config.require("platformStack")
platform = pulumi.StackReference(platform_stack)


def platform_output(key: str) -> pulumi.Output[Any]:
    """This region's entry of a platform output, or an error that says what is missing."""

    def of_region(value: Any) -> Any:
        if value is None:
            raise pulumi.RunError(f"the platform stack {platform_stack} has no output {key!r}")
        if region not in value:
            raise pulumi.RunError(f"the platform stack {platform_stack} has no region {region!r} in {key!r}")
        return value[region]

    return platform.get_output(key).apply(of_region)  # a secret output stays secret


network = platform_output("networks")
cluster = platform_output("clusters")
kubeconfig = platform_output("kubeconfigs")

aws_provider = regional_aws_provider(
    f"aws-{region}",
    region=region,
    tags={
        "owner": "consumer-team",
        "cost-center": "cc-consumer",
        "managed-by": "pulumi",
        "environment": pulumi.get_stack(),
    },
)
jobs = RedisCluster(
    "jobs",
    RedisClusterArgs(
        purpose=RedisPurpose.QUEUE,
        replication_group_id=f"consumer-{pulumi.get_stack()}-jobs",
        node_type="cache.t4g.small",
        replicas_per_shard=1,
        vpc_id=network.apply(lambda n: str(n["vpcId"])),
        subnet_ids=network.apply(lambda n: list(n["databaseSubnetIds"])),
        allowed_security_groups={"platform-nodes": cluster.apply(lambda c: str(c["nodeSecurityGroupId"]))},
    ),
    opts=pulumi.ResourceOptions(providers=[aws_provider, random_provider()]),
)

platform_cluster = k8s.Provider("platform-cluster", kubeconfig=kubeconfig, enable_server_side_apply=True)
ocaml = LanguageServicePool(
    "ocaml",
    LanguageServicePoolArgs(
        kubernetes_version=config.require("kubernetesVersion"),
        namespace="consumer-sandbox",
        services=[
            SandboxedService(
                name="ocaml",
                image=f"{config.require('imageRegistry')}/lang-ocaml:5.2.1",
                min_replicas=1,
                max_replicas=4,
                memory_request="512Mi",
                memory_limit="512Mi",
            )
        ],
    ),
    opts=pulumi.ResourceOptions(providers=[platform_cluster]),
)

pulumi.export("queueEndpoint", jobs.endpoint)
pulumi.export("queueSecretArn", jobs.auth_secret_arn)
pulumi.export("ocamlEndpoint", ocaml.endpoints["ocaml"])

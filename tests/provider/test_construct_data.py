"""Construct, in-process under the mocks, for the network and the data stores (Vpc, ManagedPostgres,
RedisCluster): another language's camelCase inputs in, the registered children asserted.

The same path as tests/provider/test_construct.py: `ComponentProvider.construct` maps the schema's
names to the Args' fields and calls `Component(name, dict, opts)`; `to_args` rebuilds the Args
(nested types from dicts, enums from strings), so validation is the Python callers'.
"""

from collections.abc import Mapping
from typing import Any

import pulumi
import pytest
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.server import ComponentInitError

from eksplatform.components.providers import random_provider, regional_aws_provider
from eksplatform.preflight.synth import Graph
from tests.conftest import Harness

TAGS = {"environment": "prod", "owner": "o", "cost-center": "c", "managed-by": "pulumi"}


def construct(
    harness: Harness, provider: ComponentProvider, token: str, inputs: dict[str, Any]
) -> tuple[Graph, Mapping[str, Any]]:
    states: list[Mapping[str, Any]] = []

    def program() -> None:
        aws_provider = regional_aws_provider("aws-us-east-1", region="us-east-1", tags=TAGS)
        opts = pulumi.ResourceOptions(providers=[aws_provider, random_provider()])
        states.append(provider.construct("x", token, inputs, opts).state)

    graph = harness.run(program)
    return graph, states[0]


def test_a_vpc_from_another_language_plans_its_nested_subnet_layout(
    harness: Harness, provider: ComponentProvider
) -> None:
    inputs = {
        "cidr": "10.40.0.0/16",
        "azCount": 2,
        "natStrategy": "single",
        "subnets": {"database": {"cidrs": ["10.40.250.0/26", "10.40.250.64/26"]}},
        "flowLogRetentionDays": 90,
    }
    graph, state = construct(harness, provider, "platform:index:Vpc", inputs)
    component = graph.one("platform:index:Vpc", "x")
    subnets = {s.name: s.inputs for s in graph.by_type("aws:ec2/subnet:Subnet")}
    assert subnets["x-database-az1"]["cidrBlock"] == "10.40.250.0/26"
    assert subnets["x-database-az2"]["cidrBlock"] == "10.40.250.64/26"
    assert len(subnets) == 6
    assert [g.name for g in graph.by_type("aws:ec2/natGateway:NatGateway")] == ["x-nat-az1"]
    assert graph.one("aws:cloudwatch/logGroup:LogGroup").inputs["retentionInDays"] == 90
    assert all(r.parent == component.urn for r in graph.by_type("aws:ec2/subnet:Subnet"))
    assert {"vpcId", "privateSubnetIds", "databaseSubnetIds", "flowLogGroupName"} <= set(state)


def test_a_postgres_from_another_language_takes_its_engine_by_name(
    harness: Harness, provider: ComponentProvider
) -> None:
    inputs = {
        "identifier": "orders-db",
        "engine": "aurora",
        "instanceClass": "db.r7g.large",
        "vpcId": "vpc-1",
        "subnetIds": ["subnet-1", "subnet-2"],
        "availabilityZones": ["us-east-1a", "us-east-1b"],
        "readers": 2,
        "allowedSecurityGroups": {"app": "sg-0app"},
    }
    graph, state = construct(harness, provider, "platform:index:ManagedPostgres", inputs)
    cluster = graph.one("aws:rds/cluster:Cluster")
    assert cluster.inputs["engine"] == "aurora-postgresql"
    assert cluster.inputs["deletionProtection"] is True  # the secure default
    assert cluster.inputs["backupRetentionPeriod"] == 30
    assert cluster.protect and cluster.retain_on_delete  # keep_data defaults to production's
    assert len(graph.by_type("aws:rds/clusterInstance:ClusterInstance")) == 3
    assert {"writerEndpoint", "readerEndpoint", "secretArn", "securityGroupId"} <= set(state)


def test_a_redis_from_another_language_joins_a_global_datastore_from_a_nested_map(
    harness: Harness, provider: ComponentProvider
) -> None:
    inputs = {
        "replicationGroupId": "orders-queue",
        "purpose": "queue",
        "nodeType": "cache.r7g.large",
        "vpcId": "vpc-1",
        "subnetIds": ["subnet-1", "subnet-2"],
        "globalDatastore": {"role": "primary", "suffix": "orders-queue"},
    }
    graph, state = construct(harness, provider, "platform:index:RedisCluster", inputs)
    group = graph.one("aws:elasticache/replicationGroup:ReplicationGroup")
    assert group.inputs["tags"]["purpose"] == "queue"
    assert group.inputs["multiAzEnabled"] is True  # one replica per shard by default
    glob = graph.one("aws:elasticache/globalReplicationGroup:GlobalReplicationGroup")
    assert glob.inputs["globalReplicationGroupIdSuffix"] == "orders-queue"
    assert {"endpoint", "port", "authSecretArn", "globalReplicationGroupId"} <= set(state)


@pytest.mark.parametrize(
    ("token", "inputs", "message"),
    [
        ("platform:index:Vpc", {"cidr": "10.40.0.0/16", "azCount": 7}, r"^args\.azCount: 7 must be 1 to 6$"),
        (
            "platform:index:ManagedPostgres",
            {
                "identifier": "orders-db",
                "engine": "rds",
                "instanceClass": "db.r7g.large",
                "vpcId": "v",
                "subnetIds": [],
                "availabilityZones": [],
                "readers": 1,
            },
            r"^args\.readers: not for engine rds",
        ),
        (
            "platform:index:RedisCluster",
            {
                "replicationGroupId": "orders-queue",
                "purpose": "queue",
                "nodeType": "cache.r7g.large",
                "vpcId": "v",
                "subnetIds": [],
                "globalDatastore": {"role": "secondary"},
            },
            r"^args\.globalDatastore\.globalReplicationGroupId: a secondary needs it",
        ),
    ],
    ids=["vpc", "postgres", "redis"],
)
def test_bad_inputs_reach_the_caller_by_field(
    provider: ComponentProvider, token: str, inputs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ComponentInitError, match=message):
        provider.construct("x", token, inputs, None)

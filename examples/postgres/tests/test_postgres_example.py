"""The ManagedPostgres example, run under the mocks: what it would register."""

from pathlib import Path

import pytest

from eksplatform.preflight.synth import Graph, synth
from eksplatform.stack.loading import read_stack_file

EXAMPLE = Path(__file__).resolve().parents[1]
PROJECT = "platform-postgres-example"
CONFIG = read_stack_file(EXAMPLE / "Pulumi.dev.yaml")


@pytest.fixture(scope="module")
def graph() -> Graph:
    return synth("dev", project_dir=EXAMPLE)


def test_an_aurora_cluster_with_a_writer_and_a_reader_in_two_zones(graph: Graph) -> None:
    cluster = graph.one("aws:rds/cluster:Cluster")
    assert (cluster.inputs["clusterIdentifier"], cluster.inputs["engine"]) == ("orders-dev", "aurora-postgresql")
    assert cluster.inputs["engineVersion"] == "17.5"
    instances = sorted(graph.by_type("aws:rds/clusterInstance:ClusterInstance"), key=lambda i: i.name)
    assert [i.inputs["availabilityZone"] for i in instances] == ["eu-west-1a", "eu-west-1b"]
    assert all(i.inputs["publiclyAccessible"] is False for i in instances)
    subnets = graph.one("aws:rds/subnetGroup:SubnetGroup")
    assert subnets.inputs["subnetIds"] == CONFIG[f"{PROJECT}:subnetIds"]


def test_the_secure_defaults_it_does_not_set(graph: Graph) -> None:
    cluster = graph.one("aws:rds/cluster:Cluster")
    assert cluster.inputs["deletionProtection"] is True
    assert cluster.inputs["finalSnapshotIdentifier"] == "orders-dev-final"
    assert cluster.inputs["backupRetentionPeriod"] == 30
    assert cluster.inputs["storageEncrypted"] is True and cluster.inputs["manageMasterUserPassword"] is True
    assert cluster.protect and cluster.retain_on_delete


def test_only_the_app_security_group_may_connect(graph: Graph) -> None:
    (rule,) = graph.by_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert rule.inputs["referencedSecurityGroupId"] == CONFIG[f"{PROJECT}:appSecurityGroupId"]
    assert (rule.inputs["fromPort"], rule.inputs["toPort"]) == (5432, 5432)
    group = graph.one("aws:ec2/securityGroup:SecurityGroup")
    assert group.inputs["vpcId"] == CONFIG[f"{PROJECT}:vpcId"]


def test_every_resource_uses_the_explicit_provider(graph: Graph) -> None:
    provider = graph.one("pulumi:providers:aws")
    for registration in graph:
        if registration.custom and registration.type.startswith("aws:"):
            assert registration.provider_urn == provider.urn, registration.urn
    assert graph.outputs["writerEndpoint"].value == graph.one("aws:rds/cluster:Cluster").outputs["endpoint"]

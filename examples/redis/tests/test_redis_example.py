"""The RedisCluster example, run under the mocks: what it would register."""

from pathlib import Path

import pytest

from eksplatform.preflight.synth import Graph, synth
from eksplatform.stack.loading import read_stack_file

EXAMPLE = Path(__file__).resolve().parents[1]
PROJECT = "platform-redis-example"
CONFIG = read_stack_file(EXAMPLE / "Pulumi.dev.yaml")


@pytest.fixture(scope="module")
def graph() -> Graph:
    return synth("dev", project_dir=EXAMPLE)


def test_a_queue_that_never_evicts_and_keeps_its_snapshots(graph: Graph) -> None:
    group = graph.one("aws:elasticache/replicationGroup:ReplicationGroup")
    assert group.inputs["replicationGroupId"] == "orders-dev-jobs"
    assert (group.inputs["engine"], group.inputs["nodeType"]) == ("valkey", "cache.t4g.small")
    assert group.inputs["snapshotRetentionLimit"] == 7
    assert group.inputs["finalSnapshotIdentifier"] == "orders-dev-jobs-final"
    parameters = graph.one("aws:elasticache/parameterGroup:ParameterGroup").inputs["parameters"]
    assert {"name": "maxmemory-policy", "value": "noeviction"} in parameters


def test_the_secure_defaults_it_does_not_set(graph: Graph) -> None:
    group = graph.one("aws:elasticache/replicationGroup:ReplicationGroup")
    assert group.inputs["numCacheClusters"] == 2  # one replica
    assert group.inputs["multiAzEnabled"] is True and group.inputs["automaticFailoverEnabled"] is True
    assert group.inputs["atRestEncryptionEnabled"] is True and group.inputs["transitEncryptionMode"] == "required"
    assert group.protect and group.retain_on_delete
    users = {u.inputs["userName"]: u.inputs for u in graph.by_type("aws:elasticache/user:User")}
    assert users["default"]["accessString"] == "off -@all"


def test_only_the_app_security_group_may_connect_in_the_given_subnets(graph: Graph) -> None:
    (rule,) = graph.by_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert rule.inputs["referencedSecurityGroupId"] == CONFIG[f"{PROJECT}:appSecurityGroupId"]
    subnets = graph.one("aws:elasticache/subnetGroup:SubnetGroup")
    assert subnets.inputs["subnetIds"] == CONFIG[f"{PROJECT}:subnetIds"]


def test_every_resource_uses_its_explicit_provider(graph: Graph) -> None:
    providers = {p.type.split(":")[-1]: p.urn for p in graph if p.type.startswith("pulumi:providers:")}
    for registration in graph:
        if registration.custom and not registration.type.startswith("pulumi:"):
            assert registration.provider_urn == providers[registration.type.split(":")[0]], registration.urn
    assert graph.outputs["port"].value == 6379

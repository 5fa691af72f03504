"""The consumer example, run under the mocks against the real dev platform stack's outputs."""

from __future__ import annotations

import ast
import runpy
from pathlib import Path

import pytest

from eksplatform.preflight.synth import Graph, StackOutput, run_program, synth

CONSUMER = Path(__file__).resolve().parents[1]
PLATFORM_STACK = "acme/platform/dev"
CONFIG = {
    "platform-consumer:platformStack": PLATFORM_STACK,
    "platform-consumer:region": "us-east-1",
    "platform-consumer:kubernetesVersion": "1.34",
    "platform-consumer:imageRegistry": "111111111111.dkr.ecr.us-east-1.amazonaws.com/consumer",
}


def run_consumer(platform_outputs: dict[str, StackOutput]) -> Graph:
    return run_program(
        lambda: runpy.run_path(str(CONSUMER / "__main__.py"), run_name="__main__"),
        project="platform-consumer",
        stack="dev",
        config=CONFIG,
        stack_references={PLATFORM_STACK: platform_outputs},
    )


@pytest.fixture(scope="module")
def platform_outputs() -> dict[str, StackOutput]:
    return synth("dev").outputs


@pytest.fixture(scope="module")
def consumer(platform_outputs: dict[str, StackOutput]) -> Graph:
    return run_consumer(platform_outputs)


def test_it_reads_the_platform_through_a_stack_reference(consumer: Graph) -> None:
    reference = consumer.one("pulumi:pulumi:StackReference")
    assert reference.inputs["name"] == PLATFORM_STACK
    assert "kubeconfigs" in reference.outputs["secretOutputNames"]


def test_its_queue_lives_in_the_platforms_vpc_and_admits_only_its_nodes(
    consumer: Graph, platform_outputs: dict[str, StackOutput]
) -> None:
    network = platform_outputs["networks"].value["us-east-1"]
    nodes = platform_outputs["clusters"].value["us-east-1"]["nodeSecurityGroupId"]
    group = consumer.one("aws:elasticache/replicationGroup:ReplicationGroup")
    assert group.inputs["replicationGroupId"] == "consumer-dev-jobs"
    assert group.inputs["transitEncryptionMode"] == "required"
    subnets = consumer.one("aws:elasticache/subnetGroup:SubnetGroup")
    assert subnets.inputs["subnetIds"] == network["databaseSubnetIds"]
    security_group = consumer.one("aws:ec2/securityGroup:SecurityGroup")
    assert security_group.inputs["vpcId"] == network["vpcId"]
    (rule,) = consumer.by_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert rule.inputs["referencedSecurityGroupId"] == nodes
    assert consumer.outputs["queueEndpoint"].value == group.outputs["primaryEndpointAddress"]


def test_its_language_service_runs_on_the_platforms_cluster(
    consumer: Graph, platform_outputs: dict[str, StackOutput]
) -> None:
    provider = consumer.one("pulumi:providers:kubernetes")
    assert provider.inputs["kubeconfig"] == platform_outputs["kubeconfigs"].value["us-east-1"]
    (deployment,) = consumer.by_type("kubernetes:apps/v1:Deployment")
    pod = deployment.inputs["spec"]["template"]["spec"]
    assert pod["containers"][0]["image"] == CONFIG["platform-consumer:imageRegistry"] + "/lang-ocaml:5.2.1"
    assert deployment.inputs["metadata"]["namespace"] == "consumer-sandbox"
    namespace = consumer.one("kubernetes:core/v1:Namespace")
    assert namespace.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for registration in consumer:
        if registration.custom and registration.type.startswith("kubernetes:"):
            assert registration.provider_urn == provider.urn, registration.urn
    endpoint = consumer.outputs["ocamlEndpoint"].value
    assert endpoint == "http://lang-ocaml.consumer-sandbox.svc.cluster.local:8080"


def test_the_kubeconfig_stays_secret(consumer: Graph, platform_outputs: dict[str, StackOutput]) -> None:
    kubeconfig = platform_outputs["kubeconfigs"].value["us-east-1"]
    provider = consumer.one("pulumi:providers:kubernetes")
    assert provider.inputs_with_secrets["kubeconfig"] != kubeconfig  # wrapped as a secret
    assert all(kubeconfig not in str(output.value) for output in consumer.outputs.values())


def test_every_resource_names_an_explicit_provider(consumer: Graph) -> None:
    providers = {r.urn for r in consumer if r.is_provider}
    for registration in consumer.resources:
        if registration.custom and not registration.is_provider and registration.type != "pulumi:pulumi:StackReference":
            assert registration.provider_urn in providers, registration.urn


def test_it_uses_only_the_public_components_api() -> None:
    tree = ast.parse((CONSUMER / "__main__.py").read_text())
    modules = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)} | {
        alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }
    assert {m.split(".")[0] for m in modules} <= {"typing", "pulumi", "pulumi_kubernetes", "eksplatform"}
    assert not any(
        name.startswith("_")
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for name in (alias.name for alias in node.names)
    )


def test_a_platform_without_a_needed_output_fails_clearly(platform_outputs: dict[str, StackOutput]) -> None:
    missing = {name: output for name, output in platform_outputs.items() if name != "networks"}
    with pytest.raises(Exception, match="the platform stack acme/platform/dev has no output 'networks'"):
        run_consumer(missing)


def test_a_region_the_platform_does_not_have_fails_clearly(platform_outputs: dict[str, StackOutput]) -> None:
    config = {**CONFIG, "platform-consumer:region": "eu-west-1"}
    with pytest.raises(Exception, match=r"has no region 'eu-west-1' in '(networks|clusters|kubeconfigs)'"):
        run_program(
            lambda: runpy.run_path(str(CONSUMER / "__main__.py"), run_name="__main__"),
            project="platform-consumer",
            stack="dev",
            config=config,
            stack_references={PLATFORM_STACK: platform_outputs},
        )

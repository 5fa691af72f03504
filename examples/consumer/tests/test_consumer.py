"""The consumer example, run under the mocks against the dev platform stack's outputs.

The outputs come from platform-dev.json, a `pulumi stack export --show-secrets` of the platform's
dev stack as preflight synthesizes it (the repository's tests/preflight/test_project_dir.py keeps
it equal to a fresh synth), so these tests also run where only the installed wheel is: CI copies
this folder out of the checkout and runs them there (.ci/wheel.sh).
"""

from __future__ import annotations

import ast
import json
import runpy
from pathlib import Path

import pytest

from eksplatform.preflight.__main__ import main as preflight
from eksplatform.preflight.stack_reference import parse
from eksplatform.preflight.synth import Graph, StackOutput, run_program

CONSUMER = Path(__file__).resolve().parents[1]
PLATFORM_EXPORT = CONSUMER / "platform-dev.json"
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
    return parse(f"{PLATFORM_STACK}={PLATFORM_EXPORT}")[1]


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


def test_preflight_runs_this_program_and_the_policy_pack_over_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`eksplatform-preflight --project-dir examples/consumer --stack-reference ... dev`, in-process."""
    report = tmp_path / "report.json"
    status = preflight(
        [
            "--project-dir",
            str(CONSUMER),
            "--stack-reference",
            f"{PLATFORM_STACK}={PLATFORM_EXPORT}",
            "dev",
            "--format",
            "json",
            "--output",
            str(report),
        ]
    )
    err = capsys.readouterr().err
    assert status == 0, err
    document = json.loads(report.read_text())
    assert (document["project"], document["stack"]) == ("platform-consumer", "dev")
    types = {resource["type"] for resource in document["resources"]}
    assert "aws:elasticache/replicationGroup:ReplicationGroup" in types
    assert "kubernetes:apps/v1:Deployment" in types
    # the pack installed with eksplatform ran: its per-resource policies judged this program
    (pack,) = document["policyPacks"]
    assert pack["name"] == "platform" and len(pack["policies"]) > 50
    assert document["summary"]["violations"]["mandatory"] == 0
    # its own policy config (policies/config/dev.json here), not the platform's dev one
    assert "policy config: policies/config/dev.json" in err
    assert document["policyConfig"] == "policies/config/dev.json"
    assert "the documented defaults (no usage/dev.yaml)" in err


def test_without_its_policy_config_the_packs_defaults_apply_not_the_platforms_dev_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A copy without policies/config/ whose queue keeps its logs 30 days: the pack's defaults (a
    year of logs) judge it, and the platform's own config/dev.json (14 days for the platform's
    dev) does not leak into it. (The queue's own default is a year: the edit makes the difference.)"""
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        (tmp_path / name).write_text((CONSUMER / name).read_text())
    program = (CONSUMER / "__main__.py").read_text()
    shorter = program.replace(
        "        replicas_per_shard=1,\n", "        replicas_per_shard=1,\n        log_retention_days=30,\n", 1
    )
    assert shorter != program, "the queue's arguments moved: update this edit"
    (tmp_path / "__main__.py").write_text(shorter)
    status = preflight(
        ["--project-dir", str(tmp_path), "--stack-reference", f"{PLATFORM_STACK}={PLATFORM_EXPORT}", "dev"]
    )
    out, err = capsys.readouterr()
    assert status == 1, err
    assert "has no policy config (policies/config/dev.json)" in err
    assert "[data-cloudwatch-log-retention]" in out and "at least 365" in out

"""The language-services example, run under the mocks with its dev stack's config."""

from pathlib import Path

import pytest

from eksplatform.preflight.synth import Graph, synth
from eksplatform.stack.loading import read_stack_file

EXAMPLE = Path(__file__).resolve().parents[1]
PROJECT = "language-services-example"


@pytest.fixture(scope="module")
def example() -> Graph:
    return synth("dev", project_dir=EXAMPLE)


def test_it_runs_two_services_in_its_namespace(example: Graph) -> None:
    deployments = {d.inputs["metadata"]["name"]: d for d in example.by_type("kubernetes:apps/v1:Deployment")}
    assert sorted(deployments) == ["lang-c", "lang-python"]
    registry = read_stack_file(EXAMPLE / "Pulumi.dev.yaml")[f"{PROJECT}:imageRegistry"]
    python = deployments["lang-python"].inputs["spec"]
    assert python["template"]["spec"]["containers"][0]["image"] == f"{registry}/lang-python:3.13.1"
    assert python["replicas"] == 2
    assert all(d.inputs["metadata"]["namespace"] == "languages" for d in deployments.values())
    assert example.outputs["endpoints"].value == {
        "python": "http://lang-python.languages.svc.cluster.local:8080",
        "c": "http://lang-c.languages.svc.cluster.local:8080",
    }


def test_it_keeps_the_secure_defaults(example: Graph) -> None:
    for deployment in example.by_type("kubernetes:apps/v1:Deployment"):
        pod = deployment.inputs["spec"]["template"]["spec"]
        assert pod["runtimeClassName"] == "gvisor"
        assert pod["automountServiceAccountToken"] is False
    namespace = example.one("kubernetes:core/v1:Namespace")
    assert namespace.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    policies = [p.inputs["spec"] for p in example.by_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")]
    assert [rule for spec in policies for rule in spec.get("egress", [])] == []  # no DNS, no egress


def test_every_kubernetes_object_uses_the_clusters_provider(example: Graph) -> None:
    cluster = example.one("pulumi:providers:kubernetes")
    objects = [r for r in example if r.custom and r.type.startswith("kubernetes:") and not r.is_provider]
    assert len(objects) == 1 + 3 + 2 * 6
    assert all(r.provider_urn == cluster.urn for r in objects)


def test_the_kubeconfig_stays_secret(example: Graph) -> None:
    cluster = example.one("pulumi:providers:kubernetes")
    assert cluster.inputs_with_secrets["kubeconfig"] != cluster.inputs["kubeconfig"]

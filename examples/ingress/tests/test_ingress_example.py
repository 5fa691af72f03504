"""The ingress example, run under the mocks with its dev stack's config."""

from pathlib import Path

import pytest

from eksplatform.preflight.synth import Graph, synth

EXAMPLE = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def example() -> Graph:
    return synth("dev", project_dir=EXAMPLE)


def test_the_certificate_covers_both_names_in_the_given_zone(example: Graph) -> None:
    certificate = example.one("aws:acm/certificate:Certificate")
    assert certificate.inputs["domainName"] == "api.edge.example.com"
    assert certificate.inputs["subjectAlternativeNames"] == ["primary.edge.example.com"]
    records = [r for r in example.by_type("aws:route53/record:Record") if "validation" in r.name]
    assert len(records) == 2 and all(r.inputs["zoneId"] == "Z0123456789EXAMPLE" for r in records)


def test_the_nlb_goes_in_the_given_public_subnets(example: Graph) -> None:
    (service,) = [
        s for s in example.by_type("kubernetes:core/v1:Service") if s.inputs["spec"]["type"] == "LoadBalancer"
    ]
    annotations = service.inputs["metadata"]["annotations"]
    prefix = "service.beta.kubernetes.io/aws-load-balancer-"
    assert annotations[f"{prefix}subnets"] == "subnet-0aaaaaaaaaaaaaaaa,subnet-0bbbbbbbbbbbbbbbb"
    assert annotations[f"{prefix}scheme"] == "internet-facing"
    traefik = next(
        p for p in example.by_type("kubernetes:networking.k8s.io/v1:NetworkPolicy") if p.name == "edge-traefik"
    )
    sources = [peer["ipBlock"]["cidr"] for peer in traefik.inputs["spec"]["ingress"][0]["from"]]
    assert sources == ["10.20.0.0/24", "10.20.1.0/24"]
    assert example.outputs["hostname"].value


def test_aws_parts_use_the_regions_provider_and_kubernetes_parts_the_clusters(example: Graph) -> None:
    aws_provider = example.one("pulumi:providers:aws")
    cluster = example.one("pulumi:providers:kubernetes")
    assert aws_provider.inputs["region"] == "us-east-1"
    custom = [r for r in example if r.custom and not r.is_provider]
    assert custom
    for registration in custom:
        expected = aws_provider if registration.type.startswith("aws:") else cluster
        assert registration.provider_urn == expected.urn, registration.urn


def test_it_keeps_the_defaults_two_pods_and_the_ingress_namespace(example: Graph) -> None:
    (traefik,) = [r for r in example.by_type("kubernetes:helm.sh/v3:Release") if r.inputs["chart"] == "traefik"]
    assert traefik.inputs["namespace"] == "ingress"
    assert traefik.inputs["values"]["deployment"]["replicas"] == 2
    assert traefik.inputs["values"]["providers"]["kubernetesIngress"]["namespaces"] == ["ingress", "backend"]
    assert example.outputs["healthPath"].value == "/healthz"

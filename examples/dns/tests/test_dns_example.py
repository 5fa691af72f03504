"""The dns example, run under the mocks with its dev stack's config."""

from pathlib import Path

import pytest

from eksplatform.preflight.synth import Graph, synth
from eksplatform.stack.loading import read_stack_file

EXAMPLE = Path(__file__).resolve().parents[1]
PROJECT = "dns-example"


@pytest.fixture(scope="module")
def example() -> Graph:
    return synth("dev", project_dir=EXAMPLE)


def test_api_goes_to_the_nearest_healthy_entry(example: Graph) -> None:
    records = {r.name: r.inputs for r in example.by_type("aws:route53/record:Record")}
    checks = {r.name: r for r in example.by_type("aws:route53/healthCheck:HealthCheck")}
    latency = records["names-eu-west-1-latency"]
    assert latency["name"] == "api.run.example.com" and latency["type"] == "CNAME"
    assert latency["records"] == ["edge-euw1-0123456789.elb.eu-west-1.amazonaws.com"]
    assert latency["latencyRoutingPolicies"] == [{"region": "eu-west-1"}]
    assert latency["healthCheckId"] == checks["names-eu-west-1-health"].id
    entry = checks["names-eu-west-1-health"].inputs
    assert (entry["type"], entry["resourcePath"], entry["fqdn"]) == ("HTTPS", "/healthz", latency["records"][0])
    assert example.outputs["latencyName"].value == "api.run.example.com"


def test_primary_follows_the_writer_alarms(example: Graph) -> None:
    checks = {r.name: r.inputs for r in example.by_type("aws:route53/healthCheck:HealthCheck")}
    writer = checks["names-us-east-1-writer"]
    assert writer["type"] == "CLOUDWATCH_METRIC"
    assert writer["cloudwatchAlarmName"] == "platform-dev-us-east-1-database-writer-1a2b3c4d"
    assert writer["cloudwatchAlarmRegion"] == "us-east-1"
    records = {r.name: r.inputs for r in example.by_type("aws:route53/record:Record")}
    assert records["names-us-east-1-writer"]["name"] == "primary.run.example.com"
    assert len(records) == 4 and len(checks) == 4


def test_every_resource_uses_the_given_provider(example: Graph) -> None:
    provider = example.one("pulumi:providers:aws")
    assert all(r.provider_urn == provider.urn for r in example if r.custom and not r.is_provider)


def test_a_primary_region_without_an_entry_is_named_by_field() -> None:
    values = {**read_stack_file(EXAMPLE / "Pulumi.dev.yaml"), f"{PROJECT}:primaryRegion": "ap-southeast-1"}
    with pytest.raises(Exception, match=r"args\.primary_region: 'ap-southeast-1' is not among"):
        synth("dev", project_dir=EXAMPLE, stack_values=values)

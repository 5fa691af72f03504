"""Region, Platform, GlobalDns and PublicIngress: what the composition registers."""

from __future__ import annotations

import copy
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest

from components.config import parse_stack_config
from components.dns import DnsArgsError, GlobalDnsArgs
from components.ingress import CHART_VERSION, IngressArgsError, PublicIngress, PublicIngressArgs
from components.platform import Platform
from policies.pod_security import violations
from preflight.mocks import Registration
from preflight.synth import Graph
from tests.components.test_config import namespace_values
from tests.conftest import Harness, synthesized
from tests.helpers import out

HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"
RECORD = "aws:route53/record:Record"


def region_of(graph: Graph, registration: Registration) -> str | None:
    """The Region component a resource belongs to (None for the platform-wide parts)."""
    for ancestor in graph.ancestors(registration):
        if ancestor.type == "platform:index:Region":
            return ancestor.name
    return None


# --- Region --------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_resource_of_a_region_uses_that_regions_providers(stack: str) -> None:
    graph = synthesized(stack)
    aws_providers = {p.urn: p for p in graph.by_type("pulumi:providers:aws")}
    kubernetes_providers = {p.urn: p for p in graph.by_type("pulumi:providers:kubernetes")}
    random_provider = graph.one("pulumi:providers:random")
    checked = 0
    for registration in graph.resources:
        if not registration.custom or registration.is_provider:
            continue
        region = region_of(graph, registration)
        provider = registration.provider_urn
        if registration.type.startswith("kubernetes:"):
            # The cluster's own provider, created inside the same region.
            assert region_of(graph, graph.get(kubernetes_providers[provider].urn)) == region, registration.urn
        elif registration.type.startswith("random:"):
            assert provider == random_provider.urn
        elif region is not None:
            assert aws_providers[provider].inputs["region"] == region, registration.urn
        else:  # the global parts (DNS) use the primary region's provider
            assert aws_providers[provider].inputs["region"] == "us-east-1", registration.urn
        checked += 1
    assert checked > 150


def test_each_region_owns_its_provider_and_components() -> None:
    graph = synthesized("prod")
    for region in graph.by_type("platform:index:Region"):
        children = {child.type: child for child in graph.children(region)}
        assert children["pulumi:providers:aws"].name == f"aws-{region.name}"
        for component in ("Vpc", "Cluster", "ManagedPostgres", "LanguageServicePool", "PublicIngress"):
            assert f"platform:index:{component}" in children
        redis = [c.name for c in graph.children(region) if c.type == "platform:index:RedisCluster"]
        assert sorted(redis) == [f"{region.name}-redis-cache", f"{region.name}-redis-queue"]
        assert graph.get(region.parent).type == "platform:index:Platform"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_data_stores_admit_only_their_regions_nodes(stack: str) -> None:
    graph = synthesized(stack)
    node_groups = {
        c.name.removesuffix("-cluster"): c.outputs["nodeSecurityGroupId"]
        for c in graph.by_type("platform:index:Cluster")
    }
    rules = [
        r
        for r in graph.by_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.inputs.get("fromPort") in (5432, 6379) and "-proxy" not in r.name and not r.name.endswith("-from-proxy")
    ]
    assert len(rules) == 3 * len(node_groups)  # postgres, cache, queue
    for rule in rules:
        region = region_of(graph, rule)
        assert region is not None
        assert rule.inputs["referencedSecurityGroupId"] == node_groups[region], rule.urn


# --- PublicIngress -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ingress() -> Graph:
    def program() -> None:
        provider = k8s.Provider("edge-cluster", kubeconfig="{}")
        entry = PublicIngress("edge", PublicIngressArgs(provider, kubernetes_version="1.34"))
        pulumi.export("hostname", entry.hostname)

    return Harness().run(program)


def test_ingress_is_a_pinned_hardened_traefik(ingress: Graph) -> None:
    namespace = ingress.one("kubernetes:core/v1:Namespace")
    assert namespace.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert namespace.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce-version"] == "v1.34"
    release = ingress.one("kubernetes:helm.sh/v3:Release")
    assert (release.inputs["chart"], release.inputs["version"]) == ("traefik", CHART_VERSION)
    assert release.inputs["repositoryOpts"] == {"repo": "https://traefik.github.io/charts"}
    assert release.inputs["namespace"] == "ingress" and release.inputs["atomic"] is True
    assert namespace.urn in release.dependencies
    values = release.inputs["values"]
    assert values["service"] == {"enabled": False}
    assert values["api"] == {"dashboard": False}
    assert values["ingressRoute"]["healthcheck"]["entryPoints"] == ["websecure"]
    assert values["deployment"]["replicas"] == 2
    assert values["podDisruptionBudget"] == {"enabled": True, "maxUnavailable": 1}
    assert values["nodeSelector"] == {"platform/node-group": "system"}
    # The pod the chart renders from these values passes Pod Security restricted.
    pod = {
        "securityContext": values["podSecurityContext"],
        "containers": [{"name": "traefik", "securityContext": values["securityContext"]}],
    }
    assert violations({}, pod) == []


def test_ingress_is_reached_through_an_nlb_on_443_only(ingress: Graph) -> None:
    service = ingress.one("kubernetes:core/v1:Service")
    release = ingress.one("kubernetes:helm.sh/v3:Release")
    spec = service.inputs["spec"]
    assert spec["type"] == "LoadBalancer"
    assert service.inputs["metadata"]["annotations"]["service.beta.kubernetes.io/aws-load-balancer-type"] == "nlb"
    assert spec["externalTrafficPolicy"] == "Local"
    assert spec["ports"] == [{"name": "https", "port": 443, "targetPort": "websecure", "protocol": "TCP"}]
    assert spec["selector"] == {"app.kubernetes.io/name": "traefik", "app.kubernetes.io/instance": "traefik-ingress"}
    assert release.urn in service.dependencies
    hostname = service.outputs["status"]["loadBalancer"]["ingress"][0]["hostname"]
    assert out(ingress, "hostname") == hostname and hostname.endswith(".elb.amazonaws.com")


def test_ingress_arguments_are_checked() -> None:
    with pytest.raises(IngressArgsError, match="replicas 0"):
        PublicIngressArgs(kubernetes_provider=Any, kubernetes_version="1.34", replicas=0)  # type: ignore[arg-type]


# --- Platform and GlobalDns ----------------------------------------------------------------


def test_prod_health_checks_detect_an_outage_within_30_seconds() -> None:
    graph = synthesized("prod")
    checks = {c.name.removeprefix("platform-dns-").removesuffix("-health"): c for c in graph.by_type(HEALTH_CHECK)}
    hostnames = out(graph, "ingress")
    assert sorted(checks) == sorted(["us-east-1", "eu-west-1", "ap-southeast-1"])
    for region, check in checks.items():
        inputs = check.inputs
        assert (inputs["type"], inputs["port"], inputs["resourcePath"]) == ("HTTPS", 443, "/ping")
        assert inputs["requestInterval"] * inputs["failureThreshold"] <= 30
        assert (inputs["requestInterval"], inputs["failureThreshold"]) == (10, 3)
        assert inputs["fqdn"] == hostnames[region]["hostname"]
        assert inputs["enableSni"] is True


def test_prod_latency_records_leave_out_unhealthy_regions() -> None:
    graph = synthesized("prod")
    zone = graph.one("aws:route53/zone:Zone")
    assert zone.inputs["name"] == "run.example.com"
    checks = {c.name.removeprefix("platform-dns-").removesuffix("-health"): c for c in graph.by_type(HEALTH_CHECK)}
    latency = [r for r in graph.by_type(RECORD) if r.name.endswith("-latency")]
    assert len(latency) == 3
    hostnames = out(graph, "ingress")
    for record in latency:
        region = record.inputs["setIdentifier"]
        assert record.inputs["name"] == "api.run.example.com"
        assert record.inputs["zoneId"] == zone.outputs["zoneId"]
        assert record.inputs["latencyRoutingPolicies"] == [{"region": region}]
        assert record.inputs["healthCheckId"] == checks[region].id
        assert record.inputs["records"] == [hostnames[region]["hostname"]]
        assert (record.inputs["type"], record.inputs["ttl"]) == ("CNAME", 60)


def test_prod_failover_pair_prefers_the_primary() -> None:
    graph = synthesized("prod")
    checks = {c.name.removeprefix("platform-dns-").removesuffix("-health"): c for c in graph.by_type(HEALTH_CHECK)}
    pair = {r.inputs["failoverRoutingPolicies"][0]["type"]: r for r in graph.by_type(RECORD) if "failover" in r.name}
    assert set(pair) == {"PRIMARY", "SECONDARY"}
    assert pair["PRIMARY"].inputs["healthCheckId"] == checks["us-east-1"].id
    assert pair["SECONDARY"].inputs["healthCheckId"] == checks["eu-west-1"].id
    assert {r.inputs["name"] for r in pair.values()} == {"primary.run.example.com"}
    dns = out(graph, "dns")
    assert (dns["latencyName"], dns["failoverName"]) == ("api.run.example.com", "primary.run.example.com")
    assert len(dns["nameServers"]) == 4


def test_dev_has_one_region_and_no_global_parts() -> None:
    graph = synthesized("dev")
    assert [r.name for r in graph.by_type("platform:index:Region")] == ["us-east-1"]
    for absent in (
        "platform:index:GlobalDns",
        "aws:route53/zone:Zone",
        HEALTH_CHECK,
        RECORD,
        "aws:rds/globalCluster:GlobalCluster",
        "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup",
    ):
        assert not graph.by_type(absent), absent
    assert "dns" not in graph.outputs and "globalDatabase" not in graph.outputs


def prod_with(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(namespace_values("prod"))
    data.update(changes)
    return data


def test_an_existing_hosted_zone_is_used_instead_of_a_new_one(harness: Harness) -> None:
    config = parse_stack_config(prod_with(dns={"domain": "run.example.com", "hostedZoneId": "Z0123456789ABC"}))
    graph = harness.run(lambda: Platform("platform", config), stack="prod")
    assert not graph.by_type("aws:route53/zone:Zone")
    assert {r.inputs["zoneId"] for r in graph.by_type(RECORD)} == {"Z0123456789ABC"}


def test_the_primary_writes_whatever_the_config_order(harness: Harness) -> None:
    data = prod_with()
    data["regions"] = list(reversed(data["regions"]))
    graph = harness.run(lambda: Platform("platform", parse_stack_config(data)), stack="prod")
    (global_cluster,) = graph.by_type("aws:rds/globalCluster:GlobalCluster")
    assert region_of(graph, global_cluster) == "us-east-1"
    writers = [c for c in graph.by_type("aws:rds/cluster:Cluster") if "masterPassword" in c.inputs]
    assert [region_of(graph, c) for c in writers] == ["us-east-1"]
    # Names do not depend on the order of the config: the same URNs as the stack file's order.
    assert {r.urn for r in graph} == {r.urn for r in synthesized("prod")}


@pytest.mark.parametrize(
    ("endpoints", "primary", "message"),
    [
        ({"us-east-1": "a.elb"}, "us-east-1", "failover needs two or more regions"),
        ({"us-east-1": "a", "eu-west-1": "b"}, "ap-southeast-1", "primary_region 'ap-southeast-1' is not among"),
    ],
)
def test_dns_arguments_are_checked(endpoints: dict[str, str], primary: str, message: str) -> None:
    with pytest.raises(DnsArgsError, match=message):
        GlobalDnsArgs(domain="run.example.com", endpoints=endpoints, primary_region=primary, health_path="/ping")

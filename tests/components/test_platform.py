"""Region, Platform and GlobalDns: what the composition registers (PublicIngress: test_ingress.py)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from eksplatform.components.dns import DnsArgsError, GlobalDnsArgs
from eksplatform.components.writer_health import SETTINGS as WRITER_SETTINGS
from eksplatform.components.writer_health import WriterAlarm, alarm_name
from eksplatform.preflight.mocks import Registration
from eksplatform.preflight.synth import Graph
from tests.components.test_config import namespace_values
from tests.conftest import platform_graph, synthesized
from tests.helpers import out

HEALTH_CHECK = "aws:route53/healthCheck:HealthCheck"
RECORD = "aws:route53/record:Record"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


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
        if any(a.type == "platform:index:VpcPeering" for a in graph.ancestors(registration)):
            continue  # each side of a peering in its own region (tests/components/test_deployer.py)
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
        if r.inputs.get("fromPort") in (5432, 6379)
        and "-proxy" not in r.name
        and not r.name.endswith("-from-proxy")
        # the other regions' private subnets by CIDR: test_deployer.py, cross-region data-store access
        and not r.inputs.get("cidrIpv4")
    ]
    assert len(rules) == 3 * len(node_groups)  # postgres, cache, queue
    for rule in rules:
        region = region_of(graph, rule)
        assert region is not None
        assert rule.inputs["referencedSecurityGroupId"] == node_groups[region], rule.urn


# --- Platform and GlobalDns ----------------------------------------------------------------


def entry_checks(graph: Graph) -> dict[str, Registration]:
    return {
        c.name.removeprefix("platform-dns-").removesuffix("-health"): c
        for c in graph.by_type(HEALTH_CHECK)
        if c.name.endswith("-health")
    }


def writer_checks(graph: Graph) -> dict[str, Registration]:
    return {
        c.name.removeprefix("platform-dns-").removesuffix("-writer"): c
        for c in graph.by_type(HEALTH_CHECK)
        if c.name.endswith("-writer")
    }


def test_prod_health_checks_detect_an_outage_within_30_seconds_on_the_backends_path() -> None:
    graph = synthesized("prod")
    checks = entry_checks(graph)
    hostnames = out(graph, "ingress")
    assert sorted(checks) == sorted(["us-east-1", "eu-west-1", "ap-southeast-1"])
    for region, check in checks.items():
        inputs = check.inputs
        # The backends' path through Traefik, not Traefik's own /ping: a region whose backends are
        # down leaves the latency records.
        assert (inputs["type"], inputs["port"], inputs["resourcePath"]) == ("HTTPS", 443, "/healthz")
        assert inputs["resourcePath"] == hostnames[region]["healthPath"] != "/ping"
        assert inputs["requestInterval"] * inputs["failureThreshold"] <= 30
        assert (inputs["requestInterval"], inputs["failureThreshold"]) == (10, 3)
        assert inputs["fqdn"] == hostnames[region]["hostname"]
        # The NLB's hostname is not on the certificate; its listener serves the certificate anyway.
        assert inputs["enableSni"] is False


def test_prod_latency_records_leave_out_unhealthy_regions() -> None:
    graph = synthesized("prod")
    assert not graph.by_type("aws:route53/zone:Zone")  # prod names its delegated zone
    zone_id = "Z0333333333333"
    checks = entry_checks(graph)
    latency = [r for r in graph.by_type(RECORD) if r.name.endswith("-latency")]
    assert len(latency) == 3
    hostnames = out(graph, "ingress")
    for record in latency:
        region = record.inputs["setIdentifier"]
        assert record.inputs["name"] == "api.run.example.com"
        assert record.inputs["zoneId"] == zone_id
        assert record.inputs["latencyRoutingPolicies"] == [{"region": region}]
        assert record.inputs["healthCheckId"] == checks[region].id
        assert record.inputs["records"] == [hostnames[region]["hostname"]]
        assert (record.inputs["type"], record.inputs["ttl"]) == ("CNAME", 60)


def test_prod_writes_follow_the_database_writer_not_the_entry_checks() -> None:
    graph = synthesized("prod")
    hostnames = out(graph, "ingress")
    clusters = {region_of(graph, c): c for c in graph.by_type("aws:rds/cluster:Cluster")}
    alarms = {region_of(graph, a): a for a in graph.by_type(ALARM) if a.name.endswith("-database-writer")}
    providers = {p.urn: p.inputs["region"] for p in graph.by_type("pulumi:providers:aws")}
    checks, entry = writer_checks(graph), entry_checks(graph)
    records = {r.inputs["setIdentifier"]: r for r in graph.by_type(RECORD) if r.name.endswith("-writer")}
    assert sorted(records) == sorted(f"writer-{region}" for region in hostnames)
    for region in hostnames:
        alarm = alarms[region]
        # Each region's alarm reads its own cluster's WRITER-role metrics, in its own region:
        # OK only while that cluster holds the writer, whatever a switchover or failover did.
        assert providers[alarm.provider_urn] == region
        assert alarm.inputs["dimensions"] == {
            "DBClusterIdentifier": clusters[region].outputs["clusterIdentifier"],
            "Role": "WRITER",
        }
        assert (alarm.inputs["namespace"], alarm.inputs["statistic"]) == ("AWS/RDS", "SampleCount")
        assert (alarm.inputs["comparisonOperator"], alarm.inputs["threshold"]) == ("LessThanThreshold", 1)
        assert alarm.inputs["treatMissingData"] == "breaching"  # a secondary has no writer data at all
        # Route 53 copies the alarm's settings once: the name carries their hash, so a change replaces it.
        assert alarm.inputs["name"] == alarm_name(f"platform-prod-{region}-database-writer", WRITER_SETTINGS)
        check = checks[region].inputs
        assert check["type"] == "CLOUDWATCH_METRIC"
        assert (check["cloudwatchAlarmName"], check["cloudwatchAlarmRegion"]) == (alarm.outputs["name"], region)
        assert check["insufficientDataHealthStatus"] == "Unhealthy"
        record = records[f"writer-{region}"].inputs
        assert record["name"] == "primary.run.example.com"
        assert record["records"] == [hostnames[region]["hostname"]]
        assert record["weightedRoutingPolicies"] == [{"weight": 1}]
        assert record["healthCheckId"] == checks[region].id != entry[region].id
    assert not [r for r in graph.by_type(RECORD) if r.inputs.get("failoverRoutingPolicies")]
    dns = out(graph, "dns")
    assert (dns["latencyName"], dns["failoverName"]) == ("api.run.example.com", "primary.run.example.com")
    assert dns["writerHealthCheckIds"] == {region: check.id for region, check in checks.items()}
    assert dns["zoneId"] == "Z0333333333333" and dns["nameServers"] is None


@pytest.mark.parametrize("stack", ["dev", "staging"])
def test_one_region_gets_the_routed_records_of_several_without_health_checks(stack: str) -> None:
    graph = synthesized(stack)
    assert [r.name for r in graph.by_type("platform:index:Region")] == ["us-east-1"]
    assert not graph.by_type("aws:route53/zone:Zone")
    zone_id = {"dev": "Z0111111111111", "staging": "Z0222222222222"}[stack]
    names = {r.inputs["name"]: r for r in graph.by_type(RECORD) if "validation" not in r.name}
    hostname = out(graph, "ingress")["us-east-1"]["hostname"]
    assert sorted(names) == [f"api.{stack}.run.example.com", f"primary.{stack}.run.example.com"]
    for registration in names.values():
        record = registration.inputs
        assert (record["type"], record["records"], record["zoneId"]) == ("CNAME", [hostname], zone_id)
        assert "healthCheckId" not in record
    # The records (and their logical names) a multi-region stack has: adding a region adds records
    # beside them; plain records would conflict with routed ones of the same name (finding 9, #19).
    api, primary = names[f"api.{stack}.run.example.com"], names[f"primary.{stack}.run.example.com"]
    assert (api.name, api.inputs["setIdentifier"]) == ("platform-dns-us-east-1-latency", "us-east-1")
    assert api.inputs["latencyRoutingPolicies"] == [{"region": "us-east-1"}]
    assert (primary.name, primary.inputs["setIdentifier"]) == ("platform-dns-us-east-1-writer", "writer-us-east-1")
    assert primary.inputs["weightedRoutingPolicies"] == [{"weight": 1}]
    prod = {r.name for r in synthesized("prod").by_type(RECORD)}
    assert {api.name, primary.name} <= prod
    for absent in (
        HEALTH_CHECK,
        "aws:rds/globalCluster:GlobalCluster",
        "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup",
    ):
        assert not graph.by_type(absent), absent
    assert not [a for a in graph.by_type(ALARM) if a.name.endswith("-database-writer")]
    assert "globalDatabase" not in graph.outputs
    assert out(graph, "dns")["healthCheckIds"] == {} and out(graph, "dns")["zoneId"] == zone_id


def test_a_changed_writer_alarm_setting_is_a_new_alarm_name() -> None:
    base = alarm_name("platform-prod-us-east-1-database-writer", WRITER_SETTINGS)
    assert base.startswith("platform-prod-us-east-1-database-writer-") and len(base.rsplit("-", 1)[1]) == 8
    for key, value in (("evaluation_periods", 3), ("threshold", 2), ("treat_missing_data", "missing")):
        changed = alarm_name("platform-prod-us-east-1-database-writer", {**WRITER_SETTINGS, key: value})
        assert changed != base, key


def prod_with(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(namespace_values("prod"))
    data.update(changes)
    return data


def test_an_existing_hosted_zone_is_used_instead_of_a_new_one() -> None:
    # prod's stack file names its zone (hostedZoneId), so the run's one synth of prod shows it.
    zone_id = prod_with()["dns"]["hostedZoneId"]
    graph = synthesized("prod")
    assert not graph.by_type("aws:route53/zone:Zone")
    assert {r.inputs["zoneId"] for r in graph.by_type(RECORD)} == {zone_id}


def test_a_zone_made_by_the_stack_is_delegated_from_its_parent_before_any_certificate() -> None:
    # ACM validates through public DNS: an undelegated zone would stall `pulumi up` (finding 1, #19).
    graph = prod_with_own_zone_secondary_image_and_no_admin_roles()
    zone = graph.one("aws:route53/zone:Zone")
    assert zone.inputs["name"] == "run.example.com"
    assert region_of(graph, zone) == "us-east-1"  # made by the primary region, before any certificate
    assert zone.protect is True  # a new zone would break the parent domain's delegation
    delegation = graph.one(RECORD, "us-east-1-zone-delegation")
    assert (delegation.inputs["zoneId"], delegation.inputs["name"], delegation.inputs["type"]) == (
        "Z0PARENT12345",
        "run.example.com",
        "NS",
    )
    assert delegation.inputs["records"] == zone.outputs["nameServers"]
    validation = [r for r in graph.by_type(RECORD) if "-validation-" in r.name]
    assert len(validation) == 2 * 3
    # The records go into the new zone, and only once the delegation exists (the zone id waits for it).
    assert {r.inputs["zoneId"] for r in validation} == {zone.outputs["zoneId"]}
    assert {r.inputs["zoneId"] for r in graph.by_type(RECORD) if r is not delegation} == {zone.outputs["zoneId"]}
    assert zone.outputs["nameServers"]


# Edited prod runs shared by tests whose edits are independent of each other: each test reads only
# what its own edit changes, and asserts what only that edit makes (an unedited prod fails it). An
# edited prod is a 1.7 s synth; `platform_graph` runs each config once per test run.

OWN_ZONE = {"domain": "run.example.com", "parentZoneId": "Z0PARENT12345"}
SECONDARY_ONLY_IMAGE = "333333333333.dkr.ecr.eu-west-1.amazonaws.com/custom/python:3.13.1"


def prod_with_own_zone_secondary_image_and_no_admin_roles() -> Graph:
    """prod with three edits, each read by one test:
    - `dns` makes its zone under a parent (test_a_zone_made_by_the_stack_is_delegated_... above:
      the zone, its delegation and the records in it);
    - eu-west-1's python service runs an image of a repository only that secondary uses
      (test_registry.py: the repositories, their replication and the nodes' pull grants);
    - no region names a cluster `adminRoleArn` (test_deployer.py: the clusters' access entries).
    The zone and its records, the ECR repositories and grants, and the access entries are built
    from separate settings; none of the three reads another's."""
    data = prod_with(dns=OWN_ZONE)
    secondary = next(region for region in data["regions"] if region["name"] == "eu-west-1")
    services = secondary["languageServices"]["services"]
    services["python"] = {**services.get("python", {}), "image": SECONDARY_ONLY_IMAGE}
    for region in data["regions"]:
        region["cluster"].pop("adminRoleArn", None)
    return platform_graph(data, stack="prod")


def prod_without_deployer_and_an_rpo_of_7_minutes() -> Graph:
    """prod with two edits, each read by its own tests:
    - no `deployer` (test_deployer.py: no path to it is built, no role carries its boundary);
    - `rpoMinutes: 7`, not the default 15 (test_data_settings.py: the secondaries' lag alarms).
    The deployer's peerings, rules and boundaries and the data stores' lag alarms are built from
    separate settings; neither reads the other's."""
    data = prod_with(rpoMinutes=7)
    del data["deployer"]
    return platform_graph(data, stack="prod")


def prod_in_reverse_order() -> Graph:
    """prod with its regions listed in the reverse order, run once (test_deployer.py reads it too)."""
    data = prod_with()
    data["regions"] = list(reversed(data["regions"]))
    return platform_graph(data, stack="prod")


def test_the_primary_writes_whatever_the_config_order() -> None:
    graph = prod_in_reverse_order()
    (global_cluster,) = graph.by_type("aws:rds/globalCluster:GlobalCluster")
    assert region_of(graph, global_cluster) == "us-east-1"
    writers = [c for c in graph.by_type("aws:rds/cluster:Cluster") if "masterPassword" in c.inputs]
    assert [region_of(graph, c) for c in writers] == ["us-east-1"]
    # Names do not depend on the order of the config: the same URNs as the stack file's order.
    assert {r.urn for r in graph} == {r.urn for r in synthesized("prod")}


@pytest.mark.parametrize(
    ("endpoints", "primary", "alarms", "message"),
    [
        ({}, "us-east-1", {}, r"^args\.endpoints: name at least one region's entry$"),
        (
            {"us-east-1": "a", "eu-west-1": "b"},
            "ap-southeast-1",
            {},
            r"^args\.primary_region: 'ap-southeast-1' is not among",
        ),
        ({"us-east-1": "a", "eu-west-1": "b"}, "us-east-1", {"us-east-1"}, r"^args\.writer_alarms: one per region"),
    ],
)
def test_dns_arguments_are_checked(endpoints: dict[str, str], primary: str, alarms: set[str], message: str) -> None:
    with pytest.raises(DnsArgsError, match=message):
        GlobalDnsArgs(
            domain="run.example.com",
            zone_id="Z0123456789ABC",
            endpoints=endpoints,
            primary_region=primary,
            health_path="/healthz",
            writer_alarms={region: WriterAlarm(name=f"{region}-writer", region=region) for region in alarms},
        )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"domain": "Run.Example.com"}, r"^args\.domain: 'Run\.Example\.com' is not a lowercase DNS name"),
        ({"domain": "run.example.com."}, r"^args\.domain: 'run\.example\.com\.' is not a lowercase DNS name"),
        ({"domain": "example"}, r"^args\.domain: 'example' is not a lowercase DNS name"),
        ({"domain": ("a" * 63 + ".") * 3 + "a" * 60}, r"^args\.domain: .* is longer than 245 characters"),
        ({"health_path": "healthz"}, r"^args\.health_path: 'healthz' is not a path of at most 255 characters"),
        ({"health_path": "/health check"}, r"^args\.health_path: '/health check' is not a path"),
    ],
)
def test_dns_names_and_paths_are_checked(changes: dict[str, str], message: str) -> None:
    settings: dict[str, Any] = {
        "domain": "run.example.com",
        "zone_id": "Z0123456789ABC",
        "endpoints": {"us-east-1": "a"},
        "primary_region": "us-east-1",
        "health_path": "/healthz",
        **changes,
    }
    with pytest.raises(DnsArgsError, match=message):
        GlobalDnsArgs(**settings)

"""`synth(stack)` runs the real `__main__.py` under the mocks; assert on what it registered."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from eksplatform.components.providers import regional_aws_provider
from eksplatform.components.zones import zone_id_prefix
from eksplatform.policies.pod_security import pod_template, violations
from eksplatform.preflight.export import export_document
from eksplatform.preflight.synth import PROJECT_ROOT, Graph, run_program
from eksplatform.stack.errors import ConfigError
from eksplatform.stack.loading import load_stack_file, pulumi_config_map, read_stack_file
from tests.conftest import Harness, synthesized, synthesized_again
from tests.helpers import decoded, plaintext_leaks

EXPECTED_REGIONS = {
    "dev": ["us-east-1"],
    "staging": ["us-east-1"],
    "prod": ["us-east-1", "eu-west-1", "ap-southeast-1"],
}


@pytest.mark.parametrize("stack", sorted(EXPECTED_REGIONS))
def test_one_tagged_aws_provider_per_region(stack: str) -> None:
    graph = synthesized(stack)
    config = load_stack_file(PROJECT_ROOT / f"Pulumi.{stack}.yaml")
    every = graph.by_type("pulumi:providers:aws")
    # Besides one per region, the deployer's own (components/deployer.py): its side of each peering.
    (deployer,) = [p for p in every if p.name == "aws-deployer"]
    assert deployer.inputs["region"] == "us-east-1"
    assert config.deployer is not None
    assert decoded(deployer.inputs["allowedAccountIds"]) == [config.deployer.account_id]
    providers = [p for p in every if p is not deployer]

    assert sorted(p.inputs["region"] for p in providers) == sorted(EXPECTED_REGIONS[stack])
    for provider in [*providers, deployer]:
        assert provider.name in (f"aws-{provider.inputs['region']}", "aws-deployer")
        assert decoded(provider.inputs["defaultTags"]) == {
            "tags": {
                "environment": stack,
                "owner": "platform-team",
                "cost-center": f"cc-platform-{stack}",
                "managed-by": "pulumi",
            }
        }
        assert decoded(provider.inputs["allowedAccountIds"]) == config.allowed_account_ids


def test_stack_outputs_name_the_regions_and_their_networks(stack_graph: Graph) -> None:
    outputs = {name: output.value for name, output in stack_graph.outputs.items()}
    assert outputs["environment"] == stack_graph.stack
    assert outputs["primaryRegion"] == "us-east-1"
    assert outputs["regions"] == EXPECTED_REGIONS[stack_graph.stack]
    subnet_ids = {s.id for s in stack_graph.by_type("aws:ec2/subnet:Subnet")}
    assert sorted(outputs["networks"]) == sorted(EXPECTED_REGIONS[stack_graph.stack])
    for network in outputs["networks"].values():
        assert network["vpcId"] in {v.id for v in stack_graph.by_type("aws:ec2/vpc:Vpc")}
        for tier in ("public", "private", "database"):
            assert set(network[f"{tier}SubnetIds"]) <= subnet_ids


@pytest.mark.parametrize(("stack", "nats_per_region", "azs"), [("dev", 1, 2), ("staging", 3, 3), ("prod", 3, 3)])
def test_each_region_gets_its_network_in_its_own_region(stack: str, nats_per_region: int, azs: int) -> None:
    graph = synthesized(stack)
    providers = {p.urn: p.inputs["region"] for p in graph.by_type("pulumi:providers:aws")}
    vpcs = graph.by_type("platform:index:Vpc")
    assert sorted(v.name for v in vpcs) == sorted(f"{region}-network" for region in EXPECTED_REGIONS[stack])
    for component in vpcs:
        region = component.name.removesuffix("-network")
        children = graph.children(component)
        assert {providers[c.provider_urn] for c in children if c.custom} == {region}
        assert len([c for c in children if c.type == "aws:ec2/natGateway:NatGateway"]) == nats_per_region
        subnets = [c for c in children if c.type == "aws:ec2/subnet:Subnet"]
        assert len(subnets) == 3 * azs
        # By zone ID (`use1-az1`), which names the region in AWS's short form.
        assert {s.inputs["availabilityZoneId"].split("-az")[0] for s in subnets} == {zone_id_prefix(region)}


def test_every_resource_names_an_explicit_provider(stack_graph: Graph) -> None:
    """Default providers are disabled; under mocks that is not enforced, so it is checked here."""
    provider_urns = {p.urn for p in stack_graph.registrations if p.is_provider}
    for registration in stack_graph.resources:
        if registration.custom and not registration.is_provider:
            assert registration.provider_urn in provider_urns, f"{registration.urn} uses a default provider"
            assert "::default_" not in registration.provider


def test_every_resource_has_a_unique_urn_and_a_parent(stack_graph: Graph) -> None:
    urns = [r.urn for r in stack_graph.registrations]
    assert len(urns) == len(set(urns))
    (stack,) = stack_graph.by_type("pulumi:pulumi:Stack")
    assert stack.name == f"platform-{stack_graph.stack}"
    assert all(r.parent for r in stack_graph.resources)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_synth_is_repeatable(stack: str) -> None:
    first, second = synthesized_again(stack), synthesized(stack)  # two runs of the program
    assert [(r.urn, r.inputs, r.outputs) for r in first] == [(r.urn, r.inputs, r.outputs) for r in second]
    # The export preflight writes (and the reports read) is the same text each time: the SDK sends
    # dependencies in an order of its own sets, which the recording sorts.
    assert json.dumps(export_document(first)) == json.dumps(export_document(second))


def test_disable_default_providers_comes_from_the_project_file() -> None:
    graph = run_program(lambda: None)  # a program that registers nothing but the stack
    assert [r.type for r in graph] == ["pulumi:pulumi:Stack"]
    from eksplatform.preflight.synth import project_config

    assert project_config(PROJECT_ROOT)["pulumi:disable-default-providers"] == ["*"]


def test_main_with_bad_config_fails_with_the_config_error(tmp_path: pytest.TempPathFactory) -> None:
    raw = read_stack_file(PROJECT_ROOT / "Pulumi.dev.yaml")
    raw["platform:monthlyBudget"] = "lots"
    config = pulumi_config_map(raw)
    with pytest.raises(ConfigError) as caught:
        run_program(
            lambda: __import__("runpy").run_path(str(PROJECT_ROOT / "__main__.py"), run_name="__main__"),
            stack="dev",
            config=config,
        )
    assert [issue.path for issue in caught.value.issues] == ["monthlyBudget"]


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_each_region_gets_a_private_cluster_on_its_private_subnets(stack: str) -> None:
    graph = synthesized(stack)
    config = load_stack_file(PROJECT_ROOT / f"Pulumi.{stack}.yaml")
    clusters = {c.inputs["name"]: c for c in graph.by_type("aws:eks/cluster:Cluster")}
    assert sorted(clusters) == sorted(f"platform-{stack}-{region}" for region in EXPECTED_REGIONS[stack])
    networks = graph.outputs["networks"].value
    for region in config.regions:
        cluster = clusters[f"platform-{stack}-{region.name}"]
        assert cluster.inputs["vpcConfig"]["subnetIds"] == networks[region.name]["privateSubnetIds"]
        assert cluster.inputs["vpcConfig"]["endpointPublicAccess"] is False
        assert cluster.inputs["deletionProtection"] is (stack == "prod")
        groups = [
            g for g in graph.by_type("aws:eks/nodeGroup:NodeGroup") if g.inputs["clusterName"] == cluster.inputs["name"]
        ]
        assert {g.inputs["labels"]["platform/node-group"]: g.inputs["capacityType"] for g in groups} == {
            name: group.capacity_type for name, group in region.cluster.node_groups.items()
        }
    assert graph.outputs["kubeconfigs"].secret is True
    assert sorted(graph.outputs["clusters"].value) == sorted(EXPECTED_REGIONS[stack])


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_each_region_gets_a_cache_and_a_queue_reachable_only_from_its_nodes(stack: str) -> None:
    graph = synthesized(stack)
    groups = {
        g.inputs["replicationGroupId"]: g for g in graph.by_type("aws:elasticache/replicationGroup:ReplicationGroup")
    }
    assert len(groups) == 2 * len(EXPECTED_REGIONS[stack])
    node_groups = {c.outputs["nodeSecurityGroupId"] for c in graph.by_type("platform:index:Cluster")}
    # From its own region's system nodes by group; the other regions' private subnets by CIDR
    # (tests/components/test_deployer.py::test_the_data_stores_are_reachable_from_the_other_regions_private_subnets).
    rules = [
        r
        for r in graph.by_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.inputs.get("fromPort") == 6379 and not r.inputs.get("cidrIpv4")
    ]
    assert len(rules) == len(groups)
    assert {r.inputs["referencedSecurityGroupId"] for r in rules} == node_groups
    for group_id, group in groups.items():
        assert group_id.startswith(f"platform-{stack}-")
        # A Global Datastore secondary inherits TLS from the primary (and may not set it).
        encrypted = group
        if "globalReplicationGroupId" in group.inputs:
            (datastore,) = graph.by_type("aws:elasticache/globalReplicationGroup:GlobalReplicationGroup")
            assert group.inputs["globalReplicationGroupId"] == datastore.outputs["globalReplicationGroupId"]
            encrypted = groups[datastore.inputs["primaryReplicationGroupId"]]
            assert "transitEncryptionMode" not in group.inputs
        assert encrypted.inputs["transitEncryptionMode"] == "required"
        assert group.protect is (stack == "prod")


EXPECTED_DATABASES = {
    # stack: (engine resource, DB instances per region, final snapshot, protected)
    "dev": ("aws:rds/instance:Instance", 1, False, False),
    "staging": ("aws:rds/cluster:Cluster", 2, True, False),
    "prod": ("aws:rds/cluster:Cluster", None, True, True),
}


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_each_region_gets_a_database_reachable_only_from_its_nodes(stack: str) -> None:
    graph = synthesized(stack)
    engine, instances_per_region, final_snapshot, protected = EXPECTED_DATABASES[stack]
    databases = graph.by_type(engine)
    assert len(databases) == len(EXPECTED_REGIONS[stack])
    instances = graph.by_type("aws:rds/instance:Instance") + graph.by_type("aws:rds/clusterInstance:ClusterInstance")
    if instances_per_region is not None:
        assert len(instances) == instances_per_region * len(databases)
    else:  # prod: a writer plus the readers each region's config asks for
        assert len(instances) == 2 + 2 + 2
    for database in databases:
        assert database.inputs["storageEncrypted"] is True
        assert database.inputs["iamDatabaseAuthenticationEnabled"] is True
        # A global secondary is a copy of the primary, which keeps the final snapshot.
        secondary = "globalClusterIdentifier" in database.inputs and "masterPassword" not in database.inputs
        assert database.inputs["skipFinalSnapshot"] is (secondary or not final_snapshot)
        assert database.protect is protected and database.retain_on_delete is protected
    node_groups = {c.outputs["nodeSecurityGroupId"] for c in graph.by_type("platform:index:Cluster")}
    rules = [
        r
        for r in graph.by_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.inputs.get("fromPort") == 5432 and r.name.endswith("-from-eks-nodes")
    ]
    # The database, and the proxy where there is one, admit the region's nodes and no one else.
    proxies = graph.by_type("aws:rds/proxy:Proxy")
    assert len(rules) == len(databases) + len(proxies)
    assert {r.inputs["referencedSecurityGroupId"] for r in rules} == node_groups
    outputs = graph.outputs["databases"].value
    assert sorted(outputs) == sorted(EXPECTED_REGIONS[stack])
    assert all(
        output["port"] == 5432 and output["secretArn"].startswith("arn:aws:secretsmanager:")
        for output in outputs.values()
    )


def test_prod_is_one_global_database_written_in_the_primary_region() -> None:
    graph = synthesized("prod")
    (global_cluster,) = graph.by_type("aws:rds/globalCluster:GlobalCluster")
    assert global_cluster.inputs["globalClusterIdentifier"] == "platform-prod"
    assert global_cluster.protect
    clusters = {c.name.removesuffix("-postgres-cluster"): c for c in graph.by_type("aws:rds/cluster:Cluster")}
    assert sorted(clusters) == sorted(EXPECTED_REGIONS["prod"])
    assert clusters["us-east-1"].inputs["globalClusterIdentifier"] == global_cluster.id
    for region in ("eu-west-1", "ap-southeast-1"):
        assert clusters[region].inputs["globalClusterIdentifier"] == "platform-prod"
        assert "masterPassword" not in clusters[region].inputs
    exported = graph.outputs["globalDatabase"].value
    assert exported["identifier"] == "platform-prod" and exported["primaryRegion"] == "us-east-1"
    assert {region: member["clusterArn"] for region, member in exported["members"].items()} == {
        region: cluster.outputs["arn"] for region, cluster in clusters.items()
    }
    assert "globalDatabase" not in synthesized("staging").outputs


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_each_region_runs_its_language_services_on_its_own_cluster(stack: str) -> None:
    graph = synthesized(stack)
    pools = graph.by_type("platform:index:LanguageServicePool")
    assert sorted(p.name.removesuffix("-language-services") for p in pools) == sorted(EXPECTED_REGIONS[stack])
    for pool in pools:
        region = pool.name.removesuffix("-language-services")
        provider = graph.one("pulumi:providers:kubernetes", f"{region}-cluster-kubernetes")
        children = graph.children(pool)
        assert len([c for c in children if c.type == "kubernetes:apps/v1:Deployment"]) == 8
        assert all(child.provider_urn == provider.urn for child in children)
        for deployment in (c for c in children if c.type == "kubernetes:apps/v1:Deployment"):
            template = pod_template("Deployment", deployment.inputs)
            assert template is not None and violations(*template) == [], deployment.urn
            image = template[1]["containers"][0]["image"]
            assert image.startswith(f"{stack_account(stack)}.dkr.ecr.{region}.amazonaws.com/platform/lang-")
    exported = graph.outputs["languageServices"].value
    assert sorted(exported) == sorted(EXPECTED_REGIONS[stack])
    assert all(len(pool["endpoints"]) == 8 for pool in exported.values())


def stack_account(stack: str) -> str:
    return {"dev": "111111111111", "staging": "222222222222", "prod": "333333333333"}[stack]


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_no_generated_password_is_stored_in_plain_text(stack: str) -> None:
    graph = synthesized(stack)
    passwords = [p.outputs["result"] for p in graph.by_type("random:index/randomPassword:RandomPassword")]
    assert passwords
    for password in passwords:
        assert plaintext_leaks(graph, password) == []


def test_a_global_queue_spans_every_region_from_the_primary() -> None:
    # The queue's recovery point: a lost region loses the datastore's lag, not a day of jobs.
    raw = read_stack_file(PROJECT_ROOT / "Pulumi.prod.yaml")
    assert all(region["redis"]["queue"]["globalDatastore"] is True for region in raw["platform:regions"])
    graph = synthesized("prod")
    (datastore,) = graph.by_type("aws:elasticache/globalReplicationGroup:GlobalReplicationGroup")
    queues = {
        g.name.removesuffix("-redis-queue-rg"): g
        for g in graph.by_type("aws:elasticache/replicationGroup:ReplicationGroup")
        if g.name.endswith("-queue-rg")
    }
    assert datastore.inputs["primaryReplicationGroupId"] == queues["us-east-1"].id
    assert datastore.urn.startswith("urn:pulumi:prod::platform::platform:index:RedisCluster$")
    for region in ("eu-west-1", "ap-southeast-1"):
        assert queues[region].inputs["globalReplicationGroupId"] == datastore.outputs["globalReplicationGroupId"]
    # Members share the primary's auth token; no member has an RBAC user group.
    tokens = {queue.inputs["authToken"] for queue in queues.values()}
    assert len(tokens) == 1 and all("userGroupIds" not in queue.inputs for queue in queues.values())
    assert plaintext_leaks(graph, tokens.pop()) == []


def test_stack_outputs_keep_the_documented_contract(stack_graph: Graph) -> None:
    """What other stacks read with a StackReference (docs/stacks.md, "Outputs")."""
    outputs = {name: output.value for name, output in stack_graph.outputs.items()}
    regions = EXPECTED_REGIONS[stack_graph.stack]
    per_region = {
        "networks": {"vpcId", "publicSubnetIds", "privateSubnetIds", "databaseSubnetIds"},
        "clusters": {"name", "endpoint", "oidcProviderArn", "nodeSecurityGroupId", "kubernetesVersion"},
        "databases": {"writerEndpoint", "readerEndpoint", "port", "secretArn", "securityGroupId", "identifier", "arn"},
        "languageServices": {"namespace", "endpoints"},
        "ingress": {"hostname", "healthPath"},
    }
    for key, fields in per_region.items():
        assert sorted(outputs[key]) == sorted(regions), key
        for region in regions:
            assert fields <= set(outputs[key][region]), (key, region)
    for region in regions:
        for purpose in ("cache", "queue"):
            assert {
                "endpoint",
                "readerEndpoint",
                "port",
                "authSecretArn",
                "securityGroupId",
                "replicationGroupId",
            } <= set(outputs["redis"][region][purpose])
    assert stack_graph.outputs["kubeconfigs"].secret is True
    assert sorted(outputs["kubeconfigs"]) == sorted(regions)
    assert ("globalDatabase" in outputs) == (len(regions) > 1)
    # Every stack has its zone and entry names; health checks only with several regions.
    assert {"zoneId", "nameServers", "latencyName", "failoverName", "healthCheckIds", "writerHealthCheckIds"} <= set(
        outputs["dns"]
    )
    assert sorted(outputs["dns"]["writerHealthCheckIds"]) == (sorted(regions) if len(regions) > 1 else [])
    if len(regions) > 1:
        # Writes go to the writers that follow failovers: the global database's writer endpoint,
        # and the primary region's queue (a datastore secondary only accepts reads).
        primary = outputs["globalQueue"]["primaryRegion"]
        assert outputs["globalQueue"]["writerEndpoint"] == outputs["redis"][primary]["queue"]["endpoint"]
        assert outputs["globalDatabase"]["writerEndpoint"].endswith(".global.rds.amazonaws.com")
        assert {outputs["databases"][region]["writerEndpoint"] for region in regions} == {
            outputs["globalDatabase"]["writerEndpoint"]
        }


# --- untrusted code and the data ------------------------------------------------------------

DATA_PORTS = (5432, 6379)
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
LEGACY_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"


def _ingress_rules(graph: Graph) -> list[dict[str, Any]]:
    """Every ingress rule of every security group, in one shape, whichever resource declares it:
    the group's inline `ingress` blocks, `aws:ec2/securityGroupRule` (type ingress) and
    `aws:vpc/securityGroupIngressRule`."""
    found: list[dict[str, Any]] = []
    for group in graph.by_type(SECURITY_GROUP):
        for block in group.inputs.get("ingress") or []:
            sources = [*(block.get("securityGroups") or []), *([group.id] if block.get("self") else [])]
            found += [
                {
                    "group": group.id,
                    "protocol": str(block.get("protocol")),
                    "from": block.get("fromPort"),
                    "to": block.get("toPort"),
                    "source": source,
                    "cidr": cidr,
                }
                for source, cidr in [*((g, None) for g in sources), *((None, c) for c in block.get("cidrBlocks") or [])]
            ]
    for rule in graph.by_type(LEGACY_RULE):
        if rule.inputs.get("type") != "ingress":
            continue
        common = {
            "group": rule.inputs["securityGroupId"],
            "protocol": str(rule.inputs.get("protocol")),
            "from": rule.inputs.get("fromPort"),
            "to": rule.inputs.get("toPort"),
        }
        sources = [rule.inputs.get("sourceSecurityGroupId")] if rule.inputs.get("sourceSecurityGroupId") else []
        if rule.inputs.get("self"):
            sources.append(rule.inputs["securityGroupId"])
        found += [{**common, "source": g, "cidr": None} for g in sources]
        found += [{**common, "source": None, "cidr": c} for c in rule.inputs.get("cidrBlocks") or []]
    for rule in graph.by_type(INGRESS_RULE):
        found.append(
            {
                "group": rule.inputs["securityGroupId"],
                "protocol": str(rule.inputs.get("ipProtocol")),
                "from": rule.inputs.get("fromPort"),
                "to": rule.inputs.get("toPort"),
                "source": rule.inputs.get("referencedSecurityGroupId"),
                "cidr": rule.inputs.get("cidrIpv4"),
            }
        )
    return found


def _admits_port(rule: dict[str, Any], port: int) -> bool:
    if rule["protocol"] in ("-1", "all"):
        return True
    low, high = rule["from"], rule["to"]
    return isinstance(low, int | float) and isinstance(high, int | float) and low <= port <= high


def test_every_form_of_ingress_rule_is_read(harness: Harness) -> None:
    def program() -> None:
        provider = regional_aws_provider("aws", region="us-east-1", tags={})
        opts = pulumi.ResourceOptions(provider=provider)
        inline = aws.ec2.SecurityGroup(
            "inline",
            vpc_id="vpc-1",
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    protocol="tcp",
                    from_port=5432,
                    to_port=5432,
                    security_groups=["sg-sandbox"],
                    cidr_blocks=["10.0.0.0/8"],
                )
            ],
            opts=opts,
        )
        aws.ec2.SecurityGroupRule(
            "legacy",
            type="ingress",
            security_group_id=inline.id,
            protocol="tcp",
            from_port=6379,
            to_port=6379,
            source_security_group_id="sg-sandbox",
            opts=opts,
        )
        aws.ec2.SecurityGroupRule(
            "legacy-egress",
            type="egress",
            security_group_id=inline.id,
            protocol="-1",
            from_port=0,
            to_port=0,
            cidr_blocks=["0.0.0.0/0"],
            opts=opts,
        )
        aws.vpc.SecurityGroupIngressRule(
            "vpc", security_group_id=inline.id, ip_protocol="-1", referenced_security_group_id="sg-sandbox", opts=opts
        )

    graph = harness.run(program)
    group = graph.one(SECURITY_GROUP).id
    found = sorted(((r["protocol"], r["from"], r["source"], r["cidr"]) for r in _ingress_rules(graph)), key=str)
    assert all(r["group"] == group for r in _ingress_rules(graph))
    assert found == sorted(
        [
            ("tcp", 5432, "sg-sandbox", None),
            ("tcp", 5432, None, "10.0.0.0/8"),
            ("tcp", 6379, "sg-sandbox", None),
            ("-1", None, "sg-sandbox", None),
        ],
        key=str,
    )


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_no_path_from_the_sandbox_nodes_to_postgres_or_redis(stack: str) -> None:
    graph = synthesized(stack)
    clusters = graph.by_type("platform:index:Cluster")
    node_groups = {
        c.outputs[key]
        for c in clusters
        for key in ("sandboxSecurityGroupId", "nodeSecurityGroupId", "clusterSecurityGroupId")
    }
    rules = _ingress_rules(graph)
    for cluster in clusters:
        sandbox = cluster.outputs["sandboxSecurityGroupId"]
        # What a sandbox node is, to a security group: the groups of its launch template, and
        # the private subnets' addresses it gets.
        (template,) = [t for t in graph.children(cluster) if t.name.endswith("-sandbox-lt")]
        assert template.inputs["vpcSecurityGroupIds"] == [sandbox]
        private = [
            (ipaddress.IPv4Network(s.inputs["cidrBlock"]), s.inputs["vpcId"])
            for s in graph.by_type("aws:ec2/subnet:Subnet")
            if s.inputs["tags"]["tier"] == "private"
        ]
        group_vpc = {g.id: g.inputs["vpcId"] for g in graph.by_type(SECURITY_GROUP)}
        # Every group's rules, the nodes' and the cluster's included: none lets a sandbox node of
        # its own VPC in on 5432 or 6379, by its group or by its address. The one exception is
        # documented (docs/deploying.md, "The region mesh and the data stores", residual risk):
        # another region's private subnets, admitted by CIDR for the cross-region calls (a group
        # cannot be referenced across an inter-region peering), which its sandbox nodes share.
        open_rules = [r for r in rules if any(_admits_port(r, port) for port in DATA_PORTS)]
        for rule in open_rules:
            assert rule["source"] != sandbox, rule
            if rule["cidr"] is not None:
                network = ipaddress.IPv4Network(str(rule["cidr"]))
                own_vpc = group_vpc[rule["group"]]
                assert not any(subnet.overlaps(network) for subnet, vpc in private if vpc == own_vpc), rule
                assert any(subnet == network for subnet, vpc in private if vpc != own_vpc), rule
        # the rules of the groups that guard PostgreSQL and Redis (not the nodes' own groups)
        data_rules = [r for r in open_rules if r["group"] not in node_groups]
        assert data_rules, "the data stores' groups must admit someone"
        # Whom the data stores admit: the system nodes, or a relay (the RDS Proxy's group) that
        # itself admits only the system nodes. Never the sandbox group, directly or through a relay.
        system = {c.outputs["nodeSecurityGroupId"] for c in clusters}
        for rule in data_rules:
            source = rule["source"]
            if source in system or (source is None and rule["cidr"] is not None):  # checked above
                continue
            relayed = {r["source"] for r in data_rules if r["group"] == source and r["cidr"] is None}
            assert relayed and relayed <= system, f"{source} admits {relayed}"

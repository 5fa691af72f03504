"""The Region example, run under the mocks with its own Pulumi.dev.yaml: what it would register."""

import json
import re
import traceback
from pathlib import Path
from typing import Any

import pulumi
import pytest

from eksplatform.components.inputs import ArgsError
from eksplatform.components.postgres import PostgresArgsError
from eksplatform.components.redis import RedisArgsError
from eksplatform.preflight.__main__ import main as preflight
from eksplatform.preflight.synth import PROJECT_ROOT, Graph, synth
from eksplatform.stack.loading import read_stack_file

EXAMPLE = Path(__file__).resolve().parents[1]
PROJECT = "platform-region-example"
REGISTRY = "111111111111.dkr.ecr.eu-west-1.amazonaws.com/region-example"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"


@pytest.fixture(scope="module")
def example() -> Graph:
    return synth("dev", project_dir=EXAMPLE)


def region_of(graph: Graph) -> Any:
    return graph.one("platform:index:Region", "example")


def test_the_region_builds_every_building_block_as_its_child(example: Graph) -> None:
    children = {(child.type, child.name) for child in example.children(region_of(example))}
    for block, name in [
        ("Vpc", "example-network"),
        ("Cluster", "example-cluster"),
        ("ManagedPostgres", "example-postgres"),
        ("RedisCluster", "example-redis-cache"),
        ("RedisCluster", "example-redis-queue"),
        ("LanguageServicePool", "example-language-services"),
        ("PublicIngress", "example-ingress"),
        ("ImageRegistry", "example-registry"),  # the images live in this region's ECR
        ("AlertTopics", "example-observability"),
        ("Observability", "example-observability"),
    ]:
        assert (f"platform:index:{block}", name) in children, block
    # Exactly the two data stores a region has: nothing else of the program registers a Valkey group.
    assert len(example.by_type("platform:index:RedisCluster")) == 2


def test_its_providers_are_its_own_children_and_every_resource_names_one(example: Graph) -> None:
    region = region_of(example)
    aws_provider = example.one("pulumi:providers:aws", "aws-eu-west-1")
    passwords = example.one("pulumi:providers:random", "example-random")
    assert aws_provider.parent == region.urn and passwords.parent == region.urn
    assert aws_provider.inputs["region"] == "eu-west-1"
    # Provider config arrives as JSON strings: the account from config, the tags on every resource.
    assert json.loads(aws_provider.inputs["allowedAccountIds"]) == ["111111111111"]
    assert json.loads(aws_provider.inputs["defaultTags"])["tags"] == {
        "environment": "dev",
        "owner": "platform-team",
        "cost-center": "cc-platform-dev",
        "managed-by": "pulumi",
    }
    # The program makes no provider of its own: the Region's two and the cluster's Kubernetes ones.
    cluster = example.one("platform:index:Cluster")
    for provider in example:
        if provider.type.startswith("pulumi:providers:"):
            assert provider.parent in {region.urn, cluster.urn}, provider.urn
    # Default providers are disabled (Pulumi.yaml): every resource names one of these explicitly.
    for registration in example:
        if registration.custom and registration.type.startswith("aws:"):
            assert registration.provider.startswith(aws_provider.urn), registration.urn
        if registration.custom and registration.type.startswith("random:"):
            assert registration.provider.startswith(passwords.urn), registration.urn
        if registration.custom and registration.type.startswith("kubernetes:"):
            assert "::example-cluster-kubernetes" in registration.provider, registration.urn


def test_the_node_groups_arrive_with_their_kinds_and_sizes(example: Graph) -> None:
    groups = {group.name: group.inputs for group in example.by_type(NODE_GROUP)}
    assert set(groups) == {"example-cluster-system", "example-cluster-sandbox"}
    system, sandbox = groups["example-cluster-system"], groups["example-cluster-sandbox"]
    assert system["scalingConfig"] == {"minSize": 2, "desiredSize": 2, "maxSize": 3}
    assert (system["instanceTypes"], system["capacityType"]) == (["t4g.medium"], "ON_DEMAND")
    assert "taints" not in system
    assert sandbox["scalingConfig"] == {"minSize": 1, "desiredSize": 1, "maxSize": 3}
    assert (sandbox["instanceTypes"], sandbox["capacityType"]) == (["t3a.xlarge", "t3.xlarge"], "SPOT")
    assert [taint["key"] for taint in sandbox["taints"]] == ["platform/sandbox"]
    eks = example.one("aws:eks/cluster:Cluster")
    assert eks.inputs["version"] == "1.35"
    assert eks.inputs["vpcConfig"]["endpointPublicAccess"] is False  # private: the default
    assert eks.inputs["deletionProtection"] is False  # dev


def test_the_data_stores_arrive_as_set(example: Graph) -> None:
    database = example.one("aws:rds/instance:Instance")
    assert (database.inputs["engine"], database.inputs["engineVersion"]) == ("postgres", "17")
    assert database.inputs["instanceClass"] == "db.t4g.micro"
    assert (database.inputs["allocatedStorage"], database.inputs["maxAllocatedStorage"]) == (20, 50)
    assert database.inputs["backupRetentionPeriod"] == 7
    assert database.inputs["multiAz"] is False and database.inputs["deletionProtection"] is False
    assert not database.protect  # keep_data=False: dev may be destroyed
    assert example.by_type("aws:rds/cluster:Cluster") == []  # engine rds: no Aurora cluster
    groups = {
        group.name: group.inputs for group in example.by_type("aws:elasticache/replicationGroup:ReplicationGroup")
    }
    assert {name: (inputs["engine"], inputs["nodeType"]) for name, inputs in groups.items()} == {
        "example-redis-cache-rg": ("valkey", "cache.t4g.micro"),
        "example-redis-queue-rg": ("valkey", "cache.t4g.micro"),
    }
    assert groups["example-redis-cache-rg"]["snapshotRetentionLimit"] == 0
    assert groups["example-redis-queue-rg"]["snapshotRetentionLimit"] == 1


def test_the_network_services_and_dns_arrive_as_set(example: Graph) -> None:
    assert example.one("aws:ec2/vpc:Vpc").inputs["cidrBlock"] == "10.10.0.0/16"
    assert len(example.by_type("aws:ec2/natGateway:NatGateway")) == 1  # nat_strategy single
    images = {
        deployment.name: [
            container["image"] for container in deployment.inputs["spec"]["template"]["spec"]["containers"]
        ]
        for deployment in example.by_type("kubernetes:apps/v1:Deployment")
    }
    # The catalog's pinned images (components/language_catalog.py), in this region's ECR.
    assert images["example-language-services-python-deployment"] == [f"{REGISTRY}/lang-python:3.13.1"]
    assert images["example-language-services-c-deployment"] == [f"{REGISTRY}/lang-c:gcc-14.2.0"]
    assert images["example-cluster-autoscaler-deployment"][0].startswith(f"{REGISTRY}/cluster-autoscaler:")
    repositories = {repository.inputs["name"] for repository in example.by_type("aws:ecr/repository:Repository")}
    assert {"region-example/lang-python", "region-example/lang-c", "region-example/traefik"} <= repositories
    # The zone from config: no zone made here, and the entry's records are written there.
    assert example.by_type("aws:route53/zone:Zone") == []
    records = example.by_type("aws:route53/record:Record")
    assert records and {record.inputs["zoneId"] for record in records} == {"Z0111111111111"}
    (subscription,) = example.by_type("aws:sns/topicSubscription:TopicSubscription")
    assert subscription.inputs["endpoint"] == "platform-dev-alerts@example.com"


def test_it_exports_the_regions_outputs(example: Graph) -> None:
    outputs = example.outputs
    assert outputs["vpcId"].value == example.one("aws:ec2/vpc:Vpc").id
    assert outputs["clusterName"].value == example.one("aws:eks/cluster:Cluster").inputs["name"]
    assert outputs["databaseWriterEndpoint"].value == example.one("aws:rds/instance:Instance").outputs["address"]
    assert outputs["kubeconfig"].secret and not outputs["clusterEndpoint"].secret
    assert {"cacheEndpoint", "queueEndpoint", "ingressHostname"} <= set(outputs)


def test_registries_only_builds_the_repositories_and_nothing_that_waits_for_images() -> None:
    values = {**read_stack_file(EXAMPLE / "Pulumi.dev.yaml"), f"{PROJECT}:registriesOnly": True}
    graph = synth("dev", project_dir=EXAMPLE, stack_values=values)
    assert {r.type for r in graph if r.type.startswith("platform:index:")} == {
        "platform:index:Region",
        "platform:index:ImageRegistry",
    }
    assert graph.by_type("aws:eks/cluster:Cluster") == [] and graph.by_type("kubernetes:apps/v1:Deployment") == []
    assert set(graph.outputs["repositoryUrls"].value) == {
        f"region-example/{name}" for name in ("lang-python", "lang-c", "cluster-autoscaler", "traefik")
    } | {"region-example/aws-load-balancer-controller"}


def edited_copy(folder: Path, original: str, edited: str) -> Path:
    """The example with one setting of its program changed, as a user might write it."""
    for name in ("Pulumi.yaml", "Pulumi.dev.yaml"):
        (folder / name).write_text((EXAMPLE / name).read_text())
    program = (EXAMPLE / "__main__.py").read_text()
    changed = program.replace(original, edited, 1)
    if changed == program:
        pytest.fail(f"{original!r} is no longer in the program: update this test")
    (folder / "__main__.py").write_text(changed)
    return folder


def test_a_bad_setting_is_refused_naming_the_field_without_a_traceback(tmp_path: Path) -> None:
    copy = edited_copy(tmp_path, "backup_retention_days=7,", "backup_retention_days=0,")
    with pytest.raises(PostgresArgsError, match=r"^args\.backup_retention_days: 0 ") as raised:
        synth("dev", project_dir=copy)
    # A RunError: Pulumi prints its message, not the program's source and a stack trace.
    assert isinstance(raised.value, pulumi.RunError)


def test_a_bad_config_value_is_refused_naming_the_field() -> None:
    values = {**read_stack_file(EXAMPLE / "Pulumi.dev.yaml"), f"{PROJECT}:accountId": "12345"}
    with pytest.raises(ArgsError, match=r"^args\.allowed_account_ids\[0\]: '12345' is not a 12-digit AWS account id$"):
        synth("dev", project_dir=EXAMPLE, stack_values=values)


def test_a_bad_setting_is_refused_where_the_settings_object_is_built(tmp_path: Path) -> None:
    # From Python a settings object checks itself when it is built, before any RegionArgs holds it:
    # the error names the field from that object, and the program's line that builds it is where it
    # is raised (another language's program gets the full path, `args.queue.snapshotRetentionDays`,
    # tests/provider/test_construct_region_rules.py; docs/components/region-and-platform.md).
    original = "snapshot_retention_days=1,  # a queue"
    copy = edited_copy(tmp_path, original, original.replace("=1,", "=36,"))
    with pytest.raises(RedisArgsError, match=r"^args\.snapshot_retention_days: 36 ") as raised:
        synth("dev", project_dir=copy)
    frames = [frame.filename for frame in traceback.extract_tb(raised.value.__traceback__)]
    assert str(copy / "__main__.py") in frames


def test_preflight_runs_the_policy_pack_over_it_with_the_dev_policy_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`eksplatform-preflight --project-dir examples/region --policy-config policies/config/dev.json dev`."""
    report = tmp_path / "report.json"
    config = PROJECT_ROOT / "policies" / "config" / "dev.json"
    status = preflight(
        [
            "--project-dir",
            str(EXAMPLE),
            "--policy-config",
            str(config),
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
    assert (document["project"], document["stack"]) == (PROJECT, "dev")
    assert document["summary"]["violations"]["mandatory"] == 0
    assert re.search(r"policy config: .*policies/config/dev\.json", err)

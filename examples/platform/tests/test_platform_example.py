"""The Platform example, run under the mocks with its own Pulumi.dev.yaml: what it would register."""

import json
import re
from pathlib import Path

import pulumi
import pytest

from eksplatform.components.inputs import ArgsError
from eksplatform.preflight.__main__ import main as preflight
from eksplatform.preflight.synth import PROJECT_ROOT, Graph, synth
from eksplatform.stack.loading import read_stack_file

EXAMPLE = Path(__file__).resolve().parents[1]
PROJECT = "platform-example"
PRIMARY, SECONDARY = "us-east-1", "eu-west-1"


@pytest.fixture(scope="module")
def example() -> Graph:
    return synth("dev", project_dir=EXAMPLE)


def test_two_regions_are_the_platforms_children_the_primary_writing(example: Graph) -> None:
    platform = example.one("platform:index:Platform", "example")
    regions = example.by_type("platform:index:Region")
    assert sorted(region.name for region in regions) == sorted([PRIMARY, SECONDARY])
    assert all(region.parent == platform.urn for region in regions)
    assert example.outputs["primaryRegion"].value == PRIMARY
    assert example.outputs["regions"].value == [PRIMARY, SECONDARY]
    # Each Region makes its own AWS provider; the Platform one random provider for both.
    for name in (PRIMARY, SECONDARY):
        provider = example.one("pulumi:providers:aws", f"aws-{name}")
        assert provider.parent == example.one("platform:index:Region", name).urn
        assert provider.inputs["region"] == name
    assert example.one("pulumi:providers:random", "example-random").parent == platform.urn


def test_the_primary_is_built_first_and_the_other_region_joins_its_global_database(example: Graph) -> None:
    # One global cluster, made by the primary; both regions run Aurora in it, on memory-optimized instances.
    (global_cluster,) = example.by_type("aws:rds/globalCluster:GlobalCluster")
    assert global_cluster.name == f"{PRIMARY}-postgres-global"
    assert global_cluster.inputs["engineVersion"] == "17.5"
    clusters = {cluster.name: cluster for cluster in example.by_type("aws:rds/cluster:Cluster")}
    assert set(clusters) == {f"{PRIMARY}-postgres-cluster", f"{SECONDARY}-postgres-cluster"}
    for cluster in clusters.values():
        assert cluster.inputs["engine"] == "aurora-postgresql"
        assert cluster.inputs["globalClusterIdentifier"] == global_cluster.inputs["globalClusterIdentifier"]
    instances = example.by_type("aws:rds/clusterInstance:ClusterInstance")
    assert {instance.inputs["instanceClass"] for instance in instances} == {"db.r7g.large"}
    # The secondary waits for what the primary made: its global cluster and its writer (AWS adds a
    # secondary only once the primary has one), so the engine creates the primary region first.
    secondary = clusters[f"{SECONDARY}-postgres-cluster"]
    assert global_cluster.urn in secondary.dependencies
    assert example.one("aws:rds/clusterInstance:ClusterInstance", f"{PRIMARY}-postgres-instance-1").urn in (
        secondary.dependencies
    )
    assert example.outputs["globalDatabase"].value["primaryRegion"] == PRIMARY


def test_the_two_vpcs_are_peered_both_ways(example: Graph) -> None:
    (peering,) = example.by_type("platform:index:VpcPeering")
    assert peering.parent == example.one("platform:index:Platform").urn
    connection = example.one("aws:ec2/vpcPeeringConnection:VpcPeeringConnection")
    accepter = example.one("aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter")
    networks = example.outputs["networks"].value
    # Requested from one region's provider, accepted in the other's (sorted names: eu-west-1 requests).
    assert connection.inputs["peerRegion"] == PRIMARY
    assert (connection.inputs["vpcId"], connection.inputs["peerVpcId"]) == (
        networks[SECONDARY]["vpcId"],
        networks[PRIMARY]["vpcId"],
    )
    assert connection.provider.startswith(example.one("pulumi:providers:aws", f"aws-{SECONDARY}").urn)
    assert accepter.provider.startswith(example.one("pulumi:providers:aws", f"aws-{PRIMARY}").urn)
    cidrs = {vpc.inputs["cidrBlock"] for vpc in example.by_type("aws:ec2/vpc:Vpc")}
    routes = {route.inputs.get("destinationCidrBlock") for route in example.by_type("aws:ec2/route:Route")}
    assert cidrs == {"10.10.0.0/16", "10.11.0.0/16"} and cidrs <= routes


def test_global_dns_names_both_entries_in_the_configured_zone(example: Graph) -> None:
    dns = example.one("platform:index:GlobalDns")
    assert dns.parent == example.one("platform:index:Platform").urn
    records = {record.name: record.inputs for record in example.by_type("aws:route53/record:Record")}
    latency = {name: inputs for name, inputs in records.items() if name.endswith("-latency")}
    writer = {name: inputs for name, inputs in records.items() if name.endswith("-writer")}
    assert {inputs["name"] for inputs in latency.values()} == {"api.dev.run.example.com"}
    assert {inputs["setIdentifier"] for inputs in latency.values()} == {PRIMARY, SECONDARY}
    assert {inputs["name"] for inputs in writer.values()} == {"primary.dev.run.example.com"}
    assert {inputs["zoneId"] for inputs in records.values()} == {"Z0111111111111"}
    assert example.by_type("aws:route53/zone:Zone") == []  # the zone from config, none made
    # Images are pushed to the primary region only: its registry replicates them to the other.
    (replication,) = example.by_type("aws:ecr/replicationConfiguration:ReplicationConfiguration")
    (rule,) = replication.inputs["replicationConfiguration"]["rules"]
    assert rule["destinations"] == [{"registryId": "111111111111", "region": SECONDARY}]


def test_every_resource_names_an_explicit_provider_inside_a_region_its_own(example: Graph) -> None:
    providers = {name: example.one("pulumi:providers:aws", f"aws-{name}").urn for name in (PRIMARY, SECONDARY)}
    for registration in example:
        if not (registration.custom and registration.type.startswith("aws:")):
            continue
        # Default providers are disabled (Pulumi.yaml): one of the two regions' providers, always.
        assert registration.provider_urn in providers.values(), registration.urn
        regions = [ancestor.name for ancestor in example.ancestors(registration) if ancestor.type.endswith(":Region")]
        if regions:
            assert registration.provider_urn == providers[regions[0]], registration.urn


def test_registries_only_builds_the_repositories_and_the_replication() -> None:
    values = {**read_stack_file(EXAMPLE / "Pulumi.dev.yaml"), f"{PROJECT}:registriesOnly": True}
    graph = synth("dev", project_dir=EXAMPLE, stack_values=values)
    assert {r.type for r in graph if r.type.startswith("platform:index:")} == {
        "platform:index:Platform",
        "platform:index:Region",
        "platform:index:ImageRegistry",
    }
    assert graph.by_type("aws:eks/cluster:Cluster") == [] and graph.by_type("aws:rds/cluster:Cluster") == []
    assert len(graph.by_type("aws:ecr/replicationConfiguration:ReplicationConfiguration")) == 1
    assert graph.outputs["registriesOnly"].value is True
    assert set(graph.outputs["repositories"].value) == {PRIMARY, SECONDARY}


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


def test_overlapping_regions_are_refused_naming_the_field_without_a_traceback(tmp_path: Path) -> None:
    copy = edited_copy(tmp_path, '"10.11.0.0/16"', '"10.10.0.0/16"')
    with pytest.raises(
        ArgsError, match=r"^args\.regions\[1\]\.vpc\.cidr: 10\.10\.0\.0/16 overlaps args\.regions\[0\]"
    ) as raised:
        synth("dev", project_dir=copy)
    assert isinstance(raised.value, pulumi.RunError)  # Pulumi prints the message, no stack trace


def test_a_global_database_on_burstable_instances_is_refused(tmp_path: Path) -> None:
    copy = edited_copy(tmp_path, 'instance_class="db.r7g.large"', 'instance_class="db.t4g.medium"')
    try:
        synth("dev", project_dir=copy)
        message = "accepted"
    except ArgsError as error:
        message = str(error)
    # Several regions make an Aurora Global Database, which requires memory-optimized classes (Aurora
    # user guide, "Configuration requirements of an Amazon Aurora global database").
    assert re.match(r"^args\.regions\[0\]\.postgres\.instance_class: db\.t4g\.medium is burstable", message), message


def test_its_policy_config_is_the_platforms_dev_config_but_for_the_global_members_classes() -> None:
    """policies/config/dev.json here: preflight reads it for this project (the platform's dev rules,
    and the memory-optimized class a global database needs and the node type a Global Datastore
    takes, beside dev's burstable ones)."""
    own = json.loads((EXAMPLE / "policies" / "config" / "dev.json").read_text())
    platform = json.loads((PROJECT_ROOT / "policies" / "config" / "dev.json").read_text())
    added = {
        "limits-rds-instance-class-allowed": ("allowedInstanceClasses", "db.r7g.large"),
        "limits-elasticache-node-type-allowed": ("allowedNodeTypes", "cache.m7g.large"),
    }
    assert {k: v for k, v in own.items() if k not in added} == {k: v for k, v in platform.items() if k not in added}
    for key, (field, value) in added.items():
        assert own[key][field] == [*platform[key][field], value]


def test_preflight_runs_the_policy_pack_over_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`eksplatform-preflight --project-dir examples/platform dev`, in-process."""
    report = tmp_path / "report.json"
    status = preflight(["--project-dir", str(EXAMPLE), "dev", "--format", "json", "--output", str(report)])
    err = capsys.readouterr().err
    assert status == 0, err
    document = json.loads(report.read_text())
    assert (document["project"], document["stack"]) == (PROJECT, "dev")
    assert document["policyConfig"] == "policies/config/dev.json"  # this example's own
    assert document["summary"]["violations"]["mandatory"] == 0

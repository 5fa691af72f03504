"""Construct, in-process under the mocks, for Region and Platform: another language's camelCase
inputs in (the dev stack's settings, written as a TypeScript or YAML program would), the
registered children asserted.

The same path as tests/provider/test_construct.py: `ComponentProvider.construct` maps the schema's
names to the Args' fields and calls `Component(name, dict, opts)`; `to_args` rebuilds RegionArgs or
PlatformArgs with every nested building block's settings, so validation is the Python callers'.
"""

import copy
import dataclasses
import enum
import functools
import json
from collections.abc import Mapping
from typing import Any

import pulumi
import pytest
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.experimental.util import camel_case
from pulumi.provider.server import ComponentInitError

from eksplatform.preflight.synth import PROJECT_ROOT, Graph
from eksplatform.stack.loading import load_stack_file
from eksplatform.stack.platform import PlatformArgs
from eksplatform.stack.platform_args import platform_args
from tests.conftest import Harness

TAGS = {"environment": "dev", "owner": "o", "cost-center": "c", "managed-by": "pulumi"}
DEPLOYER = {
    "deployerRegion": "eu-west-1",
    "deployerVpcId": "vpc-0123456789abcdef0",
    "deployerCidr": "10.250.0.0/16",
    "deployerRouteTableIds": ["rtb-0123456789abcdef0"],
    "runnerRoleArn": "arn:aws:iam::123456789012:role/platform-deployer-dev-runner",
    "runnerProjectName": "platform-deployer-dev",
    "accountId": "123456789012",
}


def host_value(value: Any) -> Any:
    """A Python value as another language's program sends it: objects as maps with the schema's
    camelCase names, enums as their strings, numbers inside lists and maps as floats."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            camel_case(field.name): host_value(getattr(value, field.name))
            for field in dataclasses.fields(value)
            if getattr(value, field.name) is not None
        }
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Mapping):
        return {key: host_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [
            float(item) if isinstance(item, int) and not isinstance(item, bool) else host_value(item) for item in value
        ]
    return value


def stack_platform_args(stack: str) -> PlatformArgs:
    """A stack file's PlatformArgs, built once per stack: dozens of cases start from the same stack
    file, and reading and checking it is most of a refused case's CPU. Each caller gets its own
    deep copy (the Args are frozen at the top only: their regions are a list, their tags a dict),
    so no case can edit what another reads; a copy costs a twentieth of a build."""
    return copy.deepcopy(_stack_platform_args(stack))


@functools.cache
def _stack_platform_args(stack: str) -> PlatformArgs:
    return platform_args(load_stack_file(PROJECT_ROOT / f"Pulumi.{stack}.yaml"))


def dev_region_inputs(**extra: Any) -> dict[str, Any]:
    """The dev stack's region settings, with what a Region alone needs besides."""
    settings = stack_platform_args("dev").regions[0]
    return {
        **host_value(settings),
        "environment": "dev",
        "tags": TAGS,
        "dns": {"domain": "dev.run.example.com", "zoneId": "Z0123456789ABCDEFGHIJ"},
        **extra,
    }


def construct(harness: Harness, provider: ComponentProvider, token: str, inputs: dict[str, Any]) -> tuple[Graph, Any]:
    states: list[Mapping[str, Any]] = []

    def program() -> None:
        states.append(provider.construct("x", token, inputs, pulumi.ResourceOptions()).state)

    # Stack `dev`: the environment's own stack, which creates the account's shared repositories.
    graph = harness.run(program, stack="dev")
    return graph, states[0]


@pytest.fixture(scope="module")
def dev_region(provider: ComponentProvider) -> tuple[Graph, Any]:
    """The dev stack's region constructed from another language with a deployer, as the dev stack
    has one, run once for the two tests below, which only read it: the blocks and their providers,
    and the deployer's path (the peering and the boundary add to the blocks, changing none of them)."""
    return construct(Harness(), provider, "platform:index:Region", dev_region_inputs(deployer=DEPLOYER))


def test_a_region_from_another_language_builds_every_block_with_providers_of_its_own(
    dev_region: tuple[Graph, Any],
) -> None:
    graph, state = dev_region
    region = graph.one("platform:index:Region", "x")
    children = {child.type: child for child in graph.children(region)}
    for block in ("Vpc", "Cluster", "ManagedPostgres", "LanguageServicePool", "PublicIngress", "ImageRegistry"):
        assert f"platform:index:{block}" in children, block
    assert sorted(r.name for r in graph.by_type("platform:index:RedisCluster")) == ["x-redis-cache", "x-redis-queue"]
    # The providers it needs are its own children: nothing falls back to a default provider.
    aws_provider = graph.one("pulumi:providers:aws", "aws-us-east-1")
    random_provider = graph.one("pulumi:providers:random", "x-random")
    assert aws_provider.parent == region.urn and random_provider.parent == region.urn
    assert aws_provider.inputs["region"] == "us-east-1"
    assert all(r.provider.startswith(aws_provider.urn) for r in graph.by_type("aws:ec2/vpc:Vpc"))
    passwords = graph.by_type("random:index/randomPassword:RandomPassword")
    assert passwords and all(r.provider.startswith(random_provider.urn) for r in passwords)
    # The settings arrived whole: the dev stack's cluster, database and cache as the stack file says.
    settings = stack_platform_args("dev").regions[0]
    assert graph.one("aws:eks/cluster:Cluster").inputs["version"] == settings.cluster.kubernetes_version
    assert {g.name for g in graph.by_type("aws:eks/nodeGroup:NodeGroup")} == {
        f"x-cluster-{group.name}" for group in settings.cluster.node_groups
    }
    assert graph.one("platform:index:ManagedPostgres").name == "x-postgres"
    assert {"vpcId", "clusterName", "kubeconfig", "databaseWriterEndpoint", "ingressHostname", "zoneId"} <= set(state)
    # The zone it was given, not one of its own: no Zone, and the entry's records are written there.
    assert graph.by_type("aws:route53/zone:Zone") == []
    records = graph.by_type("aws:route53/record:Record")
    assert records and {r.inputs["zoneId"] for r in records} == {"Z0123456789ABCDEFGHIJ"}


def test_a_region_with_a_deployer_peers_through_a_provider_of_the_deployers_region(
    dev_region: tuple[Graph, Any],
) -> None:
    graph, _ = dev_region
    region = graph.one("platform:index:Region", "x")
    deployer_provider = graph.one("pulumi:providers:aws", "x-deployer")
    assert deployer_provider.parent == region.urn
    assert deployer_provider.inputs["region"] == "eu-west-1"
    assert json.loads(deployer_provider.inputs["allowedAccountIds"]) == ["123456789012"]  # provider config: JSON
    accepter = graph.one("aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter")
    assert accepter.provider.startswith(deployer_provider.urn)
    # Every role the region creates carries the runner's permissions boundary (bootstrap/runner.py).
    roles = graph.by_type("aws:iam/role:Role")
    assert roles and all(
        role.inputs.get("permissionsBoundary", "").endswith(":policy/platform-deployer-dev-boundary") for role in roles
    ), {role.name: role.inputs.get("permissionsBoundary") for role in roles}


def test_a_bad_setting_of_a_regions_building_block_is_named_by_its_path(provider: ComponentProvider) -> None:
    inputs = dev_region_inputs()
    inputs["postgres"] = {**inputs["postgres"], "backupRetentionDays": 0.0}
    with pytest.raises(ComponentInitError, match=r"^args\.postgres\.backupRetentionDays: "):
        provider.construct("x", "platform:index:Region", inputs, None)


def test_a_region_that_makes_its_zone_needs_the_parent_to_delegate_it(provider: ComponentProvider) -> None:
    inputs = dev_region_inputs(dns={"domain": "dev.run.example.com"})
    delegated = r"^args\.dns\.parentZoneId: a zone the platform creates must be delegated"
    with pytest.raises(ComponentInitError, match=delegated):
        provider.construct("x", "platform:index:Region", inputs, None)


def test_a_region_refuses_a_deployer_network_that_overlaps_its_vpc(provider: ComponentProvider) -> None:
    inputs = dev_region_inputs(deployer={**DEPLOYER, "deployerCidr": inputs_cidr()})
    with pytest.raises(ComponentInitError, match=r"^args\.deployer\.deployerCidr: .* overlaps args\.vpc\.cidr"):
        provider.construct("x", "platform:index:Region", inputs, None)


def inputs_cidr() -> str:
    return str(dev_region_inputs()["vpc"]["cidr"])


PER_REGION = (
    "vpcIds",
    "clusterNames",
    "clusterEndpoints",
    "kubeconfigs",
    "databaseSecretArns",
    "cacheEndpoints",
    "queueEndpoints",
    "ingressHostnames",
)


@pytest.fixture(scope="module")
def dev_platform(provider: ComponentProvider) -> tuple[Graph, Mapping[str, Any]]:
    """The dev stack's Platform constructed from another language, as its program would: the state
    it gets back, and each per-region output exported. Run once for the two tests below, which only
    read the graph, the state and the outputs (a Platform construct is 0.45 s of CPU)."""
    states: list[Mapping[str, Any]] = []

    def program() -> None:
        inputs = host_value(stack_platform_args("dev"))
        state = provider.construct("x", "platform:index:Platform", inputs, pulumi.ResourceOptions()).state
        states.append(state)
        for key in PER_REGION:
            pulumi.export(key, state[key])  # as another language's program exports them

    graph = Harness().run(program, stack="dev")
    return graph, states[0]


def test_a_platform_from_another_language_builds_its_regions_and_names(
    dev_platform: tuple[Graph, Mapping[str, Any]],
) -> None:
    args = stack_platform_args("dev")
    graph, state = dev_platform
    platform = graph.one("platform:index:Platform", "x")
    regions = graph.by_type("platform:index:Region")
    assert [r.name for r in regions] == [settings.region for settings in args.regions]
    assert all(r.parent == platform.urn for r in regions)
    assert graph.one("platform:index:GlobalDns").parent == platform.urn
    assert state["primaryRegion"] == args.regions[0].region
    assert state["regionNames"] == [settings.region for settings in args.regions]
    assert state["latencyName"] == f"api.{args.dns.domain}"
    assert {"zoneId", "writerName", "databaseWriterEndpoint"} <= set(state)


def test_a_platform_names_a_primary_region_it_does_not_have(provider: ComponentProvider) -> None:
    inputs = host_value(stack_platform_args("dev"))
    inputs["primaryRegion"] = "eu-north-1"
    with pytest.raises(ComponentInitError, match=r"^args\.primaryRegion: eu-north-1 is not one of"):
        provider.construct("x", "platform:index:Platform", inputs, None)


@pytest.mark.parametrize(("environment", "protected"), [("dev", False), ("prod", True)])
def test_unset_protection_settings_follow_the_regions_environment(
    harness: Harness, provider: ComponentProvider, environment: str, protected: bool
) -> None:
    inputs = dev_region_inputs(environment=environment, tags={**TAGS, "environment": environment})
    # What the program leaves unset; the stack file's adapter always sets them.
    del inputs["cluster"]["deletionProtection"]
    for key in ("deletionProtection", "finalSnapshot", "keepData"):
        del inputs["postgres"][key]
    if environment == "prod":
        # What prod requires beyond them (region_rules.check_environment): a private API, a standby
        # and a month of backups, a replica per shard.
        inputs["cluster"]["endpointPublicAccess"] = False
        inputs["postgres"].update(multiAz=True, backupRetentionDays=30.0)
        for purpose in ("cache", "queue"):
            inputs[purpose]["replicasPerShard"] = 1.0
    graph, _ = construct(harness, provider, "platform:index:Region", inputs)
    assert graph.one("aws:eks/cluster:Cluster").inputs["deletionProtection"] is protected
    database = graph.one("aws:rds/instance:Instance")
    assert database.inputs["deletionProtection"] is protected
    assert database.inputs["skipFinalSnapshot"] is not protected


def test_a_region_in_its_first_step_builds_only_its_provider_and_registry(
    harness: Harness, provider: ComponentProvider
) -> None:
    states: list[Mapping[str, Any]] = []

    def program() -> None:
        built = provider.construct("x", "platform:index:Region", dev_region_inputs(registriesOnly=True), None).state
        states.append(built)
        pulumi.export("repositoryUrls", built["repositoryUrls"])  # where to push, from any language

    graph = harness.run(program, stack="dev")
    assert graph.by_type("platform:index:ImageRegistry") and graph.by_type("aws:ecr/repository:Repository")
    assert not graph.by_type("platform:index:Vpc") and not graph.by_type("platform:index:Cluster")
    assert "vpcId" not in states[0]  # unset until the next run builds the rest
    urls = graph.outputs["repositoryUrls"].value
    repositories = {r.inputs["name"] for r in graph.by_type("aws:ecr/repository:Repository")}
    assert set(urls) == repositories
    assert all(url.endswith(f".dkr.ecr.us-east-1.amazonaws.com/{name}") for name, url in urls.items())


def test_a_region_refuses_its_first_step_in_a_stack_that_creates_no_repository(
    harness: Harness, provider: ComponentProvider
) -> None:
    registered: list[str] = []

    def program() -> None:
        try:
            provider.construct("x", "platform:index:Region", dev_region_inputs(registriesOnly=True), None)
        except ComponentInitError as error:
            registered.append(str(error))

    graph = harness.run(program, stack="dev-alice")  # a copy of dev: pulls from dev's repositories
    assert registered and registered[0].startswith("args.registries_only (registriesOnly): stack 'dev-alice' ")
    assert graph.registrations == [] or all(r.type == "pulumi:pulumi:Stack" for r in graph.registrations)


def test_a_platform_serves_each_regions_endpoints_by_region(dev_platform: tuple[Graph, Mapping[str, Any]]) -> None:
    args = stack_platform_args("dev")
    graph, _ = dev_platform
    regions = [settings.region for settings in args.regions]
    for key in PER_REGION:
        assert sorted(graph.outputs[key].value) == sorted(regions), key
    assert graph.outputs["kubeconfigs"].secret and not graph.outputs["clusterNames"].secret
    clusters = {r.inputs["name"] for r in graph.by_type("aws:eks/cluster:Cluster")}
    assert set(graph.outputs["clusterNames"].value.values()) == clusters


def test_a_platform_in_its_first_step_serves_what_is_known_and_where_to_push(
    harness: Harness, provider: ComponentProvider
) -> None:
    args = stack_platform_args("dev")
    inputs = {**host_value(args), "registriesOnly": True}

    def program() -> None:
        state = provider.construct("x", "platform:index:Platform", inputs, pulumi.ResourceOptions()).state
        assert "clusterNames" not in state  # unset until the next run builds the rest
        for key in ("primaryRegion", "regionNames", "repositoryUrls"):
            pulumi.export(key, state[key])

    graph = harness.run(program, stack="dev")
    regions = [settings.region for settings in args.regions]
    assert graph.outputs["primaryRegion"].value == regions[0] and graph.outputs["regionNames"].value == regions
    created = {r.inputs["name"] for r in graph.by_type("aws:ecr/repository:Repository")}
    urls = graph.outputs["repositoryUrls"].value
    assert set(urls) == set(regions) and {name for by_name in urls.values() for name in by_name} == created
    assert not graph.by_type("platform:index:Vpc")

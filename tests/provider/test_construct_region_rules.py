"""Region and Platform from another language refuse what the stack file refuses, before they
register anything (#23 review finding M1).

Each case is a camelCase input a program in another language could send through Pulumi's component
host (`ComponentProvider.construct`, as tests/provider/test_construct_region.py does). The stack
file's models and the Args call the same rule functions (eksplatform/stack/region_rules.py,
cross_region.py, components/data_rules.py); here the error must name the input as the caller wrote
it (`args.regions[1].postgres.engineVersion`) and the program's graph must stay empty: the Region or
Platform was never registered, let alone its hundreds of children.
"""

import copy
import dataclasses
import re
from collections.abc import Callable
from typing import Any

import pulumi
import pytest
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.server import ComponentInitError

from eksplatform.components.inputs import args_from_settings
from eksplatform.components.postgres import ManagedPostgresArgs, PostgresArgsError
from eksplatform.stack.platform import Platform, PlatformArgs
from eksplatform.stack.region import EnvironmentName, Region, RegionArgs, RegionDns
from tests.conftest import Harness
from tests.provider.test_construct_region import DEPLOYER, TAGS, dev_region_inputs, host_value, stack_platform_args

REGION = "platform:index:Region"
PLATFORM = "platform:index:Platform"
Edit = Callable[[dict[str, Any]], None]


def platform_inputs(stack: str) -> dict[str, Any]:
    """A stack file's PlatformArgs as another language sends them."""
    inputs: dict[str, Any] = host_value(stack_platform_args(stack))
    return inputs


def refused(harness: Harness, provider: ComponentProvider, token: str, inputs: dict[str, Any]) -> str:
    """The message the component host reports for `inputs`; asserts that nothing was registered."""
    errors: list[str] = []

    def program() -> None:
        with pytest.raises(ComponentInitError) as raised:
            provider.construct("x", token, inputs, pulumi.ResourceOptions())
        errors.append(str(raised.value))

    graph = harness.run(program, stack="dev")
    assert graph.resources == [], [resource.urn for resource in graph.resources]
    return errors[0]


def _set(path: str, value: Any) -> Edit:
    """Set (or with None, remove) a dotted path of the inputs; numbers index lists."""

    def edit(inputs: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = inputs
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value

    return edit


def _both(*edits: Edit) -> Edit:
    def edit(inputs: dict[str, Any]) -> None:
        for one in edits:
            one(inputs)

    return edit


def _without_sandbox_group(inputs: dict[str, Any]) -> None:
    inputs["cluster"]["nodeGroups"] = [g for g in inputs["cluster"]["nodeGroups"] if g.get("kind") != "sandbox"]


OTHER_ACCOUNT = "999999999999"

REGION_CASES: list[tuple[str, Edit, str]] = [
    (
        "no sandbox group",
        _without_sandbox_group,
        r"^args\.cluster\.nodeGroups: missing node group\(s\) \['sandbox'\]: the platform needs `system` and "
        r"`sandbox`",
    ),
    # With host_kernel the pods still select the sandbox nodes (their nodeSelector and tolerations):
    # without the group they would stay Pending.
    (
        "no sandbox group, host kernel",
        _both(_without_sandbox_group, _set("languageServices.hostKernel", True)),
        r"^args\.cluster\.nodeGroups: missing node group\(s\) \['sandbox'\]",
    ),
    (
        "vpc over the Service range",
        _set("vpc.cidr", "172.20.0.0/16"),
        r"^args\.vpc\.cidr: 172\.20\.0\.0/16 overlaps 172\.20\.0\.0/16, the clusters' Service range$",
    ),
    ("no NAT", _set("vpc.natStrategy", "none"), r"^args\.vpc\.natStrategy: none leaves the sandbox nodes no way"),
    (
        "more zones than EKS accepts",
        _set("vpc.azCount", 6.0),
        r"^args\.vpc\.azCount: 6 zones requested but us-east-1 offers 5 that EKS accepts$",
    ),
    (
        "a zone EKS refuses",
        _set("vpc.availabilityZoneIds", ["use1-az3", "use1-az1"]),
        r"^args\.vpc\.availabilityZoneIds\[0\]: EKS does not accept subnets in use1-az3",
    ),
    (
        "another region's registry",
        _set("imageRegistry", "111111111111.dkr.ecr.eu-west-1.amazonaws.com/platform"),
        r"^args\.imageRegistry: 111111111111\.dkr\.ecr\.eu-west-1\.amazonaws\.com/platform is in eu-west-1; use "
        r"this region's registry",
    ),
    (
        "another account's registry",
        _set("allowedAccountIds", [OTHER_ACCOUNT]),
        r"^args\.imageRegistry: account 111111111111 is not in allowed_account_ids \['999999999999'\]",
    ),
    (
        "a queue without snapshots",
        _set("queue.snapshotRetentionDays", 0.0),
        r"^args\.queue\.snapshotRetentionDays: the queue keeps snapshots",
    ),
    (
        "another environment's runner",
        _set("deployer", {**DEPLOYER, "runnerProjectName": "platform-deployer-prod"}),
        r"^args\.deployer\.runnerProjectName: platform-deployer-prod is not this environment's runner",
    ),
    (
        "a deployer in another account",
        _both(_set("deployer", {**DEPLOYER}), _set("allowedAccountIds", ["111111111111"])),
        r"^args\.deployer\.accountId: 123456789012 is not in allowed_account_ids \['111111111111'\]",
    ),
    (
        "an unknown deployer region",
        _set("deployer", {**DEPLOYER, "deployerRegion": "mars-east-1"}),
        r"^args\.deployer\.deployerRegion: 'mars-east-1' is not a known AWS region",
    ),
    (
        "alerts without observability",
        _set("alerts", {"criticalSubscriptions": [{"protocol": "email", "endpoint": "oncall@example.com"}]}),
        r"^args\.alerts: the alert topics are made with observability",
    ),
    (
        "a domain no certificate can name",
        _set("dns", {"domain": "*.example.com", "zoneId": "Z0123456789ABCDEFGHIJ"}),
        r"^args\.dns\.domain: ",
    ),
]


@pytest.mark.parametrize(("edit", "message"), [case[1:] for case in REGION_CASES], ids=[c[0] for c in REGION_CASES])
def test_a_region_refuses_what_the_stack_file_refuses_before_registering(
    harness: Harness, provider: ComponentProvider, edit: Edit, message: str
) -> None:
    inputs = copy.deepcopy(dev_region_inputs())
    edit(inputs)
    assert_message(refused(harness, provider, REGION, inputs), message)


def assert_message(text: str, pattern: str) -> None:
    assert re.search(pattern, text), text


PLATFORM_CASES: list[tuple[str, str, Edit, str]] = [
    (
        "an unpinned engine version",
        "prod",
        _set("regions.1.postgres.engineVersion", None),
        r"^args\.regions\[1\]\.postgres\.engineVersion: a global database pins a full engine version",
    ),
    (
        "another engine version",
        "prod",
        _set("regions.2.postgres.engineVersion", "17.4"),
        r"^args\.regions\[2\]\.postgres\.engineVersion: every member of the global database runs the primary's "
        r"'17\.5'",
    ),
    (
        "another major version",
        "prod",
        _both(_set("regions.2.postgres.majorVersion", 16.0), _set("regions.2.postgres.engineVersion", "16.9")),
        r"^args\.regions\[2\]\.postgres\.majorVersion: every member of the global database runs the primary's "
        r"version 17",
    ),
    (
        "a burstable global database member",
        "prod",
        _set("regions.1.postgres.instanceClass", "db.t4g.medium"),
        r"^args\.regions\[1\]\.postgres\.instanceClass: db\.t4g\.medium is burstable; an Aurora global database "
        r"needs a memory-optimized class",
    ),
    (
        "a queue member of another node type",
        "prod",
        _set("regions.2.queue.nodeType", "cache.r7g.large"),
        r"^args\.regions\[2\]\.queue\.nodeType: every member of the queue's Global Datastore has the primary's "
        r"node_type \('cache\.m7g\.large'\)",
    ),
    (
        "a queue member with more shards",
        "prod",
        _both(_set("regions.1.queue.shards", 2.0), _set("regions.1.queue.clusterMode", True)),
        r"^args\.regions\[1\]\.queue\.(clusterMode|shards): every member of the queue's Global Datastore",
    ),
    (
        "a queue member on a family a Global Datastore does not take",
        "prod",
        _set("regions.1.queue.nodeType", "cache.t4g.medium"),
        r"^args\.regions\[1\]\.queue\.nodeType: a Global Datastore needs one of",
    ),
    (
        "a global queue in one region",
        "dev",
        _set("globalQueue", True),
        r"^args\.globalQueue: a Global Datastore needs two or more regions$",
    ),
    (
        "regional queues in three regions",
        "prod",
        _set("globalQueue", False),
        r"^args\.globalQueue: a multi-region stack keeps its queue in a Global Datastore",
    ),
    (
        "another environment's runner",
        "dev",
        _set("deployer", {**DEPLOYER, "runnerProjectName": "platform-deployer-prod"}),
        r"^args\.deployer\.runnerProjectName: platform-deployer-prod is not this environment's runner",
    ),
    (
        "a deployer in another account",
        "dev",
        _both(_set("deployer", {**DEPLOYER}), _set("allowedAccountIds", ["111111111111"])),
        r"^args\.deployer\.accountId: 123456789012 is not in allowed_account_ids",
    ),
    (
        "an unreachable region with no known account",
        "dev",
        _both(_set("allowedAccountIds", None), _set("deployer", None), _set("unreachableRegions", ["us-east-1"])),
        r"^args\.unreachableRegions: needs allowed_account_ids",
    ),
    (
        "alerts without observability",
        "dev",
        _set("observability", None),
        r"^args\.alerts: the alert topics are made with observability",
    ),
    (
        "a region's registry in another region",
        "dev",
        _set("regions.0.imageRegistry", "111111111111.dkr.ecr.eu-west-1.amazonaws.com/platform"),
        r"^args\.regions\[0\]\.imageRegistry: .* is in eu-west-1",
    ),
    (
        "a region's registry in another account",
        "dev",
        _both(_set("deployer", None), _set("allowedAccountIds", [OTHER_ACCOUNT])),
        r"^args\.regions\[0\]\.imageRegistry: account 111111111111 is not in allowed_account_ids",
    ),
    (
        "a region without a sandbox group",
        "dev",
        lambda inputs: _without_sandbox_group(inputs["regions"][0]),
        r"^args\.regions\[0\]\.cluster\.nodeGroups: missing node group\(s\) \['sandbox'\]",
    ),
    (
        "a region's queue without snapshots",
        "dev",
        _set("regions.0.queue.snapshotRetentionDays", 0.0),
        r"^args\.regions\[0\]\.queue\.snapshotRetentionDays: the queue keeps snapshots",
    ),
]


@pytest.mark.parametrize(
    ("stack", "edit", "message"), [case[1:] for case in PLATFORM_CASES], ids=[c[0] for c in PLATFORM_CASES]
)
def test_a_platform_refuses_what_the_stack_file_refuses_before_registering(
    harness: Harness, provider: ComponentProvider, stack: str, edit: Edit, message: str
) -> None:
    inputs = copy.deepcopy(platform_inputs(stack))
    edit(inputs)
    assert_message(refused(harness, provider, PLATFORM, inputs), message)


def test_the_global_queue_defaults_to_what_the_stack_file_requires() -> None:
    """Unset, `global_queue` is what the stack rule requires: one Global Datastore with two or three
    regions, none with one (or more than three, which a Global Datastore cannot span)."""
    for stack, expected in (("dev", False), ("prod", True)):
        args = stack_platform_args(stack)
        assert dataclasses.replace(args, global_queue=None).resolved_global_queue is expected


# --- the fallback: a rule only a building block's Args can check, named at its place --------


def _late_refusal(monkeypatch: pytest.MonkeyPatch) -> None:
    """ManagedPostgresArgs refuses what its settings passed: a rule needing the wiring, which
    neither RegionArgs nor PlatformArgs can check up front."""
    original = ManagedPostgresArgs.__post_init__

    def refuse(self: ManagedPostgresArgs) -> None:
        original(self)
        raise PostgresArgsError("args.instance_class: refused late")

    monkeypatch.setattr(ManagedPostgresArgs, "__post_init__", refuse)


def _late_message(harness: Harness, program: Callable[[], Any]) -> str:
    errors: list[str] = []

    def run() -> None:
        try:
            program()
        except Exception as error:
            errors.append(str(error))

    graph = harness.run(run, stack="dev")
    # Late: the Region had registered its network and cluster before the database's Args refused.
    assert graph.by_type("aws:ec2/vpc:Vpc") and graph.resources, "expected a late refusal"
    return errors[0]


def test_a_building_blocks_late_refusal_is_named_at_its_place_in_the_region(
    harness: Harness, provider: ComponentProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    _late_refusal(monkeypatch)
    # Another language: the schema's names.
    message = _late_message(harness, lambda: provider.construct("x", REGION, dev_region_inputs(), None))
    assert message.startswith("args.postgres.instanceClass: refused late"), message
    # Python: the fields' names.
    settings = stack_platform_args("dev").regions[0]
    args = args_from_settings(
        RegionArgs,
        settings,
        environment=EnvironmentName.DEV,
        tags=TAGS,
        dns=RegionDns(domain="dev.run.example.com", zone_id="Z0123456789ABCDEFGHIJ"),
    )
    message = _late_message(harness, lambda: Region("x", args))
    assert message.startswith("args.postgres.instance_class: refused late"), message


def test_a_building_blocks_late_refusal_is_named_at_its_place_in_the_platform(
    harness: Harness, provider: ComponentProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    _late_refusal(monkeypatch)
    message = _late_message(harness, lambda: provider.construct("x", PLATFORM, platform_inputs("dev"), None))
    assert message.startswith("args.regions[0].postgres.instanceClass: refused late"), message
    args: PlatformArgs = stack_platform_args("dev")
    message = _late_message(harness, lambda: Platform("x", args))
    assert message.startswith("args.regions[0].postgres.instance_class: refused late"), message


# --- #23 second review: the rules the served path still missed ---------------------------------


def prod_region_inputs() -> dict[str, Any]:
    """A prod region another language could send: the prod stack's second region (Aurora, a standby,
    a month of backups, a private API), with what a Region alone needs besides."""
    settings = stack_platform_args("prod").regions[1]
    return {
        **host_value(settings),
        "environment": "prod",
        "tags": {**TAGS, "environment": "prod"},
        "dns": {"domain": "run.example.com", "zoneId": "Z0123456789ABCDEFGHIJ"},
    }


def prod_rds_region_inputs() -> dict[str, Any]:
    """The dev region (RDS) with what prod requires besides: the only prod region on RDS."""
    inputs = dev_region_inputs(environment="prod", tags={**TAGS, "environment": "prod"})
    inputs["cluster"]["endpointPublicAccess"] = False
    inputs["postgres"].update(multiAz=True, backupRetentionDays=30.0, deletionProtection=True, finalSnapshot=True)
    for purpose in ("cache", "queue"):
        inputs[purpose]["replicasPerShard"] = 1.0
    return inputs


SECONDARY_DATABASE = {"role": "secondary", "globalClusterIdentifier": "platform-prod", "writerEndpoint": "w.example"}

PROD_REGION_CASES: list[tuple[str, Callable[[], dict[str, Any]], Edit, str]] = [
    # What the environment requires (region_rules.check_environment), on the values Region builds with.
    (
        "prod with a public API",
        prod_region_inputs,
        _both(_set("cluster.endpointPublicAccess", True), _set("cluster.publicAccessCidrs", ["203.0.113.0/24"])),
        r"^args\.cluster\.endpointPublicAccess: prod keeps the EKS API private",
    ),
    (
        "prod with a cache without replicas",
        prod_region_inputs,
        _set("cache.replicasPerShard", 0.0),
        r"^args\.cache\.replicasPerShard: prod needs at least 1 replica per shard",
    ),
    (
        "prod with a week of backups",
        prod_region_inputs,
        _set("postgres.backupRetentionDays", 7.0),
        r"^args\.postgres\.backupRetentionDays: prod keeps backups for at least 30 days$",
    ),
    (
        "prod without deletion protection",
        prod_region_inputs,
        _set("postgres.deletionProtection", False),
        r"^args\.postgres\.deletionProtection: prod databases keep deletion protection on$",
    ),
    (
        "prod aurora without a reader",
        prod_region_inputs,
        _set("postgres.readers", 0.0),
        r"^args\.postgres\.readers: prod needs at least 1 reader in another zone",
    ),
    (
        "prod rds without a standby",
        prod_rds_region_inputs,
        _set("postgres.multiAz", False),
        r"^args\.postgres\.multiAz: prod needs multi_az: true",
    ),
    # The stack's own values, one rule with PlatformArgs and the stack file.
    ("an rpo of 0", prod_region_inputs, _set("rpoMinutes", 0.0), r"^args\.rpoMinutes: 0 is outside 1-1440$"),
    # The global memberships, checked by the components' own functions (postgres.py, redis.py).
    (
        "a global database on rds",
        prod_rds_region_inputs,
        _set("globalDatabase", {"role": "primary", "globalClusterIdentifier": "platform-prod"}),
        r"^args\.globalDatabase: only engine aurora can join an Aurora Global Database$",
    ),
    (
        "a secondary database without the primary's password",
        prod_region_inputs,
        _set("globalDatabase", SECONDARY_DATABASE),
        r"^args\.globalDatabase\.masterPassword: a secondary needs it \(the primary's output\)$",
    ),
    (
        "a secondary database without the writer endpoint",
        prod_region_inputs,
        _set("globalDatabase", {**SECONDARY_DATABASE, "writerEndpoint": None, "masterPassword": "p"}),
        r"^args\.globalDatabase\.writerEndpoint: a secondary needs it",
    ),
    (
        "a secondary queue without the auth token",
        prod_region_inputs,
        _set("globalQueue", {"role": "secondary", "globalReplicationGroupId": "ldgnf-platform-prod-queue"}),
        r"^args\.globalQueue\.authToken: a secondary needs it \(the primary's output\)$",
    ),
    (
        "a secondary queue without the datastore",
        prod_region_inputs,
        _set("globalQueue", {"role": "secondary", "authToken": "t"}),
        r"^args\.globalQueue\.globalReplicationGroupId: a secondary needs it",
    ),
    # The bootstrap's outputs in the stack file's shapes (region_rules.check_deployer_ids).
    (
        "a deployer VPC id of another kind",
        dev_region_inputs,
        _set("deployer", {**DEPLOYER, "deployerVpcId": "subnet-0123456789abcdef0"}),
        r"^args\.deployer\.deployerVpcId: 'subnet-0123456789abcdef0' is not a VPC id",
    ),
    (
        "a deployer route table id of another kind",
        dev_region_inputs,
        _set("deployer", {**DEPLOYER, "deployerRouteTableIds": ["rtb-0123456789abcdef0", "vpc-0123456789abcdef0"]}),
        r"^args\.deployer\.deployerRouteTableIds\[1\]: 'vpc-0123456789abcdef0' is not a route table id",
    ),
    (
        "a runner that is a user",
        dev_region_inputs,
        _set("deployer", {**DEPLOYER, "runnerRoleArn": "arn:aws:iam::123456789012:user/runner"}),
        r"^args\.deployer\.runnerRoleArn: 'arn:aws:iam::123456789012:user/runner' is not an IAM role ARN$",
    ),
    (
        "a runner project CodeBuild refuses",
        dev_region_inputs,
        _set("deployer", {**DEPLOYER, "runnerProjectName": "platform deployer-dev"}),
        r"^args\.deployer\.runnerProjectName: 'platform deployer-dev' is not a CodeBuild project name",
    ),
    # A deployer network over the clusters' Service range (EKS: serviceIpv4Cidr overlaps no peered network).
    (
        "a deployer over the Service range",
        dev_region_inputs,
        _set("deployer", {**DEPLOYER, "deployerCidr": "172.20.0.0/20"}),
        r"^args\.deployer\.deployerCidr: 172\.20\.0\.0/20 overlaps 172\.20\.0\.0/16, the clusters' Service range",
    ),
    # Route 53 zone ids, and the delegation rule of the stack file (region_rules.check_zone_delegation).
    (
        "a zone id Route 53 never gives",
        dev_region_inputs,
        _set("dns", {"domain": "dev.run.example.com", "zoneId": "zone-1"}),
        r"^args\.dns\.zoneId: 'zone-1' is not a Route 53 hosted zone id",
    ),
    (
        "a parent zone id Route 53 never gives",
        dev_region_inputs,
        _set("dns", {"domain": "dev.run.example.com", "parentZoneId": "z0parent"}),
        r"^args\.dns\.parentZoneId: 'z0parent' is not a Route 53 hosted zone id",
    ),
    (
        "a zone and a parent zone",
        dev_region_inputs,
        _set("dns", {"domain": "dev.run.example.com", "zoneId": "Z0ZONE", "parentZoneId": "Z0PARENT"}),
        r"^args\.dns\.parentZoneId: set zone_id or parent_zone_id, not both \(with zone_id no zone is made\)$",
    ),
    # The entry's images come from there (components/ingress.py's rule, the stack file's too).
    (
        "a registry that is no registry prefix",
        dev_region_inputs,
        _set("imageRegistry", "https://registry.example.com"),
        r"^args\.imageRegistry: 'https://registry\.example\.com' is not a registry prefix",
    ),
]


@pytest.mark.parametrize(
    ("inputs", "edit", "message"), [case[1:] for case in PROD_REGION_CASES], ids=[c[0] for c in PROD_REGION_CASES]
)
def test_a_region_refuses_the_second_reviews_findings_before_registering(
    harness: Harness,
    provider: ComponentProvider,
    inputs: Callable[[], dict[str, Any]],
    edit: Edit,
    message: str,
) -> None:
    built = copy.deepcopy(inputs())
    edit(built)
    assert_message(refused(harness, provider, REGION, built), message)


@pytest.mark.parametrize("inputs", [prod_region_inputs, prod_rds_region_inputs])
def test_the_prod_regions_the_cases_start_from_are_accepted(
    harness: Harness, provider: ComponentProvider, inputs: Callable[[], dict[str, Any]]
) -> None:
    # Otherwise the cases above could be refused for another reason than theirs.
    graph = harness.run(lambda: provider.construct("x", REGION, inputs(), pulumi.ResourceOptions()), stack="prod")
    assert graph.by_type("platform:index:Region")


def _fourth_region(inputs: dict[str, Any]) -> None:
    """The prod stack with a fourth region (us-west-2), `globalQueue` left unset."""
    fourth = copy.deepcopy(inputs["regions"][0])
    fourth.update(region="us-west-2", imageRegistry="333333333333.dkr.ecr.us-west-2.amazonaws.com/platform")
    fourth["vpc"]["cidr"] = "10.103.0.0/16"
    inputs["regions"].append(fourth)
    inputs.pop("globalQueue", None)


PLATFORM_REVIEW_CASES: list[tuple[str, str, Edit, str]] = [
    (
        "prod without deletion protection",
        "prod",
        _set("regions.2.postgres.deletionProtection", False),
        r"^args\.regions\[2\]\.postgres\.deletionProtection: prod databases keep deletion protection on$",
    ),
    (
        "prod aurora without a reader",
        "prod",
        _set("regions.1.postgres.readers", 0.0),
        r"^args\.regions\[1\]\.postgres\.readers: prod needs at least 1 reader",
    ),
    (
        "prod with a public API",
        "prod",
        _both(
            _set("regions.0.cluster.endpointPublicAccess", True),
            _set("regions.0.cluster.publicAccessCidrs", ["203.0.113.0/24"]),
        ),
        r"^args\.regions\[0\]\.cluster\.endpointPublicAccess: prod keeps the EKS API private",
    ),
    (
        "prod with a queue without replicas",
        "prod",
        _set("regions.0.queue.replicasPerShard", 0.0),
        r"^args\.regions\[0\]\.queue\.replicasPerShard: prod needs at least 1 replica per shard",
    ),
    ("an rpo over a day", "dev", _set("rpoMinutes", 1441.0), r"^args\.rpoMinutes: 1441 is outside 1-1440$"),
    (
        "an account id of 11 digits",
        "dev",
        _set("allowedAccountIds", ["11111111111"]),
        r"^args\.allowedAccountIds\[0\]: '11111111111' is not a 12-digit AWS account id$",
    ),
    (
        "a deployer over the Service range",
        "dev",
        _set("deployer", {**DEPLOYER, "deployerCidr": "172.16.0.0/12"}),
        r"^args\.deployer\.deployerCidr: 172\.16\.0\.0/12 overlaps 172\.20\.0\.0/16, the clusters' Service range",
    ),
    (
        "a hosted zone id Route 53 never gives",
        "dev",
        _set("dns", {"domain": "dev.run.example.com", "hostedZoneId": "Z-1"}),
        r"^args\.dns\.hostedZoneId: 'Z-1' is not a Route 53 hosted zone id",
    ),
    (
        "several regions and no primary",
        "prod",
        _set("primaryRegion", None),
        r"^args\.primaryRegion: name the region that writes, one of \['us-east-1', 'eu-west-1', 'ap-southeast-1'\]$",
    ),
    (
        "four regions and the global queue unset",
        "prod",
        _fourth_region,
        r"^args\.globalQueue: with more than 3 regions, set it",
    ),
]


@pytest.mark.parametrize(
    ("stack", "edit", "message"),
    [case[1:] for case in PLATFORM_REVIEW_CASES],
    ids=[c[0] for c in PLATFORM_REVIEW_CASES],
)
def test_a_platform_refuses_the_second_reviews_findings_before_registering(
    harness: Harness, provider: ComponentProvider, stack: str, edit: Edit, message: str
) -> None:
    inputs = copy.deepcopy(platform_inputs(stack))
    edit(inputs)
    assert_message(refused(harness, provider, PLATFORM, inputs), message)


def test_one_region_needs_no_primary_and_four_take_an_explicit_global_queue() -> None:
    """The two requirements apply only where a default could move: one region is its own primary,
    and four regions with `global_queue` given are accepted."""
    dev = stack_platform_args("dev")
    assert dataclasses.replace(dev, primary_region=None).primary.region == dev.regions[0].region
    prod = stack_platform_args("prod")
    first = prod.regions[0]
    fourth = dataclasses.replace(
        first,
        region="us-west-2",
        image_registry="333333333333.dkr.ecr.us-west-2.amazonaws.com/platform",
        vpc=dataclasses.replace(first.vpc, cidr="10.103.0.0/16"),
    )
    args = dataclasses.replace(prod, regions=[*prod.regions, fourth], global_queue=False)
    assert len(args.regions) == 4 and args.resolved_global_queue is False

"""ImageRegistry and replication: the ECR repositories the platform's images live in."""

from __future__ import annotations

import ast
import inspect
import json
from typing import Any

import pulumi
import pytest

from eksplatform.components import dns as dns_module
from eksplatform.components import registry as registry_module
from eksplatform.components.providers import regional_aws_provider
from eksplatform.components.registry import (
    ImageRegistry,
    ImageRegistryArgs,
    ImageRegistryError,
    ecr_repository,
    lifecycle_policy,
    replicate,
)
from eksplatform.preflight.synth import Graph
from eksplatform.stack.loading import parse_stack_config
from eksplatform.stack.platform_args import platform_from_stack
from tests.components.test_platform import (
    prod_with,
    prod_with_own_zone_secondary_image_and_no_admin_roles,
    region_of,
)
from tests.conftest import Harness, synthesized
from tests.helpers import out, policy

TAGS = {"environment": "prod", "owner": "o", "cost-center": "c", "managed-by": "pulumi"}
REPOSITORY = "aws:ecr/repository:Repository"
REPLICATION = "aws:ecr/replicationConfiguration:ReplicationConfiguration"


def build(harness: Harness, repositories: list[str], replicas: list[str] | None = None) -> Graph:
    def program() -> None:
        primary = regional_aws_provider("aws-us-east-1", region="us-east-1", tags=TAGS)
        registries = [
            ImageRegistry(
                "primary", ImageRegistryArgs(repositories=repositories), opts=pulumi.ResourceOptions(provider=primary)
            )
        ]
        for region in replicas or []:
            provider = regional_aws_provider(f"aws-{region}", region=region, tags=TAGS)
            registries.append(
                ImageRegistry(
                    region, ImageRegistryArgs(repositories=repositories), opts=pulumi.ResourceOptions(provider=provider)
                )
            )
        if replicas:
            replicate(
                "replication",
                repositories=repositories,
                replica_regions=replicas,
                account=next(iter(registries[0].repositories.values())).registry_id,
                registries=registries,
                opts=pulumi.ResourceOptions(provider=primary),
            )

    return harness.run(program)


def test_every_repository_scans_is_immutable_encrypted_and_expires(harness: Harness) -> None:
    graph = build(harness, ["platform/lang-c", "platform/lang-python"])
    key = graph.one("aws:kms/key:Key", "primary-key")
    assert key.inputs["enableKeyRotation"] is True
    repositories = {r.inputs["name"]: r for r in graph.by_type(REPOSITORY)}
    assert sorted(repositories) == ["platform/lang-c", "platform/lang-python"]
    for repository in repositories.values():
        assert repository.inputs["imageTagMutability"] == "IMMUTABLE"
        assert repository.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
        assert repository.inputs["encryptionConfigurations"] == [
            {"encryptionType": "KMS", "kmsKey": key.outputs["arn"]}
        ]
        assert repository.inputs["forceDelete"] is False
    lifecycles = {p.inputs["repository"]: p for p in graph.by_type("aws:ecr/lifecyclePolicy:LifecyclePolicy")}
    assert sorted(lifecycles) == sorted(repositories)
    rules = policy(lifecycles["platform/lang-c"], "policy")["rules"]
    assert [rule["selection"]["tagStatus"] for rule in rules] == ["untagged", "any"]
    # ECR: a rule with tagStatus `any` must have the highest rulePriority.
    assert rules[-1]["rulePriority"] == max(rule["rulePriority"] for rule in rules)
    assert rules[0]["selection"] == {
        "tagStatus": "untagged",
        "countType": "sinceImagePushed",
        "countUnit": "days",
        "countNumber": 7,
    }
    assert rules[1]["selection"] == {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 50}


def test_replication_goes_from_the_primary_to_every_other_region(harness: Harness) -> None:
    graph = build(harness, ["platform/lang-c"], replicas=["eu-west-1", "ap-southeast-1"])
    (replication,) = graph.by_type(REPLICATION)
    primary = graph.one("pulumi:providers:aws", "aws-us-east-1")
    assert replication.provider_urn == primary.urn  # one per registry, in the primary region
    (rule,) = replication.inputs["replicationConfiguration"]["rules"]
    account = graph.one(REPOSITORY, "primary-platform-lang-c").outputs["registryId"]
    assert rule["destinations"] == [
        {"region": "eu-west-1", "registryId": account},
        {"region": "ap-southeast-1", "registryId": account},
    ]
    assert rule["repositoryFilters"] == [{"filter": "platform/lang-c", "filterType": "PREFIX_MATCH"}]
    # Every region's repository exists before an image can be replicated into it (depending on a
    # component means depending on its children).
    repositories = {r.urn for r in graph.by_type(REPOSITORY)}
    assert len(repositories) == 3 and repositories <= set(replication.dependencies)


@pytest.mark.parametrize(
    ("repositories", "message"),
    [
        ([], r"^args\.repositories: list at least one repository$"),
        (["Platform/C"], r"^args\.repositories\[0\]: 'Platform/C' is not an ECR repository name"),
        (["platform/c", "platform//c"], r"^args\.repositories\[1\]: 'platform//c' is not an ECR repository name"),
        (["p"], r"^args\.repositories\[0\]: 'p' is not an ECR repository name"),
        (["platform/c", "platform/c"], r"^args\.repositories: .* names a repository twice$"),
        ([f"platform/c{i}" for i in range(101)], r"^args\.repositories: one replication rule filters at most 100"),
    ],
)
def test_bad_repository_names_name_the_argument(repositories: list[str], message: str) -> None:
    with pytest.raises(ImageRegistryError, match=message):
        ImageRegistryArgs(repositories=repositories)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"keep_images": 0}, r"^args\.keep_images: keep at least 1 image$"),
        ({"untagged_expiry_days": 0}, r"^args\.untagged_expiry_days: at least 1 day$"),
    ],
)
def test_bad_retention_names_the_field(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ImageRegistryError, match=message):
        ImageRegistryArgs(repositories=["platform/c"], **changes)


def test_repositories_and_their_key_are_protected_unless_a_stack_says_otherwise(harness: Harness) -> None:
    def program() -> None:
        provider = regional_aws_provider("aws-us-east-1", region="us-east-1", tags=TAGS)
        opts = pulumi.ResourceOptions(provider=provider)
        ImageRegistry("default", ImageRegistryArgs(repositories=["platform/a"]), opts=opts)
        ImageRegistry("dev", ImageRegistryArgs(repositories=["platform/b"], protect=False), opts=opts)

    graph = harness.run(program)
    assert graph.one(REPOSITORY, "default-platform-a").protect is True
    assert graph.one("aws:kms/key:Key", "default-key").protect is True
    assert graph.one(REPOSITORY, "dev-platform-b").protect is False
    assert graph.one("aws:kms/key:Key", "dev-key").protect is False


def test_the_component_module_does_not_read_the_stack_config() -> None:
    for module in (registry_module, dns_module):
        tree = ast.parse(inspect.getsource(module))
        imported = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert not {name for name in imported if name.startswith("eksplatform.stack")}, module.__name__


def test_ecr_images_name_their_repository() -> None:
    assert ecr_repository("111111111111.dkr.ecr.us-east-1.amazonaws.com/platform/lang-c:gcc-14.2.0") == (
        "111111111111",
        "us-east-1",
        "platform/lang-c",
    )
    digest = "sha256:" + "a" * 64
    assert ecr_repository(f"111111111111.dkr.ecr.eu-west-1.amazonaws.com/platform/lang-c@{digest}") == (
        "111111111111",
        "eu-west-1",
        "platform/lang-c",
    )
    assert ecr_repository("registry.k8s.io/autoscaling/cluster-autoscaler:v1.35.0") is None
    assert json.loads(lifecycle_policy(5, 1))["rules"][1]["selection"]["countNumber"] == 5


# --- in the default stacks -----------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_image_the_stack_runs_from_ecr_has_a_repository_in_its_region(stack: str) -> None:
    graph = synthesized(stack)
    repositories = {(r.outputs["arn"].split(":")[3], r.inputs["name"]) for r in graph.by_type(REPOSITORY)}
    images = [
        container["image"]
        for deployment in graph.by_type("kubernetes:apps/v1:Deployment")
        for container in deployment.inputs["spec"]["template"]["spec"]["containers"]
    ]
    in_ecr = [parsed for image in images if (parsed := ecr_repository(image)) is not None]
    assert in_ecr, "the default stacks run their images from ECR"
    for _, region, repository in in_ecr:
        assert (region, repository) in repositories


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_nodes_may_pull_only_from_their_regions_repositories(stack: str) -> None:
    graph = synthesized(stack)
    arns = {r.outputs["arn"] for r in graph.by_type(REPOSITORY)}
    grants = [g for g in graph.by_type("aws:iam/rolePolicy:RolePolicy") if g.name.endswith("-ecr-pull")]
    assert len(grants) == 2 * len(graph.by_type("platform:index:Cluster"))
    for grant in grants:
        region = grant.name.split("-cluster-")[0]
        _, pull = policy(grant, "policy")["Statement"]
        resources = pull["Resource"] if isinstance(pull["Resource"], list) else [pull["Resource"]]
        ours = [arn for arn in resources if ":602401143452:" not in arn]
        assert ours and set(ours) <= arns
        assert all(arn.split(":")[3] == region for arn in resources)
        if grant.name.endswith("-sandbox-node-role-ecr-pull"):
            assert all("/platform/lang-" in arn for arn in ours)
        else:
            # The system nodes' images: the autoscaler and the public entry's (components/ingress.py ENTRY_IMAGES).
            assert sorted(arn.rsplit("/", 1)[-1] for arn in ours) == [
                "aws-load-balancer-controller",
                "cluster-autoscaler",
                "traefik",
            ]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_prod_protects_its_repositories_and_their_key(stack: str) -> None:
    graph = synthesized(stack)
    registries = graph.by_type("platform:index:ImageRegistry")
    for registry in registries:
        children = graph.children(registry)
        guarded = [c for c in children if c.type in (REPOSITORY, "aws:kms/key:Key")]
        assert len(guarded) == 12  # eleven repositories and their key
        assert all(child.protect is (stack == "prod") for child in guarded)


def test_only_a_multi_region_stack_replicates() -> None:
    assert not synthesized("dev").by_type(REPLICATION)
    (replication,) = synthesized("prod").by_type(REPLICATION)
    (rule,) = replication.inputs["replicationConfiguration"]["rules"]
    assert sorted(d["region"] for d in rule["destinations"]) == ["ap-southeast-1", "eu-west-1"]
    # eight language services, the cluster-autoscaler, Traefik and the load balancer controller
    assert len(rule["repositoryFilters"]) == 11


def test_a_repository_only_a_secondary_uses_is_created_everywhere_and_replicated() -> None:
    # Replication copies from the primary's repositories that match its filters (ECR user guide,
    # "Private image replication"): a repository only eu-west-1 uses needs its twin in the primary.
    # eu-west-1's python image is SECONDARY_ONLY_IMAGE in this run (its other edits, the DNS zone
    # and the clusters' admin roles, touch no repository and no pull grant).
    graph = prod_with_own_zone_secondary_image_and_no_admin_roles()
    by_region: dict[str, set[str]] = {}
    for repository in graph.by_type(REPOSITORY):
        by_region.setdefault(str(region_of(graph, repository)), set()).add(repository.inputs["name"])
    assert set(by_region) == {"us-east-1", "eu-west-1", "ap-southeast-1"}
    assert all("custom/python" in names for names in by_region.values())
    assert len({frozenset(names) for names in by_region.values()}) == 1  # the union, in every region
    (replication,) = graph.by_type(REPLICATION)
    (rule,) = replication.inputs["replicationConfiguration"]["rules"]
    assert {f["filter"] for f in rule["repositoryFilters"]} == by_region["us-east-1"]
    # Only the region that runs it may pull from it.
    grants = {g.name: policy(g, "policy") for g in graph.by_type("aws:iam/rolePolicy:RolePolicy")}
    pulls = {name: str(document) for name, document in grants.items() if name.endswith("-sandbox-node-role-ecr-pull")}
    assert [name for name, text in pulls.items() if "custom/python" in text] == [
        "eu-west-1-cluster-sandbox-node-role-ecr-pull"
    ]


def test_registries_only_builds_the_repositories_under_the_urns_of_a_full_run(harness: Harness) -> None:
    # The first-deployment recipe (docs/upgrades.md): `registriesOnly: true`, push, then a full run.
    config = parse_stack_config(prod_with(registriesOnly=True))

    def program() -> None:
        for name, value in platform_from_stack("platform", config).stack_outputs().items():
            pulumi.export(name, value)

    graph = harness.run(program, stack="prod")
    full = {r.urn for r in synthesized("prod")}
    built = [r for r in graph if r.type != "pulumi:pulumi:Stack"]
    # Nothing that waits for an image, nor anything else: the registries, their keys, the replication.
    assert {r.type for r in built if not r.is_provider} == {
        "platform:index:Platform",
        "platform:index:Region",
        "platform:index:ImageRegistry",
        REPOSITORY,
        "aws:ecr/lifecyclePolicy:LifecyclePolicy",
        "aws:kms/key:Key",
        "aws:kms/alias:Alias",
        REPLICATION,
    }
    # The same URNs as the full run: the next `pulumi up` adds the rest around them, replacing nothing.
    assert {r.urn for r in built} <= full
    assert len(graph.by_type(REPOSITORY)) == 33  # eleven repositories in each of three regions
    assert set(out(graph, "repositories")) == {"us-east-1", "eu-west-1", "ap-southeast-1"}

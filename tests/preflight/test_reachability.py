"""The offline reachability check: every default stack's path, and each hop removed is named.

The same check runs in preflight's reports and as the pack's mandatory stack policy
`access-deployer-reaches-clusters`; both are exercised with the same mutations.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Callable
from typing import Any

import pytest

from eksplatform.policies import stack_config
from eksplatform.policies.reachability import Path
from eksplatform.policies.rule import Resource
from eksplatform.policies.rules.reachability import REACHABILITY_STACK_RULES, STACK_DEPLOYER, STACK_REGIONS
from eksplatform.preflight.__main__ import DEFAULT_PACK
from eksplatform.preflight.analyze import Analysis, analyze
from eksplatform.preflight.export import State, StateResource, export_document, read_state
from eksplatform.preflight.report import Run, reachability_state, render_json, render_markdown, render_text
from eksplatform.preflight.synth import PROJECT_ROOT
from eksplatform.stack.loading import read_stack_file
from tests.conftest import synthesized

RULE = REACHABILITY_STACK_RULES[0]
WEST = "eu-west-1"
DEPLOYER_CIDR = "10.250.0.0/16"
PROD_DEPLOYER_TABLE = "rtb-0c3d4e5f607182930"


@functools.cache
def _state(stack: str) -> State:
    """Once per stack: the tests only read it (a mutation copies what it changes)."""
    return read_state(export_document(synthesized(stack)), "synth")


def _by_cluster(paths: list[Path]) -> dict[str, list[Path]]:
    """Each cluster's paths: one per Kubernetes provider (the main one and the bootstrap one)."""
    grouped: dict[str, list[Path]] = {}
    for path in paths:
        grouped.setdefault(path.cluster, []).append(path)
    return grouped


# Every cluster has two Kubernetes providers: the main one, and the bootstrap one that opens
# kube-system under strict network policy before the late add-ons (components/cluster.py).
PROVIDERS_PER_CLUSTER = ("cluster-kubernetes", "cluster-kubernetes-bootstrap")


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_default_stack_reaches_every_cluster(stack: str) -> None:
    paths = reachability_state(_state(stack))
    regions = [region["name"] for region in read_stack_file(PROJECT_ROOT / f"Pulumi.{stack}.yaml")["platform:regions"]]
    assert sorted(path.cluster for path in paths) == sorted(
        f"{region}-cluster-eks" for region in regions for _ in PROVIDERS_PER_CLUSTER
    )
    assert sorted(path.provider_name for path in paths) == sorted(
        f"{region}-{provider}" for region in regions for provider in PROVIDERS_PER_CLUSTER
    )
    for path in paths:
        assert path.missing is None, path
        labels = [hop.label for hop in path.hops]
        assert labels[0].startswith("private-only endpoint of ") and labels[-1].endswith("depends on every hop")
        assert labels[1].startswith("peering ")
        assert any(label.startswith("443 from 10.250.0.0/16") for label in labels)
        assert any(label.startswith("access entry ") for label in labels)
        assert sum(label.startswith("deployer route table ") for label in labels) == 1
        # One route back per private route table: three in the one-NAT-per-AZ shapes, one in dev.
        assert sum(label.startswith("route table ") for label in labels) == (1 if stack == "dev" else 3)


# --- mutations: each removes one hop of eu-west-1's path ----------------------------------------

Mutation = Callable[[StateResource], StateResource | None]


def _drop(type_token: str, name: str) -> Mutation:
    def change(resource: StateResource) -> StateResource | None:
        return None if resource.type == type_token and resource.name == name else resource

    return change


def _edit(type_token: str, name: str, **props: Any) -> Mutation:
    def change(resource: StateResource) -> StateResource | None:
        if resource.type == type_token and resource.name == name:
            return dataclasses.replace(resource, inputs={**resource.inputs, **props})
        return resource

    return change


def _without_dependency(provider: str, dependency: str) -> Mutation:
    def change(resource: StateResource) -> StateResource | None:
        if resource.name != provider:
            return resource
        return dataclasses.replace(
            resource, dependencies=[d for d in resource.dependencies if not d.endswith(dependency)]
        )

    return change


MUTATIONS: dict[str, tuple[Mutation, str]] = {
    "no peering": (
        _drop("aws:ec2/vpcPeeringConnection:VpcPeeringConnection", f"{WEST}-deployer-peering-connection"),
        f"a VPC peering between {WEST}-network-vpc and the deployer VPC vpc-0f3a4b5c6d7e8f9a0",
    ),
    "no accepter": (
        _drop("aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter", f"{WEST}-deployer-peering-accepter"),
        f"the acceptance of peering {WEST}-deployer-peering-connection in us-east-1",
    ),
    "accepter that does not accept": (
        _edit(
            "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter",
            f"{WEST}-deployer-peering-accepter",
            autoAccept=False,
        ),
        f"the acceptance of peering {WEST}-deployer-peering-connection",
    ),
    "no route from the deployer": (
        _drop("aws:ec2/route:Route", f"{WEST}-deployer-peering-peer-{PROD_DEPLOYER_TABLE}-route"),
        f"a route in deployer route table {PROD_DEPLOYER_TABLE} to 10.101.0.0/16",
    ),
    "no route back from one zone": (
        _drop("aws:ec2/route:Route", f"{WEST}-deployer-peering-private-az2-route"),
        f"a route in route table {WEST}-network-private-az2-rt to the deployer's {DEPLOYER_CIDR}",
    ),
    "a route back too narrow": (
        _edit(
            "aws:ec2/route:Route", f"{WEST}-deployer-peering-private-az1-route", destinationCidrBlock="10.250.0.0/24"
        ),
        f"a route in route table {WEST}-network-private-az1-rt to the deployer's {DEPLOYER_CIDR}",
    ),
    "no 443 rule": (
        _drop("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", f"{WEST}-cluster-api-from-deployer"),
        f"ingress on 443 from {DEPLOYER_CIDR} on the security group of {WEST}-cluster-eks",
    ),
    "the rule on another port": (
        _edit(
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            f"{WEST}-cluster-api-from-deployer",
            fromPort=22,
            toPort=22,
        ),
        f"ingress on 443 from {DEPLOYER_CIDR}",
    ),
    "no access entry": (
        _drop("aws:eks/accessEntry:AccessEntry", f"{WEST}-cluster-deployer-access"),
        "an EKS access entry (STANDARD) for the runner role "
        "arn:aws:iam::333333333333:role/platform-deployer-prod-runner",
    ),
    "a namespace-scoped policy": (
        _edit(
            "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
            f"{WEST}-cluster-deployer-cluster-admin",
            accessScope={"type": "namespace", "namespaces": ["default"]},
        ),
        f"AmazonEKSClusterAdminPolicy at cluster scope for the runner role on {WEST}-cluster-eks",
    ),
    "a public endpoint too": (
        _edit(
            "aws:eks/cluster:Cluster",
            f"{WEST}-cluster-eks",
            vpcConfig={"endpointPrivateAccess": True, "endpointPublicAccess": True},
        ),
        f"a private-only endpoint on {WEST}-cluster-eks: with endpointPublicAccess on",
    ),
    "no private endpoint": (
        _edit("aws:eks/cluster:Cluster", f"{WEST}-cluster-eks", vpcConfig={"endpointPrivateAccess": False}),
        f"the private endpoint of {WEST}-cluster-eks",
    ),
    "a kubeconfig that assumes another role": (
        _edit(
            "pulumi:providers:kubernetes",
            f"{WEST}-cluster-kubernetes",
            kubeconfig='{"args": ["eks", "get-token", "--role-arn", "arn:aws:iam::333333333333:role/admin"]}',
        ),
        f"a kubeconfig on {WEST}-cluster-kubernetes that signs as the caller",
    ),
    "a peering to another region": (
        _edit(
            "aws:ec2/vpcPeeringConnection:VpcPeeringConnection",
            f"{WEST}-deployer-peering-connection",
            peerRegion="us-west-2",
        ),
        f"peering {WEST}-deployer-peering-connection to the deployer's region us-east-1",
    ),
    "a peering to another account": (
        _edit(
            "aws:ec2/vpcPeeringConnection:VpcPeeringConnection",
            f"{WEST}-deployer-peering-connection",
            peerOwnerId="444444444444",
        ),
        f"peering {WEST}-deployer-peering-connection to the deployer's account 333333333333",
    ),
    "an access entry of another type": (
        _edit("aws:eks/accessEntry:AccessEntry", f"{WEST}-cluster-deployer-access", type="EC2_LINUX"),
        "an EKS access entry (STANDARD) for the runner role",
    ),
    "the bootstrap provider does not wait for the access entry": (
        _without_dependency(f"{WEST}-cluster-kubernetes-bootstrap", f"{WEST}-cluster-deployer-cluster-admin"),
        f"{WEST}-cluster-kubernetes-bootstrap depending on {WEST}-cluster-deployer-",
    ),
    "a provider that does not wait for the rule": (
        _without_dependency(f"{WEST}-cluster-kubernetes", f"{WEST}-cluster-api-from-deployer"),
        f"{WEST}-cluster-kubernetes depending on {WEST}-cluster-api-from-deployer (dependsOn)",
    ),
}


def _mutated(mutation: Mutation) -> State:
    state = _state("prod")
    kept = [changed for resource in state.resources if (changed := mutation(resource)) is not None]
    assert kept != state.resources, "the mutation changed nothing"
    return dataclasses.replace(state, resources=kept)


@pytest.mark.parametrize("case", sorted(MUTATIONS))
def test_preflight_names_the_first_missing_hop(case: str) -> None:
    mutation, expected = MUTATIONS[case]
    paths = _by_cluster(reachability_state(_mutated(mutation)))
    broken = [path for path in paths.pop(f"{WEST}-cluster-eks") if not path.ok]
    assert broken, "the mutated region breaks"
    assert all(path.missing and path.missing.startswith(expected) for path in broken), broken
    assert all(path.ok for group in paths.values() for path in group), "only the mutated region breaks"


def _resources(state: State) -> list[Resource]:
    """The state's custom resources as the pack's stack policy receives them (components are not sent)."""
    return [
        Resource(
            type=r.type,
            name=r.name,
            urn=r.urn,
            props=r.inputs,
            parent=r.parent,
            dependencies=r.dependencies,
            provider=r.provider_urn,
            property_dependencies=r.property_dependencies,
        )
        for r in state.resources
        if r.custom and r.type != "pulumi:pulumi:Stack"
    ]


def _deployer_config() -> dict[str, Any]:
    deployer: dict[str, Any] = read_stack_file(PROJECT_ROOT / "Pulumi.prod.yaml")["platform:deployer"]
    return deployer


@pytest.mark.parametrize("case", sorted(MUTATIONS))
def test_the_stack_policy_names_the_same_hop_on_the_provider(case: str) -> None:
    mutation, expected = MUTATIONS[case]
    knobs = {**stack_config.knobs(stack_config.for_stack("prod"), RULE.name), STACK_DEPLOYER: _deployer_config()}
    violations = RULE.violations(_resources(_mutated(mutation)), knobs)
    names = [urn.rsplit("::", 1)[-1] for _, urn in violations]
    assert names and set(names) <= {f"{WEST}-{provider}" for provider in PROVIDERS_PER_CLUSTER}, names
    for message, _ in violations:
        assert f"the deployer cannot reach {WEST}-cluster-eks" in message and expected in message


def test_the_stack_policy_passes_the_default_stacks_with_their_config() -> None:
    for stack in ("dev", "staging", "prod"):
        deployer = read_stack_file(PROJECT_ROOT / f"Pulumi.{stack}.yaml")["platform:deployer"]
        assert RULE.violations(_resources(_state(stack)), {STACK_DEPLOYER: deployer}) == [], stack


def test_the_stack_policy_without_a_deployer_fails_every_cluster() -> None:
    # The stack's config came (its regions), without platform:deployer; the pack never sees components.
    regions = read_stack_file(PROJECT_ROOT / "Pulumi.prod.yaml")["platform:regions"]
    violations = RULE.violations(_resources(_state("prod")), {STACK_REGIONS: regions})
    assert len(violations) == 3 * len(PROVIDERS_PER_CLUSTER)
    assert all("the deployer network: the stack names none (set platform:deployer" in m for m, _ in violations)


def test_the_stack_policy_without_any_stack_config_checks_nothing() -> None:
    """An export analyzed alone (`preflight --state`): no config to check against; the report still
    proves the path from the export's DeployerConnection."""
    mutation, _ = MUTATIONS["no 443 rule"]
    assert RULE.violations(_resources(_mutated(mutation)), {}) == []
    assert not all(path.ok for path in _by_cluster(reachability_state(_mutated(mutation)))[f"{WEST}-cluster-eks"])


def test_the_stack_policy_with_another_deployer_cidr_fails() -> None:
    deployer = {
        **read_stack_file(PROJECT_ROOT / "Pulumi.dev.yaml")["platform:deployer"],
        "deployerCidr": "10.240.0.0/16",
    }
    violations = RULE.violations(_resources(_state("dev")), {STACK_DEPLOYER: deployer})
    assert len(violations) == len(PROVIDERS_PER_CLUSTER)  # both of the cluster's providers
    message = violations[0][0]
    assert "a route in route table us-east-1-network-private-rt to the deployer's 10.240.0.0/16" in message


def test_the_real_pack_refuses_a_missing_route_over_grpc() -> None:
    """The pack as the CLI runs it: the deployer comes from the stack config sent with ConfigureStack."""
    mutation, expected = MUTATIONS["no route from the deployer"]
    stack_values = read_stack_file(PROJECT_ROOT / "Pulumi.prod.yaml")
    analysis = analyze(_mutated(mutation), [DEFAULT_PACK], stack_config.for_stack("prod"), stack_values)
    found = [v for v in analysis.mandatory if v.policy_name == RULE.name]
    names = [v.urn.rsplit("::", 1)[-1] for v in found]
    assert f"{WEST}-cluster-kubernetes" in names
    assert set(names) <= {f"{WEST}-{provider}" for provider in PROVIDERS_PER_CLUSTER}
    assert all(expected in v.message for v in found)


# --- the reports ---------------------------------------------------------------------------------


def _run(state: State) -> Run:
    return Run(state=state, analysis=Analysis(packs=[], violations=[]))


def test_the_reports_show_the_path() -> None:
    run = _run(_state("prod"))
    text = render_text(run)
    assert "Reachability (3 of 3 cluster(s) reachable from the deployer (6 Kubernetes providers); offline" in text
    assert f"    {WEST}-cluster-eks via {WEST}-cluster-kubernetes: reachable" in text
    assert f"        - 443 from {DEPLOYER_CIDR}: {WEST}-cluster-api-from-deployer" in text
    document = json.loads(render_json(run))["reachability"]
    assert [entry["reachable"] for entry in document] == [True] * 6
    west = next(entry for entry in document if entry["cluster"] == f"{WEST}-cluster-eks")
    assert west["missing"] is None and west["provider"].endswith(f"::{WEST}-cluster-kubernetes")
    assert any(hop["label"].startswith("access entry") for hop in west["hops"])
    markdown = render_markdown(run)
    assert "**Reachability from the deployer: every cluster reachable** (3 of 3" in markdown
    assert f"| `{WEST}-cluster-eks` | `{WEST}-cluster-kubernetes` | yes | — |" in markdown


def test_the_reports_name_the_missing_hop() -> None:
    mutation, expected = MUTATIONS["no 443 rule"]
    run = _run(_mutated(mutation))
    text = render_text(run)
    assert f"    {WEST}-cluster-eks via {WEST}-cluster-kubernetes: NOT reachable" in text
    assert f"        first missing hop: {expected}" in text
    west = next(e for e in json.loads(render_json(run))["reachability"] if e["cluster"] == f"{WEST}-cluster-eks")
    assert west["reachable"] is False and west["missing"].startswith(expected)
    markdown = render_markdown(run)
    assert "**a cluster is unreachable**" in markdown and f"| no | {expected}" in markdown

"""The bypasses of #22 through preflight's real path: the prod export mutated, the pack process
driven over gRPC (property dependencies, providers and unknowns travel as the CLI sends them)."""

from __future__ import annotations

import dataclasses

import pytest

from eksplatform.preflight.analyze import Analysis, analyze, read_policy_config
from eksplatform.preflight.export import State, export_document, read_state
from eksplatform.preflight.synth import PROJECT_ROOT
from tests.conftest import synthesized

PACK = PROJECT_ROOT / "policies"
UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def _prod() -> State:
    return read_state(export_document(synthesized("prod")), "synth")


def _analyze(state: State) -> Analysis:
    return analyze(state, [PACK], read_policy_config(PACK / "config" / "prod.json"))


@pytest.fixture(scope="module")
def mutated() -> tuple[State, dict[str, str]]:
    """Bypasses in one region each; the other regions stay as they are."""
    state = _prod()
    resources, urns = [], {}
    for resource in state.resources:
        name = resource.name
        if name == "ap-southeast-1-network-flow-log":
            continue  # a definite violation of the policy that also meets the unknown below
        if name == "ap-southeast-1-network-vpc":
            urns["unlogged-vpc"] = resource.urn
        if name == "eu-west-1-language-services-default-deny":
            urns["dropped-deny"] = resource.urn
            continue  # the other clusters keep a policy of the same name and namespace
        if name == "eu-west-1-postgres-from-eks-nodes":
            inputs = {key: value for key, value in resource.inputs.items() if key != "referencedSecurityGroupId"}
            inputs.update(cidrIpv4="0.0.0.0/0", fromPort=443, toPort=443, tags={"platform/load-balancer": "true"})
            resource = dataclasses.replace(resource, inputs=inputs)
            urns["self-tagged"] = resource.urn
        if name == "eu-west-1-postgres-cluster":
            resource = dataclasses.replace(resource, inputs={**resource.inputs, "kmsKeyId": "alias/aws/rds"})
            urns["aws-key"] = resource.urn
        if name == "us-east-1-network-flow-log":
            # An unknown value in another resource must not silence the stack policies.
            resource = dataclasses.replace(resource, inputs={**resource.inputs, "trafficType": UNKNOWN_STRING})
        resources.append(resource)
    return State(stack=state.stack, project=state.project, resources=resources), urns


def test_every_mutation_is_caught_on_its_resource_and_mandatory(mutated: tuple[State, dict[str, str]]) -> None:
    state, urns = mutated
    analysis = _analyze(state)
    assert not [v for v in analysis.violations if "during preview" in v.message]  # judged per resource
    found = {(v.policy_name, v.urn, v.enforcement_level) for v in analysis.mandatory}
    assert ("exposure-security-group-no-world-ingress", urns["self-tagged"], "mandatory") in found
    assert ("encryption-rds-storage-cmk", urns["aws-key"], "mandatory") in found
    assert ("exposure-vpc-flow-logs", urns["unlogged-vpc"], "mandatory") in found
    deny = {urn for name, urn, _ in found if name == "exposure-kubernetes-namespace-default-deny"}
    assert deny and all("eu-west-1-language-services" in urn for urn in deny)
    assert {name for name, _, _ in found} == {
        "exposure-security-group-no-world-ingress",
        "encryption-rds-storage-cmk",
        "exposure-kubernetes-namespace-default-deny",
        "exposure-vpc-flow-logs",
    }


def test_the_unmutated_prod_export_has_no_mandatory_violation() -> None:
    assert _analyze(_prod()).mandatory == []

"""The access and data findings of the policy review through preflight's real path: the prod export
mutated one bypass per resource, the pack process driven over gRPC; each lands on its resource at
the prod level, and nothing else is reported."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import pytest

from eksplatform.preflight.analyze import analyze, read_policy_config
from eksplatform.preflight.export import State, StateResource, export_document, read_state
from eksplatform.preflight.synth import PROJECT_ROOT
from tests.conftest import synthesized

PACK = PROJECT_ROOT / "policies"
RBAC = "kubernetes:rbac.authorization.k8s.io/v1"
PUBLIC_OPEN = {"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}


def _policy_with(statement: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def change(inputs: dict[str, Any]) -> None:
        document = json.loads(inputs["policy"]) if inputs.get("policy") else {"Version": "2012-10-17"}
        document["Statement"] = [*document.get("Statement", []), statement]
        inputs["policy"] = json.dumps(document)

    return change


def _wildcard_subject(inputs: dict[str, Any]) -> None:
    document = json.loads(inputs["assumeRolePolicy"])
    condition = document["Statement"][0]["Condition"]
    (sub,) = [key for key in condition["StringEquals"] if key.endswith(":sub")]
    del condition["StringEquals"][sub]
    condition["StringLike"] = {sub: "system:serviceaccount:*:*"}
    inputs["assumeRolePolicy"] = json.dumps(document)


# resource name -> (change to its inputs, the policy that must catch it)
CHANGES: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "ap-southeast-1-postgres-key": (
        _policy_with({**PUBLIC_OPEN, "Condition": {"ForAllValues:StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}}),
        "access-kms-key-policy-not-public",
    ),
    "us-east-1-postgres-key": (
        _policy_with({**PUBLIC_OPEN, "Condition": {"StringNotEquals": {"aws:PrincipalAccount": "999999999999"}}}),
        "access-kms-key-policy-not-public",
    ),
    # The data stores alarm into the critical topic (components/alert_topics.py).
    "us-east-1-observability-critical": (
        _policy_with(
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "sns:Publish",
                "Resource": "*",
                "Condition": {"StringLike": {"aws:SourceArn": "arn:aws:*"}},
            }
        ),
        "access-sns-topic-policy-not-public",
    ),
    "us-east-1-cluster-aws-ebs-csi-driver-role": (_wildcard_subject, "access-iam-trust-no-wildcard-principal"),
    "us-east-1-redis-cache-default-user": (
        lambda inputs: inputs.update(
            authenticationMode={"type": "no-password-required"}, accessString="off ~* +@all on"
        ),
        "exposure-elasticache-auth",
    ),
    "us-east-1-redis-cache-rg": (
        lambda inputs: inputs.update(snapshotRetentionLimit=0),
        "data-elasticache-snapshots",
    ),
    "eu-west-1-postgres-cluster": (
        lambda inputs: inputs.update(backupRetentionPeriod=1),
        "data-rds-backup-retention",
    ),
    "us-east-1-cluster-eks": (lambda inputs: inputs.update(deletionProtection=False), "data-eks-deletion-protection"),
}


def _added(state: State) -> list[tuple[StateResource, str]]:
    """New resources, each a bypass of its own, beside existing ones of their region."""
    by_name = {resource.name: resource for resource in state.resources}
    node_role = by_name["us-east-1-cluster-node-role"]
    account = by_name["us-east-1-language-services-c-account"]
    key = by_name["us-east-1-postgres-key"]
    cache = by_name["us-east-1-redis-cache-rg"]

    def like(base: StateResource, name: str, resource_type: str, inputs: dict[str, Any]) -> StateResource:
        urn = base.urn.rsplit("$", 1)[0] + f"${resource_type}::{name}"  # the same parent component
        return dataclasses.replace(base, urn=urn, type=resource_type, inputs=inputs, property_dependencies={})

    anonymous = {
        "metadata": {"name": "anonymous-admin"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
        "subjects": [{"kind": "User", "name": "system:anonymous", "apiGroup": "rbac.authorization.k8s.io"}],
    }
    aggregated_ref = {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "sandbox-agg"}
    selectors = [{"matchLabels": {"rbac.authorization.k8s.io/aggregate-to-admin": "true"}}]
    return [
        (
            like(
                node_role,
                "us-east-1-node-admin-exclusive",
                "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
                {"roleName": "node", "policyArns": ["arn:aws:iam::aws:policy/AdministratorAccess"]},
            ),
            "access-iam-no-full-admin",
        ),
        (
            like(
                key,
                "us-east-1-replica-key",
                "aws:kms/replicaKey:ReplicaKey",
                {
                    "primaryKeyArn": "arn:aws:kms:eu-west-1:333333333333:key/mrk-1",
                    "policy": json.dumps({"Statement": [PUBLIC_OPEN]}),
                },
            ),
            "access-kms-key-policy-not-public",
        ),
        (
            like(account, "us-east-1-anonymous-admin", f"{RBAC}:ClusterRoleBinding", anonymous),
            "access-kubernetes-rbac-untrusted",
        ),
        (
            like(
                account,
                "us-east-1-aggregated-binding",
                f"{RBAC}:ClusterRoleBinding",
                {
                    "metadata": {"name": "sandbox-agg"},
                    "roleRef": aggregated_ref,
                    "subjects": [{"kind": "ServiceAccount", "name": "lang-c", "namespace": "sandbox"}],
                },
            ),
            "access-kubernetes-rbac-untrusted",
        ),
        (
            like(
                account,
                "us-east-1-aggregated-role",
                f"{RBAC}:ClusterRole",
                {"metadata": {"name": "sandbox-agg"}, "aggregationRule": {"clusterRoleSelectors": selectors}},
            ),
            "",
        ),
        (
            like(
                cache,
                "us-east-1-serverless-open",
                "aws:elasticache/serverlessCache:ServerlessCache",
                {
                    "name": "open",
                    "engine": "valkey",
                    "kmsKeyId": "arn:aws:kms:us-east-1:333333333333:key/abc",
                    "snapshotRetentionLimit": 1,
                    "tags": {"Name": "open"},
                },
            ),
            "exposure-elasticache-auth",
        ),
    ]


@pytest.fixture(scope="module")
def mutated() -> tuple[State, set[tuple[str, str]]]:
    state = read_state(export_document(synthesized("prod")), "synth")
    expected: set[tuple[str, str]] = set()
    resources = []
    zone = next(r.inputs["availabilityZone"] for r in state.resources if r.name == "eu-west-1-postgres-instance-1")
    for resource in state.resources:
        if resource.name in CHANGES:
            change, policy = CHANGES[resource.name]
            inputs = json.loads(json.dumps(resource.inputs))
            change(inputs)
            resource = dataclasses.replace(resource, inputs=inputs)
            expected.add((policy, resource.urn))
        if resource.name == "eu-west-1-postgres-instance-2":
            resource = dataclasses.replace(resource, inputs={**resource.inputs, "availabilityZone": zone})
            cluster = next(r.urn for r in state.resources if r.name == "eu-west-1-postgres-cluster")
            expected.add(("data-rds-aurora-standby", cluster))
        resources.append(resource)
    for resource, policy in _added(state):
        resources.append(resource)
        if policy:
            expected.add((policy, resource.urn))
    return State(stack=state.stack, project=state.project, resources=resources), expected


def test_every_access_and_data_bypass_is_caught_on_its_resource_and_mandatory(
    mutated: tuple[State, set[tuple[str, str]]],
) -> None:
    state, expected = mutated
    analysis = analyze(state, [PACK], read_policy_config(PACK / "config" / "prod.json"))
    found = {(v.policy_name, v.urn) for v in analysis.mandatory}
    assert len(expected) == 14 and found == expected
    assert all(v.enforcement_level == "mandatory" for v in analysis.mandatory)

"""The review's mutations of my findings through preflight's real path (review of #22): the prod
export mutated, the pack process driven over gRPC as the CLI drives it; every mutation is caught on
its resource, mandatory, and nothing else starts failing."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from eksplatform.preflight.analyze import Analysis, analyze, read_policy_config
from eksplatform.preflight.export import State, StateResource, export_document, read_state
from eksplatform.preflight.synth import PROJECT_ROOT
from tests.conftest import synthesized

PACK = PROJECT_ROOT / "policies"
UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


class Mutator:
    def __init__(self, state: State) -> None:
        self.resources = list(state.resources)
        self.state = state
        self.expected: set[tuple[str, str]] = set()

    def named(self, name: str) -> StateResource:
        return next(r for r in self.resources if r.name == name)

    def change(self, name: str, **inputs: Any) -> StateResource:
        index = next(i for i, r in enumerate(self.resources) if r.name == name)
        changed = dataclasses.replace(self.resources[index], inputs={**self.resources[index].inputs, **inputs})
        self.resources[index] = changed
        return changed

    def add(
        self, like: str, name: str, resource_type: str, inputs: dict[str, Any], **links: list[str]
    ) -> StateResource:
        base = self.named(like)
        added = StateResource(
            urn=f"{base.urn.rsplit('$', 1)[0]}${resource_type}::{name}",
            type=resource_type,
            custom=True,
            inputs=inputs,
            parent=base.parent,
            provider=base.provider,
            dependencies=[urn for urns in links.values() for urn in urns],
            property_dependencies=dict(links),
        )
        self.resources.append(added)
        return added

    def expect(self, policy: str, resource: StateResource) -> None:
        self.expected.add((policy, resource.urn))

    def done(self) -> State:
        return State(stack=self.state.stack, project=self.state.project, resources=self.resources)


@pytest.fixture(scope="module")
def mutated() -> tuple[Analysis, set[tuple[str, str]]]:
    m = Mutator(read_state(export_document(synthesized("prod")), "synth"))
    # 1: an allow-all in another shape undoes the sandbox deny (us-east-1).
    m.add(
        "us-east-1-language-services-default-deny",
        "us-east-1-allow-cluster",
        NETWORK_POLICY,
        {
            "metadata": {"namespace": "sandbox", "name": "allow-cluster"},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [{"namespaceSelector": {}}]}]},
        },
    )
    # Reported once per namespace, on its first workload.
    first = next(
        r
        for r in m.resources
        if r.type == "kubernetes:apps/v1:Deployment"
        and r.name.startswith("us-east-1-")
        and r.inputs.get("metadata", {}).get("namespace") == "sandbox"
    )
    m.expect("exposure-kubernetes-namespace-default-deny", first)
    # 7: a load balancer naming the database's group gives it no exemption (eu-west-1).
    database_group = m.named("eu-west-1-postgres-sg")
    m.add(
        "eu-west-1-postgres-sg",
        "eu-west-1-nlb",
        "aws:lb/loadBalancer:LoadBalancer",
        {"securityGroups": ["sg"]},
        securityGroups=[database_group.urn],
    )
    world_https = m.add(
        "eu-west-1-postgres-from-eks-nodes",
        "eu-west-1-postgres-443-world",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        {"securityGroupId": "sg", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "0.0.0.0/0"},
        securityGroupId=[database_group.urn],
    )
    m.expect("exposure-security-group-no-world-ingress", world_https)
    # 8: a rule on the default group; the internet through a prefix list; a subnet mapping public IPs.
    on_default = m.add(
        "us-east-1-postgres-from-eks-nodes",
        "us-east-1-default-sg-open",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        {"securityGroupId": "sg-default", "ipProtocol": "-1", "cidrIpv4": "10.0.0.0/8"},
        securityGroupId=[m.named("us-east-1-network-default-sg").urn],
    )
    m.expect("exposure-default-security-group-no-rule-resources", on_default)
    world_list = m.add(
        "ap-southeast-1-postgres-from-eks-nodes",
        "ap-southeast-1-world-pl",
        "aws:ec2/managedPrefixList:ManagedPrefixList",
        {
            "name": "everyone",
            "addressFamily": "IPv4",
            "maxEntries": 2,
            "entries": [{"cidr": "0.0.0.0/1"}, {"cidr": "128.0.0.0/1"}],
        },
    )
    from_list = m.add(
        "ap-southeast-1-postgres-from-eks-nodes",
        "ap-southeast-1-postgres-from-pl",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        {"securityGroupId": "sg", "ipProtocol": "tcp", "fromPort": 5432, "toPort": 5432, "prefixListId": "pl-1"},
        securityGroupId=[m.named("ap-southeast-1-postgres-sg").urn],
        prefixListId=[world_list.urn],
    )
    m.expect("exposure-security-group-no-world-ingress", from_list)
    m.expect("exposure-ec2-no-public-ip", m.change("us-east-1-network-private-az1", mapPublicIpOnLaunch=True))
    ingress = m.add(
        "us-east-1-language-services-c-service",
        "us-east-1-sandbox-ingress",
        "kubernetes:networking.k8s.io/v1:Ingress",
        {
            "metadata": {"namespace": "sandbox", "name": "expose"},
            "spec": {"rules": [{"http": {"paths": [{"path": "/"}]}}]},
        },
    )
    m.expect("exposure-kubernetes-load-balancer-namespaces", ingress)
    # 9: a Helm release moved into sandbox; a DeploymentPatch; a NamespacePatch.
    moved = m.change("ap-southeast-1-ingress-traefik", namespace="sandbox")
    m.expect("images-kubernetes-helm-release-allowed", moved)
    m.expect("sandbox-kubernetes-no-helm-releases", moved)
    patch = m.add(
        "us-east-1-language-services-c-deployment",
        "us-east-1-c-patch",
        "kubernetes:apps/v1:DeploymentPatch",
        {
            "metadata": {"namespace": "sandbox", "name": "lang-c"},
            "spec": {
                "template": {
                    "spec": {
                        "hostPID": True,
                        "containers": [
                            {
                                "name": "lang-c",
                                "image": "docker.io/evil/x:main",
                                "securityContext": {"privileged": True},
                            }
                        ],
                    }
                }
            },
        },
    )
    for policy in (
        "noroot-kubernetes-pod-security-restricted",
        "images-kubernetes-pinned",
        "images-kubernetes-allowed-registries",
    ):
        m.expect(policy, patch)
    relabel = m.add(
        "eu-west-1-language-services-namespace",
        "eu-west-1-sandbox-ns-patch",
        "kubernetes:core/v1:NamespacePatch",
        {"metadata": {"name": "sandbox", "labels": {"pod-security.kubernetes.io/enforce": "privileged"}}},
    )
    m.expect("noroot-kubernetes-namespace-restricted", relabel)
    # 10: launch template volumes by value; 12: an unknown key beside storageEncrypted false.
    mappings = [{"deviceName": "/dev/xvda", "noDevice": "", "ebs": {"volumeSize": 50, "encrypted": "false"}}]
    m.expect(
        "encryption-ec2-launch-template-volumes-encrypted",
        m.change("us-east-1-cluster-sandbox-lt", blockDeviceMappings=mappings),
    )
    data_only = [{"deviceName": "/dev/sdf", "ebs": {"volumeSize": 10, "encrypted": "true"}}]
    m.expect(
        "encryption-ec2-launch-template-volumes-encrypted",
        m.change("eu-west-1-cluster-sandbox-lt", blockDeviceMappings=data_only),
    )
    m.expect(
        "encryption-rds-storage-cmk",
        m.change("eu-west-1-postgres-cluster", kmsKeyId=UNKNOWN_STRING, storageEncrypted=False),
    )
    # 19: no metadata.namespace on a provider whose namespace is sandbox.
    provider = m.named("eu-west-1-cluster-kubernetes")
    m.change(provider.name, namespace="sandbox")
    deployment = m.named("eu-west-1-language-services-c-deployment")
    inputs = json.loads(json.dumps(deployment.inputs))
    del inputs["metadata"]["namespace"]
    inputs["metadata"]["name"] = "nons"
    inputs["spec"]["template"]["spec"]["automountServiceAccountToken"] = True
    nameless = m.add(deployment.name, "eu-west-1-nons-deployment", deployment.type, inputs)
    m.expect("noroot-kubernetes-no-service-account-token", nameless)
    m.expect("noroot-kubernetes-token-not-mounted", nameless)
    analysis = analyze(m.done(), [PACK], read_policy_config(PACK / "config" / "prod.json"))
    return analysis, m.expected


def test_every_mutation_is_caught_on_its_resource_and_mandatory(mutated: tuple[Analysis, set[tuple[str, str]]]) -> None:
    analysis, expected = mutated
    found = {(v.policy_name, v.urn) for v in analysis.mandatory}
    assert expected - found == set()


def test_nothing_else_starts_failing(mutated: tuple[Analysis, set[tuple[str, str]]]) -> None:
    analysis, expected = mutated
    assert not [
        v
        for v in analysis.violations
        if "during preview" in v.message and v.policy_name == "encryption-rds-storage-cmk"
    ]
    unexpected = {
        (v.policy_name, v.urn.rsplit("::", 1)[-1]) for v in analysis.mandatory if (v.policy_name, v.urn) not in expected
    }
    assert unexpected == set()

"""The capacity stack policies on the default stacks, and on mutated ones that must be refused."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from eksplatform.capacity.fit import MANDATORY_SCENARIOS, check
from eksplatform.policies.catalog import RESOURCE_RULES, STACK_RULES
from eksplatform.policies.rule import UNKNOWN, Resource
from eksplatform.policies.rules.capacity import capacity_items
from tests.conftest import synthesized
from tests.policies.views import resources_of

FIT = next(rule for rule in STACK_RULES if rule.name == "limits-eks-pods-fit-node-groups")
MAXIMUM = next(rule for rule in STACK_RULES if rule.name == "limits-eks-hpa-max-fits-node-groups")
EC2_TYPES = next(rule for rule in RESOURCE_RULES if rule.name == "limits-ec2-instance-type-allowed")

# The headroom each default stack keeps in its tightest group and scenario (docs/capacity.md). It
# was 20 %; the observability agents (CloudWatch agent 250m/128Mi and Fluent Bit 50m/25Mi on every
# node, docs/observability.md) leave about 13 % in prod's sandbox rolling update and 15 % in dev's
# system group; no node group was grown for them.
MIN_HEADROOM = 0.13


def test_the_pods_policy_is_mandatory_and_the_maximum_advisory() -> None:
    assert (FIT.enforcement, MAXIMUM.enforcement) == ("mandatory", "advisory")


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_each_default_stack_fits_with_headroom(stack: str) -> None:
    resources = resources_of(synthesized(stack))
    assert FIT.violations(resources) == []
    assert MAXIMUM.violations(resources) == []
    report = check(capacity_items(resources))
    groups = [fit for fit in report.fits if fit.scenario in MANDATORY_SCENARIOS]
    assert {fit.group.name for fit in groups} == {"system", "sandbox"}
    assert min(fit.headroom_share for fit in groups) >= MIN_HEADROOM
    # Every language service, add-on and Traefik was counted, none skipped.
    assert report.notes == [] and report.unschedulable == []


def test_prod_sandbox_requests_add_up_by_hand() -> None:
    report = check(capacity_items(resources_of(synthesized("prod"))))
    sandbox = next(f for f in report.groups("minimum") if f.group.name == "sandbox" and f.group.region == "us-east-1")
    # Services: python 3 x 250m, c 3 x 250m, java 2 x 500m, haskell and idris2 2 x 500m each,
    # lisp, assembly and systemf 2 x 250m each = 6000m; DaemonSets 480m (aws-node 50m, kube-proxy
    # 100m, ebs-csi-node 30m, cloudwatch-agent 250m, fluent-bit 50m) on each of 3 nodes.
    assert sandbox.requested_cpu == 6000 + 3 * 480
    # 3 + 3 + 6 x 2 service pods; 7 DaemonSet pods a node (the 4 of the cluster's add-ons, the
    # CloudWatch agent, Fluent Bit and the node exporter).
    assert sandbox.requested_pods == 18 + 3 * 7


def _with_group(resources: list[Resource], region: str, group: str, **scaling: int) -> list[Resource]:
    def mutate(resource: Resource) -> Resource:
        labels: Any = resource.props.get("labels") or {}
        if (
            resource.type == "aws:eks/nodeGroup:NodeGroup"
            and labels.get("platform/node-group") == group
            and resource.provider_props.get("region") == region
        ):
            config = {**resource.props["scalingConfig"], **scaling}
            return dataclasses.replace(resource, props={**resource.props, "scalingConfig": config})
        return resource

    return [mutate(resource) for resource in resources]


def test_a_prod_sandbox_shrunk_to_one_node_is_refused_naming_the_group() -> None:
    resources = _with_group(resources_of(synthesized("prod")), "eu-west-1", "sandbox", minSize=1, desiredSize=1)
    found = FIT.violations(resources)
    assert found, "one xlarge node cannot hold prod's language services"
    messages = [message for message, _ in found]
    assert all(
        message.startswith("node group sandbox of cluster eu-west-1-cluster in eu-west-1:") for message in messages
    )
    assert "cannot hold the pods that must run at the minimum" in messages[0]
    assert "short of CPU by" in messages[0]
    # Without the stack's config the region's index is named, not guessed; with it, the real path.
    assert "Raise regions[<index of eu-west-1>].cluster.nodeGroups.sandbox.minSize (now 1)" in messages[0]
    sent = {"stackRegions": [{"name": "us-east-1"}, {"name": "eu-west-1"}, {"name": "ap-southeast-1"}]}
    with_config = [message for message, _ in FIT.violations(resources, sent)]
    assert "Raise regions[1].cluster.nodeGroups.sandbox.minSize (now 1)" in with_config[0]
    assert "or lower regions[1].languageServices.services." in with_config[0]
    assert all(urn.endswith("::eu-west-1-cluster-sandbox") for _, urn in found)


def test_without_parents_as_a_pack_receives_them_each_cluster_keeps_its_own_pods() -> None:
    """The pack is sent no components, so parents are unknown: names link groups, add-ons and pods."""
    resources = resources_of(synthesized("prod"))
    orphans = [dataclasses.replace(resource, parent="") for resource in resources]
    with_parents = check(capacity_items(resources))
    without = check(capacity_items(orphans))
    assert len(without.fits) == len(with_parents.fits) == 18
    assert [(f.requested_cpu, f.requested_pods) for f in without.fits] == [
        (f.requested_cpu, f.requested_pods) for f in with_parents.fits
    ]
    shrunk = _with_group(orphans, "ap-southeast-1", "sandbox", minSize=1)
    urns = {urn.rsplit("::", 1)[-1] for _, urn in FIT.violations(shrunk)}
    assert urns == {"ap-southeast-1-cluster-sandbox"}


def test_a_small_maximum_is_advisory_only() -> None:
    resources = _with_group(resources_of(synthesized("staging")), "us-east-1", "sandbox", maxSize=3)
    assert FIT.violations(resources) == []
    [(message, _)] = MAXIMUM.violations(resources)
    assert "cannot hold every Deployment at its HPA maximum" in message
    assert "Raise regions[<index of us-east-1>].cluster.nodeGroups.sandbox.maxSize (now 3)" in message
    assert "adds nodes to a group only up to its maxSize" in message


def test_the_type_allowlist_refuses_a_node_type_the_model_does_not_know() -> None:
    group = Resource("aws:eks/nodeGroup:NodeGroup", "g", "urn:g", {"instanceTypes": ["t4g.mediun"]})
    assert EC2_TYPES.violations(group, {"allowedFamilies": ["t4g"]}) == [
        "'t4g.mediun' is not an EC2 instance type the capacity model knows; t4g sizes: "
        "2xlarge, large, medium, micro, nano, small, xlarge"
    ]
    assert EC2_TYPES.violations(dataclasses.replace(group, props={"instanceTypes": ["t4g.medium"]})) == []


def test_what_the_check_did_not_count_is_an_advisory_violation_on_its_resource() -> None:
    """During a preview a value may be unknown: the workload is not counted, and the pack says so."""
    resources = resources_of(synthesized("staging"))
    python = next(
        r for r in resources if r.type == "kubernetes:apps/v1:Deployment" and r.name.endswith("-python-deployment")
    )
    spec = {**python.props["spec"], "replicas": UNKNOWN}
    mutated = [dataclasses.replace(r, props={**r.props, "spec": spec}) if r is python else r for r in resources]
    assert FIT.violations(mutated) == []  # the mandatory policy judges only what it knows
    [(message, urn)] = MAXIMUM.violations(mutated)
    assert urn == python.urn
    assert message == (
        f"the capacity check did not count this: Deployment {python.name}: replicas is unknown during preview; "
        "its pods are not counted"
    )

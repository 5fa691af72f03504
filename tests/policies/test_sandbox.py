"""The sandbox policies: the dev stack passes; each mutation is caught, and each near miss passes."""

from __future__ import annotations

import base64
import copy
import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from components import language_manifests, sandbox_node
from components.config import LanguageServicesConfig
from policies.rule import Resource
from tests.conftest import synthesized
from tests.policies.builders import rule
from tests.policies.views import resources_of

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
RUNTIME_CLASS = "kubernetes:node.k8s.io/v1:RuntimeClass"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
ADDON = "aws:eks/addon:Addon"
NAMES = (
    "sandbox-kubernetes-pods-on-sandbox-nodes",
    "sandbox-kubernetes-isolation-runtime",
    "sandbox-kubernetes-no-unfiltered-dns",
    "sandbox-eks-network-policy-strict",
    "sandbox-eks-node-settings",
)
Edit = Callable[[list[Resource]], list[Resource]]


@pytest.fixture(scope="module")
def stack() -> list[Resource]:
    return resources_of(synthesized("dev"))


def _violations(name: str, resources: list[Resource]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = rule(name).violations(resources)
    return found


def _edit(
    resources: list[Resource], pick: Callable[[Resource], bool], change: Callable[[dict[str, Any]], object]
) -> list[Resource]:
    """The stack with the first resource `pick` accepts changed (a deep copy of its props)."""
    out, done = [], False
    for resource in resources:
        if not done and pick(resource):
            props = copy.deepcopy(dict(resource.props))
            change(props)
            resource, done = dataclasses.replace(resource, props=props), True
        out.append(resource)
    assert done, "nothing to edit"
    return out


def _python(resource: Resource) -> bool:
    return resource.type == DEPLOYMENT and resource.props["metadata"]["name"] == "lang-python"


def _pod(props: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = props["spec"]["template"]["spec"]
    return spec


def _runtime(resource: Resource) -> bool:
    return resource.type == RUNTIME_CLASS


def _sandbox_template(resource: Resource) -> bool:
    return resource.type == LAUNCH_TEMPLATE and resource.name.endswith("sandbox-lt")


def _vpc_cni(resource: Resource) -> bool:
    return resource.type == ADDON and resource.props.get("addonName") == "vpc-cni"


def _with_user_data(
    config_change: Callable[[dict[str, Any]], None] | None = None, script: str | None = None
) -> Callable[[dict[str, Any]], None]:
    def change(props: dict[str, Any]) -> None:
        config = copy.deepcopy(sandbox_node.node_config())
        if config_change is not None:
            config_change(config)
        text = sandbox_node.mime(config, sandbox_node.install_script("x86_64") if script is None else script)
        props["userData"] = base64.b64encode(text.encode()).decode()

    return change


def _kubelet(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(config: dict[str, Any]) -> None:
        if value is None:
            config["spec"]["kubelet"]["config"].pop(key)
        else:
            config["spec"]["kubelet"]["config"][key] = value

    return change


def _no_containerd(config: dict[str, Any]) -> None:
    config["spec"].pop("containerd")


def _dns_policy(
    resources: list[Resource], spec_change: Callable[[dict[str, Any]], None] | None = None
) -> list[Resource]:
    """The pool's allow-dns NetworkPolicy (as `allowDns: true` registers it) added to the stack."""
    deny = next(r for r in resources if r.type == NETWORK_POLICY and r.name.endswith("language-services-default-deny"))
    props = language_manifests.allow_dns(LanguageServicesConfig(image_registry="registry.example.com/platform"))
    if spec_change is not None:
        spec_change(props["spec"])
    added = dataclasses.replace(deny, name="allow-dns", urn=deny.urn.replace("default-deny", "allow-dns"), props=props)
    return [*resources, added]


def _dns_firewall(resources: list[Resource], action: str = "BLOCK") -> list[Resource]:
    group_urn = "urn:pulumi:dev::platform::aws:route53/resolverFirewallRuleGroup:ResolverFirewallRuleGroup::dns"
    rule_resource = Resource(
        type="aws:route53/resolverFirewallRule:ResolverFirewallRule",
        name="deny-all",
        urn="urn:pulumi:dev::platform::aws:route53/resolverFirewallRule:ResolverFirewallRule::deny-all",
        props={"action": action, "blockResponse": "NXDOMAIN", "priority": 100},
        property_dependencies={"firewallRuleGroupId": [group_urn]},
    )
    association = Resource(
        type="aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation",
        name="vpc",
        urn="urn:pulumi:dev::platform::aws:route53/resolverFirewallRuleGroupAssociation:"
        "ResolverFirewallRuleGroupAssociation::vpc",
        props={"priority": 101},
        property_dependencies={"firewallRuleGroupId": [group_urn]},
    )
    return [*resources, rule_resource, association]


@pytest.mark.parametrize("name", NAMES)
def test_the_dev_stack_passes_and_the_rule_is_mandatory(stack: list[Resource], name: str) -> None:
    assert _violations(name, stack) == []
    assert rule(name).enforcement == "mandatory"


CAUGHT: list[tuple[str, Edit, str]] = [
    (
        "sandbox-kubernetes-pods-on-sandbox-nodes",
        lambda rs: _edit(
            _edit(rs, _python, lambda p: _pod(p).pop("nodeSelector")),
            _runtime,
            lambda p: p.pop("scheduling"),
        ),
        "may be scheduled off the sandbox nodes",
    ),
    (
        "sandbox-kubernetes-isolation-runtime",
        lambda rs: _edit(rs, _python, lambda p: _pod(p).pop("runtimeClassName")),
        "runs untrusted code on the host kernel",
    ),
    (
        "sandbox-kubernetes-isolation-runtime",
        lambda rs: _edit(rs, _python, lambda p: _pod(p).update(runtimeClassName="kata")),
        "names RuntimeClass 'kata', which this stack does not create",
    ),
    (
        "sandbox-kubernetes-isolation-runtime",
        lambda rs: _edit(rs, _runtime, lambda p: p.update(handler="runc")),
        "whose handler 'runc' does not isolate",
    ),
    ("sandbox-kubernetes-no-unfiltered-dns", _dns_policy, "lets untrusted code send DNS queries"),
    (
        "sandbox-kubernetes-no-unfiltered-dns",
        lambda rs: _dns_policy(rs, lambda spec: spec["egress"][0].pop("ports")),
        "lets untrusted code send DNS queries",
    ),
    (
        "sandbox-kubernetes-no-unfiltered-dns",
        lambda rs: _dns_firewall(_dns_policy(rs), action="ALERT"),
        "lets untrusted code send DNS queries",
    ),
    (
        "sandbox-eks-network-policy-strict",
        lambda rs: _edit(rs, _vpc_cni, lambda p: p.update(configurationValues='{"enableNetworkPolicy": "true"}')),
        "NETWORK_POLICY_ENFORCING_MODE is 'standard'",
    ),
    (
        "sandbox-eks-network-policy-strict",
        lambda rs: _edit(
            rs,
            _vpc_cni,
            lambda p: p.update(configurationValues='{"env": {"NETWORK_POLICY_ENFORCING_MODE": "strict"}}'),
        ),
        "set configurationValues.enableNetworkPolicy",
    ),
    (
        "sandbox-eks-network-policy-strict",
        lambda rs: [r for r in rs if not _vpc_cni(r)],
        "installs no vpc-cni add-on",
    ),
    (
        "sandbox-eks-node-settings",
        lambda rs: _edit(rs, _sandbox_template, _with_user_data(_kubelet("podPidsLimit", None))),
        "set the kubelet's podPidsLimit (1 to 4096; it is None)",
    ),
    (
        "sandbox-eks-node-settings",
        lambda rs: _edit(rs, _sandbox_template, _with_user_data(_kubelet("podPidsLimit", 100000))),
        "it is 100000",
    ),
    (
        "sandbox-eks-node-settings",
        lambda rs: _edit(rs, _sandbox_template, _with_user_data(_kubelet("singleProcessOOMKill", False))),
        "set the kubelet's singleProcessOOMKill to true",
    ),
    (
        "sandbox-eks-node-settings",
        lambda rs: _edit(rs, _sandbox_template, _with_user_data(_no_containerd)),
        "register the runtime handlers ['runsc']",
    ),
    (
        "sandbox-eks-node-settings",
        lambda rs: _edit(rs, _sandbox_template, _with_user_data(script="#!/bin/bash\ntrue\n")),
        "installs no host firewall",
    ),
    (
        "sandbox-eks-node-settings",
        lambda rs: _edit(
            rs,
            _sandbox_template,
            _with_user_data(script="#!/bin/bash\niptables -w -I INPUT 1 -i eth0 -j DROP\n"),
        ),
        "installs no host firewall",
    ),
    (
        "sandbox-eks-node-settings",
        lambda rs: _edit(rs, _sandbox_template, lambda p: p.pop("userData")),
        "has no nodeadm NodeConfig",
    ),
    (
        "sandbox-eks-node-settings",
        lambda rs: _edit(rs, _sandbox_template, lambda p: p["metadataOptions"].update(httpPutResponseHopLimit=2)),
        "httpPutResponseHopLimit to 1",
    ),
]


@pytest.mark.parametrize(("name", "edit", "message"), CAUGHT, ids=[f"{c[0]}[{i}]" for i, c in enumerate(CAUGHT)])
def test_each_mutation_is_caught(stack: list[Resource], name: str, edit: Edit, message: str) -> None:
    found = _violations(name, edit(stack))
    assert any(message in text for text, _ in found), found


NEAR_MISSES: list[tuple[str, Edit]] = [
    # The RuntimeClass's scheduling still keeps the pod on the sandbox nodes.
    ("sandbox-kubernetes-pods-on-sandbox-nodes", lambda rs: _edit(rs, _python, lambda p: _pod(p).pop("nodeSelector"))),
    # A pod outside the untrusted namespaces needs no isolation runtime.
    (
        "sandbox-kubernetes-isolation-runtime",
        lambda rs: _edit(
            rs, _python, lambda p: (p["metadata"].update(namespace="tools"), _pod(p).pop("runtimeClassName"))
        ),
    ),
    # DNS out through a DNS Firewall that blocks.
    ("sandbox-kubernetes-no-unfiltered-dns", lambda rs: _dns_firewall(_dns_policy(rs))),
    # Egress that cannot carry DNS (443 only).
    (
        "sandbox-kubernetes-no-unfiltered-dns",
        lambda rs: _dns_policy(rs, lambda spec: spec["egress"][0].update(ports=[{"protocol": "TCP", "port": 443}])),
    ),
    # The largest PID limit the knob allows.
    (
        "sandbox-eks-node-settings",
        lambda rs: _edit(rs, _sandbox_template, _with_user_data(_kubelet("podPidsLimit", 4096))),
    ),
    # The system nodes need none of it.
    (
        "sandbox-eks-node-settings",
        lambda rs: _edit(
            rs, lambda r: r.type == LAUNCH_TEMPLATE and r.name.endswith("system-lt"), lambda p: p.pop("userData", None)
        ),
    ),
]


def _patch(resources: list[Resource], pod: dict[str, Any]) -> list[Resource]:
    """A DeploymentPatch of the sandbox's lang-c (server-side apply) added to the stack."""
    deployment = next(r for r in resources if r.type == DEPLOYMENT and r.props["metadata"]["name"] == "lang-c")
    props = {"metadata": {"namespace": "sandbox", "name": "lang-c"}, "spec": {"template": {"spec": pod}}}
    token = "kubernetes:apps/v1:DeploymentPatch"
    patch = dataclasses.replace(deployment, type=token, name="c-patch", urn=f"{deployment.urn}-patch", props=props)
    return [*resources, patch]


def test_a_patch_is_judged_on_what_it_sets(stack: list[Resource]) -> None:
    # Leaving the runtime class and node selector alone leaves the Deployment's.
    quiet = _patch(stack, {"terminationGracePeriodSeconds": 10})
    for name in ("sandbox-kubernetes-isolation-runtime", "sandbox-kubernetes-pods-on-sandbox-nodes"):
        assert _violations(name, quiet) == []
    loud = _patch(stack, {"runtimeClassName": "runc-default", "nodeSelector": {"platform/node-group": "system"}})
    assert [urn for _, urn in _violations("sandbox-kubernetes-isolation-runtime", loud)] == [loud[-1].urn]
    assert [urn for _, urn in _violations("sandbox-kubernetes-pods-on-sandbox-nodes", loud)] == [loud[-1].urn]


@pytest.mark.parametrize(("name", "edit"), NEAR_MISSES, ids=[f"{c[0]}[{i}]" for i, c in enumerate(NEAR_MISSES)])
def test_each_near_miss_passes(stack: list[Resource], name: str, edit: Edit) -> None:
    assert _violations(name, edit(stack)) == []


def test_the_dev_stack_links_pods_runtime_and_nodes(stack: list[Resource]) -> None:
    """What the policies check, seen once end to end: the pods name the RuntimeClass, whose handler
    the sandbox template's containerd config registers."""
    (runtime,) = [r for r in stack if _runtime(r)]
    pods = [
        _pod(dict(r.props)) for r in stack if r.type == DEPLOYMENT and r.props["metadata"]["namespace"] == "sandbox"
    ]
    assert len(pods) == 8 and {pod["runtimeClassName"] for pod in pods} == {runtime.props["metadata"]["name"]}
    # Admission rejects a pod whose RuntimeClass does not exist yet: the Deployments wait for it.
    deployments = [r for r in stack if r.type == DEPLOYMENT and r.props["metadata"]["namespace"] == "sandbox"]
    assert all(runtime.urn in deployment.dependencies for deployment in deployments)
    (template,) = [r for r in stack if _sandbox_template(r)]
    config, _ = sandbox_node.parse_user_data(template.props["userData"])
    assert config is not None and runtime.props["handler"] in config["spec"]["containerd"]["config"]

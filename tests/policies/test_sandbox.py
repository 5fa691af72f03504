"""The sandbox policies: the dev stack passes; each mutation is caught, and each near miss passes."""

from __future__ import annotations

import base64
import copy
import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from eksplatform.components import language_manifests, sandbox_node
from eksplatform.components.language_services import LanguageServicePoolArgs, SandboxedService
from eksplatform.policies.rule import Resource
from tests.conftest import synthesized
from tests.policies.builders import rule
from tests.policies.views import resources_of

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
RUNTIME_CLASS = "kubernetes:node.k8s.io/v1:RuntimeClass"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
ADDON = "aws:eks/addon:Addon"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
NAMES = (
    "sandbox-kubernetes-pods-on-sandbox-nodes",
    "sandbox-kubernetes-isolation-runtime",
    "sandbox-kubernetes-no-unfiltered-dns",
    "sandbox-eks-network-policy-strict",
    "sandbox-eks-node-settings",
    "sandbox-kubernetes-no-helm-releases",
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


def _sandbox_group(resource: Resource) -> bool:
    return resource.type == NODE_GROUP and resource.props["labels"].get("platform/node-group") == "sandbox"


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


def _containerd(toml: str) -> Callable[[dict[str, Any]], None]:
    def change(config: dict[str, Any]) -> None:
        config["spec"]["containerd"]["config"] = toml

    return change


RUNSC_V3 = """[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runsc]
runtime_type = "io.containerd.runsc.v1"

[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runsc.options]
TypeUrl = "io.containerd.runsc.v1.options"
ConfigPath = "/etc/containerd/runsc.toml"
"""
RUNSC_NO_OPTIONS = """[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc]
runtime_type = "io.containerd.runsc.v1"
"""
SCRIPT = sandbox_node.install_script("x86_64")
# The firewall as first written: in filter INPUT, which a DNAT'ed NodePort packet never crosses.
INPUT_FIREWALL = """iptables -w -N SANDBOX-HOST-GUARD
iptables -w -A SANDBOX-HOST-GUARD -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN
iptables -w -A SANDBOX-HOST-GUARD -j DROP
iptables -w -I INPUT 1 -i eni+ -j SANDBOX-HOST-GUARD
iptables -w -I FORWARD 1 -i eni+ -d 169.254.169.254/32 -j DROP
"""
LOCAL_DROP = "-i eni+ -m addrtype --dst-type LOCAL -m conntrack --ctstate NEW -j DROP"
IMDS_DROP = "-i eni+ -d 169.254.169.254/32 -j DROP"


def _without_lines(*fragments: str) -> str:
    """The sandbox's own script with every line holding one of `fragments` left out."""
    return "\n".join(line for line in SCRIPT.splitlines() if not any(f in line for f in fragments)) + "\n"


def _commented(fragment: str) -> str:
    """The sandbox's own script with the lines holding `fragment` commented out."""
    return "\n".join(f"# {line}" if fragment in line else line for line in SCRIPT.splitlines()) + "\n"


def _launch_version(version: str | None, latest: int | None = None, tracks_default: bool = True) -> Edit:
    def edit(resources: list[Resource]) -> list[Resource]:
        def template(props: dict[str, Any]) -> None:
            props["updateDefaultVersion"] = tracks_default
            if latest is not None:
                props["latestVersion"] = latest  # as a deployed template's outputs hold it

        def group(props: dict[str, Any]) -> None:
            props["launchTemplate"]["version"] = version

        return _edit(_edit(resources, _sandbox_template, template), _sandbox_group, group)

    return edit


def _helm_release(namespace: str) -> Edit:
    def edit(resources: list[Resource]) -> list[Resource]:
        python = next(r for r in resources if _python(r))
        release = Resource(
            type=HELM_RELEASE,
            name="judge",
            urn=python.urn.replace("kubernetes:apps/v1:Deployment", HELM_RELEASE) + "-judge",
            props={"chart": "judge0", "namespace": namespace, "version": "1.0.0"},
            provider=python.provider,
            provider_props=python.provider_props,
        )
        return [*resources, release]

    return edit


def _dns_policy(
    resources: list[Resource], spec_change: Callable[[dict[str, Any]], None] | None = None
) -> list[Resource]:
    """The pool's allow-dns NetworkPolicy (as `allowDns: true` registers it) added to the stack."""
    deny = next(r for r in resources if r.type == NETWORK_POLICY and r.name.endswith("language-services-default-deny"))
    pool = LanguageServicePoolArgs(
        kubernetes_version="1.34", services=[SandboxedService(name="c", image="registry.example.com/lang-c:1")]
    ).pool()
    props = language_manifests.allow_dns(pool)
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
    # The filter INPUT firewall: nodeIP:NodePort is DNAT'ed in nat PREROUTING and never reaches INPUT.
    (
        "sandbox-eks-node-settings",
        lambda rs: _edit(rs, _sandbox_template, _with_user_data(script=_without_lines("mangle") + INPUT_FIREWALL)),
        "installs no host firewall dropping new connections from pod interfaces to the node's own addresses",
    ),
    (
        "sandbox-eks-node-settings",
        lambda rs: _edit(rs, _sandbox_template, _with_user_data(script=_without_lines("mangle") + INPUT_FIREWALL)),
        "does not drop pod traffic to IMDS",
    ),
    # A commented-out rule drops nothing.
    (
        "sandbox-eks-node-settings",
        lambda rs: _edit(rs, _sandbox_template, _with_user_data(script=_commented("--dst-type LOCAL"))),
        "installs no host firewall",
    ),
    (
        "sandbox-eks-node-settings",
        lambda rs: _edit(rs, _sandbox_template, _with_user_data(script=_commented("169.254.169.254"))),
        "does not drop pod traffic to IMDS",
    ),
    # Rules applied once by cloud-init are gone after a reboot; the kubelet must require them.
    (
        "sandbox-eks-node-settings",
        lambda rs: _edit(
            rs, _sandbox_template, _with_user_data(script=_without_lines("Requires=sandbox-host-guard.service"))
        ),
        "not re-applied on every boot",
    ),
    (
        "sandbox-eks-node-settings",
        lambda rs: _edit(rs, _sandbox_template, _with_user_data(script=_without_lines("systemctl enable"))),
        "not re-applied on every boot",
    ),
    # gVisor itself.
    (
        "sandbox-eks-node-settings",
        lambda rs: _edit(rs, _sandbox_template, _with_user_data(script=_without_lines("install -m"))),
        "does not install containerd-shim-runsc-v1",
    ),
    (
        "sandbox-eks-node-settings",
        lambda rs: _edit(rs, _sandbox_template, _with_user_data(script=_commented('install -m 0755 "runsc"'))),
        "does not install runsc",
    ),
    # runsc without the systemd cgroup driver: the pod's limits are not applied (google/gvisor#10371).
    (
        "sandbox-eks-node-settings",
        lambda rs: _edit(rs, _sandbox_template, _with_user_data(_containerd(RUNSC_NO_OPTIONS))),
        "give runtime handler 'runsc' options TypeUrl",
    ),
    (
        "sandbox-eks-node-settings",
        lambda rs: _edit(rs, _sandbox_template, _with_user_data(script=_without_lines("systemd-cgroup"))),
        'does not write /etc/containerd/runsc.toml with [runsc_config] systemd-cgroup = "true"',
    ),
    # The node group boots another version than the one whose user data is checked.
    ("sandbox-eks-node-settings", _launch_version("1", latest=2), "pins version 1, not the template's latest (2)"),
    (
        "sandbox-eks-node-settings",
        _launch_version("$Default", tracks_default=False),
        "is the template's default version, which does not follow its latest",
    ),
    (
        "sandbox-kubernetes-no-helm-releases",
        _helm_release("sandbox"),
        "installs a Helm release into untrusted namespace 'sandbox'",
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
    # Strict mode beside other vpc-cni settings.
    (
        "sandbox-eks-network-policy-strict",
        lambda rs: _edit(
            rs,
            _vpc_cni,
            lambda p: p.update(
                configurationValues='{"enableNetworkPolicy": "true", "env": {"ENABLE_PREFIX_DELEGATION": "true", '
                '"NETWORK_POLICY_ENFORCING_MODE": "strict", "WARM_PREFIX_TARGET": "1"}}'
            ),
        ),
    ),
    # No sandbox node group and no vpc-cni add-on: nothing untrusted runs here to enforce policies for.
    ("sandbox-eks-network-policy-strict", lambda rs: [r for r in rs if not _vpc_cni(r) and not _sandbox_group(r)]),
    # A Helm release outside the untrusted namespaces.
    ("sandbox-kubernetes-no-helm-releases", _helm_release("tools")),
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
    # containerd 2's config version 3 path for the runtime (nodeadm's own template uses it).
    ("sandbox-eks-node-settings", lambda rs: _edit(rs, _sandbox_template, _with_user_data(_containerd(RUNSC_V3)))),
    # The versions that follow the template: its latest, `$Latest`, its default when that tracks the latest.
    ("sandbox-eks-node-settings", _launch_version("2", latest=2)),
    ("sandbox-eks-node-settings", _launch_version("$Latest", latest=2, tracks_default=False)),
    ("sandbox-eks-node-settings", _launch_version(None, latest=2)),
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

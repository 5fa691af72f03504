"""The sandbox: untrusted code runs isolated, on its own nodes, with no way out (docs/sandbox.md).

Stack policies, since each one links objects: a pod to its RuntimeClass, a node group to its
launch template and the user data the nodes boot with, a NetworkPolicy to the DNS Firewall that
would filter what it lets out.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from components.sandbox_node import parse_user_data
from policies.rule import Resource, StackRule, at, decoded, each, is_unknown, mapping, schema, sequence
from policies.rules.kubernetes import PATCH_TYPES, UNTRUSTED, WORKLOAD_TYPES, cluster_namespace, pod_of

RUNTIME_CLASS = "kubernetes:node.k8s.io/v1:RuntimeClass"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
ADDON = "aws:eks/addon:Addon"
FIREWALL_ASSOCIATION = "aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation"
FIREWALL_RULE = "aws:route53/resolverFirewallRule:ResolverFirewallRule"
DNS_PORT = 53
CRI_RUNTIMES = ("plugins", "io.containerd.grpc.v1.cri", "containerd", "runtimes")

SANDBOX_NODES = {
    "sandboxNodeLabels": schema(
        "object",
        {"platform/node-group": "sandbox"},
        "the labels that mark the sandbox node group (its nodes, and only its, carry them)",
        additionalProperties={"type": "string"},
    )
}
HANDLERS = {
    "runtimeHandlers": schema(
        "array",
        ["runsc"],
        "containerd runtime handlers that isolate untrusted code (gVisor's runsc)",
        items={"type": "string"},
        minItems=1,
    )
}


def _untrusted_workloads(resources: Sequence[Resource], config: Mapping[str, Any]) -> Iterator[Resource]:
    untrusted = set(sequence(config["untrustedNamespaces"]))
    for workload in resources:
        if workload.type in WORKLOAD_TYPES and cluster_namespace(workload)[1] in untrusted:
            yield workload


def _runtime_classes(resources: Sequence[Resource]) -> dict[tuple[str, str], Resource]:
    """Each RuntimeClass by (cluster, name): a RuntimeClass is cluster-scoped."""
    return {
        (runtime.provider, str(at(runtime.props, "metadata", "name"))): runtime
        for runtime in each(resources, RUNTIME_CLASS)
    }


# --- pods ------------------------------------------------------------------------------------


def _on_sandbox_nodes(resources: Sequence[Resource], config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Every untrusted pod selects the sandbox nodes' labels, itself or through its RuntimeClass
    (whose scheduling.nodeSelector is merged into the pod's by the RuntimeClass admission plugin)."""
    wanted = {str(key): str(value) for key, value in mapping(config["sandboxNodeLabels"]).items()}
    runtimes = _runtime_classes(resources)
    for workload in _untrusted_workloads(resources, config):
        spec = pod_of(workload)[1]
        if workload.type in PATCH_TYPES and "nodeSelector" not in spec:
            continue  # a patch that leaves the node selector leaves the target's
        selector, runtime_name = spec.get("nodeSelector"), spec.get("runtimeClassName")
        if is_unknown(selector) or is_unknown(runtime_name):
            continue
        runtime = runtimes.get((workload.provider, str(runtime_name))) if runtime_name else None
        from_runtime = at(runtime.props, "scheduling", "nodeSelector") if runtime is not None else None
        if is_unknown(from_runtime):
            continue
        selected = {**mapping(from_runtime), **mapping(selector)}
        missing = {key: value for key, value in wanted.items() if selected.get(key) != value}
        if missing:
            yield (
                f"{workload.name} runs untrusted code but may be scheduled off the sandbox nodes: add "
                f"{missing} to its nodeSelector (or its RuntimeClass's scheduling.nodeSelector)",
                workload.urn,
            )


def _isolation_runtime(resources: Sequence[Resource], config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Every untrusted pod names a RuntimeClass of the same cluster whose handler isolates it."""
    handlers = set(sequence(config["runtimeHandlers"]))
    runtimes = _runtime_classes(resources)
    for workload in _untrusted_workloads(resources, config):
        spec = pod_of(workload)[1]
        if workload.type in PATCH_TYPES and "runtimeClassName" not in spec:
            continue  # a patch that leaves the runtime class leaves the target's
        name = spec.get("runtimeClassName")
        if is_unknown(name):
            continue
        if not name:
            yield (
                f"{workload.name} runs untrusted code on the host kernel: set runtimeClassName to a RuntimeClass "
                f"whose handler is one of {sorted(handlers)} (the sandbox's is `gvisor`)",
                workload.urn,
            )
            continue
        runtime = runtimes.get((workload.provider, str(name)))
        if runtime is None:
            yield (
                f"{workload.name} names RuntimeClass {name!r}, which this stack does not create in its cluster; "
                "admission would reject its pods: create it, with a handler the sandbox nodes install",
                workload.urn,
            )
            continue
        handler = runtime.props.get("handler")
        if not is_unknown(handler) and handler not in handlers:
            yield (
                f"{workload.name} runs under RuntimeClass {name!r}, whose handler {handler!r} does not isolate "
                f"untrusted code: use one of {sorted(handlers)}",
                workload.urn,
            )


# --- network ---------------------------------------------------------------------------------


def _allows_dns(rule: Mapping[str, Any]) -> bool | None:
    """Does an egress rule let port 53 out? No ports: every port. None when unknown."""
    ports = rule.get("ports")
    if is_unknown(ports):
        return None
    if not sequence(ports):
        return True
    for port in sequence(ports):
        number = mapping(port).get("port")
        end = mapping(port).get("endPort")
        if is_unknown(number) or is_unknown(end):
            return None
        if number is None or number == DNS_PORT or number == "dns" or number == "dns-tcp":
            return True
        if isinstance(number, (int, float)) and isinstance(end, (int, float)) and number <= DNS_PORT <= end:
            return True
    return False


def _dns_filtered(resources: Sequence[Resource]) -> bool:
    """A Route 53 Resolver DNS Firewall rule group that blocks, associated with a VPC."""
    blocking = [rule for rule in each(resources, FIREWALL_RULE) if str(rule.props.get("action", "")).upper() == "BLOCK"]
    for association in each(resources, FIREWALL_ASSOCIATION):
        for rule in blocking:
            group = rule.props.get("firewallRuleGroupId")
            linked = association.props.get("firewallRuleGroupId")
            from_group = set(association.sources("firewallRuleGroupId")) & set(rule.sources("firewallRuleGroupId"))
            if from_group or (isinstance(group, str) and group and group == linked):
                return True
    return False


def _no_unfiltered_dns(resources: Sequence[Resource], config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """No NetworkPolicy of an untrusted namespace lets DNS out, unless a DNS Firewall filters it."""
    if _dns_filtered(resources):
        return
    untrusted = set(sequence(config["untrustedNamespaces"]))
    for policy in each(resources, NETWORK_POLICY):
        if cluster_namespace(policy)[1] not in untrusted:
            continue
        spec = policy.props.get("spec")
        if is_unknown(spec):
            continue
        for rule in sequence(mapping(spec).get("egress")):
            if _allows_dns(mapping(rule)):
                yield (
                    f"{policy.name} lets untrusted code send DNS queries, a channel out of the cluster (and a "
                    "list of its services): remove the egress, or filter DNS through a Route 53 Resolver DNS "
                    "Firewall rule group with a BLOCK rule associated with the VPC",
                    policy.urn,
                )
                break


def _cni_strict(resources: Sequence[Resource], config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """The VPC CNI enforces NetworkPolicies, in strict mode, wherever sandbox nodes run."""
    addons = [addon for addon in each(resources, ADDON) if addon.props.get("addonName") == "vpc-cni"]
    if not addons:
        for group in _sandbox_groups(resources, config):
            yield (
                f"{group.name} runs untrusted code but the stack installs no vpc-cni add-on, so nothing here "
                "enforces NetworkPolicies: install it with enableNetworkPolicy and strict mode",
                group.urn,
            )
    for addon in addons:
        values = addon.props.get("configurationValues")
        if is_unknown(values):
            continue
        settings = mapping(decoded(values))
        enabled = settings.get("enableNetworkPolicy")
        mode = mapping(settings.get("env")).get("NETWORK_POLICY_ENFORCING_MODE", "standard")
        if str(enabled).lower() != "true":
            yield (
                f'{addon.name}: set configurationValues.enableNetworkPolicy to "true"; without it no '
                "NetworkPolicy is enforced",
                addon.urn,
            )
        elif mode != "strict":
            yield (
                f"{addon.name}: NETWORK_POLICY_ENFORCING_MODE is {mode!r}, so a new pod runs allow-all until its "
                'policies apply; set configurationValues.env.NETWORK_POLICY_ENFORCING_MODE to "strict"',
                addon.urn,
            )


# --- nodes -----------------------------------------------------------------------------------


def _sandbox_groups(resources: Sequence[Resource], config: Mapping[str, Any]) -> list[Resource]:
    wanted = mapping(config["sandboxNodeLabels"])
    return [
        group
        for group in each(resources, NODE_GROUP)
        if not is_unknown(group.props.get("labels")) and wanted.items() <= mapping(group.props.get("labels")).items()
    ]


def _template_of(group: Resource, resources: Sequence[Resource]) -> Resource | None:
    sources = set(group.sources("launchTemplate"))
    named = at(group.props, "launchTemplate", "name")
    for template in each(resources, LAUNCH_TEMPLATE):
        if template.urn in sources or (isinstance(named, str) and named and named == template.props.get("name")):
            return template
    return None


def _node_problems(template: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    options = mapping(template.props.get("metadataOptions"))
    hops = options.get("httpPutResponseHopLimit")
    if not is_unknown(hops) and (options.get("httpTokens") != "required" or hops != 1):
        yield "IMDS: set metadataOptions.httpTokens to required and httpPutResponseHopLimit to 1"
    user_data = template.props.get("userData")
    if is_unknown(user_data):
        return
    node_config, script = parse_user_data(str(user_data or ""))
    if node_config is None:
        yield "its userData has no nodeadm NodeConfig (application/node.eks.aws) part"
        node_config = {}
    kubelet = mapping(at(node_config, "spec", "kubelet", "config"))
    pids = kubelet.get("podPidsLimit")
    if not isinstance(pids, int) or isinstance(pids, bool) or not 0 < pids <= config["maxPodPidsLimit"]:
        yield f"set the kubelet's podPidsLimit (1 to {config['maxPodPidsLimit']}; it is {pids!r})"
    if kubelet.get("singleProcessOOMKill") is not True:
        yield "set the kubelet's singleProcessOOMKill to true"
    try:
        containerd = tomllib.loads(str(at(node_config, "spec", "containerd", "config") or ""))
    except tomllib.TOMLDecodeError:
        containerd = {}
    runtimes = mapping(at(containerd, *CRI_RUNTIMES))
    missing = [handler for handler in sequence(config["runtimeHandlers"]) if handler not in runtimes]
    if missing:
        yield f"register the runtime handlers {missing} in NodeConfig spec.containerd.config"
    if not _drops_pod_to_node(script):
        yield "its user data installs no host firewall dropping connections from pod interfaces to the node"


def _drops_pod_to_node(script: str) -> bool:
    """An iptables INPUT rule on the pod interfaces (`eni+`) that drops, directly or through a chain."""
    lines = [line.split() for line in script.splitlines()]
    for words in lines:
        if "iptables" in words and "INPUT" in words and "-i" in words and "-j" in words:
            interface, target = words[words.index("-i") + 1], words[words.index("-j") + 1]
            if not interface.startswith("eni"):
                continue
            if target == "DROP":
                return True
            chain = [w for w in lines if "-A" in w and target in w and "-j" in w]
            if any(w[w.index("-j") + 1] == "DROP" and "--ctstate" not in w for w in chain):
                return True
    return False


def _node_settings(resources: Sequence[Resource], config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Every sandbox node group boots from a launch template that installs the isolation runtime,
    the kubelet's PID and OOM limits, the host firewall, and one-hop IMDSv2."""
    for group in _sandbox_groups(resources, config):
        template = _template_of(group, resources)
        if template is None:
            yield (
                f"{group.name} is a sandbox node group without a launch template in this stack; give it one that "
                "installs the sandbox's node settings (components/sandbox_node.py)",
                group.urn,
            )
            continue
        for problem in _node_problems(template, config):
            yield f"{template.name} (sandbox node group {group.name}): {problem}", template.urn


SANDBOX_STACK_RULES = (
    StackRule(
        name="sandbox-kubernetes-pods-on-sandbox-nodes",
        description="Pods of untrusted-code namespaces select the sandbox node group's labels (themselves or "
        "through their RuntimeClass), so untrusted code never shares a node with the system.",
        severity="high",
        enforcement="mandatory",
        check=_on_sandbox_nodes,
        config_schema={**UNTRUSTED, **SANDBOX_NODES},
        reference="NSA/CISA Kubernetes Hardening Guide: isolate workloads on separate nodes; GKE Sandbox",
    ),
    StackRule(
        name="sandbox-kubernetes-isolation-runtime",
        description="Pods of untrusted-code namespaces run under a RuntimeClass of the same cluster whose "
        "handler isolates them from the host kernel (gVisor's runsc).",
        severity="critical",
        enforcement="mandatory",
        check=_isolation_runtime,
        config_schema={**UNTRUSTED, **HANDLERS},
        reference="Kubernetes RuntimeClass; GKE Sandbox (gVisor)",
    ),
    StackRule(
        name="sandbox-kubernetes-no-unfiltered-dns",
        description="No NetworkPolicy of an untrusted-code namespace lets DNS (port 53, or every port) out, "
        "unless a Route 53 Resolver DNS Firewall rule group with a BLOCK rule is associated in the stack.",
        severity="high",
        enforcement="mandatory",
        check=_no_unfiltered_dns,
        config_schema=UNTRUSTED,
        reference="MITRE ATT&CK T1071.004 (DNS as a channel); Route 53 Resolver DNS Firewall",
    ),
    StackRule(
        name="sandbox-eks-network-policy-strict",
        description="The VPC CNI add-on enforces NetworkPolicies in strict mode, so no sandbox pod starts "
        "allow-all before its policies apply.",
        severity="high",
        enforcement="mandatory",
        check=_cni_strict,
        config_schema=SANDBOX_NODES,
        reference="EKS user guide: restrict Pod network traffic with Kubernetes network policies (strict mode)",
    ),
    StackRule(
        name="sandbox-eks-node-settings",
        description="Sandbox node groups boot from a launch template whose user data registers the isolation "
        "runtime with containerd, sets the kubelet's podPidsLimit and singleProcessOOMKill, installs a host "
        "firewall against pod-to-node connections, and whose IMDS is IMDSv2 with one hop.",
        severity="high",
        enforcement="mandatory",
        check=_node_settings,
        config_schema={
            **SANDBOX_NODES,
            **HANDLERS,
            "maxPodPidsLimit": schema("integer", 4096, "largest podPidsLimit a sandbox kubelet may have", minimum=1),
        },
        reference="EKS user guide: customize managed nodes with launch templates; KubeletConfiguration "
        "podPidsLimit, singleProcessOOMKill; AWS FSBP EC2.170",
    ),
)

"""The sandbox: untrusted code runs isolated, on its own nodes, with no way out (docs/sandbox.md).

Stack policies, since each one links objects: a pod to its RuntimeClass, a node group to its
launch template and the user data the nodes boot with, a NetworkPolicy to the DNS Firewall that
would filter what it lets out.
"""

from __future__ import annotations

import re
import shlex
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from eksplatform.components.sandbox_node import parse_user_data
from eksplatform.policies.rule import Resource, StackRule, at, decoded, each, is_unknown, mapping, schema, sequence
from eksplatform.policies.rules.kubernetes import (
    HELM_RELEASE,
    PATCH_TYPES,
    UNTRUSTED,
    WORKLOAD_TYPES,
    cluster_namespace,
    pod_of,
)

RUNTIME_CLASS = "kubernetes:node.k8s.io/v1:RuntimeClass"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
ADDON = "aws:eks/addon:Addon"
FIREWALL_ASSOCIATION = "aws:route53/resolverFirewallRuleGroupAssociation:ResolverFirewallRuleGroupAssociation"
FIREWALL_RULE = "aws:route53/resolverFirewallRule:ResolverFirewallRule"
DNS_PORT = 53
# Where containerd's CRI runtimes live: config version 2 (containerd 1.x) and version 3 (containerd
# 2.x, which AL2023 ships; nodeadm migrates version 2 keys into it).
CRI_RUNTIMES = (
    ("plugins", "io.containerd.grpc.v1.cri", "containerd", "runtimes"),
    ("plugins", "io.containerd.cri.v1.runtime", "containerd", "runtimes"),
)
RUNSC_TYPE = "io.containerd.runsc.v1"
RUNSC_OPTIONS_TYPE = "io.containerd.runsc.v1.options"
IMDS = ("169.254.169.254", "169.254.169.254/32")

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


def _no_helm_releases(resources: Sequence[Resource], config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """No Helm release installs into an untrusted namespace: its pods are rendered inside the
    release, where neither these policies nor the workload ones can see their runtime, nodes or
    DNS."""
    untrusted = set(sequence(config["untrustedNamespaces"]))
    for release in each(resources, HELM_RELEASE):
        namespace = release.props.get("namespace")
        if is_unknown(namespace):
            continue
        if cluster_namespace(release)[1] in untrusted:
            yield (
                f"{release.name} installs a Helm release into untrusted namespace "
                f"{cluster_namespace(release)[1]!r}, whose pods no policy can check (runtime, nodes, DNS): "
                "render its objects as Pulumi resources (a helm.sh/v4 Chart) or install it elsewhere",
                release.urn,
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


def _runtimes(containerd: Mapping[str, Any]) -> dict[str, Any]:
    runtimes: dict[str, Any] = {}
    for path in CRI_RUNTIMES:
        runtimes.update(mapping(at(containerd, *path)))
    return runtimes


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
    runtimes = _runtimes(containerd)
    commands = _commands(script)
    files = _written_files(script)
    missing = [handler for handler in sequence(config["runtimeHandlers"]) if handler not in runtimes]
    if missing:
        yield f"register the runtime handlers {missing} in NodeConfig spec.containerd.config"
    for handler in sequence(config["runtimeHandlers"]):
        runtime = mapping(runtimes.get(handler))
        if runtime:
            yield from _runtime_problems(str(handler), runtime, commands, files)
    if not _drops(commands, local=True):
        yield (
            "its user data installs no host firewall dropping new connections from pod interfaces to the "
            "node's own addresses before kube-proxy's NAT (iptables -t mangle PREROUTING -i eni+ -m addrtype "
            "--dst-type LOCAL -j DROP)"
        )
    if not _drops(commands, local=False):
        yield (
            "its user data does not drop pod traffic to IMDS (iptables -t mangle PREROUTING -i eni+ -d 169.254.169.254)"
        )
    if not _fail_closed(commands, files):
        yield (
            "its firewall is not re-applied on every boot before the kubelet: install it as an enabled systemd "
            "unit and add a kubelet drop-in with Requires= on that unit (cloud-init runs user data once)"
        )


def _runtime_problems(
    handler: str, runtime: Mapping[str, Any], commands: list[list[str]], files: Mapping[str, str]
) -> Iterator[str]:
    """The shim containerd runs for the handler is installed; for runsc, its options file turns on
    the systemd cgroup driver the AL2023 kubelet uses (google/gvisor#10371)."""
    runtime_type = str(runtime.get("runtime_type", ""))
    # containerd's shim naming: runtime_type io.containerd.<name>.<version> -> containerd-shim-<name>-<version>.
    parts = runtime_type.split(".")
    shim = f"containerd-shim-{parts[2]}-{parts[3]}" if len(parts) == 4 and parts[:2] == ["io", "containerd"] else ""
    if shim and not _installs(commands, shim):
        yield f"its user data does not install {shim}, the shim of runtime handler {handler!r}"
    if runtime_type != RUNSC_TYPE:
        return
    if not _installs(commands, "runsc"):
        yield "its user data does not install runsc"
    options = mapping(runtime.get("options"))
    path = options.get("ConfigPath")
    if options.get("TypeUrl") != RUNSC_OPTIONS_TYPE or not isinstance(path, str) or not path:
        yield (
            f"give runtime handler {handler!r} options TypeUrl = {RUNSC_OPTIONS_TYPE!r} and a ConfigPath, so runsc "
            "gets its flags (systemd-cgroup)"
        )
        return
    try:
        flags = mapping(tomllib.loads(files.get(path, "")).get("runsc_config"))
    except tomllib.TOMLDecodeError:
        flags = {}
    if str(flags.get("systemd-cgroup", "")).lower() != "true":
        yield (
            f'its user data does not write {path} with [runsc_config] systemd-cgroup = "true": under the '
            "kubelet's systemd cgroup driver runsc would not apply the pod's memory and CPU limits"
        )


def _commands(script: str) -> list[list[str]]:
    """The script's simple commands, split at `||`, `&&` and `;`; comment lines are skipped."""
    commands = []
    for line in script.splitlines():
        if line.lstrip().startswith("#"):
            continue
        for part in re.split(r"\|\||&&|;", line):
            try:
                words = shlex.split(part, comments=True)
            except ValueError:
                words = part.split()
            if words:
                commands.append(words)
    return commands


def _written_files(script: str) -> dict[str, str]:
    """Files the script writes with a here-document (`cat > PATH <<'EOF'` ... `EOF`)."""
    files: dict[str, str] = {}
    lines = script.splitlines()
    index = 0
    while index < len(lines):
        match = re.fullmatch(r"\s*cat\s*>\s*(\S+)\s*<<-?\s*['\"]?(\w+)['\"]?\s*", lines[index])
        index += 1
        if match is None:
            continue
        body = []
        while index < len(lines) and lines[index].strip() != match.group(2):
            body.append(lines[index])
            index += 1
        files[match.group(1)] = "\n".join(body) + "\n"
        index += 1
    return files


def _value(words: list[str], flag: str) -> str | None:
    return words[words.index(flag) + 1] if flag in words and words.index(flag) + 1 < len(words) else None


def _installs(commands: list[list[str]], binary: str) -> bool:
    return any(words[0] == "install" and words[-1].endswith(f"/{binary}") for words in commands)


def _drops(commands: list[list[str]], local: bool) -> bool:
    """An iptables rule added to mangle PREROUTING on the pod interfaces (`eni…`) that drops traffic
    to the node's own addresses (`local`) or to IMDS: mangle PREROUTING runs before kube-proxy's
    nat PREROUTING turns nodeIP:NodePort into a forwarded packet that INPUT never sees."""
    for words in commands:
        if "iptables" not in words[0] or _value(words, "-t") != "mangle" or _value(words, "-j") != "DROP":
            continue
        if "PREROUTING" not in (_value(words, "-I"), _value(words, "-A")):
            continue
        if not str(_value(words, "-i") or "").startswith("eni"):
            continue
        state = _value(words, "--ctstate")
        if state is not None and "NEW" not in state.split(","):
            continue
        if local and _value(words, "--dst-type") == "LOCAL":
            return True
        if not local and _value(words, "-d") in IMDS:
            return True
    return False


def _fail_closed(commands: list[list[str]], files: Mapping[str, str]) -> bool:
    """A systemd unit the script enables, that a kubelet drop-in requires."""
    enabled = {word for words in commands if words[:2] == ["systemctl", "enable"] for word in words[2:]}
    for path, text in files.items():
        if "/kubelet.service.d/" not in path:
            continue
        for line in text.splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "Requires" and set(value.split()) & enabled:
                return True
    return False


def _version_problem(group: Resource, template: Resource) -> str | None:
    """The node group boots the template's version whose user data is checked: its latest (or the
    default, when the template makes each new version the default). terraform-provider-aws
    aws_eks_node_group launch_template.version: use the template's latest_version or default_version."""
    version = at(group.props, "launchTemplate", "version")
    if is_unknown(group.props.get("launchTemplate")) or is_unknown(version):
        return None  # computed from the template (its new version, during a preview)
    tracks_default = template.props.get("updateDefaultVersion") is True
    if version in (None, "", "$Default"):
        if tracks_default:
            return None
        return (
            "launchTemplate.version is the template's default version, which does not follow its latest: set "
            "the template's updateDefaultVersion, or the version to its latestVersion"
        )
    if version == "$Latest":
        return None
    latest = template.props.get("latestVersion")
    if latest is None or is_unknown(latest) or str(latest) == str(version):
        return None
    return (
        f"launchTemplate.version pins version {version}, not the template's latest ({latest}): the nodes boot "
        "from other user data than the one checked here; use the template's latestVersion"
    )


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
        version = _version_problem(group, template)
        if version is not None:
            yield f"{group.name} (sandbox node group): {version}", group.urn
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
        description="Sandbox node groups boot the latest version of a launch template whose user data registers "
        "the isolation runtime with containerd (for runsc: its options file with systemd-cgroup), installs its "
        "binaries, sets the kubelet's podPidsLimit and singleProcessOOMKill, drops pod connections to the node's "
        "own addresses and to IMDS in mangle PREROUTING (before kube-proxy's NAT), re-applies that firewall on "
        "every boot through a systemd unit the kubelet requires, and whose IMDS is IMDSv2 with one hop.",
        severity="high",
        enforcement="mandatory",
        check=_node_settings,
        config_schema={
            **SANDBOX_NODES,
            **HANDLERS,
            "maxPodPidsLimit": schema("integer", 4096, "largest podPidsLimit a sandbox kubelet may have", minimum=1),
        },
        reference="EKS user guide: customize managed nodes with launch templates; KubeletConfiguration "
        "podPidsLimit, singleProcessOOMKill; gVisor containerd configuration and google/gvisor#10371 "
        "(systemd-cgroup); AWS FSBP EC2.170",
    ),
    StackRule(
        name="sandbox-kubernetes-no-helm-releases",
        description="No Helm release (helm.sh/v3 Release) installs into an untrusted-code namespace: the pods it "
        "renders are invisible to the policies that keep untrusted code on gVisor, on the sandbox nodes and "
        "without DNS.",
        severity="high",
        enforcement="mandatory",
        check=_no_helm_releases,
        config_schema=UNTRUSTED,
        reference="Pulumi Kubernetes helm.sh/v3 Release (objects applied by Helm, not registered as resources)",
    ),
)

"""Exposure: nothing reachable from the internet that should not be, and every network watched."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from eksplatform.policies.label_selectors import matches, selects_any_object, selects_everything
from eksplatform.policies.networks import cidr_values, open_to_internet
from eksplatform.policies.rule import Resource, Rule, StackRule, at, each, is_unknown, mapping, schema, sequence, truthy
from eksplatform.policies.rules.kubernetes import (
    HELM_RELEASE,
    UNTRUSTED,
    WORKLOADS,
    cluster_namespace,
    namespace_of,
    pod_of,
)

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
PREFIX_LIST = "aws:ec2/managedPrefixList:ManagedPrefixList"
PREFIX_LIST_ENTRY = "aws:ec2/managedPrefixListEntry:ManagedPrefixListEntry"
LOAD_BALANCERS = (
    "aws:lb/loadBalancer:LoadBalancer",
    "aws:alb/loadBalancer:LoadBalancer",
    "aws:elb/loadBalancer:LoadBalancer",
)
# Resources whose security groups guard data or the cluster: never a load balancer's group.
GUARDED_TYPE_PREFIXES = ("aws:rds/", "aws:elasticache/", "aws:eks/", "aws:ec2/launchTemplate:")
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
SERVICE_TYPES = ("kubernetes:core/v1:Service", "kubernetes:core/v1:ServicePatch")
# Objects that route outside traffic to a namespace's pods through a shared ingress controller.
ROUTE_TYPES = (
    "kubernetes:networking.k8s.io/v1:Ingress",
    "kubernetes:networking.k8s.io/v1:IngressPatch",
    "kubernetes:traefik.io/v1alpha1:IngressRoute",
    "kubernetes:traefik.io/v1alpha1:IngressRouteTCP",
    "kubernetes:traefik.io/v1alpha1:IngressRouteUDP",
    "kubernetes:traefik.containo.us/v1alpha1:IngressRoute",
    "kubernetes:traefik.containo.us/v1alpha1:IngressRouteTCP",
    "kubernetes:traefik.containo.us/v1alpha1:IngressRouteUDP",
    "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
    "kubernetes:gateway.networking.k8s.io/v1:GRPCRoute",
    "kubernetes:gateway.networking.k8s.io/v1alpha2:TCPRoute",
    "kubernetes:gateway.networking.k8s.io/v1alpha2:TLSRoute",
    "kubernetes:gateway.networking.k8s.io/v1alpha2:UDPRoute",
)
SUBNETS = ("aws:ec2/subnet:Subnet", "aws:ec2/defaultSubnet:DefaultSubnet")
ALL_PROTOCOLS = ("-1", "all")
# IANA protocol numbers as the EC2 API accepts them beside the names.
PROTOCOL_NAMES = {"6": "tcp", "17": "udp", "1": "icmp", "-1": "-1", "all": "-1"}


def _public_database(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if resource.props.get("publiclyAccessible") is True:
        yield "set publiclyAccessible: false; reach the database from inside the VPC"


def protocol_name(value: Any) -> str:
    """tcp, udp, icmp or -1 (every protocol), whether written as a name or a number (6, "6", 6.0)."""
    text = str(value).strip().lower()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    return PROTOCOL_NAMES.get(text, text)


def _ports(protocol: Any, from_port: Any, to_port: Any) -> tuple[str, set[int] | None]:
    """How the ports read, and the single ports admitted (None: a range or every port)."""
    if protocol_name(protocol) in ALL_PROTOCOLS:
        return "every port (protocol -1)", None
    if isinstance(from_port, (int, float)) and isinstance(to_port, (int, float)):
        low, high = int(from_port), int(to_port)
        return f"ports {low}-{high}", ({low} if low == high else None)
    return "unknown ports", None


def _load_balancer_groups(resources: Sequence[Resource], config: Mapping[str, Any]) -> set[str]:
    """The URNs of the security groups that front a load balancer: those an aws.lb.LoadBalancer's
    securityGroups came from, and those named in `loadBalancerGroups` (a load balancer Pulumi does
    not create, e.g. one the AWS Load Balancer Controller attaches the group to). Never a group that
    a database, cache, cluster or node template uses, however it is tagged or named: a tag or a
    rule cannot grant itself the exemption."""
    named = {str(name) for name in sequence(config["loadBalancerGroups"])}
    fronting = {
        urn for balancer in resources if balancer.type in LOAD_BALANCERS for urn in balancer.sources("securityGroups")
    }
    fronting |= {group.urn for group in resources if group.type == SECURITY_GROUP and group.name in named}
    guarded = {
        urn
        for resource in resources
        if resource.type.startswith(GUARDED_TYPE_PREFIXES)
        for urns in resource.property_dependencies.values()
        for urn in urns
    }
    return fronting - guarded


def _prefix_lists(resources: Sequence[Resource]) -> dict[str, list[str]]:
    """The CIDR entries of every managed prefix list in the stack, by URN (inline entries and
    aws.ec2.ManagedPrefixListEntry resources)."""
    found: dict[str, list[str]] = {
        pl.urn: cidr_values(*(mapping(entry).get("cidr") for entry in sequence(pl.props.get("entries"))))
        for pl in each(resources, PREFIX_LIST)
    }
    for entry in each(resources, PREFIX_LIST_ENTRY):
        for urn in entry.sources("prefixListId"):
            found.setdefault(urn, []).extend(cidr_values(entry.props.get("cidr")))
    return found


def _world_ingress(
    where: str,
    protocol: Any,
    from_port: Any,
    to_port: Any,
    cidrs: list[str],
    exempt: bool,
) -> Iterator[str]:
    if not open_to_internet(cidrs):
        return
    shown, single = _ports(protocol, from_port, to_port)
    web = protocol_name(protocol) == "tcp" and single is not None and single <= {80, 443}
    if web and exempt:
        return
    yield f"{where}admits {', '.join(cidrs)} (the internet) on {shown}; admit known CIDRs or security groups instead"


def _no_world_ingress(resources: Sequence[Resource], config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    fronting = _load_balancer_groups(resources, config)
    prefix_lists = _prefix_lists(resources)

    def listed(urns: Sequence[str]) -> list[str]:
        return [cidr for urn in urns for cidr in prefix_lists.get(urn, ())]

    for resource in resources:
        props = resource.props
        if resource.type == SECURITY_GROUP:
            for index, rule in enumerate(sequence(props.get("ingress"))):
                rule = mapping(rule)
                cidrs = cidr_values(rule.get("cidrBlocks"), rule.get("ipv6CidrBlocks"))
                if sequence(rule.get("prefixListIds")):
                    # Which list a rule names is not recorded per rule: every list the ingress came from.
                    cidrs += listed(resource.sources("ingress"))
                for message in _world_ingress(
                    f"ingress[{index}] ",
                    rule.get("protocol"),
                    rule.get("fromPort"),
                    rule.get("toPort"),
                    cidrs,
                    resource.urn in fronting,
                ):
                    yield f"security group {resource.name}: {message}", resource.urn
        elif resource.type in (SECURITY_GROUP_RULE, INGRESS_RULE):
            if resource.type == SECURITY_GROUP_RULE and props.get("type") != "ingress":
                continue
            # The group the rule belongs to, by the URN its securityGroupId came from: only a group
            # that fronts a load balancer gets the exemption.
            exempt = any(urn in fronting for urn in resource.sources("securityGroupId"))
            if resource.type == SECURITY_GROUP_RULE:
                cidrs = cidr_values(props.get("cidrBlocks"), props.get("ipv6CidrBlocks"))
                cidrs += listed(resource.sources("prefixListIds"))
                protocol = props.get("protocol")
            else:
                cidrs = cidr_values(props.get("cidrIpv4"), props.get("cidrIpv6"))
                cidrs += listed(resource.sources("prefixListId"))
                protocol = props.get("ipProtocol")
            for message in _world_ingress("", protocol, props.get("fromPort"), props.get("toPort"), cidrs, exempt):
                yield f"security group rule {resource.name}: {message}", resource.urn
        elif resource.type == NODE_GROUP:
            # With an SSH key and no source groups, EKS opens port 22 to 0.0.0.0/0 (EKS API, RemoteAccessConfig).
            remote = mapping(props.get("remoteAccess"))
            if remote.get("ec2SshKey") and not sequence(remote.get("sourceSecurityGroupIds")):
                yield (
                    f"node group {resource.name}: remoteAccess with an SSH key and no sourceSecurityGroupIds opens "
                    "port 22 to the internet; set sourceSecurityGroupIds or drop remoteAccess",
                    resource.urn,
                )


def _eks_endpoint(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    vpc = mapping(resource.props.get("vpcConfig"))
    if vpc.get("endpointPublicAccess") is False:
        return
    # The public endpoint is on unless turned off, and open to the world unless limited.
    if not config["allowPublicEndpoint"]:
        yield "set vpcConfig.endpointPublicAccess: false (this stack keeps the Kubernetes API private)"
        return
    cidrs = cidr_values(vpc.get("publicAccessCidrs"))
    if not cidrs or open_to_internet(cidrs):
        yield "limit vpcConfig.publicAccessCidrs to known networks; the API is open to the internet"


def _default_group_empty(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    for direction in ("ingress", "egress"):
        if sequence(resource.props.get(direction)):
            yield f"remove every {direction} rule from the default security group"


def _empty_default_group(resource: Resource, config: Mapping[str, Any]) -> Mapping[str, Any] | None:
    return {**resource.props, "ingress": [], "egress": []}


def _default_group_rule_resources(
    resources: Sequence[Resource], config: Mapping[str, Any]
) -> Iterator[tuple[str, str]]:
    """Standalone rules attached to a default security group (FSBP EC2.2 counts every rule)."""
    defaults = {group.urn: group for group in each(resources, DEFAULT_SECURITY_GROUP)}
    for rule in each(resources, SECURITY_GROUP_RULE, INGRESS_RULE, EGRESS_RULE):
        group = next((defaults[urn] for urn in rule.sources("securityGroupId") if urn in defaults), None)
        if group is not None:
            yield (
                f"security group rule {rule.name} adds a rule to the default security group {group.name}; "
                "give the traffic a security group of its own and leave the default group empty",
                rule.urn,
            )


def _exposed_namespaces(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    metadata = resource.props.get("metadata")
    if is_unknown(metadata) or is_unknown(at(metadata, "namespace")):
        return  # decided once the namespace is known
    namespace = namespace_of(resource)
    if resource.type in SERVICE_TYPES:
        if at(resource.props, "spec", "type") == "LoadBalancer":
            allowed = [str(name) for name in sequence(config["allowedNamespaces"])]
            if namespace not in allowed:
                yield f"a LoadBalancer Service in namespace {namespace!r}; only {allowed} may expose one"
        return
    # An Ingress (or an ingress controller's route) makes a shared public entry point route to pods.
    if namespace in {str(name) for name in sequence(config["untrustedNamespaces"])}:
        kind = resource.type.rsplit(":", 1)[-1]
        yield f"a {kind} in namespace {namespace!r} would route outside traffic to untrusted code; remove it"


LB_ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer-"
# The class the AWS Load Balancer Controller answers for (docs/guide/service/nlb.md, v3.5.0).
LB_CONTROLLER_CLASS = "service.k8s.aws/nlb"


def _load_balancer_controller(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if at(resource.props, "spec", "type") != "LoadBalancer":
        return
    annotations = mapping(at(resource.props, "metadata", "annotations"))
    kind = annotations.get(f"{LB_ANNOTATION}type")
    if kind != "external" and at(resource.props, "spec", "loadBalancerClass") != LB_CONTROLLER_CLASS:
        # Without either, EKS's legacy in-tree cloud provider makes the load balancer.
        yield (
            f"set the annotation {LB_ANNOTATION}type: external (it is {kind!r}) so that the AWS Load "
            "Balancer Controller provisions the load balancer, not the legacy in-tree cloud provider"
        )
        return
    target_type = annotations.get(f"{LB_ANNOTATION}nlb-target-type")
    if not is_unknown(target_type) and target_type != "ip":
        # ip targets reach the pods directly; `instance` opens a NodePort on every node (nlb.md).
        yield f"set {LB_ANNOTATION}nlb-target-type: ip (it is {target_type!r}): targets are the pods, no NodePorts"
    certificate = annotations.get(f"{LB_ANNOTATION}ssl-cert")
    if annotations.get(f"{LB_ANNOTATION}scheme") == "internet-facing" and not certificate:
        yield f"an internet-facing load balancer serves TLS: set {LB_ANNOTATION}ssl-cert to an ACM certificate ARN"
    ssl_ports = annotations.get(f"{LB_ANNOTATION}ssl-ports")
    if not certificate or ssl_ports is None or is_unknown(ssl_ports) or str(ssl_ports).strip() == "*":
        return  # without ssl-ports the controller puts TLS on every port (annotations.md#ssl-ports)
    listed = {part.strip() for part in str(ssl_ports).split(",")}
    ports = at(resource.props, "spec", "ports")
    for port in [] if is_unknown(ports) else sequence(ports):
        port = mapping(port)
        name, number = port.get("name"), port.get("port")
        if is_unknown(name) or is_unknown(number):
            continue
        if str(number) not in listed and (name is None or str(name) not in listed):
            yield (
                f"port {name or number} is not in {LB_ANNOTATION}ssl-ports ({ssl_ports}): with a certificate "
                "every listener serves TLS; list it, or leave ssl-ports unset"
            )


def _flow_logs(resources: Sequence[Resource], config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """A flow log whose vpcId came from the VPC, capturing rejected traffic at least (FSBP EC2.6)."""
    logged: set[str] = set()
    for log in each(resources, "aws:ec2/flowLog:FlowLog"):
        traffic = log.props.get("trafficType")
        if traffic in ("ALL", "REJECT") or is_unknown(traffic):
            logged.update(log.property_dependencies.get("vpcId", ()))
    for vpc in each(resources, "aws:ec2/vpc:Vpc"):
        if vpc.urn not in logged:
            yield (
                f"VPC {vpc.name} has no flow log; add an aws.ec2.FlowLog with vpcId from it and trafficType ALL",
                vpc.urn,
            )


def _directions(spec: Mapping[str, Any]) -> set[str] | None:
    """policyTypes, or the API's default: Ingress, plus Egress when egress rules are given (None:
    not known during a preview)."""
    types = spec.get("policyTypes")
    if is_unknown(types) or any(is_unknown(kind) for kind in sequence(types)):
        return None
    if sequence(types):
        return {str(kind) for kind in sequence(types)}
    return {"Ingress", "Egress"} if "egress" in spec else {"Ingress"}


def _open_peer(peer: Any) -> str | None:
    """Why one NetworkPolicy peer admits everyone, or None: an ipBlock with public space (less its
    `except`), a namespaceSelector that selects any namespace (with no podSelector, or one that
    selects any pod), or a podSelector alone that selects any pod of the namespace. A selector that
    a preview does not know yet decides nothing."""
    peer = mapping(peer)
    block = peer.get("ipBlock")
    if block is not None:
        block = mapping(block)
        if open_to_internet(cidr_values(block.get("cidr")), cidr_values(block.get("except"))):
            return f"ipBlock {block.get('cidr')} (the internet)"
        return None
    namespaces, pods = peer.get("namespaceSelector"), peer.get("podSelector")
    any_pod = True if pods is None else selects_any_object(pods)
    if namespaces is not None:
        return "every pod of every namespace" if selects_any_object(namespaces) and any_pod else None
    return "every pod of the namespace" if pods is not None and any_pod else None


def _allows_everyone(rule: Any, peers_key: str, *, ports_narrow: bool) -> str | None:
    """Why a rule admits every source (or destination), or None.

    In an untrusted namespace ports do not narrow who may connect: a rule open to everyone on one
    port still undoes the deny (untrusted code can use any port it is given). Elsewhere a rule that
    names its ports is a deliberate, narrow opening (the autoscaler calling AWS APIs on 443) and
    leaves the deny in place for every other port.
    """
    rule = mapping(rule)
    peers = rule.get(peers_key)
    if is_unknown(peers):
        return None
    if ports_narrow and _names_its_ports(rule.get("ports")):
        return None
    if not sequence(peers):
        return "every source and destination (no peers)"
    return next((why for why in map(_open_peer, sequence(peers)) if why), None)


def _names_its_ports(ports: Any) -> bool:
    """Every entry names a port (a number or a name); an empty list or a bare protocol opens all."""
    entries = sequence(ports)
    return bool(entries) and all(
        not is_unknown(mapping(entry).get("port")) and mapping(entry).get("port") is not None for entry in entries
    )


def _workload_labels(workload: Resource) -> Any:
    labels = pod_of(workload)[0].get("labels")
    return labels if is_unknown(labels) else mapping(labels)


def _default_deny(resources: Sequence[Resource], config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Per cluster and namespace: a policy over every pod (podSelector {}) with no rules in each
    direction, and no policy that can select a workload of the namespace with a rule open to
    everyone (NetworkPolicies add up: an allow anywhere undoes the deny for the pods it selects).
    An unknown selector never counts as a deny."""
    untrusted = {str(name) for name in sequence(config.get("untrustedNamespaces"))}
    denied: dict[tuple[str, str], set[str]] = {}
    openers: dict[tuple[str, str], list[tuple[Any, str]]] = {}
    for policy in each(resources, NETWORK_POLICY):
        spec = policy.props.get("spec")
        directions = None if is_unknown(spec) else _directions(mapping(spec))
        if directions is None:
            continue
        spec = mapping(spec)
        key = cluster_namespace(policy)
        selector = spec.get("podSelector")
        for direction, rules_key, peers_key in (("Ingress", "ingress", "from"), ("Egress", "egress", "to")):
            if direction not in directions:
                continue
            found = spec.get(rules_key)
            if is_unknown(found):
                continue
            if not sequence(found) and selects_everything(selector) is True:
                denied.setdefault(key, set()).add(direction)
            for rule in sequence(found):
                why = _allows_everyone(rule, peers_key, ports_narrow=key[1] not in untrusted)
                if why:
                    side = "from" if direction == "Ingress" else "to"
                    openers.setdefault(key, []).append((selector, f"{policy.name} allows {rules_key} {side} {why}"))
    reported: set[tuple[str, str]] = set()
    # A Helm release runs workloads the pack cannot see: its namespace needs the deny too, and
    # since its pods' labels are unknown, any opening in that namespace may select them.
    for workload in (r for r in resources if r.type in WORKLOADS or r.type == HELM_RELEASE):
        key = cluster_namespace(workload)
        if key in reported:
            continue
        missing = sorted({"Ingress", "Egress"} - denied.get(key, set()))
        labels = _workload_labels(workload) if workload.type in WORKLOADS else None
        undone = [
            why for selector, why in openers.get(key, ()) if labels is None or matches(selector, labels) is not False
        ]
        if missing or undone:
            reported.add(key)
            why = f"no default deny for {', '.join(missing)}" if missing else "; ".join(undone)
            yield (
                f"namespace {key[1]!r} runs workloads without an effective default-deny NetworkPolicy ({why}): "
                "add one with podSelector: {}, policyTypes: [Ingress, Egress] and no rules, and no policy that "
                "opens the namespace's pods to everyone (no peers, an empty namespace or pod selector, a public "
                "ipBlock)",
                workload.urn,
            )


def _network_acl_admin_ports(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """No allow rule from the internet to SSH or RDP (FSBP EC2.21)."""
    admin = [int(port) for port in sequence(config["adminPorts"])]
    if resource.type == "aws:ec2/networkAclRule:NetworkAclRule":
        if resource.props.get("egress") is True:
            return
        entries = [("", resource.props)]
    else:
        entries = [(f"ingress[{i}] ", mapping(e)) for i, e in enumerate(sequence(resource.props.get("ingress")))]
    for where, entry in entries:
        action = str(entry.get("ruleAction") or entry.get("action") or "").lower()
        cidrs = cidr_values(entry.get("cidrBlock"), entry.get("ipv6CidrBlock"))
        if action != "allow" or not open_to_internet(cidrs):
            continue
        protocol = protocol_name(entry.get("protocol"))
        if protocol in ALL_PROTOCOLS:
            exposed = admin
        elif protocol in ("tcp", "udp"):  # RDP listens on UDP 3389 too
            low, high = entry.get("fromPort"), entry.get("toPort")
            if not isinstance(low, (int, float)) or not isinstance(high, (int, float)):
                exposed = admin
            else:
                exposed = [port for port in admin if low <= port <= high]
        else:
            continue
        if exposed:
            ports = ", ".join(str(port) for port in exposed)
            yield f"{where}allows {', '.join(cidrs)} (the internet) to port {ports}; deny it or narrow the source"


def _imdsv2(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if is_unknown(resource.props.get("metadataOptions")):
        return
    options = mapping(resource.props.get("metadataOptions"))
    if options.get("httpEndpoint") == "disabled" or is_unknown(options.get("httpEndpoint")):
        return  # no metadata service at all (or not known yet)
    tokens = options.get("httpTokens")
    if tokens != "required" and not is_unknown(tokens):
        yield "set metadataOptions.httpTokens: required (IMDSv2; the default also accepts IMDSv1)"
    hops = options.get("httpPutResponseHopLimit")
    if isinstance(hops, (int, float)) and hops > config["maxHopLimit"]:
        yield (
            f"metadataOptions.httpPutResponseHopLimit {hops:g} lets pods reach the node's credentials; "
            f"set it to {config['maxHopLimit']}"
        )


def _no_public_ip(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if resource.type in SUBNETS:
        # A default subnet maps public IPs unless told not to (EC2 user guide, "Default subnets").
        value = resource.props.get("mapPublicIpOnLaunch")
        if truthy(value) or (value is None and resource.type == "aws:ec2/defaultSubnet:DefaultSubnet"):
            yield "set mapPublicIpOnLaunch: false; instances launched here would get a public IP address"
        return
    if resource.type == "aws:ec2/instance:Instance":
        if resource.props.get("associatePublicIpAddress") is True:
            yield "set associatePublicIpAddress: false; reach instances through the VPC"
        return
    for index, interface in enumerate(sequence(resource.props.get("networkInterfaces"))):
        if truthy(mapping(interface).get("associatePublicIpAddress")):
            yield f"networkInterfaces[{index}]: set associatePublicIpAddress to false"


LOAD_BALANCER_GROUPS = {
    "loadBalancerGroups": schema(
        "array",
        [],
        "Pulumi names of security groups that front a load balancer Pulumi does not create (e.g. one the "
        "AWS Load Balancer Controller attaches); groups of aws.lb load balancers count without it",
        items={"type": "string"},
        minItems=0,
    )
}

EXPOSURE_RULES = (
    Rule(
        name="exposure-rds-not-public",
        description="No database instance or cluster is publicly accessible.",
        severity="critical",
        enforcement="mandatory",
        check=_public_database,
        resource_types=(
            "aws:rds/instance:Instance",
            "aws:rds/clusterInstance:ClusterInstance",
            "aws:rds/cluster:Cluster",
        ),
        reference="AWS FSBP RDS.2",
        judges_unknowns=True,
    ),
    Rule(
        name="exposure-eks-endpoint",
        description="The EKS API endpoint is private where required (prod) and never open to the internet.",
        severity="high",
        enforcement="mandatory",
        check=_eks_endpoint,
        resource_types=("aws:eks/cluster:Cluster",),
        config_schema={"allowPublicEndpoint": schema("boolean", False, "may the API have a public endpoint")},
        reference="AWS FSBP EKS.1",
    ),
    Rule(
        name="exposure-default-security-group-empty",
        description="The VPC's default security group has no rules.",
        severity="medium",
        enforcement="mandatory",
        check=_default_group_empty,
        resource_types=("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",),
        reference="AWS FSBP EC2.2",
        remediation="Set ingress: [] and egress: [] on the default security group.",
        remedy=_empty_default_group,
        judges_unknowns=True,
    ),
    Rule(
        name="exposure-kubernetes-load-balancer-namespaces",
        description="Services of type LoadBalancer only in allowed namespaces; no Ingress or ingress route "
        "(Traefik, Gateway API) in an untrusted namespace.",
        severity="high",
        enforcement="mandatory",
        check=_exposed_namespaces,
        resource_types=(*SERVICE_TYPES, *ROUTE_TYPES),
        config_schema={
            "allowedNamespaces": schema(
                "array", ["ingress"], "namespaces that may expose a LoadBalancer", items={"type": "string"}
            ),
            **UNTRUSTED,
        },
        # CIS EKS 5.4.5 is TLS on load balancers, not this; no benchmark item names the namespaces.
        reference="NSA/CISA Kubernetes Hardening Guide: network separation; platform requirement",
        judges_unknowns=True,
    ),
    Rule(
        name="exposure-network-acl-admin-ports",
        description="No network ACL admits the internet to SSH (22) or RDP (3389), over TCP or UDP.",
        severity="high",
        enforcement="mandatory",
        check=_network_acl_admin_ports,
        resource_types=(
            "aws:ec2/networkAcl:NetworkAcl",
            "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl",
            "aws:ec2/networkAclRule:NetworkAclRule",
        ),
        config_schema={
            "adminPorts": schema("array", [22, 3389], "remote administration ports", items={"type": "integer"})
        },
        reference="AWS FSBP EC2.21",
    ),
    Rule(
        name="exposure-ec2-imdsv2-required",
        description="Launch templates and instances require IMDSv2 with a hop limit of 1.",
        severity="high",
        enforcement="mandatory",
        check=_imdsv2,
        resource_types=("aws:ec2/launchTemplate:LaunchTemplate", "aws:ec2/instance:Instance"),
        config_schema={"maxHopLimit": schema("integer", 1, "largest httpPutResponseHopLimit", minimum=1, maximum=64)},
        reference="AWS FSBP EC2.170, EC2.8",
        judges_unknowns=True,
    ),
    Rule(
        name="exposure-ec2-no-public-ip",
        description="Launch templates, instances and subnets assign no public IP address.",
        severity="high",
        enforcement="mandatory",
        check=_no_public_ip,
        resource_types=("aws:ec2/launchTemplate:LaunchTemplate", "aws:ec2/instance:Instance", *SUBNETS),
        reference="AWS FSBP EC2.25, EC2.9, EC2.15",
        judges_unknowns=True,
    ),
    Rule(
        name="exposure-kubernetes-load-balancer-controller",
        description="A LoadBalancer Service gets its load balancer from the AWS Load Balancer Controller with "
        "ip targets, and an internet-facing one terminates TLS with an ACM certificate on every port.",
        severity="high",
        enforcement="mandatory",
        check=_load_balancer_controller,
        resource_types=("kubernetes:core/v1:Service",),
        reference="Amazon EKS user guide: route TCP and UDP traffic with Network Load Balancers (AWS Load Balancer "
        "Controller); AWS FSBP ELB.17 (TLS listeners)",
    ),
)

EXPOSURE_STACK_RULES = (
    StackRule(
        name="exposure-security-group-no-world-ingress",
        description="No security group, inline or standalone rule (CIDRs or a managed prefix list), or node "
        "group's SSH access admits the internet (0.0.0.0/0 or an equally wide split), except TCP 80/443 on the "
        "groups of load balancers.",
        severity="critical",
        enforcement="mandatory",
        check=_no_world_ingress,
        config_schema=LOAD_BALANCER_GROUPS,
        reference="AWS FSBP EC2.18, EC2.19, EC2.53, EC2.54",
    ),
    StackRule(
        name="exposure-default-security-group-no-rule-resources",
        description="No standalone security group rule is attached to a VPC's default security group.",
        severity="medium",
        enforcement="mandatory",
        check=_default_group_rule_resources,
        reference="AWS FSBP EC2.2",
    ),
    StackRule(
        name="exposure-vpc-flow-logs",
        description="Every VPC has flow logs of all (or rejected) traffic.",
        severity="medium",
        enforcement="mandatory",
        check=_flow_logs,
        reference="AWS FSBP EC2.6",
    ),
    StackRule(
        name="exposure-kubernetes-namespace-default-deny",
        description="Every namespace that runs workloads (or holds a Helm release), in every cluster, has an "
        "effective default-deny NetworkPolicy.",
        severity="high",
        enforcement="mandatory",
        check=_default_deny,
        reference="CIS Amazon EKS Benchmark 4.3.2",
        config_schema=UNTRUSTED,
    ),
)

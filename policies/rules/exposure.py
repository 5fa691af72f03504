"""Exposure: nothing reachable from the internet that should not be, and every network watched."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from policies.networks import cidr_values, open_to_internet
from policies.rule import Resource, Rule, StackRule, at, each, is_unknown, mapping, schema, sequence, truthy
from policies.rules.kubernetes import WORKLOADS, cluster_namespace, namespace_of

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
ALL_PROTOCOLS = ("-1", "all")


def _public_database(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if resource.props.get("publiclyAccessible") is True:
        yield "set publiclyAccessible: false; reach the database from inside the VPC"


def _ports(protocol: Any, from_port: Any, to_port: Any) -> tuple[str, set[int] | None]:
    """How the ports read, and the single ports admitted (None: a range or every port)."""
    if str(protocol).lower() in ALL_PROTOCOLS:
        return "every port (protocol -1)", None
    if isinstance(from_port, (int, float)) and isinstance(to_port, (int, float)):
        low, high = int(from_port), int(to_port)
        return f"ports {low}-{high}", ({low} if low == high else None)
    return "unknown ports", None


def _load_balancer_group(group: Resource | None, config: Mapping[str, Any]) -> bool:
    """The group's own tag says it fronts a load balancer; the provider's default tags do not count
    (they would tag every group of the region), nor do a rule's own tags (self-granted)."""
    tags = mapping(group.props.get("tags")) if group is not None else {}
    return str(tags.get(config["loadBalancerTag"], "")).lower() == "true"


def _world_ingress(
    where: str,
    protocol: Any,
    from_port: Any,
    to_port: Any,
    cidrs: list[str],
    group: Resource | None,
    config: Mapping[str, Any],
) -> Iterator[str]:
    if not open_to_internet(cidrs):
        return
    shown, single = _ports(protocol, from_port, to_port)
    web = str(protocol).lower() in ("tcp", "6") and single is not None and single <= {80, 443}
    if web and _load_balancer_group(group, config):
        return
    yield f"{where}admits {', '.join(cidrs)} (the internet) on {shown}; admit known CIDRs or security groups instead"


def _no_world_ingress(resources: Sequence[Resource], config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    groups = {group.urn: group for group in each(resources, SECURITY_GROUP)}
    for resource in resources:
        props = resource.props
        if resource.type == SECURITY_GROUP:
            for index, rule in enumerate(sequence(props.get("ingress"))):
                rule = mapping(rule)
                cidrs = cidr_values(rule.get("cidrBlocks"), rule.get("ipv6CidrBlocks"))
                for message in _world_ingress(
                    f"ingress[{index}] ",
                    rule.get("protocol"),
                    rule.get("fromPort"),
                    rule.get("toPort"),
                    cidrs,
                    resource,
                    config,
                ):
                    yield f"security group {resource.name}: {message}", resource.urn
        elif resource.type in (SECURITY_GROUP_RULE, INGRESS_RULE):
            if resource.type == SECURITY_GROUP_RULE and props.get("type") != "ingress":
                continue
            # The group the rule belongs to, by the URN its securityGroupId came from: only the
            # group can grant the load-balancer exemption.
            owner = next(
                (groups[urn] for urn in resource.property_dependencies.get("securityGroupId", ()) if urn in groups),
                None,
            )
            if resource.type == SECURITY_GROUP_RULE:
                cidrs = cidr_values(props.get("cidrBlocks"), props.get("ipv6CidrBlocks"))
                protocol = props.get("protocol")
            else:
                cidrs = cidr_values(props.get("cidrIpv4"), props.get("cidrIpv6"))
                protocol = props.get("ipProtocol")
            for message in _world_ingress(
                "", protocol, props.get("fromPort"), props.get("toPort"), cidrs, owner, config
            ):
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


def _load_balancer_namespaces(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if at(resource.props, "spec", "type") == "LoadBalancer":
        namespace = namespace_of(resource)
        allowed = [str(name) for name in sequence(config["allowedNamespaces"])]
        if namespace not in allowed:
            yield f"a LoadBalancer Service in namespace {namespace!r}; only {allowed} may expose one"


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
    if annotations.get(f"{LB_ANNOTATION}scheme") == "internet-facing" and not annotations.get(
        f"{LB_ANNOTATION}ssl-cert"
    ):
        yield f"an internet-facing load balancer serves TLS: set {LB_ANNOTATION}ssl-cert to an ACM certificate ARN"


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


def _selects_every_pod(spec: Mapping[str, Any]) -> bool:
    selector = mapping(spec.get("podSelector"))
    return not mapping(selector.get("matchLabels")) and not sequence(selector.get("matchExpressions"))


def _directions(spec: Mapping[str, Any]) -> set[str]:
    """policyTypes, or the API's default: Ingress, plus Egress when egress rules are given."""
    types = {str(kind) for kind in sequence(spec.get("policyTypes"))}
    if types:
        return types
    return {"Ingress", "Egress"} if "egress" in spec else {"Ingress"}


def _allows_everything(rule: Any, peers: str) -> bool:
    """A rule with no peers and no ports admits every source (or destination) on every port."""
    rule = mapping(rule)
    return not sequence(rule.get(peers)) and not sequence(rule.get("ports"))


def _default_deny(resources: Sequence[Resource], config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Per cluster and namespace: a policy over every pod with no rules in each direction, and no
    policy over every pod that allows everything back (NetworkPolicies add up)."""
    denied: dict[tuple[str, str], set[str]] = {}
    undone: dict[tuple[str, str], list[str]] = {}
    for policy in each(resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy"):
        spec = mapping(policy.props.get("spec"))
        if not _selects_every_pod(spec):
            continue
        key = cluster_namespace(policy)
        for direction, rules, peers in (("Ingress", "ingress", "from"), ("Egress", "egress", "to")):
            if direction not in _directions(spec):
                continue
            found = sequence(spec.get(rules))
            if not found:
                denied.setdefault(key, set()).add(direction)
            elif any(_allows_everything(rule, peers) for rule in found):
                undone.setdefault(key, []).append(f"{policy.name} allows all {rules}")
    reported: set[tuple[str, str]] = set()
    for workload in (r for r in resources if r.type in WORKLOADS):
        key = cluster_namespace(workload)
        if key in reported:
            continue
        missing = sorted({"Ingress", "Egress"} - denied.get(key, set()))
        if missing or key in undone:
            reported.add(key)
            why = f"no default deny for {', '.join(missing)}" if missing else "; ".join(undone[key])
            yield (
                f"namespace {key[1]!r} runs workloads without an effective default-deny NetworkPolicy ({why}): "
                "add one with podSelector: {}, policyTypes: [Ingress, Egress] and no rules, and no policy that "
                "allows everything to every pod",
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
        protocol = str(entry.get("protocol")).lower()
        if protocol in ALL_PROTOCOLS:
            exposed = admin
        elif protocol in ("tcp", "6"):
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
    options = mapping(resource.props.get("metadataOptions"))
    if options.get("httpEndpoint") == "disabled":
        return  # no metadata service at all
    if options.get("httpTokens") != "required":
        yield "set metadataOptions.httpTokens: required (IMDSv2; the default also accepts IMDSv1)"
    hops = options.get("httpPutResponseHopLimit")
    if isinstance(hops, (int, float)) and hops > config["maxHopLimit"]:
        yield (
            f"metadataOptions.httpPutResponseHopLimit {hops:g} lets pods reach the node's credentials; "
            f"set it to {config['maxHopLimit']}"
        )


def _no_public_ip(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if resource.type == "aws:ec2/instance:Instance":
        if resource.props.get("associatePublicIpAddress") is True:
            yield "set associatePublicIpAddress: false; reach instances through the VPC"
        return
    for index, interface in enumerate(sequence(resource.props.get("networkInterfaces"))):
        if truthy(mapping(interface).get("associatePublicIpAddress")):
            yield f"networkInterfaces[{index}]: set associatePublicIpAddress to false"


LB_TAG = {"loadBalancerTag": schema("string", "platform/load-balancer", "tag (value true) of load-balancer groups")}

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
    ),
    Rule(
        name="exposure-kubernetes-load-balancer-namespaces",
        description="Services of type LoadBalancer only in allowed namespaces.",
        severity="high",
        enforcement="mandatory",
        check=_load_balancer_namespaces,
        resource_types=("kubernetes:core/v1:Service",),
        config_schema={
            "allowedNamespaces": schema(
                "array", ["ingress"], "namespaces that may expose a LoadBalancer", items={"type": "string"}
            )
        },
        reference="CIS Amazon EKS Benchmark 5.4.5 (limit exposed services)",
    ),
    Rule(
        name="exposure-network-acl-admin-ports",
        description="No network ACL admits the internet to SSH (22) or RDP (3389).",
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
    ),
    Rule(
        name="exposure-ec2-no-public-ip",
        description="Launch templates and instances assign no public IP address.",
        severity="high",
        enforcement="mandatory",
        check=_no_public_ip,
        resource_types=("aws:ec2/launchTemplate:LaunchTemplate", "aws:ec2/instance:Instance"),
        reference="AWS FSBP EC2.25, EC2.9",
    ),
    Rule(
        name="exposure-kubernetes-load-balancer-controller",
        description="A LoadBalancer Service gets its load balancer from the AWS Load Balancer Controller, "
        "and an internet-facing one terminates TLS with an ACM certificate.",
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
        description="No security group, inline or standalone rule, or node group's SSH access admits the "
        "internet (0.0.0.0/0 or an equally wide split), except TCP 80/443 on groups tagged as load-balancer groups.",
        severity="critical",
        enforcement="mandatory",
        check=_no_world_ingress,
        config_schema=LB_TAG,
        reference="AWS FSBP EC2.18, EC2.19, EC2.53, EC2.54",
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
        description="Every namespace that runs workloads, in every cluster, has an effective default-deny "
        "NetworkPolicy.",
        severity="high",
        enforcement="mandatory",
        check=_default_deny,
        reference="CIS Amazon EKS Benchmark 4.3.2",
    ),
)

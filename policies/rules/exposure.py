"""Exposure: nothing reachable from the internet that should not be, and every network watched."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from policies.rule import Resource, Rule, StackRule, at, each, mapping, schema, sequence
from policies.rules.kubernetes import WORKLOADS, namespace_of

WORLD = ("0.0.0.0/0", "::/0")


def _public_database(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if resource.props.get("publiclyAccessible") is True:
        yield "set publiclyAccessible: false; reach the database from inside the VPC"


def _load_balancer_exception(tags: Any, from_port: Any, to_port: Any, config: Mapping[str, Any]) -> bool:
    """80/443 from anywhere is allowed on groups (or rules) tagged as load-balancer groups."""
    tagged = str(mapping(tags).get(config["loadBalancerTag"], "")).lower() == "true"
    ports = (
        {int(from_port), int(to_port)}
        if isinstance(from_port, (int, float)) and isinstance(to_port, (int, float))
        else set()
    )
    return tagged and bool(ports) and ports <= {80, 443} and (int(from_port) == int(to_port))


def _world_cidrs(*values: Any) -> list[str]:
    found: list[str] = []
    for value in values:
        cidrs = sequence(value) if not isinstance(value, str) else [value]
        found += [str(cidr) for cidr in cidrs if cidr in WORLD]
    return found


def _world_message(world: list[str], rule: Mapping[str, Any]) -> str:
    ports = f"{rule.get('fromPort')}-{rule.get('toPort')}"
    return f"admits {', '.join(world)} on ports {ports}; admit known CIDRs or security groups instead"


def _no_world_ingress(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    props = resource.props
    if resource.type == "aws:ec2/securityGroup:SecurityGroup":
        for index, rule in enumerate(sequence(props.get("ingress"))):
            rule = mapping(rule)
            world = _world_cidrs(rule.get("cidrBlocks"), rule.get("ipv6CidrBlocks"))
            if world and not _load_balancer_exception(
                props.get("tags"), rule.get("fromPort"), rule.get("toPort"), config
            ):
                yield f"ingress[{index}] {_world_message(world, rule)}"
        return
    if resource.type == "aws:ec2/securityGroupRule:SecurityGroupRule":
        if props.get("type") != "ingress":
            return
        world = _world_cidrs(props.get("cidrBlocks"), props.get("ipv6CidrBlocks"))
    else:  # aws:vpc/securityGroupIngressRule
        world = _world_cidrs(props.get("cidrIpv4"), props.get("cidrIpv6"))
    if world and not _load_balancer_exception(props.get("tags"), props.get("fromPort"), props.get("toPort"), config):
        yield _world_message(world, props)


def _eks_endpoint(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    vpc = mapping(resource.props.get("vpcConfig"))
    if vpc.get("endpointPublicAccess") is False:
        return
    # The public endpoint is on unless turned off, and open to the world unless limited.
    if not config["allowPublicEndpoint"]:
        yield "set vpcConfig.endpointPublicAccess: false (this stack keeps the Kubernetes API private)"
        return
    cidrs = [str(cidr) for cidr in sequence(vpc.get("publicAccessCidrs"))]
    if not cidrs or set(cidrs) & set(WORLD):
        yield "limit vpcConfig.publicAccessCidrs to known networks; the API is open to the world"


def _default_group_empty(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    for direction in ("ingress", "egress"):
        if sequence(resource.props.get(direction)):
            yield f"remove every {direction} rule from the default security group"


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
    logged = {dependency for log in each(resources, "aws:ec2/flowLog:FlowLog") for dependency in log.dependencies}
    for vpc in each(resources, "aws:ec2/vpc:Vpc"):
        if vpc.urn not in logged:
            yield f"VPC {vpc.name} has no flow log; add an aws.ec2.FlowLog for it", vpc.urn


def _default_deny(resources: Sequence[Resource], config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    denied: set[str] = set()
    for policy in each(resources, "kubernetes:networking.k8s.io/v1:NetworkPolicy"):
        spec = mapping(policy.props.get("spec"))
        types = set(sequence(spec.get("policyTypes")))
        if not mapping(spec.get("podSelector")) and {"Ingress", "Egress"} <= types:
            denied.add(namespace_of(policy))
    reported: set[str] = set()
    for workload in (r for r in resources if r.type in WORKLOADS):
        namespace = namespace_of(workload)
        if namespace not in denied and namespace not in reported:
            reported.add(namespace)
            yield (
                f"namespace {namespace!r} runs workloads without a default-deny NetworkPolicy "
                "(podSelector: {}, policyTypes: [Ingress, Egress])",
                workload.urn,
            )


LB_TAG = {"loadBalancerTag": schema("string", "platform/load-balancer", "tag (value true) of load-balancer groups")}

EXPOSURE_RULES = (
    Rule(
        name="exposure-rds-not-public",
        description="No database instance is publicly accessible.",
        severity="critical",
        enforcement="mandatory",
        check=_public_database,
        resource_types=("aws:rds/instance:Instance", "aws:rds/clusterInstance:ClusterInstance"),
    ),
    Rule(
        name="exposure-security-group-no-world-ingress",
        description="No security group admits 0.0.0.0/0 or ::/0, in inline or standalone rules, except 80/443 "
        "on load-balancer groups.",
        severity="critical",
        enforcement="mandatory",
        check=_no_world_ingress,
        resource_types=(
            "aws:ec2/securityGroup:SecurityGroup",
            "aws:ec2/securityGroupRule:SecurityGroupRule",
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        ),
        config_schema=LB_TAG,
    ),
    Rule(
        name="exposure-eks-endpoint",
        description="The EKS API endpoint is private where required (prod) and never open to the world.",
        severity="high",
        enforcement="mandatory",
        check=_eks_endpoint,
        resource_types=("aws:eks/cluster:Cluster",),
        config_schema={"allowPublicEndpoint": schema("boolean", False, "may the API have a public endpoint")},
    ),
    Rule(
        name="exposure-default-security-group-empty",
        description="The VPC's default security group has no rules.",
        severity="medium",
        enforcement="mandatory",
        check=_default_group_empty,
        resource_types=("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",),
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
    ),
    Rule(
        name="exposure-kubernetes-load-balancer-controller",
        description="A LoadBalancer Service gets its load balancer from the AWS Load Balancer Controller, "
        "and an internet-facing one terminates TLS with an ACM certificate.",
        severity="high",
        enforcement="mandatory",
        check=_load_balancer_controller,
        resource_types=("kubernetes:core/v1:Service",),
    ),
)

EXPOSURE_STACK_RULES = (
    StackRule(
        name="exposure-vpc-flow-logs",
        description="Every VPC has flow logs.",
        severity="medium",
        enforcement="mandatory",
        check=_flow_logs,
    ),
    StackRule(
        name="exposure-kubernetes-namespace-default-deny",
        description="Every namespace that runs workloads has a default-deny NetworkPolicy.",
        severity="high",
        enforcement="mandatory",
        check=_default_deny,
    ),
)

"""A monthly cost estimate of a stack's resources, from their inputs and the price table.

`estimate(items)` prices every resource it knows: each priced resource gives one or more `Line`s
(quantity × unit price = monthly USD). A resource that costs nothing of its own (an IAM role, a
subnet, a Kubernetes object, whose pods the nodes already pay for) gives no line. A resource whose
type or size has no price gives an `Unpriced` entry ("no price for ..."), counted in the report
and never a crash. Preflight and the pack's budget policy build `Item`s their own way and get
the same estimate.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cost import observability
from cost.prices import ASSUMPTIONS, HOURS_PER_MONTH, Price, price

# The pack's prop readers: a foreign export may hold anything where a mapping or list belongs.
from policies.rule import at, mapping, sequence

CURRENCY = "USD"


@dataclass(frozen=True)
class Item:
    """One resource to price: its inputs and the region its provider points at."""

    urn: str
    type: str
    props: Mapping[str, Any]
    region: str | None
    parent: str = ""
    dependencies: Sequence[str] = ()

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]


@dataclass(frozen=True)
class Line:
    urn: str
    region: str
    component: str
    what: str
    quantity: float
    unit: str
    unit_usd: float
    source: str
    read: str

    @property
    def monthly_usd(self) -> float:
        return round(self.quantity * self.unit_usd, 2)


@dataclass(frozen=True)
class Unpriced:
    urn: str
    type: str
    reason: str


@dataclass
class Estimate:
    lines: list[Line] = field(default_factory=list)
    unpriced: list[Unpriced] = field(default_factory=list)
    assumptions: set[str] = field(default_factory=set)
    """Names of the ASSUMPTIONS that some line relied on."""

    @property
    def monthly_usd(self) -> float:
        return round(sum(line.monthly_usd for line in self.lines), 2)

    def by_region_and_component(self) -> dict[tuple[str, str], float]:
        totals: dict[tuple[str, str], float] = {}
        for line in self.lines:
            key = (line.region, line.component)
            totals[key] = round(totals.get(key, 0.0) + line.monthly_usd, 2)
        return dict(sorted(totals.items()))


class _NoPriceError(Exception):
    """This resource (or one of its parts) has no price: the message says what is missing."""


# Types that cost nothing of their own. A launch template is priced with its node group, a flow
# log with its log group, DNS records with their zone's queries, Kubernetes objects with the nodes
# their pods run on (a LoadBalancer Service is the exception, see below). Public ACM certificates
# used with a load balancer cost nothing (https://aws.amazon.com/certificate-manager/pricing/,
# read 2026-11-28), nor does waiting for their validation.
FREE_TYPES = frozenset(
    {
        "aws:acm/certificate:Certificate",
        "aws:acm/certificateValidation:CertificateValidation",
        "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
        "aws:ec2/flowLog:FlowLog",
        "aws:ec2/internetGateway:InternetGateway",
        "aws:ec2/launchTemplate:LaunchTemplate",
        "aws:ec2/route:Route",
        "aws:ec2/routeTable:RouteTable",
        "aws:ec2/routeTableAssociation:RouteTableAssociation",
        "aws:ec2/securityGroup:SecurityGroup",
        "aws:ec2/securityGroupRule:SecurityGroupRule",
        "aws:ec2/subnet:Subnet",
        "aws:ec2/vpc:Vpc",
        # VPC peering has no hourly charge; its data transfer (per GB across regions) is not estimated.
        "aws:ec2/vpcPeeringConnection:VpcPeeringConnection",
        "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter",
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:ecr/lifecyclePolicy:LifecyclePolicy",
        "aws:eks/accessEntry:AccessEntry",
        "aws:eks/accessPolicyAssociation:AccessPolicyAssociation",
        "aws:eks/addon:Addon",
        "aws:elasticache/parameterGroup:ParameterGroup",
        "aws:elasticache/subnetGroup:SubnetGroup",
        "aws:elasticache/user:User",
        "aws:elasticache/userGroup:UserGroup",
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
        "aws:iam/policy:Policy",
        "aws:iam/role:Role",
        "aws:iam/rolePolicy:RolePolicy",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        "aws:kms/alias:Alias",
        "aws:rds/clusterParameterGroup:ClusterParameterGroup",
        "aws:rds/parameterGroup:ParameterGroup",
        "aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup",
        "aws:rds/proxyEndpoint:ProxyEndpoint",
        "aws:rds/proxyTarget:ProxyTarget",
        "aws:rds/subnetGroup:SubnetGroup",
        "aws:route53/record:Record",
        "aws:secretsmanager/secretVersion:SecretVersion",
        "aws:sns/topic:Topic",  # alarm notifications stay far inside SNS's free million requests
        "random:index/randomPassword:RandomPassword",
    }
)


def _is_free(item: Item) -> bool:
    if item.type in FREE_TYPES or item.type.startswith("pulumi:"):
        return True
    if item.type.startswith("kubernetes:"):
        return not (item.type == "kubernetes:core/v1:Service" and _service_type(item) == "LoadBalancer")
    return False


class _Pricer:
    """Prices one item at a time, with the whole stack at hand for cross-resource lookups."""

    def __init__(self, items: Sequence[Item], estimate: Estimate) -> None:
        self.items = items
        self.by_urn = {item.urn: item for item in items}
        self.estimate = estimate

    def line(self, item: Item, what: str, key: str, quantity: float, *assumptions: str) -> Line:
        region = item.region or _region_in_name(item.name)
        if region is None:
            raise _NoPriceError(f"no region known for {item.type} (its provider names none)")
        found: Price | None = price(key, region)
        if found is None:
            raise _NoPriceError(f"no price for {key} in {region}")
        return self.line_at(item, what, found, quantity, *assumptions)

    def line_at(self, item: Item, what: str, found: Price, quantity: float, *assumptions: str) -> Line:
        """A line at a price from another table (cost/observability.py)."""
        region = item.region or _region_in_name(item.name)
        if region is None:
            raise _NoPriceError(f"no region known for {item.type} (its provider names none)")
        self.estimate.assumptions.update(assumptions)
        return Line(
            urn=item.urn,
            region=region,
            component=_component(item),
            what=what,
            quantity=round(quantity, 4),
            unit=found.unit,
            unit_usd=found.usd,
            source=found.source,
            read=found.read,
        )

    def hours(self, item: Item, what: str, key: str, count: float = 1, *assumptions: str) -> Line:
        return self.line(item, what, key, count * HOURS_PER_MONTH, "hours-per-month", *assumptions)


def _assumed(name: str) -> float:
    return ASSUMPTIONS[name].value


def _number(value: Any, setting: str, default: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        if default is not None and value is None:
            return default
        raise _NoPriceError(f"no price without a known {setting}")
    return float(value)


# --- one function per priced type ------------------------------------------------------------


def _eks_cluster(p: _Pricer, item: Item) -> list[Line]:
    return [p.hours(item, "EKS control plane", "eks.cluster")]


def _node_group(p: _Pricer, item: Item) -> list[Line]:
    nodes = _number(at(item.props, "scalingConfig", "desiredSize"), "scalingConfig.desiredSize")
    types = sequence(item.props.get("instanceTypes"))
    if not types:
        raise _NoPriceError("no price for a node group without instanceTypes")
    instance_type = str(types[0])
    spot = item.props.get("capacityType") == "SPOT"
    assumptions = ["node-group-first-type"] if len(types) > 1 else []
    compute = p.hours(item, f"{nodes:g} × {instance_type}", f"ec2.{instance_type}", nodes, *assumptions)
    if spot:
        factor = _assumed("spot-price-factor")
        p.estimate.assumptions.add("spot-price-factor")
        compute = dataclasses.replace(
            compute,
            what=f"{compute.what} (SPOT at {factor:g} × on-demand)",
            unit_usd=round(compute.unit_usd * factor, 6),
        )
    disk_gb, disk_assumed = _node_disk_gb(p, item)
    disks = p.line(item, f"{nodes:g} × {disk_gb:g} GB gp3 root volumes", "ebs.gp3", nodes * disk_gb, *disk_assumed)
    return [compute, disks]


def _node_disk_gb(p: _Pricer, item: Item) -> tuple[float, tuple[str, ...]]:
    if isinstance(item.props.get("diskSize"), int | float):
        return float(item.props["diskSize"]), ()
    for urn in item.dependencies:
        template = p.by_urn.get(urn)
        if template is not None and template.type == "aws:ec2/launchTemplate:LaunchTemplate":
            for device in sequence(template.props.get("blockDeviceMappings")):
                size = at(device, "ebs", "volumeSize")
                if isinstance(size, int | float):
                    return float(size), ()
    return _assumed("node-disk-gb"), ("node-disk-gb",)


def _nat_gateway(p: _Pricer, item: Item) -> list[Line]:
    gigabytes = _assumed("nat-gb-per-gateway")
    return [
        p.hours(item, "NAT gateway", "vpc.nat-gateway"),
        p.line(item, f"NAT data processing, {gigabytes:g} GB", "vpc.nat-gateway.data", gigabytes, "nat-gb-per-gateway"),
    ]


def _eip(p: _Pricer, item: Item) -> list[Line]:
    return [p.hours(item, "public IPv4 address", "vpc.public-ipv4")]


def _vpc_endpoint(p: _Pricer, item: Item) -> list[Line]:
    if item.props.get("vpcEndpointType") != "Interface":
        return []  # gateway endpoints (S3, DynamoDB) are free
    zones = len(sequence(item.props.get("subnetIds"))) or 1
    service = str(item.props.get("serviceName", "")).rsplit(".", 1)[-1]
    return [p.hours(item, f"interface endpoint {service} in {zones} AZ(s)", "vpc.interface-endpoint", zones)]


def _load_balancer_service(p: _Pricer, item: Item) -> list[Line]:
    lcu = _assumed("nlb-lcu")
    return [
        p.hours(item, "Network Load Balancer", "elb.nlb"),
        p.hours(item, f"NLB capacity, {lcu:g} NLCU", "elb.nlb.lcu", lcu, "nlb-lcu"),
    ]


def _rds_instance(p: _Pricer, item: Item) -> list[Line]:
    instance_class = str(item.props.get("instanceClass"))
    multi_az = bool(item.props.get("multiAz"))
    copies = 2 if multi_az else 1
    deployment = "Multi-AZ" if multi_az else "Single-AZ"
    storage = _number(item.props.get("allocatedStorage"), "allocatedStorage")
    lines = [
        p.hours(item, f"{instance_class} {deployment}", f"rds.postgres.{instance_class}", copies),
        p.line(item, f"{storage:g} GB gp3 storage, {deployment}", "rds.storage.gp3", storage * copies),
    ]
    return lines + _performance_insights(p, item)


def _performance_insights(p: _Pricer, item: Item) -> list[Line]:
    retention = item.props.get("performanceInsightsRetentionPeriod")
    if not item.props.get("performanceInsightsEnabled") and retention is None:
        return []
    if retention in (None, 7):
        return [p.line(item, "Performance Insights, 7 days", "rds.performance-insights.7-days", 1)]
    raise _NoPriceError(f"no price for Performance Insights kept {retention} days (only the free 7 days is priced)")


def _aurora_instance(p: _Pricer, item: Item) -> list[Line]:
    instance_class = str(item.props.get("instanceClass"))
    return [
        p.hours(item, f"Aurora {instance_class}", f"aurora.postgres.{instance_class}"),
        *_performance_insights(p, item),
    ]


def _aurora_cluster(p: _Pricer, item: Item) -> list[Line]:
    storage, ios = _assumed("aurora-storage-gb"), _assumed("aurora-io-millions")
    return [
        p.line(item, f"Aurora storage, {storage:g} GB", "aurora.storage", storage, "aurora-storage-gb"),
        p.line(item, f"Aurora I/O, {ios:g} million", "aurora.io", ios, "aurora-io-millions"),
    ]


def _global_cluster(p: _Pricer, item: Item) -> list[Line]:
    members = [i for i in p.items if i.type == "aws:rds/cluster:Cluster" and i.props.get("globalClusterIdentifier")]
    return _replication(p, item, max(len(members) - 1, 0), "replication", "replication-gb")


def _replication(p: _Pricer, item: Item, secondaries: int, what: str, assumption: str) -> list[Line]:
    """Inter-region transfer to each secondary region, at the assumed GB a month."""
    if not secondaries:
        return []
    gigabytes = _assumed(assumption)
    return [
        p.line(
            item,
            f"{what} to {secondaries} secondary region(s), {gigabytes:g} GB each",
            "transfer.inter-region",
            gigabytes * secondaries,
            assumption,
        )
    ]


# vCPUs per DB instance class, for RDS Proxy (billed per vCPU of the instances behind it).
_VCPUS = {
    "db.t4g.micro": 2,
    "db.t4g.small": 2,
    "db.t4g.medium": 2,
    "db.t4g.large": 2,
    "db.r7g.large": 2,
    "db.r7g.xlarge": 4,
    "db.r7g.2xlarge": 8,
}


def _ecr_repository(p: _Pricer, item: Item) -> list[Line]:
    gigabytes = _assumed("ecr-gb-per-repository")
    return [p.line(item, f"image storage, {gigabytes:g} GB", "ecr.storage", gigabytes, "ecr-gb-per-repository")]


def _ecr_replication(p: _Pricer, item: Item) -> list[Line]:
    destinations = {
        str(destination.get("region"))
        for rule in sequence(at(item.props, "replicationConfiguration", "rules"))
        for destination in sequence(mapping(rule).get("destinations"))
        if isinstance(destination, Mapping)
    }
    gigabytes = _assumed("ecr-replication-gb")
    return [
        p.line(
            item,
            f"image replication to {len(destinations)} region(s), {gigabytes:g} GB each",
            "transfer.inter-region",
            gigabytes * len(destinations),
            "ecr-replication-gb",
        )
    ]


def _proxy(p: _Pricer, item: Item) -> list[Line]:
    # The proxy fronts the databases its ProxyTargets name: a cluster's instances, or an instance.
    targets = [
        i.props
        for i in p.items
        if i.type == "aws:rds/proxyTarget:ProxyTarget" and i.props.get("dbProxyName") == item.props.get("name")
    ]
    clusters = {t.get("dbClusterIdentifier") for t in targets} - {None}
    instances = {t.get("dbInstanceIdentifier") for t in targets} - {None}
    behind = [
        i
        for i in p.items
        if (i.type == "aws:rds/clusterInstance:ClusterInstance" and i.props.get("clusterIdentifier") in clusters)
        or (i.type == "aws:rds/instance:Instance" and i.props.get("identifier") in instances)
    ]
    if not behind:
        raise _NoPriceError("no price for an RDS Proxy without a known target (it is billed per vCPU behind it)")
    vcpus = 0
    for instance in behind:
        instance_class = str(instance.props.get("instanceClass"))
        if instance_class not in _VCPUS:
            raise _NoPriceError(f"no vCPU count for {instance_class}, so no price for its RDS Proxy")
        vcpus += _VCPUS[instance_class]
    vcpus = max(vcpus, 2)  # AWS bills at least 2 vCPUs
    return [p.hours(item, f"RDS Proxy over {vcpus} vCPU", "rds.proxy", vcpus)]


_GLOBAL_DATASTORE = "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup"


def _replication_group(p: _Pricer, item: Item) -> list[Line]:
    # A Global Datastore secondary inherits node type, engine and shards from the primary (it may
    # not set them), so those come from the primary; its replica count is its own.
    shape = _datastore_primary(p, item).props if item.props.get("globalReplicationGroupId") else item.props
    node_type = str(shape.get("nodeType"))
    engine = str(shape.get("engine") or "redis")
    if shape.get("numNodeGroups") is not None:
        shards = _number(shape.get("numNodeGroups"), "numNodeGroups")
        replicas = _number(item.props.get("replicasPerNodeGroup"), "replicasPerNodeGroup", default=0)
        nodes = shards * (1 + replicas)
    else:
        nodes = _number(item.props.get("numCacheClusters"), "numCacheClusters", default=1)
    return [p.hours(item, f"{nodes:g} × {node_type} ({engine})", f"elasticache.{engine}.{node_type}", nodes)]


def _datastore_primary(p: _Pricer, member: Item) -> Item:
    """The primary replication group of the Global Datastore that `member` joins."""
    joined = member.props.get("globalReplicationGroupId")
    datastores = [i for i in p.items if i.type == _GLOBAL_DATASTORE]
    # AWS names a datastore `<region prefix>-<suffix>`; in a preview the id may be unknown, and one
    # datastore in the stack is then the one.
    named = [
        d
        for d in datastores
        if isinstance(joined, str) and joined.endswith(f"-{d.props.get('globalReplicationGroupIdSuffix')}")
    ]
    candidates = named or (datastores if len(datastores) == 1 else [])
    for datastore in candidates:
        primary_id = datastore.props.get("primaryReplicationGroupId")
        for item in p.items:
            if item.type == member.type and primary_id and item.props.get("replicationGroupId") == primary_id:
                return item
    raise _NoPriceError("no price for a Global Datastore member whose primary is not in this stack")


def _global_datastore(p: _Pricer, item: Item) -> list[Line]:
    members = [
        i
        for i in p.items
        if i.type == "aws:elasticache/replicationGroup:ReplicationGroup" and i.props.get("globalReplicationGroupId")
    ]
    return _replication(p, item, len(members), "queue replication", "queue-replication-gb")


def _per_month(key: str, what: str) -> Callable[[_Pricer, Item], list[Line]]:
    def priced(p: _Pricer, item: Item) -> list[Line]:
        return [p.line(item, what, key, 1)]

    return priced


def _secret(p: _Pricer, item: Item) -> list[Line]:
    copies = 1 + len(sequence(item.props.get("replicas")))
    return [
        p.line(
            item, "secret" + (f" and {copies - 1} replica(s)" if copies > 1 else ""), "secretsmanager.secret", copies
        )
    ]


def _log_group(p: _Pricer, item: Item) -> list[Line]:
    gigabytes = _assumed("log-gb-per-group")
    return [p.line(item, f"log ingestion, {gigabytes:g} GB", "logs.ingestion", gigabytes, "log-gb-per-group")]


def _health_check(p: _Pricer, item: Item) -> list[Line]:
    features = []
    if str(item.props.get("type", "")).startswith("HTTPS"):
        features.append("HTTPS")
    if str(item.props.get("type", "")).endswith("STR_MATCH"):
        features.append("string matching")
    if item.props.get("requestInterval") == 10:
        features.append("fast interval")
    if item.props.get("measureLatency"):
        features.append("latency measurement")
    # A check of a CloudWatch alarm probes no endpoint; Route 53 bills it as a basic check of an
    # AWS endpoint (the cheapest health check; assumption where the pricing page is silent).
    kind = (
        "health check (CloudWatch alarm)"
        if item.props.get("type") == "CLOUDWATCH_METRIC"
        else "health check (AWS endpoint)"
    )
    lines = [p.line(item, kind, "route53.health-check", 1)]
    if features:
        lines.append(
            p.line(item, "optional features: " + ", ".join(features), "route53.health-check.feature", len(features))
        )
    return lines


def _zone(p: _Pricer, item: Item) -> list[Line]:
    queries = _assumed("dns-queries-millions")
    return [
        p.line(item, "hosted zone", "route53.zone", 1),
        p.line(
            item, f"latency queries, {queries:g} million", "route53.latency-queries", queries, "dns-queries-millions"
        ),
    ]


PRICERS: dict[str, Callable[[_Pricer, Item], list[Line]]] = {
    "aws:eks/cluster:Cluster": _eks_cluster,
    "aws:eks/nodeGroup:NodeGroup": _node_group,
    "aws:ec2/natGateway:NatGateway": _nat_gateway,
    "aws:ec2/eip:Eip": _eip,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _vpc_endpoint,
    "kubernetes:core/v1:Service": _load_balancer_service,
    "aws:rds/instance:Instance": _rds_instance,
    "aws:rds/clusterInstance:ClusterInstance": _aurora_instance,
    "aws:rds/cluster:Cluster": _aurora_cluster,
    "aws:rds/globalCluster:GlobalCluster": _global_cluster,
    "aws:rds/proxy:Proxy": _proxy,
    "aws:elasticache/replicationGroup:ReplicationGroup": _replication_group,
    _GLOBAL_DATASTORE: _global_datastore,
    "aws:kms/key:Key": _per_month("kms.key", "customer managed key"),
    "aws:secretsmanager/secret:Secret": _secret,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _per_month("cloudwatch.alarm", "metric alarm"),
    "aws:route53/healthCheck:HealthCheck": _health_check,
    "aws:route53/zone:Zone": _zone,
    "aws:ecr/repository:Repository": _ecr_repository,
    "aws:ecr/replicationConfiguration:ReplicationConfiguration": _ecr_replication,
}


def estimate(items: Iterable[Item]) -> Estimate:
    """Price every item; see the module doc for what gives a line, nothing, or an Unpriced entry."""
    all_items = list(items)
    result = Estimate()
    pricer = _Pricer(all_items, result)
    for item in all_items:
        # Observability prices its own resources (and one add-on) from its own table.
        if item.type in observability.PRICERS:
            try:
                lines = observability.PRICERS[item.type](pricer, item)
            except _NoPriceError as missing:
                result.unpriced.append(Unpriced(item.urn, item.type, str(missing)))
                continue
            if lines is not None:
                result.lines.extend(lines)
                continue
        if _is_free(item) or item.type in observability.FREE_TYPES:
            continue
        priced = PRICERS.get(item.type)
        if priced is None:
            result.unpriced.append(Unpriced(item.urn, item.type, f"no price for {item.type}"))
            continue
        try:
            result.lines.extend(priced(pricer, item))
        except _NoPriceError as missing:
            result.unpriced.append(Unpriced(item.urn, item.type, str(missing)))
    return result


# --- regions and components, from what a resource carries ------------------------------------

_EKS_HOST = re.compile(r"\.([a-z]{2}(?:-[a-z]+)+-\d)\.eks\.amazonaws\.com")


def provider_region(provider_props: Mapping[str, Any]) -> str | None:
    """The AWS region a provider points at: `region` for aws, the EKS endpoint for kubernetes."""
    if "region" in provider_props:
        region = provider_props.get("region")
        return region if isinstance(region, str) and region else None
    kubeconfig = provider_props.get("kubeconfig")
    if isinstance(kubeconfig, Mapping):
        kubeconfig = json.dumps(kubeconfig)
    if isinstance(kubeconfig, str):
        found = _EKS_HOST.search(kubeconfig)
        if found:
            return found.group(1)
    return None


_REGION_PREFIX = re.compile(r"^([a-z]{2}(?:-[a-z]+)+-\d)-")


def _region_in_name(name: str) -> str | None:
    """A region the resource is named for (`us-east-1-ingress-nlb`). Kubernetes providers carry no
    region, and their kubeconfig is a secret in an export and unknown during a real preview."""
    found = _REGION_PREFIX.match(name)
    return found.group(1) if found else None


def _component(item: Item) -> str:
    """The component a resource belongs to: its parent's name, or the stack."""
    # A URN is `urn:pulumi:<stack>::<project>::<parent types $ ... $ type>::<name>`.
    parent_type = item.parent.rsplit("::", 2)[-2].rsplit("$", 1)[-1] if item.parent.count("::") >= 2 else ""
    if parent_type in ("", "pulumi:pulumi:Stack"):
        return "(stack)"
    return item.parent.rsplit("::", 1)[-1]


def _service_type(item: Item) -> str:
    return str(at(item.props, "spec", "type") or "ClusterIP")

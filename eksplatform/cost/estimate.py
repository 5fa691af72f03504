"""A monthly cost estimate of a stack's resources, from their inputs and the price table.

`estimate(items, usage)` prices every resource it knows: each priced resource gives one or more
`Line`s (quantity × unit price = monthly USD); what no price list knows comes from the stack's
usage file (eksplatform/cost/usage.py) or its documented default. A node group's line also carries its
quantities at the group's min and max size, so the estimate is a range.

A resource that costs nothing of its own (an IAM role, a subnet, a Kubernetes object, whose pods
the nodes already pay for) gives no line. A resource whose type or size has no price gives an
`Unpriced` entry ("no price for ..."), counted in the report and never a crash. Preflight and the
pack's budget policy build `Item`s their own way and get the same estimate.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from eksplatform.components.facts import (
    CALENDAR_READ,
    END_OF_STANDARD_SUPPORT,
    eks_zone_count,
    in_standard_support_all_month,
)
from eksplatform.cost import observability
from eksplatform.cost.prices import ADMITTED_REGIONS, HOURS_PER_MONTH, Price, price
from eksplatform.cost.usage import DEFAULT_USAGE, Usage, camel

# The pack's prop readers: a foreign export may hold anything where a mapping or list belongs.
from eksplatform.properties import at, is_unknown, mapping, sequence

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
    quantity_low: float | None = None
    """The quantity at the resource's smallest size (a node group at minSize); None: the same."""
    quantity_high: float | None = None
    """... and at its largest (maxSize)."""

    @property
    def monthly_usd(self) -> float:
        return round(self.quantity * self.unit_usd, 2)

    @property
    def monthly_low_usd(self) -> float:
        return round((self.quantity if self.quantity_low is None else self.quantity_low) * self.unit_usd, 2)

    @property
    def monthly_high_usd(self) -> float:
        return round((self.quantity if self.quantity_high is None else self.quantity_high) * self.unit_usd, 2)


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
    """Names of the ASSUMPTIONS that some line relied on at their documented default."""
    overrides: set[tuple[str, str]] = field(default_factory=set)
    """(resource name, usage key) of each value the usage file set instead of a default."""
    usage_source: str = DEFAULT_USAGE.source
    unmatched_overrides: list[str] = field(default_factory=list)
    """Resource names in the usage file's `resources` that the stack does not have (a typo?)."""
    unused_overrides: list[str] = field(default_factory=list)
    """`resource.key` overrides of resources the stack has, that no line of that resource read."""
    pending: list[Unpriced] = field(default_factory=list)
    """Resources a preview cannot price yet because an input is unknown until apply (advisory)."""

    @property
    def monthly_usd(self) -> float:
        return round(sum(line.monthly_usd for line in self.lines), 2)

    @property
    def monthly_low_usd(self) -> float:
        """The priced total with every node group at its minSize."""
        return round(sum(line.monthly_low_usd for line in self.lines), 2)

    @property
    def monthly_high_usd(self) -> float | None:
        """The total with every node group at its maxSize; None (no upper bound) when anything is unpriced
        or unknown until apply."""
        if self.unpriced or self.pending:
            return None
        return round(sum(line.monthly_high_usd for line in self.lines), 2)

    def range_text(self) -> str:
        """`$low – $high` (or `$low – no upper bound` when something has no price), for reports."""
        high = self.monthly_high_usd
        shown_high = "no upper bound (unpriced resources)" if high is None else f"${high:,.2f}"
        return f"${self.monthly_low_usd:,.2f} – {shown_high}"

    def by_region_and_component(self) -> dict[tuple[str, str], float]:
        totals: dict[tuple[str, str], float] = {}
        for line in self.lines:
            key = (line.region, line.component)
            totals[key] = round(totals.get(key, 0.0) + line.monthly_usd, 2)
        return dict(sorted(totals.items()))


class _NoPriceError(Exception):
    """This resource (or one of its parts) has no price: the message says what is missing."""


class _UnknownUntilApplyError(_NoPriceError):
    """An input the price depends on is unknown during a preview (it is known after apply)."""


def _is_set(value: Any) -> bool:
    """A value that is set, counting a preview's unknown (it is set, to something not known yet)."""
    return is_unknown(value) or bool(value)


# Types that cost nothing of their own. A launch template is priced with its node group, a flow
# log with its log group, Kubernetes objects with the nodes
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

    def __init__(self, items: Sequence[Item], estimate: Estimate, usage: Usage) -> None:
        self.items = items
        self.by_urn = {item.urn: item for item in items}
        self.estimate = estimate
        self.usage = usage

    def assumed(self, item: Item, name: str) -> float:
        """The usage value `name` for this resource: its override, the stack's, or the default."""
        value, overridden = self.usage.value(item.name, name)
        if overridden:
            self.estimate.overrides.add((item.name, camel(name)))
        else:
            self.estimate.assumptions.add(name)
        return value

    def log_group_lines(self, item: Item, what: str, gigabytes: float, *assumptions: str) -> list[Line]:
        """A log group taking in `gigabytes` a month: its ingestion, and its storage at steady state
        (the group holds its retention's worth of the monthly volume)."""
        retention = item.props.get("retentionInDays")
        if isinstance(retention, int | float) and not isinstance(retention, bool) and retention > 0:
            months = retention / _DAYS_PER_MONTH
            kept = f"kept {retention:g} days"
        else:
            months = self.assumed(item, "log-months-never-expire")  # no retention: never expires
            kept = "never expires"
        stored = round(gigabytes * months, 4)
        return [
            self.line(item, f"log ingestion, {what}, {gigabytes:g} GB", "logs.ingestion", gigabytes, *assumptions),
            self.line(item, f"log storage, {stored:g} GB ({kept})", "logs.storage", stored, *assumptions),
        ]

    def line(self, item: Item, what: str, key: str, quantity: float, *assumptions: str) -> Line:
        region = item.region or _region_in_name(item.name)
        if region is None:
            raise _NoPriceError(f"no region known for {item.type} (its provider names none)")
        found: Price | None = price(key, region)
        if found is None:
            raise _NoPriceError(f"no price for {key} in {region}")
        return self.line_at(item, what, found, quantity, *assumptions)

    def line_at(self, item: Item, what: str, found: Price, quantity: float, *assumptions: str) -> Line:
        """A line at a price from another table (eksplatform/cost/observability.py)."""
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


def _number(value: Any, setting: str, default: float | None = None) -> float:
    if is_unknown(value):
        raise _UnknownUntilApplyError(f"{setting} is unknown until apply")
    if isinstance(value, bool) or not isinstance(value, int | float):
        if default is not None and value is None:
            return default
        raise _NoPriceError(f"no price without a known {setting}")
    return float(value)


# --- one function per priced type ------------------------------------------------------------


def _eks_cluster(p: _Pricer, item: Item) -> list[Line]:
    # A version past its end of standard support bills the extended-support rate, unless the
    # cluster's upgradePolicy.supportType is STANDARD: EKS then upgrades it instead (EKS user guide,
    # "Understand the Kubernetes version lifecycle on EKS"; the calendar is components/facts.py's).
    version = str(item.props.get("version") or "")
    support_type = str(at(item.props, "upgradePolicy", "supportType") or "EXTENDED")  # the API's default
    # A version whose standard support ends within the month priced (the 30 days after the calendar
    # was read) bills most of that month, and every later one, at the extended rate: priced so.
    extended = bool(version) and support_type == "EXTENDED" and not in_standard_support_all_month(version)
    if extended:
        ends = END_OF_STANDARD_SUPPORT.get(version, "?")
        what = (
            f"EKS control plane, {version} in extended support from {ends} "
            f"(calendar read {CALENDAR_READ}, priced for the month after)"
        )
        control_plane = p.hours(item, what, "eks.cluster.extended-support")
    else:
        control_plane = p.hours(item, "EKS control plane", "eks.cluster")
    return [control_plane]


def _node_group(p: _Pricer, item: Item) -> list[Line]:
    desired = at(item.props, "scalingConfig", "desiredSize")
    maximum = at(item.props, "scalingConfig", "maxSize")
    if is_unknown(desired) and isinstance(maximum, int | float) and not isinstance(maximum, bool):
        # A size computed at apply is priced at the group's known maximum: an unknown can only raise
        # the figure the budget gate sees, never let a group out of it (second review of #28).
        desired = maximum
    nodes = _number(desired, "scalingConfig.desiredSize")
    low = _number(at(item.props, "scalingConfig", "minSize"), "scalingConfig.minSize", default=nodes)
    high = _number(at(item.props, "scalingConfig", "maxSize"), "scalingConfig.maxSize", default=nodes)
    types = sequence(item.props.get("instanceTypes"))
    if not types:
        raise _NoPriceError("no price for a node group without instanceTypes")
    instance_type = str(types[0])
    spot = item.props.get("capacityType") == "SPOT"
    assumptions = ["node-group-first-type"] if len(types) > 1 else []
    compute = p.hours(item, f"{nodes:g} × {instance_type}", f"ec2.{instance_type}", nodes, *assumptions)
    if spot:
        factor = p.assumed(item, "spot-price-factor")
        compute = dataclasses.replace(
            compute,
            what=f"{compute.what} (SPOT at {factor:g} × on-demand)",
            unit_usd=round(compute.unit_usd * factor, 6),
        )
    compute = dataclasses.replace(
        compute, quantity_low=round(low * HOURS_PER_MONTH, 4), quantity_high=round(high * HOURS_PER_MONTH, 4)
    )
    disk_gb = _node_disk_gb(p, item)
    disks = p.line(item, f"{nodes:g} × {disk_gb:g} GB gp3 root volumes", "ebs.gp3", nodes * disk_gb)
    disks = dataclasses.replace(disks, quantity_low=low * disk_gb, quantity_high=high * disk_gb)
    # Pods on these nodes call services, databases and caches in other AZs (EC2 data transfer).
    gigabytes = p.assumed(item, "cross-az-gb")
    cross_az = p.line(item, f"cross-AZ traffic, {gigabytes:g} GB", "transfer.cross-az", gigabytes)
    return [compute, disks, cross_az]


def _node_disk_gb(p: _Pricer, item: Item) -> float:
    if isinstance(item.props.get("diskSize"), int | float):
        return float(item.props["diskSize"])
    for urn in item.dependencies:
        template = p.by_urn.get(urn)
        if template is not None and template.type == "aws:ec2/launchTemplate:LaunchTemplate":
            for device in sequence(template.props.get("blockDeviceMappings")):
                size = at(device, "ebs", "volumeSize")
                if isinstance(size, int | float):
                    return float(size)
    return p.assumed(item, "node-disk-gb")


def _nat_gateway(p: _Pricer, item: Item) -> list[Line]:
    gigabytes = p.assumed(item, "nat-gb-per-gateway")
    # What the gateway forwards to the internet also pays EC2's data transfer out (VPC pricing).
    egress = p.assumed(item, "nat-internet-egress-gb")
    return [
        p.hours(item, "NAT gateway", "vpc.nat-gateway"),
        p.line(item, f"NAT data processing, {gigabytes:g} GB", "vpc.nat-gateway.data", gigabytes),
        p.line(item, f"data out to the internet through NAT, {egress:g} GB", "transfer.internet", egress),
    ]


def _eip(p: _Pricer, item: Item) -> list[Line]:
    return [p.hours(item, "public IPv4 address", "vpc.public-ipv4")]


def _vpc_endpoint(p: _Pricer, item: Item) -> list[Line]:
    if item.props.get("vpcEndpointType") != "Interface":
        return []  # gateway endpoints (S3, DynamoDB) are free
    zones = len(sequence(item.props.get("subnetIds"))) or 1
    service = str(item.props.get("serviceName", "")).rsplit(".", 1)[-1]
    gigabytes = p.assumed(item, "endpoint-gb")
    return [
        p.hours(item, f"interface endpoint {service} in {zones} AZ(s)", "vpc.interface-endpoint", zones),
        p.line(item, f"endpoint {service} data processing, {gigabytes:g} GB", "vpc.interface-endpoint.data", gigabytes),
    ]


_LB_ANNOTATION = "service.beta.kubernetes.io/aws-load-balancer-"
_AZ_BOUND_REGIONS = frozenset(ADMITTED_REGIONS)


def _load_balancer_service(p: _Pricer, item: Item) -> list[Line]:
    lcu = p.assumed(item, "nlb-lcu")
    lines = [
        p.hours(item, "Network Load Balancer", "elb.nlb"),
        p.hours(item, f"NLB capacity, {lcu:g} NLCU", "elb.nlb.lcu", lcu),
    ]
    annotations = mapping(at(item.props, "metadata", "annotations"))
    # The AWS Load Balancer Controller makes an internal NLB unless the scheme says internet-facing
    # (its service annotations reference); an internet-facing NLB holds one public IPv4 address per
    # subnet (one per AZ), billed like any other public IPv4 address (VPC pricing).
    if annotations.get(f"{_LB_ANNOTATION}scheme") != "internet-facing":
        return lines
    annotation = annotations.get(f"{_LB_ANNOTATION}subnets")
    if is_unknown(annotation):
        # A new stack's subnet IDs are unknown during a preview: count the region's public subnets
        # (tagged for public load balancers, components/vpc.py) or, with none in sight, the most the
        # region can have, one per AZ that EKS accepts.
        region = item.region or _region_in_name(item.name)
        public = [
            i
            for i in p.items
            if i.type == "aws:ec2/subnet:Subnet"
            and (i.region or _region_in_name(i.name)) == region
            and mapping(i.props.get("tags")).get("kubernetes.io/role/elb") == "1"
        ]
        if public:
            count, why = len(public), "one per public subnet (IDs unknown until apply)"
        elif region in _AZ_BOUND_REGIONS:
            count, why = eks_zone_count(region), "at most one per AZ (subnets unknown until apply)"
        else:
            raise _UnknownUntilApplyError(f"the {_LB_ANNOTATION}subnets annotation is unknown until apply")
        subnets = [why] * count
    else:
        subnets = [s for s in str(annotation or "").split(",") if s.strip()]
        why = "one per subnet"
    if not subnets:
        raise _NoPriceError(
            "no price for an internet-facing NLB's public IPv4 addresses without the "
            f"{_LB_ANNOTATION}subnets annotation (one address per subnet)"
        )
    gigabytes = p.assumed(item, "internet-egress-gb")
    return [
        *lines,
        p.hours(item, f"{len(subnets)} public IPv4 address(es), {why}", "vpc.public-ipv4", len(subnets)),
        p.line(item, f"data out to the internet, {gigabytes:g} GB", "transfer.internet", gigabytes),
    ]


def _rds_instance(p: _Pricer, item: Item) -> list[Line]:
    instance_class = str(item.props.get("instanceClass"))
    multi_az = bool(item.props.get("multiAz"))
    copies = 2 if multi_az else 1
    deployment = "Multi-AZ" if multi_az else "Single-AZ"
    source = _replica_source(p, item)
    # A read replica is an instance of its own (class and Multi-AZ its own) whose storage starts
    # as its source's when it does not set allocatedStorage (RDS user guide, "Working with DB
    # instance read replicas").
    storage_value = item.props.get("allocatedStorage")
    if storage_value is None and source is not None:
        storage_value = source.props.get("allocatedStorage")
    storage = _number(storage_value, "allocatedStorage")
    kind = f"read replica of {source.name}, " if source is not None else ""
    lines = [
        p.hours(item, f"{kind}{instance_class} {deployment}", f"rds.postgres.{instance_class}", copies),
        p.line(item, f"{storage:g} GB gp3 storage, {deployment}", "rds.storage.gp3", storage * copies),
    ]
    return lines + _performance_insights(p, item) + _enhanced_monitoring(p, item)


def _replica_source(p: _Pricer, item: Item) -> Item | None:
    """The instance a read replica copies (`replicateSourceDb`: an identifier, or an ARN across regions)."""
    source = item.props.get("replicateSourceDb")
    if not isinstance(source, str) or not source:
        return None
    for other in p.items:
        identifier = other.props.get("identifier")
        if other.type == item.type and isinstance(identifier, str) and source.rsplit(":", 1)[-1] == identifier:
            return other
    raise _NoPriceError(f"no price for a read replica whose source {source} is not in this stack")


def _performance_insights(p: _Pricer, item: Item) -> list[Line]:
    retention = item.props.get("performanceInsightsRetentionPeriod")
    if not item.props.get("performanceInsightsEnabled") and retention is None:
        return []
    if retention in (None, 7):
        return [p.line(item, "Performance Insights, 7 days", "rds.performance-insights.7-days", 1)]
    raise _NoPriceError(f"no price for Performance Insights kept {retention} days (only the free 7 days is priced)")


def _enhanced_monitoring(p: _Pricer, item: Item) -> list[Line]:
    # Enhanced Monitoring sends OS metrics to the RDSOSMetrics log group in CloudWatch Logs, billed as
    # log ingestion (RDS user guide, "Monitoring OS metrics with Enhanced Monitoring").
    interval = item.props.get("monitoringInterval")
    if is_unknown(interval) or not isinstance(interval, int | float) or isinstance(interval, bool) or interval <= 0:
        return []
    gigabytes = round(p.assumed(item, "enhanced-monitoring-gb") * 60 / interval, 4)
    return [
        p.line(
            item, f"Enhanced Monitoring every {interval:g} s, {gigabytes:g} GB of logs", "logs.ingestion", gigabytes
        ),
        p.line(item, f"Enhanced Monitoring logs kept a month, {gigabytes:g} GB", "logs.storage", gigabytes),
    ]


_AURORA_CLUSTER = "aws:rds/cluster:Cluster"
IO_OPTIMIZED = "aurora-iopt1"  # storageType of Aurora I/O-Optimized (RDS API, CreateDBCluster)


def _aurora_storage_prefix(cluster: Item | None) -> str:
    return "aurora-iopt" if cluster is not None and cluster.props.get("storageType") == IO_OPTIMIZED else "aurora"


def _aurora_instance(p: _Pricer, item: Item) -> list[Line]:
    instance_class = str(item.props.get("instanceClass"))
    cluster = next(
        (
            i
            for i in p.items
            if i.type == _AURORA_CLUSTER and i.props.get("clusterIdentifier") == item.props.get("clusterIdentifier")
        ),
        None,
    )
    prefix = _aurora_storage_prefix(cluster)
    label = "Aurora I/O-Optimized" if prefix == "aurora-iopt" else "Aurora"
    factors = ("io-optimized-factors",) if prefix == "aurora-iopt" else ()
    p.estimate.assumptions.update(factors)
    return [
        p.hours(item, f"{label} {instance_class}", f"{prefix}.postgres.{instance_class}"),
        *_performance_insights(p, item),
        *_enhanced_monitoring(p, item),
    ]


def _is_global_secondary(cluster: Item) -> bool:
    # A secondary cluster joins the global database without credentials of its own (it may not set
    # masterUsername; terraform-provider-aws rds/cluster.go, global_cluster_identifier).
    # A preview's unknown identifier still marks a member (a new secondary's id is an output).
    return _is_set(cluster.props.get("globalClusterIdentifier")) and not cluster.props.get("masterUsername")


def _aurora_cluster(p: _Pricer, item: Item) -> list[Line]:
    storage = p.assumed(item, "aurora-storage-gb")
    prefix = _aurora_storage_prefix(item)
    if prefix == "aurora-iopt":
        # I/O-Optimized: storage at its own rate and no charge for read and write I/Os.
        lines = [
            p.line(
                item,
                f"Aurora I/O-Optimized storage, {storage:g} GB",
                "aurora-iopt.storage",
                storage,
                "io-optimized-factors",
            )
        ]
    else:
        ios = p.assumed(item, "aurora-io-millions")
        lines = [
            p.line(item, f"Aurora storage, {storage:g} GB", "aurora.storage", storage),
            p.line(item, f"Aurora I/O, {ios:g} million", "aurora.io", ios),
        ]
    if _is_global_secondary(item):
        primaries = [
            i
            for i in p.items
            if i.type == _AURORA_CLUSTER
            and _is_set(i.props.get("globalClusterIdentifier"))
            and not _is_global_secondary(i)
        ]
        joined = item.props.get("globalClusterIdentifier")
        same = [i for i in primaries if not is_unknown(joined) and i.props.get("globalClusterIdentifier") == joined]
        # With the identifier unknown in a preview, the stack's one primary is the one.
        primary = same[0] if same else (primaries[0] if len(primaries) == 1 else item)
        writes = p.assumed(primary, "aurora-io-millions") * p.assumed(primary, "aurora-write-share")
        # Whether I/O-Optimized covers replicated writes is unconfirmed: charged (an assumption).
        unconfirmed = ("replicated-writes-io-optimized",) if prefix == "aurora-iopt" else ()
        lines.append(
            p.line(
                item, f"replicated write I/O, {writes:g} million", "aurora.replicated-write-io", writes, *unconfirmed
            )
        )
    return lines


def _global_cluster(p: _Pricer, item: Item) -> list[Line]:
    members = [i for i in p.items if i.type == _AURORA_CLUSTER and _is_set(i.props.get("globalClusterIdentifier"))]
    return _replication(p, item, max(len(members) - 1, 0), "replication", "replication-gb")


def _replication(p: _Pricer, item: Item, secondaries: int, what: str, assumption: str) -> list[Line]:
    """Inter-region transfer to each secondary region, at the assumed GB a month."""
    if not secondaries:
        return []
    gigabytes = p.assumed(item, assumption)
    return [
        p.line(
            item,
            f"{what} to {secondaries} secondary region(s), {gigabytes:g} GB each",
            "transfer.inter-region",
            gigabytes * secondaries,
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
    gigabytes = p.assumed(item, "ecr-gb-per-repository")
    return [p.line(item, f"image storage, {gigabytes:g} GB", "ecr.storage", gigabytes)]


def _ecr_replication(p: _Pricer, item: Item) -> list[Line]:
    destinations = {
        str(destination.get("region"))
        for rule in sequence(at(item.props, "replicationConfiguration", "rules"))
        for destination in sequence(mapping(rule).get("destinations"))
        if isinstance(destination, Mapping)
    }
    gigabytes = p.assumed(item, "ecr-replication-gb")
    return [
        p.line(
            item,
            f"image replication to {len(destinations)} region(s), {gigabytes:g} GB each",
            "transfer.inter-region",
            gigabytes * len(destinations),
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
    member = _is_set(item.props.get("globalReplicationGroupId"))
    shape = _datastore_primary(p, item).props if member else item.props
    node_type = str(shape.get("nodeType"))
    engine = str(shape.get("engine") or "redis")
    if shape.get("numNodeGroups") is not None:
        shards = _number(shape.get("numNodeGroups"), "numNodeGroups")
        replicas = _number(item.props.get("replicasPerNodeGroup"), "replicasPerNodeGroup", default=0)
        nodes = shards * (1 + replicas)
    else:
        nodes = _number(item.props.get("numCacheClusters"), "numCacheClusters", default=1)
    lines = [p.hours(item, f"{nodes:g} × {node_type} ({engine})", f"elasticache.{engine}.{node_type}", nodes)]
    # One automatic snapshot a day, each kept snapshotRetentionLimit days (ElastiCache user guide,
    # "Scheduling automatic backups"); all of them are priced (eksplatform/cost/prices.py says why).
    retention = item.props.get("snapshotRetentionLimit")
    if isinstance(retention, int | float) and not isinstance(retention, bool) and retention > 0:
        gigabytes = p.assumed(item, "cache-snapshot-gb") * retention
        lines.append(
            p.line(
                item,
                f"{retention:g} daily snapshot(s), {gigabytes:g} GB",
                "elasticache.snapshot-storage",
                gigabytes,
            )
        )
    return lines


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
        if i.type == "aws:elasticache/replicationGroup:ReplicationGroup"
        and _is_set(i.props.get("globalReplicationGroupId"))
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


_DAYS_PER_MONTH = 365 / 12


def _log_sources(p: _Pricer, item: Item) -> tuple[str, float, str]:
    """(what feeds the group, how many sources, the assumption for the GB of one source)."""
    group = str(item.props.get("name") or "")
    for other in p.items:
        props = other.props
        if other.type == "aws:eks/cluster:Cluster" and group == f"/aws/eks/{props.get('name')}/cluster":
            # EKS sends every enabled control-plane log type to /aws/eks/<cluster>/cluster (EKS user
            # guide, "Send control plane logs to CloudWatch Logs").
            types = sequence(props.get("enabledClusterLogTypes"))
            return f"{len(types)} EKS log type(s)", len(types), "log-gb-per-eks-log-type"
        if other.type == "aws:elasticache/replicationGroup:ReplicationGroup":
            for delivery in sequence(props.get("logDeliveryConfigurations")):
                if mapping(delivery).get("destination") == group:
                    return f"ElastiCache {mapping(delivery).get('logType')}", 1, "log-gb-per-cache-log"
        if other.type == "aws:ec2/flowLog:FlowLog" and str(props.get("logDestination", "")).endswith(
            f":log-group:{group}"
        ):
            return "VPC flow log", 1, "log-gb-per-flow-log"
    # RDS and Aurora export each log type to /aws/rds/{cluster|instance}/<id>/<type> (RDS user guide,
    # "Publishing database logs to Amazon CloudWatch Logs").
    if group.startswith("/aws/rds/"):
        return f"PostgreSQL {group.rsplit('/', 1)[-1]} log", 1, "log-gb-per-database-log"
    return "log group", 1, "log-gb-per-group"


def _log_group(p: _Pricer, item: Item) -> list[Line]:
    what, sources, assumption = _log_sources(p, item)
    return p.log_group_lines(item, what, sources * p.assumed(item, assumption))


def _kms_key(p: _Pricer, item: Item) -> list[Line]:
    lines = [p.line(item, "customer managed key", "kms.key", 1)]
    if not item.props.get("enableKeyRotation"):
        return lines
    # Each automatic rotation adds $1/month, for the first and second rotation only (KMS pricing);
    # rotationPeriodInDays defaults to 365 (KMS API, EnableKeyRotation).
    period = item.props.get("rotationPeriodInDays")
    days = float(period) if isinstance(period, int | float) and not isinstance(period, bool) and period > 0 else 365.0
    age = p.assumed(item, "kms-key-age-days")
    rotations = min(int(age // days), 2)
    if rotations:
        lines.append(p.line(item, f"{rotations} key rotation(s) at {age:g} days old", "kms.key.rotation", rotations))
    return lines


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
    # Queries are priced with the records that answer them (below).
    return [p.line(item, "hosted zone", "route53.zone", 1)]


def _record(p: _Pricer, item: Item) -> list[Line]:
    # Route 53 bills each query answered; latency-routed ones at their own rate. Queries to alias
    # records of AWS resources are free (Route 53 pricing); the stack's records are CNAMEs.
    if item.props.get("aliases"):
        return []
    routed = _is_set(item.props.get("setIdentifier"))
    if not routed:
        return []  # a plain record (certificate validation) answers next to nothing
    name = item.props.get("name")
    siblings = [
        i
        for i in p.items
        if i.type == item.type and _is_set(i.props.get("setIdentifier")) and i.props.get("name") == name
    ]
    share = p.assumed(item, "dns-queries-millions") / max(len(siblings), 1)
    latency = bool(sequence(item.props.get("latencyRoutingPolicies")))
    key, kind = ("route53.latency-queries", "latency") if latency else ("route53.standard-queries", "standard")
    return [p.line(item, f"{kind} queries, {share:g} million (of {len(siblings)} record(s))", key, share)]


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
    "aws:kms/key:Key": _kms_key,
    "aws:secretsmanager/secret:Secret": _secret,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _per_month("cloudwatch.alarm", "metric alarm"),
    "aws:route53/healthCheck:HealthCheck": _health_check,
    "aws:route53/zone:Zone": _zone,
    "aws:route53/record:Record": _record,
    "aws:ecr/repository:Repository": _ecr_repository,
    "aws:ecr/replicationConfiguration:ReplicationConfiguration": _ecr_replication,
}


def estimate(items: Iterable[Item], usage: Usage = DEFAULT_USAGE) -> Estimate:
    """Price every item; see the module doc for what gives a line, nothing, or an Unpriced entry."""
    all_items = list(items)
    result = Estimate(usage_source=usage.source)
    pricer = _Pricer(all_items, result, usage)
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
        except _UnknownUntilApplyError as unknown:
            result.pending.append(Unpriced(item.urn, item.type, str(unknown)))
        except _NoPriceError as missing:
            result.unpriced.append(Unpriced(item.urn, item.type, str(missing)))
    names = {item.name for item in all_items}
    result.unmatched_overrides = sorted(set(usage.resources) - names)
    # A per-resource key nothing read (natGbPerGateway on a node group) is a mistake, not a figure.
    result.unused_overrides = sorted(
        f"{name}.{camel(key)}"
        for name, values in usage.resources.items()
        if name in names
        for key in values
        if (name, camel(key)) not in result.overrides
    )
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

"""Vpc: a tiered, multi-AZ network with secure defaults.

Tiers, one subnet per tier per AZ:
- public:   load balancers and NAT gateways; default route to the internet gateway
- private:  nodes and pods; default route to NAT (none when natStrategy is `none`)
- database: isolated; no route to the internet at all

Hardening beyond a bare VPC: the default security group is taken over with no rules, flow logs
for ALL traffic go to a KMS-encrypted log group through a role scoped to that group only, S3 and
DynamoDB traffic stays on gateway endpoints, and optional interface endpoints accept 443 from
the VPC CIDR only. Pass the region's provider in `opts`; every child inherits it through
`parent=self`.
"""

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

from eksplatform.components import eks_rules, iam
from eksplatform.components.aws_context import AwsContext
from eksplatform.components.facts import log_retention_problem
from eksplatform.components.iam import Condition, trust_policy
from eksplatform.components.inputs import ArgsError, check_fields, to_args
from eksplatform.components.log_groups import encrypted_log_group
from eksplatform.components.offline import current
from eksplatform.components.subnet_plan import TIERS, PlannedSubnet, SubnetPlanError, Tier, TierLayout, plan_subnets
from eksplatform.components.zones import ZoneError, check_one_region, check_pinned_zones, choose_zones
from eksplatform.environments import PROFILES

# The most AZs any region offers: tiers reserve this many slots, so adding an AZ moves nothing.
MAX_AZS = 6
DEFAULT_AZ_COUNT = 3
# Production keeps flow logs as long as every other log (eksplatform/environments.py).
DEFAULT_FLOW_LOG_RETENTION_DAYS = PROFILES["prod"].min_log_retention_days

INTERFACE_ENDPOINT_SERVICES = ("ecr.api", "ecr.dkr", "sts", "logs", "secretsmanager")
GATEWAY_ENDPOINT_SERVICES = ("s3", "dynamodb")
# A CloudWatch Logs group name: 1-512 of [.-_/#A-Za-z0-9] (CreateLogGroup, logGroupName).
LOG_GROUP_NAME = re.compile(r"^[.\-_/#A-Za-z0-9]{1,512}$")


class VpcArgsError(ArgsError):
    """Bad Vpc arguments; the message starts with the field (`args.cidr: ...`).

    A `RunError`, so `pulumi up` prints the message without a traceback.
    """


class NatStrategy(StrEnum):
    """How the private subnets reach the internet."""

    NONE = "none"
    """No NAT gateway: the private subnets have no route out (S3 and DynamoDB still work)."""
    SINGLE = "single"
    """One NAT gateway in the first AZ (cheaper; the private subnets lose the internet with that AZ)."""
    ONE_PER_AZ = "one-per-az"
    """A NAT gateway per AZ, each AZ's private subnets routed through their own (production)."""


@dataclass(frozen=True, kw_only=True)
class VpcSubnetTier:
    """How one tier is laid out: a prefix length to allocate with, or explicit CIDRs in AZ order."""

    prefix_length: int | None = None
    """Prefix length of each subnet of the tier (16-28). Default: the VPC's plus 3 (private) or 8 (public, database)."""
    cidrs: list[str] | None = None
    """Explicit subnet CIDRs, one per AZ in AZ order, inside the VPC CIDR. Default: allocated by prefix length."""

    def layout(self) -> TierLayout:
        cidrs = tuple(ipaddress.IPv4Network(cidr) for cidr in self.cidrs) if self.cidrs is not None else None
        return TierLayout(prefix_length=self.prefix_length, cidrs=cidrs)


@dataclass(frozen=True, kw_only=True)
class VpcSubnets:
    """Per-tier subnet layout (components/subnet_plan.py says how CIDRs are allocated)."""

    public: VpcSubnetTier | None = None
    """Public subnets (load balancers, NAT gateways). Default: /24 in a /16 VPC."""
    private: VpcSubnetTier | None = None
    """Private subnets (nodes and pods). Default: /19 in a /16 VPC."""
    database: VpcSubnetTier | None = None
    """Isolated database subnets. Default: /24 in a /16 VPC."""


@dataclass(frozen=True, kw_only=True)
class VpcSettings:
    """What a person chooses for a network: its CIDR, zones, NAT, subnet layout and logs; validated
    when built, each error naming its field. `VpcArgs` adds what the stack wires in (the cluster's
    name, the flow log group), so a Region can plan another region's subnets from its settings."""

    cidr: str
    """The VPC's IPv4 CIDR, a network address (`10.10.0.0/16`), /16 to /28."""
    az_count: int | None = None
    """Availability zones to spread the subnets over (1-6). Default: 3."""
    availability_zone_ids: list[str] | None = None
    """Pinned zone IDs (`use1-az1`), in AZ order, `az_count` of them; zone IDs name the same physical
    zone in every account. Default: the first `az_count` zone IDs EKS accepts."""
    nat_strategy: NatStrategy | None = None
    """NAT gateways for the private subnets. Default: one-per-az (an AZ outage cuts no other AZ off)."""
    subnets: VpcSubnets | None = None
    """Per-tier subnet layout. Default: allocated from the VPC CIDR."""
    subnet_slots: int | None = None
    """AZ slots each tier reserves (at least `az_count`, at most 6), so adding an AZ later moves no
    subnet; the platform passes the region's AZ count. Default: 6."""
    flow_log_retention_days: int | None = None
    """Days CloudWatch keeps the flow logs (a CloudWatch retention period). Default: 365 (production)."""
    interface_endpoints: bool | None = None
    """ECR, STS, Logs and Secrets Manager interface endpoints in the private subnets (HTTPS from the VPC
    only). Default: false (each endpoint is billed per AZ-hour)."""

    def __post_init__(self) -> None:
        # An Output or wrong type, named; on a VpcArgs this checks its wiring fields' types too.
        check_fields(self, VpcArgsError)
        try:
            network = ipaddress.IPv4Network(self.cidr)
        except ValueError as error:
            raise VpcArgsError(f"args.cidr: {self.cidr!r} is not an IPv4 network address ({error})") from None
        if not 16 <= network.prefixlen <= 28:
            raise VpcArgsError(f"args.cidr: {self.cidr} has prefix /{network.prefixlen}; AWS allows /16 to /28")
        if not 1 <= self.resolved_az_count <= MAX_AZS:
            raise VpcArgsError(f"args.az_count: {self.az_count} must be 1 to {MAX_AZS}")
        if self.subnet_slots is not None and not self.resolved_az_count <= self.subnet_slots <= MAX_AZS:
            raise VpcArgsError(
                f"args.subnet_slots: {self.subnet_slots} must be az_count ({self.resolved_az_count}) to {MAX_AZS}"
            )
        if self.availability_zone_ids is not None:
            try:
                check_pinned_zones(self.availability_zone_ids, self.resolved_az_count)
                check_one_region(self.availability_zone_ids)
            except ZoneError as error:
                raise VpcArgsError(f"args.availability_zone_ids: {error}") from None
        if (retention := log_retention_problem(self.resolved_flow_log_retention_days)) is not None:
            raise VpcArgsError(f"args.flow_log_retention_days: {retention}")
        for tier in TIERS:
            layout = getattr(self.subnets, tier) if self.subnets is not None else None
            if layout is None:
                continue
            if layout.cidrs is not None and layout.prefix_length is not None:
                raise VpcArgsError(f"args.subnets.{tier}: give prefix_length or cidrs, not both")
            for index, cidr in enumerate(layout.cidrs or []):
                try:
                    ipaddress.IPv4Network(cidr)
                except ValueError as error:
                    raise VpcArgsError(
                        f"args.subnets.{tier}.cidrs[{index}]: {cidr!r} is not a network ({error})"
                    ) from None
        try:
            self.plan()
        except SubnetPlanError as error:  # it names the tier and the AZ, and the setting when one is at fault
            field = f"args.subnets.{error.field}" if error.field is not None else "args.cidr"
            raise VpcArgsError(f"{field}: {error}") from None

    @property
    def network(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(self.cidr)

    @property
    def resolved_az_count(self) -> int:
        return self.az_count if self.az_count is not None else DEFAULT_AZ_COUNT

    @property
    def resolved_nat_strategy(self) -> NatStrategy:
        return NatStrategy(self.nat_strategy) if self.nat_strategy is not None else NatStrategy.ONE_PER_AZ

    @property
    def resolved_subnet_slots(self) -> int:
        return self.subnet_slots if self.subnet_slots is not None else MAX_AZS

    @property
    def resolved_flow_log_retention_days(self) -> int:
        if self.flow_log_retention_days is None:
            return DEFAULT_FLOW_LOG_RETENTION_DAYS
        return self.flow_log_retention_days

    def subnet_layouts(self) -> dict[Tier, TierLayout]:
        """The per-tier layouts `plan_subnets` takes."""
        if self.subnets is None:
            return {}
        tiers: dict[Tier, VpcSubnetTier | None] = {
            "public": self.subnets.public,
            "private": self.subnets.private,
            "database": self.subnets.database,
        }
        return {tier: layout.layout() for tier, layout in tiers.items() if layout is not None}

    def plan(self) -> list[PlannedSubnet]:
        """Every subnet's tier, AZ and CIDR, as the Vpc creates them."""
        return plan_subnets(
            self.network, self.resolved_az_count, self.subnet_layouts(), slots=self.resolved_subnet_slots
        )


@dataclass(frozen=True, kw_only=True)
class VpcArgs(VpcSettings):
    """The network's shape (its `VpcSettings`) and what ties it to the stack; validated when built,
    each error naming its field."""

    cluster_name: str | None = None
    """An EKS cluster using this VPC: its `kubernetes.io/cluster/<name>` tag goes on the public and
    private subnets. Default: no such tag."""
    flow_log_group: str | None = None
    """The flow logs' CloudWatch group (unique per account and region). Default:
    `/platform/vpc/<component name>/flow-logs`."""

    def __post_init__(self) -> None:
        super().__post_init__()  # the fields' types and the settings' rules
        if self.cluster_name is not None and not eks_rules.CLUSTER_NAME.fullmatch(self.cluster_name):
            raise VpcArgsError(
                f"args.cluster_name: {self.cluster_name!r} is not an EKS cluster name (1-100 letters, digits, "
                "'-' or '_', starting alphanumeric)"
            )
        if self.flow_log_group is not None and not LOG_GROUP_NAME.fullmatch(self.flow_log_group):
            raise VpcArgsError(
                f"args.flow_log_group: {self.flow_log_group!r} is not a CloudWatch log group name (1-512 letters, "
                "digits, '.', '-', '_', '/', '#')"
            )


class Vpc(pulumi.ComponentResource):
    """A VPC with public, private and database subnets in every AZ."""

    vpc_id: pulumi.Output[str]
    """ID of the VPC."""
    cidr_block: pulumi.Output[str]
    """The VPC's IPv4 CIDR."""
    availability_zones: pulumi.Output[list[str]]
    """AZ names (this account's) in AZ order; subnet lists follow the same order."""
    availability_zone_ids: pulumi.Output[list[str]]
    """AZ IDs in AZ order: the same physical zones in every account."""
    public_subnet_ids: pulumi.Output[list[str]]
    """Public subnets, AZ order (load balancers, NAT gateways)."""
    private_subnet_ids: pulumi.Output[list[str]]
    """Private subnets, AZ order (nodes and pods)."""
    database_subnet_ids: pulumi.Output[list[str]]
    """Isolated database subnets, AZ order."""
    public_route_table_ids: pulumi.Output[list[str]]
    """The public route table (one)."""
    private_route_table_ids: pulumi.Output[list[str]]
    """Private route tables: one per AZ with NAT per AZ, else one."""
    database_route_table_ids: pulumi.Output[list[str]]
    """The database route table (one, no internet route)."""
    nat_gateway_ids: pulumi.Output[list[str]]
    """NAT gateways (none, one, or one per AZ)."""
    flow_log_group_name: pulumi.Output[str]
    """CloudWatch log group receiving the VPC flow logs."""

    def __init__(self, name: str, args: VpcArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        args = to_args(VpcArgs, args)  # other languages pass a dict (docs/other-languages.md)
        super().__init__("platform:index:Vpc", name, None, opts)
        self._name = name
        self._args = args
        cidr = args.network
        plan = args.plan()  # validated with the args
        self._context = AwsContext.of(self)
        zones = self._zones(args)

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=str(cidr),
            enable_dns_support=True,  # both needed for private endpoints and EKS
            enable_dns_hostnames=True,
            tags={"Name": f"{name}-vpc"},
            opts=self._child(),
        )
        # Taking over the default security group with no rules leaves nothing usable by accident.
        self.default_security_group = aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=self.vpc.id,
            ingress=[],
            egress=[],
            tags={"Name": f"{name}-default-sg-locked"},
            opts=self._child(),
        )
        self.internet_gateway = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=self.vpc.id, tags={"Name": f"{name}-igw"}, opts=self._child()
        )

        self.subnets: dict[Tier, list[aws.ec2.Subnet]] = {
            tier: [self._subnet(planned, zones) for planned in plan if planned.tier == tier] for tier in TIERS
        }
        self.nat_gateways = self._nat_gateways()
        self.private_route_tables: dict[str, aws.ec2.RouteTable] = {}
        """The private route tables by a stable key (`private`, or `private-az1`...): peerings route from them."""
        self.route_tables = self._route_tables()
        self._gateway_endpoints()
        if args.interface_endpoints:
            self._interface_endpoints(cidr)
        self.flow_log_group = self._flow_logs()

        self.vpc_id = self.vpc.id
        self.cidr_block = self.vpc.cidr_block
        self.availability_zone_ids = zones.apply(lambda chosen: [zone_id for zone_id, _ in chosen])
        self.availability_zones = zones.apply(lambda chosen: [name for _, name in chosen])
        self.public_subnet_ids = _ids(self.subnets["public"])
        self.private_subnet_ids = _ids(self.subnets["private"])
        self.database_subnet_ids = _ids(self.subnets["database"])
        self.public_route_table_ids = _ids(self.route_tables["public"])
        self.private_route_table_ids = _ids(self.route_tables["private"])
        self.database_route_table_ids = _ids(self.route_tables["database"])
        self.nat_gateway_ids = _ids(self.nat_gateways)
        self.flow_log_group_name = self.flow_log_group.name
        self.register_outputs(
            {
                "vpcId": self.vpc_id,
                "cidrBlock": self.cidr_block,
                "availabilityZones": self.availability_zones,
                "availabilityZoneIds": self.availability_zone_ids,
                "publicSubnetIds": self.public_subnet_ids,
                "privateSubnetIds": self.private_subnet_ids,
                "databaseSubnetIds": self.database_subnet_ids,
                "publicRouteTableIds": self.public_route_table_ids,
                "privateRouteTableIds": self.private_route_table_ids,
                "databaseRouteTableIds": self.database_route_table_ids,
                "natGatewayIds": self.nat_gateway_ids,
                "flowLogGroupName": self.flow_log_group_name,
            }
        )

    # -- helpers ------------------------------------------------------------------------------

    def _child(self, depends_on: Sequence[pulumi.Resource] = ()) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, depends_on=list(depends_on))

    def _subnet_name(self, tier: Tier, az_index: int) -> str:
        return f"{self._name}-{tier}-az{az_index + 1}"

    def _zones(self, args: VpcArgs) -> pulumi.Output[list[tuple[str, str]]]:
        """`(zone ID, name)` per AZ, chosen by ID (components/zones.py says why)."""
        # The args checked the pinned zones against the count.
        pinned = list(args.availability_zone_ids) if args.availability_zone_ids is not None else None
        unreachable = current()
        if unreachable is not None:  # the region is down: no DescribeAvailabilityZones
            return pulumi.Output.from_input(unreachable.zones(args.resolved_az_count))
        # No `state` filter: an impaired zone stays in the list, so nothing after it moves. Only
        # real AZs (no Local or Wavelength Zones the account may have opted into).
        found = aws.get_availability_zones_output(
            filters=[aws.GetAvailabilityZonesFilterArgs(name="zone-type", values=["availability-zone"])],
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        name, count = self._name, args.resolved_az_count

        def chosen(values: list[Any]) -> list[tuple[str, str]]:
            region, names, zone_ids = values
            try:
                return choose_zones(region, names, zone_ids, count, pinned)
            except ZoneError as error:
                raise ZoneError(f"Vpc {name}: {error}") from None

        return pulumi.Output.all(self._context.region, found.names, found.zone_ids).apply(chosen)

    def _subnet(self, planned: PlannedSubnet, zones: pulumi.Output[list[tuple[str, str]]]) -> aws.ec2.Subnet:
        name = self._subnet_name(planned.tier, planned.az_index)
        tags = {"Name": name, "tier": planned.tier}
        if planned.tier == "public":
            tags["kubernetes.io/role/elb"] = "1"  # where the AWS load balancer controller puts public LBs
        elif planned.tier == "private":
            tags["kubernetes.io/role/internal-elb"] = "1"
        if self._args.cluster_name and planned.tier != "database":
            tags[f"kubernetes.io/cluster/{self._args.cluster_name}"] = "shared"
        index = planned.az_index
        return aws.ec2.Subnet(
            name,
            vpc_id=self.vpc.id,
            cidr_block=str(planned.cidr),
            # By ID: the same physical zone whatever this account calls it.
            availability_zone_id=zones.apply(lambda chosen: chosen[index][0]),
            map_public_ip_on_launch=False,  # nothing gets a public IP by accident, even in public subnets
            tags=tags,
            opts=self._child(),
        )

    def _nat_gateways(self) -> list[aws.ec2.NatGateway]:
        strategy = self._args.resolved_nat_strategy
        count = {
            NatStrategy.NONE: 0,
            NatStrategy.SINGLE: 1,
            NatStrategy.ONE_PER_AZ: self._args.resolved_az_count,
        }[strategy]
        gateways = []
        for index in range(count):
            suffix = f"az{index + 1}"
            eip = aws.ec2.Eip(
                f"{self._name}-nat-eip-{suffix}",
                domain="vpc",
                tags={"Name": f"{self._name}-nat-eip-{suffix}"},
                opts=self._child(depends_on=[self.internet_gateway]),
            )
            gateways.append(
                aws.ec2.NatGateway(
                    f"{self._name}-nat-{suffix}",
                    allocation_id=eip.id,
                    subnet_id=self.subnets["public"][index].id,
                    connectivity_type="public",
                    tags={"Name": f"{self._name}-nat-{suffix}"},
                    opts=self._child(depends_on=[self.internet_gateway]),
                )
            )
        return gateways

    def _route_table(self, suffix: str, tier: Tier, az_indexes: Sequence[int]) -> aws.ec2.RouteTable:
        """A route table associated with the given AZs' subnets of one tier."""
        table = aws.ec2.RouteTable(
            f"{self._name}-{suffix}-rt",
            vpc_id=self.vpc.id,
            tags={"Name": f"{self._name}-{suffix}-rt"},
            opts=self._child(),
        )
        for index in az_indexes:
            aws.ec2.RouteTableAssociation(
                f"{self._subnet_name(tier, index)}-rta",
                route_table_id=table.id,
                subnet_id=self.subnets[tier][index].id,
                opts=self._child(),
            )
        return table

    def _route_tables(self) -> dict[Tier, list[aws.ec2.RouteTable]]:
        all_azs = range(self._args.resolved_az_count)
        public = self._route_table("public", "public", all_azs)
        aws.ec2.Route(
            f"{self._name}-public-default-route",
            route_table_id=public.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=self.internet_gateway.id,
            opts=self._child(),
        )

        # One private table per AZ when each AZ has its own NAT, else one shared table.
        if self._args.resolved_nat_strategy is NatStrategy.ONE_PER_AZ:
            private_layout = [(f"private-az{i + 1}", [i]) for i in all_azs]
        else:
            private_layout = [("private", list(all_azs))]
        private = []
        for index, (suffix, az_indexes) in enumerate(private_layout):
            table = self._route_table(suffix, "private", az_indexes)
            private.append(table)
            self.private_route_tables[suffix] = table
            if self.nat_gateways:
                nat = self.nat_gateways[min(index, len(self.nat_gateways) - 1)]
                aws.ec2.Route(
                    f"{self._name}-{suffix}-default-route",
                    route_table_id=table.id,
                    destination_cidr_block="0.0.0.0/0",
                    nat_gateway_id=nat.id,
                    opts=self._child(),
                )

        # Isolated: no route out, ever. S3 and DynamoDB still work through gateway endpoints.
        database = self._route_table("database", "database", all_azs)
        return {"public": [public], "private": private, "database": [database]}

    def _endpoint(
        self,
        service: str,
        endpoint_type: Literal["Gateway", "Interface"],
        *,
        route_table_ids: Sequence[pulumi.Input[str]] | None = None,
        subnet_ids: Sequence[pulumi.Input[str]] | None = None,
        security_group_ids: Sequence[pulumi.Input[str]] | None = None,
    ) -> aws.ec2.VpcEndpoint:
        name = f"{self._name}-{service.replace('.', '-')}-endpoint"
        return aws.ec2.VpcEndpoint(
            name,
            vpc_id=self.vpc.id,
            vpc_endpoint_type=endpoint_type,
            service_name=self._context.region.apply(lambda region: f"com.amazonaws.{region}.{service}"),
            route_table_ids=route_table_ids,
            subnet_ids=subnet_ids,
            security_group_ids=security_group_ids,
            private_dns_enabled=True if endpoint_type == "Interface" else None,
            tags={"Name": name},
            opts=self._child(),
        )

    def _gateway_endpoints(self) -> None:
        tables = [table.id for table in self.route_tables["private"] + self.route_tables["database"]]
        for service in GATEWAY_ENDPOINT_SERVICES:
            self._endpoint(service, "Gateway", route_table_ids=tables)

    def _interface_endpoints(self, cidr: ipaddress.IPv4Network) -> None:
        group = aws.ec2.SecurityGroup(
            f"{self._name}-endpoints-sg",
            vpc_id=self.vpc.id,
            description="Interface endpoints: HTTPS from inside the VPC only",
            tags={"Name": f"{self._name}-endpoints-sg"},
            opts=self._child(),
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{self._name}-endpoints-https-from-vpc",
            security_group_id=group.id,
            description="HTTPS from the VPC CIDR",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4=str(cidr),
            opts=self._child(),
        )
        private_subnets = [subnet.id for subnet in self.subnets["private"]]
        for service in INTERFACE_ENDPOINT_SERVICES:
            self._endpoint(service, "Interface", subnet_ids=private_subnets, security_group_ids=[group.id])

    def _flow_logs(self) -> aws.cloudwatch.LogGroup:
        context = self._context
        group_name = self._args.flow_log_group or f"/platform/vpc/{self._name}/flow-logs"
        group = encrypted_log_group(
            f"{self._name}-flow-logs",
            group_name=group_name,
            retention_days=self._args.resolved_flow_log_retention_days,
            description=f"the VPC flow logs of {self._name}",
            context=context,
            parent=self,
        )

        trust = trust_policy(
            principal_type="Service",
            identifiers=["vpc-flow-logs.amazonaws.com"],
            # Only flow logs of this account and region may assume it (confused deputy).
            conditions=[
                Condition(test="StringEquals", variable="aws:SourceAccount", values=[context.account]),
                Condition(test="ArnLike", variable="aws:SourceArn", values=[context.arn("ec2", "vpc-flow-log/*")]),
            ],
            parent=self,
        )
        role = iam.role(
            f"{self._name}-flow-logs-role",
            description=f"Lets VPC flow logs of {self._name} write to {group_name} only",
            trust=trust,
            parent=self,
        )
        iam.inline_policy(
            f"{self._name}-flow-logs-write",
            role=role,
            sid="WriteThisLogGroupOnly",
            actions=["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
            resources=[group.arn, group.arn.apply(lambda arn: f"{arn}:*")],
            parent=self,
        )
        aws.ec2.FlowLog(
            f"{self._name}-flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=60,
            tags={"Name": f"{self._name}-flow-log"},
            opts=self._child(),
        )
        return group


def _ids(resources: Sequence[pulumi.CustomResource]) -> pulumi.Output[list[str]]:
    ids: pulumi.Output[list[str]] = pulumi.Output.all(*[resource.id for resource in resources]).apply(list)
    return ids

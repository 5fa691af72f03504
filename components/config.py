"""The stack config as validated, plain Python values.

`Pulumi.<stack>.yaml` holds camelCase keys under the `platform:` namespace. They are read once,
here, into frozen pydantic models; components take these plain values and never read
`pulumi.Config` themselves. Every problem is reported at once, as a list of key paths in the
YAML's own spelling (`regions[1].vpc.cidr: ...`), through `ConfigError`.

Entry points:
- `stack_config_from_pulumi()`   inside a Pulumi program (`__main__.py`)
- `load_stack_file(path)`        reads a `Pulumi.<stack>.yaml` directly (tests, preflight)
- `parse_stack_config(mapping)`  validates an already-loaded mapping of the namespace's keys
"""

from __future__ import annotations

import contextlib
import difflib
import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import pulumi
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from eksplatform.components.images import image_problem
from eksplatform.components.instance_types import (
    AURORA_POSTGRES_CLASS_MEMORY_GIB,
    ELASTICACHE_NODE_TYPES,
    GLOBAL_DATASTORE_FAMILIES,
    RDS_POSTGRES_CLASS_MEMORY_GIB,
    architecture,
    db_class_families,
)
from eksplatform.components.language_catalog import CATALOG, EXTRA_SERVICE_DEFAULTS
from eksplatform.components.node_capacity import EC2_INSTANCE_TYPES, unknown_instance_type
from eksplatform.components.quantity import parse_quantity
from eksplatform.components.subnet_plan import TIERS, SubnetPlanError, Tier, TierLayout, plan_subnets
from eksplatform.components.zones import zone_id_problem
from eksplatform.cost.prices import ADMITTED_REGIONS, HOW_TO_ADD_A_PRICE, priced_everywhere
from eksplatform.pulumi_internals import all_config

CONFIG_NAMESPACE = "platform"

# Availability zones a new account can use per region. "The AZ count fits the region" is
# checked against this table; add a region here (with its AZ count) to use it.
REGION_AZ_COUNTS: dict[str, int] = {
    "us-east-1": 6,
    "us-east-2": 3,
    "us-west-1": 2,
    "us-west-2": 4,
    "ca-central-1": 3,
    "sa-east-1": 3,
    "eu-west-1": 3,
    "eu-west-2": 3,
    "eu-west-3": 3,
    "eu-central-1": 3,
    "eu-north-1": 3,
    "ap-south-1": 3,
    "ap-southeast-1": 3,
    "ap-southeast-2": 3,
    "ap-northeast-1": 3,
    "ap-northeast-2": 4,
}


_ECR_REGISTRY = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<path>.+)$")


def _unpriced(what: str) -> str:
    return f"{what} has no price in every admitted region {list(ADMITTED_REGIONS)}; {HOW_TO_ADD_A_PRICE}"


def eks_zone_count(region: str) -> int:
    """Zones of a new account in `region` that EKS accepts: us-east-1's six include use1-az3,
    which EKS refuses (components/zones.py); us-west-1's usw1-az2 and ca-central-1's cac1-az3
    exist only in older accounts, on top of the counts above."""
    return REGION_AZ_COUNTS[region] - (1 if region == "us-east-1" else 0)


# EKS versions in standard or extended support when this was written (2026-11-28; 1.31's extended
# support ended 2026-11-26).
SUPPORTED_KUBERNETES_VERSIONS = ("1.32", "1.33", "1.34", "1.35", "1.36")
# End of standard support per version (EKS user guide, "Understand the Kubernetes version
# lifecycle on EKS", release calendar; read 2026-11). Standard lasts 14 months from the EKS
# release, extended 12 more. Under the STANDARD upgrade policy EKS upgrades the control plane
# itself on this date; docs/upgrades.md is the procedure that gets there first.
END_OF_STANDARD_SUPPORT = {
    "1.32": "2026-03-23",
    "1.33": "2026-07-29",
    "1.34": "2026-12-02",
    "1.35": "2027-03-27",
}
# The day the calendar above was read: a version whose standard support had ended by then is in
# extended support (a fixed date, so config validation gives the same answer every day).
CALENDAR_READ = "2026-11-28"


def in_standard_support(version: str) -> bool:
    """Whether `version` was in EKS standard support when the calendar was read."""
    return END_OF_STANDARD_SUPPORT.get(version, "9999-12-31") > CALENDAR_READ


# The cost estimate prices the month after the calendar was read: a version whose standard
# support ends within it is priced at the extended-support rate (eksplatform/cost/estimate.py).
ESTIMATED_MONTH_END = "2026-12-28"


def in_standard_support_all_month(version: str) -> bool:
    """Whether `version` stays in standard support through the month the estimate prices."""
    return END_OF_STANDARD_SUPPORT.get(version, "9999-12-31") > ESTIMATED_MONTH_END


# EKS add-ons every cluster runs (components/cluster.py); every stack pins each one's version.
EksAddon = Literal["vpc-cni", "kube-proxy", "coredns", "eks-pod-identity-agent", "aws-ebs-csi-driver", "metrics-server"]
EKS_ADDONS: tuple[EksAddon, ...] = get_args(EksAddon)

# Kubernetes Service IPs of every cluster; a VPC CIDR must not overlap it (EKS refuses).
EKS_SERVICE_IPV4_CIDR = ipaddress.IPv4Network("172.20.0.0/16")

# The only retention periods CloudWatch Logs accepts.
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

NodeGroupName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,30}$")]
Ec2InstanceType = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")]
LabelMap = dict[
    Annotated[str, StringConstraints(pattern=r"^([a-z0-9.-]+/)?[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")],
    Annotated[str, StringConstraints(max_length=63)],
]
NonEmpty = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
Window = Annotated[str, StringConstraints(pattern=r"^\d{2}:\d{2}-\d{2}:\d{2}$")]
WeeklyWindow = Annotated[
    str,
    StringConstraints(pattern=r"^(mon|tue|wed|thu|fri|sat|sun):\d{2}:\d{2}-(mon|tue|wed|thu|fri|sat|sun):\d{2}:\d{2}$"),
]


class KeyedValueError(ValueError):
    """A cross-field error that belongs to one key inside the model that raises it.

    pydantic reports a model validator's error at the model's own path; `key` names the field
    within it, so the message points at `...nodeGroups.system.minSize`, not just `...system`.
    """

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")  # named in the text too, for Python callers of the models
        self.key = key
        self.message = message


class ConfigIssue(BaseModel):
    """One problem in the stack config: where (a YAML key path) and why."""

    model_config = ConfigDict(frozen=True)

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ConfigError(pulumi.RunError):
    """Invalid stack config. A `RunError`, so `pulumi up` prints the message, not a traceback."""

    def __init__(self, issues: list[ConfigIssue], source: str = "stack config") -> None:
        self.issues = issues
        self.source = source
        lines = "\n".join(f"  - {issue}" for issue in issues)
        count = len(issues)
        super().__init__(f"invalid {source} ({count} problem{'s' if count != 1 else ''}):\n{lines}")


class _Model(BaseModel):
    """camelCase keys in YAML, snake_case in Python, unknown keys rejected, values frozen."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
    )


def _check_order(pairs: list[tuple[str, float | None, str, float | None]]) -> None:
    """Raise for the first `(low_key, low, high_key, high)` where low > high."""
    for low_key, low, high_key, high in pairs:
        if low is not None and high is not None and low > high:
            raise KeyedValueError(low_key, f"{low:g} is greater than {high_key} {high:g}")


# --- network -------------------------------------------------------------------------------


class SubnetTierConfig(_Model):
    """Layout of one subnet tier: a prefix length to allocate with, or explicit CIDRs in AZ order."""

    prefix_length: int | None = Field(default=None, ge=16, le=28, description="default: /19 private, /24 others")
    cidrs: list[ipaddress.IPv4Network] | None = Field(default=None, description="one per AZ, in AZ order")


class SubnetsConfig(_Model):
    """Per-tier subnet layout; see components/subnet_plan.py for how CIDRs are allocated."""

    public: SubnetTierConfig = Field(default_factory=SubnetTierConfig)
    private: SubnetTierConfig = Field(default_factory=SubnetTierConfig)
    database: SubnetTierConfig = Field(default_factory=SubnetTierConfig)


class VpcConfig(_Model):
    """One region's VPC."""

    cidr: ipaddress.IPv4Network = Field(description="VPC CIDR, /16 to /24, e.g. 10.10.0.0/16")
    az_count: int = Field(default=3, ge=2, le=6, description="AZs to spread subnets over (EKS needs 2)")
    availability_zone_ids: list[str] | None = Field(
        default=None,
        description="Pinned zone IDs (e.g. use1-az1), in AZ order; default: the first azCount zone IDs EKS "
        "accepts. By ID because zone names map to different zones in each account",
    )
    nat_strategy: Literal["none", "single", "one-per-az"] = Field(
        default="one-per-az",
        description="single (dev) | one-per-az (prod); none is refused: the sandbox nodes download gVisor at boot",
    )
    flow_log_retention_days: int = Field(default=30, description="CloudWatch retention of flow logs")
    interface_endpoints: bool = Field(
        default=False, description="ECR, STS, Logs and Secrets Manager interface endpoints"
    )
    subnets: SubnetsConfig = Field(default_factory=SubnetsConfig)

    @field_validator("cidr", mode="before")
    @classmethod
    def _network_address(cls, cidr: Any) -> Any:
        if isinstance(cidr, str) and "/" in cidr:
            try:
                network = ipaddress.IPv4Network(cidr, strict=False)
            except ValueError:
                return cidr  # not a network at all: pydantic says so
            if network.network_address != ipaddress.IPv4Address(cidr.split("/")[0].strip()):
                raise ValueError(f"{cidr} has host bits set; the network is {network}")
        return cidr

    @field_validator("cidr")
    @classmethod
    def _cidr_size(cls, cidr: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
        if not 16 <= cidr.prefixlen <= 24:
            raise ValueError(f"{cidr} has prefix /{cidr.prefixlen}; a VPC needs /16 to /24")
        if not cidr.is_private:
            raise ValueError(f"{cidr} is not a private (RFC 1918) range")
        return cidr

    @field_validator("flow_log_retention_days")
    @classmethod
    def _retention(cls, days: int) -> int:
        return _log_retention(days)

    @model_validator(mode="after")
    def _zones_match_count(self) -> VpcConfig:
        zones = self.availability_zone_ids
        if zones is not None:
            if len(zones) != self.az_count:
                raise KeyedValueError("availabilityZoneIds", f"lists {len(zones)} zones but azCount is {self.az_count}")
            if len(set(zones)) != len(zones):
                raise KeyedValueError("availabilityZoneIds", f"{zones} names a zone twice")
        return self


def subnet_layouts(subnets: SubnetsConfig) -> dict[Tier, TierLayout]:
    """The config's per-tier layout in the form `plan_subnets` takes."""
    layouts: dict[Tier, TierLayout] = {}
    for tier in TIERS:
        tier_config: SubnetTierConfig = getattr(subnets, tier)
        cidrs = tuple(tier_config.cidrs) if tier_config.cidrs is not None else None
        layouts[tier] = TierLayout(prefix_length=tier_config.prefix_length, cidrs=cidrs)
    return layouts


def _log_retention(days: int) -> int:
    if days not in LOG_RETENTION_DAYS:
        raise ValueError(f"{days} is not a CloudWatch retention period; use one of {LOG_RETENTION_DAYS}")
    return days


# --- cluster -------------------------------------------------------------------------------


class NodeGroupConfig(_Model):
    """One EKS managed node group; its name is its key in `nodeGroups`."""

    instance_types: list[Ec2InstanceType] = Field(
        min_length=1,
        description="e.g. [m7i.large]; only types with a price in every admitted region "
        "(docs/cost.md, 'What is admitted'; add one with `python -m eksplatform.cost.offer_file`)",
    )
    capacity_type: Literal["ON_DEMAND", "SPOT"] = Field(
        default="ON_DEMAND", description="ON_DEMAND, or SPOT for interruptible groups (never `system`)"
    )
    min_size: int = Field(ge=0, le=1000, description="fewest nodes; the cluster-autoscaler never goes below")
    desired_size: int = Field(
        ge=0, le=1000, description="nodes at creation; afterwards the cluster-autoscaler owns the count"
    )
    max_size: int = Field(ge=1, le=1000, description="most nodes the cluster-autoscaler may add")
    disk_size_gib: int = Field(default=50, ge=20, le=16384, description="encrypted gp3 root volume")
    labels: LabelMap = Field(default_factory=dict, description="extra Kubernetes node labels")
    max_unavailable_percentage: int = Field(
        default=25, ge=1, le=50, description="share of nodes a rolling update may take down at once"
    )

    @field_validator("instance_types")
    @classmethod
    def _one_architecture(cls, types: list[str]) -> list[str]:
        # The capacity check needs each type's vCPUs, memory and max pods (components/node_capacity.py).
        for index, instance_type in enumerate(types):
            if instance_type not in EC2_INSTANCE_TYPES:
                raise KeyedValueError(f"[{index}]", unknown_instance_type(instance_type))
            # The budget gate needs a price for every node (docs/cost.md, "What is admitted").
            if not priced_everywhere(f"ec2.{instance_type}"):
                raise KeyedValueError(f"[{index}]", _unpriced(instance_type))
        # One node group runs one AMI, so its instance types must share a CPU architecture.
        kinds = {architecture(instance_type): instance_type for instance_type in types}
        if len(kinds) > 1:
            raise ValueError(
                f"mixes arm64 ({kinds['arm64']}) and x86_64 ({kinds['x86_64']}) types; one group runs one AMI"
            )
        return types

    @model_validator(mode="after")
    def _sizes_ordered(self) -> NodeGroupConfig:
        _check_order(
            [
                ("minSize", self.min_size, "maxSize", self.max_size),
                ("minSize", self.min_size, "desiredSize", self.desired_size),
                ("desiredSize", self.desired_size, "maxSize", self.max_size),
            ]
        )
        return self


class ClusterConfig(_Model):
    """One region's EKS cluster."""

    kubernetes_version: str = Field(
        description=f"one of {', '.join(SUPPORTED_KUBERNETES_VERSIONS)}; a version past standard support needs "
        "`supportType: EXTENDED`"
    )
    endpoint_public_access: bool = Field(default=False, description="off by default; needs publicAccessCidrs when on")
    public_access_cidrs: list[ipaddress.IPv4Network] = Field(
        default_factory=list, description="public API endpoint allowlist (never 0.0.0.0/0; no public endpoint in prod)"
    )
    admin_role_arn: str | None = Field(
        default=None,
        pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$",
        description="IAM role given cluster-admin through an EKS access entry",
    )
    log_retention_days: int = Field(default=90, description="control-plane log retention")
    node_groups: dict[NodeGroupName, NodeGroupConfig] = Field(
        description="managed node groups by name; `system` and `sandbox` are required"
    )
    addon_versions: dict[EksAddon, Annotated[str, StringConstraints(pattern=r"^v\d+\.\d+\.\d+-eksbuild\.\d+$")]] = (
        Field(
            description="the version of every EKS add-on, e.g. {vpc-cni: v1.20.4-eksbuild.2}; list the "
            "versions for a Kubernetes version with `aws eks describe-addon-versions --kubernetes-version "
            "<v> --addon-name <name>` (docs/upgrades.md)",
        )
    )
    support_type: Literal["STANDARD", "EXTENDED"] = Field(
        default="STANDARD",
        description="STANDARD: EKS upgrades the control plane when standard support ends; EXTENDED: "
        "12 more months on the version at the extended-support price",
    )

    @field_validator("kubernetes_version", mode="before")
    @classmethod
    def _version(cls, version: Any) -> Any:
        if isinstance(version, float):
            # YAML reads an unquoted 1.30 as the number 1.3.
            raise ValueError(f"{version!r} is a number; write the version as text in quotes, e.g. '1.30' or '1.34'")
        text = str(version) if isinstance(version, (int, str)) else version
        if text not in SUPPORTED_KUBERNETES_VERSIONS:
            raise ValueError(f"{version!r} is not a supported EKS version; use one of {SUPPORTED_KUBERNETES_VERSIONS}")
        return text

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, days: int) -> int:
        return _log_retention(days)

    @field_validator("node_groups")
    @classmethod
    def _required_groups(cls, groups: dict[str, NodeGroupConfig]) -> dict[str, NodeGroupConfig]:
        missing = sorted({"system", "sandbox"} - set(groups))
        if missing:
            raise ValueError(f"missing node group(s) {missing}: the platform needs `system` and `sandbox`")
        if groups["system"].capacity_type != "ON_DEMAND":
            # Spot reclaims would take CoreDNS and the add-ons' controllers down with them.
            raise KeyedValueError("system.capacityType", "the system group runs cluster add-ons; use ON_DEMAND")
        return groups

    @model_validator(mode="after")
    def _upgrade_on_our_calendar(self) -> ClusterConfig:
        if self.support_type == "STANDARD" and not in_standard_support(self.kubernetes_version):
            raise KeyedValueError(
                "kubernetesVersion",
                f"standard support for {self.kubernetes_version} ended on "
                f"{END_OF_STANDARD_SUPPORT[self.kubernetes_version]}: with supportType STANDARD, EKS would upgrade "
                "the control plane on its own and leave the nodes and add-ons behind; upgrade (docs/upgrades.md) "
                "or set supportType: EXTENDED",
            )
        return self

    @model_validator(mode="after")
    def _addons_pinned(self) -> ClusterConfig:
        missing = [addon for addon in EKS_ADDONS if addon not in self.addon_versions]
        if missing:
            raise KeyedValueError(
                "addonVersions",
                f"pin every add-on's version; missing {missing} (list them with `aws eks describe-addon-versions "
                f"--kubernetes-version {self.kubernetes_version} --addon-name <name>`)",
            )
        # kube-proxy runs the cluster's own minor version (EKS user guide, "Manage kube-proxy"):
        # a control-plane upgrade without it leaves the add-on behind.
        proxy = self.addon_versions["kube-proxy"]
        if not proxy.startswith(f"v{self.kubernetes_version}."):
            raise KeyedValueError(
                "addonVersions.kube-proxy",
                f"{proxy} is not a {self.kubernetes_version} build; kube-proxy follows the cluster's minor "
                f"version (v{self.kubernetes_version}.x-eksbuild.y)",
            )
        return self

    @model_validator(mode="after")
    def _public_endpoint(self) -> ClusterConfig:
        if self.endpoint_public_access and not self.public_access_cidrs:
            raise KeyedValueError(
                "publicAccessCidrs", "endpointPublicAccess is true, so list the CIDRs allowed to reach it"
            )
        for index, cidr in enumerate(self.public_access_cidrs):
            if cidr.prefixlen == 0:
                raise KeyedValueError(
                    f"publicAccessCidrs[{index}]", f"{cidr} opens the API endpoint to the world; list your own CIDRs"
                )
        return self


# --- data stores ---------------------------------------------------------------------------


class PostgresConfig(_Model):
    """One region's managed PostgreSQL (RDS instance or Aurora cluster)."""

    engine: Literal["rds", "aurora"] = Field(description="rds (dev) or aurora (staging, prod)")
    major_version: Literal[16, 17] = Field(default=17, description="PostgreSQL major version")
    engine_version: str | None = Field(
        default=None,
        pattern=r"^\d+\.\d+$",
        description="full engine version, e.g. '17.5' (required for an Aurora Global Database; "
        "list them with `aws rds describe-db-engine-versions --engine aurora-postgresql`)",
    )
    instance_class: str = Field(
        description="e.g. db.r7g.large; see components/instance_types.py; only classes with a price for the engine "
        "in every admitted region (docs/cost.md, 'What is admitted')"
    )
    allocated_storage_gib: int = Field(default=20, ge=20, le=65536, description="rds only (gp3)")
    max_allocated_storage_gib: int | None = Field(default=None, le=65536, description="rds only: autoscaling cap")
    multi_az: bool = Field(default=False, description="rds only: a standby in a second AZ")
    read_replicas: int = Field(default=0, ge=0, le=15, description="rds only: read replicas")
    readers: int = Field(default=1, ge=0, le=15, description="aurora only: reader instances across AZs")
    backup_retention_days: int = Field(default=7, ge=1, le=35, description="automated backups kept (prod: 30)")
    backup_window: Window = Field(default="03:00-04:00", description="UTC")
    maintenance_window: WeeklyWindow = Field(default="sun:04:30-sun:05:30", description="UTC")
    deletion_protection: bool | None = Field(default=None, description="default: on outside dev")
    proxy: bool = Field(default=False, description="RDS Proxy for connection pooling")
    log_retention_days: int = Field(default=30, description="PostgreSQL log retention in CloudWatch")

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, days: int) -> int:
        return _log_retention(days)

    @property
    def resolved_engine_version(self) -> str:
        """The pinned full version, or the major version (AWS then picks its default minor)."""
        return self.engine_version or str(self.major_version)

    @property
    def instance_classes(self) -> dict[str, float]:
        """The classes this engine offers (name -> memory in GiB)."""
        return AURORA_POSTGRES_CLASS_MEMORY_GIB if self.engine == "aurora" else RDS_POSTGRES_CLASS_MEMORY_GIB

    @property
    def instance_count(self) -> int:
        """DB instances that serve traffic: the writer plus replicas or readers."""
        return 1 + (self.readers if self.engine == "aurora" else self.read_replicas)

    @model_validator(mode="after")
    def _fits_engine(self) -> PostgresConfig:
        product = "Aurora PostgreSQL" if self.engine == "aurora" else "RDS for PostgreSQL"
        if self.instance_class not in self.instance_classes:
            raise KeyedValueError(
                "instanceClass",
                f"{product} does not offer {self.instance_class!r}; "
                f"families: {', '.join(db_class_families(self.instance_classes))}",
            )
        if not priced_everywhere(f"{self.engine if self.engine == 'aurora' else 'rds'}.postgres.{self.instance_class}"):
            raise KeyedValueError("instanceClass", _unpriced(f"{product} {self.instance_class}"))
        if self.engine_version is not None and self.engine_version.split(".")[0] != str(self.major_version):
            raise KeyedValueError(
                "engineVersion", f"{self.engine_version!r} is not a version of majorVersion {self.major_version}"
            )
        other_engine_keys = _AURORA_ONLY if self.engine == "rds" else _RDS_ONLY
        for field_name, (key, hint) in other_engine_keys.items():
            if field_name in self.model_fields_set:
                raise KeyedValueError(key, f"not for engine {self.engine}: {hint}")
        _check_order(
            [
                (
                    "allocatedStorageGib",
                    self.allocated_storage_gib,
                    "maxAllocatedStorageGib",
                    self.max_allocated_storage_gib,
                )
            ]
        )
        return self


# Settings that only one engine has, with what to use on the other.
_RDS_ONLY = {
    "read_replicas": ("readReplicas", "Aurora scales reads with readers"),
    "allocated_storage_gib": ("allocatedStorageGib", "Aurora storage grows on its own"),
    "max_allocated_storage_gib": ("maxAllocatedStorageGib", "Aurora storage grows on its own"),
    "multi_az": ("multiAz", "Aurora is Multi-AZ through readers in other zones"),
}
_AURORA_ONLY = {"readers": ("readers", "an rds instance scales reads with readReplicas")}


# Engine versions ElastiCache offers per engine, and the default for new clusters.
REDIS_ENGINE_VERSIONS: dict[str, tuple[str, ...]] = {"valkey": ("7.2", "8.0", "8.1"), "redis": ("7.0", "7.1")}
REDIS_DEFAULT_ENGINE_VERSION = {"valkey": "8.0", "redis": "7.1"}
# ElastiCache's limit on nodes (shards x (1 + replicas)) in one cluster-mode replication group.
REDIS_MAX_NODES = 500


class RedisClusterConfig(_Model):
    """One ElastiCache replication group (the platform runs a `cache` and a `queue`)."""

    engine: Literal["valkey", "redis"] = Field(default="valkey", description="ElastiCache engine")
    engine_version: str | None = Field(
        default=None,
        description="; ".join(
            f"{engine}: {', '.join(versions)} (default {REDIS_DEFAULT_ENGINE_VERSION[engine]})"
            for engine, versions in REDIS_ENGINE_VERSIONS.items()
        ),
    )
    node_type: str = Field(
        description="e.g. cache.t4g.small; see ELASTICACHE_NODE_TYPES; only node types with a price for the engine "
        "in every admitted region (docs/cost.md, 'What is admitted')"
    )
    cluster_mode: bool = Field(default=False, description="sharded (cluster mode enabled)")
    shards: int = Field(default=1, ge=1, le=500, description="node groups; more than 1 turns on cluster mode")
    replicas_per_shard: int = Field(default=1, ge=0, le=5, description=">= 1 for Multi-AZ failover (prod)")
    snapshot_retention_days: int = Field(default=1, ge=0, le=35, description="0: no snapshots (cache only)")
    snapshot_window: Window = Field(default="03:00-04:00", description="UTC")
    maintenance_window: WeeklyWindow = Field(default="sun:05:00-sun:06:00", description="UTC")
    log_retention_days: int = Field(default=30, description="slow-log and engine-log retention")
    global_datastore: bool = Field(default=False, description="queue only: Global Datastore across regions")

    @field_validator("node_type")
    @classmethod
    def _known_node_type(cls, node_type: str) -> str:
        if node_type not in ELASTICACHE_NODE_TYPES:
            families = sorted({known.rsplit(".", 1)[0] for known in ELASTICACHE_NODE_TYPES})
            raise ValueError(f"{node_type!r} is not an ElastiCache node type; families: {', '.join(families)}")
        return node_type

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, days: int) -> int:
        return _log_retention(days)

    @model_validator(mode="after")
    def _engine_and_shards(self) -> RedisClusterConfig:
        if not priced_everywhere(f"elasticache.{self.engine}.{self.node_type}"):
            raise KeyedValueError("nodeType", _unpriced(f"{self.node_type} ({self.engine})"))
        versions = REDIS_ENGINE_VERSIONS[self.engine]
        if self.engine_version is not None and self.engine_version not in versions:
            raise KeyedValueError("engineVersion", f"{self.engine} offers {versions}, not {self.engine_version!r}")
        if self.shards > 1 and not self.cluster_mode:
            raise KeyedValueError("shards", f"{self.shards} shards need clusterMode: true")
        nodes = self.shards * (1 + self.replicas_per_shard)
        if nodes > REDIS_MAX_NODES:
            raise KeyedValueError(
                "shards",
                f"{self.shards} shards x {1 + self.replicas_per_shard} nodes is {nodes}; at most {REDIS_MAX_NODES}",
            )
        return self

    @property
    def resolved_engine_version(self) -> str:
        return self.engine_version or REDIS_DEFAULT_ENGINE_VERSION[self.engine]


class RedisConfig(_Model):
    """Separate Redis for caching and for queues, as the requirements ask."""

    cache: RedisClusterConfig
    queue: RedisClusterConfig

    @model_validator(mode="after")
    def _purposes(self) -> RedisConfig:
        if self.cache.global_datastore:
            raise KeyedValueError("cache.globalDatastore", "only the queue uses a Global Datastore")
        if self.queue.snapshot_retention_days < 1:
            raise KeyedValueError("queue.snapshotRetentionDays", "the queue keeps snapshots; use 1 or more days")
        if self.queue.global_datastore and self.queue.node_type.rsplit(".", 1)[0] not in GLOBAL_DATASTORE_FAMILIES:
            raise KeyedValueError(
                "queue.nodeType",
                f"a Global Datastore needs one of {GLOBAL_DATASTORE_FAMILIES}, not {self.queue.node_type}",
            )
        return self


# --- language services ---------------------------------------------------------------------

Quantity = Annotated[str, StringConstraints(pattern=r"^([0-9]+(\.[0-9]+)?|\.[0-9]+)(m|Ki|Mi|Gi|Ti|k|M|G|T)?$")]


class LanguageServiceConfig(_Model):
    """Overrides for one language service; unset fields keep the catalog's (or the pool's) defaults."""

    enabled: bool = Field(default=True, description="false leaves the service out of the pool")
    image: str | None = Field(default=None, description="repository:tag or repository@sha256:digest (never latest)")
    min_replicas: int | None = Field(default=None, ge=1, le=1000, description="pre-spawned pods (HPA minimum)")
    max_replicas: int | None = Field(default=None, ge=1, le=1000, description="the HPA's maximum")
    cpu_request: Quantity | None = Field(default=None, description="Kubernetes quantity, e.g. `250m`")
    cpu_limit: Quantity | None = Field(default=None, description="Kubernetes quantity, e.g. `1`")
    memory_request: Quantity | None = Field(default=None, description="Kubernetes quantity, e.g. `256Mi`")
    memory_limit: Quantity | None = Field(default=None, description="Kubernetes quantity, e.g. `512Mi`")
    tmp_size: Quantity | None = Field(default=None, description="size limit of the writable /tmp")

    @field_validator("image")
    @classmethod
    def _pinned(cls, image: str | None) -> str | None:
        return None if image is None else pinned_image(image)


class LanguageServicesConfig(_Model):
    """The sandboxed language-service pool of one region."""

    namespace: str = Field(
        default="sandbox",
        pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$",
        description="the pool's namespace (a DNS label)",
    )
    image_registry: str | None = Field(
        default=None,
        pattern=r"^[a-z0-9.-]+(:[0-9]+)?(/[a-z0-9._-]+)*$",
        description="where the catalog's images live, e.g. <account>.dkr.ecr.<region>.amazonaws.com/platform",
        json_schema_extra={"docDefault": "required unless every service names its `image`"},
    )
    min_replicas: int = Field(default=2, ge=1, le=1000, description="default for every service")
    max_replicas: int = Field(default=10, ge=1, le=1000, description="default for every service")
    services: dict[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,40}$")], LanguageServiceConfig] = Field(
        default_factory=dict, description="per-language overrides or extra services, by name"
    )
    allow_dns: bool = Field(
        default=False,
        description="allow DNS egress to kube-dns; off: the services answer requests and look nothing up, and "
        "DNS is a way out (docs/sandbox.md); the policy pack refuses it unless the VPC has a DNS Firewall",
    )
    runtime_class_name: Literal["gvisor"] | None = Field(
        default="gvisor",
        description="gvisor: every pod runs under gVisor, which the sandbox nodes install (docs/sandbox.md); "
        "null runs them on the host kernel (runc), which the policy pack refuses",
    )
    seccomp_localhost_profile: str | None = Field(
        default=None, description="not supported: no sandbox node carries a Localhost profile (docs/sandbox.md)"
    )
    backend_namespace: str = Field(
        default="backend", pattern=r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$", description="where the callers run"
    )
    backend_selector: LabelMap = Field(
        default_factory=lambda: {"app.kubernetes.io/name": "backend"},
        description="labels of the pods allowed to call the services",
    )

    @field_validator("seccomp_localhost_profile")
    @classmethod
    def _no_localhost_profile(cls, profile: str | None) -> str | None:
        # A Localhost profile must exist on the node, or the pod fails to start (Kubernetes
        # "Restrict a container's syscalls with seccomp"); the sandbox nodes install gVisor instead.
        if profile is not None:
            raise ValueError(
                "no sandbox node installs a seccomp profile, so a pod naming one could not start; the pods "
                "run under gVisor (runtimeClassName: gvisor) with RuntimeDefault; remove this key"
            )
        return profile

    @model_validator(mode="after")
    def _resolvable(self) -> LanguageServicesConfig:
        _check_order([("minReplicas", self.min_replicas, "maxReplicas", self.max_replicas)])
        self.resolved_services()  # raises with the key of the first bad service
        return self

    def resolved_services(self) -> dict[str, LanguageService]:
        """Every enabled service, catalog defaults merged with this config, checked."""
        resolved: dict[str, LanguageService] = {}
        for name in [*CATALOG, *(extra for extra in self.services if extra not in CATALOG)]:
            override = self.services.get(name, LanguageServiceConfig())
            if override.enabled:
                resolved[name] = self._resolve(name, override)
        return resolved

    def _resolve(self, name: str, override: LanguageServiceConfig) -> LanguageService:
        entry = CATALOG.get(name)
        base = entry or EXTRA_SERVICE_DEFAULTS
        image = override.image
        if image is None:
            if entry is None:
                raise KeyedValueError(
                    f"services.{name}.image",
                    f"{name!r} is not in the catalog ({', '.join(CATALOG)}); give its image",
                )
            if self.image_registry is None:
                raise KeyedValueError(
                    "imageRegistry",
                    f"set the registry that holds the catalog images (e.g. <account>.dkr.ecr.<region>.amazonaws.com/"
                    f"platform), or give services.{name}.image",
                )
            image = f"{self.image_registry}/{entry.repository}:{entry.tag}"
        service = LanguageService(
            name=name,
            title=entry.title if entry else name,
            image=image,
            min_replicas=override.min_replicas or self.min_replicas,
            max_replicas=override.max_replicas or self.max_replicas,
            cpu_request=override.cpu_request or base.cpu_request,
            cpu_limit=override.cpu_limit or base.cpu_limit,
            memory_request=override.memory_request or base.memory_request,
            memory_limit=override.memory_limit or base.memory_limit,
            tmp_size=override.tmp_size or base.tmp_size,
            architecture=base.architecture,
        )
        try:
            _check_order(
                [
                    ("minReplicas", service.min_replicas, "maxReplicas", service.max_replicas),
                    (
                        "cpuRequest",
                        float(parse_quantity(service.cpu_request)),
                        "cpuLimit",
                        float(parse_quantity(service.cpu_limit)),
                    ),
                    (
                        "memoryRequest",
                        float(parse_quantity(service.memory_request)),
                        "memoryLimit",
                        float(parse_quantity(service.memory_limit)),
                    ),
                ]
            )
        except KeyedValueError as error:
            raise KeyedValueError(f"services.{name}.{error.key}", error.message) from None
        return service


@dataclass(frozen=True)
class LanguageService:
    """One language service as it will run: catalog defaults with the stack's overrides."""

    name: str
    title: str
    image: str
    min_replicas: int
    max_replicas: int
    cpu_request: str
    cpu_limit: str
    memory_request: str
    memory_limit: str
    tmp_size: str
    architecture: str | None


def pinned_image(image: str) -> str:
    """`image` if it is pinned (see `components/images.py`); a ValueError that says why otherwise."""
    problem = image_problem(image)
    if problem is not None:
        raise ValueError(problem)
    return image


# --- observability -------------------------------------------------------------------------

# Add-ons the Observability component installs (components/observability.py); pinned per stack.
ObservabilityAddon = Literal["amazon-cloudwatch-observability", "kube-state-metrics", "prometheus-node-exporter"]
OBSERVABILITY_ADDONS: tuple[ObservabilityAddon, ...] = get_args(ObservabilityAddon)
# SNS Subscribe: the protocols a person or a pager answers (email, or an HTTPS endpoint).
NotificationProtocol = Literal["email", "https"]
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class NotificationConfig(_Model):
    """One SNS subscription of an alert topic."""

    protocol: NotificationProtocol = Field(description="email, or https for a pager's webhook")
    endpoint: str = Field(min_length=1, description="an email address, or an https:// URL (a pager's webhook)")

    @model_validator(mode="after")
    def _endpoint_fits(self) -> NotificationConfig:
        if self.protocol == "email" and not _EMAIL.fullmatch(self.endpoint):
            raise KeyedValueError("endpoint", f"{self.endpoint!r} is not an email address")
        if self.protocol == "https" and not self.endpoint.startswith("https://"):
            # SNS Subscribe: protocol https takes a URL beginning with https://.
            raise KeyedValueError("endpoint", f"{self.endpoint!r}: an https subscription needs an https:// URL")
        return self


# Traefik's request-duration histogram buckets, in seconds (set through the chart's
# `metrics.prometheus.buckets`, components/ingress.py; Traefik's default 0.1,0.3,1.2,5 has no edge
# at 0.25 or 0.5). histogram_quantile interpolates inside a bucket, so a p95 threshold is exact
# only on a bucket edge: every p95 threshold must be one of these.
LATENCY_BUCKETS_SECONDS: tuple[float, ...] = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class CriticalThresholds(_Model):
    """Page someone: the platform is failing its users."""

    error_rate_percent: float = Field(default=1.0, gt=0, lt=100, description="5xx share of requests")
    p95_latency_ms: float = Field(default=500.0, gt=0, description="95th percentile request latency")
    disk_free_percent: float = Field(default=10.0, gt=0, lt=100, description="free space on a node's root disk")
    database_connection_failures: int = Field(
        default=1, ge=1, description="failed connection attempts in 5 minutes (PostgreSQL log)"
    )


class WarningThresholds(_Model):
    """Look soon: the platform is drifting towards trouble."""

    error_rate_percent: float = Field(default=0.5, gt=0, lt=100, description="5xx share of requests")
    p95_latency_ms: float = Field(default=250.0, gt=0, description="95th percentile request latency")
    memory_percent: float = Field(default=80.0, gt=0, le=100, description="a pod's memory use of its limit")
    cpu_percent: float = Field(default=90.0, gt=0, le=100, description="a pod's CPU use of its limit")
    slow_query_seconds: float = Field(default=5.0, gt=0, description="a database statement slower than this")


class AlertThresholds(_Model):
    """Alert thresholds by severity; each warning stays below its critical."""

    critical: CriticalThresholds = Field(default_factory=CriticalThresholds)
    warning: WarningThresholds = Field(default_factory=WarningThresholds)

    @model_validator(mode="after")
    def _warning_before_critical(self) -> AlertThresholds:
        # A warning that fires after the critical alert warns nobody.
        for key in ("error_rate_percent", "p95_latency_ms"):
            warning, critical = getattr(self.warning, key), getattr(self.critical, key)
            if warning >= critical:
                raise KeyedValueError(
                    f"warning.{to_camel(key)}", f"{warning:g} is not below critical.{to_camel(key)} {critical:g}"
                )
        return self

    @model_validator(mode="after")
    def _latency_on_a_bucket_edge(self) -> AlertThresholds:
        edges = ", ".join(f"{edge * 1000:g}" for edge in LATENCY_BUCKETS_SECONDS)
        for severity in ("critical", "warning"):
            value: float = getattr(self, severity).p95_latency_ms
            if value / 1000 not in LATENCY_BUCKETS_SECONDS:
                raise KeyedValueError(
                    f"{severity}.p95LatencyMs",
                    f"{value:g} is not a latency histogram bucket edge (ms: {edges}); "
                    "p95 between edges is interpolated",
                )
        return self


class ObservabilityConfig(_Model):
    """Metrics, alerts, logs and dashboards of every region (components/observability.py)."""

    addon_versions: dict[
        ObservabilityAddon, Annotated[str, StringConstraints(pattern=r"^v\d+\.\d+\.\d+-eksbuild\.\d+$")]
    ] = Field(description="the version of each observability add-on (aws eks describe-addon-versions)")
    thresholds: AlertThresholds = Field(default_factory=AlertThresholds)
    notifications: dict[Literal["critical", "warning", "heartbeat"], list[NotificationConfig]] = Field(
        default_factory=dict,
        description="SNS subscriptions of the critical and warning topics, and of the heartbeat (a dead man's "
        "switch's HTTPS endpoint: it alerts when the Watchdog's notifications stop)",
    )
    log_retention_days: int = Field(default=30, description="searchable in CloudWatch Logs")
    archive_days: int = Field(default=365, ge=1, le=3650, description="kept in the S3 archive, then expired")
    archive_transition_days: int = Field(
        default=30, ge=0, description="days in S3 Standard before the archive moves to S3 Glacier Flexible Retrieval"
    )
    scrape_interval_seconds: int = Field(
        default=60, ge=10, le=300, description="how often the collector scrapes (alerts read 5-minute rates)"
    )

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, days: int) -> int:
        return _log_retention(days)

    @model_validator(mode="after")
    def _archive_settings(self) -> ObservabilityConfig:
        missing = [addon for addon in OBSERVABILITY_ADDONS if addon not in self.addon_versions]
        if missing:
            raise KeyedValueError("addonVersions", f"pin every observability add-on's version; missing {missing}")
        # S3 lifecycle: Glacier Flexible Retrieval bills 90 days at least; an expiry sooner than that
        # after the transition pays for days it does not keep (S3 user guide, "Constraints").
        if self.archive_transition_days + 90 > self.archive_days:
            raise KeyedValueError(
                "archiveTransitionDays",
                f"{self.archive_transition_days} leaves under 90 days in Glacier before expiry at "
                f"archiveDays {self.archive_days} (Glacier bills 90 days at least)",
            )
        if self.archive_days <= self.log_retention_days:
            raise KeyedValueError("archiveDays", f"{self.archive_days} is not longer than logRetentionDays")
        return self


# --- region and stack ----------------------------------------------------------------------


class RegionConfig(_Model):
    """Everything the platform builds in one AWS region."""

    name: str = Field(
        description="AWS region, e.g. us-east-1; one of the priced regions, eksplatform/cost/prices.py "
        "ADMITTED_REGIONS (docs/cost.md, 'What is admitted')"
    )
    primary: bool = Field(default=False, description="exactly one region writes")
    vpc: VpcConfig
    cluster: ClusterConfig
    postgres: PostgresConfig
    redis: RedisConfig
    language_services: LanguageServicesConfig = Field(description="at least its imageRegistry")

    @field_validator("name")
    @classmethod
    def _known_region(cls, name: str) -> str:
        if name not in REGION_AZ_COUNTS:
            raise ValueError(
                f"{name!r} is not a known region; use one of {sorted(ADMITTED_REGIONS)} "
                "(or add it to REGION_AZ_COUNTS in components/config.py)"
            )
        if name not in ADMITTED_REGIONS:
            # The budget gate needs a price for every resource in every region (docs/cost.md).
            raise ValueError(
                f"{name!r} has no prices in eksplatform/cost/prices.py; use one of {sorted(ADMITTED_REGIONS)}, "
                "or add the region's column to eksplatform/cost/prices.py and ADMITTED_REGIONS, and its instance "
                "prices with `python -m eksplatform.cost.offer_file`"
            )
        return name

    @model_validator(mode="after")
    def _zones_fit_region(self) -> RegionConfig:
        available = REGION_AZ_COUNTS[self.name]
        usable = eks_zone_count(self.name)
        if self.vpc.az_count > usable:
            raise KeyedValueError(
                "vpc.azCount", f"{self.vpc.az_count} zones requested but {self.name} offers {usable} that EKS accepts"
            )
        if self.vpc.cidr.overlaps(EKS_SERVICE_IPV4_CIDR):
            raise KeyedValueError(
                "vpc.cidr", f"{self.vpc.cidr} overlaps {EKS_SERVICE_IPV4_CIDR}, the clusters' Service range"
            )
        for index, zone_id in enumerate(self.vpc.availability_zone_ids or []):
            problem = zone_id_problem(self.name, zone_id)
            if problem:
                raise KeyedValueError(f"vpc.availabilityZoneIds[{index}]", problem)
        if self.vpc.nat_strategy == "none":
            # Every region has a sandbox node group, whose nodes fetch gVisor from its public release
            # bucket at first boot (components/sandbox_node.py); with no NAT that never succeeds and
            # the nodes never join (their kubelet requires runsc).
            raise KeyedValueError(
                "vpc.natStrategy",
                "none leaves the sandbox nodes no way to download gVisor (storage.googleapis.com) at boot, so "
                "they never join; use single or one-per-az",
            )
        registry = self.language_services.image_registry
        ecr = _ECR_REGISTRY.fullmatch(registry) if registry else None
        if ecr is not None and ecr["region"] != self.name:
            # Each region's nodes pull from their own region's repositories (ImageRegistry), which
            # the primary's replicate into; another region's registry would be an unreplicated copy.
            raise KeyedValueError(
                "languageServices.imageRegistry",
                f"{registry} is in {ecr['region']}; use this region's registry "
                f"({ecr['account']}.dkr.ecr.{self.name}.amazonaws.com/{ecr['path']})",
            )
        try:
            # The same plan the Vpc component makes (components/vpc.py, VpcArgs.from_config).
            plan_subnets(self.vpc.cidr, self.vpc.az_count, subnet_layouts(self.vpc.subnets), slots=available)
        except SubnetPlanError as error:
            raise KeyedValueError("vpc.subnets", str(error)) from None
        return self


class DnsConfig(_Model):
    """Public DNS of the entry points: the zone that validates their ACM certificates and names them."""

    domain: str = Field(
        pattern=r"^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$",
        description="the stack's domain: the entry is `api.<domain>`, the writer's region `primary.<domain>`",
    )
    # ACM validates the entry's certificate through public DNS, and the provider waits up to 75 min
    # for it (terraform-provider-aws internal/service/acm/certificate_validation.go): a zone nobody
    # delegated never validates. So the zone is either delegated before the stack runs
    # (`hostedZoneId`), or the stack delegates the one it makes from a parent zone in the same
    # account (`parentZoneId`, where it writes the NS record). docs/public-entry.md, "Bootstrap".
    hosted_zone_id: str | None = Field(
        default=None, pattern=r"^Z[A-Z0-9]{1,31}$", description="an existing zone of `domain`, already delegated"
    )
    parent_zone_id: str | None = Field(
        default=None,
        pattern=r"^Z[A-Z0-9]{1,31}$",
        description="a delegated parent zone in this account: the stack makes the zone and delegates it",
    )
    # Route 53 sends this path to every region's entry; the backend answers it (any host) with
    # 200 only while it can serve, so an entry whose backends are down leaves the latency records.
    health_path: str = Field(
        default="/healthz",
        pattern=r"^/[A-Za-z0-9._~/-]{0,254}$",
        description="path the backends answer on the public entry for Route 53's health checks",
    )

    @model_validator(mode="after")
    def _a_delegated_zone(self) -> DnsConfig:
        if self.hosted_zone_id is not None and self.parent_zone_id is not None:
            raise KeyedValueError(
                "parentZoneId", "set hostedZoneId or parentZoneId, not both (with hostedZoneId no zone is made)"
            )
        if self.hosted_zone_id is None and self.parent_zone_id is None:
            raise KeyedValueError(
                "hostedZoneId",
                f"set the Route 53 zone of {self.domain}, created and delegated beforehand, or parentZoneId "
                "(a delegated parent zone in this account, where the stack writes the delegation): ACM validates "
                "the certificate through public DNS, and a new zone nobody delegated never validates "
                "(docs/public-entry.md, Bootstrap)",
            )
        return self


class DeployerConfig(_Model):
    """Where deployments run: the bootstrap program's outputs (bootstrap/, `pulumi stack output --json`).

    Every key is one of the bootstrap's outputs under the same name; docs/deploying.md shows the
    one command that copies them here.
    """

    deployer_region: str = Field(description="region of the deployer VPC (bootstrap output `deployerRegion`)")
    deployer_vpc_id: str = Field(pattern=r"^vpc-[0-9a-f]{8,17}$", description="bootstrap output `deployerVpcId`")
    deployer_cidr: ipaddress.IPv4Network = Field(description="bootstrap output `deployerCidr`; overlaps no region")
    deployer_route_table_ids: list[Annotated[str, StringConstraints(pattern=r"^rtb-[0-9a-f]{8,17}$")]] = Field(
        min_length=1, description="the deployer's private route tables (bootstrap output `deployerRouteTableIds`)"
    )
    runner_role_arn: str = Field(
        pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$",
        description="IAM role the runner runs `pulumi up` as (bootstrap output `runnerRoleArn`)",
    )
    runner_project_name: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{1,254}$", description="the CodeBuild runner (bootstrap output)"
    )
    account_id: str = Field(pattern=r"^\d{12}$", description="the deployer's account (bootstrap output `accountId`)")

    @field_validator("account_id", mode="before")
    @classmethod
    def _account_id_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("deployer_region")
    @classmethod
    def _known_region(cls, name: str) -> str:
        if name not in REGION_AZ_COUNTS:
            raise ValueError(f"{name} is not a region this project knows: {', '.join(sorted(REGION_AZ_COUNTS))}")
        return name


class StackConfig(_Model):
    """The whole stack config: who owns it, what it may cost, and where it runs."""

    environment: Literal["dev", "staging", "prod"] = Field(
        description="dev, staging or prod: the rules that apply (prod is strictest); the `environment` tag"
    )
    owner: NonEmpty = Field(description="team that owns the stack; becomes the `owner` tag")
    cost_center: NonEmpty = Field(description="becomes the `cost-center` tag")
    monthly_budget: float = Field(gt=0, description="USD per month")
    allowed_account_ids: list[Annotated[str, StringConstraints(pattern=r"^\d{12}$")]] = Field(
        default_factory=list, description="the AWS providers refuse any other account"
    )
    rpo_minutes: int = Field(default=15, ge=1, le=1440, description="recovery point objective (data loss budget)")
    # Required by `_dns_for_the_entry` below (a clearer message than pydantic's "field required").
    dns: DnsConfig | None = Field(default=None, json_schema_extra={"docDefault": "required"})
    regions: list[RegionConfig] = Field(min_length=1)
    deployer: DeployerConfig | None = Field(
        default=None,
        description="where `pulumi up` runs (the bootstrap's outputs): each region is peered with it, and its "
        "runner's role administers every cluster (docs/deploying.md)",
    )
    observability: ObservabilityConfig | None = Field(
        default=None, description="metrics, alerts, logs and dashboards; required (the pack fails a stack without)"
    )
    registries_only: bool = Field(
        default=False,
        description="first deployment only: build every region's ECR repositories (and the replication) and "
        "nothing else, so images can be pushed before Deployments wait for them (docs/upgrades.md)",
    )

    unreachable_regions: list[str] = Field(
        default_factory=list,
        description="regions whose AWS API is down: their components look nothing up and their provider skips "
        'its checks, for a `pulumi up` that excludes them (docs/deploying.md, "A region is down")',
    )

    @field_validator("allowed_account_ids", mode="before")
    @classmethod
    def _account_ids_as_text(cls, ids: Any) -> Any:
        # YAML reads an unquoted 123456789012 as a number; an account id is text.
        return (
            [str(i) if isinstance(i, int) and not isinstance(i, bool) else i for i in ids]
            if isinstance(ids, list)
            else ids
        )

    @model_validator(mode="after")
    def _prod_rules(self) -> StackConfig:
        if self.environment != "prod":
            return self
        for index, region in enumerate(self.regions):
            if region.cluster.endpoint_public_access:
                raise KeyedValueError(
                    f"regions[{index}].cluster.endpointPublicAccess",
                    "prod keeps the EKS API private; run `pulumi up` from inside the VPC (or over a VPN)",
                )
            for purpose in ("cache", "queue"):
                if getattr(region.redis, purpose).replicas_per_shard < 1:
                    raise KeyedValueError(
                        f"regions[{index}].redis.{purpose}.replicasPerShard",
                        "prod needs at least 1 replica per shard for Multi-AZ failover",
                    )
            _prod_postgres(region.postgres, f"regions[{index}].postgres")
        return self

    @model_validator(mode="after")
    def _registries_in_this_account(self) -> StackConfig:
        for index, region in enumerate(self.regions):
            registry = region.language_services.image_registry
            ecr = _ECR_REGISTRY.fullmatch(registry) if registry else None
            if ecr is not None and self.allowed_account_ids and ecr["account"] not in self.allowed_account_ids:
                raise KeyedValueError(
                    f"regions[{index}].languageServices.imageRegistry",
                    f"account {ecr['account']} is not in allowedAccountIds {self.allowed_account_ids}: the stack "
                    "creates its repositories in its own account",
                )
        return self

    @model_validator(mode="after")
    def _dns_for_the_entry(self) -> StackConfig:
        # Every stack's public entry serves an ACM certificate validated in this zone.
        if self.dns is None:
            raise KeyedValueError(
                "dns", "set dns.domain: the public entry serves an ACM certificate validated in its Route 53 zone"
            )
        return self

    @model_validator(mode="after")
    def _one_global_database(self) -> StackConfig:
        # Several regions share one Aurora Global Database: Aurora everywhere, one major version.
        if len(self.regions) < 2:
            return self
        # cross_region_issues reports a missing primary; compare with the first region then.
        primary = next((region for region in self.regions if region.primary), self.regions[0]).postgres
        for index, region in enumerate(self.regions):
            if region.postgres.engine != "aurora":
                raise KeyedValueError(
                    f"regions[{index}].postgres.engine",
                    "a multi-region stack runs one Aurora Global Database; use engine: aurora in every region",
                )
            if region.postgres.major_version != primary.major_version:
                raise KeyedValueError(
                    f"regions[{index}].postgres.majorVersion",
                    f"every member of the global database runs the primary's version {primary.major_version}",
                )
            # The global cluster stores the full version AWS reports; a bare major version would
            # show a change (an upgrade call) on every preview after the first.
            if region.postgres.engine_version is None:
                raise KeyedValueError(
                    f"regions[{index}].postgres.engineVersion",
                    "a global database pins a full engine version (e.g. '17.5') in every region",
                )
            if region.postgres.engine_version != primary.engine_version:
                raise KeyedValueError(
                    f"regions[{index}].postgres.engineVersion",
                    f"every member of the global database runs the primary's {primary.engine_version!r}",
                )
        return self

    @model_validator(mode="after")
    def _global_queue_everywhere(self) -> StackConfig:
        # One Global Datastore spans every region, so each region's queue is in it or none is; and
        # a multi-region stack needs it: a regional queue loses a lost region's jobs back to its
        # last daily snapshot, far beyond the RPO.
        wanted = [region.redis.queue.global_datastore for region in self.regions]
        if len(self.regions) > MAX_GLOBAL_DATASTORE_REGIONS:
            # A Global Datastore replicates to at most two other regions; beyond that each region
            # keeps a regional queue, whose recovery point is its last snapshot.
            if any(wanted):
                index = wanted.index(True)
                raise KeyedValueError(
                    f"regions[{index}].redis.queue.globalDatastore",
                    f"a Global Datastore spans at most {MAX_GLOBAL_DATASTORE_REGIONS} regions, not "
                    f"{len(self.regions)}; keep regional queues (RPO: the last snapshot) or split the stack",
                )
            return self
        if len(self.regions) > 1 and not all(wanted):
            index = wanted.index(False)
            raise KeyedValueError(
                f"regions[{index}].redis.queue.globalDatastore",
                "a multi-region stack keeps its queue in a Global Datastore (the RPO); set globalDatastore: true "
                "in every region",
            )
        if any(wanted) and len(self.regions) < 2:
            raise KeyedValueError(
                "regions[0].redis.queue.globalDatastore", "a Global Datastore needs two or more regions"
            )
        if len(self.regions) > 1:
            _same_queue_shape(self.regions)
        return self

    @model_validator(mode="after")
    def _regions_consistent(self) -> StackConfig:
        issues = cross_region_issues(self.model_dump(mode="json", by_alias=True))
        if issues:
            raise _CrossRegionError(issues)
        return self

    @model_validator(mode="after")
    def _unreachable_regions_known(self) -> StackConfig:
        names = [region.name for region in self.regions]
        for index, name in enumerate(self.unreachable_regions):
            if name not in names:
                raise KeyedValueError(f"unreachableRegions[{index}]", f"{name} is not a region of this stack: {names}")
        if self.unreachable_regions and not self.allowed_account_ids and self.deployer is None:
            raise KeyedValueError(
                "unreachableRegions", "needs allowedAccountIds (the account its lookups would have answered)"
            )
        return self

    @model_validator(mode="after")
    def _deployer_apart(self) -> StackConfig:
        # Peered VPCs may not have overlapping IPv4 CIDRs (VPC peering guide, "VPC peering limitations").
        if self.deployer is None:
            return self
        for index, region in enumerate(self.regions):
            if self.deployer.deployer_cidr.overlaps(region.vpc.cidr):
                raise KeyedValueError(
                    "deployer.deployerCidr",
                    f"{self.deployer.deployer_cidr} overlaps regions[{index}].vpc.cidr {region.vpc.cidr}; peered VPCs "
                    "cannot overlap (use e.g. 10.250.0.0/16 for the deployer)",
                )
        if not self.deployer.runner_project_name.endswith(f"-{self.environment}"):
            # Every account's runner answers the jobs whose label names its project (CodeBuild user
            # guide, "Label overrides"): the bootstrap names it platform-deployer-<environment>.
            raise KeyedValueError(
                "deployer.runnerProjectName",
                f"{self.deployer.runner_project_name} is not this environment's runner: the bootstrap of the "
                f"{self.environment} account names it platform-deployer-{self.environment} (any name ending "
                f"-{self.environment})",
            )
        if self.allowed_account_ids and self.deployer.account_id not in self.allowed_account_ids:
            raise KeyedValueError(
                "deployer.accountId",
                f"{self.deployer.account_id} is not in allowedAccountIds {self.allowed_account_ids}: the bootstrap "
                "is deployed once per account, in the stack's own",
            )
        return self

    @property
    def primary_region(self) -> RegionConfig:
        return next(region for region in self.regions if region.primary)

    @property
    def tags(self) -> dict[str, str]:
        """Tags every AWS resource carries (through the providers' default tags)."""
        return {
            "environment": self.environment,
            "owner": self.owner,
            "cost-center": self.cost_center,
            "managed-by": "pulumi",
        }


# ElastiCache Global Datastore "Prerequisites and limitations": a primary replicates to a
# secondary cluster in up to two other AWS Regions.
MAX_GLOBAL_DATASTORE_REGIONS = 3

# What every member of a Global Datastore shares (ElastiCache user guide, Global Datastore
# "Prerequisites and limitations": same node type, engine version, number of shards).
_GLOBAL_QUEUE_SHAPE = {
    "engine": "engine",
    "resolved_engine_version": "engineVersion",
    "node_type": "nodeType",
    "cluster_mode": "clusterMode",
    "shards": "shards",
}


def _same_queue_shape(regions: list[RegionConfig]) -> None:
    primary = next((region for region in regions if region.primary), regions[0]).redis.queue
    for index, region in enumerate(regions):
        for attribute, key in _GLOBAL_QUEUE_SHAPE.items():
            if getattr(region.redis.queue, attribute) != getattr(primary, attribute):
                raise KeyedValueError(
                    f"regions[{index}].redis.queue.{key}",
                    f"every member of the queue's Global Datastore has the primary's {key} "
                    f"({getattr(primary, attribute)!r})",
                )


# Prod keeps a month of backups (the requirements) and a second copy of every database in-region.
PROD_MIN_BACKUP_RETENTION_DAYS = 30


def _prod_postgres(postgres: PostgresConfig, path: str) -> None:
    if postgres.backup_retention_days < PROD_MIN_BACKUP_RETENTION_DAYS:
        raise KeyedValueError(
            f"{path}.backupRetentionDays", f"prod keeps backups for at least {PROD_MIN_BACKUP_RETENTION_DAYS} days"
        )
    if postgres.deletion_protection is False:
        raise KeyedValueError(f"{path}.deletionProtection", "prod databases keep deletion protection on")
    if postgres.engine == "aurora" and postgres.readers < 1:
        raise KeyedValueError(f"{path}.readers", "prod needs at least 1 reader in another zone to fail over to")
    if postgres.engine == "rds" and not postgres.multi_az:
        raise KeyedValueError(f"{path}.multiAz", "prod needs multiAz: true (a standby to fail over to)")


class _CrossRegionError(ValueError):
    """Raised by StackConfig's own check; `parse_stack_config` reports these issues itself."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        super().__init__("; ".join(str(issue) for issue in issues))
        self.issues = issues


def cross_region_issues(data: Any) -> list[ConfigIssue]:
    """Checks across regions, on raw data so they run even when other keys are invalid.

    A region appears once; exactly one is primary; VPC CIDRs do not overlap. Entries that are
    not yet well-formed are skipped here: field validation reports them.
    """
    regions = data.get("regions") if isinstance(data, Mapping) else None
    if not isinstance(regions, list):
        return []
    issues: list[ConfigIssue] = []
    first_seen: dict[str, int] = {}
    primaries: list[int] = []
    networks: list[tuple[int, ipaddress.IPv4Network]] = []
    for index, region in enumerate(regions):
        if not isinstance(region, Mapping):
            continue
        name = region.get("name")
        if isinstance(name, str):
            if name in first_seen:
                issues.append(
                    ConfigIssue(
                        path=f"regions[{index}].name",
                        message=f"{name} appears again (first at regions[{first_seen[name]}].name); "
                        "a region appears once",
                    )
                )
            else:
                first_seen[name] = index
        if region.get("primary") is True:
            primaries.append(index)
        vpc = region.get("vpc")
        if isinstance(vpc, Mapping):
            with contextlib.suppress(ValueError):
                networks.append((index, ipaddress.IPv4Network(str(vpc.get("cidr")))))
    if regions and not primaries:
        issues.append(ConfigIssue(path="regions", message="no region sets primary: true; exactly one must"))
    for index in primaries[1:]:
        issues.append(
            ConfigIssue(
                path=f"regions[{index}].primary",
                message=f"regions[{primaries[0]}] is already primary; exactly one region may be",
            )
        )
    for position, (index, network) in enumerate(networks):
        for other_index, other in networks[:position]:
            if network.overlaps(other):
                issues.append(
                    ConfigIssue(
                        path=f"regions[{index}].vpc.cidr",
                        message=f"{network} overlaps regions[{other_index}].vpc.cidr {other}",
                    )
                )
    return issues


# --- reading and reporting -----------------------------------------------------------------


def _format_path(location: tuple[str | int, ...]) -> str:
    path = ""
    for part in location:
        if part == "[key]":  # pydantic's marker for "the key itself", already named by the path
            continue
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path


def _issues_from(error: ValidationError) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    for detail in error.errors(include_url=False):
        cause = (detail.get("ctx") or {}).get("error")
        if isinstance(cause, _CrossRegionError):
            continue  # parse_stack_config reports these from the raw data
        location = tuple(detail["loc"])
        message = detail["msg"]
        if isinstance(cause, KeyedValueError):
            location = location + tuple(_split_key(cause.key))
            message = cause.message
        elif detail["type"] == "extra_forbidden":
            message = "unknown key (check its spelling; keys are camelCase)"
        elif detail["type"] == "value_error":
            message = message.removeprefix("Value error, ")
        elif detail["type"] != "missing" and not isinstance(detail.get("input"), (dict, list)):
            message = f"{message} (got {detail.get('input')!r})"
        issues.append(ConfigIssue(path=_format_path(location), message=message))
    return issues


def _split_key(key: str) -> list[str | int]:
    """'vpc.availabilityZoneIds[1]' -> ['vpc', 'availabilityZoneIds', 1]."""
    parts: list[str | int] = []
    for piece in key.split("."):
        name, *indexes = piece.split("[")
        if name:  # a key may start with an index: "[0]" within a list field
            parts.append(name)
        parts.extend(int(index.rstrip("]")) for index in indexes)
    return parts


def parse_stack_config(data: Mapping[str, Any], source: str = "stack config") -> StackConfig:
    """Validate the namespace's keys (without the `platform:` prefix) into a StackConfig."""
    issues = cross_region_issues(data)
    try:
        config = StackConfig.model_validate(dict(data))
    except ValidationError as error:
        issues = _issues_from(error) + issues
    else:
        if not issues:
            return config
    raise ConfigError(issues, source)


def _namespace_values(raw: Mapping[str, Any], namespace: str) -> dict[str, Any]:
    """Keys of one config namespace, prefix removed; secure values become a marked placeholder."""
    values: dict[str, Any] = {}
    for key, value in raw.items():
        prefix, _, name = str(key).partition(":")
        if prefix != namespace or not name:
            continue
        if isinstance(value, Mapping) and set(value) == {"secure"}:
            value = SECRET_PLACEHOLDER
        values[name] = value
    return values


SECRET_PLACEHOLDER = "[secret: encrypted in the stack file]"


class _StrictLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping (as the Pulumi CLI does)."""


def _mapping_without_duplicates(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        line = key_node.start_mark.line + 1
        if key in seen:
            raise ConfigError(
                [ConfigIssue(path="", message=f"line {line}: duplicate key {key!r} (first at line {seen[key]})")],
                loader.name,
            )
        seen[key] = line
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)

# Namespaces a platform stack file may hold: its own, and the providers' and the engine's.
KNOWN_NAMESPACES = (CONFIG_NAMESPACE, "aws", "kubernetes", "random", "pulumi")


def read_stack_file(path: Path | str) -> dict[str, Any]:
    """The `config:` mapping of a `Pulumi.<stack>.yaml`, every namespace, as written.

    Syntax errors, tabs and duplicate keys are a ConfigError naming the line; a key in a namespace
    one letter off a known one (`plaform:costCenter`) is named instead of silently ignored.
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError([ConfigIssue(path="", message=f"cannot read the file: {error.strerror}")], source) from None
    loader = _StrictLoader(text)
    loader.name = source
    try:
        document = loader.get_single_data() or {}
    except yaml.MarkedYAMLError as error:
        raise ConfigError([ConfigIssue(path="", message=_yaml_problem(error))], source) from None
    except yaml.YAMLError as error:
        raise ConfigError([ConfigIssue(path="", message=f"not valid YAML: {error}")], source) from None
    finally:
        loader.dispose()
    if not isinstance(document, Mapping):
        raise ConfigError([ConfigIssue(path="", message="the file is not a YAML mapping")], source)
    config = document.get("config") or {}
    if not isinstance(config, Mapping):
        raise ConfigError([ConfigIssue(path="config", message="must be a mapping of keys")], source)
    issues = [issue for key in config if (issue := _misspelled_namespace(str(key)))]
    if issues:
        raise ConfigError(issues, source)
    return dict(config)


def _yaml_problem(error: yaml.MarkedYAMLError) -> str:
    mark = error.problem_mark or error.context_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    problem = error.problem or error.context or "not valid YAML"
    if "'\\t'" in problem:
        problem += " (YAML does not allow tabs for indentation; use spaces)"
    return f"{where}{problem}"


def _misspelled_namespace(key: str) -> ConfigIssue | None:
    namespace, separator, name = key.partition(":")
    if not separator or namespace in KNOWN_NAMESPACES:
        return None
    close = difflib.get_close_matches(namespace, KNOWN_NAMESPACES, n=1, cutoff=0.75)
    if not close:
        return None  # another program's namespace, which the engine passes through
    return ConfigIssue(path=key, message=f"unknown namespace {namespace!r}; did you mean '{close[0]}:{name}'?")


def load_stack_file(path: Path | str) -> StackConfig:
    """Read and validate a `Pulumi.<stack>.yaml` without the Pulumi CLI."""
    raw = read_stack_file(path)
    return parse_stack_config(_namespace_values(raw, CONFIG_NAMESPACE), str(path))


def pulumi_config_map(raw: Mapping[str, Any]) -> dict[str, str]:
    """A stack file's config as the engine hands it to a program: values as strings, objects as JSON."""
    flat: dict[str, str] = {}
    for key, value in raw.items():
        if isinstance(value, Mapping) and set(value) == {"secure"}:
            value = SECRET_PLACEHOLDER
        if isinstance(value, str):
            flat[str(key)] = value
        elif isinstance(value, bool):
            flat[str(key)] = "true" if value else "false"
        else:
            flat[str(key)] = json.dumps(value)
    return flat


def stack_config_from_pulumi(project_dir: Path | None = None) -> StackConfig:
    """Read the `platform:` namespace of the running program's config.

    `pulumi.Config` cannot list its keys, and unknown keys must be rejected, so this reads the
    whole config map the engine passed in (PULUMI_CONFIG, or `set_all_config` under mocks).
    With `project_dir`, a copy of a stack is checked against its environment's stack file there
    (`copy_issues`).
    """
    raw = all_config()
    values = {key: _decode(value) for key, value in _namespace_values(raw, CONFIG_NAMESPACE).items()}
    source = f"config of stack {pulumi.get_stack()}"
    config = parse_stack_config(values, source)
    if project_dir is not None:
        issues = copy_issues(config, pulumi.get_stack(), project_dir)
        if issues:
            raise ConfigError(issues, source)
    return config


def copy_issues(config: StackConfig, stack: str, project_dir: Path) -> list[ConfigIssue]:
    """What a copy of a stack (a stack not named after its environment, docs/naming.md) may not
    share with its environment's own stack, read from `Pulumi.<environment>.yaml` in `project_dir`:

    - its VPC CIDRs: the deployer network routes each region's CIDR to one peering (a route per
      route table and destination, components/deployer.py), so an overlapping copy collides there;
    - a region the environment's stack lacks: a copy creates no repositories and pulls from the
      environment's, which exist only in that stack's regions.

    Nothing to check for the environment's own stack, without that file, in another account, or
    when that file is itself invalid (its own run reports that).
    """
    own_file = project_dir / f"Pulumi.{config.environment}.yaml"
    if stack == config.environment or not own_file.is_file():
        return []
    try:
        owner = load_stack_file(own_file)
    except ConfigError:
        return []
    accounts, owner_accounts = set(config.allowed_account_ids), set(owner.allowed_account_ids)
    if accounts and owner_accounts and not accounts & owner_accounts:
        return []  # another account: nothing is shared
    issues: list[ConfigIssue] = []
    owner_regions = {region.name: region for region in owner.regions}
    for index, region in enumerate(config.regions):
        for other in owner.regions:
            if region.vpc.cidr.overlaps(other.vpc.cidr):
                issues.append(
                    ConfigIssue(
                        path=f"regions[{index}].vpc.cidr",
                        message=f"{region.vpc.cidr} overlaps {other.vpc.cidr} of stack {config.environment!r} "
                        f"({own_file.name}, {other.name}); a copy of a stack needs CIDRs of its own: the deployer "
                        "network routes each CIDR to one peering (docs/naming.md)",
                    )
                )
                break
        if region.name not in owner_regions:
            issues.append(
                ConfigIssue(
                    path=f"regions[{index}].name",
                    message=f"stack {config.environment!r} ({own_file.name}) has no region {region.name}: a copy "
                    "pulls its images from the environment's repositories in its own region and creates none "
                    "(docs/naming.md)",
                )
            )
    return issues


def _decode(value: Any) -> Any:
    """Engine config values are strings; objects and arrays arrive as JSON text."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value

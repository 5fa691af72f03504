"""AWS and EKS facts the components need: regions and zones, EKS versions and their support
calendar, add-on names, engine versions, limits. Plain data and small helpers; no stack config
(eksplatform/stack) and no Pulumi resources, so any layer may import it."""

from __future__ import annotations

import ipaddress
import re
from typing import Literal, get_args

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


# An ECR registry address: <account>.dkr.ecr.<region>.amazonaws.com/<path>.
ECR_REGISTRY = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<path>.+)$")


# An AWS region name (us-east-1, ap-southeast-2, us-gov-west-1).
AWS_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")


def region_name_problem(region: str) -> str | None:
    """Why `region` is not an AWS region name, or None; the caller names the field."""
    return None if AWS_REGION.fullmatch(region) else f"{region!r} is not an AWS region name (us-east-1)"


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


def log_retention_problem(days: int) -> str | None:
    """Why `days` is not a CloudWatch retention period, or None when it is one."""
    if days not in LOG_RETENTION_DAYS:
        return f"{days} is not a CloudWatch retention period; use one of {LOG_RETENTION_DAYS}"
    return None


# Engine versions ElastiCache offers per engine, and the default for new clusters.
REDIS_ENGINE_VERSIONS: dict[str, tuple[str, ...]] = {"valkey": ("7.2", "8.0", "8.1"), "redis": ("7.0", "7.1")}
REDIS_DEFAULT_ENGINE_VERSION = {"valkey": "8.0", "redis": "7.1"}
# ElastiCache's limit on nodes (shards x (1 + replicas)) in one cluster-mode replication group.
REDIS_MAX_NODES = 500

# Add-ons the Observability component installs (components/observability.py); pinned per stack.
ObservabilityAddon = Literal["amazon-cloudwatch-observability", "kube-state-metrics", "prometheus-node-exporter"]
OBSERVABILITY_ADDONS: tuple[ObservabilityAddon, ...] = get_args(ObservabilityAddon)
# SNS Subscribe: the protocols a person or a pager answers (email, or an HTTPS endpoint).
NotificationProtocol = Literal["email", "https"]


# Traefik's request-duration histogram buckets, in seconds (set through the chart's
# `metrics.prometheus.buckets`, components/ingress.py; Traefik's default 0.1,0.3,1.2,5 has no edge
# at 0.25 or 0.5). histogram_quantile interpolates inside a bucket, so a p95 threshold is exact
# only on a bucket edge: every p95 threshold must be one of these.
LATENCY_BUCKETS_SECONDS: tuple[float, ...] = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

# ElastiCache Global Datastore "Prerequisites and limitations": a primary replicates to a
# secondary cluster in up to two other AWS Regions.
MAX_GLOBAL_DATASTORE_REGIONS = 3

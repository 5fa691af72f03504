"""The one price table: preflight's cost report and the pack's budget policy both read it.

Prices are AWS's public on-demand list prices in USD, Linux, no Savings Plans or Reserved
Instances, no free tier unless a row says so. Every row names its source and the date it was read.
The table has two parts that `price()` reads as one:

- the rows below, entered by hand from AWS's pricing pages (no machine of this project reaches
  AWS's pricing API): check a row against its page before committing real money to a figure, and
  change its `read` date when you do;
- `eksplatform/cost/offer_prices.json`, written by `python -m eksplatform.cost.offer_file` from AWS Price List
  offer files (`offers/v1.0/aws/<service>/current/<region>/index.json`) that someone downloaded; each of its
  rows names the offer file and its publication date. Where both have a price, the offer file's
  wins. The downloaded files are never committed.

A value the table lacks has no price: nothing is derived from another region. The config and the
policy allowlists admit only what is priced (`ADMITTED_REGIONS`, `priced_everywhere`), so
`eksplatform/preflight/coverage.py` has no gaps to list; `python -m eksplatform.cost.offer_file` is how the set grows.

What a price cannot know (traffic, log volume, storage growth) is an `Assumption`, listed below
the prices and shown in every report that uses it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

REGIONS = ("us-east-1", "eu-west-1", "ap-southeast-1")
ADMITTED_REGIONS = REGIONS
"""The regions a stack may use: the ones every service row below prices. To add one, add its column
to the rows (and its instance prices with `python -m eksplatform.cost.offer_file`)."""
HOW_TO_ADD_A_PRICE = (
    "add its price with `python -m eksplatform.cost.offer_file` from AWS's offer file for each region "
    "(docs/cost.md, 'The price table')"
)
ANY_REGION = "*"  # a global service (Route 53) or a price that is the same everywhere
READ = "2026-11-23"

_EC2 = "https://aws.amazon.com/ec2/pricing/on-demand/"
_EBS = "https://aws.amazon.com/ebs/pricing/"
_VPC = "https://aws.amazon.com/vpc/pricing/"
_PRIVATELINK = "https://aws.amazon.com/privatelink/pricing/"
_ELB = "https://aws.amazon.com/elasticloadbalancing/pricing/"
_EKS = "https://aws.amazon.com/eks/pricing/"
_RDS = "https://aws.amazon.com/rds/postgresql/pricing/"
_AURORA = "https://aws.amazon.com/rds/aurora/pricing/"
_PROXY = "https://aws.amazon.com/rds/proxy/pricing/"
_ELASTICACHE = "https://aws.amazon.com/elasticache/pricing/"
_KMS = "https://aws.amazon.com/kms/pricing/"
_SECRETS = "https://aws.amazon.com/secrets-manager/pricing/"
_CLOUDWATCH = "https://aws.amazon.com/cloudwatch/pricing/"
_ROUTE53 = "https://aws.amazon.com/route53/pricing/"
_TRANSFER = "https://aws.amazon.com/ec2/pricing/on-demand/#Data_Transfer"
_ECR = "https://aws.amazon.com/ecr/pricing/"


@dataclass(frozen=True)
class Price:
    usd: float
    unit: str
    source: str
    read: str


@dataclass(frozen=True)
class _Row:
    item: str
    unit: str
    usd: dict[str, float]  # region (or ANY_REGION) -> USD per unit
    source: str
    read: str = READ


def _regional(us_east_1: float, eu_west_1: float, ap_southeast_1: float) -> dict[str, float]:
    return dict(zip(REGIONS, (us_east_1, eu_west_1, ap_southeast_1), strict=True))


def _everywhere(usd: float) -> dict[str, float]:
    return {ANY_REGION: usd}


_ROWS: tuple[_Row, ...] = (
    # --- EKS and EC2 -------------------------------------------------------------------------
    _Row("eks.cluster", "cluster-hour", _everywhere(0.10), _EKS),
    # A version past its end of standard support, with supportType EXTENDED, bills $0.60 instead.
    _Row("eks.cluster.extended-support", "cluster-hour", _everywhere(0.60), _EKS, "2026-11-28"),
    _Row("ec2.t3.medium", "instance-hour", _regional(0.0416, 0.0456, 0.0528), _EC2),
    _Row("ec2.t3a.medium", "instance-hour", _regional(0.0376, 0.0408, 0.0472), _EC2),
    _Row("ec2.t3.xlarge", "instance-hour", _regional(0.1664, 0.1824, 0.2112), _EC2),
    _Row("ec2.t3a.xlarge", "instance-hour", _regional(0.1504, 0.1632, 0.1888), _EC2),
    _Row("ec2.t4g.medium", "instance-hour", _regional(0.0336, 0.0368, 0.0424), _EC2),
    _Row("ec2.m6i.large", "instance-hour", _regional(0.096, 0.107, 0.120), _EC2),
    _Row("ec2.m6i.xlarge", "instance-hour", _regional(0.192, 0.214, 0.240), _EC2),
    _Row("ec2.m7i.large", "instance-hour", _regional(0.1008, 0.1124, 0.1260), _EC2),
    _Row("ec2.m7i.xlarge", "instance-hour", _regional(0.2016, 0.2248, 0.2520), _EC2),
    _Row("ec2.m7g.large", "instance-hour", _regional(0.0816, 0.0910, 0.1020), _EC2),
    _Row("ec2.m7g.xlarge", "instance-hour", _regional(0.1632, 0.1820, 0.2040), _EC2),
    _Row("ebs.gp3", "GB-month", _regional(0.08, 0.088, 0.096), _EBS),
    # --- networking --------------------------------------------------------------------------
    _Row("vpc.nat-gateway", "gateway-hour", _regional(0.045, 0.048, 0.059), _VPC),
    _Row("vpc.nat-gateway.data", "GB processed", _regional(0.045, 0.048, 0.059), _VPC),
    # Every public IPv4 address, attached or not, an Elastic IP or a load balancer's own, since 2024-02.
    _Row("vpc.public-ipv4", "address-hour", _everywhere(0.005), _VPC),
    _Row("vpc.interface-endpoint", "endpoint-AZ-hour", _regional(0.01, 0.011, 0.013), _PRIVATELINK),
    # Data processed by an interface endpoint: $0.01 per GB for the first PB a month in each region.
    _Row("vpc.interface-endpoint.data", "GB processed", _everywhere(0.01), _PRIVATELINK, "2026-11-29"),
    _Row("elb.nlb", "load-balancer-hour", _regional(0.0225, 0.0252, 0.0252), _ELB),
    _Row("elb.nlb.lcu", "NLCU-hour", _regional(0.006, 0.006, 0.006), _ELB),
    _Row("transfer.inter-region", "GB out of the region", _regional(0.02, 0.02, 0.09), _TRANSFER),
    # The first 10 TB a month out to the internet (the first 100 GB across all of AWS is free, ignored).
    _Row("transfer.internet", "GB out to the internet", _regional(0.09, 0.09, 0.12), _TRANSFER, "2026-11-28"),
    # Between AZs of one region: $0.01 per GB in each direction, so a GB that crosses costs $0.02.
    _Row("transfer.cross-az", "GB crossing AZs (both directions)", _everywhere(0.02), _TRANSFER, "2026-11-28"),
    # --- RDS for PostgreSQL (Single-AZ; Multi-AZ is twice) ---------------------------------------
    _Row("rds.postgres.db.t4g.micro", "instance-hour", _regional(0.016, 0.017, 0.025), _RDS),
    _Row("rds.postgres.db.t4g.small", "instance-hour", _regional(0.032, 0.034, 0.049), _RDS),
    _Row("rds.postgres.db.t4g.medium", "instance-hour", _regional(0.065, 0.068, 0.097), _RDS),
    # db.r7g.large is not priced: its earlier row carried Aurora's price (0.276), and RDS's own was
    # not re-read; it stays a listed gap (eksplatform/preflight/coverage.py) until an offer file or the page gives it.
    _Row("rds.storage.gp3", "GB-month", _regional(0.115, 0.127, 0.138), _RDS),
    # --- Aurora PostgreSQL (Aurora Standard) --------------------------------------------------
    _Row("aurora.postgres.db.t4g.medium", "instance-hour", _regional(0.073, 0.080, 0.094), _AURORA),
    _Row("aurora.postgres.db.t4g.large", "instance-hour", _regional(0.146, 0.161, 0.188), _AURORA),
    _Row("aurora.postgres.db.r7g.large", "instance-hour", _regional(0.276, 0.306, 0.333), _AURORA),
    _Row("aurora.postgres.db.r7g.xlarge", "instance-hour", _regional(0.552, 0.612, 0.666), _AURORA),
    _Row("aurora.postgres.db.r7g.2xlarge", "instance-hour", _regional(1.104, 1.224, 1.332), _AURORA),
    _Row("aurora.storage", "GB-month", _regional(0.10, 0.11, 0.12), _AURORA),
    _Row("aurora.io", "million requests", _regional(0.20, 0.22, 0.24), _AURORA),
    # A Global Database bills each secondary region for the write I/Os replicated into it, at the
    # region's I/O rate.
    _Row("aurora.replicated-write-io", "million requests", _regional(0.20, 0.22, 0.24), _AURORA, "2026-11-28"),
    _Row("rds.proxy", "vCPU-hour", _regional(0.015, 0.0165, 0.018), _PROXY),
    # Performance Insights keeps 7 days for free; longer retention has no row (so no price).
    _Row("rds.performance-insights.7-days", "instance-month", _everywhere(0.0), _RDS),
    # --- ElastiCache for Valkey (node-based; Valkey nodes list 20 % below Redis OSS) -------------
    _Row("elasticache.valkey.cache.t4g.micro", "node-hour", _regional(0.0128, 0.0136, 0.0192), _ELASTICACHE),
    _Row("elasticache.valkey.cache.t4g.small", "node-hour", _regional(0.0256, 0.0272, 0.0384), _ELASTICACHE),
    _Row("elasticache.valkey.cache.t4g.medium", "node-hour", _regional(0.0520, 0.0544, 0.0768), _ELASTICACHE),
    _Row("elasticache.valkey.cache.m7g.large", "node-hour", _regional(0.1264, 0.1400, 0.1624), _ELASTICACHE),
    _Row("elasticache.valkey.cache.m7g.xlarge", "node-hour", _regional(0.2528, 0.2800, 0.3248), _ELASTICACHE),
    _Row("elasticache.valkey.cache.r7g.large", "node-hour", _regional(0.1752, 0.1944, 0.2120), _ELASTICACHE),
    # Snapshots held in S3 bill per GB-month; the page lists one rate for all regions. No snapshot is
    # counted free (a free snapshot per cluster could not be confirmed on a reachable page): this
    # overstates a stack by at most one snapshot per replication group.
    _Row("elasticache.snapshot-storage", "GB-month", _everywhere(0.085), _ELASTICACHE, "2026-11-29"),
    # --- container images (basic scan on push is free; replication pays inter-region transfer) ---
    _Row("ecr.storage", "GB-month", _everywhere(0.10), _ECR, "2026-11-28"),
    # --- keys, secrets, logs, alarms ------------------------------------------------------------
    _Row("kms.key", "key-month", _everywhere(1.00), _KMS),
    # Each automatic rotation adds $1/month for the first and second rotation; later ones are free
    # (KMS pricing, rotation charges capped since 2024-04).
    _Row("kms.key.rotation", "rotation-month", _everywhere(1.00), _KMS, "2026-11-28"),
    _Row("secretsmanager.secret", "secret-month", _everywhere(0.40), _SECRETS),
    _Row("logs.ingestion", "GB ingested", _regional(0.50, 0.57, 0.67), _CLOUDWATCH),
    _Row("logs.storage", "GB-month stored", _regional(0.03, 0.03, 0.033), _CLOUDWATCH, "2026-11-28"),
    _Row("cloudwatch.alarm", "alarm-month", _everywhere(0.10), _CLOUDWATCH),
    # --- Route 53 (global) ----------------------------------------------------------------------
    _Row("route53.zone", "zone-month", _everywhere(0.50), _ROUTE53),
    _Row("route53.health-check", "AWS-endpoint check-month", _everywhere(0.50), _ROUTE53),
    _Row("route53.health-check.feature", "optional feature-month", _everywhere(1.00), _ROUTE53),
    _Row("route53.standard-queries", "million queries", _everywhere(0.40), _ROUTE53, "2026-11-29"),
    _Row("route53.latency-queries", "million queries", _everywhere(0.60), _ROUTE53),
)

# Aurora I/O-Optimized: the Aurora pricing page lists each class 30 % above its Aurora Standard price
# and storage at 2.25 times Standard's, with no I/O charges; the rows follow that rule per region.
IO_OPTIMIZED_INSTANCE_FACTOR = 1.3
IO_OPTIMIZED_STORAGE_FACTOR = 2.25
_IO_OPTIMIZED_SOURCE = _AURORA + " (I/O-Optimized: instances 1.3 x, storage 2.25 x Aurora Standard)"


def _io_optimized(rows: tuple[_Row, ...]) -> tuple[_Row, ...]:
    derived = []
    for row in rows:
        if row.item.startswith("aurora.postgres."):
            factor, item = IO_OPTIMIZED_INSTANCE_FACTOR, "aurora-iopt." + row.item.removeprefix("aurora.")
        elif row.item == "aurora.storage":
            factor, item = IO_OPTIMIZED_STORAGE_FACTOR, "aurora-iopt.storage"
        else:
            continue
        usd = {region: round(value * factor, 4) for region, value in row.usd.items()}
        derived.append(_Row(item, row.unit, usd, _IO_OPTIMIZED_SOURCE, row.read))
    return tuple(derived)


# ElastiCache for Redis OSS (node-based): no Redis OSS row was read from the pricing page; each is
# derived from the Valkey row of the same node type, because the page lists Valkey nodes 20 % below
# Redis OSS (Redis OSS = Valkey / 0.8 = Valkey x 1.25). An offer-file row replaces it.
REDIS_OSS_FACTOR = 1.25
_REDIS_OSS_SOURCE = "derived: Valkey is 20 % below Redis OSS (AWS ElastiCache pricing, " + _ELASTICACHE + ")"
REDIS_OSS_DERIVED = "2026-11-28"


def _redis_oss(rows: tuple[_Row, ...]) -> tuple[_Row, ...]:
    return tuple(
        _Row(
            "elasticache.redis." + row.item.removeprefix("elasticache.valkey."),
            row.unit,
            {region: round(value * REDIS_OSS_FACTOR, 4) for region, value in row.usd.items()},
            _REDIS_OSS_SOURCE,
            REDIS_OSS_DERIVED,
        )
        for row in rows
        if row.item.startswith("elasticache.valkey.")
    )


_ROWS = _ROWS + _io_optimized(_ROWS) + _redis_oss(_ROWS)
_BY_ITEM = {row.item: row for row in _ROWS}
assert len(_BY_ITEM) == len(_ROWS), "one row per item"

OFFER_PRICES = Path(__file__).resolve().parent / "offer_prices.json"
"""Rows that `python -m eksplatform.cost.offer_file` wrote from downloaded Price List offer files."""


@dataclass(frozen=True)
class OfferRow:
    item: str
    unit: str
    region: str
    usd: float
    source: str
    read: str


def load_offer_rows(path: Path = OFFER_PRICES) -> dict[tuple[str, str], OfferRow]:
    """The offer file rows by (item, region); none when the file was never generated."""
    if not path.is_file():
        return {}
    found: dict[tuple[str, str], OfferRow] = {}
    for entry in json.loads(path.read_text()):
        row = OfferRow(**entry)
        if (row.item, row.region) in found:
            raise ValueError(f"{path}: two rows for {row.item} in {row.region}")
        found[(row.item, row.region)] = row
    return found


_OFFER_ROWS = load_offer_rows()


def price(item: str, region: str) -> Price | None:
    """The price of `item` in `region`, or None when the table has none."""
    offer = _OFFER_ROWS.get((item, region))
    if offer is not None:
        return Price(usd=offer.usd, unit=offer.unit, source=offer.source, read=offer.read)
    row = _BY_ITEM.get(item)
    if row is None:
        return None
    usd = row.usd.get(region, row.usd.get(ANY_REGION))
    return None if usd is None else Price(usd=usd, unit=row.unit, source=row.source, read=row.read)


def priced_everywhere(item: str) -> bool:
    """Whether `item` has a price in every admitted region: what the config and allowlists admit."""
    return all(price(item, region) is not None for region in ADMITTED_REGIONS)


def rows() -> tuple[tuple[str, str, dict[str, float], str, str], ...]:
    """Every hand-entered row as (item, unit, USD by region, source, read), for reports and docs."""
    return tuple((row.item, row.unit, dict(row.usd), row.source, row.read) for row in _ROWS)


# --- assumptions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Assumption:
    value: float
    unit: str
    text: str


HOURS_PER_MONTH = 730.0  # AWS's own convention: 365 × 24 / 12

ASSUMPTIONS: dict[str, Assumption] = {
    "hours-per-month": Assumption(HOURS_PER_MONTH, "hours", "a month is 730 hours, as AWS's calculator counts it"),
    "spot-price-factor": Assumption(
        0.35,
        "× on-demand",
        "SPOT capacity costs 35 % of the on-demand price (a 65 % discount); the real spot price moves by AZ and hour",
    ),
    "node-group-first-type": Assumption(
        1, "type", "a node group with several instance types is priced at its first (preferred) type"
    ),
    "node-disk-gb": Assumption(20, "GB", "a node's root volume is 20 GB gp3 when its launch template does not say"),
    "nat-gb-per-gateway": Assumption(100, "GB per month", "each NAT gateway processes 100 GB a month"),
    "nat-internet-egress-gb": Assumption(
        10,
        "GB per month",
        "of what each NAT gateway processes, 10 GB a month leaves for the internet (requests to outside APIs; "
        "downloads come in, and data in is free), billed as data transfer out",
    ),
    "endpoint-gb": Assumption(
        5,
        "GB per month",
        "each interface endpoint processes 5 GB a month (API calls, logs and image manifests; image layers come "
        "through the free S3 gateway endpoint)",
    ),
    "internet-egress-gb": Assumption(
        50,
        "GB per month",
        "each public NLB sends 50 GB a month out to the internet (answers to code submissions are small)",
    ),
    "cross-az-gb": Assumption(
        100,
        "GB per month",
        "each node group moves 100 GB a month between AZs (pods calling services, the databases and caches in "
        "other AZs)",
    ),
    "nlb-lcu": Assumption(1, "NLCU", "each NLB uses one NLCU on average"),
    "log-gb-per-group": Assumption(
        2, "GB per month", "a log group with no known source (or one source of a kind not below) ingests 2 GB a month"
    ),
    "log-gb-per-eks-log-type": Assumption(
        1,
        "GB per month",
        "each EKS control-plane log type enabled (api, audit, authenticator, controllerManager, scheduler) sends "
        "1 GB a month to the cluster's log group",
    ),
    "log-gb-per-database-log": Assumption(
        2, "GB per month", "each exported PostgreSQL log type sends 2 GB a month to its log group"
    ),
    "log-gb-per-cache-log": Assumption(
        0.5, "GB per month", "each ElastiCache slow-log or engine-log delivery sends 0.5 GB a month"
    ),
    "log-gb-per-flow-log": Assumption(5, "GB per month", "each VPC flow log (all traffic) sends 5 GB a month"),
    "log-months-never-expire": Assumption(
        12,
        "months",
        "a log group that never expires is priced as if it held 12 months; with a retention of N days it holds "
        "N / 30.4 months of its monthly ingestion (stored as ingested, no compression credit)",
    ),
    "aurora-storage-gb": Assumption(50, "GB", "each Aurora cluster stores 50 GB (a global database, in every region)"),
    "aurora-io-millions": Assumption(
        50, "million requests per month", "each Aurora cluster makes 50 million I/Os a month"
    ),
    "aurora-write-share": Assumption(
        0.5,
        "of the I/Os",
        "half of the primary's I/Os are writes, which a Global Database replicates (and bills) into each "
        "secondary region",
    ),
    "replication-gb": Assumption(
        50, "GB per month", "a global database ships 50 GB a month from the primary to each secondary region"
    ),
    "queue-replication-gb": Assumption(
        20,
        "GB per month",
        "the queue's Global Datastore ships 20 GB a month to each secondary region; its recovery point is the "
        "replication lag (typically under a second), alarmed at the stack's RPO",
    ),
    "dns-queries-millions": Assumption(
        5,
        "million per month",
        "each routed DNS name the stack creates (api.<domain>, primary.<domain>) answers 5 million queries a "
        "month, split evenly over its records (one per region); the records are CNAMEs, not free alias queries",
    ),
    "enhanced-monitoring-gb": Assumption(
        0.5,
        "GB per month",
        "each DB instance with Enhanced Monitoring every 60 s sends 0.5 GB a month to the RDSOSMetrics log group "
        "(about 11 KB a message; proportionally more at a shorter interval), kept one month",
    ),
    "cache-snapshot-gb": Assumption(
        1,
        "GB",
        "each ElastiCache snapshot holds 1 GB; a replication group keeps one a day for its snapshotRetentionLimit",
    ),
    "ecr-gb-per-repository": Assumption(
        2,
        "GB",
        "each ECR repository stores 2 GB (a language toolchain image is 0.3-1.5 GB; the lifecycle policy keeps "
        "the newest 50, which share most layers)",
    ),
    "ecr-replication-gb": Assumption(
        10, "GB per month", "image pushes replicate 10 GB a month from the primary to each other region"
    ),
    "kms-key-age-days": Assumption(
        730,
        "days",
        "each customer managed key is 730 days old (two yearly rotations: the steady state, $3 a month per "
        "rotated key); set 0 for a stack's first year",
    ),
    "replicated-writes-io-optimized": Assumption(
        1,
        "charged",
        "a Global Database secondary on Aurora I/O-Optimized still pays for the replicated write I/Os at its "
        "region's Aurora Standard I/O rate: no reachable AWS page says whether I/O-Optimized includes them, so the "
        "estimate charges them (it errs high)",
    ),
    "io-optimized-factors": Assumption(
        1.3,
        "× Standard instance (storage 2.25 ×)",
        "Aurora I/O-Optimized instances cost 1.3 × and storage 2.25 × Aurora Standard; confirmed on the pricing "
        "page for us-east-1 and applied to eu-west-1 and ap-southeast-1 as the same rule",
    ),
    "backup-storage": Assumption(
        0,
        "GB",
        "RDS and Aurora backups stay within the free backup storage (up to the size of the database in the "
        "region); ElastiCache snapshots are priced (cache-snapshot-gb)",
    ),
}
USAGE_ASSUMPTIONS = tuple(ASSUMPTIONS)
"""This table's own assumptions, before other modules (eksplatform/cost/observability.py) add theirs: only these
are read through a stack's usage file (eksplatform/cost/usage.py)."""

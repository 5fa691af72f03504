"""Prices of the observability resources (components/observability.py), apart from the main table.

Kept in a module of its own, with its own prices and assumptions, so the main table
(eksplatform/cost/prices.py) can change without touching these. Prices are AWS's public list prices in USD
for US East (N. Virginia), read from the pages named; the same figure is used in every region
(the other regions of the stacks list the same or slightly higher prices: check the page before
committing money to a figure), except the performance log group's ingestion and storage, which
take the main table's regional log prices. What the estimate cannot know (series, log volume) is an assumption,
registered in cost.prices.ASSUMPTIONS so every report lists it.

What is priced: the Prometheus workspace (samples ingested, storage, query samples the alert
rules' evaluations process), the managed collector (hours, samples collected), Container Insights
with enhanced observability (billed per observation, not per custom metric, through the
CloudWatch Observability add-on) and the ingestion of its performance log group, the Firehose
archive stream (GB ingested), the archive bucket (GB-months in Glacier), dashboards and the Logs
Insights scans of their log widgets, and the custom metrics the log metric filters write. The
alert manager, topic policies, subscriptions and the bucket's settings cost nothing of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any, Protocol

import yaml

from eksplatform.cost.prices import ASSUMPTIONS, HOURS_PER_MONTH, Assumption, Price
from eksplatform.properties import at, mapping

READ = "2026-11-28"
_AMP = "https://aws.amazon.com/prometheus/pricing/"
_CLOUDWATCH = "https://aws.amazon.com/cloudwatch/pricing/"
_FIREHOSE = "https://aws.amazon.com/firehose/pricing/"
_S3 = "https://aws.amazon.com/s3/pricing/"

PRICES: dict[str, Price] = {
    # First tier (up to 2 billion samples a month).
    "amp.samples": Price(0.90, "10 million samples ingested", _AMP, READ),
    "amp.storage": Price(0.03, "GB-month stored", _AMP, READ),
    "amp.collector": Price(0.04, "collector-hour", _AMP, READ),
    "amp.collector-samples": Price(0.04, "10 million samples collected", _AMP, READ),
    "cloudwatch.metric": Price(0.30, "custom metric-month", _CLOUDWATCH, READ),  # first 10,000 metrics
    "cloudwatch.dashboard": Price(3.00, "dashboard-month", _CLOUDWATCH, READ),
    # Container Insights with enhanced observability for EKS: a tiered price per observation (one
    # measurement of one metric of one resource); the first tier.
    "cloudwatch.ci-observations": Price(0.21, "million observations (enhanced Container Insights)", _CLOUDWATCH, READ),
    "logs.ingestion": Price(0.50, "GB ingested (CloudWatch Logs, standard)", _CLOUDWATCH, READ),
    "logs.insights": Price(0.005, "GB scanned (CloudWatch Logs Insights)", _CLOUDWATCH, READ),
    "amp.query": Price(0.10, "billion query samples processed", _AMP, READ),
    "firehose.ingestion": Price(0.029, "GB ingested (Direct PUT)", _FIREHOSE, READ),  # first 500 TB
    "s3.glacier": Price(0.0036, "GB-month (S3 Glacier Flexible Retrieval)", _S3, READ),
}

ASSUMED: dict[str, Assumption] = {
    "amp-series-per-cluster": Assumption(
        8000,
        "active series",
        "each cluster sends 8,000 active series to Prometheus: each scrape job keeps only its listed metrics "
        "(components/observability.py KEPT_METRICS, metric_relabel_configs); at prod's size (about 15 nodes, 200 "
        "pods, 300 containers, 10 services) cAdvisor ~1,200, kube-state-metrics ~2,300, the API server's "
        "request counts ~2,000, Traefik's histogram ~1,700, node filesystems ~300, up and scrape_* ~500",
    ),
    "amp-bytes-per-sample": Assumption(2, "bytes", "a stored sample takes 2 bytes (AMP pricing: 1 or 2 bytes)"),
    "amp-retention-months": Assumption(5, "months", "AMP keeps samples 150 days by default"),
    "container-insights-observations-per-minute": Assumption(
        9000,
        "observations a minute per cluster",
        "enhanced Container Insights observes about 9,000 metric values a minute per cluster (prod's size: ~15 "
        "nodes x 25, ~200 pods x 20, ~300 containers x 15, at the agent's 60-second interval)",
    ),
    "performance-log-gb": Assumption(
        30,
        "GB per month per cluster",
        "the performance log group (Container Insights' embedded-metric events) takes in 30 GB a month",
    ),
    "dashboard-insights-gb": Assumption(
        50,
        "GB scanned per dashboard per month",
        "each dashboard's Logs Insights widgets scan 50 GB a month (views and refreshes over the access log)",
    ),
    "amp-query-samples-billions": Assumption(
        10,
        "billion samples per cluster per month",
        "the alert rules' evaluations (every minute, 5-minute windows) process 10 billion samples a month",
    ),
    "archive-gb-per-group": Assumption(
        2, "GB per month", "each archived log group sends 2 GB a month (as log-gb-per-group assumes of its ingestion)"
    ),
}
# Reports read every assumption from the one table.
ASSUMPTIONS.update(ASSUMED)

SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
SUBSCRIPTION = "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter"
DEFAULT_SCRAPE_SECONDS = 60.0  # Prometheus' default scrape_interval


class Pricer(Protocol):
    items: Any

    def line_at(self, item: Any, what: str, found: Price, quantity: float, *assumptions: str) -> Any: ...

    def log_group_lines(self, item: Any, what: str, gigabytes: float, *assumptions: str) -> list[Any]: ...


def _value(name: str) -> float:
    return ASSUMED[name].value


def _scrape_seconds(item: Any) -> float:
    """The collector's scrape interval, from its scrape configuration."""
    return _scrape_interval(str(item.props.get("scrapeConfiguration") or ""))


# A number from a text: each collector's configuration is parsed once per process, not once per
# estimate (the budget policies and preflight's report price the same collectors again and again),
# by PyYAML's own safe loader (libyaml's reads some texts it refuses, e.g. a tab after the colon).
@lru_cache(maxsize=64)
def _scrape_interval(text: str) -> float:
    try:
        config = yaml.safe_load(text)
    except yaml.YAMLError:
        return DEFAULT_SCRAPE_SECONDS
    interval = str(at(mapping(config), "global", "scrape_interval") or "")
    units = {"s": 1, "m": 60}
    # 0s is Prometheus' default too (prometheus/config/config.go, GlobalConfig.UnmarshalYAML).
    if interval[-1:] in units and interval[:-1].isdigit() and int(interval[:-1]) > 0:
        return float(interval[:-1]) * units[interval[-1]]
    return DEFAULT_SCRAPE_SECONDS


def _samples_in_ten_millions(item: Any) -> float:
    return _value("amp-series-per-cluster") * SECONDS_PER_MONTH / _scrape_seconds(item) / 1e7


def _collector(p: Pricer, item: Any) -> list[Any]:
    samples = _samples_in_ten_millions(item)
    stored_gb = samples * 1e7 * _value("amp-bytes-per-sample") * _value("amp-retention-months") / 2**30
    assumed = ("amp-series-per-cluster",)
    return [
        p.line_at(item, "managed collector", PRICES["amp.collector"], HOURS_PER_MONTH, "hours-per-month"),
        p.line_at(item, "samples collected", PRICES["amp.collector-samples"], samples, *assumed),
        # The workspace's ingestion and storage follow from what its collector sends.
        p.line_at(item, "Prometheus samples ingested", PRICES["amp.samples"], samples, *assumed),
        p.line_at(
            item,
            "Prometheus storage",
            PRICES["amp.storage"],
            stored_gb,
            *assumed,
            "amp-bytes-per-sample",
            "amp-retention-months",
        ),
    ]


def _addon(p: Pricer, item: Any) -> list[Any] | None:
    if item.props.get("addonName") != "amazon-cloudwatch-observability":
        return None  # other add-ons run on the nodes the estimate already prices
    millions = _value("container-insights-observations-per-minute") * HOURS_PER_MONTH * 60 / 1e6
    return [
        p.line_at(
            item,
            "Container Insights observations",
            PRICES["cloudwatch.ci-observations"],
            millions,
            "container-insights-observations-per-minute",
        )
    ]


def _log_group(p: Pricer, item: Any) -> list[Any] | None:
    """The performance log group takes far more than a log group's usual volume."""
    if not str(item.props.get("name") or "").endswith("/performance"):
        return None  # the main table's log ingestion applies
    # The main table's regional log prices and retention rule (eksplatform/cost/estimate.py), at this group's volume.
    return p.log_group_lines(item, "performance log", _value("performance-log-gb"), "performance-log-gb")


def _dashboard(p: Pricer, item: Any) -> list[Any]:
    return [
        p.line_at(item, "dashboard", PRICES["cloudwatch.dashboard"], 1),
        p.line_at(
            item,
            "Logs Insights scans of its widgets",
            PRICES["logs.insights"],
            _value("dashboard-insights-gb"),
            "dashboard-insights-gb",
        ),
    ]


def _rule_groups(p: Pricer, item: Any) -> list[Any]:
    billions = _value("amp-query-samples-billions")
    return [p.line_at(item, "alert rule queries", PRICES["amp.query"], billions, "amp-query-samples-billions")]


def _archived_groups(p: Pricer, item: Any) -> int:
    """The log groups sent to the archive beside `item`: the subscription filters of its component."""
    return sum(1 for other in p.items if other.type == SUBSCRIPTION and other.parent == item.parent)


def _stream(p: Pricer, item: Any) -> list[Any]:
    groups = max(_archived_groups(p, item), 1)
    gigabytes = _value("archive-gb-per-group") * groups
    what = f"archive delivery, {groups} log group(s)"
    return [p.line_at(item, what, PRICES["firehose.ingestion"], gigabytes, "archive-gb-per-group")]


def _bucket(p: Pricer, item: Any) -> list[Any] | None:
    """A log archive: a bucket beside subscription filters (another bucket has no price here)."""
    groups = _archived_groups(p, item)
    if not groups:
        return None
    # A year of the archive (mostly in Glacier): the steady state once the lifecycle expires the oldest.
    stored = _value("archive-gb-per-group") * groups * 12
    what = f"log archive, a year of {groups} log group(s)"
    return [p.line_at(item, what, PRICES["s3.glacier"], stored, "archive-gb-per-group")]


def _per_month(key: str, what: str) -> Callable[[Pricer, Any], list[Any]]:
    def priced(p: Pricer, item: Any) -> list[Any]:
        return [p.line_at(item, what, PRICES[key], 1)]

    return priced


PRICERS: dict[str, Callable[[Pricer, Any], list[Any] | None]] = {
    "aws:amp/scraper:Scraper": _collector,
    "aws:eks/addon:Addon": _addon,
    "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream": _stream,
    "aws:s3/bucket:Bucket": _bucket,
    "aws:cloudwatch/dashboard:Dashboard": _dashboard,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:amp/ruleGroupNamespace:RuleGroupNamespace": _rule_groups,
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": _per_month("cloudwatch.metric", "metric from a log filter"),
}
"""Per type, the lines of a resource; None: the type's usual rule applies (free, or the main table)."""

FREE_TYPES = frozenset(
    {
        "aws:amp/workspace:Workspace",  # priced with its collector's samples
        "aws:amp/alertManagerDefinition:AlertManagerDefinition",
        "aws:sns/topicPolicy:TopicPolicy",
        "aws:sns/topicSubscription:TopicSubscription",  # alerts stay inside SNS's free tier
        SUBSCRIPTION,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "aws:s3/bucketPolicy:BucketPolicy",
    }
)

"""The observability prices (eksplatform/cost/observability.py) and their hook into the estimate."""

from __future__ import annotations

from typing import Any

import pytest

from eksplatform.cost import observability
from eksplatform.cost.estimate import Item, estimate
from eksplatform.cost.prices import ASSUMPTIONS, HOURS_PER_MONTH
from eksplatform.preflight.export import export_document, read_state
from eksplatform.preflight.report import estimate_state
from tests.conftest import synthesized

PARENT = "urn:pulumi:test::p::platform:index:Observability::eu-west-1-observability"


def item(type_token: str, props: dict[str, Any], name: str = "thing", parent: str = PARENT) -> Item:
    return Item(
        urn=f"urn:pulumi:test::p::{type_token}::{name}", type=type_token, props=props, region="eu-west-1", parent=parent
    )


def test_the_collector_is_priced_from_its_scrape_interval() -> None:
    every_minute = estimate(
        [item("aws:amp/scraper:Scraper", {"scrapeConfiguration": "global:\n  scrape_interval: 60s\n"})]
    )
    twice_a_minute = estimate(
        [item("aws:amp/scraper:Scraper", {"scrapeConfiguration": "global:\n  scrape_interval: 30s\n"})]
    )
    lines = {line.what: line for line in every_minute.lines}
    series = ASSUMPTIONS["amp-series-per-cluster"].value
    samples = series * HOURS_PER_MONTH * 3600 / 60 / 1e7
    assert lines["managed collector"].quantity == HOURS_PER_MONTH
    assert lines["managed collector"].unit_usd == 0.04
    assert lines["Prometheus samples ingested"].quantity == pytest.approx(samples, rel=1e-4)
    assert lines["Prometheus samples ingested"].unit_usd == 0.90
    ingested = {line.what: line.quantity for line in twice_a_minute.lines}["Prometheus samples ingested"]
    assert ingested == pytest.approx(2 * samples, rel=1e-4)
    assert "amp-series-per-cluster" in every_minute.assumptions


def test_the_archive_is_priced_by_the_groups_it_receives() -> None:
    subscription = "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter"
    stream = item("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", {}, "stream")
    bucket = item("aws:s3/bucket:Bucket", {}, "bucket")
    three = [item(subscription, {}, f"sub-{n}") for n in range(3)]
    result = estimate([stream, bucket, *three])
    lines = {line.urn.rsplit("::", 1)[-1]: line for line in result.lines}
    per_group = ASSUMPTIONS["archive-gb-per-group"].value
    assert lines["stream"].quantity == 3 * per_group
    assert lines["bucket"].quantity == 3 * per_group * 12
    assert lines["bucket"].unit_usd == 0.0036
    assert result.unpriced == []
    # A bucket that receives no logs is no archive: the main table's rule (no price) applies.
    other = estimate([item("aws:s3/bucket:Bucket", {}, "other", parent="")])
    assert [u.reason for u in other.unpriced] == ["no price for aws:s3/bucket:Bucket"]


def test_only_the_cloudwatch_add_on_costs_and_settings_are_free() -> None:
    addon = "aws:eks/addon:Addon"
    result = estimate(
        [
            item(addon, {"addonName": "amazon-cloudwatch-observability"}, "cw"),
            item(addon, {"addonName": "kube-state-metrics"}, "ksm"),
            *(item(t, {}, t) for t in sorted(observability.FREE_TYPES)),
        ]
    )
    assert [line.what for line in result.lines] == ["Container Insights observations"]
    assert result.unpriced == []
    (line,) = result.lines
    # Enhanced Container Insights is billed per observation, not per custom metric.
    per_minute = ASSUMPTIONS["container-insights-observations-per-minute"].value
    assert line.quantity == pytest.approx(per_minute * HOURS_PER_MONTH * 60 / 1e6)
    assert line.unit_usd == observability.PRICES["cloudwatch.ci-observations"].usd


def test_what_the_first_estimate_left_out_is_priced() -> None:
    """The performance group's volume, the dashboards' Logs Insights scans, the rules' AMP queries."""
    result = estimate(
        [
            item(
                "aws:cloudwatch/logGroup:LogGroup",
                {"name": "/aws/containerinsights/c/performance", "retentionInDays": 30},  # as the component sets it
                "perf",
            ),
            item("aws:cloudwatch/dashboard:Dashboard", {}, "board"),
            item("aws:amp/ruleGroupNamespace:RuleGroupNamespace", {}, "rules"),
        ]
    )
    lines = {line.what: line for line in result.lines}
    gigabytes = ASSUMPTIONS["performance-log-gb"].value
    assert lines[f"log ingestion, performance log, {gigabytes:g} GB"].quantity == gigabytes
    # Stored at steady state: 30 days of 30 GB a month = 30 x 30 / (365 / 12) = 29.589 GB-months,
    # at the main table's us-east-1 storage price ($0.03), by hand: $0.89.
    storage = lines["log storage, 29.589 GB (kept 30 days)"]
    assert storage.quantity == 29.589 and round(storage.monthly_usd, 2) == 0.89
    assert lines["Logs Insights scans of its widgets"].unit_usd == 0.005
    assert lines["alert rule queries"].quantity == ASSUMPTIONS["amp-query-samples-billions"].value
    assert "dashboard" in lines
    # Any other log group keeps the main table's rule.
    other = estimate([item("aws:cloudwatch/logGroup:LogGroup", {"name": "/aws/containerinsights/c/application"})])
    assert not [line for line in other.lines if "performance log" in line.what]


def test_every_price_names_its_page() -> None:
    for key, found in observability.PRICES.items():
        assert found.source.startswith("https://aws.amazon.com/"), key
        assert found.usd > 0 and found.unit, key


def test_prod_prices_every_observability_resource_and_fits_its_budget() -> None:
    result = estimate_state(read_state(export_document(synthesized("prod"))))
    assert result.unpriced == []
    regions = {line.region for line in result.lines if line.component.endswith("-observability")}
    assert regions == {"us-east-1", "eu-west-1", "ap-southeast-1"}
    observed = sum(line.monthly_usd for line in result.lines if line.component.endswith("-observability"))
    assert 450 < observed < 600
    assert result.monthly_usd <= 6000  # Pulumi.prod.yaml platform:monthlyBudget

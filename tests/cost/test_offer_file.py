"""`python -m cost.offer_file` on tiny offer files made here in the Price List's own format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cost.offer_file import OfferFileError, main, rows_from_offer
from cost.prices import load_offer_rows


def _on_demand(sku: str, usd: str, unit: str = "Hrs") -> dict[str, Any]:
    return {
        f"{sku}.JRTCKXETXF": {
            "offerTermCode": "JRTCKXETXF",
            "sku": sku,
            "priceDimensions": {f"{sku}.JRTCKXETXF.6YS6EN2CT7": {"unit": unit, "pricePerUnit": {"USD": usd}}},
        }
    }


def _offer(code: str, products: dict[str, dict[str, Any]], prices: dict[str, str]) -> dict[str, Any]:
    return {
        "formatVersion": "v1.0",
        "offerCode": code,
        "version": "20261120000000",
        "publicationDate": "2026-11-20T00:00:00Z",
        "products": products,
        "terms": {"OnDemand": {sku: _on_demand(sku, usd) for sku, usd in prices.items()}},
    }


EC2_LINUX: dict[str, Any] = {
    "productFamily": "Compute Instance",
    "attributes": {
        "regionCode": "eu-central-1",
        "instanceType": "c7i.large",
        "operatingSystem": "Linux",
        "tenancy": "Shared",
        "preInstalledSw": "NA",
        "capacitystatus": "Used",
    },
}


def _variant(**changes: str) -> dict[str, Any]:
    return {**EC2_LINUX, "attributes": {**EC2_LINUX["attributes"], **changes}}


EC2_OFFER = _offer(
    "AmazonEC2",
    {
        "LINUX": EC2_LINUX,
        "WINDOWS": _variant(operatingSystem="Windows"),
        "DEDICATED": _variant(tenancy="Dedicated"),
        "RESERVATION": _variant(capacitystatus="UnusedCapacityReservation"),
        "STORAGE": {"productFamily": "Storage", "attributes": {"regionCode": "eu-central-1", "volumeApiName": "gp3"}},
    },
    {"LINUX": "0.1031000000", "WINDOWS": "0.1951000000", "DEDICATED": "0.1134000000", "RESERVATION": "0.1031"},
)

RDS_OFFER = _offer(
    "AmazonRDS",
    {
        "PG": {
            "productFamily": "Database Instance",
            "attributes": {
                "regionCode": "eu-central-1",
                "instanceType": "db.r7g.large",
                "databaseEngine": "PostgreSQL",
                "deploymentOption": "Single-AZ",
                "usagetype": "EUC1-InstanceUsage:db.r7g.large",
            },
        },
        "PG_MULTI": {
            "productFamily": "Database Instance",
            "attributes": {
                "regionCode": "eu-central-1",
                "instanceType": "db.r7g.large",
                "databaseEngine": "PostgreSQL",
                "deploymentOption": "Multi-AZ",
            },
        },
        "AURORA_IOPT": {
            "productFamily": "Database Instance",
            "attributes": {
                "regionCode": "eu-central-1",
                "instanceType": "db.r7g.large",
                "databaseEngine": "Aurora PostgreSQL",
                "deploymentOption": "Single-AZ",
                "usagetype": "EUC1-InstanceUsageIOOptimized:db.r7g.large",
            },
        },
    },
    {"PG": "0.2900000000", "PG_MULTI": "0.5800000000", "AURORA_IOPT": "0.4030000000"},
)

CACHE_OFFER = _offer(
    "AmazonElastiCache",
    {
        "VALKEY": {
            "productFamily": "Cache Instance",
            "attributes": {"regionCode": "eu-central-1", "instanceType": "cache.r6g.large", "cacheEngine": "Valkey"},
        },
        "MEMCACHED": {
            "productFamily": "Cache Instance",
            "attributes": {"regionCode": "eu-central-1", "instanceType": "cache.r6g.large", "cacheEngine": "Memcached"},
        },
    },
    {"VALKEY": "0.2000000000", "MEMCACHED": "0.2500000000"},
)


def test_only_the_on_demand_prices_the_estimate_uses_are_kept() -> None:
    rows = [*rows_from_offer(EC2_OFFER), *rows_from_offer(RDS_OFFER), *rows_from_offer(CACHE_OFFER)]
    assert [(row.item, row.region, row.usd, row.unit) for row in rows] == [
        ("ec2.c7i.large", "eu-central-1", 0.1031, "instance-hour"),  # not Windows, dedicated or a reservation
        ("rds.postgres.db.r7g.large", "eu-central-1", 0.29, "instance-hour"),  # Single-AZ only
        ("aurora-iopt.postgres.db.r7g.large", "eu-central-1", 0.403, "instance-hour"),
        ("elasticache.valkey.cache.r6g.large", "eu-central-1", 0.2, "node-hour"),  # not Memcached
    ]
    assert rows[0].read == "2026-11-20"
    assert rows[0].source == (
        "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/AmazonEC2/current/eu-central-1/index.json "
        "(published 2026-11-20)"
    )


def test_the_script_merges_into_the_table_file_which_the_price_lookup_reads(tmp_path: Path) -> None:
    offer, output = tmp_path / "index.json", tmp_path / "offer_prices.json"
    offer.write_text(json.dumps(EC2_OFFER))
    assert main([str(offer), "--output", str(output)]) == 0
    offer.write_text(json.dumps(CACHE_OFFER))
    assert main([str(offer), "--output", str(output)]) == 0
    table = load_offer_rows(output)
    assert sorted(table) == [("ec2.c7i.large", "eu-central-1"), ("elasticache.valkey.cache.r6g.large", "eu-central-1")]
    # A newer offer replaces the row for the same item and region.
    newer = json.loads(json.dumps(EC2_OFFER))
    newer["terms"]["OnDemand"] = {"LINUX": _on_demand("LINUX", "0.1100000000")}
    offer.write_text(json.dumps(newer))
    assert main([str(offer), "--output", str(output)]) == 0
    assert load_offer_rows(output)[("ec2.c7i.large", "eu-central-1")].usd == 0.11


def test_a_file_that_is_not_an_offer_is_an_error_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(OfferFileError, match="not a Price List offer file"):
        list(rows_from_offer({"products": {}}, "x.json"))
    offer = tmp_path / "index.json"
    offer.write_text("{")
    assert main([str(offer), "--output", str(tmp_path / "out.json")]) == 2
    assert f"{offer}: cannot read" in capsys.readouterr().err
    assert not (tmp_path / "out.json").exists()

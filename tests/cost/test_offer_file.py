"""`python -m eksplatform.cost.offer_file` on tiny offer files made here in the Price List's own format."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eksplatform.cost.offer_file import OfferFileError, main, rows_from_offer
from eksplatform.cost.prices import load_offer_rows


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
        "locationType": "AWS Region",
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
        "STORAGE": {
            "productFamily": "Storage",
            "attributes": {"regionCode": "eu-central-1", "locationType": "AWS Region", "volumeApiName": "gp3"},
        },
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
                "locationType": "AWS Region",
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
                "locationType": "AWS Region",
                "instanceType": "db.r7g.large",
                "databaseEngine": "PostgreSQL",
                "deploymentOption": "Multi-AZ",
            },
        },
        "AURORA_IOPT": {
            "productFamily": "Database Instance",
            "attributes": {
                "regionCode": "eu-central-1",
                "locationType": "AWS Region",
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
            "attributes": {
                "regionCode": "eu-central-1",
                "locationType": "AWS Region",
                "instanceType": "cache.r6g.large",
                "cacheEngine": "Valkey",
            },
        },
        "MEMCACHED": {
            "productFamily": "Cache Instance",
            "attributes": {
                "regionCode": "eu-central-1",
                "locationType": "AWS Region",
                "instanceType": "cache.r6g.large",
                "cacheEngine": "Memcached",
            },
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


def _us_east_1(usage_type: str, location: str, location_type: str) -> dict[str, Any]:
    """A us-east-1 EC2 SKU as the offer file lists it (trimmed to the attributes read here)."""
    return {
        "productFamily": "Compute Instance",
        "attributes": {
            "location": location,
            "locationType": location_type,
            "regionCode": "us-east-1",
            "instanceType": "m7i.large",
            "usagetype": usage_type,
            "operatingSystem": "Linux",
            "tenancy": "Shared",
            "preInstalledSw": "NA",
            "capacitystatus": "Used",
        },
    }


# A Local Zone's SKUs carry their parent region's regionCode (us-east-1 for Boston's use1-bos1),
# with their own location and locationType; their prices differ from the region's.
US_EAST_1_OFFER = _offer(
    "AmazonEC2",
    {
        "REGION": _us_east_1("BoxUsage:m7i.large", "US East (N. Virginia)", "AWS Region"),
        "BOSTON": _us_east_1("USE1-BOS1-BoxUsage:m7i.large", "US East (Boston)", "AWS Local Zone"),
        "WAVELENGTH": _us_east_1(
            "USE1-WL1-BOS-WLZ1-BoxUsage:m7i.large", "US East (Verizon) - Boston", "AWS Wavelength Zone"
        ),
    },
    {"REGION": "0.1008000000", "BOSTON": "0.1210000000", "WAVELENGTH": "0.1310000000"},
)


def test_local_zone_and_wavelength_skus_are_not_the_regions_price() -> None:
    rows = list(rows_from_offer(US_EAST_1_OFFER))
    assert [(row.item, row.region, row.usd) for row in rows] == [("ec2.m7i.large", "us-east-1", 0.1008)]

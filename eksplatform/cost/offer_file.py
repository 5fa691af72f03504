"""Regenerate `eksplatform/cost/offer_prices.json` from AWS Price List offer files.

    python -m eksplatform.cost.offer_file OFFER.json [OFFER.json ...]

Each OFFER.json is a region's offer file as AWS publishes it for the bulk Price List API,
`https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/<AmazonEC2|AmazonRDS|AmazonElastiCache>/
current/<region>/index.json` (downloaded by hand: this project's machines do not reach it; never
commit the download, it is hundreds of megabytes). The script keeps the on-demand prices the
estimate uses and merges them into `eksplatform/cost/offer_prices.json`, one row per item and region, each
naming its offer file and publication date.

What is kept (the attributes are the offer file's own, `products[sku].attributes`), only for
SKUs whose locationType is "AWS Region" (Local Zones share the parent region's regionCode):
- AmazonEC2, product family "Compute Instance": Linux, shared tenancy, no pre-installed
  software, capacity status "Used" -> `ec2.<instanceType>`.
- AmazonRDS, "Database Instance", Single-AZ: engine "PostgreSQL" -> `rds.postgres.<class>`;
  "Aurora PostgreSQL" -> `aurora.postgres.<class>`, or `aurora-iopt.postgres.<class>` when the
  usage type names I/O-Optimized (`...IOOptimized...`).
- AmazonElastiCache, "Cache Instance": engine "Redis" or "Valkey" -> `elasticache.<engine>.<type>`.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from eksplatform.cost.prices import OFFER_PRICES, OfferRow, load_offer_rows

OFFER_URL = "https://pricing.us-east-1.amazonaws.com/offers/v1.0/aws/{offer}/current/{region}/index.json"


class OfferFileError(ValueError):
    """An offer file this script cannot read; the message names the file and what is missing."""


def _ec2_item(attributes: Mapping[str, Any]) -> tuple[str, str] | None:
    wanted = {
        "operatingSystem": "Linux",
        "tenancy": "Shared",
        "preInstalledSw": "NA",
        "capacitystatus": "Used",
    }
    if all(attributes.get(key) == value for key, value in wanted.items()) and attributes.get("instanceType"):
        return f"ec2.{attributes['instanceType']}", "instance-hour"
    return None


def _rds_item(attributes: Mapping[str, Any]) -> tuple[str, str] | None:
    if attributes.get("deploymentOption") != "Single-AZ" or not attributes.get("instanceType"):
        return None
    instance_class = attributes["instanceType"]
    engine = attributes.get("databaseEngine")
    if engine == "PostgreSQL":
        return f"rds.postgres.{instance_class}", "instance-hour"
    if engine == "Aurora PostgreSQL":
        optimized = "IOOptimized" in str(attributes.get("usagetype", ""))
        return f"{'aurora-iopt' if optimized else 'aurora'}.postgres.{instance_class}", "instance-hour"
    return None


def _elasticache_item(attributes: Mapping[str, Any]) -> tuple[str, str] | None:
    engine = str(attributes.get("cacheEngine", "")).lower()
    if engine in ("redis", "valkey") and attributes.get("instanceType"):
        return f"elasticache.{engine}.{attributes['instanceType']}", "node-hour"
    return None


_PRODUCTS = {
    ("AmazonEC2", "Compute Instance"): _ec2_item,
    ("AmazonRDS", "Database Instance"): _rds_item,
    ("AmazonElastiCache", "Cache Instance"): _elasticache_item,
}


def _on_demand_usd(terms: Mapping[str, Any], sku: str) -> float | None:
    """The hourly USD of a SKU's on-demand term (its one price dimension in hours)."""
    for term in (terms.get(sku) or {}).values():
        for dimension in (term.get("priceDimensions") or {}).values():
            if str(dimension.get("unit", "")).lower() in ("hrs", "hours"):
                return float(dimension["pricePerUnit"]["USD"])
    return None


def rows_from_offer(offer: Mapping[str, Any], origin: str = "offer file") -> Iterator[OfferRow]:
    """The estimate's rows in one region's offer file."""
    offer_code = offer.get("offerCode")
    published = str(offer.get("publicationDate", ""))[:10]
    if not isinstance(offer_code, str) or not published:
        raise OfferFileError(f"{origin}: not a Price List offer file (no offerCode or publicationDate)")
    products = offer.get("products")
    on_demand = (offer.get("terms") or {}).get("OnDemand")
    if not isinstance(products, Mapping) or not isinstance(on_demand, Mapping):
        raise OfferFileError(f"{origin}: an offer file has `products` and `terms.OnDemand`")
    for sku, product in products.items():
        reader = _PRODUCTS.get((offer_code, product.get("productFamily")))
        attributes = product.get("attributes") or {}
        found = reader(attributes) if reader else None
        region = attributes.get("regionCode")
        # Local Zone and Wavelength SKUs carry their parent region's regionCode; only the region's
        # own SKUs ("AWS Region") are the prices a stack in that region pays.
        if found is None or not region or attributes.get("locationType") != "AWS Region":
            continue
        usd = _on_demand_usd(on_demand, sku)
        if usd is None or usd == 0:
            continue  # a SKU without an hourly on-demand price (reserved only, or not offered)
        item, unit = found
        source = OFFER_URL.format(offer=offer_code, region=region) + f" (published {published})"
        yield OfferRow(item=item, unit=unit, region=region, usd=usd, source=source, read=published)


def merge(existing: Mapping[tuple[str, str], OfferRow], new: Sequence[OfferRow]) -> list[OfferRow]:
    """Existing rows with the new ones in their place; a SKU listed twice must agree."""
    merged = dict(existing)
    fresh: dict[tuple[str, str], OfferRow] = {}
    for row in new:
        key = (row.item, row.region)
        if key in fresh and fresh[key].usd != row.usd:
            raise OfferFileError(f"two prices for {row.item} in {row.region}: {fresh[key].usd} and {row.usd}")
        fresh[key] = row
    merged.update(fresh)
    return [merged[key] for key in sorted(merged)]


def write(rows: Sequence[OfferRow], path: Path) -> None:
    document = [row.__dict__ for row in rows]
    path.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eksplatform.cost.offer_file", description=__doc__.split("\n")[0])
    parser.add_argument("offers", nargs="+", type=Path, help="downloaded offer files (index.json)")
    parser.add_argument("--output", type=Path, default=OFFER_PRICES, help="default: eksplatform/cost/offer_prices.json")
    args = parser.parse_args(argv)
    new: list[OfferRow] = []
    try:
        for path in args.offers:
            try:
                offer = json.loads(path.read_text())
            except (OSError, ValueError) as error:
                raise OfferFileError(f"{path}: cannot read ({error})") from None
            new.extend(rows_from_offer(offer, str(path)))
        rows = merge(load_offer_rows(args.output), new)
    except (OfferFileError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    write(rows, args.output)
    print(f"{len(new)} price(s) read, {len(rows)} row(s) in {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

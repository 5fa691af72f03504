"""Coverage: every value the config and the policy allowlists admit has a price in every admitted
region. There is no list of known gaps: the admitted set is narrowed to what is priced
(docs/cost.md, "What is admitted"), and `python -m eksplatform.cost.offer_file` is how it grows."""

from __future__ import annotations

import json

import pytest

from eksplatform.components.facts import REGION_AZ_COUNTS
from eksplatform.cost.prices import price
from eksplatform.preflight.coverage import SERVICES, config_admitted, gaps, policy_admitted, regions
from eksplatform.preflight.synth import PROJECT_ROOT

STACKS = ("dev", "staging", "prod")


def _policy_config(stack: str) -> dict[str, dict[str, object]]:
    config: dict[str, dict[str, object]] = json.loads(
        (PROJECT_ROOT / "policies" / "config" / f"{stack}.json").read_text()
    )
    return config


def test_every_admitted_region_prices_every_service() -> None:
    assert set(regions()) <= set(REGION_AZ_COUNTS)
    assert sorted(gaps(SERVICES)) == []


def test_every_value_the_config_admits_is_priced_in_every_admitted_region() -> None:
    admitted = config_admitted()
    # The walk reaches every kind (a gate that refused everything would pass vacuously).
    for prefix in ("ec2.", "rds.postgres.", "aurora.postgres.", "aurora-iopt.postgres.", "elasticache.valkey."):
        assert any(item.startswith(prefix) for item in admitted), prefix
    assert sorted(gaps(admitted)) == []


@pytest.mark.parametrize("stack", [*STACKS, "defaults"])
def test_every_value_a_policy_allowlist_admits_is_priced_in_every_admitted_region(stack: str) -> None:
    admitted = policy_admitted({} if stack == "defaults" else _policy_config(stack))
    assert admitted
    assert sorted(gaps(admitted)) == []


def test_prods_allowlist_no_longer_admits_unpriced_sizes() -> None:
    # The review: prod's allowlist admitted c7i and every m6i/m7i/m7g size from 2xlarge up, unpriced.
    admitted = policy_admitted(_policy_config("prod"))
    assert "ec2.c7i.large" not in admitted and "ec2.m6i.2xlarge" not in admitted
    assert {"ec2.m6i.large", "ec2.m7i.xlarge", "ec2.m7g.large"} <= admitted
    # An allowed class is admitted only for the engine that prices it: RDS db.r7g.large has no row.
    assert "aurora.postgres.db.r7g.large" in admitted and "rds.postgres.db.r7g.large" not in admitted


def test_the_rds_r7g_large_row_no_longer_carries_auroras_price() -> None:
    # The FinOps review: the RDS row equalled Aurora's (0.276); it has no row until RDS's own is read.
    assert price("rds.postgres.db.r7g.large", "us-east-1") is None
    assert "rds.postgres.db.r7g.large" not in config_admitted()
    aurora = price("aurora.postgres.db.r7g.large", "us-east-1")
    assert aurora is not None and aurora.usd == 0.276


def test_both_cache_engines_are_priced_and_valkey_lists_20_percent_below_redis() -> None:
    for node_type in ("cache.t4g.micro", "cache.m7g.large", "cache.r7g.large"):
        for region in regions():
            valkey, redis = (
                price(f"elasticache.valkey.{node_type}", region),
                price(f"elasticache.redis.{node_type}", region),
            )
            assert valkey is not None and redis is not None
            assert redis.usd == pytest.approx(valkey.usd * 1.25, abs=1e-4)
            assert redis.source != valkey.source and redis.source.startswith("derived: Valkey is 20 % below")

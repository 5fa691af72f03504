"""The budget policy: the same estimate as preflight, against the stack's own budget."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import pytest

import eksplatform.cost.usage as usage_module
from eksplatform.cost.observability import _scrape_interval
from eksplatform.policies.pack import from_stack
from eksplatform.policies.rule import Resource
from eksplatform.policies.rules.cost import COST_STACK_RULES, stack_estimate
from eksplatform.policies.servicer import STACK_NAME_SENT
from eksplatform.preflight.export import export_document, read_state
from eksplatform.preflight.report import estimate_state
from eksplatform.preflight.synth import PROJECT_ROOT
from eksplatform.stack.loading import read_stack_file
from tests.conftest import synthesized
from tests.policies.views import resources_of

BUDGET, BUDGET_AT_MAX = COST_STACK_RULES
PROVIDER = {"region": "us-east-1"}


def _cluster(name: str) -> Resource:
    return Resource("aws:eks/cluster:Cluster", name, f"urn:pulumi:s::p::aws:eks/cluster:Cluster::{name}", {}, PROVIDER)


def test_under_the_budget_is_quiet_and_over_it_says_by_how_much() -> None:
    two_clusters = [_cluster("a"), _cluster("b")]  # 2 × $73.00

    assert BUDGET.violations(two_clusters, {"monthlyBudgetUsd": 146}) == []
    [(message, urn)] = BUDGET.violations(two_clusters, {"monthlyBudgetUsd": 100})
    assert urn == ""
    assert "the estimated monthly cost $146.00 is over the budget $100.00 by $46.00" in message
    assert "EKS control plane in us-east-1 $73.00" in message


def test_no_budget_means_no_check() -> None:
    assert BUDGET.violations([_cluster("a")], {}) == []


def test_each_unpriced_resource_is_a_violation_of_its_own_even_under_the_budget() -> None:
    bucket = Resource("aws:s3/bucket:Bucket", "b", "urn:pulumi:s::p::aws:s3/bucket:Bucket::b", {}, PROVIDER)
    [(message, urn)] = BUDGET.violations([_cluster("a"), bucket], {"monthlyBudgetUsd": 1000})
    assert urn == bucket.urn
    assert message.startswith("b has no price (no price for aws:s3/bucket:Bucket)")
    over = BUDGET.violations([_cluster("a"), bucket], {"monthlyBudgetUsd": 1})
    assert [urn for _, urn in over] == [bucket.urn, ""]
    assert "1 resource(s) have no price and are not counted" in over[1][0]


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_pack_and_preflight_estimate_the_same_figure(stack: str) -> None:
    graph = synthesized(stack)
    in_pack = stack_estimate(resources_of(graph))
    in_report = estimate_state(read_state(export_document(graph)))
    assert in_pack.monthly_usd == in_report.monthly_usd > 0
    assert in_pack.unpriced == in_report.unpriced == []


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_each_stack_budget_has_one_source_the_stack_file(stack: str) -> None:
    """The policy config only sets the level; the budget is the stack's `platform:monthlyBudget`,
    which the engine sends with ConfigureStack and the pack reads (policies/pack.py from_stack)."""
    config = json.loads((PROJECT_ROOT / "policies" / "config" / f"{stack}.json").read_text())
    stack_file = read_stack_file(PROJECT_ROOT / f"Pulumi.{stack}.yaml")
    assert config[BUDGET.name] == {"enforcementLevel": "mandatory" if stack == "prod" else "advisory"}
    sent = {key: json.dumps(value) for key, value in stack_file.items()}  # as the engine sends it
    assert from_stack(BUDGET, sent) == {"monthlyBudgetUsd": stack_file["platform:monthlyBudget"]}


@pytest.mark.parametrize(("stack", "goal"), [("staging", 1000), ("prod", 6000)])
def test_default_stacks_fit_their_budget(stack: str, goal: float) -> None:
    # Raised from 600 and 5,000 when the sandbox groups grew to hold their pods (docs/capacity.md),
    # then from 750 and 5,200 for observability (docs/observability.md, "Cost"), then from 900 and
    # 5,600 when #28's method fixes counted what the estimate had left out (docs/cost.md).
    # Then 6,000 and 1,000 for the observability review's cost fixes (docs/observability.md).
    assert stack_estimate(resources_of(synthesized(stack))).monthly_usd <= goal


def _mutated(resources: list[Resource], change: Callable[[Resource], Resource | None]) -> list[Resource]:
    return [change(resource) or resource for resource in resources]


def _sandbox_on_c7i(resource: Resource) -> Resource | None:
    if resource.type == "aws:eks/nodeGroup:NodeGroup" and resource.name.endswith("sandbox"):
        return dataclasses.replace(resource, props={**resource.props, "instanceTypes": ["c7i.xlarge"]})
    return None


def _eu_west_1_moved_to_eu_central_1(resource: Resource) -> Resource | None:
    if resource.provider_props.get("region") == "eu-west-1":
        return dataclasses.replace(resource, provider_props={**resource.provider_props, "region": "eu-central-1"})
    return None


def _queue_on_r6g(resource: Resource) -> Resource | None:
    # A Global Datastore family (components/instance_types.py) that the table does not price.
    queue = resource.type == "aws:elasticache/replicationGroup:ReplicationGroup" and "queue" in resource.name
    if queue and resource.props.get("nodeType"):  # the primary: the secondaries inherit its type
        return dataclasses.replace(resource, props={**resource.props, "nodeType": "cache.r6g.large"})
    return None


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_sandbox_on_c7i, {"us-east-1-cluster-sandbox", "eu-west-1-cluster-sandbox", "ap-southeast-1-cluster-sandbox"}),
        (
            _eu_west_1_moved_to_eu_central_1,
            {"eu-west-1-cluster-system", "eu-west-1-network-nat-az1", "eu-west-1-postgres-instance-1"},
        ),
        (_queue_on_r6g, {"us-east-1-redis-queue-rg", "eu-west-1-redis-queue-rg", "ap-southeast-1-redis-queue-rg"}),
    ],
    ids=["c7i-nodes", "eu-central-1", "global-datastore-on-r6g"],
)
def test_what_used_to_pass_by_being_ignored_now_fails_the_prod_budget(
    change: Callable[[Resource], Resource | None], expected: set[str]
) -> None:
    """Before #28 each of these dropped out of the total and prod passed its $5,000 budget."""
    resources = _mutated(resources_of(synthesized("prod")), change)
    # Even a budget nothing could exceed: the unpriced resources alone are violations, by URN.
    found = BUDGET.violations(resources, {"monthlyBudgetUsd": 10_000_000})
    named = {urn.rsplit("::", 1)[-1] for _, urn in found}
    assert expected <= named
    assert all("has no price" in message for message, _ in found)


def test_the_pack_reads_the_stacks_usage_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(usage_module, "USAGE_DIR", tmp_path)
    monkeypatch.setitem(STACK_NAME_SENT, "stack", "prod")
    cluster = _cluster("a")  # $73.00
    assert BUDGET.violations([cluster], {"monthlyBudgetUsd": 100}) == []
    (tmp_path / "prod.yaml").write_text("resources:\n  a:\n    kmsKeyAgeDays: -1\n")
    [(message, _)] = BUDGET.violations([cluster], {"monthlyBudgetUsd": 100})
    assert "usage file cannot be used" in message and "resources.a.kmsKeyAgeDays: -1 is negative" in message
    # A NAT gateway's traffic set in the usage file moves it over the budget: 730 h × $0.045 + 1,000 GB × $0.045
    nat = Resource(
        "aws:ec2/natGateway:NatGateway", "n", "urn:pulumi:s::p::aws:ec2/natGateway:NatGateway::n", {}, PROVIDER
    )
    (tmp_path / "prod.yaml").write_text("resources:\n  n:\n    natGbPerGateway: 1000\n")
    [(message, _)] = BUDGET.violations([nat], {"monthlyBudgetUsd": 60})
    # ... plus 10 GB out to the internet through it × $0.09.
    assert (
        f"the estimated monthly cost ${730 * 0.045 + 1000 * 0.045 + 10 * 0.09:,.2f} is over the budget $60.00"
        in message
    )
    assert message.endswith("usage from prod.yaml); shrink the stack or raise the stack's monthlyBudget") or (
        "prod.yaml)" in message
    )


def test_an_advisory_when_the_node_groups_at_max_size_exceed_the_budget() -> None:
    group = Resource(
        "aws:eks/nodeGroup:NodeGroup",
        "g",
        "urn:pulumi:s::p::aws:eks/nodeGroup:NodeGroup::g",
        {
            "instanceTypes": ["m7i.large"],
            "scalingConfig": {"minSize": 1, "desiredSize": 1, "maxSize": 5},
            "diskSize": 20,
        },
        PROVIDER,
    )
    # desired: 73.58 + 1.60 + 2.00 = 77.18; max: 5 × 73.58 + 5 × 1.60 + 2.00 = 377.92 (hand-computed).
    assert BUDGET_AT_MAX.enforcement == "advisory"
    assert BUDGET.violations([group], {"monthlyBudgetUsd": 100}) == []
    [(message, _)] = BUDGET_AT_MAX.violations([group], {"monthlyBudgetUsd": 100})
    assert message.startswith("with every node group at its maxSize the estimate is $377.92, over the budget $100.00")
    assert "the budget gate counts desiredSize: $77.18" in message
    assert BUDGET_AT_MAX.violations([group], {"monthlyBudgetUsd": 400}) == []


def test_the_collector_is_priced_at_the_scrape_interval_its_configuration_sets() -> None:
    collector = next(r for r in resources_of(synthesized("dev")) if r.type == "aws:amp/scraper:Scraper")

    def priced(configuration: str) -> float:
        changed = dataclasses.replace(collector, props={**collector.props, "scrapeConfiguration": configuration})
        return stack_estimate([changed]).monthly_usd

    every_minute = priced("global:\n  scrape_interval: 60s\n")
    assert priced(str(collector.props["scrapeConfiguration"])) == every_minute  # the stacks scrape every 60 s
    assert priced("global:\n  scrape_interval: 1m\n") == every_minute
    assert priced("global:\n  scrape_interval: 30s\n") > every_minute > priced("global:\n  scrape_interval: 2m\n")
    parses = _scrape_interval.cache_info().misses
    assert priced("global:\n  scrape_interval: 45s\n") == priced("global:\n  scrape_interval: 45s\n")
    assert _scrape_interval.cache_info().misses == parses + 1  # one configuration, parsed once
    assert priced("global: [") == priced("scrape_configs: []") == every_minute  # Prometheus' default: 60 s
    assert priced("global:\n  scrape_interval: 0s\n") == every_minute  # Prometheus reads 0 as its default
    assert priced("global:\n  scrape_interval:\t30s\n") == every_minute  # PyYAML refuses the tab: the default

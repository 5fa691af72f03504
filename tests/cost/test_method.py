"""Each method fix of #28 item 3, on a small graph whose figure is computed by hand here."""

from __future__ import annotations

from typing import Any

import pytest

from eksplatform.cost.estimate import Item, Line, estimate
from eksplatform.cost.usage import parse_usage
from eksplatform.policies.rule import UNKNOWN

EKS = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
SERVICE = "kubernetes:core/v1:Service"
RDS = "aws:rds/instance:Instance"
AURORA = "aws:rds/cluster:Cluster"
AURORA_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
KMS = "aws:kms/key:Key"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
LB = "service.beta.kubernetes.io/aws-load-balancer-"


def _item(type_token: str, props: dict[str, Any], region: str | None = "us-east-1", name: str = "thing") -> Item:
    return Item(urn=f"urn:pulumi:test::p::{type_token}::{name}", type=type_token, props=props, region=region)


def _by_what(lines: list[Line]) -> dict[str, float]:
    return {line.what: line.monthly_usd for line in lines}


def test_an_internet_facing_nlb_pays_one_public_ipv4_address_per_subnet_and_its_egress() -> None:
    annotations = {f"{LB}scheme": "internet-facing", f"{LB}subnets": "subnet-a,subnet-b,subnet-c"}
    public = _item(SERVICE, {"metadata": {"annotations": annotations}, "spec": {"type": "LoadBalancer"}})
    internal = _item(SERVICE, {"spec": {"type": "LoadBalancer"}}, name="internal")

    lines = _by_what(estimate([public]).lines)
    # 3 addresses × 730 h × $0.005; 50 GB (the default) × $0.09 out to the internet.
    assert lines["3 public IPv4 address(es), one per subnet"] == round(3 * 730 * 0.005, 2) == 10.95
    assert lines["data out to the internet, 50 GB"] == round(50 * 0.09, 2) == 4.50
    # An internal NLB (the controller's default scheme) has no public address and no internet egress.
    assert set(_by_what(estimate([internal]).lines)) == {"Network Load Balancer", "NLB capacity, 1 NLCU"}
    # Internet-facing without the subnets annotation: the address count is unknown, so no price.
    unknown = _item(
        SERVICE,
        {"metadata": {"annotations": {f"{LB}scheme": "internet-facing"}}, "spec": {"type": "LoadBalancer"}},
        name="x",
    )
    [missing] = estimate([unknown]).unpriced
    assert "public IPv4 addresses without" in missing.reason


def test_a_read_replica_is_an_instance_with_its_sources_storage() -> None:
    source = _item(RDS, {"identifier": "orders", "instanceClass": "db.t4g.medium", "allocatedStorage": 100}, name="src")
    replica = _item(
        RDS,
        {"replicateSourceDb": "arn:aws:rds:us-east-1:111111111111:db:orders", "instanceClass": "db.t4g.small"},
        name="replica",
    )
    found = estimate([source, replica])
    assert found.unpriced == []
    lines = [line for line in found.lines if line.urn.endswith("::replica")]
    # db.t4g.small Single-AZ 730 h × $0.032; the source's 100 GB × $0.115.
    assert [line.monthly_usd for line in lines] == [round(730 * 0.032, 2), round(100 * 0.115, 2)] == [23.36, 11.5]
    assert lines[0].what.startswith("read replica of src")
    # A replica whose source is not in the stack is unpriced, never $0 storage.
    [missing] = estimate([replica]).unpriced
    assert "source" in missing.reason


def test_aurora_io_optimized_bills_more_per_instance_and_gb_and_nothing_per_io() -> None:
    def aurora(storage_type: str | None) -> dict[str, float]:
        cluster = {"clusterIdentifier": "db", "masterUsername": "admin", "storageType": storage_type}
        instance = {"clusterIdentifier": "db", "instanceClass": "db.r7g.large"}
        return _by_what(estimate([_item(AURORA, cluster, name="c"), _item(AURORA_INSTANCE, instance, name="i")]).lines)

    standard, optimized = aurora(None), aurora("aurora-iopt1")
    assert standard == {
        "Aurora db.r7g.large": round(730 * 0.276, 2),  # 201.48
        "Aurora storage, 50 GB": round(50 * 0.10, 2),
        "Aurora I/O, 50 million": round(50 * 0.20, 2),
    }
    assert optimized == {
        "Aurora I/O-Optimized db.r7g.large": round(730 * 0.276 * 1.3, 2),  # 261.92
        "Aurora I/O-Optimized storage, 50 GB": round(50 * 0.10 * 2.25, 2),  # 11.25
    }


def test_global_database_secondaries_pay_for_the_primarys_replicated_writes() -> None:
    primary = _item(AURORA, {"clusterIdentifier": "p", "globalClusterIdentifier": "g", "masterUsername": "a"}, name="p")
    secondary = _item(AURORA, {"clusterIdentifier": "s", "globalClusterIdentifier": "g"}, "eu-west-1", name="s")
    usage = parse_usage({"resources": {"p": {"auroraIoMillions": 80, "auroraWriteShare": 0.25}}})

    lines = estimate([primary, secondary], usage).lines
    writes = [line for line in lines if line.what.startswith("replicated write I/O")]
    # The primary's 80 million I/Os × 25 % writes = 20 million, at eu-west-1's $0.22 per million.
    assert [(line.urn.rsplit("::", 1)[-1], line.quantity, line.monthly_usd) for line in writes] == [("s", 20, 4.40)]


def test_an_io_optimized_secondary_is_charged_replicated_writes_as_a_stated_assumption() -> None:
    primary = _item(
        AURORA, {"globalClusterIdentifier": "g", "masterUsername": "a", "storageType": "aurora-iopt1"}, name="p"
    )
    secondary = _item(AURORA, {"globalClusterIdentifier": "g", "storageType": "aurora-iopt1"}, "eu-west-1", name="s")
    found = estimate([primary, secondary])
    # 50 million × 0.5 = 25 million × $0.22: charged, and the report lists why.
    assert _by_what(found.lines)["replicated write I/O, 25 million"] == 5.50
    assert {"replicated-writes-io-optimized", "io-optimized-factors"} <= found.assumptions
    standard = estimate(
        [
            _item(AURORA, {"globalClusterIdentifier": "g", "masterUsername": "a"}, name="p"),
            _item(AURORA, {"globalClusterIdentifier": "g"}, "eu-west-1", name="s"),
        ]
    )
    assert "replicated-writes-io-optimized" not in standard.assumptions


@pytest.mark.parametrize(
    ("version", "support_type", "hourly"),
    [
        ("1.35", "EXTENDED", 0.10),  # still in standard support on the calendar
        # Standard support ends 2026-12-02, within the month priced after the calendar's 2026-11-28.
        ("1.34", "EXTENDED", 0.60),
        ("1.34", "STANDARD", 0.10),
        ("1.32", "EXTENDED", 0.60),  # standard support ended 2026-03-23: extended
        ("1.32", None, 0.60),  # EXTENDED is the API's default
        ("1.32", "STANDARD", 0.10),  # EKS upgrades it instead of charging extended support
    ],
)
def test_eks_extended_support_by_version_and_support_type(
    version: str, support_type: str | None, hourly: float
) -> None:
    props: dict[str, Any] = {"version": version}
    if support_type:
        props["upgradePolicy"] = {"supportType": support_type}
    [line] = estimate([_item(EKS, props)]).lines
    assert line.monthly_usd == round(730 * hourly, 2)


@pytest.mark.parametrize(("age_days", "rotations"), [(0, 0), (364, 0), (365, 1), (729, 1), (730, 2), (3650, 2)])
def test_kms_rotations_add_a_dollar_each_for_the_first_two(age_days: int, rotations: int) -> None:
    key = _item(KMS, {"enableKeyRotation": True}, name="k")
    found = estimate([key], parse_usage({"resources": {"k": {"kmsKeyAgeDays": age_days}}}))
    assert found.monthly_usd == 1.0 + rotations
    # A shorter rotation period rotates sooner: 90 days at 200 days old is two rotations already.
    quick = _item(KMS, {"enableKeyRotation": True, "rotationPeriodInDays": 90}, name="k")
    assert estimate([quick], parse_usage({"defaults": {"kmsKeyAgeDays": 200}})).monthly_usd == 3.0
    # Without rotation, only the key.
    assert estimate([_item(KMS, {}, name="k")]).monthly_usd == 1.0


def test_log_volume_follows_the_log_types_enabled_and_the_retention() -> None:
    cluster = _item(EKS, {"name": "c", "version": "1.35", "enabledClusterLogTypes": ["api", "audit", "authenticator"]})
    group = _item(LOG_GROUP, {"name": "/aws/eks/c/cluster", "retentionInDays": 90}, name="g")
    lines = _by_what([line for line in estimate([cluster, group]).lines if line.urn.endswith("::g")])
    # 3 types × 1 GB = 3 GB at $0.50; 90 days hold 90 / (365 / 12) months of it at $0.03 per GB-month.
    stored = round(3 * 90 / (365 / 12), 4)
    assert lines == {
        "log ingestion, 3 EKS log type(s), 3 GB": 1.50,
        f"log storage, {stored:g} GB (kept 90 days)": round(stored * 0.03, 2),
    }
    # Never expiring: priced as 12 months held (the documented assumption).
    forever = _item(LOG_GROUP, {"name": "/aws/eks/c/cluster"}, name="g")
    storage = [line for line in estimate([cluster, forever]).lines if line.what.startswith("log storage")]
    assert [line.quantity for line in storage] == [36]


def test_node_groups_give_a_range_from_min_to_max() -> None:
    props = {
        "instanceTypes": ["m7i.large"],
        "scalingConfig": {"minSize": 1, "desiredSize": 2, "maxSize": 5},
        "diskSize": 20,
    }
    found = estimate([_item(NODE_GROUP, props)])
    # Compute at $0.1008 an hour and 20 GB gp3 per node at $0.08, plus 100 GB across AZs at $0.02.
    # Per node: 730 × 0.1008 = 73.584 + 20 × 0.08 = 1.60 -> 75.184; cross-AZ 100 × 0.02 = 2.00.
    assert found.monthly_usd == 152.37  # 2 nodes: 147.17 + 3.20 + 2.00
    assert found.monthly_low_usd == 77.18  # 1 node: 73.58 + 1.60 + 2.00
    assert found.monthly_high_usd == 377.92  # 5 nodes: 367.92 + 8.00 + 2.00
    assert found.range_text() == "$77.18 – $377.92"


def test_anything_unpriced_leaves_the_range_without_an_upper_bound() -> None:
    found = estimate([_item(EKS, {"version": "1.35"}), _item("aws:s3/bucket:Bucket", {})])
    assert found.monthly_high_usd is None
    assert found.range_text() == "$73.00 – no upper bound (unpriced resources)"


UNKNOWN_SUBNETS = {f"{LB}scheme": "internet-facing", f"{LB}subnets": UNKNOWN}


def test_a_previews_unknown_nlb_subnets_are_priced_from_the_public_subnets_in_the_region() -> None:
    service = _item(
        SERVICE, {"metadata": {"annotations": UNKNOWN_SUBNETS}, "spec": {"type": "LoadBalancer"}}, name="nlb"
    )
    public = [
        _item("aws:ec2/subnet:Subnet", {"tags": {"kubernetes.io/role/elb": "1"}}, name=f"public-{n}") for n in (1, 2)
    ]
    private = _item("aws:ec2/subnet:Subnet", {"tags": {}}, name="private")
    found = estimate([service, *public, private])
    assert found.unpriced == [] and found.pending == []
    # 2 addresses × 730 h × $0.005 = $7.30.
    assert _by_what(found.lines)["2 public IPv4 address(es), one per public subnet (IDs unknown until apply)"] == 7.30
    # No subnet in sight: the region's bound, one per AZ that EKS accepts (us-east-1: 5), 5 × 3.65.
    alone = estimate([service])
    assert alone.unpriced == []
    assert _by_what(alone.lines)["5 public IPv4 address(es), at most one per AZ (subnets unknown until apply)"] == 18.25


def test_an_unknown_input_is_pending_not_unpriced() -> None:
    group = _item(NODE_GROUP, {"instanceTypes": ["m7i.large"], "scalingConfig": {"desiredSize": UNKNOWN}}, name="ng")
    found = estimate([group])
    assert found.unpriced == []
    assert [u.reason for u in found.pending] == ["scalingConfig.desiredSize is unknown until apply"]
    assert found.monthly_high_usd is None


def test_an_unknown_desired_size_is_priced_at_the_known_maximum_not_left_out() -> None:
    # 4 nodes at $0.1008 an hour (m7i.large, us-east-1) for 730 hours, by hand: $294.336.
    group = _item(
        NODE_GROUP,
        {"instanceTypes": ["m7i.large"], "scalingConfig": {"desiredSize": UNKNOWN, "minSize": 1, "maxSize": 4}},
        name="ng",
    )
    found = estimate([group])
    assert found.unpriced == [] and found.pending == []
    assert round(sum(line.monthly_usd for line in found.lines if "m7i.large" in line.what), 2) == 294.34


def test_a_secondary_with_an_unknown_global_cluster_id_still_pays_replicated_writes() -> None:
    primary = _item(AURORA, {"globalClusterIdentifier": "g", "masterUsername": "admin"}, name="primary")
    secondary = _item(AURORA, {"globalClusterIdentifier": UNKNOWN}, region="eu-west-1", name="secondary")
    global_cluster = _item("aws:rds/globalCluster:GlobalCluster", {}, name="global")
    found = estimate([primary, secondary, global_cluster])
    lines = {(line.urn.rsplit("::", 1)[-1], line.what): line.monthly_usd for line in found.lines}
    # The primary's 50 million I/Os × 0.5 written = 25 million × $0.22 in eu-west-1 = $5.50.
    assert lines[("secondary", "replicated write I/O, 25 million")] == 5.50
    # 50 GB to one secondary region × $0.02.
    assert lines[("global", "replication to 1 secondary region(s), 50 GB each")] == 1.00


RECORD = "aws:route53/record:Record"


def test_routed_records_pay_for_their_queries_and_plain_ones_do_not() -> None:
    latency = [
        _item(RECORD, {"name": "api.x", "setIdentifier": r, "latencyRoutingPolicies": [{"region": r}]}, name=f"l-{r}")
        for r in ("us-east-1", "eu-west-1")
    ]
    weighted = _item(RECORD, {"name": "primary.x", "setIdentifier": "w", "weightedRoutingPolicies": [{"weight": 1}]})
    validation = _item(RECORD, {"name": "_acme.x", "type": "CNAME"}, name="validation")
    lines = _by_what(estimate([*latency, weighted, validation]).lines)
    # api.x: 5 million queries split over 2 records, 2.5 million each × $0.60; primary.x: 5 × $0.40.
    assert lines == {
        "latency queries, 2.5 million (of 2 record(s))": 1.50,
        "standard queries, 5 million (of 1 record(s))": 2.00,
    }


def test_enhanced_monitoring_pays_for_its_logs() -> None:
    instance = _item(AURORA_INSTANCE, {"instanceClass": "db.r7g.large", "monitoringInterval": 60}, name="i")
    lines = _by_what(estimate([instance]).lines)
    # 0.5 GB × $0.50 ingested, 0.5 GB × $0.03 stored; every 15 s is four times the volume.
    assert lines["Enhanced Monitoring every 60 s, 0.5 GB of logs"] == 0.25
    assert lines["Enhanced Monitoring logs kept a month, 0.5 GB"] == 0.01  # $0.015 rounds down (float)
    fast = _item(AURORA_INSTANCE, {"instanceClass": "db.r7g.large", "monitoringInterval": 15}, name="i")
    assert _by_what(estimate([fast]).lines)["Enhanced Monitoring every 15 s, 2 GB of logs"] == 1.00
    off = _item(AURORA_INSTANCE, {"instanceClass": "db.r7g.large", "monitoringInterval": 0}, name="i")
    assert not any("Enhanced" in line.what for line in estimate([off]).lines)


def test_cache_snapshots_kept_are_priced() -> None:
    props = {"nodeType": "cache.m7g.large", "engine": "valkey", "numCacheClusters": 2, "snapshotRetentionLimit": 7}
    lines = _by_what(estimate([_item("aws:elasticache/replicationGroup:ReplicationGroup", props)]).lines)
    # 7 daily snapshots × 1 GB × $0.085.
    assert lines["7 daily snapshot(s), 7 GB"] == 0.60

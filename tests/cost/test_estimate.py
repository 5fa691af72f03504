"""The estimate's arithmetic on small known graphs, and the price table's own promises."""

from __future__ import annotations

import re
from typing import Any

import pytest

from eksplatform.cost.estimate import Item, estimate, provider_region
from eksplatform.cost.prices import ASSUMPTIONS, REGIONS, rows

SPOT = ASSUMPTIONS["spot-price-factor"].value


def _item(type_token: str, props: dict[str, Any], region: str | None = "us-east-1", name: str = "thing") -> Item:
    return Item(urn=f"urn:pulumi:test::p::{type_token}::{name}", type=type_token, props=props, region=region)


def test_one_eks_control_plane_is_73_dollars() -> None:
    found = estimate([_item("aws:eks/cluster:Cluster", {"name": "c"})])

    assert found.monthly_usd == 73.00
    [line] = found.lines
    assert (line.quantity, line.unit_usd, line.unit) == (730, 0.10, "cluster-hour")
    assert line.source.startswith("https://aws.amazon.com/eks/pricing")
    assert found.unpriced == []


def test_the_same_resource_costs_what_its_region_charges() -> None:
    def nat(region: str) -> float:
        return estimate([_item("aws:ec2/natGateway:NatGateway", {}, region=region)]).monthly_usd

    # 730 h × hourly + 100 GB processed × per-GB + 10 GB out to the internet (the stated assumptions).
    assert nat("us-east-1") == round(730 * 0.045 + 100 * 0.045, 2) + round(10 * 0.09, 2) == 38.25
    assert nat("eu-west-1") == round(730 * 0.048 + 100 * 0.048, 2) + round(10 * 0.09, 2) == 40.74
    assert nat("ap-southeast-1") == round(730 * 0.059 + 100 * 0.059, 2) + round(10 * 0.12, 2) == 50.17
    assert nat("us-east-1") < nat("eu-west-1") < nat("ap-southeast-1")


def _node_group(capacity_type: str, types: list[str], desired: int = 2) -> Item:
    props = {
        "instanceTypes": types,
        "capacityType": capacity_type,
        "scalingConfig": {"minSize": 1, "desiredSize": desired, "maxSize": 4},
        "diskSize": 50,
    }
    return _item("aws:eks/nodeGroup:NodeGroup", props)


def test_spot_node_groups_pay_the_stated_fraction_of_on_demand() -> None:
    on_demand = estimate([_node_group("ON_DEMAND", ["m7i.large"])])
    spot = estimate([_node_group("SPOT", ["m7i.large", "m6i.large"])])

    assert on_demand.lines[0].monthly_usd == round(2 * 730 * 0.1008, 2) == 147.17
    assert spot.lines[0].monthly_usd == round(2 * 730 * 0.1008 * SPOT, 2)
    assert "SPOT" in spot.lines[0].what
    assert "spot-price-factor" in spot.assumptions and "spot-price-factor" not in on_demand.assumptions
    assert "node-group-first-type" in spot.assumptions  # priced at m7i.large, its first type
    # The root volumes are the same either way: 2 × 50 GB of gp3.
    assert on_demand.lines[1].monthly_usd == spot.lines[1].monthly_usd == round(100 * 0.08, 2)


def test_multi_az_doubles_the_instance_and_its_storage() -> None:
    def rds(multi_az: bool) -> list[float]:
        props = {"instanceClass": "db.t4g.medium", "allocatedStorage": 100, "multiAz": multi_az}
        return [line.monthly_usd for line in estimate([_item("aws:rds/instance:Instance", props)]).lines]

    single, multi = rds(False), rds(True)
    assert single == [round(730 * 0.065, 2), round(100 * 0.115, 2)]
    assert multi == [round(2 * 730 * 0.065, 2), round(200 * 0.115, 2)]


def test_replication_groups_count_every_node() -> None:
    cluster_mode = {"nodeType": "cache.m7g.large", "engine": "valkey", "numNodeGroups": 2, "replicasPerNodeGroup": 1}
    single = {"nodeType": "cache.t4g.micro", "engine": "valkey", "numCacheClusters": 1}
    group = "aws:elasticache/replicationGroup:ReplicationGroup"

    assert estimate([_item(group, cluster_mode)]).monthly_usd == round(4 * 730 * 0.1264, 2)
    assert estimate([_item(group, single)]).monthly_usd == round(730 * 0.0128, 2)


def test_global_datastore_secondaries_pay_for_the_primarys_node_type_and_the_replication() -> None:
    # A secondary may not name node type, engine or shards (it inherits them): they come from the
    # primary; its replica count is its own. The datastore adds inter-region transfer per secondary.
    group = "aws:elasticache/replicationGroup:ReplicationGroup"
    datastore = "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup"
    primary = {
        "replicationGroupId": "platform-prod-use1-queue",
        "nodeType": "cache.m7g.large",
        "engine": "valkey",
        "numNodeGroups": 2,
        "replicasPerNodeGroup": 1,
    }
    items = [
        _item(group, primary, name="primary"),
        _item(
            datastore,
            {
                "globalReplicationGroupIdSuffix": "platform-prod-queue",
                "primaryReplicationGroupId": primary["replicationGroupId"],
            },
            name="datastore",
        ),
        _item(
            group,
            {"globalReplicationGroupId": "ldgnf-platform-prod-queue", "replicasPerNodeGroup": 2},
            region="eu-west-1",
            name="secondary",
        ),
    ]
    found = estimate(items)
    assert found.unpriced == []
    by_name = {line.urn.rsplit("::", 1)[-1]: line for line in found.lines}
    assert by_name["secondary"].monthly_usd == round(2 * 3 * 730 * 0.1400, 2)  # 2 shards x (1 + 2), eu-west-1
    assert "cache.m7g.large" in by_name["secondary"].what
    transfer = ASSUMPTIONS["queue-replication-gb"].value
    assert by_name["datastore"].monthly_usd == round(transfer * 0.02, 2)
    assert "queue-replication-gb" in found.assumptions
    # Without its primary in the stack, a member is listed as unpriced, never dropped silently.
    orphan = estimate([items[2]])
    assert [u.reason for u in orphan.unpriced] == [
        "no price for a Global Datastore member whose primary is not in this stack"
    ]


def test_a_proxy_is_billed_for_the_vcpus_behind_it() -> None:
    parent = "urn:pulumi:test::p::platform:index:ManagedPostgres::db"
    instance = "aws:rds/clusterInstance:ClusterInstance"
    items = [
        Item("urn:proxy", "aws:rds/proxy:Proxy", {"name": "db-proxy"}, "us-east-1", parent=parent),
        Item(
            "urn:t",
            "aws:rds/proxyTarget:ProxyTarget",
            {"dbProxyName": "db-proxy", "dbClusterIdentifier": "db"},
            "us-east-1",
        ),
        *(
            Item(f"urn:i{n}", instance, {"instanceClass": "db.r7g.xlarge", "clusterIdentifier": "db"}, "us-east-1")
            for n in range(2)
        ),
        # Another database's instance is not behind this proxy.
        Item("urn:other", instance, {"instanceClass": "db.r7g.2xlarge", "clusterIdentifier": "other"}, "us-east-1"),
    ]
    proxy = [line for line in estimate(items).lines if line.urn == "urn:proxy"]
    assert [(line.quantity, line.monthly_usd) for line in proxy] == [(8 * 730, round(8 * 730 * 0.015, 2))]
    assert proxy[0].component == "db"


def test_what_has_no_price_is_listed_and_counted_never_a_crash() -> None:
    found = estimate(
        [
            _item("aws:s3/bucket:Bucket", {"bucket": "b"}),
            _item(
                "aws:eks/nodeGroup:NodeGroup", {"instanceTypes": ["m5.24xlarge"], "scalingConfig": {"desiredSize": 1}}
            ),
            _item("aws:ec2/natGateway:NatGateway", {}, region="sa-east-1"),
            _item("aws:eks/cluster:Cluster", {}, region=None, name="cluster"),
            _item("aws:rds/instance:Instance", {"instanceClass": "db.t4g.micro", "allocatedStorage": None}),
            _item("aws:eks/cluster:Cluster", {}),
        ]
    )

    assert [u.reason for u in found.unpriced] == [
        "no price for aws:s3/bucket:Bucket",
        "no price for ec2.m5.24xlarge in us-east-1",
        "no price for vpc.nat-gateway in sa-east-1",
        "no region known for aws:eks/cluster:Cluster (its provider names none)",
        "no price without a known allocatedStorage",
    ]
    assert found.monthly_usd == 73.00  # only the last cluster


def test_malformed_nested_values_from_a_foreign_export_are_not_a_crash() -> None:
    template = Item(
        "urn:lt", "aws:ec2/launchTemplate:LaunchTemplate", {"blockDeviceMappings": ["not-a-mapping"]}, "us-east-1"
    )
    group = {"instanceTypes": "m7i.large", "scalingConfig": {"desiredSize": 1}}
    found = estimate(
        [
            template,
            Item(
                "urn:ng",
                "aws:eks/nodeGroup:NodeGroup",
                {**group, "instanceTypes": ["m7i.large"]},
                "us-east-1",
                dependencies=["urn:lt"],
            ),
            _item("aws:eks/nodeGroup:NodeGroup", {**group, "scalingConfig": "3"}),
            _item("aws:eks/nodeGroup:NodeGroup", group),
            _item("kubernetes:core/v1:Service", {"spec": "LoadBalancer"}, region=None),
        ]
    )

    assert [u.reason for u in found.unpriced] == [
        "no price without a known scalingConfig.desiredSize",
        "no price for a node group without instanceTypes",
    ]
    assert "node-disk-gb" in found.assumptions  # the template's device said nothing usable


def test_free_resources_give_no_line_and_are_not_unpriced() -> None:
    found = estimate(
        [
            _item("aws:iam/role:Role", {}),
            _item(
                "aws:ec2/vpcEndpoint:VpcEndpoint", {"vpcEndpointType": "Gateway", "serviceName": "com.amazonaws.x.s3"}
            ),
            _item("kubernetes:core/v1:Service", {"spec": {"type": "ClusterIP"}}, region=None),
            _item("kubernetes:apps/v1:Deployment", {}, region=None),
        ]
    )
    assert (found.lines, found.unpriced) == ([], [])


def test_interface_endpoints_and_load_balancer_services_are_priced() -> None:
    endpoint = {
        "vpcEndpointType": "Interface",
        "serviceName": "com.amazonaws.eu-west-1.sts",
        "subnetIds": ["a", "b", "c"],
    }
    service = {"spec": {"type": "LoadBalancer"}}
    found = estimate(
        [
            _item("aws:ec2/vpcEndpoint:VpcEndpoint", endpoint, region="eu-west-1"),
            _item("kubernetes:core/v1:Service", service, region=None, name="ap-southeast-1-ingress-nlb"),
        ]
    )
    assert [(line.region, line.monthly_usd) for line in found.lines] == [
        ("eu-west-1", round(3 * 730 * 0.011, 2)),
        ("eu-west-1", 0.05),  # 5 GB processed × $0.01
        ("ap-southeast-1", round(730 * 0.0252, 2)),
        ("ap-southeast-1", round(730 * 0.006, 2)),
    ]


def test_health_checks_pay_for_each_optional_feature() -> None:
    props = {"type": "HTTPS", "requestInterval": 10, "measureLatency": True}
    lines = estimate([_item("aws:route53/healthCheck:HealthCheck", props)]).lines
    assert [(line.quantity, line.monthly_usd) for line in lines] == [(1, 0.50), (3, 3.00)]


def test_provider_regions() -> None:
    assert provider_region({"region": "eu-west-1"}) == "eu-west-1"
    kubeconfig = '{"clusters": [{"cluster": {"server": "https://ABC.gr7.ap-southeast-1.eks.amazonaws.com"}}]}'
    assert provider_region({"kubeconfig": kubeconfig}) == "ap-southeast-1"
    assert provider_region({"kubeconfig": "[secret]"}) is None


@pytest.mark.parametrize("row", rows(), ids=lambda row: str(row[0]) if isinstance(row, tuple) else "")
def test_every_price_row_names_its_source_and_date_and_covers_the_regions(row: Any) -> None:
    item, unit, usd, source, read = row
    # A derived row says so and names the page its rule comes from.
    assert source.startswith("https://aws.amazon.com/") or (
        source.startswith("derived: ") and "https://aws.amazon.com/" in source
    ), item
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", read), item
    assert unit
    assert set(usd) == {"*"} or set(usd) == set(REGIONS), item
    assert all(value >= 0 for value in usd.values())


def test_ecr_repositories_pay_storage_and_replication_pays_transfer_per_destination() -> None:
    repository = _item("aws:ecr/repository:Repository", {"name": "platform/lang-c"})
    lifecycle = _item("aws:ecr/lifecyclePolicy:LifecyclePolicy", {"repository": "platform/lang-c"})
    replication = _item(
        "aws:ecr/replicationConfiguration:ReplicationConfiguration",
        {
            "replicationConfiguration": {
                "rules": [
                    {
                        "destinations": [
                            {"region": "eu-west-1", "registryId": "111111111111"},
                            {"region": "ap-southeast-1", "registryId": "111111111111"},
                        ]
                    }
                ]
            }
        },
    )
    found = estimate([repository, lifecycle, replication])
    storage, transfer = found.lines
    gigabytes = ASSUMPTIONS["ecr-gb-per-repository"].value
    assert storage.monthly_usd == round(gigabytes * 0.10, 2)
    assert storage.source.startswith("https://aws.amazon.com/ecr/pricing")
    # 10 GB to each of two regions at us-east-1's inter-region rate.
    assert transfer.quantity == 2 * ASSUMPTIONS["ecr-replication-gb"].value
    assert transfer.monthly_usd == round(20 * 0.02, 2)
    assert {"ecr-gb-per-repository", "ecr-replication-gb"} <= found.assumptions
    assert found.unpriced == []  # the lifecycle policy is free

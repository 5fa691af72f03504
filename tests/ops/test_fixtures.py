"""What the ops tests share (conftest.py) is read-only or loaded once; each test's AWS account is its own."""

from __future__ import annotations

import gc
import sys

import boto3
import pytest
from botocore.stub import Stubber

AWS_SERVICES = ("rds",)  # loaded before the first test (conftest.py)


@pytest.mark.parametrize("turn", ["first", "second"])
def test_each_test_starts_with_an_empty_account(turn: str) -> None:
    # Both turns create the same cluster: whichever runs second fails if the first one's leaked.
    rds = boto3.client("rds", region_name="us-east-1")
    assert rds.describe_db_clusters()["DBClusters"] == []
    rds.create_db_cluster(
        DBClusterIdentifier="platform-prod-use1",
        Engine="aurora-postgresql",
        MasterUsername="platform_admin",
        MasterUserPassword="not-a-real-password-1",
    )
    assert [c["DBClusterIdentifier"] for c in rds.describe_db_clusters()["DBClusters"]] == ["platform-prod-use1"]


def test_clients_share_their_class_but_nothing_a_test_changes() -> None:
    first, second = boto3.client("rds", region_name="us-east-1"), boto3.client("rds", region_name="us-east-1")
    assert type(first) is type(second)
    assert type(boto3.client("kms", region_name="us-east-1")) is not type(first)
    # A Stubber (as test_failover's stand-ins use) changes its own client only.
    with Stubber(first) as stubbed:
        stubbed.add_response("describe_db_clusters", {"DBClusters": [{"DBClusterIdentifier": "stubbed"}]})
        assert first.describe_db_clusters()["DBClusters"] == [{"DBClusterIdentifier": "stubbed"}]
        assert second.describe_db_clusters()["DBClusters"] == []


def test_the_modules_services_are_left_out_of_later_collections() -> None:
    """Loaded before the module's first test and frozen: no full collection walks them again."""
    loader = boto3.Session()._session.get_component("data_loader")  # the sessions' shared loader
    models = [model for key, model in loader._cache.items() if key[:3] == ("load_service_model", "rds", "service-2")]
    assert models, "the RDS model was not loaded through the shared loader"
    collected = {id(tracked) for tracked in gc.get_objects()}
    assert sum(id(model) in collected for model in models) == 0
    assert id(vars(sys.modules["moto.rds.models"])) not in collected

"""The observability example, run under the Pulumi mocks with its dev stack file."""

import json
from pathlib import Path

import pytest
import yaml

from eksplatform.preflight.synth import Graph, synth
from eksplatform.stack.loading import read_stack_file

EXAMPLE = Path(__file__).resolve().parents[1]
KUBECONFIG = "apiVersion: v1\nkind: Config\n"  # set as a secret in a real stack (README.md)


@pytest.fixture(scope="module")
def example() -> Graph:
    values = {**read_stack_file(EXAMPLE / "Pulumi.dev.yaml"), "observability-example:kubeconfig": KUBECONFIG}
    return synth("dev", project_dir=EXAMPLE, stack_values=values)


def test_the_topics_are_encrypted_and_page_the_configured_address(example: Graph) -> None:
    topics = {t.name: t for t in example.by_type("aws:sns/topic:Topic")}
    assert sorted(topics) == ["alerts-critical", "alerts-heartbeat", "alerts-warning"]
    assert all(t.inputs["kmsMasterKeyId"] for t in topics.values())
    (subscription,) = example.by_type("aws:sns/topicSubscription:TopicSubscription")
    assert subscription.inputs["endpoint"] == "oncall@example.com"
    assert subscription.inputs["topic"] == topics["alerts-critical"].outputs["arn"]


def test_the_collector_scrapes_the_configured_cluster_from_its_private_subnets(example: Graph) -> None:
    eks = example.one("aws:amp/scraper:Scraper").inputs["source"]["eks"]
    assert eks["clusterArn"] == "arn:aws:eks:us-east-1:111111111111:cluster/shop-dev"
    assert eks["subnetIds"] == ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0bbbbbbbbbbbbbbb2"]
    assert eks["securityGroupIds"] == ["sg-0123456789abcdef0"]


def test_the_kubernetes_parts_go_to_the_cluster_provider_and_the_aws_parts_to_the_region(example: Graph) -> None:
    for resource in example.resources:
        if not resource.custom or resource.is_provider:
            continue
        expected = "::cluster" if resource.type.startswith("kubernetes:") else "::aws-us-east-1"
        assert resource.provider_urn.endswith(expected), resource.urn


def test_the_given_threshold_changes_one_rule_and_the_others_keep_their_defaults(example: Graph) -> None:
    data = yaml.safe_load(example.one("aws:amp/ruleGroupNamespace:RuleGroupNamespace").inputs["data"])
    thresholds = {r["alert"]: r["annotations"]["threshold"] for g in data["groups"] for r in g["rules"]}
    assert thresholds["PodCpuHigh"] == "0.7"
    assert thresholds["ErrorRateCritical"] == "0.01" and thresholds["LatencyP95Critical"] == "0.5"


def test_the_database_log_is_watched_and_dev_is_not_protected(example: Graph) -> None:
    filters = example.by_type("aws:cloudwatch/logMetricFilter:LogMetricFilter")
    assert {f.inputs["logGroupName"] for f in filters} == {"/aws/rds/cluster/shop-dev-db/postgresql"}
    bucket = example.one("aws:s3/bucket:Bucket")
    assert not bucket.protect and bucket.inputs["forceDestroy"] is True
    lifecycle = example.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    assert lifecycle.inputs["rules"][0]["expiration"]["days"] == 365


def test_the_dashboard_is_named_after_the_cluster(example: Graph) -> None:
    dashboard = example.one("aws:cloudwatch/dashboard:Dashboard")
    assert dashboard.inputs["dashboardName"] == "shop-dev"
    assert json.loads(dashboard.inputs["dashboardBody"])["widgets"]

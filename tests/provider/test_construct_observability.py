"""Construct, in-process under the mocks, for AlertTopics and Observability (see test_construct.py).

Another language passes camelCase inputs (nested thresholds as maps, enums as their values) and
its providers in the options; the registered children must be the ones the Python component makes.
"""

import json
from typing import Any

import pytest
import yaml
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.server import ComponentInitError

from tests.conftest import Harness
from tests.provider.test_construct import construct

TOPIC = "arn:aws:sns:us-east-1:111111111111:{}"
OBSERVABILITY: dict[str, Any] = {
    "clusterName": "shop-prod",
    "region": "us-east-1",
    "clusterArn": "arn:aws:eks:us-east-1:111111111111:cluster/shop-prod",
    "clusterSecurityGroupId": "sg-0cluster",
    "privateSubnetIds": ["subnet-a", "subnet-b"],
    "privateSubnetCidrs": ["10.0.0.0/20", "10.0.16.0/20"],
    "vpcCidr": "10.0.0.0/16",
    "oidcProviderArn": "arn:aws:iam::111111111111:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/X",
    "oidcIssuerUrl": "https://oidc.eks.us-east-1.amazonaws.com/id/X",
    "controlPlaneLogGroup": "/aws/eks/shop-prod/cluster",
    "databaseIdentifier": "shop-prod-db",
    "databaseLogGroup": "/aws/rds/cluster/shop-prod-db/postgresql",
    "cacheGroups": ["shop-prod-cache"],
    "sandboxNamespace": "sandbox",
    "serviceNamespaces": ["sandbox", "traefik"],
    "ingressNamespace": "traefik",
    "ingressPodLabels": {"app.kubernetes.io/name": "traefik"},
    "nodeGroupMaxSizes": {"system": 6.0},  # numbers inside maps cross the wire as floats
    "criticalTopicArn": TOPIC.format("critical"),
    "warningTopicArn": TOPIC.format("warning"),
    "heartbeatTopicArn": TOPIC.format("heartbeat"),
    "addonVersions": {
        "amazon-cloudwatch-observability": "v4.7.0-eksbuild.1",
        "kube-state-metrics": "v2.14.0-eksbuild.1",
        "prometheus-node-exporter": "v1.9.1-eksbuild.2",
    },
    "thresholds": {"critical": {"p95LatencyMs": 1000}, "warning": {"slowQuerySeconds": 2}},
    "archiveDays": 400,
    "protect": False,
}


def test_alert_topics_from_another_language_subscribe_each_topic(harness: Harness, provider: ComponentProvider) -> None:
    inputs = {
        "clusterName": "shop-prod",
        "criticalSubscriptions": [
            {"protocol": "email", "endpoint": "oncall@example.com"},
            {"protocol": "https", "endpoint": "https://pager.example.com/hook"},
        ],
        "heartbeatSubscriptions": [{"protocol": "https", "endpoint": "https://deadman.example.com/ping"}],
    }
    graph, state = construct(harness, provider, "platform:index:AlertTopics", inputs, kubernetes=False)
    topics = graph.by_type("aws:sns/topic:Topic")
    assert sorted(t.name for t in topics) == ["x-critical", "x-heartbeat", "x-warning"]
    assert all(t.inputs["kmsMasterKeyId"] for t in topics)
    subscriptions = {s.name: s.inputs for s in graph.by_type("aws:sns/topicSubscription:TopicSubscription")}
    assert subscriptions["x-critical-subscription-1"]["protocol"] == "https"
    assert subscriptions["x-heartbeat-subscription-0"]["endpoint"] == "https://deadman.example.com/ping"
    assert len(subscriptions) == 3  # warning: none (the default)
    assert set(state) == {"criticalTopicArn", "warningTopicArn", "heartbeatTopicArn"}


def test_observability_from_another_language_registers_its_children_on_the_given_providers(
    harness: Harness, provider: ComponentProvider
) -> None:
    graph, state = construct(harness, provider, "platform:index:Observability", OBSERVABILITY, kubernetes=True)
    component = graph.one("platform:index:Observability", "x")
    kubernetes = [r for r in graph.resources if r.type.startswith("kubernetes:") and r.custom]
    assert kubernetes and all(r.provider_urn.endswith("pulumi:providers:kubernetes::cluster") for r in kubernetes)
    namespaces = sorted(r.inputs["metadata"]["name"] for r in graph.by_type("kubernetes:core/v1:Namespace"))
    assert namespaces == ["amazon-cloudwatch", "kube-state-metrics", "prometheus-node-exporter"]
    policies = {r.inputs["arn"] for r in graph.by_type("aws:sns/topicPolicy:TopicPolicy")}
    assert policies == {TOPIC.format(kind) for kind in ("critical", "warning", "heartbeat")}
    rules = yaml.safe_load(graph.one("aws:amp/ruleGroupNamespace:RuleGroupNamespace", "x-alert-rules").inputs["data"])
    p95 = [r for g in rules["groups"] for r in g["rules"] if r["alert"] == "LatencyP95Critical"]
    assert p95[0]["expr"].endswith("> 1")  # 1000 ms, in seconds
    node_group = [r for g in rules["groups"] for r in g["rules"] if r["alert"] == "NodeGroupAtMaximum"]
    assert node_group and all(r["annotations"]["threshold"] == "6" for r in node_group)
    slow = graph.one("aws:cloudwatch/logMetricFilter:LogMetricFilter", "x-slow-queries").inputs["pattern"]
    assert "milliseconds>=2000" in slow
    lifecycle = graph.one("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "x-log-archive-lifecycle")
    assert lifecycle.inputs["rules"][0]["expiration"]["days"] == 400
    assert not graph.one("aws:s3/bucket:Bucket", "x-log-archive").protect
    addon = graph.one("aws:eks/addon:Addon", "x-amazon-cloudwatch-observability")
    assert json.loads(addon.inputs["configurationValues"])["containerLogs"] == {"enabled": True}
    assert all(r.parent == component.urn for r in graph.by_type("aws:eks/addon:Addon"))
    assert set(state) == {"workspaceArn", "criticalTopicArn", "warningTopicArn", "archiveBucket"}


def test_observability_without_a_kubernetes_provider_says_which_option(
    harness: Harness, provider: ComponentProvider
) -> None:
    with pytest.raises(Exception, match=r"opts\.providers: give the cluster's Kubernetes provider"):
        construct(harness, provider, "platform:index:Observability", OBSERVABILITY, kubernetes=False)


def test_a_bad_threshold_from_another_language_is_named_by_its_path(provider: ComponentProvider) -> None:
    inputs = {**OBSERVABILITY, "thresholds": {"warning": {"p95LatencyMs": 300}}}
    with pytest.raises(ComponentInitError, match=r"^args\.thresholds\.warning\.p95LatencyMs: 300 is not a latency"):
        provider.construct("x", "platform:index:Observability", inputs, None)


def test_a_bad_subscription_from_another_language_is_named_by_its_path(provider: ComponentProvider) -> None:
    inputs = {"clusterName": "c", "warningSubscriptions": [{"protocol": "https", "endpoint": "http://pager"}]}
    with pytest.raises(ComponentInitError, match=r"^args\.warningSubscriptions\[0\]\.endpoint: 'http://pager'"):
        provider.construct("x", "platform:index:AlertTopics", inputs, None)

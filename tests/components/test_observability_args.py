"""The public Args of Observability and AlertTopics: plain fields, secure defaults, rules that name the field.

Built directly, the way a Python program uses the components; the stack layer's adapter
(eksplatform/stack/observability_args.py) is checked against the prod stack file at the end.
"""

import ast
import dataclasses
import re
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest

from docgen.args_reference import field_docs
from eksplatform.components import alert_topics, observability
from eksplatform.components.alert_rules import CriticalLevels, Thresholds, WarningLevels
from eksplatform.components.alert_topics import (
    AlertSubscription,
    AlertTopics,
    AlertTopicsArgs,
    AlertTopicsArgsError,
    NotificationProtocol,
)
from eksplatform.components.facts import LATENCY_BUCKETS_SECONDS
from eksplatform.components.inputs import ArgsError, args_from_settings, to_args
from eksplatform.components.observability import (
    AlertThresholds,
    CriticalAlertThresholds,
    Observability,
    ObservabilityArgs,
    ObservabilityArgsError,
    WarningAlertThresholds,
)
from eksplatform.components.providers import regional_aws_provider
from eksplatform.environments import profile
from eksplatform.preflight.synth import PROJECT_ROOT, Graph
from eksplatform.stack.loading import load_stack_file
from eksplatform.stack.observability_args import alert_topics_settings, observability_settings
from tests.conftest import Harness

TAGS = {"environment": "prod", "owner": "o", "cost-center": "c", "managed-by": "pulumi"}
ADDON_VERSIONS = {
    "amazon-cloudwatch-observability": "v4.7.0-eksbuild.1",
    "kube-state-metrics": "v2.14.0-eksbuild.1",
    "prometheus-node-exporter": "v1.9.1-eksbuild.2",
}
REQUIRED: dict[str, Any] = {
    "cluster_name": "shop-prod",
    "region": "us-east-1",
    "cluster_arn": "arn:aws:eks:us-east-1:111111111111:cluster/shop-prod",
    "cluster_security_group_id": "sg-0cluster",
    "private_subnet_ids": ["subnet-a", "subnet-b"],
    "private_subnet_cidrs": ["10.0.0.0/20", "10.0.16.0/20"],
    "vpc_cidr": "10.0.0.0/16",
    "oidc_provider_arn": "arn:aws:iam::111111111111:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/X",
    "oidc_issuer_url": "https://oidc.eks.us-east-1.amazonaws.com/id/X",
    "control_plane_log_group": "/aws/eks/shop-prod/cluster",
    "database_identifier": "shop-prod-db",
    "database_log_group": "/aws/rds/cluster/shop-prod-db/postgresql",
    "cache_groups": ["shop-prod-cache"],
    "sandbox_namespace": "sandbox",
    "service_namespaces": ["sandbox", "traefik"],
    "ingress_namespace": "traefik",
    "ingress_pod_labels": {"app.kubernetes.io/name": "traefik"},
    "node_group_max_sizes": {"system": 6},
    "critical_topic_arn": "arn:aws:sns:us-east-1:111111111111:critical",
    "warning_topic_arn": "arn:aws:sns:us-east-1:111111111111:warning",
    "heartbeat_topic_arn": "arn:aws:sns:us-east-1:111111111111:heartbeat",
    "addon_versions": ADDON_VERSIONS,
}


def args(**changes: Any) -> ObservabilityArgs:
    return ObservabilityArgs(**{**REQUIRED, **changes})


# --- defaults ------------------------------------------------------------------------------------


def test_the_defaults_are_the_issue_25_thresholds_and_the_production_settings() -> None:
    built = args()
    assert built.alert_thresholds == Thresholds(
        critical=CriticalLevels(
            error_rate_percent=1, p95_latency_ms=500, disk_free_percent=10, database_connection_failures=1
        ),
        warning=WarningLevels(
            error_rate_percent=0.5, p95_latency_ms=250, memory_percent=80, cpu_percent=90, slow_query_seconds=5
        ),
    )
    assert built.protected is True and profile("prod").protect_resources
    assert built.archive_kept_days == 365 == profile("prod").min_log_retention_days
    assert (built.retention_days, built.archive_after_days, built.scrape_interval) == (30, 30, 60)


def test_a_partly_given_threshold_keeps_the_other_defaults() -> None:
    resolved = args(thresholds=AlertThresholds(warning=WarningAlertThresholds(cpu_percent=75))).alert_thresholds
    assert resolved.warning.cpu_percent == 75
    assert resolved.warning.memory_percent == 80 and resolved.critical == CriticalLevels()


def _documented_default(cls: type, field: str) -> str:
    # The docstring as the analyzer reads it, from the class that declares the field.
    doc = field_docs(cls).get(field)
    assert doc is not None, f"{cls.__name__}.{field} has no docstring"
    found = re.search(r"Default: (.+)\.$", doc, re.S)
    assert found, f"{cls.__name__}.{field}: the docstring does not end with 'Default: <value>.'"
    return found.group(1)


@pytest.mark.parametrize(
    ("public", "resolved"), [(CriticalAlertThresholds, CriticalLevels), (WarningAlertThresholds, WarningLevels)]
)
def test_each_documented_threshold_default_is_the_one_applied(public: type, resolved: type) -> None:
    for field in dataclasses.fields(public):
        applied = getattr(resolved(), field.name)
        assert float(_documented_default(public, field.name).split()[0]) == applied, field.name


def test_every_optional_field_is_typed_to_admit_none_and_documents_its_default() -> None:
    for cls in (ObservabilityArgs, AlertTopicsArgs, AlertThresholds, CriticalAlertThresholds, WarningAlertThresholds):
        for field in dataclasses.fields(cls):
            if field.default is dataclasses.MISSING:
                continue
            assert field.default is None, f"{cls.__name__}.{field.name}: a default is None (the schema sees no default)"
            _documented_default(cls, field.name)


# --- rules, each named by its field --------------------------------------------------------------

BAD_ARGS: list[tuple[str, dict[str, Any], str]] = [
    ("cluster name", {"cluster_name": "-shop"}, "args.cluster_name: '-shop' is not an EKS cluster name"),
    ("region", {"region": "useast1"}, "args.region: 'useast1' is not an AWS region name"),
    ("namespace", {"ingress_namespace": "Traefik"}, "args.ingress_namespace: 'Traefik' is not a DNS label"),
    (
        "service namespace",
        {"service_namespaces": ["sandbox", "a_b"]},
        "args.service_namespaces[1]: 'a_b' is not a DNS label",
    ),
    ("no service namespace", {"service_namespaces": []}, "args.service_namespaces: name at least one"),
    ("empty pod selector", {"ingress_pod_labels": {}}, "args.ingress_pod_labels: an empty selector"),
    ("no private ranges", {"private_subnet_cidrs": []}, "args.private_subnet_cidrs: name the private subnets"),
    ("node group size", {"node_group_max_sizes": {"system": 0}}, "args.node_group_max_sizes.system: 0 is below 1"),
    ("database log group", {"database_log_group": "/db"}, "args.database_log_group: '/db' is not an RDS log group"),
    (
        "p95 between buckets",
        {"thresholds": AlertThresholds(critical=CriticalAlertThresholds(p95_latency_ms=800))},
        "args.thresholds.critical.p95_latency_ms: 800 is not a latency histogram bucket edge",
    ),
    (
        "warning latency not below critical",
        {"thresholds": AlertThresholds(warning=WarningAlertThresholds(p95_latency_ms=500))},
        "args.thresholds.warning.p95_latency_ms: 500 is not below critical.p95_latency_ms 500",
    ),
    (
        "warning error rate above critical",
        {"thresholds": AlertThresholds(warning=WarningAlertThresholds(error_rate_percent=2))},
        "args.thresholds.warning.error_rate_percent: 2 is not below critical.error_rate_percent 1",
    ),
    (
        "error rate of 100 %",
        {"thresholds": AlertThresholds(critical=CriticalAlertThresholds(error_rate_percent=100))},
        "args.thresholds.critical.error_rate_percent: 100 is not a percentage above 0 and below 100",
    ),
    (
        "disk free of 0 %",
        {"thresholds": AlertThresholds(critical=CriticalAlertThresholds(disk_free_percent=0))},
        "args.thresholds.critical.disk_free_percent: 0 is not a percentage",
    ),
    (
        "no connection failure pages",
        {"thresholds": AlertThresholds(critical=CriticalAlertThresholds(database_connection_failures=0))},
        "args.thresholds.critical.database_connection_failures: 0 is below 1",
    ),
    (
        "memory over 100 %",
        {"thresholds": AlertThresholds(warning=WarningAlertThresholds(memory_percent=101))},
        "args.thresholds.warning.memory_percent: 101 is not a percentage above 0 and at most 100",
    ),
    (
        "cpu of 0 %",
        {"thresholds": AlertThresholds(warning=WarningAlertThresholds(cpu_percent=0))},
        "args.thresholds.warning.cpu_percent: 0 is not a percentage",
    ),
    (
        "a slow query under a millisecond",
        {"thresholds": AlertThresholds(warning=WarningAlertThresholds(slow_query_seconds=0.0001))},
        "args.thresholds.warning.slow_query_seconds: 0.0001 is under 1 ms",
    ),
    ("retention", {"log_retention_days": 31}, "args.log_retention_days: 31 is not a CloudWatch retention period"),
    ("archive over ten years", {"archive_days": 4000}, "args.archive_days: 4000 is not between 1 and 3650"),
    ("archive not longer", {"log_retention_days": 400}, "args.archive_days: 365 is not longer than log_retention_days"),
    ("negative transition", {"archive_transition_days": -1}, "args.archive_transition_days: -1 is below 0"),
    (
        "too little time in Glacier",
        {"archive_transition_days": 300},
        "args.archive_transition_days: 300 leaves under 90 days in Glacier before expiry at archive_days 365",
    ),
    ("scrape interval", {"scrape_interval_seconds": 5}, "args.scrape_interval_seconds: 5 is not between 10 and 300"),
    (
        "an unpinned add-on",
        {"addon_versions": {k: v for k, v in ADDON_VERSIONS.items() if k != "kube-state-metrics"}},
        "args.addon_versions: pin every observability add-on's version; missing ['kube-state-metrics']",
    ),
    (
        "an add-on version that is not one",
        {"addon_versions": {**ADDON_VERSIONS, "kube-state-metrics": "2.14"}},
        "args.addon_versions.kube-state-metrics: '2.14' is not an EKS add-on version",
    ),
    (
        "an add-on this component does not install",
        {"addon_versions": {**ADDON_VERSIONS, "coredns": "v1.11.4-eksbuild.2"}},
        "args.addon_versions.coredns: not an add-on this component installs",
    ),
]


@pytest.mark.parametrize(("changes", "message"), [case[1:] for case in BAD_ARGS], ids=[case[0] for case in BAD_ARGS])
def test_bad_args_name_the_field(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ObservabilityArgsError) as raised:
        args(**changes)
    assert str(raised.value).startswith(message)
    assert isinstance(raised.value, pulumi.RunError)  # `pulumi up` prints it without a traceback


def test_the_latency_rule_accepts_every_bucket_edge() -> None:
    for edge in LATENCY_BUCKETS_SECONDS[1:]:
        below = max(e for e in LATENCY_BUCKETS_SECONDS if e < edge)
        thresholds = AlertThresholds(
            critical=CriticalAlertThresholds(p95_latency_ms=edge * 1000),
            warning=WarningAlertThresholds(p95_latency_ms=below * 1000),
        )
        assert args(thresholds=thresholds).alert_thresholds.critical.p95_latency_ms == edge * 1000


@pytest.mark.parametrize(
    ("subscription", "message"),
    [
        (
            AlertSubscription(protocol=NotificationProtocol.EMAIL, endpoint="oncall"),
            "args.critical_subscriptions[0].endpoint: 'oncall' is not an email address",
        ),
        (
            AlertSubscription(protocol=NotificationProtocol.HTTPS, endpoint="http://pager"),
            "args.critical_subscriptions[0].endpoint: 'http://pager': an https subscription needs an https:// URL",
        ),
    ],
)
def test_a_subscription_that_cannot_work_is_named(subscription: AlertSubscription, message: str) -> None:
    with pytest.raises(AlertTopicsArgsError, match=re.escape(message)):
        AlertTopicsArgs(cluster_name="c", critical_subscriptions=[subscription])


def test_alert_topics_need_a_cluster_name() -> None:
    with pytest.raises(AlertTopicsArgsError, match=r"^args\.cluster_name: "):
        AlertTopicsArgs(cluster_name=" ")


# --- the host's dict, and the layers -------------------------------------------------------------


def test_a_dict_from_the_host_becomes_the_args_with_nested_thresholds() -> None:
    """The host maps camelCase to field names and passes nested types as dicts, enums as values."""
    mapped = {**REQUIRED, "thresholds": {"warning": {"cpu_percent": 75.0}}, "node_group_max_sizes": {"system": 6.0}}
    built = to_args(ObservabilityArgs, mapped)
    assert built.thresholds == AlertThresholds(warning=WarningAlertThresholds(cpu_percent=75.0))
    assert built.node_group_max_sizes == {"system": 6} and isinstance(built.node_group_max_sizes["system"], int)
    topics = to_args(
        AlertTopicsArgs, {"cluster_name": "c", "warning_subscriptions": [{"protocol": "email", "endpoint": "a@b.co"}]}
    )
    assert topics.subscriptions("warning") == [
        AlertSubscription(protocol=NotificationProtocol.EMAIL, endpoint="a@b.co")
    ]
    assert topics.subscriptions("critical") == ()


def test_a_bad_nested_value_from_the_host_names_its_path() -> None:
    with pytest.raises(ArgsError, match=r"^args\.thresholds\.warning\.cpuPercent: expected float, got str 'high'$"):
        to_args(ObservabilityArgs, {**REQUIRED, "thresholds": {"warning": {"cpu_percent": "high"}}})


@pytest.mark.parametrize("module", [observability, alert_topics], ids=lambda m: m.__name__)
def test_the_component_modules_import_nothing_from_the_stack_layer(module: Any) -> None:
    tree = ast.parse(Path(module.__file__).read_text())
    imported = [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
    imported += [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
    assert not [name for name in imported if name and name.startswith("eksplatform.stack")]
    assert "__future__" not in imported  # string annotations: the analyzer reads the types as they are


# --- the component from Python: providers and dependencies from opts -----------------------------


def build(harness: Harness, *, kubernetes: bool = True) -> Graph:
    def program() -> None:
        aws_provider = regional_aws_provider("aws-us-east-1", region="us-east-1", tags=TAGS)
        providers: list[pulumi.ProviderResource] = [aws_provider]
        if kubernetes:
            providers.append(k8s.Provider("cluster", kubeconfig="{}"))
        topics = AlertTopics(
            "alerts", AlertTopicsArgs(cluster_name="shop-prod"), opts=pulumi.ResourceOptions(providers=providers)
        )
        # Stands in for the cluster and the database the filters and add-ons wait for.
        before = aws.cloudwatch.LogGroup("before", opts=pulumi.ResourceOptions(provider=aws_provider))
        Observability(
            "obs",
            args(
                critical_topic_arn=topics.critical_topic_arn,
                warning_topic_arn=topics.warning_topic_arn,
                heartbeat_topic_arn=topics.heartbeat_topic_arn,
            ),
            opts=pulumi.ResourceOptions(providers=providers, depends_on=[before]),
        )

    return harness.run(program)


def test_the_kubernetes_provider_and_the_dependencies_come_from_opts(harness: Harness) -> None:
    graph = build(harness)
    before = graph.one("aws:cloudwatch/logGroup:LogGroup", "before").urn
    waiting = [
        graph.one("aws:cloudwatch/logMetricFilter:LogMetricFilter", "obs-slow-queries"),
        graph.one("aws:eks/addon:Addon", "obs-kube-state-metrics"),
        graph.one("aws:eks/addon:Addon", "obs-amazon-cloudwatch-observability"),
        graph.one("aws:amp/scraper:Scraper", "obs-collector"),
        graph.one("aws:eks/accessEntry:AccessEntry", "obs-collector-access"),
        graph.one("aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter", "obs-archive-control-plane"),
    ]
    for resource in waiting:
        assert before in resource.dependencies, resource.name
    on_cluster = [r for r in graph.resources if r.type.startswith("kubernetes:") and r.custom]
    assert (
        len(on_cluster) == 9
    )  # three namespaces, their three policies, the collector's role and binding, Traefik's policy
    assert all(r.provider_urn.endswith("::cluster") for r in on_cluster)
    topic = graph.one("aws:sns/topic:Topic", "alerts-critical")
    policy = graph.one("aws:sns/topicPolicy:TopicPolicy", "obs-critical-policy")
    assert policy.inputs["arn"] == topic.outputs["arn"]
    assert topic.urn in policy.dependencies  # the ARN brings its topic along
    assert graph.one("aws:amp/workspace:Workspace", "obs-metrics").protect  # the default: protected


def test_without_a_kubernetes_provider_the_error_names_the_option(harness: Harness) -> None:
    with pytest.raises(Exception, match=r"opts\.providers: give the cluster's Kubernetes provider"):
        build(harness, kubernetes=False)


# --- the stack layer's adapter -------------------------------------------------------------------

PROD = load_stack_file(PROJECT_ROOT / "Pulumi.prod.yaml")


def test_the_adapter_maps_the_stack_file_and_the_environment() -> None:
    assert PROD.observability is not None
    settings = observability_settings(PROD.observability, environment="dev")
    assert settings.protect is False  # dev gets its cheaper value from the stack layer, explicitly
    assert settings.addon_versions == dict(PROD.observability.addon_versions)
    built = args_from_settings(
        ObservabilityArgs, settings, **{k: v for k, v in REQUIRED.items() if k != "addon_versions"}
    )
    assert built.alert_thresholds == Thresholds()  # prod's file sets none: the defaults
    # The topics' Args as the Region builds them: the stack's settings and the cluster's name.
    topics = args_from_settings(
        AlertTopicsArgs, alert_topics_settings(PROD.observability), cluster_name="platform-prod-us-east-1"
    )
    assert [s.endpoint for s in topics.subscriptions("critical")] == [
        n.endpoint for n in PROD.observability.notifications["critical"]
    ]
    assert topics.subscriptions("heartbeat") == ()

"""Observability: assert on what the prod stack registers (metrics store, collector, rules, routing,
log pipeline, archive, dashboards), and on the alert rules' PromQL through a real parser."""

from __future__ import annotations

import json
import re
from typing import Any

import promql_parser
import pytest
import yaml
from pydantic.alias_generators import to_camel

from eksplatform.capacity.workloads import inventory
from eksplatform.components.alert_rules import (
    MIN_REQUEST_RATE,
    REQUIRED_ALERTS,
    SCRAPE_JOBS,
    AlertRule,
    RuleScope,
    alert_rules,
    alertmanager_definition,
    rule_file,
)
from eksplatform.components.cluster import ADDONS
from eksplatform.components.dashboards import RegionView, global_dashboard, region_dashboard
from eksplatform.components.observability import (
    ADDON_NAMESPACES,
    COLLECTOR_USER,
    SLOW_QUERY_PATTERN,
    AlertThresholds,
    CriticalAlertThresholds,
    WarningAlertThresholds,
)
from eksplatform.policies.alert_expressions import metric_names
from eksplatform.policies.rules.capacity import capacity_items
from eksplatform.preflight.mocks import Registration
from eksplatform.preflight.synth import PROJECT_ROOT, Graph
from eksplatform.stack.config import CriticalThresholds, WarningThresholds
from eksplatform.stack.loading import load_stack_file
from tests.conftest import synthesized
from tests.helpers import policy
from tests.policies.views import resources_of

REGION = "us-east-1"
NAME = f"{REGION}-observability"
CLUSTER = f"platform-prod-{REGION}"
PROD = load_stack_file(PROJECT_ROOT / "Pulumi.prod.yaml")


@pytest.fixture(scope="module")
def graph() -> Graph:
    return synthesized("prod")


def one(graph: Graph, type_token: str, suffix: str) -> Registration:
    return graph.one(type_token, f"{NAME}-{suffix}")


def threshold_of(expression: str) -> float:
    """The number on the right of the expression's outermost comparison, read from the parsed AST."""
    tree = promql_parser.parse(expression)
    while isinstance(tree, promql_parser.BinaryExpr) and str(tree.op) in ("and", "or", "unless"):
        tree = tree.lhs
    assert isinstance(tree, promql_parser.BinaryExpr), expression
    assert str(tree.op) in (">", "<", ">=", "<=", "=="), expression
    rhs = tree.rhs
    assert isinstance(rhs, promql_parser.NumberLiteral), f"{expression}: the right-hand side is not a number"
    return float(rhs.val)


# --- metrics -------------------------------------------------------------------------------------


def test_the_metrics_store_is_a_prometheus_workspace_with_its_own_key(graph: Graph) -> None:
    workspace = one(graph, "aws:amp/workspace:Workspace", "metrics")
    key = one(graph, "aws:kms/key:Key", "metrics-key")
    assert workspace.inputs["kmsKeyArn"] == key.outputs["arn"]
    assert key.inputs["enableKeyRotation"] is True
    assert workspace.protect and key.protect  # prod keeps its metrics store


def test_the_collector_scrapes_the_cluster_from_its_private_subnets_into_the_workspace(graph: Graph) -> None:
    scraper = one(graph, "aws:amp/scraper:Scraper", "collector")
    cluster = graph.one("aws:eks/cluster:Cluster", f"{REGION}-cluster-eks")
    private = [r.id for r in graph.by_type("aws:ec2/subnet:Subnet") if r.name.startswith(f"{REGION}-network-private")]
    eks = scraper.inputs["source"]["eks"]
    assert eks["clusterArn"] == cluster.outputs["arn"]
    assert sorted(eks["subnetIds"]) == sorted(private) and len(private) >= 2  # AMP: two subnets in two zones
    assert eks["securityGroupIds"] == [cluster.outputs["vpcConfig"]["clusterSecurityGroupId"]]
    workspace = one(graph, "aws:amp/workspace:Workspace", "metrics")
    assert scraper.inputs["destination"]["amp"]["workspaceArn"] == workspace.outputs["arn"]
    config = yaml.safe_load(scraper.inputs["scrapeConfiguration"])
    assert config["global"]["scrape_interval"] == "60s"
    jobs = {job["job_name"] for job in config["scrape_configs"]}
    assert {"kubelet", "cadvisor", "kube-state-metrics", "node-exporter", "traefik"} <= jobs


def test_api_proxied_jobs_use_the_keys_aws_documents_for_the_managed_collector(graph: Graph) -> None:
    """https, the service-account token, kubernetes.default.svc:443, no tls_config of our own (the
    aws_prometheus_scraper example of terraform-provider-aws, after the AMP user guide)."""
    config = yaml.safe_load(one(graph, "aws:amp/scraper:Scraper", "collector").inputs["scrapeConfiguration"])
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    for name in ("kubernetes-apiservers", "kubelet", "cadvisor"):
        job = jobs[name]
        assert job["scheme"] == "https", name
        assert job["authorization"] == {"credentials_file": "/var/run/secrets/kubernetes.io/serviceaccount/token"}
        assert "tls_config" not in job, name
    for name in ("kubelet", "cadvisor"):
        replacements = {r.get("target_label"): r.get("replacement") for r in jobs[name]["relabel_configs"]}
        assert replacements["__address__"] == "kubernetes.default.svc:443"


def test_every_job_ingests_only_a_keep_list_that_covers_what_the_rules_read(graph: Graph) -> None:
    """Without metric_relabel_configs every series a target exposes is ingested (and billed)."""
    config = yaml.safe_load(one(graph, "aws:amp/scraper:Scraper", "collector").inputs["scrapeConfiguration"])
    kept: set[str] = set()
    for job in config["scrape_configs"]:
        (keep,) = job["metric_relabel_configs"]
        assert keep["action"] == "keep" and keep["source_labels"] == ["__name__"], job["job_name"]
        names = keep["regex"].split("|")
        assert all(re.fullmatch(r"[a-zA-Z_:][a-zA-Z0-9_:]*", name) for name in names)  # plain names, no wildcards
        kept |= set(names)
    assert {job["job_name"] for job in config["scrape_configs"]} == set(SCRAPE_JOBS)
    read = set().union(*(metric_names(promql_parser.parse(rule["expr"])) for rule in registered_rules(graph)))
    scraper_made = {"up"}  # made by the scraper itself, never subject to metric_relabel_configs
    assert read - scraper_made <= kept, read - scraper_made - kept


def test_the_collector_reads_the_cluster_as_the_user_its_cluster_role_binds(graph: Graph) -> None:
    scraper = one(graph, "aws:amp/scraper:Scraper", "collector")
    entry = one(graph, "aws:eks/accessEntry:AccessEntry", "collector-access")
    assert entry.inputs["principalArn"] == scraper.outputs["roleArn"]
    assert entry.inputs["userName"] == COLLECTOR_USER and entry.inputs["type"] == "STANDARD"
    binding = one(graph, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding", "collector-binding")
    role = one(graph, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "collector-role")
    assert binding.inputs["subjects"] == [
        {"kind": "User", "name": COLLECTOR_USER, "apiGroup": "rbac.authorization.k8s.io"}
    ]
    assert binding.inputs["roleRef"]["name"] == role.inputs["metadata"]["name"]
    verbs = {verb for rule in role.inputs["rules"] for verb in rule["verbs"]}
    assert verbs == {"get", "list", "watch"}  # read only


def test_the_metric_add_ons_are_pinned_from_config(graph: Graph) -> None:
    assert PROD.observability is not None
    for addon, version in PROD.observability.addon_versions.items():
        registered = one(graph, "aws:eks/addon:Addon", addon)
        assert registered.inputs["addonName"] == addon and registered.inputs["addonVersion"] == version


NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def test_every_namespace_an_add_on_or_chart_lands_in_has_a_network_policy(graph: Graph) -> None:
    """Strict network-policy mode (VPC CNI, cluster-wide): a pod no policy selects is deny-all."""
    landing = {spec.name: "kube-system" for spec in ADDONS} | ADDON_NAMESPACES
    policies = {(r.provider_urn, r.inputs["metadata"]["namespace"]): r.urn for r in graph.by_type(NETWORK_POLICY)}
    clusters = {r.inputs["name"]: r for r in graph.by_type("aws:eks/cluster:Cluster")}
    checked = 0
    for addon in graph.by_type("aws:eks/addon:Addon"):
        name = addon.inputs["addonName"]
        assert name in landing, f"add-on {name}: which namespace does it install into?"
        namespace = landing[name]
        # The add-on's cluster: a policy in that namespace through one of its cluster's providers.
        cluster = addon.inputs["clusterName"]
        region = clusters[cluster].name.removesuffix("-cluster-eks")
        found = [
            urn
            for (provider, ns), urn in policies.items()
            if ns == namespace and f"::{region}-cluster-kubernetes" in provider
        ]
        assert found, f"{addon.name}: no NetworkPolicy in namespace {namespace} of {cluster}"
        if namespace != "kube-system":  # the Cluster opens kube-system before its add-ons
            assert set(found) & set(addon.dependencies), f"{addon.name} does not wait for its namespace's policy"
        checked += 1
    for release in graph.by_type("kubernetes:helm.sh/v3:Release"):
        namespace = release.inputs["namespace"]
        assert (release.provider_urn, namespace) in policies, f"{release.name}: no NetworkPolicy in {namespace}"
        checked += 1
    assert checked >= 3 * 3  # prod: three regions' add-ons


def test_the_add_on_policies_open_what_each_add_on_needs(graph: Graph) -> None:
    ksm = one(graph, NETWORK_POLICY, "kube-state-metrics-policy").inputs["spec"]
    assert ksm["podSelector"] == {} and ksm["policyTypes"] == ["Ingress", "Egress"]
    assert {p["port"] for rule in ksm["ingress"] for p in rule["ports"]} == {8080, 8081}
    assert any(p["port"] == 443 for rule in ksm["egress"] for p in rule.get("ports", []))  # the API server
    assert any(p["port"] == 53 for rule in ksm["egress"] for p in rule.get("ports", []))  # DNS
    operator = one(graph, NETWORK_POLICY, "amazon-cloudwatch-policy").inputs["spec"]
    ports = {p["port"] for rule in operator["ingress"] for p in rule["ports"]}
    assert 9443 in ports  # the webhook, called by the control plane on every pod create
    assert any(p["port"] == 443 for rule in operator["egress"] for p in rule["ports"])


# --- alerts --------------------------------------------------------------------------------------


def registered_rules(graph: Graph) -> list[dict[str, Any]]:
    namespace = one(graph, "aws:amp/ruleGroupNamespace:RuleGroupNamespace", "alert-rules")
    workspace = one(graph, "aws:amp/workspace:Workspace", "metrics")
    assert namespace.inputs["workspaceId"] == workspace.id
    return [rule for group in yaml.safe_load(namespace.inputs["data"])["groups"] for rule in group["rules"]]


def test_every_registered_rule_is_promql_whose_threshold_is_its_annotation(graph: Graph) -> None:
    for rule in registered_rules(graph):
        assert threshold_of(rule["expr"]) == pytest.approx(float(rule["annotations"]["threshold"])), rule["alert"]
        assert rule["labels"]["severity"] in ("critical", "warning")


DEFAULTS = {
    "error-rate/critical": 0.01,
    "p95-latency/critical": 0.5,
    "service-unavailable/critical": 0,
    "disk-space/critical": 0.10,
    "error-rate/warning": 0.005,
    "p95-latency/warning": 0.25,
    "memory/warning": 0.8,
    "cpu/warning": 0.9,
    "pods-not-ready/warning": 0,
    "hpa-at-maximum/warning": 1,
}


def test_the_required_thresholds_are_the_defaults(graph: Graph) -> None:
    by_key: dict[str, list[float]] = {}
    for rule in registered_rules(graph):
        key = f"{rule['labels']['platform_alert']}/{rule['labels']['severity']}"
        by_key.setdefault(key, []).append(threshold_of(rule["expr"]))
    for key, expected in DEFAULTS.items():
        assert by_key[key] == [pytest.approx(expected)], key
    # One node-group rule per group, at its maxSize (prod: system 6, sandbox 30).
    assert sorted(by_key["node-group-at-maximum/warning"]) == [6, 30]
    required = {f"{alert}/{severity}" for alert, severity in REQUIRED_ALERTS}
    assert required - set(by_key) == {
        "database-connection-failures/critical",
        "slow-queries/warning",
        "replication-lag/critical",
    }


def test_configured_thresholds_reach_the_expressions() -> None:
    thresholds = AlertThresholds(
        critical=CriticalAlertThresholds(error_rate_percent=2, p95_latency_ms=1000, disk_free_percent=15),
        warning=WarningAlertThresholds(cpu_percent=75),
    ).resolved()
    rules = {(r.platform_alert, r.severity): r for r in alert_rules(thresholds, RuleScope("sandbox", ["sandbox"], {}))}
    assert threshold_of(rules["error-rate", "critical"].expression) == 0.02
    assert threshold_of(rules["p95-latency", "critical"].expression) == 1.0
    assert threshold_of(rules["disk-space", "critical"].expression) == 0.15
    assert threshold_of(rules["cpu", "warning"].expression) == 0.75
    assert "<" in rules["disk-space", "critical"].expression  # free space below the share


def test_every_latency_threshold_is_an_edge_of_traefiks_histogram_buckets(graph: Graph) -> None:
    """histogram_quantile interpolates linearly inside a bucket: only an edge is measured exactly."""
    (traefik,) = [
        r for r in graph.by_type("kubernetes:helm.sh/v3:Release") if r.inputs["chart"] == "traefik" and REGION in r.name
    ]
    buckets = [float(edge) for edge in traefik.inputs["values"]["metrics"]["prometheus"]["buckets"].split(",")]
    assert buckets == sorted(buckets)
    latency = [rule for rule in registered_rules(graph) if rule["labels"]["platform_alert"] == "p95-latency"]
    assert len(latency) == 2
    for rule in latency:
        assert "traefik_service_request_duration_seconds_bucket" in rule["expr"]
        assert threshold_of(rule["expr"]) in buckets, rule["alert"]


def test_error_rates_need_traffic_finished_pods_are_not_unready_and_every_hpa_counts(graph: Graph) -> None:
    rules = {rule["alert"]: rule for rule in registered_rules(graph)}
    for name in ("ErrorRateCritical", "ErrorRateWarning"):
        tree = promql_parser.parse(rules[name]["expr"])
        assert isinstance(tree, promql_parser.BinaryExpr) and str(tree.op) == "and"
        guard = tree.rhs
        assert isinstance(guard, promql_parser.BinaryExpr) and str(guard.op) == ">"
        assert isinstance(guard.rhs, promql_parser.NumberLiteral) and float(guard.rhs.val) == MIN_REQUEST_RATE
        assert "traefik_service_requests_total" in metric_names(guard)
    ready = promql_parser.parse(rules["LanguageServicePodsNotReady"]["expr"])
    assert isinstance(ready, promql_parser.BinaryExpr) and str(ready.op) == "unless"
    assert (
        metric_names(ready.rhs) == {"kube_pod_status_phase"}
        and 'phase="Succeeded"' in rules["LanguageServicePodsNotReady"]["expr"]
    )
    hpa = promql_parser.parse(rules["HpaAtMaximum"]["expr"])
    assert "namespace" not in rules["HpaAtMaximum"]["expr"].split("{{")[0]  # no namespace matcher
    assert metric_names(hpa) == {
        "kube_horizontalpodautoscaler_status_current_replicas",
        "kube_horizontalpodautoscaler_spec_max_replicas",
    }


def test_a_malformed_expression_is_refused_by_the_parser() -> None:
    with pytest.raises(ValueError):
        promql_parser.parse("sum(rate(traefik_service_requests_total[5m]) > 0.01")
    broken = AlertRule("X", "error-rate", "critical", "sum(rate(x[5m]) >", 0.01, "5m", "")
    assert yaml.safe_load(rule_file([broken]))["groups"][0]["rules"][0]["expr"] == "sum(rate(x[5m]) >"


def test_alerts_route_by_severity_to_two_encrypted_topics(graph: Graph) -> None:
    definition = one(graph, "aws:amp/alertManagerDefinition:AlertManagerDefinition", "alert-manager")
    config = yaml.safe_load(yaml.safe_load(definition.inputs["definition"])["alertmanager_config"])
    topics = {s: one(graph, "aws:sns/topic:Topic", s) for s in ("critical", "warning", "heartbeat")}
    receivers = {r["name"]: r["sns_configs"][0] for r in config["receivers"]}
    for severity, topic in topics.items():
        assert receivers[severity]["topic_arn"] == topic.outputs["arn"]
        assert receivers[severity]["sigv4"] == {"region": REGION}  # AMP requires the region
        assert "api_url" not in receivers[severity]  # AMP refuses it
        key = one(graph, "aws:kms/key:Key", f"{severity}-key")
        assert topic.inputs["kmsMasterKeyId"] == key.outputs["arn"]
        assert "aps.amazonaws.com" in json.dumps(policy(key, "policy"))
    routes = {route["receiver"]: route["matchers"] for route in config["route"]["routes"]}
    assert routes == {
        "heartbeat": ['alertname="Watchdog"'],
        "critical": ['severity="critical"'],
        "warning": ['severity="warning"'],
    }
    # The Watchdog's route comes first (Alertmanager stops at the first match) and repeats often.
    assert config["route"]["routes"][0]["receiver"] == "heartbeat"
    assert config["route"]["routes"][0]["repeat_interval"] == "5m"
    assert len({receiver["topic_arn"] for receiver in receivers.values()}) == 3


def test_metrics_that_stop_arriving_alert(graph: Graph) -> None:
    """kube-prometheus-stack style: a target down per job, a job or key series gone, and the Watchdog."""
    rules = registered_rules(graph)
    scrape = yaml.safe_load(one(graph, "aws:amp/scraper:Scraper", "collector").inputs["scrapeConfiguration"])
    jobs = {job["job_name"] for job in scrape["scrape_configs"]}
    down = {rule["labels"]["job"]: rule for rule in rules if rule["alert"] == "MetricsTargetDown"}
    assert set(down) == jobs
    for job, rule in down.items():
        tree = promql_parser.parse(rule["expr"])
        assert isinstance(tree, promql_parser.BinaryExpr) and str(tree.op) == "=="
        assert isinstance(tree.lhs, promql_parser.VectorSelector) and tree.lhs.name == "up"
        assert f'job="{job}"' in str(tree.lhs.matchers) or job in rule["expr"]
    absent = [rule for rule in rules if rule["alert"] == "MetricsAbsent"]
    absent_of = set()
    for rule in absent:
        tree = promql_parser.parse(rule["expr"])
        assert isinstance(tree, promql_parser.BinaryExpr) and isinstance(tree.lhs, promql_parser.Call)
        assert str(tree.lhs.func.name) == "absent"
        absent_of.add(rule["labels"]["series"])
        assert rule["labels"]["severity"] == "critical"
    assert {f'up{{job="{job}"}}' for job in jobs} <= absent_of
    assert "kube_deployment_status_replicas_available" in absent_of
    (watchdog,) = [rule for rule in rules if rule["alert"] == "Watchdog"]
    assert threshold_of(watchdog["expr"]) == 0 and watchdog["expr"].startswith("vector(1)")  # always fires


def test_the_topic_policy_lets_only_this_workspace_publish_through_amp(graph: Graph) -> None:
    workspace = one(graph, "aws:amp/workspace:Workspace", "metrics")
    document = policy(one(graph, "aws:sns/topicPolicy:TopicPolicy", "critical-policy"), "policy")
    (amp,) = [s for s in document["Statement"] if s.get("Sid") == "AlertManagerPublishes"]
    assert amp["Principal"] == {"Service": "aps.amazonaws.com"}
    assert set(amp["Action"]) == {"sns:Publish", "sns:GetTopicAttributes"}
    assert amp["Condition"]["ArnEquals"]["aws:SourceArn"] == workspace.outputs["arn"]


def test_subscriptions_come_from_config(graph: Graph) -> None:
    subscriptions = [
        (r.name.split("-observability-")[1].split("-")[0], r.inputs["protocol"], r.inputs["endpoint"])
        for r in graph.by_type("aws:sns/topicSubscription:TopicSubscription")
        if r.name.startswith(NAME)
    ]
    assert PROD.observability is not None
    expected = [
        (severity, n.protocol, n.endpoint)
        for severity, configured in PROD.observability.notifications.items()
        for n in configured
    ]
    assert sorted(subscriptions) == sorted(expected)


def test_database_alerts_are_log_metric_filters_and_alarms_on_the_two_topics(graph: Graph) -> None:
    log_group = "/aws/rds/cluster/platform-prod-use1/postgresql"
    slow = one(graph, "aws:cloudwatch/logMetricFilter:LogMetricFilter", "slow-queries")
    assert slow.inputs["logGroupName"] == log_group
    assert slow.inputs["pattern"] == SLOW_QUERY_PATTERN.format(ms=5000)
    failures = one(graph, "aws:cloudwatch/logMetricFilter:LogMetricFilter", "connection-failures")
    assert failures.inputs["logGroupName"] == log_group
    assert '"password authentication failed"' in failures.inputs["pattern"]
    for alert, severity in (("database-connection-failures", "critical"), ("slow-queries", "warning")):
        alarm = one(graph, "aws:cloudwatch/metricAlarm:MetricAlarm", alert)
        topic = one(graph, "aws:sns/topic:Topic", severity)
        assert alarm.inputs["alarmActions"] == [topic.outputs["arn"]]
        assert alarm.inputs["tags"]["platform-alert"] == alert
    # The filters wait for the database that makes the log group.
    (database,) = [r for r in graph.by_type("aws:rds/cluster:Cluster") if r.name.startswith(f"{REGION}-postgres")]
    assert database.urn in slow.dependencies


def test_the_data_stores_replication_lag_alarms_notify_the_critical_topic(graph: Graph) -> None:
    lag = [r for r in graph.by_type("aws:cloudwatch/metricAlarm:MetricAlarm") if r.name.endswith("-lag")]
    assert len(lag) >= 2  # prod's secondary regions: the global database and the queue's global datastore
    for alarm in lag:
        region = alarm.name.split("-postgres")[0].split("-redis")[0]
        critical = graph.one("aws:sns/topic:Topic", f"{region}-observability-critical")
        assert alarm.inputs["alarmActions"] == [critical.outputs["arn"]], alarm.name
        assert alarm.inputs["insufficientDataActions"] == [critical.outputs["arn"]], alarm.name
    # No data store keeps a topic of its own that nobody subscribes to.
    assert not [r.name for r in graph.by_type("aws:sns/topic:Topic") if r.name.endswith("-alarms")]


# --- logs ----------------------------------------------------------------------------------------


def test_container_log_groups_are_made_before_the_add_on_with_the_names_it_writes(graph: Graph) -> None:
    addon = one(graph, "aws:eks/addon:Addon", "amazon-cloudwatch-observability")
    key = one(graph, "aws:kms/key:Key", "logs-key")
    # Every group the chart's Fluent Bit (auto_create_group) or the agent may write to.
    for kind in ("application", "dataplane", "host", "performance"):
        group = one(graph, "aws:cloudwatch/logGroup:LogGroup", f"{kind}-logs")
        assert group.inputs["name"] == f"/aws/containerinsights/{CLUSTER}/{kind}"
        assert group.inputs["retentionInDays"] == 30
        assert group.inputs["kmsKeyId"] == key.outputs["arn"]
        assert group.urn in addon.dependencies
    configuration = json.loads(addon.inputs["configurationValues"])
    assert configuration["containerLogs"] == {"enabled": True}
    role = one(graph, "aws:iam/role:Role", "cloudwatch-agent-role")
    assert addon.inputs["serviceAccountRoleArn"] == role.outputs["arn"]
    trust = policy(role, "assumeRolePolicy")["Statement"][0]["Condition"]["StringEquals"]
    assert "system:serviceaccount:amazon-cloudwatch:cloudwatch-agent" in trust.values()


def test_every_log_group_and_the_control_plane_go_to_the_archive_stream(graph: Graph) -> None:
    stream = one(graph, "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "archive-stream")
    control_plane = graph.one("aws:cloudwatch/logGroup:LogGroup", f"{REGION}-cluster-control-plane-logs")
    expected = {
        **{
            kind: f"/aws/containerinsights/{CLUSTER}/{kind}"
            for kind in ("application", "dataplane", "host", "performance")
        },
        "control-plane": control_plane.inputs["name"],
    }
    for kind, group_name in expected.items():
        subscription = one(graph, "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter", f"archive-{kind}")
        assert subscription.inputs["logGroup"] == group_name
        assert subscription.inputs["destinationArn"] == stream.outputs["arn"]
        assert subscription.inputs["filterPattern"] == ""
    key = one(graph, "aws:kms/key:Key", "archive-key")
    bucket = one(graph, "aws:s3/bucket:Bucket", "log-archive")
    s3 = stream.inputs["extendedS3Configuration"]
    assert s3["bucketArn"] == bucket.outputs["arn"] and s3["kmsKeyArn"] == key.outputs["arn"]
    assert stream.inputs["serverSideEncryption"] == {
        "enabled": True,
        "keyType": "CUSTOMER_MANAGED_CMK",
        "keyArn": key.outputs["arn"],
    }


def test_the_archive_bucket_is_encrypted_private_tls_only_and_expires_after_a_year(graph: Graph) -> None:
    bucket = one(graph, "aws:s3/bucket:Bucket", "log-archive")
    key = one(graph, "aws:kms/key:Key", "archive-key")
    assert bucket.protect and bucket.inputs.get("forceDestroy") is False
    encryption = one(
        graph,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "log-archive-encryption",
    )
    default = encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert default == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": key.outputs["arn"]}
    block = one(graph, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "log-archive-public-access")
    assert all(
        block.inputs[k] is True
        for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    lifecycle = one(graph, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "log-archive-lifecycle")
    (rule,) = lifecycle.inputs["rules"]
    assert rule["status"] == "Enabled"
    assert rule["transitions"] == [{"days": 30, "storageClass": "GLACIER"}]
    assert rule["expiration"]["days"] == 365
    statement = policy(one(graph, "aws:s3/bucketPolicy:BucketPolicy", "log-archive-policy"), "policy")["Statement"][0]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert bucket.outputs["arn"] in statement["Resource"]


# --- dashboards ----------------------------------------------------------------------------------

WIDGET_TYPES = ("metric", "log", "text", "alarm", "explorer")


def documented_shape_problems(body: dict[str, Any]) -> list[str]:
    """CloudWatch API reference, "Dashboard Body Structure and Syntax"."""
    problems: list[str] = []
    widgets = body.get("widgets")
    if not isinstance(widgets, list) or not widgets:
        return ["widgets: a non-empty array"]
    for index, widget in enumerate(widgets):
        where = f"widgets[{index}]"
        if widget.get("type") not in WIDGET_TYPES:
            problems.append(f"{where}.type")
        width, height, x, y = (widget.get(k) for k in ("width", "height", "x", "y"))
        if not (isinstance(width, int) and 1 <= width <= 24):
            problems.append(f"{where}.width")
        if not (isinstance(height, int) and 1 <= height <= 1000):
            problems.append(f"{where}.height")
        if not (isinstance(x, int) and x >= 0 and x + (width or 0) <= 24) or not (isinstance(y, int) and y >= 0):
            problems.append(f"{where}.x/y")
        properties = widget.get("properties", {})
        if widget.get("type") == "metric":
            if not properties.get("region") or not properties.get("metrics"):
                problems.append(f"{where}.properties: region and metrics")
            for metric in properties.get("metrics", []):
                expression = metric[0] if isinstance(metric, list) and metric and isinstance(metric[0], dict) else None
                if expression is None or not str(expression.get("expression", "")).startswith("SEARCH("):
                    problems.append(f"{where}.properties.metrics: an expression object")
                elif not str(expression.get("id", "a"))[0].islower():
                    problems.append(f"{where}.properties.metrics: an id starting with a lowercase letter")
        log_query = str(properties.get("query", ""))
        if widget.get("type") == "log" and (not log_query.startswith("SOURCE '") or not properties.get("region")):
            problems.append(f"{where}.properties: a SOURCE query and its region")
    return problems


def test_the_region_and_global_dashboards_have_the_documented_shape(graph: Graph) -> None:
    regional = json.loads(one(graph, "aws:cloudwatch/dashboard:Dashboard", "dashboard").inputs["dashboardBody"])
    assert documented_shape_problems(regional) == []
    titles = [w["properties"]["title"] for w in regional["widgets"]]
    for wanted in (
        "Requests",
        "p95 latency",
        "Errors",
        "CPU",
        "Memory",
        "pool",
        "Database connections",
        "Slow queries",
        "Cache hit rate",
        "Cache memory",
    ):
        assert any(wanted in title for title in titles), wanted
    overall = graph.one("aws:cloudwatch/dashboard:Dashboard", "platform-dashboard")
    assert overall.inputs["dashboardName"] == "platform-prod-global"
    body = json.loads(overall.inputs["dashboardBody"])
    assert documented_shape_problems(body) == []
    regions = {w["properties"]["region"] for w in body["widgets"]}
    assert regions == {"us-east-1", "eu-west-1", "ap-southeast-1"}


def test_the_shape_check_finds_a_widget_off_the_grid() -> None:
    view = RegionView("eu-west-1", "c", "/g", "ingress", "sandbox", "db", ["a"])
    body = region_dashboard(view)
    body["widgets"][1]["x"] = 20  # 20 + 12 > 24 columns
    body["widgets"][0]["properties"].pop("region")
    assert documented_shape_problems(body) == ["widgets[0].properties: a SOURCE query and its region", "widgets[1].x/y"]
    assert documented_shape_problems(global_dashboard([view])) == []


# --- capacity ------------------------------------------------------------------------------------


def test_the_capacity_check_counts_the_observability_agents(graph: Graph) -> None:
    found = inventory(capacity_items(resources_of(graph)))
    owners = {w.pod.owner for workloads in found.workloads.values() for w in workloads}
    for pods in ("cloudwatch-agent", "fluent-bit", "kube-state-metrics", "prometheus-node-exporter"):
        assert any(pods in owner for owner in owners), pods
    unknown = [note for note in found.notes if "amazon-cloudwatch-observability" in note.text]
    assert unknown == []


def test_alertmanager_definition_is_a_config_under_its_key() -> None:
    text = alertmanager_definition({"critical": "arn:c", "warning": "arn:w", "heartbeat": "arn:h"}, "eu-west-1")
    assert text.startswith("alertmanager_config: |\n")
    inner = yaml.safe_load(yaml.safe_load(text)["alertmanager_config"])
    assert inner["route"]["receiver"] == "warning"


# --- documentation -------------------------------------------------------------------------------

DOCS = (PROJECT_ROOT / "docs" / "observability.md").read_text()


def test_the_docs_list_every_alert_and_every_setting() -> None:
    for registered in alert_rules(AlertThresholds().resolved(), RuleScope("sandbox", ["sandbox"], {"system": 3})):
        assert f"| `{registered.alert}` | {registered.severity} |" in DOCS, registered.alert
    keys = ["addonVersions", "logRetentionDays", "archiveDays", "archiveTransitionDays", "scrapeIntervalSeconds"]
    for prefix, model in (("critical", CriticalThresholds), ("warning", WarningThresholds)):
        keys += [f"thresholds.{prefix}.{to_camel(field)}" for field in model.model_fields]
    for key in keys:
        assert f"| `{key}` |" in DOCS, key


def test_the_add_ons_in_namespaces_we_own_preserve_them_on_delete() -> None:
    """Deleting or replacing an add-on without `preserve` deletes what it created, the namespace
    and our NetworkPolicy in it with it; strict network policy would then cut the new pods off."""
    graph = synthesized("dev")
    addons = [a for a in graph.by_type("aws:eks/addon:Addon") if a.name.startswith("us-east-1-observability")]
    assert addons, "the observability add-ons"
    assert all(a.inputs.get("preserve") is True for a in addons), [a.name for a in addons]

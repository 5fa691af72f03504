"""The observability stack policies: the prod stack as the compliant baseline, then one mutation per case."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
import yaml

import eksplatform.policies.rules.observability as observability_rules
from eksplatform.policies.rule import UNKNOWN, Resource
from tests.conftest import synthesized
from tests.policies.builders import rule
from tests.policies.views import resources_of

ALERTS = rule("observability-required-alerts")
RETENTION = rule("data-cloudwatch-log-retention")
REGION = "us-east-1"
RULES = "aws:amp/ruleGroupNamespace:RuleGroupNamespace"
Edit = Callable[[Resource], Resource | None]


def prod() -> list[Resource]:
    return resources_of(synthesized("prod"))


def edited(resources: list[Resource], type_token: str, name_suffix: str, edit: Edit) -> list[Resource]:
    """The resources with the us-east-1 `<type>` named `...<name_suffix>` replaced by `edit` (None: removed)."""
    out: list[Resource] = []
    hits = 0
    for resource in resources:
        if resource.type == type_token and resource.name == f"{REGION}-{name_suffix}":
            hits += 1
            changed = edit(resource)
            if changed is not None:
                out.append(changed)
        else:
            out.append(resource)
    assert hits == 1, f"{type_token} {name_suffix}: {hits} found"
    return out


def with_props(resource: Resource, **props: Any) -> Resource:
    return dataclasses.replace(resource, props={**resource.props, **props})


def rule_file(resource: Resource, change: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]) -> Resource:
    document = yaml.safe_load(resource.props["data"])
    for group in document["groups"]:
        group["rules"] = change(group["rules"])
    return with_props(resource, data=yaml.safe_dump(document))


def messages(found: list[tuple[str, str]]) -> list[str]:
    return [message for message, _ in found]


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_default_stacks_alert_and_keep_their_logs(stack: str) -> None:
    resources = resources_of(synthesized(stack))
    assert ALERTS.violations(resources) == []
    minimum = {"dev": 14, "staging": 30, "prod": 365}[stack]  # policies/config/<stack>.json
    assert RETENTION.violations(resources, {"minRetentionDays": minimum}) == []


def test_both_are_mandatory() -> None:
    assert ALERTS.enforcement == RETENTION.enforcement == "mandatory"


def test_a_stack_without_observability_fails() -> None:
    resources = [r for r in prod() if "Observability" not in r.urn]
    found = messages(ALERTS.violations(resources))
    assert any("no critical alert rule on error-rate" in m for m in found)
    assert any("no AMP alert manager definition" in m for m in found)
    assert any("database-connection-failures" in m for m in found)


def test_a_missing_rule_is_named() -> None:
    drop = edited(
        prod(),
        RULES,
        "observability-alert-rules",
        lambda r: rule_file(r, lambda rules: [x for x in rules if x["alert"] != "ErrorRateCritical"]),
    )
    assert messages(ALERTS.violations(drop)) == [
        "cluster us-east-1-cluster-eks: no critical alert rule on error-rate (labels platform_alert, severity)"
    ]


def _loosen(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for item in rules:
        if item["alert"] == "LatencyP95Warning":
            item["expr"] = item["expr"].replace("> 0.25", "> 0.4")
        if item["alert"] == "NodeDiskSpaceLow":
            item["expr"] = item["expr"].replace("< 0.1", "< 0.05")
    return rules


def test_a_looser_threshold_fails_and_disk_space_is_a_floor() -> None:
    loose = edited(prod(), RULES, "observability-alert-rules", lambda r: rule_file(r, _loosen))
    found = messages(ALERTS.violations(loose))
    assert [m.split(" (expression")[0] for m in found] == [
        "cluster us-east-1-cluster-eks: the critical disk-space alert must compare node_filesystem_avail_bytes with "
        "a threshold at least 0.1",
        "cluster us-east-1-cluster-eks: the warning p95-latency alert must compare "
        "traefik_service_request_duration_seconds_bucket with a threshold at most 0.25",
    ]


def _replace(alert: str, **fields: Any) -> Callable[[list[dict[str, Any]]], list[dict[str, Any]]]:
    def change(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**item, **fields} if item["alert"] == alert else item for item in rules]

    return change


@pytest.mark.parametrize(
    ("case", "fields"),
    [
        # The right labels and annotation, an expression that watches nothing.
        ("a constant", {"expr": "vector(0) > 1"}),
        ("a constant under the threshold", {"expr": "vector(0) > 0.001"}),
        # `bool` never filters: the rule returns every series, 0 or 1, and fires for all of them always.
        (
            "a bool comparison",
            {
                "expr": 'sum by (service) (rate(traefik_service_requests_total{code=~"5.."}[5m])) / '
                "sum by (service) (rate(traefik_service_requests_total[5m])) > bool 0.01"
            },
        ),
        ("the wrong direction", {"expr": "sum(rate(traefik_service_requests_total[5m])) < 0.01"}),
        ("not PromQL", {"expr": "sum(rate(traefik_service_requests_total[5m]) > 0.01"}),
    ],
)
def test_labels_and_annotations_are_not_trusted(case: str, fields: dict[str, Any]) -> None:
    bypass = edited(
        prod(), RULES, "observability-alert-rules", lambda r: rule_file(r, _replace("ErrorRateCritical", **fields))
    )
    found = messages(ALERTS.violations(bypass))
    assert len(found) == 1 and "the critical error-rate alert must compare traefik_service_requests_total" in found[0]


def test_an_alert_that_waits_a_week_fails() -> None:
    slow = edited(
        prod(),
        RULES,
        "observability-alert-rules",
        lambda r: rule_file(r, _replace("ErrorRateCritical", **{"for": "7d"})),
    )
    assert messages(ALERTS.violations(slow)) == [
        "cluster us-east-1-cluster-eks: the critical error-rate alert waits too long to fire (for: 7d; at most 900 s)"
    ]


def test_a_node_group_without_its_maximum_alert_fails() -> None:
    def drop_sandbox(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [x for x in rules if x["labels"].get("node_group") != "sandbox"]

    found = ALERTS.violations(edited(prod(), RULES, "observability-alert-rules", lambda r: rule_file(r, drop_sandbox)))
    assert messages(found) == [
        "cluster us-east-1-cluster-eks: no warning alert on node group sandbox reaching its maxSize 30"
    ]


def test_the_database_alarms_are_required() -> None:
    alarm = "aws:cloudwatch/metricAlarm:MetricAlarm"
    without = edited(prod(), alarm, "observability-slow-queries", lambda r: None)
    assert [m.split(": ", 1)[1][:40] for m in messages(ALERTS.violations(without))] == [
        "no alarm (tag platform-alert: slow-queri"
    ]
    looser = edited(
        prod(),
        "aws:cloudwatch/logMetricFilter:LogMetricFilter",
        "observability-slow-queries",
        lambda r: with_props(r, pattern=str(r.props["pattern"]).replace(">=5000", ">=10000")),
    )
    assert len(ALERTS.violations(looser)) == 1
    stricter_count = edited(
        prod(), alarm, "observability-database-connection-failures", lambda r: with_props(r, threshold=5)
    )
    assert "database-connection-failures" in messages(ALERTS.violations(stricter_count))[0]


def test_routing_needs_both_severities() -> None:
    def one_route(resource: Resource) -> Resource:
        outer = yaml.safe_load(resource.props["definition"])
        inner = yaml.safe_load(outer["alertmanager_config"])
        inner["route"]["routes"] = inner["route"]["routes"][:2]  # the Watchdog's and critical
        return with_props(resource, definition=yaml.safe_dump({"alertmanager_config": yaml.safe_dump(inner)}))

    found = ALERTS.violations(
        edited(
            prod(), "aws:amp/alertManagerDefinition:AlertManagerDefinition", "observability-alert-manager", one_route
        )
    )
    assert messages(found) == [
        "cluster us-east-1-cluster-eks: the alert manager has no route for severity warning to a receiver with an "
        "SNS topic"
    ]


def test_routing_needs_two_different_topics() -> None:
    def same_topic(resource: Resource) -> Resource:
        outer = yaml.safe_load(resource.props["definition"])
        inner = yaml.safe_load(outer["alertmanager_config"])
        receivers = {r["name"]: r for r in inner["receivers"]}
        receivers["warning"]["sns_configs"] = receivers["critical"]["sns_configs"]
        return with_props(resource, definition=yaml.safe_dump({"alertmanager_config": yaml.safe_dump(inner)}))

    found = ALERTS.violations(
        edited(
            prod(), "aws:amp/alertManagerDefinition:AlertManagerDefinition", "observability-alert-manager", same_topic
        )
    )
    assert messages(found) == [
        "cluster us-east-1-cluster-eks: critical and warning alerts go to the same SNS topic; they must page "
        "differently (two topics)"
    ]


def test_database_alarms_need_actions_and_the_connection_filter() -> None:
    alarm = "aws:cloudwatch/metricAlarm:MetricAlarm"
    silent = edited(
        prod(), alarm, "observability-database-connection-failures", lambda r: with_props(r, alarmActions=[])
    )
    found = messages(ALERTS.violations(silent))
    assert len(found) == 1 and "database-connection-failures" in found[0]
    disabled = edited(prod(), alarm, "observability-slow-queries", lambda r: with_props(r, actionsEnabled=False))
    found = messages(ALERTS.violations(disabled))
    assert len(found) == 1 and "slow-queries" in found[0]
    no_filter = edited(
        prod(), "aws:cloudwatch/logMetricFilter:LogMetricFilter", "observability-connection-failures", lambda r: None
    )
    found = messages(ALERTS.violations(no_filter))
    assert len(found) == 1 and "on the metric a log metric filter writes" in found[0]


def test_a_node_group_without_its_label_is_reported_not_skipped() -> None:
    unlabelled = edited(
        prod(),
        "aws:eks/nodeGroup:NodeGroup",
        "cluster-sandbox",
        lambda r: with_props(r, labels={k: v for k, v in r.props["labels"].items() if k != "platform/node-group"}),
    )
    found = messages(ALERTS.violations(unlabelled))
    assert found == [
        "cluster us-east-1-cluster-eks: node group us-east-1-cluster-sandbox has no platform/node-group label, so "
        "no alert can see it reach its maxSize 30"
    ]


def test_unknown_rule_data_in_a_preview_is_not_judged() -> None:
    unknown = edited(prod(), RULES, "observability-alert-rules", lambda r: with_props(r, data=UNKNOWN))
    assert [m for m in messages(ALERTS.violations(unknown)) if "us-east-1" in m] == []


# --- log retention reads the archive -------------------------------------------------------------

GROUP = "aws:cloudwatch/logGroup:LogGroup"
YEAR = {"minRetentionDays": 365}


def test_a_30_day_group_passes_only_through_its_archive() -> None:
    unsubscribed = edited(
        prod(),
        "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter",
        "observability-archive-application",
        lambda r: None,
    )
    assert messages(RETENTION.violations(unsubscribed, YEAR)) == [
        "log group us-east-1-observability-application-logs: set retentionInDays to at least 365 (it is 30), or "
        "leave it unset to keep events forever, or archive it (a subscription filter to a Firehose stream into S3)"
    ]


def test_an_archive_that_expires_too_soon_does_not_count() -> None:
    def sooner(resource: Resource) -> Resource:
        (lifecycle_rule,) = resource.props["rules"]
        return with_props(resource, rules=[{**lifecycle_rule, "expiration": {"days": 180}}])

    short = edited(
        prod(),
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "observability-log-archive-lifecycle",
        sooner,
    )
    found = messages(RETENTION.violations(short, YEAR))
    assert len(found) == 4  # application, dataplane, host and performance in us-east-1
    assert all("the bucket expires objects after 180 days" in m for m in found)


def test_a_short_group_without_archive_still_fails_and_a_long_one_passes() -> None:
    flow = [r for r in prod() if r.type == GROUP and "flow" in r.name][:1]
    assert flow, "a VPC flow-log group to mutate"
    assert RETENTION.violations([with_props(flow[0], retentionInDays=90)], YEAR) != []
    assert RETENTION.violations([with_props(flow[0], retentionInDays=400)], YEAR) == []
    assert RETENTION.violations([with_props(flow[0], retentionInDays=0)], YEAR) == []  # 0: forever


def test_replication_lag_must_notify_the_critical_topic() -> None:
    """Lag above the RPO reaches no one on a data store's own topic (nothing subscribes to it)."""
    lag = "eu-west-1-postgres-global-lag"
    resources = prod()
    assert any(r.name == lag for r in resources)

    def own_topic(resource: Resource) -> Resource:
        if resource.name != lag:
            return resource
        return dataclasses.replace(
            resource,
            props={**resource.props, "alarmActions": ["arn:aws:sns:eu-west-1:333333333333:postgres-alarms"]},
            property_dependencies={**resource.property_dependencies, "alarmActions": []},
        )

    found = messages(ALERTS.violations([own_topic(r) for r in resources]))
    assert found == [
        "cluster eu-west-1-cluster-eks: replication-lag alarm eu-west-1-postgres-global-lag does not notify the "
        "critical alert topic (set the data store's alarm_topic_arn to it)"
    ]
    silenced = [
        dataclasses.replace(r, props={**r.props, "actionsEnabled": False}) if r.name == lag else r for r in resources
    ]
    assert len(ALERTS.violations(silenced)) == 1


@pytest.mark.parametrize(
    ("alert", "label"),
    [("Watchdog", "watchdog"), ("MetricsAbsent", "metrics-absent"), ("MetricsTargetDown", "target-down")],
)
def test_without_the_watchdog_or_the_absent_checks_the_stack_fails(alert: str, label: str) -> None:
    def drop(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [x for x in rules if x["alert"] != alert]

    found = messages(
        ALERTS.violations(edited(prod(), RULES, "observability-alert-rules", lambda r: rule_file(r, drop)))
    )
    assert len(found) == 1 and f"alert rule on {label}" in found[0], alert


def _lifecycle(change: Callable[[dict[str, Any]], dict[str, Any]]) -> list[Resource]:
    def edit(resource: Resource) -> Resource:
        (lifecycle_rule,) = resource.props["rules"]
        return with_props(resource, rules=[change(dict(lifecycle_rule))])

    return edited(
        prod(),
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "observability-log-archive-lifecycle",
        edit,
    )


def test_a_narrow_subscription_is_no_archive() -> None:
    narrow = edited(
        prod(),
        "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter",
        "observability-archive-application",
        lambda r: with_props(r, filterPattern="ERROR"),
    )
    found = messages(RETENTION.violations(narrow, YEAR))
    assert len(found) == 1 and "us-east-1-observability-application-logs" in found[0]


def test_a_short_rule_on_another_prefix_does_not_count_and_a_date_expiration_does() -> None:
    elsewhere = _lifecycle(lambda rule: {**rule, "filter": {"prefix": "other/"}, "expiration": {"days": 30}})
    assert RETENTION.violations(elsewhere, YEAR) == []  # the logs/ objects are not touched by it
    on_a_date = _lifecycle(lambda rule: {**rule, "expiration": {"date": "2027-01-01T00:00:00Z"}})
    assert len(RETENTION.violations(on_a_date, YEAR)) == 4  # all four groups of us-east-1


def test_each_rule_file_is_read_once_as_pyyamls_safe_loader_reads_it() -> None:
    """The rules are parsed once per text (cached) and read as before the cache: PyYAML's safe
    loader, which refuses some texts libyaml's reads (a tab before a comment), so no verdict moved."""
    texts = [str(r.props["data"]) for r in prod() if r.type == RULES]
    assert len(texts) == 3  # one rule file in each of prod's three regions
    for text in texts:
        expected = [g for group in yaml.safe_load(text)["groups"] for g in group["rules"] if g.get("alert")]
        assert list(observability_rules._alert_rules(text)) == expected and expected
        assert observability_rules._alert_rules(text) is observability_rules._alert_rules(text)
    tab_before_comment = "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up == 0\t# c\n"
    with pytest.raises(yaml.YAMLError):
        yaml.safe_load(tab_before_comment)
    assert observability_rules._alert_rules(tab_before_comment) == ()  # refused, as AMP's check would be
    assert observability_rules._alert_rules("groups: [") == ()

"""Alarm plumbing shared by the data stores: an encrypted SNS topic and threshold alarms."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from eksplatform.components.aws_context import AwsContext
from eksplatform.components.kms import customer_managed_key, service_statement


def encrypted_alarm_topic(
    name: str, *, description: str, context: AwsContext, parent: pulumi.Resource
) -> aws.sns.Topic:
    """An SNS topic (resource `name`) encrypted with its own CMK that CloudWatch alarms may publish with."""
    key = customer_managed_key(
        f"{name}-key",
        description=f"Encrypts the alarm topic of {description}",
        context=context,
        parent=parent,
        service_statements=[
            # CloudWatch publishes alarm notifications with the key; only from this account's alarms.
            service_statement(
                "CloudWatchAlarmsPublish",
                "cloudwatch.amazonaws.com",
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                conditions=[
                    aws.iam.GetPolicyDocumentStatementConditionArgs(
                        test="StringEquals", variable="aws:SourceAccount", values=[context.account]
                    )
                ],
            )
        ],
    )
    return aws.sns.Topic(name, kms_master_key_id=key.arn, opts=pulumi.ResourceOptions(parent=parent))


def threshold_alarm(
    name: str,
    *,
    description: str,
    namespace: str,
    metric: str,
    dimensions: Mapping[str, pulumi.Input[str]],
    threshold: float,
    topic_arn: pulumi.Input[str],
    parent: pulumi.Resource,
    statistic: str = "Average",
    comparison: str = "GreaterThanThreshold",
    period_seconds: int = 60,
    evaluation_periods: int = 5,
    treat_missing_data: str = "missing",
    notify_insufficient_data: bool = False,
    datapoints_to_alarm: int | None = None,
) -> aws.cloudwatch.MetricAlarm:
    """Alarm when `metric` crosses `threshold` for `evaluation_periods` periods; notify on alarm and recovery.

    `treat_missing_data` is CloudWatch's: `missing` keeps the state when a metric pauses (load
    metrics), `breaching` alarms when it stops (a lag metric that stops means replication stopped).
    """
    _check_missing_data(treat_missing_data)
    return aws.cloudwatch.MetricAlarm(
        name,
        alarm_description=description,
        namespace=namespace,
        metric_name=metric,
        dimensions=dict(dimensions),
        statistic=statistic,
        comparison_operator=comparison,
        threshold=threshold,
        period=period_seconds,
        evaluation_periods=evaluation_periods,
        datapoints_to_alarm=datapoints_to_alarm,
        treat_missing_data=treat_missing_data,
        alarm_actions=[topic_arn],
        ok_actions=[topic_arn],
        insufficient_data_actions=[topic_arn] if notify_insufficient_data else None,
        opts=pulumi.ResourceOptions(parent=parent),
    )


@dataclass(frozen=True)
class MetricSeries:
    """One metric, read for each of `dimension_sets` (a node, a replica...)."""

    namespace: str
    metric: str
    dimension_sets: Sequence[Mapping[str, pulumi.Input[str]]]


# A lag alarm needs LAG_DATAPOINTS of its last LAG_PERIODS minutes over the threshold (or
# missing): one late datapoint does not page anyone, three minutes of silence does.
LAG_PERIODS = 3
LAG_DATAPOINTS = 2


def lag_alarm(
    name: str,
    *,
    description: str,
    threshold: float,
    topic_arn: pulumi.Input[str],
    parent: pulumi.Resource,
    series: MetricSeries | None = None,
    query: str | None = None,
    period_seconds: int = 60,
) -> aws.cloudwatch.MetricAlarm:
    """Alarm when replication lag passes `threshold`, or when nothing reports it.

    Missing data is breaching and INSUFFICIENT_DATA notifies too: a replica that is detached or a
    region that is lost stops reporting lag, and that is exactly when the RPO is at risk. Give
    `series` (one set of dimensions: a plain alarm; several: a metric-math MAX, at most
    MAX_ALARM_METRICS metrics in all, CloudWatch PutMetricAlarm `Metrics`) or a Metrics Insights
    `query` that returns one series (for a metric whose full dimension set is not documented).
    """
    if (series is None) == (query is None):
        raise ValueError(f"{name}: give a lag alarm either series or a query")
    common: dict[str, Any] = {
        "alarm_description": description,
        "comparison_operator": "GreaterThanThreshold",
        "threshold": threshold,
        "evaluation_periods": LAG_PERIODS,
        "datapoints_to_alarm": LAG_DATAPOINTS,
        "treat_missing_data": "breaching",
        "alarm_actions": [topic_arn],
        "ok_actions": [topic_arn],
        "insufficient_data_actions": [topic_arn],
    }
    options = pulumi.ResourceOptions(parent=parent)
    if query is not None:
        # A Metrics Insights alarm is one query with its period (CloudWatch user guide, "Create an
        # alarm based on a Metrics Insights query").
        return aws.cloudwatch.MetricAlarm(
            name,
            metric_queries=[
                aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id="lag", expression=query, period=period_seconds, label="replication lag", return_data=True
                )
            ],
            **common,
            opts=options,
        )
    assert series is not None
    if not series.dimension_sets:
        raise ValueError(f"{name}: a lag alarm needs at least one series")
    if len(series.dimension_sets) == 1:
        return threshold_alarm(
            name,
            description=description,
            namespace=series.namespace,
            metric=series.metric,
            dimensions=series.dimension_sets[0],
            threshold=threshold,
            topic_arn=topic_arn,
            parent=parent,
            statistic="Maximum",
            period_seconds=period_seconds,
            evaluation_periods=LAG_PERIODS,
            datapoints_to_alarm=LAG_DATAPOINTS,
            treat_missing_data="breaching",
            notify_insufficient_data=True,
        )
    if len(series.dimension_sets) + 1 > MAX_ALARM_METRICS:
        raise ValueError(
            f"{name}: {len(series.dimension_sets)} series and their MAX exceed {MAX_ALARM_METRICS} metrics"
        )
    ids = [f"m{index}" for index in range(len(series.dimension_sets))]
    queries = [
        aws.cloudwatch.MetricAlarmMetricQueryArgs(
            id=query_id,
            metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                namespace=series.namespace,
                metric_name=series.metric,
                dimensions=dict(dimensions),
                period=period_seconds,
                stat="Maximum",
            ),
            return_data=False,
        )
        for query_id, dimensions in zip(ids, series.dimension_sets, strict=True)
    ]
    return aws.cloudwatch.MetricAlarm(
        name,
        metric_queries=[
            *queries,
            aws.cloudwatch.MetricAlarmMetricQueryArgs(
                id="lag", expression=f"MAX([{', '.join(ids)}])", label=f"{series.metric} (max)", return_data=True
            ),
        ],
        **common,
        opts=options,
    )


# CloudWatch's values for TreatMissingData (PutMetricAlarm).
TREAT_MISSING_DATA = ("breaching", "notBreaching", "ignore", "missing")
# PutMetricAlarm: "Each item in the Metrics array ... up to 10 structures".
MAX_ALARM_METRICS = 10


def _check_missing_data(value: str) -> None:
    if value not in TREAT_MISSING_DATA:
        raise ValueError(f"treat_missing_data {value!r}: use one of {TREAT_MISSING_DATA}")

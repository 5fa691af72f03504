"""Alarm plumbing shared by the data stores: an encrypted SNS topic and threshold alarms."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from components.aws_context import AwsContext
from components.kms import customer_managed_key, service_statement


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
) -> aws.cloudwatch.MetricAlarm:
    """Alarm when `metric` crosses `threshold` for `evaluation_periods` periods; notify on alarm and recovery."""
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
        treat_missing_data="missing",
        alarm_actions=[topic_arn],
        ok_actions=[topic_arn],
        opts=pulumi.ResourceOptions(parent=parent),
    )

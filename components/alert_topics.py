"""The critical, warning and heartbeat alert topics of one region, made before anything that alarms into them.

The data stores' CloudWatch alarms (replication lag above the RPO among them) and the
Observability component's alert manager and alarms publish here; who may publish is the topic
policy the Observability component sets (it names its Prometheus workspace).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pulumi
import pulumi_aws as aws
from pulumi_aws.iam import GetPolicyDocumentStatementConditionArgs as Condition

from eksplatform.components.alert_rules import TOPIC_KINDS, TopicKind
from eksplatform.components.aws_context import AwsContext
from eksplatform.components.kms import customer_managed_key, service_statement
from eksplatform.stack.config import NotificationConfig


class AlertTopics(pulumi.ComponentResource):
    """Three SNS topics (critical, warning, heartbeat), each encrypted with its own key, subscriptions from config."""

    topics: dict[TopicKind, aws.sns.Topic]

    def __init__(
        self,
        name: str,
        *,
        cluster_name: str,
        notifications: Mapping[TopicKind, Sequence[NotificationConfig]],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("platform:index:AlertTopics", name, None, opts)
        self._name, self._cluster_name = name, cluster_name
        self._context = AwsContext.of(self)
        self.topics = {kind: self._topic(kind, notifications.get(kind, [])) for kind in TOPIC_KINDS}
        self.register_outputs({severity: topic.arn for severity, topic in self.topics.items()})

    def _topic(self, severity: TopicKind, subscriptions: Sequence[NotificationConfig]) -> aws.sns.Topic:
        """A topic AMP's alert manager and CloudWatch alarms publish to, encrypted with its own key."""
        name, context = f"{self._name}-{severity}", self._context
        same_account = Condition(test="StringEquals", variable="aws:SourceAccount", values=[context.account])
        key = customer_managed_key(
            f"{name}-key",
            description=f"Encrypts the {severity} alert topic of {self._cluster_name}",
            context=context,
            parent=self,
            service_statements=[
                # Publishing to an encrypted topic needs the key (SNS developer guide, "Configure
                # KMS permissions for AWS services"): AMP (AMP user guide) and CloudWatch alarms.
                service_statement(
                    "ServicesPublish",
                    "aps.amazonaws.com",
                    actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                    conditions=[same_account],
                ),
                service_statement(
                    "CloudWatchAlarmsPublish",
                    "cloudwatch.amazonaws.com",
                    actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                    conditions=[same_account],
                ),
            ],
        )
        topic = aws.sns.Topic(name, kms_master_key_id=key.arn, opts=pulumi.ResourceOptions(parent=self))
        for index, subscription in enumerate(subscriptions):
            aws.sns.TopicSubscription(
                f"{name}-subscription-{index}",
                topic=topic.arn,
                protocol=subscription.protocol,
                endpoint=subscription.endpoint,
                opts=pulumi.ResourceOptions(parent=self),
            )
        return topic

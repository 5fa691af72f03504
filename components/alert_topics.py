"""The critical, warning and heartbeat alert topics of one region, made before anything that alarms into them.

The data stores' CloudWatch alarms (replication lag above the RPO among them) and the
Observability component's alert manager and alarms publish here; who may publish is the topic
policy the Observability component sets (it names its Prometheus workspace).
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import pulumi
import pulumi_aws as aws
from pulumi_aws.iam import GetPolicyDocumentStatementConditionArgs as Condition

from eksplatform.components.alert_rules import TOPIC_KINDS, TopicKind
from eksplatform.components.aws_context import AwsContext
from eksplatform.components.inputs import ArgsError, check_fields, enum_member, to_args
from eksplatform.components.kms import customer_managed_key, service_statement

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AlertTopicsArgsError(ArgsError):
    """Bad AlertTopics arguments; the message starts with the field (`args.critical_subscriptions[0].endpoint`)."""


class NotificationProtocol(StrEnum):
    """SNS Subscribe protocols a person or a pager answers."""

    EMAIL = "email"
    """An email address: SNS mails a confirmation link first, and sends nothing until it is followed."""
    HTTPS = "https"
    """An `https://` URL (a pager's webhook): SNS posts a confirmation request it must answer."""


def endpoint_problem(protocol: str, endpoint: str) -> str | None:
    """Why `endpoint` cannot be a subscription of `protocol`, or None (shared with the stack file's check)."""
    if protocol == NotificationProtocol.EMAIL and not _EMAIL.fullmatch(endpoint):
        return f"{endpoint!r} is not an email address"
    if protocol == NotificationProtocol.HTTPS and not endpoint.startswith("https://"):
        # SNS Subscribe: protocol https takes a URL beginning with https://.
        return f"{endpoint!r}: an https subscription needs an https:// URL"
    return None


@dataclass(frozen=True, kw_only=True)
class AlertSubscription:
    """One SNS subscription of an alert topic."""

    protocol: NotificationProtocol
    """`email` (SNS mails a confirmation link first) or `https` (a pager's webhook)."""
    endpoint: str
    """An email address, or an `https://` URL."""

    def __post_init__(self) -> None:
        protocol = enum_member(NotificationProtocol, self.protocol, "AlertSubscription.protocol", AlertTopicsArgsError)
        object.__setattr__(self, "protocol", protocol)


@dataclass(frozen=True, kw_only=True)
class AlertTopicsSettings:
    """Who each alert topic notifies: what a person chooses. `AlertTopicsArgs` adds the cluster the
    stack wires in, so a Region can take these from its own Args."""

    critical_subscriptions: Sequence[AlertSubscription] | None = None
    """Who is paged for critical alerts (and the data stores' alarms). Default: none."""
    warning_subscriptions: Sequence[AlertSubscription] | None = None
    """Who hears of warnings. Default: none."""
    heartbeat_subscriptions: Sequence[AlertSubscription] | None = None
    """A dead man's switch's HTTPS endpoint: it alerts when the Watchdog's notifications stop. Default: none."""

    def __post_init__(self) -> None:
        check_fields(self, AlertTopicsArgsError)  # an Output or wrong type, named (an Args' wiring too)
        for kind in TOPIC_KINDS:
            for index, subscription in enumerate(self.subscriptions(kind)):
                problem = endpoint_problem(subscription.protocol, subscription.endpoint)
                if problem is not None:
                    raise AlertTopicsArgsError(f"args.{kind}_subscriptions[{index}].endpoint: {problem}")

    def subscriptions(self, kind: TopicKind) -> Sequence[AlertSubscription]:
        """The subscriptions of one topic (None: none)."""
        given: dict[TopicKind, Sequence[AlertSubscription] | None] = {
            "critical": self.critical_subscriptions,
            "warning": self.warning_subscriptions,
            "heartbeat": self.heartbeat_subscriptions,
        }
        return given[kind] or ()


@dataclass(frozen=True, kw_only=True)
class AlertTopicsArgs(AlertTopicsSettings):
    """The cluster the topics alert about (wiring) and who each topic notifies (`AlertTopicsSettings`)."""

    cluster_name: str
    """The cluster the alerts are about (named in the topics' key descriptions)."""

    def __post_init__(self) -> None:
        super().__post_init__()  # every field's type, then the subscriptions' rules
        if not self.cluster_name.strip():
            raise AlertTopicsArgsError("args.cluster_name: name the cluster the alerts are about")


class AlertTopics(pulumi.ComponentResource):
    """Three SNS topics (critical, warning, heartbeat), each encrypted with its own key, and their subscriptions."""

    critical_topic_arn: pulumi.Output[str]
    """Critical alerts: page someone (the data stores' alarms publish here too)."""
    warning_topic_arn: pulumi.Output[str]
    """Warnings: look soon."""
    heartbeat_topic_arn: pulumi.Output[str]
    """The Watchdog's heartbeat, for a dead man's switch."""

    def __init__(self, name: str, args: AlertTopicsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        args = to_args(AlertTopicsArgs, args)  # other languages pass a dict (docs/other-languages.md)
        super().__init__("platform:index:AlertTopics", name, None, opts)
        self._name, self._cluster_name = name, args.cluster_name
        self._context = AwsContext.of(self)
        self.topics = {kind: self._topic(kind, args.subscriptions(kind)) for kind in TOPIC_KINDS}
        self.critical_topic_arn = self.topics["critical"].arn
        self.warning_topic_arn = self.topics["warning"].arn
        self.heartbeat_topic_arn = self.topics["heartbeat"].arn
        self.register_outputs(
            {
                "criticalTopicArn": self.critical_topic_arn,
                "warningTopicArn": self.warning_topic_arn,
                "heartbeatTopicArn": self.heartbeat_topic_arn,
            }
        )

    def _topic(self, severity: TopicKind, subscriptions: Sequence[AlertSubscription]) -> aws.sns.Topic:
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
                protocol=subscription.protocol.value,
                endpoint=subscription.endpoint,
                opts=pulumi.ResourceOptions(parent=self),
            )
        return topic

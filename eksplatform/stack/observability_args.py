"""The stack file's observability settings -> the AlertTopics and Observability Args.

The stack layer's adapter (#23 item 1): the components take plain Args; this module maps the
stack file's `observability` model (eksplatform/stack/models_observability.py) and the environment
profile onto them; the Region (eksplatform/stack/region.py) adds the region's own values (cluster,
network, data stores, topics).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eksplatform.components.alert_topics import AlertSubscription, AlertTopicsArgs, NotificationProtocol
from eksplatform.environments import profile
from eksplatform.stack.models_observability import NotificationConfig, ObservabilityConfig


def _subscriptions(notifications: Sequence[NotificationConfig]) -> list[AlertSubscription]:
    return [
        AlertSubscription(protocol=NotificationProtocol(item.protocol), endpoint=item.endpoint)
        for item in notifications
    ]


def alert_topics_args(config: ObservabilityConfig, *, cluster_name: str) -> AlertTopicsArgs:
    """The region's alert topics, with the subscriptions the stack file lists per topic."""
    notifications = config.notifications
    return AlertTopicsArgs(
        cluster_name=cluster_name,
        critical_subscriptions=_subscriptions(notifications.get("critical", [])),
        warning_subscriptions=_subscriptions(notifications.get("warning", [])),
        heartbeat_subscriptions=_subscriptions(notifications.get("heartbeat", [])),
    )


def observability_settings(config: ObservabilityConfig, *, environment: str) -> dict[str, Any]:
    """The ObservabilityArgs fields the stack file and the environment set; the Region adds its own
    (cluster, network, data stores, topics): `ObservabilityArgs(cluster_name=..., **settings)`."""
    return {
        "addon_versions": dict(config.addon_versions),
        "thresholds": config.thresholds.args(),
        "log_retention_days": config.log_retention_days,
        "archive_days": config.archive_days,
        "archive_transition_days": config.archive_transition_days,
        "scrape_interval_seconds": config.scrape_interval_seconds,
        # dev and staging can be torn down; prod's workspace, archive and their keys are protected.
        "protect": profile(environment).protect_resources,
    }

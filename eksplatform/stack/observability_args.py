"""The stack file's observability settings -> the AlertTopics and Observability settings.

The stack layer's adapter (#23 item 1): the components take plain Args; this module maps the
stack file's `observability` model (eksplatform/stack/models_observability.py) and the environment
profile onto their settings (`AlertTopicsSettings`, `ObservabilitySettings`); the Region
(eksplatform/stack/region.py) adds the wiring (cluster, network, data stores, topics) with
`args_from_settings`.
"""

from __future__ import annotations

from collections.abc import Sequence

from eksplatform.components.alert_topics import (
    AlertSubscription,
    AlertTopicsSettings,
    NotificationProtocol,
)
from eksplatform.components.observability import ObservabilitySettings
from eksplatform.environments import profile
from eksplatform.stack.models_observability import NotificationConfig, ObservabilityConfig


def _subscriptions(notifications: Sequence[NotificationConfig]) -> list[AlertSubscription]:
    return [
        AlertSubscription(protocol=NotificationProtocol(item.protocol), endpoint=item.endpoint)
        for item in notifications
    ]


def alert_topics_settings(config: ObservabilityConfig) -> AlertTopicsSettings:
    """Who each of the region's alert topics notifies: the subscriptions the stack file lists per topic."""
    notifications = config.notifications
    return AlertTopicsSettings(
        critical_subscriptions=_subscriptions(notifications.get("critical", [])),
        warning_subscriptions=_subscriptions(notifications.get("warning", [])),
        heartbeat_subscriptions=_subscriptions(notifications.get("heartbeat", [])),
    )


def observability_settings(config: ObservabilityConfig, *, environment: str) -> ObservabilitySettings:
    """What the stack file and the environment decide; the Region adds the wiring (cluster, network,
    data stores, topics): `args_from_settings(ObservabilityArgs, settings, cluster_name=..., ...)`."""
    return ObservabilitySettings(
        addon_versions={addon: version for addon, version in config.addon_versions.items()},
        thresholds=config.thresholds.args(),
        log_retention_days=config.log_retention_days,
        archive_days=config.archive_days,
        archive_transition_days=config.archive_transition_days,
        scrape_interval_seconds=config.scrape_interval_seconds,
        # dev and staging can be torn down; prod's workspace, archive and their keys are protected.
        protect=profile(environment).protect_resources,
    )

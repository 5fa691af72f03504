"""The stack file's observability settings: add-on versions, alert thresholds, notifications, logs."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator
from pydantic.alias_generators import to_camel

from eksplatform.components.alert_rules import CriticalLevels, WarningLevels
from eksplatform.components.alert_topics import endpoint_problem
from eksplatform.components.facts import NotificationProtocol, ObservabilityAddon
from eksplatform.components.observability import (
    DEFAULT_ARCHIVE_DAYS,
    DEFAULT_ARCHIVE_TRANSITION_DAYS,
    DEFAULT_LOG_RETENTION_DAYS,
    DEFAULT_SCRAPE_INTERVAL_SECONDS,
    CriticalAlertThresholds,
    WarningAlertThresholds,
    retention_problems,
    threshold_problems,
)
from eksplatform.components.observability import (
    AlertThresholds as ThresholdArgs,
)
from eksplatform.stack.errors import KeyedValueError
from eksplatform.stack.models_base import StackModel

# The AWS and alerting rules of these settings are the Observability and AlertTopics Args' own
# (components/observability.py, components/alert_topics.py); the models call the same functions,
# so a bad stack file is reported at load time by its key path. The defaults are the components'.
_CRITICAL, _WARNING = CriticalLevels(), WarningLevels()


def _keyed(path: str) -> str:
    """`thresholds.warning.p95_latency_ms` -> `thresholds.warning.p95LatencyMs` (the stack file's keys)."""
    return ".".join(part if "-" in part else to_camel(part) for part in path.split("."))


class NotificationConfig(StackModel):
    """One SNS subscription of an alert topic."""

    protocol: NotificationProtocol = Field(description="email, or https for a pager's webhook")
    endpoint: str = Field(min_length=1, description="an email address, or an https:// URL (a pager's webhook)")

    @model_validator(mode="after")
    def _endpoint_fits(self) -> NotificationConfig:
        problem = endpoint_problem(self.protocol, self.endpoint)
        if problem is not None:
            raise KeyedValueError("endpoint", problem)
        return self


class CriticalThresholds(StackModel):
    """Page someone: the platform is failing its users."""

    error_rate_percent: float = Field(default=_CRITICAL.error_rate_percent, description="5xx share of requests")
    p95_latency_ms: float = Field(
        default=_CRITICAL.p95_latency_ms, description="95th percentile request latency (a histogram bucket edge)"
    )
    disk_free_percent: float = Field(
        default=_CRITICAL.disk_free_percent, description="free space on a node's root disk"
    )
    database_connection_failures: int = Field(
        default=_CRITICAL.database_connection_failures,
        description="failed connection attempts in 5 minutes (PostgreSQL log)",
    )


class WarningThresholds(StackModel):
    """Look soon: the platform is drifting towards trouble."""

    error_rate_percent: float = Field(default=_WARNING.error_rate_percent, description="5xx share of requests")
    p95_latency_ms: float = Field(
        default=_WARNING.p95_latency_ms, description="95th percentile request latency (a histogram bucket edge)"
    )
    memory_percent: float = Field(default=_WARNING.memory_percent, description="a pod's memory use of its limit")
    cpu_percent: float = Field(default=_WARNING.cpu_percent, description="a pod's CPU use of its limit")
    slow_query_seconds: float = Field(
        default=_WARNING.slow_query_seconds, description="a database statement slower than this"
    )


class AlertThresholds(StackModel):
    """Alert thresholds by severity; each warning stays below its critical."""

    critical: CriticalThresholds = Field(default_factory=CriticalThresholds)
    warning: WarningThresholds = Field(default_factory=WarningThresholds)

    def args(self) -> ThresholdArgs:
        """The Observability Args' thresholds (unset ones take the component's defaults)."""
        return ThresholdArgs(
            critical=CriticalAlertThresholds(**self.critical.model_dump()),
            warning=WarningAlertThresholds(**self.warning.model_dump()),
        )

    @model_validator(mode="after")
    def _rules(self) -> AlertThresholds:
        for path, message in threshold_problems(self.args().resolved(), name=to_camel):
            raise KeyedValueError(_keyed(path.removeprefix("thresholds.")), message)
        return self


class ObservabilityConfig(StackModel):
    """Metrics, alerts, logs and dashboards of every region (components/observability.py)."""

    addon_versions: dict[ObservabilityAddon, str] = Field(
        description="the version of each observability add-on (aws eks describe-addon-versions)"
    )
    thresholds: AlertThresholds = Field(default_factory=AlertThresholds)
    notifications: dict[Literal["critical", "warning", "heartbeat"], list[NotificationConfig]] = Field(
        default_factory=dict,
        description="SNS subscriptions of the critical and warning topics, and of the heartbeat (a dead man's "
        "switch's HTTPS endpoint: it alerts when the Watchdog's notifications stop)",
    )
    log_retention_days: int = Field(default=DEFAULT_LOG_RETENTION_DAYS, description="searchable in CloudWatch Logs")
    archive_days: int = Field(default=DEFAULT_ARCHIVE_DAYS, description="kept in the S3 archive, then expired")
    archive_transition_days: int = Field(
        default=DEFAULT_ARCHIVE_TRANSITION_DAYS,
        description="days in S3 Standard before the archive moves to S3 Glacier Flexible Retrieval",
    )
    scrape_interval_seconds: int = Field(
        default=DEFAULT_SCRAPE_INTERVAL_SECONDS,
        description="how often the collector scrapes, 10-300 (alerts read 5-minute rates)",
    )

    @model_validator(mode="after")
    def _settings(self) -> ObservabilityConfig:
        problems = retention_problems(
            log_retention_days=self.log_retention_days,
            archive_days=self.archive_days,
            archive_transition_days=self.archive_transition_days,
            scrape_interval_seconds=self.scrape_interval_seconds,
            addon_versions={str(addon): version for addon, version in self.addon_versions.items()},
            name=to_camel,
        )
        for path, message in problems:
            raise KeyedValueError(_keyed(path), message)
        return self

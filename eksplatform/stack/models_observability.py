"""The stack file's observability settings: add-on versions, alert thresholds, notifications, logs."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator
from pydantic.alias_generators import to_camel

from eksplatform.components.facts import (
    LATENCY_BUCKETS_SECONDS,
    OBSERVABILITY_ADDONS,
    NotificationProtocol,
    ObservabilityAddon,
)
from eksplatform.stack.errors import KeyedValueError
from eksplatform.stack.models_base import StackModel, log_retention

# --- observability -------------------------------------------------------------------------

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class NotificationConfig(StackModel):
    """One SNS subscription of an alert topic."""

    protocol: NotificationProtocol = Field(description="email, or https for a pager's webhook")
    endpoint: str = Field(min_length=1, description="an email address, or an https:// URL (a pager's webhook)")

    @model_validator(mode="after")
    def _endpoint_fits(self) -> NotificationConfig:
        if self.protocol == "email" and not _EMAIL.fullmatch(self.endpoint):
            raise KeyedValueError("endpoint", f"{self.endpoint!r} is not an email address")
        if self.protocol == "https" and not self.endpoint.startswith("https://"):
            # SNS Subscribe: protocol https takes a URL beginning with https://.
            raise KeyedValueError("endpoint", f"{self.endpoint!r}: an https subscription needs an https:// URL")
        return self


class CriticalThresholds(StackModel):
    """Page someone: the platform is failing its users."""

    error_rate_percent: float = Field(default=1.0, gt=0, lt=100, description="5xx share of requests")
    p95_latency_ms: float = Field(default=500.0, gt=0, description="95th percentile request latency")
    disk_free_percent: float = Field(default=10.0, gt=0, lt=100, description="free space on a node's root disk")
    database_connection_failures: int = Field(
        default=1, ge=1, description="failed connection attempts in 5 minutes (PostgreSQL log)"
    )


class WarningThresholds(StackModel):
    """Look soon: the platform is drifting towards trouble."""

    error_rate_percent: float = Field(default=0.5, gt=0, lt=100, description="5xx share of requests")
    p95_latency_ms: float = Field(default=250.0, gt=0, description="95th percentile request latency")
    memory_percent: float = Field(default=80.0, gt=0, le=100, description="a pod's memory use of its limit")
    cpu_percent: float = Field(default=90.0, gt=0, le=100, description="a pod's CPU use of its limit")
    slow_query_seconds: float = Field(default=5.0, gt=0, description="a database statement slower than this")


class AlertThresholds(StackModel):
    """Alert thresholds by severity; each warning stays below its critical."""

    critical: CriticalThresholds = Field(default_factory=CriticalThresholds)
    warning: WarningThresholds = Field(default_factory=WarningThresholds)

    @model_validator(mode="after")
    def _warning_before_critical(self) -> AlertThresholds:
        # A warning that fires after the critical alert warns nobody.
        for key in ("error_rate_percent", "p95_latency_ms"):
            warning, critical = getattr(self.warning, key), getattr(self.critical, key)
            if warning >= critical:
                raise KeyedValueError(
                    f"warning.{to_camel(key)}", f"{warning:g} is not below critical.{to_camel(key)} {critical:g}"
                )
        return self

    @model_validator(mode="after")
    def _latency_on_a_bucket_edge(self) -> AlertThresholds:
        edges = ", ".join(f"{edge * 1000:g}" for edge in LATENCY_BUCKETS_SECONDS)
        for severity in ("critical", "warning"):
            value: float = getattr(self, severity).p95_latency_ms
            if value / 1000 not in LATENCY_BUCKETS_SECONDS:
                raise KeyedValueError(
                    f"{severity}.p95LatencyMs",
                    f"{value:g} is not a latency histogram bucket edge (ms: {edges}); "
                    "p95 between edges is interpolated",
                )
        return self


class ObservabilityConfig(StackModel):
    """Metrics, alerts, logs and dashboards of every region (components/observability.py)."""

    addon_versions: dict[
        ObservabilityAddon, Annotated[str, StringConstraints(pattern=r"^v\d+\.\d+\.\d+-eksbuild\.\d+$")]
    ] = Field(description="the version of each observability add-on (aws eks describe-addon-versions)")
    thresholds: AlertThresholds = Field(default_factory=AlertThresholds)
    notifications: dict[Literal["critical", "warning", "heartbeat"], list[NotificationConfig]] = Field(
        default_factory=dict,
        description="SNS subscriptions of the critical and warning topics, and of the heartbeat (a dead man's "
        "switch's HTTPS endpoint: it alerts when the Watchdog's notifications stop)",
    )
    log_retention_days: int = Field(default=30, description="searchable in CloudWatch Logs")
    archive_days: int = Field(default=365, ge=1, le=3650, description="kept in the S3 archive, then expired")
    archive_transition_days: int = Field(
        default=30, ge=0, description="days in S3 Standard before the archive moves to S3 Glacier Flexible Retrieval"
    )
    scrape_interval_seconds: int = Field(
        default=60, ge=10, le=300, description="how often the collector scrapes (alerts read 5-minute rates)"
    )

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, days: int) -> int:
        return log_retention(days)

    @model_validator(mode="after")
    def _archive_settings(self) -> ObservabilityConfig:
        missing = [addon for addon in OBSERVABILITY_ADDONS if addon not in self.addon_versions]
        if missing:
            raise KeyedValueError("addonVersions", f"pin every observability add-on's version; missing {missing}")
        # S3 lifecycle: Glacier Flexible Retrieval bills 90 days at least; an expiry sooner than that
        # after the transition pays for days it does not keep (S3 user guide, "Constraints").
        if self.archive_transition_days + 90 > self.archive_days:
            raise KeyedValueError(
                "archiveTransitionDays",
                f"{self.archive_transition_days} leaves under 90 days in Glacier before expiry at "
                f"archiveDays {self.archive_days} (Glacier bills 90 days at least)",
            )
        if self.archive_days <= self.log_retention_days:
            raise KeyedValueError("archiveDays", f"{self.archive_days} is not longer than logRetentionDays")
        return self

"""Observability's and AlertTopics' settings (what a person chooses) apart from their wiring (#23).

`ObservabilitySettings` and `AlertTopicsSettings` are the bases of the Args: the rules that read
only settings are checked there, the Args add the wiring and its rules, and the stack adapter
builds settings that `args_from_settings` completes into the same Args the stacks used before.
"""

import dataclasses
from dataclasses import dataclass
from typing import Any

import pulumi
import pytest

from eksplatform.components.alert_rules import Thresholds
from eksplatform.components.alert_topics import (
    AlertSubscription,
    AlertTopicsArgs,
    AlertTopicsArgsError,
    AlertTopicsSettings,
    NotificationProtocol,
)
from eksplatform.components.inputs import ArgsError, args_from_settings, to_args
from eksplatform.components.observability import (
    AlertThresholds,
    ObservabilityArgs,
    ObservabilityArgsError,
    ObservabilitySettings,
    WarningAlertThresholds,
)
from eksplatform.environments import profile
from eksplatform.preflight.synth import PROJECT_ROOT
from eksplatform.stack.loading import load_stack_file
from eksplatform.stack.models_observability import ObservabilityConfig
from eksplatform.stack.observability_args import alert_topics_settings, observability_settings
from tests.components.test_observability_args import ADDON_VERSIONS, BAD_ARGS, REQUIRED
from tests.components.test_services_args import event_loop_for_outputs  # noqa: F401 (a fixture)

# The split the task names: these are settings, everything else of the Args is wiring.
OBSERVABILITY_SETTINGS = [
    "addon_versions",
    "thresholds",
    "log_retention_days",
    "archive_days",
    "archive_transition_days",
    "scrape_interval_seconds",
    "protect",
]
ALERT_TOPICS_SETTINGS = ["critical_subscriptions", "warning_subscriptions", "heartbeat_subscriptions"]
WIRING = {key: value for key, value in REQUIRED.items() if key not in OBSERVABILITY_SETTINGS}


def _names(cls: type) -> list[str]:
    return [field.name for field in dataclasses.fields(cls)]


# --- the shape: settings are the Args' base, the Args' fields are the ones they had ----------------


def test_the_settings_are_the_base_of_the_args_and_come_first() -> None:
    assert ObservabilityArgs.__mro__[1] is ObservabilitySettings
    assert AlertTopicsArgs.__mro__[1] is AlertTopicsSettings
    assert _names(ObservabilitySettings) == OBSERVABILITY_SETTINGS
    assert _names(AlertTopicsSettings) == ALERT_TOPICS_SETTINGS
    assert _names(ObservabilityArgs)[: len(OBSERVABILITY_SETTINGS)] == OBSERVABILITY_SETTINGS
    assert _names(AlertTopicsArgs) == [*ALERT_TOPICS_SETTINGS, "cluster_name"]


def test_the_args_keep_their_fields_and_which_are_required() -> None:
    # The public API of the Args is unchanged: the same names, required exactly where they were.
    required = {f.name for f in dataclasses.fields(ObservabilityArgs) if f.default is dataclasses.MISSING}
    assert required == set(REQUIRED)
    optional = set(_names(ObservabilityArgs)) - required
    assert optional == {"thresholds", "log_retention_days", "archive_days", "archive_transition_days"} | {
        "scrape_interval_seconds",
        "protect",
    }
    required_topics = {f.name for f in dataclasses.fields(AlertTopicsArgs) if f.default is dataclasses.MISSING}
    assert required_topics == {"cluster_name"}


# --- the settings' own rules and defaults ----------------------------------------------------------

SETTINGS_CASES = [case for case in BAD_ARGS if set(case[1]) <= set(OBSERVABILITY_SETTINGS)]
WIRING_CASES = [case for case in BAD_ARGS if not set(case[1]) & set(OBSERVABILITY_SETTINGS)]


def test_every_bad_args_case_is_either_settings_or_wiring() -> None:
    assert len(SETTINGS_CASES) + len(WIRING_CASES) == len(BAD_ARGS)
    assert len(SETTINGS_CASES) >= 15 and len(WIRING_CASES) >= 8  # the filters select real cases


@pytest.mark.parametrize(
    ("changes", "message"), [case[1:] for case in SETTINGS_CASES], ids=[case[0] for case in SETTINGS_CASES]
)
def test_a_settings_rule_is_checked_at_the_settings(changes: dict[str, Any], message: str) -> None:
    given = {"addon_versions": ADDON_VERSIONS, **changes}
    with pytest.raises(ObservabilityArgsError) as raised:
        ObservabilitySettings(**given)
    assert str(raised.value).startswith(message)
    assert isinstance(raised.value, pulumi.RunError)


@pytest.mark.parametrize(
    ("changes", "message"), [case[1:] for case in WIRING_CASES], ids=[case[0] for case in WIRING_CASES]
)
def test_a_wiring_rule_is_checked_at_the_args(changes: dict[str, Any], message: str) -> None:
    settings = ObservabilitySettings(addon_versions=ADDON_VERSIONS)  # valid: the wiring is at fault
    with pytest.raises(ObservabilityArgsError) as raised:
        args_from_settings(ObservabilityArgs, settings, **{**WIRING, **changes})
    assert str(raised.value).startswith(message)


@pytest.mark.usefixtures("event_loop_for_outputs")
def test_the_settings_check_their_fields_types() -> None:
    with pytest.raises(ObservabilityArgsError, match=r"^args\.log_retention_days: must be a plain value"):
        ObservabilitySettings(addon_versions=ADDON_VERSIONS, log_retention_days=pulumi.Output.from_input(30))  # type: ignore[arg-type]
    with pytest.raises(ObservabilityArgsError, match=r"^args\.archive_days: expected int, got str '365'"):
        ObservabilitySettings(addon_versions=ADDON_VERSIONS, archive_days="365")  # type: ignore[arg-type]


def test_the_settings_resolve_their_defaults_as_the_args_do() -> None:
    settings = ObservabilitySettings(addon_versions=ADDON_VERSIONS)
    assert settings.alert_thresholds == Thresholds()
    assert settings.protected is True and profile("prod").protect_resources
    assert (settings.retention_days, settings.archive_kept_days, settings.archive_after_days) == (30, 365, 30)
    assert settings.scrape_interval == 60
    chosen = ObservabilitySettings(
        addon_versions=ADDON_VERSIONS,
        thresholds=AlertThresholds(warning=WarningAlertThresholds(cpu_percent=70)),
        log_retention_days=60,
        archive_days=400,
        archive_transition_days=90,
        scrape_interval_seconds=30,
        protect=False,
    )
    built = args_from_settings(ObservabilityArgs, chosen, **WIRING)
    for resolver in ("alert_thresholds", "protected", "retention_days", "archive_kept_days", "archive_after_days"):
        assert getattr(built, resolver) == getattr(chosen, resolver), resolver
    assert (built.scrape_interval, chosen.scrape_interval) == (30, 30)
    assert chosen.alert_thresholds.warning.cpu_percent == 70 and chosen.protected is False


def test_a_subscription_rule_is_checked_at_the_alert_topics_settings() -> None:
    bad = AlertSubscription(protocol=NotificationProtocol.HTTPS, endpoint="http://pager")
    with pytest.raises(AlertTopicsArgsError, match=r"^args\.heartbeat_subscriptions\[0\]\.endpoint: 'http://pager'"):
        AlertTopicsSettings(heartbeat_subscriptions=[bad])
    with pytest.raises(AlertTopicsArgsError, match=r"^args\.warning_subscriptions: expected a list, got int"):
        AlertTopicsSettings(warning_subscriptions=3)  # type: ignore[arg-type]
    settings = AlertTopicsSettings()  # valid: the cluster name is the wiring's rule
    assert settings.subscriptions("critical") == ()
    with pytest.raises(AlertTopicsArgsError, match=r"^args\.cluster_name: name the cluster"):
        args_from_settings(AlertTopicsArgs, settings, cluster_name=" ")


# --- the stack adapter: settings from the stack file, the Args the stacks used before --------------


def _stack(environment: str) -> ObservabilityConfig:
    config = load_stack_file(PROJECT_ROOT / f"Pulumi.{environment}.yaml").observability
    assert config is not None, environment
    return config


def _none_fields(value: object) -> set[str]:
    return {field.name for field in dataclasses.fields(value) if getattr(value, field.name) is None}  # type: ignore[arg-type]


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_the_adapter_gives_the_args_the_stack_used_before(environment: str) -> None:
    config = _stack(environment)
    settings = observability_settings(config, environment=environment)
    assert isinstance(settings, ObservabilitySettings) and not isinstance(settings, ObservabilityArgs)
    # Every value explicit: nothing left to the component's defaults.
    assert _none_fields(settings) == set()
    assert settings.thresholds is not None
    assert _none_fields(settings.thresholds.critical) == _none_fields(settings.thresholds.warning) == set()
    # What the adapter's dict held before the split, with the Region's wiring (eksplatform/stack/region.py).
    before = ObservabilityArgs(
        **WIRING,
        addon_versions={addon: version for addon, version in config.addon_versions.items()},
        thresholds=config.thresholds.args(),
        log_retention_days=config.log_retention_days,
        archive_days=config.archive_days,
        archive_transition_days=config.archive_transition_days,
        scrape_interval_seconds=config.scrape_interval_seconds,
        protect=profile(environment).protect_resources,
    )
    assert args_from_settings(ObservabilityArgs, settings, **WIRING) == before
    assert settings.protected is (environment == "prod")


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_the_alert_topics_adapter_gives_the_args_the_stack_used_before(environment: str) -> None:
    config = _stack(environment)
    settings = alert_topics_settings(config)
    assert _none_fields(settings) == set()
    before = AlertTopicsArgs(
        cluster_name="platform-x",
        **{
            f"{kind}_subscriptions": [
                AlertSubscription(protocol=NotificationProtocol(item.protocol), endpoint=item.endpoint)
                for item in config.notifications.get(kind, [])
            ]
            for kind in ("critical", "warning", "heartbeat")
        },
    )
    assert args_from_settings(AlertTopicsArgs, settings, cluster_name="platform-x") == before
    assert len(before.subscriptions("critical")) == len(config.notifications["critical"]) >= 1


# --- the host's dict: flat, and settings nested in an outer Args ----------------------------------


def test_a_dict_from_the_host_still_builds_the_args_and_names_a_settings_field_in_camel_case() -> None:
    mapped = {**REQUIRED, "log_retention_days": 60.0, "thresholds": {"warning": {"cpu_percent": 70.0}}}
    built = to_args(ObservabilityArgs, mapped)
    assert built.retention_days == 60 and built.alert_thresholds.warning.cpu_percent == 70
    assert to_args(ObservabilitySettings, {"addon_versions": ADDON_VERSIONS, "protect": False}).protected is False
    with pytest.raises(ObservabilityArgsError, match=r"^args\.logRetentionDays: 31 is not a CloudWatch retention"):
        to_args(ObservabilityArgs, {**REQUIRED, "log_retention_days": 31})
    topics = to_args(AlertTopicsSettings, {"critical_subscriptions": [{"protocol": "email", "endpoint": "a@b.co"}]})
    assert topics.subscriptions("critical") == [
        AlertSubscription(protocol=NotificationProtocol.EMAIL, endpoint="a@b.co")
    ]


@dataclass(frozen=True, kw_only=True)
class RegionLike:
    """A small outer Args holding the settings, as RegionArgs will."""

    observability: ObservabilitySettings
    alerts: AlertTopicsSettings | None = None


@pytest.mark.parametrize(
    ("observability", "alerts", "message"),
    [
        (
            {"archive_days": 4000},
            None,
            r"^args\.observability\.archiveDays: 4000 is not between 1 and 3650$",
        ),
        (
            {"thresholds": {"warning": {"p95_latency_ms": 500.0}}},
            None,
            r"^args\.observability\.thresholds\.warning\.p95LatencyMs: 500 is not below critical",
        ),
        (
            {"addon_versions": {**ADDON_VERSIONS, "kube-state-metrics": "2.14"}},
            None,
            r"^args\.observability\.addonVersions\.kube-state-metrics: '2\.14' is not an EKS add-on version",
        ),
        (
            {},
            {"critical_subscriptions": [{"protocol": "email", "endpoint": "oncall"}]},
            r"^args\.alerts\.criticalSubscriptions\[0\]\.endpoint: 'oncall' is not an email address$",
        ),
    ],
    ids=["archive", "nested threshold", "add-on version", "subscription"],
)
def test_a_nested_settings_error_is_named_from_the_outer_args(
    observability: dict[str, Any], alerts: dict[str, Any] | None, message: str
) -> None:
    given: dict[str, Any] = {"observability": {"addon_versions": ADDON_VERSIONS, **observability}}
    if alerts is not None:
        given["alerts"] = alerts
    with pytest.raises(ArgsError, match=message) as raised:
        to_args(RegionLike, given)
    assert isinstance(raised.value, pulumi.RunError)
    # The component's own error class survives the re-rooting.
    expected = ObservabilityArgsError if alerts is None else AlertTopicsArgsError
    assert type(raised.value) is expected


def test_valid_nested_settings_build_the_outer_args() -> None:
    outer = to_args(RegionLike, {"observability": {"addon_versions": ADDON_VERSIONS, "scrape_interval_seconds": 30}})
    assert outer.observability == ObservabilitySettings(addon_versions=ADDON_VERSIONS, scrape_interval_seconds=30)
    assert outer.alerts is None

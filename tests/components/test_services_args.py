"""Review of #23 (services, observability, DNS): one rule in one place, the same error for a Python
caller and another language, the writer alarm as a public piece, and stack adapters that pass
every setting explicitly."""

import ast
import asyncio
import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest
from pydantic import ValidationError

from eksplatform.components import eks_rules, observability, writer_health
from eksplatform.components.alert_topics import (
    AlertSubscription,
    AlertTopicsArgs,
    AlertTopicsArgsError,
    NotificationProtocol,
)
from eksplatform.components.dns import DEFAULT_HEALTH_PATH, DnsArgsError, GlobalDns, GlobalDnsArgs
from eksplatform.components.facts import ECR_REGISTRY
from eksplatform.components.ingress import IngressArgsError, PublicIngressArgs
from eksplatform.components.inputs import ArgsError, args_from_settings, check_fields, to_args
from eksplatform.components.language_services import (
    LanguageServiceArgsError,
    LanguageServicePoolArgs,
    SandboxedService,
)
from eksplatform.components.observability import ObservabilityArgs, ObservabilityArgsError
from eksplatform.components.providers import regional_aws_provider
from eksplatform.components.registry import ImageRegistryArgs, ImageRegistryError, ecr_repository
from eksplatform.components.writer_health import WriterAlarm, writer_alarm
from eksplatform.stack.loading import load_stack_file
from eksplatform.stack.models_services import LanguageServicesConfig
from eksplatform.stack.services_args import image_registry_args, language_services_settings
from tests.components.test_observability_args import REQUIRED as OBSERVABILITY_REQUIRED
from tests.conftest import Harness

ROOT = Path(__file__).resolve().parents[2]
IMAGE = "111111111111.dkr.ecr.us-east-1.amazonaws.com/platform/lang-ocaml:5.2.0"


# --- M2: the stack file and the Args apply one rule ------------------------------------------------


def _args_accept(name: str) -> bool:
    try:
        LanguageServicePoolArgs(kubernetes_version="1.34", services=[SandboxedService(name=name, image=IMAGE)])
    except LanguageServiceArgsError:
        return False
    return True


def _stack_accepts(name: str) -> bool:
    try:
        LanguageServicesConfig.model_validate({"services": {name: {"image": IMAGE}}, "imageRegistry": "r.example/p"})
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize("name", ["a" * 40, "a" * 41, "ab-", "ab", "a1-b", "9lives", "OCaml", "a_b", "a"])
def test_a_service_name_the_stack_file_accepts_is_one_the_args_accept(name: str) -> None:
    # Before, the stack file took `[a-z][a-z0-9-]{0,40}`: "a"*41 and "ab-" loaded and failed at run time.
    assert _stack_accepts(name) == _args_accept(name)


@pytest.mark.parametrize(
    ("config", "key"),
    [
        ({"namespace": "Sandbox"}, "namespace"),
        ({"backendNamespace": "-api"}, "backendNamespace"),
        ({"imageRegistry": "Registry.example"}, "imageRegistry"),
        ({"services": {"python": {"cpuLimit": "lots"}}}, "cpuLimit"),
    ],
)
def test_the_stack_file_reports_the_components_rules_at_its_keys(config: dict[str, Any], key: str) -> None:
    with pytest.raises(ValidationError, match=key):
        LanguageServicesConfig.model_validate({"imageRegistry": "r.example/p", **config})


def test_observability_and_the_registry_use_the_shared_rules() -> None:
    assert vars(observability)["CLUSTER_NAME"] is eks_rules.CLUSTER_NAME
    assert vars(observability)["ADDON_VERSION"] is eks_rules.ADDON_VERSION
    assert not hasattr(observability, "NAMESPACE") and not hasattr(observability, "EKS_CLUSTER_NAME")
    assert ecr_repository(IMAGE) == ("111111111111", "us-east-1", "platform/lang-ocaml")
    assert ECR_REGISTRY.fullmatch(IMAGE)


# --- M3: a Python caller gets the named error another language gets ---------------------------------


def test_a_plain_string_protocol_is_coerced_and_an_unknown_one_named() -> None:
    subscription = AlertSubscription(protocol="email", endpoint="oncall@example.com")  # type: ignore[arg-type]
    assert subscription.protocol is NotificationProtocol.EMAIL
    with pytest.raises(AlertTopicsArgsError, match=r"^AlertSubscription\.protocol: 'sms' is not one of 'email', "):
        AlertSubscription(protocol="sms", endpoint="+15550100")  # type: ignore[arg-type]
    with pytest.raises(ArgsError, match=r"^args\.criticalSubscriptions\[0\]\.protocol: 'sms' is not one of"):
        to_args(
            AlertTopicsArgs, {"cluster_name": "c", "critical_subscriptions": [{"protocol": "sms", "endpoint": "x"}]}
        )


def test_a_plain_string_protocol_registers_its_subscription(harness: Harness) -> None:
    def program() -> None:
        provider = regional_aws_provider("aws", region="us-east-1", tags={"owner": "t"})
        from eksplatform.components.alert_topics import AlertTopics

        subscription = AlertSubscription(protocol="email", endpoint="oncall@example.com")  # type: ignore[arg-type]
        AlertTopics(
            "alerts",
            AlertTopicsArgs(cluster_name="c", critical_subscriptions=[subscription]),
            opts=pulumi.ResourceOptions(providers=[provider]),
        )

    (subscription,) = harness.run(program).by_type("aws:sns/topicSubscription:TopicSubscription")
    assert subscription.inputs["protocol"] == "email"


@pytest.fixture
def event_loop_for_outputs() -> Iterator[None]:
    """An Output needs an event loop to be made in; the host runs the component inside one."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield
    asyncio.set_event_loop(None)
    loop.close()


def _output() -> pulumi.Output[str]:
    return pulumi.Output.from_input("c")


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (
            lambda: ObservabilityArgs(**{**OBSERVABILITY_REQUIRED, "cluster_name": _output()}),
            ObservabilityArgsError,
            r"^args\.cluster_name: must be a plain value known before deployment, not an Output$",
        ),
        (
            lambda: AlertTopicsArgs(cluster_name=_output()),  # type: ignore[arg-type]
            AlertTopicsArgsError,
            r"^args\.cluster_name: must be a plain value",
        ),
        (
            lambda: ImageRegistryArgs(repositories=[_output()]),  # type: ignore[list-item]
            ImageRegistryError,
            r"^args\.repositories\[0\]: must be a plain value",
        ),
        (
            lambda: GlobalDnsArgs(domain=_output(), zone_id="z", endpoints={"us-east-1": "h"}, primary_region="x"),  # type: ignore[arg-type]
            DnsArgsError,
            r"^args\.domain: must be a plain value",
        ),
        (
            lambda: LanguageServicePoolArgs(
                kubernetes_version="1.34",
                services=[SandboxedService(name=_output(), image=IMAGE)],  # type: ignore[arg-type]
            ),
            LanguageServiceArgsError,
            r"^args\.services\[0\]\.name: must be a plain value",
        ),
        (
            lambda: ImageRegistryArgs(repositories=["platform/a"], keep_images="50"),  # type: ignore[arg-type]
            ImageRegistryError,
            r"^args\.keep_images: expected int, got str '50'$",
        ),
    ],
)
@pytest.mark.usefixtures("event_loop_for_outputs")
def test_an_output_or_a_wrong_type_in_a_plain_field_is_named(build: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        build()


@pytest.mark.usefixtures("event_loop_for_outputs")
def test_check_fields_leaves_input_fields_and_good_values_alone() -> None:
    dns = GlobalDnsArgs(
        domain="run.example.com", zone_id=_output(), endpoints={"us-east-1": _output()}, primary_region="us-east-1"
    )
    check_fields(dns)  # zone_id and the endpoints are pulumi.Input: an Output is fine


# --- Minor 1: one error family ---------------------------------------------------------------------


@pytest.mark.parametrize("error", [LanguageServiceArgsError, IngressArgsError, ImageRegistryError, DnsArgsError])
def test_every_args_error_is_an_args_error(error: type) -> None:
    assert issubclass(error, ArgsError) and issubclass(error, pulumi.RunError)


# --- Minor 6: GlobalDns ----------------------------------------------------------------------------


def dns(**changes: Any) -> GlobalDnsArgs:
    settings: dict[str, Any] = {
        "domain": "run.example.com",
        "zone_id": "Z1",
        "endpoints": {"us-east-1": "east.elb", "eu-west-1": "west.elb"},
        "primary_region": "us-east-1",
        "writer_alarms": {
            "us-east-1": WriterAlarm(name="east", region="us-east-1"),
            "eu-west-1": WriterAlarm(name="west", region="eu-west-1"),
        },
    }
    settings.update(changes)
    return GlobalDnsArgs(**settings)


def test_the_health_path_defaults_as_the_ingress_does(harness: Harness) -> None:
    assert dns().resolved_health_path == DEFAULT_HEALTH_PATH == "/healthz"
    assert to_args(
        GlobalDnsArgs,
        {"domain": "run.example.com", "zone_id": "Z", "endpoints": {"us-east-1": "h"}, "primary_region": "us-east-1"},
    )

    def program() -> None:
        provider = regional_aws_provider("aws", region="us-east-1", tags={"owner": "t"})
        GlobalDns("names", dns(), opts=pulumi.ResourceOptions(providers=[provider]))

    checks = harness.run(program).by_type("aws:route53/healthCheck:HealthCheck")
    assert {check.inputs["resourcePath"] for check in checks if check.inputs["type"] == "HTTPS"} == {"/healthz"}
    ingress_default = PublicIngressArgs.__dataclass_fields__["health_path"].default
    assert ingress_default is None and GlobalDnsArgs.__dataclass_fields__["health_path"].default is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"endpoints": {"east": "h"}, "primary_region": "east", "writer_alarms": None},
            r"^args\.endpoints: key 'east' is not an AWS region name",
        ),
        (
            {
                "writer_alarms": {
                    "us-east-1": WriterAlarm(name="e", region="us-east-1"),
                    "eu-west-1": WriterAlarm(name="w", region="West"),
                }
            },
            r"^args\.writer_alarms\.eu-west-1\.region: 'West' is not an AWS region name",
        ),
        (
            {
                "writer_alarms": {
                    "us-east-1": WriterAlarm(name="e", region="eu-west-1"),
                    "eu-west-1": WriterAlarm(name="w", region="eu-west-1"),
                }
            },
            r"^args\.writer_alarms\.us-east-1\.region: 'eu-west-1' is not the region it is listed under",
        ),
    ],
)
def test_the_regions_are_region_names(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(DnsArgsError, match=message):
        dns(**changes)


# --- M5: the writer alarm is a public piece a program makes ----------------------------------------


def test_writer_alarm_registers_the_documented_alarm(harness: Harness) -> None:
    def program() -> None:
        provider = regional_aws_provider("aws-west", region="eu-west-1", tags={"owner": "t"})
        _, alarm = writer_alarm(
            "west-writer",
            cluster_identifier="orders-west",
            region="eu-west-1",
            alarm_prefix="orders-west-writer",
            opts=pulumi.ResourceOptions(provider=provider),
        )
        assert alarm.region == "eu-west-1"

    (alarm,) = harness.run(program).by_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    inputs = alarm.inputs
    assert inputs["namespace"] == "AWS/RDS" and inputs["statistic"] == "SampleCount"
    assert inputs["dimensions"] == {"DBClusterIdentifier": "orders-west", "Role": "WRITER"}
    assert inputs["treatMissingData"] == "breaching"
    assert inputs["comparisonOperator"] == "LessThanThreshold" and inputs["threshold"] == 1
    assert re.fullmatch(r"orders-west-writer-[0-9a-f]{8}", inputs["name"])
    assert inputs["actionsEnabled"] is False
    doc = (ROOT / "docs/components/global-dns.md").read_text()
    assert "writer_alarm" in doc and "SampleCount" in doc and "breaching" in doc
    assert writer_health.writer_alarm.__doc__ and "global-dns.md" in writer_health.writer_alarm.__doc__


def test_writer_alarm_refuses_a_region_that_is_no_region_name() -> None:
    with pytest.raises(ArgsError, match=r"^region: 'west' is not an AWS region name"):
        writer_alarm("w", cluster_identifier="c", region="west", alarm_prefix="p", opts=pulumi.ResourceOptions())


# --- M6: the stack adapters pass every setting explicitly ------------------------------------------


def _none_fields(value: object) -> set[str]:
    return {name for name, item in vars(value).items() if item is None}


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_the_services_adapters_leave_no_setting_to_the_args_defaults(environment: str) -> None:
    config = load_stack_file(ROOT / f"Pulumi.{environment}.yaml")
    for region in config.regions:
        # The pool's Args as the Region builds them: the stack's settings and the cluster's wiring.
        pool = args_from_settings(
            LanguageServicePoolArgs,
            language_services_settings(region.language_services),
            kubernetes_version=region.cluster.kubernetes_version,
            runtime_class_name="gvisor",
        )
        assert _none_fields(pool) == set()
        for service in pool.services:
            # `architecture` None is "any node": the catalog says so for every service but assembly.
            assert _none_fields(service) <= {"architecture"}
        assert _none_fields(image_registry_args(["platform/lang-c"], environment=environment)) == set()


def test_the_region_passes_every_field_of_the_public_entrys_args() -> None:
    # The Region builds PublicIngressArgs itself (eksplatform/stack/region.py): every field by name, so
    # no stack depends on the Args' defaults (image_registry None there: the upstream registries).
    tree = ast.parse((ROOT / "eksplatform/stack/region.py").read_text())
    (call,) = [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "PublicIngressArgs"
    ]
    assert [keyword.arg for keyword in call.keywords] == [field.name for field in dataclasses.fields(PublicIngressArgs)]

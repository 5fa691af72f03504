"""LanguageServicesSettings (what a person chooses for the pool) and LanguageServicePoolArgs (the settings
plus the cluster's wiring): the split, where each rule is checked, the stack adapter, another language's dict."""

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from eksplatform.components.inputs import ArgsError, args_from_settings, to_args
from eksplatform.components.language_services import (
    DEFAULT_NODE_SELECTOR,
    DEFAULT_TOLERATIONS,
    LanguageServiceArgsError,
    LanguageServicePoolArgs,
    LanguageServicesSettings,
    SandboxedService,
    ServiceArchitecture,
)
from eksplatform.stack.loading import load_stack_file
from eksplatform.stack.models_services import LanguageServicesConfig
from eksplatform.stack.services_args import language_services_settings

ROOT = Path(__file__).resolve().parents[2]
IMAGE = "111111111111.dkr.ecr.us-east-1.amazonaws.com/platform/lang-python:3.13.1"
SETTINGS = (
    "services",
    "namespace",
    "allow_dns",
    "host_kernel",
    "backend_namespace",
    "backend_selector",
    "node_selector",
    "tolerations",
)
WIRING = ("kubernetes_version", "runtime_class_name")


def settings(**changes: Any) -> LanguageServicesSettings:
    return LanguageServicesSettings(**{"services": [SandboxedService(name="python", image=IMAGE)]} | changes)


# --- the split --------------------------------------------------------------------------------------


def test_the_args_extend_the_settings_with_the_wiring_only() -> None:
    assert issubclass(LanguageServicePoolArgs, LanguageServicesSettings)
    assert tuple(field.name for field in dataclasses.fields(LanguageServicesSettings)) == SETTINGS
    assert tuple(field.name for field in dataclasses.fields(LanguageServicePoolArgs)) == SETTINGS + WIRING
    required = {
        field.name for field in dataclasses.fields(LanguageServicePoolArgs) if field.default is dataclasses.MISSING
    }
    assert required == {"services", "kubernetes_version"}


def test_the_settings_resolve_their_defaults_and_scheduling_without_the_wiring() -> None:
    chosen = settings()
    assert chosen.resolved_namespace == "sandbox" and chosen.resolved_backend_namespace == "backend"
    assert chosen.resolved_node_selector == DEFAULT_NODE_SELECTOR
    assert chosen.scheduling().tolerations == [dict(toleration) for toleration in DEFAULT_TOLERATIONS]


# --- each rule in one place ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"services": []}, "args.services: list at least one language service"),
        (
            {"services": [SandboxedService(name="c", image=IMAGE), SandboxedService(name="c", image=IMAGE)]},
            "args.services[1].name: 'c' is listed twice",
        ),
        ({"services": [SandboxedService(name="c", image="lang-c:latest")]}, "args.services[0].image: "),
        ({"namespace": "Not_A_Label"}, "args.namespace: "),
        ({"backend_selector": {}}, "args.backend_selector: name at least one label"),
        ({"node_selector": {"bad key!": "x"}}, "args.node_selector: "),
        ({"tolerations": [{"key": "", "operator": "Equal"}]}, "args.tolerations[0].operator: an empty key"),
        ({"allow_dns": "no"}, "args.allow_dns: expected bool"),
    ],
)
def test_a_settings_rule_is_checked_by_the_settings_and_named_the_same_in_the_args(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(LanguageServiceArgsError, match="^" + re.escape(message)):
        settings(**changes)
    with pytest.raises(LanguageServiceArgsError, match="^" + re.escape(message)):
        LanguageServicePoolArgs(
            **{"services": [SandboxedService(name="python", image=IMAGE)], "kubernetes_version": "1.34"} | changes
        )


def test_the_rules_that_need_the_wiring_are_the_args() -> None:
    # host_kernel is a setting, but whether it clashes needs the RuntimeClass, which is wiring.
    host = settings(host_kernel=True)
    with pytest.raises(LanguageServiceArgsError, match=r"^args\.host_kernel: true runs the pods without"):
        args_from_settings(LanguageServicePoolArgs, host, kubernetes_version="1.34", runtime_class_name="gvisor")
    with pytest.raises(LanguageServiceArgsError, match=r"^args\.kubernetes_version: '1\.20': use one of"):
        args_from_settings(LanguageServicePoolArgs, settings(), kubernetes_version="1.20")
    pool = args_from_settings(LanguageServicePoolArgs, host, kubernetes_version="1.34")
    assert pool.pool().runtime_class_name is None


# --- the stack adapter ------------------------------------------------------------------------------


def _before_the_split(config: LanguageServicesConfig, kubernetes_version: str) -> LanguageServicePoolArgs:
    """The Args as eksplatform/stack/services_args.py built them before the settings, field by field
    (with the RuntimeClass output given as its name)."""
    services = [
        SandboxedService(
            name=service.name,
            image=service.image,
            min_replicas=service.min_replicas,
            max_replicas=service.max_replicas,
            cpu_request=service.cpu_request,
            cpu_limit=service.cpu_limit,
            memory_request=service.memory_request,
            memory_limit=service.memory_limit,
            tmp_size=service.tmp_size,
            architecture=None if service.architecture is None else ServiceArchitecture(service.architecture),
        )
        for service in config.resolved_services().values()
    ]
    host_kernel = config.runtime_class_name is None
    return LanguageServicePoolArgs(
        kubernetes_version=kubernetes_version,
        services=services,
        namespace=config.namespace,
        allow_dns=config.allow_dns,
        runtime_class_name=None if host_kernel else "gvisor-output",
        host_kernel=host_kernel,
        backend_namespace=config.backend_namespace,
        backend_selector=dict(config.backend_selector),
        node_selector=dict(DEFAULT_NODE_SELECTOR),
        tolerations=[dict(toleration) for toleration in DEFAULT_TOLERATIONS],
    )


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_the_stacks_settings_and_wiring_give_the_args_the_stack_used_before(environment: str) -> None:
    config = load_stack_file(ROOT / f"Pulumi.{environment}.yaml")
    for region in config.regions:
        version = region.cluster.kubernetes_version
        chosen = language_services_settings(region.language_services)
        assert type(chosen) is LanguageServicesSettings
        assert {name for name in SETTINGS if getattr(chosen, name) is None} == set(), "every setting explicit"
        expected = _before_the_split(region.language_services, version)
        wired = args_from_settings(
            LanguageServicePoolArgs, chosen, kubernetes_version=version, runtime_class_name="gvisor-output"
        )
        assert wired == expected


def test_runtime_class_name_null_in_the_stack_file_is_the_host_kernel_setting() -> None:
    config = LanguageServicesConfig.model_validate({"imageRegistry": "r.example/p", "runtimeClassName": None})
    host = language_services_settings(config)
    assert host.host_kernel is True
    # The Region then leaves the cluster's RuntimeClass output out (the Args refuse both), and the
    # pods run without a RuntimeClass.
    with pytest.raises(LanguageServiceArgsError, match=r"^args\.host_kernel: true runs the pods without a Runtime"):
        args_from_settings(LanguageServicePoolArgs, host, kubernetes_version="1.34", runtime_class_name="gvisor-output")
    pool = args_from_settings(LanguageServicePoolArgs, host, kubernetes_version="1.34", runtime_class_name=None)
    assert pool.host_kernel is True and pool.pool().runtime_class_name is None
    default = LanguageServicesConfig.model_validate({"imageRegistry": "r.example/p"})
    assert language_services_settings(default).host_kernel is False
    pool = args_from_settings(LanguageServicePoolArgs, language_services_settings(default), kubernetes_version="1.34")
    assert pool.pool().runtime_class_name == "gvisor"


# --- another language's dict ------------------------------------------------------------------------


def test_to_args_builds_the_args_and_the_settings_from_a_mapped_dict() -> None:
    raw: dict[str, Any] = {
        "services": [{"name": "python", "image": IMAGE, "max_replicas": 6.0, "architecture": "arm64"}],
        "allow_dns": False,
        "tolerations": [{"key": "platform/sandbox", "operator": "Exists"}],
    }
    chosen = to_args(LanguageServicesSettings, raw)
    assert chosen.services[0].max_replicas == 6 and chosen.services[0].architecture is ServiceArchitecture.ARM64
    args = to_args(LanguageServicePoolArgs, raw | {"kubernetes_version": "1.34"})
    assert args == args_from_settings(LanguageServicePoolArgs, chosen, kubernetes_version="1.34")
    with pytest.raises(ArgsError, match=r"^args\.kubernetesVersion: missing required field"):
        to_args(LanguageServicePoolArgs, raw)


@dataclasses.dataclass(frozen=True, kw_only=True)
class RegionLike:
    """A composition that takes the pool's settings, as RegionArgs will."""

    language_services: LanguageServicesSettings


def test_a_settings_error_nested_in_an_outer_args_is_named_from_there() -> None:
    raw: dict[str, Any] = {
        "language_services": {"services": [{"name": "python", "image": IMAGE}], "backend_selector": {}}
    }
    with pytest.raises(LanguageServiceArgsError, match=r"^args\.languageServices\.backendSelector: name at least"):
        to_args(RegionLike, raw)
    raw = {"language_services": {"services": [{"name": "python", "image": "python:latest"}]}}
    with pytest.raises(LanguageServiceArgsError, match=r"^args\.languageServices\.services\[0\]\.image: "):
        to_args(RegionLike, raw)

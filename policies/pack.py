"""Turn the rules into CrossGuard policies (pulumi_policy), and the pack that serves them."""

from __future__ import annotations

from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    PolicyPack,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.catalog import PACK_NAME, RESOURCE_RULES, STACK_RULES
from policies.rule import Resource, Rule, StackRule
from policies.servicer import install as install_decode_once_servicer

_LEVELS = {"advisory": EnforcementLevel.ADVISORY, "mandatory": EnforcementLevel.MANDATORY}


def _schema(rule: Rule | StackRule) -> PolicyConfigSchema | None:
    return (
        PolicyConfigSchema(properties={k: dict(v) for k, v in rule.config_schema.items()})
        if rule.config_schema
        else None
    )


def _metadata(rule: Rule | StackRule) -> dict[str, Any]:
    """What the CLI shows of a policy, the same for resource and stack policies."""
    return {
        "name": rule.name,
        "description": rule.description,
        "enforcement_level": _LEVELS[rule.enforcement],
        "config_schema": _schema(rule),
        "severity": Severity(rule.severity),
        "remediation_steps": rule.remediation or None,
    }


_last_provider: list[Any] = [None, {}]


def _provider_props(provider: Any) -> dict[str, Any]:
    """The provider's inputs; every policy of one request sees the same provider object."""
    if provider is None or getattr(provider, "props", None) is None:
        return {}
    if _last_provider[0] is not provider:
        _last_provider[:] = [provider, dict(provider.props)]
    props: dict[str, Any] = _last_provider[1]
    return props


def resource_policy(rule: Rule) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if not rule.applies_to(args.resource_type):
            return
        resource = Resource(
            type=args.resource_type,
            name=args.name,
            urn=args.urn,
            props=args.props,
            provider_props=_provider_props(args.provider),
        )
        for message in rule.check(resource, {**rule.defaults(), **args.get_config()}):
            report_violation(message, None)

    return ResourceValidationPolicy(validate=validate, **_metadata(rule))


def _view(resource: PolicyResource) -> Resource:
    return Resource(
        type=resource.resource_type,
        name=resource.name,
        urn=resource.urn,
        props=resource.props,
        provider_props=_provider_props(resource.provider),
        parent=resource.parent.urn if resource.parent is not None else "",
        dependencies=[dependency.urn for dependency in resource.dependencies],
        provider=resource.provider.urn if resource.provider is not None else "",
    )


def stack_policy(rule: StackRule) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = [_view(resource) for resource in args.resources]
        for message, urn in rule.check(resources, {**rule.defaults(), **args.get_config()}):
            report_violation(message, urn)

    return StackValidationPolicy(validate=validate, **_metadata(rule))


def policies() -> list[Policy]:
    return [*(resource_policy(rule) for rule in RESOURCE_RULES), *(stack_policy(rule) for rule in STACK_RULES)]


def serve() -> PolicyPack:
    """Constructing the pack starts the analyzer server, prints its port and blocks."""
    install_decode_once_servicer()
    return PolicyPack(name=PACK_NAME, policies=policies())

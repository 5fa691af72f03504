"""Turn the rules into CrossGuard policies (pulumi_policy), and the pack that serves them."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    PolicyPack,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Secret,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from eksplatform.policies import stack_config
from eksplatform.policies.catalog import ALL_RULES, PACK_NAME, RESOURCE_RULES, STACK_RULES
from eksplatform.policies.config_check import knob_problems, shared_problems, with_shared
from eksplatform.policies.rule import Resource, Rule, StackRule
from eksplatform.policies.servicer import SECRETS_PROXIES, STACK_CONFIG, STACK_NAME_SENT, ConfigHooks, Settings
from eksplatform.policies.servicer import install as install_decode_once_servicer
from eksplatform.policies.stack_snapshot import StackSnapshot

_LEVELS = {
    "advisory": EnforcementLevel.ADVISORY,
    "mandatory": EnforcementLevel.MANDATORY,
    "remediate": EnforcementLevel.REMEDIATE,
}


def _schema(rule: Rule | StackRule) -> PolicyConfigSchema | None:
    if not rule.config_schema:
        return None
    return PolicyConfigSchema(properties={k: dict(v) for k, v in rule.config_schema.items()})


def _framework(rule: Rule | StackRule) -> PolicyComplianceFramework | None:
    return PolicyComplianceFramework(reference=rule.reference) if rule.reference else None


def _metadata(rule: Rule | StackRule) -> dict[str, Any]:
    """What the CLI shows of a policy, the same for resource and stack policies."""
    return {
        "name": rule.name,
        "description": rule.description,
        "enforcement_level": _LEVELS[rule.enforcement],
        "config_schema": _schema(rule),
        "severity": Severity(rule.severity),
        "remediation_steps": rule.remediation or None,
        "framework": _framework(rule),
    }


_PLAIN_PROPS = "_eksplatform_plain_props"


def _provider_props(provider: Any) -> dict[str, Any]:
    """The provider's inputs, read once per provider object and kept on it: the servicer hands
    every policy, and every resource with the same provider, one object (and the server runs
    requests on several threads, so there is no module-wide slot to share). Reading an unknown
    input raises, as before, and nothing is kept then."""
    if provider is None or getattr(provider, "props", None) is None:
        return {}
    props: dict[str, Any] | None = getattr(provider, _PLAIN_PROPS, None)
    if props is None:
        props = dict(provider.props)
        setattr(provider, _PLAIN_PROPS, props)
    return props


def plain(value: Any) -> Any:
    """The SDK's props proxies as plain dicts and lists (reading an unknown value raises, as the
    SDK expects during a preview); secrets as their plaintext."""
    if isinstance(value, Secret):
        return plain(value.value)
    if isinstance(value, Mapping):
        return {key: plain(value[key]) for key in value}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [plain(item) for item in value]
    return value


def marked(value: Any) -> Any:
    """What `Remediate` hands a policy, with its secrets still marked: the SDK's secrets-preserving
    proxy unwraps secrets on read, so reading through it (plain) would lose which values were secret."""
    if isinstance(value, SECRETS_PROXIES):
        value = value["__target"]  # nested objects are proxies of their own
    if isinstance(value, Secret):
        return Secret(marked(value.value))
    if isinstance(value, Mapping):
        return {key: marked(value[key]) for key in value}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [marked(item) for item in value]
    return value


def rewrapped(fixed: Any, original: Any) -> Any:
    """`fixed` with every value that was a secret in `original`, at the same place, a secret again
    (pulumi_policy.Secret): a remediation must never write a secret back in plaintext."""
    if isinstance(original, Secret):
        return Secret(rewrapped(plain(fixed), original.value))
    if isinstance(fixed, Mapping) and isinstance(original, Mapping):
        return {key: rewrapped(value, original[key]) if key in original else value for key, value in fixed.items()}
    if isinstance(fixed, list) and isinstance(original, Sequence) and not isinstance(original, (str, bytes)):
        return [rewrapped(item, original[i]) if i < len(original) else item for i, item in enumerate(fixed)]
    return fixed


def _resource(args: ResourceValidationArgs, props: Any) -> Resource:
    return Resource(
        type=args.resource_type,
        name=args.name,
        urn=args.urn,
        props=props,
        provider_props=_provider_props(args.provider),
        provider=getattr(args.provider, "urn", "") or "",
    )


def resource_policy(rule: Rule) -> ResourceValidationPolicy:
    defaults = rule.defaults()  # read per resource and policy; only ever copied below

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if not rule.applies_to(args.resource_type):
            return
        # Plain props with UNKNOWN markers (the servicer builds them) for a rule that judges each
        # field on its own; the SDK's proxy, which stops at the first unknown, for the others.
        props = getattr(args, "known_props", None) if rule.judges_unknowns else None
        resource = _resource(args, args.props if props is None else props)
        for message in rule.check(resource, {**defaults, **args.get_config()}):
            report_violation(message, None)

    def remediate(args: ResourceValidationArgs) -> Mapping[str, Any] | None:
        """The fixed props when the rule finds a violation and knows the one safe fix; values that
        were secret stay secret."""
        if rule.remedy is None or not rule.applies_to(args.resource_type):
            return None
        original = marked(args.props)
        resource = _resource(args, plain(original))
        config = {**defaults, **args.get_config()}
        if not list(rule.check(resource, config)):
            return None
        fixed = rule.remedy(resource, config)
        if fixed is None or plain(fixed) == resource.props:
            return None
        result: Mapping[str, Any] = rewrapped(dict(fixed), original)
        return result

    # The SDK's annotation asks for an awaitable; its Remediate handler takes a plain result too.
    fix: Any = remediate if rule.remedy is not None else None
    policy = ResourceValidationPolicy(validate=validate, remediate=fix, **_metadata(rule))
    # Read by the servicer to skip a policy before building its arguments (it would return at once),
    # and to build plain props with UNKNOWN markers for the rules that judge unknowns themselves.
    policy.resource_types = rule.resource_types  # type: ignore[attr-defined]
    policy.judges_unknowns = rule.judges_unknowns  # type: ignore[attr-defined]
    return policy


def _view(resource: PolicyResource) -> Resource:
    return Resource(
        type=resource.resource_type,
        name=resource.name,
        urn=resource.urn,
        props=resource.props,
        provider_props=_provider_props(resource.provider),
        parent=resource.parent.urn if resource.parent is not None else "",
        dependencies=[dependency.urn for dependency in resource.dependencies],
        provider=getattr(resource.provider, "urn", "") or "",
        property_dependencies={
            key: [dependency.urn for dependency in found] for key, found in resource.property_dependencies.items()
        },
    )


_last_stack: list[tuple[Any, StackSnapshot]] = [(None, StackSnapshot())]


def _views(resources: Sequence[PolicyResource]) -> StackSnapshot:
    """The resources of one stack request as rules see them; every stack policy of the request
    gets the same list from the servicer, so it is converted once (the entry is replaced whole:
    no reader pairs one request's list with another's views)."""
    found, views = _last_stack[0]
    if found is not resources:
        views = StackSnapshot(_view(resource) for resource in resources)
        _last_stack[0] = (resources, views)
    return views


def from_stack(rule: StackRule, stack: dict[str, str]) -> dict[str, Any]:
    """Knobs whose one source is the stack's own config (e.g. the budget, `platform:monthlyBudget`)."""
    found: dict[str, Any] = {}
    for knob, key in rule.stack_config_keys.items():
        if key in stack:
            try:
                found[knob] = json.loads(stack[key])
            except ValueError:
                found[knob] = stack[key]
    return found


def stack_policy(rule: StackRule) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        resources = _views(args.resources)
        config = {**rule.defaults(), **from_stack(rule, STACK_CONFIG), **args.get_config()}
        for message, urn in rule.check(resources, config):
            report_violation(message, urn)

    return StackValidationPolicy(validate=validate, **_metadata(rule))


def policies() -> list[Policy]:
    return [*(resource_policy(rule) for rule in RESOURCE_RULES), *(stack_policy(rule) for rule in STACK_RULES)]


_RULES: dict[str, Rule | StackRule] = {rule.name: rule for rule in ALL_RULES}


def config_problems(settings: Settings) -> list[str]:
    """Every policy's knobs against its schema, and the pack-wide knobs given once."""
    problems = [
        problem for name, knobs in settings.items() if name in _RULES for problem in knob_problems(_RULES[name], knobs)
    ]
    return problems + shared_problems(settings, ALL_RULES)


def defaults_only(levels: Mapping[str, str], settings: Settings) -> bool:
    """Is this what the CLI sends with no --policy-pack-config: each policy at its own level, each
    knob at its schema default (pulumi's ReconcilePolicyPackConfig fills them in)?"""
    for name, level in levels.items():
        rule = _RULES.get(name)
        if rule is not None and level != rule.enforcement:
            return False
    for name, knobs in settings.items():
        rule = _RULES.get(name)
        if rule is not None and any(rule.defaults().get(key) != value for key, value in knobs.items()):
            return False
    return True


def stack_file(stack: str) -> tuple[dict[str, str], dict[str, dict[str, Any]]] | None:
    """The levels and knobs of `policies/config/<stack>.json`, None when the stack has no file or
    belongs to another project: a consumer program's `dev` is not the platform's `dev`, so it runs
    with the policies' defaults unless it passes its own --policy-pack-config."""
    if STACK_NAME_SENT.get("project") not in ("", None, stack_config.PLATFORM_PROJECT):
        return None
    path = stack_config.path_for(stack)
    if not path.is_file():
        return None
    document = stack_config.read(path)  # strict: a typo is a ValueError naming the file and key
    levels = {name: found for name in document if (found := stack_config.level(document, name)) is not None}
    return levels, {name: stack_config.own_knobs(document, name) for name in document}


HOOKS = ConfigHooks(
    problems=config_problems,
    resolved=lambda settings: with_shared(settings, ALL_RULES),
    defaults_only=defaults_only,
    stack_file=stack_file,
)


def serve() -> PolicyPack:
    """Constructing the pack starts the analyzer server, prints its port and blocks."""
    install_decode_once_servicer(HOOKS)
    return PolicyPack(name=PACK_NAME, policies=policies())

"""The SDK's analyzer service, decoding each request once instead of once per policy.

pulumi_policy 1.21's `Analyze` converts a request's properties (and its provider's) from
protobuf, deserializes them and wraps them in its unknown-checking proxy inside the loop over
policies: with 39 policies that is 39 decodings of the same request, about 80 % of the pack's
time (benchmarks/README.md). This subclass does the same work once per request and then runs the
same loop with the same semantics: disabled policies skipped, remediate reported as mandatory,
unknown values reported as "can't run during preview", not-applicable recorded.

It also owns the pack's configuration: every policy's settings are checked at `Configure` (an
unknown key or a bad value fails the run, naming the policy and the key); pack-wide settings
(`untrustedNamespaces`) given on one policy apply to all; and when the CLI sends nothing but the
defaults (`pulumi up --policy-pack policies` without `--policy-pack-config`), the stack's own file
`policies/config/<stack>.json` applies, by the stack name `ConfigureStack` carries, instead of
the pack's weaker defaults.

Installed by `policies/pack.py` before the `PolicyPack` is constructed; pinned to the SDK
version in requirements (a test drives the pack over gRPC to hold the behaviour).

This is the one module that uses pulumi_policy's internals (`_PolicyAnalyzerServicer`, its private
attributes, `_is_unknown`, the secrets proxies): the package metadata holds pulumi-policy to the
tested minor release for them (pyproject.toml, docs/packaging.md).
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from inspect import isawaitable
from typing import Any

import grpc
import pulumi_policy.policy as sdk
from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2 as proto
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import UnknownValueError, _is_unknown, unknown_checking_proxy
from pulumi_policy.secret import _DictSecretsProxy, _ListSecretsProxy

from eksplatform.policies.rule import UNKNOWN


def with_unknowns(value: Any) -> Any:
    """Plain props for stack policies, with the engine's unknown sentinels as `UNKNOWN`: a stack
    policy judges each resource on what is known instead of giving up on the whole stack."""
    if _is_unknown(value):
        return UNKNOWN
    if isinstance(value, dict):
        return {key: with_unknowns(item) for key, item in value.items()}
    if isinstance(value, list):
        return [with_unknowns(item) for item in value]
    return value


def struct_dict(message: struct_pb2.Struct) -> dict[str, Any]:
    """`json_format.MessageToDict` of a Struct (the same dict, keys in the same order, the same
    ValueError for a NaN or infinite number), without the generic printer's descriptor lookups
    for every value: that printer was a seventh of a prod analysis."""
    return {key: _plain_value(item) for key, item in message.fields.items()}


def _plain_value(value: struct_pb2.Value) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        return value.string_value
    if kind == "struct_value":
        return {key: _plain_value(item) for key, item in value.struct_value.fields.items()}
    if kind == "list_value":
        return [_plain_value(item) for item in value.list_value.values]
    if kind == "bool_value":
        return value.bool_value
    if kind == "number_value":
        number = value.number_value
        if math.isinf(number):
            raise ValueError("Fail to serialize Infinity for Value.number_value, which would parse as string_value")
        if math.isnan(number):
            raise ValueError("Fail to serialize NaN for Value.number_value, which would parse as string_value")
        return number
    return None  # null_value, or no kind set (MessageToDict reads both as null)


SECRETS_PROXIES = (_DictSecretsProxy, _ListSecretsProxy)
"""What `Remediate` hands a policy: props whose secrets the SDK unwraps on read (policies/pack.py)."""

STACK_CONFIG: dict[str, str] = {}
"""The stack's own config (`platform:monthlyBudget` ...) as the engine sent it with ConfigureStack."""
STACK_NAME_SENT: dict[str, str] = {}
"""`{"stack": <name>, "project": <name>}` as ConfigureStack sent them (the budget policy reads
`usage/<stack>.yaml` by the stack; the pack's config/<stack>.json is only for the platform project)."""

Settings = Mapping[str, Mapping[str, Any]]
"""Policy name -> its knobs."""


@dataclass(frozen=True)
class ConfigHooks:
    """What the pack knows about its own config (policies/pack.py provides it)."""

    problems: Callable[[Settings], list[str]]
    """Every problem of these settings, each naming the policy and the key."""
    resolved: Callable[[Settings], dict[str, dict[str, Any]]]
    """The settings with pack-wide knobs applied to every policy that has them."""
    defaults_only: Callable[[Mapping[str, str], Settings], bool]
    """Do these levels and settings say nothing but the pack's defaults (what the CLI sends when it
    was given no --policy-pack-config)?"""
    stack_file: Callable[[str], tuple[dict[str, str], dict[str, dict[str, Any]]] | None]
    """(levels, settings) of the stack's own config file, None when it has none; ValueError when bad."""


_hooks: list[ConfigHooks] = []
STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


# Kept between Configures (each run starts with one): far more than a stack has, distinct
# providers (one per region and cluster) and distinct resource inputs.
MAX_PROVIDERS = 512
MAX_DECODED = 8192


class DecodeOnceServicer(sdk._PolicyAnalyzerServicer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The serialized provider message -> its decoded object: every resource of a region names
        # the same provider, and decoding it again for each (Analyze, then AnalyzeStack) was a
        # tenth of a prod analysis.
        self._providers: dict[bytes, sdk.PolicyProviderResource] = {}
        # The serialized properties -> their decoded props, keyed by content: preflight sends each
        # resource's inputs again in AnalyzeStack after its Analyze (the Pulumi engine sends the
        # outputs there, which rarely match, so under `pulumi up` this saves little). Policies only
        # read them (behind the SDK's proxy, or copied by `with_unknowns`). Decoded with secrets
        # unwrapped, as Analyze decodes; Remediate (`proxy_secrets=True`) must not read this cache.
        self._decoded: dict[bytes, dict[str, Any]] = {}

    def _private(self, name: str) -> Any:
        return getattr(self, f"_PolicyAnalyzerServicer__{name}")

    def _set_private(self, name: str, value: Any) -> None:
        setattr(self, f"_PolicyAnalyzerServicer__{name}", value)

    def Configure(self, request: Any, context: Any) -> Any:  # noqa: N802 - the gRPC method
        """The SDK's Configure, then every policy's settings checked: an unknown key or a value out
        of range fails the run with a message naming the policy and the key."""
        self._providers, self._decoded = {}, {}  # a new run
        response = super().Configure(request, context)  # type: ignore[no-untyped-call]
        settings = {
            name: json_format.MessageToDict(entry.properties) if entry.properties else {}
            for name, entry in request.policyConfig.items()
        }
        levels = {
            name: self._convert_enforcement_level(entry.enforcementLevel).value
            for name, entry in request.policyConfig.items()
        }
        for hooks in _hooks:
            problems = hooks.problems(settings)
            if problems:
                context.abort(grpc.StatusCode.INVALID_ARGUMENT, "policy config: " + "; ".join(problems))
        self._sent = (
            dict(self._private("policy_pack_config")),
            dict(self._private("policy_pack_config_enforcement_level")),
        )
        self._explicit = not all(hooks.defaults_only(levels, settings) for hooks in _hooks)
        self._apply_config(context)
        return response

    def ConfigureStack(self, request: Any, context: Any) -> Any:  # noqa: N802 - the gRPC method
        STACK_CONFIG.clear()
        STACK_CONFIG.update(dict(request.config))
        STACK_NAME_SENT.clear()
        STACK_NAME_SENT["stack"] = str(request.stack)
        STACK_NAME_SENT["project"] = str(request.project)
        response = super().ConfigureStack(request, context)
        self._stack = str(request.stack)
        self._apply_config(context)
        return response

    def _apply_config(self, context: Any) -> None:
        """The config every policy runs with: what Configure sent, or, when that was only the
        defaults, the stack's own file; then pack-wide knobs applied everywhere. Either order of
        Configure and ConfigureStack ends in the same place."""
        sent, sent_levels = getattr(self, "_sent", ({}, {}))
        config = {name: dict(knobs) for name, knobs in sent.items()}
        levels = dict(sent_levels)
        stack = getattr(self, "_stack", "")
        for hooks in _hooks:
            if not getattr(self, "_explicit", False) and STACK_NAME.match(stack):
                try:
                    found = hooks.stack_file(stack)
                except ValueError as error:
                    context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"policy config: {error}")
                if found is not None:
                    file_levels, file_settings = found
                    levels.update({name: sdk.EnforcementLevel(level) for name, level in file_levels.items()})
                    for name, knobs in file_settings.items():
                        config[name] = {**config.get(name, {}), **knobs}
            config = hooks.resolved(config)
        self._set_private("policy_pack_config", config)
        self._set_private("policy_pack_config_enforcement_level", levels)

    def Analyze(self, request: Any, _context: Any) -> Any:  # noqa: N802 - the gRPC method
        self._configure_runtime_settings()  # type: ignore[no-untyped-call]
        response = proto.AnalyzeResponse()
        decoded = self._decode(request.properties)
        props = unknown_checking_proxy(decoded)
        known: list[Any] = []  # plain props with UNKNOWN markers, built once if a policy asks
        opts = self._get_resource_options(request)
        provider = self._get_provider_resource(request)
        for policy in self._private("policies"):
            types = getattr(policy, "resource_types", ())
            if types and request.type not in types:
                continue  # the policy's validate would return at once (policies/pack.py)
            enforcement_level = self._get_enforcement_level(policy)
            if enforcement_level == sdk.EnforcementLevel.DISABLED or not isinstance(
                policy, sdk.ResourceValidationPolicy
            ):
                continue
            if not policy.has_validation():
                response.not_applicable.append(
                    proto.PolicyNotApplicable(policy_name=policy.name, reason="Policy does not implement validate")
                )
                continue
            if enforcement_level == sdk.EnforcementLevel.REMEDIATE:
                enforcement_level = sdk.EnforcementLevel.MANDATORY
            report_violation = self._create_report_violation(
                response, policy.name, policy.description, enforcement_level, policy.severity
            )
            args = sdk.ResourceValidationArgs(
                request.type,
                props,
                request.urn,
                request.name,
                opts,
                provider,
                self._get_policy_config(policy.name),
                self._private("stack_tags"),
            )
            if getattr(policy, "judges_unknowns", False):
                if not known:
                    known.append(with_unknowns(decoded))
                args.known_props = known[0]  # type: ignore[attr-defined]  # read by policies/pack.py
            self._run(policy, args, report_violation, response)
        return response

    def _run(self, policy: Any, args: Any, report_violation: Any, response: Any) -> None:
        """Run one policy; unknown values and not-applicable are reported as the SDK does."""
        pack_name, pack_version = self._private("policy_pack_name"), self._private("policy_pack_version")
        try:
            result = policy.validate(args, report_violation)
            if isawaitable(result):
                loop = asyncio.new_event_loop()
                loop.run_until_complete(result)
                loop.close()
        except UnknownValueError as error:
            response.diagnostics.append(
                proto.AnalyzeDiagnostic(
                    policyName=policy.name,
                    policyPackName=pack_name,
                    policyPackVersion=pack_version,
                    message=f"can't run policy '{policy.name}' from policy pack "
                    f"'{pack_name}@v{pack_version}' during preview: {error.message}",
                    urn="",
                    description=policy.description,
                    enforcementLevel=self._map_enforcement_level(sdk.EnforcementLevel.ADVISORY),
                )
            )
        except sdk._NotApplicableError as error:
            response.not_applicable.append(
                proto.PolicyNotApplicable(policy_name=policy.name, reason=error.reason or "")
            )

    def AnalyzeStack(self, request: Any, _context: Any) -> Any:  # noqa: N802 - the gRPC method
        """The SDK's stack analysis, with the resources decoded and linked once for every policy."""
        self._configure_runtime_settings()  # type: ignore[no-untyped-call]
        response = proto.AnalyzeResponse()
        resources = self._stack_resources(request)
        for policy in self._private("policies"):
            enforcement_level = self._get_enforcement_level(policy)
            if enforcement_level == sdk.EnforcementLevel.DISABLED or not isinstance(policy, sdk.StackValidationPolicy):
                continue
            if enforcement_level == sdk.EnforcementLevel.REMEDIATE:
                enforcement_level = sdk.EnforcementLevel.MANDATORY
            report_violation = self._create_report_violation(
                response, policy.name, policy.description, enforcement_level, policy.severity
            )
            args = sdk.StackValidationArgs(resources, self._get_policy_config(policy.name), self._private("stack_tags"))
            self._run(policy, args, report_violation, response)
        return response

    def _decode(self, properties: struct_pb2.Struct) -> dict[str, Any]:
        """The SDK's decoding of a resource's inputs (`deserialize_properties` of the Struct as a
        dict), once per distinct inputs of a run."""
        key = properties.SerializeToString(deterministic=True)
        found = self._decoded.get(key)
        if found is None:
            found = deserialize_properties(struct_dict(properties))
            if len(self._decoded) >= MAX_DECODED:
                self._decoded = {}
            self._decoded[key] = found
        return found

    def _get_provider_resource(self, request: Any) -> Any:
        """The SDK's provider object (its props behind the SDK's unknown-checking proxy), one per
        distinct provider message: policies only read it, and pack.py keeps its plain props on it."""
        if not request.HasField("provider"):
            return None
        provider = request.provider
        key = provider.SerializeToString(deterministic=True)
        found = self._providers.get(key)
        if found is None:
            props = unknown_checking_proxy(deserialize_properties(struct_dict(provider.properties)))
            found = sdk.PolicyProviderResource(provider.type, props, provider.urn, provider.name)
            if len(self._providers) >= MAX_PROVIDERS:
                self._providers = {}
            self._providers[key] = found
        return found

    def _stack_resources(self, request: Any) -> list[Any]:
        by_urn: dict[str, Any] = {}
        links: list[tuple[Any, Any]] = []
        for item in request.resources:
            props = with_unknowns(self._decode(item.properties))
            resource = sdk.PolicyResource(
                item.type,
                props,
                item.urn,
                item.name,
                self._get_resource_options(item),
                self._get_provider_resource(item),
                None,
                [],
                {},
            )
            by_urn[item.urn] = resource
            links.append((resource, item))
        for resource, item in links:
            resource.parent = by_urn.get(item.parent) if item.parent else None
            resource.dependencies.extend(by_urn[urn] for urn in item.dependencies if urn in by_urn)
            for key, dependencies in item.propertyDependencies.items():
                resource.property_dependencies[key] = [by_urn[urn] for urn in dependencies.urns if urn in by_urn]
        return [resource for resource, _ in links]


def install(hooks: ConfigHooks | None = None) -> None:
    """Make `PolicyPack` serve with the decode-once servicer (and its config from `hooks`)."""
    _hooks[:] = [hooks] if hooks is not None else []
    sdk._PolicyAnalyzerServicer = DecodeOnceServicer  # type: ignore[misc]

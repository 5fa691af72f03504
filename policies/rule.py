"""What a policy is here, independent of the pulumi_policy SDK.

A `Rule` checks one resource, a `StackRule` the whole stack; both yield violation messages that
say what to set. `policies/pack.py` turns them into CrossGuard policies; tests call `check`
directly on recorded resources. Props are the resource's inputs as the engine sends them
(camelCase). During a preview the SDK hands props over as proxies that raise on unknown values;
the SDK reports such a policy as "can't run during preview" instead of failing, so rules simply
read what they need.

Stack policies see plain props instead, with `UNKNOWN` where a preview does not know a value yet
(policies/servicer.py), so one unknown value does not hide what is known about other resources:
a stack rule judges each resource on what it knows and skips what it cannot decide. A resource
rule that sets `judges_unknowns` gets the same plain props, so one unknown field does not hide a
definite violation in another field of the same resource.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

# The input readers live in a leaf module (cost and capacity read inputs too); re-exported here
# for the rules.
from eksplatform.properties import UNKNOWN as UNKNOWN
from eksplatform.properties import at as at
from eksplatform.properties import decoded as decoded
from eksplatform.properties import is_unknown as is_unknown
from eksplatform.properties import mapping as mapping
from eksplatform.properties import sequence as sequence
from eksplatform.properties import truthy as truthy

Severity = Literal["low", "medium", "high", "critical"]
Enforcement = Literal["advisory", "mandatory"]


@dataclass(frozen=True)
class Resource:
    """One resource as a policy sees it."""

    type: str
    name: str
    urn: str
    props: Mapping[str, Any]
    provider_props: Mapping[str, Any] = field(default_factory=dict)
    """The inputs of the resource's provider (region, default tags)."""
    parent: str = ""
    dependencies: Sequence[str] = ()
    provider: str = ""
    """The URN of the resource's provider: which cluster (or region) a Kubernetes object lives in."""
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """For each input, the URNs of the resources its value came from."""

    def sources(self, prop: str) -> Sequence[str]:
        """The URNs `prop` was computed from. No fall back to every dependency: a `depends_on` (or
        a value taken from elsewhere) does not make a resource the source of this input."""
        return self.property_dependencies.get(prop, ())

    def refers_to(self, prop: str, target: Resource, target_prop: str) -> bool:
        """Does `prop` name `target`: its value came from `target` (property dependency), or it
        equals `target`'s known `target_prop` (a name typed in by hand)?"""
        if target.urn in self.sources(prop):
            return True
        value, named = self.props.get(prop), target.props.get(target_prop)
        return isinstance(value, str) and bool(value) and value == named


Check = Callable[[Resource, Mapping[str, Any]], Iterable[str]]
StackCheck = Callable[[Sequence[Resource], Mapping[str, Any]], Iterable[tuple[str, str]]]
Remedy = Callable[[Resource, Mapping[str, Any]], "Mapping[str, Any] | None"]
"""A remediation: the resource's props with the fix applied, or None when nothing is safe to change."""


@dataclass(frozen=True)
class Rule:
    """A resource policy: `check(resource, config)` yields one message per violation."""

    name: str
    description: str
    severity: Severity
    enforcement: Enforcement
    check: Check
    resource_types: tuple[str, ...] = ()
    """Only these types (empty: every resource)."""
    config_schema: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """JSON schema of the knobs, each with its default."""
    remediation: str = ""
    reference: str = ""
    """The control this policy implements: an AWS FSBP id, a CIS benchmark item, Pod Security."""
    remedy: Remedy | None = None
    """A safe, unambiguous fix the policy applies at enforcement level `remediate`."""
    judges_unknowns: bool = False
    """The check reads `UNKNOWN` field by field (a preview's unknown values) and still reports what
    is definitely wrong; other checks get the SDK's proxy, which stops at the first unknown."""

    def defaults(self) -> dict[str, Any]:
        return {key: schema["default"] for key, schema in self.config_schema.items() if "default" in schema}

    def applies_to(self, resource_type: str) -> bool:
        return not self.resource_types or resource_type in self.resource_types

    def violations(self, resource: Resource, config: Mapping[str, Any] | None = None) -> list[str]:
        """The messages for one resource, with this rule's defaults under `config`."""
        if not self.applies_to(resource.type):
            return []
        return list(self.check(resource, {**self.defaults(), **(config or {})}))


@dataclass(frozen=True)
class StackRule:
    """A stack policy: `check(resources, config)` yields (message, urn) per violation."""

    name: str
    description: str
    severity: Severity
    enforcement: Enforcement
    check: StackCheck
    config_schema: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    remediation: str = ""
    reference: str = ""
    stack_config_keys: Mapping[str, str] = field(default_factory=dict)
    """Knobs read from the stack's own config (knob -> `project:key`) when the policy config lacks them."""

    def defaults(self) -> dict[str, Any]:
        return {key: schema["default"] for key, schema in self.config_schema.items() if "default" in schema}

    def violations(
        self, resources: Sequence[Resource], config: Mapping[str, Any] | None = None
    ) -> list[tuple[str, str]]:
        return list(self.check(resources, {**self.defaults(), **(config or {})}))


# --- helpers for reading props --------------------------------------------------------------


def tags_of(resource: Resource) -> dict[str, Any]:
    """The resource's own tags merged over its provider's default tags."""
    defaults = mapping(at(decoded(resource.provider_props.get("defaultTags")), "tags"))
    return {**defaults, **mapping(resource.props.get("tags"))}


def schema(kind: str, default: Any, description: str, **extra: Any) -> dict[str, Any]:
    """One config knob."""
    return {"type": kind, "default": default, "description": description, **extra}


def each(resources: Iterable[Resource], *resource_types: str) -> list[Resource]:
    return [resource for resource in resources if resource.type in resource_types]


def customer_managed_key(value: Any) -> bool:
    """A KMS key reference that names a customer-managed key: a key id or ARN, or an alias that is
    not one of the AWS-managed `alias/aws/<service>` keys (which cannot be audited, shared or
    have their policy changed; AWS KMS developer guide, "AWS managed keys")."""
    if not isinstance(value, str) or not value.strip():
        return False
    return "alias/aws/" not in value.lower()

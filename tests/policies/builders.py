"""Small builders the policy tests share: a rule by name, a resource as the pack sees it, the URNs found."""

from __future__ import annotations

from typing import Any

from eksplatform.policies.catalog import ALL_RULES
from eksplatform.policies.rule import Resource


def rule(name: str) -> Any:
    """The catalog's rule (resource or stack) of that name."""
    (found,) = [candidate for candidate in ALL_RULES if candidate.name == name]
    return found


def make(resource_type: str, name: str, props: dict[str, Any], **extra: Any) -> Resource:
    """A resource of the prod stack in us-east-1, as a policy receives it."""
    return Resource(
        type=resource_type,
        name=name,
        urn=f"urn:pulumi:prod::platform::{resource_type}::{name}",
        props=props,
        provider_props={"region": "us-east-1"},
        **extra,
    )


def urns(found: list[tuple[str, str]]) -> list[str]:
    return [urn for _, urn in found]

"""Recorded registrations as the policies see them (props = inputs, the provider's inputs)."""

from __future__ import annotations

from eksplatform.policies.rule import Resource
from eksplatform.preflight.mocks import Registration
from eksplatform.preflight.synth import Graph


def view(registration: Registration, graph: Graph) -> Resource:
    provider_props = {}
    if registration.provider_urn:
        provider_props = dict(graph.get(registration.provider_urn).inputs)
    return Resource(
        type=registration.type,
        name=registration.name,
        urn=registration.urn,
        props=registration.inputs,
        provider_props=provider_props,
        parent=registration.parent,
        dependencies=list(registration.dependencies),
        provider=registration.provider_urn,
        property_dependencies={key: list(urns) for key, urns in registration.property_dependencies.items()},
    )


def resources_of(graph: Graph) -> list[Resource]:
    """Every custom resource of a program, as a stack policy receives them."""
    return [view(r, graph) for r in graph.resources if r.custom and not r.is_provider]

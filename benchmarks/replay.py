"""Replay a recorded graph as a flat Pulumi program: the baselines that synth is measured against.

A replay registers exactly what the platform registered (same URNs, parents, providers, inputs,
and the same wiring: an input that depended on other resources is passed as an Output of them),
but runs no component code, no config validation and no invokes. Two flavours:

- `typed=True`: through the same pulumi_aws / pulumi_kubernetes / pulumi_random classes the
  platform uses, as a hand-written program without this library would;
- `typed=False`: through `pulumi.CustomResource` with plain dicts, the SDK's floor. It skips what
  the provider classes do on every registration (declare each output property as an Output,
  translate names through their type metadata), so it is not a program anyone writes.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import Any

import pulumi
from pulumi import _types
from pulumi.runtime.rpc import get_resource_module

from eksplatform.preflight.mocks import Registration
from eksplatform.preflight.synth import Graph

ResourceClass = Callable[..., pulumi.Resource]


def _constant(value: Any, _resolved: Any) -> Any:
    return value


def parents_first(resources: list[Registration]) -> list[Registration]:
    """Every resource after its parent, its provider and what it depends on (URN order is not)."""
    by_urn = {r.urn: r for r in resources}
    ordered: list[Registration] = []
    placed: set[str] = set()

    def place(resource: Registration) -> None:
        if resource.urn in placed:
            return
        for before in (resource.parent, resource.provider_urn, *resource.dependencies):
            if before in by_urn:
                place(by_urn[before])
        placed.add(resource.urn)
        ordered.append(resource)

    for resource in resources:
        place(resource)
    return ordered


def typed_class(type_token: str) -> tuple[ResourceClass, dict[str, str]]:
    """The provider SDK class for a type token, and its input names (Pulumi name -> Python name)."""
    package_name, rest = type_token.split(":", 1)
    module_name = rest.rsplit(":", 1)[0]
    resource_module: Any = get_resource_module(package_name, module_name, "")
    if resource_module is None:
        raise LookupError(f"no provider SDK module registers {type_token}")
    python_module = importlib.import_module(resource_module.mod_info["fqn"])
    class_name = resource_module.mod_info["classes"][type_token]
    return getattr(python_module, class_name), _python_names(python_module, class_name)


def _python_names(module: Any, class_name: str) -> dict[str, str]:
    # `InitArgs` first: the SDK names a resource's args so only when `<Class>Args` is taken by a
    # nested input type (VpcPeeringConnectionAccepterArgs is VpcPeeringConnection's `accepter` block).
    for suffix in ("InitArgs", "Args"):
        args_type = getattr(module, class_name + suffix, None)
        if args_type is not None:
            return {
                pulumi_name: python for python, pulumi_name in _types.input_type_py_to_pulumi_names(args_type).items()
            }
    raise LookupError(f"{module.__name__}.{class_name} has no args type")


def replay_program(graph: Graph, *, typed: bool) -> Callable[[], None]:
    """A Pulumi program that registers `graph`'s resources flat, as described in the module doc."""
    recorded = parents_first(graph.resources)
    # Providers go through pulumi.ProviderResource either way: their classes JSON-encode settings
    # that the recording already holds encoded, and there are only a handful of them.
    classes = {r.type: typed_class(r.type) for r in recorded if r.custom and not r.is_provider} if typed else {}

    def program() -> None:
        created: dict[str, pulumi.Resource] = {}
        for registration in recorded:
            provider = created.get(registration.provider_urn)
            through_inputs = {urn for urns in registration.property_dependencies.values() for urn in urns}
            opts = pulumi.ResourceOptions(
                parent=created.get(registration.parent),
                provider=provider if isinstance(provider, pulumi.ProviderResource) else None,
                depends_on=[created[urn] for urn in registration.dependencies if urn not in through_inputs],
                protect=registration.protect,
                retain_on_delete=registration.retain_on_delete,
                delete_before_replace=registration.delete_before_replace,
                ignore_changes=registration.ignore_changes or None,
                additional_secret_outputs=registration.additional_secret_outputs or None,
            )
            if not registration.custom:
                # A component's own inputs (DeployerConnection's) are registered as recorded.
                props = dict(registration.inputs) or None
                created[registration.urn] = pulumi.ComponentResource(registration.type, registration.name, props, opts)
                continue
            inputs = _wired_inputs(registration, created)
            if typed and not registration.is_provider:
                resource_class, python_names = classes[registration.type]
                kwargs = {python_names.get(key, key): value for key, value in inputs.items()}
                created[registration.urn] = resource_class(registration.name, opts=opts, **kwargs)
            elif registration.is_provider:
                package = registration.type.rsplit(":", 1)[1]
                created[registration.urn] = pulumi.ProviderResource(package, registration.name, inputs, opts)
            else:
                created[registration.urn] = pulumi.CustomResource(registration.type, registration.name, inputs, opts)

    return program


def _wired_inputs(registration: Registration, created: dict[str, pulumi.Resource]) -> dict[str, Any]:
    """The recorded inputs, each one that depended on resources passed as an Output of them."""
    inputs: dict[str, Any] = dict(registration.inputs)
    for key, urns in registration.property_dependencies.items():
        sources = [created[urn] for urn in urns if urn in created]
        if key in inputs and sources:
            inputs[key] = pulumi.Output.all(*[source.urn for source in sources]).apply(
                functools.partial(_constant, inputs[key])
            )
    return inputs

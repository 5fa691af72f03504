"""A synthesized stack as a `pulumi stack export` document, and such documents read back.

The document is what analysis works on, so `--state` (any program's real export) and a synth
take the same path. Secret values are Pulumi secret objects whose text is withheld: preflight
never writes a secret to disk, and no policy needs to read one.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eksplatform.preflight.export_format import SECRET_SIG, SECRET_VALUE, STACK_TYPE
from eksplatform.preflight.mocks import Registration, provider_urn
from eksplatform.preflight.synth import Graph, StackOutput
from eksplatform.pulumi_internals import rpc

WITHHELD = "[secret withheld by preflight]"
MANIFEST_VERSION = "preflight"
"""The manifest version of the documents preflight writes: their values come from the mocks."""


class StateError(ValueError):
    """A state document that is not a `pulumi stack export` of version 3."""


def _plain(value: Any) -> Any:
    """Inputs as recorded, with Pulumi secrets turned into export-form secret objects."""
    if rpc.is_rpc_secret(value):
        return {SECRET_SIG: SECRET_VALUE, "ciphertext": WITHHELD}
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def holds_secret(value: Any) -> bool:
    """Whether a recorded input is, or contains, a Pulumi secret."""
    if rpc.is_rpc_secret(value):
        return True
    if isinstance(value, dict):
        return any(holds_secret(item) for item in value.values())
    if isinstance(value, list):
        return any(holds_secret(item) for item in value)
    return False


def _outputs(registration: Registration) -> dict[str, Any]:
    """Outputs as the engine stores them: secret where the provider says so or the input was secret."""
    secret = set(registration.additional_secret_outputs)
    secret |= {key for key, value in registration.inputs_with_secrets.items() if holds_secret(value)}
    return {key: _secret_object() if key in secret else _plain(value) for key, value in registration.outputs.items()}


def _secret_object() -> dict[str, str]:
    return {SECRET_SIG: SECRET_VALUE, "ciphertext": WITHHELD}


def _stack_outputs(outputs: dict[str, StackOutput]) -> dict[str, Any]:
    """The program's `pulumi.export`s as the engine keeps them: on the stack resource, secrets withheld."""
    return {name: _secret_object() if output.secret else _plain(output.value) for name, output in outputs.items()}


def export_document(graph: Graph) -> dict[str, Any]:
    resources = []
    for registration in graph.registrations:
        is_stack = registration.type == STACK_TYPE
        entry: dict[str, Any] = {
            "urn": registration.urn,
            "custom": registration.custom,
            "type": registration.type,
            "inputs": _plain(registration.inputs_with_secrets),
            "outputs": _stack_outputs(graph.outputs) if is_stack else _outputs(registration),
            "protect": registration.protect,
            "retainOnDelete": registration.retain_on_delete,
            "dependencies": registration.dependencies,
            "propertyDependencies": registration.property_dependencies,
        }
        if registration.custom:
            entry["id"] = registration.id
        if registration.parent:
            entry["parent"] = registration.parent
        if registration.provider:
            entry["provider"] = registration.provider
        if registration.ignore_changes:
            entry["ignoreChanges"] = registration.ignore_changes
        resources.append(entry)
    return {
        "version": 3,
        "deployment": {
            "manifest": {"magic": "", "version": MANIFEST_VERSION},
            "resources": resources,
        },
    }


@dataclass(frozen=True)
class StateResource:
    """One resource of an export document, as analysis needs it."""

    urn: str
    type: str
    custom: bool
    inputs: dict[str, Any]
    parent: str = ""
    provider: str = ""
    dependencies: list[str] = field(default_factory=list)
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    protect: bool = False
    retain_on_delete: bool = False
    ignore_changes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]

    @property
    def provider_urn(self) -> str:
        return provider_urn(self.provider)


@dataclass(frozen=True)
class State:
    stack: str
    project: str
    resources: list[StateResource]
    outputs: dict[str, StackOutput] = field(default_factory=dict)
    """The stack outputs, kept on the stack resource (secret ones without their value)."""
    synthesized: bool = False
    """Written by preflight: its IDs, ARNs and other provider-made values come from the mocks."""

    @functools.cached_property
    def _by_urn(self) -> dict[str, StateResource]:
        return {resource.urn: resource for resource in self.resources}

    def get(self, urn: str) -> StateResource | None:
        return self._by_urn.get(urn)


def _urn_parts(urn: str) -> tuple[str, str]:
    """(stack, project) from `urn:pulumi:<stack>::<project>::...`."""
    parts = urn.split("::")
    if len(parts) < 4 or not parts[0].startswith("urn:pulumi:"):
        raise StateError(f"{urn!r} is not a Pulumi URN")
    return parts[0].removeprefix("urn:pulumi:"), parts[1]


def _text(entry: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = entry.get(key, default)
    if not isinstance(value, str):
        raise StateError(f"{where}.{key} must be a string, not {value!r}")
    return value


def _mapping(entry: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = entry.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise StateError(f"{where}.{key} must be an object, not {value!r}")
    return dict(value)


def _texts(value: Any, where: str) -> list[str]:
    """A list of strings (a string is not one: `list("tags")` would split it into letters)."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise StateError(f"{where} must be a list of strings, not {value!r}")
    return list(value)


def _resource(entry: Any, where: str) -> StateResource:
    if not isinstance(entry, dict) or "urn" not in entry or "type" not in entry:
        raise StateError(f"{where} needs a urn and a type")
    urn = _text(entry, "urn", where)
    dependencies = _mapping(entry, "propertyDependencies", where)
    return StateResource(
        urn=urn,
        type=_text(entry, "type", where),
        custom=bool(entry.get("custom")),
        inputs=_mapping(entry, "inputs", where),
        parent=_text(entry, "parent", where, ""),
        provider=_text(entry, "provider", where, ""),
        dependencies=_texts(entry.get("dependencies"), f"{where}.dependencies"),
        property_dependencies={
            str(key): _texts(value, f"{where}.propertyDependencies.{key}") for key, value in dependencies.items()
        },
        protect=bool(entry.get("protect")),
        retain_on_delete=bool(entry.get("retainOnDelete")),
        ignore_changes=_texts(entry.get("ignoreChanges"), f"{where}.ignoreChanges"),
    )


def read_state(document: Any, source: str = "state") -> State:
    """A `pulumi stack export` document (version 3) as analysis input; a clear error otherwise."""
    if not isinstance(document, dict) or document.get("version") != 3:
        raise StateError(f'{source}: expected a `pulumi stack export` document with "version": 3')
    deployment = document.get("deployment")
    if not isinstance(deployment, dict):
        raise StateError(f"{source}: deployment must be an object, not {deployment!r}")
    raw = deployment.get("resources")
    if not isinstance(raw, list) or not raw:
        raise StateError(f"{source}: deployment.resources is missing or empty")
    resources = []
    for index, entry in enumerate(raw):
        where = f"deployment.resources[{index}]"
        try:
            resource = _resource(entry, where)
            _mapping(entry, "outputs", where)
        except StateError as error:
            raise StateError(f"{source}: {error}") from None
        resources.append(resource)
    stack, project = _urn_parts(resources[0].urn)
    manifest = deployment.get("manifest")
    return State(
        stack=stack,
        project=project,
        resources=resources,
        outputs=_read_stack_outputs(raw),
        synthesized=isinstance(manifest, dict) and manifest.get("version") == MANIFEST_VERSION,
    )


def is_secret(value: Any) -> bool:
    """An export-form secret object (encrypted, or plaintext in a `--show-secrets` export)."""
    return isinstance(value, dict) and value.get(SECRET_SIG) == SECRET_VALUE


def stack_resource(resources: Any) -> dict[str, Any] | None:
    """An export's `pulumi:pulumi:Stack` resource (the one holding the stack's outputs), None without one."""
    return next((entry for entry in resources if isinstance(entry, dict) and entry.get("type") == STACK_TYPE), None)


def _read_stack_outputs(raw: list[Any]) -> dict[str, StackOutput]:
    stack = stack_resource(raw)
    outputs = stack.get("outputs") if stack else None
    if not isinstance(outputs, dict):
        return {}
    return {
        str(name): StackOutput(value=None, secret=True) if is_secret(value) else StackOutput(value=value, secret=False)
        for name, value in outputs.items()
    }


def load_state(path: Path) -> State:
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise StateError(f"{path}: cannot read a JSON state document ({error})") from None
    return read_state(document, str(path))

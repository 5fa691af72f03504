"""Small assertions shared by the test modules."""

from __future__ import annotations

import json
from typing import Any

from preflight.mocks import Registration
from preflight.synth import Graph


def decoded(value: Any) -> Any:
    """Provider inputs with object values arrive JSON-encoded; other inputs as they are."""
    return json.loads(value) if isinstance(value, str) and value[:1] in "[{" else value


def out(graph: Graph, name: str) -> Any:
    """The value of a stack output the test program exported."""
    return graph.outputs[name].value


def policy(registration: Registration, key: str) -> dict[str, Any]:
    """An IAM or KMS policy document input (JSON text), parsed."""
    document: dict[str, Any] = json.loads(registration.inputs[key])
    return document

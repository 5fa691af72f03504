"""Other stacks' outputs for a program's `pulumi.StackReference`s: `--stack-reference NAME=FILE`.

Preflight has no backend to ask, so each referenced stack's outputs come from a file:

- a `pulumi stack export --show-secrets` document (version 3): the outputs of its
  `pulumi:pulumi:Stack` resource; a secret output keeps its value in `plaintext` (JSON text) and
  stays secret for the program; exported without `--show-secrets` its value is unknown (None);
- or a JSON object of outputs, as `pulumi stack output --json --show-secrets` prints it (no
  secrecy is recorded there: every output is plain).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from eksplatform.preflight.export import is_secret, stack_resource
from eksplatform.preflight.export_format import SECRET_SIG, SECRET_VALUE, STACK_TYPE
from eksplatform.preflight.synth import StackOutput


class StackReferenceError(ValueError):
    """A --stack-reference that cannot be used; the message names the option and the file."""


def _revealed(value: Mapping[str, Any]) -> Any:
    """A `--show-secrets` export's secret: its `plaintext` is the value as JSON text."""
    text = value.get("plaintext")
    if not isinstance(text, str):
        return None  # encrypted or withheld: unknown here
    try:
        return json.loads(text)
    except ValueError:
        return text


def outputs_of(document: Any, source: str) -> dict[str, StackOutput]:
    """The outputs a stack reference to this document's stack sees."""
    if not isinstance(document, dict):
        raise StackReferenceError(f"{source}: expected a JSON object (stack outputs, or a `pulumi stack export`)")
    if document.get("version") == 3 and isinstance(document.get("deployment"), dict):
        resources = document["deployment"].get("resources") or []
        stack = stack_resource(resources)
        if stack is None:
            raise StackReferenceError(f"{source}: the export has no {STACK_TYPE} resource, so no outputs")
        raw = stack.get("outputs") or {}
        if not isinstance(raw, dict):
            raise StackReferenceError(f"{source}: the stack resource's outputs must be an object")
        return {
            str(name): StackOutput(_revealed(value), True) if is_secret(value) else StackOutput(value, False)
            for name, value in raw.items()
        }
    return {str(name): StackOutput(value, False) for name, value in document.items()}


def withheld(outputs: Mapping[str, StackOutput]) -> list[str]:
    """Secret outputs whose value the file does not hold (exported without --show-secrets)."""
    return sorted(name for name, output in outputs.items() if output.secret and output.value is None)


def parse(option: str) -> tuple[str, dict[str, StackOutput]]:
    """`NAME=FILE` -> (stack name, its outputs)."""
    name, separator, file_name = option.partition("=")
    if not separator or not name or not file_name:
        raise StackReferenceError(f"--stack-reference {option!r}: give NAME=FILE, e.g. acme/platform/dev=dev.json")
    path = Path(file_name)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise StackReferenceError(f"--stack-reference {name}: cannot read {path} as JSON ({error})") from None
    try:
        return name, outputs_of(document, str(path))
    except StackReferenceError as error:
        raise StackReferenceError(f"--stack-reference {name}: {error}") from None


def outputs_document(outputs: Mapping[str, StackOutput], project: str, stack: str) -> dict[str, Any]:
    """A `pulumi stack export --show-secrets` document holding only the stack resource and its
    outputs: what `parse` reads. For a synthesized stack the values, secrets included, are the
    mocks' (an example's fixture, e.g. examples/consumer/platform-dev.json), never real ones."""

    def entry(output: StackOutput) -> Any:
        if output.secret:
            return {SECRET_SIG: SECRET_VALUE, "plaintext": json.dumps(output.value, sort_keys=True)}
        return output.value

    urn = f"urn:pulumi:{stack}::{project}::{STACK_TYPE}::{project}-{stack}"
    resource = {"urn": urn, "custom": False, "type": STACK_TYPE, "outputs": {k: entry(v) for k, v in outputs.items()}}
    return {"version": 3, "deployment": {"manifest": {"version": "preflight"}, "resources": [resource]}}

"""Every name of the Pulumi SDK's internals this project uses, in one module.

None of these is public API (not in `pulumi.runtime.__all__`, or `_`-prefixed): a Pulumi release
may change them without notice. So they are imported here only, and whatever runs them holds
pulumi to the minor release the suite runs: the `[policy]` extra (preflight, the mocks; pyproject.toml
`pulumi>=3.272.0,<3.273`), requirements.txt and provider/requirements.txt (the plugin, which
patches the analyzer below) pin the tested release. The components alone take any pulumi 3 from
it and use none of these; the stack layer reads the program's config map through `all_config`
(eksplatform/stack/loading.py), which the project's own program runs with requirements.txt's pin.
Bumping pulumi means running the suite on the new release and moving the pins together
(docs/packaging.md). The pulumi-policy SDK's internals, which the pack's servicer subclasses, live
in policies/servicer.py, pinned the same way.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import inspect
import textwrap
from collections.abc import Iterator

from pulumi.provider.experimental import analyzer as _analyzer
from pulumi.runtime import resource as _sdk_resource
from pulumi.runtime import rpc
from pulumi.runtime.config import CONFIG, get_config_env
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.proto import source_pb2
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

__all__ = [
    "MockMonitor",
    "all_config",
    "ensure_event_loop",
    "field_docs_from_base_classes",
    "field_docstrings",
    "rpc",
    "run_pulumi_func",
    "sync_await",
    "without_source_stack_traces",
]

# `rpc`: the SDK's wire (de)serialization of properties and secrets, which the mocks' monitor and
# the export speak. `MockMonitor`: the monitor `set_mocks` builds, which preflight's records.
# `run_pulumi_func`: runs a program as `pulumi up` would, with its stack resource.
# The generated protocol messages (`pulumi.runtime.proto`) are imported where used: they are the
# Analyzer and ResourceMonitor protocols themselves, versioned with the protocol, not SDK code.

sync_await = _sync_await
"""Run a coroutine to completion from synchronous code, on the SDK's own loop (mocks, synth)."""
ensure_event_loop = _ensure_event_loop
"""The SDK's event loop for the current thread, created when missing."""


def all_config() -> dict[str, str]:
    """The whole config map the engine passed (PULUMI_CONFIG), or `set_all_config`'s under the
    mocks: the SDK has a getter per key only (`pulumi.Config`), not one for the map."""
    return {**get_config_env(), **CONFIG.get()}


@contextlib.contextmanager
def without_source_stack_traces() -> Iterator[None]:
    """Registrations without the Python stack that made them, while the mocks run a program.

    The SDK walks the stack at every registration to send the engine the frames
    (`RegisterResourceRequest.stackTrace`/`sourcePosition`) for its messages; the mocks drop them,
    and the walk was a quarter of a synth's CPU (benchmarks/README.md, "Test suite"). Every input,
    option and dependency registers as before (tests/baseline compares them). Fails loudly if an
    SDK release renames the function (AttributeError here, not a silent slow path).
    """
    original = _sdk_resource._get_stack_trace
    _sdk_resource._get_stack_trace = source_pb2.StackTrace  # an empty StackTrace message
    try:
        yield
    finally:
        _sdk_resource._get_stack_trace = original


def field_docs_from_base_classes() -> None:
    """Let Pulumi's component analyzer describe a field an Args class inherits.

    The analyzer reads a field's description from the docstring after it in the source of the class
    it analyses (`Analyzer.get_docstring`: `inspect.getsource(typ)`), never from a base class, so a
    `ManagedPostgresArgs(PostgresSettings)` would serve the settings' fields undescribed. This asks
    the SDK first (the class itself, as before), then reads the bases' own sources, our classes only,
    in method resolution order; the bases' docstrings are cached by module and qualified name, so
    they never enter the SDK's cache, which is keyed by the bare class name. Idempotent; the plugin
    calls it before it serves (eksplatform/plugin.py), tests/provider checks every field's
    description over gRPC.
    """
    original = _analyzer.Analyzer.get_docstring
    if hasattr(original, "sdk_get_docstring"):
        return

    def get_docstring(self: _analyzer.Analyzer, typ: type, name: str) -> str | None:
        docstring: str | None = original(self, typ, name)
        if docstring is not None:
            return docstring
        for base in getattr(typ, "__mro__", (typ,))[1:]:
            if base.__module__ in ("builtins", "enum", "typing", "abc") or base.__module__.startswith("pulumi"):
                continue  # the SDK's and the standard library's classes document no field of ours
            docstring = field_docstrings(base).get(name)
            if docstring is not None:
                return docstring
        return None

    get_docstring.sdk_get_docstring = original  # type: ignore[attr-defined]
    _analyzer.Analyzer.get_docstring = get_docstring  # type: ignore[method-assign]


@functools.cache
def field_docstrings(cls: type) -> dict[str, str]:
    """The string literal after each annotated field in `cls`'s own source, as the SDK's analyzer
    reads them (docgen's Args tables read the same, so the docs and the schema agree)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    except (OSError, TypeError, SyntaxError):
        return {}
    found: dict[str, str] = {}
    body = next((node.body for node in tree.body if isinstance(node, ast.ClassDef)), [])
    for field, following in zip(body, [*body[1:], None], strict=True):
        if (
            isinstance(field, ast.AnnAssign)
            and isinstance(field.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            found[field.target.id] = following.value.value
    return found

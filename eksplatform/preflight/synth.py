"""Run a Pulumi program under the mocks and return what it registered.

`run_program(fn, ...)` is the one place that sets the Pulumi runtime up and tears it down:
a fresh event loop, `reset_options()`, `set_mocks(...)`, `set_all_config(...)`, the program,
then every outstanding RPC awaited before anything is read. Tests use it through the
`harness` fixture; `synth(stack)` uses it to run `__main__.py` with a stack file's config.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import runpy
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import reset_options, set_all_config, set_mocks
from pulumi.runtime.mocks import MockCallArgs
from pulumi.runtime.settings import get_root_resource

from eksplatform.preflight.mocks import PlatformMocks, RecordingMonitor, Registration, unwrap_secrets
from eksplatform.pulumi_internals import run_pulumi_func, sync_await, without_source_stack_traces

PROJECT_ROOT = Path(__file__).resolve().parents[2]
"""This checkout (tests, docs, benchmarks). Installed, it is site-packages: the CLI takes the
project from --project-dir instead."""


@dataclass(frozen=True)
class StackOutput:
    value: Any
    secret: bool


@dataclass
class Graph:
    """Everything a program registered (the stack first, then by URN), with lookups for tests."""

    project: str
    stack: str
    registrations: list[Registration]
    outputs: dict[str, StackOutput] = field(default_factory=dict)
    invokes: list[MockCallArgs] = field(default_factory=list)
    """Every invoke (data source lookup) the program made, in call order."""

    def __iter__(self) -> Iterator[Registration]:
        return iter(self.registrations)

    def __len__(self) -> int:
        return len(self.registrations)

    @property
    def resources(self) -> list[Registration]:
        """Everything but the stack itself."""
        return [r for r in self.registrations if r.type != "pulumi:pulumi:Stack"]

    def by_type(self, type_token: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == type_token]

    def one(self, type_token: str, name: str | None = None) -> Registration:
        """The single registration of a type (and name); fails clearly when there are 0 or 2+."""
        found = [r for r in self.by_type(type_token) if name is None or r.name == name]
        if len(found) != 1:
            names = [r.name for r in self.by_type(type_token)]
            raise LookupError(f"expected one {type_token} named {name!r}, found {len(found)} among {names}")
        return found[0]

    def get(self, urn: str) -> Registration:
        for registration in self.registrations:
            if registration.urn == urn:
                return registration
        raise LookupError(f"no resource with URN {urn}")

    def children(self, parent: Registration) -> list[Registration]:
        return [r for r in self.registrations if r.parent == parent.urn]

    def ancestors(self, registration: Registration) -> list[Registration]:
        """Parent, grandparent, ... up to the stack."""
        chain: list[Registration] = []
        while registration.parent:
            registration = self.get(registration.parent)
            chain.append(registration)
        return chain


def run_program(
    program: Callable[[], Any],
    *,
    project: str = "platform",
    stack: str = "test",
    config: Mapping[str, str] | None = None,
    stack_references: Mapping[str, Mapping[str, StackOutput]] | None = None,
) -> Graph:
    """Run `program` under the mocks and return every registration once all RPCs finished.

    `stack_references` answers `pulumi.StackReference(name)`: per stack name, its outputs.
    """
    with without_source_stack_traces(), _fewer_full_collections():
        return _run(program, project=project, stack=stack, config=config, stack_references=stack_references)


@contextlib.contextmanager
def _fewer_full_collections() -> Iterator[None]:
    """A synth allocates hundreds of thousands of short-lived tasks and futures; with CPython's
    default thresholds (700, 10, 10) they set off full collections again and again, each walking
    every object of the imported SDKs: half of a prod synth's CPU (benchmarks/README.md, "Test
    suite"). The young generations are collected as often as before; only the oldest is walked
    a hundred times less often, and the caller's thresholds come back afterwards."""
    thresholds = gc.get_threshold()
    gc.set_threshold(thresholds[0], thresholds[1], max(thresholds[2], 1000))
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def _run(
    program: Callable[[], Any],
    *,
    project: str,
    stack: str,
    config: Mapping[str, str] | None,
    stack_references: Mapping[str, Mapping[str, StackOutput]] | None,
) -> Graph:
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    mocks = PlatformMocks(stack_references)
    monitor = RecordingMonitor(mocks)
    failed = True
    try:
        reset_options()
        set_mocks(mocks, project=project, stack=stack, preview=False, monitor=monitor)
        set_all_config(dict(config or {}))
        sync_await(run_pulumi_func(program))
        outputs = _stack_outputs()
        # The SDK registers from worker threads, so arrival order varies from run to run; URN
        # order (the stack first) makes every report and comparison repeatable.
        registrations = sorted(monitor.registrations, key=lambda r: (r.type != "pulumi:pulumi:Stack", r.urn))
        graph = Graph(
            project=project, stack=stack, registrations=registrations, outputs=outputs, invokes=list(mocks.calls)
        )
        failed = False
        return graph
    finally:
        if failed:
            # The error reached the caller; the outputs that carried it are left unawaited and
            # would each print "Future exception was never retrieved" when collected.
            for abandoned in {loop, *monitor.thread_loops}:
                abandoned.set_exception_handler(_unless_abandoned_output)
        set_all_config({})
        reset_options()
        _close(loop)
        for thread_loop in monitor.thread_loops - {loop}:
            if not thread_loop.is_running() and not thread_loop.is_closed():
                thread_loop.close()


def _stack_outputs() -> dict[str, StackOutput]:
    """Resolve what the program passed to `pulumi.export`, keeping whether each is secret."""
    root = get_root_resource()
    exported: dict[str, Any] = getattr(root, "outputs", {}) or {}
    resolved: dict[str, StackOutput] = {}
    for name, value in exported.items():
        output = pulumi.Output.from_input(value)
        resolved[name] = StackOutput(
            value=unwrap_secrets(sync_await(output.future())),
            secret=bool(sync_await(output.is_secret())),
        )
    return resolved


def _unless_abandoned_output(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """asyncio's default handler, minus the unawaited futures of a program that already failed."""
    if str(context.get("message", "")).startswith(("Future exception was never retrieved", "Task exception was")):
        return
    loop.default_exception_handler(context)


def _close(loop: asyncio.AbstractEventLoop) -> None:
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    if pending:
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.close()
    asyncio.set_event_loop(None)


class ProjectError(ValueError):
    """A project folder preflight cannot run; the message names the folder and what is missing."""


def _project_document(project_dir: Path) -> dict[str, Any]:
    manifest = project_dir / "Pulumi.yaml"
    if not project_dir.is_dir():
        raise ProjectError(f"{project_dir}: no such folder")
    if not manifest.is_file():
        raise ProjectError(f"{project_dir}: no Pulumi.yaml; give the folder of a Pulumi project")
    try:
        document = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ProjectError(f"{manifest}: not YAML ({error})") from None
    if not isinstance(document, dict) or not isinstance(document.get("name"), str):
        raise ProjectError(f"{manifest}: a Pulumi project needs a `name`")
    return document


def project_name(project_dir: Path) -> str:
    return str(_project_document(project_dir)["name"])


def program_path(project_dir: Path) -> Path:
    """The program the Python runtime would run: `__main__.py` in the project folder, or in the
    folder Pulumi.yaml's `main` names. Only Python programs run under these mocks."""
    return _program(project_dir, _project_document(project_dir))


def _program(project_dir: Path, document: dict[str, Any]) -> Path:
    runtime = document.get("runtime")
    name = runtime.get("name") if isinstance(runtime, Mapping) else runtime
    if name != "python":
        raise ProjectError(
            f"{project_dir / 'Pulumi.yaml'}: runtime {name!r}; preflight runs Python programs "
            "(analyze another language's `pulumi stack export` with --state)"
        )
    main = project_dir / str(document.get("main") or ".")
    program = main / "__main__.py" if main.is_dir() else main
    if not program.is_file():
        raise ProjectError(f"{project_dir}: no program {program.relative_to(project_dir)} to run")
    return program


def project_config(project_dir: Path) -> dict[str, Any]:
    """Values set in Pulumi.yaml's `config:` (declarations with only a type carry no value)."""
    return _config_values(yaml.safe_load((project_dir / "Pulumi.yaml").read_text(encoding="utf-8")))


def _config_values(document: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, declaration in (document.get("config") or {}).items():
        if isinstance(declaration, Mapping):
            if "value" in declaration:
                values[key] = declaration["value"]
            elif "default" in declaration:
                values[key] = declaration["default"]
        else:
            values[key] = declaration
    return values


def import_stack_layer() -> None:
    """Import the stack layer on first use, not at the top: it imports every component and
    pulumi_aws module (0.7 s of CPU), which only a synth of a stack file needs, not `run_program`,
    a state's analysis, or the CLI's refusals before a synth. Imports make long-lived objects and
    next to no garbage, so they run with fewer full collections (0.45 s against 0.6 s)."""
    with _fewer_full_collections():
        import eksplatform.stack.loading  # noqa: F401 - imported for its side effect: loaded once


def synth(
    stack: str,
    *,
    project_dir: Path = PROJECT_ROOT,
    config_file: Path | None = None,
    stack_values: Mapping[str, Any] | None = None,
    stack_references: Mapping[str, Mapping[str, StackOutput]] | None = None,
) -> Graph:
    """Run the project's `__main__.py` with `Pulumi.<stack>.yaml` (or `config_file`) under the mocks.

    `stack_values` replaces the stack file: its keys as the file holds them (`platform:regions`),
    for runs with an edited copy of a stack's config. `stack_references` answers the program's
    `pulumi.StackReference`s (per stack name, its outputs).
    """
    import_stack_layer()
    from eksplatform.stack.loading import pulumi_config_map, read_stack_file

    document = _project_document(project_dir)  # read once: name, program and config come from it
    project = str(document["name"])
    main = _program(project_dir, document)
    raw = _config_values(document)
    if stack_values is None:
        stack_values = read_stack_file(config_file or project_dir / f"Pulumi.{stack}.yaml")
    raw.update(stack_values)
    # Project-level keys without a namespace belong to the project, as the engine reads them.
    config = pulumi_config_map({key if ":" in key else f"{project}:{key}": value for key, value in raw.items()})
    if str(main.parent) not in sys.path:
        sys.path.insert(0, str(main.parent))  # the program imports its own modules, as under the CLI
    return run_program(
        lambda: runpy.run_path(str(main), run_name="__main__"),
        project=project,
        stack=stack,
        config=config,
        stack_references=stack_references,
    )

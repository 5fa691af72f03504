"""The one test harness: every Pulumi program in a test runs through `harness.run(...)`.

`run_program` (eksplatform/preflight/synth.py) gives each run a fresh event loop, `reset_options()`,
`set_mocks(...)` with the recording monitor, `set_all_config(...)`, and awaits every RPC before
the test reads anything, so an assertion can never run before the resources it checks exist.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests import shared

# The SDKs and preflight (and tests/graph_cache.py, which imports them) are imported where they
# are used, not here: every pytest process loads this file first, the xdist controller (which runs
# no test) and the pytest runs of a few files in tests/ci among them, and importing them here cost
# each of those processes 0.9 s of CPU before anything needed them. A worker's test modules import
# them anyway while it collects.
if TYPE_CHECKING:
    from eksplatform.preflight.synth import Graph, StackOutput


@pytest.fixture(autouse=True, scope="session")
def _no_ambient_stack() -> None:
    """A test that forgot the harness must not inherit another test's mocks or root stack; the
    harness resets after each run, and this before the session's first test."""
    from pulumi.runtime import reset_options

    reset_options()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{shared.MARKER}(path): reads ../shared/<path>; skipped without it (tests/shared.py)"
    )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    shared.check_present(item)


class Harness:
    """Runs a program under the mocks and returns the recorded graph."""

    def run(
        self,
        program: Callable[[], Any],
        *,
        stack: str = "test",
        config: Mapping[str, str] | None = None,
    ) -> Graph:
        from eksplatform.preflight.synth import run_program

        return run_program(program, project="platform", stack=stack, config=config)


@pytest.fixture(autouse=True)
def _fixed_run_date(monkeypatch: pytest.MonkeyPatch) -> None:
    """Preflight's support-window check reads the date of the run; tests run on the day the EKS
    calendar was read, so they give the same answer every day (tests/preflight/test_support_window.py
    sets other dates)."""
    from eksplatform.components.facts import CALENDAR_READ
    from eksplatform.preflight import support_window

    monkeypatch.setattr(support_window, "today", lambda: date.fromisoformat(CALENDAR_READ))


@pytest.fixture
def harness() -> Iterator[Harness]:
    yield Harness()
    from pulumi.runtime import reset_options

    reset_options()


@functools.cache
def synthesized(stack: str) -> Graph:
    """`synth(stack)` once per test run: the graph is read-only, so tests (and the xdist workers,
    tests/graph_cache.py) share it."""
    from eksplatform.preflight.synth import PROJECT_ROOT, synth
    from tests import graph_cache

    stack_file = PROJECT_ROOT / f"Pulumi.{stack}.yaml"
    if not stack_file.is_file():
        return synth(stack)  # its error, as the CLI gives it
    return kept(
        graph_cache.shared_graph(f"stack-{stack}", [stack.encode(), stack_file.read_bytes()], lambda: synth(stack))
    )


@functools.cache
def synthesized_again(stack: str) -> Graph:
    """A second synth of the stack, run apart from `synthesized(stack)`'s, once per test run: for
    the tests that compare two synths (the same graph each time; no change in the preview after
    the first up), which only read both."""
    from eksplatform.preflight.synth import PROJECT_ROOT, synth
    from tests import graph_cache

    stack_file = PROJECT_ROOT / f"Pulumi.{stack}.yaml"
    return kept(
        graph_cache.shared_graph(f"again-{stack}", [stack.encode(), stack_file.read_bytes()], lambda: synth(stack))
    )


def kept(graph: Graph) -> Graph:
    """A graph the session keeps to its end, left out of every later garbage collection.

    A full collection walks every object the process holds, and a prod graph is 225,000 of them:
    once the graphs were cached, the full collections the tests set off (a fifth of the CPU of
    synth-heavy files) walked them again and again. So, as the root conftest.py does with what
    the imports made, the garbage is collected and what is left is frozen (`gc.freeze`)."""
    gc.collect()
    gc.freeze()
    return graph


_platforms: dict[tuple[str, str], Graph] = {}


def platform_graph(data: Mapping[str, Any], *, stack: str) -> Graph:
    """The Platform of an edited stack config (the `platform:` values, as parse_stack_config takes
    them), run once per run for each distinct config and stack, for tests that only read the graph
    (tests/graph_cache.py). A test that changes the mocks or the program runs its own harness."""
    from tests import graph_cache

    text = json.dumps(data, sort_keys=True)
    key = (stack, text)
    if key not in _platforms:

        def build() -> Graph:
            # Imported here: the pytest runs of a few files (tests/ci) need not import every component.
            from pulumi.runtime import reset_options

            from eksplatform.preflight.synth import run_program
            from eksplatform.stack.loading import parse_stack_config
            from eksplatform.stack.platform_args import platform_from_stack

            config = parse_stack_config(json.loads(text))
            try:
                return run_program(lambda: platform_from_stack("platform", config), project="platform", stack=stack)
            finally:
                reset_options()

        _platforms[key] = kept(graph_cache.shared_graph(f"platform-{stack}", [stack.encode(), text.encode()], build))
    return _platforms[key]


@pytest.fixture(autouse=True, scope="session")
def _graphs_shared_between_workers(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """Under pytest-xdist, the workers' basetemps are folders of the run's (the controller's)."""
    from tests import graph_cache

    if hasattr(request.config, "workerinput"):  # set on xdist workers only
        folder = tmp_path_factory.getbasetemp().parent / "graphs"
        folder.mkdir(exist_ok=True)
        graph_cache.share_between_workers(folder)
    yield
    graph_cache.share_between_workers(None)


def shared_synth(
    stack: str,
    *,
    project_dir: Path | None = None,
    config_file: Path | None = None,
    stack_values: Mapping[str, Any] | None = None,
    stack_references: Mapping[str, Mapping[str, StackOutput]] | None = None,
) -> Graph:
    """`synth` for the preflight CLI in tests: a project stack file as it is on disk is the
    session's one synth of that stack; anything else (an edited copy, another project) runs.
    (`project_dir` None is synth's default, this checkout.)"""
    from eksplatform.preflight.synth import PROJECT_ROOT, synth

    project_dir = PROJECT_ROOT if project_dir is None else project_dir
    own_file = PROJECT_ROOT / f"Pulumi.{stack}.yaml"
    if (
        project_dir == PROJECT_ROOT
        and stack_values is None
        and not stack_references
        and own_file.is_file()
        and (config_file is None or config_file.resolve() == own_file)
    ):
        return synthesized(stack)
    return synth(
        stack,
        project_dir=project_dir,
        config_file=config_file,
        stack_values=stack_values,
        stack_references=stack_references,
    )


@pytest.fixture(autouse=True, scope="session")
def _one_synth_per_stack() -> Iterator[None]:
    """The CLI tests run `preflight <stack>` in-process dozens of times; each run synthesized the
    stack again (a second or more each). The graph is read-only, so they share the session's."""
    from eksplatform.preflight import __main__ as preflight_main

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(preflight_main, "synth", shared_synth)
        yield


StartPack = Callable[[Path, list[str] | None, Mapping[str, str] | None], contextlib.AbstractContextManager[Any]]


@functools.cache
def start_pack() -> StartPack:
    """The real `analyze.running_pack`, read once: `_one_pack_process` reads it before it puts
    SharedPacks' in its place for the session."""
    from eksplatform.preflight import analyze

    original: StartPack = analyze.running_pack
    if isinstance(getattr(original, "__self__", None), SharedPacks):
        raise RuntimeError("analyze.running_pack is already SharedPacks': the real one was not read first")
    return original


class SharedPacks:
    """The project's pack (policies/) started once per test session, as `analyze.running_pack` starts it.

    Every run configures the pack afresh (Configure replaces the whole policy config, ConfigureStack
    the stack and its config: policies/servicer.py), so a run finds no trace of the one before;
    starting a Python process with the SDK and the rules for each of the CLI tests' runs was a
    quarter of the suite's time. Any other pack (a temporary one, a staged copy) starts as usual.
    A pack process that stopped answering (it died) is started again, and one started under other
    environment variables (the pack inherits them) is not reused.
    """

    def __init__(self) -> None:
        self.original = start_pack()
        self.open = contextlib.ExitStack()
        self.started: dict[tuple[str, bool, frozenset[tuple[str, str]]], tuple[contextlib.ExitStack, Any]] = {}
        self.problems: dict[tuple[str, frozenset[tuple[str, str]]], str | None] = {}

    @contextlib.contextmanager
    def running_pack(
        self, pack: Path, warnings: list[str] | None = None, extra: Mapping[str, str] | None = None
    ) -> Iterator[Any]:
        from eksplatform.preflight import __main__ as preflight_main
        from eksplatform.preflight import analyze
        from tests.pack_answers import pack_environment

        if pack.resolve() != preflight_main.DEFAULT_PACK.resolve():
            with self.original(pack, warnings, extra) as analyzer:
                yield analyzer
            return
        environment = frozenset(pack_environment(extra).items())
        inherited = frozenset(pack_environment().items())
        # The check starts the pack's virtualenv python (when the checkout has one) to import the
        # SDK: once per pack and environment, not once per run; its answer is the same each time.
        # That python inherits this process's environment without `extra` (analyze.runtime_problem),
        # so a run for another project's usage folder reuses the answer.
        checked = (str(pack.resolve()), inherited)
        if checked not in self.problems:
            self.problems[checked] = analyze.runtime_problem(pack)
        problem = self.problems[checked]
        if problem is not None and warnings is not None:
            warnings.append(problem)  # what the CLI would warn about, said on every run
        key = (str(pack.resolve()), problem is not None, environment)
        if key in self.started and not self._answers(self.started[key][1]):
            self.started.pop(key)[0].close()
        if key not in self.started:
            process = self.open.enter_context(contextlib.ExitStack())
            with self._answered(pack, problem):
                self.started[key] = (process, process.enter_context(self.original(pack, None, extra)))
        yield self.started[key][1]

    @staticmethod
    @contextlib.contextmanager
    def _answered(pack: Path, problem: str | None) -> Iterator[None]:
        """`running_pack` checks the runtime again as it starts the pack (another python started
        to import the SDK, 0.2 s of CPU per pack process): for this pack, found from its manifest,
        and this environment the answer is the one just cached, so that call gets it."""
        from eksplatform.preflight import analyze

        real = analyze.runtime_problem

        def runtime_problem(checked: Path, python: Path | None = None) -> str | None:
            if python is None and checked.resolve() == pack.resolve():
                return problem
            return real(checked, python)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(analyze, "runtime_problem", runtime_problem)
            yield

    @staticmethod
    def _answers(analyzer: Any) -> bool:
        """The pack process still serves (a dead one's port refuses: UNAVAILABLE)."""
        import grpc
        from google.protobuf import empty_pb2

        from eksplatform.preflight import analyze

        try:
            analyzer.GetAnalyzerInfo(empty_pb2.Empty(), timeout=analyze.STARTUP_SECONDS)
        except grpc.RpcError:
            return False
        return True


@pytest.fixture(autouse=True, scope="session")
def _one_pack_process() -> Iterator[None]:
    from eksplatform.preflight import analyze

    packs = SharedPacks()  # reads the real running_pack first
    with packs.open, pytest.MonkeyPatch.context() as patch:
        patch.setattr(analyze, "running_pack", packs.running_pack)
        yield


@pytest.fixture(params=["dev", "staging", "prod"])
def stack_graph(request: pytest.FixtureRequest) -> Graph:
    return synthesized(request.param)


@pytest.fixture(scope="session")
def kubernetes_schemas_parsed_once() -> Iterator[None]:
    """`kubernetes_validate.validate` reads and parses its schema files on every call: the kind's
    own and the version's `_definitions.json` (megabytes of JSON), 6 ms of a 6.5 ms check. The
    component tests validate hundreds of objects; the validator only reads the parsed schemas, so
    each file is parsed once per session (the check itself, its version choice and errors unchanged).
    Opt in per module (`pytestmark = pytest.mark.usefixtures("kubernetes_schemas_parsed_once")`):
    the processes that validate nothing do not import the validator."""
    from kubernetes_validate import utils

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(utils, "schema_contents", functools.cache(utils.schema_contents))
        yield


@pytest.fixture(scope="session")
def _pack_answers() -> Any:
    """The session's answers of the project's pack (tests/pack_answers.py)."""
    from eksplatform.preflight import __main__ as preflight_main
    from eksplatform.preflight import analyze
    from tests.pack_answers import PackAnswers

    return PackAnswers(analyze.analyze_pack, preflight_main.DEFAULT_PACK)


@pytest.fixture
def shared_analyses(_pack_answers: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Opt in per module (`pytestmark = pytest.mark.usefixtures("shared_analyses")`): an analysis
    the project's pack already answered in this session, with the same state, config, environment
    and files, is answered again without the pack (tests/pack_answers.py says why that is the same
    answer)."""
    from eksplatform.preflight import analyze

    monkeypatch.setattr(analyze, "analyze_pack", _pack_answers.analyze_pack)
    return _pack_answers

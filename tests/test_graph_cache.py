"""tests/graph_cache.py: a graph is shared only between identical inputs, and only within a run."""

from __future__ import annotations

import pickle
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from eksplatform.preflight.synth import Graph, StackOutput
from tests import graph_cache
from tests.conftest import synthesized


def _graph(stack: str) -> Graph:
    return Graph(project="platform", stack=stack, registrations=[], outputs={"x": StackOutput(value=1, secret=False)})


class Builds:
    """A stand-in synth that counts its runs."""

    def __init__(self, stack: str) -> None:
        self.stack = stack
        self.runs = 0

    def __call__(self) -> Graph:
        self.runs += 1
        return _graph(self.stack)


@pytest.fixture
def run_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The cache switched to an empty folder, as a new run's; the session's own comes back after."""
    monkeypatch.setattr(graph_cache, "_folder", tmp_path)
    return tmp_path


def test_the_same_inputs_are_built_once_and_loaded_after(run_folder: Path) -> None:
    build = Builds("dev")
    first = graph_cache.shared_graph("stack-dev", [b"dev", b"config"], build)
    again = graph_cache.shared_graph("stack-dev", [b"dev", b"config"], build)
    assert build.runs == 1
    assert again == first and again is not first  # read from the published pickle
    assert [p.name for p in run_folder.iterdir() if p.suffix == ".partial"] == []


def test_other_inputs_are_built_again(run_folder: Path) -> None:
    build = Builds("dev")
    graph_cache.shared_graph("stack-dev", [b"dev", b"config"], build)
    graph_cache.shared_graph("stack-dev", [b"dev", b"edited config"], build)
    graph_cache.shared_graph("stack-dev", [b"dev", b"config", b""], build)  # parts are not concatenated
    assert build.runs == 3


def test_a_changed_program_is_built_again(run_folder: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    project = tmp_path / "project"
    (project / "components").mkdir(parents=True)
    (project / "components" / "vpc.py").write_text("X = 0\n")
    (project / "__main__.py").write_text("print('a program')\n")
    monkeypatch.setattr(graph_cache, "PROJECT_ROOT", project)
    graph_cache.program_version.cache_clear()
    try:
        before = graph_cache.program_version()
        build = Builds("dev")
        graph_cache.shared_graph("stack-dev", [b"dev"], build)
        (project / "components" / "extra.py").write_text("X = 1\n")
        graph_cache.program_version.cache_clear()
        assert graph_cache.program_version() != before
        graph_cache.shared_graph("stack-dev", [b"dev"], build)
        assert build.runs == 2
    finally:
        graph_cache.program_version.cache_clear()


def test_without_a_run_folder_nothing_is_shared_or_written(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(graph_cache, "_folder", None)
    build = Builds("dev")
    graph_cache.shared_graph("stack-dev", [b"dev"], build)
    graph_cache.shared_graph("stack-dev", [b"dev"], build)
    assert build.runs == 2


def test_only_xdist_workers_share_and_in_their_runs_folder(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> None:
    if hasattr(request.config, "workerinput"):
        # The controller's basetemp: new for every run, the parent of every worker's.
        assert graph_cache._folder == tmp_path_factory.getbasetemp().parent / "graphs"
    else:
        assert graph_cache._folder is None


def test_a_pickled_graph_loads_as_the_same_graph() -> None:
    graph = synthesized("dev")
    loaded = pickle.loads(pickle.dumps(graph, protocol=pickle.HIGHEST_PROTOCOL))
    assert (loaded.project, loaded.stack) == (graph.project, graph.stack)
    assert loaded.registrations == graph.registrations and len(graph.registrations) > 100
    assert loaded.outputs == graph.outputs and graph.outputs
    assert [vars(call) for call in loaded.invokes] == [vars(call) for call in graph.invokes] and graph.invokes


def _building_in_another_worker(build: Callable[[], Graph]) -> tuple[threading.Thread, threading.Event, list[Any]]:
    """A second worker (a thread here) in the middle of building dev's graph, until released."""
    started, release = threading.Event(), threading.Event()
    outcome: list[Any] = []

    def blocked() -> Graph:
        started.set()
        release.wait()
        return build()

    def work() -> None:
        try:
            outcome.append(graph_cache.shared_graph("stack-dev", [b"dev"], blocked))
        except RuntimeError as error:
            outcome.append(error)

    worker = threading.Thread(target=work)
    worker.start()
    started.wait()
    return worker, release, outcome


def test_a_graph_another_worker_is_building_is_waited_for_not_built_again(run_folder: Path) -> None:
    other = Builds("dev")
    worker, release, outcome = _building_in_another_worker(other)
    threading.Timer(0.1, release.set).start()
    mine = Builds("dev")
    graph = graph_cache.shared_graph("stack-dev", [b"dev"], mine)
    worker.join()
    assert (other.runs, mine.runs) == (1, 0)
    assert graph.outputs == outcome[0].outputs
    assert not list(run_folder.glob("*.building"))  # the builder's marker is gone


def test_when_the_other_builder_fails_the_graph_is_built_here(run_folder: Path) -> None:
    def failing() -> Graph:
        raise RuntimeError("the synth failed")

    worker, release, outcome = _building_in_another_worker(failing)
    threading.Timer(0.1, release.set).start()
    mine = Builds("dev")
    graph = graph_cache.shared_graph("stack-dev", [b"dev"], mine)
    worker.join()
    assert isinstance(outcome[0], RuntimeError) and mine.runs == 1 and graph.stack == "dev"


def test_a_builder_that_never_finishes_is_waited_for_a_bounded_time(
    run_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(graph_cache, "WAIT_SECONDS", 0.05)
    other = Builds("dev")
    worker, release, _ = _building_in_another_worker(other)
    mine = Builds("dev")
    graph_cache.shared_graph("stack-dev", [b"dev"], mine)  # would hang without the bound
    release.set()
    worker.join()
    assert (other.runs, mine.runs) == (1, 1)

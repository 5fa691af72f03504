"""tests/graph_cache.py: a graph is shared only between identical inputs, and only within a run."""

from __future__ import annotations

import fcntl
import pickle
import subprocess
import sys
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


class AnotherWorker:
    """A second worker (a thread here: `flock` locks of two opens conflict as between processes)
    in the middle of building dev's graph until `release` is set; always released on exit."""

    def __init__(self, build: Callable[[], Graph]) -> None:
        self.build, self.started, self.release = build, threading.Event(), threading.Event()
        self.outcome: list[Any] = []
        self.thread = threading.Thread(target=self._work, daemon=True)

    def _blocked(self) -> Graph:
        self.started.set()
        assert self.release.wait(timeout=30)
        return self.build()

    def _work(self) -> None:
        try:
            self.outcome.append(graph_cache.shared_graph("stack-dev", [b"dev"], self._blocked))
        except RuntimeError as error:
            self.outcome.append(error)

    def __enter__(self) -> AnotherWorker:
        self.thread.start()
        assert self.started.wait(timeout=30)  # it holds the graph's lock now
        return self

    def __exit__(self, *_: object) -> None:
        self.release.set()
        self.thread.join(timeout=30)


def _released_once_this_worker_waits(monkeypatch: pytest.MonkeyPatch, other: AnotherWorker) -> list[bool]:
    """This worker finds the lock held (checked), then lets the other finish while it waits."""
    real, taken = graph_cache._locked, []

    def waiting(descriptor: int) -> bool:
        with pytest.raises(BlockingIOError):  # the other worker holds it: this one must wait
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        other.release.set()
        taken.append(real(descriptor))
        return taken[-1]

    monkeypatch.setattr(graph_cache, "_locked", waiting)
    return taken


def test_a_graph_another_worker_is_building_is_waited_for_not_built_again(
    run_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other_build, mine = Builds("dev"), Builds("dev")
    with AnotherWorker(other_build) as other:
        taken = _released_once_this_worker_waits(monkeypatch, other)
        graph = graph_cache.shared_graph("stack-dev", [b"dev"], mine)
    assert taken == [True] and (other_build.runs, mine.runs) == (1, 0)
    assert graph.outputs == other.outcome[0].outputs  # the other worker's graph, loaded


def test_when_the_other_builder_fails_the_graph_is_built_and_published_here(
    run_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing() -> Graph:
        raise RuntimeError("the synth failed")

    mine = Builds("dev")
    with AnotherWorker(failing) as other:
        taken = _released_once_this_worker_waits(monkeypatch, other)
        graph = graph_cache.shared_graph("stack-dev", [b"dev"], mine)
    assert isinstance(other.outcome[0], RuntimeError) and taken == [True] and mine.runs == 1
    assert graph.stack == "dev" and len(list(run_folder.glob("stack-dev-*.pickle"))) == 1  # for the next


def test_a_builder_that_never_finishes_is_waited_for_a_bounded_time(
    run_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(graph_cache, "WAIT_SECONDS", 0.05)
    other_build, mine = Builds("dev"), Builds("dev")
    with AnotherWorker(other_build) as other:
        graph_cache.shared_graph("stack-dev", [b"dev"], mine)
        assert other.thread.is_alive() and not other.release.is_set()  # returned while the other still builds
        assert mine.runs == 1 and other_build.runs == 0


def test_a_builder_killed_holding_the_lock_does_not_hold_up_the_others(run_folder: Path) -> None:
    graph_cache.shared_graph("stack-staging", [b"staging"], Builds("staging"))  # makes the lock file
    (lock_file,) = run_folder.glob("stack-staging-*.lock")
    for pickled in run_folder.glob("stack-staging-*.pickle"):
        pickled.unlink()  # as if nobody had built it yet
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(lock_file)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    holder.kill()  # dies holding it, as a killed worker would
    holder.wait(timeout=30)
    taken: list[bool] = []
    real = graph_cache._locked

    def watched(descriptor: int) -> bool:
        taken.append(real(descriptor))
        return taken[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(graph_cache, "_locked", watched)
        mine = Builds("staging")
        graph_cache.shared_graph("stack-staging", [b"staging"], mine)
    assert taken == [True] and mine.runs == 1  # the kernel let go of the dead holder's lock


HOLD_LOCK = """
import fcntl, sys, time
lock = open(sys.argv[1], "a")
fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(600)
"""

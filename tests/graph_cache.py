"""Graphs synthesized once per test run and shared between the pytest-xdist workers.

Each worker is a process of its own, so a graph cached in memory (`tests.conftest.synthesized`)
was synthesized once per worker: the default stacks' first synths cost about 3.5 s of CPU in
each. Under xdist the first worker to finish a synth publishes the graph as a pickle in the run's
own temporary folder (the controller's basetemp, the parent of every worker's); a worker that finds
it there loads it (prod's: 20 ms against 2 s). Nothing outlives the run, as that folder is new for
each run, and the file's name is a hash of everything the program reads (the stack file, the
project file, the program's source), so a graph is never taken for another input.

A worker that finds another one building the same graph (its `.building` marker) waits for that
graph rather than build it again: both workers start with files that need dev's and prod's graphs,
and the second one's own synth would take longer than what is left of the first's. A builder that
fails removes its marker, and no wait outlasts `WAIT_SECONDS`: then the worker builds the graph
itself. Without xdist nothing is written.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pickle
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from eksplatform.preflight.synth import PROJECT_ROOT, Graph

# What a synth of the project's program reads besides its stack file: the program, its code and
# the project file. (eksplatform/components is a link to components/, not followed: read once.)
PROGRAM_SOURCES = ("__main__.py", "Pulumi.yaml", "eksplatform", "components")

_folder: Path | None = None

# The longest wait for another worker's graph (a prod synth takes 2 s): past it, build one's own.
WAIT_SECONDS = 30.0


def share_between_workers(folder: Path | None) -> None:
    """Publish and look up graphs in `folder` (the run's folder every worker sees); None: do not."""
    global _folder
    _folder = folder


@functools.cache
def program_version() -> str:
    """A hash of the program's sources, as they are in this run."""
    digest = hashlib.sha256()
    for name in PROGRAM_SOURCES:
        root = PROJECT_ROOT / name
        files = [root] if root.is_file() else _files_under(root)
        for path in files:
            digest.update(str(path.relative_to(PROJECT_ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _files_under(root: Path) -> list[Path]:
    found = []
    for folder, subfolders, files in os.walk(root):  # symbolic links to folders are not followed
        subfolders[:] = sorted(d for d in subfolders if d != "__pycache__")
        found += [Path(folder) / f for f in sorted(files) if not (Path(folder) / f).is_symlink()]
    return found


def shared_graph(name: str, inputs: Iterable[bytes], build: Callable[[], Graph]) -> Graph:
    """`build()`'s graph, or the same graph another worker of this run built from the same inputs."""
    if _folder is None:
        return build()
    digest = hashlib.sha256(program_version().encode())
    for part in inputs:
        digest.update(hashlib.sha256(part).digest())
    path = _folder / f"{name}-{digest.hexdigest()[:24]}.pickle"
    marker = path.with_name(f"{path.name}.building")
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))  # atomic: one builder
    except FileExistsError:
        found = _built_by_another(path, marker)
        if found is not None:
            return found
        return build()  # the other worker failed, or took too long
    try:
        if path.is_file():
            graph: Graph = pickle.loads(path.read_bytes())
            return graph
        graph = build()
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
        partial.write_bytes(pickle.dumps(graph, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(partial, path)  # atomic: a reader finds the whole pickle or none
        return graph
    finally:
        with contextlib.suppress(FileNotFoundError):
            marker.unlink()


def _built_by_another(path: Path, marker: Path) -> Graph | None:
    """The graph another worker is building, once it is there; None when its builder stopped
    without it (its marker gone) or after WAIT_SECONDS."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if path.is_file():
            graph: Graph = pickle.loads(path.read_bytes())
            return graph
        if not marker.exists():
            return pickle.loads(path.read_bytes()) if path.is_file() else None
        time.sleep(0.02)
    return None

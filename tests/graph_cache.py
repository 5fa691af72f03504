"""Graphs synthesized once per test run and shared between the pytest-xdist workers.

Each worker is a process of its own, so a graph cached in memory (`tests.conftest.synthesized`)
was synthesized once per worker: the default stacks' first synths cost about 3.5 s of CPU in
each. Under xdist the first worker to finish a synth publishes the graph as a pickle in the run's
own temporary folder (the controller's basetemp, the parent of every worker's); a worker that finds
it there loads it (prod's: 20 ms against 2 s). Nothing outlives the run, as that folder is new for
each run, and the file's name is a hash of everything the program reads (the stack file, the
project file, the program's source), so a graph is never taken for another input.

A worker that finds another one building the same graph waits for that graph rather than build it
again: both workers start with files that need dev's and prod's graphs, and the second one's own
synth would take longer than what is left of the first's. The builder holds a lock on the graph's
`.lock` file (`flock`: the kernel lets go of it when the holder exits, even killed); one who gets
the lock loads the graph if it is there, else builds and publishes it (so a builder that failed
leaves the graph to the next). No wait outlasts `WAIT_SECONDS`: then the worker builds its own.
Without xdist nothing is written.
"""

from __future__ import annotations

import fcntl
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
    with open(path.with_name(f"{path.name}.lock"), "a") as lock:
        if not _locked(lock.fileno()):
            return build()  # another worker took too long: build this one's own
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
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def _locked(descriptor: int) -> bool:
    """The graph's lock taken, once no other worker holds it; False after WAIT_SECONDS."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)

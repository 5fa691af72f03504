"""Graphs synthesized once per test run and shared between the pytest-xdist workers.

Each worker is a process of its own, so a graph cached in memory (`tests.conftest.synthesized`)
was synthesized once per worker: the default stacks' first synths cost about 3.5 s of CPU in
each. Under xdist the first worker to finish a synth publishes the graph as a pickle in the run's
own temporary folder (the controller's basetemp, the parent of every worker's); a worker that finds
it there loads it (prod's: 20 ms against 2 s). Nothing outlives the run, as that folder is new for
each run, and the file's name is a hash of everything the program reads (the stack file, the
project file, the program's source), so a graph is never taken for another input.

A worker that does not find the graph synthesizes it itself rather than wait for another worker
doing the same synth (waiting would leave its core idle). Without xdist nothing is written.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
from collections.abc import Callable, Iterable
from pathlib import Path

from eksplatform.preflight.synth import PROJECT_ROOT, Graph

# What a synth of the project's program reads besides its stack file: the program, its code and
# the project file. (eksplatform/components is a link to components/, not followed: read once.)
PROGRAM_SOURCES = ("__main__.py", "Pulumi.yaml", "eksplatform", "components")

_folder: Path | None = None


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
    if path.is_file():
        graph: Graph = pickle.loads(path.read_bytes())
        return graph
    graph = build()
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    partial.write_bytes(pickle.dumps(graph, protocol=pickle.HIGHEST_PROTOCOL))
    os.replace(partial, path)  # atomic: a reader finds the whole pickle or none
    return graph

"""The package's sub-packages import one way: no cycle, each only from the layers below it.

Every module of `eksplatform` (components/ and policies/ through their links) is parsed with
`ast`; an import anywhere in a module counts, at module level or inside a function, so a cycle
cannot hide behind a lazy import. docs/architecture.md, "Package layout", explains the order.
"""

from __future__ import annotations

import ast
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "eksplatform"

# Lowest first. A unit imports only from units in earlier layers; units in one layer import
# nothing of each other. Leaf modules (top-level modules of the package) come first.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"eksplatform.properties", "eksplatform.environments", "eksplatform.pulumi_internals"}),
    frozenset({"eksplatform.components", "eksplatform.ops"}),
    frozenset({"eksplatform.cost", "eksplatform.capacity"}),
    frozenset({"eksplatform.stack"}),
    # The public component list (Region and Platform compose from the stack layer).
    frozenset({"eksplatform.public"}),
    frozenset({"eksplatform.policies"}),
    # The top: preflight runs everything; the plugin serves the public components to the host.
    frozenset({"eksplatform.preflight", "eksplatform.plugin"}),
)

# Upward imports still allowed, each with why. None since every component takes plain Args (#23
# item 1); Region, Platform and DeployerConnection, which compose from the stack file, live in
# the stack layer.
TRANSITIONAL: frozenset[tuple[str, str]] = frozenset()

Graph = Mapping[str, Mapping[str, list[str]]]
"""unit -> imported unit -> where ("file:line"), for the units of the package only."""


def _modules(package_dir: Path) -> Iterator[tuple[str, Path]]:
    """(dotted module name, file) of every module, following the links to components/ and policies/."""
    for folder, _, files in os.walk(package_dir, followlinks=True):
        for file in sorted(files):
            if not file.endswith(".py"):
                continue
            path = Path(folder, file)
            parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            yield ".".join(parts), path


def unit_of(module: str) -> str | None:
    """The layer unit of a module: `eksplatform.<first part>`; None outside the package (or the
    package's own __init__)."""
    parts = module.split(".")
    if parts[0] != PACKAGE or len(parts) < 2:
        return None
    return ".".join(parts[:2])


RELATIVE = "<relative import>"


def _imported(tree: ast.AST) -> Iterator[tuple[str, int]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            target = node.module or ""
            if node.level:  # the project imports absolutely; test_imports_are_absolute names these
                yield RELATIVE, node.lineno
            elif target == PACKAGE:  # `from eksplatform import properties`
                for alias in node.names:
                    yield f"{PACKAGE}.{alias.name}", node.lineno
            else:
                yield target, node.lineno


def import_graph(package_dir: Path) -> dict[str, dict[str, list[str]]]:
    graph: dict[str, dict[str, list[str]]] = {}
    for module, path in _modules(package_dir):
        source = unit_of(module)
        if source is None:
            continue
        graph.setdefault(source, {})
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for target_module, line in _imported(tree):
            target = unit_of(target_module)
            if target is not None and target != source:
                where = f"{path.relative_to(package_dir.parent)}:{line}"
                graph[source].setdefault(target, []).append(where)
    return graph


def find_cycle(edges: Mapping[str, Iterable[str]]) -> list[str] | None:
    """A cycle of `edges` (node -> iterable of nodes) as [a, b, ..., a], or None."""
    state: dict[str, str] = {}  # "open" while on the path, "done" after
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for target in sorted(edges.get(node, ())):
            if state.get(target) == "open":
                return [*path[path.index(target) :], target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        path.pop()
        state[node] = "done"
        return None

    for node in sorted(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def layer_violations(
    graph: Graph, layers: tuple[frozenset[str], ...], allowed: frozenset[tuple[str, str]]
) -> list[str]:
    """Every import of a unit from its own layer or one above, and of a unit in no layer."""
    rank = {unit: index for index, layer in enumerate(layers) for unit in layer}
    problems: list[str] = []
    for source, targets in sorted(graph.items()):
        if source not in rank:
            problems.append(f"{source} is in no layer; add it to LAYERS")
            continue
        for target, where in sorted(targets.items()):
            if (source, target) in allowed:
                continue
            if target not in rank:
                problems.append(f"{source} imports {target}, which is in no layer ({where[0]})")
            elif rank[target] >= rank[source]:
                problems.append(f"{source} imports {target} from the same or a higher layer ({', '.join(where)})")
    return problems


@pytest.fixture(scope="module")
def graph() -> dict[str, dict[str, list[str]]]:
    return import_graph(ROOT / PACKAGE)


def test_every_sub_package_is_found(graph: Graph) -> None:
    # Guards the walk itself: the linked folders are followed, and each layer's units are seen.
    assert set(graph) == {unit for layer in LAYERS for unit in layer}
    assert "eksplatform.cost" in graph["eksplatform.policies"]


def test_no_package_cycle(graph: Graph) -> None:
    edges = {source: [t for t in targets if (source, t) not in TRANSITIONAL] for source, targets in graph.items()}
    assert find_cycle(edges) is None


def test_each_unit_imports_only_from_the_layers_below(graph: Graph) -> None:
    assert layer_violations(graph, LAYERS, TRANSITIONAL) == []


def test_every_transitional_exception_still_occurs(graph: Graph) -> None:
    # An exception nobody needs any more would let the import come back unnoticed.
    stale = sorted(edge for edge in TRANSITIONAL if edge[1] not in graph.get(edge[0], {}))
    assert stale == [], f"remove from TRANSITIONAL: {stale}"


def test_imports_are_absolute() -> None:
    relative = [
        f"{path.relative_to(ROOT)}:{line}"
        for _, path in _modules(ROOT / PACKAGE)
        for target, line in _imported(ast.parse(path.read_text(encoding="utf-8")))
        if target == RELATIVE
    ]
    assert relative == []


def test_a_cycle_is_reported() -> None:
    assert find_cycle({"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": ["b"], "b": ["c"], "d": ["a", "c"]}) is None


def test_an_upward_import_is_reported() -> None:
    layers = (frozenset({"low"}), frozenset({"high", "peer"}))
    graph = {"low": {"high": ["low.py:3"]}, "high": {"low": ["high.py:1"], "peer": ["high.py:2"]}, "peer": {}}
    assert layer_violations(graph, layers, frozenset()) == [
        "high imports peer from the same or a higher layer (high.py:2)",
        "low imports high from the same or a higher layer (low.py:3)",
    ]
    assert layer_violations(graph, layers, frozenset({("low", "high"), ("high", "peer")})) == []


def test_the_package_root_imports_nothing_of_its_own() -> None:
    """`import eksplatform` runs eksplatform/__init__.py before any layer: an import of a
    sub-package there would sit outside the layering this file checks (and make every import
    of any layer pay for it)."""
    tree = ast.parse((ROOT / PACKAGE / "__init__.py").read_text())
    imported = [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)]
    assert imported == []

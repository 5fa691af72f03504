"""The collector settings the suite runs with (conftest.py, tests/conftest.py `kept`)."""

from __future__ import annotations

import gc

import conftest as root_conftest
import eksplatform.stack.config
from eksplatform.preflight.synth import Graph
from tests.conftest import kept


def test_tests_run_with_the_interpreters_thresholds_and_the_imports_frozen() -> None:
    # Raised only for the start-up and collection; what they imported is out of later collections.
    assert gc.get_threshold() == root_conftest.THRESHOLDS
    # Imported while collecting, as every worker's test modules import them (tests/conftest.py
    # no longer does, so this file run alone imports them itself): the SDKs, every component.
    assert gc.get_freeze_count() > 100_000
    assert not any(tracked is vars(eksplatform.stack.config) for tracked in gc.get_objects())


def test_a_kept_graph_is_left_out_of_later_collections() -> None:
    graph = Graph(project="platform", stack="test", registrations=[])
    assert any(tracked is graph.registrations for tracked in gc.get_objects())
    assert kept(graph) is graph
    assert not any(tracked is graph.registrations for tracked in gc.get_objects())

"""The one test harness: every Pulumi program in a test runs through `harness.run(...)`.

`run_program` (preflight/synth.py) gives each run a fresh event loop, `reset_options()`,
`set_mocks(...)` with the recording monitor, `set_all_config(...)`, and awaits every RPC before
the test reads anything, so an assertion can never run before the resources it checks exist.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from datetime import date
from typing import Any

import pytest
from pulumi.runtime import reset_options

from components.config import CALENDAR_READ
from preflight import support_window
from preflight.synth import Graph, run_program, synth
from tests import shared

# A test that forgot the harness must not inherit another test's mocks or root stack.
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
        return run_program(program, project="platform", stack=stack, config=config)


@pytest.fixture(autouse=True)
def _fixed_run_date(monkeypatch: pytest.MonkeyPatch) -> None:
    """Preflight's support-window check reads the date of the run; tests run on the day the EKS
    calendar was read, so they give the same answer every day (tests/preflight/test_support_window.py
    sets other dates)."""
    monkeypatch.setattr(support_window, "today", lambda: date.fromisoformat(CALENDAR_READ))


@pytest.fixture
def harness() -> Iterator[Harness]:
    yield Harness()
    reset_options()


@functools.cache
def synthesized(stack: str) -> Graph:
    """`synth(stack)` once per test session: the graph is read-only, so tests can share it."""
    return synth(stack)


@pytest.fixture(params=["dev", "staging", "prod"])
def stack_graph(request: pytest.FixtureRequest) -> Graph:
    return synthesized(request.param)

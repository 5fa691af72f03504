"""The session's shared pack answers (tests/pack_answers.py): a repeated analysis is answered from
the first, and anything the pack's verdicts depend on makes it a new analysis."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from eksplatform.cost.usage import USAGE_ENV
from eksplatform.preflight import analyze
from eksplatform.preflight.analyze import PackResult, PolicyPackError, Violation
from eksplatform.preflight.export import State, StateResource
from tests.pack_answers import Answer, PackAnswers, pack_environment

STACK = "urn:pulumi:dev::platform::"


def _state(**inputs: Any) -> State:
    topic = StateResource(
        urn=STACK + "aws:sns/topic:Topic::alarms", type="aws:sns/topic:Topic", custom=True, inputs=inputs
    )
    return State(stack="dev", project="platform", resources=[topic])


class FakePack:
    """Stands in for `analyze.analyze_pack`: counts the analyses that reach it, warns once each."""

    def __init__(self) -> None:
        self.calls = 0
        self.fail_next = False

    def __call__(
        self,
        state: State,
        pack: Path,
        config: Any,
        stack_config: Any = None,
        warnings: list[str] | None = None,
        environment: Any = None,
    ) -> Answer:
        self.calls += 1
        if warnings is not None:
            warnings.append(f"warning {self.calls}")
        if self.fail_next:
            self.fail_next = False
            raise PolicyPackError("the pack refused its config")
        violation = Violation("platform", "p", "advisory", state.resources[0].urn, f"run {self.calls}")
        return PackResult("platform", "1", ("p",)), [violation], []


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    """A pack folder with its per-stack config, as the project's pack has."""
    folder = tmp_path / "pack"
    (folder / "config").mkdir(parents=True)
    (folder / "config" / "dev.json").write_text("{}")
    return folder


@pytest.fixture
def usage(tmp_path: Path) -> Path:
    folder = tmp_path / "usage"
    folder.mkdir()
    (folder / "dev.yaml").write_text("defaults: {}\n")
    return folder


def test_a_repeated_analysis_is_answered_from_the_first(pack: Path, usage: Path) -> None:
    fake = FakePack()
    answers = PackAnswers(fake, pack)
    warned: list[list[str]] = [[], []]
    first = answers.analyze_pack(
        _state(name="a"), pack, {"p": "mandatory"}, {"k": "v"}, warned[0], {USAGE_ENV: str(usage)}
    )
    again = answers.analyze_pack(
        _state(name="a"), pack, {"p": "mandatory"}, {"k": "v"}, warned[1], {USAGE_ENV: str(usage)}
    )
    assert fake.calls == answers.runs == 1
    assert again == first and again[1] is not first[1]  # the same answer in a list of its own
    assert warned == [["warning 1"], ["warning 1"]]  # what the run warned about, on every answer


def _rename_stack(run: dict[str, Any]) -> None:
    """Another stack name, with the same files under it: the name alone must count."""
    (run["pack"] / "config" / "staging.json").write_text("{}")
    (Path(run["environment"][USAGE_ENV]) / "staging.yaml").write_text("defaults: {}\n")
    run["state"] = dataclasses.replace(run["state"], stack="staging")


Change = Callable[[dict[str, Any], pytest.MonkeyPatch], object]
CHANGES: dict[str, Change] = {
    "an input": lambda run, _: run.update(state=_state(name="b")),
    "a resource option": lambda run, _: run.update(
        state=dataclasses.replace(
            run["state"], resources=[dataclasses.replace(run["state"].resources[0], protect=True)]
        )
    ),
    "the stack name": lambda run, _: _rename_stack(run),
    "the project": lambda run, _: run.update(state=dataclasses.replace(run["state"], project="shop")),
    "the policy config": lambda run, _: run.update(config={"p": "advisory"}),
    "the stack config": lambda run, _: run.update(stack_config={"k": "w"}),
    "the environment given": lambda run, _: run.update(environment={**run["environment"], "X": "1"}),
    "the process environment": lambda _, patch: patch.setenv("PULUMI_CONFIG", '{"a": 1}'),
    "the usage file": lambda run, _: (Path(run["environment"][USAGE_ENV]) / "dev.yaml").write_text(
        "defaults: {a: 1}\n"
    ),
    "the pack's stack config file": lambda run, _: (run["pack"] / "config" / "dev.json").write_text(
        '{"p": "advisory"}'
    ),
    # A test that watches or changes what preflight sends reaches the pack.
    "how the requests are built": lambda _, patch: patch.setattr(analyze, "_struct", lambda values: values),
    "how the pack is started": lambda _, patch: patch.setattr(analyze, "running_pack", lambda *_: None),
}


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
def test_anything_the_verdicts_depend_on_makes_a_new_analysis(
    change: str, pack: Path, usage: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakePack()
    answers = PackAnswers(fake, pack)
    run: dict[str, Any] = {
        "state": _state(name="a"),
        "pack": pack,
        "config": {"p": "mandatory"},
        "stack_config": {"k": "v"},
        "environment": {USAGE_ENV: str(usage)},
    }
    first = answers.analyze_pack(**run)
    CHANGES[change](run, monkeypatch)
    second = answers.analyze_pack(**run)
    assert fake.calls == 2 and second[1][0].message == "run 2" != first[1][0].message


def test_the_pack_environment_is_this_processs_with_the_extra_and_without_pytests_per_test_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PYTEST_CURRENT_TEST", "tests/a.py::one (call)")
    monkeypatch.setenv("PLATFORM_SEEN", "1")
    first = pack_environment({USAGE_ENV: "/usage"})
    monkeypatch.setenv("PYTEST_CURRENT_TEST", "tests/a.py::two (call)")
    assert pack_environment({USAGE_ENV: "/usage"}) == first  # the same pack, the same answers, test after test
    assert first["PLATFORM_SEEN"] == "1" and first[USAGE_ENV] == "/usage" and "PYTEST_CURRENT_TEST" not in first


def test_a_failed_run_is_not_kept_and_another_pack_is_never_answered_for(pack: Path, tmp_path: Path) -> None:
    fake = FakePack()
    answers = PackAnswers(fake, pack)
    fake.fail_next = True
    with pytest.raises(PolicyPackError):
        answers.analyze_pack(_state(name="a"), pack, {})
    assert answers.analyze_pack(_state(name="a"), pack, {})[1][0].message == "run 2"
    other = tmp_path / "other-pack"
    answers.analyze_pack(_state(name="a"), other, {})
    answers.analyze_pack(_state(name="a"), other, {})
    assert fake.calls == 4 and answers.runs == 2

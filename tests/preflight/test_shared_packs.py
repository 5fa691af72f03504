"""tests/conftest.py SharedPacks: the session's one process of the project's pack stays sound."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from google.protobuf import empty_pb2

from eksplatform.cost.usage import USAGE_ENV
from eksplatform.preflight import analyze
from eksplatform.preflight.__main__ import DEFAULT_PACK
from tests.conftest import SharedPacks


def _children() -> set[int]:
    """This process's child processes (Linux /proc)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid():
            found.add(int(stat.parent.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds the pack process through /proc")
def test_a_shared_pack_whose_process_died_is_started_again() -> None:
    packs = SharedPacks()
    before = _children()
    with packs.open:
        with packs.running_pack(DEFAULT_PACK) as first:
            assert first.GetAnalyzerInfo(empty_pb2.Empty()).name
        (pack_process,) = _children() - before
        os.kill(pack_process, signal.SIGKILL)  # the pack dies between two runs

        with packs.running_pack(DEFAULT_PACK) as second:
            assert second is not first
            assert second.GetAnalyzerInfo(empty_pb2.Empty()).name


def test_a_shared_pack_is_reused_only_under_the_same_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # The runtime check (a python started to import the SDK) runs once per inherited environment:
    # not again as the pack process starts, nor for an environment only the pack gets (`extra`).
    checks: list[Path] = []
    real = analyze.runtime_problem

    def counted(pack: Path, python: Path | None = None) -> str | None:
        checks.append(pack)
        return real(pack, python)

    monkeypatch.setattr(analyze, "runtime_problem", counted)
    packs = SharedPacks()
    with packs.open:
        with packs.running_pack(DEFAULT_PACK) as first:
            assert first.GetAnalyzerInfo(empty_pb2.Empty()).name
        assert len(checks) == 1
        monkeypatch.setenv("PLATFORM_TEST_PACK_ENV", "1")  # the pack process inherits the environment
        with packs.running_pack(DEFAULT_PACK) as other:
            assert other is not first
        assert len(checks) == 2  # and so does the check's python
        monkeypatch.delenv("PLATFORM_TEST_PACK_ENV")
        with packs.running_pack(DEFAULT_PACK) as again:
            assert again is first
        with packs.running_pack(DEFAULT_PACK, None, {USAGE_ENV: "/another/project/usage"}) as elsewhere:
            assert elsewhere is not first and elsewhere.GetAnalyzerInfo(empty_pb2.Empty()).name
        assert len(checks) == 2

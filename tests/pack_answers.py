"""The project pack's answer to one analysis, computed once per test session and worker.

Many preflight CLI tests run the same stack through the pack: every `preflight dev --base FILE`
of tests/preflight/test_base.py sends the same dev state with the same config (the base is
preflight's own diff, never sent to the pack), and each analysis costs the pack and the client
gRPC work (benchmarks/README.md). `PackAnswers.analyze_pack` stands in for
`analyze.analyze_pack` in the modules that opt in (the `shared_analyses` fixture, tests/conftest.py)
and answers a repeated analysis with the first one's result.

It is the same answer by construction, for a checkout that does not change during the session
(the pack's source and data are not in the key): the key holds what `analyze_pack` sends (the
state, the policy config, the stack config), the functions of eksplatform/preflight/analyze.py
that turn them into requests and start the pack (a test that patches one gets a run of its own),
the environment the pack process runs in, and the files the pack reads by the stack's name (its
`config/<stack>.json`, the usage file). A run that fails is not kept; another pack is not kept.
The result is frozen dataclasses in fresh lists, so no caller can change another's.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from eksplatform.cost.usage import USAGE_DIR, USAGE_ENV
from eksplatform.preflight import analyze
from eksplatform.preflight.analyze import PackResult, Remediation, Violation
from eksplatform.preflight.export import State

Answer = tuple[PackResult, list[Violation], list[Remediation]]
AnalyzePack = Callable[..., Answer]

# Set by pytest for each test; no pack reads it.
VOLATILE = frozenset({"PYTEST_CURRENT_TEST"})


def pack_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a pack process runs in (this process's, plus `extra`), minus what pytest
    changes for each test: what SharedPacks (tests/conftest.py) and the answers' key compare."""
    return {k: v for k, v in {**os.environ, **(extra or {})}.items() if k not in VOLATILE}


# What in eksplatform/preflight/analyze.py builds the requests and starts the pack: a test that
# replaces one (to watch or change what is sent) must reach the pack, not an earlier answer.
REQUEST_BUILDERS = ("_struct", "_wire", "_providers", "_options", "_policy_config", "_stack_config", "running_pack")


def _read(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() else None


def key(
    state: State,
    pack: Path,
    config: Mapping[str, Any],
    stack_config: Mapping[str, Any] | None,
    environment: Mapping[str, str] | None,
) -> bytes:
    """A digest of everything one analysis's answer depends on (equal content, equal digest;
    pickle may also tell equal content apart, which only costs a second analysis)."""
    pack = pack.resolve()
    seen = pack_environment(environment)
    usage = Path(seen[USAGE_ENV]) if seen.get(USAGE_ENV) else USAGE_DIR
    parts = (
        [f"{name}@{id(getattr(analyze, name))}" for name in REQUEST_BUILDERS],
        str(pack),
        state.stack,
        state.project,
        state.resources,
        dict(config),
        dict(stack_config or {}),
        sorted(seen.items()),
        _read(pack / "config" / f"{state.stack}.json"),
        _read(usage / f"{state.stack}.yaml"),
    )
    return hashlib.sha256(pickle.dumps(parts, protocol=pickle.HIGHEST_PROTOCOL)).digest()


class PackAnswers:
    """`analyze_pack`, answering a repeated analysis by the project's pack (`project_pack`) from the first."""

    def __init__(self, original: AnalyzePack, project_pack: Path) -> None:
        self.original = original
        self.project_pack = project_pack.resolve()
        self.answers: dict[bytes, tuple[Answer, list[str]]] = {}
        self.runs = 0
        """How many analyses reached the pack (for the tests of this class)."""

    def analyze_pack(
        self,
        state: State,
        pack: Path,
        config: Mapping[str, Any],
        stack_config: Mapping[str, Any] | None = None,
        warnings: list[str] | None = None,
        environment: Mapping[str, str] | None = None,
    ) -> Answer:
        if pack.resolve() != self.project_pack:
            return self.original(state, pack, config, stack_config, warnings, environment)
        digest = key(state, pack, config, stack_config, environment)
        if digest not in self.answers:
            said: list[str] = []  # what the run warned about, said again on every answer
            self.runs += 1
            answer = self.original(state, pack, config, stack_config, said, environment)
            self.answers[digest] = (answer, said)
        (result, violations, remediations), said = self.answers[digest]
        if warnings is not None:
            warnings.extend(said)
        return result, list(violations), list(remediations)

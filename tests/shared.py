"""Fixtures from `../shared` (a chart's schema, Kubernetes' Pod Security fixtures, the SARIF
schema): present beside this project's own CI, absent on GitHub and in a plain clone.

A test that reads them carries `@pytest.mark.shared("<path under shared>")`. Without the path
it is skipped with a reason that names it, so the suite passes on GitHub; `.ci/run` sets
PLATFORM_REQUIRE_SHARED=1, which turns that skip into a failure, so the fixtures cannot quietly
go missing where they are meant to be. PLATFORM_SHARED_DIR points the suite at another folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DIR_ENV = "PLATFORM_SHARED_DIR"
REQUIRE_ENV = "PLATFORM_REQUIRE_SHARED"
MARKER = "shared"


def shared_dir() -> Path:
    """Where the shared fixtures are: $PLATFORM_SHARED_DIR, else ../shared beside the project."""
    # Imported here: tests/conftest.py imports this module, and each pytest process (the xdist
    # controller among them) would import pulumi with it before anything needs it.
    from eksplatform.preflight.synth import PROJECT_ROOT

    configured = os.environ.get(SHARED_DIR_ENV, "")
    return Path(configured) if configured else PROJECT_ROOT.parent / "shared"


def shared_path(*parts: str) -> Path:
    return shared_dir().joinpath(*parts)


def missing_reason(path: Path) -> str:
    return f"shared fixture {path} is absent (it lies beside this project only in its own CI; set {SHARED_DIR_ENV})"


def check_present(item: pytest.Item) -> None:
    """Skip (or, with PLATFORM_REQUIRE_SHARED=1, fail) a test whose shared fixture is absent."""
    for marker in item.iter_markers(MARKER):
        path = shared_path(*marker.args)
        if path.exists():
            continue
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{missing_reason(path)}; {REQUIRE_ENV}=1 requires it", pytrace=False)
        pytest.skip(missing_reason(path))

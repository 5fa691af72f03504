"""Every ops test runs inside moto's mock of AWS, with fake credentials, and may poll without pause."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from moto import mock_aws

from ops import __main__ as ops_main


@pytest.fixture(autouse=True)
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        yield


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI refuses --poll-seconds below 1 s; the tests poll moto and their stand-ins without pause."""
    monkeypatch.setattr(ops_main, "MIN_POLL_SECONDS", 0.0)

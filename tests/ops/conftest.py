"""Every ops test runs inside moto's mock of AWS, with fake credentials, and may poll without pause."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import botocore.loaders
import botocore.session
import pytest
from moto import mock_aws

from eksplatform.ops import __main__ as ops_main


@functools.cache
def _shared_loader(search_paths: Any = None) -> botocore.loaders.Loader:
    """One loader for every botocore session of the run (as one long-lived session would have)."""
    return botocore.loaders.create_loader(search_paths)


@pytest.fixture(autouse=True)
def shared_service_models(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto starts every test with a new default boto3 session, and each session parsed the
    service models (EC2's, RDS's...) again from botocore's JSON: most of the ops tests' time.
    The models are read-only, so the sessions share one loader and parse each model once."""
    monkeypatch.setattr(botocore.session, "create_loader", _shared_loader)


@pytest.fixture(autouse=True)
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    # No runbook reads an AMI: without this, every EC2 backend moto makes (one per region and
    # test) parses moto's catalog of default AMIs, a third of the ops tests' time (moto
    # settings.ec2_load_default_amis).
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    with mock_aws():
        yield


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI refuses --poll-seconds below 1 s; the tests poll moto and their stand-ins without pause."""
    monkeypatch.setattr(ops_main, "MIN_POLL_SECONDS", 0.0)

"""Every ops test runs inside moto's mock of AWS, with fake credentials, and may poll without pause."""

from __future__ import annotations

import functools
import gc
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.client
import botocore.loaders
import botocore.session
import pytest
from moto import mock_aws

from eksplatform.ops import __main__ as ops_main

# A cheap call per service the ops tests reach: the first call makes moto import its backend.
# A test module names the services it uses in AWS_SERVICES.
WARM_UP_CALLS = {
    "cloudwatch": "list_metrics",
    "ec2": "describe_vpcs",
    "eks": "list_clusters",
    "elasticache": "describe_replication_groups",
    "kms": "list_keys",
    "rds": "describe_db_clusters",
    "route53": "list_hosted_zones",
}
_warmed: set[str] = set()


@functools.cache
def _shared_loader(search_paths: Any = None) -> botocore.loaders.Loader:
    """One loader for every botocore session of the run (as one long-lived session would have)."""
    return botocore.loaders.create_loader(search_paths)


_real_create_client_class = botocore.client.ClientCreator._create_client_class
_client_classes: dict[tuple[str, str], type] = {}


def _shared_client_class(creator: botocore.client.ClientCreator, service_name: str, service_model: Any) -> type:
    """A client's class for a service and API version: one method per operation, nothing else.
    (Keyed by those two only: a test that registers its own class-building hook on a session
    would get the cached class, without its hook.)"""
    key = (service_name, service_model.api_version)
    if key not in _client_classes:
        _client_classes[key] = _real_create_client_class(creator, service_name, service_model)
    return _client_classes[key]


def _share_botocore_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    # moto starts every test with a new default boto3 session, and each session parsed the
    # service models (EC2's, RDS's...) again from botocore's JSON: the models are read-only,
    # so the sessions share one loader and parse each model once.
    monkeypatch.setattr(botocore.session, "create_loader", _shared_loader)
    # Each test still makes its own clients (each with its own events, endpoint and config), but
    # botocore also built each client's class anew from the same model: a third of a client's
    # CPU (4 ms for EC2's 600 methods). The class holds only those methods: built once.
    monkeypatch.setattr(botocore.client.ClientCreator, "_create_client_class", _shared_client_class)


def _fake_account(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    # No runbook reads an AMI: without this, every EC2 backend moto makes (one per region and
    # test) parses moto's catalog of default AMIs, a third of the ops tests' time (moto
    # settings.ec2_load_default_amis).
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")


@pytest.fixture(scope="module", autouse=True)
def services_loaded_and_frozen(request: pytest.FixtureRequest) -> None:
    """What the module's services need once and keep (moto's backend modules, botocore's parsed
    models, endpoint rules and client classes) is loaded before its first test, then left out of
    later garbage collections (`gc.freeze`, as tests/conftest.py `kept` does for graphs).
    Loaded by the first test instead, after the session's freeze, it was walked again by every
    full collection of the later tests: a third of the ops tests' CPU. Nothing of an account
    is kept: the mock is stopped (its backends reset) before the freeze."""
    services = [service for service in getattr(request.module, "AWS_SERVICES", ()) if service not in _warmed]
    if not services:
        return
    with pytest.MonkeyPatch.context() as patch:
        _share_botocore_parts(patch)
        _fake_account(patch)
        with mock_aws():
            for service in services:
                getattr(boto3.client(service, region_name="us-east-1"), WARM_UP_CALLS[service])()
    _warmed.update(services)
    gc.collect()
    gc.freeze()


@pytest.fixture(autouse=True)
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    _share_botocore_parts(monkeypatch)
    _fake_account(monkeypatch)
    with mock_aws():
        yield


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI refuses --poll-seconds below 1 s; the tests poll moto and their stand-ins without pause."""
    monkeypatch.setattr(ops_main, "MIN_POLL_SECONDS", 0.0)

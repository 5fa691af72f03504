"""The Pod Security Standards checks agree with Kubernetes' own conformance fixtures."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from eksplatform.policies.pod_security import CHECKS, POD_TEMPLATE_PATHS, pod_template, violations
from tests.shared import shared_path

FIXTURES_PATH = "fixtures/pod-security/restricted-v1.36"
FIXTURES = shared_path(FIXTURES_PATH)
needs_fixtures = pytest.mark.shared(FIXTURES_PATH)
PASSING = sorted((FIXTURES / "pass").glob("*.yaml"))
FAILING = sorted((FIXTURES / "fail").glob("*.yaml"))


def load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(path.read_text())
    return document


def check_named_by(path: Path) -> str:
    """`runasnonroot2.yaml` -> the check id `runAsNonRoot` (file names are lower case)."""
    stem = path.stem.rstrip("0123456789")
    (check,) = [check for check in CHECKS if check.lower() == stem]
    return check


@needs_fixtures
def test_the_fixtures_are_there() -> None:
    # ../shared is beside the project in CI and here; without it these tests would prove nothing.
    assert len(PASSING) >= 20 and len(FAILING) >= 75, FIXTURES


@needs_fixtures
@pytest.mark.parametrize("path", PASSING, ids=[p.stem for p in PASSING])
def test_restricted_admits_what_kubernetes_admits(path: Path) -> None:
    template = pod_template("Pod", load(path))
    assert template is not None
    assert violations(*template) == []


@needs_fixtures
@pytest.mark.parametrize("path", FAILING, ids=[p.stem for p in FAILING])
def test_restricted_rejects_what_kubernetes_rejects_for_the_same_reason(path: Path) -> None:
    template = pod_template("Pod", load(path))
    assert template is not None
    found = {violation.check for violation in violations(*template)}
    assert check_named_by(path) in found, found


@needs_fixtures
def test_every_check_is_exercised_by_a_failing_fixture() -> None:
    assert {check_named_by(path) for path in FAILING} == set(CHECKS)


BASE: dict[str, Any] = {
    "metadata": {"name": "base"},
    "spec": {
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [
            {
                "name": "app",
                "image": "registry.example.com/app:1.0",
                "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
            }
        ],
    },
}


@pytest.mark.parametrize(
    ("kind", "wrap"),
    [
        ("Deployment", lambda pod: {"spec": {"template": pod}}),
        ("StatefulSet", lambda pod: {"spec": {"template": pod}}),
        ("DaemonSet", lambda pod: {"spec": {"template": pod}}),
        ("ReplicaSet", lambda pod: {"spec": {"template": pod}}),
        ("Job", lambda pod: {"spec": {"template": pod}}),
        ("CronJob", lambda pod: {"spec": {"jobTemplate": {"spec": {"template": pod}}}}),
        ("PodTemplate", lambda pod: {"template": pod}),
    ],
)
def test_every_workload_kind_is_checked_through_its_pod_template(kind: str, wrap: Any) -> None:
    assert kind in POD_TEMPLATE_PATHS
    good = wrap(copy.deepcopy(BASE))
    template = pod_template(kind, good)
    assert template is not None and violations(*template) == []
    bad_pod = copy.deepcopy(BASE)
    bad_pod["spec"]["initContainers"] = [{"name": "setup", "image": "x:1", "securityContext": {"privileged": True}}]
    template = pod_template(kind, wrap(bad_pod))
    assert template is not None
    assert {"privileged", "allowPrivilegeEscalation", "capabilities_restricted"} <= {
        v.check for v in violations(*template)
    }
    assert pod_template("ConfigMap", good) is None


def test_ephemeral_containers_are_checked() -> None:
    pod = copy.deepcopy(BASE)
    pod["spec"]["ephemeralContainers"] = [
        {"name": "debug", "image": "busybox:1.36", "securityContext": {"runAsUser": 0}}
    ]
    checks = {v.check for v in violations(pod["metadata"], pod["spec"])}
    assert {"runAsUser", "allowPrivilegeEscalation", "capabilities_restricted"} <= checks


def test_baseline_level_leaves_out_the_restricted_checks() -> None:
    pod = copy.deepcopy(BASE)
    pod["spec"]["containers"][0]["securityContext"] = {}
    assert {v.level for v in violations(pod["metadata"], pod["spec"], level="restricted")} == {"restricted"}
    assert violations(pod["metadata"], pod["spec"], level="baseline") == []


def test_unknown_values_during_preview_are_not_guessed() -> None:
    # Pulumi passes values it does not know yet as absent or None; nothing may crash on them.
    spec = {"containers": None, "volumes": [None], "securityContext": None}
    found = violations({"annotations": None}, spec)
    assert {v.check for v in found} <= set(CHECKS)
    assert violations({}, {"containers": [{"name": "x", "securityContext": None}]})[0].check in CHECKS


def test_messages_say_what_to_set() -> None:
    pod = copy.deepcopy(BASE)
    pod["spec"]["containers"][0]["securityContext"]["allowPrivilegeEscalation"] = True
    (violation,) = violations(pod["metadata"], pod["spec"])
    assert str(violation) == (
        "allowPrivilegeEscalation: containers[0] app: set securityContext.allowPrivilegeEscalation to false"
    )

"""The cluster-autoscaler's RBAC, probe and release, against the upstream release it runs."""

from __future__ import annotations

from typing import Any

import pytest

from eksplatform.components.cluster_autoscaler import (
    CLUSTER_RULES,
    HEALTH_PATH,
    HEALTH_PORT,
    NAMESPACE_RULES,
    ClusterAutoscalerError,
    image_tag,
)
from eksplatform.preflight.synth import Graph
from tests.components.test_cluster import build
from tests.conftest import Harness

# kubernetes/autoscaler, tag cluster-autoscaler-1.35.2,
# cluster-autoscaler/cloudprovider/aws/examples/cluster-autoscaler-autodiscover.yaml:
# ClusterRole `cluster-autoscaler`, rule by rule (read 2026-11).
UPSTREAM_SOURCE = "kubernetes/autoscaler@cluster-autoscaler-1.35.2:cluster-autoscaler/cloudprovider/aws/examples/"
UPSTREAM_CLUSTER_RULES: list[dict[str, Any]] = [
    {"apiGroups": [""], "resources": ["events", "endpoints"], "verbs": ["create", "patch"]},
    {"apiGroups": [""], "resources": ["pods/eviction"], "verbs": ["create"]},
    {"apiGroups": [""], "resources": ["pods/status"], "verbs": ["update"]},
    {
        "apiGroups": [""],
        "resources": ["endpoints"],
        "resourceNames": ["cluster-autoscaler"],
        "verbs": ["get", "update"],
    },
    {"apiGroups": [""], "resources": ["nodes"], "verbs": ["watch", "list", "get", "update"]},
    {
        "apiGroups": [""],
        "resources": [
            "namespaces",
            "pods",
            "services",
            "replicationcontrollers",
            "persistentvolumeclaims",
            "persistentvolumes",
        ],
        "verbs": ["watch", "list", "get"],
    },
    {"apiGroups": ["extensions"], "resources": ["replicasets", "daemonsets"], "verbs": ["watch", "list", "get"]},
    {"apiGroups": ["policy"], "resources": ["poddisruptionbudgets"], "verbs": ["watch", "list"]},
    {
        "apiGroups": ["apps"],
        "resources": ["statefulsets", "replicasets", "daemonsets"],
        "verbs": ["watch", "list", "get"],
    },
    {
        "apiGroups": ["storage.k8s.io"],
        "resources": ["storageclasses", "csinodes", "csidrivers", "csistoragecapacities", "volumeattachments"],
        "verbs": ["watch", "list", "get"],
    },
    {"apiGroups": ["batch", "extensions"], "resources": ["jobs"], "verbs": ["get", "list", "watch", "patch"]},
    {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create"]},
    {
        "apiGroups": ["coordination.k8s.io"],
        "resourceNames": ["cluster-autoscaler"],
        "resources": ["leases"],
        "verbs": ["get", "update"],
    },
]
# The same file on master since commit 71612d6887 (2026-04-14), not yet in the 1.35 branch's copy:
# 1.35 always runs the DRA informers (config/flags/flags.go: --enable-dynamic-resource-allocation
# "locked to true"; main.go blocks in WaitForCacheSync), so the 1.35 binary needs it.
UPSTREAM_DRA_RULE: dict[str, Any] = {
    "apiGroups": ["resource.k8s.io"],
    "resources": ["deviceclasses", "resourceslices", "resourceclaims"],
    "verbs": ["watch", "list", "get"],
}
# The Role `cluster-autoscaler` of the same file (its status ConfigMaps).
UPSTREAM_NAMESPACE_RULES: list[dict[str, Any]] = [
    {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["create", "list", "watch"]},
    {
        "apiGroups": [""],
        "resources": ["configmaps"],
        "resourceNames": ["cluster-autoscaler-status", "cluster-autoscaler-priority-expander"],
        "verbs": ["delete", "get", "update", "watch"],
    },
]


def _canonical(rules: list[dict[str, Any]]) -> list[tuple[tuple[str, tuple[str, ...]], ...]]:
    """Rules as sorted tuples: order of rules and of the items in a rule carries no meaning."""
    return sorted(tuple(sorted((key, tuple(sorted(values))) for key, values in rule.items())) for rule in rules)


@pytest.fixture(scope="module")
def graph() -> Graph:
    return build(Harness())


def test_the_cluster_role_grants_what_the_pinned_release_needs(graph: Graph) -> None:
    expected = _canonical([*UPSTREAM_CLUSTER_RULES, UPSTREAM_DRA_RULE])
    assert _canonical(CLUSTER_RULES) == expected, UPSTREAM_SOURCE
    (role,) = graph.by_type("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole")
    assert _canonical(role.inputs["rules"]) == expected
    (namespaced,) = graph.by_type("kubernetes:rbac.authorization.k8s.io/v1:Role")
    assert _canonical(NAMESPACE_RULES) == _canonical(namespaced.inputs["rules"]) == _canonical(UPSTREAM_NAMESPACE_RULES)


def test_a_stuck_autoscaler_is_restarted_by_its_liveness_probe(graph: Graph) -> None:
    (container,) = graph.one("kubernetes:apps/v1:Deployment").inputs["spec"]["template"]["spec"]["containers"]
    probe = container["livenessProbe"]
    assert probe["httpGet"] == {"path": "/health-check", "port": 8085, "scheme": "HTTP"}
    assert (HEALTH_PATH, HEALTH_PORT) == ("/health-check", 8085)
    # The endpoint listens on --address (default :8085); nothing moves it.
    assert not any(arg.startswith("--address") for arg in container["command"])
    assert {"name": "http", "containerPort": 8085, "protocol": "TCP"} in container["ports"]


def test_the_release_is_the_newest_patch_of_the_clusters_minor_version() -> None:
    # kubernetes/autoscaler tags: cluster-autoscaler-1.35.2 is the newest 1.35 release (2026-07).
    assert image_tag("1.35") == "v1.35.2"
    with pytest.raises(ClusterAutoscalerError, match=r"kubernetes_version '1\.99'"):
        image_tag("1.99")

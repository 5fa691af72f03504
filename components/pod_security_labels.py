"""Namespace labels that make Kubernetes enforce the Pod Security `restricted` profile."""

from __future__ import annotations

MANAGED_BY = {"app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/part-of": "platform"}


def restricted_namespace_labels(kubernetes_version: str) -> dict[str, str]:
    """Enforce, audit and warn at `restricted`, pinned to the cluster's version (`1.34` -> `v1.34`).

    Pinning keeps a cluster upgrade from tightening the profile under running workloads.
    """
    labels = dict(MANAGED_BY)
    for mode in ("enforce", "audit", "warn"):
        labels[f"pod-security.kubernetes.io/{mode}"] = "restricted"
        labels[f"pod-security.kubernetes.io/{mode}-version"] = f"v{kubernetes_version.removeprefix('v')}"
    return labels

"""Small assertions shared by the test modules."""

from __future__ import annotations

import json
from typing import Any

from pulumi.runtime import rpc

from eksplatform.preflight.export import holds_secret
from eksplatform.preflight.mocks import Registration
from eksplatform.preflight.synth import Graph


def decoded(value: Any) -> Any:
    """Provider inputs with object values arrive JSON-encoded; other inputs as they are."""
    return json.loads(value) if isinstance(value, str) and value[:1] in "[{" else value


def out(graph: Graph, name: str) -> Any:
    """The value of a stack output the test program exported."""
    return graph.outputs[name].value


def policy(registration: Registration, key: str) -> dict[str, Any]:
    """An IAM or KMS policy document input (JSON text), parsed."""
    document: dict[str, Any] = json.loads(registration.inputs[key])
    return document


def _plain_occurrences(value: Any, needle: str, path: str) -> list[str]:
    """Paths where `needle` appears outside a Pulumi secret wrapper."""
    if rpc.is_rpc_secret(value):
        return []
    if isinstance(value, dict):
        return [hit for key, item in value.items() for hit in _plain_occurrences(item, needle, f"{path}.{key}")]
    if isinstance(value, list):
        return [hit for index, item in enumerate(value) for hit in _plain_occurrences(item, needle, f"{path}[{index}]")]
    return [path] if isinstance(value, str) and needle in value else []


def plaintext_leaks(graph: Graph, needle: str) -> list[str]:
    """Everywhere `needle` (a password) would be stored or shown in plain text.

    Inputs count unless wrapped as secrets; outputs count unless the provider declares them
    secret (`additional_secret_outputs`) or they come from a secret input of the same name, as
    the engine treats them; stack outputs count unless secret.
    """
    leaks: list[str] = []
    for registration in graph:
        leaks += _plain_occurrences(registration.inputs_with_secrets, needle, f"{registration.urn} inputs")
        secret_inputs = {key for key, value in registration.inputs_with_secrets.items() if holds_secret(value)}
        for key, value in registration.outputs.items():
            if key in registration.additional_secret_outputs or key in secret_inputs:
                continue
            leaks += _plain_occurrences(value, needle, f"{registration.urn} outputs.{key}")
    for name, output in graph.outputs.items():
        if not output.secret:
            leaks += _plain_occurrences(output.value, needle, f"stack output {name}")
    return leaks


# Every EKS add-on pinned for Kubernetes 1.35, as the stack files pin them (ClusterConfig requires all).
ADDON_VERSIONS = {
    "vpc-cni": "v1.20.4-eksbuild.2",
    "kube-proxy": "v1.35.3-eksbuild.13",
    "coredns": "v1.14.2-eksbuild.4",
    "eks-pod-identity-agent": "v1.3.9-eksbuild.3",
    "aws-ebs-csi-driver": "v1.51.1-eksbuild.1",
    "metrics-server": "v0.8.0-eksbuild.2",
}

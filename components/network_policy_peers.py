"""NetworkPolicy peers the platform's own system namespaces share (the entry, its controller)."""

from __future__ import annotations

from typing import Any

from eksplatform.components.facts import EKS_SERVICE_IPV4_CIDR

# CoreDNS: the `kube-dns` pods in kube-system (the EKS add-on's labels).
KUBE_DNS: dict[str, Any] = {
    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
}
DNS_PORTS = [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
# The `kubernetes` Service's ClusterIP is the first address of the Service range (Kubernetes
# "Service ClusterIP allocation"); the API server's own addresses are ENIs in the cluster's VPC.
KUBERNETES_SERVICE_IP = f"{next(EKS_SERVICE_IPV4_CIDR.hosts())}/32"


def default_deny() -> dict[str, Any]:
    """Every pod of the namespace, no rule in either direction: the allows below add up from here."""
    return {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def api_server(vpc_cidr: Any) -> dict[str, Any]:
    """Egress to the API server on 443: its Service IP and its ENIs in the VPC."""
    return {
        "to": [{"ipBlock": {"cidr": KUBERNETES_SERVICE_IP}}, {"ipBlock": {"cidr": vpc_cidr}}],
        "ports": [{"protocol": "TCP", "port": 443}],
    }

"""The pods each EKS add-on runs: what the synthesized graph cannot show.

(The cluster-autoscaler is not here: components/cluster_autoscaler.py registers its Deployment
as a plain Kubernetes object, 100m CPU and 600Mi from the upstream example manifest, so the check
reads it from the graph like the language services.)

An `aws:eks/addon:Addon` is one resource in the graph; on the cluster it is a DaemonSet, a
Deployment or both. Their requests and tolerations come from the add-ons' upstream charts,
which the EKS add-ons package (read 2026-11, at the commits named):

- vpc-cni: aws/amazon-vpc-cni-k8s `charts/aws-vpc-cni` (b521883): DaemonSet `aws-node`, container
  `aws-node` 25m CPU and `aws-network-policy-agent` inheriting the same 25m; no memory request;
  tolerations `[{operator: Exists}]`.
- eks-pod-identity-agent: aws/eks-pod-identity-agent `charts/eks-pod-identity-agent` (d4dc0f3):
  DaemonSet without requests (`resources: {}`), tolerations `[{operator: Exists}]`.
- aws-ebs-csi-driver: kubernetes-sigs/aws-ebs-csi-driver `charts/aws-ebs-csi-driver` 2.64.0
  (429e202): Deployment `ebs-csi-controller`, `replicaCount: 2`, containers ebs-plugin,
  csi-provisioner, csi-attacher, csi-resizer at the controller's 10m/40Mi and liveness-probe at
  10m/32Mi (the snapshotter and volume modifier only run with their CRDs or flag, which this
  platform does not install), tolerations CriticalAddonsOnly and NoExecute; DaemonSet
  `ebs-csi-node` with ebs-plugin 10m/40Mi, node-driver-registrar and liveness-probe 10m/32Mi
  each, `tolerateAllTaints: true`.
- metrics-server: kubernetes-sigs/metrics-server `charts/metrics-server` (5ed5d3a): 100m/200Mi, no
  tolerations. The chart's default is 1 replica; we count 2 (assumption: the EKS add-on may run
  two for availability), so the check errs on the side of less room.
- coredns and kube-proxy: EKS builds them itself; no chart is published. Assumed as the upstream
  manifests have them (kubernetes/kubernetes `cluster/addons/dns/coredns/coredns.yaml.base`:
  100m/70Mi, tolerating CriticalAddonsOnly; `cluster/addons/kube-proxy/kube-proxy-ds.yaml`:
  100m CPU, tolerating everything), with the EKS default of 2 CoreDNS replicas. CoreDNS's
  `replicaCount` in the add-on's configurationValues overrides the count.
- amazon-cloudwatch-observability: aws-observability/helm-charts `charts/amazon-cloudwatch-observability`
  values.yaml (00bd626): DaemonSet `cloudwatch-agent` 250m/128Mi and DaemonSet `fluent-bit` 50m/25Mi,
  both under the chart's default tolerations `[{operator: Exists}]`; the operator's Deployment
  (`manager`) 100m/64Mi, one replica (`replicaCount: 1`), counted without tolerations (assumed).
  The GPU and Neuron exporters run only on GPU/Neuron instance types, which this platform has not.
- kube-state-metrics and prometheus-node-exporter (EKS community add-ons): their charts request
  nothing by default (`resources: {}`), so they take pod slots, not CPU or memory; one
  kube-state-metrics replica; the node exporter tolerates every NoSchedule taint (assumed from
  the prometheus-community chart's defaults, not read from the add-on's package).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

TOLERATE_ALL: tuple[Mapping[str, str], ...] = ({"operator": "Exists"},)
CRITICAL_ADDONS_ONLY: Mapping[str, str] = {"key": "CriticalAddonsOnly", "operator": "Exists"}
NO_EXECUTE_ANY: Mapping[str, str] = {"operator": "Exists", "effect": "NoExecute"}
NO_SCHEDULE_ANY: Mapping[str, str] = {"operator": "Exists", "effect": "NoSchedule"}


@dataclass(frozen=True)
class AddonPods:
    """One DaemonSet or Deployment an add-on runs."""

    name: str
    kind: Literal["DaemonSet", "Deployment"]
    cpu_millis: int
    memory_mib: int
    tolerations: tuple[Mapping[str, str], ...] = ()
    replicas: int = 1
    """Deployments only."""
    replica_key: str = ""
    """The add-on configurationValues key that sets the replica count, if any."""
    assumed: bool = False
    """True where the numbers are an assumption, not read from a published manifest."""


ADDON_PODS: dict[str, tuple[AddonPods, ...]] = {
    "vpc-cni": (AddonPods("aws-node", "DaemonSet", 50, 0, TOLERATE_ALL),),
    "kube-proxy": (AddonPods("kube-proxy", "DaemonSet", 100, 0, TOLERATE_ALL, assumed=True),),
    "eks-pod-identity-agent": (AddonPods("eks-pod-identity-agent", "DaemonSet", 0, 0, TOLERATE_ALL),),
    "coredns": (
        AddonPods(
            "coredns",
            "Deployment",
            100,
            70,
            (CRITICAL_ADDONS_ONLY,),
            replicas=2,
            replica_key="replicaCount",
            assumed=True,
        ),
    ),
    "aws-ebs-csi-driver": (
        AddonPods("ebs-csi-controller", "Deployment", 50, 192, (CRITICAL_ADDONS_ONLY, NO_EXECUTE_ANY), replicas=2),
        AddonPods("ebs-csi-node", "DaemonSet", 30, 104, TOLERATE_ALL),
    ),
    "metrics-server": (
        AddonPods("metrics-server", "Deployment", 100, 200, replicas=2, replica_key="replicas", assumed=True),
    ),
    # The Observability component's add-ons (components/observability.py).
    "amazon-cloudwatch-observability": (
        AddonPods("cloudwatch-agent", "DaemonSet", 250, 128, TOLERATE_ALL),
        AddonPods("fluent-bit", "DaemonSet", 50, 25, TOLERATE_ALL),
        AddonPods("amazon-cloudwatch-observability-controller-manager", "Deployment", 100, 64, assumed=True),
    ),
    "kube-state-metrics": (AddonPods("kube-state-metrics", "Deployment", 0, 0, assumed=True),),
    "prometheus-node-exporter": (
        AddonPods("prometheus-node-exporter", "DaemonSet", 0, 0, (NO_SCHEDULE_ANY,), assumed=True),
    ),
}
"""Per EKS add-on name, the pods it runs on every cluster that installs it."""


@dataclass(frozen=True)
class ChartPods:
    """Where a chart's values put its one Deployment's replicas and rollout, and their defaults."""

    replicas_path: tuple[str, ...]
    default_replicas: int
    default_rolling_update: Mapping[str, Any]
    """The chart's `updateStrategy.rollingUpdate` defaults ({} for Kubernetes' own 25 % / 25 %)."""


CHART_PODS: dict[str, ChartPods] = {
    "traefik": ChartPods(("deployment", "replicas"), 1, {"maxUnavailable": 0, "maxSurge": 1}),
    "aws-load-balancer-controller": ChartPods(("replicaCount",), 2, {}),
}
"""Per chart name, how to read the pods of a release of it (values `resources`, `nodeSelector`,
`tolerations`, `affinity` and `updateStrategy` are top-level keys in both charts)."""


def replicas(pods: AddonPods, configuration: Mapping[str, Any]) -> int:
    """The replica count, from the add-on's configurationValues where it sets one."""
    if pods.replica_key:
        value = configuration.get(pods.replica_key)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    return pods.replicas

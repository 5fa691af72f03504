"""What an EKS node of each EC2 instance type offers to pods: the capacity model.

A pure module (no Pulumi): config validation, the policy pack and preflight's scheduling check
read it. Every number has a source:

- vCPUs, memory and architecture: the AWS "Amazon EC2 instance types" specification pages
  (general purpose M, compute optimized C, memory optimized R, burstable T), read 2026-11. Within
  a family the size decides the vCPUs and the family a fixed GiB per vCPU (T is tabled per size).
- ENIs and IPv4 addresses per ENI: awslabs/amazon-eks-ami `nodeadm/internal/kubelet/
  instance-info.jsonl` (commit 81fec2e, 2026-07), the table nodeadm embeds and reads at boot
  (it replaced `eni-max-pods.txt`).
- Max pods: nodeadm's `calculateStandardMaxPods`, ENIs x (IPv4 per ENI - 1) + 2 (the VPC CNI's
  formula without prefix delegation), capped by managed node groups at 110 below 30 vCPUs and
  250 otherwise (EKS user guide, "Assign more IP addresses to nodes with prefixes": "Managed node
  groups enforces a maximum number on the value of maxPods").
- Allocatable = capacity - kube-reserved - eviction threshold, as nodeadm configures the kubelet
  (`nodeadm/internal/kubelet/config.go`): kube-reserved CPU 6 % of the first core, 1 % of the
  second, 0.5 % of cores 3-4, 0.25 % above (`getCPUMillicoresToReserve`); kube-reserved memory
  11 MiB x max pods + 255 MiB (`getMemoryMebibytesToReserve`); `evictionHard` memory.available
  100Mi. No system-reserved is set.
- The max pods in that memory formula is nodeadm's own ENI-based figure
  (`withDefaultReservedResources` computes it before the user's kubelet config is merged), not
  the managed node group's 110/250 cap, which only lowers the kubelet's pod limit
  (awslabs/amazon-eks-ami issues #1698 and #2580). So a 4xlarge (234 ENI pods, capped at 110)
  reserves 2829 MiB, not 1465 MiB.
- Memory capacity: the kubelet reports the OS's MemTotal, below the nominal size (firmware and
  kernel take their share). We take Karpenter's default `vmMemoryOverheadPercent`, 7.5 %
  (aws/karpenter-provider-aws, settings; issue #5161 discusses it as a heuristic), so the model
  errs small, never large.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Architecture = Literal["x86_64", "arm64"]

# Kubernetes' `kubernetes.io/arch` label for each EC2 architecture.
KUBERNETES_ARCH: dict[Architecture, str] = {"x86_64": "amd64", "arm64": "arm64"}

VM_MEMORY_OVERHEAD = 0.075
"""Share of nominal memory the kubelet never sees (Karpenter's vmMemoryOverheadPercent default)."""
EVICTION_HARD_MEMORY_MIB = 100
"""nodeadm's evictionHard memory.available."""
KUBE_RESERVED_MEMORY_BASE_MIB = 255
KUBE_RESERVED_MEMORY_PER_POD_MIB = 11
# (cores up to, reserved share in 1/10000) per band: 6 %, 1 %, 0.5 %, 0.25 %.
_CPU_RESERVED_BANDS = ((1, 600), (2, 100), (4, 50), (math.inf, 25))
# Managed node groups cap maxPods: 110 below 30 vCPUs, 250 otherwise.
MNG_MAX_PODS_SMALL = 110
MNG_MAX_PODS_LARGE = 250
MNG_MAX_PODS_VCPU_THRESHOLD = 30


def kube_reserved_cpu_millis(vcpus: int) -> int:
    """nodeadm's kube-reserved CPU for a node with this many vCPUs (integer millicores)."""
    total = vcpus * 1000
    reserved = 0
    start = 0
    for upper_cores, share in _CPU_RESERVED_BANDS:
        end = total if upper_cores == math.inf else int(upper_cores * 1000)
        if total > start:
            reserved += (min(total, end) - start) * share // 10000
        start = end
    return reserved


def kube_reserved_memory_mib(max_pods: int) -> int:
    """nodeadm's kube-reserved memory: 11 MiB per pod of its ENI-based max pods, plus 255 MiB."""
    return KUBE_RESERVED_MEMORY_PER_POD_MIB * max_pods + KUBE_RESERVED_MEMORY_BASE_MIB


@dataclass(frozen=True)
class InstanceType:
    """One EC2 instance type as an EKS managed node (AL2023, VPC CNI without prefix delegation)."""

    name: str
    vcpus: int
    memory_gib: float
    architecture: Architecture
    enis: int
    ipv4_per_eni: int

    @property
    def eni_max_pods(self) -> int:
        """The VPC CNI's limit: ENIs x (IPv4 per ENI - 1) + 2."""
        return self.enis * (self.ipv4_per_eni - 1) + 2

    @property
    def max_pods(self) -> int:
        """The kubelet's maxPods on a managed node: the ENI limit under the node group's cap."""
        cap = MNG_MAX_PODS_SMALL if self.vcpus < MNG_MAX_PODS_VCPU_THRESHOLD else MNG_MAX_PODS_LARGE
        return min(self.eni_max_pods, cap)

    @property
    def capacity_cpu_millis(self) -> int:
        return self.vcpus * 1000

    @property
    def capacity_memory_mib(self) -> int:
        """What the kubelet reports: nominal memory less the VM overhead, rounded down."""
        return math.floor(self.memory_gib * 1024 * (1 - VM_MEMORY_OVERHEAD))

    @property
    def allocatable_cpu_millis(self) -> int:
        return self.capacity_cpu_millis - kube_reserved_cpu_millis(self.vcpus)

    @property
    def allocatable_memory_mib(self) -> int:
        # nodeadm reserves memory for the ENI limit; the managed node group's cap does not lower it.
        return self.capacity_memory_mib - kube_reserved_memory_mib(self.eni_max_pods) - EVICTION_HARD_MEMORY_MIB

    @property
    def kubernetes_arch(self) -> str:
        return KUBERNETES_ARCH[self.architecture]


# --- the table -----------------------------------------------------------------------------

# vCPUs per size (the EC2 pages; the same in every family below).
_SIZE_VCPUS = {"medium": 1, "large": 2, "xlarge": 4, "2xlarge": 8, "4xlarge": 16, "8xlarge": 32}
_SIZE_VCPUS |= {"12xlarge": 48, "16xlarge": 64}
# (ENIs, IPv4 per ENI) per size in M, C and R families (instance-info.jsonl; identical across them).
_SIZE_ENIS = {
    "medium": (2, 4),
    "large": (3, 10),
    "xlarge": (4, 15),
    "2xlarge": (4, 15),
    "4xlarge": (8, 30),
    "8xlarge": (8, 30),
    "12xlarge": (8, 30),
    "16xlarge": (15, 50),
}
_LARGE_SIZES = ("large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge")
_GRAVITON_SIZES = ("medium", *_LARGE_SIZES)  # Graviton families also come in medium (1 vCPU)

# family -> (GiB per vCPU, architecture, sizes offered)
_FIXED_RATIO_FAMILIES: dict[str, tuple[int, Architecture, tuple[str, ...]]] = {
    "m6i": (4, "x86_64", _LARGE_SIZES),
    "m7i": (4, "x86_64", _LARGE_SIZES),
    "m6g": (4, "arm64", _GRAVITON_SIZES),
    "m7g": (4, "arm64", _GRAVITON_SIZES),
    "c6i": (2, "x86_64", _LARGE_SIZES),
    "c7i": (2, "x86_64", _LARGE_SIZES),
    "c7g": (2, "arm64", _GRAVITON_SIZES),
    "r6i": (8, "x86_64", _LARGE_SIZES),
    "r7i": (8, "x86_64", _LARGE_SIZES),
    "r7g": (8, "arm64", _GRAVITON_SIZES),
}

# Burstable T: size -> (vCPUs, GiB, ENIs, IPv4 per ENI); the same for t3, t3a and t4g except
# that t3a.small has 2 ENIs, not 3 (instance-info.jsonl).
_BURSTABLE = {
    "nano": (2, 0.5, 2, 2),
    "micro": (2, 1, 2, 2),
    "small": (2, 2, 3, 4),
    "medium": (2, 4, 3, 6),
    "large": (2, 8, 3, 12),
    "xlarge": (4, 16, 4, 15),
    "2xlarge": (8, 32, 4, 15),
}
_BURSTABLE_FAMILIES: dict[str, Architecture] = {"t3": "x86_64", "t3a": "x86_64", "t4g": "arm64"}


def _table() -> dict[str, InstanceType]:
    table: dict[str, InstanceType] = {}
    for family, (gib_per_vcpu, arch, sizes) in _FIXED_RATIO_FAMILIES.items():
        for size in sizes:
            vcpus = _SIZE_VCPUS[size]
            enis, ips = _SIZE_ENIS[size]
            name = f"{family}.{size}"
            table[name] = InstanceType(name, vcpus, vcpus * gib_per_vcpu, arch, enis, ips)
    for family, arch in _BURSTABLE_FAMILIES.items():
        for size, (vcpus, gib, enis, ips) in _BURSTABLE.items():
            name = f"{family}.{size}"
            if name == "t3a.small":
                enis = 2
            table[name] = InstanceType(name, vcpus, gib, arch, enis, ips)
    return dict(sorted(table.items()))


EC2_INSTANCE_TYPES: dict[str, InstanceType] = _table()
"""Every EC2 type a node group may use: the families the policy allowlists admit, by size."""

EC2_FAMILIES: tuple[str, ...] = tuple(sorted({name.split(".")[0] for name in EC2_INSTANCE_TYPES}))


def instance_type(name: str) -> InstanceType:
    """The model of one type; a KeyError naming the families offered when it is not tabled."""
    try:
        return EC2_INSTANCE_TYPES[name]
    except KeyError:
        raise KeyError(unknown_instance_type(name)) from None


def unknown_instance_type(name: str) -> str:
    """The message for a type the table does not hold."""
    family = name.split(".")[0]
    if family in EC2_FAMILIES:
        sizes = [known.split(".", 1)[1] for known in EC2_INSTANCE_TYPES if known.split(".")[0] == family]
        return f"{name!r} is not an EC2 instance type the capacity model knows; {family} sizes: {', '.join(sizes)}"
    return (
        f"{name!r} is not an EC2 instance type the capacity model knows; families: {', '.join(EC2_FAMILIES)} "
        "(add a family to components/node_capacity.py with its sources)"
    )

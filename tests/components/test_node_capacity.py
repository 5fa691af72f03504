"""The capacity model against allocatable figures derived by hand from nodeadm's formula."""

from __future__ import annotations

import json

import pytest

from eksplatform.components.instance_types import architecture
from eksplatform.components.node_capacity import (
    EC2_INSTANCE_TYPES,
    instance_type,
    kube_reserved_cpu_millis,
    kube_reserved_memory_mib,
)
from eksplatform.policies.rules.capacity import DEFAULT_EC2_FAMILIES
from eksplatform.preflight.synth import PROJECT_ROOT
from eksplatform.stack.loading import read_stack_file

# (type, max pods, allocatable CPU m, allocatable memory Mi), each worked out by hand:
#   max pods  = min(ENIs x (IPv4 per ENI - 1) + 2, 110 below 30 vCPUs else 250)
#   CPU       = vCPUs x 1000 - (60 + 10 + 5 per core 3-4 + 2.5 per core above 4)
#   memory    = floor(GiB x 1024 x 0.925) - (255 + 11 x ENI max pods) - 100
#   (the ENI figure, not the capped one: nodeadm reserves before the node group's cap applies)
HAND_DERIVED = [
    # 3 x 9 + 2 = 29; 2000 - 70; floor(7577.6) = 7577, - 574 - 100
    ("m7i.large", 29, 1930, 6903),
    # 3 x 5 + 2 = 17; 2000 - 70; floor(3788.8) = 3788, - 442 - 100
    ("t3.medium", 17, 1930, 3246),
    # 2 x 3 + 2 = 8 (t3a.small has 2 ENIs); floor(1894.4) = 1894, - 343 - 100
    ("t3a.small", 8, 1930, 1451),
    # 4 x 14 + 2 = 58; 4000 - 80; floor(15155.2) = 15155, - 893 - 100
    ("m7g.xlarge", 58, 3920, 14162),
    # 8 x 29 + 2 = 234, capped at 110 (16 vCPUs); 16000 - 110; floor(60620.8) = 60620,
    # - (255 + 11 x 234 = 2829) - 100
    ("m7i.4xlarge", 110, 15890, 57691),
    # 15 x 49 + 2 = 737, capped at 250 (64 vCPUs); 64000 - 230; 512 GiB: floor(484966.4) = 484966,
    # - (255 + 11 x 737 = 8362) - 100
    ("r7i.16xlarge", 250, 63770, 476504),
    # 2 x 3 + 2 = 8; 1000 - 60; floor(3788.8) = 3788, - 343 - 100
    ("m7g.medium", 8, 940, 3345),
]


@pytest.mark.parametrize(("name", "max_pods", "cpu", "memory"), HAND_DERIVED)
def test_allocatable_matches_the_hand_derived_figures(name: str, max_pods: int, cpu: int, memory: int) -> None:
    model = instance_type(name)
    assert (model.max_pods, model.allocatable_cpu_millis, model.allocatable_memory_mib) == (max_pods, cpu, memory)


@pytest.mark.parametrize(
    ("vcpus", "reserved"), [(1, 60), (2, 70), (3, 75), (4, 80), (8, 90), (16, 110), (48, 190), (96, 310)]
)
def test_kube_reserved_cpu_follows_nodeadms_bands(vcpus: int, reserved: int) -> None:
    assert kube_reserved_cpu_millis(vcpus) == reserved


def test_kube_reserved_memory_grows_11_mib_per_pod() -> None:
    assert kube_reserved_memory_mib(29) == 574
    assert kube_reserved_memory_mib(110) - kube_reserved_memory_mib(109) == 11


def test_every_family_an_allowlist_admits_is_in_the_table() -> None:
    families = {name.split(".")[0] for name in EC2_INSTANCE_TYPES}
    allowed = set(DEFAULT_EC2_FAMILIES)
    for stack in ("dev", "staging", "prod"):
        config = json.loads((PROJECT_ROOT / "policies" / "config" / f"{stack}.json").read_text())
        allowed |= set(config["limits-ec2-instance-type-allowed"]["allowedFamilies"])
    assert allowed <= families


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_type_a_stack_uses_is_in_the_table(stack: str) -> None:
    raw = read_stack_file(PROJECT_ROOT / f"Pulumi.{stack}.yaml")
    for region in raw["platform:regions"]:
        for group in region["cluster"]["nodeGroups"].values():
            for name in group["instanceTypes"]:
                assert name in EC2_INSTANCE_TYPES


def test_the_table_agrees_with_the_name_rule_on_architecture() -> None:
    for name, model in EC2_INSTANCE_TYPES.items():
        assert model.architecture == architecture(name), name
    assert instance_type("t4g.medium").kubernetes_arch == "arm64"
    assert instance_type("t3.medium").kubernetes_arch == "amd64"


def test_an_unknown_type_names_the_sizes_or_families_offered() -> None:
    with pytest.raises(KeyError, match=r"'t4g.mediun' is not .*t4g sizes: .*medium"):
        instance_type("t4g.mediun")
    with pytest.raises(KeyError, match=r"families: c6i, .*t4g"):
        instance_type("m5.large")

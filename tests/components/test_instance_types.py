"""Instance type names: Graviton types are arm64, GPU families starting with g are not."""

from __future__ import annotations

import pytest

from eksplatform.components.instance_types import architecture


@pytest.mark.parametrize(
    ("instance_type", "expected"),
    [
        ("m7g.large", "arm64"),
        ("c7gn.xlarge", "arm64"),
        ("r6gd.2xlarge", "arm64"),
        ("t4g.medium", "arm64"),
        ("x2gd.large", "arm64"),
        ("im4gn.large", "arm64"),
        ("g5g.xlarge", "arm64"),
        ("a1.large", "arm64"),
        ("m7i.large", "x86_64"),
        ("m7i-flex.large", "x86_64"),
        ("t3a.medium", "x86_64"),
        ("g5.xlarge", "x86_64"),
        ("g4dn.xlarge", "x86_64"),
        ("x2iedn.xlarge", "x86_64"),
        ("p5en.48xlarge", "x86_64"),
    ],
)
def test_architecture_from_the_name(instance_type: str, expected: str) -> None:
    assert architecture(instance_type) == expected

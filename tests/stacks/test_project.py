"""The project file's settings that the stacks rely on."""

from __future__ import annotations

from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parents[2] / "Pulumi.yaml"


def test_every_update_refreshes_the_node_groups_desired_size_first() -> None:
    # A min/max change sends scaling_config whole, desired size from state included (the provider's
    # eks/node_group.go update); refreshing first makes that the autoscaler's live size.
    project = yaml.safe_load(PROJECT.read_text(encoding="utf-8"))
    assert project["options"] == {"refresh": "always"}

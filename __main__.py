"""The platform program: read the stack config, build the Platform, export its outputs."""

from pathlib import Path

import pulumi

from eksplatform.components.config import stack_config_from_pulumi
from eksplatform.components.platform import Platform

platform = Platform("platform", stack_config_from_pulumi(project_dir=Path(__file__).resolve().parent))
for output_name, value in platform.stack_outputs().items():
    pulumi.export(output_name, value)

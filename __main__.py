"""The platform program: read the stack config, build the Platform, export its outputs."""

from pathlib import Path

import pulumi

from eksplatform.stack.loading import stack_config_from_pulumi
from eksplatform.stack.platform_args import platform_from_stack

platform = platform_from_stack("platform", stack_config_from_pulumi(project_dir=Path(__file__).resolve().parent))
for output_name, value in platform.stack_outputs().items():
    pulumi.export(output_name, value)

"""The platform program: read the stack config, build the Platform, export its outputs."""

import pulumi

from components.config import stack_config_from_pulumi
from components.platform import Platform

platform = Platform("platform", stack_config_from_pulumi())
for output_name, value in platform.stack_outputs().items():
    pulumi.export(output_name, value)

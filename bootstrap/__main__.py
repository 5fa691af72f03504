"""The bootstrap program (deployed once per account): `cd bootstrap && pulumi up` (docs/deploying.md)."""

import pulumi

from bootstrap.config import bootstrap_config_from_pulumi
from bootstrap.program import Deployer

deployer = Deployer("deployer", bootstrap_config_from_pulumi())
for output_name, value in deployer.outputs().items():
    pulumi.export(output_name, value)

"""A GlobalDns on its own: the platform's two names over two regions' entries.

Route 53 is global: any region's provider will do (the platform passes its primary region's).
"""

from typing import Any

import pulumi

from eksplatform.components.dns import GlobalDns, GlobalDnsArgs
from eksplatform.components.providers import regional_aws_provider
from eksplatform.components.writer_health import WriterAlarm

config = pulumi.Config()
primary = config.require("primaryRegion")
entries: dict[str, dict[str, Any]] = config.require_object("entries")

aws_provider = regional_aws_provider(
    f"aws-{primary}",
    region=primary,
    tags={"owner": "edge-team", "cost-center": "cc-edge", "managed-by": "pulumi", "environment": pulumi.get_stack()},
)
names = GlobalDns(
    "names",
    GlobalDnsArgs(
        domain=config.require("domain"),
        zone_id=config.require("zoneId"),
        endpoints={region: str(entry["hostname"]) for region, entry in entries.items()},
        primary_region=primary,
        health_path="/healthz",
        writer_alarms={
            region: WriterAlarm(name=str(entry["writerAlarm"]), region=region) for region, entry in entries.items()
        },
    ),
    opts=pulumi.ResourceOptions(providers=[aws_provider]),
)

pulumi.export("latencyName", names.latency_name)
pulumi.export("writerName", names.writer_name)
pulumi.export("healthCheckIds", names.health_check_ids)

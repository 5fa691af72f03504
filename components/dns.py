"""GlobalDns: one name for a multi-region platform, with health checks that route around an outage.

- a public hosted zone for the domain (or the existing zone given in config);
- per region an HTTPS health check of its public entry: every 10 s, unhealthy after 3 failures,
  so an outage is detected within 30 s (the required target);
- `api.<domain>`: latency records, one per region, each tied to its health check, so clients
  reach the nearest healthy region;
- `primary.<domain>`: a failover pair, the primary region first and a secondary when the
  primary's health check fails (for clients that must reach the writing region).

Route53 is global; pass any region's provider (the platform passes the primary's).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

HEALTH_CHECK_INTERVAL_SECONDS = 10
HEALTH_CHECK_FAILURE_THRESHOLD = 3
RECORD_TTL_SECONDS = 60
LATENCY_LABEL = "api"
FAILOVER_LABEL = "primary"


class DnsArgsError(pulumi.RunError, ValueError):
    """Bad GlobalDns arguments; the message names the argument."""


@dataclass(frozen=True)
class GlobalDnsArgs:
    domain: str
    endpoints: Mapping[str, pulumi.Input[str]]
    """Per region (in order, primary first), the hostname of its public entry."""
    primary_region: str
    health_path: str
    hosted_zone_id: str | None = None
    """Use this zone instead of creating one."""

    def __post_init__(self) -> None:
        if len(self.endpoints) < 2:
            raise DnsArgsError(f"endpoints: failover needs two or more regions, got {list(self.endpoints)}")
        if self.primary_region not in self.endpoints:
            raise DnsArgsError(f"primary_region {self.primary_region!r} is not among {list(self.endpoints)}")

    @property
    def failover_region(self) -> str:
        """Where `primary.<domain>` points when the primary is down: the first other region."""
        return next(region for region in self.endpoints if region != self.primary_region)


class GlobalDns(pulumi.ComponentResource):
    zone_id: pulumi.Output[str]
    name_servers: pulumi.Output[list[str]] | None
    """The created zone's name servers (delegate the domain to them); None for an existing zone."""
    latency_name: str
    failover_name: str
    health_check_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: GlobalDnsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:index:GlobalDns", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        if args.hosted_zone_id is None:
            zone = aws.route53.Zone(
                f"{name}-zone", name=args.domain, comment="platform: regional entry points", opts=child
            )
            self.zone_id = zone.zone_id
            self.name_servers = zone.name_servers
        else:
            self.zone_id = pulumi.Output.from_input(args.hosted_zone_id)
            self.name_servers = None

        checks = {
            region: aws.route53.HealthCheck(
                f"{name}-{region}-health",
                type="HTTPS",
                fqdn=hostname,
                port=443,
                resource_path=args.health_path,
                request_interval=HEALTH_CHECK_INTERVAL_SECONDS,
                failure_threshold=HEALTH_CHECK_FAILURE_THRESHOLD,
                measure_latency=True,
                enable_sni=True,
                tags={"Name": f"{args.domain} {region}"},
                opts=child,
            )
            for region, hostname in args.endpoints.items()
        }
        self.health_check_ids = {region: check.id for region, check in checks.items()}

        self.latency_name = f"{LATENCY_LABEL}.{args.domain}"
        for region, hostname in args.endpoints.items():
            self._record(
                f"{name}-{region}-latency",
                self.latency_name,
                hostname,
                set_identifier=region,
                health_check=checks[region],
                latency_routing_policies=[aws.route53.RecordLatencyRoutingPolicyArgs(region=region)],
            )

        self.failover_name = f"{FAILOVER_LABEL}.{args.domain}"
        for role, region in (("PRIMARY", args.primary_region), ("SECONDARY", args.failover_region)):
            self._record(
                f"{name}-failover-{role.lower()}",
                self.failover_name,
                args.endpoints[region],
                set_identifier=f"{role.lower()}-{region}",
                health_check=checks[region],
                failover_routing_policies=[aws.route53.RecordFailoverRoutingPolicyArgs(type=role)],
            )
        self.register_outputs(
            {
                "zoneId": self.zone_id,
                "nameServers": self.name_servers,
                "latencyName": self.latency_name,
                "failoverName": self.failover_name,
                "healthCheckIds": self.health_check_ids,
            }
        )

    def _record(
        self,
        resource_name: str,
        record_name: str,
        target: pulumi.Input[str],
        *,
        set_identifier: str,
        health_check: aws.route53.HealthCheck,
        **routing: Any,
    ) -> aws.route53.Record:
        """A CNAME to a regional endpoint that Route53 answers only while its health check passes."""
        return aws.route53.Record(
            resource_name,
            zone_id=self.zone_id,
            name=record_name,
            type="CNAME",
            ttl=RECORD_TTL_SECONDS,
            records=[target],
            set_identifier=set_identifier,
            health_check_id=health_check.id,
            opts=pulumi.ResourceOptions(parent=self),
            **routing,
        )

"""GlobalDns: the platform's public names, `api.<domain>` for reads and `primary.<domain>` for writes.

The hosted zone itself is made by the primary Region (eksplatform/stack/region.py), because every
region's entry needs it first to validate its ACM certificate; this component adds the records.

One region: the same routed records as several (a latency record and a weighted record, each
with the region as its set identifier), without health checks: there is nowhere to fail over to.
Route 53 refuses a plain record beside routed ones of the same name and type, and Pulumi creates
new records before it deletes old ones, so plain records would make a move to several regions
fail; with the same records and logical names, adding a region only adds records and checks.

Several regions:
- per region an HTTPS health check of its public entry on the backends' health path (the
  backends answer it through Traefik, so a region whose entry is up but whose backends are down
  is unhealthy): every 10 s, unhealthy after 3 failures, so an outage is seen within 30 s;
- `api.<domain>`: latency records, one per region, each tied to its entry check, so clients
  reach the nearest healthy region;
- `primary.<domain>`: one weighted record per region, each tied to a CLOUDWATCH_METRIC health
  check of that region's writer alarm (components/writer_health.py). Only the region whose Aurora
  cluster holds the writer is healthy, so the name follows the database writer through a
  switchover or failover (`ops failover`), and never moves on its own while the writer stays.
  Equal weights: at most one record is healthy at a time outside a failover's few minutes.

Route 53 is global; pass any region's provider (the platform passes the primary's).
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from eksplatform.components.facts import region_name_problem
from eksplatform.components.inputs import ArgsError, check_fields, to_args
from eksplatform.components.writer_health import WriterAlarm

HEALTH_CHECK_INTERVAL_SECONDS = 10
HEALTH_CHECK_FAILURE_THRESHOLD = 3
RECORD_TTL_SECONDS = 60
LATENCY_LABEL = "api"
WRITER_LABEL = "primary"
# Route 53 CLOUDWATCH_METRIC checks: the alarm's INSUFFICIENT_DATA (right after it is created)
# counts as "not the writer" (API reference, HealthCheckConfig.InsufficientDataHealthStatus).
INSUFFICIENT_DATA_STATUS = "Unhealthy"
# A lowercase DNS name of at least two labels, each at most 63 characters (RFC 1035; Route 53
# record names and ACM domain names both take it), the last one not all digits.
_DOMAIN = re.compile(r"^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$")
MAX_DOMAIN = 253 - len(WRITER_LABEL) - 1  # `primary.<domain>` is a DNS name too
# ACM RequestCertificate: the certificate's first name (its Common Name, the entry's `api.<domain>`)
# is at most 64 octets (RFC 5280); the other names (SANs) up to 253.
MAX_COMMON_NAME = 64


# The backends' health path on every entry (PublicIngress and GlobalDns share it).
DEFAULT_HEALTH_PATH = "/healthz"
# Route 53 HealthCheckConfig.ResourcePath: at most 255 characters; a plain path here (no query).
_HEALTH_PATH = re.compile(r"^/[A-Za-z0-9._~/-]{0,254}$")


def health_path_problem(path: str) -> str | None:
    """Why `path` cannot be the entries' health-check path, or None."""
    if _HEALTH_PATH.fullmatch(path):
        return None
    return (
        f"{path!r} is not a path of at most 255 characters starting with '/' (letters, digits, '.', '_', '~', '-', '/')"
    )


def domain_problem(domain: str) -> str | None:
    """Why `domain` cannot carry the platform's names, or None."""
    if not _DOMAIN.fullmatch(domain):
        return f"{domain!r} is not a lowercase DNS name (example.com)"
    if len(domain) > MAX_DOMAIN:
        return f"{domain!r} is longer than {MAX_DOMAIN} characters (primary.<domain> must stay a DNS name)"
    return None


class DnsArgsError(ArgsError):
    """Bad GlobalDns arguments; the message names the argument."""


def entry_names(domain: str) -> tuple[str, str]:
    """The names clients use, `api.<domain>` and `primary.<domain>`: the entry's certificate covers both."""
    return f"{LATENCY_LABEL}.{domain}", f"{WRITER_LABEL}.{domain}"


def certificate_domain_problem(domain: str) -> str | None:
    """Why the public entry's certificate (PublicIngress) cannot be issued for `domain`'s names, or None."""
    problem = domain_problem(domain)
    common_name = entry_names(domain)[0]
    if problem is None and len(common_name) > MAX_COMMON_NAME:
        problem = f"the certificate's name {common_name!r} is over ACM's {MAX_COMMON_NAME} characters"
    return problem


@dataclass(frozen=True, kw_only=True)
class GlobalDnsArgs:
    """The platform's domain, its hosted zone, and every region's public entry."""

    # A setting with a default is typed `X | None = None` (None: the default): Pulumi's component
    # analyzer marks an input optional only when its type admits None (docs/other-languages.md).
    domain: str
    """The platform's domain: clients use `api.<domain>` and `primary.<domain>`."""
    zone_id: pulumi.Input[str]
    """The Route 53 hosted zone of `domain` (made by the primary Region)."""
    endpoints: Mapping[str, pulumi.Input[str]]
    """Per region (in order, primary first), the hostname of its public entry."""
    primary_region: str
    """The region that holds the database writer at first; one of `endpoints`."""
    health_path: str | None = None
    """The path the backends answer on every entry (Route 53's entry checks request it); the same as
    each PublicIngress's `health_path`. Default: /healthz."""
    writer_alarms: Mapping[str, WriterAlarm] | None = None
    """Per region, the alarm that is OK only where the database writer is; one per region when there
    are several. Default: none (one region)."""

    def __post_init__(self) -> None:
        check_fields(self, DnsArgsError)  # an Output or wrong type, named
        problem = domain_problem(self.domain)
        if problem:
            raise DnsArgsError(f"args.domain: {problem}")
        if not self.endpoints:
            raise DnsArgsError("args.endpoints: name at least one region's entry")
        for region in self.endpoints:
            problem = region_name_problem(region)
            if problem:
                raise DnsArgsError(f"args.endpoints: key {problem}")
        if self.primary_region not in self.endpoints:
            raise DnsArgsError(f"args.primary_region: {self.primary_region!r} is not among {list(self.endpoints)}")
        problem = health_path_problem(self.resolved_health_path)
        if problem:
            raise DnsArgsError(f"args.health_path: {problem}")
        if len(self.endpoints) > 1 and set(self.alarms) != set(self.endpoints):
            raise DnsArgsError(
                f"args.writer_alarms: one per region, for {sorted(self.endpoints)}; got {sorted(self.alarms)}"
            )
        for region, alarm in self.alarms.items():
            problem = region_name_problem(alarm.region)
            if problem:
                raise DnsArgsError(f"args.writer_alarms.{region}.region: {problem}")
            if alarm.region != region:
                # Route 53 reads the alarm in the region it names; region X's record follows X's writer.
                raise DnsArgsError(
                    f"args.writer_alarms.{region}.region: {alarm.region!r} is not the region it is listed under"
                )

    @property
    def resolved_health_path(self) -> str:
        return DEFAULT_HEALTH_PATH if self.health_path is None else self.health_path

    @property
    def alarms(self) -> Mapping[str, WriterAlarm]:
        return self.writer_alarms or {}


class GlobalDns(pulumi.ComponentResource):
    """The platform's public names: `api.<domain>` by latency, `primary.<domain>` following the database writer."""

    latency_name: str
    """`api.<domain>`: the nearest healthy region's entry."""
    writer_name: str
    """`primary.<domain>`: the entry of the region that holds the database writer."""
    health_check_ids: dict[str, pulumi.Output[str]]
    """Per region, the entry's HTTPS health check (several regions only)."""
    writer_health_check_ids: dict[str, pulumi.Output[str]]
    """Per region, the health check that passes only where the database writer is (several regions only)."""

    def __init__(self, name: str, args: GlobalDnsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        args = to_args(GlobalDnsArgs, args)  # other languages pass a dict (docs/other-languages.md)
        super().__init__("platform:index:GlobalDns", name, None, opts)
        self._args = args
        self.latency_name, self.writer_name = entry_names(args.domain)
        self.health_check_ids = {}
        self.writer_health_check_ids = {}
        if len(args.endpoints) == 1:
            ((region, hostname),) = args.endpoints.items()
            self._latency_record(name, region, hostname, health_check_id=None)
            self._writer_record(name, region, hostname, health_check_id=None)
        else:
            self._several_regions(name, args)
        self.register_outputs(
            {
                "latencyName": self.latency_name,
                "writerName": self.writer_name,
                "healthCheckIds": self.health_check_ids,
                "writerHealthCheckIds": self.writer_health_check_ids,
            }
        )

    def _several_regions(self, name: str, args: GlobalDnsArgs) -> None:
        child = pulumi.ResourceOptions(parent=self)
        for region, hostname in args.endpoints.items():
            entry = aws.route53.HealthCheck(
                f"{name}-{region}-health",
                type="HTTPS",
                fqdn=hostname,
                port=443,
                resource_path=args.resolved_health_path,
                request_interval=HEALTH_CHECK_INTERVAL_SECONDS,
                failure_threshold=HEALTH_CHECK_FAILURE_THRESHOLD,
                measure_latency=True,
                # The NLB's TLS listener answers with its one certificate whatever the SNI, and the
                # NLB's own hostname is not on it; Route 53 does not validate the certificate.
                enable_sni=False,
                tags={"Name": f"{args.domain} {region} entry"},
                opts=child,
            )
            self.health_check_ids[region] = entry.id
            self._latency_record(name, region, hostname, health_check_id=entry.id)
        for region, hostname in args.endpoints.items():
            alarm = args.alarms[region]
            writer = aws.route53.HealthCheck(
                f"{name}-{region}-writer",
                type="CLOUDWATCH_METRIC",
                cloudwatch_alarm_name=alarm.name,
                cloudwatch_alarm_region=alarm.region,
                insufficient_data_health_status=INSUFFICIENT_DATA_STATUS,
                tags={"Name": f"{args.domain} {region} database writer"},
                opts=child,
            )
            self.writer_health_check_ids[region] = writer.id
            self._writer_record(name, region, hostname, health_check_id=writer.id)

    def _latency_record(
        self, name: str, region: str, hostname: pulumi.Input[str], *, health_check_id: pulumi.Input[str] | None
    ) -> None:
        """`api.<domain>` for `region`: answered to the clients nearest it (while its check passes)."""
        self._record(
            f"{name}-{region}-latency",
            self.latency_name,
            hostname,
            set_identifier=region,
            health_check_id=health_check_id,
            latency_routing_policies=[aws.route53.RecordLatencyRoutingPolicyArgs(region=region)],
        )

    def _writer_record(
        self, name: str, region: str, hostname: pulumi.Input[str], *, health_check_id: pulumi.Input[str] | None
    ) -> None:
        """`primary.<domain>` for `region`: answered while its writer check passes (equal weights)."""
        self._record(
            f"{name}-{region}-writer",
            self.writer_name,
            hostname,
            set_identifier=f"writer-{region}",
            health_check_id=health_check_id,
            weighted_routing_policies=[aws.route53.RecordWeightedRoutingPolicyArgs(weight=1)],
        )

    def _record(self, resource_name: str, record_name: str, target: pulumi.Input[str], **routing: Any) -> None:
        """A CNAME to a regional entry (with routing: answered only while its health check passes)."""
        aws.route53.Record(
            resource_name,
            zone_id=self._args.zone_id,
            name=record_name,
            type="CNAME",
            ttl=RECORD_TTL_SECONDS,
            records=[target],
            opts=pulumi.ResourceOptions(parent=self),
            **routing,
        )

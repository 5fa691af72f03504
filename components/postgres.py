"""ManagedPostgres: PostgreSQL on RDS (one instance) or Aurora (a cluster), regional or global.

- `rds`: one RDS for PostgreSQL instance on gp3, Multi-AZ optional, read replicas from config.
- `aurora`: an Aurora PostgreSQL cluster, a writer plus readers spread over the zones; in a
  multi-region stack one Aurora Global Database, written in the primary region.

Secure defaults: a customer-managed key per database (storage, snapshots, Performance Insights
and the master secret); TLS only (`rds.force_ssl=1`, TLS 1.2 at least); never publicly
accessible; a security group that admits 5432 only from the groups passed in; the master
password managed by RDS in Secrets Manager (global clusters, which AWS does not allow that for,
get a generated password in a secret of their own); IAM database authentication; backups with
tags copied to snapshots; deletion protection and a final snapshot outside dev; enhanced
monitoring; logs in KMS-encrypted log groups; CPU, storage, connection and replication-lag
alarms to an encrypted SNS topic; optionally an RDS Proxy (TLS and IAM auth required).

Parameter changes: every parameter is set `pending-reboot` (a value equal to the engine's
default would otherwise show a change on every preview), so a new database starts with all of
them and a running one takes a change at its next reboot.

Pass the region's provider in `opts`; every child inherits it through `parent=self`.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import pulumi
import pulumi_aws as aws

from eksplatform.components.alarms import MetricSeries, encrypted_alarm_topic, lag_alarm, threshold_alarm
from eksplatform.components.aws_context import AwsContext
from eksplatform.components.credentials import stored_password
from eksplatform.components.data_rules import (
    DataRuleError,
    check_access_and_rpo,
    check_global_database_class,
    check_log_retention,
    check_postgres,
    check_postgres_windows,
    check_range,
    postgres_classes,
)
from eksplatform.components.global_role import GlobalRole
from eksplatform.components.iam import Condition, inline_policy, role, trust_policy
from eksplatform.components.inputs import ArgsError, check_fields, to_args
from eksplatform.components.instance_types import default_max_connections
from eksplatform.components.kms import customer_managed_key
from eksplatform.components.log_groups import encrypted_log_groups
from eksplatform.components.security_groups import port_from_group, port_only_from_groups
from eksplatform.environments import DEFAULT_RPO_MINUTES, PROFILES

PORT = 5432
MASTER_USERNAME = "platform_admin"
DATABASE_NAME = "platform"
CA_CERTIFICATE = "rds-ca-rsa2048-g1"
PERFORMANCE_INSIGHTS_RETENTION_DAYS = 7  # the free tier
MONITORING_INTERVAL_SECONDS = 60
# The required thresholds.
CPU_ALARM_PERCENT = 90.0
FREE_STORAGE_ALARM_FRACTION = 0.10
CONNECTIONS_ALARM_FRACTION = 0.80
# Aurora keeps temporary files on local storage of about twice the instance's memory
# (AWS, "Temporary storage limits for Aurora PostgreSQL"); its cluster volume grows on its own.
AURORA_LOCAL_STORAGE_PER_GIB_OF_MEMORY = 2
GIB = 1024**3
# Fields AWS changes during a global failover or switchover: Pulumi must not undo them. And the
# engine version: the global cluster upgrades its members, so members ignore it, as the provider's
# aws_rds_global_cluster documentation advises ("Upgrading Engine Versions": lifecycle
# ignore_changes on engine_version of the aws_rds_cluster members).
GLOBAL_MEMBERSHIP_FIELDS = ["globalClusterIdentifier", "replicationSourceIdentifier", "engineVersion"]

_IDENTIFIER = re.compile(r"^[a-z](?!.*--)[a-z0-9-]{0,50}[a-z0-9]$")


@dataclass(frozen=True)
class Parameter:
    name: str
    value: str

    @property
    def settings(self) -> dict[str, str]:
        """The arguments of a (cluster) parameter group's parameter.

        Always `pending-reboot`: AWS reports a parameter whose value equals the engine's default as
        `pending-reboot`, so `immediate` there shows a change on every preview (pulumi-aws
        aws.rds.ParameterGroup docs, "Problematic Plan Changes", solution 3); static parameters
        refuse `immediate` anyway. A new database starts with every value; on a running one a
        change applies at its next reboot.
        """
        return {"name": self.name, "value": self.value, "apply_method": APPLY_METHOD}


APPLY_METHOD = "pending-reboot"


PARAMETERS: tuple[Parameter, ...] = (
    Parameter("rds.force_ssl", "1"),
    Parameter("ssl_min_protocol_version", "TLSv1.2"),
    Parameter("shared_preload_libraries", "pg_stat_statements"),  # static: needs a reboot anyway
    Parameter("log_min_duration_statement", "1000"),  # ms: statements slower than a second
    Parameter("log_connections", "1"),
    Parameter("log_disconnections", "1"),
    Parameter("log_lock_waits", "1"),
    Parameter("log_temp_files", "10240"),  # kB: temporary files over 10 MiB
    Parameter("log_autovacuum_min_duration", "10000"),  # ms
)
PARAMETERS_SUMMARY = "TLS only, pg_stat_statements, statement logging"


class PostgresArgsError(ArgsError):
    """Bad ManagedPostgres arguments; the message starts with the field (`args.instance_class: ...`).

    A `RunError`, so `pulumi up` prints the message without a traceback.
    """


# The production profile (eksplatform/environments.py) gives the defaults a production database needs.
PRODUCTION = PROFILES["prod"]
DEFAULT_MAJOR_VERSION = 17
DEFAULT_ALLOCATED_STORAGE_GIB = 20
DEFAULT_BACKUP_WINDOW = "03:00-04:00"
DEFAULT_MAINTENANCE_WINDOW = "sun:04:30-sun:05:30"
DEFAULT_RPO_SECONDS = DEFAULT_RPO_MINUTES * 60


class PostgresEngine(StrEnum):
    """Which AWS service runs the database."""

    RDS = "rds"
    """One RDS for PostgreSQL instance on gp3 (a standby with Multi-AZ, read replicas optional)."""
    AURORA = "aurora"
    """An Aurora PostgreSQL cluster: a writer and readers over the zones; can join a global database."""


@dataclass(frozen=True, kw_only=True)
class PostgresGlobalDatabase:
    """Membership of an Aurora Global Database: this cluster writes it (primary) or copies it (secondary)."""

    role: GlobalRole
    """primary: this cluster creates the global database and writes; secondary: a read-only member."""
    global_cluster_identifier: pulumi.Input[str]
    """Primary: the identifier of the global database it creates (1-63 lowercase letters, digits and single hyphens,
    starting with a letter). Secondary: the global database to join (the primary's
    `globalClusterIdentifier` output)."""
    master_password: pulumi.Input[str] | None = None
    """Secondary only, required: the primary's master password (its `masterPassword` output, a
    secret), kept in this region's secret too."""
    writer_endpoint: pulumi.Input[str] | None = None
    """Secondary only, required: the global database's writer endpoint (the primary's `writerEndpoint`
    output); it follows the writer through failovers."""
    primary_instance_ids: list[pulumi.Input[str]] | None = None
    """Secondary only: the primary's DB instance ids (outputs). AWS adds a secondary only once the
    primary has a writer, so the cluster waits for them. Default: no wait."""


# The DB cluster identifier rules (RDS API, CreateDBCluster), lowercase only: RDS stores identifiers
# in lowercase, so an uppercase one would read back different and show a change on every preview.
_GLOBAL_CLUSTER_IDENTIFIER = re.compile(r"^[a-z](?!.*--)[a-z0-9-]{0,62}(?<!-)$")


@dataclass(frozen=True, kw_only=True)
class PostgresSettings:
    """What a person chooses for a PostgreSQL database: engine, size, version, windows, retention and
    protection; validated when built, each error naming its field. `ManagedPostgresArgs` adds what
    the stack wires in (identifier, network, access, alarms, global membership)."""

    engine: PostgresEngine
    """rds (one instance) or aurora (a cluster)."""
    instance_class: str
    """The DB instance class, e.g. `db.r7g.large`; one the engine offers (components/instance_types.py)."""
    major_version: int | None = None
    """PostgreSQL major version, 16 or 17. Default: 17."""
    engine_version: str | None = None
    """Full engine version of `major_version`, e.g. `17.5` (required in a global database; list them with
    `aws rds describe-db-engine-versions`). Default: the major version (AWS picks the minor)."""
    allocated_storage_gib: int | None = None
    """rds only: gp3 storage, 20-65536 GiB. Default: 20."""
    max_allocated_storage_gib: int | None = None
    """rds only: the storage autoscaling cap, at least 1.1x the allocated storage (AWS grows it by 10 % or more).
    Default: no autoscaling."""
    multi_az: bool | None = None
    """rds only: a synchronous standby in a second zone. Default: true (production)."""
    read_replicas: int | None = None
    """rds only: read replicas, 0-15. Default: 0."""
    readers: int | None = None
    """aurora only: reader instances across the zones, 0-15; the writer fails over to one. Default: 1 (production)."""
    backup_retention_days: int | None = None
    """Days of automated backups, 1-35. Default: 30 (production)."""
    backup_window: str | None = None
    """Daily backup window, UTC (`hh:mm-hh:mm`), at least 30 minutes, clear of the maintenance window.
    Default: 03:00-04:00."""
    maintenance_window: str | None = None
    """Weekly maintenance window, UTC (`ddd:hh:mm-ddd:hh:mm`), at least 30 minutes. Default: sun:04:30-sun:05:30."""
    proxy: bool | None = None
    """An RDS Proxy for connection pooling (TLS and IAM authentication required). Default: false."""
    log_retention_days: int | None = None
    """Days CloudWatch keeps the PostgreSQL logs (a CloudWatch retention period). Default: 365 (production)."""
    deletion_protection: bool | None = None
    """AWS refuses to delete the database while on. Default: true."""
    final_snapshot: bool | None = None
    """Take a final snapshot (`<identifier>-final`) when the database is deleted. Default: true."""
    keep_data: bool | None = None
    """`protect` and `retain_on_delete` the database, its global cluster and its key, so neither
    `pulumi destroy` nor a replacement loses data. Default: true (production)."""

    def __post_init__(self) -> None:
        # An Output or wrong type, named; on a ManagedPostgresArgs this checks its wiring fields' types too.
        check_fields(self, PostgresArgsError)
        try:
            self._check_settings()
        except DataRuleError as violation:
            raise PostgresArgsError(f"args.{violation.field}: {violation.message}") from None

    def _check_settings(self) -> None:
        rds_only = ("allocated_storage_gib", "max_allocated_storage_gib", "multi_az", "read_replicas")
        check_postgres(
            engine=self.resolved_engine.value,
            instance_class=self.instance_class,
            major_version=self.resolved_major_version,
            engine_version=self.engine_version,
            allocated_storage_gib=self.resolved_allocated_storage_gib,
            max_allocated_storage_gib=self.max_allocated_storage_gib,
            given=[name for name in (*rds_only, "readers") if getattr(self, name) is not None],
        )
        for name in ("read_replicas", "readers", "backup_retention_days"):
            check_range(name, getattr(self, name))
        check_postgres_windows(self.resolved_backup_window, self.resolved_maintenance_window)
        check_log_retention("log_retention_days", self.resolved_log_retention_days)

    # -- resolved values (None means the default) ---------------------------------------------

    @property
    def resolved_engine(self) -> PostgresEngine:
        return PostgresEngine(self.engine)

    @property
    def resolved_major_version(self) -> int:
        return self.major_version if self.major_version is not None else DEFAULT_MAJOR_VERSION

    @property
    def resolved_engine_version(self) -> str:
        """The pinned full version, or the major version (AWS then picks its default minor)."""
        return self.engine_version or str(self.resolved_major_version)

    @property
    def instance_classes(self) -> dict[str, float]:
        """The classes this engine offers (name -> memory in GiB)."""
        return postgres_classes(self.resolved_engine.value)

    @property
    def resolved_read_replicas(self) -> int:
        return self.read_replicas or 0

    @property
    def resolved_readers(self) -> int:
        return self.readers if self.readers is not None else int(PRODUCTION.aurora_standby)

    @property
    def instance_count(self) -> int:
        """DB instances that serve traffic: the writer plus replicas or readers."""
        extra = self.resolved_readers if self.resolved_engine is PostgresEngine.AURORA else self.resolved_read_replicas
        return 1 + extra

    @property
    def resolved_allocated_storage_gib(self) -> int:
        return self.allocated_storage_gib if self.allocated_storage_gib is not None else DEFAULT_ALLOCATED_STORAGE_GIB

    @property
    def resolved_multi_az(self) -> bool:
        return self.multi_az if self.multi_az is not None else PRODUCTION.rds_multi_az

    @property
    def resolved_backup_retention_days(self) -> int:
        if self.backup_retention_days is None:
            return PRODUCTION.min_backup_retention_days
        return self.backup_retention_days

    @property
    def resolved_backup_window(self) -> str:
        return self.backup_window or DEFAULT_BACKUP_WINDOW

    @property
    def resolved_maintenance_window(self) -> str:
        return self.maintenance_window or DEFAULT_MAINTENANCE_WINDOW

    @property
    def resolved_log_retention_days(self) -> int:
        return self.log_retention_days if self.log_retention_days is not None else PRODUCTION.min_log_retention_days

    @property
    def resolved_deletion_protection(self) -> bool:
        if self.deletion_protection is None:
            return PRODUCTION.database_deletion_protection
        return self.deletion_protection

    @property
    def resolved_final_snapshot(self) -> bool:
        return self.final_snapshot if self.final_snapshot is not None else PRODUCTION.final_snapshot

    @property
    def resolved_keep_data(self) -> bool:
        return self.keep_data if self.keep_data is not None else PRODUCTION.keep_data


@dataclass(frozen=True, kw_only=True)
class ManagedPostgresArgs(PostgresSettings):
    """One PostgreSQL database: its `PostgresSettings` plus identifier, network, access and global
    membership; validated when built."""

    identifier: str
    """The instance or cluster identifier: 2-52 lowercase letters, digits and single hyphens, starting
    with a letter; instances add `-<n>` or `-replica-<n>` (AWS allows 63 characters)."""
    vpc_id: pulumi.Input[str]
    """The VPC of the database's security group."""
    subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]]
    """The database subnets (at least two AZs; a Vpc's `databaseSubnetIds`)."""
    availability_zones: pulumi.Input[Sequence[str]]
    """Zones to spread instances over (the subnets' zones, a Vpc's `availabilityZones`)."""
    allowed_security_groups: Mapping[str, pulumi.Input[str]] | None = None
    """Security groups allowed to connect on 5432, keyed by a stable name (e.g. `eks-nodes`). Default: none."""
    allowed_cidrs: Mapping[str, str] | None = None
    """CIDRs allowed to connect on 5432 (e.g. peered regions' private subnets), keyed by a stable name.
    Default: none."""
    alarm_topic_arn: pulumi.Input[str] | None = None
    """The SNS topic alarms go to. Default: an encrypted topic of its own."""
    global_database: PostgresGlobalDatabase | None = None
    """Membership of an Aurora Global Database (aurora with a pinned `engine_version` only). Default: regional."""
    rpo_seconds: int | None = None
    """Replication lag above this raises an alarm (the recovery point objective). Default: 900."""

    def __post_init__(self) -> None:
        super().__post_init__()  # the fields' types and the settings' rules
        try:
            self._check_wiring()
        except DataRuleError as violation:
            raise PostgresArgsError(f"args.{violation.field}: {violation.message}") from None

    def _check_wiring(self) -> None:
        if not _IDENTIFIER.fullmatch(self.identifier):
            raise DataRuleError(
                "identifier",
                f"{self.identifier!r}: use 2-52 lowercase letters, digits and single hyphens, starting with a letter",
            )
        check_access_and_rpo(self.allowed_cidrs, self.rpo_seconds)
        if self.global_database is not None:
            self._check_global(self.resolved_engine)

    def _check_global(self, engine: PostgresEngine) -> None:
        assert self.global_database is not None
        check_global_database(
            self.global_database, engine=engine, engine_version=self.engine_version, instance_class=self.instance_class
        )

    # -- resolved values (None means the default) ---------------------------------------------

    @property
    def resolved_rpo_seconds(self) -> int:
        return self.rpo_seconds if self.rpo_seconds is not None else DEFAULT_RPO_SECONDS

    @property
    def global_role(self) -> GlobalRole | None:
        return GlobalRole(self.global_database.role) if self.global_database is not None else None


def check_global_database(
    member: PostgresGlobalDatabase, *, engine: str, engine_version: str | None, instance_class: str
) -> None:
    """An Aurora Global Database membership the database can take: aurora with a pinned version on a
    class a global database runs, a primary that names the global database, a secondary with the
    primary's outputs. ManagedPostgresArgs' rule, and RegionArgs' (eksplatform/stack/region.py)."""
    if str(engine) != PostgresEngine.AURORA:
        raise DataRuleError("global_database", "only engine aurora can join an Aurora Global Database")
    if engine_version is None:
        # A bare major version makes every later preview upgrade the global cluster: the provider
        # reads back the full version (terraform-provider-aws, rds/global_cluster.go, Read).
        raise DataRuleError("engine_version", "an Aurora Global Database needs a full engine version (e.g. '17.5')")
    check_global_database_class(instance_class)
    role = GlobalRole(member.role)  # the caller's check_fields has refused any other value
    secondary_only = ("master_password", "writer_endpoint", "primary_instance_ids")
    if role is GlobalRole.PRIMARY:
        identifier = member.global_cluster_identifier
        if not isinstance(identifier, str) or not _GLOBAL_CLUSTER_IDENTIFIER.fullmatch(identifier):
            raise DataRuleError(
                "global_database.global_cluster_identifier",
                f"{identifier!r}: a primary names its global database: 1-63 lowercase letters, digits and single "
                "hyphens, starting with a letter",
            )
        for name in secondary_only:
            if getattr(member, name) is not None:
                raise DataRuleError(f"global_database.{name}", "only a secondary takes it")
    else:
        for name in ("master_password", "writer_endpoint"):
            if getattr(member, name) is None:
                raise DataRuleError(f"global_database.{name}", "a secondary needs it (the primary's output)")


class ManagedPostgres(pulumi.ComponentResource):
    """An encrypted, TLS-only PostgreSQL: one RDS instance or an Aurora cluster."""

    writer_endpoint: pulumi.Output[str]
    """Where writes go: the instance address, the cluster endpoint, or (in a global database, every
    region) the global writer endpoint, which Aurora moves to the new primary on a switchover or
    failover."""
    cluster_endpoint: pulumi.Output[str]
    """This region's own writer address (instance address or cluster endpoint); read-only in a
    global secondary."""
    reader_endpoint: pulumi.Output[str]
    """Aurora: the reader endpoint; RDS: the first read replica, or the writer when there is none."""
    port: pulumi.Output[int]
    """The PostgreSQL port (5432)."""
    secret_arn: pulumi.Output[str]
    """Secrets Manager secret with the master `username` and `password`."""
    security_group_id: pulumi.Output[str]
    """The database's security group (5432 from the allowed groups and CIDRs only)."""
    identifier: pulumi.Output[str]
    """The cluster identifier (aurora) or instance identifier (rds)."""
    arn: pulumi.Output[str]
    """The cluster's or instance's ARN (the failover runbook names clusters by ARN)."""
    kms_key_arn: pulumi.Output[str]
    """The customer-managed key of storage, snapshots, Performance Insights and the secret."""
    proxy_endpoint: pulumi.Output[str] | None
    """The RDS Proxy's endpoint (with `proxy` only)."""
    proxy_reader_endpoint: pulumi.Output[str] | None
    """The RDS Proxy's read-only endpoint (aurora with `proxy` and readers only)."""
    global_cluster_identifier: pulumi.Output[str] | None
    """The Aurora Global Database's identifier (a global primary only)."""
    master_password: pulumi.Output[str] | None
    """Global primaries only (a secret): the password secondaries store for their region. Not in the
    registered outputs, so the state holds it only in the secret itself."""

    def __init__(self, name: str, args: ManagedPostgresArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        args = to_args(ManagedPostgresArgs, args)  # other languages pass a dict (docs/other-languages.md)
        super().__init__("platform:index:ManagedPostgres", name, None, opts)
        self._name = name
        self._args = args
        self._context = context = AwsContext.of(self)

        self.key = customer_managed_key(
            f"{name}-key",
            description=f"Encrypts PostgreSQL {args.identifier}: storage, snapshots, Performance Insights, secret",
            context=context,
            parent=self,
            alias=f"{args.identifier}/rds",
            protect=args.resolved_keep_data,
        )
        self.security_group = port_only_from_groups(
            name,
            vpc_id=args.vpc_id,
            port=PORT,
            what=f"PostgreSQL {args.identifier}",
            allowed=args.allowed_security_groups or {},
            allowed_cidrs=args.allowed_cidrs or {},
            tag_name=f"{args.identifier}-postgres",
            parent=self,
        )
        self.subnet_group = aws.rds.SubnetGroup(
            f"{name}-subnets",
            name=args.identifier,
            description=f"Database subnets of PostgreSQL {args.identifier}",
            subnet_ids=args.subnet_ids,
            tags={"Name": args.identifier},
            opts=self._child(),
        )
        self.monitoring_role = role(
            f"{name}-monitoring",
            description=f"Enhanced monitoring of PostgreSQL {args.identifier}",
            trust=trust_policy(principal_type="Service", identifiers=["monitoring.rds.amazonaws.com"], parent=self),
            parent=self,
            managed_policies={
                "enhanced-monitoring": context.managed_policy("service-role/AmazonRDSEnhancedMonitoringRole")
            },
        )

        # A global database cannot let RDS manage its master password: it gets a generated one.
        self.master_password = None
        self._stored_secret: aws.secretsmanager.Secret | None = None
        if args.global_database is not None:
            secondary = args.global_database if args.global_role is GlobalRole.SECONDARY else None
            stored = stored_password(
                f"{name}-master",
                description=f"Master user of PostgreSQL {args.identifier} (Aurora Global Database)",
                kms_key_arn=self.key.arn,
                fields={"username": MASTER_USERNAME, "engine": "postgres", "port": PORT, "dbname": DATABASE_NAME},
                given=secondary.master_password if secondary else None,
                parent=self,
            )
            self._stored_secret = stored.secret
            self.master_password = pulumi.Output.secret(stored.password)

        self.global_cluster_identifier = None
        self._global_writer_endpoint: pulumi.Input[str] | None = None
        self._cluster: aws.rds.Cluster | None = None
        if args.resolved_engine is PostgresEngine.AURORA:
            self.instances = self._aurora()
        else:
            self.instances = self._rds()

        self.proxy_endpoint = None
        self.proxy_reader_endpoint = None
        if args.proxy:
            self._proxy()

        topic_arn = args.alarm_topic_arn
        if topic_arn is None:
            topic_arn = encrypted_alarm_topic(
                f"{name}-alarms", description=f"PostgreSQL {args.identifier}", context=context, parent=self
            ).arn
        self._alarms(topic_arn)

        self.security_group_id = self.security_group.id
        self.kms_key_arn = self.key.arn
        self.register_outputs(
            {
                "writerEndpoint": self.writer_endpoint,
                "clusterEndpoint": self.cluster_endpoint,
                "readerEndpoint": self.reader_endpoint,
                "port": self.port,
                "secretArn": self.secret_arn,
                "securityGroupId": self.security_group_id,
                "identifier": self.identifier,
                "arn": self.arn,
                "kmsKeyArn": self.kms_key_arn,
                "proxyEndpoint": self.proxy_endpoint,
                "proxyReaderEndpoint": self.proxy_reader_endpoint,
                "globalClusterIdentifier": self.global_cluster_identifier,
            }
        )

    def membership(self) -> PostgresGlobalDatabase:
        """What a secondary region's ManagedPostgres needs to join this primary's global database
        (it runs the same `engine_version`)."""
        if self.global_cluster_identifier is None or self.master_password is None or self._cluster is None:
            raise PostgresArgsError(f"{self._name} is not a global database primary; it has no membership to give")
        return PostgresGlobalDatabase(
            role=GlobalRole.SECONDARY,
            global_cluster_identifier=self.global_cluster_identifier,
            master_password=self.master_password,
            writer_endpoint=self.writer_endpoint,
            primary_instance_ids=[instance.id for instance in self.instances.values()],
        )

    # -- helpers ------------------------------------------------------------------------------

    def _child(self, **options: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **options)

    def _kept(self, **options: Any) -> pulumi.ResourceOptions:
        """Options for resources that hold data: in prod neither `destroy` nor a replacement loses it."""
        keep = self._args.resolved_keep_data
        return pulumi.ResourceOptions(parent=self, protect=keep, retain_on_delete=keep, **options)

    def _zone(self, index: int) -> pulumi.Output[str]:
        return pulumi.Output.from_input(self._args.availability_zones).apply(lambda zones: zones[index % len(zones)])

    def _log_groups(self, groups: Mapping[str, str]) -> list[aws.cloudwatch.LogGroup]:
        """Created before the database, so RDS writes into encrypted groups with a retention."""
        created = encrypted_log_groups(
            f"{self._name}-logs-key",
            groups,
            retention_days=self._args.resolved_log_retention_days,
            description=f"the logs of PostgreSQL {self._args.identifier}",
            context=self._context,
            parent=self,
        )
        return list(created.values())

    def _instance_settings(self, index: int) -> dict[str, Any]:
        """Settings every DB instance shares, RDS or Aurora."""
        return {
            "instance_class": self._args.instance_class,
            "availability_zone": self._zone(index),
            "publicly_accessible": False,
            "performance_insights_enabled": True,
            "performance_insights_kms_key_id": self.key.arn,
            "performance_insights_retention_period": PERFORMANCE_INSIGHTS_RETENTION_DAYS,
            "monitoring_interval": MONITORING_INTERVAL_SECONDS,
            "monitoring_role_arn": self.monitoring_role.arn,
            # A global database upgrades through its global cluster (the pinned engineVersion); AWS
            # does not apply automatic minor upgrades to its members.
            "auto_minor_version_upgrade": self._args.global_database is None,
            "apply_immediately": False,  # changes wait for the maintenance window
            "copy_tags_to_snapshot": True,
            "ca_cert_identifier": CA_CERTIFICATE,
        }

    def _retention_settings(self) -> dict[str, Any]:
        """Backups, deletion protection and the final snapshot (RDS and Aurora name them alike)."""
        args = self._args
        return {
            "backup_retention_period": args.resolved_backup_retention_days,
            "copy_tags_to_snapshot": True,
            "deletion_protection": args.resolved_deletion_protection,
            "skip_final_snapshot": not args.resolved_final_snapshot,
            "final_snapshot_identifier": f"{args.identifier}-final" if args.resolved_final_snapshot else None,
            "delete_automated_backups": not args.resolved_final_snapshot,
            "storage_encrypted": True,
            "kms_key_id": self.key.arn,
            "iam_database_authentication_enabled": True,
            "vpc_security_group_ids": [self.security_group.id],
            "apply_immediately": False,
            "allow_major_version_upgrade": False,
            "tags": {"Name": args.identifier},
        }

    def _managed_master_password(self) -> dict[str, Any]:
        return {
            "manage_master_user_password": True,
            "master_user_secret_kms_key_id": self.key.arn,
        }

    # -- RDS ----------------------------------------------------------------------------------

    def _rds(self) -> dict[str, aws.rds.Instance]:
        args, name = self._args, self._name
        parameters = aws.rds.ParameterGroup(
            f"{name}-params",
            family=f"postgres{args.resolved_major_version}",
            description=f"PostgreSQL {args.identifier}: {PARAMETERS_SUMMARY}",
            parameters=[aws.rds.ParameterGroupParameterArgs(**p.settings) for p in PARAMETERS],
            opts=self._child(),
        )
        # Labels name the Pulumi resources; identifiers are what AWS calls the instances.
        replicas = {f"replica-{n}": f"{args.identifier}-replica-{n}" for n in range(1, args.resolved_read_replicas + 1)}
        log_groups = self._log_groups(
            {
                f"{name}-{label}-{kind}-log": f"/aws/rds/instance/{instance_id}/{kind}"
                for label, instance_id in {"db": args.identifier, **replicas}.items()
                for kind in ("postgresql", "upgrade")
            }
        )
        shared = {
            "parameter_group_name": parameters.name,
            "storage_type": "gp3",
            "max_allocated_storage": args.max_allocated_storage_gib,
            "enabled_cloudwatch_logs_exports": ["postgresql", "upgrade"],
            "port": PORT,
        }
        primary = aws.rds.Instance(
            f"{name}-db",
            identifier=args.identifier,
            engine="postgres",
            engine_version=args.resolved_engine_version,
            allocated_storage=args.resolved_allocated_storage_gib,
            multi_az=args.resolved_multi_az,
            db_subnet_group_name=self.subnet_group.name,
            db_name=DATABASE_NAME,
            username=MASTER_USERNAME,
            backup_window=args.resolved_backup_window,
            maintenance_window=args.resolved_maintenance_window,
            **self._managed_master_password(),
            **{**self._retention_settings(), **self._instance_settings(0), **shared},
            opts=self._kept(depends_on=[*log_groups, *self.monitoring_role.ready]),
        )
        instances = {"db": primary}
        for index, (label, replica_id) in enumerate(replicas.items(), start=1):
            instances[label] = aws.rds.Instance(
                f"{name}-{label}",
                identifier=replica_id,
                replicate_source_db=primary.identifier,
                maintenance_window=args.resolved_maintenance_window,
                **{
                    **self._retention_settings(),
                    **self._instance_settings(index),
                    **shared,
                    # A replica's data is the primary's: no backups or final snapshot of its own.
                    "backup_retention_period": 0,
                    "skip_final_snapshot": True,
                    "final_snapshot_identifier": None,
                    "delete_automated_backups": True,
                },
                opts=self._child(depends_on=[*log_groups, *self.monitoring_role.ready]),
            )

        self.identifier = primary.identifier
        self.arn = primary.arn
        self.port = primary.port
        self.writer_endpoint = self.cluster_endpoint = primary.address
        self.reader_endpoint = instances["replica-1"].address if replicas else primary.address
        self.secret_arn = primary.master_user_secrets.apply(lambda secrets: secrets[0]["secret_arn"])
        return instances

    # -- Aurora -------------------------------------------------------------------------------

    def _aurora(self) -> dict[str, aws.rds.ClusterInstance]:
        args, name = self._args, self._name
        parameters = aws.rds.ClusterParameterGroup(
            f"{name}-params",
            family=f"aurora-postgresql{args.resolved_major_version}",
            description=f"Aurora PostgreSQL {args.identifier}: {PARAMETERS_SUMMARY}",
            parameters=[aws.rds.ClusterParameterGroupParameterArgs(**p.settings) for p in PARAMETERS],
            opts=self._child(),
        )
        log_groups = self._log_groups({f"{name}-postgresql-log": f"/aws/rds/cluster/{args.identifier}/postgresql"})

        engine_version = args.resolved_engine_version
        membership: dict[str, Any] = {}
        credentials: dict[str, Any] = {}
        final_snapshot = self._retention_settings()
        membership_options: dict[str, Any] = {}
        global_database = args.global_database
        role = args.global_role
        if global_database is not None and role is GlobalRole.PRIMARY:
            global_cluster = aws.rds.GlobalCluster(
                f"{name}-global",
                global_cluster_identifier=global_database.global_cluster_identifier,
                engine="aurora-postgresql",
                engine_version=engine_version,
                database_name=DATABASE_NAME,
                storage_encrypted=True,
                deletion_protection=args.resolved_deletion_protection,
                opts=self._kept(),
            )
            self.global_cluster_identifier = global_cluster.global_cluster_identifier
            self._global_writer_endpoint = global_cluster.endpoint
            membership["global_cluster_identifier"] = global_cluster.id
            credentials = {"master_username": MASTER_USERNAME, "master_password": self.master_password}
        elif global_database is not None:
            self._global_writer_endpoint = global_database.writer_endpoint
            # AWS adds a secondary only once the primary has a writer: its instance ids carry the wait.
            waits = global_database.primary_instance_ids or []
            membership["global_cluster_identifier"] = pulumi.Output.all(
                global_database.global_cluster_identifier, *waits
            ).apply(lambda values: str(values[0]))
            # The primary keeps the data and takes the final snapshot; a secondary is a copy.
            final_snapshot = {**final_snapshot, "skip_final_snapshot": True, "final_snapshot_identifier": None}
        else:
            credentials = {"master_username": MASTER_USERNAME, **self._managed_master_password()}
        if global_database is not None:
            membership_options["ignore_changes"] = GLOBAL_MEMBERSHIP_FIELDS

        secondary = role is GlobalRole.SECONDARY
        cluster = aws.rds.Cluster(
            f"{name}-cluster",
            cluster_identifier=args.identifier,
            engine="aurora-postgresql",
            engine_mode="provisioned",
            engine_version=engine_version,
            database_name=None if secondary else DATABASE_NAME,
            db_subnet_group_name=self.subnet_group.name,
            db_cluster_parameter_group_name=parameters.name,
            port=PORT,
            preferred_backup_window=args.resolved_backup_window,
            preferred_maintenance_window=args.resolved_maintenance_window,
            enabled_cloudwatch_logs_exports=["postgresql"],
            **membership,
            **credentials,
            **final_snapshot,
            opts=self._kept(depends_on=log_groups, **membership_options),
        )
        self._cluster = cluster
        instances: dict[str, aws.rds.ClusterInstance] = {}
        for index in range(args.instance_count):
            label = f"instance-{index + 1}"
            settings = self._instance_settings(index)
            instances[label] = aws.rds.ClusterInstance(
                f"{name}-{label}",
                identifier=f"{args.identifier}-{index + 1}",
                cluster_identifier=cluster.id,
                engine="aurora-postgresql",
                db_subnet_group_name=self.subnet_group.name,
                preferred_maintenance_window=args.resolved_maintenance_window,
                promotion_tier=0 if index == 0 else 1,  # the first instance is the writer's heir
                **settings,
                opts=self._child(depends_on=self.monitoring_role.ready),
            )

        self.identifier = cluster.cluster_identifier
        self.arn = cluster.arn
        self.port = cluster.port
        self.cluster_endpoint = cluster.endpoint
        self.writer_endpoint = (
            pulumi.Output.from_input(self._global_writer_endpoint)
            if self._global_writer_endpoint is not None
            else cluster.endpoint
        )
        self.reader_endpoint = cluster.reader_endpoint
        if self._stored_secret is not None:
            self.secret_arn = self._stored_secret.arn
        else:
            self.secret_arn = cluster.master_user_secrets.apply(lambda secrets: secrets[0]["secret_arn"])
        return instances

    # -- RDS Proxy ----------------------------------------------------------------------------

    def _proxy(self) -> None:
        """Connection pooling in front of the database: TLS required, IAM auth for clients."""
        args, name = self._args, self._name
        proxy_group = port_only_from_groups(
            f"{name}-proxy",
            vpc_id=args.vpc_id,
            port=PORT,
            what=f"RDS Proxy {args.identifier}",
            allowed=args.allowed_security_groups or {},
            allowed_cidrs=args.allowed_cidrs or {},
            tag_name=f"{args.identifier}-proxy",
            parent=self,
        )
        # The proxy's only way out is to the database, and the database lets it in.
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-proxy-to-db",
            security_group_id=proxy_group.id,
            description=f"RDS Proxy to PostgreSQL {args.identifier}",
            ip_protocol="tcp",
            from_port=PORT,
            to_port=PORT,
            referenced_security_group_id=self.security_group.id,
            opts=self._child(),
        )
        port_from_group(
            f"{name}-from-proxy",
            security_group_id=self.security_group.id,
            port=PORT,
            description=f"PostgreSQL {args.identifier} from its RDS Proxy",
            source_group_id=proxy_group.id,
            parent=self,
        )
        proxy_role = role(
            f"{name}-proxy",
            description=f"RDS Proxy {args.identifier}: reads the master secret",
            trust=trust_policy(
                principal_type="Service",
                identifiers=["rds.amazonaws.com"],
                conditions=[
                    Condition(test="StringEquals", variable="aws:SourceAccount", values=[self._context.account])
                ],
                parent=self,
            ),
            parent=self,
        )
        grants = [
            inline_policy(
                f"{name}-proxy-secret",
                role=proxy_role,
                sid="ReadTheMasterSecret",
                actions=["secretsmanager:GetSecretValue"],
                resources=[self.secret_arn],
                parent=self,
            ),
            inline_policy(
                f"{name}-proxy-key",
                role=proxy_role,
                sid="DecryptTheMasterSecret",
                actions=["kms:Decrypt"],
                resources=[self.key.arn],
                parent=self,
            ),
        ]
        proxy = aws.rds.Proxy(
            f"{name}-proxy",
            name=args.identifier,
            engine_family="POSTGRESQL",
            require_tls=True,
            role_arn=proxy_role.arn,
            vpc_subnet_ids=args.subnet_ids,
            vpc_security_group_ids=[proxy_group.id],
            idle_client_timeout=1800,
            debug_logging=False,  # it would log statements, secrets included
            auths=[
                aws.rds.ProxyAuthArgs(
                    auth_scheme="SECRETS",
                    secret_arn=self.secret_arn,
                    iam_auth="REQUIRED",
                    client_password_auth_type="POSTGRES_SCRAM_SHA_256",
                    description=f"{MASTER_USERNAME} through IAM authentication",
                )
            ],
            tags={"Name": args.identifier},
            opts=self._child(depends_on=[*proxy_role.ready, *grants]),
        )
        pool = aws.rds.ProxyDefaultTargetGroup(
            f"{name}-proxy-pool",
            db_proxy_name=proxy.name,
            connection_pool_config=aws.rds.ProxyDefaultTargetGroupConnectionPoolConfigArgs(
                max_connections_percent=90,  # leaves room for administrators and AWS automation
                max_idle_connections_percent=50,
                connection_borrow_timeout=120,
            ),
            opts=self._child(),
        )
        target = (
            {"db_cluster_identifier": self._cluster.cluster_identifier}
            if self._cluster is not None
            else {"db_instance_identifier": self.identifier}
        )
        aws.rds.ProxyTarget(
            f"{name}-proxy-target",
            db_proxy_name=proxy.name,
            target_group_name="default",
            **target,
            opts=self._child(depends_on=[pool, *self.instances.values()]),
        )
        self.proxy_endpoint = proxy.endpoint
        if self._cluster is not None and self._args.resolved_readers > 0:
            readers = aws.rds.ProxyEndpoint(
                f"{name}-proxy-readers",
                db_proxy_name=proxy.name,
                db_proxy_endpoint_name=f"{args.identifier}-ro",
                vpc_subnet_ids=args.subnet_ids,
                vpc_security_group_ids=[proxy_group.id],
                target_role="READ_ONLY",
                opts=self._child(),
            )
            self.proxy_reader_endpoint = readers.endpoint

    # -- alarms -------------------------------------------------------------------------------

    def _alarms(self, topic_arn: pulumi.Input[str]) -> None:
        """Per instance: CPU, free storage and connections; replication lag against the RPO."""
        args, name = self._args, self._name
        memory_gib = args.instance_classes[args.instance_class]
        connections = int(default_max_connections(memory_gib) * CONNECTIONS_ALARM_FRACTION)
        if args.resolved_engine is PostgresEngine.AURORA:
            storage_metric = "FreeLocalStorage"
            storage_bytes = memory_gib * AURORA_LOCAL_STORAGE_PER_GIB_OF_MEMORY * GIB
        else:
            storage_metric = "FreeStorageSpace"
            storage_bytes = args.resolved_allocated_storage_gib * GIB
        for label, instance in self.instances.items():
            dimensions = {"DBInstanceIdentifier": instance.identifier}
            what = f"{args.identifier} {label}"
            threshold_alarm(
                f"{name}-cpu-{label}",
                description=f"{what}: CPU above {CPU_ALARM_PERCENT:g}% for 5 minutes",
                namespace="AWS/RDS",
                metric="CPUUtilization",
                dimensions=dimensions,
                threshold=CPU_ALARM_PERCENT,
                topic_arn=topic_arn,
                parent=self,
            )
            threshold_alarm(
                f"{name}-storage-{label}",
                description=f"{what}: {storage_metric} below {FREE_STORAGE_ALARM_FRACTION:.0%} "
                f"({storage_bytes * FREE_STORAGE_ALARM_FRACTION / GIB:g} GiB)",
                namespace="AWS/RDS",
                metric=storage_metric,
                dimensions=dimensions,
                threshold=storage_bytes * FREE_STORAGE_ALARM_FRACTION,
                comparison="LessThanThreshold",
                statistic="Minimum",
                topic_arn=topic_arn,
                parent=self,
            )
            threshold_alarm(
                f"{name}-connections-{label}",
                description=f"{what}: over {connections} connections, {CONNECTIONS_ALARM_FRACTION:.0%} of the "
                f"default max_connections of {args.instance_class}",
                namespace="AWS/RDS",
                metric="DatabaseConnections",
                dimensions=dimensions,
                threshold=connections,
                statistic="Maximum",
                topic_arn=topic_arn,
                parent=self,
            )
            if label.startswith("replica-"):
                self._lag_alarm(
                    f"{name}-lag-{label}", "ReplicaLag", dimensions, args.resolved_rpo_seconds, "seconds", topic_arn
                )
        if args.global_role is GlobalRole.SECONDARY and self._cluster is not None:
            # Published in the secondary's region; its exact dimension set (with or without
            # SourceRegion) is not documented, so the alarm asks Metrics Insights for the
            # metric by cluster, whatever other dimensions it carries.
            lag_alarm(
                f"{name}-global-lag",
                description=f"{args.identifier}: AuroraGlobalDBReplicationLag above the RPO "
                f"({args.resolved_rpo_seconds * 1000} ms), or not reported (secondary detached or region lost)",
                query=f'SELECT MAX(AuroraGlobalDBReplicationLag) FROM "AWS/RDS" '
                f"WHERE DBClusterIdentifier = '{args.identifier}'",
                threshold=args.resolved_rpo_seconds * 1000,
                topic_arn=topic_arn,
                parent=self,
            )

    def _lag_alarm(
        self,
        alarm_name: str,
        metric: str,
        dimensions: Mapping[str, pulumi.Input[str]],
        threshold: float,
        unit: str,
        topic_arn: pulumi.Input[str],
    ) -> None:
        lag_alarm(
            alarm_name,
            description=f"{self._args.identifier}: {metric} above the RPO ({threshold:g} {unit}), or not reported "
            "(replica detached or region lost); a failover now would lose more data than allowed",
            series=MetricSeries("AWS/RDS", metric, [dimensions]),
            threshold=threshold,
            topic_arn=topic_arn,
            parent=self,
        )

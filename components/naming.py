"""AWS physical names, derived from the project and the stack (never from `environment`).

Two stacks of one environment (`dev` and `dev-alice`, same config) deploy side by side in one
account: every name AWS keeps unique starts with `<project>-<stack>`. The environment stays in
the tags and decides behaviour (deletion protection, snapshots), not names. For the stacks named
after their environment (dev, staging, prod) this is exactly the name they always had
(`platform-dev-...`), so nothing of theirs is renamed or replaced.

Each kind of name has AWS's length limit and character set (below, with the source); a name
that would not fit is cut and ends in a stable hash of the whole, so it stays unique and never
changes between runs. A stack name with characters a name may not hold (`_`, `.`, capitals) is
spelled with hyphens and a hash of the original, so `dev_a` and `dev.a` stay apart.

Decision (docs/naming.md): the ECR repositories are shared by the stacks of an account. They hold
immutable, tag-pinned images that every stack of the environment runs; the environment's own
stack (stack name == environment) creates them, and any other stack pulls from them and creates
none.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import pulumi

from eksplatform.components.aws_context import short_region

HASH_LENGTH = 8


class NamingError(pulumi.RunError, ValueError):
    """A name that cannot be made to fit; the message names the setting."""


@dataclass(frozen=True)
class NameRule:
    """One kind of AWS name: its length limit and where the limit is written."""

    what: str
    max_length: int
    source: str


# RDS DB instance / cluster identifiers: 1-63 letters, digits and hyphens, a letter first, no
# `--`, no trailing hyphen (RDS API reference, CreateDBInstance / CreateDBCluster). The base
# identifier keeps 11 characters for what ManagedPostgres appends (`-replica-N`, `-final`, `-ro`).
RDS_IDENTIFIER = NameRule("RDS identifier", 52, "RDS API CreateDBCluster DBClusterIdentifier (63), minus suffixes")
# Aurora global cluster identifier. The RDS API reference (CreateGlobalCluster) states no length
# and terraform-provider-aws accepts up to 255; 63, a DB cluster identifier's limit, is our
# conservative assumption, not a documented limit.
RDS_GLOBAL_CLUSTER = NameRule(
    "Aurora global cluster identifier", 63, "assumed: a DB cluster identifier's 63 (CreateGlobalCluster states none)"
)
# ElastiCache replication group id: 1-40 letters, digits and hyphens, a letter first, no `--`, no
# trailing hyphen, stored lowercase (ElastiCache API reference, CreateReplicationGroup;
# terraform-provider-aws elasticache validReplicationGroupID).
ELASTICACHE_REPLICATION_GROUP = NameRule(
    "ElastiCache replication group id", 40, "ElastiCache API CreateReplicationGroup ReplicationGroupId"
)
# Global Datastore suffix: ElastiCache prefixes it with a region-set id (`<prefix>-<suffix>`)
# (ElastiCache API CreateGlobalReplicationGroup). The API states no length for the suffix; 40, a
# replication group id's limit, is our assumption.
ELASTICACHE_GLOBAL_SUFFIX = NameRule(
    "Global Datastore suffix", 40, "assumed: a replication group id's 40 (CreateGlobalReplicationGroup states none)"
)
# EKS cluster name: 1-100 characters, a letter or digit first, then letters, digits, `-` and `_`
# (EKS API reference, CreateCluster name; terraform-provider-aws eks validClusterName).
EKS_CLUSTER = NameRule("EKS cluster name", 100, "EKS API CreateCluster name")
# CloudWatch Logs group name: 1-512 characters of [.-_/#A-Za-z0-9] (CloudWatch Logs API
# reference, CreateLogGroup logGroupName).
LOG_GROUP = NameRule("CloudWatch Logs group name", 512, "CloudWatch Logs API CreateLogGroup logGroupName")
# CloudWatch alarm name: 1-255 characters (CloudWatch API reference, PutMetricAlarm AlarmName).
ALARM = NameRule("CloudWatch alarm name", 255, "CloudWatch API PutMetricAlarm AlarmName")
# What the writer-health alarms append to `StackNames.alarm(...)`: `-<8 hex digits>`
# (components/writer_health.py), so the prefix leaves room for it.
ALARM_SUFFIX_LENGTH = 1 + HASH_LENGTH
ALARM_PREFIX = NameRule(
    "CloudWatch alarm name prefix",
    ALARM.max_length - ALARM_SUFFIX_LENGTH,
    "PutMetricAlarm AlarmName (255) minus `-<hash>`",
)
# CloudWatch dashboard name: up to 255 of A-Z, a-z, 0-9, `-` and `_` (CloudWatch API reference,
# PutDashboard DashboardName). Dashboards are per account, and PutDashboard overwrites one of the
# same name without a word, so two stacks must never share one.
DASHBOARD = NameRule("CloudWatch dashboard name", 255, "CloudWatch API PutDashboard DashboardName")

_NOT_IN_IDENTIFIER = re.compile(r"[^a-z0-9]+")


def digest(text: str, length: int = HASH_LENGTH) -> str:
    """A stable hex digest of `text` (the same in every run and on every machine)."""
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def fit(name: str, rule: NameRule) -> str:
    """`name` when it fits `rule`; else cut, ending in `-<hash of name>` (still unique, still stable)."""
    if len(name) <= rule.max_length:
        return name
    keep = rule.max_length - HASH_LENGTH - 1
    if keep < 1:
        raise NamingError(f"{rule.what}: {rule.max_length} characters cannot hold a name and its hash")
    return f"{name[:keep].rstrip('-')}-{digest(name)}"


def identifier_part(text: str) -> str:
    """`text` in lowercase letters, digits and single hyphens; a hash of the original when spelled differently.

    RDS and ElastiCache identifiers allow no `_`, `.` or capitals; without the hash `dev_a` and
    `dev.a` would both be `dev-a`.
    """
    spelled = _NOT_IN_IDENTIFIER.sub("-", text.lower()).strip("-")
    if spelled == text:
        return text
    return f"{spelled}-{digest(text, 6)}" if spelled else f"x{digest(text, 6)}"


@dataclass(frozen=True)
class StackNames:
    """The physical names of one stack of one project."""

    project: str
    stack: str
    environment: str
    """Only for `owns_shared`: names never contain it unless the stack is named after it."""

    def __post_init__(self) -> None:
        for setting, value in (("project", self.project), ("stack", self.stack)):
            if not value.strip():
                raise NamingError(f"{setting}: names derive from the {setting} name, and it is empty")

    @classmethod
    def of_current_stack(cls, environment: str) -> StackNames:
        """The names of the stack the program runs in (`pulumi.get_project()`, `pulumi.get_stack()`)."""
        return cls(project=pulumi.get_project(), stack=pulumi.get_stack(), environment=environment)

    @property
    def prefix(self) -> str:
        """`<project>-<stack>`, e.g. `platform-dev`: what every name this stack owns starts with.

        It starts with a letter when the project does (Pulumi project names usually do); the
        identifiers below check it through their components' own validation.
        """
        return f"{identifier_part(self.project)}-{identifier_part(self.stack)}"

    @property
    def owns_shared(self) -> bool:
        """The environment's own stack (stack name == environment): it creates what the stacks of
        the environment share in an account (the ECR repositories) and keeps the names it had."""
        return self.stack == self.environment

    def eks_cluster(self, region: str) -> str:
        """`platform-dev-us-east-1`: EKS cluster names are unique per account and region."""
        return fit(f"{self.prefix}-{region}", EKS_CLUSTER)

    def database(self, region: str) -> str:
        """`platform-dev-use1`: the RDS instance or Aurora cluster identifier (unique per account and region)."""
        return fit(f"{self.prefix}-{short_region(region)}", RDS_IDENTIFIER)

    def global_database(self) -> str:
        """`platform-prod`: the Aurora global cluster identifier (unique per account, all regions)."""
        return fit(self.prefix, RDS_GLOBAL_CLUSTER)

    def cache(self, region: str, purpose: str) -> str:
        """`platform-dev-use1-queue`: the replication group id (unique per account and region)."""
        return fit(f"{self.prefix}-{short_region(region)}-{purpose}", ELASTICACHE_REPLICATION_GROUP)

    def global_datastore_suffix(self, purpose: str) -> str:
        """`platform-prod-queue`: the Global Datastore's suffix (its id is unique per account)."""
        return fit(f"{self.prefix}-{purpose}", ELASTICACHE_GLOBAL_SUFFIX)

    def flow_log_group(self, vpc: str) -> str:
        """Where a VPC's flow logs go: `/platform/vpc/<vpc>/flow-logs` for the environment's own stack
        (the name it always had), `/platform/<stack>/vpc/<vpc>/flow-logs` for any other."""
        scope = self.project if self.owns_shared else f"{self.project}/{self.stack}"
        return fit(f"/{scope}/vpc/{vpc}/flow-logs", LOG_GROUP)

    def alarm(self, name: str) -> str:
        """`platform-prod-<name>`: the prefix of alarms the stack names itself (unique per account and
        region); it leaves room for the `-<8 hex>` the writer-health alarms append."""
        return fit(f"{self.prefix}-{name}", ALARM_PREFIX)

    def dashboard(self, name: str) -> str:
        """`platform-prod-<name>`: a dashboard the stack names itself (`global`)."""
        return fit(f"{self.prefix}-{name}", DASHBOARD)

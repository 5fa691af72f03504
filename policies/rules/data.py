"""Data protection: backups, deletion protection, final snapshots, standbys, logs, one global database."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from itertools import pairwise
from typing import Any

from eksplatform.components.facts import SUPPORTED_KUBERNETES_VERSIONS
from eksplatform.policies.rule import (
    Resource,
    Rule,
    StackRule,
    at,
    decoded,
    each,
    is_unknown,
    mapping,
    schema,
    sequence,
    tags_of,
)

RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
RDS_CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
RDS_GLOBAL_CLUSTER = "aws:rds/globalCluster:GlobalCluster"
ELASTICACHE_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
ELASTICACHE_CLUSTER = "aws:elasticache/cluster:Cluster"
ELASTICACHE_SERVERLESS = "aws:elasticache/serverlessCache:ServerlessCache"
ELASTICACHE_USER = "aws:elasticache/user:User"
SECRET = "aws:secretsmanager/secret:Secret"
SECRET_VERSION = "aws:secretsmanager/secretVersion:SecretVersion"
EKS_CLUSTER = "aws:eks/cluster:Cluster"


def _replica(resource: Resource) -> bool:
    return resource.type == RDS_INSTANCE and bool(resource.props.get("replicateSourceDb"))


def _global_secondary(resource: Resource) -> bool:
    """A member of a global database that did not create it (no master user of its own)."""
    props = resource.props
    return (
        resource.type == RDS_CLUSTER
        and bool(props.get("globalClusterIdentifier"))
        and not (props.get("masterUsername") or props.get("snapshotIdentifier"))
    )


def _owns_data(resource: Resource) -> bool:
    """Read replicas and global secondaries copy another database: the source takes the final
    snapshot and (for instances) the Multi-AZ standby. Backups are asked of secondaries too."""
    if resource.type == RDS_GLOBAL_CLUSTER:
        return False
    return not _replica(resource) and not _global_secondary(resource)


def _backups(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """Every database but a read replica keeps the minimum: a global secondary holds a full copy and
    becomes the primary when promoted, with the retention it was given (Aurora user guide, "Using
    failover or switchover in an Aurora global database")."""
    if _replica(resource):
        return
    days = resource.props.get("backupRetentionPeriod")
    minimum = config["minBackupRetentionDays"]
    if not isinstance(days, (int, float)) or days < minimum:
        shown = f"{days:g}" if isinstance(days, (int, float)) else "unset"
        yield f"set backupRetentionPeriod to at least {minimum:g} days (it is {shown})"


def _deletion(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """Deletion protection on every cluster that holds data, global secondaries and the global
    cluster included (a secondary holds a full copy; deleting it loses a region). Read replicas can
    be rebuilt from their source. The final snapshot is the source's job."""
    if _replica(resource):
        return
    if config["requireDeletionProtection"] and resource.props.get("deletionProtection") is not True:
        yield "set deletionProtection: true"
    if not _owns_data(resource):
        return
    if config["requireFinalSnapshot"] and (
        resource.props.get("skipFinalSnapshot") is not False or not resource.props.get("finalSnapshotIdentifier")
    ):
        yield "set skipFinalSnapshot: false and a finalSnapshotIdentifier"


def _multi_az(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if config["requireMultiAz"] and _owns_data(resource) and resource.props.get("multiAz") is not True:
        yield "set multiAz: true (a standby in another zone)"


def _valkey_or_redis(resource: Resource) -> bool:
    engine = resource.props.get("engine")
    return not (isinstance(engine, str) and engine.lower() == "memcached")


def _queue(resource: Resource, config: Mapping[str, Any]) -> bool:
    """A queue is named so (id suffix) or tagged so (purpose: queue): either makes it one."""
    group_id = str(resource.props.get("replicationGroupId") or resource.props.get("name") or resource.name)
    return group_id.endswith(config["queueSuffix"]) or str(tags_of(resource).get("purpose", "")).lower() == "queue"


def _snapshots(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """Every Valkey/Redis cache keeps automatic snapshots (FSBP ElastiCache.1: SnapshotRetentionLimit
    of 1 or more); with queuesOnly (dev) only the queues, whose jobs are lost without them. A cluster
    of a replication group takes the group's setting."""
    if not _valkey_or_redis(resource):
        return
    if resource.type == ELASTICACHE_CLUSTER and resource.props.get("replicationGroupId"):
        return
    if config["queuesOnly"] and not _queue(resource, config):
        return
    limit = resource.props.get("snapshotRetentionLimit")
    if not isinstance(limit, (int, float)) or limit < 1:
        shown = f"{limit:g}" if isinstance(limit, (int, float)) else "unset"
        yield f"set snapshotRetentionLimit to 1 or more (it is {shown}) so the cache keeps daily snapshots"


def _eks_deletion(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if config["requireDeletionProtection"] and resource.props.get("deletionProtection") is not True:
        yield "set deletionProtection: true (the cluster's workloads and add-ons go with it)"


EKS_LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")


def _enable_eks_logs(resource: Resource, config: Mapping[str, Any]) -> Mapping[str, Any] | None:
    enabled = [str(kind) for kind in sequence(resource.props.get("enabledClusterLogTypes"))]
    missing = [kind for kind in sequence(config["requiredLogTypes"]) if kind not in enabled]
    return {**resource.props, "enabledClusterLogTypes": [*enabled, *missing]} if missing else None


def _eks_logs(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    enabled = set(sequence(resource.props.get("enabledClusterLogTypes")))
    missing = [kind for kind in sequence(config["requiredLogTypes"]) if kind not in enabled]
    if missing:
        yield f"enable control-plane logs {', '.join(missing)} in enabledClusterLogTypes"


def _aurora_standby(resources: Sequence[Resource], config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """In a stack that requires Multi-AZ, every Aurora cluster has a writer and a reader."""
    if not config["requireMultiAz"]:
        return
    for cluster in each(resources, RDS_CLUSTER):
        members = [i for i in each(resources, RDS_CLUSTER_INSTANCE) if cluster.urn in i.sources("clusterIdentifier")]
        if len(members) < 2:
            yield (
                f"Aurora cluster {cluster.name} has {len(members)} instance(s); add a reader in another zone",
                cluster.urn,
            )
            continue
        # A reader pinned to the writer's zone fails with it: the pinned zones must differ (an
        # instance left unpinned is placed by RDS, so it is not counted either way).
        zones = [member.props.get("availabilityZone") for member in members]
        pinned = [zone for zone in zones if isinstance(zone, str) and zone]
        if any(is_unknown(zone) for zone in zones) or len(pinned) < 2:
            continue
        if len(set(pinned)) < 2:
            yield (
                f"Aurora cluster {cluster.name}: every instance is in {pinned[0]}; put a reader in another "
                "availabilityZone",
                cluster.urn,
            )


def _failover(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if not config["requireAutomaticFailover"]:
        return
    if resource.type == ELASTICACHE_CLUSTER:
        if not resource.props.get("replicationGroupId"):
            yield "a stand-alone cache cluster cannot fail over; use a replication group with a replica"
        return
    if resource.props.get("automaticFailoverEnabled") is not True:
        yield "set automaticFailoverEnabled: true (and at least one replica)"


def _cache_multi_az(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if not config["requireMultiAz"]:
        return
    if resource.type == ELASTICACHE_CLUSTER:
        if not resource.props.get("replicationGroupId"):
            yield "a stand-alone cache cluster lives in one zone; use a replication group with multiAzEnabled"
        return
    if resource.props.get("multiAzEnabled") is not True:
        yield "set multiAzEnabled: true (replicas in other zones)"


def _postgres(resource: Resource) -> bool:
    return "postgres" in str(resource.props.get("engine") or "")


def _log_exports(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if not _postgres(resource):
        return
    exported = set(sequence(resource.props.get("enabledCloudwatchLogsExports")))
    if "postgresql" not in exported:
        yield "add postgresql to enabledCloudwatchLogsExports"


def _iam_auth(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if _replica(resource):
        return
    if resource.props.get("iamDatabaseAuthenticationEnabled") is not True:
        yield "set iamDatabaseAuthenticationEnabled: true (short-lived tokens instead of stored passwords)"


def _proxy_tls(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if resource.props.get("requireTls") is not True:
        yield "set requireTls: true (the proxy otherwise accepts plain-text connections)"


def _version(text: Any) -> tuple[int, ...] | None:
    try:
        return tuple(int(part) for part in str(text).split("."))
    except ValueError:
        return None


def _eks_version(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    found = resource.props.get("version")
    if found is None:
        return  # EKS creates the newest version
    oldest = config["oldestVersionSupported"]
    parsed, floor = _version(found), _version(oldest)
    if parsed is None or floor is None or parsed < floor:
        yield f"version {found} is out of EKS support; upgrade to {oldest} or later"


def _master_password(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """AWS rotates a master password it manages (RDS user guide, "Password management with
    Secrets Manager"); a password the program sets never rotates."""
    if _replica(resource) or resource.props.get("globalClusterIdentifier"):
        return  # a global database cannot let RDS manage its password (data-secretsmanager-rotation)
    if resource.props.get("masterPassword") is not None or (
        resource.props.get("masterUsername") and resource.props.get("manageMasterUserPassword") is not True
    ):
        yield "set manageMasterUserPassword: true and drop masterPassword, so RDS keeps and rotates it"


# Credentials AWS provides a rotation function for (Secrets Manager user guide, "Rotation function
# templates": RDS and Aurora credentials; ElastiCache RBAC users, ElastiCache user guide
# "Automatically rotating passwords for users"), keyed by the type and input that consume them.
# An ElastiCache AUTH token has no such function.
ROTATABLE_CONSUMERS = {
    RDS_CLUSTER: ("masterPassword", "RDS/Aurora"),
    RDS_INSTANCE: ("password", "RDS"),
    ELASTICACHE_USER: ("authenticationMode", "ElastiCache user"),
}


def _rotatable(resources: Sequence[Resource]) -> dict[str, str]:
    """Secret URN -> the kind of credential it holds, for secrets whose value (a SecretVersion's
    secretString) comes from the password a database or an ElastiCache user uses."""
    kinds: dict[str, str] = {}
    for consumer in resources:
        field, kind = ROTATABLE_CONSUMERS.get(consumer.type, ("", ""))
        for urn in consumer.property_dependencies.get(field, ()) if field else ():
            kinds[urn] = kind
    secrets: dict[str, str] = {}
    for version in each(resources, SECRET_VERSION):
        found = [kinds[urn] for urn in version.property_dependencies.get("secretString", ()) if urn in kinds]
        for urn in version.property_dependencies.get("secretId", ()) if found else ():
            secrets[urn] = found[0]
    return secrets


def _cron_gap(values: str, cycle: int) -> int | None:
    """The longest gap, in units, between the values a cron field lists (`1,15`, `*/3`, `2/6`), over a
    cycle of `cycle` units; None for a form not read here (ranges, names, L, W, #)."""
    if "/" in values:
        step = values.split("/", 1)[1]
        return int(step) if step.isdigit() and int(step) > 0 else None
    parts = values.split(",")
    if not all(part.isdigit() for part in parts):
        return None
    listed = sorted({int(part) for part in parts})
    gaps = [later - earlier for earlier, later in pairwise(listed)]
    return max([*gaps, listed[0] + cycle - listed[-1]])


def _schedule_days(schedule: str) -> float | None:
    """The longest time between rotations a Secrets Manager schedule allows: `rate(N days|hours)` or
    `cron(minutes hours day-of-month month day-of-week year)` (Secrets Manager user guide, "Rotation
    schedules"); None when the expression is not one of those."""
    text = " ".join(schedule.strip().lower().split())
    rate = re.fullmatch(r"rate\((\d+) (hour|hours|day|days)\)", text)
    if rate:
        return int(rate.group(1)) / (24 if rate.group(2).startswith("hour") else 1)
    cron = re.fullmatch(r"cron\((.+)\)", text)
    fields = cron.group(1).split() if cron else []
    if len(fields) != 6:
        return None
    _, _, day, month, weekday, year = fields
    if year not in ("*", "?"):
        return math.inf  # only in the listed years
    if month not in ("*", "?"):
        gap = _cron_gap(month, 12)
        return 31 * gap if gap is not None else 366
    if day not in ("*", "?"):
        gap = _cron_gap(day, 31)
        return gap if gap is not None else 31
    return 7 if weekday not in ("*", "?") else 1


def _rotation(resources: Sequence[Resource], config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Every secret AWS can rotate rotates within maxDays through an aws.secretsmanager.SecretRotation.
    A secret of anything else (an AUTH token, an API key) has no AWS rotation function to turn on."""
    rotated: dict[str, Any] = {}
    for rotation in each(resources, "aws:secretsmanager/secretRotation:SecretRotation"):
        days = at(rotation.props, "rotationRules", "automaticallyAfterDays")
        schedule = at(rotation.props, "rotationRules", "scheduleExpression")
        for urn in rotation.property_dependencies.get("secretId", ()):
            rotated[urn] = days if days is not None else schedule
    rotatable = _rotatable(resources)
    maximum = config["maxDays"]
    for secret in each(resources, SECRET):
        kind = rotatable.get(secret.urn)
        if secret.urn not in rotated:
            if kind:
                yield (
                    f"secret {secret.name} holds {kind} credentials, which AWS's rotation functions rotate; add an "
                    "aws.secretsmanager.SecretRotation for it",
                    secret.urn,
                )
            continue
        every = rotated[secret.urn]
        if isinstance(every, str):
            parsed = _schedule_days(every)
            if parsed is None:
                yield (
                    f"secret {secret.name}: scheduleExpression {every!r} is not rate(N days), rate(N hours) or a "
                    "six-field cron(); write one of those",
                    secret.urn,
                )
                continue
            every = parsed
        if isinstance(every, (int, float)) and every > maximum:
            shown = "only in the listed years" if math.isinf(every) else f"up to every {every:g} days"
            yield f"secret {secret.name} rotates {shown}; rotate within {maximum} days", secret.urn


def _enabled(access: str) -> bool:
    """ACL rules apply left to right, so the last `on` or `off` decides (Valkey/Redis ACL rules;
    ElastiCache user guide, "Specifying permissions using an access string"). Without either the
    user is counted as enabled: the policy does not rely on a default."""
    states = [token for token in access.lower().split() if token in ("on", "off")]
    return not states or states[-1] == "on"


def _cache_auth(resources: Sequence[Resource], config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Valkey/Redis caches require a password: an AUTH token or RBAC user groups, and no user of
    those groups gets in without a password (an enabled `no-password-required` user is anyone)."""
    users = {(u.provider, u.props.get("userId")): u for u in each(resources, ELASTICACHE_USER)}
    groups = {
        (g.provider, g.props.get("userGroupId")): g for g in each(resources, "aws:elasticache/userGroup:UserGroup")
    }
    for cache in each(resources, ELASTICACHE_GROUP, ELASTICACHE_CLUSTER, ELASTICACHE_SERVERLESS):
        props = cache.props
        if not _valkey_or_redis(cache) or (props.get("replicationGroupId") and cache.type == ELASTICACHE_CLUSTER):
            continue
        if props.get("globalReplicationGroupId"):
            continue  # a Global Datastore member takes the primary's AUTH settings
        if cache.type == ELASTICACHE_SERVERLESS:
            # A serverless cache without a user group lets the default user in without a password.
            if is_unknown(props.get("userGroupId")):
                continue
            group_ids = [props["userGroupId"]] if props.get("userGroupId") else []
            if not group_ids:
                yield (f"cache {cache.name}: set userGroupId (RBAC); it admits anyone on its network", cache.urn)
                continue
        else:
            group_ids = sequence(props.get("userGroupIds"))
            if is_unknown(props.get("authToken")) or is_unknown(props.get("userGroupIds")):
                continue
            if not props.get("authToken") and not group_ids:
                yield (
                    f"cache {cache.name}: set userGroupIds (RBAC) or an authToken; it admits anyone on its network",
                    cache.urn,
                )
                continue
        for group_id in group_ids:
            group = groups.get((cache.provider, group_id))
            for user_id in sequence(group.props.get("userIds")) if group is not None else []:
                user = users.get((cache.provider, user_id))
                if user is None:
                    continue
                mode = mapping(user.props.get("authenticationMode"))
                open_user = mode.get("type") == "no-password-required" or user.props.get("noPasswordRequired") is True
                access = str(user.props.get("accessString") or "")
                if open_user and _enabled(access):
                    yield (
                        f"cache {cache.name}: user {user_id} of group {group_id} needs no password and is enabled "
                        f"({access!r}); give it a password or set its access string to 'off -@all'",
                        user.urn,
                    )


def _global_database(resources: Sequence[Resource], config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    if not config["requireGlobalDatabase"]:
        return
    clusters = each(resources, RDS_CLUSTER)
    regions = {decoded(c.provider_props.get("region")) for c in clusters}
    if len(regions) < 2:
        return
    for cluster in clusters:
        if not cluster.props.get("globalClusterIdentifier"):
            yield (
                f"Aurora cluster {cluster.name}: a multi-region stack keeps its databases in one global cluster",
                cluster.urn,
            )


DATA_RULES = (
    Rule(
        name="data-rds-backup-retention",
        description="Databases keep automated backups at least the stack's minimum (prod 30 days).",
        severity="high",
        enforcement="mandatory",
        check=_backups,
        resource_types=(RDS_INSTANCE, RDS_CLUSTER),
        config_schema={
            "minBackupRetentionDays": schema("integer", 7, "shortest backup retention", minimum=1, maximum=35)
        },
        reference="AWS FSBP RDS.11, RDS.50",
    ),
    Rule(
        name="data-rds-deletion-protection",
        description="Every database that holds data (global secondaries and global clusters included) has "
        "deletion protection, and sources take a final snapshot (staging and prod).",
        severity="critical",
        enforcement="mandatory",
        check=_deletion,
        resource_types=(RDS_INSTANCE, RDS_CLUSTER, RDS_GLOBAL_CLUSTER),
        config_schema={
            "requireDeletionProtection": schema("boolean", True, "deletion protection on"),
            "requireFinalSnapshot": schema("boolean", True, "a final snapshot on delete"),
        },
        reference="AWS FSBP RDS.7, RDS.8",
    ),
    Rule(
        name="data-rds-multi-az",
        description="RDS instances have a Multi-AZ standby where required (prod).",
        severity="high",
        enforcement="mandatory",
        check=_multi_az,
        resource_types=(RDS_INSTANCE,),
        config_schema={"requireMultiAz": schema("boolean", False, "a standby in another zone")},
        reference="AWS FSBP RDS.5",
    ),
    Rule(
        name="data-rds-log-exports",
        description="PostgreSQL instances and Aurora clusters export their logs to CloudWatch Logs.",
        severity="medium",
        enforcement="mandatory",
        check=_log_exports,
        resource_types=(RDS_INSTANCE, RDS_CLUSTER),
        reference="AWS FSBP RDS.36, RDS.37",
    ),
    Rule(
        name="data-rds-iam-authentication",
        description="Databases accept IAM authentication.",
        severity="medium",
        enforcement="mandatory",
        check=_iam_auth,
        resource_types=(RDS_INSTANCE, RDS_CLUSTER),
        reference="AWS FSBP RDS.10, RDS.12",
    ),
    Rule(
        name="data-rds-managed-master-password",
        description="RDS keeps and rotates the master password (manageMasterUserPassword), so it never "
        "sits in the program or the state.",
        severity="high",
        enforcement="mandatory",
        check=_master_password,
        resource_types=(RDS_INSTANCE, RDS_CLUSTER),
        reference="AWS FSBP SecretsManager.1 (RDS-managed rotation)",
    ),
    Rule(
        name="data-rds-proxy-require-tls",
        description="RDS Proxies accept TLS connections only.",
        severity="high",
        enforcement="mandatory",
        check=_proxy_tls,
        resource_types=("aws:rds/proxy:Proxy",),
        reference="AWS RDS user guide: RDS Proxy RequireTLS",
    ),
    Rule(
        name="data-elasticache-snapshots",
        description="Valkey/Redis caches keep automatic snapshots (dev: the queues only).",
        severity="high",
        enforcement="mandatory",
        check=_snapshots,
        resource_types=(ELASTICACHE_GROUP, ELASTICACHE_CLUSTER, ELASTICACHE_SERVERLESS),
        config_schema={
            "queuesOnly": schema("boolean", False, "only queues need snapshots (throwaway caches in dev)"),
            "queueSuffix": schema("string", "-queue", "replication group ids of queues end with this"),
        },
        reference="AWS FSBP ElastiCache.1",
    ),
    Rule(
        name="data-elasticache-automatic-failover",
        description="ElastiCache groups fail over automatically where required (staging, prod).",
        severity="high",
        enforcement="mandatory",
        check=_failover,
        resource_types=(ELASTICACHE_GROUP, ELASTICACHE_CLUSTER),
        config_schema={"requireAutomaticFailover": schema("boolean", True, "automatic failover on")},
        reference="AWS FSBP ElastiCache.3",
    ),
    Rule(
        name="data-elasticache-multi-az",
        description="ElastiCache groups keep replicas in other zones where required (staging, prod).",
        severity="high",
        enforcement="mandatory",
        check=_cache_multi_az,
        resource_types=(ELASTICACHE_GROUP, ELASTICACHE_CLUSTER),
        config_schema={"requireMultiAz": schema("boolean", True, "Multi-AZ on")},
        reference="AWS ElastiCache user guide: Multi-AZ (with FSBP ElastiCache.3)",
    ),
    Rule(
        name="data-eks-control-plane-logs",
        description="EKS control-plane logs are on.",
        severity="medium",
        enforcement="mandatory",
        check=_eks_logs,
        resource_types=(EKS_CLUSTER,),
        config_schema={
            "requiredLogTypes": schema(
                "array",
                ["api", "audit", "authenticator"],
                "log types that must be on",
                items={"type": "string", "enum": list(EKS_LOG_TYPES)},
            )
        },
        reference="AWS FSBP EKS.8",
        remediation="Add the missing types to enabledClusterLogTypes.",
        remedy=_enable_eks_logs,
    ),
    Rule(
        name="data-eks-deletion-protection",
        description="EKS clusters have deletion protection where required (prod).",
        severity="high",
        enforcement="mandatory",
        check=_eks_deletion,
        resource_types=(EKS_CLUSTER,),
        config_schema={"requireDeletionProtection": schema("boolean", True, "deletion protection on")},
        reference="AWS EKS API reference: CreateCluster deletionProtection",
    ),
    Rule(
        name="data-eks-supported-version",
        description="EKS clusters run a Kubernetes version in EKS support.",
        severity="high",
        enforcement="mandatory",
        check=_eks_version,
        resource_types=(EKS_CLUSTER,),
        config_schema={
            "oldestVersionSupported": schema(
                "string",
                SUPPORTED_KUBERNETES_VERSIONS[0],
                "oldest EKS version in support (components/facts.py)",
                pattern=r"^1\.[0-9]+$",
            )
        },
        reference="AWS FSBP EKS.2",
    ),
)

DATA_STACK_RULES = (
    StackRule(
        name="data-rds-aurora-standby",
        description="Aurora clusters have a reader in another zone to fail over to where Multi-AZ is required (prod).",
        severity="high",
        enforcement="mandatory",
        check=_aurora_standby,
        config_schema={"requireMultiAz": schema("boolean", False, "a standby in another zone")},
        reference="AWS FSBP RDS.15",
    ),
    StackRule(
        name="data-rds-global-database",
        description="A multi-region stack keeps its databases in one Aurora Global Database.",
        severity="high",
        enforcement="mandatory",
        check=_global_database,
        config_schema={
            "requireGlobalDatabase": schema("boolean", True, "multi-region databases form one global cluster")
        },
        reference="Platform requirement (multi-region recovery)",
    ),
    StackRule(
        name="data-secretsmanager-rotation",
        description="Every Secrets Manager secret that AWS can rotate (RDS/Aurora and ElastiCache user "
        "credentials) rotates automatically within the stack's maximum.",
        severity="medium",
        enforcement="advisory",
        check=_rotation,
        config_schema={"maxDays": schema("integer", 90, "longest rotation interval", minimum=1, maximum=1000)},
        reference="AWS FSBP SecretsManager.1, SecretsManager.4",
    ),
    StackRule(
        name="exposure-elasticache-auth",
        description="Valkey/Redis caches require a password (AUTH token or RBAC user groups) and no enabled "
        "user of theirs goes without one.",
        severity="high",
        enforcement="mandatory",
        check=_cache_auth,
        reference="AWS FSBP ElastiCache.6 (AUTH, engines before 6.0); ElastiCache user guide: RBAC",
    ),
)

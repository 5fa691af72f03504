"""Data protection: backups, deletion protection, final snapshots, standbys, logs, one global database."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from components.config import SUPPORTED_KUBERNETES_VERSIONS
from policies.rule import Resource, Rule, StackRule, at, decoded, each, is_unknown, mapping, schema, sequence, tags_of

RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
RDS_CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
RDS_GLOBAL_CLUSTER = "aws:rds/globalCluster:GlobalCluster"
ELASTICACHE_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
ELASTICACHE_CLUSTER = "aws:elasticache/cluster:Cluster"
SECRET = "aws:secretsmanager/secret:Secret"


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
    """Read replicas and global secondaries copy another database; the source keeps the backups."""
    if resource.type == RDS_GLOBAL_CLUSTER:
        return False
    return not _replica(resource) and not _global_secondary(resource)


def _backups(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if not _owns_data(resource):
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


def _queue_snapshots(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """A queue is named so (id suffix) or tagged so (purpose: queue): either makes it one."""
    group_id = str(resource.props.get("replicationGroupId") or resource.name)
    queue = group_id.endswith(config["queueSuffix"]) or str(tags_of(resource).get("purpose", "")).lower() == "queue"
    if queue and not resource.props.get("globalReplicationGroupId"):
        limit = resource.props.get("snapshotRetentionLimit")
        if not isinstance(limit, (int, float)) or limit < 1:
            yield "a queue keeps snapshots: set snapshotRetentionLimit to 1 or more"


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


def _log_retention(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    days = resource.props.get("retentionInDays")
    minimum = config["minRetentionDays"]
    # Unset or 0 keeps events forever (CloudWatch Logs PutRetentionPolicy).
    if isinstance(days, (int, float)) and 0 < days < minimum:
        yield f"set retentionInDays to at least {minimum} (it is {days:g}), or leave it unset to keep events forever"


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


def _rotation(resources: Sequence[Resource], config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Every secret rotates within maxDays through an aws.secretsmanager.SecretRotation."""
    rotated: dict[str, Any] = {}
    for rotation in each(resources, "aws:secretsmanager/secretRotation:SecretRotation"):
        days = at(rotation.props, "rotationRules", "automaticallyAfterDays")
        schedule = at(rotation.props, "rotationRules", "scheduleExpression")
        for urn in rotation.property_dependencies.get("secretId", ()):
            rotated[urn] = days if days is not None else schedule
    for secret in each(resources, SECRET):
        if secret.urn not in rotated:
            yield f"secret {secret.name} never rotates; add an aws.secretsmanager.SecretRotation for it", secret.urn
            continue
        days = rotated[secret.urn]
        if isinstance(days, (int, float)) and days > config["maxDays"]:
            yield f"secret {secret.name} rotates every {days:g} days; rotate within {config['maxDays']}", secret.urn


def _cache_auth(resources: Sequence[Resource], config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Valkey/Redis caches require a password: an AUTH token or RBAC user groups, and no user of
    those groups gets in without a password (an enabled `no-password-required` user is anyone)."""
    users = {(u.provider, u.props.get("userId")): u for u in each(resources, "aws:elasticache/user:User")}
    groups = {
        (g.provider, g.props.get("userGroupId")): g for g in each(resources, "aws:elasticache/userGroup:UserGroup")
    }
    for cache in each(resources, ELASTICACHE_GROUP, ELASTICACHE_CLUSTER):
        props = cache.props
        if str(props.get("engine") or "redis") == "memcached" or (
            props.get("replicationGroupId") and cache.type == ELASTICACHE_CLUSTER
        ):
            continue
        if props.get("globalReplicationGroupId"):
            continue  # a Global Datastore member takes the primary's AUTH settings
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
                if open_user and access.split()[:1] != ["off"]:
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
        reference="AWS FSBP RDS.11, RDS.26",
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
        name="data-elasticache-queue-snapshots",
        description="Redis used as a queue keeps snapshots.",
        severity="high",
        enforcement="mandatory",
        check=_queue_snapshots,
        resource_types=(ELASTICACHE_GROUP,),
        config_schema={"queueSuffix": schema("string", "-queue", "replication group ids of queues end with this")},
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
        resource_types=("aws:eks/cluster:Cluster",),
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
        name="data-eks-supported-version",
        description="EKS clusters run a Kubernetes version in EKS support.",
        severity="high",
        enforcement="mandatory",
        check=_eks_version,
        resource_types=("aws:eks/cluster:Cluster",),
        config_schema={
            "oldestVersionSupported": schema(
                "string",
                SUPPORTED_KUBERNETES_VERSIONS[0],
                "oldest EKS version in support (components/config.py)",
                pattern=r"^1\.[0-9]+$",
            )
        },
        reference="AWS FSBP EKS.2",
    ),
    Rule(
        name="data-cloudwatch-log-retention",
        description="CloudWatch log groups keep events at least the stack's minimum (prod a year).",
        severity="medium",
        enforcement="mandatory",
        check=_log_retention,
        resource_types=("aws:cloudwatch/logGroup:LogGroup",),
        config_schema={
            "minRetentionDays": schema("integer", 365, "shortest retention in days", minimum=1, maximum=3653)
        },
        reference="AWS FSBP CloudWatch.16",
    ),
)

DATA_STACK_RULES = (
    StackRule(
        name="data-rds-aurora-standby",
        description="Aurora clusters have a reader to fail over to where Multi-AZ is required (prod).",
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
        description="Every Secrets Manager secret rotates automatically within the stack's maximum.",
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
        reference="AWS FSBP ElastiCache.6",
    ),
)

"""Data protection: backups, deletion protection, final snapshots, standbys, logs, one global database."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from policies.rule import Resource, Rule, StackRule, decoded, each, schema, sequence

RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"


def _owns_data(resource: Resource) -> bool:
    """Read replicas and global secondaries copy another database; the source keeps the backups."""
    if resource.type == RDS_INSTANCE:
        return not resource.props.get("replicateSourceDb")
    secondary = resource.props.get("globalClusterIdentifier") and not resource.props.get("masterUsername")
    return not secondary


def _backups(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if not _owns_data(resource):
        return
    days = resource.props.get("backupRetentionPeriod")
    minimum = config["minBackupRetentionDays"]
    if not isinstance(days, (int, float)) or days < minimum:
        shown = f"{days:g}" if isinstance(days, (int, float)) else "unset"
        yield f"set backupRetentionPeriod to at least {minimum:g} days (it is {shown})"


def _deletion(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if not _owns_data(resource):
        return
    if config["requireDeletionProtection"] and resource.props.get("deletionProtection") is not True:
        yield "set deletionProtection: true"
    if config["requireFinalSnapshot"] and (
        resource.props.get("skipFinalSnapshot") is not False or not resource.props.get("finalSnapshotIdentifier")
    ):
        yield "set skipFinalSnapshot: false and a finalSnapshotIdentifier"


def _multi_az(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if config["requireMultiAz"] and _owns_data(resource) and resource.props.get("multiAz") is not True:
        yield "set multiAz: true (a standby in another zone)"


def _queue_snapshots(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    group_id = str(resource.props.get("replicationGroupId") or resource.name)
    if group_id.endswith(config["queueSuffix"]) and not resource.props.get("globalReplicationGroupId"):
        limit = resource.props.get("snapshotRetentionLimit")
        if not isinstance(limit, (int, float)) or limit < 1:
            yield "a queue keeps snapshots: set snapshotRetentionLimit to 1 or more"


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
        members = [
            i for i in each(resources, "aws:rds/clusterInstance:ClusterInstance") if cluster.urn in i.dependencies
        ]
        if len(members) < 2:
            yield (
                f"Aurora cluster {cluster.name} has {len(members)} instance(s); add a reader in another zone",
                cluster.urn,
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
        config_schema={"minBackupRetentionDays": schema("integer", 7, "shortest backup retention")},
    ),
    Rule(
        name="data-rds-deletion-protection",
        description="Databases have deletion protection and take a final snapshot (staging and prod).",
        severity="critical",
        enforcement="mandatory",
        check=_deletion,
        resource_types=(RDS_INSTANCE, RDS_CLUSTER),
        config_schema={
            "requireDeletionProtection": schema("boolean", True, "deletion protection on"),
            "requireFinalSnapshot": schema("boolean", True, "a final snapshot on delete"),
        },
    ),
    Rule(
        name="data-rds-multi-az",
        description="RDS instances have a Multi-AZ standby where required (prod).",
        severity="high",
        enforcement="mandatory",
        check=_multi_az,
        resource_types=(RDS_INSTANCE,),
        config_schema={"requireMultiAz": schema("boolean", False, "a standby in another zone")},
    ),
    Rule(
        name="data-elasticache-queue-snapshots",
        description="Redis used as a queue keeps snapshots.",
        severity="high",
        enforcement="mandatory",
        check=_queue_snapshots,
        resource_types=("aws:elasticache/replicationGroup:ReplicationGroup",),
        config_schema={"queueSuffix": schema("string", "-queue", "replication group ids of queues end with this")},
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
                "array", ["api", "audit", "authenticator"], "log types that must be on", items={"type": "string"}
            )
        },
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
    ),
)

"""What each environment requires, as data: the one source of environment rules.

The stack config checks (eksplatform/stack), the components' environment-derived settings
(deletion protection, final snapshots, kept data, protected resources) and the policy pack's
per-stack config (policies/config/<environment>.json, compared by tests/test_environments.py)
all read these profiles. A leaf module: it imports nothing of the package.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, get_args

Environment = Literal["dev", "staging", "prod"]
ENVIRONMENTS: tuple[Environment, ...] = get_args(Environment)

DEFAULT_RPO_MINUTES = 15
"""The recovery point objective (the data-loss budget) in every environment unless a stack sets its
own: the data stores alarm when replication lags longer, and the ops runbooks check against it."""


@dataclass(frozen=True)
class EnvironmentProfile:
    """The rules of one environment. Each field says who reads it."""

    name: Environment
    public_api_endpoint_allowed: bool
    """May the EKS API have a public endpoint (config check; policy exposure-eks-endpoint)."""
    min_backup_retention_days: int
    """Shortest PostgreSQL backup retention (config check; policy data-rds-backup-retention)."""
    database_deletion_protection: bool
    """Databases keep deletion protection on: the default, and a config check against turning it
    off (ManagedPostgres; policy data-rds-deletion-protection)."""
    final_snapshot: bool
    """Databases take a final snapshot on delete (ManagedPostgres; policy data-rds-deletion-protection)."""
    rds_multi_az: bool
    """An RDS instance needs a standby (config check; policy data-rds-multi-az)."""
    aurora_standby: bool
    """An Aurora cluster needs a reader in another zone to fail over to (config check; policy
    data-rds-aurora-standby)."""
    redis_multi_az: bool
    """Every Redis shard has a replica for Multi-AZ failover (config check; policies
    data-elasticache-multi-az and data-elasticache-automatic-failover)."""
    cache_snapshots: bool
    """The cache keeps snapshots too, not only the queue (policy data-elasticache-snapshots)."""
    eks_deletion_protection: bool
    """The EKS cluster has deletion protection (Cluster; policy data-eks-deletion-protection)."""
    min_log_retention_days: int
    """Shortest CloudWatch log retention (policy data-cloudwatch-log-retention)."""
    keep_data: bool
    """Databases and caches are retained when removed from the program (ManagedPostgres, RedisCluster)."""
    protect_resources: bool
    """Pulumi `protect` on the image repositories and the observability keys and workspace (Region,
    Observability): a `pulumi destroy` stops at them."""


PROFILES: dict[Environment, EnvironmentProfile] = {
    "dev": EnvironmentProfile(
        name="dev",
        public_api_endpoint_allowed=True,
        min_backup_retention_days=7,
        database_deletion_protection=False,
        final_snapshot=False,
        rds_multi_az=False,
        aurora_standby=False,
        redis_multi_az=False,
        cache_snapshots=False,
        eks_deletion_protection=False,
        min_log_retention_days=14,
        keep_data=False,
        protect_resources=False,
    ),
    "staging": EnvironmentProfile(
        name="staging",
        public_api_endpoint_allowed=True,
        min_backup_retention_days=14,
        database_deletion_protection=True,
        final_snapshot=True,
        rds_multi_az=False,
        aurora_standby=True,
        redis_multi_az=True,
        cache_snapshots=True,
        eks_deletion_protection=False,
        min_log_retention_days=30,
        keep_data=False,
        protect_resources=False,
    ),
    # Prod keeps a month of backups (the requirements) and a second copy of every database in-region.
    "prod": EnvironmentProfile(
        name="prod",
        public_api_endpoint_allowed=False,
        min_backup_retention_days=30,
        database_deletion_protection=True,
        final_snapshot=True,
        rds_multi_az=True,
        aurora_standby=True,
        redis_multi_az=True,
        cache_snapshots=True,
        eks_deletion_protection=True,
        min_log_retention_days=365,
        keep_data=True,
        protect_resources=True,
    ),
}


def profile(environment: str) -> EnvironmentProfile:
    """The profile of `environment`; a ValueError naming the known ones otherwise."""
    if environment not in PROFILES:
        raise ValueError(f"environment {environment!r} is not one of {', '.join(ENVIRONMENTS)}")
    return PROFILES[environment]


def policy_config(environment: str) -> dict[str, dict[str, Any]]:
    """The policy pack's settings that follow from the profile, by policy name: what
    policies/config/<environment>.json (merged over each policy's defaults) must say."""
    rules = profile(environment)
    return {
        "exposure-eks-endpoint": {"allowPublicEndpoint": rules.public_api_endpoint_allowed},
        "data-rds-backup-retention": {"minBackupRetentionDays": rules.min_backup_retention_days},
        "data-rds-deletion-protection": {
            "requireDeletionProtection": rules.database_deletion_protection,
            "requireFinalSnapshot": rules.final_snapshot,
        },
        "data-rds-multi-az": {"requireMultiAz": rules.rds_multi_az},
        "data-rds-aurora-standby": {"requireMultiAz": rules.aurora_standby},
        "data-elasticache-multi-az": {"requireMultiAz": rules.redis_multi_az},
        "data-elasticache-automatic-failover": {"requireAutomaticFailover": rules.redis_multi_az},
        "data-elasticache-snapshots": {"queuesOnly": not rules.cache_snapshots},
        "data-eks-deletion-protection": {"requireDeletionProtection": rules.eks_deletion_protection},
        "data-cloudwatch-log-retention": {"minRetentionDays": rules.min_log_retention_days},
    }

"""`audit`: the live resources named in a stack's outputs, checked against the pack's rules.

What the policy pack enforces at deploy time can be changed by hand later (a console click that
turns off deletion protection, a key rotation disabled). This reads the live settings through
the AWS APIs and reports every difference as drift.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from eksplatform.ops.clients import ClientFactory, default_client
from eksplatform.ops.outputs import StackOutputs

REQUIRED_EKS_LOGS = ("api", "audit", "authenticator")


@dataclass(frozen=True)
class Finding:
    region: str
    resource: str
    check: str
    expected: str
    actual: str

    def __str__(self) -> str:
        return f"{self.region} {self.resource}: {self.check}: expected {self.expected}, found {self.actual}"


@dataclass(frozen=True)
class AuditResult:
    checked: int
    findings: list[Finding]
    errors: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"checked": self.checked, "drift": [asdict(f) for f in self.findings], "errors": self.errors}


class _Auditor:
    def __init__(self, client: ClientFactory, min_backup_days: int) -> None:
        self.client, self.min_backup_days = client, min_backup_days
        self.findings: list[Finding] = []
        self.errors: list[str] = []
        self.checked = 0
        self.keys: dict[str, set[str]] = {}

    def expect(self, region: str, resource: str, check: str, ok: bool, expected: str, actual: Any) -> None:
        self.checked += 1
        if not ok:
            self.findings.append(Finding(region, resource, check, expected, str(actual)))

    def guarded(self, region: str, what: str, action: Callable[..., None], *args: Any) -> None:
        """AWS errors (missing resource, missing permission) are reported plainly, not raised."""
        try:
            action(*args)
        except ClientError as error:
            info = error.response.get("Error", {})
            self.errors.append(f"{region} {what}: {info.get('Code', 'error')}: {info.get('Message', str(error))}")
        except BotoCoreError as error:
            self.errors.append(f"{region} {what}: {error}")

    def key(self, region: str, arn: Any) -> None:
        if isinstance(arn, str) and arn:
            self.keys.setdefault(region, set()).add(arn)

    # -- databases ----------------------------------------------------------------------------

    def database(self, region: str, entry: Mapping[str, Any]) -> None:
        rds = self.client("rds", region)
        identifier = str(entry["identifier"])
        if ":cluster:" in str(entry.get("arn", "")):
            found = rds.describe_db_clusters(DBClusterIdentifier=identifier)["DBClusters"][0]
            secondary = bool(found.get("GlobalClusterIdentifier")) and not found.get("DatabaseName")
            name = f"Aurora cluster {identifier}"
        else:
            found = rds.describe_db_instances(DBInstanceIdentifier=identifier)["DBInstances"][0]
            secondary = bool(found.get("ReadReplicaSourceDBInstanceIdentifier"))
            name = f"RDS instance {identifier}"
        self.expect(
            region,
            name,
            "storage encrypted",
            found.get("StorageEncrypted") is True,
            "true",
            found.get("StorageEncrypted"),
        )
        kms = found.get("KmsKeyId")
        self.expect(region, name, "customer-managed key", bool(kms), "a KMS key", kms or "none")
        self.key(region, kms)
        if not secondary:  # replicas and global secondaries copy the source's data
            self.expect(
                region,
                name,
                "deletion protection",
                found.get("DeletionProtection") is True,
                "true",
                found.get("DeletionProtection"),
            )
            days = found.get("BackupRetentionPeriod", 0)
            self.expect(
                region,
                name,
                "backup retention",
                days >= self.min_backup_days,
                f">= {self.min_backup_days} days",
                f"{days} days",
            )

    # -- redis --------------------------------------------------------------------------------

    def redis(self, region: str, purpose: str, entry: Mapping[str, Any]) -> None:
        group_id = str(entry["replicationGroupId"])
        group = self.client("elasticache", region).describe_replication_groups(ReplicationGroupId=group_id)[
            "ReplicationGroups"
        ][0]
        name = f"ElastiCache {group_id}"
        self.expect(
            region,
            name,
            "encrypted at rest",
            group.get("AtRestEncryptionEnabled") is True,
            "true",
            group.get("AtRestEncryptionEnabled"),
        )
        self.expect(
            region,
            name,
            "TLS in transit",
            group.get("TransitEncryptionEnabled") is True,
            "true",
            group.get("TransitEncryptionEnabled"),
        )
        mode = group.get("TransitEncryptionMode")
        self.expect(region, name, "TLS required", mode in (None, "required"), "required", mode)
        self.key(region, group.get("KmsKeyId"))
        if purpose == "queue":
            limit = group.get("SnapshotRetentionLimit", 0)
            self.expect(region, name, "queue snapshots", limit >= 1, ">= 1 day", f"{limit} days")

    # -- clusters -----------------------------------------------------------------------------

    def cluster(self, region: str, entry: Mapping[str, Any], allow_public_endpoint: bool) -> None:
        cluster_name = str(entry["name"])
        found = self.client("eks", region).describe_cluster(name=cluster_name)["cluster"]
        name = f"EKS {cluster_name}"
        vpc = found.get("resourcesVpcConfig", {})
        public = vpc.get("endpointPublicAccess") is True
        self.expect(
            region,
            name,
            "API endpoint private",
            allow_public_endpoint or not public,
            "private",
            "public" if public else "private",
        )
        if public:
            cidrs = vpc.get("publicAccessCidrs") or ["0.0.0.0/0"]
            self.expect(
                region, name, "API not open to the world", "0.0.0.0/0" not in cidrs, "limited CIDRs", ", ".join(cidrs)
            )
        secrets = [c for c in found.get("encryptionConfig", []) if "secrets" in c.get("resources", [])]
        key_arn = secrets[0].get("provider", {}).get("keyArn") if secrets else None
        self.expect(region, name, "secrets encryption", bool(key_arn), "a KMS key", key_arn or "none")
        self.key(region, key_arn)
        enabled = {
            t
            for entry in found.get("logging", {}).get("clusterLogging", [])
            if entry.get("enabled")
            for t in entry.get("types", [])
        }
        missing = [kind for kind in REQUIRED_EKS_LOGS if kind not in enabled]
        self.expect(
            region,
            name,
            "control-plane logs",
            not missing,
            ", ".join(REQUIRED_EKS_LOGS),
            f"missing {', '.join(missing)}" if missing else "on",
        )

    # -- network ------------------------------------------------------------------------------

    def network(self, region: str, entry: Mapping[str, Any]) -> None:
        ec2 = self.client("ec2", region)
        vpc_id = str(entry["vpcId"])
        logs = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc_id]}])["FlowLogs"]
        active = [log for log in logs if log.get("FlowLogStatus", "ACTIVE") == "ACTIVE"]
        self.expect(region, f"VPC {vpc_id}", "flow logs", bool(active), "on", "off")
        groups = ec2.describe_security_groups(
            Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}]
        )["SecurityGroups"]
        for group in groups:
            rules = len(group.get("IpPermissions", [])) + len(group.get("IpPermissionsEgress", []))
            self.expect(
                region,
                f"default security group {group['GroupId']}",
                "no rules",
                rules == 0,
                "0 rules",
                f"{rules} rules",
            )

    def key_rotation(self, region: str, arn: str) -> None:
        status = self.client("kms", region).get_key_rotation_status(KeyId=arn)
        enabled = status.get("KeyRotationEnabled") is True
        self.expect(region, f"KMS key {arn}", "rotation", enabled, "on", "on" if enabled else "off")

    def keys_rotate(self) -> None:
        for region, arns in sorted(self.keys.items()):
            for arn in sorted(arns):
                self.guarded(region, f"KMS key {arn}", self.key_rotation, region, arn)


def audit(
    outputs: StackOutputs,
    *,
    client: ClientFactory | None = None,
    min_backup_days: int = 7,
    allow_public_endpoint: bool = False,
) -> AuditResult:
    auditor = _Auditor(client or default_client, min_backup_days)
    for region in outputs.regions:
        database = outputs.require("databases", region)
        auditor.guarded(region, f"database {database.get('identifier')}", auditor.database, region, database)
        for purpose, entry in outputs.require("redis", region).items():
            auditor.guarded(region, f"redis {purpose}", auditor.redis, region, purpose, entry)
        cluster = outputs.require("clusters", region)
        auditor.guarded(region, f"EKS {cluster.get('name')}", auditor.cluster, region, cluster, allow_public_endpoint)
        network = outputs.require("networks", region)
        auditor.guarded(region, f"VPC {network.get('vpcId')}", auditor.network, region, network)
    auditor.keys_rotate()
    return AuditResult(checked=auditor.checked, findings=auditor.findings, errors=auditor.errors)


def render_text(result: AuditResult) -> Iterator[str]:
    yield f"Audit: {result.checked} checks, {len(result.findings)} drifted, {len(result.errors)} could not be read."
    for finding in result.findings:
        yield f"  DRIFT  {finding}"
    for error in result.errors:
        yield f"  ERROR  {error}"

"""Which input changes replace a resource, and which resources hold data, per type, from the providers' source.

pulumi-aws wraps terraform-provider-aws: an attribute marked `ForceNew` in the Terraform schema (or
forced by the resource's `CustomizeDiff`) makes Pulumi replace the resource when it changes. Each
row names the file of hashicorp/terraform-provider-aws it was read from; attribute names are
Pulumi's (the Terraform name in camelCase; a block of at most one item is an object, so
`vpc_config.0.subnet_ids` is `vpcConfig.subnetIds`). Kubernetes objects follow pulumi-kubernetes'
own table (provider/pkg/provider/diff.go), which mirrors the fields the Kubernetes API refuses to
change (a Deployment's `spec.selector` is immutable in apps/v1).

A type missing here has no known rule: the diff reports its changes as updates and says so.
No Pulumi import: the diff runs on plain export documents.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

TF_AWS = "hashicorp/terraform-provider-aws"
K8S_SOURCE = "pulumi/pulumi-kubernetes provider/pkg/provider/diff.go"

Inputs = Mapping[str, Any]
Condition = Callable[[Inputs, Inputs], bool]
"""(old inputs, new inputs) -> whether this change replaces (a CustomizeDiff ForceNewIf)."""


@dataclass(frozen=True)
class Rule:
    """The inputs of one type that force a replacement, and where that is written."""

    source: str
    paths: frozenset[str]
    conditional: Mapping[str, Condition] = field(default_factory=dict)
    """Paths that replace only when their condition holds for the old and new inputs."""

    def replaces(self, path: str, old: Inputs, new: Inputs) -> bool:
        """Whether a change at `path` (dotted, `[i]` for list items) replaces the resource.

        A change at or under a rule's path replaces; so does a change of a whole block that holds
        one (the block was added, removed or resized)."""
        bare = _without_indexes(path)
        for rule_path in self.paths:
            if _within(bare, rule_path) or _within(rule_path, bare):
                return True
        return any(
            (_within(bare, rule_path) or _within(rule_path, bare)) and condition(old, new)
            for rule_path, condition in self.conditional.items()
        )


def _without_indexes(path: str) -> str:
    parts: list[str] = []
    for part in path.split("."):
        parts.append(part.split("[", 1)[0])
    return ".".join(parts)


def _within(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + ".")


def _aws(file: str, *paths: str, **conditional: Condition) -> Rule:
    return Rule(source=f"{TF_AWS} {file}", paths=frozenset(paths), conditional=conditional)


def _version(text: Any) -> tuple[int, ...]:
    numbers: list[int] = []
    for part in str(text or "").split("."):
        digits = "".join(ch for ch in part if ch.isdigit())
        numbers.append(int(digits) if digits else 0)
    return tuple(numbers)


def _engine_version_lowered(old: Inputs, new: Inputs) -> bool:
    # customizeDiffEngineVersionForceNewOnDowngrade: a lower engine version cannot be applied in place.
    return bool(old.get("engineVersion")) and _version(new.get("engineVersion")) < _version(old.get("engineVersion"))


def _engine_lowered(old: Inputs, new: Inputs) -> bool:
    # customizeDiffEngineForceNewOnDowngrade: valkey back to redis is a new replication group.
    return old.get("engine") == "valkey" and new.get("engine") == "redis"


def _not_aurora(old: Inputs, new: Inputs) -> bool:
    # ForceNewIf(storage_type): "Aurora supports mutation of the storage_type parameter, other engines do not".
    return not str(new.get("engine", "")).startswith("aurora")


def _snapshot_set(old: Inputs, new: Inputs) -> bool:
    # DiffSuppressFunc: removing snapshot_identifier does not force re-creation.
    return bool(new.get("snapshotIdentifier"))


def _encryption_removed(old: Inputs, new: Inputs) -> bool:
    # ForceNewIfChange(encryption_config): envelope encryption cannot be disabled once enabled.
    return bool(old.get("encryptionConfig")) and not new.get("encryptionConfig")


def _node_role_changed(old: Inputs, new: Inputs) -> bool:
    # compute_config.0.node_role_arn forces new only when an existing role changes.
    before = (old.get("computeConfig") or {}).get("nodeRoleArn")
    return bool(before) and before != (new.get("computeConfig") or {}).get("nodeRoleArn")


def _ipv6_was_assigned(old: Inputs, new: Inputs) -> bool:
    # ForceNewIf(ipv6_cidr_block): a subnet created with assign_ipv6_address_on_creation is recreated.
    return bool(old.get("assignIpv6AddressOnCreation"))


def _any(old: Inputs, new: Inputs) -> bool:
    # ForceNewIf(node_group_configuration) on "significant" changes: any change is counted here.
    return True


_RDS_CLUSTER = _aws(
    "internal/service/rds/cluster.go",
    "availabilityZones",
    "clusterIdentifier",
    "clusterIdentifierPrefix",
    "clusterScalabilityType",
    "databaseName",
    "dbSubnetGroupName",
    "dbSystemId",
    "engine",
    "engineMode",
    "kmsKeyId",
    "masterUsername",
    "restoreToPointInTime",
    "s3Import",
    "sourceRegion",
    "storageEncrypted",
    snapshotIdentifier=_snapshot_set,
    storageType=_not_aurora,
)

_S3_BUCKET = _aws("internal/service/s3/bucket.go", "bucket", "bucketPrefix")

AWS_RULES: dict[str, Rule] = {
    "aws:rds/cluster:Cluster": _RDS_CLUSTER,
    "aws:rds/instance:Instance": _aws(
        "internal/service/rds/instance.go",
        "availabilityZone",
        "characterSetName",
        "customIamInstanceProfile",
        "dbName",
        "engine",
        "identifier",
        "identifierPrefix",
        "kmsKeyId",
        "ncharCharacterSetName",
        "restoreToPointInTime",
        "s3Import",
        "snapshotIdentifier",
        "storageEncrypted",
        "timezone",
        "username",
    ),
    "aws:rds/clusterInstance:ClusterInstance": _aws(
        "internal/service/rds/cluster_instance.go",
        "availabilityZone",
        "clusterIdentifier",
        "customIamInstanceProfile",
        "dbSubnetGroupName",
        "engine",
        "identifier",
        "identifierPrefix",
    ),
    "aws:rds/globalCluster:GlobalCluster": _aws(
        "internal/service/rds/global_cluster.go",
        "databaseName",
        "engine",
        "globalClusterIdentifier",
        "sourceDbClusterIdentifier",
        "storageEncrypted",
    ),
    "aws:elasticache/replicationGroup:ReplicationGroup": _aws(
        "internal/service/elasticache/replication_group.go",
        "atRestEncryptionEnabled",
        "dataTieringEnabled",
        "globalReplicationGroupId",
        "kmsKeyId",
        "networkType",
        "port",
        "replicationGroupId",
        "securityGroupNames",
        "snapshotArns",
        "snapshotName",
        "subnetGroupName",
        engineVersion=_engine_version_lowered,
        engine=_engine_lowered,
        nodeGroupConfigurations=_any,
    ),
    "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup": _aws(
        "internal/service/elasticache/global_replication_group.go",
        "globalReplicationGroupIdSuffix",
        "primaryReplicationGroupId",
    ),
    "aws:kms/key:Key": _aws(
        "internal/service/kms/key.go",
        "customKeyStoreId",
        "customerMasterKeySpec",
        "keyUsage",
        "multiRegion",
        "xksKeyId",
    ),
    "aws:s3/bucket:Bucket": _S3_BUCKET,
    "aws:s3/bucketV2:BucketV2": _S3_BUCKET,
    "aws:ebs/volume:Volume": _aws(
        "internal/service/ec2/ebs_volume.go",
        "availabilityZone",
        "encrypted",
        "kmsKeyId",
        "multiAttachEnabled",
        "outpostArn",
        "snapshotId",
    ),
    # name and the encryption_configuration block (encryption_type, kms_key) are ForceNew.
    "aws:ecr/repository:Repository": _aws("internal/service/ecr/repository.go", "encryptionConfigurations", "name"),
    "aws:secretsmanager/secret:Secret": _aws("internal/service/secretsmanager/secret.go", "name", "namePrefix"),
    "aws:eks/cluster:Cluster": _aws(
        "internal/service/eks/cluster.go",
        "accessConfig.bootstrapClusterCreatorAdminPermissions",
        "bootstrapSelfManagedAddons",
        "kubernetesNetworkConfig.ipFamily",
        "kubernetesNetworkConfig.serviceIpv4Cidr",
        "name",
        "outpostConfig.controlPlaneInstanceType",
        "outpostConfig.controlPlanePlacement.groupName",
        "remoteNetworkConfig",
        "roleArn",
        encryptionConfig=_encryption_removed,
        computeConfig=_node_role_changed,
    ),
    "aws:eks/nodeGroup:NodeGroup": _aws(
        "internal/service/eks/node_group.go",
        "amiType",
        "capacityType",
        "clusterName",
        "diskSize",
        "instanceTypes",
        "launchTemplate.id",
        "launchTemplate.name",
        "nodeGroupName",
        "nodeGroupNamePrefix",
        "nodeRoleArn",
        "remoteAccess",
        "subnetIds",
    ),
    "aws:ec2/vpc:Vpc": _aws("internal/service/ec2/vpc_.go", "cidrBlock", "ipv4IpamPoolId", "ipv4NetmaskLength"),
    # A security group's description cannot change in place (the EC2 API has no call for it).
    "aws:ec2/securityGroup:SecurityGroup": _aws(
        "internal/service/ec2/vpc_security_group.go", "description", "name", "namePrefix", "vpcId"
    ),
    # pulumi-aws names the alarm_name attribute `name`.
    "aws:cloudwatch/metricAlarm:MetricAlarm": _aws("internal/service/cloudwatch/metric_alarm.go", "name"),
    "aws:cloudwatch/logGroup:LogGroup": _aws("internal/service/logs/group.go", "logGroupClass", "name", "namePrefix"),
    "aws:iam/role:Role": _aws("internal/service/iam/role.go", "name", "namePrefix", "path"),
    "aws:ec2/subnet:Subnet": _aws(
        "internal/service/ec2/vpc_subnet.go",
        "availabilityZone",
        "availabilityZoneId",
        "cidrBlock",
        "ipv4IpamPoolId",
        "ipv4NetmaskLength",
        "ipv6IpamPoolId",
        "ipv6Native",
        "ipv6NetmaskLength",
        "outpostArn",
        "vpcId",
        ipv6CidrBlock=_ipv6_was_assigned,
    ),
}

# pulumi-kubernetes: every object is replaced when `metadata.name` or `metadata.namespace` changes
# (metadataForceNewProperties), plus these fields per kind; `policy/v1` PodDisruptionBudgets are
# updated in place (only `policy/v1beta1` is listed there).
_K8S_METADATA = frozenset({"metadata.name", "metadata.namespace"})
_K8S_KINDS: dict[str, frozenset[str]] = {
    "kubernetes:apps/v1:Deployment": frozenset({"spec.selector"}),
    "kubernetes:apps/v1:StatefulSet": frozenset(
        {
            "spec.podManagementPolicy",
            "spec.revisionHistoryLimit",
            "spec.selector",
            "spec.serviceName",
            "spec.volumeClaimTemplates",
        }
    ),
    "kubernetes:core/v1:ConfigMap": frozenset({"binaryData", "data"}),
    "kubernetes:core/v1:PersistentVolumeClaim": frozenset({"spec"}),
    "kubernetes:core/v1:ResourceQuota": frozenset({"spec.scopes"}),
    "kubernetes:core/v1:Secret": frozenset({"type", "stringData", "data"}),
    "kubernetes:core/v1:Service": frozenset({"spec.clusterIP"}),
    "kubernetes:batch/v1:Job": frozenset({"spec.completions", "spec.parallelism", "spec.selector", "spec.template"}),
}


def rule_for(type_token: str) -> Rule | None:
    """The replacement rule of a type, or None when none is known."""
    if type_token in AWS_RULES:
        return AWS_RULES[type_token]
    if type_token.startswith("kubernetes:") and not type_token.startswith("kubernetes:helm.sh/"):
        return Rule(source=K8S_SOURCE, paths=_K8S_METADATA | _K8S_KINDS.get(type_token, frozenset()))
    return None


# What a replacement or deletion of each type loses: the data it holds, or the key that decrypts
# data elsewhere. Cluster instances are left out: an Aurora instance holds no data of its own (the
# cluster volume does), so replacing one is a failover, not a loss.
STATEFUL: dict[str, str] = {
    "aws:rds/cluster:Cluster": "database",
    "aws:rds/instance:Instance": "database",
    "aws:rds/globalCluster:GlobalCluster": "global cluster",
    "aws:dynamodb/table:Table": "database",
    "aws:elasticache/replicationGroup:ReplicationGroup": "cache",
    "aws:elasticache/cluster:Cluster": "cache",
    "aws:elasticache/serverlessCache:ServerlessCache": "cache",
    "aws:ecr/repository:Repository": "image repository",
    "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup": "datastore",
    "aws:kms/key:Key": "key",
    "aws:s3/bucket:Bucket": "bucket",
    "aws:s3/bucketV2:BucketV2": "bucket",
    "aws:ebs/volume:Volume": "volume",
    "aws:efs/fileSystem:FileSystem": "volume",
    "aws:secretsmanager/secret:Secret": "secret",
    "kubernetes:core/v1:PersistentVolume": "volume",
    "kubernetes:core/v1:PersistentVolumeClaim": "volume",
}

"""Encryption at rest with customer-managed keys, and in transit, for every AWS data service."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from policies.rule import Resource, Rule, StackRule, at, mapping, sequence

RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
RDS_CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
BUCKET_ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"


def _storage_cmk(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if resource.props.get("storageEncrypted") is not True:
        yield "set storageEncrypted: true"
    if not resource.props.get("kmsKeyId"):
        yield "set kmsKeyId to a customer-managed KMS key (the AWS-managed aws/rds key cannot be audited or shared)"


def _performance_insights(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if resource.props.get("performanceInsightsEnabled") is True and not resource.props.get(
        "performanceInsightsKmsKeyId"
    ):
        yield "set performanceInsightsKmsKeyId to a customer-managed KMS key"


def _elasticache(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if resource.props.get("globalReplicationGroupId"):
        return  # a Global Datastore member inherits the primary's encryption settings
    if resource.props.get("atRestEncryptionEnabled") is not True:
        yield "set atRestEncryptionEnabled: true"
    if not resource.props.get("kmsKeyId"):
        yield "set kmsKeyId to a customer-managed KMS key"
    if resource.props.get("transitEncryptionEnabled") is not True:
        yield "set transitEncryptionEnabled: true"
    elif resource.props.get("transitEncryptionMode") == "preferred":
        yield "set transitEncryptionMode: required (preferred still accepts plain-text clients)"


def _eks_secrets(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    encryption = mapping(resource.props.get("encryptionConfig"))
    if "secrets" not in sequence(encryption.get("resources")) or not at(encryption, "provider", "keyArn"):
        yield "set encryptionConfig with resources [secrets] and provider.keyArn (a customer-managed KMS key)"


def _ebs_volume(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if resource.props.get("encrypted") is not True:
        yield "set encrypted: true"


def _launch_template(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    for index, mapping_ in enumerate(sequence(resource.props.get("blockDeviceMappings"))):
        ebs = mapping(mapping(mapping_).get("ebs"))
        if ebs and str(ebs.get("encrypted")).lower() != "true":
            yield f"blockDeviceMappings[{index}].ebs: set encrypted: true"


def _kms_field(field: str) -> Any:
    def check(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
        if not resource.props.get(field):
            yield f"set {field} to a customer-managed KMS key"

    return check


def _rotation(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    spec = resource.props.get("customerMasterKeySpec") or resource.props.get("keySpec") or "SYMMETRIC_DEFAULT"
    if spec == "SYMMETRIC_DEFAULT" and resource.props.get("enableKeyRotation") is not True:
        yield "set enableKeyRotation: true"


def _force_ssl(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    family = str(resource.props.get("family") or "")
    if not (family.startswith("postgres") or family.startswith("aurora-postgresql")):
        return
    values = {
        mapping(parameter).get("name"): str(mapping(parameter).get("value"))
        for parameter in sequence(resource.props.get("parameters"))
    }
    if values.get("rds.force_ssl") != "1":
        yield "add the parameter rds.force_ssl = 1 (PostgreSQL accepts only TLS connections)"


def _buckets(resources: Sequence[Resource], config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Every bucket has SSE-KMS and a public access block that blocks everything."""

    def names(kinds: Sequence[str], check: Any) -> set[Any]:
        return {r.props.get("bucket") for r in resources if r.type in kinds and check(r)}

    def kms(resource: Resource) -> bool:
        return any(
            at(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm") in ("aws:kms", "aws:kms:dsse")
            for rule in sequence(resource.props.get("rules"))
        )

    def blocked(resource: Resource) -> bool:
        keys = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
        return all(resource.props.get(key) is True for key in keys)

    encrypted = names(BUCKET_ENCRYPTION, kms)
    private = names((PUBLIC_ACCESS_BLOCK,), blocked)
    for bucket in (r for r in resources if r.type in BUCKETS):
        name = bucket.props.get("bucket")
        if name not in encrypted:
            yield (
                f"bucket {bucket.name}: add a server-side encryption configuration with sseAlgorithm aws:kms",
                bucket.urn,
            )
        if name not in private:
            yield f"bucket {bucket.name}: add a public access block with all four settings true", bucket.urn


ENCRYPTION_RULES = (
    Rule(
        name="encryption-rds-storage-cmk",
        description="RDS instances and Aurora clusters are encrypted with a customer-managed KMS key.",
        severity="high",
        enforcement="mandatory",
        check=_storage_cmk,
        resource_types=(RDS_INSTANCE, RDS_CLUSTER),
    ),
    Rule(
        name="encryption-rds-performance-insights-cmk",
        description="Performance Insights data is encrypted with a customer-managed KMS key.",
        severity="medium",
        enforcement="mandatory",
        check=_performance_insights,
        resource_types=(RDS_INSTANCE, RDS_CLUSTER_INSTANCE),
    ),
    Rule(
        name="encryption-elasticache-at-rest-and-in-transit",
        description="ElastiCache replication groups encrypt at rest with a KMS key and require TLS.",
        severity="high",
        enforcement="mandatory",
        check=_elasticache,
        resource_types=("aws:elasticache/replicationGroup:ReplicationGroup",),
    ),
    Rule(
        name="encryption-eks-secrets",
        description="EKS clusters encrypt Kubernetes secrets with a customer-managed KMS key.",
        severity="high",
        enforcement="mandatory",
        check=_eks_secrets,
        resource_types=("aws:eks/cluster:Cluster",),
    ),
    Rule(
        name="encryption-ebs-volume-encrypted",
        description="EBS volumes are encrypted.",
        severity="high",
        enforcement="mandatory",
        check=_ebs_volume,
        resource_types=("aws:ebs/volume:Volume",),
    ),
    Rule(
        name="encryption-ec2-launch-template-volumes-encrypted",
        description="Launch-template block devices are encrypted.",
        severity="high",
        enforcement="mandatory",
        check=_launch_template,
        resource_types=("aws:ec2/launchTemplate:LaunchTemplate",),
    ),
    Rule(
        name="encryption-cloudwatch-log-group-cmk",
        description="CloudWatch log groups are encrypted with a KMS key.",
        severity="medium",
        enforcement="mandatory",
        check=_kms_field("kmsKeyId"),
        resource_types=("aws:cloudwatch/logGroup:LogGroup",),
    ),
    Rule(
        name="encryption-secretsmanager-secret-cmk",
        description="Secrets Manager secrets are encrypted with a customer-managed KMS key.",
        severity="high",
        enforcement="mandatory",
        check=_kms_field("kmsKeyId"),
        resource_types=("aws:secretsmanager/secret:Secret",),
    ),
    Rule(
        name="encryption-sns-topic-cmk",
        description="SNS topics are encrypted with a KMS key.",
        severity="medium",
        enforcement="mandatory",
        check=_kms_field("kmsMasterKeyId"),
        resource_types=("aws:sns/topic:Topic",),
    ),
    Rule(
        name="encryption-kms-key-rotation",
        description="Symmetric KMS keys rotate yearly.",
        severity="medium",
        enforcement="mandatory",
        check=_rotation,
        resource_types=("aws:kms/key:Key",),
    ),
    Rule(
        name="encryption-rds-postgres-force-ssl",
        description="PostgreSQL parameter groups set rds.force_ssl = 1.",
        severity="high",
        enforcement="mandatory",
        check=_force_ssl,
        resource_types=("aws:rds/parameterGroup:ParameterGroup", "aws:rds/clusterParameterGroup:ClusterParameterGroup"),
    ),
)

ENCRYPTION_STACK_RULES = (
    StackRule(
        name="encryption-s3-bucket-kms-and-private",
        description="Every S3 bucket has SSE-KMS and a public access block that blocks everything.",
        severity="high",
        enforcement="mandatory",
        check=_buckets,
    ),
)

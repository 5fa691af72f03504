"""Encryption at rest with customer-managed keys, and in transit, for every AWS data service."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from eksplatform.policies.rule import (
    Resource,
    Rule,
    StackRule,
    at,
    customer_managed_key,
    is_unknown,
    mapping,
    schema,
    sequence,
    truthy,
)

RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"
RDS_CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
RDS_GLOBAL_CLUSTER = "aws:rds/globalCluster:GlobalCluster"
ELASTICACHE_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
ELASTICACHE_CLUSTER = "aws:elasticache/cluster:Cluster"
ELASTICACHE_SERVERLESS = "aws:elasticache/serverlessCache:ServerlessCache"
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
BUCKET_ENCRYPTION = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
PUBLIC_ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ACCOUNT_PUBLIC_ACCESS_BLOCK = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")
BLOCK_SETTINGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")


def _replica(resource: Resource) -> bool:
    """A read replica takes its encryption from its source (RDS user guide, "Working with DB
    instance read replicas"); only a cross-region replica names a key of its own region."""
    return resource.type == RDS_INSTANCE and bool(resource.props.get("replicateSourceDb"))


def _cmk_message(field: str, value: Any) -> str:
    if isinstance(value, str) and value.strip():
        return (
            f"{field} {value} is an AWS-managed key; set it to a customer-managed KMS key "
            "(an AWS-managed key cannot be audited, shared or have its policy changed)"
        )
    return f"set {field} to a customer-managed KMS key"


def _definitely_not_true(value: Any) -> bool:
    """Known, and not true (a preview's unknown value decides nothing)."""
    return value is not True and not is_unknown(value)


def _not_customer_managed(value: Any) -> bool:
    return not is_unknown(value) and not customer_managed_key(value)


def _storage_cmk(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """Each field judged on its own: an unknown key does not hide `storageEncrypted: false`."""
    props = resource.props
    if resource.type == RDS_GLOBAL_CLUSTER:
        # Members bring their own regional keys; the global cluster only says whether it is encrypted.
        source = props.get("sourceDbClusterIdentifier")
        if _definitely_not_true(props.get("storageEncrypted")) and not source and not is_unknown(source):
            yield "set storageEncrypted: true"
        return
    key = props.get("kmsKeyId")
    replica = props.get("replicateSourceDb")
    if is_unknown(replica):
        return  # whether it inherits its source's encryption is not known yet
    if _replica(resource):
        if key is not None and _not_customer_managed(key):
            yield _cmk_message("kmsKeyId", key)
        return
    if _definitely_not_true(props.get("storageEncrypted")):
        yield "set storageEncrypted: true"
    if _not_customer_managed(key):
        yield _cmk_message("kmsKeyId", key)


def _performance_insights(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if resource.props.get("performanceInsightsEnabled") is not True:
        return
    key = resource.props.get("performanceInsightsKmsKeyId")
    if _not_customer_managed(key):
        yield _cmk_message("performanceInsightsKmsKeyId", key)


def _elasticache(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    props = resource.props
    if props.get("globalReplicationGroupId") or is_unknown(props.get("globalReplicationGroupId")):
        return  # a Global Datastore member inherits the primary's encryption settings
    if resource.type == ELASTICACHE_CLUSTER:
        if props.get("replicationGroupId") or is_unknown(props.get("replicationGroupId")):
            return  # a member of a replication group: the group is checked
        # A stand-alone cache cluster has no at-rest encryption setting (aws_elasticache_cluster).
        yield "a stand-alone cache cluster cannot encrypt at rest; use an aws.elasticache.ReplicationGroup"
        if _definitely_not_true(props.get("transitEncryptionEnabled")):
            yield "set transitEncryptionEnabled: true"
        return
    if resource.type == ELASTICACHE_SERVERLESS:
        # Serverless caches always encrypt at rest and in transit; the key is the choice.
        if _not_customer_managed(props.get("kmsKeyId")):
            yield _cmk_message("kmsKeyId", props.get("kmsKeyId"))
        return
    if _definitely_not_true(props.get("atRestEncryptionEnabled")):
        yield "set atRestEncryptionEnabled: true"
    if _not_customer_managed(props.get("kmsKeyId")):
        yield _cmk_message("kmsKeyId", props.get("kmsKeyId"))
    transit, mode = props.get("transitEncryptionEnabled"), props.get("transitEncryptionMode")
    if _definitely_not_true(transit):
        yield "set transitEncryptionEnabled: true"
    elif transit is True and mode not in (None, "required") and not is_unknown(mode):
        yield "set transitEncryptionMode: required (preferred still accepts plain-text clients)"


def _eks_secrets(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    encryption = resource.props.get("encryptionConfig")
    if is_unknown(encryption):
        return
    resources, key = mapping(encryption).get("resources"), at(encryption, "provider", "keyArn")
    if is_unknown(resources) or any(is_unknown(item) for item in sequence(resources)):
        return
    if "secrets" not in sequence(resources) or _not_customer_managed(key):
        yield "set encryptionConfig with resources [secrets] and provider.keyArn (a customer-managed KMS key)"


def _ebs_volume(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    props = resource.props
    if resource.type == "aws:ec2/instance:Instance":
        root = at(props, "rootBlockDevice", "encrypted")
        if not truthy(root) and not is_unknown(root) and not is_unknown(props.get("rootBlockDevice")):
            yield "set rootBlockDevice.encrypted: true (otherwise the AMI's snapshot decides)"
        for index, device in enumerate(sequence(props.get("ebsBlockDevices"))):
            encrypted = mapping(device).get("encrypted")
            if not truthy(encrypted) and not is_unknown(encrypted) and not is_unknown(device):
                yield f"ebsBlockDevices[{index}]: set encrypted: true"
        return
    if _definitely_not_true(props.get("encrypted")):
        yield "set encrypted: true"


# The root device of Linux AMIs: /dev/xvda (Amazon Linux, Bottlerocket) or /dev/sda1 (Ubuntu,
# most others) (EC2 user guide, "Device names for volumes on Amazon EC2 instances").
ROOT_DEVICES = ("/dev/xvda", "/dev/sda1")


def _launch_template(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    """Every EBS mapping encrypted, and the root volume among them: an undeclared root follows the
    AMI's snapshot, which may be unencrypted. Only a non-empty noDevice suppresses a device (the
    provider sends "" when it is unset)."""
    devices = resource.props.get("blockDeviceMappings")
    if is_unknown(devices):
        return
    declared = False
    for index, device in enumerate(sequence(devices)):
        device = mapping(device)
        if device.get("virtualName") or (isinstance(device.get("noDevice"), str) and device["noDevice"].strip()):
            continue  # an instance-store volume, or a mapping that suppresses a device
        encrypted = at(device, "ebs", "encrypted")
        if not truthy(encrypted) and not is_unknown(encrypted):
            yield f"blockDeviceMappings[{index}].ebs: set encrypted: true"
        declared = declared or device.get("deviceName") in ROOT_DEVICES or is_unknown(device.get("deviceName"))
    if not declared:
        yield (
            f"declare the root volume ({' or '.join(ROOT_DEVICES)}, as the AMI names it) in blockDeviceMappings "
            "with ebs.encrypted true (otherwise the AMI's snapshot decides)"
        )


def _kms_field(field: str) -> Any:
    def check(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
        if _not_customer_managed(resource.props.get(field)):
            yield _cmk_message(field, resource.props.get(field))

    return check


def _rotates(resource: Resource) -> bool:
    """Only symmetric encryption keys with key material from KMS can rotate automatically."""
    spec = resource.props.get("customerMasterKeySpec") or resource.props.get("keySpec") or "SYMMETRIC_DEFAULT"
    usage = resource.props.get("keyUsage") or "ENCRYPT_DECRYPT"
    return spec == "SYMMETRIC_DEFAULT" and usage == "ENCRYPT_DECRYPT"


def _rotation(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if not _rotates(resource):
        return
    if _definitely_not_true(resource.props.get("enableKeyRotation")):
        yield "set enableKeyRotation: true"
    period = resource.props.get("rotationPeriodInDays")
    if isinstance(period, (int, float)) and period > config["maxRotationPeriodDays"]:
        yield f"rotationPeriodInDays {period:g} is longer than {config['maxRotationPeriodDays']} days; rotate yearly"


def _rotate(resource: Resource, config: Mapping[str, Any]) -> Mapping[str, Any] | None:
    if not _rotates(resource):
        return None
    period = resource.props.get("rotationPeriodInDays")
    fixed = {**resource.props, "enableKeyRotation": True}
    if isinstance(period, (int, float)) and period > config["maxRotationPeriodDays"]:
        fixed["rotationPeriodInDays"] = config["maxRotationPeriodDays"]
    return fixed


def _force_ssl(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    family = str(resource.props.get("family") or "")
    if not (family.startswith("postgres") or family.startswith("aurora-postgresql")):
        return
    parameters = resource.props.get("parameters")
    if is_unknown(parameters) or any(is_unknown(parameter) for parameter in sequence(parameters)):
        return
    values = {mapping(parameter).get("name"): mapping(parameter).get("value") for parameter in sequence(parameters)}
    if is_unknown(values.get("rds.force_ssl")):
        return
    if str(values.get("rds.force_ssl")) != "1":
        yield "add the parameter rds.force_ssl = 1 (PostgreSQL accepts only TLS connections)"


def _inline_rules(bucket: Resource) -> list[Any]:
    """Encryption rules set on the bucket itself: `serverSideEncryptionConfiguration.rule` (Bucket,
    pulumi-aws 7 and the v6 legacy Bucket) or `serverSideEncryptionConfigurations[].rules` (v6 BucketV2)."""
    found = [at(bucket.props, "serverSideEncryptionConfiguration", "rule")]
    for configuration in sequence(bucket.props.get("serverSideEncryptionConfigurations")):
        found += sequence(mapping(configuration).get("rules"))
    return found


def _sse_kms(rules: list[Any]) -> bool | None:
    """True with an aws:kms default, None while a preview does not know the algorithm."""
    algorithms = [at(rule, "applyServerSideEncryptionByDefault", "sseAlgorithm") for rule in rules]
    if any(algorithm in KMS_ALGORITHMS for algorithm in algorithms):
        return True
    return None if any(is_unknown(algorithm) for algorithm in algorithms) else False


def _blocks_everything(resource: Resource) -> bool | None:
    settings = [resource.props.get(key) for key in BLOCK_SETTINGS]
    if all(setting is True for setting in settings):
        return True
    return None if any(is_unknown(setting) for setting in settings) else False


def _for_bucket(bucket: Resource, resource: Resource) -> bool:
    """Does this configuration resource name the bucket: by the URN its `bucket` came from, or
    by the same known name (S3 bucket names are global)."""
    if bucket.urn in resource.sources("bucket"):
        return True
    name = bucket.props.get("bucket")
    return isinstance(name, str) and bool(name) and resource.props.get("bucket") == name


def _buckets(resources: Sequence[Resource], config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """Every bucket has SSE-KMS and a public access block that blocks everything."""
    encryptions = [r for r in resources if r.type in BUCKET_ENCRYPTION]
    blocks = [r for r in resources if r.type == PUBLIC_ACCESS_BLOCK]
    account_blocked = any(_blocks_everything(r) for r in resources if r.type == ACCOUNT_PUBLIC_ACCESS_BLOCK)
    for bucket in (r for r in resources if r.type in BUCKETS):
        kms = [_sse_kms(_inline_rules(bucket))]
        kms += [_sse_kms(sequence(r.props.get("rules"))) for r in encryptions if _for_bucket(bucket, r)]
        if not any(kms) and None not in kms:
            yield (
                f"bucket {bucket.name}: add a server-side encryption configuration with sseAlgorithm aws:kms",
                bucket.urn,
            )
        private = [_blocks_everything(r) for r in blocks if _for_bucket(bucket, r)]
        if not account_blocked and not any(private) and None not in private:
            yield f"bucket {bucket.name}: add a public access block with all four settings true", bucket.urn


ENCRYPTION_RULES = (
    Rule(
        name="encryption-rds-storage-cmk",
        description="RDS instances and Aurora clusters are encrypted with a customer-managed KMS key "
        "(read replicas inherit their source's; global clusters are encrypted).",
        severity="high",
        enforcement="mandatory",
        check=_storage_cmk,
        resource_types=(RDS_INSTANCE, RDS_CLUSTER, RDS_GLOBAL_CLUSTER),
        reference="AWS FSBP RDS.3, RDS.27",
        judges_unknowns=True,
    ),
    Rule(
        name="encryption-rds-performance-insights-cmk",
        description="Performance Insights data is encrypted with a customer-managed KMS key.",
        severity="medium",
        enforcement="mandatory",
        check=_performance_insights,
        resource_types=(RDS_INSTANCE, RDS_CLUSTER, RDS_CLUSTER_INSTANCE),
        reference="AWS KMS: customer managed keys",
        judges_unknowns=True,
    ),
    Rule(
        name="encryption-elasticache-at-rest-and-in-transit",
        description="ElastiCache replication groups, cache clusters and serverless caches encrypt at rest "
        "with a customer-managed KMS key and require TLS.",
        severity="high",
        enforcement="mandatory",
        check=_elasticache,
        resource_types=(ELASTICACHE_GROUP, ELASTICACHE_CLUSTER, ELASTICACHE_SERVERLESS),
        reference="AWS FSBP ElastiCache.4, ElastiCache.5",
        judges_unknowns=True,
    ),
    Rule(
        name="encryption-eks-secrets",
        description="EKS clusters encrypt Kubernetes secrets with a customer-managed KMS key.",
        severity="high",
        enforcement="mandatory",
        check=_eks_secrets,
        resource_types=("aws:eks/cluster:Cluster",),
        reference="AWS FSBP EKS.3",
        judges_unknowns=True,
    ),
    Rule(
        name="encryption-ebs-volume-encrypted",
        description="EBS volumes, and the volumes of EC2 instances, are encrypted.",
        severity="high",
        enforcement="mandatory",
        check=_ebs_volume,
        resource_types=("aws:ebs/volume:Volume", "aws:ec2/instance:Instance"),
        reference="AWS FSBP EC2.3",
        judges_unknowns=True,
    ),
    Rule(
        name="encryption-ec2-launch-template-volumes-encrypted",
        description="Launch templates declare their root EBS volume, and every EBS volume is encrypted.",
        severity="high",
        enforcement="mandatory",
        check=_launch_template,
        resource_types=("aws:ec2/launchTemplate:LaunchTemplate",),
        reference="AWS Control Tower CT.EC2.PR.7; AWS FSBP EC2.3",
        judges_unknowns=True,
    ),
    Rule(
        name="encryption-cloudwatch-log-group-cmk",
        description="CloudWatch log groups are encrypted with a customer-managed KMS key.",
        severity="medium",
        enforcement="mandatory",
        check=_kms_field("kmsKeyId"),
        resource_types=("aws:cloudwatch/logGroup:LogGroup",),
        reference="AWS Config cloudwatch-log-group-encrypted",
        judges_unknowns=True,
    ),
    Rule(
        name="encryption-secretsmanager-secret-cmk",
        description="Secrets Manager secrets are encrypted with a customer-managed KMS key.",
        severity="high",
        enforcement="mandatory",
        check=_kms_field("kmsKeyId"),
        resource_types=("aws:secretsmanager/secret:Secret",),
        reference="AWS Config secretsmanager-using-cmk",
        judges_unknowns=True,
    ),
    Rule(
        name="encryption-sns-topic-cmk",
        description="SNS topics are encrypted with a customer-managed KMS key (CloudWatch alarms cannot "
        "publish to a topic under the AWS-managed aws/sns key).",
        severity="medium",
        enforcement="mandatory",
        check=_kms_field("kmsMasterKeyId"),
        resource_types=("aws:sns/topic:Topic",),
        # FSBP SNS.1 was retired in April 2024; the AWS Config managed rule still checks it.
        reference="AWS Config sns-encrypted-kms",
        judges_unknowns=True,
    ),
    Rule(
        name="encryption-kms-key-rotation",
        description="Symmetric KMS keys rotate at least yearly.",
        severity="medium",
        enforcement="mandatory",
        check=_rotation,
        resource_types=("aws:kms/key:Key",),
        config_schema={
            "maxRotationPeriodDays": schema("integer", 365, "longest rotation period", minimum=90, maximum=2560)
        },
        reference="AWS FSBP KMS.4",
        remediation="Set enableKeyRotation: true (and rotationPeriodInDays at most 365).",
        remedy=_rotate,
        judges_unknowns=True,
    ),
    Rule(
        name="encryption-rds-postgres-force-ssl",
        description="PostgreSQL parameter groups set rds.force_ssl = 1.",
        severity="high",
        enforcement="mandatory",
        check=_force_ssl,
        resource_types=("aws:rds/parameterGroup:ParameterGroup", "aws:rds/clusterParameterGroup:ClusterParameterGroup"),
        reference="AWS RDS user guide: requiring SSL/TLS for PostgreSQL",
        judges_unknowns=True,
    ),
)

ENCRYPTION_STACK_RULES = (
    StackRule(
        name="encryption-s3-bucket-kms-and-private",
        description="Every S3 bucket has SSE-KMS (inline or a configuration resource) and a public access "
        "block that blocks everything (its own or the account's).",
        severity="high",
        enforcement="mandatory",
        check=_buckets,
        reference="AWS FSBP S3.17, S3.8",
    ),
)

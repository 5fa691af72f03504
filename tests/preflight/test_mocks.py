"""The mocks answer like AWS, per region, and the monitor records what the engine would see."""

from __future__ import annotations

import functools
import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_random as random
import pytest

from eksplatform.components.providers import regional_aws_provider
from tests.conftest import Harness
from tests.helpers import decoded

TAGS = {"environment": "dev", "owner": "o", "cost-center": "c", "managed-by": "pulumi"}


def _provider(region: str, account: str = "444455556666") -> aws.Provider:
    return regional_aws_provider(f"aws-{region}", region=region, tags=TAGS, allowed_account_ids=[account])


def test_availability_zones_follow_the_provider_region(harness: Harness) -> None:
    seen: dict[str, Any] = {}

    def program() -> None:
        for region in ("eu-west-1", "us-west-1"):
            zones = aws.get_availability_zones_output(
                state="available", opts=pulumi.InvokeOutputOptions(provider=_provider(region))
            )
            zones.names.apply(lambda names, region=region: seen.__setitem__(region, names))

    harness.run(program)
    assert seen == {"eu-west-1": ["eu-west-1a", "eu-west-1b", "eu-west-1c"], "us-west-1": ["us-west-1a", "us-west-1b"]}


def test_zone_ids_are_the_same_zones_in_every_account_but_names_are_not(harness: Harness) -> None:
    seen: dict[str, Any] = {}

    def record(account: str, found: list[Any]) -> None:
        seen[account] = dict(zip(found[1], found[0], strict=True))

    def program() -> None:
        for account in ("111111111111", "222222222222", "333333333333"):
            zones = aws.get_availability_zones_output(
                exclude_zone_ids=["use1-az6"],
                opts=pulumi.InvokeOutputOptions(
                    provider=regional_aws_provider(
                        f"aws-{account}", region="us-east-1", tags=TAGS, allowed_account_ids=[account]
                    )
                ),
            )
            pulumi.Output.all(zones.names, zones.zone_ids).apply(functools.partial(record, account))

    harness.run(program)
    ids = {frozenset(mapping) for mapping in seen.values()}
    # Six us-east-1 zones less the excluded one; use1-az3 (which EKS refuses) is among them.
    assert ids == {frozenset({"use1-az1", "use1-az2", "use1-az3", "use1-az4", "use1-az5"})}
    assert len({tuple(sorted(mapping.items())) for mapping in seen.values()}) > 1  # names differ per account


def test_caller_identity_and_region_come_from_the_provider(harness: Harness) -> None:
    seen: dict[str, Any] = {}

    def program() -> None:
        provider = _provider("ap-southeast-1", account="777788889999")
        options = pulumi.InvokeOutputOptions(provider=provider)
        aws.get_caller_identity_output(opts=options).account_id.apply(lambda a: seen.__setitem__("account", a))
        aws.get_region_output(opts=options).region.apply(lambda r: seen.__setitem__("region", r))

    harness.run(program)
    assert seen == {"account": "777788889999", "region": "ap-southeast-1"}


def test_policy_document_is_real_iam_json(harness: Harness) -> None:
    seen: list[str] = []

    def program() -> None:
        document = aws.iam.get_policy_document_output(
            statements=[
                aws.iam.GetPolicyDocumentStatementArgs(
                    effect="Allow",
                    actions=["sts:AssumeRole"],
                    principals=[
                        aws.iam.GetPolicyDocumentStatementPrincipalArgs(
                            type="Service", identifiers=["vpc-flow-logs.amazonaws.com"]
                        )
                    ],
                    conditions=[
                        aws.iam.GetPolicyDocumentStatementConditionArgs(
                            test="StringEquals", variable="aws:SourceAccount", values=["444455556666"]
                        )
                    ],
                )
            ],
            opts=pulumi.InvokeOutputOptions(provider=_provider("us-east-1")),
        )
        document.json.apply(seen.append)

    harness.run(program)
    assert json.loads(seen[0]) == {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                "Condition": {"StringEquals": {"aws:SourceAccount": "444455556666"}},
            }
        ],
    }


def test_an_unknown_invoke_fails_loudly(harness: Harness) -> None:
    def program() -> None:
        aws.ec2.get_vpc_output(default=True, opts=pulumi.InvokeOutputOptions(provider=_provider("us-east-1")))

    with pytest.raises(Exception, match="no answer for invoke aws:ec2/getVpc:getVpc"):
        harness.run(program)


def test_a_duplicate_urn_fails_like_the_engine(harness: Harness) -> None:
    def program() -> None:
        provider = _provider("us-east-1")
        for _ in range(2):
            aws.s3.Bucket("logs", opts=pulumi.ResourceOptions(provider=provider))

    with pytest.raises(Exception, match=r"Duplicate resource URN .*aws:s3/bucket:Bucket::logs"):
        harness.run(program)


def test_registration_records_parent_provider_dependencies_and_options(harness: Harness) -> None:
    class Holder(pulumi.ComponentResource):
        def __init__(self, name: str) -> None:
            super().__init__("platform:index:Holder", name)
            provider = _provider("eu-west-1")
            vpc = aws.ec2.Vpc(
                f"{name}-vpc", cidr_block="10.1.0.0/16", opts=pulumi.ResourceOptions(parent=self, provider=provider)
            )
            aws.ec2.Subnet(
                f"{name}-subnet",
                vpc_id=vpc.id,
                cidr_block="10.1.0.0/24",
                opts=pulumi.ResourceOptions(
                    parent=self, provider=provider, protect=True, retain_on_delete=True, ignore_changes=["tags"]
                ),
            )
            self.register_outputs({})

    graph = harness.run(lambda: Holder("net"))
    holder = graph.one("platform:index:Holder")
    vpc = graph.one("aws:ec2/vpc:Vpc")
    subnet = graph.one("aws:ec2/subnet:Subnet")

    assert subnet.parent == holder.urn and vpc.parent == holder.urn
    assert subnet.provider_urn == graph.one("pulumi:providers:aws").urn
    assert subnet.inputs["vpcId"] == vpc.id and vpc.id.startswith("vpc-")
    assert subnet.dependencies == [vpc.urn]
    assert subnet.property_dependencies["vpcId"] == [vpc.urn]
    assert (subnet.protect, subnet.retain_on_delete, subnet.ignore_changes) == (True, True, ["tags"])
    assert vpc.outputs["arn"] == f"arn:aws:ec2:eu-west-1:444455556666:vpc/{vpc.id}"
    assert vpc.outputs["defaultSecurityGroupId"].startswith("sg-")
    assert subnet.id.startswith("subnet-")
    assert graph.ancestors(subnet)[-1].type == "pulumi:pulumi:Stack"
    assert decoded(graph.one("pulumi:providers:aws").inputs["defaultTags"]) == {"tags": TAGS}


def test_endpoints_arns_and_secrets_look_like_aws(harness: Harness) -> None:
    def program() -> None:
        provider = _provider("eu-west-1")
        options = pulumi.ResourceOptions(provider=provider)
        aws.eks.Cluster(
            "eks",
            name="platform",
            role_arn="arn:aws:iam::444455556666:role/x",
            vpc_config=aws.eks.ClusterVpcConfigArgs(subnet_ids=["subnet-1"]),
            opts=options,
        )
        aws.rds.Cluster(
            "db", engine="aurora-postgresql", manage_master_user_password=True, master_username="platform", opts=options
        )
        aws.kms.Key("key", opts=options)
        password = random.RandomPassword("password", length=24, opts=options)
        aws.secretsmanager.SecretVersion(
            "secret-version", secret_id="arn:aws:secretsmanager:x", secret_string=password.result, opts=options
        )

    graph = harness.run(program)
    eks = graph.one("aws:eks/cluster:Cluster")
    assert eks.outputs["endpoint"].endswith(".gr7.eu-west-1.eks.amazonaws.com")
    assert eks.outputs["identities"][0]["oidcs"][0]["issuer"].startswith("https://oidc.eks.eu-west-1.amazonaws.com/id/")
    db = graph.one("aws:rds/cluster:Cluster")
    assert db.outputs["endpoint"].endswith(".eu-west-1.rds.amazonaws.com")
    assert ".cluster-ro-" in db.outputs["readerEndpoint"]
    assert db.outputs["masterUserSecrets"][0]["secretArn"].startswith(
        "arn:aws:secretsmanager:eu-west-1:444455556666:secret:rds!"
    )
    key = graph.one("aws:kms/key:Key")
    assert key.outputs["arn"] == f"arn:aws:kms:eu-west-1:444455556666:key/{key.id}"
    version = graph.one("aws:secretsmanager/secretVersion:SecretVersion")
    password_value = graph.one("random:index/randomPassword:RandomPassword").outputs["result"]
    assert len(password_value) == 24
    assert version.inputs["secretString"] == password_value
    assert version.inputs_with_secrets["secretString"] != password_value  # still a secret object

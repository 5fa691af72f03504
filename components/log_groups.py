"""CloudWatch log groups encrypted with their own customer-managed key.

The key's policy lets CloudWatch Logs use it for that one log group only (scoped by the
`aws:logs:arn` encryption context), so a key cannot be borrowed by other groups.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.aws_context import AwsContext
from components.kms import customer_managed_key, service_statement


@dataclass(frozen=True)
class EncryptedLogGroup:
    group: aws.cloudwatch.LogGroup
    key: aws.kms.Key
    arn: pulumi.Output[str]
    """The group's ARN as known before it exists (for policies that must name it)."""


def encrypted_log_group(
    name: str,
    *,
    group_name: str,
    retention_days: int,
    description: str,
    context: AwsContext,
    parent: pulumi.Resource,
) -> EncryptedLogGroup:
    """Log group `group_name` (resource `name`) and its key (resource `<name>-key`)."""
    group_arn = context.arn("logs", f"log-group:{group_name}")
    key = customer_managed_key(
        f"{name}-key",
        description=f"Encrypts {description} ({group_name})",
        context=context,
        parent=parent,
        service_statements=[
            service_statement(
                "CloudWatchLogsForThisGroup",
                context.service_principal("logs"),
                conditions=[
                    aws.iam.GetPolicyDocumentStatementConditionArgs(
                        test="ArnEquals", variable="kms:EncryptionContext:aws:logs:arn", values=[group_arn]
                    )
                ],
            )
        ],
    )
    group = aws.cloudwatch.LogGroup(
        name,
        name=group_name,
        retention_in_days=retention_days,
        kms_key_id=key.arn,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return EncryptedLogGroup(group=group, key=key, arn=group_arn)

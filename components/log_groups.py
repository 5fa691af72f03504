"""CloudWatch log groups encrypted with a customer-managed key of their own.

The key's policy lets CloudWatch Logs use it for the named log groups only (scoped by the
`aws:logs:arn` encryption context), so the key cannot be borrowed by other groups.
"""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from eksplatform.components.aws_context import AwsContext
from eksplatform.components.kms import customer_managed_key, service_statement


def encrypted_log_groups(
    key_name: str,
    groups: Mapping[str, str],
    *,
    retention_days: int,
    description: str,
    context: AwsContext,
    parent: pulumi.Resource,
) -> dict[str, aws.cloudwatch.LogGroup]:
    """Log groups `{resource name: group name}` sharing one key (resource `key_name`)."""
    group_arns = [context.arn("logs", f"log-group:{group_name}") for group_name in groups.values()]
    key = customer_managed_key(
        key_name,
        description=f"Encrypts {description} ({', '.join(groups.values())})",
        context=context,
        parent=parent,
        service_statements=[
            service_statement(
                "CloudWatchLogsForTheseGroups",
                context.service_principal("logs"),
                conditions=[
                    aws.iam.GetPolicyDocumentStatementConditionArgs(
                        test="ArnEquals", variable="kms:EncryptionContext:aws:logs:arn", values=group_arns
                    )
                ],
            )
        ],
    )
    return {
        resource_name: aws.cloudwatch.LogGroup(
            resource_name,
            name=group_name,
            retention_in_days=retention_days,
            kms_key_id=key.arn,
            opts=pulumi.ResourceOptions(parent=parent),
        )
        for resource_name, group_name in groups.items()
    }


def encrypted_log_group(
    name: str,
    *,
    group_name: str,
    retention_days: int,
    description: str,
    context: AwsContext,
    parent: pulumi.Resource,
) -> aws.cloudwatch.LogGroup:
    """One log group `group_name` (resource `name`) with its own key (resource `<name>-key`)."""
    return encrypted_log_groups(
        f"{name}-key",
        {name: group_name},
        retention_days=retention_days,
        description=description,
        context=context,
        parent=parent,
    )[name]

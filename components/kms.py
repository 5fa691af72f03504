"""Customer-managed KMS keys whose policy never locks the account out.

Every key gets rotation on, a 30-day deletion window and a policy with two parts: the account
root may do everything (so IAM policies in the account decide who administers the key, and the
key can never be orphaned), plus the service statements its user passes in, each scoped as
tightly as that service allows (usually by encryption context).
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws
from pulumi_aws.iam import GetPolicyDocumentStatementArgs as Statement

from eksplatform.components.aws_context import AwsContext

# What a service needs to encrypt and decrypt with a key it does not own.
ENCRYPT_DECRYPT_ACTIONS = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]


def service_statement(
    sid: str,
    principal: pulumi.Input[str],
    *,
    actions: Sequence[str] = ENCRYPT_DECRYPT_ACTIONS,
    conditions: Sequence[aws.iam.GetPolicyDocumentStatementConditionArgs] = (),
) -> Statement:
    """Let one AWS service principal use the key, under the given conditions."""
    statement: Statement = Statement(
        sid=sid,
        actions=list(actions),
        resources=["*"],
        principals=[aws.iam.GetPolicyDocumentStatementPrincipalArgs(type="Service", identifiers=[principal])],
        conditions=list(conditions) or None,
    )
    return statement


def customer_managed_key(
    name: str,
    *,
    description: str,
    context: AwsContext,
    parent: pulumi.Resource,
    service_statements: Sequence[Statement] = (),
    alias: str | None = None,
    protect: bool = False,
) -> aws.kms.Key:
    """A symmetric CMK named `name`, with rotation on and an account-administered policy."""
    policy = aws.iam.get_policy_document_output(
        statements=[
            Statement(
                sid="AccountAdministration",
                actions=["kms:*"],
                resources=["*"],
                principals=[
                    aws.iam.GetPolicyDocumentStatementPrincipalArgs(type="AWS", identifiers=[context.account_root])
                ],
            ),
            *service_statements,
        ],
        opts=pulumi.InvokeOutputOptions(parent=parent),
    )
    key = aws.kms.Key(
        name,
        description=description,
        enable_key_rotation=True,
        deletion_window_in_days=30,  # the longest: time to notice a mistaken deletion and cancel it
        policy=policy.json,
        opts=pulumi.ResourceOptions(parent=parent, protect=protect),
    )
    if alias is not None:
        aws.kms.Alias(
            f"{name}-alias", name=f"alias/{alias}", target_key_id=key.key_id, opts=pulumi.ResourceOptions(parent=parent)
        )
    return key

"""IAM roles: a trust policy for one kind of principal, plus the policies the role needs.

Helpers only; each component decides which services may assume its roles and which
AWS-managed policies they get, so every grant is visible where the role is made.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from pulumi_aws.iam import GetPolicyDocumentStatementConditionArgs as Condition

__all__ = ["Condition", "Role", "inline_policy", "role", "service_account_trust", "trust_policy"]


def trust_policy(
    *,
    principal_type: str,
    identifiers: Sequence[pulumi.Input[str]],
    parent: pulumi.Resource,
    action: str = "sts:AssumeRole",
    conditions: Sequence[Condition] = (),
) -> pulumi.Output[str]:
    """An assume-role policy document letting the given principals assume the role."""
    document = aws.iam.get_policy_document_output(
        statements=[
            aws.iam.GetPolicyDocumentStatementArgs(
                actions=[action],
                principals=[
                    aws.iam.GetPolicyDocumentStatementPrincipalArgs(type=principal_type, identifiers=list(identifiers))
                ],
                conditions=list(conditions) or None,
            )
        ],
        opts=pulumi.InvokeOutputOptions(parent=parent),
    )
    json: pulumi.Output[str] = document.json
    return json


def service_account_trust(
    *,
    oidc_provider_arn: pulumi.Input[str],
    oidc_issuer_url: pulumi.Input[str],
    namespace: str,
    service_account: str,
    parent: pulumi.Resource,
) -> pulumi.Output[str]:
    """IRSA: only `namespace/service_account` may assume the role, through the cluster's OIDC issuer.

    Both `sub` and `aud` pinned with StringEquals (EKS user guide, "Configure Kubernetes service
    accounts to assume an IAM role"); the pack refuses a looser trust.
    """
    host = pulumi.Output.from_input(oidc_issuer_url).apply(lambda url: url.removeprefix("https://"))
    return trust_policy(
        principal_type="Federated",
        identifiers=[oidc_provider_arn],
        action="sts:AssumeRoleWithWebIdentity",
        conditions=[
            Condition(
                test="StringEquals",
                variable=host.apply(lambda h: f"{h}:sub"),
                values=[f"system:serviceaccount:{namespace}:{service_account}"],
            ),
            Condition(test="StringEquals", variable=host.apply(lambda h: f"{h}:aud"), values=["sts.amazonaws.com"]),
        ],
        parent=parent,
    )


@dataclass(frozen=True)
class Role:
    """A role and the managed policies attached to it."""

    resource: aws.iam.Role
    attachments: tuple[aws.iam.RolePolicyAttachment, ...]

    @property
    def arn(self) -> pulumi.Output[str]:
        arn: pulumi.Output[str] = self.resource.arn
        return arn

    @property
    def ready(self) -> list[pulumi.Resource]:
        """Depend on these to use the role only once its policies are attached."""
        return [self.resource, *self.attachments]


_boundary: ContextVar[str | None] = ContextVar("permissions_boundary", default=None)


@contextmanager
def permissions_boundary(arn: str | None) -> Iterator[None]:
    """Within the block every role gets `arn` as its permissions boundary (None: none).

    The deployer's runner may create a role only with its boundary (bootstrap/runner.py, condition
    iam:PermissionsBoundary on iam:CreateRole), so a stack with a deployer sets it on all of them.
    """
    token = _boundary.set(arn)
    try:
        yield
    finally:
        _boundary.reset(token)


def deployer_boundary_arn(account_id: str, runner_project_name: str) -> str:
    """The boundary the bootstrap makes (bootstrap/runner.py `boundary_name`): `<project>-boundary`."""
    return f"arn:aws:iam::{account_id}:policy/{runner_project_name}-boundary"


def role(
    name: str,
    *,
    description: str,
    trust: pulumi.Input[str],
    parent: pulumi.Resource,
    managed_policies: Mapping[str, pulumi.Input[str]] | None = None,
) -> Role:
    """Role `name` with each managed policy attached as `<name>-<key>` (keys stay stable)."""
    created = aws.iam.Role(
        name,
        description=description,
        assume_role_policy=trust,
        permissions_boundary=_boundary.get(),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    attachments = tuple(
        aws.iam.RolePolicyAttachment(
            f"{name}-{key}", role=created.name, policy_arn=policy_arn, opts=pulumi.ResourceOptions(parent=parent)
        )
        for key, policy_arn in (managed_policies or {}).items()
    )
    return Role(resource=created, attachments=attachments)


def inline_policy(
    name: str,
    *,
    role: Role,
    sid: str,
    actions: Sequence[str],
    resources: Sequence[pulumi.Input[str]],
    parent: pulumi.Resource,
) -> aws.iam.RolePolicy:
    """An inline policy `name` on `role` allowing `actions` on exactly `resources`."""
    document = aws.iam.get_policy_document_output(
        statements=[aws.iam.GetPolicyDocumentStatementArgs(sid=sid, actions=list(actions), resources=list(resources))],
        opts=pulumi.InvokeOutputOptions(parent=parent),
    )
    return aws.iam.RolePolicy(
        name, role=role.resource.id, policy=document.json, opts=pulumi.ResourceOptions(parent=parent)
    )

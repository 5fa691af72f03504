"""Generated credentials kept in Secrets Manager, never in plain text in config or outputs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_random as random

# Characters RDS and Aurora accept in master passwords ('@', '"', '/' and spaces are refused:
# RDS API reference, CreateDBCluster MasterUserPassword).
PASSWORD_SPECIALS = "!#$%^&*()-_=+[]{}<>:?"
# ElastiCache AUTH tokens and RBAC user passwords: 16-128 printable characters whose only
# non-alphanumerics are ! & # $ ^ < > - (ElastiCache API reference, CreateReplicationGroup AuthToken;
# user guide, "Authenticating with the Valkey and Redis OSS AUTH command").
ELASTICACHE_PASSWORD_SPECIALS = "!&#$^<>-"
ELASTICACHE_PASSWORD_LENGTHS = range(16, 129)


@dataclass(frozen=True)
class StoredPassword:
    password: pulumi.Output[str]
    """The generated password (a secret Output)."""
    secret: aws.secretsmanager.Secret
    """The Secrets Manager secret holding it, with the connection fields."""


def stored_password(
    name: str,
    *,
    description: str,
    kms_key_arn: pulumi.Input[str],
    fields: Mapping[str, pulumi.Input[str | int]],
    parent: pulumi.Resource,
    length: int = 40,
    recovery_window_days: int = 30,
    given: pulumi.Input[str] | None = None,
    specials: str = PASSWORD_SPECIALS,
) -> StoredPassword:
    """A random password (resource `<name>-password`) stored with `fields` as JSON in secret `<name>`.

    With `given`, that password is stored instead (e.g. one shared with another region).
    `specials` are the only non-alphanumerics the password may contain (the service's rule).
    """
    if given is None:
        given = generated_password(f"{name}-password", length=length, specials=specials, parent=parent)
    password: pulumi.Output[str] = pulumi.Output.secret(given)
    secret = aws.secretsmanager.Secret(
        name,
        description=description,
        kms_key_id=kms_key_arn,
        recovery_window_in_days=recovery_window_days,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    aws.secretsmanager.SecretVersion(
        f"{name}-value",
        secret_id=secret.id,
        secret_string=pulumi.Output.json_dumps({**fields, "password": password}),  # secret: it holds one
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return StoredPassword(password=password, secret=secret)


def generated_password(name: str, *, length: int, specials: str, parent: pulumi.Resource) -> pulumi.Output[str]:
    """A random password (resource `name`) of `length` characters, its non-alphanumerics from `specials`."""
    generated = random.RandomPassword(
        name,
        length=length,
        special=True,
        override_special=specials,
        min_lower=2,
        min_upper=2,
        min_numeric=2,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return pulumi.Output.secret(generated.result)

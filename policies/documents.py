"""IAM-style policy documents (IAM, KMS key policies, SNS topic policies) read for what they grant.

Inputs hold a document as JSON text or as an object; `Statement` may be one object or a list;
`Action`, `Resource` and principals may be a string or a list (IAM JSON policy reference,
"Grammar of the IAM JSON policy language").
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from eksplatform.policies.rule import decoded, mapping, sequence

# Condition keys that pin who the caller is, so a `*` principal under them is not "anyone"
# (IAM "AWS global condition context keys"; KMS "kms:CallerAccount"; SNS delivers for a source).
CALLER_KEYS = frozenset(
    {
        "aws:sourceaccount",
        "aws:sourcearn",
        "aws:sourceowner",
        "aws:principalaccount",
        "aws:principalarn",
        "aws:principalorgid",
        "aws:sourceorgid",
        "aws:sourcevpc",
        "aws:sourcevpce",
        "kms:calleraccount",
    }
)
# Operators that grant only when the key equals one of the listed values. Not* operators grant
# to everyone else; ForAllValues: is true when the key is absent; IfExists when it is missing; Null,
# Bool and the numeric/date operators do not compare the caller (IAM "Condition operators";
# AWS Config kms-key-policy-no-public-access: public unless granted to fixed values, no wildcard).
EXACT_OPERATORS = frozenset({"stringequals", "stringequalsignorecase", "arnequals"})
PATTERN_OPERATORS = frozenset({"stringlike", "arnlike"})


def statements(document: Any) -> Iterator[tuple[int, Mapping[str, Any]]]:
    """Each statement of a policy document (JSON text or object), with its index."""
    body = mapping(decoded(document))
    found = body.get("Statement")
    for index, statement in enumerate([found] if isinstance(found, Mapping) else sequence(found)):
        yield index, mapping(statement)


def values(statement: Mapping[str, Any], key: str) -> list[str]:
    value = statement.get(key)
    return [value] if isinstance(value, str) else [str(item) for item in sequence(value)]


def allows(statement: Mapping[str, Any]) -> bool:
    return statement.get("Effect") == "Allow"


def wildcard_principal(statement: Mapping[str, Any]) -> bool:
    """`Principal: "*"` or `{"AWS": "*"}` (any list holding `*`); NotPrincipal in an Allow is anyone else."""
    if "NotPrincipal" in statement:
        return True
    principal = statement.get("Principal")
    if principal == "*":
        return True
    for kind in ("AWS", "CanonicalUser", "Federated", "Service"):
        found = mapping(principal).get(kind)
        if found == "*" or "*" in sequence(found):
            return True
    return False


def fixed_values(expected: Any) -> list[str] | None:
    """The listed condition values when every one is a literal (no wildcard, no `${policy variable}`);
    None when any is not, or when there are none."""
    listed = [expected] if isinstance(expected, str) else sequence(expected)
    if not listed or not all(isinstance(value, str) and value.strip() for value in listed):
        return None
    if any(any(mark in value for mark in ("*", "?", "${")) for value in listed):
        return None
    return [str(value) for value in listed]


def pinning_operator(operator: Any) -> bool:
    """An operator that grants only to callers whose key equals a listed value. `ForAnyValue:` over a
    single-valued key is false when the key is absent, so it pins like the plain operator."""
    name = str(operator).lower().removeprefix("foranyvalue:")
    return name in EXACT_OPERATORS or name in PATTERN_OPERATORS


def pinned_keys(statement: Mapping[str, Any]) -> dict[str, list[str]]:
    """Condition keys (lower case) that the statement requires to equal fixed values, with the values."""
    found: dict[str, list[str]] = {}
    for operator, tests in mapping(statement.get("Condition")).items():
        if not pinning_operator(operator):
            continue
        for key, expected in mapping(tests).items():
            fixed = fixed_values(expected)
            if fixed is not None:
                found[str(key).lower()] = fixed
    return found


def caller_pinned(statement: Mapping[str, Any]) -> bool:
    """A condition that fixes the caller's account, organisation, source or network to listed values."""
    return any(key in CALLER_KEYS for key in pinned_keys(statement))


def public(statement: Mapping[str, Any]) -> bool:
    """An Allow that anyone can use: a `*` principal without a condition pinning the caller."""
    return allows(statement) and wildcard_principal(statement) and not caller_pinned(statement)


def _glob(pattern: str) -> re.Pattern[str]:
    """An IAM wildcard pattern (`*` any run of characters, `?` one) as a regular expression."""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.I | re.S)


# ARNs of unrelated shapes (global service, no region, no account, nested resource): a Resource
# pattern that matches all of them matches every ARN of the partition.
SAMPLE_ARNS = (
    "arn:aws:iam::123456789012:role/admin",
    "arn:aws:s3:::bucket/key",
    "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "arn:aws:ec2:eu-west-1:123456789012:instance/i-0123456789abcdef0",
    "arn:aws:secretsmanager:ap-southeast-1:123456789012:secret:db-AbCdEf",
)
SAMPLE_ACTIONS = ("iam:CreateUser", "s3:GetObject", "kms:Decrypt", "ec2:RunInstances", "sts:AssumeRole")


def matches_everything(patterns: list[str], samples: tuple[str, ...]) -> bool:
    """Does one of these wildcard patterns match every sample (`*`, `*:*`, `?*`, `arn:*:*:*:*:*`...)?"""
    return any(all(_glob(pattern).fullmatch(sample) for sample in samples) for pattern in patterns)

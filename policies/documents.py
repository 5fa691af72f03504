"""IAM-style policy documents (IAM, KMS key policies, SNS topic policies) read for what they grant.

Inputs hold a document as JSON text or as an object; `Statement` may be one object or a list;
`Action`, `Resource` and principals may be a string or a list (IAM JSON policy reference,
"Grammar of the IAM JSON policy language").
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from policies.rule import decoded, mapping, sequence

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


def caller_pinned(statement: Mapping[str, Any]) -> bool:
    """A condition that fixes the caller's account, organisation, source or network."""
    for operator, tests in mapping(statement.get("Condition")).items():
        if str(operator).startswith("Null") or "IfExists" in str(operator):
            continue  # key-presence tests and IfExists do not pin anything
        for key, expected in mapping(tests).items():
            expected_values = [expected] if isinstance(expected, str) else sequence(expected)
            wildcard = any(str(value) == "*" for value in expected_values)
            if str(key).lower() in CALLER_KEYS and expected_values and not wildcard:
                return True
    return False


def public(statement: Mapping[str, Any]) -> bool:
    """An Allow that anyone can use: a `*` principal without a condition pinning the caller."""
    return allows(statement) and wildcard_principal(statement) and not caller_pinned(statement)

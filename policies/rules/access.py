"""Access: who may do what. IAM policies and trust, KMS key and SNS topic policies, Kubernetes RBAC."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from eksplatform.policies.documents import (
    SAMPLE_ACTIONS,
    SAMPLE_ARNS,
    allows,
    matches_everything,
    pinned_keys,
    public,
    statements,
    values,
    wildcard_principal,
)
from eksplatform.policies.rule import Resource, Rule, StackRule, at, each, is_unknown, mapping, schema, sequence
from eksplatform.policies.rules.kubernetes import UNTRUSTED

# AdministratorAccess in any partition (aws, aws-cn, aws-us-gov).
ADMIN_POLICY_ARN = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/AdministratorAccess$")
POLICY_FIELDS: dict[str, tuple[str, ...]] = {
    "aws:iam/policy:Policy": ("policy",),
    "aws:iam/rolePolicy:RolePolicy": ("policy",),
    "aws:iam/userPolicy:UserPolicy": ("policy",),
    "aws:iam/groupPolicy:GroupPolicy": ("policy",),
}
ATTACHMENTS = (
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
)
# The *Exclusive types attach a list of managed policies (policyArns) and detach any other.
EXCLUSIVE_ATTACHMENTS = (
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
    "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive",
    "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive",
)
ROLE = "aws:iam/role:Role"
# Every KMS type that carries a key policy (a replica or imported key has its own).
KMS_KEYS = (
    "aws:kms/key:Key",
    "aws:kms/keyPolicy:KeyPolicy",
    "aws:kms/replicaKey:ReplicaKey",
    "aws:kms/externalKey:ExternalKey",
    "aws:kms/replicaExternalKey:ReplicaExternalKey",
)


def _admin_arn(value: Any) -> bool:
    return isinstance(value, str) and bool(ADMIN_POLICY_ARN.match(value.strip()))


def _documents(resource: Resource) -> Iterator[tuple[str, Any]]:
    """(where, document) for every permissions policy a resource carries."""
    for field in POLICY_FIELDS.get(resource.type, ()):
        yield field, resource.props.get(field)
    if resource.type == ROLE:
        for index, inline in enumerate(sequence(resource.props.get("inlinePolicies"))):
            yield f"inlinePolicies[{index}]", mapping(inline).get("policy")


def _full_admin(statement: Mapping[str, Any]) -> bool:
    """Actions matching every action (`*`, `*:*`, `?*`; or an Allow with NotAction, which grants everything
    else) on resources matching every ARN (`*`, `arn:aws:*:*:*:*`, `arn:*`; or NotResource)."""
    every_action = matches_everything(values(statement, "Action"), SAMPLE_ACTIONS) or "NotAction" in statement
    every_resource = matches_everything(values(statement, "Resource"), SAMPLE_ARNS) or "NotResource" in statement
    return allows(statement) and every_action and every_resource


def _no_admin(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if resource.type in ATTACHMENTS:
        arn = resource.props.get("policyArn")
        if _admin_arn(arn):
            yield f"attaches {arn}; grant the actions the principal needs instead"
        return
    if resource.type in EXCLUSIVE_ATTACHMENTS:
        for arn in sequence(resource.props.get("policyArns")):
            if _admin_arn(arn):
                yield f"policyArns holds {arn}; grant the actions the principal needs instead"
        return
    if resource.type == ROLE:
        for arn in sequence(resource.props.get("managedPolicyArns")):
            if _admin_arn(arn):
                yield f"managedPolicyArns holds {arn}; grant the actions the role needs instead"
    for where, document in _documents(resource):
        for index, statement in statements(document):
            if _full_admin(statement):
                yield f"{where} Statement[{index}] allows every action on every resource; name actions and resources"


def _oidc_issuers(statement: Mapping[str, Any]) -> list[str]:
    """The OIDC providers a statement federates (`arn:aws:iam::<account>:oidc-provider/<issuer>`), as the
    issuer host/path its condition keys start with (IAM user guide, "Available keys for OIDC federation")."""
    federated = mapping(statement.get("Principal")).get("Federated")
    arns = [federated] if isinstance(federated, str) else sequence(federated)
    found = [arn for arn in arns if isinstance(arn, str) and ":oidc-provider/" in arn]
    return [arn.split(":oidc-provider/", 1)[1].lower() for arn in found]


def _federated(index: int, statement: Mapping[str, Any], untrusted: set[str]) -> Iterator[str]:
    """An OIDC trust grants whichever tokens its conditions admit: `<issuer>:sub` (which identity) and
    `<issuer>:aud` (for whom the token was minted) must equal fixed values (IAM user guide, "Create a
    role for OpenID Connect federation"; EKS user guide, "Assign IAM roles to Kubernetes service
    accounts"), and no untrusted namespace's service account may be one of them."""
    pinned = pinned_keys(statement)
    for issuer in _oidc_issuers(statement):
        subjects = pinned.get(f"{issuer}:sub")
        if subjects is None:
            yield (
                f"assumeRolePolicy Statement[{index}] lets any identity of {issuer} assume the role; pin {issuer}:sub "
                "with StringEquals to the service accounts (system:serviceaccount:<namespace>:<name>) that may"
            )
        if pinned.get(f"{issuer}:aud") is None:
            yield (
                f"assumeRolePolicy Statement[{index}] does not pin {issuer}:aud; add StringEquals "
                f"{issuer}:aud: sts.amazonaws.com"
            )
        for subject in subjects or []:
            parts = subject.split(":")
            if len(parts) == 4 and parts[:2] == ["system", "serviceaccount"] and parts[2] in untrusted:
                yield (
                    f"assumeRolePolicy Statement[{index}] lets {subject} assume the role; untrusted namespace "
                    f"{parts[2]!r} gets no AWS role"
                )


def _trust(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    untrusted = {str(name) for name in sequence(config["untrustedNamespaces"])}
    for index, statement in statements(resource.props.get("assumeRolePolicy")):
        if not allows(statement):
            continue
        if wildcard_principal(statement):
            yield (
                f"assumeRolePolicy Statement[{index}] lets any principal assume the role; name the accounts, "
                "services or federated provider that may"
            )
        yield from _federated(index, statement, untrusted)


def _public_policy(field: str, what: str) -> Any:
    def check(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
        for index, statement in statements(resource.props.get(field)):
            if public(statement):
                yield (
                    f"{field} Statement[{index}] allows anyone ({what}); name principals, or pin the caller with "
                    "StringEquals on aws:SourceAccount, aws:SourceArn or aws:PrincipalOrgID (fixed values, no "
                    "wildcards, no Not/ForAllValues/IfExists operators)"
                )

    return check


# --- Kubernetes RBAC --------------------------------------------------------------------------

BINDINGS = (
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
)
ROLES = ("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "kubernetes:rbac.authorization.k8s.io/v1:Role")
# Built-in cluster roles that grant everything (cluster-admin) or write access to every namespaced
# resource, secrets included (admin, edit); Kubernetes "User-facing roles".
BROAD_BUILT_IN = frozenset({"cluster-admin", "admin", "edit"})
# Verbs that grant any permission: bind and escalate create or widen roles, impersonate acts as
# anyone (Kubernetes RBAC "Privilege escalation prevention and bootstrapping").
ESCALATING_VERBS = frozenset({"bind", "escalate", "impersonate"})
RBAC_CONFIG = {
    **UNTRUSTED,
    "allowedExternalRoles": schema(
        "array",
        ["view"],
        "cluster roles not defined in the stack (built-in) that untrusted subjects may be bound to",
        items={"type": "string"},
    ),
}


def _broad(role: Resource) -> str:
    """Why a role defined in the stack is too broad for untrusted code, or "" when it is not."""
    if mapping(role.props.get("aggregationRule")):
        # The controller fills its rules from every cluster role with the selected labels
        # (Kubernetes RBAC "Aggregated ClusterRoles"): aggregate-to-admin makes it admin.
        return "an aggregated role (its rules come from every cluster role with the selected labels)"
    for rule in sequence(role.props.get("rules")):
        rule = mapping(rule)
        if any("*" in sequence(rule.get(key)) for key in ("verbs", "resources", "apiGroups", "nonResourceURLs")):
            return "a role with wildcards"
        if ESCALATING_VERBS & {str(verb) for verb in sequence(rule.get("verbs"))}:
            return "a role that can bind, escalate or impersonate"
    return ""


def _subjects(binding: Resource, untrusted: set[str]) -> list[str]:
    """The binding's subjects that are untrusted code: service accounts of untrusted namespaces, the
    groups that hold them (all service accounts, all authenticated or unauthenticated users), and
    the anonymous user."""
    found = []
    own_namespace = at(binding.props, "metadata", "namespace")
    for subject in sequence(binding.props.get("subjects")):
        subject = mapping(subject)
        kind, name = subject.get("kind"), str(subject.get("name") or "")
        if kind == "ServiceAccount" and (subject.get("namespace") or own_namespace) in untrusted:
            found.append(f"service account {subject.get('namespace') or own_namespace}/{name}")
        elif kind == "Group" and (
            name in ("system:serviceaccounts", "system:authenticated", "system:unauthenticated")
            or name.removeprefix("system:serviceaccounts:") in untrusted
        ):
            found.append(f"group {name}")
        elif kind == "User" and (
            name == "system:anonymous"
            or (name.startswith("system:serviceaccount:") and name.split(":")[2:3] and name.split(":")[2] in untrusted)
        ):
            found.append(f"user {name}")
    return found


def _rbac(resources: Sequence[Resource], config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """A role defined in the stack is judged by its rules; any other role (built-in or created
    elsewhere) cannot be checked, so untrusted subjects get it only when it is allowlisted."""
    untrusted = {str(name) for name in sequence(config["untrustedNamespaces"])}
    allowed = {str(name) for name in sequence(config["allowedExternalRoles"])}
    roles = {
        (
            role.provider,
            role.type.rsplit(":", 1)[-1],
            at(role.props, "metadata", "namespace") or "",
            str(at(role.props, "metadata", "name")),
        ): role
        for role in each(resources, *ROLES)
    }
    for binding in each(resources, *BINDINGS):
        reference = mapping(binding.props.get("roleRef"))
        if is_unknown(reference.get("kind")) or is_unknown(reference.get("name")):
            continue  # decided once the preview knows the role
        subjects = _subjects(binding, untrusted)
        if not subjects:
            continue
        kind, name = str(reference.get("kind") or ""), str(reference.get("name") or "")
        namespace = "" if kind == "ClusterRole" else str(at(binding.props, "metadata", "namespace") or "")
        role = roles.get((binding.provider, kind, namespace, name))
        if role is not None:
            why = _broad(role)
        elif kind == "ClusterRole" and name in allowed:
            why = ""
        elif kind == "ClusterRole" and name in BROAD_BUILT_IN:
            why = "a built-in role that writes everything"
        else:
            why = "a role not defined in this stack, so its rules cannot be checked, and not in allowedExternalRoles"
        if why:
            yield (
                f"{binding.name} binds {kind} {name} ({why}) to {', '.join(subjects)}; untrusted code gets no "
                "such role: bind a role defined here that lists the verbs and resources it needs",
                binding.urn,
            )


ACCESS_RULES = (
    Rule(
        name="access-iam-no-full-admin",
        description="No IAM policy allows every action on every resource, and none attaches AdministratorAccess.",
        severity="critical",
        enforcement="mandatory",
        check=_no_admin,
        resource_types=(*POLICY_FIELDS, ROLE, *ATTACHMENTS, *EXCLUSIVE_ATTACHMENTS),
        reference="AWS FSBP IAM.1",
    ),
    Rule(
        name="access-iam-trust-no-wildcard-principal",
        description="No role's trust policy lets any principal assume it; an OIDC (IRSA) trust pins :sub and :aud "
        "to fixed values and admits no service account of an untrusted namespace.",
        severity="critical",
        enforcement="mandatory",
        check=_trust,
        resource_types=(ROLE,),
        config_schema=UNTRUSTED,
        reference="IAM user guide: roles, trust policies (IAM Access Analyzer public access finding)",
    ),
    Rule(
        name="access-kms-key-policy-not-public",
        description="No KMS key policy allows any principal without pinning the caller.",
        severity="critical",
        enforcement="mandatory",
        check=_public_policy("policy", "a * principal"),
        resource_types=KMS_KEYS,
        reference="AWS FSBP KMS.5 (AWS Config kms-key-policy-no-public-access)",
    ),
    Rule(
        name="access-sns-topic-policy-not-public",
        description="No SNS topic policy allows anyone without pinning the caller.",
        severity="high",
        enforcement="mandatory",
        check=_public_policy("policy", "a * principal"),
        resource_types=("aws:sns/topic:Topic", "aws:sns/topicPolicy:TopicPolicy"),
        reference="AWS FSBP SNS.4 (AWS Config sns-topic-no-public-access)",
    ),
)

ACCESS_STACK_RULES = (
    StackRule(
        name="access-kubernetes-rbac-untrusted",
        description="No binding gives the service accounts of untrusted namespaces (or groups that contain them, "
        "or anonymous users) a wildcard, aggregated or escalating role, or any role not defined in the stack "
        "outside an allowlist (view).",
        severity="critical",
        enforcement="mandatory",
        check=_rbac,
        config_schema=RBAC_CONFIG,
        reference="CIS Amazon EKS Benchmark 4.1.1, 4.1.3",
    ),
)

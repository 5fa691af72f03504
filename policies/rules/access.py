"""Access: who may do what. IAM policies and trust, KMS key and SNS topic policies, Kubernetes RBAC."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from policies.documents import allows, public, statements, values, wildcard_principal
from policies.rule import Resource, Rule, StackRule, at, each, mapping, sequence
from policies.rules.kubernetes import UNTRUSTED

ADMIN_POLICY_ARNS = ("arn:aws:iam::aws:policy/AdministratorAccess",)
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
ROLE = "aws:iam/role:Role"


def _documents(resource: Resource) -> Iterator[tuple[str, Any]]:
    """(where, document) for every permissions policy a resource carries."""
    for field in POLICY_FIELDS.get(resource.type, ()):
        yield field, resource.props.get(field)
    if resource.type == ROLE:
        for index, inline in enumerate(sequence(resource.props.get("inlinePolicies"))):
            yield f"inlinePolicies[{index}]", mapping(inline).get("policy")


def _full_admin(statement: Mapping[str, Any]) -> bool:
    """`*` actions (or an Allow with NotAction, which grants everything else) on `*` resources (or NotResource)."""
    actions = values(statement, "Action")
    every_action = any(action in ("*", "*:*") for action in actions) or "NotAction" in statement
    every_resource = "*" in values(statement, "Resource") or "NotResource" in statement
    return allows(statement) and every_action and every_resource


def _no_admin(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    if resource.type in ATTACHMENTS:
        arn = resource.props.get("policyArn")
        if arn in ADMIN_POLICY_ARNS:
            yield f"attaches {arn}; grant the actions the principal needs instead"
        return
    if resource.type == ROLE:
        for arn in sequence(resource.props.get("managedPolicyArns")):
            if arn in ADMIN_POLICY_ARNS:
                yield f"managedPolicyArns holds {arn}; grant the actions the role needs instead"
    for where, document in _documents(resource):
        for index, statement in statements(document):
            if _full_admin(statement):
                yield f"{where} Statement[{index}] allows every action on every resource; name actions and resources"


def _trust(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
    for index, statement in statements(resource.props.get("assumeRolePolicy")):
        if allows(statement) and wildcard_principal(statement):
            yield (
                f"assumeRolePolicy Statement[{index}] lets any principal assume the role; name the accounts, "
                "services or federated provider that may"
            )


def _public_policy(field: str, what: str) -> Any:
    def check(resource: Resource, config: Mapping[str, Any]) -> Iterator[str]:
        for index, statement in statements(resource.props.get(field)):
            if public(statement):
                yield (
                    f"{field} Statement[{index}] allows anyone ({what}); name principals, or pin the caller with "
                    "aws:SourceAccount, aws:SourceArn or aws:PrincipalOrgID"
                )

    return check


# --- Kubernetes RBAC --------------------------------------------------------------------------

BINDINGS = (
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding",
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
)
ROLES = ("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", "kubernetes:rbac.authorization.k8s.io/v1:Role")
# Built-in roles that grant everything (cluster-admin) or write access to every namespaced
# resource, secrets included (admin, edit); Kubernetes "User-facing roles".
BROAD_BUILT_IN = frozenset({"cluster-admin", "admin", "edit"})


def _wildcard(role: Resource) -> bool:
    for rule in sequence(role.props.get("rules")):
        rule = mapping(rule)
        if any("*" in sequence(rule.get(key)) for key in ("verbs", "resources", "apiGroups")):
            return True
    return False


def _subjects(binding: Resource, untrusted: set[str]) -> list[str]:
    """The binding's subjects that are untrusted code: service accounts of untrusted namespaces, or
    the groups that hold them (all service accounts, all authenticated or unauthenticated users)."""
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
        elif (
            kind == "User"
            and name.startswith("system:serviceaccount:")
            and name.split(":")[2:3]
            and (name.split(":")[2] in untrusted)
        ):
            found.append(f"user {name}")
    return found


def _rbac(resources: Sequence[Resource], config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    untrusted = {str(name) for name in sequence(config["untrustedNamespaces"])}
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
        kind, name = str(reference.get("kind") or ""), str(reference.get("name") or "")
        namespace = "" if kind == "ClusterRole" else str(at(binding.props, "metadata", "namespace") or "")
        role = roles.get((binding.provider, kind, namespace, name))
        if name not in BROAD_BUILT_IN and (role is None or not _wildcard(role)):
            continue
        subjects = _subjects(binding, untrusted)
        if subjects:
            why = "a built-in role that writes everything" if name in BROAD_BUILT_IN else "a role with wildcards"
            yield (
                f"{binding.name} binds {kind} {name} ({why}) to {', '.join(subjects)}; untrusted code gets no "
                "such role: bind a role listing the verbs and resources it needs",
                binding.urn,
            )


ACCESS_RULES = (
    Rule(
        name="access-iam-no-full-admin",
        description="No IAM policy allows every action on every resource, and none attaches AdministratorAccess.",
        severity="critical",
        enforcement="mandatory",
        check=_no_admin,
        resource_types=(*POLICY_FIELDS, ROLE, *ATTACHMENTS),
        reference="AWS FSBP IAM.1",
    ),
    Rule(
        name="access-iam-trust-no-wildcard-principal",
        description="No role's trust policy lets any principal assume it.",
        severity="critical",
        enforcement="mandatory",
        check=_trust,
        resource_types=(ROLE,),
        reference="IAM user guide: roles, trust policies (IAM Access Analyzer public access finding)",
    ),
    Rule(
        name="access-kms-key-policy-not-public",
        description="No KMS key policy allows any principal without pinning the caller.",
        severity="critical",
        enforcement="mandatory",
        check=_public_policy("policy", "a * principal"),
        resource_types=("aws:kms/key:Key", "aws:kms/keyPolicy:KeyPolicy"),
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
        description="No binding gives cluster-admin, admin, edit or a wildcard role to the service accounts of "
        "untrusted namespaces (or to groups that contain them).",
        severity="critical",
        enforcement="mandatory",
        check=_rbac,
        config_schema=UNTRUSTED,
        reference="CIS Amazon EKS Benchmark 4.1.1, 4.1.3",
    ),
)

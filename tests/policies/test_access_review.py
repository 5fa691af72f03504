"""The access findings of the policy review (#22 follow-up): conditions judged by operator and value,
IAM admin by what the patterns match, OIDC trust by :sub and :aud, RBAC by what a role grants.
Each case has the bypass, its near misses and the compliant shape that must stay clean."""

from __future__ import annotations

import json
from typing import Any

import pytest

from eksplatform.policies.rule import UNKNOWN, Resource, Rule, StackRule
from tests.policies.builders import make, rule

EAST = "urn:pulumi:prod::platform::pulumi:providers:kubernetes::us-east-1-cluster-k8s"
ACCOUNT = "333333333333"
ISSUER = "oidc.eks.us-east-1.amazonaws.com/id/78924E445F344C738856470D7BBCF08A"
OIDC_ARN = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{ISSUER}"


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def check(policy: Rule, resource_type: str, props: dict[str, Any]) -> list[str]:
    return policy.violations(make(resource_type, "r", props))


# --- finding 2: a condition pins the caller only by a positive operator with fixed values ----------

KEY_POLICY = rule("access-kms-key-policy-not-public")
TOPIC_POLICY = rule("access-sns-topic-policy-not-public")
OPEN = {"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}

PUBLIC_CONDITIONS: list[dict[str, Any]] = [
    {"StringNotEquals": {"aws:PrincipalAccount": "999999999999"}},
    {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:*"}},
    {"ForAllValues:StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},
    {"StringLike": {"aws:SourceArn": "arn:aws:*"}},
    {"StringEqualsIfExists": {"aws:SourceAccount": ACCOUNT}},
    {"StringEquals": {"aws:PrincipalAccount": "${aws:PrincipalAccount}"}},
    {"StringEquals": {"aws:SourceAccount": []}},
    {"StringLike": {"kms:CallerAccount": "33333333333?"}},
    {"Null": {"aws:PrincipalOrgID": "false"}},
]
PINNED_CONDITIONS: list[dict[str, Any]] = [
    {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}},
    {"StringEqualsIgnoreCase": {"aws:PrincipalOrgID": "o-abc123"}},
    {"ArnEquals": {"aws:SourceArn": f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm:db-cpu"}},
    {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/app"}},  # Like without a wildcard
    {"ForAnyValue:StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},  # false when the key is absent
    # One pinning key is enough: conditions are ANDed, the wildcard one narrows further.
    {"StringEquals": {"aws:SourceAccount": ACCOUNT}, "ArnLike": {"aws:SourceArn": "arn:aws:*"}},
]


@pytest.mark.parametrize("condition", PUBLIC_CONDITIONS, ids=[next(iter(c)) for c in PUBLIC_CONDITIONS])
def test_a_negated_wildcard_or_absent_tolerant_condition_leaves_a_key_public(condition: dict[str, Any]) -> None:
    for policy, resource_type in ((KEY_POLICY, "aws:kms/key:Key"), (TOPIC_POLICY, "aws:sns/topic:Topic")):
        found = check(policy, resource_type, {"policy": document({**OPEN, "Condition": condition})})
        assert found and found[0].startswith("policy Statement[0] allows anyone")


@pytest.mark.parametrize("condition", PINNED_CONDITIONS, ids=[str(i) for i in range(len(PINNED_CONDITIONS))])
def test_a_condition_that_names_fixed_callers_pins_them(condition: dict[str, Any]) -> None:
    assert check(KEY_POLICY, "aws:kms/key:Key", {"policy": document({**OPEN, "Condition": condition})}) == []


# --- finding 16: the sibling KMS key types ---------------------------------------------------------


@pytest.mark.parametrize(
    "resource_type",
    [
        "aws:kms/replicaKey:ReplicaKey",
        "aws:kms/externalKey:ExternalKey",
        "aws:kms/replicaExternalKey:ReplicaExternalKey",
    ],
)
def test_every_kms_key_type_has_its_policy_checked(resource_type: str) -> None:
    assert check(KEY_POLICY, resource_type, {"policy": document(OPEN)})
    owner = {**OPEN, "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}}
    assert check(KEY_POLICY, resource_type, {"policy": document(owner)}) == []


# --- finding 5: full admin by what the patterns match ----------------------------------------------

NO_ADMIN = rule("access-iam-no-full-admin")


@pytest.mark.parametrize(
    ("action", "resource"),
    [("*", "arn:aws:*:*:*:*"), ("*", "arn:*:*:*:*:*"), ("*", "arn:aws:*"), ("?*", "*"), ("*:*", ["arn:*"]), ("*", "*")],
)
def test_patterns_that_match_every_action_and_arn_are_full_admin(action: Any, resource: Any) -> None:
    policy = document({"Effect": "Allow", "Action": action, "Resource": resource})
    assert check(NO_ADMIN, "aws:iam/rolePolicy:RolePolicy", {"policy": policy}) == [
        "policy Statement[0] allows every action on every resource; name actions and resources"
    ]


@pytest.mark.parametrize(
    ("action", "resource"),
    [
        ("*", f"arn:aws:s3:::platform-{ACCOUNT}-*"),
        ("*", "arn:aws:iam::*:*"),
        ("s3:*", "*"),
        ("kms:Decrypt", "arn:*:*:*:*:*"),
        ("*", f"arn:aws:*:*:{ACCOUNT}:*"),
    ],
)
def test_a_pattern_that_leaves_out_some_arns_or_actions_is_not_full_admin(action: str, resource: str) -> None:
    policy = document({"Effect": "Allow", "Action": action, "Resource": resource})
    assert check(NO_ADMIN, "aws:iam/rolePolicy:RolePolicy", {"policy": policy}) == []


@pytest.mark.parametrize(
    "resource_type",
    [
        "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
        "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive",
        "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive",
    ],
)
def test_exclusive_attachments_cannot_attach_administrator_access(resource_type: str) -> None:
    read_only = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    assert check(NO_ADMIN, resource_type, {"roleName": "node", "policyArns": [read_only]}) == []
    admin = "arn:aws:iam::aws:policy/AdministratorAccess"
    assert check(NO_ADMIN, resource_type, {"roleName": "node", "policyArns": [read_only, admin]}) == [
        f"policyArns holds {admin}; grant the actions the principal needs instead"
    ]


def test_administrator_access_in_another_partition_is_still_admin() -> None:
    arn = "arn:aws-us-gov:iam::aws:policy/AdministratorAccess"
    assert check(NO_ADMIN, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", {"policyArn": arn})


# --- finding 6: OIDC trust pins :sub and :aud to trusted service accounts ---------------------------

TRUST = rule("access-iam-trust-no-wildcard-principal")


def _irsa(condition: dict[str, Any]) -> dict[str, Any]:
    statement = {
        "Effect": "Allow",
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Principal": {"Federated": OIDC_ARN},
        "Condition": condition,
    }
    return {"assumeRolePolicy": document(statement)}


SUB, AUD = f"{ISSUER}:sub", f"{ISSUER}:aud"
EBS_CSI = "system:serviceaccount:kube-system:ebs-csi-controller-sa"


def test_the_irsa_trust_the_platform_registers_passes() -> None:
    props = _irsa({"StringEquals": {SUB: EBS_CSI, AUD: "sts.amazonaws.com"}})
    assert TRUST.violations(make("aws:iam/role:Role", "ebs", props)) == []


def test_a_wildcard_service_account_subject_lets_any_pod_assume_the_role() -> None:
    props = _irsa({"StringEquals": {AUD: "sts.amazonaws.com"}, "StringLike": {SUB: "system:serviceaccount:*:*"}})
    found = TRUST.violations(make("aws:iam/role:Role", "ebs", props))
    assert found == [
        f"assumeRolePolicy Statement[0] lets any identity of {ISSUER.lower()} assume the role; pin "
        f"{ISSUER.lower()}:sub with StringEquals to the service accounts (system:serviceaccount:<namespace>:<name>) "
        "that may"
    ]


@pytest.mark.parametrize(
    "condition",
    [
        {"StringEquals": {SUB: EBS_CSI}},  # no audience
        {"StringEquals": {AUD: "sts.amazonaws.com"}},  # no subject
        {"StringNotEquals": {SUB: "system:serviceaccount:sandbox:lang-c"}, "StringEquals": {AUD: "sts.amazonaws.com"}},
        {"StringEquals": {SUB: "system:serviceaccount:sandbox:lang-c", AUD: "sts.amazonaws.com"}},
        {"StringEquals": {SUB: [EBS_CSI, "system:serviceaccount:sandbox:lang-c"], AUD: "sts.amazonaws.com"}},
        {"StringEqualsIfExists": {SUB: EBS_CSI, AUD: "sts.amazonaws.com"}},
        {},
    ],
)
def test_an_oidc_trust_without_fixed_trusted_subject_and_audience_is_refused(condition: dict[str, Any]) -> None:
    assert TRUST.violations(make("aws:iam/role:Role", "ebs", _irsa(condition)))


def test_the_untrusted_namespaces_come_from_config() -> None:
    props = _irsa({"StringEquals": {SUB: "system:serviceaccount:jobs:runner", AUD: "sts.amazonaws.com"}})
    role = make("aws:iam/role:Role", "ebs", props)
    assert TRUST.violations(role) == []
    assert TRUST.violations(role, {"untrustedNamespaces": ["sandbox", "jobs"]}) == [
        "assumeRolePolicy Statement[0] lets system:serviceaccount:jobs:runner assume the role; untrusted namespace "
        "'jobs' gets no AWS role"
    ]


def test_service_principals_and_deny_statements_are_not_federated_trust() -> None:
    service = {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "eks.amazonaws.com"}}
    deny = {"Effect": "Deny", "Action": "sts:AssumeRoleWithWebIdentity", "Principal": {"Federated": OIDC_ARN}}
    role = make("aws:iam/role:Role", "r", {"assumeRolePolicy": document(service, deny)})
    assert TRUST.violations(role) == []


# --- finding 3: RBAC by what a role grants, for every untrusted subject ------------------------------

RBAC: StackRule = rule("access-kubernetes-rbac-untrusted")
RBAC_API = "kubernetes:rbac.authorization.k8s.io/v1"
SANDBOX_ACCOUNT = {"kind": "ServiceAccount", "name": "lang-c", "namespace": "sandbox"}


def _binding(
    name: str, role: str, subject: dict[str, str], kind: str = "ClusterRoleBinding", role_kind: str = "ClusterRole"
) -> Resource:
    props = {
        "metadata": {"name": name, "namespace": "sandbox"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
        "subjects": [subject],
    }
    return make(f"{RBAC_API}:{kind}", name, props, provider=EAST)


def _role(name: str, props: dict[str, Any], kind: str = "ClusterRole") -> Resource:
    metadata = {"name": name, **({"namespace": "sandbox"} if kind == "Role" else {})}
    return make(f"{RBAC_API}:{kind}", f"{kind}-{name}", {"metadata": metadata, **props}, provider=EAST)


def _flagged(*resources: Resource) -> list[str]:
    return [urn for _, urn in RBAC.violations(list(resources))]


def test_cluster_admin_for_anonymous_users_is_caught() -> None:
    anonymous = _binding("anon", "cluster-admin", {"kind": "User", "name": "system:anonymous"})
    assert _flagged(anonymous) == [anonymous.urn]
    ops = _binding("ops", "cluster-admin", {"kind": "User", "name": "alice@example.com"})
    assert _flagged(ops) == []


def test_an_aggregated_role_is_as_broad_as_what_it_selects() -> None:
    selectors = [{"matchLabels": {"rbac.authorization.k8s.io/aggregate-to-admin": "true"}}]
    aggregated = _role("sandbox-agg", {"aggregationRule": {"clusterRoleSelectors": selectors}})
    binding = _binding("agg", "sandbox-agg", SANDBOX_ACCOUNT)
    assert _flagged(aggregated, binding) == [binding.urn]


def test_a_built_in_role_outside_the_allowlist_is_refused() -> None:
    aggregate_to_edit = _binding("x", "system:aggregate-to-edit", SANDBOX_ACCOUNT, kind="RoleBinding")
    assert _flagged(aggregate_to_edit) == [aggregate_to_edit.urn]
    view = _binding("v", "view", SANDBOX_ACCOUNT, kind="RoleBinding")
    assert _flagged(view) == []
    assert _flagged(view, aggregate_to_edit) == [aggregate_to_edit.urn]
    # The allowlist is config; an empty one refuses view too.
    assert RBAC.violations([view], {"allowedExternalRoles": []})


def test_a_namespaced_role_is_judged_by_its_rules_not_its_name() -> None:
    narrow = _role("edit", {"rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}]}, "Role")
    binding = _binding("b", "edit", SANDBOX_ACCOUNT, kind="RoleBinding", role_kind="Role")
    assert _flagged(narrow, binding) == []
    # Not defined in the stack: whatever a Role of that name holds cannot be checked.
    assert _flagged(binding) == [binding.urn]


@pytest.mark.parametrize(
    "rule_props",
    [
        {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": ["bind"]},
        {"apiGroups": [""], "resources": ["users"], "verbs": ["impersonate"]},
        {"nonResourceURLs": ["*"], "verbs": ["get"]},
    ],
)
def test_roles_that_escalate_are_broad(rule_props: dict[str, Any]) -> None:
    role = _role("runner", {"rules": [rule_props]})
    binding = _binding("b", "runner", SANDBOX_ACCOUNT)
    assert _flagged(role, binding) == [binding.urn]


def test_an_unknown_role_reference_is_left_for_the_update() -> None:
    pending = _binding("p", "x", SANDBOX_ACCOUNT)
    pending = make(pending.type, "p", {**pending.props, "roleRef": {"kind": "ClusterRole", "name": UNKNOWN}})
    admin = _binding("a", "admin", {"kind": "Group", "name": "system:serviceaccounts:sandbox"})
    assert _flagged(pending, admin) == [admin.urn]

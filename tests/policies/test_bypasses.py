"""The bypass classes of #22 on the stack policies: each with a compliant baseline, the near miss
that used to pass, and the false positive that used to fail.

Classes: identity by name (per cluster, not per namespace name), shape instead of meaning (what a
NetworkPolicy or a CIDR set admits), self-granted exemptions (the group grants the load-balancer
exemption, not the rule), one unknown silencing all (each resource judged on what is known).
"""

from __future__ import annotations

from typing import Any

from eksplatform.policies.rule import UNKNOWN, Resource
from tests.policies.builders import make, rule, urns

EAST = "urn:pulumi:prod::platform::pulumi:providers:kubernetes::us-east-1-cluster-k8s"
WEST = "urn:pulumi:prod::platform::pulumi:providers:kubernetes::eu-west-1-cluster-k8s"
LB_TAG = {"platform/load-balancer": "true"}
POD_SPEC: dict[str, Any] = {"containers": [{"name": "c", "image": "i"}], "serviceAccountName": "lang-c"}


# --- self-granted exemptions: security groups --------------------------------------------------

WORLD_INGRESS = rule("exposure-security-group-no-world-ingress")


def _group(name: str, tags: dict[str, str] | None = None, **props: Any) -> Resource:
    return make("aws:ec2/securityGroup:SecurityGroup", name, {"vpcId": "vpc-1", "tags": tags or {}, **props})


def _https_rule(name: str, group: Resource, **props: Any) -> Resource:
    values = {"type": "ingress", "protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]}
    return make(
        "aws:ec2/securityGroupRule:SecurityGroupRule",
        name,
        {**values, **props},
        dependencies=[group.urn],
        property_dependencies={"securityGroupId": [group.urn]},
    )


def _balancer(*groups: Resource) -> Resource:
    return make(
        "aws:lb/loadBalancer:LoadBalancer",
        "nlb",
        {"loadBalancerType": "network", "securityGroups": ["sg-1"]},
        property_dependencies={"securityGroups": [group.urn for group in groups]},
    )


def test_a_rule_on_a_load_balancers_group_may_admit_https_from_anywhere() -> None:
    """The exemption comes from a load balancer that uses the group, or from the config."""
    group = _group("nlb-sg")
    assert WORLD_INGRESS.violations([group, _balancer(group), _https_rule("https", group)]) == []
    listed = {"loadBalancerGroups": ["nlb-sg"]}  # a balancer the AWS Load Balancer Controller creates
    assert WORLD_INGRESS.violations([group, _https_rule("https", group)], listed) == []
    assert urns(WORLD_INGRESS.violations([group, _https_rule("https", group)])) != []


def test_a_tag_grants_no_exemption() -> None:
    """#22 review finding 7: tagging the database's group platform/load-balancer=true passed."""
    database = _group("db", LB_TAG)
    sneaky = _https_rule("https", database, tags=LB_TAG)
    assert urns(WORLD_INGRESS.violations([database, sneaky])) == [sneaky.urn]


def test_a_group_that_guards_data_or_the_cluster_never_gets_the_exemption() -> None:
    group = _group("db")
    for user_type, key in (
        ("aws:rds/cluster:Cluster", "vpcSecurityGroupIds"),
        ("aws:elasticache/replicationGroup:ReplicationGroup", "securityGroupIds"),
        ("aws:eks/cluster:Cluster", "vpcConfig"),
        ("aws:ec2/launchTemplate:LaunchTemplate", "vpcSecurityGroupIds"),
    ):
        user = make(user_type, "user", {}, property_dependencies={key: [group.urn]})
        rule = _https_rule("https", group)
        assert urns(WORLD_INGRESS.violations([group, user, _balancer(group), rule])) == [rule.urn], user_type
        listed = {"loadBalancerGroups": ["db"]}
        assert urns(WORLD_INGRESS.violations([group, user, rule], listed)) == [rule.urn], user_type


def test_a_rule_cannot_grant_itself_the_load_balancer_exemption() -> None:
    database = _group("db")
    sneaky = _https_rule("https", database, tags=LB_TAG)
    assert urns(WORLD_INGRESS.violations([database, sneaky])) == [sneaky.urn]


def test_a_rule_that_depends_on_a_balancers_group_without_belonging_to_it_gets_no_exemption() -> None:
    balancer, database = _group("nlb"), _group("db")
    rule_on_db = make(
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "from-anywhere",
        {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "0.0.0.0/0"},
        dependencies=[balancer.urn, database.urn],
        property_dependencies={"securityGroupId": [database.urn], "referencedSecurityGroupId": [balancer.urn]},
    )
    found = WORLD_INGRESS.violations([balancer, database, _balancer(balancer), rule_on_db])
    assert urns(found) == [rule_on_db.urn]


def test_the_exemption_covers_tcp_80_and_443_only() -> None:
    balancer = _group("nlb")
    every_protocol = _https_rule("all", balancer, protocol="-1")  # -1 ignores the ports: everything
    ssh = _https_rule("ssh", balancer, fromPort=22, toPort=22)
    udp = _https_rule("quic", balancer, protocol="17")
    found = WORLD_INGRESS.violations([balancer, _balancer(balancer), every_protocol, ssh, udp])
    assert urns(found) == [every_protocol.urn, ssh.urn, udp.urn]
    assert "on every port (protocol -1)" in found[0][0]


def test_the_internet_through_a_managed_prefix_list_is_the_internet() -> None:
    """#22 review finding 8: a rule naming a prefix list of 0.0.0.0/1 + 128.0.0.0/1."""
    database = _group("db")
    world = make(
        "aws:ec2/managedPrefixList:ManagedPrefixList",
        "everyone",
        {"addressFamily": "IPv4", "maxEntries": 2, "entries": [{"cidr": "0.0.0.0/1"}, {"cidr": "128.0.0.0/1"}]},
    )
    office = make("aws:ec2/managedPrefixList:ManagedPrefixList", "office", {"entries": [{"cidr": "203.0.113.0/24"}]})

    def rule_from(prefix_list: Resource) -> Resource:
        return make(
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            f"from-{prefix_list.name}",
            {"ipProtocol": "tcp", "fromPort": 5432, "toPort": 5432, "prefixListId": "pl-1"},
            property_dependencies={"securityGroupId": [database.urn], "prefixListId": [prefix_list.urn]},
        )

    wide, narrow = rule_from(world), rule_from(office)
    assert urns(WORLD_INGRESS.violations([database, world, office, wide, narrow])) == [wide.urn]
    # Entries added as resources of their own count too.
    empty = make("aws:ec2/managedPrefixList:ManagedPrefixList", "grown", {"entries": []})
    entry = make(
        "aws:ec2/managedPrefixListEntry:ManagedPrefixListEntry",
        "grown-0",
        {"cidr": "0.0.0.0/0"},
        property_dependencies={"prefixListId": [empty.urn]},
    )
    grown = rule_from(empty)
    assert urns(WORLD_INGRESS.violations([database, empty, entry, grown])) == [grown.urn]
    inline = _group(
        "inline",
        ingress=[{"protocol": "tcp", "fromPort": 5432, "toPort": 5432, "prefixListIds": ["pl-1"]}],
    )
    inline = make(inline.type, inline.name, dict(inline.props), property_dependencies={"ingress": [world.urn]})
    assert urns(WORLD_INGRESS.violations([inline, world])) == [inline.urn]


DEFAULT_GROUP_RULES = rule("exposure-default-security-group-no-rule-resources")


def test_a_standalone_rule_on_the_default_security_group_is_reported() -> None:
    """#22 review finding 8 (FSBP EC2.2): the default group's own ingress/egress were read, not rules
    attached to it by resources of their own."""
    default = make("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "default-sg", {"ingress": [], "egress": []})
    other = _group("app")
    for rule_type in (
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
        "aws:ec2/securityGroupRule:SecurityGroupRule",
    ):
        attached = make(
            rule_type,
            "open",
            {"ipProtocol": "-1", "cidrIpv4": "10.0.0.0/8"},
            property_dependencies={"securityGroupId": [default.urn]},
        )
        elsewhere = make(
            rule_type, "fine", {"ipProtocol": "-1"}, property_dependencies={"securityGroupId": [other.urn]}
        )
        assert urns(DEFAULT_GROUP_RULES.violations([default, other, attached, elsewhere])) == [attached.urn]


def test_the_internet_split_in_halves_is_still_the_internet() -> None:
    database = _group(
        "db",
        ingress=[{"protocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrBlocks": ["0.0.0.0/1", "128.0.0.0/1"]}],
    )
    ipv6 = _https_rule("v6", _group("other"), cidrBlocks=[], ipv6CidrBlocks=["::/1", "8000::/1"])
    found = WORLD_INGRESS.violations([database, ipv6])
    assert urns(found) == [database.urn, ipv6.urn]
    private = _group(
        "private", ingress=[{"protocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrBlocks": ["10.0.0.0/8"]}]
    )
    assert WORLD_INGRESS.violations([private]) == []


def test_a_node_group_with_an_ssh_key_and_no_source_groups_is_open_on_22() -> None:
    group = make("aws:eks/nodeGroup:NodeGroup", "system", {"remoteAccess": {"ec2SshKey": "ops"}})
    assert urns(WORLD_INGRESS.violations([group])) == [group.urn]
    limited = make(
        "aws:eks/nodeGroup:NodeGroup",
        "system",
        {"remoteAccess": {"ec2SshKey": "ops", "sourceSecurityGroupIds": ["sg-1"]}},
    )
    assert WORLD_INGRESS.violations([limited]) == []


# --- identity by name and shape: NetworkPolicies -----------------------------------------------

DEFAULT_DENY = rule("exposure-kubernetes-namespace-default-deny")


def _workload(provider: str, name: str = "lang-c") -> Resource:
    props = {"metadata": {"namespace": "sandbox"}, "spec": {"template": {"spec": POD_SPEC}}}
    return make("kubernetes:apps/v1:Deployment", f"{provider[-20:]}-{name}", props, provider=provider)


def _policy(provider: str, spec: dict[str, Any], name: str = "deny") -> Resource:
    props = {"metadata": {"namespace": "sandbox"}, "spec": spec}
    return make("kubernetes:networking.k8s.io/v1:NetworkPolicy", f"{provider[-20:]}-{name}", props, provider=provider)


DENY_ALL = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def test_each_cluster_needs_its_own_default_deny() -> None:
    east, west = _workload(EAST), _workload(WEST)
    assert DEFAULT_DENY.violations([east, west, _policy(EAST, DENY_ALL), _policy(WEST, DENY_ALL)]) == []
    # The bypass: west's deny removed while east keeps the same namespace name.
    assert urns(DEFAULT_DENY.violations([east, west, _policy(EAST, DENY_ALL)])) == [west.urn]


def test_a_namespace_with_only_a_helm_release_needs_a_default_deny_too() -> None:
    # #19 entry review finding 4: a chart's pods are invisible to the pack, their namespace is not.
    chart = make(
        "kubernetes:helm.sh/v3:Release",
        "us-east-1-traefik",
        {"chart": "traefik", "namespace": "ingress"},
        provider=EAST,
    )
    ((message, urn),) = DEFAULT_DENY.violations([chart])
    assert urn == chart.urn and "namespace 'ingress'" in message and "no default deny" in message
    deny = make(
        "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        "us-east-1-ingress-deny",
        {"metadata": {"namespace": "ingress"}, "spec": DENY_ALL},
        provider=EAST,
    )
    assert DEFAULT_DENY.violations([chart, deny]) == []
    # The release's pod labels are unknown: any opening in its namespace may select them.
    narrow_labels_open = make(
        "kubernetes:networking.k8s.io/v1:NetworkPolicy",
        "us-east-1-ingress-open",
        {
            "metadata": {"namespace": "ingress"},
            "spec": {"podSelector": {"matchLabels": {"app": "x"}}, "policyTypes": ["Ingress"], "ingress": [{}]},
        },
        provider=EAST,
    )
    assert urns(DEFAULT_DENY.violations([chart, deny, narrow_labels_open])) == [chart.urn]


def test_a_policy_that_allows_everything_is_not_a_default_deny() -> None:
    workload = _workload(EAST)
    allow_all = {**DENY_ALL, "ingress": [{}]}
    ((message, urn),) = DEFAULT_DENY.violations([workload, _policy(EAST, allow_all)])
    assert urn == workload.urn and "no default deny for Ingress" in message
    # NetworkPolicies add up: a second policy allowing everything undoes the deny.
    undo = {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": []}]}
    ((message, _),) = DEFAULT_DENY.violations([workload, _policy(EAST, DENY_ALL), _policy(EAST, undo, "open")])
    assert "allows egress to every source and destination (no peers)" in message


def _labelled(provider: str, labels: dict[str, str], name: str = "lang-c") -> Resource:
    props = {
        "metadata": {"namespace": "sandbox"},
        "spec": {"template": {"metadata": {"labels": labels}, "spec": POD_SPEC}},
    }
    return make("kubernetes:apps/v1:Deployment", f"{provider[-20:]}-{name}", props, provider=provider)


def test_allow_alls_in_other_shapes_undo_the_deny() -> None:
    """#22 review finding 1: an empty namespaceSelector peer, a public ipBlock, and a selector that
    selects every pod without being empty."""
    workload = _labelled(EAST, {"app": "lang-c"})
    every_pod = {"matchExpressions": [{"key": "no-such-label", "operator": "DoesNotExist"}]}
    shapes = {
        "every namespace": {
            "podSelector": {},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"namespaceSelector": {}}]}],
        },
        "the internet": {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 443}]}],
        },
        "expressions": {
            "podSelector": every_pod,
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{}],
            "egress": [{}],
        },
        "every pod here": {
            "podSelector": {"matchLabels": {"app": "lang-c"}},
            "ingress": [{"from": [{"podSelector": {}}]}],
        },
        "split world": {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/1"}}, {"ipBlock": {"cidr": "128.0.0.0/1"}}]}],
        },
    }
    for shape, spec in shapes.items():
        found = DEFAULT_DENY.violations([workload, _policy(EAST, DENY_ALL), _policy(EAST, spec, "open")])
        assert urns(found) == [workload.urn], shape


def test_ports_narrow_an_opening_only_outside_untrusted_namespaces() -> None:
    """The autoscaler calls AWS APIs on 443 (its namespace is trusted); untrusted code may not."""

    def in_namespace(resource: Resource, namespace: str) -> Resource:
        props = {**resource.props, "metadata": {**resource.props["metadata"], "namespace": namespace}}
        return make(resource.type, resource.name, props, provider=resource.provider)

    https_out = {
        "podSelector": {},
        "policyTypes": ["Egress"],
        "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"protocol": "TCP", "port": 443}]}],
    }
    every_port = {**https_out, "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"protocol": "TCP"}]}]}
    for namespace, spec, open_ in (
        ("cluster-autoscaler", https_out, False),
        ("cluster-autoscaler", every_port, True),  # a protocol without a port opens every port
        ("sandbox", https_out, True),
    ):
        workload = in_namespace(_workload(EAST), namespace)
        policies = [
            in_namespace(_policy(EAST, DENY_ALL), namespace),
            in_namespace(_policy(EAST, spec, "out"), namespace),
        ]
        found = DEFAULT_DENY.violations([workload, *policies])
        assert (urns(found) == [workload.urn]) is open_, (namespace, spec)


def test_narrow_allows_and_allows_for_other_pods_keep_the_deny() -> None:
    """The near misses: peers pinned by labels, a private or excepted ipBlock, and an allow-all whose
    selector matches none of the namespace's workloads."""
    workload = _labelled(EAST, {"app": "lang-c"})
    backend = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "backend"}}, "podSelector": {}}
    narrow = {
        "backend only": {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [{"from": [backend]}]},
        "dns": {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [{"to": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}]}],
        },
        "vpc": {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}]}],
        },
        "excepted": {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["0.0.0.0/1", "128.0.0.0/1"]}}]}],
        },
        "other pods": {"podSelector": {"matchLabels": {"app": "tools"}}, "ingress": [{}]},
        "not this pod": {
            "podSelector": {"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["lang-c"]}]},
            "ingress": [{}],
        },
    }
    for shape, spec in narrow.items():
        assert DEFAULT_DENY.violations([workload, _policy(EAST, DENY_ALL), _policy(EAST, spec, "open")]) == [], shape


def test_an_unknown_selector_is_no_default_deny() -> None:
    """#22 review finding 19: a preview's unknown podSelector counted as a deny."""
    workload = _workload(EAST)
    unknown = {"podSelector": UNKNOWN, "policyTypes": ["Ingress", "Egress"]}
    assert urns(DEFAULT_DENY.violations([workload, _policy(EAST, unknown)])) == [workload.urn]
    # An allow-all whose selector is not known yet may select the workload: it undoes the deny.
    maybe = {"podSelector": UNKNOWN, "ingress": [{}]}
    assert urns(DEFAULT_DENY.violations([workload, _policy(EAST, DENY_ALL), _policy(EAST, maybe, "o")])) == [
        workload.urn
    ]


def test_the_namespace_comes_from_the_provider_when_the_object_names_none() -> None:
    """#22 review finding 19: a Deployment without metadata.namespace on a provider whose namespace is
    sandbox lives in sandbox."""
    props = {
        "metadata": {"name": "x"},
        "spec": {"template": {"spec": {**POD_SPEC, "automountServiceAccountToken": True}}},
    }
    nameless = Resource(
        type="kubernetes:apps/v1:Deployment",
        name="nameless",
        urn="urn:nameless",
        props=props,
        provider_props={"namespace": "sandbox"},
        provider=EAST,
    )
    assert urns(TOKEN.violations([nameless, _account(EAST, False)])) == [nameless.urn]
    elsewhere = Resource(
        type=nameless.type, name="n", urn="urn:n", props=props, provider_props={"namespace": "tools"}, provider=EAST
    )
    assert TOKEN.violations([elsewhere]) == []


def test_a_deny_split_in_two_policies_or_spelled_with_empty_match_labels_counts() -> None:
    workload = _workload(EAST)
    ingress = _policy(EAST, {"podSelector": {"matchLabels": {}}, "policyTypes": ["Ingress"]}, "in")
    egress = _policy(EAST, {"podSelector": {}, "policyTypes": ["Egress"]}, "out")
    assert DEFAULT_DENY.violations([workload, ingress, egress]) == []
    some_pods = _policy(EAST, {"podSelector": {"matchLabels": {"a": "b"}}, "policyTypes": ["Ingress", "Egress"]})
    assert urns(DEFAULT_DENY.violations([workload, some_pods])) == [workload.urn]


# --- tokens, namespaces, RBAC: per cluster -----------------------------------------------------

TOKEN = rule("noroot-kubernetes-token-not-mounted")
NAMESPACE = rule("noroot-kubernetes-namespace-restricted")
RBAC = rule("access-kubernetes-rbac-untrusted")


def _account(provider: str, automount: Any) -> Resource:
    props = {"metadata": {"namespace": "sandbox", "name": "lang-c"}, "automountServiceAccountToken": automount}
    return make("kubernetes:core/v1:ServiceAccount", f"{provider[-20:]}-account", props, provider=provider)


def test_a_pod_whose_service_account_disables_the_token_passes() -> None:
    """#22 item 6: the pod leaves the field unset and its service account says false."""
    assert TOKEN.violations([_workload(EAST), _account(EAST, False)]) == []


def test_the_service_account_that_counts_is_the_one_in_the_same_cluster() -> None:
    east = _workload(EAST)
    assert urns(TOKEN.violations([east, _account(WEST, False)])) == [east.urn]
    assert urns(TOKEN.violations([east, _account(EAST, True)])) == [east.urn]
    asks = _workload(EAST)
    asks_props = {
        "metadata": {"namespace": "sandbox"},
        "spec": {"template": {"spec": {**POD_SPEC, "automountServiceAccountToken": True}}},
    }
    asks = make("kubernetes:apps/v1:Deployment", "asks", asks_props, provider=EAST)
    assert urns(TOKEN.violations([asks, _account(EAST, False)])) == [asks.urn]


def _namespace(provider: str, level: str) -> Resource:
    labels = {"pod-security.kubernetes.io/enforce": level}
    props = {"metadata": {"name": "sandbox", "labels": labels}}
    return make("kubernetes:core/v1:Namespace", f"{provider[-20:]}-ns", props, provider=provider)


def test_untrusted_namespaces_enforce_restricted_in_every_cluster() -> None:
    east, west = _workload(EAST), _workload(WEST)
    assert NAMESPACE.violations([east, west, _namespace(EAST, "restricted"), _namespace(WEST, "restricted")]) == []
    baseline = _namespace(WEST, "baseline")
    assert urns(NAMESPACE.violations([east, west, _namespace(EAST, "restricted"), baseline])) == [baseline.urn]
    assert urns(NAMESPACE.violations([east, west, _namespace(EAST, "restricted")])) == [west.urn]


def _binding(role: str, subject: dict[str, str], kind: str = "ClusterRoleBinding", provider: str = EAST) -> Resource:
    props = {
        "metadata": {"name": "b", "namespace": "sandbox"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
        "subjects": [subject],
    }
    return make(f"kubernetes:rbac.authorization.k8s.io/v1:{kind}", f"{role}-binding", props, provider=provider)


SANDBOX_ACCOUNT = {"kind": "ServiceAccount", "name": "lang-c", "namespace": "sandbox"}


def test_untrusted_service_accounts_get_no_admin_or_wildcard_role() -> None:
    admin = _binding("cluster-admin", SANDBOX_ACCOUNT)
    assert urns(RBAC.violations([admin])) == [admin.urn]
    everyone = _binding("edit", {"kind": "Group", "name": "system:serviceaccounts"})
    assert urns(RBAC.violations([everyone])) == [everyone.urn]
    wildcard = make(
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
        "runner",
        {"metadata": {"name": "runner"}, "rules": [{"apiGroups": [""], "resources": ["*"], "verbs": ["get"]}]},
        provider=EAST,
    )
    bound = _binding("runner", SANDBOX_ACCOUNT)
    assert urns(RBAC.violations([wildcard, bound])) == [bound.urn]
    # The same role name in another cluster is another role: there, a narrow one.
    narrow = make(
        "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole",
        "west-runner",
        {"metadata": {"name": "runner"}, "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]},
        provider=WEST,
    )
    assert RBAC.violations([wildcard, narrow, _binding("runner", SANDBOX_ACCOUNT, provider=WEST)]) == []
    trusted = _binding("cluster-admin", {"kind": "ServiceAccount", "name": "ops", "namespace": "kube-system"})
    assert RBAC.violations([trusted]) == []


# --- buckets: inline SSE, identity by dependency, unknowns ---------------------------------------

BUCKETS = rule("encryption-s3-bucket-kms-and-private")
BLOCK = dict.fromkeys(("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"), True)


def _block(bucket: Resource) -> Resource:
    return make(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        f"{bucket.name}-block",
        {"bucket": bucket.props.get("bucket"), **BLOCK},
        property_dependencies={"bucket": [bucket.urn]},
    )


def test_inline_sse_kms_on_a_bucket_counts() -> None:
    """#22 item 6: `serverSideEncryptionConfiguration` on aws:s3/bucket:Bucket itself."""
    inline = {"rule": {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": "k"}}}
    bucket = make("aws:s3/bucket:Bucket", "logs", {"bucket": "logs", "serverSideEncryptionConfiguration": inline})
    assert BUCKETS.violations([bucket, _block(bucket)]) == []
    aes = {"rule": {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}}
    plain = make("aws:s3/bucket:Bucket", "logs", {"bucket": "logs", "serverSideEncryptionConfiguration": aes})
    assert urns(BUCKETS.violations([plain, _block(plain)])) == [plain.urn]


def test_unnamed_buckets_are_matched_by_dependency_not_by_a_missing_name() -> None:
    first = make("aws:s3/bucketV2:BucketV2", "first", {})
    second = make("aws:s3/bucketV2:BucketV2", "second", {})
    sse = make(
        "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
        "first-sse",
        {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}]},
        property_dependencies={"bucket": [first.urn]},
    )
    found = BUCKETS.violations([first, second, sse, _block(first), _block(second)])
    assert urns(found) == [second.urn]


def test_an_unknown_value_on_one_bucket_does_not_hide_another_buckets_violation() -> None:
    pending = make(
        "aws:s3/bucket:Bucket",
        "pending",
        {
            "bucket": UNKNOWN,
            "serverSideEncryptionConfiguration": {
                "rule": {"applyServerSideEncryptionByDefault": {"sseAlgorithm": UNKNOWN}}
            },
        },
    )
    bare = make("aws:s3/bucket:Bucket", "bare", {"bucket": "bare"})
    found = BUCKETS.violations([pending, _block(pending), bare, _block(bare)])
    assert urns(found) == [bare.urn]


def test_an_account_wide_public_access_block_covers_every_bucket() -> None:
    inline = {"rule": {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms"}}}
    bucket = make("aws:s3/bucket:Bucket", "logs", {"bucket": "logs", "serverSideEncryptionConfiguration": inline})
    account = make("aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock", "account", dict(BLOCK))
    assert BUCKETS.violations([bucket, account]) == []
    assert urns(BUCKETS.violations([bucket])) == [bucket.urn]


# --- flow logs, cache auth, rotation ---------------------------------------------------------

FLOW_LOGS = rule("exposure-vpc-flow-logs")
CACHE_AUTH = rule("exposure-elasticache-auth")
ROTATION = rule("data-secretsmanager-rotation")


def test_a_flow_log_counts_for_the_vpc_its_vpc_id_came_from() -> None:
    east, west = make("aws:ec2/vpc:Vpc", "east", {}), make("aws:ec2/vpc:Vpc", "west", {})
    log = make(
        "aws:ec2/flowLog:FlowLog",
        "east-log",
        {"trafficType": "ALL"},
        dependencies=[east.urn, west.urn],  # a dependency alone (depends_on) is not the VPC it logs
        property_dependencies={"vpcId": [east.urn]},
    )
    assert urns(FLOW_LOGS.violations([east, west, log])) == [west.urn]
    accepted_only = make(
        "aws:ec2/flowLog:FlowLog", "l", {"trafficType": "ACCEPT"}, property_dependencies={"vpcId": [east.urn]}
    )
    assert urns(FLOW_LOGS.violations([east, accepted_only])) == [east.urn]


def test_caches_need_a_password_and_no_open_user() -> None:
    group = make(
        "aws:elasticache/userGroup:UserGroup", "users", {"userGroupId": "g", "userIds": ["g-default", "g-app"]}
    )
    closed = make(
        "aws:elasticache/user:User",
        "default",
        {"userId": "g-default", "authenticationMode": {"type": "no-password-required"}, "accessString": "off -@all"},
    )
    app = make(
        "aws:elasticache/user:User",
        "app",
        {"userId": "g-app", "authenticationMode": {"type": "password"}, "accessString": "on ~* +@all"},
    )
    cache = make(
        "aws:elasticache/replicationGroup:ReplicationGroup", "cache", {"engine": "valkey", "userGroupIds": ["g"]}
    )
    assert CACHE_AUTH.violations([cache, group, closed, app]) == []
    opened = make(
        "aws:elasticache/user:User",
        "default",
        {"userId": "g-default", "authenticationMode": {"type": "no-password-required"}, "accessString": "on ~* +@all"},
    )
    assert urns(CACHE_AUTH.violations([cache, group, opened, app])) == [opened.urn]
    bare = make("aws:elasticache/replicationGroup:ReplicationGroup", "bare", {"engine": "valkey"})
    assert urns(CACHE_AUTH.violations([bare])) == [bare.urn]


def test_secrets_rotate_within_the_maximum() -> None:
    secret = make("aws:secretsmanager/secret:Secret", "auth", {})
    password = "urn:pulumi:prod::platform::random:index/randomPassword:RandomPassword::db-password"
    database = make("aws:rds/cluster:Cluster", "db", {}, property_dependencies={"masterPassword": [password]})
    value = make(
        "aws:secretsmanager/secretVersion:SecretVersion",
        "auth-value",
        {},
        property_dependencies={"secretString": [password], "secretId": [secret.urn]},
    )

    def rotation(days: int) -> Resource:
        return make(
            "aws:secretsmanager/secretRotation:SecretRotation",
            "rotation",
            {"rotationRules": {"automaticallyAfterDays": days}},
            property_dependencies={"secretId": [secret.urn]},
        )

    assert ROTATION.violations([secret, database, value, rotation(30)]) == []
    assert urns(ROTATION.violations([secret, database, value, rotation(120)])) == [secret.urn]
    assert urns(ROTATION.violations([secret, database, value])) == [secret.urn]


# --- review findings 9, 18, 20: patches, references by value, Windows pods --------------------


def test_a_namespace_patch_cannot_relax_an_untrusted_namespace() -> None:
    def patch(labels: Any, name: str = "sandbox") -> Resource:
        props = {"metadata": {"name": name, "labels": labels}}
        return make("kubernetes:core/v1:NamespacePatch", f"{name}-patch", props, provider=EAST)

    workload, namespace = _workload(EAST), _namespace(EAST, "restricted")
    privileged = patch({"pod-security.kubernetes.io/enforce": "privileged"})
    assert urns(NAMESPACE.violations([workload, namespace, privileged])) == [privileged.urn]
    near_misses = [
        patch({"pod-security.kubernetes.io/enforce": "restricted"}),
        patch({"team": "x"}),  # leaves the enforce label alone
        patch({"pod-security.kubernetes.io/enforce": "privileged"}, name="tools"),
        patch(UNKNOWN),
    ]
    for near_miss in near_misses:
        assert NAMESPACE.violations([workload, namespace, near_miss]) == []


def test_a_member_is_matched_by_its_property_dependency_or_its_value_never_by_any_dependency() -> None:
    cluster = make("aws:rds/cluster:Cluster", "db", {"clusterIdentifier": "platform-db"})
    moved = make(
        "aws:rds/clusterInstance:ClusterInstance",
        "moved",
        {"clusterIdentifier": "some-other-cluster"},
        dependencies=[cluster.urn],  # a depends_on, not the cluster it joins
    )
    assert moved.sources("clusterIdentifier") == () and not moved.refers_to(
        "clusterIdentifier", cluster, "clusterIdentifier"
    )
    typed = make("aws:rds/clusterInstance:ClusterInstance", "typed", {"clusterIdentifier": "platform-db"})
    assert typed.refers_to("clusterIdentifier", cluster, "clusterIdentifier")
    wired = make(
        "aws:rds/clusterInstance:ClusterInstance",
        "wired",
        {"clusterIdentifier": UNKNOWN},
        property_dependencies={"clusterIdentifier": [cluster.urn]},
    )
    assert wired.refers_to("clusterIdentifier", cluster, "clusterIdentifier")


def test_remediation_leaves_windows_pods_alone() -> None:
    from eksplatform.policies.catalog import RESOURCE_RULES

    (restricted,) = [r for r in RESOURCE_RULES if r.name == "noroot-kubernetes-pod-security-restricted"]
    assert restricted.remedy is not None
    spec = {"containers": [{"name": "c", "image": "i:1.0.0"}]}
    linux = make("kubernetes:apps/v1:Deployment", "l", {"spec": {"template": {"spec": spec}}})
    windows = make(
        "kubernetes:apps/v1:Deployment", "w", {"spec": {"template": {"spec": {**spec, "os": {"name": "windows"}}}}}
    )
    fixed = restricted.remedy(linux, {})
    assert fixed is not None and fixed["spec"]["template"]["spec"]["securityContext"]["seccompProfile"]
    assert restricted.remedy(windows, {}) is None

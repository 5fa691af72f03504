"""eksplatform/preflight/diff.py and replacements.py on small export documents: each rule by mutation."""

from __future__ import annotations

import copy
import subprocess
import sys
from typing import Any

import pytest

from eksplatform.preflight.diff import ABSENT, AFTER_APPLY, Diff, _ignored, cost_changes, diff, show
from eksplatform.preflight.export import State, read_state
from eksplatform.preflight.export_format import SECRET_SIG, SECRET_VALUE
from eksplatform.preflight.replacements import AWS_RULES, STATEFUL, TF_AWS, rule_for
from eksplatform.preflight.synth import PROJECT_ROOT
from tests.conftest import synthesized

STACK = "urn:pulumi:prod::shop::"
USE1 = STACK + "pulumi:providers:aws::us-east-1"
EUW1 = STACK + "pulumi:providers:aws::eu-west-1"
K8S = STACK + "pulumi:providers:kubernetes::cluster"
KEY = STACK + "aws:kms/key:Key::db-key"
DB = STACK + "aws:rds/instance:Instance::orders-db"
SECRET = {SECRET_SIG: SECRET_VALUE, "ciphertext": "v1:abc"}


def resource(type_token: str, name: str, inputs: dict[str, Any], **extra: Any) -> dict[str, Any]:
    entry = {
        "urn": f"{STACK}{type_token}::{name}",
        "custom": True,
        "id": name,
        "type": type_token,
        "inputs": inputs,
        "provider": (K8S if type_token.startswith("kubernetes:") else USE1) + "::0000",
    }
    return entry | extra


def base_resources() -> list[dict[str, Any]]:
    return [
        {"urn": STACK + "pulumi:pulumi:Stack::shop-prod", "custom": False, "type": "pulumi:pulumi:Stack"},
        {"urn": USE1, "custom": True, "id": "0000", "type": "pulumi:providers:aws", "inputs": {"region": "us-east-1"}},
        {"urn": EUW1, "custom": True, "id": "0001", "type": "pulumi:providers:aws", "inputs": {"region": "eu-west-1"}},
        {"urn": K8S, "custom": True, "id": "0002", "type": "pulumi:providers:kubernetes", "inputs": {}},
        resource("aws:kms/key:Key", "db-key", {"description": "orders", "enableKeyRotation": True}),
        resource(
            "aws:rds/instance:Instance",
            "orders-db",
            {
                "instanceClass": "db.t4g.micro",
                "allocatedStorage": 20.0,
                "storageEncrypted": True,
                "kmsKeyId": "arn:aws:kms:us-east-1:111111111111:key/aaaa",
                "password": SECRET,
                "vpcSecurityGroupIds": ["sg-1", "sg-2"],
                "tags": {"team": "orders"},
            },
            propertyDependencies={"kmsKeyId": [KEY]},
        ),
        resource(
            "aws:iam/policy:Policy",
            "reader",
            {"policy": '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject"}]}'},
        ),
        resource(
            "kubernetes:apps/v1:Deployment",
            "api",
            {
                "metadata": {"name": "api", "namespace": "shop"},
                "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "api"}}},
            },
        ),
    ]


def state(resources: list[dict[str, Any]], outputs: dict[str, Any] | None = None, synthesized: bool = True) -> State:
    if outputs is not None:
        resources = copy.deepcopy(resources)
        resources[0]["outputs"] = outputs
    manifest = {"version": "preflight" if synthesized else "v3.200.0"}
    return read_state({"version": 3, "deployment": {"manifest": manifest, "resources": resources}})


def changed(edit: Any, **options: Any) -> Diff:
    """The diff from the base resources to a copy that `edit` changed."""
    head = copy.deepcopy(base_resources())
    edit({r["urn"].rsplit("::", 1)[-1]: r for r in head}, head)
    base, new = state(base_resources()), state(head)
    return diff(base.resources, new.resources, **options)


def test_an_identical_stack_has_no_changes() -> None:
    found = changed(lambda by, all_: None)
    assert found.changes == [] and found.counts() == {
        "create": 0,
        "update": 0,
        "replace": 0,
        "delete": 0,
        "same": 7,
    }


def test_create_update_replace_and_delete() -> None:
    def edit(by: dict[str, Any], head: list[dict[str, Any]]) -> None:
        head.append(resource("aws:s3/bucket:Bucket", "assets", {"bucket": "shop-assets"}))  # create
        by["orders-db"]["inputs"]["instanceClass"] = "db.t4g.small"  # update
        by["orders-db"]["inputs"]["storageEncrypted"] = False  # ForceNew in rds/instance.go
        head.remove(by["reader"])  # delete

    found = changed(edit)
    actions = {c.name: c.action for c in found.changes}
    assert actions == {"assets": "create", "orders-db": "replace", "reader": "delete"}
    db = next(c for c in found.changes if c.name == "orders-db")
    by_path = {c.path: c for c in db.inputs}
    assert set(by_path) == {"instanceClass", "storageEncrypted"}
    assert by_path["instanceClass"].replaces == ""  # an instance class changes in place
    assert by_path["storageEncrypted"].replaces == f"{TF_AWS} internal/service/rds/instance.go"
    assert db.replaced_by == ["storageEncrypted"] and db.stateful == "database" and db.loses_data
    assert [c.name for c in found.data_at_risk] == ["orders-db"]  # the IAM policy holds no data
    assert found.counts()["same"] == 5  # three providers, the key and the deployment


def test_an_update_alone_is_not_a_replacement() -> None:
    found = changed(lambda by, _: by["orders-db"]["inputs"].update(allocatedStorage=50))
    assert [(c.name, c.action) for c in found.changes] == [("orders-db", "update")]
    assert [(c.path, c.old, c.new) for c in found.changes[0].inputs] == [("allocatedStorage", 20.0, 50)]
    assert found.data_at_risk == []


def test_deleting_a_key_or_a_bucket_puts_data_at_risk() -> None:
    def edit(by: dict[str, Any], head: list[dict[str, Any]]) -> None:
        head.remove(by["db-key"])
        by["orders-db"]["propertyDependencies"] = {}

    found = changed(edit)
    assert [(c.name, c.action, c.stateful) for c in found.data_at_risk] == [("db-key", "delete", "key")]


def test_equal_values_in_other_forms_are_no_change() -> None:
    def edit(by: dict[str, Any], _: list[dict[str, Any]]) -> None:
        by["orders-db"]["inputs"]["allocatedStorage"] = 20  # the SDK sends 20.0
        by["reader"]["inputs"]["policy"] = (
            '{"Statement":[{"Action":"s3:GetObject","Effect":"Allow"}],"Version":"2012-10-17"}'
        )

    assert changed(edit).changes == []


def test_a_new_order_is_reported_as_one_change_marked_as_such() -> None:
    # vpc_security_group_ids is a set (no change for Terraform), instance_types a list (a change):
    # an export does not say which, so the new order is shown rather than hidden.
    found = changed(lambda by, _: by["orders-db"]["inputs"].update(vpcSecurityGroupIds=["sg-2", "sg-1"]))
    (change,) = found.changes[0].inputs
    assert (change.path, change.old, change.new, change.reordered) == (
        "vpcSecurityGroupIds",
        ["sg-1", "sg-2"],
        ["sg-2", "sg-1"],
        True,
    )
    found = changed(lambda by, _: by["orders-db"]["inputs"].update(vpcSecurityGroupIds=["sg-1", "sg-3"]))
    assert [(c.path, c.reordered) for c in found.changes[0].inputs] == [("vpcSecurityGroupIds[1]", False)]


def test_a_bool_is_not_a_number() -> None:
    found = changed(lambda by, _: by["db-key"]["inputs"].update(enableKeyRotation=1))
    assert [c.path for c in found.changes[0].inputs] == ["enableKeyRotation"]


def test_secrets_are_never_compared_or_shown() -> None:
    other_secret = {SECRET_SIG: SECRET_VALUE, "ciphertext": "v1:other"}
    assert changed(lambda by, _: by["orders-db"]["inputs"].update(password=other_secret)).changes == []
    found = changed(lambda by, _: by["orders-db"]["inputs"].update(password="hunter2"))
    (change,) = found.changes[0].inputs
    assert change.path == "password" and change.secret and show(change.old) == "[secret]"


def test_ignore_changes_paths_are_skipped() -> None:
    def edit(by: dict[str, Any], _: list[dict[str, Any]]) -> None:
        by["orders-db"]["inputs"]["tags"] = {"team": "payments"}
        by["orders-db"]["ignoreChanges"] = ["tags"]

    assert changed(edit).changes == []


def test_a_replaced_resource_replaces_what_takes_a_forcenew_input_from_it() -> None:
    # customer_master_key_spec is ForceNew (kms/key.go); the database's kmsKeyId comes from the key
    # and is ForceNew too (rds/instance.go): a preview shows both replaced.
    found = changed(lambda by, _: by["db-key"]["inputs"].update(customerMasterKeySpec="RSA_2048"))
    assert {c.name: c.action for c in found.changes} == {"db-key": "replace", "orders-db": "replace"}
    db = next(c for c in found.changes if c.name == "orders-db")
    assert [(c.path, c.new) for c in db.inputs] == [("kmsKeyId", AFTER_APPLY)]
    assert show(AFTER_APPLY) == "(known after apply)"


def test_against_a_real_export_inputs_from_other_resources_compare_by_source() -> None:
    head = copy.deepcopy(base_resources())
    db = next(r for r in head if r["type"] == "aws:rds/instance:Instance")
    db["inputs"]["kmsKeyId"] = "arn:aws:kms:us-east-1:111111111111:key/made-up-by-the-mocks"
    base = state(base_resources(), synthesized=False)
    assert diff(base.resources, state(head).resources, compare_values=False).changes == []
    # Compared by value, the mocks' ARN differs from the real one.
    assert [c.name for c in diff(base.resources, state(head).resources).changes] == ["orders-db"]
    # Another source is another value, whatever the values say.
    db["propertyDependencies"] = {"kmsKeyId": [STACK + "aws:kms/key:Key::other-key"]}
    found = diff(base.resources, state(head).resources, compare_values=False)
    assert [(c.name, c.action) for c in found.changes] == [("orders-db", "replace")]


USE1_PEER = STACK + "pulumi:providers:aws::us-east-1-peer"
DEFAULT_A = STACK + "pulumi:providers:aws::default_7_0_0"
DEFAULT_B = STACK + "pulumi:providers:aws::default_7_1_0"


def _moved_reader(old: str, new: str, new_region: str = "us-east-1") -> Diff:
    """The reader moved from provider `old` to `new` (both in us-east-1 unless told)."""

    def provider(urn: str, region: str) -> dict[str, Any]:
        return {"urn": urn, "custom": True, "id": "p", "type": "pulumi:providers:aws", "inputs": {"region": region}}

    base, head = base_resources(), base_resources()
    for side in (base, head):
        side += [provider(urn, region) for urn, region in ((old, "us-east-1"), (new, new_region)) if urn != USE1]
    next(r for r in base if r["urn"].endswith("::reader"))["provider"] = old + "::p"
    next(r for r in head if r["urn"].endswith("::reader"))["provider"] = new + "::p"
    return diff(state(base).resources, state(head).resources)


def test_a_resource_moved_between_explicit_providers_in_one_region_is_replaced() -> None:
    # pulumi/pulumi step_generator.go providerChanged: a non-default provider on either side replaces.
    (change,) = _moved_reader(USE1_PEER, USE1).changes
    assert change.action == "replace" and change.inputs[0].replaces == "an explicit provider changes"
    (change,) = _moved_reader(DEFAULT_A, USE1).changes
    assert change.action == "replace"


def test_a_resource_moved_between_default_providers_asks_the_region() -> None:
    (change,) = _moved_reader(DEFAULT_A, DEFAULT_B).changes
    assert change.action == "update" and change.inputs[0].path == "provider"
    (change,) = _moved_reader(DEFAULT_A, DEFAULT_B, "eu-west-1").changes
    assert change.action == "replace" and "from us-east-1 to eu-west-1" in change.inputs[0].replaces


def test_a_resource_that_gains_a_provider_is_replaced() -> None:
    found = changed(lambda by, _: by["reader"].pop("provider"))
    (change,) = found.changes
    assert change.action == "replace" and change.inputs[0].path == "provider"


def test_a_provider_id_alone_is_no_change() -> None:
    # A real export's provider ids are not the mocks' ones.
    assert changed(lambda by, _: by["reader"].update(provider=USE1 + "::f00d")).changes == []


@pytest.mark.parametrize(
    ("path", "value", "action"),
    [
        (("spec", "replicas"), 3, "update"),
        (("spec", "selector", "matchLabels", "app"), "api-v2", "replace"),  # immutable in apps/v1
        (("metadata", "name"), "api-v2", "replace"),
        (("metadata", "namespace"), "shop-v2", "replace"),
    ],
)
def test_kubernetes_replacements_follow_pulumi_kubernetes(path: tuple[str, ...], value: Any, action: str) -> None:
    def edit(by: dict[str, Any], _: list[dict[str, Any]]) -> None:
        target = by["api"]["inputs"]
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    (change,) = changed(edit).changes
    assert change.action == action
    assert change.inputs[0].path == ".".join(path)


@pytest.mark.parametrize(
    ("old", "new", "replaced"),
    [
        ({"engine": "aurora-postgresql", "storageType": "aurora"}, {"storageType": "aurora-iopt1"}, False),
        ({"engine": "postgres", "storageType": "gp3"}, {"storageType": "io2"}, True),
        ({"engine": "aurora-postgresql", "snapshotIdentifier": "s1"}, {"snapshotIdentifier": None}, False),
        ({"engine": "aurora-postgresql"}, {"snapshotIdentifier": "s2"}, True),
    ],
)
def test_conditional_rules_of_an_rds_cluster(old: dict[str, Any], new: dict[str, Any], replaced: bool) -> None:
    rule = AWS_RULES["aws:rds/cluster:Cluster"]
    path = next(iter(new))
    assert rule.replaces(path, old, old | new) is replaced


@pytest.mark.parametrize(
    ("old", "new", "replaced"),
    [
        ({"engine": "valkey", "engineVersion": "7.2"}, {"engineVersion": "8.0"}, False),
        ({"engine": "valkey", "engineVersion": "8.0"}, {"engineVersion": "7.2"}, True),  # a downgrade
        ({"engine": "redis"}, {"engine": "valkey"}, False),  # redis to valkey upgrades in place
        ({"engine": "valkey"}, {"engine": "redis"}, True),
    ],
)
def test_conditional_rules_of_a_replication_group(old: dict[str, Any], new: dict[str, Any], replaced: bool) -> None:
    rule = AWS_RULES["aws:elasticache/replicationGroup:ReplicationGroup"]
    assert rule.replaces(next(iter(new)), old, old | new) is replaced


def test_a_whole_block_that_holds_a_forcenew_attribute_replaces() -> None:
    rule = AWS_RULES["aws:eks/cluster:Cluster"]
    assert rule.replaces("kubernetesNetworkConfig", {}, {})  # the block holds serviceIpv4Cidr
    assert rule.replaces("kubernetesNetworkConfig.serviceIpv4Cidr", {}, {})
    assert not rule.replaces("kubernetesNetworkConfig.elasticLoadBalancing.enabled", {}, {})
    assert not rule.replaces("vpcConfig.subnetIds[0]", {}, {})  # EKS updates subnets in place
    assert AWS_RULES["aws:eks/nodeGroup:NodeGroup"].replaces("subnetIds[1]", {}, {})


def test_every_rule_names_its_source_and_every_stateful_type_the_platform_makes_has_one() -> None:
    for type_token, rule in AWS_RULES.items():
        assert rule.source.startswith(f"{TF_AWS} internal/service/") and rule.source.endswith(".go"), type_token
        assert rule.paths or rule.conditional, type_token
    registered = {r.type for r in synthesized("prod").resources} | {r.type for r in synthesized("dev").resources}
    stateful = {t for t in registered if t in STATEFUL}
    assert stateful >= {
        "aws:rds/cluster:Cluster",
        "aws:rds/instance:Instance",
        "aws:kms/key:Key",
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "aws:secretsmanager/secret:Secret",
    }
    assert all(rule_for(t) is not None for t in stateful)
    assert rule_for("kubernetes:helm.sh/v3:Release") is None  # a release is not a Kubernetes object
    assert rule_for("aws:rds/proxyTarget:ProxyTarget") is None


def test_a_security_groups_description_replaces_it() -> None:
    rule = rule_for("aws:ec2/securityGroup:SecurityGroup")
    assert rule is not None and rule.replaces("description", {}, {}) and not rule.replaces("tags.Name", {}, {})


def test_stack_outputs_are_compared_but_secrets_are_not_read() -> None:
    base = state(base_resources(), outputs={"url": "https://a", "token": SECRET, "gone": 1})
    head = state(base_resources(), outputs={"url": "https://b", "token": SECRET, "new": 2})
    found = diff(
        base.resources,
        head.resources,
        base_outputs={n: (o.value, o.secret) for n, o in base.outputs.items()},
        head_outputs={n: (o.value, o.secret) for n, o in head.outputs.items()},
    )
    assert [(o.name, o.action, o.old, o.new) for o in found.outputs] == [
        ("gone", "delete", 1, ABSENT),
        ("new", "create", ABSENT, 2),
        ("url", "update", "https://a", "https://b"),
    ]


def test_cost_changes_per_resource_biggest_first() -> None:
    found = cost_changes(
        {"a": 10.0, "b": 5.0, "c": 1.0},
        {"a": 10.0, "b": 25.0, "d": 3.0},
        {"a": "t", "b": "t", "c": "t", "d": "t"},
    )
    assert [(c.urn, c.before, c.after, c.delta) for c in found] == [
        ("b", 5.0, 25.0, 20.0),
        ("d", None, 3.0, 3.0),
        ("c", 1.0, None, -1.0),
    ]


def test_the_diff_imports_nothing_of_pulumi() -> None:
    probe = (
        "import sys, eksplatform.preflight.diff; print(sorted(m for m in sys.modules if m.split('.')[0] == 'pulumi'))"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_an_unpriced_side_makes_the_change_unknown_not_a_saving() -> None:
    found = cost_changes({"a": 10.0}, {"a": 12.0, "b": 4.0}, {"a": "t", "b": "t"}, unpriced_before={"b"})
    assert [(c.urn, c.before, c.after, c.delta, c.unpriced_before) for c in found] == [
        ("b", None, 4.0, None, True),
        ("a", 10.0, 12.0, 2.0, False),
    ]


@pytest.mark.parametrize(
    ("ignored", "path", "covered"),
    [
        ('tags["kubernetes.io/x"]', "tags.kubernetes.io/x", True),
        ('tags["kubernetes.io/x"]', "tags.team", False),
        ("items[0].name", "items[0].name", True),
        ("items[0].name", "items[1].name", False),
        ("items[*].name", "items[1].name", True),
        ("items[*].name", "items[1].size", False),
        ("items", "items[3].name", True),
        ("tags", "tagsAll.team", False),
    ],
)
def test_ignore_changes_entries_are_pulumi_property_paths(ignored: str, path: str, covered: bool) -> None:
    assert _ignored(path, [ignored]) is covered


def test_a_quoted_ignore_changes_key_skips_that_tag() -> None:
    def edit(by: dict[str, Any], _: list[dict[str, Any]]) -> None:
        by["orders-db"]["inputs"]["tags"] = {"team": "orders", "kubernetes.io/x": "owned"}
        by["orders-db"]["ignoreChanges"] = ['tags["kubernetes.io/x"]']

    assert changed(edit).changes == []


@pytest.mark.parametrize(
    ("type_token", "stateful"),
    [
        ("aws:ecr/repository:Repository", "image repository"),
        ("aws:elasticache/serverlessCache:ServerlessCache", "cache"),
    ],
)
def test_deleting_an_image_repository_or_a_serverless_cache_puts_data_at_risk(type_token: str, stateful: str) -> None:
    base = [*base_resources(), resource(type_token, "kept-data", {"name": "kept-data"})]
    found = diff(state(base).resources, state(base_resources()).resources)
    (change,) = found.data_at_risk
    assert (change.name, change.action, change.stateful) == ("kept-data", "delete", stateful)


def test_an_image_repositorys_encryption_or_name_replaces_it() -> None:
    rule = rule_for("aws:ecr/repository:Repository")
    assert rule is not None and rule.replaces("encryptionConfigurations[0].kmsKey", {}, {})
    assert rule.replaces("name", {}, {}) and not rule.replaces("imageTagMutability", {}, {})

"""The default stacks pass every mandatory policy under their own policy config."""

from __future__ import annotations

import copy
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from eksplatform.policies import stack_config
from eksplatform.policies.catalog import ALL_RULES, RESOURCE_RULES, STACK_RULES
from eksplatform.policies.rule import Resource, StackRule
from tests.conftest import synthesized
from tests.policies.test_pod_security import FAILING, PASSING, needs_fixtures
from tests.policies.views import resources_of

RULES_BY_NAME = {rule.name: rule for rule in ALL_RULES}
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
RESOURCE_RULES_BY_NAME = {rule.name: rule for rule in RESOURCE_RULES}


def mandatory_violations(stack: str) -> list[str]:
    config = stack_config.for_stack(stack)
    resources = resources_of(synthesized(stack))
    found: list[str] = []
    for rule in RESOURCE_RULES:
        if rule.enforcement == "mandatory":
            knobs = stack_config.knobs(config, rule.name)  # once per rule, not per resource: no rule writes it
            for resource in resources:
                found += [f"{rule.name} {resource.urn}: {m}" for m in rule.violations(resource, knobs)]
    for stack_rule in STACK_RULES:
        if stack_rule.enforcement == "mandatory":
            found += [
                f"{stack_rule.name} {urn}: {m}"
                for m, urn in stack_rule.violations(resources, stack_config.knobs(config, stack_rule.name))
            ]
    return found


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_default_stack_has_no_mandatory_violation(stack: str) -> None:
    assert mandatory_violations(stack) == []


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_stack_config_names_real_policies_and_knobs(stack: str) -> None:
    config = stack_config.for_stack(stack)
    for name in config:
        assert name in RULES_BY_NAME, name
        assert set(stack_config.knobs(config, name)) <= set(RULES_BY_NAME[name].config_schema), name


def test_the_stack_configs_tighten_prod() -> None:
    prod, dev = stack_config.for_stack("prod"), stack_config.for_stack("dev")
    assert stack_config.knobs(prod, "data-rds-backup-retention") == {"minBackupRetentionDays": 30}
    assert stack_config.knobs(prod, "exposure-eks-endpoint") == {"allowPublicEndpoint": False}
    assert stack_config.knobs(prod, "data-rds-multi-az") == {"requireMultiAz": True}
    assert stack_config.knobs(dev, "data-rds-deletion-protection")["requireDeletionProtection"] is False


def test_a_prod_violation_is_caught_in_the_synthesized_stack() -> None:
    """The check above can fail: a prod database with short backups is reported."""
    resources = resources_of(synthesized("prod"))
    rule = RESOURCE_RULES_BY_NAME["data-rds-backup-retention"]
    cluster = next(r for r in resources if r.type == "aws:rds/cluster:Cluster" and r.props.get("masterUsername"))
    shortened = dataclasses.replace(cluster, props={**cluster.props, "backupRetentionPeriod": 7})
    assert rule.violations(shortened, {"minBackupRetentionDays": 30}) == [
        "set backupRetentionPeriod to at least 30 days (it is 7)"
    ]


# --- conformance of the no-root policy -----------------------------------------------------

NO_ROOT = RESOURCE_RULES_BY_NAME["noroot-kubernetes-pod-security-restricted"]


def fixture_pod(path: Path) -> Resource:
    document = yaml.safe_load(path.read_text())
    return Resource(type="kubernetes:core/v1:Pod", name=document["metadata"]["name"], urn="urn:pod", props=document)


@needs_fixtures
@pytest.mark.parametrize("path", PASSING, ids=[p.stem for p in PASSING])
def test_the_no_root_policy_admits_every_passing_fixture(path: Path) -> None:
    assert NO_ROOT.violations(fixture_pod(path)) == []


@needs_fixtures
@pytest.mark.parametrize("path", FAILING, ids=[p.stem for p in FAILING])
def test_the_no_root_policy_reports_every_failing_fixture(path: Path) -> None:
    assert NO_ROOT.violations(fixture_pod(path))


# --- mutations of the synthesized prod stack: the violation lands on the mutated resource ----


def _level(config: dict[str, object], rule_name: str) -> str:
    entry = config.get(rule_name)
    if isinstance(entry, str):
        return entry
    if isinstance(entry, dict) and "enforcementLevel" in entry:
        return str(entry["enforcementLevel"])
    return RULES_BY_NAME[rule_name].enforcement


def _verdicts(resources: list[Resource], rule_name: str) -> list[tuple[str, str]]:
    """(urn, level) of every violation of one policy under prod's config."""
    config = stack_config.for_stack("prod")
    rule = RULES_BY_NAME[rule_name]
    knobs = stack_config.knobs(config, rule_name)
    level = _level(config, rule_name)
    if rule_name in RESOURCE_RULES_BY_NAME:
        resource_rule = RESOURCE_RULES_BY_NAME[rule_name]
        return [(r.urn, level) for r in resources for _ in resource_rule.violations(r, knobs)]
    assert isinstance(rule, StackRule)
    return [(urn, level) for _, urn in rule.violations(resources, knobs)]


def _mutated(
    predicate: Callable[[Resource], bool], change: Callable[[dict[str, Any]], None]
) -> tuple[list[Resource], Resource]:
    resources = list(resources_of(synthesized("prod")))
    index = next(i for i, r in enumerate(resources) if predicate(r))
    props = copy.deepcopy(dict(resources[index].props))
    change(props)
    resources[index] = dataclasses.replace(resources[index], props=props)
    return resources, resources[index]


def _west(resource: Resource, resource_type: str) -> bool:
    return resource.type == resource_type and resource.name.startswith("eu-west-1")


def test_removing_one_clusters_default_deny_is_caught_in_that_cluster() -> None:
    resources = [
        r
        for r in resources_of(synthesized("prod"))
        if not (_west(r, NETWORK_POLICY) and r.name.endswith("default-deny"))
    ]
    found = _verdicts(resources, "exposure-kubernetes-namespace-default-deny")
    assert found and all("eu-west-1" in urn and level == "mandatory" for urn, level in found)


def test_an_allow_all_rule_in_one_clusters_deny_is_caught() -> None:
    resources, _ = _mutated(
        lambda r: _west(r, NETWORK_POLICY) and r.name.endswith("default-deny"),
        lambda props: props["spec"].update(ingress=[{}]),
    )
    found = _verdicts(resources, "exposure-kubernetes-namespace-default-deny")
    assert found and all("eu-west-1" in urn for urn, _ in found)


def test_a_self_tagged_world_rule_on_the_database_group_is_caught_on_the_rule() -> None:
    def open_it(props: dict[str, Any]) -> None:
        props.update(cidrIpv4="0.0.0.0/0", fromPort=443, toPort=443, tags={"platform/load-balancer": "true"})
        props.pop("referencedSecurityGroupId", None)

    resources, mutated = _mutated(lambda r: _west(r, INGRESS_RULE) and "postgres" in r.name, open_it)
    assert _verdicts(resources, "exposure-security-group-no-world-ingress") == [(mutated.urn, "mandatory")]


def test_an_aws_managed_key_on_one_database_is_caught_on_it() -> None:
    resources, mutated = _mutated(
        lambda r: _west(r, "aws:rds/cluster:Cluster"), lambda props: props.update(kmsKeyId="alias/aws/rds")
    )
    assert _verdicts(resources, "encryption-rds-storage-cmk") == [(mutated.urn, "mandatory")]


def test_a_secondary_without_deletion_protection_is_caught() -> None:
    resources, mutated = _mutated(
        lambda r: _west(r, "aws:rds/cluster:Cluster"), lambda props: props.update(deletionProtection=False)
    )
    assert _verdicts(resources, "data-rds-deletion-protection") == [(mutated.urn, "mandatory")]


def test_a_token_enabled_service_account_in_one_cluster_is_caught_on_its_pods() -> None:
    resources, mutated = _mutated(
        lambda r: _west(r, "kubernetes:core/v1:ServiceAccount") and r.name.endswith("-c-account"),
        lambda props: props.update(automountServiceAccountToken=True),
    )
    assert _verdicts(resources, "noroot-kubernetes-no-service-account-token") == [(mutated.urn, "mandatory")]
    # The pods disable the token themselves, which wins over the service account.
    assert _verdicts(resources, "noroot-kubernetes-token-not-mounted") == []
    index = next(i for i, r in enumerate(resources) if r.name == "eu-west-1-language-services-c-deployment")
    props = copy.deepcopy(dict(resources[index].props))
    del props["spec"]["template"]["spec"]["automountServiceAccountToken"]
    resources[index] = dataclasses.replace(resources[index], props=props)
    assert _verdicts(resources, "noroot-kubernetes-token-not-mounted") == [(resources[index].urn, "mandatory")]


def test_a_namespace_relabelled_in_one_cluster_is_caught() -> None:
    resources, mutated = _mutated(
        lambda r: _west(r, "kubernetes:core/v1:Namespace") and "language-services" in r.name,
        lambda props: props["metadata"]["labels"].update({"pod-security.kubernetes.io/enforce": "privileged"}),
    )
    assert _verdicts(resources, "noroot-kubernetes-namespace-restricted") == [(mutated.urn, "mandatory")]


def test_a_public_key_policy_is_caught_on_its_key() -> None:
    def open_it(props: dict[str, Any]) -> None:
        props["policy"] = json.dumps(
            {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*"}]}
        )

    resources, mutated = _mutated(lambda r: _west(r, "aws:kms/key:Key"), open_it)
    assert _verdicts(resources, "access-kms-key-policy-not-public") == [(mutated.urn, "mandatory")]

"""The default stacks pass every mandatory policy under their own policy config."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from policies import stack_config
from policies.catalog import ALL_RULES, RESOURCE_RULES, STACK_RULES
from policies.rule import Resource
from tests.conftest import synthesized
from tests.policies.test_pod_security import FAILING, PASSING
from tests.policies.views import resources_of

RULES_BY_NAME = {rule.name: rule for rule in ALL_RULES}
RESOURCE_RULES_BY_NAME = {rule.name: rule for rule in RESOURCE_RULES}


def mandatory_violations(stack: str) -> list[str]:
    config = stack_config.for_stack(stack)
    resources = resources_of(synthesized(stack))
    found: list[str] = []
    for rule in RESOURCE_RULES:
        if rule.enforcement == "mandatory":
            for resource in resources:
                found += [
                    f"{rule.name} {resource.urn}: {m}"
                    for m in rule.violations(resource, stack_config.knobs(config, rule.name))
                ]
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


@pytest.mark.parametrize("path", PASSING, ids=[p.stem for p in PASSING])
def test_the_no_root_policy_admits_every_passing_fixture(path: Path) -> None:
    assert NO_ROOT.violations(fixture_pod(path)) == []


@pytest.mark.parametrize("path", FAILING, ids=[p.stem for p in FAILING])
def test_the_no_root_policy_reports_every_failing_fixture(path: Path) -> None:
    assert NO_ROOT.violations(fixture_pod(path))

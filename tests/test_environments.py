"""One source of environment rules (eksplatform/environments.py): the policy pack's per-stack
config, the stack config checks and the components' environment-derived settings all follow it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from eksplatform.environments import ENVIRONMENTS, PROFILES, policy_config, profile
from eksplatform.policies.catalog import ALL_RULES
from eksplatform.policies.config_check import with_shared
from eksplatform.stack.data_args import postgres_settings, redis_settings
from eksplatform.stack.errors import ConfigError
from eksplatform.stack.loading import CONFIG_NAMESPACE, load_stack_file, parse_stack_config, read_stack_file
from tests.region_wiring import postgres_args, redis_args

ROOT = Path(__file__).resolve().parent.parent


def _effective_policy_config(environment: str) -> dict[str, dict[str, Any]]:
    """What the pack runs with for the environment's own stack: each policy's defaults, under the
    stack's policies/config/<environment>.json with shared knobs applied."""
    written = json.loads((ROOT / "policies" / "config" / f"{environment}.json").read_text(encoding="utf-8"))
    settings = with_shared(written, ALL_RULES)
    return {rule.name: {**rule.defaults(), **settings.get(rule.name, {})} for rule in ALL_RULES}


def _stack_data(environment: str) -> dict[str, Any]:
    raw = read_stack_file(ROOT / f"Pulumi.{environment}.yaml")
    prefix = f"{CONFIG_NAMESPACE}:"
    return {key.removeprefix(prefix): value for key, value in raw.items() if key.startswith(prefix)}


def test_every_environment_has_a_profile() -> None:
    assert set(PROFILES) == set(ENVIRONMENTS)
    assert all(PROFILES[name].name == name for name in ENVIRONMENTS)
    with pytest.raises(ValueError, match="'qa' is not one of dev, staging, prod"):
        profile("qa")


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_policy_config_agrees_with_the_profile(environment: str) -> None:
    effective = _effective_policy_config(environment)
    for policy, knobs in policy_config(environment).items():
        assert policy in effective, f"{policy} is not a policy of the pack"
        for knob, value in knobs.items():
            assert effective[policy][knob] == value, (
                f"policies/config/{environment}.json: {policy}.{knob} is {effective[policy][knob]!r}, but "
                f"eksplatform/environments.py says {value!r}"
            )


def test_profiles_differ_where_the_policy_configs_do() -> None:
    # Guards the comparison above: a profile field the pack reads differs between environments.
    assert policy_config("dev") != policy_config("prod")
    assert PROFILES["prod"].min_backup_retention_days > PROFILES["staging"].min_backup_retention_days


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_the_default_stacks_meet_their_profile(environment: str) -> None:
    assert load_stack_file(ROOT / f"Pulumi.{environment}.yaml").environment == environment


@pytest.mark.parametrize(
    ("environment", "path", "value", "message"),
    [
        ("staging", ["postgres", "backupRetentionDays"], 7, "staging keeps backups for at least 14 days"),
        ("prod", ["postgres", "backupRetentionDays"], 14, "prod keeps backups for at least 30 days"),
        ("staging", ["postgres", "deletionProtection"], False, "staging databases keep deletion protection on"),
        ("staging", ["postgres", "readers"], 0, "staging needs at least 1 reader"),
        ("staging", ["redis", "queue", "replicasPerShard"], 0, "staging needs at least 1 replica per shard"),
        ("prod", ["cluster", "endpointPublicAccess"], True, "prod keeps the EKS API private"),
    ],
)
def test_the_config_check_reads_the_profile(environment: str, path: list[str], value: Any, message: str) -> None:
    data = copy.deepcopy(_stack_data(environment))
    node = data["regions"][0]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    if path[-1] == "endpointPublicAccess":
        node["publicAccessCidrs"] = ["203.0.113.0/24"]
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(data)
    assert any(message in issue.message and issue.path.startswith("regions[0].") for issue in caught.value.issues), (
        caught.value
    )


def test_dev_allows_what_prod_refuses() -> None:
    data = copy.deepcopy(_stack_data("dev"))
    region = data["regions"][0]
    region["postgres"]["deletionProtection"] = False
    region["redis"]["queue"]["replicasPerShard"] = 0
    region["cluster"].update(endpointPublicAccess=True, publicAccessCidrs=["203.0.113.0/24"])
    assert parse_stack_config(data).environment == "dev"


@pytest.mark.parametrize("environment", ENVIRONMENTS)
def test_component_settings_follow_the_profile(environment: str) -> None:
    rules = profile(environment)
    config = load_stack_file(ROOT / f"Pulumi.{environment}.yaml")
    region = config.regions[0]
    postgres = postgres_args(
        postgres_settings(region.postgres.model_copy(update={"deletion_protection": None}), environment=environment),
        identifier="platform-test",
        vpc_id="vpc-1",
        subnet_ids=["subnet-1", "subnet-2"],
        availability_zones=["us-east-1a", "us-east-1b"],
        allowed_security_groups={},
        rpo_minutes=15,
    )
    assert postgres.deletion_protection is rules.database_deletion_protection
    assert postgres.final_snapshot is rules.final_snapshot
    assert postgres.keep_data is rules.keep_data
    redis = redis_args(
        "queue",
        redis_settings(region.redis.queue, environment=environment),
        replication_group_id="platform-test-queue",
        vpc_id="vpc-1",
        subnet_ids=["subnet-1", "subnet-2"],
        allowed_security_groups={},
        rpo_minutes=15,
    )
    assert redis.keep_data is rules.keep_data

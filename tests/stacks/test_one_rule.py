"""One rule, one place: the stack file's models and the Args call the same rule function
(eksplatform/stack/region_rules.py, cross_region.py), so a value one of them refuses the other
refuses too, with the same message in each caller's spelling (the stack file's camelCase key,
the Args' `args.<python path>`)."""

import dataclasses
import inspect
import re
from typing import Any

import pytest

from eksplatform.components.data_rules import DataRuleError
from eksplatform.components.eks_rules import ROLE_ARN
from eksplatform.components.inputs import ArgsError
from eksplatform.preflight.synth import PROJECT_ROOT
from eksplatform.stack import config as config_module
from eksplatform.stack import deployer_connection, platform, region
from eksplatform.stack.config import DeployerConfig, DnsConfig, RegionConfig
from eksplatform.stack.cross_region import vpc_overlaps
from eksplatform.stack.deployer_connection import DeployerNetwork
from eksplatform.stack.errors import ConfigError
from eksplatform.stack.loading import load_stack_file, parse_stack_config
from eksplatform.stack.models_data import camel
from eksplatform.stack.platform import PlatformDns
from eksplatform.stack.platform_args import platform_args
from eksplatform.stack.region_rules import (
    ACCOUNT_ID_PATTERN,
    ROLE_ARN_PATTERN,
    ROUTE_TABLE_ID_PATTERN,
    RPO_MINUTES_RANGE,
    RUNNER_PROJECT_PATTERN,
    VPC_ID_PATTERN,
    ZONE_ID_PATTERN,
    account_id_problem,
    check_environment,
    hosted_zone_id_problem,
    known_region_problem,
)
from tests.components.test_platform import prod_with
from tests.stacks.test_region_args import DEPLOYER, _region_args

PROD = load_stack_file(PROJECT_ROOT / "Pulumi.prod.yaml")


def _stack_issues(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ConfigError) as raised:
        parse_stack_config(data)
    return {issue.path: issue.message for issue in raised.value.issues}


def _args_error(build: Any) -> str:
    with pytest.raises(ArgsError) as raised:
        build()
    return str(raised.value)


# --- a known region ----------------------------------------------------------------------------


def test_a_region_and_the_deployers_region_are_refused_by_the_one_known_region_rule() -> None:
    expected = known_region_problem("mars-1")
    assert expected is not None and "'mars-1' is not a known AWS region" in expected
    assert known_region_problem("us-east-1") is None
    first = platform_args(PROD).regions[0]
    assert _args_error(lambda: dataclasses.replace(first, region="mars-1")) == f"args.region: {expected}"
    region_data = prod_with()
    region_data["regions"][0]["name"] = "mars-1"
    assert _stack_issues(region_data)["regions[0].name"].endswith(expected)
    assert _args_error(lambda: DeployerNetwork(**{**DEPLOYER, "deployer_region": "mars-1"})) == (
        f"args.deployer_region: {expected}"
    )
    deployer_data = prod_with()
    deployer_data["deployer"] = {**deployer_data["deployer"], "deployerRegion": "mars-1"}
    assert _stack_issues(deployer_data)["deployer.deployerRegion"].endswith(expected)


# --- a 12-digit account id ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("account", "valid"),
    [
        ("333333333333", True),  # prod's own account
        ("12345678901", False),
        ("1234567890123", False),
        ("12345678901a", False),
        ("123456789012\n", False),
        ("", False),
    ],
)
def test_the_stack_file_and_the_args_agree_on_an_account_id(account: str, valid: bool) -> None:
    assert (account_id_problem(account) is None) is valid
    assert (re.fullmatch(ACCOUNT_ID_PATTERN, account) is not None) is valid
    data = prod_with(allowedAccountIds=[account])
    if valid:
        assert parse_stack_config(data).allowed_account_ids == [account]
    else:
        assert "allowedAccountIds[0]" in _stack_issues(data)
        message = _args_error(lambda: _region_args(allowed_account_ids=[account]))
        assert message == f"args.allowed_account_ids[0]: {account_id_problem(account)}"
        message = _args_error(lambda: DeployerNetwork(**{**DEPLOYER, "account_id": account}))
        assert message == f"args.account_id: {account_id_problem(account)}"


def test_the_stack_files_account_ids_use_the_rules_pattern() -> None:
    schema = config_module.StackConfig.model_json_schema(by_alias=True)
    assert schema["properties"]["allowedAccountIds"]["items"]["pattern"] == ACCOUNT_ID_PATTERN
    assert DeployerConfig.model_json_schema(by_alias=True)["properties"]["accountId"]["pattern"] == ACCOUNT_ID_PATTERN


# --- a delegated zone --------------------------------------------------------------------------


def test_the_zone_rule_is_the_same_for_the_stack_file_and_platform_dns() -> None:
    both = _args_error(lambda: PlatformDns(domain="run.example.com", hosted_zone_id="Z1", parent_zone_id="Z2"))
    assert both == (
        "args.parent_zone_id: set hosted_zone_id or parent_zone_id, not both (with hosted_zone_id no zone is made)"
    )
    with pytest.raises(
        ValueError, match=r"parentZoneId: set hostedZoneId or parentZoneId, not both \(with hostedZoneId"
    ):
        DnsConfig.model_validate({"domain": "run.example.com", "hostedZoneId": "Z1", "parentZoneId": "Z2"})
    neither = _args_error(lambda: PlatformDns(domain="run.example.com"))
    assert neither.startswith("args.parent_zone_id: a zone the platform creates must be delegated: set parent_zone_id")
    # The stack file asks for hostedZoneId (docs/public-entry.md), with the same text in its spelling.
    with pytest.raises(ValueError) as raised:
        DnsConfig.model_validate({"domain": "run.example.com"})
    stack_message = str(raised.value)
    assert "hostedZoneId: a zone the platform creates must be delegated: set parentZoneId" in stack_message
    assert "a new zone nobody delegated never validates" in stack_message and "nobody delegated" in neither


# --- VPCs apart --------------------------------------------------------------------------------


def test_overlapping_vpcs_get_one_message_in_each_spelling() -> None:
    (violation,) = vpc_overlaps(["10.0.0.0/16", "10.1.0.0/16", "10.0.128.0/17", "not a cidr", None])
    assert (violation.field, violation.message) == (
        "regions[2].vpc.cidr",
        "10.0.128.0/17 overlaps regions[0].vpc.cidr 10.0.0.0/16",
    )
    data = prod_with()
    data["regions"][1]["vpc"]["cidr"] = data["regions"][0]["vpc"]["cidr"]
    cidr = data["regions"][0]["vpc"]["cidr"]
    assert _stack_issues(data)["regions[1].vpc.cidr"] == f"{cidr} overlaps regions[0].vpc.cidr {cidr}"
    regions = list(platform_args(PROD).regions)
    regions[1] = dataclasses.replace(regions[1], vpc=dataclasses.replace(regions[1].vpc, cidr=regions[0].vpc.cidr))
    message = _args_error(lambda: dataclasses.replace(platform_args(PROD), regions=regions))
    assert message == f"args.regions[1].vpc.cidr: {cidr} overlaps args.regions[0].vpc.cidr {cidr}"


# --- no second copy ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "copies"),
    [
        (region, ["REGION_AZ_COUNTS", "isdigit", "len(account)", "1440", "min_backup_retention_days"]),
        (platform, ["ipaddress", ".overlaps(", "1440", "min_backup_retention_days"]),
        (deployer_connection, ["isdigit", "REGION_AZ_COUNTS", "vpc-[", "rtb-["]),
        (
            config_module,
            [r"\d{12}$", "not a known", "not both", "Z[A-Z0-9]", "vpc-[", "rtb-[", "1440", "min_backup_retention_days"],
        ),
    ],
)
def test_the_callers_keep_no_copy_of_the_rules(module: Any, copies: list[str]) -> None:
    source = inspect.getsource(module)
    assert [copy for copy in copies if copy in source] == []


def test_region_config_uses_the_known_region_rule() -> None:
    with pytest.raises(ValueError, match=re.escape(str(known_region_problem("mars-1")))):
        RegionConfig.model_validate({**prod_with()["regions"][0], "name": "mars-1"})


# --- what the environment requires -------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "field"),
    [
        ("deletionProtection", False, "deletion_protection"),
        ("backupRetentionDays", 7, "backup_retention_days"),
        ("readers", 0, "readers"),
    ],
)
def test_the_environments_rule_gives_one_message_in_each_spelling(key: str, value: Any, field: str) -> None:
    data = prod_with()
    data["regions"][1]["postgres"][key] = value
    stack_message = _stack_issues(data)[f"regions[1].postgres.{key}"]
    regions = list(platform_args(PROD).regions)
    regions[1] = dataclasses.replace(regions[1], postgres=dataclasses.replace(regions[1].postgres, **{field: value}))
    message = _args_error(lambda: dataclasses.replace(platform_args(PROD), regions=regions))
    assert message == f"args.regions[1].postgres.{field}: {stack_message}"
    assert stack_message.startswith("prod ")


def test_the_environments_rule_reads_an_unset_protection_as_the_profiles() -> None:
    # Unset, deletion protection is what environment_defaults fills in: on in prod, off in dev.
    for environment in ("prod", "dev"):
        check_environment(
            environment,
            endpoint_public_access=False,
            replicas_per_shard=[("cache", 1), ("queue", 1)],
            backup_retention_days=30,
            deletion_protection=None,
            engine="aurora",
            readers=1,
            multi_az=True,
        )
    with pytest.raises(DataRuleError, match="deletion protection on"):
        check_environment(
            "staging",
            endpoint_public_access=False,
            replicas_per_shard=[("cache", 1), ("queue", 1)],
            backup_retention_days=30,
            deletion_protection=False,
            engine="aurora",
            readers=1,
            multi_az=True,
        )


# --- the deployer clear of the clusters' Service range -----------------------------------------


def test_a_deployer_over_the_service_range_gets_one_message_in_each_spelling() -> None:
    data = prod_with()
    data["deployer"] = {**data["deployer"], "deployerCidr": "172.20.128.0/17"}
    stack_message = _stack_issues(data)["deployer.deployerCidr"]
    assert stack_message.startswith("172.20.128.0/17 overlaps 172.20.0.0/16, the clusters' Service range")
    prod = platform_args(PROD)
    assert prod.deployer is not None
    deployer = dataclasses.replace(prod.deployer, deployer_cidr="172.20.128.0/17")
    message = _args_error(lambda: dataclasses.replace(prod, deployer=deployer))
    assert message == f"args.deployer.deployer_cidr: {stack_message}"


# --- the stack file's patterns are the Args' -----------------------------------------------------


def test_the_stack_files_patterns_are_the_rules_constants() -> None:
    deployer = DeployerConfig.model_json_schema(by_alias=True)["properties"]
    assert deployer["deployerVpcId"]["pattern"] == VPC_ID_PATTERN
    assert deployer["deployerRouteTableIds"]["items"]["pattern"] == ROUTE_TABLE_ID_PATTERN
    assert deployer["runnerRoleArn"]["pattern"] == ROLE_ARN_PATTERN == ROLE_ARN.pattern
    assert deployer["runnerProjectName"]["pattern"] == RUNNER_PROJECT_PATTERN
    dns = DnsConfig.model_json_schema(by_alias=True)["properties"]
    for key in ("hostedZoneId", "parentZoneId"):
        assert any(option.get("pattern") == ZONE_ID_PATTERN for option in dns[key]["anyOf"])
    rpo = config_module.StackConfig.model_json_schema(by_alias=True)["properties"]["rpoMinutes"]
    assert (rpo["minimum"], rpo["maximum"]) == RPO_MINUTES_RANGE


@pytest.mark.parametrize(
    ("zone_id", "valid"), [("Z0123456789ABCDEFGHIJ", True), ("Z1", True), ("z1", False), ("Z", False), ("ZA-1", False)]
)
def test_the_stack_file_and_the_args_agree_on_a_zone_id(zone_id: str, valid: bool) -> None:
    assert (hosted_zone_id_problem(zone_id) is None) is valid
    dns = {"domain": "run.example.com", "hostedZoneId": zone_id}
    if valid:
        assert DnsConfig.model_validate(dns).hosted_zone_id == zone_id
        assert PlatformDns(domain="run.example.com", hosted_zone_id=zone_id).hosted_zone_id == zone_id
    else:
        with pytest.raises(ValueError, match="hostedZoneId"):
            DnsConfig.model_validate(dns)
        message = _args_error(lambda: PlatformDns(domain="run.example.com", hosted_zone_id=zone_id))
        assert message == f"args.hosted_zone_id: {hosted_zone_id_problem(zone_id)}"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("deployer_vpc_id", "vpc-123"),
        ("deployer_route_table_ids", ["rtb-0123456789abcdef0", "rtb-xyz"]),
        ("runner_role_arn", "arn:aws:iam::123456789012:user/runner"),
        ("runner_project_name", "-runner"),
    ],
)
def test_the_stack_file_and_the_deployer_network_refuse_the_same_bootstrap_outputs(field: str, value: Any) -> None:
    data = prod_with()
    key = camel(field)
    data["deployer"] = {**data["deployer"], key: value}
    assert any(path.startswith(f"deployer.{key}") for path in _stack_issues(data))
    message = _args_error(lambda: DeployerNetwork(**{**DEPLOYER, field: value}))
    assert message.startswith(f"args.{field}")

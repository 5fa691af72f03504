"""RegionArgs and PlatformArgs: the stack file's adapter, and the rules the Args check themselves
(every error names its field, so another language's program hears which setting is wrong)."""

import dataclasses
import re
from typing import Any

import pytest

from eksplatform.components.inputs import ArgsError
from eksplatform.environments import ENVIRONMENTS
from eksplatform.preflight.synth import PROJECT_ROOT
from eksplatform.stack.cluster_args import cluster_settings
from eksplatform.stack.config import StackConfig
from eksplatform.stack.data_args import postgres_settings, redis_settings, vpc_settings
from eksplatform.stack.deployer_connection import DeployerNetwork
from eksplatform.stack.loading import load_stack_file, parse_stack_config
from eksplatform.stack.observability_args import alert_topics_settings, observability_settings
from eksplatform.stack.platform import PlatformArgs, PlatformDns
from eksplatform.stack.platform_args import platform_args
from eksplatform.stack.region import EnvironmentName, RegionArgs, RegionDns, RegionSettings
from eksplatform.stack.services_args import language_services_settings
from tests.components.test_platform import prod_with

STACKS = ("dev", "staging", "prod")
DEPLOYER: dict[str, Any] = {
    "deployer_region": "eu-west-1",
    "deployer_vpc_id": "vpc-0123456789abcdef0",
    "deployer_cidr": "10.250.0.0/16",
    "deployer_route_table_ids": ["rtb-0123456789abcdef0"],
    "runner_role_arn": "arn:aws:iam::123456789012:role/platform-deployer-dev-runner",
    "runner_project_name": "platform-deployer-dev",
    "account_id": "123456789012",
}


def stack(name: str) -> StackConfig:
    return load_stack_file(PROJECT_ROOT / f"Pulumi.{name}.yaml")


def test_the_environment_enum_is_the_profiles_list() -> None:
    assert tuple(member.value for member in EnvironmentName) == ENVIRONMENTS


@pytest.mark.parametrize("name", STACKS)
def test_each_region_of_the_stack_file_becomes_its_blocks_settings(name: str) -> None:
    config = stack(name)
    args = platform_args(config)
    environment = config.environment
    assert args.environment == environment and args.tags == config.tags
    assert [settings.region for settings in args.regions] == [region.name for region in config.regions]
    for settings, region in zip(args.regions, config.regions, strict=True):
        assert settings == RegionSettings(
            region=region.name,
            vpc=vpc_settings(region.vpc, region=region.name),
            cluster=cluster_settings(region.cluster, environment=environment),
            postgres=postgres_settings(region.postgres, environment=environment),
            cache=redis_settings(region.redis.cache, environment=environment),
            queue=redis_settings(region.redis.queue, environment=environment),
            language_services=language_services_settings(region.language_services),
            image_registry=region.language_services.image_registry,
        )
    assert args.primary.region == config.primary_region.name
    assert args.global_queue == config.primary_region.redis.queue.global_datastore
    assert args.rpo_minutes == config.rpo_minutes
    assert list(args.allowed_account_ids or ()) == config.allowed_account_ids
    assert config.dns is not None
    assert args.dns == PlatformDns(
        domain=config.dns.domain,
        hosted_zone_id=config.dns.hosted_zone_id,
        parent_zone_id=config.dns.parent_zone_id,
        health_path=config.dns.health_path,
    )
    if config.observability is None:
        assert args.observability is None and args.alerts is None
    else:
        assert args.observability == observability_settings(config.observability, environment=environment)
        assert args.alerts == alert_topics_settings(config.observability)


def test_the_deployer_of_the_stack_file_is_its_bootstrap_outputs() -> None:
    config = stack("prod")
    data = prod_with()
    data["deployer"] = {
        "deployerRegion": "us-east-1",
        "deployerVpcId": "vpc-0123456789abcdef0",
        "deployerCidr": "10.250.0.0/16",
        "deployerRouteTableIds": ["rtb-0123456789abcdef0"],
        "runnerRoleArn": "arn:aws:iam::123456789012:role/platform-deployer-prod-runner",
        "runnerProjectName": "platform-deployer-prod",
        "accountId": config.allowed_account_ids[0] if config.allowed_account_ids else "123456789012",
    }
    args = platform_args(parse_stack_config(data))
    assert args.deployer == DeployerNetwork(
        deployer_region="us-east-1",
        deployer_vpc_id="vpc-0123456789abcdef0",
        deployer_cidr="10.250.0.0/16",
        deployer_route_table_ids=["rtb-0123456789abcdef0"],
        runner_role_arn="arn:aws:iam::123456789012:role/platform-deployer-prod-runner",
        runner_project_name="platform-deployer-prod",
        account_id=data["deployer"]["accountId"],
    )


# --- what PlatformArgs checks itself -----------------------------------------------------------


def _prod_args(**changes: Any) -> PlatformArgs:
    return dataclasses.replace(platform_args(stack("prod")), **changes)


def _with_region(index: int, **changes: Any) -> list[RegionSettings]:
    regions = list(platform_args(stack("prod")).regions)
    regions[index] = dataclasses.replace(regions[index], **changes)
    return regions


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"regions": []}, r"^args\.regions: name at least one region$"),
        ({"primary_region": "eu-north-1"}, r"^args\.primary_region: eu-north-1 is not one of \["),
        ({"unreachable_regions": ["us-east-1", "mars-1"]}, r"^args\.unreachable_regions\[1\]: mars-1 is not a region"),
        ({"global_queue": True}, r"^args\.global_queue: a Global Datastore spans at most 3 regions, not 4; "),
        (
            {"deployer": DeployerNetwork(**{**DEPLOYER, "deployer_cidr": "10.0.0.0/8"})},
            r"^args\.deployer\.deployer_cidr: 10\.0\.0\.0/8 overlaps args\.regions\[0\]\.vpc\.cidr .*; peered VPCs",
        ),
    ],
    ids=["no regions", "unknown primary", "unknown unreachable region", "global queue too wide", "deployer overlaps"],
)
def test_platform_args_refuse_what_cannot_be_built(changes: dict[str, Any], message: str) -> None:
    if "global_queue" in changes:
        regions = list(platform_args(stack("prod")).regions)
        fourth = dataclasses.replace(regions[-1], region="eu-north-1", image_registry=None)  # its own registry's region
        changes = {**changes, "regions": [*regions, fourth]}
        changes["regions"][-1] = dataclasses.replace(
            changes["regions"][-1], vpc=dataclasses.replace(regions[-1].vpc, cidr="10.99.0.0/16")
        )
    with pytest.raises(ArgsError, match=message):
        _prod_args(**changes)


def test_platform_args_refuse_a_region_twice_and_overlapping_networks() -> None:
    regions = list(platform_args(stack("prod")).regions)
    with pytest.raises(
        ArgsError, match=rf"^args\.regions\[{len(regions)}\]\.region: {regions[0].region} appears twice"
    ):
        _prod_args(regions=[*regions, regions[0]])
    overlapping = dataclasses.replace(regions[1], vpc=dataclasses.replace(regions[1].vpc, cidr=regions[0].vpc.cidr))
    cidr = re.escape(regions[0].vpc.cidr)
    # The stack file's message (eksplatform/stack/cross_region.py vpc_overlaps), in the Args' spelling.
    message = rf"^args\.regions\[1\]\.vpc\.cidr: {cidr} overlaps args\.regions\[0\]\.vpc\.cidr {cidr}$"
    with pytest.raises(ArgsError, match=message):
        _prod_args(regions=[regions[0], overlapping, *regions[2:]])


def test_several_regions_share_one_aurora_global_database() -> None:
    regions = list(platform_args(stack("prod")).regions)
    # An rds database prod accepts in a region of its own (backups, protection, a standby).
    rds = dataclasses.replace(
        platform_args(stack("dev")).regions[0].postgres,
        deletion_protection=True,
        final_snapshot=True,
        backup_retention_days=30,
        multi_az=True,
    )
    with pytest.raises(ArgsError, match=r"^args\.regions\[1\]\.postgres\.engine: a multi-region stack runs one Aurora"):
        _prod_args(regions=[regions[0], dataclasses.replace(regions[1], postgres=rds), *regions[2:]])


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"hosted_zone_id": None, "parent_zone_id": None}, r"^args\.parent_zone_id: a zone the platform creates must"),
        ({"hosted_zone_id": "Z1", "parent_zone_id": "Z2"}, r"^args\.parent_zone_id: set hosted_zone_id or parent"),
        ({"health_path": "healthz"}, r"^args\.health_path: "),
        ({"domain": "*.example.com"}, r"^args\.domain: "),
    ],
    ids=["no zone", "both zones", "relative health path", "wildcard domain"],
)
def test_platform_dns_refuses_what_acm_and_route53_cannot_use(fields: dict[str, Any], message: str) -> None:
    base: dict[str, Any] = {"domain": "run.example.com", "parent_zone_id": "Z0PARENT"}
    with pytest.raises(ArgsError, match=message):
        PlatformDns(**{**base, **fields})
    assert PlatformDns(**base).resolved_health_path == "/healthz"


# --- what RegionArgs checks itself -------------------------------------------------------------


def _region_args(**changes: Any) -> RegionArgs:
    settings = platform_args(stack("dev")).regions[0]
    fields = {field.name: getattr(settings, field.name) for field in dataclasses.fields(settings)}
    base: dict[str, Any] = {
        **fields,
        "environment": EnvironmentName.DEV,
        "tags": {"environment": "dev"},
        "dns": RegionDns(domain="run.example.com", zone_id="Z1"),
    }
    return RegionArgs(**{**base, **changes})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"region": "mars-1"}, r"^args\.region: 'mars-1' is not a known AWS region"),
        ({"rpo_minutes": 0}, r"^args\.rpo_minutes: 0 is outside 1-1440$"),
        ({"allowed_account_ids": ["123"]}, r"^args\.allowed_account_ids\[0\]: '123' is not a 12-digit AWS account id$"),
        ({"environment": "qa"}, r"^args\.environment: 'qa' is not one of 'dev', 'staging', 'prod'$"),
    ],
    ids=["unknown region", "rpo", "account id", "environment"],
)
def test_region_args_name_the_bad_field(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgsError, match=message):
        _region_args(**changes)


def test_a_region_refuses_a_deployer_network_that_overlaps_its_vpc() -> None:
    cidr = platform_args(stack("dev")).regions[0].vpc.cidr
    with pytest.raises(ArgsError, match=rf"^args\.deployer\.deployer_cidr: {re.escape(cidr)} overlaps args\.vpc\.cidr"):
        _region_args(deployer=DeployerNetwork(**{**DEPLOYER, "deployer_cidr": cidr}))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"deployer_cidr": "10.250.0.1/16"}, r"^args\.deployer_cidr: 10\.250\.0\.1/16 has host bits set$"),
        ({"account_id": "12345"}, r"^args\.account_id: '12345' is not a 12-digit AWS account id$"),
        ({"deployer_route_table_ids": []}, r"^args\.deployer_route_table_ids: name the deployer's route tables$"),
    ],
    ids=["host bits", "account", "no route tables"],
)
def test_the_deployer_network_names_the_bad_output(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ArgsError, match=message):
        DeployerNetwork(**{**DEPLOYER, **changes})


def test_the_region_dns_defaults_its_health_path_and_checks_it() -> None:
    assert RegionDns(domain="run.example.com", zone_id="Z1").resolved_health_path == "/healthz"
    # The entry's certificate names the domain: PlatformDns's rule (components/dns.py).
    with pytest.raises(ArgsError, match=r"^args\.domain: "):
        RegionDns(domain=" ", zone_id="Z1")
    with pytest.raises(ArgsError, match=r"^args\.domain: .*wildcard|^args\.domain: "):
        RegionDns(domain="*.example.com", zone_id="Z1")
    with pytest.raises(ArgsError, match=r"^args\.health_path: "):
        RegionDns(domain="run.example.com", zone_id="Z1", health_path="no-slash")
    # A zone the Region makes must be delegated from its parent, or ACM never validates.
    with pytest.raises(ArgsError, match=r"^args\.parent_zone_id: a zone the platform creates must be delegated"):
        RegionDns(domain="run.example.com")
    assert RegionDns(domain="run.example.com", parent_zone_id="Z0PARENT").zone_id is None


def test_a_stack_config_given_to_platform_points_at_the_adapter() -> None:
    from eksplatform.stack.platform import Platform

    with pytest.raises(ArgsError, match=r"^args: Platform takes PlatformArgs; .*platform_from_stack\(name, config\)$"):
        Platform("platform", stack("dev"))  # type: ignore[arg-type]


def test_a_region_plans_the_subnets_the_stack_file_plans_when_its_slots_are_unset() -> None:
    from eksplatform.components.facts import REGION_AZ_COUNTS
    from eksplatform.stack.region import private_subnet_cidrs

    for settings in platform_args(stack("prod")).regions:
        unset = dataclasses.replace(settings, vpc=dataclasses.replace(settings.vpc, subnet_slots=None))
        assert unset.vpc.subnet_slots == REGION_AZ_COUNTS[settings.region]
        assert private_subnet_cidrs(unset.vpc) == private_subnet_cidrs(settings.vpc)
        assert [planned.cidr for planned in unset.vpc.plan()] == [planned.cidr for planned in settings.vpc.plan()]

"""The stack config as validated, plain Python values: the whole stack file (`StackConfig`) and
one region of it (`RegionConfig`). The per-area models live in `models_*.py` and are re-exported here."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import Field, StringConstraints, field_validator, model_validator

from eksplatform.components.data_rules import DataRuleError
from eksplatform.components.dns import certificate_domain_problem, health_path_problem
from eksplatform.components.subnet_plan import SubnetPlanError, plan_subnets
from eksplatform.cost.prices import ADMITTED_REGIONS
from eksplatform.environments import DEFAULT_RPO_MINUTES, Environment
from eksplatform.stack.cross_region import (
    CrossRegionError,
    DatabaseMember,
    cross_region_issues,
    global_queue_everywhere,
    one_global_database,
)
from eksplatform.stack.errors import KeyedValueError
from eksplatform.stack.models_base import Cidr, NonEmpty, StackModel
from eksplatform.stack.models_cluster import ClusterConfig, NodeGroupConfig
from eksplatform.stack.models_data import PostgresConfig, RedisClusterConfig, RedisConfig, camel
from eksplatform.stack.models_network import SubnetsConfig, SubnetTierConfig, VpcConfig, subnet_layouts
from eksplatform.stack.models_observability import (
    AlertThresholds,
    CriticalThresholds,
    NotificationConfig,
    ObservabilityConfig,
    WarningThresholds,
)
from eksplatform.stack.models_services import LanguageServiceConfig, LanguageServicesConfig
from eksplatform.stack.region_rules import (
    ACCOUNT_ID_PATTERN,
    ROLE_ARN_PATTERN,
    ROUTE_TABLE_ID_PATTERN,
    RPO_MINUTES_RANGE,
    RUNNER_PROJECT_PATTERN,
    VPC_ID_PATTERN,
    ZONE_ID_PATTERN,
    check_deployer,
    check_environment,
    check_region_network,
    check_registry_account,
    check_registry_region,
    check_unreachable_regions,
    check_zone_delegation,
    known_region_problem,
    subnet_slots,
)

# Where the stack file keeps a region's settings that RegionSettings holds elsewhere.
_STACK_PLACES = {
    "image_registry": "language_services.image_registry",
    "queue.": "redis.queue.",
    "cache.": "redis.cache.",
}

_REGION_PREFIX = re.compile(r"^(regions\[\d+\]\.)?(.*)$")


def stack_key(field: str) -> str:
    """A rule's field (a Python path within RegionSettings or PlatformArgs, eksplatform/stack/
    region_rules.py and cross_region.py) as the stack file's key: `regions[1].queue.node_type` ->
    `regions[1].redis.queue.nodeType`, `image_registry` -> `languageServices.imageRegistry`."""
    region, path = _REGION_PREFIX.fullmatch(field).groups()  # type: ignore[union-attr]
    for place, key in _STACK_PLACES.items():
        if path.startswith(place):
            path = key + path[len(place) :]
            break
    return (region or "") + camel(path)


def stack_rule_error(violation: DataRuleError, prefix: str = "") -> KeyedValueError:
    """A shared rule's violation reported at its stack file key (under `prefix`, e.g. `regions[0].`)."""
    return KeyedValueError(prefix + stack_key(violation.field), violation.message)


# --- region and stack ----------------------------------------------------------------------


class RegionConfig(StackModel):
    """Everything the platform builds in one AWS region."""

    name: str = Field(
        description="AWS region, e.g. us-east-1; one of the priced regions, eksplatform/cost/prices.py "
        "ADMITTED_REGIONS (docs/cost.md, 'What is admitted')"
    )
    primary: bool = Field(default=False, description="exactly one region writes")
    vpc: VpcConfig
    cluster: ClusterConfig
    postgres: PostgresConfig
    redis: RedisConfig
    language_services: LanguageServicesConfig = Field(description="at least its imageRegistry")

    @field_validator("name")
    @classmethod
    def _known_region(cls, name: str) -> str:
        problem = known_region_problem(name)  # RegionSettings' rule too (eksplatform/stack/region_rules.py)
        if problem is not None:
            raise ValueError(problem)
        if name not in ADMITTED_REGIONS:
            # The budget gate needs a price for every resource in every region (docs/cost.md).
            raise ValueError(
                f"{name!r} has no prices in eksplatform/cost/prices.py; use one of {sorted(ADMITTED_REGIONS)}, "
                "or add the region's column to eksplatform/cost/prices.py and ADMITTED_REGIONS, and its instance "
                "prices with `python -m eksplatform.cost.offer_file`"
            )
        return name

    @model_validator(mode="after")
    def _zones_fit_region(self) -> RegionConfig:
        try:
            # The platform's rules of a region (eksplatform/stack/region_rules.py), shared with RegionSettings.
            check_region_network(
                self.name,
                cidr=str(self.vpc.cidr),
                az_count=self.vpc.az_count,
                zone_ids=self.vpc.availability_zone_ids,
                nat_strategy=self.vpc.nat_strategy,
            )
            check_registry_region(self.name, self.language_services.image_registry)
        except DataRuleError as violation:
            raise stack_rule_error(violation) from None
        try:
            # The same plan the Vpc component makes (components/vpc.py; eksplatform/stack/data_args.py, vpc_settings).
            plan_subnets(
                self.vpc.cidr, self.vpc.az_count, subnet_layouts(self.vpc.subnets), slots=subnet_slots(self.name)
            )
        except SubnetPlanError as error:
            raise KeyedValueError("vpc.subnets", str(error)) from None
        return self


def environment_issue(environment: str, region: RegionConfig, path: str) -> None:
    """Raise for the first setting of `region` its environment's profile refuses (eksplatform/environments.py);
    the rule is RegionArgs' and PlatformArgs' too (eksplatform/stack/region_rules.py)."""
    postgres = region.postgres
    try:
        check_environment(
            environment,
            endpoint_public_access=region.cluster.endpoint_public_access,
            replicas_per_shard=[
                (purpose, getattr(region.redis, purpose).replicas_per_shard) for purpose in ("cache", "queue")
            ],
            backup_retention_days=postgres.backup_retention_days,
            deletion_protection=postgres.deletion_protection,
            engine=postgres.engine,
            readers=postgres.readers,
            multi_az=postgres.multi_az,
            spell=camel,
        )
    except DataRuleError as violation:
        raise stack_rule_error(violation, f"{path}.") from None


class DnsConfig(StackModel):
    """Public DNS of the entry points: the zone that validates their ACM certificates and names them."""

    domain: str = Field(
        description="the stack's domain: the entry is `api.<domain>`, the writer's region `primary.<domain>`",
    )
    # ACM validates the entry's certificate through public DNS, and the provider waits up to 75 min
    # for it (terraform-provider-aws internal/service/acm/certificate_validation.go): a zone nobody
    # delegated never validates. So the zone is either delegated before the stack runs
    # (`hostedZoneId`), or the stack delegates the one it makes from a parent zone in the same
    # account (`parentZoneId`, where it writes the NS record). docs/public-entry.md, "Bootstrap".
    hosted_zone_id: str | None = Field(
        default=None, pattern=ZONE_ID_PATTERN, description="an existing zone of `domain`, already delegated"
    )
    parent_zone_id: str | None = Field(
        default=None,
        pattern=ZONE_ID_PATTERN,
        description="a delegated parent zone in this account: the stack makes the zone and delegates it",
    )
    # Route 53 sends this path to every region's entry; the backend answers it (any host) with
    # 200 only while it can serve, so an entry whose backends are down leaves the latency records.
    health_path: str = Field(
        default="/healthz",
        description="path the backends answer on the public entry for Route 53's health checks",
    )

    # The components' own rules (PublicIngress's certificate, GlobalDns's health checks), named by key.
    @field_validator("domain")
    @classmethod
    def _certificate_domain(cls, domain: str) -> str:
        problem = certificate_domain_problem(domain)
        if problem:
            raise ValueError(problem)
        return domain

    @field_validator("health_path")
    @classmethod
    def _health_path(cls, path: str) -> str:
        problem = health_path_problem(path)
        if problem:
            raise ValueError(problem)
        return path

    @model_validator(mode="after")
    def _a_delegated_zone(self) -> DnsConfig:
        try:
            # PlatformDns's rule too (eksplatform/stack/region_rules.py); the file asks for hostedZoneId.
            check_zone_delegation(
                self.domain,
                hosted_zone_id=self.hosted_zone_id,
                parent_zone_id=self.parent_zone_id,
                neither_field="hosted_zone_id",
                spell=camel,
            )
        except DataRuleError as violation:
            raise KeyedValueError(camel(violation.field), violation.message) from None
        return self


class DeployerConfig(StackModel):
    """Where deployments run: the bootstrap program's outputs (bootstrap/, `pulumi stack output --json`).

    Every key is one of the bootstrap's outputs under the same name; docs/deploying.md shows the
    one command that copies them here.
    """

    deployer_region: str = Field(description="region of the deployer VPC (bootstrap output `deployerRegion`)")
    deployer_vpc_id: str = Field(pattern=VPC_ID_PATTERN, description="bootstrap output `deployerVpcId`")
    deployer_cidr: Cidr = Field(description="bootstrap output `deployerCidr`; overlaps no region")
    deployer_route_table_ids: list[Annotated[str, StringConstraints(pattern=ROUTE_TABLE_ID_PATTERN)]] = Field(
        min_length=1, description="the deployer's private route tables (bootstrap output `deployerRouteTableIds`)"
    )
    runner_role_arn: str = Field(
        pattern=ROLE_ARN_PATTERN,
        description="IAM role the runner runs `pulumi up` as (bootstrap output `runnerRoleArn`)",
    )
    runner_project_name: str = Field(
        pattern=RUNNER_PROJECT_PATTERN, description="the CodeBuild runner (bootstrap output)"
    )
    account_id: str = Field(
        pattern=ACCOUNT_ID_PATTERN, description="the deployer's account (bootstrap output `accountId`)"
    )

    @field_validator("account_id", mode="before")
    @classmethod
    def _account_id_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("deployer_region")
    @classmethod
    def _known_region(cls, name: str) -> str:
        problem = known_region_problem(name)
        if problem is not None:
            raise ValueError(problem)
        return name


class StackConfig(StackModel):
    """The whole stack config: who owns it, what it may cost, and where it runs."""

    environment: Environment = Field(
        description="dev, staging or prod: the rules that apply (prod is strictest); the `environment` tag"
    )
    owner: NonEmpty = Field(description="team that owns the stack; becomes the `owner` tag")
    cost_center: NonEmpty = Field(description="becomes the `cost-center` tag")
    monthly_budget: float = Field(gt=0, description="USD per month")
    allowed_account_ids: list[Annotated[str, StringConstraints(pattern=ACCOUNT_ID_PATTERN)]] = Field(
        default_factory=list, description="the AWS providers refuse any other account"
    )
    rpo_minutes: int = Field(
        default=DEFAULT_RPO_MINUTES,
        ge=RPO_MINUTES_RANGE[0],
        le=RPO_MINUTES_RANGE[1],
        description="recovery point objective (data loss budget)",
    )
    # Required by `_dns_for_the_entry` below (a clearer message than pydantic's "field required").
    dns: DnsConfig | None = Field(default=None, json_schema_extra={"docDefault": "required"})
    regions: list[RegionConfig] = Field(min_length=1)
    deployer: DeployerConfig | None = Field(
        default=None,
        description="where `pulumi up` runs (the bootstrap's outputs): each region is peered with it, and its "
        "runner's role administers every cluster (docs/deploying.md)",
    )
    observability: ObservabilityConfig | None = Field(
        default=None, description="metrics, alerts, logs and dashboards; required (the pack fails a stack without)"
    )
    registries_only: bool = Field(
        default=False,
        description="first deployment only: build every region's ECR repositories (and the replication) and "
        "nothing else, so images can be pushed before Deployments wait for them (docs/upgrades.md)",
    )

    unreachable_regions: list[str] = Field(
        default_factory=list,
        description="regions whose AWS API is down: their components look nothing up and their provider skips "
        'its checks, for a `pulumi up` that excludes them (docs/deploying.md, "A region is down")',
    )

    @field_validator("allowed_account_ids", mode="before")
    @classmethod
    def _account_ids_as_text(cls, ids: Any) -> Any:
        # YAML reads an unquoted 123456789012 as a number; an account id is text.
        return (
            [str(i) if isinstance(i, int) and not isinstance(i, bool) else i for i in ids]
            if isinstance(ids, list)
            else ids
        )

    @model_validator(mode="after")
    def _environment_rules(self) -> StackConfig:
        # What the environment requires (eksplatform/environments.py), checked here before the pack does.
        for index, region in enumerate(self.regions):
            environment_issue(self.environment, region, f"regions[{index}]")
        return self

    @model_validator(mode="after")
    def _registries_in_this_account(self) -> StackConfig:
        for index, region in enumerate(self.regions):
            try:
                check_registry_account(region.language_services.image_registry, self.allowed_account_ids, camel)
            except DataRuleError as violation:
                raise stack_rule_error(violation, f"regions[{index}].") from None
        return self

    @model_validator(mode="after")
    def _dns_for_the_entry(self) -> StackConfig:
        # Every stack's public entry serves an ACM certificate validated in this zone.
        if self.dns is None:
            raise KeyedValueError(
                "dns", "set dns.domain: the public entry serves an ACM certificate validated in its Route 53 zone"
            )
        return self

    @model_validator(mode="after")
    def _one_global_database(self) -> StackConfig:
        members = [
            DatabaseMember(
                engine=region.postgres.engine,
                major_version=region.postgres.major_version,
                engine_version=region.postgres.engine_version,
                instance_class=region.postgres.instance_class,
            )
            for region in self.regions
        ]
        try:
            one_global_database(members, self._primary_index, camel)
        except DataRuleError as violation:
            raise stack_rule_error(violation) from None
        return self

    @model_validator(mode="after")
    def _global_queue_everywhere(self) -> StackConfig:
        queues = [region.redis.queue for region in self.regions]
        shapes = [
            {
                "engine": queue.engine,
                "engine_version": queue.resolved_engine_version,
                "node_type": queue.node_type,
                "cluster_mode": queue.cluster_mode,
                "shards": queue.shards,
            }
            for queue in queues
        ]
        try:
            global_queue_everywhere(
                [queue.global_datastore for queue in queues],
                field=lambda index: f"regions[{index}].queue.global_datastore",
                choice="globalDatastore: true in every region",
                shapes=shapes,
                primary=self._primary_index,
                spell=camel,
            )
        except DataRuleError as violation:
            raise stack_rule_error(violation) from None
        return self

    @property
    def _primary_index(self) -> int:
        # cross_region_issues reports a missing primary; compare with the first region then.
        return next((index for index, region in enumerate(self.regions) if region.primary), 0)

    @model_validator(mode="after")
    def _regions_consistent(self) -> StackConfig:
        issues = cross_region_issues(self.model_dump(mode="json", by_alias=True))
        if issues:
            raise CrossRegionError(issues)
        return self

    @model_validator(mode="after")
    def _unreachable_regions_known(self) -> StackConfig:
        try:
            check_unreachable_regions(
                self.unreachable_regions,
                [region.name for region in self.regions],
                accounts_known=bool(self.allowed_account_ids) or self.deployer is not None,
                spell=camel,
            )
        except DataRuleError as violation:
            raise stack_rule_error(violation) from None
        return self

    @model_validator(mode="after")
    def _deployer_apart(self) -> StackConfig:
        if self.deployer is None:
            return self
        try:
            check_deployer(
                deployer_cidr=str(self.deployer.deployer_cidr),
                runner_project_name=self.deployer.runner_project_name,
                account_id=self.deployer.account_id,
                environment=self.environment,
                allowed_account_ids=self.allowed_account_ids,
                networks=[
                    (f"regions[{index}].vpc.cidr", str(region.vpc.cidr)) for index, region in enumerate(self.regions)
                ],
                spell=camel,
            )
        except DataRuleError as violation:
            raise stack_rule_error(violation) from None
        return self

    @property
    def primary_region(self) -> RegionConfig:
        return next(region for region in self.regions if region.primary)

    @property
    def tags(self) -> dict[str, str]:
        """Tags every AWS resource carries (through the providers' default tags)."""
        return {
            "environment": self.environment,
            "owner": self.owner,
            "cost-center": self.cost_center,
            "managed-by": "pulumi",
        }


# One place to import every model of the stack file from (they live in models_*.py by area).
__all__ = [
    "AlertThresholds",
    "ClusterConfig",
    "CriticalThresholds",
    "DeployerConfig",
    "DnsConfig",
    "LanguageServiceConfig",
    "LanguageServicesConfig",
    "NodeGroupConfig",
    "NotificationConfig",
    "ObservabilityConfig",
    "PostgresConfig",
    "RedisClusterConfig",
    "RedisConfig",
    "RegionConfig",
    "StackConfig",
    "SubnetTierConfig",
    "SubnetsConfig",
    "VpcConfig",
    "WarningThresholds",
    "environment_issue",
    "subnet_layouts",
]

"""The platform's rules of one region and of what it shares with the stack (accounts, the deployer).

Each rule is one function on plain values, called by the stack file's models (eksplatform/stack/
config.py, models_cluster.py) and by RegionSettings, RegionArgs and PlatformArgs (region.py,
platform.py), so a program in another language is refused what the stack file is refused. A broken
rule raises `DataRuleError(field, message)` (components/data_rules.py): `field` is the Python path
within a region's settings (`vpc.nat_strategy`, `image_registry`) or the platform's Args
(`deployer.account_id`); each caller spells it its own way (`args.vpc.nat_strategy`, the stack
file's `vpc.natStrategy`), and `spell` turns the other fields a message mentions into the caller's
spelling.
"""

import ipaddress
import re
from collections.abc import Iterable, Sequence

from eksplatform.components.data_rules import DataRuleError, Spell, same
from eksplatform.components.eks_rules import ROLE_ARN, service_cidr_problem
from eksplatform.components.facts import ECR_REGISTRY, REGION_AZ_COUNTS, eks_zone_count
from eksplatform.components.zones import zone_id_problem
from eksplatform.environments import profile

# An AWS account id is 12 digits (AWS Account Management reference guide, "View AWS account
# identifiers"). The stack file's models take it as their pydantic `pattern`, the Args check it with
# `account_id_problem`: one pattern.
ACCOUNT_ID_PATTERN = r"^\d{12}$"
# A Route 53 hosted zone id as the console and the API show it (`Z0123456789ABCDEFGHIJ`).
ZONE_ID_PATTERN = r"^Z[A-Z0-9]{1,31}$"
# The recovery point objective the data stores' lag alarms use: a minute to a day.
RPO_MINUTES_RANGE = (1, 1440)
# The bootstrap's outputs (bootstrap/): EC2 ids are the prefix and 8 or 17 hex digits (EC2 API
# reference, "Resource IDs"); a CodeBuild project name is 2-255 letters, digits, - and _
# (CodeBuild API, CreateProject `name`); the runner's role is an IAM role ARN (eks_rules.ROLE_ARN).
VPC_ID_PATTERN = r"^vpc-[0-9a-f]{8,17}$"
ROUTE_TABLE_ID_PATTERN = r"^rtb-[0-9a-f]{8,17}$"
RUNNER_PROJECT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{1,254}$"
ROLE_ARN_PATTERN = ROLE_ARN.pattern

# The node group kinds every region's cluster has: `system` runs the add-ons, `sandbox` the
# language services, whose pods select the sandbox nodes (components/language_services.py).
PLATFORM_GROUP_KINDS = ("system", "sandbox")


def check_platform_node_groups(kinds: Iterable[str]) -> None:
    """The cluster has a `system` and a `sandbox` group (the stack file names them so)."""
    missing = sorted(set(PLATFORM_GROUP_KINDS) - {str(kind) for kind in kinds})
    if missing:
        raise DataRuleError(
            "cluster.node_groups",
            f"missing node group(s) {missing}: the platform needs `system` and `sandbox` (the language "
            "services' pods run on the sandbox nodes)",
        )


def check_region_network(
    region: str, *, cidr: str, az_count: int, zone_ids: Sequence[str] | None, nat_strategy: str
) -> None:
    """A region's VPC fits EKS there: zones EKS accepts, clear of the clusters' Service range, a NAT."""
    usable = eks_zone_count(region)
    if az_count > usable:
        raise DataRuleError("vpc.az_count", f"{az_count} zones requested but {region} offers {usable} that EKS accepts")
    problem = service_cidr_problem(cidr)
    if problem is not None:
        raise DataRuleError("vpc.cidr", problem)
    for index, zone_id in enumerate(zone_ids or ()):
        problem = zone_id_problem(region, zone_id)
        if problem:
            raise DataRuleError(f"vpc.availability_zone_ids[{index}]", problem)
    if str(nat_strategy) == "none":
        # Every region has a sandbox node group, whose nodes fetch gVisor from its public release
        # bucket at first boot (components/sandbox_node.py); with no NAT that never succeeds and
        # the nodes never join (their kubelet requires runsc).
        raise DataRuleError(
            "vpc.nat_strategy",
            "none leaves the sandbox nodes no way to download gVisor (storage.googleapis.com) at boot, so "
            "they never join; use single or one-per-az",
        )


def check_registry_region(region: str, image_registry: str | None) -> None:
    """Each region's nodes pull from their own region's repositories (ImageRegistry), which the
    primary's replicate into; another region's registry would be an unreplicated copy."""
    ecr = ECR_REGISTRY.fullmatch(image_registry) if image_registry else None
    if ecr is not None and ecr["region"] != region:
        raise DataRuleError(
            "image_registry",
            f"{image_registry} is in {ecr['region']}; use this region's registry "
            f"({ecr['account']}.dkr.ecr.{region}.amazonaws.com/{ecr['path']})",
        )


def check_registry_account(
    image_registry: str | None, allowed_account_ids: Sequence[str] | None, spell: Spell = same
) -> None:
    """The stack creates a registry's repositories in its own account: one of the allowed ones."""
    ecr = ECR_REGISTRY.fullmatch(image_registry) if image_registry else None
    allowed = list(allowed_account_ids or ())
    if ecr is not None and allowed and ecr["account"] not in allowed:
        raise DataRuleError(
            "image_registry",
            f"account {ecr['account']} is not in {spell('allowed_account_ids')} {allowed}: the stack "
            "creates its repositories in its own account",
        )


def subnet_slots(region: str) -> int:
    """The subnet slots of a platform VPC: one per AZ the region has (REGION_AZ_COUNTS), so a zone
    added later moves no subnet, and the stack file and RegionSettings plan the same subnets."""
    return REGION_AZ_COUNTS[region]


def known_region_problem(region: str) -> str | None:
    """Why `region` cannot be used (a region's, or the deployer's provider region), or None: the project
    knows a region's zones, and plans its subnets by them, only for the regions in REGION_AZ_COUNTS."""
    if region not in REGION_AZ_COUNTS:
        return (
            f"{region!r} is not a known AWS region; use one of {sorted(REGION_AZ_COUNTS)} "
            "(or add it to REGION_AZ_COUNTS in components/facts.py)"
        )
    return None


def account_id_problem(account_id: str) -> str | None:
    """Why `account_id` is no AWS account id (ACCOUNT_ID_PATTERN), or None."""
    if re.fullmatch(ACCOUNT_ID_PATTERN, account_id) is None:
        return f"{account_id!r} is not a 12-digit AWS account id"
    return None


def hosted_zone_id_problem(zone_id: str) -> str | None:
    """Why `zone_id` is no Route 53 hosted zone id (ZONE_ID_PATTERN), or None."""
    if re.fullmatch(ZONE_ID_PATTERN, zone_id) is None:
        return f"{zone_id!r} is not a Route 53 hosted zone id (Z and 1-31 capital letters or digits)"
    return None


def check_stack_values(rpo_minutes: int | None, allowed_account_ids: Sequence[str] | None) -> None:
    """What a stack shares with every region: a recovery point objective in range, and accounts that are
    AWS account ids (the providers' `allowedAccountIds`)."""
    low, high = RPO_MINUTES_RANGE
    if rpo_minutes is not None and not low <= rpo_minutes <= high:
        raise DataRuleError("rpo_minutes", f"{rpo_minutes} is outside {low}-{high}")
    for index, account in enumerate(allowed_account_ids or ()):
        problem = account_id_problem(account)
        if problem is not None:
            raise DataRuleError(f"allowed_account_ids[{index}]", problem)


def check_deployer_ids(
    *, vpc_id: str, route_table_ids: Sequence[str], runner_role_arn: str, runner_project_name: str
) -> None:
    """The bootstrap's outputs have the shapes AWS gives them; a mistyped one would fail only when
    the peering (or the cluster's access entry) is created, after the regions are built."""
    if re.fullmatch(VPC_ID_PATTERN, vpc_id) is None:
        raise DataRuleError("deployer_vpc_id", f"{vpc_id!r} is not a VPC id (vpc- and 8 or 17 hex digits)")
    if not route_table_ids:
        raise DataRuleError("deployer_route_table_ids", "name the deployer's route tables")
    for index, table in enumerate(route_table_ids):
        if re.fullmatch(ROUTE_TABLE_ID_PATTERN, table) is None:
            raise DataRuleError(
                f"deployer_route_table_ids[{index}]", f"{table!r} is not a route table id (rtb- and 8 or 17 hex digits)"
            )
    if re.fullmatch(ROLE_ARN_PATTERN, runner_role_arn) is None:
        raise DataRuleError("runner_role_arn", f"{runner_role_arn!r} is not an IAM role ARN")
    if re.fullmatch(RUNNER_PROJECT_PATTERN, runner_project_name) is None:
        raise DataRuleError(
            "runner_project_name",
            f"{runner_project_name!r} is not a CodeBuild project name (2-255 letters, digits, - and _)",
        )


def check_environment(
    environment: str,
    *,
    endpoint_public_access: bool,
    replicas_per_shard: Sequence[tuple[str, int]],
    backup_retention_days: int,
    deletion_protection: bool | None,
    engine: str,
    readers: int,
    multi_az: bool,
    spell: Spell = same,
) -> None:
    """What the environment's profile requires of a region (eksplatform/environments.py), checked before
    the policy pack does; on resolved values, `deletion_protection` None meaning the profile's own
    (what Region's environment_defaults fills in). `replicas_per_shard` is (purpose, replicas) of
    the `cache` and `queue` groups."""
    rules = profile(environment)
    if endpoint_public_access and not rules.public_api_endpoint_allowed:
        raise DataRuleError(
            "cluster.endpoint_public_access",
            f"{environment} keeps the EKS API private; run `pulumi up` from inside the VPC (or over a VPN)",
        )
    if rules.redis_multi_az:
        for purpose, replicas in replicas_per_shard:
            if replicas < 1:
                raise DataRuleError(
                    f"{purpose}.replicas_per_shard",
                    f"{environment} needs at least 1 replica per shard for Multi-AZ failover",
                )
    if backup_retention_days < rules.min_backup_retention_days:
        raise DataRuleError(
            "postgres.backup_retention_days",
            f"{environment} keeps backups for at least {rules.min_backup_retention_days} days",
        )
    protected = rules.database_deletion_protection if deletion_protection is None else deletion_protection
    if rules.database_deletion_protection and not protected:
        raise DataRuleError("postgres.deletion_protection", f"{environment} databases keep deletion protection on")
    if str(engine) == "aurora" and readers < 1 and rules.aurora_standby:
        raise DataRuleError(
            "postgres.readers", f"{environment} needs at least 1 reader in another zone to fail over to"
        )
    if str(engine) == "rds" and not multi_az and rules.rds_multi_az:
        raise DataRuleError(
            "postgres.multi_az", f"{environment} needs {spell('multi_az')}: true (a standby to fail over to)"
        )


def check_zone_delegation(
    domain: str,
    *,
    hosted_zone_id: str | None,
    parent_zone_id: str | None,
    neither_field: str = "parent_zone_id",
    spell: Spell = same,
) -> None:
    """The platform's zone is delegated: an existing, delegated zone (`hosted_zone_id`) or a parent
    zone to delegate the one it makes from (`parent_zone_id`), not both. ACM validates the entry's
    certificate through public DNS, and the provider waits up to 75 minutes for it
    (terraform-provider-aws internal/service/acm/certificate_validation.go): a zone nobody delegated
    never validates. `neither_field` is the setting the caller's documentation asks for when both
    are missing (the stack file: `hosted_zone_id`; PlatformArgs, whose zone is made by default:
    `parent_zone_id`)."""
    hosted, parent = spell("hosted_zone_id"), spell("parent_zone_id")
    if hosted_zone_id is not None and parent_zone_id is not None:
        raise DataRuleError("parent_zone_id", f"set {hosted} or {parent}, not both (with {hosted} no zone is made)")
    if hosted_zone_id is None and parent_zone_id is None:
        raise DataRuleError(
            neither_field,
            f"a zone the platform creates must be delegated: set {parent} (a delegated parent zone in this "
            f"account, where the stack writes the delegation), or {hosted} (the Route 53 zone of {domain}, "
            "created and delegated beforehand); ACM validates the certificate through public DNS, and a new "
            "zone nobody delegated never validates (docs/public-entry.md, Bootstrap)",
        )


def check_deployer(
    *,
    deployer_cidr: str,
    runner_project_name: str,
    account_id: str,
    environment: str,
    allowed_account_ids: Sequence[str] | None,
    networks: Sequence[tuple[str, str]],
    spell: Spell = same,
) -> None:
    """The deployer network of this environment's account, apart from every peered VPC;
    `networks` are (the spelled field, CIDR) of the regions' VPCs."""
    deployer = ipaddress.IPv4Network(deployer_cidr)
    problem = service_cidr_problem(deployer_cidr)
    if problem is not None:
        # A project rule on AWS's recommendation: the Service range should not overlap a network
        # connected to the VPC (EKS API, KubernetesNetworkConfigRequest.serviceIpv4Cidr: "We recommend
        # that you specify a block that does not overlap with resources in other networks that are
        # peered or connected to your VPC"); the runner's addresses would shadow Services' inside
        # the clusters. The bootstrap refuses such a deployer CIDR too (bootstrap/config.py).
        raise DataRuleError(
            "deployer.deployer_cidr",
            f"{problem}; AWS recommends peered networks stay apart from it (use e.g. 10.250.0.0/16)",
        )
    for field, cidr in networks:
        if deployer.overlaps(ipaddress.IPv4Network(cidr)):
            # Peered VPCs may not have overlapping IPv4 CIDRs (VPC peering guide, "VPC peering limitations").
            raise DataRuleError(
                "deployer.deployer_cidr",
                f"{deployer} overlaps {field} {cidr}; peered VPCs cannot overlap (use e.g. 10.250.0.0/16 for "
                "the deployer)",
            )
    if not runner_project_name.endswith(f"-{environment}"):
        # Every account's runner answers the jobs whose label names its project (CodeBuild user
        # guide, "Label overrides"): the bootstrap names it platform-deployer-<environment>.
        raise DataRuleError(
            "deployer.runner_project_name",
            f"{runner_project_name} is not this environment's runner: the bootstrap of the {environment} "
            f"account names it platform-deployer-{environment} (any name ending -{environment})",
        )
    allowed = list(allowed_account_ids or ())
    if allowed and account_id not in allowed:
        raise DataRuleError(
            "deployer.account_id",
            f"{account_id} is not in {spell('allowed_account_ids')} {allowed}: the bootstrap is deployed once "
            "per account, in the stack's own",
        )


def check_unreachable_regions(
    unreachable: Sequence[str], regions: Sequence[str], *, accounts_known: bool, spell: Spell = same
) -> None:
    """Regions whose API is down are the stack's own, and their account is known without asking
    them (the allowed accounts, or the deployer's)."""
    for index, name in enumerate(unreachable):
        if name not in regions:
            raise DataRuleError(
                f"unreachable_regions[{index}]", f"{name} is not a region of this stack: {list(regions)}"
            )
    if unreachable and not accounts_known:
        raise DataRuleError(
            "unreachable_regions",
            f"needs {spell('allowed_account_ids')} (the account its lookups would have answered)",
        )


def check_alerts(alerts_given: bool, observability_given: bool, spell: Spell = same) -> None:
    """Alert subscriptions go to the topics observability makes; without it they would be dropped."""
    if alerts_given and not observability_given:
        raise DataRuleError(
            "alerts", f"the alert topics are made with {spell('observability')}; set it, or leave alerts out"
        )

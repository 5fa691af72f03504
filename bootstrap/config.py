"""The bootstrap's stack config (`platform-bootstrap:*` in bootstrap/Pulumi.<stack>.yaml), validated.

Every error names its key, as the platform's own config does (eksplatform/stack/loading.py).
"""

from __future__ import annotations

import ipaddress
from typing import Any, Literal

import pulumi
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic.alias_generators import to_camel

from eksplatform.components.eks_rules import service_cidr_problem
from eksplatform.components.facts import REGION_AZ_COUNTS, log_retention_problem
from eksplatform.pulumi_internals import all_config
from eksplatform.stack.errors import ConfigError, ConfigIssue, KeyedValueError
from eksplatform.stack.loading import _decode, _issues_from, _namespace_values
from eksplatform.stack.models_base import Cidr

NAMESPACE = "platform-bootstrap"
# One runner per account, each named for its environment: CodeBuild starts a build in every project
# whose name the job's label `codebuild-<project>-<run_id>-<run_attempt>` names (CodeBuild user guide,
# "Label overrides supported with the CodeBuild-hosted GitHub Actions runner"), so three accounts'
# projects of one name would all answer every job of the repository.
PROJECT_NAME_PREFIX = "platform-deployer"
Environment = Literal["dev", "staging", "prod"]


def default_project_name(environment: str) -> str:
    """`platform-deployer-<environment>`: the runner of that environment's account."""
    return f"{PROJECT_NAME_PREFIX}-{environment}"


def stack_name(environment: str) -> str:
    """The bootstrap stack of an environment's account: distinct names, as they share one Pulumi org."""
    return f"deployer-{environment}"


DEFAULT_CIDR = "10.250.0.0/16"
DEFAULT_CLIENT_CIDR = "10.251.0.0/22"
# The platform stacks' VPCs (Pulumi.dev/staging/prod.yaml), per environment: each account's VPN routes
# to its own stack's VPCs through the peerings (the others are in other accounts, not peered here).
ENVIRONMENT_CIDRS = {
    "dev": ("10.10.0.0/16",),
    "staging": ("10.20.0.0/16",),
    "prod": ("10.100.0.0/16", "10.101.0.0/16", "10.102.0.0/16"),
}
PLATFORM_CIDRS = tuple(cidr for cidrs in ENVIRONMENT_CIDRS.values() for cidr in cidrs)
# CodeBuild CreateProject: name, 2 to 255 characters.
PROJECT_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{1,254}$"
ComputeType = Literal["BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True, frozen=True)


class ClientVpnConfig(_Model):
    """AWS Client VPN for administrators, with mutual (certificate) authentication."""

    server_certificate_arn: str = Field(pattern=r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]+$")
    client_root_certificate_arn: str = Field(
        pattern=r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]+$",
        description="the CA that signed the administrators' client certificates (imported into ACM)",
    )
    client_cidr: Cidr = Field(default=ipaddress.IPv4Network(DEFAULT_CLIENT_CIDR))
    routed_cidrs: list[Cidr] = Field(
        default_factory=list,
        description="the platform VPCs reached through the deployer's peerings; default: the environment's",
    )

    @field_validator("client_cidr")
    @classmethod
    def _client_cidr_size(cls, cidr: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
        # EC2 API CreateClientVpnEndpoint, ClientCidrBlock: "at least /22 and must not be greater than /12".
        if not 12 <= cidr.prefixlen <= 22:
            raise ValueError(f"{cidr}: a Client VPN client range is /12 to /22")
        return cidr


class BootstrapConfig(_Model):
    """What the bootstrap builds, and where."""

    environment: Environment = Field(
        description="the account's environment (dev, staging, prod): names the runner and the bootstrap stack"
    )
    region: str = Field(default="us-east-1", description="where the deployer VPC and the runner live")
    account_id: str = Field(pattern=r"^\d{12}$", description="the account; the provider refuses any other")
    owner: str = Field(min_length=1, description="becomes the `owner` tag")
    cost_center: str = Field(min_length=1, description="becomes the `cost-center` tag")
    cidr: Cidr = Field(default=ipaddress.IPv4Network(DEFAULT_CIDR))
    az_count: int = Field(default=2, ge=2, le=6)
    project_name: str = Field(
        pattern=PROJECT_NAME_PATTERN, description="the CodeBuild runner; default platform-deployer-<environment>"
    )
    github_repository: str = Field(
        pattern=r"^https://github\.com/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$",
        description="the repository whose workflows run on the runner",
    )
    connection_authorized: bool = Field(
        default=False,
        description="set after the GitHub connection was authorized in the console: then the webhook is made",
    )
    # Required, never empty: without the webhook's actor filter any pull request that names the
    # runner's label would get a build holding the deployer's role (GitHub: self-hosted runners
    # and public repositories do not mix).
    allowed_actor_ids: list[int] = Field(
        min_length=1, description="GitHub user ids whose workflow jobs may start the runner (at least one)"
    )
    compute_type: ComputeType = "BUILD_GENERAL1_MEDIUM"
    build_timeout_minutes: int = Field(default=120, ge=5, le=2160)  # CodeBuild: 5 to 2160 minutes
    # A year: the deployer's builds and VPN connections are the audit trail of who changed what (and the
    # pack's data-cloudwatch-log-retention asks for 365 days by default).
    log_retention_days: int = 365
    client_vpn: ClientVpnConfig | None = None

    @model_validator(mode="before")
    @classmethod
    def _default_project_name(cls, values: Any) -> Any:
        if isinstance(values, dict) and "projectName" not in values and "project_name" not in values:
            environment = values.get("environment")
            if isinstance(environment, str):
                return {**values, "projectName": default_project_name(environment)}
        return values

    @field_validator("account_id", mode="before")
    @classmethod
    def _account_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("region")
    @classmethod
    def _known_region(cls, name: str) -> str:
        if name not in REGION_AZ_COUNTS:
            raise ValueError(f"{name} is not a region this project knows: {', '.join(sorted(REGION_AZ_COUNTS))}")
        return name

    @field_validator("cidr")
    @classmethod
    def _cidr(cls, cidr: ipaddress.IPv4Network) -> ipaddress.IPv4Network:
        if not 16 <= cidr.prefixlen <= 24 or not cidr.is_private:
            raise ValueError(f"{cidr}: a private (RFC 1918) /16 to /24")
        problem = service_cidr_problem(str(cidr))
        if problem is not None:
            # The platform refuses a deployer network over the clusters' Service range (AWS recommends
            # peered networks stay apart from it; eksplatform/stack/region_rules.py check_deployer).
            raise ValueError(f"{problem}; the platform's clusters would refuse this deployer (use e.g. 10.250.0.0/16)")
        return cidr

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, days: int) -> int:
        if (problem := log_retention_problem(days)) is not None:
            raise ValueError(problem)
        return days

    @model_validator(mode="after")
    def _apart(self) -> BootstrapConfig:
        if not self.project_name.endswith(f"-{self.environment}"):
            # Each account's runner has its own label; the platform stacks check the same suffix.
            raise KeyedValueError(
                "projectName",
                f"{self.project_name} must end with -{self.environment}: every account's runner answers the "
                "jobs whose label names its project, so the three projects need distinct names",
            )
        for cidr in PLATFORM_CIDRS:
            if self.cidr.overlaps(ipaddress.IPv4Network(cidr)):
                # VPC peering guide, "VPC peering limitations": peered VPCs cannot overlap.
                raise KeyedValueError("cidr", f"{self.cidr} overlaps the platform VPC {cidr}; the two are peered")
        if self.az_count > REGION_AZ_COUNTS[self.region]:
            raise KeyedValueError("azCount", f"{self.region} has {REGION_AZ_COUNTS[self.region]} zones")
        vpn = self.client_vpn
        if vpn is not None and not vpn.routed_cidrs:
            # Frozen model: the default follows the environment (its own stack's VPCs only).
            routed = [ipaddress.IPv4Network(cidr) for cidr in ENVIRONMENT_CIDRS[self.environment]]
            vpn = vpn.model_copy(update={"routed_cidrs": routed})
            object.__setattr__(self, "client_vpn", vpn)
        if vpn is not None:
            # Client VPN: the server certificate is an ACM certificate of the endpoint's own region
            # (Client VPN administrator guide, "Requirements": certificates in the same Region).
            cert_region = vpn.server_certificate_arn.split(":")[3]
            if cert_region != self.region:
                raise KeyedValueError(
                    "clientVpn.serverCertificateArn",
                    f"an ACM certificate of {cert_region}; the endpoint is in {self.region} and needs one from there",
                )
            # Client VPN: the client range overlaps neither the VPC nor the routes (CreateClientVpnEndpoint).
            for network in (self.cidr, *vpn.routed_cidrs):
                if vpn.client_cidr.overlaps(network):
                    raise KeyedValueError("clientVpn.clientCidr", f"{vpn.client_cidr} overlaps {network}")
        return self

    @property
    def tags(self) -> dict[str, str]:
        return {
            "environment": "deployer",
            "owner": self.owner,
            "cost-center": self.cost_center,
            "managed-by": "pulumi",
        }


def parse_bootstrap_config(values: dict[str, Any], source: str = "bootstrap config") -> BootstrapConfig:
    try:
        return BootstrapConfig.model_validate(values)
    except ValidationError as error:
        raise ConfigError(_issues_from(error), source) from None


def bootstrap_config_from_pulumi() -> BootstrapConfig:
    """The running program's `platform-bootstrap:` config (PULUMI_CONFIG, or set_all_config under mocks)."""
    raw = all_config()
    values = {key: _decode(value) for key, value in _namespace_values(raw, NAMESPACE).items()}
    if not values:
        raise ConfigError(
            [ConfigIssue(path="", message=f"no {NAMESPACE}:* keys; see bootstrap/Pulumi.deployer-prod.yaml")]
        )
    stack = pulumi.get_stack()
    config = parse_bootstrap_config(values, f"config of stack {stack}")
    if stack != stack_name(config.environment):
        message = f"the bootstrap stack of {config.environment} is named {stack_name(config.environment)}, not {stack}"
        raise ConfigError([ConfigIssue(path="environment", message=message)], f"config of stack {stack}")
    return config

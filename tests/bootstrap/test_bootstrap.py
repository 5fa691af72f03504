"""The bootstrap program (bootstrap/) under the mocks: what it registers, its outputs, its config
errors, and the policy pack over it."""

from __future__ import annotations

import fnmatch
import functools
import json
import re
from collections.abc import Mapping
from typing import Any

import pytest

from bootstrap.config import NAMESPACE, parse_bootstrap_config
from bootstrap.runner import (
    BOUNDARY_IAM_ACTIONS,
    BOUNDARY_SERVICES,
    BOUNDED_ROLE_ACTIONS,
    PLATFORM_SERVICES,
    RUNNER_EVENT,
    SELF_ACTIONS,
    pulumi_cli_version,
)
from eksplatform.components.iam import deployer_boundary_arn
from eksplatform.preflight.__main__ import DEFAULT_PACK
from eksplatform.preflight.analyze import analyze
from eksplatform.preflight.export import export_document, read_state
from eksplatform.preflight.synth import PROJECT_ROOT, Graph, synth
from eksplatform.stack.config import DeployerConfig
from eksplatform.stack.errors import ConfigError
from eksplatform.stack.loading import read_stack_file
from tests.conftest import synthesized
from tests.helpers import policy

BOOTSTRAP = PROJECT_ROOT / "bootstrap"
STACK_FILE = BOOTSTRAP / "Pulumi.deployer-prod.yaml"
PROJECT = "aws:codebuild/project:Project"


def _values(**changes: Any) -> dict[str, Any]:
    values = {
        key.split(":", 1)[1]: value for key, value in read_stack_file(STACK_FILE).items() if key.startswith(NAMESPACE)
    }
    values.update(changes)
    return {key: value for key, value in values.items() if value is not None}  # None: the key left out


@functools.cache
def _graph(**changes: Any) -> Graph:
    stack_values = {f"{NAMESPACE}:{key}": value for key, value in _values(**changes).items()}
    return synth("deployer-prod", project_dir=BOOTSTRAP, stack_values=stack_values)


def _deployed() -> Graph:
    return _graph()


def test_the_outputs_are_what_a_platform_stack_reads() -> None:
    outputs = {name: output.value for name, output in _deployed().outputs.items()}
    keys = {"deployerRegion", "deployerVpcId", "deployerCidr", "deployerRouteTableIds", "runnerRoleArn"}
    assert keys | {"runnerProjectName", "accountId"} <= set(outputs)
    # The platform's config model takes them as they are: the contract of `platform:deployer`.
    fields = {field.alias or name for name, field in DeployerConfig.model_fields.items()}
    deployer = DeployerConfig.model_validate({key: outputs[key] for key in fields})
    assert str(deployer.deployer_cidr) == "10.250.0.0/16"
    assert deployer.runner_project_name == "platform-deployer-prod"
    assert deployer.runner_role_arn == "arn:aws:iam::333333333333:role/platform-deployer-prod-runner"
    graph = _deployed()
    private = [t for t in graph.by_type("aws:ec2/routeTable:RouteTable") if "-private" in t.name]
    assert deployer.deployer_route_table_ids == [t.id for t in private]
    assert deployer.deployer_vpc_id == graph.one("aws:ec2/vpc:Vpc").id
    assert outputs["pulumiVersion"] == pulumi_cli_version()


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_each_account_has_its_own_runner_name_and_stack(environment: str) -> None:
    values = {
        key.split(":", 1)[1]: value
        for key, value in read_stack_file(BOOTSTRAP / f"Pulumi.deployer-{environment}.yaml").items()
    }
    del values["projectName"]  # the default follows the environment
    config = parse_bootstrap_config(values)
    assert config.project_name == f"platform-deployer-{environment}"
    graph = synth(
        f"deployer-{environment}",
        project_dir=BOOTSTRAP,
        stack_values={f"{NAMESPACE}:{k}": v for k, v in values.items()},
    )
    assert graph.one(PROJECT).inputs["name"] == f"platform-deployer-{environment}"


def test_the_stack_name_must_follow_the_environment() -> None:
    stack_values = {f"{NAMESPACE}:{key}": value for key, value in _values().items()}
    with pytest.raises(Exception, match="named deployer-prod, not deployer"):
        synth("deployer", project_dir=BOOTSTRAP, stack_values=stack_values)


def test_the_runner_cli_matches_the_sdk_pin() -> None:
    pin = re.search(r"^pulumi==(\S+)$", (PROJECT_ROOT / "requirements.txt").read_text(), re.MULTILINE)
    assert pin is not None and pulumi_cli_version() == pin.group(1)
    (project,) = _deployed().by_type(PROJECT)
    variables = {v["name"]: v for v in project.inputs["environment"]["environmentVariables"]}
    assert variables["PULUMI_VERSION"] == {"name": "PULUMI_VERSION", "value": pin.group(1), "type": "PLAINTEXT"}


def test_the_runner_is_a_codebuild_github_actions_runner_in_the_private_subnets() -> None:
    graph = _deployed()
    (project,) = graph.by_type(PROJECT)
    connection = graph.one("aws:codeconnections/connection:Connection")
    assert connection.inputs["providerType"] == "GitHub"
    assert project.inputs["name"] == "platform-deployer-prod"
    assert project.inputs["source"] == {
        "type": "GITHUB",
        "location": "https://github.com/example-org/platform.git",
        "auth": {"type": "CODECONNECTIONS", "resource": connection.outputs["arn"]},
    }
    environment = project.inputs["environment"]
    assert (environment["type"], environment["computeType"]) == ("LINUX_CONTAINER", "BUILD_GENERAL1_MEDIUM")
    assert environment["image"] == "aws/codebuild/amazonlinux-x86_64-standard:5.0"
    assert project.inputs["artifacts"] == {"type": "NO_ARTIFACTS"}
    private = {s.id for s in graph.by_type("aws:ec2/subnet:Subnet") if "-private-" in s.name}
    vpc = project.inputs["vpcConfig"]
    assert set(vpc["subnets"]) == private and len(private) == 2
    assert vpc["vpcId"] == graph.one("aws:ec2/vpc:Vpc").id
    group = graph.one("aws:ec2/securityGroup:SecurityGroup", "deployer-runner-sg")
    assert vpc["securityGroupIds"] == [group.id]
    assert not [r for r in graph.by_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")]
    logs = project.inputs["logsConfig"]["cloudwatchLogs"]
    assert logs == {"status": "ENABLED", "groupName": "/aws/codebuild/platform-deployer-prod"}
    assert project.inputs["serviceRole"] == graph.one("aws:iam/role:Role", "deployer-runner-role").outputs["arn"]


def test_no_webhook_until_the_connection_is_authorized() -> None:
    assert _deployed().by_type("aws:codebuild/webhook:Webhook") == []


def test_the_webhook_starts_builds_for_queued_workflow_jobs_of_the_allowed_actors() -> None:
    (webhook,) = _graph(connectionAuthorized=True).by_type("aws:codebuild/webhook:Webhook")
    assert webhook.inputs["projectName"] == "platform-deployer-prod"
    assert webhook.inputs["buildType"] == "BUILD"
    assert webhook.inputs["filterGroups"] == [
        {
            "filters": [
                {"type": "EVENT", "pattern": RUNNER_EVENT},
                {"type": "ACTOR_ACCOUNT_ID", "pattern": "^(1000001|1000002)$"},
            ]
        }
    ]


def test_the_runner_role_is_trusted_by_this_accounts_codebuild_only() -> None:
    role = _deployed().one("aws:iam/role:Role", "deployer-runner-role")
    assert role.inputs["name"] == "platform-deployer-prod-runner"
    (statement,) = policy(role, "assumeRolePolicy")["Statement"]
    assert statement["Principal"] == {"Service": "codebuild.amazonaws.com"}
    assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": "333333333333"}
    assert statement["Condition"]["ArnLike"] == {
        "aws:SourceArn": "arn:aws:codebuild:us-east-1:333333333333:project/platform-deployer-prod"
    }


def test_the_runner_role_may_manage_the_platforms_services_and_not_everything() -> None:
    graph = _deployed()
    document = policy(graph.one("aws:iam/rolePolicy:RolePolicy", "deployer-runner-role-policy"), "policy")
    statements = {s["Sid"]: s for s in document["Statement"]}
    manage = statements["ManageThePlatform"]
    actions = manage["Action"] if isinstance(manage["Action"], list) else [manage["Action"]]
    assert sorted(actions) == sorted(f"{service}:*" for service in PLATFORM_SERVICES)
    assert "*" not in actions
    connection = graph.one("aws:codeconnections/connection:Connection")
    assert statements["UseTheGitHubConnection"]["Resource"] == connection.outputs["arn"]


def test_the_vpn_reaches_the_platform_vpcs_through_the_deployer() -> None:
    graph = _deployed()
    endpoint = graph.one("aws:ec2clientvpn/endpoint:Endpoint")
    assert endpoint.inputs["clientCidrBlock"] == "10.251.0.0/22"
    assert endpoint.inputs["splitTunnel"] is True
    assert endpoint.inputs["authenticationOptions"][0]["type"] == "certificate-authentication"
    assert endpoint.inputs["connectionLogOptions"]["enabled"] is True
    routes = {r.inputs["destinationCidrBlock"] for r in graph.by_type("aws:ec2clientvpn/route:Route")}
    # Prod's own VPCs only: dev's and staging's are in other accounts, not peered with this deployer.
    assert routes == {"10.100.0.0/16", "10.101.0.0/16", "10.102.0.0/16"}
    rules = {
        r.inputs["targetNetworkCidr"] for r in graph.by_type("aws:ec2clientvpn/authorizationRule:AuthorizationRule")
    }
    assert rules == routes | {"10.250.0.0/16"}
    (association,) = graph.by_type("aws:ec2clientvpn/networkAssociation:NetworkAssociation")
    first_private = min(
        (s for s in graph.by_type("aws:ec2/subnet:Subnet") if "-private-" in s.name), key=lambda s: s.name
    )
    assert association.inputs["subnetId"] == first_private.id


def test_without_a_vpn_there_is_none() -> None:
    graph = _graph(clientVpn=None)
    assert graph.by_type("aws:ec2clientvpn/endpoint:Endpoint") == []
    assert graph.outputs["clientVpnEndpointId"].value is None


def test_every_resource_names_the_explicit_provider() -> None:
    graph = _deployed()
    (provider,) = graph.by_type("pulumi:providers:aws")
    assert provider.inputs["region"] == "us-east-1"
    assert json.loads(provider.inputs["allowedAccountIds"]) == ["333333333333"]
    for registration in graph.resources:
        if registration.custom and not registration.is_provider:
            assert registration.provider_urn == provider.urn, registration.urn


def test_the_bootstrap_passes_the_policy_pack() -> None:
    state = read_state(export_document(_deployed()), "synth")
    analysis = analyze(state, [DEFAULT_PACK], {})
    assert [f"{v.policy_name} {v.urn}: {v.message}" for v in analysis.mandatory] == []


@pytest.mark.parametrize(
    ("changes", "key", "message"),
    [
        ({"cidr": "10.100.0.0/16"}, "cidr", "overlaps the platform VPC 10.100.0.0/16"),
        ({"cidr": "8.8.0.0/16"}, "cidr", "private (RFC 1918)"),
        ({"cidr": "172.20.0.0/16"}, "cidr", "the clusters' Service range; the platform's clusters would refuse"),
        ({"projectName": "-bad"}, "projectName", "pattern"),
        ({"projectName": "platform-deployer"}, "projectName", "must end with -prod"),
        ({"environment": None}, "environment", "Field required"),
        ({"environment": "qa"}, "environment", "'dev', 'staging' or 'prod'"),
        ({"githubRepository": "git@github.com:o/r.git"}, "githubRepository", "pattern"),
        ({"buildTimeoutMinutes": 3}, "buildTimeoutMinutes", "greater than or equal to 5"),
        ({"logRetentionDays": 45}, "logRetentionDays", "not a CloudWatch retention period"),
        ({"accountId": "12"}, "accountId", "pattern"),
        ({"region": "mars-north-1"}, "region", "not a region"),
        ({"computeType": "BUILD_GENERAL1_HUGE"}, "computeType", "BUILD_GENERAL1_SMALL"),
        # Without the actor filter any pull request naming the label would get the deployer's role.
        ({"allowedActorIds": []}, "allowedActorIds", "at least 1"),
        ({"allowedActorIds": None}, "allowedActorIds", "Field required"),
    ],
)
def test_bad_config_is_refused_naming_the_key(changes: Mapping[str, Any], key: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_bootstrap_config(_values(**changes))
    assert any(issue.path == key and message in issue.message for issue in raised.value.issues), raised.value


def test_the_vpn_routes_default_to_the_environments_vpcs() -> None:
    values = {**_values(environment="dev"), "projectName": "platform-deployer-dev"}
    vpn = parse_bootstrap_config(values).client_vpn
    assert vpn is not None and [str(cidr) for cidr in vpn.routed_cidrs] == ["10.10.0.0/16"]


def test_the_vpn_server_certificate_must_be_of_the_endpoints_region() -> None:
    values = _values()
    other = values["clientVpn"]["serverCertificateArn"].replace(":us-east-1:", ":eu-west-1:")
    values["clientVpn"] = {**values["clientVpn"], "serverCertificateArn": other}
    with pytest.raises(ConfigError) as raised:
        parse_bootstrap_config(values)
    assert any(
        issue.path == "clientVpn.serverCertificateArn" and "eu-west-1" in issue.message for issue in raised.value.issues
    )


def test_the_route_table_output_is_the_runners_subnets_tables() -> None:
    """deployerRouteTableIds: exactly the tables associated with the subnets the runner runs in (minor 10)."""
    graph = _deployed()
    (project,) = graph.by_type(PROJECT)
    subnets = set(project.inputs["vpcConfig"]["subnets"])
    associated = {
        a.inputs["routeTableId"]
        for a in graph.by_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
        if a.inputs.get("subnetId") in subnets
    }
    assert associated and set(graph.outputs["deployerRouteTableIds"].value) == associated


@pytest.mark.parametrize(
    ("vpn", "message"),
    [
        ({"clientCidr": "10.251.0.0/23"}, "/12 to /22"),
        ({"clientCidr": "10.250.0.0/22"}, "overlaps 10.250.0.0/16"),
        ({"clientCidr": "10.100.0.0/22"}, "overlaps 10.100.0.0/16"),
    ],
)
def test_a_bad_vpn_range_is_refused_naming_the_key(vpn: Mapping[str, Any], message: str) -> None:
    values = _values()
    values["clientVpn"] = {**values["clientVpn"], **vpn}
    with pytest.raises(ConfigError) as raised:
        parse_bootstrap_config(values)
    assert any(issue.path == "clientVpn.clientCidr" and message in issue.message for issue in raised.value.issues)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_roles_the_runner_creates_carry_its_boundary_and_it_cannot_touch_itself() -> None:
    graph = _deployed()
    boundary = graph.one("aws:iam/policy:Policy", "deployer-runner-boundary")
    assert boundary.inputs["name"] == "platform-deployer-prod-boundary"
    assert graph.outputs["permissionsBoundaryArn"].value == boundary.outputs["arn"]
    # The ARN every platform role of this account sets (components/iam.py derives it from config).
    assert boundary.outputs["arn"] == deployer_boundary_arn("333333333333", "platform-deployer-prod")
    document = policy(graph.one("aws:iam/rolePolicy:RolePolicy", "deployer-runner-role-policy"), "policy")
    statements = {s["Sid"]: s for s in document["Statement"]}
    bounded = statements["RolesOnlyWithTheBoundary"]
    assert bounded["Effect"] == "Deny" and bounded["Resource"] == "*"
    assert sorted(_as_list(bounded["Action"])) == sorted(BOUNDED_ROLE_ACTIONS)
    assert {"iam:CreateRole", "iam:PutRolePermissionsBoundary"} <= set(BOUNDED_ROLE_ACTIONS)
    assert bounded["Condition"] == {"StringNotEquals": {"iam:PermissionsBoundary": boundary.outputs["arn"]}}
    itself = statements["NotItselfNorItsBoundary"]
    assert itself["Effect"] == "Deny" and sorted(_as_list(itself["Action"])) == sorted(SELF_ACTIONS)
    role = graph.one("aws:iam/role:Role", "deployer-runner-role")
    assert sorted(_as_list(itself["Resource"])) == sorted([role.outputs["arn"], boundary.outputs["arn"]])
    assert statements["NoUsers"]["Effect"] == "Deny"
    # The boundary grants no IAM writes but service-linked roles.
    limits = {s["Sid"]: s for s in policy(boundary, "policy")["Statement"]}
    allowed = _as_list(limits["ThePlatformsServices"]["Action"])
    assert "iam:*" not in allowed and "*" not in allowed
    assert sorted(allowed) == sorted(f"{service}:*" for service in BOUNDARY_SERVICES)
    assert "iam:CreateServiceLinkedRole" in _as_list(limits["ServiceLinkedRolesAndReads"]["Action"])


# The IAM service prefix of each pulumi_aws module the components create resources with.
IAM_SERVICE_OF_MODULE = {
    "acm": ("acm",),
    "amp": ("aps",),
    "cloudwatch": ("cloudwatch", "logs"),  # alarms and dashboards; log groups, filters, subscriptions
    "ec2": ("ec2",),
    "ecr": ("ecr",),
    "eks": ("eks",),
    "elasticache": ("elasticache",),
    "iam": ("iam",),
    "kinesis": ("firehose",),  # FirehoseDeliveryStream
    "kms": ("kms",),
    "lb": ("elasticloadbalancing",),
    "rds": ("rds",),
    "route53": ("route53",),
    "s3": ("s3",),
    "secretsmanager": ("secretsmanager",),
    "sns": ("sns",),
    "vpc": ("ec2",),  # security group rules
}


def test_the_runner_may_call_every_service_the_components_create_resources_with() -> None:
    """A module the components use but the runner role does not name is AccessDenied on the
    first `pulumi up` from the runner (second review of #21)."""
    used = {
        match
        for path in (PROJECT_ROOT / "components").glob("*.py")
        for match in re.findall(r"\baws\.([a-z0-9_]+)\.[A-Z][A-Za-z]+\(", path.read_text())
    }
    unmapped = sorted(used - IAM_SERVICE_OF_MODULE.keys())
    assert unmapped == [], f"map these pulumi_aws modules to their IAM service: {unmapped}"
    needed = {service for module in used for service in IAM_SERVICE_OF_MODULE[module]}
    assert sorted(needed - set(PLATFORM_SERVICES)) == []


def test_the_boundary_admits_every_action_the_platforms_own_role_policies_grant() -> None:
    """A boundary caps a role: an action of a role's own policy outside it is silently denied at
    run time (a log subscription's firehose:PutRecord was). Every stack's inline and managed role
    policies, action by action, must fall inside BOUNDARY_SERVICES (or the IAM actions allowed)."""
    outside: set[str] = set()
    for stack in ("dev", "staging", "prod"):
        for resource in synthesized(stack):
            if resource.type not in ("aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy"):
                continue
            document = resource.inputs.get("policy")
            if not isinstance(document, str):
                continue
            for statement in json.loads(document).get("Statement", []):
                if statement.get("Effect") != "Allow":
                    continue
                actions = statement.get("Action", [])
                for action in [actions] if isinstance(actions, str) else actions:
                    service = action.split(":", 1)[0]
                    if service not in BOUNDARY_SERVICES and not any(
                        fnmatch.fnmatchcase(action, allowed) for allowed in BOUNDARY_IAM_ACTIONS
                    ):
                        outside.add(f"{resource.name}: {action}")
    assert sorted(outside) == []

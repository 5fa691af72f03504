"""Runner: a CodeBuild project that serves as this repository's GitHub Actions self-hosted runner,
inside the deployer VPC, with the IAM role `pulumi up` runs as.

CodeBuild's managed runner (CodeBuild user guide, "Self-hosted GitHub Actions runners in AWS
CodeBuild"): a webhook on the project with a filter group of event WORKFLOW_JOB_QUEUED starts one
build per queued job whose `runs-on` names `codebuild-<project>-${{ github.run_id }}-${{
github.run_attempt }}`; the build registers itself as an ephemeral runner and runs that job. The
project's source is the repository (type GITHUB), reached through an AWS CodeConnections
connection, which an administrator authorizes once in the console; the webhook is made after
that (config `connectionAuthorized`), since CodeBuild creates the repository's webhook through it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pulumi
import pulumi_aws as aws

from eksplatform.components.aws_context import AwsContext
from eksplatform.components.log_groups import encrypted_log_group

REQUIREMENTS = Path(__file__).resolve().parent.parent / "requirements.txt"
# A curated CodeBuild image for LINUX_CONTAINER (CodeBuild user guide, "Docker images provided by
# CodeBuild"); the runner's jobs install what else they need (Python, the Pulumi CLI).
RUNNER_IMAGE = "aws/codebuild/amazonlinux-x86_64-standard:5.0"
ENVIRONMENT_TYPE = "LINUX_CONTAINER"
RUNNER_EVENT = "WORKFLOW_JOB_QUEUED"
# What the platform program creates and changes (components/): every service it calls, and nothing
# else. iam:* is fenced by the denies of `runner_statements`: every role it creates or changes
# carries the boundary below, and the runner's own role and the boundary are out of its reach.
PLATFORM_SERVICES = (
    "acm",
    "aps",  # Amazon Managed Service for Prometheus (observability)
    "cloudwatch",
    "ec2",
    "ecr",
    "eks",
    "elasticache",
    "elasticloadbalancing",
    "firehose",  # the log archive's delivery streams
    "iam",
    "kms",
    "logs",
    "rds",
    "route53",
    "s3",  # the log archive's bucket
    "secretsmanager",
    "sns",
)
# Actions on a role whose target must carry the boundary (IAM user guide, "Permissions boundaries
# for IAM entities", delegating with condition key iam:PermissionsBoundary): a role is created,
# re-bounded or given policies only with the boundary, so no role the runner makes can exceed it.
BOUNDED_ROLE_ACTIONS = (
    "iam:CreateRole",
    "iam:PutRolePermissionsBoundary",
    "iam:AttachRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePolicy",
    "iam:DeleteRolePolicy",
)
# What the runner may never do to itself or its boundary (escalation by editing its own grants).
SELF_ACTIONS = (
    "iam:AttachRolePolicy",
    "iam:DeleteRole",
    "iam:DeleteRolePermissionsBoundary",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:PutRolePolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:CreatePolicyVersion",
    "iam:DeletePolicy",
    "iam:DeletePolicyVersion",
    "iam:SetDefaultPolicyVersion",
)
# Identities the platform never creates; with them the runner could mint unbounded credentials.
NO_USERS = ("iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile")
# The most a role the runner creates may ever do: the services the platform's roles use (cluster,
# nodes, add-ons, controllers, observability, data stores), and no IAM writes but service-linked
# roles (the load balancer controller creates one).
BOUNDARY_SERVICES = (
    *(service for service in PLATFORM_SERVICES if service != "iam"),
    "aps",
    "autoscaling",
    "cognito-idp",
    "eks-auth",
    "shield",
    "ssm",
    "sts",
    "tag",
    "waf-regional",  # the load balancer controller's documented policy grants WAF Classic actions
    "wafv2",
    "xray",
)
BOUNDARY_IAM_ACTIONS = ("iam:CreateServiceLinkedRole", "iam:Get*", "iam:List*")
READ_ACTIONS = ("ssm:GetParameter", "ssm:GetParameters", "sts:GetCallerIdentity")
CONNECTION_ACTIONS = (
    "codeconnections:GetConnection",
    "codeconnections:GetConnectionToken",
    "codeconnections:UseConnection",
)


def boundary_name(project_name: str) -> str:
    """The permissions boundary's policy name; platform stacks derive its ARN from the project name."""
    return f"{project_name}-boundary"


def pulumi_cli_version(requirements: Path = REQUIREMENTS) -> str:
    """The Pulumi CLI the runner installs: the SDK's version in requirements.txt (they release together)."""
    match = re.search(r"^pulumi==(\S+)$", requirements.read_text(), flags=re.MULTILINE)
    if match is None:
        raise pulumi.RunError(f"{requirements}: no `pulumi==<version>` pin for the runner's Pulumi CLI")
    return match.group(1)


@dataclass(frozen=True)
class RunnerArgs:
    project_name: str
    github_repository: str
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    """Private subnets (CodeBuild vpcConfig: at most 16), whose NAT reaches GitHub and AWS's APIs."""
    compute_type: str
    build_timeout_minutes: int
    log_retention_days: int
    connection_authorized: bool
    allowed_actor_ids: Sequence[int] = ()
    pulumi_version: str = ""

    def __post_init__(self) -> None:
        if not 1 <= len(self.subnet_ids) <= 16:
            # CodeBuild VpcConfig: subnets, at most 16 (AWS::CodeBuild::Project VpcConfig).
            raise pulumi.RunError(f"runner subnets: 1 to 16, not {len(self.subnet_ids)}")


class Runner(pulumi.ComponentResource):
    project: aws.codebuild.Project
    role: aws.iam.Role
    connection: aws.codeconnections.Connection
    webhook: aws.codebuild.Webhook | None
    security_group: aws.ec2.SecurityGroup

    def __init__(self, name: str, args: RunnerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("platform:index:Runner", name, None, opts)
        context = AwsContext.of(self)
        child = pulumi.ResourceOptions(parent=self)
        self.connection = aws.codeconnections.Connection(
            f"{name}-github",
            # CodeConnections: a connection name is 1 to 32 characters.
            name=args.project_name[:32],
            provider_type="GitHub",
            opts=child,
        )
        self.log_group = encrypted_log_group(
            f"{name}-logs",
            group_name=f"/aws/codebuild/{args.project_name}",
            retention_days=args.log_retention_days,
            description=f"the builds of CodeBuild project {args.project_name}",
            context=context,
            parent=self,
        )
        project_arn = context.arn("codebuild", f"project/{args.project_name}")
        trust = aws.iam.get_policy_document_output(
            statements=[
                aws.iam.GetPolicyDocumentStatementArgs(
                    actions=["sts:AssumeRole"],
                    principals=[
                        aws.iam.GetPolicyDocumentStatementPrincipalArgs(
                            type="Service", identifiers=["codebuild.amazonaws.com"]
                        )
                    ],
                    # Cross-service confused deputy prevention (CodeBuild user guide): only this
                    # account's project may assume the role.
                    conditions=[
                        aws.iam.GetPolicyDocumentStatementConditionArgs(
                            test="StringEquals", variable="aws:SourceAccount", values=[context.account]
                        ),
                        aws.iam.GetPolicyDocumentStatementConditionArgs(
                            test="ArnLike", variable="aws:SourceArn", values=[project_arn]
                        ),
                    ],
                )
            ],
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        self.role = aws.iam.Role(
            f"{name}-role",
            # A fixed name: the platform stacks give it an EKS access entry (`platform:deployer.runnerRoleArn`).
            name=f"{args.project_name}-runner",
            description=f"`pulumi up` of the platform stacks, run by CodeBuild project {args.project_name}",
            assume_role_policy=trust.json,
            opts=child,
        )
        boundary_document = aws.iam.get_policy_document_output(
            statements=[
                aws.iam.GetPolicyDocumentStatementArgs(
                    sid="ThePlatformsServices",
                    actions=[f"{service}:*" for service in BOUNDARY_SERVICES],
                    resources=["*"],
                ),
                aws.iam.GetPolicyDocumentStatementArgs(
                    sid="ServiceLinkedRolesAndReads", actions=list(BOUNDARY_IAM_ACTIONS), resources=["*"]
                ),
            ],
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        self.boundary = aws.iam.Policy(
            f"{name}-boundary",
            # A fixed name: the platform stacks set its ARN as every role's permissions boundary.
            name=boundary_name(args.project_name),
            description=f"the most a role created by CodeBuild project {args.project_name} may do",
            policy=boundary_document.json,
            opts=child,
        )
        runner_role_arn = context.arn("iam", f"role/{args.project_name}-runner", regional=False)
        permissions = aws.iam.get_policy_document_output(
            statements=[
                aws.iam.GetPolicyDocumentStatementArgs(
                    sid="ManageThePlatform",
                    actions=[f"{service}:*" for service in PLATFORM_SERVICES],
                    resources=["*"],
                ),
                aws.iam.GetPolicyDocumentStatementArgs(
                    sid="RolesOnlyWithTheBoundary",
                    effect="Deny",
                    actions=list(BOUNDED_ROLE_ACTIONS),
                    resources=["*"],
                    conditions=[
                        aws.iam.GetPolicyDocumentStatementConditionArgs(
                            test="StringNotEquals", variable="iam:PermissionsBoundary", values=[self.boundary.arn]
                        )
                    ],
                ),
                aws.iam.GetPolicyDocumentStatementArgs(
                    sid="NotItselfNorItsBoundary",
                    effect="Deny",
                    actions=list(SELF_ACTIONS),
                    resources=[runner_role_arn, self.boundary.arn],
                ),
                aws.iam.GetPolicyDocumentStatementArgs(
                    sid="NoUsers", effect="Deny", actions=list(NO_USERS), resources=["*"]
                ),
                aws.iam.GetPolicyDocumentStatementArgs(sid="Read", actions=list(READ_ACTIONS), resources=["*"]),
                aws.iam.GetPolicyDocumentStatementArgs(
                    sid="UseTheGitHubConnection", actions=list(CONNECTION_ACTIONS), resources=[self.connection.arn]
                ),
            ],
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        self.policy = aws.iam.RolePolicy(f"{name}-role-policy", role=self.role.id, policy=permissions.json, opts=child)
        self.security_group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description=f"CodeBuild runner {args.project_name}: HTTPS out only (GitHub, Pulumi Cloud, AWS, clusters)",
            tags={"Name": f"{args.project_name}-runner"},
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-https-out",
            security_group_id=self.security_group.id,
            description="HTTPS: GitHub, Pulumi Cloud, AWS APIs and the clusters' API servers",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4="0.0.0.0/0",
            opts=child,
        )
        self.project = aws.codebuild.Project(
            f"{name}-project",
            name=args.project_name,
            description=f"GitHub Actions runner for {args.github_repository}: preview and up of the platform stacks",
            service_role=self.role.arn,
            build_timeout=args.build_timeout_minutes,
            artifacts=aws.codebuild.ProjectArtifactsArgs(type="NO_ARTIFACTS"),
            environment=aws.codebuild.ProjectEnvironmentArgs(
                compute_type=args.compute_type,
                image=RUNNER_IMAGE,
                type=ENVIRONMENT_TYPE,
                image_pull_credentials_type="CODEBUILD",  # a curated image: CodeBuild's own credentials
                environment_variables=[
                    # The workflows install exactly this CLI (the SDK's version in requirements.txt).
                    aws.codebuild.ProjectEnvironmentEnvironmentVariableArgs(
                        name="PULUMI_VERSION", value=args.pulumi_version, type="PLAINTEXT"
                    )
                ],
            ),
            source=aws.codebuild.ProjectSourceArgs(
                type="GITHUB",
                location=f"{args.github_repository}.git",
                auth=aws.codebuild.ProjectSourceAuthArgs(type="CODECONNECTIONS", resource=self.connection.arn),
            ),
            vpc_config=aws.codebuild.ProjectVpcConfigArgs(
                vpc_id=args.vpc_id, subnets=list(args.subnet_ids), security_group_ids=[self.security_group.id]
            ),
            logs_config=aws.codebuild.ProjectLogsConfigArgs(
                cloudwatch_logs=aws.codebuild.ProjectLogsConfigCloudwatchLogsArgs(
                    status="ENABLED", group_name=self.log_group.name
                )
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.policy]),
        )
        self.webhook = None
        if args.connection_authorized:
            filters = [aws.codebuild.WebhookFilterGroupFilterArgs(type="EVENT", pattern=RUNNER_EVENT)]
            if args.allowed_actor_ids:
                # Only these GitHub users' jobs start a build that holds the deployer's credentials.
                actors = "|".join(str(actor) for actor in args.allowed_actor_ids)
                filters.append(
                    aws.codebuild.WebhookFilterGroupFilterArgs(type="ACTOR_ACCOUNT_ID", pattern=f"^({actors})$")
                )
            self.webhook = aws.codebuild.Webhook(
                f"{name}-webhook",
                project_name=self.project.name,
                build_type="BUILD",
                filter_groups=[aws.codebuild.WebhookFilterGroupArgs(filters=filters)],
                opts=child,
            )
        self.register_outputs(
            {"projectName": self.project.name, "roleArn": self.role.arn, "boundaryArn": self.boundary.arn}
        )

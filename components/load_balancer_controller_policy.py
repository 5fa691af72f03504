"""The IAM policy the AWS Load Balancer Controller documents for its role, as statements.

Source: kubernetes-sigs/aws-load-balancer-controller `docs/install/iam_policy.json` at tag
v3.5.0 (commit 11eb202, read 2026-11), the file the controller's installation guide has you
create the policy from; Apache-2.0. Same statements, actions, resources and conditions, in the
same order, written as data so that the partition comes from the stack (the upstream file spells
`arn:aws:`). Upgrading the chart means comparing this with the new tag's file.

The controller tags everything it creates with `elbv2.k8s.aws/cluster`; the conditions let it
change only such resources, apart from the describe calls, listener/rule edits on its own load
balancers and the security-group ingress rules it manages on the nodes' groups.
"""

from __future__ import annotations

from typing import Any

CONTROLLER_VERSION = "v3.5.0"
CLUSTER_TAG = "elbv2.k8s.aws/cluster"

_DESCRIBE = (
    "ec2:DescribeAccountAttributes",
    "ec2:DescribeAddresses",
    "ec2:DescribeAvailabilityZones",
    "ec2:DescribeInternetGateways",
    "ec2:DescribeVpcs",
    "ec2:DescribeVpcPeeringConnections",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeInstances",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeTags",
    "ec2:GetCoipPoolUsage",
    "ec2:DescribeCoipPools",
    "ec2:GetSecurityGroupsForVpc",
    "ec2:DescribeIpamPools",
    "ec2:DescribeRouteTables",
    "elasticloadbalancing:DescribeLoadBalancers",
    "elasticloadbalancing:DescribeLoadBalancerAttributes",
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeListenerCertificates",
    "elasticloadbalancing:DescribeSSLPolicies",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetGroupAttributes",
    "elasticloadbalancing:DescribeTargetHealth",
    "elasticloadbalancing:DescribeTags",
    "elasticloadbalancing:DescribeTrustStores",
    "elasticloadbalancing:DescribeListenerAttributes",
    "elasticloadbalancing:DescribeCapacityReservation",
)
_INTEGRATIONS = (
    "cognito-idp:DescribeUserPoolClient",
    "acm:ListCertificates",
    "acm:DescribeCertificate",
    "iam:ListServerCertificates",
    "iam:GetServerCertificate",
    "waf-regional:GetWebACL",
    "waf-regional:GetWebACLForResource",
    "waf-regional:AssociateWebACL",
    "waf-regional:DisassociateWebACL",
    "wafv2:GetWebACL",
    "wafv2:GetWebACLForResource",
    "wafv2:AssociateWebACL",
    "wafv2:DisassociateWebACL",
    "shield:GetSubscriptionState",
    "shield:DescribeProtection",
    "shield:CreateProtection",
    "shield:DeleteProtection",
)
_MODIFY_OWN = (
    "elasticloadbalancing:ModifyLoadBalancerAttributes",
    "elasticloadbalancing:SetIpAddressType",
    "elasticloadbalancing:SetSecurityGroups",
    "elasticloadbalancing:SetSubnets",
    "elasticloadbalancing:DeleteLoadBalancer",
    "elasticloadbalancing:ModifyTargetGroup",
    "elasticloadbalancing:ModifyTargetGroupAttributes",
    "elasticloadbalancing:DeleteTargetGroup",
    "elasticloadbalancing:ModifyListenerAttributes",
    "elasticloadbalancing:ModifyCapacityReservation",
    "elasticloadbalancing:ModifyIpPools",
)
_LISTENER_EDITS = (
    "elasticloadbalancing:SetWebAcl",
    "elasticloadbalancing:ModifyListener",
    "elasticloadbalancing:AddListenerCertificates",
    "elasticloadbalancing:RemoveListenerCertificates",
    "elasticloadbalancing:ModifyRule",
    "elasticloadbalancing:SetRulePriorities",
)

# Condition blocks, named for what they allow.
_TAGGED_ON_CREATE = {"Null": {f"aws:RequestTag/{CLUSTER_TAG}": "false"}}
_ALREADY_TAGGED = {"Null": {f"aws:ResourceTag/{CLUSTER_TAG}": "false"}}
_RETAG_OWN = {"Null": {f"aws:RequestTag/{CLUSTER_TAG}": "true", f"aws:ResourceTag/{CLUSTER_TAG}": "false"}}


def _allow(actions: tuple[str, ...] | list[str], resource: str | list[str], condition: Any = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": list(actions), "Resource": resource}
    if condition is not None:
        statement["Condition"] = condition
    return statement


def iam_policy_document(partition: str) -> dict[str, Any]:
    """The controller's policy document for `partition` (`aws`, `aws-cn`, ...)."""

    def arns(service: str, *resources: str) -> list[str]:
        return [f"arn:{partition}:{service}:*:*:{resource}" for resource in resources]

    load_balancers_and_groups = arns(
        "elasticloadbalancing", "targetgroup/*/*", "loadbalancer/net/*/*", "loadbalancer/app/*/*"
    )
    security_groups = arns("ec2", "security-group/*")[0]
    return {
        "Version": "2012-10-17",
        "Statement": [
            _allow(
                ["iam:CreateServiceLinkedRole"],
                "*",
                {"StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}},
            ),
            _allow(_DESCRIBE, "*"),
            _allow(_INTEGRATIONS, "*"),
            _allow(["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"], "*"),
            _allow(["ec2:CreateSecurityGroup"], "*"),
            _allow(
                ["ec2:CreateTags"],
                security_groups,
                {"StringEquals": {"ec2:CreateAction": "CreateSecurityGroup"}, **_TAGGED_ON_CREATE},
            ),
            _allow(["ec2:CreateTags", "ec2:DeleteTags"], security_groups, _RETAG_OWN),
            _allow(
                ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup"],
                "*",
                _ALREADY_TAGGED,
            ),
            _allow(
                ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"],
                "*",
                _TAGGED_ON_CREATE,
            ),
            _allow(
                [
                    "elasticloadbalancing:CreateListener",
                    "elasticloadbalancing:DeleteListener",
                    "elasticloadbalancing:CreateRule",
                    "elasticloadbalancing:DeleteRule",
                ],
                "*",
            ),
            _allow(
                ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
                load_balancers_and_groups,
                _RETAG_OWN,
            ),
            _allow(
                ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
                arns(
                    "elasticloadbalancing",
                    "listener/net/*/*/*",
                    "listener/app/*/*/*",
                    "listener-rule/net/*/*/*",
                    "listener-rule/app/*/*/*",
                ),
            ),
            _allow(_MODIFY_OWN, "*", _ALREADY_TAGGED),
            _allow(
                ["elasticloadbalancing:AddTags"],
                load_balancers_and_groups,
                {
                    "StringEquals": {"elasticloadbalancing:CreateAction": ["CreateTargetGroup", "CreateLoadBalancer"]},
                    **_TAGGED_ON_CREATE,
                },
            ),
            _allow(
                ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
                arns("elasticloadbalancing", "targetgroup/*/*")[0],
            ),
            _allow(_LISTENER_EDITS, "*"),
        ],
    }

"""Security groups for data stores: one port, open only to the security groups passed in."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_aws as aws


def port_only_from_groups(
    name: str,
    *,
    vpc_id: pulumi.Input[str],
    port: int,
    what: str,
    allowed: Mapping[str, pulumi.Input[str]],
    tag_name: str,
    parent: pulumi.Resource,
    allowed_cidrs: Mapping[str, str] | None = None,
) -> aws.ec2.SecurityGroup:
    """Group `name` admitting TCP `port` from each allowed group (rule `<name-prefix>-from-<key>`).

    No egress rules: a data store answers connections and starts none (Pulumi removes the
    allow-all egress rule AWS adds to a new group).
    """
    group = aws.ec2.SecurityGroup(
        f"{name}-sg",
        vpc_id=vpc_id,
        description=f"{what}: port {port} from the allowed groups only",
        tags={"Name": tag_name},
        opts=pulumi.ResourceOptions(parent=parent),
    )
    for source, source_group_id in allowed.items():
        port_from_group(
            f"{name}-from-{source}",
            security_group_id=group.id,
            port=port,
            description=f"{what} from {source}",
            source_group_id=source_group_id,
            parent=parent,
        )
    for source, cidr in sorted((allowed_cidrs or {}).items()):
        # Across an inter-region peering a security group cannot be referenced (VPC peering guide,
        # "Update your security groups to reference peer security groups": same region only), so
        # the other regions' nodes are admitted by their private subnets' CIDRs.
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-from-{source}",
            security_group_id=group.id,
            description=f"{what} from {source} ({cidr}, a peered region's private subnet)",
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            cidr_ipv4=cidr,
            opts=pulumi.ResourceOptions(parent=parent),
        )
    return group


def port_from_group(
    name: str,
    *,
    security_group_id: pulumi.Input[str],
    port: int,
    description: str,
    source_group_id: pulumi.Input[str],
    parent: pulumi.Resource,
) -> aws.vpc.SecurityGroupIngressRule:
    """One rule: TCP `port` into `security_group_id` from members of `source_group_id`."""
    return aws.vpc.SecurityGroupIngressRule(
        name,
        security_group_id=security_group_id,
        description=description,
        ip_protocol="tcp",
        from_port=port,
        to_port=port,
        referenced_security_group_id=source_group_id,
        opts=pulumi.ResourceOptions(parent=parent),
    )

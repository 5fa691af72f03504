"""One EKS cluster from the platform's `Cluster` component, in a VPC that already exists.

Two node groups: `general` (kind system: the add-ons, CoreDNS and the cluster-autoscaler run
there) and `untrusted` (kind sandbox: tainted, gVisor, its own role and security group). Every
other setting is the component's secure default: private endpoint, deletion protection, secrets
encrypted with the cluster's own key, control-plane logs kept 365 days, IMDSv2 with hop limit 1.
"""

import pulumi
import pulumi_kubernetes as k8s

from eksplatform.components.cluster import Cluster, ClusterArgs, ClusterNodeGroup, NodeCapacityType, NodeGroupKind
from eksplatform.components.providers import regional_aws_provider

config = pulumi.Config()
region = config.require("region")
admin_role_arn = config.get("adminRoleArn") or None

# The project disables default providers, so every resource names its provider explicitly.
aws_provider = regional_aws_provider(
    f"aws-{region}",
    region=region,
    tags={"owner": "platform-team", "cost-center": "cc-42", "managed-by": "pulumi", "environment": pulumi.get_stack()},
)

cluster = Cluster(
    "example",
    ClusterArgs(
        cluster_name=f"example-{pulumi.get_stack()}",
        kubernetes_version="1.35",
        vpc_id=config.require("vpcId"),
        subnet_ids=config.require_object("privateSubnetIds"),
        node_groups=[
            ClusterNodeGroup(name="general", instance_types=["m7i.large"], min_size=2, desired_size=2, max_size=4),
            ClusterNodeGroup(
                name="untrusted",
                kind=NodeGroupKind.SANDBOX,
                capacity_type=NodeCapacityType.SPOT,
                instance_types=["m7i.xlarge", "m6i.xlarge"],
                min_size=1,
                desired_size=1,
                max_size=6,
            ),
        ],
        # Pinned: list the versions with `aws eks describe-addon-versions --kubernetes-version 1.35`.
        addon_versions={
            "vpc-cni": "v1.20.4-eksbuild.2",
            "kube-proxy": "v1.35.3-eksbuild.13",
            "coredns": "v1.14.2-eksbuild.4",
            "eks-pod-identity-agent": "v1.3.9-eksbuild.3",
            "aws-ebs-csi-driver": "v1.51.1-eksbuild.1",
            "metrics-server": "v0.8.0-eksbuild.2",
        },
        admin_role_arn=admin_role_arn,
        instance_tags={"cost-center": "cc-42"},
    ),
    opts=pulumi.ResourceOptions(provider=aws_provider),
)

# Anything Kubernetes goes through the cluster's own provider, which waits for nodes and add-ons.
apps = k8s.core.v1.Namespace(
    "apps", metadata={"name": "apps"}, opts=pulumi.ResourceOptions(provider=cluster.kubernetes_provider)
)

pulumi.export("clusterName", cluster.cluster_name)
pulumi.export("endpoint", cluster.endpoint)
pulumi.export("kubeconfig", cluster.kubeconfig)
pulumi.export("nodeSecurityGroupId", cluster.node_security_group_id)

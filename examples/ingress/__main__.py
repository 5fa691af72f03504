"""A PublicIngress on its own: the public entry of an existing EKS cluster.

The component takes both providers in `providers`: the region's AWS provider for the certificate
and the controller's IAM role, the cluster's Kubernetes provider for everything on the cluster.
"""

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from eksplatform.components.ingress import PublicIngress, PublicIngressArgs
from eksplatform.components.providers import regional_aws_provider

config = pulumi.Config()
region = config.require("region")
subnets: list[dict[str, Any]] = config.require_object("publicSubnets")

aws_provider = regional_aws_provider(
    f"aws-{region}",
    region=region,
    tags={"owner": "edge-team", "cost-center": "cc-edge", "managed-by": "pulumi", "environment": pulumi.get_stack()},
)
cluster = k8s.Provider("cluster", kubeconfig=config.require_secret("kubeconfig"), enable_server_side_apply=True)

entry = PublicIngress(
    "edge",
    PublicIngressArgs(
        kubernetes_version=config.require("kubernetesVersion"),
        cluster_name=config.require("clusterName"),
        vpc_id=config.require("vpcId"),
        vpc_cidr=config.require("vpcCidr"),
        public_subnet_ids=[str(subnet["id"]) for subnet in subnets],
        public_subnet_cidrs=[str(subnet["cidr"]) for subnet in subnets],
        oidc_provider_arn=config.require("oidcProviderArn"),
        oidc_provider_url=config.require("oidcProviderUrl"),
        domain=config.require("domain"),
        zone_id=config.require("zoneId"),
        # Traefik forwards to Ingresses in this namespace only.
        backend_namespaces=["backend"],
        tags={"owner": "edge-team"},
    ),
    opts=pulumi.ResourceOptions(providers=[aws_provider, cluster]),
)

pulumi.export("hostname", entry.hostname)
pulumi.export("certificateArn", entry.certificate_arn)
pulumi.export("healthPath", entry.health_path)

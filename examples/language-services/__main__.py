"""A LanguageServicePool on its own: Python and C, sandboxed, on an existing cluster.

The pool takes the cluster as the Kubernetes provider in `providers`; every object it makes
(namespace, quota, limits, network policies, and per service an account, a Deployment, a
Service, an autoscaler and a disruption budget) inherits it.
"""

import pulumi
import pulumi_kubernetes as k8s

from eksplatform.components.language_services import LanguageServicePool, LanguageServicePoolArgs, SandboxedService

config = pulumi.Config()
registry = config.require("imageRegistry")

cluster = k8s.Provider("cluster", kubeconfig=config.require_secret("kubeconfig"), enable_server_side_apply=True)

pool = LanguageServicePool(
    "languages",
    LanguageServicePoolArgs(
        kubernetes_version=config.require("kubernetesVersion"),
        namespace="languages",
        services=[
            SandboxedService(name="python", image=f"{registry}/lang-python:3.13.1", min_replicas=2, max_replicas=6),
            SandboxedService(
                name="c",
                image=f"{registry}/lang-c:gcc-14.2.0",
                cpu_request="250m",
                cpu_limit="500m",
                memory_request="256Mi",
                memory_limit="256Mi",
            ),
        ],
        # Everything else keeps its secure default: gVisor, no DNS, only the backend's pods may
        # call in, pods on the tainted sandbox nodes.
    ),
    opts=pulumi.ResourceOptions(providers=[cluster]),
)

pulumi.export("namespace", pool.namespace)
pulumi.export("endpoints", pool.endpoints)

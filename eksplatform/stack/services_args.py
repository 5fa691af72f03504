"""The stack file's services settings as the components' Args: the language-service pool, the
public entry and the image registry of one region (GlobalDns takes the Platform's values as they are).

The components validate their Args themselves (each error names the Args field); this module
only maps the stack's pydantic models, the language catalog and the environment profile onto them.
"""

from collections.abc import Mapping, Sequence

import pulumi

from eksplatform.components.ingress import DEFAULT_NAMESPACE, PublicIngressArgs
from eksplatform.components.inputs import args_from_settings
from eksplatform.components.language_services import (
    DEFAULT_NODE_SELECTOR,
    DEFAULT_TOLERATIONS,
    LanguageServicePoolArgs,
    LanguageServicesSettings,
    SandboxedService,
    ServiceArchitecture,
)
from eksplatform.components.registry import DEFAULT_KEEP_IMAGES, DEFAULT_UNTAGGED_EXPIRY_DAYS, ImageRegistryArgs
from eksplatform.environments import profile
from eksplatform.stack.models_services import LanguageServicesConfig

# The platform's entry namespace (the stack file has no setting for it); Observability reads it too.
INGRESS_NAMESPACE = DEFAULT_NAMESPACE


def language_services_settings(config: LanguageServicesConfig) -> LanguageServicesSettings:
    """A region's `languageServices`: the catalog's services with the stack's overrides, in catalog
    order; `runtimeClassName: null` runs them on the host kernel; the platform's sandbox nodes."""
    services = [
        SandboxedService(
            name=service.name,
            image=service.image,
            min_replicas=service.min_replicas,
            max_replicas=service.max_replicas,
            cpu_request=service.cpu_request,
            cpu_limit=service.cpu_limit,
            memory_request=service.memory_request,
            memory_limit=service.memory_limit,
            tmp_size=service.tmp_size,
            architecture=None if service.architecture is None else ServiceArchitecture(service.architecture),
        )
        for service in config.resolved_services().values()
    ]
    return LanguageServicesSettings(
        services=services,
        namespace=config.namespace,
        allow_dns=config.allow_dns,
        host_kernel=config.runtime_class_name is None,
        backend_namespace=config.backend_namespace,
        backend_selector=dict(config.backend_selector),
        # The platform cluster's sandbox nodes (components/cluster.py); the stack file has no setting.
        node_selector=dict(DEFAULT_NODE_SELECTOR),
        tolerations=[dict(toleration) for toleration in DEFAULT_TOLERATIONS],
    )


def language_service_pool_args(
    config: LanguageServicesConfig,
    *,
    kubernetes_version: str,
    runtime_class_name: pulumi.Input[str] | None = None,
) -> LanguageServicePoolArgs:
    """A region's pool: its settings (`language_services_settings`) on the region's cluster.

    `runtime_class_name`: the cluster's RuntimeClass name output (the pods then wait for it); config
    `runtimeClassName: null` runs them on the host kernel instead."""
    settings = language_services_settings(config)
    runtime: pulumi.Input[str] | None = None if settings.host_kernel else config.runtime_class_name
    if runtime is not None and runtime_class_name is not None:
        runtime = runtime_class_name  # the same name, as the RuntimeClass's output
    return args_from_settings(
        LanguageServicePoolArgs, settings, kubernetes_version=kubernetes_version, runtime_class_name=runtime
    )


def public_ingress_args(
    *,
    kubernetes_version: str,
    cluster_name: pulumi.Input[str],
    vpc_id: pulumi.Input[str],
    vpc_cidr: pulumi.Input[str],
    public_subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]],
    public_subnet_cidrs: Sequence[pulumi.Input[str]],
    oidc_provider_arn: pulumi.Input[str],
    oidc_provider_url: pulumi.Input[str],
    domain: str,
    zone_id: pulumi.Input[str],
    tags: Mapping[str, str],
    health_path: str,
    system_nodes_min: int,
    language_services: LanguageServicesConfig,
    image_registry: str | None,
) -> PublicIngressArgs:
    """A region's public entry: two pods each (one where the system group starts with one node),
    forwarding to the language services' backend namespace."""
    replicas = max(1, min(2, system_nodes_min))
    return PublicIngressArgs(
        kubernetes_version=kubernetes_version,
        cluster_name=cluster_name,
        vpc_id=vpc_id,
        vpc_cidr=vpc_cidr,
        public_subnet_ids=public_subnet_ids,
        public_subnet_cidrs=list(public_subnet_cidrs),
        oidc_provider_arn=oidc_provider_arn,
        oidc_provider_url=oidc_provider_url,
        domain=domain,
        zone_id=zone_id,
        tags=dict(tags),
        health_path=health_path,
        namespace=INGRESS_NAMESPACE,
        replicas=replicas,
        controller_replicas=replicas,
        backend_namespaces=[language_services.backend_namespace],
        image_registry=image_registry,
    )


def image_registry_args(repositories: Sequence[str], *, environment: str) -> ImageRegistryArgs:
    """A region's repositories; the environment's profile decides whether they are protected."""
    return ImageRegistryArgs(
        repositories=list(repositories),
        keep_images=DEFAULT_KEEP_IMAGES,
        untagged_expiry_days=DEFAULT_UNTAGGED_EXPIRY_DAYS,
        protect=profile(environment).protect_resources,
    )

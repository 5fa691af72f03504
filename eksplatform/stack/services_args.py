"""The stack file's services settings: the language services' settings and the image registry's Args
of one region (GlobalDns takes the Platform's values as they are). The Region builds the pool's
Args (`args_from_settings`) and the public entry's itself, from its settings and its wiring.

The components validate their Args themselves (each error names the Args field); this module
only maps the stack's pydantic models, the language catalog and the environment profile onto them.
"""

from collections.abc import Sequence

from eksplatform.components.ingress import DEFAULT_NAMESPACE
from eksplatform.components.language_services import (
    DEFAULT_NODE_SELECTOR,
    DEFAULT_TOLERATIONS,
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


def image_registry_args(repositories: Sequence[str], *, environment: str) -> ImageRegistryArgs:
    """A region's repositories; the environment's profile decides whether they are protected."""
    return ImageRegistryArgs(
        repositories=list(repositories),
        keep_images=DEFAULT_KEEP_IMAGES,
        untagged_expiry_days=DEFAULT_UNTAGGED_EXPIRY_DAYS,
        protect=profile(environment).protect_resources,
    )

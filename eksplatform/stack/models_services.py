"""The stack file's sandboxed language-service pool of one region."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from eksplatform.components.images import pinned_image
from eksplatform.components.ingress import registry_prefix_problem
from eksplatform.components.kubernetes_names import dns_label_problem
from eksplatform.components.language_catalog import (
    CATALOG,
    EXTRA_SERVICE_DEFAULTS,
    LanguageService,
    service_name_problem,
    service_problems,
)
from eksplatform.components.quantity import parse_quantity
from eksplatform.stack.errors import KeyedValueError
from eksplatform.stack.models_base import LabelMap, StackModel, check_order

# --- language services ---------------------------------------------------------------------

# Each rule is the component's own (components/): the stack file reports it at its key.


def _checked(problem: Callable[[str], str | None]) -> Callable[[str], str]:
    def check(value: str) -> str:
        message = problem(value)
        if message:
            raise ValueError(message)
        return value

    return check


def _quantity_problem(text: str) -> str | None:
    try:
        parse_quantity(text)
    except ValueError as error:
        return str(error)
    return None


Quantity = Annotated[str, AfterValidator(_checked(_quantity_problem))]
DnsLabel = Annotated[str, AfterValidator(_checked(dns_label_problem))]
ServiceName = Annotated[str, AfterValidator(_checked(service_name_problem))]
RegistryPrefix = Annotated[str, AfterValidator(_checked(registry_prefix_problem))]


class LanguageServiceConfig(StackModel):
    """Overrides for one language service; unset fields keep the catalog's (or the pool's) defaults."""

    enabled: bool = Field(default=True, description="false leaves the service out of the pool")
    image: str | None = Field(default=None, description="repository:tag or repository@sha256:digest (never latest)")
    min_replicas: int | None = Field(default=None, ge=1, le=1000, description="pre-spawned pods (HPA minimum)")
    max_replicas: int | None = Field(default=None, ge=1, le=1000, description="the HPA's maximum")
    cpu_request: Quantity | None = Field(default=None, description="Kubernetes quantity, e.g. `250m`")
    cpu_limit: Quantity | None = Field(default=None, description="Kubernetes quantity, e.g. `1`")
    memory_request: Quantity | None = Field(default=None, description="Kubernetes quantity, e.g. `256Mi`")
    memory_limit: Quantity | None = Field(default=None, description="Kubernetes quantity, e.g. `512Mi`")
    tmp_size: Quantity | None = Field(default=None, description="size limit of the writable /tmp")

    @field_validator("image")
    @classmethod
    def _pinned(cls, image: str | None) -> str | None:
        return None if image is None else pinned_image(image)


class LanguageServicesConfig(StackModel):
    """The sandboxed language-service pool of one region."""

    namespace: DnsLabel = Field(
        default="sandbox",
        description="the pool's namespace (a DNS label)",
    )
    image_registry: RegistryPrefix | None = Field(
        default=None,
        description="where the catalog's images live, e.g. <account>.dkr.ecr.<region>.amazonaws.com/platform",
        json_schema_extra={"docDefault": "required unless every service names its `image`"},
    )
    min_replicas: int = Field(default=2, ge=1, le=1000, description="default for every service")
    max_replicas: int = Field(default=10, ge=1, le=1000, description="default for every service")
    services: dict[ServiceName, LanguageServiceConfig] = Field(
        default_factory=dict, description="per-language overrides or extra services, by name"
    )
    allow_dns: bool = Field(
        default=False,
        description="allow DNS egress to kube-dns; off: the services answer requests and look nothing up, and "
        "DNS is a way out (docs/sandbox.md); the policy pack refuses it unless the VPC has a DNS Firewall",
    )
    runtime_class_name: Literal["gvisor"] | None = Field(
        default="gvisor",
        description="gvisor: every pod runs under gVisor, which the sandbox nodes install (docs/sandbox.md); "
        "null runs them on the host kernel (runc), which the policy pack refuses",
    )
    seccomp_localhost_profile: str | None = Field(
        default=None, description="not supported: no sandbox node carries a Localhost profile (docs/sandbox.md)"
    )
    backend_namespace: DnsLabel = Field(default="backend", description="where the callers run")
    backend_selector: LabelMap = Field(
        default_factory=lambda: {"app.kubernetes.io/name": "backend"},
        description="labels of the pods allowed to call the services",
    )

    @field_validator("seccomp_localhost_profile")
    @classmethod
    def _no_localhost_profile(cls, profile: str | None) -> str | None:
        # A Localhost profile must exist on the node, or the pod fails to start (Kubernetes
        # "Restrict a container's syscalls with seccomp"); the sandbox nodes install gVisor instead.
        if profile is not None:
            raise ValueError(
                "no sandbox node installs a seccomp profile, so a pod naming one could not start; the pods "
                "run under gVisor (runtimeClassName: gvisor) with RuntimeDefault; remove this key"
            )
        return profile

    @model_validator(mode="after")
    def _resolvable(self) -> LanguageServicesConfig:
        check_order([("minReplicas", self.min_replicas, "maxReplicas", self.max_replicas)])
        self.resolved_services()  # raises with the key of the first bad service
        return self

    def resolved_services(self) -> dict[str, LanguageService]:
        """Every enabled service, catalog defaults merged with this config, checked."""
        resolved: dict[str, LanguageService] = {}
        for name in [*CATALOG, *(extra for extra in self.services if extra not in CATALOG)]:
            override = self.services.get(name, LanguageServiceConfig())
            if override.enabled:
                resolved[name] = self._resolve(name, override)
        return resolved

    def _resolve(self, name: str, override: LanguageServiceConfig) -> LanguageService:
        entry = CATALOG.get(name)
        base = entry or EXTRA_SERVICE_DEFAULTS
        image = override.image
        if image is None:
            if entry is None:
                raise KeyedValueError(
                    f"services.{name}.image",
                    f"{name!r} is not in the catalog ({', '.join(CATALOG)}); give its image",
                )
            if self.image_registry is None:
                raise KeyedValueError(
                    "imageRegistry",
                    f"set the registry that holds the catalog images (e.g. <account>.dkr.ecr.<region>.amazonaws.com/"
                    f"platform), or give services.{name}.image",
                )
            image = f"{self.image_registry}/{entry.repository}:{entry.tag}"
        service = LanguageService(
            name=name,
            title=entry.title if entry else name,
            image=image,
            min_replicas=override.min_replicas or self.min_replicas,
            max_replicas=override.max_replicas or self.max_replicas,
            cpu_request=override.cpu_request or base.cpu_request,
            cpu_limit=override.cpu_limit or base.cpu_limit,
            memory_request=override.memory_request or base.memory_request,
            memory_limit=override.memory_limit or base.memory_limit,
            tmp_size=override.tmp_size or base.tmp_size,
            architecture=base.architecture,
        )
        # The Args' own rule (components/language_services.py), named by this file's key.
        for field, problem in service_problems(service):
            raise KeyedValueError(f"services.{name}.{to_camel(field)}", problem)
        return service

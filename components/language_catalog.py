"""The eight language services and their defaults; a stack overrides any of them in config.

Limits from the requirements where they give them (C and Python 256 Mi / 0.5 CPU, Haskell
512 Mi / 1 CPU); the rest sized for their toolchains (Java's JVM needs at least 512 Mi; Idris 2
compiles through Chez Scheme and SBCL reserves a large heap, so both get 512 Mi). Memory is
requested at its limit, since memory cannot be throttled and an overcommitted node kills pods;
CPU is requested at half its limit, since CPU is throttled, not killed. `/tmp` is memory (tmpfs),
64 Mi by default (Java's class files and jars 128 Mi), added on top of the memory limit.

Images live in the stack's registry (`imageRegistry`, e.g. the account's ECR) as
`<registry>/<repository>:<tag>`, each tag naming the toolchain version it carries.
"""

from __future__ import annotations

from dataclasses import dataclass

from eksplatform.components.kubernetes_names import dns_label_problem
from eksplatform.components.quantity import parse_quantity

# Kubernetes `kubernetes.io/arch` values of the nodes EKS runs (x86-64 and Graviton).
ARCHITECTURES = {"amd64", "arm64"}


@dataclass(frozen=True)
class CatalogEntry:
    title: str
    repository: str
    tag: str
    cpu_limit: str
    memory_limit: str
    cpu_request: str
    memory_request: str
    tmp_size: str = "64Mi"
    """Size of the writable /tmp, a memory-backed volume (the root filesystem is read-only); the
    container's memory limit is `memory_limit` plus this, since tmpfs pages count against it."""
    architecture: str | None = None
    """Kubernetes arch label a service needs (`amd64` for x86-64 assembly); None: any."""


CATALOG: dict[str, CatalogEntry] = {
    "c": CatalogEntry("C (GCC 14)", "lang-c", "gcc-14.2.0", "500m", "256Mi", "250m", "256Mi"),
    "python": CatalogEntry("Python 3.13", "lang-python", "3.13.1", "500m", "256Mi", "250m", "256Mi"),
    "haskell": CatalogEntry("Haskell (GHC 9.10)", "lang-haskell", "ghc-9.10.1", "1", "512Mi", "500m", "512Mi"),
    "idris2": CatalogEntry("Idris 2", "lang-idris2", "0.7.0", "1", "512Mi", "500m", "512Mi"),
    "lisp": CatalogEntry("Common Lisp (SBCL)", "lang-lisp", "sbcl-2.4.11", "500m", "512Mi", "250m", "512Mi"),
    "assembly": CatalogEntry(
        "x86-64 assembly (NASM)",
        "lang-assembly",
        "nasm-2.16.03",
        "500m",
        "256Mi",
        "250m",
        "256Mi",
        architecture="amd64",
    ),
    "java": CatalogEntry("Java (OpenJDK 21)", "lang-java", "21.0.5", "1", "1Gi", "500m", "1Gi", tmp_size="128Mi"),
    "systemf": CatalogEntry("System F", "lang-systemf", "1.0.0", "500m", "256Mi", "250m", "256Mi"),
}

# A service's objects are `lang-<name>` and its policy `lang-<name>-from-backend`: both DNS labels
# (at most 63 characters), and the name is the container's name too.
SERVICE_NAME_MAX = 40


def service_name_problem(name: str) -> str | None:
    """Why `name` cannot name a language service, or None (the Args and the stack file both ask)."""
    if len(name) <= SERVICE_NAME_MAX and dns_label_problem(name) is None and name[0].isalpha():
        return None
    return (
        f"{name!r}: lowercase letters, digits and '-', starting with a letter and ending alphanumeric, "
        f"at most {SERVICE_NAME_MAX} characters"
    )


# An extra service (not in the catalog) starts from these sizes unless its config says more.
EXTRA_SERVICE_DEFAULTS = CatalogEntry("", "", "", "500m", "256Mi", "250m", "256Mi")


@dataclass(frozen=True)
class LanguageService:
    """One language service as it will run: catalog defaults with the stack's overrides."""

    name: str
    title: str
    image: str
    min_replicas: int
    max_replicas: int
    cpu_request: str
    cpu_limit: str
    memory_request: str
    memory_limit: str
    tmp_size: str
    architecture: str | None


def service_problems(service: LanguageService) -> list[tuple[str, str]]:
    """`(field, why)` for each rule a service with its defaults breaks: replicas 1 or more and not
    above the maximum, quantities Kubernetes reads and above zero, requests not above limits
    (Kubernetes refuses such a container: ResourceRequirements), a known architecture.

    One rule, two readers: the Args name the field `args.services[i].<field>`, the stack config
    `languageServices.services.<name>.<key>`."""
    problems: list[tuple[str, str]] = []
    if service.min_replicas < 1:
        problems.append(("min_replicas", f"{service.min_replicas}: at least 1"))
    elif service.min_replicas > service.max_replicas:
        problems.append(("min_replicas", f"{service.min_replicas} is above the maximum {service.max_replicas}"))
    amounts = {}
    for field in ("cpu_request", "cpu_limit", "memory_request", "memory_limit", "tmp_size"):
        text = getattr(service, field)
        try:
            amounts[field] = parse_quantity(text)
        except ValueError as error:
            problems.append((field, str(error)))
            continue
        if amounts[field] <= 0:
            problems.append((field, f"{text}: must be above zero"))
    for kind in ("cpu", "memory"):
        request, limit = f"{kind}_request", f"{kind}_limit"
        if request in amounts and limit in amounts and amounts[request] > amounts[limit]:
            problems.append((request, f"{getattr(service, request)} is above the limit {getattr(service, limit)}"))
    if service.architecture is not None and service.architecture not in ARCHITECTURES:
        problems.append(("architecture", f"{service.architecture!r}: one of {sorted(ARCHITECTURES)}"))
    return problems

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

"""The component provider plugin: the public components, served to every Pulumi language.

`provider/__main__.py` calls `main()`; the Pulumi CLI runs it when a program adds this repository
with `pulumi package add` (docs/other-languages.md). Pulumi's host (`pulumi.provider.experimental`)
infers the package schema from each component's `args` annotation and its `pulumi.Output`
attributes; a component it cannot analyse would stop the whole plugin, so every public component
keeps to what the analyzer reads (docs/other-languages.md). tests/provider/test_schema.py starts
the plugin, reads its schema over gRPC and checks every component's inputs and outputs.
"""

import tomllib
from importlib import metadata
from pathlib import Path

import pulumi
from pulumi.provider.experimental import component_provider_host

from eksplatform.public import PUBLIC_COMPONENTS
from eksplatform.pulumi_internals import field_docs_from_base_classes

# The package name makes the type tokens: `<name>:index:<ClassName>` (the analyzer's `ref`s and
# ComponentProvider.construct), equal to the tokens the components register, `platform:index:Vpc`.
PACKAGE_NAME = "platform"


def served_components() -> list[type[pulumi.ComponentResource]]:
    """The components the plugin serves: every public one, in PUBLIC_COMPONENTS order."""
    return list(PUBLIC_COMPONENTS)


def package_version() -> str:
    """The version of the eksplatform being served: from the clone the plugin runs in (its
    pyproject.toml, which `pulumi package add <repo>/provider` clones with it), else from the
    installed distribution."""
    pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
    if pyproject.is_file():
        return str(tomllib.loads(pyproject.read_text())["project"]["version"])
    return metadata.version("eksplatform")


def main() -> None:
    """Serve the components: prints the gRPC port on stdout, then answers until it is stopped."""
    # Args classes share fields through base classes (a component's settings, then its wiring).
    field_docs_from_base_classes()
    component_provider_host(served_components(), name=PACKAGE_NAME, version=package_version())

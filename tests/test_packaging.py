"""The distribution's metadata and layout: version ranges the suite actually runs, SDK internals
in one module, the public components in one list (CI's wheel check reads it: .ci/wheel.sh)."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pulumi
import pulumi.runtime
from packaging.requirements import Requirement
from packaging.version import Version

from eksplatform.preflight.synth import PROJECT_ROOT
from eksplatform.public import PUBLIC_COMPONENTS

PYPROJECT = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
INTERNALS = PROJECT_ROOT / "eksplatform" / "pulumi_internals.py"
POLICY_INTERNALS = PROJECT_ROOT / "policies" / "servicer.py"


def _pins(path: Path) -> dict[str, Version]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==")
            pins[name.strip().lower()] = Version(version.strip())
    return pins


def _requirements() -> list[Requirement]:
    project = PYPROJECT["project"]
    extras = [item for items in project["optional-dependencies"].values() for item in items]
    return [Requirement(text) for text in [*project["dependencies"], *extras]]


def test_every_range_starts_at_the_tested_pin_and_admits_it() -> None:
    """A lower bound below the pin would promise versions the suite never ran; one above it would
    make the tested environment uninstallable."""
    pins = _pins(PROJECT_ROOT / "requirements.txt") | _pins(PROJECT_ROOT / "requirements-dev.txt")
    for requirement in _requirements():
        pinned = pins.get(requirement.name.lower())
        assert pinned is not None, f"{requirement.name}: no pin in requirements.txt (what does the suite run?)"
        assert requirement.specifier.contains(pinned), f"{requirement}: excludes the tested {pinned}"
        lower = [spec for spec in requirement.specifier if spec.operator == ">="]
        assert [Version(spec.version) for spec in lower] == [pinned], f"{requirement}: lower bound is not {pinned}"
        assert any(spec.operator == "<" for spec in requirement.specifier), f"{requirement}: no upper bound"


def _bounds(requirement: Requirement) -> tuple[Version, Version]:
    (lower,) = [Version(spec.version) for spec in requirement.specifier if spec.operator == ">="]
    (upper,) = [Version(spec.version) for spec in requirement.specifier if spec.operator == "<"]
    return lower, upper


def test_preflight_and_the_pack_hold_pulumi_to_the_tested_minor_the_components_do_not() -> None:
    """Their internals are used (pulumi_internals.py, policies/servicer.py): the next minor may
    differ, so the `policy` extra (which preflight and the pack need) holds pulumi and
    pulumi-policy to the tested minor; a program that only builds components takes any pulumi 3."""
    policy = {
        Requirement(text).name: Requirement(text) for text in PYPROJECT["project"]["optional-dependencies"]["policy"]
    }
    for name in ("pulumi", "pulumi-policy"):
        lower, upper = _bounds(policy[name])
        assert (upper.major, upper.minor) == (lower.major, lower.minor + 1), policy[name]
    (base,) = [Requirement(text) for text in PYPROJECT["project"]["dependencies"] if text.startswith("pulumi>")]
    lower, upper = _bounds(base)
    assert lower == _bounds(policy["pulumi"])[0] and upper == Version(f"{lower.major + 1}"), base


def _python_files() -> list[Path]:
    roots = [PROJECT_ROOT / name for name in ("components", "policies", "bootstrap", "docgen")]
    real = [path for path in (PROJECT_ROOT / "eksplatform").iterdir() if path.is_dir() and not path.is_symlink()]
    files = [PROJECT_ROOT / "__main__.py", *(PROJECT_ROOT / "eksplatform").glob("*.py")]
    return [*files, *(path for root in [*roots, *real] for path in root.rglob("*.py"))]


def _private_uses(path: Path) -> list[str]:
    """Imports of SDK names that are not public: `_`-prefixed names from pulumi or pulumi_policy,
    and names from pulumi.runtime's submodules that pulumi.runtime does not export."""
    public_runtime = set(pulumi.runtime.__all__)
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            module = node.module
            if not module.startswith(("pulumi.", "pulumi_policy")) and module != "pulumi":
                continue
            if module.startswith("pulumi.runtime.proto"):
                continue  # the protocol's generated messages
            for alias in node.names:
                private = alias.name.startswith("_")
                hidden = module.startswith("pulumi.runtime.") and alias.name not in public_runtime
                if private or hidden or (module == "pulumi.runtime" and alias.name not in public_runtime):
                    found.append(f"{module}.{alias.name}")
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_sync_await"):
            found.append(node.attr)
    return found


def test_pulumi_sdk_internals_are_used_in_one_module_only() -> None:
    offenders = {}
    for path in _python_files():
        if path.resolve() in {INTERNALS.resolve(), POLICY_INTERNALS.resolve()}:
            continue
        uses = _private_uses(path)
        if uses:
            offenders[str(path.relative_to(PROJECT_ROOT))] = uses
    assert offenders == {}, "import these through eksplatform/pulumi_internals.py"
    assert _private_uses(INTERNALS), "the internals module imports no internals: is the scan blind?"
    policy_uses = _private_uses(POLICY_INTERNALS)
    assert policy_uses and all(name.startswith("pulumi_policy") for name in policy_uses)


def test_the_public_components_load_with_their_type_tokens() -> None:
    for cls in PUBLIC_COMPONENTS:
        name = cls.__name__
        assert issubclass(cls, pulumi.ComponentResource), name
        source = Path(cls.__module__.replace(".", "/") + ".py")
        text = (PROJECT_ROOT / source).read_text()  # components/ through the eksplatform/ link
        assert re.search(rf'"platform:index:{name}"', text), f"{name}: no platform:index:{name} token in {source}"

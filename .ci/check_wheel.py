"""The wheel's file list, checked against the checkout it was built from (.ci/wheel.sh).

    python .ci/check_wheel.py WHEEL CHECKOUT

It must hold the one import package, `eksplatform`, with the components and the policy pack's
rules mapped into it (pyproject.toml's package-dir), the pack's manifest and per-stack config,
py.typed, and both console scripts; and nothing else at the top level: no `components`,
`policies`, `cost`, `preflight`, `ops`, `bootstrap`, `tests` or `docgen` of its own, which would
shadow a consumer's folders of those names. Exit 1 with one line per problem.
"""

from __future__ import annotations

import os
import sys
import zipfile
from pathlib import Path

FORBIDDEN_TOP_LEVEL = ("components", "policies", "cost", "preflight", "ops", "bootstrap", "tests", "docgen")
SCRIPTS = (
    "eksplatform-preflight = eksplatform.preflight.__main__:main",
    "eksplatform-ops = eksplatform.ops.__main__:main",
)
EXTRAS = ("policy", "ops")


def _modules(package: Path) -> list[str]:
    """`eksplatform/.../x.py` for every module under the package folder, links followed."""
    found = []
    for folder, _, files in os.walk(package, followlinks=True):
        relative = Path(folder).relative_to(package.parent)
        if "__pycache__" in relative.parts:
            continue
        found += [(relative / name).as_posix() for name in files if name.endswith(".py")]
    return found


def problems(wheel: Path, checkout: Path) -> list[str]:
    names = set(zipfile.ZipFile(wheel).namelist())
    found: list[str] = []
    expected = {
        "eksplatform/__init__.py",
        "eksplatform/py.typed",
        "eksplatform/public.py",
        "eksplatform/pulumi_internals.py",
        "eksplatform/policies/PulumiPolicy.yaml",
        "eksplatform/policies/__main__.py",
        "eksplatform/ops/__main__.py",
        "eksplatform/preflight/__main__.py",
    }
    # Every module of the package as the checkout has it (the links to components/ and policies/
    # followed), so a sub-package left out of pyproject.toml's `packages` is missed here, not by a
    # user's import; and every per-stack policy config.
    expected |= set(_modules(checkout / "eksplatform"))
    expected |= {
        f"eksplatform/policies/config/{path.name}" for path in (checkout / "policies" / "config").glob("*.json")
    }
    found += [f"missing {name}" for name in sorted(expected - names)]
    if not any(name.startswith("eksplatform/policies/config/") for name in names):
        found.append("no eksplatform/policies/config/*.json")
    top = {name.split("/", 1)[0] for name in names}
    dist_info = {entry for entry in top if entry.endswith(".dist-info")}
    found += [f"top-level {entry}/ besides eksplatform" for entry in sorted(top - {"eksplatform"} - dist_info)]
    found += [f"a top-level {name} package" for name in FORBIDDEN_TOP_LEVEL if name in top]
    if len(dist_info) != 1:
        return [*found, f"expected one .dist-info folder, found {sorted(dist_info)}"]
    (info,) = dist_info
    archive = zipfile.ZipFile(wheel)
    entry_points = archive.read(f"{info}/entry_points.txt").decode()
    found += [f"no console script {script!r}" for script in SCRIPTS if script not in entry_points]
    metadata = archive.read(f"{info}/METADATA").decode()
    found += [f"no extra [{extra}]" for extra in EXTRAS if f"Provides-Extra: {extra}" not in metadata]
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: check_wheel.py WHEEL CHECKOUT", file=sys.stderr)
        return 2
    found = problems(Path(argv[0]), Path(argv[1]))
    for problem in found:
        print(f"wheel: {problem}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

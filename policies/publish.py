"""Stage the pack for `pulumi policy publish`: one folder that holds every line of code it runs.

`pulumi policy publish` uploads the pack's folder and nothing else, and a published pack runs from
`~/.pulumi/policies/<org>/<pack>/<version>/` in a virtualenv the CLI creates from that folder's
requirements.txt. In a checkout the pack imports `eksplatform` (its policies, and the components,
capacity, cost and preflight modules the rules use) from the project's virtualenv (`-e .`,
PulumiPolicy.yaml's `../.venv`), which a published pack does not have. So publishing is two steps:

    python -m eksplatform.policies.publish build/policy-pack   # copy the package, pin, name a local venv
    cd build/policy-pack && pulumi policy publish <org>

The staged folder holds the `eksplatform` package with its linked folders copied in (the runtime
puts the pack's folder first on sys.path, so it is the one imported), `__main__.py`, a
PulumiPolicy.yaml with the project's version and a virtualenv of its own (`venv`: installed packs
never share one), and requirements.txt with only the third-party packages, pinned as the project
pins them.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
# The one import package; its `components` and `policies` links are copied as folders.
PACKAGE = "eksplatform"
# What importing policies.pack needs besides the standard library and these packages (their own
# dependencies come with them).
THIRD_PARTY = ("pulumi", "pulumi-policy", "jsonschema", "promql-parser", "pydantic", "PyYAML")
LOCAL_VIRTUALENV = "venv"


class PublishError(Exception):
    """The pack cannot be staged; the message says why."""


def version() -> str:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return str(project["project"]["version"])


def pinned_requirements() -> list[str]:
    """The project's exact pins (requirements.txt) of the packages the pack imports."""
    pins: dict[str, str] = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        text = line.split("#", 1)[0].strip()
        if "==" in text:
            name = text.split("==", 1)[0].strip()
            pins[name.lower()] = text
    missing = [name for name in THIRD_PARTY if name.lower() not in pins]
    if missing:
        raise PublishError(f"requirements.txt pins no version of {', '.join(missing)}")
    return [pins[name.lower()] for name in THIRD_PARTY]


def stage(out: Path) -> Path:
    """Write the publishable pack into `out` (which must be empty or absent); returns `out`."""
    if not (ROOT / "pyproject.toml").is_file():
        # Installed from the wheel, ROOT is site-packages/eksplatform: no checkout to stage from.
        raise PublishError(
            f"{ROOT} is not a checkout of the repository: staging copies its eksplatform/ and reads its "
            "pyproject.toml and requirements.txt; run it in a clone"
        )
    if out.exists() and any(out.iterdir()):
        raise PublishError(f"{out} is not empty; give a new folder")
    out.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".mypy_cache")
    # symlinks=False (the default) copies what a link points to, so the staged package is whole.
    shutil.copytree(ROOT / PACKAGE, out / PACKAGE, ignore=ignore, symlinks=False)
    shutil.copy2(ROOT / "policies" / "__main__.py", out / "__main__.py")
    manifest = yaml.safe_load((ROOT / "policies" / "PulumiPolicy.yaml").read_text())
    manifest["version"] = version()
    manifest["runtime"]["options"]["virtualenv"] = LOCAL_VIRTUALENV
    (out / "PulumiPolicy.yaml").write_text(yaml.safe_dump(manifest, sort_keys=False))
    (out / "requirements.txt").write_text("\n".join(pinned_requirements()) + "\n")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eksplatform.policies.publish", description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path, help="an empty folder to stage the pack in")
    args = parser.parse_args(argv)
    try:
        staged = stage(args.out)
    except (PublishError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"staged pack {version()} in {staged}; publish it with: cd {staged} && pulumi policy publish <org>")
    return 0


if __name__ == "__main__":
    sys.exit(main())

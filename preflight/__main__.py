"""`python -m preflight <stack>`: what `pulumi up` would create for a stack, offline.

Runs `__main__.py` under Pulumi's mocks with `Pulumi.<stack>.yaml` and prints the resources
as a tree under their components, counts by type, and the stack outputs. Exit status: 0 on
success, 2 for a usage or stack-config error (with a message naming every bad key).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from components.config import ConfigError
from preflight.report import render_text
from preflight.synth import PROJECT_ROOT, synth


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m preflight", description=__doc__.splitlines()[0])
    parser.add_argument("stack", help="stack name: reads Pulumi.<stack>.yaml")
    parser.add_argument("--config-file", type=Path, help="use this stack file instead of Pulumi.<stack>.yaml")
    args = parser.parse_args(argv)

    config_file = args.config_file or PROJECT_ROOT / f"Pulumi.{args.stack}.yaml"
    if not config_file.is_file():
        print(f"error: no stack file {config_file}", file=sys.stderr)
        return 2
    try:
        graph = synth(args.stack, config_file=config_file)
    except ConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(render_text(graph))
    return 0


if __name__ == "__main__":
    sys.exit(main())

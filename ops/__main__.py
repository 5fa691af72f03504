"""`python -m ops <command> <outputs.json>`: runbooks for a deployed platform stack.

The outputs file is `pulumi stack output --json` of a platform stack. Exit status: 0 when all is
well, 1 on drift or an AWS error, 2 for bad input (a missing output key, an unknown region).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ops.audit import audit, render_text
from ops.outputs import OutputsError, StackOutputs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops", description=(__doc__ or "").splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    audit_parser = commands.add_parser("audit", help="check the live resources against the pack's rules")
    audit_parser.add_argument("outputs", type=Path, help="`pulumi stack output --json` of the stack")
    audit_parser.add_argument("--min-backup-days", type=int, default=7, help="prod: 30")
    audit_parser.add_argument("--allow-public-endpoint", action="store_true", help="dev and staging only")
    audit_parser.add_argument("--format", choices=["text", "json"], default="text")
    args = parser.parse_args(argv)

    try:
        outputs = StackOutputs.load(args.outputs)
        result = audit(outputs, min_backup_days=args.min_backup_days, allow_public_endpoint=args.allow_public_endpoint)
    except OutputsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps(result.as_dict(), indent=2))
    else:
        print("\n".join(render_text(result)))
    return 1 if result.findings or result.errors else 0


if __name__ == "__main__":
    sys.exit(main())

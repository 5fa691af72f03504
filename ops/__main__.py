"""`python -m ops <command> <outputs.json>`: runbooks for a deployed platform stack.

The outputs file is `pulumi stack output --json` of a platform stack. Exit status: 0 when all is
well; 1 on drift, a refused or slow failover, or an AWS error; 2 for bad input (a missing output
key, a region the stack does not have).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

from botocore.exceptions import ClientError

from ops import clients
from ops.audit import audit, render_text
from ops.clients import ClientFactory
from ops.failover import TARGET_SECONDS, FailoverRefusedError, Mode, check_rpo, execute, make_plan
from ops.outputs import OutputsError, StackOutputs
from ops.restore_drill import DrillError, restore_drill


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops", description=(__doc__ or "").splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    audit_parser = commands.add_parser("audit", help="check the live resources against the pack's rules")
    audit_parser.add_argument("outputs", type=Path, help="`pulumi stack output --json` of the stack")
    audit_parser.add_argument("--min-backup-days", type=int, default=7, help="prod: 30")
    audit_parser.add_argument("--allow-public-endpoint", action="store_true", help="dev and staging only")
    audit_parser.add_argument("--format", choices=["text", "json"], default="text")
    failover_parser = commands.add_parser("failover", help="move the global database's writer to another region")
    failover_parser.add_argument("outputs", type=Path, help="`pulumi stack output --json` of the stack")
    failover_parser.add_argument("--to", required=True, dest="target", help="the region that will write")
    failover_parser.add_argument("--unplanned", action="store_true", help="the primary is impaired: allow data loss")
    failover_parser.add_argument(
        "--primary-gone", action="store_true", help="with --unplanned: detach the target and promote it"
    )
    failover_parser.add_argument("--rpo-minutes", type=int, default=15)
    failover_parser.add_argument("--force", action="store_true", help="act even with the lag above the RPO or unknown")
    failover_parser.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    failover_parser.add_argument("--timeout", type=float, default=900, help="seconds to wait for the new writer")
    failover_parser.add_argument("--poll-seconds", type=float, default=5, help="how often to look for the new writer")
    drill_parser = commands.add_parser("restore-drill", help="restore a database copy, check it, delete it")
    drill_parser.add_argument("outputs", type=Path, help="`pulumi stack output --json` of the stack")
    drill_parser.add_argument("--region", required=True, help="whose database to restore")
    drill_parser.add_argument("--point-in-time", type=datetime.fromisoformat, help="ISO time; default: newest snapshot")
    drill_parser.add_argument("--rto-minutes", type=int, default=60)
    drill_parser.add_argument("--rpo-minutes", type=int, default=15)
    drill_parser.add_argument("--timeout", type=float, default=3600, help="seconds to wait for the copy")
    drill_parser.add_argument("--poll-seconds", type=float, default=30)
    args = parser.parse_args(argv)

    try:
        outputs = StackOutputs.load(args.outputs)
        if args.command == "failover":
            return _failover(outputs, args, client=None)
        if args.command == "restore-drill":
            return _drill(outputs, args)
        result = audit(outputs, min_backup_days=args.min_backup_days, allow_public_endpoint=args.allow_public_endpoint)
    except OutputsError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.format == "json":
        print(json.dumps(result.as_dict(), indent=2))
    else:
        print("\n".join(render_text(result)))
    return 1 if result.findings or result.errors else 0


def _failover(outputs: StackOutputs, args: argparse.Namespace, client: ClientFactory | None) -> int:
    if args.primary_gone and not args.unplanned:
        raise OutputsError("--primary-gone needs --unplanned: detaching a member loses what it has not received")
    mode: Mode = "detach-and-promote" if args.primary_gone else "failover" if args.unplanned else "switchover"
    factory = client or clients.default_client
    try:
        plan = make_plan(outputs, args.target, client=factory, mode=mode, rpo_minutes=args.rpo_minutes)
        print("\n".join(plan.describe()))
        check_rpo(plan, force=args.force)
        if args.dry_run:
            print("Dry run: nothing changed.")
            return 0
        timeline = execute(plan, client=factory, timeout_seconds=args.timeout, poll_seconds=args.poll_seconds)
    except FailoverRefusedError as refusal:
        print(f"refused: {refusal}", file=sys.stderr)
        return 1
    except ClientError as error:
        return _aws_error(error)
    print("\n".join(timeline.render()))
    return 0 if timeline.total <= TARGET_SECONDS else 1


def _drill(outputs: StackOutputs, args: argparse.Namespace) -> int:
    try:
        report = restore_drill(
            outputs,
            args.region,
            client=clients.default_client,
            point_in_time=args.point_in_time,
            rto_minutes=args.rto_minutes,
            rpo_minutes=args.rpo_minutes,
            timeout_seconds=args.timeout,
            poll_seconds=args.poll_seconds,
        )
    except DrillError as error:
        print(f"drill failed: {error}", file=sys.stderr)
        return 1
    except ClientError as error:
        return _aws_error(error)
    print("\n".join(report.render()))
    return 0 if report.within_rto and report.within_rpo else 1


def _aws_error(error: ClientError) -> int:
    """An AWS error (missing permission, missing resource) shown as AWS says it."""
    info = error.response.get("Error", {})
    print(f"error: {info.get('Code', 'AWS error')}: {info.get('Message', str(error))}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())

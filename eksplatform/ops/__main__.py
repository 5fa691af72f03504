"""`eksplatform-ops <command> <outputs.json>`: runbooks for a deployed platform stack.

The outputs file is `pulumi stack output --json` of a platform stack. Each exit status has one
meaning (eksplatform/ops/exits.py, and the help's epilog).
"""

from __future__ import annotations

import argparse
import json
import ssl
import sys
import traceback
from datetime import datetime
from pathlib import Path

from eksplatform.environments import DEFAULT_RPO_MINUTES
from eksplatform.ops import extra

# Before anything imports boto3: both `eksplatform-ops` and `python -m eksplatform.ops` land here.
if extra.missing():
    print(f"error: {extra.HINT}", file=sys.stderr)
    raise SystemExit(2)

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from eksplatform.ops import clients, query
from eksplatform.ops.audit import audit, render_text
from eksplatform.ops.exits import HELP, Exit, FailedError, InputError, RefusedError
from eksplatform.ops.failover import (
    Mode,
    Timeline,
    aftermath,
    check_others,
    check_rpo,
    execute,
    make_plan,
)
from eksplatform.ops.outputs import StackOutputs
from eksplatform.ops.restore_drill import restore_drill


def _aware(text: str) -> datetime:
    """--point-in-time: an ISO time with its UTC offset (a bare time would be read in local time)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO time, e.g. 2026-01-31T12:00:00+00:00") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no UTC offset; add one, e.g. {text}+00:00")
    return moment


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None


def _positive(text: str) -> float:
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not above 0")
    return value


MIN_POLL_SECONDS = 1.0
"""The shortest --poll-seconds: below it the runbooks would call AWS back to back (tests lower it)."""


def _poll(text: str) -> float:
    value = _number(text)
    if value < MIN_POLL_SECONDS:
        raise argparse.ArgumentTypeError(f"{text} is below {MIN_POLL_SECONDS:g} s")
    return value


def _ca_bundle(text: str) -> ssl.SSLContext:
    """--ca-bundle: loaded while the arguments are read, so a bad bundle stops the drill before it restores."""
    try:
        return query.ca_context(Path(text))
    except InputError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _minutes(text: str) -> int:
    value = _positive(text)
    if value != int(value):
        raise argparse.ArgumentTypeError(f"{text} is not a whole number of minutes")
    return int(value)


def _parser() -> argparse.ArgumentParser:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="eksplatform-ops", description=(__doc__ or "").splitlines()[0], epilog=HELP, formatter_class=formatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    audit_parser = commands.add_parser(
        "audit", help="check the live resources against the pack's rules", epilog=HELP, formatter_class=formatter
    )
    audit_parser.add_argument("outputs", type=Path, help="`pulumi stack output --json` of the stack")
    audit_parser.add_argument("--min-backup-days", type=int, default=7, help="prod: 30")
    audit_parser.add_argument("--allow-public-endpoint", action="store_true", help="dev and staging only")
    audit_parser.add_argument("--format", choices=["text", "json"], default="text")

    failover_parser = commands.add_parser(
        "failover", help="move the global database's writer to another region", epilog=HELP, formatter_class=formatter
    )
    failover_parser.add_argument("outputs", type=Path, help="`pulumi stack output --json` of the stack")
    failover_parser.add_argument("--to", required=True, dest="target", help="the region that will write")
    failover_parser.add_argument("--unplanned", action="store_true", help="the primary is impaired: allow data loss")
    failover_parser.add_argument(
        "--primary-gone", action="store_true", help="with --unplanned: detach the target and promote it"
    )
    failover_parser.add_argument(
        "--others",
        choices=["detach", "keep"],
        help=(
            "with --primary-gone and other secondaries: detach them too (recommended by AWS, against a split brain), "
            "or keep them in the old global database"
        ),
    )
    failover_parser.add_argument("--rpo-minutes", type=_minutes, default=DEFAULT_RPO_MINUTES)
    failover_parser.add_argument("--force", action="store_true", help="act even with the lag above the RPO or unknown")
    failover_parser.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")
    failover_parser.add_argument("--timeout", type=_positive, default=900, help="seconds to wait for AWS to finish")
    failover_parser.add_argument("--poll-seconds", type=_poll, default=5, help="how often to look (at least 1)")

    drill_parser = commands.add_parser(
        "restore-drill",
        help="restore a database copy, query it, delete it",
        description=(
            "Run it inside the region's VPC (docs/operations.md, 'restore-drill') for the SELECT 1 to reach the copy."
        ),
        epilog=HELP,
        formatter_class=formatter,
    )
    drill_parser.add_argument("outputs", type=Path, help="`pulumi stack output --json` of the stack")
    drill_parser.add_argument("--region", required=True, help="whose database to restore")
    recovery = drill_parser.add_mutually_exclusive_group()
    recovery.add_argument(
        "--point-in-time", type=_aware, help="ISO time with offset; default: the latest restorable time"
    )
    recovery.add_argument("--snapshot", help="restore this snapshot instead ('latest': the newest available)")
    drill_parser.add_argument("--instance-class", help="Aurora: the copy's instance class; default: the writer's")
    drill_parser.add_argument("--skip-query", action="store_true", help="no SELECT 1 (no network reach from here)")
    drill_parser.add_argument(
        "--ca-bundle", type=_ca_bundle, help="RDS CA bundle (PEM) to verify the copy's certificate"
    )
    drill_parser.add_argument("--connect-timeout", type=_positive, default=10, help="seconds to reach the copy's port")
    drill_parser.add_argument("--rto-minutes", type=_minutes, default=60)
    drill_parser.add_argument("--rpo-minutes", type=_minutes, default=DEFAULT_RPO_MINUTES)
    drill_parser.add_argument("--timeout", type=_positive, default=3600, help="seconds to wait for each step")
    drill_parser.add_argument("--poll-seconds", type=_poll, default=30, help="how often to look (at least 1)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)  # usage errors exit 2 (argparse)
    try:
        outputs = StackOutputs.load(args.outputs)
        if args.command == "failover":
            return _failover(outputs, args)
        if args.command == "restore-drill":
            return _drill(outputs, args)
        return _audit(outputs, args)
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        return Exit.BAD_INPUT
    except RefusedError as refusal:
        print(f"refused: {refusal}", file=sys.stderr)
        return Exit.REFUSED
    except FailedError as failure:
        print(f"failed: {failure}", file=sys.stderr)
        return Exit.FAILED
    except NoCredentialsError:
        print("error: no AWS credentials: set AWS_PROFILE or sign in (aws sso login)", file=sys.stderr)
        return Exit.AWS_ERROR
    except ClientError as error:
        info = error.response.get("Error", {})
        print(f"error: {info.get('Code', 'AWS error')}: {info.get('Message', str(error))}", file=sys.stderr)
        return Exit.AWS_ERROR
    except BotoCoreError as error:  # no endpoint, connection failures, bad region names
        print(f"error: {error}", file=sys.stderr)
        return Exit.AWS_ERROR
    except OSError as error:  # a local failure: a file, a socket outside botocore
        print(f"error: {error}", file=sys.stderr)
        return Exit.UNEXPECTED
    except Exception as error:  # a bug: its traceback, and never exit 1 (which means "target missed")
        traceback.print_exc()
        print(f"error: unexpected {type(error).__name__}: {error}", file=sys.stderr)
        return Exit.UNEXPECTED


def _audit(outputs: StackOutputs, args: argparse.Namespace) -> int:
    result = audit(outputs, min_backup_days=args.min_backup_days, allow_public_endpoint=args.allow_public_endpoint)
    if args.format == "json":
        print(json.dumps(result.as_dict(), indent=2))
    else:
        print("\n".join(render_text(result)))
    if result.errors:  # some resources could not be read: the audit is incomplete
        return Exit.AWS_ERROR
    return Exit.TARGET_MISSED if result.findings else Exit.OK


def _failover(outputs: StackOutputs, args: argparse.Namespace) -> int:
    if args.primary_gone and not args.unplanned:
        raise InputError("--primary-gone needs --unplanned: detaching a member loses what it has not received")
    if args.others and not args.primary_gone:
        raise InputError("--others applies to --primary-gone only: a switchover or failover keeps every secondary")
    mode: Mode = "detach-and-promote" if args.primary_gone else "failover" if args.unplanned else "switchover"
    factory = clients.default_client
    plan = make_plan(
        outputs, args.target, client=factory, mode=mode, rpo_minutes=args.rpo_minutes, others_action=args.others
    )
    print("\n".join(plan.describe()))
    check_rpo(plan, force=args.force)
    check_others(plan)
    if args.dry_run:
        print("Dry run: nothing changed.")
        return Exit.OK
    timeline = Timeline()
    try:
        execute(plan, client=factory, timeout_seconds=args.timeout, poll_seconds=args.poll_seconds, timeline=timeline)
    except BaseException:
        if timeline.events:  # what happened before the error, then the error
            print("\n".join(timeline.render()), flush=True)
        raise
    print("\n".join(timeline.render()))
    print("\n".join(aftermath(plan)))
    return Exit.OK if timeline.within_target else Exit.TARGET_MISSED


def _drill(outputs: StackOutputs, args: argparse.Namespace) -> int:
    report = restore_drill(
        outputs,
        args.region,
        client=clients.default_client,
        connect=query.tcp_connect,
        query=query.pg8000_select_one(args.ca_bundle),  # an SSLContext, loaded by _ca_bundle
        point_in_time=args.point_in_time,
        snapshot=args.snapshot,
        instance_class=args.instance_class,
        skip_query=args.skip_query,
        rto_minutes=args.rto_minutes,
        rpo_minutes=args.rpo_minutes,
        timeout_seconds=args.timeout,
        poll_seconds=args.poll_seconds,
        connect_timeout=args.connect_timeout,
        log=lambda line: print(line, flush=True),
    )
    print("\n".join(report.render()))
    return report.exit


if __name__ == "__main__":
    sys.exit(main())

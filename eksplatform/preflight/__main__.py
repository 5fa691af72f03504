"""`eksplatform-preflight <stack>`: what `pulumi up` would create for a stack, and what the policies say.

Runs `__main__.py` under Pulumi's mocks with `Pulumi.<stack>.yaml`, turns the result into a
`pulumi stack export` document, and runs the policy packs over it through the Analyzer gRPC
protocol, as the Pulumi CLI does. With `--state FILE` it analyzes any program's export instead.
With `--base FILE` (the main branch's export) it also reports what would be created, updated,
replaced and deleted, the stateful resources at risk first, and the monthly cost before and after.

Exit status: 0 with no mandatory violation, 1 with one, 2 for a usage, stack-config, state,
policy-pack or output-file error (with one message that names the file, line or option), or
for a cluster past the end of EKS standard support under the STANDARD policy (support_window.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from eksplatform.cost.usage import DEFAULT_USAGE, UsageError, usage_for_stack
from eksplatform.preflight import support_window
from eksplatform.preflight.analyze import PolicyPackError, analyze, read_policy_config
from eksplatform.preflight.diagram import render_mermaid
from eksplatform.preflight.export import State, StateError, export_document, load_state, read_state
from eksplatform.preflight.report import RENDERERS, Run
from eksplatform.preflight.synth import PROJECT_ROOT, StackOutput, synth
from eksplatform.stack.errors import ConfigError
from eksplatform.stack.loading import read_stack_file

DEFAULT_PACK = PROJECT_ROOT / "policies"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="eksplatform-preflight", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("stack", nargs="?", help="stack name: reads Pulumi.<stack>.yaml (not needed with --state)")
    parser.add_argument("--config-file", type=Path, help="use this stack file instead of Pulumi.<stack>.yaml")
    parser.add_argument("--state", type=Path, help="analyze this `pulumi stack export` document instead")
    parser.add_argument("--export", type=Path, help="write the synthesized stack as a `pulumi stack export` document")
    parser.add_argument(
        "--base",
        type=Path,
        help="compare with this `pulumi stack export` (or --export) document: what would change, and the cost",
    )
    parser.add_argument(
        "--policy-pack", type=Path, action="append", help="a policy pack folder (repeatable); default: policies/"
    )
    parser.add_argument("--policy-config", type=Path, help="default: policies/config/<stack>.json")
    parser.add_argument("--diagram", type=Path, help="write a Mermaid diagram of regions and components here")
    parser.add_argument("--format", choices=sorted(RENDERERS), default="text")
    parser.add_argument("--output", type=Path, help="write the report here instead of printing it")
    parser.add_argument(
        "--write",
        action="append",
        default=[],
        metavar="FORMAT:FILE",
        help="also write the same run's report in FORMAT to FILE (repeatable), e.g. sarif:dev.sarif",
    )
    return parser


def _extra_outputs(parser: argparse.ArgumentParser, values: list[str]) -> list[tuple[str, Path]]:
    """--write FORMAT:FILE pairs; a usage error (exit 2) naming the bad one."""
    pairs = []
    for value in values:
        format_name, _, file_name = value.partition(":")
        if format_name not in RENDERERS or not file_name:
            parser.error(f"--write {value!r}: give FORMAT:FILE with FORMAT one of {', '.join(sorted(RENDERERS))}")
        pairs.append((format_name, Path(file_name)))
    return pairs


def _load(args: argparse.Namespace) -> tuple[State, dict[str, StackOutput], str, dict[str, Any]]:
    if args.state is not None:
        state = load_state(args.state)
        return state, state.outputs, str(args.state), {}
    config_file = args.config_file or PROJECT_ROOT / f"Pulumi.{args.stack}.yaml"
    if not config_file.is_file():
        raise StateError(f"no stack file {config_file}")
    graph = synth(args.stack, config_file=config_file)
    document = export_document(graph)
    if args.export is not None:
        _write(args.export, json.dumps(document, indent=2), "--export")
    source = (
        str(config_file.relative_to(PROJECT_ROOT)) if config_file.is_relative_to(PROJECT_ROOT) else str(config_file)
    )
    return read_state(document, "synth"), graph.outputs, source, read_stack_file(config_file)


def _load_base(path: Path, state: State) -> State:
    """The --base export; one message naming the file when it is unreadable or of another stack."""
    try:
        base = load_state(path)
    except StateError as error:
        raise StateError(f"--base {error}") from None
    if (base.project, base.stack) != (state.project, state.stack):
        raise StateError(
            f"--base {path}: an export of {base.project}/{base.stack}, not of {state.project}/{state.stack}; "
            "every URN would differ"
        )
    return base


def _shown(path: Path) -> str:
    path = path.resolve()
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)


class OutputFileError(Exception):
    """A report, diagram or export that cannot be written where the option says."""


def _write(path: Path, text: str, option: str) -> None:
    try:
        path.write_text(text)
    except OSError as error:
        raise OutputFileError(f"cannot write {option} {path}: {error.strerror}") from None


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    extra = _extra_outputs(parser, args.write)
    if args.stack is None and args.state is None:
        parser.print_usage(sys.stderr)
        print("error: give a stack name, or --state FILE", file=sys.stderr)
        return 2
    try:
        state, outputs, source, stack_values = _load(args)
        window = support_window.check(stack_values, support_window.today())
        for finding in window:
            print(f"{finding.level}: {source}: {finding}", file=sys.stderr)
        if any(finding.level == "error" for finding in window):
            return 2
        base = _load_base(args.base, state) if args.base is not None else None
        usage = usage_for_stack(state.stack)  # the budget policy reads the same file
        if usage is not DEFAULT_USAGE:
            print(f"usage: {usage.source}", file=sys.stderr)
        config_path = args.policy_config or DEFAULT_PACK / "config" / f"{state.stack}.json"
        applied = ""
        if config_path.is_file() or args.policy_config:
            config, applied = read_policy_config(config_path), _shown(config_path)
            print(f"policy config: {applied}", file=sys.stderr)
        else:
            config = {}
            print(
                f"warning: stack {state.stack!r} has no policy config ({_shown(config_path)}); "
                "every policy runs at its default level and settings",
                file=sys.stderr,
            )
        packs = [pack.resolve() for pack in args.policy_pack or [DEFAULT_PACK]]
        analysis = analyze(state, packs, config, stack_values)
        if args.diagram is not None:
            _write(args.diagram, render_mermaid(state), "--diagram")
        run = Run(
            state=state,
            analysis=analysis,
            outputs=outputs,
            source=source,
            policy_config=applied,
            analyzed=args.state is not None,
            base=base,
            base_source=str(args.base or ""),
            usage=usage,
        )
        report = RENDERERS[args.format](run)
        if args.output is not None:
            _write(args.output, report + "\n", "--output")
        for format_name, path in extra:
            _write(path, RENDERERS[format_name](run) + "\n", f"--write {format_name}:")
    except (ConfigError, StateError, PolicyPackError, OutputFileError, UsageError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.output is None:
        print(report)
    return 1 if analysis.mandatory else 0


if __name__ == "__main__":
    sys.exit(main())

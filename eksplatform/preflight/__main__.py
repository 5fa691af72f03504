"""`eksplatform-preflight <stack>`: what `pulumi up` would create for a stack, and what the policies say.

Runs the Python program of the project in `--project-dir` (default: the current folder; its
Pulumi.yaml, `__main__.py` and `Pulumi.<stack>.yaml`) under Pulumi's mocks, turns the result into a
`pulumi stack export` document, and runs the policy packs over it (default: the pack installed
with eksplatform) through the Analyzer gRPC protocol, as the Pulumi CLI does. A program's
`pulumi.StackReference`s are answered from `--stack-reference NAME=FILE`. With `--state FILE` it
analyzes any program's export instead. Usage assumptions come from the project's `usage/<stack>.yaml`.
With `--base FILE` (the main branch's export) it also reports what would be created, updated,
replaced and deleted, the stateful resources at risk first, and the monthly cost before and after.

Exit status: 0 with no mandatory violation, 1 with one, 2 for a usage, stack-config, state,
policy-pack or output-file error (with one message that names the file, line or option), or
for a cluster past the end of EKS standard support under the STANDARD policy (support_window.py).
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import sys
import traceback
import warnings
from pathlib import Path
from typing import Any

import pulumi

import eksplatform.policies
from eksplatform.cost.usage import DEFAULT_USAGE, USAGE_ENV, UsageError, usage_for_stack
from eksplatform.policies.stack_config import PLATFORM_PROJECT, path_for
from eksplatform.preflight import stack_reference, support_window
from eksplatform.preflight.analyze import PolicyPackError, analyze, installed, read_policy_config
from eksplatform.preflight.diagram import render_mermaid
from eksplatform.preflight.export import State, StateError, export_document, load_state, read_state
from eksplatform.preflight.mocks import MissingStackReferenceError
from eksplatform.preflight.report import RENDERERS, Run
from eksplatform.preflight.stack_reference import StackReferenceError
from eksplatform.preflight.synth import ProjectError, StackOutput, import_stack_layer, project_name, synth
from eksplatform.stack.errors import ConfigError

DEFAULT_PACK = Path(eksplatform.policies.__file__).resolve().parent
"""The pack installed with eksplatform (in a checkout: policies/)."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="eksplatform-preflight", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("stack", nargs="?", help="stack name: reads Pulumi.<stack>.yaml (not needed with --state)")
    parser.add_argument(
        "--project-dir",
        type=Path,
        default=Path(),
        help="the Pulumi project to run (Pulumi.yaml, __main__.py, Pulumi.<stack>.yaml, usage/); default: .",
    )
    parser.add_argument(
        "--stack-reference",
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="the outputs of stack NAME for the program's StackReference: a `pulumi stack export --show-secrets` "
        "or `pulumi stack output --json --show-secrets` file (repeatable)",
    )
    parser.add_argument("--config-file", type=Path, help="use this stack file instead of Pulumi.<stack>.yaml")
    parser.add_argument("--state", type=Path, help="analyze this `pulumi stack export` document instead")
    parser.add_argument("--export", type=Path, help="write the synthesized stack as a `pulumi stack export` document")
    parser.add_argument(
        "--base",
        type=Path,
        help="compare with this `pulumi stack export` (or --export) document: what would change, and the cost",
    )
    parser.add_argument(
        "--policy-pack",
        type=Path,
        action="append",
        help="a policy pack folder (repeatable); default: the pack installed with eksplatform",
    )
    parser.add_argument(
        "--policy-config",
        type=Path,
        help="default: the project's policies/config/<stack>.json, else (project `platform`) the pack's own",
    )
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


def _stack_references(options: list[str]) -> dict[str, dict[str, StackOutput]]:
    found = {}
    for option in options:
        name, outputs = stack_reference.parse(option)
        missing = stack_reference.withheld(outputs)
        if missing:
            print(
                f"warning: --stack-reference {name}: the secret outputs {', '.join(missing)} have no value in the file "
                "(export it with --show-secrets); the program reads them as null",
                file=sys.stderr,
            )
        found[name] = outputs
    return found


def _project(args: argparse.Namespace) -> Path:
    """The --project-dir to synthesize, checked: one usage error naming what is missing."""
    project_dir: Path = args.project_dir.resolve()
    try:
        project_name(project_dir)
    except ProjectError as error:
        raise ProjectError(f"--project-dir {error}") from None
    return project_dir


def _load(args: argparse.Namespace) -> tuple[State, dict[str, StackOutput], str, dict[str, Any]]:
    if args.state is not None:
        state = load_state(args.state)
        return state, state.outputs, str(args.state), {}
    project_dir = _project(args)
    config_file = args.config_file or project_dir / f"Pulumi.{args.stack}.yaml"
    if not config_file.is_file():
        raise ProjectError(f"no stack file {_shown(config_file, project_dir)} (give --config-file, or another stack)")
    # The stack layer (every component: `import_stack_layer` says why not at the top), here and not
    # inside the synth, so that a broken install is not reported as the program's crash.
    import_stack_layer()
    from eksplatform.stack.loading import read_stack_file

    references = _stack_references(args.stack_reference)
    try:
        graph = synth(args.stack, project_dir=project_dir, config_file=config_file, stack_references=references)
    except (ConfigError, ProjectError, StackReferenceError, MissingStackReferenceError):
        raise
    except pulumi.RunError as error:
        # A component's Args or the program itself refused its input; the message names the field.
        raise ProgramInputError(f"the program refused its input: {error}") from None
    except Exception as error:
        # Anything else is the program's own bug, not its input nor a policy verdict: exit 3.
        where = _where(error, project_dir)
        raise ProgramCrashError(f"the program failed: {type(error).__name__}: {error}{where}") from None
    document = export_document(graph)
    if args.export is not None:
        _write(args.export, json.dumps(document, indent=2), "--export")
    return read_state(document, "synth"), graph.outputs, _shown(config_file, project_dir), read_stack_file(config_file)


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


def _shown(path: Path, project_dir: Path) -> str:
    path = path.resolve()
    return str(path.relative_to(project_dir)) if path.is_relative_to(project_dir) else str(path)


def _policy_config_path(args: argparse.Namespace, project_dir: Path, state: State) -> Path:
    """--policy-config; else the project's own policies/config/<stack>.json; else, for this
    platform's own stacks only, the installed pack's config/<stack>.json (another program's `dev`
    is not the platform's `dev`)."""
    if args.policy_config is not None:
        return Path(args.policy_config)
    own = project_dir / "policies" / "config" / f"{state.stack}.json"
    if own.is_file() or state.project != PLATFORM_PROJECT:
        return own
    return path_for(state.stack)


class ProgramInputError(Exception):
    """The program raised `pulumi.RunError` (a component's bad Args among them): an input error."""


class ProgramCrashError(Exception):
    """The program raised anything else: a bug in it, not a policy verdict (exit 3)."""


def _where(error: BaseException, project_dir: Path) -> str:
    """` (at __main__.py, line 12)`: the innermost frame of the program's own files (under the
    resolved `project_dir`), if any."""
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        path = Path(frame.filename).resolve()
        if path.is_relative_to(project_dir):
            return f" (at {path.relative_to(project_dir)}, line {frame.lineno})"
    return ""


def _policy_sdk_missing(packs: list[Path]) -> bool:
    """An installed pack runs with this interpreter, which then needs the `policy` extra."""
    return any(installed(pack) for pack in packs) and importlib.util.find_spec("pulumi_policy") is None


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
    packs = [pack.resolve() for pack in args.policy_pack or [DEFAULT_PACK]]
    if _policy_sdk_missing(packs):
        print(
            "error: preflight runs the policy pack, which needs the `policy` extra: pip install 'eksplatform[policy]'",
            file=sys.stderr,
        )
        return 2
    try:
        state, outputs, source, stack_values = _load(args)
        window = support_window.check(stack_values, support_window.today())
        for finding in window:
            print(f"{finding.level}: {source}: {finding}", file=sys.stderr)
        if any(finding.level == "error" for finding in window):
            return 2
        base = _load_base(args.base, state) if args.base is not None else None
        project_dir = args.project_dir.resolve()
        usage_dir = project_dir / "usage"
        usage = usage_for_stack(state.stack, usage_dir)  # the budget policy reads the same file
        if usage is not DEFAULT_USAGE:
            print(f"usage: {usage.source}", file=sys.stderr)
        config_path = _policy_config_path(args, project_dir, state)
        applied = ""
        if config_path.is_file() or args.policy_config:
            config, applied = read_policy_config(config_path), _shown(config_path, project_dir)
            print(f"policy config: {applied}", file=sys.stderr)
        else:
            config = {}
            print(
                f"warning: stack {state.stack!r} has no policy config ({_shown(config_path, project_dir)}); "
                "every policy runs at its default level and settings",
                file=sys.stderr,
            )
        analysis = analyze(state, packs, config, stack_values, environment={USAGE_ENV: str(usage_dir)})
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
            project_dir=project_dir,
        )
        report = RENDERERS[args.format](run)
        if args.output is not None:
            _write(args.output, report + "\n", "--output")
        for format_name, path in extra:
            _write(path, RENDERERS[format_name](run) + "\n", f"--write {format_name}:")
    except (
        ConfigError,
        StateError,
        PolicyPackError,
        OutputFileError,
        UsageError,
        ProjectError,
        StackReferenceError,
        MissingStackReferenceError,
        ProgramInputError,
    ) as error:
        # A program that failed leaves the SDK's coroutines unawaited; the error above says why.
        warnings.filterwarnings("ignore", "coroutine .* was never awaited", RuntimeWarning)
        print(f"error: {error}", file=sys.stderr)
        return 2
    except ProgramCrashError as error:
        warnings.filterwarnings("ignore", "coroutine .* was never awaited", RuntimeWarning)
        print(f"error: {error}", file=sys.stderr)
        return 3
    if args.output is None:
        print(report)
    return 1 if analysis.mandatory else 0


if __name__ == "__main__":
    status = main()
    # The process ends here: at its exit the interpreter's last garbage collections would walk
    # every object the SDKs and the run made (about 1 s of CPU after a synth) for memory the
    # system takes back anyway. Frozen, they are left out; streams are flushed as before.
    gc.freeze()
    sys.exit(status)

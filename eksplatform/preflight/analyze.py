"""Run policy packs over a stack the way the Pulumi CLI does: over the Analyzer gRPC protocol.

Each pack is started as its own process, as the Pulumi CLI starts it (Python: `python -u -m
pulumi.policy <engine> <pack>` in the pack's folder, with the pack's virtualenv when it has one; Node.js:
`node <pack>`), prints the port it serves on, and is asked, in the CLI's order:
GetAnalyzerInfo, Configure (the stack's policy config), Analyze for every resource, then
AnalyzeStack once with every resource, parents and dependencies included.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import yaml
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

import eksplatform.policies
from eksplatform.preflight.export import WITHHELD, State, StateResource
from eksplatform.preflight.export_format import SECRET_SIG
from eksplatform.preflight.synth import PROJECT_ROOT

STARTUP_SECONDS = 60
_LEVELS = {
    analyzer_pb2.ADVISORY: "advisory",
    analyzer_pb2.MANDATORY: "mandatory",
    analyzer_pb2.DISABLED: "disabled",
    analyzer_pb2.REMEDIATE: "remediate",
}
_LEVEL_VALUES = {name: value for value, name in _LEVELS.items()}
_SEVERITIES = {
    analyzer_pb2.POLICY_SEVERITY_LOW: "low",
    analyzer_pb2.POLICY_SEVERITY_MEDIUM: "medium",
    analyzer_pb2.POLICY_SEVERITY_HIGH: "high",
    analyzer_pb2.POLICY_SEVERITY_CRITICAL: "critical",
}


class PolicyPackError(RuntimeError):
    """A pack that cannot be started or answered wrongly; the message says which and why."""


@dataclass(frozen=True)
class Violation:
    policy_pack: str
    policy_name: str
    enforcement_level: str
    urn: str
    message: str
    severity: str = ""
    description: str = ""
    remediation: str = ""
    """The policy's remediation steps (PolicyInfo.remediation_steps), when it gives them."""
    reference: str = ""
    """The control the policy implements (PolicyInfo.framework.reference), when it names one."""


@dataclass(frozen=True)
class Remediation:
    """What a policy at enforcement level `remediate` would change on one resource."""

    policy_pack: str
    policy_name: str
    urn: str
    changed: tuple[str, ...]
    """The top-level inputs whose value the remediation changes."""


@dataclass(frozen=True)
class PackResult:
    name: str
    version: str
    policies: tuple[str, ...]


@dataclass(frozen=True)
class Analysis:
    packs: list[PackResult]
    violations: list[Violation]
    remediations: list[Remediation] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    """What would stop the Pulumi CLI from running a pack as preflight ran it (e.g. its virtualenv)."""

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations if v.enforcement_level == "mandatory"]


def _virtualenv_python(pack: Path, runtime: Any) -> Path | None:
    """The python of the pack's virtualenv (PulumiPolicy.yaml `runtime.options.virtualenv`), None
    when it names none or the pack is installed: an installed pack's `../.venv` belongs to the
    checkout it was built from, and this interpreter (which installed it) runs it."""
    if installed(pack):
        return None
    options = runtime.get("options") if isinstance(runtime, Mapping) else None
    virtualenv = options.get("virtualenv") if isinstance(options, Mapping) else None
    if not isinstance(virtualenv, str):
        return None
    # absolute, never resolve(): a venv's python is a symlink to the base interpreter, and
    # following it would leave the venv (and its packages) behind.
    return Path(os.path.abspath(pack / virtualenv / "bin" / "python"))


def installed(pack: Path) -> bool:
    """Is the pack folder inside this interpreter's site-packages (the wheel's eksplatform/policies)?
    Its PulumiPolicy.yaml names the checkout's `../.venv`, which an installed package has not: the
    interpreter that installed it has pulumi-policy (the `[policy]` extra) and eksplatform."""
    resolved = pack.resolve()
    libraries = {sysconfig.get_paths()[key] for key in ("purelib", "platlib")}
    if any(resolved.is_relative_to(Path(library).resolve()) for library in libraries):
        return True
    # A `pip install --user` or `--target` puts it elsewhere: the eksplatform this interpreter
    # imports, outside a checkout (whose policies/ sits beside pyproject.toml).
    imported = Path(eksplatform.policies.__file__).resolve().parent
    return resolved == imported and not (resolved.parent / "pyproject.toml").is_file()


def _python(pack: Path, runtime: Any) -> str:
    """The pack's virtualenv python, else ours (always ours for an installed pack)."""
    python = _virtualenv_python(pack, runtime)
    return str(python) if python is not None and python.is_file() else sys.executable


# Run by the pack's virtualenv python the way the CLI's runtime would import the pack: the pack's
# folder first on the import path, then the SDK and the pack's own package.
_IMPORT_CHECK = (
    "import importlib.util, sys; sys.path.insert(0, sys.argv[1]); import pulumi_policy; "
    "spec = importlib.util.find_spec('eksplatform.policies'); print(spec.origin if spec and spec.origin else '')"
)


def runtime_problem(pack: Path, python: Path | None = None) -> str | None:
    """Why the Pulumi CLI could not run this pack as preflight is about to, or None: the virtualenv
    PulumiPolicy.yaml names is missing, lacks pulumi-policy, or (for this checkout's pack) imports
    the rules from somewhere other than this checkout. preflight itself still runs the checkout's
    code, but says so instead of hiding a CLI setup that would fail."""
    pack = pack.resolve()
    manifest = pack / "PulumiPolicy.yaml"
    runtime = yaml.safe_load(manifest.read_text()).get("runtime") if manifest.is_file() else None
    name = runtime.get("name") if isinstance(runtime, Mapping) else runtime
    if name != "python":
        return None
    python = python or _virtualenv_python(pack, runtime)
    if python is None:
        return None  # the CLI uses the python on PATH (an installed pack: this interpreter); nothing to check
    if not python.is_file():
        return (
            f"{pack}: its virtualenv {python.parent.parent} does not exist, so `pulumi up --policy-pack` would "
            f"fail to start it; create it (python -m venv {python.parent.parent} and install the project's "
            "requirements.txt into it)"
        )
    try:
        answer = subprocess.run(
            [str(python), "-c", _IMPORT_CHECK, str(pack)],
            capture_output=True,
            text=True,
            timeout=STARTUP_SECONDS,
            cwd=str(pack),  # the CLI starts the pack in its folder
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"{pack}: its virtualenv python {python} does not run ({error})"
    if answer.returncode != 0:
        last = (answer.stderr.strip().splitlines() or ["no output"])[-1]
        return (
            f"{pack}: its virtualenv {python.parent.parent} cannot import the pack ({last}); install requirements.txt"
        )
    origin = answer.stdout.strip()
    if pack.is_relative_to(PROJECT_ROOT) and not (origin and Path(origin).resolve().is_relative_to(PROJECT_ROOT)):
        return (
            f"{pack}: its virtualenv {python.parent.parent} imports the rules from {origin or 'nowhere'}, not this "
            f"checkout ({PROJECT_ROOT}); run `pip install -e .` in it"
        )
    return None


def pack_command(pack: Path) -> list[str]:
    """How the CLI would start the pack, from its PulumiPolicy.yaml runtime."""
    pack = pack.resolve()  # the pack runs in its own folder: a relative path would point elsewhere
    manifest = pack / "PulumiPolicy.yaml"
    if not manifest.is_file():
        raise PolicyPackError(f"{pack}: no PulumiPolicy.yaml; is this a policy pack folder?")
    runtime = yaml.safe_load(manifest.read_text()).get("runtime")
    name = runtime.get("name") if isinstance(runtime, Mapping) else runtime
    if name == "python":
        # The CLI's pulumi-analyzer-policy-python shim: `python -u -m pulumi.policy <engine> <pack>`
        # (pulumi/policy/__main__.py runs the folder with runpy). No engine here: a placeholder.
        return [_python(pack, runtime), "-u", "-m", "pulumi.policy", "127.0.0.1:0", str(pack)]
    if name == "nodejs":
        return ["node", str(pack)]
    raise PolicyPackError(f"{pack}: runtime {name!r} is not supported (python or nodejs)")


def _environment(pack: Path, fallback: bool, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The CLI's environment (plus `extra`, e.g. where the project's usage files are). Only when
    the pack's own virtualenv cannot run this checkout's pack (`runtime_problem`, reported as a
    warning) does preflight put the checkout on PYTHONPATH, so that it still analyses the code in
    front of it."""
    environment = {**os.environ, **(extra or {})}
    if fallback and pack.resolve().is_relative_to(PROJECT_ROOT):
        environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), environment.get("PYTHONPATH")]))
    return environment


@contextmanager
def running_pack(
    pack: Path, warnings: list[str] | None = None, environment: Mapping[str, str] | None = None
) -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    """The pack started as the CLI starts it; what would stop the CLI is appended to `warnings`."""
    problem = runtime_problem(pack)
    if problem is not None and warnings is not None:
        warnings.append(problem)
    command = pack_command(pack)
    if problem is not None:
        command[0] = sys.executable  # ours has pulumi-policy; the checkout comes by PYTHONPATH
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=str(pack.resolve()),
        env=_environment(pack, fallback=problem is not None, extra=environment),
    )
    try:
        port = _read_port(process, pack)
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(channel).result(timeout=STARTUP_SECONDS)
        try:
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
        finally:
            channel.close()
    finally:
        process.kill()
        process.wait(timeout=STARTUP_SECONDS)


def _read_port(process: subprocess.Popen[str], pack: Path) -> int:
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(process.stdout.readline() if process.stdout else ""))
    reader.start()
    reader.join(STARTUP_SECONDS)
    text = line[0].strip() if line else ""
    if not text.isdigit():
        process.kill()
        errors = process.stderr.read()[-2000:] if process.stderr else ""
        raise PolicyPackError(f"{pack}: the pack did not print its port (got {text!r}); its errors:\n{errors}")
    return int(text)


def _wire(value: Any) -> Any:
    """Export-form secrets become the wire form the SDKs unwrap; their text stays withheld."""
    if isinstance(value, dict):
        if SECRET_SIG in value:
            return {SECRET_SIG: value[SECRET_SIG], "value": value.get("plaintext", WITHHELD)}
        return {key: _wire(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_wire(item) for item in value]
    return value


def _struct(values: Mapping[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(_wire(dict(values)))
    return message


def _providers(state: State) -> dict[str, analyzer_pb2.AnalyzerProviderResource]:
    """Every provider of the state as the requests carry it, built once."""
    return {
        provider.urn: analyzer_pb2.AnalyzerProviderResource(
            type=provider.type, properties=_struct(provider.inputs), urn=provider.urn, name=provider.name
        )
        for provider in state.resources
        if provider.type.startswith("pulumi:providers:")
    }


def _options(resource: StateResource) -> analyzer_pb2.AnalyzerResourceOptions:
    return analyzer_pb2.AnalyzerResourceOptions(protect=resource.protect, parent=resource.parent)


def _policy_config(config: Mapping[str, Any], info: analyzer_pb2.AnalyzerInfo) -> dict[str, analyzer_pb2.PolicyConfig]:
    """The pack's own initial config (e.g. awsguard's `all: mandatory`), then the stack's on top,
    as the CLI applies them."""
    defaults = {policy.name: policy.enforcementLevel for policy in info.policies}
    initial = dict(info.initialConfig)
    if "all" in initial:
        defaults = dict.fromkeys(defaults, initial["all"].enforcementLevel)
    wire: dict[str, analyzer_pb2.PolicyConfig] = {}
    for name, entry in initial.items():
        if name in defaults:
            defaults[name] = entry.enforcementLevel
            wire[name] = analyzer_pb2.PolicyConfig(enforcementLevel=entry.enforcementLevel, properties=entry.properties)
    for name, entry in config.items():
        if name not in defaults:
            continue  # a knob of another pack
        level = defaults[name]
        properties: dict[str, Any] = {}
        if isinstance(entry, str):
            level = _LEVEL_VALUES.get(entry, level)
        elif isinstance(entry, Mapping):
            level = _LEVEL_VALUES.get(str(entry.get("enforcementLevel")), level)
            properties = {key: value for key, value in entry.items() if key != "enforcementLevel"}
        wire[name] = analyzer_pb2.PolicyConfig(enforcementLevel=level, properties=_struct(properties))
    for name, level in defaults.items():
        wire.setdefault(name, analyzer_pb2.PolicyConfig(enforcementLevel=level))
    return wire


def config_problems(config: Mapping[str, Any], infos: Sequence[analyzer_pb2.AnalyzerInfo]) -> list[str]:
    """A policy config checked against the packs' own schemas: a policy no pack has, a setting the
    policy does not have, or a value of the wrong type is named, never silently ignored."""
    schemas = {policy.name: policy.configSchema for info in infos for policy in info.policies}
    problems = []
    for name, entry in config.items():
        if name not in schemas:
            problems.append(f"{name}: no policy of that name in {', '.join(i.name for i in infos)}")
            continue
        if isinstance(entry, str):
            if entry not in _LEVEL_VALUES:
                problems.append(f"{name}: {entry!r} is not an enforcement level ({', '.join(_LEVEL_VALUES)})")
            continue
        if not isinstance(entry, Mapping):
            problems.append(f"{name}: give an enforcement level or an object of settings")
            continue
        level = entry.get("enforcementLevel")
        if level is not None and level not in _LEVEL_VALUES:
            problems.append(f"{name}: enforcementLevel {level!r} is not one of {', '.join(_LEVEL_VALUES)}")
        known = set(schemas[name].properties)
        for key in entry:
            if key != "enforcementLevel" and key not in known:
                problems.append(f"{name}: unknown setting {key!r}; known: {', '.join(sorted(known)) or 'none'}")
    return problems


def _violations(
    diagnostics: Sequence[analyzer_pb2.AnalyzeDiagnostic],
    default_urn: str,
    policies: Mapping[str, analyzer_pb2.PolicyInfo],
) -> list[Violation]:
    found = []
    for diagnostic in diagnostics:
        # The SDK prefixes the policy's description to each message; keep the message itself.
        message = diagnostic.message
        info = policies.get(diagnostic.policyName)
        description = info.description if info is not None and info.description else diagnostic.description
        if description and message.startswith(description + "\n"):
            message = message[len(description) + 1 :]
        found.append(
            Violation(
                policy_pack=diagnostic.policyPackName,
                policy_name=diagnostic.policyName,
                enforcement_level=_LEVELS.get(diagnostic.enforcementLevel, "advisory"),
                urn=diagnostic.urn or default_urn,
                message=message,
                severity=_SEVERITIES.get(diagnostic.severity, ""),
                description=description,
                remediation=info.remediation_steps if info is not None else "",
                reference=info.framework.reference if info is not None and info.HasField("framework") else "",
            )
        )
    return found


def _stack_config(values: Mapping[str, Any]) -> dict[str, str]:
    """Stack config as the engine sends it: strings, objects as JSON."""
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in values.items()}


def analyze_pack(
    state: State,
    pack: Path,
    config: Mapping[str, Any],
    stack_config: Mapping[str, Any] | None = None,
    warnings: list[str] | None = None,
    environment: Mapping[str, str] | None = None,
) -> tuple[PackResult, list[Violation], list[Remediation]]:
    with running_pack(pack, warnings, environment) as analyzer:
        info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
        ours = {name: entry for name, entry in config.items() if name in {p.name for p in info.policies}}
        problems = config_problems(ours, [info])
        if problems:
            raise PolicyPackError(f"{pack}: the policy config does not fit the pack: " + "; ".join(problems))
        wire = _policy_config(config, info)
        try:
            analyzer.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig=wire))
            analyzer.ConfigureStack(
                analyzer_pb2.AnalyzerStackConfigureRequest(
                    stack=state.stack, project=state.project, config=_stack_config(stack_config or {})
                )
            )
        except grpc.RpcError as error:
            raise PolicyPackError(f"{pack}: the pack refused its config: {error.details()}") from None
        remediating = [name for name, entry in wire.items() if entry.enforcementLevel == analyzer_pb2.REMEDIATE]
        remediations: list[Remediation] = []
        policies = {policy.name: policy for policy in info.policies}
        violations: list[Violation] = []
        pending: list[tuple[str, Any]] = []
        providers = _providers(state)
        stack_resources = []
        for resource in state.resources:
            if not resource.custom:
                continue  # the CLI analyzes what a provider creates, not components
            properties = _struct(resource.inputs)
            provider = providers.get(resource.provider_urn)
            request = analyzer_pb2.AnalyzeRequest(
                type=resource.type,
                properties=properties,
                urn=resource.urn,
                name=resource.name,
                options=_options(resource),
                provider=provider,
            )
            # Sent without waiting for each answer (the pack serves several at once); read in order.
            pending.append((resource.urn, analyzer.Analyze.future(request)))
            if remediating:
                remediations += _remediations(analyzer, request, resource.inputs, info.name)
            stack_resources.append(
                analyzer_pb2.AnalyzerResource(
                    type=resource.type,
                    properties=properties,
                    urn=resource.urn,
                    name=resource.name,
                    options=_options(resource),
                    provider=provider,
                    parent=resource.parent,
                    dependencies=resource.dependencies,
                    propertyDependencies={
                        key: analyzer_pb2.AnalyzerPropertyDependencies(urns=urns)
                        for key, urns in resource.property_dependencies.items()
                    },
                )
            )
        for urn, answer in pending:
            violations += _violations(answer.result().diagnostics, urn, policies)
        response = analyzer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=stack_resources))
        violations += _violations(response.diagnostics, "", policies)
        result = PackResult(name=info.name, version=info.version, policies=tuple(p.name for p in info.policies))
        return result, violations, remediations


def _remediations(
    analyzer: analyzer_pb2_grpc.AnalyzerStub, request: analyzer_pb2.AnalyzeRequest, inputs: Mapping[str, Any], pack: str
) -> list[Remediation]:
    found = []
    for remediation in analyzer.Remediate(request).remediations:
        if remediation.diagnostic:
            continue  # could not run during preview
        fixed = json_format.MessageToDict(remediation.properties)
        changed = tuple(sorted(key for key in {*fixed, *inputs} if fixed.get(key) != inputs.get(key)))
        found.append(Remediation(pack, remediation.policyName, request.urn, changed))
    return found


def analyze(
    state: State,
    packs: Sequence[Path],
    config: Mapping[str, Any],
    stack_config: Mapping[str, Any] | None = None,
    environment: Mapping[str, str] | None = None,
) -> Analysis:
    """`environment`: added to each pack's environment (preflight names the project's usage folder)."""
    results, violations, remediations = [], [], []
    warnings: list[str] = []
    for pack in packs:
        result, found, fixed = analyze_pack(state, pack, config, stack_config, warnings, environment)
        results.append(result)
        violations += found
        remediations += fixed
    known = {name for result in results for name in result.policies}
    unknown = [name for name in config if name not in known]
    if unknown:
        raise PolicyPackError(
            f"the policy config names policies no pack has: {', '.join(unknown)} "
            f"(packs: {', '.join(result.name for result in results)})"
        )
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return Analysis(packs=results, violations=violations, remediations=remediations, warnings=warnings)


def read_policy_config(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise PolicyPackError(f"{path}: cannot read the policy config ({error})") from None
    if not isinstance(document, dict):
        raise PolicyPackError(f"{path}: a policy config is a JSON object keyed by policy name")
    return document

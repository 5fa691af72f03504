"""SARIF 2.1.0 for GitHub code scanning: one result per violation, located where a reviewer can
act on it, with a fingerprint that follows the same finding from run to run.

GitHub's rules (docs.github.com, "SARIF support for code scanning"): a result's location must be
a file in the repository with a line, or the alert lands on the file's first line; results are
matched across runs by `partialFingerprints.primaryLocationLineHash` (ours, see LINE_HASH_KEY); a rule shows
`fullDescription` and `help` on the alert, and `properties.security-severity` (a number 0.0-10.0
as a string: over 9.0 critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low) ranks it, for rules
tagged `security`.

Where a violation is located:
- a resource built by one of this project's components: the line in that component's module that
  names the child (`f"{name}-<suffix>"`, the child's name after its parent's), else the line of
  the component's class (the nearest ancestor `platform:index:<Class>` the source declares);
- anything else, and stack policies: the stack file, at the line of the config key the message
  names (`platform:regions`, say), else at `config:`;
- an analyzed export (--state): that file, line 1.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from eksplatform.preflight.analyze import Violation
from eksplatform.preflight.export import State

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "preflightFinding/v1"
"""Our own partialFingerprints key: the stack, the policy and the resource, nothing that moves."""
LINE_HASH_KEY = "primaryLocationLineHash"
"""The only partialFingerprints key code scanning matches alerts by (GitHub, "SARIF support for code
scanning"); upload-sarif computes it from the located line's text unless the file already has it,
which would merge every finding located on one line. So ours goes there too."""

SECURITY_SEVERITY = {"low": "3.0", "medium": "5.5", "high": "8.0", "critical": "9.5"}
"""A policy's severity as GitHub's security-severity score (the middle of each documented band)."""

_COMPONENT_TYPE = re.compile(r"""super\(\).__init__\(\s*["'](platform:index:\w+)["']""")
_CLASS = re.compile(r"^class \w+\(")


@dataclass(frozen=True)
class Location:
    uri: str
    """Relative to the repository root, with forward slashes."""
    line: int


def component_lines(root: Path) -> dict[str, Location]:
    """Each component type token declared under root/components -> the line of its class."""
    found: dict[str, Location] = {}
    for path in sorted((root / "components").rglob("*.py")):
        class_line = 0
        for number, text in enumerate(path.read_text().splitlines(), start=1):
            if _CLASS.match(text):
                class_line = number
            match = _COMPONENT_TYPE.search(text)
            if match and match.group(1) not in found:
                found[match.group(1)] = Location(path.relative_to(root).as_posix(), class_line or number)
    return found


@functools.cache
def _component_lines_cached(root: Path) -> dict[str, Location]:
    return component_lines(root)


def config_key_lines(text: str) -> dict[str, int]:
    """Each key under the stack file's `config:` (and `config:` itself) -> its 1-based line."""
    try:
        document = yaml.compose(text)
    except yaml.YAMLError:
        return {}
    lines: dict[str, int] = {}
    if not isinstance(document, yaml.MappingNode):
        return lines
    for key, value in document.value:
        if key.value != "config":
            continue
        lines["config"] = key.start_mark.line + 1
        if isinstance(value, yaml.MappingNode):
            for config_key, _ in value.value:
                lines[str(config_key.value)] = config_key.start_mark.line + 1
    return lines


def config_line(message: str, lines: Mapping[str, int]) -> int:
    """The line of the first config key the message names (`platform:regions` or `regions`)."""
    for key, line in lines.items():
        if key == "config":
            continue
        bare = key.split(":", 1)[-1]
        if re.search(rf"(?<![\w:.-]){re.escape(key)}(?![\w-])", message) or re.search(
            rf"(?<![\w:.-]){re.escape(bare)}(?![\w-])", message
        ):
            return line
    return lines.get("config", 1)


def fingerprint(project: str, stack: str, policy: str, urn: str, occurrence: int = 0) -> str:
    """Stable for one finding: the same stack, policy and resource give the same value on every run
    (`occurrence` tells apart two messages of one policy on one resource, in the pack's order)."""
    parts = (project, stack, policy, urn, str(occurrence))
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


class Locator:
    """Where each violation of one run is shown."""

    def __init__(self, state: State, source: str, root: Path, analyzed: bool) -> None:
        self._state = state
        self._source = source or f"Pulumi.{state.stack}.yaml"
        self._analyzed = analyzed
        self._root = root
        self._parents = {r.urn: r.parent for r in state.resources}
        self._types = {r.urn: r.type for r in state.resources}
        self._components = _component_lines_cached(root) if not analyzed else {}
        stack_file = root / self._source
        text = stack_file.read_text() if not analyzed and stack_file.is_file() else ""
        self._config = config_key_lines(text)

    def locate(self, violation: Violation) -> Location:
        if self._analyzed:
            return Location(self._source, 1)
        urn, child, seen = violation.urn, "", set()
        while urn and urn not in seen:
            seen.add(urn)
            found = self._components.get(self._types.get(urn, ""))
            if found is not None:
                return self._child_line(found, _name(urn), _name(child)) if child else found
            urn, child = self._parents.get(urn, ""), urn
        return Location(self._source, config_line(violation.message, self._config))

    def _child_line(self, component: Location, parent: str, child: str) -> Location:
        """The line after the component's class that names `child` as `f"{name}-<suffix>"`."""
        if not child.startswith(parent + "-"):
            return component
        wanted = f'-{child[len(parent) + 1 :]}"'
        for number, text in enumerate(_lines(self._root / component.uri), start=1):
            if number > component.line and "{" in text and wanted in text:
                return Location(component.uri, number)
        return component


def _name(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


@functools.cache
def _lines(path: Path) -> tuple[str, ...]:
    return tuple(path.read_text().splitlines())


def _rule(violation: Violation) -> dict[str, Any]:
    description = violation.description or violation.policy_name
    help_text = violation.remediation or f"Change the stack so that it satisfies: {description}"
    markdown = f"**{violation.policy_name}** ({violation.severity or 'unrated'})\n\n{description}\n\n{help_text}"
    if violation.reference:
        markdown += f"\n\nControl: {violation.reference}"
    properties: dict[str, Any] = {
        "policyPack": violation.policy_pack,
        "severity": violation.severity,
        "tags": ["security", "pulumi-policy", violation.policy_pack],
    }
    if violation.severity in SECURITY_SEVERITY:
        properties["security-severity"] = SECURITY_SEVERITY[violation.severity]
    if violation.reference:
        properties["control"] = violation.reference
    return {
        "id": violation.policy_name,
        "name": violation.policy_name,
        "shortDescription": {"text": description.splitlines()[0][:1024] if description else violation.policy_name},
        "fullDescription": {"text": description},
        "help": {"text": help_text, "markdown": markdown},
        "defaultConfiguration": {"level": "error" if violation.enforcement_level == "mandatory" else "warning"},
        "properties": properties,
    }


def _result(state: State, violation: Violation, where: Location, rule_index: int, occurrence: int) -> dict[str, Any]:
    finding = fingerprint(state.project, state.stack, violation.policy_name, violation.urn, occurrence)
    logical = violation.urn or f"{state.project}/{state.stack}"
    return {
        "ruleId": violation.policy_name,
        "ruleIndex": rule_index,
        "level": "error" if violation.enforcement_level == "mandatory" else "warning",
        "message": {"text": f"{violation.urn or f'stack {state.stack}'}: {violation.message}"},
        "locations": [
            {
                "physicalLocation": {"artifactLocation": {"uri": where.uri}, "region": {"startLine": where.line}},
                "logicalLocations": [{"fullyQualifiedName": logical, "kind": "resource"}],
            }
        ],
        "partialFingerprints": {LINE_HASH_KEY: finding, FINGERPRINT_KEY: finding},
        "properties": {"stack": state.stack, "urn": violation.urn, "enforcementLevel": violation.enforcement_level},
    }


def render(
    state: State, violations: list[Violation], source: str, root: Path, analyzed: bool, run_properties: dict[str, Any]
) -> str:
    """The SARIF document of one run."""
    locator = Locator(state, source, root, analyzed)
    rules: dict[str, dict[str, Any]] = {}
    for violation in violations:
        rules.setdefault(violation.policy_name, _rule(violation))
    rule_ids = list(rules)
    results = []
    seen: dict[tuple[str, str], int] = {}
    for violation in violations:
        key = (violation.policy_name, violation.urn)
        seen[key] = seen.get(key, -1) + 1
        results.append(_result(state, violation, locator.locate(violation), rule_ids.index(key[0]), seen[key]))
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "preflight",
                        "informationUri": "https://www.pulumi.com/docs/iac/using-pulumi/crossguard/",
                        "rules": list(rules.values()),
                    }
                },
                "results": results,
                # SARIF's property bag: code scanning ignores it, tools reading the file get it.
                "properties": run_properties,
            }
        ],
    }
    return json.dumps(document, indent=2)

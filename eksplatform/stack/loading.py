"""Reading a stack's config into the validated models of `eksplatform/stack/config.py`.

`Pulumi.<stack>.yaml` holds camelCase keys under the `platform:` namespace. They are read once,
here, into frozen pydantic models; components take these plain values and never read
`pulumi.Config` themselves. Every problem is reported at once, as a list of key paths in the
YAML's own spelling (`regions[1].vpc.cidr: ...`), through `ConfigError`.

Entry points:
- `stack_config_from_pulumi()`   inside a Pulumi program (`__main__.py`)
- `load_stack_file(path)`        reads a `Pulumi.<stack>.yaml` directly (tests, preflight)
- `parse_stack_config(mapping)`  validates an already-loaded mapping of the namespace's keys
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pydantic import ValidationError

from eksplatform.pulumi_internals import all_config
from eksplatform.stack.config import StackConfig
from eksplatform.stack.cross_region import CrossRegionError, cross_region_issues
from eksplatform.stack.errors import ConfigError, ConfigIssue, KeyedValueError

CONFIG_NAMESPACE = "platform"

# --- reading and reporting -----------------------------------------------------------------


def _format_path(location: tuple[str | int, ...]) -> str:
    path = ""
    for part in location:
        if part == "[key]":  # pydantic's marker for "the key itself", already named by the path
            continue
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else part
    return path


def _issues_from(error: ValidationError) -> list[ConfigIssue]:
    issues: list[ConfigIssue] = []
    for detail in error.errors(include_url=False):
        cause = (detail.get("ctx") or {}).get("error")
        if isinstance(cause, CrossRegionError):
            continue  # parse_stack_config reports these from the raw data
        location = tuple(detail["loc"])
        message = detail["msg"]
        if isinstance(cause, KeyedValueError):
            location = location + tuple(_split_key(cause.key))
            message = cause.message
        elif detail["type"] == "extra_forbidden":
            message = "unknown key (check its spelling; keys are camelCase)"
        elif detail["type"] == "value_error":
            message = message.removeprefix("Value error, ")
        elif detail["type"] != "missing" and not isinstance(detail.get("input"), (dict, list)):
            message = f"{message} (got {detail.get('input')!r})"
        issues.append(ConfigIssue(path=_format_path(location), message=message))
    return issues


def _split_key(key: str) -> list[str | int]:
    """'vpc.availabilityZoneIds[1]' -> ['vpc', 'availabilityZoneIds', 1]."""
    parts: list[str | int] = []
    for piece in key.split("."):
        name, *indexes = piece.split("[")
        if name:  # a key may start with an index: "[0]" within a list field
            parts.append(name)
        parts.extend(int(index.rstrip("]")) for index in indexes)
    return parts


def parse_stack_config(data: Mapping[str, Any], source: str = "stack config") -> StackConfig:
    """Validate the namespace's keys (without the `platform:` prefix) into a StackConfig."""
    issues = cross_region_issues(data)
    try:
        config = StackConfig.model_validate(dict(data))
    except ValidationError as error:
        issues = _issues_from(error) + issues
    else:
        if not issues:
            return config
    raise ConfigError(issues, source)


def _namespace_values(raw: Mapping[str, Any], namespace: str) -> dict[str, Any]:
    """Keys of one config namespace, prefix removed; secure values become a marked placeholder."""
    values: dict[str, Any] = {}
    for key, value in raw.items():
        prefix, _, name = str(key).partition(":")
        if prefix != namespace or not name:
            continue
        if isinstance(value, Mapping) and set(value) == {"secure"}:
            value = SECRET_PLACEHOLDER
        values[name] = value
    return values


SECRET_PLACEHOLDER = "[secret: encrypted in the stack file]"


# libyaml's parser when PyYAML was built with it (the wheels are): the pure-Python reader was a
# tenth of a prod synth (benchmarks/README.md, "Test suite"). Same nodes, marks and errors.
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """YAML's safe loader, refusing a key given twice in one mapping (as the Pulumi CLI does)."""


def _mapping_without_duplicates(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        line = key_node.start_mark.line + 1
        if key in seen:
            raise ConfigError(
                [ConfigIssue(path="", message=f"line {line}: duplicate key {key!r} (first at line {seen[key]})")],
                loader.name,
            )
        seen[key] = line
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)

# Namespaces a platform stack file may hold: its own, and the providers' and the engine's.
KNOWN_NAMESPACES = (CONFIG_NAMESPACE, "aws", "kubernetes", "random", "pulumi")


def read_stack_file(path: Path | str) -> dict[str, Any]:
    """The `config:` mapping of a `Pulumi.<stack>.yaml`, every namespace, as written.

    Syntax errors, tabs and duplicate keys are a ConfigError naming the line; a key in a namespace
    one letter off a known one (`plaform:costCenter`) is named instead of silently ignored.
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError([ConfigIssue(path="", message=f"cannot read the file: {error.strerror}")], source) from None
    loader = _StrictLoader(text)
    loader.name = source
    try:
        document = loader.get_single_data() or {}
    except yaml.MarkedYAMLError as error:
        raise ConfigError([ConfigIssue(path="", message=_yaml_problem(error))], source) from None
    except yaml.YAMLError as error:
        raise ConfigError([ConfigIssue(path="", message=f"not valid YAML: {error}")], source) from None
    finally:
        loader.dispose()
    if not isinstance(document, Mapping):
        raise ConfigError([ConfigIssue(path="", message="the file is not a YAML mapping")], source)
    config = document.get("config") or {}
    if not isinstance(config, Mapping):
        raise ConfigError([ConfigIssue(path="config", message="must be a mapping of keys")], source)
    issues = [issue for key in config if (issue := _misspelled_namespace(str(key)))]
    if issues:
        raise ConfigError(issues, source)
    return dict(config)


def _yaml_problem(error: yaml.MarkedYAMLError) -> str:
    mark = error.problem_mark or error.context_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    problem = error.problem or error.context or "not valid YAML"
    if "'\\t'" in problem or "tab character" in problem:
        problem += " (YAML does not allow tabs for indentation; use spaces)"
    return f"{where}{problem}"


def _misspelled_namespace(key: str) -> ConfigIssue | None:
    namespace, separator, name = key.partition(":")
    if not separator or namespace in KNOWN_NAMESPACES:
        return None
    close = difflib.get_close_matches(namespace, KNOWN_NAMESPACES, n=1, cutoff=0.75)
    if not close:
        return None  # another program's namespace, which the engine passes through
    return ConfigIssue(path=key, message=f"unknown namespace {namespace!r}; did you mean '{close[0]}:{name}'?")


def load_stack_file(path: Path | str) -> StackConfig:
    """Read and validate a `Pulumi.<stack>.yaml` without the Pulumi CLI."""
    raw = read_stack_file(path)
    return parse_stack_config(_namespace_values(raw, CONFIG_NAMESPACE), str(path))


def pulumi_config_map(raw: Mapping[str, Any]) -> dict[str, str]:
    """A stack file's config as the engine hands it to a program: values as strings, objects as JSON."""
    flat: dict[str, str] = {}
    for key, value in raw.items():
        if isinstance(value, Mapping) and set(value) == {"secure"}:
            value = SECRET_PLACEHOLDER
        if isinstance(value, str):
            flat[str(key)] = value
        elif isinstance(value, bool):
            flat[str(key)] = "true" if value else "false"
        else:
            flat[str(key)] = json.dumps(value)
    return flat


def stack_config_from_pulumi(project_dir: Path | None = None) -> StackConfig:
    """Read the `platform:` namespace of the running program's config.

    `pulumi.Config` cannot list its keys, and unknown keys must be rejected, so this reads the
    whole config map the engine passed in (PULUMI_CONFIG, or `set_all_config` under mocks).
    With `project_dir`, a copy of a stack is checked against its environment's stack file there
    (`copy_issues`).
    """
    raw = all_config()
    values = {key: _decode(value) for key, value in _namespace_values(raw, CONFIG_NAMESPACE).items()}
    source = f"config of stack {pulumi.get_stack()}"
    config = parse_stack_config(values, source)
    if project_dir is not None:
        issues = copy_issues(config, pulumi.get_stack(), project_dir)
        if issues:
            raise ConfigError(issues, source)
    return config


def copy_issues(config: StackConfig, stack: str, project_dir: Path) -> list[ConfigIssue]:
    """What a copy of a stack (a stack not named after its environment, docs/naming.md) may not
    share with its environment's own stack, read from `Pulumi.<environment>.yaml` in `project_dir`:

    - its VPC CIDRs: the deployer network routes each region's CIDR to one peering (a route per
      route table and destination, components/deployer.py), so an overlapping copy collides there;
    - a region the environment's stack lacks: a copy creates no repositories and pulls from the
      environment's, which exist only in that stack's regions.

    Nothing to check for the environment's own stack, without that file, in another account, or
    when that file is itself invalid (its own run reports that).
    """
    own_file = project_dir / f"Pulumi.{config.environment}.yaml"
    if stack == config.environment or not own_file.is_file():
        return []
    try:
        owner = load_stack_file(own_file)
    except ConfigError:
        return []
    accounts, owner_accounts = set(config.allowed_account_ids), set(owner.allowed_account_ids)
    if accounts and owner_accounts and not accounts & owner_accounts:
        return []  # another account: nothing is shared
    issues: list[ConfigIssue] = []
    owner_regions = {region.name: region for region in owner.regions}
    for index, region in enumerate(config.regions):
        for other in owner.regions:
            if region.vpc.cidr.overlaps(other.vpc.cidr):
                issues.append(
                    ConfigIssue(
                        path=f"regions[{index}].vpc.cidr",
                        message=f"{region.vpc.cidr} overlaps {other.vpc.cidr} of stack {config.environment!r} "
                        f"({own_file.name}, {other.name}); a copy of a stack needs CIDRs of its own: the deployer "
                        "network routes each CIDR to one peering (docs/naming.md)",
                    )
                )
                break
        if region.name not in owner_regions:
            issues.append(
                ConfigIssue(
                    path=f"regions[{index}].name",
                    message=f"stack {config.environment!r} ({own_file.name}) has no region {region.name}: a copy "
                    "pulls its images from the environment's repositories in its own region and creates none "
                    "(docs/naming.md)",
                )
            )
    return issues


def _decode(value: Any) -> Any:
    """Engine config values are strings; objects and arrays arrive as JSON text."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value

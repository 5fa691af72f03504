"""What `pulumi up` would do to take a stack from a base export to this one.

Resources pair up by URN. One only in this stack is created, one only in the base deleted; one in
both is unchanged, updated, or replaced when a changed input forces it (eksplatform/preflight/replacements.py,
read from the providers' source) or its provider moves to another region. Like the engine, the
diff compares inputs, skips the paths a resource's `ignoreChanges` names, and never compares
secret values (it cannot read them, and no report may show them).

An input whose value comes from another resource (`propertyDependencies`) is "known after apply"
when that resource is created or replaced, and may then force a replacement in turn, as a real
preview finds. Against an export of a real deployment such inputs are compared by where they come
from, not by value: there they hold AWS's IDs and ARNs, here the mocks' ones.

Plain data in, plain data out: no Pulumi import, so the rules can be tested on small documents.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from eksplatform.preflight.export_format import SECRET_SIG, STACK_TYPE
from eksplatform.preflight.replacements import STATEFUL, rule_for
from eksplatform.properties import decoded

Action = Literal["create", "update", "replace", "delete"]
ACTIONS: tuple[Action, ...] = ("create", "update", "replace", "delete")
SYMBOLS: dict[str, str] = {"create": "+", "update": "~", "replace": "+-", "delete": "-", "same": " "}

SECRET_SHOWN = "[secret]"


class _Marker:
    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


ABSENT = _Marker("(none)")
"""The side of a change where the input is not set."""
AFTER_APPLY = _Marker("(known after apply)")
"""A value that comes from a resource this change creates or replaces."""


class Resource(Protocol):
    """What the diff reads of an export entry (preflight.export.StateResource has it)."""

    @property
    def urn(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def custom(self) -> bool: ...
    @property
    def inputs(self) -> dict[str, Any]: ...
    @property
    def provider(self) -> str: ...
    @property
    def property_dependencies(self) -> dict[str, list[str]]: ...
    @property
    def protect(self) -> bool: ...
    @property
    def retain_on_delete(self) -> bool: ...
    @property
    def ignore_changes(self) -> list[str]: ...


@dataclass(frozen=True)
class InputChange:
    path: str
    """Dotted input path, `[i]` for list items (`scalingConfig.desiredSize`, `tags.Name`)."""
    old: Any
    new: Any
    replaces: str = ""
    """Why this change replaces the resource: the file its rule is read from, or the reason ("" for an update)."""

    @property
    def secret(self) -> bool:
        """A secret changed (value_changes has put "[secret]" in its place)."""
        return SECRET_SHOWN in (self.old, self.new) or is_secret(self.old) or is_secret(self.new)

    @property
    def reordered(self) -> bool:
        return reordered(self.old, self.new)


@dataclass(frozen=True)
class Change:
    urn: str
    type: str
    action: Action
    inputs: tuple[InputChange, ...] = ()
    protect: bool = False
    retain_on_delete: bool = False
    no_rule: bool = False
    """An update of a type whose replacement rules are unknown: it may yet be a replacement."""

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]

    @property
    def stateful(self) -> str:
        """What the resource holds ("database", "key", ...), or "" for a resource without data."""
        return STATEFUL.get(self.type, "")

    @property
    def replaced_by(self) -> list[str]:
        return [change.path for change in self.inputs if change.replaces]

    @property
    def loses_data(self) -> bool:
        """A replacement or deletion of a resource that holds data: the report's first lines."""
        return bool(self.stateful) and self.action in ("replace", "delete")


@dataclass(frozen=True)
class OutputChange:
    name: str
    action: Action
    old: Any = ABSENT
    new: Any = ABSENT


@dataclass
class Diff:
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0
    outputs: list[OutputChange] = field(default_factory=list)

    def action_of(self, urn: str) -> str:
        """The action on one URN: one of ACTIONS, or "same"."""
        return self._by_urn.get(urn, "same")

    @functools.cached_property
    def _by_urn(self) -> dict[str, str]:
        return {change.urn: change.action for change in self.changes}

    def counts(self) -> dict[str, int]:
        counted: dict[str, int] = {action: sum(1 for c in self.changes if c.action == action) for action in ACTIONS}
        return {**counted, "same": self.unchanged}

    def of(self, action: Action) -> list[Change]:
        return [change for change in self.changes if change.action == action]

    @property
    def data_at_risk(self) -> list[Change]:
        return [change for change in self.changes if change.loses_data]


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and SECRET_SIG in value


def redact(value: Any) -> Any:
    """A value with every secret object in it, however deep, replaced by "[secret]".

    A `--show-secrets` export holds the plaintext, and a normal one the ciphertext: neither is shown."""
    if is_secret(value):
        return SECRET_SHOWN
    if isinstance(value, dict):
        return {key: redact(item) for key, item in value.items()}
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same(old: Any, new: Any) -> bool:
    if is_secret(old) and is_secret(new):
        return True  # neither side can be read; the engine keeps such a value unless it changes
    if _is_number(old) and _is_number(new):
        return float(old) == float(new)  # the SDK sends numbers as floats: 30 and 30.0 are one value
    if type(old) is not type(new):
        return False
    if isinstance(old, dict):
        return old.keys() == new.keys() and all(_same(old[key], new[key]) for key in old)
    if isinstance(old, list):
        return len(old) == len(new) and all(_same(a, b) for a, b in zip(old, new, strict=True))
    if isinstance(old, str) and old != new:
        return decoded(old) != old and _same(decoded(old), decoded(new))  # JSON held as text (IAM policies, tags)
    return bool(old == new)


def reordered(old: Any, new: Any) -> bool:
    """Lists that hold the same items in another order.

    A Terraform set (subnet IDs) ignores the order, a list (a node group's instance types) does not,
    and an export does not say which an input is: the change is reported, marked as a new order."""
    if not (isinstance(old, list) and isinstance(new, list)):
        return False
    key = functools.partial(json.dumps, sort_keys=True, default=str)
    return sorted(map(key, old)) == sorted(map(key, new))


def value_changes(old: Any, new: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """(path, old, new) for every leaf that differs; whole values where the shapes differ."""
    if _same(old, new):
        return []
    if is_secret(old) or is_secret(new):
        return [(path, redact(old), redact(new))]
    if isinstance(old, dict) and isinstance(new, dict):
        found = []
        for key in sorted(old.keys() | new.keys()):
            found += value_changes(old.get(key, ABSENT), new.get(key, ABSENT), f"{path}.{key}" if path else key)
        return found
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new) and not reordered(old, new):
        return [
            hit for i, (a, b) in enumerate(zip(old, new, strict=True)) for hit in value_changes(a, b, f"{path}[{i}]")
        ]
    if any(old is a for a in (ABSENT, None)) and any(new is b for b in (ABSENT, None)):
        return []
    return [(path, redact(old), redact(new))]


def _ignored(path: str, ignore_changes: Sequence[str]) -> bool:
    """Whether an ignoreChanges entry (a Pulumi property path) covers a changed input path."""
    return any(_path_pattern(ignored).fullmatch(path) for ignored in ignore_changes)


@functools.cache
def _path_pattern(ignored: str) -> re.Pattern[str]:
    """A Pulumi property path (`a.b`, `tags["kubernetes.io/x"]`, `items[0].name`, `items[*]`) as a
    pattern over this module's paths (keys joined by `.`, list items `[i]`), covering what is under it.
    Grammar: pulumi/pulumi sdk/go/common/resource/properties_path.go ParsePropertyPath."""
    pattern = ""
    for segment in _path_segments(ignored):
        if segment == "*":
            pattern += r"(?:\[\d+\]|\.[^.\[]+)"
        elif isinstance(segment, int):
            pattern += re.escape(f"[{segment}]")
        else:
            pattern += ("." if pattern else "") + re.escape(segment)
    return re.compile(pattern + r"(?:[.\[].*)?")


def _path_segments(text: str) -> list[str | int]:
    segments: list[str | int] = []
    key, i = "", 0
    while i < len(text):
        char = text[i]
        if char in ".[" and key:
            segments.append(key)
            key = ""
        if char == ".":
            i += 1
        elif char == "[":
            if text.startswith('["', i):
                end = text.find('"]', i + 2)
                if end < 0:
                    return [text]  # not a property path: match the entry as one key
                segments.append(text[i + 2 : end].replace('\\"', '"'))
                i = end + 2
            else:
                end = text.find("]", i)
                inner = text[i + 1 : end] if end > 0 else ""
                if inner != "*" and not inner.isdigit():
                    return [text]
                segments.append("*" if inner == "*" else int(inner))
                i = end + 1
        else:
            key += char
            i += 1
    return [*segments, key] if key else segments


def _provider_urn(reference: str) -> str:
    """A provider reference is `<urn>::<id>`; the id differs between a real export and the mocks."""
    return reference.rsplit("::", 1)[0] if reference.count("::") >= 4 else reference


class _Differ:
    def __init__(self, base: Sequence[Resource], head: Sequence[Resource], compare_values: bool) -> None:
        self.base = {r.urn: r for r in base if r.type != STACK_TYPE}
        self.head = {r.urn: r for r in head if r.type != STACK_TYPE}
        self.compare_values = compare_values
        self.done: dict[str, Change | None] = {}
        self.busy: set[str] = set()

    def action(self, urn: str) -> str:
        """create, replace, ... for a URN of the new stack (resolving it first)."""
        if urn not in self.head:
            return "same"  # a dependency outside the new stack (the stack itself, a deleted one)
        change = self.resolve(urn)
        return change.action if change else "same"

    def resolve(self, urn: str) -> Change | None:
        if urn in self.done:
            return self.done[urn]
        if urn in self.busy:
            return None  # a dependency cycle: judge the rest on what is known
        self.busy.add(urn)
        new = self.head[urn]
        old = self.base.get(urn)
        change = Change(urn, new.type, "create") if old is None else self._compare(old, new)
        self.busy.discard(urn)
        self.done[urn] = change
        return change

    def _compare(self, old: Resource, new: Resource) -> Change | None:
        rule = rule_for(new.type)
        changes: list[InputChange] = []
        replaced = False
        for key in sorted(old.inputs.keys() | new.inputs.keys()):
            for path, before, after in self._key_changes(key, old, new):
                if _ignored(path, new.ignore_changes):
                    continue
                replaces = ""
                if rule is not None and rule.replaces(path, old.inputs, new.inputs):
                    replaces = rule.source
                changes.append(InputChange(path, before, after, replaces))
                replaced = replaced or bool(replaces)
        provider = self._provider_change(old, new)
        if provider is not None:
            changes.append(provider)
            replaced = replaced or bool(provider.replaces)
        if old.custom != new.custom:
            replaced = True
        if not changes and not replaced:
            return None
        action: Action = "replace" if replaced else "update"
        return Change(
            new.urn,
            new.type,
            action,
            tuple(changes),
            protect=new.protect,
            retain_on_delete=new.retain_on_delete,
            no_rule=rule is None and action == "update" and new.custom and not new.type.startswith("pulumi:"),
        )

    def _key_changes(self, key: str, old: Resource, new: Resource) -> list[tuple[str, Any, Any]]:
        before, after = old.inputs.get(key, ABSENT), new.inputs.get(key, ABSENT)
        sources = [urn for urn in new.property_dependencies.get(key, []) if urn != new.urn]
        if not sources or key not in new.inputs:
            return value_changes(before, after, key)
        if any(self.action(urn) in ("create", "replace") for urn in sources):
            return [(key, before, AFTER_APPLY)]
        if self.compare_values:
            return value_changes(before, after, key)
        # A real export holds AWS's values where the mocks made theirs up: the same sources, the same value.
        if sorted(old.property_dependencies.get(key, [])) != sorted(sources):
            return [(key, before, AFTER_APPLY)]
        return []

    def _provider_change(self, old: Resource, new: Resource) -> InputChange | None:
        before, after = _provider_urn(old.provider), _provider_urn(new.provider)
        if before == after:
            if after and self.action(after) == "replace":
                return InputChange("provider", before, AFTER_APPLY, "its provider is replaced")
            return None
        # pulumi/pulumi pkg/resource/deploy/step_generator.go providerChanged: the engine replaces when
        # one side has no provider or either is not a default provider; only default-to-default asks the
        # provider (its DiffConfig), where an AWS resource moved to another region's provider is new.
        if not before or not after:
            return InputChange("provider", before or ABSENT, after or ABSENT, "it gains or loses its provider")
        if not (_is_default_provider(before) and _is_default_provider(after)):
            return InputChange("provider", before, after, "an explicit provider changes")
        old_region = (self.base[before].inputs.get("region") if before in self.base else None) or ""
        new_region = (self.head[after].inputs.get("region") if after in self.head else None) or ""
        moved = bool(old_region and new_region and old_region != new_region)
        return InputChange(
            "provider", before, after, f"the provider moves from {old_region} to {new_region}" if moved else ""
        )


def _is_default_provider(urn: str) -> bool:
    """pulumi/pulumi pkg/resource/deploy/providers IsDefaultProvider: a provider type named `default...`."""
    parts = urn.split("::")
    return (
        len(parts) >= 4 and parts[-2].split("$")[-1].startswith("pulumi:providers:") and parts[-1].startswith("default")
    )


def diff(
    base: Sequence[Resource],
    head: Sequence[Resource],
    *,
    compare_values: bool = True,
    base_outputs: Mapping[str, tuple[Any, bool]] | None = None,
    head_outputs: Mapping[str, tuple[Any, bool]] | None = None,
) -> Diff:
    """The changes from `base` to `head` (each a stack's resources, as in its export).

    `compare_values=False` when the two sides do not share their made-up values (a real export
    against a synth): inputs that come from other resources are then compared by their sources.
    Outputs are (value, secret) per name."""
    differ = _Differ(base, head, compare_values)
    changes = [change for urn in sorted(differ.head) if (change := differ.resolve(urn)) is not None]
    deleted = [
        Change(r.urn, r.type, "delete", protect=r.protect, retain_on_delete=r.retain_on_delete)
        for urn, r in sorted(differ.base.items())
        if urn not in differ.head
    ]
    order = {action: index for index, action in enumerate(ACTIONS)}
    every = sorted(changes + deleted, key=lambda c: (order[c.action], c.urn))
    unchanged = len(differ.head) - len(changes)
    return Diff(every, unchanged, _output_changes(base_outputs or {}, head_outputs or {}))


def _output_changes(base: Mapping[str, tuple[Any, bool]], head: Mapping[str, tuple[Any, bool]]) -> list[OutputChange]:
    found: list[OutputChange] = []
    for name in sorted(base.keys() | head.keys()):
        if name not in base:
            found.append(OutputChange(name, "create", new=redact(head[name][0])))
        elif name not in head:
            found.append(OutputChange(name, "delete", old=redact(base[name][0])))
        else:
            (before, old_secret), (after, new_secret) = base[name], head[name]
            if old_secret and new_secret:
                continue  # neither can be read
            if old_secret != new_secret or not _same(before, after):
                found.append(OutputChange(name, "update", redact(before), redact(after)))
    return found


def show(value: Any, width: int = 60) -> str:
    """A value for a report line: secrets never (however deep), long values cut."""
    value = redact(value)
    if value == SECRET_SHOWN:
        return SECRET_SHOWN
    if isinstance(value, _Marker):
        return value.text
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # the SDK sends every number as a float
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"


# --- cost --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CostChange:
    urn: str
    type: str
    before: float | None
    """Monthly USD in the base; None when the resource is not there or has no price."""
    after: float | None
    unpriced_before: bool = False
    """The resource is in the base but has no price there (not "free")."""
    unpriced_after: bool = False

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]

    @property
    def delta(self) -> float | None:
        """The change in monthly USD; None when one side has no price (it is not known)."""
        if self.unpriced_before or self.unpriced_after:
            return None
        return round((self.after or 0.0) - (self.before or 0.0), 2)


def cost_changes(
    before: Mapping[str, float],
    after: Mapping[str, float],
    types: Mapping[str, str],
    unpriced_before: Collection[str] = frozenset(),
    unpriced_after: Collection[str] = frozenset(),
) -> list[CostChange]:
    """Per resource, the monthly cost before and after, where it differs; unknown changes, then the biggest, first."""
    found = []
    for urn in sorted(before.keys() | after.keys() | set(unpriced_before) | set(unpriced_after)):
        old = (urn in before or urn in unpriced_before, urn in unpriced_before, round(before.get(urn, 0.0), 2))
        new = (urn in after or urn in unpriced_after, urn in unpriced_after, round(after.get(urn, 0.0), 2))
        if old != new:
            found.append(
                CostChange(
                    urn,
                    types.get(urn, ""),
                    before.get(urn),
                    after.get(urn),
                    urn in unpriced_before,
                    urn in unpriced_after,
                )
            )
    return sorted(found, key=lambda c: (c.delta is not None, -abs(c.delta or 0.0), c.urn))

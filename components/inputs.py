"""Turn the plain dict a component receives from another language into its Args dataclass.

Pulumi's component provider host (`pulumi.provider.experimental`, docs/other-languages.md) calls
`Component(name, args, opts)` with `args` as a dict: schema names already mapped back to the
Python field names, nested types as dicts, enums as Enum members, integers as ints (lists and
maps of integers arrive as floats), and values another resource produces as `pulumi.Output`s.
`to_args(ArgsClass, args)` at the top of a component's `__init__` rebuilds the dataclass, so the
component's code and validation are the same for Python callers and for every other language.

Every error is an `ArgsError` (a `pulumi.RunError`: Pulumi prints the message, not a traceback)
that names the field as `args.<path>`, e.g. `args.subnets[2].cidr`. Built from the host's dict, the
path uses the schema's names, the ones the other language wrote (`args.subnets[2].cidrBlock`);
Python callers see the Python names.

A leaf module: it imports nothing from the project.
"""

import dataclasses
import enum
import inspect
import re
import sys
import types
import typing
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any, TypeVar

import pulumi
from pulumi.provider.experimental.util import camel_case

T = TypeVar("T")


class ArgsError(pulumi.RunError, ValueError):
    """A component's args do not fit its Args type; the message names the field (`args.<path>`)."""

    settings: object | None = None
    """The settings an Args refused was built from (`args_from_settings`): `placed` finds where
    the composing component's caller set them."""


def to_args(cls: type[T], value: T | Mapping[str, Any]) -> T:
    """`value` itself when it already is a `cls`; else `cls` built from the mapping `value`."""
    if isinstance(value, cls):
        return value
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"to_args: {cls!r} is not a dataclass")
    if not isinstance(value, Mapping):
        raise ArgsError(f"args: expected {cls.__name__} or a mapping of its fields, got {type(value).__name__}")
    try:
        built: T = _dataclass(cls, value, "args")
    except ArgsError as error:
        # The host's caller wrote the schema's (camelCase) names: name the field as they wrote it.
        raise _same_kind(error, schema_names(cls, str(error))) from None
    return built


# `args` and what follows it up to the first space or colon: `.field`, `.map key`, `[index]`.
_PATH = re.compile(r"^args((?:\.[^.\[\s:]+|\[[^\]]*\])*)")
_STEP = re.compile(r"\.([^.\[\s:]+)|(\[[^\]]*\])")


def schema_names(cls: type, message: str) -> str:
    """`message` with the fields of its leading `args.<path>` in the schema's names (the analyzer's
    camelCase); map keys and indexes stay as written. Follows `cls`'s field types along the path."""
    found = _PATH.match(message)
    if found is None:
        return message
    tp: Any = cls
    renamed = "args"
    for name, index in _STEP.findall(found.group(1)):
        tp = _unwrapped(tp)
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if index:
            renamed += index
            tp = args[0] if origin in (list, tuple, Sequence, typing.Sequence) and args else Any
        elif isinstance(tp, type) and dataclasses.is_dataclass(tp) and name in _hints(tp):
            renamed += "." + camel_case(name)  # the analyzer's schema name
            tp = _hints(tp)[name]
        else:
            renamed += "." + name
            tp = args[1] if origin in (dict, Mapping, typing.Mapping) and len(args) == 2 else Any
    return renamed + message[found.end() :]


def _unwrapped(tp: Any) -> Any:
    """The type inside `X | None`, `pulumi.Input[X]` and `pulumi.Output[X]`."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        members = [arg for arg in args if arg is not type(None) and not _is_output_type(arg)]
        return _unwrapped(members[0]) if len(members) == 1 else tp
    if origin is pulumi.Output and args:
        return _unwrapped(args[0])
    return tp


def _dataclass(cls: type[T], value: Mapping[str, Any], path: str) -> T:
    hints = _hints(cls)
    fields = {field.name: field for field in dataclasses.fields(cls) if field.init}  # type: ignore[arg-type]
    for key in value:
        if key not in fields:
            raise ArgsError(f"{path}.{key}: unknown field of {cls.__name__}{_hint(key, fields)}")
    kwargs: dict[str, Any] = {}
    for name, field in fields.items():
        if name in value:
            kwargs[name] = _convert(hints[name], value[name], f"{path}.{name}")
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise ArgsError(f"{path}.{name}: missing required field of {cls.__name__}")
    try:
        return cls(**kwargs)
    except ArgsError as error:
        if path == "args":
            raise
        # A nested settings type names its fields from `args` (`args.instance_class`): re-rooted here.
        raise _same_kind(error, _rerooted(str(error), path)) from None
    except (ValueError, TypeError) as error:  # the Args' own validation, which names its setting
        message = _rerooted(str(error), path)
        # A message that already starts with the field's path (`args.keep_images: ...`) stays as it is.
        raise ArgsError(message if message.startswith(f"{path}.") else f"{path}: {message}") from None


def _rerooted(message: str, path: str) -> str:
    """`args.<field>: ...` as `<path>.<field>: ...`, for an Args type checked at `path`."""
    if path != "args" and (message.startswith("args.") or message.startswith("args:")):
        return path + message[len("args") :]
    return message


def _same_kind(error: ArgsError, message: str) -> ArgsError:
    """`error`'s class with another message (ArgsError when that class takes other arguments)."""
    try:
        return type(error)(message)
    except TypeError:
        return ArgsError(message)


S = TypeVar("S")


def args_from_settings(args_type: type[T], settings: S, **wiring: Any) -> T:
    """`args_type` (a component's Args, a subclass of its settings) from `settings` and the
    wiring fields the Args adds (ids, names, ARNs): `ManagedPostgresArgs` from `PostgresSettings`."""
    if not (isinstance(args_type, type) and isinstance(settings, args_type.__mro__[1:-1])):
        raise TypeError(f"args_from_settings: {type(settings).__name__} is not a base of {args_type.__name__}")
    chosen = {field.name: getattr(settings, field.name) for field in dataclasses.fields(settings) if field.init}  # type: ignore[arg-type]
    overlap = sorted(chosen.keys() & wiring.keys())
    if overlap:
        raise TypeError(f"args_from_settings: {', '.join(overlap)} are settings, not wiring")
    try:
        return args_type(**chosen, **wiring)
    except ArgsError as error:
        error.settings = settings  # `placed` names the field of the caller's args they came from
        raise


_FIRST_FIELD = re.compile(r"^args\.([A-Za-z_][A-Za-z0-9_]*)")


def placed(
    error: ArgsError, args: object, host_type: type | None = None, renamed: Mapping[str, str] | None = None
) -> ArgsError:
    """`error`, raised while a component composed of building blocks was built from `args`, named
    where the caller set the refused value, and, when the caller was another language
    (`host_type`: the component's Args), in the schema's names. The result's `settings` is `args`.

    A refused *setting* (the message's first field is a field of the settings the refused Args
    were built from) is re-rooted at the field of `args`, or the item of a list field, that holds
    those settings (`args.postgres.instance_class`, `args.regions[1]....`). A refused *wiring*
    field is the composing component's own value: `renamed` maps it to the field of `args` it came
    from (`global_datastore` -> `global_queue`); any other keeps its path."""
    message = str(error)
    found = _FIRST_FIELD.match(message)
    first = found.group(1) if found else None
    settings_fields = (
        {field.name for field in dataclasses.fields(error.settings)}
        if dataclasses.is_dataclass(error.settings)
        else set()
    )
    if first in settings_fields and dataclasses.is_dataclass(args):
        for field in dataclasses.fields(args):
            value = getattr(args, field.name)
            items = enumerate(value) if isinstance(value, (list, tuple)) else ()
            places = [(f"args.{field.name}", value), *((f"args.{field.name}[{i}]", item) for i, item in items)]
            place = next((path for path, item in places if item is error.settings), None)
            if place is not None:
                message = _rerooted(message, place)
                break
    elif first is not None and renamed and first in renamed:
        message = f"args.{renamed[first]}" + message[len(f"args.{first}") :]
    if host_type is not None:
        message = schema_names(host_type, message)
    rerooted = _same_kind(error, message)
    rerooted.settings = args
    return rerooted


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    """The fields' types, with `from __future__ import annotations` strings resolved; read once per
    class (every Args checks its fields, nested settings included, at each construction). Read only."""
    if cls in _HINTS:
        return _HINTS[cls]
    # pulumi.Input[X] holds the forward reference "Output[T]", which the Args' module may not
    # define; the module's own names come last so that they win.
    namespace = {"Output": pulumi.Output, "T": T, **vars(sys.modules[cls.__module__])}
    hints = _HINTS[cls] = typing.get_type_hints(cls, globalns=namespace)
    return hints


def _hint(key: str, fields: Mapping[str, Any]) -> str:
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in key)
    if snake in fields:
        return f" (did you mean {snake!r}? Python field names are snake_case)"
    return f"; fields: {', '.join(fields)}"


def _convert(tp: Any, value: Any, path: str) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        return _union(args, value, path)
    if _is_unknown(value):
        # A value another resource produces: only an Input field may take it.
        raise ArgsError(f"{path}: must be a plain value known before deployment, not an Output")
    if origin is typing.Literal:
        if value not in args:
            raise ArgsError(f"{path}: {value!r} is not one of {', '.join(repr(a) for a in args)}")
        return value
    if origin in (list, tuple, Sequence, typing.Sequence):
        return _sequence(origin, args, value, path)
    if origin in (dict, Mapping, typing.Mapping):
        return _mapping(args, value, path)
    if isinstance(tp, type):
        return _class(tp, value, path)
    return value  # a type this module does not know how to check: the Args' own validation does


def _union(args: tuple[Any, ...], value: Any, path: str) -> Any:
    if value is None:
        if type(None) in args:
            return None
        raise ArgsError(f"{path}: must not be null")
    if any(_is_output_type(arg) for arg in args) and _is_unknown(value):
        return value  # a pulumi.Input field given an Output or awaitable: passes untouched
    candidates = [arg for arg in args if arg is not type(None) and not _is_output_type(arg)]
    if len(candidates) == 1:
        return _convert(candidates[0], value, path)
    errors: list[str] = []
    for candidate in candidates:
        try:
            return _convert(candidate, value, path)
        except ArgsError as error:
            errors.append(str(error))
    raise ArgsError(f"{path}: {value!r} fits none of its types ({'; '.join(errors)})")


def _sequence(origin: Any, args: tuple[Any, ...], value: Any, path: str) -> Any:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise ArgsError(f"{path}: expected a list, got {type(value).__name__}")
    if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
        if args and len(args) != len(value):
            raise ArgsError(f"{path}: expected {len(args)} items, got {len(value)}")
        return tuple(_convert(arg, item, f"{path}[{i}]") for i, (arg, item) in enumerate(zip(args, value, strict=True)))
    item_type = args[0] if args else Any
    items = [_convert(item_type, item, f"{path}[{i}]") for i, item in enumerate(value)]
    return tuple(items) if origin is tuple else items


def _mapping(args: tuple[Any, ...], value: Any, path: str) -> dict[Any, Any]:
    if not isinstance(value, Mapping):
        raise ArgsError(f"{path}: expected a map, got {type(value).__name__}")
    key_type, value_type = args if args else (Any, Any)
    return {
        _convert(key_type, key, f"{path} key {key!r}"): _convert(value_type, item, f"{path}.{key}")
        for key, item in value.items()
    }


E = TypeVar("E", bound=enum.Enum)


def enum_member(tp: type[E], value: Any, path: str, error: type[ArgsError] = ArgsError) -> E:
    """The member of `tp` that `value` is or names (a Python caller may pass the plain string,
    the host passes the member); else `error` naming `path` and the allowed values."""
    try:
        return tp(value)
    except ValueError:
        allowed = ", ".join(repr(member.value) for member in tp)
        raise error(f"{path}: {value!r} is not one of {allowed}") from None


def _class(tp: type, value: Any, path: str) -> Any:
    if isinstance(value, tp) and not (tp is int and isinstance(value, bool)):
        return value
    if issubclass(tp, enum.Enum):
        return enum_member(tp, value, path)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, Mapping):
            raise ArgsError(f"{path}: expected a {tp.__name__} or a map of its fields, got {type(value).__name__}")
        return _dataclass(tp, value, path)
    if tp is int and isinstance(value, float) and not isinstance(value, bool) and value.is_integer():
        return int(value)  # numbers inside lists and maps cross the wire as floats
    if tp is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    raise ArgsError(f"{path}: expected {tp.__name__}, got {type(value).__name__} {value!r}")


def _is_output_type(tp: Any) -> bool:
    origin = typing.get_origin(tp)
    return tp is pulumi.Output or origin is pulumi.Output or origin is Awaitable or _is_forward_output(tp)


def _is_forward_output(tp: Any) -> bool:
    # pulumi.Input spells its Output member as the forward reference "Output[T]".
    return isinstance(tp, typing.ForwardRef) and tp.__forward_arg__.startswith("Output[")


def _is_unknown(value: Any) -> bool:
    return isinstance(value, pulumi.Output) or inspect.isawaitable(value)


def check_fields(args: object, error: type[ArgsError] = ArgsError) -> None:
    """Raise `error` (the component's `ArgsError`) naming the field when a field of the Args
    dataclass `args` does not fit its type: an `Output` in a plain field (only `pulumi.Input` fields
    take one), a wrong type, an enum value that is not a member's. Nested dataclasses are checked too.

    `to_args` checks a mapping this way; an Args' `__post_init__` calls this so that a Python caller
    gets the same message as another language instead of a TypeError deep inside the component."""
    try:
        _check_fields(args, "args")
    except ArgsError as problem:
        raise error(str(problem)) from None


def _check_fields(args: object, path: str) -> None:
    hints = _hints(type(args))
    for field in dataclasses.fields(args):  # type: ignore[arg-type]
        if field.init:
            value = getattr(args, field.name)
            _convert(hints[field.name], value, f"{path}.{field.name}")
            _check_nested(value, f"{path}.{field.name}")


def _check_nested(value: Any, path: str) -> None:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        _check_fields(value, path)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            _check_nested(item, f"{path}.{key}")
    elif isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        for index, item in enumerate(value):
            _check_nested(item, f"{path}[{index}]")

"""A component's Args as a Markdown table: each field, its type, whether it is required, its docstring.

The docstrings are the ones Pulumi's component analyzer puts in the package schema (the string
literal right after each field), read here with `ast`, so the page and the schema say the same.
Nested dataclasses the Args use get a table of their own. An Args that extends its settings
(`LanguageServicePoolArgs(LanguageServicesSettings)`) lists the inherited fields too, with theirs.
"""

import dataclasses
import enum
import inspect
import types
import typing
from collections.abc import Awaitable, Mapping, Sequence
from typing import Any

import pulumi

from eksplatform.pulumi_internals import field_docstrings


def _dataclass_bases(cls: type) -> list[type]:
    """`cls` and the dataclasses it extends, base first (the order of `dataclasses.fields`)."""
    return [base for base in reversed(cls.__mro__) if dataclasses.is_dataclass(base)]


def annotations(cls: type) -> dict[str, Any]:
    """Per field, its annotation, the inherited fields' from the base that declares them."""
    return {name: tp for base in _dataclass_bases(cls) for name, tp in inspect.get_annotations(base).items()}


def field_docs(cls: type) -> dict[str, str]:
    """Per field, the string literal that follows it in the body of the class that declares it."""
    return {
        name: " ".join(inspect.cleandoc(doc).split())
        for base in _dataclass_bases(cls)
        for name, doc in field_docstrings(base).items()
    }


def type_name(tp: Any) -> str:
    """The annotation as a reader writes it: `Input[str]`, `list[SandboxedService]`, `map[str]`, `str?`."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        wrapped = any(_is_wrapper(arg) for arg in args)
        plain = [arg for arg in args if arg is not type(None) and not _is_wrapper(arg)]
        inner = " or ".join(type_name(arg) for arg in plain)
        return f"Input[{inner}]" if wrapped else inner
    if origin in (list, Sequence):
        return f"list[{type_name(args[0])}]"
    if origin in (dict, Mapping):
        return f"map[{type_name(args[1])}]"
    if isinstance(tp, type):
        return tp.__name__
    return str(tp)


def _is_wrapper(tp: Any) -> bool:
    """The Awaitable and Output members of `pulumi.Input[X]` (Output as the forward reference "Output[T]")."""
    origin = typing.get_origin(tp)
    return origin is pulumi.Output or origin is Awaitable or isinstance(tp, typing.ForwardRef)


def _nested(tp: Any) -> list[type]:
    """The dataclasses an annotation refers to, at any depth."""
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return [tp]
    return [found for arg in typing.get_args(tp) for found in _nested(arg)]


def table(cls: type) -> str:
    """`cls` and every dataclass its fields use, one table each, in the order they first appear."""
    order: list[type] = [cls]
    for current in order:
        for field in dataclasses.fields(current):
            for nested in _nested(annotations(current)[field.name]):
                if nested not in order and not issubclass(nested, enum.Enum):
                    order.append(nested)
    return "\n\n".join(_one_table(current) for current in order)


def _one_table(cls: type) -> str:
    hints = annotations(cls)
    docs = field_docs(cls)
    bases = _dataclass_bases(cls)[:-1]
    own = [name for name in inspect.get_annotations(cls) if name in hints]
    extends = (
        f": the fields of {', '.join(f'`{base.__name__}`' for base in bases)}, then its own"
        f" ({', '.join(f'`{name}`' for name in own)})"
        if bases
        else ""
    )
    rows = [
        f"`{cls.__name__}` (in `{cls.__module__}`){extends}:",
        "",
        "| Field | Type | Required | Meaning |",
        "| --- | --- | --- | --- |",
    ]
    for field in dataclasses.fields(cls):
        required = field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
        meaning = docs.get(field.name, "").replace("|", "\\|")
        rows.append(
            f"| `{field.name}` | `{type_name(hints[field.name])}` | {'yes' if required else 'no'} | {meaning} |"
        )
    return "\n".join(rows)

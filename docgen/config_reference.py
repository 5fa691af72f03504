"""The stack config reference: every key of `eksplatform.stack.config.StackConfig`, from the model itself.

Each row is a key path as it is written in a stack file (camelCase), its type, its default and
the field's description (or, for a nested section, its model's docstring).
"""

from __future__ import annotations

import enum
import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from eksplatform.stack.config import StackConfig


def _members(annotation: Any) -> list[Any]:
    """The types an annotation is made of (Optional, unions, Annotated, list and dict arguments)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _members(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) if arg is not type(None) for m in _members(arg)]
    return [annotation]


def _model_of(annotation: Any) -> tuple[type[BaseModel], str] | None:
    """The nested model under a field and how its path continues (`[]` for a list, `.<name>` for a map)."""
    for member in _members(annotation):
        origin = typing.get_origin(member)
        if isinstance(member, type) and issubclass(member, BaseModel):
            return member, ""
        if origin is list:
            inner = _model_of(typing.get_args(member)[0])
            if inner:
                return inner[0], "[]" + inner[1]
        if origin is dict:
            inner = _model_of(typing.get_args(member)[1])
            if inner:
                return inner[0], ".<name>" + inner[1]
    return None


def _type_name(annotation: Any) -> str:
    names: list[str] = []
    for member in _members(annotation):
        origin = typing.get_origin(member)
        if origin is typing.Literal:
            names.append(" \\| ".join(f"`{value}`" for value in typing.get_args(member)))
        elif origin is list:
            names.append(f"list of {_type_name(typing.get_args(member)[0])}")
        elif origin is dict:
            names.append(f"map of {_type_name(typing.get_args(member)[1])}")
        elif isinstance(member, type) and issubclass(member, BaseModel):
            names.append("section")
        elif isinstance(member, type) and issubclass(member, enum.Enum):
            names.append(" \\| ".join(f"`{item.value}`" for item in member))
        else:
            names.append(getattr(member, "__name__", str(member)).replace("IPv4Network", "CIDR"))
    return " or ".join(dict.fromkeys(names))


def _value(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"`{key}: {item}`" for key, item in value.items())
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`"


def _default(info: FieldInfo) -> str:
    extra = info.json_schema_extra
    if isinstance(extra, dict) and isinstance(extra.get("docDefault"), str):
        return str(extra["docDefault"])  # required by a validator rather than by the type
    if info.default_factory is not None:
        made: Any = info.default_factory()  # type: ignore[call-arg]
        return "empty" if isinstance(made, BaseModel) or made in ([], {}) else _value(made)
    if info.default is PydanticUndefined:
        return "required"
    if info.default is None:
        return "unset"
    return _value(info.default)


def _describe(info: FieldInfo, nested: type[BaseModel] | None) -> str:
    doc_lines = (nested.__doc__ or "").strip().splitlines() if nested else []
    text = info.description or (doc_lines[0] if doc_lines else "")
    return " ".join(text.split()).replace("|", "\\|")


def rows(model: type[BaseModel] = StackConfig, prefix: str = "") -> list[tuple[str, str, str, str]]:
    """(key path, type, default, description) for every field, depth first in declaration order."""
    found: list[tuple[str, str, str, str]] = []
    for name, info in model.model_fields.items():
        key = f"{prefix}{info.alias or name}"
        nested = _model_of(info.annotation)
        found.append((key, _type_name(info.annotation), _default(info), _describe(info, nested[0] if nested else None)))
        if nested:
            found.extend(rows(nested[0], f"{key}{nested[1]}."))
    return found


LEGEND = (
    "Default: **required** the key must be set; **unset** the key may be left out (the meaning says what "
    "happens then); **empty** an empty list, map or section of defaults; otherwise the value used when the "
    "key is left out."
)


def table() -> str:
    lines = [LEGEND, "", "| key (under `platform:`) | type | default | meaning |", "| --- | --- | --- | --- |"]
    lines += [f"| `{key}` | {kind} | {default} | {text} |" for key, kind, default, text in rows()]
    return "\n".join(lines)

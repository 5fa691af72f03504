"""The component provider plugin, verified offline the way the Pulumi CLI talks to it.

The test starts `provider/__main__.py` as its own process with an engine address argument (as
the CLI does), reads the port the host prints on its first stdout line (pulumi/provider/server.py
`main`: `add_insecure_port("127.0.0.1:0")`, then the port and a newline), and calls `GetSchema` and
`GetPluginInfo` over gRPC with the SDK's generated ResourceProvider stubs. Every public component
is in the schema, with the inputs, required inputs, descriptions and outputs its Args and class say.
"""

import dataclasses
import enum
import inspect
import json
import os
import re
import select
import subprocess
import sys
import tomllib
import types
import typing
from collections.abc import Awaitable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import grpc
import pulumi
import pytest
from pulumi.provider.experimental.util import camel_case
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from eksplatform.plugin import PACKAGE_NAME, served_components
from eksplatform.public import PUBLIC_COMPONENTS

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = ROOT / "provider"
STARTUP_SECONDS = 120  # importing pulumi_aws takes most of it


@dataclasses.dataclass(frozen=True)
class Plugin:
    schema: dict[str, Any]
    version: str


@pytest.fixture(scope="module")
def plugin() -> Iterator[Plugin]:
    # A bare engine address: GetSchema never calls the engine back.
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    process = subprocess.Popen(
        [sys.executable, str(PLUGIN / "__main__.py"), "127.0.0.1:1"],
        cwd=PLUGIN,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        port = _handshake(process)
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
            schema = stub.GetSchema(provider_pb2.GetSchemaRequest(version=0), timeout=60).schema
            info = stub.GetPluginInfo(_empty(), timeout=60)
        yield Plugin(schema=json.loads(schema), version=info.version)
    finally:
        process.terminate()
        process.wait(timeout=30)
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        process.stderr.close()


def _handshake(process: subprocess.Popen[bytes]) -> int:
    assert process.stdout is not None and process.stderr is not None
    ready, _, _ = select.select([process.stdout], [], [], STARTUP_SECONDS)
    line = process.stdout.readline() if ready else b""
    if not line.strip().isdigit():
        process.kill()
        error = process.stderr.read().decode(errors="replace")
        pytest.fail(f"the plugin printed {line!r} instead of its port; stderr:\n{error[-4000:]}")
    return int(line)


def _empty() -> Any:
    from google.protobuf import empty_pb2

    return empty_pb2.Empty()


def _token(component: type[pulumi.ComponentResource]) -> str:
    return f"{PACKAGE_NAME}:index:{component.__name__}"


def _args_type(component: type[pulumi.ComponentResource]) -> type:
    args = inspect.get_annotations(component.__init__).get("args")
    assert isinstance(args, type) and dataclasses.is_dataclass(args), (
        f"{component.__name__}.__init__'s `args` must be annotated with its Args dataclass, got {args!r}"
    )
    return args


# --- which components the plugin serves ------------------------------------------------------


def test_the_plugin_serves_every_public_component(plugin: Plugin) -> None:
    assert set(plugin.schema["resources"]) == {_token(component) for component in PUBLIC_COMPONENTS}
    assert {component.__name__ for component in PUBLIC_COMPONENTS} >= {"Vpc", "Cluster", "Region", "Platform"}


def test_the_package_is_platform_at_the_clones_version(plugin: Plugin) -> None:
    """The plugin runs from a clone (`pulumi package add <repo>/provider`), where eksplatform may
    not be installed: its version is the clone's pyproject.toml's, not a 0.0.0 fallback."""
    assert plugin.schema["name"] == "platform"
    assert plugin.schema["version"] == plugin.version
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert plugin.version == project["version"]


@pytest.mark.parametrize("component", PUBLIC_COMPONENTS, ids=lambda c: c.__name__)
def test_the_host_token_is_the_one_the_component_registers(component: type[pulumi.ComponentResource]) -> None:
    """A different token would replace every resource of a real stack (tests/baseline)."""
    assert f'super().__init__("{_token(component)}", name' in inspect.getsource(component)


# --- each served component's inputs and outputs ----------------------------------------------


def _served_ids() -> list[str]:
    return [component.__name__ for component in served_components()]


@pytest.mark.parametrize("component", served_components(), ids=_served_ids())
def test_inputs_are_the_args_fields_with_types_and_descriptions(
    plugin: Plugin, component: type[pulumi.ComponentResource]
) -> None:
    resource = plugin.schema["resources"][_token(component)]
    args = _args_type(component)
    fields = [field for field in dataclasses.fields(args) if field.init]
    hints = _all_annotations(args)  # as the analyzer reads them (its bases too): real types, not strings
    inputs = resource["inputProperties"]
    assert set(inputs) == {camel_case(field.name) for field in fields}
    required = {camel_case(field.name) for field in fields if _required(field)}
    assert set(resource.get("requiredInputs", [])) == required, (
        "an Args field with a default must be typed `X | None` for the schema to call it optional"
    )
    for field in fields:
        schema_name = camel_case(field.name)
        prop = inputs[schema_name]
        assert prop.get("description", "").strip(), f"{component.__name__} input {schema_name} has no description"
        assert _kind(prop) == _expected_kind(hints[field.name]), f"{component.__name__} input {schema_name}"
    assert resource.get("description", "").strip(), f"{component.__name__} has no class docstring"


@pytest.mark.parametrize("component", served_components(), ids=_served_ids())
def test_outputs_are_the_class_annotations_with_types(
    plugin: Plugin, component: type[pulumi.ComponentResource]
) -> None:
    resource = plugin.schema["resources"][_token(component)]
    annotations = {name: tp for name, tp in inspect.get_annotations(component).items() if not name.startswith("_")}
    outputs = resource["properties"]
    assert set(outputs) == {camel_case(name) for name in annotations}
    assert outputs, f"{component.__name__} has no outputs"
    for name, tp in annotations.items():
        prop = outputs[camel_case(name)]
        assert prop.get("description", "").strip(), f"{component.__name__} output {name} has no description"
        assert _kind(prop) == _expected_kind(tp), f"{component.__name__} output {name}"


def test_every_referenced_type_is_defined_and_described(plugin: Plugin) -> None:
    refs = set(re.findall(r'"#/types/([^"]+)"', json.dumps(plugin.schema)))
    assert refs <= set(plugin.schema.get("types", {})), f"undefined types: {refs - set(plugin.schema['types'])}"
    for token, definition in plugin.schema.get("types", {}).items():
        assert token.startswith("platform:index:")
        for name, prop in definition.get("properties", {}).items():
            assert prop.get("description", "").strip(), f"type {token} property {name} has no description"


def test_a_dataclass_type_is_an_object_with_its_fields(plugin: Plugin) -> None:
    alarm = plugin.schema["types"]["platform:index:WriterAlarm"]
    assert alarm["type"] == "object"
    assert set(alarm["properties"]) == {"name", "region"}
    assert alarm["properties"]["name"]["type"] == "string"
    assert "plain" not in alarm["properties"]["name"], "an Input field takes another resource's output"
    assert alarm["properties"]["region"]["plain"] is True


def _required(field: dataclasses.Field[Any]) -> bool:
    return field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING


def _kind(prop: Mapping[str, Any]) -> Any:
    """A schema property's shape: its type, with the items' or values' shape; a `$ref` names its type."""
    if "$ref" in prop:
        return ("ref", prop["$ref"].rsplit(":", 1)[-1])
    if prop["type"] == "array":
        return ("array", _kind(prop["items"]))
    if prop["type"] == "object" and "additionalProperties" in prop:
        return ("map", _kind(prop["additionalProperties"]))
    return prop["type"]


def _expected_kind(tp: Any) -> Any:
    """The same shape, read from the Python annotation independently of the analyzer."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is pulumi.Output:
        return _expected_kind(args[0])
    if origin in (typing.Union, types.UnionType):
        members = [arg for arg in args if arg is not type(None)]
        if len(members) == 1:  # `X | None`, `Output[X] | None`: optional, same shape
            return _expected_kind(members[0])
        plain = [arg for arg in args if arg is not type(None) and not _is_wrapper(arg)]
        assert len(plain) == 1, f"a union of several types has no schema type: {tp}"
        return _expected_kind(plain[0])
    if origin in (list, Sequence):
        return ("array", _expected_kind(args[0]))
    if origin in (dict, Mapping):
        return ("map", _expected_kind(args[1]))
    simple = {str: "string", int: "integer", float: "number", bool: "boolean"}
    if tp in simple:
        return simple[tp]
    if isinstance(tp, type) and (issubclass(tp, enum.Enum) or dataclasses.is_dataclass(tp)):
        return ("ref", tp.__name__)
    raise AssertionError(f"no schema shape for {tp!r}")


def _is_wrapper(tp: Any) -> bool:
    """The Awaitable and Output members of `pulumi.Input[X]`."""
    origin = typing.get_origin(tp)
    return origin is pulumi.Output or origin is Awaitable or isinstance(tp, typing.ForwardRef)


# --- the plugin folder -----------------------------------------------------------------------


def test_the_plugin_folder_is_a_python_plugin_beside_the_program() -> None:
    assert (PLUGIN / "PulumiPlugin.yaml").read_text().count("runtime: python") == 1
    assert (PLUGIN / "__main__.py").is_file()
    assert (ROOT / "__main__.py").is_file(), "the repository root keeps the platform's own program"


def test_the_plugin_pins_what_the_program_pins() -> None:
    def pins(path: Path) -> dict[str, str]:
        lines = [line.strip() for line in path.read_text().splitlines()]
        return dict(line.split("==", 1) for line in lines if "==" in line and not line.startswith("#"))

    plugin_pins, program_pins = pins(PLUGIN / "requirements.txt"), pins(ROOT / "requirements.txt")
    assert plugin_pins, "the plugin pins nothing"
    assert {name: program_pins.get(name) for name in plugin_pins} == plugin_pins


def test_the_clusters_node_groups_are_a_list_of_objects_with_an_enum_kind(plugin: Plugin) -> None:
    cluster = plugin.schema["resources"]["platform:index:Cluster"]
    assert cluster["inputProperties"]["nodeGroups"]["items"]["$ref"].endswith(":ClusterNodeGroup")
    group = plugin.schema["types"]["platform:index:ClusterNodeGroup"]
    assert set(group.get("required", [])) == {"name", "instanceTypes", "minSize", "desiredSize", "maxSize"}
    assert group["properties"]["kind"]["$ref"].endswith(":NodeGroupKind")
    kind = plugin.schema["types"]["platform:index:NodeGroupKind"]
    assert kind["type"] == "string" and [value["value"] for value in kind["enum"]] == ["system", "sandbox"]
    # Resources are not schema types: the deployer path is a Python keyword, the providers stay Python attributes.
    assert "deployerPath" not in cluster["inputProperties"]
    assert "kubernetesProvider" not in cluster["properties"]


def _all_annotations(cls: type) -> dict[str, Any]:
    """A class's field annotations with its bases' (the analyzer walks the MRO the same way)."""
    hints: dict[str, Any] = {}
    for base in reversed(cls.__mro__):
        if base is not object:
            hints.update(inspect.get_annotations(base))
    return hints


def _nested_types(tp: Any, found: dict[str, type]) -> None:
    """Every dataclass and enum reachable from an annotation (Args fields, nested fields)."""
    for arg in typing.get_args(tp):
        _nested_types(arg, found)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        found[tp.__name__] = tp
    elif isinstance(tp, type) and dataclasses.is_dataclass(tp) and tp.__name__ not in found:
        found[tp.__name__] = tp
        for hint in _all_annotations(tp).values():
            _nested_types(hint, found)


def test_every_nested_type_has_its_fields_kinds_requirements_and_enum_values(plugin: Plugin) -> None:
    """Not only the top-level inputs: each nested dataclass is an object type with exactly its
    fields (shape, required where no default) and each enum lists exactly its members' values."""
    found: dict[str, type] = {}
    for component in served_components():
        for hint in _all_annotations(_args_type(component)).values():
            _nested_types(hint, found)
    types_ = plugin.schema.get("types", {})
    assert found and {f"platform:index:{name}" for name in found} <= set(types_)
    for name, tp in found.items():
        definition = types_[f"platform:index:{name}"]
        if issubclass(tp, enum.Enum):
            assert sorted(str(value["value"]) for value in definition["enum"]) == sorted(
                str(member.value) for member in tp
            ), name
            continue
        assert dataclasses.is_dataclass(tp), name
        fields = [field for field in dataclasses.fields(tp) if field.init]
        hints = _all_annotations(tp)
        assert set(definition["properties"]) == {camel_case(field.name) for field in fields}, name
        assert set(definition.get("required", [])) == {camel_case(f.name) for f in fields if _required(f)}, name
        for field in fields:
            prop = definition["properties"][camel_case(field.name)]
            assert _kind(prop) == _expected_kind(hints[field.name]), f"{name}.{field.name}"

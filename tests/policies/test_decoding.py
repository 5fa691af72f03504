"""The pack's shortcuts decode what the SDK's own decoding gives (policies/servicer.py, pack.py).

The servicer turns each request's Structs into dicts without json_format's printer, decodes a
resource's inputs once for its Analyze and the AnalyzeStack after it (preflight sends inputs to
both; the engine sends outputs to AnalyzeStack), and builds one provider
object per distinct provider; pack.py reads each provider's props once per object. Each answer
must be the SDK's, for the stacks' real inputs and for the edge cases of the Struct format.
"""

from __future__ import annotations

from typing import Any

import pytest
from google.protobuf import json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2
from pulumi_policy import EnforcementLevel, PolicyProviderResource
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from eksplatform.policies.catalog import PACK_NAME
from eksplatform.policies.pack import _provider_props, policies
from eksplatform.policies.servicer import DecodeOnceServicer, struct_dict
from eksplatform.preflight.analyze import _providers, _struct
from eksplatform.preflight.export import export_document, read_state
from tests.conftest import synthesized

UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # the engine's unknown sentinel (pulumi_policy.proxy)


def typed(value: Any) -> Any:
    """The value with every type and every key's place spelled out: 1 and 1.0, or two orders of
    the same keys, compare unequal."""
    if isinstance(value, dict):
        return ("dict", [(key, typed(item)) for key, item in value.items()])
    if isinstance(value, list):
        return ("list", [typed(item) for item in value])
    return (type(value).__name__, value)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_input_of_the_stacks_decodes_as_message_to_dict_does(stack: str) -> None:
    state = read_state(export_document(synthesized(stack)), "synth")
    messages = [_struct(resource.inputs) for resource in state.resources]
    messages += [provider.properties for provider in _providers(state).values()]
    assert len(messages) > 300
    for message in messages:
        assert typed(struct_dict(message)) == typed(json_format.MessageToDict(message))


def _value(**kind: Any) -> struct_pb2.Value:
    return struct_pb2.Value(**kind)


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"n": _value(number_value=3), "half": _value(number_value=0.5), "neg": _value(number_value=-0.0)},
        {"null": _value(null_value=struct_pb2.NULL_VALUE), "unset": struct_pb2.Value()},
        {"yes": _value(bool_value=True), "no": _value(bool_value=False), "text": _value(string_value="é ✓")},
        {"empty": _value(string_value=""), "unknown": _value(string_value=UNKNOWN_VALUE)},
        {
            "list": _value(
                list_value=struct_pb2.ListValue(
                    values=[_value(number_value=1), _value(null_value=0), _value(list_value=struct_pb2.ListValue())]
                )
            ),
            "nested": _value(
                struct_value=struct_pb2.Struct(
                    fields={"b": _value(string_value="x"), "a": _value(struct_value=struct_pb2.Struct())}
                )
            ),
        },
    ],
)
def test_each_kind_of_value_decodes_as_message_to_dict_does(fields: dict[str, struct_pb2.Value]) -> None:
    message = struct_pb2.Struct(fields=fields)
    parsed = struct_pb2.Struct.FromString(message.SerializeToString())  # as the pack receives it
    for found in (message, parsed):
        assert typed(struct_dict(found)) == typed(json_format.MessageToDict(found))


@pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf")])
def test_a_number_json_cannot_hold_fails_as_message_to_dict_fails(number: float) -> None:
    message = struct_pb2.Struct(
        fields={"deep": _value(list_value=struct_pb2.ListValue(values=[_value(number_value=number)]))}
    )
    with pytest.raises(ValueError) as expected:
        json_format.MessageToDict(message)
    with pytest.raises(ValueError) as found:
        struct_dict(message)
    assert str(found.value) == str(expected.value)


@pytest.fixture
def servicer() -> DecodeOnceServicer:
    """The pack's servicer without a server, as PolicyPack constructs it (only its decoding is
    under test)."""
    return DecodeOnceServicer(PACK_NAME, "0.0.1", policies(), EnforcementLevel.ADVISORY)


def _provider(region: str, urn: str = "urn:pulumi:dev::platform::pulumi:providers:aws::use1") -> Any:
    return analyzer_pb2.AnalyzerProviderResource(
        type="pulumi:providers:aws", urn=urn, name=urn.rsplit("::", 1)[-1], properties=_struct({"region": region})
    )


def _request(provider: Any, **inputs: Any) -> analyzer_pb2.AnalyzeRequest:
    return analyzer_pb2.AnalyzeRequest(type="aws:sns/topic:Topic", properties=_struct(inputs), provider=provider)


def test_resources_of_one_provider_share_its_object_and_another_provider_gets_its_own(
    servicer: DecodeOnceServicer,
) -> None:
    east = servicer._get_provider_resource(_request(_provider("us-east-1"), name="a"))
    assert east is servicer._get_provider_resource(_request(_provider("us-east-1"), name="b"))
    assert (east.resource_type, east.urn, east.name) == ("pulumi:providers:aws", _provider("x").urn, "use1")
    assert dict(east.props) == {"region": "us-east-1"}
    # The same URN with other inputs is another provider, never the cached one.
    west = servicer._get_provider_resource(_request(_provider("eu-west-1"), name="a"))
    assert west is not east and dict(west.props) == {"region": "eu-west-1"}
    assert servicer._get_provider_resource(analyzer_pb2.AnalyzeRequest(type="aws:sns/topic:Topic")) is None


def test_a_providers_unknown_input_raises_as_the_sdks_proxy_does(servicer: DecodeOnceServicer) -> None:
    provider = servicer._get_provider_resource(_request(_provider(UNKNOWN_VALUE)))
    with pytest.raises(UnknownValueError):
        _ = provider.props["region"]


def test_inputs_decode_as_the_sdk_decodes_them_once_per_run(servicer: DecodeOnceServicer) -> None:
    secret = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": "hunter2"}
    message = struct_pb2.Struct()  # a secret as the engine sends it
    message.update({"name": "a", "password": secret, "tags": {"team": "platform"}, "ports": [80, 443]})
    expected = deserialize_properties(json_format.MessageToDict(message))
    decoded = servicer._decode(message)
    assert typed(decoded) == typed(expected) and decoded["password"] == "hunter2"
    # preflight's AnalyzeStack sends the same inputs again: the run's decoding answers.
    assert servicer._decode(struct_pb2.Struct.FromString(message.SerializeToString())) is decoded
    assert servicer._decode(_struct({"name": "b"})) == {"name": "b"}
    # A new run (Configure) decodes afresh: nothing outlives the run it was decoded for.
    servicer.Configure(analyzer_pb2.ConfigureAnalyzerRequest(), context=None)
    again = servicer._decode(message)
    assert again is not decoded and typed(again) == typed(expected)


def _sdk_provider(region: str) -> PolicyProviderResource:
    return PolicyProviderResource("pulumi:providers:aws", unknown_checking_proxy({"region": region}), "urn:p", "p")


def test_each_provider_object_keeps_its_own_props_whatever_the_order() -> None:
    east, west = _sdk_provider("us-east-1"), _sdk_provider("eu-west-1")
    for provider, region in [(east, "us-east-1"), (west, "eu-west-1"), (east, "us-east-1"), (west, "eu-west-1")]:
        assert _provider_props(provider) == {"region": region}
    assert _provider_props(east) is _provider_props(east)
    assert _provider_props(None) == {}


def test_an_unknown_provider_input_raises_and_is_not_kept() -> None:
    provider = _sdk_provider(UNKNOWN_VALUE)
    for _ in range(2):
        with pytest.raises(UnknownValueError):
            _provider_props(provider)

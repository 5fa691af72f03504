"""Field descriptions of an Args class that inherits its settings' fields (pulumi_internals)."""

import dataclasses

from pulumi.provider.experimental.analyzer import Analyzer

from eksplatform.pulumi_internals import field_docs_from_base_classes


@dataclasses.dataclass(frozen=True, kw_only=True)
class ThingSettings:
    size_gib: int | None = None
    """How big the thing is. Default: 20."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class ThingArgs(ThingSettings):
    vpc_id: str
    """Where the thing lives."""


def test_the_analyzer_alone_does_not_read_a_base_classs_field_docs() -> None:
    # Why the patch exists; when a pulumi release reads base classes itself, this fails: drop the patch.
    sdk_get_docstring = getattr(Analyzer.get_docstring, "sdk_get_docstring", Analyzer.get_docstring)
    assert sdk_get_docstring(Analyzer("test"), ThingArgs, "size_gib") is None
    assert sdk_get_docstring(Analyzer("test"), ThingArgs, "vpc_id") == "Where the thing lives."


def test_after_the_patch_inherited_and_own_fields_are_described() -> None:
    field_docs_from_base_classes()
    field_docs_from_base_classes()  # idempotent: the second call does not wrap the wrapper
    analyzer = Analyzer("test")
    assert analyzer.get_docstring(ThingArgs, "size_gib") == "How big the thing is. Default: 20."
    assert analyzer.get_docstring(ThingArgs, "vpc_id") == "Where the thing lives."
    assert analyzer.get_docstring(ThingArgs, "nothing") is None
    assert analyzer.get_docstring(ThingSettings, "vpc_id") is None, "a base class has no field of its subclass"


def test_the_whole_analysis_describes_every_field_of_the_subclass() -> None:
    field_docs_from_base_classes()
    properties, _ = Analyzer("test").analyze_type(ThingArgs, is_component_output=False)
    assert {name: prop.description for name, prop in properties.items()} == {
        "sizeGib": "How big the thing is. Default: 20.",
        "vpcId": "Where the thing lives.",
    }


def test_a_base_classs_docs_stay_out_of_the_sdks_cache_keyed_by_bare_class_names() -> None:
    # The SDK caches docstrings by `typ.__name__`; a base read under that key could lend its docs to
    # another module's class of the same name. The bases are read beside it, by class object.
    field_docs_from_base_classes()
    analyzer = Analyzer("test")
    assert analyzer.get_docstring(ThingArgs, "size_gib") == "How big the thing is. Default: 20."
    assert "ThingSettings" not in analyzer.docstrings

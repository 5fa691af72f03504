"""The generated Args tables list an Args' inherited settings fields with their descriptions."""

import dataclasses

from docgen.args_reference import table
from eksplatform.components.language_services import LanguageServicePoolArgs


def test_an_args_that_extends_its_settings_lists_every_field_described() -> None:
    rendered = table(LanguageServicePoolArgs).split("`SandboxedService` (in")[0]  # the Args' own table
    assert (
        "the fields of `LanguageServicesSettings`, then its own (`kubernetes_version`, `runtime_class_name`)"
        in rendered
    )
    rows = [line for line in rendered.splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == [field.name for field in dataclasses.fields(LanguageServicePoolArgs)]
    # An empty meaning (a description not found in the class that declares the field) ends the row.
    assert not [row for row in rows if row.endswith("|  |")]

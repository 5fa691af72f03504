"""Small assertions shared by the test modules."""

from __future__ import annotations

import json
from typing import Any


def decoded(value: Any) -> Any:
    """Provider inputs with object values arrive JSON-encoded; other inputs as they are."""
    return json.loads(value) if isinstance(value, str) and value[:1] in "[{" else value

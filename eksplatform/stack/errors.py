"""How the stack layer reports a bad stack config: issues with YAML key paths, raised at once."""

from __future__ import annotations

import pulumi
from pydantic import BaseModel, ConfigDict


class KeyedValueError(ValueError):
    """A cross-field error that belongs to one key inside the model that raises it.

    pydantic reports a model validator's error at the model's own path; `key` names the field
    within it, so the message points at `...nodeGroups.system.minSize`, not just `...system`.
    """

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")  # named in the text too, for Python callers of the models
        self.key = key
        self.message = message


class ConfigIssue(BaseModel):
    """One problem in the stack config: where (a YAML key path) and why."""

    model_config = ConfigDict(frozen=True)

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ConfigError(pulumi.RunError):
    """Invalid stack config. A `RunError`, so `pulumi up` prints the message, not a traceback."""

    def __init__(self, issues: list[ConfigIssue], source: str = "stack config") -> None:
        self.issues = issues
        self.source = source
        lines = "\n".join(f"  - {issue}" for issue in issues)
        count = len(issues)
        super().__init__(f"invalid {source} ({count} problem{'s' if count != 1 else ''}):\n{lines}")

"""The `pulumi stack export` (version 3) format's constants, with no Pulumi import.

eksplatform/preflight/export.py writes and reads the documents, eksplatform/preflight/diff.py compares two of them; both
name a secret and the stack resource the same way.
"""

from __future__ import annotations

SECRET_SIG = "4dabf18193072939515e22adb298388d"
"""The key that marks a secret object (Pulumi's resource/sig.Secret)."""
SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270"
"""The value under SECRET_SIG in a secret object."""
STACK_TYPE = "pulumi:pulumi:Stack"

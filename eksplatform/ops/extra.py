"""The runbooks call AWS through boto3, which is not a dependency of the library: it comes with
the `[ops]` extra (`pip install 'eksplatform[ops]'`). Without it, `eksplatform-ops` says so in
one line and exits 2 (a usage error: nothing was attempted) instead of a ModuleNotFoundError."""

from __future__ import annotations

import importlib.util

MODULES = ("boto3", "botocore")
HINT = "eksplatform-ops needs boto3, which the [ops] extra installs: pip install 'eksplatform[ops]'"


def missing() -> list[str]:
    """The AWS SDK modules this interpreter cannot import."""
    return [name for name in MODULES if importlib.util.find_spec(name) is None]

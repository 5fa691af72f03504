"""Container image references: pinned (a version tag other than `latest`, or a digest) or not.

Shared by the stack config (which refuses unpinned images) and the policy pack (which reports
them in any program), so both read a reference the same way.
"""

from __future__ import annotations

import re

_DIGEST = re.compile(r"^[^@\s]+@sha256:[0-9a-f]{64}$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


def image_problem(image: str) -> str | None:
    """Why `image` is not pinned, or None when it is."""
    if "@" in image:
        return None if _DIGEST.match(image) else f"{image!r}: a digest reference is repository@sha256:<64 hex digits>"
    repository, _, tag = image.rpartition(":")
    if not repository or "/" in tag or not _TAG.match(tag):
        return f"{image!r} has no tag; pin a version (repository:1.2.3) or a digest (repository@sha256:...)"
    if tag == "latest":
        return f"{image!r}: 'latest' changes under you; pin a version tag or a digest"
    return None


def registry_of(image: str) -> str:
    """The registry host of a reference (`docker.io` when it names none)."""
    first, _, rest = image.partition("/")
    return first if rest and ("." in first or ":" in first or first == "localhost") else "docker.io"


def pinned_image(image: str) -> str:
    """`image` if it is pinned (see `components/images.py`); a ValueError that says why otherwise."""
    problem = image_problem(image)
    if problem is not None:
        raise ValueError(problem)
    return image

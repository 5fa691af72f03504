"""Generated blocks inside hand-written Markdown pages, between a start and an end marker."""

from __future__ import annotations

from pathlib import Path


def start_marker(name: str) -> str:
    return f"<!-- generated:{name} start (by `python -m docgen`; do not edit) -->"


def end_marker(name: str) -> str:
    return f"<!-- generated:{name} end -->"


def replace_block(text: str, name: str, body: str, *, page: Path) -> str:
    """`text` with block `name` replaced by `body`; the page must already hold both markers."""
    start, end = start_marker(name), end_marker(name)
    before, found, rest = text.partition(start)
    if not found or end not in rest:
        raise ValueError(f"{page}: no generated block {name!r} (add {start!r} and {end!r})")
    _, _, after = rest.partition(end)
    return f"{before}{start}\n{body.rstrip()}\n{end}{after}"

"""The README and docs/ link only to files that exist, and every docs page is reachable from the README."""

from __future__ import annotations

import re
from pathlib import Path

from eksplatform.preflight.synth import PROJECT_ROOT

LINK = re.compile(r"\]\(([^)#\s]+)(#[^)]*)?\)")
PAGES = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").rglob("*.md"))]


def _targets(page: Path) -> list[Path]:
    return [
        (page.parent / target).resolve()
        for target, _ in LINK.findall(page.read_text())
        if not re.match(r"^[a-z]+:", target)  # http:, https:, mailto:
    ]


def test_every_relative_link_resolves() -> None:
    broken = [
        f"{page.relative_to(PROJECT_ROOT)} -> {target}"
        for page in PAGES
        for target in _targets(page)
        if not target.exists()
    ]
    assert broken == []


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    return {_slug(m) for m in re.findall(r"^#{1,6} (.+)$", text, flags=re.M)}


def test_every_anchor_names_a_heading() -> None:
    assert _slug("Reviewing a change: `--base FILE`") == "reviewing-a-change---base-file"
    broken = []
    for page in PAGES:
        for target, anchor in LINK.findall(page.read_text()):
            resolved = (page.parent / target).resolve()
            if anchor and resolved.suffix == ".md" and resolved.exists() and anchor[1:] not in _anchors(resolved):
                broken.append(f"{page.relative_to(PROJECT_ROOT)} -> {target}{anchor}")
    assert broken == []


def test_every_docs_page_is_reachable_from_the_readme() -> None:
    seen: set[Path] = set()
    queue = [PROJECT_ROOT / "README.md"]
    while queue:
        page = queue.pop()
        for target in _targets(page):
            if target.is_dir():
                target = target / "README.md" if (target / "README.md").exists() else target
            if target.suffix == ".md" and target not in seen and target.exists():
                seen.add(target)
                queue.append(target)
    unreachable = [str(p.relative_to(PROJECT_ROOT)) for p in PAGES[1:] if p not in seen]
    assert unreachable == [], f"link these pages from the README or another page: {unreachable}"

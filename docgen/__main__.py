"""`python -m docgen`: rewrite every generated block in docs/ (synthesizes dev, staging and prod)."""

from __future__ import annotations

import sys

from docgen.pages import rendered_pages
from docgen.stacks import STACKS, stack_configs
from eksplatform.preflight.synth import synth


def main() -> int:
    graphs = {stack: synth(stack) for stack in STACKS}
    for page, text in rendered_pages(graphs, stack_configs()).items():
        if page.read_text() != text:
            page.write_text(text)
            print(f"rewrote {page}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

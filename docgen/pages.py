"""Which generated block lives in which page, and what renders it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from docgen import args_reference, config_reference, stacks
from docgen.blocks import replace_block
from eksplatform.components.dns import GlobalDnsArgs
from eksplatform.components.ingress import PublicIngressArgs
from eksplatform.components.language_services import LanguageServicePoolArgs
from eksplatform.components.registry import ImageRegistryArgs
from eksplatform.policies import docs as policy_docs
from eksplatform.preflight.synth import PROJECT_ROOT, Graph
from eksplatform.stack.config import StackConfig

DOCS = PROJECT_ROOT / "docs"

Renderer = Callable[[Mapping[str, Graph], Mapping[str, StackConfig]], str]

BLOCKS: dict[tuple[str, str], Renderer] = {
    ("configuration.md", "config-reference"): lambda graphs, configs: config_reference.table(),
    ("stacks.md", "stack-shape"): lambda graphs, configs: stacks.shape_table(configs),
    ("stacks.md", "stack-resources"): lambda graphs, configs: stacks.resources_table(graphs),
    ("stacks.md", "stack-estimates"): stacks.estimate_table,
    ("cost.md", "stack-estimates"): stacks.estimate_table,
    ("capacity.md", "stack-headroom"): lambda graphs, configs: stacks.headroom_table(graphs),
    # Each public component's Args, field by field, from the docstrings the package schema carries.
    ("components/language-services.md", "args"): lambda g, c: args_reference.table(LanguageServicePoolArgs),
    ("components/public-ingress.md", "args"): lambda g, c: args_reference.table(PublicIngressArgs),
    ("components/image-registry.md", "args"): lambda g, c: args_reference.table(ImageRegistryArgs),
    ("components/global-dns.md", "args"): lambda g, c: args_reference.table(GlobalDnsArgs),
}


def rendered_pages(graphs: Mapping[str, Graph], configs: Mapping[str, StackConfig]) -> dict[Path, str]:
    """Every page that holds a generated block, as it should read now."""
    pages: dict[Path, str] = {}
    for (name, block), render in BLOCKS.items():
        page = DOCS / name
        text = pages.get(page) or page.read_text()
        pages[page] = replace_block(text, block, render(graphs, configs), page=page)
    page = policy_docs.PAGE
    pages[page] = policy_docs.rendered(pages.get(page) or page.read_text())
    return pages

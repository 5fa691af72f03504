"""Every generated block in docs/ is what `python -m docgen` writes today; a stale copy fails here."""

from __future__ import annotations

import copy
import re

import pytest

from docgen import config_reference, stacks
from docgen.blocks import end_marker, replace_block, start_marker
from docgen.pages import BLOCKS, DOCS, rendered_pages
from eksplatform.preflight.synth import PROJECT_ROOT, synth
from eksplatform.stack.loading import parse_stack_config, read_stack_file
from tests.conftest import synthesized


def test_every_generated_page_is_current() -> None:
    graphs = {stack: synthesized(stack) for stack in stacks.STACKS}
    stale = [
        str(page.relative_to(PROJECT_ROOT))
        for page, text in rendered_pages(graphs, stacks.stack_configs()).items()
        if page.read_text() != text
    ]
    assert stale == [], f"stale generated docs {stale}: run `python -m docgen`"


def test_a_block_without_its_markers_is_named() -> None:
    with pytest.raises(ValueError, match="no generated block 'x'"):
        replace_block("# page\n", "x", "body", page=DOCS / "page.md")
    text = f"a\n{start_marker('x')}\nold\n{end_marker('x')}\nb\n"
    replaced = replace_block(text, "x", "new", page=DOCS / "page.md")
    assert replaced == f"a\n{start_marker('x')}\nnew\n{end_marker('x')}\nb\n"


def test_every_block_is_in_its_page() -> None:
    for name, block in BLOCKS:
        assert start_marker(block) in (DOCS / name).read_text(), f"docs/{name} lost block {block}"


def test_the_config_reference_has_every_key_with_a_meaning() -> None:
    rows = config_reference.rows()
    keys = [key for key, *_ in rows]
    assert "regions[].cluster.nodeGroups.<name>.instanceTypes" in keys
    assert "regions[].redis.queue.globalDatastore" in keys
    assert len(keys) == len(set(keys))
    undescribed = [key for key, _, _, text in rows if not text]
    assert undescribed == [], f"give these config fields a description: {undescribed}"


def test_a_node_type_change_shows_in_every_table_that_follows_from_it() -> None:
    """The issue's example, on dev (the quickest synth): new sandbox types in the stack file move the
    shape, the estimate and the headroom, so the committed pages are stale until regenerated."""
    values = copy.deepcopy(read_stack_file(PROJECT_ROOT / "Pulumi.dev.yaml"))
    values["platform:regions"][0]["cluster"]["nodeGroups"]["sandbox"]["instanceTypes"] = ["m7i.xlarge"]
    changed_graph = synth("dev", stack_values=values)
    changed_config = parse_stack_config({k.removeprefix("platform:"): v for k, v in values.items()})
    configs = stacks.stack_configs()
    graphs = {stack: synthesized(stack) for stack in stacks.STACKS}
    before = {"dev": graphs["dev"]}
    after = {"dev": changed_graph}
    assert "m7i.xlarge" in stacks.shape_table({"dev": changed_config})
    assert "m7i.xlarge" not in stacks.shape_table({"dev": configs["dev"]})
    assert stacks.estimate_table(after, configs) != stacks.estimate_table(before, configs)
    assert "x m7i.xlarge" in stacks.headroom_table(after) and "x m7i.xlarge" not in stacks.headroom_table(before)
    pages = rendered_pages({**graphs, "dev": changed_graph}, {**configs, "dev": changed_config})
    stale = {page.name for page, text in pages.items() if page.read_text() != text}
    assert {"stacks.md", "cost.md", "capacity.md"} <= stale


def test_the_headroom_table_lists_both_groups_of_every_stack() -> None:
    table = stacks.headroom_table({"dev": synthesized("dev")})
    groups = set(re.findall(r"^\| dev \| us-east-1 \| (\w+) \| (minimum|rolling update) \|", table, re.M))
    assert groups == {(g, s) for g in ("system", "sandbox") for s in ("minimum", "rolling update")}

"""Every generated block in docs/ is what `python -m docgen` writes today; a stale copy fails here."""

from __future__ import annotations

import re

import pytest

from docgen import config_reference, stacks
from docgen.blocks import end_marker, replace_block, start_marker
from docgen.pages import BLOCKS, DOCS, rendered_pages
from preflight.synth import PROJECT_ROOT
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
    """The issue's example: prod's sandbox types changed in the stack file move the shape table,
    the estimate and the headroom (here on the dev graph and config, changed in memory)."""
    configs = stacks.stack_configs()
    dev = configs["dev"]
    region = dev.regions[0]
    sandbox = region.cluster.node_groups["sandbox"]
    bigger = sandbox.model_copy(update={"instance_types": ["m7i.2xlarge"]})
    cluster = region.cluster.model_copy(update={"node_groups": {**region.cluster.node_groups, "sandbox": bigger}})
    changed = dev.model_copy(update={"regions": [region.model_copy(update={"cluster": cluster})]})
    before = stacks.shape_table({"dev": dev})
    after = stacks.shape_table({"dev": changed})
    assert "m7i.2xlarge" in after and "m7i.2xlarge" not in before


def test_the_headroom_table_lists_both_groups_of_every_stack() -> None:
    table = stacks.headroom_table({"dev": synthesized("dev")})
    groups = set(re.findall(r"^\| dev \| us-east-1 \| (\w+) \| (minimum|rolling update) \|", table, re.M))
    assert groups == {(g, s) for g in ("system", "sandbox") for s in ("minimum", "rolling update")}

"""The Mermaid diagram: regions as subgraphs, components as boxes, links from real dependencies."""

from __future__ import annotations

import re

from eksplatform.preflight.diagram import render_mermaid
from eksplatform.preflight.export import export_document, read_state
from tests.conftest import synthesized


def diagram(stack: str) -> str:
    return render_mermaid(read_state(export_document(synthesized(stack))))


def test_prod_has_a_subgraph_per_region_and_links_that_exist() -> None:
    text = diagram("prod")
    lines = text.splitlines()
    assert lines[0] == "graph LR"
    subgraphs = [line for line in lines if line.strip().startswith("subgraph ")]
    assert [re.search(r'\["(.*)"\]', line).group(1) for line in subgraphs] == [  # type: ignore[union-attr]
        "ap-southeast-1",
        "eu-west-1",
        "us-east-1",
    ]
    assert len(subgraphs) == sum(1 for line in lines if line.strip() == "end")
    declared = {m.group(1) for m in re.finditer(r"^\s+(n\w+)\[", text, re.MULTILINE)}
    edges = re.findall(r"^\s+(n\w+) --> (n\w+)$", text, re.MULTILINE)
    assert edges and all(a in declared and b in declared for a, b in edges)
    # What a reader looks for: the global parts and their links across regions.
    assert ("nplatform_dns", "nus_east_1_ingress") in edges
    assert ("neu_west_1_postgres", "nus_east_1_postgres") in edges  # the secondary joins the primary
    assert ("nus_east_1_language_services", "nus_east_1_cluster") in edges
    assert "1 global database" in text and "6 health checks" in text  # 3 entry, 3 writer


def test_dev_has_one_region_and_no_health_checks() -> None:
    text = diagram("dev")
    # One region: GlobalDns only names the entry (two CNAMEs), with nothing to health-check.
    assert text.count("subgraph ") == 1 and "health check" not in text
    assert "<b>ManagedPostgres</b> us-east-1-postgres<br/>1 RDS instance" in text

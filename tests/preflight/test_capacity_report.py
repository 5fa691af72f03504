"""The capacity section of preflight's reports, and the pack refusing a stack whose pods do not fit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from eksplatform.preflight.__main__ import main
from eksplatform.preflight.analyze import Analysis
from eksplatform.preflight.export import export_document, read_state
from eksplatform.preflight.report import Run, render_json, render_markdown, render_text
from eksplatform.preflight.synth import PROJECT_ROOT
from tests.conftest import synthesized


def _run(stack: str) -> Run:
    state = read_state(export_document(synthesized(stack)), "synth")
    return Run(state=state, analysis=Analysis(packs=[], violations=[]))


def test_the_json_report_has_every_group_in_every_scenario() -> None:
    capacity = json.loads(render_json(_run("prod")))["capacity"]
    assert capacity["ok"] is True and capacity["unschedulable"] == [] and capacity["notes"] == []
    # 3 clusters x 2 groups x 3 scenarios.
    assert len(capacity["groups"]) == 18
    sandbox = next(
        g
        for g in capacity["groups"]
        if g["region"] == "eu-west-1" and g["group"] == "sandbox" and g["scenario"] == "rolling update"
    )
    # 3 x m7i.xlarge: 3920m, 14162Mi, 58 pods each.
    # A mixed group counts the least of each dimension over its types (here the same figures).
    assert sandbox["instanceTypes"] == ["m7i.xlarge", "m6i.xlarge"] and sandbox["nodes"] == 3
    assert sandbox["allocatable"] == {"cpuMillis": 11760, "memoryMiB": 42486, "pods": 174}
    # The minimum (7440m, of which 900m are the CloudWatch agent and Fluent Bit on 3 nodes) plus one
    # surge pod for each of the 8 services (2750m).
    assert sandbox["requested"]["cpuMillis"] == 7440 + 2750
    assert sandbox["headroom"]["cpuMillis"] == 11760 - 10190 and sandbox["fits"] is True
    # Memory of the 8 surge pods: each service's memory, plus its memory-backed /tmp (64 Mi; Java
    # 128 Mi), plus the gVisor RuntimeClass's 128 Mi: 4 x 448 (c, python, assembly, systemf) +
    # 3 x 704 (haskell, idris2, lisp) + 1280 (java).
    minimum = next(
        g
        for g in capacity["groups"]
        if g["region"] == "eu-west-1" and g["group"] == "sandbox" and g["scenario"] == "minimum"
    )
    assert sandbox["requested"]["memoryMiB"] - minimum["requested"]["memoryMiB"] == 4 * 448 + 3 * 704 + 1280
    assert sandbox["firstUnplaced"] is None


def test_text_and_markdown_show_the_table() -> None:
    run = _run("staging")
    text = render_text(run)
    assert "Capacity (pods vs node groups; minimum and rolling update at minSize, maximum at maxSize):" in text
    assert "us-east-1-cluster  sandbox  rolling update  3 x m7i.xlarge/m6i.xlarge  9190m/11760m" in text
    markdown = render_markdown(run)
    assert "**Capacity: the pods fit**" in markdown
    assert "| us-east-1-cluster | sandbox | minimum | 3 x m7i.xlarge/m6i.xlarge | 6440m/11760m |" in markdown


def _stack_file(tmp_path: Path, edit: str, value: object) -> Path:
    document = yaml.safe_load((PROJECT_ROOT / "Pulumi.dev.yaml").read_text())
    group = document["config"]["platform:regions"][0]["cluster"]["nodeGroups"]["sandbox"]
    group[edit] = value
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def test_a_stack_whose_pods_do_not_fit_is_refused_by_the_pack(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack_file = _stack_file(tmp_path, "instanceTypes", ["t3a.medium", "t3.medium"])
    status = main(["dev", "--config-file", str(stack_file)])
    out = capsys.readouterr().out
    assert status == 1
    assert "[limits-eks-pods-fit-node-groups]" in out
    # Two medium nodes hold the minimum (3110m of 3860m), not a rolling update's surge (5860m).
    assert (
        "node group sandbox of cluster us-east-1-cluster in us-east-1: 2 x t3a.medium/t3.medium (minSize) cannot hold "
        "the minimum plus every rolling update's surge pods" in out
    )
    assert "us-east-1-cluster/sandbox (rolling update): first pod that does not fit:" in out
    # The pack got the stack's platform:regions with ConfigureStack: the key path config errors print.
    assert "Raise regions[0].cluster.nodeGroups.sandbox.minSize (now 2)" in out


def test_an_unknown_node_type_is_a_config_error_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stack_file = _stack_file(tmp_path, "instanceTypes", ["t3a.mediun"])
    assert main(["dev", "--config-file", str(stack_file)]) == 2
    err = capsys.readouterr().err
    assert "regions[0].cluster.nodeGroups.sandbox.instanceTypes[0]: 't3a.mediun' is not an EC2 instance type" in err

"""Preflight warns before EKS's automatic upgrade at the end of standard support, and stops after it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from eksplatform.preflight import support_window
from eksplatform.preflight.__main__ import main
from eksplatform.preflight.support_window import check
from eksplatform.preflight.synth import PROJECT_ROOT

# Repeated analyses of one state are answered once per session (tests/pack_answers.py).
pytestmark = pytest.mark.usefixtures("shared_analyses")


def stack(version: str = "1.35", support_type: str | None = None) -> dict[str, object]:
    cluster: dict[str, object] = {"kubernetesVersion": version}
    if support_type is not None:
        cluster["supportType"] = support_type
    return {"platform:regions": [{"name": "us-east-1", "cluster": cluster}]}


@pytest.mark.parametrize(
    ("on", "support_type", "expected"),
    [
        # 1.35's standard support ends 2027-03-27 (EKS user guide, Kubernetes version lifecycle).
        (date(2026, 12, 26), None, []),  # 91 days before
        (date(2026, 12, 27), None, ["warning"]),  # 90 days before
        (date(2027, 3, 26), None, ["warning"]),
        (date(2027, 3, 27), None, ["error"]),  # EKS may upgrade the control plane from this day
        (date(2027, 3, 27), "STANDARD", ["error"]),
        (date(2027, 3, 27), "EXTENDED", []),  # kept, at the extended price
        (date(2027, 1, 10), "EXTENDED", ["warning"]),
    ],
)
def test_findings_follow_the_date_of_the_run(on: date, support_type: str | None, expected: list[str]) -> None:
    assert [finding.level for finding in check(stack(support_type=support_type), on)] == expected


def test_a_finding_names_the_setting_the_region_and_the_date() -> None:
    (error,) = check(stack(), date(2027, 4, 1))
    assert str(error).startswith("regions[0].cluster.kubernetesVersion: us-east-1: standard support for 1.35 ended")
    assert "2027-03-27" in str(error) and "supportType: EXTENDED" in str(error)
    (warning,) = check(stack(), date(2027, 3, 1))
    assert "ends on 2027-03-27 (26 days)" in str(warning)


def test_versions_without_a_known_end_are_left_alone() -> None:
    assert check(stack("1.36"), date(2030, 1, 1)) == []
    assert check({}, date(2030, 1, 1)) == []


def test_preflight_stops_a_stack_past_standard_support(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(support_window, "today", lambda: date(2027, 3, 28))
    assert main(["dev", "--format", "json", "--output", str(tmp_path / "r.json")]) == 2
    err = capsys.readouterr().err
    assert "error: Pulumi.dev.yaml: regions[0].cluster.kubernetesVersion: us-east-1: standard support for 1.35" in err
    # The same stack under the EXTENDED policy passes, with no finding.
    raw = yaml.safe_load((PROJECT_ROOT / "Pulumi.dev.yaml").read_text(encoding="utf-8"))
    raw["config"]["platform:regions"][0]["cluster"]["supportType"] = "EXTENDED"
    extended = tmp_path / "Pulumi.dev.yaml"
    extended.write_text(yaml.safe_dump(raw), encoding="utf-8")
    status = main(["dev", "--config-file", str(extended), "--format", "json", "--output", str(tmp_path / "e.json")])
    assert status == 0
    assert "standard support" not in capsys.readouterr().err

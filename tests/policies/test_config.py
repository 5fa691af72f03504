"""Strict policy config (#22 item 4): typos and out-of-range values are errors naming the key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eksplatform.policies import stack_config
from eksplatform.policies.catalog import ALL_RULES
from eksplatform.policies.config_check import document_problems


def test_a_typo_in_a_setting_is_named_with_a_suggestion() -> None:
    problems = document_problems({"data-rds-backup-retention": {"minBackupRetentionDay": 30}}, ALL_RULES)
    assert problems == [
        "data-rds-backup-retention: unknown setting 'minBackupRetentionDay' (did you mean "
        "'minBackupRetentionDays'?); known: minBackupRetentionDays"
    ]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"data-rds-backup-retention": {"minBackupRetentionDays": 90}}, "90 is greater than the maximum of 35"),
        ({"data-rds-backup-retention": {"minBackupRetentionDays": "30"}}, "'30' is not of type 'integer'"),
        ({"data-cloudwatch-log-retention": {"minRetentionDays": 0}}, "0 is less than the minimum of 1"),
        ({"data-eks-supported-version": {"oldestVersionSupported": "v1.31"}}, "does not match"),
        ({"data-rds-backup-retenton": "mandatory"}, "no such policy (did you mean 'data-rds-backup-retention'?)"),
        ({"data-rds-multi-az": {"enforcementLevel": "strict"}}, "enforcementLevel 'strict' is not one of"),
        ({"data-rds-multi-az": "remediate"}, "has no remediation"),
        ({"data-rds-multi-az": 3}, "give an enforcement level or an object of settings"),
    ],
)
def test_bad_values_are_named(document: dict[str, object], expected: str) -> None:
    problems = document_problems(document, ALL_RULES)
    assert len(problems) == 1 and expected in problems[0], problems


def test_a_remediable_policy_may_be_set_to_remediate() -> None:
    assert document_problems({"encryption-kms-key-rotation": "remediate"}, ALL_RULES) == []


def test_the_stack_files_are_read_strictly(tmp_path: Path) -> None:
    typo = tmp_path / "typo.json"
    typo.write_text(json.dumps({"data-rds-backup-retention": {"minBackupRetentionDay": 30}}))
    with pytest.raises(
        ValueError, match=r"typo.json: data-rds-backup-retention: unknown setting 'minBackupRetentionDay'"
    ):
        stack_config.read(typo)
    for stack in ("dev", "staging", "prod"):
        assert stack_config.for_stack(stack)  # the shipped files pass

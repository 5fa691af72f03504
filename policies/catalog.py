"""Every rule of the pack, in one place: the pack, the tests and the docs read this list."""

from __future__ import annotations

from eksplatform.policies.rule import Rule, StackRule
from eksplatform.policies.rules.access import ACCESS_RULES, ACCESS_STACK_RULES
from eksplatform.policies.rules.capacity import CAPACITY_RULES, CAPACITY_STACK_RULES
from eksplatform.policies.rules.cost import COST_STACK_RULES
from eksplatform.policies.rules.data import DATA_RULES, DATA_STACK_RULES
from eksplatform.policies.rules.encryption import ENCRYPTION_RULES, ENCRYPTION_STACK_RULES
from eksplatform.policies.rules.exposure import EXPOSURE_RULES, EXPOSURE_STACK_RULES
from eksplatform.policies.rules.kubernetes import IMAGE_RULES, LIMIT_RULES, NO_ROOT_RULES, NO_ROOT_STACK_RULES
from eksplatform.policies.rules.observability import OBSERVABILITY_STACK_RULES
from eksplatform.policies.rules.reachability import REACHABILITY_STACK_RULES
from eksplatform.policies.rules.sandbox import SANDBOX_STACK_RULES

PACK_NAME = "platform"
RESOURCE_RULES: tuple[Rule, ...] = (
    *LIMIT_RULES,
    *CAPACITY_RULES,
    *ENCRYPTION_RULES,
    *NO_ROOT_RULES,
    *EXPOSURE_RULES,
    *DATA_RULES,
    *IMAGE_RULES,
    *ACCESS_RULES,
)
STACK_RULES: tuple[StackRule, ...] = (
    *ENCRYPTION_STACK_RULES,
    *EXPOSURE_STACK_RULES,
    *DATA_STACK_RULES,
    *COST_STACK_RULES,
    *CAPACITY_STACK_RULES,
    *NO_ROOT_STACK_RULES,
    *SANDBOX_STACK_RULES,
    *ACCESS_STACK_RULES,
    *REACHABILITY_STACK_RULES,
    *OBSERVABILITY_STACK_RULES,
)
ALL_RULES: tuple[Rule | StackRule, ...] = (*RESOURCE_RULES, *STACK_RULES)

_names = [rule.name for rule in ALL_RULES]
assert len(_names) == len(set(_names)), "policy names must be unique"

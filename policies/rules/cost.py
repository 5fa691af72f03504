"""Cost: the stack's estimated monthly cost stays within its budget.

The estimate is the one preflight reports (cost/estimate.py over cost/prices.py), computed from
the resources the engine sends, so a real `pulumi preview --policy-pack policies` checks the same
figure. The budget has one source: the stack's own `platform:monthlyBudget`, which the engine sends
the pack with ConfigureStack (and preflight does the same); `monthlyBudgetUsd` in the policy config
overrides it. The policy is advisory by default and policies/config/prod.json makes it mandatory.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from cost.estimate import Estimate, Item, estimate, provider_region
from policies.rule import Resource, StackRule


def stack_estimate(resources: Sequence[Resource]) -> Estimate:
    """The cost estimate of the resources a stack policy receives."""
    return estimate(
        Item(
            urn=resource.urn,
            type=resource.type,
            props=resource.props,
            region=provider_region(resource.provider_props),
            parent=resource.parent,
            dependencies=resource.dependencies,
        )
        for resource in resources
    )


def _within_budget(resources: Sequence[Resource], config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    budget = config.get("monthlyBudgetUsd")
    if not isinstance(budget, int | float) or isinstance(budget, bool):
        return
    found = stack_estimate(resources)
    total = found.monthly_usd
    if total <= budget:
        return
    biggest = sorted(found.lines, key=lambda line: -line.monthly_usd)[:3]
    shown = ", ".join(f"{line.what} in {line.region} ${line.monthly_usd:,.2f}" for line in biggest)
    unpriced = f"; {len(found.unpriced)} resource(s) have no price and are not counted" if found.unpriced else ""
    yield (
        f"the estimated monthly cost ${total:,.2f} is over the budget ${budget:,.2f} by ${total - budget:,.2f} "
        f"(largest: {shown}{unpriced}); shrink the stack or raise the stack's monthlyBudget",
        "",
    )


COST_STACK_RULES = (
    StackRule(
        name="cost-stack-monthly-budget",
        description="The stack's estimated monthly cost (preflight's price table) stays within its budget.",
        severity="high",
        enforcement="advisory",
        check=_within_budget,
        config_schema={
            # No default: a stack without a budget is not checked.
            "monthlyBudgetUsd": {
                "type": "number",
                "minimum": 0,
                "description": "USD per month (default: the stack's platform:monthlyBudget)",
            },
        },
        stack_config_keys={"monthlyBudgetUsd": "platform:monthlyBudget"},
        remediation="Run `python -m preflight <stack>` for the cost table by region and component, then "
        "shrink the largest lines (node counts, instance classes, replicas) or raise the budget.",
    ),
)

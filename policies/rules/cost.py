"""Cost: the stack's estimated monthly cost stays within its budget.

The estimate is the one preflight reports (eksplatform/cost/estimate.py over eksplatform/cost/prices.py), computed from
the resources the engine sends, so a real `pulumi preview --policy-pack policies` checks the same
figure. The budget has one source: the stack's own `platform:monthlyBudget`, which the engine sends
the pack with ConfigureStack (and preflight does the same); `monthlyBudgetUsd` in the policy config
overrides it. The usage figures come from the stack's `usage/<stack>.yaml` (eksplatform/cost/usage.py), found by
the stack name ConfigureStack sent, in the `usage/` folder beside the `cost` package the pack runs
(a published pack carries none, and uses the documented defaults); every message names the source.
The policy is advisory by default and policies/config/prod.json makes it mandatory.

The gate prices node groups at their desiredSize; `cost-stack-monthly-budget-at-max-size`, always
advisory, says when the stack at every group's maxSize would cost more than the budget. A resource
a preview cannot price yet (an input unknown until apply) is not a violation: preflight lists it as
"unknown until apply", and `pulumi up` checks the known value.

Nothing passes by being ignored: with a budget set, every resource the table cannot price is a
violation of its own, naming the resource, so a mandatory budget cannot be met by a stack whose
estimate is missing a part (a type, size or region without a price).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from eksplatform.cost.estimate import Estimate, Item, estimate, provider_region
from eksplatform.cost.usage import DEFAULT_USAGE, Usage, UsageError, usage_for_stack
from eksplatform.policies.rule import Resource, StackRule
from eksplatform.policies.servicer import STACK_NAME_SENT
from eksplatform.policies.stack_snapshot import per_snapshot


def stack_estimate(resources: Sequence[Resource], usage: Usage = DEFAULT_USAGE) -> Estimate:
    """The cost estimate of the resources a stack policy receives."""
    return estimate(
        (
            Item(
                urn=resource.urn,
                type=resource.type,
                props=resource.props,
                region=provider_region(resource.provider_props),
                parent=resource.parent,
                dependencies=resource.dependencies,
            )
            for resource in resources
        ),
        usage,
    )


# Both budget policies price the same request with the same usage: once (policies/stack_snapshot.py).
_request_estimate = per_snapshot(stack_estimate)


def _within_budget(resources: Sequence[Resource], config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    budget = config.get("monthlyBudgetUsd")
    if not isinstance(budget, int | float) or isinstance(budget, bool):
        return
    try:
        usage = usage_for_stack(STACK_NAME_SENT.get("stack", ""))
    except UsageError as error:
        yield f"the stack's usage file cannot be used, so its cost is unknown: {error}", ""
        return
    found = _request_estimate(resources, usage)
    for missing in found.unpriced:
        name = missing.urn.rsplit("::", 1)[-1]
        yield (
            f"{name} has no price ({missing.reason}), so the estimate cannot show the stack within its budget "
            f"${budget:,.2f}; use a priced type, size or region, or add its price (eksplatform/cost/prices.py, or "
            f"`python -m eksplatform.cost.offer_file` from AWS's offer file); usage from {found.usage_source}",
            missing.urn,
        )
    total = found.monthly_usd
    if total <= budget:
        return
    biggest = sorted(found.lines, key=lambda line: -line.monthly_usd)[:3]
    shown = ", ".join(f"{line.what} in {line.region} ${line.monthly_usd:,.2f}" for line in biggest)
    unpriced = f"; {len(found.unpriced)} resource(s) have no price and are not counted" if found.unpriced else ""
    yield (
        f"the estimated monthly cost ${total:,.2f} is over the budget ${budget:,.2f} by ${total - budget:,.2f} "
        f"(largest: {shown}{unpriced}; node groups at desiredSize; usage from {found.usage_source}); shrink the "
        "stack or raise the stack's monthlyBudget",
        "",
    )


def _within_budget_at_max_size(resources: Sequence[Resource], config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    budget = config.get("monthlyBudgetUsd")
    if not isinstance(budget, int | float) or isinstance(budget, bool):
        return
    try:
        usage = usage_for_stack(STACK_NAME_SENT.get("stack", ""))
    except UsageError:
        return  # the budget policy reports the bad usage file
    found = _request_estimate(resources, usage)
    high = found.monthly_high_usd
    if high is None or high <= budget:
        return  # unpriced resources are the budget policy's violations
    yield (
        f"with every node group at its maxSize the estimate is ${high:,.2f}, over the budget ${budget:,.2f} by "
        f"${high - budget:,.2f} (the budget gate counts desiredSize: ${found.monthly_usd:,.2f}); usage from "
        f"{found.usage_source}",
        "",
    )


COST_STACK_RULES = (
    StackRule(
        name="cost-stack-monthly-budget",
        description="The stack's estimated monthly cost (preflight's price table) stays within its budget, "
        "and every resource in it has a price.",
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
        remediation="Run `eksplatform-preflight <stack>` for the cost table by region and component, then "
        "shrink the largest lines (node counts, instance classes, replicas) or raise the budget. For a resource "
        "without a price, use a priced size or region, or add the price (docs/cost.md, 'The price table'); set "
        "traffic and I/O in usage/<stack>.yaml.",
    ),
    StackRule(
        name="cost-stack-monthly-budget-at-max-size",
        description="Advisory: the stack's estimated monthly cost with every node group at its maxSize stays "
        "within its budget (the budget policy counts desiredSize).",
        severity="low",
        enforcement="advisory",
        check=_within_budget_at_max_size,
        config_schema={
            "monthlyBudgetUsd": {
                "type": "number",
                "minimum": 0,
                "description": "USD per month (default: the stack's platform:monthlyBudget)",
            },
        },
        stack_config_keys={"monthlyBudgetUsd": "platform:monthlyBudget"},
        remediation="Autoscaling to maxSize would cost more than the budget: lower maxSize, or accept it knowingly "
        "(docs/cost.md, 'The budget gate').",
    ),
)

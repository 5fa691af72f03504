"""What every stack-config model shares: camelCase keys, frozen values, common value types."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, StringConstraints
from pydantic.alias_generators import to_camel

from eksplatform.components import eks_rules
from eksplatform.components.data_rules import DAILY_WINDOW, WEEKLY_WINDOW
from eksplatform.components.facts import log_retention_problem
from eksplatform.components.kubernetes_names import labels_problem
from eksplatform.cost.prices import ADMITTED_REGIONS, HOW_TO_ADD_A_PRICE
from eksplatform.stack.errors import KeyedValueError

# A platform rule, stricter than EKS's 1-63 characters (eks_rules.NODE_GROUP_NAME): the platform's
# names are short lower-case words (system, sandbox) that read well in resource names and labels.
PLATFORM_NODE_GROUP_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}$")
NodeGroupName = Annotated[str, StringConstraints(pattern=PLATFORM_NODE_GROUP_NAME.pattern)]
Ec2InstanceType = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*\.[a-z0-9]+$")]


def _labels(labels: dict[str, str]) -> dict[str, str]:
    """Kubernetes' label syntax, the one implementation (components/kubernetes_names.py)."""
    if (problem := labels_problem(labels)) is not None:
        raise ValueError(problem)
    return labels


def _node_labels(labels: dict[str, str]) -> dict[str, str]:
    """A node group's labels: Kubernetes' syntax and EKS's 1-63 characters (components/eks_rules.py)."""
    for key, value in labels.items():
        if (problem := eks_rules.label_problem(key, value)) is not None:
            raise KeyedValueError(key, problem)
    return labels


# Labels of Kubernetes objects (pod selectors) and of EKS node groups (stricter: EKS's limits).
LabelMap = Annotated[dict[str, str], AfterValidator(_labels)]
NodeLabelMap = Annotated[dict[str, str], AfterValidator(_node_labels)]
NonEmpty = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
# The patterns are the data stores' own (components/data_rules.py).
Window = Annotated[str, StringConstraints(pattern=DAILY_WINDOW.pattern)]
WeeklyWindow = Annotated[str, StringConstraints(pattern=WEEKLY_WINDOW.pattern)]


def _cidr_text(value: Any) -> Any:
    """A CIDR is text: pydantic would read a number as an address (YAML's `true` as 0.0.0.1/32)."""
    if isinstance(value, (str, ipaddress.IPv4Network)):
        return value
    raise ValueError(f"write the CIDR as text, e.g. '10.10.0.0/16' (YAML read {value!r}, not text)")


# An IPv4 CIDR written as text ("10.10.0.0/16"); host bits set are refused by the type itself.
Cidr = Annotated[ipaddress.IPv4Network, BeforeValidator(_cidr_text)]


class StackModel(BaseModel):
    """camelCase keys in YAML, snake_case in Python, unknown keys rejected, values frozen."""

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        frozen=True,
    )


def check_order(pairs: list[tuple[str, float | None, str, float | None]]) -> None:
    """Raise for the first `(low_key, low, high_key, high)` where low > high."""
    for low_key, low, high_key, high in pairs:
        if low is not None and high is not None and low > high:
            raise KeyedValueError(low_key, f"{low:g} is greater than {high_key} {high:g}")


def log_retention(days: int) -> int:
    if (problem := log_retention_problem(days)) is not None:
        raise ValueError(problem)
    return days


def unpriced(what: str) -> str:
    return f"{what} has no price in every admitted region {list(ADMITTED_REGIONS)}; {HOW_TO_ADD_A_PRICE}"

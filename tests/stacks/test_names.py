"""Physical names come from the stack: the default stacks keep theirs, a copy of one shares none.

`default_stack_names.json` was recorded from main before names moved from `environment` to the
stack (tests/stacks/physical_names.py): a changed name or URN there would be a replacement on a
real stack.
"""

from __future__ import annotations

import functools
import ipaddress
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from eksplatform.preflight.synth import PROJECT_ROOT, Graph, synth
from eksplatform.stack.config import StackConfig
from eksplatform.stack.errors import ConfigError
from eksplatform.stack.loading import copy_issues, load_stack_file, read_stack_file
from tests.conftest import synthesized
from tests.helpers import decoded
from tests.stacks.physical_names import copy_of, copy_values, physical_names, shared_inputs, string_inputs

RECORDED = Path(__file__).with_name("default_stack_names.json")
# Removed since the recording, on purpose: the sandbox has no DNS egress by default (#26,
# docs/sandbox.md), so its allow-dns NetworkPolicy is gone.
REMOVED_ON_PURPOSE = (
    "-language-services-allow-dns",
    # The data stores' own alarm topics and their keys: their alarms notify the observability
    # critical topic instead (#25 review; components/alert_topics.py). Neither held data or was protected.
    "-postgres-alarms",
    "-postgres-alarms-key",
    "-redis-cache-alarms",
    "-redis-cache-alarms-key",
    "-redis-queue-alarms",
    "-redis-queue-alarms-key",
)


def _recorded() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(RECORDED.read_text(encoding="utf-8"))
    return document


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_default_stacks_keep_their_urns(stack: str) -> None:
    # Resources added since the recording (observability, the deployer path, the sandbox runtime)
    # are new URNs; every recorded one must still be there, or a real stack would replace it.
    urns = {r.urn for r in synthesized(stack).resources}
    missing = [urn for urn in _recorded()[stack]["urns"] if urn not in urns and not urn.endswith(REMOVED_ON_PURPOSE)]
    assert missing == []


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_the_default_stacks_keep_their_physical_names(stack: str) -> None:
    names = physical_names(synthesized(stack))
    recorded: dict[str, dict[str, str]] = _recorded()[stack]["physicalNames"]
    assert {urn: names.get(urn) for urn in recorded} == recorded


@functools.cache
def dev_alice() -> Graph:
    return copy_of("dev", "dev-alice", domain="alice.dev.run.example.com")


@pytest.mark.parametrize(
    ("environment", "copy"),
    [
        ("dev", dev_alice),
        ("prod", lambda: copy_of("prod", "prod-eu_2", domain="eu2.run.example.com")),
    ],
    ids=["dev-alice", "prod-eu_2"],
)
def test_two_stacks_of_one_environment_share_no_string_input_off_the_reviewed_list(
    environment: str, copy: Callable[[], Graph]
) -> None:
    """Every string input of every AWS resource, nested ones too, is different in a copy unless
    physical_names.SHAREABLE says why it may be shared (a dashboard named after the environment,
    PutDashboard overwriting dev's, was missed by a list of name keys)."""
    original, other = synthesized(environment), copy()

    assert len(string_inputs(other)) > 20  # clusters, databases, caches, users, log groups, dashboards...
    assert shared_inputs(original, other) == {}


def test_the_comparison_sees_a_shared_dashboard_and_a_shared_deployer_route() -> None:
    """The check itself, on dev against dev (a copy with dev's names and CIDR): the dashboards, the
    cluster and the deployer route (10.10.0.0/16 in the deployer's route table) are all seen."""
    dev = synthesized("dev")

    shared = shared_inputs(dev, dev)
    assert "platform-dev-global" in shared  # the global dashboard
    assert "platform-dev-us-east-1" in shared  # the cluster (and its regional dashboard)
    assert any(value.startswith("route rtb-") and value.endswith(" 10.10.0.0/16") for value in shared)


def test_the_default_stacks_keep_their_dashboard_names() -> None:
    dashboards = {d.inputs["dashboardName"] for d in synthesized("dev").by_type("aws:cloudwatch/dashboard:Dashboard")}
    assert dashboards == {"platform-dev-global", "platform-dev-us-east-1"}


def test_a_copy_of_a_stack_keeps_the_environment_in_its_tags_and_behaviour() -> None:
    graph = dev_alice()
    provider = graph.one("pulumi:providers:aws", "aws-us-east-1")

    assert decoded(provider.inputs["defaultTags"])["tags"]["environment"] == "dev"
    # Behaviour follows the environment: dev's database has no deletion protection, in any stack.
    assert graph.one("aws:rds/instance:Instance").inputs["deletionProtection"] is False
    assert graph.one("aws:eks/cluster:Cluster").inputs["name"] == "platform-dev-alice-us-east-1"


def test_a_copy_of_a_stack_pulls_from_the_environments_repositories_and_creates_none() -> None:
    """ECR repositories are shared by the stacks of an account (docs/naming.md)."""
    original, copy = synthesized("dev"), dev_alice()

    assert copy.by_type("aws:ecr/repository:Repository") == []
    assert copy.by_type("aws:kms/alias:Alias") and not [
        alias for alias in copy.by_type("aws:kms/alias:Alias") if alias.inputs["name"].endswith("/ecr")
    ]
    assert _pulls(copy) == _pulls(original)
    assert {arn.rsplit("/", 1)[-1] for group in _pulls(copy).values() for arn in group} >= {"lang-python", "traefik"}


def _pulls(graph: Graph) -> dict[str, list[str]]:
    """By node role policy name, the repositories its `PullOwnImages` statement names (EKS's add-on
    registry left out)."""
    found: dict[str, list[str]] = {}
    for registration in graph.resources:
        document = registration.inputs.get("policy")
        if not isinstance(document, str) or "PullOwnImages" not in document:
            continue
        for statement in json.loads(document)["Statement"]:
            if statement.get("Sid") == "PullOwnImages":
                resources = statement["Resource"]
                found[registration.name] = sorted(r for r in resources if ":repository/platform/" in r)
    return found


def test_registries_only_in_a_copy_of_a_stack_is_one_message() -> None:
    values = copy_values("dev", domain="alice.dev.run.example.com")
    values["platform:registriesOnly"] = True

    refused = r"^args\.registries_only \(registriesOnly\): stack 'dev-alice' uses the ECR repositories of stack 'dev'"
    with pytest.raises(Exception, match=refused):
        synth("dev-alice", stack_values=values)


def test_a_copy_with_its_environments_cidr_is_refused_naming_the_setting() -> None:
    """The deployer network routes 10.10.0.0/16 to dev's peering (components/deployer.py: a route
    per route table and destination): a copy on the same CIDR would collide there."""
    values = read_stack_file(PROJECT_ROOT / "Pulumi.dev.yaml")
    values["platform:dns"] = {**values["platform:dns"], "domain": "bob.dev.run.example.com"}

    expected = r"regions\[0\]\.vpc\.cidr: 10\.10\.0\.0/16 overlaps 10\.10\.0\.0/16 of stack 'dev'"
    with pytest.raises(ConfigError, match=expected):
        synth("dev-bob", stack_values=values)


def _dev_copy(**region_changes: Any) -> StackConfig:
    config = load_stack_file(PROJECT_ROOT / "Pulumi.dev.yaml")
    region = config.regions[0]
    vpc = region.vpc.model_copy(update={"cidr": ipaddress.IPv4Network("10.60.0.0/16")})
    return config.model_copy(update={"regions": [region.model_copy(update={"vpc": vpc, **region_changes})]})


def test_a_copy_in_a_region_its_environment_lacks_is_refused_naming_the_region() -> None:
    issues = copy_issues(_dev_copy(name="us-west-2"), "dev-carol", PROJECT_ROOT)

    assert [str(issue) for issue in issues] == [
        "regions[0].name: stack 'dev' (Pulumi.dev.yaml) has no region us-west-2: a copy pulls its images from the "
        "environment's repositories in its own region and creates none (docs/naming.md)"
    ]


def test_the_copy_check_leaves_the_environments_own_stack_and_other_accounts_alone(tmp_path: Path) -> None:
    config = _dev_copy(name="us-west-2")

    assert copy_issues(config, "dev-carol", PROJECT_ROOT)  # the case above
    assert copy_issues(load_stack_file(PROJECT_ROOT / "Pulumi.dev.yaml"), "dev", PROJECT_ROOT) == []
    elsewhere = config.model_copy(update={"allowed_account_ids": ["999999999999"]})
    assert copy_issues(elsewhere, "dev-carol", PROJECT_ROOT) == []
    assert copy_issues(config, "dev-carol", tmp_path) == []  # no Pulumi.dev.yaml there

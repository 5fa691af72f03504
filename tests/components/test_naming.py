"""components/naming.py: names from the project and stack, fitted to AWS's limits."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from eksplatform.components.naming import (
    ALARM,
    DASHBOARD,
    EKS_CLUSTER,
    ELASTICACHE_REPLICATION_GROUP,
    RDS_GLOBAL_CLUSTER,
    RDS_IDENTIFIER,
    NameRule,
    NamingError,
    StackNames,
    fit,
    identifier_part,
)
from eksplatform.components.writer_health import SETTINGS, alarm_name
from tests.stacks.physical_names import copy_of

# RDS and ElastiCache identifiers: a letter first, letters, digits and single hyphens, no trailing hyphen.
IDENTIFIER = re.compile(r"^[a-z](?!.*--)[a-z0-9-]*[a-z0-9]$")
LONG_STACK = "dev-" + "feature-branch-with-a-very-long-name-" * 3


def test_the_environment_stacks_keep_the_names_they_had() -> None:
    prod = StackNames("platform", "prod", "prod")

    assert prod.eks_cluster("ap-southeast-1") == "platform-prod-ap-southeast-1"
    assert prod.database("eu-west-1") == "platform-prod-euw1"
    assert prod.global_database() == "platform-prod"
    assert prod.cache("us-east-1", "queue") == "platform-prod-use1-queue"
    assert prod.global_datastore_suffix("queue") == "platform-prod-queue"
    assert prod.flow_log_group("us-east-1-network") == "/platform/vpc/us-east-1-network/flow-logs"
    assert prod.owns_shared


def test_any_other_stack_of_the_environment_gets_names_of_its_own() -> None:
    alice, dev = StackNames("platform", "dev-alice", "dev"), StackNames("platform", "dev", "dev")

    assert alice.database("us-east-1") == "platform-dev-alice-use1"
    assert alice.flow_log_group("us-east-1-network") == "/platform/dev-alice/vpc/us-east-1-network/flow-logs"
    assert alice.flow_log_group("us-east-1-network") != dev.flow_log_group("us-east-1-network")
    assert not alice.owns_shared


def test_the_project_is_part_of_every_name() -> None:
    ours, theirs = StackNames("platform", "dev", "dev"), StackNames("billing", "dev", "dev")

    assert theirs.eks_cluster("us-east-1") == "billing-dev-us-east-1"
    assert ours.global_database() != theirs.global_database()
    assert ours.flow_log_group("n") != theirs.flow_log_group("n")


@pytest.mark.parametrize(
    ("rule", "name"),
    [
        (EKS_CLUSTER, lambda names: names.eks_cluster("ap-southeast-1")),
        (RDS_IDENTIFIER, lambda names: names.database("ap-southeast-1")),
        (RDS_GLOBAL_CLUSTER, lambda names: names.global_database()),
        (ELASTICACHE_REPLICATION_GROUP, lambda names: names.cache("ap-southeast-1", "queue")),
    ],
    ids=["eks", "rds", "global-database", "replication-group"],
)
def test_a_long_stack_name_is_cut_to_the_limit_with_a_stable_hash(
    rule: NameRule, name: Callable[[StackNames], str]
) -> None:
    long, longer = StackNames("platform", LONG_STACK, "dev"), StackNames("platform", LONG_STACK + "x", "dev")

    fitted = name(long)
    assert len(fitted) == rule.max_length
    assert fitted == name(StackNames("platform", LONG_STACK, "dev"))  # the same in every run
    assert fitted != name(longer)  # cut names still differ: the hash is of the whole name
    assert re.fullmatch(r".*-[0-9a-f]{8}", fitted)


def test_a_name_that_fits_is_left_as_it_is() -> None:
    assert fit("platform-dev-use1", RDS_IDENTIFIER) == "platform-dev-use1"
    with pytest.raises(NamingError, match="tiny: 5 characters cannot hold a name and its hash"):
        fit("platform-dev", NameRule("tiny", 5, "test"))


@pytest.mark.parametrize("stack", ["dev_alice", "dev.alice", "Dev-Alice", "dev--alice"])
def test_a_stack_name_with_characters_identifiers_refuse_is_spelled_with_hyphens_and_a_hash(stack: str) -> None:
    names = StackNames("platform", stack, "dev")

    assert IDENTIFIER.fullmatch(names.database("us-east-1"))
    assert IDENTIFIER.fullmatch(names.cache("us-east-1", "cache"))
    assert names.database("us-east-1") != StackNames("platform", "dev-alice", "dev").database("us-east-1")


def test_spellings_that_differ_only_in_punctuation_stay_apart() -> None:
    assert len({identifier_part(stack) for stack in ("dev_a", "dev.a", "dev-a", "DEV-A")}) == 4


def test_an_empty_stack_name_is_refused_naming_the_setting() -> None:
    with pytest.raises(NamingError, match="stack: names derive from the stack name, and it is empty"):
        StackNames("platform", " ", "dev")


def test_a_stack_with_a_long_name_builds_with_every_name_in_its_limit() -> None:
    """The components validate their identifiers: a fitted name must pass them."""
    graph = copy_of("dev", LONG_STACK, domain="long.dev.run.example.com")  # a copy: its own CIDRs

    cluster = graph.one("aws:eks/cluster:Cluster").inputs["name"]
    database = graph.one("aws:rds/instance:Instance").inputs["identifier"]
    groups = [
        g.inputs["replicationGroupId"] for g in graph.by_type("aws:elasticache/replicationGroup:ReplicationGroup")
    ]
    assert len(cluster) == EKS_CLUSTER.max_length
    assert len(database) == RDS_IDENTIFIER.max_length and IDENTIFIER.fullmatch(database)
    assert all(
        len(group) == ELASTICACHE_REPLICATION_GROUP.max_length and IDENTIFIER.fullmatch(group) for group in groups
    )
    assert len(set(groups)) == 2  # cache and queue cut apart by their hashes


def test_a_writer_alarm_of_a_long_stack_fits_the_alarm_limit_with_its_settings_hash() -> None:
    """PutMetricAlarm AlarmName is at most 255; writer_health appends `-<8 hex>` to the stack's prefix."""
    very_long = StackNames("platform", "dev-" + "x" * 300, "dev")

    name = alarm_name(very_long.alarm("us-east-1-database-writer"), SETTINGS)
    assert len(name) == ALARM.max_length
    assert name != alarm_name(
        StackNames("platform", "dev-" + "x" * 301, "dev").alarm("us-east-1-database-writer"), SETTINGS
    )


def test_dashboards_are_named_after_the_stack_and_fit_their_limit() -> None:
    """PutDashboard overwrites a dashboard of the same name: dev and dev-alice must not share one."""
    assert StackNames("platform", "dev", "dev").dashboard("global") == "platform-dev-global"
    assert StackNames("platform", "dev-alice", "dev").dashboard("global") == "platform-dev-alice-global"
    assert len(StackNames("platform", "dev-" + "x" * 300, "dev").dashboard("global")) == DASHBOARD.max_length

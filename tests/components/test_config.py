"""The stack config: the real stack files load, and every bad input names its key path."""

from __future__ import annotations

import copy
import ipaddress
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eksplatform.cost.prices import ADMITTED_REGIONS
from eksplatform.preflight.synth import PROJECT_ROOT
from eksplatform.stack.config import StackConfig
from eksplatform.stack.errors import ConfigError
from eksplatform.stack.loading import (
    SECRET_PLACEHOLDER,
    load_stack_file,
    parse_stack_config,
    pulumi_config_map,
    read_stack_file,
    stack_config_from_pulumi,
)
from tests.conftest import Harness

STACKS = ("dev", "staging", "prod")


def namespace_values(stack: str) -> dict[str, Any]:
    """The `platform:` keys of a stack file, prefix removed (what parse_stack_config takes)."""
    raw = read_stack_file(PROJECT_ROOT / f"Pulumi.{stack}.yaml")
    return {key.split(":", 1)[1]: copy.deepcopy(value) for key, value in raw.items() if key.startswith("platform:")}


def issue_text(data: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(data)
    return str(caught.value)


# --- the stack files ---------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_file_loads(stack: str) -> None:
    config = load_stack_file(PROJECT_ROOT / f"Pulumi.{stack}.yaml")
    assert config.environment == stack
    assert sum(region.primary for region in config.regions) == 1
    assert config.tags == {
        "environment": stack,
        "owner": "platform-team",
        "cost-center": f"cc-platform-{stack}",
        "managed-by": "pulumi",
    }


def test_dev_is_one_cheap_region() -> None:
    config = load_stack_file(PROJECT_ROOT / "Pulumi.dev.yaml")
    (region,) = config.regions
    assert region.vpc.nat_strategy == "single"
    assert region.postgres.engine == "rds"
    assert region.cluster.node_groups["sandbox"].capacity_type == "SPOT"


def test_staging_has_the_production_shape_at_a_smaller_size() -> None:
    staging = load_stack_file(PROJECT_ROOT / "Pulumi.staging.yaml")
    prod = load_stack_file(PROJECT_ROOT / "Pulumi.prod.yaml")
    (region,) = staging.regions
    assert region.vpc.nat_strategy == prod.primary_region.vpc.nat_strategy == "one-per-az"
    assert region.vpc.az_count == prod.primary_region.vpc.az_count
    assert region.postgres.engine == "aurora" and region.postgres.readers >= 1
    assert region.redis.queue.replicas_per_shard >= 1
    staging_nodes = sum(group.desired_size for group in region.cluster.node_groups.values())
    prod_nodes = sum(group.desired_size for group in prod.primary_region.cluster.node_groups.values())
    assert staging_nodes < prod_nodes


def test_prod_spans_three_regions_with_production_sizes() -> None:
    config = load_stack_file(PROJECT_ROOT / "Pulumi.prod.yaml")
    assert [region.name for region in config.regions] == ["us-east-1", "eu-west-1", "ap-southeast-1"]
    assert config.primary_region.name == "us-east-1"
    networks = [region.vpc.cidr for region in config.regions]
    assert all(not a.overlaps(b) for i, a in enumerate(networks) for b in networks[i + 1 :])
    for region in config.regions:
        assert sum(group.min_size for group in region.cluster.node_groups.values()) >= 3
        assert region.cluster.node_groups["system"].min_size >= 3
        assert region.postgres.engine == "aurora" and region.postgres.readers >= 1
        assert region.postgres.backup_retention_days == 30
        assert region.redis.cache.cluster_mode and region.redis.queue.cluster_mode
        assert region.cluster.endpoint_public_access is False


# --- bad input: one case per rule, each naming its key path ------------------------------

Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    """A mutation that sets a dotted path (`regions.0.vpc.cidr`) in the raw config."""

    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = data
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return mutate


def _delete(path: str) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = data
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        del node[last]

    return mutate


def _both(first: Mutation, second: Mutation) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        first(data)
        second(data)

    return mutate


def _second_region(**changes: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        region = copy.deepcopy(data["regions"][0])
        region.update(name="eu-west-1", primary=False)
        region["vpc"] = {**region["vpc"], "cidr": "10.11.0.0/16"}
        services = region["languageServices"]
        region["languageServices"] = {
            **services,
            "imageRegistry": services["imageRegistry"].replace("us-east-1", "eu-west-1"),
        }
        for key, value in changes.items():
            if key == "cidr":
                region["vpc"]["cidr"] = value
            else:
                region[key] = value
        data["regions"].append(region)

    return mutate


@pytest.fixture
def fourth_region_admitted(monkeypatch: pytest.MonkeyPatch) -> None:
    """Admit us-east-2 as if it were priced: only three regions are (eksplatform/cost/prices.py ADMITTED_REGIONS),
    and the rules below are about a fourth."""
    monkeypatch.setattr("eksplatform.stack.config.ADMITTED_REGIONS", (*ADMITTED_REGIONS, "us-east-2"))


def _fourth_region(data: dict[str, Any]) -> None:
    """A copy of the last region in us-east-2 (ElastiCache: a datastore spans at most 3 regions)."""
    region = copy.deepcopy(data["regions"][-1])
    region.update(name="us-east-2", primary=False)
    region["vpc"] = {**region["vpc"], "cidr": "10.103.0.0/16"}
    services = region["languageServices"]
    region["languageServices"] = {
        **services,
        "imageRegistry": services["imageRegistry"].replace("ap-southeast-1", "us-east-2"),
    }
    data["regions"].append(region)


BAD_CASES: list[tuple[str, Mutation, str, str]] = [
    ("unknown top-level key", _set("colour", "blue"), "colour", "unknown key"),
    ("unknown nested key", _set("regions.0.vpc.natStrat", "single"), "regions[0].vpc.natStrat", "unknown key"),
    ("environment", _set("environment", "qa"), "environment", "'dev', 'staging' or 'prod'"),
    ("owner missing", _delete("owner"), "owner", "Field required"),
    ("budget", _set("monthlyBudget", -5), "monthlyBudget", "greater than 0"),
    ("account id", _set("allowedAccountIds", ["1234"]), "allowedAccountIds[0]", "should match pattern"),
    ("no regions", _set("regions", []), "regions", "at least 1 item"),
    ("region name", _set("regions.0.name", "mars-north-1"), "regions[0].name", "not a known AWS region"),
    # Only priced values are admitted (docs/cost.md, "What is admitted"): the budget gate needs them.
    (
        "a known region without prices",
        _set("regions.0.name", "eu-central-1"),
        "regions[0].name",
        "'eu-central-1' has no prices in eksplatform/cost/prices.py",
    ),
    (
        "an instance type without a price",
        _set("regions.0.cluster.nodeGroups.sandbox.instanceTypes", ["c7i.large"]),
        "regions[0].cluster.nodeGroups.sandbox.instanceTypes[0]",
        "c7i.large has no price in every admitted region",
    ),
    (
        "an RDS class without a price",
        _set("regions.0.postgres.instanceClass", "db.r7g.large"),
        "regions[0].postgres.instanceClass",
        "RDS for PostgreSQL db.r7g.large has no price in every admitted region ['us-east-1', 'eu-west-1', "
        "'ap-southeast-1']; add its price with `python -m eksplatform.cost.offer_file`",
    ),
    (
        "a cache node type without a price for its engine",
        _set("regions.0.redis.cache.nodeType", "cache.r6g.large"),
        "regions[0].redis.cache.nodeType",
        "cache.r6g.large (valkey) has no price",
    ),
    (
        "az count vs region",
        _set("regions.0.vpc.azCount", 6),
        "regions[0].vpc.azCount",
        "6 zones requested but us-east-1 offers 5 that EKS accepts",
    ),
    ("cidr syntax", _set("regions.0.vpc.cidr", "10.0.0.0/33"), "regions[0].vpc.cidr", "10.0.0.0/33"),
    ("cidr too large", _set("regions.0.vpc.cidr", "10.0.0.0/12"), "regions[0].vpc.cidr", "needs /16 to /24"),
    ("cidr public", _set("regions.0.vpc.cidr", "8.8.0.0/16"), "regions[0].vpc.cidr", "not a private"),
    ("nat strategy", _set("regions.0.vpc.natStrategy", "double"), "regions[0].vpc.natStrategy", "one-per-az"),
    # The sandbox nodes download gVisor at boot (components/sandbox_node.py): no NAT, no nodes.
    (
        "no nat for the sandbox nodes",
        _set("regions.0.vpc.natStrategy", "none"),
        "regions[0].vpc.natStrategy",
        "no way to download gVisor",
    ),
    (
        "zone of another region",
        _set("regions.0.vpc.availabilityZoneIds", ["use1-az1", "euw1-az2"]),
        "regions[0].vpc.availabilityZoneIds[1]",
        "not a zone of us-east-1",
    ),
    (
        "zone pinned by name",
        _set("regions.0.vpc.availabilityZoneIds", ["use1-az1", "us-east-1b"]),
        "regions[0].vpc.availabilityZoneIds[1]",
        "pin zones by ID, not by name",
    ),
    (
        "zone EKS refuses",
        _set("regions.0.vpc.availabilityZoneIds", ["use1-az1", "use1-az3"]),
        "regions[0].vpc.availabilityZoneIds[1]",
        "EKS does not accept subnets in use1-az3",
    ),
    (
        "us-east-1 has five zones EKS accepts",
        _set("regions.0.vpc.azCount", 6),
        "regions[0].vpc.azCount",
        "6 zones requested but us-east-1 offers 5 that EKS accepts",
    ),
    (
        "zone count",
        _set("regions.0.vpc.availabilityZoneIds", ["use1-az1"]),
        "regions[0].vpc.availabilityZoneIds",
        "lists 1 zones but azCount is 2",
    ),
    (
        "flow log retention",
        _set("regions.0.vpc.flowLogRetentionDays", 31),
        "regions[0].vpc.flowLogRetentionDays",
        "not a CloudWatch retention period",
    ),
    (
        "kubernetes version",
        _set("regions.0.cluster.kubernetesVersion", "1.20"),
        "regions[0].cluster.kubernetesVersion",
        "not a supported EKS version",
    ),
    (
        "control plane upgraded without its add-ons",
        _set("regions.0.cluster.kubernetesVersion", "1.34"),
        "regions[0].cluster.addonVersions.kube-proxy",
        "v1.35.3-eksbuild.13 is not a 1.34 build",
    ),
    (
        "a version out of standard support under the STANDARD policy",
        _both(
            _set("regions.0.cluster.kubernetesVersion", "1.33"),
            _set("regions.0.cluster.addonVersions.kube-proxy", "v1.33.3-eksbuild.11"),
        ),
        "regions[0].cluster.kubernetesVersion",
        "standard support for 1.33 ended on 2026-07-29: with supportType STANDARD, EKS would upgrade",
    ),
    (
        "a version no longer supported at all",
        _set("regions.0.cluster.kubernetesVersion", "1.31"),
        "regions[0].cluster.kubernetesVersion",
        "not a supported EKS version",
    ),
    (
        "an add-on left unpinned",
        _delete("regions.0.cluster.addonVersions.coredns"),
        "regions[0].cluster.addonVersions",
        "pin every add-on's version; missing ['coredns']",
    ),
    (
        "support type",
        _set("regions.0.cluster.supportType", "FOREVER"),
        "regions[0].cluster.supportType",
        "'STANDARD' or 'EXTENDED'",
    ),
    (
        "image registry of another region",
        _set("regions.0.languageServices.imageRegistry", "111111111111.dkr.ecr.eu-west-1.amazonaws.com/platform"),
        "regions[0].languageServices.imageRegistry",
        "is in eu-west-1; use this region's registry (111111111111.dkr.ecr.us-east-1.amazonaws.com/platform)",
    ),
    (
        "image registry of another account",
        _set("regions.0.languageServices.imageRegistry", "999999999999.dkr.ecr.us-east-1.amazonaws.com/platform"),
        "regions[0].languageServices.imageRegistry",
        "account 999999999999 is not in allowedAccountIds",
    ),
    (
        "sandbox group missing",
        _delete("regions.0.cluster.nodeGroups.sandbox"),
        "regions[0].cluster.nodeGroups",
        "sandbox",
    ),
    (
        "node group min > max",
        _set("regions.0.cluster.nodeGroups.sandbox.minSize", 9),
        "regions[0].cluster.nodeGroups.sandbox.minSize",
        "9 is greater than maxSize 4",
    ),
    (
        "node group desired > max",
        _set("regions.0.cluster.nodeGroups.system.desiredSize", 5),
        "regions[0].cluster.nodeGroups.system.desiredSize",
        "5 is greater than maxSize 3",
    ),
    (
        "public endpoint without allowlist",
        _set("regions.0.cluster.endpointPublicAccess", True),
        "regions[0].cluster.publicAccessCidrs",
        "list the CIDRs",
    ),
    (
        "admin role arn",
        _set("regions.0.cluster.adminRoleArn", "platform-admin"),
        "regions[0].cluster.adminRoleArn",
        "should match pattern",
    ),
    ("postgres engine", _set("regions.0.postgres.engine", "mysql"), "regions[0].postgres.engine", "'rds' or 'aurora'"),
    (
        "backup retention",
        _set("regions.0.postgres.backupRetentionDays", 40),
        "regions[0].postgres.backupRetentionDays",
        "less than or equal to 35",
    ),
    (
        "storage above its cap",
        _set("regions.0.postgres.allocatedStorageGib", 100),
        "regions[0].postgres.maxAllocatedStorageGib",
        "50 must be at least 1.1x allocatedStorageGib 100, i.e. 110 GiB",
    ),
    (
        "storage cap without autoscaling headroom",
        _set("regions.0.postgres.allocatedStorageGib", 46),
        "regions[0].postgres.maxAllocatedStorageGib",
        "50 must be at least 1.1x allocatedStorageGib 46, i.e. 51 GiB",
    ),
    (
        "backup window inside the maintenance window",
        _set("regions.0.postgres.backupWindow", "04:45-05:15"),
        "regions[0].postgres.backupWindow",
        "'04:45-05:15' overlaps maintenanceWindow 'sun:04:30-sun:05:30'",
    ),
    (
        "a 15-minute backup window",
        _set("regions.0.postgres.backupWindow", "03:00-03:15"),
        "regions[0].postgres.backupWindow",
        "'03:00-03:15' lasts 15 minutes; RDS needs at least 30",
    ),
    (
        "a 30-minute ElastiCache maintenance window",
        _set("regions.0.redis.cache.maintenanceWindow", "sun:05:00-sun:05:30"),
        "regions[0].redis.cache.maintenanceWindow",
        "'sun:05:00-sun:05:30' lasts 30 minutes; ElastiCache needs at least 60",
    ),
    (
        "allowlist without the public endpoint",
        _set("regions.0.cluster.publicAccessCidrs", ["203.0.113.0/24"]),
        "regions[0].cluster.publicAccessCidrs",
        "listed without endpointPublicAccess: true",
    ),
    (
        "node label key with a trailing dash",
        _set("regions.0.cluster.nodeGroups.sandbox.labels", {"team-": "x"}),
        "regions[0].cluster.nodeGroups.sandbox.labels.team-",
        "label key 'team-': the name part",
    ),
    (
        "node label value with a space",
        _set("regions.0.cluster.nodeGroups.sandbox.labels", {"team": "bad value!"}),
        "regions[0].cluster.nodeGroups.sandbox.labels.team",
        "label value 'bad value!'",
    ),
    (
        "node label key longer than EKS's 63 characters",
        _set("regions.0.cluster.nodeGroups.sandbox.labels", {"example.com/" + "k" * 59: "x"}),
        "regions[0].cluster.nodeGroups.sandbox.labels.example.com/" + "k" * 59,
        "EKS node labels take 1-63 characters",
    ),
    (
        "empty node label value",
        _set("regions.0.cluster.nodeGroups.sandbox.labels", {"team": ""}),
        "regions[0].cluster.nodeGroups.sandbox.labels.team",
        "EKS node labels take 1-63 characters",
    ),
    (
        "more nodes than the platform's cap",
        _set("regions.0.cluster.nodeGroups.sandbox.maxSize", 1001),
        "regions[0].cluster.nodeGroups.sandbox.maxSize",
        "less than or equal to 1000",
    ),
    (
        "instance class aurora does not offer",
        _set("regions.0.postgres.engine", "aurora"),
        "regions[0].postgres.instanceClass",
        "Aurora PostgreSQL does not offer 'db.t4g.micro'; families: db.r5, db.r6g",
    ),
    (
        "instance class that does not exist",
        _set("regions.0.postgres.instanceClass", "db.r7g.huge"),
        "regions[0].postgres.instanceClass",
        "RDS for PostgreSQL does not offer 'db.r7g.huge'",
    ),
    (
        "read replicas with aurora",
        _both(
            _set("regions.0.postgres", {"engine": "aurora", "instanceClass": "db.t4g.medium"}),
            _set("regions.0.postgres.readReplicas", 2),
        ),
        "regions[0].postgres.readReplicas",
        "not for engine aurora: Aurora scales reads with readers",
    ),
    (
        "allocated storage with aurora",
        _set("regions.0.postgres", {"engine": "aurora", "instanceClass": "db.t4g.medium", "allocatedStorageGib": 100}),
        "regions[0].postgres.allocatedStorageGib",
        "not for engine aurora: Aurora storage grows on its own",
    ),
    (
        "readers with rds",
        _set("regions.0.postgres.readers", 2),
        "regions[0].postgres.readers",
        "not for engine rds: an rds instance scales reads with readReplicas",
    ),
    (
        "storage below the minimum",
        _set("regions.0.postgres.allocatedStorageGib", 10),
        "regions[0].postgres.allocatedStorageGib",
        "greater than or equal to 20",
    ),
    (
        "storage cap above the maximum",
        _set("regions.0.postgres.maxAllocatedStorageGib", 70000),
        "regions[0].postgres.maxAllocatedStorageGib",
        "less than or equal to 65536",
    ),
    (
        "too many read replicas",
        _set("regions.0.postgres.readReplicas", 16),
        "regions[0].postgres.readReplicas",
        "less than or equal to 15",
    ),
    (
        "postgres major version",
        _set("regions.0.postgres.majorVersion", 15),
        "regions[0].postgres.majorVersion",
        "16 or 17",
    ),
    (
        "rpo",
        _set("rpoMinutes", 0),
        "rpoMinutes",
        "greater than or equal to 1",
    ),
    (
        "shards without cluster mode",
        _set("regions.0.redis.cache.shards", 3),
        "regions[0].redis.cache.shards",
        "need clusterMode: true",
    ),
    (
        "global cache",
        _set("regions.0.redis.cache.globalDatastore", True),
        "regions[0].redis.cache.globalDatastore",
        "only the queue",
    ),
    (
        "redis node type that does not exist",
        _set("regions.0.redis.cache.nodeType", "cache.m7g.huge"),
        "regions[0].redis.cache.nodeType",
        "'cache.m7g.huge' is not an ElastiCache node type",
    ),
    (
        "redis engine version of the other engine",
        _both(_set("regions.0.redis.queue.engine", "redis"), _set("regions.0.redis.queue.engineVersion", "8.0")),
        "regions[0].redis.queue.engineVersion",
        "redis offers ('7.0', '7.1'), not '8.0'",
    ),
    (
        "redis cluster over the node limit",
        _both(
            _set("regions.0.redis.cache.clusterMode", True),
            _both(_set("regions.0.redis.cache.shards", 200), _set("regions.0.redis.cache.replicasPerShard", 2)),
        ),
        "regions[0].redis.cache.shards",
        "is 600; at most 500",
    ),
    (
        "queue without snapshots",
        _set("regions.0.redis.queue.snapshotRetentionDays", 0),
        "regions[0].redis.queue.snapshotRetentionDays",
        "the queue keeps snapshots",
    ),
    (
        "redis without replicas in prod",
        _set("environment", "prod"),
        "regions[0].redis.cache.replicasPerShard",
        "prod needs at least 1 replica",
    ),
    (
        "global queue in a single-region stack",
        _both(
            _set("regions.0.redis.queue.nodeType", "cache.m7g.large"),
            _set("regions.0.redis.queue.globalDatastore", True),
        ),
        "regions[0].redis.queue.globalDatastore",
        "needs two or more regions",
    ),
    (
        "global queue on a burstable node type",
        _set("regions.0.redis.queue.globalDatastore", True),
        "regions[0].redis.queue.nodeType",
        "a Global Datastore needs one of",
    ),
    (
        "service replicas",
        _set("regions.0.languageServices.services.java.minReplicas", 5),
        "regions[0].languageServices.services.java.minReplicas",
        "5 is above the maximum 2",
    ),
    (
        "image tagged latest",
        _set("regions.0.languageServices.services.python", {"image": "python:latest"}),
        "regions[0].languageServices.services.python.image",
        "'python:latest': 'latest' changes under you; pin a version tag or a digest",
    ),
    (
        "untagged image",
        _set("regions.0.languageServices.services.python", {"image": "registry.example.com:5000/python"}),
        "regions[0].languageServices.services.python.image",
        "has no tag; pin a version",
    ),
    (
        "malformed digest",
        _set("regions.0.languageServices.services.python", {"image": "python@sha256:abc"}),
        "regions[0].languageServices.services.python.image",
        "repository@sha256:<64 hex digits>",
    ),
    (
        "unknown language without an image",
        _set("regions.0.languageServices.services.cobol", {"maxReplicas": 2}),
        "regions[0].languageServices.services.cobol.image",
        "'cobol' is not in the catalog (c, python, haskell, idris2, lisp, assembly, java, systemf); give its image",
    ),
    (
        "no registry for the catalog images",
        _delete("regions.0.languageServices.imageRegistry"),
        "regions[0].languageServices.imageRegistry",
        "set the registry that holds the catalog images",
    ),
    (
        "request above the catalog's limit",
        _set("regions.0.languageServices.services.python", {"cpuRequest": "1"}),
        "regions[0].languageServices.services.python.cpuRequest",
        "1 is above the limit 500m",
    ),
    (
        "limit below the catalog's request",
        _set("regions.0.languageServices.services.java", {"memoryLimit": "512Mi"}),
        "regions[0].languageServices.services.java.memoryRequest",
        "1Gi is above the limit 512Mi",
    ),
    (
        "pool minimum above its maximum",
        _set("regions.0.languageServices.minReplicas", 5),
        "regions[0].languageServices.minReplicas",
        "5 is greater than maxReplicas 3",
    ),
    (
        "no pre-spawned pod",
        _set("regions.0.languageServices.services.c", {"minReplicas": 0}),
        "regions[0].languageServices.services.c.minReplicas",
        "greater than or equal to 1",
    ),
    (
        "cpu request above limit",
        _set("regions.0.languageServices.services.python", {"cpuRequest": "1", "cpuLimit": "500m"}),
        "regions[0].languageServices.services.python.cpuRequest",
        "1 is above the limit 500m",
    ),
    (
        "memory quantity",
        _set("regions.0.languageServices.services.python", {"memoryLimit": "lots"}),
        "regions[0].languageServices.services.python.memoryLimit",
        "'lots'",
    ),
    (
        "subnets do not fit",
        _set("regions.0.vpc.cidr", "10.10.0.0/24"),
        "regions[0].vpc.subnets",
        "database subnet of AZ 1 (10.10.1.32/28) falls outside the VPC",
    ),
    (
        "subnet tier prefix",
        _set("regions.0.vpc.subnets", {"private": {"prefixLength": 12}}),
        "regions[0].vpc.subnets.private.prefixLength",
        "greater than or equal to 16",
    ),
    (
        "vpc overlaps the service range",
        _set("regions.0.vpc.cidr", "172.20.0.0/16"),
        "regions[0].vpc.cidr",
        "overlaps 172.20.0.0/16, the clusters' Service range",
    ),
    (
        "system group on spot",
        _set("regions.0.cluster.nodeGroups.system.capacityType", "SPOT"),
        "regions[0].cluster.nodeGroups.system.capacityType",
        "use ON_DEMAND",
    ),
    (
        "arm and x86 in one node group",
        _set("regions.0.cluster.nodeGroups.sandbox.instanceTypes", ["m7g.large", "m7i.large"]),
        "regions[0].cluster.nodeGroups.sandbox.instanceTypes",
        "mixes arm64 (m7g.large) and x86_64 (m7i.large)",
    ),
    (
        "unbounded node group update",
        _set("regions.0.cluster.nodeGroups.sandbox.maxUnavailablePercentage", 80),
        "regions[0].cluster.nodeGroups.sandbox.maxUnavailablePercentage",
        "less than or equal to 50",
    ),
    (
        "unknown add-on",
        _set("regions.0.cluster.addonVersions", {"vpc-cnx": "v1.20.4-eksbuild.2"}),
        "regions[0].cluster.addonVersions.vpc-cnx",
        "'vpc-cni', 'kube-proxy'",
    ),
    (
        "add-on version format",
        _set("regions.0.cluster.addonVersions", {"coredns": "1.12"}),
        "regions[0].cluster.addonVersions.coredns",
        "should match pattern",
    ),
    (
        "public endpoint in prod",
        _both(
            _set("environment", "prod"),
            _both(
                _set("regions.0.cluster.endpointPublicAccess", True),
                _set("regions.0.cluster.publicAccessCidrs", ["203.0.113.0/24"]),
            ),
        ),
        "regions[0].cluster.endpointPublicAccess",
        "prod keeps the EKS API private",
    ),
    ("region twice", _second_region(name="us-east-1"), "regions[1].name", "appears again"),
    ("dns missing", _delete("dns"), "dns", "set dns.domain: the public entry serves an ACM certificate"),
    ("dns health path", _set("dns.healthPath", "healthz"), "dns.healthPath", "'healthz' is not a path of at most 255"),
    (
        "dns domain too long for the certificate",
        _set("dns.domain", "a" * 57 + ".com"),
        "dns.domain",
        "is over ACM's 64 characters",
    ),
    (
        "dns zone that nobody delegated",
        _delete("dns.hostedZoneId"),
        "dns.hostedZoneId",
        "a new zone nobody delegated never validates",
    ),
    (
        "dns zone given twice",
        _set("dns.parentZoneId", "Z0PARENT12345"),
        "dns.parentZoneId",
        "set hostedZoneId or parentZoneId, not both",
    ),
    ("two primaries", _second_region(primary=True), "regions[1].primary", "exactly one region"),
    ("no primary", _set("regions.0.primary", False), "regions", "no region sets primary"),
    (
        "overlapping cidrs",
        _second_region(cidr="10.10.128.0/17"),
        "regions[1].vpc.cidr",
        "10.10.128.0/17 overlaps regions[0].vpc.cidr 10.10.0.0/16",
    ),
    (
        "warning error rate above critical",
        _set("observability.thresholds", {"warning": {"errorRatePercent": 2}}),
        "observability.thresholds.warning.errorRatePercent",
        "2 is not below critical.errorRatePercent 1",
    ),
    (
        "warning latency equal to critical",
        _set("observability.thresholds", {"warning": {"p95LatencyMs": 500}}),
        "observability.thresholds.warning.p95LatencyMs",
        "500 is not below critical.p95LatencyMs 500",
    ),
    (
        "a p95 threshold between histogram buckets",
        _set("observability.thresholds", {"critical": {"p95LatencyMs": 800}}),
        "observability.thresholds.critical.p95LatencyMs",
        "800 is not a latency histogram bucket edge",
    ),
    (
        "error rate of 100 percent",
        _set("observability.thresholds", {"critical": {"errorRatePercent": 100}}),
        "observability.thresholds.critical.errorRatePercent",
        "100 is not a percentage above 0 and below 100",
    ),
    (
        "unknown threshold",
        _set("observability.thresholds", {"critical": {"errorRate": 1}}),
        "observability.thresholds.critical.errorRate",
        "unknown key (check its spelling; keys are camelCase)",
    ),
    (
        "an email that is not one",
        _set("observability.notifications", {"critical": [{"protocol": "email", "endpoint": "oncall"}]}),
        "observability.notifications.critical[0].endpoint",
        "'oncall' is not an email address",
    ),
    (
        "a pager over plain http",
        _set("observability.notifications", {"warning": [{"protocol": "https", "endpoint": "http://pager"}]}),
        "observability.notifications.warning[0].endpoint",
        "needs an https:// URL",
    ),
    (
        "an sms subscription",
        _set("observability.notifications", {"warning": [{"protocol": "sms", "endpoint": "+15550100"}]}),
        "observability.notifications.warning[0].protocol",
        "Input should be 'email' or 'https'",
    ),
    (
        "a retention CloudWatch does not offer",
        _set("observability.logRetentionDays", 31),
        "observability.logRetentionDays",
        "31 is not a CloudWatch retention period",
    ),
    (
        "an archive shorter than the searchable logs",
        _both(_set("observability.logRetentionDays", 400), _set("observability.archiveDays", 365)),
        "observability.archiveDays",
        "365 is not longer than logRetentionDays",
    ),
    (
        "too little time in Glacier",
        _set("observability.archiveTransitionDays", 300),
        "observability.archiveTransitionDays",
        "300 leaves under 90 days in Glacier before expiry at archiveDays 365",
    ),
    (
        "an unpinned observability add-on",
        _delete("observability.addonVersions.kube-state-metrics"),
        "observability.addonVersions",
        "missing ['kube-state-metrics']",
    ),
]


@pytest.mark.parametrize(
    ("mutation", "path", "fragment"), [case[1:] for case in BAD_CASES], ids=[case[0] for case in BAD_CASES]
)
def test_bad_config_names_the_key_path(mutation: Mutation, path: str, fragment: str) -> None:
    data = namespace_values("dev")
    mutation(data)
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(data)
    messages = [issue.message for issue in caught.value.issues if issue.path == path]
    assert messages, f"{path} not among {[issue.path for issue in caught.value.issues]}"
    assert any(fragment in message for message in messages), messages
    assert all(f"{path}: {message}" in str(caught.value) for message in messages)


PROD_POSTGRES_CASES: list[tuple[str, Mutation, str, str]] = [
    (
        "backups shorter than prod's 30 days",
        _set("regions.0.postgres.backupRetentionDays", 14),
        "regions[0].postgres.backupRetentionDays",
        "prod keeps backups for at least 30 days",
    ),
    (
        "deletion protection off",
        _set("regions.1.postgres.deletionProtection", False),
        "regions[1].postgres.deletionProtection",
        "prod databases keep deletion protection on",
    ),
    (
        "no reader to fail over to",
        _set("regions.2.postgres.readers", 0),
        "regions[2].postgres.readers",
        "prod needs at least 1 reader",
    ),
    (
        "rds in a multi-region stack",
        _set(
            "regions.1.postgres",
            {"engine": "rds", "instanceClass": "db.t4g.medium", "multiAz": True, "backupRetentionDays": 30},
        ),
        "regions[1].postgres.engine",
        "one Aurora Global Database; use engine: aurora in every region",
    ),
    (
        "members on another major version",
        _both(_set("regions.2.postgres.majorVersion", 16), _set("regions.2.postgres.engineVersion", "16.9")),
        "regions[2].postgres.majorVersion",
        "the primary's version 17",
    ),
    # The global cluster reads back the full version AWS runs: a bare major version would show an
    # upgrade on every preview after the first (terraform-provider-aws rds/global_cluster.go).
    (
        "global database without a pinned engine version",
        _set("regions.1.postgres.engineVersion", None),
        "regions[1].postgres.engineVersion",
        "pins a full engine version",
    ),
    (
        "member on another minor version",
        _set("regions.2.postgres.engineVersion", "17.4"),
        "regions[2].postgres.engineVersion",
        "runs the primary's '17.5'",
    ),
    # An Aurora global database requires memory-optimized classes (Aurora user guide, "Configuration
    # requirements of an Amazon Aurora global database"); AWS refuses a burstable one at `pulumi up`.
    (
        "global database member on a burstable class",
        _set("regions.1.postgres.instanceClass", "db.t4g.medium"),
        "regions[1].postgres.instanceClass",
        "db.t4g.medium is burstable; an Aurora global database needs a memory-optimized class",
    ),
    (
        "engine version of another major version",
        _set("regions.0.postgres.engineVersion", "16.9"),
        "regions[0].postgres.engineVersion",
        "'16.9' is not a version of majorVersion 17",
    ),
    (
        "engine version that is not major.minor",
        _set("regions.0.postgres.engineVersion", "17"),
        "regions[0].postgres.engineVersion",
        "should match pattern",
    ),
    # A regional queue loses a lost region's jobs back to its last daily snapshot (the RPO is 15 min).
    (
        "regional queue in a multi-region stack",
        _set("regions.1.redis.queue.globalDatastore", False),
        "regions[1].redis.queue.globalDatastore",
        "keeps its queue in a Global Datastore",
    ),
    # ElastiCache Global Datastore prerequisites: same node type, engine version and shards.
    (
        "queue member of another node type",
        _set("regions.2.redis.queue.nodeType", "cache.r7g.large"),
        "regions[2].redis.queue.nodeType",
        "the primary's nodeType ('cache.m7g.large')",
    ),
    (
        "a Global Datastore over more regions than it spans",
        _fourth_region,
        "regions[0].redis.queue.globalDatastore",
        "a Global Datastore spans at most 3 regions, not 4",
    ),
    (
        "queue member with another shard count",
        _set("regions.1.redis.queue.shards", 2),
        "regions[1].redis.queue.shards",
        "the primary's shards (1)",
    ),
]


@pytest.mark.parametrize(
    ("mutation", "path", "fragment"),
    [case[1:] for case in PROD_POSTGRES_CASES],
    ids=[case[0] for case in PROD_POSTGRES_CASES],
)
@pytest.mark.usefixtures("fourth_region_admitted")
def test_prod_database_rules_name_the_key_path(mutation: Mutation, path: str, fragment: str) -> None:
    data = namespace_values("prod")
    parse_stack_config(copy.deepcopy(data))  # the stack as committed is valid
    mutation(data)
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(data)
    messages = [issue.message for issue in caught.value.issues if issue.path == path]
    assert any(fragment in message for message in messages), [str(issue) for issue in caught.value.issues]


def test_public_endpoint_open_to_the_world_is_rejected() -> None:
    data = namespace_values("dev")
    data["regions"][0]["cluster"].update(endpointPublicAccess=True, publicAccessCidrs=["203.0.113.0/24", "0.0.0.0/0"])
    assert "regions[0].cluster.publicAccessCidrs[1]: 0.0.0.0/0 opens the API endpoint to the world" in issue_text(data)


def _three_problems(data: dict[str, Any]) -> None:
    _second_region(cidr="10.10.64.0/18")(data)  # overlaps regions[0]
    data["regions"][0]["vpc"]["colour"] = "blue"  # unknown key
    data["regions"][0]["cluster"]["nodeGroups"]["system"]["minSize"] = 3  # min > desired (2)


def test_all_problems_are_reported_in_one_message() -> None:
    data = namespace_values("dev")
    _three_problems(data)
    with pytest.raises(ConfigError) as caught:
        parse_stack_config(data)
    assert [issue.path for issue in caught.value.issues] == [
        "regions[0].vpc.colour",
        "regions[0].cluster.nodeGroups.system.minSize",
        "regions[1].vpc.cidr",
    ]
    assert str(caught.value).startswith("invalid stack config (3 problems):\n  - ")


def test_bad_stack_file_exits_non_zero_with_one_readable_message(tmp_path: Path) -> None:
    document = yaml.safe_load((PROJECT_ROOT / "Pulumi.dev.yaml").read_text())
    data = {key.split(":", 1)[1]: value for key, value in document["config"].items()}
    _three_problems(data)
    bad = tmp_path / "Pulumi.bad.yaml"
    bad.write_text(yaml.safe_dump({"config": {f"platform:{key}": value for key, value in data.items()}}))

    result = subprocess.run(
        [sys.executable, "-m", "eksplatform.preflight", "bad", "--config-file", str(bad)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 2
    for path in ("regions[0].vpc.colour", "regions[0].cluster.nodeGroups.system.minSize", "regions[1].vpc.cidr"):
        assert path in result.stderr
    assert "Traceback" not in result.stderr and "pydantic" not in result.stderr
    assert result.stdout == ""


def test_invalid_yaml_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "Pulumi.bad.yaml"
    bad.write_text("config: [unclosed\n")
    assert yaml.__with_libyaml__, "the stack files are read with libyaml's parser (its messages below)"
    with pytest.raises(ConfigError, match=r"line 2, column 1: did not find expected ',' or '\]'"):
        load_stack_file(bad)


# --- from the running Pulumi program -----------------------------------------------------


def test_stack_config_from_pulumi_reads_the_engine_config(harness: Harness) -> None:
    raw = read_stack_file(PROJECT_ROOT / "Pulumi.prod.yaml")
    seen: list[StackConfig] = []
    harness.run(lambda: seen.append(stack_config_from_pulumi()), stack="prod", config=pulumi_config_map(raw))
    assert seen == [load_stack_file(PROJECT_ROOT / "Pulumi.prod.yaml")]


def test_stack_config_from_pulumi_rejects_unknown_keys(harness: Harness) -> None:
    config = pulumi_config_map(read_stack_file(PROJECT_ROOT / "Pulumi.dev.yaml"))
    config["platform:ownr"] = "someone"
    config["aws:region"] = "us-east-1"  # other namespaces are not ours to judge
    with pytest.raises(ConfigError) as caught:
        harness.run(stack_config_from_pulumi, config=config)
    assert [issue.path for issue in caught.value.issues] == ["ownr"]


def test_engine_config_map_encodes_values_like_the_cli() -> None:
    flat = pulumi_config_map(
        {
            "platform:regions": [{"name": "x"}],
            "platform:flag": True,
            "platform:n": 3,
            "platform:token": {"secure": "v1:abc"},
        }
    )
    assert flat == {
        "platform:regions": '[{"name": "x"}]',
        "platform:flag": "true",
        "platform:n": "3",
        "platform:token": SECRET_PLACEHOLDER,
    }


# --- random and malformed input ----------------------------------------------------------

JSON_LEAVES = (
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.floats(allow_nan=False) | st.text(max_size=12)
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
CIDRS = st.builds(
    lambda a, b, prefix: str(ipaddress.ip_network(f"10.{a}.{b}.0/{prefix}", strict=False)),
    st.integers(0, 255),
    st.integers(0, 255),
    st.integers(8, 28),
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    paths = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            paths += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            paths += _paths(value, (*prefix, index))
    return paths


@st.composite
def mutated_configs(draw: st.DrawFn) -> Any:
    """A real stack's config with a few random edits, or random JSON from scratch."""
    if draw(st.integers(0, 9)) == 0:
        return draw(JSON_VALUES)
    data = namespace_values(draw(st.sampled_from(STACKS)))
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(data)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        *parents, last = path
        node: Any = data
        for part in parents:
            node = node[part]
        action = draw(st.sampled_from(["replace", "delete", "add", "cidr"]))
        if action == "replace":
            node[last] = draw(JSON_VALUES)
        elif action == "delete":
            del node[last]
        elif action == "add" and isinstance(node, dict):
            node[draw(st.text(min_size=1, max_size=8))] = draw(JSON_VALUES)
        elif action == "cidr" and isinstance(node, dict):
            node[last] = draw(CIDRS)
    return data


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_configs())
def test_random_configs_give_a_model_or_the_clear_error(data: Any) -> None:
    try:
        config = parse_stack_config(data) if isinstance(data, dict) else parse_stack_config({"value": data})
    except ConfigError as error:
        assert error.issues, "a ConfigError always lists at least one issue"
        for issue in error.issues:
            assert issue.message.strip()
            assert str(issue) in str(error)
            assert "Traceback" not in issue.message
    else:
        assert isinstance(config, StackConfig)
        assert sum(region.primary for region in config.regions) == 1


@pytest.mark.usefixtures("fourth_region_admitted")
def test_more_regions_than_a_datastore_spans_keep_regional_queues() -> None:
    data = namespace_values("prod")
    _fourth_region(data)
    for region in data["regions"]:
        region["redis"]["queue"]["globalDatastore"] = False
    config = parse_stack_config(data)
    assert len(config.regions) == 4 and not any(r.redis.queue.global_datastore for r in config.regions)

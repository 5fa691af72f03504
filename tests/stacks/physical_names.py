"""What a test needs to compare stacks by their AWS physical names.

A physical name is an input AWS keeps unique in an account (and region): a cluster name, a DB or
replication group identifier, a log group or KMS alias name... The keys below are every such
input the components set; an auto-named resource (no name input) gets a random suffix from the
provider and never collides.
"""

from __future__ import annotations

from preflight.synth import Graph

# Inputs that hold a physical name (camelCase, as registered).
PHYSICAL_NAME_KEYS = (
    "name",
    "namePrefix",
    "identifier",
    "clusterIdentifier",
    "globalClusterIdentifier",
    "finalSnapshotIdentifier",
    "replicationGroupId",
    "globalReplicationGroupIdSuffix",
    "userId",
    "userGroupId",
    "dbProxyEndpointName",
    "bucket",
    "roleName",
    "alarmName",
    "topicName",
    "repositoryName",
    "secretName",
)
# Names a stack's config spells out, not the stack: the public DNS names live under `dns.domain`
# (a copy of a stack gets a domain of its own; docs/naming.md).
CONFIG_NAMED_TYPES = ("aws:route53/record:Record", "aws:route53/zone:Zone", "aws:acm/certificate:Certificate")


# Names unique only inside a parent the stack owns (so two stacks cannot collide on them): an AMP
# rule groups namespace is named within its workspace (AMP API, CreateRuleGroupsNamespace).
SCOPED_NAME_TYPES = ("aws:amp/ruleGroupNamespace:RuleGroupNamespace",)
# `bucket` names the bucket only on the bucket itself; on its configuration resources it refers to it.
BUCKET_TYPES = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")


def physical_names(graph: Graph) -> dict[str, dict[str, str]]:
    """By URN, the physical-name inputs of every AWS resource (resources without one left out)."""
    names: dict[str, dict[str, str]] = {}
    for registration in graph.resources:
        if not registration.type.startswith("aws:") or registration.is_provider:
            continue
        if registration.type in SCOPED_NAME_TYPES:
            continue
        found = {
            key: value
            for key in PHYSICAL_NAME_KEYS
            if isinstance(value := registration.inputs.get(key), str)
            and value
            and (key != "bucket" or registration.type in BUCKET_TYPES)
        }
        if found:
            names[registration.urn] = found
    return names

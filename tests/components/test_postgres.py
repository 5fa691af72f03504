"""ManagedPostgres: assert on the registered database, per engine, regional and global."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from eksplatform.components.global_role import GlobalRole
from eksplatform.components.naming import StackNames
from eksplatform.components.postgres import (
    GLOBAL_MEMBERSHIP_FIELDS,
    ManagedPostgres,
    ManagedPostgresArgs,
    PostgresArgsError,
    PostgresEngine,
    PostgresGlobalDatabase,
)
from eksplatform.components.providers import random_provider, regional_aws_provider
from eksplatform.components.vpc import Vpc, VpcArgs
from eksplatform.preflight.synth import Graph
from eksplatform.stack.config import PostgresConfig
from eksplatform.stack.data_args import postgres_settings
from tests.conftest import Harness
from tests.helpers import out, plaintext_leaks, policy
from tests.region_wiring import postgres_args

TAGS = {"environment": "prod", "owner": "o", "cost-center": "c", "managed-by": "pulumi"}
GIB = 1024**3
INSTANCE = "aws:rds/instance:Instance"
CLUSTER = "aws:rds/cluster:Cluster"
CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
GLOBAL = "aws:rds/globalCluster:GlobalCluster"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
KEY = "aws:kms/key:Key"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
ALLOWED = {"eks-nodes": "sg-0nodes", "jobs": "sg-0jobs"}


def rds_config(**changes: Any) -> PostgresConfig:
    raw: dict[str, Any] = {"engine": "rds", "instanceClass": "db.t4g.micro", "maxAllocatedStorageGib": 50}
    raw.update(changes)
    return PostgresConfig.model_validate(raw)


def aurora_config(**changes: Any) -> PostgresConfig:
    raw: dict[str, Any] = {"engine": "aurora", "instanceClass": "db.r7g.large", "readers": 2}
    raw.update(changes)
    return PostgresConfig.model_validate(raw)


def _region(region: str, random: pulumi.ProviderResource | None = None) -> tuple[pulumi.ResourceOptions, Vpc]:
    provider = regional_aws_provider(f"aws-{region}", region=region, tags=TAGS)
    opts = pulumi.ResourceOptions(providers=[provider, random or random_provider()])
    return opts, Vpc(f"net-{region}", VpcArgs(cidr="10.30.0.0/16", az_count=3), opts=opts)


def _network(vpc: Vpc) -> dict[str, Any]:
    return {
        "vpc_id": vpc.vpc_id,
        "subnet_ids": vpc.database_subnet_ids,
        "availability_zones": vpc.availability_zones,
    }


def _export(database: ManagedPostgres, prefix: str = "") -> None:
    pulumi.export(f"{prefix}writer", database.writer_endpoint)
    pulumi.export(f"{prefix}clusterEndpoint", database.cluster_endpoint)
    pulumi.export(f"{prefix}reader", database.reader_endpoint)
    pulumi.export(f"{prefix}port", database.port)
    pulumi.export(f"{prefix}secretArn", database.secret_arn)
    pulumi.export(f"{prefix}sg", database.security_group_id)
    pulumi.export(f"{prefix}identifier", database.identifier)
    pulumi.export(f"{prefix}arn", database.arn)
    pulumi.export(f"{prefix}proxy", database.proxy_endpoint)
    pulumi.export(f"{prefix}proxyReader", database.proxy_reader_endpoint)


def build(harness: Harness, config: PostgresConfig, *, environment: str = "staging") -> Graph:
    def program() -> None:
        opts, vpc = _region("eu-west-1")
        args = postgres_args(
            postgres_settings(config, environment=environment),
            identifier=StackNames("platform", environment, environment).database("eu-west-1"),
            **_network(vpc),
            allowed_security_groups=ALLOWED,
            rpo_minutes=15,
        )
        _export(ManagedPostgres("db", args, opts=opts))
        pulumi.export("database", vpc.database_subnet_ids)
        pulumi.export("zones", vpc.availability_zones)

    return harness.run(program)


def build_global(harness: Harness, config: PostgresConfig) -> Graph:
    """The prod shape: a primary in us-east-1 and a secondary in eu-west-1."""

    def program() -> None:
        databases: dict[str, ManagedPostgres] = {}
        random = random_provider()
        for region in ("us-east-1", "eu-west-1"):
            opts, vpc = _region(region, random)
            membership = (
                PostgresGlobalDatabase(role=GlobalRole.PRIMARY, global_cluster_identifier="platform-prod")
                if not databases
                else databases["us-east-1"].membership()
            )
            args = postgres_args(
                postgres_settings(config, environment="prod"),
                identifier=StackNames("platform", "prod", "prod").database(region),
                **_network(vpc),
                allowed_security_groups=ALLOWED,
                rpo_minutes=15,
                global_database=membership,
            )
            databases[region] = ManagedPostgres(f"{region}-db", args, opts=opts)
            _export(databases[region], f"{region}-")
        pulumi.export("globalId", databases["us-east-1"].global_cluster_identifier)

    return harness.run(program)


@pytest.fixture(scope="module")
def dev_rds() -> Graph:
    return build(Harness(), rds_config(), environment="dev")


@pytest.fixture(scope="module")
def rds_with_replicas() -> Graph:
    config = rds_config(
        instanceClass="db.t4g.medium",
        multiAz=True,
        readReplicas=2,
        proxy=True,
        allocatedStorageGib=100,
        maxAllocatedStorageGib=500,
    )
    return build(Harness(), config, environment="prod")


@pytest.fixture(scope="module")
def aurora() -> Graph:
    return build(Harness(), aurora_config(proxy=True))


@pytest.fixture(scope="module")
def global_database() -> Graph:
    return build_global(Harness(), GLOBAL_CONFIG)


GLOBAL_CONFIG = aurora_config(readers=1, backupRetentionDays=30, proxy=True, engineVersion="17.5")


def component_of(graph: Graph, registration_name: str) -> list[Any]:
    """Every custom resource under the named ManagedPostgres (children of its children too)."""
    root = graph.one("platform:index:ManagedPostgres", registration_name)
    return [r for r in graph if r.custom and root in graph.ancestors(r)]


def rules_into(graph: Graph, security_group: Any) -> dict[str, Any]:
    return {r.name: r for r in graph.by_type(INGRESS) if r.inputs["securityGroupId"] == security_group.id}


# --- 1. engines ----------------------------------------------------------------------------


def test_rds_is_one_gp3_instance_of_the_configured_version(dev_rds: Graph) -> None:
    (db,) = dev_rds.by_type(INSTANCE)
    assert db.name == "db-db"
    assert db.inputs["identifier"] == "platform-dev-euw1"
    assert (db.inputs["engine"], db.inputs["engineVersion"]) == ("postgres", "17")
    assert db.inputs["instanceClass"] == "db.t4g.micro"
    assert (db.inputs["storageType"], db.inputs["allocatedStorage"], db.inputs["maxAllocatedStorage"]) == (
        "gp3",
        20,
        50,
    )
    assert db.inputs["multiAz"] is False
    assert (db.inputs["dbName"], db.inputs["username"], db.inputs["port"]) == ("platform", "platform_admin", 5432)
    assert db.inputs["allowMajorVersionUpgrade"] is False and db.inputs["autoMinorVersionUpgrade"] is True
    assert db.inputs["caCertIdentifier"] == "rds-ca-rsa2048-g1"
    assert not dev_rds.by_type(CLUSTER) and not dev_rds.by_type(GLOBAL)


def test_aurora_is_a_writer_and_readers_spread_over_the_zones(aurora: Graph) -> None:
    (cluster,) = aurora.by_type(CLUSTER)
    assert cluster.inputs["clusterIdentifier"] == "platform-staging-euw1"
    assert (cluster.inputs["engine"], cluster.inputs["engineMode"]) == ("aurora-postgresql", "provisioned")
    assert cluster.inputs["engineVersion"] == "17"
    assert (cluster.inputs["databaseName"], cluster.inputs["masterUsername"]) == ("platform", "platform_admin")
    instances = sorted(aurora.by_type(CLUSTER_INSTANCE), key=lambda r: r.name)
    assert [i.inputs["identifier"] for i in instances] == [f"platform-staging-euw1-{n}" for n in (1, 2, 3)]
    assert all(i.inputs["clusterIdentifier"] == cluster.id for i in instances)
    assert all(i.inputs["instanceClass"] == "db.r7g.large" for i in instances)
    assert [i.inputs["promotionTier"] for i in instances] == [0, 1, 1]
    assert sorted(i.inputs["availabilityZone"] for i in instances) == sorted(out(aurora, "zones"))
    assert not aurora.by_type(INSTANCE)
    assert out(aurora, "writer") == cluster.outputs["endpoint"]
    assert out(aurora, "reader") == cluster.outputs["readerEndpoint"]


@pytest.mark.parametrize(
    ("config", "kind", "family"),
    [
        (rds_config(majorVersion=16), "aws:rds/parameterGroup:ParameterGroup", "postgres16"),
        (aurora_config(majorVersion=16), "aws:rds/clusterParameterGroup:ClusterParameterGroup", "aurora-postgresql16"),
    ],
)
def test_major_version_is_configurable(harness: Harness, config: PostgresConfig, kind: str, family: str) -> None:
    graph = build(harness, config)
    assert graph.one(kind).inputs["family"] == family
    database = graph.by_type(INSTANCE) or graph.by_type(CLUSTER)
    assert database[0].inputs["engineVersion"] == "16"


# --- 2. network ----------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["dev_rds", "aurora"])
def test_in_database_subnets_reachable_only_from_the_given_groups(request: pytest.FixtureRequest, fixture: str) -> None:
    graph: Graph = request.getfixturevalue(fixture)
    subnets = graph.one("aws:rds/subnetGroup:SubnetGroup")
    assert subnets.inputs["subnetIds"] == out(graph, "database")
    security_group = graph.one(SECURITY_GROUP, "db-sg")
    assert "ingress" not in security_group.inputs
    assert out(graph, "sg") == security_group.id
    rules = rules_into(graph, security_group)
    from_groups = {name: r.inputs.get("referencedSecurityGroupId") for name, r in rules.items()}
    expected = {"db-from-eks-nodes": "sg-0nodes", "db-from-jobs": "sg-0jobs"}
    if fixture == "aurora":  # the proxy connects on the clients' behalf
        expected["db-from-proxy"] = graph.one(SECURITY_GROUP, "db-proxy-sg").id
    assert from_groups == expected
    for rule in rules.values():
        assert (rule.inputs["fromPort"], rule.inputs["toPort"], rule.inputs["ipProtocol"]) == (5432, 5432, "tcp")
        assert "cidrIpv4" not in rule.inputs and "cidrIpv6" not in rule.inputs
    database = graph.by_type(INSTANCE) or graph.by_type(CLUSTER)
    assert database[0].inputs["dbSubnetGroupName"] == subnets.outputs["name"]
    assert database[0].inputs["vpcSecurityGroupIds"] == [security_group.id]


@pytest.mark.parametrize("fixture", ["dev_rds", "rds_with_replicas", "aurora", "global_database"])
def test_no_instance_is_publicly_accessible(request: pytest.FixtureRequest, fixture: str) -> None:
    graph: Graph = request.getfixturevalue(fixture)
    instances = graph.by_type(INSTANCE) + graph.by_type(CLUSTER_INSTANCE)
    assert instances
    assert all(i.inputs["publiclyAccessible"] is False for i in instances)


# --- 3. encryption -------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["dev_rds", "aurora"])
def test_storage_and_performance_insights_use_a_rotating_key_of_its_own(
    request: pytest.FixtureRequest, fixture: str
) -> None:
    graph: Graph = request.getfixturevalue(fixture)
    key = graph.one(KEY, "db-key")
    assert key.inputs["enableKeyRotation"] is True
    alias = graph.one("aws:kms/alias:Alias", "db-key-alias")
    assert alias.inputs["name"] == f"alias/{out(graph, 'identifier')}/rds"
    storage = (graph.by_type(INSTANCE) or graph.by_type(CLUSTER))[0]
    assert storage.inputs["storageEncrypted"] is True
    assert storage.inputs["kmsKeyId"] == key.outputs["arn"]
    for instance in graph.by_type(INSTANCE) + graph.by_type(CLUSTER_INSTANCE):
        assert instance.inputs["performanceInsightsEnabled"] is True
        assert instance.inputs["performanceInsightsKmsKeyId"] == key.outputs["arn"]
        assert instance.inputs["performanceInsightsRetentionPeriod"] == 7


# --- 4. TLS only ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "kind"),
    [
        ("dev_rds", "aws:rds/parameterGroup:ParameterGroup"),
        ("aurora", "aws:rds/clusterParameterGroup:ClusterParameterGroup"),
    ],
)
def test_parameters_force_tls_preload_pg_stat_statements_and_log(
    request: pytest.FixtureRequest, fixture: str, kind: str
) -> None:
    graph: Graph = request.getfixturevalue(fixture)
    group = graph.one(kind)
    parameters = {p["name"]: (p["value"], p["applyMethod"]) for p in group.inputs["parameters"]}
    # pending-reboot everywhere: AWS reports a value equal to the engine default (force_ssl on
    # PostgreSQL 15+, TLSv1.2) as pending-reboot, and a static parameter refuses immediate.
    assert {method for _, method in parameters.values()} == {"pending-reboot"}
    assert parameters["rds.force_ssl"][0] == "1"
    assert parameters["ssl_min_protocol_version"][0] == "TLSv1.2"
    assert parameters["shared_preload_libraries"][0] == "pg_stat_statements"
    # pg_stat_statements.track is left at its default (top): setting a default is a perpetual diff.
    assert "pg_stat_statements.track" not in parameters
    assert parameters["log_min_duration_statement"][0] == "1000"
    assert parameters["log_connections"][0] == parameters["log_disconnections"][0] == "1"
    database = (graph.by_type(INSTANCE) or graph.by_type(CLUSTER))[0]
    reference = "parameterGroupName" if kind.endswith(":ParameterGroup") else "dbClusterParameterGroupName"
    assert database.inputs[reference] == group.outputs["name"]


# --- 5. credentials ------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["dev_rds", "aurora"])
def test_rds_manages_the_master_password_under_the_key(request: pytest.FixtureRequest, fixture: str) -> None:
    graph: Graph = request.getfixturevalue(fixture)
    database = (graph.by_type(INSTANCE) or graph.by_type(CLUSTER))[0]
    assert database.inputs["manageMasterUserPassword"] is True
    assert database.inputs["masterUserSecretKmsKeyId"] == graph.one(KEY, "db-key").outputs["arn"]
    assert "password" not in database.inputs and "masterPassword" not in database.inputs
    assert database.inputs["iamDatabaseAuthenticationEnabled"] is True
    assert not graph.by_type("random:index/randomPassword:RandomPassword")
    assert not graph.by_type("aws:secretsmanager/secret:Secret")
    assert out(graph, "secretArn") == database.outputs["masterUserSecrets"][0]["secretArn"]


def test_global_password_is_generated_stored_and_never_plain(global_database: Graph) -> None:
    (generated,) = global_database.by_type("random:index/randomPassword:RandomPassword")
    password = generated.outputs["result"]
    assert len(password) == 40
    secrets = {s.name: s for s in global_database.by_type("aws:secretsmanager/secret:Secret")}
    assert set(secrets) == {"us-east-1-db-master", "eu-west-1-db-master"}
    versions = global_database.by_type("aws:secretsmanager/secretVersion:SecretVersion")
    for version in versions:  # each region keeps the one password under its own key
        stored = json.loads(version.inputs["secretString"])
        assert stored == {
            "username": "platform_admin",
            "password": password,
            "engine": "postgres",
            "port": 5432,
            "dbname": "platform",
        }
    for region in ("us-east-1", "eu-west-1"):
        secret = secrets[f"{region}-db-master"]
        assert secret.inputs["kmsKeyId"] == global_database.one(KEY, f"{region}-db-key").outputs["arn"]
        assert out(global_database, f"{region}-secretArn") == secret.outputs["arn"]
    primary = global_database.one(CLUSTER, "us-east-1-db-cluster")
    assert primary.inputs["masterPassword"] == password
    assert "manageMasterUserPassword" not in primary.inputs
    assert plaintext_leaks(global_database, password) == []


# --- 6. backups and deletion ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("environment", "protected", "kept"), [("dev", False, False), ("staging", True, False), ("prod", True, True)]
)
@pytest.mark.parametrize("engine", ["rds", "aurora"])
def test_backups_and_deletion_follow_the_environment(
    harness: Harness, environment: str, protected: bool, kept: bool, engine: str
) -> None:
    config = rds_config(backupRetentionDays=30) if engine == "rds" else aurora_config(readers=1, backupRetentionDays=30)
    graph = build(harness, config, environment=environment)
    database = graph.one(INSTANCE if engine == "rds" else CLUSTER)
    identifier = f"platform-{environment}-euw1"
    assert database.inputs["backupRetentionPeriod"] == 30
    window = "backupWindow" if engine == "rds" else "preferredBackupWindow"
    assert database.inputs[window] == "03:00-04:00"
    assert database.inputs["copyTagsToSnapshot"] is True
    assert database.inputs["deletionProtection"] is protected
    assert database.inputs["skipFinalSnapshot"] is not protected
    assert database.inputs.get("finalSnapshotIdentifier") == (f"{identifier}-final" if protected else None)
    assert (database.protect, database.retain_on_delete) == (kept, kept)
    assert graph.one(KEY, "db-key").protect is kept


def test_read_replicas_follow_the_primary(rds_with_replicas: Graph) -> None:
    graph = rds_with_replicas
    instances = {i.name: i for i in graph.by_type(INSTANCE)}
    assert set(instances) == {"db-db", "db-replica-1", "db-replica-2"}
    primary = instances["db-db"]
    assert primary.inputs["multiAz"] is True
    assert primary.inputs["allocatedStorage"] == 100
    for n in (1, 2):
        replica = instances[f"db-replica-{n}"]
        assert replica.inputs["identifier"] == f"platform-prod-euw1-replica-{n}"
        assert replica.inputs["replicateSourceDb"] == primary.outputs["identifier"]
        assert replica.inputs["backupRetentionPeriod"] == 0
        assert replica.inputs["skipFinalSnapshot"] is True
        assert "username" not in replica.inputs and "manageMasterUserPassword" not in replica.inputs
        assert replica.inputs["storageEncrypted"] is True
        assert replica.inputs["kmsKeyId"] == primary.inputs["kmsKeyId"]
    zones = [instances[name].inputs["availabilityZone"] for name in ("db-db", "db-replica-1", "db-replica-2")]
    assert len(set(zones)) == 3
    assert out(graph, "reader") == instances["db-replica-1"].outputs["address"]
    assert out(graph, "writer") == primary.outputs["address"]


def test_logs_go_to_encrypted_groups_created_first(rds_with_replicas: Graph, aurora: Graph) -> None:
    groups = {g.inputs["name"]: g for g in rds_with_replicas.by_type("aws:cloudwatch/logGroup:LogGroup")}
    prefix = "/aws/rds/instance/platform-prod-euw1"
    wanted = {
        f"{prefix}{suffix}/{kind}" for suffix in ("", "-replica-1", "-replica-2") for kind in ("postgresql", "upgrade")
    }
    assert wanted <= set(groups)
    key = rds_with_replicas.one(KEY, "db-logs-key")
    for name in wanted:
        assert groups[name].inputs["kmsKeyId"] == key.outputs["arn"]
        assert groups[name].inputs["retentionInDays"] == 30
    primary = rds_with_replicas.one(INSTANCE, "db-db")
    assert primary.inputs["enabledCloudwatchLogsExports"] == ["postgresql", "upgrade"]
    assert {groups[f"{prefix}/postgresql"].urn, groups[f"{prefix}/upgrade"].urn} <= set(primary.dependencies)
    cluster = aurora.one(CLUSTER)
    (cluster_group,) = [
        g for g in aurora.by_type("aws:cloudwatch/logGroup:LogGroup") if g.inputs["name"].startswith("/aws/rds/")
    ]
    assert cluster_group.inputs["name"] == "/aws/rds/cluster/platform-staging-euw1/postgresql"
    assert cluster.inputs["enabledCloudwatchLogsExports"] == ["postgresql"]
    assert cluster_group.urn in cluster.dependencies


def test_enhanced_monitoring_role(aurora: Graph) -> None:
    role = aurora.one("aws:iam/role:Role", "db-monitoring")
    assert policy(role, "assumeRolePolicy")["Statement"][0]["Principal"] == {"Service": "monitoring.rds.amazonaws.com"}
    attachment = aurora.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "db-monitoring-enhanced-monitoring")
    assert attachment.inputs["policyArn"].endswith(":policy/service-role/AmazonRDSEnhancedMonitoringRole")
    for instance in aurora.by_type(CLUSTER_INSTANCE):
        assert instance.inputs["monitoringInterval"] == 60
        assert instance.inputs["monitoringRoleArn"] == role.outputs["arn"]


# --- 8. global database --------------------------------------------------------------------


def test_primary_creates_the_global_database_and_writes(global_database: Graph) -> None:
    (global_cluster,) = global_database.by_type(GLOBAL)
    assert global_cluster.inputs["globalClusterIdentifier"] == "platform-prod"
    assert global_cluster.inputs["engine"] == "aurora-postgresql"
    assert global_cluster.inputs["storageEncrypted"] is True
    assert global_cluster.inputs["deletionProtection"] is True
    assert global_cluster.protect and global_cluster.retain_on_delete
    primary = global_database.one(CLUSTER, "us-east-1-db-cluster")
    assert primary.inputs["globalClusterIdentifier"] == global_cluster.id
    assert primary.inputs["finalSnapshotIdentifier"] == "platform-prod-use1-final"
    assert out(global_database, "globalId") == global_cluster.outputs["globalClusterIdentifier"]
    assert global_database.get(global_cluster.parent).name == "us-east-1-db"


def test_secondary_joins_with_its_own_key_after_the_primary_writer(global_database: Graph) -> None:
    primary = global_database.one(CLUSTER, "us-east-1-db-cluster")
    secondary = global_database.one(CLUSTER, "eu-west-1-db-cluster")
    (global_cluster,) = global_database.by_type(GLOBAL)
    assert secondary.inputs["clusterIdentifier"] == "platform-prod-euw1"
    assert secondary.inputs["globalClusterIdentifier"] == global_cluster.outputs["globalClusterIdentifier"]
    # One pinned version for the global cluster and every member.
    assert global_cluster.inputs["engineVersion"] == primary.inputs["engineVersion"] == "17.5"
    assert secondary.inputs["engineVersion"] == "17.5"
    for inherited in ("masterUsername", "masterPassword", "databaseName", "manageMasterUserPassword"):
        assert inherited not in secondary.inputs
    regional_key = global_database.one(KEY, "eu-west-1-db-key")
    assert secondary.inputs["kmsKeyId"] == regional_key.outputs["arn"]
    assert ":eu-west-1:" in regional_key.outputs["arn"]
    assert secondary.inputs["storageEncrypted"] is True
    # The primary keeps the final snapshot; a secondary is a copy of it.
    assert secondary.inputs["skipFinalSnapshot"] is True and "finalSnapshotIdentifier" not in secondary.inputs
    assert secondary.protect and secondary.retain_on_delete
    writer = global_database.one(CLUSTER_INSTANCE, "us-east-1-db-instance-1")
    assert writer.urn in secondary.dependencies


def test_global_members_upgrade_through_the_global_cluster(global_database: Graph, aurora: Graph) -> None:
    # AWS does not apply automatic minor upgrades to global database members; the pinned
    # engineVersion on the global cluster is how they move.
    assert {i.inputs["autoMinorVersionUpgrade"] for i in global_database.by_type(CLUSTER_INSTANCE)} == {False}
    assert {i.inputs["autoMinorVersionUpgrade"] for i in aurora.by_type(CLUSTER_INSTANCE)} == {True}


def test_failover_membership_drift_is_ignored(global_database: Graph, aurora: Graph) -> None:
    # engineVersion too: the global cluster upgrades its members (the provider's documented
    # ignore_changes advice for aws_rds_global_cluster upgrades).
    assert GLOBAL_MEMBERSHIP_FIELDS == ["globalClusterIdentifier", "replicationSourceIdentifier", "engineVersion"]
    for cluster in global_database.by_type(CLUSTER):
        assert cluster.ignore_changes == GLOBAL_MEMBERSHIP_FIELDS
    assert aurora.one(CLUSTER).ignore_changes == []


def test_outputs_a_failover_runbook_needs(global_database: Graph) -> None:
    for region, short in (("us-east-1", "use1"), ("eu-west-1", "euw1")):
        cluster = global_database.one(CLUSTER, f"{region}-db-cluster")
        assert out(global_database, f"{region}-identifier") == f"platform-prod-{short}"
        assert out(global_database, f"{region}-arn") == cluster.outputs["arn"]
        assert f":{region}:" in cluster.outputs["arn"]
        assert out(global_database, f"{region}-clusterEndpoint") == cluster.outputs["endpoint"]
        assert out(global_database, f"{region}-reader") == cluster.outputs["readerEndpoint"]
    assert out(global_database, "globalId") == "platform-prod"


def test_writes_go_to_the_global_writer_endpoint_in_every_region(global_database: Graph, aurora: Graph) -> None:
    # Aurora keeps the global writer endpoint on the current primary through switchovers and
    # failovers ("Connecting to Amazon Aurora Global Database"); a regional cluster endpoint in a
    # secondary is read-only, and the old primary's turns read-only after a failover.
    (global_cluster,) = global_database.by_type(GLOBAL)
    endpoint = global_cluster.outputs["endpoint"]
    assert endpoint.endswith(".global.rds.amazonaws.com")
    for region in ("us-east-1", "eu-west-1"):
        assert out(global_database, f"{region}-writer") == endpoint
        assert out(global_database, f"{region}-clusterEndpoint") != endpoint
    # A regional database writes to its own cluster.
    assert out(aurora, "writer") == aurora.one(CLUSTER).outputs["endpoint"] == out(aurora, "clusterEndpoint")


def test_the_next_preview_after_the_first_up_shows_no_version_change(global_database: Graph) -> None:
    """A second synth against the state the first one left, as the provider reads it back."""
    # The first: the module's run of GLOBAL_CONFIG; the second, a run of its own.
    first, second = global_database, build_global(Harness(), GLOBAL_CONFIG)
    for type_token in (GLOBAL, CLUSTER, CLUSTER_INSTANCE):
        for registration in second.by_type(type_token):
            state = first.get(registration.urn).outputs
            for key in ("engineVersion", "engine"):
                if key in registration.inputs:
                    assert registration.inputs[key] == state[key], (registration.name, key)


def test_a_bare_major_version_would_upgrade_the_global_cluster_on_every_preview(harness: Harness) -> None:
    """What the read-back test guards against: the provider stores '17.6' where '17' was asked."""

    def program() -> None:
        opts, _ = _region("us-east-1")
        aws.rds.GlobalCluster(
            "g", global_cluster_identifier="g", engine="aurora-postgresql", engine_version="17", opts=opts
        )

    (global_cluster,) = harness.run(program).by_type(GLOBAL)
    assert global_cluster.outputs["engineVersion"] == "17.6" != global_cluster.inputs["engineVersion"]


def test_a_global_database_needs_a_pinned_full_version() -> None:
    with pytest.raises(PostgresArgsError, match=r"^args\.engine_version: an Aurora Global Database needs a full"):
        args_with(
            global_database=PostgresGlobalDatabase(role=GlobalRole.PRIMARY, global_cluster_identifier="platform-prod")
        )


def test_every_child_uses_its_own_region_provider(global_database: Graph) -> None:
    providers = {p.name: p.urn for p in global_database.by_type("pulumi:providers:aws")}
    random_urn = global_database.one("pulumi:providers:random").urn
    for region in ("us-east-1", "eu-west-1"):
        children = component_of(global_database, f"{region}-db")
        assert len(children) > 30
        for child in children:
            expected = random_urn if child.type.startswith("random:") else providers[f"aws-{region}"]
            assert child.provider_urn == expected, child.urn


def test_membership_comes_only_from_a_global_primary(harness: Harness) -> None:
    def program() -> None:
        opts, vpc = _region("eu-west-1")
        args = postgres_args(
            postgres_settings(aurora_config(), environment="dev"),
            identifier="platform-dev-euw1",
            **_network(vpc),
            allowed_security_groups={},
            rpo_minutes=5,
        )
        regional = ManagedPostgres("db", args, opts=opts)
        with pytest.raises(PostgresArgsError, match="db is not a global database primary"):
            regional.membership()

    harness.run(program)


# --- 9. alarms -----------------------------------------------------------------------------


def alarms_by_metric(graph: Graph) -> dict[str, list[Any]]:
    """Alarms by the metric they watch (a Metrics Insights alarm: the metric its query selects)."""
    found: dict[str, list[Any]] = {}
    for alarm in graph.by_type(ALARM):
        metric = alarm.inputs.get("metricName")
        if metric is None:
            (query,) = alarm.inputs["metricQueries"]
            metric = query["expression"].split("MAX(", 1)[1].split(")", 1)[0]
        found.setdefault(metric, []).append(alarm)
    return found


def test_rds_alarms_use_the_required_thresholds(dev_rds: Graph) -> None:
    topic = dev_rds.one("aws:sns/topic:Topic")
    assert topic.inputs["kmsMasterKeyId"] == dev_rds.one(KEY, "db-alarms-key").outputs["arn"]
    alarms = {metric: found for metric, found in alarms_by_metric(dev_rds).items()}
    assert set(alarms) == {"CPUUtilization", "FreeStorageSpace", "DatabaseConnections"}
    (cpu,), (storage,), (connections,) = (
        alarms["CPUUtilization"],
        alarms["FreeStorageSpace"],
        alarms["DatabaseConnections"],
    )
    assert (cpu.inputs["threshold"], cpu.inputs["comparisonOperator"]) == (90, "GreaterThanThreshold")
    # 10% of the 20 GiB allocated.
    assert (storage.inputs["threshold"], storage.inputs["comparisonOperator"]) == (2 * GIB, "LessThanThreshold")
    # db.t4g.micro (1 GiB): PostgreSQL's default max_connections is 112; the alarm is at 80%.
    assert connections.inputs["threshold"] == 89
    for alarm in (cpu, storage, connections):
        assert alarm.inputs["namespace"] == "AWS/RDS"
        assert alarm.inputs["dimensions"] == {"DBInstanceIdentifier": "platform-dev-euw1"}
        assert alarm.inputs["alarmActions"] == alarm.inputs["okActions"] == [topic.outputs["arn"]]


def test_replica_lag_alarms_at_the_rpo(rds_with_replicas: Graph) -> None:
    lag = alarms_by_metric(rds_with_replicas)["ReplicaLag"]
    assert sorted(a.inputs["dimensions"]["DBInstanceIdentifier"] for a in lag) == [
        "platform-prod-euw1-replica-1",
        "platform-prod-euw1-replica-2",
    ]
    assert {a.inputs["threshold"] for a in lag} == {900}
    for alarm in lag:  # a replica that stops reporting (deleted, detached) must alarm
        assert alarm.inputs["treatMissingData"] == "breaching"
        assert alarm.inputs["insufficientDataActions"] == alarm.inputs["alarmActions"]
    # db.t4g.medium (4 GiB): default max_connections 450, alarm at 360.
    assert {a.inputs["threshold"] for a in alarms_by_metric(rds_with_replicas)["DatabaseConnections"]} == {360}


def test_aurora_alarms_per_instance(aurora: Graph) -> None:
    alarms = alarms_by_metric(aurora)
    identifiers = [f"platform-staging-euw1-{n}" for n in (1, 2, 3)]
    for metric in ("CPUUtilization", "FreeLocalStorage", "DatabaseConnections"):
        assert sorted(a.inputs["dimensions"]["DBInstanceIdentifier"] for a in alarms[metric]) == identifiers
    # db.r7g.large (16 GiB): local storage about 32 GiB, alarm below 10% of it; connections 1802 x 80%.
    assert {a.inputs["threshold"] for a in alarms["FreeLocalStorage"]} == {3.2 * GIB}
    assert {a.inputs["threshold"] for a in alarms["DatabaseConnections"]} == {1441}
    assert "AuroraGlobalDBReplicationLag" not in alarms and "ReplicaLag" not in alarms


def test_global_lag_alarm_on_the_secondary_at_the_rpo(global_database: Graph) -> None:
    (lag,) = alarms_by_metric(global_database)["AuroraGlobalDBReplicationLag"]
    assert lag.name == "eu-west-1-db-global-lag"
    # Metrics Insights by cluster: the metric's full dimension set (SourceRegion?) is not documented.
    (query,) = lag.inputs["metricQueries"]
    assert query["expression"] == (
        "SELECT MAX(AuroraGlobalDBReplicationLag) FROM \"AWS/RDS\" WHERE DBClusterIdentifier = 'platform-prod-euw1'"
    )
    assert (query["period"], query["returnData"]) == (60, True)
    assert not {"metricName", "namespace", "period", "statistic", "dimensions"} & set(lag.inputs)
    assert lag.inputs["threshold"] == 15 * 60 * 1000  # milliseconds
    assert lag.inputs["comparisonOperator"] == "GreaterThanThreshold"
    # A detached secondary or a lost region stops the metric: that alarms instead of going quiet.
    assert lag.inputs["treatMissingData"] == "breaching"
    assert lag.inputs["insufficientDataActions"] == lag.inputs["alarmActions"] == lag.inputs["okActions"]
    assert (lag.inputs["evaluationPeriods"], lag.inputs["datapointsToAlarm"]) == (3, 2)


# --- 10. RDS Proxy -------------------------------------------------------------------------


def test_proxy_requires_tls_and_iam_and_reads_the_secret(aurora: Graph) -> None:
    proxy = aurora.one("aws:rds/proxy:Proxy")
    assert proxy.inputs["engineFamily"] == "POSTGRESQL"
    assert proxy.inputs["requireTls"] is True
    assert proxy.inputs["debugLogging"] is False
    (auth,) = proxy.inputs["auths"]
    assert (auth["authScheme"], auth["iamAuth"]) == ("SECRETS", "REQUIRED")
    assert auth["secretArn"] == out(aurora, "secretArn")
    assert proxy.inputs["vpcSubnetIds"] == out(aurora, "database")
    proxy_group = aurora.one(SECURITY_GROUP, "db-proxy-sg")
    assert proxy.inputs["vpcSecurityGroupIds"] == [proxy_group.id]
    assert {n: r.inputs["referencedSecurityGroupId"] for n, r in rules_into(aurora, proxy_group).items()} == {
        "db-proxy-from-eks-nodes": "sg-0nodes",
        "db-proxy-from-jobs": "sg-0jobs",
    }
    egress = aurora.one("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "db-proxy-to-db")
    assert egress.inputs["securityGroupId"] == proxy_group.id
    assert egress.inputs["referencedSecurityGroupId"] == aurora.one(SECURITY_GROUP, "db-sg").id
    assert egress.inputs["fromPort"] == egress.inputs["toPort"] == 5432
    # Its only way out: RDS Proxy reads the secret with its IAM role through the RDS service, and
    # AWS's network prerequisites name only the path to the database ("Setting up network
    # prerequisites for RDS Proxy"; the proxy's security group "must allow access to the database").
    assert [
        rule.name
        for rule in aurora.by_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
        if rule.inputs["securityGroupId"] == proxy_group.id
    ] == ["db-proxy-to-db"]
    assert "egress" not in proxy_group.inputs

    role = aurora.one("aws:iam/role:Role", "db-proxy")
    assert proxy.inputs["roleArn"] == role.outputs["arn"]
    (trust,) = policy(role, "assumeRolePolicy")["Statement"]
    assert trust["Principal"] == {"Service": "rds.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    grants = {p.name: policy(p, "policy")["Statement"][0] for p in aurora.by_type("aws:iam/rolePolicy:RolePolicy")}
    assert grants["db-proxy-secret"]["Action"] == "secretsmanager:GetSecretValue"
    assert grants["db-proxy-secret"]["Resource"] == out(aurora, "secretArn")
    assert grants["db-proxy-key"]["Action"] == "kms:Decrypt"
    assert grants["db-proxy-key"]["Resource"] == aurora.one(KEY, "db-key").outputs["arn"]


def test_proxy_targets_the_cluster_with_a_reader_endpoint(aurora: Graph, rds_with_replicas: Graph) -> None:
    target = aurora.one("aws:rds/proxyTarget:ProxyTarget")
    assert target.inputs["dbClusterIdentifier"] == "platform-staging-euw1"
    assert target.inputs["targetGroupName"] == "default"
    pool = aurora.one("aws:rds/proxyDefaultTargetGroup:ProxyDefaultTargetGroup")
    assert pool.inputs["connectionPoolConfig"]["maxConnectionsPercent"] == 90
    readers = aurora.one("aws:rds/proxyEndpoint:ProxyEndpoint")
    assert (readers.inputs["targetRole"], readers.inputs["dbProxyEndpointName"]) == (
        "READ_ONLY",
        "platform-staging-euw1-ro",
    )
    assert out(aurora, "proxy") == aurora.one("aws:rds/proxy:Proxy").outputs["endpoint"]
    assert out(aurora, "proxyReader") == readers.outputs["endpoint"]
    rds_target = rds_with_replicas.one("aws:rds/proxyTarget:ProxyTarget")
    assert rds_target.inputs["dbInstanceIdentifier"] == "platform-prod-euw1"
    assert not rds_with_replicas.by_type("aws:rds/proxyEndpoint:ProxyEndpoint")


def test_no_proxy_unless_asked(dev_rds: Graph) -> None:
    assert not dev_rds.by_type("aws:rds/proxy:Proxy")
    assert out(dev_rds, "proxy") is None


# --- 11. outputs ---------------------------------------------------------------------------


def test_outputs(dev_rds: Graph) -> None:
    db = dev_rds.one(INSTANCE)
    component = dev_rds.one("platform:index:ManagedPostgres")
    assert set(component.outputs) >= {"writerEndpoint", "readerEndpoint", "port", "secretArn", "securityGroupId"}
    assert out(dev_rds, "writer") == out(dev_rds, "reader") == db.outputs["address"]
    assert out(dev_rds, "port") == 5432
    assert out(dev_rds, "identifier") == "platform-dev-euw1"
    assert out(dev_rds, "arn") == db.outputs["arn"]


# --- 12. bad input -------------------------------------------------------------------------


def args_with(**changes: Any) -> ManagedPostgresArgs:
    settings: dict[str, Any] = {
        "identifier": "platform-prod-use1",
        "engine": PostgresEngine.AURORA,
        "instance_class": "db.r7g.large",
        "vpc_id": "vpc-1",
        "subnet_ids": ["subnet-1"],
        "availability_zones": ["us-east-1a"],
    }
    settings.update(changes)
    return ManagedPostgresArgs(**settings)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"identifier": "Platform"}, r"^args\.identifier: \'Platform'"),
        ({"identifier": "9db"}, r"^args\.identifier: \'9db'"),
        ({"identifier": "a--b"}, r"^args\.identifier: \'a--b'"),
        ({"identifier": "x" * 53}, r"^args\.identifier: \'x"),
        ({"identifier": "db-"}, r"^args\.identifier: \'db-'"),
        (
            {
                "engine": PostgresEngine.RDS,
                "instance_class": "db.t4g.micro",
                "global_database": PostgresGlobalDatabase(role=GlobalRole.PRIMARY, global_cluster_identifier="g"),
            },
            r"^args\.global_database: only engine aurora",
        ),
        ({"rpo_seconds": 0}, r"^args\.rpo_seconds: 0"),
    ],
)
def test_bad_arguments_name_the_argument(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(PostgresArgsError, match=message):
        args_with(**changes)
    assert args_with().identifier == "platform-prod-use1"

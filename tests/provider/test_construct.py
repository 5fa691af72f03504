"""Construct, in-process under the mocks: what the plugin does when another language builds a component.

`ComponentProvider.construct` is the method the host's gRPC `Construct` calls once it has
deserialized the request (pulumi/provider/experimental/server.py): it maps the schema's camelCase
inputs to the Args' field names, checks the required ones, and calls `Component(name, dict, opts)`.
Over gRPC `Construct` also needs the engine's resource monitor, which only the Pulumi CLI runs;
here the mocks stand in for it, so the component and its children are recorded as a real
`pulumi up` would register them.
"""

import json
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_kubernetes as k8s
import pytest
from pulumi.errors import InputPropertyError
from pulumi.provider.experimental.component import ComponentProvider
from pulumi.provider.server import ComponentInitError

from eksplatform.components.providers import regional_aws_provider
from tests.conftest import Harness

TAGS = {"environment": "prod", "owner": "o", "cost-center": "c", "managed-by": "pulumi"}


def construct(
    harness: Harness, provider: ComponentProvider, token: str, inputs: dict[str, Any], *, kubernetes: bool = False
) -> Any:
    """Construct `token` as the host would; `kubernetes`: with a cluster's provider beside the AWS one."""
    states: list[Mapping[str, Any]] = []

    def program() -> None:
        aws_provider = regional_aws_provider("aws-us-east-1", region="us-east-1", tags=TAGS)
        providers: list[pulumi.ProviderResource] = [aws_provider]
        if kubernetes:
            providers.append(k8s.Provider("cluster", kubeconfig="{}"))
        result = provider.construct("x", token, inputs, pulumi.ResourceOptions(providers=providers))
        states.append(result.state)

    graph = harness.run(program)
    return graph, states[0]


def test_an_image_registry_from_another_language_registers_its_repositories(
    harness: Harness, provider: ComponentProvider
) -> None:
    inputs = {"repositories": ["platform/lang-c", "platform/lang-python"], "keepImages": 5.0, "protect": True}
    graph, state = construct(harness, provider, "platform:index:ImageRegistry", inputs)
    component = graph.one("platform:index:ImageRegistry", "x")
    repositories = graph.by_type("aws:ecr/repository:Repository")
    assert sorted(r.inputs["name"] for r in repositories) == ["platform/lang-c", "platform/lang-python"]
    assert all(r.parent == component.urn and r.protect for r in repositories)
    policy = json.loads(
        graph.one("aws:ecr/lifecyclePolicy:LifecyclePolicy", "x-platform-lang-c-lifecycle").inputs["policy"]
    )
    assert [rule["selection"]["countNumber"] for rule in policy["rules"]] == [7, 5]  # the default, and keepImages
    assert set(state) == {"repositoryArns", "repositoryUrls", "keyArn"}


def test_global_dns_from_another_language_rebuilds_its_nested_writer_alarms(
    harness: Harness, provider: ComponentProvider
) -> None:
    inputs = {
        "domain": "example.com",
        "zoneId": "Z1",
        "endpoints": {"us-east-1": "a.elb.amazonaws.com", "eu-west-1": "b.elb.amazonaws.com"},
        "primaryRegion": "us-east-1",
        "healthPath": "/healthz",
        "writerAlarms": {
            "us-east-1": {"name": "writer-use1", "region": "us-east-1"},
            "eu-west-1": {"name": "writer-euw1", "region": "eu-west-1"},
        },
    }
    graph, state = construct(harness, provider, "platform:index:GlobalDns", inputs)
    checks = {r.name: r.inputs for r in graph.by_type("aws:route53/healthCheck:HealthCheck")}
    assert checks["x-eu-west-1-writer"]["cloudwatchAlarmName"] == "writer-euw1"
    assert checks["x-eu-west-1-writer"]["cloudwatchAlarmRegion"] == "eu-west-1"
    assert state["latencyName"] == "api.example.com"


def test_a_missing_required_input_is_named_by_its_schema_name(provider: ComponentProvider) -> None:
    with pytest.raises(InputPropertyError) as raised:
        provider.construct("x", "platform:index:ImageRegistry", {"keepImages": 5}, None)
    assert raised.value.property_path == "repositories"


def test_the_components_own_validation_reaches_the_caller_by_field(provider: ComponentProvider) -> None:
    with pytest.raises(ComponentInitError, match=r"^args\.keepImages: keep at least 1 image$"):
        provider.construct("x", "platform:index:ImageRegistry", {"repositories": ["a/b"], "keepImages": 0}, None)


def test_a_bad_nested_value_names_its_path(provider: ComponentProvider) -> None:
    inputs = {
        "domain": "example.com",
        "zoneId": "Z1",
        "endpoints": {"us-east-1": "a"},
        "primaryRegion": "us-east-1",
        "healthPath": "/healthz",
        "writerAlarms": {"us-east-1": {"name": "w", "region": 3}},
    }
    with pytest.raises(ComponentInitError, match=r"^args\.writerAlarms\.us-east-1\.region: expected str, got int 3$"):
        provider.construct("x", "platform:index:GlobalDns", inputs, None)


def test_a_cluster_from_another_language_registers_its_node_groups_by_kind(
    harness: Harness, provider: ComponentProvider
) -> None:
    from tests.helpers import ADDON_VERSIONS

    inputs = {
        "clusterName": "shop",
        "kubernetesVersion": "1.35",
        "vpcId": "vpc-1",
        "subnetIds": ["subnet-1", "subnet-2"],
        "nodeGroups": [
            {"name": "general", "instanceTypes": ["m7i.large"], "minSize": 2.0, "desiredSize": 2.0, "maxSize": 4.0},
            {
                "name": "untrusted",
                "kind": "sandbox",
                "capacityType": "SPOT",
                "instanceTypes": ["m7i.xlarge"],
                "minSize": 1.0,
                "desiredSize": 1.0,
                "maxSize": 5.0,
            },
        ],
        "addonVersions": ADDON_VERSIONS,
        "deletionProtection": False,
    }
    graph, state = construct(harness, provider, "platform:index:Cluster", inputs)
    component = graph.one("platform:index:Cluster", "x")
    cluster = graph.one("aws:eks/cluster:Cluster")
    assert cluster.parent == component.urn
    assert cluster.inputs["name"] == "shop" and cluster.inputs["deletionProtection"] is False
    groups = {g.name: g.inputs for g in graph.by_type("aws:eks/nodeGroup:NodeGroup")}
    assert set(groups) == {"x-general", "x-untrusted"}
    assert "taints" not in groups["x-general"] and groups["x-general"]["capacityType"] == "ON_DEMAND"
    assert groups["x-untrusted"]["taints"] == [{"key": "platform/sandbox", "value": "true", "effect": "NO_SCHEDULE"}]
    assert groups["x-untrusted"]["capacityType"] == "SPOT"
    runtime = graph.one("kubernetes:node.k8s.io/v1:RuntimeClass")
    assert runtime.inputs["scheduling"]["nodeSelector"] == {"platform/node-group": "untrusted"}
    assert {"clusterName", "endpoint", "kubeconfig", "nodeSecurityGroupId", "sandboxSecurityGroupId"} <= set(state)


def test_a_cluster_without_a_system_group_is_refused_by_field(provider: ComponentProvider) -> None:
    from tests.helpers import ADDON_VERSIONS

    inputs = {
        "clusterName": "shop",
        "kubernetesVersion": "1.35",
        "vpcId": "vpc-1",
        "subnetIds": ["subnet-1"],
        "nodeGroups": [
            {
                "name": "u",
                "kind": "sandbox",
                "instanceTypes": ["m7i.large"],
                "minSize": 1,
                "desiredSize": 1,
                "maxSize": 2,
            }
        ],
        "addonVersions": ADDON_VERSIONS,
    }
    with pytest.raises(ComponentInitError, match=r"^args\.nodeGroups: add a group of kind `system`"):
        provider.construct("x", "platform:index:Cluster", inputs, None)


def test_a_language_service_pool_from_another_language_runs_its_services_on_the_given_cluster(
    harness: Harness, provider: ComponentProvider
) -> None:
    inputs = {
        "kubernetesVersion": "1.34",
        "namespace": "code",
        "services": [
            {"name": "ocaml", "image": "registry.example.com/lang-ocaml:5.2.1", "minReplicas": 1.0, "maxReplicas": 3.0},
            {"name": "zig", "image": "registry.example.com/lang-zig:0.14.0", "memoryLimit": "512Mi"},
        ],
        "backendSelector": {"app": "submissions"},
    }
    graph, state = construct(harness, provider, "platform:index:LanguageServicePool", inputs, kubernetes=True)
    component = graph.one("platform:index:LanguageServicePool", "x")
    cluster = graph.one("pulumi:providers:kubernetes", "cluster")
    deployments = {d.name: d for d in graph.by_type("kubernetes:apps/v1:Deployment")}
    assert sorted(deployments) == ["x-ocaml-deployment", "x-zig-deployment"]
    assert deployments["x-ocaml-deployment"].inputs["spec"]["replicas"] == 1
    assert deployments["x-ocaml-deployment"].inputs["metadata"]["namespace"] == "code"
    pod = deployments["x-zig-deployment"].inputs["spec"]["template"]["spec"]
    assert pod["runtimeClassName"] == "gvisor"  # the secure default, not given
    assert pod["containers"][0]["resources"]["limits"]["memory"] == "576Mi"  # 512Mi and the 64Mi /tmp
    children = graph.children(component)
    assert len(children) == 1 + 3 + 2 * 6
    assert all(child.provider_urn == cluster.urn for child in children)
    assert set(state) == {"namespace", "endpoints"}


def test_a_public_ingress_from_another_language_puts_aws_and_kubernetes_parts_on_their_providers(
    harness: Harness, provider: ComponentProvider
) -> None:
    inputs = {
        "kubernetesVersion": "1.34",
        "clusterName": "edge",
        "vpcId": "vpc-0123",
        "vpcCidr": "10.10.0.0/16",
        "publicSubnetIds": ["subnet-a", "subnet-b"],
        "publicSubnetCidrs": ["10.10.0.0/24", "10.10.1.0/24"],
        "oidcProviderArn": "arn:aws:iam::111111111111:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/X",
        "oidcProviderUrl": "https://oidc.eks.us-east-1.amazonaws.com/id/X",
        "domain": "run.example.com",
        "zoneId": "Z1",
        "replicas": 1.0,
    }
    graph, state = construct(harness, provider, "platform:index:PublicIngress", inputs, kubernetes=True)
    aws_provider = graph.one("pulumi:providers:aws")
    cluster = graph.one("pulumi:providers:kubernetes", "cluster")
    certificate = graph.one("aws:acm/certificate:Certificate")
    assert certificate.inputs["domainName"] == "api.run.example.com"
    for registration in graph:
        if registration.custom and registration.type.startswith("aws:"):
            assert registration.provider_urn == aws_provider.urn, registration.urn
        elif registration.custom and registration.type.startswith("kubernetes:") and not registration.is_provider:
            assert registration.provider_urn == cluster.urn, registration.urn
    (traefik,) = [r for r in graph.by_type("kubernetes:helm.sh/v3:Release") if r.inputs["chart"] == "traefik"]
    assert traefik.inputs["values"]["deployment"]["replicas"] == 1
    assert traefik.inputs["namespace"] == "ingress"
    assert set(state) == {"hostname", "certificateArn", "healthPath"}
    assert state["healthPath"] == "/healthz"


def test_a_pool_without_a_kubernetes_provider_is_refused_by_name(harness: Harness, provider: ComponentProvider) -> None:
    inputs = {"kubernetesVersion": "1.34", "services": [{"name": "c", "image": "r/lang-c:1"}]}
    with pytest.raises(Exception, match=r"opts\.providers: give the cluster's Kubernetes provider"):
        harness.run(lambda: provider.construct("x", "platform:index:LanguageServicePool", inputs, None))

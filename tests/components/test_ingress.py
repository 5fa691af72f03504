"""PublicIngress: the Traefik chart's values against its own schema, the AWS Load Balancer
Controller with its IRSA role and documented policy, the ACM certificate and the NLB Service."""

from __future__ import annotations

import ast
import copy
import inspect
import json
from typing import Any

import jsonschema
import kubernetes_validate
import pulumi
import pulumi_kubernetes as k8s
import pytest
import yaml

from eksplatform.components import ingress as entry
from eksplatform.components import load_balancer_controller as lbc
from eksplatform.components.ingress import IngressArgsError, PublicIngress, PublicIngressArgs
from eksplatform.components.inputs import ArgsError, to_args
from eksplatform.components.load_balancer_controller_policy import iam_policy_document
from eksplatform.policies.pod_security import violations
from eksplatform.policies.rules import kubernetes as kubernetes_rules
from eksplatform.preflight.mocks import Registration
from eksplatform.preflight.synth import PROJECT_ROOT, Graph
from tests.conftest import Harness, synthesized
from tests.helpers import out, policy
from tests.shared import shared_path

pytestmark = pytest.mark.usefixtures("kubernetes_schemas_parsed_once")  # tests/conftest.py

TRAEFIK_CHART_FIXTURE = "fixtures/helm/traefik-41.3.0"
TRAEFIK_CHART = shared_path(TRAEFIK_CHART_FIXTURE)
needs_chart = pytest.mark.shared(TRAEFIK_CHART_FIXTURE)
RELEASE = "kubernetes:helm.sh/v3:Release"
SERVICE = "kubernetes:core/v1:Service"
SUBNETS = ["subnet-0a", "subnet-0b", "subnet-0c"]
PUBLIC_CIDRS = ["10.10.0.0/24", "10.10.1.0/24", "10.10.2.0/24"]
OIDC_URL = "https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE0123456789"
OIDC_ARN = "arn:aws:iam::111111111111:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE0123456789"


def ingress_args(**changes: Any) -> PublicIngressArgs:
    settings: dict[str, Any] = {
        "kubernetes_version": "1.34",
        "cluster_name": "platform-test-us-east-1",
        "vpc_id": "vpc-0123",
        "public_subnet_ids": SUBNETS,
        "public_subnet_cidrs": PUBLIC_CIDRS,
        "vpc_cidr": "10.10.0.0/16",
        "backend_namespaces": ["backend"],
        "oidc_provider_arn": OIDC_ARN,
        "oidc_provider_url": OIDC_URL,
        "domain": "run.example.com",
        "zone_id": "Z0123456789ABC",
        "tags": {"environment": "test", "owner": "platform-team"},
    }
    settings.update(changes)
    return PublicIngressArgs(**settings)


@pytest.fixture(scope="module")
def ingress() -> Graph:
    def program() -> None:
        aws_provider = __import__("pulumi_aws").Provider("aws-us-east-1", region="us-east-1")
        cluster = k8s.Provider("edge-cluster", kubeconfig="{}")
        edge = PublicIngress("edge", ingress_args(), opts=pulumi.ResourceOptions(providers=[aws_provider, cluster]))
        pulumi.export("hostname", edge.hostname)
        pulumi.export("certificateArn", edge.certificate_arn)

    return Harness().run(program)


def release(graph: Graph, chart: str) -> Registration:
    (found,) = [r for r in graph.by_type(RELEASE) if r.inputs["chart"] == chart]
    return found


def merged(defaults: Any, values: Any) -> Any:
    """Helm's merge of user values over chart defaults: maps key by key, lists and scalars replace."""
    if isinstance(defaults, dict) and isinstance(values, dict):
        result = dict(defaults)
        for key, value in values.items():
            result[key] = merged(defaults.get(key), value) if key in defaults else value
        return result
    return copy.deepcopy(values)


def traefik_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((TRAEFIK_CHART / "values.schema.json").read_text())
    return schema


def traefik_defaults() -> dict[str, Any]:
    # libyaml's parser when PyYAML has it (the wheels do): the same document, a tenth of the time.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    defaults: dict[str, Any] = yaml.load((TRAEFIK_CHART / "values.yaml").read_text(), Loader=loader)
    return defaults


def schema_errors(values: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft7Validator(traefik_schema())
    return [error.message for error in validator.iter_errors(merged(traefik_defaults(), values))]


# --- Traefik: the chart's own schema -----------------------------------------------------------


@needs_chart
def test_the_fixture_is_there_and_is_the_pinned_chart() -> None:
    # Without ../shared these tests would prove nothing; the pin is the version the schema is of.
    chart = yaml.safe_load((TRAEFIK_CHART / "Chart.yaml").read_text())
    assert (chart["name"], chart["version"]) == (entry.CHART, entry.CHART_VERSION)
    assert traefik_schema().get("additionalProperties") is False


@needs_chart
def test_traefik_values_as_registered_validate_against_the_charts_schema(ingress: Graph) -> None:
    traefik = release(ingress, "traefik")
    assert (traefik.inputs["version"], traefik.inputs["repositoryOpts"]) == (
        "41.3.0",
        {"repo": "https://traefik.github.io/charts"},
    )
    assert schema_errors(traefik.inputs["values"]) == []


@needs_chart
@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        # What the chart removed and the old entry still set: Helm would have refused the install.
        ({"globalArguments": ["--global.checknewversion=false"]}, "'globalArguments' was unexpected"),
        ({"logs": {"access": {"enabled": True}}}, "'logs' was unexpected"),
        ({"log": {"level": "LOUD"}}, "'LOUD' is not one of"),
        ({"podDisruptionBudget": {"enabled": True, "maxUnavailabel": 1}}, "'maxUnavailabel' was unexpected"),
    ],
)
def test_the_schema_check_refuses_what_helm_would(values: dict[str, Any], fragment: str) -> None:
    assert any(fragment in message for message in schema_errors(values)), schema_errors(values)


@needs_chart
def test_traefik_pods_pass_pod_security_restricted_as_the_chart_renders_them(ingress: Graph) -> None:
    values = merged(traefik_defaults(), release(ingress, "traefik").inputs["values"])
    pod = {
        "securityContext": values["podSecurityContext"],
        "containers": [{"name": "traefik", "securityContext": values["securityContext"]}],
        "hostNetwork": values["hostNetwork"],
    }
    assert violations({}, pod) == []
    assert values["deployment"]["replicas"] == 2 and values["podDisruptionBudget"]["maxUnavailable"] == 1
    assert values["nodeSelector"] == {"platform/node-group": "system"}


def test_traefik_exposes_nothing_of_its_own(ingress: Graph) -> None:
    values = release(ingress, "traefik").inputs["values"]
    assert values["service"] == {"enabled": False}
    assert values["api"] == {"dashboard": False}
    assert values["ingressRoute"]["healthcheck"]["enabled"] is False
    assert values["global"] == {"checkNewVersion": False, "sendAnonymousUsage": False}


@needs_chart
def test_the_service_reaches_the_ports_the_chart_defines() -> None:
    ports = traefik_defaults()["ports"]
    assert ports[entry.TRAFFIC_PORT_NAME]["port"] == entry.TRAFFIC_PORT
    # The chart's probes ask /ping on the `traefik` entry point: the NLB's target check does too.
    assert ports["traefik"]["port"] == entry.PING_PORT


# --- the AWS Load Balancer Controller ------------------------------------------------------

# The keys of the chart's values.yaml (aws/eks-charts `stable/aws-load-balancer-controller`,
# 3.5.0, commit 5239609) that the platform sets, with the nested keys they document. The chart
# ships no values.schema.json; a key not listed here is one the chart would silently ignore.
LBC_DOCUMENTED: dict[str, Any] = {
    "clusterName": str,
    "region": str,
    "vpcId": str,
    "replicaCount": int,
    "image": {"repository": str, "tag": str, "pullPolicy": str},
    "podDisruptionBudget": {"maxUnavailable": int, "minAvailable": int},
    "updateStrategy": {"type": str, "rollingUpdate": {"maxUnavailable": int, "maxSurge": int}},
    "serviceAccount": {
        "create": bool,
        "annotations": dict,
        "name": str,
        "automountServiceAccountToken": bool,
        "imagePullSecrets": list,
    },
    "enableServiceMutatorWebhook": bool,
    "createIngressClassResource": bool,
    "ingressClassParams": {"create": bool, "name": str, "spec": dict},
    "webhookConfig": {
        "disableIngressValidation": bool,
        "ingressValdationFailurePolicy": str,  # sic: the chart's spelling
        "ingressValidationObjectSelector": dict,
        "ingressValidationNamespaceSelector": dict,
    },
    "defaultTags": dict,
    "keepTLSSecret": bool,
    "nodeSelector": dict,
    "resources": dict,
    "podSecurityContext": dict,
    "securityContext": dict,
}


def undocumented(values: dict[str, Any], documented: dict[str, Any], path: str = "") -> list[str]:
    problems = []
    for key, value in values.items():
        if key not in documented:
            problems.append(f"{path}{key}: not a key of the chart's values.yaml")
        elif isinstance(documented[key], dict):
            problems += undocumented(value, documented[key], f"{path}{key}.")
        elif documented[key] is int and isinstance(value, float) and value.is_integer():
            continue  # numbers reach the engine as floats; Helm reads 2.0 as 2
        elif not isinstance(value, documented[key]):
            problems.append(f"{path}{key}: {type(value).__name__}, the chart expects {documented[key].__name__}")
    return problems


def test_controller_values_are_keys_its_chart_documents(ingress: Graph) -> None:
    controller = release(ingress, "aws-load-balancer-controller")
    assert controller.inputs["version"] == "3.5.0"
    assert controller.inputs["repositoryOpts"] == {"repo": "https://aws.github.io/eks-charts"}
    values = controller.inputs["values"]
    assert undocumented(values, LBC_DOCUMENTED) == []
    assert undocumented({"enableServiceMutatorWebhok": False}, LBC_DOCUMENTED) != []  # the check can fail


def test_controller_knows_its_cluster_without_instance_metadata(ingress: Graph) -> None:
    values = release(ingress, "aws-load-balancer-controller").inputs["values"]
    assert (values["clusterName"], values["region"], values["vpcId"]) == (
        "platform-test-us-east-1",
        "us-east-1",
        "vpc-0123",
    )
    # Only Services that ask for the controller get it; no ALB IngressClass.
    assert values["enableServiceMutatorWebhook"] is False
    assert values["createIngressClassResource"] is False
    # No webhook of the controller's stands in the way of the backends' (Traefik) Ingresses.
    assert values["webhookConfig"] == {"disableIngressValidation": True}
    assert values["defaultTags"] == {"environment": "test", "owner": "platform-team"}
    assert values["keepTLSSecret"] is True  # the webhook's certificate survives upgrades


def test_controller_pods_pass_pod_security_restricted_in_a_restricted_namespace(ingress: Graph) -> None:
    controller = release(ingress, "aws-load-balancer-controller")
    values = controller.inputs["values"]
    pod = {
        "securityContext": values["podSecurityContext"],
        "containers": [{"name": "aws-load-balancer-controller", "securityContext": values["securityContext"]}],
    }
    assert violations({}, pod) == []
    namespaces = {n.inputs["metadata"]["name"]: n for n in ingress.by_type("kubernetes:core/v1:Namespace")}
    labels = namespaces[controller.inputs["namespace"]].inputs["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert namespaces[controller.inputs["namespace"]].urn in controller.dependencies


def test_controller_assumes_its_own_role_through_the_clusters_oidc_provider(ingress: Graph) -> None:
    values = release(ingress, "aws-load-balancer-controller").inputs["values"]
    (role,) = [r for r in ingress.by_type("aws:iam/role:Role") if "lb-controller" in r.name]
    assert values["serviceAccount"] == {
        "create": True,
        "name": "aws-load-balancer-controller",
        "annotations": {"eks.amazonaws.com/role-arn": role.outputs["arn"]},
    }
    (statement,) = policy(role, "assumeRolePolicy")["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert statement["Principal"] == {"Federated": OIDC_ARN}
    issuer = OIDC_URL.removeprefix("https://")
    assert statement["Condition"]["StringEquals"] == {
        f"{issuer}:sub": "system:serviceaccount:aws-load-balancer-controller:aws-load-balancer-controller",
        f"{issuer}:aud": "sts.amazonaws.com",
    }


def test_controller_role_carries_exactly_the_documented_policy(ingress: Graph) -> None:
    (controller_policy,) = ingress.by_type("aws:iam/policy:Policy")
    (attachment,) = [
        a for a in ingress.by_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment") if "lb-controller" in a.name
    ]
    assert attachment.inputs["policyArn"] == controller_policy.outputs["arn"]
    document = policy(controller_policy, "policy")
    assert document == iam_policy_document("aws")
    # Spot checks against the upstream file: creation needs the cluster tag, deletion needs it on the resource.
    statements = {tuple(s["Action"]): s for s in document["Statement"]}
    create = statements[("elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup")]
    assert create["Condition"] == {"Null": {"aws:RequestTag/elbv2.k8s.aws/cluster": "false"}}
    delete = next(s for s in document["Statement"] if "elasticloadbalancing:DeleteLoadBalancer" in s["Action"])
    assert delete["Condition"] == {"Null": {"aws:ResourceTag/elbv2.k8s.aws/cluster": "false"}}
    assert len(document["Statement"]) == 16
    assert iam_policy_document("aws-cn")["Statement"][5]["Resource"] == "arn:aws-cn:ec2:*:*:security-group/*"


# --- the certificate and the Service ----------------------------------------------------------


def test_the_certificate_is_validated_in_the_stacks_zone(ingress: Graph) -> None:
    certificate = ingress.one("aws:acm/certificate:Certificate")
    assert certificate.inputs["domainName"] == "api.run.example.com"
    assert certificate.inputs["subjectAlternativeNames"] == ["primary.run.example.com"]
    assert certificate.inputs["validationMethod"] == "DNS"
    options = {o["domainName"]: o for o in certificate.outputs["domainValidationOptions"]}
    records = [r for r in ingress.by_type("aws:route53/record:Record") if "validation" in r.name]
    assert len(records) == 2
    for record in records:
        option = next(o for o in options.values() if o["resourceRecordName"] == record.inputs["name"])
        assert record.inputs["zoneId"] == "Z0123456789ABC"
        assert (record.inputs["type"], record.inputs["records"]) == ("CNAME", [option["resourceRecordValue"]])
        assert record.inputs["allowOverwrite"] is True
    validation = ingress.one("aws:acm/certificateValidation:CertificateValidation")
    assert validation.inputs["certificateArn"] == certificate.outputs["arn"]
    assert sorted(validation.inputs["validationRecordFqdns"]) == sorted(r.outputs["fqdn"] for r in records)
    assert out(ingress, "certificateArn") == certificate.outputs["arn"]


def test_the_nlb_comes_from_the_controller_and_terminates_tls_with_acm(ingress: Graph) -> None:
    service = ingress.one(SERVICE)
    annotations = service.inputs["metadata"]["annotations"]
    prefix = "service.beta.kubernetes.io/aws-load-balancer-"
    validation = ingress.one("aws:acm/certificateValidation:CertificateValidation")
    assert annotations[f"{prefix}type"] == "external"  # not "nlb": the in-tree provider's value
    assert annotations[f"{prefix}nlb-target-type"] == "ip"
    assert annotations[f"{prefix}scheme"] == "internet-facing"
    assert annotations[f"{prefix}subnets"].split(",") == SUBNETS
    assert annotations[f"{prefix}ssl-cert"] == validation.inputs["certificateArn"]
    assert annotations[f"{prefix}ssl-ports"] == "https"
    assert annotations[f"{prefix}ssl-negotiation-policy"] == "ELBSecurityPolicy-TLS13-1-2-2021-06"
    assert annotations[f"{prefix}backend-protocol"] == "tcp"
    assert (
        annotations[f"{prefix}healthcheck-protocol"],
        annotations[f"{prefix}healthcheck-port"],
        annotations[f"{prefix}healthcheck-path"],
    ) == ("http", "8080", "/ping")
    spec = service.inputs["spec"]
    assert spec["type"] == "LoadBalancer" and "loadBalancerClass" not in spec
    assert spec["allocateLoadBalancerNodePorts"] is False
    assert spec["ports"] == [{"name": "https", "port": 443, "targetPort": "web", "protocol": "TCP"}]
    assert spec["selector"] == {"app.kubernetes.io/name": "traefik", "app.kubernetes.io/instance": "traefik-ingress"}
    # The controller exists before the Service and outlives it (it deletes the NLB); the certificate is issued first.
    assert {release(ingress, "aws-load-balancer-controller").urn, release(ingress, "traefik").urn} <= set(
        service.dependencies
    )
    assert validation.urn in service.dependencies
    hostname = service.outputs["status"]["loadBalancer"]["ingress"][0]["hostname"]
    assert out(ingress, "hostname") == hostname and hostname.endswith(".elb.amazonaws.com")


# Every annotation the controller documents for Services (`docs/guide/service/annotations.md`,
# v3.5.0) that the entry uses; a misspelt one would be ignored without a word.
DOCUMENTED_ANNOTATIONS = {
    f"service.beta.kubernetes.io/aws-load-balancer-{name}"
    for name in (
        "type",
        "nlb-target-type",
        "scheme",
        "subnets",
        "ssl-cert",
        "ssl-ports",
        "ssl-negotiation-policy",
        "backend-protocol",
        "healthcheck-protocol",
        "healthcheck-port",
        "healthcheck-path",
        "healthcheck-interval",
        "healthcheck-timeout",
        "healthcheck-healthy-threshold",
        "healthcheck-unhealthy-threshold",
        "attributes",
        "target-group-attributes",
    )
}


def test_every_service_annotation_is_one_the_controller_documents(ingress: Graph) -> None:
    annotations = ingress.one(SERVICE).inputs["metadata"]["annotations"]
    assert set(annotations) == DOCUMENTED_ANNOTATIONS


def test_the_entrys_kubernetes_objects_validate_against_the_kubernetes_schema(ingress: Graph) -> None:
    objects = [r for r in ingress if r.custom and r.type.startswith("kubernetes:core/")]
    assert {r.type for r in objects} == {SERVICE, "kubernetes:core/v1:Namespace"}
    for registration in objects:
        kubernetes_validate.validate(registration.inputs, "1.34", strict=True)


def test_every_aws_part_uses_the_regions_provider_and_kubernetes_parts_the_clusters(ingress: Graph) -> None:
    aws_provider = ingress.one("pulumi:providers:aws")
    kubernetes_provider = ingress.one("pulumi:providers:kubernetes")
    for registration in ingress:
        if registration.type.startswith("aws:"):
            assert registration.provider_urn == aws_provider.urn, registration.urn
        elif registration.type.startswith("kubernetes:"):
            assert registration.provider_urn == kubernetes_provider.urn, registration.urn


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kubernetes_version": "1.20"}, r"^args\.kubernetes_version: '1\.20': use one of"),
        ({"replicas": 0}, r"^args\.replicas: 0: at least 1$"),
        ({"controller_replicas": 0}, r"^args\.controller_replicas: 0: at least 1$"),
        ({"health_path": "healthz"}, r"^args\.health_path: 'healthz' is not a path of at most 255 characters"),
        ({"health_path": "/" + "h" * 255}, r"^args\.health_path: '/h+' is not a path of at most 255 characters"),
        ({"health_path": "/ping"}, r"^args\.health_path: /ping: Traefik answers it itself"),
        ({"domain": "Run.Example.com"}, r"^args\.domain: 'Run\.Example\.com' is not a lowercase DNS name"),
        ({"domain": "localhost"}, r"^args\.domain: 'localhost' is not a lowercase DNS name"),
        # ACM: the first name (api.<domain>) is at most 64 characters; 4 + 61 is one too many.
        ({"domain": "a" * 57 + ".com"}, r"^args\.domain: the certificate's name 'api\.a+\.com' is over ACM's 64"),
        ({"namespace": "Ingress"}, r"^args\.namespace: 'Ingress' is not a DNS label"),
        ({"backend_namespaces": ["api", "back_end"]}, r"^args\.backend_namespaces\[1\]: 'back_end' is not a DNS"),
        ({"image_registry": "https://ecr/platform"}, r"^args\.image_registry: 'https://ecr/platform' is not"),
    ],
)
def test_ingress_arguments_are_checked(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(IngressArgsError, match=message):
        ingress_args(**changes)


def test_a_domain_of_60_characters_still_fits_the_certificate() -> None:
    assert ingress_args(domain="a" * 56 + ".com").domain == "a" * 56 + ".com"


def test_plain_args_default_to_two_pods_each_in_the_ingress_namespace(ingress: Graph) -> None:
    traefik, controller = release(ingress, "traefik"), release(ingress, "aws-load-balancer-controller")
    assert traefik.inputs["namespace"] == "ingress"
    assert traefik.inputs["values"]["deployment"]["replicas"] == 2
    assert traefik.inputs["values"]["podDisruptionBudget"]["enabled"] is True
    assert controller.inputs["values"]["replicaCount"] == 2
    assert out(ingress, "hostname")


def test_without_a_kubernetes_provider_the_entry_says_where_to_give_it(harness: Harness) -> None:
    def program() -> None:
        aws_provider = __import__("pulumi_aws").Provider("aws-us-east-1", region="us-east-1")
        PublicIngress("edge", ingress_args(), opts=pulumi.ResourceOptions(providers=[aws_provider]))

    with pytest.raises(Exception, match=r"opts\.providers: give the cluster's Kubernetes provider"):
        harness.run(program)


def test_args_from_another_languages_dict_are_the_dataclass() -> None:
    mapped = {
        "kubernetes_version": "1.34",
        "cluster_name": "c",
        "vpc_id": "vpc-1",
        "vpc_cidr": "10.10.0.0/16",
        "public_subnet_ids": SUBNETS,
        "public_subnet_cidrs": PUBLIC_CIDRS,
        "oidc_provider_arn": OIDC_ARN,
        "oidc_provider_url": OIDC_URL,
        "domain": "run.example.com",
        "zone_id": "Z1",
        "replicas": 1,
        "backend_namespaces": ["backend"],
    }
    args = to_args(PublicIngressArgs, mapped)
    assert args.resolved_replicas == 1 and args.resolved_controller_replicas == 2
    with pytest.raises(ArgsError, match=r"^args\.healthPath: 'x' is not a path"):
        to_args(PublicIngressArgs, {**mapped, "health_path": "x"})


def test_the_component_module_does_not_read_the_stack_config() -> None:
    tree = ast.parse(inspect.getsource(entry))
    imported = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {name for name in imported if name.startswith("eksplatform.stack")}


def test_controller_arguments_are_checked() -> None:
    with pytest.raises(lbc.ControllerArgsError, match="replicas 0"):
        lbc.AwsLoadBalancerControllerArgs(
            Any,  # type: ignore[arg-type]
            kubernetes_version="1.34",
            cluster_name="c",
            vpc_id="vpc-1",
            vpc_cidr="10.10.0.0/16",
            oidc_provider_arn=OIDC_ARN,
            oidc_provider_url=OIDC_URL,
            replicas=0,
        )


# --- in the stacks -----------------------------------------------------------------------------


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_stacks_entry_serves_its_domains_certificate(stack: str) -> None:
    graph = synthesized(stack)
    domain = {"dev": "dev.run.example.com", "staging": "staging.run.example.com", "prod": "run.example.com"}[stack]
    certificates = graph.by_type("aws:acm/certificate:Certificate")
    services = graph.by_type(SERVICE)
    assert (
        len(certificates)
        == len(graph.by_type("platform:index:Region"))
        == len([s for s in services if s.inputs["spec"]["type"] == "LoadBalancer"])
    )
    for certificate in certificates:
        assert certificate.inputs["domainName"] == f"api.{domain}"
    assert not graph.by_type("aws:route53/zone:Zone")  # every default stack names its delegated zone
    zone_id = {"dev": "Z0111111111111", "staging": "Z0222222222222", "prod": "Z0333333333333"}[stack]
    for record in (r for r in graph.by_type("aws:route53/record:Record") if "validation" in r.name):
        assert record.inputs["zoneId"] == zone_id


# --- images: every chart's image comes from a registry the stack's policy admits ------------------


def chart_images(release: Registration) -> list[str]:
    """The images a release renders, from its values (the pack cannot see inside a release)."""
    values = release.inputs["values"]
    image = values["image"]
    if release.inputs["chart"] == entry.CHART:  # `registry/repository:tag` (41.3.0 templates/_helpers.tpl)
        return [f"{image['registry']}/{image['repository']}:{image['tag']}"]
    if release.inputs["chart"] == lbc.CHART:  # `repository:tag` (values.yaml `image`)
        return [f"{image['repository']}:{image['tag']}"]
    raise AssertionError(f"a chart without an image check: {release.inputs['chart']}")


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_chart_image_is_in_the_stacks_allowed_registries(stack: str) -> None:
    patterns = json.loads((PROJECT_ROOT / "policies" / "config" / f"{stack}.json").read_text())[
        "images-kubernetes-allowed-registries"
    ]["allowedRegistries"]
    compiled = [kubernetes_rules._pattern(p) for p in patterns]
    graph = synthesized(stack)
    releases = graph.by_type(RELEASE)
    assert len(releases) == 2 * len(graph.by_type("platform:index:Region"))
    repositories = {r.inputs["name"] for r in graph.by_type("aws:ecr/repository:Repository")}
    for found in releases:
        for image in chart_images(found):
            host, rest = kubernetes_rules._reference(image)
            assert any(h.fullmatch(host) and r.fullmatch(rest) for h, r in compiled), (image, patterns)
            # ... and the stack creates the repository it is pulled from.
            assert rest.rsplit(":", 1)[0] in repositories, image
    assert {"platform/traefik", "platform/aws-load-balancer-controller"} <= repositories


def test_without_an_ecr_registry_the_entry_names_its_upstream_images(ingress: Graph) -> None:
    assert chart_images(release(ingress, "traefik")) == ["docker.io/traefik:v3.7.11"]
    assert chart_images(release(ingress, "aws-load-balancer-controller")) == [
        "public.ecr.aws/eks/aws-load-balancer-controller:v3.5.0"
    ]
    with pytest.raises(lbc.ControllerArgsError, match="image"):
        lbc.AwsLoadBalancerControllerArgs(
            Any,  # type: ignore[arg-type]
            kubernetes_version="1.34",
            cluster_name="c",
            vpc_id="v",
            vpc_cidr="10.10.0.0/16",
            oidc_provider_arn=OIDC_ARN,
            oidc_provider_url=OIDC_URL,
            image="public.ecr.aws/eks/aws-load-balancer-controller",
        )


# --- rollouts and drains keep serving ---------------------------------------------------------------


@needs_chart
def test_rollouts_and_drains_keep_the_nlb_in_step_with_the_pods(ingress: Graph) -> None:
    traefik = release(ingress, "traefik")
    values = merged(traefik_defaults(), traefik.inputs["values"])
    assert schema_errors(traefik.inputs["values"]) == []  # the 41.3.0 schema takes every key below
    # The pod spec the chart renders from these values is a valid 1.34 Pod (the sleep handler included).
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "traefik"},
        "spec": {
            "terminationGracePeriodSeconds": values["deployment"]["terminationGracePeriodSeconds"],
            "containers": [{"name": "traefik", "image": "traefik", "lifecycle": values["deployment"]["lifecycle"]}],
        },
    }
    kubernetes_validate.validate(pod, "1.34", strict=True)
    sleep = values["deployment"]["lifecycle"]["preStop"]["sleep"]["seconds"]
    life = values["ports"]["web"]["transport"]["lifeCycle"]
    accept, grace = (int(life[key].removesuffix("s")) for key in ("requestAcceptGraceTimeout", "graceTimeOut"))
    assert sleep >= 30 and values["deployment"]["terminationGracePeriodSeconds"] > sleep + accept + grace
    # The NLB lets open connections finish within the pod's preStop sleep.
    annotations = ingress.one(SERVICE).inputs["metadata"]["annotations"]
    attributes = annotations["service.beta.kubernetes.io/aws-load-balancer-target-group-attributes"]
    assert attributes == "deregistration_delay.timeout_seconds=30"
    assert int(attributes.split("=")[1]) <= sleep
    # New pods become Ready only once the NLB has them healthy: the controller's readiness gate.
    namespace = next(
        n for n in ingress.by_type("kubernetes:core/v1:Namespace") if n.inputs["metadata"]["name"] == "ingress"
    )
    assert namespace.inputs["metadata"]["labels"]["elbv2.k8s.aws/pod-readiness-gate-inject"] == "enabled"
    controller = release(ingress, "aws-load-balancer-controller")
    assert controller.urn in traefik.dependencies  # its webhook injects the gate when Traefik's pods are made


# --- NetworkPolicies: the entry's namespaces deny by default ------------------------------------------


def test_both_namespaces_deny_by_default_and_open_only_what_the_entry_needs(ingress: Graph) -> None:
    policies = {
        (p.inputs["metadata"]["namespace"], p.inputs["metadata"]["name"]): p.inputs["spec"]
        for p in ingress.by_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    }
    assert set(policies) == {
        ("ingress", "default-deny-all"),
        ("ingress", "traefik"),
        ("aws-load-balancer-controller", "default-deny-all"),
        ("aws-load-balancer-controller", "controller"),
    }
    for namespace in ("ingress", "aws-load-balancer-controller"):
        assert policies[(namespace, "default-deny-all")] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    traefik = policies[("ingress", "traefik")]
    values = release(ingress, "traefik").inputs["values"]
    assert (
        traefik["podSelector"]["matchLabels"] == values["topologySpreadConstraints"][0]["labelSelector"]["matchLabels"]
    )
    (inbound,) = traefik["ingress"]
    assert inbound["from"] == [{"ipBlock": {"cidr": cidr}} for cidr in PUBLIC_CIDRS]  # the NLB's subnets only
    assert sorted(port["port"] for port in inbound["ports"]) == [8000, 8080]
    backends, dns, api = traefik["egress"]
    assert backends == {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "backend"}}}]}
    assert dns["to"][0]["podSelector"] == {"matchLabels": {"k8s-app": "kube-dns"}}
    assert {p["port"] for p in dns["ports"]} == {53}
    assert api == {
        "to": [{"ipBlock": {"cidr": "172.20.0.1/32"}}, {"ipBlock": {"cidr": "10.10.0.0/16"}}],
        "ports": [{"protocol": "TCP", "port": 443}],
    }
    controller = policies[("aws-load-balancer-controller", "controller")]
    assert controller["ingress"] == [
        {"from": [{"ipBlock": {"cidr": "10.10.0.0/16"}}], "ports": [{"protocol": "TCP", "port": 9443}]}
    ]
    assert [rule["ports"] for rule in controller["egress"]][1] == [{"protocol": "TCP", "port": 443}]
    for spec in policies.values():
        kubernetes_validate.validate(
            {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "p"}, "spec": spec},
            "1.34",
            strict=True,
        )
    # The releases wait for their namespace's policies: no pod runs before its deny.
    by_name = {
        p.inputs["metadata"]["name"] + p.inputs["metadata"]["namespace"]: p.urn
        for p in ingress.by_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    }
    assert by_name["default-deny-allingress"] in release(ingress, "traefik").dependencies
    assert (
        by_name["default-deny-allaws-load-balancer-controller"]
        in release(ingress, "aws-load-balancer-controller").dependencies
    )


@needs_chart
def test_traefik_reaches_only_the_backends_ingresses(ingress: Graph) -> None:
    traefik = release(ingress, "traefik")
    values = traefik.inputs["values"]
    assert schema_errors(values) == []  # each key below is one the 41.3.0 schema knows
    assert values["providers"]["kubernetesCRD"] == {"enabled": False}
    assert values["providers"]["kubernetesIngress"]["namespaces"] == ["ingress", "backend"]
    assert values["ingressClass"] == {"enabled": True, "isDefaultClass": False, "name": "traefik"}
    schema = traefik_schema()["properties"]
    assert "namespaces" in schema["providers"]["properties"]["kubernetesIngress"]["properties"]
    assert "enabled" in schema["providers"]["properties"]["kubernetesCRD"]["properties"]

"""LanguageServicePool: assert on the registered Kubernetes objects, and validate them as Kubernetes would."""

from __future__ import annotations

import ast
import inspect
from typing import Any

import kubernetes_validate
import pulumi
import pulumi_kubernetes as k8s
import pytest
from pydantic import ValidationError

from eksplatform.components import language_manifests, language_services
from eksplatform.components.inputs import ArgsError, args_from_settings, to_args
from eksplatform.components.language_services import (
    LanguageServiceArgsError,
    LanguageServicePool,
    LanguageServicePoolArgs,
    SandboxedService,
    ServiceArchitecture,
)
from eksplatform.components.quantity import parse_quantity
from eksplatform.components.sandbox_node import POD_PIDS_LIMIT
from eksplatform.policies.pod_security import pod_template, violations
from eksplatform.preflight.mocks import Registration
from eksplatform.preflight.synth import Graph
from eksplatform.stack.config import LanguageServicesConfig
from eksplatform.stack.services_args import language_services_settings
from tests.conftest import Harness
from tests.helpers import out

pytestmark = pytest.mark.usefixtures("kubernetes_schemas_parsed_once")  # tests/conftest.py

REGISTRY = "111111111111.dkr.ecr.us-east-1.amazonaws.com/platform"
DIGEST = "sha256:" + "ab" * 32
LANGUAGES = ["c", "python", "haskell", "idris2", "lisp", "assembly", "java", "systemf"]
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SERVICE = "kubernetes:core/v1:Service"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"
POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
ACCOUNT = "kubernetes:core/v1:ServiceAccount"


def pool_config(**changes: Any) -> LanguageServicesConfig:
    raw: dict[str, Any] = {"imageRegistry": REGISTRY}
    raw.update(changes)
    return LanguageServicesConfig.model_validate(raw)


def build(harness: Harness, config: LanguageServicesConfig, kubernetes_version: str = "1.34") -> Graph:
    """The pool a stack's `languageServices` config makes (the catalog, through the stack adapter),
    its Args built as the Region builds them (without the cluster's RuntimeClass output: its name)."""
    return build_args(harness, pool_args(config, kubernetes_version))


def pool_args(config: LanguageServicesConfig, kubernetes_version: str = "1.34") -> LanguageServicePoolArgs:
    return args_from_settings(
        LanguageServicePoolArgs, language_services_settings(config), kubernetes_version=kubernetes_version
    )


def build_args(harness: Harness, args: LanguageServicePoolArgs) -> Graph:
    def program() -> None:
        provider = k8s.Provider("sandbox-cluster", kubeconfig="{}")
        pool = LanguageServicePool("pool", args, opts=pulumi.ResourceOptions(providers=[provider]))
        pulumi.export("namespace", pool.namespace)
        pulumi.export("endpoints", pool.endpoints)

    return harness.run(program)


CUSTOM = {
    "namespace": "code",
    "minReplicas": 1,
    "maxReplicas": 4,
    "allowDns": True,
    "runtimeClassName": None,
    "backendNamespace": "api",
    "backendSelector": {"app": "submissions"},
    "services": {
        "python": {"enabled": False},
        "java": {"image": f"registry.example.com/jdk@{DIGEST}", "minReplicas": 1, "maxReplicas": 1},
        "c": {"cpuLimit": "2", "cpuRequest": "1", "memoryLimit": "1Gi", "memoryRequest": "512Mi", "tmpSize": "1Gi"},
        "rust": {"image": "registry.example.com/lang-rust:1.83.0", "minReplicas": 2, "maxReplicas": 6},
    },
}


@pytest.fixture(scope="module")
def pool() -> Graph:
    return build(Harness(), pool_config())


@pytest.fixture(scope="module")
def custom() -> Graph:
    return build(Harness(), pool_config(**CUSTOM), kubernetes_version="1.33")


def by_language(graph: Graph, type_token: str) -> dict[str, Registration]:
    return {r.inputs["metadata"]["labels"]["platform/language"]: r for r in graph.by_type(type_token)}


def pod_of(deployment: Registration) -> dict[str, Any]:
    spec: dict[str, Any] = deployment.inputs["spec"]["template"]["spec"]
    return spec


# --- 1. namespace, quota, limits -----------------------------------------------------------


def test_namespace_enforces_pod_security_restricted_pinned_to_the_cluster(pool: Graph, custom: Graph) -> None:
    namespace = pool.one("kubernetes:core/v1:Namespace")
    labels = namespace.inputs["metadata"]["labels"]
    assert namespace.inputs["metadata"]["name"] == "sandbox" == out(pool, "namespace")
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"
        assert labels[f"pod-security.kubernetes.io/{mode}-version"] == "v1.34"
    custom_labels = custom.one("kubernetes:core/v1:Namespace").inputs["metadata"]["labels"]
    assert custom_labels["pod-security.kubernetes.io/enforce-version"] == "v1.33"


def test_quota_fits_every_service_at_its_maximum_during_a_rollout(pool: Graph) -> None:
    quota = pool.one("kubernetes:core/v1:ResourceQuota")
    assert quota.inputs["metadata"]["namespace"] == "sandbox"
    # 8 services x (10 replicas + 25% surge = 3); per pod cpu requests sum to 2.75, limits to 5.5,
    # memory (requested at its limit, plus the memory-backed /tmp: 64 Mi, Java's 128 Mi) to
    # 4 x 320 + 3 x 576 + 1152 = 4160 Mi, ephemeral storage (logs only) to 8 x 256 Mi.
    assert quota.inputs["spec"]["hard"] == {
        "pods": "104",
        "services": "8",
        "services.loadbalancers": "0",
        "services.nodeports": "0",
        "requests.cpu": "35750m",
        "limits.cpu": "71500m",
        "requests.memory": f"{4160 * 13}Mi",
        "limits.memory": f"{4160 * 13}Mi",
        "limits.ephemeral-storage": f"{8 * 256 * 13}Mi",
    }


def test_limit_range_gives_defaults_and_a_ceiling(pool: Graph) -> None:
    (limits,) = pool.one("kubernetes:core/v1:LimitRange").inputs["spec"]["limits"]
    assert limits["type"] == "Container"
    assert limits["default"]["cpu"] == "500m" and limits["default"]["memory"] == "256Mi"
    assert limits["defaultRequest"]["cpu"] == "250m"
    assert limits["max"] == {"cpu": "1000m", "memory": "1152Mi"}  # Haskell's CPU; Java's memory and /tmp


# --- 2. catalog ----------------------------------------------------------------------------


def test_the_catalog_runs_eight_services_sized_as_required(pool: Graph) -> None:
    deployments = by_language(pool, DEPLOYMENT)
    assert sorted(deployments) == sorted(LANGUAGES)
    resources = {lang: pod_of(d)["containers"][0]["resources"] for lang, d in deployments.items()}
    # The required sizes, plus /tmp, which is memory (64 Mi; Java 128 Mi).
    for language in ("c", "python"):
        assert resources[language]["limits"]["memory"] == "320Mi"
        assert resources[language]["limits"]["cpu"] == "500m"
    assert (resources["haskell"]["limits"]["memory"], resources["haskell"]["limits"]["cpu"]) == ("576Mi", "1")
    assert resources["java"]["limits"]["memory"] == "1152Mi"  # the JVM needs at least 512 Mi
    for language, resource in resources.items():
        assert set(resource["requests"]) == {"cpu", "memory", "ephemeral-storage"}, language
        assert resource["requests"]["memory"] == resource["limits"]["memory"], language
    images = {lang: pod_of(d)["containers"][0]["image"] for lang, d in deployments.items()}
    assert images["c"] == f"{REGISTRY}/lang-c:gcc-14.2.0"
    assert images["haskell"] == f"{REGISTRY}/lang-haskell:ghc-9.10.1"
    assert all(image.startswith(f"{REGISTRY}/lang-{lang}:") for lang, image in images.items())
    assert pod_of(deployments["assembly"])["nodeSelector"]["kubernetes.io/arch"] == "amd64"  # x86-64 NASM
    assert "kubernetes.io/arch" not in pod_of(deployments["python"])["nodeSelector"]


def test_services_can_be_resized_disabled_repointed_and_added(custom: Graph) -> None:
    deployments = by_language(custom, DEPLOYMENT)
    assert sorted(deployments) == sorted([lang for lang in LANGUAGES if lang != "python"] + ["rust"])
    container = pod_of(deployments["c"])["containers"][0]
    assert container["resources"]["limits"]["cpu"] == "2" and container["resources"]["requests"]["memory"] == "1536Mi"
    assert pod_of(deployments["c"])["volumes"] == [
        {"name": "tmp", "emptyDir": {"medium": "Memory", "sizeLimit": "1Gi"}}
    ]
    assert pod_of(deployments["java"])["containers"][0]["image"] == f"registry.example.com/jdk@{DIGEST}"
    assert pod_of(deployments["rust"])["containers"][0]["image"] == "registry.example.com/lang-rust:1.83.0"
    assert pod_of(deployments["rust"])["containers"][0]["resources"]["limits"]["memory"] == "320Mi"
    assert sorted(out(custom, "endpoints")) == sorted(deployments)
    assert out(custom, "endpoints")["rust"] == "http://lang-rust.code.svc.cluster.local:8080"


# --- 3. per service: account and pod -------------------------------------------------------


def test_service_accounts_have_no_api_token(pool: Graph) -> None:
    accounts = by_language(pool, ACCOUNT)
    assert sorted(accounts) == sorted(LANGUAGES)
    for language, account in accounts.items():
        assert account.inputs["automountServiceAccountToken"] is False
        assert account.inputs["metadata"]["name"] == f"lang-{language}"
    for language, deployment in by_language(pool, DEPLOYMENT).items():
        pod = pod_of(deployment)
        assert pod["serviceAccountName"] == f"lang-{language}"
        assert pod["automountServiceAccountToken"] is False


def test_pods_run_restricted(pool: Graph) -> None:
    for language, deployment in by_language(pool, DEPLOYMENT).items():
        pod = pod_of(deployment)
        security = pod["securityContext"]
        assert security["runAsNonRoot"] is True
        assert security["runAsUser"] > 0 and security["runAsGroup"] > 0 and security["fsGroup"] > 0
        assert security["seccompProfile"] == {"type": "RuntimeDefault"}
        assert (pod["hostNetwork"], pod["hostPID"], pod["hostIPC"]) == (False, False, False)
        assert pod["enableServiceLinks"] is False  # no variables describing other services
        assert pod["runtimeClassName"] == "gvisor"
        (container,) = pod["containers"]
        context = container["securityContext"]
        assert context["allowPrivilegeEscalation"] is False
        assert context["privileged"] is False
        assert context["capabilities"] == {"drop": ["ALL"]}
        assert context["readOnlyRootFilesystem"] is True
        assert context["runAsNonRoot"] is True and context["runAsUser"] > 0
        assert all("hostPort" not in port for port in container["ports"])
        assert [v for v in pod["volumes"] if set(v) - {"name", "emptyDir"}] == []
        tmp = next(v for v in pod["volumes"] if v["name"] == "tmp")
        assert tmp["emptyDir"] == {"medium": "Memory", "sizeLimit": "128Mi" if language == "java" else "64Mi"}
        assert container["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}]


def test_each_run_is_capped_below_its_container(pool: Graph) -> None:
    for language, deployment in by_language(pool, DEPLOYMENT).items():
        (container,) = pod_of(deployment)["containers"]
        env = {item["name"]: item["value"] for item in container["env"]}
        limits = container["resources"]["limits"]
        memory, cpu = parse_quantity(limits["memory"]), parse_quantity(limits["cpu"])
        tmp = parse_quantity(
            next(v for v in pod_of(deployment)["volumes"] if v["name"] == "tmp")["emptyDir"]["sizeLimit"]
        )
        # A run's memory and its /tmp together stay under the container's limit, which holds both.
        assert int(env["RUN_MEMORY_LIMIT_BYTES"]) + int(env["RUN_TMP_LIMIT_BYTES"]) < memory, language
        assert int(env["RUN_TMP_LIMIT_BYTES"]) == tmp, language
        assert int(env["RUN_CPU_LIMIT_MILLICORES"]) < cpu * 1000, language
        assert int(env["RUN_MAX_PROCESSES"]) < POD_PIDS_LIMIT and env["RUN_CONCURRENCY"] == "1", language


def test_opting_out_of_gvisor_drops_the_runtime_class(custom: Graph) -> None:
    for deployment in custom.by_type(DEPLOYMENT):
        pod = pod_of(deployment)
        assert "runtimeClassName" not in pod
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}


def test_a_localhost_seccomp_profile_is_refused_naming_the_key() -> None:
    with pytest.raises(ValidationError, match="seccompLocalhostProfile"):
        pool_config(seccompLocalhostProfile="profiles/sandbox.json")
    with pytest.raises(ValidationError, match="runtimeClassName"):
        pool_config(runtimeClassName="kata")


def test_images_are_pinned(pool: Graph, custom: Graph) -> None:
    for graph in (pool, custom):
        for deployment in graph.by_type(DEPLOYMENT):
            image = pod_of(deployment)["containers"][0]["image"]
            assert "@sha256:" in image or (":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest"))


def test_probes_rollout_spread_and_sandbox_nodes(pool: Graph) -> None:
    for language, deployment in by_language(pool, DEPLOYMENT).items():
        pod = pod_of(deployment)
        container = pod["containers"][0]
        for probe in ("livenessProbe", "readinessProbe"):
            assert container[probe]["httpGet"] == {"path": "/capabilities", "port": "http", "scheme": "HTTP"}
            assert container[probe]["periodSeconds"] == 30
        assert container["startupProbe"]["httpGet"]["path"] == "/capabilities"
        assert container["startupProbe"]["periodSeconds"] * container["startupProbe"]["failureThreshold"] >= 120
        assert container["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
        spec = deployment.inputs["spec"]
        assert spec["strategy"] == {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"},
        }
        zone_spread = [c for c in pod["topologySpreadConstraints"] if c["topologyKey"] == "topology.kubernetes.io/zone"]
        assert len(zone_spread) == 1 and zone_spread[0]["maxSkew"] == 1
        assert zone_spread[0]["labelSelector"]["matchLabels"] == spec["selector"]["matchLabels"]
        assert pod["nodeSelector"]["platform/node-group"] == "sandbox"
        assert pod["tolerations"] == [
            {"key": "platform/sandbox", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
        ]
        assert spec["template"]["metadata"]["labels"]["app.kubernetes.io/name"] == f"lang-{language}"


def test_the_pre_spawned_pool_is_left_to_the_autoscaler(pool: Graph) -> None:
    namespace = pool.one("kubernetes:core/v1:Namespace")
    guards = {
        pool.one("kubernetes:core/v1:ResourceQuota").urn,
        pool.one("kubernetes:core/v1:LimitRange").urn,
        pool.one(POLICY, "pool-default-deny").urn,
    }
    for deployment in pool.by_type(DEPLOYMENT):
        assert deployment.inputs["spec"]["replicas"] == 2
        assert deployment.ignore_changes == ["spec.replicas"]
        assert {namespace.urn, *guards} <= set(deployment.dependencies)


# --- 4-6. Service, HPA, PDB ----------------------------------------------------------------


def test_a_cluster_ip_service_per_language(pool: Graph) -> None:
    services = by_language(pool, SERVICE)
    deployments = by_language(pool, DEPLOYMENT)
    assert sorted(services) == sorted(LANGUAGES)
    for language, service in services.items():
        spec = service.inputs["spec"]
        assert spec["type"] == "ClusterIP"
        assert spec["ports"] == [{"name": "http", "port": 8080, "targetPort": "http", "protocol": "TCP"}]
        pod_labels = deployments[language].inputs["spec"]["template"]["metadata"]["labels"]
        assert spec["selector"].items() <= pod_labels.items()
        assert out(pool, "endpoints")[language] == f"http://lang-{language}.sandbox.svc.cluster.local:8080"


def test_an_autoscaler_per_service(pool: Graph, custom: Graph) -> None:
    for language, hpa in by_language(pool, HPA).items():
        spec = hpa.inputs["spec"]
        assert spec["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": f"lang-{language}"}
        assert (spec["minReplicas"], spec["maxReplicas"]) == (2, 10)
        targets = {m["resource"]["name"]: m["resource"]["target"] for m in spec["metrics"]}
        # CPU only: memory is requested at its limit and heaps are kept, so it says nothing of load.
        assert targets == {"cpu": {"type": "Utilization", "averageUtilization": 70}}
    custom_hpas = by_language(custom, HPA)
    assert (custom_hpas["rust"].inputs["spec"]["minReplicas"], custom_hpas["rust"].inputs["spec"]["maxReplicas"]) == (
        2,
        6,
    )
    assert custom_hpas["haskell"].inputs["spec"]["maxReplicas"] == 4  # the pool's default


def test_a_disruption_budget_whenever_there_can_be_two_replicas(pool: Graph, custom: Graph) -> None:
    budgets = by_language(pool, PDB)
    assert sorted(budgets) == sorted(LANGUAGES)
    for language, budget in budgets.items():
        assert budget.inputs["spec"]["maxUnavailable"] == 1
        assert budget.inputs["spec"]["unhealthyPodEvictionPolicy"] == "AlwaysAllow"
        assert budget.inputs["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"] == f"lang-{language}"
    assert "java" not in by_language(custom, PDB)  # java: at most one replica there
    assert "rust" in by_language(custom, PDB)


# --- 7. network policies -------------------------------------------------------------------


def test_default_deny_then_only_the_backend_in_and_no_egress(pool: Graph) -> None:
    policies = {p.name: p.inputs["spec"] for p in pool.by_type(POLICY)}
    assert policies["pool-default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    assert "pool-allow-dns" not in policies  # DNS is a way out: off unless a stack opts in
    for language in LANGUAGES:
        spec = policies[f"pool-{language}-from-backend"]
        assert spec["policyTypes"] == ["Ingress"]
        assert spec["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == f"lang-{language}"
        (ingress,) = spec["ingress"]
        assert ingress["ports"] == [{"protocol": "TCP", "port": 8080}]
        assert ingress["from"] == [
            {
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "backend"}},
                "podSelector": {"matchLabels": {"app.kubernetes.io/name": "backend"}},
            }
        ]
    assert [rule for spec in policies.values() for rule in spec.get("egress", [])] == []


def test_dns_when_a_stack_opts_in_and_a_custom_backend(custom: Graph) -> None:
    policies = {p.name: p.inputs["spec"] for p in custom.by_type(POLICY)}
    dns = policies["pool-allow-dns"]
    assert dns["policyTypes"] == ["Egress"]
    (rule,) = dns["egress"]
    assert rule["ports"] == [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
    assert rule["to"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
        }
    ]
    # Egress: DNS and nothing else, from any policy.
    egress_rules = [rule for spec in policies.values() for rule in spec.get("egress", [])]
    assert egress_rules == dns["egress"]
    assert policies["pool-rust-from-backend"]["ingress"][0]["from"] == [
        {
            "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "api"}},
            "podSelector": {"matchLabels": {"app": "submissions"}},
        }
    ]


# --- whole-pool properties -----------------------------------------------------------------


def test_every_object_uses_the_given_provider_and_namespace(pool: Graph) -> None:
    component = pool.one("platform:index:LanguageServicePool")
    provider = pool.one("pulumi:providers:kubernetes")
    children = pool.children(component)
    assert len(children) == 1 + 3 + 8 * 6  # namespace, quota + limits + deny, 6 per service
    for child in children:
        assert child.provider_urn == provider.urn, child.urn
        if child.type != "kubernetes:core/v1:Namespace":
            assert child.inputs["metadata"]["namespace"] == "sandbox", child.urn
    assert set(component.outputs) == {"namespace", "endpoints"}


def kubernetes_objects(graph: Graph) -> list[Registration]:
    return [r for r in graph if r.custom and r.type.startswith("kubernetes:") and not r.is_provider]


@pytest.mark.parametrize("fixture", ["pool", "custom"])
def test_every_object_validates_against_the_kubernetes_schema(request: pytest.FixtureRequest, fixture: str) -> None:
    graph: Graph = request.getfixturevalue(fixture)
    objects = kubernetes_objects(graph)
    assert len(objects) > 40
    version = "1.33" if fixture == "custom" else "1.34"
    for registration in objects:
        assert registration.inputs["kind"] and registration.inputs["apiVersion"]
        kubernetes_validate.validate(registration.inputs, version, strict=True)


def test_the_schema_check_catches_a_misspelt_field() -> None:
    broken = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "x"}, "spec": {"selctor": {}}}
    with pytest.raises(kubernetes_validate.ValidationError, match="selctor"):
        kubernetes_validate.validate(broken, "1.34", strict=True)


@pytest.mark.parametrize("fixture", ["pool", "custom"])
def test_every_pod_template_passes_pod_security_restricted(request: pytest.FixtureRequest, fixture: str) -> None:
    graph: Graph = request.getfixturevalue(fixture)
    deployments = graph.by_type(DEPLOYMENT)
    assert deployments
    for deployment in deployments:
        template = pod_template("Deployment", deployment.inputs)
        assert template is not None
        assert violations(*template, level="restricted") == [], deployment.name


# --- 8. bad input --------------------------------------------------------------------------


def test_a_pool_with_every_service_disabled_is_refused() -> None:
    config = pool_config(services={language: {"enabled": False} for language in LANGUAGES})
    with pytest.raises(LanguageServiceArgsError, match=r"^args\.services: list at least one language service$"):
        pool_args(config)


# --- 9. the public Args, built directly ----------------------------------------------------

OCAML = "registry.example.com/lang-ocaml:5.2.1"


def plain_args(**changes: Any) -> LanguageServicePoolArgs:
    settings: dict[str, Any] = {"kubernetes_version": "1.34", "services": [SandboxedService(name="ocaml", image=OCAML)]}
    settings.update(changes)
    return LanguageServicePoolArgs(**settings)


def test_plain_args_default_to_the_secure_choice(harness: Harness) -> None:
    graph = build_args(harness, plain_args())
    (deployment,) = graph.by_type(DEPLOYMENT)
    pod = pod_of(deployment)
    assert deployment.inputs["metadata"]["namespace"] == "sandbox"
    assert pod["runtimeClassName"] == "gvisor"
    assert pod["nodeSelector"] == {"platform/node-group": "sandbox"}
    assert pod["tolerations"] == [
        {"key": "platform/sandbox", "operator": "Equal", "value": "true", "effect": "NoSchedule"}
    ]
    (container,) = pod["containers"]
    assert container["resources"]["limits"] == {"cpu": "500m", "memory": "320Mi", "ephemeral-storage": "256Mi"}
    assert container["resources"]["requests"]["cpu"] == "250m"
    assert deployment.inputs["spec"]["replicas"] == 2
    assert graph.one(HPA).inputs["spec"]["maxReplicas"] == 10
    policies = {p.name: p.inputs["spec"] for p in graph.by_type(POLICY)}
    assert "pool-allow-dns" not in policies  # no egress at all
    assert policies["pool-ocaml-from-backend"]["ingress"][0]["from"][0]["podSelector"] == {
        "matchLabels": {"app.kubernetes.io/name": "backend"}
    }


def test_the_pods_wait_for_a_runtime_class_given_as_an_output(harness: Harness) -> None:
    def program() -> None:
        provider = k8s.Provider("cluster", kubeconfig="{}")
        runtime = k8s.node.v1.RuntimeClass(
            "gvisor", metadata={"name": "gvisor"}, handler="runsc", opts=pulumi.ResourceOptions(provider=provider)
        )
        name = runtime.metadata.apply(lambda metadata: str(metadata["name"]))
        LanguageServicePool(
            "pool", plain_args(runtime_class_name=name), opts=pulumi.ResourceOptions(providers=[provider])
        )

    graph = harness.run(program)
    runtime = graph.one("kubernetes:node.k8s.io/v1:RuntimeClass")
    (deployment,) = graph.by_type(DEPLOYMENT)
    assert pod_of(deployment)["runtimeClassName"] == "gvisor"
    assert runtime.urn in deployment.dependencies


def test_host_kernel_is_an_explicit_opt_out(harness: Harness) -> None:
    (deployment,) = build_args(harness, plain_args(host_kernel=True)).by_type(DEPLOYMENT)
    assert "runtimeClassName" not in pod_of(deployment)


def test_without_a_kubernetes_provider_the_pool_says_where_to_give_it(harness: Harness) -> None:
    with pytest.raises(Exception, match=r"opts\.providers: give the cluster's Kubernetes provider"):
        harness.run(lambda: LanguageServicePool("pool", plain_args()))


def service(**changes: Any) -> SandboxedService:
    return SandboxedService(**{"name": "ocaml", "image": OCAML, **changes})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kubernetes_version": "1.20"}, r"^args\.kubernetes_version: '1\.20': use one of"),
        ({"services": []}, r"^args\.services: list at least one"),
        ({"services": [service(), service()]}, r"^args\.services\[1\]\.name: 'ocaml' is listed twice"),
        ({"services": [service(name="OCaml")]}, r"^args\.services\[0\]\.name: 'OCaml'"),
        ({"services": [service(name="ocaml-")]}, r"^args\.services\[0\]\.name:"),
        ({"services": [service(name="9lives")]}, r"^args\.services\[0\]\.name:"),
        ({"services": [service(name="a" * 41)]}, r"^args\.services\[0\]\.name:.*at most 40"),
        ({"services": [service(image="ocaml:latest")]}, r"^args\.services\[0\]\.image: 'ocaml:latest': 'latest'"),
        ({"services": [service(image="ocaml")]}, r"^args\.services\[0\]\.image: 'ocaml' has no tag"),
        ({"services": [service(min_replicas=0)]}, r"^args\.services\[0\]\.min_replicas: 0: at least 1"),
        (
            {"services": [service(min_replicas=3, max_replicas=2)]},
            r"^args\.services\[0\]\.min_replicas: 3 is above the maximum 2$",
        ),
        (
            {"services": [service(cpu_request="2", cpu_limit="1")]},
            r"^args\.services\[0\]\.cpu_request: 2 is above the limit 1$",
        ),
        (
            {"services": [service(memory_request="1Gi")]},
            r"^args\.services\[0\]\.memory_request: 1Gi is above the limit 256Mi$",
        ),
        ({"services": [service(memory_limit="lots")]}, r"^args\.services\[0\]\.memory_limit: 'lots' is not"),
        ({"services": [service(tmp_size="0")]}, r"^args\.services\[0\]\.tmp_size: 0: must be above zero$"),
        ({"namespace": "Sandbox"}, r"^args\.namespace: 'Sandbox' is not a DNS label"),
        ({"backend_namespace": "-api"}, r"^args\.backend_namespace: '-api' is not a DNS label"),
        ({"backend_selector": {}}, r"^args\.backend_selector: name at least one label"),
        ({"backend_selector": {"app": "a b"}}, r"^args\.backend_selector: label value 'a b'"),
        ({"node_selector": {"-x": "y"}}, r"^args\.node_selector: label key '-x'"),
        ({"tolerations": [{"key": "k", "operator": "In"}]}, r"^args\.tolerations\[0\]\.operator: 'In'"),
        ({"tolerations": [{"key": "k", "effect": "Never"}]}, r"^args\.tolerations\[0\]\.effect: 'Never'"),
        ({"tolerations": [{"key": "k", "seconds": "1"}]}, r"^args\.tolerations\[0\]: unknown keys \['seconds'\]"),
        (
            {"tolerations": [{"key": "k", "operator": "Exists", "value": "v"}]},
            r"^args\.tolerations\[0\]\.value: 'v': operator Exists takes no value",
        ),
        ({"tolerations": [{"operator": "Equal", "value": "v"}]}, r"^args\.tolerations\[0\]\.operator: an empty key"),
        ({"tolerations": [{"key": "", "value": "v"}]}, r"^args\.tolerations\[0\]\.operator: an empty key"),
        ({"kubernetes_version": pulumi.Output.from_input("1.34")}, r"^args\.kubernetes_version: must be a plain value"),
        ({"namespace": 7}, r"^args\.namespace: expected str, got int 7$"),
        ({"host_kernel": True, "runtime_class_name": "gvisor"}, r"^args\.host_kernel: true runs the pods without"),
    ],
)
def test_bad_args_name_the_field(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(LanguageServiceArgsError, match=message):
        plain_args(**changes)


def test_an_empty_key_with_exists_tolerates_every_taint() -> None:
    # Kubernetes accepts it (ValidateTolerations): the check refuses only what the API server refuses.
    assert plain_args(tolerations=[{"operator": "Exists"}]).resolved_tolerations == [{"operator": "Exists"}]


def test_the_architecture_is_an_enum_a_python_caller_may_spell_as_its_value() -> None:
    assert service(architecture="arm64").architecture is ServiceArchitecture.ARM64
    assert service(architecture=ServiceArchitecture.AMD64).resolved().architecture == "amd64"
    with pytest.raises(LanguageServiceArgsError, match=r"^SandboxedService\.architecture: 'x86' is not one of"):
        service(architecture="x86")
    with pytest.raises(ArgsError, match=r"^args\.services\[0\]\.architecture: 'x86' is not one of"):
        to_args(
            LanguageServicePoolArgs,
            {"kubernetes_version": "1.34", "services": [{"name": "ocaml", "image": OCAML, "architecture": "x86"}]},
        )


def test_the_error_is_an_args_error() -> None:
    assert issubclass(LanguageServiceArgsError, ArgsError)


def test_args_from_another_languages_dict_rebuild_the_nested_services() -> None:
    # What the provider host passes: field names mapped back to snake_case, nested types as dicts,
    # numbers inside lists as floats.
    args = to_args(
        LanguageServicePoolArgs,
        {
            "kubernetes_version": "1.34",
            "services": [{"name": "ocaml", "image": OCAML, "min_replicas": 1.0, "max_replicas": 3.0}],
            "allow_dns": False,
        },
    )
    assert args.services == [SandboxedService(name="ocaml", image=OCAML, min_replicas=1, max_replicas=3)]
    assert isinstance(args.services[0].min_replicas, int)
    with pytest.raises(ArgsError, match=r"^args\.services\[0\]\.image: missing required field"):
        to_args(LanguageServicePoolArgs, {"kubernetes_version": "1.34", "services": [{"name": "ocaml"}]})
    with pytest.raises(ArgsError, match=r"^args\.services\[0\]\.minReplicas: 0: at least 1$"):
        to_args(
            LanguageServicePoolArgs,
            {"kubernetes_version": "1.34", "services": [{"name": "ocaml", "image": OCAML, "min_replicas": 0}]},
        )


def test_the_component_module_does_not_read_the_stack_config() -> None:
    for module in (language_services, language_manifests):
        tree = ast.parse(inspect.getsource(module))
        imported = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert not {name for name in imported if name.startswith("eksplatform.stack")}, module.__name__

"""Reading node groups and pods from a stack's resources: what the API server and scheduler would count.

Each case is a rule of Kubernetes or EKS turned into numbers worked out by hand.
"""

from __future__ import annotations

from typing import Any

from eksplatform.capacity.fit import check, violations
from eksplatform.capacity.workloads import Item, default_request, pod_of
from eksplatform.policies.rule import UNKNOWN
from tests.capacity.test_fit import NO_SURGE, PROVIDER, deployment, minimum_fit, node_group, pod_spec


def test_a_mixed_group_takes_the_least_of_each_dimension_over_its_types() -> None:
    # c7i.xlarge: 4 vCPU, 8 GiB, 58 pods -> 3920m, floor(7577.6) - (255 + 11 x 58) - 100 = 6584Mi.
    # r7i.large: 2 vCPU, 16 GiB, 29 pods -> 1930m, floor(15155.2) - (255 + 11 x 29) - 100 = 14481Mi.
    # Any node may be either: 1930m (r7i), 6584Mi (c7i), 29 pods (r7i), not all of r7i.large.
    fit = minimum_fit([node_group("system", ["c7i.xlarge", "r7i.large"], 1)])
    assert (fit.allocatable_cpu, fit.allocatable_memory, fit.allocatable_pods) == (1930, 6584, 29)
    assert fit.group.instance is not None and fit.group.instance.name == "c7i.xlarge/r7i.large"


def test_limit_range_defaults_follow_the_api_servers_chain() -> None:
    # SetDefaults_LimitRangeItem: default <- max; defaultRequest <- default, then <- min.
    assert default_request({"default": {"cpu": "400m"}, "max": {"memory": "1Gi"}}) == {
        "cpu": "400m",
        "memory": "1Gi",
    }
    assert default_request({"min": {"cpu": "100m"}}) == {"cpu": "100m"}
    assert default_request({"defaultRequest": {"cpu": "200m"}, "default": {"cpu": "400m"}, "min": {"cpu": "50m"}}) == {
        "cpu": "200m"
    }
    limits = Item(
        "urn:pulumi:s::p::kubernetes:core/v1:LimitRange::lr",
        "kubernetes:core/v1:LimitRange",
        {
            "metadata": {"namespace": "apps"},
            "spec": {"limits": [{"type": "Container", "max": {"cpu": "1", "memory": "512Mi"}}]},
        },
        "",
        PROVIDER,
    )
    fit = minimum_fit(
        [node_group("system", ["m7i.xlarge"], 1), limits, deployment("bare", 1, {"containers": [{}]}, NO_SURGE)]
    )
    assert (fit.requested_cpu, fit.requested_memory) == (1000, 512)


def _requests(spec: dict[str, Any]) -> tuple[int, int]:
    pod = pod_of("p", spec, {})
    return pod.cpu_millis, pod.memory_mib


def _container(cpu: str, memory: str, **extra: Any) -> dict[str, Any]:
    return {"resources": {"requests": {"cpu": cpu, "memory": memory}}, **extra}


def test_sidecars_run_beside_the_containers_and_every_later_init_step() -> None:
    # component-helpers PodRequests: containers 500m + sidecar 100m = 600m; the init step after the
    # sidecar holds 1000m + 100m = 1100m: the pod requests max(600m, 1100m).
    spec = {
        "containers": [_container("500m", "100Mi")],
        "initContainers": [
            _container("100m", "50Mi", restartPolicy="Always"),
            _container("1000m", "10Mi"),
        ],
    }
    assert _requests(spec) == (1100, 150)
    # A sidecar after a plain init container: 500m + 300m = 800m beats the 200m init step.
    spec["initContainers"] = [_container("200m", "10Mi"), _container("300m", "30Mi", restartPolicy="Always")]
    assert _requests(spec) == (800, 130)


def test_pod_level_resources_replace_the_containers_sum() -> None:
    spec = {
        "containers": [_container("500m", "100Mi")],
        "resources": {"requests": {"cpu": "2"}, "limits": {"memory": "1Gi"}},
    }
    assert _requests(spec) == (2000, 1024)


def test_a_runtime_class_adds_its_overhead_or_is_noted_when_not_in_the_stack() -> None:
    spec = pod_spec("500m", "100Mi", runtimeClassName="gvisor")
    runtime = Item(
        "urn:pulumi:s::p::kubernetes:node.k8s.io/v1:RuntimeClass::gvisor",
        "kubernetes:node.k8s.io/v1:RuntimeClass",
        {
            "metadata": {"name": "gvisor"},
            "handler": "runsc",
            "overhead": {"podFixed": {"cpu": "250m", "memory": "120Mi"}},
        },
        "",
        PROVIDER,
    )
    group = node_group("system", ["m7i.xlarge"], 1)
    counted = check([group, runtime, deployment("sandboxed", 2, spec, NO_SURGE)])
    assert counted.notes == [] and counted.groups("minimum")[0].requested_cpu == 2 * 750
    noted = check([group, deployment("sandboxed", 2, spec, NO_SURGE)])
    assert noted.groups("minimum")[0].requested_cpu == 2 * 500
    [note] = noted.notes
    assert note.text.startswith("Deployment apps/sandboxed: runtimeClassName gvisor is not in the stack")
    assert note.urn.endswith("::sandboxed")


def test_an_unknown_replica_count_or_request_is_skipped_and_noted_not_read_as_zero() -> None:
    web = deployment("web", 2, pod_spec("500m", "100Mi"), NO_SURGE)
    unknown_replicas = Item(
        web.urn, web.type, {**web.props, "spec": {**web.props["spec"], "replicas": UNKNOWN}}, "", PROVIDER
    )
    unknown_request = deployment("api", 1, pod_spec("500m", "100Mi"), NO_SURGE)
    unknown_request.props["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"] = UNKNOWN
    report = check([node_group("system", ["m7i.large"], 1), unknown_replicas, unknown_request])
    assert report.ok and report.groups("minimum")[0].requested_pods == 0
    assert [note.text for note in report.notes] == [
        "Deployment web: replicas is unknown during preview; its pods are not counted",
        "Deployment api: pod.containers[0].resources.requests.cpu is unknown during preview; its pods are not counted",
    ]


def test_a_node_group_of_unknown_size_leaves_its_cluster_unjudged() -> None:
    group = node_group("system", ["m7i.large"], 1)
    unknown = Item(
        group.urn, group.type, {**group.props, "scalingConfig": {"minSize": UNKNOWN, "maxSize": 3}}, group.parent
    )
    report = check([unknown, deployment("web", 9, pod_spec("1500m", "100Mi"), NO_SURGE)])
    # Not "0 nodes, 9 pods Pending": nothing is judged, and the note says why.
    assert report.fits == [] and report.unschedulable == [] and report.ok
    assert list(violations(report, ("minimum", "rolling update"))) == []
    [note] = report.notes
    assert (
        note.text
        == "node group system: scalingConfig.minSize is unknown during preview; cluster r1-cluster is not judged"
    )

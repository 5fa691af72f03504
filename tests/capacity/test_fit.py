"""The scheduling check on small synthetic graphs whose answer is worked out by hand.

m7i.large: 1930m CPU, 6903Mi, 29 pods allocatable; m7g.large the same on arm64 (see
tests/components/test_node_capacity.py for the arithmetic).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from capacity.fit import check, refusal, tolerates, violations
from capacity.workloads import Item, Pod, Taint, rollout_surge

CLUSTER = "urn:pulumi:s::p::platform:index:Region$platform:index:Cluster::r1-cluster"
PROVIDER = (
    "urn:pulumi:s::p::platform:index:Region$platform:index:Cluster$pulumi:providers:kubernetes::r1-cluster-kubernetes"
)
SANDBOX_TAINT = {"key": "platform/sandbox", "value": "true", "effect": "NO_SCHEDULE"}
TOLERATION = {"key": "platform/sandbox", "operator": "Equal", "value": "true", "effect": "NoSchedule"}


def node_group(
    name: str,
    types: list[str],
    minimum: int,
    maximum: int | None = None,
    taints: list[dict[str, str]] | None = None,
    cluster: str = CLUSTER,
) -> Item:
    props = {
        "instanceTypes": types,
        "scalingConfig": {"minSize": minimum, "desiredSize": minimum, "maxSize": maximum or minimum},
        "labels": {"platform/node-group": name},
        "taints": taints or [],
    }
    return Item(f"{cluster}$aws:eks/nodeGroup:NodeGroup::{name}", "aws:eks/nodeGroup:NodeGroup", props, cluster)


def pod_spec(cpu: str, memory: str, **extra: Any) -> dict[str, Any]:
    return {"containers": [{"name": "app", "resources": {"requests": {"cpu": cpu, "memory": memory}}}], **extra}


def deployment(
    name: str,
    replicas: int,
    spec: dict[str, Any],
    strategy: dict[str, Any] | None = None,
    provider: str = PROVIDER,
    kind: str = "Deployment",
) -> Item:
    props: dict[str, Any] = {
        "metadata": {"name": name, "namespace": "apps"},
        "spec": {"replicas": replicas, "template": {"spec": spec}},
    }
    if strategy is not None:
        props["spec"]["strategy"] = strategy
    return Item(
        f"urn:pulumi:s::p::kubernetes:apps/v1:{kind}::{name}", f"kubernetes:apps/v1:{kind}", props, "", provider
    )


def hpa(name: str, minimum: int, maximum: int) -> Item:
    props = {
        "metadata": {"name": name, "namespace": "apps"},
        "spec": {
            "scaleTargetRef": {"kind": "Deployment", "name": name},
            "minReplicas": minimum,
            "maxReplicas": maximum,
        },
    }
    return Item(
        f"urn:pulumi:s::p::kubernetes:autoscaling/v2:HorizontalPodAutoscaler::{name}",
        "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
        props,
        "",
        PROVIDER,
    )


NO_SURGE = {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}


def minimum_fit(items: list[Item], group: str = "system") -> Any:
    return next(f for f in check(items).groups("minimum") if f.group.name == group)


def test_pods_that_fit_leave_the_hand_computed_headroom() -> None:
    report = check([node_group("system", ["m7i.large"], 2), deployment("web", 3, pod_spec("500m", "1Gi"), NO_SURGE)])
    fit = minimum_fit([node_group("system", ["m7i.large"], 2), deployment("web", 3, pod_spec("500m", "1Gi"), NO_SURGE)])
    assert report.ok
    assert (fit.allocatable_cpu, fit.allocatable_memory, fit.allocatable_pods) == (3860, 13806, 58)
    assert (fit.requested_cpu, fit.requested_memory, fit.requested_pods) == (1500, 3072, 3)
    assert fit.headroom_cpu == 2360 and fit.headroom_share == pytest.approx(2360 / 3860)
    assert list(violations(report, ("minimum", "rolling update"))) == []


def test_cpu_short_names_the_group_the_shortfall_and_the_first_pod() -> None:
    # 4 x 900m: two per node fit (1800m of 1930m), so 2 nodes hold 4; 5 leave one Pending.
    report = check([node_group("system", ["m7i.large"], 2), deployment("web", 5, pod_spec("900m", "100Mi"), NO_SURGE)])
    fit = next(f for f in report.groups("minimum"))
    assert not report.ok and len(fit.unplaced) == 1
    assert fit.requested_cpu == 4500 and fit.headroom_cpu == -640
    [(message, urn)] = list(violations(report, ("minimum",)))
    assert urn.endswith("::system")
    assert message.startswith("node group system of cluster r1-cluster: 2 x m7i.large (minSize) cannot hold")
    assert "short of CPU by 640m" in message
    assert "the first Deployment apps/web (900m CPU, 100Mi)" in message
    assert "Raise cluster.nodeGroups.system.minSize (now 2) or cluster.nodeGroups.system.instanceTypes" in message


def test_memory_short() -> None:
    # 6903Mi per node: 4 x 2000Mi need 8000Mi on one node.
    report = check(
        [node_group("system", ["m7i.large"], 1), deployment("cache", 4, pod_spec("10m", "2000Mi"), NO_SURGE)]
    )
    fit = next(f for f in report.groups("minimum"))
    assert len(fit.unplaced) == 1 and fit.headroom_memory == 6903 - 8000
    assert "short of memory by 1097Mi" in next(iter(violations(report, ("minimum",))))[0]


def test_pod_count_short() -> None:
    # t3.small: 3 ENIs x 3 + 2 = 11 pods; 12 tiny pods do not fit although CPU and memory would.
    report = check([node_group("system", ["t3.small"], 1), deployment("tiny", 12, pod_spec("1m", "1Mi"), NO_SURGE)])
    fit = next(f for f in report.groups("minimum"))
    assert fit.allocatable_pods == 11 and len(fit.unplaced) == 1
    assert "short of pods by 1" in next(iter(violations(report, ("minimum",))))[0]


def test_fragmentation_is_reported_when_the_totals_fit() -> None:
    # 3 x 1200m on 2 nodes of 1930m: the totals (3600m of 3860m) fit, the third pod does not.
    report = check([node_group("system", ["m7i.large"], 2), deployment("big", 3, pod_spec("1200m", "1Mi"), NO_SURGE)])
    [(message, _)] = list(violations(report, ("minimum",)))
    assert "no single node has room left" in message


def test_architecture_an_amd64_pod_fits_no_graviton_group() -> None:
    spec = pod_spec("100m", "100Mi", nodeSelector={"kubernetes.io/arch": "amd64"})
    report = check([node_group("system", ["m7g.large"], 2), deployment("asm", 1, spec)])
    assert not report.ok
    [entry] = report.unschedulable
    assert entry.reasons == ("nodeSelector kubernetes.io/arch=amd64, but system's nodes have kubernetes.io/arch=arm64",)
    [(message, urn)] = list(violations(report, ("minimum",)))
    assert "Deployment apps/asm (100m CPU, 100Mi) in cluster r1-cluster fits no node group" in message
    assert urn.endswith("::asm")


def test_taint_a_pod_without_the_toleration_stays_off_the_sandbox() -> None:
    groups = [node_group("sandbox", ["m7i.large"], 1, taints=[SANDBOX_TAINT])]
    untolerated = check([*groups, deployment("web", 1, pod_spec("100m", "100Mi"))])
    assert [u.reasons for u in untolerated.unschedulable] == [
        ("sandbox's taint platform/sandbox=true:NoSchedule is not tolerated",)
    ]
    tolerated = check([*groups, deployment("web", 1, pod_spec("100m", "100Mi", tolerations=[TOLERATION]))])
    assert tolerated.ok


def test_a_pod_selecting_a_group_lands_there_and_only_there() -> None:
    spec = pod_spec("1500m", "100Mi", nodeSelector={"platform/node-group": "system"})
    report = check(
        [node_group("system", ["m7i.large"], 1), node_group("other", ["m7i.large"], 1), deployment("a", 2, spec)]
    )
    by_group = {f.group.name: f for f in report.groups("minimum")}
    assert by_group["system"].requested_cpu == 3000 and len(by_group["system"].unplaced) == 1
    assert by_group["other"].requested_cpu == 0


def test_surge_a_deployment_whose_max_unavailable_rounds_to_zero_needs_room_for_its_surge() -> None:
    # 2 replicas, 25 %: maxUnavailable floor(0.5) = 0, maxSurge ceil(0.5) = 1 -> 3 pods of 900m.
    items = [node_group("system", ["m7i.large"], 1), deployment("web", 2, pod_spec("900m", "100Mi"))]
    report = check(items)
    assert next(iter(report.groups("minimum"))).fits
    rolling = next(iter(report.groups("rolling update")))
    assert rolling.requested_pods == 3 and len(rolling.unplaced) == 1
    [(message, _)] = list(violations(report, ("minimum", "rolling update")))
    assert "cannot hold the minimum plus every rolling update's surge pods" in message
    # With maxUnavailable 1 the update makes its own room: nothing to surge into.
    assert check([items[0], deployment("web", 2, pod_spec("900m", "100Mi"), NO_SURGE)]).ok


@pytest.mark.parametrize(
    ("strategy", "replicas", "surge"),
    [
        ({}, 2, 1),  # defaults 25 %/25 %: floor(0.5) = 0 unavailable, ceil(0.5) = 1 surge
        ({}, 4, 0),  # floor(1.0) = 1 unavailable: no surge needed
        ({"rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}}, 5, 1),  # Traefik's chart default
        ({"rollingUpdate": {"maxUnavailable": "10%", "maxSurge": "50%"}}, 3, 2),
        ({"type": "Recreate"}, 3, 0),
    ],
)
def test_rollout_surge_rounds_like_the_deployment_controller(
    strategy: dict[str, Any], replicas: int, surge: int
) -> None:
    assert rollout_surge(strategy, replicas) == surge


def test_the_hpa_minimum_raises_the_count_and_its_maximum_is_checked_against_max_size() -> None:
    items = [
        node_group("system", ["m7i.large"], 1, maximum=2),
        deployment("web", 1, pod_spec("500m", "100Mi"), NO_SURGE),
        hpa("web", 3, 9),
    ]
    report = check(items)
    assert next(iter(report.groups("minimum"))).requested_pods == 3
    maximum = next(iter(report.groups("maximum")))
    # 9 x 500m on 2 nodes: 3 per node -> 6 placed, 3 Pending.
    assert maximum.nodes == 2 and len(maximum.unplaced) == 3
    [(message, _)] = list(violations(report, ("maximum",)))
    assert "Raise cluster.nodeGroups.system.maxSize (now 2)" in message


def test_daemonsets_take_room_on_every_node_they_tolerate() -> None:
    daemon = deployment("agent", 0, pod_spec("100m", "64Mi", tolerations=[{"operator": "Exists"}]), kind="DaemonSet")
    items = [
        node_group("system", ["m7i.large"], 2),
        node_group("sandbox", ["m7i.large"], 3, taints=[SANDBOX_TAINT]),
        daemon,
    ]
    by_group = {f.group.name: f for f in check(items).groups("minimum")}
    assert by_group["system"].requested_cpu == 200 and by_group["system"].requested_pods == 2
    assert by_group["sandbox"].requested_cpu == 300 and by_group["sandbox"].requested_memory == 192


def test_effective_requests_limits_init_containers_and_limit_range_defaults() -> None:
    spec = {
        "containers": [
            {"name": "a", "resources": {"limits": {"cpu": "300m", "memory": "128Mi"}}},  # request = limit
            {"name": "b"},  # the LimitRange's defaultRequest
        ],
        "initContainers": [{"name": "init", "resources": {"requests": {"cpu": "2", "memory": "1Mi"}}}],
    }
    limits = Item(
        "urn:pulumi:s::p::kubernetes:core/v1:LimitRange::lr",
        "kubernetes:core/v1:LimitRange",
        {
            "metadata": {"namespace": "apps"},
            "spec": {"limits": [{"type": "Container", "defaultRequest": {"cpu": "250m", "memory": "256Mi"}}]},
        },
        "",
        PROVIDER,
    )
    fit = minimum_fit([node_group("system", ["m7i.xlarge"], 1), limits, deployment("app", 1, spec, NO_SURGE)])
    # CPU: max(300m + 250m, 2000m init) = 2000m; memory: max(128Mi + 256Mi, 1Mi) = 384Mi.
    assert (fit.requested_cpu, fit.requested_memory) == (2000, 384)


def test_addons_bring_their_pods_and_configuration_overrides_the_replica_count() -> None:
    def addon(name: str, configuration: dict[str, Any] | None = None) -> Item:
        props = {"addonName": name, "configurationValues": json.dumps(configuration) if configuration else None}
        return Item(f"{CLUSTER}$aws:eks/addon:Addon::{name}", "aws:eks/addon:Addon", props, CLUSTER)

    items = [node_group("system", ["m7i.large"], 2), addon("coredns", {"replicaCount": 3}), addon("vpc-cni")]
    fit = minimum_fit(items)
    # 3 x CoreDNS 100m/70Mi, aws-node 50m on each of 2 nodes.
    assert (fit.requested_cpu, fit.requested_memory, fit.requested_pods) == (400, 210, 5)
    assert check([items[0], addon("karpenter")]).notes == ["add-on karpenter: its pods are unknown and not counted"]


def test_workloads_are_matched_to_their_own_cluster_by_the_providers_name() -> None:
    other = "urn:pulumi:s::p::platform:index:Region$platform:index:Cluster::r2-cluster"
    other_provider = PROVIDER.replace("r1-cluster-kubernetes", "r2-cluster-kubernetes")
    items = [
        node_group("system", ["m7i.large"], 1),
        node_group("system", ["m7i.large"], 1, cluster=other),
        deployment("web", 1, pod_spec("1500m", "100Mi"), NO_SURGE),
        deployment("api", 1, pod_spec("1500m", "100Mi"), NO_SURGE, provider=other_provider),
    ]
    fits = {f.cluster: f for f in check(items).groups("minimum")}
    assert fits[CLUSTER].requested_cpu == fits[other].requested_cpu == 1500


def test_a_group_of_an_unknown_instance_type_is_reported_once() -> None:
    report = check([node_group("system", ["m5.large"], 1), deployment("web", 1, pod_spec("1m", "1Mi"))])
    messages = [m for m, _ in violations(report, ("minimum", "rolling update"))]
    assert len([m for m in messages if "'m5.large' is not an EC2 instance type" in m]) == 1


def test_tolerations_follow_the_kubernetes_rules() -> None:
    taint = Taint("platform/sandbox", "true", "NoSchedule")
    assert tolerates([{"operator": "Exists"}], taint)
    assert tolerates([{"key": "platform/sandbox", "operator": "Exists"}], taint)
    assert tolerates([{"key": "platform/sandbox", "value": "true"}], taint)  # operator defaults to Equal
    assert not tolerates([{"key": "platform/sandbox", "value": "false"}], taint)
    assert not tolerates([{"key": "platform/sandbox", "operator": "Exists", "effect": "NoExecute"}], taint)


def test_required_node_affinity_is_a_filter() -> None:
    group = check([node_group("system", ["m7g.large"], 1)]).fits[0].group
    amd64_only = ({"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]},)
    not_fargate = ({"key": "eks.amazonaws.com/compute-type", "operator": "NotIn", "values": ["fargate"]},)
    assert refusal(group, Pod("p", 1, 1, node_affinity=(amd64_only,))) != ""
    assert refusal(group, Pod("p", 1, 1, node_affinity=(amd64_only, not_fargate))) == ""  # terms are ORed


def test_the_traefik_chart_is_read_from_its_values_and_other_charts_are_noted() -> None:
    def release(chart: str, values: dict[str, Any]) -> Item:
        props = {"chart": chart, "name": chart, "namespace": "ingress", "values": values}
        return Item(
            f"urn:pulumi:s::p::kubernetes:helm.sh/v3:Release::{chart}",
            "kubernetes:helm.sh/v3:Release",
            props,
            "",
            PROVIDER,
        )

    values = {"deployment": {"replicas": 2}, "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}
    report = check([node_group("system", ["m7i.large"], 1), release("traefik", values), release("grafana", {})])
    by_scenario = {f.scenario: f for f in report.fits}
    assert (by_scenario["minimum"].requested_cpu, by_scenario["minimum"].requested_memory) == (200, 256)
    # The chart's updateStrategy (maxUnavailable 0, maxSurge 1) adds one pod during a rollout.
    assert by_scenario["rolling update"].requested_pods == 3
    assert report.notes == ["Helm release grafana (chart grafana): pods unknown"]


@pytest.mark.parametrize(
    ("values", "pods", "rolling_pods"),
    [
        # The chart's defaults (aws/eks-charts values.yaml 3.5.0): replicaCount 2, Kubernetes' 25 % / 25 %.
        ({"resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}, 2, 3),
        # What the platform sets: no surge pod during a rollout.
        (
            {
                "replicaCount": 1,
                "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
                "updateStrategy": {"rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}},
            },
            1,
            1,
        ),
    ],
)
def test_the_load_balancer_controller_chart_is_read_from_its_values(
    values: dict[str, Any], pods: int, rolling_pods: int
) -> None:
    props = {"chart": "aws-load-balancer-controller", "name": "lbc", "namespace": "lbc", "values": values}
    item = Item(
        "urn:pulumi:s::p::kubernetes:helm.sh/v3:Release::lbc", "kubernetes:helm.sh/v3:Release", props, "", PROVIDER
    )
    report = check([node_group("system", ["m7i.large"], 1), item])
    by_scenario = {f.scenario: f for f in report.fits}
    assert (by_scenario["minimum"].requested_pods, by_scenario["minimum"].requested_cpu) == (pods, 100 * pods)
    assert by_scenario["rolling update"].requested_pods == rolling_pods
    assert report.notes == []

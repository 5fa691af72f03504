"""The scheduling check on small synthetic graphs whose answer is worked out by hand.

m7i.large: 1930m CPU, 6903Mi, 29 pods allocatable; m7g.large the same on arm64 (see
tests/components/test_node_capacity.py for the arithmetic).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from eksplatform.capacity.fit import check, refusal, region_indexes, tolerates, violations
from eksplatform.capacity.workloads import Item, Pod, SelectorTerm, Taint, rollout_surge

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
    region: str | None = None,
) -> Item:
    props = {
        "instanceTypes": types,
        "scalingConfig": {"minSize": minimum, "desiredSize": minimum, "maxSize": maximum or minimum},
        "labels": {"platform/node-group": name},
        "taints": taints or [],
    }
    return Item(
        f"{cluster}$aws:eks/nodeGroup:NodeGroup::{name}", "aws:eks/nodeGroup:NodeGroup", props, cluster, region=region
    )


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
    keys = "regions[<index of its region>].cluster.nodeGroups.system"
    assert f"Raise {keys}.minSize (now 2) or {keys}.instanceTypes" in message
    # With the stack's platform:regions the key path is the one config errors print.
    in_region = check(
        [
            node_group("system", ["m7i.large"], 2, region="eu-west-1"),
            deployment("web", 5, pod_spec("900m", "100Mi"), NO_SURGE),
        ]
    )
    indexes = region_indexes([{"name": "us-east-1"}, {"name": "eu-west-1"}])
    [(message, _)] = list(violations(in_region, ("minimum",), indexes))
    assert "Raise regions[1].cluster.nodeGroups.system.minSize (now 2)" in message


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
    assert "Raise regions[<index of its region>].cluster.nodeGroups.system.maxSize (now 2)" in message
    assert (
        "The cluster-autoscaler (components/cluster_autoscaler.py) adds nodes to a group only up to its maxSize"
        in message
    )


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
    [note] = check([items[0], addon("karpenter")]).notes
    assert (note.text, note.urn) == ("add-on karpenter: its pods are unknown and not counted", addon("karpenter").urn)


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
    amd64_only = SelectorTerm(({"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]},))
    not_fargate = SelectorTerm(({"key": "eks.amazonaws.com/compute-type", "operator": "NotIn", "values": ["fargate"]},))
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
    assert [note.text for note in report.notes] == ["Helm release grafana (chart grafana): pods unknown"]


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
    assert [note.text for note in report.notes] == []


# --- the review of #20: the scheduler spreads, node labels, selectors, messages ------------------


def test_a_packing_that_only_largest_first_finds_is_refused() -> None:
    # 2 x m7i.large (1930m): largest first puts 1900m on one node and 2 x 900m on the other. The
    # scheduler takes pods as they come and spreads them (least-allocated scoring): the two 900m
    # pods land on different nodes, 1030m stays free on each, and the 1900m pod stays Pending.
    items = [
        node_group("system", ["m7i.large"], 2),
        deployment("small", 2, pod_spec("900m", "100Mi"), NO_SURGE),
        deployment("big", 1, pod_spec("1900m", "100Mi"), NO_SURGE),
    ]
    report = check(items)
    fit = minimum_fit(items)
    assert fit.unplaced == [] and [w.pod.owner for w in fit.spread_unplaced] == ["Deployment apps/big"]
    assert not report.ok
    [(message, _)] = list(violations(report, ("minimum",)))
    assert "a packing exists (largest pods first), but the scheduler places one pod at a time" in message
    assert "1 pod(s) find no node with room, the first Deployment apps/big (1900m CPU, 100Mi)" in message


def test_pods_that_fit_in_any_arrival_order_pass_both_passes() -> None:
    # 4 x 900m and 1 x 100m on 2 nodes: spread or packed, two 900m pods share each node.
    items = [
        node_group("system", ["m7i.large"], 2),
        deployment("a", 4, pod_spec("900m", "100Mi"), NO_SURGE),
        deployment("b", 1, pod_spec("100m", "100Mi"), NO_SURGE),
    ]
    fit = minimum_fit(items)
    assert fit.fits and fit.spread_unplaced == [] and check(items).ok


def _group(props: dict[str, Any], region: str | None = "eu-west-1") -> Any:
    item = node_group("sandbox", props.pop("instanceTypes", ["m7i.xlarge"]), 1, region=region)
    item = Item(item.urn, item.type, {**item.props, **props}, item.parent, region=item.region)
    return check([item]).fits[0].group


@pytest.mark.parametrize(
    ("selector", "admitted"),
    [
        ({"eks.amazonaws.com/capacityType": "SPOT"}, True),
        ({"eks.amazonaws.com/capacityType": "ON_DEMAND"}, False),
        ({"eks.amazonaws.com/nodegroup": "sandbox-1"}, True),
        ({"topology.kubernetes.io/region": "eu-west-1"}, True),
        ({"failure-domain.beta.kubernetes.io/region": "us-east-1"}, False),
        ({"beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux"}, True),
        ({"beta.kubernetes.io/instance-type": "m7i.xlarge"}, True),
        ({"kubernetes.io/os": "windows"}, False),
    ],
)
def test_the_labels_every_managed_node_carries_are_known(selector: dict[str, str], admitted: bool) -> None:
    group = _group({"capacityType": "SPOT", "nodeGroupName": "sandbox-1"})
    assert (refusal(group, Pod("p", 1, 1, node_selector=selector)) == "") is admitted


def test_labels_that_differ_per_node_are_noted_not_refused() -> None:
    zone = SelectorTerm(({"key": "topology.kubernetes.io/zone", "operator": "In", "values": ["eu-west-1a"]},))
    items = [
        node_group("system", ["m7i.xlarge", "m6i.xlarge"], 1),
        deployment("pinned", 1, pod_spec("100m", "1Mi", nodeSelector={"kubernetes.io/hostname": "ip-10-0-0-1"})),
        deployment("zonal", 1, pod_spec("100m", "1Mi", affinity=_required(zone))),
        deployment(
            "typed", 1, pod_spec("100m", "1Mi", nodeSelector={"node.kubernetes.io/instance-type": "m6i.xlarge"})
        ),
        deployment("wrong", 1, pod_spec("100m", "1Mi", nodeSelector={"node.kubernetes.io/instance-type": "c7i.large"})),
    ]
    report = check(items)
    # Not refused, not counted: each is noted on its own resource.
    assert [u.workload.pod.owner for u in report.unschedulable] == ["Deployment apps/wrong"]
    assert minimum_fit(items).requested_pods == 0
    notes = {note.urn.rsplit("::", 1)[-1]: note.text for note in report.notes}
    assert set(notes) == {"pinned", "zonal", "typed"}
    assert "nodeSelector kubernetes.io/hostname=ip-10-0-0-1 depends on which node" in notes["pinned"]
    assert notes["typed"].endswith("; not counted")
    # A mixed group's instance-type label is one of its types: the refusal lists them.
    assert report.unschedulable[0].reasons == (
        "nodeSelector node.kubernetes.io/instance-type=c7i.large, but system's nodes have "
        "node.kubernetes.io/instance-type=m6i.xlarge|m7i.xlarge",
    )


def _required(*terms: SelectorTerm) -> dict[str, Any]:
    raw = [{"matchExpressions": list(t.expressions), "matchFields": list(t.fields)} for t in terms]
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": raw}}}


def test_an_empty_node_selector_term_matches_nothing_and_match_fields_cannot_be_judged() -> None:
    group = check([node_group("system", ["m7g.large"], 1)]).fits[0].group
    assert refusal(group, Pod("p", 1, 1, node_affinity=(SelectorTerm(),))) != ""  # Kubernetes: matches no objects
    by_name = SelectorTerm(fields=({"key": "metadata.name", "operator": "In", "values": ["ip-10-0-0-1"]},))
    assert refusal(group, Pod("p", 1, 1, node_affinity=(by_name,))) == ""
    report = check(
        [node_group("system", ["m7g.large"], 1), deployment("n", 1, pod_spec("1m", "1Mi", affinity=_required(by_name)))]
    )
    assert report.unschedulable == [] and "affinity depends on per-node labels or names" in report.notes[0].text
    # Only metadata.name is a node field a selector may name.
    bad_field = SelectorTerm(fields=({"key": "spec.unschedulable", "operator": "In", "values": ["false"]},))
    assert refusal(group, Pod("p", 1, 1, node_affinity=(bad_field,))) != ""


def test_a_toleration_with_an_unknown_operator_tolerates_nothing() -> None:
    taint = Taint("platform/sandbox", "true", "NoSchedule")
    assert not tolerates([{"key": "platform/sandbox", "operator": "Bogus", "value": "true"}], taint)
    assert tolerates([{"key": "platform/sandbox", "operator": "Equal", "value": "true"}], taint)
    assert tolerates([{"effect": "NoSchedule", "operator": "Exists"}], taint)


def test_a_daemonset_pod_without_room_asks_for_a_larger_type_not_more_nodes() -> None:
    daemon = deployment("agent", 0, pod_spec("2", "64Mi", tolerations=[{"operator": "Exists"}]), kind="DaemonSet")
    report = check([node_group("system", ["m7i.large"], 2), daemon])
    [(message, _)] = list(violations(report, ("minimum",)))
    assert "the first DaemonSet apps/agent (2000m CPU, 64Mi)" in message
    assert "Every node runs one DaemonSet apps/agent pod, so more nodes do not help: choose a larger " in message
    assert "minSize" not in message.split(". ", 1)[1]


def test_a_pod_larger_than_any_node_asks_for_a_larger_type() -> None:
    # m7i.large: 1930m; with aws-node-like 50m DaemonSet pods, 1880m free on an empty node.
    daemon = deployment("agent", 0, pod_spec("50m", "1Mi", tolerations=[{"operator": "Exists"}]), kind="DaemonSet")
    report = check([node_group("system", ["m7i.large"], 3), daemon, deployment("huge", 1, pod_spec("1900m", "1Mi"))])
    [(message, _)] = list(violations(report, ("minimum",)))
    assert "No m7i.large node can hold it even empty (1880m CPU, 6902Mi free after its DaemonSet pods)" in message
    keys = "regions[<index of its region>].cluster.nodeGroups.system"
    assert f"so more nodes do not help: choose a larger {keys}.instanceTypes" in message


def test_a_pod_that_fits_nowhere_is_counted_on_the_group_where_more_nodes_would_help() -> None:
    spec = pod_spec("3000m", "1Mi", tolerations=[TOLERATION])
    items = [
        node_group("small", ["m7i.large"], 1),  # 1930m: never holds a 3000m pod
        node_group("big", ["m7i.xlarge"], 1, taints=[SANDBOX_TAINT]),  # 3920m: one at a time
        deployment("wide", 2, spec, NO_SURGE),
    ]
    by_group = {f.group.name: f for f in check(items).groups("minimum")}
    assert by_group["small"].unplaced == [] and len(by_group["big"].unplaced) == 1
    [(message, urn)] = list(violations(check(items), ("minimum",)))
    assert urn.endswith("::big") and "(node group small also admits it, without room either)" in message
    assert "Raise regions[<index of its region>].cluster.nodeGroups.big.minSize (now 1)" in message

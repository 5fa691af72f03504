"""The sandbox nodes carry what the sandbox's pods name: gVisor, kubelet limits, a host firewall.

Assertions on the registered launch templates, RuntimeClass, add-on and NetworkPolicy of a
prod-shaped Cluster, read back the way the nodes read them (MIME user data, nodeadm NodeConfig).
"""

from __future__ import annotations

import base64
import json
import tomllib
from pathlib import Path

import kubernetes_validate
import pytest

from components import sandbox_node
from components.cluster import NODE_GROUP_LABEL, SANDBOX_TAINT_KEY
from components.sandbox_node import parse_user_data
from policies.rules.sandbox import SANDBOX_STACK_RULES
from preflight.synth import Graph
from tests.components.test_cluster import ADDON, LAUNCH_TEMPLATE, NETWORK_POLICY, NODE_GROUP, build, by_name
from tests.conftest import Harness

RUNTIME_CLASS = "kubernetes:node.k8s.io/v1:RuntimeClass"


@pytest.fixture(scope="module")
def prod() -> Graph:
    return build(Harness())


def test_only_the_sandbox_template_carries_user_data(prod: Graph) -> None:
    templates = by_name(prod, LAUNCH_TEMPLATE)
    assert "userData" not in templates["eks-system-lt"].inputs
    text = base64.b64decode(templates["eks-sandbox-lt"].inputs["userData"]).decode()
    # MIME multipart: EKS merges its own bootstrap part in (no image ID in the template).
    assert text.startswith("MIME-Version: 1.0\nContent-Type: multipart/mixed;")
    assert "imageId" not in templates["eks-sandbox-lt"].inputs


def test_the_sandbox_kubelet_limits_pids_and_kills_single_processes(prod: Graph) -> None:
    config, _ = parse_user_data(by_name(prod, LAUNCH_TEMPLATE)["eks-sandbox-lt"].inputs["userData"])
    assert config is not None
    assert (config["apiVersion"], config["kind"]) == ("node.eks.aws/v1alpha1", "NodeConfig")
    kubelet = config["spec"]["kubelet"]["config"]
    assert kubelet == {"podPidsLimit": 1024, "singleProcessOOMKill": True}
    assert "cluster" not in config["spec"]  # EKS supplies the cluster's part


def test_the_runtime_class_handler_is_the_one_containerd_gets(prod: Graph) -> None:
    config, script = parse_user_data(by_name(prod, LAUNCH_TEMPLATE)["eks-sandbox-lt"].inputs["userData"])
    assert config is not None
    containerd = tomllib.loads(config["spec"]["containerd"]["config"])
    runtimes = containerd["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"]
    runtime_class = prod.one(RUNTIME_CLASS)
    handler = runtime_class.inputs["handler"]
    assert handler == "runsc"
    assert runtimes[handler] == {"runtime_type": "io.containerd.runsc.v1"}
    # The shim containerd loads for that runtime type, and runsc itself, are installed, checked.
    for binary in ("runsc", "containerd-shim-runsc-v1"):
        assert f'install -m 0755 "{binary}" /usr/local/bin/{binary}' in script
        assert f'sha512sum -c "{binary}.sha512"' in script
    assert f'/gvisor/releases/release/{sandbox_node.GVISOR_RELEASE}/x86_64/runsc"' in script


def test_the_runtime_class_keeps_its_pods_on_the_sandbox_nodes_and_counts_overhead(prod: Graph) -> None:
    runtime_class = prod.one(RUNTIME_CLASS)
    assert runtime_class.inputs["metadata"]["name"] == "gvisor"
    assert runtime_class.inputs["overhead"] == {"podFixed": {"memory": "128Mi"}}
    scheduling = runtime_class.inputs["scheduling"]
    sandbox = by_name(prod, NODE_GROUP)["eks-sandbox"]
    # The RuntimeClass's node selector matches the sandbox group's labels and no other group's.
    for group in prod.by_type(NODE_GROUP):
        matches = scheduling["nodeSelector"].items() <= group.inputs["labels"].items()
        assert matches == (group is sandbox), group.name
    (taint,) = sandbox.inputs["taints"]
    (toleration,) = scheduling["tolerations"]
    assert (toleration["key"], toleration["value"], toleration["effect"]) == (
        taint["key"],
        taint["value"],
        "NoSchedule",
    )
    assert taint["key"] == SANDBOX_TAINT_KEY and scheduling["nodeSelector"] == {NODE_GROUP_LABEL: "sandbox"}


def test_the_host_firewall_drops_pod_connections_to_the_node_and_imds(prod: Graph) -> None:
    _, script = parse_user_data(by_name(prod, LAUNCH_TEMPLATE)["eks-sandbox-lt"].inputs["userData"])
    lines = [line.strip() for line in script.splitlines()]
    chain = sandbox_node.FIREWALL_CHAIN
    assert f"iptables -w -I INPUT 1 -i eni+ -j {chain}" in lines
    # Replies to connections the node opened (kubelet probes) pass; anything new is dropped.
    rules = [line for line in lines if line.startswith(f"iptables -w -A {chain}")]
    assert rules == [
        f"iptables -w -A {chain} -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN",
        f"iptables -w -A {chain} -j DROP",
    ]
    assert "iptables -w -I FORWARD 1 -i eni+ -d 169.254.169.254/32 -j DROP" in lines
    assert lines[0] == "#!/bin/bash" and "set -euo pipefail" in lines


def test_imds_is_one_hop_on_the_sandbox_nodes(prod: Graph) -> None:
    options = by_name(prod, LAUNCH_TEMPLATE)["eks-sandbox-lt"].inputs["metadataOptions"]
    assert options["httpTokens"] == "required" and options["httpPutResponseHopLimit"] == 1


def test_graviton_sandbox_nodes_get_the_arm_binaries() -> None:
    script = sandbox_node.install_script("arm64")
    assert f'/release/{sandbox_node.GVISOR_RELEASE}/aarch64/runsc"' in script
    with pytest.raises(ValueError, match="cpu_architecture 'mips'"):
        sandbox_node.install_script("mips")


def test_strict_enforcement_with_kube_system_opened_before_its_addons_start(prod: Graph) -> None:
    addons = {a.inputs["addonName"]: a for a in prod.by_type(ADDON)}
    values = json.loads(addons["vpc-cni"].inputs["configurationValues"])
    assert values["env"]["NETWORK_POLICY_ENFORCING_MODE"] == "strict"
    policy = prod.one(NETWORK_POLICY, "eks-kube-system-allow")
    assert policy.inputs["metadata"]["namespace"] == "kube-system"
    assert policy.inputs["spec"] == {
        "podSelector": {},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": [{}],
        "egress": [{}],
    }
    bootstrap = prod.one("pulumi:providers:kubernetes", "eks-kubernetes-bootstrap")
    assert policy.provider_urn == bootstrap.urn
    for late in ("coredns", "aws-ebs-csi-driver", "metrics-server"):
        assert policy.urn in addons[late].dependencies, late
    # The bootstrap provider waits for the nodes, never for the add-ons that wait for it.
    assert not {addons[late].urn for late in ("coredns", "aws-ebs-csi-driver", "metrics-server")} & set(
        bootstrap.dependencies
    )
    assert set(by_name(prod, NODE_GROUP)[name].urn for name in ("eks-system", "eks-sandbox")) <= set(
        bootstrap.dependencies
    )


def test_user_data_read_back_tolerates_garbage() -> None:
    assert parse_user_data("not base64!") == (None, "")
    assert parse_user_data(base64.b64encode(b"#!/bin/bash\necho hi\n").decode()) == (None, "")
    round_trip, script = parse_user_data(sandbox_node.user_data_base64("x86_64"))
    assert round_trip == sandbox_node.node_config()
    assert script.startswith("#!/bin/bash")


def test_the_sandbox_page_names_what_the_code_sets() -> None:
    """docs/sandbox.md stays in step with the node settings and the policies that guard them."""
    page = (Path(__file__).resolve().parents[2] / "docs" / "sandbox.md").read_text()
    for rule_ in SANDBOX_STACK_RULES:
        assert f"`{rule_.name}`" in page, rule_.name
    assert f"release `{sandbox_node.GVISOR_RELEASE}`" in page
    assert f"| kubelet `podPidsLimit` | {sandbox_node.POD_PIDS_LIMIT} |" in page
    assert f"`overhead.podFixed.memory: {sandbox_node.RUNTIME_OVERHEAD['memory']}`" in page
    assert "## Threat model" in page and "## Decision" in page


def test_the_runtime_class_and_kube_system_policy_validate_as_kubernetes_would(prod: Graph) -> None:
    for registration in (prod.one(RUNTIME_CLASS), prod.one(NETWORK_POLICY, "eks-kube-system-allow")):
        kubernetes_validate.validate(registration.inputs, "1.35", strict=True)

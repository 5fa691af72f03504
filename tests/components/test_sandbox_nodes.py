"""The sandbox nodes carry what the sandbox's pods name: gVisor, kubelet limits, a host firewall.

Assertions on the registered launch templates, RuntimeClass, add-on and NetworkPolicy of a
prod-shaped Cluster, read back the way the nodes read them (MIME user data, nodeadm NodeConfig).
"""

from __future__ import annotations

import base64
import json
import re
import tomllib
from pathlib import Path

import kubernetes_validate
import pytest

from eksplatform.components import sandbox_node
from eksplatform.components.cluster import NODE_GROUP_LABEL, SANDBOX_TAINT_KEY
from eksplatform.components.sandbox_node import parse_user_data
from eksplatform.policies.rules.sandbox import SANDBOX_STACK_RULES
from eksplatform.preflight.synth import Graph
from tests.components.test_cluster import ADDON, LAUNCH_TEMPLATE, NETWORK_POLICY, NODE_GROUP, build, by_name
from tests.conftest import Harness

pytestmark = pytest.mark.usefixtures("kubernetes_schemas_parsed_once")  # tests/conftest.py

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


def _heredocs(script: str) -> dict[str, str]:
    """The files the script writes (`cat > PATH <<'EOF'` ... `EOF`)."""
    return {
        match.group(1): match.group(2)
        for match in re.finditer(r"^cat > (\S+) <<'EOF'\n(.*?)\nEOF$", script, flags=re.S | re.M)
    }


def test_the_runtime_class_handler_is_the_one_containerd_gets(prod: Graph) -> None:
    config, script = parse_user_data(by_name(prod, LAUNCH_TEMPLATE)["eks-sandbox-lt"].inputs["userData"])
    assert config is not None
    containerd = tomllib.loads(config["spec"]["containerd"]["config"])
    runtimes = containerd["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"]
    runtime_class = prod.one(RUNTIME_CLASS)
    handler = runtime_class.inputs["handler"]
    assert handler == "runsc"
    # gVisor "Containerd configuration": the shim reads runsc flags from the options' ConfigPath.
    assert runtimes[handler] == {
        "runtime_type": "io.containerd.runsc.v1",
        "options": {"TypeUrl": "io.containerd.runsc.v1.options", "ConfigPath": "/etc/containerd/runsc.toml"},
    }
    # The shim containerd loads for that runtime type, and runsc itself, are installed, checked.
    for binary in ("runsc", "containerd-shim-runsc-v1"):
        assert f'install -m 0755 "{binary}" /usr/local/bin/{binary}' in script
        assert f'sha512sum -c "{binary}.sha512"' in script
    assert f'/gvisor/releases/release/{sandbox_node.GVISOR_RELEASE}/x86_64/runsc"' in script


def test_runsc_uses_the_systemd_cgroup_driver_of_the_al2023_kubelet(prod: Graph) -> None:
    """nodeadm runs the kubelet with cgroupDriver systemd, so containerd hands runsc a systemd
    cgroup path; runsc applies the pod's limits only with systemd-cgroup on (google/gvisor#10371)."""
    config, script = parse_user_data(by_name(prod, LAUNCH_TEMPLATE)["eks-sandbox-lt"].inputs["userData"])
    assert config is not None
    options = tomllib.loads(config["spec"]["containerd"]["config"])["plugins"]["io.containerd.grpc.v1.cri"][
        "containerd"
    ]["runtimes"]["runsc"]["options"]
    written = _heredocs(script)
    assert tomllib.loads(written[options["ConfigPath"]]) == {"runsc_config": {"systemd-cgroup": "true"}}


def test_the_firewall_is_applied_on_every_boot_and_the_kubelet_needs_it(prod: Graph) -> None:
    """cloud-init runs user data once per instance; nodeadm-run starts the kubelet on every boot."""
    _, script = parse_user_data(by_name(prod, LAUNCH_TEMPLATE)["eks-sandbox-lt"].inputs["userData"])
    written = _heredocs(script)
    unit = written["/etc/systemd/system/sandbox-host-guard.service"]
    assert "Before=containerd.service kubelet.service" in unit.splitlines()
    assert {"Type=oneshot", "RemainAfterExit=yes", "WantedBy=multi-user.target"} <= set(unit.splitlines())
    assert "ExecStart=/usr/local/sbin/sandbox-host-guard" in unit.splitlines()
    assert "/usr/local/sbin/sandbox-host-guard" in written
    drop_in = written["/etc/systemd/system/kubelet.service.d/10-sandbox-host-guard.conf"].splitlines()
    assert "Requires=sandbox-host-guard.service" in drop_in and "After=sandbox-host-guard.service" in drop_in
    # No gVisor, no kubelet: a node whose download failed never joins.
    for binary in ("runsc", "containerd-shim-runsc-v1"):
        assert f"ExecStartPre=/usr/bin/test -x /usr/local/bin/{binary}" in drop_in
    assert "ExecStartPre=/usr/bin/test -s /etc/containerd/runsc.toml" in drop_in
    # The firewall is on before anything is downloaded (set -e stops the script at a failed download).
    lines = script.splitlines()
    enable = lines.index("systemctl enable --now sandbox-host-guard.service")
    assert lines.index("systemctl daemon-reload") < enable
    assert enable < min(i for i, line in enumerate(lines) if line.startswith("curl "))
    assert "set -euo pipefail" in lines


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
    """In mangle PREROUTING: before kube-proxy's nat PREROUTING DNATs nodeIP:NodePort (which then
    goes through FORWARD, never INPUT), and ahead of whatever kube-proxy inserts in filter."""
    _, script = parse_user_data(by_name(prod, LAUNCH_TEMPLATE)["eks-sandbox-lt"].inputs["userData"])
    guard = _heredocs(script)["/usr/local/sbin/sandbox-host-guard"].splitlines()
    assert guard[0] == "#!/bin/bash" and "set -euo pipefail" in guard
    rules = [
        "-i eni+ -d 169.254.169.254/32 -j DROP",
        # Only new connections: replies to the node's own (kubelet probes) pass.
        "-i eni+ -m addrtype --dst-type LOCAL -m conntrack --ctstate NEW -j DROP",
    ]
    for rule_ in rules:
        # Idempotent: inserted only when the check (-C) does not find it.
        check, insert = f"iptables -w -t mangle -C PREROUTING {rule_}", f"iptables -w -t mangle -I PREROUTING 1 {rule_}"
        assert f"{check} 2>/dev/null || {insert}" in guard, rule_
    assert not [line for line in guard if " INPUT " in line or " FORWARD " in line]


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
    assert '`[runsc_config] systemd-cgroup = "true"`' in page and sandbox_node.RUNSC_CONFIG_PATH in page
    assert sandbox_node.GUARD_UNIT in page and "mangle PREROUTING" in page
    for rule_args in sandbox_node.firewall_rules():
        assert f"`{rule_args}`" in page, rule_args
    assert "## Threat model" in page and "## Decision" in page


def test_the_runtime_class_and_kube_system_policy_validate_as_kubernetes_would(prod: Graph) -> None:
    for registration in (prod.one(RUNTIME_CLASS), prod.one(NETWORK_POLICY, "eks-kube-system-allow")):
        kubernetes_validate.validate(registration.inputs, "1.35", strict=True)

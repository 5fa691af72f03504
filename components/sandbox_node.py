"""What a sandbox node carries for untrusted code: gVisor, kubelet limits and a host firewall.

The language services' pods name these settings (`runtimeClassName: gvisor`); the sandbox node
group's launch template installs them (user data), and this module is the one home of both
sides, so the pods never name something the nodes lack (docs/sandbox.md has the design).

User data for an EKS managed node group on AL2023 is a MIME multipart document: `nodeadm` reads
its `application/node.eks.aws` parts (a `NodeConfig`) and merges them with the one EKS adds for
the cluster, and cloud-init runs its shell-script parts before the kubelet and containerd start
(awslabs/amazon-eks-ami `nodeadm/doc/examples.md`; EKS user guide, "Customize managed nodes with
launch templates": with no AMI ID in the template, EKS merges its bootstrap into this user data).
"""

from __future__ import annotations

import base64
import email
import email.policy
import json
from typing import Any

import yaml

RUNTIME_CLASS = "gvisor"
"""The RuntimeClass the sandbox's pods name."""
RUNTIME_HANDLER = "runsc"
"""The containerd runtime handler that RuntimeClass points at (gVisor's `runsc`)."""
# gVisor's containerd shim v2 (gvisor.dev, "containerd quick start": runtime_type io.containerd.runsc.v1).
RUNTIME_TYPE = "io.containerd.runsc.v1"
GVISOR_RELEASE = "20250715.0"
"""The pinned gVisor release (storage.googleapis.com/gvisor/releases/release/<release>/<arch>/)."""
GVISOR_BINARIES = ("runsc", "containerd-shim-runsc-v1")
_GVISOR_ARCH = {"x86_64": "x86_64", "arm64": "aarch64"}

POD_PIDS_LIMIT = 1024
"""kubelet `podPidsLimit`: host processes and threads per pod; a fork bomb stops here."""
SINGLE_PROCESS_OOM_KILL = True
"""kubelet `singleProcessOOMKill` (KubeletConfiguration, Kubernetes 1.32+, kubernetes/kubernetes#126096):
on cgroup v2 the kernel kills the process over the limit, not every process of the container."""
RUNTIME_OVERHEAD = {"memory": "128Mi"}
"""RuntimeClass `overhead.podFixed`: the gVisor Sentry's and Gofer's own memory beside each pod's
containers (our estimate; measure it on the nodes). No fixed CPU: the Sentry's CPU is the work of
the application's syscalls, throttled within the pod's limit, and an idle Sentry takes next to
none. The scheduler and the capacity check add this to every pod that names the class."""

# Where the pods' traffic enters the node: the VPC CNI names the host side of each pod's veth
# pair `eni<hash>` (amazon-vpc-cni-k8s, AWS_VPC_K8S_CNI_VETHPREFIX default "eni").
POD_INTERFACES = "eni+"
IMDS_ADDRESS = "169.254.169.254/32"
FIREWALL_CHAIN = "SANDBOX-HOST-GUARD"
BOUNDARY = "==SANDBOX-NODE=="


def kubelet_config() -> dict[str, Any]:
    """The kubelet settings nodeadm merges into its KubeletConfiguration (NodeConfig spec.kubelet.config)."""
    return {"podPidsLimit": POD_PIDS_LIMIT, "singleProcessOOMKill": SINGLE_PROCESS_OOM_KILL}


def containerd_config() -> str:
    """The TOML nodeadm merges into containerd's config (NodeConfig spec.containerd.config): the
    `runsc` handler beside the default runc (containerd 1.7 CRI plugin, config version 2)."""
    return (
        f'[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.{RUNTIME_HANDLER}]\n'
        f'runtime_type = "{RUNTIME_TYPE}"\n'
    )


def node_config() -> dict[str, Any]:
    """The sandbox's NodeConfig (node.eks.aws/v1alpha1); EKS supplies spec.cluster in its own part."""
    return {
        "apiVersion": "node.eks.aws/v1alpha1",
        "kind": "NodeConfig",
        "spec": {"kubelet": {"config": kubelet_config()}, "containerd": {"config": containerd_config()}},
    }


def install_script(cpu_architecture: str) -> str:
    """Installs the pinned gVisor binaries (checksums verified) and the host firewall."""
    if cpu_architecture not in _GVISOR_ARCH:
        raise ValueError(f"cpu_architecture {cpu_architecture!r}: use one of {sorted(_GVISOR_ARCH)}")
    url = f"https://storage.googleapis.com/gvisor/releases/release/{GVISOR_RELEASE}/{_GVISOR_ARCH[cpu_architecture]}"
    downloads = "\n".join(
        f'curl -fsSL --retry 5 -o "{name}" "{url}/{name}" && curl -fsSL --retry 5 -o "{name}.sha512" '
        f'"{url}/{name}.sha512"\nsha512sum -c "{name}.sha512"\ninstall -m 0755 "{name}" /usr/local/bin/{name}'
        for name in GVISOR_BINARIES
    )
    return f"""#!/bin/bash
# Sandbox node: gVisor {GVISOR_RELEASE} for the `{RUNTIME_HANDLER}` handler, and a host firewall.
set -euo pipefail
work="$(mktemp -d)"
cd "$work"
{downloads}
cd /
rm -rf "$work"
# Pods reach nothing on this node: new connections from a pod interface to any of the node's own
# addresses (kubelet, kube-proxy metrics, the CNI agents, NodePorts) are dropped, and so is IMDS.
iptables -w -N {FIREWALL_CHAIN}
iptables -w -A {FIREWALL_CHAIN} -m conntrack --ctstate ESTABLISHED,RELATED -j RETURN
iptables -w -A {FIREWALL_CHAIN} -j DROP
iptables -w -I INPUT 1 -i {POD_INTERFACES} -j {FIREWALL_CHAIN}
iptables -w -I FORWARD 1 -i {POD_INTERFACES} -d {IMDS_ADDRESS} -j DROP
"""


def mime(config: dict[str, Any], script: str) -> str:
    """A NodeConfig and a shell script as MIME multipart user data."""
    return (
        "MIME-Version: 1.0\n"
        f'Content-Type: multipart/mixed; boundary="{BOUNDARY}"\n\n'
        f"--{BOUNDARY}\n"
        "Content-Type: application/node.eks.aws\n\n"
        f"{json.dumps(config, indent=2)}\n\n"  # JSON is YAML: nodeadm reads it as is
        f"--{BOUNDARY}\n"
        'Content-Type: text/x-shellscript; charset="us-ascii"\n\n'
        f"{script}\n"
        f"--{BOUNDARY}--\n"
    )


def user_data(cpu_architecture: str) -> str:
    """The MIME multipart user data of the sandbox launch template."""
    return mime(node_config(), install_script(cpu_architecture))


def user_data_base64(cpu_architecture: str) -> str:
    """Launch templates take user data base64-encoded (EC2 RequestLaunchTemplateData.UserData)."""
    return base64.b64encode(user_data(cpu_architecture).encode()).decode()


def parse_user_data(encoded: str) -> tuple[dict[str, Any] | None, str]:
    """A launch template's user data read back: the merged NodeConfig (None when absent) and the
    text of its shell scripts. For the policy pack and the tests; tolerant of any boundary."""
    try:
        text = base64.b64decode(encoded, validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return None, ""
    message = email.message_from_string(text, policy=email.policy.default)
    config: dict[str, Any] | None = None
    scripts = []
    for part in message.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload()
        body = payload if isinstance(payload, str) else ""
        if part.get_content_type() == "application/node.eks.aws":
            config = _merge(config or {}, _yaml(body))
        elif part.get_content_type() == "text/x-shellscript":
            scripts.append(body)
    return config, "\n".join(scripts)


def _yaml(text: str) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in extra.items():
        merged[key] = (
            _merge(merged[key], value) if isinstance(value, dict) and isinstance(merged.get(key), dict) else value
        )
    return merged

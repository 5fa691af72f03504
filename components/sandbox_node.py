"""What a sandbox node carries for untrusted code: gVisor, kubelet limits and a host firewall.

The language services' pods name these settings (`runtimeClassName: gvisor`); the sandbox node
group's launch template installs them (user data), and this module is the one home of both
sides, so the pods never name something the nodes lack (docs/sandbox.md has the design).

User data for an EKS managed node group on AL2023 is a MIME multipart document: `nodeadm` reads
its `application/node.eks.aws` parts (a `NodeConfig`) and merges them with the one EKS adds for
the cluster, and cloud-init runs its shell-script parts before the kubelet and containerd start
(awslabs/amazon-eks-ami `nodeadm/doc/examples.md`; EKS user guide, "Customize managed nodes with
launch templates": with no AMI ID in the template, EKS merges its bootstrap into this user data).

cloud-init runs those scripts once per instance, while `nodeadm-run.service` starts the kubelet on
every boot (After=cloud-final.service, no Requires= on it: amazon-eks-ami
templates/al2023/runtime/rootfs/etc/systemd/system/nodeadm-run.service). So the script installs what
must hold on every boot as systemd units, and makes the kubelet require them: a node whose firewall
or gVisor is missing never starts its kubelet, so it never joins (fail closed).
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
"""The pinned gVisor release (storage.googleapis.com/gvisor/releases/release/<release>/<arch>/).
Each binary is checked against the `.sha512` published beside it: integrity, not authenticity, since
both come from the same place (the release's digests could not be confirmed from a second source,
docs/sandbox.md)."""
GVISOR_BINARIES = ("runsc", "containerd-shim-runsc-v1")
BINARY_DIR = "/usr/local/bin"
# The shim reads its own options file, whose [runsc_config] table becomes runsc flags (gVisor docs,
# "Containerd configuration": runtime options TypeUrl io.containerd.runsc.v1.options, ConfigPath).
RUNSC_OPTIONS_TYPE = "io.containerd.runsc.v1.options"
RUNSC_CONFIG_PATH = "/etc/containerd/runsc.toml"
# AL2023's kubelet runs with cgroupDriver "systemd" and runc with SystemdCgroup = true (amazon-eks-ami
# nodeadm/internal/kubelet/config.go, containerd config template), so containerd hands runsc a
# `slice:prefix:name` cgroup path, which runsc reads only with systemd-cgroup on (off by default).
# Without it pod memory and CPU limits are not applied (google/gvisor#10371, #10264).
RUNSC_FLAGS = {"systemd-cgroup": "true"}
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
GUARD_UNIT = "sandbox-host-guard.service"
GUARD_SCRIPT = "/usr/local/sbin/sandbox-host-guard"
KUBELET_DROP_IN = "/etc/systemd/system/kubelet.service.d/10-sandbox-host-guard.conf"
BOUNDARY = "==SANDBOX-NODE=="


def kubelet_config() -> dict[str, Any]:
    """The kubelet settings nodeadm merges into its KubeletConfiguration (NodeConfig spec.kubelet.config)."""
    return {"podPidsLimit": POD_PIDS_LIMIT, "singleProcessOOMKill": SINGLE_PROCESS_OOM_KILL}


def containerd_config() -> str:
    """The TOML nodeadm merges into containerd's config (NodeConfig spec.containerd.config): the
    `runsc` handler beside the default runc, and the options file that turns on runsc's systemd
    cgroup driver. Written with config version 2 keys (`io.containerd.grpc.v1.cri`): AL2023 ships
    containerd 2.x, whose version 3 template nodeadm renders, and nodeadm migrates version 2 keys of
    a user's config into it (amazon-eks-ami nodeadm/internal/containerd, writeContainerdConfig)."""
    runtime = f'plugins."io.containerd.grpc.v1.cri".containerd.runtimes.{RUNTIME_HANDLER}'
    return (
        f"[{runtime}]\n"
        f'runtime_type = "{RUNTIME_TYPE}"\n\n'
        f"[{runtime}.options]\n"
        f'TypeUrl = "{RUNSC_OPTIONS_TYPE}"\n'
        f'ConfigPath = "{RUNSC_CONFIG_PATH}"\n'
    )


def runsc_config() -> str:
    """The shim's options file (RUNSC_CONFIG_PATH): each [runsc_config] entry is a runsc flag."""
    flags = "".join(f'{flag} = "{value}"\n' for flag, value in RUNSC_FLAGS.items())
    return f"[runsc_config]\n{flags}"


def firewall_rules() -> list[str]:
    """The iptables arguments of the host firewall, in the mangle table's PREROUTING chain: before
    kube-proxy's nat PREROUTING rewrites nodeIP:NodePort to a pod (a DNAT'ed packet is then
    forwarded, never seen by INPUT), and before any filter rule kube-proxy inserts after boot.
    New connections from a pod interface to any of the node's own addresses (kubelet, kube-proxy
    metrics, the CNI agents, NodePorts) are dropped; replies to connections the node opened
    (kubelet probes) are not new, so they pass. IMDS is dropped whatever the state."""
    return [
        f"-i {POD_INTERFACES} -d {IMDS_ADDRESS} -j DROP",
        f"-i {POD_INTERFACES} -m addrtype --dst-type LOCAL -m conntrack --ctstate NEW -j DROP",
    ]


def guard_script() -> str:
    """Applies the firewall idempotently (each rule inserted only if absent): run on every boot."""
    rules = "\n".join(
        f"iptables -w -t mangle -C PREROUTING {rule} 2>/dev/null || iptables -w -t mangle -I PREROUTING 1 {rule}"
        for rule in firewall_rules()
    )
    return f"#!/bin/bash\n# Sandbox node host firewall ({GUARD_UNIT}).\nset -euo pipefail\n{rules}\n"


def guard_unit() -> str:
    """A oneshot unit that applies the firewall on every boot, before containerd and the kubelet."""
    return (
        "[Unit]\n"
        "Description=Sandbox node host firewall (pods reach nothing on the node, nor IMDS)\n"
        "Before=containerd.service kubelet.service\n\n"
        "[Service]\n"
        "Type=oneshot\n"
        "RemainAfterExit=yes\n"
        f"ExecStart={GUARD_SCRIPT}\n\n"
        "[Install]\n"
        "WantedBy=multi-user.target\n"
    )


def kubelet_drop_in() -> str:
    """The kubelet requires the firewall unit and the gVisor files: without them it does not
    start, so the node never joins (fail closed). ExecStartPre= in a drop-in adds to the unit's."""
    checks = "".join(f"ExecStartPre=/usr/bin/test -x {BINARY_DIR}/{name}\n" for name in GVISOR_BINARIES)
    return (
        "[Unit]\n"
        f"Requires={GUARD_UNIT}\n"
        f"After={GUARD_UNIT}\n\n"
        "[Service]\n"
        f"{checks}"
        f"ExecStartPre=/usr/bin/test -s {RUNSC_CONFIG_PATH}\n"
    )


def node_config() -> dict[str, Any]:
    """The sandbox's NodeConfig (node.eks.aws/v1alpha1); EKS supplies spec.cluster in its own part."""
    return {
        "apiVersion": "node.eks.aws/v1alpha1",
        "kind": "NodeConfig",
        "spec": {"kubelet": {"config": kubelet_config()}, "containerd": {"config": containerd_config()}},
    }


def _file(path: str, text: str) -> str:
    return f"cat > {path} <<'EOF'\n{text.rstrip()}\nEOF\n"


def install_script(cpu_architecture: str) -> str:
    """Installs the host firewall first (a unit applied now and on every boot), the kubelet's
    requirement on it and on gVisor, runsc's options, then the pinned gVisor binaries (checksums
    verified). If a download fails the script stops there: the firewall is on, and the kubelet
    will not start without the binaries."""
    if cpu_architecture not in _GVISOR_ARCH:
        raise ValueError(f"cpu_architecture {cpu_architecture!r}: use one of {sorted(_GVISOR_ARCH)}")
    url = f"https://storage.googleapis.com/gvisor/releases/release/{GVISOR_RELEASE}/{_GVISOR_ARCH[cpu_architecture]}"
    downloads = "\n".join(
        f'curl -fsSL --retry 5 -o "{name}" "{url}/{name}" && curl -fsSL --retry 5 -o "{name}.sha512" '
        f'"{url}/{name}.sha512"\nsha512sum -c "{name}.sha512"\ninstall -m 0755 "{name}" {BINARY_DIR}/{name}'
        for name in GVISOR_BINARIES
    )
    drop_in_dir = KUBELET_DROP_IN.rsplit("/", 1)[0]
    return (
        "#!/bin/bash\n"
        f"# Sandbox node: a host firewall, and gVisor {GVISOR_RELEASE} for the `{RUNTIME_HANDLER}` handler.\n"
        "set -euo pipefail\n"
        f"mkdir -p {GUARD_SCRIPT.rsplit('/', 1)[0]} {drop_in_dir} {RUNSC_CONFIG_PATH.rsplit('/', 1)[0]}\n"
        f"{_file(GUARD_SCRIPT, guard_script())}"
        f"chmod 0755 {GUARD_SCRIPT}\n"
        f"{_file('/etc/systemd/system/' + GUARD_UNIT, guard_unit())}"
        f"{_file(KUBELET_DROP_IN, kubelet_drop_in())}"
        f"{_file(RUNSC_CONFIG_PATH, runsc_config())}"
        "systemctl daemon-reload\n"
        f"systemctl enable --now {GUARD_UNIT}\n"
        'work="$(mktemp -d)"\n'
        'cd "$work"\n'
        f"{downloads}\n"
        "cd /\n"
        'rm -rf "$work"\n'
    )


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

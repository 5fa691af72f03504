"""The Kubernetes Pod Security Standards, `baseline` and `restricted`, as plain functions.

Same checks and semantics as the Pod Security Admission controller (policy version 1.36), on
pod specs as Pulumi sees them (camelCase dictionaries, the manifest itself). Conformance is
tested against Kubernetes' own fixtures (`../shared/fixtures/pod-security/`).

Nothing here imports pulumi_policy: the policy pack wraps these functions, and the components'
tests call them directly. Values not yet known (during a preview) are skipped, never guessed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from eksplatform.policies.rule import at, mapping, sequence

Level = Literal["baseline", "restricted"]

# Capabilities the baseline profile lets a container add.
BASELINE_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)
SAFE_SYSCTLS = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
        "net.ipv4.tcp_rmem",
        "net.ipv4.tcp_wmem",
    }
)
SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"})
RESTRICTED_VOLUME_TYPES = frozenset(
    {
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "image",
        "persistentVolumeClaim",
        "projected",
        "secret",
    }
)
APPARMOR_ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/"
CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")


@dataclass(frozen=True)
class PodSecurityViolation:
    check: str
    """The check's id as Kubernetes names it (e.g. `runAsNonRoot`)."""
    level: Level
    detail: str
    """What is wrong and what to set instead."""

    def __str__(self) -> str:
        return f"{self.check}: {self.detail}"


def containers(spec: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every container of a pod spec, init and ephemeral ones included, with a label for messages."""
    for key in CONTAINER_LISTS:
        for index, container in enumerate(sequence(spec.get(key))):
            container = mapping(container)
            yield f"{key}[{index}] {container.get('name', '?')!s}", container


def _security(container: Mapping[str, Any]) -> Mapping[str, Any]:
    return mapping(container.get("securityContext"))


def _names(found: list[str]) -> str:
    return ", ".join(found)


def _is_windows(spec: Mapping[str, Any]) -> bool:
    return mapping(spec.get("os")).get("name") == "windows"


# --- baseline ------------------------------------------------------------------------------


def _host_namespaces(metadata: Mapping[str, Any], spec: Mapping[str, Any]) -> str | None:
    shared = [key for key in ("hostNetwork", "hostPID", "hostIPC") if spec.get(key) is True]
    return f"set {_names(shared)} to false (or leave unset)" if shared else None


def _privileged(metadata: Mapping[str, Any], spec: Mapping[str, Any]) -> str | None:
    bad = [label for label, c in containers(spec) if _security(c).get("privileged") is True]
    return f"{_names(bad)}: set securityContext.privileged to false" if bad else None


def _capabilities_baseline(metadata: Mapping[str, Any], spec: Mapping[str, Any]) -> str | None:
    bad = []
    for label, container in containers(spec):
        added = sequence(mapping(_security(container).get("capabilities")).get("add"))
        extra = [str(cap) for cap in added if isinstance(cap, str) and cap not in BASELINE_CAPABILITIES]
        if extra:
            bad.append(f"{label} adds {_names(extra)}")
    return f"{'; '.join(bad)}: remove them from securityContext.capabilities.add" if bad else None


def _host_path_volumes(metadata: Mapping[str, Any], spec: Mapping[str, Any]) -> str | None:
    bad = [str(mapping(v).get("name")) for v in sequence(spec.get("volumes")) if mapping(v).get("hostPath") is not None]
    return f"volumes {_names(bad)} use hostPath; use emptyDir, a configMap or a PVC" if bad else None


def _host_ports(metadata: Mapping[str, Any], spec: Mapping[str, Any]) -> str | None:
    bad = []
    for label, container in containers(spec):
        for port in sequence(container.get("ports")):
            host_port = mapping(port).get("hostPort")
            if isinstance(host_port, (int, float)) and host_port != 0:
                bad.append(f"{label} hostPort {int(host_port)}")
    return f"{_names(bad)}: remove hostPort" if bad else None


def _apparmor(metadata: Mapping[str, Any], spec: Mapping[str, Any]) -> str | None:
    def allowed_type(profile: Any) -> bool:
        kind = mapping(profile).get("type")
        return kind is None or kind in ("RuntimeDefault", "Localhost")

    bad = []
    if not allowed_type(mapping(spec.get("securityContext")).get("appArmorProfile")):
        bad.append("pod securityContext.appArmorProfile")
    bad += [
        f"{label} securityContext.appArmorProfile"
        for label, c in containers(spec)
        if not allowed_type(_security(c).get("appArmorProfile"))
    ]
    for key, value in mapping(metadata.get("annotations")).items():
        allowed = value == "runtime/default" or str(value).startswith("localhost/")
        if str(key).startswith(APPARMOR_ANNOTATION_PREFIX) and isinstance(value, str) and not allowed:
            bad.append(f"annotation {key}={value}")
    return f"{_names(bad)}: use RuntimeDefault or a Localhost profile" if bad else None


def _selinux(metadata: Mapping[str, Any], spec: Mapping[str, Any]) -> str | None:
    def problems(where: str, options: Any) -> list[str]:
        options = mapping(options)
        found = []
        kind = options.get("type")
        if isinstance(kind, str) and kind not in SELINUX_TYPES:
            found.append(f"{where} type {kind}")
        for field in ("user", "role"):
            if options.get(field):
                found.append(f"{where} {field}")
        return found

    bad = problems("pod seLinuxOptions", mapping(spec.get("securityContext")).get("seLinuxOptions"))
    for label, container in containers(spec):
        bad += problems(f"{label} seLinuxOptions", _security(container).get("seLinuxOptions"))
    return f"{_names(bad)}: use type container_t (or unset) and no user or role" if bad else None


def _proc_mount(spec: Mapping[str, Any]) -> list[str]:
    return [
        label
        for label, c in containers(spec)
        if isinstance(_security(c).get("procMount"), str) and _security(c)["procMount"] != "Default"
    ]


def _proc_mount_baseline(metadata: Mapping[str, Any], spec: Mapping[str, Any]) -> str | None:
    if spec.get("hostUsers") is False:  # a user-namespaced pod may unmask /proc (policy 1.34+)
        return None
    bad = _proc_mount(spec)
    return f"{_names(bad)}: set securityContext.procMount to Default" if bad else None


def _seccomp_baseline(metadata: Mapping[str, Any], spec: Mapping[str, Any]) -> str | None:
    def unconfined(context: Mapping[str, Any]) -> bool:
        return mapping(context.get("seccompProfile")).get("type") == "Unconfined"

    bad = ["pod"] if unconfined(mapping(spec.get("securityContext"))) else []
    bad += [label for label, c in containers(spec) if unconfined(_security(c))]
    return f"{_names(bad)}: seccompProfile must not be Unconfined" if bad else None


def _sysctls(metadata: Mapping[str, Any], spec: Mapping[str, Any]) -> str | None:
    names = [mapping(s).get("name") for s in sequence(mapping(spec.get("securityContext")).get("sysctls"))]
    bad = [str(name) for name in names if isinstance(name, str) and name not in SAFE_SYSCTLS]
    return f"sysctls {_names(bad)} are not in the safe set" if bad else None


def _windows_host_process(metadata: Mapping[str, Any], spec: Mapping[str, Any]) -> str | None:
    def host_process(context: Mapping[str, Any]) -> bool:
        return mapping(context.get("windowsOptions")).get("hostProcess") is True

    bad = ["pod"] if host_process(mapping(spec.get("securityContext"))) else []
    bad += [label for label, c in containers(spec) if host_process(_security(c))]
    return f"{_names(bad)}: set windowsOptions.hostProcess to false" if bad else None


def _host_probes_and_lifecycle(metadata: Mapping[str, Any], spec: Mapping[str, Any]) -> str | None:
    bad = []
    for label, container in containers(spec):
        handlers = {probe: container.get(probe) for probe in ("livenessProbe", "readinessProbe", "startupProbe")}
        lifecycle = mapping(container.get("lifecycle"))
        handlers.update({f"lifecycle.{hook}": lifecycle.get(hook) for hook in ("postStart", "preStop")})
        for where, handler in handlers.items():
            for action in ("httpGet", "tcpSocket"):
                if mapping(mapping(handler).get(action)).get("host"):
                    bad.append(f"{label} {where}.{action}.host")
    return f"{_names(bad)}: leave host unset (probes and hooks reach the pod itself)" if bad else None


# --- restricted ----------------------------------------------------------------------------


def _restricted_volumes(metadata: Mapping[str, Any], spec: Mapping[str, Any]) -> str | None:
    bad = []
    for volume in sequence(spec.get("volumes")):
        volume = mapping(volume)
        kinds = [key for key in volume if key != "name" and volume[key] is not None]
        if any(kind not in RESTRICTED_VOLUME_TYPES for kind in kinds):
            bad.append(f"{volume.get('name')} ({_names(kinds)})")
    allowed = ", ".join(sorted(RESTRICTED_VOLUME_TYPES))
    return f"volumes {_names(bad)}: use only {allowed}" if bad else None


def _allow_privilege_escalation(metadata: Mapping[str, Any], spec: Mapping[str, Any]) -> str | None:
    if _is_windows(spec):
        return None
    bad = [label for label, c in containers(spec) if _security(c).get("allowPrivilegeEscalation") is not False]
    return f"{_names(bad)}: set securityContext.allowPrivilegeEscalation to false" if bad else None


def _run_as_non_root(metadata: Mapping[str, Any], spec: Mapping[str, Any]) -> str | None:
    pod_level = mapping(spec.get("securityContext")).get("runAsNonRoot")
    bad = []
    for label, container in containers(spec):
        own = _security(container).get("runAsNonRoot")
        if own is False or (own is None and pod_level is not True):
            bad.append(label)
    if pod_level is False:
        bad.insert(0, "pod")
    return f"{_names(bad)}: set runAsNonRoot to true (in the pod's securityContext)" if bad else None


def _run_as_user(metadata: Mapping[str, Any], spec: Mapping[str, Any]) -> str | None:
    bad = ["pod"] if mapping(spec.get("securityContext")).get("runAsUser") == 0 else []
    bad += [label for label, c in containers(spec) if _security(c).get("runAsUser") == 0]
    return f"{_names(bad)}: runAsUser must not be 0 (root)" if bad else None


def _seccomp_restricted(metadata: Mapping[str, Any], spec: Mapping[str, Any]) -> str | None:
    if _is_windows(spec):
        return None

    def kind(context: Mapping[str, Any]) -> Any:
        return mapping(context.get("seccompProfile")).get("type")

    pod_kind = kind(mapping(spec.get("securityContext")))
    bad = ["pod"] if pod_kind not in (None, "RuntimeDefault", "Localhost") else []
    for label, container in containers(spec):
        own = kind(_security(container))
        if own is None:
            if pod_kind is None:
                bad.append(label)
        elif own not in ("RuntimeDefault", "Localhost"):
            bad.append(label)
    return f"{_names(bad)}: set seccompProfile.type to RuntimeDefault or Localhost" if bad else None


def _capabilities_restricted(metadata: Mapping[str, Any], spec: Mapping[str, Any]) -> str | None:
    if _is_windows(spec):
        return None
    bad = []
    for label, container in containers(spec):
        capabilities = mapping(_security(container).get("capabilities"))
        if "ALL" not in sequence(capabilities.get("drop")):
            bad.append(f"{label} does not drop ALL")
        extra = [str(cap) for cap in sequence(capabilities.get("add")) if cap != "NET_BIND_SERVICE"]
        if extra:
            bad.append(f"{label} adds {_names(extra)}")
    return f"{'; '.join(bad)}: drop ALL and add at most NET_BIND_SERVICE" if bad else None


def _proc_mount_restricted(metadata: Mapping[str, Any], spec: Mapping[str, Any]) -> str | None:
    bad = _proc_mount(spec)
    return f"{_names(bad)}: set securityContext.procMount to Default" if bad else None


CHECKS: dict[str, tuple[Level, Any]] = {
    "hostNamespaces": ("baseline", _host_namespaces),
    "privileged": ("baseline", _privileged),
    "capabilities_baseline": ("baseline", _capabilities_baseline),
    "hostPathVolumes": ("baseline", _host_path_volumes),
    "hostPorts": ("baseline", _host_ports),
    "appArmorProfile": ("baseline", _apparmor),
    "seLinuxOptions": ("baseline", _selinux),
    "procMount": ("baseline", _proc_mount_baseline),
    "seccompProfile_baseline": ("baseline", _seccomp_baseline),
    "sysctls": ("baseline", _sysctls),
    "windowsHostProcess": ("baseline", _windows_host_process),
    "hostProbesAndHostLifecycle": ("baseline", _host_probes_and_lifecycle),
    "restrictedVolumes": ("restricted", _restricted_volumes),
    "allowPrivilegeEscalation": ("restricted", _allow_privilege_escalation),
    "runAsNonRoot": ("restricted", _run_as_non_root),
    "runAsUser": ("restricted", _run_as_user),
    "seccompProfile_restricted": ("restricted", _seccomp_restricted),
    "capabilities_restricted": ("restricted", _capabilities_restricted),
    "procMount_restricted": ("restricted", _proc_mount_restricted),
}


def violations(
    metadata: Mapping[str, Any], spec: Mapping[str, Any], level: Level = "restricted"
) -> list[PodSecurityViolation]:
    """What keeps a pod (its metadata and spec) out of a namespace enforcing `level`.

    `restricted` includes every baseline check, as in Kubernetes.
    """
    found = []
    for check, (check_level, function) in CHECKS.items():
        if level == "baseline" and check_level == "restricted":
            continue
        detail = function(mapping(metadata), mapping(spec))
        if detail is not None:
            found.append(PodSecurityViolation(check=check, level=check_level, detail=detail))
    return found


# Where each workload kind keeps its pod template: (metadata path, spec path).
POD_TEMPLATE_PATHS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Pod": (("metadata",), ("spec",)),
    "PodTemplate": (("template", "metadata"), ("template", "spec")),
    "Deployment": (("spec", "template", "metadata"), ("spec", "template", "spec")),
    "StatefulSet": (("spec", "template", "metadata"), ("spec", "template", "spec")),
    "DaemonSet": (("spec", "template", "metadata"), ("spec", "template", "spec")),
    "ReplicaSet": (("spec", "template", "metadata"), ("spec", "template", "spec")),
    "ReplicationController": (("spec", "template", "metadata"), ("spec", "template", "spec")),
    "Job": (("spec", "template", "metadata"), ("spec", "template", "spec")),
    "CronJob": (
        ("spec", "jobTemplate", "spec", "template", "metadata"),
        ("spec", "jobTemplate", "spec", "template", "spec"),
    ),
}


def pod_template(kind: str, document: Mapping[str, Any]) -> tuple[Mapping[str, Any], Mapping[str, Any]] | None:
    """(metadata, spec) of the pod a workload runs, or None for kinds that run no pods."""
    paths = POD_TEMPLATE_PATHS.get(kind)
    if paths is None:
        return None
    return mapping(at(document, *paths[0])), mapping(at(document, *paths[1]))

"""Pod Security Standards: the Kubernetes levels privileged, baseline and restricted.

The rules are those of the Pod Security Admission controller
(github.com/kubernetes/pod-security-admission, policy/check_*.go, latest
version of each check), named by its check IDs. They run on the loaded
manifest documents, not the model (the model does not carry pod-level
securityContext, probes' hosts and the like), so every violation names the
field and its line. Pure: no I/O.

- `--pod-security=privileged`: nothing is checked.
- `baseline`: the baseline rules are errors.
- `restricted`: the baseline and the restricted rules are errors.
- no level: one warning per pod listing the baseline rules that hand a
  container the host (`HOST_ACCESS`), and a warning at each field of the other
  baseline rules saying what it does (podcompose.podsecurity_warnings: a
  runtime's socket named, a hostPort only when published on every address).

Unlike the admission controller, no rule is relaxed for `hostUsers: false`
(podcompose does not create a user namespace, so the pod really runs as the
host's users) nor for `spec.os.name: windows` (podcompose runs Linux containers).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Iterator, Literal

from . import podsecurity_warnings
from .errors import ManifestError, Problem
from .load import Document, FieldPath, format_path
from .raw import POD_PATHS as POD_SPEC_PATHS
from .raw import get as _get
from .raw import items as _list
from .raw import mapping as _map

Level = Literal["privileged", "baseline", "restricted"]
LEVELS: tuple[str, ...] = ("privileged", "baseline", "restricted")
ENV = "PODCOMPOSE_POD_SECURITY"

CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")

# policy/check_capabilities_baseline.go
BASELINE_CAPABILITIES = frozenset({
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
    "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"})
# policy/check_sysctls.go (1.37)
SAFE_SYSCTLS = frozenset({
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start", "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem",
    "net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"})
# policy/check_seLinuxOptions.go (1.31)
SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"})
# policy/check_seccompProfile_*.go, policy/check_appArmorProfile.go
PROFILE_TYPES = frozenset({"RuntimeDefault", "Localhost"})
APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"
# policy/check_restrictedVolumes.go
RESTRICTED_VOLUME_SOURCES = frozenset({
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image", "persistentVolumeClaim", "projected",
    "secret"})
# the baseline rules that hand a container the host: warned about when no level is chosen
HOST_ACCESS = frozenset({"privileged", "hostPathVolumes", "hostNamespaces", "capabilities_baseline", "sysctls"})


@dataclass(frozen=True)
class Violation:
    rule: str                 # the Pod Security Admission check ID
    level: str                # baseline or restricted
    path: FieldPath           # the field, from the document's root
    message: str

    def problem(self, document: Document, severity: str = "error") -> Problem:
        text = f"violates Pod Security Standard {self.level} (rule {self.rule}): {self.message}"
        return document.problem(self.path, text, severity=severity)


def level_from_env() -> str | None:
    return os.environ.get(ENV) or None


def check_level(level: str | None) -> str | None:
    """`level` if it is one of LEVELS (or None); else a usage error."""
    if level is None or level == "":
        return None
    if level not in LEVELS:
        from .errors import UsageError
        raise UsageError(f"--pod-security (or ${ENV}) takes {', '.join(LEVELS)}, not {level!r}")
    return level


@dataclass(frozen=True)
class _Pod:
    spec: dict[str, Any]
    spec_path: FieldPath
    metadata: dict[str, Any]
    metadata_path: FieldPath

    def containers(self) -> Iterator[tuple[FieldPath, str, dict[str, Any]]]:
        """(path, name, container) of every init, app and ephemeral container."""
        for key in CONTAINER_LISTS:
            for i, container in enumerate(_list(self.spec.get(key))):
                if isinstance(container, dict):
                    yield self.spec_path + (key, i), str(container.get("name", f"#{i}")), container

    @property
    def security(self) -> dict[str, Any]:
        return _map(self.spec.get("securityContext"))

    @property
    def security_path(self) -> FieldPath:
        return self.spec_path + ("securityContext",)


def _pod_of(document: Document) -> _Pod | None:
    paths = POD_SPEC_PATHS.get(document.kind)
    if paths is None or not isinstance(document.data, dict):
        return None
    spec = _get(document.data, paths[0])
    if not isinstance(spec, dict):
        return None
    return _Pod(spec, paths[0], _map(_get(document.data, paths[1])), paths[1])


def _quote(items: Any) -> str:
    return ", ".join(f'"{i}"' for i in items)


# --- baseline ------------------------------------------------------------------------------

def _windows_host_process(pod: _Pod) -> Iterator[tuple[FieldPath, str]]:
    sources = [(pod.security_path, pod.security, "the pod")] + [
        (path + ("securityContext",), _map(c.get("securityContext")), f"container {name!r}")
        for path, name, c in pod.containers()]
    for path, security, who in sources:
        if _map(security.get("windowsOptions")).get("hostProcess") is True:
            yield path + ("windowsOptions", "hostProcess"), f"{who} must not set windowsOptions.hostProcess=true"


def _host_namespaces(pod: _Pod) -> Iterator[tuple[FieldPath, str]]:
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.spec.get(key) is True:
            yield pod.spec_path + (key,), f"{key}=true shares the host's namespace with the pod"


def _privileged(pod: _Pod) -> Iterator[tuple[FieldPath, str]]:
    for path, name, c in pod.containers():
        if _map(c.get("securityContext")).get("privileged") is True:
            yield path + ("securityContext", "privileged"), f"container {name!r} must not set privileged=true"


def _capabilities_baseline(pod: _Pod) -> Iterator[tuple[FieldPath, str]]:
    for path, name, c in pod.containers():
        added = _list(_map(_map(c.get("securityContext")).get("capabilities")).get("add"))
        for i, capability in enumerate(added):
            if str(capability) not in BASELINE_CAPABILITIES:
                yield (path + ("securityContext", "capabilities", "add", i),
                       f"container {name!r} must not add capability {str(capability)!r} "
                       f"(allowed: {', '.join(sorted(BASELINE_CAPABILITIES))})")


def _host_path_volumes(pod: _Pod) -> Iterator[tuple[FieldPath, str]]:
    for i, volume in enumerate(_list(pod.spec.get("volumes"))):
        if isinstance(volume, dict) and volume.get("hostPath") is not None:
            yield (pod.spec_path + ("volumes", i, "hostPath"),
                   f"hostPath volume {str(volume.get('name'))!r} mounts the host's files into the pod")


def _host_ports(pod: _Pod) -> Iterator[tuple[FieldPath, str]]:
    for path, name, c in pod.containers():
        for i, port in enumerate(_list(c.get("ports"))):
            host_port = _map(port).get("hostPort")
            if host_port not in (None, 0):
                yield path + ("ports", i, "hostPort"), f"container {name!r} must not publish hostPort {host_port}"


def _app_armor(pod: _Pod) -> Iterator[tuple[FieldPath, str]]:
    sources = [(pod.security_path, pod.security, "the pod")] + [
        (path + ("securityContext",), _map(c.get("securityContext")), f"container {name!r}")
        for path, name, c in pod.containers()]
    for path, security, who in sources:
        profile = security.get("appArmorProfile")
        if isinstance(profile, dict) and profile.get("type") not in PROFILE_TYPES:
            yield (path + ("appArmorProfile", "type"),
                   f"{who} must not set AppArmor profile type {str(profile.get('type'))!r} "
                   f"(allowed: {_quote(sorted(PROFILE_TYPES))})")
    annotations = _map(pod.metadata.get("annotations"))
    for key, value in annotations.items():
        text = "" if value is None else str(value)
        if str(key).startswith(APPARMOR_ANNOTATION) and not (
                text in ("", "runtime/default") or text.startswith("localhost/")):
            yield (pod.metadata_path + ("annotations", key),
                   f"annotation {key}={text!r} sets a forbidden AppArmor profile "
                   "(allowed: runtime/default, localhost/*)")


def _se_linux(pod: _Pod) -> Iterator[tuple[FieldPath, str]]:
    sources = [(pod.security_path, pod.security, "the pod")] + [
        (path + ("securityContext",), _map(c.get("securityContext")), f"container {name!r}")
        for path, name, c in pod.containers()]
    for path, security, who in sources:
        options = security.get("seLinuxOptions")
        if not isinstance(options, dict):
            continue
        kind = options.get("type")
        if (kind or "") not in SELINUX_TYPES:
            yield (path + ("seLinuxOptions", "type"), f"{who} must not set SELinux type {str(kind)!r} "
                   f"(allowed: {_quote(sorted(t for t in SELINUX_TYPES if t))} or none)")
        for key in ("user", "role"):
            if options.get(key):
                yield path + ("seLinuxOptions", key), f"{who} must not set a SELinux {key}"


def _proc_mount(pod: _Pod) -> Iterator[tuple[FieldPath, str]]:
    for path, name, c in pod.containers():
        value = _map(c.get("securityContext")).get("procMount")
        if value is not None and value != "Default":
            yield (path + ("securityContext", "procMount"),
                   f"container {name!r} must not set procMount {str(value)!r} (allowed: \"Default\")")


def _seccomp_baseline(pod: _Pod) -> Iterator[tuple[FieldPath, str]]:
    sources = [(pod.security_path, pod.security, "the pod")] + [
        (path + ("securityContext",), _map(c.get("securityContext")), f"container {name!r}")
        for path, name, c in pod.containers()]
    for path, security, who in sources:
        profile = security.get("seccompProfile")
        if isinstance(profile, dict) and profile.get("type") not in PROFILE_TYPES:
            yield (path + ("seccompProfile", "type"),
                   f"{who} must not set seccompProfile type {str(profile.get('type'))!r} "
                   f"(allowed: {_quote(sorted(PROFILE_TYPES))})")


def _sysctls(pod: _Pod) -> Iterator[tuple[FieldPath, str]]:
    for i, sysctl in enumerate(_list(pod.security.get("sysctls"))):
        name = _map(sysctl).get("name")
        if str(name) not in SAFE_SYSCTLS:
            yield (pod.security_path + ("sysctls", i, "name"),
                   f"sysctl {str(name)!r} is not one of the {len(SAFE_SYSCTLS)} safe sysctls "
                   "(kernel.shm_rmid_forced and some net.ipv4.* ones)")


def _host_probes(pod: _Pod) -> Iterator[tuple[FieldPath, str]]:
    for path, name, c in pod.containers():
        handlers: list[tuple[FieldPath, Any]] = [((probe,), c.get(probe))
                                                 for probe in ("livenessProbe", "readinessProbe", "startupProbe")]
        lifecycle = _map(c.get("lifecycle"))
        handlers += [(("lifecycle", hook), lifecycle.get(hook)) for hook in ("postStart", "preStop")]
        for where, handler in handlers:
            for kind in ("httpGet", "tcpSocket"):
                host = _map(_map(handler).get(kind)).get("host")
                if host:
                    yield (path + where + (kind, "host"),
                           f"container {name!r} must not set {format_path(where + (kind, 'host'))} ({str(host)!r})")


# --- restricted ----------------------------------------------------------------------------

def _restricted_volumes(pod: _Pod) -> Iterator[tuple[FieldPath, str]]:
    for i, volume in enumerate(_list(pod.spec.get("volumes"))):
        for key, value in _map(volume).items():
            if key != "name" and value is not None and key not in RESTRICTED_VOLUME_SOURCES:
                yield (pod.spec_path + ("volumes", i, key),
                       f"volume {str(_map(volume).get('name'))!r} uses a {key} source "
                       f"(allowed: {', '.join(sorted(RESTRICTED_VOLUME_SOURCES))})")


def _allow_privilege_escalation(pod: _Pod) -> Iterator[tuple[FieldPath, str]]:
    for path, name, c in pod.containers():
        if _map(c.get("securityContext")).get("allowPrivilegeEscalation") is not False:
            yield (path + ("securityContext", "allowPrivilegeEscalation"),
                   f"container {name!r} must set securityContext.allowPrivilegeEscalation=false")


def _run_as_non_root(pod: _Pod) -> Iterator[tuple[FieldPath, str]]:
    pod_level = pod.security.get("runAsNonRoot")
    if pod_level is False:
        yield pod.security_path + ("runAsNonRoot",), "the pod must not set securityContext.runAsNonRoot=false"
    for path, name, c in pod.containers():
        value = _map(c.get("securityContext")).get("runAsNonRoot")
        if value is False:
            yield (path + ("securityContext", "runAsNonRoot"),
                   f"container {name!r} must not set securityContext.runAsNonRoot=false")
        elif value is None and pod_level is not True:
            yield (path + ("securityContext", "runAsNonRoot"),
                   f"the pod or container {name!r} must set securityContext.runAsNonRoot=true")


def _is_zero(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value == 0


def _run_as_user(pod: _Pod) -> Iterator[tuple[FieldPath, str]]:
    if _is_zero(pod.security.get("runAsUser")):
        yield pod.security_path + ("runAsUser",), "the pod must not set securityContext.runAsUser=0"
    for path, name, c in pod.containers():
        value = _map(c.get("securityContext")).get("runAsUser")
        if _is_zero(value):
            yield path + ("securityContext", "runAsUser"), f"container {name!r} must not set securityContext.runAsUser=0"


def _seccomp_restricted(pod: _Pod) -> Iterator[tuple[FieldPath, str]]:
    profile = pod.security.get("seccompProfile")
    pod_set = isinstance(profile, dict) and profile.get("type") in PROFILE_TYPES
    if isinstance(profile, dict) and not pod_set:
        yield (pod.security_path + ("seccompProfile", "type"),
               f"the pod must not set seccompProfile type {str(profile.get('type'))!r} "
               f"(allowed: {_quote(sorted(PROFILE_TYPES))})")
    for path, name, c in pod.containers():
        own = _map(c.get("securityContext")).get("seccompProfile")
        if isinstance(own, dict):
            if own.get("type") not in PROFILE_TYPES:
                yield (path + ("securityContext", "seccompProfile", "type"),
                       f"container {name!r} must not set seccompProfile type {str(own.get('type'))!r} "
                       f"(allowed: {_quote(sorted(PROFILE_TYPES))})")
        elif not pod_set:
            yield (path + ("securityContext", "seccompProfile", "type"),
                   f"the pod or container {name!r} must set securityContext.seccompProfile.type "
                   'to "RuntimeDefault" or "Localhost"')


def _capabilities_restricted(pod: _Pod) -> Iterator[tuple[FieldPath, str]]:
    for path, name, c in pod.containers():
        capabilities = _map(_map(c.get("securityContext")).get("capabilities"))
        if "ALL" not in [str(x) for x in _list(capabilities.get("drop"))]:
            yield (path + ("securityContext", "capabilities", "drop"),
                   f'container {name!r} must set securityContext.capabilities.drop=["ALL"]')
        for i, capability in enumerate(_list(capabilities.get("add"))):
            if str(capability) != "NET_BIND_SERVICE":
                yield (path + ("securityContext", "capabilities", "add", i),
                       f"container {name!r} must not add capability {str(capability)!r} "
                       '(allowed: "NET_BIND_SERVICE")')


# Each level's rules, in the order of the Pod Security Standards page.
BASELINE_RULES = (
    ("windowsHostProcess", _windows_host_process),
    ("hostNamespaces", _host_namespaces),
    ("privileged", _privileged),
    ("capabilities_baseline", _capabilities_baseline),
    ("hostPathVolumes", _host_path_volumes),
    ("hostPorts", _host_ports),
    ("hostProbesAndHostLifecycle", _host_probes),
    ("appArmorProfile", _app_armor),
    ("seLinuxOptions", _se_linux),
    ("procMount", _proc_mount),
    ("seccompProfile_baseline", _seccomp_baseline),
    ("sysctls", _sysctls),
)
RESTRICTED_RULES = (
    ("restrictedVolumes", _restricted_volumes),
    ("allowPrivilegeEscalation", _allow_privilege_escalation),
    ("runAsNonRoot", _run_as_non_root),
    ("runAsUser", _run_as_user),
    ("seccompProfile_restricted", _seccomp_restricted),
    ("capabilities_restricted", _capabilities_restricted),
)
RULES: dict[str, tuple[str, ...]] = {
    "privileged": (),
    "baseline": tuple(r for r, _ in BASELINE_RULES),
    "restricted": tuple(r for r, _ in BASELINE_RULES + RESTRICTED_RULES),
}


def violations(document: Document, level: str) -> list[Violation]:
    """Every rule of `level` that the pod (or pod template) of `document` breaks."""
    pod = _pod_of(document)
    if pod is None or level == "privileged":
        return []
    rules = [("baseline", r, f) for r, f in BASELINE_RULES]
    if level == "restricted":
        rules += [("restricted", r, f) for r, f in RESTRICTED_RULES]
    found: list[Violation] = []
    seen: set[FieldPath] = set()
    for rule_level, rule, check in rules:
        for path, message in check(pod):
            if rule_level == "restricted" and path in seen:
                continue   # a baseline rule already named this field (a hostPath, a capability beyond both sets)
            seen.add(path)
            found.append(Violation(rule, rule_level, path, message))
    return found


def check(documents: list[Document], level: str | None, host_ip: str | None = None) -> list[Problem]:
    """Errors for each violation of `level`; with no level, one warning per pod given host access and one at
    each other field the baseline forbids. `host_ip`: the address hostPorts without a hostIP are published on
    (`up --host-ip`; None: $PODCOMPOSE_HOST_IP; "" every address)."""
    if host_ip is None:
        host_ip = os.environ.get(podsecurity_warnings.HOST_IP_ENV, "")
    problems: list[Problem] = []
    for document in documents:
        if level is not None:
            found = [v.problem(document) for v in violations(document, level)]
            problems += sorted(found, key=lambda p: (p.location.line, p.location.column) if p.location else (0, 0))
            continue
        baseline = violations(document, "baseline")
        host = [v for v in baseline if v.rule in HOST_ACCESS]
        pod = _pod_of(document)
        if pod is not None:
            problems += podsecurity_warnings.field_warnings(
                document, [v for v in baseline if v.rule not in HOST_ACCESS], pod.spec_path, host_ip)
        if host:
            first = host[0]
            where = "; ".join(f"{v.rule}: {format_path(v.path)} (line {document.location(v.path).line})"
                              for v in host)
            kind = "pod" if document.kind == "Pod" else f"{document.kind.lower()} pod template"
            problems.append(document.problem(
                first.path,
                f"{kind} {document.name} is given access to the host, which the baseline Pod Security Standard "
                f"forbids ({where}); it runs as written: refuse such pods with --pod-security=baseline",
                severity="warning"))
    return problems


def require(documents: list[Document], level: str | None, host_ip: str | None = None) -> list[Problem]:
    """The warnings of `check`; ManifestError when the pods break `level`."""
    problems = check(documents, check_level(level), host_ip)
    if any(p.severity == "error" for p in problems):
        raise ManifestError(problems)
    return problems

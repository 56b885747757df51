"""Which Kubernetes fields podcompose honours: the one table behind notes and docs.

Each row names a field with a glob-ish path and one of three statuses:

- ``supported``: podcompose applies it;
- ``ignored``: valid Kubernetes that has no meaning on one Docker host (a note
  says so, with the reason);
- ``unsupported``: podcompose does not implement it yet (a warning says so).

To flip a field, edit its one line. Pod rows start with ``spec.`` and apply to
a Pod's spec and to ``spec.template.spec`` of a Deployment, ReplicaSet, StatefulSet,
DaemonSet or Job. A row under
``spec.containers[*]`` also covers ``spec.initContainers[*]`` unless an
``spec.initContainers[*]...`` row says otherwise.

How a row covers the fields below it: if other rows sit under a supported row
(``spec.containers[*].name`` under ``spec.containers``), its sub-fields are
listed one by one and any sub-field not listed is unsupported; if none do, the
whole subtree is supported. ``ignored`` and ``unsupported`` rows always cover
their subtree. A field whose value equals the row's ``default`` (or is null or
empty) is not reported: it changes nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterator, Literal

Status = Literal["supported", "ignored", "unsupported"]
SUPPORTED: Status = "supported"
IGNORED: Status = "ignored"
UNSUPPORTED: Status = "unsupported"
_NO_DEFAULT = object()
DEFAULT_UNSUPPORTED_REASON = "podcompose does not implement it yet"

NO_SCHEDULER = "no meaning on a single Docker host (no scheduler)"
NO_API_SERVER = "no meaning without an API server"
# The controllers' own behaviour over time (scaling, rollouts, ordering, readiness gating) is a later issue:
NO_CONTROLLER = ("no controller loop yet: `up` makes every pod at once and recreates a changed one; "
                 "rollouts, ordering and readiness gating are planned with controller support")
NO_HISTORY = "no ControllerRevision history without an API server"
NO_JOB_CONTROLLER = "no Job controller yet (planned with controller support): the template's pod runs once"


@dataclass(frozen=True)
class Field:
    path: str
    status: Status
    reason: str = ""
    default: Any = _NO_DEFAULT


def S(path: str, note: str = "") -> Field:
    return Field(path, SUPPORTED, note)


def I(path: str, reason: str, default: Any = _NO_DEFAULT) -> Field:  # noqa: E743 - reads as a table
    return Field(path, IGNORED, reason, default)


def U(path: str, reason: str = DEFAULT_UNSUPPORTED_REASON, default: Any = _NO_DEFAULT) -> Field:
    return Field(path, UNSUPPORTED, reason, default)


C = "spec.containers[*]"

POD_FIELDS: tuple[Field, ...] = (
    # --- pod ---
    S("spec.containers"),
    S("spec.initContainers"),
    S("spec.volumes"),
    S("spec.restartPolicy"),
    S("spec.terminationGracePeriodSeconds"),
    S("spec.shareProcessNamespace"),
    S("spec.hostNetwork"),
    S("spec.hostname"),
    S("spec.subdomain", "/etc/hosts names the pod <hostname>.<subdomain>.<namespace>.svc.cluster.local; no cluster "
      "DNS publishes that name to other pods"),
    I("spec.nodeSelector", NO_SCHEDULER),
    I("spec.affinity", NO_SCHEDULER),
    I("spec.tolerations", NO_SCHEDULER),
    I("spec.topologySpreadConstraints", NO_SCHEDULER),
    I("spec.nodeName", "one Docker host is the only node"),
    I("spec.schedulerName", NO_SCHEDULER),
    I("spec.schedulingGates", "no scheduler: the pod is started at once"),
    I("spec.schedulingGroup", NO_SCHEDULER),
    I("spec.priorityClassName", "no scheduler or eviction on one host"),
    I("spec.priority", "no scheduler or eviction on one host"),
    I("spec.preemptionPolicy", "no scheduler or eviction on one host"),
    I("spec.evictionResponders", "no eviction on one host"),
    I("spec.overhead", "set by RuntimeClass admission in a cluster; no meaning on one host"),
    I("spec.runtimeClassName", "the Docker daemon's default runtime is used"),
    I("spec.readinessGates", "no controllers watch pod conditions on one host"),
    I("spec.serviceAccountName", NO_API_SERVER + ": no token is mounted"),
    I("spec.serviceAccount", NO_API_SERVER + ": no token is mounted"),
    I("spec.automountServiceAccountToken", NO_API_SERVER + ": no token is mounted"),
    I("spec.enableServiceLinks", "podcompose injects no Service environment variables", default=False),
    I("spec.imagePullSecrets", "no registry authentication yet: Docker's own login (docker login) is used"),
    I("spec.os", "Linux containers on the local Docker Engine", default={"name": "linux"}),
    S("spec.dnsPolicy", "no cluster DNS on one host: ClusterFirst and ClusterFirstWithHostNet fall back to Default "
      "(the host's resolver, as Docker filters it), as a kubelet without a cluster DNS server does; None starts empty"),
    S("spec.dnsConfig", "appended to the policy's resolver (duplicates dropped, options merged), as the kubelet does"),
    S("spec.activeDeadlineSeconds"),
    S("spec.hostAliases", "written as the kubelet writes them, after a '# Entries added by HostAliases.' line"),
    S("spec.hostIPC"),
    S("spec.hostPID"),
    U("spec.hostUsers", "per-pod user namespaces are not set up (Docker's userns-remap is daemon-wide)",
      default=True),
    S("spec.hostnameOverride", "the hostname (no domain: subdomain then names no FQDN in /etc/hosts); refused "
      "with setHostnameAsFQDN or hostNetwork"),
    S("spec.setHostnameAsFQDN"),
    S("spec.securityContext"),
    S("spec.securityContext.runAsUser"),
    S("spec.securityContext.runAsGroup"),
    S("spec.securityContext.runAsNonRoot", "checked against the image's user before the container is created"),
    S("spec.securityContext.supplementalGroups"),
    S("spec.securityContext.supplementalGroupsPolicy", "the image's /etc/passwd and /etc/group are read (from a "
      "never-started container of it) and each container gets an explicit uid:gid and group list: Merge adds the "
      "groups /etc/group lists its user in, Strict none"),
    S("spec.securityContext.fsGroup", "owns emptyDir, configMap, secret, downwardAPI and projected volumes "
      "(setgid directories) and joins each container's groups"),
    S("spec.securityContext.fsGroupChangePolicy", "each volume is new when the pod is made, so both policies set "
      "the ownership once"),
    S("spec.securityContext.sysctls", "set on the pause container, whose namespaces the pod shares"),
    S("spec.securityContext.seccompProfile", "Localhost reads <localhostProfile> under /var/lib/kubelet/seccomp "
      "($PODCOMPOSE_SECCOMP_ROOT)"),
    S("spec.securityContext.appArmorProfile", "applied where the host has AppArmor"),
    S("spec.securityContext.seLinuxOptions", "applied where the Docker daemon runs with SELinux"),
    U("spec.securityContext.seLinuxChangePolicy", "no SELinux relabelling of volumes"),
    U("spec.securityContext.windowsOptions", "Linux containers only"),
    S("spec.resources", "cpu and memory: a pod cgroup (Docker's cgroup_parent, under podcompose/ in each "
      "hierarchy) holds the pod's limits and its CPU shares, and every container of the pod; a container with no "
      "limit of its own gets the pod's, and the QoS class comes from the pod's resources. On cgroup v1 a kubelet "
      "refuses such a pod (the feature is cgroup v2 only); podcompose applies the same limits there. Needs "
      "Docker's cgroupfs driver"),
    S("spec.resources.limits"),
    S("spec.resources.requests"),
    U("spec.resources.claims", "dynamic resource allocation has no driver on one Docker host (and Kubernetes "
      "forbids claims at pod level)"),
    U("spec.resourceClaims", "no dynamic resource allocation"),
    U("spec.ephemeralContainers", "ephemeral containers are added by kubectl debug, not in manifests"),
    # --- volumes ---
    S("spec.volumes[*].name"),
    S("spec.volumes[*].emptyDir"),
    S("spec.volumes[*].emptyDir.medium"),
    S("spec.volumes[*].emptyDir.sizeLimit"),
    S("spec.volumes[*].emptyDir.mode", "the volume directory's mode (a Memory one's tmpfs root too); fsGroup's "
      "group bits and setgid are added over it, as the kubelet adds them"),
    S("spec.volumes[*].configMap"),
    S("spec.volumes[*].secret"),
    S("spec.volumes[*].hostPath"),
    S("spec.volumes[*].downwardAPI", "a tmpfs written when the pod is made: later label or annotation changes "
      "recreate the pod"),
    S("spec.volumes[*].projected", "configMap, secret, downwardAPI sources; serviceAccountToken writes a fake, "
      "unsigned token (no API server); clusterTrustBundle and podCertificate are refused"),
    S("spec.volumes[*].persistentVolumeClaim", "a named Docker volume <namespace>_PVC_<claim>, kept after down "
      "(down --volumes removes it); a claim not among the documents is made on first use"),
    S("spec.volumes[*].ephemeral", "a per-pod named volume, removed with the pod (the claim template's size and "
      "class are not applied)"),
    S("spec.volumes[*].image", "read-only and noexec as a kubelet mounts it; on Docker 28+ (API 1.48) an image "
      "mount, before that the image's file system copied into a volume of the pod when it starts (a subPath "
      "staged on an engine without volume subpaths is read-only but not noexec)"),
    # --- containers (init containers too) ---
    S(f"{C}.name"),
    S(f"{C}.image"),
    S(f"{C}.command"),
    S(f"{C}.args"),
    S(f"{C}.workingDir"),
    S(f"{C}.env"),
    S(f"{C}.env[*].name"),
    S(f"{C}.env[*].value"),
    S(f"{C}.env[*].valueFrom"),
    S(f"{C}.env[*].valueFrom.configMapKeyRef"),
    S(f"{C}.env[*].valueFrom.secretKeyRef"),
    S(f"{C}.env[*].valueFrom.fieldRef", "every field of the downward API; status.podIP is the pause container's "
      "address, spec.nodeName is localhost"),
    S(f"{C}.env[*].valueFrom.resourceFieldRef", "with divisor, rounded up as the kubelet does; an unset limit is "
      "the Docker host's cores, memory or disk"),
    S(f"{C}.env[*].valueFrom.fileKeyRef", "read at container start from the emptyDir's directory on this host, "
      "in the kubelet's syntax (KEY='value'; 64 KiB at most); a missing file or key keeps the container waiting "
      "(CreateContainerConfigError, tried again every 10 s)"),
    S(f"{C}.envFrom"),
    S(f"{C}.ports"),
    S(f"{C}.volumeMounts"),
    S(f"{C}.volumeMounts[*].name"),
    S(f"{C}.volumeMounts[*].mountPath"),
    S(f"{C}.volumeMounts[*].readOnly"),
    S(f"{C}.volumeMounts[*].subPath"),
    S(f"{C}.volumeMounts[*].subPathExpr"),
    S(f"{C}.volumeMounts[*].mountPropagation", "on hostPath binds: None rprivate, HostToContainer rslave, "
      "Bidirectional rshared (privileged only); the host path must be on a shared mount"),
    S(f"{C}.volumeMounts[*].recursiveReadOnly", "on Docker 25+ (API 1.44) Enabled forces a recursively read-only "
      "bind and Disabled keeps it non-recursive; an older engine cannot make one: Enabled is refused before anything "
      "is made (as a kubelet on such a runtime), IfPossible gives a plain read-only mount"),
    U(f"{C}.volumeMounts[*].bindMountOptions", "Docker 20.10's mount API takes no noexec, nodev or nosuid for a bind "
      "or volume mount (only for tmpfs): the options would be dropped silently"),
    S(f"{C}.imagePullPolicy"),
    S(f"{C}.resources"),
    S(f"{C}.resources.limits"),
    S(f"{C}.resources.limits.cpu"),
    S(f"{C}.resources.limits.memory"),
    S(f"{C}.resources.requests", "cpu sets CPU shares (the kubelet's 1024 per CPU, at least 2); cpu and memory "
      "give the QoS class shown by describe"),
    S(f"{C}.resources.requests.cpu"),
    S(f"{C}.resources.requests.memory"),
    U(f"{C}.resources.claims", "a claim names a spec.resourceClaims device, allocated by a DRA driver through an "
      "API server: none on one Docker host"),
    S(f"{C}.securityContext"),
    S(f"{C}.securityContext.runAsUser"),
    S(f"{C}.securityContext.runAsGroup"),
    S(f"{C}.securityContext.privileged"),
    S(f"{C}.securityContext.readOnlyRootFilesystem"),
    S(f"{C}.securityContext.capabilities"),
    S(f"{C}.securityContext.runAsNonRoot", "checked against the image's user before the container is created"),
    S(f"{C}.securityContext.allowPrivilegeEscalation", "false sets no-new-privileges"),
    S(f"{C}.securityContext.procMount", "Unmasked (with hostUsers: false) leaves no /proc path masked or read-only"),
    S(f"{C}.securityContext.seccompProfile", "unset or RuntimeDefault: Docker's default profile; Localhost reads "
      "<localhostProfile> under /var/lib/kubelet/seccomp ($PODCOMPOSE_SECCOMP_ROOT)"),
    S(f"{C}.securityContext.appArmorProfile", "applied where the host has AppArmor"),
    S(f"{C}.securityContext.seLinuxOptions", "applied where the Docker daemon runs with SELinux"),
    U(f"{C}.securityContext.windowsOptions", "Linux containers only"),
    S(f"{C}.stdin"),
    S(f"{C}.tty"),
    S(f"{C}.stdinOnce", "Docker's StdinOnce: stdin closes when the first attached client (docker attach) "
      "detaches; with stdin false it does nothing, as in Kubernetes"),
    S(f"{C}.livenessProbe"),
    S(f"{C}.readinessProbe"),
    S(f"{C}.startupProbe"),
    S(f"{C}.lifecycle"),
    U(f"{C}.restartPolicy", "Kubernetes allows a container restartPolicy on init containers (sidecars) only"),
    U(f"{C}.restartPolicyRules", "restart rules (KEP-5307) go with a container-level restartPolicy, which only "
      "sidecars have here: the pod's restartPolicy decides every other container's restarts"),
    U(f"{C}.resizePolicy", "in-place resize does not apply: podcompose recreates a changed pod"),
    S(f"{C}.terminationMessagePath", "a per-attempt root-only host file on its own 4 KiB tmpfs under "
      "/run/podcompose/termination, shown as the message of an exited container by ps -o json and describe"),
    S(f"{C}.terminationMessagePolicy", "FallbackToLogsOnError: a failed container's last 80 log lines (2048 bytes) "
      "when the file is empty"),
    U(f"{C}.volumeDevices", "a raw block device comes from a claim with volumeMode: Block; a podcompose claim is a "
      "Docker volume, a file system"),
    S("spec.initContainers[*].restartPolicy"),
)

WORKLOAD_FIELDS: dict[str, tuple[Field, ...]] = {
    "Deployment": (
        S("spec.selector"),
        S("spec.template"),
        S("spec.replicas"),
        I("spec.strategy", "no rolling updates: a changed pod is recreated"),
        I("spec.minReadySeconds", "no rollouts on one host"),
        I("spec.revisionHistoryLimit", "no ReplicaSet history on one host"),
        I("spec.progressDeadlineSeconds", "no rollouts on one host"),
        U("spec.paused", NO_CONTROLLER + " (a paused Deployment's pods are still made)", default=False),
    ),
    "ReplicaSet": (
        S("spec.selector"),
        S("spec.template"),
        S("spec.replicas", "pods <name>-0 .. <name>-<replicas-1> (a cluster adds random suffixes; podcompose needs "
          "names a second up and down -f find again)"),
        U("spec.minReadySeconds", NO_CONTROLLER, default=0),
    ),
    "StatefulSet": (
        S("spec.selector"),
        S("spec.template", "each pod gets hostname <name>-<ordinal> and the labels "
          "statefulset.kubernetes.io/pod-name and apps.kubernetes.io/pod-index"),
        S("spec.replicas", "pods <name>-<ordinal>, started together"),
        S("spec.ordinals"),
        S("spec.serviceName", "the pods' subdomain; no headless Service publishes their names"),
        S("spec.volumeClaimTemplates", "per pod, claim <template>-<name>-<ordinal>: a named Docker volume kept "
          "after down (down --volumes removes it); size and class are not applied"),
        U("spec.podManagementPolicy", NO_CONTROLLER + " (the pods start together, as with Parallel)",
          default="OrderedReady"),
        U("spec.updateStrategy", NO_CONTROLLER, default={"type": "RollingUpdate"}),
        U("spec.minReadySeconds", NO_CONTROLLER, default=0),
        U("spec.persistentVolumeClaimRetentionPolicy", NO_CONTROLLER + " (claims are retained: down --volumes "
          "removes them)", default={"whenDeleted": "Retain", "whenScaled": "Retain"}),
        I("spec.revisionHistoryLimit", NO_HISTORY),
    ),
    "DaemonSet": (
        S("spec.selector"),
        S("spec.template", "one Docker host is one node: one pod, named after the DaemonSet"),
        U("spec.updateStrategy", NO_CONTROLLER, default={"type": "RollingUpdate"}),
        U("spec.minReadySeconds", NO_CONTROLLER, default=0),
        I("spec.revisionHistoryLimit", NO_HISTORY),
    ),
    "Job": (
        S("spec.template"),
        I("spec.selector", "the pod is found by podcompose's own labels"),
        I("spec.manualSelector", "the pod is found by podcompose's own labels"),
        U("spec.backoffLimit", NO_JOB_CONTROLLER + ", a failed one is not replaced", default=6),
        U("spec.completions", NO_JOB_CONTROLLER, default=1),
        U("spec.parallelism", NO_JOB_CONTROLLER, default=1),
        S("spec.activeDeadlineSeconds", "the Job's one pod starts with the Job: it gets the deadline (or its own, "
          "when sooner) and ends Failed (DeadlineExceeded)"),
        U("spec.ttlSecondsAfterFinished", NO_JOB_CONTROLLER + " and is kept until down"),
        U("spec.completionMode", NO_JOB_CONTROLLER, default="NonIndexed"),
        U("spec.backoffLimitPerIndex", NO_JOB_CONTROLLER),
        U("spec.maxFailedIndexes", NO_JOB_CONTROLLER),
        U("spec.podFailurePolicy", NO_JOB_CONTROLLER),
        U("spec.successPolicy", NO_JOB_CONTROLLER),
        U("spec.suspend", NO_JOB_CONTROLLER + ", suspended or not", default=False),
        U("spec.podReplacementPolicy", NO_JOB_CONTROLLER),
        I("spec.managedBy", "podcompose is the only controller"),
        U("spec.scheduling", NO_JOB_CONTROLLER),
    ),
}

_INIT = "spec.initContainers[*]"


@lru_cache(maxsize=None)
def _index(kind: str) -> tuple[dict[str, Field], frozenset[str]]:
    fields = WORKLOAD_FIELDS.get(kind, ()) if kind else POD_FIELDS
    by_path = {f.path: f for f in fields}
    parents: set[str] = {"spec"}
    for path in by_path:
        for cut in range(len(path)):
            if path[cut] in ".[":
                parents.add(path[:cut])
    return by_path, frozenset(parents)


def _alternatives(glob: str) -> tuple[str, ...]:
    if glob.startswith(_INIT):
        return glob, "spec.containers[*]" + glob[len(_INIT):]
    return (glob,)


def lookup(glob: str, kind: str = "") -> Field | None:
    """The row for a glob path: pod fields when `kind` is empty, else that kind's own."""
    by_path, _ = _index(kind)
    for candidate in _alternatives(glob):
        if candidate in by_path:
            return by_path[candidate]
    return None


def _lists_children(glob: str, kind: str) -> bool:
    _, parents = _index(kind)
    return any(candidate in parents for candidate in _alternatives(glob))


def _no_effect(value: Any, row: Field) -> bool:
    return value is None or value in ({}, [], "") or (row.default is not _NO_DEFAULT and value == row.default)


Path = tuple[str | int, ...]


def review(spec: Any, base: Path, *, kind: str = "",
           skip: frozenset[Path] = frozenset()) -> Iterator[tuple[Path, Field]]:
    """(path, row) for each ignored or unsupported field used under `spec`.

    `base` is the real path of `spec` in its document (``("spec",)`` for a Pod,
    ``("spec", "template", "spec")`` for a Deployment's pod). With `kind` set,
    the rows of that workload kind are used instead of the pod rows. Paths in
    `skip` (unknown fields, already reported) are passed over.
    """
    yield from _visit(spec, base, "spec", kind, skip)


def _visit(value: Any, real: Path, glob: str, kind: str, skip: frozenset[Path]) -> Iterator[tuple[Path, Field]]:
    if isinstance(value, list):
        for i, item in enumerate(value):
            yield from _visit(item, real + (i,), glob + "[*]", kind, skip)
        return
    if not isinstance(value, dict):
        return
    for key, child in value.items():
        child_real, child_glob = real + (key,), f"{glob}.{key}"
        if child_real in skip:
            continue
        row = lookup(child_glob, kind) or U(child_glob)
        if row.status != SUPPORTED:
            if not _no_effect(child, row):
                yield child_real, row
        elif _lists_children(child_glob, kind):
            yield from _visit(child, child_real, child_glob, kind, skip)


def message(row: Field, path_text: str) -> str:
    """The text of the note or warning for a used field."""
    if row.status == IGNORED:
        return f"ignored: {path_text}: {row.reason}"
    reason = f" ({row.reason})" if row.reason and row.reason != DEFAULT_UNSUPPORTED_REASON else ""
    return f"not supported yet: {path_text} will not be applied{reason}"


_STATUS_TEXT = {SUPPORTED: "supported", IGNORED: "ignored", UNSUPPORTED: "not yet"}


def markdown_table() -> str:
    """The README's field table, generated from the rows above."""
    lines = ["| Field | Status | Notes |", "| --- | --- | --- |"]
    lines += [_row(f.path, f) for f in POD_FIELDS]
    for kind, fields in WORKLOAD_FIELDS.items():
        lines += [_row(f"{kind} {f.path}", f) for f in fields]
    lines.append("")
    lines.append("Pod rows apply to a Pod's `spec` and to the `spec.template.spec` of a Deployment, ReplicaSet, "
                 "StatefulSet, DaemonSet or Job; "
                 "`spec.containers[*]` rows also cover init containers. A field not listed is not supported "
                 "yet: podcompose warns when a manifest uses it.")
    return "\n".join(lines) + "\n"


def _row(path: str, row: Field) -> str:
    return f"| `{path}` | {_STATUS_TEXT[row.status]} | {row.reason} |"

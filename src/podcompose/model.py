"""The Pod model: frozen dataclasses with Kubernetes defaults applied.

`pods_from_documents` turns validated manifests (Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job) into
`Pod` objects (the builder is podcompose.model_build). Everything here is pure: no I/O, no Docker.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import MISSING, dataclass, field, replace
from enum import Enum
from typing import Any, Mapping

from . import raw, rules, workloads
from .defaults import DEFAULT_GRACE_SECONDS, DEFAULT_NAMESPACE, Role, namespace_or_default
from .errors import ManifestError
from .load import Document
from .probes_model import Lifecycle, Probe

__all__ = ["DEFAULT_GRACE_SECONDS", "DEFAULT_NAMESPACE", "Role"]


class VolumeKind(str, Enum):
    """The volume sources podcompose runs, by their field name in a pod's `volumes` (a closed set).

    A str: it equals, hashes and prints as its field name, so comparisons with text and the codec's
    output are those of the plain name."""

    EMPTY_DIR = "emptyDir"
    HOST_PATH = "hostPath"
    CONFIG_MAP = "configMap"
    SECRET = "secret"
    DOWNWARD_API = "downwardAPI"
    PROJECTED = "projected"
    PERSISTENT_VOLUME_CLAIM = "persistentVolumeClaim"
    EPHEMERAL = "ephemeral"
    IMAGE = "image"

    __hash__ = str.__hash__

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


@dataclass(frozen=True)
class Port:
    container_port: int
    protocol: str = "TCP"
    host_port: int | None = None
    host_ip: str = ""
    name: str = ""


@dataclass(frozen=True)
class VolumeMount:
    volume: str
    mount_path: str
    read_only: bool = False
    sub_path: str = ""
    propagation: str = ""     # mountPropagation: "", None, HostToContainer or Bidirectional
    recursive_read_only: str = ""   # recursiveReadOnly: "" (Disabled), IfPossible or Enabled


@dataclass(frozen=True)
class Volume:
    """A pod volume. `kind` names its source."""

    name: str
    kind: VolumeKind
    medium: str = ""                       # emptyDir: "" or "Memory"
    mode: int | None = None                # emptyDir: its directory's mode (Kubernetes' default 0777)
    size_limit_bytes: int | None = None    # emptyDir
    host_path: str = ""                    # hostPath
    host_path_type: str = ""
    fs_group: int | None = None            # pod securityContext.fsGroup, for volumes whose ownership the kubelet sets
    files: tuple[tuple[str, bytes, int], ...] = ()   # configMap/secret/downwardAPI/projected: (path, content, mode)
    # the files whose content holds the downward API's runtime placeholders (the pod's uid, a limit that is the
    # node's allocatable): only these are resolved; every other file is written byte for byte. Derived from the
    # spec the files already hash, so not hashed itself (a running pod keeps its hash).
    runtime_paths: tuple[str, ...] = field(default=(), metadata={"hashed": False})
    claim_name: str = ""                   # persistentVolumeClaim: the claim (a named volume of the namespace)
    claim_declared: bool = False           # ... given among the documents (else made on first use, with a note)
    read_only: bool = False                # persistentVolumeClaim readOnly
    image_reference: str = ""              # image: the image whose file system the volume is (read-only)
    image_pull_policy: str = ""            # image: pullPolicy, defaulted as a container's


@dataclass(frozen=True)
class SecurityContext:
    run_as_user: int | None = None
    run_as_group: int | None = None
    privileged: bool = False
    read_only_root_filesystem: bool = False
    add_capabilities: tuple[str, ...] = ()
    drop_capabilities: tuple[str, ...] = ()
    # The pod's securityContext merged in (podcompose.kubelet.merged_security): container wins.
    run_as_non_root: bool = False
    groups: tuple[int, ...] = ()                 # primary (runAsGroup), supplementalGroups, fsGroup
    groups_policy: str = "Merge"                 # supplementalGroupsPolicy: Merge adds the image's /etc/group ones
    allow_privilege_escalation: bool | None = None
    seccomp: str = ""                            # "", RuntimeDefault, Unconfined, or Localhost/<path>
    apparmor: str = ""                           # "", RuntimeDefault, Unconfined, or Localhost/<profile>
    selinux: tuple[tuple[str, str], ...] = ()    # seLinuxOptions: (user|role|type|level, value)
    proc_mount: str = ""                         # "", Default or Unmasked


@dataclass(frozen=True)
class Resources:
    cpu_limit_nano: int | None = None
    memory_limit_bytes: int | None = None
    cpu_request_milli: int | None = None         # requests default to limits, as the API server defaults them
    memory_request_bytes: int | None = None
    pids_limit: int | None = None                # pod level only (KEP-6063): the pod cgroup's pids.max

    @property
    def cpu_limit_milli(self) -> int | None:
        return None if self.cpu_limit_nano is None else -(-self.cpu_limit_nano // 1_000_000)


@dataclass(frozen=True)
class Container:
    name: str
    image: str
    role: Role
    command: tuple[str, ...] | None = None      # None keeps the image ENTRYPOINT
    args: tuple[str, ...] | None = None         # None keeps the image CMD (unless command is set)
    env: tuple[tuple[str, str], ...] = ()
    working_dir: str = ""
    ports: tuple[Port, ...] = ()
    volume_mounts: tuple[VolumeMount, ...] = ()
    image_pull_policy: str = "IfNotPresent"
    restart_policy: str = "Never"               # effective policy for this container
    resources: Resources = Resources()
    security: SecurityContext = SecurityContext()
    tty: bool = False
    stdin: bool = False
    stdin_once: bool = False                    # stdin closes when the first attached client detaches
    termination_message_path: str = "/dev/termination-log"
    termination_message_policy: str = "File"
    # Where values came from, for redaction (podcompose.redact): the env names whose values came
    # from a Secret (directly or through $(VAR) expansion), and command/args as they may be shown,
    # with each argument that expanded a secret variable left as written (None: same as command/args).
    secret_env: tuple[str, ...] = ()
    shown_command: tuple[str, ...] | None = None
    shown_args: tuple[str, ...] | None = None

    liveness_probe: Probe | None = None
    readiness_probe: Probe | None = None
    startup_probe: Probe | None = None
    lifecycle: Lifecycle = Lifecycle()

    def spec_hash(self) -> str:
        """A digest of this container's spec; each attempt is labelled with it (as the kubelet does)."""
        return _digest(_hashed(self))

@dataclass(frozen=True)
class Pod:
    name: str
    namespace: str
    containers: tuple[Container, ...]
    init_containers: tuple[Container, ...] = ()
    volumes: tuple[Volume, ...] = ()
    hostname: str = ""
    restart_policy: str = "Always"
    termination_grace_seconds: int = DEFAULT_GRACE_SECONDS
    share_process_namespace: bool = False
    host_network: bool = False
    labels: tuple[tuple[str, str], ...] = ()
    active_deadline_seconds: int | None = None
    source: str = ""
    host_ipc: bool = False
    host_pid: bool = False
    subdomain: str = ""
    set_hostname_as_fqdn: bool = False
    host_aliases: tuple[tuple[str, tuple[str, ...]], ...] = ()     # (ip, hostnames)
    dns_policy: str = "ClusterFirst"
    dns_config: bool = False                                       # spec.dnsConfig given
    dns_nameservers: tuple[str, ...] = ()
    dns_searches: tuple[str, ...] = ()
    dns_options: tuple[tuple[str, str | None], ...] = ()
    sysctls: tuple[tuple[str, str], ...] = ()
    fs_group_change_policy: str = ""
    qos_class: str = "BestEffort"
    resources: Resources | None = None     # spec.resources (pod-level), requests defaulted: the pod's cgroup
    uid: str = ""      # metadata.uid: given by `up` when it creates the pod (kept in the desired state), not hashed

    @property
    def all_containers(self) -> tuple[Container, ...]:
        return self.init_containers + self.containers

    @property
    def ports(self) -> tuple[Port, ...]:
        return tuple(p for c in self.all_containers for p in c.ports)

    def container(self, name: str) -> Container:
        for candidate in self.all_containers:
            if candidate.name == name:
                return candidate
        raise KeyError(name)

    def spec_hash(self) -> str:
        """A digest of everything that shapes the pod's Docker objects."""
        payload = _hashed(replace(self, source=""))
        payload.pop("uid", None)       # a new uid for the same spec changes nothing
        return _digest(payload)

    def sandbox_hash(self) -> str:
        """A digest of what the pause container and the pod's initialization are made of.

        When it changes the whole pod is recreated; a change to one app container or sidecar
        only restarts that container (its own `Container.spec_hash`)."""
        pod_level = _hashed(replace(self, source="", labels=(), containers=(), init_containers=()))
        pod_level.pop("uid", None)
        init = [c.spec_hash() for c in self.init_containers if c.role == "init"]
        return _digest({"pod": pod_level, "init": init})


def _hashed(value: Any) -> Any:
    """A model value as hash input, leaving out every field at its default: a podcompose that models a
    new field (with its default) still gives a running pod the same hashes, so an upgrade restarts nothing."""
    if hasattr(value, "__dataclass_fields__"):
        out = {}
        for f in value.__dataclass_fields__.values():
            item = getattr(value, f.name)
            if not f.metadata.get("hashed", True):
                continue
            if f.default is not MISSING and item == f.default:
                continue
            if f.default_factory is not MISSING and item == f.default_factory():
                continue
            out[f.name] = _hashed(item)
        return out
    if isinstance(value, (tuple, list)):
        return [_hashed(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _hashed(v) for k, v in value.items()}
    return value


def _digest(payload: Any) -> str:
    text = json.dumps(payload, sort_keys=True, default=_json_default)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes):
        return hashlib.sha256(value).hexdigest()
    raise TypeError(type(value).__name__)


def default_pull_policy(image: str) -> str:
    """Kubernetes: Always for `:latest` or no tag, IfNotPresent otherwise."""
    if "@" in image:
        return "IfNotPresent"
    last = image.rsplit("/", 1)[-1]
    if ":" not in last or last.endswith(":latest"):
        return "Always"
    return "IfNotPresent"


def override_image(image: str, overrides: Mapping[str, str]) -> str:
    """The image to run for `image` under `--image OLD=NEW` overrides.

    As kustomize's `images:`: OLD matches the exact reference, or, written
    without a tag, every tag of that name.
    """
    if image in overrides:
        return overrides[image]
    name = image.split("@", 1)[0]
    if ":" in name.rsplit("/", 1)[-1]:
        name = name.rsplit(":", 1)[0]
    return overrides.get(name, image)


def pod_names(documents: list[Document], namespace: str | None = None) -> list[tuple[str, str]]:
    """(namespace, name) of every pod the documents would run, without building them."""
    names: list[tuple[str, str]] = []
    for document in documents:
        ns = namespace or namespace_or_default(raw.mapping(document.data.get("metadata")).get("namespace"))
        if document.kind == "Pod":
            names.append((ns, document.name))
        elif document.kind == "Job":
            names.append((ns, document.name))
        elif document.kind == "DaemonSet":
            names.append((ns, workloads.daemon_pod_name(document.name)))
        elif document.kind in ("Deployment", "ReplicaSet"):
            replicas = _replicas(document)
            names.extend((ns, workloads.replica_pod_name(document.name, i)) for i in range(replicas))
        elif document.kind == "StatefulSet":
            names.extend((ns, workloads.stateful_pod_name(document.name, o)) for o in stateful_ordinals(document))
    return names



def stateful_ordinals(document: Document) -> range:
    start = workloads.ordinal_start(raw.mapping(document.data.get("spec")))
    return range(start, start + _replicas(document))



def _replicas(document: Document) -> int:
    """A Deployment's, ReplicaSet's or StatefulSet's replicas (1 when unset); a located ManifestError beyond
    podcompose's limit.

    `down -f` names pods from files it does not validate: `replicas: 100000000`
    must fail here, not build a hundred million names.
    """
    value = raw.mapping(document.data.get("spec")).get("replicas", 1)
    if value is None:
        return 1
    if not isinstance(value, int) or isinstance(value, bool):
        raise ManifestError([document.problem(("spec", "replicas"), "expected an integer")])
    problem = rules.replicas_error(value)
    if problem:
        raise ManifestError([document.problem(("spec", "replicas"), problem)])
    return value


"""The Pod model: frozen dataclasses with Kubernetes defaults applied.

`pods_from_documents` turns validated manifests (Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job) into
`Pod` objects. Everything here is pure: no I/O, no Docker.
"""
from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import MISSING, dataclass, field, replace
from typing import Any, Iterable, Literal, Mapping

from . import downward, envfile, kubelet, rules, workloads
from .errors import ManifestError, Problem
from .expand import expand, referenced
from .load import Document
from .probes_model import PROBE_FIELDS, HandlerError, Lifecycle, Probe, lifecycle_from_manifest, probe_from_manifest
from .quantity import cpu_to_nano, memory_to_bytes

Role = Literal["pause", "init", "sidecar", "app"]
DEFAULT_NAMESPACE = "default"
DEFAULT_GRACE_SECONDS = 30


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
    """A pod volume. `kind` names its source: emptyDir, configMap, secret, hostPath."""

    name: str
    kind: str
    medium: str = ""                       # emptyDir: "" or "Memory"
    mode: int | None = None                # emptyDir: its directory's mode (Kubernetes' default 0777)
    size_limit_bytes: int | None = None    # emptyDir
    host_path: str = ""                    # hostPath
    host_path_type: str = ""
    fs_group: int | None = None            # pod securityContext.fsGroup, for volumes whose ownership the kubelet sets
    files: tuple[tuple[str, bytes, int], ...] = ()   # configMap/secret/downwardAPI/projected: (path, content, mode)
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


@dataclass
class _Objects:
    """ConfigMaps and Secrets available to pods, by (namespace, name)."""

    config_maps: dict[tuple[str, str], dict[str, bytes]] = field(default_factory=dict)
    secrets: dict[tuple[str, str], dict[str, bytes]] = field(default_factory=dict)
    claims: set[tuple[str, str]] = field(default_factory=set)


def _namespace_of(data: Mapping[str, Any], override: str | None) -> str:
    if override:
        return override
    return str((data.get("metadata") or {}).get("namespace") or DEFAULT_NAMESPACE)


def _collect_objects(documents: Iterable[Document], namespace: str | None) -> _Objects:
    objects = _Objects()
    for document in documents:
        data = document.data
        key = (_namespace_of(data, namespace), document.name)
        if document.kind == "ConfigMap":
            entries = {k: str(v).encode() for k, v in (data.get("data") or {}).items()}
            for k, v in (data.get("binaryData") or {}).items():
                entries[k] = base64.b64decode(str(v))
            objects.config_maps[key] = entries
        elif document.kind == "Secret":
            entries = {k: base64.b64decode(str(v)) for k, v in (data.get("data") or {}).items()}
            for k, v in (data.get("stringData") or {}).items():
                entries[k] = str(v).encode()
            objects.secrets[key] = entries
        elif document.kind == "PersistentVolumeClaim":
            objects.claims.add(key)
    return objects


class _PodBuilder:
    """Builds one Pod from a pod spec, collecting problems with their lines."""

    def __init__(self, document: Document, spec_path: tuple[str | int, ...], name: str,
                 namespace: str, objects: _Objects, image_overrides: Mapping[str, str]) -> None:
        self.image_overrides = image_overrides
        self.document = document
        self.spec_path = spec_path
        self.name = name
        self.namespace = namespace
        self.objects = objects
        self.problems: list[Problem] = []
        self.facts = downward.PodFacts(name, namespace, {}, {})
        self.spec: Mapping[str, Any] = {}
        self.current: Mapping[str, Any] = {}     # the container whose env is being built

    def fail(self, path: tuple[str | int, ...], message: str) -> None:
        self.problems.append(self.document.problem(path, message))

    def lookup(self, kind: str, ref_name: str, path: tuple[str | int, ...],
               optional: bool) -> dict[str, bytes] | None:
        table = self.objects.config_maps if kind == "ConfigMap" else self.objects.secrets
        found = table.get((self.namespace, ref_name))
        if found is None and not optional:
            self.fail(path, f"{kind} {ref_name!r} is not defined in the loaded files")
        return found

    def build(self, spec: Mapping[str, Any], metadata: Mapping[str, Any]) -> Pod:
        restart_policy = str(spec.get("restartPolicy") or "Always")
        self.pod_security = spec.get("securityContext") or {}
        self.spec = spec
        self.facts = downward.PodFacts(
            self.name, self.namespace, {str(k): str(v) for k, v in (metadata.get("labels") or {}).items()},
            {str(k): str(v) for k, v in (metadata.get("annotations") or {}).items()},
            str(spec.get("serviceAccountName") or spec.get("serviceAccount") or downward.DEFAULT_SERVICE_ACCOUNT))
        grace = spec.get("terminationGracePeriodSeconds")
        init = tuple(self.with_handlers(self.container(c, ("initContainers", i), restart_policy, init=True),
                                        c, ("initContainers", i))
                     for i, c in enumerate(spec.get("initContainers") or []))
        apps = tuple(self.with_handlers(self.container(c, ("containers", i), restart_policy, init=False),
                                        c, ("containers", i))
                     for i, c in enumerate(spec.get("containers") or []))
        deadline = spec.get("activeDeadlineSeconds")
        volumes = tuple(v for i, raw in enumerate(spec.get("volumes") or [])
                        if (v := self.volume(raw, ("volumes", i))) is not None)
        labels = tuple(sorted((str(k), str(v)) for k, v in (metadata.get("labels") or {}).items()))
        pod_security = self.pod_security
        fs_group = pod_security.get("fsGroup")
        if fs_group is not None:
            volumes = tuple(replace(v, fs_group=int(fs_group)) if v.kind in kubelet.OWNERSHIP_VOLUMES else v
                            for v in volumes)
        dns = spec.get("dnsConfig")
        qos = kubelet.qos_class(kubelet.ContainerResources(*_requests_and_limits(c.get("resources") or {}))
                                for key in ("initContainers", "containers") for c in spec.get(key) or [])
        pod_resources = self.pod_resources(spec)
        if pod_resources is not None:
            qos = kubelet.pod_qos_class(*pod_resources)
        pod_level = dict(
            host_ipc=bool(spec.get("hostIPC", False)),
            host_pid=bool(spec.get("hostPID", False)),
            subdomain="" if spec.get("hostnameOverride") else str(spec.get("subdomain") or ""),  # no domain then
            set_hostname_as_fqdn=bool(spec.get("setHostnameAsFQDN", False)),
            host_aliases=tuple((str(a.get("ip")), tuple(str(h) for h in a.get("hostnames") or ()))
                               for a in spec.get("hostAliases") or ()),
            dns_policy=str(spec.get("dnsPolicy") or "ClusterFirst"),
            dns_config=dns is not None,
            dns_nameservers=tuple(str(n) for n in (dns or {}).get("nameservers") or ()),
            dns_searches=tuple(str(n) for n in (dns or {}).get("searches") or ()),
            dns_options=tuple((str(o.get("name")), None if o.get("value") is None else str(o.get("value")))
                              for o in (dns or {}).get("options") or ()),
            sysctls=tuple((str(s.get("name")), str(s.get("value"))) for s in pod_security.get("sysctls") or ()),
            fs_group_change_policy=str(pod_security.get("fsGroupChangePolicy") or ""),
            qos_class=qos,
            resources=None if pod_resources is None else replace(
                _resources(pod_resources[1], pod_resources[0]), pids_limit=self.pids_limit(spec)),
        )
        return Pod(
            **pod_level,
            name=self.name,
            namespace=self.namespace,
            containers=apps,
            init_containers=init,
            volumes=volumes,
            hostname=kubelet.pod_hostname(self.name, str(spec.get("hostname") or ""),
                                          str(spec.get("hostnameOverride") or "")),
            restart_policy=restart_policy,
            termination_grace_seconds=DEFAULT_GRACE_SECONDS if grace is None else int(grace),
            share_process_namespace=bool(spec.get("shareProcessNamespace", False)),
            host_network=bool(spec.get("hostNetwork", False)),
            labels=labels,
            active_deadline_seconds=None if deadline is None else int(deadline),
            source=self.document.source,
        )

    def pod_resources(self, spec: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """spec.resources as (requests defaulted as the API server does, limits); None when it sets neither
        cpu nor memory (the kubelet then ignores it: IsPodLevelResourcesSet)."""
        resources = spec.get("resources") or {}
        for section in ("limits", "requests"):
            for resource in resources.get(section) or {}:
                if str(resource).startswith("hugepages-"):
                    self.fail(self.spec_path + ("resources", section, resource),
                              f"{resource} cannot be given: podcompose sets no hugetlb limit on the pod's cgroup, "
                              "so it refuses hugepages rather than run the pod without them")
        limits = {k: v for k, v in (resources.get("limits") or {}).items() if k in kubelet.POD_LEVEL_RESOURCES}
        requests = {k: v for k, v in (resources.get("requests") or {}).items() if k in kubelet.POD_LEVEL_RESOURCES}
        if not limits and not requests and self.pids_limit(spec) is None:
            return None
        init = [(c.get("restartPolicy") == "Always", _requests_and_limits(c.get("resources") or {})[0])
                for c in spec.get("initContainers") or []]
        regular = [_requests_and_limits(c.get("resources") or {})[0] for c in spec.get("containers") or []]
        aggregate = kubelet.aggregate_container_requests(init, regular)
        return kubelet.defaulted_pod_requests(requests, limits, aggregate), limits

    def pids_limit(self, spec: Mapping[str, Any]) -> int | None:
        value = ((spec.get("resources") or {}).get("limits") or {}).get("pids")
        return None if value is None else memory_to_bytes(value)

    def with_handlers(self, container: Container, raw: Mapping[str, Any],
                      where: tuple[str | int, ...]) -> Container:
        """`container` with its probes and lifecycle hooks (named ports resolved)."""
        ports = [(p.name, p.container_port) for p in container.ports]
        found: dict[str, Any] = {}
        try:
            for kind, key in PROBE_FIELDS:
                found[f"{kind}_probe"] = probe_from_manifest(raw.get(key), ports)
        except HandlerError as error:
            self.fail(self.spec_path + where + (key,) + error.field, str(error))
            return container
        try:
            found["lifecycle"] = lifecycle_from_manifest(raw.get("lifecycle"), ports)
        except HandlerError as error:
            self.fail(self.spec_path + where + ("lifecycle",) + error.field, str(error))
            return container
        return replace(container, **found)

    def container(self, raw: Mapping[str, Any], where: tuple[str | int, ...], pod_policy: str,
                  *, init: bool) -> Container:
        path = self.spec_path + where
        image = override_image(str(raw.get("image") or ""), self.image_overrides)
        role: Role = "app"
        policy = pod_policy
        if init:
            if raw.get("restartPolicy") == "Always":
                role, policy = "sidecar", "Always"
            else:
                role, policy = "init", "Never"
        env, secret_env = self.environment(raw, path)
        env_map = dict(env)
        command = raw.get("command")
        args = raw.get("args")
        secret_map = {k: v for k, v in env_map.items() if k in secret_env}

        def shown(items: Any) -> tuple[str, ...] | None:
            if items is None or not any(referenced(str(a), secret_map) for a in items):
                return None
            return tuple(str(a) if referenced(str(a), secret_map) else expand(str(a), env_map) for a in items)
        pod_security = getattr(self, "pod_security", {})
        security = kubelet.merged_security(pod_security, raw.get("securityContext"))
        capabilities = security.get("capabilities") or {}
        requests, limits = _requests_and_limits(raw.get("resources") or {})
        for section, amounts in (("limits", limits), ("requests", requests)):
            for resource in amounts:
                if str(resource).startswith("hugepages-"):
                    self.fail(path + ("resources", section, resource),
                              f"{resource} cannot be given: Docker sets no hugetlb limit for a container, "
                              "so podcompose refuses hugepages rather than run the container without them")
        return Container(
            name=str(raw.get("name")),
            image=image,
            role=role,
            command=None if command is None else tuple(expand(str(a), env_map) for a in command),
            args=None if args is None else tuple(expand(str(a), env_map) for a in args),
            env=env,
            working_dir=str(raw.get("workingDir") or ""),
            ports=tuple(Port(container_port=int(p["containerPort"]),
                             protocol=str(p.get("protocol") or "TCP"),
                             host_port=int(p["hostPort"]) if p.get("hostPort") else None,
                             host_ip=str(p.get("hostIP") or ""),
                             name=str(p.get("name") or ""))
                        for p in raw.get("ports") or []),
            volume_mounts=self.mounts(raw, path, env_map),
            image_pull_policy=str(raw.get("imagePullPolicy") or default_pull_policy(image)),
            restart_policy=policy,
            resources=_resources(limits, requests),
            security=SecurityContext(
                run_as_user=security.get("runAsUser"),
                run_as_group=security.get("runAsGroup"),
                privileged=bool(security.get("privileged", False)),
                read_only_root_filesystem=bool(security.get("readOnlyRootFilesystem", False)),
                add_capabilities=tuple(capabilities.get("add") or ()),
                drop_capabilities=tuple(capabilities.get("drop") or ()),
                **_security_extras(security, pod_security),
            ),
            tty=bool(raw.get("tty", False)),
            termination_message_path=str(raw.get("terminationMessagePath") or "/dev/termination-log"),
            termination_message_policy=str(raw.get("terminationMessagePolicy") or "File"),
            stdin=bool(raw.get("stdin", False)),
            stdin_once=bool(raw.get("stdin", False)) and bool(raw.get("stdinOnce", False)),
            secret_env=tuple(sorted(secret_env)),
            shown_command=shown(command),
            shown_args=shown(args),
        )

    def mounts(self, raw: Mapping[str, Any], path: tuple[str | int, ...],
               env: Mapping[str, str]) -> tuple[VolumeMount, ...]:
        """The volume mounts, each `sub_path` final: subPath as written, subPathExpr expanded from `env`.

        Kubernetes expands only subPathExpr (never subPath); a result that is
        absolute, has a `..` or uses an unset variable is refused here (the
        kubelet refuses it when it starts the container).
        """
        mounts = []
        for i, m in enumerate(raw.get("volumeMounts") or []):
            where = path + ("volumeMounts", i)
            sub_path, expression = str(m.get("subPath") or ""), str(m.get("subPathExpr") or "")
            problem: str | None = None
            if sub_path and expression:
                where, problem = where + ("subPathExpr",), rules.SUB_PATH_EXCLUSIVE
            elif expression:
                where = where + ("subPathExpr",)
                problem = rules.local_path_error(expression)
                if problem is None:
                    sub_path, problem = rules.expanded_sub_path(expression, env)
            else:
                where, problem = where + ("subPath",), rules.local_path_error(sub_path)
            if problem:
                self.fail(where, problem)
                sub_path = ""
            propagation = str(m.get("mountPropagation") or "")
            if propagation == "Bidirectional" and not (raw.get("securityContext") or {}).get("privileged"):
                self.fail(where[:len(path) + 2] + ("mountPropagation",),
                          "Bidirectional mount propagation is available only to privileged containers")
            recursive = str(m.get("recursiveReadOnly") or "")
            mounts.append(VolumeMount(volume=str(m["name"]), mount_path=str(m["mountPath"]),
                                      read_only=bool(m.get("readOnly", False)), sub_path=sub_path,
                                      propagation=propagation,
                                      recursive_read_only="" if recursive == "Disabled" else recursive))
        return tuple(mounts)

    def environment(self, raw: Mapping[str, Any],
                    path: tuple[str | int, ...]) -> tuple[tuple[tuple[str, str], ...], set[str]]:
        """envFrom, then env in order, each value expanded against those before it.

        Also the names whose values came from a Secret, directly or by expanding one.
        """
        env: dict[str, str] = {}
        secret: set[str] = set()
        self.current = raw
        for i, source in enumerate(raw.get("envFrom") or []):
            prefix = str(source.get("prefix") or "")
            for kind, key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
                ref = source.get(key)
                if ref:
                    entries = self.lookup(kind, str(ref.get("name")), path + ("envFrom", i, key, "name"),
                                          bool(ref.get("optional", False))) or {}
                    for k, v in entries.items():
                        env[prefix + k] = v.decode(errors="replace")
                        (secret.add if kind == "Secret" else secret.discard)(prefix + k)
        for i, item in enumerate(raw.get("env") or []):
            name = str(item.get("name"))
            value_from = item.get("valueFrom")
            if value_from:
                value = self.env_value_from(value_from, path + ("env", i, "valueFrom"))
                if value is None:
                    continue
                env[name] = value
                (secret.add if value_from.get("secretKeyRef") else secret.discard)(name)
            else:
                written = str(item.get("value") if item.get("value") is not None else "")
                from_secret = bool(referenced(written, {k: v for k, v in env.items() if k in secret}))
                env[name] = expand(written, env)
                (secret.add if from_secret else secret.discard)(name)
        return tuple(env.items()), secret

    def env_value_from(self, value_from: Mapping[str, Any], path: tuple[str | int, ...]) -> str | None:
        for kind, key in (("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")):
            ref = value_from.get(key)
            if ref:
                optional = bool(ref.get("optional", False))
                entries = self.lookup(kind, str(ref.get("name")), path + (key, "name"), optional)
                if entries is None:
                    return None
                if ref.get("key") not in entries:
                    if not optional:
                        self.fail(path + (key, "key"), f"{kind} {ref.get('name')!r} has no key {ref.get('key')!r}")
                    return None
                return entries[ref["key"]].decode(errors="replace")
        field_ref = value_from.get("fieldRef")
        if field_ref:
            return self.field_ref(field_ref, path + ("fieldRef", "fieldPath"))
        resource_ref = value_from.get("resourceFieldRef")
        if resource_ref:
            return self.resource_ref(resource_ref, path + ("resourceFieldRef",), self.current)
        file_ref = value_from.get("fileKeyRef")
        if file_ref:   # read when the container starts (runtime/builder.py)
            return downward.placeholder(envfile.FileKeyRef(str(file_ref.get("volumeName")), str(file_ref.get("path")),
                                                           str(file_ref.get("key")),
                                                           bool(file_ref.get("optional", False))).token)
        self.fail(path, "this kind of valueFrom is not supported yet")
        return None

    def field_ref(self, ref: Mapping[str, Any], path: tuple[str | int, ...], *, volume: bool = False) -> str | None:
        """The value of a downward API `fieldRef` (a placeholder for what only the runtime knows)."""
        field_path = ref.get("fieldPath")
        problem = downward.field_path_error(field_path, volume=volume)
        if problem:
            self.fail(path, problem)
            return None
        return downward.field_value(str(field_path), self.facts)

    def resource_ref(self, ref: Mapping[str, Any], path: tuple[str | int, ...],
                     container: Mapping[str, Any] | None) -> str | None:
        """The value of a `resourceFieldRef` of `container` (or of the container it names)."""
        name = ref.get("containerName")
        if name:
            container = next((c for key in ("containers", "initContainers") for c in self.spec.get(key) or []
                              if isinstance(c, dict) and c.get("name") == name), None)
            if container is None:
                self.fail(path + ("containerName",), f"the pod has no container {name!r}")
                return None
        elif container is None:
            self.fail(path + ("containerName",), "required field is missing: the container whose resource to read")
            return None
        resource, divisor = ref.get("resource"), ref.get("divisor")
        problem = downward.resource_error(resource, divisor)
        if problem or not isinstance(resource, str):
            self.fail(path + ("resource",), problem or "required field is missing: the resource to read")
            return None
        resources = container.get("resources") or {}
        pod_limits = (self.spec.get("resources") or {}).get("limits") or {}
        return downward.resource_value(resource, divisor, resources.get("requests") or {},
                                       resources.get("limits") or {}, pod_limits)

    def downward_files(self, source: Mapping[str, Any], path: tuple[str | int, ...],
                       default_mode: int) -> list[tuple[str, bytes, int]]:
        """The files of a downwardAPI volume (or projection): one per item, its mode or `default_mode`."""
        files = []
        for j, item in enumerate(source.get("items") or []):
            where = path + ("items", j)
            if item.get("fieldRef"):
                value = self.field_ref(item["fieldRef"], where + ("fieldRef", "fieldPath"), volume=True)
            elif item.get("resourceFieldRef"):
                value = self.resource_ref(item["resourceFieldRef"], where + ("resourceFieldRef",), None)
            else:
                self.fail(where, "a downwardAPI item needs fieldRef or resourceFieldRef")
                value = None
            if value is not None:
                files.append((str(item.get("path")), value.encode(), int(item.get("mode", default_mode))))
        return files

    def config_files(self, kind: str, source: Mapping[str, Any], name_key: str, path: tuple[str | int, ...],
                     default_mode: int) -> list[tuple[str, bytes, int]]:
        """The files of a configMap or secret volume (or projection): its `items`, or every key."""
        optional = bool(source.get("optional", False))
        entries = self.lookup(kind, str(source.get(name_key)), path + (name_key,), optional) or {}
        self.check_files(source, path)
        items = source.get("items")
        if items:
            return [(str(it["path"]), entries[str(it["key"])], int(it.get("mode", default_mode)))
                    for it in items if str(it["key"]) in entries]
        return [(k, v, default_mode) for k, v in sorted(entries.items())]

    def projected_files(self, source: Mapping[str, Any], path: tuple[str | int, ...]) -> list[tuple[str, bytes, int]]:
        default_mode = int(source.get("defaultMode", 0o644))
        self.check_files(source, path)
        files: list[tuple[str, bytes, int]] = []
        for j, projection in enumerate(source.get("sources") or []):
            where = path + ("sources", j)
            if projection.get("configMap") is not None:
                files += self.config_files("ConfigMap", projection["configMap"] or {}, "name",
                                           where + ("configMap",), default_mode)
            elif projection.get("secret") is not None:
                files += self.config_files("Secret", projection["secret"] or {}, "name",
                                           where + ("secret",), default_mode)
            elif projection.get("downwardAPI") is not None:
                files += self.downward_files(projection["downwardAPI"] or {}, where + ("downwardAPI",), default_mode)
            elif projection.get("serviceAccountToken") is not None:
                token = projection["serviceAccountToken"] or {}
                files.append((str(token.get("path") or "token"), downward.fake_service_account_token(
                    self.namespace, self.facts.service_account, str(token.get("audience") or ""),
                    int(token.get("expirationSeconds") or 3600)), default_mode))
            else:
                kinds = ", ".join(k for k in projection) or "(none)"
                self.fail(where, f"projected source {kinds} is not supported yet")
        seen: set[str] = set()
        for file_path, _, _ in files:
            if file_path in seen:
                self.fail(path + ("sources",), f"two projected sources write the file {file_path!r}")
            seen.add(file_path)
        return files

    def check_files(self, source: Mapping[str, Any], path: tuple[str | int, ...]) -> None:
        """The rules on the files of a configMap or secret volume (validation reports them first)."""
        checks = [(path + ("defaultMode",), rules.file_mode_error(source.get("defaultMode")))]
        for j, item in enumerate(source.get("items") or []):
            checks += [(path + ("items", j, "path"), rules.item_path_error(str(item.get("path") or ""))),
                       (path + ("items", j, "mode"), rules.file_mode_error(item.get("mode")))]
            if path[-1] != "downwardAPI":     # a downwardAPI item names a field, not a key
                checks.append((path + ("items", j, "key"), rules.data_key_error(str(item.get("key") or ""))))
        for where, problem in checks:
            if problem:
                self.fail(where, problem)

    def volume(self, raw: Mapping[str, Any], where: tuple[str | int, ...]) -> Volume | None:
        path = self.spec_path + where
        name = str(raw.get("name"))
        if "emptyDir" in raw:
            empty = raw.get("emptyDir") or {}
            limit = empty.get("sizeLimit")
            mode = empty.get("mode")
            return Volume(name, "emptyDir", medium=str(empty.get("medium") or ""),
                          size_limit_bytes=None if limit is None else memory_to_bytes(limit),
                          mode=None if mode is None else int(mode))
        if "hostPath" in raw:
            host = raw["hostPath"] or {}
            for field_name, problem in (("path", rules.host_path_error(str(host.get("path") or ""))),
                                        ("type", rules.host_path_type_error(host.get("type")))):
                if problem:
                    self.fail(path + ("hostPath", field_name), problem)
            return Volume(name, "hostPath", host_path=str(host.get("path")), host_path_type=str(host.get("type") or ""))
        for kind, key, ref_key in (("ConfigMap", "configMap", "name"), ("Secret", "secret", "secretName")):
            if key in raw:
                source = raw[key] or {}
                default_mode = int(source.get("defaultMode", 0o644))
                return Volume(name, key, files=tuple(self.config_files(kind, source, ref_key, path + (key,),
                                                                       default_mode)))
        if "downwardAPI" in raw:
            source = raw["downwardAPI"] or {}
            self.check_files(source, path + ("downwardAPI",))
            files = self.downward_files(source, path + ("downwardAPI",), int(source.get("defaultMode", 0o644)))
            return Volume(name, "downwardAPI", files=tuple(files))
        if "projected" in raw:
            return Volume(name, "projected", files=tuple(self.projected_files(raw["projected"] or {},
                                                                              path + ("projected",))))
        if "persistentVolumeClaim" in raw:
            claim = raw["persistentVolumeClaim"] or {}
            claim_name = str(claim.get("claimName") or "")
            return Volume(name, "persistentVolumeClaim", claim_name=claim_name,
                          claim_declared=(self.namespace, claim_name) in self.objects.claims,
                          read_only=bool(claim.get("readOnly", False)))
        if "ephemeral" in raw:
            return Volume(name, "ephemeral")
        if "image" in raw:
            source = raw["image"] or {}
            reference = override_image(str(source.get("reference") or ""), self.image_overrides)
            return Volume(name, "image", image_reference=reference,
                          image_pull_policy=str(source.get("pullPolicy") or default_pull_policy(reference)))
        kinds = [k for k in raw if k != "name"]
        self.fail(path, f"volume source {', '.join(kinds) or '(none)'} is not supported yet")
        return None


def _resources(limits: Mapping[str, Any], requests: Mapping[str, Any] | None = None) -> Resources:
    cpu = limits.get("cpu")
    memory = limits.get("memory")
    cpu_request, memory_request = (requests or {}).get("cpu"), (requests or {}).get("memory")
    return Resources(cpu_limit_nano=None if cpu is None else cpu_to_nano(cpu),
                     memory_limit_bytes=None if memory is None else memory_to_bytes(memory),
                     cpu_request_milli=None if cpu_request is None else -(-cpu_to_nano(cpu_request) // 1_000_000),
                     memory_request_bytes=None if memory_request is None else memory_to_bytes(memory_request))


def _requests_and_limits(resources: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(requests, limits); a request left unset defaults to its limit, as the API server defaults it."""
    limits = dict(resources.get("limits") or {})
    requests = dict(resources.get("requests") or {})
    for name, value in limits.items():
        requests.setdefault(name, value)
    return requests, limits


def _security_extras(security: Mapping[str, Any], pod_security: Mapping[str, Any]) -> dict[str, Any]:
    """The SecurityContext fields that come from the merged securityContext and the pod's own fields."""
    def profile(value: Any, local_key: str) -> str:
        value = value or {}
        kind = str(value.get("type") or "")
        return f"Localhost/{value.get(local_key) or ''}" if kind == "Localhost" else kind

    escalation = security.get("allowPrivilegeEscalation")
    selinux = security.get("seLinuxOptions") or {}
    fs_group = pod_security.get("fsGroup")
    return dict(
        run_as_non_root=bool(security.get("runAsNonRoot", False)),
        groups=kubelet.supplementary_groups(security.get("runAsGroup"),
                                            [int(g) for g in pod_security.get("supplementalGroups") or ()],
                                            None if fs_group is None else int(fs_group)),
        groups_policy=str(pod_security.get("supplementalGroupsPolicy") or "Merge"),
        allow_privilege_escalation=None if escalation is None else bool(escalation),
        seccomp=profile(security.get("seccompProfile"), "localhostProfile"),
        apparmor=profile(security.get("appArmorProfile"), "localhostProfile"),
        selinux=tuple((k, str(selinux[k])) for k in ("user", "role", "type", "level") if selinux.get(k)),
        proc_mount=str(security.get("procMount") or ""),
    )


def pods_from_documents(documents: list[Document], *, namespace: str | None = None,
                        image_overrides: Mapping[str, str] | None = None) -> list[Pod]:
    """Every runnable pod in `documents` (validated before), defaults applied.

    A Deployment or ReplicaSet yields `replicas` pods named `<name>-<i>`, a StatefulSet `<name>-<ordinal>`;
    a DaemonSet or Job yields one (podcompose.workloads).
    """
    objects = _collect_objects(documents, namespace)
    overrides = dict(image_overrides or {})
    pods: list[Pod] = []
    problems: list[Problem] = []
    for document in documents:
        data = document.data
        ns = _namespace_of(data, namespace)
        if document.kind == "Pod":
            builders = [(_PodBuilder(document, ("spec",), document.name, ns, objects, overrides),
                         data.get("spec") or {}, data.get("metadata") or {})]
        elif document.kind == "StatefulSet":
            builders = _stateful_builders(document, ns, objects, overrides)
        elif document.kind in _TEMPLATE_KINDS:
            template = (data.get("spec") or {}).get("template") or {}
            spec = dict(template.get("spec") or {})
            if document.kind == "Job":
                spec.setdefault("restartPolicy", "Never")
                spec = _with_job_deadline(spec, (data.get("spec") or {}).get("activeDeadlineSeconds"))
            names = [n for _, n in pod_names([document], ns)]
            builders = [(_PodBuilder(document, ("spec", "template", "spec"), n, ns, objects, overrides),
                         spec, template.get("metadata") or {}) for n in names]
        else:
            continue
        for builder, spec, metadata in builders:
            pods.append(builder.build(spec, metadata))
            problems.extend(builder.problems)
    if problems:
        raise ManifestError(_unique(problems))
    return pods


_TEMPLATE_KINDS = ("Deployment", "ReplicaSet", "DaemonSet", "Job")


def _with_job_deadline(spec: dict[str, Any], job_deadline: Any) -> dict[str, Any]:
    """A Job's activeDeadlineSeconds counts from the Job's start; its one pod starts at that moment, so the
    Job's deadline is the pod's, or the pod's own when that is sooner."""
    if not isinstance(job_deadline, int) or isinstance(job_deadline, bool) or job_deadline <= 0:
        return spec
    own = spec.get("activeDeadlineSeconds")
    sooner = job_deadline if not isinstance(own, int) or own <= 0 else min(own, job_deadline)
    return spec | {"activeDeadlineSeconds": sooner}


def _stateful_builders(document: Document, namespace: str, objects: _Objects, overrides: Mapping[str, str]
                       ) -> list[tuple[_PodBuilder, Mapping[str, Any], Mapping[str, Any]]]:
    """A builder per StatefulSet pod, with the identity and claims the StatefulSet controller gives it."""
    set_spec = document.data.get("spec") or {}
    template = set_spec.get("template") or {}
    builders: list[tuple[_PodBuilder, Mapping[str, Any], Mapping[str, Any]]] = []
    for ordinal in _stateful_ordinals(document):
        metadata, spec = workloads.stateful_identity(document.name, set_spec, ordinal, template.get("metadata") or {},
                                                     template.get("spec") or {})
        for template_name in workloads.claim_template_names(set_spec):
            # the controller makes the claim: it is declared, not made on first use
            objects.claims.add((namespace, workloads.claim_name(template_name, document.name, ordinal)))
        name = workloads.stateful_pod_name(document.name, ordinal)
        builders.append((_PodBuilder(document, ("spec", "template", "spec"), name, namespace, objects, overrides),
                         spec, metadata))
    return builders


def _stateful_ordinals(document: Document) -> range:
    start = workloads.ordinal_start(document.data.get("spec") or {})
    return range(start, start + _replicas(document))


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: dict[str, Problem] = {}
    for p in problems:
        seen.setdefault(str(p), p)
    return list(seen.values())


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
        ns = _namespace_of(document.data, namespace)
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
            names.extend((ns, workloads.stateful_pod_name(document.name, o)) for o in _stateful_ordinals(document))
    return names


def _replicas(document: Document) -> int:
    """A Deployment's, ReplicaSet's or StatefulSet's replicas (1 when unset); a located ManifestError beyond
    podcompose's limit.

    `down -f` names pods from files it does not validate: `replicas: 100000000`
    must fail here, not build a hundred million names.
    """
    value = (document.data.get("spec") or {}).get("replicas", 1)
    if value is None:
        return 1
    if not isinstance(value, int) or isinstance(value, bool):
        raise ManifestError([document.problem(("spec", "replicas"), "expected an integer")])
    problem = rules.replicas_error(value)
    if problem:
        raise ManifestError([document.problem(("spec", "replicas"), problem)])
    return value

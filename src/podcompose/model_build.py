"""Building the Pod model from validated manifests: one `PodBuilder` per pod.

`pods_from_documents` turns validated manifests (Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet,
Job) into `Pod` objects, Kubernetes' defaults applied (podcompose.defaults). Nothing here refuses a
manifest: validation (podcompose.validate) is the one rule book and runs first. Pure: no I/O, no Docker.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping

from . import downward, envfile, kubelet, rules, workloads
from .defaults import DEFAULT_GRACE_SECONDS, container_role, requests_and_limits
from .expand import expand, referenced
from .load import Document
from .model import (Container, Pod, Port, Resources, SecurityContext, VolumeMount, default_pull_policy,
                    override_image, pod_names, stateful_ordinals)
from .model_context import Objects, PodContext, collect_objects, namespace_of
from .model_volumes import volume
from .probes_model import PROBE_FIELDS, lifecycle_from_manifest, probe_from_manifest
from .quantity import cpu_to_nano, memory_to_bytes


class PodBuilder:
    """Builds one Pod from a pod spec (validated before)."""

    def __init__(self, document: Document, name: str, namespace: str, objects: Objects,
                 image_overrides: Mapping[str, str]) -> None:
        self.document = document
        self.name = name
        self.namespace = namespace
        self.objects = objects
        self.image_overrides = image_overrides

    def build(self, spec: Mapping[str, Any], metadata: Mapping[str, Any]) -> Pod:
        ctx = PodContext.of(self.document, self.name, self.namespace, self.objects, self.image_overrides, spec,
                            metadata)
        restart_policy = str(spec.get("restartPolicy") or "Always")
        grace = spec.get("terminationGracePeriodSeconds")
        init = tuple(with_handlers(build_container(ctx, c, "initContainers", restart_policy), c)
                     for c in spec.get("initContainers") or [])
        apps = tuple(with_handlers(build_container(ctx, c, "containers", restart_policy), c)
                     for c in spec.get("containers") or [])
        deadline = spec.get("activeDeadlineSeconds")
        volumes = tuple(v for raw in spec.get("volumes") or [] if (v := volume(ctx, raw)) is not None)
        labels = tuple(sorted((str(k), str(v)) for k, v in (metadata.get("labels") or {}).items()))
        pod_security = ctx.pod_security
        fs_group = pod_security.get("fsGroup")
        if fs_group is not None:
            volumes = tuple(replace(v, fs_group=int(fs_group)) if v.kind in kubelet.OWNERSHIP_VOLUMES else v
                            for v in volumes)
        dns = spec.get("dnsConfig")
        qos = kubelet.qos_class(kubelet.ContainerResources(*requests_and_limits(c.get("resources") or {}))
                                for key in ("initContainers", "containers") for c in spec.get(key) or [])
        pod_resources = _pod_resources(spec)
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
                _resources(pod_resources[1], pod_resources[0]), pids_limit=_pids_limit(spec)),
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


def _pod_resources(spec: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """spec.resources as (requests defaulted as the API server does, limits); None when it sets neither
    cpu nor memory (the kubelet then ignores it: IsPodLevelResourcesSet)."""
    resources = spec.get("resources") or {}
    limits = {k: v for k, v in (resources.get("limits") or {}).items() if k in kubelet.POD_LEVEL_RESOURCES}
    requests = {k: v for k, v in (resources.get("requests") or {}).items() if k in kubelet.POD_LEVEL_RESOURCES}
    if not limits and not requests and _pids_limit(spec) is None:
        return None
    init = [(container_role("initContainers", c) == "sidecar", requests_and_limits(c.get("resources") or {})[0])
            for c in spec.get("initContainers") or []]
    regular = [requests_and_limits(c.get("resources") or {})[0] for c in spec.get("containers") or []]
    aggregate = kubelet.aggregate_container_requests(init, regular)
    return kubelet.defaulted_pod_requests(requests, limits, aggregate), limits

def _pids_limit(spec: Mapping[str, Any]) -> int | None:
    value = ((spec.get("resources") or {}).get("limits") or {}).get("pids")
    return None if value is None else memory_to_bytes(value)


def with_handlers(built: Container, raw: Mapping[str, Any]) -> Container:
    """`built` with its probes and lifecycle hooks (named ports resolved)."""
    ports = [(p.name, p.container_port) for p in built.ports]
    found: dict[str, Any] = {f"{kind}_probe": probe_from_manifest(raw.get(key), ports) for kind, key in PROBE_FIELDS}
    found["lifecycle"] = lifecycle_from_manifest(raw.get("lifecycle"), ports)
    return replace(built, **found)


def build_container(ctx: PodContext, raw: Mapping[str, Any], list_name: str, pod_policy: str) -> Container:
    image = override_image(str(raw.get("image") or ""), ctx.image_overrides)
    role = container_role(list_name, raw)
    policy = {"sidecar": "Always", "init": "Never"}.get(role, pod_policy)
    env, secret_env = environment(ctx, raw)
    env_map = dict(env)
    command = raw.get("command")
    args = raw.get("args")
    secret_map = {k: v for k, v in env_map.items() if k in secret_env}

    def shown(items: Any) -> tuple[str, ...] | None:
        if items is None or not any(referenced(str(a), secret_map) for a in items):
            return None
        return tuple(str(a) if referenced(str(a), secret_map) else expand(str(a), env_map) for a in items)
    pod_security = ctx.pod_security
    security = kubelet.merged_security(pod_security, raw.get("securityContext"))
    capabilities = security.get("capabilities") or {}
    requests, limits = requests_and_limits(raw.get("resources") or {})
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
        volume_mounts=mounts(raw, env_map),
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


def mounts(raw: Mapping[str, Any], env: Mapping[str, str]) -> tuple[VolumeMount, ...]:
    """The volume mounts, each `sub_path` final: subPath as written, subPathExpr expanded from `env`
    (Kubernetes expands only subPathExpr, never subPath; validation refuses what cannot expand)."""
    mounts = []
    for m in raw.get("volumeMounts") or []:
        sub_path, expression = str(m.get("subPath") or ""), str(m.get("subPathExpr") or "")
        if expression:
            expanded, problem = rules.expanded_sub_path(expression, env)
            sub_path = "" if problem else expanded
        propagation = str(m.get("mountPropagation") or "")
        recursive = str(m.get("recursiveReadOnly") or "")
        mounts.append(VolumeMount(volume=str(m["name"]), mount_path=str(m["mountPath"]),
                                  read_only=bool(m.get("readOnly", False)), sub_path=sub_path,
                                  propagation=propagation,
                                  recursive_read_only="" if recursive == "Disabled" else recursive))
    return tuple(mounts)


def environment(ctx: PodContext, raw: Mapping[str, Any]) -> tuple[tuple[tuple[str, str], ...], set[str]]:
    """envFrom, then env in order, each value expanded against those before it.

    Also the names whose values came from a Secret, directly or by expanding one.
    """
    env: dict[str, str] = {}
    secret: set[str] = set()
    for source in raw.get("envFrom") or []:
        prefix = str(source.get("prefix") or "")
        for kind, key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
            ref = source.get(key)
            if ref:
                entries = ctx.lookup(kind, str(ref.get("name"))) or {}
                for k, v in entries.items():
                    env[prefix + k] = v.decode(errors="replace")
                    (secret.add if kind == "Secret" else secret.discard)(prefix + k)
    for item in raw.get("env") or []:
        name = str(item.get("name"))
        value_from = item.get("valueFrom")
        if value_from:
            value = env_value_from(ctx, value_from, raw)
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

def env_value_from(ctx: PodContext, value_from: Mapping[str, Any], container: Mapping[str, Any]) -> str | None:
    """The value of one env item's valueFrom (None when an optional source is absent)."""
    for kind, key in (("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")):
        ref = value_from.get(key)
        if ref:
            entries = ctx.lookup(kind, str(ref.get("name")))
            if entries is None or ref.get("key") not in entries:
                return None
            return entries[ref["key"]].decode(errors="replace")
    field_ref = value_from.get("fieldRef")
    if field_ref:
        return ctx.field_ref(field_ref)
    resource_ref = value_from.get("resourceFieldRef")
    if resource_ref:
        return ctx.resource_ref(resource_ref, container)
    file_ref = value_from.get("fileKeyRef")
    if file_ref:   # read when the container starts (runtime/builder.py)
        return downward.placeholder(envfile.FileKeyRef(str(file_ref.get("volumeName")), str(file_ref.get("path")),
                                                       str(file_ref.get("key")),
                                                       bool(file_ref.get("optional", False))).token)
    return None



def _resources(limits: Mapping[str, Any], requests: Mapping[str, Any] | None = None) -> Resources:
    cpu = limits.get("cpu")
    memory = limits.get("memory")
    cpu_request, memory_request = (requests or {}).get("cpu"), (requests or {}).get("memory")
    return Resources(cpu_limit_nano=None if cpu is None else cpu_to_nano(cpu),
                     memory_limit_bytes=None if memory is None else memory_to_bytes(memory),
                     cpu_request_milli=None if cpu_request is None else -(-cpu_to_nano(cpu_request) // 1_000_000),
                     memory_request_bytes=None if memory_request is None else memory_to_bytes(memory_request))


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
    objects = collect_objects(documents, namespace)
    overrides = dict(image_overrides or {})
    pods: list[Pod] = []
    for document in documents:
        data = document.data
        ns = namespace_of(data, namespace)
        if document.kind == "Pod":
            builders = [(PodBuilder(document, document.name, ns, objects, overrides),
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
            builders = [(PodBuilder(document, n, ns, objects, overrides),
                         spec, template.get("metadata") or {}) for n in names]
        else:
            continue
        for builder, spec, metadata in builders:
            pods.append(builder.build(spec, metadata))
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


def _stateful_builders(document: Document, namespace: str, objects: Objects, overrides: Mapping[str, str]
                       ) -> list[tuple[PodBuilder, Mapping[str, Any], Mapping[str, Any]]]:
    """A builder per StatefulSet pod, with the identity and claims the StatefulSet controller gives it."""
    set_spec = document.data.get("spec") or {}
    template = set_spec.get("template") or {}
    builders: list[tuple[PodBuilder, Mapping[str, Any], Mapping[str, Any]]] = []
    for ordinal in stateful_ordinals(document):
        metadata, spec = workloads.stateful_identity(document.name, set_spec, ordinal, template.get("metadata") or {},
                                                     template.get("spec") or {})
        for template_name in workloads.claim_template_names(set_spec):
            # the controller makes the claim: it is declared, not made on first use
            objects.claims.add((namespace, workloads.claim_name(template_name, document.name, ordinal)))
        name = workloads.stateful_pod_name(document.name, ordinal)
        builders.append((PodBuilder(document, name, namespace, objects, overrides),
                         spec, metadata))
    return builders



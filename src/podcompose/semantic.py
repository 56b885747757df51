"""Checks the schema cannot express, on one pod spec, each at its exact line.

`check_pod_spec` runs on a Pod's `spec` and on the `spec.template.spec` of a
Deployment or Job. It must never raise on bad input: every value is
type-checked before use, since schema errors are reported, not fatal.

Here: the pod's own fields, its containers (env, mounts, probes, hooks) and ports.
Volumes are checked in podcompose.semantic_volumes, resources in
podcompose.semantic_resources. These checks are the one rule book: the model
(podcompose.model_build) refuses nothing, so each refusal of `config` and `up`
is made here, at its field, in these words.
"""
from __future__ import annotations

import difflib
import posixpath
import re
from typing import Any, Mapping

from . import downward, envfile, kubelet, rules
from .dns_names import label_value_error, name_error, qualified_name_error
from .errors import Problem, shown
from .expand import expand
from .load import Document, FieldPath, format_path
from .probes_model import PROBE_FIELDS, HandlerError, lifecycle_from_manifest, probe_from_manifest, probe_problems
from .defaults import DEFAULT_NAMESPACE
from .model_build import environment
from .model_context import PodContext
from .raw import POD_PATHS, enumerate_dicts, get, items, mapping
from .semantic_context import Context, ObjectIndex
from .semantic_resources import check_pod_resources, check_resources
from .semantic_volumes import check_object_ref, check_resource_ref, check_volumes

__all__ = ["ObjectIndex", "check_pod_spec", "label_value_error", "name_error", "qualified_name_error"]

_PORT_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?\Z")
_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
_PROBE_HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")
_HOOK_HANDLERS = ("exec", "httpGet", "tcpSocket", "sleep")
_ENV_SOURCES = ("configMapKeyRef", "secretKeyRef", "fieldRef", "resourceFieldRef", "fileKeyRef")


def check_pod_spec(document: Document, base: FieldPath, objects: ObjectIndex,
                   namespace: str | None, claim_volumes: Mapping[str, FieldPath] | None = None) -> list[Problem]:
    """Every semantic problem of the pod spec at `base` in `document`.

    `claim_volumes`: the volumes a StatefulSet adds from its volumeClaimTemplates (name -> where defined)."""
    spec = document.data
    for part in base:
        spec = spec.get(part) if isinstance(spec, dict) else None
    if not isinstance(spec, dict):
        return []
    ctx = Context(document, base, spec, objects, namespace)
    containers = ctx.containers()
    _check_pod_fields(ctx)
    volumes = {**check_volumes(ctx), **(claim_volumes or {})}
    _check_container_names(ctx, containers)
    host_ports: dict[tuple[int, str, str], FieldPath] = {}
    port_names: dict[str, FieldPath] = {}
    for path, container, role in containers:
        _check_container(ctx, path, container, role, volumes)
        _check_ports(ctx, path, container, host_ports, port_names)
    return ctx.problems


def _check_pod_fields(ctx: Context) -> None:
    if isinstance(ctx.spec.get("containers"), list) and not ctx.spec["containers"]:
        ctx.report(ctx.at("containers"), "a pod needs at least one container")
    for name in ("hostname", "subdomain"):
        problem = name_error(ctx.spec.get(name), "label")
        if problem:
            ctx.report(ctx.at(name), problem)
    override = ctx.spec.get("hostnameOverride")
    if isinstance(override, str):
        ctx.report_rule(ctx.at("hostnameOverride"), name_error(override) or kubelet.hostname_override_error(
            override, host_network=ctx.spec.get("hostNetwork") is True, fqdn=ctx.spec.get("setHostnameAsFQDN") is True))
    ctx.check_int(ctx.at("terminationGracePeriodSeconds"), ctx.spec.get("terminationGracePeriodSeconds"), 0)
    ctx.check_int(ctx.at("activeDeadlineSeconds"), ctx.spec.get("activeDeadlineSeconds"), 1)
    if isinstance(ctx.spec.get("resources"), dict):
        check_resources(ctx, ctx.at("resources"), ctx.spec["resources"])
        check_pod_resources(ctx, ctx.spec["resources"])


def _check_container_names(ctx: Context, containers: list[tuple[FieldPath, dict[str, Any], str]]) -> None:
    seen: dict[str, FieldPath] = {}
    for path, container, _role in containers:
        name = container.get("name")
        if not isinstance(name, str):
            continue
        problem = name_error(name, "label")
        if problem:
            ctx.report(path + ("name",), problem)
        if name in seen:
            ctx.report(path + ("name",), f"duplicate container name {shown(name)} (also {ctx.where(seen[name])})")
        else:
            seen[name] = path + ("name",)


# --- containers -----------------------------------------------------------------------

def _check_container(ctx: Context, path: FieldPath, container: dict[str, Any], role: str,
                     volumes: dict[str, FieldPath]) -> None:
    image = container.get("image")
    if image is None or (isinstance(image, str) and not image.strip()):
        ctx.report(path + ("image",), "required field is missing: the image to run", key=True)
    if role in ("init", "sidecar") and isinstance(container.get("restartPolicy"), str):
        _check_init_restart_policy(ctx, path, container["restartPolicy"])
    elif isinstance(container.get("restartPolicy"), str):
        _check_choice(ctx, path + ("restartPolicy",), container["restartPolicy"], ("Always", "OnFailure", "Never"))
    for hook in (*_PROBES, "lifecycle"):
        if role == "init" and container.get(hook) is not None:
            ctx.report(path + (hook,), f"{hook} is not allowed on an init container unless it is a sidecar "
                                       "(restartPolicy: Always)")
    for probe in _PROBES:
        _check_handlers(ctx, path + (probe,), container.get(probe), _PROBE_HANDLERS, "a probe")
    lifecycle = mapping(container.get("lifecycle"))
    for hook in ("postStart", "preStop"):
        _check_handlers(ctx, path + ("lifecycle", hook), lifecycle.get(hook), _HOOK_HANDLERS, f"{hook}")
    _check_probes(ctx, path, container)
    _check_process_texts(ctx, path, container)
    ctx.report_rule(path + ("securityContext", "procMount"),
                    rules.proc_mount_error(mapping(container.get("securityContext")).get("procMount"),
                                           ctx.spec.get("hostUsers", True)))
    _check_env(ctx, path, container)
    _check_env_from(ctx, path, container)
    _check_mounts(ctx, path, container, volumes)
    if isinstance(container.get("resources"), dict):
        check_resources(ctx, path + ("resources",), container["resources"])


def _check_process_texts(ctx: Context, path: FieldPath, container: dict[str, Any]) -> None:
    """command, args and env values: no NUL (rules.text_nul_error)."""
    for key in ("command", "args"):
        for i, text in enumerate(items(container.get(key))):
            if isinstance(text, str):
                ctx.report_rule(path + (key, i), rules.text_nul_error(text))
    for i, env in enumerate_dicts(container.get("env")):
        if isinstance(env.get("value"), str):
            ctx.report_rule(path + ("env", i, "value"), rules.text_nul_error(env["value"]))


def _check_probes(ctx: Context, path: FieldPath, container: dict[str, Any]) -> None:
    """The probes' numbers (after SetDefaults_Probe) and the ports of probes and hooks, as the model reads them."""
    ports = [(str(p.get("name") or ""), p["containerPort"]) for _, p in enumerate_dicts(container.get("ports"))
             if isinstance(p.get("containerPort"), int)]
    for kind, key in PROBE_FIELDS:
        probe = container.get(key)
        if not isinstance(probe, dict) or not probe:
            continue
        for below, message in probe_problems(kind, probe):
            ctx.report(path + (key,) + below, message)
        if _has_one_handler(probe, _PROBE_HANDLERS):
            _report_handler_error(ctx, path + (key,), probe_from_manifest, probe, ports)
    lifecycle = mapping(container.get("lifecycle"))
    if all(_has_one_handler(mapping(lifecycle.get(hook)), _HOOK_HANDLERS) for hook in ("postStart", "preStop")
           if lifecycle.get(hook)):
        _report_handler_error(ctx, path + ("lifecycle",), lifecycle_from_manifest, lifecycle, ports)


def _report_handler_error(ctx: Context, path: FieldPath, build: Any, raw: dict[str, Any],
                          ports: list[tuple[str, Any]]) -> None:
    """What the model's reading of a probe or hook refuses (a port that names no port), at its field."""
    try:
        build(raw, ports)
    except HandlerError as error:
        ctx.report(path + error.field, str(error))
    except (AttributeError, TypeError, ValueError):
        pass  # a value of the wrong type: the schema reports it


def _has_one_handler(value: dict[str, Any], handlers: tuple[str, ...]) -> bool:
    return len([h for h in handlers if value.get(h) is not None]) == 1


def _check_choice(ctx: Context, path: FieldPath, value: str, choices: tuple[str, ...]) -> bool:
    if value in choices:
        return True
    close = difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
    hint = f"; did you mean {shown(close[0])}?" if close else ""
    ctx.report(path, f"{shown(value)} is not one of {', '.join(sorted(choices))}{hint}")
    return False


def _check_init_restart_policy(ctx: Context, path: FieldPath, value: str) -> None:
    if _check_choice(ctx, path + ("restartPolicy",), value, ("Always", "OnFailure", "Never")) and value != "Always":
        ctx.report(path + ("restartPolicy",), f"restartPolicy {value} on an init container is not supported yet: "
                   "only Always (a native sidecar) changes how it runs", "warning")


def _check_handlers(ctx: Context, path: FieldPath, value: Any, handlers: tuple[str, ...], what: str) -> None:
    if not isinstance(value, dict):
        return
    used = [h for h in handlers if value.get(h) is not None]
    if len(used) != 1:
        found = f"it has {' and '.join(used)}" if used else "it has none"
        ctx.report(path, f"{what} needs exactly one handler of {', '.join(handlers)}; {found}")


def _check_env(ctx: Context, path: FieldPath, container: dict[str, Any]) -> None:
    seen: dict[str, FieldPath] = {}
    for i, env in enumerate_dicts(container.get("env")):
        env_path = path + ("env", i)
        name = env.get("name")
        if isinstance(name, str):
            if not name or "=" in name:
                ctx.report(env_path + ("name",), f"{shown(name)} is not a valid variable name (it may not be empty "
                                                 "or contain '=')")
            elif name in seen:
                ctx.report(env_path + ("name",), f"variable {shown(name)} is set again (first at "
                                                 f"{ctx.where(seen[name])}); this later value wins", "warning")
            seen.setdefault(name, env_path + ("name",))
        source = env.get("valueFrom")
        if not isinstance(source, dict):
            continue
        if env.get("value") not in (None, ""):
            ctx.report(env_path + ("valueFrom",), "value and valueFrom may not both be set")
        _check_env_source(ctx, env_path + ("valueFrom",), source)


def _check_env_source(ctx: Context, path: FieldPath, source: dict[str, Any]) -> None:
    used = [s for s in _ENV_SOURCES if source.get(s) is not None]
    if len(used) != 1:
        found = f"it has {' and '.join(used)}" if used else "it has none"
        ctx.report(path, f"valueFrom needs exactly one of {', '.join(_ENV_SOURCES)}; {found}")
    for name, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
        ref = source.get(name)
        if isinstance(ref, dict):
            check_object_ref(ctx, path + (name,), ref, kind, "name", key=ref.get("key"))
            _check_env_values(ctx, path + (name, "key"), kind, ref.get("name"), [ref.get("key")])
    field_path = mapping(source.get("fieldRef")).get("fieldPath")
    ctx.report_rule(path + ("fieldRef", "fieldPath"), downward.field_path_error(field_path))
    _check_annotation_value(ctx, path + ("fieldRef", "fieldPath"), field_path)
    check_resource_ref(ctx, path + ("resourceFieldRef",), source.get("resourceFieldRef"))
    _check_file_key_ref(ctx, path + ("fileKeyRef",), source.get("fileKeyRef"))


def _check_annotation_value(ctx: Context, path: FieldPath, field_path: Any) -> None:
    """An annotation read into an env variable: its value may not hold a NUL (rules.text_nul_error)."""
    match = downward.SUBSCRIPT.match(field_path) if isinstance(field_path, str) else None
    if match is None or match[1] != "annotations":
        return
    metadata = mapping(get(ctx.document.data, POD_PATHS.get(ctx.document.kind, ((), ("metadata",)))[1]))
    value = mapping(metadata.get("annotations")).get(match[2])
    message = rules.text_nul_error(value) if isinstance(value, str) else None
    if message:
        ctx.report(path, f"the annotation {shown(match[2])} it reads: {message}")


def _check_file_key_ref(ctx: Context, path: FieldPath, ref: Any) -> None:
    """Kubernetes' validateFileKeySelector: an emptyDir volume of the pod, a local path, a key."""
    if not isinstance(ref, dict):
        return
    volume = ref.get("volumeName")
    if isinstance(volume, str):
        volumes = {v.get("name"): v for _, v in enumerate_dicts(ctx.spec.get("volumes"))}
        if volume not in volumes:
            close = difflib.get_close_matches(volume, [str(n) for n in volumes], n=1, cutoff=0.6)
            hint = f"; did you mean {shown(close[0])}?" if close else ""
            ctx.report(path + ("volumeName",), f"no volume named {shown(volume)} in "
                                               f"{format_path(ctx.at('volumes'))}{hint}")
        elif volumes[volume].get("emptyDir") is None:
            ctx.report(path + ("volumeName",), f"volume {shown(volume)} is not an emptyDir: an env file is read "
                                               "from an emptyDir volume only")
    if isinstance(ref.get("path"), str):
        ctx.report_rule(path + ("path",), rules.item_path_error(ref["path"]))
    if isinstance(ref.get("key"), str):
        ctx.report_rule(path + ("key",), envfile.key_error(ref["key"]))


def _check_env_from(ctx: Context, path: FieldPath, container: dict[str, Any]) -> None:
    for i, source in enumerate_dicts(container.get("envFrom")):
        used = [k for k in ("configMapRef", "secretRef") if isinstance(source.get(k), dict)]
        if len(used) != 1:
            ctx.report(path + ("envFrom", i), "envFrom needs exactly one of configMapRef, secretRef")
        for ref_name in used:
            kind = "ConfigMap" if ref_name == "configMapRef" else "Secret"
            check_object_ref(ctx, path + ("envFrom", i, ref_name), source[ref_name], kind, "name")
            _check_env_values(ctx, path + ("envFrom", i, ref_name, "name"), kind, source[ref_name].get("name"), None)


def _check_env_values(ctx: Context, path: FieldPath, kind: str, name: Any, keys: list[Any] | None) -> None:
    """The values of a ConfigMap or Secret that become env variables (`keys`, or all of them): no NUL."""
    if ctx.objects.values is None or not isinstance(name, str):
        return
    table = ctx.objects.values.config_maps if kind == "ConfigMap" else ctx.objects.values.secrets
    entries = table.get((ctx.namespace or DEFAULT_NAMESPACE, name)) or {}
    for key in sorted(entries) if keys is None else [k for k in keys if isinstance(k, str) and k in entries]:
        ctx.report_rule(path, rules.object_value_nul_error(kind, name, key, entries[key]))


def _check_mounts(ctx: Context, path: FieldPath, container: dict[str, Any], volumes: dict[str, FieldPath]) -> None:
    mount_paths: dict[str, FieldPath] = {}
    env = _StaticEnv(container, ctx)
    for i, mount in enumerate_dicts(container.get("volumeMounts")):
        mount_path = path + ("volumeMounts", i)
        name = mount.get("name")
        if isinstance(name, str) and name not in volumes:
            close = difflib.get_close_matches(name, list(volumes), n=1, cutoff=0.6)
            hint = f"; did you mean {shown(close[0])}?" if close else ""
            ctx.report(mount_path + ("name",),
                       f"no volume named {shown(name)} in {format_path(ctx.at('volumes'))}{hint}")
        target = mount.get("mountPath")
        if isinstance(target, str):
            ctx.report_rule(mount_path + ("mountPath",), rules.mount_path_error(target))
            normal = posixpath.normpath(target) if target else target
            if normal in mount_paths:
                ctx.report(mount_path + ("mountPath",),
                           f"{shown(target)} is already mounted by {ctx.where(mount_paths[normal])}")
            mount_paths.setdefault(normal, mount_path + ("mountPath",))
        _check_sub_path(ctx, mount_path, mount, env)
        if mount.get("mountPropagation") == "Bidirectional" and \
                mapping(container.get("securityContext")).get("privileged") is not True:
            ctx.report(mount_path + ("mountPropagation",),
                       "Bidirectional mount propagation is available only to privileged containers")
        ctx.report_rule(mount_path + ("recursiveReadOnly",),
                        rules.recursive_read_only_error(mount.get("recursiveReadOnly"), mount.get("readOnly"),
                                                        mount.get("mountPropagation")))


def _check_sub_path(ctx: Context, path: FieldPath, mount: dict[str, Any], env: "_StaticEnv") -> None:
    """subPath as written; subPathExpr as written and, as far as the env is known here, expanded."""
    sub_path, expression = mount.get("subPath"), mount.get("subPathExpr")
    if isinstance(sub_path, str):
        ctx.report_rule(path + ("subPath",), rules.local_path_error(sub_path))
    if not isinstance(expression, str) or not expression:
        return
    if isinstance(sub_path, str) and sub_path:
        ctx.report(path + ("subPathExpr",), rules.SUB_PATH_EXCLUSIVE)
        return
    message = rules.local_path_error(expression)
    if message is None:
        _value, message = rules.expanded_sub_path(expression, env.for_check())
        if message and env.may_set_anything and "does not set" in message:
            message = None  # envFrom may set it: the model checks with the real values
    ctx.report_rule(path + ("subPathExpr",), message)


class _StaticEnv:
    """A container's env as far as validation knows it: literal values, and names set from elsewhere.

    When the objects the container reads are loaded, its env is the one the model gives it
    (model_build.environment), so subPathExpr is checked with the real values. Otherwise a name
    set by valueFrom gets a placeholder that is one harmless path component, so that `$(DIR)/..`
    is still refused.
    """

    PLACEHOLDER = "x"

    def __init__(self, container: dict[str, Any], ctx: Context) -> None:
        self.values: dict[str, str] = {}
        self.may_set_anything = bool(items(container.get("envFrom")))
        for _i, item in enumerate_dicts(container.get("env")):
            name = item.get("name")
            if not isinstance(name, str):
                continue
            if item.get("valueFrom") is not None:
                self.values[name] = self.PLACEHOLDER
            else:
                value = item.get("value")
                self.values[name] = expand(value, self.values) if isinstance(value, str) else ""
        real = _model_env(ctx, container)
        if real is not None:
            self.values, self.may_set_anything = real, False

    def for_check(self) -> dict[str, str]:
        return self.values


def _model_env(ctx: Context, container: dict[str, Any]) -> dict[str, str] | None:
    """The env the model gives `container`, or None when it cannot be read from these documents."""
    if ctx.objects.values is None:
        return None
    metadata = mapping(get(ctx.document.data, POD_PATHS.get(ctx.document.kind, ((), ("metadata",)))[1]))
    try:
        pod = PodContext.of(ctx.document, ctx.document.name, ctx.namespace or DEFAULT_NAMESPACE, ctx.objects.values,
                            {}, ctx.spec, metadata)
        return dict(environment(pod, container)[0])
    except Exception:  # noqa: BLE001 - an invalid manifest: its problems are reported by their own checks
        return None


# --- ports ----------------------------------------------------------------------------

def _check_ports(ctx: Context, path: FieldPath, container: dict[str, Any],
                 host_ports: dict[tuple[int, str, str], FieldPath], port_names: dict[str, FieldPath]) -> None:
    for i, port in enumerate_dicts(container.get("ports")):
        port_path = path + ("ports", i)
        valid = ctx.check_int(port_path + ("containerPort",), port.get("containerPort"), 1, 65535)
        _check_port_name(ctx, port_path + ("name",), port.get("name"), port_names)
        host_port = port.get("hostPort")
        if not isinstance(host_port, int) or not ctx.check_int(port_path + ("hostPort",), host_port, 0, 65535) \
                or host_port == 0:
            continue
        if ctx.spec.get("hostNetwork") is True and valid and host_port != port.get("containerPort"):
            ctx.report(port_path + ("hostPort",), f"with hostNetwork, hostPort ({host_port}) must equal "
                                                  f"containerPort ({port.get('containerPort')})")
        protocol = port["protocol"] if isinstance(port.get("protocol"), str) else "TCP"
        host_ip = port["hostIP"] if isinstance(port.get("hostIP"), str) else ""
        _check_host_port(ctx, port_path, (host_port, protocol, host_ip), host_ports)


def _check_port_name(ctx: Context, path: FieldPath, name: Any, names: dict[str, FieldPath]) -> None:
    if not isinstance(name, str):
        return
    if len(name) > 15 or not _PORT_NAME.match(name) or "--" in name or not re.search("[a-z]", name):
        ctx.report(path, f"{shown(name)} is not a valid port name: at most 15 lowercase letters, digits and '-', "
                         "with at least one letter")
    elif name in names:
        ctx.report(path, f"duplicate port name {shown(name)} (also {ctx.where(names[name])})")
    names.setdefault(name, path)


def _check_host_port(ctx: Context, path: FieldPath, key: tuple[int, str, str],
                     taken: dict[tuple[int, str, str], FieldPath]) -> None:
    port, protocol, ip = key
    ip = "" if ip in ("0.0.0.0", "::") else ip
    for (other_port, other_protocol, other_ip), other_path in taken.items():
        if other_port == port and other_protocol == protocol and (other_ip == ip or "" in (ip, other_ip)):
            shown = f"{ip}:{port}" if ip else str(port)
            ctx.report(path + ("hostPort",), f"hostPort {shown}/{protocol} is already used by "
                                             f"{ctx.where(other_path)}")
            return
    taken[(port, protocol, ip)] = path



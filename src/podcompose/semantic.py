"""Checks the schema cannot express, on one pod spec, each at its exact line.

`check_pod_spec` runs on a Pod's `spec` and on the `spec.template.spec` of a
Deployment or Job. It must never raise on bad input: every value is
type-checked before use, since schema errors are reported, not fatal.
"""
from __future__ import annotations

import difflib
import posixpath
import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any, Iterator, Mapping

from . import downward, envfile, kubelet, rules
from .errors import Problem, Severity, shown
from .expand import expand
from .load import Document, FieldPath, format_path
from .quantity import parse_quantity
from .schema import definition_fields

_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
_QUALIFIED = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\Z")
_PORT_NAME = re.compile(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?\Z")
_STANDARD_RESOURCES = ("cpu", "memory", "ephemeral-storage", "pids")
_VOLUME_NAME_KEYS = {"configMap": "name", "secret": "secretName"}
_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
_PROBE_HANDLERS = ("exec", "httpGet", "tcpSocket", "grpc")
_HOOK_HANDLERS = ("exec", "httpGet", "tcpSocket", "sleep")
_ENV_SOURCES = ("configMapKeyRef", "secretKeyRef", "fieldRef", "resourceFieldRef", "fileKeyRef")


# --- names ----------------------------------------------------------------------------

def name_error(value: Any, rule: str = "subdomain") -> str | None:
    """Why `value` is not a valid DNS-1123 `rule` ("label" or "subdomain"), or None."""
    if not isinstance(value, str):
        return None  # the schema reports the type
    limit, pattern = (63, _LABEL) if rule == "label" else (253, _SUBDOMAIN)
    if value and len(value) <= limit and pattern.match(value):
        return None
    allowed = "lowercase letters, digits, '-' and '.'" if rule == "subdomain" else "lowercase letters, digits and '-'"
    text = (f"{shown(value)} is not a valid name (DNS-1123 {rule}): use at most {limit} {allowed}, "
            "starting and ending with a letter or digit")
    fixed = _fixed_name(value, limit, rule)
    return text + (f"; did you mean {shown(fixed)}?" if fixed else "")


def _fixed_name(value: str, limit: int, rule: str) -> str | None:
    keep = "-." if rule == "subdomain" else "-"
    text = re.sub(rf"[^a-z0-9{re.escape(keep)}]+", "-", value.lower())[:limit].strip("-.")
    return text if text and text != value else None


def qualified_name_error(key: Any) -> str | None:
    """Why a label or annotation key is invalid (`prefix/name` rules), or None."""
    if not isinstance(key, str):
        return None
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not _SUBDOMAIN.match(prefix)):
        return f"the prefix {shown(prefix)} of key {shown(key)} must be a DNS subdomain (e.g. example.com)"
    if not name or len(name) > 63 or not _QUALIFIED.match(name):
        return (f"key {shown(key)} is not valid: the name part must be at most 63 letters, digits, "
                "'-', '_' or '.', starting and ending with a letter or digit")
    return None


def label_value_error(value: Any) -> str | None:
    if value is None or not isinstance(value, str) or value == "":
        return None
    if len(value) <= 63 and _QUALIFIED.match(value):
        return None
    return (f"label value {shown(value)} is not valid: at most 63 letters, digits, '-', '_' or '.', "
            "starting and ending with a letter or digit")


# --- the objects a pod may refer to ---------------------------------------------------

@dataclass
class ObjectIndex:
    """The ConfigMaps and Secrets among the loaded documents, with their keys."""

    keys: dict[tuple[str, str], list[tuple[str | None, set[str]]]] = field(default_factory=dict)

    def add(self, kind: str, name: str, namespace: str | None, keys: set[str]) -> None:
        self.keys.setdefault((kind, name), []).append((namespace, keys))

    def find(self, kind: str, name: str, namespace: str | None) -> set[str] | None:
        """The keys of a matching object; an unset namespace matches any."""
        found = None
        for ns, keys in self.keys.get((kind, name), []):
            if ns is None or namespace is None or ns == namespace:
                found = (found or set()) | keys
        return found

    def namespaces(self, kind: str, name: str) -> list[str]:
        return sorted({ns for ns, _ in self.keys.get((kind, name), []) if ns})

    def names(self, kind: str) -> list[str]:
        return sorted({name for k, name in self.keys if k == kind})


# --- the checker ------------------------------------------------------------------------

def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _l(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _enumerate_dicts(value: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    return ((i, item) for i, item in enumerate(_l(value)) if isinstance(item, dict))


@dataclass
class _Context:
    document: Document
    base: FieldPath
    spec: dict[str, Any]
    objects: ObjectIndex
    namespace: str | None
    problems: list[Problem] = field(default_factory=list)

    def report(self, path: FieldPath, message: str, severity: Severity = "error", *, key: bool = False) -> None:
        self.problems.append(self.document.problem(path, message, key=key, severity=severity))

    def at(self, *parts: str | int) -> FieldPath:
        return self.base + parts


def check_pod_spec(document: Document, base: FieldPath, objects: ObjectIndex,
                   namespace: str | None, claim_volumes: Mapping[str, FieldPath] | None = None) -> list[Problem]:
    """Every semantic problem of the pod spec at `base` in `document`.

    `claim_volumes`: the volumes a StatefulSet adds from its volumeClaimTemplates (name -> where defined)."""
    spec = document.data
    for part in base:
        spec = spec.get(part) if isinstance(spec, dict) else None
    if not isinstance(spec, dict):
        return []
    ctx = _Context(document, base, spec, objects, namespace)
    containers = _containers(ctx)
    _check_pod_fields(ctx)
    volumes = {**_check_volumes(ctx), **(claim_volumes or {})}
    _check_container_names(ctx, containers)
    host_ports: dict[tuple[int, str, str], FieldPath] = {}
    port_names: dict[str, FieldPath] = {}
    for path, container, role in containers:
        _check_container(ctx, path, container, role, volumes)
        _check_ports(ctx, path, container, host_ports, port_names)
    return ctx.problems


def _containers(ctx: _Context) -> list[tuple[FieldPath, dict[str, Any], str]]:
    found = []
    for list_name in ("initContainers", "containers"):
        for i, container in _enumerate_dicts(ctx.spec.get(list_name)):
            role = "app"
            if list_name == "initContainers":
                role = "sidecar" if container.get("restartPolicy") == "Always" else "init"
            found.append((ctx.at(list_name, i), container, role))
    return found


def _check_pod_fields(ctx: _Context) -> None:
    if isinstance(ctx.spec.get("containers"), list) and not ctx.spec["containers"]:
        ctx.report(ctx.at("containers"), "a pod needs at least one container")
    for name in ("hostname", "subdomain"):
        problem = name_error(ctx.spec.get(name), "label")
        if problem:
            ctx.report(ctx.at(name), problem)
    override = ctx.spec.get("hostnameOverride")
    if isinstance(override, str):
        _report_rule(ctx, ctx.at("hostnameOverride"), name_error(override) or kubelet.hostname_override_error(
            override, host_network=ctx.spec.get("hostNetwork") is True, fqdn=ctx.spec.get("setHostnameAsFQDN") is True))
    _check_int(ctx, ctx.at("terminationGracePeriodSeconds"), ctx.spec.get("terminationGracePeriodSeconds"), 0)
    _check_int(ctx, ctx.at("activeDeadlineSeconds"), ctx.spec.get("activeDeadlineSeconds"), 1)
    if isinstance(ctx.spec.get("resources"), dict):
        _check_resources(ctx, ctx.at("resources"), ctx.spec["resources"])
        _check_pod_resources(ctx, ctx.spec["resources"])


def _check_int(ctx: _Context, path: FieldPath, value: Any, low: int, high: int | None = None) -> bool:
    if not isinstance(value, int) or isinstance(value, bool):
        return False
    if rules.integer_range_error(value, "int64"):
        return False  # beyond its Go type: reported with the schema's checks
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        ctx.report(path, f"{value} is out of range: must be {bound}")
        return False
    return True


def _check_container_names(ctx: _Context, containers: list[tuple[FieldPath, dict[str, Any], str]]) -> None:
    seen: dict[str, FieldPath] = {}
    for path, container, _role in containers:
        name = container.get("name")
        if not isinstance(name, str):
            continue
        problem = name_error(name, "label")
        if problem:
            ctx.report(path + ("name",), problem)
        if name in seen:
            ctx.report(path + ("name",), f"duplicate container name {shown(name)} (also {_where(ctx, seen[name])})")
        else:
            seen[name] = path + ("name",)


def _where(ctx: _Context, path: FieldPath) -> str:
    return f"{format_path(path)} at line {ctx.document.location(path).line}"


# --- volumes --------------------------------------------------------------------------

def _check_volumes(ctx: _Context) -> dict[str, FieldPath]:
    volumes: dict[str, FieldPath] = {}
    for i, volume in _enumerate_dicts(ctx.spec.get("volumes")):
        path = ctx.at("volumes", i)
        name = volume.get("name")
        if isinstance(name, str):
            problem = name_error(name, "label")
            if problem:
                ctx.report(path + ("name",), problem)
            if name in volumes:
                ctx.report(path + ("name",), f"duplicate volume name {shown(name)} (also {_where(ctx, volumes[name])})")
            volumes.setdefault(name, path)
        sources = [k for k, v in volume.items() if k in _volume_sources() and v is not None]
        if len(sources) > 1:
            ctx.report(path, f"a volume takes exactly one source, this one has {' and '.join(sources)}")
        _check_volume_source(ctx, path, volume)
    return volumes


@lru_cache(maxsize=1)
def _volume_sources() -> frozenset[str]:
    return definition_fields("Pod", "io.k8s.api.core.v1.Volume") - {"name"}


def _check_volume_source(ctx: _Context, path: FieldPath, volume: dict[str, Any]) -> None:
    for source, name_key in _VOLUME_NAME_KEYS.items():
        if isinstance(volume.get(source), dict):
            kind = "ConfigMap" if source == "configMap" else "Secret"
            _check_object_ref(ctx, path + (source,), volume[source], kind, name_key, items=True)
    for j, projection in _enumerate_dicts(_d(volume.get("projected")).get("sources")):
        for source in ("configMap", "secret"):
            if isinstance(projection.get(source), dict):
                kind = "ConfigMap" if source == "configMap" else "Secret"
                _check_object_ref(ctx, path + ("projected", "sources", j, source), projection[source], kind,
                                  "name", items=True)
    _check_files(ctx, path, volume)
    host = _d(volume.get("hostPath"))
    if isinstance(host.get("path"), str):
        _report_rule(ctx, path + ("hostPath", "path"), rules.host_path_error(host["path"]))
    _report_rule(ctx, path + ("hostPath", "type"), rules.host_path_type_error(host.get("type")))
    if "emptyDir" in volume:
        _check_non_negative(ctx, path + ("emptyDir", "sizeLimit"), _d(volume["emptyDir"]).get("sizeLimit"))
        _report_rule(ctx, path + ("emptyDir", "mode"), rules.empty_dir_mode_error(_d(volume["emptyDir"]).get("mode")))
    if "image" in volume:
        _check_image_volume(ctx, path + ("image",), _d(volume.get("image")))


_PULL_POLICIES = ("Always", "Never", "IfNotPresent")


def _check_image_volume(ctx: _Context, path: FieldPath, source: dict[str, Any]) -> None:
    """validateImageVolumeSource: a Pod's image volume names its image; pullPolicy is a pull policy."""
    if not source.get("reference"):
        ctx.report(path + ("reference",), "required field is missing: the image whose file system the volume is")
    policy = source.get("pullPolicy")
    if policy is not None and policy not in _PULL_POLICIES:
        ctx.report(path + ("pullPolicy",), f"{shown(policy)} is not a pull policy: use one of "
                                          f"{', '.join(_PULL_POLICIES)}")


def _report_rule(ctx: _Context, path: FieldPath, message: str | None) -> None:
    if message:
        ctx.report(path, message)


def _check_files(ctx: _Context, path: FieldPath, volume: dict[str, Any]) -> None:
    """The files of configMap, secret, downwardAPI and projected volumes: item paths, keys, modes."""
    sources: list[tuple[FieldPath, dict[str, Any]]] = [
        (path + (name,), volume[name]) for name in ("configMap", "secret", "downwardAPI")
        if isinstance(volume.get(name), dict)]
    projected = _d(volume.get("projected"))
    if projected:
        sources.append((path + ("projected",), projected))
        sources += [(path + ("projected", "sources", j, name), projection[name])
                    for j, projection in _enumerate_dicts(projected.get("sources"))
                    for name in ("configMap", "secret", "downwardAPI") if isinstance(projection.get(name), dict)]
    for source_path, source in sources:
        _report_rule(ctx, source_path + ("defaultMode",), rules.file_mode_error(source.get("defaultMode")))
        for j, item in _enumerate_dicts(source.get("items")):
            item_path = source_path + ("items", j)
            if source_path[-1] == "downwardAPI":
                _report_rule(ctx, item_path + ("fieldRef", "fieldPath"),
                             downward.field_path_error(_d(item.get("fieldRef")).get("fieldPath"), volume=True))
                _check_resource_ref(ctx, item_path + ("resourceFieldRef",), item.get("resourceFieldRef"),
                                    container_required=True)
            if isinstance(item.get("path"), str):
                _report_rule(ctx, item_path + ("path",), rules.item_path_error(item["path"]))
            if isinstance(item.get("key"), str) and item["key"]:
                _report_rule(ctx, item_path + ("key",), rules.data_key_error(item["key"]))
            _report_rule(ctx, item_path + ("mode",), rules.file_mode_error(item.get("mode")))


def _check_object_ref(ctx: _Context, path: FieldPath, ref: dict[str, Any], kind: str, name_key: str,
                      *, items: bool = False, key: Any = None) -> None:
    """A reference to a ConfigMap or Secret (and maybe some of its keys) must resolve."""
    name = ref.get(name_key)
    if not isinstance(name, str) or not name:
        if name is None or name == "":
            ctx.report(path + (name_key,), f"required field is missing: the name of the {kind}", key=True)
        return
    if ref.get("optional") is True:
        return
    keys = ctx.objects.find(kind, name, ctx.namespace)
    if keys is None and ctx.objects.namespaces(kind, name):
        elsewhere = ", ".join(ctx.objects.namespaces(kind, name))
        ctx.report(path + (name_key,), f"{kind} {shown(name)} is in namespace {elsewhere}, not {ctx.namespace}")
        return
    if keys is None:
        known = ctx.objects.names(kind)
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
        hint = f"; did you mean {shown(close[0])}?" if close else " (add its manifest, or set optional: true)"
        ctx.report(path + (name_key,), f"{kind} {shown(name)} is not defined in the loaded manifests{hint}")
        return
    wanted: list[tuple[FieldPath, str]] = []
    if isinstance(key, str):
        wanted.append((path + ("key",), key))
    if items:
        wanted += [(path + ("items", j, "key"), item["key"]) for j, item in _enumerate_dicts(ref.get("items"))
                   if isinstance(item.get("key"), str)]
    for key_path, wanted_key in wanted:
        if wanted_key not in keys:
            has = ", ".join(sorted(keys)) or "no keys"
            ctx.report(key_path, f"{kind} {shown(name)} has no key {shown(wanted_key)} (it has: {has})")


# --- containers -----------------------------------------------------------------------

def _check_container(ctx: _Context, path: FieldPath, container: dict[str, Any], role: str,
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
    lifecycle = _d(container.get("lifecycle"))
    for hook in ("postStart", "preStop"):
        _check_handlers(ctx, path + ("lifecycle", hook), lifecycle.get(hook), _HOOK_HANDLERS, f"{hook}")
    _check_env(ctx, path, container)
    _check_env_from(ctx, path, container)
    _check_mounts(ctx, path, container, volumes)
    if isinstance(container.get("resources"), dict):
        _check_resources(ctx, path + ("resources",), container["resources"])


def _check_choice(ctx: _Context, path: FieldPath, value: str, choices: tuple[str, ...]) -> bool:
    if value in choices:
        return True
    close = difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
    hint = f"; did you mean {shown(close[0])}?" if close else ""
    ctx.report(path, f"{shown(value)} is not one of {', '.join(sorted(choices))}{hint}")
    return False


def _check_init_restart_policy(ctx: _Context, path: FieldPath, value: str) -> None:
    if _check_choice(ctx, path + ("restartPolicy",), value, ("Always", "OnFailure", "Never")) and value != "Always":
        ctx.report(path + ("restartPolicy",), f"restartPolicy {value} on an init container is not supported yet: "
                   "only Always (a native sidecar) changes how it runs", "warning")


def _check_handlers(ctx: _Context, path: FieldPath, value: Any, handlers: tuple[str, ...], what: str) -> None:
    if not isinstance(value, dict):
        return
    used = [h for h in handlers if value.get(h) is not None]
    if len(used) != 1:
        found = f"it has {' and '.join(used)}" if used else "it has none"
        ctx.report(path, f"{what} needs exactly one handler of {', '.join(handlers)}; {found}")


def _check_env(ctx: _Context, path: FieldPath, container: dict[str, Any]) -> None:
    seen: dict[str, FieldPath] = {}
    for i, env in _enumerate_dicts(container.get("env")):
        env_path = path + ("env", i)
        name = env.get("name")
        if isinstance(name, str):
            if not name or "=" in name:
                ctx.report(env_path + ("name",), f"{shown(name)} is not a valid variable name (it may not be empty "
                                                 "or contain '=')")
            elif name in seen:
                ctx.report(env_path + ("name",), f"variable {shown(name)} is set again (first at "
                                                 f"{_where(ctx, seen[name])}); this later value wins", "warning")
            seen.setdefault(name, env_path + ("name",))
        source = env.get("valueFrom")
        if not isinstance(source, dict):
            continue
        if env.get("value") not in (None, ""):
            ctx.report(env_path + ("valueFrom",), "value and valueFrom may not both be set")
        _check_env_source(ctx, env_path + ("valueFrom",), source)


def _check_env_source(ctx: _Context, path: FieldPath, source: dict[str, Any]) -> None:
    used = [s for s in _ENV_SOURCES if source.get(s) is not None]
    if len(used) != 1:
        found = f"it has {' and '.join(used)}" if used else "it has none"
        ctx.report(path, f"valueFrom needs exactly one of {', '.join(_ENV_SOURCES)}; {found}")
    for name, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
        ref = source.get(name)
        if isinstance(ref, dict):
            _check_object_ref(ctx, path + (name,), ref, kind, "name", key=ref.get("key"))
    _report_rule(ctx, path + ("fieldRef", "fieldPath"),
                 downward.field_path_error(_d(source.get("fieldRef")).get("fieldPath")))
    _check_resource_ref(ctx, path + ("resourceFieldRef",), source.get("resourceFieldRef"))
    _check_file_key_ref(ctx, path + ("fileKeyRef",), source.get("fileKeyRef"))


def _check_file_key_ref(ctx: _Context, path: FieldPath, ref: Any) -> None:
    """Kubernetes' validateFileKeySelector: an emptyDir volume of the pod, a local path, a key."""
    if not isinstance(ref, dict):
        return
    volume = ref.get("volumeName")
    if isinstance(volume, str):
        volumes = {v.get("name"): v for _, v in _enumerate_dicts(ctx.spec.get("volumes"))}
        if volume not in volumes:
            close = difflib.get_close_matches(volume, [str(n) for n in volumes], n=1, cutoff=0.6)
            hint = f"; did you mean {shown(close[0])}?" if close else ""
            ctx.report(path + ("volumeName",), f"no volume named {shown(volume)} in "
                                               f"{format_path(ctx.at('volumes'))}{hint}")
        elif volumes[volume].get("emptyDir") is None:
            ctx.report(path + ("volumeName",), f"volume {shown(volume)} is not an emptyDir: an env file is read "
                                               "from an emptyDir volume only")
    if isinstance(ref.get("path"), str):
        _report_rule(ctx, path + ("path",), rules.item_path_error(ref["path"]))
    if isinstance(ref.get("key"), str):
        _report_rule(ctx, path + ("key",), envfile.key_error(ref["key"]))


def _check_resource_ref(ctx: _Context, path: FieldPath, ref: Any, *, container_required: bool = False) -> None:
    if not isinstance(ref, dict):
        return
    _report_rule(ctx, path + ("resource",), downward.resource_error(ref.get("resource")))
    if ref.get("divisor") is not None:
        _report_rule(ctx, path + ("divisor",), downward.resource_error(None, ref.get("divisor")))
    name = ref.get("containerName")
    if container_required and not name:
        ctx.report(path + ("containerName",), "required field is missing: the container whose resource to read "
                   "(a volume belongs to no container)", key=True)
    elif isinstance(name, str) and name and name not in {c.get("name") for _, c, _ in _containers(ctx)}:
        ctx.report(path + ("containerName",), f"the pod has no container {shown(name)}")


def _check_env_from(ctx: _Context, path: FieldPath, container: dict[str, Any]) -> None:
    for i, source in _enumerate_dicts(container.get("envFrom")):
        used = [k for k in ("configMapRef", "secretRef") if isinstance(source.get(k), dict)]
        if len(used) != 1:
            ctx.report(path + ("envFrom", i), "envFrom needs exactly one of configMapRef, secretRef")
        for ref_name in used:
            kind = "ConfigMap" if ref_name == "configMapRef" else "Secret"
            _check_object_ref(ctx, path + ("envFrom", i, ref_name), source[ref_name], kind, "name")


def _check_mounts(ctx: _Context, path: FieldPath, container: dict[str, Any], volumes: dict[str, FieldPath]) -> None:
    mount_paths: dict[str, FieldPath] = {}
    env = _StaticEnv(container)
    for i, mount in _enumerate_dicts(container.get("volumeMounts")):
        mount_path = path + ("volumeMounts", i)
        name = mount.get("name")
        if isinstance(name, str) and name not in volumes:
            close = difflib.get_close_matches(name, list(volumes), n=1, cutoff=0.6)
            hint = f"; did you mean {shown(close[0])}?" if close else ""
            ctx.report(mount_path + ("name",),
                       f"no volume named {shown(name)} in {format_path(ctx.at('volumes'))}{hint}")
        target = mount.get("mountPath")
        if isinstance(target, str):
            _report_rule(ctx, mount_path + ("mountPath",), rules.mount_path_error(target))
            normal = posixpath.normpath(target) if target else target
            if normal in mount_paths:
                ctx.report(mount_path + ("mountPath",),
                           f"{shown(target)} is already mounted by {_where(ctx, mount_paths[normal])}")
            mount_paths.setdefault(normal, mount_path + ("mountPath",))
        _check_sub_path(ctx, mount_path, mount, env)
        _report_rule(ctx, mount_path + ("recursiveReadOnly",),
                     rules.recursive_read_only_error(mount.get("recursiveReadOnly"), mount.get("readOnly"),
                                                     mount.get("mountPropagation")))


def _check_sub_path(ctx: _Context, path: FieldPath, mount: dict[str, Any], env: "_StaticEnv") -> None:
    """subPath as written; subPathExpr as written and, as far as the env is known here, expanded."""
    sub_path, expression = mount.get("subPath"), mount.get("subPathExpr")
    if isinstance(sub_path, str):
        _report_rule(ctx, path + ("subPath",), rules.local_path_error(sub_path))
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
    _report_rule(ctx, path + ("subPathExpr",), message)


class _StaticEnv:
    """A container's env as far as validation knows it: literal values, and names set from elsewhere.

    A name set by valueFrom (a ConfigMap, a Secret, a field) gets a placeholder that is one
    harmless path component, so that `$(DIR)/..` is still refused here; what such a value
    really expands to is checked by the model.
    """

    PLACEHOLDER = "x"

    def __init__(self, container: dict[str, Any]) -> None:
        self.values: dict[str, str] = {}
        self.may_set_anything = bool(_l(container.get("envFrom")))
        for _i, item in _enumerate_dicts(container.get("env")):
            name = item.get("name")
            if not isinstance(name, str):
                continue
            if item.get("valueFrom") is not None:
                self.values[name] = self.PLACEHOLDER
            else:
                value = item.get("value")
                self.values[name] = expand(value, self.values) if isinstance(value, str) else ""

    def for_check(self) -> dict[str, str]:
        return self.values


# --- ports ----------------------------------------------------------------------------

def _check_ports(ctx: _Context, path: FieldPath, container: dict[str, Any],
                 host_ports: dict[tuple[int, str, str], FieldPath], port_names: dict[str, FieldPath]) -> None:
    for i, port in _enumerate_dicts(container.get("ports")):
        port_path = path + ("ports", i)
        valid = _check_int(ctx, port_path + ("containerPort",), port.get("containerPort"), 1, 65535)
        _check_port_name(ctx, port_path + ("name",), port.get("name"), port_names)
        host_port = port.get("hostPort")
        if not isinstance(host_port, int) or not _check_int(ctx, port_path + ("hostPort",), host_port, 0, 65535) \
                or host_port == 0:
            continue
        if ctx.spec.get("hostNetwork") is True and valid and host_port != port.get("containerPort"):
            ctx.report(port_path + ("hostPort",), f"with hostNetwork, hostPort ({host_port}) must equal "
                                                  f"containerPort ({port.get('containerPort')})")
        protocol = port["protocol"] if isinstance(port.get("protocol"), str) else "TCP"
        host_ip = port["hostIP"] if isinstance(port.get("hostIP"), str) else ""
        _check_host_port(ctx, port_path, (host_port, protocol, host_ip), host_ports)


def _check_port_name(ctx: _Context, path: FieldPath, name: Any, names: dict[str, FieldPath]) -> None:
    if not isinstance(name, str):
        return
    if len(name) > 15 or not _PORT_NAME.match(name) or "--" in name or not re.search("[a-z]", name):
        ctx.report(path, f"{shown(name)} is not a valid port name: at most 15 lowercase letters, digits and '-', "
                         "with at least one letter")
    elif name in names:
        ctx.report(path, f"duplicate port name {shown(name)} (also {_where(ctx, names[name])})")
    names.setdefault(name, path)


def _check_host_port(ctx: _Context, path: FieldPath, key: tuple[int, str, str],
                     taken: dict[tuple[int, str, str], FieldPath]) -> None:
    port, protocol, ip = key
    ip = "" if ip in ("0.0.0.0", "::") else ip
    for (other_port, other_protocol, other_ip), other_path in taken.items():
        if other_port == port and other_protocol == protocol and (other_ip == ip or "" in (ip, other_ip)):
            shown = f"{ip}:{port}" if ip else str(port)
            ctx.report(path + ("hostPort",), f"hostPort {shown}/{protocol} is already used by "
                                             f"{_where(ctx, other_path)}")
            return
    taken[(port, protocol, ip)] = path


# --- resources ------------------------------------------------------------------------

def _check_resources(ctx: _Context, path: FieldPath, resources: dict[str, Any]) -> None:
    parsed: dict[str, dict[str, Decimal]] = {}
    for section in ("limits", "requests"):
        for name, value in _d(resources.get(section)).items():
            item = path + (section, name)
            _check_resource_name(ctx, item, name)
            amount = _check_non_negative(ctx, item, value)
            if amount is not None:
                parsed.setdefault(section, {})[name] = amount
    for name, request in parsed.get("requests", {}).items():
        limit = parsed.get("limits", {}).get(name)
        if limit is not None and request > limit:
            shown = resources["limits"][name]
            ctx.report(path + ("requests", name), f"the request {resources['requests'][name]} is more than the "
                                                  f"limit {shown} ({format_path(path + ('limits', name))})")


def _check_pod_resources(ctx: _Context, resources: dict[str, Any]) -> None:
    """validatePodResources: only cpu and memory (and hugepages) at pod level, no claims; the containers'
    aggregate requests within the pod's requests (also as defaulted from its limits); no container's
    limit above the pod's."""
    path = ctx.at("resources")
    if resources.get("claims"):
        ctx.report(path + ("claims",), "claims cannot be set for resources at pod level")
    sections = {section: _quantities(_d(resources.get(section))) for section in ("requests", "limits")}
    for section in sections:
        for name in _d(resources.get(section)):
            allowed = kubelet.POD_LEVEL_LIMITS if section == "limits" else kubelet.POD_LEVEL_RESOURCES
            if name not in allowed and not str(name).startswith("hugepages-"):
                ctx.report(path + (section, name), f"{shown(name)} cannot be set at pod level: pod-level "
                                                   f"{section} are {', '.join(allowed)}", key=True)
    pids = sections["limits"].get("pids")
    low, high = kubelet.POD_PID_LIMIT_RANGE
    if pids is not None and not (pids == pids.to_integral_value() and low <= pids <= high):
        ctx.report(path + ("limits", "pids"), f"{shown(resources['limits']['pids'])} is not a pod pids limit: "
                                              f"a whole number from {low} to {high}")
    containers = [(c.get("restartPolicy") == "Always", _defaulted_requests(c))
                  for _, c in _enumerate_dicts(ctx.spec.get("initContainers"))]
    regular = [_defaulted_requests(c) for _, c in _enumerate_dicts(ctx.spec.get("containers"))]
    aggregate = kubelet.aggregate_container_requests(containers, regular)
    for name, total in aggregate.items():
        if name not in kubelet.POD_LEVEL_RESOURCES:
            continue
        request, limit = sections["requests"].get(name), sections["limits"].get(name)
        if request is not None and total > request:
            ctx.report(path + ("requests", name), f"{resources['requests'][name]} must be at least the containers' "
                                                  f"aggregate request of {name}, {_decimal_text(total)}")
        elif request is None and limit is not None and total > limit:
            ctx.report(path + ("limits", name), f"the pod's request of {name} defaults to the containers' aggregate "
                                                f"request, {_decimal_text(total)}, which is more than this limit")
    for i, container in _enumerate_dicts(ctx.spec.get("containers")):
        for name, value in _quantities(_d(_d(container.get("resources")).get("limits"))).items():
            limit = sections["limits"].get(name)
            if name in kubelet.POD_LEVEL_RESOURCES and limit is not None and value > limit:
                ctx.report(ctx.at("containers", i, "resources", "limits", name),
                           f"{container['resources']['limits'][name]} is more than the pod's limit "
                           f"{resources['limits'][name]} ({format_path(path + ('limits', name))})")


def _quantities(amounts: dict[str, Any]) -> dict[str, Decimal]:
    """The amounts that parse (the schema reports the others)."""
    found = {}
    for name, value in amounts.items():
        try:
            found[str(name)] = parse_quantity(value)
        except (ValueError, TypeError):
            continue
    return found


def _defaulted_requests(container: dict[str, Any]) -> dict[str, Decimal]:
    """A container's requests, each unset one defaulted to its limit (the API server's defaulting)."""
    resources = _d(container.get("resources"))
    return _quantities(_d(resources.get("limits"))) | _quantities(_d(resources.get("requests")))


def _decimal_text(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _check_resource_name(ctx: _Context, path: FieldPath, name: str) -> None:
    if name in _STANDARD_RESOURCES or name.startswith("hugepages-") or "/" in name:
        return
    close = difflib.get_close_matches(name, _STANDARD_RESOURCES, n=1, cutoff=0.6)
    hint = f"; did you mean {shown(close[0])}?" if close else " (or a domain-qualified name like example.com/gpu)"
    ctx.report(path, f"{shown(name)} is not a resource: use cpu, memory, ephemeral-storage, pids or "
                     f"hugepages-<size>{hint}",
               key=True)


def _check_non_negative(ctx: _Context, path: FieldPath, value: Any) -> Decimal | None:
    """The quantity's value; reports a negative one. Bad syntax is the schema's to report."""
    if value is None:
        return None
    try:
        amount = parse_quantity(value)
    except ValueError:
        return None
    if amount < 0:
        ctx.report(path, f"{value} is negative: a quantity here must be at least 0")
        return None
    return amount

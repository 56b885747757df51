"""The semantic checks of a pod's volumes and of the files they write, each at its line.

Besides Kubernetes' own rules, the refusals of what podcompose cannot run (an unsupported
volume or projected source) are made here, so that validation is the one rule book.
"""
from __future__ import annotations

import difflib
from functools import lru_cache
from typing import Any

from . import downward, rules
from .dns_names import name_error
from .errors import shown
from .load import FieldPath
from .raw import enumerate_dicts, mapping
from .schema import definition_fields
from .model import VolumeKind
from .semantic_context import Context

_VOLUME_NAME_KEYS = {"configMap": "name", "secret": "secretName"}
_PROJECTED_SOURCES = ("configMap", "secret", "downwardAPI", "serviceAccountToken")

def check_volumes(ctx: Context) -> dict[str, FieldPath]:
    volumes: dict[str, FieldPath] = {}
    for i, volume in enumerate_dicts(ctx.spec.get("volumes")):
        path = ctx.at("volumes", i)
        name = volume.get("name")
        if isinstance(name, str):
            problem = name_error(name, "label")
            if problem:
                ctx.report(path + ("name",), problem)
            if name in volumes:
                ctx.report(path + ("name",), f"duplicate volume name {shown(name)} (also {ctx.where(volumes[name])})")
            volumes.setdefault(name, path)
        sources = [k for k, v in volume.items() if k in _volume_sources() and v is not None]
        if len(sources) > 1:
            ctx.report(path, f"a volume takes exactly one source, this one has {' and '.join(sources)}")
        _check_volume_source(ctx, path, volume)
        _check_supported(ctx, path, volume)
    return volumes


def _check_supported(ctx: Context, path: FieldPath, volume: dict[str, Any]) -> None:
    """podcompose runs the volume sources of VolumeKind only, and projects configMap, secret, downwardAPI and
    serviceAccountToken only; a projected volume may write each file once (validateProjectionSources)."""
    if not any(kind.value in volume for kind in VolumeKind):
        kinds = [k for k in volume if k != "name"]
        ctx.report(path, f"volume source {', '.join(kinds) or '(none)'} is not supported yet")
    if VolumeKind.PROJECTED.value not in volume:
        return
    written: set[str] = set()
    for j, projection in enumerate_dicts(mapping(volume.get("projected")).get("sources")):
        if not any(projection.get(source) is not None for source in _PROJECTED_SOURCES):
            kinds = ", ".join(k for k in projection) or "(none)"
            ctx.report(path + ("projected", "sources", j), f"projected source {kinds} is not supported yet")
        for file_path in _projected_paths(ctx, projection):
            if file_path in written:
                ctx.report(path + ("projected", "sources"), f"two projected sources write the file {shown(file_path)}")
            written.add(file_path)


def _projected_paths(ctx: Context, projection: dict[str, Any]) -> list[str]:
    """The paths of the files one projection writes (as far as the loaded objects tell)."""
    for source, kind in (("configMap", "ConfigMap"), ("secret", "Secret")):
        if projection.get(source) is not None:
            ref = mapping(projection[source])
            keys = ctx.objects.find(kind, str(ref.get("name")), ctx.namespace) or set()
            listed = list(enumerate_dicts(ref.get("items")))
            if listed:
                return [str(item.get("path")) for _, item in listed if str(item.get("key")) in keys]
            return sorted(keys)
    if projection.get("downwardAPI") is not None:
        return [str(item.get("path")) for _, item in enumerate_dicts(mapping(projection["downwardAPI"]).get("items"))]
    if projection.get("serviceAccountToken") is not None:
        return [str(mapping(projection["serviceAccountToken"]).get("path") or "token")]
    return []


@lru_cache(maxsize=1)
def _volume_sources() -> frozenset[str]:
    return definition_fields("Pod", "io.k8s.api.core.v1.Volume") - {"name"}


def _check_volume_source(ctx: Context, path: FieldPath, volume: dict[str, Any]) -> None:
    for source, name_key in _VOLUME_NAME_KEYS.items():
        if isinstance(volume.get(source), dict):
            kind = "ConfigMap" if source == "configMap" else "Secret"
            check_object_ref(ctx, path + (source,), volume[source], kind, name_key, items=True)
    for j, projection in enumerate_dicts(mapping(volume.get("projected")).get("sources")):
        for source in ("configMap", "secret"):
            if isinstance(projection.get(source), dict):
                kind = "ConfigMap" if source == "configMap" else "Secret"
                check_object_ref(ctx, path + ("projected", "sources", j, source), projection[source], kind,
                                 "name", items=True)
    _check_files(ctx, path, volume)
    host = mapping(volume.get("hostPath"))
    if isinstance(host.get("path"), str):
        ctx.report_rule(path + ("hostPath", "path"), rules.host_path_error(host["path"]))
    ctx.report_rule(path + ("hostPath", "type"), rules.host_path_type_error(host.get("type")))
    if "emptyDir" in volume:
        ctx.check_quantity(path + ("emptyDir", "sizeLimit"), mapping(volume["emptyDir"]).get("sizeLimit"))
        ctx.report_rule(path + ("emptyDir", "mode"),
                        rules.empty_dir_mode_error(mapping(volume["emptyDir"]).get("mode")))
    if "image" in volume:
        _check_image_volume(ctx, path + ("image",), mapping(volume.get("image")))


_PULL_POLICIES = ("Always", "Never", "IfNotPresent")


def _check_image_volume(ctx: Context, path: FieldPath, source: dict[str, Any]) -> None:
    """validateImageVolumeSource: a Pod's image volume names its image; pullPolicy is a pull policy."""
    if not source.get("reference"):
        ctx.report(path + ("reference",), "required field is missing: the image whose file system the volume is")
    policy = source.get("pullPolicy")
    if policy is not None and policy not in _PULL_POLICIES:
        ctx.report(path + ("pullPolicy",), f"{shown(policy)} is not a pull policy: use one of "
                                          f"{', '.join(_PULL_POLICIES)}")


def _check_files(ctx: Context, path: FieldPath, volume: dict[str, Any]) -> None:
    """The files of configMap, secret, downwardAPI and projected volumes: item paths, keys, modes."""
    sources: list[tuple[FieldPath, dict[str, Any]]] = [
        (path + (name,), volume[name]) for name in ("configMap", "secret", "downwardAPI")
        if isinstance(volume.get(name), dict)]
    projected = mapping(volume.get("projected"))
    if projected:
        sources.append((path + ("projected",), projected))
        sources += [(path + ("projected", "sources", j, name), projection[name])
                    for j, projection in enumerate_dicts(projected.get("sources"))
                    for name in ("configMap", "secret", "downwardAPI") if isinstance(projection.get(name), dict)]
    for source_path, source in sources:
        ctx.report_rule(source_path + ("defaultMode",), rules.file_mode_error(source.get("defaultMode")))
        for j, item in enumerate_dicts(source.get("items")):
            item_path = source_path + ("items", j)
            if source_path[-1] == "downwardAPI":
                if not item.get("fieldRef") and not item.get("resourceFieldRef"):
                    ctx.report(item_path, "a downwardAPI item needs fieldRef or resourceFieldRef")
                ctx.report_rule(item_path + ("fieldRef", "fieldPath"),
                                downward.field_path_error(mapping(item.get("fieldRef")).get("fieldPath"), volume=True))
                check_resource_ref(ctx, item_path + ("resourceFieldRef",), item.get("resourceFieldRef"),
                                   container_required=True)
            if isinstance(item.get("path"), str):
                ctx.report_rule(item_path + ("path",), rules.item_path_error(item["path"]))
            if isinstance(item.get("key"), str) and item["key"]:
                ctx.report_rule(item_path + ("key",), rules.data_key_error(item["key"]))
            ctx.report_rule(item_path + ("mode",), rules.file_mode_error(item.get("mode")))


def check_object_ref(ctx: Context, path: FieldPath, ref: dict[str, Any], kind: str, name_key: str,
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
        wanted += [(path + ("items", j, "key"), item["key"]) for j, item in enumerate_dicts(ref.get("items"))
                   if isinstance(item.get("key"), str)]
    for key_path, wanted_key in wanted:
        if wanted_key not in keys:
            has = ", ".join(sorted(keys)) or "no keys"
            ctx.report(key_path, f"{kind} {shown(name)} has no key {shown(wanted_key)} (it has: {has})")


def check_resource_ref(ctx: Context, path: FieldPath, ref: Any, *, container_required: bool = False) -> None:
    if not isinstance(ref, dict):
        return
    ctx.report_rule(path + ("resource",), downward.resource_error(ref.get("resource")))
    if ref.get("divisor") is not None:
        ctx.report_rule(path + ("divisor",), downward.resource_error(None, ref.get("divisor")))
    name = ref.get("containerName")
    if container_required and not name:
        ctx.report(path + ("containerName",), "required field is missing: the container whose resource to read "
                   "(a volume belongs to no container)", key=True)
    elif isinstance(name, str) and name and name not in {c.get("name") for _, c, _ in ctx.containers()}:
        ctx.report(path + ("containerName",), f"the pod has no container {shown(name)}")



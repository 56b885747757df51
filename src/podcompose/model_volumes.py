"""A pod's volumes as the model holds them: each source read into a `Volume` (files, paths, claims, images).

Built from validated manifests only (the refusals are validation's, podcompose.semantic_volumes).
"""
from __future__ import annotations

from typing import Any, Mapping

from . import downward
from .model import Volume, VolumeKind, default_pull_policy, override_image
from .model_context import PodContext
from .quantity import memory_to_bytes

File = tuple[str, bytes, int]      # (path, content, mode)


def volume(ctx: PodContext, raw: Mapping[str, Any]) -> Volume | None:
    """The Volume of one `spec.volumes` entry (None for a source podcompose does not run)."""
    name = str(raw.get("name"))
    if VolumeKind.EMPTY_DIR in raw:
        empty = raw.get("emptyDir") or {}
        limit = empty.get("sizeLimit")
        mode = empty.get("mode")
        return Volume(name, VolumeKind.EMPTY_DIR, medium=str(empty.get("medium") or ""),
                      size_limit_bytes=None if limit is None else memory_to_bytes(limit),
                      mode=None if mode is None else int(mode))
    if VolumeKind.HOST_PATH in raw:
        host = raw["hostPath"] or {}
        return Volume(name, VolumeKind.HOST_PATH, host_path=str(host.get("path")),
                      host_path_type=str(host.get("type") or ""))
    for kind, source_kind, ref_key in (("ConfigMap", VolumeKind.CONFIG_MAP, "name"),
                                       ("Secret", VolumeKind.SECRET, "secretName")):
        if source_kind in raw:
            source = raw[source_kind] or {}
            return Volume(name, source_kind, files=tuple(config_files(ctx, kind, source, ref_key,
                                                                      _default_mode(source))))
    if VolumeKind.DOWNWARD_API in raw:
        source = raw["downwardAPI"] or {}
        files, runtime = downward_files(ctx, source, _default_mode(source))
        return Volume(name, VolumeKind.DOWNWARD_API, files=tuple(files), runtime_paths=runtime)
    if VolumeKind.PROJECTED in raw:
        files, runtime = projected_files(ctx, raw["projected"] or {})
        return Volume(name, VolumeKind.PROJECTED, files=tuple(files), runtime_paths=runtime)
    if VolumeKind.PERSISTENT_VOLUME_CLAIM in raw:
        claim = raw["persistentVolumeClaim"] or {}
        claim_name = str(claim.get("claimName") or "")
        return Volume(name, VolumeKind.PERSISTENT_VOLUME_CLAIM, claim_name=claim_name,
                      claim_declared=(ctx.namespace, claim_name) in ctx.objects.claims,
                      read_only=bool(claim.get("readOnly", False)))
    if VolumeKind.EPHEMERAL in raw:
        return Volume(name, VolumeKind.EPHEMERAL)
    if VolumeKind.IMAGE in raw:
        source = raw["image"] or {}
        reference = override_image(str(source.get("reference") or ""), ctx.image_overrides)
        return Volume(name, VolumeKind.IMAGE, image_reference=reference,
                      image_pull_policy=str(source.get("pullPolicy") or default_pull_policy(reference)))
    return None


def _default_mode(source: Mapping[str, Any]) -> int:
    return int(source.get("defaultMode", 0o644))


def downward_files(ctx: PodContext, source: Mapping[str, Any], default_mode: int) -> tuple[list[File], tuple[str, ...]]:
    """The files of a downwardAPI volume (or projection): one per item, its mode or `default_mode`; and the
    paths of those that hold a runtime placeholder (a runtime field, a resource), the only ones resolved.

    A label or annotation is the user's text, never a placeholder: a NUL in it is written as it is."""
    files: list[File] = []
    runtime: list[str] = []
    for item in source.get("items") or []:
        field_ref = item.get("fieldRef")
        if field_ref:
            value: str | None = ctx.field_ref(field_ref)
            from_runtime = str(field_ref.get("fieldPath")) in downward.RUNTIME_FIELDS
        else:
            value = ctx.resource_ref(item.get("resourceFieldRef") or {}, None)
            from_runtime = True
        if value is not None:
            path = str(item.get("path"))
            files.append((path, value.encode(), int(item.get("mode", default_mode))))
            if from_runtime and downward.has_placeholder(value):
                runtime.append(path)
    return files, tuple(runtime)


def config_files(ctx: PodContext, kind: str, source: Mapping[str, Any], name_key: str,
                 default_mode: int) -> list[File]:
    """The files of a configMap or secret volume (or projection): its `items`, or every key."""
    entries = ctx.lookup(kind, str(source.get(name_key))) or {}
    items = source.get("items")
    if items:
        return [(str(it["path"]), entries[str(it["key"])], int(it.get("mode", default_mode)))
                for it in items if str(it["key"]) in entries]
    return [(k, v, default_mode) for k, v in sorted(entries.items())]


def projected_files(ctx: PodContext, source: Mapping[str, Any]) -> tuple[list[File], tuple[str, ...]]:
    """The files of a projected volume, and the paths of its downward API files that hold a placeholder."""
    default_mode = _default_mode(source)
    files: list[File] = []
    runtime: tuple[str, ...] = ()
    for projection in source.get("sources") or []:
        if projection.get("configMap") is not None:
            files += config_files(ctx, "ConfigMap", projection["configMap"] or {}, "name", default_mode)
        elif projection.get("secret") is not None:
            files += config_files(ctx, "Secret", projection["secret"] or {}, "name", default_mode)
        elif projection.get("downwardAPI") is not None:
            downward_part, runtime_part = downward_files(ctx, projection["downwardAPI"] or {}, default_mode)
            files += downward_part
            runtime += runtime_part
        elif projection.get("serviceAccountToken") is not None:
            token = projection["serviceAccountToken"] or {}
            files.append((str(token.get("path") or "token"), downward.fake_service_account_token(
                ctx.namespace, ctx.facts.service_account, str(token.get("audience") or ""),
                int(token.get("expirationSeconds") or 3600)), default_mode))
    return files, runtime

"""The downward API: which pod fields a container may read, and their values, written once.

Validation (`semantic`) and the model (`model`) both ask `field_path_error`; the
model asks `field_value` / `resource_value` for the text of an env variable or
a downwardAPI file. What only exists once the pod runs (its uid, the pause
container's IP, the host's IP, a limit that defaults to the node's allocatable)
is a *placeholder* in the model, `\\x00token\\x00`, resolved by the runtime when it
creates a container or fills a volume (`resolve`, with the `RuntimeValues` the
builder reads from Docker). A placeholder is stable, so a container's spec hash
does not change when the pause container is recreated with another IP; `$(VAR)`
expansion carries it into command, args and other variables, where it is
resolved the same way. NUL never occurs in a manifest's string (Docker refuses it
in env and arguments), so a placeholder can neither collide with user text nor
go unnoticed.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Mapping

from . import envfile
from .errors import shown
from .quantity import parse_quantity

# Kubernetes' validEnvDownwardAPIFieldPathExpressions and validVolumeDownwardAPIFieldPathExpressions
ENV_FIELD_PATHS = ("metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName",
                   "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs")
VOLUME_FIELD_PATHS = ("metadata.name", "metadata.namespace", "metadata.uid", "metadata.labels",
                      "metadata.annotations")
SUBSCRIPT = re.compile(r"metadata\.(labels|annotations)\['([^']+)'\]\Z")
RUNTIME_FIELDS = ("metadata.uid", "status.podIP", "status.podIPs", "status.hostIP", "status.hostIPs")

# Kubernetes' validContainerResourceFieldPathExpressions (hugepages-* are refused with the field)
RESOURCES = ("limits.cpu", "limits.memory", "limits.ephemeral-storage",
             "requests.cpu", "requests.memory", "requests.ephemeral-storage")
NODE_NAME = "localhost"
DEFAULT_SERVICE_ACCOUNT = "default"

_PLACEHOLDER = re.compile("\x00([^\x00]+)\x00")


def field_path_error(path: Any, *, volume: bool = False) -> str | None:
    """Why `path` is not a field an env variable (or, with `volume`, a downwardAPI file) can read."""
    if not isinstance(path, str):
        return None  # the schema reports the type
    choices = VOLUME_FIELD_PATHS if volume else ENV_FIELD_PATHS
    if path in choices or SUBSCRIPT.match(path):
        return None
    import difflib

    close = difflib.get_close_matches(path, choices, n=1, cutoff=0.75)
    hint = f"did you mean {shown(close[0])}?" if close else \
        f"use one of {', '.join(choices)}, metadata.labels['KEY'], metadata.annotations['KEY']"
    what = "a downwardAPI file" if volume else "a container"
    return f"{shown(path)} is not a field {what} can read; {hint}"


def resource_error(resource: Any, divisor: Any = None) -> str | None:
    if isinstance(resource, str) and resource not in RESOURCES:
        return f"{shown(resource)} is not a resource a container can read; use one of {', '.join(RESOURCES)}"
    if divisor is not None:
        try:
            amount = parse_quantity(divisor)
        except ValueError:
            return f"divisor {shown(divisor)} is not a quantity"
        if amount <= 0:
            return f"divisor {shown(divisor)} must be positive"
        if isinstance(resource, str) and resource.endswith(".cpu") and amount * 1000 != int(amount * 1000):
            return f"divisor {shown(divisor)} is finer than a millicore"
    return None


def placeholder(token: str) -> str:
    return f"\x00{token}\x00"


@dataclass(frozen=True)
class PodFacts:
    """What the model knows of a pod when it is built (no runtime value)."""

    name: str
    namespace: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    service_account: str = DEFAULT_SERVICE_ACCOUNT


def format_map(values: Mapping[str, str]) -> str:
    """A downwardAPI file of labels or annotations: `key="value"` lines sorted by key (fieldpath.FormatMap)."""
    return "\n".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in sorted(values.items()))


def field_value(path: str, facts: PodFacts) -> str:
    """The text of `path` (validated before): final, or a placeholder for a runtime value."""
    subscript = SUBSCRIPT.match(path)
    if subscript:
        table = facts.labels if subscript[1] == "labels" else facts.annotations
        return table.get(subscript[2], "")
    if path in RUNTIME_FIELDS:
        return placeholder(path)
    return {"metadata.name": facts.name, "metadata.namespace": facts.namespace,
            "metadata.labels": format_map(facts.labels), "metadata.annotations": format_map(facts.annotations),
            "spec.nodeName": NODE_NAME, "spec.serviceAccountName": facts.service_account}[path]


def _divisor(divisor: Any) -> Decimal:
    return parse_quantity(divisor) if divisor not in (None, "", 0) else Decimal(1)


def format_resource(resource: str, amount: Decimal, divisor: Any) -> str:
    """The kubelet's text of a resource: cpu in millicores over the divisor's, rounded up
    (convertResourceCPUToString); memory and storage in bytes over the divisor, rounded up."""
    div = _divisor(divisor)
    if resource.endswith(".cpu"):
        milli = (amount * 1000).to_integral_value(rounding="ROUND_CEILING")
        value = milli / (div * 1000)
    else:
        value = amount.to_integral_value(rounding="ROUND_CEILING") / div.to_integral_value(rounding="ROUND_CEILING")
    return str(int(value.to_integral_value(rounding="ROUND_CEILING")))


# of the resources the downward API exposes, those a pod may limit as a whole (IsSupportedPodLevelResource)
POD_LEVEL_DOWNWARD_RESOURCES = ("cpu", "memory")


def resource_value(resource: str, divisor: Any, requests: Mapping[str, Any], limits: Mapping[str, Any],
                   pod_limits: Mapping[str, Any] | None = None) -> str:
    """A container's `resourceFieldRef` value: a request unset is its limit (API defaulting) or 0; a limit unset
    is the pod's (pod-level resources, as the kubelet's defaultPodLimitsForDownwardAPI), else the node's
    allocatable, known only at run time (a placeholder)."""
    kind, _, name = resource.partition(".")
    limit = limits.get(name)
    if limit is None and kind == "limits" and name in POD_LEVEL_DOWNWARD_RESOURCES:
        pod_limit = (pod_limits or {}).get(name)
        if pod_limit is not None and parse_quantity(pod_limit) != 0:
            limit = pod_limit
    if kind == "requests":
        written = requests.get(name, limit)
        return format_resource(resource, parse_quantity(written) if written is not None else Decimal(0), divisor)
    if limit is None:
        return placeholder(f"node:{name}:{divisor if divisor not in (None, '') else '1'}")
    return format_resource(resource, parse_quantity(limit), divisor)


@dataclass(frozen=True)
class RuntimeValues:
    """What the runtime knows once the pause container runs."""

    uid: str = ""
    pod_ips: tuple[str, ...] = ()
    host_ip: str = ""
    node_cpu: int = 0             # cores
    node_memory: int = 0          # bytes
    node_storage: int = 0         # bytes of the Docker root's file system
    env_files: Mapping[str, str] = field(default_factory=dict)   # fileKeyRef token -> the value read
    env_files_missing: frozenset[str] = frozenset()              # tokens of optional keys not found: unset


def value_of(token: str, values: RuntimeValues) -> str:
    if token == "metadata.uid":
        return values.uid
    if token == "status.podIP":
        return values.pod_ips[0] if values.pod_ips else ""
    if token == "status.podIPs":
        return ",".join(values.pod_ips)
    if token in ("status.hostIP", "status.hostIPs"):
        return values.host_ip
    if token.startswith("node:"):
        _, name, divisor = token.split(":", 2)
        amount = {"cpu": values.node_cpu, "memory": values.node_memory,
                  "ephemeral-storage": values.node_storage}.get(name, 0)
        return format_resource(f"limits.{name}", Decimal(amount), divisor)
    return values.env_files.get(token, "")


def file_refs(texts: "list[str] | tuple[str, ...]") -> list[envfile.FileKeyRef]:
    """The fileKeyRef placeholders in `texts` (env values, command, args), each once, in order."""
    refs: dict[str, envfile.FileKeyRef] = {}
    for text in texts:
        for token in _PLACEHOLDER.findall(text):
            ref = envfile.parse_token(token)
            if ref is not None:
                refs.setdefault(token, ref)
    return list(refs.values())


def unset(text: str, values: RuntimeValues | None) -> bool:
    """Whether a variable whose value is `text` is left out: an optional fileKeyRef whose key was not found
    (the kubelet does not set the variable at all)."""
    match = _PLACEHOLDER.fullmatch(text)
    return values is not None and match is not None and match[1] in values.env_files_missing


def _shown_token(token: str) -> str:
    ref = envfile.parse_token(token)
    if ref is not None:
        return f"<{ref.shown}>"
    return f"<{token.replace('node:', 'node allocatable ')}>"


def has_placeholder(text: str | bytes) -> bool:
    return (b"\x00" in text) if isinstance(text, bytes) else ("\x00" in text)


def resolve(text: str, values: RuntimeValues | None) -> str:
    """`text` with each placeholder replaced; without values (a dry run) shown as `<status.podIP>`."""
    if "\x00" not in text:
        return text
    if values is None:
        return _PLACEHOLDER.sub(lambda m: _shown_token(m[1]), text)
    return _PLACEHOLDER.sub(lambda m: value_of(m[1], values), text)


def resolve_bytes(content: bytes, values: RuntimeValues | None) -> bytes:
    if b"\x00" not in content:
        return content
    return resolve(content.decode(), values).encode()


VolumeFiles = tuple[tuple[str, bytes, int], ...]   # a volume's (path, content, mode)


def needs_values(files: VolumeFiles, runtime_paths: tuple[str, ...]) -> bool:
    """Whether any of the downward API files at `runtime_paths` holds a placeholder."""
    return any(path in runtime_paths and has_placeholder(content) for path, content, _ in files)


def resolve_files(files: VolumeFiles, runtime_paths: tuple[str, ...], values: RuntimeValues | None) -> VolumeFiles:
    """`files` with the placeholders of the downward API files at `runtime_paths` resolved. Every other file (a
    ConfigMap's or Secret's data, binaryData with any byte, a NUL too) is kept byte for byte, never read as text."""
    return tuple((path, resolve_bytes(content, values) if path in runtime_paths else content, mode)
                 for path, content, mode in files)


def fake_service_account_token(namespace: str, account: str, audience: str, expiration: int) -> bytes:
    """A JWT-shaped token that says what it is: unsigned (alg none), issued by no API server."""
    import base64

    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")

    claims = {"iss": "podcompose (no API server: this token is fake and grants nothing)",
              "sub": f"system:serviceaccount:{namespace}:{account}", "aud": [audience] if audience else [],
              "exp_seconds": expiration, "podcompose.io/fake": True}
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.".encode()

"""Probes and lifecycle hooks of a container, as frozen dataclasses with Kubernetes defaults.

`probe_from_manifest` and `lifecycle_from_manifest` read the (validated) manifest fields
livenessProbe/readinessProbe/startupProbe and lifecycle. Pure: no I/O.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Mapping, Sequence, Union

from .defaults import PROBE_DEFAULTS, probe_number

ProbeKind = Literal["liveness", "readiness", "startup"]
PROBE_FIELDS: tuple[tuple[ProbeKind, str], ...] = (
    ("liveness", "livenessProbe"), ("readiness", "readinessProbe"), ("startup", "startupProbe"))

DEFAULT_PROBE_HOST = "127.0.0.1"   # the kubelet's default is the pod IP; podcompose probes from inside the netns


@dataclass(frozen=True)
class ExecAction:
    command: tuple[str, ...]


@dataclass(frozen=True)
class HTTPGetAction:
    port: int                                   # a named port is resolved against the container's ports
    path: str = "/"
    host: str = DEFAULT_PROBE_HOST
    scheme: str = "HTTP"                        # HTTP or HTTPS (HTTPS is not verified, as the kubelet)
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class TCPSocketAction:
    port: int
    host: str = DEFAULT_PROBE_HOST


@dataclass(frozen=True)
class GRPCAction:
    port: int
    service: str = ""


@dataclass(frozen=True)
class SleepAction:
    seconds: int


ProbeHandler = Union[ExecAction, HTTPGetAction, TCPSocketAction, GRPCAction]
# tcpSocket is kept for backward compatibility only: as in Kubernetes, such a hook fails when run.
HookHandler = Union[ExecAction, HTTPGetAction, TCPSocketAction, SleepAction]


@dataclass(frozen=True)
class Probe:
    handler: ProbeHandler
    initial_delay_seconds: int = PROBE_DEFAULTS["initialDelaySeconds"]
    period_seconds: int = PROBE_DEFAULTS["periodSeconds"]
    timeout_seconds: int = PROBE_DEFAULTS["timeoutSeconds"]
    success_threshold: int = PROBE_DEFAULTS["successThreshold"]
    failure_threshold: int = PROBE_DEFAULTS["failureThreshold"]
    termination_grace_seconds: int | None = None   # probe-level override for liveness/startup kills


@dataclass(frozen=True)
class Lifecycle:
    post_start: HookHandler | None = None
    pre_stop: HookHandler | None = None


class HandlerError(ValueError):
    """A handler that cannot be built; `field` is the path below the handler's field."""

    def __init__(self, field: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.field = field


def resolve_port(value: Any, ports: Sequence[tuple[str, int]], field: tuple[str | int, ...]) -> int:
    """A probe port: a number, a numeric string, or the name of one of the container's ports."""
    if isinstance(value, bool):
        raise HandlerError(field, f"port {value!r} is not a number or a port name")
    if isinstance(value, int):
        return value
    text = str(value)
    if text.isdigit():
        return int(text)
    for name, number in ports:
        if name == text:
            return number
    known = ", ".join(n for n, _ in ports if n) or "none"
    raise HandlerError(field, f"port {text!r} names no port of this container (named ports: {known})")


def _http_get(raw: Mapping[str, Any], ports: Sequence[tuple[str, int]]) -> HTTPGetAction:
    headers = tuple((str(h.get("name")), str(h.get("value") if h.get("value") is not None else ""))
                    for h in raw.get("httpHeaders") or [])
    return HTTPGetAction(port=resolve_port(raw.get("port"), ports, ("httpGet", "port")),
                         path=str(raw.get("path") or "/"),
                         host=str(raw.get("host") or DEFAULT_PROBE_HOST),
                         scheme=str(raw.get("scheme") or "HTTP").upper(),
                         headers=headers)


def _tcp_socket(raw: Mapping[str, Any], ports: Sequence[tuple[str, int]]) -> TCPSocketAction:
    return TCPSocketAction(port=resolve_port(raw.get("port"), ports, ("tcpSocket", "port")),
                           host=str(raw.get("host") or DEFAULT_PROBE_HOST))


def _exec(raw: Mapping[str, Any]) -> ExecAction:
    return ExecAction(tuple(str(a) for a in raw.get("command") or ()))


def probe_handler(raw: Mapping[str, Any], ports: Sequence[tuple[str, int]]) -> ProbeHandler:
    if raw.get("exec") is not None:
        return _exec(raw["exec"])
    if raw.get("httpGet") is not None:
        return _http_get(raw["httpGet"], ports)
    if raw.get("tcpSocket") is not None:
        return _tcp_socket(raw["tcpSocket"], ports)
    if raw.get("grpc") is not None:
        grpc = raw["grpc"]
        port = grpc.get("port")
        if isinstance(port, bool) or not isinstance(port, int):
            raise HandlerError(("grpc", "port"), "a grpc probe's port must be a number (no named ports)")
        return GRPCAction(port=port, service=str(grpc.get("service") or ""))
    raise HandlerError((), "a probe needs one handler of exec, httpGet, tcpSocket, grpc")


def hook_handler(raw: Mapping[str, Any], ports: Sequence[tuple[str, int]]) -> HookHandler:
    if raw.get("exec") is not None:
        return _exec(raw["exec"])
    if raw.get("httpGet") is not None:
        return _http_get(raw["httpGet"], ports)
    if raw.get("tcpSocket") is not None:
        return _tcp_socket(raw["tcpSocket"], ports)
    if raw.get("sleep") is not None:
        return SleepAction(int(raw["sleep"].get("seconds") or 0))
    raise HandlerError((), "a hook needs one handler of exec, httpGet, sleep")


def probe_from_manifest(raw: Mapping[str, Any] | None, ports: Sequence[tuple[str, int]]) -> Probe | None:
    """The Probe of a livenessProbe/readinessProbe/startupProbe field, defaults applied."""
    if not raw:
        return None

    def number(key: str) -> int:
        return int(probe_number(raw, key))

    grace = raw.get("terminationGracePeriodSeconds")
    return Probe(handler=probe_handler(raw, ports),
                 initial_delay_seconds=number("initialDelaySeconds"),
                 period_seconds=number("periodSeconds"),
                 timeout_seconds=number("timeoutSeconds"),
                 success_threshold=number("successThreshold"),
                 failure_threshold=number("failureThreshold"),
                 termination_grace_seconds=None if grace is None else int(grace))


def lifecycle_from_manifest(raw: Mapping[str, Any] | None, ports: Sequence[tuple[str, int]]) -> Lifecycle:
    raw = raw or {}
    post, pre = raw.get("postStart"), raw.get("preStop")
    return Lifecycle(post_start=None if not post else _prefixed("postStart", hook_handler, post, ports),
                     pre_stop=None if not pre else _prefixed("preStop", hook_handler, pre, ports))


def _prefixed(name: str, build: Any, raw: Mapping[str, Any], ports: Sequence[tuple[str, int]]) -> Any:
    try:
        return build(raw, ports)
    except HandlerError as error:
        raise HandlerError((name,) + error.field, str(error)) from None


def probe_problems(kind: ProbeKind, raw: Mapping[str, Any]) -> list[tuple[tuple[str, ...], str]]:
    """What Kubernetes' validateProbe refuses in a probe's numbers, after SetDefaults_Probe (0 is the default):
    (field below the probe, message)."""
    problems: list[tuple[tuple[str, ...], str]] = []
    for key in PROBE_DEFAULTS:
        value = probe_number(raw, key)
        if isinstance(value, int) and not isinstance(value, bool) and value < 0:
            problems.append(((key,), f"{key} must be at least 0"))
    success = probe_number(raw, "successThreshold")
    if kind in ("liveness", "startup") and isinstance(success, int) and not isinstance(success, bool) \
            and success != 1:
        problems.append((("successThreshold",), f"successThreshold must be 1 for a {kind} probe"))
    return problems

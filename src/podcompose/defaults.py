"""The API server's defaulting of a pod, in one place for validation and the model.

Kubernetes defaults a manifest before it validates it; podcompose's validation and its model
read the same defaults from here. Pure.
"""
from __future__ import annotations

from typing import Any, Literal, Mapping

Role = Literal["pause", "init", "sidecar", "app"]
DEFAULT_NAMESPACE = "default"
DEFAULT_GRACE_SECONDS = 30

# SetDefaults_Probe: each of these left unset or 0 takes its default.
PROBE_DEFAULTS: Mapping[str, int] = {
    "initialDelaySeconds": 0,
    "periodSeconds": 10,
    "timeoutSeconds": 1,
    "successThreshold": 1,
    "failureThreshold": 3,
}


def namespace_or_default(namespace: Any) -> str:
    """A namespace as given, or "default" when it is unset or empty."""
    return str(namespace or DEFAULT_NAMESPACE)


def container_role(list_name: str, container: Mapping[str, Any]) -> Role:
    """app in `containers`; in `initContainers` a sidecar when its restartPolicy is Always, else init."""
    if list_name != "initContainers":
        return "app"
    return "sidecar" if container.get("restartPolicy") == "Always" else "init"


def requests_and_limits(resources: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(requests, limits) as written; a request left unset defaults to its limit, as the API server defaults it."""
    def given(section: str) -> dict[str, Any]:   # a null amount is no amount
        amounts = resources.get(section)
        return {k: v for k, v in amounts.items() if v is not None} if isinstance(amounts, dict) else {}

    limits, requests = given("limits"), given("requests")
    for name, value in limits.items():
        requests.setdefault(name, value)
    return requests, limits


def probe_number(raw: Mapping[str, Any], key: str) -> Any:
    """A probe's number as SetDefaults_Probe leaves it: unset, or 0 for all but initialDelaySeconds, is the default."""
    value = raw.get(key)
    if value is None or (value == 0 and key != "initialDelaySeconds" and not isinstance(value, bool)):
        return PROBE_DEFAULTS[key]
    return value

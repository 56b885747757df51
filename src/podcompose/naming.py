"""Docker object names and labels for pods: all podcompose state lives here."""
from __future__ import annotations

from .model import DEFAULT_NAMESPACE

PREFIX = "io.podcompose."
MANAGED = PREFIX + "managed"
POD = PREFIX + "pod"
NAMESPACE = PREFIX + "namespace"
CONTAINER = PREFIX + "container"
ROLE = PREFIX + "role"
SPEC_HASH = PREFIX + "spec-hash"
ORDER = PREFIX + "order"
SOURCE = PREFIX + "source"
VOLUME = PREFIX + "volume"
GRACE = PREFIX + "grace-seconds"
TERMINATION_FILE = PREFIX + "termination-file"   # the host file bound at terminationMessagePath
TERMINATION_POLICY = PREFIX + "termination-policy"
TERMINATION_LIMIT = PREFIX + "termination-limit"   # the bytes of its message a pod status holds
QOS_CLASS = PREFIX + "qos-class"          # Guaranteed, Burstable or BestEffort
SHOWN_COMMAND = PREFIX + "shown-command"   # describe's command when the real one holds a secret
# The node agent's labels on each attempt and sandbox (podcompose.agent.labels reads and writes them)
CONTAINER_HASH = PREFIX + "container-hash"   # Container.spec_hash() of an attempt
SANDBOX_HASH = PREFIX + "sandbox-hash"       # Pod.sandbox_hash() of a pause container
RESTART_COUNT = PREFIX + "restart-count"
ATTEMPT = PREFIX + "attempt"
SANDBOX_ID = PREFIX + "sandbox-id"           # the pause container an attempt joined
BACKOFF_SECONDS = PREFIX + "backoff-seconds"
BACKOFF_SINCE = PREFIX + "backoff-since"
POD_STARTED_AT = PREFIX + "pod-started-at"
POD_UID = PREFIX + "pod-uid"                 # metadata.uid, on the pause container and the desired state
CLAIM = PREFIX + "claim"                     # a PersistentVolumeClaim's volume: of a namespace, not of a pod

PAUSE_CONTAINER = "POD"   # as the kubelet names the sandbox; no Kubernetes name is upper case


def pod_prefix(namespace: str, pod: str) -> str:
    """`web` in the default namespace, `dev_web` elsewhere (pod names hold no `_`)."""
    return pod if namespace == DEFAULT_NAMESPACE else f"{namespace}_{pod}"


def container_name(namespace: str, pod: str, container: str) -> str:
    return f"{pod_prefix(namespace, pod)}_{container}"


def volume_name(namespace: str, pod: str, volume: str) -> str:
    return f"{pod_prefix(namespace, pod)}_{volume}"


def desired_volume_name(namespace: str, pod: str) -> str:
    """The volume holding a pod's desired state for the agent (upper case: no Kubernetes volume name is)."""
    return f"{pod_prefix(namespace, pod)}_POD.desired"


def claim_volume_name(namespace: str, claim: str) -> str:
    """The volume backing a PersistentVolumeClaim (upper case `PVC`: no pod, container or volume name holds it)."""
    return f"{namespace}_PVC_{claim}"


def claim_labels(namespace: str, claim: str) -> dict[str, str]:
    """A claim's volume: managed, of the namespace, and of no pod (so `down` of a pod leaves it)."""
    return {MANAGED: "true", NAMESPACE: namespace, CLAIM: claim}


def attempt_name(namespace: str, pod: str, container: str, attempt: int) -> str:
    """An earlier attempt of a container, kept for `logs --previous` (no Kubernetes name holds a '.')."""
    return f"{container_name(namespace, pod, container)}.{attempt}"


def pod_labels(namespace: str, pod: str) -> dict[str, str]:
    return {MANAGED: "true", POD: pod, NAMESPACE: namespace}


def pod_filter(namespace: str | None = None, pod: str | None = None) -> list[str]:
    """Docker `label=` filters selecting podcompose objects, optionally one pod."""
    filters = [f"{MANAGED}=true"]
    if namespace is not None:
        filters.append(f"{NAMESPACE}={namespace}")
    if pod is not None:
        filters.append(f"{POD}={pod}")
    return filters

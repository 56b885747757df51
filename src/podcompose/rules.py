"""Kubernetes rules that validation and the model both apply, each written once.

Every function takes a value and returns why it breaks the rule (a message
naming the value, shortened and escaped by `errors.shown`) or None. Validation
(`semantic`, `schema`, `validate`) reports the message at the field's
file:line; the model (`model`) applies the same function to what is only known
when the pod is built (a `subPathExpr` after `$(VAR)` expansion) and raises it
as a located `ManifestError`. The rules are those of Kubernetes' API
validation (pkg/apis/core/validation) and of the kubelet where it checks
again (subPathExpr), unless a comment says podcompose is stricter and why.
"""
from __future__ import annotations

from decimal import ROUND_CEILING, Decimal
from typing import Any, Mapping

from .errors import shown
from .expand import expand_strict

# One host runs every replica of a Deployment: more than this many pods on one Docker Engine
# is a typo (replicas: 100000000 would otherwise build that many pods in `config`), not a plan.
MAX_REPLICAS = 100

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
INTEGER_RANGES = {"int32": INT32, "int64": INT64}

MAX_FILE_MODE = 0o777   # Kubernetes: 0..0777 (0..511 in decimal)
MAX_EMPTY_DIR_MODE = 0o1777   # emptyDir.mode: permission bits and the sticky bit, never setuid/setgid

HOST_PATH_TYPES = ("", "DirectoryOrCreate", "Directory", "FileOrCreate", "File", "Socket",
                   "CharDevice", "BlockDevice")

SUB_PATH_EXCLUSIVE = "subPath and subPathExpr are mutually exclusive: set one of them"


def _nul(path: str) -> str | None:
    # not a Kubernetes rule: no file system takes a NUL in a path, and Python's os calls raise on it
    return f"{shown(path)} may not contain a NUL character" if "\x00" in path else None


# --- paths ------------------------------------------------------------------------------

def local_path_error(path: str) -> str | None:
    """A path that must stay below a directory (subPath, subPathExpr): relative, no `..` component.

    Kubernetes' validateLocalDescendingPath.
    """
    if path.startswith("/"):
        return f"{shown(path)} must be a relative path (inside the volume), not an absolute one"
    if ".." in path.split("/"):
        return f"{shown(path)} must be a relative path without '..'"
    return _nul(path)


def item_path_error(path: str) -> str | None:
    """The file a configMap/secret (or downwardAPI) item is written to: a local path not starting with `..`.

    Kubernetes' validateLocalNonReservedPath: `..data` and the like are the
    kubelet's own names in such a volume.
    """
    if not path:
        return "required field is missing: the file name inside the volume"
    problem = local_path_error(path)
    if problem:
        return problem
    if path.startswith(".."):
        return f"{shown(path)} may not start with '..'"
    return None


def data_key_error(key: str) -> str | None:
    """A ConfigMap or Secret key (also an item's `key`). Kubernetes' IsConfigMapKey."""
    if not key or len(key) > 253 or key in (".", "..") \
            or any(not (c.isascii() and (c.isalnum() or c in "-._")) for c in key):
        return f"key {shown(key)} is not valid: use letters, digits, '-', '_' and '.'"
    if key.startswith(".."):
        return f"key {shown(key)} is not valid: it may not start with '..'"
    return None


def file_mode_error(mode: Any) -> str | None:
    """`mode` / `defaultMode` of a file in a volume: 0..0777."""
    if not isinstance(mode, int) or isinstance(mode, bool):
        return None  # the schema reports the type
    if 0 <= mode <= MAX_FILE_MODE:
        return None
    octal = f" (octal {mode:o})" if 0 < mode < 2**64 else ""
    return (f"{shown(mode)}{octal} is not a file mode: it must be between 0 and 0777 in octal (written 0644 in "
            f"YAML), 0 and {MAX_FILE_MODE} in decimal")


def empty_dir_mode_error(mode: Any) -> str | None:
    """An emptyDir's `mode`: 0..01777 (Kubernetes' validation of EmptyDirVolumeSource.mode)."""
    if not isinstance(mode, int) or isinstance(mode, bool):
        return None  # the schema reports the type
    if 0 <= mode <= MAX_EMPTY_DIR_MODE:
        return None
    octal = f" (octal {mode:o})" if 0 < mode < 2**64 else ""
    return (f"{shown(mode)}{octal} is not an emptyDir mode: it must be between 0 and 01777 in octal (written "
            f"01777 in YAML), 0 and {MAX_EMPTY_DIR_MODE} in decimal; setuid and setgid are not allowed")


def host_path_error(path: str) -> str | None:
    """A hostPath volume's `path`: absolute, without `..` (podcompose is stricter than Kubernetes on
    "absolute": a relative path would name no host directory, Docker would take it for a named volume)."""
    if not path:
        return "required field is missing: the absolute path on the host"
    if not path.startswith("/"):
        return f"{shown(path)} must be an absolute path on the host"
    if ".." in path.split("/"):
        return f"{shown(path)} may not contain '..'"
    return _nul(path)


def host_path_type_error(kind: Any) -> str | None:
    if not isinstance(kind, str) or kind in HOST_PATH_TYPES:
        return None
    choices = ", ".join(t for t in HOST_PATH_TYPES if t)
    return f"{shown(kind)} is not a hostPath type: use one of {choices} (or leave it unset)"


def mount_path_error(path: str) -> str | None:
    if not path.startswith("/"):
        return f"{shown(path)} must be an absolute path"
    return _nul(path)


# --- subPathExpr ------------------------------------------------------------------------

def expanded_sub_path(expression: str, env: Mapping[str, str]) -> tuple[str, str | None]:
    """What the kubelet mounts for `subPathExpr: expression`, and why it may not (or None).

    Only subPathExpr is expanded (never subPath); `$$` is a literal `$`. As
    the kubelet does, a variable that is unset or empty in the container's env
    fails the mount, and the result must be a relative path without `..`.
    """
    value, missing = expand_strict(expression, env)
    if missing:
        names = ", ".join(f"$({shown(name)[1:-1]})" for name in missing)
        return value, (f"subPathExpr {shown(expression)} refers to {names}, which the container's env "
                       "does not set (or sets empty)")
    if value.startswith("/"):
        return value, f"subPathExpr {shown(expression)} expands to an absolute path: it must stay inside the volume"
    if ".." in value.split("/"):
        return value, f"subPathExpr {shown(expression)} expands to a path with '..': it must stay inside the volume"
    return value, _nul(value)


# --- numbers ----------------------------------------------------------------------------

def integer_range_error(value: Any, fmt: str | None) -> str | None:
    """An integer field beyond its Go type (int32 or int64; int64 when the schema says nothing)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    low, high = INTEGER_RANGES.get(fmt or "int64", INT64)
    if low <= value <= high:
        return None
    return f"{shown(value)} is out of range: this field is an {fmt or 'int64'} ({low} to {high})"


def quantity_range_error(amount: Decimal, resource: str | None, written: Any = None) -> str | None:
    """A quantity whose value (cpu: millicores, anything else: units such as bytes) is beyond int64."""
    if resource == "cpu":
        value, unit = amount * 1000, "millicores"
    else:
        in_bytes = resource in ("memory", "ephemeral-storage", "storage", "sizeLimit") or \
            str(resource).startswith("hugepages-")
        value, unit = amount, "bytes" if in_bytes else "units"
    whole = value.to_integral_value(rounding=ROUND_CEILING)
    if INT64[0] <= whole <= INT64[1]:
        return None
    what = "the quantity" if written is None else shown(written)
    return f"{what} is out of range: more than {INT64[1]} {unit} (int64)"


def replicas_error(value: Any) -> str | None:
    if not isinstance(value, int) or isinstance(value, bool):
        return None
    if value < 0:
        return f"{shown(value)} is negative: replicas must be at least 0"
    if value > MAX_REPLICAS:
        return (f"replicas {shown(value)} is more than podcompose runs on one host: at most {MAX_REPLICAS} "
                "(each replica is a pod on this one Docker Engine)")
    return None


def recursive_read_only_error(recursive: Any, read_only: Any, propagation: Any) -> str | None:
    """validateVolumeMounts: IfPossible and Enabled only on a readOnly mount whose propagation is None."""
    if recursive not in ("IfPossible", "Enabled"):
        return None
    if read_only is not True:
        return f"recursiveReadOnly {recursive} may only be specified when readOnly is true"
    if propagation not in (None, "", "None"):
        return f"recursiveReadOnly {recursive} may only be specified when mountPropagation is None or not specified"
    return None


# --- container processes ------------------------------------------------------------------

def text_nul_error(value: str) -> str | None:
    """An env value, a command or an argument: no NUL character.

    Not a Kubernetes rule (the runtime refuses it there): here a NUL could also forge the downward API's
    and fileKeyRef's runtime placeholders ("\\0envfile:...\\0"), which the runtime replaces with values it
    reads for the pod."""
    if "\x00" not in value:
        return None
    return f"{shown(value)} may not contain a NUL character (an environment variable or argument ends at one)"


def object_value_nul_error(kind: str, name: str, key: str, value: bytes) -> str | None:
    """A ConfigMap's or Secret's value that becomes an environment variable (valueFrom, envFrom): no NUL, for
    the reason of `text_nul_error` (the value itself is not shown: it may be a Secret's)."""
    if b"\x00" not in value:
        return None
    return (f"the value of key {shown(key)} in {kind} {shown(name)} may not contain a NUL character: it cannot "
            "be an environment variable")


def proc_mount_error(proc_mount: Any, host_users: Any) -> str | None:
    """securityContext.procMount: Kubernetes' ValidateSecurityContext (UnmaskedProcMount) allows `Unmasked`
    only in a pod of its own user namespace; hostUsers is true unless set false."""
    if proc_mount == "Unmasked" and host_users is not False:
        return "`hostUsers` must be false to use `Unmasked`"
    return None

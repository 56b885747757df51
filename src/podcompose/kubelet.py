"""Pure copies of kubelet rules: security-context merging, CPU shares and quota, QoS class, /etc/hosts, DNS.

Each function names the kubelet code it follows. Nothing here does I/O.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from .model import VolumeKind

CLUSTER_DOMAIN = "cluster.local"
SECCOMP_ROOT = "/var/lib/kubelet/seccomp"   # the kubelet's default --seccomp-profile-root (<root-dir>/seccomp)

# --- security context (pkg/securitycontext/util.go DetermineEffectiveSecurityContext) -----------------

# Fields a container's securityContext overrides when the pod's sets them too (container wins).
OVERRIDABLE = ("runAsUser", "runAsGroup", "runAsNonRoot", "seccompProfile", "appArmorProfile", "seLinuxOptions")


def merged_security(pod: Mapping[str, Any] | None, container: Mapping[str, Any] | None) -> dict[str, Any]:
    """The container's effective securityContext: the pod's overridable fields, then the container's own.

    Pod-only fields (supplementalGroups, fsGroup, sysctls, fsGroupChangePolicy) are read from the
    pod's securityContext separately, as the kubelet does."""
    effective = {k: v for k, v in (pod or {}).items() if k in OVERRIDABLE and v is not None}
    effective.update({k: v for k, v in (container or {}).items() if v is not None})
    return effective


def supplementary_groups(run_as_group: int | None, supplemental: Iterable[int], fs_group: int | None) -> tuple[int, ...]:
    """The extra groups of a container's process, as containerd gives them (CRI WithAdditionalGIDs).

    The primary group, the pod's supplementalGroups and its fsGroup (the kubelet adds fsGroup to the
    supplemental groups); each once. The kernel sorts them: `id` shows `groups=2000,3000,4000`."""
    groups: list[int] = []
    for gid in ([run_as_group] if run_as_group is not None else []) + list(supplemental) + \
            ([fs_group] if fs_group is not None else []):
        if gid not in groups:
            groups.append(int(gid))
    return tuple(groups)


# --- the container's uid, gid and groups (containerd's CRI: WithUser, WithAdditionalGIDs, WithSupplementalGroups) -

@dataclass(frozen=True)
class Account:
    """One /etc/passwd line of an image: name, uid, primary gid."""

    name: str
    uid: int
    gid: int


@dataclass(frozen=True)
class Group:
    """One /etc/group line of an image: name, gid, member names."""

    name: str
    gid: int
    members: tuple[str, ...]


@dataclass(frozen=True)
class ProcessIdentity:
    """The first process's uid, primary gid and every group it holds (the primary among them)."""

    uid: int
    gid: int
    groups: tuple[int, ...]


def ascii_digits(text: str) -> bool:
    """A uid or gid as the kubelet and runc read one (Go's strconv): ASCII digits only. str.isdigit() also
    takes other scripts' digits (a fullwidth one), which int() turns into a number the image never meant."""
    return text.isascii() and text.isdigit()


def _fields(text: str, count: int) -> Iterable[list[str]]:
    for line in text.splitlines():
        fields = line.split(":")
        if len(fields) >= count and fields[0] and not line.startswith("#"):
            yield fields


def parse_passwd(text: str) -> tuple[Account, ...]:
    """The accounts of an /etc/passwd file; lines whose ids are not numbers are skipped."""
    return tuple(Account(f[0], int(f[2]), int(f[3])) for f in _fields(text, 4)
                 if ascii_digits(f[2]) and ascii_digits(f[3]))


def parse_group(text: str) -> tuple[Group, ...]:
    """The groups of an /etc/group file, each with its member list."""
    return tuple(Group(f[0], int(f[2]), tuple(m.strip() for m in f[3].split(",") if m.strip()))
                 for f in _fields(text, 4) if ascii_digits(f[2]))


def image_user_name(image_user: str) -> str:
    """The user part of an image's USER (`name`, `uid`, `uid:gid`): the kubelet drops the group, and an
    image without USER runs as root (kuberuntime getImageUser)."""
    return image_user.split(":", 1)[0] or "0"


def identity_is_the_images(run_as_user: int | None, run_as_group: int | None, extra_groups: Iterable[int],
                           policy: str, image_user: str) -> bool:
    """Whether the runtime's own choice is the kubelet's: Merge, no runAsUser, runAsGroup, supplementalGroups
    or fsGroup, and an image USER without a group (which the kubelet would drop). Docker then gives the
    image's user its /etc/passwd gid and /etc/group memberships itself, and no image file needs reading."""
    return (run_as_user is None and run_as_group is None and not tuple(extra_groups) and policy != "Strict"
            and ":" not in image_user)


def process_identity(run_as_user: int | None, run_as_group: int | None, image_user: str,
                     extra_groups: Iterable[int], policy: str, passwd: Iterable[Account],
                     group: Iterable[Group]) -> ProcessIdentity:
    """The uid, gid and groups a CRI runtime gives a container's first process.

    The uid is runAsUser, else the image's user (a name is looked up in the image's /etc/passwd); the
    primary gid is runAsGroup, else that account's gid (0 for a uid the image does not list). Under
    supplementalGroupsPolicy Merge the groups whose member list in the image's /etc/group names the
    account are added (not the group named like the user: containerd's rule); Strict adds none. Then the
    pod's supplementalGroups and fsGroup (`extra_groups`). Raises ValueError for an unknown user name."""
    accounts = tuple(passwd)
    user = str(run_as_user) if run_as_user is not None else image_user_name(image_user)
    if ascii_digits(user):
        account = next((a for a in accounts if a.uid == int(user)), None)
        uid = int(user)
    else:
        account = next((a for a in accounts if a.name == user), None)
        if account is None:
            raise ValueError(f"the image's user {user!r} is not in the image's /etc/passwd")
        uid = account.uid
    gid = run_as_group if run_as_group is not None else (account.gid if account else 0)
    image_groups: list[int] = []
    if policy != "Strict" and account is not None:
        image_groups = [g.gid for g in group if g.name != account.name and account.name in g.members]
    groups: list[int] = []
    for each in [gid, *image_groups, *extra_groups]:
        if int(each) not in groups:
            groups.append(int(each))
    return ProcessIdentity(uid, int(gid), tuple(groups))


def non_root_error(run_as_user: int | None, image_user: str) -> str | None:
    """Why a container with runAsNonRoot: true may not start (kuberuntime verifyRunAsNonRoot), or None."""
    if run_as_user is not None:
        if run_as_user == 0:
            return "runAsNonRoot is true but runAsUser is 0: the container's runAsUser breaks the non-root policy"
        return None
    user = (image_user or "").split(":", 1)[0]
    if not user:
        return "runAsNonRoot is true and the image will run as root (it sets no USER); set runAsUser"
    if not ascii_digits(user):
        return (f"runAsNonRoot is true and the image has the non-numeric user {user!r}: cannot verify that the "
                "user is not root; set a numeric runAsUser")
    if int(user) == 0:
        return "runAsNonRoot is true and the image will run as root (USER 0); set runAsUser"
    return None


def ownership_modes(mode: int, *, directory: bool, read_only: bool) -> int:
    """A file's mode after fsGroup ownership (pkg/volume/volume_linux.go changeFilePermission).

    Files gain group read (and write unless the volume is read-only); directories also the
    setgid bit and execute for owner and group."""
    mask = 0o440 if read_only else 0o660
    if directory:
        mask |= 0o2000 | 0o110
    return mode | mask


# --- resources (pkg/kubelet/cm/helpers_linux.go) ---------------------------------------------------

MIN_SHARES = 2
SHARES_PER_CPU = 1024
QUOTA_PERIOD = 100000       # the kubelet's CFS period, in microseconds
MIN_QUOTA_PERIOD = 1000


def milli_cpu_to_shares(milli_cpu: int) -> int:
    """MilliCPUToShares: 700m -> 716; 0 -> 2 (a container with no request still gets the minimum)."""
    if milli_cpu == 0:
        return MIN_SHARES
    return max(milli_cpu * SHARES_PER_CPU // 1000, MIN_SHARES)


def milli_cpu_to_quota(milli_cpu: int, period: int = QUOTA_PERIOD) -> int:
    """MilliCPUToQuota: 700m -> 70000 with the 100000 period; never under 1000."""
    if milli_cpu == 0:
        return 0
    return max(milli_cpu * period // 1000, MIN_QUOTA_PERIOD)


def shares_for(request_milli: int | None, limit_milli: int | None) -> int:
    """The container's shares: from its CPU request, or its limit when no request is set."""
    if not request_milli and limit_milli:
        return milli_cpu_to_shares(limit_milli)
    return milli_cpu_to_shares(request_milli or 0)


@dataclass(frozen=True)
class ContainerResources:
    """What GetPodQOS reads of one container: cpu/memory requests and limits as written (None: unset)."""

    requests: Mapping[str, Any] = field(default_factory=dict)
    limits: Mapping[str, Any] = field(default_factory=dict)


def qos_class(containers: Iterable[ContainerResources]) -> str:
    """Guaranteed, Burstable or BestEffort (pkg/apis/core/helper/qos GetPodQOS, cpu and memory only).

    Requests default to limits (the API server's defaulting) before this is called."""
    from .quantity import parse_quantity

    requests: dict[str, Any] = {}
    limits: dict[str, Any] = {}
    guaranteed = True
    for c in containers:
        for name in ("cpu", "memory"):
            if name in c.requests and parse_quantity(c.requests[name]) != 0:
                requests[name] = requests.get(name, 0) + parse_quantity(c.requests[name])
            if name in c.limits and parse_quantity(c.limits[name]) != 0:
                limits[name] = limits.get(name, 0) + parse_quantity(c.limits[name])
        if not all(name in c.limits and parse_quantity(c.limits[name]) != 0 for name in ("cpu", "memory")):
            guaranteed = False
    if not requests and not limits:
        return "BestEffort"
    if guaranteed and requests == limits:
        return "Guaranteed"
    return "Burstable"


# --- pod-level resources (KEP-2837: component-helpers/resource, pkg/apis/core/v1/defaults.go) ----------

POD_LEVEL_RESOURCES = ("cpu", "memory")     # supportedPodLevelResources (hugepages-* are refused: semantic_resources)
POD_LEVEL_LIMITS = POD_LEVEL_RESOURCES + ("pids",)   # and a pod's pids limit (KEP-6063)
POD_PID_LIMIT_RANGE = (128, 16384)                   # minPIDLimit, maxPIDLimit of pkg/apis/core/validation


def aggregate_container_requests(init: Iterable[tuple[bool, Mapping[str, Any]]],
                                 regular: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """AggregateContainerRequests (the sidecar formula of KEP-753), as exact Decimals.

    `init` is (is a sidecar, requests) in order; requests already defaulted to limits. The regular
    containers and the sidecars add up; each init container counts with the sidecars started before
    it; the pod needs the larger of the two."""
    from .quantity import parse_quantity

    def add(total: dict[str, Any], amounts: Mapping[str, Any]) -> None:
        for name, value in amounts.items():
            total[name] = total.get(name, 0) + parse_quantity(value)

    running: dict[str, Any] = {}
    for amounts in regular:
        add(running, amounts)
    sidecars: dict[str, Any] = {}
    peak: dict[str, Any] = {}
    for is_sidecar, amounts in init:
        if is_sidecar:
            add(running, amounts)
            add(sidecars, amounts)
            needed = dict(sidecars)
        else:
            needed = dict(sidecars)
            add(needed, amounts)
        for name, value in needed.items():
            peak[name] = max(peak.get(name, value), value)
    for name, value in peak.items():
        running[name] = max(running.get(name, value), value)
    return running


def defaulted_pod_requests(requests: Mapping[str, Any], limits: Mapping[str, Any],
                           aggregate: Mapping[str, Any]) -> dict[str, Any]:
    """defaultPodRequests: with pod-level limits, an unset pod request is the containers' aggregate
    request of that resource, or, when no container requests it, the pod's limit. Exact Decimals."""
    from .quantity import parse_quantity

    result = {name: parse_quantity(value) for name, value in requests.items() if name in POD_LEVEL_RESOURCES}
    if not limits:
        return result
    for name, value in aggregate.items():
        if name in POD_LEVEL_RESOURCES:
            result.setdefault(name, value)
    for name, value in limits.items():
        if name in POD_LEVEL_RESOURCES:
            result.setdefault(name, parse_quantity(value))
    return result


def pod_qos_class(requests: Mapping[str, Any], limits: Mapping[str, Any]) -> str:
    """ComputePodQOS when pod-level resources are set: from the pod's (defaulted) requests and limits only.

    Guaranteed needs both cpu and memory limits and requests equal to them."""
    from .quantity import parse_quantity

    found_requests = {n: parse_quantity(v) for n, v in requests.items()
                      if n in POD_LEVEL_RESOURCES and parse_quantity(v) > 0}
    found_limits = {n: parse_quantity(v) for n, v in limits.items()
                    if n in POD_LEVEL_RESOURCES and parse_quantity(v) > 0}
    if not found_requests and not found_limits:
        return "BestEffort"
    guaranteed = set(found_limits) == set(POD_LEVEL_RESOURCES) and \
        all(found_limits.get(n) == v for n, v in found_requests.items()) and len(found_requests) == len(found_limits)
    return "Guaranteed" if guaranteed else "Burstable"


@dataclass(frozen=True)
class PodCgroup:
    """ResourceConfigForPod: what the pod's cgroup holds (None: no limit)."""

    cpu_shares: int
    cpu_quota: int | None
    cpu_period: int
    memory_limit: int | None
    pids_limit: int | None = None


def pod_cgroup(cpu_request_milli: int | None, cpu_limit_milli: int | None,
               memory_limit_bytes: int | None, pids_limit: int | None = None) -> PodCgroup:
    """The pod cgroup's values from its pod-level requests and limits: shares from the CPU request
    (MilliCPUToShares; the minimum 2 without one), quota from the CPU limit, the memory limit as is."""
    quota = milli_cpu_to_quota(cpu_limit_milli) if cpu_limit_milli else None
    return PodCgroup(milli_cpu_to_shares(cpu_request_milli or 0), quota, QUOTA_PERIOD, memory_limit_bytes, pids_limit)


def cpu_shares_to_weight(shares: int) -> int:
    """CpuSharesToCpuWeight (cgroup v2): 2 -> 1, 1024 -> 39, 262144 -> 10000."""
    return 1 + ((shares - 2) * 9999) // 262142


# --- /etc/hosts (pkg/kubelet/kubelet_pods.go managedHostsFileContent) -------------------------------

HOSTNAME_OVERRIDE_MAX = 64      # validation of spec.hostnameOverride (KEP-4762)


def hostname_override_error(override: str, *, host_network: bool, fqdn: bool) -> str | None:
    """Why spec.hostnameOverride cannot be used: it must be a DNS-1123 subdomain of at most 64 characters,
    and may not be combined with setHostnameAsFQDN or hostNetwork (the node's own hostname)."""
    if fqdn:
        return "hostnameOverride may not be set together with setHostnameAsFQDN: true"
    if host_network:
        return "hostnameOverride may not be set on a pod with hostNetwork: true (it has the host's hostname)"
    if len(override) > HOSTNAME_OVERRIDE_MAX:
        return f"hostnameOverride must be at most {HOSTNAME_OVERRIDE_MAX} characters"
    return None


def pod_hostname(name: str, hostname: str, override: str) -> str:
    """The pod's hostname: hostnameOverride, else spec.hostname, else the pod's name; cut to 63 characters
    without a trailing '-' or '.' (truncatePodHostnameIfNeeded)."""
    chosen = override or hostname or name
    return chosen if len(chosen) <= 63 else chosen[:63].rstrip("-.")


def pod_domain(namespace: str, subdomain: str) -> str:
    """`<subdomain>.<namespace>.svc.cluster.local`, or "" without a subdomain (GeneratePodHostNameAndDomain)."""
    return f"{subdomain}.{namespace}.svc.{CLUSTER_DOMAIN}" if subdomain else ""


def hosts_file(ips: Iterable[str], hostname: str, domain: str,
               aliases: Iterable[tuple[str, tuple[str, ...]]]) -> str:
    """The /etc/hosts a kubelet writes for a pod that is not on the host's network."""
    lines = ["# Kubernetes-managed hosts file.",
             "127.0.0.1\tlocalhost",
             "::1\tlocalhost ip6-localhost ip6-loopback",
             "fe00::0\tip6-localnet",
             "fe00::0\tip6-mcastprefix",
             "fe00::1\tip6-allnodes",
             "fe00::2\tip6-allrouters"]
    for ip in ips:
        lines.append(f"{ip}\t{hostname}.{domain}\t{hostname}" if domain else f"{ip}\t{hostname}")
    text = "\n".join(lines) + "\n"
    return text + host_aliases_text(aliases)


def host_aliases_text(aliases: Iterable[tuple[str, tuple[str, ...]]]) -> str:
    """hostsEntriesFromHostAliases: a blank line, a header, one `IP\\tname\\tname` line per alias."""
    aliases = list(aliases)
    if not aliases:
        return ""
    return "\n# Entries added by HostAliases.\n" + "".join(f"{ip}\t{chr(9).join(names)}\n" for ip, names in aliases)


# --- DNS (pkg/kubelet/network/dns/dns.go GetPodDNS) --------------------------------------------------

@dataclass(frozen=True)
class DNS:
    servers: tuple[str, ...] = ()
    searches: tuple[str, ...] = ()
    options: tuple[str, ...] = ()


def parse_resolv_conf(text: str) -> DNS:
    """parseResolvConf: nameservers accumulate; the last `search` and the last `options` line win."""
    servers: list[str] = []
    searches: list[str] = []
    options: list[str] = []
    for line in text.splitlines():
        fields = line.strip().split()
        if not fields or fields[0].startswith("#"):
            continue
        if fields[0] == "nameserver" and len(fields) >= 2:
            servers.append(fields[1])
        elif fields[0] == "search":
            searches = [s.rstrip(".") for s in fields[1:]]
        elif fields[0] == "options":
            options = fields[1:]
    return DNS(tuple(servers), tuple(searches), tuple(options))


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    seen: list[str] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return tuple(seen)


def merge_options(existing: Iterable[str], added: Iterable[tuple[str, str | None]]) -> tuple[str, ...]:
    """mergeDNSOptions: dnsConfig options replace same-named ones (order kept here; the kubelet's is a map's)."""
    merged: dict[str, str] = {}
    for option in existing:
        name, _, value = option.partition(":")
        merged[name] = value
    for name, value in added:
        merged[name] = value or ""
    return tuple(f"{k}:{v}" if v else k for k, v in merged.items())


def pod_dns(policy: str, host_network: bool, host: DNS, nameservers: Iterable[str] = (),
            searches: Iterable[str] = (), options: Iterable[tuple[str, str | None]] = (),
            has_config: bool = False) -> DNS:
    """The pod's resolver configuration on a node with no cluster DNS.

    ClusterFirst (and ClusterFirstWithHostNet) with no cluster DNS server falls back to Default, as
    the kubelet does (its MissingClusterDNS event): the host's resolver. None starts empty. Then
    dnsConfig is appended (duplicates dropped, options merged)."""
    base = DNS() if policy == "None" else host
    if not has_config:
        return base
    return DNS(_unique(base.servers + tuple(nameservers)), _unique(base.searches + tuple(searches)),
               merge_options(base.options, options))


def resolv_conf(dns: DNS) -> str:
    """The resolv.conf text for `dns`, in the order the runtime writes it."""
    lines = []
    if dns.searches:
        lines.append("search " + " ".join(dns.searches))
    lines += [f"nameserver {s}" for s in dns.servers]
    if dns.options:
        lines.append("options " + " ".join(dns.options))
    return "\n".join(lines) + ("\n" if lines else "")


# Volumes whose ownership the kubelet sets to fsGroup (their plugins support ownership management;
# hostPath does not).
OWNERSHIP_VOLUMES = (VolumeKind.EMPTY_DIR, VolumeKind.CONFIG_MAP, VolumeKind.SECRET, VolumeKind.DOWNWARD_API,
                     VolumeKind.PROJECTED, VolumeKind.EPHEMERAL)
READ_ONLY_VOLUMES = (VolumeKind.CONFIG_MAP, VolumeKind.SECRET, VolumeKind.DOWNWARD_API, VolumeKind.PROJECTED)


def pod_requests(init: Iterable[tuple[int, int]], running: Iterable[tuple[int, int]]) -> tuple[int, int]:
    """(milli-CPU, memory bytes) a pod requests: its running containers together, or its largest init
    container if that asks for more (the scheduler's and admission's effective request, sidecars simplified)."""
    running = list(running)
    total = (sum(c for c, _ in running), sum(m for _, m in running))
    for cpu, memory in init:
        total = (max(total[0], cpu), max(total[1], memory))
    return total


def admission_error(requests: tuple[int, int], node_milli_cpu: int, node_memory: int) -> str | None:
    """Why the kubelet's admission refuses the pod on this node (OutOfcpu, OutOfmemory), or None."""
    cpu, memory = requests
    if node_milli_cpu and cpu > node_milli_cpu:
        return (f"it requests {cpu}m CPU and the node (this Docker host) has {node_milli_cpu}m "
                "(a kubelet refuses it: OutOfcpu)")
    if node_memory and memory > node_memory:
        return (f"it requests {memory} bytes of memory and the node (this Docker host) has {node_memory} "
                "(a kubelet refuses it: OutOfmemory)")
    return None

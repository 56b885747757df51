"""The kubelet rules podcompose copies (podcompose.kubelet) and the Docker arguments they become. No daemon."""
from __future__ import annotations

import io
import tarfile
import textwrap

import pytest

from podcompose import kubelet
from podcompose.errors import ManifestError
from podcompose.load import load_text
from podcompose.pods import pods_from_documents
from podcompose.translate import (container_create_args, pause_create_args, pod_hosts_file, pod_resolv_conf,
                                  volume_archive)


def pod(spec: str, extra: str = ""):
    text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ns}\nspec:\n" + textwrap.indent(
        textwrap.dedent(spec), "  ")
    return pods_from_documents(load_text(extra + text, "m.yaml"))[0]


# --- security context ------------------------------------------------------------------------

def test_container_fields_override_the_pods_and_pod_only_fields_stay_the_pods() -> None:
    merged = kubelet.merged_security(
        {"runAsUser": 1000, "runAsGroup": 3000, "runAsNonRoot": True, "fsGroup": 2000,
         "seccompProfile": {"type": "Unconfined"}},
        {"runAsUser": 2000, "privileged": False, "seccompProfile": {"type": "RuntimeDefault"}})
    assert merged == {"runAsUser": 2000, "runAsGroup": 3000, "runAsNonRoot": True, "privileged": False,
                      "seccompProfile": {"type": "RuntimeDefault"}}


def test_groups_are_primary_supplemental_and_fs_group_once_each() -> None:
    assert kubelet.supplementary_groups(3000, [4000, 3000], 2000) == (3000, 4000, 2000)
    assert kubelet.supplementary_groups(None, [], None) == ()


def test_the_documentation_security_context_becomes_user_and_groups() -> None:
    p = pod("""
        securityContext: {runAsUser: 1000, runAsGroup: 3000, fsGroup: 2000, supplementalGroups: [4000]}
        volumes: [{name: v, emptyDir: {}}, {name: h, hostPath: {path: /tmp}}]
        containers:
        - {name: a, image: busybox, securityContext: {allowPrivilegeEscalation: false}}
        - {name: b, image: busybox, securityContext: {runAsUser: 2000, seccompProfile: {type: Unconfined}}}
    """)
    a, b = (container_create_args(p, c, "h") for c in p.containers)
    assert (a["user"], a["group_add"], a["security_opt"]) == ("1000:3000", ["3000", "4000", "2000"],
                                                              ["no-new-privileges"])
    assert (b["user"], b["security_opt"]) == ("2000:3000", ["seccomp=unconfined"])
    assert [v.fs_group for v in p.volumes] == [2000, None]     # hostPath ownership is never changed


def test_security_options_for_profiles_selinux_and_proc_mount() -> None:
    p = pod("""
        securityContext: {seccompProfile: {type: Localhost, localhostProfile: profiles/audit.json},
                          appArmorProfile: {type: Localhost, localhostProfile: k8s-deny-write},
                          seLinuxOptions: {type: container_t, level: "s0:c123,c456"}}
        hostUsers: false
        containers:
        - {name: a, image: busybox, securityContext: {procMount: Unmasked}}
    """)
    args = container_create_args(p, p.containers[0], "h")
    assert args["security_opt"] == [
        "seccomp=localhost/profiles/audit.json", "apparmor=k8s-deny-write", "label=type:container_t",
        "label=level:s0:c123,c456"]
    # not the docker CLI's systempaths=unconfined, which the Engine API refuses: HostConfig's own fields, empty
    assert (args["masked_paths"], args["readonly_paths"]) == ([], [])


@pytest.mark.parametrize(("run_as_user", "image_user", "refused"), [
    (None, "", True), (None, "root", True), (None, "0", True), (None, "0:0", True), (None, "nobody", True),
    (None, "1000", False), (None, "1000:1000", False), (0, "1000", True), (1000, "", False)])
def test_run_as_non_root_follows_verify_run_as_non_root(run_as_user, image_user, refused) -> None:
    assert (kubelet.non_root_error(run_as_user, image_user) is not None) is refused


def test_fs_group_ownership_modes() -> None:
    assert kubelet.ownership_modes(0o777, directory=True, read_only=False) == 0o2777
    assert kubelet.ownership_modes(0o755, directory=True, read_only=True) == 0o2755
    assert kubelet.ownership_modes(0o600, directory=False, read_only=True) == 0o640
    assert kubelet.ownership_modes(0o600, directory=False, read_only=False) == 0o660


def test_fs_group_volume_archives_are_group_owned_with_setgid_directories() -> None:
    p = pod("""
        securityContext: {fsGroup: 2000}
        volumes: [{name: v, emptyDir: {}}, {name: m, emptyDir: {medium: Memory}},
                  {name: c, configMap: {name: cm, items: [{key: k, path: k/f}]}}]
        containers: [{name: a, image: busybox}]
    """, extra="apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, namespace: ns}\ndata: {k: x}\n---\n")
    entries = {}
    for volume in p.volumes:
        with tarfile.open(fileobj=io.BytesIO(volume_archive(volume, root=volume.name))) as tar:
            entries.update({m.name: (m.gid, m.mode) for m in tar.getmembers()})
    assert entries == {"v": (2000, 0o2777), "m": (2000, 0o3777), "c": (2000, 0o2755),
                       "c/k": (2000, 0o2755), "c/k/f": (2000, 0o644)}


def test_without_fs_group_a_memory_empty_dir_needs_no_archive() -> None:
    p = pod("""
        volumes: [{name: m, emptyDir: {medium: Memory}}]
        containers: [{name: a, image: busybox}]
    """)
    assert volume_archive(p.volumes[0]) is None


# --- resources ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("milli", "shares"), [(0, 2), (1, 2), (2, 2), (700, 716), (1000, 1024), (250, 256),
                                               (4000, 4096)])
def test_milli_cpu_to_shares(milli: int, shares: int) -> None:
    assert kubelet.milli_cpu_to_shares(milli) == shares


@pytest.mark.parametrize(("milli", "quota"), [(700, 70000), (1000, 100000), (5, 1000), (2500, 250000)])
def test_milli_cpu_to_quota(milli: int, quota: int) -> None:
    assert kubelet.milli_cpu_to_quota(milli) == quota


def test_shares_from_the_request_or_else_the_limit() -> None:
    assert kubelet.shares_for(700, 1000) == 716
    assert kubelet.shares_for(None, 500) == 512
    assert kubelet.shares_for(None, None) == 2


def test_cpu_arguments_are_the_kubelets_cfs_values() -> None:
    p = pod("""
        containers:
        - {name: a, image: busybox, resources: {limits: {cpu: 700m, memory: 200Mi}, requests: {cpu: 700m}}}
        - {name: b, image: busybox}
    """)
    a, b = (container_create_args(p, c, "h") for c in p.containers)
    assert (a["cpu_shares"], a["cpu_period"], a["cpu_quota"], a["mem_limit"]) == (716, 100000, 70000, 209715200)
    assert "nano_cpus" not in a
    assert b["cpu_shares"] == 2 and "cpu_quota" not in b


@pytest.mark.parametrize(("resources", "qos"), [
    ([{}], "BestEffort"),
    ([{"limits": {"cpu": "700m", "memory": "200Mi"}}], "Guaranteed"),
    ([{"limits": {"cpu": "700m", "memory": "200Mi"}, "requests": {"cpu": "700m", "memory": "200Mi"}}], "Guaranteed"),
    ([{"limits": {"cpu": "700m", "memory": "200Mi"}, "requests": {"cpu": "500m"}}], "Burstable"),
    ([{"requests": {"memory": "100Mi"}, "limits": {"memory": "200Mi"}}], "Burstable"),
    ([{"limits": {"cpu": "1", "memory": "1Gi"}}, {}], "Burstable"),
    ([{"limits": {"cpu": "1"}}], "Burstable"),
])
def test_qos_class(resources, qos) -> None:
    containers = "\n".join(f"- {{name: c{i}, image: busybox, resources: {r}}}" for i, r in enumerate(resources))
    assert pod("containers:\n" + textwrap.indent(containers, "")).qos_class == qos


def test_hugepages_are_refused_clearly() -> None:
    with pytest.raises(ManifestError, match="hugepages-2Mi cannot be given"):
        pod("""
            containers:
            - {name: a, image: busybox, resources: {limits: {hugepages-2Mi: 100Mi, memory: 100Mi}}}
        """)


# --- hosts and DNS -----------------------------------------------------------------------------

def test_hosts_file_is_the_kubelets() -> None:
    p = pod("""
        hostname: box
        subdomain: sub
        hostAliases:
        - {ip: 127.0.0.1, hostnames: [foo.local, bar.local]}
        containers: [{name: a, image: busybox}]
    """)
    assert pod_hosts_file(p, "172.17.0.5") == (
        "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
        "fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n"
        "172.17.0.5\tbox.sub.ns.svc.cluster.local\tbox\n"
        "\n# Entries added by HostAliases.\n127.0.0.1\tfoo.local\tbar.local\n")
    args = pause_create_args(p, "pause", "h")
    assert (args["hostname"], args["domainname"]) == ("box", "sub.ns.svc.cluster.local")
    assert args["extra_hosts"] == ["foo.local:127.0.0.1", "bar.local:127.0.0.1"]


def test_set_hostname_as_fqdn_names_the_kernel_hostname() -> None:
    p = pod("""
        {hostname: box, subdomain: sub, setHostnameAsFQDN: true, containers: [{name: a, image: busybox}]}
    """)
    assert pause_create_args(p, "pause", "h")["hostname"] == "box.sub.ns.svc.cluster.local"
    plain = pod("{setHostnameAsFQDN: true, containers: [{name: a, image: busybox}]}")
    assert pause_create_args(plain, "pause", "h")["hostname"] == "p"


HOST = "# generated\nnameserver 10.0.0.2\nsearch corp.example\noptions timeout:2 ndots:1\n"


def test_dns_none_uses_only_dns_config() -> None:
    p = pod("""
        dnsPolicy: None
        dnsConfig:
          nameservers: [192.0.2.1]
          searches: [ns1.svc.cluster-domain.example, my.dns.search.suffix]
          options: [{name: ndots, value: "2"}, {name: edns0}]
        containers: [{name: a, image: busybox}]
    """)
    assert pod_resolv_conf(p, HOST) == ("search ns1.svc.cluster-domain.example my.dns.search.suffix\n"
                                        "nameserver 192.0.2.1\noptions ndots:2 edns0\n")
    args = pause_create_args(p, "pause", "h")
    assert (args["dns"], args["dns_search"], args["dns_opt"]) == (
        ["192.0.2.1"], ["ns1.svc.cluster-domain.example", "my.dns.search.suffix"], ["ndots:2", "edns0"])


def test_dns_config_is_appended_to_the_hosts_resolver_for_default_and_cluster_first() -> None:
    for policy in ("Default", "ClusterFirst"):
        p = pod(f"""
            dnsPolicy: {policy}
            dnsConfig: {{nameservers: [10.0.0.2, 192.0.2.9], searches: [x.example], options: [{{name: ndots, value: "5"}}]}}
            containers: [{{name: a, image: busybox}}]
        """)
        assert pod_resolv_conf(p, HOST) == ("search corp.example x.example\nnameserver 10.0.0.2\n"
                                            "nameserver 192.0.2.9\noptions timeout:2 ndots:5\n")
    assert pod_resolv_conf(pod("containers: [{name: a, image: busybox}]"), HOST) is None   # Docker's stays


def test_host_namespaces_and_sysctls() -> None:
    p = pod("""
        hostIPC: true
        hostPID: true
        securityContext: {sysctls: [{name: kernel.shm_rmid_forced, value: "1"}]}
        containers: [{name: a, image: busybox}]
    """)
    pause = pause_create_args(p, "pause", "h")
    assert (pause["ipc_mode"], pause["pid_mode"], pause["sysctls"]) == ("host", "host", {"kernel.shm_rmid_forced": "1"})
    app = container_create_args(p, p.containers[0], "h")
    assert (app["ipc_mode"], app["pid_mode"]) == ("host", "host")


def test_mount_propagation_and_recursive_read_only() -> None:
    p = pod("""
        volumes: [{name: h, hostPath: {path: /srv}}]
        containers:
        - name: a
          image: busybox
          securityContext: {privileged: true}
          volumeMounts: [{name: h, mountPath: /a, mountPropagation: HostToContainer},
                         {name: h, mountPath: /b, mountPropagation: Bidirectional},
                         {name: h, mountPath: /c, readOnly: true, recursiveReadOnly: IfPossible}]
    """)
    mounts = container_create_args(p, p.containers[0], "h")["mounts"]
    assert [m.get("BindOptions") for m in mounts] == [{"Propagation": "rslave"}, {"Propagation": "rshared"}, None]
    with pytest.raises(ManifestError, match="privileged"):
        pod("""
            volumes: [{name: h, hostPath: {path: /srv}}]
            containers: [{name: a, image: busybox, volumeMounts: [{name: h, mountPath: /a,
                                                                    mountPropagation: Bidirectional}]}]
        """)



def test_recursive_read_only_on_engines_with_and_without_it() -> None:
    p = pod("""
        volumes: [{name: h, hostPath: {path: /srv}}]
        containers:
        - name: a
          image: busybox
          volumeMounts: [{name: h, mountPath: /a, readOnly: true},
                         {name: h, mountPath: /b, readOnly: true, recursiveReadOnly: IfPossible},
                         {name: h, mountPath: /c, readOnly: true, recursiveReadOnly: Enabled},
                         {name: h, mountPath: /d, readOnly: true, recursiveReadOnly: Disabled, subPath: x},
                         {name: h, mountPath: /e}]
    """)
    [a, b, c, d, e] = container_create_args(p, p.containers[0], "h", {3: "/run/x/3"},
                                            recursive_read_only=True)["mounts"]
    # API 1.44+ makes read-only binds recursive where it can: Kubernetes' default (Disabled) must say no
    assert a["BindOptions"] == {"ReadOnlyNonRecursive": True} and "BindOptions" not in b
    assert c["BindOptions"] == {"ReadOnlyForceRecursive": True} and d["BindOptions"] == {"ReadOnlyNonRecursive": True}
    assert "BindOptions" not in e                               # not read-only
    older = container_create_args(p, p.containers[0], "h", {3: "/run/x/3"})["mounts"]
    assert all("BindOptions" not in m for m in older)           # an older engine's binds are never recursive


def test_recursive_read_only_needs_a_read_only_mount_without_propagation() -> None:
    from podcompose.rules import recursive_read_only_error

    assert recursive_read_only_error("Enabled", True, None) is None
    assert recursive_read_only_error("IfPossible", True, "None") is None
    assert recursive_read_only_error("Disabled", False, "HostToContainer") is None
    assert "readOnly is true" in recursive_read_only_error("Enabled", False, None)
    assert "mountPropagation is None" in recursive_read_only_error("IfPossible", True, "HostToContainer")


def test_pod_requests_and_admission() -> None:
    assert kubelet.pod_requests([(2000, 10)], [(500, 100), (700, 200)]) == (2000, 300)
    assert kubelet.admission_error((100000, 0), 2000, 8 << 30).endswith("OutOfcpu)")
    assert kubelet.admission_error((0, 1000 << 30), 2000, 8 << 30).endswith("OutOfmemory)")
    assert kubelet.admission_error((700, 200 << 20), 2000, 8 << 30) is None


# --- uid, gid and groups from the image's accounts (supplementalGroupsPolicy) ----------------------------

AGNHOST_PASSWD = "root:x:0:0:root:/root:/bin/sh\nuser-defined-in-image:x:1000:1000::/tmp:/bin/sh\n"
AGNHOST_GROUP = ("root:x:0:\nuser-defined-in-image:x:1000:user-defined-in-image\n"
                 "group-defined-in-image:x:50000:user-defined-in-image\nwheel:x:10:root,other\n")


def identity(run_as_user=None, run_as_group=None, image_user="", extra=(), policy="Merge",
             passwd=AGNHOST_PASSWD, group=AGNHOST_GROUP) -> kubelet.ProcessIdentity:
    return kubelet.process_identity(run_as_user, run_as_group, image_user, extra, policy,
                                    kubelet.parse_passwd(passwd), kubelet.parse_group(group))


def test_merge_adds_the_groups_the_image_lists_the_user_in() -> None:
    # the documentation's security-context-5: id shows groups=3000,4000,50000
    assert identity(1000, 3000, extra=(3000, 4000)) == kubelet.ProcessIdentity(1000, 3000, (3000, 50000, 4000))


def test_strict_never_adds_the_images_groups() -> None:
    assert identity(1000, 3000, extra=(3000, 4000), policy="Strict") == kubelet.ProcessIdentity(1000, 3000,
                                                                                                (3000, 4000))
    assert identity(1000, policy="Strict") == kubelet.ProcessIdentity(1000, 1000, (1000,))


def test_without_run_as_group_the_primary_gid_is_the_accounts_in_the_images_passwd() -> None:
    assert identity(1000, extra=(4000,)) == kubelet.ProcessIdentity(1000, 1000, (1000, 50000, 4000))


def test_a_uid_the_image_does_not_list_has_gid_0_and_no_image_groups() -> None:
    assert identity(4242) == kubelet.ProcessIdentity(4242, 0, (0,))
    assert identity(1000, passwd="", group="") == kubelet.ProcessIdentity(1000, 0, (0,))   # no /etc/passwd


def test_the_images_user_counts_without_run_as_user_and_its_group_part_does_not() -> None:
    assert identity(image_user="") == kubelet.ProcessIdentity(0, 0, (0, 10))        # root, in wheel
    assert identity(image_user="1000:2000") == kubelet.ProcessIdentity(1000, 1000, (1000, 50000))
    assert identity(image_user="user-defined-in-image", run_as_group=7) == kubelet.ProcessIdentity(
        1000, 7, (7, 50000))
    with pytest.raises(ValueError, match="'nobody' is not in the image's /etc/passwd"):
        identity(image_user="nobody")


def test_a_group_named_like_the_user_is_its_primary_not_a_supplemental_one() -> None:
    group = "user-defined-in-image:x:1234:user-defined-in-image\n"
    assert identity(1000, 3000, group=group) == kubelet.ProcessIdentity(1000, 3000, (3000,))


def test_identity_becomes_an_explicit_user_and_groups_and_the_policy_is_read() -> None:
    p = pod("""
        securityContext: {runAsUser: 1000, supplementalGroups: [4000], supplementalGroupsPolicy: Strict}
        containers: [{name: a, image: busybox}]
    """)
    assert p.containers[0].security.groups_policy == "Strict"
    assert pod("containers: [{name: a, image: busybox}]").containers[0].security.groups_policy == "Merge"
    args = container_create_args(p, p.containers[0], "h", identity=kubelet.ProcessIdentity(1000, 1000, (1000, 4000)))
    assert (args["user"], args["group_add"]) == ("1000:1000", ["1000", "4000"])


# --- emptyDir mode (KEP-5502) ------------------------------------------------------------------------------

def root_entry(volume, root: str = "data") -> tuple[int, int]:
    with tarfile.open(fileobj=io.BytesIO(volume_archive(volume, root=root))) as tar:
        member = tar.getmember(root)
    return member.mode, member.gid


@pytest.mark.parametrize(("source", "fs_group", "want"), [
    ("{}", "", (0o777, 0)),
    ("{mode: 0750}", "", (0o750, 0)),
    ("{mode: 01777}", "", (0o1777, 0)),
    ("{medium: Memory, mode: 0750}", "", (0o750, 0)),
    ("{medium: Memory, mode: 0}", "", (0, 0)),
    # fsGroup's ownership goes over the mode: group rw(x), setgid; the sticky bit stays
    ("{mode: 0700}", "securityContext: {fsGroup: 2000}", (0o2770, 2000)),
    ("{medium: Memory, mode: 01777}", "securityContext: {fsGroup: 2000}", (0o3777, 2000)),
])
def test_an_empty_dirs_mode_is_its_root_directorys(source: str, fs_group: str, want: tuple[int, int]) -> None:
    p = pod(f"""
        {fs_group}
        volumes: [{{name: v, emptyDir: {source}}}]
        containers: [{{name: a, image: busybox}}]
    """)
    assert root_entry(p.volumes[0]) == want


def test_a_memory_empty_dir_without_mode_or_fs_group_keeps_its_tmpfs_as_mounted() -> None:
    p = pod("""
        volumes: [{name: v, emptyDir: {medium: Memory}}]
        containers: [{name: a, image: busybox}]
    """)
    assert volume_archive(p.volumes[0], root="v") is None


def test_the_image_files_are_read_only_when_the_pod_changes_the_images_identity() -> None:
    from podcompose.kubelet import identity_is_the_images

    assert identity_is_the_images(None, None, (), "Merge", "")
    assert identity_is_the_images(None, None, (), "Merge", "app")
    assert not identity_is_the_images(1000, None, (), "Merge", "")
    assert not identity_is_the_images(None, 3000, (), "Merge", "")
    assert not identity_is_the_images(None, None, (2000,), "Merge", "")      # supplementalGroups or fsGroup
    assert not identity_is_the_images(None, None, (), "Strict", "")
    assert not identity_is_the_images(None, None, (), "Merge", "1000:2000")  # the kubelet drops the image's group

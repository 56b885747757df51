"""The runtime's safety logic without a daemon: subPath opening and staging, hostPath types, ownership,
and rollback of staging mounts through a fake Docker client (issue 9)."""
from __future__ import annotations

import os
import socket
import stat
import textwrap
from pathlib import Path

import pytest

from podcompose import naming
from podcompose.errors import PodcomposeError
from podcompose.load import load_text
from podcompose.pods import pods_from_documents
from podcompose.plan import CreateVolume, Plan, RunPause
from podcompose.runtime import hostpath, ownership, subpath
from podcompose.runtime.builder import MountRefused, PodBuilder
from podcompose.runtime.execute import cleanup, execute
from podcompose.runtime.remove import remove_pod
from podcompose.state import ObservedContainer, ObservedPod
from podcompose.translate import container_create_args, pause_create_args, volume_archive, volume_create_args
from tests.fake_docker import FakeAPI, FakeClient

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="bind mounts need root")


def pod_of(text: str):
    return pods_from_documents(load_text(textwrap.dedent(text), "m.yaml"))[0]


# subPath: opening without following links ---------------------------------------------------------------------

@pytest.fixture
def volume(tmp_path: Path) -> Path:
    root = tmp_path / "volume"
    root.mkdir()
    os.chmod(root, 0o777)
    return root


def test_a_symlink_as_the_subpath_is_refused(volume: Path) -> None:
    (volume / "logs").symlink_to("/")
    with pytest.raises(subpath.SubPathError, match="^logs is a symbolic link; refusing to follow it out of volume v$"):
        subpath.open_beneath(str(volume), "logs", "v")


def test_a_symlink_on_the_way_is_refused_even_to_inside_the_volume(volume: Path) -> None:
    (volume / "real").mkdir()
    (volume / "real" / "x").mkdir()
    (volume / "link").symlink_to("real")
    with pytest.raises(subpath.SubPathError, match="^link is a symbolic link"):
        subpath.open_beneath(str(volume), "link/x", "v")
    (volume / "real" / "x" / "last").symlink_to("/etc")
    with pytest.raises(subpath.SubPathError, match="^real/x/last is a symbolic link"):
        subpath.open_beneath(str(volume), "real/x/last", "v")


def test_a_file_on_the_way_is_refused_and_a_final_file_is_opened(volume: Path) -> None:
    (volume / "app.conf").write_text("x")
    with pytest.raises(subpath.SubPathError, match="^app.conf is a file; volume v has no directory there"):
        subpath.open_beneath(str(volume), "app.conf/more", "v")
    opened = subpath.open_beneath(str(volume), "app.conf", "v")
    try:
        assert not opened.is_dir
        assert os.path.samefile(f"/proc/self/fd/{opened.fd}", volume / "app.conf")
    finally:
        os.close(opened.fd)


def test_missing_directories_are_made_with_the_volume_roots_mode(volume: Path) -> None:
    old = os.umask(0o022)
    try:
        opened = subpath.open_beneath(str(volume), "a/b/c", "v")
    finally:
        os.umask(old)
    os.close(opened.fd)
    assert opened.is_dir
    for part in ("a", "a/b", "a/b/c"):
        assert stat.S_IMODE(os.lstat(volume / part).st_mode) == 0o777
    with pytest.raises(subpath.SubPathError, match="does not exist"):
        subpath.open_beneath(str(volume), "nope", "v", create=False)


def test_a_socket_at_the_end_is_allowed_as_the_kubelet_allows_it(volume: Path) -> None:
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(volume / "sock"))
        opened = subpath.open_beneath(str(volume), "sock", "v")
        os.close(opened.fd)
        assert not opened.is_dir


@pytest.mark.parametrize("bad,message", [("/etc", "absolute"), ("a/../../etc", "'..'"), ("..", "'..'"),
                                         ("./", "the volume itself")])
def test_paths_that_could_leave_the_volume_are_refused_whatever_the_filesystem(volume: Path, bad: str,
                                                                            message: str) -> None:
    with pytest.raises(subpath.SubPathError, match=message):
        subpath.open_beneath(str(volume), bad, "v")


def test_mountinfo_escapes_are_read_back() -> None:
    assert subpath._unescape(r"/run/a\040b\011c\134d") == "/run/a b\tc\\d"
    assert subpath._unescape("/plain\\x") == "/plain\\x"


# staging (real bind mounts: root only) -------------------------------------------------------------------------

@pytest.fixture
def staging_root(tmp_path: Path, monkeypatch) -> Path:
    root = tmp_path / "run" / "podcompose" / "subpath"
    monkeypatch.setattr(subpath, "STAGING_ROOT", str(root))
    return root


def mounted_under(path: Path) -> list[str]:
    return subpath._mountpoints_under(str(path))


@needs_root
def test_stage_binds_the_opened_directory_and_survives_a_swap_for_a_link(volume: Path, staging_root: Path) -> None:
    (volume / "logs").mkdir()
    (volume / "logs" / "marker").write_text("original")
    target = subpath.staging_path("default", "web", "app", 0)
    try:
        assert subpath.stage(str(volume), "logs", "v", target) == target
        assert (Path(target) / "marker").read_text() == "original"
        for part in (staging_root, staging_root / "default", staging_root / "default" / "web"):
            assert stat.S_IMODE(part.stat().st_mode) == 0o700
        # the container swaps the directory for a link: the staging path still holds the original
        (volume / "logs").rename(volume / "moved")
        (volume / "logs").symlink_to("/")
        assert sorted(os.listdir(target)) == ["marker"]
        # staging again (a second up after an interrupted one) refuses the link now
        with pytest.raises(subpath.SubPathError, match="symbolic link"):
            subpath.stage(str(volume), "logs", "v", target)
    finally:
        assert subpath.clean_pod("default", "web") == []
    assert mounted_under(staging_root) == [] and not (staging_root / "default").exists()
    assert (volume / "moved" / "marker").read_text() == "original"    # cleaning never reaches the volume


@needs_root
def test_stage_a_single_file_and_clean_it(volume: Path, staging_root: Path) -> None:
    (volume / "app.conf").write_text("answer=42")
    target = subpath.stage(str(volume), "app.conf", "v", subpath.staging_path("dev", "web", "app", 3))
    try:
        assert Path(target).read_text() == "answer=42"
        assert mounted_under(staging_root) == [target]
    finally:
        assert subpath.clean_pod("dev", "web") == []
    assert not Path(target).exists() and (volume / "app.conf").read_text() == "answer=42"


def test_clean_pod_with_nothing_staged_is_no_error(staging_root: Path) -> None:
    assert subpath.clean_pod("default", "absent") == []


# hostPath types ------------------------------------------------------------------------------------------------

def host_pod(path: Path | str, kind: str):
    type_line = f", type: {kind}" if kind else ""
    return pod_of(f"""
        apiVersion: v1
        kind: Pod
        metadata: {{name: h}}
        spec:
          containers: [{{name: app, image: busybox:1, volumeMounts: [{{name: v, mountPath: /v}}]}}]
          volumes: [{{name: v, hostPath: {{path: "{path}"{type_line}}}}}]
        """)


@pytest.mark.parametrize("kind,make,error", [
    ("Directory", None, "does not exist"), ("Directory", "file", "is not a directory"),
    ("File", None, "does not exist"), ("File", "dir", "is not a file"),
    ("Socket", "file", "is not a socket"), ("CharDevice", "file", "is not a character device"),
    ("BlockDevice", "dir", "is not a block device"), ("DirectoryOrCreate", "file", "is not a directory"),
    ("FileOrCreate", "dir", "is not a file"),
])
def test_host_path_kind_checks(tmp_path: Path, kind: str, make: str | None, error: str) -> None:
    target = tmp_path / "t"
    if make == "file":
        target.write_text("")
    elif make == "dir":
        target.mkdir()
    with pytest.raises(PodcomposeError, match=error):
        hostpath.check(host_pod(target, kind))


def test_host_path_kinds_that_hold(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    hostpath.check(host_pod(tmp_path, "Directory"))
    hostpath.check(host_pod(tmp_path / "f", "File"))
    hostpath.check(host_pod("/dev/null", "CharDevice"))
    hostpath.check(host_pod("/", "Directory"))
    hostpath.check(host_pod(tmp_path / "missing", ""))           # untyped: no check


def test_host_path_create_types_make_what_they_name(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        for kind, path in (("DirectoryOrCreate", tmp_path / "a" / "b"), ("FileOrCreate", tmp_path / "file")):
            pod = host_pod(path, kind)
            hostpath.check(pod)
            hostpath.prepare(pod)
    finally:
        os.umask(old)
    assert (tmp_path / "a" / "b").is_dir() and stat.S_IMODE((tmp_path / "a" / "b").stat().st_mode) == 0o755
    assert (tmp_path / "file").read_text() == "" and stat.S_IMODE((tmp_path / "file").stat().st_mode) == 0o644
    with pytest.raises(PodcomposeError, match="FileOrCreate makes the file, not its directory"):
        hostpath.check(host_pod(tmp_path / "none" / "file", "FileOrCreate"))


# translate: Mounts API everywhere, staging, volume subpaths, tmpfs secrets -------------------------------------

SECRET_POD = """
    apiVersion: v1
    kind: Pod
    metadata: {name: web}
    spec:
      containers:
      - name: app
        image: busybox:1
        volumeMounts:
        - {name: creds, mountPath: /creds}
        - {name: data, mountPath: "/odd:path", subPath: logs}
        - {name: root, mountPath: /host}
        - {name: root, mountPath: /etc-host, subPath: etc}
      volumes:
      - {name: creds, secret: {secretName: s}}
      - {name: data, emptyDir: {}}
      - {name: cache, emptyDir: {medium: Memory}}
      - {name: root, hostPath: {path: /}}
    ---
    apiVersion: v1
    kind: Secret
    metadata: {name: s}
    stringData: {token: abc}
    """


def test_mounts_are_mounts_api_entries_and_sub_paths_use_their_staging_path() -> None:
    pod = pod_of(SECRET_POD)
    args = container_create_args(pod, pod.container("app"), "h", {1: "/run/x/1", 3: "/run/x/3"})
    assert "volumes" not in args
    assert args["mounts"] == [
        {"Type": "volume", "Source": "web_creds", "Target": "/creds", "ReadOnly": True,
         "VolumeOptions": {"NoCopy": True}},
        {"Type": "bind", "Source": "/run/x/1", "Target": "/odd:path", "ReadOnly": False},
        {"Type": "bind", "Source": "/", "Target": "/host", "ReadOnly": False},
        {"Type": "bind", "Source": "/run/x/3", "Target": "/etc-host", "ReadOnly": False},
    ]
    # --dry-run (nothing staged yet) says what the source will be
    shown = container_create_args(pod, pod.container("app"), "h")["mounts"][1]["Source"]
    assert shown == "<subPath logs of volume data, staged at start>"


def test_engines_with_volume_subpaths_open_a_named_volumes_subpath_themselves() -> None:
    pod = pod_of(SECRET_POD)
    args = container_create_args(pod, pod.container("app"), "h", {3: "/run/x/3"}, volume_subpath=True)
    assert args["mounts"][1] == {"Type": "volume", "Source": "web_data", "Target": "/odd:path", "ReadOnly": False,
                                 "VolumeOptions": {"NoCopy": True, "Subpath": "logs"}}
    assert args["mounts"][3]["Source"] == "/run/x/3"      # a hostPath bind has no subpath option: staged still


def test_secret_and_memory_volumes_are_tmpfs_held_by_the_pause_container() -> None:
    pod = pod_of(SECRET_POD)
    creds = next(v for v in pod.volumes if v.name == "creds")
    assert volume_create_args(pod, creds, "h")["driver_opts"] == {"type": "tmpfs", "device": "tmpfs"}
    pause = pause_create_args(pod, "pause:1", "h")
    assert [(m["Source"], m["Target"], m["ReadOnly"]) for m in pause["mounts"]] == [
        ("web_creds", "/.podcompose/volumes/creds", False), ("web_cache", "/.podcompose/volumes/cache", False)]
    import io
    import tarfile
    with tarfile.open(fileobj=io.BytesIO(volume_archive(creds, root="creds"))) as tar:
        members = {m.name: (m.mode, m.uid, m.gid) for m in tar.getmembers()}
    assert members == {"creds": (0o755, 0, 0), "creds/token": (0o644, 0, 0)}


# ownership: exact names, owners by label -----------------------------------------------------------------------

def test_an_id_prefix_is_not_a_name_and_a_regex_lookalike_is_not_this_pod(tmp_path: Path) -> None:
    api = FakeAPI(str(tmp_path))
    labels = naming.pod_labels("default", "vrf-1")
    api.add_container("vrf-1_app", labels, container_id="abc123")
    client = FakeClient(api)
    assert ownership.find_container(client, "abc") is None                     # id prefix, not a name
    assert ownership.check_container_name(client, "vrf.1_app", "default", "vrf.1") is None
    with pytest.raises(PodcomposeError, match="belongs to pod vrf-1 in namespace default, so pod vrf.1 cannot"):
        ownership.check_container_name(client, "vrf-1_app", "default", "vrf.1")
    with pytest.raises(PodcomposeError, match="belongs to pod vrf-1"):
        ownership.check_container_name(client, "vrf-1_app", "dev", "vrf-1")     # same pod name, other namespace
    assert ownership.check_container_name(client, "vrf-1_app", "default", "vrf-1") is not None


def secret_pod_plan(name: str = "web") -> Plan:
    pod = pod_of(f"""
        apiVersion: v1
        kind: Pod
        metadata: {{name: {name}}}
        spec:
          containers:
          - name: first
            image: busybox:1
            volumeMounts: [{{name: data, mountPath: /d, subPath: logs}}]
          - name: second
            image: busybox:1
            volumeMounts: [{{name: data, mountPath: /d, subPath: logs}}]
          volumes: [{{name: data, emptyDir: {{}}}}]
        """)
    return Plan(pod, "h", volumes=(CreateVolume(pod, pod.volumes[0]),), sandbox=RunPause(pod, "pause:1"))


def test_a_foreign_volume_stops_up_before_anything_is_made(tmp_path: Path, staging_root: Path) -> None:
    api = FakeAPI(str(tmp_path))
    api.add_volume("web_data", {"com.docker.compose.project": "web"})
    with pytest.raises(PodcomposeError, match="^a volume named web_data already exists and was not made by podcompose"):
        execute(FakeClient(api), secret_pod_plan(), lambda event: None)
    assert api.created == [] and api.removed == []


def build_first_two(client: FakeClient) -> PodBuilder:
    """What up and the agent's first sync do for secret_pod_plan(): volume, pause, then each container."""
    plan = secret_pod_plan()
    builder = PodBuilder(client, plan.pod, plan.spec_hash, "pause:1", lambda event: None)
    builder.create_volume(plan.pod.volumes[0])
    builder.run_pause("")
    builder.create_and_start(plan.pod.container("first"))
    builder.create_and_start(plan.pod.container("second"))
    return builder


@needs_root
def test_rollback_removes_the_staging_mounts_of_a_pod_that_failed(tmp_path: Path, staging_root: Path) -> None:
    volume = tmp_path / "volume"
    volume.mkdir()
    api = FakeAPI(str(volume), fail_create="web_second")
    events = []
    client = FakeClient(api)
    with pytest.raises(PodcomposeError, match="cannot create web_second"):
        build_first_two(client)
    cleanup(client, secret_pod_plan().pod, events.append)     # what up does when a start fails
    first = next(a for a in api.created if a["name"] == "web_first")
    source = first["host_config"]["Mounts"][0]["Source"]
    assert source == str(staging_root / "default" / "web" / "first" / "0")
    # the second container was staged, then failed to be created: both stagings went with the rollback
    assert mounted_under(staging_root) == [] and not (staging_root / "default" / "web").exists()
    assert (volume / "logs").is_dir()
    assert not [e for e in events if e.kind == "warning"]


@needs_root
def test_remove_pod_unmounts_the_staging_after_the_containers(tmp_path: Path, staging_root: Path) -> None:
    volume = tmp_path / "volume"
    (volume / "logs").mkdir(parents=True)
    target = subpath.stage(str(volume), "logs", "data", subpath.staging_path("default", "web", "app", 0))
    api = FakeAPI(str(volume))
    api.add_container("web_app", naming.pod_labels("default", "web"), container_id="id1")
    api.add_volume("web_data", naming.pod_labels("default", "web"))
    observed = ObservedPod("default", "web", (ObservedContainer("id1", "web_app", "app", "app", "exited", 0, "b", "h"),),
                           volumes=("web_data",), grace_seconds=1)
    remove_pod(FakeClient(api), observed, lambda event: None)
    assert api.removed == ["id1", "web_data"]
    assert mounted_under(staging_root) == [] and not os.path.lexists(target)


def test_a_subpath_link_fails_the_container_naming_the_mount(tmp_path: Path, staging_root: Path) -> None:
    volume = tmp_path / "volume"
    volume.mkdir()
    (volume / "logs").symlink_to("/")
    api = FakeAPI(str(volume))
    with pytest.raises(MountRefused, match=r"^pod web: container first: volumeMounts\[0\] \(subPath logs\): logs is "
                                           "a symbolic link; refusing to follow it out of volume data$"):
        build_first_two(FakeClient(api))
    assert [a["name"] for a in api.created] == ["web_POD"]

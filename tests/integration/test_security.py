"""A manifest cannot reach outside its pod (issue 9, the runtime half), against the live daemon.

subPath symlink escapes (CVE-2017-1002101) at mount time and across restarts,
exact ownership of names, foreign volumes, secret volumes on tmpfs, hostPath types.
"""
from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest

from podcompose.runtime.subpath import STAGING_ROOT
from tests.helpers import BUSYBOX, LOOP, docker, exec_out, labelled, remove_labelled, run_cli, wait_until
from tests.manifests import api_object, container, documents, empty_dir, mount, pod

pytestmark = pytest.mark.docker

STAGING = Path(STAGING_ROOT)      # where the podcompose under test stages (PODCOMPOSE_SUBPATH_DIR)


def host_os_release() -> str:
    return Path("/etc/os-release").read_text().splitlines()[0]


def staged_mounts(pod: str) -> list[str]:
    prefix = f"{STAGING}/default/{pod}/"
    with open("/proc/self/mountinfo") as mountinfo:
        return [line.split()[4] for line in mountinfo if line.split()[4].startswith(prefix)]


def container_json(name: str) -> dict:
    return json.loads(docker("inspect", name))[0]


def test_subpath_symlink_planted_by_an_init_container_is_refused(pod_name: str, manifest) -> None:
    path = manifest(pod(
        pod_name,
        container("app", f"head -1 /host/etc/os-release; {LOOP}",
                  volumeMounts=[mount("shared", "/host", subPath="logs")]),
        init=[container("plant", ["ln", "-s", "/", "/shared/logs"], volumeMounts=[mount("shared", "/shared")])],
        volumes=[empty_dir("shared")]))
    result = run_cli("up", "-d", "-f", path)
    # what the app would have seen: its log holds the first line of /host/etc/os-release
    seen = subprocess.run(["docker", "logs", f"{pod_name}_app"], capture_output=True, text=True).stdout
    assert host_os_release() not in seen
    assert result.code == 1, result.stderr
    assert (f"pod {pod_name}: container app: volumeMounts[0] (subPath logs): logs is a symbolic link; "
            "refusing to follow it out of volume shared") in result.stderr
    assert "Traceback" not in result.stderr
    # nothing of the host reached a container: the app was never made, and the pod is gone with its staging
    assert labelled(pod_name) == ([], [])
    assert staged_mounts(pod_name) == [] and not (STAGING / "default" / pod_name).exists()


def test_subpath_crossing_a_symlinked_directory_is_refused(pod_name: str, manifest) -> None:
    path = manifest(pod(
        pod_name,
        container("app", volumeMounts=[mount("shared", "/data"), mount("shared", "/etc-of-host", subPath="conf/ssl")]),
        init=[container("plant", ["ln", "-s", "/etc", "/shared/conf"], volumeMounts=[mount("shared", "/shared")])],
        volumes=[empty_dir("shared")]))
    result = run_cli("up", "-d", "-f", path)
    assert result.code == 1
    assert "volumeMounts[1] (subPath conf/ssl): conf is a symbolic link; refusing to follow it out of volume shared" \
        in result.stderr
    assert labelled(pod_name) == ([], [])


def test_swapping_the_subpath_directory_for_a_link_does_not_reach_a_restarting_sibling(pod_name: str, manifest) -> None:
    path = manifest(pod(
        pod_name,
        container("victim", volumeMounts=[mount("shared", "/data", subPath="logs")]),
        container("attacker", volumeMounts=[mount("shared", "/shared")]),
        init=[container("seed", "mkdir /shared/logs && echo original > /shared/logs/marker",
                        volumeMounts=[mount("shared", "/shared")])],
        volumes=[empty_dir("shared")]))
    result = run_cli("up", "-d", "-f", path)
    assert result.code == 0, result.stderr
    assert exec_out(pod_name, "victim", "cat", "/data/marker") == "original"
    # the attacker swaps the directory for a link to the host's root while its sibling restarts
    exec_out(pod_name, "attacker", "sh", "-c", "mv /shared/logs /shared/moved && ln -s / /shared/logs")
    assert exec_out(pod_name, "attacker", "readlink", "/shared/logs") == "/"
    victim = f"{pod_name}_victim"

    def victim_sees() -> str | None:
        result = run_cli("exec", pod_name, "-c", "victim", "--", "sh", "-c",
                         "cat /data/marker; ls /data; test -e /data/etc/os-release && echo HOST || echo no-host")
        return result.stdout.split() if result.code == 0 else None
    # restarted in place (docker restart: the same container starts again)...
    docker("restart", "-t", "1", victim)
    assert wait_until(victim_sees, timeout=20, what="the victim back") == ["original", "marker", "no-host"]
    assert len(staged_mounts(pod_name)) == 1
    # ... and by its restart policy (PID 1 ends): the agent makes a new attempt and stages its subPath
    # again, as the kubelet does at every start; it now finds the link and refuses, naming the mount
    exec_out(pod_name, "victim", "kill", "1")

    def refused() -> bool:
        events = json.loads(run_cli("describe", pod_name, "-o", "json").stdout)["events"]
        return any("logs is a symbolic link; refusing to follow it out of volume shared" in e["reason"]
                   for e in events if e["container"] == "victim")
    wait_until(refused, timeout=20, what="the new attempt refused", interval=0.5)
    assert container_json(victim)["State"]["Running"] is False    # no attempt ever ran with the link
    assert run_cli("down", pod_name).code == 0
    assert staged_mounts(pod_name) == [] and not (STAGING / "default" / pod_name).exists()
    assert labelled(pod_name) == ([], [])


def test_subpath_of_a_single_file_and_a_missing_directory(pod_name: str, manifest) -> None:
    path = manifest(documents(
        api_object("ConfigMap", f"{pod_name}-conf", data={"app.conf": "answer=42"}),
        pod(pod_name,
            container("app", volumeMounts=[mount("conf", "/etc/app.conf", subPath="app.conf"),
                                           mount("scratch", "/made", subPath="a/b"), mount("scratch", "/scratch")]),
            volumes=[{"name": "conf", "configMap": {"name": f"{pod_name}-conf"}}, empty_dir("scratch")])))
    result = run_cli("up", "-d", "-f", path)
    assert result.code == 0, result.stderr
    assert exec_out(pod_name, "app", "cat", "/etc/app.conf") == "answer=42"
    exec_out(pod_name, "app", "sh", "-c", "echo x > /made/file")
    assert exec_out(pod_name, "app", "cat", "/scratch/a/b/file") == "x"
    # made as the kubelet makes it: the volume root's mode (an emptyDir is 0777)
    assert exec_out(pod_name, "app", "stat", "-c", "%a", "/scratch/a", "/scratch/a/b") == "777\n777"
    assert run_cli("down", pod_name).code == 0
    assert staged_mounts(pod_name) == []


def test_pods_whose_names_docker_filters_would_confuse_stay_apart(kit, manifest) -> None:
    base = f"sec-{uuid.uuid4().hex[:8]}"
    dash, dot = f"{base}-1", f"{base}.1"

    def pod_file(name: str) -> str:
        return manifest(pod(name, container("app"), volumes=[empty_dir("data")]), name=f"{name}.yaml")

    def ids(name: str) -> list[str]:
        return sorted(docker("ps", "-aq", "--no-trunc", "--filter", f"label=io.podcompose.pod={name}").split())

    try:
        assert run_cli("up", "-d", "-f", pod_file(dash)).code == 0
        before = ids(dash)
        assert len(before) == 2
        result = run_cli("up", "-d", "-f", pod_file(dot))
        assert result.code == 0, result.stderr
        assert ids(dash) == before and len(ids(dot)) == 2
        assert {container_json(i)["State"]["Status"] for i in before + ids(dot)} == {"running"}
        # replacing one, and bringing it down, leaves the other's containers and volume alone
        assert run_cli("up", "-d", "--replace", "-f", pod_file(dot)).code == 0
        assert run_cli("down", dot).code == 0
        assert ids(dot) == [] and ids(dash) == before
        assert {container_json(i)["State"]["Status"] for i in before} == {"running"}
        assert labelled(dash)[1] == [f"{dash}_POD.desired", f"{dash}_data"]
    finally:
        remove_labelled(dash)
        remove_labelled(dot)


def test_a_foreign_volume_named_like_a_pod_volume_is_refused_and_left_untouched(pod_name: str, manifest) -> None:
    volume = f"{pod_name}_data"
    docker("volume", "create", "--label", "com.docker.compose.project=" + pod_name, volume)
    try:
        mountpoint = Path(json.loads(docker("volume", "inspect", volume))[0]["Mountpoint"])
        (mountpoint / "precious").write_text("keep me\n")
        os.chmod(mountpoint, 0o700)
        path = manifest(pod(
            pod_name,
            container("app", volumeMounts=[mount("data", "/data")]),
            init=[container("fill", "echo pod-was-here > /data/precious", volumeMounts=[mount("data", "/data")])],
            volumes=[empty_dir("data")]))
        result = run_cli("up", "-d", "-f", path)
        assert result.code == 1
        errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert errors == [f"error: a volume named {volume} already exists and was not made by podcompose, so pod "
                          f"{pod_name} cannot use that name; podcompose leaves it untouched "
                          f"(remove or rename it: docker volume rm {volume})"]
        assert (mountpoint / "precious").read_text() == "keep me\n"
        assert os.stat(mountpoint).st_mode & 0o777 == 0o700
        assert sorted(os.listdir(mountpoint)) == ["precious"]
        info = json.loads(docker("volume", "inspect", volume))[0]
        assert info["Labels"] == {"com.docker.compose.project": pod_name}
        assert labelled(pod_name) == ([], [])     # nothing was made for the pod
    finally:
        subprocess.run(["docker", "volume", "rm", "-f", volume], capture_output=True)


def test_a_foreign_container_named_like_a_pod_container_is_refused_before_anything_is_made(pod_name: str,
                                                                                          manifest) -> None:
    foreign = f"{pod_name}_app"
    docker("create", "--name", foreign, BUSYBOX, "true")
    try:
        path = manifest(pod(pod_name, container("app")))
        result = run_cli("up", "-d", "-f", path)
        assert result.code == 1
        assert f"a container named {foreign} already exists and was not made by podcompose" in result.stderr
        assert labelled(pod_name) == ([], [])
        assert container_json(foreign)["State"]["Status"] == "created"
    finally:
        subprocess.run(["docker", "rm", "-f", foreign], capture_output=True)


def test_a_secret_volume_is_a_tmpfs_with_the_requested_modes(pod_name: str, manifest) -> None:
    path = manifest(documents(
        api_object("Secret", f"{pod_name}-creds", stringData={"token": "s3cr3t-token", "ca.pem": "-----BEGIN-----"}),
        pod(pod_name,
            container("app", volumeMounts=[mount("creds", "/etc/creds"), mount("out", "/out"),
                                           mount("creds", "/token-only", subPath="token")]),
            init=[container("early", "cat /creds/token > /out/seen-by-init",
                            volumeMounts=[mount("creds", "/creds"), mount("out", "/out")])],
            volumes=[{"name": "creds", "secret": {
                          "secretName": f"{pod_name}-creds", "defaultMode": 0o440,
                          "items": [{"key": "token", "path": "token", "mode": 0o400},
                                    {"key": "ca.pem", "path": "tls/ca.pem"}]}},
                     empty_dir("out")])))
    result = run_cli("up", "-d", "-f", path)
    assert result.code == 0, result.stderr
    mounts = exec_out(pod_name, "app", "cat", "/proc/mounts").splitlines()
    creds = [m for m in mounts if m.split()[1] == "/etc/creds"]
    assert len(creds) == 1 and creds[0].split()[2] == "tmpfs" and creds[0].split()[3].startswith("ro"), creds
    assert exec_out(pod_name, "app", "stat", "-c", "%a %u:%g %n", "/etc/creds/token", "/etc/creds/tls/ca.pem") == \
        "400 0:0 /etc/creds/token\n440 0:0 /etc/creds/tls/ca.pem"
    assert exec_out(pod_name, "app", "cat", "/etc/creds/token") == "s3cr3t-token"
    assert exec_out(pod_name, "app", "cat", "/token-only") == "s3cr3t-token"        # one file, staged from the tmpfs
    assert exec_out(pod_name, "app", "cat", "/out/seen-by-init") == "s3cr3t-token"   # filled before any container
    # the files live in the tmpfs the pause container holds: still there after the app restarts
    docker("restart", "-t", "1", f"{pod_name}_app")
    assert exec_out(pod_name, "app", "cat", "/etc/creds/tls/ca.pem") == "-----BEGIN-----"
    volume = json.loads(docker("volume", "inspect", f"{pod_name}_creds"))[0]
    assert volume["Options"] == {"type": "tmpfs", "device": "tmpfs"}
    assert run_cli("down", pod_name).code == 0
    assert labelled(pod_name) == ([], []) and staged_mounts(pod_name) == []


def test_memory_empty_dir_keeps_what_an_init_container_wrote(pod_name: str, manifest) -> None:
    path = manifest(pod(
        pod_name,
        container("app", volumeMounts=[mount("cache", "/cache")]),
        init=[container("warm", "echo warm > /cache/f", volumeMounts=[mount("cache", "/cache")])],
        volumes=[empty_dir("cache", medium="Memory")]))
    assert run_cli("up", "-d", "-f", path).code == 0
    assert exec_out(pod_name, "app", "cat", "/cache/f") == "warm"


def test_host_path_types_are_honoured(pod_name: str, manifest, tmp_path: Path) -> None:
    made_dir, made_file = tmp_path / "made" / "dir", tmp_path / "made-file"
    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "hello").write_text("from the host\n")
    odd = tmp_path / "a:b"
    odd.mkdir()
    (odd / "f").write_text("colon\n")
    path = manifest(pod(
        pod_name,
        container("app", volumeMounts=[mount("dir", "/dir"), mount("file", "/file"),
                                       mount("existing", "/existing", readOnly=True), mount("odd", "/odd:path"),
                                       mount("root", "/hostroot", readOnly=True)]),
        volumes=[{"name": "dir", "hostPath": {"path": str(made_dir), "type": "DirectoryOrCreate"}},
                 {"name": "file", "hostPath": {"path": str(made_file), "type": "FileOrCreate"}},
                 {"name": "existing", "hostPath": {"path": str(existing), "type": "Directory"}},
                 {"name": "odd", "hostPath": {"path": str(odd)}},
                 {"name": "root", "hostPath": {"path": "/", "type": "Directory"}}]))
    result = run_cli("up", "-d", "-f", path)
    assert result.code == 0, result.stderr
    assert made_dir.is_dir() and made_dir.stat().st_mode & 0o7777 == 0o755
    assert made_file.is_file() and made_file.stat().st_mode & 0o7777 == 0o644 and made_file.read_text() == ""
    assert exec_out(pod_name, "app", "cat", "/existing/hello") == "from the host"
    assert exec_out(pod_name, "app", "cat", "/odd:path/f") == "colon"
    assert exec_out(pod_name, "app", "head", "-1", "/hostroot/etc/os-release") == host_os_release()   # `/` is `/`
    exec_out(pod_name, "app", "sh", "-c", "echo written > /file")
    assert made_file.read_text() == "written\n"


@pytest.mark.parametrize("kind,make,message", [
    ("Directory", None, "does not exist on this machine (type Directory must exist)"),
    ("File", "dir", "is not a file"),
    ("Socket", "file", "is not a socket"),
    ("FileOrCreate", "missing-parent", "its directory {parent} does not exist (FileOrCreate makes the file, not its directory)"),
])
def test_host_path_of_the_wrong_kind_refuses_the_pod_with_nothing_made(pod_name: str, manifest, tmp_path: Path,
                                                                       kind: str, make: str | None,
                                                                       message: str) -> None:
    target = tmp_path / "target"
    if make == "dir":
        target.mkdir()
    elif make == "file":
        target.write_text("")
    elif make == "missing-parent":
        target = tmp_path / "no-such-dir" / "file"
    path = manifest(pod(
        pod_name,
        container("app", volumeMounts=[mount("h", "/h")]),
        volumes=[empty_dir("scratch"), {"name": "h", "hostPath": {"path": str(target), "type": kind}}]))
    result = run_cli("up", "-d", "-f", path)
    assert result.code == 1
    assert f"pod {pod_name}: volume h (hostPath {target}, type {kind}): {message.format(parent=target.parent)}" \
        in result.stderr
    assert labelled(pod_name) == ([], [])
    assert not (tmp_path / "no-such-dir").exists()

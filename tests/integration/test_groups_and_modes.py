"""supplementalGroupsPolicy and emptyDir.mode against the live daemon: what `id` and `stat` show inside the pod.

The agnhost look-alike's /etc/passwd has user-defined-in-image (1000, gid 1000) and its /etc/group lists that
user in group-defined-in-image (50000), as the real image has them.
"""
from __future__ import annotations

import pytest

from tests.helpers import BUSYBOX, exec_out, run_cli
from tests.manifests import container, empty_dir, mount, pod

pytestmark = pytest.mark.docker

AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.45"


@pytest.fixture(scope="module")
def agnhost(kit: dict[str, str]) -> str:
    from tests.kit.images import ensure_example_images

    ensure_example_images("agnhost")
    return AGNHOST


def up(path: str) -> None:
    result = run_cli("up", "-d", "-f", path)
    assert result.code == 0, result.stderr


def test_strict_gives_no_group_of_the_images_and_the_primary_gid_of_its_passwd(pod_name: str, manifest,
                                                                                 agnhost: str) -> None:
    up(manifest(pod(pod_name, container("app", image=agnhost),
                        securityContext={"runAsUser": 1000, "supplementalGroups": [4000],
                                         "supplementalGroupsPolicy": "Strict"})))
    # Docker's own merge (--user 1000) would add 50000 from the image's /etc/group
    assert exec_out(pod_name, "app", "id", "-u") == "1000"
    assert exec_out(pod_name, "app", "id", "-g") == "1000"
    assert exec_out(pod_name, "app", "id", "-G").split() == ["1000", "4000"]


def test_merge_adds_the_images_groups_with_and_without_run_as_group(pod_name: str, manifest, agnhost: str) -> None:
    up(manifest(pod(pod_name, container("image-gid", image=agnhost),
                        container("own-gid", image=agnhost, securityContext={"runAsGroup": 3000}),
                        securityContext={"runAsUser": 1000, "supplementalGroups": [4000], "fsGroup": 2000})))
    # no runAsGroup: the primary gid is the one the image's /etc/passwd gives uid 1000
    assert exec_out(pod_name, "image-gid", "id", "-g") == "1000"
    assert sorted(exec_out(pod_name, "image-gid", "id", "-G").split()) == ["1000", "2000", "4000", "50000"]
    # runAsGroup: Docker alone (--user 1000:3000) would drop the image's group 50000
    assert exec_out(pod_name, "own-gid", "id", "-g") == "3000"
    assert sorted(exec_out(pod_name, "own-gid", "id", "-G").split()) == ["2000", "3000", "4000", "50000"]


def test_an_empty_dirs_mode_is_what_the_container_sees(pod_name: str, manifest) -> None:
    up(manifest(pod(
        pod_name,
        container("app", volumeMounts=[mount(name, "/" + name) for name in
                                       ("disk-750", "disk-1777", "memory-700", "memory-1770", "default")]),
        volumes=[empty_dir("disk-750", mode=0o750), empty_dir("disk-1777", mode=0o1777),
                 empty_dir("memory-700", medium="Memory", mode=0o700),
                 empty_dir("memory-1770", medium="Memory", mode=0o1770), empty_dir("default")])))
    shown = exec_out(pod_name, "app", "stat", "-c", "%n %a", "/disk-750", "/disk-1777", "/memory-700",
                     "/memory-1770", "/default")
    assert shown.splitlines() == ["/disk-750 750", "/disk-1777 1777", "/memory-700 700", "/memory-1770 1770",
                                  "/default 777"]


def test_fs_group_adds_its_bits_over_an_empty_dirs_mode(pod_name: str, manifest) -> None:
    up(manifest(pod(
        pod_name,
        container("app", volumeMounts=[mount("disk", "/disk"), mount("memory", "/memory")]),
        securityContext={"fsGroup": 2000},
        volumes=[empty_dir("disk", mode=0o700), empty_dir("memory", medium="Memory", mode=0o1700)])))
    shown = exec_out(pod_name, "app", "stat", "-c", "%n %a %g", "/disk", "/memory")
    assert shown.splitlines() == ["/disk 2770 2000", "/memory 3770 2000"]


def test_an_empty_dir_mode_with_setgid_is_refused_with_its_place(pod_name: str, manifest) -> None:
    path = manifest(f"""
apiVersion: v1
kind: Pod
metadata: {{name: {pod_name}}}
spec:
  containers:
  - {{name: app, image: {BUSYBOX}}}
  volumes:
  - {{name: data, emptyDir: {{mode: 02777}}}}
""")
    result = run_cli("up", "-d", "-f", path)
    assert result.code != 0
    assert f"{path}:9:" in result.stderr and "spec.volumes[0].emptyDir.mode: 1535 (octal 2777) is not an " \
        "emptyDir mode" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr

"""Pod-level resources (spec.resources) and image volumes: the pure parts. No daemon."""
from __future__ import annotations

from decimal import Decimal
from textwrap import dedent, indent

import pytest

from podcompose import kubelet
from podcompose.errors import ManifestError
from podcompose.load import load_text
from podcompose.pods import pods_from_documents
from podcompose.plan import EnsureImage, PlanOptions, plan_up
from podcompose.runtime import cgroups
from podcompose.translate import container_create_args, image_volume_args, pause_create_args, staged_mounts
from podcompose.validate import validate

HEAD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
spec:
"""


def pod_text(body: str) -> str:
    return HEAD + indent(dedent(body), "  ")


def errors(text: str) -> list[str]:
    return [str(p) for p in validate(load_text(text, "pod.yaml")) if p.severity == "error"]


def build(text: str):
    assert errors(text) == []
    return pods_from_documents(load_text(text, "pod.yaml"))[0]


LIMITED = pod_text("""\
  resources:
    limits: {memory: 64Mi, cpu: 500m}
  containers:
  - {name: app, image: busybox:1.36}
  - name: side
    image: busybox:1.36
    resources: {limits: {memory: 32Mi, cpu: 250m}}
""")


# --- QoS and defaulting --------------------------------------------------------------------

def test_qos_comes_from_the_pod_level_resources() -> None:
    assert build(LIMITED).qos_class == "Burstable"      # requests default to the containers' 32Mi / 250m
    only_limits = pod_text("""\
      resources: {limits: {memory: 64Mi, cpu: 500m}}
      containers: [{name: app, image: busybox:1.36}]
    """)
    assert build(only_limits).qos_class == "Guaranteed"   # no container requests: requests = limits
    memory_only = pod_text("""\
      resources: {limits: {memory: 64Mi}}
      containers: [{name: app, image: busybox:1.36, resources: {limits: {cpu: 100m, memory: 10Mi}}}]
    """)
    assert build(memory_only).qos_class == "Burstable"    # no cpu limit at pod level
    requests_only = pod_text("""\
      resources: {requests: {memory: 64Mi}}
      containers: [{name: app, image: busybox:1.36}]
    """)
    assert build(requests_only).qos_class == "Burstable"  # a BestEffort pod by its containers


def test_pod_requests_default_to_the_containers_or_to_the_pod_limits() -> None:
    pod = build(LIMITED)
    assert pod.resources is not None
    assert (pod.resources.memory_request_bytes, pod.resources.cpu_request_milli) == (32 * 2**20, 250)
    assert (pod.resources.memory_limit_bytes, pod.resources.cpu_limit_milli) == (64 * 2**20, 500)
    assert build(pod_text("""\
      resources: {limits: {memory: 64Mi}}
      containers: [{name: app, image: busybox:1.36}]
    """)).resources.memory_request_bytes == 64 * 2**20


def test_aggregate_requests_follow_the_sidecar_formula() -> None:
    init = [(True, {"memory": "10"}), (False, {"memory": "100"}), (True, {"memory": "5"})]
    # regular 20 + sidecars 15 = 35; the init container needs 100 + the 10 of the sidecar before it
    assert kubelet.aggregate_container_requests(init, [{"memory": "20"}]) == {"memory": Decimal(110)}
    assert kubelet.aggregate_container_requests([(False, {"cpu": "1"})], [{"cpu": "2"}]) == {"cpu": Decimal(2)}


def test_a_pod_without_cpu_or_memory_resources_has_no_pod_cgroup() -> None:
    pod = build(pod_text("containers: [{name: app, image: busybox:1.36}]\n"))
    assert pod.resources is None
    assert "cgroup_parent" not in pause_create_args(pod, "pause", "h")


# --- validation, located ----------------------------------------------------------------------

def test_pod_request_below_the_containers_aggregate_is_refused() -> None:
    assert errors(pod_text("""\
      resources: {requests: {memory: 16Mi}}
      containers: [{name: app, image: busybox:1.36, resources: {requests: {memory: 32Mi}}}]
    """)) == ["pod.yaml:6:34: spec.resources.requests.memory: 16Mi must be at least the containers' "
              "aggregate request of memory, 33554432"]


def test_defaulted_pod_request_above_the_pod_limit_is_refused() -> None:
    assert errors(pod_text("""\
      resources: {limits: {memory: 16Mi}}
      containers: [{name: app, image: busybox:1.36, resources: {requests: {memory: 32Mi}}}]
    """)) == ["pod.yaml:6:32: spec.resources.limits.memory: the pod's request of memory defaults to the "
              "containers' aggregate request, 33554432, which is more than this limit"]


def test_a_container_limit_above_the_pod_limit_is_refused() -> None:
    problems = errors(pod_text("""\
      resources: {limits: {cpu: 500m}}
      containers: [{name: app, image: busybox:1.36, resources: {limits: {cpu: "1"}, requests: {cpu: 100m}}}]
    """))
    assert problems == ["pod.yaml:7:75: spec.containers[0].resources.limits.cpu: 1 is more than the pod's limit "
                        "500m (spec.resources.limits.cpu)"]


def test_only_cpu_memory_and_a_pids_limit_at_pod_level() -> None:
    assert errors(pod_text("""\
      resources: {limits: {ephemeral-storage: 1Gi, pids: 200}, requests: {pids: 10}}
      containers: [{name: app, image: busybox:1.36}]
    """)) == ["pod.yaml:6:24: spec.resources.limits.ephemeral-storage: 'ephemeral-storage' cannot be set at pod "
              "level: pod-level limits are cpu, memory, pids",
              "pod.yaml:6:71: spec.resources.requests.pids: 'pids' cannot be set at pod level: pod-level requests "
              "are cpu, memory"]


def test_a_pod_pids_limit_is_a_whole_number_from_128_to_16384() -> None:
    for value, ok in (("128", True), ("16384", True), ("127", False), ("16385", False), ("200.5", False)):
        found = errors(pod_text(f"""\
      resources: {{limits: {{pids: "{value}"}}}}
      containers: [{{name: app, image: busybox:1.36}}]
    """))
        assert (found == []) is ok, (value, found)
        if not ok:
            assert "spec.resources.limits.pids" in found[0] and "a whole number from 128 to 16384" in found[0]


def test_pod_level_hugepages_are_refused_by_the_model() -> None:
    text = pod_text("""\
      resources: {limits: {hugepages-2Mi: 4Mi, memory: 64Mi}}
      containers: [{name: app, image: busybox:1.36}]
    """)
    with pytest.raises(ManifestError) as caught:
        pods_from_documents(load_text(text, "pod.yaml"))
    assert "spec.resources.limits.hugepages-2Mi: hugepages-2Mi cannot be given" in str(caught.value.problems[0])


# --- Docker arguments and cgroup values ---------------------------------------------------------------

def test_every_container_of_the_pod_is_under_the_pod_cgroup() -> None:
    pod = build(LIMITED)
    assert pause_create_args(pod, "pause", "h")["cgroup_parent"] == "/podcompose/default_web"
    app, side = (container_create_args(pod, c, "h") for c in pod.containers)
    assert app["cgroup_parent"] == side["cgroup_parent"] == "/podcompose/default_web"
    # no limit of its own: the pod's (the kubelet's getMemoryLimit/getCPULimit); shares from its own request
    assert (app["mem_limit"], app["cpu_quota"], app["cpu_shares"]) == (64 * 2**20, 50000, 2)
    assert (side["mem_limit"], side["cpu_quota"], side["cpu_shares"]) == (32 * 2**20, 25000, 256)


def test_pod_cgroup_values_for_v1_and_v2() -> None:
    config = cgroups.values(build(LIMITED))
    assert cgroups.settings_v1(config) == [
        ("cpu", "cpu.shares", "256"), ("cpu", "cpu.cfs_period_us", "100000"), ("cpu", "cpu.cfs_quota_us", "50000"),
        ("memory", "memory.limit_in_bytes", str(64 * 2**20)), ("pids", "pids.max", "max")]
    assert cgroups.settings_v2(config) == [("cpu.weight", "10"), ("cpu.max", "50000 100000"),
                                           ("memory.max", str(64 * 2**20)), ("pids.max", "max")]
    unlimited = cgroups.values(build(pod_text("""\
      resources: {requests: {cpu: 100m}, limits: {pids: 150}}
      containers: [{name: app, image: busybox:1.36}]
    """)))
    assert cgroups.settings_v1(unlimited)[2:] == [("cpu", "cpu.cfs_quota_us", "-1"),
                                                  ("memory", "memory.limit_in_bytes", "-1"), ("pids", "pids.max", "150")]
    assert kubelet.cpu_shares_to_weight(2) == 1 and kubelet.cpu_shares_to_weight(262144) == 10000


# --- image volumes --------------------------------------------------------------------------------------

IMAGE_POD = pod_text("""\
  containers:
  - name: app
    image: busybox:1.36
    volumeMounts:
    - {name: tools, mountPath: /img}
    - {name: tools, mountPath: /bin2, subPath: bin}
  volumes:
  - name: tools
    image: {reference: "example.com/tools:latest"}
""")


def test_image_volume_pull_policy_defaults_as_a_containers_and_the_plan_ensures_it() -> None:
    pod = build(IMAGE_POD)
    volume = pod.volumes[0]
    assert (volume.kind, volume.image_reference, volume.image_pull_policy) == ("image", "example.com/tools:latest",
                                                                               "Always")
    steps = plan_up(pod, None, PlanOptions(pause_image="pause:1")).steps
    assert EnsureImage("example.com/tools:latest", "Always") in steps
    never = plan_up(pod, None, PlanOptions(pause_image="pause:1", pull="never")).steps
    assert EnsureImage("example.com/tools:latest", "Never") in never


def test_image_volume_needs_a_reference_and_a_known_pull_policy() -> None:
    assert errors(pod_text("""\
      containers: [{name: app, image: busybox:1.36}]
      volumes:
      - {name: tools, image: {pullPolicy: Sometimes}}
    """)) == ["pod.yaml:8:26: spec.volumes[0].image.reference: required field is missing: the image whose file "
              "system the volume is",
              "pod.yaml:8:39: spec.volumes[0].image.pullPolicy: 'Sometimes' is not a pull policy: use one of "
              "Always, Never, IfNotPresent"]


def test_image_mount_on_engines_that_have_one() -> None:
    pod = build(IMAGE_POD)
    args = container_create_args(pod, pod.containers[0], "h", volume_subpath=True, image_mounts=True)
    assert args["mounts"] == [
        {"Type": "image", "Source": "example.com/tools:latest", "Target": "/img", "ReadOnly": True},
        {"Type": "image", "Source": "example.com/tools:latest", "Target": "/bin2", "ReadOnly": True,
         "ImageOptions": {"Subpath": "bin"}}]
    assert staged_mounts(pod, pod.containers[0], True, True) == []


def test_copied_image_volume_is_a_read_only_noexec_view() -> None:
    pod = build(IMAGE_POD)
    rootfs, view = image_volume_args(pod, pod.volumes[0], "h", "/var/lib/docker/volumes/web_tools.rootfs/_data")
    assert rootfs["name"] == "web_tools.rootfs" and rootfs["labels"]["io.podcompose.pod"] == "web"
    assert view["name"] == "web_tools"
    assert view["driver_opts"] == {"type": "none", "device": "/var/lib/docker/volumes/web_tools.rootfs/_data",
                                   "o": "bind,ro,noexec"}
    args = container_create_args(pod, pod.containers[0], "h", {1: "/staged/1"})
    # no ReadOnly remount (it would drop noexec): the sources are read-only and noexec themselves
    assert args["mounts"][0] == {"Type": "volume", "Source": "web_tools", "Target": "/img", "ReadOnly": False,
                                 "VolumeOptions": {"NoCopy": True}}
    assert args["mounts"][1] == {"Type": "bind", "Source": "/staged/1", "Target": "/bin2", "ReadOnly": False}
    assert [(i, s) for i, _, s in staged_mounts(pod, pod.containers[0])] == [(1, "bin")]

"""The pure layers: model defaults, plan order, Docker arguments. No daemon."""
from __future__ import annotations

import textwrap

import pytest

from podcompose.expand import expand
from podcompose.load import load_text
from podcompose.model import default_pull_policy, override_image
from podcompose.pods import pods_from_documents
from podcompose.plan import EnsureImage, PlanOptions, RemovePod, pod_hash, plan_up
from podcompose.state import ObservedContainer, ObservedPod
from podcompose.translate import volume_archive, container_create_args, pause_create_args, volume_create_args

MANIFEST = textwrap.dedent("""
    apiVersion: v1
    kind: Pod
    metadata: {name: web}
    spec:
      terminationGracePeriodSeconds: 5
      initContainers:
      - {name: fetch, image: busybox:1.36, command: [cp, /a, /work/]}
      - {name: proxy, image: envoy, restartPolicy: Always}
      containers:
      - name: app
        image: nginx
        args: ["-g", "$(MODE)"]
        env: [{name: MODE, value: "daemon off;"}]
        ports: [{containerPort: 80, hostPort: 8080, hostIP: 127.0.0.1}]
        volumeMounts:
        - {name: work, mountPath: /usr/share/nginx/html, readOnly: true}
        - {name: work, mountPath: /conf, subPath: conf}
        resources: {limits: {cpu: 500m, memory: 64Mi}}
        securityContext: {runAsUser: 1000, runAsGroup: 3000}
      volumes:
      - {name: work, emptyDir: {}}
      - {name: cache, emptyDir: {medium: Memory, sizeLimit: 1Mi}}
""")


def pod(text: str = MANIFEST, **kwargs):
    return pods_from_documents(load_text(text, "m.yaml"), **kwargs)[0]


def test_model_applies_kubernetes_defaults() -> None:
    p = pod()
    assert p.hostname == "web" and p.namespace == "default" and p.restart_policy == "Always"
    assert [c.role for c in p.all_containers] == ["init", "sidecar", "app"]
    assert p.container("app").image_pull_policy == "Always"          # untagged
    assert p.container("fetch").image_pull_policy == "IfNotPresent"  # tagged
    assert p.container("app").args == ("-g", "daemon off;")
    assert p.container("app").command is None
    assert p.termination_grace_seconds == 5


@pytest.mark.parametrize("image,policy", [("nginx", "Always"), ("nginx:latest", "Always"),
                                          ("nginx:1.25", "IfNotPresent"), ("localhost:5000/x", "Always"),
                                          ("localhost:5000/x:2", "IfNotPresent"), ("x@sha256:ab", "IfNotPresent")])
def test_default_pull_policy(image: str, policy: str) -> None:
    assert default_pull_policy(image) == policy


def test_image_override_exact_and_by_name() -> None:
    assert override_image("busybox", {"busybox": "local/bb:1"}) == "local/bb:1"
    assert override_image("busybox:1.28", {"busybox": "local/bb:1"}) == "local/bb:1"
    assert override_image("nginx:1", {"busybox": "local/bb:1"}) == "nginx:1"
    p = pod(image_overrides={"nginx": "local/nginx:1"})
    assert p.container("app").image == "local/nginx:1"
    assert p.container("app").image_pull_policy == "IfNotPresent"   # defaulted from the image that runs


def test_expand_follows_kubelet_rules() -> None:
    env = {"A": "1", "B": "two"}
    assert expand("$(A)-$(B)", env) == "1-two"
    assert expand("$$(A)", env) == "$(A)"
    assert expand("$(MISSING) $(A", env) == "$(MISSING) $(A"
    assert expand("cost $5", env) == "cost $5"


def test_plan_orders_images_volumes_pause_init_sidecar_app() -> None:
    plan = plan_up(pod(), None, PlanOptions(pause_image="pause:1"))
    kinds = [s.action for s in plan.steps]
    assert kinds == ["EnsureImage"] * 4 + ["CreateVolume", "CreateVolume", "RunPause", "RunInit",
                                            "StartContainer", "StartContainer"]
    assert [s.image for s in plan.steps if isinstance(s, EnsureImage)] == ["pause:1", "busybox:1.36", "envoy", "nginx"]
    assert [s.container.name for s in plan.starts] == ["fetch", "proxy", "app"]


def test_plan_pull_override() -> None:
    plan = plan_up(pod(), None, PlanOptions(pull="never"))
    assert {s.policy for s in plan.steps if isinstance(s, EnsureImage)} == {"Never"}


def observed_for(p, spec_hash: str, running: bool = True) -> ObservedPod:
    containers = [ObservedContainer("id0", "web_POD", "POD", "pause", "running" if running else "exited",
                                    None, "pause:1", spec_hash)]
    containers += [ObservedContainer(f"id{i}", f"web_{c.name}", c.name, c.role, "running", None, c.image, spec_hash)
                   for i, c in enumerate(p.all_containers, 1)]
    return ObservedPod("default", "web", tuple(containers))


def test_unchanged_pod_plans_nothing_and_a_changed_one_is_replaced_after_pulls() -> None:
    p = pod()
    options = PlanOptions(pause_image="pause:1")
    same = plan_up(p, observed_for(p, pod_hash(p, options)), options)
    assert same.up_to_date and same.steps == ()
    changed = plan_up(p, observed_for(p, "old-hash"), options)
    kinds = [type(s) for s in changed.steps]
    assert RemovePod in kinds
    assert kinds.index(RemovePod) > max(i for i, k in enumerate(kinds) if k is EnsureImage)
    dead_pause = plan_up(p, observed_for(p, pod_hash(p, options), running=False), options)
    assert not dead_pause.up_to_date
    forced = plan_up(p, observed_for(p, pod_hash(p, options)), PlanOptions(pause_image="pause:1", replace=True))
    assert any(isinstance(s, RemovePod) and s.reason == "--replace" for s in forced.steps)


def test_pause_args_own_hostname_ports_and_shareable_ipc() -> None:
    args = pause_create_args(pod(), "pause:1", "h")
    assert args["name"] == "web_POD" and args["hostname"] == "web" and args["ipc_mode"] == "shareable"
    assert args["ports"] == {"80/tcp": [("127.0.0.1", 8080)]}
    assert args["labels"]["io.podcompose.role"] == "pause"


def test_container_args_join_the_pause_container() -> None:
    p = pod()
    app = container_create_args(p, p.container("app"), "h", {1: "/run/podcompose/subpath/default/web/app/1"})
    assert app["network_mode"] == "container:web_POD" and app["ipc_mode"] == "container:web_POD"
    assert "ports" not in app and "hostname" not in app
    assert app["entrypoint"] is None and app["command"] == ["-g", "daemon off;"]
    assert app["environment"] == {"MODE": "daemon off;"}
    assert app["mounts"] == [{"Type": "volume", "Source": "web_work", "Target": "/usr/share/nginx/html",
                              "ReadOnly": True, "VolumeOptions": {"NoCopy": True}},
                             # the subPath: its staging path (opened without following links), never a bind string
                             {"Type": "bind", "Source": "/run/podcompose/subpath/default/web/app/1", "Target": "/conf",
                              "ReadOnly": False}]
    assert "volumes" not in app
    assert (app["cpu_period"], app["cpu_quota"], app["cpu_shares"]) == (100000, 50000, 512)   # kubelet CFS
    assert "nano_cpus" not in app and app["mem_limit"] == 64 * 1024 * 1024
    assert app["user"] == "1000:3000"
    assert "restart_policy" not in app      # the node agent owns restarts, never Docker
    init = container_create_args(p, p.container("fetch"), "h")
    assert init["entrypoint"] == ["cp", "/a", "/work/"] and init["command"] is None
    assert "restart_policy" not in init
    assert container_create_args(p, p.container("proxy"), "h")["labels"]["io.podcompose.role"] == "sidecar"


def test_memory_empty_dir_is_a_shared_tmpfs_volume() -> None:
    p = pod()
    cache = next(v for v in p.volumes if v.name == "cache")
    args = volume_create_args(p, cache, "h")
    assert args["name"] == "web_cache"
    assert args["driver_opts"] == {"type": "tmpfs", "device": "tmpfs", "o": f"size={1024 * 1024}"}


def test_namespace_goes_into_names() -> None:
    p = pod(namespace="dev")
    assert pause_create_args(p, "pause:1", "h")["name"] == "dev_web_POD"
    assert container_create_args(p, p.container("app"), "h")["network_mode"] == "container:dev_web_POD"


def test_config_map_archive_holds_files_with_modes() -> None:
    import io
    import tarfile

    text = MANIFEST.replace("  volumes:\n", "  volumes:\n  - {name: conf, configMap: {name: c, items: [{key: k, path: d/f, mode: 0600}]}}\n") \
        + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {k: v}\n"
    p = pod(text)
    conf = next(v for v in p.volumes if v.name == "conf")
    with tarfile.open(fileobj=io.BytesIO(volume_archive(conf))) as tar:
        member = tar.getmember("data/d/f")
        assert member.mode == 0o600 and tar.extractfile(member).read() == b"v"
        assert tar.getmember("data/d").isdir()
    work = next(v for v in p.volumes if v.name == "work")
    with tarfile.open(fileobj=io.BytesIO(volume_archive(work))) as tar:
        assert [(m.name, m.mode) for m in tar.getmembers()] == [("data", 0o777)]
    assert volume_archive(next(v for v in p.volumes if v.name == "cache")) is None


def test_missing_config_map_is_an_error_at_its_line() -> None:
    from podcompose.errors import ManifestError

    text = MANIFEST.replace("env: [{name: MODE, value: \"daemon off;\"}]",
                            "env: [{name: MODE, valueFrom: {configMapKeyRef: {name: nope, key: k}}}]")
    with pytest.raises(ManifestError) as caught:
        pod(text)
    problem = caught.value.problems[0]
    assert "ConfigMap 'nope' is not defined" in problem.message
    assert problem.location.line == 14


def test_default_host_ip_applies_only_where_the_manifest_names_none() -> None:
    text = MANIFEST.replace("ports: [{containerPort: 80, hostPort: 8080, hostIP: 127.0.0.1}]",
                            "ports: [{containerPort: 80, hostPort: 8080, hostIP: 127.0.0.1}, {containerPort: 81, hostPort: 8081}]")
    p = pod(text)
    assert pause_create_args(p, "pause:1", "h")["ports"] == {"80/tcp": [("127.0.0.1", 8080)], "81/tcp": [8081]}
    assert pause_create_args(p, "pause:1", "h", "127.0.0.2")["ports"] == {
        "80/tcp": [("127.0.0.1", 8080)], "81/tcp": [("127.0.0.2", 8081)]}
    assert pod_hash(p, PlanOptions()) != pod_hash(p, PlanOptions(default_host_ip="127.0.0.1"))


def test_secret_values_never_reach_config_or_dry_run_output() -> None:
    from podcompose.cli.render import pods_config
    from podcompose.cli.render_plan import plan_as_data

    text = MANIFEST.replace('env: [{name: MODE, value: "daemon off;"}]',
                            'env: [{name: MODE, value: "daemon off;"}, {name: TOKEN, valueFrom: {secretKeyRef: {name: s, key: t}}},'
                            ' {name: HEADER, value: "Bearer $(TOKEN)"}]') \
        + "---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {t: hunter2-very-secret}\n"
    p = pod(text)
    assert dict(p.container("app").env)["HEADER"] == "Bearer hunter2-very-secret"
    shown = repr(pods_config([p])) + repr(plan_as_data([plan_up(p, None)]))
    assert "hunter2" not in shown
    assert "'HEADER': '<redacted>'" in shown        # by origin: the whole value that expanded a secret

"""Issue 16's pure rules: default-mode Pod Security warnings per field, procMount Unmasked (refused without
hostUsers: false, made with HostConfig's own fields), NUL in a container's texts, binary data byte for byte."""
from __future__ import annotations

import base64
import io
import tarfile
import textwrap

import pytest

from podcompose import downward, podsecurity, rules
from podcompose.load import load_text
from podcompose.model import _hashed
from podcompose.pods import pods_from_documents
from podcompose.podsecurity_warnings import runtime_socket
from podcompose.translate import container_create_args, volume_archive
from podcompose.validate import validate

BINARY = b"a\x00b\xffc\x00\xfed"


def manifest(spec: str, extra: str = "") -> str:
    return extra + "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n" + textwrap.indent(
        textwrap.dedent(spec), "  ")


def warnings(spec: str, host_ip: str | None = "") -> list:
    documents = load_text(manifest(spec), "pod.yaml")
    return [p for p in podsecurity.check(documents, None, host_ip) if p.severity == "warning"]


# --- default-mode warnings, one per field ---------------------------------------------------

@pytest.mark.parametrize("spec, path, line, words", [
    ("hostUsers: false\ncontainers:\n- name: a\n  image: busybox\n  securityContext: {procMount: Unmasked}\n",
     "spec.containers[0].securityContext.procMount", 9, "procMount 'Unmasked': its /proc is neither masked"),
    ("containers:\n- name: a\n  image: busybox\n  securityContext: {appArmorProfile: {type: Unconfined}}\n",
     "spec.containers[0].securityContext.appArmorProfile.type", 8, "runs without AppArmor confinement"),
    ("containers:\n- name: a\n  image: busybox\n  securityContext: {seLinuxOptions: {type: spc_t}}\n",
     "spec.containers[0].securityContext.seLinuxOptions.type", 8, "the SELinux type 'spc_t'"),
    ("securityContext: {seccompProfile: {type: Unconfined}}\ncontainers: [{name: a, image: busybox}]\n",
     "spec.securityContext.seccompProfile.type", 5, "the pod runs without a seccomp filter"),
    ("containers:\n- name: a\n  image: busybox\n  ports: [{containerPort: 80, hostPort: 8080}]\n",
     "spec.containers[0].ports[0].hostPort", 8, "hostPort 8080/TCP on every address of the host (it binds 0.0.0.0"),
    ("volumes: [{name: s, hostPath: {path: /var/run/docker.sock}}]\ncontainers: [{name: a, image: busybox}]\n",
     "spec.volumes[0].hostPath.path", 5, "the socket of the Docker Engine: it gives the pod control of the "
                                          "host's container runtime"),
])
def test_each_baseline_field_is_warned_about_at_its_line(spec: str, path: str, line: int, words: str) -> None:
    found = [p for p in warnings(spec) if p.path == path]
    assert len(found) == 1, warnings(spec)
    assert found[0].location.file == "pod.yaml" and found[0].location.line == line
    assert words in found[0].message and "--pod-security=baseline" in found[0].message
    documents = load_text(manifest(spec), "pod.yaml")
    assert not [p for p in podsecurity.check(documents, "privileged") if p.path == path]
    assert [p.severity for p in podsecurity.check(documents, "baseline") if p.path.startswith(path)] in (
        ["error"], [])   # the socket's path: the hostPath rule refuses the volume itself


def test_compliant_values_are_not_warned_about() -> None:
    found = warnings("""
        securityContext: {seccompProfile: {type: RuntimeDefault}, appArmorProfile: {type: RuntimeDefault}}
        volumes: [{name: e, hostPath: {path: /etc/hosts}}]
        containers:
        - name: a
          image: busybox
          securityContext: {procMount: Default, seLinuxOptions: {type: container_t}}
    """)
    assert [p.path for p in found] == ["spec.volumes[0].hostPath"]    # only the host-access summary
    assert "is given access to the host" in found[0].message and "socket" not in found[0].message


@pytest.mark.parametrize("path, runtime", [
    ("/var/run/docker.sock", "the Docker Engine"), ("/run/docker.sock", "the Docker Engine"),
    ("/run/containerd/containerd.sock", "containerd"), ("/var/run/crio/crio.sock", "CRI-O"),
    ("/srv/my/podman.sock", "Podman"), ("/var/run", "the Docker Engine"), ("/run/containerd", "containerd"),
    ("/", "the Docker Engine"), ("/etc", None), ("/var/lib/data", None), ("/run/user", None)])
def test_runtime_sockets_are_named(path: str, runtime: str | None) -> None:
    found = runtime_socket(path)
    assert (found[0] if found else None) == runtime


def test_a_host_port_on_a_chosen_address_is_not_warned_about(monkeypatch) -> None:
    spec = "containers:\n- name: a\n  image: busybox\n  ports: [{containerPort: 80, hostPort: 8080}]\n"
    assert any("0.0.0.0" in p.message for p in warnings(spec))
    assert not any("0.0.0.0" in p.message for p in warnings(spec, "127.0.0.1"))            # up --host-ip
    with_ip = spec.replace("hostPort: 8080", "hostPort: 8080, hostIP: 127.0.0.1")
    assert not any("0.0.0.0" in p.message for p in warnings(with_ip))
    monkeypatch.setenv("PODCOMPOSE_HOST_IP", "127.0.0.1")
    assert not any("0.0.0.0" in p.message for p in warnings(spec, None))                   # the environment
    monkeypatch.delenv("PODCOMPOSE_HOST_IP")
    assert any("0.0.0.0" in p.message for p in warnings(spec, None))


def test_validate_config_and_up_show_the_warnings_with_file_and_line(tmp_path, capsys, monkeypatch) -> None:
    from podcompose.cli import main

    monkeypatch.delenv(podsecurity.ENV, raising=False)
    monkeypatch.delenv("PODCOMPOSE_HOST_IP", raising=False)
    path = tmp_path / "pod.yaml"
    path.write_text(manifest("containers:\n- name: a\n  image: busybox\n"
                             "  securityContext: {seccompProfile: {type: Unconfined}}\n"
                             "  ports: [{containerPort: 80, hostPort: 8080}]\n"))
    for argv in (["validate", "-f", str(path)], ["config", "-f", str(path)], ["up", "--dry-run", "-f", str(path)]):
        assert main(argv) == 0, argv
        out = capsys.readouterr()
        assert f"{path}:8:" in out.out + out.err and "without a seccomp filter" in out.out + out.err, argv
        assert f"{path}:9:" in out.out + out.err and "binds 0.0.0.0" in out.out + out.err, argv
    assert main(["up", "--dry-run", "--host-ip", "127.0.0.1", "-f", str(path)]) == 0
    assert "0.0.0.0" not in capsys.readouterr().err


# --- procMount Unmasked -----------------------------------------------------------------------

def test_unmasked_proc_needs_host_users_false() -> None:
    assert rules.proc_mount_error("Unmasked", True) == "`hostUsers` must be false to use `Unmasked`"
    assert rules.proc_mount_error("Unmasked", None) is not None
    assert rules.proc_mount_error("Unmasked", False) is None
    assert rules.proc_mount_error("Default", True) is None
    text = manifest("containers:\n- name: a\n  image: busybox\n  securityContext: {procMount: Unmasked}\n")
    found = [p for p in validate(load_text(text, "pod.yaml")) if p.severity == "error"]
    assert [(p.path, p.location.line) for p in found] == [("spec.containers[0].securityContext.procMount", 8)]
    assert not [p for p in validate(load_text(text.replace("spec:\n", "spec:\n  hostUsers: false\n"), "pod.yaml"))
                if p.severity == "error"]


def test_unmasked_proc_is_host_config_fields_moved_in_at_create() -> None:
    from podcompose.runtime.builder import create_container

    pod = pods_from_documents(load_text(manifest(
        "hostUsers: false\ncontainers:\n- name: a\n  image: busybox\n  securityContext: {procMount: Unmasked}\n"),
        "pod.yaml"))[0]
    args = container_create_args(pod, pod.containers[0], "h")
    assert (args["masked_paths"], args["readonly_paths"]) == ([], [])
    assert not any("systempaths" in o for o in args.get("security_opt", []))

    class API:
        api_version = "1.41"
        sent: dict = {}

        def create_container(self, **kwargs):
            API.sent = kwargs
            return {"Id": "c1"}

    class Client:
        api = API()

    assert create_container(Client(), args) == "c1"
    assert API.sent["host_config"]["MaskedPaths"] == [] and API.sent["host_config"]["ReadonlyPaths"] == []
    plain = pods_from_documents(load_text(manifest("containers: [{name: a, image: busybox}]\n"), "pod.yaml"))[0]
    create_container(Client(), container_create_args(plain, plain.containers[0], "h"))
    assert "MaskedPaths" not in API.sent["host_config"]           # unset: the Engine's defaults


# --- NUL in env values, command and args ------------------------------------------------------

def test_nul_is_refused_in_env_values_command_and_args_at_each_field() -> None:
    text = manifest("""
        containers:
        - name: a
          image: busybox
          command: ["sh", "-c\\0x"]
          args: ["ok", "\\0envfile:[x]\\0"]
          env: [{name: X, value: "a\\0b"}, {name: Y, value: ok}]
    """)
    found = [(p.path, p.location.line) for p in validate(load_text(text, "pod.yaml")) if "NUL" in p.message]
    assert found == [("spec.containers[0].command[1]", 9), ("spec.containers[0].args[1]", 10),
                     ("spec.containers[0].env[0].value", 11)]
    assert rules.text_nul_error("plain") is None


# --- binary data byte for byte -----------------------------------------------------------------

def _files(volume) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(volume_archive(volume, root="v"))) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}


def test_binary_config_map_and_secret_data_stay_byte_for_byte() -> None:
    encoded = base64.b64encode(BINARY).decode()
    objects = (f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm}}\nbinaryData: {{blob: {encoded}}}\n---\n"
               f"apiVersion: v1\nkind: Secret\nmetadata: {{name: s}}\ndata: {{blob: {encoded}}}\n---\n")
    pod = pods_from_documents(load_text(manifest("""
        volumes:
        - {name: cm, configMap: {name: cm}}
        - {name: sec, secret: {secretName: s}}
        - name: both
          projected:
            sources:
            - configMap: {name: cm, items: [{key: blob, path: cm}]}
            - downwardAPI: {items: [{path: uid, fieldRef: {fieldPath: metadata.uid}},
                                    {path: labels, fieldRef: {fieldPath: metadata.labels}}]}
        containers: [{name: a, image: busybox}]
    """, objects), "pod.yaml"))[0]
    cm, sec, both = pod.volumes
    assert (cm.runtime_paths, sec.runtime_paths, both.runtime_paths) == ((), (), ("uid",))
    values = downward.RuntimeValues(uid="u-1", pod_ips=(), host_ip="10.0.0.1", node_cpu=1, node_memory=1,
                                    node_storage=1)
    for volume in (cm, sec, both):
        assert downward.needs_values(volume.files, volume.runtime_paths) is (volume is both)
        resolved = dict((p, c) for p, c, _ in downward.resolve_files(volume.files, volume.runtime_paths, values))
        assert resolved.get("blob", resolved.get("cm")) == BINARY
        assert _files(type(volume)(**{**volume.__dict__, "files": tuple(
            (p, c, m) for p, c, m in downward.resolve_files(volume.files, volume.runtime_paths, values))})) \
            .get("v/blob", BINARY) == BINARY
    assert dict((p, c) for p, c, _ in downward.resolve_files(both.files, both.runtime_paths, values))["uid"] == b"u-1"
    assert "runtime_paths" not in _hashed(both)       # derived from the spec: a running pod keeps its hash


def test_nul_is_refused_in_config_map_and_secret_values_that_become_env_variables() -> None:
    objects = ('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\ndata: {x: "\\0envfile:[v]\\0", ok: fine}\n'
               '---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {x: "sec\\0ret"}\n---\n')
    text = manifest("""
        volumes: [{name: c, configMap: {name: cm}}]
        containers:
        - name: a
          image: busybox
          envFrom: [{configMapRef: {name: cm}}]
          env:
          - {name: A, valueFrom: {configMapKeyRef: {name: cm, key: x}}}
          - {name: B, valueFrom: {configMapKeyRef: {name: cm, key: ok}}}
          - {name: C, valueFrom: {secretKeyRef: {name: s, key: x}}}
          volumeMounts: [{name: c, mountPath: /c}]
    """, objects)
    found = [p for p in validate(load_text(text, "pod.yaml")) if "NUL" in p.message]
    assert [p.path for p in found] == ["spec.containers[0].envFrom[0].configMapRef.name",
                                       "spec.containers[0].env[0].valueFrom.configMapKeyRef.key",
                                       "spec.containers[0].env[2].valueFrom.secretKeyRef.key"]
    assert not any("sec\\x00" in str(p) or "sec\x00" in str(p) for p in found)   # a Secret's value is never shown
    # a volume of that ConfigMap alone is fine: its files are bytes
    only_volume = manifest("volumes: [{name: c, configMap: {name: cm}}]\ncontainers:\n- name: a\n  image: busybox\n"
                           "  volumeMounts: [{name: c, mountPath: /c}]\n", objects)
    assert not [p for p in validate(load_text(only_volume, "pod.yaml")) if p.severity == "error"]


def test_nul_is_refused_in_an_annotation_an_env_variable_reads() -> None:
    text = ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  annotations: {x: \"\\0envfile:[v]\\0\", y: ok}\n"
            "spec:\n  containers:\n  - name: a\n    image: busybox\n    env:\n"
            "    - {name: A, valueFrom: {fieldRef: {fieldPath: \"metadata.annotations['x']\"}}}\n"
            "    - {name: B, valueFrom: {fieldRef: {fieldPath: \"metadata.annotations['y']\"}}}\n")
    found = [(p.path, p.location.line) for p in validate(load_text(text, "pod.yaml")) if "NUL" in p.message]
    assert found == [("spec.containers[0].env[0].valueFrom.fieldRef.fieldPath", 11)]

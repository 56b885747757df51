"""The downward API (env fieldRef/resourceFieldRef, downwardAPI and projected volumes) and claims, on the daemon."""
from __future__ import annotations

import json
import re
import subprocess
import uuid

import pytest

from tests.helpers import BUSYBOX, LOOP, docker, exec_out, remove_labelled, run_cli, wait_until
from tests.manifests import api_object, container, documents, field_env, mount, pod, resource_env

pytestmark = pytest.mark.docker


def up(path: str, *flags: str) -> None:
    result = run_cli("up", "-d", "-f", path, *flags)
    assert result.code == 0, result.stderr


def env_of(pod: str, container: str = "app") -> dict[str, str]:
    return dict(line.split("=", 1) for line in exec_out(pod, container, "env").splitlines() if "=" in line)


def test_env_from_the_downward_api_and_resources(pod_name: str, manifest) -> None:
    path = manifest(documents(
        api_object("ConfigMap", f"{pod_name}-cm", data={"colour": "blue", "size": "L"}),
        pod(pod_name,
            container("app", f"echo ip=$(MY_POD_IP) > /tmp/ip; {LOOP}",
                      resources={"limits": {"cpu": "250m", "memory": "64Mi"},
                                 "requests": {"cpu": "100m", "memory": "32Mi"}},
                      envFrom=[{"prefix": "CM_", "configMapRef": {"name": f"{pod_name}-cm"}}],
                      env=[field_env("MY_NAME", "metadata.name"), field_env("MY_NAMESPACE", "metadata.namespace"),
                           field_env("MY_UID", "metadata.uid"), field_env("MY_APP", "metadata.labels['app']"),
                           field_env("MY_BUILD", "metadata.annotations['build']"),
                           field_env("MY_POD_IP", "status.podIP"), field_env("MY_POD_IPS", "status.podIPs"),
                           field_env("MY_HOST_IP", "status.hostIP"), field_env("MY_NODE", "spec.nodeName"),
                           field_env("MY_SA", "spec.serviceAccountName"),
                           {"name": "URL", "value": "http://$(MY_POD_IP):80/"},
                           resource_env("CPU_LIMIT_M", resource="limits.cpu", divisor="1m"),
                           resource_env("CPU_LIMIT", resource="limits.cpu"),
                           resource_env("CPU_REQUEST", resource="requests.cpu"),
                           resource_env("MEM_REQUEST_MI", resource="requests.memory", divisor="1Mi"),
                           resource_env("MEM_LIMIT", containerName="app", resource="limits.memory"),
                           {"name": "MISSING", "valueFrom": {"configMapKeyRef": {
                               "name": f"{pod_name}-cm", "key": "nope", "optional": True}}},
                           {"name": "ABSENT_CM", "valueFrom": {"configMapKeyRef": {
                               "name": "no-such-cm", "key": "k", "optional": True}}}]),
            container("bare", env=[resource_env("CPU_LIMIT", resource="limits.cpu"),
                                   resource_env("MEM_LIMIT", resource="limits.memory"),
                                   resource_env("MEM_REQUEST", resource="requests.memory")]),
            metadata={"labels": {"app": "shop", "tier": "web"}, "annotations": {"build": "two"}},
            serviceAccountName="robot")))
    up(path)
    env = env_of(pod_name)
    pause = json.loads(docker("inspect", f"{pod_name}_POD"))[0]
    pod_ip = pause["NetworkSettings"]["IPAddress"]
    assert pod_ip and env["MY_POD_IP"] == pod_ip and env["MY_POD_IPS"] == pod_ip
    assert env["URL"] == f"http://{pod_ip}:80/"
    assert exec_out(pod_name, "app", "cat", "/tmp/ip") == f"ip={pod_ip}"
    assert env["MY_NAME"] == pod_name and env["MY_NAMESPACE"] == "default"
    assert str(uuid.UUID(env["MY_UID"])) == env["MY_UID"] == pause["Config"]["Labels"]["io.podcompose.pod-uid"]
    assert env["MY_APP"] == "shop" and env["MY_BUILD"] == "two"
    assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", env["MY_HOST_IP"]) and env["MY_HOST_IP"] != pod_ip
    assert env["MY_NODE"] == "localhost" and env["MY_SA"] == "robot"
    assert env["CPU_LIMIT_M"] == "250" and env["CPU_LIMIT"] == "1" and env["CPU_REQUEST"] == "1"   # cpu rounds up
    assert env["MEM_REQUEST_MI"] == "32" and env["MEM_LIMIT"] == str(64 * 2**20)
    assert env["CM_colour"] == "blue" and env["CM_size"] == "L"
    assert "MISSING" not in env and "ABSENT_CM" not in env
    # unset limits are the node's allocatable: the Docker host's cores and memory; an unset request is 0
    info = json.loads(docker("info", "--format", "{{json .}}"))
    bare = env_of(pod_name, "bare")
    assert bare["CPU_LIMIT"] == str(info["NCPU"]) and bare["MEM_LIMIT"] == str(info["MemTotal"])
    assert bare["MEM_REQUEST"] == "0"
    # the uid is the pod's, not the attempt's: a restarted container reads the same one
    docker("kill", f"{pod_name}_app")
    wait_until(lambda: run_cli("exec", pod_name, "-c", "app", "--", "true").code == 0, timeout=30,
               what="the restarted container")
    assert env_of(pod_name)["MY_UID"] == env["MY_UID"]


def test_downward_api_and_projected_volumes(pod_name: str, manifest) -> None:
    path = manifest(documents(
        api_object("ConfigMap", f"{pod_name}-cm", data={"colour": "blue", "size": "L"}),
        api_object("Secret", f"{pod_name}-s", stringData={"password": "hunter2-hunter2"}),
        pod(pod_name,
            container("app", resources={"limits": {"memory": "64Mi"}},
                      volumeMounts=[mount("podinfo", "/etc/podinfo"), mount("all", "/projected"),
                                    mount("some", "/some"), mount("none", "/none")]),
            metadata={"labels": {"zone": "us-est-coast", "cluster": "test-cluster1"},
                      "annotations": {"builder": "john-doe", "build": "two"}},
            volumes=[
                {"name": "podinfo", "downwardAPI": {"defaultMode": 0o440, "items": [
                    {"path": "labels", "fieldRef": {"fieldPath": "metadata.labels"}},
                    {"path": "annotations", "fieldRef": {"fieldPath": "metadata.annotations"}},
                    {"path": "name", "fieldRef": {"fieldPath": "metadata.name"}, "mode": 0o400},
                    {"path": "meta/uid", "fieldRef": {"fieldPath": "metadata.uid"}},
                    {"path": "mem_limit",
                     "resourceFieldRef": {"containerName": "app", "resource": "limits.memory", "divisor": "1Mi"}},
                    {"path": "cpu_limit",
                     "resourceFieldRef": {"containerName": "app", "resource": "limits.cpu", "divisor": "1m"}}]}},
                {"name": "all", "projected": {"defaultMode": 0o444, "sources": [
                    {"configMap": {"name": f"{pod_name}-cm",
                                   "items": [{"key": "colour", "path": "my/colour", "mode": 0o600}]}},
                    {"secret": {"name": f"{pod_name}-s"}},
                    {"downwardAPI": {"items": [{"path": "zone",
                                                "fieldRef": {"fieldPath": "metadata.labels['zone']"}}]}},
                    {"serviceAccountToken": {"path": "token", "audience": "api"}}]}},
                {"name": "some", "configMap": {"name": f"{pod_name}-cm", "defaultMode": 0o600,
                                               "items": [{"key": "size", "path": "the-size"}]}},
                {"name": "none", "configMap": {"name": "no-such-cm", "optional": True}}])))
    up(path)
    read = lambda *cmd: exec_out(pod_name, "app", *cmd)  # noqa: E731
    assert read("cat", "/etc/podinfo/labels") == 'cluster="test-cluster1"\nzone="us-est-coast"'
    assert read("cat", "/etc/podinfo/annotations") == 'build="two"\nbuilder="john-doe"'
    assert read("cat", "/etc/podinfo/name") == pod_name
    uid = json.loads(docker("inspect", f"{pod_name}_POD"))[0]["Config"]["Labels"]["io.podcompose.pod-uid"]
    assert read("cat", "/etc/podinfo/meta/uid") == uid
    assert read("cat", "/etc/podinfo/mem_limit") == "64"
    info = json.loads(docker("info", "--format", "{{json .}}"))
    assert read("cat", "/etc/podinfo/cpu_limit") == str(info["NCPU"] * 1000)     # no limit: the node's cores
    assert read("stat", "-c", "%a", "/etc/podinfo/name", "/etc/podinfo/labels").split() == ["400", "440"]
    assert read("sh", "-c", "grep ' /etc/podinfo ' /proc/mounts").split()[2] == "tmpfs"
    assert read("cat", "/projected/my/colour") == "blue"
    assert read("cat", "/projected/password") == "hunter2-hunter2"
    assert read("cat", "/projected/zone") == "us-est-coast"
    assert read("stat", "-c", "%a", "/projected/my/colour", "/projected/password").split() == ["600", "444"]
    token = read("cat", "/projected/token")
    assert token.count(".") == 2
    import base64

    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["podcompose.io/fake"] is True and claims["aud"] == ["api"]
    assert "fake" in claims["iss"] and claims["sub"] == "system:serviceaccount:default:default"
    assert read("ls", "/some") == "the-size" and read("stat", "-c", "%a", "/some/the-size") == "600"
    assert read("ls", "-A", "/none") == ""
    denied = run_cli("exec", pod_name, "-c", "app", "--", "touch", "/etc/podinfo/x")
    assert denied.code != 0


def test_claims_outlive_down_unless_volumes_and_ephemeral_goes_with_the_pod(pod_name: str, manifest) -> None:
    claim = f"{pod_name}-data"
    volume = f"default_PVC_{claim}"
    second = f"{pod_name}-b"

    def claim_pod(name: str, command: str) -> str:
        return f"""
apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: app
    image: {BUSYBOX}
    command: ["sh", "-c", "{command}; {LOOP}"]
    volumeMounts: [{{name: data, mountPath: /data}}, {{name: scratch, mountPath: /scratch}}]
  volumes:
  - {{name: data, persistentVolumeClaim: {{claimName: {claim}}}}}
  - name: scratch
    ephemeral:
      volumeClaimTemplate:
        spec: {{accessModes: [ReadWriteOnce], resources: {{requests: {{storage: 1Gi}}}}}}
"""
    try:
        first = manifest(claim_pod(pod_name, "echo kept > /data/f; echo gone > /scratch/f"), "a.yaml")
        result = run_cli("up", "-d", "-f", first)
        assert result.code == 0, result.stderr
        assert f"claim {claim}" in result.stdout + result.stderr and "first use" in result.stdout + result.stderr
        labels = json.loads(docker("volume", "inspect", volume))[0]["Labels"]
        assert labels["io.podcompose.claim"] == claim and "io.podcompose.pod" not in labels
        assert exec_out(pod_name, "app", "cat", "/scratch/f") == "gone"
        scratch = f"{pod_name}_scratch"
        assert json.loads(docker("volume", "inspect", scratch))[0]["Labels"]["io.podcompose.pod"] == pod_name
        assert run_cli("down", pod_name).code == 0
        assert docker("volume", "ls", "-q", "--filter", f"name={scratch}") == ""
        assert docker("volume", "ls", "-q", "--filter", f"name={volume}") == volume     # the claim outlives down
        up(manifest(claim_pod(second, "true"), "b.yaml"))
        assert exec_out(second, "app", "cat", "/data/f") == "kept"
        assert run_cli("down", "--volumes", second).code == 0
        assert docker("volume", "ls", "-q", "--filter", f"name={volume}") == ""
    finally:
        remove_labelled(second)
        subprocess.run(["docker", "volume", "rm", "-f", volume], capture_output=True)


def test_objects_applied_on_their_own_are_kept_used_listed_and_deleted(pod_name: str, manifest) -> None:
    cm, secret, claim = f"{pod_name}-cm", f"{pod_name}-s", f"{pod_name}-pvc"
    objects = manifest(f"""
apiVersion: v1
kind: ConfigMap
metadata: {{name: {cm}}}
data: {{colour: blue}}
---
apiVersion: v1
kind: Secret
metadata: {{name: {secret}}}
stringData: {{password: hunter2-hunter2}}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {{name: {claim}}}
spec: {{accessModes: [ReadWriteOnce], resources: {{requests: {{storage: 1Gi}}}}}}
""", "objects.yaml")
    pod_file = manifest(pod(
        pod_name,
        container("app", env=[{"name": "COLOUR", "valueFrom": {"configMapKeyRef": {"name": cm, "key": "colour"}}}],
                  volumeMounts=[mount("s", "/s"), mount("d", "/d")]),
        volumes=[{"name": "s", "secret": {"secretName": secret}},
                 {"name": "d", "persistentVolumeClaim": {"claimName": claim}}]), "pod.yaml")
    volumes = [f"default_CM_{cm}", f"default_SECRET_{secret}", f"default_PVC_{claim}"]
    try:
        # offline, the pod alone refers to objects validate cannot see
        offline = run_cli("validate", "-f", pod_file)
        assert offline.code == 1 and f"ConfigMap '{cm}' is not defined" in offline.stdout + offline.stderr
        kept = run_cli("up", "-f", objects)
        assert kept.code == 0, kept.stderr
        assert f"configmap/{cm} created" in kept.stdout and f"persistentvolumeclaim/{claim} created" in kept.stdout
        listed = json.loads(run_cli("get", "-o", "json").stdout)
        mine = {(o["kind"], o["name"]): o for o in listed if o["name"].startswith(pod_name)}
        assert mine[("ConfigMap", cm)]["keys"] == ["colour"] and mine[("Secret", secret)]["keys"] == ["password"]
        assert ("PersistentVolumeClaim", claim) in mine
        assert cm in run_cli("get", "cm").stdout and secret not in run_cli("get", "cm").stdout
        attrs = json.loads(docker("volume", "inspect", volumes[1]))[0]
        assert "hunter2" not in json.dumps(attrs["Labels"])
        import os
        import stat

        assert stat.S_IMODE(os.stat(attrs["Mountpoint"]).st_mode) == 0o700
        assert stat.S_IMODE(os.stat(os.path.join(attrs["Mountpoint"], "object.json")).st_mode) == 0o600
        up(pod_file)
        assert exec_out(pod_name, "app", "sh", "-c", "echo $COLOUR") == "blue"
        assert exec_out(pod_name, "app", "cat", "/s/password") == "hunter2-hunter2"
        exec_out(pod_name, "app", "sh", "-c", "echo saved > /d/f")
        assert run_cli("down", pod_name).code == 0
        gone = run_cli("down", "-f", objects)
        assert gone.code == 0 and f"configmap/{cm} deleted" in gone.stdout
        for volume in volumes:
            assert docker("volume", "ls", "-q", "--filter", f"name={volume}") == ""
    finally:
        subprocess.run(["docker", "volume", "rm", "-f", *volumes], capture_output=True)


def test_create_configmap_and_secret_generic_as_kubectl_does(pod_name: str, manifest, tmp_path) -> None:
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "app.properties").write_text("mode=fast\n")
    cm, secret = f"{pod_name}-cm", f"{pod_name}-s"
    volumes = [f"default_CM_{cm}", f"default_SECRET_{secret}"]
    try:
        made = run_cli("create", "configmap", cm, "--from-literal", "colour=blue", "--from-file", str(tmp_path / "conf"))
        assert made.code == 0, made.stderr
        made = run_cli("create", "secret", "generic", secret, "--from-literal", "password=hunter2-hunter2")
        assert made.code == 0, made.stderr
        up(manifest(pod(pod_name,
                        container("app", envFrom=[{"secretRef": {"name": secret}}], volumeMounts=[mount("c", "/c")]),
                        volumes=[{"name": "c", "configMap": {"name": cm}}])))
        assert exec_out(pod_name, "app", "cat", "/c/app.properties") == "mode=fast"
        assert exec_out(pod_name, "app", "cat", "/c/colour") == "blue"
        assert exec_out(pod_name, "app", "sh", "-c", "echo $password") == "hunter2-hunter2"
    finally:
        subprocess.run(["docker", "volume", "rm", "-f", *volumes], capture_output=True)

"""tests/manifests.py builds what the integration tests would have written by hand, and validate() accepts it."""
from __future__ import annotations

import yaml

from podcompose.load import load_text
from podcompose.validate import validate
from tests.helpers import BUSYBOX, LOOP
from tests.manifests import api_object, container, documents, empty_dir, mount, pod


def test_a_pod_defaults_to_busybox_running_loop_with_a_one_second_grace() -> None:
    assert yaml.safe_load(pod("web", container("app"))) == {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
        "spec": {"terminationGracePeriodSeconds": 1,
                 "containers": [{"name": "app", "image": BUSYBOX, "command": ["sh", "-c", LOOP]}]}}


def test_fields_as_kubernetes_spells_them_and_grace_none_leaves_it_out() -> None:
    text = pod("web", container("app", None, volumeMounts=[mount("data", "/data", readOnly=True)]),
               init=[container("setup", ["true"])], volumes=[empty_dir("data", medium="Memory")], grace=None,
               metadata={"labels": {"app": "web"}}, restartPolicy="Never")
    spec = yaml.safe_load(text)["spec"]
    assert "terminationGracePeriodSeconds" not in spec and spec["restartPolicy"] == "Never"
    assert spec["containers"] == [{"name": "app", "image": BUSYBOX,
                                   "volumeMounts": [{"name": "data", "mountPath": "/data", "readOnly": True}]}]
    assert spec["initContainers"] == [{"name": "setup", "image": BUSYBOX, "command": ["true"]}]
    assert spec["volumes"] == [{"name": "data", "emptyDir": {"medium": "Memory"}}]
    assert yaml.safe_load(text)["metadata"] == {"name": "web", "labels": {"app": "web"}}


def test_what_it_builds_validates() -> None:
    text = documents(api_object("ConfigMap", "conf", data={"mode": "fast"}),
                     pod("web", container("app", env=[{"name": "MODE", "valueFrom": {
                         "configMapKeyRef": {"name": "conf", "key": "mode"}}}])))
    assert [str(p) for p in validate(load_text(text, "pod.yaml")) if p.severity == "error"] == []

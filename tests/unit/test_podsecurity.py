"""Pod Security Standards: each rule of each level refuses its violation at its line; compliant pods pass."""
from __future__ import annotations

import pytest
import yaml

from podcompose import podsecurity
from podcompose.errors import ManifestError, UsageError
from podcompose.load import load_text

# Compliant with restricted (and so with baseline and privileged).
RESTRICTED_POD = {
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
    "spec": {
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"},
                            "sysctls": [{"name": "net.ipv4.ip_local_port_range", "value": "1024 65535"}]},
        "volumes": [{"name": "data", "emptyDir": {}}],
        "initContainers": [{"name": "init", "image": "busybox",
                            "securityContext": {"allowPrivilegeEscalation": False,
                                                "capabilities": {"drop": ["ALL"]}}}],
        "containers": [{"name": "app", "image": "busybox", "ports": [{"containerPort": 80}],
                        "securityContext": {"allowPrivilegeEscalation": False, "runAsUser": 1000,
                                            "capabilities": {"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}}}],
    },
}
# Compliant with baseline, not restricted.
BASELINE_POD = {
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
    "spec": {"containers": [{"name": "app", "image": "busybox",
                             "securityContext": {"capabilities": {"add": ["CHOWN", "KILL"]}, "runAsUser": 0,
                                                 "seccompProfile": {"type": "Localhost",
                                                                    "localhostProfile": "p.json"},
                                                 "seLinuxOptions": {"type": "container_t"},
                                                 "procMount": "Default"}}],
             "volumes": [{"name": "v", "nfs": {"server": "x", "path": "/"}}]},
}


def document(data: dict):
    return load_text(yaml.safe_dump(data, sort_keys=False), "pod.yaml")[0]


def with_field(data: dict, path: tuple, value) -> dict:
    import copy

    data = copy.deepcopy(data)
    node = data
    for part in path[:-1]:
        node = node[part] if isinstance(part, int) else node.setdefault(part, {})
    node[path[-1]] = value
    return data


def errors(data: dict, level: str) -> list:
    return [p for p in podsecurity.check([document(data)], level) if p.severity == "error"]


@pytest.mark.parametrize("level", ["privileged", "baseline", "restricted"])
def test_a_compliant_pod_is_accepted_at_each_level(level: str) -> None:
    assert errors(RESTRICTED_POD, level) == []
    assert podsecurity.require([document(RESTRICTED_POD)], level) == []


def test_the_baseline_pod_passes_baseline_but_not_restricted() -> None:
    assert errors(BASELINE_POD, "baseline") == []
    rules = {p.message.split("(rule ")[1].split(")")[0] for p in errors(BASELINE_POD, "restricted")}
    assert rules == {"restrictedVolumes", "allowPrivilegeEscalation", "runAsNonRoot", "runAsUser",
                     "capabilities_restricted"}          # a Localhost seccomp profile is fine for both


C = ("spec", "containers", 0)
SC = C + ("securityContext",)
PSC = ("spec", "securityContext")

# (rule, level, field to set, value, field path reported)
VIOLATIONS = [
    ("windowsHostProcess", "baseline", SC + ("windowsOptions",), {"hostProcess": True},
     "spec.containers[0].securityContext.windowsOptions.hostProcess"),
    ("windowsHostProcess", "baseline", PSC + ("windowsOptions",), {"hostProcess": True},
     "spec.securityContext.windowsOptions.hostProcess"),
    ("hostNamespaces", "baseline", ("spec", "hostNetwork"), True, "spec.hostNetwork"),
    ("hostNamespaces", "baseline", ("spec", "hostPID"), True, "spec.hostPID"),
    ("hostNamespaces", "baseline", ("spec", "hostIPC"), True, "spec.hostIPC"),
    ("privileged", "baseline", SC + ("privileged",), True, "spec.containers[0].securityContext.privileged"),
    ("capabilities_baseline", "baseline", SC + ("capabilities",), {"drop": ["ALL"], "add": ["SYS_ADMIN"]},
     "spec.containers[0].securityContext.capabilities.add[0]"),
    ("hostPathVolumes", "baseline", ("spec", "volumes", 0), {"name": "h", "hostPath": {"path": "/etc"}},
     "spec.volumes[0].hostPath"),
    ("hostPorts", "baseline", C + ("ports", 0), {"containerPort": 80, "hostPort": 8080},
     "spec.containers[0].ports[0].hostPort"),
    ("hostProbesAndHostLifecycle", "baseline", C + ("livenessProbe",),
     {"httpGet": {"port": 80, "host": "10.0.0.1"}}, "spec.containers[0].livenessProbe.httpGet.host"),
    ("hostProbesAndHostLifecycle", "baseline", C + ("lifecycle",),
     {"preStop": {"tcpSocket": {"port": 80, "host": "example.com"}}},
     "spec.containers[0].lifecycle.preStop.tcpSocket.host"),
    ("appArmorProfile", "baseline", SC + ("appArmorProfile",), {"type": "Unconfined"},
     "spec.containers[0].securityContext.appArmorProfile.type"),
    ("appArmorProfile", "baseline", ("metadata", "annotations"),
     {"container.apparmor.security.beta.kubernetes.io/app": "unconfined"},
     "metadata.annotations.container.apparmor.security.beta.kubernetes.io/app"),
    ("seLinuxOptions", "baseline", SC + ("seLinuxOptions",), {"type": "spc_t"},
     "spec.containers[0].securityContext.seLinuxOptions.type"),
    ("seLinuxOptions", "baseline", PSC + ("seLinuxOptions",), {"user": "root"},
     "spec.securityContext.seLinuxOptions.user"),
    ("procMount", "baseline", SC + ("procMount",), "Unmasked", "spec.containers[0].securityContext.procMount"),
    ("seccompProfile_baseline", "baseline", PSC + ("seccompProfile",), {"type": "Unconfined"},
     "spec.securityContext.seccompProfile.type"),
    ("sysctls", "baseline", PSC + ("sysctls",), [{"name": "kernel.msgmax", "value": "1"}],
     "spec.securityContext.sysctls[0].name"),
    ("restrictedVolumes", "restricted", ("spec", "volumes", 0), {"name": "n", "nfs": {"server": "x", "path": "/"}},
     "spec.volumes[0].nfs"),
    ("allowPrivilegeEscalation", "restricted", SC + ("allowPrivilegeEscalation",), True,
     "spec.containers[0].securityContext.allowPrivilegeEscalation"),
    ("runAsNonRoot", "restricted", PSC + ("runAsNonRoot",), False, "spec.securityContext.runAsNonRoot"),
    ("runAsNonRoot", "restricted", SC + ("runAsNonRoot",), False, "spec.containers[0].securityContext.runAsNonRoot"),
    ("runAsUser", "restricted", SC + ("runAsUser",), 0, "spec.containers[0].securityContext.runAsUser"),
    ("runAsUser", "restricted", PSC + ("runAsUser",), 0, "spec.securityContext.runAsUser"),
    ("seccompProfile_restricted", "restricted", PSC + ("seccompProfile",), None,
     "spec.initContainers[0].securityContext.seccompProfile.type"),
    ("capabilities_restricted", "restricted", SC + ("capabilities",), {"drop": ["NET_RAW"]},
     "spec.containers[0].securityContext.capabilities.drop"),
    ("capabilities_restricted", "restricted", SC + ("capabilities",), {"drop": ["ALL"], "add": ["CHOWN"]},
     "spec.containers[0].securityContext.capabilities.add[0]"),
]


@pytest.mark.parametrize("rule, level, field, value, reported", VIOLATIONS,
                         ids=[f"{v[0]}-{v[4]}" for v in VIOLATIONS])
def test_each_rule_refuses_its_violation_with_rule_field_and_line(rule, level, field, value, reported) -> None:
    data = with_field(RESTRICTED_POD, field, value)
    doc = document(data)
    found = [p for p in errors(data, level) if f"(rule {rule})" in p.message]
    assert found, errors(data, level)
    problem = found[0]
    assert problem.path == reported
    assert problem.location is not None and problem.location.file == "pod.yaml"
    assert problem.location.line == doc.location(_parse(reported)).line > 1
    assert f"Pod Security Standard {level}" in problem.message
    with pytest.raises(ManifestError) as caught:
        podsecurity.require([doc], level)
    assert f"pod.yaml:{problem.location.line}:" in str(caught.value) and reported in str(caught.value)
    if level == "baseline":
        assert any(f"(rule {rule})" in p.message for p in errors(data, "restricted"))
    else:
        assert errors(data, "baseline") == [] or all(f"(rule {rule})" not in p.message
                                                    for p in errors(data, "baseline"))
    assert errors(data, "privileged") == []


def _parse(text: str) -> tuple:
    """spec.containers[0].x -> ("spec", "containers", 0, "x"); annotation keys keep their dots."""
    if text.startswith("metadata.annotations."):
        return ("metadata", "annotations", text[len("metadata.annotations."):])
    parts: list = []
    for chunk in text.split("."):
        name, *indexes = chunk.split("[")
        parts.append(name)
        parts.extend(int(i.rstrip("]")) for i in indexes)
    return tuple(parts)


def test_restricted_requires_fields_that_are_missing_at_the_container() -> None:
    data = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
            "spec": {"containers": [{"name": "app", "image": "busybox"}]}}
    rules = sorted(p.message.split("(rule ")[1].split(")")[0] for p in errors(data, "restricted"))
    assert rules == ["allowPrivilegeEscalation", "capabilities_restricted", "runAsNonRoot",
                     "seccompProfile_restricted"]
    assert errors(data, "baseline") == []


def test_pod_level_settings_satisfy_container_level_rules() -> None:
    data = with_field(RESTRICTED_POD, SC + ("runAsNonRoot",), None)
    assert errors(data, "restricted") == []          # pod-level runAsNonRoot: true covers the container
    data = with_field(data, PSC + ("runAsNonRoot",), None)
    assert [p.path for p in errors(data, "restricted")] == [
        "spec.initContainers[0].securityContext.runAsNonRoot", "spec.containers[0].securityContext.runAsNonRoot"]


def test_hostusers_false_relaxes_nothing() -> None:
    data = with_field(with_field(RESTRICTED_POD, ("spec", "hostUsers"), False), SC + ("runAsUser",), 0)
    assert [p.path for p in errors(data, "restricted")] == ["spec.containers[0].securityContext.runAsUser"]


def test_templates_of_deployments_and_jobs_are_checked() -> None:
    template = {"metadata": {"labels": {"app": "w"}}, "spec": {**RESTRICTED_POD["spec"], "hostPID": True}}
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "w"},
                  "spec": {"selector": {"matchLabels": {"app": "w"}}, "template": template}}
    assert [p.path for p in errors(deployment, "baseline")] == ["spec.template.spec.hostPID"]


def test_without_a_level_one_warning_per_pod_on_host_access_only(monkeypatch) -> None:
    monkeypatch.delenv("PODCOMPOSE_HOST_IP", raising=False)
    data = with_field(with_field(with_field(BASELINE_POD, SC + ("privileged",), True), ("spec", "hostNetwork"), True),
                      C + ("ports",), [{"containerPort": 80, "hostPort": 8080, "hostIP": "127.0.0.1"}])
    problems = podsecurity.check([document(data)], None)
    assert len(problems) == 1 and problems[0].severity == "warning"
    text = str(problems[0])
    assert "privileged" in text and "hostNamespaces" in text and "spec.hostNetwork" in text
    assert "hostPort" not in text                    # a hostPort on one chosen address: not host access
    assert "line " in text and "--pod-security=baseline" in text
    only_ports = with_field(RESTRICTED_POD, C + ("ports", 0), {"containerPort": 80, "hostPort": 8080,
                                                               "hostIP": "127.0.0.1"})
    assert podsecurity.check([document(only_ports)], None) == []
    assert podsecurity.check([document(data)], "privileged") == []   # an explicit level silences the warning


def test_malformed_documents_never_crash_the_checks() -> None:
    for spec in ({"containers": [None, 3, {"securityContext": "x"}]}, {"volumes": "x", "securityContext": []},
                 {"containers": [{"name": "a", "ports": [None], "lifecycle": {"preStop": 1}}]}):
        data = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"}, "spec": spec}
        podsecurity.check([document(data)], "restricted")
        podsecurity.check([document(data)], None)


def test_levels_and_the_environment_variable(monkeypatch) -> None:
    assert podsecurity.check_level(None) is None and podsecurity.check_level("baseline") == "baseline"
    with pytest.raises(UsageError):
        podsecurity.check_level("strict")
    monkeypatch.setenv(podsecurity.ENV, "restricted")
    assert podsecurity.level_from_env() == "restricted"
    from podcompose.api import LoadOptions
    assert LoadOptions().pod_security == "restricted"


def test_the_cli_refuses_and_validate_reports_the_same(tmp_path, capsys, monkeypatch) -> None:
    from podcompose.cli import main

    monkeypatch.delenv(podsecurity.ENV, raising=False)
    path = tmp_path / "pod.yaml"
    path.write_text(yaml.safe_dump(with_field(RESTRICTED_POD, SC + ("privileged",), True), sort_keys=False))
    for argv in (["--pod-security=baseline", "validate", "-f", str(path)],
                 ["validate", "--pod-security", "baseline", "-f", str(path)],
                 ["up", "--dry-run", "--pod-security=restricted", "-f", str(path)],
                 ["config", "-f", str(path), "--pod-security=baseline"]):
        assert main(argv) == 1, argv
        out = capsys.readouterr()
        assert f"{path}:" in out.out + out.err and "(rule privileged)" in out.out + out.err
    assert main(["validate", "-f", str(path)]) == 0                  # no level: a warning, valid
    assert "warning" in capsys.readouterr().out
    monkeypatch.setenv(podsecurity.ENV, "baseline")
    assert main(["validate", "-f", str(path)]) == 1
    assert main(["--pod-security=privileged", "validate", "-f", str(path)]) == 0

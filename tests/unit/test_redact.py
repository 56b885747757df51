"""Secret redaction: by origin in structured output, whole values in free text."""
from __future__ import annotations

import json
import logging

import pytest

from podcompose import redact
from podcompose.cli.render import pods_config
from podcompose.cli.render_plan import plan_as_data
from podcompose.errors import ManifestError
from podcompose.load import load_text
from podcompose.pods import pods_from_documents
from podcompose.plan import plan_up
from podcompose.translate import container_create_args

LONG = "Zq9-distinctive-S3CRET-value"

TEXT = f"""apiVersion: v1
kind: Pod
metadata: {{name: web}}
spec:
  containers:
  - name: app
    image: steer/busybox:1
    command: ["sh", "-c", "login --password=$(TOKEN) --n=$(ONE); echo $$(TOKEN) $(PLAIN)"]
    args: ["$(ONE)", "x"]
    env:
    - {{name: TOKEN, valueFrom: {{secretKeyRef: {{name: s, key: t}}}}}}
    - {{name: ONE, valueFrom: {{secretKeyRef: {{name: s, key: one}}}}}}
    - {{name: PLAIN, value: "1"}}
    - {{name: DERIVED, value: "Bearer $(TOKEN)"}}
    - {{name: ESCAPED, value: "$$(TOKEN)"}}
    envFrom: [{{secretRef: {{name: s}}, prefix: S_}}]
---
apiVersion: v1
kind: Secret
metadata: {{name: s}}
stringData: {{t: {LONG}, one: "1"}}
"""


@pytest.fixture(autouse=True)
def clean_registry():
    redact.reset()
    yield
    redact.reset()


def pod(text: str = TEXT):
    documents = load_text(text, "pod.yaml")
    redact.register_documents(documents)
    return pods_from_documents(documents)[0]


def test_the_model_marks_what_came_from_a_secret() -> None:
    container = pod().container("app")
    assert set(container.secret_env) == {"TOKEN", "ONE", "DERIVED", "S_t", "S_one"}   # not PLAIN, not ESCAPED
    assert container.command[2] == f"login --password={LONG} --n=1; echo $(TOKEN) 1"    # runs expanded
    assert container.shown_command[2] == "login --password=$(TOKEN) --n=$(ONE); echo $$(TOKEN) $(PLAIN)"
    assert container.shown_args == ("$(ONE)", "x")


def test_a_plain_value_overriding_a_secret_one_is_not_secret() -> None:
    text = TEXT.replace('- {name: PLAIN, value: "1"}', '- {name: S_one, value: "visible"}')
    assert "S_one" not in pod(text).container("app").secret_env


def test_config_and_dry_run_redact_by_origin_and_keep_a_one_character_value_elsewhere() -> None:
    p = pod()
    shown = json.dumps(pods_config([p])) + json.dumps(plan_as_data([plan_up(p, None)]))
    assert LONG not in shown
    assert "steer/busybox:1" in shown and "busybox:<redacted>" not in shown
    config = pods_config([p])[0]["containers"][0]
    env = dict(config["env"])
    assert env["TOKEN"] == env["ONE"] == env["DERIVED"] == env["S_one"] == "<redacted>"
    assert env["PLAIN"] == "1" and env["ESCAPED"] == "$(TOKEN)"
    assert config["args"] == ["$(ONE)", "x"]
    step = plan_as_data([plan_up(p, None)])[0]["steps"][-1]["docker"]
    assert step["entrypoint"][2].startswith("login --password=$(TOKEN)")
    assert step["environment"]["PLAIN"] == "1"


def test_describe_label_holds_the_command_as_written_never_a_value() -> None:
    p = pod()
    args = container_create_args(p, p.container("app"), "hash")
    label = args["labels"]["io.podcompose.shown-command"]
    assert LONG not in json.dumps(args["labels"])
    assert json.loads(label)["args"] == ["$(ONE)", "x"]
    plain = pod(TEXT.replace("$(TOKEN) --n=$(ONE)", "x").replace('"$(ONE)", "x"', '"x"'))
    assert "io.podcompose.shown-command" not in container_create_args(plain, plain.container("app"), "h")["labels"]


def test_free_text_replaces_whole_values_only() -> None:
    redact.register([LONG, "1", "abcdef"], ["TOKEN"])
    assert redact.text(f"failed: {LONG}!") == "failed: <redacted>!"
    assert redact.text(f"x{LONG}y") == "x<redacted>y"                  # long values: anywhere
    assert redact.text("abcdef, xabcdef, abcdefg") == "<redacted>, xabcdef, abcdefg"   # shorter: whole tokens
    assert redact.text("steer/busybox:1 on port 1") == "steer/busybox:1 on port 1"   # too short for free text
    assert redact.text('"Env": ["TOKEN=1", "OTHER=1"]') == '"Env": ["TOKEN=<redacted>", "OTHER=1"]'
    assert redact.data({"a": [f"{LONG}"], LONG: 1}) == {"a": ["<redacted>"], "<redacted>": 1}


def test_longest_value_first() -> None:
    redact.register(["secret-part", "secret-part-and-more"])
    assert redact.text("secret-part-and-more") == "<redacted>"


def test_every_form_of_a_secret_value_is_registered() -> None:
    documents = load_text("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"
                          "data: {a: aHVudGVyMi1iYXNlNjQtc2VjcmV0}\n"
                          "stringData: {pem: \"-----BEGIN-----\\nMIIBOgIBAAJBAKj34GkxFhD9\\n-----END-----\"}\n")
    values = redact.secret_values(documents)
    assert {"aHVudGVyMi1iYXNlNjQtc2VjcmV0", "hunter2-base64-secret", "MIIBOgIBAAJBAKj34GkxFhD9"} <= values


def test_debug_log_records_are_cleaned() -> None:
    redact.register([LONG])
    record = logging.LogRecord("docker", logging.DEBUG, "x", 1, "body %s", (f'{{"Env": ["T={LONG}"]}}',), None)
    assert redact.LogFilter().filter(record)
    assert LONG not in record.getMessage() and "<redacted>" in record.getMessage()


def test_problems_at_a_secret_field_lose_its_value_however_short() -> None:
    text = "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {a: [\"x\"]}\ndata: {b: \"q!\"}\n"
    documents = load_text(text, "s.yaml")
    from podcompose.validate import require_valid

    with pytest.raises(ManifestError) as caught:
        with redact.secret_fields_hidden(documents):
            require_valid(documents)
    shown = "\n".join(str(p) for p in caught.value.problems)
    assert "stringData.a" in shown and "data.b" in shown
    assert "q!" not in shown


def test_the_cli_never_prints_a_value(tmp_path, capsys) -> None:
    from podcompose.cli import main

    path = tmp_path / "pod.yaml"
    path.write_text(TEXT)
    for argv in (["config", "-f", str(path), "-o", "json"], ["config", "-f", str(path)],
                 ["validate", "-f", str(path)]):
        assert main(argv) == 0
        out = capsys.readouterr()
        assert LONG not in out.out + out.err
        assert "busybox:<redacted>" not in out.out

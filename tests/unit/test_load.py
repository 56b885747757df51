"""Loading YAML: syntax errors point at the line with a caret; KYAML loads like block style."""
from __future__ import annotations

import pytest

from podcompose.errors import ManifestError
from podcompose.load import load_text
from podcompose.validate import validate


def syntax_error(text: str) -> str:
    with pytest.raises(ManifestError) as caught:
        load_text(text, "pod.yaml")
    assert len(caught.value.problems) == 1
    return str(caught.value.problems[0])


def test_tab_indentation_names_line_and_shows_caret() -> None:
    message = syntax_error("apiVersion: v1\nkind: Pod\nmetadata:\n\tname: web\n")
    lines = message.splitlines()
    assert lines[0].startswith("pod.yaml:4:1: YAML syntax error:")
    assert lines[1] == "     name: web"
    assert lines[2] == "    ^"
    assert "tab character" in message


def test_tab_inside_a_block() -> None:
    message = syntax_error("spec:\n  containers:\n  - name: a\n  \timage: b\n")
    assert message.startswith("pod.yaml:4:3: YAML syntax error:")
    assert message.splitlines()[2] == "      ^"
    assert "tab character" in message


def test_bad_indentation() -> None:
    message = syntax_error("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n labels: {}\n")
    lines = message.splitlines()
    assert lines[0].startswith("pod.yaml:5:2: YAML syntax error:")
    assert lines[1:3] == ["     labels: {}", "     ^"]


def test_list_item_out_of_line() -> None:
    message = syntax_error("spec:\n  containers:\n    - name: a\n      image: b\n     command: [x]\n")
    assert message.startswith("pod.yaml:5:6: YAML syntax error:")
    assert message.splitlines()[2] == "         ^"


@pytest.mark.parametrize("quote", ['"', "'"])
def test_unclosed_quote_points_where_it_opens(quote: str) -> None:
    message = syntax_error(f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {quote}web\n  labels: {{}}\n")
    lines = message.splitlines()
    assert lines[0].startswith("pod.yaml:4:9: YAML syntax error:")
    assert "quoted scalar" in lines[0]
    assert lines[1:3] == [f"      name: {quote}web", "            ^"]


def test_unclosed_bracket_points_where_it_opens() -> None:
    message = syntax_error('metadata: {name: web\nspec: {}\n')
    assert message.startswith("pod.yaml:2:5: YAML syntax error: did not find expected ',' or '}' "
                              "(while parsing a flow mapping that starts at line 1)")
    assert syntax_error("a: [1, 2\n").startswith("pod.yaml:1:4: YAML syntax error: did not find expected ',' or ']' "
                                                 "(while parsing a flow sequence that starts here)")


def test_backslash_quote_escape_is_rejected() -> None:
    # kubernetes/website's envars-file-container.yaml: Go's YAML accepts \' in "...", YAML does not
    message = syntax_error('command: ["sh", "-c", "echo \\\'x\\\'"]\n')
    assert message.startswith("pod.yaml:1:29: YAML syntax error: found unknown escape character")


def test_bad_characters_and_aliases_are_errors_not_crashes() -> None:
    assert syntax_error('a: "\ud800"\n').startswith("pod.yaml:1:5: YAML syntax error")
    assert syntax_error("a: 1\nb: x\x00\n").startswith("pod.yaml:2:5: YAML syntax error: unacceptable character")
    assert syntax_error("a: é\nb: x\x00\n").startswith("pod.yaml:2:5: YAML syntax error: unacceptable character")
    assert "refers to a node that contains it" in syntax_error("a: &x [1, *x]\n")
    laughs = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
        f"{n}: &{n} [{', '.join(['*' + p] * 9)}]\n" for p, n in zip("abcdefg", "bcdefgh", strict=True))
    assert "too many nodes" in syntax_error(laughs)


@pytest.mark.parametrize("depth", [101, 600, 1500, 3000])
def test_deep_nesting_is_podcompose_own_located_error_whatever_pyyaml_says(depth: int) -> None:
    # PyYAML 6.0.3 composes 3000 levels, 6.0.4's libyaml stops at 1000 with its own words,
    # the pure-Python loader overflows the stack near 500: podcompose says one thing for all.
    message = syntax_error("[" * depth + "]" * depth)
    assert message.startswith("pod.yaml:1:"), message
    assert "YAML syntax error: the document nests too deeply (more than 100 levels)" in message


def test_nesting_up_to_the_limit_loads() -> None:
    text = "a: " + "[" * 99 + "]" * 99 + "\n"
    assert load_text(text, "pod.yaml")[0].data["a"] is not None


def test_duplicate_field() -> None:
    message = syntax_error("apiVersion: v1\nkind: Pod\nkind: Pod\n")
    assert message == "pod.yaml:3:1: kind: duplicate field 'kind' (first written at line 2)"


BLOCK = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  containers:
  - name: app
    image: "nginx:1.27"
    command: ["sh", "-c", "echo hi"]
    ports:
    - containerPort: 80
"""

KYAML = """\
{
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name: "web",
    labels: {
      app: "web",
    },
  },
  spec: {
    containers: [{
      name: "app",
      image: "nginx:1.27",
      command: ["sh", "-c", "echo hi"],  # a comment
      ports: [{
        containerPort: 80,
      }],
    }],
  },
}
"""


def test_flow_style_kyaml_loads_like_block_style() -> None:
    block, = load_text(BLOCK, "block.yaml")
    flow, = load_text(KYAML, "flow.yaml")
    assert flow.data == block.data
    assert flow.location(("spec", "containers", 0, "image")).line == 13
    assert flow.location(("spec", "containers", 0, "ports", 0, "containerPort"), key=True).line == 16


def test_flow_style_problems_have_lines() -> None:
    text = KYAML.replace('image: "nginx:1.27"', 'image: "nginx:1.27", imagePullPolicy: "Sometimes"')
    problems = [p for p in validate(load_text(text, "flow.yaml")) if p.severity == "error"]
    assert [str(p) for p in problems] == [
        "flow.yaml:13:45: spec.containers[0].imagePullPolicy: 'Sometimes' is not one of Always, IfNotPresent, Never"]


def test_multi_document_stream_and_empty_documents() -> None:
    documents = load_text("---\n" + BLOCK + "---\n---\n# only a comment\n---\n" + BLOCK.replace("web", "api"), "s.yaml")
    assert [d.name for d in documents] == ["web", "api"]
    assert documents[1].location(("metadata", "name")).line == 22


def test_a_document_must_be_a_mapping() -> None:
    assert syntax_error("- a\n- b\n") == "pod.yaml:1:1: a manifest must be a mapping with apiVersion and kind, not list"


def test_timestamps_stay_strings_as_in_kubernetes() -> None:
    document, = load_text("metadata:\n  creationTimestamp: 2024-01-01T00:00:00Z\n  day: 2024-01-01\n")
    assert document.data == {"metadata": {"creationTimestamp": "2024-01-01T00:00:00Z", "day": "2024-01-01"}}

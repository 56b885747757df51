"""The kubelet's env file syntax (pkg/kubelet/util/env, Kubernetes 1.35+) as podcompose reads it."""
from __future__ import annotations

import pytest

from podcompose.envfile import EnvFileError, FileKeyRef, lookup, parse_token, read_value


@pytest.mark.parametrize("text, key, value", [
    ("   KEY1='val1'\n\t\tKEY2='val2'\n", "KEY2", "val2"),
    ("# comment\n\nKEY1='foo'\n   # another\nKEY2='bar'\n", "KEY2", "bar"),
    ("KEY1='foo#notcomment'\n", "KEY1", "foo#notcomment"),
    ("KEY1='   foo bar   '\n", "KEY1", "   foo bar   "),
    ("KEY1='foo=bar=baz'\n", "KEY1", "foo=bar=baz"),
    ("KEY2='bar' # comment\n", "KEY2", "bar"),
    ("KEY1='$HOME ${VAR}'\n", "KEY1", "$HOME ${VAR}"),
    ("KEY1='line one\n  line two\n\nline four'\nKEY2='bar'\n", "KEY1", "line one\n  line two\n\nline four"),
    ("KEY1='value with \"nested\" quotes'\n", "KEY1", 'value with "nested" quotes'),
    ("KEY1=''\n", "KEY1", ""),
    ("KEY='first'\nKEY='second'\n", "KEY", "first"),        # the kubelet stops at the first assignment
])
def test_values_as_the_kubelet_reads_them(text: str, key: str, value: str) -> None:
    assert lookup(text, key) == value


def test_a_key_not_in_the_file_has_no_value() -> None:
    assert lookup("KEY1='foo'\n", "KEY3") is None


@pytest.mark.parametrize("text, message", [
    ("KEY1 = 'val1'\n", "whitespace before '=' is not allowed"),
    ("='foo'\nKEY2='bar'\n", "invalid environment variable format at line 1"),
    ("KEY1='foo'\nINVALID_LINE\n", "invalid environment variable format at line 2"),
    ("KEY1='foo'\nKEY2=bar\n", "line 2: the value must be enclosed in single quotes"),
    ('KEY2="bar"\n', "must be enclosed in single quotes"),
    ("KEY1='foo''bar'", "unexpected content after closing quote"),
    ("KEY1='foo'\nKEY2='bar\nKEY3='baz'\n", "unexpected content after closing quote"),
    ("KEY1='never closed\n", "the single quote is never closed"),
])
def test_lines_the_kubelet_refuses(text: str, message: str) -> None:
    with pytest.raises(EnvFileError, match=message):
        lookup(text, "KEY2")


def test_a_file_over_64_kib_is_refused_without_showing_it() -> None:
    ref = FileKeyRef("envs", "big.env", "K")
    with pytest.raises(EnvFileError) as error:
        read_value(b"K='secret'\n" + b"#" * 70_000, ref)
    assert "64 KiB" in str(error.value) and "secret" not in str(error.value)


def test_the_placeholder_token_round_trips() -> None:
    ref = FileKeyRef("envs", "a/b.env", "K:1", optional=True)
    assert parse_token(ref.token) == ref and "\x00" not in ref.token

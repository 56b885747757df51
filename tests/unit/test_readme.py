"""The README stays true: its field table is the support table, every verb is documented."""
from __future__ import annotations

from pathlib import Path

from podcompose.cli.parser import build_parser
from podcompose.support import markdown_table

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_field_table_matches_the_support_table() -> None:
    assert markdown_table() in README


def test_every_verb_is_in_the_readme() -> None:
    parser = build_parser()
    verbs = next(a for a in parser._actions if a.dest == "verb").choices
    for verb in verbs:
        if not verb.startswith("_"):
            assert f"`{verb}" in README, verb

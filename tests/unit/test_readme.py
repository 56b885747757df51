"""The README and the docs/ pages stay true: the field table is the support table, every verb is documented,
every link between the pages leads to a page and a heading that exist, and every page is linked."""
from __future__ import annotations

import argparse
import importlib.util
import re
from pathlib import Path
from types import ModuleType

import pytest

from podcompose.cli.parser import build_parser
from podcompose.support import markdown_table

ROOT = Path(__file__).resolve().parents[2]
README_PATH = ROOT / "README.md"
README = README_PATH.read_text()
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
# [text](target): the text may wrap onto the next line; fenced code is left out before this is applied
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def table_writer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("write_field_table", ROOT / "tools" / "write_field_table.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def verb_parsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    choices = next(a for a in parser._actions if a.dest == "verb").choices
    return {verb: sub for verb, sub in choices.items() if not verb.startswith("_")}


def verbs() -> list[str]:
    return list(verb_parsers())


def local_links(page: Path) -> list[str]:
    """The targets of the page's links that stay in this repository (no scheme)."""
    text = FENCE.sub("", page.read_text())
    return [t for t in LINK.findall(text) if not re.match(r"[a-z][a-z0-9+.-]*:", t)]


def anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = FENCE.sub("", page.read_text())
    return {anchor(m) for m in re.findall(r"^#{1,6} (.+)$", text, re.MULTILINE)}


def sections(page: Path) -> dict[str, str]:
    """Each `## heading`'s text, by its anchor."""
    parts = re.split(r"^## (.+)$", page.read_text(), flags=re.MULTILINE)
    return {anchor(heading): text for heading, text in zip(parts[1::2], parts[2::2])}


def documented(option_strings: list[str], text: str) -> bool:
    return any(re.search(rf"(?<![\w-]){re.escape(o)}(?![\w-])", text) for o in option_strings)


def test_field_table_matches_the_support_table() -> None:
    writer = table_writer()
    page = writer.FIELDS_PAGE.read_text()
    assert markdown_table() in page
    assert page == writer.with_table(page, markdown_table()), \
        "docs/fields.md is stale: run python tools/write_field_table.py"


def test_the_table_writer_replaces_only_what_lies_between_its_markers() -> None:
    writer = table_writer()
    page = f"# Title\n\nintro\n\n{writer.BEGIN}\n\nold table\n{writer.END}\n\nafter\n"
    fresh = writer.with_table(page, "| new |\n")
    assert fresh == f"# Title\n\nintro\n\n{writer.BEGIN}\n\n| new |\n\n{writer.END}\n\nafter\n"
    assert writer.with_table(fresh, "| new |\n") == fresh
    with pytest.raises(ValueError):
        writer.with_table(page + writer.END + "\n", "| new |\n")


def test_every_verb_is_in_the_readme() -> None:
    for verb in verbs():
        assert f"`{verb}" in README, verb


def test_every_verb_has_its_section_in_the_commands_page() -> None:
    sections = anchors(DOCS / "commands.md")
    for verb in verbs():
        assert verb in sections, verb


def test_every_flag_of_every_verb_is_in_its_section_of_the_commands_page() -> None:
    found = sections(DOCS / "commands.md")
    for verb, parser in verb_parsers().items():
        for action in parser._actions:
            if action.option_strings and action.dest != "help":
                assert documented(action.option_strings, found[verb]), f"{verb} {'/'.join(action.option_strings)}"


def test_every_global_flag_is_in_the_commands_page() -> None:
    found = sections(DOCS / "commands.md")
    for action in build_parser()._actions:
        if action.option_strings and action.dest != "help":
            assert documented(action.option_strings, found["global-options"]), "/".join(action.option_strings)


@pytest.mark.parametrize("page", [README_PATH, *PAGES], ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_local_link_leads_to_a_file_and_heading_that_exist(page: Path) -> None:
    for target in local_links(page):
        path, _, fragment = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        assert file.exists(), f"{page.name} links to {target}: no such file"
        if fragment and file.suffix == ".md":
            assert fragment in anchors(file), f"{page.name} links to {target}: no such heading"


def test_every_docs_page_is_linked_from_the_readme() -> None:
    linked = {(ROOT / t.partition("#")[0]).resolve() for t in local_links(README_PATH)}
    assert PAGES, "docs/ holds no page"
    unlinked = [p.name for p in PAGES if p.resolve() not in linked]
    assert unlinked == [], f"README.md links to no docs/{unlinked}"

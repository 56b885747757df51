"""Load YAML manifests, keeping the line and column of every field.

A `Document` is one YAML document of a stream: its plain Python data plus a
map from each field path to where it was written, so that later layers can
report `file:line:column: spec.containers[1].image: ...`.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode

from .errors import SHOWN_LIMIT, Location, ManifestError, Problem, shown

FieldPath = tuple[str | int, ...]

# libyaml's parser is ~10x faster than the pure-Python one and keeps the same marks.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR_TAG = "tag:yaml.org,2002:str"
# Kubernetes reads an unquoted 2024-01-01 or 2024-01-01T00:00:00Z as a string, not a date
_AS_WRITTEN = {_STR_TAG, "tag:yaml.org,2002:timestamp"}
# Real manifests nest about 15 levels; PyYAML's own limits differ by version and loader
# (6.0.4's libyaml stops at 1000 flow levels, the pure-Python loader overflows the stack
# near 500), so podcompose sets its own and reports it the same way whatever the version.
MAX_NESTING = 100
NESTING_MESSAGE = f"the document nests too deeply (more than {MAX_NESTING} levels)"


def format_path(path: Iterable[str | int]) -> str:
    """`("spec", "containers", 1, "image")` -> `spec.containers[1].image`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            part = part if len(part) <= SHOWN_LIMIT else f"{part[:SHOWN_LIMIT]}..."  # a megabyte key, cut
            text += f".{part}" if text else str(part)
    return text


@dataclass
class Document:
    """One YAML document: its data and where each field of it was written."""

    source: str
    index: int
    data: Any
    value_locations: dict[FieldPath, Location] = field(default_factory=dict, repr=False)
    key_locations: dict[FieldPath, Location] = field(default_factory=dict, repr=False)

    @property
    def kind(self) -> str:
        return str(self.data.get("kind", "")) if isinstance(self.data, dict) else ""

    @property
    def name(self) -> str:
        if isinstance(self.data, dict) and isinstance(self.data.get("metadata"), dict):
            return str(self.data["metadata"].get("name", ""))
        return ""

    def location(self, path: Iterable[str | int], *, key: bool = False) -> Location:
        """Where `path` was written; its nearest written ancestor if it was not.

        With `key=True` the location of the mapping key is preferred (for
        "unknown field" errors), else that of the value.
        """
        current: FieldPath = tuple(path)
        while True:
            if key and current in self.key_locations:
                return self.key_locations[current]
            if current in self.value_locations:
                return self.value_locations[current]
            if not current:
                return Location(self.source, 1, 1)
            current = current[:-1]

    def problem(self, path: Iterable[str | int], message: str, *, key: bool = False,
                severity: str = "error") -> Problem:
        path = tuple(path)
        return Problem(message, self.location(path, key=key), format_path(path), severity)  # type: ignore[arg-type]


def _location(source: str, mark: yaml.Mark) -> Location:
    return Location(source, mark.line + 1, mark.column + 1)


class _Reader:
    """Turns composed YAML nodes into Python data, recording every mark."""

    def __init__(self, loader: Any, source: str, document: Document, budget: int) -> None:
        self.loader = loader
        self.source = source
        self.document = document
        self.problems: list[Problem] = []
        self.budget = budget           # nodes left to read: aliases cannot blow up ("billion laughs")
        self.active: set[int] = set()  # collections being read: an alias may not point into them

    def read(self, node: Node, path: FieldPath) -> Any:
        if len(path) >= MAX_NESTING:   # the top node is level 1
            raise yaml.MarkedYAMLError(problem=NESTING_MESSAGE, problem_mark=node.start_mark)
        self.document.value_locations.setdefault(path, _location(self.source, node.start_mark))
        self.budget -= 1
        if self.budget < 0:
            raise yaml.MarkedYAMLError(problem="too many nodes: aliases (*name) expand this document "
                                               "beyond any real manifest", problem_mark=node.start_mark)
        if isinstance(node, ScalarNode):
            return self._scalar(node)
        if id(node) in self.active:
            raise yaml.MarkedYAMLError(problem="an alias (*name) refers to a node that contains it",
                                       problem_mark=node.start_mark)
        self.active.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self._read_mapping(node, path)
            return [self.read(item, path + (i,)) for i, item in enumerate(node.value)]
        finally:
            self.active.discard(id(node))

    def _scalar(self, node: ScalarNode) -> Any:
        if node.tag in _AS_WRITTEN:  # most scalars: what SafeConstructor.construct_yaml_str returns
            return node.value
        try:
            return self.loader.construct_object(node, deep=True)
        except ValueError as error:  # Python refuses int() of more than 4300 digits
            raise yaml.MarkedYAMLError(problem=f"the number {shown(node.value)} is far too large for any field",
                                       problem_mark=node.start_mark) from error

    def _read_mapping(self, node: MappingNode, path: FieldPath) -> dict[Any, Any]:
        self.loader.flatten_mapping(node)  # resolves `<<` merge keys in place
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                self.problems.append(Problem("a mapping key must be a plain value",
                                             _location(self.source, key_node.start_mark),
                                             format_path(path)))
                continue
            key = self._scalar(key_node)
            if not isinstance(key, str):
                key = key_node.value
            child = path + (key,)
            if key in result:
                first = self.document.key_locations[child]
                self.problems.append(Problem(
                    f"duplicate field {shown(key)} (first written at line {first.line})",
                    _location(self.source, key_node.start_mark), format_path(child)))
                continue
            self.document.key_locations[child] = _location(self.source, key_node.start_mark)
            result[key] = self.read(value_node, child)
        return result


_LINE_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")  # YAML's line breaks, not str.splitlines()'s


def _offset_location(source: str, text: str, offset: int) -> Location:
    before = _LINE_BREAK.split(text[:offset])
    return Location(source, len(before), len(before[-1]) + 1)


def _syntax_problem(source: str, text: str, error: yaml.YAMLError) -> Problem:
    lines = _LINE_BREAK.split(text)
    mark = getattr(error, "problem_mark", None)
    context_mark = getattr(error, "context_mark", None)
    reason = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    if "maximum nesting depth" in reason:  # libyaml's own limit (PyYAML 6.0.4 and later)
        reason, context = NESTING_MESSAGE, None
    if (mark is None or mark.line >= len(lines) or not lines[mark.line].strip()) \
            and context_mark is not None and context_mark.line < len(lines):
        # e.g. an unclosed quote or bracket: the end of the file says nothing, where it opened does
        mark, context = context_mark, f"{context} that starts here" if context else context
    elif context and mark is not None and context_mark is not None and context_mark.line != mark.line:
        context = f"{context} that starts at line {context_mark.line + 1}"
    message = f"YAML syntax error: {reason}"
    if context:
        message += f" ({context})"
    if mark is None:
        position = getattr(error, "position", None)  # a ReaderError (bad character) has only this
        if isinstance(position, int) and not issubclass(_Loader, yaml.SafeLoader):
            position = len(text.encode("utf-8", "surrogatepass")[:position].decode("utf-8", "ignore"))  # libyaml: bytes
        where = _offset_location(source, text, position) if isinstance(position, int) else Location(source, 1, 1)
        return Problem(message.split("\n")[0], where)
    if 0 <= mark.line < len(lines):
        line_text, column = _window(lines[mark.line].replace("\t", " "), mark.column)
        message += f"\n    {line_text}\n    {' ' * column}^"
        if "\t" in lines[mark.line]:
            message += "\n    (a tab character: YAML indents with spaces only)"
    return Problem(message, _location(source, mark))


def _window(line: str, column: int, width: int = 100) -> tuple[str, int]:
    """At most `width` characters of a long line around `column`, and the column within them."""
    if len(line) <= width:
        return line, column
    start = max(0, min(column - width // 2, len(line) - width))
    text = ("..." if start else "") + line[start:start + width] + ("..." if start + width < len(line) else "")
    return text, column - start + (3 if start else 0)


def load_text(text: str, source: str = "<string>") -> list[Document]:
    """Every non-empty document of a YAML stream, with field locations."""
    documents: list[Document] = []
    problems: list[Problem] = []
    loader = None
    try:
        loader = _Loader(text)
        index = 0
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            document = Document(source, index, None)
            reader = _Reader(loader, source, document, budget=10 * len(text) + 10_000)
            document.data = reader.read(node, ())
            problems.extend(reader.problems)
            index += 1
            if document.data is None:
                continue
            if not isinstance(document.data, dict):
                problems.append(Problem(
                    f"a manifest must be a mapping with apiVersion and kind, not {type(document.data).__name__}",
                    document.location(()), ""))
                continue
            documents.append(document)
    except yaml.YAMLError as error:
        problems.append(_syntax_problem(source, text, error))
    except UnicodeEncodeError as error:  # libyaml encodes the text: a lone surrogate cannot be
        problems.append(Problem("YAML syntax error: the text holds a character that is not valid Unicode "
                                f"({shown(error.object[error.start])})", _offset_location(source, text, error.start)))
    except RecursionError:  # the pure-Python loader composing a deep document
        problems.append(Problem(f"YAML syntax error: {NESTING_MESSAGE}", Location(source, 1, 1)))
    finally:
        if loader is not None:
            loader.dispose()
    if problems:
        raise ManifestError(problems)
    return documents


def read_source(name: str) -> str:
    """The text of a manifest file, or of standard input for `-`."""
    if name == "-":
        return sys.stdin.read()
    try:
        return Path(name).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestError([Problem(f"no such file: {name}")]) from None
    except IsADirectoryError:
        raise ManifestError([Problem(f"{name} is a directory, not a manifest file")]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ManifestError([Problem(f"cannot read {name}: {error}")]) from None


def load_files(names: Iterable[str], kustomizations: Iterable[str] = ()) -> list[Document]:
    """Every document of every named file (`-` is standard input) and of every kustomization (`-k DIR`).

    Problems in all files are gathered before raising, so one run reports all.
    """
    documents: list[Document] = []
    problems: list[Problem] = []
    for name in names:
        source = "<stdin>" if name == "-" else name
        try:
            documents.extend(load_text(read_source(name), source))
        except ManifestError as error:
            problems.extend(error.problems)
    for directory in kustomizations:
        from . import kustomize

        try:
            documents.extend(load_text(kustomize.build(directory), kustomize.source_name(directory)))
        except ManifestError as error:
            problems.extend(error.problems)
    if problems:
        raise ManifestError(problems)
    return documents

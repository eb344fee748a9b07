"""Safe YAML loading that remembers where every value came from.

PyYAML's constructors forget positions, so we compose the node graph ourselves and build plain
Python values while recording the line and column of each key path. Along the way we refuse what
a scenario file must not contain: several documents, duplicate keys, control characters, deep
nesting, alias expansions past a node budget (the "billion laughs"), recursive aliases, tags
other than plain YAML types, and oversized files. The limits are enforced while composing, so a
hostile file costs no more than the budget. Parsing uses libyaml when PyYAML has it (a 1 MiB file
in a fraction of a second, where the pure-Python parser needs seconds) and PyYAML's own otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from auditor.errors import InputError, Problem

MAX_BYTES = 1024 * 1024
MAX_NODES = 10_000
MAX_DEPTH = 50  # nodes inside nodes, aliases expanded; a scenario needs about ten
MAX_INT_CHARS = 100  # longer integers are refused before PyYAML computes them (`1:2:3…` is base 60)

PathKey = tuple[str | int, ...]

# The characters YAML does not allow in a stream (both PyYAML's and libyaml's readers refuse them).
_NOT_YAML = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_YAML_TAG = "tag:yaml.org,2002:"


@dataclass
class Located:
    """A parsed document with the position (1-based line, column) of every key path."""

    value: Any
    positions: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    # The text of each plain scalar that YAML read as something else than text (`0123` → 83, `NO` →
    # false, `12.50` → 12.5): what the author wrote, for a tip to quote and for values meant as text.
    written: dict[PathKey, str] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)  # the file's lines, for tips about what is written

    def line_text(self, path: PathKey) -> str:
        """The source line of a path (or of its nearest ancestor with a position); "" when unknown."""
        line = self.position(path)[0]
        return self.lines[line - 1] if line is not None and 0 < line <= len(self.lines) else ""

    def position(self, path: PathKey) -> tuple[int | None, int | None]:
        """Position of a path, or of its nearest ancestor that has one."""
        while True:
            if path in self.positions:
                return self.positions[path]
            if not path:
                return None, None
            path = path[:-1]


def format_path(path: PathKey) -> str:
    """`('steps', 3, 'fill', 'value')` → `steps[3].fill.value`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _tag_name(tag: str) -> str:
    return "!!" + tag[len(_YAML_TAG) :] if tag.startswith(_YAML_TAG) else tag


class _Refused(Exception):
    """A limit hit while composing; load_yaml turns it into a located problem."""

    def __init__(self, mark: yaml.Mark, message: str, tip: str):
        super().__init__(message)
        self.mark, self.message, self.tip = mark, message, tip


class _LimitedComposer(Composer):
    """PyYAML's composer, refusing as it goes what no scenario needs: nesting deeper than
    MAX_DEPTH, more than MAX_NODES nodes (each alias counted as the nodes it repeats) and aliases
    inside their own anchor. It stops at the first excess, so the parser never reads further."""

    def __init__(self) -> None:
        super().__init__()
        self.max_nodes, self.max_depth = MAX_NODES, MAX_DEPTH
        self.count = 0  # nodes so far, aliases expanded
        self.depth = 0  # of the node being composed
        self.reach = 0  # the deepest level reached inside the node being composed, aliases expanded
        self.sizes: dict[str | None, tuple[int, int]] = {}  # anchor → (nodes, levels) of its node
        self.open: set[str | None] = set()  # anchors whose node is being composed

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[attr-defined]
        mark = event.start_mark
        if isinstance(event, yaml.AliasEvent):
            if event.anchor in self.open:
                raise _Refused(
                    mark,
                    "an alias refers to itself (a recursive structure)",
                    "anchors may be reused, but not inside themselves",
                )
            nodes, levels = self.sizes.get(event.anchor, (1, 1))  # an undefined alias: PyYAML says so
            self._count(nodes, mark)
            self._descend(self.depth + levels, mark)
            return super().compose_node(parent, index)
        self._count(1, mark)
        before, outer = self.count - 1, self.reach
        self.depth += 1
        self.reach = self.depth
        self._descend(self.depth, mark)
        if event.anchor is not None:
            self.open.add(event.anchor)
        node = super().compose_node(parent, index)
        if event.anchor is not None:
            self.open.discard(event.anchor)
            self.sizes[event.anchor] = (self.count - before, self.reach - self.depth + 1)
        self.depth -= 1
        self.reach = max(outer, self.reach)
        return node

    def _count(self, nodes: int, mark: yaml.Mark) -> None:
        self.count += nodes
        if self.count > self.max_nodes:
            raise _Refused(
                mark,
                f"the file holds more than {self.max_nodes:,} YAML nodes once its aliases are expanded",
                "a scenario needs far fewer; an alias of an alias multiplies the size",
            )

    def _descend(self, level: int, mark: yaml.Mark) -> None:
        self.reach = max(self.reach, level)
        if level > self.max_depth:
            raise _Refused(
                mark,
                f"nests more than {self.max_depth} levels deep (aliases expanded): too deep for a scenario",
                "a scenario is a mapping of lists of steps; flatten the structure",
            )


class _FlatScanner(Scanner):
    """PyYAML's scanner costs time proportional to the flow nesting for every token: cap it."""

    def fetch_flow_collection_start(self, TokenClass: Any) -> None:
        if self.flow_level >= MAX_DEPTH:
            raise _Refused(
                self.get_mark(),  # type: ignore[attr-defined]
                f"nests more than {MAX_DEPTH} levels deep: too deep for a scenario",
                "a scenario is a mapping of lists of steps; flatten the structure",
            )
        super().fetch_flow_collection_start(TokenClass)

    def fetch_more_tokens(self) -> None:
        try:
            super().fetch_more_tokens()
        except (ValueError, OverflowError):  # int() or chr() on `%YAML 1.<5,000 digits>`, `"\UFFFFFFFF"`
            raise yaml.scanner.ScannerError(
                None,
                None,
                "a number in an escape or a directive is out of range",
                self.get_mark(),  # type: ignore[attr-defined]
            ) from None


class PythonLoader(Reader, _FlatScanner, Parser, _LimitedComposer, Resolver):
    """Composes nodes with PyYAML's pure-Python parser."""

    def __init__(self, stream: str):
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        _LimitedComposer.__init__(self)
        Resolver.__init__(self)


try:
    from yaml._yaml import CParser

    class LibyamlLoader(_LimitedComposer, CParser, Resolver):
        """Composes nodes from libyaml's events: the same nodes, found about twenty times faster."""

        def __init__(self, stream: str):
            CParser.__init__(self, stream)
            _LimitedComposer.__init__(self)
            Resolver.__init__(self)

    LOADER: type[PythonLoader] | type[LibyamlLoader] = LibyamlLoader
except ImportError:  # PyYAML built without libyaml
    LOADER = PythonLoader


class _Builder:
    """Builds plain values from nodes, recording positions and refusing duplicate keys."""

    def __init__(self, file: str):
        self.file = file
        self.loader = yaml.SafeLoader("")
        self.positions: dict[PathKey, tuple[int, int]] = {}
        self.written: dict[PathKey, str] = {}
        self.problems: list[Problem] = []

    def refuse(self, node: yaml.Node, message: str, *, key: str = "", tip: str | None = None) -> None:
        self.problems.append(
            Problem(
                file=self.file,
                line=node.start_mark.line + 1,
                column=node.start_mark.column + 1,
                key=key,
                message=message,
                tip=tip,
            )
        )

    def build(self, node: yaml.Node, path: PathKey) -> Any:
        self.positions.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, yaml.ScalarNode):
            value = self._scalar(node)
            if not node.style and not isinstance(value, str):  # plain: None in PyYAML, "" in libyaml
                self.written[path] = node.value
            return value
        kind = "map" if isinstance(node, yaml.MappingNode) else "seq"
        if node.tag != _YAML_TAG + kind:  # `!!set`, `!!omap`, `!!python/object:…`, `!local` …
            self.refuse(
                node,
                f"the tag {_tag_name(node.tag)} is not used in scenarios",
                key=format_path(path),
                tip=f"remove it: a plain {'mapping' if kind == 'map' else 'list'} is all a scenario needs",
            )
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        return [self.build(child, (*path, i)) for i, child in enumerate(node.value)]

    def _scalar(self, node: yaml.Node) -> Any:
        if node.tag in (_YAML_TAG + "timestamp", _YAML_TAG + "binary"):
            return node.value  # keep dates as the text the author wrote
        if node.tag == _YAML_TAG + "int" and len(node.value) > MAX_INT_CHARS:
            self.refuse(
                node,
                f"a number of {len(node.value):,} characters is too long",
                tip='quote it if it is text: "…"',
            )
            return None
        try:
            value = self.loader.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            self.refuse(node, str(exc.problem or exc))
            return None
        except (ValueError, IndexError, KeyError, OverflowError):
            # PyYAML's constructors trust the resolver: they fail on an explicit tag that does not fit
            # the text (`!!int abc`, `!!bool maybe`) and on digit-less literals (`0x_`).
            shown = node.value if len(node.value) <= 40 else node.value[:40] + "…"
            self.refuse(node, f"{shown!r} is not a valid {_tag_name(node.tag)}")
            return None
        if isinstance(value, str) and _SURROGATE.search(value):  # `"\ud800"` in PyYAML's own parser
            self.refuse(
                node,
                "an escape stands for half of a UTF-16 surrogate pair, which is not a character",
                tip=r"write the character itself, or its code point as \U0001F600",
            )
            return None
        return value

    def _pairs(self, node: yaml.MappingNode) -> list[tuple[yaml.Node, yaml.Node, bool]]:
        """Key/value nodes, with `<<` merge keys expanded (merged ones flagged)."""
        own: list[tuple[yaml.Node, yaml.Node, bool]] = []
        merged: list[tuple[yaml.Node, yaml.Node, bool]] = []
        for key, value in node.value:
            if key.tag == _YAML_TAG + "merge":
                sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
                for source in sources:
                    if not isinstance(source, yaml.MappingNode):
                        self.refuse(source, "a merge key (<<) needs a mapping to merge", key="<<")
                        continue
                    merged.extend((k, v, True) for k, v, _ in self._pairs(source))
            else:
                own.append((key, value, False))
        return own + merged

    def _mapping(self, node: yaml.MappingNode, path: PathKey) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node, from_merge in self._pairs(node):
            key = self._scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            line, column = key_node.start_mark.line + 1, key_node.start_mark.column + 1
            if not isinstance(key, str | int | float | bool) or key is None:
                self.problems.append(
                    Problem(
                        file=self.file,
                        line=line,
                        column=column,
                        key=format_path(path),
                        message="keys must be plain words",
                        tip="write `key: value`",
                    )
                )
                continue
            name = str(key)
            child = (*path, name)
            if name in result:
                if from_merge:
                    continue  # keys written in the mapping itself win over merged ones
                first = self.positions.get(child, (None, None))[0]
                self.problems.append(
                    Problem(
                        file=self.file,
                        line=line,
                        column=column,
                        key=format_path(child),
                        message=f"duplicate key {name!r} (first written on line {first})",
                        tip="a later value would silently replace the first; keep one",
                    )
                )
                continue
            if not from_merge:
                self.positions[child] = (line, column)
            result[name] = self.build(value_node, child)
        return result


def load_yaml(path: Path, *, max_bytes: int = MAX_BYTES, max_nodes: int = MAX_NODES) -> Located:
    """Read one YAML document safely, or raise InputError naming file, line and problem."""
    file = str(path)

    def fail(
        message: str, line: int | None = None, column: int | None = None, tip: str | None = None
    ) -> InputError:
        return InputError([Problem(file=file, line=line, column=column, key="", message=message, tip=tip)])

    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise fail(
                f"the file is {size:,} bytes; a scenario may be at most {max_bytes:,}",
                tip="split it into several scenarios",
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise fail("no such file") from None
    except IsADirectoryError:
        raise fail("is a folder, not a file") from None
    except OSError as exc:
        raise fail(f"cannot be read: {exc.strerror}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise fail("is not UTF-8 text", line, tip="save the file as UTF-8") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    bad = _NOT_YAML.search(text)
    if bad:
        start = text.rfind("\n", 0, bad.start()) + 1
        raise fail(
            f"holds the character U+{ord(bad.group()):04X}, which YAML does not allow",
            text.count("\n", 0, bad.start()) + 1,
            bad.start() - start + 1,
            tip=r'remove it; to mean it, write an escape inside double quotes, such as "\x07"',
        )
    try:
        loader = LOADER(text)
        loader.max_nodes = max_nodes
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except _Refused as exc:
        raise fail(exc.message, exc.mark.line + 1, exc.mark.column + 1, tip=exc.tip) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = (exc.problem or str(exc)).strip()
        lines = text.splitlines()
        line_text = lines[mark.line] if mark and mark.line < len(lines) else ""
        indent = line_text[: len(line_text) - len(line_text.lstrip(" \t"))]
        if "expected a single document" in str(exc):
            message = "the file holds more than one YAML document"
            tip = "one scenario per file: remove the `---` separator or split the file"
        elif "\t" in indent or (mark and line_text[mark.column : mark.column + 1] == "\t"):
            message = "a tab character in the indentation"
            tip = (
                "YAML indents with spaces only: replace the tab on this line with spaces "
                "(and set the editor to insert spaces for .yaml files)"
            )
        else:
            tip = _syntax_tip(message, lines, mark.line if mark else None)
        raise fail(
            f"is not valid YAML: {message}",
            mark.line + 1 if mark else None,
            mark.column + 1 if mark else None,
            tip=tip,
        ) from None
    except yaml.YAMLError as exc:
        raise fail(f"is not valid YAML: {exc}") from None
    if node is None:
        raise fail("is empty", tip="a scenario needs at least `name:` and `steps:`")
    builder = _Builder(file)
    value = builder.build(node, ())
    if builder.problems:
        raise InputError(builder.problems)
    return Located(value=value, positions=builder.positions, written=builder.written, lines=text.splitlines())


# `key: #x`, `- #x`, `{a: #x`, `[#x`: a `#` after a space (or a flow bracket) starts a comment.
_COMMENT_VALUE = re.compile(r"(?:^|[:\-,\[{])\s+(#[^\s,\]}]+)")
_ALIAS_VALUE = re.compile(r"(?:^|[:\-,\[{])\s*([*&][^\s,\]}]*)")


def _syntax_tip(message: str, lines: list[str], line: int | None) -> str:
    """The likeliest cause of a YAML syntax error, judged from the text around it: an unquoted `#` or
    `*` (selectors and globs start with them, YAML reads a comment or an alias) before the general tip."""
    near = [] if line is None else [lines[n] for n in (line, line - 1) if 0 <= n < len(lines)]
    for text in near:
        found = _ALIAS_VALUE.search(text)
        if found and "alphabetic or numeric" in message:
            value = found.group(1).rstrip(":")
            kind = "alias" if value[0] == "*" else "anchor"
            return f'a value that starts with {value[0]} is read as a YAML {kind}: quote it, as in "{value}"'
        found = _COMMENT_VALUE.search(text)
        if found:
            return f'a # after a space starts a YAML comment: quote the value, as in "{found.group(1)}"'
    return "check the indentation and the quoting around this line"

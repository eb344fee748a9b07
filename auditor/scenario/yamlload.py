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

import difflib
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


def is_sensitive(path: PathKey) -> bool:
    """A value no message may repeat: a secret, the Connectif API key."""
    return (len(path) >= 2 and path[0] == "secrets") or path[:3] == ("connectif", "api", "key")


def _tag_name(tag: str) -> str:
    return "!!" + tag[len(_YAML_TAG) :] if tag.startswith(_YAML_TAG) else tag


# The tags a scalar may carry: YAML's own, which the plain value would mostly get anyway.
_SCALAR_TAGS = ("str", "int", "float", "bool", "null", "timestamp", "binary")


def _tag_tip(tag: str, value: str, path: PathKey) -> str:
    """What to write instead of a tag the loader does not read (`!env X`, `!ref x`, `!!strr 5`)."""
    bare = _tag_name(tag).lstrip("!").lower()
    meant = difflib.get_close_matches(bare, _SCALAR_TAGS, n=1, cutoff=0.6)
    if meant:  # `!!strr`, `!str`: YAML's own tag, misspelt
        return f"did you mean !!{meant[0]}? Or quote the value to keep it as text"
    shown = "" if is_sensitive(path) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,40}", value) else value
    if bare in ("env", "environ", "getenv"):
        name = shown or "NAME"
        return f"an environment variable is written ${{{name}}} (in quotes where it starts the value)"
    if bare in ("ref", "var", "vars", "secret", "capture"):
        name = shown or "name"
        return f'a var, secret or capture is used as {{{{{name}}}}}, in quotes: "{{{{{name}}}}}"'
    written = _tag_name(tag)
    return (
        f'scenarios use no YAML tags: remove it, or quote the whole value to keep it as text ("{written} …")'
    )


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

    def __init__(self, file: str, lines: list[str]):
        self.file = file
        self.lines = lines
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
            self._check_quote(node, path)
            value = self._scalar(node, path)
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

    def _check_quote(self, node: yaml.ScalarNode, path: PathKey) -> None:
        """A quoted value that runs on over lines that look like keys or steps (`click: "#pay` with
        its quote left open, closed only by the next value's quote): YAML reads those lines as part of
        the text, and the steps in them silently vanish. Only a line indented no deeper than the one
        the quote opened on counts: text meant to go on is indented under its key (`  Note: …`)."""
        first, last = node.start_mark.line, node.end_mark.line
        if node.style not in ('"', "'") or first == last or first >= len(self.lines):
            return
        opened = self.lines[first]
        indent = len(opened) - len(opened.lstrip(" "))
        for number in range(first + 1, min(last + 1, len(self.lines))):
            looks = _KEY_LINE.match(self.lines[number])
            if looks is None or len(looks.group(1)) > indent:
                continue
            what = "a step" if looks.group(2) else "a key"
            self.refuse(
                node,
                f"the quote ({node.style}) opened here is closed only on line {last + 1}, so line "
                f"{number + 1} ({looks.group(3)}: …) is read as part of this text, not as {what}",
                key=format_path(path),
                tip=f"close the quote on line {first + 1}, at the end of the value; text that is meant "
                "to span lines is written as a block (`key: |`)",
            )
            return

    def _scalar(self, node: yaml.Node, path: PathKey = ()) -> Any:
        if node.tag in (_YAML_TAG + "timestamp", _YAML_TAG + "binary", _YAML_TAG + "value"):
            return node.value  # keep dates (and a bare `=`, which YAML 1.1 tags !!value) as written
        if not node.tag.startswith(_YAML_TAG) or node.tag[len(_YAML_TAG) :] not in _SCALAR_TAGS:
            # `!env X`, `!ref x`, `!!strr 5`, `!!python/name:…`: PyYAML would say only that it has no
            # constructor for it.
            self.refuse(
                node,
                f"the tag {_tag_name(node.tag)} is not used in scenarios",
                key=format_path(path),
                tip=_tag_tip(node.tag, node.value, path),
            )
            return None
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
            self.refuse(node, str(exc.problem or exc), key=format_path(path))
            return None
        except (ValueError, IndexError, KeyError, OverflowError):
            # PyYAML's constructors trust the resolver: they fail on an explicit tag that does not fit
            # the text (`!!int abc`, `!!bool maybe`) and on digit-less literals (`0x_`).
            shown = repr(node.value if len(node.value) <= 40 else node.value[:40] + "…")
            if is_sensitive(path):
                shown = "the value"
            self.refuse(node, f"{shown} is not a valid {_tag_name(node.tag)}", key=format_path(path))
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
            key = self._scalar(key_node, path) if isinstance(key_node, yaml.ScalarNode) else None
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
        message: str,
        line: int | None = None,
        column: int | None = None,
        tip: str | None = None,
        key: str = "",
    ) -> InputError:
        return InputError([Problem(file=file, line=line, column=column, key=key, message=message, tip=tip)])

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
        elif (quote := _unclosed_quote(exc, lines)) is not None:
            line, column, key, said = quote
            raise fail(
                f"is not valid YAML: {said}",
                line + 1,
                column + 1,
                tip="close the quote at the end of the value, on this line; text that is meant to span "
                "lines is written as a block (`key: |`)",
                key=key,
            ) from None
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
    builder = _Builder(file, text.splitlines())
    value = builder.build(node, ())
    if builder.problems:
        raise InputError(builder.problems)
    return Located(value=value, positions=builder.positions, written=builder.written, lines=builder.lines)


# A line that YAML would read as a key, or as a list item that is a mapping: `  - click: …`, `hosts: …`.
_KEY_LINE = re.compile(r"^( *)(-\s+)?([A-Za-z_][A-Za-z0-9_-]*)\s*:(?:\s|$)")


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


def _unclosed_quote(exc: yaml.MarkedYAMLError, lines: list[str]) -> tuple[int, int, str, str] | None:
    """A syntax error caused by a quote left open (`click: "#pay`): where it opened (0-based line and
    column), the key path of its value and what to say; None when no open quote explains the error.

    YAML reads an open quote on to the end of the file ("unexpected end of stream"), or to the next
    quote, after which the rest of that line makes no sense. In the second case the nearest line above
    the error that leaves a quote open is the suspect, and it is named only if closing it there makes
    the file valid.
    """
    problem = exc.problem or ""
    at_end = "quoted scalar" in (exc.context or "") and ("end of stream" in problem or "document" in problem)
    if at_end and exc.context_mark is not None:
        line, column = exc.context_mark.line, exc.context_mark.column
        if line >= len(lines) or lines[line][column : column + 1] not in ('"', "'"):
            return None
        quote = lines[line][column]
        said = f"the quote ({quote}) opened here is never closed"
    else:
        mark = exc.problem_mark or exc.context_mark
        if mark is None:
            return None
        for line in range(min(mark.line, len(lines) - 1), -1, -1):
            found = _open_quote(lines[line])
            if found is not None:
                column, quote = found
                break
        else:
            return None
        said = (
            f"the quote ({quote}) opened here is not closed on this line, so YAML read on to the next "
            f"{quote} and then found on line {mark.line + 1}: {problem.strip()}"
        )
    # Closed at the end of the line, or, inside `{…}` or `[…]`, before the next `,`, `}` or `]`.
    text = lines[line].rstrip()
    flow_end = re.compile(r"[,}\]]").search(text, column)
    path = None
    for end in [len(text), *([flow_end.start()] if flow_end else [])]:
        repaired = [*lines[:line], text[:end] + quote + text[end:], *lines[line + 1 :]]
        path = _path_on_line("\n".join(repaired), line)
        if path is not None:
            break
    if path is None and not at_end:
        return None  # closing it does not make the file valid: the quote is not the cause
    return line, column, format_path(path or ()), said


def _open_quote(line: str) -> tuple[int, str] | None:
    """Where a quoted value starts on a line without being closed on it: (column, quote), or None.
    A quote opens a value at the line's start, after `- `, `: `, `[`, `{` or `,`; inside a plain value
    (`text=it's`) it is only a character."""
    at_value = True
    i = 0
    while i < len(line):
        char = line[i]
        if char in " \t":
            i += 1
            continue
        if char == "#" and (i == 0 or line[i - 1] in " \t"):
            return None  # a comment
        if at_value and char in "\"'":
            end = _closing_quote(line, i)
            if end is None:
                return i, char
            i, at_value = end + 1, False
            continue
        after = line[i + 1 : i + 2]
        at_value = char in "[{," or (char in "-:" and after in ("", " ", "\t"))
        i += 1
    return None


def _closing_quote(line: str, start: int) -> int | None:
    """The column of the quote that closes the one at `start` (`\\"` and `''` are escapes), or None."""
    quote, i = line[start], start + 1
    while i < len(line):
        if quote == '"' and line[i] == "\\":
            i += 2
            continue
        if line[i] == quote:
            if quote == "'" and line[i + 1 : i + 2] == "'":
                i += 2
                continue
            return i
        i += 1
    return None


def _path_on_line(text: str, line: int) -> PathKey | None:
    """The deepest key path written on a (0-based) line of a document, or None when it is not valid."""
    try:
        loader = LOADER(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except (yaml.YAMLError, _Refused):
        return None
    if node is None:
        return None
    builder = _Builder("", text.splitlines())
    builder.build(node, ())
    here = [path for path, (number, _) in builder.positions.items() if number == line + 1]
    return max(here, key=len) if here else ()

"""Safe YAML loading that remembers where every value came from.

PyYAML's constructors forget positions, so we compose the node graph ourselves and build plain
Python values while recording the line and column of each key path. Along the way we refuse what
a scenario file must not contain: several documents, duplicate keys, alias expansions past a node
budget (the "billion laughs"), recursive aliases, and oversized files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from auditor.errors import InputError, Problem

MAX_BYTES = 1024 * 1024
MAX_NODES = 10_000

PathKey = tuple[str | int, ...]


@dataclass
class Located:
    """A parsed document with the position (1-based line, column) of every key path."""

    value: Any
    positions: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

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


class _Budget:
    """Counts nodes as they would be after alias expansion, without expanding them."""

    def __init__(self, file: str, limit: int):
        self.file = file
        self.limit = limit
        self.sizes: dict[int, int] = {}

    def size(self, node: yaml.Node, active: set[int]) -> int:
        key = id(node)
        if key in self.sizes:
            return self.sizes[key]
        if key in active:
            line = node.start_mark.line + 1
            raise InputError(
                [
                    Problem(
                        file=self.file,
                        line=line,
                        column=node.start_mark.column + 1,
                        key="",
                        message="an alias refers to itself (a recursive structure)",
                        tip="anchors may be reused, but not inside themselves",
                    )
                ]
            )
        active.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(self.size(child, active) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(self.size(k, active) + self.size(v, active) for k, v in node.value)
        active.discard(key)
        if total > self.limit:
            raise InputError(
                [
                    Problem(
                        file=self.file,
                        line=node.start_mark.line + 1,
                        column=node.start_mark.column + 1,
                        key="",
                        message=f"the file expands to more than {self.limit:,} YAML nodes once its aliases "
                        "are resolved",
                        tip="reuse steps with anchors sparingly; an alias of an alias multiplies the size",
                    )
                ]
            )
        self.sizes[key] = total
        return total


class _Builder:
    """Builds plain values from nodes, recording positions and refusing duplicate keys."""

    def __init__(self, file: str):
        self.file = file
        self.loader = yaml.SafeLoader("")
        self.positions: dict[PathKey, tuple[int, int]] = {}
        self.problems: list[Problem] = []

    def build(self, node: yaml.Node, path: PathKey) -> Any:
        self.positions.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, (*path, i)) for i, child in enumerate(node.value)]
        return self._scalar(node)

    def _scalar(self, node: yaml.Node) -> Any:
        if node.tag in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:binary"):
            return node.value  # keep dates as the text the author wrote
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            self.problems.append(
                Problem(
                    file=self.file,
                    line=node.start_mark.line + 1,
                    column=node.start_mark.column + 1,
                    key="",
                    message=str(exc.problem or exc),
                )
            )
            return None

    def _pairs(self, node: yaml.MappingNode) -> list[tuple[yaml.Node, yaml.Node, bool]]:
        """Key/value nodes, with `<<` merge keys expanded (merged ones flagged)."""
        own: list[tuple[yaml.Node, yaml.Node, bool]] = []
        merged: list[tuple[yaml.Node, yaml.Node, bool]] = []
        for key, value in node.value:
            if key.tag == "tag:yaml.org,2002:merge":
                sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
                for source in sources:
                    if not isinstance(source, yaml.MappingNode):
                        self.problems.append(
                            Problem(
                                file=self.file,
                                line=source.start_mark.line + 1,
                                column=source.start_mark.column + 1,
                                key="<<",
                                message="a merge key (<<) needs a mapping to merge",
                            )
                        )
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
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        message = (exc.problem or str(exc)).strip()
        if "expected a single document" in str(exc):
            message = "the file holds more than one YAML document"
            tip = "one scenario per file: remove the `---` separator or split the file"
        else:
            tip = "check the indentation and the quoting around this line"
        raise fail(
            f"is not valid YAML: {message}",
            mark.line + 1 if mark else None,
            mark.column + 1 if mark else None,
            tip=tip,
        ) from None
    except yaml.YAMLError as exc:
        raise fail(f"is not valid YAML: {exc}") from None
    except RecursionError:
        raise fail("nests too deeply to be a scenario") from None
    if node is None:
        raise fail("is empty", tip="a scenario needs at least `name:` and `steps:`")
    try:
        _Budget(file, max_nodes).size(node, set())
        builder = _Builder(file)
        value = builder.build(node, ())
    except RecursionError:
        raise fail("nests too deeply to be a scenario") from None
    if builder.problems:
        raise InputError(builder.problems)
    return Located(value=value, positions=builder.positions)

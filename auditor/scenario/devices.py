"""Playwright's device names (`browser.device`), read from the files of its driver without starting it.

`playwright.devices` needs a running driver (a Node.js process): too much for `validate`. The same
list ships inside the playwright package: as `deviceDescriptorsSource.json` in older drivers, bundled
into the driver's JavaScript in newer ones. Both are read here; when neither can be found or read, the
answer is None and the name is checked when the browser starts instead.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

_SOURCE = "deviceDescriptorsSource"
_ASSIGNMENT = re.compile(r"deviceDescriptorsSource\w*\s*=\s*\{")
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")
_FEWEST = 20  # a list this short is a misreading, not Playwright's (which has over a hundred)


def driver_package() -> Path | None:
    """The folder of the driver shipped inside the playwright package, if it is installed."""
    try:
        import playwright
    except ImportError:
        return None
    folder = Path(playwright.__file__).parent / "driver" / "package"
    return folder if folder.is_dir() else None


@functools.lru_cache(maxsize=1)
def device_names() -> frozenset[str] | None:
    """Every Playwright device name, or None when the list cannot be read."""
    package = driver_package()
    if package is None:
        return None
    try:
        names = _from_json(package) or _from_bundle(package)
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    return names if names is not None and len(names) >= _FEWEST else None


def _from_json(package: Path) -> frozenset[str] | None:
    for candidate in package.rglob(f"{_SOURCE}.json"):
        data = json.loads(candidate.read_text(encoding="utf-8"))
        if isinstance(data, dict):
            return frozenset(str(k) for k in data)
    return None


def _from_bundle(package: Path) -> frozenset[str] | None:
    lib = package / "lib"
    for script in sorted(lib.rglob("*.js")) if lib.is_dir() else []:
        text = script.read_text(encoding="utf-8", errors="replace")
        if f"{_SOURCE}.json" not in text:
            continue
        match = _ASSIGNMENT.search(text, text.index(f"{_SOURCE}.json"))
        if match:
            return frozenset(object_keys(text, match.end() - 1))
    return None


_TOKEN = re.compile(r""""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[{}\[\](),:]|[A-Za-z_$][\w$]*""")


def object_keys(text: str, start: int) -> list[str]:
    """The top-level keys of the JavaScript object literal whose `{` is at `start`."""
    keys: list[str] = []
    depth = 0
    previous = ""  # the token before the current one, at any depth
    candidate: str | None = None  # a string or name at depth 1 that may be followed by ":"
    for token in _TOKEN.finditer(text, start):
        word = token.group()
        if word in "{[(":
            depth += 1
        elif word in "}])":
            depth -= 1
            if depth == 0:
                return keys
        elif word == ":" and depth == 1 and candidate is not None:
            keys.append(candidate)
        candidate = None
        if depth == 1 and previous in ("{", ",") and word not in "{[(,":
            if word[0] == '"':
                candidate = json.loads(word)
            elif word[0] == "'":
                candidate = word[1:-1]
            elif word[0] not in "}])":
                candidate = word
        previous = word
    raise ValueError("the device list never ends")

"""What the loader says about a pydantic error: one formatter per error type, and the tips.

`explain` looks the error's type up in FORMATTERS; each formatter turns the error (its input, its context,
where it is) into a message and, where one helps, a tip. Values that must never be shown (secrets, the
Connectif API key) are masked before any formatter sees them.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from auditor.connectif.tag import PURCHASE_FIELDS
from auditor.masking import MASK
from auditor.scenario.model import ITEM_FIELDS, scheme_mistake
from auditor.scenario.yamlload import PathKey, is_sensitive

# The three keys named `hosts`, said whenever one is confused with another.
HOSTS_KEYS = (
    "three keys are named hosts: the top-level `hosts` maps host names to IP addresses for the browser "
    "(`hosts: {shop.test: 127.0.0.1}`, like /etc/hosts); `pay.hosts` lists the payment platform's host "
    "names (`hosts: [pay.example.com]`); `connectif.hosts` lists extra host patterns for Connectif's "
    "script and tracking requests"
)


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The known name closest to a misspelt one, or None when nothing is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def suggest(word: str, choices: Iterable[str]) -> str | None:
    """A "did you mean …?" tip for a misspelt name, or None when nothing is close."""
    close = closest(word, choices)
    return f"did you mean {close!r}?" if close is not None else None


def describe(value: Any) -> str:
    """A value as a person would name it: `a number (3)`, `a list`, `nothing (null)`."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        if value == MASK:
            return "text (•••)"
        return f"text ({value!r})" if len(value) < 40 else "text"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


@dataclass(frozen=True, kw_only=True)
class Error:
    """One pydantic error, with the key path the author wrote."""

    kind: str
    path: PathKey
    input: Any
    context: dict[str, Any]
    text: str  # pydantic's own message (or the validator's)
    allowed: Callable[[], list[str]]  # the keys allowed beside the offending one, for "did you mean"

    @property
    def key(self) -> str:
        return str(self.path[-1]) if self.path else ""

    @property
    def at(self) -> PathKey:
        """The path without list indexes: `('steps', 'pay', 'hosts')` for `steps[2].pay.hosts`."""
        return tuple(p for p in self.path if isinstance(p, str))


Explained = tuple[str, str | None]
Formatter = Callable[[Error], Explained]


def _missing(error: Error) -> Explained:
    return f"required key {error.key!r} is missing", None


def _unknown_key(error: Error) -> Explained:
    allowed = error.allowed()
    tip = suggest(error.key, allowed) if allowed else None
    if tip is None and allowed:
        tip = "allowed here: " + ", ".join(sorted(allowed))
    return f"unknown key {error.key!r}", tip


def _choice(error: Error) -> Explained:
    expected = str(error.context.get("expected", ""))
    choices = re.findall(r"'([^']*)'", expected)
    given = error.input
    tip = suggest(given, choices) if isinstance(given, str) else None
    return f"expected {expected}, got {given!r}", tip


# Tips for validators' messages, found by the message's start.
_VALUE_TIPS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str | None]]] = [
    (
        re.compile(r"cn_purchase has no field '(.+)'"),
        lambda m: (
            suggest(m.group(1), [*PURCHASE_FIELDS, "products", "items"])
            or "fields: " + ", ".join([*PURCHASE_FIELDS, "products", "items"])
        ),
    ),
    (
        re.compile(r"a basket item has no field '(.+)'"),
        lambda m: suggest(m.group(1), ITEM_FIELDS) or "item fields: " + ", ".join(ITEM_FIELDS),
    ),
]


def _value(error: Error) -> Explained:
    message = str(error.context.get("error", error.text))
    for pattern, tip in _VALUE_TIPS:
        match = pattern.match(message)
        if match:
            return message, tip(match)
    if isinstance(error.input, str) and re.search(r"not an http\(s\) URL|a misspelt scheme", message):
        meant = scheme_mistake(error.input)  # `htps://`, `ttps://`, `http:/`
        if meant is None and "goto" in message:
            return (
                message,
                "write an http(s) URL (https://shop.example/cart) or a path under base_url (/cart)",
            )
        return message, f"did you mean {meant!r}?" if meant else None
    return message, None


_WITH_PORT = re.compile(r"\s*(?:\[(?P<v6>[0-9a-fA-F:]+)\]|(?P<v4>[0-9.]+)):(?P<port>[0-9]{1,5})\s*")


def _host_ip(error: Error) -> Explained | None:
    """`shop.test: 127.0.0.1:8000`: the port belongs in base_url."""
    if len(error.path) != 2 or error.path[0] != "hosts" or not isinstance(error.input, str):
        return None
    match = _WITH_PORT.fullmatch(error.input)
    if not match:
        return None
    ip = match.group("v4") or match.group("v6")
    host, port = error.path[1], match.group("port")
    return (
        f"{error.input.strip()!r} is an IP address with a port; `hosts` maps names to addresses only",
        f"write `{host}: {ip}` and put the port in base_url (http://{host}:{port}/)",
    )


# What to write in a section left empty (`steps:` with nothing under it, `steps: []`), by its path
# without list indexes; other sections get a general tip.
_EMPTY_TIPS: dict[PathKey, str] = {
    ("steps",): "a scenario needs at least one step: list them under `steps:`, indented, each starting "
    "with `- ` (`  - goto: /product/…`)",
    ("steps", "pay", "hosts"): "list the payment platform's host names: `hosts: [pay.example.com]`",
    ("steps", "pay", "steps"): "list what the customer does on the payment platform under it "
    '(`- click: "#authorise"`), or remove `steps:` when they do nothing there',
    ("expect",): "indent its keys under `expect:` (`  confirmation_url: …`), or remove it: without "
    "expect, every default applies",
    ("expect", "cn_purchase"): "indent the expected fields under it (`purchase_id: …`), or write "
    "`cn_purchase: present` (the default) or `absent`",
}
# The errors of a value that should have been a mapping or a list.
SECTION_KINDS = frozenset({"dict_type", "model_type", "model_attributes_type", "list_type", "tuple_type"})


def empty_section(path: PathKey, kinds: set[str]) -> Explained:
    """A mapping or list key with nothing after it (`vars:`, `steps:`): YAML reads it as null, which
    pydantic calls the wrong type; this says what was left out instead."""
    at = tuple(p for p in path if isinstance(p, str))
    if not path or isinstance(path[-1], int):
        return "this item is empty (nothing follows its `-`)", "write the item, or remove the line"
    key = str(path[-1])
    tip = _EMPTY_TIPS.get(at)
    if tip is None and kinds <= {"list_type", "tuple_type"}:
        tip = f"list its items under `{key}:`, indented, each starting with `- ` (or write `[a, b]`); "
        tip += "or remove the line"
    elif tip is None:
        tip = f"indent its keys under `{key}:` (`  name: value`), or remove the line"
    return f"{key} is empty: nothing follows `{key}:`", tip


# What follows an action's key in its short form (`- goto: /cart`), for a step that has nothing there.
_SHORT_FORMS = {
    "goto": ("the URL or path to open", "/product/…"),
    "screenshot": ("the screenshot's name", "basket"),
    "wait_for": ("the selector to wait for", '".order-number"'),
}


def empty_action(action: str) -> Explained:
    """`- goto:` with nothing after it: YAML reads null, which the model would call "not text"."""
    what, example = _SHORT_FORMS.get(action, ("the element's selector", '"#buy"'))
    return (
        f"{action} is empty: nothing follows `{action}:`",
        f"write {what} after it (`- {action}: {example}`), or remove the step",
    )


def _empty(error: Error) -> Explained:
    if error.kind != "too_short":
        return "must not be empty", None
    tip = _EMPTY_TIPS.get(error.at)
    if tip is None and len(error.at) == 2 and error.at[0] == "matrix":
        # `card: []` makes no combination at all, so nothing of the file would run.
        tip = f"give it at least one value (`{error.key}: [a, b]`), or remove {error.key} from the matrix"
    return "must not be empty", tip


def _bad_name(error: Error) -> Explained:
    return (
        f"{error.input!r} is not a valid name",
        "names start with a letter or _ and hold letters, digits and _",
    )


def _mapping(error: Error) -> Explained:
    if error.at == ("hosts",) and isinstance(error.input, list | tuple):
        return "the top-level hosts is a mapping of host name → IP address, got a list", HOSTS_KEYS
    return f"expected a mapping (key: value), got {describe(error.input)}", None


def _list(error: Error) -> Explained:
    if error.at in (("steps", "pay", "hosts"), ("connectif", "hosts")) and isinstance(error.input, dict):
        return f"{'.'.join(error.at[-2:])} is a list of host names, got a mapping", HOSTS_KEYS
    return f"expected a list, got {describe(error.input)}", "write a YAML list: [a, b] or `- a`"


def _bool(error: Error) -> Explained:
    return f"expected true or false, got {error.input!r}", None


def _whole_number(error: Error) -> Explained:
    return f"expected a whole number, got {error.input!r}", None


def _number(error: Error) -> Explained:
    return f"expected a number, got {describe(error.input)}", None


def _text(error: Error) -> Explained:
    return f"expected text, got {describe(error.input)}", None


def _number_at_least(error: Error) -> Explained:
    return f"must be at least {error.context.get('ge')}, got {error.input!r}", None


def _number_at_most(error: Error) -> Explained:
    return f"must be at most {error.context.get('le')}, got {error.input!r}", None


def _step_kind(error: Error) -> Explained:
    return f"unknown action {error.context.get('tag')!r}", None


FORMATTERS: dict[str, Formatter] = {
    "missing": _missing,
    "extra_forbidden": _unknown_key,
    "literal_error": _choice,
    "enum": _choice,
    "value_error": _value,
    "assertion_error": _value,
    "too_short": _empty,
    "string_too_short": _empty,
    "string_pattern_mismatch": _bad_name,
    "dict_type": _mapping,
    "model_type": _mapping,
    "model_attributes_type": _mapping,
    "list_type": _list,
    "tuple_type": _list,
    "bool_type": _bool,
    "bool_parsing": _bool,
    "int_type": _whole_number,
    "int_parsing": _whole_number,
    "int_from_float": _whole_number,
    "string_type": _text,
    "float_type": _number,
    "float_parsing": _number,
    "greater_than_equal": _number_at_least,
    "less_than_equal": _number_at_most,
    "union_tag_invalid": _step_kind,
}
# Formatters for one place, tried before the table (None: not this case).
SPECIAL: list[Callable[[Error], Explained | None]] = [_host_ip]


def explain(error: Error) -> Explained:
    """The message and tip for one error; a sensitive input never appears in either."""
    if is_sensitive(error.path) and error.input not in (None, ""):
        shown = error.input
        error = Error(
            kind=error.kind,
            path=error.path,
            input=MASK,
            context={k: _mask_in(v, shown) for k, v in error.context.items()},
            text=_mask_in(error.text, shown),
            allowed=error.allowed,
        )
    for special in SPECIAL:
        found = special(error)
        if found is not None:
            return found
    formatter = FORMATTERS.get(error.kind)
    return formatter(error) if formatter is not None else (error.text, None)


def _mask_in(value: Any, secret: Any) -> Any:
    """A message with a secret's text (and its repr) replaced by the mask."""
    text = str(value)
    for form in sorted({str(secret), repr(secret)}, key=len, reverse=True):
        if form:
            text = text.replace(form, MASK)
    return text if isinstance(value, str) or text != str(value) else value

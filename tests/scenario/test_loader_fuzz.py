"""Hostile scenario files (issue 7): property-based fuzzing of the scenario loader.

Whatever a file holds, `load_scenario` returns a Scenario or raises InputError whose every problem
names the file and says something: never another exception, never a hang. The inputs come from three
sources: arbitrary bytes and text; documents built from the scenario language's keys and actions, then
mutated (misspelt keys, wrong types, missing keys, anchors and aliases, merge keys, tags, duplicate keys,
several documents, deep nesting, odd `${ENV}` and `{{name}}` references); and alias bombs. Bytes and
documents also go through PyYAML's pure-Python parser, the loader's fallback when PyYAML lacks libyaml.
A few examples go through `checkout-auditor validate`.

Examples are derandomised, so every run tries the same inputs. A watchdog interrupts a load that runs
far longer than any load should (WATCHDOG_S), so a hang or a runaway (quadratic) parse fails instead of
stalling; how fast loads are is not asserted here (no timed unit tests: speed belongs to benchmarks).
The inputs that once crashed or stalled the loader are kept below as plain regression tests.
"""

from __future__ import annotations

import contextlib
import json
import re
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from click.testing import CliRunner
from hypothesis import event, given, settings
from hypothesis import strategies as st

from auditor.cli.main import cli
from auditor.errors import InputError
from auditor.scenario import yamlload
from auditor.scenario.load import MAX_PROBLEMS, load_scenario
from auditor.scenario.model import ACTIONS, STEP_MODIFIERS, Scenario

# A load still running after this is a hang: interrupt it. Loads take milliseconds with libyaml and
# ~0.4 s for 10,000 nodes with PyYAML's own parser; the margin is for a loaded CI machine.
WATCHDOG_S = 20.0
ENV = {"SHOP_URL": "http://shop.test:8000", "CARD": "4548812049400004", "EMPTY": ""}
FUZZ = settings(
    deadline=None,  # the watchdog catches hangs; timing a machine's load is not a test
    derandomize=True,  # the same examples on every run: CI is deterministic
    database=None,
    print_blob=True,
)

LOADERS: dict[str, type[Any]] = {"pure-python": yamlload.PythonLoader}
if hasattr(yamlload, "LibyamlLoader"):
    LOADERS["libyaml"] = yamlload.LibyamlLoader

VALID = b"""\
name: A card payment returns to the shop
base_url: ${SHOP_URL}
vars:
  email: audit+{{run_id}}@example.com
steps:
  - goto: /cart
  - fill: {selector: "#email", value: "{{email}}"}
  - pay:
      hosts: [pay.test]
      submit: "#pay"
      steps:
        - fill: {selector: "#card", value: "${CARD}"}
  - capture: {name: order_id, selector: ".order-number"}
expect:
  cn_purchase: {purchase_id: "{{order_id}}", products: 1}
"""
HEAD = "name: x\nbase_url: http://a.test/\nsteps: [{goto: /}]\n"


# ---------------------------------------------------------------- the property


class Hang(Exception):
    """A load that ran past the watchdog."""


@contextlib.contextmanager
def watchdog(seconds: float) -> Iterator[None]:
    """Interrupt the block after `seconds` (POSIX, main thread; elsewhere the timing assertion remains)."""
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(signum: int, frame: Any) -> None:
        raise Hang(f"still loading after {seconds}s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def check_load(path: Path, data: bytes, loader: type[Any] | None = None) -> Scenario | InputError:
    """The property: a Scenario, or an InputError whose every problem names the file and says something."""
    loader = loader or yamlload.LOADER
    path.write_bytes(data)
    with watchdog(WATCHDOG_S), mock.patch.object(yamlload, "LOADER", loader):
        try:
            outcome: Scenario | InputError = load_scenario(path, env=ENV)
        except InputError as exc:
            outcome = exc
    if isinstance(outcome, InputError):
        assert 1 <= len(outcome.problems) <= MAX_PROBLEMS + 1
        for problem in outcome.problems:
            assert problem.message.strip(), problem
            assert problem.file == str(path), problem
            assert path.name in problem.render()
        assert path.name in outcome.render()
    else:
        assert isinstance(outcome, Scenario)
    return outcome


def record(outcome: Scenario | InputError) -> None:
    """Count outcomes by kind (`pytest --hypothesis-show-statistics`): how deep the inputs get."""
    if isinstance(outcome, Scenario):
        event("a valid scenario")
    else:
        message = outcome.problems[0].message
        event("refused: " + re.sub(r"'[^']*'|\"[^\"]*\"|[0-9][0-9,]*|\{\{.*\}\}", "…", message)[:50])


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "fuzzed.yaml"


# ---------------------------------------------------------------- (a) bytes and text

# Characters that are valid UTF-8 but odd in YAML, and byte sequences that are not UTF-8 at all.
ODD_CHARACTERS = [
    b"\xef\xbb\xbf",  # BOM
    b"\x00",
    b"\x01",
    b"\x07",
    b"\x7f",
    b"\x1b[31m",
    b"\r\n",
    b"\r",
    b"\t",
    b"\x0c",
    b"\xc2\x85",  # NEL, a YAML line break
    b"\xe2\x80\xa8",  # LINE SEPARATOR
    b"\xef\xbf\xbe",  # U+FFFE, not allowed in YAML
    b"\xf0\x9f\x98\x80",  # an emoji
]
NOT_UTF8 = [
    b"\xff\xfe",  # UTF-16 LE BOM
    b"\xfe\xff",  # UTF-16 BE BOM
    b"\xc0\xaf",  # overlong encoding
    b"\xed\xa0\x80",  # an encoded surrogate
    b"\xf4\x90\x80\x80",  # past U+10FFFF
    b"\xff",
    b"\xe9",  # Latin-1 é
    b"\xe2\x80",  # truncated
]
YAML_BITS = [
    b"---\n",
    b"--- ",
    b"...\n",
    b"%YAML 1.1\n",
    b"%YAML 2.0\n",
    b"%TAG !e! tag:example.com,2000:\n",
    b"&a ",
    b"*a ",
    b"*nowhere ",
    b"<<: ",
    b"? ",
    b": ",
    b"- ",
    b"[",
    b"]",
    b"{",
    b"}",
    b", ",
    b"'",
    b'"',
    b"|\n",
    b">-\n",
    b"# ",
    b"!!python/object/apply:os.system ",
    b"!!binary ",
    b"!!timestamp ",
    b"!!int ",
    b"!!bool ",
    b"!e!x ",
    b"!<tag:yaml.org,2002:str> ",
    b"@",
    b"`",
    b"\\",
    b'"\\UFFFFFFFF"',
    b'"\\ud800"',
    b'"\\x00"',
    b"${",
    b"${SHOP_URL}",
    b"{{",
    b"}}",
    b"\n  ",
    b"\n",
    b"name: x\n",
    b"steps:\n",
    b"  - goto: /\n",
]
# One unit, repeated into a very long line.
LINE_UNITS = [b"a", b" ", b"[", b"{", b"- ", b"${", b"{{ ", b"9", b"1:", b"&a ", b"\\", b"#", b"\n", b"'"]


def raw_inputs(max_repeat: int) -> st.SearchStrategy[bytes]:
    """Random bytes; text in several encodings; and YAML fragments, odd characters and a very long line
    between the halves of a valid scenario."""
    text = st.builds(
        lambda t, codec: t.encode(codec, errors="surrogatepass" if codec.startswith("utf") else "replace"),
        st.text(st.characters(exclude_categories=()), max_size=200),
        st.sampled_from(["utf-8", "utf-8", "utf-16", "utf-32", "latin-1"]),
    )
    chunks = st.lists(
        st.one_of(
            st.sampled_from(YAML_BITS), st.sampled_from(ODD_CHARACTERS), st.text(max_size=16).map(str.encode)
        ),
        max_size=30,
    ).map(b"".join)
    long_line = st.builds(lambda unit, n: unit * n, st.sampled_from(LINE_UNITS), st.integers(1, max_repeat))
    spliced = st.builds(
        lambda head, middle, line, bad, tail: head + middle + line + bad + tail,
        st.sampled_from([VALID, VALID[:200], b""]),
        chunks,
        st.one_of(st.just(b""), long_line),
        st.one_of(st.just(b""), st.just(b""), st.just(b""), st.sampled_from(NOT_UTF8)),
        st.sampled_from([b"", VALID[200:], VALID]),
    )
    return st.one_of(spliced, spliced, text, st.binary(max_size=300))


@settings(FUZZ, max_examples=250)
@given(data=raw_inputs(max_repeat=100_000))
def test_arbitrary_bytes_load_or_are_refused(scenario_file: Path, data: bytes) -> None:
    record(check_load(scenario_file, data))


@settings(FUZZ, max_examples=80, deadline=None)
@given(data=raw_inputs(max_repeat=10_000))
def test_arbitrary_bytes_with_the_pure_python_parser(scenario_file: Path, data: bytes) -> None:
    record(check_load(scenario_file, data, yamlload.PythonLoader))


def test_the_seed_scenario_loads(scenario_file: Path) -> None:
    assert isinstance(check_load(scenario_file, VALID), Scenario)


# ---------------------------------------------------------------- (b) documents from the language


def mostly(valid: list[Any], odd: list[Any]) -> st.SearchStrategy[Any]:
    """A valid value nine times in ten, else an odd one; shrinks towards the first valid value."""
    return st.sampled_from(valid * 9 * len(odd) + odd * len(valid))


ENV_REFS = [
    "${SHOP_URL}",
    "${SHOP_URL:-http://x.test/}",
    "${UNSET_FUZZ_VAR}",
    "${UNSET_FUZZ_VAR:-}",
    "${EMPTY}",
    "${EMPTY:-default}",
    "$${LITERAL}",
    "${}",
    "${1A}",
    "${A-B}",
    "${ SHOP_URL }",
    "${A:-${B}}",
    "${CARD:-{{x}}}",
    "${É}",
    "${" + "A" * 300 + "}",
    "${",
    "$",
    "$$",
]
NAME_REFS = [
    "{{email}}",
    "{{ run_id }}",
    "{{random}}",
    "{{order_id}}",
    "{{}}",
    "{{a b}}",
    "{{1x}}",
    "{{{x}}}",
    "{{x}",
    "{{ " + " " * 500 + "}}",
    "{{é}}",
    "{{__class__}}",
    "{{x.y}}",
    "{{${CARD}}}",
    "{{emial}}",
]
PLAIN_TEXTS = st.one_of(
    st.sampled_from(["Pay", "text=Volver", "12,50", "€12.50", "Jos\u00e9", "a" * 200, "{{run_id}}"]),
    st.text(max_size=30),
)
REFERENCES = st.one_of(
    st.sampled_from(ENV_REFS + NAME_REFS),
    st.lists(st.sampled_from(["x", " ", *ENV_REFS, *NAME_REFS]), max_size=4).map("".join),
)
TEXTS: st.SearchStrategy[str] = st.one_of(PLAIN_TEXTS, PLAIN_TEXTS, PLAIN_TEXTS, REFERENCES)
ODD_SCALARS: list[Any] = [
    None,
    True,
    False,
    0,
    -1,
    2**64,
    1.5,
    float("nan"),
    float("inf"),
    "",
    " ",
    "~",
    "null",
    "yes",
    "off",
    "0123",
    "0x1F",
    "0b_",
    "1:30",
    "1_000",
    "._",
    ".inf",
    "2024-01-01",
    "2024-01-01T10:00:00Z",
    "9" * 400,
    "1" + ":1" * 200,
    "1 \x1c s",
    "a\nb",
    "\t",
    "\x00",
    "\u2028",
    "[/]",
    "<<",
    "&a",
    "*a",
    "!!str",
    "# not a comment",
]
ODD_VALUES: st.SearchStrategy[Any] = st.recursive(
    st.one_of(st.sampled_from(ODD_SCALARS), TEXTS, st.integers(), st.floats()),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)
TAGS = [
    "!!python/object:os.system",
    "!!python/object/apply:os.system",
    "!!python/name:os.system",
    "!!binary",
    "!!timestamp",
    "!!int",
    "!!float",
    "!!bool",
    "!!str",
    "!!null",
    "!!set",
    "!!omap",
    "!!pairs",
    "!!map",
    "!!seq",
    "!!merge",
    "!local",
    "!",
    "!<tag:yaml.org,2002:str>",
]

selectors = mostly(
    ["#pay", "text=Pay now", "role=button[name='OK']", "iframe >> nth=0"], ["{{order_id}}", ""]
)
durations = mostly(
    ["500ms", "10s", "2m", "1h", "24h", "0s", "1.5s", " 10 s "],
    ["25h", "10", "ten seconds", "-1s", "9" * 400 + "h"],
)
hosts = mostly(["pay.test", "*.bank.test", "PAY.TEST", "xn--p1ai"], ["https://pay.test/x", "", "a..b"])
ips = mostly(["127.0.0.1", "::1", "10.0.0.1"], ["localhost", "999.1.1.1"])
words = mostly(["email", "card", "order_id", "_x", "total"], ["1x", "a b", "é", ""])
bools = mostly([True, False], ["yes", "1"])

FIELDS: dict[str, st.SearchStrategy[Any]] = {
    "selector": selectors,
    "url": mostly(["/", "/cart", "cart", "**/checkout", "http://shop.test/", "${SHOP_URL}/x"], [""]),
    "wait_until": mostly(["load", "domcontentloaded", "networkidle", "commit"], ["idle"]),
    "frame": st.one_of(selectors, st.lists(selectors, max_size=3)),
    "timeout": durations,
    "optional": bools,
    "value": TEXTS,
    "label": TEXTS,
    "key": mostly(["Enter", "Tab", "Control+A"], [""]),
    "text": TEXTS,
    "name": words,
    "attribute": mostly(["data-ref", "href"], [""]),
    "pattern": mostly(
        ["[0-9]+[.,][0-9]{2}", "#([0-9]+)"], ["[0-9", "a{4294967296}", "(" * 300 + ")" * 300, "(?L)a"]
    ),
    "full_page": bools,
    "provider": TEXTS,
    "submit": st.one_of(selectors, st.fixed_dictionaries({"selector": selectors})),
    "hosts": st.lists(hosts, min_size=1, max_size=3),
    "popup": bools,
    "return": st.fixed_dictionaries({}, optional={"timeout": durations, "click": selectors}),
}


def step(nested: bool) -> st.SearchStrategy[dict[str, Any]]:
    """One step: an action in its short or long form, with arguments drawn from its model's fields."""
    actions = [a for a in ACTIONS if a != "pay" or not nested]

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        action = draw(st.sampled_from(actions))
        model, short_key = ACTIONS[action]
        if short_key and draw(st.booleans()):
            result: dict[str, Any] = {action: draw(FIELDS.get(short_key, TEXTS))}
        else:
            args = {}
            for name, field in model.model_fields.items():
                key = field.alias or name
                if field.is_required() or draw(st.integers(0, 3)) == 3:
                    if key == "steps":
                        args[key] = draw(st.lists(step(nested=True), max_size=3))
                    else:
                        args[key] = draw(FIELDS.get(key, TEXTS))
            result = {action: args}
        for modifier in STEP_MODIFIERS:
            if draw(st.integers(0, 19)) == 19:
                result[modifier] = draw(FIELDS[modifier])
        return result

    return build()


scenario_trees = st.fixed_dictionaries(
    {
        "name": TEXTS,
        "base_url": mostly(["${SHOP_URL}", "http://shop.test/"], ["shop.test", "${UNSET_FUZZ_VAR}"]),
        "steps": st.lists(step(nested=False), min_size=1, max_size=5),
    },
    optional={
        "description": TEXTS,
        "tags": st.lists(TEXTS, max_size=3),
        "hosts": st.dictionaries(hosts, ips, max_size=3),
        "allow_hosts": st.lists(hosts, max_size=2),
        "timeouts": st.fixed_dictionaries(
            {}, optional={k: durations for k in ("step", "navigation", "tracking", "scenario")}
        ),
        "vars": st.dictionaries(words, TEXTS, max_size=3),
        "secrets": st.dictionaries(words, TEXTS, max_size=2),
        "browser": st.fixed_dictionaries(
            {},
            optional={
                "viewport": st.fixed_dictionaries(
                    {"width": st.integers(-1, 20_000), "height": mostly([800], [199, "800", 1e400])}
                ),
                "locale": TEXTS,
                "device": mostly(["Pixel 7"], [""]),
                "ignore_https_errors": bools,
            },
        ),
        "connectif": st.fixed_dictionaries(
            {},
            optional={
                "mode": mostly(["observe", "intercept"], ["block"]),
                "hosts": st.lists(hosts),
                "api": st.fixed_dictionaries(
                    {"key": mostly(["${CARD}", "kid:secret"], [1234, ""])},
                    optional={"url": mostly(["https://api.connectif.cloud"], ["api"]), "wait": durations},
                ),
            },
        ),
        # up to 3 x 3 x 3 combinations, values that are scalars or mappings, include and exclude
        "matrix": st.dictionaries(
            mostly(["card", "device", "exclude", "include"], ["run_id", "email", "a-b"]),
            st.lists(
                st.one_of(
                    TEXTS,
                    st.integers(-1, 3),
                    st.fixed_dictionaries({"label": TEXTS}, optional={"number": TEXTS}),
                    st.dictionaries(words, st.one_of(TEXTS, st.lists(TEXTS, max_size=2)), max_size=2),
                ),
                max_size=3,
            ),
            max_size=3,
        ),
        "expect": st.fixed_dictionaries(
            {},
            optional={
                "confirmation_url": mostly(["**/order/confirmation/**", "re:/order/[0-9]+"], ["re:(", ""]),
                "return": mostly(["automatic", "manual-allowed"], ["manual"]),
                "cn_purchase": st.one_of(
                    mostly(["present", "absent"], ["missing"]),
                    st.dictionaries(
                        mostly(["purchase_id", "total_price", "products", "items"], ["purchaseid", "x]y"]),
                        st.one_of(
                            TEXTS,
                            st.integers(-2, 3),
                            st.floats(),
                            st.lists(
                                st.dictionaries(
                                    mostly(["product_id", "quantity", "price"], ["prodcut_id"]),
                                    st.one_of(TEXTS, st.integers(0, 3), st.lists(TEXTS, max_size=1)),
                                    max_size=3,
                                ),
                                max_size=2,
                            ),
                        ),
                        max_size=3,
                    ),
                ),
                "connectif": st.fixed_dictionaries(
                    {},
                    optional={
                        "script": mostly(["required", "optional", "absent"], ["requried"]),
                        "purchase_sent": mostly(["required", "absent"], [None]),
                        "purchase_recorded": mostly(["required", "optional", "absent"], [None, "yes"]),
                        "duplicates": mostly(["warn", "fail"], ["error"]),
                        "contact": mostly(["required", "optional"], ["absent"]),
                        "contact_email": TEXTS,
                    },
                ),
                "purchase_id": mostly(["{{order_id}}", "ORD-1"], [12, ""]),
            },
        ),
    },
)

PLAIN = re.compile(r"[A-Za-z_/.][A-Za-z0-9_./=+-]*( [A-Za-z0-9_./=+-]+)*")


def weighted(*options: tuple[str, int]) -> st.SearchStrategy[str]:
    """One of the options, as often as its weight says; shrinks towards the first (no mutation)."""
    return st.sampled_from([name for name, weight in options for _ in range(weight)])


# One draw per decision keeps generation fast.
NODE_OPS = weighted(
    ("plain", 898), ("anchor", 50), ("tag", 15), ("anchor+tag", 5), ("alias", 30), ("bad alias", 2)
)
MAP_OPS = weighted(("keep", 91), ("delete", 3), ("duplicate", 2), ("unknown", 2), ("merge", 2))
PAIR_OPS = weighted(("keep", 95), ("misspell", 1), ("retype", 2), ("deepen", 1), ("odd key", 1))
SCALAR_STYLES = st.sampled_from(["plain", "single", "double", "double-ascii"])
DOC_OPS = weighted(("keep", 80), ("documents", 5), ("directive", 3), ("line", 8), ("crlf", 2), ("bom", 2))
ODD_KEYS = st.sampled_from(
    [
        "1",
        "null",
        "~",
        "true",
        "[a, b]",
        "{a: b}",
        '"st\\u0065ps"',
        "!!binary aGk=",
        "2024-01-01",
        "0x1F",
        ".nan",
        "*a0",
        "&k0 kk",
        "!!python/name:os.system x",
    ]
)
ODD_MERGES = st.sampled_from(["{x: 1}", "[{a: 1}, {b: 2}]", "[]", "x", "*nowhere", "[x]"])
UNKNOWN_KEYS = st.sampled_from(["stpes", "x_common", "Name", "on", "selector"])
MISSPELLINGS = st.sampled_from(["drop", "double", "swap", "upper", "space"])
NULLS = st.sampled_from(["null", "~", "''"])


def double_quoted(text: str, ascii_only: bool) -> str:
    """`text` as a YAML double-quoted scalar, escaping what is not printable (and non-ASCII if asked)."""
    out = []
    for char in text:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif char.isprintable() and (code < 0x7F or not ascii_only):
            out.append(char)
        elif code <= 0xFF:
            out.append(f"\\x{code:02x}")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return '"' + "".join(out) + '"'


class Raw(str):
    """YAML text written as it is."""


class Emitter:
    """Writes a value tree as YAML text, drawing mutations as it goes: misspelt, deleted, duplicated and
    unknown keys, values of the wrong type, anchors and aliases (also recursive and undefined ones),
    merge keys, tags, odd keys, block or flow style, and nesting far past what a scenario needs."""

    def __init__(self, draw: st.DrawFn):
        self.draw = draw
        self.open: list[str] = []  # anchors of the nodes being written
        self.done: list[str] = []  # anchors of nodes written: aliases to them are fine

    def document(self, tree: Any) -> str:
        if isinstance(tree, dict) and tree:
            return "\n".join(self.block(tree, 0)) + "\n"
        return self.node(tree) + "\n"

    def start(self) -> tuple[str, str | None, bool]:
        """What to write before a node, its anchor, and whether that text is an alias replacing it."""
        op = self.draw(NODE_OPS)
        if op == "alias" and self.done:
            return "*" + self.draw(st.sampled_from(self.done)), None, True
        if op == "bad alias":  # to no anchor, or to one still open: a recursive structure
            return "*" + self.draw(st.sampled_from(["nowhere", *self.open])), None, True
        parts, anchor = [], None
        if "anchor" in op:
            anchor = f"a{len(self.open) + len(self.done)}"
            self.open.append(anchor)
            parts.append("&" + anchor)
        if "tag" in op:
            parts.append(self.draw(st.sampled_from(TAGS)))
        return "".join(part + " " for part in parts), anchor, False

    def finish(self, anchor: str | None) -> None:
        if anchor:
            self.open.remove(anchor)
            self.done.append(anchor)

    def pairs(self, mapping: dict[str, Any]) -> list[tuple[str, Any]]:
        """The mapping's pairs, mutated, with their keys written out."""
        pairs: list[tuple[str, Any]] = [(self.scalar(str(k)), v) for k, v in mapping.items()]
        op = self.draw(MAP_OPS)
        if op == "delete" and pairs:  # required keys included
            del pairs[self.draw(st.integers(0, len(pairs) - 1))]
        elif op == "duplicate" and pairs:
            key = pairs[self.draw(st.integers(0, len(pairs) - 1))][0]
            pairs.insert(self.draw(st.integers(0, len(pairs))), (key, self.draw(ODD_VALUES)))
        elif op == "unknown":
            pairs.append((self.draw(UNKNOWN_KEYS), "x"))
        elif op == "merge":
            if self.done and self.draw(st.booleans()):
                sources = self.draw(st.lists(st.sampled_from(self.done), min_size=1, max_size=3))
                merge = ", ".join("*" + s for s in sources)
                pairs.insert(0, ("<<", Raw(merge if len(sources) == 1 else f"[{merge}]")))
            else:
                pairs.insert(0, ("<<", Raw(self.draw(ODD_MERGES))))
        result = []
        for key, value in pairs:
            op = self.draw(PAIR_OPS)
            if op == "misspell" and key != "<<":
                key = self.misspell(key)
            elif op == "retype":
                value = self.draw(ODD_VALUES)
            elif op == "deepen":
                levels, as_list = self.draw(st.integers(1, 120)), self.draw(st.booleans())
                for _ in range(levels):
                    value = [value] if as_list else {"k": value}
            elif op == "odd key":
                key = self.draw(ODD_KEYS)
            result.append((key, value))
        return result

    def misspell(self, key: str) -> str:
        i = self.draw(st.integers(0, max(len(key) - 1, 0)))
        how = self.draw(MISSPELLINGS)
        if how == "drop":
            return key[:i] + key[i + 1 :] or "x"
        if how == "double":
            return key[:i] + key[i : i + 1] + key[i:]
        if how == "swap":
            return key[:i] + key[i + 1 : i + 2] + key[i : i + 1] + key[i + 2 :]
        if how == "upper":
            return key.upper()
        return key + " "

    def block(self, value: dict[str, Any] | list[Any], indent: int) -> list[str]:
        pad = " " * indent
        lines = []
        items = self.pairs(value) if isinstance(value, dict) else [("-", v) for v in value]
        for key, item in items:
            head = pad + (key if key == "-" else f"{key}:")
            if isinstance(item, Raw):
                lines.append(f"{head} {item}")
                continue
            before, anchor, is_alias = self.start()
            if is_alias:
                lines.append(f"{head} {before}")
                continue
            if isinstance(item, dict | list) and item and indent < 40 and self.draw(st.booleans()):
                lines.append(f"{head} {before}".rstrip())
                lines.extend(self.block(item, indent + 2))
            else:
                lines.append(f"{head} {before}{self.node(item, start=False)}")
            self.finish(anchor)
        return lines

    def node(self, value: Any, *, start: bool = True) -> str:
        """A value in flow style."""
        if isinstance(value, Raw):
            return str(value)
        before, anchor, is_alias = self.start() if start else ("", None, False)
        if is_alias:
            return before
        if isinstance(value, dict):
            text = "{" + ", ".join(f"{k}: {self.node(v)}" for k, v in self.pairs(value)) + "}"
        elif isinstance(value, list):
            text = "[" + ", ".join(self.node(v) for v in value) + "]"
        else:
            text = self.scalar(value)
        self.finish(anchor)
        return before + text

    def scalar(self, value: Any) -> str:
        if value is None:
            return self.draw(NULLS)
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            text = repr(value)
            return {"nan": ".nan", "inf": ".inf", "-inf": "-.inf"}.get(text, text)
        text = str(value)
        style = self.draw(SCALAR_STYLES)
        if style == "plain" and PLAIN.fullmatch(text) and not text.endswith(" "):
            return text
        if style == "single" and text.isprintable():
            return "'" + text.replace("'", "''") + "'"
        return double_quoted(text, ascii_only=style == "double-ascii")


@st.composite
def documents(draw: st.DrawFn) -> bytes:
    """A scenario tree written as YAML by a mutating Emitter, then mutated as text."""
    tree = draw(st.one_of(scenario_trees, ODD_VALUES) if draw(st.integers(0, 19)) == 19 else scenario_trees)
    emitter = Emitter(draw)
    text = emitter.document(tree)
    op = draw(DOC_OPS)
    if op == "documents":
        text += draw(st.sampled_from(["---\nname: again\n", "--- x\n", "...\n", "---\n", "...\n---\n"]))
    elif op == "directive":
        text = (
            draw(st.sampled_from(["%YAML 1.1\n---\n", "%YAML 1.3\n---\n", "%TAG ! tag:x,2000:\n---\n"]))
            + text
        )
    elif op == "line":  # a line deleted, re-indented, or a fragment spliced in
        lines = text.split("\n")
        i = draw(st.integers(0, len(lines) - 1))
        how = draw(st.sampled_from(["delete", "indent", "dedent", "splice"]))
        if how == "delete":
            del lines[i]
        elif how == "indent":
            lines[i] = " " + lines[i]
        elif how == "dedent":
            lines[i] = lines[i].lstrip()
        else:
            at = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:at] + draw(st.sampled_from(YAML_BITS)).decode() + lines[i][at:]
        text = "\n".join(lines)
    elif op == "crlf":
        text = text.replace("\n", "\r\n")
    elif op == "bom":
        text = "\ufeff" + text
    return text.encode("utf-8", errors="surrogatepass")


@settings(FUZZ, max_examples=300)
@given(data=documents())
def test_mutated_scenarios_load_or_are_refused(scenario_file: Path, data: bytes) -> None:
    record(check_load(scenario_file, data))


@settings(FUZZ, max_examples=80, deadline=None)
@given(data=documents())
def test_mutated_scenarios_with_the_pure_python_parser(scenario_file: Path, data: bytes) -> None:
    record(check_load(scenario_file, data, yamlload.PythonLoader))


@settings(FUZZ, max_examples=40)
@given(tree=scenario_trees)
def test_unmutated_trees_mostly_load(scenario_file: Path, tree: dict[str, Any]) -> None:
    """The generator is close to the language: written plainly, its scenarios get past the YAML layer."""
    outcome = check_load(scenario_file, json.dumps(tree, ensure_ascii=False).encode())
    if isinstance(outcome, InputError):
        assert not any("not valid YAML" in p.message for p in outcome.problems), outcome.render()


# ---------------------------------------------------------------- (c) alias bombs


@st.composite
def alias_bombs(draw: st.DrawFn) -> tuple[bytes, int]:
    """The "billion laughs": each level repeats the one before `width` times. Returns the text and the
    number of nodes the bomb expands to."""
    width = draw(st.integers(2, 12))
    levels = draw(st.integers(1, 10))
    kind = draw(st.sampled_from(["list", "mapping", "merge"]))
    flow = draw(st.booleans())
    lines = []
    if kind == "list":
        lines.append("l0: &l0 [" + ", ".join(["lol"] * width) + "]")
        size = 1 + width
        for i in range(1, levels + 1):
            items = [f"*l{i - 1}"] * width
            lines.append(
                f"l{i}: &l{i} [" + ", ".join(items) + "]"
                if flow
                else f"l{i}: &l{i}\n" + "".join(f"  - {x}\n" for x in items).rstrip()
            )
            size = 1 + width * size
    else:
        lines.append("m0: &m0 {" + ", ".join(f"k{j}: lol" for j in range(width)) + "}")
        size = 1 + 2 * width
        for i in range(1, levels + 1):
            if kind == "mapping":
                lines.append(f"m{i}: &m{i} {{" + ", ".join(f"k{j}: *m{i - 1}" for j in range(width)) + "}")
                size = 1 + width * (1 + size)
            else:
                lines.append(f"m{i}: &m{i} {{<<: [" + ", ".join([f"*m{i - 1}"] * width) + "]}")
                size = 1 + 1 + 1 + width * size
    bomb = "\n".join(lines) + "\n"
    where = draw(st.sampled_from(["top", "vars", "step"]))
    if where == "top":
        text = bomb + "name: x\nsteps: [{goto: /}]\n"
    elif where == "vars":
        text = "name: x\nsteps: [{goto: /}]\nvars:\n" + "".join(f"  {line}\n" for line in bomb.splitlines())
    else:
        last = f"*l{levels}" if kind == "list" else f"*m{levels}"
        text = (
            "x_bomb:\n"
            + "".join(f"  {line}\n" for line in bomb.splitlines())
            + f"name: x\nsteps:\n  - {last}\n"
        )
    return text.encode(), size


@settings(FUZZ, max_examples=100)
@given(bomb=alias_bombs())
def test_alias_bombs_are_refused_quickly(scenario_file: Path, bomb: tuple[bytes, int]) -> None:
    data, size = bomb
    outcome = check_load(scenario_file, data)
    record(outcome)
    if size > yamlload.MAX_NODES:
        assert isinstance(outcome, InputError)
        assert any("10,000 YAML nodes" in p.message for p in outcome.problems), outcome.render()


RECURSIVE = [
    "a: &a [*a]\n",
    "a: &a {x: *a}\n",
    "a: &a {<<: *a}\n",
    "a: &a\n  - b: &b [*a]\n",
    "&a [name, *a]\n",
    "&a {name: x, steps: *a}\n",
    "steps: &s\n  - goto: /\n  - *s\n",
]


@pytest.mark.parametrize("loader", LOADERS.values(), ids=list(LOADERS))
@pytest.mark.parametrize("text", RECURSIVE)
def test_recursive_aliases_are_refused(scenario_file: Path, text: str, loader: type[Any]) -> None:
    outcome = check_load(scenario_file, text.encode(), loader)
    assert isinstance(outcome, InputError)
    assert any("refers to itself" in p.message for p in outcome.problems), outcome.render()


def test_an_alias_counts_its_own_depth_not_its_neighbours(scenario_file: Path) -> None:
    deep = "[" * 45 + "x" + "]" * 45  # 47 levels with the top mapping: allowed
    # Before: `&a` was charged the 47 levels reached before it, and `*a` five levels down went past 50.
    text = f"{HEAD}x_deep: {deep}\nx_a: &a v\nx_b: [[[[[*a]]]]]\n"
    outcome = check_load(scenario_file, text.encode())
    assert isinstance(outcome, InputError)
    assert [p.key for p in outcome.problems] == ["x_deep", "x_a", "x_b"], outcome.render()  # unknown keys


# ---------------------------------------------------------------- through the command line


@settings(FUZZ, max_examples=25)
@given(data=st.one_of(documents(), raw_inputs(max_repeat=1_000)))
def test_validate_exits_0_or_2_without_a_traceback(scenario_file: Path, data: bytes) -> None:
    scenario_file.write_bytes(data)
    result = CliRunner().invoke(cli, ["validate", str(scenario_file)], env=ENV)
    assert result.exit_code in (0, 2), (result.output, result.exception)
    event(f"exit status {result.exit_code}")
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        assert scenario_file.name in result.output
    else:
        assert "1 scenario(s) valid" in result.output


def test_validate_prints_a_name_with_markup_literally(scenario_file: Path) -> None:
    scenario_file.write_text("name: '[/] ok'\nbase_url: http://a.test/\nsteps: [{goto: /}]\n")
    result = CliRunner().invoke(cli, ["validate", str(scenario_file)])
    assert result.exit_code == 0 and "[/] ok" in result.output, (result.output, result.exception)


# ---------------------------------------------------------------- what fuzzing found

# (id, file content, a fragment of the expected message or None when the file is a valid scenario); each
# of these once raised another exception than InputError, was accepted, was refused without a line or
# with a confusing message, or took seconds (times measured before the fix, on a busy two-core machine).
FOUND: list[tuple[str, str, str | None]] = [
    ("int-tag-on-empty", HEAD + "vars: {a: !!int ''}\n", "not a valid !!int"),  # IndexError
    ("int-tag-on-word", HEAD + "vars: {a: !!int abc}\n", "not a valid !!int"),  # ValueError
    ("bool-tag-on-word", HEAD + "vars: {a: !!bool maybe}\n", "not a valid !!bool"),  # KeyError
    ("float-tag-on-word", HEAD + "vars: {a: !!float abc}\n", "not a valid !!float"),  # ValueError
    ("digitless-hex", HEAD + "vars: {a: 0x_}\n", "not a valid !!int"),  # ValueError
    ("digitless-binary", HEAD + "vars: {a: 0b_}\n", "not a valid !!int"),  # ValueError
    ("5000-digit-int", HEAD + "vars: {a: " + "1" * 5000 + "}\n", "too long"),  # int(): digit limit
    ("4000-digit-hex", HEAD + "vars: {a: 0x" + "f" * 4000 + "}\n", "too long"),  # a message of repr()'s error
    ("base-60-int", HEAD + "vars: {a: 1" + ":1" * 20_000 + "}\n", "too long"),  # seconds of big-int work
    ("duration-overflow", HEAD + "timeouts: {step: " + "9" * 400 + "h}\n", "24h"),  # OverflowError
    ("duration-odd-space", HEAD + 'timeouts: {step: "1 \\x1c s"}\n', None),  # float() refused the space
    (
        "regex-repeat-overflow",
        "name: x\nbase_url: http://a.test/\n"
        "steps: [{capture: {name: a, selector: b, pattern: 'a{4294967296}'}}]\n",
        "regular expression",
    ),  # OverflowError
    (
        "regex-deep-groups",
        "name: x\nbase_url: http://a.test/\nsteps: [{capture: {name: a, selector: b, pattern: '"
        + "(" * 5000
        + ")" * 5000
        + "'}}]\n",
        "regular expression",
    ),  # RecursionError
    (
        "yaml-directive-digits",
        "%YAML 1." + "1" * 5000 + "\n---\n" + HEAD,
        "not valid YAML",
    ),  # ValueError (pure Python)
    (
        "escape-past-unicode",
        'name: "\\UFFFFFFFF"\nbase_url: http://a.test/\nsteps: [{goto: /}]\n',
        "not valid YAML",
    ),  # OverflowError (pure Python)
    (
        "escaped-surrogate",
        'name: "\\ud800"\nbase_url: http://a.test/\nsteps: [{goto: /}]\n',
        "escape",
    ),  # loaded (pure Python), then `validate` crashed printing it: UnicodeEncodeError
    ("nul", HEAD + "a: \x00\n", "U+0000"),  # refused, but without a line
    ("tag-on-mapping", "!!python/object:os.system\n" + HEAD, "!!python/object:os.system"),  # accepted
    ("set-tag", HEAD + "vars: !!set {a, b}\n", "!!set"),  # accepted as a mapping of nulls
    ("env-dollar-braces", HEAD + "vars: {a: '" + "${" * 20_000 + "'}\n", None),  # 3 s: quadratic
    ("ref-spaces", HEAD + "vars: {a: '{{" + " " * 3_000 + "'}\n", "never closed"),  # 13 s: cubic
    ("flow-nesting", "[" * 5_000 + "]" * 5_000, "nest"),  # 1-6 s: quadratic in the scanner
    ("block-nesting", "- " * 5_000 + "a\n", "nest"),  # refused without a line
    (
        "alias-depth",
        "a: &a [[[[[[[[[[x]]]]]]]]]]\nb: &b [[[[[[[[[[*a]]]]]]]]]]\nc: &c [[[[[[[[[[*b]]]]]]]]]]\n"
        "d: &d [[[[[[[[[[*c]]]]]]]]]]\ne: &e [[[[[[[[[[*d]]]]]]]]]]\nf: [[[[[[[[[[*e]]]]]]]]]]\n",
        "nest",
    ),  # accepted: 60 levels once the aliases are expanded
    (
        "many-steps",
        "name: x\nbase_url: http://a.test/\nsteps:\n" + "  - goto: /x\n" * 80_000,
        "10,000 YAML nodes",
    ),  # 7-40 s
    ("long-flow-list", HEAD + "tags: [" + "a, " * 300_000 + "]\n", "10,000 YAML nodes"),  # 7-88 s
    (
        "undefined-references",
        HEAD
        + "vars:\n"
        + "".join(f"  v{i}: x\n" for i in range(600))
        + "  a: '"
        + "".join(f"{{{{w{i}}}}}" for i in range(5_000))
        + "'\n",
        "more than 50 problems in",  # the headline counts the problems shown, not the note after them
    ),  # 4 s: 5,000 problems, each with a "did you mean" among 600 names
]


@pytest.mark.parametrize("loader", LOADERS.values(), ids=list(LOADERS))
@pytest.mark.parametrize(("case", "text", "fragment"), FOUND, ids=[c[0] for c in FOUND])
def test_found_by_fuzzing(
    scenario_file: Path, case: str, text: str, fragment: str | None, loader: type[Any]
) -> None:
    data = text.encode("utf-8")
    assert len(data) <= yamlload.MAX_BYTES, case
    outcome = check_load(scenario_file, data, loader)
    if fragment is None:
        assert isinstance(outcome, Scenario)
        return
    assert isinstance(outcome, InputError)
    assert fragment in outcome.render(), outcome.render()
    assert all(p.line is not None for p in outcome.problems), outcome.render()


def test_the_largest_file_allowed_loads_quickly(scenario_file: Path) -> None:
    """1 MiB of one long scalar, comments and blank lines: the worst that stays under the node budget."""
    filler = "description: '" + "a" * 600_000 + "'\n" + "#" * 200_000 + "\n" + "\n" * 200_000
    data = (HEAD + filler).encode()
    data += b"\n" * (yamlload.MAX_BYTES - len(data))
    assert isinstance(check_load(scenario_file, data), Scenario)
    outcome = check_load(scenario_file, data + b"\n")
    assert isinstance(outcome, InputError) and "at most 1,048,576" in outcome.render()

"""The scenario model: frozen pydantic models for every key of scenario-language.md.

Loading (YAML positions, `${ENV}` substitution, step short forms, matrix expansion, error messages)
lives in load.py; this module only says what a valid scenario looks like.
"""

from __future__ import annotations

import difflib
import functools
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    WithJsonSchema,
    model_validator,
)

from auditor.connectif.amounts import parse_amount
from auditor.connectif.patterns import pattern_error
from auditor.connectif.tag import ITEM_PROPERTIES, PURCHASE_FIELDS, PURCHASE_PROPERTIES
from auditor.hosts import host_pattern, ip_address

DURATION_PATTERN = r"^\s*[0-9]+(\.[0-9]+)?\s*(ms|s|m|h)\s*$"
_DURATION_RE = re.compile(DURATION_PATTERN)
_UNIT_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000}
MAX_DURATION_MS = 24 * 3_600_000


def parse_duration(value: Any) -> int:
    """`500ms`, `10s`, `2m`, `1h` → milliseconds."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError("a duration must be written with its unit, like 500ms, 10s or 2m")
    match = _DURATION_RE.match(value)
    if not match:
        raise ValueError(f"{value!r} is not a duration; write it like 500ms, 10s or 2m")
    number = re.match(r"[0-9]+(\.[0-9]+)?", value.strip())
    assert number is not None  # the pattern starts with the number
    milliseconds = float(number.group()) * _UNIT_MS[match.group(2)]
    if milliseconds > MAX_DURATION_MS:  # also infinity, from a number of hundreds of digits
        raise ValueError(f"{value.strip()!r} is longer than a scenario may last (24h)")
    return int(milliseconds)


Duration = Annotated[
    int,
    BeforeValidator(parse_duration),
    WithJsonSchema({"type": "string", "pattern": DURATION_PATTERN, "examples": ["500ms", "10s", "2m"]}),
]


def _text(value: Any) -> Any:
    """Text fields take strings; a bare YAML number is refused so `0123` cannot become 83."""
    if value is None:
        raise ValueError("expected text, got nothing (null)")
    if isinstance(value, bool | int | float):
        raise ValueError(f'expected text, got {type(value).__name__} {value!r}; quote it: "{value}"')
    return value


Text = Annotated[str, BeforeValidator(_text), WithJsonSchema({"type": "string"})]
NonEmpty = Annotated[
    str,
    BeforeValidator(_text),
    StringConstraints(min_length=1),
    WithJsonSchema({"type": "string", "minLength": 1}),
]


NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
Name = Annotated[str, StringConstraints(pattern=NAME_PATTERN)]  # usable as {{name}}


def _frame(value: Any) -> Any:
    if isinstance(value, str):
        return (value,)
    return value


Frame = Annotated[
    Annotated[tuple[NonEmpty, ...], Field(min_length=1)] | None,
    BeforeValidator(_frame),
    WithJsonSchema(
        {
            "oneOf": [
                {"type": "string", "minLength": 1},
                {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1},
            ]
        }
    ),
]


def _one_line(value: str) -> str:
    if "\n" in value.strip():
        raise ValueError("must be one line")
    # An escape (ESC [31m…) would reach every terminal that prints the name: colours, links, a cleared
    # screen. Names are plain text.
    control = re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", value)
    if control:
        raise ValueError(f"has a control character ({control.group()!r}): a name is one line of plain text")
    return value.strip()


HostPattern = Annotated[NonEmpty, AfterValidator(host_pattern)]


# A URL's scheme and what follows it, misspelt or not: `htps://`, `http:/`, `http//`, `htp:`.
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)(://|:/|:|//)(.*)$", re.DOTALL)


def scheme_mistake(url: str) -> str | None:
    """The http(s) URL that a misspelt scheme most likely meant (`htps://shop` → `https://shop`,
    `http:/shop` → `http://shop`), or None when the scheme is right or nothing like http(s)."""
    match = _SCHEME.match(url)
    if match is None:
        return None
    scheme, separator, rest = match.group(1).lower(), match.group(2), match.group(3)
    if scheme in ("http", "https"):
        return None if separator == "://" else f"{scheme}://{rest.lstrip('/')}"
    close = difflib.get_close_matches(scheme, ["http", "https"], n=1, cutoff=0.6)
    return f"{close[0]}://{rest.lstrip('/')}" if close else None


def _url(value: str) -> str:
    if value.startswith("{{"):
        # Vars and matrix values are filled in before this check; one left (a secret, a capture) is the
        # loader's error, which says why it has no value there, not "not a URL".
        return value
    if not re.match(r"^https?://[^/\s]+", value):
        raise ValueError(f"{value!r} is not an http(s) URL (like https://staging.shop.example/)")
    if re.search(r"[\s\x00-\x1f\x7f]", value):
        raise ValueError(f"{value!r} has a space or a control character: write a space as %20")
    return value


# A language tag as browsers send it (BCP 47: `es`, `es-ES`, `zh-Hant-TW`; Chromium also takes `es_ES`).
# Anything else reaches the Accept-Language header, where Chromium refuses requests that carry it.
_LOCALE = re.compile(r"^[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8})*$")


def _locale(value: str) -> str:
    if "{{" not in value and not _LOCALE.match(value):  # a {{name}} is checked once filled in
        raise ValueError(f"{value!r} is not a language tag (like es-ES, en-GB or fr)")
    return value


@functools.lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    import zoneinfo  # reads the machine's time zone folder: only for a scenario that sets one

    return frozenset(zoneinfo.available_timezones())


def _timezone(value: str) -> str:
    """An IANA time zone, checked against this machine's list when it has one (Chromium's is the same)."""
    known = _timezones() if "{{" not in value else frozenset()
    if known and value not in known:
        close = difflib.get_close_matches(value, sorted(known), n=1, cutoff=0.6)
        hint = f": did you mean {close[0]}?" if close else ""
        raise ValueError(f"{value!r} is not an IANA time zone (like Europe/Madrid){hint}")
    return value


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except (re.error, OverflowError, RecursionError) as exc:  # `a{99999999999}`, `((((…))))`
        raise ValueError(f"{value!r} is not a valid regular expression: {exc}") from None
    return value


def _goto_url(value: str) -> str:
    """A goto target is a path under base_url or an http(s) URL: `htp://shop/` would be neither, and
    would fail only when the browser gets there."""
    if scheme_mistake(value) is not None:
        raise ValueError(f"{value!r} has a misspelt scheme: it is neither an http(s) URL nor a path")
    match = _SCHEME.match(value)
    if match is not None and match.group(2) == "://" and match.group(1).lower() not in ("http", "https"):
        raise ValueError(f"{value!r} is not an http(s) URL: goto opens the shop's and the platform's pages")
    return value


def _url_pattern(value: str) -> str:
    """`re:…` patterns (confirmation_url, wait_for.url) must compile; globs are taken as written, but
    one whose scheme is misspelt (`htps://shop/thanks*`) would never match, and is refused."""
    if value.startswith("re:"):
        # `{{name}}` is filled in at run time: compile with a stand-in for it.
        _regex(re.sub(r"\{\{[^{}]*\}\}", "x", value[3:]))
    elif scheme_mistake(value) is not None:
        raise ValueError(f"{value!r} has a misspelt scheme: it would never match an http(s) URL")
    return value


class Strict(BaseModel):
    """Frozen, keyword-only, and unknown keys are errors."""

    # defer_build: a model's validator is built on its first use; a run uses about a third of them.
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, defer_build=True)


# ---------------------------------------------------------------- step arguments


class GotoArgs(Strict):
    """`goto`: open a URL or a path under base_url."""

    url: Annotated[NonEmpty, AfterValidator(_goto_url)]
    wait_until: Literal["load", "domcontentloaded", "networkidle", "commit"] = "load"
    timeout: Duration | None = None


class ElementArgs(Strict):
    """Options shared by every action that targets an element."""

    selector: NonEmpty
    frame: Frame = None
    timeout: Duration | None = None
    optional: bool = False


class FillArgs(ElementArgs):
    """`fill`: type into an input."""

    value: Text


class SelectArgs(ElementArgs):
    """`select`: choose an option by value or by label."""

    value: Text | None = None
    label: Text | None = None

    @model_validator(mode="after")
    def _one_choice(self) -> SelectArgs:
        if (self.value is None) == (self.label is None):
            raise ValueError("select takes exactly one of `value` or `label`")
        return self


class PressArgs(ElementArgs):
    """`press`: press a key (Playwright key names: Enter, Tab, Control+A …) in an element."""

    key: NonEmpty


class WaitForArgs(Strict):
    """`wait_for`: wait until a selector, a URL or a text appears."""

    selector: NonEmpty | None = None
    url: Annotated[NonEmpty, AfterValidator(_url_pattern)] | None = None
    text: NonEmpty | None = None
    frame: Frame = None
    timeout: Duration | None = None
    optional: bool = False

    @model_validator(mode="after")
    def _one_target(self) -> WaitForArgs:
        given = [k for k in ("selector", "url", "text") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("wait_for takes exactly one of `selector`, `url` or `text`")
        return self


class ExpectTextArgs(ElementArgs):
    """`expect_text`: fail unless the element's text contains `text`."""

    text: Text


class CaptureArgs(ElementArgs):
    """`capture`: store an element's text or attribute (or a pattern's first match) as {{name}}."""

    name: Name
    attribute: NonEmpty | None = None
    pattern: Annotated[NonEmpty, AfterValidator(_regex)] | None = None


class ScreenshotArgs(Strict):
    """`screenshot`: add a named screenshot to the report."""

    name: NonEmpty
    full_page: bool = False


class ReloadArgs(Strict):
    """`reload`: reload the current page, as a customer who refreshes the thank-you page does."""

    wait_until: Literal["load", "domcontentloaded", "networkidle", "commit"] = "load"
    timeout: Duration | None = None


class ReturnArgs(Strict):
    """How the customer comes back from the payment platform."""

    timeout: Duration = 15_000
    click: ElementArgs | None = None


class PayArgs(Strict):
    """`pay`: go through the payment platform and come back to the shop."""

    provider: Text | None = None
    submit: ElementArgs | None = None
    hosts: Annotated[tuple[HostPattern, ...], Field(min_length=1)]
    popup: bool = False
    steps: tuple[PlatformStep, ...] = ()
    return_: ReturnArgs = Field(default_factory=ReturnArgs, alias="return")


class Step(Strict):
    """One step: an action and its arguments (short forms already expanded)."""

    action: str
    args: Any


class GotoStep(Step):
    action: Literal["goto"]
    args: GotoArgs


class ClickStep(Step):
    action: Literal["click"]
    args: ElementArgs


class FillStep(Step):
    action: Literal["fill"]
    args: FillArgs


class SelectStep(Step):
    action: Literal["select"]
    args: SelectArgs


class CheckStep(Step):
    action: Literal["check"]
    args: ElementArgs


class UncheckStep(Step):
    action: Literal["uncheck"]
    args: ElementArgs


class PressStep(Step):
    action: Literal["press"]
    args: PressArgs


class WaitForStep(Step):
    action: Literal["wait_for"]
    args: WaitForArgs


class ExpectTextStep(Step):
    action: Literal["expect_text"]
    args: ExpectTextArgs


class CaptureStep(Step):
    action: Literal["capture"]
    args: CaptureArgs


class ScreenshotStep(Step):
    action: Literal["screenshot"]
    args: ScreenshotArgs


class ReloadStep(Step):
    action: Literal["reload"]
    args: ReloadArgs


class PayStep(Step):
    action: Literal["pay"]
    args: PayArgs


PlatformStep = Annotated[
    GotoStep
    | ClickStep
    | FillStep
    | SelectStep
    | CheckStep
    | UncheckStep
    | PressStep
    | WaitForStep
    | ExpectTextStep
    | CaptureStep
    | ScreenshotStep,
    Field(discriminator="action"),
]
AnyStep = Annotated[
    GotoStep
    | ClickStep
    | FillStep
    | SelectStep
    | CheckStep
    | UncheckStep
    | PressStep
    | WaitForStep
    | ExpectTextStep
    | CaptureStep
    | ScreenshotStep
    | ReloadStep
    | PayStep,
    Field(discriminator="action"),
]

# Action name → (argument model, the key a short form fills in, or None when there is no short form).
ACTIONS: dict[str, tuple[type[BaseModel], str | None]] = {
    "goto": (GotoArgs, "url"),
    "click": (ElementArgs, "selector"),
    "fill": (FillArgs, None),
    "select": (SelectArgs, None),
    "check": (ElementArgs, "selector"),
    "uncheck": (ElementArgs, "selector"),
    "press": (PressArgs, None),
    "wait_for": (WaitForArgs, "selector"),
    "expect_text": (ExpectTextArgs, None),
    "capture": (CaptureArgs, None),
    "screenshot": (ScreenshotArgs, "name"),
    "reload": (ReloadArgs, None),
    "pay": (PayArgs, None),
}
# Actions whose short form is `true` (`- reload: true`), besides the long form's mapping (`- reload: {}`).
FLAG_ACTIONS = frozenset({"reload"})
# Actions of the shop's pages only: never inside `pay.steps`.
SHOP_ONLY_ACTIONS = frozenset({"pay", "reload"})
# Keys that may sit beside the action key instead of inside its long form (`- click: x` / `optional: true`).
STEP_MODIFIERS = ("frame", "timeout", "optional")

# PayArgs names PlatformStep before it is defined: with defer_build the name is resolved from this
# module when PayArgs is first built, so no model_rebuild() (which would build it at import) is needed.

# ---------------------------------------------------------------- top level


class Timeouts(Strict):
    """Deadlines, in milliseconds once loaded."""

    step: Duration = 10_000
    navigation: Duration = 30_000
    tracking: Duration = 5_000
    scenario: Duration = 180_000


class Viewport(Strict):
    width: Annotated[int, Field(ge=200, le=10_000)]
    height: Annotated[int, Field(ge=200, le=10_000)]


class BrowserOptions(Strict):
    """Browser context options."""

    viewport: Viewport | None = None
    locale: Annotated[NonEmpty, AfterValidator(_locale)] | None = None
    timezone: Annotated[NonEmpty, AfterValidator(_timezone)] | None = None
    user_agent: NonEmpty | None = None
    device: NonEmpty | None = None
    ignore_https_errors: bool = False


CONNECTIF_API_URL = "https://api.connectif.cloud"


class ConnectifApi(Strict):
    """Connectif's REST API, asked whether it stored the purchase (the key is masked like a secret)."""

    key: NonEmpty  # "<keyId>:<keySecret>", sent as `Authorization: apiKey <key>`
    url: Annotated[NonEmpty, AfterValidator(_url)] = CONNECTIF_API_URL
    wait: Duration = 60_000  # how long to keep asking: Connectif stores purchases asynchronously


def _api_given(value: Any) -> Any:
    """`api:` with nothing under it (its keys commented out) is a mistake, not "no API"."""
    if value is None:
        raise ValueError(
            "expected a mapping with `key:` (and `url:`, `wait:`), got nothing (null): give its key, "
            "or remove `api:` to audit without Connectif's API"
        )
    return value


def _connectif_host(value: str) -> str:
    """A `connectif.hosts` entry that could never match (`scrpt:cdn.example.com`) is refused here."""
    problem = pattern_error(value)
    if problem:
        raise ValueError(problem)
    return value


class ConnectifOptions(Strict):
    """How Connectif's traffic is handled: observed (let through) or intercepted (answered locally)."""

    mode: Literal["observe", "intercept"] = "observe"
    hosts: tuple[Annotated[NonEmpty, AfterValidator(_connectif_host)], ...] = ()
    api: Annotated[ConnectifApi | None, BeforeValidator(_api_given)] = None


Presence = Literal["required", "optional", "absent"]


def _given(value: Any) -> Any:
    """A key written with no value (`purchase_recorded:`) is a mistake, not "not given"."""
    if value is None:
        raise ValueError("expected required, optional or absent, got nothing (null)")
    return value


class ConnectifExpect(Strict):
    """What must be true of Connectif: its script, the purchase sent, the purchase stored, the contact."""

    script: Presence = "required"
    purchase_sent: Presence = "required"
    # None: not given. The check then judges `required` when connectif.api is set, and skips under
    # `mode: intercept` (an explicit value is judged there too): see Scenario.purchase_recorded_policy.
    purchase_recorded: Annotated[
        Presence | None,
        BeforeValidator(_given),
        WithJsonSchema({"enum": ["required", "optional", "absent"]}),
    ] = None
    duplicates: Literal["warn", "fail"] = "warn"
    # `optional` (the default): a purchase sent for an anonymous contact is a warning; `required`: a failure.
    contact: Literal["required", "optional"] = "optional"
    contact_email: NonEmpty | None = None


ExpectedValue = Annotated[str | int | float, WithJsonSchema({"type": ["string", "number"]})]
# Every basket item field (`product_basket_item` classes), in the script's order.
ITEM_FIELDS: tuple[str, ...] = tuple(name for name, _, _ in ITEM_PROPERTIES)


def _purchase_value_kind(value: Any) -> str:
    return "items" if isinstance(value, list | tuple) else "value"


# One value of `expect.cn_purchase`: a field's expected value, or (under `items`) the expected basket items.
PurchaseValue = Annotated[
    Annotated[ExpectedValue, Tag("value")] | Annotated[tuple[dict[str, ExpectedValue], ...], Tag("items")],
    Discriminator(_purchase_value_kind),
]


def keyed(path: str, message: str) -> ValueError:
    """A validator's error about a key inside the value: `[items[1].name] …` (the loader points there)."""
    return ValueError(f"[{path}] {message}")


# The tag's numbers, as Connectif's script reads them: an expected one must be a number too. No
# purchase field shares its name with a basket item's, so one table serves both levels.
_NUMBER_KINDS = {
    name: kind for name, _, kind in (*PURCHASE_PROPERTIES, *ITEM_PROPERTIES) if kind in ("int", "float")
}


def _not_a_number(name: str, expected: Any) -> str | None:
    """Why an expected value cannot be the number the tag's field holds, or None."""
    kind = _NUMBER_KINDS.get(name)
    if kind is None or isinstance(expected, bool) or (isinstance(expected, str) and "{{" in expected):
        return None  # a {{capture}} is compared once the run has read it
    amount = parse_amount(expected) if isinstance(expected, str) else expected
    if kind == "float" and amount is None:
        return f"the expected {name}: an amount (89.90, 89,90 or €89.90) or a {{{{capture}}}}"
    if kind == "int" and (amount is None or amount != int(amount)):
        return f"the expected {name}: a whole number or a {{{{capture}}}}"
    return None


class KeyedErrors(ValueError):
    """Several `keyed` problems found in one value, to be reported together; str() is the first one's,
    for callers that show one."""

    def __init__(self, problems: list[ValueError]):
        super().__init__(str(problems[0]))
        self.problems = problems


def _check_purchase_expect(value: Any) -> Any:
    """The keys of `expect.cn_purchase` (and of its items) are the tag's own field names. Every mistake
    is found, not only the first, so that one load lists them all."""
    if not isinstance(value, dict):
        return value
    found: list[ValueError] = []
    for key, expected in value.items():
        if key == "products":
            # A whole number; from ${N} or a matrix's {{n}} it comes as text ("2"), which is as good.
            written = isinstance(expected, str) and expected.strip().isascii() and expected.strip().isdigit()
            if not written and (isinstance(expected, bool) or not isinstance(expected, int) or expected < 0):
                found.append(
                    keyed(
                        "products",
                        f"the number of product_basket_item blocks: a whole number, got {expected!r}",
                    )
                )
        elif key == "items":
            if not isinstance(expected, list | tuple):
                found.append(keyed("items", "the expected basket items: a list with one mapping per item"))
                continue
            for i, item in enumerate(expected):
                if not isinstance(item, dict):
                    continue  # the model says it must be a mapping, at that item
                for name, one in item.items():
                    if name not in ITEM_FIELDS:
                        found.append(keyed(f"items[{i}].{name}", f"a basket item has no field {name!r}"))
                    elif isinstance(one, list | tuple | dict) or one is None:
                        found.append(
                            keyed(f"items[{i}].{name}", f"the expected {name}: one value (text or a number)")
                        )
                    elif problem := _not_a_number(name, one):
                        found.append(keyed(f"items[{i}].{name}", f"{problem}, got {one!r}"))
        elif key not in PURCHASE_FIELDS:
            found.append(keyed(key, f"cn_purchase has no field {key!r}"))
        elif isinstance(expected, list | tuple | dict) or expected is None:
            found.append(keyed(key, f"the expected {key}: one value (text or a number)"))
        elif problem := _not_a_number(key, expected):
            found.append(keyed(key, f"{problem}, got {expected!r}"))
    if found:
        raise KeyedErrors(found)
    return value


def _purchase_expect_schema() -> dict[str, Any]:
    value = {"type": ["string", "number"]}
    item = {
        "type": "object",
        "properties": dict.fromkeys(ITEM_FIELDS, value),
        "additionalProperties": False,
    }
    return {
        "anyOf": [
            {"enum": ["present", "absent"]},
            {
                "type": "object",
                "properties": {
                    **dict.fromkeys(PURCHASE_FIELDS, value),
                    "products": {"type": "integer", "minimum": 0},
                    "items": {"type": "array", "items": item},
                },
                "additionalProperties": False,
            },
        ],
        "default": "present",
    }


class Expect(Strict):
    """What must be true at the end."""

    confirmation_url: Annotated[NonEmpty, AfterValidator(_url_pattern)] | None = None
    return_: Literal["automatic", "manual-allowed"] = Field(default="automatic", alias="return")
    # "present" | "absent" | field → expected value, "products" → the number of basket items, and
    # "items" → a tuple with one {item field → expected value} per expected basket item.
    cn_purchase: Annotated[
        Literal["present", "absent"] | dict[str, PurchaseValue],
        BeforeValidator(_check_purchase_expect),
        WithJsonSchema(_purchase_expect_schema()),
    ] = "present"
    # Names the purchase when no tag carries it (API-synced or declined checkouts).
    purchase_id: NonEmpty | None = None
    connectif: ConnectifExpect = Field(default_factory=ConnectifExpect)

    def expected_fields(self) -> dict[str, str | int | float]:
        """The expected purchase-level values (`products` included, `items` not); empty without a mapping."""
        if isinstance(self.cn_purchase, str):
            return {}
        return {k: v for k, v in self.cn_purchase.items() if not isinstance(v, tuple)}

    def expected_items(self) -> tuple[dict[str, str | int | float], ...] | None:
        """The expected basket items in the tag's order, or None when `cn_purchase.items` is not given."""
        if isinstance(self.cn_purchase, str):
            return None
        items = self.cn_purchase.get("items")
        return items if isinstance(items, tuple) else None


MATRIX_MAX_COMBINATIONS = 256
MATRIX_MAX_PRODUCT = 10_000  # the lists' product before `exclude`: beyond it nothing is expanded


def _matrix_value(value: Any) -> Any:
    if value is None:
        raise ValueError("a matrix value is text, a number, true/false or a mapping; got nothing (null)")
    if isinstance(value, list | tuple):
        raise ValueError("a matrix value is text, a number, true/false or a mapping; got a list")
    return value


# One value of a matrix list: a scalar, or a mapping whose `label` (else its first value) names it.
MatrixValue = Annotated[
    bool | int | float | str | dict[str, Any],
    BeforeValidator(_matrix_value),
    WithJsonSchema({"type": ["string", "number", "boolean", "object"]}),
]


def matrix_label(value: Any) -> str | None:
    """What names a matrix value in the scenario's name: itself, its `label`, else its first value."""
    if isinstance(value, dict):
        if "label" in value:
            value = value["label"]
        elif value:
            value = next(iter(value.values()))
        else:
            return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    return None


def _matrix_entry(value: dict[str, Any]) -> dict[str, Any]:
    if not value:
        raise ValueError("an empty mapping names no combination: give at least one key")
    return value


MatrixEntry = Annotated[dict[Name, MatrixValue], AfterValidator(_matrix_entry)]


class Matrix(BaseModel):
    """`matrix`: name → list of values, plus `include` and `exclude`, expanded at load time."""

    model_config = ConfigDict(frozen=True, extra="allow", defer_build=True)
    __pydantic_extra__: dict[str, Annotated[tuple[MatrixValue, ...], Field(min_length=1)]]

    include: tuple[MatrixEntry, ...] = ()
    exclude: tuple[MatrixEntry, ...] = ()

    def axes(self) -> dict[str, tuple[Any, ...]]:
        """The lists of values, in the order written."""
        return dict(self.model_extra or {})

    @model_validator(mode="after")
    def _names_and_labels(self) -> Matrix:
        axes = self.axes()
        if not axes and not self.include:
            raise ValueError("the matrix has no lists of values: give at least one `name: [a, b]`")
        for name, values in axes.items():
            if not re.match(NAME_PATTERN, name):
                raise keyed(name, f"{name!r} is not a valid name for {{{{{name}}}}}")
            seen: dict[str, int] = {}
            for i, value in enumerate(values):
                label = matrix_label(value)
                if label is None:
                    raise keyed(
                        f"{name}[{i}]", "a mapping needs a `label`, or a first value that is text or a number"
                    )
                if "\n" in label:
                    raise keyed(f"{name}[{i}]", "a matrix value's label must be one line")
                if label in seen:
                    raise keyed(
                        f"{name}[{i}]",
                        f"two values of matrix.{name} are named {label!r} (also [{seen[label]}])",
                    )
                seen[label] = i
        for kind, entries in (("include", self.include), ("exclude", self.exclude)):
            for i, entry in enumerate(entries):
                for key, value in entry.items():
                    label = matrix_label(value)
                    if label is None:
                        raise keyed(
                            f"{kind}[{i}].{key}",
                            "a mapping needs a `label`, or a first value that is text or a number",
                        )
                    if "\n" in label:
                        raise keyed(f"{kind}[{i}].{key}", "a matrix value's label must be one line")
        return self


class Scenario(Strict):
    """One audit scenario."""

    name: Annotated[NonEmpty, AfterValidator(_one_line)]
    description: Text | None = None
    tags: tuple[NonEmpty, ...] = ()
    base_url: Annotated[NonEmpty, AfterValidator(_url)] | None = None
    hosts: dict[HostPattern, Annotated[NonEmpty, AfterValidator(ip_address)]] = Field(default_factory=dict)
    allow_hosts: tuple[HostPattern, ...] = ()
    timeouts: Timeouts = Field(default_factory=Timeouts)
    vars: dict[Name, Text] = Field(default_factory=dict)
    secrets: dict[Name, Text] = Field(default_factory=dict)
    browser: BrowserOptions = Field(default_factory=BrowserOptions)
    connectif: ConnectifOptions = Field(default_factory=ConnectifOptions)
    # Expanded by the loader: each combination is its own Scenario, with `matrix` None (its values are
    # on LoadedScenario.matrix).
    matrix: Matrix | None = None
    steps: Annotated[tuple[AnyStep, ...], Field(min_length=1)]
    expect: Expect = Field(default_factory=Expect)

    def pay_steps(self) -> list[PayArgs]:
        """The arguments of every `pay` step."""
        return [s.args for s in self.steps if isinstance(s, PayStep)]

    def masked_values(self) -> list[str]:
        """Values no output may show, besides the secrets' run-time values: the Connectif API key."""
        api = self.connectif.api
        return [api.key] if api is not None else []

    def purchase_recorded_policy(self) -> Presence | None:
        """What `connectif.purchase_recorded` judges, or None when it is not judged.

        An explicit value always counts, except that nothing is judged without `connectif.api`; when not
        given it is `required` with `connectif.api`, and not judged under `mode: intercept` (the
        purchase never reached Connectif).
        """
        if self.connectif.api is None:
            return None
        explicit = self.expect.connectif.purchase_recorded
        if explicit is not None:
            return explicit
        return None if self.connectif.mode == "intercept" else "required"

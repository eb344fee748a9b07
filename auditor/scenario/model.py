"""The scenario model: frozen pydantic models for every key of scenario-language.md.

Loading (YAML positions, `${ENV}` substitution, step short forms, error messages) lives in
scenario.py; this module only says what a valid scenario looks like.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
    model_validator,
)

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
    return value.strip()


def _host_pattern(value: str) -> str:
    host = value.strip().lower()
    if not re.fullmatch(r"(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*", host):
        raise ValueError(
            f"{value!r} is not a host name (write `pay.example.com` or `*.example.com`, "
            "without scheme, port or path)"
        )
    return host


HostPattern = Annotated[NonEmpty, AfterValidator(_host_pattern)]


def _ip(value: str) -> str:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        raise ValueError(f"{value!r} is not an IP address (like 127.0.0.1)") from None


def _url(value: str) -> str:
    if not re.match(r"^https?://[^/\s]+", value):
        raise ValueError(f"{value!r} is not an http(s) URL (like https://staging.shop.example/)")
    return value


def _regex(value: str) -> str:
    try:
        re.compile(value)
    except (re.error, OverflowError, RecursionError) as exc:  # `a{99999999999}`, `((((…))))`
        raise ValueError(f"{value!r} is not a valid regular expression: {exc}") from None
    return value


class Strict(BaseModel):
    """Frozen, keyword-only, and unknown keys are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


# ---------------------------------------------------------------- step arguments


class GotoArgs(Strict):
    """`goto`: open a URL or a path under base_url."""

    url: NonEmpty
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
    url: NonEmpty | None = None
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

    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
    attribute: NonEmpty | None = None
    pattern: Annotated[NonEmpty, AfterValidator(_regex)] | None = None


class ScreenshotArgs(Strict):
    """`screenshot`: add a named screenshot to the report."""

    name: NonEmpty
    full_page: bool = False


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
    "pay": (PayArgs, None),
}
# Keys that may sit beside the action key instead of inside its long form (`- click: x` / `optional: true`).
STEP_MODIFIERS = ("frame", "timeout", "optional")

PayArgs.model_rebuild()

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
    locale: NonEmpty | None = None
    timezone: NonEmpty | None = None
    user_agent: NonEmpty | None = None
    device: NonEmpty | None = None
    ignore_https_errors: bool = False


class ConnectifOptions(Strict):
    """How Connectif's traffic is handled: observed (let through) or intercepted (answered locally)."""

    mode: Literal["observe", "intercept"] = "observe"
    hosts: tuple[NonEmpty, ...] = ()


class ConnectifExpect(Strict):
    script: Literal["required", "optional", "absent"] = "required"
    purchase_sent: Literal["required", "optional", "absent"] = "required"


PURCHASE_FIELDS = (
    "purchase_id",
    "cart_id",
    "purchase_date",
    "total_quantity",
    "total_price",
    "payment_method",
    "source_name",
    "source_type",
)
ExpectedValue = Annotated[str | int | float, WithJsonSchema({"type": ["string", "number"]})]


class Expect(Strict):
    """What must be true at the end."""

    confirmation_url: NonEmpty | None = None
    return_: Literal["automatic", "manual-allowed"] = Field(default="automatic", alias="return")
    cn_purchase: Literal["present", "absent"] | dict[str, ExpectedValue] = "present"
    connectif: ConnectifExpect = Field(default_factory=ConnectifExpect)

    @field_validator("cn_purchase")
    @classmethod
    def _purchase_keys(cls, value: Any) -> Any:
        # The messages start with the key in brackets so the loader can point at that key's line.
        if isinstance(value, dict):
            for key, expected in value.items():
                if key == "products":
                    if isinstance(expected, bool) or not isinstance(expected, int) or expected < 0:
                        raise ValueError(
                            "[products] the number of product_basket_item blocks: a whole number"
                        )
                elif key not in PURCHASE_FIELDS:
                    raise ValueError(f"[{key}] cn_purchase has no field {key!r}")
        return value


class Scenario(Strict):
    """One audit scenario."""

    name: Annotated[NonEmpty, AfterValidator(_one_line)]
    description: Text | None = None
    tags: tuple[NonEmpty, ...] = ()
    base_url: Annotated[NonEmpty, AfterValidator(_url)] | None = None
    hosts: dict[HostPattern, Annotated[NonEmpty, AfterValidator(_ip)]] = Field(default_factory=dict)
    allow_hosts: tuple[HostPattern, ...] = ()
    timeouts: Timeouts = Field(default_factory=Timeouts)
    vars: dict[Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")], Text] = Field(
        default_factory=dict
    )
    secrets: dict[Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")], Text] = Field(
        default_factory=dict
    )
    browser: BrowserOptions = Field(default_factory=BrowserOptions)
    connectif: ConnectifOptions = Field(default_factory=ConnectifOptions)
    steps: Annotated[tuple[AnyStep, ...], Field(min_length=1)]
    expect: Expect = Field(default_factory=Expect)

    def pay_steps(self) -> list[PayArgs]:
        """The arguments of every `pay` step."""
        return [s.args for s in self.steps if isinstance(s, PayStep)]

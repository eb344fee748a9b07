"""From a recording to a scenario: steps, the pay step and its return, secrets and expectations.

Pure functions of the plain records in model.py. The rules, in the words of scenario-language.md:

- The steps start with `goto` the first URL; every action on the shop follows in order, and a
  navigation the person started themselves (the address bar, back) becomes a `goto`.
- The visit to the payment platform is one `pay` step. It starts with the first of: a top-level
  navigation of the customer's window to another site, a window that opens on another site (`popup:
  true`), or an action inside an iframe from another site in the shop's page (an in-page card form).
  `submit` is the click that left the shop (for an in-page form, the click that made its iframe appear).
- It ends when the customer's window is back on a shop host. When the last thing the person did on
  the platform was a click that took the browser straight to the shop, that click is `return.click`.
- A value typed as a secret becomes `{{name}}`, with `secrets: {name: ${NAME}}`.
- `expect.confirmation_url` is the first shop page after the payment, its ids generalised to `*`;
  when that page shows its tag's `purchase_id`, a `capture` of it as `order_id` feeds `cn_purchase`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from auditor.checks.urlglob import url_matches
from auditor.hosts import host_of
from auditor.observation import NavigationCause
from auditor.recorder.model import (
    Action,
    FrameAppeared,
    Nav,
    PageClosed,
    PageInfo,
    PopupOpened,
    Recording,
    ShopHosts,
    ShownPurchase,
)
from auditor.recorder.secrets import SecretName, SecretNames, luhn_valid

MIN_RETURN_TIMEOUT_MS = 2_000
DEFAULT_RETURN_TIMEOUT_MS = 15_000
MAX_RETURN_TIMEOUT_MS = 120_000

_MECHANISMS = {
    NavigationCause.FORM_POST: "form-post",
    NavigationCause.FORM_GET: "form-get",
    NavigationCause.META_REFRESH: "meta-refresh",
    NavigationCause.SCRIPT: "script",
}


@dataclass(kw_only=True)
class Step:
    """One step as it will be written: an action and its arguments (a string for the short form)."""

    action: str
    args: Any
    comment: str | None = None


@dataclass(kw_only=True)
class Draft:
    """A scenario ready to be written, and what the recording concluded about the payment."""

    name: str
    base_url: str
    start_url: str
    started_at: str
    hosts: dict[str, str]
    secrets: list[SecretName]
    steps: list[Step]
    expect: dict[str, Any]
    provider: str | None = None  # the payment platform's first host; None when no platform was visited
    pay_hosts: list[str] = field(default_factory=list)
    returned: str | None = None  # automatic | manual | none (None: no pay step)
    mechanism: str | None = None
    notes: list[str] = field(default_factory=list)
    ended_by: str = "closed"


@dataclass(kw_only=True)
class _Pay:
    """The pay step while it is being recorded."""

    kind: str  # "navigation", "popup" or "iframe"
    page: str  # the window the platform is in
    started_ms: int
    submit: Action | None
    hosts: list[str] = field(default_factory=list)
    actions: list[tuple[Action, Step]] = field(default_factory=list)
    nav_ms: dict[str, list[int]] = field(default_factory=dict)  # window → its navigations' times

    def add_host(self, host: str) -> None:
        if host and host not in self.hosts:
            self.hosts.append(host)

    def navigated(self, page: str, at_ms: int) -> None:
        self.nav_ms.setdefault(page, []).append(at_ms)

    def navigations_between(self, page: str, start: int, end: int) -> bool:
        return any(start < t < end for t in self.nav_ms.get(page, []))

    def last_navigation(self, page: str, before: int) -> int:
        return max((t for t in self.nav_ms.get(page, []) if t <= before), default=self.started_ms)


def origin_of(url: str) -> str:
    """scheme://host[:port] of a URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def relative_to(url: str, base_url: str) -> str:
    """The URL as a path under base_url when it has base_url's origin, else the URL itself."""
    if origin_of(url) != origin_of(base_url):
        return url
    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    if parts.fragment:
        path += "#" + parts.fragment
    return path


def literal(text: str) -> str:
    """A typed or read value, written so that the loader does not substitute it: `${…}` stays as is,
    and `{{` (which the language has no way to escape) is split into `{ {`."""
    return text.replace("${", "$${").replace("{{", "{ {")


def mechanism_of(nav: Nav, shop: ShopHosts, pay_hosts: list[str], *, popup: bool) -> str:
    """How the platform sent the browser back, by the same rules as a run (engine/pay.py)."""
    if popup:
        return "opener"
    chain = [*nav.redirect_chain, nav.url]

    def shop_host(url: str) -> bool:
        host = host_of(url)
        return shop.is_shop(host) and host not in pay_hosts

    if len(chain) > 1 and any(not shop_host(u) for u in chain[:-1]):
        return "http-redirect"
    return _MECHANISMS.get(nav.cause, "script")


def _looks_like_id(segment: str) -> bool:
    return bool(re.search(r"[0-9]", segment)) or (len(segment) >= 16 and not segment.isalpha())


def _glob_literal(text: str) -> str:
    return re.sub(r"([*{}\\])", r"\\\1", text)


def generalise_url(url: str, base_url: str) -> str:
    """A `confirmation_url` glob for this page: ids (segments and query values with digits) become `*`."""
    parts = urlsplit(url)
    segments = ["*" if _looks_like_id(s) else _glob_literal(s) for s in parts.path.split("/")]
    path = "/".join(segments) or "/"
    prefix = "" if origin_of(url) == origin_of(base_url) else _glob_literal(origin_of(url))
    candidates = []
    if segments[-1] == "*":
        candidates.append(prefix + path)  # the id's `*` also takes the query string (no `/` in it)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = ""
    if pairs and len(pairs) <= 3:
        kept = [(k, v if v.isalpha() and len(v) <= 12 else "*") for k, v in pairs]
        query = "?" + "&".join(f"{_glob_literal(k)}={v if v == '*' else _glob_literal(v)}" for k, v in kept)
    elif parts.query:
        query = "?*"
    candidates.append(prefix + path + query + ("#*" if parts.fragment else ""))
    for glob in candidates:
        if url_matches(glob, url, base_url):
            return glob
    # an unusual URL (a `/` in its query string): match it as it was, id and all
    return "re:^" + re.escape(url) + "$"


def id_pattern(purchase_id: str, text: str) -> str | None:
    """A `capture` pattern that finds the id in the element's text (letters kept, id runs as classes)."""
    parts = re.findall(r"[A-Za-z0-9]+|[^A-Za-z0-9]+", purchase_id)
    out = []
    for part in parts:
        if part.isalnum() and any(c.isdigit() for c in part):
            classes = ("A-Z" if any(c.isupper() for c in part) else "") + (
                "a-z" if any(c.islower() for c in part) else ""
            )
            out.append(f"[{classes}0-9]+")
        else:
            out.append(re.escape(part))
    pattern = "".join(out)
    found = re.search(pattern, text)
    return pattern if found is not None and found.group(0) == purchase_id else None


def _element_args(action: Action, **more: Any) -> Any:
    """The short form (`- click: "#x"`) when the selector is all there is, else the long form."""
    selector = literal(action.selector)
    if not action.frame and not more:
        return selector
    args: dict[str, Any] = {}
    if action.frame:
        frames = [literal(f) for f in action.frame]
        args["frame"] = frames[0] if len(frames) == 1 else frames
    args["selector"] = selector
    args.update(more)
    return args


class _Composer:
    def __init__(self, recording: Recording, hosts: dict[str, str], name: str | None) -> None:
        self.rec = recording
        self.shop = recording.shop
        self.hosts = hosts
        self.name = name
        self.base_url = origin_of(recording.start_url)
        self.secrets = SecretNames()
        self.notes = list(recording.notes)
        self.steps: list[tuple[Action | None, Step]] = [
            (None, Step(action="goto", args=relative_to(recording.start_url, self.base_url)))
        ]
        self.state = "shop"  # shop → pay → after
        self.pay: _Pay | None = None
        self.pay_index = -1  # where the pay step sits in self.steps
        self.returned: str | None = None
        self.mechanism: str | None = None
        self.return_nav: Nav | None = None
        self.return_timeout: int | None = None
        self.return_click: Action | None = None
        self.confirmation: PageInfo | None = None
        self.title: str | None = None
        self.main_navs = 0
        self.last_main_nav_ms = 0
        self.frames_in_document: dict[str, int] = {}  # platform host → when its iframe appeared
        self.popup_opened: dict[str, int] = {}
        self.dropped = 0

    # ---------------------------------------------------------------- steps

    def step_for(self, action: Action) -> Step:
        comment = None if action.verified else "not verified unique when recorded: check this selector"
        if action.note:
            comment = action.note
        if action.kind == "fill":
            value = self.fill_value(action)
            return Step(action="fill", args=_element_args(action, value=value), comment=comment)
        if action.kind == "select":
            return Step(action="select", args=_element_args(action, value=literal(action.value or "")))
        if action.kind == "press":
            return Step(
                action="press", args=_element_args(action, key=action.key or "Enter"), comment=comment
            )
        return Step(action=action.kind, args=_element_args(action), comment=comment)

    def fill_value(self, action: Action) -> str:
        kind = action.secret
        if kind is None and action.value is not None and luhn_valid(action.value):
            kind = "card_number"  # the page-side rules missed it: still never written
        if kind is not None:
            return "{{" + self.secrets.name_for(kind, action.host).variable + "}}"
        return literal(action.value or "")

    def add(self, action: Action) -> None:
        """Append the action's step where it belongs; a fill of the field filled just before replaces
        that one (one fill per field, with its final value)."""
        step = self.step_for(action)
        if self.state == "pay" and self.pay is not None:
            actions = self.pay.actions
            if actions and action.same_field(actions[-1][0]):
                actions[-1] = (action, step)
            else:
                actions.append((action, step))
            return
        last = self.steps[-1][0] if self.steps else None
        if last is not None and action.same_field(last):
            self.steps[-1] = (action, step)
        else:
            self.steps.append((action, step))

    # ---------------------------------------------------------------- events

    def run(self) -> Draft:
        for event in self.rec.events:
            if isinstance(event, Action):
                self.on_action(event)
            elif isinstance(event, Nav):
                self.on_nav(event)
            elif isinstance(event, PopupOpened):
                self.popup_opened[event.page] = event.at_ms
            elif isinstance(event, FrameAppeared):
                self.on_frame(event)
            elif isinstance(event, PageInfo):
                self.on_page(event)
            elif isinstance(event, PageClosed):
                pass  # a closed popup is seen in what the customer's window does next
        if self.state == "pay":
            self.finish_without_return(self.rec.ended_ms)
        if self.dropped:
            self.notes.append(
                f"{self.dropped} action(s) outside the customer's and the payment's windows were left out"
            )
        return self.draft()

    def on_action(self, action: Action) -> None:
        if self.state == "pay":
            assert self.pay is not None
            pay = self.pay
            if action.page != pay.page and not (pay.kind != "popup" and action.page == "main"):
                self.dropped += 1
                return
            for host in (*action.frame_hosts, action.host):
                if self.shop.is_platform(host):
                    pay.add_host(host)
            self.add(action)
            return
        if action.page != "main":
            self.dropped += 1
            return
        platform = next(
            (h for h in (*action.frame_hosts, action.host) if action.frame and self.shop.is_platform(h)), None
        )
        if self.state == "shop" and platform is not None:
            self.start_pay("iframe", "main", action.at_ms, self.iframe_submit(platform))
            assert self.pay is not None
            self.on_action(action)
            return
        self.add(action)

    def on_frame(self, frame: FrameAppeared) -> None:
        if frame.page == "main" and self.shop.is_platform(frame.host):
            self.frames_in_document.setdefault(frame.host, frame.at_ms)
        pay = self.pay
        on_platform = pay is not None and pay.kind != "iframe" and frame.page == pay.page
        if self.state == "pay" and pay is not None and on_platform and self.shop.is_platform(frame.host):
            pay.add_host(frame.host)  # 3-D Secure frames on the platform's pages

    def on_nav(self, nav: Nav) -> None:
        if nav.page == "main":
            self.main_navs += 1
            self.last_main_nav_ms = nav.at_ms
            self.frames_in_document.clear()
            if self.main_navs == 1:
                return  # the recorder's own `goto` of the first URL
        platform_hosts = [
            h for h in (*map(host_of, nav.redirect_chain), nav.host) if self.shop.is_platform(h)
        ]
        if self.state == "pay":
            assert self.pay is not None
            self.pay.navigated(nav.page, nav.at_ms)
            if nav.page == self.pay.page or nav.page == "main":
                for host in platform_hosts:
                    self.pay.add_host(host)
            if nav.page == "main" and self.shop.is_shop(nav.host):
                if nav.cause == NavigationCause.TYPED:
                    # the person went back to the shop by hand: the platform never sent them
                    self.finish_without_return(nav.at_ms)
                    self.add_goto(nav)
                else:
                    self.finish_with_return(nav)
            return
        if nav.page == "main":
            if self.shop.is_shop(nav.host):
                if nav.cause == NavigationCause.TYPED:
                    self.add_goto(nav)
            elif self.shop.is_platform(nav.host):
                if self.state == "shop":
                    typed = nav.cause == NavigationCause.TYPED
                    if typed:
                        self.add_goto(nav)  # the person opened the platform's page by hand: no click left
                    submit = None if typed else self.last_click_submit(None)
                    self.start_pay("navigation", "main", nav.at_ms, submit)
                    assert self.pay is not None
                    self.pay.navigated("main", nav.at_ms)
                    for host in platform_hosts:
                        self.pay.add_host(host)
                else:
                    self.notes.append(
                        f"after the payment the browser went to {nav.host}: not part of the pay step"
                    )
        elif self.state == "shop" and self.shop.is_platform(nav.host):
            opened = self.popup_opened.get(nav.page, nav.at_ms)
            self.start_pay("popup", nav.page, nav.at_ms, self.last_click_submit(opened))
            assert self.pay is not None
            self.pay.navigated(nav.page, nav.at_ms)
            for host in platform_hosts:
                self.pay.add_host(host)

    def on_page(self, info: PageInfo) -> None:
        if info.page != "main":
            return
        if self.title is None:
            self.title = info.title
        if self.state == "after" and self.confirmation is None and self.return_nav is not None:
            self.confirmation = info

    def add_goto(self, nav: Nav) -> None:
        step = Step(action="goto", args=relative_to(nav.url, self.base_url))
        self.steps.append((None, step))

    # ---------------------------------------------------------------- the pay step

    def last_click_submit(self, before: int | None) -> Action | None:
        """The click that left the shop: the last step, when it is a click in the customer's window."""
        if len(self.steps) < 2:
            return None
        action = self.steps[-1][0]
        if action is None or action.kind != "click" or action.page != "main":
            return None
        if before is not None and action.at_ms > before:
            return None
        self.steps.pop()
        return action

    def iframe_submit(self, host: str) -> Action | None:
        """The click that made the platform's iframe appear in the page, if one did."""
        appeared = self.frames_in_document.get(host)
        if appeared is None or len(self.steps) < 2:
            return None
        action = self.steps[-1][0]
        if (
            action is None
            or action.kind != "click"
            or action.page != "main"
            or action.frame
            or not (self.last_main_nav_ms <= action.at_ms <= appeared)
        ):
            return None  # the iframe came with the page itself: no click brought it
        self.steps.pop()
        return action

    def start_pay(self, kind: str, page: str, at_ms: int, submit: Action | None) -> None:
        self.state = "pay"
        self.pay = _Pay(kind=kind, page=page, started_ms=at_ms, submit=submit)
        self.pay_index = len(self.steps)
        self.steps.append((None, Step(action="pay", args=None)))  # filled in by draft()

    def return_click_of(self, nav: Nav) -> Action | None:
        """The platform click that took the browser straight back to the shop, if that was the return."""
        pay = self.pay
        assert pay is not None
        if not pay.actions:
            return None
        last = pay.actions[-1][0]
        if last.kind != "click":
            return None
        first_url = (nav.redirect_chain or (nav.url,))[0]
        direct = self.shop.is_shop(host_of(first_url))  # the request went to the shop, not via the platform
        if pay.kind == "popup":
            clicked_in_popup = last.page == pay.page and not pay.navigations_between(
                pay.page, last.at_ms, nav.at_ms
            )
            return (
                last
                if clicked_in_popup and not pay.navigations_between("main", last.at_ms, nav.at_ms)
                else None
            )
        if last.page != "main" or not self.shop.is_platform(last.host) or not direct:
            return None
        if pay.navigations_between("main", last.at_ms, nav.at_ms):
            return None
        if last.frame and nav.cause != NavigationCause.LINK:
            return None  # a form posted by the platform's script after a click in its iframe
        return last

    def finish_with_return(self, nav: Nav) -> None:
        pay = self.pay
        assert pay is not None
        click = self.return_click_of(nav)
        if click is not None:
            pay.actions.pop()
            waited_from = max(
                pay.last_navigation(click.page, click.at_ms),
                pay.actions[-1][0].at_ms if pay.actions else pay.started_ms,
            )
            self.return_click = click
            self.returned, self.mechanism = "manual", "click"
            self.return_timeout = _clamp_timeout(click.at_ms - waited_from)
        else:
            self.returned = "automatic"
            self.mechanism = mechanism_of(nav, self.shop, pay.hosts, popup=pay.kind == "popup")
            last = pay.actions[-1][0].at_ms if pay.actions else pay.started_ms
            took = nav.at_ms - last
            # the platform took long to send the customer back: give a run twice that before it gives up
            if took * 2 > DEFAULT_RETURN_TIMEOUT_MS:
                self.return_timeout = min(MAX_RETURN_TIMEOUT_MS, _whole_seconds(took * 2))
        self.return_nav = nav
        self.state = "after"

    def finish_without_return(self, at_ms: int) -> None:
        pay = self.pay
        assert pay is not None
        last = max(
            pay.last_navigation(pay.page, at_ms),
            pay.actions[-1][0].at_ms if pay.actions else pay.started_ms,
        )
        self.returned, self.mechanism = "none", None
        self.return_timeout = _clamp_timeout(at_ms - last)
        self.state = "after"

    # ---------------------------------------------------------------- the result

    def pay_step(self) -> Step:
        pay = self.pay
        assert pay is not None
        args: dict[str, Any] = {"provider": pay.hosts[0] if pay.hosts else None}
        if pay.submit is not None:
            args["submit"] = _element_args(pay.submit)
        args["hosts"] = list(pay.hosts)
        if pay.kind == "popup":
            args["popup"] = True
        if pay.actions:
            args["steps"] = [step for _, step in pay.actions]
        ret: dict[str, Any] = {}
        if self.return_timeout is not None:
            ret["timeout"] = _duration(self.return_timeout)
        if self.return_click is not None:
            ret["click"] = _element_args(self.return_click)
        if ret:
            args["return"] = ret
        if args["provider"] is None:
            del args["provider"]
        comment = None
        if pay.submit is not None and not pay.submit.verified:
            comment = "submit: not verified unique when recorded"
        return Step(action="pay", args=args, comment=comment)

    def capture_and_expect(self) -> tuple[Step | None, dict[str, Any]]:
        expect: dict[str, Any] = {}
        capture = None
        if self.return_nav is not None:
            expect["confirmation_url"] = generalise_url(self.return_nav.url, self.base_url)
        purchase = self.confirmation.purchase if self.confirmation is not None else None
        if purchase is not None and purchase.purchase_id and purchase.selector:
            args: dict[str, Any] = {"name": "order_id", "selector": purchase.selector}
            pattern = None
            if purchase.text != purchase.purchase_id:
                pattern = id_pattern(purchase.purchase_id, purchase.text)
            if pattern is not None or purchase.text == purchase.purchase_id:
                if pattern is not None:
                    args["pattern"] = pattern
                capture = Step(action="capture", args=args)
                expect["cn_purchase"] = {"purchase_id": "{{order_id}}", "products": purchase.products}
        if capture is None and self.return_nav is not None:
            self.notes.append(f"no capture of the order number: {self._why_no_capture(purchase)}")
        return capture, expect

    def _why_no_capture(self, purchase: ShownPurchase | None) -> str:
        if self.confirmation is None:
            return "the first shop page after the payment never said what it shows (the recording ended)"
        if purchase is None:
            return f"the first shop page after the payment ({self.confirmation.url}) has no cn_purchase tag"
        if not purchase.purchase_id:
            return "the cn_purchase tag of the first shop page after the payment has no purchase_id"
        return (
            f"that page's purchase_id ({purchase.purchase_id}) is not shown in an element a capture can read"
        )

    def draft(self) -> Draft:
        steps = [step for _, step in self.steps]
        if self.pay is not None:
            steps[self.pay_index] = self.pay_step()
        capture, expect = self.capture_and_expect()
        if capture is not None:
            steps.insert(self.pay_index + 1, capture)
        if self.pay is None:
            self.notes.append("no payment platform was visited: the scenario has no pay step")
        name = (
            literal((self.name or self.title or "").strip()) or f"Checkout on {host_of(self.rec.start_url)}"
        )
        return Draft(
            name=name,
            base_url=self.base_url,
            start_url=self.rec.start_url,
            started_at=self.rec.started_at,
            hosts=dict(self.hosts),
            secrets=self.secrets.all(),
            steps=steps,
            expect=expect,
            provider=self.pay.hosts[0] if self.pay is not None and self.pay.hosts else None,
            pay_hosts=list(self.pay.hosts) if self.pay is not None else [],
            returned=self.returned,
            mechanism=self.mechanism,
            notes=self.notes,
            ended_by=self.rec.ended_by,
        )


def _whole_seconds(ms: int) -> int:
    return max(1, math.ceil(ms / 1000)) * 1000


def _clamp_timeout(waited_ms: int) -> int:
    """How long a run waits for the platform: as long as the person waited, within sensible bounds."""
    return min(DEFAULT_RETURN_TIMEOUT_MS, max(MIN_RETURN_TIMEOUT_MS, _whole_seconds(waited_ms)))


def _duration(ms: int) -> str:
    return f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms}ms"


def compose(recording: Recording, *, hosts: dict[str, str] | None = None, name: str | None = None) -> Draft:
    """The scenario a recording makes."""
    return _Composer(recording, hosts or {}, name).run()

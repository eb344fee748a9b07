"""A click or key press after which the navigation it was to start never came: whose mistake it is.

Judged from the element it acted on, on the page it left unchanged, and only once the step after it
(or the pay step's wait for the platform) has failed: the submit control of a form the browser refused
(a required field left empty: the scenario's), an element that neither submits nor navigates (the
scenario clicked the wrong one), or a control the shop's own script kept from navigating (the shop's).

Whether the page's script handles a plain element (a `<div>` pay button), or a button (which does nothing
by itself outside a form), is asked of Chromium's DevTools (`DOMDebugger.getEventListeners` on the
element and the nodes its events bubble through), within a short deadline of its own: a page whose script
keeps its main thread busy answers nothing. Without an answer, a pointer cursor stands for a plain
element's handler, and a button is taken as its script's, as its kind says.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from playwright.sync_api import CDPSession, Frame, Locator, Page
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from auditor.engine.aborts import ScenarioAbort, ScenarioInvalid, StepFailed
from auditor.engine.frames import first_visible, yaml_quoted
from auditor.engine.observe import Recorder
from auditor.scenario.model import ElementArgs


@dataclass(frozen=True, kw_only=True)
class Gesture:
    """A click or key press that ran, kept until the next step: if the navigation it was to start never
    comes, the next step fails, and the cause is here (a form the browser refused, a click on nothing)."""

    place: str  # "steps[5]"
    action: str  # "click" or "press"
    selector: str
    args: ElementArgs
    page: int  # id() of the page it acted on
    navigations: int  # that page's navigations before it
    key: str | None = None  # the key a press pressed


# What the element a gesture acted on is, judged from the page it left unchanged: the submit control of a
# form the browser refuses to submit (its invalid fields), a form's submit, a link, a control a script
# handles (a button that submits nothing, role=button, onclick), or none of these (`pointer` then says
# whether it, or an ancestor, shows a pointer cursor); with the form's (else the page's) visible submit
# buttons, for a did-you-mean. Never reads a field's value.
_GESTURE_JS = r"""
(el, enter) => {
  const words = (e) => ((e.tagName === 'INPUT' ? e.value : e.innerText) || e.getAttribute('aria-label')
    || e.getAttribute('title') || '').replace(/\s+/g, ' ').trim().slice(0, 60);
  const shown = (e) => { const b = e.getBoundingClientRect();
    return b.width > 0 && b.height > 0 && getComputedStyle(e).visibility !== 'hidden'; };
  const unique = (sel) => {
    try { return document.querySelectorAll(sel).length === 1; } catch (e) { return false; }
  };
  const named = (e, text) => {
    if (e.id && unique('#' + CSS.escape(e.id))) return '#' + CSS.escape(e.id);
    const tag = e.tagName.toLowerCase(), name = e.getAttribute('name');
    if (name && unique(tag + '[name="' + name + '"]')) return tag + '[name="' + name + '"]';
    const w = text ? words(e) : '';
    return w && w.length <= 40 ? 'text=' + JSON.stringify(w) : tag + (name ? '[name="' + name + '"]' : '');
  };
  const submits = (b) => b && ['BUTTON', 'INPUT'].includes(b.tagName) && ['submit', 'image'].includes(b.type);
  const submitter = el.closest('button, input');
  const form = submits(submitter) ? submitter.form : (enter && el.form) || null;
  const out = {tag: el.tagName.toLowerCase(), type: el.getAttribute('type'), text: words(el), kind: 'none',
               invalid: [], others: [], in_form: false};
  if (form) {
    out.kind = 'submit';
    if (!form.noValidate && !(submits(submitter) && submitter.formNoValidate)) {
      for (const f of form.elements) {
        if (!f.willValidate || f.validity.valid) continue;
        const type = (f.type || '').toLowerCase();
        out.invalid.push({selector: named(f, false), type: type, visible: shown(f),
          empty: ['checkbox', 'radio'].includes(type) ? !f.checked : !f.value, message: f.validationMessage});
        if (out.invalid.length >= 5) break;
      }
      if (out.invalid.length) out.kind = 'blocked';
    }
    return out;
  }
  const link = el.closest('a[href]');
  const href = link ? link.getAttribute('href').trim() : '';
  if (href && href !== '#' && !/^javascript:/i.test(href)) { out.kind = 'link'; return out; }
  const control = el.closest('a, button, select, summary, label, [role=button], [role=link], '
    + '[role=menuitem], [role=tab], [onclick], input[type=button], input[type=reset], input[type=checkbox], '
    + 'input[type=radio]');
  let pointer = false;
  for (let e = el; e && e !== document.body && !pointer; e = e.parentElement) {
    pointer = getComputedStyle(e).cursor === 'pointer';
  }
  if (control || el.onclick) out.kind = 'control';
  // A button that submits no form does nothing by itself: only a script makes it act (a link's address,
  // even `javascript:`, acts without one). 'role' when it is a button by its role alone.
  const button = control && !el.closest('a[href]')
    && control.matches('button:not([type=reset i]), input[type=button], [role=button]') ? control : null;
  if (button) out.button = ['BUTTON', 'INPUT'].includes(button.tagName) ? 'tag' : 'role';
  out.pointer = pointer;
  const scope = (control && control.form) || el.closest('form');
  out.in_form = !!scope;
  for (const b of (scope || document).querySelectorAll('button, input[type=submit], input[type=image]')) {
    if (b === control || !submits(b) || !shown(b)) continue;
    out.others.push({selector: named(b, true), text: words(b)});
    if (out.others.length >= 3) break;
  }
  return out;
}
"""


# The nodes a click's (or key's) events bubble through, from the element up to its window (across shadow
# roots), kept on the window under `marker` for DevTools to find; each named, and marked `wide` when it
# spans the whole page: the window, the document, <html>, <body>, a child of <body> (an app's mount
# point: React's #root, Vue's #app) or a React root. A listener there hears every click of the page
# (frameworks delegate there, and so do analytics), so it does not say that this element is handled.
_CHAIN_JS = r"""
(el, marker) => {
  const chain = [];
  for (let n = el; n; n = n.parentNode || n.host) chain.push(n);
  chain.push(window);
  window[marker] = chain;
  const body = document.body;
  const react = (n) => n.nodeType === 1
    && Object.keys(n).some((k) => k.startsWith('__reactContainer$') || k === '_reactRootContainer');
  return chain.map((n) => ({
    name: n === window ? 'window' : n.nodeType === 9 ? 'document' : n.nodeType === 11 ? 'a shadow root'
      : n.tagName.toLowerCase() + (n.id ? '#' + n.id : n.classList.length ? '.' + n.classList[0] : ''),
    wide: n !== el && (n === window || n.nodeType === 9 || n === document.documentElement || n === body
      || (!!body && n.parentNode === body) || react(n)),
  }));
}
"""

# The events by which a script can take over a click, or an Enter press.
_HEARD = {
    False: ("click", "mousedown", "mouseup", "pointerdown", "pointerup"),
    True: ("keydown", "keypress", "keyup"),
}

# How long DevTools has to tell the listeners, all its calls together: it answers in milliseconds, unless
# the page's script keeps the page's main thread busy, when it does not answer at all.
_DEVTOOLS_S = 2.0


def gesture_target(
    page: Page, args: ElementArgs, selector: str, enter: bool = False
) -> dict[str, Any] | None:
    """What the element a click (or an Enter press) acted on is, as _GESTURE_JS reads it; None when it is
    gone or the page cannot be asked. Asked only once the navigation it was to start has not come.

    An element that is no control by its kind is a `control` too when the page's script listens to it
    (or to an ancestor below the page's root), and `maybe` when only a page-wide node listens: then the
    script may handle it, or the scenario may have meant another element. Without DevTools, a pointer
    cursor makes it a `control`, as before DevTools was asked. A button (`found["button"]`) stays a
    `control` when its own script listens (or DevTools cannot say), and is `maybe` when only a page-wide
    node does, or none at all (`listener` {}): a broken button, or the wrong one.
    """
    element = first_visible(page, args, selector)
    try:
        found = element.evaluate(_GESTURE_JS, enter, timeout=1_000)
    except PlaywrightError:
        return None
    if not isinstance(found, dict):
        return None
    if found["kind"] == "none":
        listener = _listener(page, element, _HEARD[enter])
        if listener is None:  # DevTools cannot say: a pointer cursor is the sign of a script's control
            found["kind"] = "control" if found.get("pointer") else "none"
        elif listener:
            found["kind"] = "control" if listener["own"] else "maybe"
            found["listener"] = listener
    elif found["kind"] == "control" and found.get("button") and not _other_submit(found):
        # Enter on a button clicks it: its click listeners count then too.
        listener = _listener(page, element, _HEARD[enter] + (_HEARD[False] if enter else ()))
        if listener is not None:
            found["kind"] = "control" if listener.get("own") else "maybe"
            found["listener"] = listener
    return found


def _other_submit(found: Mapping[str, Any]) -> bool:
    """The element is in a form that has a submit button of its own (the one that submits it)."""
    return bool(found.get("in_form") and found.get("others"))


def _listener(page: Page, element: Locator, events: tuple[str, ...]) -> dict[str, Any] | None:
    """The nearest node whose script listens to the gesture's events, as {"name", "type", "own", "self"}
    (`own`: the element, or an ancestor below the page's root; `self`: the element itself); the first
    page-wide one when no other listens; {} when none does; None when DevTools cannot say (not Chromium,
    the page or element gone)."""
    marker = f"__auditor_gesture_{secrets.token_hex(8)}"
    try:
        chain = element.evaluate(_CHAIN_JS, marker, timeout=1_000)
    except PlaywrightError:
        return None
    try:
        handle = element.element_handle(timeout=1_000)
        frame = handle.owner_frame()
        handle.dispose()
        session = _session(page, frame)
        try:
            heard = _heard(session, marker, events)
        finally:
            with suppress(PlaywrightError):
                session.detach()
    except PlaywrightError:
        return None
    finally:  # the page is left as it was
        with suppress(PlaywrightError):
            element.evaluate("(el, marker) => { delete window[marker]; }", marker, timeout=1_000)
    if heard is None or len(heard) != len(chain):
        return None
    found = [
        {"name": node["name"], "type": types[0], "own": not node["wide"], "self": i == 0}
        for i, (node, types) in enumerate(zip(chain, heard, strict=True))
        if types
    ]
    return next((f for f in found if f["own"]), found[0] if found else {})


def _session(page: Page, frame: Frame | None) -> CDPSession:
    """A DevTools session that reaches the element's frame: its own for a cross-site iframe (a process
    of its own), else the page's (which reaches the frames of its process)."""
    if frame is not None and frame != page.main_frame:
        with suppress(PlaywrightError):
            return page.context.new_cdp_session(frame)
    return page.context.new_cdp_session(page)


def _heard(session: CDPSession, marker: str, events: tuple[str, ...]) -> list[list[str]] | None:
    """For each node _CHAIN_JS kept under `marker`, the events of `events` the page's script listens to
    on it; None when no frame of the session holds the marker, or DevTools does not answer in time."""
    deadline = time.monotonic() + _DEVTOOLS_S

    def send(method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        left_ms = (deadline - time.monotonic()) * 1000
        if left_ms <= 0:
            raise PlaywrightTimeout(f"DevTools gave no answer within {_DEVTOOLS_S:g}s")
        return session.send(method, params, timeout=left_ms)  # 0 would mean no deadline: left_ms > 0

    try:
        return _listeners_on(session, send, marker, events)
    except PlaywrightTimeout:
        return None


def _listeners_on(
    session: CDPSession,
    send: Callable[[str, dict[str, Any] | None], dict[str, Any]],
    marker: str,
    events: tuple[str, ...],
) -> list[list[str]] | None:
    contexts: list[int] = []

    def created(event: dict[str, Any]) -> None:
        if event["context"].get("auxData", {}).get("isDefault"):  # a frame's page world, not an isolated one
            contexts.append(event["context"]["id"])

    session.on("Runtime.executionContextCreated", created)
    send("Runtime.enable", None)  # reports the contexts already there before it answers
    chain_id = None
    for context in contexts:
        kept = send("Runtime.evaluate", {"expression": f"window[{json.dumps(marker)}]", "contextId": context})
        chain_id = kept.get("result", {}).get("objectId")
        if chain_id:
            break
    if not chain_id:
        return None
    items = send("Runtime.getProperties", {"objectId": chain_id, "ownProperties": True})["result"]
    nodes = sorted((int(p["name"]), p["value"]["objectId"]) for p in items if p["name"].isdigit())
    listeners = [send("DOMDebugger.getEventListeners", {"objectId": node})["listeners"] for _, node in nodes]
    if not listeners:
        return None
    # Playwright's own script in the page listens on the window for every click (to check where a click
    # lands): its listeners are not the shop's. It is known by the one it marks its own.
    playwright = {lis["scriptId"] for lis in listeners[-1] if lis["type"].startswith("__playwright")}
    return [
        [lis["type"] for lis in on if lis["type"] in events and lis["scriptId"] not in playwright]
        for on in listeners
    ]


def _fix(field: Mapping[str, Any]) -> str:
    """The step that fills an invalid field, as the scenario would write it."""
    selector = yaml_quoted(str(field["selector"]))
    if field["type"] in ("checkbox", "radio"):
        return f"`- check: {selector}`"
    if str(field["type"]).startswith("select"):
        return f"`- select: {{selector: {selector}, value: …}}`"
    return f"`- fill: {{selector: {selector}, value: …}}`"


def refused_form(found: Mapping[str, Any], place: str) -> tuple[str | None, str | None]:
    """A form the browser refused to submit: (the scenario's mistake, or the shop's fault), in words.

    A required field the customer can see and the scenario left empty (or filled with a value the
    browser refuses) is the scenario's to mend; one the customer cannot see blocks every customer.
    """
    fields = list(found.get("invalid") or ())
    if not fields:
        return None, None
    hidden = [f for f in fields if not f["visible"]]
    if hidden:
        names = ", ".join(str(f["selector"]) for f in hidden)
        return None, (
            f"the browser refused to submit the form: its required field {names} is not visible "
            '(Chromium: "An invalid form control is not focusable"), so no customer can fill it either'
        )
    said = []
    for f in fields:
        why = "is required and empty" if f["empty"] else "holds a value the browser refuses"
        said.append(f"{f['selector']} {why} ({f['message']!r})" if f["message"] else f"{f['selector']} {why}")
    first = fields[0]
    fix = (
        f"add {_fix(first)} before {place}"
        if first["empty"]
        else f"correct the value it gives {first['selector']}"
    )
    return (
        f"the browser refused to submit the form (its own form validation): {'; '.join(said)}; {fix}"
    ), None


def _what(found: Mapping[str, Any], selector: str) -> str:
    kind = f'<{found["tag"]} type="{found["type"]}">' if found.get("type") else f"<{found['tag']}>"
    text = f" ({found['text']!r})" if found.get("text") else ""
    return f"{selector!r}, a {kind}{text}"


def _did_you_mean(found: Mapping[str, Any], key: str) -> str:
    """The form's (else the page's) submit buttons, and the step that clicks the first: "" when none."""
    others = list(found.get("others") or ())
    if not others:
        return ""
    listed = "; ".join(f"{o['selector']!r}" + (f" ({o['text']})" if o["text"] else "") for o in others)
    way = f"; the {'form' if found.get('in_form') else 'page'}'s submit buttons: {listed}: did you mean "
    return way + f"`{key}: {yaml_quoted(str(others[0]['selector']))}`?"


def wrong_target(found: Mapping[str, Any], selector: str, key: str) -> str | None:
    """The element is nothing that submits or navigates (a text, a price, a heading), or a button that
    submits nothing beside its form's own submit button: the scenario clicked the wrong element."""
    way = _did_you_mean(found, key)
    if found["kind"] == "none":
        return f"{_what(found, selector)}, which is not a link, a button or a form's submit{way}"
    if found["kind"] == "control" and _other_submit(found):
        return f"{_what(found, selector)}, which does not submit its form{way}"
    return None


def either_words(found: Mapping[str, Any], selector: str, key: str) -> str | None:
    """The element is no control, and only a page-wide node's script listens (React's root, a listener
    on the document): the script may handle this element and never navigate (the shop's), or the scenario
    may have meant another element (its own). Neither is known, so the words name both."""
    if found["kind"] != "maybe":
        return None
    listener = found["listener"]
    if found.get("button"):
        return _button_words(found, selector, key, listener)
    heard = "key presses" if str(listener["type"]).startswith("key") else "clicks"
    return (
        f"{_what(found, selector)}, which is not a link, a button or a form's submit, and the page's script "
        f"listens to {heard} only page-wide (a {listener['type']} listener on {listener['name']}, where "
        f"frameworks such as React listen for every element, and analytics scripts too): either that "
        f"script handles this element and never navigated (the shop's to mend), or `{key}` names the wrong "
        f"element{_did_you_mean(found, key)}"
    )


def _button_words(found: Mapping[str, Any], selector: str, key: str, listener: Mapping[str, Any]) -> str:
    """A button that submits nothing, which no script of its own listens to: a broken button (the shop's)
    or the wrong one (the scenario's). With no listener anywhere nothing makes it act at all."""
    button = "a button (role=button)" if found["button"] == "role" else "a button"
    if not listener:
        heard, act = ("click or key", "pressing Enter on it") if key == "press" else ("click", "clicking it")
        return (
            f"{_what(found, selector)}, {button} that no script of the page listens to (no {heard} listener "
            f"on it, on the elements around it, on the document or the window), so {act} does "
            f"nothing: either the button is broken (the shop's to mend), or `{key}` names the wrong "
            f"element{_did_you_mean(found, key)}"
        )
    return (
        f"{_what(found, selector)}, {button} whose events the page's script listens to only page-wide "
        f"(a {listener['type']} listener on {listener['name']}, where frameworks such as React listen for "
        f"every element, and analytics scripts too): either that script handles this button and never "
        f"navigated (the shop's to mend), or `{key}` names the wrong element{_did_you_mean(found, key)}"
    )


def shop_words(found: Mapping[str, Any], selector: str) -> str:
    """The element does submit or navigate, or a script handles it: the shop's page never moved on."""
    kind = found["kind"]
    if kind == "submit":
        return (
            f"{_what(found, selector)} submits its form, and the page's script kept the form from "
            "navigating (it handles the submit itself and never moved on)"
        )
    if kind == "link":
        return f"{_what(found, selector)} is a link, and the page's script kept it from navigating"
    words = f"{_what(found, selector)} is handled by the page's script, which never navigated"
    listener = found.get("listener")
    if listener:  # no control by its kind: what DevTools saw
        on = "it" if listener["self"] else f"its ancestor {listener['name']}"
        words += f" (a {listener['type']} listener on {on})"
    return words


def after_gesture(
    page: Page,
    gesture: Gesture | None,
    recorder: Recorder,
    where: Callable[[str], str],
    failed: StepFailed,
    *,
    navigation: bool,
) -> ScenarioAbort:
    """A step failed on the page that the previous step's click or key press left unchanged: blame that
    gesture when the evidence says so. A form the browser refused explains any failure; the element
    itself (nothing that navigates, the wrong button) only a wait for a URL, which expects a navigation.

    Asked only now, after the wait: by then no navigation of that page is on its way or unrecorded.
    """
    if gesture is None or gesture.page != id(page) or page.is_closed():
        return failed
    role = recorder.pages.get(id(page), "main")
    if len(recorder.navigations_of(role)) != gesture.navigations:
        return failed  # the page did move on: the gesture did its part
    enter = gesture.action == "press" and gesture.key == "Enter"
    if gesture.action == "press" and not enter:
        return failed
    found = gesture_target(page, gesture.args, gesture.selector, enter)
    if found is None:
        return failed
    cite = f"{gesture.place} ({gesture.action}, {where(gesture.place)})"
    stayed = f"{failed}: the page stayed on {page.url} after {cite}"
    mistake, fault = refused_form(found, gesture.place)
    if mistake is not None:
        return ScenarioInvalid(f"{stayed}, because {mistake}")
    if fault is not None:
        return StepFailed(f"{stayed}, because {fault}")
    if not navigation:
        return failed
    wrong = wrong_target(found, gesture.selector, gesture.action)
    if wrong is not None:
        return ScenarioInvalid(f"{stayed}, which started no navigation: it acted on {wrong}")
    either = either_words(found, gesture.selector, gesture.action)
    if either is not None:
        return StepFailed(f"{stayed}, which started no navigation: it acted on {either}")
    return StepFailed(f"{stayed}, which started no navigation: {shop_words(found, gesture.selector)}")


def submit_trouble(
    page: Page, args: ElementArgs, selector: str, place: str
) -> tuple[ScenarioAbort | None, str | None]:
    """After a pay step's `submit` that never reached the platform: (what ends the pay step, the shop's
    fault in words), from the element it clicked; (None, None) when the page cannot say. The pay step
    ends on the scenario's mistake (ScenarioInvalid), or on a doubt that names both sides (StepFailed).
    `place` is the pay step's ("steps[6]"): a field to fill goes before it."""
    found = gesture_target(page, args, selector)
    if found is None:
        return None, None
    mistake, fault = refused_form(found, place)
    if mistake is not None or fault is not None:
        return (ScenarioInvalid(mistake) if mistake is not None else None), fault
    wrong = wrong_target(found, selector, "submit")
    if wrong is not None:
        return ScenarioInvalid(f"the submit started no navigation: it clicked {wrong}"), None
    either = either_words(found, selector, "submit")
    if either is not None:
        return StepFailed(f"the submit started no navigation: it clicked {either}"), None
    return None, f"the submit started no navigation: {shop_words(found, selector)}"


def ended_on_gesture(
    page: Page, gesture: Gesture | None, recorder: Recorder, where: Callable[[str], str]
) -> ScenarioAbort | None:
    """The scenario's last step was a click or an Enter press whose form the browser refused: the page
    never moved on, so the page it ends on is not the confirmation; None otherwise (no form refused, or
    the page did move on). Only a refused form says so at once: any other click may still be starting
    its navigation, or may be meant to leave the page as it is."""
    ended = StepFailed("the scenario ended on its last step")
    verdict = after_gesture(page, gesture, recorder, where, ended, navigation=False)
    return None if verdict is ended else verdict

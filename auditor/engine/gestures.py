"""A click or key press after which the navigation it was to start never came: whose mistake it is.

Judged from the element it acted on, on the page it left unchanged, and only once the step after it
(or the pay step's wait for the platform) has failed: the submit control of a form the browser refused
(a required field left empty: the scenario's), an element that neither submits nor navigates (the
scenario clicked the wrong one), or a control the shop's own script kept from navigating (the shop's).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

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
# handles (a button that submits nothing, role=button, onclick, a pointer cursor), or none of these; with
# the form's (else the page's) visible submit buttons, for a did-you-mean. Never reads a field's value.
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
  if (control || pointer || el.onclick) out.kind = 'control';
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


def gesture_target(
    page: Page, args: ElementArgs, selector: str, enter: bool = False
) -> dict[str, Any] | None:
    """What the element a click (or an Enter press) acted on is, as _GESTURE_JS reads it; None when it is
    gone or the page cannot be asked. Asked only once the navigation it was to start has not come."""
    try:
        found = first_visible(page, args, selector).evaluate(_GESTURE_JS, enter, timeout=1_000)
    except PlaywrightError:
        return None
    return found if isinstance(found, dict) else None


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


def wrong_target(found: Mapping[str, Any], selector: str, key: str) -> str | None:
    """The element is nothing that submits or navigates (a text, a price, a heading), or a button that
    submits nothing beside its form's own submit button: the scenario clicked the wrong element."""
    others = list(found.get("others") or ())
    way = ""
    if others:
        listed = "; ".join(f"{o['selector']!r}" + (f" ({o['text']})" if o["text"] else "") for o in others)
        way = f"; the {'form' if found.get('in_form') else 'page'}'s submit buttons: {listed}: did you mean "
        way += f"`{key}: {yaml_quoted(str(others[0]['selector']))}`?"
    if found["kind"] == "none":
        return f"{_what(found, selector)}, which is not a link, a button or a form's submit{way}"
    if found["kind"] == "control" and found.get("in_form") and others:
        return f"{_what(found, selector)}, which does not submit its form{way}"
    return None


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
    return f"{_what(found, selector)} is handled by the page's script, which never navigated"


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
    return StepFailed(f"{stayed}, which started no navigation: {shop_words(found, gesture.selector)}")


def submit_trouble(page: Page, args: ElementArgs, selector: str, place: str) -> tuple[str | None, str | None]:
    """After a pay step's `submit` that never reached the platform: (the scenario's mistake, the shop's
    fault) in words, from the element it clicked; (None, None) when the page cannot say. `place` is the
    pay step's ("steps[6]"): a field to fill goes before it."""
    found = gesture_target(page, args, selector)
    if found is None:
        return None, None
    mistake, fault = refused_form(found, place)
    if mistake is not None or fault is not None:
        return mistake, fault
    wrong = wrong_target(found, selector, "submit")
    if wrong is not None:
        return f"the submit started no navigation: it clicked {wrong}", None
    return None, f"the submit started no navigation: {shop_words(found, selector)}"

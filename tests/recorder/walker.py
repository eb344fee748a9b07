"""Walk a recorded scenario in a browser and check, before each step, that its selectors are unique.

Independent of the engine: Playwright's own selector engine counts the matches (visible elements for a
step's target, iframes in their parent for `frame:`), then the walker does what the step says.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin

from playwright.sync_api import BrowserContext, FrameLocator, Page
from playwright.sync_api import Error as PlaywrightError

from auditor.engine.observe import host_of
from auditor.scenario.model import (
    CaptureStep,
    CheckStep,
    ClickStep,
    ElementArgs,
    FillStep,
    GotoStep,
    PayStep,
    PressStep,
    Scenario,
    SelectStep,
    UncheckStep,
)

REF = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def _unique(scope: Page | FrameLocator, args: ElementArgs, checked: list[str]) -> Any:
    target: Page | FrameLocator = scope
    for frame in args.frame or ():
        iframes = target.locator(frame)
        iframes.first.wait_for(state="attached")
        assert iframes.count() == 1, f"frame {frame!r} matches {iframes.count()} iframes"
        checked.append(f"frame {frame}")
        target = target.frame_locator(frame)
    found = target.locator(args.selector).filter(visible=True)
    found.first.wait_for(state="visible")
    count = found.count()
    assert count == 1, f"{args.selector!r} matches {count} visible elements"
    checked.append(args.selector)
    return found


def _act(page: Page, step: Any, values: dict[str, str], checked: list[str]) -> None:
    def sub(text: str) -> str:
        return REF.sub(lambda m: values[m.group(1)], text)

    if isinstance(step, GotoStep):
        page.goto(step.args.url)
        return
    element = _unique(page, step.args, checked)
    if isinstance(step, ClickStep):
        element.click()
    elif isinstance(step, FillStep):
        element.fill(sub(step.args.value))
    elif isinstance(step, SelectStep):
        element.select_option(value=sub(step.args.value or ""))
    elif isinstance(step, CheckStep):
        element.check()
    elif isinstance(step, UncheckStep):
        element.uncheck()
    elif isinstance(step, PressStep):
        element.press(step.args.key)
    elif isinstance(step, CaptureStep):
        values[step.args.name] = element.inner_text().strip()
    else:  # pragma: no cover - the recorder writes no other step
        raise AssertionError(f"unexpected step {step.action}")
    try:
        page.wait_for_load_state("load")
    except PlaywrightError:
        assert page.is_closed()  # approving in a popup closes it


def walk(context: BrowserContext, scenario: Scenario, values: dict[str, str], *, returns: bool) -> list[str]:
    """Run the scenario's steps, asserting each selector's uniqueness first; the selectors checked.

    `returns`: whether the platform brings the customer back (else the walk ends on the platform).
    """
    checked: list[str] = []
    page = context.new_page()
    base = scenario.base_url or ""
    shop = host_of(base)
    for step in scenario.steps:
        if isinstance(step, GotoStep):
            page.goto(urljoin(base, step.args.url))
            continue
        if not isinstance(step, PayStep):
            _act(page, step, values, checked)
            continue
        pay = step.args
        hosts = pay.hosts
        where = page
        if pay.submit is not None:
            button = _unique(page, pay.submit, checked)
            if pay.popup:
                with context.expect_page() as opened:
                    button.click()
                where = opened.value
                where.wait_for_url(lambda url, hosts=hosts: host_of(url) in hosts)
            else:
                button.click()
                if pay.steps and not any(s.args.frame for s in pay.steps if hasattr(s.args, "frame")):
                    page.wait_for_url(lambda url, hosts=hosts: host_of(url) in hosts)
        for inner in pay.steps:
            if where.is_closed():
                break
            _act(where, inner, values, checked)
        if pay.return_.click is not None:
            back = _unique(where, pay.return_.click, checked)
            back.click()
        if not returns:
            break
        page.wait_for_url(lambda url: host_of(url) == shop, timeout=15_000)
        page.wait_for_load_state("load")
    return checked

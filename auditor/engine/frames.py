"""Locating through a step's (nested) iframes, and saying where an element is when its `frame:` is wrong.

Payment forms live in iframes (card fields, 3-D Secure): a step names them with `frame:`. When its
element is not found, these say why in the scenario's terms: the element is in another frame (a ready
`frame:`), or a `frame:` selector leads to no iframe (the iframes there are). An iframe's address is
shown without its query and fragment, which may carry keys (a publishable key, a session token).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from typing import Any, TypeVar

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Frame, FrameLocator, Locator, Page
from pydantic import BaseModel

from auditor.checks.urlglob import filled_pattern
from auditor.scenario.model import ElementArgs, WaitForArgs
from auditor.scenario.refs import REF

Args = TypeVar("Args", bound=BaseModel)

# Fields that hold a regular expression: a value filled into one stands for itself, as literal text (a
# captured `12.50` matches "12.50" only, its `.` no longer any character), so it is escaped. A
# `wait_for.url` (a glob, or a `re:` regex) is filled in as literal text too, by filled_pattern.
_PATTERN_FIELDS = frozenset({"pattern"})


def filled(args: Args, substitute: Callable[[str], str]) -> Args:
    """A step's `args` with every `{{name}}` filled in: in every text field and every `frame:` selector.

    One place for every field, so that none is acted on as the literal text `{{name}}` (a new field
    included), and each is filled in once: a captured value that itself reads `{{x}}` stays as it is.
    A capture's own `name` cannot hold braces (the model refuses them); nested steps (a pay step's
    `submit`, `return.click`, `steps`) are filled in where they run.
    """
    update: dict[str, Any] = {}
    for key, value in args:
        if isinstance(value, str) and "{{" in value:
            if key in _PATTERN_FIELDS:
                update[key] = REF.sub(lambda m: re.escape(substitute(m.group(0))), value)
            elif key == "url" and isinstance(args, WaitForArgs):  # a glob or `re:` (a goto's is a URL)
                update[key] = filled_pattern(value, substitute)
            else:
                update[key] = substitute(value)
        elif isinstance(value, tuple) and any(isinstance(v, str) and "{{" in v for v in value):
            update[key] = tuple(substitute(v) if isinstance(v, str) else v for v in value)
    return args.model_copy(update=update) if update else args  # a copy of the same class


def scope(page: Page, frames: tuple[str, ...] | None) -> Page | FrameLocator:
    """The page, or the (nested) iframe the step names."""
    target: Page | FrameLocator = page
    for selector in frames or ():
        target = target.frame_locator(selector).first
    return target


def visible(target: Page | FrameLocator | Frame, selector: str) -> Locator:
    """Every visible element matching `selector` in a page or a frame."""
    return target.locator(selector).filter(visible=True)


def first_visible(page: Page, args: ElementArgs | WaitForArgs, selector: str) -> Locator:
    """The first visible element matching, in the step's (nested) frame: the element a step acts on."""
    return visible(scope(page, args.frame), selector).first


def shown_url(url: str) -> str:
    """An iframe's address as a message shows it: without the query and fragment, which may hold keys."""
    return url.split("#", 1)[0].split("?", 1)[0]


def yaml_quoted(text: str) -> str:
    """`text` as a double-quoted YAML string, for a ready step in a message."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


_FRAME_SELECTOR_JS = """el => el.id ? '#' + CSS.escape(el.id)
  : el.getAttribute('name') ? 'iframe[name="' + el.getAttribute('name') + '"]'
  : el.getAttribute('title') ? 'iframe[title="' + el.getAttribute('title') + '"]' : null"""


def frame_hint(page: Page, args: ElementArgs | WaitForArgs, selector: str) -> str | None:
    """The element is there, in another frame than the step says: where it is, as a ready `frame:`.

    Payment forms live in iframes (card fields, 3-D Secure): a selector without `frame:` finds nothing
    in the page, and one with a `frame:` of the page itself (or of another iframe) finds nothing in it.
    """
    if args.frame and _visible_in(page.main_frame, selector):
        return "it is in the page itself, not in that frame: remove `frame:`"
    verb = "use" if args.frame else "add"
    for frame in page.frames[1:]:
        if not _visible_in(frame, selector):
            continue
        chain = _frame_chain(frame)
        if chain is None:
            return (
                f"an element that matches is in an iframe at {shown_url(frame.url)}: {verb} `frame:` with "
                "its selector"
            )
        inside = " > ".join(chain)
        return f"an element that matches is inside the iframe {inside}: {verb} `frame: {_frames_yaml(chain)}`"
    return None


def _frames_yaml(chain: list[str] | tuple[str, ...]) -> str:
    """A `frame:` value as the scenario would write it: one selector, or a list for nested iframes."""
    quoted = [yaml_quoted(c) for c in chain]
    return quoted[0] if len(quoted) == 1 else "[" + ", ".join(quoted) + "]"


# The iframes a step's `frame:` could have meant, at most this many, in the error's tip.
_FRAMES_SHOWN = 5


def no_frame(page: Page, args: ElementArgs | WaitForArgs, selector: str, waited_ms: int) -> str | None:
    """Why the step's element could not be looked for: one of its `frame:` selectors leads to no iframe
    (matching nothing, or an element that is no iframe). Names that selector, the element's whereabouts
    if it is elsewhere, the closest iframe, and the iframes there are; None when every frame is there.

    Without this, a misspelt frame reads as a missing element: its selector gets the blame.
    """
    chain = tuple(args.frame or ())
    current = page.main_frame
    for depth, wanted in enumerate(chain):
        found = _iframe_at(current, wanted)
        if isinstance(found, Frame):
            current = found
            continue
        inside = "on the page" if depth == 0 else f"inside the iframe {' > '.join(chain[:depth])}"
        what = "matches no iframe" if found is None else f"matches a <{found}>, which is not an iframe,"
        named = (
            f"`frame: {_frames_yaml(chain)}`"
            if len(chain) == 1
            else f"{wanted!r} (of `frame: {_frames_yaml(chain)}`)"
        )
        message = (
            f"{named} {what} {inside} within {waited_ms / 1000:g}s, so no visible element matches "
            f"{selector!r} in it"
        )
        frames = _iframes_in(current)
        tips = [frame_hint(page, args, selector)]
        if tips[0] is None:
            close = difflib.get_close_matches(wanted, [f[0] for f in frames if f[0]], n=1, cutoff=0.6)
            if close:
                tips = [f"did you mean `frame: {_frames_yaml([*chain[:depth], close[0]])}`?"]
        where = "the page" if depth == 0 else f"the iframe {' > '.join(chain[:depth])}"
        if frames:
            listed = "; ".join(_frame_words(f) for f in frames[:_FRAMES_SHOWN])
            more = f"; and {len(frames) - _FRAMES_SHOWN} more" if len(frames) > _FRAMES_SHOWN else ""
            tips.append(f"the iframes in {where}: {listed}{more}")
        else:
            tips.append(f"{where} has no iframe")
        return "; ".join([message, *(t for t in tips if t)])
    return None


def _iframe_at(frame: Frame, selector: str) -> Frame | str | None:
    """The iframe the first element matching `selector` in `frame` shows (as the step's frame_locator
    takes it); else that element's tag name, or None when nothing matches (or it cannot be asked)."""
    try:
        matches = frame.locator(selector)
        if matches.count() == 0:
            return None
        handle = matches.first.element_handle(timeout=2_000)
        inner = handle.content_frame()
        if inner is not None:
            return inner
        return str(handle.evaluate("el => el.tagName.toLowerCase()"))
    except PlaywrightError:
        return None


def _iframes_in(frame: Frame) -> list[tuple[str | None, str, str]]:
    """The iframes directly in `frame`: (a selector for it or None, its name, its shown URL)."""
    found = []
    for child in frame.child_frames:
        try:
            shown = child.frame_element().evaluate(_FRAME_SELECTOR_JS)
        except PlaywrightError:
            continue  # detached meanwhile
        found.append((str(shown) if shown else None, child.name, shown_url(child.url)))
    return found


def _frame_words(frame: tuple[str | None, str, str]) -> str:
    selector, name, url = frame
    parts = [p for p in (f'name "{name}"' if name and name not in (selector or "") else "", url) if p]
    return f"{selector or 'an iframe'} ({', '.join(parts)})" if parts else selector or "an iframe"


def _visible_in(frame: Frame, selector: str) -> bool:
    try:
        return visible(frame, selector).count() > 0
    except PlaywrightError:
        return False


def _frame_chain(frame: Frame) -> list[str] | None:
    """The selectors of the iframes from the page down to `frame`; None where one has no id, name or title."""
    chain: list[str] = []
    while frame.parent_frame is not None:
        try:
            found = frame.frame_element().evaluate(_FRAME_SELECTOR_JS)
        except PlaywrightError:
            return None
        if not found:
            return None
        chain.insert(0, str(found))
        frame = frame.parent_frame
    return chain

"""What a recording saw, as plain data: the person's actions and the browser's navigations, in order.

The browser session (session.py) appends these as they happen; compose.py turns them into a scenario
without a browser, so every rule about pay steps, returns and secrets is unit-tested on plain records.
Times (`at_ms`) are milliseconds since the recording started, in the order the events arrived.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from auditor.observation import NavigationCause

# Connectif's own hosts (client script and tracking): never a payment platform.
_CONNECTIF = re.compile(r"^(cdn\.connectif\.cloud|[a-z0-9-]+-api\.connectif\.cloud)$")


def host_matches(host: str, pattern: str) -> bool:
    """Does a host match `name` or `*.name` (which also matches `name` itself)?"""
    if pattern.startswith("*."):
        base = pattern[2:]
        return host == base or host.endswith("." + base)
    return host == pattern


@dataclass(frozen=True, kw_only=True)
class ShopHosts:
    """Which hosts are the shop's: the first URL's host and its subdomains, plus `--shop-host` names."""

    root: str
    extra: tuple[str, ...] = ()

    def is_shop(self, host: str) -> bool:
        """True for the shop's own hosts."""
        if not host:
            return False
        if host == self.root or host.endswith("." + self.root):
            return True
        return any(host_matches(host, pattern) for pattern in self.extra)

    def is_platform(self, host: str) -> bool:
        """True for a host that may be a payment platform's: neither the shop's nor Connectif's."""
        return bool(host) and not self.is_shop(host) and not is_connectif(host)

    def as_config(self) -> dict[str, object]:
        """The same rule for the browser-side script."""
        return {"root": self.root, "extra": list(self.extra)}


def is_connectif(host: str) -> bool:
    """Connectif's client-script and tracking hosts."""
    return bool(_CONNECTIF.match(host))


@dataclass(frozen=True, kw_only=True)
class Action:
    """One thing the person did: a click, a field's value, a choice, a box ticked, Enter pressed."""

    at_ms: int
    page: str  # "main", or "popup-1", "popup-2" … for other windows
    kind: str  # click | fill | select | check | uncheck | press
    selector: str
    frame: tuple[str, ...] = ()  # iframe selectors from the top document down to the acting one
    frame_hosts: tuple[str, ...] = ()  # the hosts of those iframes' documents, in the same order
    host: str = ""  # the host of the document acted in
    url: str = ""  # that document's URL
    document: str = ""  # that document's id (a fill of the same element in it is merged)
    element: int = 0  # the element's id within the document
    value: str | None = None  # fill (non-secret) and select
    secret: str | None = None  # fill: which kind of secret was typed (the value never leaves the page)
    key: str | None = None  # press
    verified: bool = True  # the selector matched exactly this element, and only it, when recorded
    note: str | None = None

    def same_field(self, other: Action) -> bool:
        """Is `other` a fill of the same element in the same document?"""
        return (
            other.kind == "fill"
            and self.kind == "fill"
            and other.page == self.page
            and other.document == self.document
            and other.element == self.element
            and other.frame == self.frame
        )


@dataclass(frozen=True, kw_only=True)
class Nav:
    """A committed top-level navigation of one window."""

    at_ms: int
    page: str
    url: str
    host: str
    cause: NavigationCause = NavigationCause.OTHER
    method: str = "GET"
    redirect_chain: tuple[str, ...] = ()  # URLs redirected through before `url`


@dataclass(frozen=True, kw_only=True)
class PopupOpened:
    """A new window, and the window that opened it (None for one the person opened)."""

    at_ms: int
    page: str
    opener: str | None


@dataclass(frozen=True, kw_only=True)
class PageClosed:
    """A window closed."""

    at_ms: int
    page: str


@dataclass(frozen=True, kw_only=True)
class FrameAppeared:
    """An iframe of a window loaded a document from another site (at any depth)."""

    at_ms: int
    page: str
    host: str
    url: str


@dataclass(frozen=True, kw_only=True)
class ShownPurchase:
    """Where a shop page shows the purchase id its cn_purchase tag carries."""

    purchase_id: str
    products: int
    selector: str | None  # an element showing it, verified unique; None when no element shows it
    text: str = ""  # that element's whole text (the id, or a sentence holding it)


@dataclass(frozen=True, kw_only=True)
class PageInfo:
    """A shop page once loaded: its title, and its purchase tag when it has one."""

    at_ms: int
    page: str
    url: str
    title: str
    purchase: ShownPurchase | None = None


Event = Action | Nav | PopupOpened | PageClosed | FrameAppeared | PageInfo


@dataclass(kw_only=True)
class Recording:
    """Everything one recording saw, in arrival order."""

    start_url: str
    shop: ShopHosts
    started_at: str  # ISO time, for the file's header
    events: list[Event] = field(default_factory=list)
    ended_ms: int = 0
    ended_by: str = "closed"  # "closed" (the last window) or "interrupted" (Ctrl-C)
    notes: list[str] = field(default_factory=list)  # what could not be recorded, for the header

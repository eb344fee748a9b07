"""The switches the auditor adds leave Playwright's own Chromium switches in force.

Chromium keeps only the last occurrence of a switch, so a `--disable-features` of ours would replace
Playwright's whole list (third-party storage partitioning, HTTPS upgrades, paint holding…) instead of
adding to it. Read from the real browser process's command line.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Playwright

from auditor.engine.browser import find_browser, launch_args
from auditor.engine.processes import chromium_below

FEATURE_SWITCHES = ("--disable-features=", "--enable-features=")


def browser_command_line(playwright: Playwright, args: list[str]) -> list[str]:
    """The command line of the browser process Playwright starts with these args."""
    before = {p.pid for p in chromium_below()}
    browser = playwright.chromium.launch(
        executable_path=find_browser().executable_for(headless=True), args=args
    )
    try:
        started = [p for p in chromium_below() if p.pid not in before]
        lines = [p.cmdline() for p in started]
        # The browser process is the one without --type= (renderers, zygotes, GPU and utilities have one).
        browsers = [line for line in lines if line and not any(a.startswith("--type=") for a in line)]
        assert browsers, f"no browser process among {lines}"
        return browsers[0]
    finally:
        browser.close()


def feature_switches(line: list[str]) -> list[str]:
    return [a for a in line if a.startswith(FEATURE_SWITCHES)]


@pytest.mark.browser
def test_the_browser_runs_with_playwrights_feature_lists_as_playwright_sets_them(
    shared_playwright: Playwright,
) -> None:
    ours = browser_command_line(shared_playwright, launch_args({"shop.test": "127.0.0.1"}, headless=True))
    plain = browser_command_line(shared_playwright, [])
    assert feature_switches(plain), "Playwright no longer passes feature lists: this test needs a new anchor"
    # Exactly Playwright's switches, each once: nothing of ours overrides them.
    assert feature_switches(ours) == feature_switches(plain)
    assert "--host-resolver-rules=MAP shop.test 127.0.0.1" in ours


def test_no_switch_the_auditor_adds_is_one_chromium_reads_only_once() -> None:
    for headless in (False, True):
        added = launch_args({"shop.test": "127.0.0.1"}, headless=headless)
        assert not feature_switches(added), added
        names = [a.split("=", 1)[0] for a in added]
        assert len(names) == len(set(names)), f"a switch given twice: {added}"

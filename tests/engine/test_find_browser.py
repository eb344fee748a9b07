"""Which Chromium the auditor starts: the found one, and its headless shell for headless launches.

The choice is read from files on disk (a PATH, Playwright's download folder); the last test starts
the real browser a headless run uses and reads its executable from the process table.
"""

from __future__ import annotations

import os
import platform
import stat
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Playwright

from auditor.engine.browser import BrowserChoice, LaunchPlan, find_browser
from auditor.engine.options import RunOptions
from auditor.engine.processes import chromium_below
from auditor.errors import AuditorError


def executable(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.fixture
def no_playwright_download(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Playwright's download folder, empty: the system's browsers are looked at."""
    folder = tmp_path / "ms-playwright"
    folder.mkdir()
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(folder))
    return folder


@pytest.fixture
def system_pair(tmp_path: Path, no_playwright_download: Path) -> tuple[Path, Path, BrowserChoice]:
    """A PATH with `chromium` and `chromium-headless-shell` side by side (Debian's layout), and the choice."""
    chromium = executable(tmp_path, "chromium")
    shell = executable(tmp_path, "chromium-headless-shell")
    return chromium, shell, find_browser(env={"PATH": str(tmp_path)})


def test_a_system_chromium_comes_with_the_headless_shell_beside_it(
    system_pair: tuple[Path, Path, BrowserChoice],
) -> None:
    chromium, shell, choice = system_pair
    assert (choice.executable, choice.headless_shell, choice.source) == (str(chromium), str(shell), "system")
    assert choice.executable_for(headless=True) == str(shell)
    assert choice.executable_for(headless=False) == str(chromium)
    assert str(shell) in choice.describe()


def test_without_a_shell_both_kinds_of_launch_use_the_browser(
    tmp_path: Path, no_playwright_download: Path
) -> None:
    chrome = executable(tmp_path, "google-chrome")
    executable(tmp_path, "chromium-headless-shell")  # not Chrome's: a shell is paired with Chromium only
    choice = find_browser(env={"PATH": str(tmp_path)})
    assert choice.executable == str(chrome) and choice.headless_shell is None
    assert choice.executable_for(headless=True) == str(chrome)


def test_a_shell_that_is_not_executable_is_not_used(tmp_path: Path, no_playwright_download: Path) -> None:
    executable(tmp_path, "chromium")
    (tmp_path / "chromium-headless-shell").write_text("not a program", encoding="utf-8")
    assert find_browser(env={"PATH": str(tmp_path)}).headless_shell is None


def test_an_explicit_path_is_used_as_given_for_every_launch(tmp_path: Path) -> None:
    chromium = executable(tmp_path, "chromium")
    executable(tmp_path, "chromium-headless-shell")
    choice = find_browser(env={"AUDITOR_BROWSER_PATH": str(chromium), "PATH": str(tmp_path)})
    assert choice.source == "environment" and choice.headless_shell is None
    assert choice.executable_for(headless=True) == str(chromium)


def test_an_explicit_path_that_is_not_a_program_is_refused_by_its_name(tmp_path: Path) -> None:
    text = tmp_path / "chromium"
    text.write_text("not a program", encoding="utf-8")
    for explicit, env, label in (
        (str(text), {}, "--browser-path"),
        (None, {"AUDITOR_BROWSER_PATH": str(text)}, "AUDITOR_BROWSER_PATH"),
    ):
        with pytest.raises(AuditorError) as caught:
            find_browser(explicit, env={**env, "PATH": ""})
        assert (
            caught.value.headline.startswith(f"{label} points at")
            and "not an executable file" in caught.value.headline
        )


@pytest.mark.skipif(
    sys.platform != "linux" or platform.machine() != "x86_64", reason="the layout written here is Linux x64's"
)
def test_playwrights_own_downloads_are_found_in_its_registry_layout(no_playwright_download: Path) -> None:
    revision = _playwright_revision()
    shell = no_playwright_download / f"chromium_headless_shell-{revision}"
    shell = shell / "chrome-headless-shell-linux64" / "chrome-headless-shell"
    shell.parent.mkdir(parents=True)
    executable(shell.parent, shell.name)
    # `playwright install --only-shell`: the shell alone serves every launch.
    choice = find_browser(env={"PATH": ""})
    assert (choice.source, choice.executable, choice.headless_shell) == ("playwright", str(shell), str(shell))
    browser = no_playwright_download / f"chromium-{revision}" / "chrome-linux64" / "chrome"
    browser.parent.mkdir(parents=True)
    executable(browser.parent, browser.name)
    choice = find_browser(env={"PATH": ""})
    assert (choice.executable, choice.executable_for(headless=True)) == (str(browser), str(shell))


def test_nothing_found_says_where_it_looked(no_playwright_download: Path, tmp_path: Path) -> None:
    with pytest.raises(AuditorError) as caught:
        find_browser(env={"PATH": str(tmp_path)})
    assert "no Chromium found" in caught.value.headline and "apt-get install -y chromium" in (
        caught.value.tip or ""
    )


def test_a_run_plans_the_shell_when_headless_and_the_browser_when_headed(
    tmp_path: Path, system_pair: tuple[Path, Path, BrowserChoice]
) -> None:
    chromium, shell, choice = system_pair
    hosts = {"shop.test": "127.0.0.1"}
    headless = LaunchPlan.for_options(RunOptions(browser=choice, out_dir=tmp_path), hosts)
    headed = LaunchPlan.for_options(RunOptions(browser=choice, out_dir=tmp_path, headed=True), hosts)
    assert headless is not None and headless.executable == str(shell)
    assert headed is not None and headed.executable == str(chromium)


@pytest.mark.browser
def test_a_headless_launch_starts_the_shell_this_machine_has(shared_playwright: Playwright) -> None:
    choice = find_browser()
    if choice.headless_shell is None:
        pytest.skip(f"no headless shell beside {choice.executable}: nothing to tell apart")
    plan = LaunchPlan(executable=choice.executable_for(headless=True), channel=None, headless=True, hosts=())
    before = {p.pid for p in chromium_below()}
    browser = plan.launch(shared_playwright.chromium)
    try:
        started = [p for p in chromium_below() if p.pid not in before]
        exes = {os.path.realpath(p.exe()) for p in started}
    finally:
        browser.close()
    # Debian's /usr/bin/chromium-headless-shell is a wrapper script: the programs' own names decide.
    names = {Path(exe).name for exe in exes}
    assert names & {"chromium-headless-shell", "chrome-headless-shell", "headless_shell"}, names
    assert not names & {"chromium", "chrome"}, names


def _playwright_revision() -> str:
    import json

    import playwright

    listing = Path(playwright.__file__).parent / "driver" / "package" / "browsers.json"
    browsers = json.loads(listing.read_text(encoding="utf-8"))["browsers"]
    return next(b["revision"] for b in browsers if b["name"] == "chromium-headless-shell")

"""`record` and `open` on the command line: bad input is a clear error; `open` shows the right page."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from playwright.sync_api import Playwright

from auditor.cli.main import cli
from auditor.lab import Lab
from auditor.recorder.record import open_target

from .recording import Session, command, lab_host_args

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["record", "shop.test/cart"], "is not an http(s) URL"),
        (["record", "http://shop.test/", "--host", "shop.test"], "is not NAME=IP"),
        (
            ["record", "http://shop.test/", "--host", "shop.test=localhost"],
            "'localhost' is not an IP address",
        ),
        (["record", "http://shop.test/", "--host", "shop test=127.0.0.1"], "'shop test' is not a host name"),
        (["record", "http://shop.test/", "--shop-host", "https://x/"], "is not a host name"),
        (["record", "http://shop.test/", "--headless"], "nothing could do the checkout"),
        (["open", "no-such-file.yaml"], "neither an http(s) URL nor a scenario file"),
    ],
)
def test_bad_input_is_a_clear_error_before_any_browser(args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_record_never_overwrites_a_file(tmp_path: Path) -> None:
    existing = tmp_path / "mine.yaml"
    existing.write_text("name: keep me\n")
    result = CliRunner().invoke(cli, ["record", "http://shop.test/", "--out", str(existing)])
    assert result.exit_code == 2 and "already exists" in result.output
    assert existing.read_text() == "name: keep me\n"


def test_open_reads_a_scenario_without_its_secrets_set(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: s\nbase_url: ${RECORDER_TEST_SHOP:-http://shop.test:8000}\nhosts: {shop.test: 127.0.0.1}\n"
        "secrets: {card: '${RECORDER_TEST_UNSET_CARD}'}\n"
        "steps:\n  - fill: {selector: '#card', value: '{{card}}'}\n",
        encoding="utf-8",
    )
    os.environ.pop("RECORDER_TEST_UNSET_CARD", None)
    target = open_target(str(path), {"pay.test": "127.0.0.2"})
    assert target.url == "http://shop.test:8000"
    assert target.hosts == {"shop.test": "127.0.0.1", "pay.test": "127.0.0.2"}


@pytest.mark.browser
@pytest.mark.parametrize("how", ["scenario", "url"])
def test_open_shows_the_base_url_with_the_host_mapping(
    how: str, tmp_path: Path, lab: Lab, shared_playwright: Playwright
) -> None:
    if how == "scenario":
        target, extra = str(ROOT / "scenarios" / "stripe-checkout-redirect.yaml"), []
    else:
        target, extra = lab.url("shop.test", "/cart"), lab_host_args(lab)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "SHOP_URL": lab.url("shop.test").rstrip("/")}
    proc = subprocess.Popen(
        command("open", target, "--headless", "--remote-debugging-port", "0", *extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    session = Session(proc)
    session.start_readers()
    try:
        opened = session.wait_for_line(r"^opened (\S+) \(hosts: (.*)\)$")
        endpoint = session.wait_for_line(r"^DevTools: (\S+)").group(1)
        browser = shared_playwright.chromium.connect_over_cdp(endpoint)
        page = browser.contexts[0].pages[0]
        page.wait_for_load_state("load")
        # shop.test has no DNS: the page came from the lab only through the host mapping
        assert page.url == (lab.url("shop.test") if how == "scenario" else lab.url("shop.test", "/cart"))
        assert "Lab Store" in page.title()
        assert "shop.test=127.0.0.1" in opened.group(2)
        if how == "scenario":
            page.close()  # the last window: `open` ends
        else:
            proc.send_signal(signal.SIGINT)
        status, printed = session.finish()
        browser.close()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert status == 0, printed
    assert "Traceback" not in printed

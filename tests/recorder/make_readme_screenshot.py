"""Write docs/recorded-report.png: the report of a scenario recorded with `record`, as the README shows it.

The lab's bank checkout (3-D Secure two iframes deep) is recorded exactly as the tests do it (the
recorder as a subprocess, driven over the DevTools protocol), replayed with `run`, and the report is
photographed in Chromium.

Run: .venv/bin/python -m tests.recorder.make_readme_screenshot [OUT.png]
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from click.testing import CliRunner
from playwright.sync_api import sync_playwright

from auditor.cli.main import cli
from auditor.engine.browser import find_browser, launch_args
from auditor.lab import Lab

from .recording import FLOWS, START, recording, secret_env

PLATFORM = "bank"


def main(out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp, Lab() as lab, sync_playwright() as p:
        scenario = Path(tmp) / "scenarios" / "recorded-bank-checkout.yaml"
        with recording(
            p, lab, START[PLATFORM], scenario, "--name", "Bank card with 3-D Secure (recorded)"
        ) as (
            session,
            _browser,
            page,
        ):
            FLOWS[PLATFORM](page, lab)
            page.wait_for_url("**/order/confirmation/**")
            page.wait_for_load_state("load")
            page.close()
            status, printed = session.finish()
        if status != 0:
            raise SystemExit(printed)
        run_dir = Path(tmp) / "run"
        here = Path.cwd()
        os.chdir(tmp)  # the report names the file as the person typed it: scenarios/…
        try:
            ran = CliRunner().invoke(
                cli, ["run", str(scenario.relative_to(tmp)), "--out", "run"], env=secret_env(PLATFORM)
            )
        finally:
            os.chdir(here)
        if ran.exit_code not in (0, 1):
            raise SystemExit(ran.output)
        browser = p.chromium.launch(
            executable_path=find_browser().executable_for(headless=True), args=launch_args()
        )
        shot = browser.new_page(viewport={"width": 1100, "height": 1500}, device_scale_factor=1)
        shot.goto((run_dir / "report.html").as_uri())
        out = out.resolve() if out.is_absolute() else (here / out)
        out.parent.mkdir(parents=True, exist_ok=True)
        shot.screenshot(path=str(out))
        browser.close()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/recorded-report.png"))

"""Running pytest with the checkout-auditor plugin in a subprocess, on a folder of scenario files."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from tests.engine.miniserver import HOSTS

REPO = Path(__file__).resolve().parents[2]

# The mini shop's query string: mode=auto|manual (does the bank send the customer back?), price=...
SCENARIO = """\
name: {name}
tags: [{tags}]
hosts: {hosts}
steps:
  - goto: /?{query}
  - pay:
      provider: Test bank
      submit: "#pay"
      hosts: [pay.test]
      steps:
        - click: "#authorise"
      return: {{timeout: 300ms, click: "#back"}}
  - capture: {{name: order_id, selector: .order-number}}
expect:
  return: {policy}
  confirmation_url: "**/order/confirmation/**"
  cn_purchase: {{purchase_id: "{{{{order_id}}}}", products: 1}}
  connectif: {{purchase_sent: optional}}
"""

BROKEN = """\
name: Checkout button is missing
hosts: {hosts}
steps:
  - goto: /?mode=auto
  - click: {{selector: "#no-such-button", timeout: 300ms}}
"""


def plugin_args() -> list[str]:
    """`-p auditor.pytest_plugin` until the entry point is installed; then pytest loads it by itself.

    Both at once would register the module twice, which pytest refuses.
    """
    installed = importlib.metadata.entry_points(group="pytest11", name="checkout_auditor")
    return [] if installed else ["-p", "auditor.pytest_plugin"]


def write_suite(folder: Path) -> Path:
    """Four scenarios (pass, pass with a warning, fail, error), a YAML file that is not one, a pytest.ini."""
    scenarios = folder / "scenarios"
    scenarios.mkdir(parents=True)
    hosts = json.dumps(HOSTS)
    specs = {
        "automatic": ("Bank sends the customer back", "smoke, card", "mode=auto&delay=0", "automatic"),
        "allowed": ("Manual return is allowed", "card", "mode=manual", "manual-allowed"),
        "failing": ("Manual return and comma decimals", "card", "mode=manual&price=12,50", "automatic"),
    }
    for stem, (name, tags, query, policy) in specs.items():
        text = SCENARIO.format(name=name, tags=tags, hosts=hosts, query=query, policy=policy)
        (scenarios / f"{stem}.yaml").write_text(text, encoding="utf-8")
    (scenarios / "broken.yml").write_text(BROKEN.format(hosts=hosts), encoding="utf-8")
    (scenarios / "settings").mkdir()
    (scenarios / "settings" / "shop.yaml").write_text("name: staging\nregion: eu\n", encoding="utf-8")
    # --strict-markers: scenario tags become markers without the project registering them.
    (folder / "pytest.ini").write_text("[pytest]\naddopts = --strict-markers\n", encoding="utf-8")
    return scenarios


@dataclass
class Outcome:
    """A finished pytest run."""

    returncode: int
    output: str


def run_pytest(
    cwd: Path,
    *args: str,
    extra_path: Path | None = None,
    env_extra: dict[str, str] | None = None,
    load_plugin: bool = True,
    timeout: float = 120,
) -> Outcome:
    """Run `python -m pytest` with the plugin in `cwd`; its temporary files stay under `cwd`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PYTHONPATH"))}
    env.update(env_extra or {})
    env["COLUMNS"] = "250"  # pytest's one-line summaries are cut at the terminal's width
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in (extra_path, REPO) if p is not None)
    command = [
        sys.executable,
        "-m",
        "pytest",
        *(plugin_args() if load_plugin else []),
        "-p",
        "no:cacheprovider",
        "-p",
        "no:hypothesispytest",  # a second per start-up, in the run and in every xdist worker
        f"--basetemp={cwd / '.basetemp'}",
        *args,
    ]
    proc = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    return Outcome(returncode=proc.returncode, output=proc.stdout + proc.stderr)


def junit_cases(path: Path) -> dict[str, tuple[str, str]]:
    """JUnit test case name → (outcome, message): passed, failure or error."""
    root = ET.parse(path).getroot()
    cases: dict[str, tuple[str, str]] = {}
    for case in root.iter("testcase"):
        outcome, message = "passed", ""
        for kind in ("failure", "error", "skipped"):
            element = case.find(kind)
            if element is not None:
                outcome, message = kind, (element.get("message") or "") + "\n" + (element.text or "")
                break
        cases[case.get("name", "")] = (outcome, message)
    return cases

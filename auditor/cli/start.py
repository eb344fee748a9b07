"""The console entry point (`checkout-auditor`, `python -m auditor`).

Three settings for a short-lived command, measured on `run` of one lab checkout:

- The command line is imported with Python's cycle collector paused: the import builds some hundred
  thousand objects (click's commands, the options' models), none of them garbage, and the collections
  it triggered cost CPU on every command. What it built is then frozen (never scanned again: it lives
  as long as the process).
- The youngest generation is collected after 10,000 new objects instead of 700: a `run` goes on
  importing (the scenario models, Playwright, the report's templates) and building results, and with
  the default it paid about 160 collections, 50 to 70 ms of CPU, for almost no garbage. Cycles are
  still collected; a long run holds at most a few MiB more before they are.
- pydantic's plugin discovery is off unless $PYDANTIC_DISABLE_PLUGINS says otherwise: on the first
  model it reads the entry points of every installed distribution (10 to 25 ms in a virtualenv with
  the dev tools) for plugins that instrument validation, which the auditor's own models do not need.
"""

from __future__ import annotations

import gc
import os

# Generation thresholds (youngest, middle, oldest): see the module's docstring.
GC_THRESHOLDS = (10_000, 10, 10)


def resume_collection() -> None:
    """End a pause of the cycle collector: what was built meanwhile lives as long as the process, so
    it is frozen (never scanned again), and collection resumes."""
    gc.freeze()
    gc.enable()


def main() -> None:
    """Run the command line."""
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    gc.set_threshold(*GC_THRESHOLDS)
    gc.disable()
    try:
        from auditor.cli.main import main as command
    finally:
        resume_collection()
    command()

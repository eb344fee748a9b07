"""The console entry point (`checkout-auditor`, `python -m auditor`).

The command line is imported with Python's cycle collector paused: the import builds some hundred
thousand objects (pydantic's models, Playwright's API, the templates' environment), none of them garbage,
and the collections that this triggered cost CPU on every command (measured: about 40 ms for
`validate`, more for `run`). What the import built is then frozen (never scanned again, as it lives as
long as the process) and collection resumes.
"""

from __future__ import annotations


def main() -> None:
    """Run the command line."""
    import gc

    gc.disable()
    try:
        from auditor.cli.main import main as command
    finally:
        gc.freeze()
        gc.enable()
    command()

"""The tool's cache folder: compiled report templates and the Playwright driver's compiled code.

Both are recompiled on every run without it: about a fifth of a second of CPU for the report's
templates, a tenth for the driver's JavaScript. Nothing in it is ever needed: every entry is keyed by
what it was compiled from, and a folder that cannot be made just means no cache.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import jinja2

CACHE_ENV = "AUDITOR_CACHE_DIR"  # moves the cache; set to an empty value, it turns it off
NODE_CACHE_ENV = "NODE_COMPILE_CACHE"  # Node's own switch (22.1 and later), read by Playwright's driver


def cache_folder(name: str) -> Path | None:
    """A writable folder of the cache, made if needed; None when caching is off or impossible."""
    configured = os.environ.get(CACHE_ENV)
    if configured == "":
        return None
    if configured:
        root = Path(configured).expanduser()
    else:
        root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "checkout-auditor"
    folder = root / name
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return folder if os.access(folder, os.W_OK) else None


def template_cache() -> jinja2.BytecodeCache | None:
    """Compiled Jinja templates kept between runs (keyed by source checksum and Python version)."""
    import jinja2

    folder = cache_folder("templates")
    return jinja2.FileSystemBytecodeCache(str(folder)) if folder is not None else None


def cache_driver_code() -> None:
    """Let Playwright's driver keep its compiled JavaScript between runs.

    The driver inherits this process's environment; Node keys each entry by its own version and the
    file's content. A NODE_COMPILE_CACHE the user set is left as it is.
    """
    if NODE_CACHE_ENV in os.environ:
        return
    folder = cache_folder("node")
    if folder is not None:
        os.environ[NODE_CACHE_ENV] = str(folder)

"""Jinja2 rendering of the lab's pages (autoescaped) and its static files."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from auditor.lab.web import Response, html

STATIC = Path(__file__).parent / "static"

# only these are served as files; templates (.html) stay private
CONTENT_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}


@cache
def environment() -> Environment:
    """The shared Jinja environment (thread-safe for rendering)."""
    return Environment(
        loader=FileSystemLoader(STATIC),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(name: str, status: int = 200, /, **context: Any) -> Response:
    """Render a template from static/ into an HTML response."""
    return html(environment().get_template(name).render(**context), status)


def render_text(name: str, **context: Any) -> str:
    """Render a template from static/ to a string."""
    return environment().get_template(name).render(**context)


def static_file(name: str) -> Response:
    """A file from static/ (flat: no sub-folders, so no path tricks), or 404."""
    path = STATIC / name
    ctype = CONTENT_TYPES.get(path.suffix)
    if ctype is None or "/" in name or name.startswith(".") or not path.is_file():
        return html("<h1>Not found</h1>", 404)
    return Response(200, path.read_bytes(), [("Content-Type", ctype)])

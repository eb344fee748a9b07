"""Screenshots inlined as data: URIs, within a size budget, most telling ones first."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

from auditor.results import RunResult, ScenarioStatus, Screenshot

# About 30 MB of base64: a report people can still open on a laptop and mail around.
DEFAULT_BUDGET_BYTES = 30 * 1024 * 1024
MAX_IMAGE_BYTES = 3 * 1024 * 1024

_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


@dataclass(frozen=True, kw_only=True)
class InlineImage:
    """A screenshot ready for the template: a data: URI, or a note saying why there is none."""

    name: str
    file: str
    step: str | None
    at_failure: bool
    data_uri: str | None = None
    note: str | None = None


def _mime(head: bytes) -> str | None:
    # The type is read from the bytes, never from the name: the name came from a results file.
    for magic, mime in _MAGIC:
        if head.startswith(magic):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def _locate(assets_dir: Path, file: str) -> Path | None:
    """The file under assets_dir, or None when the name points outside it."""
    root = assets_dir.resolve()
    try:
        path = (root / file).resolve()
    except (OSError, RuntimeError):
        return None
    return path if path.is_relative_to(root) else None


def _priority(status: ScenarioStatus, shot: Screenshot) -> int:
    # Failure screenshots of failed scenarios explain the most; a passing step's the least.
    bad = status is not ScenarioStatus.PASS
    return (0 if shot.at_failure else 1) + (0 if bad else 2)


def inline_screenshots(
    run: RunResult, assets_dir: Path, budget_bytes: int = DEFAULT_BUDGET_BYTES
) -> list[list[InlineImage]]:
    """Per scenario, its screenshots in order, inlined while the budget lasts."""
    order = sorted(
        (
            (_priority(scenario.status, shot), s_index, i_index)
            for s_index, scenario in enumerate(run.scenarios)
            for i_index, shot in enumerate(scenario.screenshots)
        ),
    )
    left = budget_bytes
    done: dict[tuple[int, int], InlineImage] = {}
    for _, s_index, i_index in order:
        shot = run.scenarios[s_index].screenshots[i_index]
        image, used = _inline(shot, assets_dir, left)
        left -= used
        done[(s_index, i_index)] = image
    return [
        [done[(s_index, i_index)] for i_index in range(len(scenario.screenshots))]
        for s_index, scenario in enumerate(run.scenarios)
    ]


def _inline(shot: Screenshot, assets_dir: Path, left: int) -> tuple[InlineImage, int]:
    def note(text: str) -> tuple[InlineImage, int]:
        return (
            InlineImage(
                name=shot.name, file=shot.file, step=shot.step, at_failure=shot.at_failure, note=text
            ),
            0,
        )

    path = _locate(assets_dir, shot.file)
    if path is None:
        return note("not shown: the file name points outside the run's folder")
    try:
        size = path.stat().st_size
        if size > MAX_IMAGE_BYTES:
            return note(f"not inlined: {size // 1024} KB is too large; the file is beside the report")
        encoded_size = (size + 2) // 3 * 4
        if encoded_size > left:
            return note("not inlined: the report's size budget is used up; the file is beside the report")
        data = path.read_bytes()
    except FileNotFoundError:
        return note("missing: the screenshot file was not found")
    except OSError as exc:
        return note(f"unreadable: {exc.strerror or exc}")
    mime = _mime(data[:16])
    if mime is None:
        return note("not shown: the file is not a PNG, JPEG or WebP image")
    uri = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
    image = InlineImage(
        name=shot.name, file=shot.file, step=shot.step, at_failure=shot.at_failure, data_uri=uri
    )
    return image, len(uri)

"""Secrets never reach an output: every string of a result is masked in this one place."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from pydantic import BaseModel

MASK = "•••"
T = TypeVar("T", bound=BaseModel)


def mask_text(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of every secret (longest first, so overlaps cannot leak a tail)."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def mask_value(value: Any, secrets: Iterable[str]) -> Any:
    """Mask strings anywhere inside nested dicts, lists and tuples (keys included)."""
    secrets = list(secrets)
    if isinstance(value, str):
        return mask_text(value, secrets)
    if isinstance(value, dict):
        return {mask_value(k, secrets): mask_value(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_value(v, secrets) for v in value]
    return value


def mask_result(model: T, secrets: Iterable[str]) -> T:
    """A copy of a pydantic model with every secret masked."""
    secrets = [s for s in secrets if s]
    if not secrets:
        return model
    data = model.model_dump(mode="json", by_alias=True)
    return type(model).model_validate(mask_value(data, secrets))

"""Text helpers shared by the extractors."""

from __future__ import annotations

import re
import unicodedata

_WS = re.compile(r"[ \t\u00a0\u2000-\u200b\u3000]+")
_CTRL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

SEP = " › "


def normalize_ws(text: str) -> str:
    text = _CTRL.sub(" ", text)
    return _WS.sub(" ", text).strip()


def clean(text: str) -> str:
    """NFC, no control characters, no lone surrogates."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    return unicodedata.normalize("NFC", _CTRL.sub(" ", text))


def heading_path(stack: list[tuple[int, str]]) -> str:
    return SEP.join(title for _, title in stack if title)

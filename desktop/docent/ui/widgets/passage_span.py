"""Where a cited passage sits in a document's text, for the source viewer's text mode (no Qt)."""

from __future__ import annotations

from docent.core.storage.chats import Passage


def _normal(text: str) -> str:
    return " ".join(text.split())


def locate_passage(text: str, passage: Passage) -> tuple[int, int]:
    """The passage's span in the document text: its recorded offsets when they still match, else a
    search for its beginning; (-1, -1) when it is not there (the document changed)."""
    s, e = passage.char_start, passage.char_end
    want = _normal(passage.text)[:60]
    if 0 <= s < e <= len(text) and _normal(text[s:e])[:60] == want:
        return s, e
    for n in (120, 60, 30):
        head = passage.text.strip()[:n]
        if head:
            i = text.find(head)
            if i >= 0:
                return i, min(len(text), i + max(len(passage.text), len(head)))
    return -1, -1

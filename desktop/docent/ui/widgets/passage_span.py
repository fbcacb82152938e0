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


# ---- a passage in a PDF page's text layer ----------------------------------------------------------
WINDOW = 24  # letters and digits that must match in a row to anchor a span (a word or three)


def letters(text: str) -> tuple[str, list[int]]:
    """`text`'s letters and digits, lower-cased, and where each is in `text`: the text layer's line
    breaks, hyphenation and spacing differ from the indexed text, its letters do not."""
    keep = [(c.lower(), i) for i, c in enumerate(text) if c.isalnum()]
    return "".join(c for c, _ in keep), [i for _, i in keep]


def page_span(page_text: str, passage: str) -> tuple[int, int, int, int] | None:
    """The part of `passage` that is on a page, across its line and column breaks: (start, end) in
    `page_text`, and which part of the passage it is, (from, to) in the passage's letters (0..total);
    None when no part of it is on the page. The first and the last `WINDOW` letters of the passage
    found on the page bound the span (a passage that begins on the page before or goes on to the next
    page is found in part)."""
    page, where = letters(page_text)
    want, _ = letters(passage)
    if not page or not want:
        return None
    i = page.find(want)
    if i >= 0:
        return where[i], where[i + len(want) - 1] + 1, 0, len(want)
    size = min(WINDOW, len(want))
    step = max(1, size // 2)
    first = None
    for k in range(0, len(want) - size + 1, step):
        j = page.find(want[k:k + size])
        if j >= 0:
            first = (j, k)
            break
    if first is None:
        return None
    j0, k0 = first
    while j0 > 0 and k0 > 0 and page[j0 - 1] == want[k0 - 1]:  # back to where the match begins
        j0, k0 = j0 - 1, k0 - 1
    j1, k1 = j0 + size, k0 + size
    # the passage's end: its last window found after the start (stepping back from the end)
    for k in [len(want) - size, *range(len(want) - size - step, k0, -step)]:
        j = page.find(want[k:k + size], j0)
        if j >= 0:
            j1, k1 = j + size, k + size
            break
    while j1 < len(page) and k1 < len(want) and page[j1] == want[k1]:  # on to where it ends
        j1, k1 = j1 + 1, k1 + 1
    return where[j0], where[j1 - 1] + 1, k0, k1


def supporting_sentence(passage: str, claims: str) -> str:
    """The passage's sentence that bears out `claims` (the answer's sentences that cite it) best:
    the most content words in common; "" when none shares two."""
    from docent.core.text import sentences, stems

    want = stems(claims)
    best, score = "", 1
    for s, e in sentences(passage):
        common = len(stems(passage[s:e]) & want)
        if common > score:
            best, score = passage[s:e].strip(), common
    return best

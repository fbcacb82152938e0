"""The window's numbering of an answer's sources: the passages shown under an answer are numbered
1..n in the order the answer first cites them, and the [n] markers in its text are renumbered to
match (the core's numbers are those of every passage the model was given, so a lone cited source
could read "[4]"). Only what the window shows changes: the saved chat and `--json` keep the core's."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Sequence

from docent.core.storage.chats import Passage
from docent.core.text import CITE


def display_numbers(answer: str, cited: Sequence[Passage]) -> dict[int, int]:
    """Core number → number shown, for the cited passages: 1..n in the order of first citation in
    the answer (passages it never marks come after, in their order)."""
    known = {p.n for p in cited}
    order: list[int] = []
    for m in CITE.finditer(answer):
        for part in re.split(r"[,;]", m.group(1)):
            n = int(part.strip())
            if n in known and n not in order:
                order.append(n)
    order += [p.n for p in cited if p.n not in order]
    return {n: i for i, n in enumerate(order, start=1)}


def renumber_text(text: str, mapping: dict[int, int]) -> str:
    """The [n] markers of `text` with the numbers shown; a number the mapping does not know (a
    citation of no listed source) reads "?", so that it cannot be taken for another source's number."""

    def cite(m: re.Match[str]) -> str:
        parts = [int(p.strip()) for p in re.split(r"[,;]", m.group(1))]
        return "[" + ", ".join(str(mapping[n]) if n in mapping else "?" for n in parts) + "]"

    return CITE.sub(cite, text)


def renumbered(passages: Sequence[Passage], mapping: dict[int, int]) -> list[Passage]:
    """The passages with their numbers shown, in that order."""
    out = [replace(p, n=mapping[p.n]) for p in passages if p.n in mapping]
    return sorted(out, key=lambda p: p.n)

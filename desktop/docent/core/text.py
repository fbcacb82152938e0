"""Plain-text helpers shared by every room: the English stopwords, a light stemmer and a text's set
of content-word stems, sentence spans, the numbers a text states, and the [n] citation markers of an
answer. Pure functions over strings; nothing here knows about documents, models or the index."""

from __future__ import annotations

import re

# Words too common to help a keyword search or to count as content (English; other languages are kept whole).
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just me more most my
    myself no nor not of off on once only or other our ours ourselves out over own same she should so some
    such than that the their theirs them themselves then there these they this those through to too under
    until up very was we were what when where which while who whom why will with would you your yours
    yourself yourselves what's whats did does many much name named called one also""".split()
)
_WORD = re.compile(r"\w+", re.UNICODE)
_SUFFIXES = ("ations", "ation", "ingly", "ings", "ing", "edly", "ies", "ied", "es", "ed", "ly", "s")


def stem(word: str) -> str:
    """A light English stemmer, enough to match "signs"/"sign" or "terminated"/"termination"."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:6]


def stems(text: str) -> set[str]:
    """The stems of a text's content words (lower-cased, stopwords and one-letter words left out)."""
    return {stem(w) for w in _WORD.findall(text.lower()) if w not in STOPWORDS and len(w) > 1}


# ---- citations -----------------------------------------------------------------------------------
CITE = re.compile(r"\[(\d{1,2}(?:\s*[,;]\s*\d{1,2})*)\]")  # "[1]", "[2, 3]", "[1;4]"


def parse_citations(answer: str, count: int) -> list[int]:
    """The source numbers an answer cites, in order of first use, each once; numbers outside
    1..`count` are left out."""
    order: list[int] = []
    for m in CITE.finditer(answer):
        for part in re.split(r"[,;]", m.group(1)):
            n = int(part.strip())
            if 1 <= n <= count and n not in order:
                order.append(n)
    return order


# ---- numbers and sentences -----------------------------------------------------------------------
_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?")


def numbers(text: str) -> set[str]:
    """The numbers a text states, normalised ("1,200" -> "1200", "91%" -> "91", "3.50" -> "3.50"),
    citation markers left out. Numbers are what small models get wrong most often, and they
    cannot be paraphrased: a number that is not in a source did not come from it."""
    out = set()
    for m in _NUMBER.finditer(CITE.sub(" ", text)):
        value = m.group().rstrip(",").replace(",", "")
        if value:
            out.add(value)
    return out


_SENT = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9À-Ý])|\n+")


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence: a break after . ! ? or … (and closing quotes or brackets)
    followed by whitespace and a capital or a digit, or at a line break; blank spans left out."""
    spans, start = [], 0
    for m in _SENT.finditer(text):
        if text[start : m.start()].strip():
            spans.append((start, m.start()))
        start = m.end()
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans

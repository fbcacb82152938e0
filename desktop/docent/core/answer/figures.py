"""One figure read off a statement's table row: "How much total assets did Costco have at the end
of FY2021? Answer in USD millions." is answered by the balance sheet's row "Total assets | August
29, 2021: $59,268 | August 30, 2020: $55,556" (rows as `ingest/extract/tables.py` writes them),
under the column of the year asked, without the model. A small model reads such a row badly: on
FinanceBench's 17 one-figure questions Gemma 3 270M got none right, picking the other year's
column or a neighbouring row, or writing a figure no passage states (withheld).

The lookup answers only when the question and a row agree exactly, and stays out of the way
otherwise (the model then answers as before):
- the question asks for one amount of one year: a "what is/was", "how much" or "how many" clause
  naming exactly one year, no quarter or half year, and nothing to compute (no ratio, margin,
  growth, average, change, share, ...);
- a row's label, its words in order, is the clause's item ("total current liabilities"), and the
  clause asks for nothing beyond it, apart from names, the year and words of units and periods;
- exactly one of the row's column headers states that year, and it is not a date in January to
  March (retailers' fiscal years ending then are named by either calendar year: Best Buy's
  "fiscal 2020" ended on February 1, 2020, Ulta Beauty's "fiscal 2023" on February 3, 2024);
- each name the question gives is held by the row's document.
Pure functions over the passages found; the catalog answers which documents hold a name."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from docent.core.answer.gate import Holdings, _states, names, years
from docent.core.text import STOPWORDS, stem
from docent.core.types import Hit

_WORD = re.compile(r"[^\W\d_]+|\d+", re.UNICODE)
# the clause that asks for the figure starts at its question words (after any "Using the balance
# sheet, ..." or "answer the following question: ")
_ASKS = re.compile(r"\b(?:what\s+(?:is|was|were|are)|how\s+much|how\s+many)\b", re.IGNORECASE)
# a part of a year: the row's columns are years
_PART = re.compile(r"\b(?:Q[1-4]|H[12]|quarters?|half|halves|months?|weeks?|YTD|year[- ]to[- ]date)\b|Q[1-4]\s?'?\d",
                   re.IGNORECASE)
# something to compute from figures, not a figure to read
_DERIVED = re.compile(
    r"\b(?:ratios?|margins?|growth|grow|grew|rates?|averages?|avg|chang\w*|percent\w*|increas\w*|decreas\w*|"
    r"declin\w*|differen\w*|compar\w*|turnover|cagr|proportion|share\s+of|days|cycle|times|coverage|yield|"
    r"between|versus|vs|combined|sum|excluding|adjusted|per(?!\s+share))\b|%", re.IGNORECASE)
# words a figure question holds besides its item: question words, units, the period, "the company"
_GENERIC = frozenset(stem(w) for w in (
    "what is was were are how much many have has had did does do end year years yearend fiscal fy amount "
    "value figure company total reported report state stated usd us dollars dollar million millions "
    "billion billions thousand thousands answer its their according period close closing as at of").split())
_MONTH_EARLY = re.compile(r"\b(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?)\b\.?", re.IGNORECASE)
_UNIT = re.compile(r"\bin\s+(thousands|millions|billions)\b", re.IGNORECASE)
_PAREN = re.compile(r"\([^()]*\)")
_NOTE = re.compile(r"\s*\(\d\)|\s*\*+$")


@dataclass(frozen=True)
class Figure:
    """A row's figure for the year asked: `source` is the 1-based number of the passage holding it."""

    source: int
    label: str
    header: str
    value: str
    unit: str  # "million", "thousand", "billion" or "" (the passage says nothing)

    @property
    def answer(self) -> str:
        unit = f" {self.unit}" if self.unit else ""
        return f"{self.label} ({self.header}): {self.value}{unit} [{self.source}]."


def _words(text: str) -> list[str]:
    """The text's content words as stems, in order (stopwords and one-letter words left out)."""
    return [stem(w) for w in (t.lower() for t in _WORD.findall(text)) if w not in STOPWORDS and len(w) > 1]


def asked_item(question: str) -> tuple[list[str], str] | None:
    """(the item the question asks a figure of, as stems in order, the year) when it asks for one
    figure of one year; None otherwise."""
    asked = years(question)
    if len(asked) != 1 or _PART.search(question) or _DERIVED.search(question):
        return None
    starts = [m.start() for m in _ASKS.finditer(question)]
    if not starts:
        return None
    clause = re.split(r"(?<=[?.!])\s", question[starts[-1]:], maxsplit=1)[0]
    if asked[0] not in clause and not re.search(r"\bFY\s?'?\d\d\b", clause):
        return None  # the year is asked elsewhere: not a one-figure clause
    clause = _PAREN.sub(" ", clause)
    dropped = {stem(w.lower()) for n in names(question) for w in _WORD.findall(n)}
    item = [w for w in _words(clause) if w not in dropped and not _is_period(w)]
    return (item, asked[0]) if item else None


def _is_period(word: str) -> bool:
    return bool(re.fullmatch(r"(?:fy)?(?:19|20)?\d\d", word))


def rows(text: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """The table rows a passage holds, as (label, [(header, figure), ...])."""
    out = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.split(" | ")]
        if len(parts) < 3:
            continue
        cells = []
        for part in parts[1:]:
            header, sep, figure = part.rpartition(": ")
            if not sep or not header or not figure:
                break
            cells.append((header, figure))
        else:
            out.append((parts[0], cells))
    return out


def _matches(label: list[str], item: list[str]) -> bool:
    """Whether the label's words, in order, are the item's (a label's leading "Total" may be left
    out of the question: "current assets" is "Total current assets"; a trailing "net" may lead:
    "net property, plant, and equipment" is "Property, plant and equipment, net"), and the item
    asks nothing beyond them but generic words."""
    total, net = stem("total"), stem("net")
    variants = [label, label[1:] if label[:1] == [total] else None,
                [net, *label[:-1]] if len(label) > 1 and label[-1] == net else None]
    for words in variants:
        if not words:
            continue
        n = len(words)
        for i in range(len(item) - n + 1):
            if item[i:i + n] == words:
                rest = item[:i] + item[i + n:]
                if all(w in _GENERIC for w in rest):
                    return True
    return False


def _column(cells: list[tuple[str, str]], year: str, question: str) -> tuple[str, str] | None:
    """The one cell whose header states the year asked, unless that header is a date of January to
    March the question does not name."""
    found = [(h, f) for h, f in cells if _states(year, h)
             or re.fullmatch(rf"(?:FY|Fiscal\s+)'?{year[2:]}", h, re.IGNORECASE)]
    if len(found) != 1:
        return None
    header = found[0][0]
    early = _MONTH_EARLY.search(header)
    if early and early.group(0).rstrip(".").lower()[:3] not in question.lower():
        return None
    return found[0]


def _unit(hit: Hit, hits: Sequence[Hit]) -> str:
    """The unit the passage's table states ("(in millions, except per share data)"), or another
    passage of the same page states; "" when none does."""
    for h in [hit, *(h for h in hits if h.doc_id == hit.doc_id and h.page == hit.page and h is not hit)]:
        m = _UNIT.search(f"{h.heading}\n{h.text}")
        if m:
            return m.group(1).lower().rstrip("s")
    return ""


def table_figure(question: str, hits: Sequence[Hit], catalog: Holdings | None = None) -> Figure | None:
    """The figure a table row among the passages gives for the one figure the question asks, or
    None (see the module's rules). Of several matching rows the longest label wins, then the
    passage ranked first."""
    asked = asked_item(question)
    if asked is None:
        return None
    item, year = asked
    best: tuple[tuple[int, int], int, str, tuple[str, str]] | None = None  # (key, rank, label, cell)
    for rank, hit in enumerate(hits):
        for label, cells in rows(hit.text):
            clean = _NOTE.sub("", _PAREN.sub(" ", label)).strip(" :")
            words = _words(clean)
            if not words or not _matches(words, item):
                continue
            cell = _column(cells, year, question)
            if cell is not None and (best is None or (len(words), -rank) > best[0]):
                best = ((len(words), -rank), rank, " ".join(clean.split()), cell)
    if best is None:
        return None
    _, rank, label, (header, value) = best
    hit = hits[rank]
    named = names(question)
    if named and catalog is not None:
        held = catalog.documents_holding(named, [hit.doc_id])
        if held is not None and not all(hit.doc_id in docs for docs in held):
            return None  # the row is another company's
    return Figure(rank + 1, label, header, value, _unit(hit, hits))

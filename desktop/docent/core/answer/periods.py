"""Fiscal quarters in a quarterly filing (10-Q) or an earnings release: which of its columns a
question's "Q2 of FY2024" or "FY 2023" is. The columns are dated ("July 29, 2023 | January 28,
2023 | July 30, 2022"), and a date says nothing of the fiscal calendar: Best Buy's quarter ended
July 29, 2023 is its second quarter of fiscal 2024, Pfizer's ended July 2, 2023 its second quarter
of 2023. The document says which: its most frequent "second quarter of fiscal 2024" is its own
quarter, and its most frequent "quarterly period ended July 29, 2023" (or "three months ended …")
is that quarter's end.

From that quarter (Qn of FY Y, ended on day D) a question's period is a column:
- Qn of FY Y: the column dated D (the first such column, the three months', before the six or nine
  months' that end on the same day), or headed by D's year alone ("2023 | 2022 | 2023 | 2022");
- Qn of FY Y−1: the same, a year before D (within `_SLACK` days: 52- and 53-week years);
- FY Y−1, for a balance (the balance sheet's other column): the one column dated between a year
  before D and D, the last fiscal year's end.
Nothing else is read: another quarter, a half year, a fiscal year's flows (not in a 10-Q), a cash
flow of a quarter but the first (the statement's columns are the year to date).
Pure functions over the document's passages."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Sequence

from docent.core.types import Hit

_SLACK = timedelta(days=10)
_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4}
_MONTHS = {m: i for i, m in enumerate(
    "jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}
_DATE = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{1,2}),?\s+((?:19|20)\d\d)\b",
                   re.IGNORECASE)
_OWN_QUARTER = re.compile(r"\b(first|second|third|fourth)\s+quarter\s+(?:of\s+)?(?:fiscal\s+)?(?:year\s+)?((?:19|20)\d\d)\b",
                          re.IGNORECASE)
_QUARTER_END = re.compile(r"\b(?:quarterly\s+period|quarter|three\s+months|thirteen\s+weeks|13\s+weeks)\s+ended\s+"
                          + _DATE.pattern, re.IGNORECASE)
# a question's quarters: "Q2 of FY2024", "Q2 FY24", "Q2'2023", "Q22023", "FY2023Q1", "the second quarter of fiscal 2024"
_ASKED_QUARTER = re.compile(
    r"\bQ([1-4])\s*(?:of\s+)?(?:FY|fiscal(?:\s+year)?)?\s*'?((?:19|20)\d\d|\d\d)(?!\d)"
    r"|\b(?:FY|fiscal(?:\s+year)?)\s*'?((?:19|20)\d\d)\s*Q([1-4])\b"
    r"|\b(first|second|third|fourth)\s+quarter\s+(?:of\s+)?(?:FY|fiscal(?:\s+year)?)?\s*'?((?:19|20)\d\d)\b",
    re.IGNORECASE)
_ASKED_YEAR = re.compile(r"\b(?:FY|fiscal(?:\s+year)?)\s*'?((?:19|20)\d\d)(?!\d)", re.IGNORECASE)
_QUARTERLY = re.compile(r"\b(?:three|six|nine)\s+months\s+ended|\bquarterly\s+period\s+ended", re.IGNORECASE)
_YEARLY = re.compile(r"\b(?:years?|twelve\s+months)\s+ended", re.IGNORECASE)
_ANNUAL = re.compile(r"\bannual\s+report\s+pursuant\b", re.IGNORECASE)
_LONGER = re.compile(r"\b(?:years?|twelve|nine|six|26|39|52|53)\b", re.IGNORECASE)  # a header of more than a quarter
_HALF = re.compile(r"\b(?:H[12]|half|halves|six\s+months|nine\s+months|year[- ]to[- ]date|YTD)\b", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class Period:
    """A fiscal year (`quarter` 0) or one of its quarters."""

    year: int
    quarter: int = 0

    def __str__(self) -> str:
        return f"Q{self.quarter} FY{self.year}" if self.quarter else f"FY{self.year}"


def asked(question: str) -> list[Period] | None:
    """The periods a question asks about when it asks about a quarter ("Q2 of FY2024", with any
    fiscal year it names besides: "FY 2023"), in order of time; None when it names no quarter, or
    a half year, or a year it does not write as a fiscal year."""
    if _HALF.search(question):
        return None
    found: list[Period] = []
    rest = question
    for m in _ASKED_QUARTER.finditer(question):
        if m.group(1):
            q, y = int(m.group(1)), m.group(2)
        elif m.group(3):
            q, y = int(m.group(4)), m.group(3)
        else:
            q, y = _ORDINALS[m.group(5).lower()], m.group(6)
        found.append(Period(int(y) if len(y) == 4 else 2000 + int(y), q))
        rest = rest.replace(m.group(0), " ")
    if not found:
        return None
    for m in _ASKED_YEAR.finditer(rest):
        found.append(Period(int(m.group(1))))
        rest = rest.replace(m.group(0), " ")
    if re.search(r"(?<!\d)(?:19|20)\d\d(?!\d)", rest):
        return None  # a year of no stated kind: a date, a calendar year
    return sorted(set(found), key=lambda p: (p.year, p.quarter or 5))


def as_year(question: str) -> str:
    """The question with each quarter written as its fiscal year ("What was Best Buy's revenue in
    Q2 of FY2024?" → "… in FY2024?"), for the rules that read a question's one figure."""
    def fiscal_year(m: re.Match[str]) -> str:
        y = m.group(2) or m.group(3) or m.group(6)
        return f"FY{y if len(y) == 4 else '20' + y}"
    return _ASKED_QUARTER.sub(fiscal_year, question)


def _date(m: re.Match[str]) -> date | None:
    """The day a match of `_DATE` (or of a pattern that ends with it) names: month, day, year."""
    try:
        return date(int(m.group(3)), _MONTHS[m.group(1)[:3].lower()], int(m.group(2)))
    except ValueError:
        return None


@dataclass(frozen=True)
class Calendar:
    """A quarterly document's own quarter and the day it ended."""

    quarter: Period
    ended: date

    def column(self, cells: Sequence[tuple[str, str]], period: Period, statement: str) -> tuple[str, str] | None:
        """The cell of the period asked (see the module's rules) in a row of the statement
        ("balance", "income" or "cash"), or None. A quarterly cash flow statement is the year's
        to date, so it gives no quarter but the first."""
        balance = statement == "balance"
        if statement == "cash" and period.quarter != 1:
            return None
        dated = [(c, d) for c in cells for d in [header_date(c[0])] if d is not None
                 and not (period.quarter and _LONGER.search(_DATE.sub(" ", c[0])))]
        own = self.quarter
        a_year = self.ended - timedelta(days=365)
        if period.quarter and period.quarter == own.quarter and period.year in (own.year, own.year - 1):
            day = self.ended if period == own else a_year
            hits = [c for c, d in dated if abs(d - day) <= _SLACK] or [
                c for c in cells if c[0].strip() == str(day.year)]  # "2023 | 2022 | 2023 | 2022": the quarter's first
            return hits[0] if hits else None
        if balance and not period.quarter and period.year == own.year - 1:
            start = a_year + _SLACK
            hits = [c for c, d in dated if start < d < self.ended - _SLACK]
            return hits[0] if len({d for c, d in dated if start < d < self.ended - _SLACK}) == 1 else None
        return None


def header_date(header: str) -> date | None:
    """The day a column header ends on: "July 29, 2023", "Three Months Ended Jul. 29, 2023"."""
    found = list(_DATE.finditer(header))
    return _date(found[-1]) if len(found) == 1 else None


def calendar(pool: Sequence[Hit]) -> Calendar | None:
    """The document's own quarter (its most frequent "second quarter of fiscal 2024") and its end
    (its most frequent "quarterly period ended July 29, 2023"), when both are stated and agree (the
    quarter's fiscal year is the end's calendar year or the next), of a quarterly document: not an
    annual report, and more often "three (six, nine) months ended" than "year ended"."""
    quarters: Counter[Period] = Counter()
    ends: Counter[date] = Counter()
    quarterly = yearly = 0
    for h in pool:
        text = " ".join(h.text.split())
        if _ANNUAL.search(text):
            return None  # a 10-K: its "three months ended" are its quarterly data's
        quarterly += len(_QUARTERLY.findall(text))
        yearly += len(_YEARLY.findall(text))
        for m in _OWN_QUARTER.finditer(text):
            quarters[Period(int(m.group(2)), _ORDINALS[m.group(1).lower()])] += 1
        for m in _QUARTER_END.finditer(text):
            d = _date(m)
            if d is not None:
                ends[d] += 1
    if not quarters or not ends or quarterly <= yearly:
        return None
    top_ends = ends.most_common(2)
    if len(top_ends) > 1 and top_ends[0][1] == top_ends[1][1]:
        return None  # no one end
    ended = top_ends[0][0]
    top = max(quarters.values())
    tied = [q for q, n in quarters.items() if n == top]
    if len(tied) > 1:  # "second quarter of 2023" as often as "third quarter of 2023": the end's own, if either
        by_date = Period(ended.year, (ended.month - 1) // 3 + 1)
        tied = [by_date] if by_date in tied and ended.month % 3 == 0 and ended.day >= 28 else []
    if len(tied) != 1 or tied[0].year not in (ended.year, ended.year + 1):
        return None  # no one quarter, or it disagrees with the end
    return Calendar(tied[0], ended)

"""A financial metric computed from a filing's table rows: "What is Block's FY2016 working capital
ratio? Define working capital ratio as total current assets divided by total current liabilities."
is answered by the balance sheet's rows "Total current assets | 2016: 1,001,425 | 2015: 705,563"
and "Total current liabilities | 2016: 577,464 | …": 1.73, with both figures cited. A small model
cannot do this arithmetic (on FinanceBench's computed questions Gemma 3 270M got none right); the
figures are in the tables, and arithmetic is not a model's job.

The computation answers only when it knows exactly what to compute, and stays out of the way
otherwise (the model then answers as before):
- the question names one metric Docent knows (`formulas.METRICS`: working capital and quick ratios,
  margins, turnovers, days outstanding, the cash conversion cycle, retention and payout ratios,
  return on assets, "X as a % of revenue", free cash flow, EBITDA), or the growth rate of one
  line item between two years;
- every line item the question mentions is one the formula uses (a question that defines the
  metric otherwise, with items the formula does not have, is left to the model), and nothing
  adjusted (non-GAAP) nor a quarter or half year is asked;
- the years are whole fiscal years: one (with the year before it when the formula averages a
  balance), two for a growth rate, or a range of N for an "N year average";
- each figure is read off a row whose label is one of the item's usual names, exactly, in the
  column whose header states the year (`figures._column`: one such column, not a January–March
  date unless the question names the month), all of them from one filing of the company named
  (`statements.py`: which document, which of its rows);
- the result is one a real company's figure can be (`formulas.Metric.plausible`).
Pure functions over the catalog's documents; nothing is searched."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Sequence

from docent.core.answer import periods
from docent.core.answer.figures import _GENERIC, _PART, _unit, _words, asked_item
from docent.core.answer.formulas import METRICS, Metric, Missing, Value, Year
from docent.core.answer.gate import years
from docent.core.answer.periods import Period
from docent.core.answer.statements import (
    NAMES, Filings, about, chunks_of, company_documents, company_names, mentioned, phrases, read_cell, statement_pages, strip_phrases,
    table_rows,
)
from docent.core.types import Computation, Hit

_log = logging.getLogger(__name__)

_TRIES = 3  # documents tried, most likely first
_ADJUSTED = re.compile(r"(?<![\w-])(?:adjusted|non-gaap|pro forma|organic|core)\b", re.IGNORECASE)
_ROUND = re.compile(r"\b(?:round\w*|to)\b[^.?]*?\b(one|two|three|four|zero|no|\d)\s+decimal", re.IGNORECASE)
_WHOLE = re.compile(r"\bnearest\s+(?:whole|integer)\b", re.IGNORECASE)
_SCALE = {"thousand": 1e3, "million": 1e6, "billion": 1e9}
_COUNTS = {"two": 2, "three": 3, "four": 4, "five": 5, "2": 2, "3": 3, "4": 4, "5": 5}
# what a one-figure question may say it did besides the item ("how much did Block generate in cash
# flow from operating activities")
_VERBS = frozenset(_words("generate generated spend spent record recorded post posted hold held carry carried "
                          "attributable shareholders stockholders common parent unadjusted gaap"))
# a question for reasons or an account, not a figure: "Why did Nike's debt rise in FY2021?"
_EXPLAIN = re.compile(r"\b(?:why|explain\w*|describe\w*|what\s+(?:drove|caused|led\s+to|explains|were\s+the\s+reasons)|"
                      r"how\s+(?:did|does|do|has|have|will|would|can|could)\b)")
_HOW_CHANGED = re.compile(r"\s*how\s+(?:did|has|have)\b.*\b(?:chang\w*|grow|grew|move|moved|develop\w*|evolve\w*|"
                          r"rise|fall|trend\w*)\b")
_YESNO = re.compile(r"\s*(?:did|has|have|had|was|were|is|are|does|do)\b", re.IGNORECASE)
_UP = re.compile(r"\b(?:increas\w*|grow\w*|grew|rise|rose|risen|improv\w*|higher|expand\w*)\b")
_DOWN = re.compile(r"\b(?:decreas\w*|declin\w*|drop\w*|fall|fell|fallen|shrink\w*|shrank|lower|reduc\w*)\b")
_CHANGE = re.compile(r"\bchang\w*\b")
_NYEAR = re.compile(r"\b(two|three|four|five|[2-5])[- ]year\s+average\b", re.IGNORECASE)

_SHARE = re.compile(r"\bas\s+(?:a\s+)?(?:%|percent(?:age)?)\s+of\s+(?:total\s+|net\s+)?(?:revenues?|sales)\b"
                    r"|\b(?:%|percent(?:age)?)\s+of\s+(?:total\s+|net\s+)?(?:revenues?|sales)\b"
                    r"|(?:%|\bpercent(?:age)?)\s+margin\b", re.IGNORECASE)  # "COGS % margin": a line item over revenue
_CAGR = re.compile(r"\bcagr\b|compound(?:ed)?\s+annual\s+growth", re.IGNORECASE)
_PERCENT = re.compile(r"%|\bpercent", re.IGNORECASE)
_DEFINED = re.compile(r"\bdefined?\b[^?]*?(?:/|\bdivided\s+by\b)", re.IGNORECASE)  # "ROA is defined as: X / Y"
_GROWTH = re.compile(r"\bgrowth\b|\b(?:change|increase|decrease|decline)\s+rate\b|\byoy\b|year[- ]over[- ]year\s+"
                     r"(?:change|growth)", re.IGNORECASE)


@dataclass(frozen=True)
class Cell:
    """A figure the computation used: `source` is the 1-based number of the passage holding it."""

    item: str
    year: int | Period
    label: str
    header: str
    text: str  # as the row writes it
    value: float
    source: int
    unit: str


@dataclass(frozen=True)
class Computed:
    """A metric computed from table rows: the answer shown, the passages it cites (the question's
    own, then the passages of the rows it read), and the figures it used."""

    answer: str
    hits: list[Hit]
    cells: list[Cell] = field(default_factory=list)
    result: str = ""
    kind: str = "computed"  # "table": one figure read off its row (under another name than the question's)
    computation: Computation | None = None
    sources: str = ""  # the answer's last sentence, which gives and cites every figure used (the claim check's)


def _plan(question: str) -> tuple[Metric, list[Any], int] | None:
    """(the metric, the years it is computed for, the decimals to show) or None."""
    low = " ".join(question.lower().split())
    how_changed = bool(_HOW_CHANGED.match(low))  # "How did Costco's revenue change between FY2020 and FY2021?"
    if _ADJUSTED.search(low.replace("unadjusted", "")) or (_EXPLAIN.search(low) and not how_changed):
        return None
    quarters = periods.asked(question)
    if quarters is not None:
        return _quarter_plan(question, low, quarters, how_changed)
    if _PART.search(question):
        return None
    asked = sorted(int(y) for y in years(question))
    if not asked:
        return None
    items = mentioned(question)
    metric = next((m for m in METRICS if re.search(m.pattern, low)), None) or _share(low, items)
    if (_YESNO.match(question) or how_changed) and len(asked) == 2:
        return _comparison(question, low, metric, items, asked, either=how_changed)
    if metric is None and _CAGR.search(low) and len(asked) == 2 and len(items) == 1:
        (grown,) = items
        first, last = asked

        def cagr(v: Value, y: int) -> float:
            ratio = v(grown, y) / v(grown, first)
            if ratio <= 0:
                raise ZeroDivisionError("no compound rate between figures of opposite signs")
            return 100 * (float(ratio ** (1 / (y - first))) - 1)
        metric = Metric(f"{_title(grown)} CAGR", "", (grown,), "percent",
                         f"({NAMES[grown]} {last} / {NAMES[grown]} {first})^(1/{last - first}) − 1", cagr,
                         base=first, bounds=(-100.0, 1000.0))
        return metric, [last], _decimals(question, metric)
    if metric is None and _GROWTH.search(low) and len(asked) == 2 and len(items) == 1:
        return _growth(question, next(iter(items)), asked[0], asked[1])
    if metric is None and len(items) == 1 and len(asked) == 1:
        (item,) = items
        return _figure(question, item)
    if metric is None or not items <= set(metric.items):
        return None
    n = _NYEAR.search(low)
    if n:
        span = list(range(asked[0], asked[-1] + 1))
        if len(span) != _COUNTS[n.group(1).lower()] or metric.kind == "amount":
            return None
        return metric, span, _decimals(question, metric)
    if re.search(r"\baverage\b", low) and not metric.prior:
        return None  # an average the formula does not take
    year = asked[-1]
    if any(y not in (year, year - 1) for y in asked) or (len(asked) == 2 and not metric.prior):
        return None
    return metric, [year], _decimals(question, metric)


def _share(low: str, items: set[str]) -> Metric | None:
    """"X as a % of revenue" ("net earnings as a percent of sales", "COGS % margin"): one line item
    over revenue, when the question names exactly one item besides revenue."""
    rest = items - {"revenue"}
    if not _SHARE.search(low) or len(rest) != 1:
        return None
    (part,) = rest

    def share(v: Value, y: Year) -> float:
        return 100 * abs(v(part, y)) / v("revenue", y)
    return Metric(f"{_title(part)} as a % of revenue", "", (part, "revenue"), "percent", f"{NAMES[part]} / revenue", share)


def _growth(question: str, grown: str, first: Year, last: Year) -> tuple[Metric, list[Any], int]:
    """One item's growth rate from one year (or quarter) to a later one."""
    def growth(v: Value, y: Year) -> float:
        return 100 * (v(grown, y) / v(grown, first) - 1)
    metric = Metric(f"{_title(grown)} growth", "", (grown,), "percent",
                    f"{NAMES[grown]} {last} / {NAMES[grown]} {first} − 1", growth, base=first,
                    bounds=(-100.0, 10000.0))
    return metric, [last], _decimals(question, metric)


def _quarter_plan(question: str, low: str, asked: list[Period], how_changed: bool,
                  ) -> tuple[Metric, list[Period], int] | None:
    """A quarter's figure or metric, or two periods compared ("Was there any drop in Cash & Cash
    equivalents between FY 2023 and Q2 of FY2024?"), or an item's growth between two periods: read
    in a quarterly document's columns (`periods`). Nothing that averages a balance over a year."""
    items = mentioned(question)
    metric = next((m for m in METRICS if re.search(m.pattern, low)), None) or _share(low, items)
    if metric is not None and (metric.prior or metric.base or not items <= set(metric.items)):
        return None
    if (_YESNO.match(question) or how_changed) and len(asked) == 2:
        return _comparison(question, low, metric, items, asked, either=how_changed)
    if metric is None and _GROWTH.search(low) and len(asked) == 2 and len(items) == 1 and not _CAGR.search(low):
        return _growth(question, next(iter(items)), asked[0], asked[1])
    if len(asked) != 1:
        return None
    if metric is None and len(items) == 1:  # the question as for its fiscal year: one item's figure
        (item,) = items
        plan = _figure(periods.as_year(question), item)
        return (plan[0], asked, plan[2]) if plan else None
    return (metric, asked, _decimals(question, metric)) if metric is not None else None


def _comparison(question: str, low: str, metric: Metric | None, items: set[str],
                asked: list[Any], either: bool = False) -> tuple[Metric, list[Any], int] | None:
    """A yes/no question whether a line item or a metric went up or down between two years ("Did
    Nike's gross margin improve in FY2021 compared to FY2020?"): both years' values, compared."""
    up, down = bool(_UP.search(low)), bool(_DOWN.search(low))
    compare = ("either" if either or (up and down) else "up" if up else "down" if down
               else "change" if _CHANGE.search(low) else "")
    if not compare:
        return None
    if metric is None:
        if len(items) != 1:
            return None
        (item,) = items

        def amount(v: Value, y: int) -> float:
            return v(item, y)
        metric = Metric(_title(item), "", (item,), "amount", "", amount)
    elif not items <= set(metric.items) or metric.prior or metric.base:
        return None  # an averaged balance needs a third year the two statements may not have
    return replace(metric, compare=compare), asked, _decimals(question, metric)


def _figure(question: str, item: str) -> tuple[Metric, list[int], int] | None:
    """One line item's figure of one year, asked by another of its names than the row's ("the
    FY2016 COGS" of a statement whose row is "Total cost of revenue"): when the question's clause
    asks for nothing but that item (`figures.asked_item`, less the item's words and generic ones)."""
    asked = asked_item(question)
    if asked is None:
        return None
    words, year = asked
    rest = strip_phrases(words, phrases(item))
    if any(w != "·" and w not in _GENERIC and w not in _VERBS for w in rest) or "·" not in rest:
        return None
    def figure(v: Value, y: int) -> float:
        return v(item, y)
    return Metric(_title(item), "", (item,), "figure", "", figure), [int(year)], 0


def _title(item: str) -> str:
    return NAMES[item][0].upper() + NAMES[item][1:]


def _decimals(question: str, metric: Metric) -> int:
    m = _ROUND.search(question)
    if m:
        word = m.group(1).lower()
        return {"zero": 0, "no": 0, "one": 1, "two": 2, "three": 3, "four": 4}.get(word, int(word) if word.isdigit() else 2)
    if _WHOLE.search(question):
        return 0
    return {"ratio": 2, "percent": 1, "days": 1}.get(metric.kind, 0)


def computed(question: str, hits: Sequence[Hit], catalog: Filings, doc_ids: Sequence[int] | None = None,
             ) -> Computed | None:
    """The metric the question asks, computed from table rows (see the module's rules), or None."""
    plan = _plan(question)
    if plan is None or not hits:
        return None
    docs, by_file = company_documents(question, hits, catalog, doc_ids)
    for doc in docs[:_TRIES]:
        pool = chunks_of(catalog, doc)
        if not by_file and not about(pool, company_names(question)):
            continue
        calendar = periods.calendar(pool) if isinstance(plan[1][0], Period) else None
        if isinstance(plan[1][0], Period) and calendar is None:
            continue  # a quarter asked of a document whose own quarter is not stated
        done = _compute(question, plan, hits, pool, calendar)
        if done is not None:
            return done
    return None


def _compute(question: str, plan: tuple[Metric, list[Any], int], hits: Sequence[Hit],
             pool: list[Hit], calendar: periods.Calendar | None = None) -> Computed | None:
    """The metric from the rows of one document's passages (`pool`), or None."""
    metric, span, decimals = plan
    titles, table = statement_pages(pool), table_rows(pool)
    cells: dict[tuple[str, int], Cell] = {}
    used: list[Hit] = list(hits)

    def value(item: str, year: int) -> float:
        key = (item, year)
        if key not in cells:
            found = read_cell(question, item, year, table, titles, calendar)
            if found is None:
                raise Missing(f"{item} {year}")
            hit, label, header, text, v = found
            if hit.chunk_id not in {h.chunk_id for h in used}:
                used.append(hit)
            n = next(i for i, h in enumerate(used, start=1) if h.chunk_id == hit.chunk_id)
            cells[key] = Cell(item, year, label, header, text, v, n, _unit(hit, pool))
        return cells[key].value

    try:
        results = [metric.fn(value, y) for y in span]
    except (Missing, ZeroDivisionError) as e:
        _log.debug("not computed: %s", e)
        return None
    units = {c.unit for c in cells.values() if c.unit}
    if len(units) > 1 and metric.kind != "amount":
        # figures in thousands and in millions: put them on one scale, then compute again
        scale = {k: _SCALE.get(c.unit, 1.0) for k, c in cells.items()}

        def scaled(item: str, year: int) -> float:
            return value(item, year) * scale[(item, year)]
        try:
            results = [metric.fn(scaled, y) for y in span]
        except (Missing, ZeroDivisionError):
            return None
    elif len(units) > 1:
        return None
    low, high = metric.plausible
    if not all(low <= r <= high for r in results):
        _log.debug("not computed: %s = %s is not a plausible figure", metric.title, results)
        return None
    if metric.compare:
        return _compared(metric, span, results, cells, used, decimals, units)
    result = sum(results) / len(results)
    if metric.kind == "figure":  # read, not computed: as the row writes it, with the table's unit
        (cell,) = cells.values()
        shown = f"{cell.text} {cell.unit}".strip() if cell.unit else cell.text
        answer = f"{metric.title}, {_period(span[0])}: {shown}, read from the row {cell.label} ({cell.header}) [{cell.source}]."
        return Computed(answer, used, [cell], shown, kind="table",
                        sources=f"{cell.label} ({cell.header}): {cell.text} [{cell.source}].")
    shown = _format(result, metric.kind, decimals, next(iter(units), ""))
    if metric.kind == "percent" and _DEFINED.search(question) and not _PERCENT.search(question):
        # "ROA is defined as: net income / average total assets", no percent asked: the ratio too
        shown += f" (a ratio of {result / 100:,.{max(2, decimals)}f})"
    period = _period(span[0]) if len(span) == 1 else f"FY{span[0]}–FY{span[-1]} average"
    if metric.base:
        period = f"{_period(metric.base)} to {_period(span[0])}"
    per_year = ""
    if len(span) > 1:
        per_year = " Per year: " + ", ".join(f"FY{y} {_format(r, metric.kind, decimals, '')}"
                                              for y, r in zip(span, results)) + "."
    derived = [shown, *(_format(r, metric.kind, decimals, "") for r in results if len(span) > 1)]
    return _done(f"{metric.title}, {period}: {shown}, computed as {metric.formula}.{per_year}",
                 _sources(metric, cells, units), f"{metric.title}, {period}", metric, shown, derived, cells, used)


def _sources(metric: Metric, cells: dict[tuple[str, int], Cell], units: set[str]) -> str:
    """The sentence that gives every figure used, each cited: "From the tables (figures in
    millions): Total current assets (2016): 1,001,425 [6]; …". The claim check reads it."""
    inputs = "; ".join(f"{c.label} ({c.header}): {c.text} [{c.source}]" for c in sorted(
        cells.values(), key=lambda c: (metric.items.index(c.item) if c.item in metric.items else 9, -_when(c.year))))
    unit_note = f" (figures in {next(iter(units))}s)" if len(units) == 1 else ""
    return f"From the tables{unit_note}: {inputs}."


def _done(answer: str, sources: str, label: str, metric: Metric, result: str, derived: Sequence[str],
          cells: dict[tuple[str, int], Cell], used: list[Hit]) -> Computed:
    computation = Computation(label, metric.formula or "comparison", result, [d for d in derived if d], [
        {"item": NAMES[c.item], "year": c.year.year if isinstance(c.year, Period) else c.year, "label": c.label,
         "header": c.header, "figure": c.text, "unit": c.unit, "source": c.source,
         **({"period": str(c.year)} if isinstance(c.year, Period) else {})} for c in cells.values()])
    return Computed(f"{answer} {sources}", used, list(cells.values()), result, computation=computation,
                    sources=sources)


def _compared(metric: Metric, span: list[int], results: list[float], cells: dict[tuple[str, int], Cell],
              used: list[Hit], decimals: int, units: set[str]) -> Computed:
    """The answer to a yes/no question of two years: "Yes: gross margin rose from 44.7% in FY2020 to
    44.8% in FY2021 (+0.1 percentage points), …"."""
    (first, last), (a, b) = span, results
    if metric.kind == "amount" and not metric.formula:  # one line item: as its rows write it
        shown = [f"{cells[(metric.items[0], y)].text}" + (f" {next(iter(units))}" if len(units) == 1 else "")
                 for y in span]
        delta = f"{100 * (b / a - 1):+.1f}%" if a else ""
    else:
        shown = [_format(r, metric.kind, decimals, next(iter(units), "")) for r in results]
        delta = (f"{b - a:+.{decimals}f} percentage points" if metric.kind == "percent"
                 else f"{b - a:+,.{decimals}f}" if metric.kind != "amount" else f"{100 * (b / a - 1):+.1f}%" if a else "")
    moved = "rose" if b > a else "fell" if b < a else "was unchanged"
    if metric.compare == "either":
        verdict = "It increased" if b > a else "It decreased" if b < a else "Neither"
    else:
        yes = {"up": b > a, "down": b < a, "change": b != a}[metric.compare]
        verdict = "Yes" if yes else "No"
    how = f", computed as {metric.formula}" if metric.formula else ""
    change = f" ({delta})" if delta else ""
    title = metric.title if metric.title[1:2].isupper() else metric.title[0].lower() + metric.title[1:]
    derived = [*shown, delta] if metric.formula or metric.kind != "amount" else [delta]
    return _done(f"{verdict}: {title} {moved} from {shown[0]} in {_period(first)} to {shown[1]} in {_period(last)}{change}{how}.",
                 _sources(metric, cells, units), f"{metric.title}, {_period(first)} to {_period(last)}", metric, verdict, derived,
                 cells, used)


def _period(year: int | Period) -> str:
    """"FY2023" for a fiscal year, "Q2 FY2024" for a quarter."""
    return str(year) if isinstance(year, Period) else f"FY{year}"


def _when(year: int | Period) -> int:
    """A period's place in time (a fiscal year after its quarters)."""
    return year.year * 10 + (year.quarter or 5) if isinstance(year, Period) else year * 10 + 5


def _format(value: float, kind: str, decimals: int, unit: str) -> str:
    if kind == "percent":
        return f"{value:,.{decimals}f}%"
    if kind == "days":
        return f"{value:,.{decimals}f} days"
    if kind == "amount":
        return f"{value:,.{decimals}f}" + (f" {unit}" if unit else "")
    return f"{value:,.{decimals}f}"



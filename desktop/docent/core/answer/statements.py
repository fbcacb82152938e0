"""A filing's line items and where its statements give them: the usual labels of each line item
("Cost of sales", "Total cost of revenue", "Cost of goods sold"), the names a question gives them
("COGS"), and the reading of one item's figure for one year from one document's table rows (rows as
`ingest/extract/tables.py` writes them: "Total current assets | 2016: 1,001,425 | 2015: 705,563").
Used by `metrics.py`, which computes with the figures.

The document is the company's own filing: the file named after a name the question gives, else the
first of the passages' documents that writes the name as a name of its own at least five times
(Walmart's filing writes "Retail Square Feet", Block's "Square" on most pages). Of its rows, a
row on its statement's page comes before a note's or a segment's; the company's own net income
before the total with noncontrolling interests; then the largest figure (the statement's line is
the whole of which notes and segments give parts). A balance or a sale is never negative. Labels are compared on their letters alone, so a PDF's broken
word ("attributab le") still reads."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Protocol, Sequence

from docent.core.answer.figures import _NOTE, _PAREN, _column, _words, rows
from docent.core.answer.gate import Holdings, names
from docent.core.answer.periods import Calendar, Period
from docent.core.types import DocumentRecord, Hit

# A line item's usual row labels (the statements' own words); the first is the search query.
_LABELS: dict[str, tuple[str, ...]] = {
    "revenue": ("total revenue", "total revenues", "revenue", "revenues", "total net revenue", "total net revenues",
                "net revenue", "net revenues", "net sales", "total net sales", "sales", "total sales",
                "net operating revenues", "total net sales and revenue", "sales to customers", "revenues net", "sales and other operating revenues", "total net sales and revenues",
                "net revenues and other income"),
    "cogs": ("cost of goods sold", "cost of sales", "cost of revenue", "cost of revenues", "total cost of revenue",
             "total cost of revenues", "total cost of sales", "cost of products sold", "cost of goods and services sold",
             "cost of merchandise sold", "merchandise costs", "cost of products and services sold"),
    "operating_income": ("operating income", "income from operations", "operating profit", "total operating income",
                         "operating income loss", "income loss from operations", "earnings from operations", "operating earnings", "total operating profit"),
    "da": ("depreciation and amortization", "depreciation amortization", "depreciation and amortization expense",
           "depreciation depletion and amortization", "depreciation and amortization of property equipment and intangibles",
           "depreciation amortization and other", "depreciation and amortization of property and equipment"),
    "net_income": ("net income", "net earnings", "net income loss", "net earnings loss",
                   "net income attributable", "net earnings attributable", "net income loss attributable", "consolidated net income"),
    "inventory": ("inventories", "inventory", "merchandise inventories", "inventories net", "inventory net"),
    "ap": ("accounts payable", "trade accounts payable", "accounts payable trade", "trade payables", "accounts payable and trade payables"),
    "ar": ("accounts receivable", "accounts receivable net", "receivables", "receivables net", "trade receivables",
           "trade receivables net", "accounts receivable less allowance", "trade accounts receivable net", "accounts and notes receivable net", "accounts receivable trade net"),
    "current_assets": ("total current assets",),
    "current_liabilities": ("total current liabilities",),
    "total_assets": ("total assets",),
    "dividends": ("dividends paid", "cash dividends paid", "dividends paid to shareholders", "payments of dividends",
                  "dividends", "cash dividends", "dividends paid to stockholders", "payment of dividends", "common stock cash dividends paid", "cash dividend payments", "dividends common and preferred",
                  "dividends paid on common stock", "cash dividends paid to shareholders", "payments for dividends and dividend equivalents",
                  "dividends paid to common shareholders", "cash dividends paid to common shareholders"),
    "capex": ("purchases of property and equipment", "purchases of property plant and equipment",
              "capital expenditures", "additions to property plant and equipment", "payments for property and equipment",
              "purchase of property plant and equipment", "payments for property plant and equipment",
              "additions to property and equipment", "capital spending", "purchases of land buildings and equipment",
              "property plant and equipment additions", "capital expenditures for property plant and equipment", "expenditures for property plant and equipment",
              "purchase of property and equipment", "payments for acquisition of property plant and equipment"),
    "ppe": ("property plant and equipment net", "property and equipment net", "net property plant and equipment",
            "land buildings and equipment net", "net property and equipment", "property plant and equipment at cost net"),
    "ocf": ("net cash provided by operating activities", "net cash provided by used in operating activities",
            "cash provided by operations", "net cash from operating activities", "cash provided by operating activities",
            "net cash provided by operations", "net cash used in provided by operating activities", "net cash from operations", "cash flows from operating activities", "cash generated by operating activities",
            "net cash flows from operating activities", "net cash generated from operating activities"),
    "tax": ("provision for income taxes", "income tax expense", "income taxes", "provision for taxes",
            "income tax provision", "provision benefit for income taxes", "income tax expense benefit",
            "provision for income taxes benefit", "provision for taxes on income", "income tax expense benefit"),
    "pretax": ("income before income taxes", "earnings before income taxes", "income before provision for income taxes",
               "income loss before income taxes", "earnings before provision for income taxes",
               "income before taxes", "total income before income taxes", "income from continuing operations before income taxes",
               "income from continuing operations before provision for taxes on income", "income before income tax expense", "earnings before income tax expense"),
    "equity": ("total shareholders equity", "total stockholders equity", "total equity", "total shareholders investment",
               "total shareowners equity"),
    "cash": ("cash and cash equivalents", "cash and equivalents"),
    "total_liabilities": ("total liabilities",),
    "ltd": ("long term debt", "long term debt net of current portion", "long term debt excluding current portion",
            "long term debt less current portion", "long term debt net of current maturities", "long term borrowings"),
    "current_debt": ("current portion of long term debt", "current maturities of long term debt",
                     "long term debt due within one year", "current portion of long term debt and finance leases"),
}


# the statement each line item is a row of, and how a page gives each statement's title
_STATEMENT = {item: "balance" for item in (
    "inventory", "ap", "ar", "current_assets", "current_liabilities", "total_assets", "ppe", "equity", "cash",
    "total_liabilities", "ltd", "current_debt")}


_STATEMENT.update({item: "income" for item in ("revenue", "cogs", "operating_income", "net_income", "tax", "pretax")})


_STATEMENT.update({item: "cash" for item in ("da", "dividends", "capex", "ocf")})


_TITLES = {
    "balance": re.compile(r"balance\s+sheets?|statements?\s+of\s+(?:consolidated\s+)?financial\s+(?:position|condition)",
                          re.IGNORECASE),
    "income": re.compile(r"statements?\s+of\s+(?:consolidated\s+)?(?:income|operations|earnings|comprehensive\s+income)"
                         r"|income\s+statements?", re.IGNORECASE),
    "cash": re.compile(r"statements?\s+of\s+(?:consolidated\s+)?cash\s+flows?|cash\s+flows?\s+statements?",
                       re.IGNORECASE),
}


# a balance or a sale is positive; an expense may be printed in parentheses
# labels that are the item on its own statement's page only: Pfizer's balance sheet writes "Property,
# plant and equipment" for the net amount, where a note's row of that name is the gross cost
_STATEMENT_LABELS = {"ppe": frozenset({"propertyplantandequipment", "propertyandequipment"})}
_POSITIVE = frozenset({"revenue", "inventory", "ap", "ar", "current_assets", "current_liabilities", "total_assets", "ppe",
                       "cash", "total_liabilities", "ltd", "current_debt"})


_EXPENSES = frozenset({"cogs", "da"})


# how a question names a line item besides its labels
_ALIASES: dict[str, tuple[str, ...]] = {
    "revenue": ("top line",), "cogs": ("cogs",), "da": ("d&a", "d & a"), "ppe": ("pp&e", "ppe", "ppne", "fixed assets"),
    "capex": ("capex", "capital expenditure"), "ocf": ("cash flow from operating activities", "operating cash flow",
                                                      "cash from operations", "cash flow from operations"),
    "net_income": ("net profit",), "ap": ("payables",), "tax": ("tax expense",),
    "pretax": ("pretax income", "pre tax income", "income before taxes"),
    "equity": ("shareholders equity", "stockholders equity"),
}


NAMES = {
    "revenue": "revenue", "cogs": "cost of goods sold", "operating_income": "operating income",
    "da": "depreciation and amortization", "net_income": "net income", "inventory": "inventory",
    "ap": "accounts payable", "ar": "accounts receivable", "current_assets": "total current assets",
    "current_liabilities": "total current liabilities", "total_assets": "total assets",
    "dividends": "dividends paid", "capex": "capital expenditures", "ppe": "net PP&E",
    "ocf": "cash from operating activities", "tax": "income tax expense", "pretax": "income before income taxes",
    "equity": "total shareholders' equity", "cash": "cash and cash equivalents", "total_liabilities": "total liabilities",
    "ltd": "long-term debt", "current_debt": "current portion of long-term debt",
}


_ATTRIBUTABLE = re.compile(r"(?:attributable|available)to.*$")  # on a label's key (`_key`)


_MINORITY = re.compile(r"noncontrolling|minority|redeemable")


# "…, net of allowance for doubtful accounts of $650", "…, net of accumulated depreciation - $13,969 and …"
_ALLOWANCE = re.compile(r"(?:net)?(?:of|less)(?:allowances?|accumulateddepreciation).*$")


_NUMBER = re.compile(r"^\(?-?\$?\s*\(?(\d[\d,]*(?:\.\d+)?)\)?\s*%?\)?$")


class Filings(Holdings, Protocol):
    """What the computation needs of the catalog: its documents, which hold a name, their passages."""

    def documents(self, under: str | None = None) -> Sequence[DocumentRecord]: ...

    def document_chunks(self, doc_id: int) -> list[tuple[Any, ...]]: ...


def phrases(item: str) -> list[list[str]]:
    return [_words(p) for p in (*_LABELS[item], *_ALIASES.get(item, ()))]


def _contains(seq: list[str], part: list[str]) -> bool:
    n = len(part)
    return n > 0 and any(seq[i:i + n] == part for i in range(len(seq) - n + 1))


def mentioned(question: str) -> set[str]:
    """The line items a question mentions, by their usual names ("COGS", "total current assets");
    the longest name first, so "income before income taxes" is not also "income taxes"."""
    words = _words(question.replace("&", " and ").replace("-", " "))
    low = question.lower()
    out = set()
    for item, phrase in sorted(((i, p) for i in _LABELS for p in phrases(i)), key=lambda ip: -len(ip[1])):
        if _contains(words, phrase):
            out.add(item)
            words = strip_phrases(words, [phrase])
    out |= {item for item, aliases in _ALIASES.items() for a in aliases if not a.isalpha() and a in low}
    if re.search(r"\bebitda\b", low):
        out |= {"operating_income", "da"}
    return out


def strip_phrases(words: list[str], phrases: list[list[str]]) -> list[str]:
    out = list(words)
    for p in sorted(phrases, key=len, reverse=True):
        i = 0
        while i <= len(out) - len(p):
            if p and out[i:i + len(p)] == p:
                out[i:i + len(p)] = ["·"]
            i += 1
    return out


def _value(text: str) -> float | None:
    """A cell's figure as a number: "$1,001,425" → 1001425, "(1,244)" → −1244; None for "—"."""
    t = text.strip().replace("$", "").replace(" ", "")
    m = _NUMBER.match(t)
    if not m:
        return None
    v = float(m.group(1).replace(",", ""))
    return -v if t.startswith("(") or t.startswith("-") else v


def _key(text: str) -> str:
    """A label as its letters alone: "Depreciation and amort ization" (a PDF's broken word) is
    "Depreciation and amortization", "Property, plant & equipment, net" is "property plant and
    equipment net"."""
    return re.sub(r"[^a-z]", "", text.lower().replace("&", "and"))


_KEYS = {item: frozenset(_key(x) for x in labels) for item, labels in _LABELS.items()}


def _label_key(label: str) -> str:
    """A row label's key (`_key`), its notes and parentheses left out, and "… attributable to
    Walmart" cut to what it is of; what is attributable to noncontrolling interests is kept whole
    (no item's name). On letters alone, so a PDF's "attributab le" reads as "attributable"."""
    key = _key(_NOTE.sub("", _PAREN.sub(" ", label)))
    key = _ALLOWANCE.sub("net", key)  # "Accounts receivable, net of allowance for doubtful accounts of $650"
    return key if _MINORITY.search(key) else _ATTRIBUTABLE.sub("", key)


def _own(label: str) -> bool:
    """A line of the company's own ("Net income attributable to Corning Incorporated")."""
    key = _key(label)
    return bool(_ATTRIBUTABLE.search(key)) and not _MINORITY.search(key)


def _is(item: str, label: str) -> bool:
    """Whether a row's label is one of the item's usual names; "Total inventories" is "Inventories"."""
    key = _label_key(label)
    return key in _KEYS[item] or (key.startswith("total") and key[5:] in _KEYS[item])


def about(pool: Sequence[Hit], named: Sequence[str], least: int = 5) -> bool:
    """Whether a document is about each name: it writes it as a name of its own at least `least`
    times, capitalised as the question does or in capitals ("NIKE, Inc."), and not inside another
    capitalised phrase: Walmart's filing writes "Retail Square Feet" in its tables, Block's
    "Square" on most pages. A neighbour that is another of the question's names is part of the
    same name ("General Mills")."""
    own = {n.lower() for n in named}
    for name in named:
        pattern = re.compile(rf"(?<![\w-])(?:{re.escape(name)}|{re.escape(name.upper())})(?![\w-])")
        count = 0
        for h in pool:
            for m in pattern.finditer(h.text):
                before = h.text[max(0, m.start() - 40):m.start()].split()
                after = h.text[m.end():m.end() + 40].split()
                if not any(_capitalised(w, own) for w in (before[-1:] + after[:1])):
                    count += 1
        if count < least:
            return False
    return True


def _capitalised(word: str, own: set[str]) -> bool:
    """A word that makes a capitalised phrase with its neighbour ("Retail", "Feet"), unless it is
    one of the question's own names."""
    w = word.strip("\"'“”‘’()[],.;:")
    return len(w) > 1 and w[0].isupper() and w[1:2].islower() and w.lower() not in own and not word.endswith((",", ".", ";", ":"))


def chunks_of(catalog: Filings, doc_id: int) -> list[Hit]:
    return [Hit(cid, d_id, path, page, location, text, 0.0, ordinal, a, b, heading=heading or "")
            for (cid, d_id, path, ordinal, text, page, location, a, b, heading) in catalog.document_chunks(doc_id)]


def company_names(question: str) -> list[str]:
    """The question's names (`gate.names`) less the words of the line items it names: FinanceBench
    writes "Was there any drop in Cash & Cash equivalents between FY 2023 and Q2 of FY2024?"."""
    items = {w for item in mentioned(question) for p in phrases(item) for w in p}
    return [n for n in names(question) if not set(_words(n)) <= items]


def company_documents(question: str, hits: Sequence[Hit], catalog: Filings,
                       doc_ids: Sequence[int] | None) -> tuple[list[int], bool]:
    """The documents the figures may come from, most likely first: those that hold every name the
    question gives and are named after one of them ("NIKE_2019_10K.pdf"), in the order of the
    passages found; when no file is, the passages' documents that hold the names; with no
    name, the passages' documents. One document gives all the figures of one answer: a filing's
    statements agree, and "Square" is also in other companies' filings ("square feet"). With
    whether they are the files named after the company."""
    named = company_names(question)
    ranked = list(dict.fromkeys(h.doc_id for h in hits))
    if not named:
        return [d for d in ranked if doc_ids is None or d in doc_ids], False
    records = [r for r in catalog.documents() if r.status == "indexed" and (doc_ids is None or r.id in doc_ids)]
    ids = [r.id for r in records]
    held = catalog.documents_holding(named, ids)
    if held is None:
        return [], False
    both = set(ids)
    for docs in held:
        both &= docs
    keys = [_key(n) for n in named]
    by_name = [r.id for r in records if r.id in both and any(k and k in _key(Path(r.path).stem) for k in keys)]
    order = {d: i for i, d in enumerate(ranked)}
    by_name.sort(key=lambda d: order.get(d, len(order)))
    if by_name:
        return by_name, True
    # no file is named after the company: the passages' documents that hold the names, in their
    # order (the caller keeps those that write them as names, `about`: "square feet" is not Square)
    return [d for d in ranked if d in both], False


def statement_pages(pool: Sequence[Hit]) -> dict[str, set[tuple[int, int | None]]]:
    """For each statement, the pages (document, page) whose passages give its title."""
    text: dict[tuple[int, int | None], str] = {}
    for h in pool:
        text[(h.doc_id, h.page)] = text.get((h.doc_id, h.page), "") + f" {h.heading} {h.text}"
    return {name: {page for page, t in text.items() if pattern.search(t)} for name, pattern in _TITLES.items()}


Row = tuple[Hit, str, list[tuple[str, str]]]  # a table row: its passage, its label, its (header, figure) cells


def table_rows(pool: Sequence[Hit]) -> list[Row]:
    """Every table row of the passages (`figures.rows`), read once for all the cells of an answer."""
    return [(hit, label, cells) for hit in pool for label, cells in rows(hit.text)]


def read_cell(question: str, item: str, year: int | Period, table: Sequence[Row],
              titles: dict[str, set[tuple[int, int | None]]],
              calendar: Calendar | None = None) -> tuple[Hit, str, str, str, float] | None:
    """The figure of the item in the year's column: a row on its statement's page before any
    other (a note's, a segment's), then the company's own net income before the total that
    includes noncontrolling interests, then the largest figure: a statement's line is the whole
    of which notes and segments give parts ("Cost of sales" 11,108.4 on the income statement, 9.9
    of it restructuring costs in a note). A balance or a sale is never negative: "Receivables
    (166.3)" is the cash flow statement's change, not the balance. A quarter (`periods.Period`)
    is read in a quarterly document's column for it (`calendar`, `periods.Calendar.column`), on
    its statement's page only: Best Buy's cash flow statement heads its six months' "Net
    earnings $518" with "July 29, 2023" alone, the quarter's day (its quarter's were $274)."""
    found: list[tuple[Hit, str, str, str, float]] = []
    pages = titles.get(_STATEMENT[item], set())
    for hit, label, cells in table:
        if not _is(item, label) and not (_label_key(label) in _STATEMENT_LABELS.get(item, ())
                                         and (hit.doc_id, hit.page) in pages):
            continue
        if isinstance(year, Period):
            cell = calendar.column(cells, year, _STATEMENT[item]) if calendar else None
        else:
            cell = _column(cells, str(year), question)
        if cell is None:
            continue
        v = _value(cell[1])
        if v is None or (item in _POSITIVE and v <= 0):
            continue
        if item in _EXPENSES:
            v = abs(v)
        found.append((hit, " ".join(_PAREN.sub(" ", label).split()).strip(" :"), cell[0], cell[1], v))
    if not found:
        return None
    on_statement = [f for f in found if (f[0].doc_id, f[0].page) in pages]
    if isinstance(year, Period) and not on_statement:
        return None  # a quarterly filing's other tables are often the year to date under the same dates
    found = on_statement or found
    own = [f for f in found if _own(f[1])]
    return max(own or found, key=lambda f: abs(f[4]))

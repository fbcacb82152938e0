"""Tables of a PDF page as labelled rows. pypdf's text order follows the content stream, which in a
financial statement puts each row's figures before the next row's label ("84,212 75,598 60,961
Non-cash interest and other"); a reader, the embedder and the keyword index then see figures torn
from their labels and columns. Here a page's text runs are laid out again by their positions:
runs on one baseline are one row, read left to right, and a row that ends in two or more figures is
a table row, written with its label and each figure under its column's header:

    Net cash provided by operating activities | 2020: 381,603 | 2019: 465,699 | 2018: 295,080

Only pages with several table rows are laid out this way (statements, schedules, a report's
tables); a page set in columns of prose keeps pypdf's order, so two-column papers are never read
across their columns. Pure functions over (text, x, y, size) runs: no PDF library here, pages stay page-exact."""

from __future__ import annotations

import re
from dataclasses import dataclass

from docent.core.ingest.extract.common import normalize_ws
from docent.core.ingest.extract.paragraphs import Line

Run = tuple[str, float, float, float]  # (text, x, baseline y, font size), as pdf.page_lines collects them

# A page is laid out as a table when at least this many of its rows, and this share of its rows
# with text, are table rows.
MIN_ROWS = 4
MIN_SHARE = 0.15
# ... and not when more than this share of its rows are two runs of prose side by side (columns).
COLUMN_ROWS = 0.1
# Runs whose baselines differ by at most this share of the font size are on one row.
SAME_ROW = 0.5

_FIGURE = re.compile(r"^\(?[-−]?[$€£¥]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?\)?%?$|^\(?\.\d+\)?%?$|^[—–-]+%?$|^n/?m$", re.I)
_NOTE = re.compile(r"^\(\d\)$")
_CURRENCY = {"$", "€", "£", "¥", "US$"}
_PERIOD = re.compile(r"^(19|20)\d\d$|^(FY|Q[1-4])['’]?\d{2,4}$", re.I)


@dataclass
class Row:
    y: float
    size: float
    runs: list[tuple[float, str]]  # (x, text as pypdf gave it, its spaces included) left to right

    @property
    def text(self) -> str:
        """The runs joined as pypdf spaced them: a run of letters set glyph by glyph ("P", "A",
        "L") stays one word; a line break pypdf wrote between runs is a space."""
        return normalize_ws("".join(t for _, t in self.runs).replace("\xa0", " "))

    @property
    def cells(self) -> list[tuple[float, str]]:
        """The runs that hold text, trimmed."""
        return [(x, c) for x, c in ((x, normalize_ws(t.replace("\xa0", " "))) for x, t in self.runs) if c]


def rows_of(runs: list[Run]) -> list[Row]:
    """The page's runs as rows, top to bottom, each read left to right. A run of spaces joins the
    row it lies on, as the space between its neighbours, but never sets the row's baseline."""
    ordered = sorted(((t.replace("\n", " "), x, y, size) for t, x, y, size in runs if t and t != "\n"),
                     key=lambda r: (-r[2], r[1]))
    rows: list[Row] = []
    for text, x, y, size in ordered:
        blank = not text.strip()
        row = rows[-1] if rows else None
        if row is not None and abs(row.y - y) <= SAME_ROW * max(row.size, size, 1.0):
            row.runs.append((x, text))
            if size > row.size and not blank:  # the row's baseline is its body text's, not a superscript's
                row.y, row.size = y, size
        elif not blank:
            rows.append(Row(y, size, [(x, text)]))
    for row in rows:
        row.runs.sort(key=lambda r: r[0])
    return rows


def split_figures(text: str) -> tuple[str, list[str]]:
    """A row's text → (its label, the figures that end it): "Net income (loss) $ 213,105 $
    375,446 $ (38,453)" → ("Net income (loss)", ["$213,105", "$375,446", "$(38,453)"])."""
    tokens = text.split()
    figures: list[str] = []
    suffix = ""
    i = len(tokens)
    while i > 0:
        token = tokens[i - 1]
        if token in ("%", ")", ")%") and not suffix:
            suffix = token  # "3.6 %": belongs to the figure before it
            i -= 1
        elif suffix and _FIGURE.match(token + suffix):
            figures.insert(0, token + suffix)
            suffix = ""
            i -= 1
        elif suffix:
            i += 1
            break
        elif token in _CURRENCY and figures:
            figures[0] = token + figures[0]
            i -= 1
        elif _FIGURE.match(token):
            figures.insert(0, token)
            i -= 1
        else:
            break
    while figures and _PERIOD.match(figures[0]) and i > 0 and tokens[i - 1].endswith(","):
        i += 1  # "December 31, 2020": a date that ends the label, not a figure
        figures.pop(0)
    return " ".join(tokens[:i]), figures


def _headers(rows: list[Row], first: int, count: int, start: float) -> list[str] | None:
    """The column headers of a table whose first figure row is rows[first] and which has `count`
    figure columns right of x = start: the nearest row above (at most 4 up) that has `count` runs
    over the figure columns ("July 29, 2023") or names `count` periods ("2020 2019 2018")."""
    for k in range(first - 1, max(-1, first - 5), -1):
        row = rows[k]
        over = [t for x, t in row.cells if x >= start]
        if len(over) == count and all(_PERIOD.match(t) or not _FIGURE.match(t.split()[-1]) or
                                      _PERIOD.match(t.split()[-1]) for t in over):
            return over  # one run a column: "July 29, 2023", "2020", "Q4 2022"
        periods = [t for t in row.text.split() if _PERIOD.match(t)]
        if len(periods) == count:
            return periods
        if _is_figure_row(split_figures(row.text)[1]):  # another figure row: no header between
            return None
    return None


def table_lines(runs: list[Run]) -> list[Line] | None:
    """The page's lines with its table rows labelled, or None where the page is not mostly a table
    (its lines are then pypdf's own)."""
    rows = rows_of(runs)
    parsed = [split_figures(row.text) for row in rows]
    figure_rows = [i for i, (_, figures) in enumerate(parsed) if _is_figure_row(figures)]
    if len(figure_rows) < MIN_ROWS or len(figure_rows) < MIN_SHARE * len(rows) or _columns(rows, parsed):
        return None
    lines: list[Line] = []
    headers: list[str] | None = None
    columns = 0
    for i, row in enumerate(rows):
        label, figures = parsed[i]
        if not _is_figure_row(figures):
            lines.append(Line(row.text, row.y, row.size))
            if not label:  # a row of one figure: a table's total or a page number
                continue
            if sum(1 for t in row.text.split() if _PERIOD.match(t)) >= 2:
                headers = None  # a new header row: look again at the next figure row
            continue
        if headers is not None and len(figures) == columns + 1:
            # "charges(2) (7) 34": a footnote mark; "Item 4 1,100 1,200": the label's number
            label, figures = f"{label}{'' if _NOTE.match(figures[0]) else ' '}{figures[0]}".strip(), figures[1:]
        if headers is None or len(figures) != columns:
            value_x = _first_figure_x(row, len(figures))
            # a header may start left of the figures it heads (centred over right-aligned figures)
            start = (row.cells[0][0] + value_x) / 2 if label else value_x - 20
            headers = _headers(rows, i, len(figures), start)
            if headers is None and len(figures) > 2:  # "Note 3 1,200 900": the label's own number
                headers = _headers(rows, i, len(figures) - 1, start)
                if headers is not None:
                    label, figures = f"{label} {figures[0]}".strip(), figures[1:]
            columns = len(figures)
        if headers is not None:
            cells = [f"{h}: {f}" for h, f in zip(headers, figures)]
        else:
            cells = figures
        text = " | ".join([label, *cells]) if label else " | ".join(cells)
        lines.append(Line(text, row.y, row.size, row=True))
    return lines


def _columns(rows: list[Row], parsed: list[tuple[str, list[str]]]) -> bool:
    """Whether the page is set in columns of prose: rows holding two runs of several words each,
    apart (laid out by rows, such a page would be read across its columns)."""
    prose_pairs = 0
    for row, (_, figures) in zip(rows, parsed):
        if figures:
            continue
        wordy = [x for x, t in row.cells if len(t.split()) >= 3]
        if len(wordy) >= 2 and max(wordy) - min(wordy) > 100:
            prose_pairs += 1
    return prose_pairs > COLUMN_ROWS * max(1, len(rows))


def _is_figure_row(figures: list[str]) -> bool:
    """Two figures or more, not all of them years (a row of years is a header)."""
    return len(figures) >= 2 and not all(_PERIOD.match(f) for f in figures)


def _first_figure_x(row: Row, count: int) -> float:
    """Where the row's figures start: the x of the run holding the first of its last `count`
    figures (a run may hold a currency sign and a figure)."""
    seen = 0
    for x, text in reversed(row.cells):
        seen += sum(1 for t in text.split() if _FIGURE.match(t))
        if seen >= count:
            return x
    return row.cells[0][0]

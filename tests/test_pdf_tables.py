"""PDF tables as labelled rows (ingest/extract/tables.py): a financial statement's figures keep
their row label and column header; prose and two-column pages keep pypdf's order."""

from __future__ import annotations

from pathlib import Path

import pytest

from docent.core.ingest.extract.pdf import extract_pdf
from docent.core.ingest.extract.tables import split_figures, table_lines

ROWS = [  # label, figures by year (2020, 2019, 2018), as a cash-flow statement prints them
    ("Net income (loss)", ["$ 213,105", "$ 375,446", "$ (38,453)"]),
    ("Depreciation and amortization", ["84,212", "75,598", "60,961"]),
    ("Share-based compensation", ["397,800", "297,863", "216,881"]),
    ("Gain on sale of asset group", ["—", "(373,445)", "—"]),
    ("Net cash provided by operating activities", ["381,603", "465,699", "295,080"]),
    ("Purchase of property and equipment", ["(138,402)", "(62,498)", "(61,203)"]),
]


def write_statement(path: Path, torn: bool = True) -> Path:
    """A one-page cash-flow statement drawn with reportlab. With `torn`, each row's figures are
    drawn before the next row's label, the content-stream order that tears figures from their
    labels in pypdf's text."""
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    path.parent.mkdir(parents=True, exist_ok=True)
    c = canvas.Canvas(str(path), pagesize=letter)
    c.setFont("Helvetica", 8)
    c.drawString(200, 740, "EXAMPLE CORP. CONSOLIDATED STATEMENTS OF CASH FLOWS (In thousands)")
    c.drawString(430, 715, "Year Ended December 31,")
    for x, year in zip((440, 500, 560), ("2020", "2019", "2018")):
        c.drawRightString(x, 704, year)
    y = 690
    pending: list[tuple[float, float, str]] = []
    for label, figures in ROWS:
        c.drawString(30, y, label)
        for args in pending:
            c.drawRightString(*args)
        pending = [(x, y, f) for x, f in zip((440, 500, 560), figures)]
        if not torn:
            for args in pending:
                c.drawRightString(*args)
            pending = []
        y -= 12
    for args in pending:
        c.drawRightString(*args)
    c.drawString(30, y - 20, "See accompanying notes to consolidated financial statements.")
    c.showPage()
    c.save()
    return path


@pytest.mark.parametrize("torn", [True, False])
def test_a_statement_is_read_as_labelled_rows(tmp_path: Path, torn: bool) -> None:
    ex = extract_pdf(write_statement(tmp_path / "statement.pdf", torn))
    assert ex.pages == 1 and {b.page for b in ex.blocks} == {1}
    lines = [line for b in ex.blocks for line in b.text.split("\n")]
    assert "Net cash provided by operating activities | 2020: 381,603 | 2019: 465,699 | 2018: 295,080" in lines
    assert "Net income (loss) | 2020: $213,105 | 2019: $375,446 | 2018: $(38,453)" in lines
    assert "Gain on sale of asset group | 2020: — | 2019: (373,445) | 2018: —" in lines
    assert "Purchase of property and equipment | 2020: (138,402) | 2019: (62,498) | 2018: (61,203)" in lines
    text = "\n".join(b.text for b in ex.blocks)
    assert "STATEMENTS OF CASH FLOWS" in text and "See accompanying notes" in text


def test_a_statement_row_is_what_search_finds(tmp_path: Path, embedder) -> None:  # noqa: ANN001
    from docent.core.library import Library
    from helpers import run_index

    write_statement(tmp_path / "docs" / "example_2020_10k.pdf")
    with Library(tmp_path / "lib", embedder=embedder) as lib:
        run_index(lib, [tmp_path / "docs"])
        top = lib.search("How much cash did operating activities provide in 2020?", top_k=1)[0]
    assert top.page == 1
    assert "Net cash provided by operating activities | 2020: 381,603" in top.text


def test_split_figures() -> None:
    assert split_figures("Net income (loss) $ 213,105 $ 375,446 $ (38,453)") == (
        "Net income (loss)", ["$213,105", "$375,446", "$(38,453)"])
    assert split_figures("% of revenue 3.6 % 4.0 %") == ("% of revenue", ["3.6%", "4.0%"])
    assert split_figures("Loss on investments 0.5 % - %") == ("Loss on investments", ["0.5%", "-%"])
    # a date that ends the label is not a figure; nor is a number inside the words
    assert split_figures("outstanding at December 31, 2020 — —") == ("outstanding at December 31, 2020", ["—", "—"])
    assert split_figures("Issued 12,000 shares to 3 holders") == ("Issued 12,000 shares to 3 holders", [])


def _runs(rows: list[tuple[float, list[tuple[float, str]]]]) -> list[tuple[str, float, float, float]]:
    return [(text + " ", x, y, 10.0) for y, cells in rows for x, text in cells]  # pypdf spaces its runs


def test_a_page_of_prose_and_a_page_in_columns_keep_pypdfs_order() -> None:
    prose = [(700 - 12 * i, [(50, f"This is line {i} of an ordinary paragraph of text, with words.")]) for i in range(30)]
    prose += [(300 - 12 * i, [(50, "Model A"), (300, "1.5"), (360, "2.5")]) for i in range(3)]  # a small table
    assert table_lines(_runs(prose)) is None
    columns = [(700 - 12 * i, [(50, "the left column says one thing"), (320, "the right column another thing")])
               for i in range(20)]
    columns += [(400 - 12 * i, [(50, f"Setting {i}"), (200, "0.35"), (250, "0.41")]) for i in range(6)]
    assert table_lines(_runs(columns)) is None
    table = [(700, [(300, "2021"), (360, "2020")])] + [
        (688 - 12 * i, [(50, f"Item {i}"), (300, f"{i},100"), (360, f"{i},200")]) for i in range(5)]
    lines = table_lines(_runs(table))
    assert lines is not None
    assert [line.text for line in lines if line.row][0] == "Item 0 | 2021: 0,100 | 2020: 0,200"

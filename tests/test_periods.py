"""Quarters (answer/periods.py): which dated column of a quarterly filing a question's "Q2 of
FY2024" or "FY 2023" is, by the filing's own fiscal calendar ("second quarter of fiscal 2024",
"quarterly period ended July 29, 2023"); then computed from a real 10-Q-like PDF, indexed with the
real embedder, through the library's own ask path (no model)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Iterator

import pytest

from docent.core.answer.periods import Calendar, Period, as_year, asked, calendar, header_date
from docent.core.types import AnswerDone, Hit


@pytest.mark.parametrize("question, expected", [
    ("Was there any drop in Cash & Cash equivalents between FY 2023 and Q2 of FY2024?",
     [Period(2023), Period(2024, 2)]),
    ("Did JnJ's net earnings as a percent of sales increase in Q2 of FY2023 compared to Q2 of FY2022?",
     [Period(2022, 2), Period(2023, 2)]),
    ("For Pfizer, which region had the biggest drop in Q22023 year over year revenues?", [Period(2023, 2)]),
    ("As of Q2'2023, is Pfizer spinning off any large business segments?", [Period(2023, 2)]),
    ("As of FY2023Q1, by how many percentage points did Pepsico raise guidance?", [Period(2023, 1)]),
    ("What was revenue in the second quarter of fiscal 2024?", [Period(2024, 2)]),
    ("What was Best Buy's revenue in Q2 FY24?", [Period(2024, 2)]),
    ("What was Nike's FY2021 revenue?", None),  # no quarter: the annual rules
    ("Which debt got the most of MGM's short term investments in H1 FY2023?", None),  # a half year
    ("What was revenue in the second quarter of fiscal 2024 against 2023?", None),  # 2023 of no kind
])
def test_the_periods_a_question_asks(question: str, expected: list[Period] | None) -> None:
    assert asked(question) == expected


def test_a_quarter_written_as_its_fiscal_year_and_a_header_as_its_day() -> None:
    assert as_year("What was Best Buy's revenue in Q2 of FY2024?") == "What was Best Buy's revenue in FY2024?"
    assert header_date("July 29, 2023") == date(2023, 7, 29)
    assert header_date("Three Months Ended Jul. 29, 2023") == date(2023, 7, 29)
    assert header_date("2023") is None and header_date("July 29, 2023 July 30, 2022") is None


BALANCE = [("July 29, 2023", "$1,093"), ("January 28, 2023", "$1,874"), ("July 30, 2022", "$840")]
INCOME = [("July 29, 2023", "$9,583"), ("July 30, 2022", "$10,329"), ("July 29, 2023", "$19,050"),
          ("July 30, 2022", "$20,976")]


def test_a_calendar_reads_the_quarter_its_year_before_and_the_last_fiscal_year_end() -> None:
    cal = Calendar(Period(2024, 2), date(2023, 7, 29))
    assert cal.column(BALANCE, Period(2024, 2), "balance") == ("July 29, 2023", "$1,093")
    assert cal.column(BALANCE, Period(2023), "balance") == ("January 28, 2023", "$1,874")  # the last year end
    assert cal.column(BALANCE, Period(2023, 2), "balance") == ("July 30, 2022", "$840")
    assert cal.column(INCOME, Period(2024, 2), "income") == ("July 29, 2023", "$9,583")  # three months, not six
    assert cal.column(INCOME, Period(2023, 2), "income") == ("July 30, 2022", "$10,329")
    assert cal.column(INCOME, Period(2023), "income") is None  # a year's flows: not in a 10-Q
    assert cal.column(INCOME, Period(2024, 1), "income") is None  # another quarter
    assert cal.column(INCOME, Period(2024, 2), "cash") is None  # the cash flow statement is the year to date
    years = [("2023", "$12,734"), ("2022", "$27,742"), ("2023", "$31,015"), ("2022", "$53,104")]
    assert Calendar(Period(2023, 2), date(2023, 7, 2)).column(years, Period(2022, 2), "income") == ("2022", "$27,742")
    headed = [("Six Months Ended July 29, 2023", "$19,050"), ("Three Months Ended July 29, 2023", "$9,583")]
    assert cal.column(headed, Period(2024, 2), "income") == ("Three Months Ended July 29, 2023", "$9,583")


def _hit(text: str) -> Hit:
    return Hit("c", 1, "/d/q.pdf", 1, "p. 1", text, 1.0)


def test_a_calendar_is_a_quarterly_documents_own() -> None:
    quarterly = [_hit("QUARTERLY REPORT for the quarterly period ended July 29, 2023. In the second quarter of "
                      "fiscal 2024 revenue fell. Three months ended July 29, 2023. Six months ended July 29, 2023. "
                      "Compared with the second quarter of fiscal 2023; see our report for the fiscal year ended "
                      "January 28, 2023. The second quarter of fiscal 2024 …")]
    assert calendar(quarterly) == Calendar(Period(2024, 2), date(2023, 7, 29))
    annual = [_hit("ANNUAL REPORT PURSUANT TO SECTION 13. Quarterly data: the fourth quarter of 2020, the three "
                   "months ended March 31, 2020, the three months ended March 31, 2020.")]
    assert calendar(annual) is None  # a 10-K's quarterly data
    yearly = [_hit("The year ended December 31, 2020. The year ended December 31, 2020. In the second quarter of "
                   "2020, the three months ended June 30, 2020.")]
    assert calendar(yearly) is None  # more years than quarters: not a quarterly document
    tied = [_hit("The quarterly period ended June 30, 2023. The second quarter of 2023 and the third quarter of "
                 "2023. Three months ended June 30, 2023.")]
    assert calendar(tied) == Calendar(Period(2023, 2), date(2023, 6, 30))  # the end's own calendar quarter


# Initech's 10-Q for its second quarter of fiscal 2024 (a fiscal year ending late January)
QUARTER = [
    ("INITECH INC. CONDENSED CONSOLIDATED BALANCE SHEETS ($ in millions)", None,
     ("July 29, 2023", "January 28, 2023", "July 30, 2022"), [
         ("Cash and cash equivalents", ["$ 1,093", "$ 1,874", "$ 840"]),
         ("Receivables, net", ["923", "1,141", "986"]),
         ("Merchandise inventories", ["5,651", "5,140", "6,043"]),
         ("Other current assets", ["533", "689", "614"]),
         ("Total current assets", ["8,200", "8,844", "8,483"]),
         ("Property and equipment, net", ["2,313", "2,352", "2,317"]),
         ("Total assets", ["$ 15,287", "$ 15,803", "$ 16,032"]),
         ("Accounts payable", ["5,470", "5,687", "6,219"]),
         ("Total current liabilities", ["8,100", "8,979", "9,900"]),
         ("Long-term debt", ["1,140", "1,160", "1,178"]),
         ("Total equity", ["2,767", "2,795", "2,813"]),
     ]),
    ("INITECH INC. CONDENSED CONSOLIDATED STATEMENTS OF EARNINGS ($ in millions)",
     "Three Months Ended                    Six Months Ended",
     ("July 29, 2023", "July 30, 2022", "July 29, 2023", "July 30, 2022"), [
         ("Revenue", ["$ 9,583", "$ 10,329", "$ 19,050", "$ 20,976"]),
         ("Cost of sales", ["7,360", "8,046", "14,688", "16,340"]),
         ("Gross profit", ["2,223", "2,283", "4,362", "4,636"]),
         ("Selling, general and administrative expenses", ["1,882", "1,878", "3,719", "3,768"]),
         ("Restructuring charges", ["(7)", "34", "(16)", "35"]),
         ("Operating income", ["348", "371", "659", "833"]),
         ("Other income, net", ["20", "3", "38", "7"]),
         ("Earnings before income tax expense", ["368", "374", "697", "840"]),
         ("Income tax expense", ["94", "68", "180", "197"]),
         ("Net earnings", ["$ 274", "$ 306", "$ 517", "$ 643"]),
     ]),
]


def write_quarterly(path: Path) -> Path:
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    path.parent.mkdir(parents=True, exist_ok=True)
    c = canvas.Canvas(str(path), pagesize=letter)
    c.setFont("Helvetica", 9)
    for i, line in enumerate(["QUARTERLY REPORT PURSUANT TO SECTION 13 OR 15(d) OF THE SECURITIES EXCHANGE ACT",
                              "For the quarterly period ended July 29, 2023",
                              "Initech Inc. reports its results for the second quarter of fiscal 2024.",
                              "In the second quarter of fiscal 2024, Initech's revenue fell 7.2% from the",
                              "second quarter of fiscal 2023. Our report on Form 10-K for the fiscal year ended",
                              "January 28, 2023 describes Initech's business. The three months ended July 29, 2023",
                              "and the six months ended July 29, 2023 are unaudited."]):
        c.drawString(40, 740 - 14 * i, line)
    c.showPage()
    for title, spans, dates, rows in QUARTER:
        c.setFont("Helvetica", 8)
        c.drawString(150, 740, title)
        if spans:
            c.drawString(330, 715, spans)
        xs = (330, 400, 470, 540)[:len(dates)]
        for x, d in zip(xs, dates):
            c.drawRightString(x, 704, d)
        y = 690
        for label, figures in rows:
            c.drawString(30, y, label)
            for x, f in zip(xs, figures):
                c.drawRightString(x, y, f)
            y -= 12
        c.drawString(30, y - 20, "See the accompanying notes to Initech's condensed consolidated financial statements.")
        c.drawString(30, y - 32, "Initech Inc. reports in millions of dollars for the second quarter of fiscal 2024.")
        c.showPage()
    c.save()
    return path


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory, embedder) -> Iterator[object]:  # noqa: ANN001
    from docent.core.library import Library
    from helpers import run_index

    tmp = tmp_path_factory.mktemp("periods")
    write_quarterly(tmp / "docs" / "initech_2024q2_10q.pdf")
    with Library(tmp / "lib", embedder=embedder) as lib:
        run_index(lib, [tmp / "docs"])
        yield lib


def _done(lib, question: str) -> AnswerDone:  # noqa: ANN001
    return [e for e in lib.ask(question) if isinstance(e, AnswerDone)][-1]


@pytest.mark.parametrize("question, start, inputs", [
    ("Was there any drop in Cash & Cash equivalents between FY 2023 and Q2 of FY2024?",
     "Yes: cash and cash equivalents fell from $1,874 million in FY2023 to $1,093 million in Q2 FY2024 (-41.7%).",
     ["$1,093", "$1,874"]),
    ("Did Initech's revenue decline in Q2 FY2024 compared to Q2 FY2023?",
     "Yes: revenue fell from $10,329 million in Q2 FY2023 to $9,583 million in Q2 FY2024 (-7.2%).",
     ["$9,583", "$10,329"]),
    ("What was Initech's gross margin in the second quarter of fiscal 2024?",
     "Gross margin, Q2 FY2024: 23.2%, computed as", ["$9,583", "7,360"]),
    ("What was Initech's revenue in Q2 of FY2024?", "Revenue, Q2 FY2024: $9,583 million, read from the row",
     ["$9,583"]),
    # a line item as a share of sales, in two quarters (FinanceBench asks JnJ's so)
    ("Did Initech's net earnings as a percent of sales increase in Q2 of FY2024 compared to Q2 of FY2023?",
     "No: net income as a % of revenue fell from 3.0% in Q2 FY2023 to 2.9% in Q2 FY2024 (-0.1 percentage points), "
     "computed as net income / revenue.", ["$274", "$306", "$9,583", "$10,329"]),
])
def test_a_quarter_is_read_in_the_filings_own_columns_without_the_model(library, question: str, start: str,  # noqa: ANN001
                                                                         inputs: list[str]) -> None:
    done = _done(library, question)
    assert done.answered and done.extractive_kind in ("computed", "table"), done.answer
    assert done.answer.startswith(start), done.answer
    figures = [i["figure"] for i in done.computation.inputs] if done.computation else None
    assert figures is None or sorted(figures) == sorted(inputs)
    if done.computation:  # --json: each input's fiscal year, and the quarter it is of
        assert all(isinstance(i["year"], int) and i["period"].startswith(("Q2 FY", "FY"))
                   for i in done.computation.inputs)
    assert all(c.supported for c in done.claims), done.claims
    assert "model_load_s" not in done.timings


@pytest.mark.parametrize("question", [
    "Was there any drop in cash and cash equivalents between FY2024 and Q2 of FY2025?",  # not this filing's quarter
    "Did Initech's revenue decline in Q1 FY2024 compared to Q1 FY2023?",  # another quarter
    "What was Initech's revenue in the first half of fiscal 2024?",  # a half year
])
def test_another_period_is_not_computed(library, question: str) -> None:  # noqa: ANN001
    from docent.core.answer.metrics import computed

    searcher = library.searcher()
    params = library._services.ask_params()
    hits = searcher.search(question, params.sources, None, params.search)
    assert computed(question, hits, searcher.catalog) is None

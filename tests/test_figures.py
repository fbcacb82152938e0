"""One figure read off a table row (answer/figures.py): the question and a row must agree exactly,
and anything else is left to the model."""

from __future__ import annotations

from pathlib import Path

import pytest

from docent.core.answer.figures import asked_item, rows, table_figure
from docent.core.types import AnswerDone, Hit

BALANCE = """CONSOLIDATED BALANCE SHEETS (in millions, except par value)
Cash and cash equivalents | August 29, 2021: $11,258 | August 30, 2020: $12,277
Total current assets | August 29, 2021: 29,505 | August 30, 2020: 28,120
Property, plant and equipment, net | August 29, 2021: 23,492 | August 30, 2020: 21,807
TOTAL ASSETS | August 29, 2021: $59,268 | August 30, 2020: $55,556
Total current liabilities | August 29, 2021: 29,441 | August 30, 2020: 24,844"""


def hit(text: str, doc_id: int = 1, page: int = 38) -> Hit:
    return Hit(chunk_id=f"{doc_id}-{page}", doc_id=doc_id, path=f"/docs/{doc_id}.pdf", page=page,
               location=f"p. {page}", text=text, score=1.0)


class Holding:
    """Which documents hold a name, as the catalog answers it."""

    def __init__(self, held: dict[str, set[int]]) -> None:
        self.held = held

    def documents_holding(self, words, doc_ids):  # noqa: ANN001, ANN201
        return [self.held.get(w, set()) & set(doc_ids) for w in words]


@pytest.mark.parametrize("question, label, value", [
    ("Using only the information within the balance sheet, how much total assets did Costco have at the end "
     "of FY2021? Answer in USD millions.", "TOTAL ASSETS", "$59,268"),
    ("What is Costco's year end FY2020 total current liabilities (in USD millions)?", "Total current liabilities",
     "24,844"),
    ("According to the balance sheet, how much current assets did Costco have at the end of fiscal 2021?",
     "Total current assets", "29,505"),  # "current assets" is "Total current assets"
    ("What is Costco's year end FY2021 net property, plant, and equipment?",
     "Property, plant and equipment, net", "23,492"),  # a trailing ", net" may lead
])
def test_the_row_and_column_asked_give_the_figure(question: str, label: str, value: str) -> None:
    found = table_figure(question, [hit("Costco Wholesale annual report"), hit(BALANCE)],
                         Holding({"Costco": {1}}))
    assert found is not None
    assert (found.label, found.value, found.source, found.unit) == (label, value, 2, "million")
    assert found.answer.endswith("million [2].") and value in found.answer


@pytest.mark.parametrize("question", [
    "What is Costco's FY2021 current ratio?",  # something to compute
    "What was the change in Costco's total assets in FY2021?",
    "What is the FY2020 - FY2021 growth in total assets for Costco?",  # two years
    "How much total assets did Costco have?",  # no year
    "How much total assets did Costco have at the end of FY2019?",  # a year no column has
    "What were Costco's total assets in Q2 of FY2021?",  # a part of the year
    "How much cash did Costco hold at the end of FY2021?",  # no row is "cash" alone
    "What is Costco's FY2021 total deferred assets?",  # the question asks more than the row says
])
def test_anything_else_is_left_to_the_model(question: str) -> None:
    assert table_figure(question, [hit(BALANCE)], Holding({"Costco": {1}})) is None


def test_a_row_of_another_companys_filing_is_not_the_answer() -> None:
    q = "How much total assets did Apple have at the end of FY2021?"
    assert table_figure(q, [hit(BALANCE)], Holding({"Apple": {7}})) is None
    assert table_figure(q, [hit(BALANCE)], Holding({"Apple": {1}})) is not None


def test_a_fiscal_year_ending_early_in_the_year_is_not_guessed() -> None:
    """Best Buy's "fiscal 2020" ended on February 1, 2020, Ulta Beauty's "fiscal 2023" on February
    3, 2024: a column dated January to March is not taken for a fiscal year, unless the question
    names the month."""
    text = "Total assets | February 3, 2024: $6,032 | January 28, 2023: $5,571"
    assert table_figure("What were Ulta's total assets at the end of fiscal 2023?", [hit(text)]) is None
    found = table_figure("What were Ulta's total assets as of February 3, 2024?", [hit(text)])
    assert found is not None and found.value == "$6,032"


def test_rows_and_the_asked_item() -> None:
    # tables.py writes a row of two figures or more, each under its header
    assert rows("Revenue | 2021: 10 | 2020: 9\nprose line | not a cell\nNet income | 2021: 1") == [
        ("Revenue", [("2021", "10"), ("2020", "9")])]
    assert asked_item("Using the cash flow statement, answer this: how much total revenue did Block "
                      "have in FY2020? Answer in USD millions.") == (["total", "revenu", "fy"], "2020")


def test_the_library_answers_a_figure_question_from_the_table(tmp_path: Path, embedder) -> None:  # noqa: ANN001
    """A real statement PDF, indexed and asked through the library: the answer is the row's figure
    for the year asked, cited to its page, marked as read from a table, and made without the model."""
    from docent.core.library import Library
    from helpers import run_index
    from test_pdf_tables import write_statement

    write_statement(tmp_path / "docs" / "example_2020_10k.pdf")
    with Library(tmp_path / "lib", embedder=embedder) as lib:
        run_index(lib, [tmp_path / "docs"])
        done = [e for e in lib.ask("What was the net cash provided by operating activities in 2019? "
                                   "Answer in USD thousands.") if isinstance(e, AnswerDone)][-1]
    assert done.answered and done.extractive and done.extractive_kind == "table"
    assert done.answer == "Net cash provided by operating activities (2019): 465,699 thousand [1]."
    assert [c.page for c in done.citations] == [1]
    assert "model_load_s" not in done.timings  # the model was not needed

"""A financial metric computed from a filing's table rows (answer/metrics.py): a real statement PDF,
indexed with the real embedder and searched by the real searcher; the formula is applied to the
rows of the years asked, each figure cited, and anything it cannot compute exactly is left to the
model."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from docent.core.answer.metrics import computed
from docent.core.types import AnswerDone

# (title, years, rows): the pages of Example Corp's 2021 annual report, in millions
PAGES = [
    ("EXAMPLE CORP. CONSOLIDATED STATEMENTS OF INCOME (In millions)", ("2021", "2020", "2019"), [
        ("Revenues", ["$ 12,000", "$ 10,000", "$ 8,000"]),
        ("Cost of sales", ["7,200", "6,100", "5,000"]),
        ("Gross profit", ["4,800", "3,900", "3,000"]),
        ("Operating income", ["1,800", "1,200", "920"]),
        ("Income before income taxes", ["1,700", "1,100", "850"]),
        ("Provision for income taxes", ["400", "260", "220"]),
        ("Net income", ["1,300", "840", "630"]),
        ("Net income attributable to noncontrolling interests", ["50", "40", "30"]),
        ("Net income attributable to Example Corp", ["$ 1,250", "$ 800", "$ 600"]),
    ]),
    ("EXAMPLE CORP. CONSOLIDATED BALANCE SHEETS (In millions)", ("2021", "2020"), [
        ("Accounts receivable, net", ["1,500", "1,300"]),
        ("Inventories", ["2,000", "1,800"]),
        ("Total current assets", ["6,000", "5,000"]),
        ("Property, plant and equipment", ["3,000", "2,800"]),  # net, as on Pfizer's balance sheet
        ("Total assets", ["$ 20,000", "$ 18,000"]),
        ("Accounts payable", ["1,100", "900"]),
        ("Total current liabilities", ["4,000", "3,125"]),
        ("Current portion of long-term debt", ["300", "250"]),
        ("Long-term debt", ["2,000", "2,200"]),
        ("Total shareholders' equity", ["10,000", "9,000"]),
    ]),
    ("EXAMPLE CORP. CONSOLIDATED STATEMENTS OF CASH FLOWS (In millions)", ("2021", "2020", "2019"), [
        ("Depreciation and amortization", ["400", "350", "300"]),
        ("Net cash provided by operating activities", ["2,100", "1,700", "1,400"]),
        ("Purchases of property and equipment", ["(600)", "(500)", "(450)"]),
        ("Dividends paid", ["(500)", "(400)", "(300)"]),
    ]),
    ("NOTE 7. RESTRUCTURING CHARGES (In millions)", ("2021", "2020"), [
        ("Cost of sales", ["9.9", "14.0"]),  # a part of the line, in a note: not the line itself
        ("Selling, general and administrative expenses", ["3.1", "2.2"]),
        ("Property, plant and equipment", ["5,500", "5,100"]),  # a note's gross cost: not the balance sheet's
    ]),
]


# another company's filing in the same library: its rows are never Example Corp's; its tax line is
# printed as a deduction, "(300)", and means an expense of 300 (1,000 − 300 = 700 of net income)
OTHER = [
    ("GLOBEX INC. CONSOLIDATED STATEMENTS OF OPERATIONS (In millions)", ("2021", "2020"), [
        ("Revenues", ["$ 50,000", "$ 40,000"]),
        ("Income before income taxes", ["1,000", "900"]),
        ("Provision for income taxes", ["(300)", "(250)"]),
        ("Net income", ["$ 700", "$ 650"]),
    ]),
    ("GLOBEX INC. CONSOLIDATED BALANCE SHEETS (In millions)", ("2021", "2020"), [
        ("Cash and cash equivalents", ["2,000", "1,500"]),
        ("Inventories", ["4,000", "3,900"]),
        ("Total current assets", ["9,000", "8,000"]),
        ("Property, plant and equipment, net of accumulated depreciation - $9,000 and $8,500 (Note 9)",
         ["12,000", "11,000"]),  # Corning's label
        ("Total assets", ["30,000", "28,000"]),
        ("Total current liabilities", ["3,000", "2,500"]),
    ]),
]


def write_report(path: Path, pages: list = PAGES, company: str = "Example Corp") -> Path:  # type: ignore[type-arg]
    from reportlab.lib.pagesizes import letter
    from reportlab.pdfgen import canvas

    path.parent.mkdir(parents=True, exist_ok=True)
    c = canvas.Canvas(str(path), pagesize=letter)
    for title, years, rows in pages:
        c.setFont("Helvetica", 8)
        c.drawString(150, 740, title)
        c.drawString(430, 715, "Year Ended December 31,")
        xs = (440, 500, 560)[:len(years)]
        for x, year in zip(xs, years):
            c.drawRightString(x, 704, year)
        y = 690
        for label, figures in rows:
            c.drawString(30, y, label)
            for x, f in zip(xs, figures):
                c.drawRightString(x, y, f)
            y -= 12
        c.drawString(30, y - 20, f"See accompanying notes to {company}'s consolidated financial statements.")
        c.drawString(30, y - 32, f"{company} reports in millions of dollars. {company} is audited annually.")
        c.showPage()
    c.save()
    return path


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory, embedder) -> Iterator[object]:  # noqa: ANN001
    from docent.core.library import Library
    from helpers import run_index

    tmp = tmp_path_factory.mktemp("metrics")
    write_report(tmp / "docs" / "example_corp_2021_10k.pdf")
    write_report(tmp / "docs" / "globex_2021_10k.pdf", OTHER, "Globex")
    with Library(tmp / "lib", embedder=embedder) as lib:
        run_index(lib, [tmp / "docs"])
        yield lib


def compute(lib, question: str):  # noqa: ANN001, ANN201
    searcher = lib.searcher()
    params = lib._services.ask_params()
    hits = searcher.search(question, params.sources, None, params.search)
    return computed(question, hits, searcher.catalog)


@pytest.mark.parametrize("question, result, figures", [
    ("What is Example Corp's FY2021 working capital ratio? Define working capital ratio as total current "
     "assets divided by total current liabilities. Round your answer to two decimal places.", "1.50",
     ["6,000", "4,000"]),
    ("What is the FY2020 - FY2021 total revenue growth rate for Example Corp? Answer in units of percents "
     "and round to one decimal place.", "20.0%", ["$ 12,000", "$ 10,000"]),
    ("What is the FY2021 inventory turnover ratio for Example Corp? Inventory turnover ratio is defined as: "
     "(FY2021 COGS) / (average inventory between FY2020 and FY2021).", "3.79", ["7,200", "2,000", "1,800"]),
    ("What is the FY2019 - FY2021 3 year average operating income % margin for Example Corp?", "12.8%",
     ["1,800", "1,200", "920", "$ 12,000", "$ 10,000", "$ 8,000"]),
    # the company's own net income, not the total with noncontrolling interests' share
    ("What is the FY2021 retention ratio (using total cash dividends paid and net income attributable to "
     "shareholders) for Example Corp?", "0.60", ["(500)", "$ 1,250"]),
    ("What is Example Corp's FY2021 days payable outstanding (DPO)? DPO is defined as: 365 * (average "
     "accounts payable between FY2020 and FY2021) / (FY2021 COGS + change in inventory between FY2020 and "
     "FY2021).", "49.3 days", ["1,100", "900", "7,200", "2,000", "1,800"]),
    ("What was Example Corp's free cash flow in FY2021?", "1,500 million", ["2,100", "(600)"]),
    # net income tells the tax line's sign: pretax income less the tax
    ("What is Example Corp's FY2021 effective tax rate?", "23.5%", ["400", "1,700", "$ 1,250"]),
    ("What is the FY2020 operating cash flow ratio for Example Corp? Operating cash flow ratio is defined as: "
     "cash from operations / total current liabilities.", "0.54", ["1,700", "3,125"]),
    ("How much working capital did Example Corp have at the end of FY2021?", "2,000 million", ["6,000", "4,000"]),
    ("What is Example Corp's FY2021 return on equity?", "13.2%", ["$ 1,250", "10,000", "9,000"]),
    ("What is the FY2019 - FY2021 3 year average of capex as a % of revenue for Example Corp?", "5.2%",
     ["(600)", "(500)", "(450)", "$ 12,000", "$ 10,000", "$ 8,000"]),
])
def test_a_metric_is_computed_from_the_rows_of_the_years_asked(library, question: str, result: str,  # noqa: ANN001
                                                               figures: list[str]) -> None:
    found = compute(library, question)
    assert found is not None and found.kind == "computed"
    assert found.result == result
    assert found.computation is not None and found.computation.result == result
    assert sorted(c.text for c in found.cells) == sorted(f.replace(" ", "") for f in figures)
    assert found.answer.startswith(found.computation.metric + ": " + result)
    for c in found.cells:  # each figure cited to the passage (and page) holding its row
        assert f"{c.text} [{c.source}]" in found.answer
        assert c.text in found.hits[c.source - 1].text


def test_a_tax_printed_as_a_deduction_is_an_expense_and_each_company_has_its_own_rows(library) -> None:  # noqa: ANN001
    found = compute(library, "What is Globex's FY2021 effective tax rate?")
    assert found is not None and found.result == "30.0%"
    assert all(found.hits[c.source - 1].path.endswith("globex_2021_10k.pdf") for c in found.cells)
    found = compute(library, "What is Globex's FY2021 working capital ratio?")
    assert found is not None and found.result == "3.00"
    # Example Corp's figures come from Example Corp's filing only
    found = compute(library, "What is Example Corp's FY2021 working capital ratio?")
    assert found is not None and found.result == "1.50"
    assert all(found.hits[c.source - 1].path.endswith("example_corp_2021_10k.pdf") for c in found.cells)


def test_a_line_item_asked_by_another_name_is_read_off_its_row(library) -> None:  # noqa: ANN001
    """"COGS" is the statement's "Cost of sales": the line's figure, not the note's part of it."""
    found = compute(library, "What is the FY2021 COGS for Example Corp? Please state answer in USD millions.")
    assert found is not None and found.kind == "table"
    assert found.result == "7,200 million"
    (cell,) = found.cells
    assert (cell.label, cell.header, found.hits[cell.source - 1].page) == ("Cost of sales", "2021", 1)
    found = compute(library, "What is Example Corp's FY2020 capital expenditure amount (in USD millions)?")
    assert found is not None and found.result == "(500) million" and found.cells[0].label == (
        "Purchases of property and equipment")


@pytest.mark.parametrize("question", [
    # defined with an item the formula does not use: not what Docent would compute
    "What is Example Corp's FY2021 working capital ratio? Define it as total current assets less inventories, "
    "divided by total current liabilities.",
    "What is the FY2021 adjusted operating margin for Example Corp?",  # non-GAAP
    "What is Example Corp's Q2 FY2021 gross margin?",  # a quarter
    "What is Example Corp's FY2019 working capital ratio?",  # a year the balance sheet has no column of
    "What is the FY2020 - FY2021 average working capital ratio for Example Corp?",  # an average not asked as N years
    "What is Example Corp's interest coverage ratio in FY2021?",  # a metric Docent does not know
    "What is the FY2021 revenue per employee for Example Corp?",  # more than the line item
    "Why did Example Corp's debt fall in FY2021?",  # a reason, not a figure
    "What drove Example Corp's revenue growth between FY2020 and FY2021?",  # a cause, not the growth rate
])
def test_anything_else_is_left_to_the_model(library, question: str) -> None:  # noqa: ANN001
    assert compute(library, question) is None


def test_the_library_answers_a_metric_question_without_the_model(library) -> None:  # noqa: ANN001
    done = [e for e in library.ask("What is Example Corp's FY2021 working capital ratio?")
            if isinstance(e, AnswerDone)][-1]
    assert done.answered and done.extractive and done.extractive_kind == "computed"
    assert done.answer.startswith("Working capital ratio, FY2021: 1.50, computed as total current assets / "
                                  "total current liabilities.")
    assert [c.page for c in done.citations] == [2]
    assert done.computation is not None and [i["figure"] for i in done.computation.inputs] == ["6,000", "4,000"]
    assert all(c.supported for c in done.claims)  # the figures it used are the cited rows'
    assert "model_load_s" not in done.timings  # the model was not needed


@pytest.mark.parametrize("question, start", [
    ("Did Example Corp's revenue increase in FY2021 compared to FY2020?",
     "Yes: revenue rose from $10,000 million in FY2020 to $12,000 million in FY2021 (+20.0%)."),
    ("Did Example Corp's gross margin improve from FY2020 to FY2021?",
     "Yes: gross margin rose from 39.0% in FY2020 to 40.0% in FY2021 (+1.0 percentage points)"),
    ("Did Example Corp's inventories decrease between FY2020 and FY2021?",
     "No: inventory rose from 1,800 million in FY2020 to 2,000 million in FY2021 (+11.1%)."),
    ("Did Example Corp's operating margin increase or decrease in FY2021 compared with FY2020?",
     "It increased: operating income margin rose from 12.0% in FY2020 to 15.0% in FY2021"),
    ("How did Example Corp's revenue change between FY2020 and FY2021?",
     "It increased: revenue rose from $10,000 million in FY2020 to $12,000 million in FY2021 (+20.0%)."),
    # debt: long-term debt with its current portion
    ("Has Example Corp increased its debt on balance sheet between FY2020 and FY2021?",
     "No: total debt fell from 2,450 million in FY2020 to 2,300 million in FY2021 (-6.1%)"),
])
def test_a_yes_no_question_of_two_years_compares_them(library, question: str, start: str) -> None:  # noqa: ANN001
    found = compute(library, question)
    assert found is not None and found.kind == "computed"
    assert found.answer.startswith(start)
    assert found.computation is not None and found.computation.result == start.split(":")[0]
    assert {c.year for c in found.cells} == {2020, 2021}


@pytest.mark.parametrize("question, result", [
    # a compound annual growth rate over the years between
    ("What is the FY2019 - FY2021 total revenue 2 year CAGR for Example Corp? Round to one decimal place.", "22.5%"),
    # "COGS % margin": the line item over revenue
    ("What is Example Corp's FY2021 COGS % margin?", "60.0%"),
    # defined as a division, no percent asked: the ratio is given beside the percentage
    ("What is the FY2021 return on assets (ROA) for Example Corp? ROA is defined as: FY2021 net income / "
     "(average total assets between FY2020 and FY2021). Round your answer to two decimal places.",
     "6.58% (a ratio of 0.07)"),
])
def test_growth_margins_and_ratios_as_financebench_words_them(library, question: str, result: str) -> None:  # noqa: ANN001
    found = compute(library, question)
    assert found is not None and found.result == result


def test_the_claims_of_a_read_or_computed_answer_are_its_cited_rows(library) -> None:  # noqa: ANN001
    """The claim check reads the figures an answer gives, each against its row: all supported, so the
    window flags nothing; the result of a computation is derived, not a claim of the passages."""
    for question in ("What is Example Corp's FY2021 working capital ratio?",
                     "What is the FY2021 COGS for Example Corp? Please state answer in USD millions."):
        done = [e for e in library.ask(question) if isinstance(e, AnswerDone)][-1]
        assert done.extractive and done.claims and all(c.supported for c in done.claims), (question, done.claims)


def test_a_metric_is_computed_from_the_filing_even_where_the_passages_fail_the_gate(library) -> None:  # noqa: ANN001
    """The relevance gate judges the passages found; a metric is read off the company's own filing,
    so it is computed whatever their similarity (FinanceBench's "Did Pfizer grow its PPNE between
    FY20 and FY21?" was declined). Any other question is still declined, without the model."""
    from dataclasses import replace

    from docent.core.answer.params import AskParams
    from docent.core.answer.qa import ask

    strict = replace(AskParams(), min_similarity=0.99, coverage_similarity=0.99)

    def no_model():  # noqa: ANN202
        raise AssertionError("the model is not needed")

    searcher = library.searcher()
    done = [e for e in ask("Did Example Corp's revenue increase in FY2021 compared to FY2020?", searcher, no_model,
                           strict) if isinstance(e, AnswerDone)][-1]
    assert done.answered and done.extractive_kind == "computed"
    assert done.answer.startswith("Yes: revenue rose from $10,000 million in FY2020 to $12,000 million in FY2021")
    other = [e for e in ask("Who audits Example Corp?", searcher, no_model, strict) if isinstance(e, AnswerDone)][-1]
    assert not other.answered


def test_ppne_is_the_balance_sheets_property_plant_and_equipment(library) -> None:  # noqa: ANN001
    """ "PPNE" is PP&E; a row labelled "Property, plant and equipment" is the net amount on the
    balance sheet's page only (a note's row of that name, 5,500, is the gross cost)."""
    done = compute(library, "Did Example Corp grow its PPNE between FY20 and FY21?")
    assert done is not None
    assert done.answer.startswith("Yes: net PP&E rose from 2,800 million in FY2020 to 3,000 million in FY2021 (+7.1%).")
    # a balance sheet's "…, net of accumulated depreciation - $9,000 and $8,500 (Note 9)" is the net amount
    done = compute(library, "Did Globex grow its PP&E between FY2020 and FY2021?")
    assert done is not None
    assert done.answer.startswith("Yes: net PP&E rose from 11,000 million in FY2020 to 12,000 million in FY2021")

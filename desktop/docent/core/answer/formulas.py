"""The metrics Docent computes from a filing's table rows: each one's name, how a question names it,
the line items its formula takes, and the formula (`METRICS`); read by `metrics.py`, which plans
and computes. A formula reads each figure through `v(item, year)`, which raises `Missing` when no
row gives it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from docent.core.answer.periods import Period


class Missing(Exception):
    """No row gives the figure."""


Year = int | Period  # a fiscal year, or a quarter (`periods`)
Value = Callable[[str, Any], float]


@dataclass(frozen=True)
class Metric:
    title: str
    pattern: str  # how a question names it (a regex, lower case)
    items: tuple[str, ...]
    kind: str  # "ratio", "percent", "days" or "amount"
    formula: str
    fn: Callable[[Value, Any], float]
    prior: bool = False  # averages a balance over the year and the year before
    base: Year = 0  # a growth rate's first year
    compare: str = ""  # a yes/no question of two years: "up", "down", "change" or "either" ("increase or decrease")
    # what a real company's figure can be: a result outside it means a row was misread (a note's
    # "Inventories $78" of a business held for sale, where the balance sheet says 6,854), so none is shown
    bounds: tuple[float, float] | None = None

    @property
    def plausible(self) -> tuple[float, float]:
        if self.bounds is not None:
            return self.bounds
        return {"ratio": (-10.0, 100.0), "percent": (-100.0, 100.0), "days": (-1000.0, 1000.0)}.get(
            self.kind, (-float("inf"), float("inf")))


def _avg(v: Value, item: str, y: int) -> float:
    return (v(item, y) + v(item, y - 1)) / 2


def _tax(v: Value, y: int) -> float:
    """The year's income tax expense (a benefit negative). Statements print the provision either as
    an amount ("Provision for income taxes 4,915") or as a deduction ("$(491)"), and a benefit also
    in parentheses; the sign is the one by which pretax income less the tax is net income."""
    tax, pretax = abs(v("tax", y)), v("pretax", y)
    try:
        net = v("net_income", y)
    except Missing:
        return tax
    return min((tax, -tax), key=lambda t: abs(pretax - t - net))


def _debt(v: Value, y: int) -> float:
    """Long-term debt with its current portion; a balance sheet that lists no current portion has none."""
    try:
        current = v("current_debt", y)
    except Missing:
        current = 0.0
    return v("ltd", y) + current


def _dpo(v: Value, y: int) -> float:
    return 365 * _avg(v, "ap", y) / (v("cogs", y) + v("inventory", y) - v("inventory", y - 1))


def _dio(v: Value, y: int) -> float:
    return 365 * _avg(v, "inventory", y) / v("cogs", y)


def _dso(v: Value, y: int) -> float:
    return 365 * _avg(v, "ar", y) / v("revenue", y)


METRICS: tuple[Metric, ...] = (
    Metric("Cash conversion cycle", r"cash conversion cycle|\bccc\b", ("inventory", "cogs", "ar", "revenue", "ap"),
            "days", "DIO + DSO − DPO (DIO = 365 × average inventory / COGS; DSO = 365 × average accounts receivable "
            "/ revenue; DPO = 365 × average accounts payable / (COGS + change in inventory))",
            lambda v, y: _dio(v, y) + _dso(v, y) - _dpo(v, y), prior=True),
    Metric("Days payable outstanding", r"days payables? outstanding|\bdpo\b", ("ap", "cogs", "inventory"), "days",
            "365 × average accounts payable / (COGS + change in inventory)", _dpo, prior=True),
    Metric("Days inventory outstanding", r"days inventory outstanding|\bdio\b|days sales (?:of|in) inventory",
            ("inventory", "cogs"), "days", "365 × average inventory / COGS", _dio, prior=True),
    Metric("Days sales outstanding", r"days sales outstanding|\bdso\b", ("ar", "revenue"), "days",
            "365 × average accounts receivable / revenue", _dso, prior=True),
    Metric("Inventory turnover ratio", r"inventory turnover", ("cogs", "inventory"), "ratio",
            "COGS / average inventory", lambda v, y: v("cogs", y) / _avg(v, "inventory", y), prior=True),
    Metric("Fixed asset turnover ratio", r"fixed asset turnover", ("revenue", "ppe"), "ratio",
            "revenue / average net PP&E", lambda v, y: v("revenue", y) / _avg(v, "ppe", y), prior=True),
    Metric("Total asset turnover ratio", r"(?<!fixed )\basset turnover", ("revenue", "total_assets"), "ratio",
            "revenue / average total assets", lambda v, y: v("revenue", y) / _avg(v, "total_assets", y), prior=True),
    Metric("Return on assets", r"return on (?:total )?assets|\broa\b", ("net_income", "total_assets"), "percent",
            "net income / average total assets", lambda v, y: 100 * v("net_income", y) / _avg(v, "total_assets", y),
            prior=True),
    Metric("Quick ratio", r"quick ratio", ("current_assets", "inventory", "current_liabilities"), "ratio",
            "(total current assets − inventory) / total current liabilities",
            lambda v, y: (v("current_assets", y) - v("inventory", y)) / v("current_liabilities", y)),
    Metric("Working capital ratio", r"working capital ratio|current ratio", ("current_assets", "current_liabilities"),
            "ratio", "total current assets / total current liabilities",
            lambda v, y: v("current_assets", y) / v("current_liabilities", y)),
    Metric("Retention ratio", r"retention ratio", ("dividends", "net_income"), "ratio",
            "1 − dividends paid / net income", lambda v, y: 1 - abs(v("dividends", y)) / v("net_income", y)),
    Metric("Dividend payout ratio", r"(?:dividend )?payout ratio", ("dividends", "net_income"), "ratio",
            "dividends paid / net income", lambda v, y: abs(v("dividends", y)) / v("net_income", y)),
    Metric("EBITDA margin", r"ebitda (?:%\s*)?margin", ("operating_income", "da", "revenue"), "percent",
            "(operating income + depreciation and amortization) / revenue",
            lambda v, y: 100 * (v("operating_income", y) + v("da", y)) / v("revenue", y)),
    Metric("Operating income margin", r"operating (?:income |profit )?(?:%\s*)?margin",
            ("operating_income", "revenue"), "percent", "operating income / revenue",
            lambda v, y: 100 * v("operating_income", y) / v("revenue", y)),
    Metric("Gross margin", r"gross (?:profit )?(?:%\s*)?margin", ("revenue", "cogs"), "percent",
            "(revenue − COGS) / revenue", lambda v, y: 100 * (v("revenue", y) - v("cogs", y)) / v("revenue", y)),
    Metric("Net profit margin", r"net (?:profit |income )?(?:%\s*)?margin", ("net_income", "revenue"), "percent",
            "net income / revenue", lambda v, y: 100 * v("net_income", y) / v("revenue", y)),
    Metric("Operating cash flow ratio", r"operating cash flow ratio|cash flow from operations ratio",
            ("ocf", "current_liabilities"), "ratio", "cash from operating activities / total current liabilities",
            lambda v, y: v("ocf", y) / v("current_liabilities", y)),
    Metric("Effective tax rate", r"effective (?:income )?tax rate", ("tax", "pretax", "net_income"), "percent",
            "income tax expense / income before income taxes", lambda v, y: 100 * _tax(v, y) / v("pretax", y)),
    Metric("Return on equity", r"return on (?:shareholders'? |stockholders'? )?equity|\broe\b",
            ("net_income", "equity"), "percent", "net income / average total shareholders' equity",
            lambda v, y: 100 * v("net_income", y) / _avg(v, "equity", y), prior=True),
    Metric("Working capital", r"working capital(?! ratio)", ("current_assets", "current_liabilities"), "amount",
            "total current assets − total current liabilities",
            lambda v, y: v("current_assets", y) - v("current_liabilities", y)),
    Metric("Free cash flow", r"free cash flow", ("ocf", "capex"), "amount",
            "cash from operating activities − capital expenditures", lambda v, y: v("ocf", y) - abs(v("capex", y))),
    Metric("EBITDA", r"\bebitda\b", ("operating_income", "da"), "amount",
            "operating income + depreciation and amortization", lambda v, y: v("operating_income", y) + v("da", y)),
    Metric("Debt-to-equity ratio", r"debt[- ]to[- ](?:shareholders'? |stockholders'? )?equity",
            ("ltd", "current_debt", "equity"), "ratio",
            "(long-term debt + current portion of long-term debt) / total shareholders' equity",
            lambda v, y: _debt(v, y) / v("equity", y)),
    Metric("Total debt", r"\b(?:total\s+)?debt\b", ("ltd", "current_debt"), "amount",
            "long-term debt + current portion of long-term debt", _debt),
)

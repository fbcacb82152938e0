"""Verified claims: each answer sentence is checked against the passages it cites."""

from __future__ import annotations

from docent.core.claims import check_claims, unsupported
from docent.core.types import Hit


def _hit(n: int, text: str) -> Hit:
    return Hit(f"c{n}", n, f"/docs/d{n}.pdf", 1, "p. 1", text, 1.0, 0, 0, len(text), None, None, 0.5, "")


HITS = [
    _hit(1, "The warehouse alarm code is changed every ninety days by the facilities manager."),
    _hit(2, "Invoices are paid within thirty days of receipt by the finance team."),
]


def test_a_sentence_backed_by_its_source_is_supported() -> None:
    claims = check_claims("The alarm code is changed every ninety days [1].", HITS)
    assert len(claims) == 1
    assert claims[0].citations == [1] and claims[0].supported is True and claims[0].support >= 0.8


def test_a_sentence_citing_the_wrong_source_is_flagged() -> None:
    claims = check_claims("The alarm code is changed every ninety days [2].", HITS)
    assert claims[0].supported is False
    assert unsupported(claims) == claims


def test_an_invented_sentence_is_flagged_and_a_short_one_is_not_checked() -> None:
    answer = "Invoices are paid within thirty days [2]. The auditors visit Lisbon each spring [2]. Yes."
    claims = check_claims(answer, HITS)
    assert [c.supported for c in claims] == [True, False, None]
    assert claims[1].sentence.startswith("The auditors")


def test_an_uncited_sentence_is_checked_against_every_source() -> None:
    claims = check_claims("Invoices are paid within thirty days of receipt.", HITS)
    assert claims[0].citations == [] and claims[0].supported is True

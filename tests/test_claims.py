"""Verified claims: each answer sentence is checked against the passages it cites."""

from __future__ import annotations

from docent.core.answer.claims import check_claims, unsupported
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


NUMBERED = [
    _hit(1, "The comb jellies: about 150 species are described, and possibly another 25 have not been fully "
            "described and named."),
    _hit(2, "By 2015, some 91% of the deforested land in the Amazon had been used for livestock pasture; "
            "1,200 km of new roads were built."),
]


def test_a_sentence_naming_what_the_question_names_needs_a_source_that_names_it() -> None:
    """ARAGOG: "SuperGLUE is a tool that allows researchers to build and test machine learning
    models on source code [2]" cited a CodeNet passage that never writes "SuperGLUE"; its other
    words were all there. A question's name the cited passage does not hold is not supported,
    and "BERT" is not held by "RoBERTa"."""
    hits = [_hit(1, "CodeNet is a tool that allows researchers to build and test machine learning models on source code."),
            _hit(2, "RoBERTa changes the masked language model pretraining of the original model.")]
    names = ["SuperGLUE", "BERT"]
    said = "SuperGLUE is a tool that allows researchers to build and test machine learning models on source code [1]."
    assert check_claims(said, hits)[0].supported is True  # without the question's names: words alone
    assert check_claims(said, hits, names)[0].supported is False
    assert check_claims("BERT changes the masked language model pretraining [2].", hits, names)[0].supported is False
    kept = "CodeNet is a tool that allows researchers to build and test models on source code [1]."
    assert check_claims(kept, hits, names)[0].supported is True  # names no name of the question
    accents = [_hit(1, "Temujin married Borte of the Onggirat tribe when he was around sixteen.")]
    assert check_claims("Temüjin married Börte of the Onggirat tribe [1].", accents, ["Temüjin"])[0].supported is True
    megatron = [_hit(1, "Megatron splits each layer's matrices across the GPUs of a node.")]
    assert check_claims("Megatron-LM splits each layer's matrices across GPUs [1].", megatron, ["Megatron-LM"])[0].supported


def test_a_sentence_going_on_about_a_withheld_one_is_withheld_with_it() -> None:
    """"It provides …" after a withheld sentence is about what that sentence named; alone, or after
    a supported one, it stands."""
    hits = [_hit(1, "CodeNet offers pre-processing tools for code classification and code similarity.")]
    answer = ("SuperGLUE is a benchmark for source code [1]. It offers pre-processing tools for code "
              "classification and code similarity [1].")
    shown, claims, held = withhold(answer, hits, ["SuperGLUE"])
    assert [c.supported for c in claims] == [False, False] and len(held) == 2 and shown == NOT_STATED
    answer = "CodeNet offers pre-processing tools [1]. It offers code classification and code similarity [1]."
    shown, claims, held = withhold(answer, hits, ["SuperGLUE"])
    assert held == [] and shown == answer


def test_a_number_that_no_source_states_is_flagged_however_short_the_sentence() -> None:
    claims = check_claims("10.", NUMBERED)  # the small model's answer when the passage says 25
    assert claims[0].supported is False
    assert check_claims("25.", NUMBERED)[0].supported is True  # a bare number that a source states
    # enough words in common, but the number is not the source's
    claims = check_claims("Some 100% of the deforested Amazon land was used for livestock pasture [2].", NUMBERED)
    assert claims[0].support >= 0.5 and claims[0].supported is False
    assert check_claims("Some 91% of the deforested land was used for livestock [2].", NUMBERED)[0].supported is True
    assert check_claims("About 1200 km of new roads were built [2].", NUMBERED)[0].supported is True  # "1,200"


def test_a_number_moves_the_citation_to_the_source_that_states_it() -> None:
    from docent.core.answer.citations import attribute

    # cited [1] by habit; only [2] states 91
    assert attribute("91% of the land was used for pasture [1].", NUMBERED) == "91% of the land was used for pasture [2]."
    # a bare number with no citation gets the source that states it, and none when no source does
    assert attribute("25", NUMBERED) == "25 [1]"
    assert attribute("10.", NUMBERED) == "10."


# ---- withheld: what no passage supports is not shown as the answer --------------------------------
from docent.core.answer.claims import NOT_STATED, withhold  # noqa: E402
from docent.core.answer.focus import evidence  # noqa: E402

FILINGS = [
    _hit(1, "Microsoft reported revenue of $198.3 billion in fiscal 2022, up 18 percent."),
    _hit(2, "Ulta Beauty reported diluted earnings per share of $24.01 for fiscal 2022."),
]


def test_an_invented_number_is_withheld_and_the_answer_says_the_documents_do_not_state_it() -> None:
    shown, claims, withheld = withhold("Apple's FY2022 revenue was $1.4 trillion [1].", FILINGS)
    assert shown == NOT_STATED
    assert [w.sentence for w in withheld] == ["Apple's FY2022 revenue was $1.4 trillion [1]."]
    assert withheld[0].missing == ["1.4"]  # the number no passage states
    assert withheld[0].closest is not None and withheld[0].closest.n == 1  # the revenue passage
    assert claims[0].supported is False
    assert withheld[0].to_json()["closest"]["path"] == "/docs/d1.pdf"  # type: ignore[index]


def test_only_the_unsupported_sentence_is_withheld() -> None:
    answer = "Ulta's diluted EPS was $24.01 in fiscal 2022 [2]. Its revenue grew 40 percent [2]."
    shown, claims, withheld = withhold(answer, FILINGS)
    assert shown == "Ulta's diluted EPS was $24.01 in fiscal 2022 [2]."
    assert [w.sentence for w in withheld] == ["Its revenue grew 40 percent [2]."] and withheld[0].missing == ["40"]
    assert [c.supported for c in claims] == [True, False]


def test_a_supported_answer_is_left_whole() -> None:
    answer = "Microsoft's revenue was $198.3 billion in fiscal 2022 [1]."
    assert withhold(answer, FILINGS) == (answer, check_claims(answer, FILINGS), [])


def test_evidence_is_the_passages_sentence_that_bears_most_on_the_question(embedder) -> None:  # noqa: ANN001
    hits = [_hit(1, "The office opens at nine. The alarm code is changed every ninety days."),
            _hit(2, "Ulta Beauty reported diluted earnings per share of $24.01 for fiscal 2022. Stores grew.")]
    assert evidence("What was Ulta's diluted EPS for fiscal 2022?", hits, embedder) == (
        2, "Ulta Beauty reported diluted earnings per share of $24.01 for fiscal 2022.")
    assert evidence("anything", [_hit(1, "   ")], embedder) is None


def test_a_title_line_in_capitals_is_not_evidence(embedder) -> None:  # noqa: ANN001
    """The line a small model copies instead of answering (gate.copies_heading) is not quoted in its place."""
    title = "MGM RESORTS INTERNATIONAL REPORTS FOURTH QUARTER AND FULL YEAR 2022 RESULTS BY REGION."
    region = "Las Vegas Strip Resorts contributed most of the company's Adjusted Property EBITDAR in 2022."
    q = "Which region had the highest EBITDAR contribution for MGM in 2022?"
    assert evidence(q, [_hit(1, title), _hit(2, region)], embedder) == (2, region)
    assert evidence(q, [_hit(1, title)], embedder) is None


def test_a_lead_in_ending_in_a_colon_is_no_answer_nor_evidence(embedder) -> None:  # noqa: ANN001
    """"Pfizer Inc. acquired the following companies in 2023: [4]" promises a list it never gives; a
    balance sheet's "… Assets Current assets:" states nothing. Neither is quoted as the answer."""
    from docent.core.answer.gate import lead_in

    assert lead_in("Pfizer Inc. acquired the following companies in 2023: [4]")
    assert lead_in("CONSOLIDATED BALANCE SHEETS (In thousands) December 31, 2020 2019 Assets Current assets:")
    assert not lead_in("Pfizer acquired Trillium, Array and Therachon [1].")
    assert not lead_in("The ratio is 3:1 [2].")
    sheet = "CONSOLIDATED BALANCE SHEETS (In thousands) December 31, 2020 2019 Assets Current assets:"
    fact = "Square's current assets were $1,001 million at the end of 2016, against $577 million of liabilities."
    q = "What is Square's 2016 current assets total?"
    assert evidence(q, [_hit(1, sheet), _hit(2, fact)], embedder) == (2, fact)
    assert evidence(q, [_hit(1, sheet)], embedder) is None


def test_a_reference_list_entry_is_not_evidence(embedder) -> None:  # noqa: ANN001
    """The quoted fallback once answered an ARAGOG question about SuperGLUE's tasks with a
    bibliography line; a reference entry, or a passage of a reference list, is not quoted."""
    from docent.core.answer.focus import cites_a_work

    entry = ("Alex Wang, Yada Pruksachatkun, and Nikita Nangia. 2019. SuperGLUE: A stickier benchmark for "
             "general-purpose language understanding systems. arXiv preprint 1905.00537.")
    body = "The tasks in SuperGLUE address coreference, entailment and question answering that GLUE no longer tests."
    assert cites_a_work(entry) and cites_a_work("In Proceedings of the 2019 Conference of NAACL, pp. 4171-4186.")
    assert not cites_a_work(body) and not cites_a_work("Revenue grew 12% in 2019.")
    q = "What challenges do the tasks in SuperGLUE address?"
    assert evidence(q, [_hit(1, entry), _hit(2, body)], embedder) == (2, body)
    refs = "References\n[1] A. Wang et al. SuperGLUE tasks and challenges (2019).\n[2] B. Lee. Tasks (2020)."
    assert evidence(q, [_hit(1, refs)], embedder) is None


def test_evidence_for_a_question_with_names_is_a_sentence_that_writes_them(embedder) -> None:  # noqa: ANN001
    """With the question's names, the quoted sentence is one that writes them (or stands in a passage
    whose file or heading does): a sentence about Paris is no answer about Baghdad however many of
    the question's other words it holds. With no sentence naming them, the best of all stands."""
    from docent.core.answer.gate import names

    q = "How many people, at most, have died of plague in Baghdad?"
    paris = "In 1466, perhaps 40,000 people died of the plague in Paris."
    baghdad = "Baghdad has suffered severely from visitations of the plague, and sometimes two-thirds of its population has been wiped out."
    hits = [_hit(1, paris), _hit(2, f"Plague returned to Constantinople often. {baghdad}")]
    assert evidence(q, hits, embedder) == (1, paris)  # without names: the most words in common
    assert evidence(q, hits, embedder, names(q)) == (2, baghdad)
    assert evidence(q, [_hit(1, paris)], embedder, names(q)) == (1, paris)


def test_a_sentence_citing_several_passages_may_take_its_figures_from_each() -> None:
    hits = [_hit(1, "Revenue for the quarter was $9,583 million."), _hit(2, "Net earnings for the quarter were $274 million.")]
    (both,) = check_claims("Net earnings were $274 million [2] on revenue of $9,583 million [1].", hits)
    assert both.supported is True
    (one,) = check_claims("Net earnings were $274 million on revenue of $9,583 million [1].", hits)
    assert one.supported is False  # [1] alone does not state 274

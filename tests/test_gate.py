"""The gate after the model: what counts as the model writing nothing (then the passages' best
sentence is the answer, never a bare marker and never "not found")."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from docent.core.answer.gate import gives_kind, says_nothing


@pytest.mark.parametrize("answer", ["", "  \n", "[2]", " [1][3]. ", "[1, 2]", "[2]\n[4]",
                                    "Sources:", "Answer: [1]", "**Sources**\n[1] [2]", "References.",
                                    "(Genghis_Khan.pdf, p. 4)", "(report.docx, Terms > Payment) [1]"])
def test_markers_alone_say_nothing(answer: str) -> None:
    assert says_nothing(answer)


@pytest.mark.parametrize("answer", ["Three [1].", "25 [1]", "Denver Broncos [2]", "[2] 1.4%", "Oui.",
                                    "Source code [1].", "See the answer key [2].",
                                    "(e.g., 5.25 million)", "Börte (Genghis_Khan.pdf, p. 4)"])
def test_a_word_or_number_is_an_answer(answer: str) -> None:
    assert not says_nothing(answer)


@pytest.mark.parametrize("answer, expected", [
    ("MGM RESORTS INTERNATIONAL REPORTS FOURTH QUARTER AND FULL YEAR 2022 FINANCIAL AND OPERATING RESULTS [1]", True),
    ("UNITED STATES SECURITIES AND EXCHANGE COMMISSION [2]", True),
    ("NASA [1].", False), ("The IRS and the SEC [1].", False), ("Las Vegas Strip Resorts [1].", False),
    ("Revenue was $41.2 million in FY2022 [1].", False),
])
def test_a_copied_title_line_answers_nothing(answer: str, expected: bool) -> None:
    from docent.core.answer.gate import copies_heading

    assert copies_heading(answer) is expected


def test_a_marker_alone_after_a_sentence_cites_nothing() -> None:
    """Qwen2.5 often ends "… 308 points [1]. [2]": the lone [2] adds a citation no words stand on."""
    from docent.core.answer.citations import attribute
    from docent.core.types import Hit

    hits = [Hit("a", 1, "/d/a.pdf", 1, "p1", "The Panthers defense surrendered 308 points in the season.", 1.0),
            Hit("b", 1, "/d/b.pdf", 2, "p2", "Denver beat Pittsburgh in the AFC Championship Game 20 to 18.", 0.9)]
    for answer in ("The Panthers defense surrendered 308 points [1]. [2]",
                   "The Panthers defense surrendered 308 points [1].\n[2]"):
        assert attribute(answer, hits) == "The Panthers defense surrendered 308 points [1]."
    assert attribute("[2]", hits) == "[2]"  # alone, it is the model writing nothing (says_nothing)


NORTHWIND = ("Northwind Traders annual report for fiscal 2022.\n\nNorthwind Traders reported revenue of 41.2 million "
             "dollars in fiscal 2022, up from 38.9 million dollars in fiscal 2021. Operating income was 5.1 million "
             "dollars.\n")


@pytest.mark.parametrize("question, expected", [
    ("What was Apple's FY2022 revenue?", ["Apple"]),
    ("How much did Block (formerly known as Square) generate in cash flow in FY2020?", ["Block", "Square"]),
    ("When did Beyoncé start becoming popular?", ["Beyoncé"]),
    ("Using the cash flow statement, answer the question. Answer in USD millions.", []),  # a sentence's first word
    ("Did Pfizer grow its PPNE between FY20 and FY21?", ["Pfizer"]),  # acronyms are no names here
    ("What was MGM's interest coverage ratio in FY2022?", ["MGM"]),  # ... unless they own something
    ("Which Best Buy product category performed the best?", ["Best", "Buy"]),  # emphasis words inside a name
    ("Which region had the Highest EBITDAR Contribution for MGM during FY2022?", ["Contribution"]),
    ("What is the main finding of this study?", []),
    # coined names, wherever they stand; acronyms and fiscal periods are not
    ("LLaMA's training data against GPT-3 and Chinchilla?", ["LLaMA", "Chinchilla"]),
    ("How does DistilBERT compare on IMDb, using AdamW?", ["DistilBERT", "IMDb", "AdamW"]),
    ("As of FY2023Q1, what EBITDA did the USD report show?", []),
    # capitals for emphasis, and a question in title case, where capitals say nothing of names
    ("Which region had the Highest EBITDAR Contribution for MGM during FY2022?", ["Contribution"]),
    ("What Is The Main Finding Of The Seriola Study?", []),
    ("What Is The Main Finding Of DistilBERT Paper?", ["DistilBERT"]),
])
def test_the_names_a_question_writes(question: str, expected: list[str]) -> None:
    from docent.core.answer.gate import names

    assert names(question) == expected


def test_a_question_naming_what_no_document_mentions_is_declined_before_the_model(tmp_path, embedder) -> None:  # noqa: ANN001
    """Asked of a library of one company's report, another company's revenue is not in it: the
    passages about revenue are the other company's, so the gate declines and names what is missing."""
    from docent.core.library import Library
    from docent.core.answer.gate import absent_names
    from docent.core.types import AnswerDone
    from helpers import run_index

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "northwind_annual_report.txt").write_text(
        NORTHWIND, encoding="utf-8")
    with Library(tmp_path / "lib", embedder=embedder) as lib:
        run_index(lib, [docs])
        assert absent_names("What was Apple's revenue in fiscal 2022?", lib.catalog) == ["Apple"]
        assert absent_names("What was Northwind's revenue in fiscal 2022?", lib.catalog) == []
        assert absent_names("What was the revenue of northwind traders?", lib.catalog) == []  # no names at all

        def loader():  # noqa: ANN202
            raise AssertionError("the model must not be loaded for a declined question")

        from docent.core.answer.qa import ask

        done = [e for e in ask("What was Apple's revenue in fiscal 2022?", lib.searcher(), loader)
                if isinstance(e, AnswerDone)][-1]
        assert not done.answered and "“Apple”" in done.answer and not done.citations


def test_a_near_form_of_a_name_is_no_absent_name(tmp_path, embedder) -> None:  # noqa: ANN001
    """A question may write a demonym of the place its document names ("Indian" for "India") or a
    long name less its last letter ("Maastrich"), or a name with a typo ("Zeria" for "Zeira"): the gate takes those as there, before the model
    (`absent_names`) and in the passages found (`unmatched`); a name with no near form in the
    library stays absent, and so does a short one a letter off."""
    from docent.core.answer.gate import absent_names, near_forms, unmatched
    from docent.core.library import Library
    from helpers import run_index

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "trade.txt").write_text(
        "Trade notes.\n\nThe Maastricht Treaty was signed in 1992. India exported tea and cotton to Europe, "
        "and Japan exported cars. Galor and Zeira wrote on inequality; wool came from Bendigo. Being a port, "
        "the town had a shell market.\n", encoding="utf-8")
    with Library(tmp_path / "lib", embedder=embedder) as lib:
        run_index(lib, [docs])
        assert near_forms("Indian", lib.catalog) == ["india"]
        assert near_forms("Japanese", lib.catalog) == ["japan"]
        assert near_forms("Maastrich", lib.catalog) == ["maastricht"]
        assert near_forms("Peruvian", lib.catalog) == [] and near_forms("Tex", lib.catalog) == []
        # a typo: two letters swapped, or one left out ("Zeria", "Bedigo"); not a letter too many, which
        # makes names of common words ("Boeing" → "being", "Shelly" → "shell")
        assert near_forms("Zeria", lib.catalog) == ["zeira"] and near_forms("Bedigo", lib.catalog) == ["bendigo"]
        assert near_forms("Boeing", lib.catalog) == [] and near_forms("Shelly", lib.catalog) == []
        assert absent_names("What did Boeing and Shelly export?", lib.catalog) == ["Boeing", "Shelly"]
        for question in ("What did Indian merchants export to Europe?", "When was the Maastrich Treaty signed?",
                         "What did Japanese makers export?", "What did Galor and Zeria write on?"):
            assert absent_names(question, lib.catalog) == [], question
            hits = lib.searcher().search(question, 3)
            assert unmatched(question, hits, lib.catalog) == [], question
        assert absent_names("What did Peruvian merchants export to Europe?", lib.catalog) == ["Peruvian"]
        assert absent_names("What did Indiana merchants export?", lib.catalog) == ["Indiana"]  # not a demonym
        hits = lib.searcher().search("What did Peruvian merchants export?", 3)
        assert unmatched("What did Peruvian merchants export?", hits, lib.catalog) == ["Peruvian"]


@pytest.mark.parametrize("answer, expected", [
    ("Revenue was 41.2 million dollars [1]. The documents do not contain the answer.",
     "Revenue was 41.2 million dollars [1]."),
    ("The documents do not contain the answer.", "The documents do not contain the answer."),
    # nothing cited before it: a refusal, as written
    ("Maybe around forty. The documents do not contain the answer.",
     "Maybe around forty. The documents do not contain the answer."),
    # a refusal between two claims: left to the refusal check
    ("It was 41.2 [1]. The sources do not say more. It grew 6% [1].",
     "It was 41.2 [1]. The sources do not say more. It grew 6% [1]."),
])
def test_an_answer_then_a_refusal_is_the_answer(answer: str, expected: str) -> None:
    from docent.core.answer.gate import drop_trailing_refusal

    assert drop_trailing_refusal(answer) == expected


@pytest.mark.parametrize("question, expected", [
    ("What was Apple's FY2022 revenue?", ["2022"]),
    ("Did Pfizer grow its PPNE between FY20 and FY21?", ["2020", "2021"]),
    ("Which region had the biggest drop in Q22023 year over year?", ["2023"]),
    ("As of Q2'2023, is Pfizer spinning off a segment?", ["2023"]),
    ("What is the FY2019 - FY2021 average margin, fiscal 2020 included?", ["2019", "2020", "2021"]),
    ("Did revenue pass $2,019 million, or 2019.5, or grow 2020%?", []),  # figures, not years
    ("How many households have children under 18?", []),
])
def test_the_years_a_question_asks_about(question: str, expected: list[str]) -> None:
    from docent.core.answer.gate import years

    assert years(question) == expected


def test_names_and_years_the_passages_do_not_hold_are_declined_before_the_model(tmp_path, embedder) -> None:  # noqa: ANN001
    """A library of Northwind's reports for fiscal 2021 and 2022 and a newsletter that names
    Fabrikam: Northwind's fiscal 2019 revenue is in none of the passages found (they are of other
    years), and Fabrikam's revenue asked of the reports alone is in none of their documents; each is
    declined, naming what is missing, without loading the model. Asked of what is there, the gate
    lets the question through."""
    from docent.core.answer.gate import unmatched
    from docent.core.answer.qa import ask
    from docent.core.library import Library
    from docent.core.types import AnswerDone
    from helpers import run_index

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "northwind_annual_report_2022.txt").write_text(
        NORTHWIND, encoding="utf-8")
    (docs / "retail_newsletter.txt").write_text(
        "Retail newsletter.\n\nFabrikam opened its third store in Leeds this spring, with a cafe and a "
        "garden centre.\n", encoding="utf-8")
    with Library(tmp_path / "lib", embedder=embedder) as lib:
        run_index(lib, [docs])
        searcher = lib.searcher()
        report = next(d.id for d in lib.catalog.documents() if d.path.endswith("2022.txt"))

        def loader():  # noqa: ANN202
            raise AssertionError("the model must not be loaded for a declined question")

        def answer(question: str, doc_ids: list[int] | None = None) -> AnswerDone:
            return [e for e in ask(question, searcher, loader, doc_ids=doc_ids) if isinstance(e, AnswerDone)][-1]

        done = answer("What was Northwind's revenue in fiscal 2019?")
        assert not done.answered and "“2019”" in done.answer and not done.citations
        done = answer("What was Fabrikam's revenue in fiscal 2022?", doc_ids=[report])
        assert not done.answered and "“Fabrikam”" in done.answer
        hits = searcher.search("What was Northwind's revenue in fiscal 2022?", 5)
        assert unmatched("What was Northwind's revenue in fiscal 2022?", hits, lib.catalog) == []
        assert unmatched("Where did Fabrikam open its third store?", searcher.search("Fabrikam store", 5),
                         lib.catalog) == []
        # a whole-document task takes the same rule, unless it names the file it is about
        from docent.core.answer.params import AskParams
        from docent.core.answer.wholedoc import ask_whole

        done = [e for e in ask_whole("Summarize Northwind's results for fiscal 2019", "summarize", lib.catalog,
                                     searcher, loader, AskParams()) if isinstance(e, AnswerDone)][-1]
        assert not done.answered and "“2019”" in done.answer and not done.citations


@pytest.mark.parametrize("question, sentence, expected", [
    ("How many days of paid annual leave do employees get?",
     "Every full-time employee receives 27 days of paid annual leave, plus public holidays.", True),
    # another company's figure, another year's, or another subject: not the answer
    ("What was Apple's revenue in fiscal 2022?", "Northwind's revenue was 41.2 million dollars in fiscal 2022.", False),
    ("What was Northwind's revenue in fiscal 2019?", "Northwind's revenue was 41.2 million dollars in fiscal 2022.", False),
    ("What was Northwind's revenue in fiscal 2022?", "Northwind's revenue was 41.2 million dollars in fiscal 2022.", True),
    ("How many days of paid annual leave do employees get?", "Parental leave is 20 weeks at full pay.", False),
    # its names and year, but not what it asks about
    ("How many employees did Northwind Traders have in fiscal 2022?", "Northwind Traders annual report for fiscal 2022.",
     False),
    # names and a lone other word: the names stand for the subject
    ("When was the British Nationality Act passed?", "Such qualifications were introduced under the British "
     "Nationality Act 1981.", True),
])
def test_a_sentence_of_the_passages_bears_the_question_out(question: str, sentence: str, expected: bool) -> None:
    from docent.core.answer.gate import bears_out

    assert bears_out(question, sentence) is expected


def test_a_quote_in_place_needs_fewer_of_the_questions_words_than_a_quote_against_a_refusal() -> None:
    """The model answered: a sentence holding 0.6 of the question's words may stand in for its answer
    (`IN_PLACE_COVERAGE`), where 0.75 is asked against a refusal (`EVIDENCE_COVERAGE`)."""
    from docent.core.answer.gate import EVIDENCE_COVERAGE, IN_PLACE_COVERAGE, bears_out

    question = "What tool do stratigraphers use to see their data in three dimensions?"  # SQuAD
    sentence = ("Geophysical data and well logs can be combined to produce a better view of the subsurface, and "
                "stratigraphers often use computer programs to do this in three dimensions.")
    assert not bears_out(question, sentence, coverage=EVIDENCE_COVERAGE)
    assert bears_out(question, sentence, coverage=IN_PLACE_COVERAGE)
    assert not bears_out(question, "Stratigraphers study rock layers.", coverage=IN_PLACE_COVERAGE)


@pytest.mark.parametrize("text, expected", [
    ("Students thronged to Wittenberg to hear Luther speak. [1]", True),
    ('He called it "a gorge."', True),
    ("Did it (really)?", True),
    # an earnings release's headline (FinanceBench: it stood in for Gemma's answer) and a table row
    ("PepsiCo Reports First-Quarter 2023 Results; Raises Full-Year Guidance Reported (GAAP) First-Quarter 2023 "
     "Results [1]", False),
    ("Net earnings | 2023: 5,144 | 2022: 4,814", False),
])
def test_only_a_line_that_ends_as_a_sentence_does_is_a_statement(text: str, expected: bool) -> None:
    from docent.core.answer.gate import ends_sentence

    assert ends_sentence(text) is expected


@contextmanager
def _asker(tmp_path, embedder, words: str):  # noqa: ANN001, ANN202
    """`ask` on a library of the Northwind report with the real model, except that the model
    answers `words` whatever it is asked: gives answer(question) → the final AnswerDone."""
    from docent.core.answer.qa import ask
    from docent.core.library import Library
    from docent.core.types import AnswerDone
    from docent.settings import Settings
    from helpers import run_index

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "northwind_annual_report_2022.txt").write_text(NORTHWIND, encoding="utf-8")
    settings = Settings(n_ctx=2048, n_threads=1, chat_model="smollm2-135m-instruct")
    with Library(tmp_path / "lib", settings, embedder=embedder) as lib:
        run_index(lib, [docs])
        real = lib.chat_model()

        class Writes:
            def __getattr__(self, name: str):  # noqa: ANN204
                return getattr(real, name)

            def stream(self, *args: object, **kwargs: object):  # noqa: ANN202
                yield words

        yield lambda question: [e for e in ask(question, lib.searcher(), Writes) if isinstance(e, AnswerDone)][-1]


def test_a_refusal_that_the_passages_contradict_gives_their_sentence(tmp_path, embedder) -> None:  # noqa: ANN001
    """When the model says the passages do not hold the answer and a sentence of theirs bears the
    question out, that sentence is the answer, marked extractive; when none does, the refusal
    stands. The real model and library; only the model's words are fixed (a refusal)."""
    with _asker(tmp_path, embedder, "The documents do not contain the answer.") as answer:
        done = answer("What revenue did Northwind Traders report for fiscal 2022?")
        assert done.answered and done.extractive and "41.2 million" in done.answer and done.citations
        done = answer("How many employees did Northwind Traders have in fiscal 2022?")
        assert not done.answered and not done.extractive and not done.citations


def test_an_answer_withheld_whole_gives_the_passages_sentence_that_bears_on_the_question(tmp_path, embedder) -> None:  # noqa: ANN001
    """When every sentence the model wrote is withheld, the passages' best sentence is the answer if
    it bears on the question (`bears_on`, looser than for a refusal: the model did not say the
    passages lack it) and is of the kind asked (`gives_kind`); otherwise "The documents do not
    state this". The real model and library; only the model's words are fixed (an invented figure)."""
    with _asker(tmp_path, embedder, "It was 9.9 million dollars [1].") as answer:
        done = answer("What operating income did the traders report?")  # half its words: bears on, not out
        assert done.answered and done.extractive_kind == "sentence" and "5.1 million" in done.answer
        assert [w.missing for w in done.withheld] == [["9.9"]]


def test_a_sentence_bears_on_a_question_when_it_holds_its_words_names_and_years() -> None:
    """What the quoted fallback may quote when the model wrote nothing (qa.ask): a sentence about
    the question, not merely from a passage retrieved for it."""
    from docent.core.answer.gate import bears_on

    assert bears_on("What compounds can be masked with the molecules of the host cell?",
                    "Masking antigens with host molecules is another common strategy for avoiding detection.")
    # a filing's boilerplate that names the company, and a sentence of the wrong year
    assert not bears_on("What are three main companies acquired by Pfizer mentioned in this 10K report?",
                        "Unless the context requires otherwise, references to “Pfizer” in this Form 10-Q refer "
                        "to Pfizer Inc. and its subsidiaries.")
    assert not bears_on("How many stores did Northwind open in 2021?", "Northwind opened 40 stores in 2020.")
    assert bears_on("How many stores did Northwind open in 2021?", "Northwind opened 40 stores in 2021.")
    assert not bears_on("How many stores did Northwind open in 2021?", "Contoso opened 40 stores in 2021.")
    # its names, but nothing of what it asks
    assert not bears_on("Who had five sacks in nine games as a Carolina Panthers starter?",
                        "The Carolina Panthers had their best regular season in franchise history.")
    assert bears_on("Who had five sacks in nine games as a Carolina Panthers starter?",
                    "Kony Ealy had five sacks for the Carolina Panthers.")


def test_a_name_may_stand_where_the_sentence_does_rather_than_in_it() -> None:
    """A paper seldom repeats its own name in each sentence: the question's name in the passage's
    file name or heading (`where`) counts for `bears_on` and `bears_out`; a name written nowhere
    does not, nor one that is only part of a longer word ("LLaMA" in "codellama")."""
    from docent.core.answer.gate import bears_on, bears_out

    question = "What is the significance of Megatron-LM's model parallel approach for training?"
    sentence = "Our model parallel approach makes training of very large transformer models practical and efficient."
    assert not bears_on(question, sentence)
    assert bears_on(question, sentence, "Introduction megatron")
    assert bears_out(question, sentence + " This is significant.", "megatron_lm")
    assert not bears_on(question, sentence, "Introduction gpt3")
    assert not bears_on("How does LLaMA tokenise text with byte-level BPE?",
                        "We tokenise text with a byte-level BPE vocabulary.", "codellama")
    assert bears_on("How does RoBERTa tokenise text with byte-level BPE?",
                    "We tokenise text with a byte-level BPE vocabulary.", "roberta")
    # a name opening a longer word is written: a plural, or a misspelt "Lor" for "Lord"
    assert bears_on("What was the name of the Norman castle?", "The Normans built a castle called Afranji.")
    assert bears_on("Who was second in command to Lor Loudoun?", "Abercrombie was named second in command to Lord Loudoun.")
    assert not bears_on("Who was second in command to Lor Loudoun?", "Abercrombie was named second in command to Loudoun.")
    # a plural name is written by its singular (SQuAD: the passage says "Six-time Grammy winner")
    assert bears_on("How many Grammys has Lady Gaga won?", "Six-time Grammy winner Lady Gaga sang the national anthem.")
    assert not bears_on("How many Grammys has Lady Gaga won?", "Six-time winner Lady Gaga sang the national anthem.")


def test_a_sentence_that_bears_out_the_question_passes_the_gate_below_its_similarity() -> None:
    """Below `min_similarity`, one sentence holding most of the question's words (`bears_out`) is
    enough at `coverage_similarity`; the same passages with that sentence gone are not, and a
    sentence that does not hold the question's name is not either."""
    from docent.core.answer.gate import is_relevant
    from docent.core.answer.params import AskParams
    from docent.core.types import Hit

    params = AskParams()
    question = "Boycotting, refusing to pay taxes, sit ins, and draft dodging all make what harder?"
    answer = ("Civil disobedience has many forms. Some forms of civil disobedience, such as illegal boycotts, "
              "refusals to pay taxes, draft dodging and sit-ins, make it more difficult for a system to function.")
    other = "Civil disobedience has many forms. Thoreau wrote about conscience and the collective."

    def hits(text: str, similarity: float) -> list[Hit]:
        return [Hit("a", 1, "/d/a.pdf", 4, "p. 4", text, 1.0, similarity=similarity)]

    assert is_relevant(question, hits(answer, 0.37), params)
    assert not is_relevant(question, hits(other, 0.37), params)
    assert not is_relevant(question, hits(answer, params.coverage_similarity - 0.05), params)
    named = "What did the Maastricht Treaty make harder: boycotting, refusing to pay taxes or draft dodging?"
    assert not is_relevant(named, hits(answer, 0.37), params)


@pytest.mark.parametrize(("question", "sentence", "gives"), [
    ("How many employees did Northwind have in fiscal 2022?", "Northwind Traders annual report for fiscal 2022.", False),
    ("How many employees did Northwind have in fiscal 2022?", "Northwind employed 1,240 people at year end.", True),
    ("How many people, at most, have died of plague in Baghdad?",
     "Baghdad has suffered severely, and sometimes two-thirds of its population has been wiped out.", True),
    ("What percentage of revenue came from services?", "Services grew strongly in every region.", False),
    ("How many original treaties protected fundamental rights?",
     "None of the original treaties establishing the European Union mention protection for fundamental rights.", True),
    ("What was the tribe of the woman Temüjin married?", "Temüjin married Börte of the Onggirat tribe.", True),
])
def test_a_quantity_question_needs_a_sentence_with_an_amount(question: str, sentence: str, gives: bool) -> None:
    """The passages' sentence quoted as the answer must be of the kind asked: a quantity for
    "How many …", any sentence otherwise."""
    assert gives_kind(question, sentence) is gives

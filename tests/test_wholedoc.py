"""Whole-document tasks (summaries, comparisons, lists over every chunk of the documents): detection
of such questions, batching within the context budget, and map-reduce answers from the real small
chat model on a generated PDF, with progress, citations on the pages read, and cancel.

One library for the module so the chat model is loaded once; few model runs (each a few seconds)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import docgen
import pytest
from docent.core.cancel import CancelToken
from docent.core.library import Library
from docent.core.answer.qa import AskParams
from docent.core.types import (
    AnswerDone,
    Hit,
    Sources,
    Token,
    WholeDocCoverage,
    WholeDocProgress,
)
from docent.core.answer.wholedoc import (
    WholeParams,
    ask_whole,
    detect,
    pack,
    pick_documents,
    select,
)
from docent.settings import Settings
from docent.settings import save as save_settings
from helpers import run_index

# SmolLM2 on one thread with short outputs: see test_ask.py for why these settings are pinned.
SETTINGS = Settings(max_answer_tokens=64, n_ctx=2048, sources=1, n_threads=1, chat_model="smollm2-135m-instruct")

REPORT_PAGES = [
    ("The Harlow bridge survey found corrosion on four of the twelve steel girders. "
     "The inspectors recommend repainting the girders before the winter frost."),
    ("The annual budget for bridge maintenance is two million crowns. "
     "Most of the money pays for the repainting crews and the scaffolding."),
    ("The repair work must be finished by the thirtieth of September. "
     "Traffic will use a single lane while the scaffolding stands."),
]


# ---- detection -----------------------------------------------------------------------------------
@pytest.mark.parametrize("question, kind", [
    ("Summarize this report", "summarize"),
    ("Summarise the employee handbook", "summarize"),
    ("Give me a summary of the contract", "summarize"),
    ("What are the main points of the report?", "summarize"),
    ("An overview of the release notes, please", "summarize"),
    ("What is this document about?", "summarize"),
    ("Compare the termination clauses of these contracts", "compare"),
    ("What is the difference between the two leases?", "compare"),
    ("How do the 2023 and 2024 policies differ?", "compare"),
    ("Plan A versus plan B: which costs less?", "compare"),
    ("Compare the 2022 and 2023 annual reports", "compare"),
    ("How does the new lease differ from the old one? Compare both documents.", "compare"),
    # facts compared, which a passage states: ordinary questions
    ("How does DistilBERT's performance on the GLUE benchmark compare to BERT and ELMo?", None),
    ("How does the dynamic masking strategy in RoBERTa differ from BERT's static masking?", None),
    ("What is the difference between static and dynamic masking?", None),
    ("How does PAL's performance on the GSM8K benchmark compare to other advanced models?", None),
    ("List every deadline", "list"),
    ("List all the payment obligations", "list"),
    ("What are all the fees mentioned?", "list"),
    ("Give me every date in the schedule", "list"),
    ("Who built the lighthouse?", None),
    ("What is the termination notice period?", None),
    ("How many days of annual leave do employees get?", None),
    ("When must the repair work be finished?", None),
    ("Is the summary judgment motion due in May?", "summarize"),  # a known false positive, kept visible
    ("Which list price applies to laptops?", None),
    ("", None),
])
def test_detect(question: str, kind: str | None) -> None:
    assert detect(question) == kind


def test_a_comparison_of_documents_named_by_file_is_a_comparison() -> None:
    from docent.core.answer.wholedoc_plan import compares_named

    names = {1: "Cleaning_Service_Agreement.docx", 2: "Employee_Handbook.pdf", 3: "distilbert.pdf", 4: "bert.pdf"}
    assert compares_named("Compare the cleaning service agreement with the employee handbook", names)
    assert compares_named("What are the differences between the employee handbook and the cleaning service agreement?",
                          names)
    # two files named, a figure asked for: an ordinary question (ARAGOG has five such)
    assert not compares_named("How does DistilBERT's performance on GLUE compare to BERT and ELMo?", names)
    assert not compares_named("What does the employee handbook say about the cleaning service agreement?", names)


# ---- batching (pure) -----------------------------------------------------------------------------
def test_pack_respects_the_budget_and_keeps_order() -> None:
    costs = [30, 50, 20, 70, 10, 10, 90, 40]
    batches = pack(costs, 100)
    assert [i for b in batches for i in b] == list(range(len(costs)))  # every item once, in order
    assert all(sum(costs[i] for i in b) <= 100 for b in batches)
    assert batches == [[0, 1, 2], [3, 4, 5], [6], [7]]
    # an item larger than the budget gets a batch of its own
    assert pack([10, 250, 10], 100) == [[0], [1], [2]]
    # groups (documents) are never mixed in a batch
    assert pack([10, 10, 10, 10], 100, groups=["a", "a", "b", "b"]) == [[0, 1], [2, 3]]
    assert pack([], 100) == []


def _hit(i: int, doc: int, text: str) -> Hit:
    return Hit(f"c{i}", doc, f"/d{doc}.pdf", i + 1, f"p. {i + 1}", text, 0.0, i)


def test_select_caps_what_is_read() -> None:
    hits = [_hit(i, 1, "the deadline for filing is May" if i in (3, 17) else f"filler text number {i}")
            for i in range(40)]
    costs = [10] * 40
    assert select(hits, costs, 1000, "List every deadline", "list") == list(range(40))  # all fit
    # too many for the capacity: a list reads the chunks sharing words with the question
    assert select(hits, costs, 50, "List every deadline", "list") == [3, 17]
    # a summary reads chunks spread evenly over the document
    spread = select(hits, costs, 100, "Summarize the report", "summarize")
    assert len(spread) == 10 and spread == sorted(spread) and spread[0] == 0 and spread[-1] >= 30
    # never more chunks than citations can number
    assert len(select(hits, costs, 10_000, "Summarize", "summarize", max_items=8)) <= 8


def test_pick_documents_prefers_the_named_file() -> None:
    hits = [_hit(0, 2, "x"), _hit(1, 3, "y"), _hit(2, 2, "z"), _hit(3, 4, "w")]
    names = {1: "Employee_Handbook.pdf", 2: "Release_Notes.md", 3: "lease.docx", 4: "other.pdf"}
    assert pick_documents("Summarize the employee handbook", hits, names, "summarize", 3) == [1]
    assert pick_documents("Summarize it", hits, names, "summarize", 3) == [2]  # the top hit's document
    assert pick_documents("List every deadline", hits, names, "list", 3) == [2, 3, 4]
    assert pick_documents("List every deadline", hits, names, "list", 2) == [2, 3]


# ---- the real model ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory, embedder, models_dir):
    root = tmp_path_factory.mktemp("whole")
    pdf = docgen.write_pdf(root / "docs" / "bridge_report.pdf", REPORT_PAGES)
    with Library(root / "lib", SETTINGS, embedder=embedder) as library:
        _, done = run_index(library, [root / "docs"])
        assert done.indexed == 1
        yield library, pdf


def _chunks(library: Library, pdf: Path) -> dict[str, tuple]:  # type: ignore[type-arg]
    doc = library.catalog.document(str(pdf))
    assert doc is not None
    return {row[0]: row for row in library.catalog.document_chunks(doc.id)}


@pytest.mark.slow
def test_summary_reads_every_page_and_cites_them(lib) -> None:
    library, pdf = lib
    chunks = _chunks(library, pdf)
    assert len(chunks) >= 1 and sorted(r[3] for r in chunks.values()) == list(range(len(chunks)))
    events = list(library.ask("Summarize this report", scope=[str(pdf)]))  # detected: no mode given
    assert isinstance(events[0], Sources)
    sources = events[0].hits
    assert {h.chunk_id for h in sources} == set(chunks)  # every chunk read, in order
    progress = [e for e in events if isinstance(e, WholeDocProgress)]
    assert progress and progress[0].done == 0 and progress[-1].done == progress[-1].total
    assert [p.done for p in progress] == sorted(p.done for p in progress)
    assert {p.stage for p in progress} == {"map", "reduce"}
    coverage = [e for e in events if isinstance(e, WholeDocCoverage)]
    assert len(coverage) == 1 and coverage[0].mode == "summarize"
    assert (coverage[0].chunks_read, coverage[0].chunks_total) == (len(chunks), len(chunks))
    assert coverage[0].documents == [str(pdf)]
    done = events[-1]
    assert isinstance(done, AnswerDone) and sum(isinstance(e, AnswerDone) for e in events) == 1
    assert done.answered and not done.cancelled and done.answer.strip()
    assert done.timings["chunks_read"] == len(chunks) and done.timings["chunks_skipped"] == 0
    assert done.citations
    for c in done.citations:  # each citation is a real chunk of the PDF, marked in the answer
        assert f"[{c.n}]" in done.answer
        assert c.path == str(pdf) and c.text == sources[c.n - 1].text
        row = chunks[sources[c.n - 1].chunk_id]
        assert (c.page, c.location, c.text) == (row[5], row[6], row[4])
    assert len({c.page for c in done.citations}) >= 2, done.answer  # a summary cites the parts it covers
    assert done.claims and all(cl.sentence in done.answer for cl in done.claims)
    assert done.provenance is not None


@pytest.mark.slow
def test_batches_within_the_context_cite_different_pages(lib) -> None:
    library, pdf = lib
    doc = library.catalog.document(str(pdf))
    params = AskParams(max_answer_tokens=64)
    # a batch holds about one page's chunk: one map call per page, then the reduce
    whole = WholeParams(map_tokens=48, answer_tokens=64, batch_tokens=60)
    events = list(ask_whole("List every mention of repainting or scaffolding", "list", library.catalog, library.searcher(),
                            library.chat_model, params, [doc.id], whole=whole))
    progress = [e for e in events if isinstance(e, WholeDocProgress)]
    maps = [p for p in progress if p.stage == "map" and p.done > 0]
    assert len(maps) >= 3 and progress[-1].total == len(maps) + 1
    done = events[-1]
    assert isinstance(done, AnswerDone) and done.answered
    pages = {c.page for c in done.citations}
    assert len(pages) >= 2, done.answer  # the notes of different batches survive the reduce
    assert all(c.path == str(pdf) for c in done.citations)


@pytest.mark.slow
def test_map_calls_are_capped_and_the_skipped_chunks_reported(lib) -> None:
    library, pdf = lib
    doc = library.catalog.document(str(pdf))
    total = len(library.catalog.document_chunks(doc.id))
    assert total >= 3
    # one map call allowed, room for about one chunk: a list reads the chunk sharing words with the question
    whole = WholeParams(max_map_calls=1, map_tokens=48, answer_tokens=64, batch_tokens=60)
    events = list(ask_whole("List every mention of the budget in crowns", "list", library.catalog,
                            library.searcher(), library.chat_model, AskParams(max_answer_tokens=64), [doc.id],
                            whole=whole))
    progress = [e for e in events if isinstance(e, WholeDocProgress)]
    assert [p.done for p in progress] == [0, 1, 2] and progress[-1].total == 2
    (coverage,) = [e for e in events if isinstance(e, WholeDocCoverage)]
    assert coverage.chunks_total == total and 1 <= coverage.chunks_read < total
    done = events[-1]
    assert isinstance(done, AnswerDone)
    assert done.timings["chunks_skipped"] == total - coverage.chunks_read and done.timings["map_calls"] == 1
    assert [h.page for h in events[0].hits] == [2]  # the page about the budget
    assert all(c.page == 2 for c in done.citations)


@pytest.mark.slow
def test_cancel_stops_between_and_during_calls(lib) -> None:
    library, pdf = lib
    doc = library.catalog.document(str(pdf))
    whole = WholeParams(map_tokens=48, answer_tokens=64, batch_tokens=60)
    cancel = CancelToken()
    events = []
    for ev in ask_whole("Summarize this report", "summarize", library.catalog, library.searcher(),
                        library.chat_model, AskParams(max_answer_tokens=64), [doc.id], cancel, whole):
        events.append(ev)
        if isinstance(ev, WholeDocProgress) and ev.done == 1:
            cancel.cancel()
    done = events[-1]
    assert isinstance(done, AnswerDone) and done.cancelled
    progress = [e for e in events if isinstance(e, WholeDocProgress)]
    assert progress[-1].done == 1 < progress[-1].total  # no further map call, no reduce
    assert not any(isinstance(e, Token) for e in events)
    assert done.timings["chunks_read"] < done.timings["chunks_total"]

    # cancelled during the reduce: the stream stops at the next token
    cancel = CancelToken()
    tokens = []
    for ev in library.ask("Summarize this report", scope=[str(pdf)], cancel=cancel):
        if isinstance(ev, Token):
            tokens.append(ev.text)
            cancel.cancel()
        elif isinstance(ev, AnswerDone):
            done = ev
    assert done.cancelled and 1 <= len(tokens) <= 2


@pytest.mark.slow
def test_ordinary_questions_keep_the_top_k_answer(lib) -> None:
    library, pdf = lib
    events = list(library.ask("When must the repair work be finished?", scope=[str(pdf)]))
    assert not any(isinstance(e, (WholeDocProgress, WholeDocCoverage)) for e in events)
    assert isinstance(events[-1], AnswerDone)
    # mode="answer" keeps even a summary question on the top passages
    events = list(library.ask("Summarize this report", scope=[str(pdf)], mode="answer"))
    assert not any(isinstance(e, WholeDocProgress) for e in events)


@pytest.mark.slow
def test_cli_whole_json(tmp_path: Path) -> None:
    data = tmp_path / "data"
    pdf = docgen.write_pdf(tmp_path / "docs" / "bridge_report.pdf", REPORT_PAGES)
    save_settings(data / "settings.json", SETTINGS)
    env = dict(os.environ)
    env.pop("DOCENT_DATA_DIR", None)

    def run(*args: str) -> dict:  # type: ignore[type-arg]
        proc = subprocess.run([sys.executable, "-m", "docent", "--data-dir", str(data), *args],
                              capture_output=True, text=True, env=env, timeout=300, check=False)
        assert proc.returncode == 0, proc.stderr[-2000:]
        return json.loads(proc.stdout.strip().splitlines()[-1])

    run("index", str(tmp_path / "docs"), "--json")
    out = run("ask", "What does the bridge report say?", "--whole", "--json")  # no scope: the file named
    assert {"answer", "answered", "citations", "sources", "timings", "provenance", "claims"} <= set(out)
    assert out["mode"] == "list"  # forced, and not a summary or comparison question
    assert out["coverage"]["documents"] == [str(pdf)]
    assert out["coverage"]["chunks_read"] == out["coverage"]["chunks_total"] >= 1
    assert out["answered"] and out["citations"]
    assert all(c["path"] == str(pdf) for c in out["citations"])


def test_a_summary_given_as_notes_keeps_the_few_that_summarise_the_rest() -> None:
    """When the final call's text does not stand on the notes, a summary was every note the map
    calls kept (190 for a 34-page paper: captions, worked examples, table rows): now the few that
    carry the document's recurring subject, in their order, without captions, examples or fragments."""
    from docent.core.answer.wholedoc_notes import SUMMARY_NOTES, condense

    steps = ["surveys the seabed", "removes the silt", "widens the turning basin", "moves the buoys",
             "rebuilds the quay wall", "opens the channel to larger ships"]
    subject = [f"- The harbour dredging plan {what} along the deepened channel [{k}]." for k, what in enumerate(steps, 1)]
    noise = ["- Figure 3: Map of the harbour channel with the dredging zones marked in red [7].",
             "- Q: How many ships entered the harbour channel last year in total [8].",
             "- to deepen the channel the dredging plan needs permits from the port [9].",
             "- Zone | 2020: 14 | 2021: 16 | 2022: 19 | 2023: 21 | 2024: 24 | 2025: 25 [10].",
             "- Will the harbour dredging plan deepen the channel for larger ships? [11]."]
    dishes = ["soup", "pasta", "fish", "salad", "curry", "risotto", "stew"]
    other = [f"- Lunch in the canteen on the second floor is {dish} from noon [{k + 11}]." for k, dish in enumerate(dishes, 1)]
    notes = [(1, n) for n in subject[:3] + noise + other + subject[3:]]
    kept = condense(notes)
    assert len(kept) == SUMMARY_NOTES
    assert all(n in notes for n in kept) and kept == sorted(kept, key=notes.index)  # the document's order
    texts = [n for _, n in kept]
    assert not any(t in texts for t in noise)
    assert sum(t in texts for t in subject) >= 4  # the recurring subject, not the one-off lunch notes
    assert condense(notes[:5]) == notes[:5]  # few notes: all of them


def test_a_summary_of_what_no_document_mentions_is_declined_before_the_model(lib) -> None:  # noqa: ANN001
    library, _ = lib

    def loader():  # noqa: ANN202
        raise AssertionError("the model must not be loaded for a declined question")

    events = list(ask_whole("Summarize Pfizer's annual report", "summarize", library.catalog, library.searcher(),
                            loader, AskParams()))
    done = events[-1]
    assert isinstance(done, AnswerDone) and not done.answered and "“Pfizer”" in done.answer


def test_a_number_no_chunk_states_is_withheld_from_the_whole_document_answer(lib) -> None:  # noqa: ANN001
    """The reduce call's answer is checked as a question's answer is: a sentence stating a number
    no chunk read states is withheld and listed, the rest is shown (ARAGOG: "… GPT-3 (7.9%) [2]",
    a figure the paper never gives). The real model and library; only the model's words are
    fixed: each map call's note is a sentence of the report, the reduce writes one invented figure."""
    library, pdf = lib
    doc = library.catalog.document(str(pdf))
    real = library.chat_model()
    calls: list[int] = []

    class Writes:
        def __getattr__(self, name: str):  # noqa: ANN204
            return getattr(real, name)

        def stream(self, *args: object, **kwargs: object):  # noqa: ANN202
            calls.append(1)
            if len(calls) == 1:
                yield "The inspectors recommend repainting the girders before the winter frost [1]."
            else:
                yield ("The inspectors recommend repainting the girders before the winter frost [1].\n"
                       "The survey found corrosion on 7.9 percent of the steel girders [1].")

    whole = WholeParams(map_tokens=48, answer_tokens=64, batch_tokens=4000)
    events = list(ask_whole("Summarize this report", "summarize", library.catalog, library.searcher(),
                            Writes, AskParams(max_answer_tokens=64), [doc.id], whole=whole))
    done = events[-1]
    assert isinstance(done, AnswerDone) and done.answered and len(calls) == 2
    assert "winter frost" in done.answer and "7.9" not in done.answer
    assert [w.missing for w in done.withheld] == [["7.9"]]

"""Answers from the real packaged chat model (llama.cpp, greedy decoding), with citations; declining
off-topic questions; stopping generation; and no network access while indexing and answering.

One library for the module so the chat model is loaded once; few `ask` calls (each takes seconds)."""

from __future__ import annotations

import re

import pytest

import docgen
from docent.core.cancel import CancelToken
from docent.core.library import Library
from docent.core.answer.qa import NOT_FOUND
from docent.core.types import AnswerDone, Sources, Token
from docent.settings import Settings
from helpers import run_index

pytestmark = pytest.mark.slow

MAX_TOKENS = 64
# sources=1: the model sees only the best passage, so what it cites (or the passage its answer is
# attributed to) is that passage; with temperature 0 (the default) the answer is deterministic.
# n_threads=1: llama.cpp's worker threads spin-wait, and on a 2-core machine shared with anything else
# two of them run 2-4x slower than one; the answers are the same either way.
# SmolLM2 (the chat-template path) is pinned because these tests check what the answer says; the
# default Gemma base model (the plain-prompt path) is exercised by the CLI test and the benchmarks.
SETTINGS = Settings(max_answer_tokens=MAX_TOKENS, n_ctx=2048, sources=1, n_threads=1,
                    chat_model="smollm2-135m-instruct")
assert SETTINGS.temperature == 0.0


@pytest.fixture(scope="module")
def qa(tmp_path_factory: pytest.TempPathFactory, embedder, models_dir):  # noqa: ANN001, ANN201
    root = tmp_path_factory.mktemp("qa")
    pdf = docgen.write_pdf(root / "docs" / "atlas.pdf", docgen.ATLAS_PAGES)
    with Library(root / "lib", SETTINGS, embedder=embedder) as lib:
        _, done = run_index(lib, [root / "docs"])
        assert done.indexed == 1
        yield lib, pdf, root


def _without_citations(text: str) -> str:
    return " ".join(re.sub(r"\s*\[\d+(?:\s*[,;]\s*\d+)*\]", "", text).split())


def _ask(lib: Library, question: str, **kwargs) -> tuple[list, list[str], AnswerDone]:  # noqa: ANN003
    events = list(lib.ask(question, **kwargs))
    assert isinstance(events[0], Sources)
    done = events[-1]
    assert isinstance(done, AnswerDone)
    assert sum(isinstance(e, AnswerDone) for e in events) == 1
    return events, [e.text for e in events if isinstance(e, Token)], done


def test_answer_cites_the_page_that_holds_it(qa) -> None:  # noqa: ANN001
    lib, pdf, _ = qa
    events, tokens, done = _ask(lib, "Who built the lighthouse on Karvik Island?")
    sources = events[0].hits
    assert [(h.path, h.page) for h in sources] == [(str(pdf), 3)]
    assert done.answered is True and not done.cancelled
    assert tokens, "the model streamed its answer"
    # the final answer is the streamed text, at most with citation marks added
    assert _without_citations(done.answer) == _without_citations("".join(tokens))
    assert "Solberg" in done.answer
    assert done.citations
    assert any((c.path, c.page, c.location) == (str(pdf), 3, "p. 3") for c in done.citations)
    for c in done.citations:
        assert c.n == 1 and "Karvik" in c.text
        assert f"[{c.n}]" in done.answer


def test_off_topic_question_is_declined_without_inventing(qa) -> None:  # noqa: ANN001
    lib, _, _ = qa
    events, tokens, done = _ask(lib, "What is the boiling point of mercury on Jupiter?")
    assert done.answered is False
    assert done.citations == []
    assert tokens == [], "the model must not be asked to make something up"
    # the question names what no document mentions: declined before the model, saying what is missing
    assert done.answer.startswith(NOT_FOUND) and "“Jupiter”" in done.answer


def test_cancelling_generation_stops_the_stream(qa) -> None:  # noqa: ANN001
    lib, _, _ = qa
    cancel = CancelToken()
    tokens: list[str] = []
    done: AnswerDone | None = None
    for ev in lib.ask("How far away is the lamp of the Karvik lighthouse visible?", cancel=cancel):
        if isinstance(ev, Token):
            tokens.append(ev.text)
            cancel.cancel()
        elif isinstance(ev, AnswerDone):
            done = ev
    assert done is not None and done.cancelled is True
    # the stream stops at the next token, far short of the answer budget
    assert 1 <= len(tokens) <= 2 < MAX_TOKENS
    assert done.answer == "".join(tokens).strip()

    # the model is free again: the same question, not cancelled, runs to its end
    _, full_tokens, full = _ask(lib, "How far away is the lamp of the Karvik lighthouse visible?")
    assert not full.cancelled
    assert len(full_tokens) > len(tokens)
    assert _without_citations(full.answer).startswith(_without_citations(done.answer))


def test_index_and_ask_touch_no_network(qa, network_attempts: list[str]) -> None:  # noqa: ANN001
    lib, _, root = qa
    docs = root / "more-docs"
    docs.mkdir()
    ferry = docs / "ferry.txt"
    ferry.write_text("The Vellmar ferry is painted bright orange and carries ninety cars between "
                     "Skarsund and Holm.\n", encoding="utf-8")
    _, done = run_index(lib, [docs])
    assert done.indexed == 1
    _, tokens, answer = _ask(lib, "What colour is the Vellmar ferry painted?", scope=[str(docs)])
    assert tokens and answer.answered
    assert "orange" in answer.answer.lower()
    assert [c.path for c in answer.citations] == [str(ferry)]
    assert network_attempts == []


class _Writes:
    """The real chat model (its tokenizer, template and context), with the words it writes fixed:
    these tests are about what Docent does with a given answer, so the answer must not vary."""

    def __init__(self, model, answer: str) -> None:  # noqa: ANN001
        self._model, self._answer = model, answer

    def __getattr__(self, name: str):  # noqa: ANN204
        return getattr(self._model, name)

    def stream(self, prompt_tokens, max_tokens, stop=None, cancel=None):  # noqa: ANN001, ANN201
        yield self._answer


def _ask_with(lib: Library, question: str, answer: str) -> AnswerDone:
    from docent.core.answer.qa import ask

    model = _Writes(lib.chat_model(), answer)
    events = list(ask(question, lib.searcher(), lambda: model, lib._services.ask_params()))
    done = events[-1]
    assert isinstance(done, AnswerDone)
    return done


@pytest.mark.parametrize("written, shown", [
    # what another sentence of the passage says: the sentence that bears the question out stands instead
    ("For twenty-two nautical miles [1].", "quote"),
    ("Margit Solberg [1].", "model"),  # that sentence says so
    ("The engineer Margit Solberg built it in 1887 [1].", "model"),
    ("Margit Solberg built it in 1902 [1].", "withheld"),  # a year no passage states: withheld, as before
])
def test_a_one_sentence_answer_the_best_sentence_does_not_state_gives_way_to_it(qa, written: str, shown: str) -> None:  # noqa: ANN001
    lib, _, _ = qa
    done = _ask_with(lib, "Who built the lighthouse on Karvik Island?", written)
    words = written.split(" [")[0]
    assert done.answered
    if shown == "model":
        assert done.answer.startswith(words) and not done.extractive and done.set_aside == "", done.answer
        return
    assert done.extractive and done.extractive_kind == "sentence", done.answer
    assert done.answer.startswith("The lighthouse on Karvik Island was built in 1887 by the engineer Margit Solberg.")
    assert done.citations and done.citations[0].page == 3
    assert any(c.sentence.startswith(words) for c in done.claims)  # the model's claim, kept
    if shown == "quote":
        assert done.set_aside.startswith(words) and not done.withheld
    else:
        assert done.set_aside == "" and [w.missing for w in done.withheld] == [["1902"]]


def test_a_longer_answer_gives_way_too_and_a_question_no_sentence_bears_out_keeps_the_models_words(qa) -> None:  # noqa: ANN001
    lib, _, _ = qa
    two = "It has a lamp [1]. Its lamp is visible for twenty-two nautical miles [1]."
    longer = _ask_with(lib, "Who built the lighthouse on Karvik Island?", two)
    assert longer.set_aside.startswith("It has a lamp") and longer.extractive_kind == "sentence"
    assert longer.answer.startswith("The lighthouse on Karvik Island was built in 1887 by the engineer Margit Solberg.")
    # two sentences of which the best one states one: the model's words stand
    stated = "Margit Solberg built it [1]. Its lamp is visible for twenty-two nautical miles [1]."
    kept = _ask_with(lib, "Who built the lighthouse on Karvik Island?", stated)
    assert kept.set_aside == "" and kept.answer.startswith("Margit Solberg built it"), kept.answer
    # "engineer" and "colour" are not in the sentence: it does not bear the question out
    loose = _ask_with(lib, "What colour did the engineer paint the lighthouse on Karvik Island?", "Red [1].")
    assert not loose.extractive and loose.set_aside == ""

"""What an answer was made from ("Why this answer?"): the model file, the embedder, the retrieval
settings and relevance figures, the passages given to the model with their ranks and scores, and
the timings. `qa.ask` and `wholedoc.ask_whole` keep a Trail while they run; the library adds the
model's sha256."""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING, Sequence

from docent.core.answer.gate import is_relevant, relevance
from docent.core.answer.params import AskParams
from docent.core.types import AnswerDone, Hit, Provenance

if TYPE_CHECKING:
    from docent.core.models.llm import ChatModel


class Trail:
    """Notes what goes into an answer while `ask` runs, and turns it into a Provenance."""

    def __init__(self, question: str, params: AskParams, doc_ids: Sequence[int] | None, embedder: object,
                 hits: Sequence[Hit], started: float) -> None:
        self.question, self.params, self.doc_ids, self.embedder = question, params, doc_ids, embedder
        self.hits = list(hits)
        self.started = started
        self.model: ChatModel | None = None

    def done(self, ev: AnswerDone, shown: Sequence[Hit]) -> AnswerDone:
        from dataclasses import asdict

        rank = {h.chunk_id: r for r, h in enumerate(self.hits, start=1)}
        cited = {c.n for c in ev.citations}
        passages: list[dict[str, object]] = [{
            "n": n, "rank": rank.get(h.chunk_id), "path": h.path, "page": h.page, "location": h.location,
            "score": round(h.score, 6), "similarity": None if h.similarity is None else round(h.similarity, 6),
            "vector_rank": h.vector_rank, "keyword_rank": h.keyword_rank, "chunk_id": h.chunk_id, "cited": n in cited,
        } for n, h in enumerate(shown, start=1)]
        best, coverage = relevance(self.question, self.hits)
        p = self.params
        retrieval: dict[str, object] = {
            **asdict(p.search), "sources": p.sources, "context": p.context, "focus_sentences": p.focus_sentences,
            "min_similarity": p.min_similarity, "coverage_similarity": p.coverage_similarity,
            "min_coverage": p.min_coverage, "scope_documents": None if self.doc_ids is None else len(self.doc_ids),
            "retrieved": len(self.hits), "best_similarity": round(best, 4), "coverage": round(coverage, 4),
            "relevant": is_relevant(self.question, self.hits, p),
        }
        generation: dict[str, object] = {}
        model = self.model
        served_as = getattr(model, "served_as", None)  # a model on the office's server: its URL and id
        if model is not None:
            generation = {**asdict(model.settings), "n_ctx": model.n_ctx, "max_tokens": p.max_answer_tokens,
                          "prompt": "chat template" if model.is_chat else "plain completion"}
            if served_as:  # another model on the office's server answered: the local file only tokenized
                generation.update(model_server=served_as, prompt="the server's chat template",
                                  tokenizer=str(model.path))
        timings = {k: round(v, 4) for k, v in ev.timings.items()}
        timings["total_s"] = round(time.monotonic() - self.started, 4)
        provenance = Provenance(
            model_path=(served_as or str(model.path)) if model is not None else None,
            model_sha256=None,
            quantization=model.info.quantization if model is not None and not served_as else None,
            model_used="generation_s" in ev.timings, embedder=str(getattr(self.embedder, "id", "")),
            retrieval=retrieval, generation=generation, passages=passages, timings=timings,
        )
        return replace(ev, provenance=provenance)



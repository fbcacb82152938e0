"""Hybrid retrieval: Chroma vectors + SQLite FTS5 BM25, fused by weighted reciprocal rank fusion,
then adjacent-chunk merging and de-duplication."""

from __future__ import annotations

import logging
import math
import re
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from typing import Literal, Sequence

import numpy as np

from docent.core.retrieval import fusion as fuse
from docent.core.retrieval.routing import Directory, named_documents
from docent.core.storage.catalog import Catalog
from docent.core.storage.keywords import COMMON_SHARE, query_words
from docent.core.models.embedder import Embedder
from docent.core.models.rerank import Reranker
from docent.core.storage.vectors import VectorStore
from docent.core.types import Hit
from docent.errors import ModelError

log = logging.getLogger(__name__)

Mode = Literal["hybrid", "vector", "keyword"]
DEFAULT_VECTOR_WEIGHT = 0.3
# The second stage: a passage gains from a neighbour only where it matched at least this share as
# well on its own (a definition that merely sits next to the matching one stays where it ranked,
# and so is not glued onto it); its document's evidence is the mean of this many other candidates.
NEAR_SHARE = 0.4
DOC_TOP = 3  # the second stage's document evidence: the mean of this many of its other best candidates


@dataclass(frozen=True)
class SearchParams:
    """Defaults chosen on the SQuAD bench (tests/bench/retrieval.py): a convex combination of
    min-max normalised scores beat reciprocal rank fusion at recall@1 (0.835 vs 0.787 for the best
    weighted RRF) at equal recall@5; RRF stays available. The vector weight suits the embedder:
    0.3 for the default MiniLM, more for a stronger one (its `hybrid_vector_weight`)."""

    mode: Mode = "hybrid"
    # adaptive: convex with the vector share following the query (fusion.adaptive_alpha)
    fusion: Literal["adaptive", "convex", "rrf"] = "adaptive"
    # convex: share of the vector score; rrf: weight of the vector list. None: the embedder's
    # `hybrid_vector_weight` where it has one, else DEFAULT_VECTOR_WEIGHT.
    vector_weight: float | None = None
    keyword_weight: float = 1.0  # rrf only
    rrf_k: int = 60
    candidates: int = 50
    merge_adjacent: bool = True
    # Re-order this many of the best fused candidates with the Searcher's reranker (0: off). Without
    # a reranker the fused order stands. Off by default: no cross-encoder ships with Docent.
    rerank: int = 0
    # A long question searches the keyword index with only its words found in at most this share of
    # the library's passages (0: all its words; keywords.discriminating).
    reduce_query: float = 0.0
    # When the question names documents (file name; company and year...: routing.named_documents),
    # their passages are searched too and score `route_bonus` more (0: off).
    route_bonus: float = 0.3
    # Second stage over the fused candidates (0: off): a passage gains `neighbour_bonus` × the better
    # fused score of the passages next to it in its document (ordinal ± 1, on the same page) that
    # are candidates too (where it scored at least NEAR_SHARE of theirs), and `doc_bonus` × the mean
    # fused score of its document's best DOC_TOP other candidates: a page or section where several
    # passages match beats a lone passage that matches as well, and the passage that continues a
    # long answer joins it (merge_adjacent). Hybrid mode only. Measured on every open set at once
    # (tests/bench/retrieval.py --set all): ARAGOG soft@5 0.490 → 0.551, SQuAD R@5 0.965 and
    # FinanceBench page@5 0.622 unchanged, SQuAD R@1 0.853 → 0.849.
    neighbour_bonus: float = 0.2
    doc_bonus: float = 0.3
    # fusion.adaptive_alpha's settings (for measuring; the defaults are fusion's)
    per_word: float = fuse.PER_WORD
    long_share: float = fuse.LONG_SHARE
    peak_shift: float = fuse.PEAK_SHIFT


class Searcher:
    def __init__(self, catalog: Catalog, store: VectorStore, embedder: Embedder,
                 reranker: Reranker | None = None, pool: Executor | None = None) -> None:
        """`pool`: where the keyword search runs beside the vector search (the library owns one);
        without it the two run one after the other."""
        self.catalog = catalog
        self.store = store
        self.embedder = embedder
        self.reranker = reranker
        self.pool = pool
        self._query_vector: tuple[str, np.ndarray] | None = None  # the last query's embedding

    def search(
        self,
        query: str,
        top_k: int = 5,
        doc_ids: Sequence[int] | None = None,
        params: SearchParams = SearchParams(),
    ) -> list[Hit]:
        query = query.strip()
        if not query or top_k <= 0:
            return []
        if params.vector_weight is None:
            weight = getattr(self.embedder, "hybrid_vector_weight", DEFAULT_VECTOR_WEIGHT)
            params = replace(params, vector_weight=float(weight))
        assert params.vector_weight is not None
        n = max(params.candidates, top_k * 4)
        vector, keyword = self._candidates(query, n, doc_ids, params)
        named: list[int] = []
        if params.route_bonus > 0 and params.mode == "hybrid":
            named = self._named(query, doc_ids)
            if named:  # the named documents' own best passages join the candidates
                v2, k2 = self._candidates(query, n, named, params)
                vector, keyword = _union(vector, v2, lower_better=False), _union(keyword, k2, lower_better=True)

        vrank = {cid: r for r, (cid, _) in enumerate(vector, start=1)}
        krank = {cid: r for r, (cid, _) in enumerate(keyword, start=1)}
        sim = dict(vector)
        if params.fusion == "rrf" or params.mode != "hybrid":
            scores = fuse.rrf(vector, keyword, params.vector_weight, params.keyword_weight, params.rrf_k)
        else:
            kw = [(cid, -s) for cid, s in keyword]  # BM25: lower is better
            alpha = params.vector_weight
            if params.fusion == "adaptive":
                alpha = fuse.adaptive_alpha(alpha, vector, kw, len(query_words(query)), params.per_word,
                                              params.long_share, params.peak_shift)
            scores = fuse.convex(vector, kw, alpha)
        stage2 = bool(params.neighbour_bonus or params.doc_bonus) and params.mode == "hybrid"
        # where each candidate sits (document, ordinal, page): one catalog query for both steps
        where = self.catalog.chunk_places(list(scores)) if named or stage2 else {}
        if named:
            first = set(named[:1])
            for cid, (doc, _, _) in where.items():
                if doc in named:
                    scores[cid] += params.route_bonus * (1.0 if doc in first else 0.5)
        if stage2:
            scores = self._context_scores(scores, where, params.neighbour_bonus, params.doc_bonus)
        ranked = sorted(scores, key=lambda c: scores[c], reverse=True)
        n_rerank = min(params.rerank, len(ranked)) if self.reranker is not None else 0
        rows = self.catalog.chunks_by_ids(ranked[: max(top_k * 3, 20, n_rerank)])
        if n_rerank:
            ranked = self._rerank(query, ranked, scores, rows, n_rerank)
        hits: list[Hit] = []
        for cid in ranked:
            row = rows.get(cid)
            if row is None:
                continue
            doc_id, path, ordinal, text, page, location, c0, c1, heading = row
            hits.append(
                Hit(cid, doc_id, path, page, location, text, scores[cid], ordinal, c0, c1,
                    vrank.get(cid), krank.get(cid), sim.get(cid), heading)
            )
            if len(hits) >= top_k * 3:
                break
        hits = self._with_similarity(query, hits)
        hits = _dedupe(hits)
        if params.merge_adjacent:
            hits = self._merge_adjacent(hits, top_k)
        return hits[:top_k]

    def _with_similarity(self, query: str, hits: list[Hit]) -> list[Hit]:
        """Every hit with its cosine similarity to the query, the keyword search's own finds too: the
        answerability gate reads the best similarity, and FinanceBench's "How much does Pfizer
        expect to pay to spin off Upjohn …" had five keyword-only passages on top (similarity
        unknown, read as 0) and was declined, while the filing's best passage stands at 0.53."""
        cached = self._query_vector
        missing = [h.chunk_id for h in hits if h.similarity is None]
        if not missing or cached is None or cached[0] != query:
            return hits  # keyword mode: no query vector to compare with
        sims = self.store.similarities(cached[1], missing)
        return [replace(h, similarity=sims[h.chunk_id]) if h.chunk_id in sims else h for h in hits]

    @staticmethod
    def _context_scores(scores: dict[str, float], where: dict[str, tuple[int, int, int | None]],
                        neighbour: float, doc: float) -> dict[str, float]:
        """The fused scores with the second stage's neighbour and document evidence added; `where`:
        chunk id → (document id, ordinal, page)."""
        by_place = {(d, o): (scores[cid], page) for cid, (d, o, page) in where.items()}
        per_doc: dict[int, list[float]] = {}
        for cid, (d, _, _) in where.items():
            per_doc.setdefault(d, []).append(scores[cid])
        for values in per_doc.values():
            values.sort(reverse=True)
        out = dict(scores)
        for cid, (d, o, page) in where.items():
            s = scores[cid]
            if neighbour:
                near = [v for v, p in (by_place.get((d, o - 1), (0.0, None)), by_place.get((d, o + 1), (0.0, None)))
                        if p == page and s >= NEAR_SHARE * v]
                out[cid] += neighbour * max(near, default=0.0)
            if doc:
                others = list(per_doc[d])
                others.remove(s)
                top = others[:DOC_TOP]
                out[cid] += doc * (sum(top) / DOC_TOP if top else 0.0)
        return out

    def _candidates(self, query: str, n: int, doc_ids: Sequence[int] | None,
                    params: SearchParams) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
        """(vector list [(chunk id, cosine)], keyword list [(chunk id, BM25, lower better)])."""
        vector: list[tuple[str, float]] = []
        keyword: list[tuple[str, float]] = []
        pending = None
        if params.mode == "hybrid" and self.pool is not None:
            # BM25 in SQLite and embedding + HNSW both release the GIL: run them side by side
            pending = self.pool.submit(self.catalog.keyword_search, query, n, doc_ids, params.reduce_query)
        elif params.mode in ("hybrid", "keyword"):
            keyword = self.catalog.keyword_search(query, n, doc_ids, params.reduce_query)
        if params.mode in ("hybrid", "vector"):
            try:
                cached = self._query_vector
                if cached is None or cached[0] != query:
                    cached = self._query_vector = (query, self.embedder.embed_query(query))
                vector = self.store.query(cached[1], n, doc_ids)
            finally:
                if pending is not None:
                    keyword = pending.result()
        return vector, keyword

    def _named(self, query: str, doc_ids: Sequence[int] | None) -> list[int]:
        """The documents (in scope) the question names, by file name or identity (routing.py)."""
        identities = self.catalog.document_identities()
        if doc_ids is not None:
            allowed = set(doc_ids)
            identities = {d: v for d, v in identities.items() if d in allowed}
            directory = Directory({d: p for d, (p, _) in identities.items()}, {d: t for d, (_, t) in identities.items()})
        else:
            source, view = self.catalog.derived.get("routing", (None, None))
            if source is not identities or not isinstance(view, Directory):  # a new dict on a change
                view = Directory({d: p for d, (p, _) in identities.items()}, {d: t for d, (_, t) in identities.items()})
                self.catalog.derived["routing"] = (identities, view)
            directory = view
        if len(directory.names) < 2:
            return []
        return named_documents(query, directory)[:2]

    def _rerank(self, query: str, ranked: list[str], scores: dict[str, float], rows: dict[str, tuple], n: int) -> list[str]:  # type: ignore[type-arg]
        """The reranker orders the first n candidates; they score 1 + sigmoid(logit), above every
        fused score (at most 1), so later steps keep that order. A failing reranker leaves the fused
        order (logged)."""
        assert self.reranker is not None
        head = [cid for cid in ranked[:n] if cid in rows]
        try:
            logits = self.reranker.score(query, [rows[cid][3] for cid in head])
        except ModelError as exc:
            log.warning("reranking skipped: %s", exc)
            return ranked
        order = sorted(range(len(head)), key=lambda i: float(logits[i]), reverse=True)
        for i in order:  # a stable sigmoid; ties at its ends keep the reranker's order (stable sorts)
            scores[head[i]] = 1.0 + 0.5 * (1.0 + math.tanh(0.5 * float(logits[i])))
        chosen = set(head)
        return [head[i] for i in order] + [c for c in ranked if c not in chosen]

    def _merge_adjacent(self, hits: list[Hit], top_k: int) -> list[Hit]:
        """Two hits that are neighbouring chunks of one document, on the same page (PDF) or under the
        same heading (other formats), become one passage, so the reader sees a sentence that spans a chunk boundary whole."""
        out: list[Hit] = []
        for hit in hits:  # best first; only hits that would make the top k are merged
            if len(out) >= top_k:
                break
            merged = False
            for i, prev in enumerate(out):
                if prev.doc_id != hit.doc_id or prev.page != hit.page or (hit.page is None and prev.heading != hit.heading):
                    continue
                if hit.ordinal == prev.ordinal + 1 or hit.ordinal == prev.ordinal - 1:
                    first, second = (prev, hit) if prev.ordinal < hit.ordinal else (hit, prev)
                    text = _join(first, second)
                    best = prev if prev.score >= hit.score else hit
                    out[i] = replace(
                        prev,
                        text=text,
                        ordinal=first.ordinal,
                        # cite where the better-matching part is (e.g. the right ¶ of a section)
                        location=best.location,
                        chunk_id=best.chunk_id,
                        char_start=min(prev.char_start, hit.char_start),
                        char_end=max(prev.char_end, hit.char_end),
                        score=max(prev.score, hit.score),
                        similarity=max(prev.similarity or 0.0, hit.similarity or 0.0) if (prev.similarity or hit.similarity) else None,
                    )
                    merged = True
                    break
            if not merged:
                out.append(hit)
        out.sort(key=lambda h: h.score, reverse=True)
        return out


def _union(first: list[tuple[str, float]], second: list[tuple[str, float]],
           lower_better: bool) -> list[tuple[str, float]]:
    """Two candidate lists of one kind of score as one, best first; a candidate in both once."""
    seen = {cid for cid, _ in first}
    merged = first + [(cid, s) for cid, s in second if cid not in seen]
    return sorted(merged, key=lambda x: x[1], reverse=not lower_better)


_NORM = re.compile(r"\W+", re.UNICODE)


def _dedupe(hits: list[Hit]) -> list[Hit]:
    seen: set[str] = set()
    out = []
    for hit in hits:
        key = _NORM.sub(" ", hit.text.lower()).strip()
        if key in seen:
            continue
        seen.add(key)
        out.append(hit)
    return out


def _join(first: Hit, second: Hit) -> str:
    """Join consecutive chunks by their offsets, dropping the overlap the chunker carried over."""
    overlap = first.char_end - second.char_start
    if overlap > 0:
        return first.text + second.text[overlap:]
    return first.text + "\n\n" + second.text

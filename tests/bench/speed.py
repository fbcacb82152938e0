"""Speed figures measured in-process through Docent's public code paths (run.py drives them):

- `index_speed`: the whole indexing pipeline versus the embedder alone on the very texts the
  pipeline embedded (read back from the catalog: `context + "\\n" + text`, in the pipeline's own
  per-document batches), then a re-index of the unchanged corpus;
- `query_latency`: search latency with 1k/10k/100k synthetic chunks written straight through the
  catalog and store APIs (random unit vectors, random words; nothing embedded);
(generation speed: generation.py)
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Sequence

from tests.bench.common import drain, pct, r


# ---- indexing ------------------------------------------------------------------------------------
def embedded_texts(lib: Any) -> list[list[str]]:
    """The texts the indexer embedded, batch by batch: per document in ordinal order, EMBED_BATCH at a
    time, each `context + "\\n" + text` (the indexer's contextual embedding)."""
    from docent.core.ingest.indexer import EMBED_BATCH

    by_doc: dict[int, list[str]] = {}
    for doc_id, context, text in lib.catalog.rows("SELECT doc_id, context, text FROM chunks ORDER BY doc_id, ordinal"):
        by_doc.setdefault(doc_id, []).append(f"{context}\n{text}" if context else text)
    batches = []
    for texts in by_doc.values():
        batches.extend(texts[i : i + EMBED_BATCH] for i in range(0, len(texts), EMBED_BATCH))
    return batches


def index_speed(lib: Any, docs: Sequence[Path], repeat: bool = True) -> dict[str, Any]:
    """Index `docs` into the (empty) library `lib`, whose embedder is already loaded (A); embed the
    same texts with the embedder alone (B); with `repeat`, index everything again with force=True
    (A'), so the ratio (A + A') / 2B cancels a steady drift in the machine's load. Then sync the
    unchanged corpus."""
    from docent.core.types import SyncDone

    _ = lib.store  # open Chroma before the clock starts, as an open app has it

    def pipeline(force: bool) -> tuple[Any, float, float]:
        c0, t0 = time.process_time(), time.perf_counter()
        done = drain(lib.index(list(docs), force=force), SyncDone)
        return done, time.perf_counter() - t0, time.process_time() - c0

    done, pipe_s, pipe_cpu = pipeline(False)
    batches = embedded_texts(lib)
    n_texts = sum(len(b) for b in batches)
    tok = getattr(lib.embedder, "_tok", None)
    tokens = sum(len(e.ids) for b in batches for e in tok.encode_batch(b)) if tok is not None else None
    c0, t0 = time.process_time(), time.perf_counter()
    for batch in batches:
        lib.embedder.embed(batch)
    emb_s, emb_cpu = time.perf_counter() - t0, time.process_time() - c0
    runs = [pipe_s]
    if repeat:
        _, again_s, again_cpu = pipeline(True)
        runs.append(again_s)
        pipe_cpu = (pipe_cpu + again_cpu) / 2
    mean_s = sum(runs) / len(runs)
    t0 = time.perf_counter()
    again = drain(lib.index(list(docs)), SyncDone)
    re_s = time.perf_counter() - t0
    return {
        "files": len(docs), "pages": done.pages, "chunks": done.chunks, "embedded_texts": n_texts,
        "embedded_tokens": tokens,
        "pipeline_s": r(pipe_s), "pipeline_runs_s": [r(x) for x in runs], "pipeline_cpu_s": r(pipe_cpu),
        "pipeline_pages_per_s": r(done.pages / mean_s, 2), "pipeline_chunks_per_s": r(done.chunks / mean_s, 2),
        "embedder_s": r(emb_s), "embedder_cpu_s": r(emb_cpu),
        "embedder_pages_per_s": r(done.pages / emb_s, 2), "embedder_chunks_per_s": r(n_texts / emb_s, 2),
        "pipeline_over_embedder": r(mean_s / emb_s), "pipeline_over_embedder_cpu": r(pipe_cpu / emb_cpu),
        "reindex_unchanged_s": r(re_s, 4), "reindex_unchanged": again.unchanged, "reindex_indexed": again.indexed,
    }


# ---- query latency -------------------------------------------------------------------------------
def time_searches(lib: Any, queries: Sequence[str], modes: dict[str, Any], top_k: int = 5) -> dict[str, Any]:
    """Each question searched in each mode (the modes' order turning from one question to the next,
    so background work hits all alike), every question embedded afresh → mode → p50/p95 ms and n."""
    times: dict[str, list[float]] = {name: [] for name in modes}
    names = list(modes)
    for i, q in enumerate(queries):
        k = i % len(names)
        for name in names[k:] + names[:k]:
            forget_queries(lib)
            t = time.perf_counter()
            lib.search(q, top_k, (), modes[name])
            times[name].append(time.perf_counter() - t)
    return {name: {"p50_ms": r(1000 * pct(ts, 0.5), 1), "p95_ms": r(1000 * pct(ts, 0.95), 1), "n": len(ts)}
            for name, ts in times.items()}


def query_latency(lib: Any, sizes: Sequence[int], queries: Sequence[str], per_doc: int = 100) -> dict[str, Any]:
    """Grow a throwaway library to each size in turn and time `Library.search` (top 5) for each
    query in hybrid, vector-only and keyword-only modes. Targets are on the default (hybrid)."""
    from docent.core.retrieval.search import SearchParams

    from tests.bench.synth import fill_library

    out: dict[str, Any] = {}
    modes = {"hybrid": SearchParams(), "vector": SearchParams(mode="vector"), "keyword": SearchParams(mode="keyword")}
    for size in sizes:
        fill_s = fill_library(lib, size, per_doc)
        for q in queries[:5]:  # warm caches (HNSW segment load, FTS pages)
            lib.search(q, 5)
        row: dict[str, Any] = {"chunks": lib.catalog.chunk_count(), "store_count": lib.store.count(), "fill_s": r(fill_s, 1)}
        row.update(time_searches(lib, queries, modes))
        row["stages_p50_ms"] = _stages(lib, queries)
        out[f"{size // 1000}k" if size >= 1000 else str(size)] = row
    return out


def forget_queries(lib: Any) -> None:
    """The embedder remembers recent query vectors (ask() embeds its question twice); a latency
    figure must not profit from a question seen a moment ago."""
    cache = getattr(lib.embedder, "query_cache", None)
    if cache is not None:
        cache.clear()


def _stages(lib: Any, queries: Sequence[str]) -> dict[str, Any]:
    """Where a hybrid search's time goes: query embedding, Chroma's k-NN, FTS5 BM25 (50 candidates
    each, as the searcher asks for)."""
    stages: dict[str, list[float]] = {"embed_query": [], "vector_knn": [], "keyword_bm25": []}
    for q in queries:
        forget_queries(lib)
        t = time.perf_counter()
        v = lib.embedder.embed_query(q)
        t1 = time.perf_counter()
        lib.store.query(v, 50)
        t2 = time.perf_counter()
        lib.catalog.keyword_search(q, 50)
        t3 = time.perf_counter()
        stages["embed_query"].append(t1 - t)
        stages["vector_knn"].append(t2 - t1)
        stages["keyword_bm25"].append(t3 - t2)
    return {k: r(1000 * pct(v, 0.5), 1) for k, v in stages.items()}

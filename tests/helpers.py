"""Helpers shared by the test modules (no fixtures here)."""

from __future__ import annotations

from typing import Any, Iterable, Sequence

import numpy as np


class CountingEmbedder:
    """The real embedder, counting what it is asked to embed (to prove that nothing was)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.id = inner.id
        self.dim = inner.dim
        self.max_tokens = inner.max_tokens
        self.texts = 0
        self.calls = 0
        self.queries = 0

    def reset(self) -> None:
        self.texts = self.calls = self.queries = 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls += 1
        self.texts += len(texts)
        return self.inner.embed(texts)

    def embed_query(self, text: str) -> np.ndarray:
        self.queries += 1
        return self.inner.embed_query(text)

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return self.inner.token_spans(text)


def run_index(lib: Any, roots: Iterable[Any], **kwargs: Any) -> tuple[list[Any], Any]:
    """Drain lib.index(...) → (all events, the final SyncDone)."""
    from docent.core.types import SyncDone

    events = list(lib.index(list(roots), **kwargs))
    assert events and isinstance(events[-1], SyncDone), events[-1:]
    return events, events[-1]


def file_done(events: Sequence[Any]) -> dict[str, Any]:
    """path → FileDone, from a list of index events."""
    from docent.core.types import FileDone

    return {e.path: e for e in events if isinstance(e, FileDone)}


def by_name(lib: Any) -> dict[str, Any]:
    """file name → DocumentRecord."""
    from pathlib import Path

    return {Path(d.path).name: d for d in lib.documents()}


def assert_consistent(lib: Any) -> None:
    """The catalog and the vector store agree: same chunk ids; each indexed document has exactly its
    recorded number of chunks, in both stores; documents not indexed have none."""
    catalog, store = lib.catalog, lib.store
    assert store.count() == catalog.chunk_count()
    assert store.all_ids() == catalog.chunk_ids()
    for doc in lib.documents():
        ids = catalog.chunk_ids(doc.id)
        if doc.status == "indexed":
            assert doc.chunks > 0, doc
            assert len(ids) == doc.chunks, doc
            assert store.ids_for(doc.id) == ids, doc
        else:
            assert ids == set(), doc
            assert store.ids_for(doc.id) == set(), doc

"""The composition root of a library's core services: the one place that builds the vector store, the
embedder, the reranker, the Indexer, the Remover and the Searcher from the catalog and the settings.
Models are loaded on first use, once (again only when their setting changes)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from docent.core.answer.qa import AskParams
from docent.core.ingest.chunking import ChunkParams
from docent.core.ingest.indexer import Indexer
from docent.core.ingest.removal import Remover
from docent.core.models.embedder import Embedder, load_embedder
from docent.core.models.rerank import Reranker
from docent.core.retrieval.search import Searcher, SearchParams
from docent.core.storage.catalog import Catalog
from docent.core.storage.vectors import COLLECTION, VectorStore
from docent.errors import EmbedderMismatch
from docent.settings import Settings


def open_vector_store(directory: Path, embedder_id: str, dim: int, server: str = "", collection: str = COLLECTION,
                      way_out: bool = True) -> VectorStore:
    """The vectors embedded in `directory`, or in `collection` on the Chroma server at `server`."""
    return VectorStore(directory, embedder_id, dim, server=server, collection=collection, way_out=way_out)


class Services:
    """The services of one library (its `catalog`) under `settings`. `embedder`: one already loaded
    (tests, the self-test), used whatever the settings name."""

    def __init__(self, catalog: Catalog, settings: Settings, embedder: Embedder | None = None) -> None:
        self.catalog = catalog
        self.settings = settings
        self._embedder = embedder
        self._reranker: Reranker | None = None
        self._reranker_spec = ""
        self._keyword_pool: ThreadPoolExecutor | None = None  # searches' BM25, beside the vector search

    def apply(self, settings: Settings) -> None:
        """Use new settings: a different embedder is loaded on next use (and asks for a rebuild)."""
        if settings.embedder != self.settings.embedder:
            self._embedder = None
        self.settings = settings

    # ---- models --------------------------------------------------------------------------------
    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = load_embedder(self.settings.embedder)
        return self._embedder

    @property
    def embedder_loaded(self) -> bool:
        return self._embedder is not None

    def reranker(self) -> Reranker | None:
        """The cross-encoder of settings.reranker, loaded once per path; None when none is set."""
        from docent.core.models.rerank import load_reranker

        spec = self.settings.reranker
        if self._reranker_spec != spec:
            self._reranker, self._reranker_spec = load_reranker(spec), spec
        return self._reranker

    # ---- the embedder the vectors are made with ------------------------------------------------
    def record_embedder(self) -> None:
        """Record the selected embedder as the one the library's vectors are made with."""
        self.catalog.set_meta("embedder_id", self.embedder.id)
        self.catalog.set_meta("embedder_dim", str(self.embedder.dim))

    def vector_kind(self) -> tuple[str, int]:
        """(embedder id, dimension) of the library's vectors; a new library records the selected one."""
        if self.catalog.get_meta("embedder_id") is None:
            self.record_embedder()
        return self.catalog.get_meta("embedder_id") or "", int(self.catalog.get_meta("embedder_dim") or 0)

    def check_embedder(self) -> None:
        recorded = self.catalog.get_meta("embedder_id")
        if recorded and recorded != self.embedder.id:
            raise EmbedderMismatch(
                f"this library was built with the embedder '{recorded}' but '{self.embedder.id}' is selected. "
                "Rebuild the library to switch (docent index --rebuild PATH...)."
            )

    # ---- parameters ----------------------------------------------------------------------------
    @property
    def chunk_params(self) -> ChunkParams:
        s = self.settings
        # leave room for the title/heading line embedded with each chunk and the special tokens
        limit = max(32, self.embedder.max_tokens - 24) if self._embedder is not None else s.chunk_tokens
        return ChunkParams(max_tokens=min(s.chunk_tokens, limit), overlap=s.chunk_overlap)

    def search_params(self) -> SearchParams:
        """The default search, re-ranked by the settings' cross-encoder when one is set."""
        return SearchParams(rerank=self.settings.rerank_candidates if self.settings.reranker else 0)

    def ask_params(self) -> AskParams:
        """The default answer: the settings' number of sources and answer length."""
        from docent.core.models.packaged import EMBEDDER_ID

        s = self.settings
        params = AskParams(sources=s.sources, max_answer_tokens=s.max_answer_tokens, search=self.search_params())
        if self.embedder.id != EMBEDDER_ID:  # the gate's thresholds were calibrated for the default
            params = params.lenient()
        return params

    # ---- services over the open vector store ---------------------------------------------------
    def indexer(self, store: VectorStore | Callable[[], VectorStore]) -> Indexer:
        """`store`: the open vector store, or how to open it when the sync first needs it."""
        return Indexer(self.catalog, store, self.embedder, self.chunk_params)

    def remover(self, store: VectorStore) -> Remover:
        """Removal and repair: the catalog and the vectors only, no model loaded."""
        return Remover(self.catalog, store)

    def searcher(self, store: VectorStore) -> Searcher:
        if self._keyword_pool is None:
            self._keyword_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="docent-bm25")
        return Searcher(self.catalog, store, self.embedder, self.reranker(), self._keyword_pool)

    def close(self) -> None:
        if self._keyword_pool is not None:
            self._keyword_pool.shutdown(wait=True)
            self._keyword_pool = None

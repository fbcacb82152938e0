"""A library: one data folder holding the catalog, the keyword index and the vectors. The facade the
CLI and the UI drive; it composes the core services and opens what it needs on first use, so that
opening one is cheap.

What happens in which order:
1. `Library(...)` opens the folder (opening.py): unlocks it when encrypted, takes its lock, reads the
   settings and the catalog. No model is loaded and the vectors are not opened.
2. `open_vectors()` is the explicit step every operation that needs the vectors takes first (index,
   search, ask, remove; `store` returns it; `documents` takes it only when a run was interrupted):
   the vectors are moved to where the settings say (placement.py) and what a killed run left
   half-done is repaired (`recovered`). Once per open store.
3. The operations build their services through the composition root (factory.py).
4. `set_settings` is the one way to change the settings: a new embedder is loaded on next use, a new
   Chroma server closes the store, which `open_vectors` opens there (moving the vectors) on next use.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Sequence

from docent.core.answer.qa import AskParams, ask
from docent.core.cancel import NEVER, CancelToken
from docent.core.ingest.chunking import ChunkParams
from docent.core.library.answers import finish_answer
from docent.core.library.factory import Services
from docent.core.library.model_cache import MODEL_HASHES_FILE, ChatModelCache, ModelHashes
from docent.core.library.opening import CATALOG_FILE, SETTINGS_FILE, open_folder
from docent.core.library.placement import VECTORS_AT, VECTORS_DIR, VectorPlacement
from docent.core.library.texts import DocumentText, document_text
from docent.core.models.embedder import Embedder
from docent.core.models.llm import ChatModel
from docent.core.models.rerank import Reranker
from docent.core.retrieval.search import Searcher, SearchParams
from docent.core.storage.audit import AuditLog
from docent.core.storage.catalog import Catalog
from docent.core.storage.vectors import VectorStore
from docent.core.types import AnswerDone, AskEvent, DocumentRecord, Hit, IndexEvent
from docent.errors import StoreError
from docent.settings import Settings

if TYPE_CHECKING:
    from docent.core.storage.chats import ChatStore

__all__ = ["CATALOG_FILE", "MODEL_HASHES_FILE", "SETTINGS_FILE", "VECTORS_AT", "VECTORS_DIR", "Library"]

log = logging.getLogger(__name__)


class Library:
    def __init__(self, data_dir: Path, settings: Settings | None = None, embedder: Embedder | None = None,
                 passphrase: str | None = None, encrypt: bool = False) -> None:
        """`passphrase`: needed to open an encrypted library (PassphraseRequired without it,
        WrongPassphrase when it is not the library's: then nothing is written). `encrypt`: make a new
        library encrypted with `passphrase` (refused for a library that already holds a plain catalog).
        `embedder`: one already loaded, used instead of the settings' one."""
        folder = open_folder(data_dir, settings, passphrase, encrypt)
        self.dir = folder.dir
        self._catalog = folder.catalog
        self._lock = folder.lock
        self._keys = folder.keys
        self._services = Services(self._catalog, folder.settings, embedder)
        self._placement = VectorPlacement(self.dir, self._catalog)
        self._models = ChatModelCache()
        self._hashes = ModelHashes(self.dir)
        self._store: VectorStore | None = None
        self.recovered = 0  # documents repaired when the vectors were opened

    @property
    def catalog(self) -> Catalog:
        """The catalog: documents, chunks and the keyword index (SQLite)."""
        return self._catalog

    @catalog.setter
    def catalog(self, catalog: Catalog) -> None:
        """The same catalog file opened anew (e.g. after an outside change): every service uses it."""
        self._catalog = self._services.catalog = self._placement.catalog = catalog

    @property
    def settings(self) -> Settings:
        """The settings in use; change them with `set_settings`."""
        return self._services.settings

    def set_settings(self, settings: Settings) -> None:
        """Apply new settings; a different embedder is loaded on next use (and asks for a rebuild),
        a different Chroma server is used (the vectors moved there) on next use."""
        if settings.chroma_server != self.settings.chroma_server:
            self._close_vectors()
        self._services.apply(settings)

    @property
    def encrypted(self) -> bool:
        """Whether the catalog (texts, keyword index) and the chats are stored encrypted."""
        return self._keys is not None

    @property
    def vectors_moved(self) -> int:
        """Vectors copied when they were opened, because the Chroma server setting had changed."""
        return self._placement.moved

    def chat_store(self) -> "ChatStore":
        """The library's saved chats, sealed with the library's key when it is encrypted."""
        from docent.core.storage.chats import CHATS_DIR, ChatStore

        return ChatStore(self.dir / CHATS_DIR, self._keys.chats if self._keys else None)

    # ---- services ------------------------------------------------------------------------------
    @property
    def embedder(self) -> Embedder:
        return self._services.embedder

    @property
    def store(self) -> VectorStore:
        """The vector store, opened (see `open_vectors`)."""
        return self.open_vectors()

    def open_vectors(self) -> VectorStore:
        """Open the vectors where the settings say, moving them there first if the Chroma server
        setting changed, then repair what an interrupted run left half-done. Once per open store."""
        if self._store is None:
            embedder_id, dim = self._services.vector_kind()
            self._store = self._placement.open(self.settings.chroma_server, embedder_id, dim)
            self.recovered = self._services.remover(self._store).recover()
            if self.recovered:
                log.info("repaired %d documents left half-done by an interrupted run", self.recovered)
        return self._store

    def _close_vectors(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    @property
    def chunk_params(self) -> ChunkParams:
        return self._services.chunk_params

    def chat_model(self) -> ChatModel:
        return self._models.get(self.settings)

    def reranker(self) -> Reranker | None:
        """The cross-encoder of settings.reranker, loaded once per path; None when none is set."""
        return self._services.reranker()

    def search_params(self) -> SearchParams:
        """The default search, re-ranked by the settings' cross-encoder when one is set."""
        return self._services.search_params()

    def searcher(self) -> Searcher:
        self._services.check_embedder()
        return self._services.searcher(self.open_vectors())

    # ---- operations ----------------------------------------------------------------------------
    def index(self, roots: Sequence[Path], cancel: CancelToken = NEVER, force: bool = False) -> Iterator[IndexEvent]:
        self._services.check_embedder()
        # the vectors are opened (and repaired) when the sync first needs them: not for an unchanged tree
        yield from self._services.indexer(self.open_vectors).sync(roots, cancel, force=force)

    def rebuild(self) -> None:
        """Drop every vector and chunk (e.g. to switch embedders); documents are indexed again by the
        next index run, into the vector store the settings name."""
        self._placement.clear(self._store, self.settings.chroma_server)
        self._store = None
        for doc in self.catalog.documents():
            self.catalog.delete_document(doc.id)
        self._services.record_embedder()

    def remove(self, path: Path) -> int:
        """Forget a file or every file under a folder (a message with its attachments). Returns how
        many documents were removed."""
        docs = self.catalog.documents(under=str(Path(path).expanduser().absolute()))
        if docs:
            remover = self._services.remover(self.open_vectors())
            ids = {d.id for d in docs}
            for doc in docs:
                if doc.parent not in ids:  # a message's attachments go with it
                    remover.remove_document(doc)
        return len(docs)

    def recorded_embedder(self) -> str:
        """The embedder the library's vectors were made with ("" for a new library)."""
        return self.catalog.get_meta("embedder_id") or ""

    def documents(self) -> list[DocumentRecord]:
        if self._store is None and self.catalog.in_status("indexing", "queued", "removing"):
            try:
                self.open_vectors()  # repairs what an interrupted run left half-done
            except StoreError as exc:  # a Chroma server out of reach: the list is in the catalog anyway
                log.warning("listing the documents without repairing them first: %s", exc)
        return self.catalog.documents()

    def document_text(self, path: str | Path) -> DocumentText:
        """The text of a document as it was indexed, from the catalog (see texts.py); the file
        itself is not read."""
        return document_text(self.catalog, str(Path(path).expanduser().absolute()))

    def scope(self, paths_: Sequence[str]) -> list[int] | None:
        if not paths_:
            return None
        ids: list[int] = []
        for p in paths_:
            target = str(Path(p).expanduser().absolute())
            ids.extend(d.id for d in self.catalog.documents(under=target) if d.status == "indexed")
        return ids

    def search(self, query: str, top_k: int = 5, scope: Sequence[str] = (), params: SearchParams | None = None) -> list[Hit]:
        return self.searcher().search(query, top_k, self.scope(scope), params or self.search_params())

    def ask(self, question: str, scope: Sequence[str] = (), cancel: CancelToken = NEVER,
            params: AskParams | None = None, mode: str = "auto") -> Iterator[AskEvent]:
        """`mode`: "answer" (top passages), "whole" (a whole-document task over the scope: summary,
        comparison or list, see core/answer/wholedoc.py), "auto" (whole when the question asks for one)."""
        from docent.core.answer import wholedoc

        if params is None:
            params = self._services.ask_params()
        kind = None if mode == "answer" else wholedoc.detect(question)
        if kind is None and mode == "auto" and wholedoc.asks_to_compare(question):  # the catalog only then
            names = {d.id: Path(d.path).name for d in self.catalog.documents() if d.status == "indexed"}
            kind = "compare" if wholedoc.compares_named(question, names) else None
        if mode == "whole" and kind is None:
            kind = "list"  # every point of the documents that bears on the question
        events: Iterator[AskEvent] = (
            wholedoc.ask_whole(question, kind, self.catalog, self.searcher(), self.chat_model, params,
                               self.scope(scope), cancel)
            if kind is not None else ask(question, self.searcher(), self.chat_model, params, self.scope(scope), cancel)
        )
        for ev in events:
            if isinstance(ev, AnswerDone):
                ev = finish_answer(question, scope, ev, self.settings, self.dir, self._hashes, self.recorded_embedder())
            yield ev

    # ---- provenance and audit ------------------------------------------------------------------
    def model_sha256(self, path: Path) -> str:
        """The sha256 of a model file, hashed once per file (see model_cache.ModelHashes)."""
        return self._hashes.sha256(path)

    def audit_log(self) -> AuditLog:
        return AuditLog.of_library(self.dir, self.settings.audit_retention_days)

    def close(self) -> None:
        self._services.close()
        self._models.close()
        self._close_vectors()
        if self._keys is not None:  # no stray text in the index files of an encrypted library
            from docent.core.storage.vectors import scrub_unused

            try:
                scrub_unused(self.dir / VECTORS_DIR)
            except OSError:
                log.warning("could not clear the unused parts of the vector index", exc_info=True)
        self.catalog.close()
        self._lock.release()

    def __enter__(self) -> "Library":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

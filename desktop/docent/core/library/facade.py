"""A library: one data folder holding the catalog, the keyword index and the vectors. The facade the
CLI and the UI drive; it builds the core services lazily so that opening one is cheap."""

from __future__ import annotations

import json
import logging
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Sequence

from docent import paths
from docent.core.storage.audit import AuditLog, ask_record
from docent.core.cancel import NEVER, CancelToken
from docent.core.storage.catalog import Catalog
from docent.core.ingest.chunking import ChunkParams
from docent.core.models.embedder import Embedder, load_embedder
from docent.core.ingest.indexer import Indexer
from docent.core.models.llm import ChatModel, LLMSettings
from docent.core.storage.lock import DirLock
from docent.core.types import Provenance
from docent.core.answer.qa import AskParams, ask
from docent.core.models.rerank import Reranker
from docent.core.retrieval.search import Searcher, SearchParams
from docent.core.storage.vectors import VectorStore
from docent.core.types import AnswerDone, AskEvent, DocumentRecord, Hit, IndexEvent
from docent.errors import DocentError, EmbedderMismatch, StoreError
from docent.settings import Settings
from docent.settings import load as load_settings

if TYPE_CHECKING:
    from docent.core.storage.chats import ChatStore

log = logging.getLogger(__name__)

CATALOG_FILE = "catalog.sqlite3"
VECTORS_DIR = "vectors"
VECTORS_AT = "vectors_at"  # catalog meta: where the vectors are ("" this computer, else a Chroma server URL)
SETTINGS_FILE = "settings.json"
MODEL_HASHES_FILE = "model-hashes.json"


class Library:
    def __init__(self, data_dir: Path, settings: Settings | None = None, embedder: Embedder | None = None,
                 passphrase: str | None = None, encrypt: bool = False) -> None:
        """`passphrase`: needed to open an encrypted library (PassphraseRequired without it,
        WrongPassphrase when it is not the library's: then nothing is written). `encrypt`: make a new
        library encrypted with `passphrase` (refused for a library that already holds a plain catalog)."""
        from docent.core.storage import crypto
        from docent.errors import write_failure

        self._keys: crypto.LibraryKeys | None = None
        if crypto.is_encrypted(Path(data_dir)):  # checked before anything is created, locked or written
            self._keys = crypto.unlock(Path(data_dir), passphrase)
        elif encrypt and (Path(data_dir) / CATALOG_FILE).exists():
            raise DocentError(
                f"the library in {data_dir} is not encrypted: encrypt it first with `docent passphrase`, "
                "or index into a new library folder (--data-dir) with --encrypt."
            )
        elif encrypt and not passphrase:
            from docent.errors import PassphraseRequired

            raise PassphraseRequired(f"an encrypted library needs a passphrase: set {crypto.PASSPHRASE_ENV}, "
                                     "or run the command in a terminal to be asked for it.")
        try:
            self.dir = paths.ensure_private_dir(Path(data_dir))
        except OSError as exc:  # a read-only parent, a full disk: say so in words (CLI and window alike)
            raise (write_failure(exc, Path(data_dir)) or exc) from exc
        self._lock = DirLock(self.dir / "docent.lock")
        self._lock.acquire()
        try:
            from docent.core.storage.rekey import finish_pending

            finish_pending(self.dir)  # a passphrase change cut short: undone, or finished if committed
            self.settings = settings or load_settings(self.dir / SETTINGS_FILE)
            if encrypt and self._keys is None:
                self._keys = crypto.create(self.dir, passphrase or "")
            self.catalog = Catalog(self.dir / CATALOG_FILE, self._keys.catalog if self._keys else None)
        except Exception as exc:
            self._lock.release()
            failure = write_failure(exc, self.dir) if not isinstance(exc, DocentError) else None
            if failure is not None:
                raise failure from exc
            raise
        self._embedder = embedder
        self._store: VectorStore | None = None
        self._model: ChatModel | None = None
        self._model_key: tuple[object, ...] | None = None
        self._hashes: dict[str, str] = {}
        self._reranker: Reranker | None = None
        self._reranker_spec = ""
        self.recovered = 0
        self.vectors_moved = 0  # vectors copied at open because the Chroma server setting changed
        self._keyword_pool: ThreadPoolExecutor | None = None  # searches' BM25, beside the vector search

    @property
    def encrypted(self) -> bool:
        """Whether the catalog (texts, keyword index) and the chats are stored encrypted."""
        return self._keys is not None

    def chat_store(self) -> "ChatStore":
        """The library's saved chats, sealed with the library's key when it is encrypted."""
        from docent.core.storage.chats import CHATS_DIR, ChatStore

        return ChatStore(self.dir / CHATS_DIR, self._keys.chats if self._keys else None)

    # ---- lazily built services -----------------------------------------------------------------
    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = load_embedder(self.settings.embedder)
        return self._embedder

    @property
    def store(self) -> VectorStore:
        if self._store is None:
            recorded = self.catalog.get_meta("embedder_id")
            if recorded is None:
                recorded = self.embedder.id
                self.catalog.set_meta("embedder_id", recorded)
                self.catalog.set_meta("embedder_dim", str(self.embedder.dim))
            dim = int(self.catalog.get_meta("embedder_dim") or 0)
            server = self.settings.chroma_server
            self._discard_local_vectors(server)
            store = self._open_vectors(server, recorded, dim)
            try:
                self._move_vectors_here(store, server, recorded, dim)
            except BaseException:
                store.close()  # not kept half-filled: the next use tries the move again
                raise
            self._store = store
            self.recovered = self._indexer_for_recovery().recover()
            if self.recovered:
                log.info("repaired %d documents left half-done by an interrupted run", self.recovered)
        return self._store

    def _discard_local_vectors(self, server: str) -> None:
        """The folder of vectors a move to a server emptied (dropped, but kept open by Chroma until
        the process ended): removed once the vectors are recorded on that server."""
        local = self.dir / VECTORS_DIR
        if server and local.is_dir() and self.catalog.get_meta(VECTORS_AT) == server:
            shutil.rmtree(local, ignore_errors=True)
            log.info("removed the emptied local vectors folder (the vectors are on %s)", server)

    def _open_vectors(self, server: str, embedder_id: str, dim: int, note: bool = True,
                      way_out: bool = True) -> VectorStore:
        """The vectors on this computer (server "") or in this library's own collection on a shared
        `chroma run` server, named by the library's id."""
        if not server:
            return VectorStore(self.dir / VECTORS_DIR, embedder_id, dim)
        from docent.core.storage.vectors import remote_collection_name

        library_id = self.catalog.get_meta("library_id")
        if library_id is None:
            import uuid

            library_id = uuid.uuid4().hex
            self.catalog.set_meta("library_id", library_id)
        store = VectorStore(self.dir / VECTORS_DIR, embedder_id, dim, server=server,
                            collection=remote_collection_name(library_id), way_out=way_out)
        if note:
            self._note_remote(server, remote_collection_name(library_id))
        return store

    def _note_remote(self, server: str, collection: str) -> None:
        """Where this library's vectors are on a server, in a plain file: removing the library must
        find them even when the catalog (which holds the id) is encrypted."""
        from docent.core.storage.registry import REMOTE_VECTORS_FILE

        target = self.dir / REMOTE_VECTORS_FILE
        record = {"server": server, "collection": collection}
        if _read_json(target) != record:
            tmp = target.with_suffix(".tmp")
            tmp.write_text(json.dumps(record), encoding="utf-8")
            os.replace(tmp, target)

    def _move_vectors_here(self, store: VectorStore, server: str, embedder_id: str, dim: int) -> None:
        """After the Chroma server setting changed, copy the library's vectors from where they were
        (this computer or the previous server) to where the settings now say, so nothing is
        re-embedded. The new place is recorded only once the copy is complete: a copy interrupted
        at any point is done again at the next open."""
        from docent.settings import normalize_server_url

        was = self.catalog.get_meta(VECTORS_AT)
        if was is not None and normalize_server_url(was) == server:  # settings hold the normalised URL
            if was != server:
                self.catalog.set_meta(VECTORS_AT, server)
            return
        if was is None or not self.catalog.documents():  # a new (or empty) library: nothing to move
            self.catalog.set_meta(VECTORS_AT, server)
            return
        here = f"the Chroma server at {server}" if server else "this computer"
        there = f"the Chroma server at {was}" if was else "this computer"
        try:
            old = self._open_vectors(was, embedder_id, dim, note=False, way_out=False)
        except DocentError as exc:
            raise StoreError(
                f"this library's vectors are on {there}, which cannot be opened to move them to {here} ({exc}). "
                f"Make it reachable, set the Chroma server back to {was or 'empty (this computer)'}, or rebuild "
                "the vectors where they are now (docent index --rebuild PATH...)."
            ) from exc
        same = bool(was) and bool(server) and old.identity != "" and old.identity == store.identity
        try:
            if same:  # the same server under another address: nothing to copy, and nothing to delete
                log.info("%s and %s are the same collection: no move", there, here)
            else:
                log.info("moving this library's vectors from %s to %s", there, here)
                self.vectors_moved = store.copy_from(old)
            self.catalog.set_meta(VECTORS_AT, server)
            if not was and not same:  # moved off this computer: the local copy is not kept
                try:
                    old.drop()
                except Exception:  # the folder itself goes at the next open (_discard_local_vectors)
                    log.warning("could not delete the local copy of the vectors", exc_info=True)
        finally:
            old.detach()
        if same:
            return
        log.info("moved %d vectors from %s to %s", self.vectors_moved, there, here)
        if not server:
            from docent.core.storage.registry import REMOTE_VECTORS_FILE

            (self.dir / REMOTE_VECTORS_FILE).unlink(missing_ok=True)
        if was:  # the old collection held only this library's vectors: not left behind on that server
            from docent.core.storage.vectors import discard_remote, remote_collection_name

            try:
                discard_remote(was, remote_collection_name(self.catalog.get_meta("library_id") or ""))
            except StoreError:
                log.warning("could not delete this library's old vectors on %s", there, exc_info=True)

    def _indexer_for_recovery(self) -> Indexer:
        return Indexer(self.catalog, self._store, self._embedder or _NoEmbedder(), self.chunk_params)  # type: ignore[arg-type]

    def _check_embedder(self) -> None:
        recorded = self.catalog.get_meta("embedder_id")
        if recorded and recorded != self.embedder.id:
            raise EmbedderMismatch(
                f"this library was built with the embedder '{recorded}' but '{self.embedder.id}' is selected. "
                "Rebuild the library to switch (docent index --rebuild PATH...)."
            )

    @property
    def chunk_params(self) -> ChunkParams:
        s = self.settings
        # leave room for the title/heading line embedded with each chunk and the special tokens
        limit = max(32, self.embedder.max_tokens - 24) if self._embedder is not None else s.chunk_tokens
        return ChunkParams(max_tokens=min(s.chunk_tokens, limit), overlap=s.chunk_overlap)

    def chat_model(self) -> ChatModel:
        from docent.core.models.packaged import chat_model_path

        s = self.settings
        path = chat_model_path(s.chat_model or None)
        llm_settings = LLMSettings(
            n_ctx=s.n_ctx, n_gpu_layers=s.n_gpu_layers, n_threads=s.n_threads or None,
            temperature=s.temperature, max_tokens=s.max_answer_tokens,
        )
        # Only what llama.cpp needs at load time forces a reload; sampling settings apply per answer.
        key = (str(path), s.n_ctx, s.n_gpu_layers, s.n_threads, s.llm_server)
        if self._model is None or self._model_key != key:
            if self._model is not None:
                self._model.close()
                self._model = None
            if s.llm_server:  # a shared OpenAI-compatible server generates; the local file tokenizes
                from docent.core.models.remote_llm import RemoteChatModel

                self._model = RemoteChatModel(s.llm_server, path, llm_settings)
            else:
                self._model = ChatModel(path, llm_settings)
            self._model_key = key
        else:
            self._model.settings = llm_settings
        return self._model

    # ---- operations ----------------------------------------------------------------------------
    def index(self, roots: Sequence[Path], cancel: CancelToken = NEVER, force: bool = False) -> Iterator[IndexEvent]:
        self._check_embedder()
        indexer = Indexer(self.catalog, self.store, self.embedder, self.chunk_params)
        yield from indexer.sync(roots, cancel, force=force)

    def rebuild(self) -> None:
        """Drop every vector and chunk (e.g. to switch embedders); documents are indexed again by the
        next index run, into the vector store the settings name."""
        if self._store is not None:
            self._store.drop()
            self._store.close()
            self._store = None
        elif self.settings.chroma_server and (library_id := self.catalog.get_meta("library_id")):
            from docent.core.storage.vectors import discard_remote, remote_collection_name

            discard_remote(self.settings.chroma_server, remote_collection_name(library_id))
        shutil.rmtree(self.dir / VECTORS_DIR, ignore_errors=True)
        self.catalog.set_meta(VECTORS_AT, self.settings.chroma_server)
        for doc in self.catalog.documents():
            self.catalog.delete_document(doc.id)
        self.catalog.set_meta("embedder_id", self.embedder.id)
        self.catalog.set_meta("embedder_dim", str(self.embedder.dim))

    def remove(self, path: Path) -> int:
        """Forget a file or every file under a folder. Returns how many documents were removed."""
        target = str(Path(path).expanduser().absolute())
        docs = self.catalog.documents(under=target)
        if docs:
            indexer = Indexer(self.catalog, self.store, self._embedder or _NoEmbedder(), self.chunk_params)  # type: ignore[arg-type]
            for doc in docs:
                indexer.remove_document(doc)
        return len(docs)

    def recorded_embedder(self) -> str:
        """The embedder the library's vectors were made with ("" for a new library)."""
        return self.catalog.get_meta("embedder_id") or ""

    def set_settings(self, settings: Settings) -> None:
        """Apply new settings; a different embedder is loaded on next use (and asks for a rebuild)."""
        if settings.embedder != self.settings.embedder:
            self._embedder = None
        if settings.chroma_server != self.settings.chroma_server and self._store is not None:
            self._store.close()  # the other store (server or embedded) opens on next use
            self._store = None
        self.settings = settings

    def documents(self) -> list[DocumentRecord]:
        if self._store is None and self.catalog.in_status("indexing", "queued", "removing"):
            try:
                _ = self.store  # opening the store repairs what an interrupted run left half-done
            except StoreError as exc:  # a Chroma server out of reach: the list is in the catalog anyway
                log.warning("listing the documents without repairing them first: %s", exc)
        return self.catalog.documents()

    def scope(self, paths_: Sequence[str]) -> list[int] | None:
        if not paths_:
            return None
        ids: list[int] = []
        for p in paths_:
            target = str(Path(p).expanduser().absolute())
            ids.extend(d.id for d in self.catalog.documents(under=target) if d.status == "indexed")
        return ids

    def searcher(self) -> Searcher:
        self._check_embedder()
        if self._keyword_pool is None:
            self._keyword_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="docent-bm25")
        return Searcher(self.catalog, self.store, self.embedder, self.reranker(), self._keyword_pool)

    def reranker(self) -> Reranker | None:
        """The cross-encoder of settings.reranker, loaded once per path; None when none is set."""
        from docent.core.models.rerank import load_reranker

        spec = self.settings.reranker
        if self._reranker_spec != spec:
            self._reranker, self._reranker_spec = load_reranker(spec), spec
        return self._reranker

    def search_params(self) -> SearchParams:
        """The default search, re-ranked by the settings' cross-encoder when one is set."""
        return SearchParams(rerank=self.settings.rerank_candidates if self.settings.reranker else 0)

    def search(self, query: str, top_k: int = 5, scope: Sequence[str] = (), params: SearchParams | None = None) -> list[Hit]:
        return self.searcher().search(query, top_k, self.scope(scope), params or self.search_params())

    def ask(self, question: str, scope: Sequence[str] = (), cancel: CancelToken = NEVER,
            params: AskParams | None = None, mode: str = "auto") -> Iterator[AskEvent]:
        """`mode`: "answer" (top passages), "whole" (a whole-document task over the scope: summary,
        comparison or list, see core/answer/wholedoc.py), "auto" (whole when the question asks for one)."""
        from docent.core.answer import wholedoc

        s = self.settings
        if params is None:
            from docent.core.models.packaged import EMBEDDER_ID

            params = AskParams(sources=s.sources, max_answer_tokens=s.max_answer_tokens, search=self.search_params())
            if self.embedder.id != EMBEDDER_ID:  # the gate's thresholds were calibrated for the default
                params = params.lenient()
        kind = None if mode == "answer" else wholedoc.detect(question)
        if mode == "whole" and kind is None:
            kind = "list"  # every point of the documents that bears on the question
        events: Iterator[AskEvent] = (
            wholedoc.ask_whole(question, kind, self.catalog, self.searcher(), self.chat_model, params,
                               self.scope(scope), cancel)
            if kind is not None else ask(question, self.searcher(), self.chat_model, params, self.scope(scope), cancel)
        )
        for ev in events:
            if isinstance(ev, AnswerDone):
                ev = self._finish_answer(question, scope, ev)
            yield ev

    # ---- provenance and audit ------------------------------------------------------------------
    def _finish_answer(self, question: str, scope: Sequence[str], done: AnswerDone) -> AnswerDone:
        """Complete the answer's provenance (the model file's sha256, the scope) and write the audit
        record when the audit log is on."""
        from dataclasses import replace

        prov = done.provenance
        if prov is not None:
            path, quantization = prov.model_path, prov.quantization
            if path is None:  # declined before the model was loaded: the model that would have answered
                path, quantization = self._configured_model()
            sha = None
            if path is not None and "://" not in path:  # not a model on an office server
                try:
                    sha = self.model_sha256(Path(path))
                except OSError as exc:
                    log.warning("cannot hash the model file %s: %s", path, exc)
            prov = replace(prov, model_path=path, model_sha256=sha, quantization=quantization,
                           retrieval=dict(prov.retrieval, scope=[str(p) for p in scope]))
            done = replace(done, provenance=prov)
        if self.settings.audit_enabled:
            self._audit(question, scope, done, prov)
        return done

    def _configured_model(self) -> tuple[str | None, str | None]:
        from docent.core.models.gguf import read_gguf
        from docent.core.models.packaged import chat_model_path

        try:
            path = chat_model_path(self.settings.chat_model or None)
            return str(path), read_gguf(path).quantization
        except DocentError:
            return None, None

    def model_sha256(self, path: Path) -> str:
        """The sha256 of a model file, remembered per (path, size, mtime) in the library folder so
        that a large file is hashed once; a packaged model already verified (docent.core.models.packaged) is
        not hashed again."""
        from docent.core.models import packaged as models

        st = path.stat()
        key = f"{path}|{st.st_size}|{st.st_mtime_ns}"
        if key in self._hashes:
            return self._hashes[key]
        cache_file = self.dir / MODEL_HASHES_FILE
        cache = _read_json(cache_file)
        sha = cache.get(key) or _read_json(models._verified_cache()).get(key) or models.sha256_file(path)
        self._hashes[key] = sha
        if cache.get(key) != sha:
            cache[key] = sha
            try:
                tmp = cache_file.with_suffix(".tmp")
                tmp.write_text(json.dumps(cache, indent=1), encoding="utf-8")
                os.replace(tmp, cache_file)
            except OSError as exc:
                log.warning("cannot save the model hash cache %s: %s", cache_file, exc)
        return sha

    def _audit(self, question: str, scope: Sequence[str], done: AnswerDone, prov: Provenance | None) -> None:
        """One record per question; the model is named only when it was asked."""
        used = prov is not None and prov.model_used
        audit = AuditLog.of_library(self.dir, self.settings.audit_retention_days)
        try:
            audit.append(ask_record(
                question, str(self.dir), done.answered, done.cancelled, done.citations,
                prov.model_path if used and prov else None,
                prov.model_sha256 if used and prov else None,
                prov.quantization if used and prov else None,
                (prov.embedder if prov else "") or self.recorded_embedder(),
                len(prov.passages) if used and prov else 0, scope,
            ))
        except (OSError, ValueError) as exc:
            log.error("the audit record of a question could not be written in %s: %s", audit.folder, exc)

    def audit_log(self) -> AuditLog:
        return AuditLog.of_library(self.dir, self.settings.audit_retention_days)

    def close(self) -> None:
        if self._keyword_pool is not None:
            self._keyword_pool.shutdown(wait=True)
            self._keyword_pool = None
        if self._model is not None:
            self._model.close()
            self._model = None
        if self._store is not None:
            self._store.close()
            self._store = None
        self.catalog.close()
        self._lock.release()

    def __enter__(self) -> "Library":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _read_json(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


class _NoEmbedder:
    """Stands in where only deletions happen (recovery, removal): no model is loaded for them."""

    id = ""
    dim = 0
    max_tokens = 0

    def embed(self, texts: Sequence[str]) -> object:  # pragma: no cover - never called
        raise RuntimeError("no embedder needed here")

    embed_query = embed
    token_spans = embed

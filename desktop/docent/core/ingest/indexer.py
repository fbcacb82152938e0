"""Incremental indexing: sync(files and folders) → a stream of progress events.

For each file: unchanged (same size and mtime as catalogued, same embedder and chunker) → nothing;
same content under a new path → the catalog row moves, no embedding; otherwise extract → chunk →
embed in batches → store. A document is 'indexed' only after all its chunks are in both stores.
Errors are per file: one bad file never stops the run.

An e-mail's attachments of supported kinds are documents of their own (types.attachment_path), linked
to the message by their `parent`: written with the message, replaced when it is read again, removed
and moved with it. The scan never sees them, so they are never 'gone'; only their message is judged.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any, Callable, Generator, Iterator, Sequence, cast

from docent.core.cancel import NEVER, CancelToken
from docent.core.storage.catalog import Catalog
from docent.core.ingest.chunking import ChunkParams, chunk_blocks
from docent.core.ingest.context import chunk_contexts, embedding_context
from docent.core.models.embedder import Embedder
from docent.core.ingest.extract import ExtractError
from docent.core.ingest.extract.worker import InlineExtractor, ProcessExtractor, default_extractor
from docent.core.ingest.removal import INTERRUPTED, Remover
from docent.core.ingest.scan import FileEntry, file_sha256, scan, stat_changed
from docent.core.storage.vectors import VectorStore
from docent.core.types import (
    ATTACHMENT_MARK,
    Attachment,
    Chunk,
    DocumentRecord,
    Extraction,
    FileDone,
    FileLeftOut,
    FileOcrProgress,
    FileProgress,
    FileStarted,
    IndexEvent,
    ScanDone,
    SyncDone,
    attachment_path,
)
from docent.errors import Cancelled, DocentError, write_failure

log = logging.getLogger(__name__)

DUPLICATE = "duplicate of "  # the reason of a file skipped as a copy of an indexed one, then its path

# Chunks embedded per step: the window's library lane switches to a question between steps, so a
# question asked while a big file is embedded waits for one batch at most (32: ~0.3 s on 2 cores).
EMBED_BATCH = 32


def outdated_note(n: int) -> str:
    """What the window and `docent index` say when a sync re-reads documents that did not change
    on disk, because they were indexed by an older Docent (another chunker) or another embedder."""
    return (f"{n:,} document{'s are' if n != 1 else ' is'} read again: {'they were' if n != 1 else 'it was'} "
            "indexed by an earlier version of Docent or with another embedding model. Everything stays "
            "searchable meanwhile.")


class Indexer:
    def __init__(
        self,
        catalog: Catalog,
        store: VectorStore | Callable[[], VectorStore],
        embedder: Embedder,
        params: ChunkParams,
        contextual: bool = True,
        extractor: ProcessExtractor | InlineExtractor | None = None,
    ) -> None:
        """`store`: the vector store, or how to open it: a sync that finds nothing to write (an
        unchanged tree) then never opens Chroma (about 2 s of a 10,000-file sync's start-up)."""
        self.catalog = catalog
        self._store: VectorStore | None = None if callable(store) else store
        self._open_store: Callable[[], VectorStore] | None = store if callable(store) else None
        self.embedder = embedder
        self._chunkers: dict[int, str] | None = None  # document id → chunker signature, per sync
        self.params = params
        self.contextual = contextual
        self._extractor = extractor

    @property
    def store(self) -> VectorStore:
        if self._store is None:
            assert self._open_store is not None
            self._store = self._open_store()
        return self._store

    # ---- public -------------------------------------------------------------------------------
    def sync(self, roots: Sequence[Path], cancel: CancelToken = NEVER, force: bool = False) -> Iterator[IndexEvent]:
        """Bring the index up to date with `roots`. A failed write to the library (a full disk, a
        folder gone read-only) stops the run with a LibraryNotWritable: what was being written is
        left marked as in flight, and the next open repairs it (`recover`), so a rerun resumes."""
        try:
            yield from self._sync(roots, cancel, force)
        except DocentError:
            raise
        except Exception as exc:
            failure = write_failure(exc, self.catalog.path.parent)
            if failure is None:
                raise
            raise failure from exc

    def _sync(self, roots: Sequence[Path], cancel: CancelToken, force: bool) -> Iterator[IndexEvent]:
        started = time.monotonic()
        self._chunkers = None
        left_out: list[tuple[str, str]] = []
        try:
            entries, covered = scan(roots, left_out, cancel=cancel)
        except Cancelled:  # cut short: what it did not reach is not gone, so nothing is removed
            yield SyncDone(0, 0, 0, 0, 0, 0, 0, 0, time.monotonic() - started, cancelled=True)
            return
        if any(ATTACHMENT_MARK in e.path for e in entries):  # a real file must never pass for an attachment
            left_out.extend((e.path, f"its path holds '{ATTACHMENT_MARK}', which Docent uses to name e-mail "
                                     "attachments: rename the folder to index it") for e in entries if ATTACHMENT_MARK in e.path)
            entries = [e for e in entries if ATTACHMENT_MARK not in e.path]
        for path, reason in left_out:
            log.info("left out %s: %s", path, reason)
            yield FileLeftOut(path, reason)
        on_disk = {e.path for e in entries}
        known: dict[str, DocumentRecord] = {}
        for prefix in covered:
            for doc in self.catalog.documents(under=prefix):
                if doc.parent is None:  # an attachment is not on disk: its message is judged instead
                    known[doc.path] = doc
        gone = [d for p, d in known.items() if p not in on_disk]
        todo: list[FileEntry] = []
        unchanged = outdated = 0
        for entry in entries:
            prior = known.get(entry.path)
            if not force and prior is not None and self._is_current(prior, entry):
                unchanged += 1
            else:
                todo.append(entry)
                if prior is not None and prior.status == "indexed" and not stat_changed(prior, entry):
                    outdated += 1
        if outdated and not force:
            log.info("%d documents were indexed by an older chunker or another embedder: re-indexing them", outdated)
        # A duplicate stands on its original: when the original changes or goes, the duplicate is
        # read again in this same sync, after the others, so that it is compared with what the
        # original now holds (else it stayed "duplicate of" a text no longer there until a later sync).
        changing = {e.path for e in todo} | {d.path for d in gone}
        queued = {e.path for e in todo}
        for entry in entries:
            prior = known.get(entry.path)
            if entry.path in queued or prior is None or prior.status != "skipped":
                continue
            if prior.reason.startswith(DUPLICATE) and prior.reason[len(DUPLICATE):] in changing:
                todo.append(entry)
                unchanged -= 1

        # Renames and moves: a vanished document whose content reappears under a new path. Only a
        # new file of the very size of a vanished one is hashed to find out (not every new file).
        renamed = 0
        gone_by_sha = {d.sha256: d for d in gone if d.status == "indexed" and d.sha256}
        gone_sizes = {d.size for d in gone_by_sha.values()}
        hashes: dict[str, str] = {}
        if gone_by_sha:
            still: list[FileEntry] = []
            for entry in todo:
                if entry.path in known or entry.size not in gone_sizes:
                    still.append(entry)
                    continue
                sha = self._hash(entry.path)
                if sha is None:
                    still.append(entry)
                    continue
                hashes[entry.path] = sha
                old = gone_by_sha.pop(sha, None)
                if old is not None and self._embedding_current(old):
                    self.catalog.move_document(old.id, entry.path, entry.mtime)
                    gone = [d for d in gone if d.id != old.id]
                    renamed += 1
                else:
                    still.append(entry)
            todo = still

        if gone or todo:
            # Open the vectors now, before they are written: opening repairs what an interrupted
            # run left half-done, and must not take this run's own document in flight for such a
            # one. (A rename is the catalog's alone: a sync that only found moved files never opens them.)
            self.store  # noqa: B018 - the property opens the store
        for doc in gone:
            self.remove_document(doc)
        yield ScanDone(len(entries), len(todo), unchanged, len(gone), renamed, 0 if force else outdated)

        counts = {"indexed": 0, "skipped": 0, "failed": 0}
        pages = chunks = 0
        cancelled = False
        own_extractor = self._extractor is None and bool(todo)
        if own_extractor:
            self._extractor = default_extractor(cancel)  # a cancel stops a long read (OCR) at once
        try:
            for i, entry in enumerate(todo, start=1):
                if cancel.cancelled:
                    cancelled = True
                    break
                yield FileStarted(entry.path, i, len(todo))
                outcome: FileDone | None = None
                following = todo[i].path if i < len(todo) else None
                events = self._index_file(entry, hashes.get(entry.path), cancel, i, len(todo), force, following)
                for event in events:
                    if isinstance(event, FileDone):
                        outcome = event
                    else:
                        yield event
                if outcome is None:  # cancelled inside the file
                    cancelled = True
                    break
                if outcome.status in counts:
                    counts[outcome.status] += 1
                pages += outcome.pages
                chunks += outcome.chunks
                yield outcome
        finally:
            if own_extractor and self._extractor is not None:
                self._extractor.close()
                self._extractor = None
        yield SyncDone(
            indexed=counts["indexed"],
            skipped=counts["skipped"],
            failed=counts["failed"],
            unchanged=unchanged,
            removed=len(gone),
            renamed=renamed,
            pages=pages,
            chunks=chunks,
            seconds=time.monotonic() - started,
            cancelled=cancelled,
        )

    def remove_document(self, doc: DocumentRecord) -> None:
        """Forget one document (docent.core.ingest.removal: vectors first, then the catalog row)."""
        Remover(self.catalog, self.store).remove_document(doc)

    def recover(self) -> int:
        """Finish or undo work a killed run left behind (docent.core.ingest.removal)."""
        return Remover(self.catalog, self.store).recover()

    # ---- internals ----------------------------------------------------------------------------
    def _embedding_current(self, doc: DocumentRecord) -> bool:
        return doc.embedder_id == self.embedder.id

    def _is_current(self, doc: DocumentRecord, entry: FileEntry) -> bool:
        if stat_changed(doc, entry):
            return False
        if doc.status == "indexed":
            return self._embedding_current(doc) and self._chunker(doc) == self.params.signature
        if doc.status == "skipped" and doc.reason.startswith(DUPLICATE):
            original = doc.reason[len(DUPLICATE) :]
            return any(d.path == original for d in self.catalog.indexed_by_sha(doc.sha256))
        return doc.status in ("skipped", "failed")

    def _chunker(self, doc: DocumentRecord) -> str:
        if self._chunkers is None:  # read once per sync: one query, not one per document
            self._chunkers = {int(r[0]): r[1] for r in self.catalog.rows("SELECT id, chunker FROM documents")}
        return self._chunkers.get(doc.id, "")

    @staticmethod
    def _hash(path: str) -> str | None:
        try:
            return file_sha256(path)
        except OSError:
            return None

    def _index_file(
        self, entry: FileEntry, sha: str | None, cancel: CancelToken, i: int, total: int, force: bool = False,
        following: str | None = None,
    ) -> Iterator[IndexEvent]:
        path = entry.path

        def done(status: str, reason: str, pages: int = 0, chunks: int = 0) -> FileDone:
            return FileDone(path, status, reason, pages, chunks, i, total)  # type: ignore[arg-type]

        try:
            st = os.stat(path)
            sha = sha or file_sha256(path)
        except FileNotFoundError:
            old = self.catalog.document(path)
            if old:
                self.remove_document(old)
            yield done("failed", "the file disappeared before it could be read")
            return
        except PermissionError:
            self._record(path, entry.size, entry.mtime, "", "failed", "permission denied")
            yield done("failed", "permission denied")
            return
        except OSError as exc:
            reason = f"cannot read the file ({exc.strerror or exc})"
            self._record(path, entry.size, entry.mtime, "", "failed", reason)
            yield done("failed", reason)
            return

        old = self.catalog.document(path)
        if not force and old is not None and old.status == "indexed" and old.sha256 == sha and self._embedding_current(old) \
                and self._chunker(old) == self.params.signature:
            self.catalog.touch(old.id, st.st_mtime)  # touched, not changed
            yield done("indexed", "", old.pages, 0)
            return
        twins = [d for d in self.catalog.indexed_by_sha(sha) if d.path != path]
        if twins:
            reason = f"duplicate of {twins[0].path}"
            if old is not None and old.status == "indexed":
                self.store.delete_document(old.id)
            self._record(path, st.st_size, st.st_mtime, sha, "skipped", reason)
            yield done("skipped", reason)
            return

        extractor = self._extractor or InlineExtractor()
        try:
            extraction = yield from _read(extractor, path)  # OCR progress of a scan, if any, on the way
        except Cancelled:  # while the worker was reading: the file stays as it was, for the next run
            return
        except ExtractError as exc:
            if old is not None:
                self.store.delete_document(old.id)
            self._record(path, st.st_size, st.st_mtime, sha, exc.status, exc.reason)
            yield done(exc.status, exc.reason)
            return
        except FileNotFoundError:
            if old is not None:
                self.remove_document(old)
            yield done("failed", "the file disappeared while it was being read")
            return
        except MemoryError:
            self._record(path, st.st_size, st.st_mtime, sha, "failed", "too large to read in memory")
            yield done("failed", "too large to read in memory")
            return
        except Exception as exc:  # a parser bug on a strange file must not stop the run
            reason = f"could not be read ({type(exc).__name__}: {str(exc)[:120]})"
            log.warning("extracting %s failed", path, exc_info=True)
            if old is not None:
                self.store.delete_document(old.id)
            self._record(path, st.st_size, st.st_mtime, sha, "failed", reason)
            yield done("failed", reason)
            return

        if following is not None:
            extractor.submit(following)  # read the next file while this one is embedded
        # a step of its own ends here and after chunking: the window's lane can give a question
        # its turn between reading, chunking and each embedding batch (fairness)
        yield FileProgress(path, 0, extraction.pages, 0)
        title = _title(path, extraction.blocks)
        chunks = chunk_blocks(extraction.blocks, self.embedder.token_spans, self.params, doc_key=sha)
        if not chunks:
            self._record(path, st.st_size, st.st_mtime, sha, "skipped", "no text", extraction.pages)
            yield done("skipped", "no text", extraction.pages)
            return
        contexts = chunk_contexts(title, extraction.blocks, chunks)
        yield FileProgress(path, 0, extraction.pages, 0)

        # Embed everything first (the message and its attachments), then write: a document indexed
        # before (a re-index after a chunker or embedder change) stays searchable with its old
        # passages until the new ones are all embedded, and a cancel or a kill while embedding
        # leaves it exactly as it was.
        vectors = yield from self._embed(path, title, chunks, extraction.pages, cancel)
        if vectors is None:
            return  # nothing written: the document stays as it was, for the next run
        attached: list[tuple[Attachment, str, list[Chunk], list[str], list[Any]]] = []
        for att in extraction.attachments:
            a_title, a_chunks, a_contexts, a_vectors = "", [], [], []
            if att.extraction is not None:
                a_title = f"{att.name}, {att.about}"  # names the message in its context line
                a_key = f"{sha}|{att.n}|{att.sha256}"  # its own chunk ids, even for a copy of a file
                a_chunks = chunk_blocks(att.extraction.blocks, self.embedder.token_spans, self.params, doc_key=a_key)
                a_contexts = chunk_contexts(a_title, att.extraction.blocks, a_chunks)
                embedded = yield from self._embed(path, a_title, a_chunks, extraction.pages, cancel)
                if embedded is None:
                    return
                a_vectors = embedded
            attached.append((att, a_title, a_chunks, a_contexts, a_vectors))
        # The message stays 'indexing' until its attachments are written: a kill meanwhile leaves it
        # for `recover`, and the next run reads it (and them) again.
        doc_id = self.catalog.begin_document(path, st.st_size, st.st_mtime, sha)
        self._write(doc_id, chunks, contexts, vectors)
        kept = set()
        for att, a_title, a_chunks, a_contexts, a_vectors in attached:
            a_path = attachment_path(path, att.n, att.name)
            kept.add(a_path)
            a = att.extraction
            if a is None or not a_chunks:
                status, reason = (att.status, att.reason) if a is None else ("skipped", "no text")
                previous = self.catalog.document(a_path)
                if previous is not None and previous.status == "indexed":
                    self.store.delete_document(previous.id)
                self.catalog.record_outcome(a_path, att.size, st.st_mtime, att.sha256, status, reason,
                                            a.pages if a is not None else 0, parent=doc_id)
                continue
            a_id = self.catalog.begin_document(a_path, att.size, st.st_mtime, att.sha256, parent=doc_id)
            self._write(a_id, a_chunks, a_contexts, a_vectors)
            self.catalog.finish_document(a_id, pages=a.pages, chunks=len(a_chunks), embedder_id=self.embedder.id,
                                         chunker=self.params.signature, title=a_title,
                                         notes=_notes(a.empty_pages, a.warnings, a.pages))
        for child in self.catalog.attachments(doc_id):
            if child.path not in kept:  # the message changed: an attachment it no longer has
                self.remove_document(child)
        notes = _notes(extraction.empty_pages, extraction.warnings, extraction.pages)
        self.catalog.finish_document(
            doc_id,
            pages=extraction.pages,
            chunks=len(chunks),
            embedder_id=self.embedder.id,
            chunker=self.params.signature,
            title=title,
            notes=notes,
        )
        yield done("indexed", "", extraction.pages, len(chunks))

    def _embed(self, path: str, title: str, chunks: list[Chunk], pages_total: int,
               cancel: CancelToken) -> Generator[IndexEvent, None, list[Any] | None]:
        """The chunks' vectors, in batches (None when cancelled meanwhile), with progress."""
        vectors = []
        for start in range(0, len(chunks), EMBED_BATCH):
            if cancel.cancelled:
                return None
            batch = chunks[start : start + EMBED_BATCH]
            ctx = [embedding_context(title, ch) for ch in batch]  # the keyword index gets the chunk contexts
            texts = [f"{c}\n{ch.text}" if self.contextual and c else ch.text for c, ch in zip(ctx, batch)]
            vectors.append(self.embedder.embed(texts))
            yield FileProgress(path, batch[-1].page_end or 0, pages_total, start + len(batch))
        return vectors

    def _write(self, doc_id: int, chunks: list[Chunk], contexts: list[str], vectors: list[Any]) -> None:
        """A document's chunks into both stores (its old vectors dropped first)."""
        self.store.delete_document(doc_id)
        for n, start in enumerate(range(0, len(chunks), EMBED_BATCH)):
            batch = chunks[start : start + EMBED_BATCH]
            self.store.add([c.id for c in batch], vectors[n], doc_id)
            self.catalog.add_chunks(doc_id, batch, contexts[start : start + EMBED_BATCH])

    def _record(self, path: str, size: int, mtime: float, sha: str, status: str, reason: str, pages: int = 0) -> None:
        """A file that ends skipped or failed; a message's attachments go with its text."""
        doc_id = self.catalog.record_outcome(path, size, mtime, sha, status, reason, pages)
        for child in self.catalog.attachments(doc_id):
            self.remove_document(child)


def _title(path: str, blocks: Sequence[object]) -> str:
    return Path(path).stem.replace("_", " ").strip()


def _notes(empty_pages: list[int], warnings: list[str], pages: int) -> str:
    parts = []
    if empty_pages:
        shown = ", ".join(str(p) for p in empty_pages[:12]) + ("…" if len(empty_pages) > 12 else "")
        n = len(empty_pages)
        parts.append(f"{n} of {pages} pages {'has' if n == 1 else 'have'} no text (scanned?): "
                     f"page{'s' if n > 1 else ''} {shown}")
    parts.extend(warnings[:5])
    return "; ".join(parts)


def _read(extractor: object, path: str) -> Generator[FileOcrProgress, None, Extraction]:
    """The file's extraction, yielding OCR progress where the extractor reports it (the worker
    process does; reading inline does not)."""
    results = getattr(extractor, "results", None)
    if results is not None:
        return cast(Extraction, (yield from results(path)))
    return extractor.result(path)  # type: ignore[attr-defined,no-any-return]

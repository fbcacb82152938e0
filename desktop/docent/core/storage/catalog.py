"""The SQLite catalog: every document's state, every chunk's text and provenance, and the FTS5
keyword index over them. The only module that talks to SQLite, with catalog_schema.py beside it
(the tables, the migrations, opening the file); the keyword queries are built in keywords.py.

Crash safety: a document's chunk rows and its final status are written in one transaction; the
status 'indexing' marks work in flight, so a killed run leaves a trace the next open repairs.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from docent.core.storage import catalog_schema as schema
from docent.core.storage.catalog_schema import Tx, index_cjk
from docent.core.storage.keywords import STOPWORDS as STOPWORDS  # re-exported: answer.qa, tests/bench
from docent.core.storage.keywords import cjk_query as cjk_query
from docent.core.storage.keywords import cjk_terms as cjk_terms
from docent.core.storage.keywords import has_cjk as has_cjk
from docent.core.storage.keywords import discriminating, or_query, query_words, within_budget
from docent.core.storage.keywords import keyword_query as keyword_query
from docent.core.types import ATTACHMENT_MARK, Chunk, DocumentRecord

log = logging.getLogger(__name__)

STALE_KEY = "fts_replaced_since_optimize"  # passages replaced since the keyword index was last merged whole
REPLACED_SHARE = 0.05
REPLACED_FLOOR = 2000
REPLACED_MERGE_PAGES = 4
REPLACED_MERGE_CAP = 2000
BOUNDED_FROM = 50_000  # passages: from here on a keyword search keeps to POSTINGS_BUDGET
POSTINGS_BUDGET = 20_000  # passages holding the kept words, summed over the words (~25 ms of BM25 here)

_DOC_COLS = "id, path, size, mtime, sha256, status, reason, pages, chunks, embedder_id, indexed_at, parent"


def _doc(row: sqlite3.Row | tuple) -> DocumentRecord:  # type: ignore[type-arg]
    return DocumentRecord(*row)


class Catalog:
    def __init__(self, path: Path, key: bytes | None = None) -> None:
        """`key`: the 32-byte key of an encrypted library; the file (with its WAL journal) is then
        opened with SQLCipher, which encrypts every page. The SQL is the same either way."""
        self.path = path
        self._sql = schema.driver(key)
        self._db = schema.connect(self._sql, path, key)
        self._forgotten = False  # a document was forgotten: FTS5 segments still hold its terms
        self._replaced = 0  # passages dropped to be written anew (a changed file re-read)
        self._passages: int | None = None  # passage_count(), forgotten at every write of passages
        self._df_cache: dict[str, int] = {}  # term → passages holding it, until the next write
        self._vocab_lock = threading.Lock()  # the temporary tokenizer table is one per connection
        self._vocab_ready = False
        self._identities: tuple[object, dict[int, tuple[str, str]]] = (None, {})
        # views the layers above derive from document_identities() (the search's routing
        # directory), kept here because the catalog outlives each Searcher: key → (source, view)
        self.derived: dict[str, tuple[object, object]] = {}
        schema.prepare(self._db, path)  # migrations, tables, indexes (catalog_schema.py)

    def close(self) -> None:
        if self._forgotten:
            self.purge_deleted()
        elif self._replaced:
            self.tidy_replaced()
        self._db.close()

    def _fts_tables(self) -> list[str]:
        return [name for (name,) in self._db.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name IN ('chunks_fts', 'chunks_cjk')").fetchall()]

    def purge_deleted(self) -> None:
        """FTS5 marks deleted entries and drops them only when segments merge: merge everything
        ('optimize': its cost grows with the whole index, ~0.8 s at 100k passages) and fold the WAL
        back, so no term of a forgotten document stays in the file."""
        try:
            for name in self._fts_tables():
                self._db.execute(f"INSERT INTO {name}({name}) VALUES('optimize')")
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._forgotten = False
            self._replaced = 0
            schema.set_meta(self._db, STALE_KEY, "0")
        except self._sql.Error as exc:  # e.g. disk full: the deleted rows are unreachable anyway
            log.info("could not purge deleted text from the keyword index: %s", exc)

    def tidy_replaced(self) -> None:
        """After re-reading changed files (their old passages dropped, new ones written; nothing
        forgotten): a cost proportional to the change, not to the library. FTS5 merges a bounded
        amount of its segments ('merge', about REPLACED_MERGE_PAGES pages per passage replaced),
        and the whole index is merged only once the replaced passages add up to REPLACED_SHARE of
        it (counted across runs in the catalog's meta), so the index's dead weight stays bounded."""
        try:
            stale = int(schema.get_meta(self._db, STALE_KEY) or 0) + self._replaced
            if stale > max(REPLACED_FLOOR, REPLACED_SHARE * self.chunk_count()):
                self.purge_deleted()
                return
            pages = min(REPLACED_MERGE_CAP, REPLACED_MERGE_PAGES * self._replaced)
            for name in self._fts_tables():
                self._db.execute(f"INSERT INTO {name}({name}, rank) VALUES('merge', ?)", (pages,))
            schema.set_meta(self._db, STALE_KEY, str(stale))
            self._replaced = 0
        except self._sql.Error as exc:
            log.info("could not tidy the keyword index: %s", exc)

    # ---- meta ---------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        return schema.get_meta(self._db, key)

    def set_meta(self, key: str, value: str) -> None:
        schema.set_meta(self._db, key, value)

    # ---- documents ----------------------------------------------------------------------------
    def documents(self, under: str | None = None) -> list[DocumentRecord]:
        """Every document, or those at or under the path `under` (a folder's, a file's; a message's
        attachments are under the message)."""
        if under:
            prefix = under.rstrip("/") + "/"
            attached = under + ATTACHMENT_MARK
            rows = self._db.execute(
                f"SELECT {_DOC_COLS} FROM documents WHERE path = ? OR substr(path, 1, ?) = ? "
                "OR substr(path, 1, ?) = ? ORDER BY path",
                (under, len(prefix), prefix, len(attached), attached),
            )
        else:
            rows = self._db.execute(f"SELECT {_DOC_COLS} FROM documents ORDER BY path")
        return [_doc(r) for r in rows]

    def document(self, path: str) -> DocumentRecord | None:
        row = self._db.execute(f"SELECT {_DOC_COLS} FROM documents WHERE path=?", (path,)).fetchone()
        return _doc(row) if row else None

    def attachments(self, doc_id: int) -> list[DocumentRecord]:
        """The documents made of a message's attachments (types.attachment_path), in order."""
        rows = self._db.execute(f"SELECT {_DOC_COLS} FROM documents WHERE parent=? ORDER BY path", (doc_id,))
        return [_doc(r) for r in rows]

    def document_by_id(self, doc_id: int) -> DocumentRecord | None:
        row = self._db.execute(f"SELECT {_DOC_COLS} FROM documents WHERE id=?", (doc_id,)).fetchone()
        return _doc(row) if row else None

    def all_notes(self) -> dict[int, str]:
        """Every document's notes (what its reading noticed), in one query: document id → notes."""
        return {int(r[0]): r[1] or "" for r in self._db.execute("SELECT id, notes FROM documents")}

    def notes(self, doc_id: int) -> str:
        row = self._db.execute("SELECT notes FROM documents WHERE id=?", (doc_id,)).fetchone()
        return row[0] if row else ""

    def indexed_by_sha(self, sha256: str) -> list[DocumentRecord]:
        """Indexed files of this content (an attachment is its message's, never a file's original)."""
        rows = self._db.execute(
            f"SELECT {_DOC_COLS} FROM documents WHERE sha256=? AND status='indexed' AND parent IS NULL", (sha256,))
        return [_doc(r) for r in rows]

    def in_status(self, *statuses: str) -> list[DocumentRecord]:
        marks = ",".join("?" * len(statuses))
        rows = self._db.execute(f"SELECT {_DOC_COLS} FROM documents WHERE status IN ({marks})", statuses)
        return [_doc(r) for r in rows]

    def _reset(self, path: str, size: int, mtime: float, sha256: str, status: str, reason: str,
               pages: int, indexed_at: float | None, parent: int | None = None) -> int:
        """Insert or reset a document row, dropping its chunks (call inside a transaction).
        An existing row keeps its id (and its parent), so ids stay stable across re-indexing."""
        row = self._db.execute("SELECT id FROM documents WHERE path=?", (path,)).fetchone()
        if row is None:
            cur = self._db.execute(
                "INSERT INTO documents(path, size, mtime, sha256, status, reason, pages, indexed_at, parent) "
                "VALUES(?,?,?,?,?,?,?,?,?)",
                (path, size, mtime, sha256, status, reason, pages, indexed_at, parent),
            )
            return int(cur.lastrowid or 0)
        doc_id = int(row[0])
        dropped = self._db.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,)).rowcount
        self._passages = None
        self._replaced += max(0, dropped)
        self._db.execute(
            "UPDATE documents SET size=?, mtime=?, sha256=?, status=?, reason=?, notes='', pages=?, chunks=0, "
            "indexed_at=? WHERE id=?",
            (size, mtime, sha256, status, reason, pages, indexed_at, doc_id),
        )
        return doc_id

    def begin_document(self, path: str, size: int, mtime: float, sha256: str, parent: int | None = None) -> int:
        """Mark a document as being (re)indexed and drop its old chunks, in one transaction.
        `parent`: the message whose attachment it is."""
        with self._tx():
            return self._reset(path, size, mtime, sha256, "indexing", "", 0, None, parent)

    def add_chunks(self, doc_id: int, chunks: Sequence[Chunk], contexts: Sequence[str]) -> None:
        self._passages = None
        with self._tx():
            self._db.executemany(
                "INSERT OR REPLACE INTO chunks(id, doc_id, ordinal, context, text, page, page_end, location, heading, "
                "char_start, char_end, tokens) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (c.id, doc_id, c.ordinal, ctx, c.text, c.page, c.page_end, c.location, c.heading,
                     c.char_start, c.char_end, c.tokens)
                    for c, ctx in zip(chunks, contexts)
                ],
            )
            index_cjk(self._db, [c.id for c, ctx in zip(chunks, contexts) if has_cjk(c.text) or has_cjk(ctx)])

    def finish_document(self, doc_id: int, *, pages: int, chunks: int, embedder_id: str, chunker: str,
                        title: str, notes: str = "") -> None:
        with self._tx():
            self._db.execute(
                "UPDATE documents SET status='indexed', reason='', notes=?, pages=?, chunks=?, embedder_id=?, "
                "chunker=?, title=?, indexed_at=? WHERE id=?",
                (notes, pages, chunks, embedder_id, chunker, title, time.time(), doc_id),
            )

    def record_outcome(self, path: str, size: int, mtime: float, sha256: str, status: str, reason: str,
                       pages: int = 0, parent: int | None = None) -> int:
        """A document that ends skipped or failed: no chunks, a reason."""
        with self._tx():
            return self._reset(path, size, mtime, sha256, status, reason, pages, time.time(), parent)

    def move_document(self, doc_id: int, new_path: str, mtime: float) -> None:
        """The file moved to `new_path`; a message's attachments move with it."""
        with self._tx():
            row = self._db.execute("SELECT path FROM documents WHERE id=?", (doc_id,)).fetchone()
            self._db.execute("DELETE FROM documents WHERE path=? AND id<>?", (new_path, doc_id))
            self._db.execute("UPDATE documents SET path=?, mtime=? WHERE id=?", (new_path, mtime, doc_id))
            if row is not None:
                old = str(row[0])
                self._db.execute("UPDATE documents SET path = ? || substr(path, ?), mtime=? WHERE parent=?",
                                 (new_path, len(old) + 1, mtime, doc_id))

    def touch(self, doc_id: int, mtime: float) -> None:
        self._db.execute("UPDATE documents SET mtime=? WHERE id=?", (mtime, doc_id))

    def mark(self, doc_id: int, status: str) -> None:
        self._db.execute("UPDATE documents SET status=? WHERE id=?", (status, doc_id))

    def forget_vectors(self, doc_id: int) -> None:
        """The document's vectors are missing: the next sync embeds it again (its catalog entry,
        passages and keyword index stay, so nothing the user sees is lost meanwhile)."""
        self._db.execute("UPDATE documents SET embedder_id='' WHERE id=?", (doc_id,))

    def delete_document(self, doc_id: int) -> None:
        self._passages = None
        with self._tx():
            self._db.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))
            self._db.execute("DELETE FROM documents WHERE id=?", (doc_id,))
        self._forgotten = True

    # ---- chunks -------------------------------------------------------------------------------
    def chunk_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM chunks").fetchone()[0])

    def chunk_ids(self, doc_id: int | None = None) -> set[str]:
        if doc_id is None:
            return {r[0] for r in self._db.execute("SELECT id FROM chunks")}
        return {r[0] for r in self._db.execute("SELECT id FROM chunks WHERE doc_id=?", (doc_id,))}

    def chunks_by_ids(self, ids: Sequence[str]) -> dict[str, tuple]:  # type: ignore[type-arg]
        """id → (doc_id, path, ordinal, text, page, location, char_start, char_end, heading), indexed documents only."""
        out: dict[str, tuple] = {}  # type: ignore[type-arg]
        for start in range(0, len(ids), 500):
            part = list(ids[start : start + 500])
            marks = ",".join("?" * len(part))
            rows = self._db.execute(
                "SELECT c.id, c.doc_id, d.path, c.ordinal, c.text, c.page, c.location, c.char_start, c.char_end, c.heading "
                f"FROM chunks c JOIN documents d ON d.id=c.doc_id WHERE c.id IN ({marks}) AND d.status='indexed'",
                part,
            )
            for r in rows:
                out[r[0]] = tuple(r[1:])
        return out

    def neighbours(self, doc_id: int, ordinals: Iterable[int]) -> dict[int, tuple]:  # type: ignore[type-arg]
        ords = list(ordinals)
        if not ords:
            return {}
        marks = ",".join("?" * len(ords))
        rows = self._db.execute(
            f"SELECT ordinal, id, text, page, location, char_start, char_end FROM chunks WHERE doc_id=? AND ordinal IN ({marks})",
            [doc_id, *ords],
        )
        return {r[0]: tuple(r[1:]) for r in rows}

    def document_chunks(self, doc_id: int) -> list[tuple]:  # type: ignore[type-arg]
        """Every chunk of an indexed document, in order: (id, doc_id, path, ordinal, text, page,
        location, char_start, char_end, heading); [] for a document not indexed."""
        rows = self._db.execute(
            "SELECT c.id, c.doc_id, d.path, c.ordinal, c.text, c.page, c.location, c.char_start, c.char_end, c.heading "
            "FROM chunks c JOIN documents d ON d.id=c.doc_id WHERE c.doc_id=? AND d.status='indexed' ORDER BY c.ordinal",
            (doc_id,),
        )
        return [tuple(r) for r in rows]

    def keyword_search(self, query: str, limit: int, doc_ids: Sequence[int] | None = None,
                       reduce: float = 0.0) -> list[tuple[str, float]]:
        """BM25 over chunk text (and, weighted lower, its title/heading context). → [(chunk_id, bm25)]
        A question holding CJK searches the CJK bigram index, or the main one when that finds nothing.
        `reduce` > 0: a long question is searched with only its words found in at most that share
        of the passages, by the index's own document frequencies (keywords.discriminating)."""
        if has_cjk(query):
            found = self._keyword_search(cjk_query(query), limit, doc_ids, "chunks_cjk")
            if found:
                return found
        words = query_words(query)
        if reduce > 0 and len(words) > 1:
            n, df = self.document_frequencies(words)
            words = discriminating(words, df, n, common_share=reduce)
        elif len(words) > 1 and self.passage_count() > BOUNDED_FROM:
            # A large library: BM25 ranks every passage holding any of the words, so the cost grows
            # with the library; the question keeps its rarest words up to a budget of postings.
            _n, df = self.document_frequencies(words)
            words = within_budget(words, df, POSTINGS_BUDGET)
        return self._keyword_search(or_query(words), limit, doc_ids, "chunks_fts")

    def passage_count(self) -> int:
        """Passages in the keyword index (remembered; this connection is the library's only writer).
        A change of it also forgets the remembered document frequencies."""
        if self._passages is None:
            self._passages = int(self._db.execute("SELECT count(*) FROM chunks").fetchone()[0])
            self._df_cache = {}
        return self._passages

    def chunk_places(self, ids: Sequence[str]) -> dict[str, tuple[int, int, int | None]]:
        """Chunk id → (its document's id, its ordinal in the document, its page or None)."""
        out: dict[str, tuple[int, int, int | None]] = {}
        for i in range(0, len(ids), 500):
            part = list(ids[i : i + 500])
            out.update((r[0], (int(r[1]), int(r[2]), r[3])) for r in self._db.execute(
                f"SELECT id, doc_id, ordinal, page FROM chunks WHERE id IN ({','.join('?' * len(part))})", part))
        return out

    def document_identities(self) -> dict[int, tuple[str, str]]:
        """Every indexed document → (its path, what identifies it: its first passage's context line,
        i.e. title, name, period; ingest/context.py). Cached until a document is added or changes."""
        generation = tuple(self._db.execute(
            "SELECT count(*), max(indexed_at), max(id), sum(chunks) FROM documents WHERE status='indexed'").fetchone())
        if generation != self._identities[0]:
            rows = self._db.execute(
                "SELECT d.id, d.path, c.context FROM documents d JOIN chunks c "
                "ON c.doc_id = d.id AND c.ordinal = 0 WHERE d.status='indexed'")
            self._identities = (generation, {int(r[0]): (r[1], r[2]) for r in rows})
        return self._identities[1]

    def _vocab_table(self) -> None:
        """The temporary tables that read the keyword index's vocabulary (under `_vocab_lock`)."""
        if not self._vocab_ready:
            self._db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.query_tokens USING "
                             "fts5(t, tokenize='porter unicode61 remove_diacritics 2')")
            self._db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.query_tokens_v USING "
                             "fts5vocab(temp, query_tokens, 'instance')")
            self._db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.chunks_vocab USING "
                             "fts5vocab(main, chunks_fts, 'row')")
            self._vocab_ready = True

    def document_frequencies(self, words: Sequence[str]) -> tuple[int, list[int]]:
        """→ (passages in the keyword index, how many of them hold each word), read from the FTS5
        index's vocabulary; each word is tokenized (stemmed) by the index's own tokenizer first."""
        if not words:
            return 0, []
        try:
            with self._vocab_lock:
                self._vocab_table()
                tokens: dict[int, str] = {}
                for i, w in enumerate(words):  # one row per word: a word's first token is its term
                    self._db.execute("INSERT INTO temp.query_tokens(rowid, t) VALUES (?, ?)", (i + 1, w))
                for rowid, term in self._db.execute("SELECT doc, term FROM temp.query_tokens_v ORDER BY doc, offset"):
                    tokens.setdefault(int(rowid) - 1, term)
                self._db.execute("DELETE FROM temp.query_tokens")
            n = self.passage_count()  # first: a write since the last question forgets the cache
            cache = self._df_cache
            terms = sorted(set(tokens.values()) - set(cache))
            if terms:  # the index's vocabulary is read for the terms not seen since the last write
                found = dict(self._db.execute(
                    f"SELECT term, doc FROM temp.chunks_vocab WHERE term IN ({','.join('?' * len(terms))})", terms))
                for term in terms:
                    cache[term] = int(found.get(term, 0))
                if len(cache) > 50_000:
                    cache.clear()
            found = cache
        except self._sql.OperationalError:
            return 0, [0] * len(words)
        return int(n), [int(found.get(tokens.get(i, ""), 0)) for i in range(len(words))]

    def terms_starting(self, prefix: str, longest: int) -> list[str]:
        """The keyword index's terms (stemmed, lower case, without accents) that start with `prefix`
        and have at most `longest` letters: the near forms of a name the index does not hold as
        written ("india" for "Indian"). Empty when there is no keyword index to ask."""
        prefix = prefix.lower()
        if not prefix:
            return []
        try:
            with self._vocab_lock:
                self._vocab_table()
                rows = self._db.execute(
                    "SELECT term FROM temp.chunks_vocab WHERE term >= ? AND term < ? AND doc > 0",
                    (prefix, prefix + "\U0010ffff")).fetchall()
        except self._sql.OperationalError:
            return []
        return [str(t) for (t,) in rows if len(t) <= longest]

    def documents_holding(self, words: Sequence[str], doc_ids: Sequence[int]) -> list[set[int]] | None:
        """For each word (a name, "LLaMA-13B"), which of `doc_ids` hold it anywhere, as a phrase of
        the keyword index's tokens (stemmed as it stems). None: no keyword index to ask."""
        ids = sorted(set(doc_ids))
        if not ids:
            return [set() for _ in words]
        marks = ",".join("?" * len(ids))
        sql = (f"SELECT DISTINCT c.doc_id FROM chunks_fts f JOIN chunks c ON c.rowid = f.rowid "
               f"WHERE chunks_fts MATCH ? AND c.doc_id IN ({marks})")
        out: list[set[int]] = []
        try:
            for w in words:
                phrase = '"' + w.replace('"', " ") + '"'
                out.append({int(r[0]) for r in self._db.execute(sql, [phrase, *ids])})
        except self._sql.OperationalError:
            return None
        return out

    def _keyword_search(self, match: str, limit: int, doc_ids: Sequence[int] | None, fts: str) -> list[tuple[str, float]]:
        if not match or limit <= 0:
            return []
        try:
            if doc_ids is None:
                # Rank inside FTS5 first (its top-N sort needs no join), then join the few winners:
                # about 2x faster at 100k chunks than joining every match. Chunks of documents not
                # (yet) indexed are dropped after ranking, so over-fetch and fall back if too many go.
                fetch = limit * 2
                sql = (
                    f"SELECT c.id, f.score FROM (SELECT rowid, bm25({fts}, 0.5, 1.0) AS score "
                    f"FROM {fts} WHERE {fts} MATCH ? ORDER BY score LIMIT ?) f "
                    "JOIN chunks c ON c.rowid = f.rowid JOIN documents d ON d.id = c.doc_id "
                    "WHERE d.status='indexed' ORDER BY f.score LIMIT ?"
                )
                rows = self._db.execute(sql, (match, fetch, limit)).fetchall()
                if len(rows) == limit or not self._has_unindexed():
                    return [(r[0], float(r[1])) for r in rows]
            if doc_ids is not None and not doc_ids:
                return []
            sql = (
                f"SELECT c.id, bm25({fts}, 0.5, 1.0) AS score FROM {fts} "
                f"JOIN chunks c ON c.rowid = {fts}.rowid JOIN documents d ON d.id = c.doc_id "
                f"WHERE {fts} MATCH ? AND d.status='indexed'"
            )
            params: list[object] = [match]
            if doc_ids is not None:
                sql += f" AND c.doc_id IN ({','.join('?' * len(doc_ids))})"
                params.extend(doc_ids)
            sql += " ORDER BY score LIMIT ?"
            params.append(limit)
            return [(r[0], float(r[1])) for r in self._db.execute(sql, params)]
        except self._sql.OperationalError:
            return []

    def _has_unindexed(self) -> bool:
        """Whether any chunk belongs to a document that is not searchable (one being indexed now)."""
        sql = ("SELECT 1 FROM documents d WHERE d.status != 'indexed' "
               "AND EXISTS (SELECT 1 FROM chunks c WHERE c.doc_id = d.id) LIMIT 1")
        return self._db.execute(sql).fetchone() is not None

    # ---- transactions -------------------------------------------------------------------------
    def _tx(self) -> Tx:
        return Tx(self._db)

    def integrity_ok(self) -> bool:
        try:
            return bool(self._db.execute("PRAGMA quick_check").fetchone()[0] == "ok")
        except self._sql.DatabaseError:
            return False

    def rows(self, sql: str, params: Sequence[object] = ()) -> Iterator[tuple]:  # type: ignore[type-arg]
        yield from self._db.execute(sql, params)


"""The SQLite catalog: every document's state, every chunk's text and provenance, and the FTS5
keyword index over them. The only module that talks to SQLite.

Crash safety: a document's chunk rows and its final status are written in one transaction; the
status 'indexing' marks work in flight, so a killed run leaves a trace the next open repairs.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import time
import unicodedata
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from docent.core.types import Chunk, DocumentRecord

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
# Ordered migrations: MIGRATIONS[n] is the SQL that turns a version-n catalog into version n+1. Each
# runs in one transaction with its version bump, so a crash leaves the catalog at n or at n+1.
MIGRATIONS: dict[int, str] = {}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents(
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL DEFAULT 0,
    mtime REAL NOT NULL DEFAULT 0,
    sha256 TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    pages INTEGER NOT NULL DEFAULT 0,
    chunks INTEGER NOT NULL DEFAULT 0,
    embedder_id TEXT NOT NULL DEFAULT '',
    chunker TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL DEFAULT '',
    indexed_at REAL
);
CREATE INDEX IF NOT EXISTS documents_sha ON documents(sha256);
CREATE TABLE IF NOT EXISTS chunks(
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    doc_id INTEGER NOT NULL REFERENCES documents(id),
    ordinal INTEGER NOT NULL,
    context TEXT NOT NULL,
    text TEXT NOT NULL,
    page INTEGER,
    page_end INTEGER,
    location TEXT NOT NULL,
    heading TEXT NOT NULL,
    char_start INTEGER NOT NULL,
    char_end INTEGER NOT NULL,
    tokens INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_doc ON chunks(doc_id, ordinal);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    context, text, content='chunks', content_rowid='rowid',
    tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER IF NOT EXISTS chunks_ai AFTER INSERT ON chunks BEGIN
    INSERT INTO chunks_fts(rowid, context, text) VALUES (new.rowid, new.context, new.text);
END;
CREATE TRIGGER IF NOT EXISTS chunks_ad AFTER DELETE ON chunks BEGIN
    INSERT INTO chunks_fts(chunks_fts, rowid, context, text) VALUES ('delete', old.rowid, old.context, old.text);
END;
"""

# Chinese, Japanese and Korean have no spaces between words, so unicode61 makes one token of a whole
# clause and BM25 finds nothing (XQuAD zh: recall@1 0.09). Chunks holding CJK text are also indexed
# here with each CJK run split into overlapping character bigrams (the classic CJK indexing unit),
# and a question holding CJK searches this index. Other text never comes here.
_CJK_SCHEMA = """
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_cjk USING fts5(context, text, tokenize='unicode61 remove_diacritics 2');
CREATE TRIGGER IF NOT EXISTS chunks_cjk_ad AFTER DELETE ON chunks BEGIN
    DELETE FROM chunks_cjk WHERE rowid = old.rowid;
END;
"""

# Words too common to help a keyword search (English; other languages are kept whole).
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below
    between both but by can could did do does doing down during each few for from further had has have
    having he her here hers herself him himself his how i if in into is it its itself just me more most my
    myself no nor not of off on once only or other our ours ourselves out over own same she should so some
    such than that the their theirs them themselves then there these they this those through to too under
    until up very was we were what when where which while who whom why will with would you your yours
    yourself yourselves what's whats did does many much name named called one also""".split()
)
_WORD = re.compile(r"\w+", re.UNICODE)

_DOC_COLS = "id, path, size, mtime, sha256, status, reason, pages, chunks, embedder_id, indexed_at"


def _doc(row: sqlite3.Row | tuple) -> DocumentRecord:  # type: ignore[type-arg]
    return DocumentRecord(*row)


def keyword_query(text: str) -> str:
    """A question → an FTS5 OR-query of its content words, each quoted (no syntax injection)."""
    words = []
    seen = set()
    for w in _WORD.findall(unicodedata.normalize("NFKC", text).lower()):
        if w in STOPWORDS or w in seen or (len(w) < 2 and not w.isdigit()):
            continue
        seen.add(w)
        words.append('"' + w.replace('"', "") + '"')
    return " OR ".join(words[:64])


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]+")


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


def _bigrams(run: str) -> list[str]:
    return [run] if len(run) < 2 else [run[i : i + 2] for i in range(len(run) - 1)]


def cjk_terms(text: str) -> str:
    """Text for the CJK index: each CJK run becomes its overlapping bigrams, the rest is kept."""
    text = unicodedata.normalize("NFKC", text)
    return _CJK.sub(lambda m: " " + " ".join(_bigrams(m.group())) + " ", text)


def cjk_query(text: str) -> str:
    """A question holding CJK → an FTS5 OR-query of its CJK bigrams and its other content words."""
    text = unicodedata.normalize("NFKC", text).lower()
    terms = [b for m in _CJK.finditer(text) for b in _bigrams(m.group())]
    terms += [w for w in _WORD.findall(_CJK.sub(" ", text)) if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]
    unique = list(dict.fromkeys(terms))
    return " OR ".join('"' + t.replace('"', "") + '"' for t in unique[:64])


def _driver(key: bytes | None) -> Any:
    """The DB-API module: sqlite3, or SQLCipher's build of it for an encrypted library."""
    if key is None:
        return sqlite3
    import importlib

    try:
        return importlib.import_module("sqlcipher3.dbapi2")
    except ImportError as exc:
        from docent.errors import StoreError

        raise StoreError("this library is encrypted but SQLCipher is not installed: "
                         "pip install 'sqlcipher3>=0.6.4' in Docent's environment.") from exc


class Catalog:
    def __init__(self, path: Path, key: bytes | None = None) -> None:
        """`key`: the 32-byte key of an encrypted library; the file (with its WAL journal) is then
        opened with SQLCipher, which encrypts every page. The SQL is the same either way."""
        self.path = path
        self._sql = _driver(key)
        self._db = self._sql.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
        if key is not None:
            self._db.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        # Deleted rows are overwritten, not left in free pages: "remove" must leave no copy of a text.
        self._db.execute("PRAGMA secure_delete=ON")
        self._forgotten = False  # chunks were deleted: FTS5 segments still hold their terms
        self._migrate()
        self._db.executescript(_SCHEMA)
        self._cjk_index()
        if self.get_meta("schema_version") is None:
            self.set_meta("schema_version", str(SCHEMA_VERSION))

    def _migrate(self) -> None:
        """Bring an older catalog up to this version; refuse one written by a newer Docent (after a
        downgrade) rather than change it under that version's feet."""
        if not self._db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone():
            return  # a new library
        found = int(self.get_meta("schema_version") or SCHEMA_VERSION)
        if found > SCHEMA_VERSION:
            self._db.close()
            from docent.errors import StoreError

            raise StoreError(
                f"this library was written by a newer version of Docent (its catalog is version {found}; this "
                f"Docent reads up to version {SCHEMA_VERSION}). Install that version or a newer one to open it; "
                "nothing in the library was changed."
            )
        while found < SCHEMA_VERSION:
            log.info("upgrading the catalog %s from version %d to %d", self.path, found, found + 1)
            self._db.executescript(
                f"BEGIN IMMEDIATE;\n{MIGRATIONS[found]}\n"
                "INSERT INTO meta(key, value) VALUES('schema_version', "
                f"'{found + 1}') ON CONFLICT(key) DO UPDATE SET value=excluded.value;\nCOMMIT;"
            )
            found += 1

    def close(self) -> None:
        if self._forgotten:
            self.purge_deleted()
        self._db.close()

    def purge_deleted(self) -> None:
        """FTS5 marks deleted entries and drops them only when segments merge: merge everything
        ('optimize', 0.8 s at 100k chunks) and fold the WAL back, so no term of a removed text stays."""
        try:
            for (name,) in self._db.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name IN ('chunks_fts', 'chunks_cjk')"
            ).fetchall():
                self._db.execute(f"INSERT INTO {name}({name}) VALUES('optimize')")
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self._forgotten = False
        except self._sql.Error as exc:  # e.g. disk full: the deleted rows are unreachable anyway
            log.info("could not purge deleted text from the keyword index: %s", exc)

    # ---- meta ---------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value", (key, value))

    # ---- documents ----------------------------------------------------------------------------
    def documents(self, under: str | None = None) -> list[DocumentRecord]:
        if under:
            prefix = under.rstrip("/") + "/"
            rows = self._db.execute(
                f"SELECT {_DOC_COLS} FROM documents WHERE path = ? OR substr(path, 1, ?) = ? ORDER BY path",
                (under, len(prefix), prefix),
            )
        else:
            rows = self._db.execute(f"SELECT {_DOC_COLS} FROM documents ORDER BY path")
        return [_doc(r) for r in rows]

    def document(self, path: str) -> DocumentRecord | None:
        row = self._db.execute(f"SELECT {_DOC_COLS} FROM documents WHERE path=?", (path,)).fetchone()
        return _doc(row) if row else None

    def document_by_id(self, doc_id: int) -> DocumentRecord | None:
        row = self._db.execute(f"SELECT {_DOC_COLS} FROM documents WHERE id=?", (doc_id,)).fetchone()
        return _doc(row) if row else None

    def notes(self, doc_id: int) -> str:
        row = self._db.execute("SELECT notes FROM documents WHERE id=?", (doc_id,)).fetchone()
        return row[0] if row else ""

    def indexed_by_sha(self, sha256: str) -> list[DocumentRecord]:
        rows = self._db.execute(f"SELECT {_DOC_COLS} FROM documents WHERE sha256=? AND status='indexed'", (sha256,))
        return [_doc(r) for r in rows]

    def in_status(self, *statuses: str) -> list[DocumentRecord]:
        marks = ",".join("?" * len(statuses))
        rows = self._db.execute(f"SELECT {_DOC_COLS} FROM documents WHERE status IN ({marks})", statuses)
        return [_doc(r) for r in rows]

    def _reset(self, path: str, size: int, mtime: float, sha256: str, status: str, reason: str,
               pages: int, indexed_at: float | None) -> int:
        """Insert or reset a document row, dropping its chunks (call inside a transaction).
        An existing row keeps its id, so ids stay stable across re-indexing."""
        row = self._db.execute("SELECT id FROM documents WHERE path=?", (path,)).fetchone()
        if row is None:
            cur = self._db.execute(
                "INSERT INTO documents(path, size, mtime, sha256, status, reason, pages, indexed_at) "
                "VALUES(?,?,?,?,?,?,?,?)",
                (path, size, mtime, sha256, status, reason, pages, indexed_at),
            )
            return int(cur.lastrowid or 0)
        doc_id = int(row[0])
        self._db.execute("DELETE FROM chunks WHERE doc_id=?", (doc_id,))
        self._forgotten = True
        self._db.execute(
            "UPDATE documents SET size=?, mtime=?, sha256=?, status=?, reason=?, notes='', pages=?, chunks=0, "
            "indexed_at=? WHERE id=?",
            (size, mtime, sha256, status, reason, pages, indexed_at, doc_id),
        )
        return doc_id

    def begin_document(self, path: str, size: int, mtime: float, sha256: str) -> int:
        """Mark a document as being (re)indexed and drop its old chunks, in one transaction."""
        with self._tx():
            return self._reset(path, size, mtime, sha256, "indexing", "", 0, None)

    def add_chunks(self, doc_id: int, chunks: Sequence[Chunk], contexts: Sequence[str]) -> None:
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
            self._index_cjk([c.id for c, ctx in zip(chunks, contexts) if has_cjk(c.text) or has_cjk(ctx)])

    def _cjk_index(self) -> None:
        """Create the CJK side index; a library made before it existed gets its CJK chunks indexed once."""
        existed = self._db.execute("SELECT 1 FROM sqlite_master WHERE name='chunks_cjk'").fetchone() is not None
        self._db.executescript(_CJK_SCHEMA)
        if not existed:
            with self._tx():
                self._index_cjk([r[0] for r in self._db.execute("SELECT id, context, text FROM chunks")
                                 if has_cjk(r[1]) or has_cjk(r[2])])

    def _index_cjk(self, chunk_ids: Sequence[str]) -> None:
        for start in range(0, len(chunk_ids), 500):
            part = list(chunk_ids[start : start + 500])
            rows = self._db.execute(
                f"SELECT rowid, context, text FROM chunks WHERE id IN ({','.join('?' * len(part))})", part
            ).fetchall()
            self._db.executemany(
                "INSERT OR REPLACE INTO chunks_cjk(rowid, context, text) VALUES(?,?,?)",
                [(rowid, cjk_terms(ctx), cjk_terms(text)) for rowid, ctx, text in rows],
            )

    def finish_document(self, doc_id: int, *, pages: int, chunks: int, embedder_id: str, chunker: str,
                        title: str, notes: str = "") -> None:
        with self._tx():
            self._db.execute(
                "UPDATE documents SET status='indexed', reason='', notes=?, pages=?, chunks=?, embedder_id=?, "
                "chunker=?, title=?, indexed_at=? WHERE id=?",
                (notes, pages, chunks, embedder_id, chunker, title, time.time(), doc_id),
            )

    def record_outcome(self, path: str, size: int, mtime: float, sha256: str, status: str, reason: str,
                       pages: int = 0) -> int:
        """A document that ends skipped or failed: no chunks, a reason."""
        with self._tx():
            return self._reset(path, size, mtime, sha256, status, reason, pages, time.time())

    def move_document(self, doc_id: int, new_path: str, mtime: float) -> None:
        with self._tx():
            self._db.execute("DELETE FROM documents WHERE path=? AND id<>?", (new_path, doc_id))
            self._db.execute("UPDATE documents SET path=?, mtime=? WHERE id=?", (new_path, mtime, doc_id))

    def touch(self, doc_id: int, mtime: float) -> None:
        self._db.execute("UPDATE documents SET mtime=? WHERE id=?", (mtime, doc_id))

    def mark(self, doc_id: int, status: str) -> None:
        self._db.execute("UPDATE documents SET status=? WHERE id=?", (status, doc_id))

    def forget_vectors(self, doc_id: int) -> None:
        """The document's vectors are missing: the next sync embeds it again (its catalog entry,
        passages and keyword index stay, so nothing the user sees is lost meanwhile)."""
        self._db.execute("UPDATE documents SET embedder_id='' WHERE id=?", (doc_id,))

    def delete_document(self, doc_id: int) -> None:
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

    def keyword_search(self, query: str, limit: int, doc_ids: Sequence[int] | None = None) -> list[tuple[str, float]]:
        """BM25 over chunk text (and, weighted lower, its title/heading context). → [(chunk_id, bm25)]
        A question holding CJK searches the CJK bigram index, or the main one when that finds nothing."""
        if has_cjk(query):
            found = self._keyword_search(cjk_query(query), limit, doc_ids, "chunks_cjk")
            if found:
                return found
        return self._keyword_search(keyword_query(query), limit, doc_ids, "chunks_fts")

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
    def _tx(self) -> "_Tx":
        return _Tx(self._db)

    def integrity_ok(self) -> bool:
        try:
            return bool(self._db.execute("PRAGMA quick_check").fetchone()[0] == "ok")
        except self._sql.DatabaseError:
            return False

    def rows(self, sql: str, params: Sequence[object] = ()) -> Iterator[tuple]:  # type: ignore[type-arg]
        yield from self._db.execute(sql, params)


class _Tx:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.db.execute("COMMIT")
        else:
            self.db.execute("ROLLBACK")

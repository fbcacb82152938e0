"""The catalog's tables and how a catalog file is opened: the SQLite (or SQLCipher) connection and
its pragmas, the schema with its FTS5 keyword indexes, the ordered migrations that bring an older
catalog up to this version, and the one transaction helper. Split from catalog.py, which holds the
queries; this module owns what the file looks like.

Crash safety: each migration runs in one transaction with its version bump, so a crash leaves the
catalog at version n or at n+1.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any, Sequence

from docent.core.storage.keywords import cjk_terms, has_cjk

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2
# Ordered migrations: MIGRATIONS[n] is the SQL that turns a version-n catalog into version n+1. Each
# runs in one transaction with its version bump, so a crash leaves the catalog at n or at n+1.
MIGRATIONS: dict[int, str] = {
    # 1 → 2: an e-mail's attachments are documents of their own; `parent` is their message's id
    1: "ALTER TABLE documents ADD COLUMN parent INTEGER;",
}

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
    indexed_at REAL,
    parent INTEGER
);
CREATE INDEX IF NOT EXISTS documents_sha ON documents(sha256);
CREATE INDEX IF NOT EXISTS documents_parent ON documents(parent) WHERE parent IS NOT NULL;
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


def driver(key: bytes | None) -> Any:
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


def connect(sql: Any, path: Path, key: bytes | None) -> Any:
    """Open the catalog file with `sql` (see `driver`) and set its pragmas; with a `key`, SQLCipher
    encrypts every page of the file and its WAL journal."""
    db = sql.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
    if key is not None:
        db.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA foreign_keys=ON")
    # Deleted rows are overwritten, not left in free pages: "remove" must leave no copy of a text.
    db.execute("PRAGMA secure_delete=ON")
    return db


def get_meta(db: Any, key: str) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
    return row[0] if row else None


def set_meta(db: Any, key: str, value: str) -> None:
    db.execute("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
               (key, value))


def prepare(db: Any, path: Path) -> None:
    """Migrate an older catalog, create whatever is missing (a new library: everything) and record
    the schema version of a new one."""
    migrate(db, path)
    db.executescript(_SCHEMA)
    _cjk_index(db)
    if get_meta(db, "schema_version") is None:
        set_meta(db, "schema_version", str(SCHEMA_VERSION))


def migrate(db: Any, path: Path) -> None:
    """Bring an older catalog up to this version; refuse one written by a newer Docent (after a
    downgrade) rather than change it under that version's feet."""
    if not db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone():
        return  # a new library
    found = int(get_meta(db, "schema_version") or SCHEMA_VERSION)
    if found > SCHEMA_VERSION:
        db.close()
        from docent.errors import StoreError

        raise StoreError(
            f"this library was written by a newer version of Docent (its catalog is version {found}; this "
            f"Docent reads up to version {SCHEMA_VERSION}). Install that version or a newer one to open it; "
            "nothing in the library was changed."
        )
    while found < SCHEMA_VERSION:
        log.info("upgrading the catalog %s from version %d to %d", path, found, found + 1)
        db.executescript(
            f"BEGIN IMMEDIATE;\n{MIGRATIONS[found]}\n"
            "INSERT INTO meta(key, value) VALUES('schema_version', "
            f"'{found + 1}') ON CONFLICT(key) DO UPDATE SET value=excluded.value;\nCOMMIT;"
        )
        found += 1


def _cjk_index(db: Any) -> None:
    """Create the CJK side index; a library made before it existed gets its CJK chunks indexed once."""
    existed = db.execute("SELECT 1 FROM sqlite_master WHERE name='chunks_cjk'").fetchone() is not None
    db.executescript(_CJK_SCHEMA)
    if not existed:
        with Tx(db):
            index_cjk(db, [r[0] for r in db.execute("SELECT id, context, text FROM chunks")
                           if has_cjk(r[1]) or has_cjk(r[2])])


def index_cjk(db: Any, chunk_ids: Sequence[str]) -> None:
    """Add these chunks to the CJK side index, as bigrams (call inside a transaction)."""
    for start in range(0, len(chunk_ids), 500):
        part = list(chunk_ids[start : start + 500])
        rows = db.execute(
            f"SELECT rowid, context, text FROM chunks WHERE id IN ({','.join('?' * len(part))})", part
        ).fetchall()
        db.executemany(
            "INSERT OR REPLACE INTO chunks_cjk(rowid, context, text) VALUES(?,?,?)",
            [(rowid, cjk_terms(ctx), cjk_terms(text)) for rowid, ctx, text in rows],
        )


class Tx:
    """`with Tx(db):` one IMMEDIATE transaction, committed, or rolled back on an exception."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.db.execute("COMMIT")
        else:
            self.db.execute("ROLLBACK")

"""Changing an encrypted library's passphrase, or encrypting a plain library, so that a crash or a
kill at any moment leaves a library that opens with the old passphrase or with the new one.

Nothing is changed in place. New copies are written beside the old files: the catalog through
SQLCipher's `sqlcipher_export` into `catalog.rekey.sqlite3`, each chat sealed again into `chats.rekey/`,
and the new key record into `encryption.next.json`. The commit is one rename of that record over
`encryption.json`. Before it, the library is exactly as it was (the copies are thrown away at the next
open). After it, the copies are moved into place, a step the next open finishes if it was cut short
(`finish_pending`, called by Library with the library's lock held). Vectors hold no text and are
not encrypted, so they are not touched.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path

from docent.core.storage import crypto
from docent.core.storage.lock import DirLock
from docent.errors import DocentError, PassphraseRequired

log = logging.getLogger(__name__)

CATALOG_FILE = "catalog.sqlite3"
CHATS_DIR = "chats"
PENDING = "encryption.next.json"
CATALOG_COPY = "catalog.rekey.sqlite3"
CHATS_COPY = "chats.rekey"


def change_passphrase(folder: Path, old_passphrase: str | None, new_passphrase: str) -> int:
    """Re-encrypt the library in `folder` under `new_passphrase` (a plain library becomes
    encrypted; `old_passphrase` is then not needed). Refused while the library is open elsewhere.
    Returns the number of chats sealed again."""
    folder = Path(folder)
    if not new_passphrase:
        raise PassphraseRequired("the new passphrase must not be empty.")
    if not (folder / CATALOG_FILE).is_file():
        raise DocentError(f"there is no library in {folder} to encrypt.")
    lock = DirLock(folder / "docent.lock")
    lock.acquire()
    try:
        finish_pending(folder)  # a change cut short earlier: finished or undone first
        old = crypto.unlock(folder, old_passphrase) if crypto.is_encrypted(folder) else None
        record, new = crypto.new_record(new_passphrase)
        # the pending record goes first: while it exists, any copy beside the library is unfinished
        _write_synced(folder / PENDING, json.dumps(record, indent=1).encode("utf-8"))
        _fsync_dir(folder)
        _discard_copies(folder)
        _export_catalog(folder / CATALOG_FILE, old.catalog if old else None, folder / CATALOG_COPY, new.catalog)
        chats = _reseal_chats(folder / CHATS_DIR, old.chats if old else None, folder / CHATS_COPY, new.chats)
        os.replace(folder / PENDING, folder / crypto.ENCRYPTION_FILE)  # the commit
        _fsync_dir(folder)
    except BaseException:
        _discard_copies(folder)  # not committed: the library stays as it was
        (folder / PENDING).unlink(missing_ok=True)
        lock.release()
        raise
    try:
        _install_copies(folder)  # committed: if this is cut short, the next open finishes it
        from docent.core.storage.vectors import scrub_unused

        scrub_unused(folder / "vectors")  # what a plain library's index files kept of its memory
    finally:
        lock.release()
    log.info("re-encrypted the library in %s (%d chats)", folder, chats)
    return chats


def finish_pending(folder: Path) -> None:
    """Undo a change that did not reach its commit, or finish one that did. The caller holds the
    library's lock."""
    folder = Path(folder)
    if (folder / PENDING).exists():
        log.info("undoing a passphrase change cut short before it was committed in %s", folder)
        _discard_copies(folder)
        (folder / PENDING).unlink(missing_ok=True)
    elif (folder / CATALOG_COPY).exists() or (folder / CHATS_COPY).exists():
        log.info("finishing a passphrase change cut short after it was committed in %s", folder)
        _install_copies(folder)


def _export_catalog(source: Path, key: bytes | None, target: Path, new_key: bytes) -> None:
    try:
        from sqlcipher3 import dbapi2 as sqlcipher
    except ImportError as exc:
        raise DocentError("encryption needs SQLCipher: pip install 'sqlcipher3>=0.6.4' in Docent's environment.") from exc
    db = sqlcipher.connect(str(source), isolation_level=None)
    try:
        if key is not None:
            db.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the key is right, or this raises
        quoted = str(target).replace("'", "''")
        db.execute(f"ATTACH DATABASE '{quoted}' AS rekeyed KEY \"x'{new_key.hex()}'\"")
        db.execute("SELECT sqlcipher_export('rekeyed')")
        version = db.execute("PRAGMA main.user_version").fetchone()[0]
        db.execute(f"PRAGMA rekeyed.user_version = {int(version)}")
        db.execute("DETACH DATABASE rekeyed")
    finally:
        db.close()
    _fsync(target)


def _reseal_chats(source: Path, key: bytes | None, target: Path, new_key: bytes) -> int:
    if not source.is_dir():
        return 0
    target.mkdir(mode=0o700, exist_ok=True)
    count = 0
    for path in sorted(source.glob("*.json")):
        data = path.read_bytes()
        plain = crypto.open_sealed(key, data) if key is not None else data
        _write_synced(target / path.name, crypto.seal(new_key, plain))
        count += 1
    _fsync_dir(target)
    return count


def _install_copies(folder: Path) -> None:
    """Move the committed copies into place: each step a rename, so doing it again is harmless."""
    copy = folder / CATALOG_COPY
    if copy.exists():
        for suffix in ("-wal", "-shm"):  # the old catalog's journal: it belongs to the old key
            (folder / (CATALOG_FILE + suffix)).unlink(missing_ok=True)
        os.replace(copy, folder / CATALOG_FILE)
    chats = folder / CHATS_COPY
    if chats.is_dir():
        (folder / CHATS_DIR).mkdir(mode=0o700, exist_ok=True)
        for path in sorted(chats.glob("*.json")):
            os.replace(path, folder / CHATS_DIR / path.name)
        shutil.rmtree(chats, ignore_errors=True)
    _fsync_dir(folder)


def _discard_copies(folder: Path) -> None:
    for name in (CATALOG_COPY, CATALOG_COPY + "-wal", CATALOG_COPY + "-shm", CATALOG_COPY + "-journal"):
        (folder / name).unlink(missing_ok=True)
    shutil.rmtree(folder / CHATS_COPY, ignore_errors=True)


def _write_synced(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _fsync(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    if os.name == "nt":  # pragma: no cover - directories cannot be opened there
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

"""Errors that reach the user. Each message says what happened, to what, and what to do."""

from __future__ import annotations

import errno
import os
import re
import shutil
from pathlib import Path


class DocentError(Exception):
    """Base class for failures a user can act on."""


class ModelError(DocentError):
    """A model file is missing, corrupt or cannot be loaded."""


class StoreError(DocentError):
    """The index (Chroma or the catalog) cannot be opened or written."""


class DataDirLocked(StoreError):
    """Another Docent process holds the data folder."""


class RemoteVectorsKept(StoreError):
    """A library could not be removed because its vectors on a shared Chroma server cannot be
    deleted now (the server is unreachable); nothing was removed."""


class EmbedderMismatch(StoreError):
    """The library was built with another embedder; it must be rebuilt before use."""


class LibraryNotWritable(StoreError):
    """The library's folder cannot be written: the disk is full, or the folder is read-only."""


# what to do about it
_FULL = "Free some space on that disk and run the command again; documents already indexed are kept."
_READ_ONLY = "Make the folder writable, or choose another library folder (--data-dir or DOCENT_DATA_DIR)."
_IO = ("Check that the disk has free space and is working, then run the command again; "
       "documents already indexed are kept.")
_ERRNO = {  # errno → (what happened, what to do)
    errno.ENOSPC: ("the disk is full", _FULL),
    getattr(errno, "EDQUOT", -1): ("the disk quota is exceeded", _FULL),
    errno.EFBIG: ("a file would grow past the size this process may write (file too large)", _FULL),
    errno.EROFS: ("the folder is on a read-only file system", _READ_ONLY),
    errno.EACCES: ("permission denied", _READ_ONLY),
    errno.EPERM: ("permission denied", _READ_ONLY),
    errno.EIO: ("disk I/O error", _IO),
}
# SQLite primary result codes (the low byte of an extended code)
_SQLITE = {
    13: ("the disk is full", _FULL),  # SQLITE_FULL
    10: ("disk I/O error", _IO),  # SQLITE_IOERR (what SQLite reports for most failed writes)
    8: ("the database is read-only", _READ_ONLY),  # SQLITE_READONLY
    14: ("its files cannot be opened for writing", _READ_ONLY),  # SQLITE_CANTOPEN
    3: ("permission denied", _READ_ONLY),  # SQLITE_PERM
}
_CODE_IN_TEXT = re.compile(r"\(code: (\d+)\)")  # Chroma's Rust core: "... (code: 778) disk I/O error"
_OS_ERROR_IN_TEXT = re.compile(r"\(os error (\d+)\)")  # Rust's std::io::Error text


def write_failure(exc: BaseException | None, folder: object) -> LibraryNotWritable | None:
    """`exc` as a LibraryNotWritable when it is a failure to write the library in `folder` (disk
    full, read-only, permission denied, I/O error), from Python, SQLite or Chroma; None otherwise,
    so that a bug still shows as one."""
    if exc is None or isinstance(exc, LibraryNotWritable):
        return exc
    found: tuple[str, str] | None = None
    if isinstance(exc, OSError) and exc.errno is not None:
        if exc.filename is not None and not _inside(exc.filename, folder):
            return None  # e.g. a document or a model file that cannot be read
        found = _ERRNO.get(exc.errno)
    elif isinstance(getattr(exc, "sqlite_errorcode", None), int):  # sqlite3.Error
        found = _SQLITE.get(exc.sqlite_errorcode & 0xFF)  # type: ignore[attr-defined]
    else:
        text = str(exc)
        code = _CODE_IN_TEXT.search(text)
        os_error = _OS_ERROR_IN_TEXT.search(text)
        if code:
            found = _SQLITE.get(int(code.group(1)) & 0xFF)
        elif os_error:
            found = _ERRNO.get(int(os_error.group(1)))
    if found is None:  # e.g. a StoreError that wraps what happened
        return write_failure(exc.__cause__, folder) if exc.__cause__ is not exc else None
    what, advice = found
    if advice is _IO and _disk_nearly_full(folder):  # SQLite reports some failed writes on a full disk so
        what, advice = "the disk is full", _FULL
    return LibraryNotWritable(f"cannot write to the library in {folder}: {what}. {advice}")


def _disk_nearly_full(folder: object) -> bool:
    path = Path(str(folder))
    for candidate in (path, *path.parents):
        try:
            return shutil.disk_usage(candidate).free < 1 << 20
        except OSError:
            continue
    return False


def _inside(filename: object, folder: object) -> bool:
    try:
        return Path(os.fsdecode(filename)).absolute().is_relative_to(Path(str(folder)).absolute())  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True


class Cancelled(DocentError):
    """The user cancelled a long job."""


class PassphraseRequired(DocentError):
    """The library is encrypted and no passphrase was given."""


class WrongPassphrase(DocentError):
    """The passphrase given is not the encrypted library's; nothing was opened or changed."""

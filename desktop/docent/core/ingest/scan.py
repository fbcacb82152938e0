"""The scan: which files a sync covers (supported, not hidden or temporary, readable), with their
size and mtime from one stat each (no file is opened); the "changed?" rule (size and mtime against the
catalog) that the indexer and the followed-folder sync share; the content hash used to recognise a
moved file; and the stat-only check a file watcher falls back to past the system's watch limit."""

from __future__ import annotations

import hashlib
import os
import stat as stat_mode
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from docent.core.cancel import NEVER, CancelToken
from docent.core.ingest.extract import is_supported_path
from docent.core.types import DocumentRecord

CANCEL_EVERY = 512  # files between two looks at the cancel token inside one folder


@dataclass(frozen=True)
class FileEntry:
    path: str
    size: int
    mtime: float


def file_sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def stat_changed(doc: DocumentRecord, entry: FileEntry) -> bool:
    """The file is not as catalogued (another size or modification time): the indexer reads it again.
    The first half of its 'changed?' rule; a sync of the followed folders plans with it too."""
    return _differs((doc.size, doc.mtime), (entry.size, entry.mtime))


def _differs(a: tuple[int, float], b: tuple[int, float]) -> bool:
    return a[0] != b[0] or abs(a[1] - b[1]) > 1e-6


def _skip_name(name: str) -> bool:
    return name.startswith(".") or name.startswith("~$") or name.endswith((".tmp", ".partial"))


def _printable(path: str) -> str:
    """A path that may hold undecodable bytes (lone surrogates), as text a user can read."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def scan(roots: Sequence[Path], left_out: list[tuple[str, str]] | None = None,
         cancel: CancelToken = NEVER) -> tuple[list[FileEntry], list[str]]:
    """All supported files under `roots` (recursively, symlink loops avoided) and the folder
    prefixes they cover, for finding catalogued files that have gone. What looks like a document
    but cannot be one (a dangling link, a pipe or device, an unreadable folder, an undecodable
    name) goes to `left_out` as (path, reason). Files are stat'ed, never opened (the name says
    whether it is a document: `is_supported_path` looks at the suffix only).

    `cancel` is looked at before every folder (and every CANCEL_EVERY files within one): a cancelled
    scan raises Cancelled rather than return the part it reached, so no caller can take the files
    it did not reach for files that have gone."""
    files: dict[str, FileEntry] = {}
    covered: list[str] = []
    skipped: list[tuple[str, str]] = left_out if left_out is not None else []

    def unreadable_folder(err: OSError) -> None:
        what = "permission denied" if isinstance(err, PermissionError) else (err.strerror or "cannot be read")
        skipped.append((_printable(str(err.filename)), f"this folder cannot be read ({what}): nothing in it is indexed"))

    for root in roots:
        cancel.raise_if_cancelled()
        root = Path(os.path.abspath(os.path.expanduser(root)))
        if root.is_dir():
            covered.append(str(root))
            seen_dirs: set[tuple[int, int]] = set()
            for dirpath, dirnames, filenames in os.walk(root, followlinks=True, onerror=unreadable_folder):
                cancel.raise_if_cancelled()
                try:
                    st = os.stat(dirpath)
                    key = (st.st_dev, st.st_ino)
                except OSError:
                    dirnames[:] = []
                    continue
                if key in seen_dirs:  # a symlink loop or a second link to the same folder
                    dirnames[:] = []
                    continue
                seen_dirs.add(key)
                dirnames[:] = sorted(d for d in dirnames if not _skip_name(d))
                for n, name in enumerate(sorted(filenames), start=1):
                    if n % CANCEL_EVERY == 0:
                        cancel.raise_if_cancelled()
                    if _skip_name(name):
                        continue
                    full = os.path.join(dirpath, name)
                    if not is_supported_path(full):
                        if is_supported_path(_printable(full)):  # an undecodable name
                            skipped.append((_printable(full), "its name is not valid text on this system: "
                                                              "rename the file to index it"))
                        continue
                    try:
                        st = os.stat(full)
                    except OSError as exc:
                        reason = ("a link to a file that does not exist (or a link loop)" if os.path.islink(full)
                                  else f"cannot be read ({exc.strerror or 'unknown error'})")
                        skipped.append((full, reason))
                        continue
                    if stat_mode.S_ISREG(st.st_mode):  # the one stat says what it is: no second look
                        files[full] = FileEntry(full, st.st_size, st.st_mtime)
                    elif not stat_mode.S_ISDIR(st.st_mode):
                        skipped.append((full, "not a regular file (a pipe, socket or device): nothing to index"))
        elif root.is_file() or root.is_symlink():
            covered.append(str(root))
            try:
                st = os.stat(root)
                files[str(root)] = FileEntry(str(root), st.st_size, st.st_mtime)
            except OSError:
                continue
    return sorted(files.values(), key=lambda f: f.path), covered


# ---- the periodic check (a file watcher's fallback) --------------------------------------------
FileStat = tuple[int, float]  # (size, mtime), as the catalog keeps them


@dataclass(frozen=True)
class Snapshot:
    """What one stat-only check saw: each file's (size, mtime), None where it is gone or not a
    regular file; each folder's entries that a scan would look at (documents by name, subfolders),
    None where the folder is gone or cannot be listed."""

    files: Mapping[str, FileStat | None]
    folders: Mapping[str, frozenset[str] | None]


def folder_entries(folder: str) -> frozenset[str] | None:
    """The names in `folder` a scan would look at: supported documents and subfolders, not hidden or
    temporary. One listing, no stat of a plain entry (the listing says file or folder), nothing opened."""
    try:
        with os.scandir(folder) as it:
            names: set[str] = set()
            for entry in it:
                if _skip_name(entry.name):
                    continue
                try:
                    if is_supported_path(entry.name) or entry.is_dir():
                        names.add(entry.name)
                except OSError:
                    continue
            return frozenset(names)
    except OSError:
        return None


def stat_snapshot(files: Iterable[str], folders: Iterable[str], cancel: CancelToken = NEVER) -> Snapshot:
    """One stat per file and one listing per folder; no file is opened. Raises Cancelled when
    `cancel` is set (looked at every CANCEL_EVERY files and before every folder)."""
    seen: dict[str, FileStat | None] = {}
    for n, path in enumerate(files, start=1):
        if n % CANCEL_EVERY == 0:
            cancel.raise_if_cancelled()
        try:
            st = os.stat(path)
        except OSError:
            seen[path] = None
            continue
        seen[path] = (st.st_size, st.st_mtime) if stat_mode.S_ISREG(st.st_mode) else None
    listed: dict[str, frozenset[str] | None] = {}
    for folder in folders:
        cancel.raise_if_cancelled()
        listed[folder] = folder_entries(folder)
    return Snapshot(seen, listed)


def snapshot_changes(before: Snapshot, after: Snapshot) -> list[str]:
    """The files and folders that differ between two snapshots, by the indexer's own 'changed?' rule
    for a file (size, or mtime by more than a microsecond). A path only one of them holds is no
    difference: there is nothing to compare it with."""
    changed: list[str] = []
    for path, now in after.files.items():
        if path not in before.files:
            continue
        was = before.files[path]
        if (was is None) != (now is None) or (was is not None and now is not None and _differs(was, now)):
            changed.append(path)
    for folder, names in after.folders.items():
        if folder in before.folders and before.folders[folder] != names:
            changed.append(folder)
    return changed

"""The scan: which files a sync covers (supported, not hidden or temporary, readable), with their
size and mtime from one stat each; the "changed?" rule (size and mtime against the catalog) that the
indexer and the followed-folder sync share; and the content hash used to recognise a moved file."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from docent.core.ingest.extract import SUPPORTED_SUFFIXES, is_supported
from docent.core.types import DocumentRecord


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
    return doc.size != entry.size or abs(doc.mtime - entry.mtime) > 1e-6


def _skip_name(name: str) -> bool:
    return name.startswith(".") or name.startswith("~$") or name.endswith((".tmp", ".partial"))


def _printable(path: str) -> str:
    """A path that may hold undecodable bytes (lone surrogates), as text a user can read."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def scan(roots: Sequence[Path], left_out: list[tuple[str, str]] | None = None) -> tuple[list[FileEntry], list[str]]:
    """All supported files under `roots` (recursively, symlink loops avoided) and the folder
    prefixes they cover, for finding catalogued files that have gone. What looks like a document
    but cannot be one (a dangling link, a pipe or device, an unreadable folder, an undecodable
    name) goes to `left_out` as (path, reason)."""
    files: dict[str, FileEntry] = {}
    covered: list[str] = []
    skipped: list[tuple[str, str]] = left_out if left_out is not None else []

    def unreadable_folder(err: OSError) -> None:
        what = "permission denied" if isinstance(err, PermissionError) else (err.strerror or "cannot be read")
        skipped.append((_printable(str(err.filename)), f"this folder cannot be read ({what}): nothing in it is indexed"))

    for root in roots:
        root = Path(os.path.abspath(os.path.expanduser(root)))
        if root.is_dir():
            covered.append(str(root))
            seen_dirs: set[tuple[int, int]] = set()
            for dirpath, dirnames, filenames in os.walk(root, followlinks=True, onerror=unreadable_folder):
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
                for name in sorted(filenames):
                    if _skip_name(name):
                        continue
                    full = os.path.join(dirpath, name)
                    if not is_supported(Path(full)):
                        if Path(_printable(full)).suffix.lower() in SUPPORTED_SUFFIXES:  # an undecodable name
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
                    if os.path.isfile(full):
                        files[full] = FileEntry(full, st.st_size, st.st_mtime)
                    elif not os.path.isdir(full):
                        skipped.append((full, "not a regular file (a pipe, socket or device): nothing to index"))
        elif root.is_file() or root.is_symlink():
            covered.append(str(root))
            try:
                st = os.stat(root)
                files[str(root)] = FileEntry(str(root), st.st_size, st.st_mtime)
            except OSError:
                continue
    return sorted(files.values(), key=lambda f: f.path), covered

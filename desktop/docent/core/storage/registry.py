"""Named libraries: several data folders, one of them current. Kept in a small JSON file in Docent's
home folder (`<user data>/libraries.json`, or inside DOCENT_DATA_DIR when it is set: see
docent.paths.home_dir); each library stays a self-contained data folder.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

REGISTRY_FILE = "libraries.json"
DEFAULT_NAME = "My documents"


@dataclass(frozen=True)
class LibraryEntry:
    name: str
    path: str


def _slug(name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name.strip()).strip("-.").lower()
    return slug[:60] or "library"


class Registry:
    def __init__(self, file: Path, default_dir: Path, libraries_dir: Path | None = None) -> None:
        """`libraries_dir`: where "New library" makes its folders (default: `libraries/` beside the
        default library)."""
        self.file = Path(file)
        self.default_dir = str(Path(default_dir))
        self.libraries_dir = Path(libraries_dir) if libraries_dir is not None else Path(default_dir).parent / "libraries"
        self.entries: list[LibraryEntry] = []
        self.current: str = self.default_dir
        self._load()

    def _load(self) -> None:
        try:
            raw = json.loads(self.file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raw = {}
        for item in raw.get("libraries", []):
            if isinstance(item, dict) and isinstance(item.get("path"), str):
                self.entries.append(LibraryEntry(str(item.get("name") or Path(item["path"]).name), item["path"]))
        if not any(e.path == self.default_dir for e in self.entries):
            self.entries.insert(0, LibraryEntry(DEFAULT_NAME, self.default_dir))
        current = raw.get("current")
        self.current = current if isinstance(current, str) and any(e.path == current for e in self.entries) else self.default_dir

    def save(self) -> None:
        self.file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.file.with_suffix(".tmp")
        data = {"current": self.current, "libraries": [{"name": e.name, "path": e.path} for e in self.entries]}
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        os.replace(tmp, self.file)

    def name_of(self, path: str | Path) -> str:
        p = str(path)
        for e in self.entries:
            if e.path == p:
                return e.name
        return Path(p).name

    def add(self, name: str, path: str | Path | None = None) -> LibraryEntry:
        """Register a library (a new folder under `libraries_dir` unless `path` is given). Names are
        unique: an existing entry with that path is returned as it is."""
        name = " ".join(name.split()) or "Library"
        if path is None:
            base = self.libraries_dir
            target = base / _slug(name)
            i = 2
            while target.exists() or any(e.path == str(target) for e in self.entries):
                target = base / f"{_slug(name)}-{i}"
                i += 1
            path = target
        p = str(Path(path).expanduser().resolve())
        for e in self.entries:
            if e.path == p:
                return e
        entry = LibraryEntry(name, p)
        self.entries.append(entry)
        return entry

    def rename(self, path: str, name: str) -> None:
        self.entries = [LibraryEntry(" ".join(name.split()) or e.name, e.path) if e.path == path else e for e in self.entries]

    def forget(self, path: str) -> None:
        """Drop a library from the list (its folder is left on disk). The default one stays."""
        if path == self.default_dir:
            return
        self.entries = [e for e in self.entries if e.path != path]
        if self.current == path:
            self.current = self.default_dir

    def remove(self, path: str, keep_remote: bool = False) -> list[str]:
        """Remove a library: drop it from the list (the default one stays listed, emptied) and delete
        everything Docent keeps in its folder (`delete_library`). The library must be closed."""
        left = delete_library(Path(path), keep_remote)
        self.forget(path)
        return left


# Everything Docent writes in a library folder: the catalog and its keyword index (with SQLite's
# journal files), the vectors, chats, audit log, settings, followed folders, caches and the lock.
LIBRARY_ENTRIES = (
    "catalog.sqlite3", "catalog.sqlite3-wal", "catalog.sqlite3-shm", "catalog.sqlite3-journal",
    "vectors", "chats", "audit", "settings.json", "folders.json", "model-hashes.json", "encryption.json",
    "remote-vectors.json",
    # what a passphrase change cut short can leave (core/storage/rekey.py)
    "encryption.next.json", "catalog.rekey.sqlite3", "catalog.rekey.sqlite3-journal", "chats.rekey",
)
REMOTE_VECTORS_FILE = "remote-vectors.json"  # {"server": URL, "collection": name} while vectors are on a server
LOCK_FILE = "docent.lock"


def delete_library(folder: Path, keep_remote: bool = False) -> list[str]:
    """Delete a library's data: its vectors' collection on a shared Chroma server if it has one,
    then every entry of LIBRARY_ENTRIES (and its leftover ".tmp" twin) in `folder`, then the folder
    itself when nothing else is in it. A library may live in a folder the user chose, so files
    Docent did not write are left alone; their names are returned ([] when the folder is gone).
    Refused with DataDirLocked while any Docent process has the library open, and with
    RemoteVectorsKept (nothing deleted) when the server cannot be reached, unless `keep_remote`."""
    import json
    import shutil

    from docent.core.storage.lock import DirLock

    folder = Path(folder)
    if not folder.is_dir():
        return []
    lock = DirLock(folder / LOCK_FILE)
    lock.acquire()
    try:
        remote = folder / REMOTE_VECTORS_FILE
        if remote.is_file() and not keep_remote:
            try:
                where = json.loads(remote.read_text(encoding="utf-8"))
                server, collection = str(where["server"]), str(where["collection"])
            except (OSError, ValueError, KeyError, TypeError):
                server = collection = ""
            if server and collection:
                from docent.core.storage.vectors import discard_remote
                from docent.errors import RemoteVectorsKept, StoreError

                try:
                    discard_remote(server, collection)
                except StoreError as exc:
                    raise RemoteVectorsKept(
                        f"this library's vectors are on the Chroma server at {server}, which cannot be reached "
                        f"to delete them ({exc}); nothing was removed. Start the server and try again, or remove "
                        f"the library from this computer only (its collection {collection} then stays on the server)."
                    ) from exc
        for name in LIBRARY_ENTRIES:
            for target in (folder / name, folder / (Path(name).stem + ".tmp")):
                if target.is_dir() and not target.is_symlink():
                    shutil.rmtree(target)
                elif target.exists() or target.is_symlink():
                    target.unlink()
    finally:
        lock.release()
    (folder / LOCK_FILE).unlink(missing_ok=True)
    left = sorted(p.name for p in folder.iterdir())
    if not left:
        folder.rmdir()
    return left

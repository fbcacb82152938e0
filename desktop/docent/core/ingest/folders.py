"""The folders and files a library follows (its roots), and the paths the user excluded from them.

Kept in `<data dir>/folders.json`. The index itself only knows documents; this list is what a sync
walks again, and what a file watcher watches. An excluded file or subfolder stays out of the index
even though its folder is followed: `sync_roots()` expands such a folder into its other entries.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from docent.core.ingest.extract import is_supported

FOLDERS_FILE = "folders.json"


def _norm(path: str | os.PathLike[str]) -> str:
    return os.path.abspath(os.path.expanduser(os.fspath(path)))


def is_under(path: str, folder: str) -> bool:
    """True when `path` is `folder` or inside it (string test on absolute paths)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _skip_name(name: str) -> bool:  # the indexer's rule for hidden and temporary files
    return name.startswith(".") or name.startswith("~$") or name.endswith((".tmp", ".partial"))


@dataclass
class FolderList:
    file: Path
    roots: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    rebuild_pending: bool = False  # the embedder changed: drop the vectors when the library next opens

    # ---- persistence --------------------------------------------------------------------------
    @classmethod
    def load(cls, data_dir: Path) -> "FolderList":
        file = Path(data_dir) / FOLDERS_FILE
        try:
            raw = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls(file)
        roots = [str(p) for p in raw.get("roots", []) if isinstance(p, str)]
        excluded = [str(p) for p in raw.get("excluded", []) if isinstance(p, str)]
        return cls(file, roots, excluded, bool(raw.get("rebuild_pending", False)))

    def save(self) -> None:
        self.file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.file.with_suffix(".tmp")
        data = {"version": 1, "roots": self.roots, "excluded": self.excluded, "rebuild_pending": self.rebuild_pending}
        tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
        os.replace(tmp, self.file)

    # ---- changes ------------------------------------------------------------------------------
    def add(self, path: str | os.PathLike[str]) -> list[str]:
        """Follow a file or folder. A path inside a followed folder is only un-excluded; a folder that
        contains followed roots replaces them. Returns the roots that were replaced."""
        p = _norm(path)
        self.excluded = [e for e in self.excluded if not is_under(e, p) and not is_under(p, e)]
        if any(is_under(p, r) for r in self.roots):
            return []
        replaced = [r for r in self.roots if is_under(r, p)]
        self.roots = sorted([r for r in self.roots if r not in replaced] + [p])
        return replaced

    def remove(self, path: str | os.PathLike[str]) -> bool:
        """Stop following `path`: a root is dropped; a path inside a root is excluded.
        Returns False when the path is not covered at all."""
        p = _norm(path)
        if p in self.roots:
            self.roots.remove(p)
            self.excluded = [e for e in self.excluded if not is_under(e, p)]
            return True
        if any(is_under(p, r) for r in self.roots):
            if p not in self.excluded:
                self.excluded = sorted([e for e in self.excluded if not is_under(e, p)] + [p])
            return True
        return False

    # ---- queries ------------------------------------------------------------------------------
    def root_of(self, path: str) -> str | None:
        p = _norm(path)
        for r in self.roots:
            if is_under(p, r):
                return r
        return None

    def is_excluded(self, path: str) -> bool:
        p = _norm(path)
        return any(is_under(p, e) for e in self.excluded)

    def covers(self, path: str) -> bool:
        return self.root_of(path) is not None and not self.is_excluded(path)

    def sync_roots(self) -> list[Path]:
        """What to hand to `Library.index`: every root, with the folders that hold excluded paths
        expanded into their remaining entries. Roots that no longer exist are passed as they are
        (the indexer then forgets their documents)."""
        out: list[Path] = []
        for root in self.roots:
            out.extend(Path(p) for p in _expand(root, [e for e in self.excluded if is_under(e, root)]))
        return out


def _expand(root: str, excluded: list[str]) -> list[str]:
    if not excluded:
        return [root]
    if root in excluded:
        return []
    if not os.path.isdir(root):
        return [root]
    out: list[str] = []
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError:
        return [root]
    for entry in entries:
        if _skip_name(entry.name):
            continue
        full = os.path.join(root, entry.name)
        inside = [e for e in excluded if is_under(e, full)]
        try:
            is_dir = entry.is_dir()
        except OSError:
            continue
        if is_dir:
            out.extend(_expand(full, inside))
        elif not inside and is_supported(Path(full)):
            out.append(full)
    return out

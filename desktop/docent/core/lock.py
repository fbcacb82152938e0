"""One process per data folder: Chroma is thread-safe but not process-safe."""

from __future__ import annotations

import os
from pathlib import Path

from docent.errors import DataDirLocked, StoreError, write_failure


class DirLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: object | None = None

    def acquire(self) -> None:
        try:
            fh = open(self.path, "a+")
        except OSError as exc:  # a read-only folder, a full disk...
            raise write_failure(exc, self.path.parent) or StoreError(
                f"cannot open the lock file {self.path} ({exc.strerror or exc})."
            ) from exc
        try:
            if os.name == "nt":  # pragma: no cover - Windows
                import msvcrt

                msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            raise DataDirLocked(
                f"the library in {self.path.parent} is in use by another Docent process ({holder} holds "
                f"the lock file {self.path}). Wait for it to finish or close the other Docent window "
                "or command, or use another --data-dir."
            ) from None
        try:  # who holds the lock, for the message above; the lock itself does not depend on it
            fh.seek(0)
            fh.truncate()
            fh.write(f"pid {os.getpid()}")
            fh.flush()
        except OSError:
            pass
        self._fh = fh

    def release(self) -> None:
        if self._fh is not None:
            try:
                self._fh.close()  # type: ignore[attr-defined]
            except OSError:  # the pid could not be written (a full disk): the file is closed anyway
                pass
            finally:
                self._fh = None

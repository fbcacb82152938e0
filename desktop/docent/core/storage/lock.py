"""One process per data folder: Chroma is thread-safe but not process-safe."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO

from docent.errors import DataDirLocked, StoreError, write_failure


_WIN_LOCK_OFFSET = 1 << 20


class DirLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: IO[str] | None = None

    def acquire(self) -> None:
        try:
            fh = open(self.path, "a+")
        except OSError as exc:  # a read-only folder, a full disk...
            raise write_failure(exc, self.path.parent) or StoreError(
                f"cannot open the lock file {self.path} ({exc.strerror or exc})."
            ) from exc
        try:
            if sys.platform == "win32":  # pragma: no cover - Windows
                import msvcrt

                # msvcrt locks bytes from the current position, and "a+" opens at the end, which moves
                # as the pid is written: lock one fixed byte, past the pid text so others can read it
                fh.seek(_WIN_LOCK_OFFSET)
                msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            try:
                fh.seek(0)
                holder = fh.read(200).strip() or "another process"
            except OSError:
                holder = "another process"
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
                self._fh.close()
            except OSError:  # the pid could not be written (a full disk): the file is closed anyway
                pass
            finally:
                self._fh = None

"""core.storage.lock: one process per data folder (Chroma is thread-safe but not process-safe)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from docent.core.storage.lock import DirLock
from docent.errors import DataDirLocked, StoreError

REPO = Path(__file__).resolve().parents[1]


def test_the_holder_writes_its_pid_and_a_second_lock_is_refused_until_release(tmp_path: Path) -> None:
    path = tmp_path / "lock"
    first = DirLock(path)
    first.acquire()
    assert path.read_text() == f"pid {os.getpid()}"

    second = DirLock(path)  # another open of the same file: flock refuses it, as for another process
    with pytest.raises(DataDirLocked) as err:
        second.acquire()
    message = str(err.value)
    assert f"pid {os.getpid()}" in message and str(path) in message and "--data-dir" in message

    first.release()
    second.acquire()  # free again
    second.release()


def test_release_twice_and_before_acquire_is_harmless(tmp_path: Path) -> None:
    lock = DirLock(tmp_path / "lock")
    lock.release()
    lock.acquire()
    lock.release()
    lock.release()
    again = DirLock(tmp_path / "lock")
    again.acquire()
    again.release()


def test_another_process_holding_the_folder_is_named_and_its_exit_frees_it(tmp_path: Path) -> None:
    path = tmp_path / "lock"
    holder = textwrap.dedent(f"""
        import sys
        from pathlib import Path
        from docent.core.storage.lock import DirLock
        lock = DirLock(Path({str(path)!r}))
        lock.acquire()
        print("held", flush=True)
        sys.stdin.readline()
    """)
    env = dict(os.environ, PYTHONPATH=str(REPO / "desktop"))
    proc = subprocess.Popen([sys.executable, "-c", holder], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            env=env)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        with pytest.raises(DataDirLocked) as err:
            DirLock(path).acquire()
        assert f"pid {proc.pid}" in str(err.value)
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.wait(timeout=30)
    lock = DirLock(path)  # the kernel dropped the lock with the process: no stale lock file to clean up
    lock.acquire()
    assert path.read_text() == f"pid {os.getpid()}"
    lock.release()


def test_a_folder_that_cannot_hold_the_lock_file_is_a_store_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "no-such-folder" / "lock"
    with pytest.raises(StoreError) as err:
        DirLock(path).acquire()
    assert not isinstance(err.value, DataDirLocked)
    assert str(path.parent) in str(err.value)


def test_a_library_keeps_a_second_library_out_of_its_folder(tmp_path: Path, embedder) -> None:  # noqa: ANN001
    from docent.core.library import Library

    with Library(tmp_path / "lib", embedder=embedder):
        with pytest.raises(DataDirLocked):
            Library(tmp_path / "lib", embedder=embedder)
    with Library(tmp_path / "lib", embedder=embedder) as lib:  # closed: the folder is free again
        assert lib.documents() == []

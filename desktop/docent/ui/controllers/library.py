"""The library's controller: opening it, syncing the followed folders in the background, the file
watcher, removals and settings, all on the library's lane (see docent.ui.tasks). A sync's own work
and its events are in sync.py, the file watcher in watch.py."""

from __future__ import annotations

import logging
import os
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from docent.core.cancel import CancelToken
from docent.core.ingest.indexer import outdated_note
from docent.core.types import ATTACHMENT_MARK, ScanDone
from docent.settings import Settings
from docent.ui.controllers.common import DocRow, LibraryState, describe_error
from docent.ui.controllers.library_settings import LibrarySettings
from docent.ui.controllers.sync import SyncTracker, sync_events
from docent.ui.controllers.watch import FolderWatcher
from docent.ui.tasks import Job, Lane, Priority

log = logging.getLogger(__name__)

LibraryFactory = Callable[..., Any]  # (data dir, passphrase=, encrypt=) → docent.core.library.facade.Library


class LibraryController(LibrarySettings, QObject):
    """Owns the Library and its lane.

    Signals:
        opening(str): a library folder is being opened
        opened(object): LibraryState, once the library is open
        openFailed(str): why the library could not be opened
        passphraseNeeded(str, str): the library in this folder is encrypted; why its passphrase is asked
            (none was given, or the one given is wrong): open it again with `open(folder, passphrase)`
        closed(): the library was closed (before opening another)
        rowsReset(list): every DocRow (after opening or a sync)
        rowChanged(object): one DocRow changed while indexing
        rootsChanged(list): the followed folders and files (str)
        indexingChanged(bool): a sync started or ended
        progress(object): IndexProgress while a sync runs
        indexFinished(object): SyncDone (cancelled or not) when a sync ends normally
        settingsChanged(object): Settings now in use
        restartNeeded(str): a change takes effect after a restart (why)
        message(str): a short status for the status bar
        notice(str): something the user should know once, not an error (e.g. that some files are
            checked every minute instead of watched)
        error(str): a failure the user must see
        textLoaded(str, str): a document's path and its indexed text (for the source viewer)
        textFailed(str, str): a document's path and why its text cannot be shown
    """

    opening = Signal(str)
    opened = Signal(object)
    openFailed = Signal(str)
    passphraseNeeded = Signal(str, str)
    closed = Signal()
    rowsReset = Signal(list)
    rowChanged = Signal(object)
    rootsChanged = Signal(list)
    indexingChanged = Signal(bool)
    progress = Signal(object)
    indexFinished = Signal(object)
    settingsChanged = Signal(object)
    restartNeeded = Signal(str)
    message = Signal(str)
    notice = Signal(str)
    error = Signal(str)
    textLoaded = Signal(str, str)
    textFailed = Signal(str, str)

    def __init__(self, factory: LibraryFactory, log_file: Path | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._factory = factory
        self.log_file = log_file
        self.lane = Lane("library", self)
        self.lib: Any = None  # set and used on the lane only; read here to know it is open
        self.data_dir: Path | None = None
        self.settings = Settings()
        self.folders: Any = None  # docent.core.ingest.folders.FolderList
        self.rows: dict[str, DocRow] = {}
        self._index_job: Job | None = None
        self._sync_again: bool | None = None  # None: no sync pending; else its `force`
        self._sync = SyncTracker()  # the running (or last) sync's rows, progress and summary
        self._watch = FolderWatcher(self.lane, self)
        self._watch.changed.connect(self._watched_change)
        self._watch.note.connect(self.notice)
        self._watcher = self._watch.watcher
        self._debounce = self._watch.debounce
        self.auto_sync_on_open = True

    # ---- state --------------------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        return self.lib is not None and self.data_dir is not None

    @property
    def indexing(self) -> bool:
        return self._index_job is not None

    @property
    def roots(self) -> list[str]:
        return list(self.folders.roots) if self.folders is not None else []

    def has_documents(self) -> bool:
        return any(r.status == "indexed" for r in self.rows.values())

    def _submit(self, job: Job) -> Job:
        return self.lane.submit(job)

    def _call(self, name: str, fn: Callable[[], Any], done: Callable[[Any], None] | None = None,
              priority: Priority = Priority.INTERACTIVE) -> Job:
        return self.lane.call(name, fn, priority, done, self._on_failed)

    @Slot(object)
    def _on_failed(self, exc: BaseException) -> None:
        self.error.emit(describe_error(exc, self.log_file))

    # ---- open / close ---------------------------------------------------------------------------
    def open(self, data_dir: Path, passphrase: str | None = None, encrypt: bool = False) -> None:
        """Open the library in `data_dir` (closing the current one first), on the lane. `passphrase`
        opens an encrypted library; with `encrypt`, a new library is created encrypted with it."""
        from docent.core.ingest.folders import FolderList

        data_dir = Path(data_dir)
        if self.lib is not None:
            self.close_library()
        self.opening.emit(str(data_dir))
        self.data_dir = data_dir
        self.folders = FolderList.load(data_dir)

        folders = self.folders

        options: dict[str, Any] = {}
        if passphrase or encrypt:  # only then: a factory that takes just the folder keeps working
            options = {"passphrase": passphrase, "encrypt": encrypt}

        def run() -> LibraryState:
            lib = self._factory(data_dir, **options)
            self.lib = lib
            rebuilt = False
            if folders.rebuild_pending:  # a new embedder was chosen: drop the old vectors first
                lib.rebuild()
                folders.rebuild_pending = False
                folders.save()
                rebuilt = True
            rows = self._read_rows(lib)
            recorded = lib.recorded_embedder()
            chats = lib.chat_store() if hasattr(lib, "chat_store") else None
            return LibraryState(data_dir, lib.settings, rows, list(folders.roots), recorded, rebuilt,
                                bool(getattr(lib, "encrypted", False)), chats)

        self.lane.call("open", run, on_result=self._on_opened, on_error=self._on_open_failed)

    @Slot(object)
    def _on_opened(self, state: LibraryState, auto_sync: bool = True) -> None:
        self.settings = state.settings
        self.rows = {r.path: r for r in state.rows}
        self.opened.emit(state)
        self.rowsReset.emit(list(self.rows.values()))
        self.rootsChanged.emit(self.roots)
        self.settingsChanged.emit(self.settings)
        self._update_watcher()
        if state.rebuilt:
            self.message.emit("New embedder: rebuilding the index")
            self.sync(force=True)
        elif auto_sync and self.auto_sync_on_open and self.roots:
            # catch up with changes made while Docent was closed, once the window is up
            QTimer.singleShot(800, lambda: self.sync() if self.is_open and not self.indexing else None)

    @Slot(object)
    def _on_open_failed(self, exc: BaseException) -> None:
        from docent.errors import PassphraseRequired, WrongPassphrase

        self.lib = None
        if isinstance(exc, (PassphraseRequired, WrongPassphrase)) and self.data_dir is not None:
            self.passphraseNeeded.emit(str(self.data_dir), str(exc))
            return
        self.openFailed.emit(describe_error(exc, self.log_file))

    def close_library(self) -> None:
        """Cancel its jobs and close the library (on the lane, in order)."""
        if self._index_job is not None:
            self._index_job.cancel()
        for job in self.lane.pending():
            job.cancel()
        self._sync_again = None
        self._watch.clear()

        def close() -> None:
            lib, self.lib = self.lib, None
            if lib is not None:
                lib.close()

        self.lane.call("close", close, Priority.INTERACTIVE)
        self.rows = {}
        self.closed.emit()

    def shutdown(self) -> None:
        """End of the application: stop everything, close the library, end the lane's thread."""
        self._watch.stop()

        def final() -> None:
            lib, self.lib = self.lib, None
            if lib is not None:
                lib.close()

        self.lane.shutdown(final)

    # ---- documents ----------------------------------------------------------------------------
    @staticmethod
    def _read_rows(lib: Any) -> list[DocRow]:
        docs = lib.documents()
        notes = lib.catalog.all_notes()  # one query, not one per document
        return [DocRow.of(d, notes.get(d.id, "")) for d in docs]

    def refresh(self) -> None:
        if not self.is_open:
            return
        self._call("documents", lambda: self._read_rows(self.lib), self._on_rows)

    def load_text(self, path: str) -> None:
        """A document's text as indexed, from the catalog: the file is not parsed in this process."""
        if not self.is_open:
            self.textFailed.emit(path, "no library is open")
            return
        self.lane.call("text", lambda: self.lib.document_text(path).text, Priority.INTERACTIVE,
                       lambda text: self.textLoaded.emit(path, text),
                       lambda exc: self.textFailed.emit(path, describe_error(exc, self.log_file)))

    @Slot(object)
    def _on_rows(self, rows: list[DocRow]) -> None:
        pending = {p: r for p, r in self.rows.items() if r.status == "queued"}
        self.rows = {r.path: r for r in rows}
        for p, r in pending.items():  # keep showing what is still to do (a cancelled run's leftovers)
            if p in self.rows or self.folders is None or not self.folders.covers(p) or not os.path.isfile(p):
                continue
            self.rows[p] = r if self.indexing else replace(
                r, reason="not indexed yet: indexing was cancelled (Library › Check for changes now continues)")
        self.rowsReset.emit(list(self.rows.values()))
        self._update_watcher()  # the rows are the catalog's now: the periodic check compares with them

    def add_paths(self, paths_: Sequence[str | Path]) -> list[str]:
        """Follow files and folders and index them. Returns the paths that could not be added."""
        bad: list[str] = []
        added = False
        for p in paths_:
            path = Path(p).expanduser()
            if not path.exists():
                bad.append(f"{path}: not found")
                continue
            if path.is_file():
                from docent.core.ingest.extract import is_supported

                if not is_supported(path):
                    bad.append(f"{path.name}: not a supported document (PDF, Word, text or Markdown)")
                    continue
            if self.data_dir is not None and str(path.resolve()).startswith(str(self.data_dir)):
                bad.append(f"{path}: that is Docent's own library folder")
                continue
            self.folders.add(path)
            added = True
        if added:
            self.folders.save()
            self.rootsChanged.emit(self.roots)
            self.sync()
        return bad

    def remove_path(self, path: str) -> None:
        """Stop following a root, or exclude a file or folder inside one; its documents leave the index."""
        if self.folders is None or not self.folders.remove(path):
            return
        self.folders.save()
        self.rootsChanged.emit(self.roots)
        if self._index_job is not None:  # the running sync may be indexing it: restart without it
            self._index_job.cancel()
            self._sync_again = False
        target = Path(path)
        self._call("remove", lambda: self.lib.remove(target), lambda n: self._removed(path, n))

    def _removed(self, path: str, count: int) -> None:
        self.message.emit(f"Removed {count} document{'s' if count != 1 else ''} from the library")
        self.refresh()  # the watcher follows once the rows are read again (_on_rows)

    # ---- indexing -----------------------------------------------------------------------------
    def sync(self, force: bool = False) -> None:
        """Bring the index up to date with the followed folders (in the background)."""
        if not self.is_open and self.data_dir is None:
            return
        if self._index_job is not None:
            self._sync_again = force or bool(self._sync_again)
            return
        folders = self.folders

        def run(cancel: CancelToken) -> Iterator[Any]:
            yield from sync_events(self.lib, folders, cancel, force)

        job = Job("sync", run, Priority.BACKGROUND)
        job.event.connect(self._on_index_event)
        job.failed.connect(self._on_index_failed)
        job.finished.connect(self._on_index_finished)
        self._index_job = job
        self._sync.start()
        self.indexingChanged.emit(True)
        self.progress.emit(self._sync.progress.value())
        self._submit(job)

    @Slot(object)
    def _on_index_event(self, ev: Any) -> None:
        if isinstance(ev, ScanDone) and ev.outdated:
            self.notice.emit(outdated_note(ev.outdated))
        reset, row = self._sync.apply(ev, self.rows)
        if reset:
            self.rowsReset.emit(list(self.rows.values()))
        if row is not None:
            self.rowChanged.emit(row)
        self.progress.emit(self._sync.progress.value())

    @Slot(object)
    def _on_index_failed(self, exc: BaseException) -> None:
        self._sync.failed()
        self.error.emit("Indexing stopped: " + describe_error(exc, self.log_file))

    @Slot(bool)
    def _on_index_finished(self, cancelled: bool) -> None:
        done = self._sync.take_done()
        self._index_job = None
        self.indexingChanged.emit(False)
        again, self._sync_again = self._sync_again, None
        summary = self._sync.take_summary(done)
        if done is not None:
            self.indexFinished.emit(done)
            self.message.emit(summary)
        elif cancelled:
            self.indexFinished.emit(self._sync.cancelled())
            self.message.emit("Indexing cancelled; what was finished is kept")
        if again is not None and self.is_open:
            self.sync(force=again)
            return
        if not self.indexing:
            # forget queued rows of a cancelled run that never reached the catalog (they stay listed
            # as queued until the next sync), and reload everything else from the catalog; the
            # watcher follows the rows read again (_on_rows), not the ones this run left behind
            self.refresh()

    def cancel_indexing(self) -> None:
        self._sync_again = None
        if self._index_job is not None:
            self._index_job.cancel()

    # ---- file watching ------------------------------------------------------------------------
    def _update_watcher(self) -> None:
        if self.folders is not None and self.is_open:
            # an e-mail's attachments are not files: their message is watched
            known = {p: (r.size, r.mtime) if r.mtime else None for p, r in self.rows.items() if ATTACHMENT_MARK not in p}
            self._watch.update(self.folders.roots, known)

    @Slot()
    def _watched_change(self) -> None:
        if self.is_open:
            self.message.emit("Files changed on disk: updating the index")
            self.sync()

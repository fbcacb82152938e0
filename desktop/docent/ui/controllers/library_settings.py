"""The library controller's settings: validate, save and use new settings on the library's lane,
and the rebuild a new embedder asks for. A mixin of LibraryController (ui/controllers/library.py),
whose state and signals (`settings`, `lib`, `folders`, `settingsChanged`, `restartNeeded`,
`message`, `_call`, `sync`) it uses."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

from docent.settings import Settings


class LibrarySettings:
    """Settings methods of LibraryController."""

    settings: Settings
    data_dir: Path | None
    lib: Any
    folders: Any
    settingsChanged: Any
    restartNeeded: Any
    message: Any
    _call: Any
    sync: Any
    roots: Any
    is_open: Any

    # ---- settings -----------------------------------------------------------------------------
    def settings_file(self) -> Path | None:
        from docent.core.library.facade import SETTINGS_FILE

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
        # a new embedder waits for the rebuild: the open library goes on with the one it was built with
        use_now = new if new.embedder == old.embedder else replace(new, embedder=old.embedder)

        def use() -> None:
            if self.lib is not None:
                self.lib.set_settings(use_now)

        self._call("settings", use)
        if new.embedder != old.embedder:
            self._rebuild(new)
        elif (new.chunk_tokens, new.chunk_overlap) != (old.chunk_tokens, old.chunk_overlap) and self.roots:
            self.message.emit("Chunk size changed: re-reading the documents")
            self.sync()
        return []

    def _rebuild(self, new: Settings) -> None:
        """A new embedder: every vector must be made again. The library keeps answering with the
        embedder it was built with; the index is dropped and rebuilt when the library next opens
        (a fresh process: Chroma keeps a process-wide client per folder, so its files cannot be
        replaced under it; see the report on core changes)."""
        self.folders.rebuild_pending = True
        self.folders.save()
        self.restartNeeded.emit(
            "The new embedder is used once the index is rebuilt: Docent rebuilds it when it starts "
            "(every document is read again)."
        )

    def embedder_in_use(self, done: Callable[[str], None]) -> None:
        """The embedder the index was built with (from the catalog), looked up on the lane."""
        if not self.is_open:
            return
        self._call("embedder id", lambda: self.lib.recorded_embedder(), done)

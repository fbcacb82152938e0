"""Fixtures for the window's tests: the real window (offscreen), built by the same composition code as
`docent` (docent.app.create_window), on a real Library that reuses the session's embedder."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from ui_helpers import TEST_SETTINGS

from docent.settings import Settings


@pytest.fixture
def make_window(qtbot: Any, embedder: Any, tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """make_window(data_dir=None, embedder=None, settings=TEST_SETTINGS, factory=None) → an open,
    shown MainWindow whose library is open. Every window is closed (and its worker threads ended)
    at the end of the test."""
    from docent.app import create_window
    from docent.core.library import Library
    from docent.settings import save

    windows: list[Any] = []
    home = tmp_path / "home"  # model discovery looks here instead of the real home

    def make(data_dir: Path | None = None, embedder_: Any = None, settings: Settings | None = TEST_SETTINGS,
             factory: Callable[[Path], Any] | None = None, wait_open: bool = True) -> Any:
        data_dir = Path(data_dir or tmp_path / "library")
        if settings is not None and not (data_dir / "settings.json").exists():
            save(data_dir / "settings.json", settings)
        emb = embedder_ or embedder

        def open_library(d: Path) -> Any:
            return Library(d, embedder=emb)

        from docent.core.models.discovery import default_locations

        window = create_window(data_dir, library_factory=factory or open_library, log_file=tmp_path / "docent.log",
                               model_locations=lambda: default_locations(home))
        window.library.auto_sync_on_open = False
        windows.append(window)
        if wait_open:
            with qtbot.waitSignal(window.library.opened, timeout=30_000):
                window.show()
        else:
            window.show()
        return window

    yield make
    for window in windows:
        close_window(window)


def close_window(window: Any) -> None:
    if window.isVisible() or not window._closing:
        window.close()
    assert not window.library.lane.running, "the library lane is still running"
    assert not window.files.lane.running, "the files lane is still running"
    window.deleteLater()

"""Fixtures for the window's tests: the real window (offscreen), built by the same composition code as
`docent` (docent.app.create_window), on a real Library that reuses the session's embedder. A Qt
warning, critical or fatal message during a test (setup, body or teardown) fails it."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from ui_helpers import TEST_SETTINGS

from docent.settings import Settings
from docent.ui.refcounts import keep_singletons_alive

# The whole UI suite in one process makes many more PySide6 calls than one window's session: the
# same guard the app installs at start (docent/ui/refcounts.py), for widgets built without it too.
keep_singletons_alive()


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


# ---- Qt messages fail a test -------------------------------------------------------------------
# Messages Qt itself emits under the offscreen platform, which say nothing about our code. Each entry
# is a regular expression (re.search) with the reason it is allowed; keep this list short.
QT_MESSAGES_ALLOWED: tuple[tuple[str, str], ...] = (
    # The offscreen plugin does not implement QPlatformWindow::propagateSizeHints(), whose default
    # warns each time a top-level window's size constraints reach the platform (our windows and
    # dialogs set minimum sizes). Real platforms implement it.
    (r"^This plugin does not support propagateSizeHints\(\)", "the offscreen platform has no size hints"),
    # Nor QPlatformWindow::raise() (the detached source viewer is raised when a citation is opened).
    (r"^This plugin does not support raise\(\)", "the offscreen platform cannot raise a window"),
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """pytest-qt's own capture (qt_log_level_fail) stops after the test body, before the fixtures'
    teardown closes the windows, and replaces any handler installed before it: the UI tests leave
    Qt's messages to _qt_messages_fail below, which watches setup, body and teardown."""
    ui = Path(__file__).resolve().parent
    for item in items:
        if ui in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.no_qt_log)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    # checked right after the test body, so the test itself fails (teardown's messages fail its teardown)
    result = yield
    found: list[str] = getattr(item, "funcargs", {}).get("_qt_messages_fail") or []
    if found:
        messages = list(found)
        found.clear()
        pytest.fail("Qt messages during the test:\n  " + "\n  ".join(messages), pytrace=False)
    return result


@pytest.fixture(autouse=True)
def _qt_messages_fail() -> Iterator[list[str]]:
    """Every Qt warning, critical or fatal message during the test fails it, unless allowed above."""
    from PySide6.QtCore import QMessageLogContext, QtMsgType, qInstallMessageHandler

    failing = {QtMsgType.QtWarningMsg: "warning", QtMsgType.QtCriticalMsg: "critical",
               QtMsgType.QtFatalMsg: "fatal"}
    found: list[str] = []

    def handler(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
        if kind not in failing:
            return
        if any(re.search(pattern, message) for pattern, _ in QT_MESSAGES_ALLOWED):
            return
        where = f" ({context.file}:{context.line})" if context.file else ""
        found.append(f"Qt {failing[kind]}: {message}{where}")
        if kind == QtMsgType.QtFatalMsg:  # Qt aborts the process when the handler returns
            sys.stderr.write(found[-1] + "\n")

    previous = qInstallMessageHandler(handler)
    try:
        yield found
    finally:
        qInstallMessageHandler(previous)
    if found:
        pytest.fail("Qt messages during the test:\n  " + "\n  ".join(found), pytrace=False)

"""Composition root for the desktop window: paths → logging → settings → core → QApplication → window.

Nothing heavy happens before the window is shown: the library is opened on its lane right after,
and the embedder and the chat model load on first use.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any, Callable

log = logging.getLogger("docent")

LOG_FILE = "docent.log"


def setup_logging(log_dir: Path) -> Path:
    """Log to a rotating file in the log folder (and keep warnings on stderr)."""
    from logging.handlers import RotatingFileHandler

    from docent import paths

    log_file = log_dir / LOG_FILE
    try:
        paths.ensure_private_dir(log_dir)
        handler: logging.Handler = RotatingFileHandler(log_file, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
    except OSError as exc:
        sys.stderr.write(f"docent: cannot write the log in {log_dir} ({exc}); logging to stderr only\n")
        handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s]: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    for h in root.handlers:
        if isinstance(h, logging.StreamHandler) and not isinstance(h, RotatingFileHandler) and h is not handler:
            h.setLevel(logging.WARNING)
    return log_file


def default_library_factory() -> Callable[..., Any]:
    def open_library(data_dir: Path, **options: Any) -> Any:  # options: passphrase, encrypt
        from docent.core.library import Library

        return Library(data_dir, **options)

    return open_library


def create_window(
    data_dir: Path | None = None,
    library_factory: Callable[[Path], Any] | None = None,
    log_file: Path | None = None,
    use_registry: bool = True,
    model_locations: Callable[[], list[tuple[str, Path]]] | None = None,
) -> Any:
    """Build the controllers and the main window (a QApplication must exist) and start opening the
    library. `data_dir` None → the current library of the registry (else the default folder).
    `library_factory` builds a docent.core.library.facade.Library for a folder (tests inject the embedder)."""
    import os

    from PySide6.QtCore import QSettings

    from docent import paths
    from docent.core.storage.registry import REGISTRY_FILE, Registry
    from docent.ui.controllers import ChatController, FilesController, LibraryController
    from docent.ui.main_window import MainWindow
    from docent.ui.refcounts import keep_singletons_alive

    keep_singletons_alive()  # before the window makes its first thousands of calls into Qt (see refcounts.py)
    default_dir = paths.data_dir()
    home = paths.home_dir()  # DOCENT_DATA_DIR itself when set: nothing is written outside it
    registry = Registry(home / REGISTRY_FILE, default_dir, home / "libraries") if use_registry else None
    named = bool(os.environ.get(paths.ENV_DATA_DIR))
    if data_dir is None:  # DOCENT_DATA_DIR names the library to open; else the one used last
        data_dir = Path(registry.current) if registry is not None and not named else default_dir
    elif registry is not None:  # listed (to switch back to it), but the next plain start stays as it was
        data_dir = Path(registry.add(Path(data_dir).name, data_dir).path)
    window_state = QSettings(str(home / "window.ini"), QSettings.Format.IniFormat)

    library = LibraryController(library_factory or default_library_factory(), log_file)
    chats = ChatController(library)
    files = FilesController(paths.models_dir, log_file, model_locations)
    window = MainWindow(library, chats, files, registry, window_state, log_file, paths.resources_dir())
    library.setParent(window)
    chats.setParent(window)
    files.setParent(window)
    library.open(data_dir)
    if registry is not None:
        try:
            registry.save()
        except OSError:
            log.warning("cannot save the list of libraries in %s", registry.file, exc_info=True)
    return window


def no_display() -> bool:
    """True on Linux/BSD with no desktop session to show a window on (an SSH login, a server):
    Qt would abort with a message about platform plug-ins that helps nobody."""
    import os

    if sys.platform in ("win32", "darwin") or os.environ.get("QT_QPA_PLATFORM"):
        return False
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def main(data_dir: str | None = None, exit_when_ready: bool = False) -> int:
    """Open the window. `exit_when_ready` (an installer's smoke test): print one line and quit as
    soon as the window is shown and its library has opened (exit 1 if the library cannot open)."""
    if no_display():
        sys.stderr.write(
            "docent: there is no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set).\n"
            "The command line works here: docent index FOLDER, then docent ask \"QUESTION\" (see docent --help).\n"
        )
        return 2
    from docent.ui import system_libs

    if system_libs.xcb_would_be_used():  # Qt would name one missing library and abort: name them all
        missing = system_libs.missing_libraries()
        if missing:
            sys.stderr.write(system_libs.install_message(missing) + "\n")
            return 2
    try:
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QApplication
    except ImportError as exc:
        sys.stderr.write(f"docent: the desktop window needs PySide6 ({exc}); the CLI works without it\n")
        return 2
    from docent.ui.refcounts import keep_singletons_alive

    keep_singletons_alive()
    from docent import paths
    from docent.ui.crash import CrashReporter
    from docent.ui.theme import Theme, app_icon

    log_file = setup_logging(paths.log_dir())
    log.info("starting the window (data dir %s)", paths.data_dir(data_dir))
    QApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication.instance() or QApplication(sys.argv)
    app.setApplicationName("Docent")
    app.setOrganizationName("Docent")
    app.setDesktopFileName("docent")
    resources = paths.resources_dir()
    app.setWindowIcon(app_icon(resources))
    import os

    Theme(app, resources, os.environ.get("DOCENT_THEME"))  # type: ignore[arg-type]  # dark | light | system

    window: Any = None
    crash = CrashReporter(log_file, lambda: window)
    crash.install()
    try:
        window = create_window(Path(data_dir) if data_dir else None, log_file=log_file)
        window.show()
        if exit_when_ready:
            _quit_when_ready(app, window)
        return int(app.exec())
    finally:
        crash.uninstall()


def _quit_when_ready(app: Any, window: Any) -> None:
    import time

    started = time.monotonic()

    def ready(_library: object) -> None:
        print(f"docent: window ready ({window.windowTitle()!r}, library opened in "
              f"{time.monotonic() - started:.2f} s after show)", flush=True)
        window.close()  # the window's own shutdown: lanes stopped, library closed
        app.exit(0)

    def failed(message: str) -> None:
        print(f"docent: the library did not open: {message}", flush=True)
        window.close()
        app.exit(1)

    window.library.opened.connect(ready)
    window.library.openFailed.connect(failed)

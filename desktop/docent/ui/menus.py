"""The main window's menus and keyboard shortcuts."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut



def build_menus(window: Any) -> None:  # the MainWindow (ui/main_window.py imports this module)
    """File, Edit, View, Library, Tools and Help, with their shortcuts; and Esc (stop the answer)."""
    bar = window.menuBar()
    file = bar.addMenu("&File")
    window.act_add_folder = file.addAction("Add &folder…", window.add_folder_dialog)
    window.act_add_folder.setShortcut(QKeySequence.StandardKey.Open)
    file.addAction("Add f&iles…", window.add_files_dialog)
    file.addSeparator()
    act = file.addAction("&New chat", window.chats.new_chat)
    act.setShortcut(QKeySequence.StandardKey.New)
    window.act_export = file.addAction("&Export chat as Markdown…", window.export_chat)
    window.act_export.setShortcut(QKeySequence("Ctrl+E"))
    file.addSeparator()
    act = file.addAction("&Quit", window.close)
    act.setShortcut(QKeySequence.StandardKey.Quit)

    edit = bar.addMenu("&Edit")
    act = edit.addAction("&Filter documents", window.focus_filter)
    act.setShortcut(QKeySequence.StandardKey.Find)
    act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    act = edit.addAction("Copy last &answer", window.copy_last_answer)
    act.setShortcut(QKeySequence("Ctrl+Shift+C"))

    view = bar.addMenu("&View")
    window.act_viewer = view.addAction("Source &viewer", window.toggle_viewer)
    window.act_viewer.setCheckable(True)
    window.act_viewer.setShortcut(QKeySequence("F9"))
    window.act_viewer.setToolTip("Show or hide the viewer of cited passages beside the chat")
    view.addAction("Viewer in its own &window", window.toggle_detached)

    lib = bar.addMenu("&Library")
    act = lib.addAction("&Check for changes now", lambda: window.library.sync())
    act.setShortcut(QKeySequence.StandardKey.Refresh)
    lib.addAction("&Re-index everything…", window.reindex_everything)
    window.act_cancel = lib.addAction("C&ancel indexing", window.library.cancel_indexing)
    window.act_cancel.setEnabled(False)
    lib.addSeparator()
    window.libraries_menu = lib.addMenu("&Switch library")
    window.libraries_menu.aboutToShow.connect(window._fill_libraries_menu)
    lib.addAction("&New library…", window.new_library)
    lib.addAction("&Open a library folder…", window.open_library_folder)
    lib.addAction("Show library folder", window.show_library_folder)
    window.act_passphrase = lib.addAction("Change &passphrase…", window.change_passphrase)
    window.act_passphrase.setToolTip("Change this library's passphrase, or encrypt it if it is not encrypted")
    window.act_remove_library = lib.addAction("Re&move this library…", window.remove_library)
    if window.registry is None:
        window.libraries_menu.menuAction().setVisible(False)
        window.act_remove_library.setVisible(False)

    tools = bar.addMenu("&Tools")
    tools.addAction("&Models…", window.open_models)
    act = tools.addAction("&Settings…", window.open_settings)
    act.setShortcut(QKeySequence.StandardKey.Preferences if not QKeySequence(QKeySequence.StandardKey.Preferences).isEmpty()
                    else QKeySequence("Ctrl+,"))
    tools.addSeparator()
    window.act_privacy = tools.addAction("&Privacy self-test…", window.open_privacy_selftest)
    audit = tools.addMenu("&Audit log")
    window.act_verify_audit = audit.addAction("&Verify", window.verify_audit)
    window.act_export_audit = audit.addAction("&Export as CSV…", lambda: window.export_audit())

    help_ = bar.addMenu("&Help")
    help_.addAction("Show &log file", window.show_log)
    help_.addAction("&About Docent", window.about)

    window.esc = QShortcut(QKeySequence(Qt.Key.Key_Escape), window)
    window.esc.setContext(Qt.ShortcutContext.WindowShortcut)
    window.esc.activated.connect(window.on_escape)

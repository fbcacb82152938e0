"""The Library menu's actions on named libraries: switch, create (optionally encrypted), open a
folder, change the passphrase (or encrypt), remove, show the folder. A mixin of MainWindow (split
from main_window.py), using its `library` controller, `registry`, `viewer`, `libraries_menu` and
`log_file`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QActionGroup, QDesktopServices
from PySide6.QtWidgets import QFileDialog, QMessageBox


class LibraryActions:
    library: Any
    registry: Any
    viewer: Any
    hide_viewer: Any  # ChatActions'
    libraries_menu: Any
    log_file: Path | None  # statusBar() and the dialogs' parent come from QMainWindow, later in the MRO

    def _fill_libraries_menu(self) -> None:
        menu = self.libraries_menu
        menu.clear()
        if self.registry is None:
            return
        group = QActionGroup(menu)
        for entry in self.registry.entries:
            act = QAction(entry.name, menu, checkable=True)
            act.setToolTip(entry.path)
            act.setChecked(self.library.data_dir is not None and str(self.library.data_dir) == entry.path)
            act.triggered.connect(lambda _c=False, p=entry.path: self.switch_library(p))
            group.addAction(act)
            menu.addAction(act)

    def switch_library(self, path: str, passphrase: str | None = None, encrypt: bool = False) -> None:
        if self.library.data_dir is not None and str(self.library.data_dir) == path:
            return
        if self.library.indexing:
            answer = QMessageBox.question(self, "Switch library", "Indexing is running. Stop it and switch library?")
            if answer != QMessageBox.StandardButton.Yes:
                return
        if self.registry is not None:
            self.registry.current = path
            self.registry.save()
        if self.viewer is not None:
            self.hide_viewer()
        self.library.open(Path(path), passphrase=passphrase, encrypt=encrypt)

    def reindex_everything(self, confirm: bool = True) -> bool:
        """Library › Re-index everything…: asked first (it reads every document again, which takes
        as long as the first indexing); the documents stay searchable while it runs."""
        if not self.library.is_open:
            return False
        n = sum(1 for r in self.library.rows.values() if r.status == "indexed")
        text = (f"Read all {n} indexed document{'s' if n != 1 else ''} of this library again?\n\n"
                "This takes about as long as indexing them the first time. Each document stays searchable "
                "until its new index replaces the old one; you can cancel at any time.")
        if confirm and QMessageBox.question(
                self, "Re-index everything", text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel) != QMessageBox.StandardButton.Yes:
            return False
        self.library.sync(force=True)
        return True

    def new_library(self) -> None:
        """Library › New library…: its name, and whether it is encrypted (with which passphrase)."""
        from PySide6.QtWidgets import QDialog

        from docent.ui.widgets.encryption import NewLibraryDialog

        if self.registry is None:
            return
        dialog = NewLibraryDialog(self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        name, passphrase = dialog.result_values()
        if name:
            entry = self.registry.add(name)
            self.registry.save()
            self.switch_library(entry.path, passphrase=passphrase, encrypt=passphrase is not None)

    def open_library_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open or create a library in a folder", str(Path.home()))
        if not folder:
            return
        if self.registry is not None:
            entry = self.registry.add(Path(folder).name, folder)
            self.registry.save()
            self.switch_library(entry.path)
        else:
            self.library.open(Path(folder))

    def remove_library(self, path: str | None = None, confirm: bool = True) -> None:
        """Delete a library's index, chats and audit log from this computer (documents untouched).
        The current library is closed first; the deletion runs on the library's lane, after the close."""
        if self.registry is None:
            return
        if path is None:
            if self.library.data_dir is None:
                return
            path = str(self.library.data_dir)
        name = self.registry.name_of(path)
        text = (f"Remove the library “{name}”?\n\nIts index, saved chats and audit log are deleted from this "
                "computer. Your documents themselves are not touched.")
        if path == self.registry.default_dir:
            text += "\n\nThis is the default library: it stays in the list, empty."
        if confirm and QMessageBox.question(self, "Remove library", text) != QMessageBox.StandardButton.Yes:
            return
        current = self.library.data_dir is not None and str(self.library.data_dir) == path
        if current:
            self.library.close_library()
        from docent.core.storage.registry import delete_library
        from docent.ui.controllers.common import describe_error

        def done(left: list[str]) -> None:
            assert self.registry is not None
            self.registry.forget(path)
            self.registry.save()
            kept = f"; {len(left)} files of yours in its folder were kept" if left else ""
            message = f"Removed the library “{name}”{kept}"
            if not current:
                self.statusBar().showMessage(message, 10000)
                return

            def reopened(_state: object) -> None:  # after "Opening…", so the user sees what happened
                self.library.opened.disconnect(reopened)
                self.statusBar().showMessage(message, 10000)

            self.library.opened.connect(reopened)
            self.library.open(Path(self.registry.current))

        def failed(exc: BaseException) -> None:
            from docent.errors import RemoteVectorsKept

            if isinstance(exc, RemoteVectorsKept) and QMessageBox.question(
                    self, "Remove library", f"{describe_error(exc, self.log_file)}\n\nRemove it from this computer only?"
            ) == QMessageBox.StandardButton.Yes:
                self.library.lane.call("remove library", lambda: delete_library(Path(path), keep_remote=True),
                                       on_result=done, on_error=failed)
                return
            if not isinstance(exc, RemoteVectorsKept):
                QMessageBox.warning(self, "Remove library", describe_error(exc, self.log_file))
            if current:
                self.library.open(Path(path))

        self.library.lane.call("remove library", lambda: delete_library(Path(path)), on_result=done, on_error=failed)

    def change_passphrase(self) -> None:
        """Library › Change passphrase…: close the library, encrypt it again under the new passphrase
        (or encrypt a plain one) on the library's lane, and open it with the new passphrase."""
        from docent.core.storage import crypto
        from docent.core.storage.rekey import change_passphrase
        from docent.ui.controllers.common import describe_error
        from docent.ui.widgets.encryption import ChangePassphraseDialog

        if not self.library.is_open or self.library.data_dir is None:
            return
        path = Path(self.library.data_dir)
        name = self.registry.name_of(str(path)) if self.registry is not None else path.name
        if self.library.indexing and QMessageBox.question(
                self, "Change passphrase", "Indexing is running. Stop it and change the passphrase?"
        ) != QMessageBox.StandardButton.Yes:
            return
        dialog = ChangePassphraseDialog(name, crypto.is_encrypted(path), self)
        if not dialog.exec():
            return
        current, new = dialog.result_values()

        def proceed(_keys: object) -> None:
            self.library.close_library()
            self.library.lane.call("change passphrase", lambda: change_passphrase(path, current, new),
                                   on_result=done, on_error=failed)

        def wrong(exc: BaseException) -> None:  # checked before closing: the library stays open as it is
            QMessageBox.warning(self, "Change passphrase", describe_error(exc, self.log_file))

        def done(_chats: int) -> None:
            def reopened(_state: object) -> None:
                self.library.opened.disconnect(reopened)
                self.statusBar().showMessage(f"The library “{name}” now opens with the new passphrase", 10000)

            self.library.opened.connect(reopened)
            self.library.open(path, passphrase=new)

        def failed(exc: BaseException) -> None:  # nothing was changed: open it as it was
            QMessageBox.warning(self, "Change passphrase", describe_error(exc, self.log_file))
            self.library.open(path, passphrase=current)

        if current is None:
            proceed(None)
        else:  # the current passphrase is checked first (scrypt: about 0.1 s, on the lane)
            self.library.lane.call("check passphrase", lambda: crypto.unlock(path, current),
                                   on_result=proceed, on_error=wrong)

    def show_library_folder(self) -> None:
        if self.library.data_dir is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.library.data_dir)))


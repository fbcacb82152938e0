"""The dialogs of encryption at rest: a new library (its name, and whether it is encrypted with a
passphrase) and the passphrase of an encrypted library being opened."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from docent.core.storage.crypto import WHAT_IS_ENCRYPTED

FORGOTTEN = "A forgotten passphrase cannot be recovered: the documents would have to be indexed again."


def _password() -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    return field


def _hint(text: str) -> QLabel:
    note = QLabel(text)
    note.setObjectName("hint")
    note.setWordWrap(True)
    return note


class _CheckedDialog(QDialog):
    """A dialog whose OK stays disabled, with the reason shown above it, while problem_text() says
    what is missing."""

    problem: QLabel
    buttons: QDialogButtonBox

    def _add_problem_and_buttons(self, layout: QVBoxLayout) -> None:
        self.problem = QLabel("")
        self.problem.setWordWrap(True)
        layout.addWidget(self.problem)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def problem_text(self) -> str:
        raise NotImplementedError

    def _show_problem(self, visible: bool) -> None:
        problem = self.problem_text()
        self.problem.setText(problem if visible else "")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not problem)

    def accept(self) -> None:
        if not self.problem_text():
            super().accept()


class NewLibraryDialog(_CheckedDialog):
    """Library › New library…: a name, and "Encrypt this library" with its passphrase (twice)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New library")
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.name = QLineEdit()
        self.name.setPlaceholderText("e.g. Contracts, Research")
        form.addRow("Name:", self.name)
        self.encrypt = QCheckBox("Encrypt this library")
        self.encrypt.setToolTip(WHAT_IS_ENCRYPTED)
        form.addRow("", self.encrypt)
        self.passphrase = _password()
        self.repeat = _password()
        form.addRow("Passphrase:", self.passphrase)
        form.addRow("Repeat it:", self.repeat)
        layout.addLayout(form)
        self.note = _hint(f"{WHAT_IS_ENCRYPTED}\n{FORGOTTEN}")
        layout.addWidget(self.note)
        self._add_problem_and_buttons(layout)
        for w in (self.name, self.passphrase, self.repeat):
            w.textChanged.connect(self._check)
        self.encrypt.toggled.connect(self._check)
        self._check()

    def problem_text(self) -> str:
        if not self.name.text().strip():
            return "Give the library a name."
        if self.encrypt.isChecked():
            if not self.passphrase.text():
                return "Choose a passphrase."
            if self.passphrase.text() != self.repeat.text():
                return "The two passphrases differ."
        return ""

    def _check(self) -> None:
        for w in (self.passphrase, self.repeat, self.note):
            w.setEnabled(self.encrypt.isChecked())
        self._show_problem(bool(self.name.text()) or self.encrypt.isChecked())

    def result_values(self) -> tuple[str, str | None]:
        """(name, passphrase); the passphrase is None when the library is not to be encrypted."""
        return self.name.text().strip(), self.passphrase.text() if self.encrypt.isChecked() else None


class PassphraseDialog(QDialog):
    """The passphrase of an encrypted library being opened; `why` says what went wrong, if anything."""

    def __init__(self, name: str, why: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Encrypted library")
        layout = QVBoxLayout(self)
        intro = QLabel(f"The library “{name}” is encrypted. Type its passphrase to open it.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        if why:
            problem = QLabel(why[:1].upper() + why[1:])
            problem.setWordWrap(True)
            layout.addWidget(problem)
        self.passphrase = _password()
        layout.addWidget(self.passphrase)
        layout.addWidget(_hint(WHAT_IS_ENCRYPTED))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


class ChangePassphraseDialog(_CheckedDialog):
    """Library › Change passphrase…: the current passphrase (of an encrypted library) and a new one,
    twice. On a plain library it encrypts the library instead."""

    def __init__(self, name: str, encrypted: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.encrypted = encrypted
        self.setWindowTitle("Change passphrase" if encrypted else "Encrypt library")
        layout = QVBoxLayout(self)
        intro = QLabel(f"Choose a new passphrase for the library “{name}”." if encrypted else
                       f"The library “{name}” is not encrypted. Choose a passphrase to encrypt it.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.current = _password()
        if encrypted:
            form.addRow("Current passphrase:", self.current)
        self.passphrase = _password()
        self.repeat = _password()
        form.addRow("New passphrase:", self.passphrase)
        form.addRow("Repeat it:", self.repeat)
        layout.addLayout(form)
        layout.addWidget(_hint("The library is closed while its files are encrypted again (a few seconds for a "
                               "large library), then opened with the new passphrase.\n"
                               f"{WHAT_IS_ENCRYPTED}\n{FORGOTTEN}"))
        self._add_problem_and_buttons(layout)
        for w in (self.current, self.passphrase, self.repeat):
            w.textChanged.connect(self._check)
        self._check()

    def problem_text(self) -> str:
        if self.encrypted and not self.current.text():
            return "Type the current passphrase."
        if not self.passphrase.text():
            return "Choose a new passphrase."
        if self.passphrase.text() != self.repeat.text():
            return "The two new passphrases differ."
        return ""

    def _check(self) -> None:
        self._show_problem(bool(self.passphrase.text() or self.repeat.text()))

    def result_values(self) -> tuple[str | None, str]:
        """(current passphrase or None for a plain library, new passphrase)."""
        return (self.current.text() if self.encrypted else None), self.passphrase.text()

"""The window and encryption at rest: an encrypted library asks for its passphrase (again, saying so,
after a wrong one) and its chats are sealed; Library › New library… can create an encrypted one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docent.core.library import Library

PASSPHRASE = "open sesame, slowly"


def _factory(embedder: Any) -> Any:
    def open_library(d: Path, **options: Any) -> Any:
        return Library(d, embedder=embedder, **options)

    return open_library


def test_an_encrypted_library_asks_its_passphrase(make_window: Any, qtbot: Any, tmp_path: Path, embedder: Any,
                                                  monkeypatch: Any) -> None:
    from PySide6.QtWidgets import QLabel

    from docent.ui.widgets.encryption import PassphraseDialog

    folder = tmp_path / "sealed"
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "memo.txt").write_text("The Vexmoorian archive opens at nine.\n", encoding="utf-8")
    with Library(folder, embedder=embedder, passphrase=PASSPHRASE, encrypt=True) as lib:
        list(lib.index([tmp_path / "docs"]))
    answers = ["not the passphrase", PASSPHRASE]
    asked: list[str] = []

    def exec_(self: PassphraseDialog) -> int:
        asked.append(" ".join(label.text() for label in self.findChildren(QLabel)))
        self.passphrase.setText(answers.pop(0))
        return 1  # Accepted

    monkeypatch.setattr(PassphraseDialog, "exec", exec_)
    w = make_window(folder, factory=_factory(embedder), wait_open=False)
    qtbot.waitUntil(lambda: w.library.is_open and w.library.lib is not None and len(w.library.rows) == 1,
                    timeout=30_000)
    assert len(asked) == 2 and "wrong passphrase" not in asked[0] and "wrong passphrase" in asked[1].lower()
    assert w.chats.store is not None and w.chats.store._key is not None  # chats sealed with the library's key
    assert w.library.lib.encrypted


def test_new_library_can_be_encrypted(make_window: Any, qtbot: Any, embedder: Any, monkeypatch: Any) -> None:
    from docent.ui.widgets.encryption import NewLibraryDialog

    def exec_(self: NewLibraryDialog) -> int:
        self.name.setText("Sealed contracts")
        assert self.problem_text() == ""  # a plain library needs only a name
        self.encrypt.setChecked(True)
        self.passphrase.setText(PASSPHRASE)
        self.repeat.setText(PASSPHRASE + "!")
        assert self.problem_text() == "The two passphrases differ."
        self.repeat.setText(PASSPHRASE)
        return 1 if not self.problem_text() else 0

    monkeypatch.setattr(NewLibraryDialog, "exec", exec_)
    w = make_window(factory=_factory(embedder))
    with qtbot.waitSignal(w.library.opened, timeout=30_000) as opened:
        w.new_library()
    state = opened.args[0]
    assert state.encrypted and (Path(state.data_dir) / "encryption.json").is_file()
    assert w.windowTitle() == "Docent — Sealed contracts"


def test_change_passphrase_reopens_the_library_with_the_new_one(make_window: Any, qtbot: Any, tmp_path: Path,
                                                                 embedder: Any, monkeypatch: Any) -> None:
    from docent.core.storage import crypto
    from docent.errors import WrongPassphrase
    from docent.ui.widgets.encryption import ChangePassphraseDialog, PassphraseDialog

    folder = tmp_path / "plain"
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "memo.txt").write_text("The Vexmoorian archive opens at nine.\n", encoding="utf-8")
    with Library(folder, embedder=embedder) as lib:
        list(lib.index([tmp_path / "docs"]))
    steps = [("", "new one", "new one"),                       # a plain library: encrypt it
             (PASSPHRASE + "?", "second", "second"),            # a wrong current passphrase: refused
             ("new one", "second", "second")]                   # then changed
    seen: list[str] = []

    def exec_(self: ChangePassphraseDialog) -> int:
        current, new, repeat = steps.pop(0)
        seen.append(self.windowTitle())
        self.current.setText(current)
        self.passphrase.setText(new)
        self.repeat.setText(repeat + "x")
        assert self.problem_text() == "The two new passphrases differ."
        self.repeat.setText(repeat)
        return 1 if not self.problem_text() else 0

    monkeypatch.setattr(ChangePassphraseDialog, "exec", exec_)
    monkeypatch.setattr(PassphraseDialog, "exec", lambda self: 0)  # never needed: the window knows the new one
    warnings: list[str] = []
    monkeypatch.setattr("docent.ui.library_actions.QMessageBox.warning", lambda _p, _t, text: warnings.append(text))
    w = make_window(folder, factory=_factory(embedder))
    with qtbot.waitSignal(w.library.opened, timeout=30_000) as opened:
        w.change_passphrase()
    assert opened.args[0].encrypted and crypto.is_encrypted(folder) and seen == ["Encrypt library"]
    w.change_passphrase()  # refused before anything is closed: the library stays open
    qtbot.waitUntil(lambda: bool(warnings), timeout=30_000)
    assert "wrong passphrase" in warnings[0].lower() and w.library.is_open
    with qtbot.waitSignal(w.library.opened, timeout=30_000) as opened:
        w.change_passphrase()
    assert seen == ["Encrypt library", "Change passphrase", "Change passphrase"]
    assert opened.args[0].encrypted and len(w.library.rows) == 1
    w.library.close_library()
    qtbot.waitUntil(lambda: not w.library.is_open, timeout=10_000)
    with Library(folder, embedder=embedder, passphrase="second") as lib:
        assert [d.status for d in lib.catalog.documents()] == ["indexed"]
    try:
        Library(folder, embedder=embedder, passphrase="new one")
        raise AssertionError("the old passphrase still opens the library")
    except WrongPassphrase:
        pass

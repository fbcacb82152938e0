"""Settings (validated, saved, restored), the model manager (bundled, found and imported models;
switching), window geometry, and errors shown in the window."""

from __future__ import annotations

import json
import logging
import struct
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QFileDialog, QMessageBox
from ui_helpers import make_docs

from docent.core.models.packaged import SMOLLM2, packaged_path


def write_gguf(path: Path, arch: str = "llama", file_type: int = 15, ctx: int = 8192, size: int = 1_200_000,
               name: str = "Tiny Test Model") -> Path:
    """A header-only GGUF (no tensors) padded to `size` bytes: valid for read_gguf, never loaded."""

    def s(text: str) -> bytes:
        data = text.encode()
        return struct.pack("<Q", len(data)) + data

    kv = [
        s("general.architecture") + struct.pack("<I", 8) + s(arch),
        s("general.name") + struct.pack("<I", 8) + s(name),
        s("general.file_type") + struct.pack("<I", 4) + struct.pack("<I", file_type),
        s(f"{arch}.context_length") + struct.pack("<I", 4) + struct.pack("<I", ctx),
    ]
    header = b"GGUF" + struct.pack("<I", 3) + struct.pack("<QQ", 0, len(kv)) + b"".join(kv)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header + b"\0" * (size - len(header)))
    return path


def test_settings_are_validated_saved_and_restored(make_window: Any, qtbot: Any, tmp_path: Path) -> None:
    w = make_window()
    w.resize(640, 480)  # within the offscreen screen (800 × 600)
    dialog = w.open_settings()
    assert dialog is not None and dialog.n_ctx.value() == 2048  # the test settings
    save = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)
    dialog.chunk.setValue(64)
    dialog.overlap.setValue(40)
    save_at = save.mapTo(dialog, save.rect().topLeft())
    assert not save.isEnabled() and dialog.problems.isVisibleTo(dialog)
    assert "Chunk overlap must be at least 0 and under half the chunk size" in dialog.problems.text()
    dialog.overlap.setValue(16)
    assert save.isEnabled() and dialog.problems.text() == ""
    assert save.mapTo(dialog, save.rect().topLeft()) == save_at  # the buttons stay where they were
    assert dialog.chunk_note.isVisibleTo(dialog)  # warns that documents will be re-read
    dialog.n_ctx.setValue(3072)
    dialog.sources.setValue(3)
    dialog.temperature.setValue(0.3)
    dialog.gpu_mode.setCurrentIndex(0)  # automatic
    with qtbot.waitSignal(w.files.gpuSupport, timeout=20_000) as gpu:
        w.files.check_gpu()
    expected_gpu = -1 if gpu.args[0] else 0
    assert dialog.gpu_layers_value() == expected_gpu
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    saved = json.loads((w.library.data_dir / "settings.json").read_text())
    assert (saved["n_ctx"], saved["sources"], saved["temperature"], saved["chunk_tokens"], saved["chunk_overlap"]) == \
        (3072, 3, 0.3, 64, 16)
    assert saved["n_gpu_layers"] == expected_gpu
    qtbot.waitUntil(lambda: w.library.lib.settings.n_ctx == 3072)  # the open library uses them now

    data_dir = w.library.data_dir
    w.close()
    again = make_window(data_dir)
    assert (again.size().width(), again.size().height()) == (640, 480)  # geometry restored
    dialog = again.open_settings()
    assert (dialog.n_ctx.value(), dialog.sources.value(), dialog.chunk.value(), dialog.overlap.value()) == (3072, 3, 64, 16)
    assert abs(dialog.temperature.value() - 0.3) < 1e-9
    dialog.reject()


def test_model_manager_finds_imports_and_switches(make_window: Any, qtbot: Any, tmp_path: Path,
                                                  monkeypatch: Any) -> None:
    home = tmp_path / "home"
    smollm = packaged_path(SMOLLM2)
    lm = home / ".cache" / "lm-studio" / "models" / "someone" / "SmolLM2-135M-Instruct.Q4_1.gguf"
    lm.parent.mkdir(parents=True)
    lm.symlink_to(smollm)
    write_gguf(home / ".ollama" / "models" / "blobs" / ("sha256-" + "ab" * 32), name="Llama Test", file_type=15)
    (home / ".local" / "share" / "nomic.ai" / "GPT4All").mkdir(parents=True)
    broken = home / ".local" / "share" / "nomic.ai" / "GPT4All" / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\xff" * 1_100_000)
    write_gguf(home / ".cache" / "huggingface" / "hub" / "models--x--emb" / "snapshots" / "1" / "emb.gguf",
               arch="bert", name="Embedder")

    w = make_window()
    with qtbot.waitSignal(w.files.modelsListed, timeout=20_000):
        dialog = w.open_models()
    names = [dialog.table.topLevelItem(i).text(0) for i in range(dialog.table.topLevelItemCount())]
    assert "✓ SmolLM2 135M Instruct" in names and "Gemma 3 270M" in names  # the one in use is marked
    assert "SmolLM2 135M Instruct (bundled)" in dialog.in_use.text()
    with qtbot.waitSignal(w.files.discoveryFinished, timeout=30_000) as found:
        qtbot.mouseClick(dialog.find_button, Qt.MouseButton.LeftButton)
    assert found.args[0] == 4
    rows = {dialog.table.topLevelItem(i).text(1) + ":" + dialog.table.topLevelItem(i).text(0): dialog.table.topLevelItem(i)
            for i in range(dialog.table.topLevelItemCount())}
    lm_item = rows["LM Studio:SmolLM2-135M-Instruct.Q4_1"]
    assert lm_item.text(2) == "Q4_1" and lm_item.text(4) == "8,192" and "MB" in lm_item.text(3)
    assert rows["Ollama:Llama Test"].text(2) == "Q4_K_M"
    assert "Cannot be used" in rows["GPT4All:broken"].text(5)
    assert not any(k.startswith("Hugging Face") for k in rows)  # embedding models cannot answer
    assert "Found 4 GGUF files" in dialog.status.text()

    # Use the found model: saved in the settings, shown in the status bar, no re-indexing.
    dialog.table.setCurrentItem(lm_item)
    qtbot.mouseClick(dialog.use, Qt.MouseButton.LeftButton)
    assert w.library.settings.chat_model == str(lm)
    assert json.loads((w.library.data_dir / "settings.json").read_text())["chat_model"] == str(lm)
    assert w.model_label.text() == f"Model: {lm.name}"
    assert not w.library.indexing

    # Importing a damaged file says why it cannot be used.
    warnings: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text, *a: warnings.append(text))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(broken), ""))
    with qtbot.waitSignal(w.files.importFailed, timeout=20_000):
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert warnings and "broken.gguf cannot be used" in warnings[0]

    # Switching the embedder asks first; cancelling changes nothing.
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Cancel)
    monkeypatch.setattr(QFileDialog, "getOpenFileName",
                        lambda *a, **k: (str(home / ".cache/huggingface/hub/models--x--emb/snapshots/1/emb.gguf"), ""))
    qtbot.mouseClick(dialog.other_embedder, Qt.MouseButton.LeftButton)
    assert w.library.settings.embedder == "default"
    dialog.reject()


def test_model_errors_are_shown_in_the_answer(make_window: Any, qtbot: Any, tmp_path: Path) -> None:
    from dataclasses import replace

    docs = make_docs(tmp_path / "docs")
    w = make_window()
    with qtbot.waitSignal(w.library.indexFinished, timeout=60_000):
        w.add_paths([str(docs)])
    question = "How often is the alarm code of the Lisbon warehouse changed?"

    assert not w.apply_settings(replace(w.library.settings, chat_model=str(tmp_path / "gone.gguf")))
    with qtbot.waitSignal(w.chats.turnFinished, timeout=30_000):
        w.ask(question)
    turn = w.chats.chat.turns[-1]
    assert "chat model not found" in turn.error and str(tmp_path / "gone.gguf") in turn.error
    assert w.chat_pane.turns[-1].error.isVisibleTo(w)

    corrupt = tmp_path / "corrupt.gguf"
    corrupt.write_bytes(b"NOTGGUF" + b"\0" * 4096)
    assert not w.apply_settings(replace(w.library.settings, chat_model=str(corrupt)))
    with qtbot.waitSignal(w.chats.turnFinished, timeout=30_000):
        w.ask(question)
    assert "not a GGUF model file" in w.chats.chat.turns[-1].error
    assert w.chat_pane.turns[-1].error.text() == w.chats.chat.turns[-1].error


def test_a_library_in_use_is_reported(make_window: Any, qtbot: Any, tmp_path: Path, embedder: Any) -> None:
    from docent.core.library import Library

    data_dir = tmp_path / "busy"
    with Library(data_dir, embedder=embedder):
        w = make_window(data_dir, wait_open=False)
        with qtbot.waitSignal(w.library.openFailed, timeout=20_000):
            pass
    assert w.banner.isVisibleTo(w)
    assert "in use by another Docent process" in w.banner.text.text()
    assert w.banner.action.text() == "Open another library folder…"


def test_uncaught_exceptions_are_logged_and_shown(qtbot: Any, tmp_path: Path, monkeypatch: Any) -> None:
    from docent.app import setup_logging
    from docent.ui.crash import CrashReporter

    root = logging.getLogger()
    before = list(root.handlers)
    log_file = setup_logging(tmp_path / "logs")
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append((box.text(), box.informativeText())) or 0)
    reporter = CrashReporter(log_file, lambda: None)
    try:
        try:
            raise ValueError("boom in a slot")
        except ValueError:
            with qtbot.waitSignal(reporter.crashed):
                reporter._hook(*sys.exc_info())  # what sys.excepthook does once installed
    finally:
        for h in root.handlers[:]:
            if h not in before:
                root.removeHandler(h)
                h.close()
    assert shown and "boom in a slot" in shown[0][0] and str(log_file) in shown[0][1]
    assert "ValueError: boom in a slot" in log_file.read_text()


def test_switching_the_embedder_rebuilds_the_index(make_window: Any, qtbot: Any, tmp_path: Path) -> None:
    import os
    import subprocess
    from dataclasses import replace

    from docent.settings import save
    from ui_helpers import TEST_SETTINGS

    docs = make_docs(tmp_path / "docs")
    data_dir = tmp_path / "lib"
    save(data_dir / "settings.json", TEST_SETTINGS)
    # Built by another process (as after a restart): Chroma has no client for it in this one.
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1] / "netguard"))
    subprocess.run([sys.executable, "-m", "docent", "--data-dir", str(data_dir), "index", str(docs)],
                   check=True, capture_output=True, env=env, timeout=120)
    w = make_window(data_dir)
    w.library.folders.add(docs)
    w.library.folders.save()
    other = str(tmp_path / "other-embedder.gguf")  # the test's factory keeps the session embedder
    assert w.library.needs_rebuild(replace(w.library.settings, embedder=other))
    with qtbot.waitSignal(w.library.restartNeeded):
        assert not w.apply_settings(replace(w.library.settings, embedder=other))
    assert json.loads((data_dir / "settings.json").read_text())["embedder"] == other
    assert json.loads((data_dir / "folders.json").read_text())["rebuild_pending"] is True
    assert w.banner.isVisibleTo(w) and w.banner.action.text() == "Restart now"
    qtbot.waitUntil(lambda: w.library.lib.settings.embedder == "default")  # not switched under the index
    w.close()

    again = make_window(data_dir, wait_open=False)
    with qtbot.waitSignal(again.library.indexFinished, timeout=60_000) as done:
        pass
    assert done.args[0].indexed == 2 and done.args[0].unchanged == 0  # every document read again
    assert json.loads((data_dir / "folders.json").read_text())["rebuild_pending"] is False


def test_office_server_addresses_are_checked_and_saved(make_window: Any, qtbot: Any, tmp_path: Path) -> None:
    w = make_window()
    dialog = w.open_settings()
    save = dialog.buttons.button(QDialogButtonBox.StandardButton.Save)
    dialog.llm_server.setText("not a url")
    assert not save.isEnabled() and "model server" in dialog.problems.text().lower()
    dialog.llm_server.setText("")
    dialog.chroma_server.setText("http://127.0.0.1:8000")
    assert save.isEnabled()
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    saved = json.loads((w.library.data_dir / "settings.json").read_text())
    assert (saved["chroma_server"], saved["llm_server"]) == ("http://127.0.0.1:8000", "")
    dialog = w.open_settings()
    assert dialog.chroma_server.text() == "http://127.0.0.1:8000"
    dialog.chroma_server.setText("")  # back to this computer, before anything tries the address
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)
    assert json.loads((w.library.data_dir / "settings.json").read_text())["chroma_server"] == ""

"""Provenance, audit and privacy in the window: "Why this answer?" on an answer from the real model;
the audit log (office profile) verified and exported from the Tools menu; the profile and retention
settings; the privacy self-test run in the background with progress (the real one, and a report
with a connection shown as a failure)."""

from __future__ import annotations

import csv
import functools
import hashlib
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox
from ui_helpers import TEST_SETTINGS, make_docs

from docent.core.models.packaged import SMOLLM2, packaged_path
from docent.core.selftest.privacy import SelfTestReport, SelfTestStep, run_selftest


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@pytest.mark.slow  # runs the real chat model
def test_why_this_answer_and_the_audit_log(make_window: Any, qtbot: Any, tmp_path: Path) -> None:
    docs = make_docs(tmp_path / "docs")
    w = make_window(settings=replace(TEST_SETTINGS, profile="office"))
    with qtbot.waitSignal(w.library.indexFinished, timeout=60_000):
        w.add_paths([str(docs)])
    with qtbot.waitSignal(w.chats.turnFinished, timeout=120_000):
        w.ask("How often is the alarm code of the Lisbon warehouse changed?")
    turn = w.chats.chat.turns[-1]
    assert turn.answered and not turn.error
    model = packaged_path(SMOLLM2)
    prov = turn.provenance
    assert prov["model_path"] == str(model) and prov["model_sha256"] == _sha256(model)
    assert prov["quantization"] == "Q4_1" and prov["embedder"] == w.library.lib.embedder.id
    assert prov["passages"] and prov["passages"][0]["rank"] >= 1

    widget = w.chat_pane.turns[-1]
    assert widget.why.isVisibleTo(w)
    qtbot.mouseClick(widget.why, Qt.MouseButton.LeftButton)
    dialog = widget.provenance_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.sha256.text() == prov["model_sha256"]
    assert dialog.model_name.text() == model.name and dialog.quantization.text() == "Q4_1"
    assert dialog.passages.topLevelItemCount() == len(prov["passages"])
    first = dialog.passages.topLevelItem(0)
    assert first.text(0) == "[1]" and first.text(2) == Path(prov["passages"][0]["path"]).name
    groups = [dialog.settings.topLevelItem(i).text(0) for i in range(dialog.settings.topLevelItemCount())]
    assert groups == ["Retrieval", "Generation", "Timings"]
    dialog.reject()

    # kept with the chat, and in its export
    assert w.chats.store.load(w.chats.chat.id).turns[-1].provenance == prov
    target = tmp_path / "chat.md"
    w.chats.export_markdown(target)
    assert "**Why this answer?**" in target.read_text() and prov["model_sha256"] in target.read_text()

    # the office profile logged the question: Tools › Audit log › Verify and Export
    w.verify_audit()
    qtbot.waitUntil(lambda: "audit log is intact" in w.banner.text.text(), timeout=10_000)
    assert "1 records" in w.banner.text.text()
    out = tmp_path / "audit.csv"
    w.export_audit(str(out))
    qtbot.waitUntil(out.exists, timeout=10_000)
    qtbot.waitUntil(lambda: len(list(csv.DictReader(out.open()))) == 1, timeout=10_000)
    row = next(csv.DictReader(out.open()))
    assert row["model_sha256"] == prov["model_sha256"] and row["answered"] == "yes"
    assert "Orion_Handbook.pdf" in row["documents"] and "alarm" not in out.read_text().lower()

    # an edited record is reported
    log_file = w.library.data_dir / "audit" / "log.jsonl"
    log_file.write_text(log_file.read_text().replace('"answered": true', '"answered": false'))
    w.verify_audit()
    qtbot.waitUntil(lambda: "tampered" in w.banner.text.text(), timeout=10_000)
    assert "no longer matches its hash" in w.banner.text.text()


def test_profile_and_retention_settings(make_window: Any, qtbot: Any) -> None:
    import json

    w = make_window()
    dialog = w.open_settings()
    assert dialog.profile.currentData() == "personal" and not dialog.audit.isChecked()
    assert not dialog.retention.isEnabled()
    dialog.profile.setCurrentIndex(dialog.profile.findData("office"))
    assert dialog.audit.isChecked() and dialog.retention.isEnabled()  # the office profile logs questions
    dialog.retention.setValue(30)
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)
    saved = json.loads((w.library.data_dir / "settings.json").read_text())
    assert (saved["profile"], saved["audit_log"], saved["audit_retention_days"]) == ("office", None, 30)
    qtbot.waitUntil(lambda: w.library.lib.settings.audit_enabled)

    dialog = w.open_settings()
    assert dialog.profile.currentData() == "office" and dialog.retention.value() == 30
    dialog.audit.setChecked(False)  # office, but no log: kept as an explicit choice
    assert dialog.settings().audit_log is False and not dialog.settings().audit_enabled
    dialog.reject()


def _scripted(report: SelfTestReport) -> Any:
    def run(cancel: Any = None) -> Iterator[Any]:
        yield SelfTestStep("start", "Intercepting every network call", 0.02)
        yield SelfTestStep("index", "Indexing Release_Notes.md", 0.4)
        yield report

    return run


@pytest.mark.slow  # runs the real chat model
def test_privacy_self_test_runs_in_the_background(make_window: Any, qtbot: Any, embedder: Any) -> None:
    w = make_window()
    fast = replace(TEST_SETTINGS, max_answer_tokens=32, n_threads=1)
    w.privacy.runner = functools.partial(run_selftest, settings=fast, embedder=embedder)
    steps: list[Any] = []
    w.privacy.progress.connect(steps.append)
    assert w.act_privacy.text() == "&Privacy self-test…"
    with qtbot.waitSignal(w.privacy.finished, timeout=180_000) as done:
        dialog = w.open_privacy_selftest()
        assert w.privacy.busy and not dialog.run_again.isEnabled()
        assert w.isEnabled() and w.chat_pane.input.isEnabled()  # the window is not blocked meanwhile
    report = done.args[0]
    assert report.ok and report.connections_attempted == 0
    assert [s.step for s in steps][0] == "start" and {"index", "ask", "files"} <= {s.step for s in steps}
    assert dialog.progress_bar.value() == 100
    assert dialog.result.text().startswith("0 network connections attempted")
    assert dialog.files.topLevelItemCount() == len(report.files_written) > 5
    modes = {dialog.files.topLevelItem(i).text(0) for i in range(dialog.files.topLevelItemCount())}
    assert "0700" in modes
    assert dialog.run_again.isEnabled() and dialog.copy.isEnabled()
    dialog.reject()


def test_privacy_self_test_shows_an_attempted_connection(make_window: Any, qtbot: Any) -> None:
    w = make_window()
    bad = SelfTestReport(ok=False, connections_attempted=1,
                         connections=[{"call": "socket.create_connection", "target": "('127.0.0.1', 9)", "pid": 1}],
                         files_written=[{"path": "/tmp/x/library", "where": "library", "kind": "dir", "mode": "0700",
                                         "size": 0, "exposed": False}],
                         folders={}, indexed=3, pages=4)
    w.privacy.runner = _scripted(bad)
    settings = w.open_settings()  # the self-test is also in Settings › Privacy and audit
    with qtbot.waitSignal(w.privacy.finished, timeout=10_000):
        qtbot.mouseClick(settings.selftest, Qt.MouseButton.LeftButton)
    settings.reject()
    dialogs = [d for d in w.findChildren(QDialog) if d.windowTitle() == "Privacy self-test"]
    assert dialogs
    dialog = dialogs[-1]
    assert dialog.result.text().startswith("1 network connection attempted: Docent tried to reach the network!")
    assert dialog.result.property("ok") is False
    top = dialog.files.topLevelItem(0)
    assert top.text(2) == "NETWORK" and "127.0.0.1" in top.text(4)
    dialog.reject()


def test_why_this_answer_names_the_model_on_the_office_server(qtbot: Any) -> None:
    from docent.ui.widgets.provenance import ProvenanceDialog

    prov = {"model_path": "http://10.0.0.6:8080 (/srv/models/SmolLM2-135M-Instruct.Q4_1.gguf)", "model_used": True,
            "model_sha256": None, "quantization": None, "embedder": "minilm", "passages": [], "retrieval": {},
            "generation": {"model_server": "http://10.0.0.6:8080 (/srv/models/SmolLM2-135M-Instruct.Q4_1.gguf)"},
            "timings": {}}
    dialog = ProvenanceDialog(prov, "Who built the lighthouse?")
    qtbot.addWidget(dialog)
    assert dialog.model_name.text() == "SmolLM2-135M-Instruct.Q4_1.gguf on the server http://10.0.0.6:8080"
    assert dialog.quantization.text() == "on the server"
    assert "on the server" in dialog.sha256.placeholderText() and dialog.sha256.text() == ""

"""Work in the background: the event loop keeps turning while indexing runs, a question asked during
indexing is answered before indexing ends, indexing can be cancelled, and tokens reach the window
in batches (at most every ~40 ms) and stop when asked."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from ui_helpers import ScriptedLibrary, SlowEmbedder, make_many

from docent.core.answer.qa import NOT_FOUND


def test_event_loop_turns_and_questions_interleave_with_indexing(make_window: Any, embedder: Any, qtbot: Any,
                                                                  tmp_path: Path) -> None:
    folder = make_many(tmp_path / "notes", 24)
    w = make_window(embedder_=SlowEmbedder(embedder, 0.12))
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start()
    first_done: list[Any] = []
    w.library.rowChanged.connect(lambda row: first_done.append(row) if row.status == "indexed" else None)
    w.add_paths([str(folder)])
    qtbot.waitUntil(lambda: bool(first_done), timeout=30_000)
    assert w.library.indexing

    # A question while indexing runs: answered between two files, long before indexing ends.
    with qtbot.waitSignal(w.chats.turnFinished, timeout=30_000):
        w.ask("What is the orbital period of the planet Neptune?")
    turn = w.chats.chat.turns[0]
    assert turn.answer.startswith(NOT_FOUND) and not turn.error  # "… No document mentions “Neptune”."
    assert w.library.indexing, "indexing should still be running"

    with qtbot.waitSignal(w.library.indexFinished, timeout=60_000) as done:
        pass
    timer.stop()
    assert not done.args[0].cancelled and done.args[0].indexed == 24
    gaps = [b - a for a, b in zip(ticks, ticks[1:])]
    assert len(ticks) > 50
    assert max(gaps) < 0.5, f"the event loop stalled for {max(gaps):.2f} s"


def test_cancel_indexing_keeps_finished_documents(make_window: Any, embedder: Any, qtbot: Any, tmp_path: Path) -> None:
    folder = make_many(tmp_path / "notes", 30)
    w = make_window(embedder_=SlowEmbedder(embedder, 0.3))  # leaves ample time to click Cancel mid-run
    indexed: list[Any] = []
    w.library.rowChanged.connect(lambda row: indexed.append(row) if row.status == "indexed" else None)
    w.add_paths([str(folder)])
    qtbot.waitUntil(lambda: len(indexed) >= 2, timeout=30_000)
    pane = w.library_pane
    assert pane.progress.isVisibleTo(w) and pane.progress.cancel.isEnabled()
    assert "of 30 files" in pane.progress.title.text()
    with qtbot.waitSignal(w.library.indexFinished, timeout=30_000) as done:
        qtbot.mouseClick(pane.progress.cancel, Qt.MouseButton.LeftButton)
    summary = done.args[0]
    assert summary.cancelled and 2 <= summary.indexed < 30
    assert not pane.progress.isVisibleTo(w)

    def queued() -> list[Any]:
        return [r for r in pane.model.rows.values() if r.status == "queued"]

    # the catalog is read again: finished documents are indexed, the rest wait, saying why
    qtbot.waitUntil(lambda: bool(queued()) and all("cancelled" in r.reason for r in queued()))
    assert sum(r.status == "indexed" for r in pane.model.rows.values()) == summary.indexed
    assert len(queued()) == 30 - summary.indexed
    # Checking for changes resumes with what is left.
    with qtbot.waitSignal(w.library.indexFinished, timeout=60_000) as done:
        w.library.sync()
    assert done.args[0].indexed == 30 - summary.indexed and done.args[0].unchanged == summary.indexed


# ---- tokens, with a scripted library (deterministic timing) ----------------------------------------
def test_tokens_arrive_in_batches_and_stop(make_window: Any, qtbot: Any) -> None:
    libs: list[ScriptedLibrary] = []

    def factory(d: Path) -> ScriptedLibrary:
        libs.append(ScriptedLibrary(d))
        return libs[-1]

    w = make_window(factory=factory)
    batches: list[tuple[float, str]] = []
    w.chats.turnTokens.connect(lambda _i, text: batches.append((time.monotonic(), text)))
    w.ask("Tell me everything")
    qtbot.waitUntil(lambda: len(batches) >= 12, timeout=20_000)
    with qtbot.waitSignal(w.chats.turnFinished, timeout=10_000):
        qtbot.keyClick(w.chat_pane.input, Qt.Key.Key_Escape)
    streamed = sum(len(text) // 2 for _, text in batches)
    turn = w.chats.chat.turns[0]
    assert turn.cancelled and "Stopped" in w.chat_pane.turns[0].status.text()
    assert streamed == libs[0].yielded  # nothing lost, nothing after the stop
    assert len(batches) < streamed / 3, (len(batches), streamed)  # merged on the worker
    gaps = [b[0] - a[0] for a, b in zip(batches, batches[1:])]
    assert sorted(gaps)[len(gaps) // 2] >= 0.03  # about every 40 ms, not every token
    assert w.chat_pane.turns[0].answer.text().startswith("w w")


def test_a_scan_shows_its_ocr_pages_while_they_are_read(make_window: Any, embedder: Any, qtbot: Any,
                                                         tmp_path: Path) -> None:
    """Reading a scan takes seconds a page: the progress panel says which page OCR is on."""
    import docgen
    from test_ocr import write_scan

    write_scan(tmp_path / "scans" / "scan.pdf", [docgen.ATLAS_PAGES[:2], docgen.ATLAS_PAGES[2:4]])
    w = make_window(embedder_=embedder)
    seen: list[str] = []
    pane = w.library_pane
    w.library.progress.connect(lambda _p: seen.append(pane.progress.detail.text()))
    with qtbot.waitSignal(w.library.indexFinished, timeout=120_000) as done:
        w.add_paths([str(tmp_path / "scans")])
    assert done.args[0].indexed == 1
    ocr_lines = [t for t in seen if "reading scanned pages" in t]
    assert ocr_lines and ocr_lines[0].startswith("scan.pdf (reading scanned pages: 1 of 2)"), seen
    # then the embedding's own page count takes over
    assert any("(page " in t for t in seen[seen.index(ocr_lines[-1]):]), seen

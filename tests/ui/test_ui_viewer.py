"""The source viewer on a Word document: its text comes from the library's catalog (what was
indexed, with the cited passage highlighted), never from parsing the file in the window's process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from docgen import Section, write_docx

from docent.core.storage.chats import Passage


def test_docx_text_in_the_viewer_comes_from_the_catalog(make_window: Any, qtbot: Any, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    docs = tmp_path / "docs"
    path = write_docx(docs / "Greenhouse_Rules.docx", [
        Section("Opening hours", paragraphs=["The greenhouse opens at 07:30 and closes at dusk."]),
        Section("Watering", paragraphs=["Tomatoes are watered every morning by the volunteer on duty, "
                                        "never in the afternoon sun."]),
    ], title="Greenhouse Rules")
    w = make_window()
    with qtbot.waitSignal(w.library.indexFinished, timeout=60_000) as done:
        w.add_paths([str(docs)])
    assert done.args[0].indexed == 1
    hit = w.library.lib.search("who waters the tomatoes", top_k=1)[0]
    assert hit.path == str(path) and "volunteer on duty" in hit.text

    def no_parsing(*_a: Any, **_k: Any) -> Any:
        raise AssertionError("the window parsed a document to show it")

    import docent.core.ingest.extract as extract_mod

    monkeypatch.setattr(extract_mod, "extract", no_parsing)
    with qtbot.waitSignal(w.library.textLoaded, timeout=20_000):
        w.open_passage(Passage.from_hit(1, hit))
    viewer = w.viewer
    qtbot.waitUntil(lambda: viewer.mode == "text")
    assert "The greenhouse opens at 07:30" in viewer.text.toPlainText()
    assert viewer.highlight.strip() == hit.text.strip() and viewer.text.extraSelections()

    # a file the library holds no text for (not in a followed folder): the viewer says why, in words
    other = tmp_path / "elsewhere" / "later.txt"
    other.parent.mkdir()
    other.write_text("Written after the last sync.\n", encoding="utf-8")
    with qtbot.waitSignal(w.library.textFailed, timeout=20_000) as failed:
        w.open_document(str(other))
    assert failed.args[0] == str(other)
    assert viewer.mode == "message" and "not in the library" in viewer.message.text()

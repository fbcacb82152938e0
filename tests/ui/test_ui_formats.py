"""A cited slide, spreadsheet range and e-mail passage open in the source viewer from the catalog's
text, highlighted, like a Word document's. With DOCENT_SHOTS_DIR set, the window is also saved
there as a PNG for each (the screenshots of the closing note)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from docgen_formats import write_eml, write_pptx, write_xlsx

from docent.core.storage.chats import Passage


def _library(docs: Path) -> None:
    write_pptx(docs / "Roadmap.pptx", [
        {"title": "Goals", "bullets": ["Ship the offline installer", "Halve the start-up time"]},
        {"title": "Risks", "bullets": ["The greenhouse sensors arrive late from the supplier in Tilburg"],
         "notes": "Ask Mira about a second supplier"},
    ])
    rows: list[list[object]] = [["Region", "Quarter", "Revenue"]]
    rows += [[f"Region {i}", "Q3", 100 + i] for i in range(30)]
    rows[17] = ["Westmark", "Q3", 4200]
    write_xlsx(docs / "Sales.xlsx", {"Sales": rows})
    write_eml(docs / "Offsite.eml", "Ann Lee <ann@example.org>", "Bob Stone <bob@example.org>", "Offsite",
              "Sat, 02 Mar 2024 10:00:00 +0000",
              "Hello Bob,\n\nThe offsite takes place in the old lighthouse at Kerkdriel on 14 May.\n\nAnn")


def test_cited_slide_sheet_and_email_open_highlighted(make_window: Any, qtbot: Any, tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    _library(docs)
    w = make_window()
    with qtbot.waitSignal(w.library.indexFinished, timeout=120_000) as done:
        w.add_paths([str(docs)])
    assert done.args[0].indexed == 3
    shots = os.environ.get("DOCENT_SHOTS_DIR", "")
    cases = [("greenhouse sensors supplier late", "Roadmap.pptx", "slide 2", "greenhouse sensors"),
             ("Westmark revenue", "Sales.xlsx", "sheet Sales, rows ", "Westmark"),
             ("where is the offsite lighthouse", "Offsite.eml", "e-mail from Ann Lee to Bob Stone, 2024-03-02",
              "lighthouse at Kerkdriel")]
    for question, name, location, words in cases:
        hit = w.library.lib.search(question, top_k=1)[0]
        assert Path(hit.path).name == name and hit.location.startswith(location) and words in hit.text
        with qtbot.waitSignal(w.library.textLoaded, timeout=20_000):
            w.open_passage(Passage.from_hit(1, hit))
        viewer = w.viewer
        qtbot.waitUntil(lambda: viewer.mode == "text" and words in viewer.text.toPlainText())
        assert viewer.highlight.strip() == hit.text.strip() and viewer.text.extraSelections()
        if shots:
            Path(shots).mkdir(parents=True, exist_ok=True)
            w.resize(1400, 860)
            qtbot.wait(300)
            w.grab().save(str(Path(shots) / f"cited-{Path(name).suffix[1:]}.png"))

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


def test_an_attachment_is_listed_beside_its_message_and_opens_from_the_catalog(
        make_window: Any, qtbot: Any, tmp_path: Path) -> None:
    from docgen import pdf_bytes

    from docent.core.types import attachment_path
    from docent.ui.models.documents import KIND_ROLE, PATH_ROLE

    docs = tmp_path / "docs"
    mail = write_eml(docs / "Offsite.eml", "Ann Lee <ann@example.org>", "Bob Stone <bob@example.org>", "Offsite",
                     "Sat, 02 Mar 2024 10:00:00 +0000", "Hello Bob,\n\nThe plan is attached.\n\nAnn",
                     attachments=[("plan.pdf", pdf_bytes(["Day one. The ferry to the lighthouse leaves at eight."]))])
    attached = attachment_path(str(mail), 1, "plan.pdf")
    w = make_window()
    with qtbot.waitSignal(w.library.indexFinished, timeout=120_000):
        w.add_paths([str(docs)])
    model = w.library_pane.model
    qtbot.waitUntil(lambda: model.document_count() == 2, timeout=10_000)
    folder = model.index_of(str(docs))
    rows = {model.index(r, 0, folder).data(PATH_ROLE): model.index(r, 0, folder) for r in range(model.rowCount(folder))}
    assert set(rows) == {str(mail), attached}  # beside its message, in the message's folder
    assert rows[attached].data() == "plan.pdf (attached to Offsite.eml)" and rows[attached].data(KIND_ROLE) == "doc"
    assert folder.siblingAtColumn(1).data() == "2 indexed"
    with qtbot.waitSignal(w.library_pane.openRequested) as opened:  # a double click shows it
        w.library_pane._activated(rows[attached])
    assert opened.args == [attached]
    hit = w.library.lib.search("when does the ferry to the lighthouse leave", top_k=1)[0]
    assert (hit.path, hit.location) == (attached, "p. 1")
    with qtbot.waitSignal(w.library.textLoaded, timeout=20_000):
        w.open_passage(Passage.from_hit(1, hit))
    viewer = w.viewer  # from the catalog's text: the attachment is no file of its own to render
    qtbot.waitUntil(lambda: viewer.mode == "text" and "leaves at eight" in viewer.text.toPlainText())
    assert viewer.name.text() == "plan.pdf" and viewer.open_external.isEnabled()


def test_attachments_sort_right_after_their_message_and_keep_their_own_name_when_elided(qtbot: Any) -> None:
    """Sorted by name, a message's attachments follow it in their order in the message (not
    scattered among the folder's files by their own names); in a narrow column an attachment keeps
    its own file name whole and shortens the message's name."""
    from PySide6.QtGui import QFontMetrics
    from PySide6.QtWidgets import QApplication

    from docent.core.types import attachment_path
    from docent.ui.controllers import DocRow
    from docent.ui.models.documents import PATH_ROLE, DocumentsModel
    from docent.ui.widgets.name_delegate import elide_name

    mail = "/docs/Harbour papers.eml"
    paths = ["/docs/agenda.pdf", mail, attachment_path(mail, 2, "minutes.docx"),
             attachment_path(mail, 1, "report.pdf"), "/docs/budget.xlsx", "/docs/zoning.txt"]
    model = DocumentsModel()
    model.reset([DocRow(p, "indexed", chunks=1) for p in paths], ["/docs"])
    model.sort(0)
    folder = model.index_of("/docs")
    order = [model.index(r, 0, folder).data(PATH_ROLE) for r in range(model.rowCount(folder))]
    assert order == ["/docs/agenda.pdf", "/docs/budget.xlsx", mail, attachment_path(mail, 1, "report.pdf"),
                     attachment_path(mail, 2, "minutes.docx"), "/docs/zoning.txt"]

    metrics = QFontMetrics(QApplication.font())
    name = "minutes.docx (attached to Harbour papers from the port authority.eml)"
    width = metrics.horizontalAdvance("minutes.docx (attached to Harbour pa…)")
    short = elide_name(name, metrics, width)
    assert short.startswith("minutes.docx (attached to ") and short.endswith(".eml)") and "…" in short
    assert metrics.horizontalAdvance(short) <= width
    narrow = elide_name(name, metrics, metrics.horizontalAdvance("minutes.docx (attached t…"))
    assert narrow.startswith("minutes.docx (att") and narrow.endswith("…")  # still says it is attached
    tiny = elide_name(name, metrics, metrics.horizontalAdvance("minutes.docx"))
    assert tiny.startswith("minut") and "attached" not in tiny

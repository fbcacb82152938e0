"""An empty file is "skipped: empty file (no text)" whatever its kind: nothing to read, nothing broken
(an empty .pdf or .docx used to be "failed" while an empty .txt was "skipped")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docent.core.library import Library


def test_empty_pdf_docx_and_txt_are_all_skipped_for_no_text(tmp_path: Path, embedder: Any) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    kinds = ("empty.pdf", "empty.docx", "empty.txt", "empty.rtf", "empty.eml", "empty.pptx", "empty.xlsx",
             "empty.html", "empty.epub", "empty.odt")
    for name in kinds:
        (docs / name).write_bytes(b"")
    (docs / "real.txt").write_text("The ferry leaves at noon.\n", encoding="utf-8")
    with Library(tmp_path / "lib", embedder=embedder) as lib:
        list(lib.index([docs]))
        outcome = {Path(d.path).name: (d.status, d.reason) for d in lib.documents()}
    assert outcome["real.txt"][0] == "indexed"
    for name in kinds:
        assert outcome[name] == ("skipped", "empty file (no text)"), (name, outcome[name])

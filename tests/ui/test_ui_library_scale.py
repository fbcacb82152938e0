"""A library of 2,000 documents in the window: every one listed in the tree, the filter finds one by
its name and comes back to the whole library, and a filter that matches too many lists a bounded
number and says so. (Timings are measured by tests/bench/window_scale.py, not here.)"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, Qt

from docent.ui.models.documents import KIND_ROLE, PATH_ROLE

N_DOCS = 2000
EXTS = (".pdf", ".docx", ".txt", ".md")


def _build_library(data_dir: Path, corpus: Path) -> tuple[list[str], str]:
    """N_DOCS catalogued documents (one passage each, no vectors) under two followed folders, one of
    them holding a folder of 500. → (the followed folders, the path of the one named "zebra")."""
    from docent.core.ingest.folders import FolderList
    from docent.core.library import Library
    from docent.core.types import Chunk

    roots = [corpus / "work", corpus / "archive"]
    special = ""
    lib = Library(data_dir)
    try:
        catalog = lib.catalog
        for i in range(N_DOCS):
            if i < 500:
                folder = roots[1] / "inbox"
            else:
                folder = roots[0] / str(2000 + i % 20) / f"client_{i % 7}"
            name = "quarterly_forecast_zebra.pdf" if i == 1234 else f"note_{i:04d}{EXTS[i % len(EXTS)]}"
            path = str(folder / name)
            special = path if i == 1234 else special
            doc_id = catalog.begin_document(path, 100, 0.0, f"sha-{i}")
            text = f"Passage of document {i}."
            catalog.add_chunks(doc_id, [Chunk(f"scale{i:05d}", 0, text, 1, 1, "p. 1", "", 0, len(text), 8)], [name])
            catalog.finish_document(doc_id, pages=1, chunks=1, embedder_id="test", chunker="test", title=name)
    finally:
        lib.close()
    folders = FolderList.load(data_dir)
    for root in roots:
        folders.add(root)
    folders.save()
    return [str(r) for r in roots], special


def _listed_documents(model: Any) -> list[str]:
    """Every document the tree can show, walking the model as a view does."""
    out: list[str] = []
    stack = [model.index(r, 0) for r in range(model.rowCount())]
    while stack:
        index = stack.pop()
        if index.data(KIND_ROLE) == "doc":
            out.append(index.data(PATH_ROLE))
        stack.extend(model.index(r, 0, index) for r in range(model.rowCount(index)))
    return out


def test_a_2000_document_library_is_listed_and_filtered(make_window: Any, qtbot: Any, tmp_path: Path) -> None:
    data_dir = tmp_path / "library"
    roots, zebra = _build_library(data_dir, tmp_path / "corpus")
    w = make_window(data_dir)
    pane = w.library_pane
    qtbot.waitUntil(lambda: pane.model.document_count() == N_DOCS, timeout=10_000)
    listed = _listed_documents(pane.model)
    assert len(listed) == N_DOCS and len(set(listed)) == N_DOCS
    assert [pane.model.index(r, 0).data(PATH_ROLE) for r in range(pane.model.rowCount())] == sorted(roots, key=str.lower)
    inbox = pane.model.index_of(os.path.join(roots[1], "inbox"))
    assert pane.model.rowCount(inbox) == 500
    assert inbox.siblingAtColumn(1).data() == "500 indexed"
    assert pane.summary.text().startswith(f"{N_DOCS} documents indexed")

    # typing a part of one name leaves that document and its folders, and nothing else
    with qtbot.waitSignal(pane.filterApplied, timeout=5_000, check_params_cb=lambda text: text == "zebra"):
        qtbot.keyClicks(pane.filter, "zebra")
    assert _listed_documents(pane.model) == [zebra]
    index = pane.model.index_of(zebra)
    assert index.isValid() and pane.tree.isExpanded(index.parent())
    assert "quarterly_forecast_zebra.pdf" in index.data(Qt.ItemDataRole.ToolTipRole)
    assert not pane.no_match.isVisibleTo(pane)

    # a filter that matches every document lists the first match_limit of them, and says so
    limit = pane.model.match_limit
    assert limit < N_DOCS
    pane.filter.clear()
    with qtbot.waitSignal(pane.filterApplied, timeout=5_000, check_params_cb=lambda text: text == "note_"):
        qtbot.keyClicks(pane.filter, "note_")
    assert pane.model.matches() == (N_DOCS - 1, limit)
    assert len(_listed_documents(pane.model)) == limit
    assert pane.no_match.isVisibleTo(pane) and f"first {limit:,} of {N_DOCS - 1:,}" in pane.no_match.text()

    # clearing it lists the whole library again
    with qtbot.waitSignal(pane.filterApplied, timeout=5_000, check_params_cb=lambda text: text == ""):
        pane.filter.clear()
    assert len(_listed_documents(pane.model)) == N_DOCS
    assert not pane.no_match.isVisibleTo(pane)
    assert pane.model.index(0, 0, QModelIndex()).isValid()


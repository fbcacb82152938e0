"""The new formats through the Library: indexed in the sandboxed worker, found by search with their
slide, row range and e-mail as the location, listed by kind in `docent status --json`, and a
whole-document task (mode="whole") that reads every slide of a deck with the real small chat model."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from docgen_formats import write_eml, write_pptx, write_xlsx
from helpers import run_index

from docent.core.library import Library
from docent.core.types import AnswerDone, Sources, WholeDocCoverage
from docent.settings import Settings

SETTINGS = Settings(max_answer_tokens=64, n_ctx=2048, sources=1, n_threads=1, chat_model="smollm2-135m-instruct")
SLIDES = [
    {"title": "Harbour plan", "bullets": ["The new pier opens in June", "Ferries move to berth 4"]},
    {"title": "Costs", "bullets": ["The dredging costs 3.1 million crowns"], "notes": "Funding is still open"},
    {"title": "Schedule", "bullets": ["Dredging starts in February", "Piling follows in April"]},
]


def mixed_library(docs: Path) -> None:
    write_pptx(docs / "harbour.pptx", SLIDES)
    rows: list[list[object]] = [["Item", "Supplier", "Price"]]
    rows += [[f"Part {i}", f"Supplier {i % 5}", 10 + i] for i in range(60)]
    rows[41] = ["Anchor chain", "Vossberg Metals", 870]
    write_xlsx(docs / "parts.xlsx", {"Parts": rows})
    write_eml(docs / "visit.eml", "Ann Lee <ann@example.org>", "Bob Stone <bob@example.org>", "Visit",
              "Sat, 02 Mar 2024 10:00:00 +0000",
              "Hello Bob,\n\nThe harbour master expects the inspectors on Thursday at nine.\n\nAnn")


def test_mixed_library_search_finds_the_right_location(tmp_path: Path, embedder: Any) -> None:
    mixed_library(tmp_path / "docs")
    with Library(tmp_path / "lib", Settings(), embedder=embedder) as lib:
        _, done = run_index(lib, [tmp_path / "docs"])
        assert done.indexed == 3 and done.failed == 0
        slide = lib.search("how much does the dredging cost", top_k=1)[0]
        assert (Path(slide.path).name, slide.location) == ("harbour.pptx", "slide 2")
        row = lib.search("who supplies the anchor chain", top_k=1)[0]
        assert Path(row.path).name == "parts.xlsx" and "Anchor chain" in row.text
        first, last = (int(n) for n in row.location.removeprefix("sheet Parts, rows ").split("\u2013"))
        assert first <= 42 <= last  # the row the answer is on, within the cited range
        mail = lib.search("when do the inspectors arrive", top_k=1)[0]
        assert (Path(mail.path).name, mail.location) == ("visit.eml", "e-mail from Ann Lee to Bob Stone, 2024-03-02")


def test_status_json_names_each_kind(tmp_path: Path) -> None:
    mixed_library(tmp_path / "docs")
    base = [sys.executable, "-m", "docent", "--data-dir", str(tmp_path / "lib")]
    subprocess.run(base + ["index", str(tmp_path / "docs"), "--json"], check=True, capture_output=True, timeout=300)
    out = subprocess.run(base + ["status", "--json"], check=True, capture_output=True, text=True, timeout=120)
    kinds = {Path(d["path"]).name: d["kind"] for d in json.loads(out.stdout)["documents"]}
    assert kinds == {"harbour.pptx": "PowerPoint", "parts.xlsx": "Excel", "visit.eml": "E-mail"}
    one = subprocess.run(base + ["status", "--json", "--kind", "excel"], check=True, capture_output=True, text=True,
                         timeout=120)
    assert [Path(d["path"]).name for d in json.loads(one.stdout)["documents"]] == ["parts.xlsx"]


@pytest.mark.slow
def test_whole_document_task_reads_every_slide(tmp_path: Path, embedder: Any, models_dir: Path) -> None:
    deck = write_pptx(tmp_path / "docs" / "harbour.pptx", SLIDES)
    with Library(tmp_path / "lib", SETTINGS, embedder=embedder) as lib:
        run_index(lib, [tmp_path / "docs"])
        events = list(lib.ask("Summarize this deck", scope=[str(deck)], mode="whole"))
    sources = next(e for e in events if isinstance(e, Sources)).hits
    assert [h.location for h in sources] == ["slide 1", "slide 2", "notes of slide 2", "slide 3"]
    coverage = next(e for e in events if isinstance(e, WholeDocCoverage))
    assert (coverage.chunks_read, coverage.chunks_total) == (4, 4)
    done = events[-1]
    assert isinstance(done, AnswerDone) and done.answer.strip()
    assert all(c.location in {h.location for h in sources} for c in done.citations)

"""The readers of slides, workbooks, e-mails, web pages, e-books, OpenDocument and RTF, measured.

    .venv/bin/python tests/bench/formats.py                        # messy corpus + generated set + retrieval
    .venv/bin/python tests/bench/formats.py --extra /usr/share/doc --extra .venv/lib/python3.11/site-packages/pptx

1. Real files: every file of these kinds under ../shared/corpus/messy (and each --extra folder), read
   in the sandboxed extraction worker with its default budget, as indexing reads them: per kind, files
   read / skipped / failed, with the reasons (digits folded so similar reasons group).
2. Speed: a generated set per format (tests/docgen_formats.py), read inline, median of 3 runs: files
   and units (slides, rows, messages, pages, chapters, paragraphs) per second.
3. Retrieval on a mixed library: a deck, a workbook, e-mails, a web page, an e-book and Word-like
   distractors indexed with the packaged embedder; questions whose answers sit in one slide, one
   spreadsheet row or one e-mail body, answered by `Library.search`: hit@1 (right file) and the right
   location (slide, a row range holding the row, the e-mail).
Prints a JSON report, then a short table.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "desktop"), str(ROOT / "tests")]

NEW_KINDS = {"PowerPoint", "Excel", "E-mail", "Web page", "EPUB", "OpenDocument", "RTF"}


def real_files(folders: list[Path]) -> dict[str, object]:
    from docent.core.ingest.extract import ExtractError, kind_of
    from docent.core.ingest.extract.worker import ProcessExtractor

    files = sorted({p for f in folders if f.is_dir() for p in f.rglob("*")
                    if p.is_file() and kind_of(p) in NEW_KINDS})
    per: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    reasons: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    started = time.monotonic()
    with ProcessExtractor() as worker:
        for path in files:
            kind = kind_of(path)
            try:
                worker.result(str(path))
                per[kind]["read"] += 1
            except ExtractError as exc:
                per[kind][exc.status] += 1
                reasons[kind][f"{exc.status}: {re.sub(r'[0-9][0-9,.]*', 'N', exc.reason)}"] += 1
    return {"files": len(files), "seconds": round(time.monotonic() - started, 2),
            "by_kind": {k: dict(v) for k, v in sorted(per.items())},
            "reasons": {k: dict(v.most_common()) for k, v in sorted(reasons.items())}}


def _generated(folder: Path) -> dict[str, tuple[list[Path], str]]:
    from docgen_formats import write_eml, write_epub, write_odt, write_pptx, write_rtf, write_xlsx

    words = "the survey found corrosion on four girders and the crews repaint them before the frost".split()

    def para(i: int) -> str:
        return " ".join(words[(i + k) % len(words)] for k in range(40)) + f" item {i}."

    out: dict[str, tuple[list[Path], str]] = {}
    out["pptx"] = ([write_pptx(folder / f"deck{n}.pptx", [
        {"title": f"Slide {i}", "bullets": [para(i), para(i + 1)], "notes": para(i + 2)} for i in range(30)])
        for n in range(3)], "slides")
    out["xlsx"] = ([write_xlsx(folder / f"book{n}.xlsx", {"Data": [["Item", "Supplier", "Price", "Note"]] + [
        [f"Part {i}", f"Supplier {i % 9}", i * 1.5, para(i)[:60]] for i in range(5000)]}) for n in range(3)], "rows")
    out["eml"] = ([write_eml(folder / f"mail{n}.eml", "Ann <a@example.org>", "Bob <b@example.org>", f"Note {n}",
                             "Sat, 02 Mar 2024 10:00:00 +0000", "\n\n".join(para(i) for i in range(20)))
                   for n in range(50)], "messages")
    html_pages = []
    for n in range(20):
        page = folder / f"page{n}.html"
        page.write_text("<html><body><nav>Home</nav><main>" + "".join(
            f"<h2>Part {i}</h2><p>{para(i)}</p><ul><li>{para(i + 1)}</li></ul>" for i in range(40))
            + "</main></body></html>", encoding="utf-8")
        html_pages.append(page)
    out["html"] = (html_pages, "pages")
    out["epub"] = ([write_epub(folder / f"book{n}.epub", [(f"Chapter {i}", [para(i + k) for k in range(20)])
                                                          for i in range(25)]) for n in range(3)], "chapters")
    out["odt"] = ([write_odt(folder / f"doc{n}.odt", [(f"Section {i}", [para(i + k) for k in range(10)])
                                                      for i in range(20)]) for n in range(3)], "paragraphs")
    out["rtf"] = ([write_rtf(folder / f"memo{n}.rtf", [para(i) for i in range(300)]) for n in range(3)], "paragraphs")
    return out


def _units(extraction: object, unit: str) -> int:
    blocks = extraction.blocks  # type: ignore[attr-defined]
    if unit == "slides":
        return len({b.place for b in blocks if b.place.startswith("slide ")})
    if unit == "rows":
        return sum(1 for b in blocks if b.row is not None and b.kind != "heading")
    if unit == "chapters":
        return len({b.place for b in blocks})
    if unit in ("messages", "pages"):
        return 1
    return sum(1 for b in blocks if b.kind != "heading")


def speed(folder: Path) -> dict[str, object]:
    from docent.core.ingest.extract import extract

    out: dict[str, object] = {}
    for fmt, (paths, unit) in _generated(folder).items():
        runs, units = [], 0
        for _ in range(3):
            started = time.perf_counter()
            units = sum(_units(extract(p), unit) for p in paths)
            runs.append(time.perf_counter() - started)
        median = statistics.median(runs)
        out[fmt] = {"files": len(paths), "unit": unit, "units": units, "median_s": round(median, 3),
                    "files_per_s": round(len(paths) / median, 1), "units_per_s": round(units / median, 1)}
    return out


QUESTIONS = [  # (question, file, location: exact, or "row N" for a row range that must hold row N)
    ("how much does the dredging of the harbour cost", "harbour.pptx", "slide 2"),
    ("when does the new pier open", "harbour.pptx", "slide 1"),
    ("who still has to find the funding", "harbour.pptx", "notes of slide 2"),
    ("who supplies the anchor chain", "parts.xlsx", "row 42"),
    ("what is the price of the brass propeller", "parts.xlsx", "row 18"),
    ("when do the inspectors arrive at the harbour", "visit.eml", "e-mail from Ann Lee to Bob Stone, 2024-03-02"),
    ("what is the wifi password for the workshop", "wifi.eml", "e-mail from Bob Stone to Ann Lee, 2024-03-05"),
]


def retrieval(folder: Path) -> dict[str, object]:
    from docgen_formats import write_eml, write_epub, write_pptx, write_xlsx

    from docent.core.library import Library
    from docent.settings import Settings

    docs = folder / "docs"
    write_pptx(docs / "harbour.pptx", [
        {"title": "Harbour plan", "bullets": ["The new pier opens in June", "Ferries move to berth 4"]},
        {"title": "Costs", "bullets": ["Dredging the harbour costs 3.1 million crowns"],
         "notes": "The city council still has to find the funding"},
        {"title": "Schedule", "bullets": ["Dredging starts in February", "Piling follows in April"]},
    ])
    rows: list[list[object]] = [["Item", "Supplier", "Price"]]
    rows += [[f"Part {i}", f"Supplier {i % 5}", 10 + i] for i in range(200)]
    rows[41] = ["Anchor chain", "Vossberg Metals", 870]
    rows[17] = ["Brass propeller", "Supplier 2", 2450]
    write_xlsx(docs / "parts.xlsx", {"Parts": rows})
    write_eml(docs / "visit.eml", "Ann Lee <ann@example.org>", "Bob Stone <bob@example.org>", "Visit",
              "Sat, 02 Mar 2024 10:00:00 +0000",
              "Hello Bob,\n\nThe harbour master expects the inspectors on Thursday at nine.\n\nAnn")
    write_eml(docs / "wifi.eml", "Bob Stone <bob@example.org>", "Ann Lee <ann@example.org>", "Workshop",
              "Tue, 05 Mar 2024 09:00:00 +0000", "Hi Ann,\n\nThe workshop wifi password is gull-harbour-77.\n\nBob")
    write_eml(docs / "lunch.eml", "Cleo <c@example.org>", "Ann Lee <ann@example.org>", "Lunch",
              "Wed, 06 Mar 2024 12:00:00 +0000", "Lunch on Friday is at the fish market near the old harbour.")
    write_epub(docs / "sea.epub", [("The Harbour", ["Ships came in at dawn and the pier was full of nets."]),
                                   ("The Storm", ["The storm broke the old pier in two."])])
    (docs / "notes.html").write_text("<h1>Harbour notes</h1><p>The ferry timetable changes in June.</p>",
                                     encoding="utf-8")
    results = []
    with Library(folder / "lib", Settings()) as lib:
        for _ in lib.index([docs]):
            pass
        for question, name, where in QUESTIONS:
            hit = lib.search(question, top_k=1)[0]
            if where.startswith("row "):
                n = int(where.split()[1])
                m = re.search(r"rows? (\d+)(?:\u2013(\d+))?$", hit.location)
                ok = bool(m) and int(m.group(1)) <= n <= int(m.group(2) or m.group(1))  # type: ignore[union-attr]
            else:
                ok = hit.location == where
            results.append({"question": question, "file": Path(hit.path).name, "location": hit.location,
                            "hit": Path(hit.path).name == name, "location_ok": Path(hit.path).name == name and ok})
    return {"questions": len(results), "hit_at_1": sum(r["hit"] for r in results),
            "location_at_1": sum(r["location_ok"] for r in results), "results": results}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "messy")
    ap.add_argument("--extra", type=Path, action="append", default=[], help="another folder of real files")
    ap.add_argument("--skip-retrieval", action="store_true")
    args = ap.parse_args(argv)
    report: dict[str, object] = {"real": real_files([args.corpus, *args.extra])}
    with tempfile.TemporaryDirectory(prefix="docent-formats-") as tmp:
        report["speed"] = speed(Path(tmp) / "gen")
        if not args.skip_retrieval:
            report["retrieval"] = retrieval(Path(tmp) / "mixed")
    print(json.dumps(report, indent=1, ensure_ascii=False))
    real = report["real"]
    print(f"\nreal files: {real['files']} in {real['seconds']} s")  # type: ignore[index]
    for kind, counts in real["by_kind"].items():  # type: ignore[index]
        print(f"  {kind:14} {counts}")
    for fmt, s in report["speed"].items():  # type: ignore[attr-defined]
        print(f"  {fmt:5} {s['files']:3} files, {s['units']:6} {s['unit']:10} median {s['median_s']:7.3f} s: "
              f"{s['files_per_s']:7.1f} files/s, {s['units_per_s']:9.1f} {s['unit']}/s")
    if "retrieval" in report:
        r = report["retrieval"]
        print(f"retrieval: hit@1 {r['hit_at_1']}/{r['questions']}, right location {r['location_at_1']}/{r['questions']}")  # type: ignore[index]
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

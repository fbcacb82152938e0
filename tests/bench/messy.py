"""Index the messy real-world corpus (../shared/corpus/messy: parser test files from public projects)
into a fresh library through Docent's public path (`Library.index`, as `docent index` does) and report
how every file ended: indexed, or skipped/failed with its reason.

    .venv/bin/python tests/bench/messy.py                       # the whole folder; about 15-30 min on 2 busy cores
    .venv/bin/python tests/bench/messy.py --no-fallback         # pypdf only (DOCENT_PDF_FALLBACK=0): the before figure
    .venv/bin/python tests/bench/messy.py --only pdf/pdfminer.six_samples --cap 600 --out /tmp/messy.json

The indexing runs in a child process with a wall-clock cap (`--cap`): if the cap is hit, the child and
its extraction worker are killed and the file being read at the time is named. Afterwards:
- counts: files on disk, files Docent considered (supported suffixes), indexed, skipped and failed by
  reason (digits folded so similar reasons group), pages, chunks, wall time, the slowest files;
- reasons that read like a programmer's message (an exception class name, a bare "error") are listed:
  each is a bug;
- the manifest (INDEX.csv, probed with MuPDF, pypdf and python-docx) is checked where it says what a
  file is: a PDF needing a user password must end skipped/failed with a password reason, an empty or
  header-less file failed, a page-less or text-less PDF not indexed, a PDF with MuPDF-extractable
  text indexed (soft: MuPDF reads more than pypdf), an encrypted or legacy Word file skipped...;
- no partial garbage: every chunk (catalog, keyword index, vectors) belongs to an indexed document
  and matches its recorded count; skipped/failed documents have none. Read straight from the
  stores, before any repair a later open would make.
Prints a JSON report, then a short table.
"""

from __future__ import annotations

import argparse
import collections
import csv
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.common import REPO, SHARED, machine, quiet_logs, r  # noqa: E402

MESSY = SHARED / "corpus" / "messy"
GENERIC = re.compile(
    r"\b[A-Z][a-z]+(?:[A-Z][a-z]+)*(?:Error|Exception)\b|^error$|^failed$|Traceback|\bNone\b|<[a-z_.]+ object at",
)


# ---- child: the indexing run -----------------------------------------------------------------------
def child(data_dir: Path, roots: list[Path], events_path: Path) -> int:
    from docent.core.cancel import CancelToken
    from docent.core.library import Library
    from docent.core.types import FileDone, FileStarted, ScanDone, SyncDone

    quiet_logs()
    cancel = CancelToken()
    signal.signal(signal.SIGTERM, lambda *_: cancel.cancel())
    started: dict[str, float] = {}
    t0 = time.monotonic()
    with Library(data_dir) as lib, events_path.open("w", encoding="utf-8") as out:
        def emit(obj: dict[str, Any]) -> None:
            out.write(json.dumps(obj, ensure_ascii=False) + "\n")
            out.flush()

        emit({"ev": "open", "seconds": round(time.monotonic() - t0, 3)})
        for ev in lib.index(roots, cancel):
            if isinstance(ev, ScanDone):
                emit({"ev": "scan", "total": ev.total_files, "to_index": ev.to_index})
            elif isinstance(ev, FileStarted):
                started[ev.path] = time.monotonic()
                emit({"ev": "start", "path": ev.path, "i": ev.index})
            elif isinstance(ev, FileDone):
                secs = time.monotonic() - started.get(ev.path, time.monotonic())
                emit({"ev": "done", "path": ev.path, "status": ev.status, "reason": ev.reason,
                      "pages": ev.pages, "chunks": ev.chunks, "seconds": round(secs, 3)})
            elif isinstance(ev, SyncDone):
                emit({"ev": "sync", "indexed": ev.indexed, "skipped": ev.skipped, "failed": ev.failed,
                      "pages": ev.pages, "chunks": ev.chunks, "seconds": round(ev.seconds, 3),
                      "cancelled": ev.cancelled})
    return 0


def run_child(data_dir: Path, roots: list[Path], events_path: Path, cap: float, env: dict[str, str]) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "--data-dir", str(data_dir),
           "--events", str(events_path), *[str(p) for p in roots]]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    capped = False
    try:
        _, err = proc.communicate(timeout=cap)
    except subprocess.TimeoutExpired:
        capped = True
        os.killpg(proc.pid, signal.SIGTERM)  # cancels between files
        try:
            _, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            _, err = proc.communicate()
    try:  # the extraction worker is in the same session: never leave one behind
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return {"rc": proc.returncode, "capped": capped, "wall_s": time.monotonic() - t0, "stderr_tail": (err or "")[-3000:]}


# ---- checks -------------------------------------------------------------------------------------------
def fold(reason: str) -> str:
    """Group similar reasons: numbers and quoted names folded, detail after the first '(' dropped."""
    text = re.sub(r"'[^']*'", "'…'", reason)
    text = re.sub(r"\d+(\.\d+)?", "N", text)
    text = text.split(": /")[0]
    return text[:110]


def garbage_check(data_dir: Path) -> dict[str, Any]:
    """Read the catalog and the vectors as the run left them (no repair) and list every chunk or vector
    that does not belong to an indexed document, and every indexed document whose counts disagree."""
    from docent.core.storage.vectors import VectorStore

    db = sqlite3.connect(f"file:{data_dir / 'catalog.sqlite3'}?mode=ro", uri=True)
    docs = {row[0]: row[1:] for row in db.execute("SELECT id, path, status, chunks FROM documents")}
    chunk_doc = dict(db.execute("SELECT id, doc_id FROM chunks"))
    fts = db.execute("SELECT count(*) FROM chunks_fts").fetchone()[0]
    meta = dict(db.execute("SELECT key, value FROM meta"))
    db.close()
    problems: list[str] = []
    per_doc: collections.Counter[int] = collections.Counter(chunk_doc.values())
    for doc_id, n in per_doc.items():
        if doc_id not in docs:
            problems.append(f"{n} chunks of a document that is not in the catalog (id {doc_id})")
        elif docs[doc_id][1] != "indexed":
            problems.append(f"{n} chunks of a {docs[doc_id][1]} document: {docs[doc_id][0]}")
    for doc_id, (path, status, chunks) in docs.items():
        if status == "indexed" and (chunks <= 0 or per_doc.get(doc_id, 0) != chunks):
            problems.append(f"indexed with {chunks} chunks recorded but {per_doc.get(doc_id, 0)} stored: {path}")
        if status not in ("indexed", "skipped", "failed"):
            problems.append(f"left in status '{status}': {path}")
    if fts != len(chunk_doc):
        problems.append(f"keyword index holds {fts} rows for {len(chunk_doc)} chunks")
    vectors = 0
    if (data_dir / "vectors").is_dir() and meta.get("embedder_id"):
        store = VectorStore(data_dir / "vectors", meta["embedder_id"], int(meta.get("embedder_dim") or 0))
        try:
            ids = store.all_ids()
            vectors = len(ids)
            orphans = ids - set(chunk_doc)
            missing = set(chunk_doc) - ids
            if orphans:
                problems.append(f"{len(orphans)} vectors without a catalogued chunk")
            if missing:
                problems.append(f"{len(missing)} chunks without a vector")
            for doc_id, (path, status, _) in docs.items():
                if status != "indexed" and store.ids_for(doc_id):
                    problems.append(f"vectors kept for a {status} document: {path}")
        finally:
            store.close()
    return {"documents": len(docs), "chunks": len(chunk_doc), "fts_rows": fts, "vectors": vectors,
            "ok": not problems, "problems": problems[:50], "problem_count": len(problems)}


def load_manifest(corpus: Path) -> dict[str, dict[str, str]]:
    path = corpus / "INDEX.csv"
    if not path.is_file():
        return {}
    with path.open(encoding="utf-8", newline="") as fh:
        return {str(corpus / row["path"]): row for row in csv.DictReader(fh)}


def _int(v: str) -> int:
    try:
        return int(float(v))
    except (TypeError, ValueError):
        return 0


def expectation(row: dict[str, str]) -> tuple[str, set[str], str, bool] | None:
    """What the manifest says a file must end as: (rule, allowed statuses, reason pattern, strict).
    Strict rules are bugs when broken; soft ones (MuPDF reads text pypdf may not) are gains to chase."""
    kind, suffix = row["kind"], Path(row["path"]).suffix.lower()
    if kind == "pdf":
        if _int(row["bytes"]) == 0:
            return ("empty file", {"skipped"}, r"empty", True)
        if row["pdf_header"] == "False":
            return ("no %PDF header", {"failed", "skipped", "indexed"}, r"PDF|header", False)
        if row["needs_password"] == "True":
            return ("user password needed", {"skipped", "failed"}, r"password", True)
        if row["mupdf_open"] != "ok":
            return ("MuPDF cannot open", {"failed", "skipped", "indexed"}, r".", False)
        if row["pages"] == "0":  # to MuPDF; pypdf or PDFium may still find pages
            return ("zero pages (MuPDF)", {"failed", "skipped"}, r"page|damaged", False)
        if _int(row["text_chars"]) == 0 and _int(row["pypdf_text_chars_first50p"]) > 0:
            return ("text pypdf sees and MuPDF does not", {"indexed", "skipped"}, r"no text", False)
        if _int(row["text_chars"]) == 0 and _int(row["image_only_pages"]) > 0:
            # OCR reads what it can (its notes say so); what it cannot stays skipped with a reason
            return ("image-only, no text", {"skipped", "indexed"}, r"no text|scan|OCR", True)
        if _int(row["text_chars"]) == 0:
            return ("no extractable text", {"skipped", "failed"}, r"no text|no readable text", False)
        return ("has text (MuPDF)", {"indexed"}, r"", False)
    if row["container"] == "ole2":
        if row["encrypted"] == "True":
            return ("encrypted Word (OLE)", {"skipped"}, r"password|protected|encrypted", True)
        if suffix == ".doc":
            return ("legacy .doc", {"skipped", "not considered"}, r"\.doc|legacy|Word 97", True)
        return ("legacy Word under a .docx name", {"skipped"}, r"legacy|\.doc|OLE", True)
    if row["zip_error"]:
        return ("corrupt zip", {"failed"}, r"damaged|zip|not a valid", True)
    if row["container"] == "zip" and not row["main_part"]:
        return ("zip without word/document.xml", {"failed", "skipped"}, r"not a Word|document\.xml", True)
    if row["pydocx_open"] == "ok" and _int(row["text_chars"]) > 0:
        return ("python-docx reads text", {"indexed"}, r"", True)
    if row["pydocx_open"] == "ok":
        return ("python-docx finds no body text", {"skipped", "indexed"}, r"no text", False)
    if suffix in (".docm", ".dotx") and "content type" in row["pydocx_open"]:
        return ("macro/template Word", {"indexed", "skipped"}, r"no text", True)
    return None


def cross_check(outcomes: dict[str, dict[str, Any]], manifest: dict[str, dict[str, str]]) -> dict[str, Any]:
    rules: dict[str, dict[str, Any]] = {}
    mismatches: list[dict[str, Any]] = []
    for path, row in manifest.items():
        exp = expectation(row)
        if exp is None:
            continue
        rule, allowed, pattern, strict = exp
        got = outcomes.get(path) or {"status": "not considered", "reason": "unsupported file type (not scanned)"}
        if got["status"] == "skipped" and got["reason"].startswith("duplicate of "):
            got = dict(got, status="indexed")  # the same bytes are indexed under another path
        ok = got["status"] in allowed and (got["status"] == "indexed" or re.search(pattern, got["reason"], re.I) is not None)
        stat = rules.setdefault(rule, {"files": 0, "ok": 0, "strict": strict, "statuses": collections.Counter()})
        stat["files"] += 1
        stat["ok"] += ok
        stat["statuses"][got["status"]] += 1
        if not ok:
            mismatches.append({"path": row["path"], "rule": rule, "strict": strict, "status": got["status"],
                               "reason": got.get("reason", "")})
    for stat in rules.values():
        stat["statuses"] = dict(stat["statuses"])
    return {"rules": rules, "strict_mismatches": [m for m in mismatches if m["strict"]],
            "soft_mismatches": [m for m in mismatches if not m["strict"]]}


# ---- report --------------------------------------------------------------------------------------------
def summarise(corpus: Path, roots: list[Path], events: list[dict[str, Any]], run: dict[str, Any],
              data_dir: Path, fallback: bool) -> dict[str, Any]:
    done = {e["path"]: e for e in events if e["ev"] == "done"}
    started = [e["path"] for e in events if e["ev"] == "start"]
    scan = next((e for e in events if e["ev"] == "scan"), {})
    sync = next((e for e in events if e["ev"] == "sync"), None)
    unfinished = [p for p in started if p not in done]
    on_disk = [p for root in roots for p in ([root] if root.is_file() else root.rglob("*")) if p.is_file()]
    by_status = collections.Counter(e["status"] for e in done.values())
    reasons: dict[str, collections.Counter[str]] = {"skipped": collections.Counter(), "failed": collections.Counter()}
    examples: dict[str, str] = {}
    for e in done.values():
        if e["status"] in reasons:
            key = fold(e["reason"])
            reasons[e["status"]][key] += 1
            examples.setdefault(key, f"{Path(e['path']).relative_to(corpus) if e['path'].startswith(str(corpus)) else e['path']}: {e['reason']}")
    generic = [{"path": p, "status": e["status"], "reason": e["reason"]} for p, e in done.items()
               if e["status"] != "indexed" and (not e["reason"].strip() or GENERIC.search(e["reason"]))]
    slowest = sorted(done.values(), key=lambda e: -e["seconds"])[:10]
    manifest = {p: row for p, row in load_manifest(corpus).items()
                if any(p == str(root) or p.startswith(str(root) + os.sep) for root in roots)}
    report = {
        "config": {"corpus": str(corpus), "roots": [str(p) for p in roots], "pdf_fallback": fallback,
                   "cap_s": run.get("cap_s"), "data_dir": str(data_dir)},
        "machine": machine(),
        "run": {k: (r(v, 1) if isinstance(v, float) else v) for k, v in run.items()},
        "files_on_disk": len(on_disk),
        "files_considered": scan.get("total", 0),
        "files_finished": len(done),
        "unfinished": unfinished,
        "indexed": by_status.get("indexed", 0),
        "skipped": by_status.get("skipped", 0),
        "failed": by_status.get("failed", 0),
        "skipped_by_reason": dict(reasons["skipped"].most_common()),
        "failed_by_reason": dict(reasons["failed"].most_common()),
        "reason_examples": examples,
        "pages": sum(e["pages"] for e in done.values() if e["status"] == "indexed"),
        "chunks": sum(e["chunks"] for e in done.values()),
        "pdf_indexed": sum(1 for p, e in done.items() if e["status"] == "indexed" and p.lower().endswith(".pdf")),
        "pdf_pages": sum(e["pages"] for p, e in done.items() if e["status"] == "indexed" and p.lower().endswith(".pdf")),
        "wall_s": r(run["wall_s"], 1),
        "sync_seconds": sync["seconds"] if sync else None,
        "extract_seconds_total": r(sum(e["seconds"] for e in done.values()), 1),
        "slowest": [{"path": str(Path(e["path"]).relative_to(corpus)) if e["path"].startswith(str(corpus)) else e["path"],
                     "seconds": e["seconds"], "status": e["status"], "pages": e["pages"]} for e in slowest],
        "generic_reasons": generic,
        "manifest": cross_check(done, manifest) if manifest else None,
        "known_passwords": known_passwords(corpus, done, manifest),
        "garbage": garbage_check(data_dir) if (data_dir / "catalog.sqlite3").is_file() else None,
        "outcomes": {str(Path(p).relative_to(corpus)) if p.startswith(str(corpus)) else p:
                     [e["status"], e["reason"], e["pages"], e["chunks"]] for p, e in sorted(done.items())},
    }
    return report


def known_passwords(corpus: Path, done: dict[str, dict[str, Any]],
                    manifest: dict[str, dict[str, str]]) -> list[dict[str, Any]]:
    """Files whose passwords the source projects publish (KNOWN_PASSWORDS.json). Docent takes no
    password, so each one that really is locked must say that a password is needed."""
    path = corpus / "KNOWN_PASSWORDS.json"
    if not path.is_file():
        return []
    out = []
    for rel in json.loads(path.read_text(encoding="utf-8")):
        full = str(corpus / rel)
        if rel.startswith("_") or full not in manifest:
            continue
        row = manifest[full]
        locked = row["needs_password"] == "True" or (row["kind"] == "docx" and row["encrypted"] == "True")
        got = done.get(full, {"status": "not considered", "reason": ""})
        out.append({"path": rel, "locked": locked, "status": got["status"], "reason": got["reason"],
                    "ok": (not locked) or (got["status"] != "indexed" and "password" in got["reason"].lower())})
    return out


def print_table(rep: dict[str, Any]) -> None:
    w = sys.stdout.write
    w("\n== messy corpus: " + ("pypdf + pdfium fallback" if rep["config"]["pdf_fallback"] else "pypdf only") + " ==\n")
    w(f"files on disk {rep['files_on_disk']}, considered (supported suffix) {rep['files_considered']}, "
      f"finished {rep['files_finished']}{' — CAPPED' if rep['run']['capped'] else ''}, child rc {rep['run']['rc']}\n")
    w(f"indexed {rep['indexed']} ({rep['pages']} pages, {rep['chunks']} chunks; PDFs {rep['pdf_indexed']} / "
      f"{rep['pdf_pages']} pages), skipped {rep['skipped']}, failed {rep['failed']}, wall {rep['wall_s']} s\n")
    for status in ("skipped", "failed"):
        w(f"-- {status} by reason\n")
        for reason, n in rep[f"{status}_by_reason"].items():
            w(f"  {n:5d}  {reason}\n")
    w("-- slowest files\n")
    for e in rep["slowest"][:8]:
        w(f"  {e['seconds']:7.2f} s  {e['status']:8s} {e['pages']:4d} p.  {e['path']}\n")
    if rep["unfinished"]:
        w(f"-- unfinished (reading when the run stopped): {rep['unfinished']}\n")
    w(f"-- generic reasons (bugs): {len(rep['generic_reasons'])}\n")
    for g in rep["generic_reasons"][:15]:
        w(f"  {g['status']}: {g['reason']}  [{g['path']}]\n")
    m = rep["manifest"]
    if m:
        w("-- manifest rules (ok/files, strict?)\n")
        for rule, s in m["rules"].items():
            w(f"  {s['ok']:4d}/{s['files']:<4d} {'strict' if s['strict'] else 'soft  '}  {rule}  {s['statuses']}\n")
        w(f"  strict mismatches: {len(m['strict_mismatches'])}, soft: {len(m['soft_mismatches'])}\n")
        for mm in m["strict_mismatches"][:20]:
            w(f"    {mm['rule']}: {mm['status']} '{mm['reason']}' [{mm['path']}]\n")
    kp = rep["known_passwords"]
    if kp:
        bad = [k for k in kp if not k["ok"]]
        w(f"-- known-password files: {len(kp)}, locked {sum(k['locked'] for k in kp)}, "
          f"locked without a password reason: {len(bad)}\n")
        for k in bad:
            w(f"    {k['status']} '{k['reason']}' [{k['path']}]\n")
    g = rep["garbage"]
    if g:
        w(f"-- partial garbage: {'none' if g['ok'] else g['problem_count']} (documents {g['documents']}, chunks "
          f"{g['chunks']}, keyword rows {g['fts_rows']}, vectors {g['vectors']})\n")
        for p in g["problems"][:10]:
            w(f"    {p}\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("roots", nargs="*", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--corpus", type=Path, default=MESSY)
    ap.add_argument("--only", action="append", default=[], help="sub-folder(s) of the corpus to index (repeatable)")
    ap.add_argument("--cap", type=float, default=3600.0, help="wall-clock cap for the whole run, seconds")
    ap.add_argument("--no-fallback", action="store_true", help="pypdf only: DOCENT_PDF_FALLBACK=0")
    ap.add_argument("--file-timeout", type=float, help="per-file extraction budget, s (DOCENT_EXTRACT_TIMEOUT_S)")
    ap.add_argument("--data-dir", type=Path, help="library folder (default: a fresh temporary one)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary library")
    ap.add_argument("--out", type=Path, help="also write the JSON report here")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--events", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        return child(args.data_dir, args.roots, args.events)

    corpus = args.corpus.resolve()
    if not corpus.is_dir():
        sys.stderr.write(f"messy corpus not found at {corpus}\n")
        return 2
    roots = [corpus / o for o in args.only] if args.only else [corpus]
    work = Path(tempfile.mkdtemp(prefix="docent-messy-"))
    data_dir = args.data_dir or work / "library"
    if data_dir.exists() and any(data_dir.iterdir()):
        sys.stderr.write(f"{data_dir} is not empty: the run needs a fresh library\n")
        return 2
    env = dict(os.environ, DOCENT_DATA_DIR=str(data_dir), PYTHONPATH=str(REPO / "desktop"))
    env["DOCENT_PDF_FALLBACK"] = "0" if args.no_fallback else "1"
    if args.file_timeout:
        env["DOCENT_EXTRACT_TIMEOUT_S"] = str(args.file_timeout)
    events_path = work / "events.jsonl"
    run = run_child(data_dir, roots, events_path, args.cap, env)
    run["cap_s"] = args.cap
    events = [json.loads(line) for line in events_path.read_text(encoding="utf-8").splitlines() if line.strip()] \
        if events_path.is_file() else []
    quiet_logs()
    rep = summarise(corpus, roots, events, run, data_dir, fallback=not args.no_fallback)
    text = json.dumps(rep, ensure_ascii=False, indent=1)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in rep.items() if k != "outcomes"}, ensure_ascii=False, indent=1))
    print_table(rep)
    if not args.keep and not args.data_dir:
        shutil.rmtree(work, ignore_errors=True)
    else:
        sys.stdout.write(f"library kept in {data_dir}\n")
    bad = rep["run"]["rc"] != 0 or rep["unfinished"] or rep["generic_reasons"] \
        or (rep["garbage"] and not rep["garbage"]["ok"])
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

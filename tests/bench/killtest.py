"""Crash safety under SIGKILL: `docent index` is killed at random moments, restarted, killed again,
and finally let finish; the library it leaves must equal the one an uninterrupted run builds.

    .venv/bin/python tests/bench/killtest.py [--rounds 50] [--kills 8] [--seed 1] [--articles 4]

Every round starts from an empty data folder and indexes a small real corpus: SQuAD article PDFs
from ../shared, resources/samples (PDF, DOCX, Markdown), a duplicate file and a broken PDF. Each
run is killed (SIGKILL, the main process only, as a crash would) after a seeded random delay in
[0, start-up + the indexing left), both measured on an uninterrupted run, so kills land in
start-up and recovery, extraction, embedding and the two stores' writes alike. A round starts
--kills runs (once one finishes before its kill, the next ones re-index with --force, so they too
are killed mid-way), then one that runs to the end. The result is compared with the uninterrupted
run's:

- documents: path, size, mtime, sha256, status, reason, notes, pages, chunk count, embedder, chunker;
- chunks: id, document, text, context and provenance (every column but the surrogate keys);
- the FTS5 index: 'integrity-check' against the chunks table, and the index entries of every chunk
  counted from fts5vocab (an orphan or a duplicated row shows as a difference);
- the vectors: Chroma's ids equal the catalog's chunk ids (as a whole and per document), and
  probe queries over every vector give every chunk the same score;
- and the finished run left nothing for the next open to repair.

Prints one JSON object; "survived" counts the rounds with zero differences. The test suite runs a
bounded version (tests/test_crash_safety.py), which imports the helpers below.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
SQUAD_PDFS = SHARED / "eval" / "squad" / "docs_pdf"
SAMPLES = REPO / "resources" / "samples"
# Short articles (5-6 pages, about 20 chunks each), taken in this order.
ARTICLES = (
    "Construction", "Amazon_rainforest", "Sky_(United_Kingdom)", "Geology", "Jacksonville,_Florida",
    "Victoria_(Australia)", "Southern_California", "Packet_switching",
)
PROBES = (
    "rainforest rivers and the species living there",
    "building sites, contractors and construction costs",
    "holidays, leave and the rules for employees",
    "satellite television channels and subscribers",
)
STATUSES = ("indexed", "skipped", "failed")


# ---- the corpus and the command ------------------------------------------------------------------
def corpus_available() -> bool:
    return SQUAD_PDFS.is_dir() and SAMPLES.is_dir()


def build_corpus(folder: Path, articles: int = 4) -> Path:
    """A small real corpus in `folder` (a copy: the shared data stays read-only and outside the repo)."""
    wiki = folder / "wiki"
    wiki.mkdir(parents=True)
    for name in ARTICLES[:articles]:
        shutil.copyfile(SQUAD_PDFS / f"{name}.pdf", wiki / f"{name}.pdf")
    for name in ("Employee_Handbook.pdf", "Cleaning_Service_Agreement.docx", "Release_Notes.md"):
        shutil.copyfile(SAMPLES / name, folder / name)
    shutil.copyfile(SAMPLES / "Release_Notes.md", folder / "Release_Notes (copy).md")  # one is a duplicate
    noise = random.Random(7)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n" + bytes(noise.randrange(256) for _ in range(4096)))
    return folder


def corpus_files(corpus: Path) -> int:
    return sum(1 for p in corpus.rglob("*") if p.is_file())


def index_command(data: Path, corpus: Path, *options: str) -> list[str]:
    return [sys.executable, "-m", "docent", "--data-dir", str(data), "index", str(corpus), "--json", *options]


def index_to_end(data: Path, corpus: Path, env: Mapping[str, str] | None = None, timeout: float = 600,
                 preexec_fn: Callable[[], None] | None = None) -> tuple[subprocess.CompletedProcess[str], float]:
    """One `docent index` run, not interrupted → (the finished process, its wall time in seconds)."""
    started = time.monotonic()
    proc = subprocess.run(index_command(data, corpus), capture_output=True, text=True, env=env, timeout=timeout,
                          preexec_fn=preexec_fn)
    return proc, time.monotonic() - started


# ---- killing ------------------------------------------------------------------------------------
@dataclass
class Interrupted:
    kills: int = 0  # runs killed while they were running
    finished_early: int = 0  # runs that ended before their kill came (the next ones re-index: --force)
    stages: Counter[str] = field(default_factory=Counter)  # where the kills landed
    delays: list[float] = field(default_factory=list)
    final_seconds: float = 0.0


def interrupted_index(data: Path, corpus: Path, rng: random.Random, kills: int, startup: float, work: float,
                      env: Mapping[str, str] | None = None, scratch: Path | None = None) -> Interrupted:
    """Run `docent index` until `kills` runs were SIGKILLed after a random delay (runs that finish
    first do not count; at most 3 × `kills` runs), then once more to the end. `startup` and `work` are the seconds an uninterrupted
    run spends starting and indexing; each delay is drawn from [0, startup + the work left), the
    work left estimated from the documents already done, so kills spread over the whole run. Once
    a run has finished before its kill, the next ones re-index everything (--force), so that they
    too are killed mid-way (replacing what is indexed, a path of its own).
    Raises RuntimeError when a run fails on its own or the last one does not finish cleanly."""
    out = Interrupted()
    files = corpus_files(corpus)
    scratch = scratch or data.parent
    log = scratch / f"{data.name}.stderr"
    groups: list[int] = []
    left = 1.0
    since = time.time()  # documents indexed (or found skipped or failed) since then are done
    options: list[str] = []
    try:
        for _ in range(kills * 3):  # a run that finishes before its kill does not count as one
            if out.kills >= kills:
                break
            delay = rng.uniform(0.0, startup + work * left)
            with open(log, "w") as err:
                proc = subprocess.Popen(index_command(data, corpus, *options), stdout=subprocess.DEVNULL,
                                        stderr=err, env=env, start_new_session=True)
            groups.append(proc.pid)
            try:
                rc = proc.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)  # the main process only: its extraction worker is left
                proc.wait()  # to notice on its own, as after a real crash
                out.kills += 1
                out.delays.append(round(delay, 3))
                where, done = stage(data, files, scratch, since)
                out.stages[where] += 1
                left = max(0.0, 1.0 - done / files)
                continue
            if rc != 0:
                raise RuntimeError(f"an index run failed by itself (exit {rc}): {log.read_text()[-2000:]}")
            out.finished_early += 1  # the library is complete: index it all again
            options, left, since = ["--force"], 1.0, time.time()
        proc_done, out.final_seconds = index_to_end(data, corpus, env)
        if proc_done.returncode != 0 or proc_done.stderr.strip():
            raise RuntimeError(f"the last run did not finish cleanly (exit {proc_done.returncode}): "
                               f"{proc_done.stderr[-2000:]}")
        summary = json.loads(proc_done.stdout)
        if summary["missing"]:
            raise RuntimeError(f"unexpected summary of the last run: {summary}")
    finally:
        for pgid in groups:  # reap what is left of the killed runs (extraction workers)
            try:
                os.killpg(pgid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        log.unlink(missing_ok=True)
    return out


def stage(data: Path, files: int, scratch: Path, since: float = 0.0) -> tuple[str, int]:
    """Where a kill landed, told by the state it left, and how many files were done (since `since`);
    read from a copy of the catalog (reading the original could change what the next run finds)."""
    db = data / "catalog.sqlite3"
    if not db.exists():
        return "no catalog yet", 0
    copy = scratch / "stage-copy.sqlite3"
    try:
        for suffix in ("", "-wal"):
            src = Path(f"{db}{suffix}")
            if src.exists():
                shutil.copyfile(src, f"{copy}{suffix}")
        con = sqlite3.connect(copy)
        try:
            rows = list(con.execute("SELECT status, coalesce(indexed_at, 0) FROM documents"))
        finally:
            con.close()
    except (OSError, sqlite3.Error):
        return "no catalog yet", 0
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)
    done = sum(1 for status, at in rows if status in STATUSES and at >= since)
    if any(status not in STATUSES for status, _ in rows):
        return "inside a document", done  # 'indexing' (embedding, writing) or 'removing'
    if not done:
        return "no document yet", 0
    return ("between documents" if done < files else "all documents done"), done


# ---- what a library holds -------------------------------------------------------------------------
@dataclass
class Snapshot:
    documents: dict[str, tuple[Any, ...]]  # path → every column but the id and the time of indexing
    chunks: dict[str, tuple[Any, ...]]  # chunk id → its document's path and every other column
    fts_entries: dict[str, int]  # chunk id → FTS5 index entries (token instances) for its row
    scores: list[dict[str, float]]  # per probe: chunk id → cosine similarity from the vector store
    faults: list[str]  # inconsistencies found inside this library alone


def probe_vectors(embedder: Any) -> list[Any]:
    return [embedder.embed_query(text) for text in PROBES]


def snapshot(data: Path, probes: Sequence[Any]) -> Snapshot:
    """Everything a library holds, read through Docent's own Library, Catalog and VectorStore."""
    from docent.core.library import Library

    faults: list[str] = []
    with Library(data) as lib:
        store = lib.store  # opening the store repairs what an interrupted run left
        if lib.recovered:
            faults.append(f"opening the finished library repaired {lib.recovered} documents")
        cat = lib.catalog
        check = [r[0] for r in cat.rows("PRAGMA integrity_check")]
        if check != ["ok"]:
            faults.append(f"catalog integrity_check: {check[:5]}")

        doc_cols = [c for c in _columns(cat, "documents") if c not in ("id", "indexed_at")]
        documents = {
            r[0]: tuple(r[1:])
            for r in cat.rows(f"SELECT path, {', '.join(c for c in doc_cols if c != 'path')} FROM documents")
        }
        chunk_cols = [c for c in _columns(cat, "chunks") if c not in ("rowid", "id", "doc_id")]
        rowid_to_id: dict[int, str] = {}
        chunks: dict[str, tuple[Any, ...]] = {}
        for r in cat.rows(f"SELECT c.rowid, c.id, d.path, {', '.join('c.' + c for c in chunk_cols)} "
                          "FROM chunks c LEFT JOIN documents d ON d.id = c.doc_id"):
            rowid_to_id[r[0]] = r[1]
            chunks[r[1]] = tuple(r[2:])
            if r[2] is None:
                faults.append(f"chunk {r[1]} belongs to no document")

        # FTS5: the index against its content table, then every row's entries read from the index
        try:
            list(cat.rows("INSERT INTO chunks_fts(chunks_fts, rank) VALUES('integrity-check', 1)"))
        except sqlite3.DatabaseError as exc:
            faults.append(f"FTS5 integrity-check: {exc}")
        list(cat.rows("CREATE VIRTUAL TABLE IF NOT EXISTS temp.killtest_vocab USING fts5vocab(main, chunks_fts, instance)"))
        try:
            per_row = {int(r[0]): int(r[1]) for r in cat.rows("SELECT doc, count(*) FROM temp.killtest_vocab GROUP BY doc")}
        finally:
            list(cat.rows("DROP TABLE temp.killtest_vocab"))
        orphans = set(per_row) - set(rowid_to_id)
        if orphans:
            faults.append(f"{len(orphans)} FTS5 rows belong to no chunk")
        unindexed = [cid for rowid, cid in rowid_to_id.items() if rowid not in per_row]
        if unindexed:
            faults.append(f"{len(unindexed)} chunks are missing from the FTS5 index, e.g. {unindexed[0]}")
        fts_entries = {rowid_to_id[rowid]: n for rowid, n in per_row.items() if rowid in rowid_to_id}

        # the two stores agree, as a whole and document by document
        vector_ids = store.all_ids()
        chunk_ids = set(chunks)
        if vector_ids != chunk_ids:
            faults.append(f"{len(vector_ids - chunk_ids)} vectors without a chunk, "
                          f"{len(chunk_ids - vector_ids)} chunks without a vector")
        if store.count() != len(vector_ids):
            faults.append(f"the vector store counts {store.count()} vectors but lists {len(vector_ids)}")
        for doc in cat.documents():
            ids = cat.chunk_ids(doc.id)
            if doc.status not in STATUSES:
                faults.append(f"{doc.path} was left '{doc.status}'")
            if doc.status == "indexed" and len(ids) != doc.chunks:
                faults.append(f"{doc.path}: {len(ids)} chunks catalogued, {doc.chunks} recorded")
            if doc.status != "indexed" and ids:
                faults.append(f"{doc.path} is {doc.status} but has {len(ids)} chunks")
            if store.ids_for(doc.id) != ids:
                faults.append(f"{doc.path}: its vectors are not its chunks")

        scores: list[dict[str, float]] = []
        for vec in probes:
            got = dict(store.query(vec, max(1, len(vector_ids))))
            if set(got) != vector_ids:
                faults.append(f"a query over all vectors returned {len(got)} of {len(vector_ids)}")
            scores.append(got)
    return Snapshot(documents, chunks, fts_entries, scores, faults)


def _columns(cat: Any, table: str) -> list[str]:
    cols = [r[1] for r in cat.rows(f"PRAGMA table_info({table})")]
    return ["rowid", *cols] if table == "chunks" and "rowid" not in cols else cols


def differences(reference: Snapshot, got: Snapshot, tolerance: float = 1e-4) -> list[str]:
    """What differs between two libraries built from the same files (empty: nothing)."""
    out = [f"fault: {f}" for f in got.faults]
    out += _dict_differences("document", reference.documents, got.documents)
    out += _dict_differences("chunk", reference.chunks, got.chunks)
    out += _dict_differences("FTS5 entry count of chunk", reference.fts_entries, got.fts_entries)
    for i, (ref, new) in enumerate(zip(reference.scores, got.scores)):
        if set(ref) != set(new):
            out.append(f"probe {i}: {len(set(ref) ^ set(new))} chunks differ in the vector store")
        shared = set(ref) & set(new)
        worst = max((abs(ref[k] - new[k]) for k in shared), default=0.0)
        if worst > tolerance:
            out.append(f"probe {i}: vectors differ (a score by {worst:.3g})")
    return out


def _dict_differences(what: str, ref: Mapping[str, Any], got: Mapping[str, Any], shown: int = 3) -> list[str]:
    out = []
    missing = sorted(ref.keys() - got.keys())
    extra = sorted(got.keys() - ref.keys())
    changed = sorted(k for k in ref.keys() & got.keys() if ref[k] != got[k])
    if missing:
        out.append(f"{len(missing)} {what}(s) missing, e.g. {missing[:shown]}")
    if extra:
        out.append(f"{len(extra)} {what}(s) extra, e.g. {extra[:shown]}")
    for k in changed[:shown]:
        out.append(f"{what} {k} differs: {ref[k]!r} != {got[k]!r}")
    if len(changed) > shown:
        out.append(f"... {len(changed) - shown} more {what}s differ")
    return out


# ---- the benchmark ------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=50, help="rounds, each from an empty library (default 50)")
    ap.add_argument("--kills", type=int, default=8, help="most kills per round (default 8)")
    ap.add_argument("--articles", type=int, default=4, help=f"SQuAD articles in the corpus (1-{len(ARTICLES)}, default 4)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", type=Path, help="copy the data folders of failed rounds here")
    args = ap.parse_args(argv)
    if not corpus_available():
        sys.stderr.write(f"killtest: needs {SQUAD_PDFS} and {SAMPLES}\n")
        return 2

    from docent.core.models.embedder import default_embedder

    probes = probe_vectors(default_embedder())
    rng = random.Random(args.seed)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="docent-killtest-") as tmp_name:
        tmp = Path(tmp_name)
        corpus = build_corpus(tmp / "corpus", args.articles)
        proc, reference_seconds = index_to_end(tmp / "reference", corpus)
        if proc.returncode != 0:
            sys.stderr.write(f"killtest: the uninterrupted run failed: {proc.stderr[-2000:]}\n")
            return 2
        work = json.loads(proc.stdout)["seconds"]
        reference = snapshot(tmp / "reference", probes)
        if reference.faults:
            sys.stderr.write(f"killtest: the uninterrupted run is inconsistent: {reference.faults}\n")
            return 1
        survived = kills = early = 0
        stages: Counter[str] = Counter()
        failures: list[dict[str, Any]] = []
        for r in range(1, args.rounds + 1):
            data = tmp / f"round-{r}"
            try:
                run = interrupted_index(data, corpus, rng, args.kills, reference_seconds - work, work, scratch=tmp)
                diffs = differences(reference, snapshot(data, probes))
            except RuntimeError as exc:
                run, diffs = Interrupted(), [str(exc)]
            kills += run.kills
            early += run.finished_early
            stages.update(run.stages)
            if diffs:
                failures.append({"round": r, "kills": run.kills, "delays": run.delays, "differences": diffs})
                if args.keep:
                    shutil.copytree(data, args.keep / data.name, dirs_exist_ok=True)
            else:
                survived += 1
            shutil.rmtree(data, ignore_errors=True)
            sys.stderr.write(f"round {r}/{args.rounds}: {run.kills} kills ({dict(run.stages)}), "
                             f"{len(diffs)} differences\n")
    print(json.dumps({
        "rounds": args.rounds, "survived": survived, "kills": kills, "kills_by_stage": dict(stages),
        "runs_finished_before_their_kill": early,
        "documents": len(reference.documents), "chunks": len(reference.chunks),
        "reference_seconds": round(reference_seconds, 2), "seconds": round(time.monotonic() - started, 1),
        "seed": args.seed, "failures": failures,
    }, indent=1))
    return 0 if survived == args.rounds else 1


if __name__ == "__main__":
    raise SystemExit(main())

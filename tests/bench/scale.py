"""Scale bench: a whole career of documents on one laptop. Sizes are arguments; results print as a
table (and JSON with --json). Two halves:

- `files`: a generated tree of N mixed files (PDF, DOCX, TXT, MD; realistic sizes, nested folders,
  some duplicates), indexed once with `docent index`; then timed, each as a whole `docent` process:
  the sync of the unchanged tree (the scan alone), the sync after 10 files changed, after 10 files
  were renamed or moved (found again by their content, not re-read), `docent status --json`, and
  the peak memory (RSS) of a sync.
- `chunks`: a synthetic library of N passages (random words from the SQuAD articles' vocabulary,
  random unit vectors; nothing embedded) written through the catalog and store APIs; then hybrid,
  vector-only and keyword-only search p50/p95 (each question embedded afresh), where a search's time
  goes, the catalog and Chroma size on disk per 1,000 passages, the cost of forgetting one document
  (the keyword index's clean-up included), `docent status --json` and the library's cold open.

    .venv/bin/python -m tests.bench.scale files --sizes 1000,10000 [--work DIR] [--json]
    .venv/bin/python -m tests.bench.scale chunks --sizes 100000,1000000 [--work DIR] [--json]
    .venv/bin/python -m tests.bench.scale survival --sizes 10000 --work DIR   (after `files` there)
    .venv/bin/python -m tests.bench.scale server --sizes 1000000 --work DIR   (after `chunks` there)

A --work folder is kept and reused: a tree or library already there at a size is not built again.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Sequence

from tests.bench.common import REPO, r

PY = sys.executable
CHANGED = 10


def log(msg: str) -> None:
    print(f"[scale {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def du_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 1e6
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    return total / 1e6


def docent(data_dir: Path, *args: str, timeout: float = 7200) -> dict[str, Any]:
    """Run `docent ARGS --json` as its own process; → its JSON, wall seconds and peak RSS (MB of
    the process and its children, sampled)."""
    import threading

    from tests.bench.footprint import _tree_rss_mb

    env = dict(os.environ, DOCENT_DATA_DIR=str(data_dir), PYTHONPATH=str(REPO / "desktop"))
    cmd = [PY, "-m", "docent", "--data-dir", str(data_dir), *args, "--json"]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0.0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            own, kids = _tree_rss_mb(proc.pid)
            peak[0] = max(peak[0], own + kids)
            stop.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        stop.set()
        sampler.join()
    wall = time.perf_counter() - t
    result: dict[str, Any] = {"s": wall, "rc": proc.returncode, "peak_rss_mb": peak[0]}
    try:
        result["json"] = json.loads(out)
    except ValueError:
        result["json"] = None
    if proc.returncode not in (0, 1):
        result["stderr"] = err[-2000:]
    return result


# ---- the file tree -------------------------------------------------------------------------------
KINDS = (("txt", 0.30), ("md", 0.15), ("docx", 0.25), ("pdf", 0.30))
DUPLICATES = 0.02  # share of files that are byte copies of another file


def _folder(rng: random.Random, i: int) -> str:
    """Nested folders, 10–30 files each, up to four levels: clients/acme/2019/contracts."""
    top = ("clients", "research", "admin", "projects", "archive")[i % 5]
    mid = f"group{(i // 5) % 12:02d}"
    leaf = f"year{2010 + (i // 60) % 14}"
    sub = f"batch{(i // 840) % 20:02d}"
    return os.path.join(top, mid, leaf, sub)


def make_tree(root: Path, n: int, seed: int = 11, light: bool = False) -> dict[str, Any]:
    """N files under `root`: a mix of .txt/.md (1–12 KB), .docx (3–25 paragraphs) and text PDFs
    (1–4 pages), nested, with ~2% byte copies. `light`: the same mix of short files (about one
    passage each), so that the first index of a 10k tree, which embeds everything and is not what
    is measured, takes minutes rather than hours on 2 cores. Idempotent: a complete tree is left."""
    from tests.bench import synth

    marker = root / ".complete"
    if marker.exists():
        return json.loads(marker.read_text())
    t0 = time.perf_counter()
    rng = random.Random(seed)
    made: list[Path] = []
    counts: dict[str, int] = {}
    for i in range(n):
        folder = root / _folder(rng, i)
        folder.mkdir(parents=True, exist_ok=True)
        if made and rng.random() < DUPLICATES:
            src = made[rng.randrange(len(made))]
            dst = folder / f"copy of {src.name}"
            if not dst.exists():
                shutil.copyfile(src, dst)
                counts["duplicate"] = counts.get("duplicate", 0) + 1
                continue
        x, acc = rng.random(), 0.0
        kind = KINDS[-1][0]
        for k, share in KINDS:
            acc += share
            if x < acc:
                kind = k
                break
        path = folder / f"document {i:05d}.{kind}"
        if kind in ("txt", "md"):
            paras = [synth.text(rng, rng.randint(60, 220)) for _ in range(rng.randint(1, 2) if light else rng.randint(2, 10))]
            body = "\n\n".join(paras)
            if kind == "md":
                body = f"# Note {i}\n\n{body}"
            path.write_text(body, encoding="utf-8")
        elif kind == "docx":
            from docx import Document

            d = Document()
            d.add_heading(f"Memo {i}", level=1)
            for _ in range(rng.randint(1, 3) if light else rng.randint(3, 25)):
                d.add_paragraph(synth.text(rng, rng.randint(30, 120)))
            d.save(str(path))
        else:
            synth.make_pdf(path, 1 if light else rng.randint(1, 4), rng.randint(100, 200) if light else rng.randint(150, 400),
                           seed=i)
        made.append(path)
        counts[kind] = counts.get(kind, 0) + 1
        if (i + 1) % 1000 == 0:
            log(f"tree {root.name}: {i + 1}/{n} files")
    info = {"files": n, "kinds": counts, "mb": r(du_mb(root), 1), "make_s": r(time.perf_counter() - t0, 1)}
    marker.write_text(json.dumps(info))
    return info


def _documents(tree: Path) -> list[Path]:
    return sorted(p for p in tree.rglob("*") if p.is_file() and not p.name.startswith("."))


def _sync_figures(res: dict[str, Any]) -> dict[str, Any]:
    done = res.get("json")
    out: dict[str, Any] = {"s": r(res["s"], 2), "rc": res["rc"], "peak_rss_mb": r(res["peak_rss_mb"], 0)}
    if isinstance(done, dict):
        for k in ("indexed", "unchanged", "removed", "renamed", "failed", "skipped", "chunks"):
            if k in done:
                out[k] = done[k]
    if "stderr" in res:
        out["stderr"] = res["stderr"]
    return out


def files_at(work: Path, n: int, light: bool = False) -> dict[str, Any]:
    tree = work / f"tree{n}"
    data = work / f"lib{n}"
    row: dict[str, Any] = {"tree": dict(make_tree(tree, n, light=light), light=light)}
    if not (data / ".indexed").exists():
        log(f"first index of {n} files (embedding everything; not a target)")
        first = docent(data, "index", str(tree))
        row["first_index"] = _sync_figures(first)
        if first["rc"] in (0, 1):
            (data / ".indexed").write_text(json.dumps(row["first_index"]))
    else:
        row["first_index"] = json.loads((data / ".indexed").read_text())
    log(f"{n}: unchanged sync")
    runs = [docent(data, "index", str(tree)) for _ in range(3)]
    row["unchanged_sync"] = _sync_figures(sorted(runs, key=lambda x: x["s"])[1])
    row["unchanged_sync"]["runs_s"] = [r(x["s"], 2) for x in runs]

    docs = [p for p in _documents(tree) if p.suffix in (".txt", ".md")]
    rng = random.Random(n)
    changed = rng.sample(docs, CHANGED)
    for p in changed:
        with open(p, "a", encoding="utf-8") as fh:
            fh.write(f"\n\nAddendum {time.time()}: the figures were revised on review.\n")
    log(f"{n}: {CHANGED} changed files")
    row["changed_sync"] = _sync_figures(docent(data, "index", str(tree)))

    movable = [p for p in _documents(tree) if p not in changed and not p.name.startswith("copy of")]
    moved = rng.sample(movable, CHANGED)
    dest = tree / "moved"
    dest.mkdir(exist_ok=True)
    for i, p in enumerate(moved):
        p.rename(dest / f"renamed {i} {p.name}")
    log(f"{n}: {CHANGED} renamed files")
    row["renamed_sync"] = _sync_figures(docent(data, "index", str(tree)))
    for i, p in enumerate(moved):  # put them back, so the next run starts from the same tree
        (dest / f"renamed {i} {p.name}").rename(p)
    docent(data, "index", str(tree))

    log(f"{n}: status")
    st = [docent(data, "status") for _ in range(3)]
    mid = sorted(st, key=lambda x: x["s"])[1]
    row["status_json"] = {"s": r(mid["s"], 2), "documents": len((mid.get("json") or {}).get("documents", []))}
    row["disk"] = {"catalog_mb": r(du_mb(data / "catalog.sqlite3") if (data / "catalog.sqlite3").exists() else
                                   sum(du_mb(p) for p in data.glob("catalog*")), 1),
                   "library_mb": r(du_mb(data), 1)}
    return row


def disk_full(data: Path, tree: Path, work: Path, env: dict[str, str], room_kb: int = 48) -> dict[str, Any]:
    """`docent index` of `data` on a disk that really fills up: in a private mount namespace, a
    tmpfs only `room_kb` larger than the library, the library copied onto it and synced (it must
    stop with a clear message); then the tmpfs is made larger and the sync run again (it must
    finish); the library is copied back for comparison. Root only (mount)."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return {"skipped": "needs root and unshare to mount a small tmpfs"}
    mnt = work / "fullfs"
    mnt.mkdir(exist_ok=True)
    size_kb = int(du_mb(data) * 1000 / 1.024) + room_kb
    cmd = f'"{PY}" -m docent --data-dir "{mnt}/lib" index "{tree}" --json'
    script = "\n".join([
        "set -e",
        f'mount -t tmpfs -o size={size_kb}k docent-full "{mnt}"',
        f'cp -a "{data}" "{mnt}/lib"',
        f'df -k "{mnt}" | tail -1 > "{work}/full.df"',
        "set +e",
        f'{cmd} > "{work}/full1.out" 2> "{work}/full1.err"; echo $? > "{work}/full1.rc"',
        f'mount -o remount,size={size_kb * 4}k "{mnt}"',
        f'{cmd} > "{work}/full2.out" 2> "{work}/full2.err"; echo $? > "{work}/full2.rc"',
        f'rm -rf "{data}" && cp -a "{mnt}/lib" "{data}"',
    ])
    proc = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script], env=env,
                          capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        return {"skipped": f"could not set up the small disk: {proc.stderr.strip()[-300:]}"}
    err = (work / "full1.err").read_text(errors="replace").strip().splitlines()
    return {"free_kb_at_start": int((work / "full.df").read_text().split()[3]),
            "first_rc": int((work / "full1.rc").read_text()), "message": (err[-1] if err else "")[:400],
            "rerun_rc": int((work / "full2.rc").read_text())}


def survival(work: Path, n: int, changed: int = 100, kills: int = 3, seed: int = 3) -> dict[str, Any]:
    """A library of N files whose sync of `changed` edited files is (1) killed with SIGKILL `kills`
    times at random moments, then let finish; (2) run with the disk "full" (no file of the library
    may grow more than 64 KB: writes past it fail, as on a full disk), then run again with room.
    Each must end equal to an uninterrupted sync of the same change (tests/bench/killtest.py's
    snapshot: documents, passages, keyword index, vectors)."""
    import signal

    from docent.core.models.embedder import default_embedder
    from tests.bench import killtest as kt

    tree, base = work / f"tree{n}", work / f"lib{n}"
    rng = random.Random(seed)
    docs = [p for p in _documents(tree) if p.suffix in (".txt", ".md")]
    for p in rng.sample(docs, changed):
        with open(p, "a", encoding="utf-8") as fh:
            fh.write(f"\n\nRevision {time.time()}: the clause was struck out on appeal.\n")
    copies = {}
    for name in ("ref", "kill", "full"):
        copies[name] = work / f"lib{n}-{name}"
        shutil.rmtree(copies[name], ignore_errors=True)
        shutil.copytree(base, copies[name])
    env = dict(os.environ, PYTHONPATH=str(REPO / "desktop"))
    out: dict[str, Any] = {"changed": changed}
    proc, ref_s = kt.index_to_end(copies["ref"], tree, env=env, timeout=3600)
    out["uninterrupted_s"] = r(ref_s, 1)
    delays = []
    for _ in range(kills):
        delay = rng.uniform(0.5, max(1.0, ref_s))
        p = subprocess.Popen(kt.index_command(copies["kill"], tree), env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        try:
            p.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGKILL)
            p.wait()
            delays.append(r(delay, 1))
    kt.index_to_end(copies["kill"], tree, env=env, timeout=3600)
    out["killed_at_s"] = delays
    out["disk_full"] = disk_full(copies["full"], tree, work, env)
    probes = kt.probe_vectors(default_embedder())
    ref = kt.snapshot(copies["ref"], probes)
    out["reference_documents"] = len(ref.documents)
    # a fault the uninterrupted library has too is Chroma's (an approximate index that cannot
    # return every vector after deletions), not an effect of the kill or the full disk
    out["reference_faults"] = sorted(set(ref.faults))[:3]

    def differences(name: str) -> list[str]:
        return [d for d in kt.differences(ref, kt.snapshot(copies[name], probes))
                if d.removeprefix("fault: ") not in ref.faults][:5]

    out["killed_differences"] = differences("kill")
    out["disk_full_differences"] = differences("full")
    out["survived"] = not out["killed_differences"] and not out["disk_full_differences"] \
        and out["disk_full"].get("first_rc") not in (0, None) and out["disk_full"].get("rerun_rc") == 0
    for c in copies.values():
        shutil.rmtree(c, ignore_errors=True)
    docent(base, "index", str(tree))  # the base library takes the change too
    return out


# ---- the synthetic passage library ---------------------------------------------------------------
def chunks_at(work: Path, sizes: Sequence[int], queries: Sequence[str]) -> dict[str, Any]:
    from docent.core.library import Library
    from docent.core.models.embedder import default_embedder
    from docent.core.retrieval.search import SearchParams
    from tests.bench.speed import _stages, time_searches
    from tests.bench.synth import fill_library

    data = work / "passages"
    emb = default_embedder()
    out: dict[str, Any] = {}
    modes = {"hybrid": SearchParams(), "vector": SearchParams(mode="vector"), "keyword": SearchParams(mode="keyword")}
    for size in sizes:
        with Library(data, embedder=emb) as lib:
            log(f"passages: filling to {size}")
            fill_s = fill_library(lib, size)
            row: dict[str, Any] = {"passages": lib.catalog.chunk_count(), "vectors": lib.store.count(),
                                   "fill_s": r(fill_s, 0)}
        # a cold open, then warm the caches (HNSW segment load, FTS pages) before timing searches
        t = time.perf_counter()
        with Library(data, embedder=emb) as lib:
            lib.open_vectors()
            row["open_s"] = r(time.perf_counter() - t, 2)
            t = time.perf_counter()
            lib.search(queries[0], 5)
            row["first_search_s"] = r(time.perf_counter() - t, 2)
            for q in queries[1:6]:
                lib.search(q, 5)
            row.update(time_searches(lib, queries, modes))
            row["stages_p50_ms"] = _stages(lib, queries)
            # forgetting one document: its vectors, its rows, and the keyword index's clean-up
            victim = lib.documents()[-1]
            t = time.perf_counter()
            lib.remove(Path(victim.path))
            row["remove_one_s"] = r(time.perf_counter() - t, 3)
            t = time.perf_counter()
            lib.catalog.purge_deleted()
            row["purge_s"] = r(time.perf_counter() - t, 2)
            fill_library(lib, size)  # put the passages back for the next size
        files = {p.name: du_mb(p) for p in data.iterdir()}
        catalog = sum(mb for name, mb in files.items() if name.startswith("catalog"))
        total = du_mb(data)
        row["disk_mb"] = {"catalog": r(catalog, 0), "vectors": r(total - catalog, 0),
                          "catalog_per_1k": r(1000 * catalog / size, 2),
                          "vectors_per_1k": r(1000 * (total - catalog) / size, 2)}
        st = [docent(data, "status") for _ in range(3)]
        mid = sorted(st, key=lambda x: x["s"])[1]
        row["status_json_s"] = r(mid["s"], 2)
        row["status_rc"] = mid["rc"]
        out[f"{size // 1000}k"] = row
        log(f"passages {size}: {json.dumps(row)}")
    return out


def server_at(work: Path, queries: Sequence[str], size: int) -> dict[str, Any]:
    """The synthetic library of `size` passages with its vectors on a Chroma server (`chroma run` on
    127.0.0.1, the office scale-out), as tests/test_servers.py runs it, scaled up: the library's
    collection is moved there as a server would hold it (a copy, renamed to the library's own
    collection), then searched through HttpClient."""
    import socket
    import urllib.request

    from docent.core.library import Library
    from docent.core.library.placement import VECTORS_AT
    from docent.core.models.embedder import default_embedder
    from docent.core.retrieval.search import SearchParams
    from docent.core.storage.vectors import COLLECTION, remote_collection_name
    from docent.settings import Settings
    from tests.bench.speed import time_searches

    src = work / "passages"
    data, served = work / "passages-server", work / "passages-server-chroma"
    for d in (data, served):
        shutil.rmtree(d, ignore_errors=True)
    log(f"server: copying the {size}-passage library")
    shutil.copytree(src, data, ignore=shutil.ignore_patterns("vectors", "docent.lock"))
    shutil.copytree(src / "vectors", served)
    import sqlite3
    import uuid

    db = sqlite3.connect(data / "catalog.sqlite3")
    library_id = (db.execute("SELECT value FROM meta WHERE key='library_id'").fetchone() or [uuid.uuid4().hex])[0]
    with db:
        db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES('library_id', ?)", (library_id,))
    db.close()
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    client = chromadb.PersistentClient(path=str(served), settings=ChromaSettings(anonymized_telemetry=False))
    client.get_collection(COLLECTION).modify(name=remote_collection_name(library_id))
    del client
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    db = sqlite3.connect(data / "catalog.sqlite3")
    with db:
        db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)", (VECTORS_AT, url))
    db.close()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(ANONYMIZED_TELEMETRY="False", CHROMA_TELEMETRY_IMPL="none", NO_PROXY="*")
    logf = (work / "chroma-server.log").open("wb")
    proc = subprocess.Popen([str(Path(PY).parent / "chroma"), "run", "--path", str(served), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=logf, stderr=subprocess.STDOUT, env=env)
    row: dict[str, Any] = {"passages": size}
    try:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        t = time.perf_counter()
        while True:
            try:
                with opener.open(f"{url}/api/v2/heartbeat", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.perf_counter() - t > 300:
                    raise RuntimeError("the Chroma server did not start: see chroma-server.log")
                time.sleep(0.5)
        row["server_ready_s"] = r(time.perf_counter() - t, 1)
        with Library(data, settings=Settings(chroma_server=url), embedder=default_embedder()) as lib:
            t = time.perf_counter()
            store = lib.open_vectors()
            row["open_s"] = r(time.perf_counter() - t, 2)
            row["vectors_on_server"] = store.count()
            row["moved"] = lib.vectors_moved  # 0: nothing copied, the server already held them
            for q in queries[:6]:
                lib.search(q, 5)
            modes = {"hybrid": SearchParams(), "vector": SearchParams(mode="vector")}
            row.update(time_searches(lib, queries, modes))
    finally:
        proc.terminate()
        proc.wait(timeout=60)
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(served, ignore_errors=True)
    log(f"server {size}: {json.dumps(row)}")
    return row


# ---- report --------------------------------------------------------------------------------------
def table(report: dict[str, Any]) -> str:
    lines: list[str] = []
    for n, row in report.get("files", {}).items():
        lines.append(f"files {n}: tree {row['tree'].get('mb')} MB {row['tree'].get('kinds')}")
        for k in ("first_index", "unchanged_sync", "changed_sync", "renamed_sync"):
            f = row.get(k, {})
            lines.append(f"  {k:15} {f.get('s')!s:>8} s  peak RSS {f.get('peak_rss_mb')!s:>5} MB  "
                         + " ".join(f"{x}={f[x]}" for x in ("indexed", "unchanged", "renamed", "removed") if x in f))
        lines.append(f"  status --json   {row['status_json']['s']} s ({row['status_json']['documents']} documents); "
                     f"disk {row['disk']}")
    for n, row in report.get("server", {}).items():
        lines.append(f"Chroma server, {n} passages: {json.dumps(row)}")
    for n, row in report.get("survival", {}).items():
        lines.append(f"survival {n} files: {json.dumps(row)}")
    for n, row in report.get("chunks", {}).items():
        lines.append(f"passages {n}: fill {row['fill_s']} s, open {row['open_s']} s, first search {row['first_search_s']} s")
        for m in ("hybrid", "vector", "keyword"):
            lines.append(f"  {m:8} p50 {row[m]['p50_ms']:>7} ms  p95 {row[m]['p95_ms']:>7} ms  (n={row[m]['n']})")
        lines.append(f"  stages p50 ms {row['stages_p50_ms']}")
        lines.append(f"  remove one document {row['remove_one_s']} s, keyword clean-up {row['purge_s']} s; "
                     f"status --json {row['status_json_s']} s")
        lines.append(f"  disk {row['disk_mb']}")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("part", choices=("files", "chunks", "survival", "server"))
    ap.add_argument("--sizes", required=True, help="comma-separated: files, or passages (100000,1000000)")
    ap.add_argument("--work", help="working folder, kept and reused (default: a temporary one, removed)")
    ap.add_argument("--queries", type=int, default=60, help="timed questions per size and mode")
    ap.add_argument("--light", action="store_true", help="files: short files, about one passage each")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="docent-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"machine": {"cores": os.cpu_count(), "load": os.getloadavg()[0]}}
    try:
        if args.part == "files":
            report["files"] = {str(n): files_at(work, n, args.light) for n in sizes}
        elif args.part == "survival":  # after `files` at the same size and --work
            report["survival"] = {str(n): survival(work, n) for n in sizes}
        else:
            from tests.bench.common import spaced, squad_questions

            qs = [q["question"] for q in spaced(squad_questions(), args.queries)]
            if args.part == "server":  # after `chunks` at the same size and --work
                report["server"] = {f"{n // 1000}k": server_at(work, qs, n) for n in sizes}
            else:
                report["chunks"] = chunks_at(work, sizes, qs)
    finally:
        report["machine"]["load_end"] = os.getloadavg()[0]
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(report, indent=1) if args.json else table(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())

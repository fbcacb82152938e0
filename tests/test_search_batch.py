"""`docent search --batch FILE --json`: one JSON question a line in, one JSON line a question out,
the same hits as `search --json` gives for each one alone, run as a user runs it (a subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import docgen

NETGUARD = Path(__file__).resolve().parent / "netguard"


def _docent(args: list[str], data: Path, netlog: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(NETGUARD), DOCENT_TEST_NETLOG=str(netlog))
    env.pop("DOCENT_DATA_DIR", None)
    return subprocess.run([sys.executable, "-m", "docent", "--data-dir", str(data), *args], capture_output=True,
                          text=True, env=env, input=stdin, timeout=300)


def test_batch_search_matches_single_searches(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    pdf = docgen.write_pdf(docs / "atlas.pdf", docgen.ATLAS_PAGES)
    docx = docgen.write_docx(docs / "contract.docx", docgen.HARBOUR_SECTIONS)
    data, netlog = tmp_path / "data", tmp_path / "netlog.txt"
    assert _docent(["index", str(docs), "--json"], data, netlog).returncode == 0

    questions = ["who designed the island lighthouse", "Baltic Anchor Works"]
    batch = tmp_path / "questions.jsonl"
    batch.write_text(
        json.dumps({"question": questions[0], "id": "q1"}) + "\n\n"
        + json.dumps({"question": questions[1], "scope": str(pdf)}) + "\n"
        + "not json\n"
        + json.dumps({"query": "no question field"}) + "\n",
        encoding="utf-8",
    )
    proc = _docent(["search", "--batch", str(batch), "--top-k", "3", "--json"], data, netlog)
    assert proc.returncode == 1, proc.stderr  # two lines could not be read: said, and the exit status says so
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(out) == 4
    assert out[0]["id"] == "q1" and out[0]["question"] == questions[0]
    single = json.loads(_docent(["search", questions[0], "--top-k", "3", "--json"], data, netlog).stdout)
    assert out[0]["hits"] == single["hits"] and single["hits"]  # the same passages, the same fields
    assert out[0]["hits"][0]["path"] == str(pdf) and out[0]["hits"][0]["page"] == 3
    # the scope of a line holds for that line: the contract's words are in the docx, outside the scope
    assert out[1]["hits"] and all(h["path"] == str(pdf) for h in out[1]["hits"])
    unscoped = json.loads(_docent(["search", questions[1], "--top-k", "3", "--json"], data, netlog).stdout)
    assert unscoped["hits"][0]["path"] == str(docx)
    assert out[2]["line"] == 4 and "not JSON" in out[2]["error"]
    assert out[3]["line"] == 5 and '"question"' in out[3]["error"]

    piped = _docent(["search", "--batch", "-", "--top-k", "3", "--json"], data, netlog,
                    stdin=json.dumps({"question": questions[0]}) + "\n")
    assert piped.returncode == 0
    assert json.loads(piped.stdout)["hits"] == single["hits"]
    assert not netlog.exists() or netlog.read_text() == ""


def test_batch_file_missing_says_so(tmp_path: Path) -> None:
    proc = _docent(["search", "--batch", str(tmp_path / "none.jsonl"), "--json"], tmp_path / "data", tmp_path / "n")
    assert proc.returncode == 2 and "cannot read the batch file" in proc.stderr and "none.jsonl" in proc.stderr

"""The audit trail: records chained by hash; an edited, deleted, or cut-off record is detected;
retention pruning keeps the rest verifiable through a signed checkpoint; CSV export; the profile
setting; `docent audit verify|export|config` as a user runs them; and what a question leaves in the
log (never its words or the documents' text)."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from docent.core.storage.audit import GENESIS, AuditLog, ask_record, record_hash
from docent.core.types import Citation
from docent.settings import Settings
from docent.settings import load as load_settings

NETGUARD = Path(__file__).resolve().parent / "netguard"
DAY = 86400.0


class Clock:
    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _fill(audit: AuditLog, clock: Clock, n: int, step: float = 3600.0) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        cited = [Citation(1, f"/docs/contract-{i}.pdf", i + 1, f"p. {i + 1}", "SECRET TEXT")]
        out.append(audit.append(ask_record(
            f"question {i}?", "/lib", True, False, cited, "/m/model.gguf", "ab" * 32, "Q4_K_M", "emb@1", 3)))
        clock.now += step
    return out


def _lines(audit: AuditLog) -> list[str]:
    return audit.file.read_text(encoding="utf-8").splitlines()


def _write(audit: AuditLog, lines: list[str]) -> None:
    audit.file.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def _messages(audit: AuditLog) -> list[tuple[int | None, str]]:
    return [(p.seq, p.message) for p in audit.verify().problems]


def test_records_are_chained_and_an_intact_log_verifies(tmp_path: Path) -> None:
    clock = Clock()
    audit = AuditLog(tmp_path / "audit", clock=clock)
    records = _fill(audit, clock, 4)
    assert [r["seq"] for r in records] == [0, 1, 2, 3]
    assert records[0]["prev"] == GENESIS
    for a, b in zip(records, records[1:]):
        assert b["prev"] == a["hash"]
    for r in records:  # the hash is a sha256 over the canonical JSON without "hash"
        body = json.dumps({k: v for k, v in r.items() if k != "hash"}, sort_keys=True, separators=(",", ":"),
                          ensure_ascii=False).encode()
        assert r["hash"] == hashlib.sha256(body).hexdigest() == record_hash(r)
    check = audit.verify()
    assert check.ok and check.problems == [] and (check.records, check.first_seq, check.last_seq) == (4, 0, 3)
    # private files; the documents' text and the question's words are not in them
    assert oct(audit.folder.stat().st_mode & 0o777) == oct(0o700)
    for f in (audit.file, audit.head_file, audit.key_file):
        assert f.stat().st_mode & 0o777 == 0o600, f
    text = audit.file.read_text()
    assert "SECRET TEXT" not in text and "question 1" not in text
    assert records[1]["question_sha256"] == hashlib.sha256(b"question 1?").hexdigest()
    assert records[1]["cited"] == [{"path": "/docs/contract-1.pdf", "page": 2, "location": "p. 2"}]


def test_an_edited_record_is_detected(tmp_path: Path) -> None:
    clock = Clock()
    audit = AuditLog(tmp_path / "audit", clock=clock)
    _fill(audit, clock, 5)
    original = _lines(audit)

    # an edit that leaves the hash as it was
    lines = list(original)
    rec = json.loads(lines[2])
    rec["cited"] = []
    lines[2] = json.dumps(rec, sort_keys=True)
    _write(audit, lines)
    assert _messages(audit) == [(2, "the record was altered: its content no longer matches its hash")]

    # an edit whose hash is recomputed: the next record no longer points to it
    rec["hash"] = record_hash(rec)
    lines[2] = json.dumps(rec, sort_keys=True)
    _write(audit, lines)
    problems = _messages(audit)
    assert len(problems) == 1 and problems[0][0] == 3 and "chain is broken" in problems[0][1]

    # a line that is no longer JSON
    lines = list(original)
    lines[1] = lines[1][:-10]
    _write(audit, lines)
    check = audit.verify()
    assert not check.ok and any("not a valid audit record" in p.message and p.line == 2 for p in check.problems)

    _write(audit, original)
    assert audit.verify().ok


def test_a_deleted_record_is_detected(tmp_path: Path) -> None:
    clock = Clock()
    audit = AuditLog(tmp_path / "audit", clock=clock)
    _fill(audit, clock, 5)
    original = _lines(audit)

    _write(audit, original[:2] + original[3:])  # from the middle
    problems = _messages(audit)
    assert len(problems) == 1 and problems[0][0] == 3 and "deleted" in problems[0][1]

    _write(audit, original[1:])  # the first one
    assert _messages(audit) == [(1, "records before this one were removed, and no checkpoint accounts for them")]

    _write(audit, original[:-1])  # the last one: the head still names it
    problems = _messages(audit)
    assert len(problems) == 1 and "the last records were deleted" in problems[0][1]

    audit.file.unlink()  # the whole log
    problems = _messages(audit)
    assert len(problems) == 1 and "records were deleted" in problems[0][1]
    with pytest.raises(OSError, match="missing"):  # and nothing is appended to a deleted log
        _fill(audit, clock, 1)


def test_retention_prunes_old_records_behind_a_signed_checkpoint(tmp_path: Path) -> None:
    clock = Clock()
    audit = AuditLog(tmp_path / "audit", retention_days=10, clock=clock)
    _fill(audit, clock, 6, step=DAY)  # one a day: days 0..5
    clock.now += 10 * DAY  # days 0..5 are now 16..11 days old
    assert audit.prune() == 6 and audit.verify().ok

    kept = audit.records()
    assert [r.get("type") for r in kept] == ["checkpoint"]
    cp = kept[0]
    assert (cp["pruned_count"], cp["pruned_through_seq"], cp["seq"]) == (6, 5, 6)
    assert cp["sig"] and cp["prev"] == cp["pruned_last_hash"]

    # new records after the checkpoint; then appending prunes by itself once they are old enough
    _fill(audit, clock, 3, step=DAY)  # seq 7..9
    clock.now += 12 * DAY
    new = _fill(audit, clock, 1)  # the checkpoint (seq 10) is written first, then the record (seq 11)
    records = audit.records()
    assert [r["seq"] for r in records] == [10, 11] and records[0]["type"] == "checkpoint"
    assert (records[0]["pruned_through_seq"], records[0]["pruned_count"]) == (9, 10)
    assert new[0]["seq"] == 11 and audit.verify().ok

    # the checkpoint cannot be forged or removed unnoticed
    lines = _lines(audit)
    rec = json.loads(lines[0])
    rec["pruned_count"] = 1
    rec["hash"] = record_hash(rec)
    _write(audit, [json.dumps(rec, sort_keys=True)] + lines[1:])
    assert any("signature is wrong" in m for _, m in _messages(audit))
    _write(audit, lines[1:])
    assert any("no checkpoint accounts for them" in m for _, m in _messages(audit))
    _write(audit, lines)
    assert audit.verify().ok

    # a log that does not verify is not pruned (that would hide the damage)
    _write(audit, lines[1:])
    clock.now += 100 * DAY
    assert audit.prune() == 0


def test_csv_export_has_one_row_per_record(tmp_path: Path) -> None:
    clock = Clock()
    audit = AuditLog(tmp_path / "audit", clock=clock)
    records = _fill(audit, clock, 3)
    target = tmp_path / "audit.csv"
    assert audit.export_csv(target) == 3
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert [int(r["seq"]) for r in rows] == [0, 1, 2]
    assert rows[1]["documents"] == "/docs/contract-1.pdf" and rows[1]["citations"] == "/docs/contract-1.pdf (p. 2)"
    assert rows[1]["model"] == "model.gguf" and rows[1]["answered"] == "yes"
    assert rows[2]["hash"] == records[2]["hash"] and rows[2]["prev"] == records[1]["hash"]
    assert "SECRET TEXT" not in target.read_text()


def test_the_profile_decides_whether_questions_are_logged(tmp_path: Path) -> None:
    assert Settings().audit_enabled is False  # personal use: off
    assert Settings(profile="office").audit_enabled is True
    assert Settings(profile="office", audit_log=False).audit_enabled is False
    assert Settings(audit_log=True).audit_enabled is True
    assert Settings(profile="home").validate() and Settings(audit_retention_days=-1).validate()
    assert load_settings(tmp_path / "nope.json").profile == "personal"


def _cli(args: list[str], data: Path, netlog: Path, rc: int = 0) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(NETGUARD), DOCENT_TEST_NETLOG=str(netlog))
    proc = subprocess.run([sys.executable, "-m", "docent", "--data-dir", str(data), *args],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == rc, (args, proc.stdout, proc.stderr)
    return proc


def test_cli_audit_config_verify_export(tmp_path: Path) -> None:
    data = tmp_path / "data"
    netlog = tmp_path / "netlog"
    out = json.loads(_cli(["audit", "config", "--profile", "office", "--retention-days", "30", "--json"], data, netlog).stdout)
    assert (out["profile"], out["audit_log"], out["audit_retention_days"]) == ("office", True, 30)
    assert load_settings(data / "settings.json").audit_enabled

    assert json.loads(_cli(["audit", "verify", "--json"], data, netlog).stdout)["records"] == 0  # nothing yet
    clock = Clock()
    audit = AuditLog.of_library(data)
    audit.clock = clock
    _fill(audit, clock, 3)
    check = json.loads(_cli(["audit", "verify", "--json"], data, netlog).stdout)
    assert check["ok"] is True and check["records"] == 3 and check["problems"] == []

    target = tmp_path / "out.csv"
    exported = json.loads(_cli(["audit", "export", "--csv", str(target), "--json"], data, netlog).stdout)
    assert exported == {"exported": 3, "file": str(target), "verified": True}
    assert len(list(csv.DictReader(target.open(encoding="utf-8")))) == 3

    lines = _lines(audit)
    _write(audit, [lines[0], lines[2]])
    check = json.loads(_cli(["audit", "verify", "--json"], data, netlog, rc=1).stdout)
    assert check["ok"] is False and check["problems"][0]["seq"] == 2
    text = _cli(["audit", "verify"], data, netlog, rc=1).stdout
    assert "tampered" in text and "seq 2" in text
    assert not netlog.exists() or netlog.read_text() == ""


def test_a_question_leaves_a_record_but_not_its_words(library: Any, tmp_path: Path) -> None:  # noqa: ANN401
    from dataclasses import replace

    from helpers import run_index

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "ferry.txt").write_text("The Vellmar ferry is painted bright orange and carries ninety cars.\n",
                                    encoding="utf-8")
    run_index(library, [docs])
    list(library.ask("What is the boiling point of mercury on Jupiter?"))  # personal profile: no log
    assert not library.audit_log().exists()

    library.set_settings(replace(library.settings, profile="office"))
    events = list(library.ask("What is the boiling point of mercury on Jupiter?", scope=[str(docs)]))
    assert events[-1].answered is False  # declined without the model
    audit = library.audit_log()
    (record,) = audit.records()
    assert record["type"] == "ask" and record["answered"] is False and record["cited"] == []
    assert record["library"] == str(library.dir) and record["scope"] == [str(docs)]
    assert record["model"] == "" and record["passages_given"] == 0  # no model answered
    assert record["question_sha256"] == hashlib.sha256(b"What is the boiling point of mercury on Jupiter?").hexdigest()
    assert record["embedder"] == library.embedder.id and record["user"]
    text = audit.file.read_text()
    assert "mercury" not in text and "Vellmar" not in text and "orange" not in text
    assert audit.verify().ok

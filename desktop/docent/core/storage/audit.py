"""The audit trail: an append-only log of the questions asked in a library, kept in its folder
(`<data dir>/audit/`). On by default in the "office" profile, off for personal use (settings).

What a record holds: when a question was asked, by which local user, in which library, a sha256 of
the question (not its words), whether it was answered, which documents and pages were cited, which
model (file name and sha256) and embedder answered. Never the question's words or the documents'
text.

Tamper evidence: records are JSON lines; each holds `prev` (the hash of the record before it) and
`hash`, a sha256 over the record's canonical JSON (sorted keys, no spaces, `hash` left out). An
edited record no longer matches its hash; a deleted one breaks the next record's `prev`; records cut
from the end no longer reach the head (`head.json`: the last sequence number and hash). Pruning old
records (the retention setting) appends a checkpoint record that holds the hash and sequence number
of the last pruned record, so the records kept still verify; checkpoints and the head are signed
with a key kept beside the log (HMAC-SHA256). This shows accidental or casual edits; it is not proof
against someone who can rewrite the folder and its key, which is what an external copy is for.

This module keeps the log's files (append, read, prune, export); the chain and its verification
are in audit_chain.py, the fields of a record and of a CSV row in audit_records.py.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import secrets
import time
from pathlib import Path
from typing import Any, Callable, cast

from docent.core.storage import audit_chain
from docent.core.storage.audit_chain import GENESIS as GENESIS  # re-exported: tests/test_audit.py
from docent.core.storage.audit_chain import Problem as Problem
from docent.core.storage.audit_chain import Verification as Verification
from docent.core.storage.audit_chain import chain, sign
from docent.core.storage.audit_chain import record_hash as record_hash
from docent.core.storage.audit_records import CSV_COLUMNS, csv_row
from docent.core.storage.audit_records import ask_record as ask_record  # re-exported: core.library

log = logging.getLogger(__name__)

AUDIT_DIR = "audit"
LOG_FILE = "log.jsonl"
HEAD_FILE = "head.json"
KEY_FILE = "key"
PRUNE_SLACK_S = 86400.0  # prune at most about once a day, not at every question


class AuditLog:
    """The audit log of one library. One writer at a time: the library's own lock keeps a second
    process out; within a process, the library's lane serialises calls."""

    def __init__(self, folder: Path, retention_days: int = 0, clock: Callable[[], float] = time.time) -> None:
        self.folder = Path(folder)
        self.retention_days = retention_days
        self.clock = clock

    @classmethod
    def of_library(cls, data_dir: Path, retention_days: int = 0) -> "AuditLog":
        return cls(Path(data_dir) / AUDIT_DIR, retention_days)

    @property
    def file(self) -> Path:
        return self.folder / LOG_FILE

    @property
    def head_file(self) -> Path:
        return self.folder / HEAD_FILE

    @property
    def key_file(self) -> Path:
        return self.folder / KEY_FILE

    def exists(self) -> bool:
        return self.file.exists() or self.head_file.exists()

    # ---- writing --------------------------------------------------------------------------------
    def _ensure_folder(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            os.chmod(self.folder, 0o700)
        except OSError:
            pass

    def _key(self, create: bool = True) -> bytes | None:
        try:
            return bytes.fromhex(self.key_file.read_text(encoding="ascii").strip())
        except FileNotFoundError:
            if not create:
                return None
        except (OSError, ValueError):
            return None
        self._ensure_folder()
        key = secrets.token_bytes(32)
        fd = os.open(self.key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(key.hex())
        return key

    def _last(self) -> dict[str, Any] | None:
        """The last record of the log (read from the end of the file)."""
        try:
            with self.file.open("rb") as fh:
                fh.seek(0, os.SEEK_END)
                size = fh.tell()
                block = 1 << 16
                data = b""
                pos = size
                while pos > 0:
                    step = min(block, pos)
                    pos -= step
                    fh.seek(pos)
                    data = fh.read(step) + data
                    lines = [ln for ln in data.split(b"\n") if ln.strip()]
                    if len(lines) >= 2 or (pos == 0 and lines):
                        return cast("dict[str, Any]", json.loads(lines[-1]))
                return None
        except FileNotFoundError:
            return None

    def _write_head(self, record: dict[str, Any]) -> None:
        key = self._key()
        assert key is not None
        head = {"seq": record["seq"], "hash": record["hash"]}
        head["sig"] = sign(key, f"{head['seq']}:{head['hash']}")
        tmp = self.head_file.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(head, fh)
        os.replace(tmp, self.head_file)

    def append(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Add a record (chained to the last one) and return it. Old records are pruned first when
        the retention period says so."""
        self._ensure_folder()
        if self.retention_days > 0:
            self._maybe_prune()
        last = self._last()
        if last is None and self.head_file.exists():
            raise OSError(f"the audit log {self.file} is missing but its head remains; "
                          "it was deleted: run `docent audit verify`")
        record = chain(fields, last, self.clock())
        line = json.dumps(record, sort_keys=True, ensure_ascii=False) + "\n"
        fd = os.open(self.file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
        self._write_head(record)
        return record

    # ---- reading ------------------------------------------------------------------------------
    def _lines(self) -> list[tuple[int, str]]:
        try:
            text = self.file.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        return [(i, line) for i, line in enumerate(text.split("\n"), start=1) if line.strip()]

    def records(self) -> list[dict[str, Any]]:
        """Every record that parses (use `verify` to know whether they are intact)."""
        out = []
        for _, line in self._lines():
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if isinstance(rec, dict):
                out.append(rec)
        return out

    def verify(self) -> Verification:
        """Check every record's hash, the chain between them, the checkpoints and the head."""
        return audit_chain.verify(self._lines(), self._key(create=False), log_file=self.file,
                                  head_file=self.head_file, key_file=self.key_file)

    # ---- retention ----------------------------------------------------------------------------
    def _maybe_prune(self) -> None:
        try:
            with self.file.open("r", encoding="utf-8") as fh:
                first = json.loads(fh.readline() or "null")
        except (OSError, ValueError):
            return
        if not isinstance(first, dict):
            return
        cutoff = self.clock() - self.retention_days * 86400.0
        if float(first.get("ts", cutoff)) < cutoff - PRUNE_SLACK_S:
            self.prune()

    def prune(self, retention_days: int | None = None) -> int:
        """Drop the records older than the retention period; a signed checkpoint record (holding
        the last pruned record's hash and seq) is appended so the rest still verifies. A log that
        does not verify is left alone (pruning would hide the damage). Returns the records dropped."""
        days = self.retention_days if retention_days is None else retention_days
        if days <= 0 or not self.file.exists():
            return 0
        check = self.verify()
        if not check.ok:
            log.warning("the audit log %s does not verify; old records were not pruned", self.file)
            return 0
        records = self.records()
        cutoff = self.clock() - days * 86400.0
        drop = 0
        for rec in records:
            if float(rec.get("ts", 0.0)) >= cutoff:
                break
            drop += 1
        if drop == 0:
            return 0
        key = self._key()
        assert key is not None
        last_pruned = records[drop - 1]
        previous = [r for r in records if r.get("type") == "checkpoint"]
        fields = {
            "type": "checkpoint",
            "pruned_count": drop + sum(int(r.get("pruned_count", 0)) for r in previous[-1:]),
            "pruned_through_seq": int(last_pruned["seq"]),
            "pruned_last_hash": last_pruned["hash"],
            "retention_days": days,
        }
        checkpoint = chain(fields, records[-1], self.clock())
        checkpoint["sig"] = sign(key, checkpoint["hash"])  # made over the hash, so not hashed itself
        kept = records[drop:] + [checkpoint]
        tmp = self.file.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for rec in kept:
                fh.write(json.dumps(rec, sort_keys=True, ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.file)
        self._write_head(checkpoint)
        log.info("pruned %d audit records older than %d days", drop, days)
        return drop

    # ---- export -------------------------------------------------------------------------------
    def export_csv(self, target: Path) -> int:
        """Write every record as a CSV row (one column per field; cited documents and pages joined
        with "; "). Returns the number of rows."""
        rows = [csv_row(r) for r in self.records()]
        target = Path(target)
        with target.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=CSV_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
        return len(rows)


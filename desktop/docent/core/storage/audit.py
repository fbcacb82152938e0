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
"""

from __future__ import annotations

import csv
import getpass
import hashlib
import hmac
import json
import logging
import os
import platform
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence, cast

log = logging.getLogger(__name__)

AUDIT_DIR = "audit"
LOG_FILE = "log.jsonl"
HEAD_FILE = "head.json"
KEY_FILE = "key"
FORMAT_VERSION = 1
GENESIS = "0" * 64
PRUNE_SLACK_S = 86400.0  # prune at most about once a day, not at every question

CSV_COLUMNS = [
    "seq", "time", "type", "user", "host", "library", "question_sha256", "answered", "cancelled",
    "model", "model_sha256", "quantization", "embedder", "documents", "citations", "passages_given",
    "note", "prev", "hash",
]


def canonical(record: dict[str, Any]) -> bytes:
    """The bytes a record's hash is taken over: its JSON with sorted keys, without `hash` (and
    without a checkpoint's `sig`, which is made over the hash)."""
    body = {k: v for k, v in record.items() if k not in ("hash", "sig")}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def record_hash(record: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(record)).hexdigest()


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


@dataclass(frozen=True)
class Problem:
    line: int  # 1-based line in the log file (0: not about one line)
    seq: int | None
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "seq": self.seq, "problem": self.message}


@dataclass(frozen=True)
class Verification:
    ok: bool
    records: int
    first_seq: int | None
    last_seq: int | None
    checkpoints: int
    problems: list[Problem] = field(default_factory=list)
    log_file: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok, "records": self.records, "first_seq": self.first_seq, "last_seq": self.last_seq,
            "checkpoints": self.checkpoints, "problems": [p.to_json() for p in self.problems],
            "log_file": self.log_file,
        }


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

    @staticmethod
    def _sign(key: bytes, text: str) -> str:
        return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()

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
        head["sig"] = self._sign(key, f"{head['seq']}:{head['hash']}")
        tmp = self.head_file.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(head, fh)
        os.replace(tmp, self.head_file)

    def _chain(self, fields: dict[str, Any], last: dict[str, Any] | None, now: float) -> dict[str, Any]:
        record = {
            "v": FORMAT_VERSION,
            "seq": (int(last["seq"]) + 1) if last else 0,
            "ts": round(now, 3),
            "time": _iso(now),
            **fields,
            "prev": last["hash"] if last else GENESIS,
        }
        record["hash"] = record_hash(record)
        return record

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
        record = self._chain(fields, last, self.clock())
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
        problems: list[Problem] = []
        parsed: list[tuple[int, dict[str, Any]]] = []
        for n, line in self._lines():
            try:
                rec = json.loads(line)
                if not isinstance(rec, dict):
                    raise ValueError
                int(rec["seq"])
                str(rec["hash"])
                str(rec["prev"])
            except (ValueError, KeyError, TypeError):
                problems.append(Problem(n, None, "not a valid audit record (edited or damaged)"))
                continue
            parsed.append((n, rec))
        key = self._key(create=False)
        checkpoints = [(n, r) for n, r in parsed if r.get("type") == "checkpoint"]
        for n, rec in parsed:
            if record_hash(rec) != rec["hash"]:
                problems.append(Problem(n, rec["seq"], "the record was altered: its content no longer matches its hash"))
        for (n0, a), (n1, b) in zip(parsed, parsed[1:]):
            if b["prev"] != a["hash"] or int(b["seq"]) != int(a["seq"]) + 1:
                problems.append(Problem(n1, b["seq"], f"the chain is broken before this record: records after "
                                        f"seq {a['seq']} were deleted, inserted or reordered"))
        if parsed:
            n, first = parsed[0]
            if int(first["seq"]) != 0 or first["prev"] != GENESIS:
                cp = checkpoints[-1][1] if checkpoints else None
                if cp is None or cp.get("pruned_last_hash") != first["prev"] or \
                        int(cp.get("pruned_through_seq", -2)) != int(first["seq"]) - 1:
                    problems.append(Problem(n, first["seq"], "records before this one were removed, and no "
                                            "checkpoint accounts for them"))
        for n, cp in checkpoints:
            if key is None:
                problems.append(Problem(n, cp["seq"], f"the audit key ({self.key_file}) is missing: "
                                        "the checkpoint's signature cannot be checked"))
            elif not hmac.compare_digest(str(cp.get("sig", "")), self._sign(key, cp["hash"])):
                problems.append(Problem(n, cp["seq"], "the checkpoint's signature is wrong"))
        problems += self._check_head(parsed, key)
        problems.sort(key=lambda p: (p.line, p.message))
        return Verification(
            ok=not problems, records=len(parsed),
            first_seq=int(parsed[0][1]["seq"]) if parsed else None,
            last_seq=int(parsed[-1][1]["seq"]) if parsed else None,
            checkpoints=len(checkpoints), problems=problems, log_file=str(self.file),
        )

    def _check_head(self, parsed: list[tuple[int, dict[str, Any]]], key: bytes | None) -> list[Problem]:
        try:
            head = json.loads(self.head_file.read_text(encoding="utf-8"))
            head_seq, head_hash = int(head["seq"]), str(head["hash"])
        except FileNotFoundError:
            if parsed:
                return [Problem(0, None, f"the head file ({self.head_file}) is missing: records cut from the "
                                         "end of the log could not be noticed")]
            return []
        except (OSError, ValueError, KeyError, TypeError):
            return [Problem(0, None, f"the head file ({self.head_file}) is damaged")]
        out = []
        if key is not None and not hmac.compare_digest(str(head.get("sig", "")), self._sign(key, f"{head_seq}:{head_hash}")):
            out.append(Problem(0, head_seq, "the head's signature is wrong"))
        if not parsed:
            out.append(Problem(0, head_seq, f"the log is empty or missing, but the head says it ended at seq {head_seq}: "
                                            "records were deleted"))
            return out
        n, last = parsed[-1]
        if int(last["seq"]) != head_seq or last["hash"] != head_hash:
            if int(last["seq"]) < head_seq:
                why = f"the log ends at seq {last['seq']} but the head says seq {head_seq}: the last records were deleted"
            else:
                why = f"the log goes on past the head (seq {head_seq}): records were added or replaced outside Docent"
            out.append(Problem(n, int(last["seq"]), why))
        return out

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
        checkpoint = self._chain(fields, records[-1], self.clock())
        checkpoint["sig"] = self._sign(key, checkpoint["hash"])  # made over the hash, so not hashed itself
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


def csv_row(rec: dict[str, Any]) -> dict[str, Any]:
    cited = [c for c in rec.get("cited", []) if isinstance(c, dict)]
    documents = list(dict.fromkeys(str(c.get("path", "")) for c in cited))
    citations = [f"{c.get('path', '')} ({c.get('location') or ('p. ' + str(c['page']) if c.get('page') else '')})"
                 for c in cited]
    note = ""
    if rec.get("type") == "checkpoint":
        note = (f"{rec.get('pruned_count', 0)} older records pruned (retention {rec.get('retention_days')} days), "
                f"through seq {rec.get('pruned_through_seq')}")
    return {
        "seq": rec.get("seq"), "time": rec.get("time", ""), "type": rec.get("type", ""),
        "user": rec.get("user", ""), "host": rec.get("host", ""), "library": rec.get("library", ""),
        "question_sha256": rec.get("question_sha256", ""), "answered": _yes_no(rec.get("answered")),
        "cancelled": _yes_no(rec.get("cancelled")), "model": rec.get("model", ""),
        "model_sha256": rec.get("model_sha256", ""), "quantization": rec.get("quantization", ""),
        "embedder": rec.get("embedder", ""), "documents": "; ".join(documents), "citations": "; ".join(citations),
        "passages_given": rec.get("passages_given", ""), "note": note, "prev": rec.get("prev", ""),
        "hash": rec.get("hash", ""),
    }


def _yes_no(value: Any) -> str:
    return "" if value is None else ("yes" if value else "no")


def ask_record(
    question: str,
    library: str,
    answered: bool,
    cancelled: bool,
    cited: Iterable[Any],
    model_path: str | None,
    model_sha256: str | None,
    quantization: str | None,
    embedder: str,
    passages_given: int,
    scope: Sequence[str] = (),
) -> dict[str, Any]:
    """The fields of one "ask" record. `cited` holds Citation-like objects (path, page, location);
    their text is never read."""
    return {
        "type": "ask",
        "user": _user(),
        "host": platform.node(),
        "library": library,
        "question_sha256": hashlib.sha256(question.strip().encode("utf-8")).hexdigest(),
        "answered": bool(answered),
        "cancelled": bool(cancelled),
        "cited": [{"path": str(c.path), "page": c.page, "location": str(c.location)} for c in cited],
        "passages_given": int(passages_given),
        "scope": [str(s) for s in scope],
        "model": Path(model_path).name if model_path else "",
        "model_path": model_path or "",
        "model_sha256": model_sha256 or "",
        "quantization": quantization or "",
        "embedder": embedder,
    }


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name (e.g. a container without a passwd entry)
        return str(os.getuid()) if hasattr(os, "getuid") else ""

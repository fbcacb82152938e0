"""The audit trail's hash chain: how a record is hashed and chained to the one before it, how
checkpoints and the head are signed, and how a log is verified (every record's hash, the chain
between them, the checkpoints that account for pruned records, the head that shows records cut
from the end). Pure functions over records and lines; audit.py reads and writes the files. See
audit.py's docstring for what this shows and what it does not.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMAT_VERSION = 1
GENESIS = "0" * 64


def canonical(record: dict[str, Any]) -> bytes:
    """The bytes a record's hash is taken over: its JSON with sorted keys, without `hash` (and
    without a checkpoint's `sig`, which is made over the hash)."""
    body = {k: v for k, v in record.items() if k not in ("hash", "sig")}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def record_hash(record: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(record)).hexdigest()


def sign(key: bytes, text: str) -> str:
    """HMAC-SHA256 of `text` with the key kept beside the log (checkpoints and the head)."""
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def chain(fields: dict[str, Any], last: dict[str, Any] | None, now: float) -> dict[str, Any]:
    """A new record holding `fields`, numbered and chained after `last` (None: the first), hashed."""
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


def verify(lines: list[tuple[int, str]], key: bytes | None, *, log_file: Path, head_file: Path,
           key_file: Path) -> Verification:
    """Check the log's `lines` ((line number, text), blank ones left out): every record's hash, the
    chain between them, the checkpoints (signed with `key`; None: the key is missing) and the head."""
    problems: list[Problem] = []
    parsed: list[tuple[int, dict[str, Any]]] = []
    for n, line in lines:
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
            problems.append(Problem(n, cp["seq"], f"the audit key ({key_file}) is missing: "
                                    "the checkpoint's signature cannot be checked"))
        elif not hmac.compare_digest(str(cp.get("sig", "")), sign(key, cp["hash"])):
            problems.append(Problem(n, cp["seq"], "the checkpoint's signature is wrong"))
    problems += _check_head(head_file, parsed, key)
    problems.sort(key=lambda p: (p.line, p.message))
    return Verification(
        ok=not problems, records=len(parsed),
        first_seq=int(parsed[0][1]["seq"]) if parsed else None,
        last_seq=int(parsed[-1][1]["seq"]) if parsed else None,
        checkpoints=len(checkpoints), problems=problems, log_file=str(log_file),
    )


def _check_head(head_file: Path, parsed: list[tuple[int, dict[str, Any]]], key: bytes | None) -> list[Problem]:
    try:
        head = json.loads(head_file.read_text(encoding="utf-8"))
        head_seq, head_hash = int(head["seq"]), str(head["hash"])
    except FileNotFoundError:
        if parsed:
            return [Problem(0, None, f"the head file ({head_file}) is missing: records cut from the "
                                     "end of the log could not be noticed")]
        return []
    except (OSError, ValueError, KeyError, TypeError):
        return [Problem(0, None, f"the head file ({head_file}) is damaged")]
    out = []
    if key is not None and not hmac.compare_digest(str(head.get("sig", "")), sign(key, f"{head_seq}:{head_hash}")):
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

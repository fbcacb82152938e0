"""Chats kept in the library folder: one JSON file per chat under `chats/`, written atomically.

A chat is a list of turns (a question, the answer, its citations and the passages the model saw).
Nothing here knows about Qt; the window and any other front end share the format. Markdown export
puts every answer with its numbered sources and quoted passages.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from docent.core.text import without_citations
from docent.core.types import Citation, Hit

log = logging.getLogger(__name__)

CHATS_DIR = "chats"
FORMAT_VERSION = 1
_ID = re.compile(r"^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$")


@dataclass
class Passage:
    """A passage shown with an answer: a citation, or one of the nearest passages of a declined answer."""

    n: int
    path: str
    page: int | None
    location: str
    text: str
    char_start: int = 0
    char_end: int = 0

    @classmethod
    def from_citation(cls, c: Citation) -> "Passage":
        return cls(c.n, c.path, c.page, c.location, c.text, c.char_start, c.char_end)

    @classmethod
    def from_hit(cls, n: int, h: Hit) -> "Passage":
        return cls(n, h.path, h.page, h.location, h.text, h.char_start, h.char_end)

    def to_citation(self) -> Citation:
        return Citation(self.n, self.path, self.page, self.location, self.text, self.char_start, self.char_end)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> "Passage":
        page = raw.get("page")
        return cls(
            n=int(raw.get("n", 0)), path=str(raw.get("path", "")), page=int(page) if page is not None else None,
            location=str(raw.get("location", "")), text=str(raw.get("text", "")),
            char_start=int(raw.get("char_start", 0)), char_end=int(raw.get("char_end", 0)),
        )


@dataclass
class Turn:
    question: str
    answer: str = ""
    answered: bool = False
    cancelled: bool = False
    error: str = ""
    citations: list[Passage] = field(default_factory=list)
    sources: list[Passage] = field(default_factory=list)  # every passage the model was given
    scope: list[str] = field(default_factory=list)
    model: str = ""
    asked_at: float = field(default_factory=time.time)
    timings: dict[str, float] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)  # docent.core.answer.provenance.Provenance.to_json()
    unsupported: list[str] = field(default_factory=list)  # answer sentences not found in their sources
    extractive: bool = False  # the answer is the passages' own sentence, not the model's words
    # "sentence", "table" (a figure read off a table row) or "computed" (a metric computed from such
    # figures); "" for older chats
    extractive_kind: str = ""
    # the model's answer when the passages' sentence stands in its place (AnswerDone.set_aside)
    set_aside: str = ""

    @property
    def finished(self) -> bool:
        return bool(self.answer or self.error or self.cancelled)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> "Turn":
        return cls(
            question=str(raw.get("question", "")),
            answer=str(raw.get("answer", "")),
            answered=bool(raw.get("answered", False)),
            cancelled=bool(raw.get("cancelled", False)),
            error=str(raw.get("error", "")),
            citations=[Passage.from_json(c) for c in raw.get("citations", []) if isinstance(c, dict)],
            sources=[Passage.from_json(c) for c in raw.get("sources", []) if isinstance(c, dict)],
            scope=[str(s) for s in raw.get("scope", [])],
            model=str(raw.get("model", "")),
            asked_at=float(raw.get("asked_at", 0.0) or 0.0),
            timings={str(k): float(v) for k, v in (raw.get("timings") or {}).items() if isinstance(v, (int, float))},
            provenance=dict(raw["provenance"]) if isinstance(raw.get("provenance"), dict) else {},
            unsupported=[str(x) for x in raw.get("unsupported", []) if isinstance(x, str)],
            extractive=bool(raw.get("extractive", False)),
            extractive_kind=str(raw.get("extractive_kind", "") or ""),
            set_aside=str(raw.get("set_aside", "") or ""),
        )


@dataclass
class Chat:
    id: str
    title: str = ""
    created: float = field(default_factory=time.time)
    updated: float = field(default_factory=time.time)
    turns: list[Turn] = field(default_factory=list)

    @property
    def display_title(self) -> str:
        return self.title or (_title_from(self.turns[0].question) if self.turns else "New chat")

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["version"] = FORMAT_VERSION
        return data

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> "Chat":
        return cls(
            id=str(raw["id"]),
            title=str(raw.get("title", "")),
            created=float(raw.get("created", 0.0) or 0.0),
            updated=float(raw.get("updated", 0.0) or 0.0),
            turns=[Turn.from_json(t) for t in raw.get("turns", []) if isinstance(t, dict)],
        )


@dataclass(frozen=True)
class ChatSummary:
    id: str
    title: str
    updated: float
    turns: int


def new_chat_id(now: float | None = None) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now if now is not None else time.time()))
    return f"{stamp}-{uuid.uuid4().hex[:6]}"


def _title_from(question: str, limit: int = 60) -> str:
    text = " ".join(question.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


class ChatStore:
    """The chats of one library: `<data dir>/chats/<id>.json`. The folder is created on first save.
    With `key` (an encrypted library's chat key) each file is sealed with AES-256-GCM instead of
    holding plain JSON."""

    def __init__(self, folder: Path, key: bytes | None = None) -> None:
        self.folder = Path(folder)
        self._key = key

    def _read(self, file: Path) -> dict[str, Any]:
        data = file.read_bytes()
        if self._key is not None:
            from docent.core.storage.crypto import open_sealed

            data = open_sealed(self._key, data)
        raw = json.loads(data.decode("utf-8"))
        if not isinstance(raw, dict):
            raise ValueError(f"not a chat: {file}")
        return raw

    def _file(self, chat_id: str) -> Path:
        if not _ID.match(chat_id):
            raise ValueError(f"not a chat id: {chat_id!r}")
        return self.folder / f"{chat_id}.json"

    def new(self) -> Chat:
        return Chat(id=new_chat_id())

    def list(self) -> list[ChatSummary]:
        """Every stored chat, most recently updated first. Unreadable files are skipped (and logged)."""
        out: list[ChatSummary] = []
        try:
            files = sorted(self.folder.glob("*.json"))
        except OSError:
            return []
        for file in files:
            try:
                chat = Chat.from_json(self._read(file))
            except (OSError, ValueError, KeyError, TypeError):
                log.warning("skipping unreadable chat file %s", file)
                continue
            if chat.turns:
                out.append(ChatSummary(chat.id, chat.display_title, chat.updated, len(chat.turns)))
        out.sort(key=lambda s: s.updated, reverse=True)
        return out

    def load(self, chat_id: str) -> Chat:
        return Chat.from_json(self._read(self._file(chat_id)))

    def save(self, chat: Chat) -> None:
        chat.updated = time.time()
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        target = self._file(chat.id)
        tmp = target.with_suffix(".tmp")
        data = json.dumps(chat.to_json(), ensure_ascii=False, indent=1).encode("utf-8")
        if self._key is not None:
            from docent.core.storage.crypto import seal

            data = seal(self._key, data)
        tmp.write_bytes(data)
        os.replace(tmp, target)

    def delete(self, chat_id: str) -> None:
        try:
            self._file(chat_id).unlink()
        except FileNotFoundError:
            pass


# ---- export ----------------------------------------------------------------------------------------
def _quote(text: str, limit: int = 600) -> str:
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rsplit(" ", 1)[0] + "…"
    return "> " + text


def provenance_lines(prov: dict[str, Any]) -> list[str]:
    """"Why this answer?" as Markdown: model file, sha256 and quantization, embedder, retrieval
    settings, the passages given to the model with their ranks and scores, timings."""
    if not prov:
        return []
    lines = ["**Why this answer?**", ""]
    model = prov.get("model_path")
    if model:
        used = "" if prov.get("model_used") else " (not asked: nothing relevant was found)"
        lines.append(f"- Model: `{Path(str(model)).name}`, {prov.get('quantization') or 'unknown quantization'}{used}")
        lines.append(f"  - file `{model}`, sha256 `{prov.get('model_sha256') or 'unknown'}`")
    lines.append(f"- Embedder: `{prov.get('embedder', '')}`")
    r = prov.get("retrieval") or {}
    if r:
        mode = f"{r.get('mode', '')}" + (f", {r.get('fusion')} fusion" if r.get("mode") == "hybrid" else "")
        lines.append(f"- Retrieval: {mode}, {r.get('sources')} passages, best similarity {r.get('best_similarity')}, "
                     f"question words found {r.get('coverage')}, relevant: {'yes' if r.get('relevant') else 'no'}")
    passages = [p for p in prov.get("passages") or [] if isinstance(p, dict)]
    if passages:
        lines.append("- Passages given to the model:" if prov.get("model_used") else "- Passages found:")
        for p in passages:
            cited = ", cited" if p.get("cited") else ""
            lines.append(f"  - [{p.get('n')}] `{Path(str(p.get('path', ''))).name}`, {p.get('location', '')}: "
                         f"rank {p.get('rank')}, score {p.get('score')}{cited}")
    timings = prov.get("timings") or {}
    if timings:
        shown = ", ".join(f"{k.removesuffix('_s')} {v:.2f} s" for k, v in timings.items()
                          if k.endswith("_s") and isinstance(v, (int, float)))
        lines.append(f"- Timings: {shown}")
    return lines + [""]


EXTRACTIVE_NOTE = ("Quoted from your documents: the model gave no answer that these passages support, so "
                   "this is the passage sentence that best matches the question.")
SET_ASIDE_NOTE = ("Quoted from your documents: the model answered “{model}”, which the passage sentence that "
                  "matches your question does not say, so that sentence is given instead.")
TABLE_NOTE = ("Read from a table in your documents: the figure of the cited row, in the column of the year "
              "asked. Check the row's label against what you asked.")

COMPUTED_NOTE = ("Computed from tables in your documents: the formula shown, applied to the cited rows' figures "
                 "for the years asked. Check the rows and the formula against what you asked.")


def extractive_note(kind: str, set_aside: str = "") -> str:
    """The line shown (and exported) with an extractive answer of this kind; with `set_aside`, the
    model's answer that the quoted sentence stands in place of."""
    if set_aside and kind == "sentence":
        return SET_ASIDE_NOTE.format(model=without_citations(set_aside).rstrip(" ."))
    return {"table": TABLE_NOTE, "computed": COMPUTED_NOTE}.get(kind, EXTRACTIVE_NOTE)


def to_markdown(chat: Chat, provenance: bool = True) -> str:
    """The chat as Markdown: each question as a heading, the answer, then its sources with the quoted
    passages (file, page or section, full path) and, with `provenance`, why this answer."""
    lines = [f"# {chat.display_title}", ""]
    stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(chat.created or time.time()))
    lines += [f"_Docent chat started {stamp}; answers come only from the documents listed as sources._", ""]
    for turn in chat.turns:
        lines += [f"## {' '.join(turn.question.split())}", ""]
        if turn.error:
            lines += [f"_Error: {turn.error}_", ""]
            continue
        answer = turn.answer.strip() or "_(no answer)_"
        lines += [answer, ""]
        if turn.extractive and turn.answered:
            lines += [f"_{extractive_note(turn.extractive_kind, turn.set_aside)}_", ""]
        withheld = [u for u in turn.unsupported if u not in turn.answer]  # left out of the answer
        flagged = [u for u in turn.unsupported if u in turn.answer]
        if withheld:
            lines += ["> ⚠ **Withheld** — the documents do not state this, so it is not given as the answer: "
                      + "; ".join(f"“{u}”" for u in withheld), ""]
        if flagged and turn.answered:
            lines += ["> ⚠ Not found in the cited passages (check against the sources): "
                      + "; ".join(f"“{u}”" for u in flagged), ""]
        if turn.cancelled:
            lines += ["_(stopped before the end)_", ""]
        passages = turn.citations if turn.citations else ([] if turn.answered else turn.sources[:3])
        if passages:
            lines += ["**Sources**" if turn.citations else "**Nearest passages**", ""]
            for p in passages:
                name = Path(p.path).name
                lines.append(f"{p.n}. **{name}**, {p.location} — `{p.path}`")
                lines.append("")
                lines.append("   " + _quote(p.text))
                lines.append("")
        if provenance:
            lines += provenance_lines(turn.provenance)
    return "\n".join(lines).rstrip() + "\n"

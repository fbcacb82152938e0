"""Frozen values passed between the core's layers, the CLI and the UI."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal


@dataclass(frozen=True)
class Block:
    """A run of extracted text with its provenance.

    For a PDF, one block is one page (`page` is 1-based, `label` the printed page label).
    For DOCX/TXT/MD, one block is one paragraph, table row group or list item, with its heading path.
    `offset` is where the block's text starts in the document's extracted text (the concatenation
    of all blocks joined by "\n\n"), so chunk offsets can be mapped back for highlighting.
    For slides, sheets, e-mails and e-book chapters, `place` names the unit the block belongs to
    ("slide 7", "notes of slide 7", "sheet Sales", "chapter 3: Title", "e-mail from A to B,
    2024-03-02"): it is the block's location, and a chunk never crosses a change of place. `row` is
    a spreadsheet row as the spreadsheet numbers it (a chunk of rows 12 to 30 says "rows 12–30").
    """

    text: str
    page: int | None = None
    label: str | None = None
    heading: str = ""
    para: int | None = None
    kind: Literal["text", "heading", "table", "list"] = "text"
    place: str = ""
    row: int | None = None


@dataclass(frozen=True)
class Extraction:
    """What an extractor returns for one file."""

    blocks: list[Block]
    pages: int = 0
    empty_pages: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # a message's attachments of the kinds Docent reads, each indexed as a document of its own
    attachments: list["Attachment"] = field(default_factory=list)


# A message's attachment is catalogued under "<message path>::attachment/<n>/<file name>" (n its
# 1-based place among the message's attachments): readable, stable while the message is, sorted
# right after the message, and never a file's path (the indexer leaves out a file whose path holds
# the mark). The one definition of the scheme; everything else asks these functions.
ATTACHMENT_MARK = "::attachment/"


def attachment_path(message: str, n: int, name: str) -> str:
    """The path of the `n`-th attachment (1-based) of the message at `message`, named `name`."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip() or "attachment"
    return f"{message}{ATTACHMENT_MARK}{n}/{name}"


def attachment_of(path: str) -> tuple[str, int, str] | None:
    """(message path, n, file name) of an attachment's path; None for a file's."""
    message, mark, rest = path.rpartition(ATTACHMENT_MARK)
    if not mark or not message:
        return None
    n, _, name = rest.partition("/")
    return (message, int(n), name) if n.isdigit() and name else None


@dataclass(frozen=True)
class Attachment:
    """A message's attachment of a kind Docent reads (extract/eml.py), indexed as a document of its
    own under attachment_path(message, n, name). `extraction` is what its reader found; None when it
    could not be read, `status` ("skipped"/"failed") and `reason` then say why. `about` names the
    message in the attachment's context line: "attached to e-mail from A to B, 2024-03-02"."""

    n: int
    name: str
    size: int
    sha256: str
    about: str
    extraction: "Extraction | None" = None
    status: "DocStatus" = "indexed"
    reason: str = ""


@dataclass(frozen=True)
class Chunk:
    id: str
    ordinal: int
    text: str
    page: int | None
    page_end: int | None
    location: str
    heading: str
    char_start: int
    char_end: int
    tokens: int


@dataclass(frozen=True)
class Hit:
    chunk_id: str
    doc_id: int
    path: str
    page: int | None
    location: str
    text: str
    score: float
    ordinal: int = 0
    char_start: int = 0
    char_end: int = 0
    vector_rank: int | None = None
    keyword_rank: int | None = None
    similarity: float | None = None
    heading: str = ""

    @property
    def where(self) -> str:
        """Where the passage stands: its heading and its file's name (without the extension). A
        name written there counts for the passage's sentences, which seldom repeat it."""
        return f"{self.heading} {Path(self.path).stem}"

    def to_json(self) -> dict[str, object]:
        return {
            "path": self.path,
            "page": self.page,
            "location": self.location,
            "text": self.text,
            "score": round(self.score, 6),
            "char_start": self.char_start,
            "char_end": self.char_end,
        }


@dataclass(frozen=True)
class Citation:
    n: int
    path: str
    page: int | None
    location: str
    text: str
    char_start: int = 0
    char_end: int = 0

    def to_json(self) -> dict[str, object]:
        return {
            "n": self.n,
            "path": self.path,
            "page": self.page,
            "location": self.location,
            "text": self.text,
            "char_start": self.char_start,
            "char_end": self.char_end,
        }


DocStatus = Literal["queued", "indexing", "indexed", "skipped", "failed"]


@dataclass(frozen=True)
class DocumentRecord:
    id: int
    path: str
    size: int
    mtime: float
    sha256: str
    status: DocStatus
    reason: str
    pages: int
    chunks: int
    embedder_id: str
    indexed_at: float | None
    parent: int | None = None  # an attachment's message (its document id); None for a file

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "path": self.path,
            "status": self.status,
            "reason": self.reason,
            "pages": self.pages,
            "chunks": self.chunks,
            "size": self.size,
            "sha256": self.sha256,
            "indexed_at": self.indexed_at,
        }
        message = attachment_of(self.path) if self.parent is not None else None
        if message is not None:
            out["parent"] = message[0]  # an attachment only: its message's path (files' output unchanged)
        return out


# ---- progress events yielded by long jobs ------------------------------------------------------


@dataclass(frozen=True)
class ScanDone:
    total_files: int
    to_index: int
    unchanged: int
    removed: int
    renamed: int
    # of to_index: documents unchanged on disk, re-read because they were indexed by an older
    # chunker or another embedder (a re-index after an upgrade; the window says so)
    outdated: int = 0


@dataclass(frozen=True)
class FileStarted:
    path: str
    index: int
    total: int


@dataclass(frozen=True)
class FileProgress:
    path: str
    pages_done: int
    pages_total: int
    chunks_done: int


@dataclass(frozen=True)
class FileOcrProgress:
    """Pages of a scanned file read by OCR so far (seconds each), before its passages are embedded.
    `pages_total` counts the pages that need OCR, not the whole file."""

    path: str
    pages_done: int
    pages_total: int


@dataclass(frozen=True)
class FileDone:
    path: str
    status: DocStatus
    reason: str
    pages: int
    chunks: int
    index: int
    total: int


@dataclass(frozen=True)
class SyncDone:
    indexed: int
    skipped: int
    failed: int
    unchanged: int
    removed: int
    renamed: int
    pages: int
    chunks: int
    seconds: float
    cancelled: bool = False


@dataclass(frozen=True)
class FileLeftOut:
    """Something under a followed folder that looks like a document but cannot be one: a link to
    nothing, a pipe or device, a folder that cannot be read, a name that is not valid text. It is not
    catalogued (there is nothing to index); the reason says what to do."""

    path: str
    reason: str


IndexEvent = ScanDone | FileStarted | FileProgress | FileOcrProgress | FileDone | SyncDone | FileLeftOut


@dataclass(frozen=True)
class Planned:
    """Yielded by a sync of the followed folders before indexing: the files expected to be (re)read,
    and how many documents were forgotten because no followed folder holds them any more."""

    queued: list[str]
    pruned: int


FollowEvent = Planned | IndexEvent


@dataclass(frozen=True)
class Token:
    text: str


@dataclass(frozen=True)
class Sources:
    """The passages given to the model, numbered as the prompt numbers them."""

    hits: list[Hit]


@dataclass(frozen=True)
class Provenance:
    """Why this answer: the model that wrote it (file, sha256, quantization), the embedder, the
    retrieval settings and how relevant retrieval found the documents, the passages given to the
    model (`n` as numbered in the prompt, `rank` in the search results, their scores) and the
    timings. `model_sha256` is filled in by the library (it keeps the hash cache); `model_used` is
    False when the answer was declined before the model was asked."""

    model_path: str | None
    model_sha256: str | None
    quantization: str | None
    model_used: bool
    embedder: str
    retrieval: dict[str, object]
    generation: dict[str, object]
    passages: list[dict[str, object]]
    timings: dict[str, float]

    def to_json(self) -> dict[str, object]:
        return {
            "model_path": self.model_path, "model_sha256": self.model_sha256, "quantization": self.quantization,
            "model_used": self.model_used, "embedder": self.embedder, "retrieval": dict(self.retrieval),
            "generation": dict(self.generation), "passages": [dict(p) for p in self.passages],
            "timings": dict(self.timings),
        }


@dataclass(frozen=True)
class AnswerDone:
    answer: str
    answered: bool
    citations: list[Citation]
    cancelled: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    claims: list["Claim"] = field(default_factory=list)
    provenance: Provenance | None = None  # what the answer was made from ("Why this answer?")
    # sentences the model wrote that no cited passage supports: not part of `answer`
    withheld: list["Withheld"] = field(default_factory=list)
    # the answer is the passages' own best sentence (the model wrote nothing), not the model's words
    extractive: bool = False
    # what an extractive answer is: "sentence" (the passages' best sentence), "table" (a figure read
    # off a table row under the year's column, `answer/figures.py`) or "computed" (a metric computed
    # from such figures, `answer/metrics.py`); "" when not extractive
    extractive_kind: str = ""
    # how a "computed" answer was computed: the formula and each figure it used, with its source
    computation: "Computation | None" = None
    # the model's answer when the passages' sentence that bears the question out, which states none
    # of its sentences, is shown in its place (`answer` is then that sentence, extractive); "" otherwise
    set_aside: str = ""


@dataclass(frozen=True)
class Computation:
    """A metric computed from table rows: `result` as shown, `derived` the numbers the answer shows
    that the computation produced (the result, each year's value), `inputs` each figure read."""

    metric: str
    formula: str
    result: str
    derived: list[str]
    inputs: list[dict[str, object]]

    def to_json(self) -> dict[str, object]:
        return {"metric": self.metric, "formula": self.formula, "result": self.result,
                "derived": list(self.derived), "inputs": [dict(i) for i in self.inputs]}


@dataclass(frozen=True)
class Claim:
    """One sentence of an answer checked against its sources: `support` is the share of its content
    words found in the best of the passages it cites (or of all passages when it cites none);
    `supported` is None when the sentence has too few content words to check."""

    sentence: str
    citations: list[int]
    support: float
    supported: bool | None

    def to_json(self) -> dict[str, object]:
        return {"sentence": self.sentence, "citations": list(self.citations), "support": round(self.support, 3),
                "supported": self.supported}


@dataclass(frozen=True)
class Withheld:
    """A sentence the model wrote that its passages do not support, kept out of the answer: `missing`
    lists the numbers it states that no passage states, `closest` is the passage that shares most of
    its words (None when none shares any)."""

    sentence: str
    missing: list[str]
    closest: Citation | None

    def to_json(self) -> dict[str, object]:
        closest = self.closest
        return {"sentence": self.sentence, "missing_numbers": list(self.missing),
                "closest": None if closest is None else {
                    "n": closest.n, "path": closest.path, "page": closest.page,
                    "location": closest.location, "text": closest.text}}


@dataclass(frozen=True)
class WholeDocProgress:
    """A whole-document task's progress: `done` of `total` model calls, `stage` "map" (notes per
    batch of chunks) or "reduce" (the final answer)."""

    done: int
    total: int
    stage: str


@dataclass(frozen=True)
class WholeDocCoverage:
    """What a whole-document answer read: `mode` "summarize" | "compare" | "list", the chunks read of
    those the documents hold, and the documents (paths)."""

    mode: str
    chunks_read: int
    chunks_total: int
    documents: list[str]

    def to_json(self) -> dict[str, object]:
        return {"chunks_read": self.chunks_read, "chunks_total": self.chunks_total, "documents": list(self.documents)}


AskEvent = Sources | Token | AnswerDone | WholeDocProgress | WholeDocCoverage

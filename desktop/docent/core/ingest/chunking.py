"""Structure-aware chunking: pure functions from extracted blocks to chunks.

Blocks are grouped into sections that a chunk never crosses (a PDF page; a DOCX/Markdown heading
section; a slide, a sheet, an e-mail, a chapter), packed paragraph by paragraph up to `max_tokens` of the embedder's own tokenizer, and a
paragraph longer than that is split at sentence (else token) boundaries with `overlap` tokens
carried over. Every chunk keeps its page or heading path, and character offsets into the
document's extracted text, i.e. the blocks joined by BLOCK_SEP.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from docent.core.types import Block, Chunk

BLOCK_SEP = "\n\n"
# Bump when extraction or chunking changes what chunks look like: documents are then re-read.
# c6: PDF pages that are mostly tables are read as labelled rows (extract/tables.py).
# c5: the embedder sees title › heading again, the keyword index also the identity (c4: both did).
# c4: each chunk's indexed context line names the document (name, period) and its page heading.
CHUNKER_VERSION = "c6"

TokenSpans = Callable[[str], list[tuple[int, int]]]

_SENTENCE_END = re.compile(r"(?<=[.!?…。！？])[\"'”’)\]]*\s+")


@dataclass(frozen=True)
class ChunkParams:
    max_tokens: int = 200
    overlap: int = 32
    min_tokens: int = 24

    @property
    def signature(self) -> str:
        return f"{CHUNKER_VERSION}:{self.max_tokens}:{self.overlap}:{self.min_tokens}"


@dataclass
class _Piece:
    text: str
    start: int  # offset in the document text
    tokens: int
    block: Block


def block_offsets(blocks: Sequence[Block]) -> list[int]:
    offsets, pos = [], 0
    for block in blocks:
        offsets.append(pos)
        pos += len(block.text) + len(BLOCK_SEP)
    return offsets


def document_text(blocks: Sequence[Block]) -> str:
    return BLOCK_SEP.join(b.text for b in blocks)


def location_of(block: Block) -> str:
    if block.place:
        return f"{block.place}, row {block.row}" if block.row is not None else block.place
    if block.page is not None:
        return f"p. {block.page}" if not block.label else f"p. {block.label} (PDF page {block.page})"
    parts = [block.heading] if block.heading else []
    if block.para is not None:
        parts.append(f"¶{block.para}")
    return " ".join(parts) if parts else "¶1"


def _section_key(block: Block) -> object:
    if block.place:
        return ("place", block.place, block.heading)
    return ("page", block.page) if block.page is not None else ("heading", block.heading)


def _rows_location(anchor: Block, group: list[_Piece]) -> str:
    """"sheet Sales, rows 12–30" for a chunk of spreadsheet rows; the anchor's location otherwise."""
    rows = [p.block.row for p in group if p.block.row is not None and p.block.kind != "heading"
            and p.block.place == anchor.place]
    if anchor.row is None or not rows or min(rows) == max(rows):
        return location_of(anchor)
    return f"{anchor.place}, rows {min(rows)}\u2013{max(rows)}"


def _split_long(text: str, start: int, block: Block, spans: list[tuple[int, int]], params: ChunkParams,
                token_spans: TokenSpans | None = None) -> list[_Piece]:
    """Split one over-long paragraph into windows of ≤ max_tokens tokens, cut at sentence ends where
    possible, each window starting `overlap` tokens before the previous one ended."""
    ends = {m.start() for m in _SENTENCE_END.finditer(text)}
    pieces: list[_Piece] = []
    i, n = 0, len(spans)
    prev_end = prev_c1 = 0  # where the previous window ended: token index, character offset
    while i < n:
        j = cut = min(n, i + params.max_tokens)
        # never cut inside a word: step back to the start of the word the cut falls in...
        while j < n and j > i + 1 and _joined(text, spans, j):
            j -= 1
        # ...unless the word is longer than the window (or than what it adds): then cut inside it
        if j < n and (j <= prev_end or _joined(text, spans, j)):
            j = cut
        if j < n:
            # prefer the last sentence end inside the window's second half
            for k in range(j, max(i + params.max_tokens // 2, prev_end), -1):
                if spans[k - 1][1] in ends:
                    j = k
                    break
        # from where the previous window ended, so characters no token covers are not lost
        c0 = min(spans[i][0], prev_c1) if i > 0 else 0
        c1 = spans[j - 1][1] if j < n else len(text)
        tokens = j - i
        unclean = (i > 0 and spans[i][0] <= spans[i - 1][1]) or (j < n and spans[j][0] <= spans[j - 1][1])
        if token_spans is not None and unclean:
            # a window not cut at a space (inside a word, or next to punctuation or "×") can tokenize
            # differently on its own: count it again, and shrink it while it is over the budget
            while (tokens := len(token_spans(text[c0:c1]))) > params.max_tokens and j > i + 1:
                j -= 1
                c1 = spans[j - 1][1]
        piece = text[c0:c1].strip()
        lead = len(text[c0:c1]) - len(text[c0:c1].lstrip())
        if piece:
            pieces.append(_Piece(piece, start + c0 + lead, max(1, tokens), block))
        if j >= n:
            break
        prev_end, prev_c1 = j, c1
        nxt = back = max(i + 1, j - params.overlap)
        while back > i + 1 and _joined(text, spans, back):
            back -= 1
        if _joined(text, spans, back):  # the overlap lies inside one overlong word: start at its next cut
            while nxt < j and _joined(text, spans, nxt):
                nxt += 1
        else:
            nxt = back
        i = nxt
    return pieces


def _joined(text: str, spans: list[tuple[int, int]], k: int) -> bool:
    """True when token k continues the word of token k-1 (no gap between them), or shares its
    characters (one Hangul syllable or ligature can give several tokens)."""
    if spans[k][0] < spans[k - 1][1]:
        return True
    return spans[k][0] == spans[k - 1][1] and text[spans[k][0] : spans[k][0] + 1].isalnum() \
        and text[spans[k][0] - 1 : spans[k][0]].isalnum()


def _chunk_id(doc_key: str, params: ChunkParams, ordinal: int, text: str) -> str:
    h = hashlib.sha256(f"{doc_key}|{params.signature}|{ordinal}|{text}".encode("utf-8", "replace"))
    return h.hexdigest()[:32]


def chunk_blocks(
    blocks: Sequence[Block],
    token_spans: TokenSpans,
    params: ChunkParams = ChunkParams(),
    doc_key: str = "",
) -> list[Chunk]:
    """Blocks → chunks. `doc_key` (the file's sha256) makes ids content-derived and deterministic."""
    offsets = block_offsets(blocks)
    doc = document_text(blocks)
    chunks: list[Chunk] = []
    groups: list[list[_Piece]] = []  # the pieces behind each chunk, for folding a tail back in

    def emit(group: list[_Piece], tokens: int) -> None:
        if not group:
            return
        groups.append(group)
        first, last = group[0], group[-1]
        # cite the first passage of body text, not a parent heading that opened the chunk
        anchor = next((p.block for p in group if p.block.kind != "heading"), last.block)
        start, end = first.start, max(p.start + len(p.text) for p in group)
        text = doc[start:end]  # the exact source slice, so offsets always map back
        pages = [p.block.page for p in group if p.block.page is not None]
        ordinal = len(chunks)
        chunks.append(
            Chunk(
                id=_chunk_id(doc_key, params, ordinal, text),
                ordinal=ordinal,
                text=text,
                page=pages[0] if pages else None,
                page_end=pages[-1] if pages else None,
                location=_rows_location(anchor, group),
                heading=anchor.heading,
                char_start=start,
                char_end=end,
                tokens=tokens,
            )
        )

    for section in _sections(blocks, offsets):
        pieces: list[_Piece] = []
        for block, start in section:
            if not block.text.strip():
                continue  # a blank paragraph is no passage
            spans = token_spans(block.text)
            if len(spans) > params.max_tokens:
                pieces.extend(_split_long(block.text, start, block, spans, params, token_spans))
            else:
                pieces.append(_Piece(block.text, start, max(1, len(spans)), block))
        group: list[_Piece] = []
        size = 0
        for piece in pieces:
            joined = size + piece.tokens
            if group and piece.block is group[-1].block and joined <= params.max_tokens:
                # windows of one split paragraph can meet inside a word: count their union again
                end = max(p.start + len(p.text) for p in (*group, piece))
                joined = len(token_spans(doc[group[0].start : end]))
            if group and joined > params.max_tokens:
                emit(group, size)
                group, joined = [], piece.tokens
            group.append(piece)
            size = joined
        # fold a tiny tail into the previous chunk of the same section when it still fits
        if group and size < params.min_tokens and chunks and _same_section(chunks[-1], groups[-1][-1].block, group[0].block):
            merged = chunks[-1].tokens + size
            if groups[-1][-1].block is group[0].block:
                end = max(chunks[-1].char_end, *(p.start + len(p.text) for p in group))
                merged = len(token_spans(doc[chunks[-1].char_start : end]))
            if merged <= params.max_tokens:
                chunks.pop()
                group, size = groups.pop() + group, merged
        emit(group, size)
    return chunks


def _same_section(chunk: Chunk, last: Block, block: Block) -> bool:
    """Whether `block` is in the section of `chunk`, whose last block is `last`."""
    if block.place or last.place:
        return _section_key(last) == _section_key(block)
    if block.page is not None:
        return chunk.page_end == block.page
    return chunk.heading == block.heading


def _sections(blocks: Sequence[Block], offsets: list[int]) -> Iterable[list[tuple[Block, int]]]:
    """Consecutive blocks sharing a page (PDF) or heading section (DOCX). A heading block opens its
    section and travels with the text under it."""
    current: list[tuple[Block, int]] = []
    key: object = None
    for block, start in zip(blocks, offsets):
        k = _section_key(block)
        if current and k != key:
            # a section of headings only (a title, or "2 Scope" straight before "2.1 Terms") is not
            # a passage of its own: it opens the next section instead
            only_headings = all(b.kind == "heading" for b, _ in current) and block.page is None \
                and block.place == current[-1][0].place  # a slide holding only its title stays its own
            if not only_headings:
                yield current
                current = []
        key = k
        current.append((block, start))
    if current:
        yield current

"""Synthetic material for the speed benchmarks: English-looking random text drawn from the SQuAD
articles' vocabulary, a long PDF (reportlab), a folder of small .txt/.md files, and a library
filled with synthetic passages and random vectors (fill_library)."""

from __future__ import annotations

import random
import re
import sys
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from tests.bench.common import SQUAD


@lru_cache(maxsize=1)
def vocabulary() -> tuple[str, ...]:
    """Words of the 48 SQuAD articles, with their frequencies (a word appears as often as in the
    text), so random text has a natural mix of common and rare words for BM25."""
    words: list[str] = []
    for path in sorted((SQUAD / "articles_txt").glob("*.txt")):
        words.extend(re.findall(r"[A-Za-z][A-Za-z'-]{1,}", path.read_text(encoding="utf-8")))
    return tuple(words)


def sentence(rng: random.Random, n: int) -> str:
    vocab = vocabulary()
    words = [vocab[rng.randrange(len(vocab))] for _ in range(n)]
    return " ".join(words).capitalize() + "."


def text(rng: random.Random, n_words: int) -> str:
    out, left = [], n_words
    while left > 0:
        k = min(left, rng.randint(8, 22))
        out.append(sentence(rng, k))
        left -= k
    return " ".join(out)


def make_pdf(path: Path, pages: int, words_per_page: int, seed: int = 7) -> Path:
    """A text PDF of `pages` pages, each one paragraph block of about `words_per_page` words."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    rng = random.Random(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    c = canvas.Canvas(str(path), pagesize=A4)
    width, height = A4
    for p in range(1, pages + 1):
        c.setFont("Helvetica-Bold", 13)
        c.drawString(56, height - 56, f"Section {p}")
        c.setFont("Helvetica", 9)
        y = height - 80
        line: list[str] = []
        for word in text(rng, words_per_page).split():
            if c.stringWidth(" ".join(line + [word]), "Helvetica", 9) > width - 112:
                c.drawString(56, y, " ".join(line))
                y -= 11.5
                line = []
                if y < 50:
                    break
            line.append(word)
        if line and y >= 50:
            c.drawString(56, y, " ".join(line))
        c.showPage()
    c.save()
    return path


def make_small_files(folder: Path, n: int = 500, words: int = 40, seed: int = 11) -> list[Path]:
    """n distinct small notes, half .txt and half .md (with a heading)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(n):
        sub = folder / f"group{i % 10:02d}"
        sub.mkdir(exist_ok=True)
        if i % 2:
            path = sub / f"note{i:04d}.md"
            path.write_text(f"# Note {i}\n\n{text(rng, words)}\n", encoding="utf-8")
        else:
            path = sub / f"note{i:04d}.txt"
            path.write_text(f"Note {i}. {text(rng, words)}\n", encoding="utf-8")
        out.append(path)
    return out


def fill_library(lib: Any, target: int, per_doc: int = 100, seed: int = 5) -> float:
    """Grow `lib` to `target` synthetic passages (documents of `per_doc`); → seconds taken."""
    import numpy as np

    from docent.core.types import Chunk

    lib.open_vectors()  # first: opening the store reconciles the catalog with it (a half-written document goes)
    have = lib.catalog.chunk_count()
    if have >= target:
        return 0.0
    vocab = np.array(vocabulary(), dtype=object)
    nprng = np.random.default_rng(seed + have)
    dim = lib.embedder.dim
    d = len(lib.documents())
    t0 = time.perf_counter()
    left = target - have
    last = time.perf_counter()
    while left > 0:
        k = min(per_doc, left)
        title = f"synthetic {d}"
        doc_id = lib.catalog.begin_document(f"/synthetic/folder{d // 100:04d}/filler{d:06d}.txt", 0, 0.0,
                                            f"synthetic-{d}")
        lengths = nprng.integers(110, 170, size=k)
        words = vocab[nprng.integers(0, len(vocab), size=int(lengths.sum()))]
        chunks, at = [], 0
        for i, n in enumerate(lengths):
            text = " ".join(words[at : at + n]).capitalize() + "."
            at += n
            chunks.append(Chunk(f"syn{d:07d}-{i:04d}", i, text, None, None, f"¶{i + 1}", "", 0, len(text), 200))
        vecs = nprng.standard_normal((k, dim)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        lib.catalog.add_chunks(doc_id, chunks, [title] * k)
        lib.store.add([c.id for c in chunks], vecs, doc_id)
        lib.catalog.finish_document(doc_id, pages=0, chunks=k, embedder_id=lib.embedder.id, chunker="synthetic",
                                    title=title)
        left -= k
        d += 1
        if time.perf_counter() - last > 60:
            last = time.perf_counter()
            print(f"[fill {time.strftime('%H:%M:%S')}] {target - left}/{target} passages, "
                  f"{(target - left - have) / (last - t0):.0f}/s", file=sys.stderr, flush=True)
    return time.perf_counter() - t0

"""The pipeline a user would assemble instead of Docent: LangChain's PyPDFLoader +
RecursiveCharacterTextSplitter (the tutorials' 1000/200 characters) + Chroma, with Docent's own
embedder wrapped as a LangChain `Embeddings`, so only the pipeline around the model differs.

Runs in the separate venv `.venv-bench` (LangChain is no dependency of Docent); run.py starts it:

    .venv-bench/bin/python tests/bench/baseline_langchain.py --persist DIR [--runs 2] FILE.pdf...

Prints one JSON object: per run (a full build from an empty folder; a LangChain script has no
incremental mode, so a rebuild is a second full build) the seconds for load, split, embed+store.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="+", type=Path)
    ap.add_argument("--persist", type=Path, required=True)
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--chunk-size", type=int, default=1000)
    ap.add_argument("--chunk-overlap", type=int, default=200)
    args = ap.parse_args()

    import logging

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    from langchain_chroma import Chroma
    from langchain_community.document_loaders import PyPDFLoader
    from langchain_core.embeddings import Embeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from docent.core.models.embedder import default_embedder

    embed_seconds = [0.0]

    class DocentEmbeddings(Embeddings):
        def __init__(self, embedder: Any) -> None:
            self.embedder = embedder

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            t = time.perf_counter()
            out = self.embedder.embed(texts).tolist()
            embed_seconds[0] += time.perf_counter() - t
            return out

        def embed_query(self, text: str) -> list[float]:
            return self.embedder.embed_query(text).tolist()

    t = time.perf_counter()
    embeddings = DocentEmbeddings(default_embedder())
    load_model_s = time.perf_counter() - t
    splitter = RecursiveCharacterTextSplitter(chunk_size=args.chunk_size, chunk_overlap=args.chunk_overlap)

    runs = []
    for _ in range(args.runs):
        shutil.rmtree(args.persist, ignore_errors=True)
        embed_seconds[0] = 0.0
        t0 = time.perf_counter()
        pages = []
        for f in args.files:
            pages.extend(PyPDFLoader(str(f)).load())
        t1 = time.perf_counter()
        chunks = splitter.split_documents(pages)
        t2 = time.perf_counter()
        store = Chroma.from_documents(chunks, embeddings, persist_directory=str(args.persist), collection_name="baseline")
        t3 = time.perf_counter()
        count = store._collection.count()
        runs.append({
            "seconds": round(t3 - t0, 3), "load_s": round(t1 - t0, 3), "split_s": round(t2 - t1, 3),
            "embed_store_s": round(t3 - t2, 3), "embed_s": round(embed_seconds[0], 3),
            "pages": len(pages), "chunks": len(chunks), "stored": count,
            "embedded_chars": sum(len(c.page_content) for c in chunks),
            "embedded_tokens": sum(len(e.ids) for e in embeddings.embedder._tok.encode_batch([c.page_content for c in chunks])),
        })
        del store
    import langchain_core

    print(json.dumps({"load_model_s": round(load_model_s, 3), "runs": runs,
                      "langchain_core": langchain_core.__version__}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

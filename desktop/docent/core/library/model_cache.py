"""What a library keeps of its chat model between questions: the loaded model, reloaded only when a
setting llama.cpp reads at load time changes, and the sha256 of model files, hashed once per file."""

from __future__ import annotations

import logging
from pathlib import Path

from docent.core.library.jsonfile import read_json, write_json
from docent.core.models.llm import ChatModel, LLMSettings
from docent.errors import DocentError
from docent.settings import Settings

log = logging.getLogger(__name__)

MODEL_HASHES_FILE = "model-hashes.json"


class ChatModelCache:
    """The chat model of the settings, loaded on first use and kept while its load-time settings
    (file, context size, GPU layers, threads, model server) stay the same."""

    def __init__(self) -> None:
        self._model: ChatModel | None = None
        self._key: tuple[object, ...] | None = None

    def get(self, s: Settings) -> ChatModel:
        from docent.core.models.packaged import chat_model_path

        path = chat_model_path(s.chat_model or None)
        llm_settings = LLMSettings(
            n_ctx=s.n_ctx, n_gpu_layers=s.n_gpu_layers, n_threads=s.n_threads or None,
            temperature=s.temperature, max_tokens=s.max_answer_tokens,
        )
        # Only what llama.cpp needs at load time forces a reload; sampling settings apply per answer.
        key = (str(path), s.n_ctx, s.n_gpu_layers, s.n_threads, s.llm_server)
        if self._model is None or self._key != key:
            self.close()
            if s.llm_server:  # a shared OpenAI-compatible server generates; the local file tokenizes
                from docent.core.models.remote_llm import RemoteChatModel

                self._model = RemoteChatModel(s.llm_server, path, llm_settings)
            else:
                self._model = ChatModel(path, llm_settings)
            self._key = key
        else:
            self._model.settings = llm_settings
        return self._model

    def close(self) -> None:
        if self._model is not None:
            self._model.close()
            self._model = None


def configured_model(s: Settings) -> tuple[str | None, str | None]:
    """(path, quantization) of the chat model the settings name; (None, None) when it is unusable."""
    from docent.core.models.gguf import read_gguf
    from docent.core.models.packaged import chat_model_path

    try:
        path = chat_model_path(s.chat_model or None)
        return str(path), read_gguf(path).quantization
    except DocentError:
        return None, None


class ModelHashes:
    """The sha256 of model files, remembered per (path, size, mtime) in `folder`/MODEL_HASHES_FILE
    so that a large file is hashed once; a packaged model already verified
    (docent.core.models.packaged) is not hashed again."""

    def __init__(self, folder: Path) -> None:
        self.file = folder / MODEL_HASHES_FILE
        self._hashes: dict[str, str] = {}

    def sha256(self, path: Path) -> str:
        from docent.core.models import packaged as models

        st = path.stat()
        key = f"{path}|{st.st_size}|{st.st_mtime_ns}"
        if key in self._hashes:
            return self._hashes[key]
        cache = read_json(self.file)
        sha = cache.get(key) or read_json(models._verified_cache()).get(key) or models.sha256_file(path)
        self._hashes[key] = sha
        if cache.get(key) != sha:
            cache[key] = sha
            try:
                write_json(self.file, cache, indent=1)
            except OSError as exc:
                log.warning("cannot save the model hash cache %s: %s", self.file, exc)
        return sha

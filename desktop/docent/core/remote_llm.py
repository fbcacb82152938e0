"""A chat model on a shared server (office scale-out): an OpenAI-compatible llama.cpp server
(`llama-server` or `python -m llama_cpp.server`) generates; this machine only tokenizes.

Tokens are counted, truncated and rendered through the chat template with the local copy of the
configured chat model, loaded vocabulary-only (no weights, milliseconds), because qa.build_prompt
budgets the prompt token by token and servers differ in how (and whether) they expose a tokenizer
(llama-server: /tokenize; llama_cpp.server: /extras/tokenize). The configured model must therefore
be the file the server serves, and the context size setting must not exceed the server's.

Generation streams from POST /v1/completions with stream=true (server-sent events) over urllib:
no new dependency, and only the configured host is ever contacted. Cancel is checked between
chunks; a server that cannot be reached or stops answering raises a ModelError naming its URL.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator

from docent.core.cancel import NEVER, CancelToken
from docent.core.llm import ChatModel, LLMSettings
from docent.errors import ModelError

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0  # seconds to reach the server and get its model list
READ_TIMEOUT = 120.0  # seconds without a single byte of the answer before giving up

_NETWORK_ERRORS = (urllib.error.URLError, http.client.HTTPException, ConnectionError, socket.timeout, TimeoutError, OSError)


class RemoteChatModel(ChatModel):
    """Same interface as ChatModel (tokenize/count/truncate/render_chat/is_chat/n_ctx/info/stream/close);
    only `stream` goes over the network."""

    def __init__(self, url: str, path: Path, settings: LLMSettings = LLMSettings()) -> None:
        super().__init__(path, settings, vocab_only=True)
        self.url = url.rstrip("/")
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
        try:
            with self._opener.open(self.url + "/v1/models", timeout=CONNECT_TIMEOUT) as resp:
                models = json.loads(resp.read().decode("utf-8") or "{}").get("data") or []
        except _NETWORK_ERRORS as exc:
            raise ModelError(self._unreachable(exc)) from exc
        except ValueError as exc:
            raise ModelError(f"the shared model server at {self.url} did not answer like an OpenAI-compatible "
                             f"server ({exc})") from exc
        self.server_model = str(models[0].get("id", "")) if models and isinstance(models[0], dict) else ""

    @property
    def name(self) -> str:
        return f"{self.path.name} @ {self.url}"

    def _unreachable(self, exc: BaseException) -> str:
        return (f"cannot reach the shared model server at {self.url}: {exc}. Check that it is running, or "
                "clear the model server setting to answer with the local model.")

    def _stopped(self, exc: BaseException | str) -> str:
        return (f"the shared model server at {self.url} stopped answering: {exc}. Ask again when it is back, "
                "or clear the model server setting to answer with the local model.")

    def _prompt_text(self, prompt_tokens: list[int]) -> str:
        tokens = list(prompt_tokens)
        bos = self._llm.token_bos()
        if tokens and tokens[0] == bos:
            tokens = tokens[1:]  # the server adds its own
        return self._llm.detokenize(tokens, special=True).decode("utf-8", errors="replace")

    def stream(
        self,
        prompt_tokens: list[int],
        max_tokens: int,
        stop: list[str] | None = None,
        cancel: CancelToken = NEVER,
    ) -> Iterator[str]:
        self._check_fits(prompt_tokens, max_tokens)
        if cancel.cancelled:
            return
        s = self.settings
        body = {
            "prompt": self._prompt_text(prompt_tokens), "max_tokens": max_tokens, "temperature": s.temperature,
            "top_p": s.top_p, "repeat_penalty": s.repeat_penalty, "stop": stop or [], "stream": True,
            "seed": s.seed,
        }
        if self.server_model:
            body["model"] = self.server_model
        request = urllib.request.Request(
            self.url + "/v1/completions", data=json.dumps(body).encode("utf-8"),
            headers={"Content-Type": "application/json", "Accept": "text/event-stream"}, method="POST",
        )
        try:
            resp = self._opener.open(request, timeout=CONNECT_TIMEOUT)
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", errors="replace")[:300]
            raise ModelError(f"the shared model server at {self.url} refused the question "
                             f"(HTTP {exc.code}): {detail}") from exc
        except _NETWORK_ERRORS as exc:
            raise ModelError(self._unreachable(exc)) from exc
        try:
            if resp.fp is not None and getattr(resp.fp, "raw", None) is not None:
                resp.fp.raw._sock.settimeout(READ_TIMEOUT)
        except Exception:  # pragma: no cover - the connect timeout then applies to reads too
            pass
        finished = False
        try:
            while not cancel.cancelled:
                try:
                    line = resp.readline()
                except _NETWORK_ERRORS as exc:
                    raise ModelError(self._stopped(exc)) from exc
                if not line:
                    break
                text = line.decode("utf-8", errors="replace").strip()
                if not text.startswith("data:"):
                    continue
                data = text[5:].strip()
                if data == "[DONE]":
                    finished = True
                    break
                try:
                    choice = json.loads(data)["choices"][0]
                except (ValueError, KeyError, IndexError, TypeError) as exc:
                    raise ModelError(self._stopped(f"an unreadable event ({data[:120]!r})")) from exc
                piece = choice.get("text") or ""
                if piece:
                    yield piece
                if choice.get("finish_reason"):
                    finished = True  # some servers end without [DONE]
            if not finished and not cancel.cancelled:
                raise ModelError(self._stopped("the connection closed before the answer was complete"))
        finally:
            resp.close()

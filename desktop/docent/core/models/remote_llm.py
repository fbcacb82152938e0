"""A chat model on a shared server (office scale-out): an OpenAI-compatible llama.cpp server
(`llama-server` or `python -m llama_cpp.server`) generates; this machine only tokenizes.

Tokens are counted, truncated and rendered through the chat template with the local copy of the
configured chat model, loaded vocabulary-only (no weights, milliseconds), because qa.build_prompt
budgets the prompt token by token and servers differ in how (and whether) they expose a tokenizer
(llama-server: /tokenize; llama_cpp.server: /extras/tokenize). When the configured model is the
file the server serves, this is exact. When the server serves another model (a 7B on the office's
GPU; the laptop keeps only the small default), the server applies its own chat template through
/v1/chat/completions, and the local tokenizer only estimates the prompt's size, with a margin
(FOREIGN_BUDGET of the context size setting). llama-server reports its context size in its model
list, and prompts are kept within it; with a server that does not, the setting must not exceed it.

Generation streams from POST /v1/completions (or /v1/chat/completions) with stream=true (server-sent events) over urllib:
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
from docent.core.models.llm import ChatModel, LLMSettings
from docent.errors import ModelError

log = logging.getLogger(__name__)

# Tokenizers of different model families count the same text differently, by up to ~15-20%
# (measured counts differ less for English prose); prompts for another model are budgeted to this
# share of the context so that the server's own count still fits.
FOREIGN_BUDGET = 0.8
CONNECT_TIMEOUT = 10.0  # seconds to reach the server and get its model list
READ_TIMEOUT = 120.0  # seconds without a single byte of the answer before giving up

_NETWORK_ERRORS = (urllib.error.URLError, http.client.HTTPException, ConnectionError, socket.timeout, TimeoutError, OSError)


class RemoteChatModel(ChatModel):
    """Same interface as ChatModel (tokenize/count/truncate/render_chat/is_chat/n_ctx/info/stream/close);
    only `stream` goes over the network."""

    def __init__(self, url: str, path: Path, settings: LLMSettings = LLMSettings()) -> None:
        super().__init__(path, settings, vocab_only=True)
        self.url = url.rstrip("/").removesuffix("/v1")  # "http://host:8080/v1", as OpenAI clients write it
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
        self.same_model = serves_file(self.server_model, self.path)
        # prompts rendered for the server's template: their tokens -> the chat messages they stand for
        self._messages: dict[str, list[dict[str, str]]] = {}
        self._by_tokens: dict[tuple[int, ...], list[dict[str, str]]] = {}
        # llama-server says its context size (data[0].meta.n_ctx); a prompt budgeted beyond it would be refused
        meta = models[0].get("meta") if models and isinstance(models[0], dict) else None
        server_ctx = meta.get("n_ctx") if isinstance(meta, dict) else None
        self.server_ctx = server_ctx if isinstance(server_ctx, int) and server_ctx > 0 else None
        if self.server_ctx:
            self.n_ctx = min(self.n_ctx, self.server_ctx)
        if not self.same_model:
            self.n_ctx = max(512, int(min(settings.n_ctx, self.server_ctx or settings.n_ctx) * FOREIGN_BUDGET))
            log.info("the model server at %s serves %s, not %s: it applies its own chat template",
                     self.url, self.server_model, self.path.name)

    @property
    def name(self) -> str:
        return f"{self.path.name if self.same_model else model_file_name(self.server_model)} @ {self.url}"

    @property
    def served_as(self) -> str | None:
        """What answers, for the provenance of an answer: None when it is the local file."""
        return None if self.same_model else f"{self.url} ({self.server_model})"

    @property
    def is_chat(self) -> bool:
        return True if not self.same_model else super().is_chat

    def render_chat(self, system: str, user: str) -> tuple[str, list[str]]:
        if self.same_model:
            return super().render_chat(system, user)
        # A stand-in text for the budget; the server renders the messages with its own template and
        # knows its own end-of-turn tokens (so no stop strings are needed for them).
        text = f"{system}\n\n{user}"
        if len(self._messages) > 64:
            self._messages.clear()
        self._messages[text] = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        return text, []

    def tokenize(self, text: str, add_bos: bool = True) -> list[int]:
        tokens = super().tokenize(text, add_bos)
        messages = self._messages.get(text)
        if messages is not None:
            if len(self._by_tokens) > 64:
                self._by_tokens.clear()
            self._by_tokens[tuple(tokens)] = messages
        return tokens

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
        messages = self._by_tokens.get(tuple(prompt_tokens))
        body: dict[str, object] = {
            "max_tokens": max_tokens, "temperature": s.temperature, "top_p": s.top_p,
            "repeat_penalty": s.repeat_penalty, "stop": stop or [], "stream": True, "seed": s.seed,
        }
        if messages is not None:
            body["messages"] = messages
        else:
            body["prompt"] = self._prompt_text(prompt_tokens)
        if self.server_model:
            body["model"] = self.server_model
        endpoint = "/v1/chat/completions" if messages is not None else "/v1/completions"
        request = urllib.request.Request(
            self.url + endpoint, data=json.dumps(body).encode("utf-8"),
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
        received = False
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
                delta = choice.get("delta")  # chat completions stream deltas; completions stream text
                piece = (delta.get("content") if isinstance(delta, dict) else choice.get("text")) or ""
                if piece:
                    received = True
                    yield piece
                if choice.get("finish_reason"):
                    finished = True  # some servers end without [DONE]
            if not finished and not cancel.cancelled:
                if not received:  # a server that is up but drops a prompt it cannot take
                    raise ModelError(
                        f"the shared model server at {self.url} closed the connection without answering. If it is "
                        f"running, the prompt may not fit its context: Docent's context size is {self.n_ctx} tokens "
                        "(Settings › Context size); set it no larger than the server's (its -c / --n_ctx)."
                    )
                raise ModelError(self._stopped("the connection closed before the answer was complete"))
        finally:
            resp.close()


def model_file_name(model_id: str) -> str:
    """The file name in a model id a server reports (a path, on any system, or an alias)."""
    return Path(model_id.replace("\\", "/")).name or model_id


def split_served(served: str) -> tuple[str, str]:
    """(server URL, model file name) from a provenance's "http://host:port (model id)"."""
    url, _, model_id = served.partition(" (")
    return url, model_file_name(model_id.removesuffix(")"))


def serves_file(server_model: str, path: Path) -> bool:
    """Whether the model id a server reports names the local file: llama_cpp.server reports the
    --model path unless given an alias, llama-server the file name or its --alias. An unknown id
    (no model list) is taken to be the local file, as before servers said what they serve."""
    if not server_model:
        return True
    name = model_file_name(server_model)
    return name == path.name or name == path.stem

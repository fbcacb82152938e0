"""Generation speed: Docent's answer path versus raw llama-cpp-python on the same model file, the
same prompt tokens (built once per question as ask() builds them: search → focus → build_prompt)
and the same sampling settings (temperature, top_p, repeat_penalty, seed, max_tokens, stop strings).
`Library.ask` may end sooner: for a base model it keeps only the first line of the answer.

- time to first token, cold (KV cache cleared before each run): raw `Llama.create_completion`,
  `ChatModel.stream`, `Library.ask` (the last includes retrieval, sentence focus and prompt
  building). Its overhead "beyond prompt evaluation" is (TTFT − llama.cpp's own prompt-eval time) /
  prompt-eval time, read from llama.cpp's perf counters, so it holds on a busy machine too.
- tokens/s, warm (the prompt already cached, so runs are cheap and only decoding is timed):
  generated tokens (llama.cpp's n_eval) / time from first to last token; Docent / raw as the
  median of ratios of runs done back to back.
- prefix cache: a follow-up question asked right after another must evaluate only the prompt
  tokens after the shared system-prompt prefix (llama-cpp-python's prefix matching).
"""

from __future__ import annotations

import time
from typing import Any, Sequence

from tests.bench.common import median, r


class _Perf:
    """llama.cpp's counters for one context: prompt tokens evaluated in batches (n_p_eval) and
    single-token decodes (n_eval), with their times."""

    def __init__(self, llm: Any) -> None:
        import llama_cpp

        self._lc = llama_cpp
        self.llm = llm

    def reset(self) -> None:
        self._lc.llama_perf_context_reset(self.llm.ctx)

    def read(self) -> dict[str, float]:
        p = self._lc.llama_perf_context(self.llm.ctx)
        return {"p_eval_s": p.t_p_eval_ms / 1000, "eval_s": p.t_eval_ms / 1000, "n_p_eval": p.n_p_eval, "n_eval": p.n_eval}


def ask_params(lib: Any, max_tokens: int) -> Any:
    """The AskParams Library.ask would use, with the answer length set."""
    from docent.core.models.packaged import EMBEDDER_ID
    from docent.core.answer.qa import AskParams

    params = AskParams(sources=lib.settings.sources, max_answer_tokens=max_tokens)
    return params.lenient() if lib.embedder.id != EMBEDDER_ID else params


def build_ask_prompt(lib: Any, question: str, params: Any) -> tuple[list[int], list[str]]:
    from docent.core.answer.focus import focus
    from docent.core.answer.prompt import build_prompt

    model = lib.chat_model()
    hits = lib.searcher().search(question, params.sources, None, params.search)
    given = focus(question, hits, lib.embedder, params.focus_sentences) if params.context == "sentences" else hits
    tokens, stop, _ = build_prompt(model, question, given, params.max_answer_tokens)
    return tokens, stop


def answerable(lib: Any, candidates: Sequence[str], params: Any, n: int) -> list[str]:
    """The first n candidates that pass ask()'s relevance gate (a declined question never reaches
    the model)."""
    from docent.core.answer.gate import is_relevant

    searcher = lib.searcher()
    out = [q for q in candidates if is_relevant(q, searcher.search(q, params.sources, None, params.search), params)]
    return out[:n] or list(candidates[:n])


class _Runner:
    def __init__(self, lib: Any, max_tokens: int) -> None:
        self.lib = lib
        self.model = lib.chat_model()
        self.llm = self.model._llm
        self.perf = _Perf(self.llm)
        self.params = ask_params(lib, max_tokens)
        self.n = max_tokens

    def _timed(self, pieces: Any, t0: float) -> dict[str, float]:
        """TTFT (call → first piece) and the decode window (first piece → generator exhausted:
        llama-cpp-python holds back text that may start a stop string, so the last piece is not
        the last token evaluated)."""
        first = None
        for _ in pieces:
            if first is None:
                first = time.perf_counter()
        end = time.perf_counter()
        return {"ttft_s": (first or end) - t0, "decode_s": end - (first or end), "total_s": end - t0}

    def raw(self, tokens: list[int], stop: list[str], cold: bool) -> dict[str, float]:
        s = self.model.settings
        if cold:
            self.llm.reset()
        self.perf.reset()
        t0 = time.perf_counter()
        gen = self.llm.create_completion(tokens, stream=True, temperature=s.temperature, top_p=s.top_p,
                                         repeat_penalty=s.repeat_penalty, seed=s.seed, max_tokens=self.n,
                                         stop=stop)
        return {**self._timed(gen, t0), **self.perf.read()}

    def stream(self, tokens: list[int], stop: list[str], cold: bool) -> dict[str, float]:
        if cold:
            self.llm.reset()
        self.perf.reset()
        t0 = time.perf_counter()
        return {**self._timed(self.model.stream(tokens, self.n, stop), t0), **self.perf.read()}

    def ask(self, question: str, cold: bool) -> dict[str, float]:
        from docent.core.types import AnswerDone, Token

        if cold:
            self.llm.reset()
            from tests.bench.speed import forget_queries

            forget_queries(self.lib)  # a cold ask embeds its question afresh
        self.perf.reset()
        done: list[AnswerDone] = []

        def tokens() -> Any:
            for ev in self.lib.ask(question, params=self.params):
                if isinstance(ev, Token):
                    yield ev
                elif isinstance(ev, AnswerDone):
                    done.append(ev)

        t0 = time.perf_counter()
        out = {**self._timed(tokens(), t0), **self.perf.read()}
        timings = done[0].timings if done else {}
        for key in ("retrieval_s", "focus_s", "prompt_tokens"):
            out[key] = float(timings.get(key, 0.0))
        if "generation_s" in timings:  # ask's own stream loop (after it, answers are checked and cited)
            out["decode_s"] = timings["generation_s"] - timings.get("first_token_s", 0.0)
        return out


def _rate(x: dict[str, float]) -> float | None:
    """Tokens decoded per second inside the decode window of a warm run. Its n_eval counts one
    replayed prompt token (evaluated before the first token) and the G-1 decodes after the first
    of G sampled tokens."""
    n = x["n_eval"] - 1
    return n / x["decode_s"] if x["decode_s"] > 0 and n > 0 else None


def _outside(x: dict[str, float]) -> float | None:
    """Share of a warm run's decode window spent outside llama.cpp's decode calls."""
    n = x["n_eval"]
    if x["decode_s"] <= 0 or n < 2:
        return None
    return 1 - x["eval_s"] * (n - 1) / n / x["decode_s"]


def _beyond_eval(x: dict[str, float]) -> float | None:
    return (x["ttft_s"] - x["p_eval_s"]) / x["p_eval_s"] if x["p_eval_s"] > 0 else None


def _med(values: Sequence[float | None], nd: int = 3) -> float | None:
    vals = [v for v in values if v is not None]
    return r(median(vals), nd) if vals else None


def generation(lib: Any, candidates: Sequence[str], max_tokens: int, cold_reps: int, warm_reps: int,
               n_questions: int = 2) -> dict[str, Any]:
    run = _Runner(lib, max_tokens)
    questions = answerable(lib, candidates, run.params, n_questions)
    prompts = {q: build_ask_prompt(lib, q, run.params) for q in questions}
    kinds = ["raw", "stream", "ask"]
    cold: dict[str, list[dict[str, float]]] = {k: [] for k in kinds}
    warm: dict[str, list[dict[str, float]]] = {k: [] for k in kinds}
    pairs_ttft: dict[str, list[float]] = {"stream": [], "ask": []}
    pairs_rate: dict[str, list[float | None]] = {"stream": [], "ask": []}
    same_prompt = True

    def one(kind: str, q: str, is_cold: bool) -> dict[str, float]:
        tokens, stop = prompts[q]
        if kind == "raw":
            return run.raw(tokens, stop, is_cold)
        if kind == "stream":
            return run.stream(tokens, stop, is_cold)
        x = run.ask(q, is_cold)
        nonlocal same_prompt
        same_prompt &= int(x["prompt_tokens"]) == len(tokens)
        return x

    step = 0
    for qi, q in enumerate(questions):
        for is_cold, reps, bucket in ((True, cold_reps, cold), (False, warm_reps, warm)):
            # warm runs follow this question's cold runs, so its prompt is the cached one
            for _ in range(reps):
                order = kinds[step % 3:] + kinds[: step % 3]  # rotate: drift hits all three alike
                step += 1
                got = {k: one(k, q, is_cold) for k in order}
                for k in kinds:
                    bucket[k].append(got[k])
                for k in ("stream", "ask"):
                    if is_cold and got["raw"]["ttft_s"] > 0:
                        pairs_ttft[k].append(got[k]["ttft_s"] / got["raw"]["ttft_s"] - 1)
                    if not is_cold:
                        a, b = _rate(got[k]), _rate(got["raw"])
                        pairs_rate[k].append(a / b if a and b else None)

    out: dict[str, Any] = {"model": run.model.name, "n_threads": run.llm.n_threads, "n_ctx": run.model.n_ctx,
                           "max_tokens": max_tokens, "questions": len(questions), "cold_runs": cold_reps,
                           "warm_runs": warm_reps, "same_prompt_as_ask": same_prompt}
    for k in kinds:
        c, w = cold[k], warm[k]
        row = {
            "ttft_s": _med([x["ttft_s"] for x in c]), "prompt_eval_s": _med([x["p_eval_s"] for x in c]),
            "prompt_tokens": _med([x["n_p_eval"] for x in c], 0),
            "ttft_beyond_prompt_eval": _med([_beyond_eval(x) for x in c]),
            "tokens_per_s": _med([_rate(x) for x in w], 2), "generated_tokens": _med([x["n_eval"] for x in w], 0),
            # share of decoding wall time spent outside llama.cpp's own decode calls
            "decode_outside_llama": _med([_outside(x) for x in w]),
        }
        if k == "ask":
            row["retrieval_s"] = _med([x["retrieval_s"] for x in c])
            row["focus_s"] = _med([x["focus_s"] for x in c])
        out[k] = row
    for k in ("stream", "ask"):
        out[f"{k}_over_raw_tokens_per_s"] = _med(pairs_rate[k])
        out[f"{k}_ttft_over_raw"] = _med(pairs_ttft[k])
    out["prefix_cache"] = prefix_cache(run, questions, prompts, cold["ask"])
    return out


def prefix_cache(run: _Runner, questions: list[str], prompts: dict[str, Any], cold_asks: list[dict[str, float]]) -> dict[str, Any]:
    """Ask q1 after q2 (cache holding q2's prompt): only the tokens after the shared prefix should be
    evaluated. Compared with q1 asked cold."""
    q1 = questions[0]
    q2 = questions[1] if len(questions) > 1 else questions[0]
    t1, t2 = prompts[q1][0], prompts[q2][0]
    shared = 0
    for a, b in zip(t1, t2):
        if a != b:
            break
        shared += 1
    run.raw(t2, prompts[q2][1], cold=True)  # the cache now holds q2's prompt
    follow = run.ask(q1, cold=False)
    cold = [x for x in cold_asks if int(x["prompt_tokens"]) == len(t1)] or [run.ask(q1, cold=True)]
    cold_eval = int(median([x["n_p_eval"] for x in cold]))
    reused = cold_eval - int(follow["n_p_eval"])
    return {
        "prompt_tokens": len(t1), "shared_prefix_tokens": shared,
        "cold_prompt_tokens_evaluated": cold_eval, "followup_prompt_tokens_evaluated": int(follow["n_p_eval"]),
        "reused_tokens": reused, "reuses_prefix": shared > 1 and reused >= shared - 1,
        "cold_ttft_s": r(median([x["ttft_s"] for x in cold])), "followup_ttft_s": r(follow["ttft_s"]),
    }

"""ask(question) → a stream of events: the sources used, answer tokens, then the final answer with
its citations. Grounding rules:
- retrieval that finds nothing relevant ends in a plain "not in your documents", without the model;
- sources are numbered and fenced in the prompt; the model is told to cite them as [n];
- every citation maps to a file, a page or heading path, and the chunk text; an answer that cites
  nothing is attributed to the source it overlaps most.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Sequence

from docent.core.cancel import NEVER, CancelToken
from docent.core.answer.claims import check_claims
from docent.core.storage.catalog import STOPWORDS
from docent.core.models.llm import ChatModel
from docent.core.answer.provenance import Trail
from docent.core.retrieval.search import Searcher, SearchParams
from docent.core.types import AnswerDone, AskEvent, Citation, Hit, Sources, Token

NOT_FOUND = "The documents do not contain the answer."
_CITE = re.compile(r"\[(\d{1,2}(?:\s*[,;]\s*\d{1,2})*)\]")
_WORD = re.compile(r"\w+", re.UNICODE)
_REFUSALS = (
    "do not contain the answer", "don't contain the answer", "does not contain the answer",
    "not contain the answer", "no information about", "cannot answer", "can't answer",
    "not mentioned in the sources", "sources do not", "documents do not",
)


@dataclass(frozen=True)
class AskParams:
    """The answerability gate: retrieval counts as relevant when the best passage's cosine
    similarity reaches `min_similarity`, or when every content word of the question is found in
    the top passages (`min_coverage`) and the similarity reaches `coverage_similarity`.
    Calibrated for the default MiniLM embedder on SQuAD (half the articles indexed, questions
    about the other half as unanswerable): 86% of unanswerable questions declined, 4.5% of
    answerable ones wrongly declined. Other embedders get `lenient()`."""

    sources: int = 5
    max_answer_tokens: int = 256
    # "sentences": give the model only the sentences of the retrieved passages that bear on the
    # question (with their neighbours); "chunks": whole passages.
    context: str = "sentences"
    focus_sentences: int = 6
    min_similarity: float = 0.425
    coverage_similarity: float = 0.30
    min_coverage: float = 1.0
    search: SearchParams = SearchParams()

    def lenient(self) -> "AskParams":
        from dataclasses import replace

        return replace(self, min_similarity=0.0, coverage_similarity=0.0, min_coverage=0.34)


def _load_prompt(name: str, fallback: str) -> str:
    from docent import paths

    try:
        return (paths.resources_dir() / "prompts" / name).read_text(encoding="utf-8")
    except OSError:
        return fallback


_SUFFIXES = ("ations", "ation", "ingly", "ings", "ing", "edly", "ies", "ied", "es", "ed", "ly", "s")


def stem(word: str) -> str:
    """A light English stemmer, enough to match "signs"/"sign" or "terminated"/"termination"."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:6]


def _stems(text: str) -> set[str]:
    return {stem(w) for w in _WORD.findall(text.lower()) if w not in STOPWORDS and len(w) > 1}


_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?")


def numbers(text: str) -> set[str]:
    """The numbers a text states, normalised ("1,200" -> "1200", "91%" -> "91", "3.50" -> "3.50"),
    citation markers left out. Numbers are what small models get wrong most often, and they
    cannot be paraphrased: a number that is not in a source did not come from it."""
    out = set()
    for m in _NUMBER.finditer(_CITE.sub(" ", text)):
        value = m.group().rstrip(",").replace(",", "")
        if value:
            out.add(value)
    return out


def relevance(question: str, hits: Sequence[Hit]) -> tuple[float, float]:
    """(best cosine similarity, share of the question's content words found in the top passages)."""
    if not hits:
        return 0.0, 0.0
    best = max((h.similarity or 0.0) for h in hits)
    q = _stems(question)
    if not q:
        return best, 0.0
    found = set().union(*(_stems(h.text) for h in hits[:3]))
    return best, len(q & found) / len(q)


def is_relevant(question: str, hits: Sequence[Hit], params: AskParams) -> bool:
    best, coverage = relevance(question, hits)
    if not hits:
        return False
    if params.min_similarity <= 0.0:
        return coverage >= params.min_coverage
    return best >= params.min_similarity or (coverage >= params.min_coverage and best >= params.coverage_similarity)


def source_block(n: int, hit: Hit, text: str, fenced: bool = True) -> str:
    """A numbered source for the prompt. Chat models get it fenced in tags (anything inside is
    data, not instructions); base models do better with plain "[n] (file, location) text"."""
    if not fenced:
        name, where = _INJECTED.sub("&lt;", Path(hit.path).name), _INJECTED.sub("&lt;", hit.location)
        return f"[{n}] ({name}, {where}) {' '.join(_INJECTED.sub('&lt;', text).split())}"
    # a document, file name or heading that writes the fence's tags or quotes must not end it early
    name, where = _attr(Path(hit.path).name), _attr(hit.location)
    return f'<source id="{n}" file="{name}" location="{where}">\n{_INJECTED.sub("&lt;", text)}\n</source>'


# The "<" of what would close the source fence, or of a common chat-template control token (the
# prompt is tokenized with special tokens on, so "<|im_end|>" in a document would end the turn).
_INJECTED = re.compile(
    r"<(?=\s*/?\s*source\b|\|[^<>|\s]{1,40}\|>|/?s>|(?:bos|eos|pad|unk|mask|start_of_turn|end_of_turn)>)",
    re.IGNORECASE,
)


def _attr(value: str) -> str:
    return " ".join(value.split()).replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


def as_data(model: ChatModel, text: str) -> str:
    """Document text the model's tokenizer reads as plain text only: the patterns above are
    neutralised, and where this model still finds a control token in it, every bracket is."""
    text = _INJECTED.sub("&lt;", text)
    if len(model.tokenize(text, add_bos=False)) != model.count(text):
        for char, entity in (("<", "&lt;"), (">", "&gt;"), ("[", "&#91;"), ("]", "&#93;"), ("|", "&#124;")):
            text = text.replace(char, entity)
    return text


def build_prompt(model: ChatModel, question: str, hits: Sequence[Hit], max_answer_tokens: int) -> tuple[list[int], list[str], list[Hit]]:
    """Fit as many sources as the context allows, best first, counting with the model's tokenizer.
    → (prompt tokens, stop strings, the hits actually included, numbered from 1)."""
    question = question.strip()
    chat = model.is_chat
    system = _load_prompt("answer_system.txt", "Answer only from the numbered sources and cite them like [1].")
    user_tpl = _load_prompt("answer_user.txt", "Sources:\n{sources}\n\nQuestion: {question}\n")
    base_tpl = _load_prompt("answer_base.txt", "{sources}\n\nQuestion: {question}\nAnswer:")

    def render(blocks: list[str]) -> tuple[str, list[str]]:
        joined = "\n\n".join(blocks)
        if chat:
            text, stops = model.render_chat(system, user_tpl.format(sources=joined, question=question).strip())
            return text, stops + ["</source>", "<source"]
        # measured on Gemma 3 270M: plain passages and a bare "Answer:" gave 5 of 7 right answers on
        # the sample questions, XML-fenced passages 4 of 7 with empty answers when one source is given
        return base_tpl.format(sources=joined, question=question).rstrip(), ["\nQuestion", "\n["]

    margin = 8
    budget = model.n_ctx - max_answer_tokens - margin
    prompt, stop = render([])
    used = len(model.tokenize(prompt))
    if used > budget:  # an absurdly long question: keep its start
        question = model.truncate(question, max(16, budget // 2))
        prompt, stop = render([])
        used = len(model.tokenize(prompt))
    blocks: list[str] = []
    included: list[Hit] = []
    for hit in hits:
        n = len(included) + 1
        text = as_data(model, hit.text)
        block = source_block(n, hit, text, chat)
        cost = model.count(block) + 4
        if used + cost > budget:
            room = budget - used - model.count(source_block(n, hit, "", chat)) - 8
            if room < 48:
                break
            block = source_block(n, hit, model.truncate(text, room), chat)
            cost = model.count(block) + 4
        blocks.append(block)
        included.append(hit)
        used += cost
    prompt, stop = render(blocks)
    tokens = model.tokenize(prompt)
    while len(tokens) > budget and blocks:  # token counts of parts can differ slightly from the whole
        blocks.pop()
        included.pop()
        prompt, stop = render(blocks)
        tokens = model.tokenize(prompt)
    return tokens, stop, included


_SENT = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9À-Ý])|\n+")


def sentences(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for m in _SENT.finditer(text):
        if text[start : m.start()].strip():
            spans.append((start, m.start()))
        start = m.end()
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans


def focus(question: str, hits: Sequence[Hit], embedder: object, keep: int) -> list[Hit]:
    """Keep, in each passage, only the sentences most related to the question (by embedding
    similarity plus shared content words) and their immediate neighbours; passages left with
    nothing are dropped. Small models answer far better from a few precise sentences."""
    from dataclasses import replace

    import numpy as np

    items: list[tuple[int, int, int, int]] = []  # (hit index, sentence index, start, end)
    per_hit: list[list[tuple[int, int]]] = []
    for h_i, hit in enumerate(hits):
        spans = sentences(hit.text)
        per_hit.append(spans)
        items.extend((h_i, s_i, a, b) for s_i, (a, b) in enumerate(spans))
    if len(items) <= keep:
        return list(hits)
    texts = [hits[h].text[a:b] for h, _, a, b in items]
    q = _stems(question)
    lex = np.array([len(q & _stems(t)) / max(1, len(q)) for t in texts])
    rank_bonus = np.array([0.05 * (len(hits) - h) / len(hits) for h, _, _, _ in items])
    # Embedding every sentence of every passage cost ~0.25 s before the first token on 2 cores.
    # Only the sentences that can still make the cut are embedded: the best by shared words and
    # passage rank (cosine similarity moves a score by at most ~0.6, so a sentence far behind on
    # words and rank rarely wins); the rest keep their lexical score.
    prior = 0.5 * lex + rank_bonus
    cap = max(keep * 2, 8)
    shortlist = np.argsort(-prior, kind="stable")[:cap]
    sims = np.full(len(items), -1.0)
    vecs = embedder.embed([texts[i] for i in shortlist])  # type: ignore[attr-defined]
    qv = embedder.embed_query(question)  # type: ignore[attr-defined]
    sims[shortlist] = np.asarray(vecs) @ np.asarray(qv)
    score = sims + prior
    chosen: dict[int, set[int]] = {}
    for i in np.argsort(-score)[:keep]:
        h, s_i = items[i][0], items[i][1]
        chosen.setdefault(h, set()).update({s_i - 1, s_i, s_i + 1})
    out: list[Hit] = []
    for h_i, hit in enumerate(hits):
        if h_i not in chosen:
            continue
        spans = per_hit[h_i]
        picked = sorted(i for i in chosen[h_i] if 0 <= i < len(spans))
        parts, prev = [], None
        for i in picked:
            a, b = spans[i]
            parts.append(("" if prev is None or prev == i - 1 else "… ") + hit.text[a:b].strip())
            prev = i
        out.append(replace(hit, text=" ".join(parts)))
    return out


def parse_citations(answer: str, count: int) -> list[int]:
    order: list[int] = []
    for m in _CITE.finditer(answer):
        for part in re.split(r"[,;]", m.group(1)):
            n = int(part.strip())
            if 1 <= n <= count and n not in order:
                order.append(n)
    return order


def attribute(answer: str, hits: Sequence[Hit]) -> str:
    """Check each sentence's [n] against the sources: a citation whose source shares much less of the
    sentence's content words than another source is moved to that source; a sentence that cites
    nothing but is clearly supported gets the supporting source. Small models often cite [1] by habit.
    """
    if not hits:
        return answer
    source_stems = [_stems(h.text) for h in hits]
    source_numbers = [numbers(h.text) for h in hits]
    spans = sentences(answer) or [(0, len(answer))]
    out, pos = [], 0
    for a, b in spans:
        sentence = answer[a:b]
        words = _stems(_CITE.sub(" ", sentence))
        support = [len(words & st) / len(words) if words else 0.0 for st in source_stems]
        best = max(range(len(hits)), key=lambda i: support[i])
        cited = parse_citations(sentence, len(hits))
        fixed = sentence
        nums = numbers(sentence)
        # the sources that state every number of the sentence, best supported first
        stating = sorted((i for i in range(len(hits)) if nums and nums <= source_numbers[i]),
                         key=lambda i: -support[i])
        if cited:
            keep = [n for n in cited if support[n - 1] >= 0.6 * support[best] or support[n - 1] >= 0.5]
            if not keep and support[best] > 0:
                keep = [best + 1]
            if stating and not any(n - 1 in stating for n in keep):
                keep = [stating[0] + 1]  # "27 days [1]" where only [2] says 27: the number decides
            if keep != cited:
                fixed = _with_markers(_CITE.sub("", sentence), keep)
        elif stating:
            fixed = _with_markers(sentence, [stating[0] + 1])
        elif support[best] >= 0.3 and len(words) >= 2:
            fixed = _with_markers(sentence, [best + 1])
        out.append(answer[pos:a] + fixed)
        pos = b
    out.append(answer[pos:])
    result = "".join(out)
    if not parse_citations(result, len(hits)):
        n = best_source(answer, hits)
        if n is not None:
            result = f"{result.rstrip()} [{n}]"
    return result


def _with_markers(sentence: str, numbers: list[int]) -> str:
    """Put [n] markers at the end of a sentence, before its final punctuation."""
    trail = sentence[len(sentence.rstrip()):]
    base = re.sub(r"\s+([.!?,;:])", r"\1", sentence.rstrip())
    marks = "".join(f" [{n}]" for n in numbers)
    if base and base[-1] in ".!?":
        return base[:-1] + marks + base[-1] + trail
    return base + marks + trail


def best_source(answer: str, hits: Sequence[Hit]) -> int | None:
    words = _stems(answer)
    if not words or not hits:
        return None
    scored = [(len(words & _stems(h.text)) / len(words), -i) for i, h in enumerate(hits)]
    score, neg_i = max(scored)
    return -neg_i + 1 if score > 0 else None


def is_refusal(answer: str) -> bool:
    low = answer.lower()
    return not low.strip() or any(r in low for r in _REFUSALS)


def to_citation(n: int, hit: Hit) -> Citation:
    return Citation(n, hit.path, hit.page, hit.location, hit.text, hit.char_start, hit.char_end)


def ask(
    question: str,
    searcher: Searcher,
    model_loader: Callable[[], ChatModel],
    params: AskParams = AskParams(),
    doc_ids: Sequence[int] | None = None,
    cancel: CancelToken = NEVER,
) -> Iterator[AskEvent]:
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    hits = searcher.search(question, params.sources, doc_ids, params.search)
    timings["retrieval_s"] = time.monotonic() - t0
    trail = Trail(question, params, doc_ids, searcher.embedder, hits, t0)
    if not is_relevant(question, hits, params):
        yield Sources(hits)
        yield trail.done(AnswerDone(NOT_FOUND, False, [], timings=timings), hits)
        return
    t1 = time.monotonic()
    model = model_loader()
    trail.model = model
    timings["model_load_s"] = time.monotonic() - t1
    if cancel.cancelled:
        yield Sources(hits)
        yield trail.done(AnswerDone("", False, [], cancelled=True, timings=timings), hits)
        return
    given = hits
    if params.context == "sentences":
        t_f = time.monotonic()
        given = focus(question, hits, searcher.embedder, params.focus_sentences)
        timings["focus_s"] = time.monotonic() - t_f
    tokens, stop, focused = build_prompt(model, question, given, params.max_answer_tokens)
    # citations show the whole passage; the model saw its focused sentences
    by_id = {h.chunk_id: h for h in hits}
    included = [by_id.get(h.chunk_id, h) for h in focused]
    timings["prompt_tokens"] = float(len(tokens))
    yield Sources(included)
    pieces: list[str] = []
    t2 = time.monotonic()
    first: float | None = None
    # A base model has no end-of-turn token: it goes on with more questions and answers. Its
    # answer is the first line it writes.
    one_line = not model.is_chat
    for piece in model.stream(tokens, params.max_answer_tokens, stop, cancel):
        if first is None:
            first = time.monotonic()
        if one_line and "\n" in ("".join(pieces) + piece).lstrip():
            head = ("".join(pieces) + piece).lstrip()
            line = head[: head.index("\n")]
            done_len = len("".join(pieces).lstrip())
            if len(line) > done_len:
                tail = line[done_len:]
                pieces.append(tail)
                yield Token(tail)
            break
        pieces.append(piece)
        yield Token(piece)
    end = time.monotonic()
    timings["first_token_s"] = (first or end) - t2
    timings["generation_s"] = end - t2
    timings["answer_tokens"] = float(model.count("".join(pieces))) if pieces else 0.0
    answer = "".join(pieces).strip()
    if cancel.cancelled:
        yield trail.done(AnswerDone(answer, bool(answer), _citations(answer, included), cancelled=True,
                                    timings=timings), included)
        return
    if is_refusal(answer):
        yield trail.done(AnswerDone(answer or NOT_FOUND, False, [], timings=timings), included)
        return
    answer = attribute(answer, included)
    cited = parse_citations(answer, len(included))
    yield trail.done(AnswerDone(answer, True, [to_citation(n, included[n - 1]) for n in cited], timings=timings,
                                claims=check_claims(answer, included)), included)


def _citations(answer: str, included: Sequence[Hit]) -> list[Citation]:
    return [to_citation(n, included[n - 1]) for n in parse_citations(answer, len(included))]

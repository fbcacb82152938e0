"""Answer quality through Docent's own ask path: answer accuracy (the normalised answer contains a
normalised gold answer; SQuAD only, ARAGOG's reference answers are long free text), citation
correctness (of the answered questions, a citation points at the gold document and, for SQuAD, the
gold page), how many were answered rather than declined, and latency. Token-F1 is scored on both
sets: against the best gold answer (SQuAD) or the reference answer (ARAGOG); a declined answer
scores 0.

    python tests/bench/answers.py [--set squad|aragog|financebench] [--docs N] [--sample 40] [--sources 5]
        [--models smollm2-135m-instruct,gemma3-270m,/path/to/model.gguf] [--out report.json]

FinanceBench: `figures_right` counts, of the questions whose gold answer is one figure, the answers
that state it as a value (within 1%, also read in thousands or millions: value_right).

`--models` takes Docent's model names or .gguf paths (any model Docent can load); `--out` writes
the figures and every answer to a JSON file.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Sequence

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench.common import (  # noqa: E402
    QASet, aragog_set, financebench_set, normalize, pct, quiet_logs, spaced, squad_set,
)


def token_f1(prediction: str, gold: str) -> float:
    """SQuAD's token-F1 of two texts after `normalize`, citation markers left out."""
    from collections import Counter

    from docent.core.text import CITE

    p, g = normalize(CITE.sub(" ", prediction)).split(), normalize(gold).split()
    common = sum((Counter(p) & Counter(g)).values())
    if not p or not g or not common:
        return 0.0
    precision, recall = common / len(p), common / len(g)
    return 2 * precision * recall / (precision + recall)


_VALUE = __import__("re").compile(r"^\s*\$?\s*(-?[\d,]*\.?\d+)\s*%?\s*$")


def gold_value(gold: str) -> float | None:
    """A FinanceBench gold answer that is one figure ("$382.00", "10.3%", "-3.7") as a number."""
    m = _VALUE.match(gold)
    return float(m.group(1).replace(",", "")) if m else None


def value_right(answer: str, value: float) -> bool:
    """Whether an answer states the gold figure as a value: some number in it within 1% of it, also read in thousands or millions ("381,603" thousands for
    $382 million), sign ignored (an outflow may be written "(138,402)")."""
    import re

    from docent.core.text import CITE

    for m in re.finditer(r"\d[\d,]*(\.\d+)?", CITE.sub(" ", answer)):
        try:
            got = float(m.group().replace(",", ""))
        except ValueError:
            continue
        for scale in (1.0, 1e-3, 1e3, 1e-6, 1e6):
            x, v = got * scale, abs(value)
            if abs(x - v) <= max(0.01 * v, 0.005):
                return True
    return False


def shown_unsupported_numbers(answer: str, sources: Sequence[Any], computation: Any = None) -> set[str]:
    """The numbers an answer shows that no given passage states; of a computed answer, not those the
    computation produced from the passages' figures (its result, each year's value) nor its
    formula's constants (365 days)."""
    from docent.core.text import numbers

    stated: set[str] = set().union(*(numbers(h.text) for h in sources)) if sources else set()
    if computation is not None:
        stated |= numbers(" ".join([*computation.derived, computation.formula]))
    return numbers(answer) - stated


def sample(qa: QASet, n: int) -> list[dict[str, Any]]:
    """n questions spread over the set (deterministic)."""
    return spaced(qa.questions, n)


def run(lib: Any, qa: QASet, questions: Sequence[dict[str, Any]], max_answer_tokens: int = 0) -> dict[str, Any]:
    """Ask each question through `Library.ask` with the library's settings (`max_answer_tokens` > 0
    caps the answer length, to keep a quick run quick)."""
    base = lib.settings
    if max_answer_tokens:
        lib.set_settings(replace(base, max_answer_tokens=max_answer_tokens))
    try:
        return _run(lib, qa, questions)
    finally:
        lib.set_settings(base)


def _run(lib: Any, qa: QASet, questions: Sequence[dict[str, Any]]) -> dict[str, Any]:
    from docent.core.types import AnswerDone, Sources, Token

    correct = cited_ok = cited_doc = answered = right_cited_ok = 0
    flags = {"right": [0, 0], "wrong": [0, 0]}  # answered questions: [flagged, all], by correctness
    latencies, ttfts, rows = [], [], []
    f1s: list[float] = []
    shown_bad = withheld = 0
    set_aside = [0, 0, 0]  # answers where a quote stood in for the model's: [all, the model's right, the quote right]
    valued = [0, 0]  # FinanceBench: figure answers right, of all figure questions
    for i, q in enumerate(questions, start=1):
        t = time.perf_counter()
        first = None
        done: AnswerDone | None = None
        given: list[Any] = []
        for ev in lib.ask(q["question"]):
            if isinstance(ev, Sources):
                given = list(ev.hits)
            if isinstance(ev, Token) and first is None:
                first = time.perf_counter() - t
            elif isinstance(ev, AnswerDone):
                done = ev
        assert done is not None
        latencies.append(time.perf_counter() - t)
        print(f"  [{i}/{len(questions)}] {latencies[-1]:.1f} s, "
              f"{'answered' if done.answered else 'declined'}{', extractive' if done.extractive else ''}",
              file=sys.stderr, flush=True)  # a long run shows where it is
        if first is not None:
            ttfts.append(first)
        ok = None
        if qa.scores_answers:
            ok = any(normalize(a) and normalize(a) in normalize(done.answer) for a in q["answers"])
            correct += int(ok)
        value = gold_value(q["answer"]) if qa.name == "financebench" else None
        if value is not None:  # FinanceBench's one-figure answers: right when the figure is there
            ok = bool(done.answered) and value_right(done.answer, value)
            valued[0] += int(ok)
            valued[1] += 1
        golds = q["answers"] if "answers" in q else [q["answer"]] if q.get("answer") else []
        if golds:
            f1s.append(max(token_f1(done.answer if done.answered else "", a) for a in golds))
        if getattr(done, "set_aside", ""):
            set_aside[0] += 1
            if qa.scores_answers:
                set_aside[1] += int(any(normalize(a) and normalize(a) in normalize(done.set_aside) for a in q["answers"]))
                set_aside[2] += int(bool(ok))
        bad = shown_unsupported_numbers(done.answer, given, done.computation) if done.answered else set()
        shown_bad += int(bool(bad))
        withheld += int(bool(getattr(done, "withheld", [])))
        gold_page = qa.pages.get(q["id"])
        doc_ok = page_ok = False
        if done.answered:
            answered += 1
            doc_ok = any(Path(c.path).stem == q["doc"] for c in done.citations)
            page_ok = any(Path(c.path).stem == q["doc"] and (gold_page is None or c.page == gold_page)
                          for c in done.citations) if qa.pages else doc_ok
            cited_doc += int(doc_ok)
            cited_ok += int(page_ok)
            right_cited_ok += int(bool(ok) and page_ok)
            if ok is not None:  # verified claims: does a flag point at wrong answers?
                bucket = flags["right" if ok else "wrong"]
                bucket[0] += int(any(c.supported is False for c in getattr(done, "claims", [])))
                bucket[1] += 1
        rows.append({"id": q["id"], "answered": done.answered, "correct": ok, "cited_ok": page_ok,
                     "extractive": done.extractive, "latency_s": round(latencies[-1], 2),
                     "unsupported_numbers": sorted(bad), "answer": done.answer[:200],
                     "set_aside": getattr(done, "set_aside", "")[:200]})
    n = max(1, len(questions))
    return {
        "chat_model": lib.chat_model().name, "max_answer_tokens": lib.settings.max_answer_tokens,
        "sources": lib.settings.sources,
        "questions": len(questions),
        "answer_accuracy": round(correct / n, 3) if qa.scores_answers else None,
        "answered": round(answered / n, 3),
        # FinanceBench: of the questions whose gold answer is one figure, the answers stating it
        "figures_right": f"{valued[0]}/{valued[1]}" if valued[1] else None,
        "token_f1": round(sum(f1s) / len(f1s), 3) if f1s else None,
        # answers that show a number no given passage states (target 0), and answers with withheld sentences
        "unsupported_numbers_shown": shown_bad,
        "with_withheld": withheld,
        # answers where the passages' sentence stood in for the model's one-sentence answer (qa.ask,
        # AnswerDone.set_aside) and, SQuAD only, how many of those the model's answer and the quote got right
        "quote_in_place": set_aside[0],
        "quote_in_place_model_right": set_aside[1] if qa.scores_answers else None,
        "quote_in_place_quote_right": set_aside[2] if qa.scores_answers else None,
        "citation_correct_of_answered": round(cited_ok / answered, 3) if answered else None,
        "citation_doc_of_answered": round(cited_doc / answered, 3) if answered else None,
        # of the right answers, those citing the gold page: grounding apart from the model's mistakes
        # (a wrong answer cites the passage it was wrongly taken from)
        "citation_correct_of_right_answers": round(right_cited_ok / correct, 3) if correct else None,
        "latency_p50_s": round(pct(latencies, 0.5), 2),
        "ttft_p50_s": round(pct(ttfts, 0.5), 2) if ttfts else None,
        # share of answered questions with a sentence flagged as not found in its cited sources
        "flagged_of_right_answers": round(flags["right"][0] / flags["right"][1], 3) if flags["right"][1] else None,
        "flagged_of_wrong_answers": round(flags["wrong"][0] / flags["wrong"][1], 3) if flags["wrong"][1] else None,
        "per_question": rows,
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", choices=["squad", "aragog", "financebench"], default="squad")
    ap.add_argument("--docs", type=int, default=0, help="index only N documents (0: all)")
    ap.add_argument("--data-dir")
    ap.add_argument("--sample", type=int, default=40)
    ap.add_argument("--models", default="smollm2-135m-instruct,gemma3-270m")
    ap.add_argument("--sources", default="5")
    ap.add_argument("--out", help="write the figures and every answer to this JSON file")
    args = ap.parse_args()
    quiet_logs()
    from docent.core.library import Library

    qa = (squad_set(args.docs) if args.set == "squad" else aragog_set(args.docs) if args.set == "aragog"
          else financebench_set(args.docs))
    questions = sample(qa, args.sample)
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="docent-bench-"))
    report: dict[str, Any] = {}
    with Library(data_dir) as lib:
        list(lib.index(qa.docs))
        base = lib.settings
        for model in args.models.split(","):
            for sources in (int(s) for s in args.sources.split(",")):
                lib.set_settings(replace(base, chat_model=model, sources=sources))
                key = f"{model}/sources={sources}"
                result = run(lib, qa, questions)
                rows = result.pop("per_question")
                print(key, json.dumps(result), flush=True)
                report[key] = dict(result, per_question=rows)
                if args.out:
                    Path(args.out).write_text(json.dumps(report, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

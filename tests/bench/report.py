"""The report's targets and its short table (run.py prints both)."""

from __future__ import annotations

from typing import Any, Callable


def _get(d: dict[str, Any], *path: str) -> Any:
    for p in path:
        if not isinstance(d, dict) or p not in d:
            return None
        d = d[p]
    return d


def targets(rep: dict[str, Any], sections: set[str]) -> list[dict[str, Any]]:
    """(figure, value, target, met, note) for each target the issue sets, for the sections run."""
    rows: list[dict[str, Any]] = []

    def add(name: str, value: Any, target: str, ok: Callable[[Any], bool | None], note: str = "") -> None:
        verdict = None if value is None else ok(value)
        met = None if verdict is None else bool(verdict)
        rows.append({"figure": name, "value": value, "target": target, "met": met, "note": note})

    add("index: pipeline / embedder alone (time)", _get(rep, "indexing", "pipeline_over_embedder"), "<= 1.15", lambda v: v <= 1.15)
    add("index: LangChain / Docent (time)", _get(rep, "baseline", "baseline_over_docent_index"), ">= 2", lambda v: v >= 2)
    add("re-index unchanged: LangChain rebuild / Docent", _get(rep, "baseline", "baseline_rebuild_over_docent_reindex"),
        ">= 50", lambda v: v >= 50, "" if _get(rep, "baseline", "rebuild_measured") else "rebuild = the one build timed")
    largest = None
    q = rep.get("query") or {}
    sizes = [k for k in q if isinstance(q[k], dict) and "hybrid" in q[k]]
    if sizes:
        largest = sizes[-1]
    p95 = _get(q, largest, "hybrid", "p95_ms") if largest else None
    add(f"query p95 ms, hybrid @ {largest or '?'} chunks", p95, "< 50 @ 100k",
        lambda v: v < 50 if largest == "100k" else None, "" if largest == "100k" else "smaller store than the target's 100k")
    add("generation: stream / raw tokens/s", _get(rep, "generation", "stream_over_raw_tokens_per_s"), ">= 0.97", lambda v: v >= 0.97)
    add("generation: ask / raw tokens/s", _get(rep, "generation", "ask_over_raw_tokens_per_s"), ">= 0.97", lambda v: v >= 0.97)
    add("TTFT beyond prompt eval: raw llama.cpp", _get(rep, "generation", "raw", "ttft_beyond_prompt_eval"), "(floor)",
        lambda v: True)
    add("TTFT beyond prompt eval: ChatModel.stream", _get(rep, "generation", "stream", "ttft_beyond_prompt_eval"), "< 0.05",
        lambda v: v < 0.05)
    add("TTFT beyond prompt eval: Library.ask", _get(rep, "generation", "ask", "ttft_beyond_prompt_eval"), "< 0.05",
        lambda v: v < 0.05, "retrieval + focus + prompt building")
    add("follow-up reuses cached prefix", _get(rep, "generation", "prefix_cache", "reuses_prefix"), "yes", lambda v: v is True)
    mem = rep.get("memory") or {}
    for key in [k for k in mem if k.startswith("index_")]:
        add(f"peak RSS MB, indexing {key.split('_')[1]}-page PDF", _get(mem, key, "peak_total_mb"), "< 1500",
            lambda v: v < 1500, "Docent + its extraction worker")
    if "peak_growth_mb" in mem:
        add("peak RSS growth MB, 200 -> 1000 pages", mem["peak_growth_mb"], "~0 (< 100)", lambda v: v < 100)
    add("incremental: 1 changed of 500, CLI wall s", _get(rep, "incremental", "cli_wall_s"), "< 2", lambda v: v < 2)
    add("incremental: 1 changed of 500, in-process s", _get(rep, "incremental", "inprocess_s"), "< 2", lambda v: v < 2)
    return [t for t in rows if t["value"] is not None or _section_of(t["figure"]) in sections]


def table(rep: dict[str, Any]) -> str:
    from tests.bench import retrieval

    lines = []
    qual = rep.get("quality") or {}
    for name, q in qual.items():
        if "retrieval" not in q:
            lines.append(f"{name}: {q}")
            continue
        lines.append(f"{name}: {q['docs']} docs, {q['pages']} pages, {q['chunks']} chunks, {q['questions']} questions "
                     f"(hit key occurs in the gold document for {q.get('reachable')}: the recall ceiling)")
        lines.extend(retrieval.table(q["retrieval"]))
        a = q.get("answers") or {}
        if a:
            lines.append(f"  answers (n={a.get('questions')}, {a.get('chat_model')}, ≤{a.get('max_answer_tokens')} tokens): accuracy {a.get('answer_accuracy')}, answered {a.get('answered')}, "
                         f"citation ok {a.get('citation_correct_of_answered')} (right doc {a.get('citation_doc_of_answered')}), "
                         f"p50 {a.get('latency_p50_s')} s, TTFT p50 {a.get('ttft_p50_s')} s")
    ix = rep.get("indexing") or {}
    if "pipeline_s" in ix:
        lines.append(f"indexing: {ix['pages']} pages, {ix['chunks']} chunks, {ix['embedded_tokens']} tokens embedded — "
                     f"pipeline {ix['pipeline_pages_per_s']} pages/s, "
                     f"{ix['pipeline_chunks_per_s']} chunks/s; embedder alone {ix['embedder_pages_per_s']} pages/s, "
                     f"{ix['embedder_chunks_per_s']} chunks/s; ratio {ix['pipeline_over_embedder']} "
                     f"(CPU time {ix['pipeline_over_embedder_cpu']}); re-index unchanged {ix['reindex_unchanged_s']} s")
    b = rep.get("baseline") or {}
    if "runs" in b:
        run0 = b["runs"][0]
        lines.append(f"baseline (LangChain): build {run0['seconds']} s ({run0['chunks']} chunks, {run0.get('embedded_tokens')} "
                     f"tokens, embedding {run0['embed_s']} s) vs Docent {b['docent_index_s']} s; rebuild {b['runs'][-1]['seconds']} s vs Docent re-index "
                     f"{b['docent_reindex_unchanged_s']} s")
    elif b:
        lines.append(f"baseline: {b}")
    g = rep.get("generation") or {}
    if "raw" in g:
        lines.append(f"generation ({g['model']}, {g['n_threads']} threads, {g['questions']} questions, "
                     f"{g['max_tokens']} tokens max):")
        for k in ("raw", "stream", "ask"):
            x = g[k]
            extra = f", retrieval {x.get('retrieval_s')} s + focus {x.get('focus_s')} s" if k == "ask" else ""
            lines.append(f"  {k:6}: {x['tokens_per_s']} tok/s warm ({x['generated_tokens']} tokens, "
                         f"{x['decode_outside_llama']} of decode time outside llama.cpp); cold TTFT {x['ttft_s']} s = "
                         f"prompt eval {x['prompt_eval_s']} s ({x['prompt_tokens']} tokens) + "
                         f"{x['ttft_beyond_prompt_eval']}{extra}")
        lines.append(f"  paired: stream/raw tok/s {g['stream_over_raw_tokens_per_s']}, ask/raw {g['ask_over_raw_tokens_per_s']}; "
                     f"TTFT over raw: stream {g['stream_ttft_over_raw']}, ask {g['ask_ttft_over_raw']}")
        pc = g["prefix_cache"]
        lines.append(f"  prefix cache: a follow-up evaluates {pc['followup_prompt_tokens_evaluated']} of {pc['prompt_tokens']} "
                     f"prompt tokens (cold {pc['cold_prompt_tokens_evaluated']}, shared prefix {pc['shared_prefix_tokens']}); "
                     f"TTFT {pc['followup_ttft_s']} s vs cold {pc['cold_ttft_s']} s")
    qy = rep.get("query") or {}
    for size, row in qy.items():
        if isinstance(row, dict) and "hybrid" in row:
            lines.append(f"query @ {size:>4}: hybrid p50/p95 {row['hybrid']['p50_ms']}/{row['hybrid']['p95_ms']} ms, "
                         f"vector {row['vector']['p50_ms']}/{row['vector']['p95_ms']}, keyword {row['keyword']['p50_ms']}/"
                         f"{row['keyword']['p95_ms']} (fill {row['fill_s']} s)")
    mem = rep.get("memory") or {}
    for k, v in mem.items():
        if k.startswith("index_") and "peak_mb" in v:
            lines.append(f"memory {k}: peak {v['peak_total_mb']} MB with its worker (main process {v['peak_mb']} MB, "
                         f"worker {v['children_peak_mb']} MB; {v['rss_loaded_mb']} MB before indexing; "
                         f"{v['pages']} pages, {v['chunks']} chunks, {v['seconds']} s)")
    if "idle" in mem and "rss_with_chat_model_mb" in mem["idle"]:
        lines.append(f"memory idle: {mem['idle']['rss_with_chat_model_mb']} MB with {mem['idle']['chat_model']} "
                     f"(embedder only {mem['idle']['rss_embedder_mb']} MB)")
    inc = rep.get("incremental") or {}
    if "cli_wall_s" in inc:
        lines.append(f"incremental ({inc['files']} files): CLI {inc['cli_wall_s']} s wall (sync {inc['cli_sync_reported_s']} s), "
                     f"in-process {inc['inprocess_s']} s, no-change sync {inc['unchanged_sync_s']} s")
    lines.append("")
    lines.append(f"{'target':52} {'value':>10} {'want':>12}  met")
    for t in rep.get("targets", []):
        met = {True: "yes", False: "MISS", None: "n/a"}[t["met"]]
        val = t["value"]
        lines.append(f"{t['figure']:52} {str(val):>10} {t['target']:>12}  {met}{'  (' + t['note'] + ')' if t['note'] else ''}")
    return "\n".join(lines)


def _section_of(figure: str) -> str:
    for prefix, section in (("index:", "indexing"), ("re-index", "baseline"), ("query", "query"), ("generation", "generation"),
                            ("TTFT", "generation"), ("follow-up", "generation"), ("peak", "memory"), ("incremental", "incremental")):
        if figure.startswith(prefix):
            return "baseline" if "LangChain" in figure else section
    return ""


def strip(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: strip(v) for k, v in obj.items() if k != "per_question"}
    return obj

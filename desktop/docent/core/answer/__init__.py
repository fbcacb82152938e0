"""Answer: from a question and its retrieved passages to a cited answer. One pipeline, shared by
plain answers (`qa.ask`) and whole-document tasks (`wholedoc.ask_whole`: summarize, compare,
list), one module per step, from the ground up: `params` (AskParams), `gate` (answerability:
relevance before the model, refusals after it), `focus` (the sentences a small model is given),
`prompt` (the one renderer: fenced sources, chat template or plain completion), `generate` (the one
streaming loop, with timings), `claims` (the one support scorer, and verified claims), `citations`
(attribution and Citations), `provenance` (what an answer was made from), then `qa` and
`wholedoc` (with `wholedoc_plan` and `wholedoc_notes`). The text helpers are in `core.text`.
May import `core.types`, `core.cancel`, `core.text`, `storage`, `models` and `retrieval`; never
`ingest`, `library` or `selftest`."""

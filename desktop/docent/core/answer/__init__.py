"""Answer: from a question and its retrieved passages to a cited answer. The answerability gate,
the one pipeline (prompt rendering, the streaming loop with timings, citation building, support
scoring of claims) shared by plain answers and whole-document tasks (summarize, compare, list),
and the provenance of each answer. May import `core.types`, `core.cancel`, `core.text`,
`storage`, `models` and `retrieval`; never `ingest`, `library` or `selftest`."""

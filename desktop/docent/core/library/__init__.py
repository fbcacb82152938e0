"""Library: the facade the CLI and the window drive (`Library`), and the composition of the core
services behind it (factory.py builds them, placement.py keeps the vectors where the settings say,
model_cache.py the chat model and model hashes, texts.py a document's indexed text). May import every
room below it (storage, models, ingest, retrieval, answer); never `selftest`, and nothing below imports it."""

from docent.core.library.facade import Library

__all__ = ["Library"]

"""Library: the facade the CLI and the window drive (`Library`), and the composition of the core
services behind it. May import every room below it (storage, models, ingest, retrieval, answer);
never `selftest`, and nothing below imports it."""

from docent.core.library.facade import Library

__all__ = ["Library"]

"""Errors that reach the user. Each message says what happened, to what, and what to do."""

from __future__ import annotations


class DocentError(Exception):
    """Base class for failures a user can act on."""


class ModelError(DocentError):
    """A model file is missing, corrupt or cannot be loaded."""


class StoreError(DocentError):
    """The index (Chroma or the catalog) cannot be opened or written."""


class DataDirLocked(StoreError):
    """Another Docent process holds the data folder."""


class EmbedderMismatch(StoreError):
    """The library was built with another embedder; it must be rebuilt before use."""


class Cancelled(DocentError):
    """The user cancelled a long job."""

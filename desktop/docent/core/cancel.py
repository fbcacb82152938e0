"""Cooperative cancellation for long jobs (indexing, generation)."""

from __future__ import annotations

import threading

from docent.errors import Cancelled


class CancelToken:
    """Set from any thread; long jobs poll it between units of work."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled("cancelled by the user")


NEVER = CancelToken()
"""A token nobody cancels; the default for callers that do not need one."""

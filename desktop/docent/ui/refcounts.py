"""None, True and False kept alive for the window's whole life, on Python before 3.12.

PySide6 6.12 on CPython 3.11 hands these singletons back without the reference it owes them: every
wrapped call that returns nothing (a setter, `QStandardItem.setData`, a delegate's
`super().initStyleOption`, `QModelIndex.data()` of an empty role) drops one of None's references,
and every `Signal.emit()` one of True's. After a few thousand, CPython frees the object and aborts
("Fatal Python error: none_dealloc" / "bool_dealloc"): the window died listing a library of 1,000
documents, and any session got there in the end (the lanes deliver their events by emitting
signals; a repaint through a Python delegate costs a few dozen of None's). From Python 3.12 these
objects are immortal (PEP 683); before, `keep_singletons_alive` gives them the same headroom:
2**40 references each, that nothing will ever hand back.
"""

from __future__ import annotations

import sys

HEADROOM = 1 << 40
_done = False


def keep_singletons_alive() -> bool:
    """Make None, True and False effectively immortal on CPython before 3.12 (once per process).
    → whether it did so now."""
    global _done
    if _done or sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return False
    import ctypes

    for obj in (None, True, False):
        count = ctypes.c_ssize_t.from_address(id(obj))  # ob_refcnt, the first field of every PyObject
        count.value += HEADROOM
    _done = True
    return True

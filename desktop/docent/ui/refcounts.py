"""None kept alive for the window's whole life, on Python before 3.12.

PySide6 6.12 on CPython 3.11 returns None from every wrapped call that returns nothing (a setter,
`QStandardItem.setData`, a delegate's `super().initStyleOption`, `QModelIndex.data()` of an empty
role) without taking a reference to it: each such call drops one of None's references. After a few
thousand, CPython frees None and aborts ("Fatal Python error: none_dealloc"): the window died while
listing a library of 1,000 documents, and any long session got there in the end (every repaint
through a Python delegate costs a few dozen). From Python 3.12 None is immortal (PEP 683); before,
`keep_none_alive` gives it the same headroom: 2**40 references that nothing will ever hand back.
"""

from __future__ import annotations

import sys

HEADROOM = 1 << 40
_done = False


def keep_none_alive() -> bool:
    """Make None effectively immortal on CPython before 3.12 (once per process). → whether it did now."""
    global _done
    if _done or sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return False
    import ctypes

    count = ctypes.c_ssize_t.from_address(id(None))  # ob_refcnt, the first field of every PyObject
    count.value += HEADROOM
    _done = True
    return True

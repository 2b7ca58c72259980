"""Make True and False immortal on CPython 3.11, as CPython 3.12 does, to survive a PySide6 refcount bug.

PySide6 6.12 drops references to the bool singletons it does not own on several paths (a signal
emitted from a pool thread, a bool signal argument passed on to a Qt setter): each call takes one
reference from True or False, and after a few thousand the interpreter aborts ("bool_dealloc").
Adding a huge constant to their reference counts once makes them immortal in practice; an extra
reference to True or False is never harmful, so this stays correct once PySide6 is fixed.
"""

from __future__ import annotations

import ctypes
import sys

PIN = 1 << 40


def pin_bool_singletons() -> None:
    """Give True and False a reference count no leak can drain (no-op where they are immortal)."""
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return
    for obj in (True, False):
        refcount = ctypes.c_ssize_t.from_address(id(obj))  # ob_refcnt is the first field of PyObject
        if refcount.value < PIN:
            refcount.value += PIN

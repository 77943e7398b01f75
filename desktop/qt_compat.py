"""PySide6 6.12.0 on Python 3.11 steals references to singletons: every void method (setText, click,
addWidget, ...) returns None without taking a reference, and SignalInstance.emit() does the same with True.
Python 3.12+ never frees None/True/False (immortal objects), which is presumably why the wheel gets away with it
there; on 3.11 the refcount reaches zero after a few thousand calls and the interpreter aborts with
"Fatal Python error: none_dealloc" (or bool_dealloc). Reproduce:

    o = QObject(); before = sys.getrefcount(None); o.setObjectName("x"); sys.getrefcount(None) == before - 1

The app runs on Python 3.11 (Debian 12's), so at start-up, before the first widget, the three singletons get a
reference count no session can exhaust, which is what 3.12 does for every object of that kind. Only done
when the leak is detected, so a fixed PySide6 leaves the interpreter untouched.
"""

from __future__ import annotations

import ctypes
import sys

_BUMP = 1 << 40  # more calls than any session makes; the objects are never freed anyway


def steals_none() -> bool:
    from PySide6.QtCore import QObject

    o = QObject()
    before = sys.getrefcount(None)
    o.setObjectName("probe")
    stolen = sys.getrefcount(None) < before
    if stolen:
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(None))  # the probe's own call
    return stolen


def install_singleton_refcount_fix() -> bool:
    """Protect None, True and False when PySide6 is found leaking references to them. True if applied."""
    if sys.version_info >= (3, 12):
        return False  # immortal singletons: nothing to do
    if not steals_none():
        return False
    for obj in (None, True, False):
        ref = ctypes.c_ssize_t.from_address(id(obj))  # ob_refcnt is the first field of every object
        if ref.value < _BUMP:
            ref.value += _BUMP
    return True

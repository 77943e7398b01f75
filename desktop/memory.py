"""Give memory freed by a closed chart back to the operating system.

A chart's data is read in worker threads; glibc keeps what those threads freed in per-thread arenas instead of
returning it, so a workstation that opened fifty charts in a morning would stay at its peak all day. After a
chart closes, malloc_trim asks glibc to return the free pages. A no-op where glibc is not the allocator.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging

log = logging.getLogger(__name__)
_trim = None
_looked = False


def release_freed_memory() -> None:
    global _trim, _looked
    if not _looked:
        _looked = True
        name = ctypes.util.find_library("c")
        try:
            _trim = getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
        except OSError as exc:  # not glibc, or no C library by that name: nothing to give back
            log.info("malloc_trim unavailable: %s", exc)
    gc.collect()
    if _trim is not None:
        _trim(0)

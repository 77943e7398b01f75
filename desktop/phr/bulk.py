"""Making frozen records by the hundred thousand (an Apple Health export's readings and their plan items).

`gc_paused()`: while a file is read or planned, the cycle collector is held off. The records made hold no
cycles (reference counting frees them), but every collection walks all of them again: on a 250,000-record
export that is a fifth of the reading and planning time.

A frozen dataclass's __init__ sets each field through object.__setattr__ to get past its own guard: six times
slower than a plain slots class (1.5 µs against 0.25 µs for a reading's 15 fields). `maker(cls)` returns a
positional constructor that fills a plain slots twin of the class (the same fields, in the same order, so the
same memory layout) and then gives the object its real class: the result is an ordinary instance of `cls`
(equal, hashed and frozen like one made by cls(...)), made in a quarter of the time.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import MISSING, field, fields, make_dataclass
from typing import TypeVar

T = TypeVar("T")


def maker(cls: type[T]) -> Callable[..., T]:
    """cls's fields, positionally (defaults as cls's), into a new frozen instance of cls."""
    spec = []
    for f in fields(cls):  # type: ignore[arg-type]
        if f.default is not MISSING:
            spec.append((f.name, f.type, field(default=f.default)))
        elif f.default_factory is not MISSING:
            spec.append((f.name, f.type, field(default_factory=f.default_factory)))
        else:
            spec.append((f.name, f.type))
    twin = make_dataclass(f"_{cls.__name__}Fields", spec, slots=True, eq=False, repr=False)
    if twin.__slots__ != cls.__slots__:  # type: ignore[attr-defined]
        raise TypeError(f"{cls.__name__} is not a slots dataclass of plain fields")

    def make(*args, _twin=twin, _cls=cls):
        obj = _twin(*args)
        obj.__class__ = _cls  # same slots, same layout: Python allows it and checks it
        return obj

    make.__doc__ = f"A {cls.__name__} from its fields in order (see desktop.phr.bulk)."
    return make


@contextmanager
def gc_paused() -> Iterator[None]:
    """No automatic cycle collection inside (a collection runs as usual after). Nested or concurrent uses are
    harmless: only the outermost that found the collector on turns it back on."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()

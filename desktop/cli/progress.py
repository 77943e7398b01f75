"""Progress bars for the long commands (import-phr, demo, backup, restore), on stderr when it is a terminal.

stdout stays clean for --json and scripts; a pipe or a log file gets no bar at all. tqdm draws the bar.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

# progress(done, total, stage): the shape desktop.phr's readers and the services report in (total 0 = unknown)
Progress = Callable[[int, int, str], None]


def wanted(stream=None) -> bool:
    stream = stream or sys.stderr
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed or replaced stream
        return False


@contextmanager
def terminal_progress(what: str, *, unit: str = "B", enabled: bool | None = None) -> Iterator[Progress | None]:
    """`with terminal_progress("reading export.xml") as progress: work(progress=progress)`.

    Yields None when stderr is not a terminal, so callers pass it straight through as "no progress".
    A change of stage (reading -> validating) starts a new bar.
    """
    if not (wanted() if enabled is None else enabled):
        yield None
        return
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}

    def progress(done: int, total: int, stage: str) -> None:
        bar = bars.get(stage)
        if bar is None:
            for old in bars.values():
                old.close()
            bars.clear()
            is_bytes = unit == "B" and stage.startswith(("read", "copying"))
            shown = unit if is_bytes or unit != "B" else " items"
            bar = bars[stage] = tqdm(total=total or None, desc=f"{what}: {stage}", unit=shown,
                                     unit_scale=is_bytes, leave=False, file=sys.stderr, dynamic_ncols=True)
        if total and bar.total != total:
            bar.total = total
        bar.n = done
        bar.refresh()

    try:
        yield progress
    finally:
        for bar in bars.values():
            bar.close()

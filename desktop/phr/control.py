"""Progress reports and cancellation for a read that may take seconds (a big Apple Health export)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import ReadCancelled
from .limits import ReadLimits, default_limits

# progress(done, total, stage): done/total are bytes while reading a file, items while validating;
# total is 0 when unknown. Called at most every PROGRESS_INTERVAL seconds, and once at the end of a stage.
ProgressFn = Callable[[int, int, str], None]
CancelFn = Callable[[], bool]
PROGRESS_INTERVAL = 0.1


@dataclass
class ReadControl:
    progress: ProgressFn | None = None
    cancelled: CancelFn | None = None
    limits: ReadLimits = field(default_factory=default_limits)
    _last: float = 0.0

    def check(self) -> None:
        """Raise ReadCancelled when the user asked to stop."""
        if self.cancelled is not None and self.cancelled():
            raise ReadCancelled()

    def report(self, done: int, total: int, stage: str, *, force: bool = False) -> None:
        self.check()
        if self.progress is None:
            return
        now = time.monotonic()
        if force or now - self._last >= PROGRESS_INTERVAL:
            self._last = now
            self.progress(done, total, stage)

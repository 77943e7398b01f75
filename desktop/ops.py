"""Run service calls off the GUI thread and deliver results by signal; the app-wide data-changed bus.

    self._ops.run(patients.search_patients, text, done=self._show)     # fn(uow, text) in a worker
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal, Slot

log = logging.getLogger(__name__)


class _Relay(QObject):
    finished = Signal(object, object, float)  # result, exception, seconds


class _Task(QRunnable):
    def __init__(self, work: Callable[[], Any], relay: _Relay):
        super().__init__()
        self._work = work
        self.relay = relay
        self.setAutoDelete(True)

    def run(self) -> None:
        t0 = time.perf_counter()
        try:
            result, error = self._work(), None
        except BaseException as exc:  # delivered to the GUI thread; never lost in a worker
            result, error = None, exc
        try:
            self.relay.finished.emit(result, error, time.perf_counter() - t0)
        except RuntimeError as exc:  # the Ops (window, chart) was closed while this ran: nobody to tell
            log.info("result dropped, its window is gone: %s", exc)


class Ops(QObject):
    """Owns the worker pool. `db` is a desktop.services.database.Database; `user` a CurrentUser."""

    data_changed = Signal(str, int)  # (what: "patient" | "problems" | "medications" | ..., patient_id)
    busy_changed = Signal(bool)
    error = Signal(object)  # exceptions nobody handled; the main window shows them

    def __init__(self, db, user, parent: QObject | None = None):  # noqa: ANN001
        super().__init__(parent)
        self.db = db
        self.user = user
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(3)
        self._relays: set[_Relay] = set()
        self.pending = 0

    # --- running
    def run(
        self,
        fn: Callable[..., Any],
        *args: Any,
        done: Callable[[Any], None] | None = None,
        failed: Callable[[BaseException], None] | None = None,
        **kwargs: Any,
    ) -> None:
        """Call fn(uow, *args, **kwargs) inside a unit of work in a worker thread."""
        db, user = self.db, self.user

        def work() -> Any:
            with db.uow(user) as uow:
                return fn(uow, *args, **kwargs)

        self.run_plain(work, done=done, failed=failed)

    def run_plain(
        self,
        work: Callable[[], Any],
        *,
        done: Callable[[Any], None] | None = None,
        failed: Callable[[BaseException], None] | None = None,
    ) -> None:
        """Run any callable (PDF rendering, file parsing) in a worker."""
        relay = _Relay()
        self._relays.add(relay)
        self.pending += 1
        if self.pending == 1:
            self.busy_changed.emit(True)

        @Slot(object, object, float)
        def finish(result: Any, exc: BaseException | None, secs: float) -> None:
            self._relays.discard(relay)
            self.pending -= 1
            if self.pending == 0:
                self.busy_changed.emit(False)
            log.debug("%s took %.1f ms", getattr(work, "__qualname__", work), secs * 1000)
            try:
                if exc is not None:
                    if failed is not None:
                        failed(exc)
                    else:
                        self.error.emit(exc)
                    return
                if done is not None:
                    done(result)
            except RuntimeError as gone:
                # the widget that asked was closed meanwhile (a chart closed while loading): drop the answer
                if "already deleted" not in str(gone):
                    raise
                log.info("result dropped, its widget is gone: %s", gone)

        relay.finished.connect(finish)
        self._pool.start(_Task(work, relay))

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Synchronous call on the GUI thread, for quick writes where the user waits anyway (save buttons)."""
        with self.db.uow(self.user) as uow:
            return fn(uow, *args, **kwargs)

    def wait_idle(self, timeout_ms: int = 10000) -> bool:
        return self._pool.waitForDone(timeout_ms)

    def changed(self, what: str, patient_id: int = 0) -> None:
        self.data_changed.emit(what, patient_id)


class GuiThreadGarbageCollector(QObject):
    """Python's cyclic GC may run in any thread; when it frees a Qt object owned by the GUI thread from a
    worker, Qt crashes. So automatic collection is off and the GUI thread collects on a timer (as Anki does)."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = 10_000):
        super().__init__(parent)
        import gc

        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.collect)
        self._timer.start(interval_ms)

    @staticmethod
    def collect() -> None:
        import gc

        gc.collect()


class Debouncer(QObject):
    """Calls `fn` once the user paused typing for `ms` milliseconds."""

    def __init__(self, ms: int, fn: Callable[[], None], parent: QObject | None = None):
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(ms)
        self._timer.timeout.connect(fn)

    def poke(self) -> None:
        self._timer.start()

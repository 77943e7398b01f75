"""The one operation runner: every service call from a view runs here, off the GUI thread (like Anki's
CollectionOp/QueryOp), with success and failure callbacks; the app-wide data-changed bus.

    self._ops.run(patients.search_patients, text, done=self._show)     # fn(uow, text) in a worker
    self._ops.run(prescriptions.sign, rx_id, done=..., failed=..., progress=self.tr("Signing…"), parent=self)

Failures nobody handles go to `error`, which the main window shows through the one message service. Long work
(`progress=` text) shows a progress dialog once it has taken more than PROGRESS_AFTER_MS. `busy=` widgets (the
Save and Sign buttons) are disabled while the work runs, so a second click cannot save twice. There is no way to
wait for an answer: a flow that needs one step's result before the next (save, then sign; flush, then close)
chains callbacks, so the GUI thread never blocks on the database.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal, Slot
from shiboken6 import isValid

log = logging.getLogger(__name__)

PROGRESS_AFTER_MS = 300


def bind(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Callable[[Any], Any]:
    """fn(uow, *args, **kwargs) as a one-argument callable, for code that hands a service call to the runner."""

    def call(uow: Any) -> Any:
        return fn(uow, *args, **kwargs)

    call.__qualname__ = getattr(fn, "__qualname__", "call")
    return call


def _disable(widgets: Sequence[Any]) -> list[Any]:
    """Disable the enabled ones; returns them, to enable again when the work is done."""
    off = [w for w in widgets if w.isEnabled()]
    for w in off:
        w.setEnabled(False)
    return off


def _enable(widgets: list[Any]) -> None:
    for w in widgets:
        try:
            w.setEnabled(True)
        except RuntimeError as gone:  # the dialog holding it was closed meanwhile
            log.info("busy widget gone: %s", gone)


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


class _Progress(QObject):
    """A busy dialog that appears only if the work is still running after PROGRESS_AFTER_MS."""

    def __init__(self, text: str, parent: Any, owner: QObject):
        super().__init__(owner)
        self._text, self._parent, self._dialog = text, parent, None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._show)
        self._timer.start(PROGRESS_AFTER_MS)

    def _show(self) -> None:
        # Qt's namespace enums take ~15 ms to create on first use: not on the way to the login window
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QProgressDialog

        dialog = QProgressDialog(self._text, "", 0, 0, self._parent)
        dialog.setObjectName("opsProgress")
        dialog.setCancelButton(None)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)
        dialog.show()
        self._dialog = dialog

    def finish(self) -> None:
        self._timer.stop()
        if self._dialog is not None:
            self._dialog.reset()
            self._dialog.deleteLater()
            self._dialog = None
        self.deleteLater()


class Ops(QObject):
    """Owns the worker pool. `db` is a desktop.services.database.Database; `user` a CurrentUser."""

    data_changed = Signal(str, int)  # (what: "patient" | "problems" | "medications" | ..., patient_id)
    busy_changed = Signal(bool)
    error = Signal(object)  # exceptions nobody handled; the main window shows them

    def __init__(self, db, user, parent: QObject | None = None):
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
        progress: str | None = None,
        parent: Any = None,
        busy: Sequence[Any] = (),
        **kwargs: Any,
    ) -> None:
        """Call fn(uow, *args, **kwargs) inside a unit of work in a worker thread; then done(result) or
        failed(exception) on the GUI thread (no `failed`: the `error` signal, shown by the main window)."""
        self.run_plain(self._in_uow(fn, args, kwargs), done=done, failed=failed, progress=progress, parent=parent,
                       busy=busy)

    def _in_uow(self, fn: Callable[..., Any], args: tuple, kwargs: dict) -> Callable[[], Any]:
        db, user = self.db, self.user

        def work() -> Any:
            with db.uow(user) as uow:
                return fn(uow, *args, **kwargs)

        work.__qualname__ = getattr(fn, "__qualname__", "work")
        return work

    def run_plain(
        self,
        work: Callable[[], Any],
        *,
        done: Callable[[Any], None] | None = None,
        failed: Callable[[BaseException], None] | None = None,
        progress: str | None = None,
        parent: Any = None,
        busy: Sequence[Any] = (),
    ) -> None:
        """Run any callable (PDF rendering, file parsing) in a worker."""
        relay = _Relay()
        shown = self._progress_later(progress, parent) if progress else None
        disabled = _disable(busy)
        self._relays.add(relay)
        self.pending += 1
        if self.pending == 1:
            self.busy_changed.emit(True)

        @Slot(object, object, float)
        def finish(result: Any, exc: BaseException | None, secs: float) -> None:
            self._relays.discard(relay)
            if not isValid(self):  # the runner's window (or a test's context) is gone: nobody to tell
                log.info("result of %s dropped, its runner is gone", getattr(work, "__qualname__", work))
                return
            if shown is not None:
                shown.finish()
            self.pending -= 1
            if self.pending == 0:
                self.busy_changed.emit(False)
            _enable(disabled)  # before the callbacks, which may set the buttons' state themselves
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

    def _progress_later(self, text: str, parent: Any) -> _Progress:
        return _Progress(text, parent, self)

    def wait_idle(self, timeout_ms: int = 10000) -> bool:
        """Block until every worker is done: for tests and scripts only (the app closes when `pending` is 0,
        see MainWindow.closeEvent)."""
        return self._pool.waitForDone(timeout_ms)

    def changed(self, what: str, patient_id: int = 0) -> None:
        self.data_changed.emit(what, patient_id)


def run_closers(closers: Sequence[Callable[[Callable[[bool], None]], None] | None],
                then: Callable[[bool], None]) -> None:
    """Ask each closer(answer) in turn (None entries skipped), each answering when its work is done (a note
    saved in a worker); then(True) once all agreed, then(False) at the first that refused."""
    pending = [c for c in closers if c is not None]
    if not pending:
        then(True)
        return
    first, rest = pending[0], pending[1:]
    first(lambda ok: run_closers(rest, then) if ok else then(False))


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


def run_detached(work: Callable[[], Any], done: Callable[[Any, BaseException | None], None]) -> None:
    """Before anyone is logged in (no Ops yet: opening the database, the login itself): work() in the shared
    pool, then done(result, error) on the GUI thread."""
    relay = _Relay()
    _detached.add(relay)

    @Slot(object, object, float)
    def finish(result: Any, exc: BaseException | None, _secs: float) -> None:
        _detached.discard(relay)
        done(result, exc)

    relay.finished.connect(finish)
    QThreadPool.globalInstance().start(_Task(work, relay))


_detached: set[_Relay] = set()  # relays alive until their result is delivered

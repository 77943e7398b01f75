"""PDF preview (QtPdf's QPdfView) with Print (QPrintDialog; pages rendered at printer resolution off the GUI
thread) and Save as PDF.

    dlg = PdfPreviewDialog(job.pdf, job.title, on_output=record, suggested_name="rx.pdf")
`on_output(answer)` runs when the document is really printed or saved: it records the print in a worker and
calls answer(None) once recorded, or answer(error) when refused; then nothing is printed and a saved file is
removed again. The dialog never waits for it: Print and Save are off until the answer comes.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QIODevice,
    QObject,
    QRect,
    QRunnable,
    QSize,
    QThreadPool,
    Signal,
)
from PySide6.QtGui import QImage, QKeySequence, QPageLayout, QPageSize, QPainter, QShortcut
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.widgets.dialog_base import BaseDialog
from desktop.widgets.messages import MessageService, get_messages

log = logging.getLogger(__name__)

MAX_RENDER_DPI = 600  # printer resolution, capped: a 1200-dpi page image would need ~0.5 GB


def load_document(pdf: bytes, parent: QObject | None = None) -> tuple[QPdfDocument, QBuffer]:
    """A QPdfDocument over the bytes (the buffer must live as long as the document)."""
    doc = QPdfDocument(parent)
    buffer = QBuffer(parent)
    buffer.setData(QByteArray(pdf))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    doc.load(buffer)
    if doc.status() != QPdfDocument.Status.Ready:
        raise ValueError(f"the PDF cannot be shown ({doc.error().name})")
    return doc, buffer


class _Relay(QObject):
    page = Signal(int, QImage)
    finished = Signal(str)  # "" on success, else the error


class _RenderPages(QRunnable):
    """Renders each page to an image at `dpi` in a worker thread (its own QPdfDocument)."""

    def __init__(self, pdf: bytes, dpi: int, relay: _Relay):
        super().__init__()
        self.pdf, self.dpi, self.relay = pdf, dpi, relay
        self.cancelled = False

    def run(self) -> None:
        try:
            doc, _buffer = load_document(self.pdf)
            for i in range(doc.pageCount()):
                if self.cancelled:
                    break
                pts = doc.pagePointSize(i)
                size = QSize(round(pts.width() * self.dpi / 72), round(pts.height() * self.dpi / 72))
                image = doc.render(i, size)
                if image.isNull():
                    raise RuntimeError(f"page {i + 1} could not be rendered")
                self.relay.page.emit(i, image)
            self.relay.finished.emit("")
        except Exception as exc:  # delivered to the GUI thread and shown; never lost in the worker
            log.exception("rendering for print failed")
            self.relay.finished.emit(str(exc) or type(exc).__name__)


Answer = Callable[[BaseException | None], None]


class PdfPreviewDialog(BaseDialog):
    sig_output = Signal(str)  # "print" | "save"
    sig_print_done = Signal(bool)  # printing finished (True) or refused/failed/cancelled (False)
    sig_save_done = Signal(bool)  # the saved file was recorded (True) or refused and removed again (False)

    def __init__(self, pdf: bytes, title: str, *, on_output: Callable[[Answer], None] | None = None,
                 suggested_name: str = "document.pdf", messages: MessageService | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.pdf = pdf
        self.on_output = on_output
        self.suggested_name = suggested_name
        self.messages = messages or get_messages()
        self.document, self._buffer = load_document(pdf, self)
        self.view = QPdfView(self)
        self.view.setDocument(self.document)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.info = QLabel(self.tr("%n page(s)", "", self.document.pageCount()))
        zoom_in = QPushButton(self.tr("Zoom +"))
        zoom_out = QPushButton(self.tr("Zoom −"))
        fit = QPushButton(self.tr("Fit width"))
        zoom_in.clicked.connect(lambda: self._zoom(1.25))
        zoom_out.clicked.connect(lambda: self._zoom(0.8))
        fit.clicked.connect(lambda: self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth))
        bar = QHBoxLayout()
        for w in (zoom_out, zoom_in, fit):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.info)
        self.print_button = QPushButton(self.tr("Print…"))
        self.save_button = QPushButton(self.tr("Save as PDF…"))
        self.print_button.setDefault(True)
        buttons = QDialogButtonBox()
        buttons.addButton(self.print_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Close).clicked.connect(self.reject)
        self.print_button.clicked.connect(self.print_dialog)
        self.save_button.clicked.connect(self.save_dialog)
        QShortcut(QKeySequence.StandardKey.Print, self, activated=self.print_dialog)
        QShortcut(QKeySequence.StandardKey.Save, self, activated=self.save_dialog)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)
        self.resize(820, 960)
        self._task: _RenderPages | None = None
        self._relay: _Relay | None = None
        self._painter: QPainter | None = None
        self._progress: QProgressDialog | None = None

    def _zoom(self, factor: float) -> None:
        self.view.setZoomMode(QPdfView.ZoomMode.Custom)
        self.view.setZoomFactor(max(0.25, min(4.0, self.view.zoomFactor() * factor)))

    # ---------------------------------------------------------------- recording
    def _record(self, then: Callable[[bool], None]) -> bool:
        """Record the output (in a worker), then then(recorded). False: a print or save is already under way."""
        if self._recording or self._task is not None:
            return False
        if self.on_output is None:
            then(True)
            return True
        self._recording = True
        self.print_button.setEnabled(False)
        self.save_button.setEnabled(False)

        def answer(error: BaseException | None) -> None:
            self._recording = False
            self.print_button.setEnabled(True)
            self.save_button.setEnabled(True)
            if error is not None:  # the service's reason (permission, printed elsewhere) is shown to the user
                self.messages.error(self, error)
            then(error is None)

        self.on_output(answer)
        return True

    _recording = False

    # ---------------------------------------------------------------- save
    def save_dialog(self) -> None:
        name, _filter = QFileDialog.getSaveFileName(self, self.tr("Save as PDF"), self.suggested_name,
                                                    self.tr("PDF documents (*.pdf)"))
        if name:
            self.save_to(Path(name))

    def save_to(self, path: Path) -> bool:
        """Write the file, then record it; sig_save_done tells the outcome (a refused save is removed again).
        False: it could not be written, or an output is already being recorded."""
        if self._recording or self._task is not None:
            return False
        path = Path(path)
        if path.suffix.lower() != ".pdf":
            path = path.with_suffix(".pdf")
        try:
            write_private(path, self.pdf)
        except OSError as exc:
            self.messages.error(self, self.tr("Cannot write %1: %2").replace("%1", str(path)).replace(
                "%2", exc.strerror or str(exc)))
            return False

        def recorded(ok: bool) -> None:
            if ok:
                self.sig_output.emit("save")
            else:
                path.unlink(missing_ok=True)
            self.sig_save_done.emit(ok)

        return self._record(recorded)

    # ---------------------------------------------------------------- print
    def print_dialog(self) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        dialog.setWindowTitle(self.tr("Print %1").replace("%1", self.windowTitle()))
        self.print_setup = dialog  # tests drive it
        dialog.accepted.connect(lambda: self.print_to(printer))
        dialog.open()

    def print_to(self, printer: QPrinter) -> bool:
        """Record the print (in a worker), then render the pages at the printer's resolution in a worker and
        send them; sig_print_done tells the outcome (False when the record was refused: nothing printed).
        False here: a print or save is already under way."""

        def recorded(ok: bool) -> None:
            if ok:
                self._send(printer)
            else:
                self.sig_print_done.emit(False)

        return self._record(recorded)

    def _send(self, printer: QPrinter) -> None:
        first = self.document.pagePointSize(0)
        printer.setFullPage(True)  # the PDF carries its own margins
        printer.setPageSize(QPageSize(first, QPageSize.Unit.Point))
        printer.setPageOrientation(QPageLayout.Orientation.Portrait)
        printer.setDocName(self.windowTitle())
        dpi = min(printer.resolution(), MAX_RENDER_DPI)
        self._painter = QPainter()
        if not self._painter.begin(printer):
            self._painter = None
            self.messages.error(self, self.tr("The printer could not be started."))
            self.sig_print_done.emit(False)
            return
        self._printer = printer
        self._progress = QProgressDialog(self.tr("Sending to the printer…"), self.tr("Cancel"), 0,
                                         self.document.pageCount(), self)
        self._progress.setMinimumDuration(300)  # only for work over ~300 ms
        self._progress.canceled.connect(self._cancel)
        self._relay = _Relay()
        self._relay.page.connect(self._paint_page)
        self._relay.finished.connect(self._finished)
        self._task = _RenderPages(self.pdf, dpi, self._relay)
        self._task.setAutoDelete(False)
        QThreadPool.globalInstance().start(self._task)

    def _paint_page(self, index: int, image: QImage) -> None:
        if self._painter is None:
            return
        if index > 0:
            self._printer.newPage()
        target = self._printer.pageLayout().fullRectPixels(self._printer.resolution())
        scaled = QRect(0, 0, target.width(), target.height())
        self._painter.drawImage(scaled, image)
        if self._progress is not None:
            self._progress.setValue(index + 1)

    def _cancel(self) -> None:
        if self._task is not None:
            self._task.cancelled = True

    def _finished(self, error: str) -> None:
        ok = not error and not (self._task and self._task.cancelled)
        if self._painter is not None:
            self._painter.end()
            self._painter = None
        if self._progress is not None:
            self._progress.reset()
            self._progress = None
        self._task = None
        if error:
            self.messages.error(self, self.tr("Printing failed: %1").replace("%1", error))
        if ok:
            self.sig_output.emit("print")
        self.sig_print_done.emit(ok)


def write_private(path: Path, data: bytes) -> None:
    """A patient's record on disk is readable by its owner only (mode 600), as the command line's --out; a
    file being replaced loses its wider mode first."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        if hasattr(os, "fchmod"):  # not on Windows, whose files have no such bits
            os.fchmod(fh.fileno(), 0o600)
        fh.write(data)


def preview_job(job, record: Callable[[object, Answer], None], parent: QWidget | None = None,
                messages: MessageService | None = None) -> PdfPreviewDialog:
    """A preview for a services PrintJob; `record(job, answer)` runs when it is printed or saved (see
    recorder)."""
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in job.refs[0])[:40] if job.refs else "document"
    return PdfPreviewDialog(job.pdf, job.title, on_output=lambda answer: record(job, answer),
                            suggested_name=f"{job.document}-{safe}.pdf", messages=messages, parent=parent)


def show_document(ctx, prepare: Callable, *args, parent: QWidget | None = None,
                  on_shown: Callable[[PdfPreviewDialog], None] | None = None, **kwargs) -> None:
    """Prepare a document off the GUI thread (`prepare(uow, *args)` returning a PrintJob), then open the
    preview; printing or saving records it. For menus:

        show_document(ctx, prescriptions.prepare_rx_print, [rx_id], parent=window)
        show_document(ctx, documents.summary_document, mrn, parent=window)
        show_document(ctx, documents.note_document, encounter_id, parent=window)
    """
    def done(job) -> None:
        # printing or saving goes out only once the print is recorded (in a worker): if refused, nothing does
        dialog = preview_job(job, recorder(ctx.ops), parent=parent, messages=ctx.messages)
        if on_shown is not None:
            on_shown(dialog)
        dialog.open()  # window-modal, does not block the event loop

    ctx.ops.run(prepare, *args, done=done, failed=lambda exc: ctx.messages.error(parent, exc), **kwargs)


def recorder(ops) -> Callable[[object, Answer], None]:
    """record(job, answer): services.prescriptions.record_print in a worker, then answer(None) or answer(error)."""
    from desktop.services.prescriptions import record_print

    def record(job, answer: Answer) -> None:
        ops.run(record_print, job, done=lambda _r: answer(None), failed=answer)

    return record


__all__ = ["PdfPreviewDialog", "load_document", "preview_job", "recorder", "show_document", "write_private"]

"""Review a patient's PHR file and merge it into the chart, item by item.

Reading and validating run in the background with a progress bar and Cancel. The review shows, per tab
(Problems, Medications, Allergies, Immunizations, Vitals & readings), each file item beside the chart's with
source system, author and date; NEW items start checked (unless rejected in an earlier import: "rejected on DATE
by NAME"), DUPLICATE ones unchecked and greyed, CHANGED and CONFLICT ones need a decision. Before the merge the alert checks run on the merged lists; a physician must
confirm, with a reason, a file whose patient does not match the chart; a file that names no patient needs the
user's confirmation that the patient owns it (recorded with their name). Nurses may merge vitals and readings.

    dialog = PhrImportDialog(ctx, patient_id, path, parent=chart_window)
    dialog.sig_applied.connect(...)      # import id, after the merge was committed
    dialog.open()
"""

from __future__ import annotations

import threading
from functools import partial
from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QProgressDialog,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.dates import show_date
from desktop.phr import (
    CLINICAL_CATEGORIES,
    Decision,
    ImportPlan,
    ItemStatus,
    ParsedFile,
    PhrError,
    ReadCancelled,
    SeveralPatients,
    Verdict,
    read_file,
)
from desktop.services import phr_import as service
from desktop.services.alert_decisions import Decision as AlertDecision
from desktop.services.alert_decisions import NeedsDecision
from desktop.services.errors import Cancelled
from desktop.services.permissions import Permission
from desktop.widgets.alert_dialog import decide
from desktop.widgets.dialog_base import BaseDialog
from desktop.widgets.phr_review_models import (
    COL_CHART,
    COL_CHART_SOURCE,
    COL_CHECK,
    COL_DECISION,
    COL_DIFF,
    COL_FILE,
    COL_FILE_SOURCE,
    COL_STATUS,
    DecisionBook,
    DecisionDelegate,
    PlanItemsModel,
    ReadingSeriesModel,
    comparison_html,
    entries_raising,
)
from desktop.widgets.progress_dialog import close_progress, open_progress
from desktop.widgets.table_model import Column, DataclassTableModel

from .context import AppContext

TABS = (("problems", "&Problems"), ("medications", "&Medications"), ("allergies", "&Allergies"),
        ("immunizations", "&Immunizations"), ("observations", "&Vitals && readings"), ("results", "&Results"),
        ("procedures", "Proce&dures"), ("social_history", "So&cial history"), ("family_history", "Famil&y history"),
        ("encounters", "Outside visi&ts"))
VERDICT_STYLE = {
    Verdict.MATCH: ("#1b5e20", "Same patient"),
    Verdict.PARTIAL: ("#e65100", "No contradiction, but the file says little about its patient"),
    Verdict.NO_DEMOGRAPHICS: ("#e65100", "The file names no patient: check it belongs to this chart"),
    Verdict.MISMATCH: ("#b71c1c", "DIFFERENT PATIENT? The file's details do not match this chart"),
}


class _Progress(QObject):
    """Carries progress reports from the reading thread to the GUI thread (queued signal)."""

    changed = Signal(int, int, str)


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


class CategoryTab(QWidget):
    """One category: select-all, a bulk decision for undecided items, the table, the selected row in full."""

    def _show_detail(self, current, _previous=None) -> None:
        if current.isValid():
            self.detail.setText(comparison_html(self.model.item_at(current.row()), self.book))

    def __init__(self, book: DecisionBook, items: list, category: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.category = category
        self.model = PlanItemsModel(book, items, self)
        self.book = book
        lay = QVBoxLayout(self)
        bar = QHBoxLayout()
        self.select_all = QCheckBox(self.tr("Select all new"))
        # ticked when the tab starts with new items ticked (not when its only new item was rejected before)
        self.select_all.setChecked(any(i.status is ItemStatus.NEW and (d := book.get(i.key)) is not None and d.writes
                                       for i in items))
        self.select_all.toggled.connect(self.model.set_all)
        bar.addWidget(self.select_all)
        self.keep_chart = QPushButton(self.tr("Keep the chart for undecided items"))
        self.keep_chart.clicked.connect(lambda: self.model.decide_undecided(Decision.KEEP_CHART))
        self.keep_chart.setVisible(any(i.needs_decision for i in items))
        bar.addWidget(self.keep_chart)
        bar.addStretch(1)
        lay.addLayout(bar)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(COL_DECISION, DecisionDelegate(self.table))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(COL_CHECK, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        header.setSectionResizeMode(COL_FILE, QHeaderView.ResizeMode.Stretch)  # the item itself gets the room
        for col, width in ((COL_STATUS, 80), (COL_FILE_SOURCE, 160), (COL_CHART, 170), (COL_CHART_SOURCE, 110),
                           (COL_DIFF, 150), (COL_DECISION, 110)):
            self.table.setColumnWidth(col, width)
        if any(i.rejected for i in items):  # "NEW · rejected on DATE by NAME (import #N)" read in full
            self.table.resizeColumnToContents(COL_STATUS)
        # the selected row's full comparison: the columns above are cut at the dialog's width
        self.detail = QLabel(self)
        self.detail.setObjectName("comparisonDetail")
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(Qt.TextFormat.RichText)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setStyleSheet("QLabel { background: #f6f8fa; border: 1px solid #d0d7de; padding: 6px; }")
        self.detail.setMinimumHeight(70)
        self.detail.setText(self.tr("Select a row to see the file's item and the chart's side by side in full."))
        self.table.selectionModel().currentRowChanged.connect(self._show_detail)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.detail)
        if category in book.locked:
            note = QLabel(self.tr("Only a physician may merge clinical items; you can merge vitals and readings."))
            note.setStyleSheet("color: #b71c1c;")
            lay.insertWidget(0, note)
            self.select_all.setEnabled(False)
            self.keep_chart.setEnabled(False)


class ReadingsTab(CategoryTab):
    """Vitals listed one by one; device readings summarised per kind (count, date range, daily values)."""

    def __init__(self, book: DecisionBook, plan: ImportPlan, parent: QWidget | None = None):
        single = [i for i in plan.in_category("observations") if not i.series]
        super().__init__(book, single, "observations", parent)
        self.series_model = ReadingSeriesModel(book, plan.series, self)
        box = QWidget(self)
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        title = QLabel(self.tr("Device and patient-entered readings (summarised)"))
        title.setStyleSheet("font-weight: 600;")
        lay.addWidget(title)
        self.series_table = QTableView(box)
        self.series_table.setModel(self.series_model)
        self.series_table.verticalHeader().setVisible(False)
        header = self.series_table.horizontalHeader()
        header.setStretchLastSection(True)  # daily values take what is left ...
        for col in range(1, 7):  # ... after the reading's name, counts, dates and devices are shown in full
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        lay.addWidget(self.series_table)
        split = QSplitter(Qt.Orientation.Vertical, self)
        outer: QVBoxLayout = self.layout()  # type: ignore[assignment]
        outer.removeWidget(self.table)
        split.addWidget(self.table)
        split.addWidget(box)
        outer.addWidget(split)
        self.table.setVisible(bool(single))
        box.setVisible(bool(plan.series))
        self.select_all.setChecked(any(i.status is ItemStatus.NEW for i in plan.in_category("observations")))
        self.select_all.toggled.connect(self.series_model.set_all)


class PhrImportDialog(BaseDialog):
    sig_applied = Signal(int)  # the import id, after the merge was committed

    def __init__(self, ctx: AppContext, patient_id: int, path: str | Path, parent: QWidget | None = None, *,
                 autostart: bool = True):
        super().__init__(parent)
        self.ctx = ctx
        self.patient_id = patient_id
        self.path = Path(path)
        self.parsed: ParsedFile | None = None
        self.plan: ImportPlan | None = None
        self.book: DecisionBook | None = None
        self.tabs_by_category: dict[str, CategoryTab] = {}
        self._cancel = threading.Event()
        self._closed = False
        self._busy = False
        self.alert_dialog: Any = None  # the alert modal while it is up (tests drive it)
        self.setWindowTitle(self.tr("Import health record: %s") % self.path.name)
        self.resize(1200, 660)  # fits a 1280x720 laptop with a title bar and a panel

        self.pages = QStackedWidget(self)
        self.pages.addWidget(self._progress_page())
        self.pages.addWidget(self._choice_page())
        self.review = QWidget(self)
        self.pages.addWidget(self.review)

        self.buttons = QDialogButtonBox(self)
        self.apply_button = self.buttons.addButton(self.tr("Merge into chart"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.apply_button.setEnabled(False)
        self.apply_button.clicked.connect(self.apply)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.clicked.connect(self.reject)
        self.summary = QLabel("", self)

        lay = QVBoxLayout(self)
        lay.addWidget(self.pages, 1)
        foot = QHBoxLayout()
        foot.addWidget(self.summary, 1)
        foot.addWidget(self.buttons)
        lay.addLayout(foot)
        QShortcut(QKeySequence("Ctrl+Return"), self, activated=self.apply)

        self._relay = _Progress(self)
        self._relay.changed.connect(self._on_progress)
        # the merge: a progress dialog with Cancel (the service stops between entries; its transaction is rolled
        # back, the chart stays as it was)
        self._merge_relay = _Progress(self)
        self._merge_relay.changed.connect(self._on_merge_progress)
        self._merge_cancel = threading.Event()
        self.merge_progress: QProgressDialog | None = None
        if autostart:
            self.start()

    # ------------------------------------------------------------ pages
    def _progress_page(self) -> QWidget:
        page = QWidget(self)
        lay = QVBoxLayout(page)
        lay.addStretch(1)
        self.progress_label = QLabel(self.tr("Reading %s …") % self.path.name, page)
        self.progress_bar = QProgressBar(page)
        self.progress_bar.setRange(0, 0)
        lay.addWidget(self.progress_label)
        lay.addWidget(self.progress_bar)
        lay.addStretch(2)
        return page

    def _choice_page(self) -> QWidget:
        page = QWidget(self)
        lay = QVBoxLayout(page)
        lay.addWidget(QLabel(self.tr("This file holds the records of several patients. Which one is this chart's?")))
        self.patient_list = QListWidget(page)
        lay.addWidget(self.patient_list)
        choose = QPushButton(self.tr("Review this patient's records"), page)
        choose.clicked.connect(self._choose_patient)
        self.patient_list.itemDoubleClicked.connect(lambda _i: self._choose_patient())
        lay.addWidget(choose)
        return page

    # ------------------------------------------------------------ reading in the background
    def start(self) -> None:
        path, relay, cancel = self.path, self._relay, self._cancel
        self._busy = True

        def work() -> ParsedFile:
            return read_file(path, progress=relay.changed.emit, cancelled=cancel.is_set)

        self.ctx.ops.run_plain(work, done=self._read_done, failed=self._read_failed)

    def _on_progress(self, done: int, total: int, stage: str) -> None:
        if self._closed:
            return
        if stage == "reading":
            text = self.tr("Reading %s … %s") % (self.path.name, _size(done) + (f" of {_size(total)}" if total else ""))
        else:
            text = self.tr("Checking entries … %d of %d") % (done, total)
        self.progress_label.setText(text)
        if total > 0:
            scale = 1000
            self.progress_bar.setRange(0, scale)
            self.progress_bar.setValue(int(scale * min(done, total) / total))
        else:
            self.progress_bar.setRange(0, 0)

    def _read_failed(self, exc: BaseException) -> None:
        self._busy = False
        if self._closed:
            return
        if isinstance(exc, ReadCancelled):
            super().reject()
            return
        message = str(exc) if isinstance(exc, PhrError) else exc  # PHR errors are sentences for the user
        self.ctx.messages.error(self, message, title=self.tr("This file cannot be imported"))
        super().reject()

    def _read_done(self, parsed: ParsedFile) -> None:
        self._busy = False
        if self._closed:
            return
        self.parsed = parsed
        self.progress_label.setText(self.tr("Comparing with the chart …"))
        self._make_plan(None)

    def _make_plan(self, ref: str | None) -> None:
        self._busy = True
        self.ctx.ops.run(service.plan_import, self.patient_id, self.parsed, ref, done=self._show_plan,
                         failed=self._plan_failed)

    def _plan_failed(self, exc: BaseException) -> None:
        self._busy = False
        if self._closed:
            return
        if isinstance(exc, SeveralPatients):
            self.patient_list.clear()
            for ref, name in zip(exc.refs, exc.names + [""] * len(exc.refs), strict=False):
                self.patient_list.addItem(f"{name or ref}")
                self.patient_list.item(self.patient_list.count() - 1).setData(Qt.ItemDataRole.UserRole, ref)
            self.patient_list.setCurrentRow(0)
            self.pages.setCurrentIndex(1)
            return
        self.ctx.messages.error(self, exc)
        super().reject()

    def _choose_patient(self) -> None:
        item = self.patient_list.currentItem()
        if item is None:
            return
        self.pages.setCurrentIndex(0)
        self._make_plan(item.data(Qt.ItemDataRole.UserRole))

    # ------------------------------------------------------------ the review
    def _show_plan(self, plan: ImportPlan) -> None:
        self._busy = False
        if self._closed:
            return
        self.plan = plan
        locked = () if self.ctx.can(Permission.IMPORT_PHR_CLINICAL) else CLINICAL_CATEGORIES
        self.book = DecisionBook(plan, locked, self)
        self.book.changed.connect(self._update)
        lay = QVBoxLayout(self.review)
        lay.addWidget(self._file_header(plan))
        lay.addWidget(self._identity_panel(plan))
        self.tabs = QTabWidget(self.review)
        for category, title in TABS:
            tab = ReadingsTab(self.book, plan, self.tabs) if category == "observations" else \
                CategoryTab(self.book, list(plan.in_category(category)), category, self.tabs)
            self.tabs_by_category[category] = tab
            self.tabs.addTab(tab, self._tab_title(category, title))
        self.tabs.addTab(self._skipped_tab(plan), self.tr("&Not imported (%d)") % len(plan.skipped))
        first = next((n for n, (c, _t) in enumerate(TABS) if plan.in_category(c)), 0)
        self.tabs.setCurrentIndex(first)
        lay.addWidget(self.tabs, 1)
        self.pages.setCurrentIndex(2)
        self._update()

    def _tab_title(self, category: str, title: str) -> str:
        counts = self.plan.counts()[category] if self.plan else {}
        parts = [f"{n} {s}" for s, n in counts.items() if n]
        rejected = sum(1 for i in self.plan.in_category(category) if i.rejected) if self.plan else 0
        if rejected:
            parts.append(self.tr("%d rejected before") % rejected)
        return f"{title} ({', '.join(parts)})" if parts else title

    def _file_header(self, plan: ImportPlan) -> QWidget:
        info = plan.info
        # the file's own words (its name, source, notes about it) are text here, never markup
        text = (f"<b>{escape(info.name)}</b> · {escape(info.file_format)} · {_size(info.size_bytes)} · "
                f"from <b>{escape(info.source_system or self.tr('unknown source'))}</b> · "
                f"SHA-256 {escape(info.sha256[:12])}…")
        if plan.previous_import:
            text += f"<br><span style='color:#e65100'>Already imported: {escape(str(plan.previous_import))}</span>"
        for note in plan.notes[:4]:
            text += f"<br><span style='color:#555'>{escape(note)}</span>"
        label = QLabel(text, self.review)
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setWordWrap(True)
        return label

    def _identity_panel(self, plan: ImportPlan) -> QWidget:
        ident = plan.identity
        colour, headline = VERDICT_STYLE[ident.verdict]
        frame = QFrame(self.review)
        frame.setObjectName("identityPanel")
        frame.setFrameShape(QFrame.Shape.StyledPanel)
        if ident.verdict is Verdict.MISMATCH:
            frame.setStyleSheet("QFrame#identityPanel { border: 2px solid #b71c1c; }")
        lay = QVBoxLayout(frame)
        fp = plan.file_patient
        who = fp.display_name if fp and (fp.family or fp.given) else self.tr("(no name in the file)")
        born = fp.birth_date.isoformat() if fp and fp.birth_date else "?"
        self.identity_label = QLabel(
            f"<span style='color:{colour}; font-weight:700'>{headline}</span> — file: {escape(who)}, born {born}"
            f" (score {ident.score:.2f})", frame)
        self.identity_label.setTextFormat(Qt.TextFormat.RichText)
        lay.addWidget(self.identity_label)
        evidence = QLabel("<br>".join(escape(e.sentence) for e in ident.evidence), frame)
        evidence.setTextFormat(Qt.TextFormat.RichText)
        evidence.setStyleSheet("color: #444;")
        lay.addWidget(evidence)
        mismatch = ident.verdict is Verdict.MISMATCH
        unnamed = ident.verdict.needs_confirmation  # nothing ties the file to the chart but the patient's word
        self.confirm_identity = QCheckBox(
            self.tr("I confirmed with the patient that this file is theirs") if unnamed
            else self.tr("I confirm this file belongs to this patient"), frame)
        self.identity_reason = QLineEdit(frame)
        self.identity_reason.setPlaceholderText(self.tr("Reason (required), e.g. name changed after marriage"))
        row = QHBoxLayout()
        row.addWidget(self.confirm_identity)
        row.addWidget(self.identity_reason, 1)
        lay.addLayout(row)
        self.confirm_identity.setVisible(mismatch or unnamed)
        self.identity_reason.setVisible(mismatch)
        for w in (self.confirm_identity, self.identity_reason):
            w.setEnabled(unnamed or self.ctx.can(Permission.IMPORT_PHR_CLINICAL))
        if mismatch and not self.ctx.can(Permission.IMPORT_PHR_CLINICAL):
            lay.addWidget(QLabel(self.tr("Only a physician may confirm a file whose patient does not match.")))
        self.confirm_identity.toggled.connect(self._update)
        self.identity_reason.textChanged.connect(self._update)
        return frame

    def _skipped_tab(self, plan: ImportPlan) -> QWidget:
        view = QTableView(self.review)
        model = DataclassTableModel([Column("Entry", lambda s: s.item), Column("Why not imported", lambda s: s.reason)],
                                    view)
        model.set_rows(plan.skipped)
        view.setModel(model)
        view.horizontalHeader().setStretchLastSection(True)
        view.verticalHeader().setVisible(False)
        self.skipped_model = model
        return view

    # ------------------------------------------------------------ state
    def identity_ok(self) -> bool:
        if self.plan is not None and self.plan.identity.verdict.needs_confirmation:
            return self.confirm_identity.isChecked()
        if self.plan is None or self.plan.identity.verdict is not Verdict.MISMATCH:
            return True
        return (self.ctx.can(Permission.IMPORT_PHR_CLINICAL) and self.confirm_identity.isChecked()
                and bool(self.identity_reason.text().strip()))

    def _update(self) -> None:
        if self.book is None or self.plan is None:
            return
        undecided = len(self.book.undecided())
        selected = self.book.selected_count()
        totals = self.plan.totals()
        parts = [f"{totals.get(s.value, 0)} {s.value}" for s in ItemStatus if totals.get(s.value)]
        text = self.tr("File: %s. Selected to merge: %d.") % (", ".join(parts) or "nothing", selected)
        if undecided:
            text += " " + self.tr("<span style='color:#b71c1c'>%d item(s) need a decision.</span>") % undecided
        if not self.identity_ok():
            text += " " + self.tr("<span style='color:#b71c1c'>Confirm the patient first.</span>")
        if self.book.left_out:
            text += " " + self.tr("<span style='color:#b71c1c'>%d entr(ies) raising alerts left out (marked); "
                                  "tick one to merge it and decide on its alert.</span>") % len(self.book.left_out)
        elif self.book.alerted:
            text += " " + self.tr("<span style='color:#b71c1c'>Merge cancelled: %d entr(ies) raise alerts "
                                  "(marked red).</span>") % len(self.book.alerted)
        self.summary.setText(text)
        self.apply_button.setEnabled(selected > 0 and undecided == 0 and self.identity_ok() and not self._busy)

    # ------------------------------------------------------------ merging
    def apply(self) -> None:
        if not self.apply_button.isEnabled() or self.plan is None or self.book is None:
            return
        self._busy = True
        self.apply_button.setEnabled(False)
        self._merge(self.book.decisions(), AlertDecision.listing())  # first: list every alert the merge raises

    def _merge(self, decisions: dict, decision: AlertDecision) -> None:
        """The merge answers NeedsDecision (nothing written) until its alerts are decided in the alert dialog,
        the same one as adding a medication by hand; then it is sent again with the decision."""
        reason = self.identity_reason.text().strip() or None
        confirmed = self.plan.identity.verdict.needs_confirmation and self.confirm_identity.isChecked()
        self._open_merge_progress()
        merge = partial(service.apply_import, progress=self._merge_relay.changed.emit,
                        cancelled=self._merge_cancel.is_set)
        self.ctx.ops.run(merge, self.patient_id, self.plan, decisions, self.plan.info,
                         identity_override_reason=reason, decision=decision, identity_confirmed=confirmed,
                         done=lambda outcome: self._merged(outcome, decisions, decision),
                         failed=self._apply_failed)

    def _open_merge_progress(self) -> None:
        self._close_merge_progress()
        self._merge_cancel = threading.Event()
        # shown after 300 ms: a small file merges before it would appear
        self.merge_progress = open_progress(self, self.tr("Merging into the chart …"), self.tr("Cancel"),
                                            self.tr("Merging"), "phrMergeProgress", self._merge_cancel)

    def _on_merge_progress(self, done: int, total: int, stage: str) -> None:
        dialog = self.merge_progress
        if dialog is None or self._closed:
            return
        text = {"merging": self.tr("Merging entries … %d of %d"),
                "writing readings": self.tr("Writing readings … %d of %d")}.get(stage, "%d / %d")
        dialog.setLabelText(text % (done, total))
        if total > 0:
            dialog.setRange(0, total)
            dialog.setValue(min(done, total))

    def _close_merge_progress(self) -> None:
        close_progress(self.merge_progress)
        self.merge_progress = None

    def _merged(self, outcome: Any, decisions: dict, decision: AlertDecision) -> None:
        self._close_merge_progress()
        if self._closed:
            return
        if not isinstance(outcome, NeedsDecision):
            self._applied(outcome)
            return
        can_override = self.ctx.can(Permission.OVERRIDE_ALERT)

        def decided(answer: AlertDecision | None) -> None:
            if self._closed:
                return
            if answer is None:  # cancelled, or "Leave these out": the rows behind the alerts are marked
                left_out = bool(getattr(self.alert_dialog, "left_out", False))
                self.book.mark_alerted(entries_raising(outcome.pending or outcome.alerts, self.book),
                                       leave_out=left_out)
                self._busy = False
                self._update()
                return
            self._merge(decisions, decision.then(answer))

        self.alert_dialog = decide(self, outcome, can_override, decided, wording="merge")  # tests drive it

    def _apply_failed(self, exc: BaseException) -> None:
        self._close_merge_progress()
        self._busy = False
        if self._closed:
            return
        if isinstance(exc, Cancelled):  # the user's own Cancel: say the chart is as it was, no error
            self._update()
            self.summary.setText(self.tr("Merge cancelled: nothing was written to the chart."))
            return
        self.ctx.messages.error(self, exc)
        self._update()

    def _applied(self, result: Any) -> None:
        self._busy = False
        if self._closed:
            return
        written = {c: v for c, v in result.written.items() if v}
        summary = "; ".join(f"{c}: " + ", ".join(f"{n} {k}" for k, n in v.items()) for c, v in written.items())
        text = self.tr("Merged into the chart (import #%s): %s.") % (result.import_id, summary) if result.applied \
            else self.tr("Nothing was merged.")
        for note in result.notes:
            text += "\n" + note
        self.ctx.messages.info(self, text, title=self.tr("Health record imported"))
        for category in written:
            self.ctx.ops.changed(category, self.patient_id)
        if result.applied:
            self.ctx.ops.changed("phr_import", self.patient_id)
            self.sig_applied.emit(result.import_id)
        self._show_critical_results(result)
        self.accept()

    def _show_critical_results(self, result: Any) -> None:
        """Critical laboratory values among the merged results interrupt, in the one alert dialog (information:
        Close only), over the chart the dialog was opened from."""
        critical = [getattr(a, "alert", None) or a for a in getattr(result.alerts, "alerts", ())
                    if getattr(a, "kind", "") == "critical-lab"]
        if not critical:
            return
        from desktop.widgets.alert_dialog import AlertDialog

        dialog = AlertDialog(critical, parent=self.parentWidget())
        self.critical_dialog = dialog  # tests drive it
        dialog.open()

    def reject(self) -> None:
        self._cancel.set()  # a read in progress stops at its next check; its failure callback is then ignored
        self._merge_cancel.set()  # so does a merge (rolled back)
        self._closed = True
        super().reject()

    def accept(self) -> None:
        self._closed = True
        super().accept()


# ------------------------------------------------------------------ menu actions for the chart window

FILE_FILTER = ("Health records (*.json *.ndjson *.xml *.zip *.csv);;FHIR JSON (*.json *.ndjson);;"
               "Apple Health export (*.xml *.zip);;C-CDA (*.xml);;"
               "Health app export: Google Takeout, Samsung Health, Withings, MyFitnessPal (*.zip *.csv *.json);;"
               "All files (*)")


def choose_and_import(ctx: AppContext, patient_id: int, parent: QWidget | None = None) -> PhrImportDialog | None:
    """Chart menu "Import health record…": pick a file, then review it in PhrImportDialog (opened, not exec'd)."""
    from PySide6.QtWidgets import QFileDialog

    path, _filter = QFileDialog.getOpenFileName(parent, parent.tr("Import health record") if parent else
                                                "Import health record", "", FILE_FILTER)
    if not path:
        return None
    dialog = PhrImportDialog(ctx, patient_id, path, parent)
    dialog.open()
    return dialog


def export_chart(ctx: AppContext, patient_id: int, path: str | Path, parent: QWidget | None = None,
                 done: Any = None) -> None:
    """Chart menu "Export as FHIR…": the chart as an R4 collection Bundle, written in the background."""
    from desktop.services.fhir_export import export_patient

    target = Path(path)

    def work(uow: Any) -> int:
        import orjson

        bundle = export_patient(uow, patient_id)
        from .pdf_preview import write_private

        tmp = target.with_name(target.name + ".partial")
        write_private(tmp, orjson.dumps(bundle, option=orjson.OPT_INDENT_2))  # owner-only, as export-fhir
        tmp.replace(target)
        return len(bundle["entry"])

    def finished(count: int) -> None:
        ctx.messages.info(parent, f"{count} FHIR resources written to {target}", title="Chart exported")
        if done is not None:
            done(target)

    ctx.ops.run(work, done=finished, failed=lambda exc: ctx.messages.error(parent, exc))


class PhrImportHistoryDialog(BaseDialog):
    """The chart's PHR imports (file, source, who, when, what it added); an import can be undone with a reason."""

    sig_undone = Signal(int)

    def __init__(self, ctx: AppContext, patient_id: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.patient_id = patient_id
        self.setWindowTitle(self.tr("Health record imports"))
        self.resize(900, 420)
        self.model = DataclassTableModel([
            Column("#", lambda r: r.id), Column("Imported", lambda r: r.imported_at.astimezone()),
            Column("By", lambda r: r.user), Column("File", lambda r: r.file_name),
            Column("Source", lambda r: r.source_system), Column("Added", _added_text),
            Column("Status", lambda r: r.status if r.status != "undone" else f"undone {show_date(r.undone_at)}"),
        ], self)
        self.model.greyed = lambda r: r.status == "undone"
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.reason = QLineEdit(self)
        self.reason.setPlaceholderText(self.tr("Why undo this import? (required)"))
        self.undo_button = QPushButton(self.tr("&Undo import"), self)
        self.undo_button.clicked.connect(self.undo_selected)
        close = QPushButton(self.tr("Close"), self)
        close.clicked.connect(self.accept)
        lay = QVBoxLayout(self)
        lay.addWidget(self.table)
        row = QHBoxLayout()
        row.addWidget(self.reason, 1)
        row.addWidget(self.undo_button)
        row.addWidget(close)
        lay.addLayout(row)
        self.table.selectionModel().selectionChanged.connect(self._update)
        self.reason.textChanged.connect(self._update)
        self._update()
        self.reload()

    def reload(self) -> None:
        self.ctx.ops.run(service.import_history, self.patient_id, done=self._show,
                         failed=lambda exc: self.ctx.messages.error(self, exc))

    def _show(self, records: list) -> None:
        self.model.set_rows(records)
        if records:
            self.table.selectRow(0)
        self._update()

    def selected(self) -> Any:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        return self.model.row_at(rows[0].row()) if rows else None

    def _update(self) -> None:
        record = self.selected()
        self.undo_button.setEnabled(record is not None and record.status == "applied"
                                    and bool(self.reason.text().strip()))

    def undo_selected(self) -> None:
        record = self.selected()
        if record is None or not self.undo_button.isEnabled():
            return
        if not self.ctx.messages.confirm(
                self, self.tr("Undo import #%d (%s)? Every entry it added is marked entered-in-error; entries it "
                              "changed get their earlier values back.") % (record.id, record.file_name),
                yes=self.tr("Undo import")):
            return
        reason = self.reason.text().strip()

        def undone(_count: int) -> None:
            self.reason.clear()
            for what in ("problems", "medications", "allergies", "immunizations", "observations", "results",
                         "procedures", "social_history", "family_history", "encounters", "phr_import"):
                self.ctx.ops.changed(what, self.patient_id)
            self.sig_undone.emit(record.id)
            self.reload()

        self.ctx.ops.run(service.undo_import, record.id, reason, done=undone,
                         failed=lambda exc: self.ctx.messages.error(self, exc))


def _added_text(record: Any) -> str:
    written = record.counts.get("written", {}) if isinstance(record.counts, dict) else {}
    return ", ".join(f"{c} {sum(v.values())}" for c, v in written.items() if v and sum(v.values()))

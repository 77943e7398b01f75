"""Encounters tab: the patient's encounters (newest first, a page at a time) beside the SOAP note editor."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.dates import show_date, show_datetime
from desktop.services import encounters, note_templates
from desktop.services.encounters import EncounterInput, EncounterPage, EncounterRow
from desktop.services.errors import ValidationError
from desktop.services.permissions import Permission
from desktop.views.note_editor import NoteEditor, VisitFields
from desktop.widgets.dialog_base import BaseDialog
from desktop.widgets.hint_label import hint_label
from desktop.widgets.table_model import Column, DataclassTableModel

from .base import FAILED_STYLE, ChartContext, ChartTab, failure_text

PAGE = 100


def _status(row: EncounterRow) -> str:
    return "signed" if row.status == "signed" else "draft"


class EncountersTab(ChartTab):
    watches = ("encounters", "problems")

    def __init__(self, chart: ChartContext, parent: QWidget | None = None):
        super().__init__(chart, parent)
        self._rows: list[EncounterRow] = []
        self._total = 0
        self.can_draft = chart.app.can(Permission.DRAFT_NOTE)
        self.new_button = QPushButton(self.tr("&New encounter…"))
        self.new_button.setObjectName("newEncounter")
        self.new_button.setToolTip(self.tr("Ctrl+Shift+N"))
        self.new_button.setEnabled(self.can_draft)
        self.new_button.clicked.connect(self.new_encounter)
        QShortcut(QKeySequence("Ctrl+Shift+N"), self, activated=self.new_encounter)
        self.count_label = hint_label()
        self.error_button = QPushButton(self.tr("Entered in error…"))
        self.error_button.setObjectName("encounterInError")
        self.error_button.setToolTip(self.tr("Ctrl+Del: wrong patient or duplicate (the note is kept, with the reason)"))
        self.error_button.setEnabled(self.can_draft)
        self.error_button.clicked.connect(self.mark_in_error)
        QShortcut(QKeySequence("Ctrl+Del"), self, activated=self.mark_in_error)
        self.more_button = QPushButton(self.tr("Load older…"))
        self.more_button.setVisible(False)
        self.more_button.clicked.connect(self.load_more)

        self.model = DataclassTableModel([
            Column(self.tr("Date"), lambda r: show_date(r.encounter_date)),
            Column(self.tr("Type"), lambda r: self.tr(r.kind_label)),
            Column(self.tr("Reason"), lambda r: r.reason, tooltip=lambda r: r.reason),
            Column(self.tr("Diagnoses"), lambda r: r.diagnoses, tooltip=lambda r: r.diagnoses),
            Column(self.tr("Provider"), lambda r: r.provider),
            Column(self.tr("Status"), lambda r: self.tr(_status(r)),
                   color=lambda r: None if r.status == "signed" else "#9a6700",
                   tooltip=lambda r: f"{r.signed_by} {show_datetime(r.signed_at)}" if r.signed_at else ""),
        ], self)
        self.table = QTableView()
        self.table.setObjectName("encounterList")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)  # the reason takes what is left
        for col, width in enumerate((82, 82, 0, 96, 96, 56)):
            if width:
                self.table.setColumnWidth(col, width)
        self.table.activated.connect(lambda index: self.open_row(index.row()))
        self.table.doubleClicked.connect(lambda index: self.open_row(index.row()))

        self.editor = NoteEditor(chart.app, chart.patient_id)
        self.editor.setObjectName("noteEditor")
        self.placeholder = QLabel(self.tr("Select an encounter (Enter) or create one (Ctrl+Shift+N)."))
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setStyleSheet("color: #666;")
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.placeholder)
        right_layout.addWidget(self.editor, 1)
        self.editor.setVisible(False)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(self.new_button)
        top.addWidget(self.error_button)
        top.addStretch(1)
        top.addWidget(self.count_label)
        left_layout.addLayout(top)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.more_button)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        self.splitter = splitter
        self._share_width(note_open=False)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

    def _share_width(self, note_open: bool) -> None:
        """No note open: the list takes most of the width (the reasons are readable); a note open: the note."""
        total = max(self.splitter.width(), 1360)
        list_part = int(total * (0.4 if note_open else 0.72))
        self.splitter.setSizes([list_part, total - list_part])

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if not self.editor.isVisible():
            self._share_width(note_open=False)

    # ---- list
    def load(self) -> None:
        shown = max(PAGE, len(self._rows))  # a reload keeps the pages already loaded
        self.chart.ops.run(encounters.list_encounters, self.chart.patient_id, 0, shown, done=self._show_page,
                           failed=self._list_failed)
        self.editor.refresh_problems()

    def _show_page(self, page: EncounterPage) -> None:
        selected = self.selected_id()
        self._rows = list(page.rows)
        self._total = page.total
        self.model.set_rows(self._rows)
        self._after_rows(selected)

    def load_more(self) -> None:
        self.chart.ops.run(encounters.list_encounters, self.chart.patient_id, len(self._rows), PAGE,
                           done=self._append_page, failed=self._failed)

    def _append_page(self, page: EncounterPage) -> None:
        selected = self.selected_id()
        known = {r.id for r in self._rows}
        self._rows.extend(r for r in page.rows if r.id not in known)
        self._total = page.total
        self.model.set_rows(self._rows)
        self._after_rows(selected)

    def _after_rows(self, selected: int | None) -> None:
        shown = len(self._rows)
        self.count_label.setText(self.tr("{shown} of {total}").format(shown=shown, total=self._total)
                                 if self._total > shown else self.tr("{total} encounters").format(total=self._total))
        self.more_button.setVisible(self._total > shown)
        target = self.editor.encounter_id if self.editor.encounter_id is not None else selected
        for i, r in enumerate(self._rows):
            if r.id == target:
                self.table.selectRow(i)
                break

    def selected_id(self) -> int | None:
        index = self.table.currentIndex()
        return self._rows[index.row()].id if index.isValid() and index.row() < len(self._rows) else None

    def mark_in_error(self) -> None:
        """Wrong patient or duplicate: the encounter leaves the list but is never deleted (reason required)."""
        from .entry_dialogs import ReasonDialog

        encounter_id = self.selected_id()
        if encounter_id is None or not self.can_draft:
            return
        dialog = ReasonDialog(self.tr("Encounter entered in error"),
                              self.tr("Mark this encounter as entered in error? It stays in the record with "
                                      "your reason but leaves the list."), self)
        self.reason_dialog = dialog  # tests drive it
        dialog.accepted.connect(lambda: self.chart.ops.run(
            _mark_in_error, encounter_id, dialog.reason(), done=lambda _r: self._marked(encounter_id),
            failed=self._failed))
        dialog.open()

    def _marked(self, encounter_id: int) -> None:
        if self.editor.encounter_id == encounter_id:
            self.editor.clear()
            self.editor.setVisible(False)
            self.placeholder.setVisible(True)
            self._share_width(note_open=False)
        self.chart.ops.changed("encounters", self.chart.patient_id)

    def _failed(self, exc: BaseException) -> None:
        self.chart.app.messages.error(self, exc)

    def _list_failed(self, exc: BaseException) -> None:
        self.placeholder.setText(failure_text(self.tr("Encounters"), exc))
        self.placeholder.setStyleSheet(FAILED_STYLE)
        self.placeholder.setVisible(True)
        self.failed(self.tr("Encounters"), exc)

    # ---- editor
    def open_row(self, row: int) -> None:
        if 0 <= row < len(self._rows):
            self.open_encounter(self._rows[row].id)

    def current_encounter_id(self) -> int | None:
        """The note open in the editor (the chart menu prints it)."""
        return self.editor.encounter_id

    def open_encounter(self, encounter_id: int, then=None) -> None:
        """Show a note: the open one is flushed (and maybe saved) first, then the new one is read, all in
        workers; then(opened) when done (the editor's sig_opened too)."""
        answer = then or (lambda _ok: None)
        if self.editor.encounter_id == encounter_id:
            self.editor.setFocus()
            answer(True)
            return

        def closed(ok: bool) -> None:
            if ok:
                self.editor.open_encounter(encounter_id, then=opened)
            else:
                answer(False)

        def opened(ok: bool) -> None:
            if ok:
                self._show_editor(encounter_id)
            answer(ok)

        self.editor.before_close(closed)

    def _show_editor(self, encounter_id: int) -> None:
        self.placeholder.setVisible(False)
        self.editor.setVisible(True)
        self._share_width(note_open=True)
        row = next((i for i, r in enumerate(self._rows) if r.id == encounter_id), None)
        if row is not None and row != self.table.currentIndex().row():
            self.table.selectRow(row)
        self.editor.editors["subjective"].setFocus()

    def new_encounter(self) -> None:
        if not self.can_draft:
            return
        self.chart.ops.run(encounters.list_providers, done=self._ask_new_encounter, failed=self._failed)

    def _ask_new_encounter(self, providers: list) -> None:
        dialog = NewEncounterDialog(self.chart.app, self.chart.patient_id, providers, self)
        self.new_dialog = dialog  # tests drive it
        dialog.sig_created.connect(lambda created: self._created(created.id))
        dialog.open()

    def _created(self, encounter_id: int) -> None:
        self.chart.ops.changed("encounters", self.chart.patient_id)
        self.open_encounter(encounter_id)

    def before_close(self, then) -> None:
        self.editor.before_close(then)


class NewEncounterDialog(BaseDialog):
    sig_created = Signal(object)

    def __init__(self, ctx, patient_id: int, providers, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.patient_id = patient_id
        self.created = None
        self.setWindowTitle(self.tr("New encounter"))
        self.fields = VisitFields(self, providers, provider_id=ctx.user.id)
        self.when, self.kind, self.provider = self.fields.when, self.fields.kind, self.fields.provider
        self.reason = QLineEdit()
        self.reason.setObjectName("reason")
        self.reason.setMaxLength(300)
        self.reason.setPlaceholderText(self.tr("from the template when empty"))
        self.template = QComboBox()
        self.template.setObjectName("template")
        self.template.addItem(self.tr("(blank note)"), "")
        for t in note_templates.list_templates():
            self.template.addItem(self.tr(t.title), t.key)
        self.template.currentIndexChanged.connect(self._template_changed)
        self.errors = QLabel()
        self.errors.setObjectName("errors")
        self.errors.setStyleSheet("color: #b00020;")
        self.errors.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.tr("&Date and time"), self.when)
        form.addRow(self.tr("T&ype"), self.kind)
        form.addRow(self.tr("&Template"), self.template)
        form.addRow(self.tr("&Reason"), self.reason)
        form.addRow(self.tr("&Provider"), self.provider)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(self.tr("Create"))
        self.ok_button.setDefault(True)
        buttons.accepted.connect(self.create)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.errors)
        layout.addWidget(buttons)
        self.template.setFocus()

    def _template_changed(self) -> None:
        t = note_templates.get_template(self.template.currentData() or "")
        self.reason.setPlaceholderText(t.reason if t and t.reason else self.tr("reason for the visit"))

    def create(self) -> None:
        visit = self.fields.value()
        inp = EncounterInput(encounter_date=visit.encounter_date, kind=visit.kind, reason=self.reason.text(),
                             provider_id=visit.provider_id, template=self.template.currentData() or "")
        self.ok_button.setEnabled(False)
        self.ctx.ops.run(encounters.create_encounter, self.patient_id, inp, done=self._done, failed=self._refused)

    def _done(self, created) -> None:
        self.ok_button.setEnabled(True)
        self.created = created
        self.sig_created.emit(created)
        self.accept()

    def _refused(self, exc: BaseException) -> None:
        self.ok_button.setEnabled(True)
        if isinstance(exc, ValidationError):
            self.errors.setText("\n".join(self.tr(m) for m in exc.errors.values()))
        else:  # shown and logged; the dialog stays open
            self.ctx.messages.error(self, exc)


def _mark_in_error(uow, encounter_id: int, reason: str):
    """Entered in error at the version stored now (the list shows no version), in one unit of work."""
    details = encounters.get_encounter(uow, encounter_id)
    return encounters.mark_encounter_in_error(uow, encounter_id, reason, details.version)

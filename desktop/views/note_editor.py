"""SOAP note editor: templates, today's vitals, diagnosis links, autosave every 3 s, sign, addenda.

The editor never loses typing: the text is autosaved (NoteAutosave, not the note itself) every few seconds
and when the chart closes; reopening offers the unsaved text. A stale save opens NoteConflictDialog with both
versions side by side; "keep both" is the default so nothing disappears.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from html import escape

from PySide6.QtCore import QDateTime, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeySequence, QShortcut, QTextCursor
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDateTimeEdit,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.dates import QT_DATETIME, show_date, show_datetime
from desktop.services import encounters, history_summary, note_templates, results
from desktop.services.encounters import EncounterDetails, NoteContent, ProblemChoice, VisitInput
from desktop.services.errors import ConflictError, ValidationError
from desktop.services.permissions import Permission
from desktop.widgets.dialog_base import BaseDialog
from desktop.widgets.hint_label import hint_label, hint_style

from .context import AppContext

log = logging.getLogger(__name__)

AUTOSAVE_MS = 3000
SECTIONS = (("subjective", "&Subjective"), ("objective", "&Objective"), ("assessment", "&Assessment"),
            ("plan", "&Plan"))
BOTH_SEPARATOR = "\n— saved by {who} —\n"


Then = Callable[[bool], None]


def _ignore(_ok: bool) -> None:
    """The default `then` of a flow nobody waits for."""


class NoteEditor(QWidget):
    """Every read and write runs in a worker through ctx.ops; flows that need one answer before the next step
    (open, then offer recovery; flush, ask, save, then close) chain callbacks: `then(ok)` is called on the GUI
    thread when the flow is over. Save and Sign are disabled while a save runs."""

    sig_saved = Signal(object)  # EncounterDetails after a save, sign or addendum
    sig_closed = Signal()
    sig_opened = Signal(object)  # EncounterDetails once a note is shown (and any autosaved text was offered)

    def __init__(self, ctx: AppContext, patient_id: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.patient_id = patient_id
        self.details: EncounterDetails | None = None
        self.version = 0
        self._saved = NoteContent()  # what the database holds (for "unsaved changes")
        self._autosaved = NoteContent()  # what the last autosave wrote
        self._problems: list[ProblemChoice] = []
        self._dx: list[ProblemChoice] = []
        self.can_sign = ctx.can(Permission.SIGN_NOTE)
        self.can_draft = ctx.can(Permission.DRAFT_NOTE)
        self.storing = False  # a save or signature is in a worker: no second one
        self._after_store: list[Callable[[], None]] = []  # flows that wait for it (closing during a save)

        self.title = QLabel()
        self.title.setObjectName("noteTitle")
        self.title.setStyleSheet("font-size: 12pt; font-weight: 600;")
        self.visit_button = QPushButton(self.tr("Visit &details…"))
        self.visit_button.setObjectName("visitButton")
        self.visit_button.setToolTip(self.tr("Correct the date, type or physician of this draft"))
        self.visit_button.clicked.connect(lambda: self.edit_visit())  # not clicked(bool) as `then`
        self.visit_dialog: VisitDialog | None = None
        self.signature = QLabel()
        self.signature.setObjectName("signatureBanner")
        self.signature.setStyleSheet("QLabel { background: #e6f4ea; color: #0d652d; padding: 6px; "
                                     "border: 1px solid #a8dab5; border-radius: 3px; font-weight: 600; }")
        self.signature.setVisible(False)
        self.reason = QLineEdit()
        self.reason.setObjectName("reason")
        self.reason.setMaxLength(300)
        self.template = QComboBox()
        self.template.setObjectName("template")
        self.template.addItem(self.tr("(choose a template)"), "")
        for t in note_templates.list_templates():
            self.template.addItem(self.tr(t.title), t.key)
        self.apply_template_button = QPushButton(self.tr("Appl&y template"))
        self.apply_template_button.clicked.connect(self.apply_template)
        self.vitals_button = QPushButton(self.tr("Insert today's &vitals"))
        self.vitals_button.setToolTip(self.tr("Insert the vitals taken on the encounter's day into Objective "
                                              "(Ctrl+Shift+V)"))
        self.vitals_button.clicked.connect(self.insert_vitals)
        self.results_button = QPushButton(self.tr("Insert recent &results"))
        self.results_button.setObjectName("insertResults")
        self.results_button.setToolTip(self.tr("Insert the laboratory results of the last 90 days into Objective "
                                               "(Ctrl+Shift+T)"))
        self.results_button.clicked.connect(self.insert_results)
        self.social_button = QPushButton(self.tr("Insert social history"))
        self.social_button.setObjectName("insertSocialHistory")
        self.social_button.setToolTip(self.tr("Insert smoking status and the other social history into Subjective "
                                              "(Ctrl+Shift+H)"))
        self.social_button.clicked.connect(self.insert_social_history)
        head = QFormLayout()
        head.addRow(self.tr("&Reason"), self.reason)
        template_row = QWidget()
        trow = QHBoxLayout(template_row)
        trow.setContentsMargins(0, 0, 0, 0)
        trow.addWidget(self.template, 1)
        trow.addWidget(self.apply_template_button)
        trow.addWidget(self.vitals_button)
        trow.addWidget(self.results_button)
        trow.addWidget(self.social_button)
        template_label = QLabel(self.tr("&Template"))
        template_label.setBuddy(self.template)
        head.addRow(template_label, template_row)

        self.editors: dict[str, QPlainTextEdit] = {}
        body = QVBoxLayout()
        for key, label in SECTIONS:
            lab = QLabel(self.tr(label))
            lab.setStyleSheet("font-weight: 600; margin-top: 4px;")
            edit = QPlainTextEdit()
            edit.setObjectName(key)
            edit.setTabChangesFocus(True)  # Tab moves S -> O -> A -> P like the paper form
            edit.setMinimumHeight(70)
            edit.textChanged.connect(self._changed)
            edit.textChanged.connect(lambda e=edit: self._mark_fields(e))
            lab.setBuddy(edit)
            self.editors[key] = edit
            body.addWidget(lab)
            body.addWidget(edit, 1)
        self.reason.textChanged.connect(self._changed)

        # diagnosis linker
        self.dx_list = QListWidget()
        self.dx_list.setObjectName("diagnoses")
        self.dx_list.setMaximumHeight(80)
        self.dx_pick = QComboBox()
        self.dx_pick.setObjectName("diagnosisPick")
        self.dx_pick.setEditable(True)
        self.dx_pick.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.dx_pick.lineEdit().setPlaceholderText(self.tr("problem list…"))
        self.link_button = QPushButton(self.tr("&Link"))
        self.link_button.clicked.connect(self.link_selected)
        self.new_problem_button = QPushButton(self.tr("New pro&blem…"))
        self.new_problem_button.clicked.connect(self.new_problem)
        self.unlink_button = QPushButton(self.tr("Re&move"))
        self.unlink_button.clicked.connect(self.unlink_selected)
        dx_row = QWidget()
        dx_buttons = QHBoxLayout(dx_row)
        dx_buttons.setContentsMargins(0, 0, 0, 0)
        dx_buttons.addWidget(self.dx_pick, 1)
        dx_buttons.addWidget(self.link_button)
        dx_buttons.addWidget(self.new_problem_button)
        dx_buttons.addWidget(self.unlink_button)
        dx_label = QLabel(self.tr("&Diagnoses (first = primary)"))
        dx_label.setBuddy(self.dx_pick)
        dx_label.setStyleSheet("font-weight: 600;")
        body.addWidget(dx_label)
        body.addWidget(self.dx_list)
        body.addWidget(dx_row)
        self._edit_only = (template_row, template_label, dx_row)

        self.addenda = QLabel()
        self.addenda.setObjectName("addenda")
        self.addenda.setWordWrap(True)
        self.addenda.setTextFormat(Qt.TextFormat.RichText)
        self.addenda.setVisible(False)
        body.addWidget(self.addenda)

        self.status = hint_label(name="noteStatus")
        self.save_button = QPushButton(self.tr("Save dra&ft"))
        self.save_button.setToolTip("Ctrl+S")
        self.save_button.clicked.connect(lambda: self.save())  # not clicked(bool) as `then`
        self.sign_button = QPushButton(self.tr("S&ign…"))
        self.sign_button.setObjectName("signButton")
        self.sign_button.setToolTip(self.tr("Sign the note (Ctrl+Shift+S); physicians only") if self.can_sign
                                    else self.tr("Only a physician may sign a note"))
        self.sign_button.clicked.connect(lambda: self.sign())  # not clicked(bool) as `then`
        self.addendum_button = QPushButton(self.tr("Add adden&dum…"))
        self.addendum_button.clicked.connect(lambda: self.add_addendum())
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.addendum_button)
        bottom.addWidget(self.save_button)
        bottom.addWidget(self.sign_button)

        inner = QWidget()
        inner_layout = QVBoxLayout(inner)
        inner_layout.setContentsMargins(0, 0, 0, 0)
        inner_layout.addLayout(head)
        inner_layout.addLayout(body, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        title_row = QHBoxLayout()
        title_row.addWidget(self.title, 1)
        title_row.addWidget(self.visit_button)
        layout.addLayout(title_row)
        layout.addWidget(self.signature)
        # the note scrolls inside the chart rather than pushing the window past a 1280x720 screen
        self.scroll = QScrollArea()
        self.scroll.setObjectName("noteScroll")
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll.setWidget(inner)
        layout.addWidget(self.scroll, 1)
        layout.addLayout(bottom)

        QShortcut(QKeySequence("Ctrl+S"), self, activated=self.save)
        QShortcut(QKeySequence("Ctrl+Shift+S"), self, activated=self.sign)
        QShortcut(QKeySequence("Ctrl+Shift+V"), self, activated=self.insert_vitals)
        # T for tests: Ctrl+Shift+R is Chart › New prescription (a shared key fires neither)
        QShortcut(QKeySequence("Ctrl+Shift+T"), self, activated=self.insert_results)
        QShortcut(QKeySequence("Ctrl+Shift+H"), self, activated=self.insert_social_history)
        QShortcut(QKeySequence(Qt.Key.Key_F2), self, activated=self.next_marked_field,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.timer = QTimer(self)
        self.timer.setInterval(AUTOSAVE_MS)
        self.timer.timeout.connect(self.autosave)
        self._set_enabled(False)

    # ---------------------------------------------------------------- state
    @property
    def encounter_id(self) -> int | None:
        return self.details.id if self.details else None

    @property
    def signed(self) -> bool:
        return bool(self.details and self.details.signed)

    def content(self) -> NoteContent:
        return NoteContent(reason=self.reason.text(),
                           **{k: e.toPlainText() for k, e in self.editors.items()},
                           diagnosis_ids=tuple(p.id for p in self._dx))

    def dirty(self) -> bool:
        return self.details is not None and not self.signed and self.content() != self._saved

    def _set_enabled(self, has_note: bool) -> None:
        editable = has_note and not self.signed and self.can_draft
        for e in self.editors.values():
            e.setReadOnly(not editable)
        self.reason.setReadOnly(not editable)
        for w in (self.template, self.apply_template_button, self.vitals_button, self.results_button, self.social_button,
                  self.dx_pick, self.link_button,
                  self.new_problem_button, self.unlink_button, self.save_button):
            w.setEnabled(editable)
        self.sign_button.setEnabled(editable and self.can_sign)
        self.visit_button.setEnabled(editable)
        self.visit_button.setVisible(has_note and not self.signed)
        for w in self._edit_only:  # a signed note shows its text, not the tools to change it
            w.setVisible(not self.signed)
        self.sign_button.setVisible(not self.signed)
        self.save_button.setVisible(not self.signed)
        self.addendum_button.setVisible(has_note and self.signed)
        self.addendum_button.setEnabled(self.can_draft)

    def _fill(self, content: NoteContent) -> None:
        self.reason.setText(content.reason)
        for key, edit in self.editors.items():
            edit.setPlainText(getattr(content, key))
        by_id = {p.id: p for p in self._problems}
        if self.details:
            for d in self.details.diagnoses:
                by_id.setdefault(d.problem_id, ProblemChoice(d.problem_id, d.description, d.icd10_code, d.status))
        self._dx = [by_id[i] for i in content.diagnosis_ids if i in by_id]
        self._show_dx()

    def _show_dx(self) -> None:
        self.dx_list.clear()
        for p in self._dx:
            self.dx_list.addItem(QListWidgetItem(p.text))

    def _show_problem_choices(self) -> None:
        self.dx_pick.clear()
        for p in self._problems:
            self.dx_pick.addItem(p.text, p.id)
        self.dx_pick.setCurrentIndex(-1)

    def refresh_problems(self) -> None:
        """The problem list changed elsewhere (problems tab, PHR merge): offer the new entries to link."""
        if self.details is None or self.signed:
            return
        self.ctx.ops.run(encounters.problem_choices, self.patient_id, done=self._set_problems,
                         failed=lambda exc: self.ctx.messages.error(self, exc))

    def _set_problems(self, choices: list[ProblemChoice]) -> None:
        self._problems = list(choices)
        self._show_problem_choices()

    # ---------------------------------------------------------------- opening
    def open_encounter(self, encounter_id: int, *, offer_recovery: bool = True, then: Then = _ignore) -> None:
        """Load the note and the problem list (in a worker), show them, then offer autosaved text; then(True)
        once shown (sig_opened), then(False) when it could not be read (the message says why)."""

        def loaded(answer: tuple[EncounterDetails, list[ProblemChoice]]) -> None:
            details, self._problems = answer
            self.show_details(details)
            if offer_recovery and not details.signed and self.can_draft:
                self._offer_recovery(lambda: self._opened(details, then))
            else:
                self._opened(details, then)

        def failed(exc: BaseException) -> None:  # shown and logged by the message service
            self.ctx.messages.error(self, exc)
            then(False)

        self.ctx.ops.run(_load_note, encounter_id, self.patient_id, done=loaded, failed=failed)

    def _opened(self, details: EncounterDetails, then: Then) -> None:
        self.sig_opened.emit(details)
        then(True)

    def show_details(self, details: EncounterDetails) -> None:
        self.timer.stop()
        self.details = details
        self.version = details.version
        self._saved = details.content
        self._autosaved = details.content
        self._show_problem_choices()
        self.template.setCurrentIndex(max(0, self.template.findData(details.template)))
        self._fill(details.content)
        kind = self.tr(encounters.KIND_LABELS.get(details.kind, details.kind))
        self.title.setText(f"{kind} — {show_datetime(details.encounter_date)}"
                           + (f" — {details.provider_name}" if details.provider_name else ""))
        self.signature.setVisible(details.signed)
        self.signature.setText(self.tr("Electronically signed by {who} on {when}").format(
            who=details.signed_by, when=show_datetime(details.signed_at)) if details.signed else "")
        if details.addenda:
            items = "".join(
                f"<p style='margin:4px 0'><b>{self.tr('Addendum')}</b> — {escape(a.author)}, "
                f"{show_datetime(a.created_at)}<br>{escape(a.text).replace(chr(10), '<br>')}</p>"
                for a in details.addenda)
            self.addenda.setText(items)
        self.addenda.setVisible(bool(details.addenda))
        self._set_enabled(True)
        self.status.setText(self.tr("Signed: read-only. Corrections go in an addendum.") if details.signed
                            else self.tr("Draft, last saved by {who}").format(who=details.updated_by or "—"))
        if not details.signed and self.can_draft:
            self.timer.start()

    def _offer_recovery(self, then: Callable[[], None]) -> None:
        """Autosaved text newer than the note (read in a worker) is offered; then() either way."""
        def failed(exc: BaseException) -> None:  # shown and logged; the saved note is shown meanwhile
            self.ctx.messages.error(self, exc)
            then()

        def found(autosaved) -> None:
            self._recovery_found(autosaved)
            then()

        self.ctx.ops.run(encounters.recover_autosave, self.details.id, done=found,  # type: ignore[union-attr]
                         failed=failed)

    def _recovery_found(self, found) -> None:
        if found is None:
            return
        text = self.tr("This note has unsaved text from {when} (kept by autosave, e.g. after a crash).\n\n"
                       "Restore it?").format(when=show_datetime(found.saved_at, seconds=True))
        if found.saved_since:
            text += "\n\n" + self.tr("The note was saved by {who} after that text was typed; when you save, "
                                     "both versions are shown so you can merge them.").format(
                who=self.details.updated_by or self.tr("someone else"))  # type: ignore[union-attr]
        if self.ctx.messages.confirm(self, text, title=self.tr("Recover unsaved note"), yes=self.tr("Restore"),
                                     no=self.tr("Discard it")):
            self.version = found.base_version  # a later save by someone else surfaces as a conflict
            self._fill(found.content)
            self._autosaved = found.content
            self.status.setText(self.tr("Recovered unsaved text: save the draft to keep it"))
        else:
            self.ctx.ops.run(encounters.discard_autosave, self.details.id,  # type: ignore[union-attr]
                             failed=lambda exc: self.ctx.messages.error(self, exc))

    # ---------------------------------------------------------------- editing helpers
    def _changed(self) -> None:
        if self.details is not None and not self.signed and self.dirty():
            self.status.setText(self.tr("Unsaved changes (autosaved every few seconds)"))

    def apply_template(self) -> None:
        key = self.template.currentData()
        template = note_templates.get_template(key) if key else None
        if template is None or self.details is None or self.signed:
            return
        current = self.content()
        if any(getattr(current, k).strip() for k, _ in SECTIONS) and not self.ctx.messages.confirm(
                self, self.tr("Replace the note's text with the “{title}” template?").format(title=template.title),
                title=self.tr("Apply template"), yes=self.tr("Replace"), no=self.tr("Cancel")):
            return
        self.ctx.ops.run(encounters.vitals_for_encounter, self.details.id,
                         done=lambda text: self._fill_template(template, text or ""),
                         failed=lambda exc: self.ctx.messages.error(self, exc))

    def _fill_template(self, template: note_templates.NoteTemplate, vitals_text: str) -> None:
        for key, text in template.sections(vitals_text).items():
            self.editors[key].setPlainText(text)
        if not self.reason.text().strip():
            self.reason.setText(template.reason)
        self.editors["subjective"].setFocus()
        if template.wants_social_history:  # the placeholder line becomes the chart's social history
            self.ctx.ops.run(history_summary.social_history_text, self.patient_id,
                             done=self._replace_social_placeholder, failed=self._insert_failed)

    def _replace_social_placeholder(self, text: str) -> None:
        editor = self.editors["subjective"]
        body = editor.toPlainText()
        if "Social history: not recorded" in body:
            editor.setPlainText(body.replace("Social history: not recorded", text, 1))

    def insert_social_history(self) -> None:
        if self.details is None or self.signed or self._inserting:
            return
        self._inserting = True
        self.ctx.ops.run(history_summary.social_history_text, self.patient_id, done=self._insert_social_text,
                         failed=self._insert_failed)

    def _insert_social_text(self, text: str) -> None:
        self._inserting = False
        if self.details is None or self.signed:
            return
        editor = self.editors["subjective"]
        if text in editor.toPlainText():
            self.status.setText(self.tr("The social history is already in Subjective"))
        else:
            cursor = editor.textCursor()
            if cursor.positionInBlock() > 0:
                text = "\n" + text
            cursor.insertText(text + "\n")
        editor.setFocus()

    def insert_vitals(self) -> None:
        if self.details is None or self.signed or self._inserting:
            return  # one insertion per request: a second press while it runs does not add the line twice
        self._inserting = True
        self.ctx.ops.run(encounters.vitals_for_encounter, self.details.id, done=self._insert_vitals_text,
                         failed=self._insert_failed)

    _inserting = False

    def _insert_failed(self, exc: BaseException) -> None:
        self._inserting = False
        self.ctx.messages.error(self, exc)

    def _insert_vitals_text(self, text: str) -> None:
        self._inserting = False
        if self.details is None or self.signed:
            return
        if not text:
            self.ctx.messages.info(self, self.tr("No vitals were recorded on {day}.").format(
                day=show_date(self.details.encounter_date)), title=self.tr("Vitals"))
            return
        editor = self.editors["objective"]
        body = editor.toPlainText()
        if note_templates.NO_VITALS_TODAY in body:  # the template's "not recorded" line gives way to the values
            editor.setPlainText(body.replace(note_templates.NO_VITALS_TODAY, text, 1))
        elif text in body:  # already there: inserting the same line again would only duplicate it
            self.status.setText(self.tr("Today's vitals are already in Objective"))
        else:
            cursor = editor.textCursor()
            if cursor.positionInBlock() > 0:
                text = "\n" + text
            cursor.insertText(text + "\n")
        editor.setFocus()

    def insert_results(self) -> None:
        if self.details is None or self.signed or self._inserting:
            return
        self._inserting = True
        self.ctx.ops.run(results.recent_results_text, self.patient_id, done=self._insert_results_text,
                         failed=self._insert_failed)

    def _insert_results_text(self, text: str) -> None:
        self._inserting = False
        if self.details is None or self.signed:
            return
        if not text:
            self.ctx.messages.info(self, self.tr("No laboratory results in the last 90 days."),
                                   title=self.tr("Results"))
            return
        editor = self.editors["objective"]
        if text in editor.toPlainText():
            self.status.setText(self.tr("These results are already in Objective"))
        else:
            cursor = editor.textCursor()
            if cursor.positionInBlock() > 0:
                text = "\n" + text
            cursor.insertText(text + "\n")
        editor.setFocus()

    # ---------------------------------------------------------------- marked fields (*** and {a/b})
    def _mark_fields(self, edit: QPlainTextEdit) -> None:
        """Template blanks stand out in yellow until they are filled."""
        selections = []
        for start, end, _text in note_templates.marked_fields(edit.toPlainText()):
            sel = QTextEdit.ExtraSelection()
            sel.format.setBackground(QColor("#ffe58a"))
            cursor = edit.textCursor()
            cursor.setPosition(start)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            sel.cursor = cursor
            selections.append(sel)
        edit.setExtraSelections(selections)

    def remaining_marked_fields(self) -> list[tuple[str, str]]:
        """(section label, field text) of every marked field left, in the note's order."""
        return [(encounters.SECTION_LABELS[key], text) for key, edit in self.editors.items()
                for _s, _e, text in note_templates.marked_fields(edit.toPlainText())]

    def next_marked_field(self) -> bool:
        """F2: select the next marked field after the cursor (wrapping round), so typing replaces it."""
        if self.details is None or self.signed:
            return False
        order = list(self.editors.values())
        focus = self.focusWidget()
        current = order.index(focus) if focus in order else 0
        position = order[current].textCursor().selectionEnd() if focus in order else 0
        for step in range(len(order) + 1):
            edit = order[(current + step) % len(order)]
            after = position if step == 0 else 0
            found = [f for f in note_templates.marked_fields(edit.toPlainText()) if f[0] >= after]
            if found:
                start, end, _text = found[0]
                cursor = edit.textCursor()
                cursor.setPosition(start)
                cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
                edit.setTextCursor(cursor)
                edit.setFocus()
                return True
        self.status.setText(self.tr("No marked fields left"))
        return False

    def link_selected(self) -> None:
        index = self.dx_pick.currentIndex()
        pid = self.dx_pick.itemData(index) if index >= 0 else None
        if pid is None:  # typed text: match it against the problem list
            typed = self.dx_pick.currentText().strip().lower()
            match = next((p for p in self._problems if typed and typed in p.text.lower()), None)
            pid = match.id if match else None
        if pid is None:
            self.new_problem()
            return
        self.link(pid)

    def link(self, problem_id: int) -> None:
        if any(p.id == problem_id for p in self._dx):
            return
        choice = next((p for p in self._problems if p.id == problem_id), None)
        if choice is None:
            return
        self._dx.append(choice)
        self._show_dx()
        self.dx_pick.setCurrentIndex(-1)
        self.dx_pick.setEditText("")
        self._changed()

    def unlink_selected(self) -> None:
        row = self.dx_list.currentRow()
        if 0 <= row < len(self._dx):
            del self._dx[row]
            self._show_dx()
            self._changed()

    def new_problem(self) -> None:
        if self.details is None or self.signed:
            return
        dialog = NewProblemDialog(self.dx_pick.currentText().strip(), self, run_plain=self.ctx.ops.run_plain)
        self.problem_dialog = dialog  # tests drive it
        dialog.accepted.connect(lambda: self.ctx.ops.run(
            encounters.add_problem_for_note, self.patient_id, dialog.description(), dialog.code(),
            done=self._problem_added, failed=lambda exc: self.ctx.messages.error(self, exc)))
        dialog.open()

    def _problem_added(self, choice: ProblemChoice) -> None:
        if all(p.id != choice.id for p in self._problems):
            self._problems.append(choice)
            self._show_problem_choices()
        self.link(choice.id)
        self.ctx.ops.changed("problems", self.patient_id)

    # ---------------------------------------------------------------- saving
    def autosave(self) -> None:
        """Every 3 s in a worker: only when the text changed since the last autosave."""
        if self.details is None or self.signed or not self.can_draft:
            return
        content = self.content()
        if content == self._autosaved or content == self._saved:
            return
        self._autosaved = content
        self.ctx.ops.run(encounters.autosave, self.details.id, content, base_version=self.version,
                         done=lambda when: self.status.setText(self.tr("Autosaved {when}").format(
                             when=datetime.now().strftime("%H:%M:%S"))),
                         failed=self._autosave_failed)

    def _autosave_failed(self, exc: BaseException) -> None:
        if isinstance(exc, encounters.NoteSigned):
            self._signed_meanwhile(self.content(), _ignore)
            return
        log.error("autosave failed", exc_info=(type(exc), exc, exc.__traceback__))
        self._autosaved = NoteContent()  # try again on the next tick
        self.status.setText(self.tr("Autosave FAILED — save the draft (Ctrl+S)"))
        self.status.setStyleSheet("color: #b00020; font-weight: 600;")

    def flush_autosave(self, then: Then) -> None:
        """Write the autosave now (closing, switching notes), in a worker; then(True) when nothing is at risk,
        then(False) when it failed (the message says why; the user decides whether to close anyway)."""
        if self.details is None or self.signed or not self.can_draft:
            then(True)
            return
        content = self.content()
        if content == self._saved or content == self._autosaved:
            then(True)
            return

        def flushed(_when) -> None:
            self._autosaved = content
            then(True)

        def failed(exc: BaseException) -> None:
            if isinstance(exc, encounters.NoteSigned):
                self._signed_meanwhile(content, then)
                return
            self.ctx.messages.error(self, exc)
            then(False)

        self.ctx.ops.run(encounters.autosave, self.details.id, content, base_version=self.version, done=flushed,
                         failed=failed)

    def save(self, then: Then = _ignore) -> bool:
        """Save the draft in a worker; sig_saved and then(True) once stored. False: nothing to save here, or a
        save is already running (then(False) is called too)."""
        if self.details is None or self.signed or not self.can_draft:
            then(False)
            return False
        return self._store(encounters.save_draft, self.content(), self.version, then)

    def _set_storing(self, storing: bool) -> None:
        self.storing = storing
        if storing:
            for w in (self.save_button, self.sign_button, self.visit_button, self.addendum_button):
                w.setEnabled(False)
        else:
            self._set_enabled(self.details is not None)

    def _stored(self) -> None:
        """A save ended: the flows that waited for it go on."""
        waiting, self._after_store = self._after_store, []
        for resume in waiting:
            resume()

    def _store(self, fn, content: NoteContent, version: int, then: Then) -> bool:
        if self.storing:
            then(False)
            return False
        self._set_storing(True)
        encounter_id = self.details.id  # type: ignore[union-attr]

        def stored(details: EncounterDetails) -> None:
            self.storing = False
            self.show_details(details)
            self.status.setText(self.tr("Signed") if details.signed else self.tr("Saved {when}").format(
                when=datetime.now().strftime("%H:%M:%S")))
            self.status.setStyleSheet(hint_style())
            self.ctx.ops.changed("encounters", self.patient_id)
            self.sig_saved.emit(details)
            then(True)
            self._stored()

        def failed(exc: BaseException) -> None:
            self._set_storing(False)
            if isinstance(exc, ConflictError):  # the waiting flows go on once the conflict is settled
                self._resolve_conflict(fn, content, exc, lambda ok: (then(ok), self._stored()))
                return
            if isinstance(exc, encounters.NoteSigned):
                self._signed_meanwhile(content, lambda ok: (then(ok), self._stored()))
                return
            # validation, permission, signed meanwhile: shown; the text stays on screen
            self.ctx.messages.error(self, exc)
            then(False)
            self._stored()

        self.ctx.ops.run(fn, encounter_id, content, version, done=stored, failed=failed)
        return True

    def _resolve_conflict(self, fn, content: NoteContent, conflict: ConflictError, then: Then) -> None:
        if conflict.theirs:
            self._show_conflict(fn, conflict, then)
            return

        def reread(fresh: EncounterDetails) -> None:  # a race inside the save itself: reread, then the dialog
            theirs = {**fresh.content.texts(), "diagnosis_ids": list(fresh.content.diagnosis_ids),
                      "diagnoses": ", ".join(d.text for d in fresh.diagnoses)}
            self._show_conflict(fn, ConflictError("note", fresh.id, {
                **content.texts(), "diagnosis_ids": list(content.diagnosis_ids)}, theirs, fresh.version,
                fresh.updated_by), then)

        def failed(exc: BaseException) -> None:  # shown and logged
            self.ctx.messages.error(self, exc)
            then(False)

        self.ctx.ops.run(encounters.get_encounter, self.details.id, done=reread,  # type: ignore[union-attr]
                         failed=failed)

    def _show_conflict(self, fn, conflict: ConflictError, then: Then) -> None:
        dialog = NoteConflictDialog(conflict, self, base=self._saved)
        self.conflict_dialog = dialog  # tests drive it
        dialog.finished.connect(lambda result: self._conflict_decided(dialog, result, fn, conflict, then))
        dialog.open()

    def _conflict_decided(self, dialog: NoteConflictDialog, result: int, fn, conflict: ConflictError,
                          then: Then) -> None:
        if result != NoteConflictDialog.DialogCode.Accepted:
            then(False)
            return
        if dialog.discarded:
            self.open_encounter(self.details.id, offer_recovery=False, then=then)  # type: ignore[union-attr]
            return
        merged = dialog.merged()
        self._fill(merged)
        self.version = conflict.their_version
        self._store(fn, merged, conflict.their_version, then)

    def edit_visit(self, then: Then = _ignore) -> None:
        """Correct the draft's date, type or physician. Unsaved text is saved first, so nothing is lost; the
        physicians are read, then VisitDialog opens (window-modal, no nested event loop). then(True) once the
        visit was changed."""
        if self.details is None or self.signed or not self.can_draft or self.storing:
            then(False)
            return

        def ask(providers) -> None:
            if self.details is None:
                then(False)
                return
            dialog = VisitDialog(self.ctx, self.details, self.version, providers, self)
            self.visit_dialog = dialog  # tests drive it
            dialog.finished.connect(lambda result: self._visit_decided(dialog, result, then))
            dialog.open()

        def failed(exc: BaseException) -> None:  # shown and logged
            self.ctx.messages.error(self, exc)
            then(False)

        def read_providers(saved: bool = True) -> None:
            if not saved:
                then(False)
                return
            self.ctx.ops.run(encounters.list_providers, done=ask, failed=failed)

        if self.dirty():
            self.save(then=read_providers)
        else:
            read_providers()

    def _visit_decided(self, dialog: VisitDialog, result: int, then: Then) -> None:
        self.visit_dialog = None
        if result != VisitDialog.DialogCode.Accepted or dialog.updated is None:
            if dialog.conflicted and self.details is not None:  # someone saved meanwhile: show what is stored
                self.open_encounter(self.details.id, offer_recovery=False)
            then(False)
            return
        self.show_details(dialog.updated)
        self.ctx.ops.changed("encounters", self.patient_id)
        self.sig_saved.emit(dialog.updated)
        then(True)

    def sign(self, then: Then = _ignore) -> bool:
        """Check the marked fields, confirm, then sign in a worker (sig_saved, then(True) once signed).
        False: refused here (the message says why) or a save is running."""
        if self.details is None or self.signed or not self.can_sign or self.storing:
            if not self.can_sign and self.details is not None:
                self.ctx.messages.info(self, self.tr("Only a physician may sign a note. Save it as a draft; "
                                                     "the physician signs it."), title=self.tr("Sign note"))
            return False
        left = self.remaining_marked_fields()
        if left:  # template blanks signed unfilled would go out on paper: fill them first
            shown = "\n".join(f"• {section}: {text}" for section, text in left[:12])
            self.ctx.messages.error(self, self.tr(
                "This note still has {n} marked field(s) from the template:\n\n{fields}\n\nPress F2 to go to each "
                "one and fill it in (or delete it), then sign.").format(n=len(left), fields=shown),
                title=self.tr("Sign note"))
            self.editors["subjective"].setFocus()
            self.editors["subjective"].moveCursor(QTextCursor.MoveOperation.Start)
            self.next_marked_field()
            then(False)
            return False
        if not self.ctx.messages.confirm(
                self, self.tr("Sign this note as {who}?\n\nA signed note cannot be changed; later corrections are "
                              "added as addenda.").format(who=self.ctx.user.display_name),
                title=self.tr("Sign note"), yes=self.tr("Sign"), no=self.tr("Cancel")):
            then(False)
            return False
        return self._store(_sign, self.content(), self.version, then)

    def _signed_meanwhile(self, content: NoteContent, then: Then) -> None:
        """The note was signed on another workstation after it was opened here: it can no longer change. Show it
        signed (read-only) and put the text typed here into the addendum window, so none of it is lost; then
        (False): the save did not happen (a closing chart stays open until the addendum is saved or dropped)."""
        if self.details is None or self._reopening_signed:
            then(False)
            return
        self._reopening_signed = True
        self.timer.stop()
        base = self._saved.texts()
        typed = [(encounters.SECTION_LABELS[k], v.strip()) for k, v in content.texts().items()
                 if v != base[k] and v.strip()]
        text = "\n\n".join(f"{label}:\n{value}" for label, value in typed)

        def reopened(ok: bool) -> None:
            self._reopening_signed = False
            if ok and self.signed and self.can_draft and text:
                self.add_addendum(text, intro=self.tr(
                    "{who} signed this note on {when} while you were editing it: a signed note cannot change. "
                    "What you typed is below; save it as an addendum, or Cancel to drop it.").format(
                    who=self.details.signed_by or self.tr("another user"),  # type: ignore[union-attr]
                    when=show_datetime(self.details.signed_at)))  # type: ignore[union-attr]
            then(False)

        self.open_encounter(self.details.id, offer_recovery=False, then=reopened)

    _reopening_signed = False

    def add_addendum(self, text: str = "", intro: str = "") -> None:
        if self.details is None or not self.signed:
            return
        dialog = AddendumDialog(self, text=text, intro=intro)
        self.addendum_dialog = dialog  # tests drive it
        encounter_id = self.details.id
        dialog.accepted.connect(lambda: self.ctx.ops.run(
            encounters.add_addendum, encounter_id, dialog.text(), done=lambda _r: self._addendum_added(encounter_id),
            failed=lambda exc: self.ctx.messages.error(self, exc)))
        dialog.open()

    def _addendum_added(self, encounter_id: int) -> None:
        self.open_encounter(encounter_id, offer_recovery=False)
        self.ctx.ops.changed("encounters", self.patient_id)

    # ---------------------------------------------------------------- closing
    def before_close(self, then: Then) -> None:
        """Called before the chart (or this note) closes. Autosaves first (in a worker) so nothing can be lost,
        then asks whether to save the draft and saves it; then(True) to close, then(False) to stay (the flush or
        the save failed, with the message; or a save conflict was cancelled). While a save runs, it waits
        for that save first."""
        if self.storing:
            self._after_store.append(lambda: self.before_close(then))
            return
        if self.details is None or not self.dirty():
            self.timer.stop()
            then(True)
            return

        def flushed(ok: bool) -> None:
            if not ok:
                then(False)
                return
            if self.ctx.messages.confirm(
                    self, self.tr("Save your changes to this draft note?\n\n(If you don't, the text is kept and "
                                  "offered again when you reopen the note.)"),
                    title=self.tr("Unsaved note"), yes=self.tr("Save draft"), no=self.tr("Not now")):
                self.save(then=closing)
            else:
                closing(True)

        def closing(ok: bool) -> None:
            if ok:
                self.timer.stop()
            then(ok)

        self.flush_autosave(flushed)

    def clear(self) -> None:
        self.timer.stop()
        self.details = None
        self._saved = self._autosaved = NoteContent()
        self._dx = []
        self._fill(NoteContent())
        self.title.setText("")
        self.signature.setVisible(False)
        self.addenda.setVisible(False)
        self.status.setText("")
        self._set_enabled(False)


def _load_note(uow, encounter_id: int, patient_id: int) -> tuple[EncounterDetails, list[ProblemChoice]]:
    """The note and the problem choices, in one unit of work (the editor shows both at once)."""
    return encounters.get_encounter(uow, encounter_id), encounters.problem_choices(uow, patient_id)


def _sign(uow, encounter_id: int, content: NoteContent, version: int) -> EncounterDetails:
    """encounters.sign in save_draft's argument order, so both go through NoteEditor._store."""
    return encounters.sign(uow, encounter_id, version, content)


class NoteConflictDialog(BaseDialog):
    """Both versions of each differing section side by side; keep mine, theirs or both. Given the text both
    started from (`base`), a section only one side changed starts on that side's version: "both" would repeat
    the unchanged text, or set an old plan beside the new one. A section both changed starts on "both"."""

    def __init__(self, conflict: ConflictError, parent: QWidget | None = None, base: NoteContent | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Note changed by someone else"))
        self._conflict = conflict
        self.discarded = False
        self._choices: dict[str, QButtonGroup] = {}
        who = conflict.changed_by or self.tr("another user")
        self._who = who
        intro = QLabel(self.tr("{who} saved this note after you opened it. Nothing has been overwritten.\n"
                               "For each part that differs, keep yours, theirs, or both.").format(who=who))
        intro.setWordWrap(True)
        grid = QGridLayout()
        grid.addWidget(QLabel(f"<b>{self.tr('Your version')}</b>"), 0, 1)
        grid.addWidget(QLabel(f"<b>{self.tr('Saved by {who}').format(who=escape(who))}</b>"), 0, 2)
        keys = [k for k in ("reason", "subjective", "objective", "assessment", "plan", "diagnoses")
                if conflict.mine.get(k, "") != conflict.theirs.get(k, "")]
        self.differing = keys
        row = 1
        for key in keys:
            grid.addWidget(QLabel(f"<b>{self.tr(encounters.SECTION_LABELS[key])}</b>"), row, 0,
                           Qt.AlignmentFlag.AlignTop)
            for col, side in ((1, conflict.mine), (2, conflict.theirs)):
                view = QPlainTextEdit(str(side.get(key, "")))
                view.setReadOnly(True)
                view.setMaximumHeight(110)
                grid.addWidget(view, row, col)
            row += 1
            group = QButtonGroup(self)
            choice_row = QHBoxLayout()
            for gid, label in ((1, self.tr("Keep mine")), (2, self.tr("Keep theirs")), (3, self.tr("Keep both"))):
                button = QRadioButton(label)
                button.setObjectName(f"{('mine', 'theirs', 'both')[gid - 1]}_{key}")
                group.addButton(button, gid)
                choice_row.addWidget(button)
            group.button(self._default_choice(key, base)).setChecked(True)
            choice_row.addStretch(1)
            grid.addLayout(choice_row, row, 1, 1, 2)
            self._choices[key] = group
            row += 1
        grid.setRowStretch(row, 1)  # spare height below the sections, not spread between them
        holder = QWidget()
        holder.setLayout(grid)
        scroll = QScrollArea()
        scroll.setWidget(holder)
        scroll.setWidgetResizable(True)
        buttons = QDialogButtonBox()
        self.save_button = buttons.addButton(self.tr("Save my choices"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.discard_button = buttons.addButton(self.tr("Discard my changes"),
                                                QDialogButtonBox.ButtonRole.DestructiveRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.discard_button.clicked.connect(self._discard)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(scroll, 1)
        layout.addWidget(buttons)
        self.resize(900, 620)

    def _default_choice(self, key: str, base: NoteContent | None) -> int:
        """1 mine, 2 theirs, 3 both (the reason is one line: mine unless only they changed it)."""
        mine, theirs = self._conflict.mine, self._conflict.theirs
        if base is None:
            return 1 if key == "reason" else 3
        if key == "diagnoses":
            was = list(base.diagnosis_ids)
            mine_now, theirs_now = list(mine.get("diagnosis_ids", ())), list(theirs.get("diagnosis_ids", ()))
        else:
            was = getattr(base, key).strip()
            mine_now, theirs_now = str(mine.get(key, "")).strip(), str(theirs.get(key, "")).strip()
        if mine_now == was and theirs_now != was:
            return 2
        if theirs_now == was or key == "reason":
            return 1
        return 3

    def _discard(self) -> None:
        self.discarded = True
        self.accept()

    def choose(self, key: str, which: str) -> None:
        self._choices[key].button({"mine": 1, "theirs": 2, "both": 3}[which]).setChecked(True)

    def merged(self) -> NoteContent:
        mine, theirs = self._conflict.mine, self._conflict.theirs
        out: dict = {}
        for key in ("reason", "subjective", "objective", "assessment", "plan"):
            a, b = str(mine.get(key, "")), str(theirs.get(key, ""))
            pick = self._choices[key].checkedId() if key in self._choices else 1
            if pick == 2:
                out[key] = b
            elif pick == 3 and a.strip() and b.strip() and a != b:
                out[key] = f"{a.rstrip()}{BOTH_SEPARATOR.format(who=self._who)}{b.lstrip()}" if key != "reason" \
                    else f"{a}; {b}"
            else:
                out[key] = a if a.strip() or pick == 1 else b
        mine_dx = tuple(mine.get("diagnosis_ids", ()))
        theirs_dx = tuple(theirs.get("diagnosis_ids", ()))
        pick = self._choices["diagnoses"].checkedId() if "diagnoses" in self._choices else 1
        dx = theirs_dx if pick == 2 else tuple(dict.fromkeys(mine_dx + theirs_dx)) if pick == 3 else mine_dx
        return NoteContent(**out, diagnosis_ids=dx)


class AddendumDialog(BaseDialog):
    def __init__(self, parent: QWidget | None = None, text: str = "", intro: str = ""):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Add addendum"))
        self.edit = QPlainTextEdit()
        self.edit.setObjectName("addendumText")
        self.edit.setPlainText(text)
        self.intro = QLabel(intro)
        self.intro.setObjectName("addendumIntro")
        self.intro.setWordWrap(True)
        self.intro.setStyleSheet("color: #b00020; font-weight: 600;")
        self.intro.setVisible(bool(intro))
        note = hint_label(self.tr("The addendum is added below the signed note with your name and the time; "
                                  "the note itself does not change."), wrap=True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        self.error = QLabel()
        self.error.setStyleSheet("color: #b00020;")
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(note)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(560, 320)

    def _accept(self) -> None:
        if not self.text():
            self.error.setText(self.tr("Write the addendum"))
            return
        self.accept()

    def text(self) -> str:
        return self.edit.toPlainText().strip()


class NewProblemDialog(BaseDialog):
    """A diagnosis not yet on the problem list: the ICD-10-CM code search (in a worker) or free text."""

    def __init__(self, text: str = "", parent: QWidget | None = None, run_plain=None):
        super().__init__(parent)
        from desktop.widgets.icd_search import IcdSearch

        self.setWindowTitle(self.tr("New problem"))
        self.icd = IcdSearch(run_plain=run_plain)
        self.search = self.icd.edit
        self.description_edit = QLineEdit()
        self.description_edit.setObjectName("problemDescription")
        self.code_edit = QLineEdit()
        self.code_edit.setObjectName("problemCode")
        self.code_edit.setMaxLength(10)
        self.code_edit.setReadOnly(True)
        self.icd.sig_picked.connect(self._picked)
        form = QFormLayout()
        form.addRow(self.tr("&Search"), self.icd)
        form.addRow(self.tr("&Description"), self.description_edit)
        form.addRow(self.tr("ICD-10-&CM"), self.code_edit)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self.resize(640, 440)
        if text:
            self.icd.set_text(text)

    def _picked(self, code) -> None:
        self.code_edit.setText(code.code)
        self.description_edit.setText(code.description)
        self.description_edit.setFocus()

    def description(self) -> str:
        return self.description_edit.text().strip() or self.search.text().strip()

    def code(self) -> str:
        return self.code_edit.text().strip()


class VisitFields:
    """Date and time, type and physician of a visit: the same three fields when an encounter is created and
    when a draft's visit is corrected."""

    def __init__(self, owner: QWidget, providers, when: datetime | None = None, kind: str = "office",
                 provider_id: int | None = None, provider_name: str = ""):
        self.when = QDateTimeEdit(QDateTime(when) if when is not None else QDateTime.currentDateTime())
        self.when.setObjectName("encounterDate")
        self.when.setDisplayFormat(QT_DATETIME)
        self.when.setCalendarPopup(True)
        self.kind = QComboBox()
        self.kind.setObjectName("kind")
        for key in encounters.KINDS:
            self.kind.addItem(owner.tr(encounters.KIND_LABELS[key]), key)
        self.kind.setCurrentIndex(max(0, self.kind.findData(kind)))
        self.provider = QComboBox()
        self.provider.setObjectName("provider")
        for p in providers:
            self.provider.addItem(p.name, p.id)
        # a draft kept by a physician who has since left: keep showing (and keeping) that physician
        if provider_id is not None and provider_name and self.provider.findData(provider_id) < 0:
            self.provider.addItem(provider_name, provider_id)
        self.provider.setCurrentIndex(max(0, self.provider.findData(provider_id)))

    def value(self) -> VisitInput:
        when = self.when.dateTime().toPython()
        return VisitInput(encounter_date=when.astimezone() if isinstance(when, datetime) else None,
                          kind=self.kind.currentData(), provider_id=self.provider.currentData())


class VisitDialog(BaseDialog):
    """A draft's date and time, type and physician, saved with the note's version (never over someone else's)."""

    def __init__(self, ctx: AppContext, details: EncounterDetails, version: int, providers,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.details = details
        self.version = version
        self.updated: EncounterDetails | None = None
        self.conflicted = False
        self.setWindowTitle(self.tr("Visit details"))
        fields = VisitFields(self, providers, details.encounter_date, details.kind, details.provider_id,
                             details.provider_name or self.tr("(inactive physician)"))
        self.when, self.kind, self.provider = fields.when, fields.kind, fields.provider
        self.fields = fields
        self.errors = QLabel()
        self.errors.setObjectName("errors")
        self.errors.setStyleSheet("color: #b00020;")
        self.errors.setWordWrap(True)
        form = QFormLayout()
        form.addRow(self.tr("&Date and time"), self.when)
        form.addRow(self.tr("T&ype"), self.kind)
        form.addRow(self.tr("&Physician"), self.provider)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setDefault(True)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.errors)
        layout.addWidget(buttons)

    def save(self) -> None:
        """Save in a worker (Save is off meanwhile); the dialog closes once stored."""
        self.errors.setText("")
        self.ctx.ops.run(encounters.update_visit, self.details.id, self.fields.value(), self.version,
                         done=self._saved, failed=self._failed, busy=(self.save_button,))

    def _saved(self, updated: EncounterDetails) -> None:
        self.updated = updated
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        if isinstance(exc, ValidationError):  # beside the form; the dialog stays open
            self.errors.setText("\n".join(self.tr(m) for m in exc.errors.values()))
        elif isinstance(exc, ConflictError):
            self.conflicted = True
            self.ctx.messages.info(self, self.tr("Someone saved this note since you opened it. Nothing was "
                                                 "changed; the note is reloaded, then correct the visit again."),
                                   title=self.tr("Visit details"))
            self.reject()
        else:  # shown and logged; the dialog stays open
            self.ctx.messages.error(self, exc)

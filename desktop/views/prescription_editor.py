"""Prescription editor (physician): drug from the formulary, sig, quantity, days supply, refills, substitution,
note to pharmacist; controlled-substance schedule shown and refills capped; alerts before signing.

The dialog calls the service functions it is given (RxEditorServices) and never touches the database.
`services_for(ops, patient_id)` binds them to the real services for the main window.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.domain.numwords import quantity_to_words
from desktop.domain.sig import SigParts, days_supply, split_dose
from desktop.services.alert_decisions import Decision, NeedsDecision
from desktop.services.errors import ServiceError, ValidationError
from desktop.services.prescriptions import RxInput, RxView, max_refills
from desktop.widgets.dialog_base import BaseDialog
from desktop.widgets.drug_typeahead import DrugTypeahead
from desktop.widgets.messages import MessageService, get_messages
from desktop.widgets.sig_builder import SigBuilder

log = logging.getLogger(__name__)

QUANTITY_UNITS = ("tablet", "capsule", "mL", "inhaler", "bottle", "tube", "g", "patch", "vial", "pen", "box", "kit",
                  "suppository", "packet", "each")


Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]


@dataclass
class RxEditorServices:
    """What the editor may do. Each call starts one service call and answers later, on the GUI thread, through
    done(result) or failed(exception): the editor never waits (the main window binds them to the Ops runner)."""

    save_draft: Callable[[RxInput, int | None, int | None, Done, Failed], None]  # (input, rx_id, version, ...)
    sign: Callable[[int, Decision, Done, Failed], None]  # done(RxView | NeedsDecision)
    search_drugs: Callable[[str, int], Sequence[Any]] | None = None  # formulary search; None: free text only
    product_by_id: Callable[[str], Any] | None = None
    prescriber_line: str = ""  # "Ana Lima, MD · NPI 1234567893 · DEA BR1234563"
    prescriber_has_dea: bool = False
    can_override: bool = True
    # reads the prescriber's profile: done((line, has_dea)); the editor shows it when it arrives
    load_prescriber: Callable[[Done, Failed], None] | None = None


# (editor, needs decision, may override, then(Decision | None)): decide with the one alert dialog, opened with
# open(); then(None) when the user stopped
AlertResolver = Callable[[QWidget, NeedsDecision, bool, Callable[[Decision | None], None]], Any]


class PrescriptionEditor(BaseDialog):
    sig_saved = Signal(object)  # RxView of the saved draft
    sig_signed = Signal(object)  # RxView of the signed prescription
    sig_stopped = Signal()  # a save or signature ended without one: refused, failed, or the alert cancelled

    def __init__(self, services: RxEditorServices, patient_label: str, *, draft: RxView | None = None,
                 messages: MessageService | None = None, resolve_alerts: AlertResolver | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(self.tr("Prescription — %1").replace("%1", patient_label))
        self.services = services
        self.messages = messages or get_messages()
        self.resolve_alerts = resolve_alerts or default_alert_resolver
        self.rx: RxView | None = draft
        self.signed: RxView | None = None
        self._product: Any = None
        self._quantity_for: str | None = None  # the product the quantity was written for (kept while retyping)
        self._days_manual = False
        self._busy = False  # a save or signature is running: the buttons are off, a shortcut does nothing
        self._build(patient_label)
        if draft is not None:
            self._load(draft)
        self._refresh()
        if services.load_prescriber is not None:
            services.load_prescriber(self._prescriber_loaded, self._prescriber_failed)

    # ---------------------------------------------------------------- layout
    def _build(self, patient_label: str) -> None:
        head = QLabel(patient_label)  # the patient's name as registered: text, never markup
        head.setTextFormat(Qt.TextFormat.PlainText)
        head.setStyleSheet("font-weight: 600;")
        self.prescriber = QLabel(self.services.prescriber_line or self.tr("(no prescriber profile)"))
        self.prescriber.setStyleSheet("color: grey")

        self.drug = DrugTypeahead(self.services.search_drugs, self)
        self.strength = QLineEdit()
        self.strength.setPlaceholderText(self.tr("strength, e.g. 500 mg"))
        self.form = QLineEdit()
        self.form.setPlaceholderText(self.tr("form, e.g. oral capsule"))
        self.schedule = QComboBox()
        for code, label in (("", self.tr("not controlled")), ("II", "C-II"), ("III", "C-III"), ("IV", "C-IV"),
                            ("V", "C-V")):
            self.schedule.addItem(label, code)
        self.schedule_note = QLabel()
        self.schedule_note.setStyleSheet("color: darkred; font-weight: bold")
        self.unchecked_note = QLabel()  # free text: the mark shown in the app, never printed
        self.unchecked_note.setObjectName("rxNotChecked")
        self.unchecked_note.setStyleSheet("color: #8a5a00; background: #fff3cd; padding: 3px 6px; font-weight: bold")
        self.unchecked_note.setWordWrap(True)
        self.unchecked_note.hide()
        drug_row = QHBoxLayout()
        drug_row.addWidget(self.strength)
        drug_row.addWidget(self.form)
        drug_row.addWidget(self.schedule)
        drug_box = QGroupBox(self.tr("Drug"))
        dl = QVBoxLayout(drug_box)
        dl.addWidget(self.drug)
        dl.addLayout(drug_row)
        dl.addWidget(self.schedule_note)
        dl.addWidget(self.unchecked_note)

        self.sig = SigBuilder(self)
        sig_box = QGroupBox(self.tr("Directions (sig)"))
        QVBoxLayout(sig_box).addWidget(self.sig)

        self.quantity = QDoubleSpinBox()
        self.quantity.setRange(0, 100000)
        self.quantity.setDecimals(1)
        self.quantity.setValue(30)
        self.quantity_unit = QComboBox()
        self.quantity_unit.setEditable(True)
        self.quantity_unit.addItems(list(QUANTITY_UNITS))
        self.quantity_words = QLabel()
        self.quantity_words.setStyleSheet("color: grey")
        qrow = QHBoxLayout()
        qrow.addWidget(self.quantity)
        qrow.addWidget(self.quantity_unit)
        qrow.addWidget(self.quantity_words, 1)
        self.days = QSpinBox()
        self.days.setRange(0, 400)
        self.days.setSpecialValueText(self.tr("unknown"))
        self.days_hint = QLabel()
        self.days_hint.setStyleSheet("color: grey")
        drow = QHBoxLayout()
        drow.addWidget(self.days)
        drow.addWidget(self.days_hint, 1)
        self.refills = QSpinBox()
        self.refills_hint = QLabel()
        self.refills_hint.setStyleSheet("color: grey")
        rrow = QHBoxLayout()
        rrow.addWidget(self.refills)
        rrow.addWidget(self.refills_hint, 1)
        self.daw = QCheckBox(self.tr("Dispense as written (no substitution)"))
        self.note = QPlainTextEdit()
        self.note.setPlaceholderText(self.tr("Note to pharmacist (optional)"))
        self.note.setMaximumHeight(60)
        self.note.setTabChangesFocus(True)
        disp = QGroupBox(self.tr("Dispense"))
        form = QFormLayout(disp)
        # rows keep their height: a controlled drug's longer hints once spread them apart with large gaps
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        form.addRow(self.tr("Quantity"), qrow)
        form.addRow(self.tr("Days supply"), drow)
        form.addRow(self.tr("Refills"), rrow)
        form.addRow("", self.daw)
        form.addRow(self.tr("Pharmacist"), self.note)

        self.errors = QLabel()
        self.errors.setStyleSheet("color: darkred")
        self.errors.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.save_button = QPushButton(self.tr("Save draft"))
        self.sign_button = QPushButton(self.tr("Check and sign…"))
        self.sign_button.setDefault(True)
        self.sign_button.setToolTip(self.tr("Runs the interaction and allergy checks, then signs (Ctrl+Enter)"))
        self.buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.sign_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.rejected.connect(self.reject)
        self.save_button.clicked.connect(lambda: self.save_draft())  # not clicked(bool) as `then`
        self.sign_button.clicked.connect(lambda: self.check_and_sign())  # not clicked(bool) as `then`
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, activated=self.check_and_sign)

        # the form scrolls (the drug list opens inside it) while the patient, prescriber and buttons stay put:
        # the editor fits a 1280x720 laptop; spare height goes below the form, never between its rows
        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        for box in (drug_box, sig_box, disp):
            box.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
            body_layout.addWidget(box)
        body_layout.addWidget(self.errors)
        body_layout.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setWidget(body)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.addWidget(head)
        layout.addWidget(self.prescriber)
        layout.addWidget(self.scroll, 1)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(720)  # the drug list's names, brands and forms read in full
        self.resize(860, 640)

        self.drug.sig_chosen.connect(self._product_chosen)
        self.drug.sig_cleared.connect(self._product_cleared)
        self.schedule.currentIndexChanged.connect(self._refresh)
        self.drug.edit.textChanged.connect(self._refresh)
        self.sig.sig_changed.connect(self._refresh)
        self.quantity.valueChanged.connect(self._refresh)
        self.quantity_unit.currentTextChanged.connect(self._refresh)
        self.days.valueChanged.connect(self._days_edited)
        # tab order follows the paper form
        order = [self.drug.edit, self.strength, self.form, self.schedule, self.sig.dose, self.sig.unit,
                 self.sig.route, self.sig.frequency, self.sig.duration, self.sig.prn, self.sig.prn_indication,
                 self.sig.extra, self.sig.typed, self.quantity, self.quantity_unit, self.days, self.refills,
                 self.daw, self.note]
        for a, b in zip(order, order[1:]):
            QWidget.setTabOrder(a, b)

    # ---------------------------------------------------------------- reacting
    def _product_chosen(self, product: Any) -> None:
        previous, self._quantity_for = self._quantity_for, product.id
        self._product = product
        if previous is not None and previous != product.id:
            # another drug: the quantity (and days supply) written for the previous one does not carry over
            self.quantity.setValue(0)
            self._days_manual = False
        self.strength.setText(product.strength)
        self.form.setText(product.dose_form)
        self.schedule.setCurrentIndex(max(0, self.schedule.findData(product.dea_schedule or "")))
        for w in (self.strength, self.form, self.schedule):
            w.setEnabled(False)  # from the formulary: not retyped
        self.sig.set_defaults(product.dispense_unit, product.route, product.default_sig)
        unit = product.dispense_unit
        if self.quantity_unit.findText(unit) < 0:
            self.quantity_unit.addItem(unit)
        self.quantity_unit.setCurrentText(unit)
        self._refresh()

    def _product_cleared(self) -> None:
        self._product = None
        for w in (self.strength, self.form, self.schedule):
            w.setEnabled(True)
        self._refresh()

    def _days_edited(self, _value: int) -> None:
        if not self._updating:
            self._days_manual = True

    _updating = False

    def _schedule_code(self) -> str:
        return str(self.schedule.currentData() or "")

    def _refresh(self, *_args: Any) -> None:
        sched = self._schedule_code()
        cap = max_refills(sched)
        self.refills.setMaximum(cap)
        if sched == "II":
            self.refills_hint.setText(self.tr("Schedule II: no refills (21 CFR 1306.12)"))
        elif sched:
            self.refills_hint.setText(self.tr("Schedule %1: at most 5 refills").replace("%1", sched))
        else:
            self.refills_hint.setText(self.tr("at most %1").replace("%1", str(cap)))
        if sched:
            note = self.tr("Schedule %1 controlled substance").replace("%1", sched)
            if not self.services.prescriber_has_dea:
                note += self.tr(" — your profile has no DEA number: you cannot sign this")
            self.schedule_note.setText(note)
        else:
            self.schedule_note.setText("")
        self._refresh_unchecked()
        unit = self.quantity_unit.currentText().strip()
        self.quantity.setDecimals(1 if unit in ("mL", "g") else 0)  # tablets are counted, liquids measured
        q = self.quantity.value()
        self.quantity_words.setText(f"({quantity_to_words(q)})" if q > 0 else "")
        parts = self.sig.parts()
        computed = days_supply(q, self.quantity_unit.currentText(), parts.dose, parts.dose_unit, parts.frequency,
                               parts.duration_days)
        self.days_hint.setText(self.tr("computed: %1").replace("%1", str(computed)) if computed
                               else self.tr("cannot be computed from the sig: enter it"))
        if not self._days_manual:
            self._updating = True
            self.days.setValue(computed or 0)
            self._updating = False

    def _refresh_unchecked(self) -> None:
        """A drug typed as free text (not a formulary product) is marked; once saved, the service says whether
        the alert engine still recognised the name."""
        text = self.drug.text().strip()
        saved = self.rx is not None and self.rx.drug_name == text and self.rx.formulary_id is None
        free = self._product is None and bool(text) and not (saved and self.rx.interaction_checked)
        self.unchecked_note.setText(self.tr("Not in the formulary: not checked for interactions") if free else "")
        self.unchecked_note.setVisible(free)

    # ---------------------------------------------------------------- data
    def _load(self, rx: RxView) -> None:
        product = self.services.product_by_id(rx.formulary_id) if (rx.formulary_id and
                                                                   self.services.product_by_id) else None
        if product is not None:
            self.drug.set_product(product)
            self._product_chosen(product)
        else:
            self.drug.edit.setText(rx.drug_name)
            self.strength.setText(rx.strength)
            self.form.setText(rx.dose_form)
            self.schedule.setCurrentIndex(max(0, self.schedule.findData(rx.dea_schedule)))
        amount, unit = split_dose(rx.dose)
        self.sig.set_parts(SigParts(amount, unit, rx.route, rx.frequency, rx.duration_days, rx.prn,
                                    rx.prn_indication))
        self.quantity.setValue(rx.quantity)
        self.quantity_unit.setCurrentText(rx.quantity_unit)
        self.refills.setValue(rx.refills)
        self.daw.setChecked(not rx.substitution_allowed)
        self.note.setPlainText(rx.pharmacist_note)
        if rx.days_supply:
            self._days_manual = True
            self.days.setValue(rx.days_supply)

    def rx_input(self) -> RxInput:
        p = self._product
        parts = self.sig.parts()
        common = dict(
            route=parts.route, dose=parts.dose, dose_unit=parts.dose_unit, frequency=parts.frequency,
            duration_days=parts.duration_days, prn=parts.prn, prn_indication=parts.prn_indication,
            sig_extra=parts.extra, sig_text=self.sig.typed_text(), quantity=self.quantity.value(),
            quantity_unit=self.quantity_unit.currentText().strip(), days_supply=self.days.value() or None,
            refills=self.refills.value(), substitution_allowed=not self.daw.isChecked(),
            pharmacist_note=self.note.toPlainText().strip(),
            encounter_id=self.rx.encounter_id if self.rx else None,
        )
        if p is not None:
            return RxInput(drug_name=p.generic, formulary_id=p.id, strength=p.strength, dose_form=p.dose_form,
                           dea_schedule=p.dea_schedule, **common)
        return RxInput(drug_name=self.drug.text(), strength=self.strength.text().strip(),
                       dose_form=self.form.text().strip(), dea_schedule=self._schedule_code(), **common)

    # ---------------------------------------------------------------- actions
    def _show_errors(self, exc: BaseException) -> None:
        if isinstance(exc, ValidationError):
            self.errors.setText("\n".join(exc.errors.values()))
        else:
            self.errors.setText(str(exc))
        self.messages.error(self, exc)

    def _prescriber_loaded(self, answer: tuple[str, bool]) -> None:
        line, has_dea = answer
        self.services.prescriber_line, self.services.prescriber_has_dea = line, has_dea
        self.prescriber.setText(line or self.tr("(no prescriber profile)"))
        self._refresh()

    def _prescriber_failed(self, exc: BaseException) -> None:
        self.prescriber.setText(self.tr("(the prescriber profile could not be read)"))
        self.messages.error(self, exc)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.save_button.setEnabled(not busy)
        self.sign_button.setEnabled(not busy)

    def save_draft(self, then: Callable[[RxView], None] | None = None) -> bool:
        """Save the draft in a worker; sig_saved (and then(rx)) once stored. False: a save is already running."""
        if self._busy:
            return False
        self.errors.setText("")
        self._set_busy(True)
        try:
            inp = self.rx_input()
        except ServiceError as exc:
            self._stopped(exc)
            return False

        def saved(rx: RxView) -> None:
            self.rx = rx
            self._refresh_unchecked()
            self.sig_saved.emit(rx)
            if then is None:
                self._set_busy(False)
            else:
                then(rx)

        self.services.save_draft(inp, self.rx.id if self.rx else None, self.rx.version if self.rx else None,
                                 saved, self._stopped)
        return True

    def _stopped(self, exc: BaseException | None = None) -> None:
        self._set_busy(False)
        if exc is not None:
            if isinstance(exc, ServiceError):
                self._show_errors(exc)
            else:  # database trouble: shown and logged by the message service
                self.messages.error(self, exc)
        self.sig_stopped.emit()

    def check_and_sign(self) -> bool:
        """Save, then sign: while the service answers NeedsDecision (nothing signed), the alert dialog lists
        every alert (interrupting ones need an override reason, a failed check an acknowledgement) and the
        signature is asked again with the decision. Each step answers by callback; the outcome is sig_signed
        (then the dialog closes) or sig_stopped. False: a save or signature is already running."""
        # list every alert while ordering, moderate and duplicate ones too
        return self.save_draft(then=lambda _rx: self._sign(Decision.listing()))

    def _sign(self, decision: Decision) -> None:
        assert self.rx is not None
        self.services.sign(self.rx.id, decision, lambda outcome: self._signed_or_decide(outcome, decision),
                           self._stopped)

    def _signed_or_decide(self, outcome: RxView | NeedsDecision, decision: Decision) -> None:
        if isinstance(outcome, NeedsDecision):
            self.resolve_alerts(self, outcome, self.services.can_override,
                                lambda answer: self._decided(answer, decision))
            return
        self._set_busy(False)
        self.signed = outcome
        self.sig_signed.emit(outcome)
        self.accept()

    def _decided(self, answer: Decision | None, decision: Decision) -> None:
        if answer is None:
            self.errors.setText(self.tr("Not signed: the prescription is saved as a draft."))
            self._stopped()
            return
        self._sign(decision.then(answer))


# ---------------------------------------------------------------- alerts before signing

def default_alert_resolver(parent: QWidget, need: NeedsDecision, can_override: bool,
                           then: Callable[[Decision | None], None]) -> Any:
    """The one alert dialog (desktop.widgets.alert_dialog), window-modal over the editor and opened with
    open(); then(None) when stopped. Returns the dialog (tests drive it)."""
    from desktop.widgets.alert_dialog import decide

    parent.alert_dialog = decide(parent, need, can_override, then)  # type: ignore[attr-defined]
    return parent.alert_dialog  # type: ignore[attr-defined]


# ---------------------------------------------------------------- wiring for the main window

def services_for(ops, patient_id: int) -> RxEditorServices:
    """Bind the editor to the real services through the app's Ops: each call runs in a worker and answers by
    callback; the prescriber's profile is read the same way while the editor is already on screen."""
    from desktop.services import prescribers, prescriptions
    from desktop.services.knowledge import KnowledgeBaseError
    from desktop.services.knowledge import formulary as load_formulary
    from desktop.services.permissions import Permission

    formulary = None
    try:
        formulary = load_formulary()
    except KnowledgeBaseError as exc:  # prescribing goes on with free text; the type-ahead says so in red
        log.error("formulary unavailable: %s", exc)

    def save(inp: RxInput, rx_id: int | None, version: int | None, done: Done, failed: Failed) -> None:
        if rx_id is None:
            ops.run(prescriptions.create_draft, patient_id, inp, done=done, failed=failed)
        else:
            ops.run(prescriptions.update_draft, rx_id, inp, expected_version=version, done=done, failed=failed)

    def sign(rx_id: int, decision: Decision, done: Done, failed: Failed) -> None:
        def answered(result: RxView | NeedsDecision) -> None:
            if not isinstance(result, NeedsDecision):
                ops.changed("prescriptions", patient_id)
                ops.changed("medications", patient_id)
            done(result)

        ops.run(prescriptions.sign, rx_id, decision, done=answered, failed=failed)

    def load_prescriber(done: Done, failed: Failed) -> None:
        ops.run(prescribers.prescriber_for_user, done=lambda profile: done(prescriber_line(profile)),
                failed=failed)

    return RxEditorServices(
        save_draft=save,
        sign=sign,
        search_drugs=formulary.search if formulary else None,
        product_by_id=formulary.by_id if formulary else None,
        can_override=ops.user.can(Permission.OVERRIDE_ALERT),
        load_prescriber=load_prescriber,
    )


def prescriber_line(profile) -> tuple[str, bool]:
    """("Ana Lima, MD · NPI … · DEA …", has a DEA number) for the editor's header; ("", False) without one."""
    if profile is None:
        return "", False
    line = f"{profile.name_with_credentials} · NPI {profile.npi}" + \
        (f" · DEA {profile.dea_number}" if profile.dea_number else " · no DEA number")
    return line, bool(profile.dea_number)


def open_prescription_editor(ctx, patient_id: int, patient_label: str, *, draft: RxView | None = None,
                             parent: QWidget | None = None, preview_after_sign: bool = True) -> PrescriptionEditor:
    """Open the editor for a new prescription (or a draft, e.g. from prescriptions.renew / modify); after
    signing, the print preview opens."""
    from desktop.services.prescriptions import prepare_rx_print

    from .pdf_preview import show_document

    editor = PrescriptionEditor(services_for(ctx.ops, patient_id), patient_label, draft=draft,
                                messages=ctx.messages, parent=parent)
    if preview_after_sign:
        editor.sig_signed.connect(lambda rx: show_document(ctx, prepare_rx_print, [rx.id], parent=parent))
    editor.open()
    return editor

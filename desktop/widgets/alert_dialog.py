"""The alert dialog every path decides with (interrupting alerts to override, the others listed, the
acknowledgement an order needs when nothing could be checked) and the red "checking unavailable" banner.

The dialog only answers (desktop.services.alert_decisions.Decision); the service that asked records it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from .dialog_base import BaseDialog
from .hint_label import hint_label

# background, text colour per severity (the badge); red family for the interruptive ones
SEVERITY_COLOURS = {
    "critical": ("#7f0000", "#ffffff"),  # a critical laboratory value
    "contraindicated": ("#7f0000", "#ffffff"),
    "major": ("#c62828", "#ffffff"),
    "moderate": ("#ef6c00", "#ffffff"),
    "minor": ("#607d8b", "#ffffff"),
}
OTHER_REASON = "Other"

# The dialog's words per path: an order (add a medication, sign a prescription) or a PHR merge, where the user
# leaves entries out or cancels the merge rather than an order.
WORDINGS = {
    "order": dict(
        unavailable="Nothing could be checked for this order.",
        pending="%n alert(s) need a decision before this order can continue.",
        listed="%n alert(s) for this order: read them, then continue.",
        acknowledge="I understand these orders were not checked",
        physician_only="Only a physician can override these alerts. Cancel the order, or ask a physician to review it.",
        cancel="Cancel order", leave_out=""),
    "merge": dict(
        unavailable="Nothing could be checked for the entries being merged.",
        pending="%n alert(s) need a decision before the merge can go on: override each with its reason, or leave "
                "out the entries that raise them.",
        listed="%n alert(s) raised by the merge: read them, then continue.",
        acknowledge="I understand the merged entries were not checked",
        physician_only="Only a physician can override these alerts. Leave out the entries that raise them, or ask "
                       "a physician to review this file.",
        cancel="Cancel the merge", leave_out="Leave these out"),
    # vital signs: a measurement, not an order; whoever entered it re-checks it, then acknowledges it
    "vitals": dict(
        unavailable="Nothing could be checked for these vital signs.",
        pending="%n vital-sign value(s) far outside safe limits. Re-check the measurement; if it is right, "
                "acknowledge it to save and act on it.",
        listed="%n vital-sign alert(s): read them, then continue.",
        acknowledge="I understand these values were not checked",
        physician_only="", cancel="Re-check", leave_out="", acknowledge_button="Acknowledge and save"),
}


def severity_badge(severity: str, parent: QWidget | None = None) -> QLabel:
    bg, fg = SEVERITY_COLOURS.get(severity, ("#455a64", "#ffffff"))
    badge = QLabel(severity.upper(), parent)
    badge.setObjectName("severityBadge")
    badge.setStyleSheet(f"background: {bg}; color: {fg}; font-weight: 700; padding: 2px 6px; border-radius: 3px;")
    badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return badge


class AlertCard(QFrame):
    """One alert: severity, what (both drugs, or drug and allergy), why, what to do, source."""

    def __init__(self, alert: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.alert = alert
        self.setObjectName("alertCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        bg, _fg = SEVERITY_COLOURS.get(alert.severity, ("#455a64", "#fff"))
        self.setStyleSheet(f"#alertCard {{ border: 1px solid {bg}; border-left: 6px solid {bg}; }}")
        top = QHBoxLayout()
        top.addWidget(severity_badge(alert.severity, self), 0, Qt.AlignmentFlag.AlignTop)
        kind = hint_label(self.tr(_KIND_LABELS.get(alert.kind, alert.kind)))
        top.addWidget(kind, 0, Qt.AlignmentFlag.AlignTop)
        top.addStretch(1)
        self.title = QLabel(alert.message)
        self.title.setObjectName("alertMessage")
        self.title.setWordWrap(True)
        self.title.setStyleSheet("font-weight: 600; font-size: 11pt;")
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.title)
        involved = list(getattr(alert, "drugs", ()) or ())
        if getattr(alert, "allergen", None):
            involved.append(self.tr("allergy: {0}").format(alert.allergen))
        if involved:
            self.involved = QLabel(self.tr("Involved: {0}").format(", ".join(involved)))
            self.involved.setWordWrap(True)
            lay.addWidget(self.involved)
        for label, text in ((self.tr("Why:"), getattr(alert, "why", "")),
                            (self.tr("What to do:"), getattr(alert, "management", ""))):
            if text:
                line = QLabel(f"<b>{label}</b> {_html(text)}")
                line.setWordWrap(True)
                line.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                lay.addWidget(line)
        if getattr(alert, "source", ""):
            src = QLabel(self.tr("Source: {0}").format(alert.source))
            src.setWordWrap(True)
            src.setStyleSheet("color: #666; font-size: 8pt;")
            lay.addWidget(src)
        self.reason_box: QComboBox | None = None
        self.comment_edit: QLineEdit | None = None

    def ask_reason(self, reasons: Sequence[str]) -> None:
        """This alert's own override reason (and comment) on the card: a merge overrides alert by alert."""
        self.reason_box = QComboBox(self)
        self.reason_box.setObjectName("cardReason")
        self.reason_box.addItems(list(reasons))
        self.reason_box.setCurrentIndex(-1)
        self.reason_box.setPlaceholderText(self.tr("Reason to override this alert..."))
        self.comment_edit = QLineEdit(self)
        self.comment_edit.setObjectName("cardComment")
        self.comment_edit.setPlaceholderText(self.tr("Comment (optional; required for 'Other')"))
        row = QHBoxLayout()
        row.addWidget(QLabel(self.tr("Override reason:")))
        row.addWidget(self.reason_box, 1)
        row.addWidget(self.comment_edit, 1)
        self.layout().addLayout(row)

    def reason(self) -> str:
        return self.reason_box.currentText() if self.reason_box is not None and self.reason_box.currentIndex() >= 0 \
            else ""

    def comment(self) -> str:
        return self.comment_edit.text().strip() if self.comment_edit is not None else ""

    def reason_ok(self) -> bool:
        reason = self.reason()
        return bool(reason) and (reason != OTHER_REASON or bool(self.comment()))


_KIND_LABELS = {"interaction": "Drug interaction", "allergy": "Drug allergy", "duplicate": "Duplicate therapy",
                "vital": "Vital sign", "critical-lab": "Critical lab value", "drug-lab": "Drug–lab check"}
INFORMATIONAL_KINDS = ("vital", "critical-lab")  # about a measurement, not an order: Close only


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class AlertDialog(BaseDialog):
    """The one alert dialog: every path that raises alerts (add a medication, sign a prescription, merge a PHR
    file, save vital signs) decides here on a services.alert_decisions.NeedsDecision.

    Interrupting alerts still without an override come first and need Override (physicians only) with a reason;
    every other alert found (moderate, minor, duplicate therapy, or already overridden for this chart) is listed
    below them without blocking: Continue goes on. A check that could not run shows the red banner and needs
    the acknowledgement tick. Cancel stops the order. After the dialog is accepted, `decision()` is the answer
    to send back with the same service call. Vital-sign alerts alone are information about a measurement, not
    an order: the dialog then only has Close.

    AlertDialog(alerts, ...) with a plain list treats every alert as needing a decision (the vitals tab, tests);
    AlertDialog.deciding(need, ...) is the form every order path uses. wording="merge" (a PHR merge) speaks of the
    merge (Cancel the merge; Leave these out, which sets `left_out`) and asks one override reason per alert.
    """

    def __init__(self, alerts: Sequence[Any], can_override: bool = False, reasons: Sequence[str] = (),
                 parent: QWidget | None = None, *, pending: Sequence[Any] | None = None,
                 unavailable: str | None = None, wording: str = "order"):
        super().__init__(parent)
        words = WORDINGS[wording]
        self.wording = wording
        self.left_out = False  # the user chose "Leave these out" (merge): the caller leaves those entries out
        self.alerts = list(alerts)
        self.pending = list(self.alerts if pending is None else pending)
        pending_ids = {id(a) for a in self.pending}
        self.listed = [a for a in self.alerts if id(a) not in pending_ids]  # shown, no decision needed
        self.unavailable = unavailable  # why nothing could be checked (None: checking ran)
        from desktop.services.alerts import ACKNOWLEDGEABLE_KINDS

        # alerts about measurements are acknowledged, not overridden: the vitals form, or a merge whose only
        # pending alerts are vital signs (a nurse merging a device's readings)
        self.acknowledging = wording == "vitals" or (wording == "merge" and bool(self.pending) and all(
            getattr(a, "kind", "") in ACKNOWLEDGEABLE_KINDS for a in self.pending))
        self.informational = bool(self.alerts) and not self.acknowledging and all(
            getattr(a, "kind", "") in INFORMATIONAL_KINDS for a in self.alerts)
        self.can_override = bool(can_override) and not self.informational and bool(self.pending) \
            and not self.acknowledging
        self._result: list[tuple[Any, str, str]] = []
        self._acknowledged_alerts: list[tuple[Any, str]] = []
        self.setWindowTitle(self.tr("Clinical alert"))
        self.setMinimumWidth(560)

        if unavailable is not None:
            text = self.tr(words["unavailable"])
        elif self.informational and all(getattr(a, "kind", "") == "critical-lab" for a in self.alerts):
            text = self.tr("%n critical laboratory value(s): review the patient now.", "", len(self.alerts))
        elif self.informational:
            text = self.tr("%n vital-sign alert(s): review the patient now.", "", len(self.alerts))
        elif self.pending:
            text = self.tr(words["pending"], "", len(self.pending))
        else:
            text = self.tr(words["listed"], "", len(self.alerts))
        head = QLabel(text)
        head.setObjectName("alertHeader")
        head.setWordWrap(True)
        head.setStyleSheet("font-size: 12pt; font-weight: 600;")

        cards = QWidget()
        cards_layout = QVBoxLayout(cards)
        self.cards = [AlertCard(a, cards) for a in self.pending]
        for card in self.cards:
            cards_layout.addWidget(card)
        self.listed_label = QLabel(self.tr("Also found (no decision needed):") if self.pending else
                                   self.tr("Found (no decision needed):"))
        self.listed_label.setObjectName("listedHeader")
        self.listed_label.setStyleSheet("font-weight: 600; margin-top: 6px;")
        self.listed_label.setVisible(bool(self.listed) and not self.informational)
        cards_layout.addWidget(self.listed_label)
        self.listed_cards = [AlertCard(a, cards) for a in self.listed]
        for card in self.listed_cards:
            cards_layout.addWidget(card)
        cards_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(cards)
        scroll.setFrameShape(QFrame.Shape.NoFrame)

        self.banner = KbUnavailableBanner(self)
        self.acknowledge_box = QCheckBox(self.tr(words["acknowledge"]))
        self.acknowledge_box.setObjectName("acknowledgeBox")
        self.acknowledge_box.setVisible(unavailable is not None)
        if unavailable is not None:
            self.banner.set_reason(unavailable)
            scroll.setVisible(False)

        self.override_box = QGroupBox(self.tr("Override"))
        form = QVBoxLayout(self.override_box)
        self.reason_box = QComboBox()
        self.reason_box.setObjectName("overrideReason")
        self.reason_box.addItems(list(reasons))
        self.reason_box.setCurrentIndex(-1)  # no reason until the physician picks one
        self.reason_box.setPlaceholderText(self.tr("Choose a reason..."))
        self.comment_edit = QPlainTextEdit()
        self.comment_edit.setObjectName("overrideComment")
        self.comment_edit.setPlaceholderText(self.tr("Comment (optional; required for 'Other')"))
        self.comment_edit.setTabChangesFocus(True)
        self.comment_edit.setFixedHeight(60)
        form.addWidget(QLabel(self.tr("Reason:")))
        form.addWidget(self.reason_box)
        form.addWidget(self.comment_edit)
        self.per_alert = wording == "merge"  # each alert its own reason, not one reason for six alerts
        self.override_box.setVisible(self.can_override and not self.per_alert)
        if self.can_override and self.per_alert:
            for card in self.cards:
                card.ask_reason(reasons)
                card.reason_box.currentIndexChanged.connect(self._update)
                card.comment_edit.textChanged.connect(self._update)

        self.physician_only = QLabel(self.tr(words["physician_only"]))
        self.physician_only.setObjectName("physicianOnly")
        self.physician_only.setWordWrap(True)
        self.physician_only.setStyleSheet("color: #7f0000;")
        self.physician_only.setVisible(bool(self.pending) and not self.can_override and not self.informational
                                       and not self.acknowledging)

        buttons = QDialogButtonBox()
        self.cancel_button = QPushButton(self.tr("Close") if self.informational else self.tr(words["cancel"]))
        self.cancel_button.setObjectName("cancelButton")
        self.override_button = QPushButton(self.tr("Override"))
        self.override_button.setObjectName("overrideButton")
        self.continue_button = QPushButton(self.tr("Continue"))
        self.continue_button.setObjectName("continueButton")
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)
        buttons.addButton(self.override_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.continue_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.cancel_button.setDefault(True)  # Enter never overrides (or continues) by accident
        for b in (self.override_button, self.continue_button):
            b.setAutoDefault(False)
        self.override_button.setVisible(self.can_override)
        self.override_button.setEnabled(False)
        self.continue_button.setVisible(not self.pending and not self.informational)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self._override)
        self.continue_button.clicked.connect(self._continue)
        self.leave_out_button = QPushButton(self.tr(words["leave_out"] or "Leave these out"))
        self.leave_out_button.setObjectName("leaveOutButton")
        self.leave_out_button.setAutoDefault(False)
        if words["leave_out"]:
            buttons.addButton(self.leave_out_button, QDialogButtonBox.ButtonRole.DestructiveRole)
            self.leave_out_button.clicked.connect(self._leave_out)
        self.leave_out_button.setVisible(bool(words["leave_out"]) and bool(self.pending) and not self.informational)
        self.acknowledge_button = QPushButton(self.tr(words.get("acknowledge_button") or "Acknowledge"))
        self.acknowledge_button.setObjectName("acknowledgeButton")
        self.acknowledge_button.setAutoDefault(False)
        if self.acknowledging:
            buttons.addButton(self.acknowledge_button, QDialogButtonBox.ButtonRole.ActionRole)
            self.acknowledge_button.clicked.connect(self._acknowledge)
        self.acknowledge_button.setVisible(self.acknowledging and bool(self.pending))

        lay = QVBoxLayout(self)
        lay.addWidget(self.banner)
        lay.addWidget(head)
        lay.addWidget(scroll, 1)
        lay.addWidget(self.acknowledge_box)
        lay.addWidget(self.override_box)
        lay.addWidget(self.physician_only)
        lay.addWidget(buttons)

        self.reason_box.currentIndexChanged.connect(self._update)
        self.comment_edit.textChanged.connect(self._update)
        self.acknowledge_box.toggled.connect(self._update)
        self._update()

    @classmethod
    def deciding(cls, need: Any, can_override: bool, reasons: Sequence[str],
                 parent: QWidget | None = None, wording: str = "order") -> AlertDialog:
        """The dialog for a NeedsDecision (every alert listed, the pending ones to decide)."""
        return cls(need.alerts, can_override, reasons, parent, pending=need.pending,
                   unavailable=None if need.kb_available else (need.error or "unknown error"), wording=wording)

    def reason(self) -> str:
        return self.reason_box.currentText() if self.reason_box.currentIndex() >= 0 else ""

    def comment(self) -> str:
        return self.comment_edit.toPlainText().strip()

    def _acknowledged(self) -> bool:
        return self.unavailable is None or self.acknowledge_box.isChecked()

    def _update(self) -> None:
        reason = self.reason()
        if self.per_alert:
            ok = self.can_override and all(card.reason_ok() for card in self.cards)
        else:
            ok = self.can_override and bool(reason) and (reason != OTHER_REASON or bool(self.comment()))
        self.override_button.setEnabled(ok and self._acknowledged())
        self.continue_button.setEnabled(self._acknowledged())
        self.acknowledge_button.setEnabled(self._acknowledged())

    def _override(self) -> None:
        if not self.override_button.isEnabled():  # Ctrl+Enter or a stale click cannot bypass the reason
            return
        if self.per_alert:
            self._result = [(card.alert, card.reason(), card.comment()) for card in self.cards]
        else:
            reason, comment = self.reason(), self.comment()
            self._result = [(a, reason, comment) for a in self.pending]
        self.accept()

    def _acknowledge(self) -> None:
        """Vital signs: the user re-checked the values and they are right; the service stores the
        acknowledgement (the same record as an override) and saves."""
        if not self.acknowledging or not self.pending or not self._acknowledged():
            return
        self._acknowledged_alerts = [(a, "") for a in self.pending]
        self.accept()

    def _leave_out(self) -> None:
        """Merge: leave out the entries that raise the pending alerts (the caller unticks them); nothing decided."""
        self.left_out = True
        self.reject()

    def _continue(self) -> None:
        if self.pending or not self.continue_button.isEnabled():
            return
        self._result = []
        self.accept()

    def overrides(self) -> list[tuple[Any, str, str]]:
        return list(self._result)

    def decision(self) -> Any:
        """The answer for the service (alert_decisions.Decision): the overrides, the acknowledgement, and
        every alert shown. None when the dialog was cancelled."""
        from desktop.services.alert_decisions import Decision

        if self.result() != BaseDialog.DialogCode.Accepted:
            return None
        return Decision(overrides=tuple(self._result), acknowledged_no_checking=self.unavailable is not None,
                        acknowledged=tuple(self._acknowledged_alerts),
                        shown=frozenset(str(getattr(a, "key", "") or "") for a in self.alerts))


def decide(parent: QWidget, need: Any, can_override: bool, done: Callable[[Any], None],
           wording: str = "order") -> AlertDialog:
    """Open the alert dialog for a NeedsDecision (with open(), not a nested event loop); done(Decision) when the
    user decided, done(None) when they cancelled (or, merging, left the entries out: dialog.left_out). Returns
    the dialog (tests drive it)."""
    from desktop.services.alerts import OVERRIDE_REASONS

    dialog = AlertDialog.deciding(need, can_override, OVERRIDE_REASONS, parent, wording)
    dialog.finished.connect(lambda _code: done(dialog.decision()))
    dialog.open()
    return dialog


class KbUnavailableBanner(QFrame):
    """Red strip shown in the chart while the alert knowledge base cannot be loaded."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("kbUnavailableBanner")
        self.setStyleSheet("#kbUnavailableBanner { background: #b00020; } #kbUnavailableBanner QLabel "
                           "{ color: white; font-weight: 700; }")
        self.label = QLabel()
        self.label.setWordWrap(True)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(10, 6, 10, 6)
        lay.addWidget(self.label)
        self.reason = ""
        self.setVisible(False)

    def set_reason(self, reason: str) -> None:
        """Show the banner with the reason the checks cannot run."""
        self.reason = reason or self.tr("unknown error")
        self.label.setText(self.tr("Interaction checking unavailable: {0}").format(self.reason))
        self.setVisible(True)

    def clear(self) -> None:
        self.reason = ""
        self.label.clear()
        self.setVisible(False)

    def text(self) -> str:
        return self.label.text()

"""The strip across the top of every chart: who this is, and their allergies at a glance."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from desktop.domain.dates import show_date


class PatientBanner(QFrame):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("patientBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("#patientBanner { background: #eef3f8; border: 1px solid #c5d3e0; }")
        self.name = QLabel()
        self.name.setObjectName("bannerName")
        self.name.setStyleSheet("font-size: 16pt; font-weight: 600;")
        self.name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # a long name wraps (never cut: it is how the patient is identified) instead of widening the window past
        # the screen, which pushed the allergy badge out of sight
        self.name.setWordWrap(True)
        self.details = QLabel()
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.incomplete = QLabel()
        self.incomplete.setObjectName("bannerIncomplete")
        self.incomplete.setWordWrap(True)
        self.incomplete.setStyleSheet("color: white; background: #b00020; padding: 4px 8px; font-weight: 600;")
        self.incomplete.setVisible(False)
        self.allergies = QLabel()
        self.allergies.setObjectName("bannerAllergies")
        self.allergies.setWordWrap(True)
        left = QVBoxLayout()
        left.setSpacing(2)
        left.addWidget(self.name)
        left.addWidget(self.details)
        left.addWidget(self.incomplete)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 10, 6)
        row.addLayout(left, 3)
        row.addWidget(self.allergies, 2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)

    def set_patient(self, details) -> None:
        d = details.data
        self.name.setText(details.display_name)
        sex = {"female": "F", "male": "M", "other": "Other", "unknown": "Unknown"}.get(d.sex, d.sex)
        self.details.setText(
            f"{details.age}   {sex}   DOB {show_date(d.birth_date)}   MRN {details.mrn}"
            + (f"   {d.phone_mobile or d.phone_home}" if (d.phone_mobile or d.phone_home) else "")
        )
        self.set_allergy_status(details.allergy_status, details.has_allergies)

    def set_incomplete(self, parts: list[str]) -> None:
        """Some of the chart could not be read: never let it pass for a complete chart."""
        self.incomplete.setText(self.tr("Chart incomplete: {parts} could not be loaded").format(
            parts=", ".join(parts)) if parts else "")
        self.incomplete.setVisible(bool(parts))

    def set_allergy_status(self, text: str, has_allergies: bool) -> None:
        if has_allergies:
            self.allergies.setText(f"Allergies: {text}")
            self.allergies.setStyleSheet("color: white; background: #c0392b; padding: 4px 8px; font-weight: 600;")
        elif text == "NKDA":
            self.allergies.setText("NKDA")
            self.allergies.setStyleSheet("color: #1e6b32; padding: 4px 8px; font-weight: 600;")
        else:
            self.allergies.setText(text)
            self.allergies.setStyleSheet("color: #8a5a00; background: #fff3cd; padding: 4px 8px; font-weight: 600;")

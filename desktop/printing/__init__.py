"""Printed documents with reportlab: prescriptions, patient summary, encounter note. No Qt, no database.

Inputs are the dataclasses of `desktop.printing.data`; each renderer returns the PDF bytes.
"""

from __future__ import annotations

from .data import (
    AddendumLine,
    AllergyLine,
    EncounterLine,
    ImmunizationLine,
    MedicationLine,
    NoteData,
    PatientInfo,
    PracticeInfo,
    PrescriberInfo,
    ProblemLine,
    RxItem,
    SummaryData,
    TrendPoint,
    VitalsRow,
)
from .page import page_size


def render_prescriptions(*args, **kwargs) -> bytes:
    from .rx import render_prescriptions as _render

    return _render(*args, **kwargs)


def render_summary(data: SummaryData) -> bytes:
    from .summary import render_summary as _render

    return _render(data)


def render_note(data: NoteData) -> bytes:
    from .note import render_note as _render

    return _render(data)


__all__ = [
    "AddendumLine", "AllergyLine", "EncounterLine", "ImmunizationLine", "MedicationLine", "NoteData",
    "PatientInfo", "PracticeInfo", "PrescriberInfo", "ProblemLine", "RxItem", "SummaryData", "TrendPoint",
    "VitalsRow", "page_size", "render_note", "render_prescriptions", "render_summary",
]

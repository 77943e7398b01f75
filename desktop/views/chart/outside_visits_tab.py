"""Outside visits tab: encounters elsewhere as the patient's files list them, with their source. Read-only
(nothing to add or edit by hand); a physician may mark a wrong one entered in error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QWidget

from desktop.domain.dates import show_datetime
from desktop.ops import bind
from desktop.services import outside_encounters as svc
from desktop.services.outside_encounters import OutsideEncounterRow
from desktop.services.permissions import Permission
from desktop.widgets.table_model import Column

from .base import ChartContext
from .list_tab import ListTab


def _when(row: OutsideEncounterRow) -> str:
    return show_datetime(row.start.astimezone()) if row.start else ""


class OutsideVisitsTab(ListTab):
    kind = "encounters"  # the PHR merge announces its "encounters" category under this name
    noun = "outside visit"
    empty_text = "No visits elsewhere on file. They arrive with the patient's health records (PHR import)."
    edit_permission = Permission.RECORD_HISTORY

    def __init__(self, chart: ChartContext, parent: QWidget | None = None):
        super().__init__(chart, parent)
        self.add_button.hide()  # imported only
        self.edit_button.hide()

    def add(self) -> None:
        """Outside visits come only from files."""

    def edit_selected(self) -> None:
        """Read-only: what the file said stays as it said it."""

    def columns(self) -> list[Column]:
        return [
            Column(self.tr("Date"), _when),
            Column(self.tr("Type"), lambda r: r.kind),
            Column(self.tr("Facility"), lambda r: r.facility),
            Column(self.tr("Reason"), lambda r: r.reason),
            Column(self.tr("Clinician"), lambda r: r.performer),
            Column(self.tr("Source"), lambda r: r.source or self.tr("file")),
        ]

    def fetch(self, uow: Any, patient_id: int, include_errors: bool) -> list[OutsideEncounterRow]:
        return svc.list_outside_encounters(uow, patient_id, include_errors)

    def describe(self, row: OutsideEncounterRow) -> str:
        return f"{row.kind or 'visit'} {_when(row)} at {row.facility or 'unknown facility'}"

    def mark_error(self, row: OutsideEncounterRow, reason: str) -> Callable[[Any], Any]:
        return bind(svc.mark_outside_encounter_in_error, row.id, reason, row.version)

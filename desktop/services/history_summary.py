"""The histories in brief, for the Summary tab, the summary PDF and note templates: current smoking status and
other current social history, surgical/procedure history (each procedure once, with how often and when last),
and the main family history (first-degree relatives first)."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date

from desktop.kb.text import fold

from . import family_history, procedure_history, social_history
from .family_history import FamilyRow
from .permissions import Permission
from .social_history import KIND_LABELS, SocialRow
from .uow import UnitOfWork

PROCEDURES_SHOWN = 8
FAMILY_SHOWN = 8


@dataclass(frozen=True, slots=True)
class ProcedureBrief:
    description: str
    code: str
    last: date | None
    times: int


@dataclass(frozen=True, slots=True)
class HistoryBrief:
    smoking: SocialRow | None = None
    social: tuple[SocialRow, ...] = ()  # the current statement of every other kind (alcohol, occupation...)
    procedures: tuple[ProcedureBrief, ...] = ()
    procedures_total: int = 0
    family: tuple[FamilyRow, ...] = ()
    family_total: int = 0
    notes: tuple[str, ...] = field(default=())

    @property
    def smoking_text(self) -> str:
        return self.smoking.summary if self.smoking else "Smoking status not recorded"

    def social_lines(self) -> list[str]:
        """'Smoking status: Former smoker, 12 pack-years (2023-02-01)', one per kind."""
        out = []
        for r in ((self.smoking,) if self.smoking else ()) + self.social:
            when = f" ({r.observed_date:%Y-%m-%d})" if r.observed_date else ""
            out.append(f"{KIND_LABELS.get(r.kind, r.kind)}: {r.summary}{when}")
        return out

    def subjective_text(self) -> str:
        """The social history as a note's Subjective says it."""
        lines = self.social_lines() or ["Smoking status not recorded"]
        return "Social history: " + "; ".join(lines) + "."


def _procedures(rows: list) -> list[ProcedureBrief]:
    grouped: OrderedDict[str, list] = OrderedDict()
    for r in rows:  # newest first
        if r.status in ("not-done",):
            continue
        grouped.setdefault(f"{r.code_system}:{r.code}" if r.code else fold(r.description), []).append(r)
    return [ProcedureBrief(description=g[0].description, code=g[0].code, last=g[0].performed_date, times=len(g))
            for g in grouped.values()]


def _brief(uow: UnitOfWork, patient_id: int) -> HistoryBrief:
    social_rows = social_history._list(uow, patient_id)
    current = social_history.current(social_rows)
    smoking = current.pop("smoking", None)
    procedures = _procedures(procedure_history._list(uow, patient_id))
    family = family_history._list(uow, patient_id)
    return HistoryBrief(smoking=smoking, social=tuple(current.values()), procedures=tuple(procedures[:PROCEDURES_SHOWN]),
                        procedures_total=len(procedures), family=tuple(family[:FAMILY_SHOWN]), family_total=len(family))


def history_brief(uow: UnitOfWork, patient_id: int) -> HistoryBrief:
    uow.require(Permission.VIEW_CHART)
    return _brief(uow, patient_id)


def brief_for_print(uow: UnitOfWork, patient_id: int) -> HistoryBrief:
    """The same for the printed summary, which the front desk may print (DESIGN.md: printing)."""
    uow.require(Permission.PRINT)
    return _brief(uow, patient_id)


def social_history_text(uow: UnitOfWork, patient_id: int) -> str:
    """'Social history: Smoking status: Former smoker, 12 pack-years (2023-02-01); Alcohol: AUDIT-C 3.' for notes."""
    uow.require(Permission.VIEW_CHART)
    return _brief(uow, patient_id).subjective_text()

"""What a reviewer left out of a PHR merge, remembered per source item.

A NEW file item the reviewer unticked (its default was to add it) is stored with the import it was reviewed
in, the user and the time. The next plan of any file that holds the same item (same category, source system
and resource id; the plan's item key when the file gives no id) marks it "rejected on DATE by NAME (import
#N)", and the review starts with it unticked; the reviewer may still tick it. Imports that were undone no
longer count: their review does not stand.

    plan = mark_rejected(uow, patient_id, plan)                      # in plan_import
    record_rejections(uow, patient_id, import_id, plan, decisions)   # in apply_import, once the merge is in
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select

from desktop.models import PhrImport, PhrRejection, User
from desktop.phr import Decision, ImportPlan, ItemStatus, PlanItem
from desktop.phr.dates import as_aware

from .chart_rows import clip
from .uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class Rejection:
    import_id: int
    rejected_at: datetime
    by: str

    @property
    def text(self) -> str:
        when = as_aware(self.rejected_at).astimezone().strftime("%Y-%m-%d")
        return f"rejected on {when} by {self.by} (import #{self.import_id})"


def _identity(category: str, source_system: str, source_resource_id: str, item_key: str) -> tuple[str, ...]:
    if source_resource_id:
        return (category, source_system or "", source_resource_id)
    return (category, "", "", item_key)


def _item_identity(item: PlanItem) -> tuple[str, ...]:
    f = item.file_item
    return _identity(item.category, clip(PhrRejection, "source_system", f.source_system or ""),
                     clip(PhrRejection, "source_resource_id", f.source_resource_id or ""),
                     clip(PhrRejection, "item_key", item.key))


def _label(item: PlanItem) -> str:
    f = item.file_item
    for name in ("text", "substance", "vaccine", "name"):
        value = getattr(f, name, None)
        if value:
            return str(value)
    return item.key


def rejected_items(plan: ImportPlan, decisions: Mapping[str, Decision]) -> list[PlanItem]:
    """The NEW items the reviewer unticked (offered ticked, decided Skip)."""
    skipped = [k for k, d in decisions.items() if d == Decision.SKIP]  # a StrEnum: the member or its value
    if not skipped:  # a device export taken whole: no index of its 100,000s of items at its busiest moment
        return []
    items = plan.by_key()
    return [items[k] for k in skipped if k in items
            and items[k].status is ItemStatus.NEW and items[k].default is not None and items[k].default.writes]


def rejections(uow: UnitOfWork, patient_id: int) -> dict[tuple[str, ...], Rejection]:
    """The latest rejection of each source item on this chart (undone imports left out)."""
    rows = uow.session.execute(
        select(PhrRejection, User.display_name, User.username)
        .join(PhrImport, PhrImport.id == PhrRejection.phr_import_id)
        .join(User, User.id == PhrRejection.rejected_by_id, isouter=True)
        .where(PhrRejection.patient_id == patient_id, PhrImport.status == "applied")
        .order_by(PhrRejection.id))
    out: dict[tuple[str, ...], Rejection] = {}
    for row, name, username in rows:
        key = _identity(row.category, row.source_system, row.source_resource_id, row.item_key)
        out[key] = Rejection(import_id=row.phr_import_id, rejected_at=row.rejected_at,
                             by=name or username or "unknown user")
    return out


def mark_rejected(uow: UnitOfWork, patient_id: int, plan: ImportPlan) -> ImportPlan:
    """The plan with each NEW item rejected in an earlier import marked (PlanItem.rejected)."""
    known = rejections(uow, patient_id)
    if not known:
        return plan
    items = []
    for item in plan.items:
        found = known.get(_item_identity(item)) if item.status is ItemStatus.NEW else None
        items.append(replace(item, rejected=found.text) if found is not None else item)
    return replace(plan, items=tuple(items))


def record_rejections(uow: UnitOfWork, patient_id: int, import_id: int, plan: ImportPlan,
                      decisions: Mapping[str, Decision]) -> int:
    """Remember the items the reviewer unticked in this import (called by apply_import, whose permission
    checks cover it); one audit row lists them. Returns how many."""
    items = rejected_items(plan, decisions)
    if not items:
        return 0
    user_id = uow.user.id
    if user_id is None:  # the command line never unticks, but keep the column honest
        return 0
    for item in items:
        f = item.file_item
        uow.session.add(PhrRejection(
            patient_id=patient_id, phr_import_id=import_id, category=item.category,
            source_system=clip(PhrRejection, "source_system", f.source_system or ""),
            source_resource_id=clip(PhrRejection, "source_resource_id", f.source_resource_id or ""),
            item_key=clip(PhrRejection, "item_key", item.key), label=clip(PhrRejection, "label", _label(item)),
            rejected_by_id=user_id))
    uow.session.flush()
    uow.audit("phr_reject", "phr_import", import_id, patient_id,
              f"PHR import #{import_id}: left out {len(items)} item(s): "
              + "; ".join(f"{i.category}: {_label(i)}" for i in items))
    return len(items)

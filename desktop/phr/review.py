"""The merge plan the reviewer works through: one PlanItem per distinct file item, beside its chart match."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from operator import attrgetter

from .identity import IdentityMatch
from .records import CATEGORIES, CLINICAL_CATEGORIES, FileInfo, PhrItem, PhrPatient, Skipped
from .snapshot import ChartItem


class ItemStatus(StrEnum):
    NEW = "new"  # not in the chart
    DUPLICATE = "duplicate"  # already in the chart, nothing differs
    CHANGED = "changed"  # the same item, other details: keep chart / take file / keep both
    CONFLICT = "conflict"  # the file contradicts the chart (NKDA vs an allergy, another value at the same time)


class Decision(StrEnum):
    ADD = "add"  # add the file's item to the chart
    SKIP = "skip"  # leave it out
    KEEP_CHART = "keep_chart"  # the chart stays as it is
    TAKE_FILE = "take_file"  # the chart's row takes the file's details
    KEEP_BOTH = "keep_both"  # add the file's item beside the chart's

    @property
    def label(self) -> str:
        return {"add": "Add", "skip": "Skip", "keep_chart": "Keep chart", "take_file": "Take file",
                "keep_both": "Keep both"}[self.value]

    @property
    def writes(self) -> bool:
        return self in _WRITING  # asked for every item of a plan: a set, not Decision.ADD (a slow enum lookup)


_WRITING = frozenset({Decision.ADD, Decision.TAKE_FILE, Decision.KEEP_BOTH})


@dataclass(frozen=True, slots=True)
class PlanItem:
    key: str  # stable for the same file and chart: decisions are keyed by it
    category: str  # problems | medications | allergies | immunizations | observations
    status: ItemStatus
    file_item: PhrItem
    chart_item: ChartItem | None = None
    differences: tuple[str, ...] = ()
    choices: tuple[Decision, ...] = ()
    default: Decision | None = None  # None: the reviewer must decide (CHANGED, CONFLICT)
    matched_by: str = ""  # "source id", "code", "ingredient", "text", "time"
    copies_in_file: int = 1
    series: str = ""  # the reading series this item is summarised in ("" = listed on its own)
    rejected: str = ""  # "rejected on 2026-12-04 by Dr. Ana Lima (import #3)": left out of an earlier merge

    @property
    def needs_decision(self) -> bool:
        return self.default is None

    @property
    def clinical(self) -> bool:
        return self.category in CLINICAL_CATEGORIES


@dataclass(frozen=True, slots=True)
class DailyValue:
    day: date
    count: int
    low: float
    high: float
    mean: float


@dataclass(frozen=True, slots=True)
class ReadingSeries:
    """Many device readings of one kind, summarised for the reviewer instead of listed one by one."""

    key: str
    loinc: str
    name: str
    unit: str
    devices: tuple[str, ...]
    count: int
    new_count: int
    first: datetime
    last: datetime
    daily: tuple[DailyValue, ...]
    item_keys: tuple[str, ...]
    new_item_keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ImportPlan:
    info: FileInfo
    patient_ref: str
    file_patient: PhrPatient | None
    identity: IdentityMatch
    items: tuple[PlanItem, ...]
    series: tuple[ReadingSeries, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    notes: tuple[str, ...] = ()
    chart_patient_id: int | None = None
    previous_import: str = field(default="")  # "imported 2026-11-20 by dr.a (import #3)" when the same file was
    # per category, a mark of the chart's rows when the plan was made (set by the service that read the chart):
    # at apply, only the categories whose mark moved are diffed again; () = unknown, every category is
    chart_marks: tuple[tuple[str, tuple], ...] = ()

    def in_category(self, category: str) -> tuple[PlanItem, ...]:
        return tuple(i for i in self.items if i.category == category)

    def by_key(self) -> dict[str, PlanItem]:
        return {i.key: i for i in self.items}

    def counts(self) -> dict[str, dict[str, int]]:
        out = {c: {s.value: 0 for s in ItemStatus} for c in CATEGORIES}
        for (category, status), n in Counter(map(_category_status, self.items)).items():  # counted in C
            out[category][status.value] += n
        return out

    def totals(self) -> Counter:
        return Counter({status.value: n for status, n in Counter(map(_status, self.items)).items()})

    def default_decisions(self, accept: str = "new") -> dict[str, Decision]:
        """accept='new': every NEW item is added (the dialog's defaults); 'none': nothing is."""
        if accept not in ("new", "none"):
            raise ValueError(f"accept must be 'new' or 'none', not {accept!r}")
        if accept == "none":
            return {}
        return {i.key: i.default for i in self.items if i.default is not None and i.default.writes}


_category_status = attrgetter("category", "status")
_status = attrgetter("status")

"""Table models for the PHR review: the file's item beside the chart's, a checkbox and a decision per item.

The models edit one shared `DecisionBook` (plan item key -> Decision); the dialog hands it to the service.
NEW items start checked, DUPLICATE items unchecked and greyed, CHANGED and CONFLICT items need a decision
(keep chart / take file / keep both). Device readings are summarised per kind in ReadingSeriesModel.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QComboBox, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from desktop.domain.dates import show_date, show_datetime
from desktop.phr import Decision, ImportPlan, ItemStatus, PlanItem, ReadingSeries, history_text
from desktop.services.vitals import same_vital

Index = QModelIndex | QPersistentModelIndex
UNDECIDED = "— choose —"
STATUS_COLOURS = {ItemStatus.NEW: "#1b5e20", ItemStatus.DUPLICATE: "#888888", ItemStatus.CHANGED: "#e65100",
                  ItemStatus.CONFLICT: "#b71c1c"}
REJECTED_COLOUR = "#6a1b9a"  # left out of an earlier merge
ALERTED_BACKGROUND = "#fde2e1"  # the entry raised an alert the user cancelled the merge for (or left out)


class DecisionBook(QObject):
    """The reviewer's decisions for one plan. `locked` categories (a nurse's clinical tabs) cannot be chosen."""

    changed = Signal()

    def __init__(self, plan: ImportPlan, locked: Sequence[str] = (), parent: QObject | None = None):
        super().__init__(parent)
        self.plan = plan
        self.items = plan.by_key()
        self.locked = set(locked)
        self._d: dict[str, Decision | None] = {}
        self.alerted: dict[str, tuple[str, ...]] = {}  # item key -> the alerts it raised at the last merge attempt
        self.left_out: set[str] = set()  # keys left out of the merge because of their alerts
        for item in plan.items:
            self._d[item.key] = None if item.category in self.locked else self.initial(item)

    @staticmethod
    def initial(item: PlanItem) -> Decision | None:
        """The plan's default, except that an item left out of an earlier merge starts unticked."""
        if item.rejected and item.default is not None and item.default.writes:
            return Decision.SKIP
        return item.default

    def get(self, key: str) -> Decision | None:
        return self._d.get(key)

    def can_edit(self, item: PlanItem) -> bool:
        return item.category not in self.locked and item.status is not ItemStatus.DUPLICATE

    def set(self, key: str, decision: Decision | None, *, quiet: bool = False) -> bool:
        item = self.items[key]
        if not self.can_edit(item) or (decision is not None and decision not in item.choices):
            return False
        self._d[key] = decision
        if not quiet:
            self.changed.emit()
        return True

    def set_many(self, keys: Sequence[str], decision_for: Callable[[PlanItem], Decision | None]) -> None:
        for k in keys:
            self.set(k, decision_for(self.items[k]), quiet=True)
        self.changed.emit()

    def mark_alerted(self, marks: dict[str, tuple[str, ...]], *, leave_out: bool = False) -> int:
        """Mark the rows whose entries raised the alerts the user cancelled (or left out); leave_out: untick them
        (keep the chart for a changed item). Returns how many were left out."""
        self.alerted = dict(marks)
        self.left_out = set()
        if leave_out:
            for key in marks:
                item = self.items[key]
                out = Decision.SKIP if Decision.SKIP in item.choices else Decision.KEEP_CHART
                if self.set(key, out, quiet=True):
                    self.left_out.add(key)
        self.changed.emit()
        return len(self.left_out)

    def undecided(self, category: str | None = None) -> list[PlanItem]:
        return [i for i in self.plan.items if self._d.get(i.key) is None and i.needs_decision
                and i.category not in self.locked and (category is None or i.category == category)]

    def decisions(self) -> dict[str, Decision]:
        """What the service applies: every decided item (undecided CHANGED/CONFLICT items keep the chart)."""
        return {k: d for k, d in self._d.items() if d is not None}

    def selected_count(self, category: str | None = None) -> int:
        return sum(1 for k, d in self._d.items() if d is not None and d.writes
                   and (category is None or self.items[k].category == category))


# ------------------------------------------------------------------ describing items

def _in_file_time(value: datetime | None) -> str:
    """A reading's time as the file gives it (its own UTC offset), the same clock as its day in the daily
    values: 2026-03-07 20:00 -0500 stays 03-07 20:00, not 03-08 01:00 on a computer in another zone."""
    return show_datetime(value)


def unit_text(unit: str) -> str:
    """A UCUM unit as people read it: annotations lose their braces ("{steps}" -> "steps", "{score}" ->
    "score"); a unit that is only "1" (a count) shows nothing."""
    shown = re.sub(r"\{([^{}]*)\}", r"\1", unit or "").strip()
    return "" if shown == "1" else shown


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return show_datetime(value.astimezone())
    if isinstance(value, date):
        return show_date(value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def file_text(item: PlanItem) -> str:
    f = item.file_item
    c = item.category
    if c == "problems":
        code = f.icd10 or (f"SNOMED {f.snomed}" if f.snomed else "")
        dates = f"onset {_fmt(f.onset)}" if f.onset else ""
        return " · ".join(x for x in (f.text, code, f.status, dates) if x)
    if c == "medications":
        parts = [f.text]
        if f.ingredients and "+".join(f.ingredients).lower() not in f.text.lower():
            parts.append("(" + " + ".join(f.ingredients) + ")")
        parts += [x for x in (f.sig, f.status, f"since {_fmt(f.start)}" if f.start else "") if x]
        return " · ".join(parts)
    if c == "allergies":
        if f.no_known_allergies:
            return "No known allergies"
        return " · ".join(x for x in (f.substance, f.reaction, f.severity, f.status,
                                      f"({f.verification})" if f.verification == "refuted" else "") if x)
    if c in history_text.CATEGORIES:
        return history_text.file_text(c, f)
    if c == "immunizations":
        return " · ".join(x for x in (f.vaccine, f"CVX {f.cvx}" if f.cvx else "", _fmt(f.date_given),
                                      f"lot {f.lot_number}" if f.lot_number else "") if x)
    if c == "results":
        flag = f" ({f.flag})" if f.flag and f.flag != "N" else ""
        rng = f"range {f.ref_low:g}–{f.ref_high:g}" if f.ref_low is not None and f.ref_high is not None else ""
        return " · ".join(x for x in (f"{f.name}: {f.value_display} {f.unit}".strip() + flag, rng,
                                      f.status if f.status != "final" else "", _fmt(f.collected_at),
                                      f.panel_name) if x)
    return f"{f.name}: {f.value:g} {f.unit} · {_fmt(f.taken_at)}"


def status_text(item: PlanItem, book: DecisionBook | None = None, *, short: bool = False) -> str:
    """NEW, DUPLICATE ...; an item left out of an earlier merge says so: "NEW · rejected on DATE by NAME (import
    #N)" (short, for the table's column: without the import number); one whose alerts stopped the merge:
    "NEW · alert (left out)"."""
    parts = [item.status.value.upper()]
    if book is not None and item.key in book.alerted:
        parts.append("alert (left out)" if item.key in book.left_out else "alert")
    if item.rejected:
        parts.append(item.rejected.split(" (import #")[0] if short else item.rejected)
    return " · ".join(parts)


def entries_raising(alerts: Sequence[Any], book: DecisionBook) -> dict[str, tuple[str, ...]]:
    """The plan items being merged that each alert names (a medication by its name in the alert, a drug
    allergy by its substance): item key -> the alerts' messages."""
    out: dict[str, list[str]] = {}
    readings = _readings_of_value(alerts, book)
    for item in book.plan.items:
        decision = book.get(item.key)
        if decision is None or not decision.writes or item.category not in ("medications", "allergies",
                                                                            "observations", "social_history"):
            continue
        f = item.file_item
        for alert in alerts:
            values = getattr(alert, "values", None) or {}
            if item.category == "medications":
                hit = any(_same_name(f.text, d) for d in getattr(alert, "drugs", ()) or ())
            elif item.category == "observations":  # a vital-sign alert on the newest readings: by its LOINC
                hit = getattr(alert, "kind", "") == "vital" and same_vital(values.get("loinc") or "",
                                                                           getattr(f, "loinc", "") or "")
                hit = hit and (id(alert) not in readings or item.key in readings[id(alert)])
            elif item.category == "social_history":  # the smoking + contraceptive rule: the smoking status
                hit = getattr(f, "kind", "") == "smoking" and "smoking" in values
            else:
                hit = bool(getattr(alert, "allergen", None)) and _same_name(f.substance, alert.allergen)
            if hit:
                out.setdefault(item.key, []).append(alert.message)
    return {k: tuple(v) for k, v in out.items()}


def _readings_of_value(alerts: Sequence[Any], book: DecisionBook) -> dict[int, set[str]]:
    """For each vital alert, the readings being merged with its LOINC and its very value, when there are any: a
    heart rate of 30 beside one of 72 (a watch and a cuff), or one of 200 days before, marks only the 30. (A value
    the alert states in another unit than the file's matches none: then every reading of its LOINC is marked.)"""
    out: dict[int, set[str]] = {}
    for alert in alerts:
        values = getattr(alert, "values", None) or {}
        if getattr(alert, "kind", "") != "vital" or not isinstance(values.get("value"), int | float):
            continue
        keys = {item.key for item in book.plan.items if item.category == "observations"
                and same_vital(values.get("loinc") or "", getattr(item.file_item, "loinc", "") or "")
                and isinstance(getattr(item.file_item, "value", None), int | float)
                and abs(item.file_item.value - values["value"]) < 1e-6}
        if keys:
            out[id(alert)] = keys
    return out


def _same_name(file_name: str, alert_name: str) -> bool:
    """A name as the chart row keeps it: the file's text, clipped with an ellipsis when too long."""
    a, b = (" ".join((n or "").casefold().split()) for n in (file_name, alert_name))
    if not a or not b:
        return False
    return a == b or (b.endswith("…") and a.startswith(b[:-1]))


def file_source(item: PlanItem) -> str:
    f = item.file_item
    when = _fmt(f.source_date.date() if isinstance(f.source_date, datetime) else f.source_date)
    parts = [f.source_system or "file", f.author, when]
    if item.copies_in_file > 1:
        parts.append(f"{item.copies_in_file}× in file")
    return " · ".join(p for p in parts if p)


def chart_text(item: PlanItem) -> str:
    r = item.chart_item
    if r is None:
        return ""
    c = item.category
    if c == "problems":
        return " · ".join(x for x in (r.text, r.icd10 or "", r.status, f"onset {_fmt(r.onset)}" if r.onset else "") if x)
    if c == "medications":
        return " · ".join(x for x in (r.drug_name, r.sig, r.status) if x)
    if c == "allergies":
        return "No known allergies" if r.no_known_allergies else " · ".join(
            x for x in (r.substance, r.reaction, r.severity, r.status) if x)
    if c in history_text.CATEGORIES:
        return history_text.chart_text(c, r)
    if c == "immunizations":
        return " · ".join(x for x in (r.vaccine, _fmt(r.date_given), f"lot {r.lot_number}" if r.lot_number else "") if x)
    if c == "results":
        value = f"{r.value:g}" if r.value is not None else r.value_text
        return " · ".join(x for x in (f"{value} {r.unit}".strip(), r.status, _fmt(r.collected_at)) if x)
    return f"{r.value:g} {r.unit} · {_fmt(r.taken_at)}"


def chart_source(item: PlanItem) -> str:
    r = item.chart_item
    if r is None:
        return ""
    src = r.source_system or "entered in the clinic"
    return src + (" · ENTERED IN ERROR" if r.entered_in_error else "")


# ------------------------------------------------------------------ the per-category table

COL_CHECK, COL_STATUS, COL_FILE, COL_FILE_SOURCE, COL_CHART, COL_CHART_SOURCE, COL_DIFF, COL_DECISION = range(8)
HEADERS = ("", "Status", "In the file", "Source · author · date", "In the chart", "Chart source", "Differences",
           "Decision")


class PlanItemsModel(QAbstractTableModel):
    def __init__(self, book: DecisionBook, items: Sequence[PlanItem], parent: QObject | None = None):
        super().__init__(parent)
        self.book = book
        self._items = list(items)
        book.changed.connect(self._refresh)

    def item_at(self, row: int) -> PlanItem:
        return self._items[row]

    def keys(self) -> list[str]:
        return [i.key for i in self._items]

    def _refresh(self) -> None:
        if self._items:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._items) - 1, len(HEADERS) - 1))

    # Qt
    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return HEADERS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        item = self._items[index.row()]
        base = Qt.ItemFlag.ItemIsSelectable
        if not self.book.can_edit(item):
            return base  # greyed: duplicates, and clinical items for a nurse
        base |= Qt.ItemFlag.ItemIsEnabled
        if index.column() == COL_CHECK and not item.needs_decision:
            base |= Qt.ItemFlag.ItemIsUserCheckable
        if index.column() == COL_DECISION and item.needs_decision:
            base |= Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        item = self._items[index.row()]
        col = index.column()
        decision = self.book.get(item.key)
        if role == Qt.ItemDataRole.CheckStateRole and col == COL_CHECK and not item.needs_decision:
            return Qt.CheckState.Checked if decision is not None and decision.writes else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.DisplayRole:
            if col == COL_STATUS:
                return status_text(item, self.book, short=True)
            if col == COL_FILE:
                return file_text(item)
            if col == COL_FILE_SOURCE:
                return file_source(item)
            if col == COL_CHART:
                return chart_text(item)
            if col == COL_CHART_SOURCE:
                return chart_source(item)
            if col == COL_DIFF:
                return "; ".join(item.differences) or (f"same {item.matched_by}" if item.matched_by else "")
            if col == COL_DECISION:
                if item.needs_decision:
                    return decision.label if decision is not None else UNDECIDED
                return decision.label if decision is not None else ""
        if role == Qt.ItemDataRole.EditRole and col == COL_DECISION:
            return decision.value if decision is not None else ""
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [file_text(item), f"from {file_source(item)}"] + ([item.rejected] if item.rejected else [])
            lines += [f"alert: {m}" for m in self.book.alerted.get(item.key, ())]
            if item.chart_item is not None:
                lines.append(f"chart: {chart_text(item)} ({chart_source(item)})")
            lines += list(item.differences)
            return "\n".join(lines)
        if role == Qt.ItemDataRole.BackgroundRole and item.key in self.book.alerted:
            return QBrush(QColor(ALERTED_BACKGROUND))
        if role == Qt.ItemDataRole.ForegroundRole:
            if not self.book.can_edit(item):
                return QBrush(QColor("#888888"))
            if col == COL_STATUS:
                colour = STATUS_COLOURS[ItemStatus.CONFLICT] if item.key in self.book.alerted else \
                    REJECTED_COLOUR if item.rejected else STATUS_COLOURS[item.status]
                return QBrush(QColor(colour))
            if col == COL_DECISION and item.needs_decision and decision is None:
                return QBrush(QColor("#b71c1c"))
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid():
            return False
        item = self._items[index.row()]
        if role == Qt.ItemDataRole.CheckStateRole and index.column() == COL_CHECK and not item.needs_decision:
            checked = Qt.CheckState(value) == Qt.CheckState.Checked if not isinstance(value, bool) else value
            return self.book.set(item.key, Decision.ADD if checked else Decision.SKIP)
        if role == Qt.ItemDataRole.EditRole and index.column() == COL_DECISION and item.needs_decision:
            decision = Decision(value) if value else None
            return self.book.set(item.key, decision)
        return False

    # bulk
    def set_all(self, checked: bool) -> None:
        """The tab's select-all: NEW items on or off (duplicates and undecided items stay as they are; items
        rejected in an earlier import are ticked one by one, never by select-all)."""
        keys = [i.key for i in self._items if not i.needs_decision and self.book.can_edit(i)
                and not (checked and i.rejected)]
        self.book.set_many(keys, lambda i: Decision.ADD if checked else Decision.SKIP)

    def decide_undecided(self, decision: Decision) -> None:
        keys = [i.key for i in self._items if i.needs_decision and self.book.get(i.key) is None]
        self.book.set_many(keys, lambda i: decision if decision in i.choices else None)


class DecisionDelegate(QStyledItemDelegate):
    """A combo with the item's choices (keep chart / take file / keep both ...) in the Decision column."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:
        model: PlanItemsModel = index.model()  # type: ignore[assignment]
        item = model.item_at(index.row())
        combo = QComboBox(parent)
        combo.addItem(UNDECIDED, "")
        for choice in item.choices:
            combo.addItem(choice.label, choice.value)
        combo.activated.connect(lambda _i, c=combo: self.commitData.emit(c))
        return combo

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        value = index.data(Qt.ItemDataRole.EditRole) or ""
        combo: QComboBox = editor  # type: ignore[assignment]
        combo.setCurrentIndex(max(0, combo.findData(value)))

    def setModelData(self, editor: QWidget, model: Any, index: Index) -> None:
        combo: QComboBox = editor  # type: ignore[assignment]
        model.setData(index, combo.currentData(), Qt.ItemDataRole.EditRole)


# ------------------------------------------------------------------ device readings, summarised

SERIES_HEADERS = ("", "Reading", "Readings", "New", "From", "To", "Devices", "Daily values (last days)")


class ReadingSeriesModel(QAbstractTableModel):
    """One row per kind of device reading: a checkbox takes or leaves all its NEW readings."""

    def __init__(self, book: DecisionBook, series: Sequence[ReadingSeries], parent: QObject | None = None):
        super().__init__(parent)
        self.book = book
        self._series = list(series)
        book.changed.connect(self._refresh)

    def series_at(self, row: int) -> ReadingSeries:
        return self._series[row]

    def _refresh(self) -> None:
        if self._series:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._series) - 1, len(SERIES_HEADERS) - 1))

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._series)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(SERIES_HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return SERIES_HEADERS[section]
        return None

    def _state(self, s: ReadingSeries) -> Qt.CheckState:
        if not s.new_item_keys:
            return Qt.CheckState.Unchecked
        taken = sum(1 for k in s.new_item_keys if (d := self.book.get(k)) is not None and d.writes)
        if taken == 0:
            return Qt.CheckState.Unchecked
        return Qt.CheckState.Checked if taken == len(s.new_item_keys) else Qt.CheckState.PartiallyChecked

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        s = self._series[index.row()]
        if not s.new_item_keys or "observations" in self.book.locked:
            return Qt.ItemFlag.ItemIsSelectable
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == 0:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        s = self._series[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.CheckStateRole and col == 0:
            return self._state(s)
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 1:
                return f"{s.name} ({unit_text(s.unit)})" if unit_text(s.unit) else s.name
            if col == 2:
                return str(s.count)
            if col == 3:
                return str(s.new_count)
            if col == 4:
                return _in_file_time(s.first)
            if col == 5:
                return _in_file_time(s.last)
            if col == 6:
                return ", ".join(s.devices)
            if col == 7:
                return "  ".join(f"{d.day:%m-%d} {d.mean:g}" + (f" ({d.low:g}–{d.high:g})" if d.count > 1 else "")
                                 for d in s.daily[-7:])
        if role == Qt.ItemDataRole.ToolTipRole:
            return "\n".join(f"{d.day.isoformat()}: {d.count} readings, mean {d.mean:g}, {d.low:g}–{d.high:g} "
                             f"{unit_text(s.unit)}"
                             for d in s.daily[-60:])
        if role == Qt.ItemDataRole.ForegroundRole and not s.new_item_keys:
            return QBrush(QColor("#888888"))
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or index.column() != 0 or role != Qt.ItemDataRole.CheckStateRole:
            return False
        s = self._series[index.row()]
        checked = Qt.CheckState(value) != Qt.CheckState.Unchecked if not isinstance(value, bool) else value
        self.book.set_many(list(s.new_item_keys), lambda _i: Decision.ADD if checked else Decision.SKIP)
        return True

    def set_all(self, checked: bool) -> None:
        keys = [k for s in self._series for k in s.new_item_keys]
        self.book.set_many(keys, lambda _i: Decision.ADD if checked else Decision.SKIP)


def comparison_html(item: PlanItem, book: DecisionBook | None = None) -> str:
    """The selected row's full comparison for the detail pane: the file's item and source, the chart's, the
    differences (the table's columns cut them short)."""
    from html import escape

    rows = [("In the file", file_text(item)), ("From", file_source(item))]
    if item.chart_item is not None:
        rows += [("In the chart", chart_text(item)), ("Chart source", chart_source(item))]
    diff = "; ".join(item.differences) or (f"same {item.matched_by}" if item.matched_by else "")
    if diff:
        rows.append(("Differences", diff))
    for message in (book.alerted.get(item.key, ()) if book is not None else ()):
        rows.append(("Alert", message + (" (left out of the merge)" if item.key in book.left_out else "")))
    if item.rejected:
        rows.append(("Earlier review", item.rejected[:1].upper() + item.rejected[1:] + "; tick it to merge it now"))
    cells = "".join(f"<tr><td style='color:#555;padding-right:12px;white-space:nowrap'>{escape(k)}</td>"
                    f"<td>{escape(v)}</td></tr>" for k, v in rows if v)
    return f"<b>{escape(status_text(item, book))}</b><table>{cells}</table>"

"""Table models of the Results tab: the flowsheet (tests as rows grouped by panel, dates as columns) and the
panel list (each panel's header row, then its results). Flags in colour; imported results in italics."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QCoreApplication, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from desktop.domain.dates import show_date, show_datetime
from desktop.services.results import FLAG_WORDS, Flowsheet, PanelView, ResultRow, unit_label

Index = QModelIndex | QPersistentModelIndex

HIGH_BG, HIGH_FG = QColor("#fde0dc"), QColor("#b3261e")
LOW_BG, LOW_FG = QColor("#dde8fb"), QColor("#1a4fa0")
ABN_BG, ABN_FG = QColor("#fff1d6"), QColor("#8a5a00")
CRIT_BG = QColor("#f6b8b0")
GROUP_BG = QColor("#eceff3")
PANEL_BG = QColor("#f4f6f9")


def _tr(text: str) -> str:
    return QCoreApplication.translate("LabModels", text)


def flag_colours(flag: str) -> tuple[QColor | None, QColor | None]:
    if flag in ("HH", "LL"):
        return CRIT_BG, HIGH_FG if flag == "HH" else LOW_FG
    if flag == "H":
        return HIGH_BG, HIGH_FG
    if flag == "L":
        return LOW_BG, LOW_FG
    if flag == "A":
        return ABN_BG, ABN_FG
    return None, None


def flag_mark(flag: str) -> str:
    return {"H": " ▲", "HH": " ▲▲", "L": " ▼", "LL": " ▼▼", "A": " *"}.get(flag, "")


def result_tooltip(r: ResultRow) -> str:
    lines = [f"{r.name}" + (f" (LOINC {r.loinc})" if r.loinc else ""),
             f"{r.value_display} {unit_label(r.unit)}".strip()
             + (f"  [{FLAG_WORDS.get(r.flag, r.flag)}]" if r.flag else ""),
             _tr("Range: {range}").format(range=r.range_display),
             _tr("Collected {when}, {status}").format(when=show_datetime(r.collected_at), status=r.status)]
    if r.flag:
        lines.append(_tr("Flag: {src}").format(src=r.flag_source))
    if r.origin != "clinic":
        lines.append(_tr("Imported from {src}").format(src=r.source_system or _tr("a PHR file")))
    if r.performing_lab:
        lines.append(_tr("Laboratory: {lab}").format(lab=r.performing_lab))
    return "\n".join(lines)


class LabFlowsheetModel(QAbstractTableModel):
    """Rows: group headers and tests; columns: collection times, newest on the left."""

    KeyRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent=None):
        super().__init__(parent)
        self.sheet: Flowsheet | None = None
        self._bold = QFont()
        self._bold.setBold(True)
        self._italic = QFont()
        self._italic.setItalic(True)

    def set_sheet(self, sheet: Flowsheet) -> None:
        self.beginResetModel()
        self.sheet = sheet
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() or self.sheet is None else len(self.sheet.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() or self.sheet is None else len(self.sheet.columns)

    def row_key(self, row: int) -> str:
        return self.sheet.rows[row].key if self.sheet and 0 <= row < len(self.sheet.rows) else ""

    def cell(self, row: int, column: int) -> ResultRow | None:
        key = self.row_key(row)
        return self.sheet.cells.get((key, column)) if key and self.sheet else None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or self.sheet is None:
            return None
        frow = self.sheet.rows[index.row()]
        if not frow.key:  # a group header row
            if role == Qt.ItemDataRole.BackgroundRole:
                return QBrush(GROUP_BG)
            return None
        r = self.sheet.cells.get((frow.key, index.column()))
        if r is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return r.value_display + flag_mark(r.flag)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        if role in (Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole):
            bg, fg = flag_colours(r.flag)
            colour = bg if role == Qt.ItemDataRole.BackgroundRole else fg
            return QBrush(colour) if colour is not None else None
        if role == Qt.ItemDataRole.FontRole:
            return self._italic if r.origin != "clinic" else (self._bold if r.flag not in ("", "N") else None)
        if role == Qt.ItemDataRole.ToolTipRole:
            return result_tooltip(r)
        if role == self.KeyRole:
            return frow.key
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if self.sheet is None:
            return None
        if orientation == Qt.Orientation.Horizontal:
            if role == Qt.ItemDataRole.DisplayRole and section < len(self.sheet.columns):
                when = self.sheet.columns[section]
                return f"{show_date(when)}\n{when:%H:%M}"
            return None
        if section >= len(self.sheet.rows):
            return None
        frow = self.sheet.rows[section]
        if role == Qt.ItemDataRole.DisplayRole:
            unit = unit_label(frow.unit)
            return _tr(frow.label) if not frow.key else f"{frow.label} ({unit})" if unit else frow.label
        if role == Qt.ItemDataRole.FontRole and not frow.key:
            return self._bold
        if role == Qt.ItemDataRole.BackgroundRole and not frow.key:
            return QBrush(GROUP_BG)
        return None


class PanelListModel(QAbstractTableModel):
    """Each panel (newest first) as a header row with date, name, source; its results below it."""

    COLUMNS = ("Test", "Result", "Unit", "Flag", "Range", "Status")

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list[tuple[PanelView, ResultRow | None]] = []
        self._bold = QFont()
        self._bold.setBold(True)
        self._italic = QFont()
        self._italic.setItalic(True)

    def set_panels(self, panels: tuple[PanelView, ...]) -> None:
        self.beginResetModel()
        self._rows = []
        for p in panels:
            self._rows.append((p, None))
            self._rows += [(p, r) for r in p.results]
        self.endResetModel()

    def entry(self, row: int) -> tuple[PanelView, ResultRow | None] | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        panel, r = self._rows[index.row()]
        col = index.column()
        if r is None:
            if role == Qt.ItemDataRole.DisplayRole:
                if col == 0:
                    src = _tr("clinic") if panel.origin == "clinic" else \
                        _tr("imported from {src}").format(src=panel.source_system or "PHR")
                    lab = f" · {panel.performing_lab}" if panel.performing_lab else ""
                    return f"{show_datetime(panel.collected_at)}   {panel.title}   ({src}{lab})"
                if col == 1:
                    n = panel.abnormal_count
                    return _tr("{n} abnormal").format(n=n) if n else ""
                return None
            if role == Qt.ItemDataRole.FontRole:
                return self._bold
            if role == Qt.ItemDataRole.BackgroundRole:
                return QBrush(PANEL_BG)
            if role == Qt.ItemDataRole.ForegroundRole and col == 1 and panel.abnormal_count:
                return QBrush(HIGH_FG)
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return ("    " + r.name, r.value_display, unit_label(r.unit), r.flag + flag_mark(r.flag) if r.flag else "",
                    r.range_display, r.status)[col]
        if role in (Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole) and col in (1, 3):
            bg, fg = flag_colours(r.flag)
            colour = bg if role == Qt.ItemDataRole.BackgroundRole else fg
            return QBrush(colour) if colour is not None else None
        if role == Qt.ItemDataRole.FontRole and r.origin != "clinic":
            return self._italic
        if role == Qt.ItemDataRole.ToolTipRole:
            return result_tooltip(r)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _tr(self.COLUMNS[section])
        return None

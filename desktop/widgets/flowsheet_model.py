"""Vitals flowsheet: one row per vital, one column per intake set (newest on the left), pages appended as
the user scrolls right. Abnormal cells are coloured; patient/device readings have italic, tinted headers."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QCoreApplication, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from desktop.domain.dates import show_date
from desktop.services import display_units
from desktop.services.vitals import (
    BMI,
    DIASTOLIC,
    HEART_RATE,
    HEIGHT,
    PAIN,
    RESP_RATE,
    SPO2,
    SYSTOLIC,
    TEMPERATURE,
    WEIGHT,
    FlowsheetColumn,
    FlowsheetPage,
)

Index = QModelIndex | QPersistentModelIndex

HIGH_BG, HIGH_FG = QColor("#fde0dc"), QColor("#b3261e")
LOW_BG, LOW_FG = QColor("#dde8fb"), QColor("#1a4fa0")
READING_BG = QColor("#f3f0f7")

# (row title, unit shown, codes on that row, trend group key)
ROWS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("Blood pressure", "mmHg", (SYSTOLIC, DIASTOLIC), "bp"),
    ("Heart rate", "/min", (HEART_RATE,), "hr"),
    ("Resp. rate", "/min", (RESP_RATE,), "rr"),
    ("Temperature", "°C", (TEMPERATURE,), "temp"),
    ("SpO2", "%", (SPO2,), "spo2"),
    ("Weight", "kg", (WEIGHT,), "weight"),
    ("Height", "cm", (HEIGHT,), "height"),
    ("BMI", "kg/m²", (BMI,), "bmi"),
    ("Pain", "0-10", (PAIN,), "pain"),
)
ORIGIN_LABELS = {"clinic": "", "patient": "home", "device": "device", "phr-import": "PHR"}


def _tr(text: str) -> str:
    return QCoreApplication.translate("FlowsheetModel", text)


class FlowsheetModel(QAbstractTableModel):
    SetIdRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent=None):
        super().__init__(parent)
        self.system = display_units.METRIC  # the reader's units (us | metric); values stay canonical
        self._columns: list[FlowsheetColumn] = []
        self.has_more = False
        self.cursor = None
        self.total_sets: int | None = None

    # ---- data in
    def set_page(self, page: FlowsheetPage, system: str | None = None) -> None:
        self.beginResetModel()
        if system is not None:
            self.system = system
        self._columns = list(page.columns)
        self.has_more, self.cursor = page.has_more, page.cursor
        self.total_sets = page.total_sets
        self.endResetModel()

    def append_page(self, page: FlowsheetPage) -> None:
        known = {c.set_id for c in self._columns}
        new = [c for c in page.columns if c.set_id not in known]
        if new:
            first = len(self._columns)
            self.beginInsertColumns(QModelIndex(), first, first + len(new) - 1)
            self._columns.extend(new)
            self.endInsertColumns()
        self.has_more, self.cursor = page.has_more, page.cursor

    def column_at(self, column: int) -> FlowsheetColumn | None:
        return self._columns[column] if 0 <= column < len(self._columns) else None

    @staticmethod
    def trend_key(row: int) -> str | None:
        return ROWS[row][3] if 0 <= row < len(ROWS) else None

    # ---- Qt
    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(ROWS)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._columns)

    def cell_text(self, row: int, column: int) -> str:
        col = self._columns[column]
        codes = ROWS[row][2]
        if codes == (SYSTOLIC, DIASTOLIC):
            sys_, dia = col.values.get(SYSTOLIC), col.values.get(DIASTOLIC)
            if sys_ is None and dia is None:
                return ""
            return f"{self._number(SYSTOLIC, sys_) if sys_ is not None else '–'}/" \
                   f"{self._number(DIASTOLIC, dia) if dia is not None else '–'}"
        value = col.values.get(codes[0])
        return "" if value is None else self._number(codes[0], value)

    def _number(self, loinc: str, value: float) -> str:
        return display_units.number(loinc, value, self.system)

    def row_unit(self, row: int) -> str:
        """The unit a row reads in: °F / lb / in for a US reader, °C / kg / cm for a metric one."""
        title, unit, codes, _key = ROWS[row]
        if codes[0] in (TEMPERATURE, WEIGHT, HEIGHT):
            return display_units.unit_label(display_units.display_unit(codes[0], self.system))
        return unit

    def cell_flag(self, row: int, column: int) -> str | None:
        col = self._columns[column]
        flags = {col.flags.get(code) for code in ROWS[row][2]} - {None}
        return "high" if "high" in flags else "low" if "low" in flags else None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cell_text(row, column)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == self.SetIdRole:
            return self._columns[column].set_id
        fl = self.cell_flag(row, column)
        if role == Qt.ItemDataRole.BackgroundRole:
            if fl == "high":
                return QBrush(HIGH_BG)
            if fl == "low":
                return QBrush(LOW_BG)
            if self._columns[column].origin != "clinic":
                return QBrush(READING_BG)
            return None
        if role == Qt.ItemDataRole.ForegroundRole and fl:
            return QBrush(HIGH_FG if fl == "high" else LOW_FG)
        if role == Qt.ItemDataRole.FontRole:
            font = QFont()
            if fl:
                font.setBold(True)
            if self._columns[column].origin != "clinic":
                font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole and fl:
            text = self.cell_text(row, column)
            return _tr("{value}: above the normal range for age").format(value=text) if fl == "high" else \
                _tr("{value}: below the normal range for age").format(value=text)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            text = self.cell_text(row, column)
            return f"{text} {_tr('high') if fl == 'high' else _tr('low') if fl == 'low' else ''}".strip()
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Vertical:
            if role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(ROWS):
                return f"{_tr(ROWS[section][0])}  ({self.row_unit(section)})"
            return None
        col = self.column_at(section)
        if col is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            origin = ORIGIN_LABELS.get(col.origin, col.origin)
            text = f"{show_date(col.taken_at)}\n{col.taken_at:%H:%M}"
            return f"{text}\n{_tr(origin)}" if origin else text
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tr("Measured in the clinic") if col.origin == "clinic" else \
                _tr("Reported by the patient or a device ({origin})").format(origin=col.origin)
        if role == Qt.ItemDataRole.FontRole and col.origin != "clinic":
            font = QFont()
            font.setItalic(True)
            return font
        return None

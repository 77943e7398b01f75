"""Google Takeout "Fit" export: the "Daily activity metrics.csv" day summaries and the "All Data" JSON files
(derived_com.google.weight..., heart_rate.bpm, blood_pressure, ...), from a folder or a zip.

The daily CSV holds one row per day: average/min/max weight and heart rate and the step count. These are day
summaries, kept as such: one reading per day and measure (the average, or the day's total for steps), dated at
the start of that day and named "(day average)"; the day's min and max stay in its source id. The per-day
"Daily activity metrics/YYYY-MM-DD.csv" files repeat the same day in 15-minute rows and are not read again.
Location columns and location data points (latitude, longitude, GPS samples) are never read into anything.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime
from typing import Any

from desktop.kb.vitals import (
    DIASTOLIC,
    GLUCOSE,
    HEART_RATE,
    HEIGHT,
    PULSE_OX,
    STEPS,
    SYSTOLIC,
    TEMPERATURE,
    WEIGHT,
)

from .builder import ParsedBuilder
from .dates import local_tz
from .device_readings import DAY_SUMMARY, add_reading
from .errors import UnreadableFile

SYSTEM = "Google Fit"
PATIENT_REF = "google-fit:owner"
DAILY_HEADER = "Date"
_DAILY_COLUMNS = {  # column -> (loinc, unit, what)
    "Average weight (kg)": (WEIGHT, "kg", "avg"),
    "Average heart rate (bpm)": (HEART_RATE, "/min", "avg"),
    "Step count": (STEPS, "count", "total"),
}
_RANGE = {"Average weight (kg)": ("Min weight (kg)", "Max weight (kg)"),
          "Average heart rate (bpm)": ("Min heart rate (bpm)", "Max heart rate (bpm)")}
_NAMES = {WEIGHT: "Weight (day average)", HEART_RATE: "Heart rate (day average)", STEPS: "Steps (day total)"}
_LOCATION = re.compile(r"latitude|longitude|location", re.I)
# All Data point types: dataTypeName -> (loinc, unit) per fitValue index
_POINT_TYPES: dict[str, tuple[tuple[str, str], ...]] = {
    "com.google.weight": ((WEIGHT, "kg"),),
    "com.google.heart_rate.bpm": ((HEART_RATE, "/min"),),
    "com.google.height": ((HEIGHT, "m"),),
    "com.google.body.temperature": ((TEMPERATURE, "Cel"),),
    "com.google.oxygen_saturation": ((PULSE_OX, "%"),),
    "com.google.blood_glucose": ((GLUCOSE, "mmol/L"),),
    "com.google.blood_pressure": ((SYSTOLIC, "mm[Hg]"), (DIASTOLIC, "mm[Hg]")),
}


# ------------------------------------------------------------------ Daily activity metrics.csv

def is_daily_metrics(header: list[str]) -> bool:
    return bool(header) and header[0].strip().lstrip("\ufeff") == DAILY_HEADER and \
        any(h.strip() in _DAILY_COLUMNS for h in header)


def read_daily_metrics(text: str, builder: ParsedBuilder, name: str) -> None:
    rows = csv.reader(io.StringIO(text))
    header = [h.strip().lstrip("\ufeff") for h in next(rows, [])]
    if not is_daily_metrics(header):
        raise UnreadableFile(f"{name} is not a Google Fit daily metrics file")
    index = {h: n for n, h in enumerate(header)}
    if any(_LOCATION.search(h) for h in header):
        builder.note("Google Fit location columns (latitude/longitude) were not read and are not stored.")
    tz = local_tz()  # the export writes the day in the phone's zone, without an offset
    for line, row in enumerate(rows, 2):
        if not row or not row[0].strip():
            continue
        try:
            day = date.fromisoformat(row[0].strip())
        except ValueError:
            builder.skip(f"{name} line {line}", f"unreadable date {row[0][:20]!r}")
            continue
        taken = datetime(day.year, day.month, day.day, tzinfo=tz)
        for column, (loinc, unit, what) in _DAILY_COLUMNS.items():
            value = _cell(row, index.get(column))
            if value == "":
                continue
            extra = ""
            if column in _RANGE:
                low, high = (_cell(row, index.get(c)) for c in _RANGE[column])
                extra = f"|min={low}|max={high}"
            add_reading(builder, system=SYSTEM, patient_ref=PATIENT_REF, loinc=loinc, value=value, unit=unit,
                        taken=taken, group=f"{DAY_SUMMARY}|{day.isoformat()}|{loinc}", name=_NAMES[loinc],
                        rid=f"{DAY_SUMMARY}|{day.isoformat()}|{what}|{column}{extra}")
    builder.note("Google Fit daily metrics are day summaries: each day's average (or step total) is imported once, "
                 "dated at the start of the day.")


def _cell(row: list[str], n: int | None) -> str:
    return row[n].strip() if n is not None and n < len(row) else ""


def is_per_day_file(path: str) -> bool:
    """Takeout's "Daily activity metrics/2021-03-04.csv": the same day again in 15-minute rows."""
    return bool(re.search(r"(^|/)\d{4}-\d{2}-\d{2}( ?\(\d+\))?\.csv$", path))


# ------------------------------------------------------------------ All Data/*.json

def is_all_data(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("Data Points"), list)


def read_all_data(value: dict, builder: ParsedBuilder, name: str) -> None:
    source = str(value.get("Data Source", ""))[:200]
    for n, point in enumerate(value["Data Points"], 1):
        if not isinstance(point, dict):
            builder.skip(f"{name} point {n}", "not an object")
            continue
        dtype = str(point.get("dataTypeName", ""))
        mapping = _POINT_TYPES.get(dtype)
        if mapping is None:
            # location samples and activity segments are not chart data; location is never stored
            builder.ignore(f"{SYSTEM} {'location' if 'location' in dtype else dtype or 'data point'}")
            continue
        try:
            taken = datetime.fromtimestamp(int(point["startTimeNanos"]) / 1e9, tz=UTC)
            values = [v.get("value", v) for v in point["fitValue"]]
            numbers = [v.get("fpVal", v.get("intVal")) for v in values]
        except (KeyError, TypeError, ValueError, OverflowError, OSError, AttributeError):
            builder.skip(f"{name} point {n}", "no readable time or value")
            continue
        origin_id = str(point.get("originDataSourceId", ""))
        device = origin_id.split(":")[2] if origin_id.count(":") >= 2 else source
        stamp = point.get("startTimeNanos")
        for i, (loinc, unit) in enumerate(mapping):
            if i >= len(numbers):
                builder.skip(f"{name} point {n}", f"{dtype} without its value {i + 1}")
                break
            add_reading(builder, system=SYSTEM, patient_ref=PATIENT_REF, loinc=loinc, value=numbers[i], unit=unit,
                        taken=taken, group=f"{dtype}|{stamp}", device=device,
                        origin="patient" if "user_input" in origin_id else "device",
                        rid=f"{dtype}|{stamp}|{i}|{origin_id}")

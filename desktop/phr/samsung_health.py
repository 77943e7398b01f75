"""Samsung Health personal-data export: one CSV per data type (weight, heart rate, blood pressure, blood glucose,
daily step trend). The first line is `<table id>,<n>,<n>`; the header's names may carry the table id as a prefix
("com.samsung.health.heart_rate.heart_rate"); times are local `YYYY-MM-DD HH:MM:SS.mmm` with the offset in a
separate `time_offset` column ("UTC+0200"). The files name no patient."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta, timezone

from desktop.kb.vitals import DIASTOLIC, GLUCOSE, HEART_RATE, HEIGHT, STEPS, SYSTOLIC, WEIGHT

from .builder import ParsedBuilder
from .device_readings import DAY_SUMMARY, add_reading
from .errors import UnreadableFile

SYSTEM = "Samsung Health"
PATIENT_REF = "samsung-health:owner"
PREFIX = "com.samsung."
# table id (without the version suffix) -> [(column, loinc, unit)]
TABLES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "com.samsung.health.weight": (("weight", WEIGHT, "kg"), ("height", HEIGHT, "cm")),
    "com.samsung.shealth.tracker.heart_rate": (("heart_rate", HEART_RATE, "/min"),),
    "com.samsung.health.heart_rate": (("heart_rate", HEART_RATE, "/min"),),
    "com.samsung.shealth.blood_pressure": (("systolic", SYSTOLIC, "mm[Hg]"), ("diastolic", DIASTOLIC, "mm[Hg]"),
                                           ("pulse", HEART_RATE, "/min")),
    "com.samsung.health.blood_pressure": (("systolic", SYSTOLIC, "mm[Hg]"), ("diastolic", DIASTOLIC, "mm[Hg]"),
                                          ("pulse", HEART_RATE, "/min")),
    "com.samsung.shealth.blood_glucose": (("glucose", GLUCOSE, "mmol/L"),),
    "com.samsung.health.blood_glucose": (("glucose", GLUCOSE, "mmol/L"),),
}
STEP_TABLE = "com.samsung.shealth.step_daily_trend"
ALL_SOURCES = "-2"  # step_daily_trend's source_type for the combined count of every device
_OFFSET = re.compile(r"^UTC([+-])(\d{2}):?(\d{2})$")


def is_samsung(first_line: str) -> bool:
    return first_line.lstrip("\ufeff").startswith(PREFIX)


def read(text: str, builder: ParsedBuilder, name: str) -> None:
    lines = csv.reader(io.StringIO(text))
    first = next(lines, [])
    table = first[0].strip().lstrip("\ufeff") if first else ""
    if not table.startswith(PREFIX):
        raise UnreadableFile(f"{name} is not a Samsung Health export file")
    header = [_column(h, table) for h in next(lines, [])]
    index = {h: n for n, h in enumerate(header) if h}
    if table == STEP_TABLE:
        _steps(lines, index, builder, name)
        return
    columns = TABLES.get(table)
    if columns is None:
        builder.ignore(f"{SYSTEM} {table.removeprefix(PREFIX)}")
        return
    device = _device_column(index)
    for line, row in enumerate(lines, 3):
        if not any(c.strip() for c in row):
            continue
        try:
            taken = _when(_get(row, index, "start_time"), _get(row, index, "time_offset"))
        except ValueError as exc:
            builder.skip(f"{name} line {line}", str(exc))
            continue
        stamp = taken.isoformat(timespec="seconds")
        uuid = _get(row, index, "datauuid") or stamp
        for column, loinc, unit in columns:
            value = _get(row, index, column)
            if value == "":
                continue
            add_reading(builder, system=SYSTEM, patient_ref=PATIENT_REF, loinc=loinc, value=value, unit=unit,
                        taken=taken, group=f"{table}|{uuid}", device=_get(row, index, device) if device else "",
                        rid=f"{table}|{uuid}|{column}")


def _steps(lines, index: dict[str, int], builder: ParsedBuilder, name: str) -> None:
    best: dict[date, tuple[int, float]] = {}  # day -> (rank: combined count first, count)
    for line, row in enumerate(lines, 3):
        if not any(c.strip() for c in row):
            continue
        try:
            day = datetime.fromtimestamp(int(float(_get(row, index, "day_time"))) / 1000, tz=UTC).date()
            count = float(_get(row, index, "count"))
        except (ValueError, OverflowError, OSError):
            builder.skip(f"{name} line {line}", "unreadable day or step count")
            continue
        rank = 1 if _get(row, index, "source_type") == ALL_SOURCES else 0
        if day not in best or (rank, count) > best[day]:
            best[day] = (rank, count)
    for day in sorted(best):
        add_reading(builder, system=SYSTEM, patient_ref=PATIENT_REF, loinc=STEPS, value=best[day][1], unit="count",
                    taken=datetime(day.year, day.month, day.day, tzinfo=UTC), name="Steps (day total)",
                    group=f"{DAY_SUMMARY}|{day.isoformat()}|steps", rid=f"{DAY_SUMMARY}|{day.isoformat()}|steps")
    if best:
        builder.note("Samsung Health steps are day totals (all devices combined when the export has that row).")


def _column(header: str, table: str) -> str:
    h = header.strip().lstrip("\ufeff")
    if h.startswith(table + "."):
        return h[len(table) + 1:]
    if h.startswith(PREFIX):
        return h.rsplit(".", 1)[-1]
    return h


def _device_column(index: dict[str, int]) -> str:
    return next((c for c in ("deviceuuid", "pkg_name") if c in index), "")


def _get(row: list[str], index: dict[str, int], column: str) -> str:
    n = index.get(column)
    return row[n].strip() if n is not None and n < len(row) else ""


def _when(local: str, offset: str) -> datetime:
    if not local:
        raise ValueError("no start time")
    try:
        naive = datetime.strptime(local[:19], "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise ValueError(f"unreadable time {local[:30]!r}") from None
    m = _OFFSET.match(offset.strip())
    if not m:
        raise ValueError(f"unreadable time offset {offset[:20]!r}")
    delta = timedelta(hours=int(m.group(2)), minutes=int(m.group(3)))
    return naive.replace(tzinfo=timezone(delta if m.group(1) == "+" else -delta))

"""Withings data export (Health Mate "Download my data"): `weight.csv` (Date, "Weight (kg)" or "Weight (lb)",
fat/bone/muscle mass...) and `bp.csv` (Date, Heart rate, Systolic, Diastolic). Dates are the user's local time
without an offset ("2024-03-01 06:45:00"). The files name no patient."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime

from desktop.kb.vitals import DIASTOLIC, HEART_RATE, SYSTOLIC, WEIGHT

from .builder import ParsedBuilder
from .dates import local_tz
from .device_readings import add_reading
from .errors import UnreadableFile

SYSTEM = "Withings"
PATIENT_REF = "withings:owner"
_WEIGHT = re.compile(r"^weight \((kg|lb)\)$", re.I)
_BP = ("Heart rate", "Systolic", "Diastolic")


def kind(header: list[str]) -> str | None:
    cells = [h.strip().lstrip("\ufeff") for h in header]
    if not cells or cells[0] != "Date":
        return None
    if any(_WEIGHT.match(c) for c in cells) and any(c.lower().startswith("fat mass") for c in cells):
        return "weight"
    if all(c in cells for c in _BP):
        return "bp"
    return None


def read(text: str, builder: ParsedBuilder, name: str) -> None:
    rows = csv.reader(io.StringIO(text))
    header = [h.strip().lstrip("\ufeff") for h in next(rows, [])]
    what = kind(header)
    if what is None:
        raise UnreadableFile(f"{name} is not a Withings export file")
    index = {h: n for n, h in enumerate(header)}
    if what == "weight":
        column = next(h for h in header if _WEIGHT.match(h))
        unit = "kg" if "(kg)" in column.lower() else "[lb_av]"
        columns = ((column, WEIGHT, unit),)
    else:
        columns = (("Systolic", SYSTOLIC, "mm[Hg]"), ("Diastolic", DIASTOLIC, "mm[Hg]"),
                   ("Heart rate", HEART_RATE, "/min"))
    tz = local_tz()
    for line, row in enumerate(rows, 2):
        if not row or not row[0].strip():
            continue
        try:
            taken = datetime.strptime(row[0].strip()[:19], "%Y-%m-%d %H:%M:%S").replace(tzinfo=tz)
        except ValueError:
            builder.skip(f"{name} line {line}", f"unreadable date {row[0][:25]!r}")
            continue
        stamp = taken.isoformat(timespec="seconds")
        for col, loinc, unit in columns:
            n = index[col]
            value = row[n].strip() if n < len(row) else ""
            if value:
                add_reading(builder, system=SYSTEM, patient_ref=PATIENT_REF, loinc=loinc, value=value, unit=unit,
                            taken=taken, group=f"{what}|{stamp}", rid=f"{what}.csv|{stamp}|{col}")

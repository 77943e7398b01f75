"""MyFitnessPal export: the Measurement-Summary CSV (one weight per date, in the user's units).

The header names the unit when the app wrote it ("Weight (lbs)", "Weight (kg)"); a bare "Weight" column is in the
account's unit, which the file does not state: it is read as pounds (MyFitnessPal's US default) and the review
notes so, showing the original value beside the converted one. The file names no patient."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime

from desktop.kb.vitals import WEIGHT

from .builder import ParsedBuilder
from .dates import local_tz
from .device_readings import add_reading
from .errors import UnreadableFile

SYSTEM = "MyFitnessPal"
PATIENT_REF = "myfitnesspal:owner"
_WEIGHT = re.compile(r"^weight(?:\s*\((lbs?|kg|kgs|st)\))?$", re.I)
_UNITS = {"lb": "[lb_av]", "lbs": "[lb_av]", "kg": "kg", "kgs": "kg"}


def is_measurement_summary(header: list[str]) -> bool:
    cells = [h.strip().lstrip("\ufeff") for h in header]
    return bool(cells) and cells[0].lower() == "date" and any(_WEIGHT.match(c) for c in cells)


def read(text: str, builder: ParsedBuilder, name: str) -> None:
    rows = csv.reader(io.StringIO(text))
    header = [h.strip().lstrip("\ufeff") for h in next(rows, [])]
    if not is_measurement_summary(header):
        raise UnreadableFile(f"{name} is not a MyFitnessPal Measurement-Summary file")
    col = next(n for n, h in enumerate(header) if _WEIGHT.match(h))
    stated = (_WEIGHT.match(header[col]).group(1) or "").lower()  # type: ignore[union-attr]
    if stated == "st":
        raise UnreadableFile(f"{name} gives weight in stones; not read")
    unit = _UNITS.get(stated, "[lb_av]")
    if not stated:
        builder.note("MyFitnessPal does not write the weight unit: the weights were read as pounds (the app's US "
                     "default). If the patient's app is set to kilograms, do not import them.")
    tz = local_tz()
    for line, row in enumerate(rows, 2):
        if not row or not row[0].strip() or col >= len(row) or not row[col].strip():
            continue
        try:
            day = _date(row[0].strip())
        except ValueError:
            builder.skip(f"{name} line {line}", f"unreadable date {row[0][:20]!r}")
            continue
        taken = datetime(day.year, day.month, day.day, tzinfo=tz)
        add_reading(builder, system=SYSTEM, patient_ref=PATIENT_REF, loinc=WEIGHT, value=row[col], unit=unit,
                    taken=taken, group=f"weight|{day.isoformat()}", origin="patient",
                    rid=f"Measurement-Summary|weight|{day.isoformat()}")


def _date(text: str) -> date:
    for fmt in ("%Y-%m-%d", "%m/%d/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)
